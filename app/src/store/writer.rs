//! Group commit for new requests. Every create waits for a sync to disk before it is answered; one writer task
//! takes all the creates that are waiting, writes each in its own savepoint (a bad one undoes only itself), and
//! commits them together: one sync for the lot. Under a flood the batches grow and the syncs per request fall;
//! alone, a request waits for no one.

use sqlx::{Acquire, Row, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

use super::{
    StoreError, is_unique_violation, now_ms,
    requests::{Created, NewEvent, NewRecord, insert_event},
};
use crate::domain::{EventKind, RequestNumber, StatusToken};

/// The most creates one commit carries.
const BATCH: usize = 64;
/// Creates waiting for the writer before senders wait to hand theirs over.
pub(super) const QUEUE: usize = 1024;
/// Four readable characters give 390,625 numbers; after a few collisions in a row we lengthen.
const NUMBER_ATTEMPTS: usize = 8;

pub(super) struct CreateJob {
    pub record: NewRecord,
    pub reply: oneshot::Sender<Result<Inserted, StoreError>>,
}

pub(super) enum Inserted {
    New(Created),
    /// Another create with the same idempotency key was stored first.
    KeyTaken,
}

/// Runs until every `Store` is gone. Its connection is its own, taken from the pool for good.
pub(super) async fn write_creates(
    mut conn: sqlx::pool::PoolConnection<sqlx::Sqlite>,
    mut jobs: mpsc::Receiver<CreateJob>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    while jobs.recv_many(&mut batch, BATCH).await > 0 {
        match commit(&mut conn, &batch).await {
            Ok(results) => {
                for (job, result) in batch.drain(..).zip(results) {
                    let _ = job.reply.send(result);
                }
            }
            Err(e) => {
                // Nothing of the batch was stored: every sender hears so, and nobody is told "saved".
                tracing::error!(error = %e, requests = batch.len(), "a batch of new requests could not be committed");
                for job in batch.drain(..) {
                    let _ = job.reply.send(Err(StoreError::Write(e.to_string())));
                }
            }
        }
    }
}

async fn commit(
    conn: &mut SqliteConnection,
    batch: &[CreateJob],
) -> Result<Vec<Result<Inserted, StoreError>>, sqlx::Error> {
    let mut tx = conn.begin().await?;
    let mut results = Vec::with_capacity(batch.len());
    for job in batch {
        results.push(insert_one(&mut tx, &job.record).await?);
    }
    tx.commit().await?;
    Ok(results)
}

/// A constraint one request broke (its own data): undone by its savepoint, the rest of the batch unharmed.
/// Anything else (a full disk, an I/O error) may have ended the whole transaction: the batch fails as one.
fn only_this_request(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.kind() != sqlx::error::ErrorKind::Other)
}

/// One request in its own savepoint, with a fresh number when the random one is taken. The outer error fails
/// the batch; the inner one is this request's alone.
async fn insert_one(
    tx: &mut SqliteConnection,
    record: &NewRecord,
) -> Result<Result<Inserted, StoreError>, sqlx::Error> {
    let mut attempt = 0;
    loop {
        let (number, token) = {
            let mut rng = rand::rng();
            let len = if attempt < NUMBER_ATTEMPTS / 2 { 4 } else { 5 };
            (RequestNumber::random(&mut rng, len), StatusToken::random(&mut rng))
        };
        let mut savepoint = tx.begin().await?;
        match insert(&mut savepoint, record, number.as_str(), token.as_str()).await {
            Ok(id) => {
                savepoint.commit().await?;
                let (number, token) = (number.as_str().to_owned(), token.as_str().to_owned());
                return Ok(Ok(Inserted::New(Created { id, number, token })));
            }
            Err(e) if only_this_request(&e) => {
                savepoint.rollback().await?;
                if is_unique_violation(&e, "number") && attempt + 1 < NUMBER_ATTEMPTS {
                    attempt += 1;
                } else if is_unique_violation(&e, "idempotency_keys") {
                    return Ok(Ok(Inserted::KeyTaken));
                } else {
                    return Ok(Err(e.into()));
                }
            }
            Err(e) => return Err(e),
        }
    }
}

async fn insert(
    conn: &mut SqliteConnection,
    record: &NewRecord,
    number: &str,
    token: &str,
) -> Result<i64, sqlx::Error> {
    let r = &record.request;
    let now = now_ms();
    if let Some(key) = &record.idempotency {
        // An expired key is forgotten here, in the transaction that takes it anew.
        sqlx::query("DELETE FROM idempotency_keys WHERE caller = $1 AND key = $2 AND created_at < $3")
            .bind(&key.caller)
            .bind(&key.key)
            .bind(key.not_before_ms)
            .execute(&mut *conn)
            .await?;
    }
    let id: i64 = sqlx::query(
        "INSERT INTO help_requests (number, token, source, problem, problem_detail, phone, \
         name, lat, lon, accuracy_m, place, access_notes, vehicle_make, vehicle_model, vehicle_colour, \
         vehicle_plate, notes, someone_inside, created_at, partner_id, due_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $19) \
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
    .fetch_one(&mut *conn)
    .await?
    .try_get("id")?;
    let received = NewEvent { staff_id: record.staff_id, ..NewEvent::by(EventKind::Received, record.actor) };
    insert_event(conn, id, now, &received).await?;
    if let Some(key) = &record.idempotency {
        sqlx::query(
            "INSERT INTO idempotency_keys (caller, key, fingerprint, request_id, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&key.caller)
        .bind(&key.key)
        .bind(&key.fingerprint)
        .bind(id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(id)
}
