//! Routes, grouped by who calls them, each group under its own rate limit: the Leptos pages, the plain-HTML
//! form posts, the partner API, live feeds, static files and health.

mod api;
mod dispatch;
mod forms;
mod live;
mod staff;
mod twilio;

use std::{
    path::Path,
    pin::Pin,
    sync::{
        Arc, OnceLock,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll},
    time::{Duration, Instant},
};

use app::session::SessionStore;
use app::{App, customer::FormEcho, i18n::td_string, paths, shell};
use axum::{
    Router,
    body::{Body, Bytes, HttpBody},
    extract::{DefaultBodyLimit, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    middleware::Next,
    response::Response,
    routing::{MethodRouter, get, post},
};
use leptos::prelude::provide_context;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use tower_http::{compression::CompressionLayer, set_header::SetResponseHeaderLayer, trace::TraceLayer};
use tower_sessions::{Session, SessionManagerLayer};

use crate::{
    AppState, assets, auth,
    limits::{self, Group},
    reply::{self, MAX_BODY_BYTES, Problem, Said},
};

pub use live::FeedSlots;

pub fn router(state: AppState, sessions: SessionManagerLayer<SessionStore>, body_timeout: Duration) -> Router {
    let routes = app_routes();
    let services = state.services.clone();
    let context = move || page_context(&services);
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
    // Each group of routes carries its own limit, so no route is left unlimited by a path no rule matched.
    let limited = |group: Group, routes: Router<AppState>| {
        routes.route_layer(axum::middleware::from_fn_with_state(state.limits.gate(group), limits::enforce))
    };
    let customer_sends = Router::new()
        .route(paths::SEND, post(forms::send))
        .route(paths::CANCEL, post(forms::cancel))
        .route(paths::CALL_ME_BACK, post(forms::call_me_back))
        .route(paths::FOLLOW_UP, post(forms::follow_up));
    let partner = Router::new()
        .route(paths::API_REQUESTS, post(api::create))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), api::partner_key));
    let reads = Router::new()
        .route(paths::STATUS_VIEW, get(live::status_view))
        .route(paths::API_REQUEST, get(api::show))
        .route(paths::API_DOCUMENT, get(api::document))
        .route(paths::HEALTH, get(health))
        // A choice of language costs nothing to serve: it must not use up the budget of "Send request".
        .route(paths::LANGUAGE, post(forms::language))
        .leptos_routes_with_context(&state, routes, context, page)
        .nest_service(
            &format!("/{}", options.site_pkg_dir),
            tower::Layer::layer(&axum::middleware::from_fn(assets::only_file_names), pkg),
        )
        // A fallback is not a route, so its limit is put on it here. The service worker and manifest must be
        // checked at every start; icons are small.
        .fallback_service(
            tower::ServiceBuilder::new()
                .layer(axum::middleware::from_fn_with_state(state.limits.gate(Group::Read), limits::enforce))
                .layer(axum::middleware::from_fn(assets::only_file_names))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("no-cache"),
                ))
                .service(assets::root_files(site_root, not_found)),
        );
    let feeds = Router::new()
        .route(paths::STATUS_EVENTS, get(live::status_events))
        .route(paths::STAFF_BOARD_EVENTS, get(live::board_events))
        .route(paths::STAFF_JOB_EVENTS, get(live::job_events))
        .route(paths::STAFF_DISPATCH_EVENTS, get(live::dispatch_events))
        .route(paths::STAFF_DISPATCH_REQUEST_EVENTS, get(live::dispatch_request_events));
    let login = Router::new().route(paths::LOGIN, post(staff::log_in));
    // The provider's webhooks: signed, so a stranger's post is refused before it is read further.
    let provider = Router::new()
        .route(paths::TWILIO_STATUS, post(twilio::status))
        .route(paths::TWILIO_SMS, post(twilio::text))
        .route(paths::TWILIO_CALL, post(twilio::call));
    // Staff posts change state: each must carry the session's CSRF token.
    let csrf = |routes: Router<AppState>| {
        routes.route_layer(axum::middleware::from_fn_with_state(state.clone(), auth::verify_csrf))
    };
    let staff_posts: [(&str, MethodRouter<AppState>); 10] = [
        (paths::LOGOUT, post(staff::log_out)),
        (paths::TECH_DUTY, post(staff::duty)),
        (paths::TECH_JOB_STEP, post(staff::step)),
        (paths::TECH_JOB_CHECK, post(staff::check)),
        (paths::PUSH_SUBSCRIBE, post(staff::push_subscribe)),
        (paths::DISPATCH_ACT, post(dispatch::act)),
        (paths::DISPATCH_ROSTER, post(dispatch::roster)),
        (paths::DISPATCH_PHONE_IN, post(dispatch::phone_in)),
        (paths::DISPATCH_CHECKLISTS, post(dispatch::checklist)),
        (paths::DISPATCH_STAFF_ALERTS, post(dispatch::staff_alerts)),
    ];
    let staff_reads: [(&str, MethodRouter<AppState>); 10] = [
        (paths::STAFF_BOARD, get(staff::board)),
        (paths::STAFF_PUSH, get(staff::push_info)),
        (paths::STAFF_JOB, get(staff::job)),
        (paths::STAFF_DISPATCH, get(dispatch::board)),
        (paths::STAFF_DISPATCH_ME, get(dispatch::me)),
        (paths::STAFF_DISPATCH_REPORTS, get(dispatch::report)),
        (paths::STAFF_DISPATCH_SETUP, get(dispatch::setup)),
        (paths::STAFF_DISPATCH_SEARCH, get(dispatch::search)),
        (paths::STAFF_DISPATCH_REQUEST, get(dispatch::request)),
        (paths::DISPATCH_REPORTS_CSV, get(dispatch::report_csv)),
    ];
    let staff = staff_posts.into_iter().fold(Router::new(), |r, (path, route)| r.route(path, route));
    let staff = staff_reads.into_iter().fold(csrf(staff), |r, (path, route)| r.route(path, route));
    let test_alert = csrf(Router::new().route(paths::PUSH_TEST, post(staff::push_test)));
    let hsts = state.public_url.starts_with("https://").then(|| {
        SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        )
    });
    // Everything but the live feeds is compressed for clients that ask. Not the feeds: a compressor would hold
    // each event back, and its body, kilobytes even when it compresses nothing, would be held by every open feed.
    let answers = Router::new()
        .merge(limited(Group::Send, customer_sends))
        // Partners are limited per partner, by their key (a wrong key counts as a login attempt).
        .merge(partner)
        .merge(limited(Group::Login, login))
        .merge(limited(Group::Staff, staff))
        .merge(limited(Group::TestAlert, test_alert))
        .merge(limited(Group::Read, reads))
        .merge(limited(Group::Read, provider))
        .layer(CompressionLayer::new());
    answers
        .merge(limited(Group::Feed, feeds))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(state.services.settings.default_locale, reply::for_client))
        .layer(axum::middleware::from_fn_with_state(
            (body_timeout, state.services.settings.default_locale),
            body_deadline,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TraceLayer::new_for_http().make_span_with(crate::privacy::span))
        .layer(tower::util::option_layer(hsts))
        // Pages and answers carry personal data (a phone, a place, a gate code): no cache keeps them. Files set
        // their own caching.
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
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

/// The app's routes, listed once per process. While leptos lists them it stops every resource in the process from
/// loading, and a resource first polled meanwhile never loads (leptos-rs/leptos#4773): a page another server in
/// the process was rendering (tests run many) waited for ever.
fn app_routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// `200 ok` while the server takes requests and the database takes writes (a row written and committed, within
/// `--health-timeout`). `503` with the reason otherwise: `draining` once the server is stopping, so a load
/// balancer sends elsewhere; `database_unwritable` when the write failed or did not finish in time (a full disk,
/// a locked or read-only file).
async fn health(State(state): State<AppState>) -> Result<&'static str, Problem> {
    let draining = || {
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "draining", "This instance is shutting down; use another.")
            .retry_after(5)
    };
    if state.lifecycle.draining.is_cancelled() {
        return Err(draining());
    }
    let unwritable = |why: String| {
        tracing::error!("health check: the database cannot write: {why}");
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unwritable",
            format!("The database cannot take writes: {why}."),
        )
        .retry_after(5)
    };
    match tokio::time::timeout(state.health_timeout, state.services.store.prove_writable()).await {
        Err(_) => Err(unwritable(format!("a test write took longer than {:?}", state.health_timeout))),
        Ok(Err(e)) => Err(unwritable(e.to_string())),
        // A signal that came while writing still counts.
        Ok(Ok(())) if state.lifecycle.draining.is_cancelled() => Err(draining()),
        Ok(Ok(())) => Ok("ok"),
    }
}

/// A request body must arrive whole within `limit` of the request's start: a slower one (a client trickling
/// bytes to hold a connection) is answered `408` and the connection closed, whatever the handler made of its
/// broken body.
async fn body_deadline(
    State((limit, default)): State<(Duration, app::Locale)>,
    request: Request,
    next: Next,
) -> Response {
    if request.body().is_end_stream() {
        return next.run(request).await;
    }
    let wants = reply::Wants::of(request.headers(), request.uri().path());
    let locale = crate::language::of_request(request.headers(), default);
    let expired = Arc::new(AtomicBool::new(false));
    let deadline = tokio::time::Instant::from_std(Instant::now() + limit);
    let watched = expired.clone();
    let request = request.map(|body| Body::new(Deadline { body, deadline, sleep: None, expired: watched }));
    let response = next.run(request).await;
    if expired.load(Ordering::Relaxed) {
        let mut response =
            Problem::new(StatusCode::REQUEST_TIMEOUT, "request_timeout", Said::by(|l| td_string!(l, refused.too_slow)))
                .answer(wants, locale);
        // The rest of the body may still come: the connection cannot carry another request.
        response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        return response;
    }
    response
}

/// A request body that fails once its deadline has passed.
struct Deadline {
    body: Body,
    deadline: tokio::time::Instant,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    expired: Arc<AtomicBool>,
}

impl HttpBody for Deadline {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.body).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        let deadline = self.deadline;
        let sleep = self.sleep.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if sleep.as_mut().poll(cx).is_ready() {
            self.expired.store(true, Ordering::Relaxed);
            return Poll::Ready(Some(Err(axum::Error::new("the request body took too long to arrive"))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// What every page is drawn with: the services, and its language, chosen from the request leptos_axum has put
/// in the context.
fn page_context(services: &app::services::Services) {
    let headers = leptos::prelude::use_context::<axum::http::request::Parts>().map(|p| p.headers);
    let default = services.settings.default_locale;
    let locale = headers.map_or(default, |h| crate::language::of_request(&h, default));
    provide_context(app::PageLocale(locale));
    provide_context(services.clone());
}

/// A refused form answered with its own page drawn again (422): what was typed and why, carried in the page's
/// context rather than a redirect's URL. `session` is there for a staff page (phone-in), which checks its login.
pub async fn refused_form(state: &AppState, page_path: &str, headers: HeaderMap, echo: FormEcho) -> Response {
    refused_form_for(state, page_path, headers, None, echo).await
}

pub async fn refused_form_for(
    state: &AppState,
    page_path: &str,
    headers: HeaderMap,
    session: Option<Session>,
    echo: FormEcho,
) -> Response {
    let services = state.services.clone();
    let options = state.leptos_options.clone();
    let render = leptos_axum::render_app_async_with_context(
        move || {
            page_context(&services);
            provide_context(echo.clone());
        },
        move || shell(options.clone()),
    );
    let mut request = Request::new(Body::empty());
    *request.uri_mut() = page_path.parse().unwrap_or_default();
    *request.headers_mut() = headers;
    if let Some(session) = session {
        request.extensions_mut().insert(session);
    }
    let mut response = render(request).await;
    if response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}
