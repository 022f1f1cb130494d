//! Staff sessions: who is logged in, and the guard against cross-site requests on every state change.
//!
//! A session (tower-sessions, stored in the database) holds the staff id and a random CSRF token. Pages carry
//! the token in their forms (`csrf`) and the wasm sends it as `X-CSRF-Token`; a state-changing staff request
//! without it is refused. The cookie is HttpOnly and SameSite=Lax, and Secure whenever the public URL is https.

use app::{i18n::td_string, paths, services::StaffMember, session};
use axum::{
    body::Body,
    extract::{FromRequestParts, Request, State},
    http::{HeaderMap, Method, StatusCode, header, request::Parts},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use tower_sessions::Session;

use crate::{
    AppState,
    reply::{self, Problem, Said, Wants},
};

pub const CSRF_HEADER: &str = "x-csrf-token";

/// The logged-in member of staff, read fresh from the store on each request (a disabled account stops at once).
pub struct Staff {
    pub member: StaffMember,
    pub csrf: String,
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Staff, Response> {
        let session = Session::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        let member = session::current(&session, &state.services).await.map_err(|e| Problem::from(e).into_response())?;
        let Some(member) = member else { return Err(login_required(parts)) };
        let csrf = session::csrf_token(&session).await.map_err(|e| Problem::from(e).into_response())?;
        Ok(Staff { member, csrf })
    }
}

/// What a request without a (valid) login gets: pages go to the login form, scripts get a 401.
fn login_required(parts: &Parts) -> Response {
    if Wants::of(&parts.headers, parts.uri.path()).json {
        return Problem::new(
            StatusCode::UNAUTHORIZED,
            "login_required",
            Said::by(|l| td_string!(l, refused.log_in_first)),
        )
        .into_response();
    }
    let here = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or(paths::HOME);
    let next = serde_urlencoded::to_string([("next", here)]).unwrap_or_default();
    Redirect::to(&format!("{}?{next}", paths::LOGIN)).into_response()
}

/// Middleware on staff routes: a POST must come from our own pages (Origin) and carry the session's token,
/// in the `X-CSRF-Token` header or the form's `csrf` field.
pub async fn verify_csrf(State(state): State<AppState>, session: Session, request: Request, next: Next) -> Response {
    match checked(&state, &session, request).await {
        Ok(request) => next.run(request).await,
        Err(problem) => problem.into_response(),
    }
}

async fn checked(state: &AppState, session: &Session, request: Request) -> Result<Request, Problem> {
    if request.method() != Method::POST {
        return Ok(request);
    }
    same_site(request.headers(), state)?;
    let refused = |message: Said| Problem::new(StatusCode::FORBIDDEN, "csrf", message);
    let expected = session::expected_csrf(session)
        .await?
        .ok_or_else(|| refused(Said::by(|l| td_string!(l, refused.session_ended))))?;
    if let Some(sent) = request.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return if sent == expected {
            Ok(request)
        } else {
            Err(refused(Said::by(|l| td_string!(l, refused.out_of_date))))
        };
    }
    let (parts, body) = request.into_parts();
    let bytes = reply::read_body(body).await?;
    if form_urlencoded_field(&bytes, "csrf").as_deref() != Some(expected.as_str()) {
        return Err(refused(Said::by(|l| td_string!(l, refused.out_of_date_form))));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// A browser always names the page a POST came from; one from another site is refused. Requests without the
/// header come from programs, not from a victim's browser.
pub fn same_site(headers: &HeaderMap, state: &AppState) -> Result<(), Problem> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else { return Ok(()) };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    let same_host = origin.split_once("://").is_some_and(|(_, rest)| rest == host);
    if same_host || origin == state.public_url.as_ref() {
        return Ok(());
    }
    Err(Problem::new(StatusCode::FORBIDDEN, "cross_site", Said::by(|l| td_string!(l, refused.cross_site))))
}

fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}
