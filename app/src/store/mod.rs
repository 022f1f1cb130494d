//! The one place that speaks SQL, to SQLite (one file: the default) or to PostgreSQL (several instances on one
//! database). Queries are portable (numbered parameters, RETURNING, ON CONFLICT, no backend's own functions), and
//! each is written once: `on!` compiles it once per backend, each with its own pool, row and parameter types.
//! The few that must differ say so beside each other.

mod checklists;
mod feed;
mod outbox;
mod partners;
mod push;
mod requests;
mod staff;
mod writer;

use std::{str::FromStr, time::Duration};

use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

pub use feed::SharedFeed;
pub use outbox::{Claimed, Queue, Receipt};
pub use partners::{NewPartner, Partner};
pub use push::{Audience, DeviceSaved, NewDevice, Subscription};
pub use requests::{Batch, Created, Creation, Idempotency, Loaded, NewRecord, RequestSearch, Unreadable};
pub use staff::StaffRecord;

/// One value per backend: a pool, a connection, a row.
#[derive(Clone, Debug)]
pub enum Backend<S, P> {
    Sqlite(S),
    Postgres(P),
}

pub type Pool = Backend<sqlx::SqlitePool, sqlx::PgPool>;

/// A connection lent to a helper that works inside its caller's transaction.
pub(crate) type Conn<'c> = Backend<&'c mut sqlx::SqliteConnection, &'c mut sqlx::PgConnection>;

impl<'c> From<&'c mut sqlx::SqliteConnection> for Conn<'c> {
    fn from(conn: &'c mut sqlx::SqliteConnection) -> Self {
        Backend::Sqlite(conn)
    }
}

impl<'c> From<&'c mut sqlx::PgConnection> for Conn<'c> {
    fn from(conn: &'c mut sqlx::PgConnection) -> Self {
        Backend::Postgres(conn)
    }
}

/// Runs `$body` with `$x` bound to the backend's own value (a pool, a connection): the body is compiled once per
/// backend, so one text of a query serves both, each with its own types.
macro_rules! on {
    ($value:expr, |$x:ident| $body:expr) => {
        match $value {
            $crate::store::Backend::Sqlite($x) => $body,
            $crate::store::Backend::Postgres($x) => $body,
        }
    };
}
pub(crate) use on;

/// Where the two backends' SQL must differ: each one's words, chosen by the pool's type inside `on!`.
pub(crate) trait Dialect {
    /// After a `SELECT … LIMIT` that picks rows to claim: rows another transaction is claiming are passed over,
    /// not waited for (PostgreSQL's row locks; SQLite has one writer at a time and no such clause).
    const SKIP_LOCKED: &'static str;
    /// Begins a read that sees one moment across its statements. SQLite's read transaction does already;
    /// PostgreSQL's default (read committed) sees each statement's own moment.
    const SNAPSHOT: &'static str;
}

impl Dialect for sqlx::SqlitePool {
    const SKIP_LOCKED: &'static str = "";
    const SNAPSHOT: &'static str = "BEGIN";
}

impl Dialect for sqlx::PgPool {
    const SKIP_LOCKED: &'static str = " FOR UPDATE SKIP LOCKED";
    const SNAPSHOT: &'static str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
}

fn skip_locked<P: Dialect>(_: &P) -> &'static str {
    P::SKIP_LOCKED
}

fn snapshot<P: Dialect>(_: &P) -> &'static str {
    P::SNAPSHOT
}

/// Takes `table` for this transaction's writes, before it reads what it will decide on. SQLite's transactions
/// take its one write lock with their first write (each caller writes first); PostgreSQL locks rows, and rows
/// not yet there lock nothing, so it takes the table (other writers wait, readers do not).
async fn lock_for_writing(conn: Conn<'_>, table: &'static str) -> Result<(), sqlx::Error> {
    if let Backend::Postgres(conn) = conn {
        sqlx::query(&format!("LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")).execute(conn).await?;
    }
    Ok(())
}

/// A value stored in a column, read the same on both backends.
pub(crate) trait Cell:
    for<'r> sqlx::Decode<'r, sqlx::Sqlite>
    + sqlx::Type<sqlx::Sqlite>
    + for<'r> sqlx::Decode<'r, sqlx::Postgres>
    + sqlx::Type<sqlx::Postgres>
{
}

impl<T> Cell for T where
    T: for<'r> sqlx::Decode<'r, sqlx::Sqlite>
        + sqlx::Type<sqlx::Sqlite>
        + for<'r> sqlx::Decode<'r, sqlx::Postgres>
        + sqlx::Type<sqlx::Postgres>
{
}

/// A row of either backend, for the functions that turn rows into the domain's values.
pub(crate) trait Cells {
    fn cell<T: Cell>(&self, column: &str) -> Result<T, sqlx::Error>;
}

impl Cells for sqlx::sqlite::SqliteRow {
    fn cell<T: Cell>(&self, column: &str) -> Result<T, sqlx::Error> {
        sqlx::Row::try_get(self, column)
    }
}

impl Cells for sqlx::postgres::PgRow {
    fn cell<T: Cell>(&self, column: &str) -> Result<T, sqlx::Error> {
        sqlx::Row::try_get(self, column)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    #[error("new requests could not be written: {0}")]
    Write(String),
    #[error("the writer of new requests has stopped")]
    WriterStopped,
    #[error("could not create the data directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("{0}")]
    Unsupported(&'static str),
}

#[derive(Clone)]
pub struct Store {
    pool: Pool,
    /// New requests go to the writer task, which commits those waiting together (`writer`).
    creates: tokio::sync::mpsc::Sender<writer::CreateJob>,
    /// This process among the instances sharing a PostgreSQL: the live feed skips its own notices.
    instance: std::sync::Arc<str>,
}

impl Store {
    /// The whole database as it is at one moment, written to `path` (a new file) while requests keep coming in:
    /// SQLite's `VACUUM INTO`, which reads one snapshot. The file is made owner-only before anything is in it.
    pub async fn back_up(&self, path: &std::path::Path) -> Result<(), StoreError> {
        let Backend::Sqlite(pool) = &self.pool else {
            return Err(StoreError::Unsupported(
                "`server backup` copies a SQLite database; back PostgreSQL up with pg_dump (see the README)",
            ));
        };
        let denied = |source| StoreError::DataDir { path: path.display().to_string(), source };
        let name = path.to_str().ok_or_else(|| denied(std::io::ErrorKind::InvalidInput.into()))?;
        owner_only(path).map_err(denied)?;
        sqlx::query("VACUUM INTO $1").bind(name).execute(pool).await?;
        Ok(())
    }

    /// Opens the database and brings its schema up to date: PostgreSQL for a `postgres://` URL, SQLite (the file
    /// created if needed) otherwise.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let pool = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres(open_postgres(url).await?)
        } else {
            Backend::Sqlite(open_sqlite(url).await?)
        };
        // The server's clock never starts before the last event recorded (the newest by id: no scan), so time
        // does not run backwards across a restart, whatever the wall clock says; before anything is written.
        let last: Option<i64> = on!(&pool, |p| {
            sqlx::query_scalar("SELECT at FROM request_events ORDER BY id DESC LIMIT 1").fetch_optional(p).await?
        });
        crate::clock::not_before(last.unwrap_or(0));
        let (creates, jobs) = tokio::sync::mpsc::channel(writer::QUEUE);
        let instance: std::sync::Arc<str> = format!("{:016x}", rand::random::<u64>()).into();
        let first = writer::acquire(&pool).await?;
        tokio::spawn(writer::write_creates(pool.clone(), first, jobs, instance.clone()));
        if let Backend::Sqlite(p) = &pool {
            tokio::spawn(writer::checkpoints(p.clone(), creates.downgrade()));
        }
        Ok(Store { pool, creates, instance })
    }

    /// The live feed for this database: this process's own on SQLite, shared by every instance on PostgreSQL.
    pub fn live_feed(&self) -> std::sync::Arc<dyn crate::live::LiveFeed> {
        match &self.pool {
            Backend::Sqlite(_) => std::sync::Arc::new(crate::live::LocalFeed::new()),
            Backend::Postgres(pool) => std::sync::Arc::new(SharedFeed::start(pool.clone(), self.instance.clone())),
        }
    }

    /// Which database this is, for the log: never its password.
    pub fn describe(&self) -> &'static str {
        match self.pool {
            Backend::Sqlite(_) => "SQLite",
            Backend::Postgres(_) => "PostgreSQL",
        }
    }
}

async fn open_sqlite(url: &str) -> Result<sqlx::SqlitePool, StoreError> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        // WAL with FULL sync: a request is on disk before the customer sees its number.
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5))
        // The WAL is copied into the database file by a task of its own (`writer::checkpoints`), not by
        // whichever commit crosses SQLite's threshold while every create behind it waits.
        .pragma("wal_autocheckpoint", "0");
    if let Some(dir) = options.get_filename().parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|source| StoreError::DataDir { path: dir.display().to_string(), source })?;
    }
    owner_only(options.get_filename())
        .map_err(|source| StoreError::DataDir { path: options.get_filename().display().to_string(), source })?;
    // Readers in WAL mode never wait for each other; the writer task keeps one connection for itself.
    // No ping before each use: a connection to a file does not go stale, and a ping is one more hop to
    // SQLite's thread per query.
    let pool = SqlitePoolOptions::new().max_connections(12).test_before_acquire(false).connect_with(options).await?;
    sqlx::migrate!("migrations/sqlite").run(&pool).await?;
    Ok(pool)
}

/// PostgreSQL: every instance has its own pool; sqlx's migrator holds an advisory lock, so instances that start
/// together migrate once. A commit returns once PostgreSQL has it on disk (`synchronous_commit`, on by default).
async fn open_postgres(url: &str) -> Result<sqlx::PgPool, StoreError> {
    // A plan for the values at hand, every time: a generic plan cached for a prepared statement cannot tell
    // "due by now" (a few rows, by index) from "due by anything" (a scan), and the ladder's steady pass took
    // 18 ms instead of under one.
    let options = PgConnectOptions::from_str(url)?
        .application_name("roadcall")
        .options([("plan_cache_mode", "force_custom_plan")]);
    let pool =
        PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(10)).connect_with(options).await?;
    sqlx::migrate!("migrations/postgres").run(&pool).await?;
    Ok(pool)
}

impl Store {
    /// Where staff sessions live: the same database, so a restart (or another instance) logs nobody out.
    pub async fn session_store(&self) -> Result<crate::session::SessionStore, StoreError> {
        Ok(match &self.pool {
            Backend::Sqlite(pool) => {
                let sessions = tower_sessions_sqlx_store::SqliteStore::new(pool.clone());
                sessions.migrate().await?;
                Backend::Sqlite(sessions)
            }
            // The table is made by this store's own migration (0001).
            Backend::Postgres(pool) => Backend::Postgres(tower_sessions_sqlx_store::PostgresStore::new(pool.clone())),
        }
        .into())
    }

    /// Every open request is looked at by the ladder's next pass: on start, as the interval may have changed.
    pub async fn all_open_due(&self, now: i64) -> Result<(), StoreError> {
        on!(&self.pool, |pool| {
            sqlx::query("UPDATE help_requests SET due_at = $1 WHERE closed_at IS NULL").bind(now).execute(pool).await?;
        });
        Ok(())
    }

    /// Writes and commits the health row: the database takes writes now (not full, not locked, not read-only).
    pub async fn prove_writable(&self) -> Result<(), StoreError> {
        // New requests are written by the writer task: without it nothing can be sent, whatever the file says.
        if self.creates.is_closed() {
            return Err(StoreError::WriterStopped);
        }
        on!(&self.pool, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO health (id, checked_at) VALUES (1, $1) \
                 ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
            )
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }
}

/// Customers' phones and gate codes are in this file: readable by the server's own account only. SQLite gives
/// its -wal and -shm files the database file's mode, so creating (or correcting) the file is enough.
fn owner_only(file: &std::path::Path) -> std::io::Result<()> {
    #[cfg(unix)]
    if !file.as_os_str().is_empty() && file != std::path::Path::new(":memory:") {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(file)?;
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))?;
        // Files an older version left readable are corrected too.
        for suffix in ["-wal", "-shm"] {
            let mut side = file.as_os_str().to_owned();
            side.push(suffix);
            if std::path::Path::new(&side).exists() {
                std::fs::set_permissions(&side, std::fs::Permissions::from_mode(0o600))?;
            }
        }
    }
    Ok(())
}

/// Unix milliseconds by the server's clock (`crate::clock`): every timestamp we store is one of these.
pub use crate::clock::now_ms;

/// Whether a key sent from outside can name a stored row. Nothing stored holds a NUL (every text is checked on its
/// way in), and PostgreSQL refuses one in text outright: a key with one matches nothing, on either backend.
fn findable(key: &str) -> bool {
    !key.contains('\0')
}

fn is_unique_violation(e: &sqlx::Error, column: &str) -> bool {
    match e {
        sqlx::Error::Database(db) => db.is_unique_violation() && db.message().contains(column),
        _ => false,
    }
}
