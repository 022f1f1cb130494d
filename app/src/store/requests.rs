//! Help requests and their events.

use std::collections::HashMap;

use sqlx::Row;

use tokio::sync::oneshot;

use super::{
    Cells, Conn, Store, StoreError, findable, now_ms, on,
    writer::{CreateJob, Inserted},
};
use crate::domain::{
    Actor, Event, EventKind, NewHelpRequest, Phone, Problem, Progress, Recorded, RequestStatus, StaffName, StatusView,
    Vehicle,
};
use crate::live::Changed;

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
    /// The customer's language tag (`ru`), for their texts and calls; `None`: the server's default.
    pub locale: Option<String>,
    /// Full staff names; `for_customer` shortens them.
    pub view: StatusView,
    /// The timeline folded, once per read: every decision and view starts from it.
    pub progress: Progress,
}

/// Requests read together, and those among them that could not be read (set aside so they stop nothing else).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Batch {
    pub requests: Vec<Loaded>,
    pub unreadable: Vec<Unreadable>,
}

/// A stored request that could not be read: dispatch is shown it as an alarm.
#[derive(Clone, Debug, PartialEq)]
pub struct Unreadable {
    pub id: i64,
    pub number: String,
    /// As stored (E.164), so dispatch can still call the customer.
    pub phone: String,
    pub reason: String,
}

/// Which requests one read takes, each by a query an index serves.
#[derive(Clone, Copy, Debug)]
enum Selection<'a> {
    One(i64),
    /// Neither done nor cancelled, oldest first.
    Open,
    /// Open, and due for the ladder by this time (unix ms).
    DueBy(i64),
    /// Newest first, at most this many.
    Search(&'a RequestSearch, i64),
}

impl Selection<'_> {
    /// The ids, as a subquery with its parameters bound.
    fn push_ids<'q, DB: sqlx::Database>(&self, q: &mut sqlx::QueryBuilder<'q, DB>)
    where
        i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    {
        match *self {
            Selection::One(id) => {
                q.push_bind(id);
            }
            Selection::Open => {
                q.push("SELECT id FROM help_requests WHERE closed_at IS NULL");
            }
            Selection::DueBy(now) => {
                q.push("SELECT id FROM help_requests WHERE due_at <= ").push_bind(now);
            }
            Selection::Search(search, limit) => {
                // Only the parts asked for, so each search is served by its own index.
                q.push("SELECT id FROM help_requests WHERE 1 = 1");
                if let Some(number) = &search.number {
                    q.push(" AND number = ").push_bind(number.clone());
                }
                if let Some(phone) = &search.phone {
                    q.push(" AND phone = ").push_bind(phone.clone());
                }
                if let Some(from) = search.from_ms {
                    q.push(" AND created_at >= ").push_bind(from);
                }
                if let Some(to) = search.to_ms {
                    q.push(" AND created_at < ").push_bind(to);
                }
                q.push(" ORDER BY created_at DESC, id DESC LIMIT ").push_bind(limit);
            }
        }
    }

    fn order(&self) -> &'static str {
        match self {
            Selection::Search(..) => "r.created_at DESC, r.id DESC",
            _ => "r.created_at, r.id",
        }
    }
}

/// What is stored with a validated request: how it reached us, and the key that makes a retry harmless.
/// Owned, as it is handed to the writer task.
pub struct NewRecord {
    pub request: NewHelpRequest,
    pub source: &'static str,
    pub idempotency: Option<Idempotency>,
    pub actor: Actor,
    /// The dispatcher who took it on the phone.
    pub staff_id: Option<i64>,
    /// The partner whose key sent it.
    pub partner_id: Option<i64>,
    /// Texts and calls its `received` event sets going.
    pub queue: Vec<super::Queue>,
}

/// An idempotency key as Stripe has them: it belongs to one caller, stands for one request (its fingerprint),
/// and is forgotten after a while.
#[derive(Clone)]
pub struct Idempotency {
    /// 'web', 'staff:<id>' or 'partner:<id>'.
    pub caller: String,
    pub key: String,
    /// A hash of what was sent: the same key with something else is refused.
    pub fingerprint: String,
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

impl Store {
    /// Stores the request and its `received` event (and its idempotency key), committed (and synced) before
    /// returning. The writer task commits whatever requests are waiting together, one sync for them all.
    pub async fn create_request(&self, record: NewRecord) -> Result<Creation, StoreError> {
        // A repeated key is found by the writer (its insert of the key changes nothing): no read before every
        // create for the rare retry.
        let key = record.idempotency.clone();
        let (reply, answer) = oneshot::channel();
        self.creates.send(CreateJob { record, reply }).await.map_err(|_| StoreError::WriterStopped)?;
        match answer.await.map_err(|_| StoreError::WriterStopped)?? {
            Inserted::New(created) => Ok(Creation::New(created)),
            // The key is in force: the same request again, or a refusal for a different one.
            Inserted::KeyTaken => match &key {
                Some(key) => self.seen_key(key).await?.ok_or(StoreError::WriterStopped),
                None => Err(StoreError::WriterStopped),
            },
        }
    }

    /// What a key still in force says: the same request again, or a refusal for a different one.
    async fn seen_key(&self, key: &Idempotency) -> Result<Option<Creation>, StoreError> {
        on!(&self.pool, |pool| {
            let row = sqlx::query(
                "SELECT k.fingerprint, r.id, r.number, r.token FROM idempotency_keys k \
                 JOIN help_requests r ON r.id = k.request_id WHERE k.caller = $1 AND k.key = $2 AND k.created_at >= $3",
            )
            .bind(&key.caller)
            .bind(&key.key)
            .bind(key.not_before_ms)
            .fetch_optional(pool)
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
        })
    }

    pub async fn request_id_by_token(&self, token: &str) -> Result<Option<i64>, StoreError> {
        self.request_id_by("token", token).await
    }

    pub async fn request_id_by_number(&self, number: &str) -> Result<Option<i64>, StoreError> {
        self.request_id_by("number", number).await
    }

    /// The request whose `column` (one of ours, never input) holds `key`.
    async fn request_id_by(&self, column: &'static str, key: &str) -> Result<Option<i64>, StoreError> {
        if !findable(key) {
            return Ok(None);
        }
        let sql = format!("SELECT id FROM help_requests WHERE {column} = $1");
        on!(&self.pool, |pool| Ok(sqlx::query_scalar(&sql).bind(key).fetch_optional(pool).await?))
    }

    /// Appends `event`, done by `actor` (and the member of staff `by`), with the texts and calls it sets going
    /// (`queue`), unless another was appended since
    /// `version` was read: then `Ok(false)`, and the caller reads again and decides again (the first accept wins;
    /// the second sees who took it).
    pub async fn append_event(
        &self,
        request_id: i64,
        version: i64,
        actor: Actor,
        by: Option<i64>,
        event: &Event,
        queue: &[super::Queue],
    ) -> Result<bool, StoreError> {
        on!(&self.pool, |pool| {
            let mut tx = pool.begin().await?;
            let now = now_ms();
            // A new event may change what the ladder watches: due at once, and the ladder's next pass sets the exact
            // time. A final event closes the request, and nothing is due on a closed one.
            let bumped = sqlx::query(
                "UPDATE help_requests SET version = version + 1, \
                 due_at = CASE WHEN closed_at IS NULL AND NOT $3 THEN $4 END, \
                 closed_at = CASE WHEN closed_at IS NULL AND $3 THEN $4 ELSE closed_at END \
                 WHERE id = $1 AND version = $2",
            )
            .bind(request_id)
            .bind(version)
            .bind(event.kind().closes())
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if bumped == 0 {
                return Ok(false);
            }
            insert_event((&mut *tx).into(), request_id, now, actor, by, event).await?;
            super::outbox::enqueue((&mut *tx).into(), request_id, now, queue).await?;
            super::feed::notify((&mut *tx).into(), &self.instance, [Changed::Request(request_id)]).await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// One request with its whole timeline; a request that cannot be read is an error here.
    pub async fn load(&self, request_id: i64) -> Result<Option<Loaded>, StoreError> {
        let mut batch = self.load_set(Selection::One(request_id)).await?;
        if let Some(bad) = batch.unreadable.pop() {
            return Err(StoreError::Corrupt(bad.reason));
        }
        Ok(batch.requests.pop())
    }

    /// Requests not yet done or cancelled, oldest first: nobody waits behind a newer request.
    pub async fn open_requests(&self) -> Result<Batch, StoreError> {
        self.load_set(Selection::Open).await
    }

    /// Open requests the ladder must look at by `now` (unix ms).
    pub async fn due_requests(&self, now: i64) -> Result<Batch, StoreError> {
        // Most passes find nothing due: one probe of the index says so, without the read of two statements
        // (on PostgreSQL, planning those two is most of a pass: 14 ms, against well under one for the probe).
        let any: Option<i64> = on!(&self.pool, |pool| {
            sqlx::query_scalar("SELECT id FROM help_requests WHERE due_at <= $1 LIMIT 1")
                .bind(now)
                .fetch_optional(pool)
                .await?
        });
        if any.is_none() {
            return Ok(Batch::default());
        }
        self.load_set(Selection::DueBy(now)).await
    }

    /// Requests by number, by phone (E.164) or sent on a day (`from..to` unix ms), newest first; at most `limit`.
    pub async fn find_requests(&self, search: &RequestSearch, limit: i64) -> Result<Batch, StoreError> {
        if [&search.number, &search.phone].into_iter().flatten().any(|key| !findable(key)) {
            return Ok(Batch::default());
        }
        self.load_set(Selection::Search(search, limit)).await
    }

    /// The requests a selection takes, with their timelines: two queries however many there are, read in one
    /// transaction so the events match the requests. A request that cannot be read is set aside, not fatal.
    async fn load_set(&self, selection: Selection<'_>) -> Result<Batch, StoreError> {
        on!(&self.pool, |pool| {
            let mut tx = pool.begin_with(super::snapshot(pool)).await?;
            let mut q = sqlx::QueryBuilder::new(
                "SELECT r.id, r.number, r.problem, r.problem_detail, r.phone, r.name, r.notes, r.lat, r.lon, \
                 r.accuracy_m, r.place, r.access_notes, r.vehicle_make, r.vehicle_model, r.vehicle_colour, \
                 r.vehicle_plate, r.someone_inside, r.version, r.created_at, r.source, r.token, r.locale, \
                 p.name AS partner \
                 FROM help_requests r LEFT JOIN partners p ON p.id = r.partner_id WHERE r.id IN (",
            );
            selection.push_ids(&mut q);
            q.push(") ORDER BY ").push(selection.order());
            let rows = q.build().fetch_all(&mut *tx).await?;
            let mut q = sqlx::QueryBuilder::new(
                "SELECT e.request_id, e.at, e.kind, e.actor, e.payload, e.staff_id, s.name AS staff_name, \
                 e.technician_id, t.name AS technician_name \
                 FROM request_events e LEFT JOIN staff s ON s.id = e.staff_id \
                 LEFT JOIN staff t ON t.id = e.technician_id WHERE e.request_id IN (",
            );
            selection.push_ids(&mut q);
            q.push(") ORDER BY e.request_id, e.id");
            let events = q.build().fetch_all(&mut *tx).await?;
            tx.commit().await?;

            let mut timelines: HashMap<i64, Result<Vec<Recorded>, StoreError>> = HashMap::new();
            for e in &events {
                let id: i64 = e.try_get("request_id")?;
                let timeline = timelines.entry(id).or_insert_with(|| Ok(Vec::new()));
                if let Ok(entries) = timeline {
                    match recorded(e) {
                        Ok(entry) => entries.push(entry),
                        Err(error) => *timeline = Err(error),
                    }
                }
            }
            let mut batch = Batch::default();
            for row in &rows {
                let id: i64 = row.try_get("id")?;
                let timeline = timelines.remove(&id).unwrap_or_else(|| Ok(Vec::new()));
                match timeline.and_then(|timeline| loaded(row, timeline)) {
                    Ok(loaded) => batch.requests.push(loaded),
                    Err(error) => batch.unreadable.push(Unreadable {
                        id,
                        number: row.try_get("number").unwrap_or_default(),
                        phone: row.try_get("phone").unwrap_or_default(),
                        reason: error.to_string(),
                    }),
                }
            }
            Ok(batch)
        })
    }

    /// After a ladder pass: when each request it looked at is next due (`None`: nothing left to watch), as
    /// (id, version read, due). With a version, only if nothing was appended since, which set its own due time.
    pub async fn set_due(&self, due: &[(i64, Option<i64>, Option<i64>)]) -> Result<(), StoreError> {
        on!(&self.pool, |pool| {
            if due.is_empty() {
                return Ok(());
            }
            let mut tx = pool.begin().await?;
            for (id, version, at) in due {
                sqlx::query(
                    "UPDATE help_requests SET due_at = $1 WHERE id = $2 AND ($3 IS NULL OR version = $3) \
                     AND closed_at IS NULL",
                )
                .bind(at)
                .bind(id)
                .bind(version)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn count_requests(&self) -> Result<i64, StoreError> {
        on!(&self.pool, |pool| {
            Ok(sqlx::query("SELECT COUNT(*) AS n FROM help_requests").fetch_one(pool).await?.try_get("n")?)
        })
    }
}

/// An event row as the domain reads it. The payload holds the event's own facts; its kind and the staff it names
/// are columns, the names joined.
fn recorded(e: &impl Cells) -> Result<Recorded, StoreError> {
    let kind: String = e.cell("kind")?;
    let corrupt = |why: String| StoreError::Corrupt(format!("event {kind}: {why}"));
    let payload: String = e.cell("payload")?;
    let mut fields: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&payload).map_err(|e| corrupt(e.to_string()))?;
    fields.insert("kind".into(), kind.clone().into());
    let technician = staff_name(e, "technician_id", "technician_name")?;
    if let Some(t) = &technician {
        fields.insert("technician".into(), serde_json::json!({ "name": t.name }));
    }
    let mut event: Event = serde_json::from_value(fields.into()).map_err(|e| corrupt(e.to_string()))?;
    match (&mut event, technician) {
        (Event::Assigned { technician: named }, Some(t)) => *named = t,
        (Event::Escalated { technician: named, .. }, t) => *named = t,
        _ => {}
    }
    Ok(Recorded {
        at: e.cell("at")?,
        actor: Actor::parse(&e.cell::<String>("actor")?),
        by: staff_name(e, "staff_id", "staff_name")?,
        event,
    })
}

fn staff_name(e: &impl Cells, id: &str, name: &str) -> Result<Option<StaffName>, StoreError> {
    let id: Option<i64> = e.cell(id)?;
    let name: Option<String> = e.cell(name)?;
    Ok(id.map(|id| StaffName { id, name: name.unwrap_or_default() }))
}

/// What the payload column holds: the event without its kind (a column) and without the technician an assignment
/// or a late job's rung names (a column, `technician_id`, so the name is joined and follows a rename).
fn payload(event: &Event) -> Result<String, serde_json::Error> {
    let mut value = serde_json::to_value(event)?;
    if let Some(fields) = value.as_object_mut() {
        fields.remove("kind");
        fields.remove("technician");
    }
    serde_json::to_string(&value)
}

/// A request row and its timeline, as the domain reads them.
fn loaded(row: &impl Cells, timeline: Vec<Recorded>) -> Result<Loaded, StoreError> {
    if timeline.first().map(Recorded::kind) != Some(EventKind::Received) {
        return Err(StoreError::Corrupt("the timeline does not start with received".into()));
    }
    let problem: String = row.cell("problem")?;
    let phone: String = row.cell("phone")?;
    let mut view = StatusView {
        number: row.cell("number")?,
        status: RequestStatus::Received,
        problem: Problem::parse(&problem).ok_or_else(|| StoreError::Corrupt(format!("problem {problem}")))?,
        problem_detail: row.cell("problem_detail")?,
        place: row.cell("place")?,
        lat: row.cell("lat")?,
        lon: row.cell("lon")?,
        accuracy_m: row.cell("accuracy_m")?,
        access_notes: row.cell("access_notes")?,
        vehicle: Vehicle {
            make: row.cell("vehicle_make")?,
            model: row.cell("vehicle_model")?,
            colour: row.cell("vehicle_colour")?,
            plate: row.cell("vehicle_plate")?,
        },
        someone_inside: row.cell("someone_inside")?,
        phone_display: Phone::from_stored(phone.clone()).international(),
        phone,
        callback_requested: false,
        technician: None,
        eta_at: None,
        follow_up_due: false,
        timeline,
    };
    let progress = view.derive();
    Ok(Loaded {
        id: row.cell("id")?,
        version: row.cell("version")?,
        created_at: row.cell("created_at")?,
        customer_name: row.cell("name")?,
        notes: row.cell("notes")?,
        source: row.cell("source")?,
        partner: row.cell("partner")?,
        token: row.cell("token")?,
        locale: row.cell("locale")?,
        view,
        progress,
    })
}

pub(super) async fn insert_event(
    conn: Conn<'_>,
    request_id: i64,
    at: i64,
    actor: Actor,
    by: Option<i64>,
    event: &Event,
) -> Result<(), StoreError> {
    let technician = match event {
        Event::Assigned { technician } | Event::Escalated { technician: Some(technician), .. } => Some(technician.id),
        _ => None,
    };
    let payload = payload(event).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    on!(conn, |conn| {
        sqlx::query(
            "INSERT INTO request_events (request_id, at, kind, actor, staff_id, technician_id, payload) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(request_id)
        .bind(at)
        .bind(event.kind().as_str())
        .bind(actor.as_str())
        .bind(by)
        .bind(technician)
        .bind(payload)
        .execute(conn)
        .await?;
    });
    Ok(())
}
