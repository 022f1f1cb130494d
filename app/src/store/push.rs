//! Server keys and Web Push subscriptions.

use sqlx::Row;

use super::{Store, StoreError, now_ms};

/// A device that asked for alerts.
#[derive(Clone, Debug, PartialEq)]
pub struct Subscription {
    pub id: i64,
    pub staff_id: i64,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
}

/// Whose phones an alert goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Every technician on duty.
    OnDuty,
    /// Backup technicians not on duty (those on duty heard the first alerts already).
    Backups,
    /// One member of staff.
    Member(i64),
}

impl Store {
    /// The value stored under `name`, made by `make` the first time. Two instances starting together agree:
    /// the first insert wins and both read it back.
    pub async fn server_key(&self, name: &str, make: impl FnOnce() -> String) -> Result<String, StoreError> {
        sqlx::query(
            "INSERT INTO server_keys (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(make())
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(sqlx::query("SELECT value FROM server_keys WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await?
            .try_get("value")?)
    }

    /// Stores a device's subscription, replacing what that device (or that endpoint) had before.
    pub async fn save_subscription(
        &self,
        staff_id: i64,
        device_id: &str,
        endpoint: &str,
        p256dh: &str,
        auth: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM push_subscriptions WHERE device_id = $1 OR endpoint = $2")
            .bind(device_id)
            .bind(endpoint)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO push_subscriptions (staff_id, device_id, endpoint, p256dh, auth, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(staff_id)
        .bind(device_id)
        .bind(endpoint)
        .bind(p256dh)
        .bind(auth)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The devices of whoever an alert is for.
    pub async fn subscriptions(&self, audience: Audience) -> Result<Vec<Subscription>, StoreError> {
        macro_rules! devices_where {
            ($only:literal) => {
                concat!(
                    "SELECT p.id, p.staff_id, p.endpoint, p.p256dh, p.auth FROM push_subscriptions p ",
                    "JOIN staff s ON s.id = p.staff_id WHERE s.disabled_at IS NULL AND ",
                    $only
                )
            };
        }
        let query = match audience {
            Audience::Member(id) => sqlx::query(devices_where!("s.id = $1")).bind(id),
            Audience::OnDuty => sqlx::query(devices_where!("s.on_duty_since IS NOT NULL AND s.role = 'technician'")),
            Audience::Backups => sqlx::query(devices_where!(
                "s.backup_since IS NOT NULL AND s.on_duty_since IS NULL AND s.role = 'technician'"
            )),
        };
        query
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok(Subscription {
                    id: r.try_get("id")?,
                    staff_id: r.try_get("staff_id")?,
                    endpoint: r.try_get("endpoint")?,
                    p256dh: r.try_get("p256dh")?,
                    auth: r.try_get("auth")?,
                })
            })
            .collect()
    }

    /// Records how a push to this device went; a device its push service forgot is deleted.
    pub async fn record_delivery(&self, id: i64, outcome: Result<(), &str>, gone: bool) -> Result<(), StoreError> {
        let query = match (gone, outcome) {
            (true, _) => sqlx::query("DELETE FROM push_subscriptions WHERE id = $1").bind(id),
            (false, Ok(())) => {
                sqlx::query("UPDATE push_subscriptions SET last_success_at = $2 WHERE id = $1").bind(id).bind(now_ms())
            }
            (false, Err(error)) => {
                sqlx::query("UPDATE push_subscriptions SET last_failure_at = $2, last_error = $3 WHERE id = $1")
                    .bind(id)
                    .bind(now_ms())
                    .bind(error.chars().take(200).collect::<String>())
            }
        };
        query.execute(&self.pool).await?;
        Ok(())
    }
}
