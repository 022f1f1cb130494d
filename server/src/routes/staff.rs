//! Staff routes: log in and out, and the technician's posts (duty, job steps, checklist ticks) with the JSON
//! reads their pages use. Every post works as a plain HTML form (answered with a redirect) and from the wasm
//! (`Accept: application/json`, answered with 204 or a JSON error).

use app::{
    domain::{JobAction, Refusal},
    services::{DeviceSubscription, JobError, LoginError, StaffMember, SubscribeError},
    session,
};
use axum::{
    Form, Json,
    extract::{Path, State, rejection::JsonRejection},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use super::{problem_page, problem_page_back};
use crate::{
    AppState,
    auth::{self, Staff, wants_json},
};

/// What every staff page loads: who is looking, the token its forms carry, and the page's data.
#[derive(Serialize)]
pub struct StaffPage<T> {
    pub me: StaffMember,
    pub csrf: String,
    pub data: T,
}

#[derive(Deserialize)]
pub struct LoginForm {
    login: Option<String>,
    password: Option<String>,
    next: Option<String>,
}

pub async fn log_in(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    if let Some(refusal) = auth::foreign_origin(&headers, &state) {
        return refusal;
    }
    let json = wants_json(&headers);
    let next = form.next.as_deref().filter(|n| is_local_path(n));
    let login = form.login.as_deref().unwrap_or_default();
    match state.services.log_in(login, form.password.as_deref().unwrap_or_default()).await {
        Ok(member) => {
            if let Err(e) = session::start(&session, &member).await {
                tracing::error!(error = %e, "starting a session failed");
                return problem_page(StatusCode::SERVICE_UNAVAILABLE, "Not logged in", "Please try again in a moment.");
            }
            tracing::info!(staff = member.id, "logged in");
            let home = next.unwrap_or(member.role.home()).to_owned();
            if json {
                Json(serde_json::json!({ "home": home })).into_response()
            } else {
                Redirect::to(&home).into_response()
            }
        }
        Err(LoginError::Store(e)) => {
            tracing::error!(error = %e, "login failed on the store");
            problem_page(StatusCode::SERVICE_UNAVAILABLE, "Not logged in", "Please try again in a moment.")
        }
        Err(e) => {
            tracing::info!(login = %login.chars().take(40).collect::<String>(), "login refused");
            if json {
                return (
                    StatusCode::UNAUTHORIZED,
                    Json(serde_json::json!({ "error": "login", "message": e.to_string() })),
                )
                    .into_response();
            }
            let query = serde_urlencoded::to_string([
                ("failed", e.to_string().as_str()),
                ("login", login),
                ("next", next.unwrap_or_default()),
            ])
            .unwrap_or_default();
            Redirect::to(&format!("/login?{query}")).into_response()
        }
    }
}

/// Only our own pages are places to go after logging in (no open redirect).
fn is_local_path(path: &str) -> bool {
    path.starts_with('/') && !path.starts_with("//") && !path.contains('\\')
}

pub async fn log_out(session: Session) -> Response {
    if let Err(e) = session::end(&session).await {
        tracing::error!(error = %e, "ending a session failed");
    }
    Redirect::to("/login").into_response()
}

#[derive(Deserialize)]
pub struct DutyForm {
    on: Option<String>,
}

pub async fn duty(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Form(form): Form<DutyForm>,
) -> Response {
    if !staff.member.role.works_jobs() {
        return job_error(wants_json(&headers), JobError::NotTechnician, "/");
    }
    let on = matches!(form.on.as_deref(), Some("1" | "true" | "on"));
    answer(&headers, state.services.set_on_duty(&staff.member, on).await.map_err(Into::into), "/tech", "/tech")
}

#[derive(Deserialize)]
pub struct StepForm {
    action: Option<String>,
    eta_minutes: Option<String>,
    note: Option<String>,
}

pub async fn step(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Path(number): Path<String>,
    Form(form): Form<StepForm>,
) -> Response {
    let back = format!("/tech/jobs/{}", number.to_uppercase());
    let action =
        JobAction::parse(form.action.as_deref().unwrap_or_default(), form.eta_minutes.as_deref(), form.note.as_deref());
    let result = match action {
        Ok(action) => state.services.job_step(&staff.member, &number, action).await,
        Err(refusal) => Err(refusal.into()),
    };
    answer(&headers, result, &back, &back)
}

#[derive(Deserialize)]
pub struct CheckForm {
    item: Option<String>,
    checked: Option<String>,
}

pub async fn check(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Path(number): Path<String>,
    Form(form): Form<CheckForm>,
) -> Response {
    let back = format!("/tech/jobs/{}", number.to_uppercase());
    let Some(item) = form.item.as_deref().and_then(|i| i.parse::<i64>().ok()) else {
        return job_error(wants_json(&headers), JobError::UnknownItem, &back);
    };
    let checked = matches!(form.checked.as_deref(), Some("1" | "true" | "on"));
    answer(
        &headers,
        state.services.tick(&staff.member, &number, item, checked).await,
        &format!("{back}#checklist"),
        &back,
    )
}

pub async fn board(State(state): State<AppState>, staff: Staff) -> Response {
    match state.services.board(&staff.member).await {
        Ok(data) => Json(StaffPage { me: staff.member, csrf: staff.csrf, data }).into_response(),
        Err(e) => job_error(true, e.into(), "/tech"),
    }
}

pub async fn job(State(state): State<AppState>, staff: Staff, Path(number): Path<String>) -> Response {
    match state.services.job(&staff.member, &number).await {
        Ok(data) => Json(StaffPage { me: staff.member, csrf: staff.csrf, data }).into_response(),
        Err(e) => job_error(true, e, "/tech"),
    }
}

/// A state change answers a script with 204 and a plain form with a redirect: to `next` when it went through,
/// back to `back` (with the reason) when it was refused.
fn answer(headers: &HeaderMap, result: Result<(), JobError>, next: &str, back: &str) -> Response {
    match result {
        Ok(()) if wants_json(headers) => StatusCode::NO_CONTENT.into_response(),
        Ok(()) => Redirect::to(next).into_response(),
        Err(e) => job_error(wants_json(headers), e, back),
    }
}

/// A refused step says why, in the technician's words: 409 for "not now", 403 for "not yours", 404, 422.
fn job_error(json: bool, error: JobError, back: &str) -> Response {
    let (status, code) = match &error {
        JobError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
        JobError::Hidden(_) | JobError::NotTechnician => (StatusCode::FORBIDDEN, "forbidden"),
        JobError::Refused(
            Refusal::BadEta
            | Refusal::NoteRequired
            | Refusal::ReasonRequired
            | Refusal::BadText(_)
            | Refusal::UnknownAction(_),
        )
        | JobError::UnknownItem => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
        JobError::Refused(_) => (StatusCode::CONFLICT, "refused"),
        JobError::Store(e) => {
            tracing::error!(error = %e, "a job step failed on the store");
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
    };
    let message = match &error {
        JobError::Store(_) => "Not saved: please try again in a moment.".to_owned(),
        e => e.to_string(),
    };
    refusal(json, status, code, &message, back)
}

/// Says why something was not done: JSON to a script, a small page with the way back to a plain form.
pub(super) fn refusal(json: bool, status: StatusCode, code: &str, message: &str, back: &str) -> Response {
    if json {
        (status, Json(serde_json::json!({ "error": code, "message": message }))).into_response()
    } else {
        problem_page_back(status, "Not done", message, back)
    }
}

/// The key a phone subscribes with, and how many of this member's devices are subscribed.
pub async fn push_info(State(state): State<AppState>, staff: Staff) -> Response {
    match state.services.store.subscriptions(app::store::Audience::Member(staff.member.id)).await {
        Ok(devices) => {
            Json(serde_json::json!({ "public_key": state.services.push_public_key(), "devices": devices.len() }))
                .into_response()
        }
        Err(e) => job_error(true, e.into(), "/tech"),
    }
}

pub async fn push_subscribe(
    State(state): State<AppState>,
    staff: Staff,
    body: Result<Json<DeviceSubscription>, JsonRejection>,
) -> Response {
    let sub = match body {
        Ok(Json(sub)) => sub,
        Err(rejection) => {
            let message = format!("The subscription could not be read: {}", rejection.body_text());
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(serde_json::json!({ "error": "invalid", "message": message })),
            )
                .into_response();
        }
    };
    match state.services.subscribe_device(&staff.member, &sub).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => {
            let (status, code) = match &e {
                SubscribeError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
                SubscribeError::Endpoint(_) => (StatusCode::UNPROCESSABLE_ENTITY, "endpoint_refused"),
                SubscribeError::TooManyDevices(_) => (StatusCode::UNPROCESSABLE_ENTITY, "too_many_devices"),
                SubscribeError::OtherMembers => (StatusCode::CONFLICT, "other_members_device"),
                SubscribeError::Store(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            };
            (status, Json(serde_json::json!({ "error": code, "message": e.to_string() }))).into_response()
        }
    }
}

/// "Send me a test alert": answers with how many devices were reached.
pub async fn push_test(State(state): State<AppState>, staff: Staff, headers: HeaderMap) -> Response {
    match state.services.test_alert(&staff.member).await {
        Ok(report) if wants_json(&headers) => Json(report).into_response(),
        Ok(report) => {
            let message = format!("Test alert: {} of {} devices reached.", report.delivered, report.devices);
            problem_page_back(StatusCode::OK, "Test alert sent", &message, "/tech")
        }
        Err(e) => job_error(wants_json(&headers), e.into(), "/tech"),
    }
}
