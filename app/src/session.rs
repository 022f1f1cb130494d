//! What a staff session holds: the staff id and a CSRF token. Shared by the server's guards and the pages'
//! server-side reads, so both agree on who is logged in.

use tower_sessions::Session;

use crate::{
    services::{Services, StaffMember},
    store::StoreError,
};

const STAFF_ID: &str = "staff_id";
const CSRF: &str = "csrf";

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("session store: {0}")]
    Session(#[from] tower_sessions::session::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The member of staff behind this session, read fresh: a disabled account stops working at once.
pub async fn current(session: &Session, services: &Services) -> Result<Option<StaffMember>, SessionError> {
    let Some(id) = session.get::<i64>(STAFF_ID).await? else { return Ok(None) };
    Ok(services.staff_member(id).await?)
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

/// Logs in: a new session id (no fixation), the staff id, a fresh CSRF token.
pub async fn start(session: &Session, member: &StaffMember) -> Result<(), SessionError> {
    session.cycle_id().await?;
    session.insert(STAFF_ID, member.id).await?;
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
