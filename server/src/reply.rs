//! The one way the server says what was not done (`Problem`) and what was (`Done`). Handlers return them
//! without knowing who asked; `for_client`, the one middleware that looks at the request, renders a problem as
//! JSON for scripts and partners or as a small HTML page for a browser's plain form, and a done step as 204 or
//! as a redirect. A leaf module: it knows the app's errors and nothing else of the server.

use std::sync::Arc;

use app::{
    Locale,
    domain::{FieldError, FieldRefusal, FollowUpRefusal, Refusal},
    i18n::td_string,
    services::{ActionError, DispatchError, JobError, SubmitError, SubscribeError},
    session::SessionError,
    store::StoreError,
    texts::Say,
};
use axum::{
    Json,
    body::Body,
    extract::{
        FromRequestParts, Request, State,
        rejection::{FormRejection, JsonRejection},
    },
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    middleware::Next,
    response::{Html, IntoResponse, Redirect, Response},
};
use leptos_i18n::Locale as _;
use serde::Serialize;

/// Forms and API bodies are small; anything bigger is a mistake or an attack.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Words for a person, said in the language of whoever asked: chosen when the answer is written, not when the
/// refusal is made, so a handler never needs to know who reads it.
#[derive(Clone)]
pub struct Said(Arc<dyn Fn(Locale) -> String + Send + Sync>);

impl Said {
    /// A reason the app's texts say.
    pub fn of(reason: impl Say + Send + Sync + 'static) -> Said {
        Said(Arc::new(move |l| reason.say(l)))
    }

    /// A sentence from the locale files: `Said::by(|l| td_string!(l, refused.back))`.
    pub fn by(words: impl Fn(Locale) -> &'static str + Send + Sync + 'static) -> Said {
        Said(Arc::new(move |l| words(l).to_owned()))
    }

    /// A sentence with values: `Said::with(move |l| td_string!(l, key, n = n).to_string())`.
    pub fn with(words: impl Fn(Locale) -> String + Send + Sync + 'static) -> Said {
        Said(Arc::new(words))
    }

    pub fn to(&self, locale: Locale) -> String {
        (self.0)(locale)
    }
}

/// Words that are the same in every language: for machines (partners, the SMS provider, monitors), which read
/// the code beside them, and for text quoted as it came.
impl From<&'static str> for Said {
    fn from(words: &'static str) -> Said {
        Said(Arc::new(move |_| words.to_owned()))
    }
}

impl From<String> for Said {
    fn from(words: String) -> Said {
        Said(Arc::new(move |_| words.clone()))
    }
}

impl std::fmt::Debug for Said {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Said({:?})", self.to(Locale::en))
    }
}

/// Something not done: a status, a code to branch on, a sentence for a person, and per-field reasons. Boxed, so
/// that a `Result` carrying one stays small.
#[derive(Clone, Debug)]
pub struct Problem(Box<ProblemParts>);

#[derive(Clone, Debug)]
struct ProblemParts {
    status: StatusCode,
    error: &'static str,
    message: Said,
    fields: Vec<FieldRefusal>,
    /// The HTML page's heading; a default by status otherwise.
    title: Option<Said>,
    /// Where the HTML page's "Back" goes.
    back: Option<String>,
    retry_after: Option<u64>,
}

/// What a problem says, in one language; as JSON, the body every refusal of the API has.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Problem)]
pub struct ProblemBody {
    /// A code to branch on: `validation_failed`, `unauthorized`, `rate_limited`, `idempotency_key_reused`, …
    #[schema(value_type = String)]
    pub error: &'static str,
    /// What happened and what to do, for a person: in the language the request names (`Accept-Language`), else
    /// the server's default.
    pub message: String,
    /// Which fields were refused, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

impl Problem {
    pub fn new(status: StatusCode, error: &'static str, message: impl Into<Said>) -> Problem {
        Problem(Box::new(ProblemParts {
            status,
            error,
            message: message.into(),
            fields: Vec::new(),
            title: None,
            back: None,
            retry_after: None,
        }))
    }

    pub fn not_found(message: impl Into<Said>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn forbidden(message: impl Into<Said>) -> Problem {
        Problem::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// What was typed or sent is not acceptable.
    pub fn invalid(message: impl Into<Said>) -> Problem {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
    }

    /// The store failed: logged here with what was being done; the client is told to try again.
    pub fn unavailable(doing: &str, e: &dyn std::fmt::Display) -> Problem {
        tracing::error!(error = %e, "{doing} failed");
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", Said::by(|l| td_string!(l, refused.unavailable)))
            .titled(Said::by(|l| td_string!(l, refused.title_not_saved)))
    }

    pub fn back(mut self, path: impl Into<String>) -> Problem {
        self.0.back = Some(path.into());
        self
    }

    pub fn titled(mut self, title: Said) -> Problem {
        self.0.title = Some(title);
        self
    }

    pub fn retry_after(mut self, seconds: u64) -> Problem {
        self.0.retry_after = Some(seconds);
        self
    }

    pub fn with_fields(mut self, fields: Vec<FieldRefusal>) -> Problem {
        self.0.fields = fields;
        self
    }

    fn title(&self, l: Locale) -> String {
        if let Some(title) = &self.0.title {
            return title.to(l);
        }
        match self.0.status {
            StatusCode::NOT_FOUND => td_string!(l, refused.title_not_found),
            StatusCode::TOO_MANY_REQUESTS => td_string!(l, refused.title_wait),
            StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED => td_string!(l, refused.title_refused),
            s if s.is_server_error() => td_string!(l, refused.title_not_saved),
            _ => td_string!(l, refused.title_not_done),
        }
        .to_owned()
    }

    fn render(&self, json: bool, locale: Locale) -> Response {
        let mut response = if json {
            let said = ProblemBody {
                error: self.0.error,
                message: self.0.message.to(locale),
                fields: said_fields(&self.0.fields, locale),
            };
            (self.0.status, Json(said)).into_response()
        } else {
            page(
                self.0.status,
                locale,
                &self.title(locale),
                &self.0.message.to(locale),
                self.0.back.as_deref().unwrap_or("/"),
            )
        };
        if let Some(seconds) = self.0.retry_after
            && let Ok(v) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response.headers_mut().insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(locale.as_str()));
        response
    }
}

/// Each refused field's reason, in one language.
pub fn said_fields(fields: &[FieldRefusal], locale: Locale) -> Vec<FieldError> {
    fields.iter().map(|f| FieldError { field: f.field.to_owned(), message: f.say(locale) }).collect()
}

impl Problem {
    /// The answer for a client whose kind and language are known: for middleware that runs outside `for_client`.
    pub fn answer(self, wants: Wants, locale: Locale) -> Response {
        self.render(wants.json, locale)
    }
}

impl IntoResponse for Problem {
    /// JSON in English until `for_client` sees who asked and says it again in their kind and language.
    fn into_response(self) -> Response {
        let mut response = self.render(true, Locale::en);
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
pub async fn for_client(State(default): State<Locale>, request: Request, next: Next) -> Response {
    let wants = Wants::of(request.headers(), request.uri().path());
    let locale = crate::language::of_request(request.headers(), default);
    let response = next.run(request).await;
    if wants.json && response.extensions().get::<DoneMark>().is_some() {
        return StatusCode::NO_CONTENT.into_response();
    }
    match response.extensions().get::<Problem>().cloned() {
        Some(problem) => {
            // Said again in the asker's language, keeping what its handler added (WWW-Authenticate, cookies) but
            // nothing that described the old body: it may have been compressed on its way out.
            let mut said = problem.render(wants.json, locale);
            let describes_body = [
                header::CONTENT_ENCODING,
                header::CONTENT_LENGTH,
                header::CONTENT_TYPE,
                header::TRANSFER_ENCODING,
                header::VARY,
            ];
            for name in response.headers().keys() {
                if !said.headers().contains_key(name) && !describes_body.contains(name) {
                    for value in response.headers().get_all(name) {
                        said.headers_mut().append(name.clone(), value.clone());
                    }
                }
            }
            said
        }
        None if is_plain_refusal(&response) => {
            let status = response.status();
            let text = axum::body::to_bytes(response.into_body(), MAX_BODY_BYTES).await.unwrap_or_default();
            Problem::new(status, "refused", String::from_utf8_lossy(&text).trim().to_owned()).render(wants.json, locale)
        }
        None => response,
    }
}

fn is_plain_refusal(response: &Response) -> bool {
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    // A compressed body cannot be quoted as a sentence.
    let compressed = response.headers().contains_key(header::CONTENT_ENCODING);
    (response.status().is_client_error() || response.status().is_server_error()) && plain && !compressed
}

/// A small page for a plain form's answer: what happened, what to do, and the way back.
pub fn page(status: StatusCode, locale: Locale, title: &str, message: &str, back: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>{title}</title></head><body \
         style=\"font:1.2rem/1.5 system-ui,sans-serif;max-width:30rem;margin:2rem auto;padding:0 1rem\">\
         <h1>{title}</h1><p>{message}</p><p><a href=\"{back}\">{back_words}</a></p></body></html>",
        lang = locale.as_str(),
        title = escape(title),
        message = escape(message),
        back = escape(back),
        back_words = td_string!(locale, refused.back),
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
        Said::with(|l| td_string!(l, refused.too_large, kib = MAX_BODY_BYTES / 1024).to_string()),
    )
}

fn not_sent() -> Said {
    Said::by(|l| td_string!(l, refused.title_not_sent))
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Problem {
        Problem::unavailable("reading or writing the store", &e)
    }
}

impl From<SessionError> for Problem {
    fn from(e: SessionError) -> Problem {
        tracing::error!(error = %e, "reading the staff session failed");
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            Said::by(|l| td_string!(l, refused.sessions_unavailable)),
        )
    }
}

/// serde's and axum's own words for what is wrong with a body: for the partners and scripts who send JSON.
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
                Said::by(|l| td_string!(l, partner_refused.json_only)),
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
            return too_large().titled(not_sent());
        }
        let status = if status.is_client_error() { status } else { StatusCode::BAD_REQUEST };
        // Our pages cannot send such a form: the person is told what to do, not serde's English (which may also
        // quote what they typed).
        Problem::new(status, "unreadable_form", Said::by(|l| td_string!(l, refused.unreadable_form))).titled(not_sent())
    }
}

impl From<SubmitError> for Problem {
    fn from(e: SubmitError) -> Problem {
        match e {
            SubmitError::Invalid(fields) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                Said::by(|l| td_string!(l, refused.fields)),
            )
            .with_fields(fields),
            SubmitError::KeyReused => Problem::new(
                StatusCode::CONFLICT,
                "idempotency_key_reused",
                Said::by(|l| td_string!(l, refused.key_reused)),
            ),
            SubmitError::Store(e) => Problem::unavailable("storing a request", &e)
                .titled(Said::by(|l| td_string!(l, refused.title_request_not_saved)))
                .with_message(Said::by(|l| td_string!(l, refused.request_unavailable))),
        }
    }
}

impl Problem {
    fn with_message(mut self, message: Said) -> Problem {
        self.0.message = message;
        self
    }
}

/// The customer's link leads nowhere.
pub fn no_such_request() -> Problem {
    Problem::not_found(Said::by(|l| td_string!(l, refused.no_such_link)))
        .titled(Said::by(|l| td_string!(l, refused.title_request_not_found)))
}

impl From<ActionError> for Problem {
    fn from(e: ActionError) -> Problem {
        match e {
            ActionError::UnknownToken | ActionError::Closed => no_such_request(),
            ActionError::FollowUp(refused) => {
                let status = if refused == FollowUpRefusal::AlreadyAnswered {
                    StatusCode::CONFLICT
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                };
                Problem::new(status, "refused", Said::of(refused)).titled(not_sent())
            }
            ActionError::Store(e) => Problem::from(e),
        }
    }
}

/// A refused step says why, in the technician's words: 409 for "not now", 403 for "not yours", 404, 422.
impl From<JobError> for Problem {
    fn from(e: JobError) -> Problem {
        let status = match &e {
            JobError::NotFound(_) => StatusCode::NOT_FOUND,
            JobError::Hidden(_) | JobError::NotTechnician => StatusCode::FORBIDDEN,
            JobError::Refused(
                Refusal::BadEta
                | Refusal::NoteRequired
                | Refusal::ReasonRequired
                | Refusal::BadText(_)
                | Refusal::UnknownAction(_),
            )
            | JobError::UnknownItem => StatusCode::UNPROCESSABLE_ENTITY,
            JobError::Refused(_) => StatusCode::CONFLICT,
            JobError::Store(store) => return Problem::unavailable("a job step", store).back("/tech"),
        };
        Problem::new(status, code(status), Said::of(e)).back("/tech")
    }
}

/// 403 for "not dispatch", 404, 422 for what was typed wrong, 409 for "not now".
impl From<DispatchError> for Problem {
    fn from(e: DispatchError) -> Problem {
        use app::domain::DispatchRefusal as R;
        let status = match &e {
            DispatchError::NotDispatcher => StatusCode::FORBIDDEN,
            DispatchError::NotFound(_) | DispatchError::UnknownLogin(_) => StatusCode::NOT_FOUND,
            DispatchError::UnknownTechnician
            | DispatchError::BadPhone(_)
            | DispatchError::BadDelays(_)
            | DispatchError::BadSearch
            | DispatchError::Range(_)
            | DispatchError::Checklist(_)
            | DispatchError::Refused(R::NoTechnician | R::ReasonRequired | R::UnknownAction(_) | R::BadReason(_)) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            DispatchError::Refused(_) => StatusCode::CONFLICT,
            DispatchError::Store(store) => return Problem::unavailable("a dispatch action", store).back("/dispatch"),
        };
        Problem::new(status, code(status), Said::of(e)).back("/dispatch")
    }
}

/// The code beside a refusal of a step: what kind of "no" it is.
fn code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid",
        _ => "refused",
    }
}

/// A phone's alert subscription refused: 422 for what it sent, 409 for another member's device.
impl From<SubscribeError> for Problem {
    fn from(e: SubscribeError) -> Problem {
        let (status, code) = match &e {
            SubscribeError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            SubscribeError::Endpoint(_) => (StatusCode::UNPROCESSABLE_ENTITY, "endpoint_refused"),
            SubscribeError::TooManyDevices(_) => (StatusCode::UNPROCESSABLE_ENTITY, "too_many_devices"),
            SubscribeError::OtherMembers => (StatusCode::CONFLICT, "other_members_device"),
            SubscribeError::Store(store) => return Problem::unavailable("saving a push subscription", store),
        };
        Problem::new(status, code, Said::of(e))
    }
}
