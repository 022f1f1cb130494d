//! The live feed: who must hear that a request changed. In-process today; a cross-instance feed (PostgreSQL
//! LISTEN/NOTIFY) implements the same trait when several app instances share one database.

use tokio::sync::broadcast;

/// "Request N changed": listeners reload what they show from the store, so a missed or repeated
/// notice can never show wrong data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestChanged {
    pub request_id: i64,
}

impl RequestChanged {
    /// No request changed but the crew did (someone went on or off duty, a phone subscribed to alerts): boards
    /// that show who is on duty reload.
    pub const CREW: RequestChanged = RequestChanged { request_id: 0 };
}

pub trait LiveFeed: Send + Sync + 'static {
    fn publish(&self, change: RequestChanged);
    fn subscribe(&self) -> broadcast::Receiver<RequestChanged>;
}

/// One process, one broadcast channel. A slow listener that falls behind is told it lagged and reloads.
pub struct LocalFeed {
    sender: broadcast::Sender<RequestChanged>,
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
    fn publish(&self, change: RequestChanged) {
        // No listener is not an error: nobody has the page open.
        let _ = self.sender.send(change);
    }

    fn subscribe(&self) -> broadcast::Receiver<RequestChanged> {
        self.sender.subscribe()
    }
}
