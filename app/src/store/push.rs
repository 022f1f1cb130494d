//! Server keys and Web Push subscriptions.

use sqlx::Row;

use super::{Store, StoreError, now_ms, on};
pub use crate::domain::Audience;

/// A device that asked for alerts.
#[derive(Clone, Debug, PartialEq)]
pub struct Subscription {
    pub id: i64,
    pub staff_id: i64,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    /// The owner's language tag; `None`: the server's default.
    pub locale: Option<String>,
}

/// A device's subscription, checked, about to be stored.
#[derive(Clone, Copy, Debug)]
pub struct NewDevice<'a> {
    pub device_id: &'a str,
    pub endpoint: &'a str,
    pub p256dh: &'a str,
    pub auth: &'a str,
}

/// What became of a device's subscription.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceSaved {
    Saved,
    /// The device, or its endpoint, alerts another member: left with them.
    OtherMembers,
    /// The member already has as many devices as allowed.
    LimitReached,
}

impl Store {
    /// The value stored under `name`, made by `make` the first time. Two instances starting together agree:
    /// the first insert wins and both read it back.
    pub async fn server_key(&self, name: &str, make: impl FnOnce() -> String) -> Result<String, StoreError> {
        on!(&self.pool, |pool| {
            sqlx::query(
                "INSERT INTO server_keys (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(make())
            .bind(now_ms())
            .execute(pool)
            .await?;
            Ok(sqlx::query("SELECT value FROM server_keys WHERE name = $1")
                .bind(name)
                .fetch_one(pool)
                .await?
                .try_get("value")?)
        })
    }

    /// Stores a device's subscription, replacing what this member had from that device (or for that endpoint),
    /// unless the device or endpoint is another member's, or this member already has `max_devices` others.
    pub async fn save_subscription(
        &self,
        staff_id: i64,
        device: &NewDevice<'_>,
        max_devices: u32,
    ) -> Result<DeviceSaved, StoreError> {
        on!(&self.pool, |pool| {
            let mut tx = pool.begin().await?;
            super::lock_for_writing((&mut *tx).into(), "push_subscriptions").await?;
            // Written first, so the transaction holds SQLite's write lock (PostgreSQL's: the table's, above)
            // through the checks below: two devices subscribing at once cannot both take the last place.
            sqlx::query("DELETE FROM push_subscriptions WHERE staff_id = $1 AND (device_id = $2 OR endpoint = $3)")
                .bind(staff_id)
                .bind(device.device_id)
                .bind(device.endpoint)
                .execute(&mut *tx)
                .await?;
            // Whatever still matches is another member's (dropping `tx` undoes the delete).
            let theirs: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM push_subscriptions WHERE device_id = $1 OR endpoint = $2")
                    .bind(device.device_id)
                    .bind(device.endpoint)
                    .fetch_one(&mut *tx)
                    .await?;
            if theirs > 0 {
                return Ok(DeviceSaved::OtherMembers);
            }
            let mine: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM push_subscriptions WHERE staff_id = $1")
                .bind(staff_id)
                .fetch_one(&mut *tx)
                .await?;
            if mine >= i64::from(max_devices) {
                return Ok(DeviceSaved::LimitReached);
            }
            sqlx::query(
                "INSERT INTO push_subscriptions (staff_id, device_id, endpoint, p256dh, auth, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(staff_id)
            .bind(device.device_id)
            .bind(device.endpoint)
            .bind(device.p256dh)
            .bind(device.auth)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(DeviceSaved::Saved)
        })
    }

    /// The devices of whoever an alert is for.
    pub async fn subscriptions(&self, audience: Audience) -> Result<Vec<Subscription>, StoreError> {
        on!(&self.pool, |pool| {
            let sql = format!(
                "SELECT p.id, p.staff_id, p.endpoint, p.p256dh, p.auth, s.locale FROM push_subscriptions p \
                 JOIN staff s ON s.id = p.staff_id WHERE {}",
                super::outbox::audience_condition(audience, "$1")
            );
            let query = sqlx::query(&sql);
            let query = if let Audience::Member(id) = audience { query.bind(id) } else { query };
            query
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| {
                    Ok(Subscription {
                        id: r.try_get("id")?,
                        staff_id: r.try_get("staff_id")?,
                        endpoint: r.try_get("endpoint")?,
                        p256dh: r.try_get("p256dh")?,
                        auth: r.try_get("auth")?,
                        locale: r.try_get("locale")?,
                    })
                })
                .collect()
        })
    }

    /// Records how a push to this device went; a device its push service forgot is deleted.
    pub async fn record_delivery(&self, id: i64, outcome: Result<(), &str>, gone: bool) -> Result<(), StoreError> {
        on!(&self.pool, |pool| {
            let query = match (gone, outcome) {
                (true, _) => sqlx::query("DELETE FROM push_subscriptions WHERE id = $1").bind(id),
                (false, Ok(())) => sqlx::query("UPDATE push_subscriptions SET last_success_at = $2 WHERE id = $1")
                    .bind(id)
                    .bind(now_ms()),
                (false, Err(error)) => {
                    sqlx::query("UPDATE push_subscriptions SET last_failure_at = $2, last_error = $3 WHERE id = $1")
                        .bind(id)
                        .bind(now_ms())
                        .bind(error.chars().take(200).collect::<String>())
                }
            };
            query.execute(pool).await?;
            Ok(())
        })
    }
}
