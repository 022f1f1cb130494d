//! A technician's steps on a job, and which of them are allowed when. The order is the rule of service:
//! accepted → on the way (with an ETA) → arrived → done; "can't take" hands the job back to the pool. The first
//! accept wins; everyone else is told who has it.

use serde::{Deserialize, Serialize};

use super::{
    Event, Problem, Progress, RequestStatus, StatusView,
    text::{MAX_NOTES, TextProblem, clean},
};

/// One line on a technician's board.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobCard {
    pub number: String,
    pub status: RequestStatus,
    pub problem: Problem,
    pub place: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// Unix ms when the customer sent it: the board shows how long they have waited.
    pub created_at: i64,
    pub technician: Option<String>,
    pub eta_at: Option<i64>,
    /// The job belongs to whoever is looking.
    pub mine: bool,
    /// E.164 and grouped for reading: dispatch calls back from the board.
    pub phone: String,
    pub phone_display: String,
    pub callback_requested: bool,
    pub arrival_confirmed: bool,
    /// The escalation ladder: the rung reached, when the next falls due (unix ms), and whether the alarm is up.
    pub escalation: u8,
    pub next_escalation_at: Option<i64>,
    pub alarm: bool,
    /// A child or a pet is shut inside: first on every list.
    #[serde(default)]
    pub someone_inside: bool,
}

/// What a technician's board shows: open requests nobody has yet, their own jobs, and who is on duty.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Board {
    pub on_duty: bool,
    pub open: Vec<JobCard>,
    pub mine: Vec<JobCard>,
    pub crew: Vec<CrewMember>,
}

/// A technician on duty, and whether a job alert can reach their phone with the app closed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CrewMember {
    pub name: String,
    /// Unix ms.
    pub on_duty_since: i64,
    /// Phones subscribed to job alerts.
    pub devices: u32,
    /// The last alert a push service accepted, unix ms.
    pub last_reached_at: Option<i64>,
    /// The last alert failed after the last success.
    pub failing: bool,
    /// Texts and calls reach them when push does not (a mobile number, and texts are on).
    #[serde(default)]
    pub texts: bool,
    /// The last text paging them failed.
    #[serde(default)]
    pub texts_failing: bool,
}

impl CrewMember {
    /// Whether a job alert reaches them with the app closed: a phone that takes push, or texts that go through.
    pub fn reachable(&self) -> bool {
        (self.devices > 0 && !self.failing) || (self.texts && !self.texts_failing)
    }
}

/// A line of the service truck's checklist for one job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckLine {
    pub id: i64,
    /// A question to ask the customer before setting off, rather than something to load.
    pub question: bool,
    pub label: String,
    pub checked: bool,
}

/// Everything on the technician's job screen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobView {
    /// What the customer sees too, with full names.
    pub request: StatusView,
    pub customer_name: Option<String>,
    pub notes: Option<String>,
    pub created_at: i64,
    pub mine: bool,
    pub checklist: Vec<CheckLine>,
    /// The texts and calls this viewer may see: a technician's own pages; for dispatch, all of them.
    #[serde(default)]
    pub sent: Vec<super::SentLine>,
}

/// Great-circle distance in metres (haversine): "how far is it" before setting off.
pub fn distance_m(from: (f64, f64), to: (f64, f64)) -> f64 {
    const EARTH_RADIUS_M: f64 = 6_371_000.0;
    let (lat1, lat2) = (from.0.to_radians(), to.0.to_radians());
    let (dlat, dlon) = ((to.0 - from.0).to_radians(), (to.1 - from.1).to_radians());
    let a = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().asin()
}

/// One tap to navigate to the exact coordinates, in whichever app the technician uses: the app's brand, or
/// `None` for the phone's own choice of map app (which `texts` names).
pub fn navigation_links(lat: f64, lon: f64) -> [(Option<&'static str>, String); 4] {
    [
        (Some("Google Maps"), format!("https://www.google.com/maps/dir/?api=1&destination={lat},{lon}")),
        (Some("Apple Maps"), format!("https://maps.apple.com/?daddr={lat},{lon}")),
        (Some("Waze"), format!("https://waze.com/ul?ll={lat},{lon}&navigate=yes")),
        (None, format!("geo:{lat},{lon}?q={lat},{lon}")),
    ]
}

/// What a technician asks to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobAction {
    Accept,
    /// Set off (or, already driving, change the ETA).
    OnMyWay {
        eta_minutes: u32,
    },
    Arrived,
    Done {
        note: String,
    },
    CantTake {
        reason: String,
    },
}

/// The longest ETA we accept: beyond ten hours it is not "on the way".
pub const MAX_ETA_MINUTES: u32 = 600;

/// Why an action is refused; `texts` says it to the technician in their language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    TakenBy(String),
    NotYours(String),
    NotAccepted,
    /// Done or cancelled.
    Closed(RequestStatus),
    AlreadyYours,
    NotOnTheWay,
    NotArrived,
    AlreadyArrived,
    /// One trip at a time: "on my way" pressed while still on another job tells the customer a lie.
    OnAnotherJob(String),
    BadEta,
    NoteRequired,
    ReasonRequired,
    /// The note (what was done, or why not).
    BadText(TextProblem),
    UnknownAction(String),
}

impl JobAction {
    /// Reads an action as a form or an API names it: `accept`, `on_my_way` (+ `eta_minutes`), `arrived`,
    /// `done` (+ `note`), `cant_take` (+ `note` as the reason).
    pub fn parse(name: &str, eta_minutes: Option<&str>, note: Option<&str>) -> Result<JobAction, Refusal> {
        let text = |missing: Refusal| -> Result<String, Refusal> {
            clean(note, MAX_NOTES, true).map_err(Refusal::BadText)?.ok_or(missing)
        };
        Ok(match name {
            "accept" => JobAction::Accept,
            "on_my_way" => {
                let eta = eta_minutes.map(str::trim).and_then(|m| m.parse::<u32>().ok());
                match eta {
                    Some(m) if (1..=MAX_ETA_MINUTES).contains(&m) => JobAction::OnMyWay { eta_minutes: m },
                    _ => return Err(Refusal::BadEta),
                }
            }
            "arrived" => JobAction::Arrived,
            "done" => JobAction::Done { note: text(Refusal::NoteRequired)? },
            "cant_take" => JobAction::CantTake { reason: text(Refusal::ReasonRequired)? },
            other => return Err(Refusal::UnknownAction(other.chars().take(40).collect())),
        })
    }
}

impl Progress {
    /// Decides whether `staff_id` may take `action` now, and what to record if so. `trip` is the number of the
    /// technician's other job under way (on the way or arrived), if there is one.
    pub fn decide(&self, staff_id: i64, action: JobAction, trip: Option<&str>) -> Result<Event, Refusal> {
        use RequestStatus as S;
        let status = self.status();
        if !status.is_open() {
            return Err(Refusal::Closed(status));
        }
        if let JobAction::Accept = action {
            return match &self.owner {
                None => Ok(Event::Accepted { via: super::Channel::App }),
                Some((id, _)) if *id == staff_id => Err(Refusal::AlreadyYours),
                Some((_, name)) => Err(Refusal::TakenBy(name.clone())),
            };
        }
        match &self.owner {
            None => return Err(Refusal::NotAccepted),
            Some((id, name)) if *id != staff_id => return Err(Refusal::NotYours(name.clone())),
            Some(_) => {}
        }
        match (action, status) {
            (JobAction::OnMyWay { eta_minutes }, S::Accepted) => match trip {
                Some(other) => Err(Refusal::OnAnotherJob(other.to_owned())),
                None => Ok(Event::OnTheWay { eta_minutes }),
            },
            (JobAction::OnMyWay { eta_minutes }, S::OnTheWay) => Ok(Event::EtaChanged { eta_minutes }),
            (JobAction::OnMyWay { .. }, _) => Err(Refusal::AlreadyArrived),
            // Arriving without pressing "on my way" first is normal when the truck was round the corner.
            (JobAction::Arrived, S::Accepted | S::OnTheWay) => Ok(Event::Arrived),
            (JobAction::Arrived, _) => Err(Refusal::AlreadyArrived),
            (JobAction::Done { note }, S::Arrived) => Ok(Event::Done { note }),
            (JobAction::Done { .. }, _) => Err(Refusal::NotArrived),
            (JobAction::CantTake { reason }, _) => Ok(Event::Released { reason }),
            (JobAction::Accept, _) => Err(Refusal::AlreadyYours),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EventKind, status::tests::entry};
    use EventKind::*;

    const ANA: (i64, &str) = (1, "Ana Lima");
    const BEN: (i64, &str) = (2, "Ben Okafor");

    fn progress(steps: &[(EventKind, Option<(i64, &'static str)>)]) -> Progress {
        let timeline: Vec<_> = steps.iter().map(|(k, s)| entry(*k, 0, *s, Some(15))).collect();
        Progress::fold(&timeline)
    }

    #[test]
    fn the_first_accept_wins_and_the_others_learn_who_took_it() {
        let open = progress(&[(Received, None)]);
        assert_eq!(open.decide(ANA.0, JobAction::Accept, None).map(|s| s.kind()), Ok(Accepted));
        let taken = progress(&[(Received, None), (Accepted, Some(ANA))]);
        assert_eq!(taken.decide(BEN.0, JobAction::Accept, None), Err(Refusal::TakenBy("Ana Lima".into())));
        assert_eq!(taken.decide(ANA.0, JobAction::Accept, None), Err(Refusal::AlreadyYours));
        assert_eq!(taken.decide(BEN.0, JobAction::Arrived, None), Err(Refusal::NotYours("Ana Lima".into())));
    }

    #[test]
    fn steps_go_in_order() {
        let open = progress(&[(Received, None)]);
        assert_eq!(open.decide(ANA.0, JobAction::Arrived, None), Err(Refusal::NotAccepted));
        let accepted = progress(&[(Received, None), (Accepted, Some(ANA))]);
        let done = JobAction::Done { note: "new battery".into() };
        assert_eq!(accepted.decide(ANA.0, done.clone(), None), Err(Refusal::NotArrived));
        let on_way = accepted.decide(ANA.0, JobAction::OnMyWay { eta_minutes: 25 }, None);
        assert_eq!(on_way, Ok(Event::OnTheWay { eta_minutes: 25 }));
        let driving = progress(&[(Received, None), (Accepted, Some(ANA)), (OnTheWay, Some(ANA))]);
        assert_eq!(
            driving.decide(ANA.0, JobAction::OnMyWay { eta_minutes: 35 }, None).map(|s| s.kind()),
            Ok(EtaChanged)
        );
        let there = progress(&[(Received, None), (Accepted, Some(ANA)), (Arrived, Some(ANA))]);
        assert_eq!(there.decide(ANA.0, JobAction::OnMyWay { eta_minutes: 5 }, None), Err(Refusal::AlreadyArrived));
        assert_eq!(there.decide(ANA.0, done, None), Ok(Event::Done { note: "new battery".into() }));
        let closed = progress(&[(Received, None), (Accepted, Some(ANA)), (Arrived, Some(ANA)), (Done, Some(ANA))]);
        assert_eq!(closed.decide(ANA.0, JobAction::Arrived, None), Err(Refusal::Closed(RequestStatus::Done)));
        let cancelled = progress(&[(Received, None), (Cancelled, None)]);
        assert_eq!(cancelled.decide(ANA.0, JobAction::Accept, None), Err(Refusal::Closed(RequestStatus::Cancelled)));
    }

    #[test]
    fn one_trip_at_a_time() {
        let accepted = progress(&[(Received, None), (Accepted, Some(ANA))]);
        let set_off = JobAction::OnMyWay { eta_minutes: 30 };
        assert_eq!(
            accepted.decide(ANA.0, set_off.clone(), Some("RC-7K3Q")),
            Err(Refusal::OnAnotherJob("RC-7K3Q".into()))
        );
        assert_eq!(accepted.decide(ANA.0, set_off, None).map(|s| s.kind()), Ok(OnTheWay));
        // Arriving, a new ETA on this trip and handing a job back are never blocked by another job.
        let driving = progress(&[(Received, None), (Accepted, Some(ANA)), (OnTheWay, Some(ANA))]);
        let later = JobAction::OnMyWay { eta_minutes: 40 };
        assert_eq!(driving.decide(ANA.0, later, Some("RC-7K3Q")).map(|s| s.kind()), Ok(EtaChanged));
        assert_eq!(accepted.decide(ANA.0, JobAction::Arrived, Some("RC-7K3Q")).map(|s| s.kind()), Ok(Arrived));
        let hand_back = JobAction::CantTake { reason: "still at the other job".into() };
        assert_eq!(accepted.decide(ANA.0, hand_back, Some("RC-7K3Q")).map(|s| s.kind()), Ok(Released));
    }

    #[test]
    fn cant_take_puts_the_job_back_for_anyone() {
        let released = progress(&[(Received, None), (Accepted, Some(ANA)), (Released, Some(ANA))]);
        assert_eq!(released.status(), RequestStatus::Received);
        assert_eq!(released.decide(BEN.0, JobAction::Accept, None).map(|s| s.kind()), Ok(Accepted));
    }

    #[test]
    fn distances_and_links_point_at_the_customer() {
        // Brandenburg Gate to Berlin Hauptbahnhof: about 1.6 km.
        let d = distance_m((52.5163, 13.3777), (52.5251, 13.3694));
        assert!((1_000.0..1_300.0).contains(&d), "{d}");
        assert!(distance_m((0.0, 0.0), (0.0, 0.0)).abs() < 1e-9);
        let links = navigation_links(52.5163, 13.3777);
        assert!(links.iter().all(|(_, url)| url.contains("52.5163") && url.contains("13.3777")));
        assert!(links[3].1.starts_with("geo:"));
    }

    #[test]
    fn actions_are_read_with_clear_refusals() {
        assert_eq!(JobAction::parse("on_my_way", Some(" 20 "), None), Ok(JobAction::OnMyWay { eta_minutes: 20 }));
        for bad in [None, Some(""), Some("0"), Some("-5"), Some("601"), Some("soon"), Some("2.5")] {
            assert_eq!(JobAction::parse("on_my_way", bad, None), Err(Refusal::BadEta), "{bad:?}");
        }
        assert_eq!(JobAction::parse("done", None, Some("   ")), Err(Refusal::NoteRequired));
        assert_eq!(JobAction::parse("cant_take", None, None), Err(Refusal::ReasonRequired));
        assert!(matches!(JobAction::parse("done", None, Some("a\u{7}b")), Err(Refusal::BadText(_))));
        assert!(matches!(JobAction::parse("teleport", None, None), Err(Refusal::UnknownAction(_))));
    }
}
