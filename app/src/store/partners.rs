//! Partners and the hashes of their API keys.

use sqlx::Row;

use super::{Cells, Store, StoreError, is_unique_violation, now_ms, on};

/// A partner as stored: never its key, only whether the key still works.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partner {
    pub id: i64,
    pub name: String,
    /// Requests it may create per minute; `None`: the server's default.
    pub per_minute: Option<u32>,
    pub revoked: bool,
}

pub struct NewPartner<'a> {
    pub name: &'a str,
    pub key_hash: &'a str,
    pub per_minute: Option<u32>,
}

fn partner_from_row(row: &impl Cells) -> Result<Partner, StoreError> {
    let per_minute: Option<i64> = row.cell("per_minute")?;
    Ok(Partner {
        id: row.cell("id")?,
        name: row.cell("name")?,
        per_minute: per_minute.and_then(|n| u32::try_from(n).ok()),
        revoked: row.cell::<Option<i64>>("revoked_at")?.is_some(),
    })
}

impl Store {
    /// `Ok(None)` when the name is taken.
    pub async fn add_partner(&self, new: &NewPartner<'_>) -> Result<Option<i64>, StoreError> {
        on!(&self.pool, |pool| {
            let inserted = sqlx::query(
                "INSERT INTO partners (name, key_hash, per_minute, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(new.name)
            .bind(new.key_hash)
            .bind(new.per_minute.map(i64::from))
            .bind(now_ms())
            .fetch_one(pool)
            .await;
            match inserted {
                Ok(row) => Ok(Some(row.try_get("id")?)),
                Err(e) if is_unique_violation(&e, "name") => Ok(None),
                Err(e) => Err(e.into()),
            }
        })
    }

    /// The partner whose key hashes to this, unless revoked.
    pub async fn partner_by_key_hash(&self, key_hash: &str) -> Result<Option<Partner>, StoreError> {
        on!(&self.pool, |pool| {
            let row = sqlx::query(
                "SELECT id, name, per_minute, revoked_at FROM partners WHERE key_hash = $1 AND revoked_at IS NULL",
            )
            .bind(key_hash)
            .fetch_optional(pool)
            .await?;
            row.as_ref().map(partner_from_row).transpose()
        })
    }

    pub async fn list_partners(&self) -> Result<Vec<Partner>, StoreError> {
        on!(&self.pool, |pool| {
            sqlx::query("SELECT id, name, per_minute, revoked_at FROM partners ORDER BY name")
                .fetch_all(pool)
                .await?
                .iter()
                .map(partner_from_row)
                .collect()
        })
    }

    /// `Ok(false)` when no partner has the name (or it was revoked already).
    pub async fn revoke_partner(&self, name: &str) -> Result<bool, StoreError> {
        on!(&self.pool, |pool| {
            let done = sqlx::query("UPDATE partners SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL")
                .bind(name)
                .bind(now_ms())
                .execute(pool)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }
}
