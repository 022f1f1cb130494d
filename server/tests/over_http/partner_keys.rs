//! Partners: keys (none, wrong, revoked), their own rate limits, idempotency keys that belong to one caller
//! and one request and expire, and the OpenAPI document that says all this.
use crate::common::{flat_tire, spawn_app, spawn_app_with};
use app::{domain::Role, paths};
use serde_json::{Value, json};

#[tokio::test]
async fn creating_needs_a_partner_key() {
    let app = spawn_app().await;
    let url = app.url(paths::API_REQUESTS);
    let bare = app.client.post(&url).json(&flat_tire()).send().await.unwrap();
    let wrong = app.client.post(&url).bearer_auth("rc_not-a-key").json(&flat_tire()).send().await.unwrap();
    let basic = app.client.post(&url).basic_auth("partner", Some("x")).json(&flat_tire()).send().await.unwrap();
    for r in [bare, wrong, basic] {
        assert_eq!(r.status(), 401);
        assert_eq!(r.headers()["www-authenticate"], "Bearer");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "unauthorized");
        assert!(body["message"].as_str().unwrap().contains("Bearer"));
    }
    assert_eq!(app.services.store.count_requests().await.unwrap(), 0, "nothing was stored, nobody paged");
    assert_eq!(app.create(flat_tire()).await.status(), 201);
}

#[tokio::test]
async fn a_revoked_key_stops_at_once() {
    let app = spawn_app().await;
    let key = app.services.add_partner("acme", None).await.unwrap().0;
    let send = || app.client.post(app.url(paths::API_REQUESTS)).bearer_auth(&key).json(&flat_tire()).send();
    assert_eq!(send().await.unwrap().status(), 201);
    app.services.revoke_partner("acme").await.unwrap();
    assert_eq!(send().await.unwrap().status(), 401);
    // Another partner's key still works.
    assert_eq!(app.create(flat_tire()).await.status(), 201);
}

#[tokio::test]
async fn wrong_keys_are_throttled_like_wrong_passwords() {
    let app = spawn_app_with(&["--login-limit-per-minute", "3"]).await;
    let guess = || app.client.post(app.url(paths::API_REQUESTS)).bearer_auth("rc_guess").json(&flat_tire()).send();
    for _ in 0..3 {
        assert_eq!(guess().await.unwrap().status(), 401);
    }
    let r = guess().await.unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn dispatch_sees_which_partner_sent_a_request() {
    let app = spawn_app().await;
    let created: Value = app.create(flat_tire()).await.json().await.unwrap();
    let dana = app.staff("dana", "Dana Okafor", Role::Dispatcher).await;
    let number = created["number"].as_str().unwrap();
    let (status, page) = dana.get_json(&paths::at(paths::STAFF_DISPATCH_REQUEST, number)).await;
    assert_eq!(status, 200);
    assert_eq!(page["data"]["source"], "api");
    assert_eq!(page["data"]["partner"], "test-partner");
}

#[tokio::test]
async fn each_partner_has_its_own_rate_limit() {
    let app = spawn_app_with(&["--partner-limit-per-minute", "2"]).await;
    let roomy = app.services.add_partner("roomy", Some(50)).await.unwrap().0;
    for _ in 0..2 {
        assert_eq!(app.create(flat_tire()).await.status(), 201);
    }
    let r = app.create(flat_tire()).await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "rate_limited");
    // A partner with its own limit, from the same address, is not held back by the first one.
    for _ in 0..5 {
        let r = app.client.post(app.url(paths::API_REQUESTS)).bearer_auth(&roomy).json(&flat_tire()).send().await;
        assert_eq!(r.unwrap().status(), 201);
    }
}

async fn send_with_key(app: &crate::common::TestApp, partner_key: &str, key: &str, body: &Value) -> reqwest::Response {
    let url = app.url(paths::API_REQUESTS);
    app.client.post(url).bearer_auth(partner_key).header("Idempotency-Key", key).json(body).send().await.unwrap()
}

/// A key the customer's form could carry too (32 hex digits).
const SHARED_KEY: &str = "0123456789abcdef0123456789abcdef";

#[tokio::test]
async fn an_idempotency_key_never_returns_another_callers_request() {
    let app = spawn_app().await;
    let other = app.services.add_partner("other", None).await.unwrap().0;
    let first = send_with_key(&app, &app.partner_key, SHARED_KEY, &flat_tire()).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let theirs = send_with_key(&app, &other, SHARED_KEY, &flat_tire()).await;
    assert_eq!(theirs.status(), 201, "the same key from another partner is a new request");
    let theirs: Value = theirs.json().await.unwrap();
    assert_ne!(theirs["token"], first["token"]);
    // A customer's form with that key does not reach either.
    let form = [("key", SHARED_KEY), ("problem", "battery"), ("phone", "+12015550123"), ("place", "Exit 9")];
    let r = app.post_form(paths::SEND, &form).await;
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(!to.contains(first["token"].as_str().unwrap()) && !to.contains(theirs["token"].as_str().unwrap()));
}

#[tokio::test]
async fn the_same_key_with_a_different_body_is_refused() {
    let app = spawn_app().await;
    assert_eq!(send_with_key(&app, &app.partner_key, "k-1", &flat_tire()).await.status(), 201);
    let mut emergency = flat_tire();
    emergency["problem"] = json!("lockout");
    emergency["someone_inside"] = json!(true);
    let r = send_with_key(&app, &app.partner_key, "k-1", &emergency).await;
    assert_eq!(r.status(), 409);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "idempotency_key_reused");
    assert!(body["message"].as_str().unwrap().contains("different request"));
    assert_eq!(app.services.store.count_requests().await.unwrap(), 1);
}

#[tokio::test]
async fn keys_expire_and_then_make_a_new_request() {
    let app = spawn_app_with(&["--idempotency-ttl", "100ms"]).await;
    let first: Value = send_with_key(&app, &app.partner_key, "k-2", &flat_tire()).await.json().await.unwrap();
    // Past the key's lifetime (wall clock, as keys are stored).
    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    let again = send_with_key(&app, &app.partner_key, "k-2", &flat_tire()).await;
    assert_eq!(again.status(), 201, "an expired key is forgotten: this is a new request, stored");
    let again: Value = again.json().await.unwrap();
    assert_ne!(again["token"], first["token"]);
    assert_eq!(app.services.store.count_requests().await.unwrap(), 2);
}

#[tokio::test]
async fn the_api_is_described_in_an_openapi_document() {
    let app = spawn_app().await;
    let r = app.client.get(app.url(paths::API_DOCUMENT)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let create = &doc["paths"]["/api/v1/requests"]["post"];
    assert!(create["security"][0].get("partner_key").is_some());
    for status in ["200", "201", "401", "409", "422", "429"] {
        assert!(create["responses"].get(status).is_some(), "{status} is documented");
    }
    assert!(create["responses"]["429"]["headers"].get("Retry-After").is_some());
    assert!(create["parameters"].as_array().unwrap().iter().any(|p| p["name"] == "Idempotency-Key"));
    assert_eq!(doc["components"]["securitySchemes"]["partner_key"]["scheme"], "bearer");
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["HelpRequestDraft"]["properties"].get("someone_inside").is_some());
    assert!(doc["paths"].get("/api/v1/requests/{token}").is_some());
    // Each kind of event is its own shape, told apart by `kind`; times are date-times.
    let kinds: Vec<&str> = schemas["Event"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["properties"]["kind"]["enum"][0].as_str())
        .collect();
    assert_eq!(kinds.len(), 16, "{kinds:?}");
    let on_the_way = &schemas["Event"]["oneOf"][kinds.iter().position(|k| *k == "on_the_way").unwrap()];
    assert_eq!(on_the_way["required"], serde_json::json!(["eta_minutes", "kind"]));
    assert_eq!(schemas["StatusResponse"]["properties"]["created_at"]["format"], "date-time");
    assert!(!doc.to_string().contains("Recorded"), "no names from inside the server");
}
