//! Where the server may push (issue 9, point 7). A push endpoint is a URL a staff account hands over and the
//! server then POSTs to, so: only https on a public host, when subscribing and again at send time (a name that
//! looked public may point at 127.0.0.1 later); a few devices per member; nobody takes over another member's
//! device; and the test alert's answer tells a member nothing about an endpoint beyond "not reached".
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use app::domain::Role;
use common::{StaffClient, spawn_app_with};
use serde_json::{Value, json};

/// A device's keys as its browser would send them: the RFC 8291 example, a valid P-256 point and 16-byte secret.
const P256DH: &str = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";

async fn subscribe(staff: &StaffClient, device_id: &str, endpoint: &str) -> (u16, Value) {
    let r = staff
        .client
        .post(staff.url("/tech/push/subscribe"))
        .header("accept", "application/json")
        .header("x-csrf-token", &staff.csrf)
        .json(&json!({ "device_id": device_id, "endpoint": endpoint, "keys": { "p256dh": P256DH, "auth": AUTH } }))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn devices(staff: &StaffClient) -> i64 {
    staff.get_json("/staff/api/push").await.1["devices"].as_i64().unwrap()
}

async fn test_alert(staff: &StaffClient) -> Value {
    let r = staff.post("/tech/push/test", &[]).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// The suite's stand-in for push services: one that takes the push, one that forgot the subscription, one
/// that fails.
async fn push_service() -> u16 {
    use axum::{extract::Path, http::StatusCode, routing::post};
    let service = axum::Router::new().route(
        "/push/{id}",
        post(|Path(id): Path<String>| async move {
            match id.as_str() {
                "taken" => StatusCode::CREATED,
                "forgotten" => StatusCode::GONE,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, service).await });
    port
}

#[tokio::test]
async fn the_test_alert_says_only_delivered_or_not_reached() {
    let app = spawn_app_with(&["--push-allow-http"]).await;
    let sam = app.staff("sam", "Sam Rivera", Role::Technician).await;
    let port = push_service().await;
    for (n, id) in ["taken", "forgotten", "failing"].iter().enumerate() {
        let answer = subscribe(&sam, &format!("device-{n:04}"), &format!("http://127.0.0.1:{port}/push/{id}")).await;
        assert_eq!(answer.0, 204, "{}", answer.1);
    }
    let report = test_alert(&sam).await;
    assert_eq!(report, json!({ "devices": 3, "delivered": 1, "not_reached": 2 }));
    // The subscription its push service forgot is still pruned.
    assert_eq!(devices(&sam).await, 2);
    // The plain form's page says the same, no more.
    let page = sam.client.post(sam.url("/tech/push/test")).header("x-csrf-token", &sam.csrf).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("1 of 2 devices reached"));
}
