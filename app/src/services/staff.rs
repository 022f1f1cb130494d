//! Staff accounts: adding, disabling, logging in, and going on and off duty.

use super::Services;
use crate::{
    domain::{NewStaff, StaffMember},
    store::{StaffRecord, StoreError},
};
use argon2::{
    Argon2,
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
};

#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error("{0}")]
    Invalid(String),
    #[error("the login {0:?} is taken")]
    LoginTaken(String),
    #[error("no member of staff has the login {0:?}")]
    UnknownLogin(String),
    #[error("could not hash the password: {0}")]
    Hash(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// One answer for a wrong login and a wrong password: nobody learns which logins exist.
    #[error("That login and password do not match.")]
    Wrong,
    #[error("This account is disabled. Ask your admin.")]
    Disabled,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Hashing is deliberately slow (argon2): off the async threads.
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
    pub async fn add_staff(&self, new: &NewStaff) -> Result<i64, StaffError> {
        let hash = hash(new.password.clone()).await?;
        self.store
            .add_staff(&new.login, &new.name, new.role, &hash)
            .await?
            .ok_or_else(|| StaffError::LoginTaken(new.login.clone()))
    }

    /// Sets a new password (the demo accounts get a fresh one at every start).
    pub async fn set_password(&self, login: &str, password: &str) -> Result<(), StaffError> {
        let hash = hash(password.to_owned()).await?;
        if self.store.set_password(login, &hash).await? { Ok(()) } else { Err(StaffError::UnknownLogin(login.into())) }
    }

    pub async fn set_staff_disabled(&self, login: &str, disabled: bool) -> Result<(), StaffError> {
        let login = login.trim().to_lowercase();
        if self.store.set_staff_disabled(&login, disabled).await? {
            Ok(())
        } else {
            Err(StaffError::UnknownLogin(login))
        }
    }

    pub async fn log_in(&self, login: &str, password: &str) -> Result<StaffMember, LoginError> {
        let record = self.store.staff_by_login(&login.trim().to_lowercase()).await?;
        let stored = record.as_ref().map_or(DECOY_HASH, |r| r.password_hash.as_str()).to_owned();
        let matches = verify(password.to_owned(), stored).await;
        match record {
            Some(r) if matches && r.disabled => Err(LoginError::Disabled),
            Some(r) if matches => Ok(member(r)),
            _ => Err(LoginError::Wrong),
        }
    }

    /// The member of staff behind a session, read fresh: a disabled account stops working at once.
    pub async fn staff_member(&self, id: i64) -> Result<Option<StaffMember>, StoreError> {
        Ok(self.store.staff_by_id(id).await?.filter(|r| !r.disabled).map(member))
    }

    pub async fn set_on_duty(&self, who: &StaffMember, on_duty: bool) -> Result<(), StoreError> {
        self.store.set_on_duty(who.id, on_duty).await?;
        self.live.publish(crate::live::Changed::Crew);
        Ok(())
    }
}

fn member(r: StaffRecord) -> StaffMember {
    StaffMember { id: r.id, login: r.login, name: r.name, role: r.role, on_duty: r.on_duty_since.is_some() }
}
