//! The partner API over real HTTP against a real SQLite file.
use crate::common::{flat_tire, spawn_app, unix_ms};
use serde_json::{Value, json};

#[tokio::test]
async fn health_answers_ok_when_the_database_is_reachable() {
    let app = spawn_app().await;
    let r = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "ok");
}

#[tokio::test]
async fn a_created_request_has_a_readable_number_a_secret_token_and_a_status_link() {
    let app = spawn_app().await;
    let r = app.create(flat_tire()).await;
    assert_eq!(r.status(), 201);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = r.json().await.unwrap();
    let number = body["number"].as_str().unwrap();
    let token = body["token"].as_str().unwrap();
    assert!(number.starts_with("RC-") && number.len() == 7, "{number}");
    assert!(token.len() >= 26, "a token carries at least 128 bits: {token}");
    assert_eq!(body["status"], "received");
    assert_eq!(body["status_url"], app.url(&format!("/r/{token}")));
    assert_eq!(location, format!("/api/v1/requests/{token}"));

    let status = app.status(token).await;
    assert_eq!(status["number"], number);
    assert_eq!(status["status"], "received");
    assert_eq!(status["phone"], "+12015550123");
    assert_eq!(status["phone_display"], "+1 201-555-0123");
    assert_eq!(status["access_notes"], "Gate code 4711");
    assert_eq!(status["timeline"].as_array().unwrap().len(), 1);
    assert_eq!(status["timeline"][0]["kind"], "received");
    assert_eq!(status["timeline"][0]["actor"], "partner");

    // Times are RFC 3339 in UTC to the millisecond, and an event carries only its own fields.
    let created = status["created_at"].as_str().unwrap();
    assert!(created.len() == 24 && created.ends_with('Z') && created.as_bytes()[19] == b'.', "{created}");
    assert_eq!(status["timeline"][0]["at"], created);
    let mut fields: Vec<&String> = status["timeline"][0].as_object().unwrap().keys().collect();
    fields.sort();
    assert_eq!(fields, ["actor", "at", "by", "kind"]);
    assert_eq!(status["eta_at"], Value::Null);

    // The customer's page reads its own route, in its own shape (unix ms), not the partner's.
    let page: Value = app.client.get(app.url(&format!("/r/{token}/view"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(page["number"], number);
    assert_eq!(page["timeline"][0]["at"].as_i64(), Some(unix_ms(&status["created_at"])));
    let missing = app.client.get(app.url("/r/AAAAAAAAAAAAAAAAAAAAAAAAAA/view")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn numbers_and_tokens_are_unique_across_many_requests() {
    let app = crate::common::spawn_app_with(&["--send-limit-per-minute", "1000"]).await;
    let mut numbers = std::collections::HashSet::new();
    let mut tokens = std::collections::HashSet::new();
    for _ in 0..60 {
        let body: Value = app.create(flat_tire()).await.json().await.unwrap();
        assert!(numbers.insert(body["number"].as_str().unwrap().to_owned()));
        assert!(tokens.insert(body["token"].as_str().unwrap().to_owned()));
    }
}

#[tokio::test]
async fn a_repeated_idempotency_key_returns_the_first_request() {
    let app = spawn_app().await;
    let send = || app.api_post().header("Idempotency-Key", "call-centre-42").json(&flat_tire()).send();
    let first = send().await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = send().await.unwrap();
    assert_eq!(again.status(), 200, "a replay is not a new request");
    let again: Value = again.json().await.unwrap();
    assert_eq!(first["token"], again["token"]);
    assert_eq!(first["number"], again["number"]);
}

#[tokio::test]
async fn concurrent_retries_with_one_key_make_one_request() {
    let app = spawn_app().await;
    let sends = (0..12).map(|_| app.api_post().header("Idempotency-Key", "double-tap").json(&flat_tire()).send());
    let answers = futures::future::join_all(sends).await;
    let mut tokens = std::collections::HashSet::new();
    let mut created = 0;
    for a in answers {
        let a = a.unwrap();
        if a.status() == 201 {
            created += 1;
        } else {
            assert_eq!(a.status(), 200);
        }
        tokens.insert(a.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned());
    }
    assert_eq!(created, 1);
    assert_eq!(tokens.len(), 1);
}

#[tokio::test]
async fn an_unknown_token_is_404() {
    let app = spawn_app().await;
    for path in ["/api/v1/requests/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "/api/v1/requests/not-a-token"] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "not_found");
    }
}

#[tokio::test]
async fn a_place_description_is_enough_without_coordinates() {
    let app = spawn_app().await;
    let r =
        app.create(json!({"problem": "tow", "phone": "+44 20 7946 0958", "place": "M25 clockwise, junction 10"})).await;
    assert_eq!(r.status(), 201);
}

async fn refusal(app: &crate::common::TestApp, body: Value) -> Vec<String> {
    let r = app.create(body.clone()).await;
    assert_eq!(r.status(), 422, "{body}");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "validation_failed");
    body["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn bad_fields_are_refused_with_422_naming_each_field() {
    let app = spawn_app().await;
    let with = |patch: Value| {
        let mut b = flat_tire();
        for (k, v) in patch.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    assert_eq!(refusal(&app, with(json!({"location": {"lat": 91.0, "lon": 0.5}}))).await, ["location"]);
    assert_eq!(refusal(&app, with(json!({"location": {"lat": 40.0, "lon": 181.0}}))).await, ["location"]);
    assert_eq!(
        refusal(&app, with(json!({"location": {"lat": 40.0, "lon": 1.0, "accuracy_m": -3}}))).await,
        ["location"]
    );
    assert_eq!(
        refusal(&app, with(json!({"location": {"lat": 40.0, "lon": 1.0, "accuracy_m": 1e12}}))).await,
        ["location"]
    );
    assert_eq!(refusal(&app, with(json!({"problem": "alien_abduction"}))).await, ["problem"]);
    assert_eq!(refusal(&app, with(json!({"phone": "call me maybe"}))).await, ["phone"]);
    assert_eq!(refusal(&app, with(json!({"name": "x".repeat(61)}))).await, ["name"]);
    assert_eq!(refusal(&app, with(json!({"notes": "a\u{0007}b"}))).await, ["notes"]);
    assert_eq!(refusal(&app, with(json!({"vehicle": {"plate": "p".repeat(21)}}))).await, ["vehicle.plate"]);
    let nowhere = json!({"problem": "battery", "phone": "+1 201 555 0123"});
    assert_eq!(refusal(&app, nowhere).await, ["place"]);
    let mut all = refusal(&app, json!({"problem": "x", "phone": "1", "location": {"lat": 100.0, "lon": 0.0}})).await;
    all.sort();
    assert_eq!(all, ["location", "phone", "problem"]);
}

#[tokio::test]
async fn malformed_bodies_get_a_clear_4xx() {
    let app = spawn_app().await;
    let post = |body: &'static str, content_type: &'static str| {
        app.api_post().header("content-type", content_type).body(body).send()
    };
    let r = post("{\"problem\": ", "application/json").await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "malformed_json");

    let r = post("{\"problem\": 7, \"phone\": \"x\"}", "application/json").await.unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_body");

    let r =
        post("{\"problem\":\"battery\",\"phone\":\"+12015550123\",\"place\":\"x\",\"surprise\":1}", "application/json")
            .await
            .unwrap();
    assert_eq!(r.status(), 422, "unknown fields are named, not ignored");

    let r = post("problem=battery", "text/plain").await.unwrap();
    assert_eq!(r.status(), 415);

    let huge = format!("{{\"problem\":\"battery\",\"phone\":\"+12015550123\",\"notes\":\"{}\"}}", "n".repeat(40_000));
    let r = app.api_post().header("content-type", "application/json").body(huge).send().await.unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "body_too_large");
}

#[tokio::test]
async fn a_bad_idempotency_key_is_refused() {
    let app = spawn_app().await;
    let r = app.api_post().header("Idempotency-Key", "k".repeat(101)).json(&flat_tire()).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_idempotency_key");
}

#[tokio::test]
async fn a_partner_is_rate_limited() {
    let app = crate::common::spawn_app_with(&["--partner-limit-per-minute", "3"]).await;
    for _ in 0..3 {
        assert_eq!(app.create(flat_tire()).await.status(), 201);
    }
    let r = app.create(flat_tire()).await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "rate_limited");
    // Reading status is limited separately and still works.
    assert_eq!(app.client.get(app.url("/healthz")).send().await.unwrap().status(), 200);
}
