//! What happened to a request, as an append-only list of events. The status is derived from the events, never
//! stored beside them, so the timeline and the status can not disagree.

use serde::{Deserialize, Serialize};

use super::{Problem, Step, Vehicle};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EventKind {
    /// The request was stored: the customer's "one request" has reached us.
    Received,
    /// The customer would rather be called than wait on a line.
    CallbackRequested,
    /// The customer no longer needs help.
    Cancelled,
    /// A technician owns the request.
    Accepted,
    /// The technician is driving there; carries the ETA.
    OnTheWay,
    /// A new ETA while on the way: honest news when something slips.
    EtaChanged,
    Arrived,
    /// The job is finished; carries the technician's resolution note.
    Done,
    /// The technician can not take it after all ("can't take"); it goes back to the pool with the reason.
    Released,
    /// A dispatcher gave (or moved) the job to a technician.
    Assigned,
    /// Dispatch checked with the customer that help is there: recorded apart from the technician's "Arrived".
    ArrivalConfirmed,
    /// A dispatcher called the customer back.
    CallbackMade,
    /// Nobody owned the request (or the job ran long past its ETA) for too long: the next rung of the ladder.
    Escalated,
    /// After Done, the customer said how it went: a rating from 1 to 5 and perhaps a comment. Asked once.
    FollowUp,
}

impl EventKind {
    pub const ALL: [EventKind; 14] = [
        EventKind::Received,
        EventKind::CallbackRequested,
        EventKind::Cancelled,
        EventKind::Accepted,
        EventKind::OnTheWay,
        EventKind::EtaChanged,
        EventKind::Arrived,
        EventKind::Done,
        EventKind::Released,
        EventKind::Assigned,
        EventKind::ArrivalConfirmed,
        EventKind::CallbackMade,
        EventKind::Escalated,
        EventKind::FollowUp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Received => "received",
            EventKind::CallbackRequested => "callback_requested",
            EventKind::Cancelled => "cancelled",
            EventKind::Accepted => "accepted",
            EventKind::OnTheWay => "on_the_way",
            EventKind::EtaChanged => "eta_changed",
            EventKind::Arrived => "arrived",
            EventKind::Done => "done",
            EventKind::Released => "released",
            EventKind::Assigned => "assigned",
            EventKind::ArrivalConfirmed => "arrival_confirmed",
            EventKind::CallbackMade => "callback_made",
            EventKind::Escalated => "escalated",
            EventKind::FollowUp => "follow_up",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Done and cancelled are final: after one of them the request is closed for good.
    pub fn closes(self) -> bool {
        matches!(self, EventKind::Done | EventKind::Cancelled)
    }
}

/// Who did it: recorded with every event so dispatch can trust the timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Actor {
    Customer,
    Partner,
    System,
    /// A technician or dispatcher; the entry names them.
    Staff,
}

impl Actor {
    pub fn as_str(self) -> &'static str {
        match self {
            Actor::Customer => "customer",
            Actor::Partner => "partner",
            Actor::System => "system",
            Actor::Staff => "staff",
        }
    }

    pub fn parse(s: &str) -> Actor {
        match s {
            "customer" => Actor::Customer,
            "partner" => Actor::Partner,
            "staff" => Actor::Staff,
            _ => Actor::System,
        }
    }
}

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

    /// What the customer reads in big letters.
    pub fn headline(self) -> &'static str {
        match self {
            RequestStatus::Received => "Help is being arranged",
            RequestStatus::Accepted => "A technician has your request",
            RequestStatus::OnTheWay => "Your technician is on the way",
            RequestStatus::Arrived => "Your technician has arrived",
            RequestStatus::Done => "Done. Safe travels!",
            RequestStatus::Cancelled => "Request cancelled",
        }
    }

    /// The short word on a staff board.
    pub fn label(self) -> &'static str {
        match self {
            RequestStatus::Received => "New",
            RequestStatus::Accepted => "Accepted",
            RequestStatus::OnTheWay => "On the way",
            RequestStatus::Arrived => "Arrived",
            RequestStatus::Done => "Done",
            RequestStatus::Cancelled => "Cancelled",
        }
    }

    pub fn is_open(self) -> bool {
        !matches!(self, RequestStatus::Cancelled | RequestStatus::Done)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineEntry {
    pub kind: EventKind,
    pub actor: Actor,
    /// Unix milliseconds.
    pub at: i64,
    pub detail: Option<String>,
    /// With `on_the_way` and `eta_changed`.
    pub eta_minutes: Option<u32>,
    /// The member of staff who did it, by name (customers see the first name only).
    pub by: Option<String>,
    /// Kept on the server for deciding who owns the job; never sent to a browser.
    #[serde(skip)]
    pub staff_id: Option<i64>,
    /// With `assigned`: the technician a dispatcher gave the job to.
    pub technician: Option<String>,
    #[serde(skip)]
    pub technician_id: Option<i64>,
    /// With `escalated`: the rung reached (1 alert again, 2 backups, 3 dispatch alarm).
    pub level: Option<u8>,
    /// With `follow_up`: the customer's rating, 1 to 5.
    pub rating: Option<u8>,
}

impl TimelineEntry {
    /// The line the customer reads in their timeline.
    pub fn describe(&self) -> String {
        let who = self.by.as_deref().unwrap_or("Your technician");
        let eta = |m: Option<u32>| m.map(|m| format!(", about {m} min")).unwrap_or_default();
        match self.kind {
            EventKind::Received => "Request received. We are finding the nearest technician.".to_owned(),
            EventKind::CallbackRequested => "You asked us to call you back. We will call you shortly.".to_owned(),
            EventKind::Cancelled => match &self.detail {
                Some(reason) => format!("Request cancelled: {reason}"),
                None => "Request cancelled.".to_owned(),
            },
            EventKind::Accepted => format!("{who} has accepted your request."),
            EventKind::OnTheWay => format!("{who} is on the way{}.", eta(self.eta_minutes)),
            EventKind::EtaChanged => format!("New arrival time{}.", eta(self.eta_minutes)),
            EventKind::Arrived => format!("{who} has arrived."),
            EventKind::Done => match &self.detail {
                Some(note) => format!("Job done: {note}"),
                None => "Job done.".to_owned(),
            },
            EventKind::Released => {
                "Your technician could not come after all. We are finding another one now.".to_owned()
            }
            EventKind::Assigned => {
                format!("{} has your request.", self.technician.as_deref().unwrap_or("A technician"))
            }
            EventKind::ArrivalConfirmed => "We checked with you: help has arrived.".to_owned(),
            EventKind::CallbackMade => "We called you back.".to_owned(),
            EventKind::Escalated if self.level >= Some(3) => {
                "A dispatcher is now looking after your request personally.".to_owned()
            }
            EventKind::Escalated => "We are making sure help comes: our team has been alerted again.".to_owned(),
            EventKind::FollowUp => {
                let rating = self.rating.map(|r| format!(" You rated the help {r} of 5.")).unwrap_or_default();
                match &self.detail {
                    Some(comment) => format!("Thank you for telling us how it went.{rating} “{comment}”"),
                    None => format!("Thank you for telling us how it went.{rating}"),
                }
            }
        }
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
    pub fn from_timeline(timeline: &[TimelineEntry]) -> Progress {
        let mut p = Progress::default();
        for e in timeline {
            p.apply(e);
        }
        p
    }

    pub fn status(&self) -> RequestStatus {
        self.status.unwrap_or(RequestStatus::Received)
    }

    fn apply(&mut self, e: &TimelineEntry) {
        use RequestStatus as S;
        let closed = !self.status().is_open();
        let eta_at = |e: &TimelineEntry| e.eta_minutes.map(|m| e.at + i64::from(m) * 60_000);
        // Each step starts the ladder's clock again; a callback or an escalation is not a step.
        if !closed
            && !matches!(
                e.kind,
                EventKind::CallbackRequested | EventKind::CallbackMade | EventKind::Escalated | EventKind::FollowUp
            )
        {
            self.since = e.at;
            self.escalation = 0;
        }
        match e.kind {
            EventKind::Received => self.status = Some(S::Received),
            EventKind::CallbackRequested => self.callback_requested = true,
            EventKind::CallbackMade => self.callback_requested = false,
            EventKind::FollowUp => self.rating = e.rating,
            _ if closed => {}
            EventKind::Escalated => self.escalation = e.level.unwrap_or(0).max(self.escalation),
            EventKind::Cancelled => {
                self.status = Some(S::Cancelled);
                self.eta_at = None;
            }
            EventKind::Accepted => {
                self.status = Some(S::Accepted);
                self.owner = e.staff_id.map(|id| (id, e.by.clone().unwrap_or_default()));
            }
            EventKind::OnTheWay => {
                self.status = Some(S::OnTheWay);
                self.eta_at = eta_at(e);
            }
            EventKind::EtaChanged => self.eta_at = eta_at(e),
            EventKind::Arrived => {
                self.status = Some(S::Arrived);
                self.eta_at = None;
            }
            EventKind::Done => self.status = Some(S::Done),
            EventKind::Assigned => {
                self.status = Some(S::Accepted);
                self.owner = e.technician_id.map(|id| (id, e.technician.clone().unwrap_or_default()));
                self.eta_at = None;
            }
            EventKind::ArrivalConfirmed => {
                self.arrival_confirmed = true;
                self.status = Some(S::Arrived);
                self.eta_at = None;
            }
            EventKind::Released => {
                self.status = Some(S::Received);
                self.owner = None;
                self.eta_at = None;
            }
        }
    }
}

/// Why the customer's answer to "Are you satisfied?" is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FollowUpRefusal {
    #[error("Choose how satisfied you are, from 1 (not at all) to 5 (very).")]
    BadRating,
    #[error("We ask how it went once the job is done.")]
    NotDone,
    #[error("Thank you: we already have your answer.")]
    AlreadyAnswered,
    #[error("{0}")]
    BadComment(String),
}

impl Progress {
    /// The customer's answer after Done, once: a rating from 1 to 5 and an optional comment.
    pub fn decide_follow_up(&self, rating: Option<&str>, comment: Option<&str>) -> Result<Step, FollowUpRefusal> {
        let rating = rating
            .and_then(|r| r.trim().parse::<u8>().ok())
            .filter(|r| (1..=5).contains(r))
            .ok_or(FollowUpRefusal::BadRating)?;
        let comment = super::text::clean(comment, super::MAX_NOTES, true)
            .map_err(|p| FollowUpRefusal::BadComment(p.message("The comment")))?;
        if self.status() != RequestStatus::Done {
            return Err(FollowUpRefusal::NotDone);
        }
        if self.rating.is_some() {
            return Err(FollowUpRefusal::AlreadyAnswered);
        }
        Ok(Step { rating: Some(rating), ..Step::new(EventKind::FollowUp, comment, None) })
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
    pub timeline: Vec<TimelineEntry>,
}

impl StatusView {
    /// Sets the status, owner and ETA from the timeline: they are never stored apart from it.
    pub fn derive(&mut self) {
        let progress = Progress::from_timeline(&self.timeline);
        self.status = progress.status();
        self.callback_requested = progress.callback_requested;
        self.follow_up_due = progress.status() == RequestStatus::Done && progress.rating.is_none();
        self.technician = progress.owner.map(|(_, name)| name);
        self.eta_at = progress.eta_at;
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
        let short = |n: &mut Option<String>| *n = n.as_deref().map(|n| first_name(n).to_owned());
        short(&mut self.technician);
        for e in &mut self.timeline {
            short(&mut e.by);
            short(&mut e.technician);
            // The ladder's notes are for dispatch (and name the technician in full), and so is a technician's
            // reason for handing a job back; the customer reads `describe`.
            if matches!(e.kind, EventKind::Escalated | EventKind::Released) {
                e.detail = None;
            }
        }
        self
    }
}

pub fn first_name(name: &str) -> &str {
    name.split_whitespace().next().unwrap_or(name)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn entry(kind: EventKind, at: i64, staff: Option<(i64, &str)>, eta: Option<u32>) -> TimelineEntry {
        TimelineEntry {
            kind,
            actor: if staff.is_some() { Actor::Staff } else { Actor::Customer },
            at,
            detail: None,
            eta_minutes: eta,
            by: staff.map(|(_, n)| n.to_owned()),
            staff_id: staff.map(|(id, _)| id),
            technician: None,
            technician_id: None,
            level: None,
            rating: None,
        }
    }

    fn status_of(kinds: &[EventKind]) -> RequestStatus {
        let timeline: Vec<_> = kinds.iter().map(|k| entry(*k, 0, Some((7, "Ana Lima")), Some(20))).collect();
        Progress::from_timeline(&timeline).status()
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
    pub(crate) fn view(number: &str, timeline: Vec<TimelineEntry>) -> StatusView {
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
        let escalated = TimelineEntry {
            detail: Some("10 min past the ETA: Ana Lima asked for news.".into()),
            level: Some(1),
            ..entry(Escalated, 9, None, None)
        };
        let v = view("RC-AAAA", vec![entry(Received, 0, None, None), entry(Accepted, 1, ana, None), escalated]);
        let customer = v.for_customer();
        assert_eq!(customer.timeline[2].detail, None);
        assert_eq!(customer.timeline[1].by.as_deref(), Some("Ana"));
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
        let progress = Progress::from_timeline(&timeline);
        assert_eq!(progress.owner, Some((7, "Ana Lima".to_owned())));
        assert_eq!(progress.eta_at, Some(62_000 + 40 * 60_000));
        assert_eq!(timeline[2].describe(), "Ana Lima is on the way, about 30 min.");
        let released = Progress::from_timeline(
            &[timeline.clone(), vec![entry(Released, 9, Some((7, "Ana Lima")), None)]].concat(),
        );
        assert_eq!((released.owner, released.eta_at), (None, None));
        assert_eq!(first_name("  Ana   Lima "), "Ana");
    }

    #[test]
    fn the_follow_up_is_asked_once_and_only_after_done() -> Result<(), FollowUpRefusal> {
        use EventKind::*;
        let ana = Some((7, "Ana Lima"));
        let working = vec![entry(Received, 0, None, None), entry(Accepted, 1, ana, None)];
        let p = Progress::from_timeline(&working);
        assert_eq!(p.decide_follow_up(Some("5"), None), Err(FollowUpRefusal::NotDone));
        let done = [working, vec![entry(Done, 2, ana, None)]].concat();
        let p = Progress::from_timeline(&done);
        for bad in [None, Some("0"), Some("6"), Some("five"), Some("")] {
            assert_eq!(p.decide_follow_up(bad, None), Err(FollowUpRefusal::BadRating), "{bad:?}");
        }
        assert!(matches!(p.decide_follow_up(Some("4"), Some("a\u{7}b")), Err(FollowUpRefusal::BadComment(_))));
        let step = p.decide_follow_up(Some(" 4 "), Some(" Quick and kind "))?;
        assert_eq!((step.kind, step.rating, step.detail.as_deref()), (FollowUp, Some(4), Some("Quick and kind")));
        let answer = TimelineEntry { rating: Some(4), detail: step.detail, ..entry(FollowUp, 3, None, None) };
        assert_eq!(
            answer.describe(),
            "Thank you for telling us how it went. You rated the help 4 of 5. “Quick and kind”"
        );
        let answered = Progress::from_timeline(&[done, vec![answer]].concat());
        assert_eq!((answered.status(), answered.rating), (RequestStatus::Done, Some(4)));
        assert_eq!(answered.decide_follow_up(Some("1"), None), Err(FollowUpRefusal::AlreadyAnswered));
        Ok(())
    }

    #[test]
    fn event_kinds_round_trip_through_their_names() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(EventKind::parse("exploded"), None);
    }
}
