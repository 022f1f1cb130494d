//! What a staff session holds (who logged in, when, and the account's session epoch then) and a CSRF token, and
//! the one rule for whether a session is still good. Shared by the server's guards, the pages' server-side reads
//! and the staff live feeds, so all three agree on who is logged in.

use serde::{Deserialize, Serialize};
use tower_sessions::{
    ExpiredDeletion, Session, SessionStore as _,
    session::{Id, Record},
    session_store,
};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use crate::{
    services::{LoggedIn, Services, StaffMember},
    store::{Backend, StoreError, now_ms},
};

/// Where sessions are kept: the app's own database, whichever backend it is.
#[derive(Clone, Debug)]
pub struct SessionStore(Backend<SqliteStore, PostgresStore>);

impl From<Backend<SqliteStore, PostgresStore>> for SessionStore {
    fn from(store: Backend<SqliteStore, PostgresStore>) -> Self {
        SessionStore(store)
    }
}

#[async_trait::async_trait]
impl tower_sessions::SessionStore for SessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        crate::store::on!(&self.0, |s| s.create(record).await)
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        crate::store::on!(&self.0, |s| s.save(record).await)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        crate::store::on!(&self.0, |s| s.load(id).await)
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        crate::store::on!(&self.0, |s| s.delete(id).await)
    }
}

#[async_trait::async_trait]
impl ExpiredDeletion for SessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        crate::store::on!(&self.0, |s| s.delete_expired().await)
    }
}

const LOGIN: &str = "login";
const CSRF: &str = "csrf";

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("session store: {0}")]
    Session(#[from] tower_sessions::session::Error),
    #[error("session store: {0}")]
    Sessions(#[from] tower_sessions::session_store::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a session remembers of its login.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct SessionLogin {
    staff_id: i64,
    /// The account's session epoch at login: disabling the account or a new password moves it on.
    session_epoch: i64,
    /// Unix ms: the session's absolute lifetime runs from here.
    started_at: i64,
}

impl SessionLogin {
    /// Unix ms when the session ends however busy it is kept.
    fn ends_at(self, services: &Services) -> i64 {
        self.started_at.saturating_add(services.settings.session_max_age_ms)
    }

    /// The one definition of a good session, for pages, API calls and live feeds alike: younger than its absolute
    /// lifetime, and its member still enabled with no session-ending change (disabled, a new password) since it
    /// began. The session store has already answered for the rest: a session logged out of, or idle past its
    /// expiry, is not found and never gets here.
    async fn member(self, services: &Services) -> Result<Option<StaffMember>, StoreError> {
        if now_ms() >= self.ends_at(services) {
            return Ok(None);
        }
        services.session_member(self.staff_id, self.session_epoch).await
    }
}

/// The member of staff behind this session, read fresh: a disabled account stops working at once.
pub async fn current(session: &Session, services: &Services) -> Result<Option<StaffMember>, SessionError> {
    let Some(login) = session.get::<SessionLogin>(LOGIN).await? else { return Ok(None) };
    Ok(login.member(services).await?)
}

/// One session, as a live feed holds it: asked again before each view the feed sends, and on a timer, whether it
/// still is the same member's good session. Reads the session store itself, not a copy taken when the feed began.
#[derive(Clone)]
pub struct SessionWatch {
    sessions: SessionStore,
    id: Id,
    staff_id: i64,
    services: Services,
}

impl SessionWatch {
    pub fn new(sessions: SessionStore, session: &Session, member: &StaffMember, services: Services) -> Option<Self> {
        Some(SessionWatch { sessions, id: session.id()?, staff_id: member.id, services })
    }

    /// Unix ms when the session will end at the latest, while it is good; `None` once it is over. A store that can
    /// not be read counts as over: the feed ends, and the page's reconnection asks again.
    pub async fn live_until(&self) -> Option<i64> {
        match self.read().await {
            Ok(until) => until,
            Err(e) => {
                tracing::warn!(error = %e, "checking a live feed's session failed; ending the feed");
                None
            }
        }
    }

    async fn read(&self) -> Result<Option<i64>, SessionError> {
        let Some(record) = self.sessions.load(&self.id).await? else { return Ok(None) };
        let Some(login) = record.data.get(LOGIN).and_then(|v| serde_json::from_value::<SessionLogin>(v.clone()).ok())
        else {
            return Ok(None);
        };
        if login.staff_id != self.staff_id {
            return Ok(None);
        }
        Ok(login.member(&self.services).await?.map(|_| login.ends_at(&self.services)))
    }
}

/// The session's CSRF token, made on first use.
pub async fn csrf_token(session: &Session) -> Result<String, SessionError> {
    if let Some(token) = session.get::<String>(CSRF).await? {
        return Ok(token);
    }
    let token = random_token();
    session.insert(CSRF, &token).await?;
    Ok(token)
}

/// The token this session expects, without making one.
pub async fn expected_csrf(session: &Session) -> Result<Option<String>, SessionError> {
    Ok(session.get::<String>(CSRF).await?)
}

/// Logs in: a new session id (no fixation), who and since when, a fresh CSRF token.
pub async fn start(session: &Session, login: &LoggedIn) -> Result<(), SessionError> {
    session.cycle_id().await?;
    let login = SessionLogin { staff_id: login.member.id, session_epoch: login.session_epoch, started_at: now_ms() };
    session.insert(LOGIN, login).await?;
    session.insert(CSRF, random_token()).await?;
    Ok(())
}

pub async fn end(session: &Session) -> Result<(), SessionError> {
    Ok(session.flush().await?)
}

fn random_token() -> String {
    let bytes: [u8; 24] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
