//! Help requests and their events.

use sqlx::Row;

use super::{Store, StoreError, is_unique_violation, now_ms};
use crate::domain::{
    Actor, EventKind, NewHelpRequest, Phone, Problem, RequestNumber, RequestStatus, StatusToken, StatusView, Step,
    TimelineEntry, Vehicle,
};

/// One event to append: what, who, and the step's details.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    pub kind: EventKind,
    pub actor: Actor,
    pub staff_id: Option<i64>,
    pub detail: Option<String>,
    pub eta_minutes: Option<u32>,
    pub technician_id: Option<i64>,
    pub level: Option<u8>,
    pub rating: Option<u8>,
}

impl NewEvent {
    pub fn by(kind: EventKind, actor: Actor) -> NewEvent {
        NewEvent::step(Step::new(kind, None, None), actor, None)
    }

    /// What a decided step records, and who took it.
    pub fn step(step: Step, actor: Actor, staff_id: Option<i64>) -> NewEvent {
        let Step { kind, detail, eta_minutes, technician_id, level, rating } = step;
        NewEvent { kind, actor, staff_id, detail, eta_minutes, technician_id, level, rating }
    }
}

/// A request as read, with the version an append must match.
#[derive(Clone, Debug, PartialEq)]
pub struct Loaded {
    pub id: i64,
    pub version: i64,
    pub created_at: i64,
    pub customer_name: Option<String>,
    pub notes: Option<String>,
    /// web, api or phone.
    pub source: String,
    /// The partner whose key sent it (source api).
    pub partner: Option<String>,
    /// The status link's secret: only for dispatch to hand to a caller.
    pub token: String,
    /// Full staff names; `for_customer` shortens them.
    pub view: StatusView,
}

/// What is stored with a validated request: how it reached us, and the key that makes a retry harmless.
pub struct NewRecord<'a> {
    pub request: &'a NewHelpRequest,
    pub source: &'a str,
    pub idempotency: Option<Idempotency<'a>>,
    pub actor: Actor,
    /// The dispatcher who took it on the phone.
    pub staff_id: Option<i64>,
    /// The partner whose key sent it.
    pub partner_id: Option<i64>,
}

/// An idempotency key as Stripe has them: it belongs to one caller, stands for one request (its fingerprint),
/// and is forgotten after a while.
pub struct Idempotency<'a> {
    /// 'web', 'staff:<id>' or 'partner:<id>'.
    pub caller: &'a str,
    pub key: &'a str,
    /// A hash of what was sent: the same key with something else is refused.
    pub fingerprint: &'a str,
    /// Keys older than this (unix ms) are forgotten.
    pub not_before_ms: i64,
}

/// What became of a request sent with a key.
#[derive(Clone, Debug, PartialEq)]
pub enum Creation {
    New(Created),
    /// The key was seen with the same request: that request again.
    Replayed(Created),
    /// The key was seen with a different request.
    KeyReused,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Created {
    pub id: i64,
    pub number: String,
    pub token: String,
}

/// What dispatch searches closed requests by; every part is optional and they combine.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RequestSearch {
    pub number: Option<String>,
    pub phone: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

/// Four readable characters give 390,625 numbers; after a few collisions in a row we lengthen.
const NUMBER_ATTEMPTS: usize = 8;

impl Store {
    /// Stores the request and its `received` event (and its idempotency key) in one transaction, committed (and
    /// synced) before returning.
    pub async fn create_request(&self, record: NewRecord<'_>) -> Result<Creation, StoreError> {
        if let Some(key) = &record.idempotency
            && let Some(seen) = self.seen_key(key).await?
        {
            return Ok(seen);
        }
        let mut attempt = 0;
        loop {
            let (number, token) = {
                let mut rng = rand::rng();
                let len = if attempt < NUMBER_ATTEMPTS / 2 { 4 } else { 5 };
                (RequestNumber::random(&mut rng, len), StatusToken::random(&mut rng))
            };
            match self.insert(&record, number.as_str(), token.as_str()).await {
                Ok(id) => {
                    let (number, token) = (number.as_str().to_owned(), token.as_str().to_owned());
                    return Ok(Creation::New(Created { id, number, token }));
                }
                Err(e) if is_unique_violation(&e, "number") && attempt + 1 < NUMBER_ATTEMPTS => attempt += 1,
                // Two retries with one key raced each other: the other one won; answer as if we came second.
                Err(e) if is_unique_violation(&e, "idempotency_keys") => {
                    if let Some(key) = &record.idempotency
                        && let Some(seen) = self.seen_key(key).await?
                    {
                        return Ok(seen);
                    }
                    return Err(e.into());
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    async fn insert(&self, record: &NewRecord<'_>, number: &str, token: &str) -> Result<i64, sqlx::Error> {
        let r = record.request;
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        if let Some(key) = &record.idempotency {
            // An expired key is forgotten here, in the transaction that takes it anew.
            sqlx::query("DELETE FROM idempotency_keys WHERE caller = $1 AND key = $2 AND created_at < $3")
                .bind(key.caller)
                .bind(key.key)
                .bind(key.not_before_ms)
                .execute(&mut *tx)
                .await?;
        }
        let id: i64 = sqlx::query(
            "INSERT INTO help_requests (number, token, source, problem, problem_detail, phone, \
             name, lat, lon, accuracy_m, place, access_notes, vehicle_make, vehicle_model, vehicle_colour, \
             vehicle_plate, notes, someone_inside, created_at, partner_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) \
             RETURNING id",
        )
        .bind(number)
        .bind(token)
        .bind(record.source)
        .bind(r.problem.as_str())
        .bind(&r.problem_detail)
        .bind(r.phone.e164())
        .bind(&r.name)
        .bind(r.coordinates.map(|c| c.lat))
        .bind(r.coordinates.map(|c| c.lon))
        .bind(r.coordinates.and_then(|c| c.accuracy_m))
        .bind(&r.place)
        .bind(&r.access_notes)
        .bind(&r.vehicle.make)
        .bind(&r.vehicle.model)
        .bind(&r.vehicle.colour)
        .bind(&r.vehicle.plate)
        .bind(&r.notes)
        .bind(r.someone_inside)
        .bind(now)
        .bind(record.partner_id)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        let received = NewEvent { staff_id: record.staff_id, ..NewEvent::by(EventKind::Received, record.actor) };
        insert_event(&mut tx, id, now, &received).await?;
        if let Some(key) = &record.idempotency {
            sqlx::query(
                "INSERT INTO idempotency_keys (caller, key, fingerprint, request_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(key.caller)
            .bind(key.key)
            .bind(key.fingerprint)
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// What a key still in force says: the same request again, or a refusal for a different one.
    async fn seen_key(&self, key: &Idempotency<'_>) -> Result<Option<Creation>, StoreError> {
        let row = sqlx::query(
            "SELECT k.fingerprint, r.id, r.number, r.token FROM idempotency_keys k \
             JOIN help_requests r ON r.id = k.request_id WHERE k.caller = $1 AND k.key = $2 AND k.created_at >= $3",
        )
        .bind(key.caller)
        .bind(key.key)
        .bind(key.not_before_ms)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        if row.try_get::<String, _>("fingerprint")? != key.fingerprint {
            return Ok(Some(Creation::KeyReused));
        }
        Ok(Some(Creation::Replayed(Created {
            id: row.try_get("id")?,
            number: row.try_get("number")?,
            token: row.try_get("token")?,
        })))
    }

    pub async fn request_id_by_token(&self, token: &str) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query("SELECT id FROM help_requests WHERE token = $1")
            .bind(token)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| row.try_get("id"))
            .transpose()?)
    }

    /// Appends an event unless another was appended since `version` was read: then `Ok(false)`, and the caller
    /// reads again and decides again (the first accept wins; the second sees who took it).
    pub async fn append_event(&self, request_id: i64, version: i64, event: &NewEvent) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let bumped = sqlx::query("UPDATE help_requests SET version = version + 1 WHERE id = $1 AND version = $2")
            .bind(request_id)
            .bind(version)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if bumped == 0 {
            return Ok(false);
        }
        insert_event(&mut tx, request_id, now_ms(), event).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn request_id_by_number(&self, number: &str) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query("SELECT id FROM help_requests WHERE number = $1")
            .bind(number)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| row.try_get("id"))
            .transpose()?)
    }

    /// One request with its whole timeline.
    pub async fn load(&self, request_id: i64) -> Result<Option<Loaded>, StoreError> {
        let Some(row) = sqlx::query(
            "SELECT number, problem, problem_detail, phone, name, notes, lat, lon, accuracy_m, place, \
             access_notes, vehicle_make, vehicle_model, vehicle_colour, vehicle_plate, someone_inside, version, \
             created_at, source, token, (SELECT p.name FROM partners p WHERE p.id = partner_id) AS partner \
             FROM help_requests WHERE id = $1",
        )
        .bind(request_id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let problem: String = row.try_get("problem")?;
        let events = sqlx::query(
            "SELECT e.at, e.kind, e.actor, e.detail, e.eta_minutes, e.staff_id, s.name AS staff_name, \
             e.technician_id, t.name AS technician_name, e.level, e.rating FROM request_events e \
             LEFT JOIN staff s ON s.id = e.staff_id LEFT JOIN staff t ON t.id = e.technician_id \
             WHERE e.request_id = $1 ORDER BY e.id",
        )
        .bind(request_id)
        .fetch_all(&self.pool)
        .await?;
        let timeline = events
            .iter()
            .map(|e| {
                let kind: String = e.try_get("kind")?;
                let eta: Option<i64> = e.try_get("eta_minutes")?;
                let level: Option<i64> = e.try_get("level")?;
                let rating: Option<i64> = e.try_get("rating")?;
                Ok(TimelineEntry {
                    kind: EventKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("event kind {kind}")))?,
                    actor: Actor::parse(e.try_get("actor")?),
                    at: e.try_get("at")?,
                    detail: e.try_get("detail")?,
                    eta_minutes: eta.and_then(|m| u32::try_from(m).ok()),
                    by: e.try_get("staff_name")?,
                    staff_id: e.try_get("staff_id")?,
                    technician: e.try_get("technician_name")?,
                    technician_id: e.try_get("technician_id")?,
                    level: level.and_then(|l| u8::try_from(l).ok()),
                    rating: rating.and_then(|r| u8::try_from(r).ok()),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let phone: String = row.try_get("phone")?;
        let mut view = StatusView {
            number: row.try_get("number")?,
            status: RequestStatus::Received,
            problem: Problem::parse(&problem).ok_or_else(|| StoreError::Corrupt(format!("problem {problem}")))?,
            problem_detail: row.try_get("problem_detail")?,
            place: row.try_get("place")?,
            lat: row.try_get("lat")?,
            lon: row.try_get("lon")?,
            accuracy_m: row.try_get("accuracy_m")?,
            access_notes: row.try_get("access_notes")?,
            vehicle: Vehicle {
                make: row.try_get("vehicle_make")?,
                model: row.try_get("vehicle_model")?,
                colour: row.try_get("vehicle_colour")?,
                plate: row.try_get("vehicle_plate")?,
            },
            someone_inside: row.try_get("someone_inside")?,
            phone_display: Phone::from_stored(phone.clone()).international(),
            phone,
            callback_requested: false,
            technician: None,
            eta_at: None,
            follow_up_due: false,
            timeline,
        };
        view.derive();
        Ok(Some(Loaded {
            id: request_id,
            version: row.try_get("version")?,
            created_at: row.try_get("created_at")?,
            customer_name: row.try_get("name")?,
            notes: row.try_get("notes")?,
            source: row.try_get("source")?,
            partner: row.try_get("partner")?,
            token: row.try_get("token")?,
            view,
        }))
    }

    /// Requests not yet done or cancelled, oldest first: nobody waits behind a newer request.
    pub async fn open_requests(&self) -> Result<Vec<Loaded>, StoreError> {
        // Done and cancelled are final, so "open" is "has neither".
        let ids = sqlx::query(
            "SELECT r.id FROM help_requests r WHERE NOT EXISTS (SELECT 1 FROM request_events e \
             WHERE e.request_id = r.id AND e.kind IN ('done', 'cancelled')) ORDER BY r.created_at, r.id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut open = Vec::with_capacity(ids.len());
        for row in ids {
            if let Some(loaded) = self.load(row.try_get("id")?).await? {
                open.push(loaded);
            }
        }
        Ok(open)
    }

    /// Requests by number, by phone (E.164) or sent on a day (`from..to` unix ms), newest first; at most `limit`.
    pub async fn find_requests(&self, search: &RequestSearch, limit: i64) -> Result<Vec<Loaded>, StoreError> {
        let ids = sqlx::query(
            "SELECT id FROM help_requests WHERE ($1 IS NULL OR number = $1) AND ($2 IS NULL OR phone = $2) \
             AND ($3 IS NULL OR created_at >= $3) AND ($4 IS NULL OR created_at < $4) \
             ORDER BY created_at DESC, id DESC LIMIT $5",
        )
        .bind(&search.number)
        .bind(&search.phone)
        .bind(search.from_ms)
        .bind(search.to_ms)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut found = Vec::with_capacity(ids.len());
        for row in ids {
            if let Some(loaded) = self.load(row.try_get("id")?).await? {
                found.push(loaded);
            }
        }
        Ok(found)
    }

    pub async fn count_requests(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM help_requests").fetch_one(&self.pool).await?.try_get("n")?)
    }
}

async fn insert_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    request_id: i64,
    at: i64,
    event: &NewEvent,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO request_events (request_id, at, kind, actor, detail, eta_minutes, staff_id, technician_id, \
         level, rating) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(request_id)
    .bind(at)
    .bind(event.kind.as_str())
    .bind(event.actor.as_str())
    .bind(&event.detail)
    .bind(event.eta_minutes.map(i64::from))
    .bind(event.staff_id)
    .bind(event.technician_id)
    .bind(event.level.map(i64::from))
    .bind(event.rating.map(i64::from))
    .execute(&mut **tx)
    .await?;
    Ok(())
}
