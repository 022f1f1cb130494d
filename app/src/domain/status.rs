//! What happened to a request, as an append-only list of events. The status is derived from the events, never
//! stored beside them, so the timeline and the status can not disagree.

use serde::{Deserialize, Serialize};

use super::{Event, Problem, Recorded, Vehicle};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RequestStatus {
    /// Waiting for a technician to accept.
    Received,
    Accepted,
    OnTheWay,
    Arrived,
    Done,
    Cancelled,
}

impl RequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Received => "received",
            RequestStatus::Accepted => "accepted",
            RequestStatus::OnTheWay => "on_the_way",
            RequestStatus::Arrived => "arrived",
            RequestStatus::Done => "done",
            RequestStatus::Cancelled => "cancelled",
        }
    }

    pub fn is_open(self) -> bool {
        !matches!(self, RequestStatus::Cancelled | RequestStatus::Done)
    }
}

/// Where a request stands, folded from its timeline: the one place the order of a job's steps is known.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Progress {
    pub status: Option<RequestStatus>,
    /// The technician who owns it: (staff id, name).
    pub owner: Option<(i64, String)>,
    /// When the technician expects to arrive, unix ms.
    pub eta_at: Option<i64>,
    pub callback_requested: bool,
    pub arrival_confirmed: bool,
    /// When the request entered its present state (unix ms): the escalation ladder counts from here.
    pub since: i64,
    /// The rung of the escalation ladder reached in the present state; 0 when nothing is overdue.
    pub escalation: u8,
    /// The customer's rating after Done, once given.
    pub rating: Option<u8>,
}

impl Progress {
    /// The history folded, oldest first.
    pub fn fold<'a>(history: impl IntoIterator<Item = &'a Recorded>) -> Progress {
        let mut p = Progress::default();
        for r in history {
            p.apply(r);
        }
        p
    }

    pub fn status(&self) -> RequestStatus {
        self.status.unwrap_or(RequestStatus::Received)
    }

    fn apply(&mut self, r: &Recorded) {
        use RequestStatus as S;
        let closed = !self.status().is_open();
        if !closed && r.event.restarts_ladder() {
            self.since = r.at;
            self.escalation = 0;
        }
        let owner = |s: &super::StaffName| Some((s.id, s.name.clone()));
        match &r.event {
            Event::Received => self.status = Some(S::Received),
            Event::CallbackRequested => self.callback_requested = true,
            Event::CallbackMade => self.callback_requested = false,
            Event::FollowUp { rating, .. } => self.rating = Some(*rating),
            Event::Declined { .. } | Event::Seen { .. } => {}
            // Nothing moves a closed request.
            _ if closed => {}
            Event::Escalated { level, .. } => self.escalation = self.escalation.max(*level),
            Event::Cancelled { .. } => {
                self.status = Some(S::Cancelled);
                self.eta_at = None;
            }
            Event::Accepted { .. } => {
                self.status = Some(S::Accepted);
                self.owner = r.by.as_ref().and_then(owner);
            }
            Event::OnTheWay { eta_minutes } => {
                self.status = Some(S::OnTheWay);
                self.eta_at = Some(r.at + i64::from(*eta_minutes) * 60_000);
            }
            Event::EtaChanged { eta_minutes } => self.eta_at = Some(r.at + i64::from(*eta_minutes) * 60_000),
            Event::Arrived => {
                self.status = Some(S::Arrived);
                self.eta_at = None;
            }
            Event::Done { .. } => self.status = Some(S::Done),
            Event::Assigned { technician } => {
                self.status = Some(S::Accepted);
                self.owner = owner(technician);
                self.eta_at = None;
            }
            Event::ArrivalConfirmed => {
                self.arrival_confirmed = true;
                self.status = Some(S::Arrived);
                self.eta_at = None;
            }
            Event::Released { .. } => {
                self.status = Some(S::Received);
                self.owner = None;
                self.eta_at = None;
            }
        }
    }
}

/// Why the customer's answer to "Are you satisfied?" is refused; `texts` says it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FollowUpRefusal {
    BadRating,
    NotDone,
    AlreadyAnswered,
    BadComment(super::text::TextProblem),
}

impl Progress {
    /// The customer's answer after Done, once: a rating from 1 to 5 and an optional comment.
    pub fn decide_follow_up(&self, rating: Option<&str>, comment: Option<&str>) -> Result<Event, FollowUpRefusal> {
        let rating = rating
            .and_then(|r| r.trim().parse::<u8>().ok())
            .filter(|r| (1..=5).contains(r))
            .ok_or(FollowUpRefusal::BadRating)?;
        let comment = super::text::clean(comment, super::MAX_NOTES, true).map_err(FollowUpRefusal::BadComment)?;
        if self.status() != RequestStatus::Done {
            return Err(FollowUpRefusal::NotDone);
        }
        if self.rating.is_some() {
            return Err(FollowUpRefusal::AlreadyAnswered);
        }
        Ok(Event::FollowUp { rating, comment })
    }
}

/// Everything the customer's status page shows, and what the live feed sends when it changes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusView {
    pub number: String,
    pub status: RequestStatus,
    pub problem: Problem,
    pub problem_detail: Option<String>,
    pub place: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub accuracy_m: Option<f64>,
    pub access_notes: Option<String>,
    pub vehicle: Vehicle,
    /// A child or a pet is shut inside: an emergency, first on every list.
    #[serde(default)]
    pub someone_inside: bool,
    /// E.164, for machines and `tel:` links.
    pub phone: String,
    /// The same number grouped for reading.
    pub phone_display: String,
    pub callback_requested: bool,
    /// The first name of the technician who has the job.
    pub technician: Option<String>,
    /// When the technician expects to arrive, unix ms.
    pub eta_at: Option<i64>,
    /// Done, and the customer has not yet said how it went: the page asks once.
    #[serde(default)]
    pub follow_up_due: bool,
    pub timeline: Vec<Recorded>,
}

impl StatusView {
    /// Sets the status, owner and ETA from the timeline (they are never stored apart from it), and returns the
    /// fold for whoever needs more of it.
    pub fn derive(&mut self) -> Progress {
        let progress = Progress::fold(&self.timeline);
        self.status = progress.status();
        self.callback_requested = progress.callback_requested;
        self.follow_up_due = progress.status() == RequestStatus::Done && progress.rating.is_none();
        self.technician = progress.owner.as_ref().map(|(_, name)| name.clone());
        self.eta_at = progress.eta_at;
        progress
    }

    /// On the way and past the ETA by more than a minute at `now_ms`: the customer is told, not left to wonder.
    pub fn running_late(&self, now_ms: i64) -> bool {
        self.status == RequestStatus::OnTheWay && self.eta_at.is_some_and(|eta| now_ms > eta + 60_000)
    }

    /// Dispatch's alarm is up: the ladder reached its top rung (`progress` is this view's), or a child or a pet
    /// is inside and nobody has the job yet, which sounds it at once.
    pub fn alarm(&self, progress: &Progress) -> bool {
        progress.alarm() || (self.someone_inside && self.status == RequestStatus::Received)
    }

    /// The customer needs to know who is coming, not the staff list: first names only.
    pub fn for_customer(mut self) -> StatusView {
        self.technician = self.technician.as_deref().map(|n| first_name(n).to_owned());
        // A page someone passed on, an alert someone opened: dispatch's news; the customer hears when someone
        // takes it.
        self.timeline.retain(|e| !matches!(e.event, Event::Declined { .. } | Event::Seen { .. }));
        self.timeline = self.timeline.into_iter().map(Recorded::for_customer).collect();
        self
    }
}

pub fn first_name(name: &str) -> &str {
    name.split_whitespace().next().unwrap_or(name)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    use crate::domain::{EventKind, StaffName, event::tests::recorded};

    /// An event of `kind` with plain details: the ETA when it has one (15 min if not given), `staff` as who did
    /// it (and, for an assignment, as the technician given the job), level 1 for a rung, rating 5 for a follow-up.
    pub(crate) fn entry(kind: EventKind, at: i64, staff: Option<(i64, &str)>, eta: Option<u32>) -> Recorded {
        let eta_minutes = eta.unwrap_or(15);
        let event = match kind {
            EventKind::Received => Event::Received,
            EventKind::CallbackRequested => Event::CallbackRequested,
            EventKind::Cancelled => Event::Cancelled { reason: None },
            EventKind::Accepted => Event::Accepted { via: Default::default() },
            EventKind::Declined => Event::Declined { via: crate::domain::Channel::Sms },
            EventKind::Seen => Event::Seen { via: crate::domain::Channel::Push },
            EventKind::OnTheWay => Event::OnTheWay { eta_minutes },
            EventKind::EtaChanged => Event::EtaChanged { eta_minutes },
            EventKind::Arrived => Event::Arrived,
            EventKind::Done => Event::Done { note: "Fixed".into() },
            EventKind::Released => Event::Released { reason: "Can not".into() },
            EventKind::Assigned => Event::Assigned {
                technician: staff.map_or(StaffName::id(0), |(id, name)| StaffName { id, name: name.to_owned() }),
            },
            EventKind::ArrivalConfirmed => Event::ArrivalConfirmed,
            EventKind::CallbackMade => Event::CallbackMade,
            EventKind::Escalated => Event::escalated(1),
            EventKind::FollowUp => Event::FollowUp { rating: 5, comment: None },
        };
        recorded(event, at, staff)
    }

    fn status_of(kinds: &[EventKind]) -> RequestStatus {
        let timeline: Vec<_> = kinds.iter().map(|k| entry(*k, 0, Some((7, "Ana Lima")), Some(20))).collect();
        Progress::fold(&timeline).status()
    }

    #[test]
    fn status_follows_the_events() {
        use EventKind::*;
        use RequestStatus as S;
        assert_eq!(status_of(&[Received]), S::Received);
        assert_eq!(status_of(&[Received, CallbackRequested]), S::Received);
        assert_eq!(status_of(&[Received, Cancelled]), S::Cancelled);
        assert_eq!(status_of(&[Received, Cancelled, CallbackRequested]), S::Cancelled);
        assert_eq!(status_of(&[Received, Accepted, OnTheWay]), S::OnTheWay);
        assert_eq!(status_of(&[Received, Accepted, Released]), S::Received);
        assert_eq!(status_of(&[Received, Accepted, OnTheWay, Arrived, Done]), S::Done);
        // Nothing moves a closed request.
        assert_eq!(status_of(&[Received, Accepted, Done, Cancelled]), S::Done);
        assert_eq!(status_of(&[Received, Cancelled, Accepted]), S::Cancelled);
    }

    /// A flat tire request with this timeline, its status derived.
    pub(crate) fn view(number: &str, timeline: Vec<Recorded>) -> StatusView {
        let mut v = StatusView {
            number: number.into(),
            status: RequestStatus::Received,
            problem: Problem::FlatTire,
            problem_detail: None,
            place: None,
            lat: None,
            lon: None,
            accuracy_m: None,
            access_notes: None,
            vehicle: Vehicle::default(),
            someone_inside: false,
            phone: "+12015550123".into(),
            phone_display: String::new(),
            callback_requested: false,
            technician: None,
            eta_at: None,
            follow_up_due: false,
            timeline,
        };
        v.derive();
        v
    }

    #[test]
    fn the_customer_is_told_when_the_technician_runs_late() {
        use EventKind::*;
        let ana = Some((7, "Ana Lima"));
        let on_way = view(
            "RC-AAAA",
            vec![
                entry(Received, 0, None, None),
                entry(Accepted, 1_000, ana, None),
                entry(OnTheWay, 2_000, ana, Some(30)),
            ],
        );
        let eta = 2_000 + 30 * 60_000;
        assert!(!on_way.running_late(eta + 60_000), "a minute's grace");
        assert!(on_way.running_late(eta + 60_001));
        let mut there = on_way.clone();
        there.timeline.push(entry(Arrived, eta + 5 * 60_000, ana, None));
        there.derive();
        assert!(!there.running_late(eta + 10 * 60_000));
    }

    #[test]
    fn the_ladders_notes_stay_with_dispatch() {
        use EventKind::*;
        let ana = Some((7, "Ana Lima"));
        let why = Event::Escalated {
            level: 1,
            concern: Some(crate::domain::Concern::Late),
            every_ms: Some(10 * 60_000),
            technician: Some(StaffName { id: 7, name: "Ana Lima".into() }),
        };
        let escalated = recorded(why, 9, None);
        let v = view("RC-AAAA", vec![entry(Received, 0, None, None), entry(Accepted, 1, ana, None), escalated]);
        let customer = v.for_customer();
        assert_eq!(customer.timeline[2].event, Event::escalated(1));
        assert_eq!(customer.timeline[1].by.as_ref().map(|b| b.name.as_str()), Some("Ana"));
        assert!(!serde_json::to_string(&customer).unwrap_or_default().contains("Lima"));
    }

    #[test]
    fn the_customer_sees_first_names_and_the_latest_eta() {
        use EventKind::*;
        let timeline = vec![
            entry(Received, 0, None, None),
            entry(Accepted, 1_000, Some((7, "Ana Lima")), None),
            entry(OnTheWay, 2_000, Some((7, "Ana Lima")), Some(30)),
            entry(EtaChanged, 62_000, Some((7, "Ana Lima")), Some(40)),
        ];
        let progress = Progress::fold(&timeline);
        assert_eq!(progress.owner, Some((7, "Ana Lima".to_owned())));
        assert_eq!(progress.eta_at, Some(62_000 + 40 * 60_000));
        let released =
            Progress::fold(&[timeline.clone(), vec![entry(Released, 9, Some((7, "Ana Lima")), None)]].concat());
        assert_eq!((released.owner, released.eta_at), (None, None));
        assert_eq!(first_name("  Ana   Lima "), "Ana");
    }

    #[test]
    fn the_follow_up_is_asked_once_and_only_after_done() -> Result<(), FollowUpRefusal> {
        use EventKind::*;
        let ana = Some((7, "Ana Lima"));
        let working = vec![entry(Received, 0, None, None), entry(Accepted, 1, ana, None)];
        let p = Progress::fold(&working);
        assert_eq!(p.decide_follow_up(Some("5"), None), Err(FollowUpRefusal::NotDone));
        let done = [working, vec![entry(Done, 2, ana, None)]].concat();
        let p = Progress::fold(&done);
        for bad in [None, Some("0"), Some("6"), Some("five"), Some("")] {
            assert_eq!(p.decide_follow_up(bad, None), Err(FollowUpRefusal::BadRating), "{bad:?}");
        }
        assert!(matches!(p.decide_follow_up(Some("4"), Some("a\u{7}b")), Err(FollowUpRefusal::BadComment(_))));
        let step = p.decide_follow_up(Some(" 4 "), Some(" Quick and kind "))?;
        assert_eq!(step, Event::FollowUp { rating: 4, comment: Some("Quick and kind".into()) });
        let answer = recorded(step, 3, None);
        let answered = Progress::fold(&[done, vec![answer]].concat());
        assert_eq!((answered.status(), answered.rating), (RequestStatus::Done, Some(4)));
        assert_eq!(answered.decide_follow_up(Some("1"), None), Err(FollowUpRefusal::AlreadyAnswered));
        Ok(())
    }
}
