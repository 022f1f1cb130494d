//! What a dispatcher does to a request, and when it is allowed: assign or reassign a technician, confirm the
//! arrival with the customer, cancel with a reason, and mark a callback made. Plus what the dispatch board shows.

use serde::{Deserialize, Serialize};

use super::{
    ChecklistTemplate, CrewMember, Event, JobCard, JobView, Progress, Refusal, RequestStatus, Role, StaffName,
    text::{MAX_NOTES, TextProblem, clean},
};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DispatchAction {
    Assign { technician_id: i64 },
    ConfirmArrival,
    Cancel { reason: String },
    CallbackMade,
}

/// Why a member's alert delays were refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DelaysRefusal {
    /// Not whole minutes from 1 to 120.
    NotMinutes,
    CallBeforeText,
}

/// Why a dispatcher's action is refused; `texts` says it in the dispatcher's language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DispatchRefusal {
    Job(Refusal),
    AlreadyHas(String),
    AlreadyThere,
    NobodyAssigned,
    AlreadyConfirmed,
    NoCallbackWaiting,
    NoTechnician,
    ReasonRequired,
    /// The reason for a cancellation.
    BadReason(TextProblem),
    UnknownAction(String),
}

impl From<Refusal> for DispatchRefusal {
    fn from(refusal: Refusal) -> DispatchRefusal {
        DispatchRefusal::Job(refusal)
    }
}

impl DispatchAction {
    /// Reads an action as a form names it: `assign` (+ `technician`), `confirm_arrival`, `cancel` (+ `reason`),
    /// `callback_made`.
    pub fn parse(
        name: &str,
        technician: Option<&str>,
        reason: Option<&str>,
    ) -> Result<DispatchAction, DispatchRefusal> {
        Ok(match name {
            "assign" => DispatchAction::Assign {
                technician_id: technician
                    .and_then(|t| t.trim().parse().ok())
                    .filter(|id| *id > 0)
                    .ok_or(DispatchRefusal::NoTechnician)?,
            },
            "confirm_arrival" => DispatchAction::ConfirmArrival,
            "cancel" => DispatchAction::Cancel {
                reason: clean(reason, MAX_NOTES, true)
                    .map_err(DispatchRefusal::BadReason)?
                    .ok_or(DispatchRefusal::ReasonRequired)?,
            },
            "callback_made" => DispatchAction::CallbackMade,
            other => return Err(DispatchRefusal::UnknownAction(other.chars().take(40).collect())),
        })
    }
}

impl Progress {
    /// Decides whether dispatch may take `action` now, and what to record if so. That an assigned technician
    /// exists and works jobs is the caller's check: it needs the staff list.
    pub fn decide_dispatch(&self, action: &DispatchAction) -> Result<Event, DispatchRefusal> {
        use RequestStatus as S;
        let status = self.status();
        if let DispatchAction::CallbackMade = action {
            // A callback is owed even on a closed request: the customer asked.
            return if self.callback_requested {
                Ok(Event::CallbackMade)
            } else {
                Err(DispatchRefusal::NoCallbackWaiting)
            };
        }
        if !status.is_open() {
            return Err(Refusal::Closed(status).into());
        }
        match action {
            DispatchAction::Assign { technician_id } => match &self.owner {
                Some((id, name)) if id == technician_id => Err(DispatchRefusal::AlreadyHas(name.clone())),
                _ if status == S::Arrived => Err(DispatchRefusal::AlreadyThere),
                _ => Ok(Event::Assigned { technician: StaffName::id(*technician_id) }),
            },
            DispatchAction::ConfirmArrival if self.arrival_confirmed => Err(DispatchRefusal::AlreadyConfirmed),
            DispatchAction::ConfirmArrival if status == S::Received => Err(DispatchRefusal::NobodyAssigned),
            DispatchAction::ConfirmArrival => Ok(Event::ArrivalConfirmed),
            DispatchAction::Cancel { reason } => Ok(Event::Cancelled { reason: Some(reason.clone()) }),
            DispatchAction::CallbackMade => unreachable!("answered above"),
        }
    }
}

/// A request the store could not read, by number, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnreadableRequest {
    pub number: String,
    /// E.164, to call the customer: the one thing dispatch can still do for them.
    pub phone: String,
    pub reason: String,
}

/// What a search found, newest first, and whether its limit cut it short.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Found {
    pub cards: Vec<JobCard>,
    pub more: bool,
}

/// How many open requests one page of the dispatch board shows.
pub const BOARD_PAGE: usize = 100;

/// A page number as typed in an address: missing, zero or nonsense is the first page.
pub fn page_number(raw: Option<&str>) -> usize {
    raw.and_then(|p| p.trim().parse::<usize>().ok()).filter(|p| *p >= 1).unwrap_or(1)
}

/// A technician dispatch can assign, and where they stand on the roster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RosterLine {
    pub id: i64,
    pub name: String,
    /// Unix ms since when on duty (a primary), if on duty.
    pub on_duty_since: Option<i64>,
    /// Alerted when the on-duty technicians have not answered (the ladder's second rung).
    pub backup: bool,
}

/// The dispatch board: one page of the open requests (alarms and unowned first, so page 1 is what matters
/// most), the counts over all of them, the callback queue, and the crew.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DispatchBoard {
    pub open: Vec<JobCard>,
    /// Over every page: open requests, those waiting for a technician, and alarms (unreadable ones included).
    pub open_total: usize,
    pub waiting_total: usize,
    pub alarm_total: usize,
    /// This page (from 1) and how many there are.
    pub page: usize,
    pub pages: usize,
    /// Stored requests that cannot be read: each is an alarm until an admin repairs it.
    pub unreadable: Vec<UnreadableRequest>,
    /// The oldest callback requests first, at most a page of them; `callbacks_total` counts them all.
    pub callbacks: Vec<JobCard>,
    pub callbacks_total: usize,
    pub crew: Vec<CrewMember>,
    pub roster: Vec<RosterLine>,
    /// How long each rung of the escalation ladder waits, in ms (shown as a countdown).
    pub escalate_every_ms: i64,
    pub texting: Texting,
}

/// Whether texts and calls back up push, as dispatch sees it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Texting {
    /// Texts after this long, calls after this long (ms), when on.
    pub after_ms: Option<(i64, i64)>,
    /// The provider has not taken texts or calls since this time (unix ms): its last word. An alarm.
    pub trouble: Option<(i64, super::SendNote)>,
}

/// One request as dispatch sees it: the technician's job view plus the customer's status link and who can
/// take it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DispatchView {
    pub job: JobView,
    /// `/r/{token}`: handed to a caller on the phone.
    pub status_path: String,
    pub roster: Vec<RosterLine>,
    /// web, api or phone.
    pub source: String,
    /// The partner whose key sent it (source api).
    pub partner: Option<String>,
    pub alarm: bool,
    pub arrival_confirmed: bool,
    /// The customer's language tag (`ru`): their texts, and the link dispatch texts them, are in it.
    #[serde(default)]
    pub language: String,
}

/// A member of staff as the setup page lists them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StaffLine {
    pub name: String,
    pub login: String,
    pub role: Role,
    pub on_duty_since: Option<i64>,
    pub backup: bool,
    pub disabled: bool,
    /// Where texts and calls reach them, for reading.
    pub phone: Option<String>,
    /// Their own delays, in whole minutes, for the text and the call after a push; `None`: the server's.
    #[serde(default)]
    pub sms_after_min: Option<i64>,
    #[serde(default)]
    pub call_after_min: Option<i64>,
    /// Their language's tag; `None`: the server's default.
    #[serde(default)]
    pub locale: Option<String>,
}

/// Dispatch's setup page: the staff list and the truck checklists.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Setup {
    pub staff: Vec<StaffLine>,
    pub checklists: Vec<ChecklistTemplate>,
    pub texting: Texting,
}

/// A member's own delays for the text and the call after a push, as typed in whole minutes (blank: the server's
/// `defaults`, in ms). The call comes after the text.
pub fn alert_delays(sms: &str, call: &str, defaults: (i64, i64)) -> Result<(Option<i64>, Option<i64>), DelaysRefusal> {
    let minutes = |typed: &str| -> Result<Option<i64>, DelaysRefusal> {
        match typed.trim() {
            "" => Ok(None),
            t => t
                .parse::<i64>()
                .ok()
                .filter(|m| (1..=120).contains(m))
                .map(|m| Some(m * 60_000))
                .ok_or(DelaysRefusal::NotMinutes),
        }
    };
    let (sms, call) = (minutes(sms)?, minutes(call)?);
    if call.unwrap_or(defaults.1) <= sms.unwrap_or(defaults.0) {
        return Err(DelaysRefusal::CallBeforeText);
    }
    Ok((sms, call))
}

/// The order dispatch reads: alarms first, then a child or pet inside, then nobody-has-it, then the rest; oldest
/// first within each.
pub fn dispatch_order(cards: &mut [JobCard]) {
    cards.sort_by_key(|c| (!c.alarm, !c.someone_inside, c.status != RequestStatus::Received, c.created_at));
}

/// The order of the technicians' "waiting" list: a child or pet inside first, otherwise as given (oldest first).
pub fn waiting_order(cards: &mut [JobCard]) {
    cards.sort_by_key(|c| !c.someone_inside);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EventKind, Recorded, status::tests::entry};
    use EventKind::*;

    const ANA: Option<(i64, &str)> = Some((1, "Ana Lima"));

    fn progress(t: &[Recorded]) -> Progress {
        Progress::fold(t)
    }

    #[test]
    fn dispatch_assigns_and_reassigns_until_the_technician_is_there() {
        let open = progress(&[entry(Received, 0, None, None)]);
        let step = open.decide_dispatch(&DispatchAction::Assign { technician_id: 2 });
        assert_eq!(step, Ok(Event::Assigned { technician: StaffName::id(2) }));
        let ben = StaffName { id: 2, name: "Ben Okafor".into() };
        let assigned = Recorded {
            event: Event::Assigned { technician: ben },
            ..entry(Assigned, 5, Some((9, "Dee Dispatch")), None)
        };
        let p = progress(&[entry(Received, 0, None, None), assigned.clone()]);
        assert_eq!((p.status(), p.owner.clone()), (RequestStatus::Accepted, Some((2, "Ben Okafor".into()))));
        assert_eq!(
            p.decide_dispatch(&DispatchAction::Assign { technician_id: 2 }),
            Err(DispatchRefusal::AlreadyHas("Ben Okafor".into()))
        );
        assert!(p.decide_dispatch(&DispatchAction::Assign { technician_id: 1 }).is_ok(), "reassign");
        let there =
            progress(&[entry(Received, 0, None, None), entry(Accepted, 1, ANA, None), entry(Arrived, 2, ANA, None)]);
        assert_eq!(
            there.decide_dispatch(&DispatchAction::Assign { technician_id: 2 }),
            Err(DispatchRefusal::AlreadyThere)
        );
    }

    #[test]
    fn arrival_is_confirmed_once_and_only_when_someone_has_the_job() {
        let open = progress(&[entry(Received, 0, None, None)]);
        assert_eq!(open.decide_dispatch(&DispatchAction::ConfirmArrival), Err(DispatchRefusal::NobodyAssigned));
        let driving =
            vec![entry(Received, 0, None, None), entry(Accepted, 1, ANA, None), entry(OnTheWay, 2, ANA, Some(9))];
        let step = progress(&driving).decide_dispatch(&DispatchAction::ConfirmArrival);
        assert_eq!(step.map(|s| s.kind()), Ok(ArrivalConfirmed));
        let confirmed = [driving, vec![entry(ArrivalConfirmed, 3, Some((9, "Dee")), None)]].concat();
        let p = progress(&confirmed);
        assert_eq!((p.status(), p.arrival_confirmed, p.eta_at), (RequestStatus::Arrived, true, None));
        assert_eq!(p.decide_dispatch(&DispatchAction::ConfirmArrival), Err(DispatchRefusal::AlreadyConfirmed));
    }

    #[test]
    fn callbacks_are_marked_made_and_closed_requests_refuse_the_rest() {
        let asked = vec![entry(Received, 0, None, None), entry(CallbackRequested, 1, None, None)];
        assert_eq!(progress(&asked).decide_dispatch(&DispatchAction::CallbackMade).map(|s| s.kind()), Ok(CallbackMade));
        let called = [asked, vec![entry(CallbackMade, 2, Some((9, "Dee")), None)]].concat();
        assert!(!progress(&called).callback_requested);
        assert_eq!(
            progress(&called).decide_dispatch(&DispatchAction::CallbackMade),
            Err(DispatchRefusal::NoCallbackWaiting)
        );
        let cancelled = [called, vec![entry(Cancelled, 3, Some((9, "Dee")), None)]].concat();
        assert_eq!(
            progress(&cancelled).decide_dispatch(&DispatchAction::ConfirmArrival),
            Err(Refusal::Closed(RequestStatus::Cancelled).into())
        );
    }

    #[test]
    fn actions_are_read_with_clear_refusals() {
        assert_eq!(DispatchAction::parse("assign", Some(" 7 "), None), Ok(DispatchAction::Assign { technician_id: 7 }));
        assert_eq!(DispatchAction::parse("assign", Some("x"), None), Err(DispatchRefusal::NoTechnician));
        assert_eq!(DispatchAction::parse("cancel", None, Some("  ")), Err(DispatchRefusal::ReasonRequired));
        assert_eq!(
            DispatchAction::parse("cancel", None, Some("Customer got going")),
            Ok(DispatchAction::Cancel { reason: "Customer got going".into() })
        );
        assert!(matches!(DispatchAction::parse("nuke", None, None), Err(DispatchRefusal::UnknownAction(_))));
    }

    #[test]
    fn a_members_delays_are_whole_minutes_and_the_call_comes_last() {
        let defaults = (60_000, 180_000);
        assert_eq!(alert_delays("", "", defaults), Ok((None, None)));
        assert_eq!(alert_delays(" 2 ", "5", defaults), Ok((Some(120_000), Some(300_000))));
        assert_eq!(alert_delays("", "2", defaults), Ok((None, Some(120_000))));
        assert!(alert_delays("4", "", defaults).is_err(), "a text after 4 min, a call after the usual 3");
        assert!(alert_delays("0", "", defaults).is_err());
        assert!(alert_delays("1.5", "", defaults).is_err());
        assert!(alert_delays("", "121", defaults).is_err());
    }
}
