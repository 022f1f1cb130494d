//! The live feed across instances on one PostgreSQL. Every change is NOTIFYed on one channel (ids only, tagged
//! with the instance that made it), and each instance LISTENs and passes what the others changed to its own
//! views. Events and new requests are notified inside the transaction that stores them, so an instance killed
//! right after a commit has still told the others; a change is also announced by whoever publishes it. A cut
//! listener connection makes every open view reload once it is back, so nothing stays missed.

use std::{sync::Arc, time::Duration};

use sqlx::postgres::{PgListener, PgPool};
use tokio::sync::broadcast;
use tokio_util::sync::{CancellationToken, DropGuard};

use super::Conn;
use crate::live::{Changed, LiveFeed, LocalFeed};

const CHANNEL: &str = "roadcall_live";

/// What travels: `<instance> <change>`.
fn payload(instance: &str, change: Changed) -> String {
    format!("{instance} {}", change.to_wire())
}

/// Tells the other instances of `changes`, inside the caller's transaction (delivered when it commits, not at
/// all if it rolls back). Nothing to do on SQLite: one process, and its feed is told by the caller.
pub(super) async fn notify(
    conn: Conn<'_>,
    instance: &str,
    changes: impl IntoIterator<Item = Changed>,
) -> Result<(), sqlx::Error> {
    if let Conn::Postgres(conn) = conn {
        let payloads: Vec<String> = changes.into_iter().map(|c| payload(instance, c)).collect();
        if !payloads.is_empty() {
            sqlx::query("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p")
                .bind(CHANNEL)
                .bind(payloads)
                .execute(conn)
                .await?;
        }
    }
    Ok(())
}

/// This instance's views, told at once of its own changes and by LISTEN of everyone else's.
pub struct SharedFeed {
    local: Arc<LocalFeed>,
    pool: PgPool,
    instance: Arc<str>,
    _listening: DropGuard,
}

impl SharedFeed {
    pub(super) fn start(pool: PgPool, instance: Arc<str>) -> SharedFeed {
        let local = Arc::new(LocalFeed::new());
        let stop = CancellationToken::new();
        tokio::spawn(listen(pool.clone(), instance.clone(), local.clone(), stop.clone()));
        SharedFeed { local, pool, instance, _listening: stop.drop_guard() }
    }
}

impl LiveFeed for SharedFeed {
    fn publish(&self, change: Changed) {
        self.local.publish(change);
        let (pool, payload) = (self.pool.clone(), payload(&self.instance, change));
        tokio::spawn(async move {
            let sent = sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(payload).execute(&pool).await;
            if let Err(e) = sent {
                tracing::warn!(error = %e, "telling the other instances of a change failed");
            }
        });
    }

    fn subscribe(&self) -> broadcast::Receiver<Changed> {
        self.local.subscribe()
    }
}

/// Passes the other instances' changes to this one's views until `stop`; reconnects when cut.
async fn listen(pool: PgPool, instance: Arc<str>, local: Arc<LocalFeed>, stop: CancellationToken) {
    let mut connected_before = false;
    while !stop.is_cancelled() {
        let listening = async {
            let mut listener = PgListener::connect_with(&pool).await?;
            listener.listen(CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        let mut listener = match listening.await {
            Ok(listener) => listener,
            Err(e) => {
                tracing::warn!(error = %e, "listening for the other instances' changes failed; trying again");
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                }
            }
        };
        // Back after a cut: whatever changed meanwhile went unheard.
        if connected_before {
            local.publish(Changed::Everything);
        }
        connected_before = true;
        loop {
            let heard = tokio::select! {
                () = stop.cancelled() => return,
                heard = listener.try_recv() => heard,
            };
            match heard {
                Ok(Some(notice)) => {
                    let heard = notice.payload().split_once(' ');
                    if let Some((from, change)) = heard
                        && from != &*instance
                        && let Some(change) = Changed::from_wire(change)
                    {
                        local.publish(change);
                    }
                }
                // The connection was cut: views reload now and again once it is back.
                Ok(None) | Err(_) => {
                    tracing::warn!("the feed from the other instances was cut; every open view reloads");
                    local.publish(Changed::Everything);
                    break;
                }
            }
        }
    }
}
