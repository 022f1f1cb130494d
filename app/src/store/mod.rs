//! The one place that speaks SQL. Queries are portable (numbered parameters, RETURNING, no SQLite-only
//! functions) so a PostgreSQL pool can stand beside the SQLite one without changing any caller.

mod checklists;
mod outbox;
mod partners;
mod push;
mod requests;
mod staff;
mod writer;

use std::{str::FromStr, time::Duration};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub use outbox::{Claimed, Queue, Receipt};
pub use partners::{NewPartner, Partner};
pub use push::{Audience, DeviceSaved, NewDevice, Subscription};
pub use requests::{Batch, Created, Creation, Idempotency, Loaded, NewRecord, RequestSearch, Unreadable};
pub use staff::StaffRecord;

pub type Pool = sqlx::SqlitePool;

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
}

#[derive(Clone)]
pub struct Store {
    pool: Pool,
    /// New requests go to the writer task, which commits those waiting together (`writer`).
    creates: tokio::sync::mpsc::Sender<writer::CreateJob>,
}

impl Store {
    /// The whole database as it is at one moment, written to `path` (a new file) while requests keep coming in:
    /// SQLite's `VACUUM INTO`, which reads one snapshot. The file is made owner-only before anything is in it.
    pub async fn back_up(&self, path: &std::path::Path) -> Result<(), StoreError> {
        let denied = |source| StoreError::DataDir { path: path.display().to_string(), source };
        let name = path.to_str().ok_or_else(|| denied(std::io::ErrorKind::InvalidInput.into()))?;
        owner_only(path).map_err(denied)?;
        sqlx::query("VACUUM INTO $1").bind(name).execute(&self.pool).await?;
        Ok(())
    }

    /// Opens (creating if needed) the database and brings its schema up to date.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
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
        let pool =
            SqlitePoolOptions::new().max_connections(12).test_before_acquire(false).connect_with(options).await?;
        sqlx::migrate!("migrations/sqlite").run(&pool).await?;
        // The server's clock never starts before the last event recorded (the newest by id: no scan), so time
        // does not run backwards across a restart, whatever the wall clock says; before anything is written.
        let last: Option<i64> =
            sqlx::query_scalar("SELECT at FROM request_events ORDER BY id DESC LIMIT 1").fetch_optional(&pool).await?;
        crate::clock::not_before(last.unwrap_or(0));
        let (creates, jobs) = tokio::sync::mpsc::channel(writer::QUEUE);
        tokio::spawn(writer::write_creates(pool.acquire().await?, jobs));
        tokio::spawn(writer::checkpoints(pool.clone(), creates.downgrade()));
        Ok(Store { pool, creates })
    }

    /// Where staff sessions live: the same database, so a restart logs nobody out.
    pub async fn session_store(&self) -> Result<tower_sessions_sqlx_store::SqliteStore, StoreError> {
        let sessions = tower_sessions_sqlx_store::SqliteStore::new(self.pool.clone());
        sessions.migrate().await?;
        Ok(sessions)
    }

    /// Every open request is looked at by the ladder's next pass: on start, as the interval may have changed.
    pub async fn all_open_due(&self, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE help_requests SET due_at = $1 WHERE closed_at IS NULL")
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Writes and commits the health row: the database takes writes now (not full, not locked, not read-only).
    pub async fn prove_writable(&self) -> Result<(), StoreError> {
        // New requests are written by the writer task: without it nothing can be sent, whatever the file says.
        if self.creates.is_closed() {
            return Err(StoreError::WriterStopped);
        }
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO health (id, checked_at) VALUES (1, $1) \
             ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
        )
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
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

fn is_unique_violation(e: &sqlx::Error, column: &str) -> bool {
    match e {
        sqlx::Error::Database(db) => db.is_unique_violation() && db.message().contains(column),
        _ => false,
    }
}
