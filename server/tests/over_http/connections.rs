//! Connections as a slow, idle, greedy or departing client meets them, and the server stopping: heads and bodies
//! that take too long, idle keep-alive connections, caps on open live feeds (per address, per staff session, in
//! all) and their lifetime, `/healthz` proving a write, and SIGTERM on the real binary. Short timeouts come from
//! flags; tests wait for what the server does, bounded, instead of sleeping.
use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use app::{domain::Role, paths};
use serde_json::Value;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::common::{LiveFeed as Feed, StaffClient, TestApp, flat_tire, spawn_app_with};

/// Connects to the app over plain TCP.
async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.base.trim_start_matches("http://")).await.unwrap()
}

/// Reads until the server closes the connection (EOF or reset), and says how long it took; fails the test if
/// the connection is still open after `within`. What was read comes back too.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> (Duration, String) {
    let started = Instant::now();
    let mut read = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(within.saturating_sub(started.elapsed()), stream.read(&mut buf)).await {
            Err(_) => panic!("the connection is still open after {within:?}; read: {}", String::from_utf8_lossy(&read)),
            Ok(Ok(0) | Err(_)) => return (started.elapsed(), String::from_utf8_lossy(&read).into_owned()),
            Ok(Ok(n)) => read.extend_from_slice(&buf[..n]),
        }
    }
}

/// Reads one whole answer to a `/healthz` (small, with Content-Length) from a kept-alive connection.
async fn read_answer(stream: &mut TcpStream) -> String {
    let mut read = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&read).ends_with("\r\n\r\nok") {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await.unwrap().unwrap();
        assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&read));
        read.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&read).into_owned()
}

#[tokio::test]
async fn a_client_slow_to_send_its_request_head_is_disconnected() {
    let app = spawn_app_with(&["--header-read-timeout", "500ms"]).await;

    // Half a head, then nothing.
    let mut stalled = connect(&app).await;
    stalled.write_all(b"GET /healthz HTTP/1.1\r\nHost: roadcall\r\nAccept: */").await.unwrap();
    let (after, answer) = closed_within(&mut stalled, Duration::from_secs(3)).await;
    assert!(after >= Duration::from_millis(400), "closed after {after:?}, before its time");
    assert_eq!(answer, "", "a head never finished is never answered");

    // Connected and silent: the first head is owed within the same time.
    let mut silent = connect(&app).await;
    closed_within(&mut silent, Duration::from_secs(3)).await;

    // A head trickled a byte at a time is cut off at the timeout too, however busy it keeps the connection.
    let mut trickle = connect(&app).await;
    let started = Instant::now();
    let mut cut = false;
    for byte in b"GET /healthz HTTP/1.1\r\nHost: roadcall\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
        if trickle.write_all(&[*byte]).await.is_err() {
            cut = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if !cut {
        closed_within(&mut trickle, Duration::from_secs(3)).await;
    }
    assert!(started.elapsed() < Duration::from_secs(5));

    // A client that sends its head in time is answered.
    let mut quick = connect(&app).await;
    quick.write_all(b"GET /healthz HTTP/1.1\r\nHost: roadcall\r\n\r\n").await.unwrap();
    assert!(read_answer(&mut quick).await.starts_with("HTTP/1.1 200"));
}

#[tokio::test]
async fn a_body_slower_than_the_body_timeout_is_answered_408() {
    let app = spawn_app_with(&["--body-timeout", "500ms"]).await;
    let mut slow = connect(&app).await;
    slow.write_all(
        b"POST /request HTTP/1.1\r\nHost: roadcall\r\nAccept: application/json\r\n\
          Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\nproblem=battery&phone=",
    )
    .await
    .unwrap();
    let (after, answer) = closed_within(&mut slow, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"error\":\"request_timeout\""), "{answer}");
    assert!(after >= Duration::from_millis(400), "answered after {after:?}, before its time");

    // A browser's plain form gets the same answer as a page.
    let mut form = connect(&app).await;
    form.write_all(
        b"POST /request HTTP/1.1\r\nHost: roadcall\r\nContent-Type: application/x-www-form-urlencoded\r\n\
          Content-Length: 200\r\n\r\nproblem=battery",
    )
    .await
    .unwrap();
    let (_, answer) = closed_within(&mut form, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("text/html"), "{answer}");

    // A body sent in time is unaffected.
    let r = app.client.post(app.url(paths::SEND)).form(&[("problem", "battery"), ("phone", "+12015550123")]);
    assert_ne!(r.send().await.unwrap().status(), 408);
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout_not_the_head_timeout() {
    let app = spawn_app_with(&["--header-read-timeout", "300ms", "--idle-timeout", "2s"]).await;
    let mut kept = connect(&app).await;
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: roadcall\r\n\r\n").await.unwrap();
    assert!(read_answer(&mut kept).await.starts_with("HTTP/1.1 200"));

    // Idle for longer than a head may take: still open (a balancer's pooled connection is not cut under it).
    tokio::time::sleep(Duration::from_secs(1)).await;
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: roadcall\r\n\r\n").await.unwrap();
    assert!(read_answer(&mut kept).await.starts_with("HTTP/1.1 200"), "the idle connection was closed too soon");

    // Then left idle: closed once the idle timeout has passed.
    let (after, answer) = closed_within(&mut kept, Duration::from_secs(5)).await;
    assert_eq!(answer, "");
    assert!(after >= Duration::from_millis(1800), "closed after {after:?}, before the idle timeout");
}

/// A fresh request's status feed path.
async fn status_feed(app: &TestApp) -> (String, String) {
    let created: Value = app.create(flat_tire()).await.json().await.unwrap();
    let token = created["token"].as_str().unwrap().to_owned();
    (app.url(&paths::at(paths::STATUS_EVENTS, &token)), token)
}

/// Opens a status feed as the client at `address` (behind our trusted proxy).
async fn open_from(app: &TestApp, feed: &str, address: &str) -> reqwest::Response {
    app.client.get(feed).header("x-forwarded-for", address).send().await.unwrap()
}

/// Retries `open` until it answers 200, within five seconds: a seat is given back as soon as the server sees
/// its feed's client gone.
async fn opens_again(open: impl AsyncFn() -> reqwest::Response) -> reqwest::Response {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let r = open().await;
        if r.status() == 200 {
            return r;
        }
        assert!(Instant::now() < deadline, "the seat was not given back: {}", r.status());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn status_feeds_are_capped_per_client_address_and_a_closed_feed_frees_its_seat() {
    let app = spawn_app_with(&["--trust-forwarded-for", "--feed-limit-per-minute", "1000"]).await;
    let (feed, _) = status_feed(&app).await;
    let mut open = Vec::new();
    for _ in 0..20 {
        let r = open_from(&app, &feed, "203.0.113.7").await;
        assert_eq!(r.status(), 200);
        open.push(r);
    }
    let refused = open_from(&app, &feed, "203.0.113.7").await;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    let refused = app
        .client
        .get(&feed)
        .header("x-forwarded-for", "203.0.113.7")
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.json::<Value>().await.unwrap()["error"], "too_many_feeds");

    // Another address is another client.
    assert_eq!(open_from(&app, &feed, "203.0.113.8").await.status(), 200);

    // One of the twenty closes (the tab is closed): its seat is free again.
    drop(open.pop());
    opens_again(async || open_from(&app, &feed, "203.0.113.7").await).await;
}

#[tokio::test]
async fn staff_feeds_are_capped_per_session_so_a_call_centre_behind_one_address_is_not_locked_out() {
    let app = spawn_app_with(&["--feed-limit-per-minute", "1000", "--feeds-per-client", "1"]).await;
    let ana = app.staff("ana", "Ana Lima", Role::Dispatcher).await;
    let bo = app.staff("bo", "Bo Chen", Role::Dispatcher).await;
    let open = |staff: &StaffClient| {
        let (client, url) = (staff.client.clone(), staff.url(paths::STAFF_DISPATCH_EVENTS));
        async move { client.get(url).send().await.unwrap() }
    };
    let mut feeds = Vec::new();
    // Both from 127.0.0.1, with one feed per address allowed: each session has its own twenty.
    for staff in [&ana, &bo] {
        for _ in 0..20 {
            let r = open(staff).await;
            assert_eq!(r.status(), 200);
            feeds.push(r);
        }
    }
    for staff in [&ana, &bo] {
        let refused = open(staff).await;
        assert_eq!(refused.status(), 429);
        assert!(refused.headers().contains_key("retry-after"));
        assert_eq!(refused.json::<Value>().await.unwrap()["error"], "too_many_feeds");
    }
    // A third dispatcher at the same desk still gets in.
    let cy = app.staff("cy", "Cy Diaz", Role::Dispatcher).await;
    assert_eq!(open(&cy).await.status(), 200);
    // One of Ana's tabs closes: she may open another.
    drop(feeds.remove(0));
    opens_again(async || open(&ana).await).await;
}

#[tokio::test]
async fn feeds_are_capped_in_total() {
    let app = spawn_app_with(&["--trust-forwarded-for", "--max-feeds", "3", "--feed-limit-per-minute", "1000"]).await;
    let (feed, _) = status_feed(&app).await;
    let mut open = Vec::new();
    for address in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        let r = open_from(&app, &feed, address).await;
        assert_eq!(r.status(), 200);
        open.push(r);
    }
    let full = open_from(&app, &feed, "203.0.113.4").await;
    assert_eq!(full.status(), 503);
    assert!(full.headers().contains_key("retry-after"));
    let tech = app.staff("tess", "Tess Ng", Role::Technician).await;
    let staff_feed = tech.client.get(tech.url(paths::STAFF_BOARD_EVENTS)).send().await.unwrap();
    assert_eq!(staff_feed.status(), 503, "staff feeds count in the same total");
    assert_eq!(staff_feed.json::<Value>().await.unwrap()["error"], "feeds_full");

    drop(open.pop());
    opens_again(async || open_from(&app, &feed, "203.0.113.4").await).await;
}

#[tokio::test]
async fn a_feed_ends_after_its_lifetime_and_the_next_one_starts_with_the_whole_view() {
    let app = spawn_app_with(&["--feed-lifetime", "1s"]).await;
    let (feed, token) = status_feed(&app).await;
    let started = Instant::now();
    let mut first = Feed::new(app.client.get(&feed).send().await.unwrap());
    let view = first.next_within(Duration::from_secs(5)).await.expect("the whole view at once");
    assert_eq!(view["callback_requested"], false);
    // Nothing changes; the feed ends by itself, within its lifetime (less up to a tenth).
    assert!(first.next_within(Duration::from_secs(5)).await.is_none(), "the feed sent a view with nothing changed");
    let lived = started.elapsed();
    assert!(lived >= Duration::from_millis(850) && lived < Duration::from_secs(3), "lived {lived:?}");

    // A change while the browser was between feeds: the reconnected feed's first message carries it.
    assert_eq!(app.post_form(&paths::at(paths::CALL_ME_BACK, &token), &[]).await.status(), 303);
    let mut again = Feed::new(app.client.get(&feed).send().await.unwrap());
    let view = again.next_within(Duration::from_secs(5)).await.expect("the whole view at once");
    assert_eq!(view["callback_requested"], true);
    assert_eq!(view["number"], app.status(&token).await["number"]);
}

#[tokio::test]
async fn healthz_proves_a_write_and_answers_503_while_the_database_cannot_write() {
    let app = spawn_app_with(&["--health-timeout", "500ms"]).await;
    let (_, token) = status_feed(&app).await;
    let health = || app.client.get(app.url(paths::HEALTH)).send();
    let r = health().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "ok");

    // The check wrote its row: a read alone would not have.
    let mut other = app.db().await;
    let (checked_at,): (i64,) = sqlx::query_as("SELECT checked_at FROM health").fetch_one(&mut other).await.unwrap();
    assert!(checked_at > 0);

    // Another process holds the write lock (as a stuck writer, or a full disk, leaves every write failing).
    let lock = match crate::common::postgres() {
        Some(_) => "BEGIN; LOCK TABLE health IN ACCESS EXCLUSIVE MODE",
        None => "BEGIN EXCLUSIVE",
    };
    sqlx::raw_sql(lock).execute(&mut other).await.unwrap();
    let started = Instant::now();
    let r = health().await.unwrap();
    assert_eq!(r.status(), 503);
    assert!(started.elapsed() < Duration::from_secs(3), "answered after {:?}", started.elapsed());
    assert!(r.headers().contains_key("retry-after"));
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["error"], "database_unwritable", "{problem}");
    // Reads still work meanwhile: this is what `SELECT 1` would have called healthy.
    assert_eq!(app.status(&token).await["callback_requested"], false);

    sqlx::raw_sql("ROLLBACK").execute(&mut other).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while health().await.unwrap().status() != 200 {
        assert!(Instant::now() < deadline, "healthz did not recover once the lock was gone");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn sigterm_drains_healthz_503_closes_feeds_and_exits_0_within_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::common::fresh_database(dir.path());
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["--addr", &format!("127.0.0.1:{port}"), "--database-url", &db, "--site-root", "target/none"])
        .args(["--shutdown-notice", "1s", "--drain-timeout", "3s"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !client.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status() == 200) {
        assert!(Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A customer's request and its status page, open.
    let sent = client
        .post(format!("{base}{}", paths::SEND))
        .form(&[("problem", "battery"), ("phone", "+12015550123"), ("place", "Exit 9")])
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 303);
    let status_page = sent.headers()["location"].to_str().unwrap().to_owned();
    let mut feed = Feed::new(client.get(format!("{base}{status_page}/events")).send().await.unwrap());
    assert!(feed.next_within(Duration::from_secs(5)).await.is_some());

    let signalled = Instant::now();
    let killed = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    assert!(killed.success());

    // While draining (the notice): healthz says so, with the feed still open.
    let deadline = Instant::now() + Duration::from_secs(1);
    let draining = loop {
        let r = client.get(format!("{base}/healthz")).send().await.unwrap();
        if r.status() == 503 {
            break r.json::<Value>().await.unwrap();
        }
        assert!(Instant::now() < deadline, "healthz still answers {} after SIGTERM", r.status());
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(draining["error"], "draining");

    // The feed ends (sending nothing more) once the server stops accepting.
    assert!(feed.next_within(Duration::from_secs(5)).await.is_none(), "the feed sent a view after SIGTERM");
    assert!(signalled.elapsed() >= Duration::from_millis(900), "the feed ended before the notice was over");

    // The process exits, successfully, within notice + drain (and a little for the runtime).
    let exited = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status;
        }
        if signalled.elapsed() > Duration::from_secs(6) {
            let _ = server.kill();
            panic!("the server did not exit within the notice and the drain timeout");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(exited.code(), Some(0));
    assert!(client.get(format!("{base}/healthz")).send().await.is_err(), "nothing listens any more");
}
