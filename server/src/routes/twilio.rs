//! The text and call provider's webhooks: receipts, texts to our number, and keys pressed in a page's call.
//! Each is refused unless it carries the provider's signature (`X-Twilio-Signature`) over what it sent.

use axum::{
    Form,
    extract::{FromRequest, OriginalUri, Path, Request, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::{AppState, reply::Problem};
use app::twilio::{reply_twiml, signature_is_valid};

/// A webhook's parameters, once its signature is checked against the URL the provider called (our public URL,
/// the path and the query as sent). A handler that takes this is never reached by an unsigned post.
pub struct Signed(Vec<(String, String)>);

impl Signed {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

impl FromRequest<AppState> for Signed {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &AppState) -> Result<Signed, Problem> {
        let Some(messaging) = &state.services.messaging else {
            return Err(Problem::not_found("Texts and calls are off on this server."));
        };
        let uri = request.extensions().get::<OriginalUri>().map_or_else(|| request.uri().clone(), |o| o.0.clone());
        let url = format!("{}{}", state.public_url, uri.path_and_query().map_or("", |p| p.as_str()));
        let signature =
            request.headers().get("x-twilio-signature").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let Form(params) = Form::<Vec<(String, String)>>::from_request(request, state).await?;
        if !signature_is_valid(messaging.twilio().auth_token(), &url, &params, &signature) {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                "bad_signature",
                "The X-Twilio-Signature does not match this request: it is not from our provider.",
            ));
        }
        Ok(Signed(params))
    }
}

/// TwiML, as the provider wants every answer.
fn twiml(xml: String) -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], xml).into_response()
}

/// A text's or call's progress: delivered, failed, answered.
pub async fn status(State(state): State<AppState>, params: Signed) -> Result<Response, Problem> {
    let (sid, status) = match (params.get("MessageSid"), params.get("CallSid")) {
        (Some(sid), _) => (sid, params.get("MessageStatus")),
        (None, Some(sid)) => (sid, params.get("CallStatus")),
        (None, None) => {
            return Err(Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "no_sid", "MessageSid or CallSid is needed."));
        }
    };
    let status = status.ok_or_else(|| {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "no_status", "MessageStatus or CallStatus is needed.")
    })?;
    state.services.receipt(sid, status, params.get("ErrorCode")).await?;
    Ok(twiml(reply_twiml(None, None)))
}

/// A text to our number: a technician answering a page, or a customer's STOP.
pub async fn text(State(state): State<AppState>, params: Signed) -> Result<Response, Problem> {
    let from = params.get("From").unwrap_or_default();
    let reply = state.services.text_received(from, params.get("Body").unwrap_or_default()).await?;
    Ok(twiml(reply_twiml(None, reply.as_deref())))
}

/// A key pressed in a page's call.
pub async fn call(State(state): State<AppState>, Path(id): Path<String>, params: Signed) -> Result<Response, Problem> {
    let id: i64 = id.parse().map_err(|_| Problem::not_found("No call has this number."))?;
    Ok(twiml(state.services.call_answered(id, params.get("Digits").unwrap_or_default()).await?))
}
