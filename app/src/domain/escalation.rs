//! The escalation ladder, like an on-call pager: nobody is ignored (PRODUCT rule 3). A request nobody has
//! accepted, or a job long past its ETA, climbs one rung every interval: the technicians are alerted again,
//! then the backups, then every dispatch board sounds an alarm that stays until the situation changes.
//! Everything here is decided from the timeline alone, so the ladder resumes exactly where it was after a restart.

use serde::{Deserialize, Serialize};

use super::{Event, Progress, RequestStatus, StaffName};

/// The top rung: an alarm on every dispatch board.
pub const ALARM: u8 = 3;

/// What a rung does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rung {
    /// Waiting: every on-duty technician again. Late: the technician who has it, asked for news.
    AlertAgain,
    Backups,
    DispatchAlarm,
}

impl Rung {
    /// What the rung at `level` (1, 2, 3) does.
    pub fn at(level: u8) -> Rung {
        match level {
            1 => Rung::AlertAgain,
            2 => Rung::Backups,
            _ => Rung::DispatchAlarm,
        }
    }
}

/// Why a request is climbing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Concern {
    /// Nobody has accepted it.
    Unowned,
    /// "On my way" long past the ETA.
    Late,
}

/// The ladder's one setting: how long each rung waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ladder {
    pub every_ms: i64,
}

impl Ladder {
    /// Two minutes per rung unless configured otherwise.
    pub const DEFAULT: Ladder = Ladder { every_ms: 2 * 60_000 };

    /// What is being watched, and the moment the clock started: the last step while waiting, the ETA while late.
    fn watched(p: &Progress) -> Option<(Concern, i64)> {
        match p.status() {
            RequestStatus::Received => Some((Concern::Unowned, p.since)),
            RequestStatus::OnTheWay => p.eta_at.map(|eta| (Concern::Late, eta)),
            _ => None,
        }
    }

    /// When the next rung falls due, if one is still above.
    pub fn next_at(&self, p: &Progress) -> Option<i64> {
        let (_, start) = Ladder::watched(p)?;
        (p.escalation < ALARM).then(|| start + self.every_ms * i64::from(p.escalation + 1))
    }

    /// The rung to climb now, if one is due: one rung at a time, each recorded before the next is considered.
    pub fn due(&self, p: &Progress, now_ms: i64) -> Option<(Concern, Rung, Event)> {
        let (concern, _) = Ladder::watched(p)?;
        if self.next_at(p)? > now_ms {
            return None;
        }
        let level = p.escalation + 1;
        let rung = Rung::at(level);
        // Who is late is named for dispatch; a request nobody owns has nobody to name.
        let technician = p
            .owner
            .as_ref()
            .filter(|_| concern == Concern::Late)
            .map(|(id, name)| StaffName { id: *id, name: name.clone() });
        let event = Event::Escalated { level, concern: Some(concern), every_ms: Some(self.every_ms), technician };
        Some((concern, rung, event))
    }
}

impl Progress {
    /// The alarm is up: the top rung was reached and nothing has changed since.
    pub fn alarm(&self) -> bool {
        self.escalation >= ALARM && matches!(self.status(), RequestStatus::Received | RequestStatus::OnTheWay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EventKind, Recorded, event::tests::recorded, status::tests::entry};
    use EventKind::*;

    const MIN: i64 = 60_000;
    const ANA: Option<(i64, &str)> = Some((1, "Ana Lima"));

    fn escalated(at: i64, level: u8) -> Recorded {
        recorded(Event::escalated(level), at, None)
    }

    fn climb(timeline: &mut Vec<Recorded>, now: i64) -> Option<(Concern, Rung)> {
        let (concern, rung, event) = Ladder::DEFAULT.due(&Progress::fold(timeline.iter()), now)?;
        timeline.push(recorded(event, now, None));
        Some((concern, rung))
    }

    #[test]
    fn an_unowned_request_climbs_one_rung_per_interval_until_the_alarm() {
        let mut t = vec![entry(Received, 0, None, None)];
        assert_eq!(climb(&mut t, 2 * MIN - 1), None);
        assert_eq!(climb(&mut t, 2 * MIN), Some((Concern::Unowned, Rung::AlertAgain)));
        assert_eq!(climb(&mut t, 2 * MIN + 1), None, "one rung per interval");
        assert_eq!(climb(&mut t, 4 * MIN), Some((Concern::Unowned, Rung::Backups)));
        assert!(!Progress::fold(&t).alarm());
        assert_eq!(climb(&mut t, 6 * MIN), Some((Concern::Unowned, Rung::DispatchAlarm)));
        let p = Progress::fold(&t);
        assert!(p.alarm());
        assert_eq!(Ladder::DEFAULT.next_at(&p), None, "nothing above the alarm");
        assert_eq!(climb(&mut t, 60 * MIN), None);
    }

    #[test]
    fn after_a_long_outage_the_ladder_catches_up_one_recorded_rung_at_a_time() {
        let mut t = vec![entry(Received, 0, None, None)];
        let rungs: Vec<_> = (0..5).filter_map(|_| climb(&mut t, 30 * MIN).map(|(_, r)| r)).collect();
        assert_eq!(rungs, [Rung::AlertAgain, Rung::Backups, Rung::DispatchAlarm]);
    }

    #[test]
    fn owning_the_request_stops_the_ladder_and_clears_the_alarm() {
        let mut t = vec![entry(Received, 0, None, None), escalated(2 * MIN, 1), escalated(4 * MIN, 2)];
        t.push(escalated(6 * MIN, 3));
        t.push(entry(CallbackRequested, 7 * MIN, None, None));
        assert!(Progress::fold(&t).alarm(), "a callback request is not an owner");
        t.push(entry(Accepted, 8 * MIN, ANA, None));
        let p = Progress::fold(&t);
        assert!(!p.alarm());
        assert_eq!(Ladder::DEFAULT.due(&p, 100 * MIN), None, "accepted, not yet on the way: nothing to watch");
        // Handed back: the clock starts again from the hand-back.
        t.push(entry(Released, 9 * MIN, ANA, None));
        assert_eq!(Ladder::DEFAULT.next_at(&Progress::fold(&t)), Some(11 * MIN));
    }

    #[test]
    fn a_job_long_past_its_eta_climbs_from_the_eta() {
        let mut t = vec![entry(Received, 0, None, None), entry(Accepted, MIN, ANA, None)];
        t.push(entry(OnTheWay, 2 * MIN, ANA, Some(10)));
        let eta = 12 * MIN;
        assert_eq!(climb(&mut t, eta + 2 * MIN - 1), None);
        let due = Ladder::DEFAULT.due(&Progress::fold(&t), eta + 2 * MIN);
        assert_eq!(
            due,
            Some((
                Concern::Late,
                Rung::AlertAgain,
                Event::Escalated {
                    level: 1,
                    concern: Some(Concern::Late),
                    every_ms: Some(2 * MIN),
                    technician: Some(StaffName { id: 1, name: "Ana Lima".into() })
                }
            ))
        );
        // A new ETA is news: the clock starts from it.
        t.push(entry(EtaChanged, eta + MIN, ANA, Some(20)));
        assert_eq!(Ladder::DEFAULT.next_at(&Progress::fold(&t)), Some(eta + MIN + 22 * MIN));
        t.push(entry(Arrived, eta + 5 * MIN, ANA, None));
        assert_eq!(Ladder::DEFAULT.next_at(&Progress::fold(&t)), None);
    }
}
