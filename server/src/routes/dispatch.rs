//! Dispatch routes: the board and one request as JSON (for the pages after a client-side navigation), and the
//! dispatcher's posts: act on a request (assign, confirm arrival, cancel, callback made) and the backup roster.
//! Plain forms get a redirect; the wasm (`Accept: application/json`) gets 204 or a JSON error.

use app::{
    domain::{DispatchAction, DispatchRefusal, Refusal, Report},
    services::{DispatchError, PhoneInError, SubmitError},
};
use axum::{
    Form, Json,
    extract::{Path, Query, State, rejection::FormRejection},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::{
    forms::{RequestForm, unreadable},
    staff::{StaffPage, refusal},
};
use crate::{
    AppState,
    auth::{Staff, wants_json},
};

pub async fn board(State(state): State<AppState>, staff: Staff) -> Response {
    let result = state.services.dispatch_board(&staff.member).await;
    page(staff, result)
}

pub async fn request(State(state): State<AppState>, staff: Staff, Path(number): Path<String>) -> Response {
    let result = state.services.dispatch_request(&staff.member, &number).await;
    page(staff, result)
}

/// Who is looking, and the form token: all the phone-in page needs.
pub async fn me(staff: Staff) -> Response {
    let result = app::services::require_dispatch(&staff.member);
    page(staff, result)
}

#[derive(Deserialize)]
pub struct RangeQuery {
    from: Option<String>,
    to: Option<String>,
}

pub async fn report(State(state): State<AppState>, staff: Staff, Query(q): Query<RangeQuery>) -> Response {
    let result = state.services.report(&staff.member, q.from.as_deref(), q.to.as_deref()).await;
    page(staff, result)
}

/// The report's requests as a spreadsheet: one line each.
pub async fn report_csv(State(state): State<AppState>, staff: Staff, Query(q): Query<RangeQuery>) -> Response {
    match state.services.report_facts(&staff.member, q.from.as_deref(), q.to.as_deref()).await {
        Ok((range, facts)) => {
            let file = format!("attachment; filename=\"roadcall-{}-to-{}.csv\"", range.from, range.to);
            let headers =
                [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, file)];
            (headers, Report::csv(&facts)).into_response()
        }
        Err(e) => dispatch_error(false, e, "/dispatch/reports"),
    }
}

pub async fn setup(State(state): State<AppState>, staff: Staff) -> Response {
    let result = state.services.setup(&staff.member).await;
    page(staff, result)
}

#[derive(Deserialize)]
pub struct ChecklistForm {
    problem: Option<String>,
    lines: Option<String>,
}

pub async fn checklist(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Form(form): Form<ChecklistForm>,
) -> Response {
    let problem = form.problem.unwrap_or_default();
    let result = state.services.set_checklist(&staff.member, &problem, form.lines.as_deref().unwrap_or_default()).await;
    // A plain form comes back to its own editor, marked saved; only a known problem gets this far.
    let problem = problem.trim();
    answer(&headers, result, &format!("/dispatch/setup?saved={problem}#checklist-{problem}"))
}

#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
}

pub async fn search(State(state): State<AppState>, staff: Staff, Query(query): Query<SearchQuery>) -> Response {
    let result = state.services.search(&staff.member, query.q.as_deref().unwrap_or_default()).await;
    page(staff, result)
}

fn page<T: serde::Serialize>(staff: Staff, result: Result<T, DispatchError>) -> Response {
    match result {
        Ok(data) => Json(StaffPage { me: staff.member, csrf: staff.csrf, data }).into_response(),
        Err(e) => dispatch_error(true, e, "/dispatch"),
    }
}

#[derive(Deserialize)]
pub struct ActForm {
    action: Option<String>,
    /// Where a plain form returns to (the board's "Call made"); only dispatch's own pages.
    back: Option<String>,
    technician: Option<String>,
    reason: Option<String>,
}

pub async fn act(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Path(number): Path<String>,
    Form(form): Form<ActForm>,
) -> Response {
    let back = match form.back.as_deref() {
        Some(b) if b == "/dispatch" || b.starts_with("/dispatch/") || b.starts_with("/dispatch#") => b.to_owned(),
        _ => format!("/dispatch/requests/{}", number.trim().to_uppercase()),
    };
    let action = DispatchAction::parse(
        form.action.as_deref().unwrap_or_default(),
        form.technician.as_deref(),
        form.reason.as_deref(),
    );
    let result = match action {
        Ok(action) => state.services.dispatch_act(&staff.member, &number, action).await,
        Err(refused) => Err(refused.into()),
    };
    answer(&headers, result, &back)
}

/// A request taken on the phone: the customer's form and validation; a refusal goes back to the form with what
/// was typed, a success to the new request's page with the status link to hand over.
pub async fn phone_in(
    State(state): State<AppState>,
    staff: Staff,
    form: Result<Form<RequestForm>, FormRejection>,
) -> Response {
    let form = match form {
        Ok(Form(form)) => form,
        Err(rejection) => return unreadable(rejection),
    };
    match state.services.phone_in(&staff.member, &form.draft(), form.key.as_deref()).await {
        Ok(created) => Redirect::to(&format!("/dispatch/requests/{}", created.number)).into_response(),
        Err(PhoneInError::Submit(SubmitError::Invalid(errors))) => form.refused("/dispatch/new", &errors),
        Err(PhoneInError::Submit(SubmitError::Store(e))) => dispatch_error(false, e.into(), "/dispatch/new"),
        Err(PhoneInError::Dispatch(e)) => dispatch_error(false, e, "/dispatch"),
    }
}

#[derive(Deserialize)]
pub struct RosterForm {
    technician: Option<String>,
    backup: Option<String>,
}

pub async fn roster(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Form(form): Form<RosterForm>,
) -> Response {
    let Some(technician) = form.technician.as_deref().and_then(|t| t.trim().parse().ok()) else {
        return dispatch_error(wants_json(&headers), DispatchRefusal::NoTechnician.into(), "/dispatch#roster");
    };
    let on = matches!(form.backup.as_deref(), Some("1" | "true" | "on"));
    let result = state.services.set_backup(&staff.member, technician, on).await;
    answer(&headers, result, "/dispatch#roster")
}

fn answer(headers: &HeaderMap, result: Result<(), DispatchError>, back: &str) -> Response {
    match result {
        Ok(()) if wants_json(headers) => StatusCode::NO_CONTENT.into_response(),
        Ok(()) => Redirect::to(back).into_response(),
        Err(e) => dispatch_error(wants_json(headers), e, back),
    }
}

/// 403 for "not dispatch", 404, 422 for what was typed wrong, 409 for "not now".
pub(super) fn dispatch_error(json: bool, error: DispatchError, back: &str) -> Response {
    use DispatchRefusal as R;
    let (status, code) = match &error {
        DispatchError::NotDispatcher => (StatusCode::FORBIDDEN, "forbidden"),
        DispatchError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
        DispatchError::UnknownTechnician
        | DispatchError::BadSearch
        | DispatchError::Range(_)
        | DispatchError::Checklist(_)
        | DispatchError::Refused(
            R::NoTechnician | R::ReasonRequired | R::UnknownAction(_) | R::Job(Refusal::BadText(_)),
        ) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
        DispatchError::Refused(_) => (StatusCode::CONFLICT, "refused"),
        DispatchError::Store(e) => {
            tracing::error!(error = %e, "a dispatch action failed on the store");
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
    };
    let message = match &error {
        DispatchError::Store(_) => "Not saved: please try again in a moment.".to_owned(),
        e => e.to_string(),
    };
    refusal(json, status, code, &message, back)
}
