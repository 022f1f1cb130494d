//! Staff sessions: who is logged in, and the guard against cross-site requests on every state change.
//!
//! A session (tower-sessions, stored in the database) holds the staff id and a random CSRF token. Pages carry
//! the token in their forms (`csrf`) and the wasm sends it as `X-CSRF-Token`; a state-changing staff request
//! without it is refused. The cookie is HttpOnly and SameSite=Lax, and Secure whenever the public URL is https.

use app::{
    services::StaffMember,
    session::{self, SessionError},
};
use axum::{
    body::Body,
    extract::{FromRequestParts, Request, State},
    http::{HeaderMap, Method, StatusCode, header, request::Parts},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use tower_sessions::Session;

use crate::{AppState, routes::MAX_BODY_BYTES};

pub const CSRF_HEADER: &str = "x-csrf-token";

/// The logged-in member of staff, read fresh from the store on each request (a disabled account stops at once).
pub struct Staff {
    pub member: StaffMember,
    pub csrf: String,
}

/// What a request without a (valid) login gets: pages go to the login form, API calls get a 401.
pub struct LoginRequired {
    wants_json: bool,
    next: String,
}

impl IntoResponse for LoginRequired {
    fn into_response(self) -> Response {
        if self.wants_json {
            let body = serde_json::json!({ "error": "login_required", "message": "Log in first." });
            (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response()
        } else {
            let next = serde_urlencoded::to_string([("next", self.next.as_str())]).unwrap_or_default();
            Redirect::to(&format!("/login?{next}")).into_response()
        }
    }
}

pub fn wants_json(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("application/json"))
        || headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("json"))
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Staff, Response> {
        let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/").to_owned();
        let required =
            LoginRequired { wants_json: wants_json(&parts.headers) || next.starts_with("/staff/api/"), next };
        let session = Session::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        let Some(member) = session::current(&session, &state.services).await.map_err(session_failed)? else {
            return Err(required.into_response());
        };
        let csrf = session::csrf_token(&session).await.map_err(session_failed)?;
        Ok(Staff { member, csrf })
    }
}

fn session_failed(e: SessionError) -> Response {
    tracing::error!(error = %e, "reading the staff session failed");
    (StatusCode::SERVICE_UNAVAILABLE, "Sessions are unavailable just now; try again.").into_response()
}

/// Middleware on staff routes: a POST must come from our own pages (Origin) and carry the session's token,
/// in the `X-CSRF-Token` header or the form's `csrf` field.
pub async fn verify_csrf(State(state): State<AppState>, session: Session, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    if let Some(refusal) = foreign_origin(request.headers(), &state) {
        return refusal;
    }
    let expected = match session::expected_csrf(&session).await {
        Ok(t) => t,
        Err(e) => return session_failed(e),
    };
    let json = wants_json(request.headers());
    let refuse = |message: &str| forbidden(json, "csrf", message);
    let Some(expected) = expected else {
        return refuse("Your session has ended. Log in again.");
    };
    if let Some(sent) = request.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return if sent == expected { next.run(request).await } else { refuse("The page was out of date. Reload it.") };
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "The form was too large.").into_response();
    };
    let sent = form_urlencoded_field(&bytes, "csrf");
    if sent.as_deref() != Some(expected.as_str()) {
        return refuse("The page was out of date. Reload it and try again.");
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// A browser always names the page a POST came from; one from another site is refused. Requests without the
/// header come from programs, not from a victim's browser.
pub fn foreign_origin(headers: &HeaderMap, state: &AppState) -> Option<Response> {
    let origin = headers.get(header::ORIGIN)?.to_str().ok()?;
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    let same_host = origin.split_once("://").is_some_and(|(_, rest)| rest == host);
    if same_host || origin == state.public_url.as_ref() {
        return None;
    }
    Some(forbidden(wants_json(headers), "cross_site", "This form was sent from another site and was refused."))
}

fn forbidden(json: bool, code: &str, message: &str) -> Response {
    if json {
        (StatusCode::FORBIDDEN, axum::Json(serde_json::json!({ "error": code, "message": message }))).into_response()
    } else {
        crate::routes::problem_page(StatusCode::FORBIDDEN, "Refused", message)
    }
}

fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}
