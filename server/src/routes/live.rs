//! Server-sent events: a page's whole view at connect and again after each change that may touch it. Each
//! message is complete, so a missed one can never leave a page wrong.

use std::{convert::Infallible, future::Future, time::Duration};

use app::live::Changed;
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use futures::{StreamExt, stream};
use serde::Serialize;
use tokio_stream::wrappers::{BroadcastStream, errors::BroadcastStreamRecvError};

use crate::{AppState, auth::Staff};

/// The customer's status page.
pub async fn status_events(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    // Subscribe before the first read so no change can slip between the two.
    let changes = BroadcastStream::new(state.services.live.subscribe());
    let id = match state.services.status_by_token(&token).await {
        Ok(Some((id, _))) => id,
        Ok(None) => return (StatusCode::NOT_FOUND, "No request has this link.").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "opening a live status feed failed");
            return (StatusCode::SERVICE_UNAVAILABLE, "Try again shortly.").into_response();
        }
    };
    let services = state.services.clone();
    feed(
        changes,
        move |c| *c == Changed::Request(id),
        move || {
            let services = services.clone();
            let token = token.clone();
            async move { services.status_by_token(&token).await.map(|found| found.map(|(_, view)| view)) }
        },
    )
}

/// The technician's board: any request may appear on it or leave it.
pub async fn board_events(State(state): State<AppState>, staff: Staff) -> Response {
    let changes = BroadcastStream::new(state.services.live.subscribe());
    let services = state.services.clone();
    let id = staff.member.id;
    feed(
        changes,
        |_| true,
        move || {
            let services = services.clone();
            async move {
                // Read the member again: going off duty in another tab shows here too.
                let Some(me) = services.staff_member(id).await? else { return Ok(None) };
                services.board(&me).await.map(Some)
            }
        },
    )
}

/// The dispatch board: every change may touch it.
pub async fn dispatch_events(State(state): State<AppState>, staff: Staff) -> Response {
    if !staff.member.role.dispatches() {
        return (StatusCode::FORBIDDEN, "Only dispatchers and admins watch the dispatch board.").into_response();
    }
    let changes = BroadcastStream::new(state.services.live.subscribe());
    let services = state.services.clone();
    feed(
        changes,
        |_| true,
        move || {
            let services = services.clone();
            let member = staff.member.clone();
            async move { Ok(services.dispatch_board(&member).await.ok()) }
        },
    )
}

/// One request on dispatch's screen.
pub async fn dispatch_request_events(
    State(state): State<AppState>,
    staff: Staff,
    Path(number): Path<String>,
) -> Response {
    let changes = BroadcastStream::new(state.services.live.subscribe());
    if let Err(e) = state.services.dispatch_request(&staff.member, &number).await {
        return (StatusCode::FORBIDDEN, e.to_string()).into_response();
    }
    let id = state.services.store.request_id_by_number(&number.trim().to_uppercase()).await.ok().flatten();
    let services = state.services.clone();
    feed(
        changes,
        // The roster shown for assigning changes with the crew.
        move |c| *c == Changed::Crew || id.is_some_and(|id| *c == Changed::Request(id)),
        move || {
            let services = services.clone();
            let member = staff.member.clone();
            let number = number.clone();
            async move { Ok(services.dispatch_request(&member, &number).await.ok()) }
        },
    )
}

/// One job's screen.
pub async fn job_events(State(state): State<AppState>, staff: Staff, Path(number): Path<String>) -> Response {
    let changes = BroadcastStream::new(state.services.live.subscribe());
    let id = match state.services.job(&staff.member, &number).await {
        Ok(_) => state.services.store.request_id_by_number(&number.to_uppercase()).await.ok().flatten(),
        Err(e) => return (StatusCode::FORBIDDEN, e.to_string()).into_response(),
    };
    let services = state.services.clone();
    feed(
        changes,
        move |c| id.is_some_and(|id| *c == Changed::Request(id)),
        move || {
            let services = services.clone();
            let member = staff.member.clone();
            let number = number.clone();
            async move { Ok(services.job(&member, &number).await.ok()) }
        },
    )
}

/// Streams `load()` at once and after every change `ours` accepts (and after falling behind, which may have
/// hidden one). `Ok(None)` sends nothing.
fn feed<T, F, L>(
    changes: BroadcastStream<Changed>,
    ours: impl Fn(&Changed) -> bool + Send + 'static,
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
        async move { hit.then_some(()) }
    });
    let events = stream::once(async {}).chain(ticks).then(move |()| load()).filter_map(|view| async move {
        match view {
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
