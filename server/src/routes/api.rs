//! The partner API for insurer call centres and car telematics: JSON in, JSON out, the same rules as the form.
//! Creating a request needs a partner's key (`Authorization: Bearer …`); reading one needs only its token.

use app::{
    domain::{
        Actor, Event, HelpRequestDraft, Problem as RoadProblem, RequestStatus, StaffName, StatusView, Vehicle,
        utc_time_ms,
    },
    i18n::td_string,
    paths,
    services::Source,
    store::Partner,
};
use axum::{
    Extension, Json,
    extract::{ConnectInfo, Path, Request, State, rejection::JsonRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::{
    Modify, OpenApi, ToSchema,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

use crate::{
    AppState,
    reply::{Problem, ProblemBody, Said},
};

/// Middleware on partner routes: the key names the partner, whose own rate limit then applies. A wrong key
/// counts against the caller's address like a wrong password.
pub async fn partner_key(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let key = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let partner = match key {
        Some(key) => match state.services.partner_by_key(key).await {
            Ok(partner) => partner,
            Err(e) => return Problem::from(e).into_response(),
        },
        None => None,
    };
    let Some(partner) = partner else {
        let peer = request.extensions().get::<ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
        if let Err(problem) = state.limits.take_guess(request.headers(), peer) {
            return problem.into_response();
        }
        let mut refusal = Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            Said::by(|l| td_string!(l, partner_refused.unauthorized)),
        )
        .into_response();
        refusal.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return refusal;
    };
    if let Err(problem) = state.limits.take_partner(partner.id, partner.per_minute) {
        return problem.into_response();
    }
    request.extensions_mut().insert(partner);
    next.run(request).await
}

/// A request as created: the number to read out, and the token that is the key to its status.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedResponse {
    number: String,
    token: String,
    status_url: String,
    status: &'static str,
}

/// Create a help request.
///
/// The same rules as the customer's own form. Send an `Idempotency-Key` so that a retry after a timeout can
/// never create a second request: the same key with the same body returns the first request (200), the same
/// key with a different body is refused (409). Keys belong to your partner key alone and are remembered for 24
/// hours (the operator may set another time).
#[utoipa::path(
    post,
    path = "/api/v1/requests",
    tag = "requests",
    request_body = HelpRequestDraft,
    params(("Idempotency-Key" = Option<String>, Header, description = "1 to 100 visible ASCII characters, unique per request you mean to create.")),
    responses(
        (status = 201, description = "Created.", body = CreatedResponse,
            headers(("Location" = String, description = "The request's status in this API."))),
        (status = 200, description = "The Idempotency-Key was used before with this body: the first request.", body = CreatedResponse),
        (status = 400, description = "Malformed JSON or Idempotency-Key (`malformed_json`, `invalid_idempotency_key`).", body = ProblemBody),
        (status = 401, description = "No partner key, or a wrong or revoked one (`unauthorized`).", body = ProblemBody),
        (status = 409, description = "The Idempotency-Key was used with a different body (`idempotency_key_reused`).", body = ProblemBody),
        (status = 413, description = "The body is larger than 16 KiB (`body_too_large`).", body = ProblemBody),
        (status = 415, description = "Not sent as application/json (`unsupported_media_type`).", body = ProblemBody),
        (status = 422, description = "Fields not valid (`validation_failed`, with `fields`), or of the wrong type (`invalid_body`).", body = ProblemBody),
        (status = 429, description = "Your partner's rate limit (or, for wrong keys, your address's) is spent (`rate_limited`).", body = ProblemBody,
            headers(("Retry-After" = u32, description = "Seconds until the next request is accepted."))),
        (status = 503, description = "Not stored just now (`unavailable`): retry with the same Idempotency-Key.", body = ProblemBody),
    ),
    security(("partner_key" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    Extension(partner): Extension<Partner>,
    headers: HeaderMap,
    body: Result<Json<HelpRequestDraft>, JsonRejection>,
) -> Result<Response, Problem> {
    let key = idempotency_key(&headers)?;
    let Json(draft) = body?;
    let sent = state.services.submit(&draft, Source::Partner(partner.id), key).await?;
    let status = if sent.replayed { StatusCode::OK } else { StatusCode::CREATED };
    let location = paths::at(paths::API_REQUEST, &sent.token);
    let body = CreatedResponse {
        status_url: format!("{}{}", state.public_url, paths::at(paths::STATUS, &sent.token)),
        number: sent.number,
        token: sent.token,
        status: "received",
    };
    let mut response = (status, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<&str>, Problem> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    let bad = || {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid_idempotency_key",
            Said::by(|l| td_string!(l, partner_refused.idempotency_key)),
        )
    };
    let key = value.to_str().map_err(|_| bad())?.trim();
    if key.is_empty() || key.len() > 100 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad());
    }
    Ok(Some(key))
}

/// Where a request stands, with every event so far. Times are RFC 3339, UTC, to the millisecond. Staff are
/// named by first name.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusResponse {
    number: String,
    status: RequestStatus,
    /// When the request was received.
    #[schema(format = DateTime)]
    created_at: String,
    problem: RoadProblem,
    problem_detail: Option<String>,
    place: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
    accuracy_m: Option<f64>,
    access_notes: Option<String>,
    vehicle: Vehicle,
    /// A child or a pet is shut inside.
    someone_inside: bool,
    /// E.164.
    phone: String,
    /// The same number grouped for reading.
    phone_display: String,
    callback_requested: bool,
    /// The technician who has the job.
    technician: Option<String>,
    /// When the technician expects to arrive.
    #[schema(format = DateTime)]
    eta_at: Option<String>,
    /// Done, and the customer has not yet said how it went.
    follow_up_due: bool,
    /// Oldest first.
    timeline: Vec<EventResponse>,
    status_url: String,
}

/// One event: when, who, its `kind`, and that kind's own fields.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventResponse {
    #[schema(format = DateTime)]
    at: String,
    actor: Actor,
    by: Option<StaffName>,
    #[serde(flatten)]
    event: Event,
}

impl StatusResponse {
    /// `view` is already the customer's: first names, and nothing meant for staff only.
    fn new(view: StatusView, status_url: String) -> StatusResponse {
        let timeline = view.timeline;
        StatusResponse {
            created_at: utc_time_ms(timeline.first().map_or(0, |r| r.at)),
            number: view.number,
            status: view.status,
            problem: view.problem,
            problem_detail: view.problem_detail,
            place: view.place,
            lat: view.lat,
            lon: view.lon,
            accuracy_m: view.accuracy_m,
            access_notes: view.access_notes,
            vehicle: view.vehicle,
            someone_inside: view.someone_inside,
            phone: view.phone,
            phone_display: view.phone_display,
            callback_requested: view.callback_requested,
            technician: view.technician,
            eta_at: view.eta_at.map(utc_time_ms),
            follow_up_due: view.follow_up_due,
            timeline: timeline
                .into_iter()
                .map(|r| EventResponse { at: utc_time_ms(r.at), actor: r.actor, by: r.by, event: r.event })
                .collect(),
            status_url,
        }
    }
}

/// Read a request's status.
///
/// The token alone is the key: it is the secret part of the status link the customer holds, so no partner key
/// is needed.
#[utoipa::path(
    get,
    path = "/api/v1/requests/{token}",
    tag = "requests",
    params(("token" = String, Path, description = "The token returned when the request was created.")),
    responses(
        (status = 200, description = "Where the request stands.", body = StatusResponse),
        (status = 404, description = "No request has this token (`not_found`).", body = ProblemBody),
        (status = 429, description = "Too many reads from your address (`rate_limited`).", body = ProblemBody,
            headers(("Retry-After" = u32, description = "Seconds until the next request is accepted."))),
    )
)]
pub async fn show(State(state): State<AppState>, Path(token): Path<String>) -> Result<Json<StatusResponse>, Problem> {
    let (_, view) = state
        .services
        .status_by_token(&token)
        .await?
        .ok_or_else(|| Problem::not_found(Said::by(|l| td_string!(l, partner_refused.no_such_token))))?;
    let status_url = format!("{}{}", state.public_url, paths::at(paths::STATUS, &token));
    Ok(Json(StatusResponse::new(view, status_url)))
}

/// The partner API as an OpenAPI 3.1 document, generated from the handlers and the types they read and write.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "roadcall partner API",
        version = "1",
        description = "Send roadside help requests from your own systems (insurers' call centres, telematics) and \
            follow them. Every error is JSON: `error` (a code to branch on), `message` (a sentence for a person) \
            and, for refused fields, `fields`. Creating needs a partner key (`Authorization: Bearer <key>`, made \
            by the operator with `server partner add NAME`); each partner has its own rate limit per minute, and \
            a refusal for too many requests says when to retry (`Retry-After`)."
    ),
    paths(create, show),
    modifiers(&PartnerKey)
)]
struct PartnerApi;

struct PartnerKey;

impl Modify for PartnerKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("rc_…").build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("partner_key", SecurityScheme::Http(scheme));
    }
}

/// `GET /api/v1/openapi.json`.
pub async fn document() -> Response {
    match PartnerApi::openapi().to_pretty_json() {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(e) => Problem::unavailable("writing the OpenAPI document", &e).into_response(),
    }
}
