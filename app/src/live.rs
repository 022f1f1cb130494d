//! The live feed: who must hear that a request changed. In-process today; a cross-instance feed (PostgreSQL
//! LISTEN/NOTIFY) implements the same trait when several app instances share one database.

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
