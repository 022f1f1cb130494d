//! The one way the server says what was not done (`Problem`) and what was (`Done`). Handlers return them
//! without knowing who asked; `for_client`, the one middleware that looks at the request, renders a problem as
//! JSON for scripts and partners or as a small HTML page for a browser's plain form, and a done step as 204 or
//! as a redirect. A leaf module: it knows the app's errors and nothing else of the server.

use app::{
    domain::{FieldError, FollowUpRefusal, Refusal},
    services::{ActionError, DispatchError, JobError, SubmitError, SubscribeError},
    session::SessionError,
    store::StoreError,
};
use axum::{
    Json,
    body::Body,
    extract::{
        FromRequestParts, Request,
        rejection::{FormRejection, JsonRejection},
    },
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    middleware::Next,
    response::{Html, IntoResponse, Redirect, Response},
};
use serde::Serialize;

/// Forms and API bodies are small; anything bigger is a mistake or an attack.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Something not done: a status, a code to branch on, a sentence for a person, and per-field reasons. Boxed, so
/// that a `Result` carrying one stays small.
#[derive(Clone, Debug)]
pub struct Problem(Box<ProblemBody>);

/// What a problem says; as JSON, the body every refusal of the API has.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Problem)]
pub struct ProblemBody {
    #[serde(skip)]
    pub status: StatusCode,
    /// A code to branch on: `validation_failed`, `unauthorized`, `rate_limited`, `idempotency_key_reused`, …
    #[schema(value_type = String)]
    pub error: &'static str,
    /// What happened and what to do, for a person.
    pub message: String,
    /// Which fields were refused, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
    /// The HTML page's heading; a default by status otherwise.
    #[serde(skip)]
    title: Option<&'static str>,
    /// Where the HTML page's "Back" goes.
    #[serde(skip)]
    back: Option<String>,
    #[serde(skip)]
    retry_after: Option<u64>,
}

impl Problem {
    pub fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> Problem {
        Problem(Box::new(ProblemBody {
            status,
            error,
            message: message.into(),
            fields: Vec::new(),
            title: None,
            back: None,
            retry_after: None,
        }))
    }

    pub fn not_found(message: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn forbidden(message: impl Into<String>) -> Problem {
        Problem::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// What was typed or sent is not acceptable.
    pub fn invalid(message: impl Into<String>) -> Problem {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
    }

    /// The store failed: logged here with what was being done; the client is told to try again.
    pub fn unavailable(doing: &str, e: &dyn std::fmt::Display) -> Problem {
        tracing::error!(error = %e, "{doing} failed");
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Not saved: please try again in a moment, or call us.",
        )
        .titled("Not saved")
    }

    pub fn back(mut self, path: impl Into<String>) -> Problem {
        self.0.back = Some(path.into());
        self
    }

    pub fn titled(mut self, title: &'static str) -> Problem {
        self.0.title = Some(title);
        self
    }

    pub fn retry_after(mut self, seconds: u64) -> Problem {
        self.0.retry_after = Some(seconds);
        self
    }

    pub fn with_fields(mut self, fields: Vec<FieldError>) -> Problem {
        self.0.fields = fields;
        self
    }

    fn title(&self) -> &'static str {
        self.0.title.unwrap_or(match self.0.status {
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::TOO_MANY_REQUESTS => "Please wait a moment",
            StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED => "Refused",
            s if s.is_server_error() => "Not saved",
            _ => "Not done",
        })
    }

    fn render(&self, json: bool) -> Response {
        let mut response = if json {
            (self.0.status, Json(&*self.0)).into_response()
        } else {
            page(self.0.status, self.title(), &self.0.message, self.0.back.as_deref().unwrap_or("/"))
        };
        if let Some(seconds) = self.0.retry_after
            && let Ok(v) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}

impl Problem {
    /// The answer for a client whose kind is known: for middleware that runs outside `for_client`.
    pub fn answer(self, wants: Wants) -> Response {
        if wants.json { self.into_response() } else { self.render(false) }
    }
}

impl IntoResponse for Problem {
    /// JSON until `for_client` sees who asked (and renders it again as a page for a browser's form).
    fn into_response(self) -> Response {
        let mut response = self.render(true);
        response.extensions_mut().insert(self);
        response
    }
}

/// A step went through: a plain form goes on to the page named here, a script gets 204.
pub struct Done(pub String);

#[derive(Clone)]
struct DoneMark;

impl IntoResponse for Done {
    fn into_response(self) -> Response {
        let mut response = Redirect::to(&self.0).into_response();
        response.extensions_mut().insert(DoneMark);
        response
    }
}

/// Whether the client reads JSON (scripts, partners, the pages' wasm) or HTML (a browser's plain form).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wants {
    pub json: bool,
}

impl Wants {
    pub fn of(headers: &HeaderMap, path: &str) -> Wants {
        let header_says = |name, needle| {
            headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok()).is_some_and(|v| v.contains(needle))
        };
        let json = header_says(header::ACCEPT, "application/json")
            || header_says(header::CONTENT_TYPE, "json")
            || path.starts_with("/api/")
            || path.starts_with("/staff/api/")
            // Load balancers and monitors read it: its refusals are JSON whatever they accept.
            || path == app::paths::HEALTH;
        Wants { json }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Wants {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Wants, Self::Rejection> {
        Ok(Wants::of(&parts.headers, parts.uri.path()))
    }
}

/// The middleware that answers in the client's kind: problems as JSON or a page, done steps as 204 or a
/// redirect. What axum itself refused (an unreadable form, a wrong method) in plain text becomes a problem too,
/// so every refusal has one shape.
pub async fn for_client(request: Request, next: Next) -> Response {
    let wants = Wants::of(request.headers(), request.uri().path());
    let response = next.run(request).await;
    if wants.json && response.extensions().get::<DoneMark>().is_some() {
        return StatusCode::NO_CONTENT.into_response();
    }
    let problem = match response.extensions().get::<Problem>() {
        // Already JSON, with whatever headers its handler added (WWW-Authenticate, Retry-After).
        Some(_) if wants.json => return response,
        Some(problem) => problem.clone(),
        None if is_plain_refusal(&response) => {
            let status = response.status();
            let text = axum::body::to_bytes(response.into_body(), MAX_BODY_BYTES).await.unwrap_or_default();
            Problem::new(status, "refused", String::from_utf8_lossy(&text).trim().to_owned())
        }
        None => return response,
    };
    if wants.json { problem.into_response() } else { problem.render(false) }
}

fn is_plain_refusal(response: &Response) -> bool {
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    (response.status().is_client_error() || response.status().is_server_error()) && plain
}

/// A small page for a plain form's answer: what happened, what to do, and the way back.
pub fn page(status: StatusCode, title: &str, message: &str, back: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>{title}</title></head><body \
         style=\"font:1.2rem/1.5 system-ui,sans-serif;max-width:30rem;margin:2rem auto;padding:0 1rem\">\
         <h1>{title}</h1><p>{message}</p><p><a href=\"{back}\">Back</a></p></body></html>",
        title = escape(title),
        message = escape(message),
        back = escape(back),
    );
    (status, Html(body)).into_response()
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A body read whole, for middleware that must look inside a form; too large is a problem of its own.
pub async fn read_body(body: Body) -> Result<axum::body::Bytes, Problem> {
    axum::body::to_bytes(body, MAX_BODY_BYTES).await.map_err(|_| too_large())
}

fn too_large() -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        format!("That is too large (over {} KiB): shorten the notes and send again.", MAX_BODY_BYTES / 1024),
    )
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Problem {
        Problem::unavailable("reading or writing the store", &e)
    }
}

impl From<SessionError> for Problem {
    fn from(e: SessionError) -> Problem {
        tracing::error!(error = %e, "reading the staff session failed");
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Sessions are unavailable just now; try again.")
    }
}

impl From<JsonRejection> for Problem {
    fn from(rejection: JsonRejection) -> Problem {
        match rejection {
            JsonRejection::JsonDataError(e) => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", e.body_text())
            }
            JsonRejection::JsonSyntaxError(e) => Problem::new(StatusCode::BAD_REQUEST, "malformed_json", e.body_text()),
            JsonRejection::MissingJsonContentType(_) => Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the body as JSON with Content-Type: application/json.",
            ),
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => too_large(),
            other => Problem::new(StatusCode::BAD_REQUEST, "unreadable_body", other.body_text()),
        }
    }
}

impl From<FormRejection> for Problem {
    fn from(rejection: FormRejection) -> Problem {
        let status = rejection.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            return too_large().titled("Not sent");
        }
        let status = if status.is_client_error() { status } else { StatusCode::BAD_REQUEST };
        Problem::new(status, "unreadable_form", format!("The form could not be read: {}", rejection.body_text()))
            .titled("Not sent")
    }
}

impl From<SubmitError> for Problem {
    fn from(e: SubmitError) -> Problem {
        match e {
            SubmitError::Invalid(fields) => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", "Some fields are not valid.")
                    .with_fields(fields)
            }
            SubmitError::KeyReused => Problem::new(StatusCode::CONFLICT, "idempotency_key_reused", e.to_string()),
            SubmitError::Store(e) => Problem::unavailable("storing a request", &e)
                .titled("Your request was not saved")
                .with_message("We could not save it just now. Send it again (it will not be doubled), or call us."),
        }
    }
}

impl Problem {
    fn with_message(mut self, message: &str) -> Problem {
        message.clone_into(&mut self.0.message);
        self
    }
}

impl From<ActionError> for Problem {
    fn from(e: ActionError) -> Problem {
        match e {
            ActionError::UnknownToken | ActionError::Closed => {
                Problem::not_found("No request has this link. Check the address.").titled("Request not found")
            }
            ActionError::FollowUp(refused) => {
                let status = if refused == FollowUpRefusal::AlreadyAnswered {
                    StatusCode::CONFLICT
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                };
                Problem::new(status, "refused", refused.to_string()).titled("Not sent")
            }
            ActionError::Store(e) => Problem::from(e),
        }
    }
}

/// A refused step says why, in the technician's words: 409 for "not now", 403 for "not yours", 404, 422.
impl From<JobError> for Problem {
    fn from(e: JobError) -> Problem {
        let problem = match &e {
            JobError::NotFound(_) => Problem::not_found(e.to_string()),
            JobError::Hidden(_) | JobError::NotTechnician => Problem::forbidden(e.to_string()),
            JobError::Refused(
                Refusal::BadEta
                | Refusal::NoteRequired
                | Refusal::ReasonRequired
                | Refusal::BadText(_)
                | Refusal::UnknownAction(_),
            )
            | JobError::UnknownItem => Problem::invalid(e.to_string()),
            JobError::Refused(_) => Problem::new(StatusCode::CONFLICT, "refused", e.to_string()),
            JobError::Store(store) => return Problem::unavailable("a job step", store).back("/tech"),
        };
        problem.back("/tech")
    }
}

/// 403 for "not dispatch", 404, 422 for what was typed wrong, 409 for "not now".
impl From<DispatchError> for Problem {
    fn from(e: DispatchError) -> Problem {
        use app::domain::DispatchRefusal as R;
        let problem = match &e {
            DispatchError::NotDispatcher => Problem::forbidden(e.to_string()),
            DispatchError::NotFound(_) => Problem::not_found(e.to_string()),
            DispatchError::UnknownLogin(_) => Problem::not_found(e.to_string()),
            DispatchError::UnknownTechnician
            | DispatchError::BadPhone(_)
            | DispatchError::BadDelays(_)
            | DispatchError::BadSearch
            | DispatchError::Range(_)
            | DispatchError::Checklist(_)
            | DispatchError::Refused(
                R::NoTechnician | R::ReasonRequired | R::UnknownAction(_) | R::Job(Refusal::BadText(_)),
            ) => Problem::invalid(e.to_string()),
            DispatchError::Refused(_) => Problem::new(StatusCode::CONFLICT, "refused", e.to_string()),
            DispatchError::Store(store) => return Problem::unavailable("a dispatch action", store).back("/dispatch"),
        };
        problem.back("/dispatch")
    }
}

/// A phone's alert subscription refused: 422 for what it sent, 409 for another member's device.
impl From<SubscribeError> for Problem {
    fn from(e: SubscribeError) -> Problem {
        let code = match &e {
            SubscribeError::Invalid(_) => "invalid",
            SubscribeError::Endpoint(_) => "endpoint_refused",
            SubscribeError::TooManyDevices(_) => "too_many_devices",
            SubscribeError::OtherMembers => {
                return Problem::new(StatusCode::CONFLICT, "other_members_device", e.to_string());
            }
            SubscribeError::Store(store) => return Problem::unavailable("saving a push subscription", store),
        };
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, code, e.to_string())
    }
}
