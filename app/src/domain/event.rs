//! What happened to a request, one typed event per step: each carries only its own facts, so nothing can be set
//! that means nothing for its kind, and a view can not read a field another kind left empty.

use serde::{Deserialize, Serialize};

use super::{Channel, Concern};

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
    /// A technician paged by text or call answered that they can not take it.
    Declined,
    /// A member of staff opened the job from an alert.
    Seen,
}

impl EventKind {
    pub const ALL: [EventKind; 16] = [
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
        EventKind::Declined,
        EventKind::Seen,
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
            EventKind::Declined => "declined",
            EventKind::Seen => "seen",
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

/// A member of staff named by an event. The id stays on the server: browsers and partners get the name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffName {
    #[serde(skip)]
    pub id: i64,
    pub name: String,
}

impl StaffName {
    /// Who an event names when it is decided: the store reads the name back with the event.
    pub fn id(id: i64) -> StaffName {
        StaffName { id, name: String::new() }
    }
}

/// One step in a request's life, with what that step says and nothing else (who did it and when are beside it).
/// Text meant for staff only is not sent to customers or partners.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Event {
    /// Taken by the web form, a partner, or a dispatcher on the phone (then `by` is the dispatcher).
    Received,
    CallbackRequested,
    /// `None`: the customer cancelled. Dispatch always gives the customer a reason.
    Cancelled {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// `by` is the technician who now owns it; `via` how they took it (the app, a reply to a text, a key in a call).
    Accepted {
        #[serde(default)]
        via: Channel,
    },
    OnTheWay {
        eta_minutes: u32,
    },
    EtaChanged {
        eta_minutes: u32,
    },
    Arrived,
    /// The technician's resolution note.
    Done {
        note: String,
    },
    /// "Can't take": the reason is for dispatch.
    Released {
        #[serde(default, skip_serializing_if = "String::is_empty")]
        reason: String,
    },
    /// `by` is the dispatcher; the technician owns it.
    Assigned {
        technician: StaffName,
    },
    ArrivalConfirmed,
    CallbackMade,
    /// The ladder's rung (1 alert again, 2 backups, 3 dispatch alarm). For dispatch, why it climbed: the concern,
    /// how long each rung waited, and who is late (in full); said in the reader's words by `texts::escalation`.
    /// Customers and partners get the level only.
    Escalated {
        level: u8,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        concern: Option<Concern>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        every_ms: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        technician: Option<StaffName>,
    },
    /// `by` was paged and answered that they can not take it (a reply to a text, a key in a call). The request
    /// still waits for someone: this is news for dispatch, not a step.
    Declined {
        via: Channel,
    },
    /// `by` opened the job from an alert (`via`): they know of it. News for dispatch, not a step.
    Seen {
        via: Channel,
    },
    /// The customer's rating, 1 to 5, and perhaps a comment.
    FollowUp {
        rating: u8,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
}

impl Event {
    pub fn kind(&self) -> EventKind {
        match self {
            Event::Received => EventKind::Received,
            Event::CallbackRequested => EventKind::CallbackRequested,
            Event::Cancelled { .. } => EventKind::Cancelled,
            Event::Accepted { .. } => EventKind::Accepted,
            Event::OnTheWay { .. } => EventKind::OnTheWay,
            Event::EtaChanged { .. } => EventKind::EtaChanged,
            Event::Arrived => EventKind::Arrived,
            Event::Done { .. } => EventKind::Done,
            Event::Released { .. } => EventKind::Released,
            Event::Assigned { .. } => EventKind::Assigned,
            Event::ArrivalConfirmed => EventKind::ArrivalConfirmed,
            Event::CallbackMade => EventKind::CallbackMade,
            Event::Escalated { .. } => EventKind::Escalated,
            Event::FollowUp { .. } => EventKind::FollowUp,
            Event::Declined { .. } => EventKind::Declined,
            Event::Seen { .. } => EventKind::Seen,
        }
    }

    /// Each step starts the ladder's clock again; a callback, an escalation or a follow-up is not a step.
    pub fn restarts_ladder(&self) -> bool {
        match self {
            Event::CallbackRequested
            | Event::CallbackMade
            | Event::Escalated { .. }
            | Event::FollowUp { .. }
            | Event::Declined { .. }
            | Event::Seen { .. } => false,
            Event::Received
            | Event::Cancelled { .. }
            | Event::Accepted { .. }
            | Event::OnTheWay { .. }
            | Event::EtaChanged { .. }
            | Event::Arrived
            | Event::Done { .. }
            | Event::Released { .. }
            | Event::Assigned { .. }
            | Event::ArrivalConfirmed => true,
        }
    }

    /// Empties what is for staff only: a technician's reason for handing a job back, and why the ladder climbed.
    pub fn redact(&mut self) {
        match self {
            Event::Released { reason } => reason.clear(),
            Event::Escalated { concern, every_ms, technician, .. } => {
                *concern = None;
                *every_ms = None;
                *technician = None;
            }
            _ => {}
        }
    }
}

/// An event as stored: when, who, and what.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Recorded {
    /// Unix milliseconds.
    pub at: i64,
    pub actor: Actor,
    /// The member of staff who did it (customers see the first name only).
    #[serde(default)]
    pub by: Option<StaffName>,
    #[serde(flatten)]
    pub event: Event,
}

impl Recorded {
    pub fn kind(&self) -> EventKind {
        self.event.kind()
    }

    /// The same event as a customer or partner may read it: first names, and nothing meant for staff only.
    pub fn for_customer(mut self) -> Recorded {
        let short = |n: &mut StaffName| n.name = super::first_name(&n.name).to_owned();
        if let Some(by) = &mut self.by {
            short(by);
        }
        if let Event::Assigned { technician } = &mut self.event {
            short(technician);
        }
        self.event.redact();
        self
    }
}

/// A rung with nothing said about why: what customers get, and what most tests need.
#[cfg(test)]
impl Event {
    pub(crate) fn escalated(level: u8) -> Event {
        Event::Escalated { level, concern: None, every_ms: None, technician: None }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An event as a test needs it: at `at`, by `staff` (id, full name) if any.
    pub(crate) fn recorded(event: Event, at: i64, staff: Option<(i64, &str)>) -> Recorded {
        Recorded {
            at,
            actor: if staff.is_some() { Actor::Staff } else { Actor::Customer },
            by: staff.map(|(id, name)| StaffName { id, name: name.to_owned() }),
            event,
        }
    }

    #[test]
    fn event_kinds_round_trip_through_their_names() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(EventKind::parse("exploded"), None);
    }

    #[test]
    fn each_event_is_sent_with_its_own_fields_only() -> Result<(), serde_json::Error> {
        let on_way = recorded(Event::OnTheWay { eta_minutes: 25 }, 1_000, Some((7, "Ana Lima")));
        assert_eq!(
            serde_json::to_value(&on_way)?,
            serde_json::json!({"at": 1000, "actor": "staff", "by": {"name": "Ana Lima"}, "kind": "on_the_way",
                "eta_minutes": 25})
        );
        let released = recorded(Event::Released { reason: "Flat battery myself".into() }, 2, Some((7, "Ana Lima")));
        let public = serde_json::to_value(released.clone().for_customer())?;
        assert_eq!(public, serde_json::json!({"at": 2, "actor": "staff", "by": {"name": "Ana"}, "kind": "released"}));
        // What staff browsers get back reads as it was written.
        let back: Recorded = serde_json::from_value(serde_json::to_value(&released)?)?;
        assert_eq!(back.event, released.event);
        Ok(())
    }

    #[test]
    fn the_ladders_clock_restarts_on_steps_only() {
        assert!(Event::Accepted { via: Channel::Sms }.restarts_ladder());
        assert!(!Event::Declined { via: Channel::Call }.restarts_ladder());
        assert!(!Event::Seen { via: Channel::Push }.restarts_ladder());
        assert!(Event::Released { reason: "x".into() }.restarts_ladder());
        assert!(!Event::escalated(1).restarts_ladder());
        assert!(!Event::CallbackRequested.restarts_ladder());
    }
}
