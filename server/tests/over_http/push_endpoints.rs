//! Where the server may push (issue 9, point 7). A push endpoint is a URL a staff account hands over and the
//! server then POSTs to, so: only https on a public host, when subscribing and again at send time (a name that
//! looked public may point at 127.0.0.1 later); a few devices per member; nobody takes over another member's
//! device; and the test alert's answer tells a member nothing about an endpoint beyond "not reached".
use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use crate::common::{StaffClient, TestApp, spawn_app, spawn_app_with};
use app::domain::Role;
use serde_json::{Value, json};

/// A device's keys as its browser would send them: the RFC 8291 example, a valid P-256 point and 16-byte secret.
const P256DH: &str = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";

/// A public address nobody is ever pushed to in these tests: the subscriptions are only stored.
fn public_endpoint(n: usize) -> String {
    format!("https://93.184.215.14/push/device-{n}")
}

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

/// A refusal carries a code for scripts and a sentence for people.
fn assert_refused(answer: &(u16, Value), status: u16, what: &str) {
    assert_eq!(answer.0, status, "{what}: {}", answer.1);
    assert!(answer.1["error"].as_str().is_some_and(|e| !e.is_empty()), "{what}: {}", answer.1);
    assert!(answer.1["message"].as_str().is_some_and(|m| m.len() > 20), "{what}: {}", answer.1);
}

/// A TCP port on loopback that only counts who connects (and hangs up at once).
async fn counting_listener() -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let counted = count.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (port, count)
}

/// Stores a subscription as if it had passed the checks when it was made (say DNS answered a public address
/// then): what is refused must be refused again when sending.
async fn store_directly(app: &TestApp, staff: &StaffClient, device_id: &str, endpoint: &str) {
    let device = app::store::NewDevice { device_id, endpoint, p256dh: P256DH, auth: AUTH };
    let saved = app.services.store.save_subscription(staff.id, &device, 5).await.unwrap();
    assert_eq!(saved, app::store::DeviceSaved::Saved);
}

#[tokio::test]
async fn endpoints_on_private_local_or_reserved_hosts_are_refused_when_subscribing() {
    let app = spawn_app().await;
    let sam = app.staff("sam", "Sam Rivera", Role::Technician).await;
    let refused = [
        "https://127.0.0.1:8443/push/x",
        "https://127.1/push/x",
        "https://2130706433/push/x",
        "https://0x7f000001/push/x",
        "https://localhost/push/x",
        "https://LOCALHOST.:8443/push/x",
        "https://push.localhost/push/x",
        "https://[::1]/push/x",
        "https://10.1.2.3/push/x",
        "https://172.16.0.1/push/x",
        "https://172.31.255.255/push/x",
        "https://192.168.1.1/push/x",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fd00:ec2::254]/latest/meta-data/",
        "https://100.100.100.200/latest/meta-data/",
        "https://100.64.0.1/push/x",
        "https://0.0.0.0/push/x",
        "https://[::]/push/x",
        "https://255.255.255.255/push/x",
        "https://224.0.0.1/push/x",
        "https://[ff02::1]/push/x",
        "https://[fe80::1]/push/x",
        "https://[fc00::1]/push/x",
        "https://192.0.2.1/push/x",
        "https://198.51.100.1/push/x",
        "https://203.0.113.1/push/x",
        "https://198.18.0.1/push/x",
        "https://[2001:db8::1]/push/x",
        "https://[::ffff:127.0.0.1]/push/x",
        "https://[::ffff:10.0.0.1]/push/x",
        "https://[::ffff:169.254.169.254]/push/x",
        "https://[::127.0.0.1]/push/x",
        "https://[64:ff9b::a00:1]/push/x",
        "https://[2002:a00:1::]/push/x",
        "https://user:secret@93.184.215.14/push/x",
        "http://93.184.215.14/push/x",
        "ftp://93.184.215.14/push/x",
        "not a url",
    ];
    for (n, endpoint) in refused.iter().enumerate() {
        let answer = subscribe(&sam, &format!("device-{n:04}"), endpoint).await;
        assert_refused(&answer, 422, endpoint);
    }
    assert_eq!(devices(&sam).await, 0);
    // A public address is still welcome.
    assert_eq!(subscribe(&sam, "device-good", &public_endpoint(1)).await.0, 204);
}

#[tokio::test]
async fn the_test_suites_http_exception_is_only_plain_http_to_a_loopback_ip() {
    let app = spawn_app_with(&["--push-allow-http"]).await;
    let sam = app.staff("sam", "Sam Rivera", Role::Technician).await;
    for endpoint in [
        "http://localhost:9999/push/x",
        "http://[::ffff:127.0.0.1]:9999/push/x",
        "https://127.0.0.1:9999/push/x",
        "http://10.0.0.1/push/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://192.168.1.1/push/x",
        "http://93.184.215.14/push/x",
    ] {
        let answer = subscribe(&sam, "device-0001", endpoint).await;
        assert_refused(&answer, 422, endpoint);
    }
    assert_eq!(subscribe(&sam, "device-0001", "http://127.0.0.1:9999/push/x").await.0, 204);
    assert_eq!(subscribe(&sam, "device-0002", "http://[::1]:9999/push/x").await.0, 204);
    assert_eq!(devices(&sam).await, 2);
}

#[tokio::test]
async fn a_push_never_reaches_a_private_address_found_at_send_time() {
    let app = spawn_app().await;
    let sam = app.staff("sam", "Sam Rivera", Role::Technician).await;
    let (port, connections) = counting_listener().await;
    store_directly(&app, &sam, "device-0001", &format!("https://localhost:{port}/push/a")).await;
    store_directly(&app, &sam, "device-0002", &format!("https://127.0.0.1:{port}/push/b")).await;
    store_directly(&app, &sam, "device-0003", &format!("https://[::ffff:127.0.0.1]:{port}/push/c")).await;
    let report = test_alert(&sam).await;
    assert_eq!(connections.load(Ordering::SeqCst), 0, "the server connected to loopback");
    assert_eq!(report, json!({ "devices": 3, "delivered": 0, "not_reached": 3 }));
}

#[tokio::test]
async fn at_send_time_the_http_exception_is_only_plain_http_to_a_loopback_ip() {
    let app = spawn_app_with(&["--push-allow-http"]).await;
    let sam = app.staff("sam", "Sam Rivera", Role::Technician).await;
    let (port, connections) = counting_listener().await;
    store_directly(&app, &sam, "device-0001", &format!("http://localhost:{port}/push/a")).await;
    store_directly(&app, &sam, "device-0002", &format!("https://127.0.0.1:{port}/push/b")).await;
    store_directly(&app, &sam, "device-0003", &format!("http://[::ffff:127.0.0.1]:{port}/push/c")).await;
    let report = test_alert(&sam).await;
    assert_eq!(connections.load(Ordering::SeqCst), 0, "the server connected to loopback");
    assert_eq!(report, json!({ "devices": 3, "delivered": 0, "not_reached": 3 }));
    // The exception itself still works: the test suite's push service is reached.
    store_directly(&app, &sam, "device-0004", &format!("http://127.0.0.1:{port}/push/d")).await;
    test_alert(&sam).await;
    assert_eq!(connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_member_has_at_most_five_alert_devices_and_a_renewed_device_counts_once() {
    let app = spawn_app().await;
    let sam = app.staff("sam", "Sam Rivera", Role::Technician).await;
    for n in 1..=5 {
        assert_eq!(subscribe(&sam, &format!("device-{n:04}"), &public_endpoint(n)).await.0, 204);
    }
    let sixth = subscribe(&sam, "device-0006", &public_endpoint(6)).await;
    assert_refused(&sixth, 422, "a sixth device");
    let message = sixth.1["message"].as_str().unwrap();
    assert!(message.contains('5') && message.contains("test alert"), "says how to free a place: {message}");
    // A device subscribing again (a renewed subscription) replaces its own row.
    assert_eq!(subscribe(&sam, "device-0003", &public_endpoint(33)).await.0, 204);
    assert_eq!(devices(&sam).await, 5);
    // The limit is each member's own.
    let kim = app.staff("kim", "Kim Lee", Role::Technician).await;
    assert_eq!(subscribe(&kim, "device-0101", &public_endpoint(101)).await.0, 204);
}

#[tokio::test]
async fn the_device_limit_is_configurable() {
    let app = spawn_app_with(&["--max-alert-devices", "2"]).await;
    let sam = app.staff("sam", "Sam Rivera", Role::Technician).await;
    assert_eq!(subscribe(&sam, "device-0001", &public_endpoint(1)).await.0, 204);
    assert_eq!(subscribe(&sam, "device-0002", &public_endpoint(2)).await.0, 204);
    assert_refused(&subscribe(&sam, "device-0003", &public_endpoint(3)).await, 422, "a third device");
    assert_eq!(devices(&sam).await, 2);
}

#[tokio::test]
async fn a_member_cannot_take_over_another_members_device() {
    let app = spawn_app().await;
    let sam = app.staff("sam", "Sam Rivera", Role::Technician).await;
    let kim = app.staff("kim", "Kim Lee", Role::Technician).await;
    assert_eq!(subscribe(&sam, "sams-phone-1", &public_endpoint(1)).await.0, 204);
    // Sam's device id, or Sam's endpoint, under Kim's login: refused, and Sam keeps his device.
    assert_refused(&subscribe(&kim, "sams-phone-1", &public_endpoint(2)).await, 409, "Sam's device id");
    assert_refused(&subscribe(&kim, "kims-phone-1", &public_endpoint(1)).await, 409, "Sam's endpoint");
    assert_eq!(devices(&sam).await, 1);
    assert_eq!(devices(&kim).await, 0);
    // Sam renewing his own subscription still replaces it.
    assert_eq!(subscribe(&sam, "sams-phone-1", &public_endpoint(3)).await.0, 204);
    assert_eq!(subscribe(&sam, "sams-phone-2", &public_endpoint(3)).await.0, 204);
    assert_eq!(devices(&sam).await, 1);
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

/// Devices subscribing at the same moment cannot both take a member's last place (on PostgreSQL, where writing
/// first locks only rows that exist, the table is locked for it).
#[tokio::test]
async fn devices_subscribing_at_once_never_pass_the_limit() {
    use app::store::{DeviceSaved, NewDevice};
    let app = spawn_app().await;
    let sam = app.staff("sam", "Sam Rivera", Role::Technician).await;
    let ids: Vec<(String, String)> =
        (0..12).map(|i| (format!("device-{i}"), format!("https://push.example.com/send/{i}"))).collect();
    let saves = ids.iter().map(|(device_id, endpoint)| {
        let device = NewDevice { device_id, endpoint, p256dh: "key", auth: "auth" };
        let store = app.services.store.clone();
        async move { store.save_subscription(sam.id, &device, 2).await.unwrap() }
    });
    let saved = futures::future::join_all(saves).await;
    assert_eq!(saved.iter().filter(|s| **s == DeviceSaved::Saved).count(), 2, "{saved:?}");
    assert_eq!(devices(&sam).await, 2);
}
