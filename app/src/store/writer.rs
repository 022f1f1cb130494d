//! Group commit for new requests. Every create waits for a sync to disk before it is answered; one writer task
//! takes all the creates that are waiting, writes them with one statement per kind of row (a request that
//! breaks a constraint sends the batch through one savepoint each, so it undoes only itself), and commits them
//! together: one sync for the lot. Under a flood the batches grow and the syncs per request fall;
//! alone, a request waits for no one.

use sqlx::{Acquire, QueryBuilder};
use tokio::sync::{mpsc, oneshot};

use super::{
    Backend, Conn, StoreError, now_ms, on,
    requests::{Created, Idempotency, NewRecord},
};
use crate::domain::{EventKind, RequestNumber, StatusToken};

/// The most creates one commit carries.
const BATCH: usize = 64;
/// Creates waiting for the writer before senders wait to hand theirs over.
pub(super) const QUEUE: usize = 1024;
/// Tries for a free request number before giving up.
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

type Connection = Backend<sqlx::pool::PoolConnection<sqlx::Sqlite>, sqlx::pool::PoolConnection<sqlx::Postgres>>;

/// Runs until every `Store` is gone. Its connection is its own, taken from the pool and kept, until a batch
/// fails: then the next batch takes a new one (a database restarted or failed over has cut the old). On
/// PostgreSQL each instance has its writer; their batches commit side by side.
pub(super) async fn write_creates(
    pool: super::Pool,
    first: Connection,
    mut jobs: mpsc::Receiver<CreateJob>,
    instance: std::sync::Arc<str>,
) {
    let mut conn = Some(first);
    let mut batch = Vec::with_capacity(BATCH);
    while jobs.recv_many(&mut batch, BATCH).await > 0 {
        let committed = match &mut conn {
            Some(conn) => on!(conn, |c| commit((&mut **c).into(), &batch, &instance).await),
            None => match acquire(&pool).await {
                Ok(new) => on!(conn.insert(new), |c| commit((&mut **c).into(), &batch, &instance).await),
                Err(e) => Err(e),
            },
        };
        if committed.is_err() {
            conn = None;
        }
        match committed {
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

pub(super) async fn acquire(pool: &super::Pool) -> Result<Connection, sqlx::Error> {
    Ok(match pool {
        Backend::Sqlite(pool) => Backend::Sqlite(pool.acquire().await?),
        Backend::Postgres(pool) => Backend::Postgres(pool.acquire().await?),
    })
}

/// How often the WAL is copied into the database file.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Copies committed pages from the WAL into the database file, beside the writer rather than in its way: a
/// passive checkpoint waits for nobody, and the writer never stops to sync the database file. Ends with the
/// writer.
pub(super) async fn checkpoints(pool: sqlx::SqlitePool, writer: mpsc::WeakSender<CreateJob>) {
    let mut every = tokio::time::interval(CHECKPOINT_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if writer.upgrade().is_none() {
            return;
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
            tracing::warn!(error = %e, "copying the write-ahead log into the database failed; trying again");
        }
    }
}

async fn commit(
    conn: Conn<'_>,
    batch: &[CreateJob],
    instance: &str,
) -> Result<Vec<Result<Inserted, StoreError>>, sqlx::Error> {
    on!(conn, |conn| {
        let mut tx = conn.begin().await?;
        let mut together = tx.begin().await?;
        let results = match insert_all((&mut *together).into(), batch).await {
            Ok(results) => {
                together.commit().await?;
                results
            }
            // A constraint one request broke fails the statement for all: undo, and write them one by one, each in a
            // savepoint of its own, so that one fails alone.
            Err(e) if only_this_request(&e) => {
                together.rollback().await?;
                let mut results = Vec::with_capacity(batch.len());
                for job in batch {
                    let mut alone = tx.begin().await?;
                    match insert_all((&mut *alone).into(), std::slice::from_ref(job)).await {
                        Ok(mut result) => {
                            alone.commit().await?;
                            results.append(&mut result);
                        }
                        Err(e) if only_this_request(&e) => {
                            alone.rollback().await?;
                            results.push(Err(e.into()));
                        }
                        Err(e) => return Err(e),
                    }
                }
                results
            }
            Err(e) => return Err(e),
        };
        // The other instances' boards hear of the new requests when they are committed, not before.
        let new = results.iter().filter_map(|r| match r {
            Ok(Inserted::New(created)) => Some(crate::live::Changed::Request(created.id)),
            _ => None,
        });
        super::feed::notify((&mut *tx).into(), instance, new).await?;
        tx.commit().await?;
        Ok(results)
    })
}

/// A constraint one request broke (its own data): undone by its savepoint, the rest of the batch unharmed.
/// Anything else (a full disk, an I/O error) may have ended the whole transaction: the batch fails as one.
fn only_this_request(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.kind() != sqlx::error::ErrorKind::Other)
}

/// The requests, their `received` events and their idempotency keys, a statement for each kind of row however
/// many requests there are (each statement is a hop to SQLite's thread, and hops, not rows, are what cost). A
/// number or a key already taken is an answer, not an error: an error would undo the statement for everyone.
async fn insert_all(conn: Conn<'_>, batch: &[CreateJob]) -> Result<Vec<Result<Inserted, StoreError>>, sqlx::Error> {
    on!(conn, |conn| {
        let now = now_ms();
        let mut stored: Vec<Option<Created>> = vec![None; batch.len()];
        for attempt in 0..NUMBER_ATTEMPTS {
            let waiting: Vec<usize> = (0..batch.len()).filter(|&i| stored[i].is_none()).collect();
            if waiting.is_empty() {
                break;
            }
            let drawn: Vec<(RequestNumber, StatusToken)> = {
                // Four readable characters give 390,625 numbers; after a few collisions in a row we lengthen.
                let mut rng = rand::rng();
                let len = if attempt < NUMBER_ATTEMPTS / 2 { 4 } else { 5 };
                waiting.iter().map(|_| (RequestNumber::random(&mut rng, len), StatusToken::random(&mut rng))).collect()
            };
            let mut insert = QueryBuilder::new(
                "INSERT INTO help_requests (number, token, source, problem, problem_detail, phone, name, lat, lon, \
             accuracy_m, place, access_notes, vehicle_make, vehicle_model, vehicle_colour, vehicle_plate, notes, \
             someone_inside, created_at, partner_id, due_at, locale) ",
            );
            insert.push_values(waiting.iter().zip(&drawn), |mut row, (&i, (number, token))| {
                let (record, r) = (&batch[i].record, &batch[i].record.request);
                row.push_bind(number.as_str())
                    .push_bind(token.as_str())
                    .push_bind(record.source)
                    .push_bind(r.problem.as_str())
                    .push_bind(&r.problem_detail)
                    .push_bind(r.phone.e164())
                    .push_bind(&r.name)
                    .push_bind(r.coordinates.map(|c| c.lat))
                    .push_bind(r.coordinates.map(|c| c.lon))
                    .push_bind(r.coordinates.and_then(|c| c.accuracy_m))
                    .push_bind(&r.place)
                    .push_bind(&r.access_notes)
                    .push_bind(&r.vehicle.make)
                    .push_bind(&r.vehicle.model)
                    .push_bind(&r.vehicle.colour)
                    .push_bind(&r.vehicle.plate)
                    .push_bind(&r.notes)
                    .push_bind(r.someone_inside)
                    .push_bind(now)
                    .push_bind(record.partner_id)
                    .push_bind(now)
                    .push_bind(r.locale.map(leptos_i18n::Locale::as_str));
            });
            // Two drawing the same number in one statement: the second is skipped like any other taken number.
            insert.push(" ON CONFLICT (number) DO NOTHING RETURNING id, number");
            for (id, number) in insert.build_query_as::<(i64, String)>().fetch_all(&mut *conn).await? {
                if let Some(k) = drawn.iter().position(|(drawn, _)| drawn.as_str() == number) {
                    let token = drawn[k].1.as_str().to_owned();
                    stored[waiting[k]] = Some(Created { id, number, token });
                }
            }
        }
        let new: Vec<(usize, &Created)> =
            stored.iter().enumerate().filter_map(|(i, c)| Some((i, c.as_ref()?))).collect();
        if new.is_empty() {
            return Ok(stored.into_iter().map(|_| Err(no_free_number())).collect());
        }
        let mut received = QueryBuilder::new("INSERT INTO request_events (request_id, at, kind, actor, staff_id) ");
        received.push_values(&new, |mut row, &(i, created)| {
            let record = &batch[i].record;
            row.push_bind(created.id)
                .push_bind(now)
                .push_bind(EventKind::Received.as_str())
                .push_bind(record.actor.as_str())
                .push_bind(record.staff_id);
        });
        received.build().execute(&mut *conn).await?;

        // A key is taken anew only once expired (as of the latest sender in the batch: they are milliseconds apart);
        // one still in force belongs to the request stored first, and this one is undone.
        let keyed: Vec<(usize, &Created, &Idempotency)> =
            new.iter().filter_map(|&(i, created)| Some((i, created, batch[i].record.idempotency.as_ref()?))).collect();
        let mut key_taken = vec![false; batch.len()];
        if let Some(not_before) = keyed.iter().map(|(_, _, key)| key.not_before_ms).max() {
            let mut keys =
                QueryBuilder::new("INSERT INTO idempotency_keys (caller, key, fingerprint, request_id, created_at) ");
            // Each key once per statement: PostgreSQL refuses a statement that meets one key twice, and the second
            // of two in one batch is a retry of the first (undone below, like any key already taken).
            let mut seen = std::collections::HashSet::new();
            let once = keyed.iter().filter(|(_, _, key)| seen.insert((&key.caller, &key.key)));
            keys.push_values(once, |mut row, &(_, created, key)| {
                row.push_bind(&key.caller)
                    .push_bind(&key.key)
                    .push_bind(&key.fingerprint)
                    .push_bind(created.id)
                    .push_bind(now);
            });
            keys.push(
                " ON CONFLICT (caller, key) DO UPDATE SET fingerprint = excluded.fingerprint, \
             request_id = excluded.request_id, created_at = excluded.created_at \
             WHERE idempotency_keys.created_at < ",
            );
            keys.push_bind(not_before).push(" RETURNING request_id");
            let owners: Vec<i64> = keys.build_query_scalar().fetch_all(&mut *conn).await?;
            let undone: Vec<i64> = keyed
                .iter()
                .filter(|(_, created, _)| !owners.contains(&created.id))
                .map(|&(i, created, _)| {
                    key_taken[i] = true;
                    created.id
                })
                .collect();
            if !undone.is_empty() {
                for table in ["request_events WHERE request_id", "help_requests WHERE id"] {
                    let mut undo = QueryBuilder::new(format!("DELETE FROM {table} IN ("));
                    let mut ids = undo.separated(", ");
                    for id in &undone {
                        ids.push_bind(*id);
                    }
                    undo.push(")").build().execute(&mut *conn).await?;
                }
            }
        }
        // Texts and calls, for the requests that stay: one statement per kind of row, as above, would need the
        // audience's members in Rust; these are a few statements per request.
        for &(i, created) in &new {
            if !key_taken[i] {
                super::outbox::enqueue((&mut *conn).into(), created.id, now, &batch[i].record.queue).await?;
            }
        }
        Ok(stored
            .into_iter()
            .zip(key_taken)
            .map(|(created, taken)| match created {
                None => Err(no_free_number()),
                Some(_) if taken => Ok(Inserted::KeyTaken),
                Some(created) => Ok(Inserted::New(created)),
            })
            .collect())
    })
}

fn no_free_number() -> StoreError {
    StoreError::Write(format!("no free request number in {NUMBER_ATTEMPTS} tries"))
}
