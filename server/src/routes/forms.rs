//! The customer's plain HTML posts: they work with JavaScript off and before the wasm has loaded.

use app::{
    customer::FormEcho,
    domain::{FieldRefusal, HelpRequestDraft, LocalPath, LocationDraft, Vehicle},
    i18n::td_string,
    paths,
    services::{ActionError, CustomerAction, Source, SubmitError},
};
use axum::{
    Form,
    extract::{Path, State, rejection::FormRejection},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::{
    AppState,
    language::Asked,
    reply::{self, Problem, Said, Wants},
};

/// The form's fields, as the browser sends them.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct RequestForm {
    key: Option<String>,
    problem: Option<String>,
    problem_detail: Option<String>,
    phone: Option<String>,
    name: Option<String>,
    #[serde(skip_serializing)]
    lat: Option<String>,
    #[serde(skip_serializing)]
    lon: Option<String>,
    #[serde(skip_serializing)]
    accuracy_m: Option<String>,
    coords: Option<String>,
    place: Option<String>,
    access_notes: Option<String>,
    vehicle_make: Option<String>,
    vehicle_model: Option<String>,
    vehicle_colour: Option<String>,
    vehicle_plate: Option<String>,
    notes: Option<String>,
    /// The checkbox "A child or a pet is locked inside": present (any value) when ticked.
    someone_inside: Option<String>,
    /// The caller's language, on dispatch's phone-in form; the customer's own form is in theirs.
    language: Option<String>,
}

impl RequestForm {
    /// The request as typed, in the language of the page it was sent from unless the form names another.
    pub(super) fn draft(&self, page: app::Locale) -> HelpRequestDraft {
        let text = |v: &Option<String>| v.as_deref().unwrap_or("").to_owned();
        HelpRequestDraft {
            language: Some(self.language.clone().unwrap_or_else(|| leptos_i18n::Locale::as_str(page).to_owned())),
            problem: self.problem.clone(),
            problem_detail: self.problem_detail.clone(),
            phone: self.phone.clone(),
            name: self.name.clone(),
            location: LocationDraft::from_text(
                &text(&self.lat),
                &text(&self.lon),
                &text(&self.accuracy_m),
                &text(&self.coords),
            ),
            place: self.place.clone(),
            access_notes: self.access_notes.clone(),
            vehicle: Some(Vehicle {
                make: self.vehicle_make.clone(),
                model: self.vehicle_model.clone(),
                colour: self.vehicle_colour.clone(),
                plate: self.vehicle_plate.clone(),
            }),
            notes: self.notes.clone(),
            someone_inside: Some(self.someone_inside.is_some()),
        }
    }

    /// The idempotency key the page drew (32 hex digits, by the server or the wasm). Anything else is ignored
    /// rather than refused: a stranded customer is never turned away over a field they did not type.
    pub(super) fn key(&self) -> Option<&str> {
        self.key.as_deref().filter(|k| k.len() == 32 && k.bytes().all(|b| b.is_ascii_hexdigit()))
    }

    /// What was typed and why it was refused, for the form drawn again (the key kept, so a corrected form still
    /// cannot be sent twice).
    pub(super) fn echo(&self, errors: &[FieldRefusal], locale: app::Locale) -> FormEcho {
        let values = serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_object().cloned())
            .unwrap_or_default()
            .into_iter()
            .filter(|(name, _)| name != "key")
            .filter_map(|(name, v)| v.as_str().map(|v| (name, v.to_owned())))
            .chain(self.key().map(|k| ("key".to_owned(), k.to_owned())))
            .collect();
        FormEcho { values, errors: reply::said_fields(errors, locale) }
    }
}

pub async fn send(
    State(state): State<AppState>,
    Asked(locale): Asked,
    headers: HeaderMap,
    wants: Wants,
    form: Result<Form<RequestForm>, FormRejection>,
) -> Result<Response, Problem> {
    let Form(form) = form?;
    match state.services.submit(&form.draft(locale), Source::Web, form.key()).await {
        Ok(sent) => Ok(Redirect::to(&paths::at(paths::STATUS, &sent.token)).into_response()),
        Err(SubmitError::Invalid(errors)) if wants.json => Err(SubmitError::Invalid(errors).into()),
        Err(SubmitError::Invalid(errors)) => {
            let echo = form.echo(&errors, locale);
            Ok(super::refused_form(&state, paths::HOME, headers, echo).await)
        }
        Err(SubmitError::KeyReused) => {
            Err(Problem::new(StatusCode::CONFLICT, "already_sent", Said::by(|l| td_string!(l, refused.already_sent)))
                .titled(Said::by(|l| td_string!(l, refused.title_already_sent)))
                .back(paths::HOME))
        }
        Err(e) => Err(Problem::from(e).back(paths::HOME)),
    }
}

pub async fn cancel(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response, Problem> {
    act(state, token, CustomerAction::Cancel).await
}

pub async fn call_me_back(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response, Problem> {
    act(state, token, CustomerAction::CallMeBack).await
}

#[derive(Deserialize)]
pub struct FollowUpForm {
    rating: Option<String>,
    comment: Option<String>,
}

#[derive(Deserialize)]
pub struct LanguageForm {
    to: Option<String>,
    back: Option<String>,
}

/// The language switch: remembers the choice for a year in a cookie, and goes back to the page it was on (any
/// local path; anything else goes home).
pub async fn language(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    form: Result<Form<LanguageForm>, FormRejection>,
) -> Result<Response, Problem> {
    let Form(form) = form?;
    let locale: app::Locale = form
        .to
        .as_deref()
        .and_then(|to| to.trim().parse().ok())
        .ok_or_else(|| Problem::invalid(Said::by(|l| td_string!(l, refused.language))))?;
    let back = form
        .back
        .as_deref()
        .and_then(LocalPath::parse)
        .map_or_else(|| paths::HOME.to_owned(), |p| p.as_str().to_owned());
    // A member of staff switching on our own pages chooses for themselves: their alerts, and their next phone's
    // pages. (Only the cookie for a post from elsewhere: it must not change what a member has chosen.)
    if crate::auth::same_site(&headers, &state).is_ok()
        && let Some(member) = app::session::current(&session, &state.services).await?
    {
        state.services.set_staff_locale(&member, locale).await?;
    }
    let cookie = crate::language::cookie(locale, &state.public_url);
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&back)).into_response())
}

/// "Are you satisfied?" after Done. A refusal is a page that says why, with the way back to the status page.
pub async fn follow_up(
    State(state): State<AppState>,
    Path(token): Path<String>,
    form: Result<Form<FollowUpForm>, FormRejection>,
) -> Result<Response, Problem> {
    let Form(form) = form?;
    let result = state.services.follow_up(&token, form.rating.as_deref(), form.comment.as_deref()).await;
    answer(&token, result)
}

async fn act(state: AppState, token: String, action: CustomerAction) -> Result<Response, Problem> {
    answer(&token, state.services.customer_action(&token, action).await)
}

fn answer(token: &str, result: Result<(), ActionError>) -> Result<Response, Problem> {
    let status_page = paths::at(paths::STATUS, token);
    match result {
        // A closed request shows why on its own page.
        Ok(()) | Err(ActionError::Closed) => Ok(Redirect::to(&status_page).into_response()),
        Err(e) => Err(Problem::from(e).back(status_page)),
    }
}
