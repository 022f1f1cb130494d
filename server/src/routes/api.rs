//! The partner API for insurer call centres and car telematics: JSON in, JSON out, the same rules as the form.

use app::{
    domain::{FieldError, HelpRequestDraft, StatusView},
    services::{Source, SubmitError},
};
use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;

use crate::AppState;

/// Every error the API gives: a code to branch on, a sentence to show, and per-field messages when the
/// request itself was refused.
#[derive(Debug, Serialize)]
pub struct ApiError {
    #[serde(skip)]
    status: StatusCode,
    error: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fields: Vec<FieldError>,
}

impl ApiError {
    fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, error, message: message.into(), fields: Vec::new() }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(&self)).into_response()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> ApiError {
        match rejection {
            JsonRejection::JsonDataError(e) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", e.body_text())
            }
            JsonRejection::JsonSyntaxError(e) => {
                ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", e.body_text())
            }
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the body as JSON with Content-Type: application/json.",
            ),
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("The body is larger than {} bytes.", super::MAX_BODY_BYTES),
            ),
            other => ApiError::new(StatusCode::BAD_REQUEST, "unreadable_body", other.body_text()),
        }
    }
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "partner API failed");
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "The request could not be stored. Retry with the same Idempotency-Key.",
    )
}

#[derive(Debug, Serialize)]
pub struct CreatedResponse {
    number: String,
    token: String,
    status_url: String,
    status: &'static str,
}

/// `POST /api/v1/requests`: 201 for a new request; 200 with the first request when the Idempotency-Key was
/// seen before.
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<HelpRequestDraft>, JsonRejection>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let Json(draft) = body?;
    let created = state.services.submit(&draft, Source::Api, key).await.map_err(|e| match e {
        SubmitError::Invalid(fields) => ApiError {
            fields,
            ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", "Some fields are not valid.")
        },
        SubmitError::Store(e) => internal(e),
    })?;
    let status = if created.replayed { StatusCode::OK } else { StatusCode::CREATED };
    let location = format!("/api/v1/requests/{}", created.token);
    let body = CreatedResponse {
        status_url: format!("{}/r/{}", state.public_url, created.token),
        number: created.number,
        token: created.token,
        status: "received",
    };
    let mut response = (status, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    let bad = || {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_idempotency_key",
            "Idempotency-Key must be 1 to 100 visible ASCII characters.",
        )
    };
    let key = value.to_str().map_err(|_| bad())?.trim();
    if key.is_empty() || key.len() > 100 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad());
    }
    Ok(Some(key))
}

#[derive(Debug, Serialize)]
pub struct StatusResponse {
    #[serde(flatten)]
    view: StatusView,
    status_url: String,
}

/// `GET /api/v1/requests/{token}`: where the request stands and every event so far.
pub async fn show(State(state): State<AppState>, Path(token): Path<String>) -> Result<Json<StatusResponse>, ApiError> {
    let (_, view) = state
        .services
        .status_by_token(&token)
        .await
        .map_err(internal)?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "No request has this token."))?;
    Ok(Json(StatusResponse { view, status_url: format!("{}/r/{token}", state.public_url) }))
}
