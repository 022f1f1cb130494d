//! Partners' API keys: made here, shown once, kept only as a hash.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use sha2::{Digest, Sha256};

use super::Services;
use crate::store::{NewPartner, Partner, StoreError};

/// Every key starts so, which tells a leaked one apart in logs and secret scanners.
const KEY_PREFIX: &str = "rc_";

/// What the command line was refused; `texts` says it, the messages here are for logs.
#[derive(Debug, thiserror::Error)]
pub enum PartnerError {
    #[error("bad partner name")]
    BadName,
    #[error("partner name taken: {0}")]
    NameTaken(String),
    #[error("no partner {0}")]
    Unknown(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A new partner's key: printed once, never stored.
pub struct PartnerKey(pub String);

fn hash(key: &str) -> String {
    Sha256::digest(key.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

impl Services {
    pub async fn add_partner(&self, name: &str, per_minute: Option<u32>) -> Result<PartnerKey, PartnerError> {
        let name = name.trim();
        let name_ok = (1..=60).contains(&name.len())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if !name_ok {
            return Err(PartnerError::BadName);
        }
        let key = format!("{KEY_PREFIX}{}", B64.encode(rand::random::<[u8; 32]>()));
        let new = NewPartner { name, key_hash: &hash(&key), per_minute };
        match self.store.add_partner(&new).await? {
            Some(_) => Ok(PartnerKey(key)),
            None => Err(PartnerError::NameTaken(name.to_owned())),
        }
    }

    /// The partner a bearer key belongs to; `None` for a wrong or revoked key.
    pub async fn partner_by_key(&self, key: &str) -> Result<Option<Partner>, StoreError> {
        if !key.starts_with(KEY_PREFIX) || key.len() > 100 {
            return Ok(None);
        }
        self.store.partner_by_key_hash(&hash(key)).await
    }

    pub async fn revoke_partner(&self, name: &str) -> Result<(), PartnerError> {
        if self.store.revoke_partner(name.trim()).await? { Ok(()) } else { Err(PartnerError::Unknown(name.into())) }
    }
}
