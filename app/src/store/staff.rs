//! Staff accounts, who is on duty, and the truck checklist ticks.

use sqlx::Row;

use super::{Cells, Store, StoreError, findable, is_unique_violation, now_ms, on};
use crate::domain::{CheckLine, CrewMember, Problem, Role, RosterLine};

/// A member of staff as stored. The password hash never leaves the services layer.
#[derive(Clone, Debug, PartialEq)]
pub struct StaffRecord {
    pub id: i64,
    pub login: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub on_duty_since: Option<i64>,
    pub disabled: bool,
    /// Moves on when the account is disabled or gets a new password: sessions begun before are dead.
    pub session_epoch: i64,
    /// E.164: texts and calls.
    pub phone: Option<String>,
    /// Alerted when nobody on duty takes a request in time.
    pub backup: bool,
    /// Their own delays for the text and the call after a push (ms); `None`: the server's.
    pub sms_after_ms: Option<i64>,
    pub call_after_ms: Option<i64>,
    /// Their language's tag ("ru"); `None`: the server's default.
    pub locale: Option<String>,
}

const STAFF_COLUMNS: &str = "id, login, name, role, password_hash, on_duty_since, disabled_at, session_epoch, phone, backup_since, \
     sms_after_ms, call_after_ms, locale";

fn staff_from_row(row: &impl Cells) -> Result<StaffRecord, StoreError> {
    let role: String = row.cell("role")?;
    Ok(StaffRecord {
        id: row.cell("id")?,
        login: row.cell("login")?,
        name: row.cell("name")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("role {role}")))?,
        password_hash: row.cell("password_hash")?,
        on_duty_since: row.cell("on_duty_since")?,
        disabled: row.cell::<Option<i64>>("disabled_at")?.is_some(),
        session_epoch: row.cell("session_epoch")?,
        phone: row.cell("phone")?,
        backup: row.cell::<Option<i64>>("backup_since")?.is_some(),
        sms_after_ms: row.cell("sms_after_ms")?,
        call_after_ms: row.cell("call_after_ms")?,
        locale: row.cell("locale")?,
    })
}

impl Store {
    /// Adds a member of staff; `Ok(None)` when the login is taken.
    pub async fn add_staff(
        &self,
        login: &str,
        name: &str,
        role: Role,
        password_hash: &str,
        phone: Option<&str>,
        locale: Option<&str>,
    ) -> Result<Option<i64>, StoreError> {
        on!(&self.pool, |pool| {
            let inserted = sqlx::query(
                "INSERT INTO staff (login, name, role, password_hash, created_at, phone, locale) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(login)
            .bind(name)
            .bind(role.as_str())
            .bind(password_hash)
            .bind(now_ms())
            .bind(phone)
            .bind(locale)
            .fetch_one(pool)
            .await;
            match inserted {
                Ok(row) => Ok(Some(row.try_get("id")?)),
                Err(e) if is_unique_violation(&e, "login") => Ok(None),
                Err(e) => Err(e.into()),
            }
        })
    }

    /// A member's own language, by its tag. `Ok(false)` when there is no such login.
    pub async fn set_staff_locale(&self, login: &str, locale: &str) -> Result<bool, StoreError> {
        on!(&self.pool, |pool| {
            let done = sqlx::query("UPDATE staff SET locale = $2 WHERE login = $1")
                .bind(login)
                .bind(locale)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Sets a new password and ends every session begun with the old one. `Ok(false)` when there is no such login.
    pub async fn set_password(&self, login: &str, password_hash: &str) -> Result<bool, StoreError> {
        on!(&self.pool, |pool| {
            let done =
                sqlx::query("UPDATE staff SET password_hash = $2, session_epoch = session_epoch + 1 WHERE login = $1")
                    .bind(login)
                    .bind(password_hash)
                    .execute(pool)
                    .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    pub async fn staff_by_login(&self, login: &str) -> Result<Option<StaffRecord>, StoreError> {
        if !findable(login) {
            return Ok(None);
        }
        on!(&self.pool, |pool| {
            let sql = format!("SELECT {STAFF_COLUMNS} FROM staff WHERE login = $1");
            let row = sqlx::query(&sql).bind(login).fetch_optional(pool).await?;
            row.as_ref().map(staff_from_row).transpose()
        })
    }

    pub async fn staff_by_id(&self, id: i64) -> Result<Option<StaffRecord>, StoreError> {
        on!(&self.pool, |pool| {
            let sql = format!("SELECT {STAFF_COLUMNS} FROM staff WHERE id = $1");
            let row = sqlx::query(&sql).bind(id).fetch_optional(pool).await?;
            row.as_ref().map(staff_from_row).transpose()
        })
    }

    /// The member with this mobile number (E.164) whose account is in use: who replied to a page.
    pub async fn staff_by_phone(&self, phone: &str) -> Result<Option<StaffRecord>, StoreError> {
        if !findable(phone) {
            return Ok(None);
        }
        on!(&self.pool, |pool| {
            // One number on two accounts (a technician who also dispatches): the technician answers pages.
            let sql = format!(
                "SELECT {STAFF_COLUMNS} FROM staff WHERE phone = $1 AND disabled_at IS NULL \
                 ORDER BY CASE role WHEN 'technician' THEN 0 ELSE 1 END, id"
            );
            let row = sqlx::query(&sql).bind(phone).fetch_optional(pool).await?;
            row.as_ref().map(staff_from_row).transpose()
        })
    }

    /// How texts and calls reach a member: their number and their own delays. `Ok(false)` when there is no such
    /// login.
    pub async fn set_staff_alerts(
        &self,
        login: &str,
        phone: Option<&str>,
        (sms_after_ms, call_after_ms): (Option<i64>, Option<i64>),
    ) -> Result<bool, StoreError> {
        on!(&self.pool, |pool| {
            let done =
                sqlx::query("UPDATE staff SET phone = $2, sms_after_ms = $3, call_after_ms = $4 WHERE login = $1")
                    .bind(login)
                    .bind(phone)
                    .bind(sms_after_ms)
                    .bind(call_after_ms)
                    .execute(pool)
                    .await?
                    .rows_affected();
            Ok(done > 0)
        })
    }

    pub async fn list_staff(&self) -> Result<Vec<StaffRecord>, StoreError> {
        on!(&self.pool, |pool| {
            let sql = format!("SELECT {STAFF_COLUMNS} FROM staff ORDER BY role, name");
            sqlx::query(&sql).fetch_all(pool).await?.iter().map(staff_from_row).collect()
        })
    }

    /// Disables (or enables again) an account; a disabled account can not log in, goes off duty, and its sessions
    /// end for good (enabling it again does not bring them back). `Ok(false)` when there is no such login.
    pub async fn set_staff_disabled(&self, login: &str, disabled: bool) -> Result<bool, StoreError> {
        on!(&self.pool, |pool| {
            let query = if disabled {
                sqlx::query(
                    "UPDATE staff SET disabled_at = $2, on_duty_since = NULL, session_epoch = session_epoch + 1 \
                     WHERE login = $1",
                )
                .bind(login)
                .bind(now_ms())
            } else {
                sqlx::query("UPDATE staff SET disabled_at = NULL WHERE login = $1").bind(login)
            };
            Ok(query.execute(pool).await?.rows_affected() == 1)
        })
    }

    pub async fn set_on_duty(&self, staff_id: i64, on_duty: bool) -> Result<(), StoreError> {
        on!(&self.pool, |pool| {
            // Keep the first "on" time when pressed twice: it says how long the shift has run.
            let query = if on_duty {
                sqlx::query("UPDATE staff SET on_duty_since = COALESCE(on_duty_since, $2) WHERE id = $1")
                    .bind(staff_id)
                    .bind(now_ms())
            } else {
                sqlx::query("UPDATE staff SET on_duty_since = NULL WHERE id = $1").bind(staff_id)
            };
            query.execute(pool).await?;
            Ok(())
        })
    }

    /// Puts a technician on the backup list or takes them off it. `false` when no active technician has the id.
    pub async fn set_backup(&self, staff_id: i64, backup: bool) -> Result<bool, StoreError> {
        on!(&self.pool, |pool| {
            let query = if backup {
                sqlx::query(
                    "UPDATE staff SET backup_since = COALESCE(backup_since, $2) WHERE id = $1 \
                     AND role = 'technician' AND disabled_at IS NULL",
                )
                .bind(staff_id)
                .bind(now_ms())
            } else {
                sqlx::query(
                    "UPDATE staff SET backup_since = NULL WHERE id = $1 AND role = 'technician' AND disabled_at IS NULL",
                )
                .bind(staff_id)
            };
            Ok(query.execute(pool).await?.rows_affected() == 1)
        })
    }

    /// Every active technician: on duty (primary) first, then backups, then the rest, by name.
    pub async fn roster(&self) -> Result<Vec<RosterLine>, StoreError> {
        on!(&self.pool, |pool| {
            let rows = sqlx::query(
                "SELECT id, name, on_duty_since, backup_since FROM staff \
                 WHERE role = 'technician' AND disabled_at IS NULL \
                 ORDER BY on_duty_since IS NULL, backup_since IS NULL, name, id",
            )
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    let backup: Option<i64> = r.try_get("backup_since")?;
                    Ok(RosterLine {
                        id: r.try_get("id")?,
                        name: r.try_get("name")?,
                        on_duty_since: r.try_get("on_duty_since")?,
                        backup: backup.is_some(),
                    })
                })
                .collect()
        })
    }

    /// Technicians on duty now, longest first, with how their alert devices are doing.
    pub async fn crew(&self) -> Result<Vec<CrewMember>, StoreError> {
        on!(&self.pool, |pool| {
            let rows = sqlx::query(
                "SELECT s.name, s.on_duty_since, s.phone, COUNT(p.id) AS devices, MAX(p.last_success_at) AS reached, \
                 MAX(p.last_failure_at) AS failed, \
                 (SELECT o.state FROM outbox o WHERE o.staff_id = s.id AND o.channel = 'sms' \
                  AND o.state IN ('sent', 'delivered', 'failed') ORDER BY o.id DESC LIMIT 1) AS last_text \
                 FROM staff s LEFT JOIN push_subscriptions p ON p.staff_id = s.id \
                 WHERE s.on_duty_since IS NOT NULL AND s.disabled_at IS NULL AND s.role = 'technician' \
                 GROUP BY s.id, s.name, s.on_duty_since, s.phone ORDER BY s.on_duty_since, s.id",
            )
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    let reached: Option<i64> = r.try_get("reached")?;
                    let failed: Option<i64> = r.try_get("failed")?;
                    Ok(CrewMember {
                        name: r.try_get("name")?,
                        on_duty_since: r.try_get("on_duty_since")?,
                        devices: u32::try_from(r.try_get::<i64, _>("devices")?).unwrap_or(0),
                        last_reached_at: reached,
                        failing: failed.is_some_and(|f| reached.is_none_or(|s| f > s)),
                        texts: r.try_get::<Option<String>, _>("phone")?.is_some(),
                        texts_failing: r.try_get::<Option<String>, _>("last_text")?.as_deref() == Some("failed"),
                    })
                })
                .collect()
        })
    }

    /// The checklist for a problem (items for every job first) with this job's ticks.
    pub async fn checklist(&self, request_id: i64, problem: Problem) -> Result<Vec<CheckLine>, StoreError> {
        on!(&self.pool, |pool| {
            let rows = sqlx::query(
                "SELECT c.id, c.kind, c.label, j.checked_at FROM checklist_items c \
                 LEFT JOIN job_checks j ON j.item_id = c.id AND j.request_id = $1 \
                 WHERE c.retired_at IS NULL AND c.problem IN ('always', $2) \
                 ORDER BY CASE c.kind WHEN 'question' THEN 0 ELSE 1 END, CASE c.problem WHEN 'always' THEN 1 ELSE 0 END, \
                 c.position, c.id",
            )
            .bind(request_id)
            .bind(problem.as_str())
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(CheckLine {
                        id: r.try_get("id")?,
                        question: r.try_get::<String, _>("kind")? == "question",
                        label: r.try_get("label")?,
                        checked: r.try_get::<Option<i64>, _>("checked_at")?.is_some(),
                    })
                })
                .collect()
        })
    }

    /// Ticks or unticks one line of a job's checklist. `Ok(false)` when the item is not on this problem's list.
    pub async fn set_check(
        &self,
        request_id: i64,
        problem: Problem,
        item_id: i64,
        staff_id: i64,
        checked: bool,
    ) -> Result<bool, StoreError> {
        on!(&self.pool, |pool| {
            let exists = sqlx::query(
                "SELECT 1 AS one FROM checklist_items WHERE id = $1 AND retired_at IS NULL AND problem IN ('always', $2)",
            )
            .bind(item_id)
            .bind(problem.as_str())
            .fetch_optional(pool)
            .await?
            .is_some();
            if !exists {
                return Ok(false);
            }
            if checked {
                sqlx::query(
                    "INSERT INTO job_checks (request_id, item_id, staff_id, checked_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (request_id, item_id) DO NOTHING",
                )
                .bind(request_id)
                .bind(item_id)
                .bind(staff_id)
                .bind(now_ms())
                .execute(pool)
                .await?;
            } else {
                sqlx::query("DELETE FROM job_checks WHERE request_id = $1 AND item_id = $2")
                    .bind(request_id)
                    .bind(item_id)
                    .execute(pool)
                    .await?;
            }
            Ok(true)
        })
    }
}
