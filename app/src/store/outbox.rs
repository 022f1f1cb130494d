//! Texts and calls waiting to be sent, and what became of each: rows written in the transaction of the event
//! that causes them, claimed by the sender with a lease, and moved on by the provider's receipts.

use sqlx::Row;

use super::{Conn, Store, StoreError, findable, now_ms, on};
use crate::domain::{Audience, Channel, Purpose, SendNote, SendState, SentLine};

/// What an append (or a new request) also writes to the outbox. Times are counted from the event's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Queue {
    /// A text or a call to each member of `audience` with a mobile number, `after_ms` after the event (or
    /// after their own delay for the channel); once per member and wait (`wait_began`, unix ms; `None`: the wait begins with this event).
    Page { audience: Audience, wait_began: Option<i64>, channel: Channel, after_ms: i64 },
    /// A text to the customer, at once.
    Customer { purpose: Purpose },
    /// Pages not yet sent for this request are not sent: someone owns it, or it is closed.
    StopPaging,
    /// Nor those to this member: they passed on it, or handed it back.
    StopPagingMember(i64),
}

/// What a receipt did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Receipt {
    /// Moved the text or call of this request on.
    Applied(i64),
    /// Older news than what we have.
    Stale,
    /// No text or call of ours has this id (yet: the provider's answer to the send may still be on its way).
    Unknown,
}

/// One text or call claimed for sending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claimed {
    pub id: i64,
    pub request_id: i64,
    pub channel: Channel,
    pub purpose: Purpose,
    pub staff_id: Option<i64>,
    pub to_phone: String,
    pub wait_began: Option<i64>,
    /// This attempt's number, from 1.
    pub attempt: i64,
}

/// A note as `outbox.detail` keeps it: its facts as JSON.
fn kept(note: &SendNote) -> String {
    serde_json::to_string(note).unwrap_or_default()
}

/// A kept note; text that is not one was written before notes were facts, and is shown as it is.
fn read_note(text: String) -> SendNote {
    serde_json::from_str(&text).unwrap_or(SendNote::Verbatim { text })
}

/// The staff an audience names, as a condition on `s` (the staff table) in accounts in use; `member` is the
/// parameter the member's id is bound to (bound only for `Audience::Member`).
pub(super) fn audience_condition(audience: Audience, member: &str) -> String {
    let only = match audience {
        Audience::Member(_) => format!("s.id = {member}"),
        Audience::OnDuty => "s.on_duty_since IS NOT NULL AND s.role = 'technician'".to_owned(),
        Audience::Backups => {
            "s.backup_since IS NOT NULL AND s.on_duty_since IS NULL AND s.role = 'technician'".to_owned()
        }
        Audience::Dispatchers => "s.role IN ('dispatcher', 'admin')".to_owned(),
    };
    format!("s.disabled_at IS NULL AND {only}")
}

/// Writes `queue`'s rows inside the transaction of the event that causes them.
pub(super) async fn enqueue(conn: Conn<'_>, request_id: i64, now: i64, queue: &[Queue]) -> Result<(), sqlx::Error> {
    on!(conn, |conn| {
        for q in queue {
            match *q {
                Queue::Page { audience, wait_began, channel, after_ms } => {
                    let sql = format!(
                        "INSERT INTO outbox (request_id, channel, purpose, staff_id, to_phone, wait_began, due_at, \
                         created_at, updated_at) \
                         SELECT $1, $2, 'page', s.id, s.phone, $3, \
                         $5 + COALESCE(CASE $2 WHEN 'sms' THEN s.sms_after_ms ELSE s.call_after_ms END, $4), $5, $5 \
                         FROM staff s \
                         WHERE s.phone IS NOT NULL AND {} \
                         ON CONFLICT DO NOTHING",
                        audience_condition(audience, "$6")
                    );
                    let query = sqlx::query(&sql)
                        .bind(request_id)
                        .bind(channel.as_str())
                        .bind(wait_began.unwrap_or(now))
                        .bind(after_ms)
                        .bind(now);
                    let query = if let Audience::Member(id) = audience { query.bind(id) } else { query };
                    query.execute(&mut *conn).await?;
                }
                Queue::Customer { purpose } => {
                    sqlx::query(
                        "INSERT INTO outbox (request_id, channel, purpose, to_phone, due_at, created_at, updated_at) \
                         SELECT id, 'sms', $2, phone, $3, $4, $4 FROM help_requests WHERE id = $1",
                    )
                    .bind(request_id)
                    .bind(purpose.as_str())
                    .bind(now)
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
                }
                Queue::StopPagingMember(staff_id) => {
                    sqlx::query(
                        "UPDATE outbox SET state = 'cancelled', detail = $4, updated_at = $3 \
                         WHERE request_id = $1 AND staff_id = $2 AND purpose = 'page' AND state = 'pending'",
                    )
                    .bind(request_id)
                    .bind(staff_id)
                    .bind(now)
                    .bind(kept(&SendNote::PassedOn))
                    .execute(&mut *conn)
                    .await?;
                }
                Queue::StopPaging => {
                    sqlx::query(
                        "UPDATE outbox SET state = 'cancelled', detail = $3, updated_at = $2 \
                         WHERE request_id = $1 AND purpose = 'page' AND state = 'pending'",
                    )
                    .bind(request_id)
                    .bind(now)
                    .bind(kept(&SendNote::NoLongerWaiting))
                    .execute(&mut *conn)
                    .await?;
                }
            }
        }
    });
    Ok(())
}

impl Store {
    /// Takes up to `limit` texts and calls due by `now` for `lease_ms`: another sender (or this one after a
    /// restart) does not take them meanwhile. Rows whose sender died while sending are settled first.
    pub async fn claim_due(&self, now: i64, lease_ms: i64, limit: i64) -> Result<Vec<Claimed>, StoreError> {
        on!(&self.pool, |pool| {
            // A sender that died before handing a row over: it is due again. One that died after, waiting for the
            // provider's answer: a page is sent again (a second text beats a missed job); a customer's text is not,
            // and dispatch sees that it may not have gone out.
            sqlx::query(
                "UPDATE outbox SET claimed_until = NULL, updated_at = $1, \
                 state = CASE WHEN state = 'claimed' OR purpose = 'page' THEN 'pending' ELSE 'failed' END, \
                 detail = CASE WHEN state = 'claimed' OR purpose = 'page' THEN detail ELSE $2 END \
                 WHERE state IN ('claimed', 'sending') AND claimed_until < $1",
            )
            .bind(now)
            .bind(kept(&SendNote::StoppedWhileSending))
            .execute(pool)
            .await?;
            // `state = 'pending'` again outside the subquery: of two instances claiming at once, the second finds the
            // row taken, not its stale snapshot of it. On PostgreSQL it passes over rows another is claiming.
            let sql = format!(
                "UPDATE outbox SET state = 'claimed', claimed_until = $2, attempts = attempts + 1, updated_at = $1 \
                 WHERE state = 'pending' AND id IN \
                 (SELECT id FROM outbox WHERE state = 'pending' AND due_at <= $1 ORDER BY due_at, id LIMIT $3{}) \
                 RETURNING id, request_id, channel, purpose, staff_id, to_phone, wait_began, attempts, due_at",
                super::skip_locked(pool)
            );
            let rows = sqlx::query(&sql).bind(now).bind(now + lease_ms).bind(limit).fetch_all(pool).await?;
            let mut claimed = rows
                .iter()
                .map(|r| {
                    let channel: String = r.try_get("channel")?;
                    let purpose: String = r.try_get("purpose")?;
                    let row = Claimed {
                        id: r.try_get("id")?,
                        request_id: r.try_get("request_id")?,
                        channel: Channel::parse(&channel)
                            .ok_or_else(|| StoreError::Corrupt(format!("outbox channel {channel}")))?,
                        purpose: Purpose::parse(&purpose)
                            .ok_or_else(|| StoreError::Corrupt(format!("outbox purpose {purpose}")))?,
                        staff_id: r.try_get("staff_id")?,
                        to_phone: r.try_get("to_phone")?,
                        wait_began: r.try_get("wait_began")?,
                        attempt: r.try_get("attempts")?,
                    };
                    Ok((r.try_get::<i64, _>("due_at")?, row))
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            // Oldest due first: RETURNING keeps no order on PostgreSQL.
            claimed.sort_by_key(|(due, row)| (*due, row.id));
            Ok(claimed.into_iter().map(|(_, row)| row).collect())
        })
    }

    /// When the next text or call falls due, if any is waiting.
    pub async fn next_due(&self) -> Result<Option<i64>, StoreError> {
        on!(&self.pool, |pool| {
            Ok(sqlx::query_scalar("SELECT MIN(due_at) FROM outbox WHERE state = 'pending'").fetch_one(pool).await?)
        })
    }

    /// About to be handed to the provider: from here a crash leaves it unknown whether it went out.
    pub async fn mark_sending(&self, id: i64, body: &str) -> Result<(), StoreError> {
        on!(&self.pool, |pool| {
            sqlx::query(
                "UPDATE outbox SET state = 'sending', body = $2, updated_at = $3 WHERE id = $1 AND state = 'claimed'",
            )
            .bind(id)
            .bind(body)
            .bind(now_ms())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// The provider took it.
    pub async fn mark_sent(&self, id: i64, sid: &str, body: &str) -> Result<(), StoreError> {
        on!(&self.pool, |pool| {
            sqlx::query(
                "UPDATE outbox SET state = 'sent', provider_sid = $2, body = $3, claimed_until = NULL, detail = NULL, \
                 updated_at = $4 WHERE id = $1",
            )
            .bind(id)
            .bind(sid)
            .bind(body)
            .bind(now_ms())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Not sent this time; tried again at `due_at`.
    pub async fn retry_at(&self, id: i64, due_at: i64, note: &SendNote) -> Result<(), StoreError> {
        on!(&self.pool, |pool| {
            sqlx::query(
                "UPDATE outbox SET state = 'pending', due_at = $2, detail = $3, claimed_until = NULL, updated_at = $4 \
                 WHERE id = $1",
            )
            .bind(id)
            .bind(due_at)
            .bind(kept(note))
            .bind(now_ms())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Ends a claimed row without sending (cancelled) or after giving up (failed).
    pub async fn settle(
        &self,
        id: i64,
        state: SendState,
        note: &SendNote,
        body: Option<&str>,
    ) -> Result<(), StoreError> {
        on!(&self.pool, |pool| {
            sqlx::query(
                "UPDATE outbox SET state = $2, detail = $3, body = COALESCE($4, body), claimed_until = NULL, \
                 updated_at = $5 WHERE id = $1",
            )
            .bind(id)
            .bind(state.as_str())
            .bind(kept(note))
            .bind(body)
            .bind(now_ms())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// A receipt from the provider: moves a sent text or call on, never back (receipts arrive out of order).
    pub async fn receipt(&self, sid: &str, state: SendState, note: Option<&SendNote>) -> Result<Receipt, StoreError> {
        if !findable(sid) {
            return Ok(Receipt::Unknown);
        }
        on!(&self.pool, |pool| {
            let row = sqlx::query(
                "UPDATE outbox SET state = $2, detail = COALESCE($3, detail), updated_at = $4 \
                 WHERE provider_sid = $1 AND state = 'sent' RETURNING request_id",
            )
            .bind(sid)
            .bind(state.as_str())
            .bind(note.map(kept))
            .bind(now_ms())
            .fetch_optional(pool)
            .await?;
            if let Some(row) = row {
                return Ok(Receipt::Applied(row.try_get("request_id")?));
            }
            // Stale only once it has moved past `sent`: one that became `sent` since the update looked (the
            // send's answer committed between the two statements) is tried again by the caller.
            let moved_on = sqlx::query("SELECT 1 FROM outbox WHERE provider_sid = $1 AND state <> 'sent'")
                .bind(sid)
                .fetch_optional(pool)
                .await?;
            Ok(if moved_on.is_some() { Receipt::Stale } else { Receipt::Unknown })
        })
    }

    /// A claimed or sent row, for a call's answer: (request id, member paged).
    pub async fn outbox_page(&self, id: i64) -> Result<Option<(i64, Option<i64>)>, StoreError> {
        on!(&self.pool, |pool| {
            let row = sqlx::query("SELECT request_id, staff_id FROM outbox WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?;
            row.map(|r| Ok((r.try_get("request_id")?, r.try_get("staff_id")?))).transpose()
        })
    }

    /// Every text and call for a request, oldest first; with `only`, those paging that member.
    pub async fn sent_for(&self, request_id: i64, only: Option<i64>) -> Result<Vec<SentLine>, StoreError> {
        on!(&self.pool, |pool| {
            let rows = sqlx::query(
                "SELECT o.channel, o.purpose, s.name AS staff, o.state, o.attempts, o.body, o.detail, o.created_at, \
                 o.updated_at FROM outbox o LEFT JOIN staff s ON s.id = o.staff_id \
                 WHERE o.request_id = $1 AND ($2 IS NULL OR o.staff_id = $2) ORDER BY o.id",
            )
            .bind(request_id)
            .bind(only)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    let (channel, purpose, state): (String, String, String) =
                        (r.try_get("channel")?, r.try_get("purpose")?, r.try_get("state")?);
                    let corrupt = |what: &str| StoreError::Corrupt(format!("outbox {what}"));
                    Ok(SentLine {
                        channel: Channel::parse(&channel).ok_or_else(|| corrupt(&channel))?,
                        purpose: Purpose::parse(&purpose).ok_or_else(|| corrupt(&purpose))?,
                        staff: r.try_get("staff")?,
                        state: SendState::parse(&state).ok_or_else(|| corrupt(&state))?,
                        attempts: r.try_get("attempts")?,
                        body: r.try_get("body")?,
                        detail: r.try_get::<Option<String>, _>("detail")?.map(read_note),
                        created_at: r.try_get("created_at")?,
                        updated_at: r.try_get("updated_at")?,
                    })
                })
                .collect()
        })
    }

    /// Since when texts and calls have been failing to reach the provider (the oldest waiting for another
    /// attempt after `min_attempts`), and its last error: dispatch's alarm.
    pub async fn sending_trouble(&self, min_attempts: i64) -> Result<Option<(i64, SendNote)>, StoreError> {
        on!(&self.pool, |pool| {
            let row = sqlx::query(
                "SELECT created_at, detail FROM outbox WHERE state = 'pending' AND attempts >= $1 \
                 ORDER BY created_at LIMIT 1",
            )
            .bind(min_attempts)
            .fetch_optional(pool)
            .await?;
            row.map(|r| {
                let note = read_note(r.try_get::<Option<String>, _>("detail")?.unwrap_or_default());
                Ok((r.try_get("created_at")?, note))
            })
            .transpose()
        })
    }

    /// The customer replied STOP (`true`) or START (`false`).
    pub async fn set_opt_out(&self, phone: &str, out: bool) -> Result<(), StoreError> {
        on!(&self.pool, |pool| {
            let query = if out {
                sqlx::query("INSERT INTO sms_opt_outs (phone, at) VALUES ($1, $2) ON CONFLICT (phone) DO NOTHING")
                    .bind(phone)
                    .bind(now_ms())
            } else {
                sqlx::query("DELETE FROM sms_opt_outs WHERE phone = $1").bind(phone)
            };
            query.execute(pool).await?;
            Ok(())
        })
    }

    pub async fn opted_out(&self, phone: &str) -> Result<bool, StoreError> {
        if !findable(phone) {
            return Ok(false);
        }
        on!(&self.pool, |pool| {
            Ok(sqlx::query("SELECT 1 FROM sms_opt_outs WHERE phone = $1")
                .bind(phone)
                .fetch_optional(pool)
                .await?
                .is_some())
        })
    }
}
