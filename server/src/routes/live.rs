//! Server-sent events: a page's whole view at connect and again after each change that may touch it. Each
//! message is complete, so a missed one can never leave a page wrong.
//!
//! A staff feed lives only as long as its session: before each view it sends, and on a timer, it asks the session
//! store again (`app::session::SessionWatch`), and ends once the session is over (logged out, idle or past its
//! absolute lifetime, the account disabled or given a new password).

use std::{convert::Infallible, future::Future, time::Duration};

use app::{live::Changed, session::SessionWatch, store::now_ms};
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use futures::{Stream, StreamExt, future, stream};
use serde::Serialize;
use tokio_stream::wrappers::{BroadcastStream, errors::BroadcastStreamRecvError};
use tower_sessions::Session;

use crate::{AppState, auth::Staff, reply::Problem};

/// How often a staff feed asks after its session even when nothing changes: an account disabled from the command
/// line (another process, whose changes no feed hears) ends its feeds within this.
const SESSION_CHECK: Duration = Duration::from_secs(10);

/// A staff feed's session, and when it ends at the latest (unix ms).
type Watched = (SessionWatch, i64);

/// The session behind a staff feed, checked once more as the feed opens; `Err` answers a session already over.
async fn watch(state: &AppState, session: &Session, staff: &Staff) -> Result<Watched, Problem> {
    let over = || Problem::new(StatusCode::UNAUTHORIZED, "login_required", "Log in first.");
    let watch =
        SessionWatch::new(state.sessions.clone(), session, &staff.member, state.services.clone()).ok_or_else(over)?;
    let until = watch.live_until().await.ok_or_else(over)?;
    Ok((watch, until))
}

/// The customer's status page.
pub async fn status_events(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response, Problem> {
    // Subscribe before the first read so no change can slip between the two.
    let changes = BroadcastStream::new(state.services.live.subscribe());
    let (id, _) =
        state.services.status_by_token(&token).await?.ok_or_else(|| Problem::not_found("No request has this link."))?;
    let services = state.services.clone();
    Ok(feed(
        changes,
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
    let changes = BroadcastStream::new(state.services.live.subscribe());
    let watched = watch(&state, &session, &staff).await?;
    let services = state.services.clone();
    let id = staff.member.id;
    Ok(feed(
        changes,
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
    let changes = BroadcastStream::new(state.services.live.subscribe());
    let watched = watch(&state, &session, &staff).await?;
    let services = state.services.clone();
    Ok(feed(
        changes,
        |_| true,
        Some(watched),
        move || {
            let services = services.clone();
            let member = staff.member.clone();
            async move { Ok(services.dispatch_board(&member, page).await.ok()) }
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
    let changes = BroadcastStream::new(state.services.live.subscribe());
    let watched = watch(&state, &session, &staff).await?;
    state.services.dispatch_request(&staff.member, &number).await?;
    let id = state.services.store.request_id_by_number(&number.trim().to_uppercase()).await.ok().flatten();
    let services = state.services.clone();
    Ok(feed(
        changes,
        // The roster shown for assigning changes with the crew.
        move |c| *c == Changed::Crew || id.is_some_and(|id| *c == Changed::Request(id)),
        Some(watched),
        move || {
            let services = services.clone();
            let member = staff.member.clone();
            let number = number.clone();
            async move { Ok(services.dispatch_request(&member, &number).await.ok()) }
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
    let changes = BroadcastStream::new(state.services.live.subscribe());
    let watched = watch(&state, &session, &staff).await?;
    state.services.job(&staff.member, &number).await?;
    let id = state.services.store.request_id_by_number(&number.to_uppercase()).await.ok().flatten();
    let services = state.services.clone();
    Ok(feed(
        changes,
        move |c| id.is_some_and(|id| *c == Changed::Request(id)),
        Some(watched),
        move || {
            let services = services.clone();
            let member = staff.member.clone();
            let number = number.clone();
            async move { Ok(services.job(&member, &number).await.ok()) }
        },
    ))
}

/// What wakes a feed: a change it may show, or the time to ask after its session.
enum Wake {
    Change,
    Check,
}

/// Streams `load()` at once and after every change `ours` accepts (and after falling behind, which may have
/// hidden one). `Ok(None)` sends nothing. A staff feed (`watched`) asks after its session before sending each view
/// and on a timer, and ends, sending nothing more, once the session is over.
fn feed<T, F, L>(
    changes: BroadcastStream<Changed>,
    ours: impl Fn(&Changed) -> bool + Send + 'static,
    watched: Option<Watched>,
    load: L,
) -> Response
where
    T: Serialize + Send + 'static,
    F: Future<Output = Result<Option<T>, app::store::StoreError>> + Send + 'static,
    L: Fn() -> F + Send + Sync + 'static,
{
    let ticks = changes.filter_map(move |change| {
        let hit = match change {
            Ok(c) => ours(&c),
            Err(BroadcastStreamRecvError::Lagged(_)) => true,
        };
        async move { hit.then_some(Wake::Change) }
    });
    let (watch, ends_at) = watched.unzip();
    let checks = match ends_at {
        Some(ends_at) => session_checks(ends_at).boxed(),
        None => stream::pending().boxed(),
    };
    let wakes = stream::once(async { Wake::Change }).chain(stream::select(ticks, checks));
    let views = wakes.then(move |wake| {
        let view = matches!(wake, Wake::Change).then(&load);
        let watch = watch.clone();
        async move {
            let view = match view {
                Some(loading) => loading.await,
                None => Ok(None),
            };
            // Asked after loading, right before sending: a session that ended meanwhile is sent nothing more.
            if let Some(watch) = watch
                && watch.live_until().await.is_none()
            {
                return None;
            }
            Some(view)
        }
    });
    let events = views.take_while(|view| future::ready(view.is_some())).filter_map(|view| async move {
        match view? {
            Ok(Some(view)) => {
                serde_json::to_string(&view).ok().map(|json| Ok::<_, Infallible>(Event::default().data(json)))
            }
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "reloading a view for its live feed failed");
                None
            }
        }
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response()
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
