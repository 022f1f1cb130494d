//! Several instances on one PostgreSQL, as behind a load balancer: what one stores the others show live, a login
//! works on each, the ladder writes each rung once however many instances run it, and `kill -9` of one while it
//! takes requests loses none it acknowledged. SQLite is one process's file: these run on PostgreSQL only.

use std::time::{Duration, Instant};

use app::domain::Role;
use serde_json::Value;

use crate::common::{LiveFeed, StaffClient, TestApp, flat_tire, postgres, spawn_app, spawn_app_with};

async fn feed(staff: &StaffClient, path: &str) -> LiveFeed {
    LiveFeed::new(staff.client.get(staff.url(path)).send().await.unwrap())
}

/// Reads views from `feed` until one satisfies `wanted`; fails the test after 15 s without one.
async fn until(feed: &mut LiveFeed, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let view = feed.next_within(left).await.unwrap_or_else(|| panic!("the feed ended before {what}"));
        if wanted(&view) {
            return view;
        }
    }
}

fn card<'v>(list: &'v Value, number: &str) -> Option<&'v Value> {
    list.as_array()?.iter().find(|c| c["number"] == number)
}

#[tokio::test]
async fn what_one_instance_stores_the_other_shows_live_and_a_login_works_on_both() {
    if postgres().is_none() {
        return; // One SQLite file has one server.
    }
    let a = spawn_app().await;
    let b = a.another_instance(&[]).await;
    let ana = b.staff("ana", "Ana Lima", Role::Technician).await;
    assert_eq!(ana.post("/tech/duty", &[("on", "1")]).await.status(), 204);
    let dee = a.staff("dee", "Dee Okafor", Role::Dispatcher).await;
    let mut board_on_b = feed(&ana, "/staff/api/board/events").await;
    let mut dispatch_on_a = feed(&dee, "/staff/api/dispatch/events").await;
    board_on_b.next().await.unwrap();
    dispatch_on_a.next().await.unwrap();

    // The customer's request goes to A; the technician's board on B shows it.
    let created: Value = a.create(flat_tire()).await.json().await.unwrap();
    let number = created["number"].as_str().unwrap().to_owned();
    until(&mut board_on_b, "the new job on B", |v| card(&v["open"], &number).is_some()).await;

    // The technician accepts on B; dispatch on A sees who has it.
    assert_eq!(ana.step(&number, &[("action", "accept")]).await.status(), 204);
    let seen = until(&mut dispatch_on_a, "the accept on A", |v| {
        card(&v["open"], &number).is_some_and(|c| c["status"] == "accepted")
    })
    .await;
    assert_eq!(card(&seen["open"], &number).unwrap()["technician"], "Ana Lima", "{seen}");

    // One session, one database: the technician's cookie from B is good on A, and the status link from A on B.
    let on_a = ana.client.get(a.url("/staff/api/board")).send().await.unwrap();
    assert_eq!(on_a.status(), 200);
    let token = created["token"].as_str().unwrap();
    assert_eq!(b.status(token).await["status"], "accepted");
}

/// The rungs of `number` as stored, in order.
async fn rungs(app: &TestApp, number: &str) -> Vec<i64> {
    let payloads: Vec<(String,)> = sqlx::query_as(
        "SELECT e.payload FROM request_events e JOIN help_requests r ON r.id = e.request_id \
         WHERE r.number = $1 AND e.kind = 'escalated' ORDER BY e.id",
    )
    .bind(number)
    .fetch_all(&mut app.db().await)
    .await
    .unwrap();
    payloads.iter().map(|(p,)| serde_json::from_str::<Value>(p).unwrap()["level"].as_i64().unwrap()).collect()
}

/// A new request, once the ladder has climbed it to the top rung.
async fn to_the_top(app: &TestApp) -> String {
    let created: Value = app.create(flat_tire()).await.json().await.unwrap();
    let number = created["number"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    while rungs(app, &number).await.len() < 3 {
        assert!(Instant::now() < deadline, "the ladder did not climb: {:?}", rungs(app, &number).await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    number
}

#[tokio::test]
async fn with_two_instances_running_the_ladder_each_rung_is_written_once() {
    if postgres().is_none() {
        return;
    }
    let a = spawn_app_with(&["--escalate-after", "200ms"]).await;
    let _b = a.another_instance(&["--escalate-after", "200ms"]).await;
    // Both instances' ladders look at each request every 200 ms, up to the top rung (dispatch's alarm, 3).
    let mut numbers = vec![to_the_top(&a).await, to_the_top(&a).await];
    // A third request climbing to the top is time enough for either ladder to climb the first two again.
    numbers.push(to_the_top(&a).await);
    for number in &numbers {
        let levels = rungs(&a, number).await;
        let expected: Vec<i64> = (1..=i64::try_from(levels.len()).unwrap()).collect();
        assert_eq!(levels, expected, "each rung once, in order, on {number}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_one_instance_while_it_takes_requests_loses_none_it_acknowledged() {
    if postgres().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = crate::common::fresh_database(dir.path());
    let key = crate::crash::partner_key(&db);
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let mut a = crate::crash::start(&client, &db, &dir.path().join("a.log"), &[]).await;
    let mut b = crate::crash::start(&client, &db, &dir.path().join("b.log"), &[]).await;

    // Eight senders stream creates to A until it is gone; every 201 is kept.
    let senders: Vec<_> = (0..8)
        .map(|_| {
            let (client, url, key) = (client.clone(), format!("{}/api/v1/requests", a.base), key.clone());
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                loop {
                    match client.post(&url).bearer_auth(&key).json(&flat_tire()).send().await {
                        Ok(r) if r.status() == 201 => {
                            let created: Value = r.json().await.unwrap_or_default();
                            if let Some(token) = created["token"].as_str() {
                                acknowledged.push(token.to_owned());
                            }
                        }
                        Ok(r) => assert!(r.status().is_server_error(), "{}", r.status()),
                        Err(_) => return acknowledged,
                    }
                }
            })
        })
        .collect();
    // Let A take a good number of requests, then kill it mid-stream.
    let counted = || async { a_count(&db).await };
    let deadline = Instant::now() + Duration::from_secs(30);
    while counted().await < 200 {
        assert!(Instant::now() < deadline, "A took too few requests");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    let mut acknowledged = Vec::new();
    for sender in senders {
        acknowledged.extend(sender.await.unwrap());
    }
    assert!(acknowledged.len() >= 200, "{}", acknowledged.len());

    // B still serves, and has every request A acknowledged.
    for token in &acknowledged {
        let r = client.get(format!("{}/api/v1/requests/{token}", b.base)).send().await.unwrap();
        assert_eq!(r.status(), 200, "acknowledged by A, missing on B: {token}");
    }
    let more = client.post(format!("{}/api/v1/requests", b.base)).bearer_auth(&key).json(&flat_tire()).send();
    assert_eq!(more.await.unwrap().status(), 201);
    b.child.kill().unwrap();
    b.child.wait().unwrap();
}

async fn a_count(db: &str) -> i64 {
    let pool = crate::common::any_pool(db).await;
    let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM help_requests").fetch_one(&pool).await.unwrap();
    pool.close().await;
    n.0
}

#[tokio::test]
async fn a_cut_feed_between_instances_makes_every_open_view_reload() {
    if postgres().is_none() {
        return;
    }
    let a = spawn_app().await;
    let dee = a.staff("dee", "Dee Okafor", Role::Dispatcher).await;
    let created: Value = a.create(flat_tire()).await.json().await.unwrap();
    let number = created["number"].as_str().unwrap().to_owned();
    let mut board = feed(&dee, "/staff/api/dispatch/events").await;
    board.next().await.unwrap();
    // A change nobody announces (as one made while the feed was cut would be), then the cut itself.
    let mut db = a.db().await;
    sqlx::query("UPDATE help_requests SET place = 'Exit 12' WHERE number = $1")
        .bind(&number)
        .execute(&mut db)
        .await
        .unwrap();
    let cut: Vec<(bool,)> = sqlx::query_as(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND query ILIKE 'listen%'",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    assert_eq!(cut, [(true,)], "the instance's one listening connection");
    until(&mut board, "the view reloaded after the cut", |v| {
        card(&v["open"], &number).is_some_and(|c| c["place"] == "Exit 12")
    })
    .await;
}

#[tokio::test]
async fn creates_go_on_after_the_database_cuts_every_connection() {
    if postgres().is_none() {
        return;
    }
    let a = spawn_app().await;
    assert_eq!(a.create(flat_tire()).await.status(), 201);
    // Every connection the app holds is cut, as a database restart or a failover does.
    let mut db = a.db().await;
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .execute(&mut db)
    .await
    .unwrap();
    // The create that meets the cut may fail (its sender is told so, and nothing of it is stored); the next ones
    // are stored on a new connection.
    let mut answers = Vec::new();
    for _ in 0..3 {
        answers.push(a.create(flat_tire()).await.status().as_u16());
        if answers.last() == Some(&201) {
            break;
        }
    }
    assert_eq!(answers.last(), Some(&201), "{answers:?}");
    assert_eq!(a.client.get(a.url("/healthz")).send().await.unwrap().status(), 200);
}
