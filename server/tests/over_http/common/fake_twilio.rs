//! A Twilio-compatible provider on loopback, real HTTP both ways: it takes texts and calls as Twilio's REST API
//! does (Basic auth, form bodies, 201 with a sid), records them, and calls the app's webhooks back with the
//! provider's signature: receipts, a technician's reply, a key pressed in a call.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::post,
};
use base64::Engine;

pub const ACCOUNT: &str = "AC00000000000000000000000000000001";
pub const TOKEN: &str = "the-auth-token-for-tests";
pub const FROM: &str = "+12025550100";

#[derive(Clone, Debug)]
pub struct Sms {
    pub sid: String,
    pub to: String,
    pub body: String,
    pub status_callback: String,
}

#[derive(Clone, Debug)]
pub struct Call {
    pub sid: String,
    pub to: String,
    pub twiml: String,
    pub status_callback: String,
}

#[derive(Debug, Default)]
pub struct Seen {
    pub messages: Vec<Sms>,
    pub calls: Vec<Call>,
    /// Sends answered 503 while down.
    pub refused_while_down: usize,
    pub down: bool,
}

#[derive(Clone)]
struct Shared {
    seen: Arc<Mutex<Seen>>,
    changed: Arc<tokio::sync::Notify>,
}

pub struct FakeTwilio {
    pub base: String,
    shared: Shared,
    client: reqwest::Client,
}

impl FakeTwilio {
    pub async fn start() -> FakeTwilio {
        let shared = Shared { seen: Arc::default(), changed: Arc::default() };
        let app =
            Router::new().route("/2010-04-01/Accounts/{account}/{resource}", post(create)).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeTwilio { base, shared, client: reqwest::Client::new() }
    }

    /// The flags that point the app at this provider.
    pub fn flags(&self) -> Vec<String> {
        ["--twilio-api-base", &self.base, "--twilio-account-sid", ACCOUNT, "--twilio-auth-token", TOKEN]
            .into_iter()
            .chain(["--twilio-from", FROM])
            .map(str::to_owned)
            .collect()
    }

    pub fn set_down(&self, down: bool) {
        self.shared.seen.lock().unwrap().down = down;
    }

    pub fn seen<T>(&self, read: impl FnOnce(&Seen) -> T) -> T {
        read(&self.shared.seen.lock().unwrap())
    }

    /// Waits until what was sent satisfies `ready` (it answers `Some`), as the provider sees it; fails after
    /// a minute with everything seen.
    pub async fn wait_for<T>(&self, what: &str, ready: impl Fn(&Seen) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let changed = self.shared.changed.notified();
            if let Some(found) = self.seen(&ready) {
                return found;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                panic!("waited a minute for {what}; the provider saw {:#?}", self.seen(|s| format!("{s:?}")));
            }
        }
    }

    /// The `n`th text to `to` (from 1), once sent.
    pub async fn text_to(&self, to: &str, n: usize) -> Sms {
        self.wait_for(&format!("text {n} to {to}"), |s| s.messages.iter().filter(|m| m.to == to).nth(n - 1).cloned())
            .await
    }

    pub async fn call_to(&self, to: &str) -> Call {
        self.wait_for(&format!("a call to {to}"), |s| s.calls.iter().find(|c| c.to == to).cloned()).await
    }

    /// Posts `params` to `url` as the provider does, signed with the account's token.
    pub async fn post_signed(&self, url: &str, params: &[(&str, &str)]) -> reqwest::Response {
        let owned: Vec<(String, String)> = params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let signature = app::twilio::signature(TOKEN, url, &owned);
        self.client.post(url).header("x-twilio-signature", signature).form(params).send().await.unwrap()
    }

    /// A text's receipt: `delivered`, `undelivered`, …
    pub async fn receipt(&self, sms: &Sms, status: &str) -> reqwest::Response {
        let mut params = vec![
            ("MessageSid", sms.sid.as_str()),
            ("MessageStatus", status),
            ("AccountSid", ACCOUNT),
            ("From", FROM),
            ("To", sms.to.as_str()),
            ("ApiVersion", "2010-04-01"),
        ];
        // Carriers' "unreachable handset".
        if matches!(status, "undelivered" | "failed") {
            params.push(("ErrorCode", "30003"));
        }
        self.post_signed(&sms.status_callback, &params).await
    }

    /// A text from `from` to our number.
    pub async fn text_in(&self, app_base: &str, from: &str, body: &str) -> reqwest::Response {
        let params = [
            ("MessageSid", "SM99999999999999999999999999999999"),
            ("AccountSid", ACCOUNT),
            ("From", from),
            ("To", FROM),
            ("Body", body),
            ("NumSegments", "1"),
        ];
        self.post_signed(&format!("{app_base}/twilio/sms"), &params).await
    }

    /// The callee presses `digits` during the call's question.
    pub async fn press(&self, call: &Call, digits: &str) -> reqwest::Response {
        let start = call.twiml.find("action=\"").expect("the call asks for a key") + "action=\"".len();
        let end = start + call.twiml[start..].find('"').unwrap();
        let action = call.twiml[start..end].replace("&amp;", "&");
        let params = [
            ("CallSid", call.sid.as_str()),
            ("AccountSid", ACCOUNT),
            ("From", FROM),
            ("To", call.to.as_str()),
            ("CallStatus", "in-progress"),
            ("Digits", digits),
            ("FinishedOnKey", ""),
        ];
        self.post_signed(&action, &params).await
    }
}

fn sid(prefix: &str) -> String {
    format!("{prefix}{:032x}", rand::random::<u128>())
}

/// `POST …/Messages.json` and `…/Calls.json`, as Twilio answers them.
async fn create(
    State(shared): State<Shared>,
    Path((account, resource)): Path<(String, String)>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> impl IntoResponse {
    let get = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let expected = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT}:{TOKEN}")));
    let authorized = headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(expected.as_str());
    if !authorized || account != ACCOUNT {
        let body = serde_json::json!({"code": 20003, "message": "Authenticate", "status": 401});
        return (StatusCode::UNAUTHORIZED, axum::Json(body));
    }
    let answer = {
        let mut seen = shared.seen.lock().unwrap();
        if seen.down {
            seen.refused_while_down += 1;
            let body = serde_json::json!({"code": 20500, "message": "Internal Server Error", "status": 503});
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body))
        } else if get("To").is_empty() || get("From") != FROM {
            let body = serde_json::json!({"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400});
            (StatusCode::BAD_REQUEST, axum::Json(body))
        } else if resource == "Messages.json" {
            let sms = Sms { sid: sid("SM"), to: get("To"), body: get("Body"), status_callback: get("StatusCallback") };
            let body = serde_json::json!({"sid": sms.sid, "status": "queued", "num_segments": "1", "to": sms.to});
            seen.messages.push(sms);
            (StatusCode::CREATED, axum::Json(body))
        } else if resource == "Calls.json" {
            let call =
                Call { sid: sid("CA"), to: get("To"), twiml: get("Twiml"), status_callback: get("StatusCallback") };
            let body = serde_json::json!({"sid": call.sid, "status": "queued", "to": call.to});
            seen.calls.push(call);
            (StatusCode::CREATED, axum::Json(body))
        } else {
            (StatusCode::NOT_FOUND, axum::Json(serde_json::json!({"code": 20404, "status": 404})))
        }
    };
    shared.changed.notify_waiters();
    answer
}
