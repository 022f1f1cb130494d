//! The customer's plain HTML posts: they work with JavaScript off and before the wasm has loaded.

use app::{
    domain::{FieldError, FollowUpRefusal, HelpRequestDraft, LocationDraft, Vehicle},
    services::{ActionError, CustomerAction, Source, SubmitError},
};
use axum::{
    Form,
    extract::{Path, State, rejection::FormRejection},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::{Deserialize, Serialize};

use super::{problem_page, problem_page_back};
use crate::AppState;

/// The form's fields, as the browser sends them.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct RequestForm {
    pub(super) key: Option<String>,
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
}

impl RequestForm {
    pub(super) fn draft(&self) -> HelpRequestDraft {
        let text = |v: &Option<String>| v.as_deref().unwrap_or("").to_owned();
        HelpRequestDraft {
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

    /// Back to the form with what was typed and why it was refused, so nothing has to be typed twice.
    pub(super) fn refused(&self, form_path: &str, errors: &[FieldError]) -> Response {
        let mut query = serde_urlencoded::to_string(self).unwrap_or_default();
        for e in errors {
            let pair = serde_urlencoded::to_string([(format!("e.{}", e.field), &e.message)]).unwrap_or_default();
            query.push('&');
            query.push_str(&pair);
        }
        Redirect::to(&format!("{form_path}?{query}")).into_response()
    }
}

pub async fn send(State(state): State<AppState>, form: Result<Form<RequestForm>, FormRejection>) -> Response {
    let form = match form {
        Ok(Form(form)) => form,
        Err(rejection) => return unreadable(rejection),
    };
    match state.services.submit(&form.draft(), Source::Web, form.key.as_deref()).await {
        Ok(created) => Redirect::to(&format!("/r/{}", created.token)).into_response(),
        Err(SubmitError::Invalid(errors)) => form.refused("/", &errors),
        Err(SubmitError::Store(e)) => {
            tracing::error!(error = %e, "storing a request failed");
            problem_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Your request was not saved",
                "We could not save it just now. Go back and send it again, or call us.",
            )
        }
    }
}

pub async fn cancel(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    act(state, token, CustomerAction::Cancel).await
}

pub async fn call_me_back(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    act(state, token, CustomerAction::CallMeBack).await
}

#[derive(Deserialize)]
pub struct FollowUpForm {
    rating: Option<String>,
    comment: Option<String>,
}

/// "Are you satisfied?" after Done. A refusal is a page that says why, with the way back to the status page.
pub async fn follow_up(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(form): Form<FollowUpForm>,
) -> Response {
    let result = state.services.follow_up(&token, form.rating.as_deref(), form.comment.as_deref()).await;
    answer(&token, result)
}

async fn act(state: AppState, token: String, action: CustomerAction) -> Response {
    answer(&token, state.services.customer_action(&token, action).await)
}

fn answer(token: &str, result: Result<(), ActionError>) -> Response {
    match result {
        // A closed request shows why on its own page.
        Ok(()) | Err(ActionError::Closed) => Redirect::to(&format!("/r/{token}")).into_response(),
        Err(ActionError::FollowUp(refused)) => problem_page_back(
            if refused == FollowUpRefusal::AlreadyAnswered {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            },
            "Not sent",
            &refused.to_string(),
            &format!("/r/{token}"),
        ),
        Err(ActionError::UnknownToken) => {
            problem_page(StatusCode::NOT_FOUND, "Request not found", "No request has this link. Check the address.")
        }
        Err(ActionError::Store(e)) => {
            tracing::error!(error = %e, "recording a customer action failed");
            problem_page(StatusCode::SERVICE_UNAVAILABLE, "Not saved", "Please try again in a moment, or call us.")
        }
    }
}

pub(super) fn unreadable(rejection: FormRejection) -> Response {
    let status = rejection.status();
    let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
        "The form was too large. Shorten the notes and send again.".to_owned()
    } else {
        format!("The form could not be read: {}", rejection.body_text())
    };
    problem_page(if status.is_client_error() { status } else { StatusCode::BAD_REQUEST }, "Not sent", &message)
}
