//! Server-sent events: a page's whole view at connect and again after each change that may touch it. Each
//! message is complete, so a missed one can never leave a page wrong.
//!
//! A staff feed lives only as long as its session: before each view it sends, and on a timer, it asks the session
//! store again (`app::session::SessionWatch`), and ends once the session is over (logged out, idle or past its
//! absolute lifetime, the account disabled or given a new password).
//!
//! Every feed holds a seat (`FeedSlots`): customers' feeds per client address, staff feeds per login session
//! (a call centre behind one address is many sessions), and all feeds together, each with its cap. A feed ends
//! after its lifetime (`--feed-lifetime`, a little less at random so feeds opened together do not all come back
//! together) and when the server stops; the browser's EventSource then reconnects by itself, and the first
//! message on the new feed is the whole view again. Its seat is given back when the feed ends or its client
//! leaves.

use std::{
    collections::HashMap,
    convert::Infallible,
    future::Future,
    net::IpAddr,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use app::{i18n::td_string, live::Changed, session::SessionWatch, store::now_ms};
use axum::{
    body::{Body, Bytes},
    extract::{Path, Query, State},
    http::{HeaderName, StatusCode, header},
    response::{IntoResponse, Response},
};
use futures::{Stream, StreamExt, future, future::BoxFuture, stream};
use serde::Serialize;
use tokio::{
    sync::{
        broadcast::{
            self,
            error::{RecvError, TryRecvError},
        },
        watch,
    },
    time::{Instant, sleep_until},
};
use tokio_stream::wrappers::{IntervalStream, WatchStream};
use tower_sessions::Session;

use crate::{
    AppState, Config,
    auth::Staff,
    limits::ClientAddress,
    reply::{self, Problem, Said},
};

/// How often a staff feed asks after its session even when nothing changes: an account disabled from the command
/// line (another process, whose changes no feed hears) ends its feeds within this.
const SESSION_CHECK: Duration = Duration::from_secs(10);

/// A staff feed's session, and when it ends at the latest (unix ms).
type Watched = (SessionWatch, i64);

/// The session behind a staff feed, checked once more as the feed opens, and the session's seat among the
/// feeds; `Err` answers a session already over, or one with all its feeds open.
async fn watch(state: &AppState, session: &Session, staff: &Staff) -> Result<(Watched, Seat), Problem> {
    let over =
        || Problem::new(StatusCode::UNAUTHORIZED, "login_required", Said::by(|l| td_string!(l, refused.log_in_first)));
    let id = session.id().ok_or_else(over)?;
    let seat = state.feeds.take(Holder::Session(id.to_string()))?;
    let watch =
        SessionWatch::new(state.sessions.clone(), session, &staff.member, state.services.clone()).ok_or_else(over)?;
    let until = watch.live_until().await.ok_or_else(over)?;
    Ok(((watch, until), seat))
}

/// What the customer's status page shows, as its feed sends it: for the page reached without a reload.
pub async fn status_view(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<axum::Json<app::domain::StatusView>, Problem> {
    let (_, view) = state.services.status_by_token(&token).await?.ok_or_else(reply::no_such_request)?;
    Ok(axum::Json(view))
}

/// The customer's status page.
pub async fn status_events(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    Path(token): Path<String>,
) -> Result<Response, Problem> {
    let seat = state.feeds.take(Holder::Client(client))?;
    let (id, _) = state.services.status_by_token(&token).await?.ok_or_else(reply::no_such_request)?;
    let services = state.services.clone();
    Ok(feed(
        &state,
        seat,
        format!("status:{id}"),
        move |c| *c == Changed::Request(id),
        None,
        move || {
            let services = services.clone();
            let token = token.clone();
            async move { services.status_by_token(&token).await.map(|found| found.map(|(_, view)| view)) }
        },
    ))
}

/// The technician's board: any request may appear on it or leave it.
pub async fn board_events(State(state): State<AppState>, staff: Staff, session: Session) -> Result<Response, Problem> {
    let (watched, seat) = watch(&state, &session, &staff).await?;
    let services = state.services.clone();
    let id = staff.member.id;
    Ok(feed(
        &state,
        seat,
        format!("board:{id}"),
        |_| true,
        Some(watched),
        move || {
            let services = services.clone();
            async move {
                // Read the member again: going off duty in another tab shows here too.
                let Some(me) = services.staff_member(id).await? else { return Ok(None) };
                services.board(&me).await.map(Some)
            }
        },
    ))
}

/// The dispatch board: every change may touch it.
pub async fn dispatch_events(
    State(state): State<AppState>,
    staff: Staff,
    session: Session,
    Query(q): Query<super::dispatch::BoardQuery>,
) -> Result<Response, Problem> {
    let page = app::domain::page_number(q.page.as_deref());
    if !staff.member.role.dispatches() {
        return Err(app::services::DispatchError::NotDispatcher.into());
    }
    let (watched, seat) = watch(&state, &session, &staff).await?;
    let services = state.services.clone();
    Ok(feed(
        &state,
        seat,
        // Every dispatcher sees the same board (nobody in dispatch owns a job): one view per page.
        format!("dispatch:{page}"),
        |_| true,
        Some(watched),
        move || {
            let services = services.clone();
            let member = staff.member.clone();
            async move { shown(services.dispatch_board(&member, page).await) }
        },
    ))
}

/// One request on dispatch's screen.
pub async fn dispatch_request_events(
    State(state): State<AppState>,
    staff: Staff,
    session: Session,
    Path(number): Path<String>,
) -> Result<Response, Problem> {
    let (watched, seat) = watch(&state, &session, &staff).await?;
    state.services.dispatch_request(&staff.member, &number).await?;
    let id = state.services.store.request_id_by_number(&number.trim().to_uppercase()).await.ok().flatten();
    let services = state.services.clone();
    Ok(feed(
        &state,
        seat,
        format!("dispatch-request:{}", number.trim().to_uppercase()),
        // The roster shown for assigning changes with the crew.
        move |c| *c == Changed::Crew || id.is_some_and(|id| *c == Changed::Request(id)),
        Some(watched),
        move || {
            let services = services.clone();
            let member = staff.member.clone();
            let number = number.clone();
            async move { shown(services.dispatch_request(&member, &number).await) }
        },
    ))
}

/// One job's screen.
pub async fn job_events(
    State(state): State<AppState>,
    staff: Staff,
    session: Session,
    Path(number): Path<String>,
) -> Result<Response, Problem> {
    let (watched, seat) = watch(&state, &session, &staff).await?;
    state.services.job(&staff.member, &number).await?;
    let id = state.services.store.request_id_by_number(&number.trim().to_uppercase()).await.ok().flatten();
    let services = state.services.clone();
    Ok(feed(
        &state,
        seat,
        // A job screen says whether the job is the viewer's: one view per member.
        format!("job:{}:{}", staff.member.id, number.trim().to_uppercase()),
        move |c| id.is_some_and(|id| *c == Changed::Request(id)),
        Some(watched),
        move || {
            let services = services.clone();
            let member = staff.member.clone();
            let number = number.clone();
            async move { shown(services.job(&member, &number).await) }
        },
    ))
}

/// A staff view for its feed: a refusal (no longer the viewer's, say) sends nothing; a store error is an error,
/// so it is tried again rather than shared as "nothing to send".
fn shown<T, E: Failure>(result: Result<T, E>) -> Result<Option<T>, app::store::StoreError> {
    match result {
        Ok(view) => Ok(Some(view)),
        Err(e) => e.store().map_or(Ok(None), Err),
    }
}

/// The store's failure inside a service's error, if that is what it was.
trait Failure {
    fn store(self) -> Option<app::store::StoreError>;
}

impl Failure for app::services::DispatchError {
    fn store(self) -> Option<app::store::StoreError> {
        match self {
            app::services::DispatchError::Store(e) => Some(e),
            _ => None,
        }
    }
}

impl Failure for app::services::JobError {
    fn store(self) -> Option<app::store::StoreError> {
        match self {
            app::services::JobError::Store(e) => Some(e),
            _ => None,
        }
    }
}

/// What wakes a feed: a change it may show, or the time to ask after its session.
enum Wake {
    /// The feed just opened: its first view is loaded for it alone, fresh (its watcher's last frame may predate
    /// writes that are announced to nobody, such as a checklist edit).
    Open,
    /// The view as its watcher framed it after a change.
    Change(Option<Bytes>),
    Check,
}

/// Streams `load()` at once, then the view again after every change `ours` accepts (and after falling behind,
/// which may have hidden one), as loaded by the one watcher of every feed showing `view`. `Ok(None)` sends nothing.
/// A staff feed (`watched`) asks after its session before sending each view and on a timer, and ends, sending
/// nothing more, once the session is over. Every feed ends after its lifetime and when the server stops, and holds
/// its `seat` until it ends or its client leaves.
fn feed<T, F, L>(
    state: &AppState,
    seat: Seat,
    view: String,
    ours: impl Fn(&Changed) -> bool + Send + 'static,
    watched: Option<Watched>,
    load: L,
) -> Response
where
    T: Serialize + Send + 'static,
    F: Future<Output = Result<Option<T>, app::store::StoreError>> + Send + 'static,
    L: Fn() -> F + Send + Sync + 'static,
{
    let load: Loader = Arc::new(move || {
        let loading = load();
        Box::pin(async move { Ok(loading.await?.and_then(|v| serde_json::to_vec(&v).ok()).map(|json| frame(&json))) })
    });
    let frames = state.feeds.views.follow(view.into(), state.services.live.as_ref(), ours, load.clone());
    let changes = WatchStream::from_changes(frames).map(Wake::Change);
    let (watch, ends_at) = watched.unzip();
    let checks = match ends_at {
        Some(ends_at) => session_checks(ends_at).boxed(),
        None => stream::pending().boxed(),
    };
    let wakes = stream::once(async { Wake::Open }).chain(stream::select(changes, checks));
    let views = wakes.then(move |wake| {
        let (load, watch) = (load.clone(), watch.clone());
        async move {
            let view = match wake {
                Wake::Check => Ok(None),
                Wake::Open => load().await,
                Wake::Change(frame) => Ok(frame),
            };
            // Asked after loading, right before sending: a session that ended meanwhile is sent nothing more.
            if let Some(watch) = watch
                && Box::pin(watch.live_until()).await.is_none()
            {
                return None;
            }
            Some(view)
        }
    });
    let events = views.take_while(|view| future::ready(view.is_some())).filter_map(|view| async move {
        match view? {
            Ok(frame) => frame,
            Err(e) => {
                tracing::warn!(error = %e, "reloading a view for its live feed failed");
                None
            }
        }
    });
    // A comment every 15 s keeps proxies from closing a quiet feed. A beat of its own, not a timer reset after
    // each message: ten thousand feeds sent one change would take the timer's lock ten thousand times.
    let beats = IntervalStream::new(tokio::time::interval_at(tokio::time::Instant::now() + KEEP_ALIVE, KEEP_ALIVE))
        .map(|_| Some(Bytes::from_static(b":\n\n")));
    let events = stream::select(events.map(Some).chain(stream::once(future::ready(None))), beats)
        .take_while(|frame| future::ready(frame.is_some()))
        .filter_map(future::ready);
    // The end: the lifetime (less up to a tenth, at random) or the server stopping, whichever comes first.
    let lifetime = state.feeds.lifetime.mul_f64(1.0 - rand::random::<f64>() / 10.0);
    let closing = state.lifecycle.closing.clone();
    let end = async move {
        tokio::select! {
            () = tokio::time::sleep(lifetime) => {}
            () = closing.cancelled_owned() => {}
        }
    };
    // The seat goes with the stream: dropped when the feed ends or hyper drops an answer whose client left.
    let events = events.take_until(end).map(move |frame| {
        let _held = &seat;
        Ok::<_, Infallible>(frame)
    });
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            // Proxies that buffer answers (nginx) pass this one on as it comes.
            (HeaderName::from_static("x-accel-buffering"), "no"),
        ],
        Body::from_stream(events),
    )
        .into_response()
}

const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// A view as one server-sent event, framed once and sent as it is to every feed showing it. JSON has no raw
/// line breaks, so the view is one `data:` line.
fn frame(json: &[u8]) -> Bytes {
    let mut frame = Vec::with_capacity(json.len() + 8);
    frame.extend_from_slice(b"data: ");
    frame.extend_from_slice(json);
    frame.extend_from_slice(b"\n\n");
    frame.into()
}

/// Loads a view and frames it for sending.
type Loader = Arc<dyn Fn() -> BoxFuture<'static, Loaded> + Send + Sync>;

/// A view loaded and framed for sending (`None`: nothing to send).
type Loaded = Result<Option<Bytes>, app::store::StoreError>;

/// The views the open feeds show, each kept up by one watcher: it hears the changes, loads its view once per change
/// that may touch it, frames it once, and hands the frame to every feed showing the view. Ten thousand feeds on one
/// request cost one load, one serialisation and ten thousand wakes per change; a change to another request wakes
/// none of them. A watcher ends with the last feed showing its view.
#[derive(Debug, Default)]
struct Watchers {
    by_view: Mutex<HashMap<Arc<str>, watch::Sender<Option<Bytes>>>>,
}

/// How long after a failed load its watcher tries again (when no change has come to make it try sooner).
const RETRY_LOAD: Duration = Duration::from_secs(1);

impl Watchers {
    /// The frames of `view` from now on, for one more feed showing it; its watcher is started if it has none.
    /// The first feed's `ours` and `load` serve every feed of the view: the view's name says all they depend on.
    fn follow(
        self: &Arc<Self>,
        view: Arc<str>,
        live: &dyn app::live::LiveFeed,
        ours: impl Fn(&Changed) -> bool + Send + 'static,
        load: Loader,
    ) -> watch::Receiver<Option<Bytes>> {
        let mut by_view = self.by_view.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(frames) = by_view.get(&view) {
            return frames.subscribe();
        }
        let (frames, feed) = watch::channel(None);
        by_view.insert(view.clone(), frames.clone());
        tokio::spawn(self.clone().keep_up(view, frames, live.subscribe(), ours, load));
        feed
    }

    /// One view's watcher, until no feed shows the view.
    async fn keep_up(
        self: Arc<Self>,
        view: Arc<str>,
        frames: watch::Sender<Option<Bytes>>,
        mut changes: broadcast::Receiver<Changed>,
        ours: impl Fn(&Changed) -> bool,
        load: Loader,
    ) {
        let mut retry_at: Option<Instant> = None;
        loop {
            let mut stale = tokio::select! {
                () = frames.closed() => {
                    let mut by_view = self.by_view.lock().unwrap_or_else(PoisonError::into_inner);
                    // A feed may have come for the view meanwhile (feeds subscribe under this lock).
                    if frames.receiver_count() > 0 {
                        continue;
                    }
                    if by_view.get(&view).is_some_and(|f| f.same_channel(&frames)) {
                        by_view.remove(&view);
                    }
                    return;
                }
                change = changes.recv() => match change {
                    Ok(change) => change == Changed::Everything || ours(&change),
                    // Fell behind: a change it missed may have touched the view.
                    Err(RecvError::Lagged(_)) => true,
                    Err(RecvError::Closed) => return,
                },
                () = sleep_until(retry_at.unwrap_or_else(Instant::now)), if retry_at.is_some() => true,
            };
            // Changes that came meanwhile are in the view about to be loaded.
            loop {
                match changes.try_recv() {
                    Ok(change) => stale |= change == Changed::Everything || ours(&change),
                    Err(TryRecvError::Lagged(_)) => stale = true,
                    Err(_) => break,
                }
            }
            if !stale {
                continue;
            }
            match load().await {
                Ok(frame) => {
                    retry_at = None;
                    if frame.is_some() {
                        frames.send_replace(frame);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "reloading a view for its live feeds failed");
                    retry_at = Some(Instant::now() + RETRY_LOAD);
                }
            }
        }
    }
}

/// Who holds a seat among the open feeds.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Holder {
    /// A customer's status page: by client address, as the rate limits see it (`None`: no address known).
    Client(Option<IpAddr>),
    /// A staff screen: by login session.
    Session(String),
}

/// The feeds open now, against their caps. Bounded: one entry per holder with a feed open, and no more feeds
/// than `total` at once.
#[derive(Debug)]
pub struct FeedSlots {
    per_client: usize,
    per_session: usize,
    total: usize,
    pub lifetime: Duration,
    held: Mutex<Held>,
    /// The views the open feeds show, each loaded once per change.
    views: Arc<Watchers>,
}

#[derive(Debug, Default)]
struct Held {
    total: usize,
    by: HashMap<Holder, usize>,
}

/// How long to tell a refused feed to wait: seats come free as feeds end (at the latest, their lifetime).
const SEAT_RETRY_SECONDS: u64 = 30;

impl FeedSlots {
    pub fn new(config: &Config) -> FeedSlots {
        let size = |n: u32| usize::try_from(n).unwrap_or(usize::MAX);
        FeedSlots {
            per_client: size(config.feeds_per_client),
            per_session: size(config.feeds_per_session),
            total: size(config.max_feeds),
            lifetime: config.feed_lifetime,
            held: Mutex::new(Held::default()),
            views: Arc::default(),
        }
    }

    /// A seat for one more feed of `holder`, or the refusal: 429 over the holder's cap, 503 when the server has
    /// all the feeds it takes.
    pub fn take(self: &Arc<Self>, holder: Holder) -> Result<Seat, Problem> {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        if held.total >= self.total {
            tracing::warn!(open = held.total, "live feeds refused: --max-feeds are open");
            return Err(Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "feeds_full",
                Said::by(|l| td_string!(l, refused.feeds_full)),
            )
            .retry_after(SEAT_RETRY_SECONDS));
        }
        let (cap, message) = match holder {
            Holder::Client(_) => (self.per_client, Said::by(|l| td_string!(l, refused.feeds_client))),
            Holder::Session(_) => (self.per_session, Said::by(|l| td_string!(l, refused.feeds_session))),
        };
        let mine = held.by.get(&holder).copied().unwrap_or(0);
        if mine >= cap {
            return Err(
                Problem::new(StatusCode::TOO_MANY_REQUESTS, "too_many_feeds", message).retry_after(SEAT_RETRY_SECONDS)
            );
        }
        held.total += 1;
        held.by.insert(holder.clone(), mine + 1);
        Ok(Seat { slots: self.clone(), holder })
    }
}

/// One open feed's place, given back when dropped.
#[derive(Debug)]
pub struct Seat {
    slots: Arc<FeedSlots>,
    holder: Holder,
}

impl Drop for Seat {
    fn drop(&mut self) {
        let mut held = self.slots.held.lock().unwrap_or_else(PoisonError::into_inner);
        held.total = held.total.saturating_sub(1);
        if let Some(n) = held.by.get_mut(&self.holder) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                held.by.remove(&self.holder);
            }
        }
    }
}

/// When a staff feed asks after its session with nothing changing: every `SESSION_CHECK`, and just after its
/// absolute lifetime ends (`ends_at`, unix ms), so the feed ends then and not up to ten seconds later.
fn session_checks(ends_at: i64) -> impl Stream<Item = Wake> + Send {
    stream::unfold((), move |()| async move {
        let left = Duration::from_millis(u64::try_from(ends_at.saturating_sub(now_ms())).unwrap_or(0));
        // A little past the end, so the check finds the session over; never a busy loop if the clock lags.
        tokio::time::sleep(SESSION_CHECK.min(left + Duration::from_millis(50))).await;
        Some((Wake::Check, ()))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use app::live::{LiveFeed, LocalFeed};

    use super::*;

    /// A view that counts its loads: "view 1", "view 2", ...
    fn counted(loads: &Arc<AtomicUsize>) -> Loader {
        let loads = loads.clone();
        Arc::new(move || {
            let n = loads.fetch_add(1, Ordering::SeqCst) + 1;
            Box::pin(async move { Ok(Some(Bytes::from(format!("view {n}")))) })
        })
    }

    #[tokio::test]
    async fn feeds_of_one_view_share_one_load_per_change_and_a_change_elsewhere_loads_nothing() {
        let live = LocalFeed::new();
        let watchers = Arc::new(Watchers::default());
        let (loads, elsewhere) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let mut feeds: Vec<_> = (0..1000)
            .map(|_| watchers.follow("status:7".into(), &live, |c| *c == Changed::Request(7), counted(&loads)))
            .collect();
        let other = watchers.follow("status:8".into(), &live, |c| *c == Changed::Request(8), counted(&elsewhere));
        live.publish(Changed::Request(7));
        for feed in &mut feeds {
            feed.changed().await.unwrap();
            assert_eq!(feed.borrow_and_update().as_deref(), Some(&b"view 1"[..]));
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1, "a thousand feeds, one load");
        live.publish(Changed::Request(7));
        feeds[0].changed().await.unwrap();
        assert_eq!(feeds[0].borrow().as_deref(), Some(&b"view 2"[..]));
        assert_eq!(loads.load(Ordering::SeqCst), 2);
        // Request 8's watcher heard both changes before request 7's second load was done (one task each, one
        // thread, in order): it loaded nothing, and its feed was sent nothing.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(elsewhere.load(Ordering::SeqCst), 0);
        assert!(!other.has_changed().unwrap());
    }

    #[tokio::test]
    async fn a_failed_load_is_tried_again_without_waiting_for_another_change() {
        let live = LocalFeed::new();
        let watchers = Arc::new(Watchers::default());
        let attempts = Arc::new(AtomicUsize::new(0));
        let load: Loader = {
            let attempts = attempts.clone();
            Arc::new(move || {
                let first = attempts.fetch_add(1, Ordering::SeqCst) == 0;
                Box::pin(async move {
                    if first {
                        Err(app::store::StoreError::WriterStopped)
                    } else {
                        Ok(Some(Bytes::from_static(b"board")))
                    }
                })
            })
        };
        let mut feed = watchers.follow("board:1".into(), &live, |_| true, load);
        live.publish(Changed::Crew);
        tokio::time::timeout(RETRY_LOAD * 5, feed.changed()).await.unwrap().unwrap();
        assert_eq!(feed.borrow().as_deref(), Some(&b"board"[..]));
        assert_eq!(attempts.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_watcher_ends_with_the_last_feed_of_its_view_and_a_new_feed_starts_another() {
        let live = LocalFeed::new();
        let watchers = Arc::new(Watchers::default());
        let loads = Arc::new(AtomicUsize::new(0));
        let feeds = [(); 2].map(|()| watchers.follow("job:1:RC-1".into(), &live, |_| true, counted(&loads)));
        drop(feeds);
        tokio::time::timeout(Duration::from_secs(5), async {
            while !watchers.by_view.lock().unwrap().is_empty() {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
        .await
        .expect("the watcher ended and left nothing behind");
        let mut feed = watchers.follow("job:1:RC-1".into(), &live, |_| true, counted(&loads));
        live.publish(Changed::Crew);
        feed.changed().await.unwrap();
        assert_eq!(feed.borrow().as_deref(), Some(&b"view 1"[..]));
    }

    #[test]
    fn a_store_failure_is_an_error_to_try_again_and_a_refusal_sends_nothing() {
        use app::services::{DispatchError, JobError};
        let failed: Result<(), DispatchError> = Err(DispatchError::Store(app::store::StoreError::WriterStopped));
        assert!(shown(failed).is_err());
        assert!(matches!(shown::<(), _>(Err(DispatchError::NotDispatcher)), Ok(None)));
        assert!(matches!(shown::<(), _>(Err(JobError::NotTechnician)), Ok(None)));
        assert!(matches!(shown::<u8, JobError>(Ok(7)), Ok(Some(7))));
    }
}
