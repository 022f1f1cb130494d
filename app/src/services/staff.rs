//! Staff accounts: adding, disabling, logging in, and going on and off duty.

use std::time::Duration;

use super::{Services, logins::key};
use crate::{
    domain::{LoginRefusal, NewStaff, StaffMember},
    live::Changed,
    store::{StaffRecord, StoreError},
};
use argon2::{
    Argon2,
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
};

/// What the command line was refused; `texts` says it, the messages here are for logs.
#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error("login taken: {0}")]
    LoginTaken(String),
    #[error("no member {0}")]
    UnknownLogin(String),
    #[error("hashing: {0}")]
    Hash(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// One answer for a wrong login and a wrong password: nobody learns which logins exist.
    #[error("login refused: wrong")]
    Wrong,
    #[error("login refused: disabled")]
    Disabled,
    /// Too many failures for the login typed (real or not); `retry_after` is what is left of the lock.
    #[error("login refused: locked")]
    Locked { retry_after: Duration },
    /// Too many logins waiting for their password to be checked.
    #[error("login refused: busy")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl LoginError {
    /// What the login page may say about it; `None` for a failure of ours, not a refusal.
    pub fn refusal(&self) -> Option<LoginRefusal> {
        match self {
            LoginError::Wrong => Some(LoginRefusal::Wrong),
            LoginError::Disabled => Some(LoginRefusal::Disabled),
            LoginError::Locked { .. } => Some(LoginRefusal::Locked),
            LoginError::Busy => Some(LoginRefusal::Busy),
            LoginError::Store(_) => None,
        }
    }
}

/// A member of staff who just proved who they are, with what their session must remember.
#[derive(Clone, Debug)]
pub struct LoggedIn {
    pub member: StaffMember,
    /// The account's session epoch when the password was checked: a session begun with it is dead once the
    /// account is disabled or gets a new password, even if that happened while the password was being checked.
    pub session_epoch: i64,
}

/// Hashing is deliberately slow (argon2): off the async threads, and only as many at once as `Logins` allows.
async fn hash(password: String) -> Result<String, StaffError> {
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        rand::Rng::fill(&mut rand::rng(), &mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| StaffError::Hash(e.to_string()))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| StaffError::Hash(e.to_string()))
    })
    .await
    .map_err(|e| StaffError::Hash(e.to_string()))?
}

async fn verify(password: String, stored: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// Verified against when the login does not exist, so a wrong login takes as long as a wrong password.
const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$J2Nq0y0h4mxzjS6mOrQ0rD2VXhqQ9rUJ0jqF8b8Vq5M";

impl Services {
    /// Hashes a password an admin set, waiting for a turn however long it takes (admins do not flood).
    async fn hash(&self, password: &str) -> Result<String, StaffError> {
        let _turn = self.logins.turn_to_hash_patiently().await.ok_or_else(|| StaffError::Hash("closed".into()))?;
        hash(password.to_owned()).await
    }

    pub async fn add_staff(&self, new: &NewStaff) -> Result<i64, StaffError> {
        let hash = self.hash(&new.password).await?;
        self.store
            .add_staff(&new.login, &new.name, new.role, &hash, new.phone.as_deref(), new.locale.as_deref())
            .await?
            .ok_or_else(|| StaffError::LoginTaken(new.login.clone()))
    }

    /// Sets a new password, ending every session begun with the old one (the demo accounts get a fresh one at
    /// every start).
    pub async fn set_password(&self, login: &str, password: &str) -> Result<(), StaffError> {
        let hash = self.hash(password).await?;
        if self.store.set_password(login, &hash).await? { Ok(()) } else { Err(StaffError::UnknownLogin(login.into())) }
    }

    pub async fn set_staff_disabled(&self, login: &str, disabled: bool) -> Result<(), StaffError> {
        let login = login.trim().to_lowercase();
        if self.store.set_staff_disabled(&login, disabled).await? {
            // Disabling takes the member off duty; boards showing the crew redraw, and the member's own live
            // feeds, woken, find their session over.
            self.live.publish(Changed::Crew);
            Ok(())
        } else {
            Err(StaffError::UnknownLogin(login))
        }
    }

    /// Checks a login. Failures are counted per login typed, real or not, and a locked login is refused before
    /// its password is looked at, with the same answer whether or not the account exists.
    pub async fn log_in(&self, login: &str, password: &str) -> Result<LoggedIn, LoginError> {
        let login = key(login);
        let locked = |retry_after| LoginError::Locked { retry_after };
        self.logins.check(&login).map_err(locked)?;
        let record = self.store.staff_by_login(&login).await?;
        let stored = record.as_ref().map_or(DECOY_HASH, |r| r.password_hash.as_str()).to_owned();
        let turn = self.logins.turn_to_hash().await.ok_or(LoginError::Busy)?;
        // Again after the wait: guesses queued behind the fifth failure must not be checked.
        self.logins.check(&login).map_err(locked)?;
        let matches = verify(password.to_owned(), stored).await;
        drop(turn);
        match record {
            // The right password: not a guess to count, but no way in either.
            Some(r) if matches && r.disabled => Err(LoginError::Disabled),
            Some(r) if matches => {
                self.logins.succeeded(&login);
                Ok(LoggedIn { session_epoch: r.session_epoch, member: member(r) })
            }
            _ => {
                self.logins.failed(&login);
                Err(LoginError::Wrong)
            }
        }
    }

    /// The member of staff behind a session begun in `session_epoch`, read fresh: `None` once the account is
    /// disabled or its sessions were ended since (disabled, even if enabled again; a new password).
    pub async fn session_member(&self, id: i64, session_epoch: i64) -> Result<Option<StaffMember>, StoreError> {
        Ok(self.store.staff_by_id(id).await?.filter(|r| !r.disabled && r.session_epoch == session_epoch).map(member))
    }

    /// The member of staff with this id, unless disabled.
    pub async fn staff_member(&self, id: i64) -> Result<Option<StaffMember>, StoreError> {
        Ok(self.store.staff_by_id(id).await?.filter(|r| !r.disabled).map(member))
    }

    /// A member's own language: their pages on a phone they log in from next, their alerts, texts and calls.
    pub async fn set_staff_locale(&self, who: &StaffMember, locale: crate::Locale) -> Result<(), StoreError> {
        self.store.set_staff_locale(&who.login, leptos_i18n::Locale::as_str(locale)).await.map(|_| ())
    }

    pub async fn set_on_duty(&self, who: &StaffMember, on_duty: bool) -> Result<(), StoreError> {
        self.store.set_on_duty(who.id, on_duty).await?;
        self.live.publish(crate::live::Changed::Crew);
        Ok(())
    }
}

pub(super) fn member(r: StaffRecord) -> StaffMember {
    StaffMember {
        id: r.id,
        login: r.login,
        name: r.name,
        role: r.role,
        on_duty: r.on_duty_since.is_some(),
        locale: r.locale,
    }
}
