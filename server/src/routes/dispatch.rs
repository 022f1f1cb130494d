//! Dispatch routes: the board and one request as JSON (for scripts and tests; pages get theirs from the
//! server), and the dispatcher's posts: act on a request (assign, confirm arrival, cancel, callback made), the
//! backup roster, phone-in and the checklists. Plain forms go on to a page; the wasm (`Accept: application/json`) gets 204.

use app::{
    customer::FormEcho,
    domain::{DispatchAction, DispatchRefusal, Report, page_number},
    i18n::td_string,
    paths,
    services::{DispatchError, PhoneInError, SubmitError},
};
use axum::{
    Form, Json,
    extract::{Path, Query, State, rejection::FormRejection},
    http::{HeaderMap, header},
    response::{IntoResponse, Redirect, Response},
};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use super::{forms::RequestForm, staff::StaffPage};
use crate::{
    AppState,
    auth::Staff,
    language::Asked,
    reply::{Done, Problem, Said, Wants},
};

type Page<T> = Result<Json<StaffPage<T>>, Problem>;

/// A dispatch page's data, with who is looking and the form token.
fn page<T: Serialize>(staff: Staff, result: Result<T, DispatchError>) -> Page<T> {
    Ok(Json(StaffPage { data: result?, me: staff.member, csrf: staff.csrf }))
}

/// `?page=N` of the open requests; anything else is the first page.
#[derive(Deserialize)]
pub struct BoardQuery {
    pub page: Option<String>,
}

pub async fn board(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<BoardQuery>,
) -> Page<app::domain::DispatchBoard> {
    let result = state.services.dispatch_board(&staff.member, page_number(q.page.as_deref())).await;
    page(staff, result)
}

pub async fn request(
    State(state): State<AppState>,
    staff: Staff,
    Path(number): Path<String>,
) -> Page<app::domain::DispatchView> {
    let result = state.services.dispatch_request(&staff.member, &number).await;
    page(staff, result)
}

/// Who is looking, and the form token: all the phone-in page needs (its form starts empty).
pub async fn me(staff: Staff) -> Page<FormEcho> {
    let result = app::services::require_dispatch(&staff.member).map(|()| FormEcho::default());
    page(staff, result)
}

#[derive(Deserialize)]
pub struct RangeQuery {
    from: Option<String>,
    to: Option<String>,
}

pub async fn report(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<RangeQuery>,
) -> Page<app::domain::Report> {
    let result = state.services.report(&staff.member, q.from.as_deref(), q.to.as_deref()).await;
    page(staff, result)
}

/// The report's requests as a spreadsheet: one line each.
pub async fn report_csv(
    State(state): State<AppState>,
    staff: Staff,
    Asked(locale): Asked,
    Query(q): Query<RangeQuery>,
) -> Result<Response, Problem> {
    let (range, facts, _) = state
        .services
        .report_facts(&staff.member, q.from.as_deref(), q.to.as_deref())
        .await
        .map_err(|e| Problem::from(e).back(paths::DISPATCH_REPORTS))?;
    let file = format!("attachment; filename=\"roadcall-{}-to-{}.csv\"", range.from, range.to);
    let headers = [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, file)];
    let header = app::i18n::td_string!(locale, csv.header);
    // Russian spreadsheets write decimals with a comma, so they part cells with a semicolon.
    let separator = if locale == app::Locale::ru { ';' } else { ',' };
    // The byte order mark tells Excel the file is UTF-8: without it, Cyrillic names and comments come out garbled.
    let body = format!("\u{FEFF}{}", Report::csv(&facts, &state.services.settings.zone, header, separator));
    Ok((headers, body).into_response())
}

pub async fn setup(State(state): State<AppState>, staff: Staff) -> Page<app::domain::Setup> {
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
    Form(form): Form<ChecklistForm>,
) -> Result<Done, Problem> {
    let problem = form.problem.unwrap_or_default();
    let result = state.services.set_checklist(&staff.member, &problem, form.lines.as_deref().unwrap_or_default()).await;
    result.map_err(|e| Problem::from(e).back(format!("{}#checklists", paths::DISPATCH_SETUP)))?;
    // A plain form comes back to its own editor, marked saved; only a known problem gets this far.
    let problem = problem.trim();
    Ok(Done(format!("{}?saved={problem}#checklist-{problem}", paths::DISPATCH_SETUP)))
}

#[derive(Deserialize)]
pub struct AlertsForm {
    login: Option<String>,
    phone: Option<String>,
    sms_after: Option<String>,
    call_after: Option<String>,
    /// en or ru; blank or absent leaves it as it is.
    language: Option<String>,
}

pub async fn staff_alerts(
    State(state): State<AppState>,
    staff: Staff,
    Form(form): Form<AlertsForm>,
) -> Result<Done, Problem> {
    let login = form.login.unwrap_or_default();
    let delays = (form.sms_after.as_deref().unwrap_or_default(), form.call_after.as_deref().unwrap_or_default());
    let phone = form.phone.as_deref().unwrap_or_default();
    let back = |e: Problem| e.back(format!("{}#staff", paths::DISPATCH_SETUP));
    // Blank: not chosen yet (their first login's language will be theirs), and left as it is.
    let language = match form.language.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(tag) => Some(
            tag.parse::<app::Locale>()
                .map_err(|_| back(Problem::invalid(Said::by(|l| td_string!(l, refused.language)))))?,
        ),
    };
    let result = state.services.set_staff_alerts(&staff.member, &login, phone, delays).await;
    result.map_err(|e| back(Problem::from(e)))?;
    if let Some(language) = language {
        let result = state.services.set_staff_language(&staff.member, &login, language).await;
        result.map_err(|e| back(Problem::from(e)))?;
    }
    Ok(Done(format!("{}#staff", paths::DISPATCH_SETUP)))
}

#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
}

pub async fn search(
    State(state): State<AppState>,
    staff: Staff,
    Query(query): Query<SearchQuery>,
) -> Page<app::domain::Found> {
    let result = state.services.search(&staff.member, query.q.as_deref().unwrap_or_default()).await;
    page(staff, result)
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
    Path(number): Path<String>,
    Form(form): Form<ActForm>,
) -> Result<Done, Problem> {
    // Only one of dispatch's own pages, written as an address can be (no spaces or control characters).
    let back = match form.back.as_deref().filter(|b| b.bytes().all(|c| c.is_ascii_graphic())) {
        Some(b) if b == paths::DISPATCH || b.starts_with("/dispatch/") || b.starts_with("/dispatch#") => b.to_owned(),
        _ => paths::at(paths::DISPATCH_REQUEST, &number.trim().to_uppercase()),
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
    result.map_err(|e| Problem::from(e).back(&back))?;
    Ok(Done(back))
}

/// A request taken on the phone: the customer's form and validation; a refusal is the form drawn again with
/// what was typed and why, a success the new request's page with the status link to hand over.
pub async fn phone_in(
    State(state): State<AppState>,
    staff: Staff,
    session: Session,
    Asked(locale): Asked,
    headers: HeaderMap,
    wants: Wants,
    form: Result<Form<RequestForm>, FormRejection>,
) -> Result<Response, Problem> {
    let Form(form) = form?;
    match state.services.phone_in(&staff.member, &form.draft(locale), form.key()).await {
        Ok(created) => Ok(Redirect::to(&paths::at(paths::DISPATCH_REQUEST, &created.number)).into_response()),
        Err(PhoneInError::Submit(SubmitError::Invalid(errors))) if wants.json => {
            Err(SubmitError::Invalid(errors).into())
        }
        Err(PhoneInError::Submit(SubmitError::Invalid(errors))) => {
            let echo = form.echo(&errors, locale);
            Ok(super::refused_form_for(&state, paths::DISPATCH_PHONE_IN, headers, Some(session), echo).await)
        }
        Err(PhoneInError::Submit(e)) => Err(Problem::from(e).back(paths::DISPATCH_NEW)),
        Err(PhoneInError::Dispatch(e)) => Err(e.into()),
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
    Form(form): Form<RosterForm>,
) -> Result<Done, Problem> {
    let back = format!("{}#roster", paths::DISPATCH);
    let refused = |e: DispatchError| Problem::from(e).back(&back);
    let technician = form
        .technician
        .as_deref()
        .and_then(|t| t.trim().parse().ok())
        .ok_or_else(|| refused(DispatchRefusal::NoTechnician.into()))?;
    let on = matches!(form.backup.as_deref(), Some("1" | "true" | "on"));
    state.services.set_backup(&staff.member, technician, on).await.map_err(refused)?;
    Ok(Done(back))
}
