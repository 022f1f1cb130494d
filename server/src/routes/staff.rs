//! Staff routes: log in and out, and the technician's posts (duty, job steps, checklist ticks) with the JSON
//! reads their pages use. Every post works as a plain HTML form (answered with a redirect) and from the wasm
//! (`Accept: application/json`, answered with 204 or a JSON error).

use app::{
    domain::{JobAction, LocalPath, LoginRefusal},
    i18n::td_string,
    paths,
    services::{DeviceSubscription, JobError, LoginError},
    session,
};
use axum::{
    Form, Json,
    extract::{Path, State, rejection::JsonRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use tower_sessions::Session;

use crate::{
    AppState,
    auth::{self, Staff},
    language::Asked,
    reply::{self, Done, Problem, Said, Wants},
};

pub use app::api::StaffPage;

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
    wants: Wants,
    Form(form): Form<LoginForm>,
) -> Result<Response, Problem> {
    auth::same_site(&headers, &state)?;
    let next = form.next.as_deref().and_then(LocalPath::parse);
    let login = form.login.as_deref().unwrap_or_default();
    let e = match state.services.log_in(login, form.password.as_deref().unwrap_or_default()).await {
        Ok(logged_in) => {
            session::start(&session, &logged_in).await?;
            let member = logged_in.member;
            tracing::info!(staff = member.id, "logged in");
            let home = next.as_ref().map_or(member.role.home(), LocalPath::as_str).to_owned();
            // Their own language on any phone; until they have one, the one their browser names becomes theirs.
            let locale = match member.locale.as_deref().and_then(|tag| tag.parse::<app::Locale>().ok()) {
                Some(theirs) => Some(theirs),
                None => {
                    let named = crate::language::named(&headers);
                    if let Some(here) = named
                        && let Err(e) = state.services.set_staff_locale(&member, here).await
                    {
                        // Logged in all the same: the language is asked again at the next login.
                        tracing::warn!(error = %e, staff = member.id, "storing a member's language failed");
                    }
                    named
                }
            };
            let mut answer = if wants.json {
                Json(serde_json::json!({ "home": home })).into_response()
            } else {
                Redirect::to(&home).into_response()
            };
            if let Some(locale) = locale {
                let cookie = crate::language::cookie(locale, &state.public_url);
                if let Ok(cookie) = HeaderValue::from_str(&cookie) {
                    answer.headers_mut().append(header::SET_COOKIE, cookie);
                }
            }
            return Ok(answer);
        }
        Err(LoginError::Store(e)) => {
            return Err(Problem::from(e)
                .titled(Said::by(|l| td_string!(l, refused.title_not_logged_in)))
                .back(paths::LOGIN));
        }
        Err(e) => e,
    };
    tracing::info!("login refused");
    let refusal = e.refusal().unwrap_or(LoginRefusal::Wrong);
    let (status, retry_after) = match e {
        LoginError::Locked { retry_after } => {
            let whole_seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
            (StatusCode::TOO_MANY_REQUESTS, Some(whole_seconds))
        }
        LoginError::Busy => (StatusCode::SERVICE_UNAVAILABLE, Some(5)),
        _ => (StatusCode::UNAUTHORIZED, None),
    };
    if wants.json {
        let problem = Problem::new(status, refusal.code(), Said::by(move |l| app::texts::login_refusal(l, refusal)));
        return Err(match retry_after {
            Some(seconds) => problem.retry_after(seconds),
            None => problem,
        });
    }
    // Back to the form with a code: the page says it in its own fixed words.
    let query = serde_urlencoded::to_string([
        ("failed", refusal.code()),
        ("login", login),
        ("next", next.as_ref().map_or("", LocalPath::as_str)),
    ])
    .unwrap_or_default();
    let mut response = Redirect::to(&format!("{}?{query}", paths::LOGIN)).into_response();
    if let Some(seconds) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    Ok(response)
}

pub async fn log_out(session: Session) -> Response {
    if let Err(e) = session::end(&session).await {
        tracing::error!(error = %e, "ending a session failed");
    }
    Redirect::to(paths::LOGIN).into_response()
}

#[derive(Deserialize)]
pub struct DutyForm {
    on: Option<String>,
}

pub async fn duty(State(state): State<AppState>, staff: Staff, Form(form): Form<DutyForm>) -> Result<Done, Problem> {
    if !staff.member.role.works_jobs() {
        return Err(JobError::NotTechnician.into());
    }
    let on = matches!(form.on.as_deref(), Some("1" | "true" | "on"));
    state.services.set_on_duty(&staff.member, on).await?;
    Ok(Done(paths::TECH.to_owned()))
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
    Path(number): Path<String>,
    Form(form): Form<StepForm>,
) -> Result<Done, Problem> {
    let back = paths::at(paths::TECH_JOB, &number.trim().to_uppercase());
    let action =
        JobAction::parse(form.action.as_deref().unwrap_or_default(), form.eta_minutes.as_deref(), form.note.as_deref())
            .map_err(|refusal| Problem::from(JobError::from(refusal)).back(&back))?;
    state.services.job_step(&staff.member, &number, action).await.map_err(|e| Problem::from(e).back(&back))?;
    Ok(Done(back))
}

#[derive(Deserialize)]
pub struct CheckForm {
    item: Option<String>,
    checked: Option<String>,
}

pub async fn check(
    State(state): State<AppState>,
    staff: Staff,
    Path(number): Path<String>,
    Form(form): Form<CheckForm>,
) -> Result<Done, Problem> {
    let back = paths::at(paths::TECH_JOB, &number.trim().to_uppercase());
    let refused = |e: JobError| Problem::from(e).back(&back);
    let item =
        form.item.as_deref().and_then(|i| i.parse::<i64>().ok()).ok_or_else(|| refused(JobError::UnknownItem))?;
    let checked = matches!(form.checked.as_deref(), Some("1" | "true" | "on"));
    state.services.tick(&staff.member, &number, item, checked).await.map_err(refused)?;
    Ok(Done(format!("{back}#checklist")))
}

pub async fn board(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<StaffPage<app::domain::Board>>, Problem> {
    let data = state.services.board(&staff.member).await?;
    Ok(Json(StaffPage { me: staff.member, csrf: staff.csrf, data }))
}

pub async fn job(
    State(state): State<AppState>,
    staff: Staff,
    Path(number): Path<String>,
) -> Result<Json<StaffPage<app::domain::JobView>>, Problem> {
    let data = state.services.job(&staff.member, &number).await?;
    Ok(Json(StaffPage { me: staff.member, csrf: staff.csrf, data }))
}

/// The key a phone subscribes with, and how many of this member's devices are subscribed.
pub async fn push_info(State(state): State<AppState>, staff: Staff) -> Result<Response, Problem> {
    let devices = state.services.store.subscriptions(app::store::Audience::Member(staff.member.id)).await?;
    let public_key = state.services.push_public_key();
    Ok(Json(serde_json::json!({ "public_key": public_key, "devices": devices.len() })).into_response())
}

pub async fn push_subscribe(
    State(state): State<AppState>,
    staff: Staff,
    body: Result<Json<DeviceSubscription>, JsonRejection>,
) -> Result<StatusCode, Problem> {
    // Sent by our own wasm: a body it could not have written is named, not quoted (serde's words are English).
    let Json(sub) = body.map_err(|_| Problem::invalid(Said::by(|l| td_string!(l, refused.subscription_unreadable))))?;
    state.services.subscribe_device(&staff.member, &sub).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// "Send me a test alert": answers with how many devices were reached.
pub async fn push_test(
    State(state): State<AppState>,
    staff: Staff,
    wants: Wants,
    Asked(l): Asked,
) -> Result<Response, Problem> {
    // Back to the board the card was on: dispatchers have it too, for the ladder's alarm.
    let back = if staff.member.role.dispatches() { paths::DISPATCH } else { paths::TECH };
    let report = state.services.test_alert(&staff.member).await.map_err(|e| Problem::from(e).back(back))?;
    if wants.json {
        return Ok(Json(report).into_response());
    }
    let (delivered, devices) = (report.delivered, report.devices);
    let message = td_string!(l, refused.test_alert, delivered = delivered, devices = devices).to_string();
    Ok(reply::page(StatusCode::OK, l, td_string!(l, refused.title_test_alert), &message, back))
}
