//! Routes: the Leptos pages and server functions, the plain-HTML form posts, the partner API, live feeds,
//! static files and health.

mod api;
mod dispatch;
mod forms;
mod live;
mod staff;

use std::path::Path;

use app::{App, shell};
use axum::{
    Router,
    extract::{DefaultBodyLimit, State},
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::{get, post},
};
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::{compression::CompressionLayer, set_header::SetResponseHeaderLayer, trace::TraceLayer};

use tower_sessions::SessionManagerLayer;
use tower_sessions_sqlx_store::SqliteStore;

use crate::{AppState, assets, auth, limits};

/// Forms and API bodies are small; anything bigger is a mistake or an attack.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

pub fn router(state: AppState, sessions: SessionManagerLayer<SqliteStore>) -> Router {
    let routes = generate_route_list(App);
    let services = state.services.clone();
    let context = move || leptos::prelude::provide_context(services.clone());
    let options = state.leptos_options.clone();
    let site_root = Path::new(options.site_root.as_ref());
    let pkg = assets::pkg_service(site_root, &options.site_pkg_dir, options.hash_files);
    let page = {
        let options = options.clone();
        move || shell(options.clone())
    };
    // What is neither a route nor a file: the app itself answers, with its "not found" page and a 404.
    let not_found = axum::handler::Handler::with_state(
        leptos_axum::render_app_async_with_context(context.clone(), page.clone()),
        (),
    );
    // Staff posts change state: each must carry the session's CSRF token.
    let staff_posts = Router::new()
        .route("/logout", post(staff::log_out))
        .route("/tech/duty", post(staff::duty))
        .route("/tech/jobs/{number}/step", post(staff::step))
        .route("/tech/jobs/{number}/check", post(staff::check))
        .route("/tech/push/subscribe", post(staff::push_subscribe))
        .route("/tech/push/test", post(staff::push_test))
        .route("/dispatch/requests/{number}/act", post(dispatch::act))
        .route("/dispatch/roster", post(dispatch::roster))
        .route("/dispatch/phone-in", post(dispatch::phone_in))
        .route("/dispatch/checklists", post(dispatch::checklist))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), auth::verify_csrf));
    Router::new()
        .merge(staff_posts)
        .route("/login", post(staff::log_in))
        .route("/staff/api/board", get(staff::board))
        .route("/staff/api/push", get(staff::push_info))
        .route("/staff/api/board/events", get(live::board_events))
        .route("/staff/api/jobs/{number}", get(staff::job))
        .route("/staff/api/jobs/{number}/events", get(live::job_events))
        .route("/staff/api/dispatch", get(dispatch::board))
        .route("/staff/api/dispatch/me", get(dispatch::me))
        .route("/staff/api/dispatch/reports", get(dispatch::report))
        .route("/staff/api/dispatch/setup", get(dispatch::setup))
        .route("/dispatch/reports.csv", get(dispatch::report_csv))
        .route("/staff/api/dispatch/events", get(live::dispatch_events))
        .route("/staff/api/dispatch/search", get(dispatch::search))
        .route("/staff/api/dispatch/requests/{number}", get(dispatch::request))
        .route("/staff/api/dispatch/requests/{number}/events", get(live::dispatch_request_events))
        .route("/healthz", get(health))
        .route("/request", post(forms::send))
        .route("/r/{token}/cancel", post(forms::cancel))
        .route("/r/{token}/callback", post(forms::call_me_back))
        .route("/r/{token}/follow-up", post(forms::follow_up))
        .route("/r/{token}/events", get(live::status_events))
        .route("/api/v1/requests", post(api::create))
        .route("/api/v1/requests/{token}", get(api::show))
        .leptos_routes_with_context(&state, routes, context, page)
        .nest_service(&format!("/{}", options.site_pkg_dir), pkg)
        .fallback_service(assets::root_files(site_root, not_found))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(state.clone(), limits::enforce))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        // A status link is a secret: never leak it to another site in a Referer header.
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        // The app's pages set their own policy with a nonce; everything else (problem pages, JSON) gets this one.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; \
                 form-action 'self'; frame-ancestors 'none'",
            ),
        ))
        .with_state(state)
}

async fn health(State(state): State<AppState>) -> Response {
    match state.services.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// A small page for what went wrong with a plain form post: what happened, what to do, and the way to a person.
pub fn problem_page(status: StatusCode, title: &str, message: &str) -> Response {
    problem_page_back(status, title, message, "/")
}

/// The same, with the way back to where the form was.
pub fn problem_page_back(status: StatusCode, title: &str, message: &str, back: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>{title}</title></head><body \
         style=\"font:1.2rem/1.5 system-ui,sans-serif;max-width:30rem;margin:2rem auto;padding:0 1rem\">\
         <h1>{title}</h1><p>{message}</p><p><a href=\"{back}\">Back</a></p></body></html>",
        title = escape(title),
        message = escape(message),
        back = escape(back),
    );
    (status, Html(body)).into_response()
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
