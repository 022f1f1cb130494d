//! What happened to a request, as an append-only list of events. The status is derived from the events, never
//! stored beside them, so the timeline and the status can not disagree.

use serde::{Deserialize, Serialize};

use super::{Problem, Vehicle};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The request was stored: the customer's "one request" has reached us.
    Received,
    /// The customer would rather be called than wait on a line.
    CallbackRequested,
    /// The customer no longer needs help.
    Cancelled,
}

impl EventKind {
    pub const ALL: [EventKind; 3] = [EventKind::Received, EventKind::CallbackRequested, EventKind::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Received => "received",
            EventKind::CallbackRequested => "callback_requested",
            EventKind::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The line the customer reads in their timeline.
    pub fn describe(self) -> &'static str {
        match self {
            EventKind::Received => "Request received. We are finding the nearest technician.",
            EventKind::CallbackRequested => "You asked us to call you back. We will call you shortly.",
            EventKind::Cancelled => "Request cancelled.",
        }
    }
}

/// Who did it: recorded with every event so dispatch can trust the timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    Customer,
    Partner,
    System,
}

impl Actor {
    pub fn as_str(&self) -> &'static str {
        match self {
            Actor::Customer => "customer",
            Actor::Partner => "partner",
            Actor::System => "system",
        }
    }

    pub fn parse(s: &str) -> Actor {
        match s {
            "customer" => Actor::Customer,
            "partner" => Actor::Partner,
            _ => Actor::System,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Received,
    Cancelled,
}

impl RequestStatus {
    /// Folds the timeline: the latest event that moves the request decides.
    pub fn from_events<'a>(kinds: impl IntoIterator<Item = &'a EventKind>) -> RequestStatus {
        kinds.into_iter().fold(RequestStatus::Received, |status, kind| match kind {
            EventKind::Received | EventKind::CallbackRequested => status,
            EventKind::Cancelled => RequestStatus::Cancelled,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Received => "received",
            RequestStatus::Cancelled => "cancelled",
        }
    }

    pub fn headline(self) -> &'static str {
        match self {
            RequestStatus::Received => "Help is being arranged",
            RequestStatus::Cancelled => "Request cancelled",
        }
    }

    pub fn is_open(self) -> bool {
        !matches!(self, RequestStatus::Cancelled)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub kind: EventKind,
    pub actor: Actor,
    /// Unix milliseconds.
    pub at: i64,
    pub detail: Option<String>,
}

/// Everything the customer's status page shows, and what the live feed sends when it changes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    /// E.164, for machines and `tel:` links.
    pub phone: String,
    /// The same number grouped for reading.
    pub phone_display: String,
    pub callback_requested: bool,
    pub timeline: Vec<TimelineEntry>,
}

impl StatusView {
    pub fn derive_status(&mut self) {
        let kinds: Vec<EventKind> = self.timeline.iter().map(|e| e.kind).collect();
        self.status = RequestStatus::from_events(&kinds);
        self.callback_requested = kinds.contains(&EventKind::CallbackRequested);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_follows_the_events() {
        use EventKind::*;
        assert_eq!(RequestStatus::from_events(&[Received]), RequestStatus::Received);
        assert_eq!(RequestStatus::from_events(&[Received, CallbackRequested]), RequestStatus::Received);
        assert_eq!(RequestStatus::from_events(&[Received, Cancelled]), RequestStatus::Cancelled);
        assert_eq!(RequestStatus::from_events(&[Received, Cancelled, CallbackRequested]), RequestStatus::Cancelled);
    }

    #[test]
    fn event_kinds_round_trip_through_their_names() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(EventKind::parse("exploded"), None);
    }
}
