//! The live feed: who must hear that a request changed. In-process on SQLite; on PostgreSQL, where several app
//! instances share one database, the store's `SharedFeed` also tells the others (LISTEN/NOTIFY).

use tokio::sync::broadcast;

/// What changed: listeners reload what they show from the store, so a missed or repeated notice can never show
/// wrong data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Changed {
    /// One request: its timeline or its checklist ticks.
    Request(i64),
    /// The crew, not a request: someone went on or off duty, a phone subscribed to alerts, a backup was set.
    /// Boards that show who is on duty reload.
    Crew,
    /// Anything may have changed unheard (the feed between instances was cut): every view reloads.
    Everything,
}

impl Changed {
    /// As it travels between instances: ids only, never what changed.
    pub fn to_wire(self) -> String {
        match self {
            Changed::Request(id) => format!("r{id}"),
            Changed::Crew => "crew".into(),
            Changed::Everything => "all".into(),
        }
    }

    pub fn from_wire(text: &str) -> Option<Changed> {
        match text {
            "crew" => Some(Changed::Crew),
            "all" => Some(Changed::Everything),
            _ => text.strip_prefix('r')?.parse().ok().map(Changed::Request),
        }
    }
}

pub trait LiveFeed: Send + Sync + 'static {
    fn publish(&self, change: Changed);
    fn subscribe(&self) -> broadcast::Receiver<Changed>;
}

/// One process, one broadcast channel. A slow listener that falls behind is told it lagged and reloads.
pub struct LocalFeed {
    sender: broadcast::Sender<Changed>,
}

impl LocalFeed {
    pub fn new() -> LocalFeed {
        LocalFeed { sender: broadcast::channel(1024).0 }
    }
}

impl Default for LocalFeed {
    fn default() -> Self {
        LocalFeed::new()
    }
}

impl LiveFeed for LocalFeed {
    fn publish(&self, change: Changed) {
        // No listener is not an error: nobody has the page open.
        let _ = self.sender.send(change);
    }

    fn subscribe(&self) -> broadcast::Receiver<Changed> {
        self.sender.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::Changed;

    #[test]
    fn changes_travel_as_ids_and_come_back_the_same() {
        for change in [Changed::Request(42), Changed::Crew, Changed::Everything] {
            assert_eq!(Changed::from_wire(&change.to_wire()), Some(change));
        }
        for junk in ["", "r", "rx", "r-", "crewe", "42"] {
            assert_eq!(Changed::from_wire(junk), None, "{junk:?}");
        }
    }
}
