//! The store and the ladder when there are many requests (issue 10, point 1): the ladder keeps with each
//! request when it must look at it next; one request that cannot be read stops nothing else and is an alarm
//! on dispatch's board; boards come in pages with counts over all of them; searches say when they were cut
//! short; and the top rung pages dispatchers and admins, not only their screens.
use std::time::Duration;

use crate::common::{StaffClient, TestApp, flat_tire, spawn_app_with};
use app::domain::Role;
use serde_json::{Value, json};

const MIN: i64 = 60_000;

async fn app() -> TestApp {
    spawn_app_with(&["--escalate-after", "10m", "--partner-limit-per-minute", "10000"]).await
}

async fn request(app: &TestApp, body: Value) -> String {
    let created: Value = app.create(body).await.json().await.unwrap();
    created["number"].as_str().unwrap().to_owned()
}

/// Straight from the app's database: what the store keeps beside the timeline.
async fn sql(app: &TestApp, query: &str) -> Vec<sqlx::any::AnyRow> {
    sqlx::query(query).fetch_all(&mut app.db().await).await.unwrap()
}

async fn due_at(app: &TestApp, number: &str) -> (Option<i64>, Option<i64>, i64) {
    use sqlx::Row;
    let rows =
        sql(app, &format!("SELECT due_at, closed_at, created_at FROM help_requests WHERE number = '{number}'")).await;
    (rows[0].get("due_at"), rows[0].get("closed_at"), rows[0].get("created_at"))
}

async fn board(dee: &StaffClient, query: &str) -> Value {
    let (status, page) = dee.get_json(&format!("/staff/api/dispatch{query}")).await;
    assert_eq!(status, 200, "{page}");
    page["data"].clone()
}

#[tokio::test]
async fn the_ladder_keeps_with_each_request_when_it_is_next_due() {
    let app = app().await;
    let dee = app.staff("dee", "Dee Okafor", Role::Dispatcher).await;
    let sam = app.staff("sam", "Sam Rivera", Role::Technician).await;
    let number = request(&app, flat_tire()).await;
    let (due, closed, sent) = due_at(&app, &number).await;
    assert_eq!((due, closed), (Some(sent), None), "a new request is looked at by the next pass");

    app.services.escalate_due(sent + 1).await.unwrap();
    assert_eq!(due_at(&app, &number).await.0, Some(sent + 10 * MIN), "then only when its first rung falls due");
    app.services.escalate_due(sent + 10 * MIN).await.unwrap();
    app.services.escalate_due(sent + 10 * MIN + 1).await.unwrap();
    assert_eq!(due_at(&app, &number).await.0, Some(sent + 20 * MIN), "each rung sets the next");

    // Owned: nothing to watch until it is on the way with an ETA.
    assert_eq!(sam.post(&format!("/tech/jobs/{number}/step"), &[("action", "accept")]).await.status(), 204);
    app.services.escalate_due(sent + 11 * MIN).await.unwrap();
    assert_eq!(due_at(&app, &number).await.0, None);

    // Closed: closed_at is kept, and nothing is ever due on it again.
    let r =
        dee.post(&format!("/dispatch/requests/{number}/act"), &[("action", "cancel"), ("reason", "duplicate")]).await;
    assert_eq!(r.status(), 204);
    let (due, closed, _) = due_at(&app, &number).await;
    assert_eq!(due, None);
    assert!(closed.is_some_and(|at| at >= sent));
    assert!(board(&dee, "").await["open"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_request_that_cannot_be_read_stops_nothing_else_and_is_an_alarm_for_dispatch() {
    let app = app().await;
    let dee = app.staff("dee", "Dee Okafor", Role::Dispatcher).await;
    let damaged = request(&app, flat_tire()).await;
    let fine = request(&app, flat_tire()).await;
    let sent = due_at(&app, &fine).await.2;
    sql(&app, &format!("UPDATE help_requests SET problem = 'no such problem' WHERE number = '{damaged}'")).await;

    assert_eq!(app.services.escalate_due(sent + 10 * MIN).await.unwrap(), 1, "the readable request still climbs");
    let b = board(&dee, "").await;
    let open: Vec<&str> = b["open"].as_array().unwrap().iter().map(|c| c["number"].as_str().unwrap()).collect();
    assert_eq!(open, [fine.as_str()]);
    assert_eq!(b["unreadable"][0]["number"], damaged.as_str());
    assert!(b["unreadable"][0]["reason"].as_str().unwrap().contains("no such problem"), "{b}");
    assert_eq!(b["alarm_total"], 1, "the damaged request is an alarm until repaired");
    // The ladder looks at it again a rung later, not on every pass.
    assert_eq!(due_at(&app, &damaged).await.0, Some(sent + 20 * MIN));
    // The search skips it and still answers.
    let (status, found) = dee.get_json("/staff/api/dispatch/search?q=%2B12015550123").await;
    assert_eq!((status, found["data"]["cards"].as_array().map(Vec::len)), (200, Some(1)));
}

#[tokio::test]
async fn the_dispatch_board_comes_in_pages_with_counts_over_all_of_them() {
    let app = app().await;
    let dee = app.staff("dee", "Dee Okafor", Role::Dispatcher).await;
    let mut numbers = Vec::new();
    for _ in 0..103 {
        numbers.push(request(&app, flat_tire()).await);
    }
    let first = board(&dee, "").await;
    assert_eq!(
        (
            first["open_total"].as_u64(),
            first["waiting_total"].as_u64(),
            first["page"].as_u64(),
            first["pages"].as_u64()
        ),
        (Some(103), Some(103), Some(1), Some(2))
    );
    assert_eq!(first["open"].as_array().unwrap().len(), 100);
    assert_eq!(first["open"][0]["number"], numbers[0].as_str(), "oldest first");
    let second = board(&dee, "?page=2").await;
    let rest: Vec<&str> = second["open"].as_array().unwrap().iter().map(|c| c["number"].as_str().unwrap()).collect();
    assert_eq!(rest, numbers[100..].iter().map(String::as_str).collect::<Vec<_>>());
    // A page past the end is the last page; nonsense is the first.
    assert_eq!(board(&dee, "?page=99").await["page"], 2);
    assert_eq!(board(&dee, "?page=x").await["page"], 1);
    // The page the dispatcher sees says where it stands, before any script runs.
    let html = dee.client.get(dee.url("/dispatch?page=2")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("101–103 of 103 · page 2 of 2"), "{html}");
}

#[tokio::test]
async fn a_search_says_when_its_limit_cut_it_short() {
    let app = app().await;
    let dee = app.staff("dee", "Dee Okafor", Role::Dispatcher).await;
    for _ in 0..50 {
        request(&app, flat_tire()).await;
    }
    let found = search(&dee).await;
    assert_eq!((found["cards"].as_array().unwrap().len(), found["more"].as_bool()), (50, Some(false)));
    let newest = request(&app, flat_tire()).await;
    let found = search(&dee).await;
    assert_eq!((found["cards"].as_array().unwrap().len(), found["more"].as_bool()), (50, Some(true)));
    assert_eq!(found["cards"][0]["number"], newest.as_str(), "the newest are the ones shown");
}

#[tokio::test]
async fn the_top_rung_pages_every_dispatcher_and_admin() {
    let app = spawn_app_with(&["--escalate-after", "10m", "--push-allow-http"]).await;
    let dee = app.staff("dee", "Dee Okafor", Role::Dispatcher).await;
    let ada = app.staff("ada", "Ada Admin", Role::Admin).await;
    let (port, mut pushed) = push_service().await;
    for (who, device) in [(&dee, "dee-phone-1"), (&ada, "ada-phone-1")] {
        let r = who
            .client
            .post(who.url("/tech/push/subscribe"))
            .header("accept", "application/json")
            .header("x-csrf-token", &who.csrf)
            .json(&json!({
                "device_id": device,
                "endpoint": format!("http://127.0.0.1:{port}/push/{device}"),
                "keys": {
                    "p256dh": "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
                    "auth": "BTBZMqHH6r4Tts7J_aSIgg"
                }
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }
    let number = request(&app, flat_tire()).await;
    let sent = due_at(&app, &number).await.2;
    for rung in 1..=2 {
        assert_eq!(app.services.escalate_due(sent + rung * 10 * MIN).await.unwrap(), 1);
    }
    // The first two rungs are for technicians: no dispatcher's phone rings yet.
    assert!(tokio::time::timeout(Duration::from_millis(300), pushed.recv()).await.is_err());
    assert_eq!(app.services.escalate_due(sent + 30 * MIN).await.unwrap(), 1);
    let mut paged = Vec::new();
    for _ in 0..2 {
        paged.push(tokio::time::timeout(Duration::from_secs(10), pushed.recv()).await.unwrap().unwrap());
    }
    paged.sort();
    assert_eq!(paged, ["ada-phone-1", "dee-phone-1"]);
}

async fn search(dee: &StaffClient) -> Value {
    dee.get_json("/staff/api/dispatch/search?q=%2B12015550123").await.1["data"].clone()
}

/// A push service on loopback: takes every push (201) and says which device it was for.
async fn push_service() -> (u16, tokio::sync::mpsc::UnboundedReceiver<String>) {
    use axum::{extract::Path, http::StatusCode, routing::post};
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let service = axum::Router::new().route(
        "/push/{device}",
        post(move |Path(device): Path<String>| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(device);
                StatusCode::CREATED
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, service).await });
    (port, rx)
}
