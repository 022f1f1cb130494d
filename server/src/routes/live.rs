//! Server-sent events for a customer's status page: the whole status view at connect and after each change.

use std::{convert::Infallible, time::Duration};

use app::live::RequestChanged;
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use futures::{StreamExt, stream};
use tokio_stream::wrappers::{BroadcastStream, errors::BroadcastStreamRecvError};

use crate::AppState;

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
    let ours = changes.filter_map(move |change| async move {
        match change {
            Ok(RequestChanged { request_id }) if request_id == id => Some(()),
            // Fell behind: something may have been ours, so reload.
            Err(BroadcastStreamRecvError::Lagged(_)) => Some(()),
            Ok(_) => None,
        }
    });
    let store = state.services.store.clone();
    let events = stream::once(async {}).chain(ours).then(move |()| {
        let store = store.clone();
        async move { store.status_view(id).await }
    });
    let events = events.filter_map(|view| async move {
        match view {
            Ok(Some(view)) => {
                serde_json::to_string(&view).ok().map(|json| Ok::<_, Infallible>(Event::default().data(json)))
            }
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "reloading a status for its live feed failed");
                None
            }
        }
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response()
}
