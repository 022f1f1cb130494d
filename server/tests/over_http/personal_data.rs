//! Personal data stays where it belongs: out of logs, caches and URLs, off other accounts' disks, and a
//! technician's reasons stay with staff.
use std::{
    process::{Command, Stdio},
    time::Duration,
};

use crate::common::{flat_tire, spawn_app, spawn_app_with};
use app::{domain::Role, paths};
use serde_json::Value;

#[tokio::test]
async fn answers_with_personal_data_are_never_cached() {
    let app = spawn_app().await;
    let created: Value = app.create(flat_tire()).await.json().await.unwrap();
    let token = created["token"].as_str().unwrap();
    let dana = app.staff("dana", "Dana Okafor", Role::Dispatcher).await;
    let staff_reads = [paths::STAFF_DISPATCH.to_owned(), paths::DISPATCH_REPORTS_CSV.to_owned()];
    for path in [paths::at(paths::STATUS, token), paths::at(paths::API_REQUEST, token)] {
        let r = app.client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(r.headers()["cache-control"], "no-store", "{path}");
    }
    for path in staff_reads {
        let r = dana.client.get(dana.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["cache-control"], "no-store", "{path}");
    }
    assert!(
        app.client.get(app.url(paths::HOME)).send().await.unwrap().headers().get("strict-transport-security").is_none()
    );
}

#[tokio::test]
async fn https_deployments_send_hsts() {
    let app = spawn_app_with(&["--public-url", "https://help.example.com"]).await;
    let r = app.client.get(app.url(paths::HOME)).send().await.unwrap();
    assert!(r.headers()["strict-transport-security"].to_str().unwrap().contains("max-age=31536000"));
}

#[tokio::test]
async fn a_technicians_reason_for_handing_a_job_back_stays_with_staff() {
    let app = spawn_app().await;
    let created: Value = app.create(flat_tire()).await.json().await.unwrap();
    let (number, token) = (created["number"].as_str().unwrap(), created["token"].as_str().unwrap());
    let sam = app.staff("sam", "Sam Rivera", Role::Technician).await;
    assert_eq!(sam.step(number, &[("action", "accept")]).await.status(), 204);
    let reason = "Customer was rude on the phone";
    assert_eq!(sam.step(number, &[("action", "cant_take"), ("note", reason)]).await.status(), 204);
    let status = app.status(token).await;
    assert!(!status.to_string().contains(reason), "{status}");
    let page = app.client.get(app.url(&paths::at(paths::STATUS, token))).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains(reason));
    assert!(page.contains("could not come after all"), "the customer reads a neutral line");
    // Dispatch still reads it.
    let dana = app.staff("dana", "Dana Okafor", Role::Dispatcher).await;
    let (_, view) = dana.get_json(&paths::at(paths::STAFF_DISPATCH_REQUEST, number)).await;
    assert!(view.to_string().contains(reason));
}

#[cfg(unix)]
#[tokio::test]
async fn the_database_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    if crate::common::postgres().is_some() {
        // PostgreSQL's files are its own server's, with its own owner and modes (initdb makes them 0700).
        return;
    }
    let app = spawn_app().await;
    assert_eq!(app.create(flat_tire()).await.status(), 201);
    let dir = app.data_dir();
    for name in ["roadcall.db", "roadcall.db-wal", "roadcall.db-shm"] {
        let mode = std::fs::metadata(dir.join(name)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{name} is {mode:o}");
    }
}

/// The real binary, logging everything it would at debug level, sees a customer's request through: neither the
/// status link's token nor the phone number reaches its log.
#[tokio::test]
async fn tokens_and_phone_numbers_stay_out_of_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::common::fresh_database(dir.path());
    let bin = env!("CARGO_BIN_EXE_server");
    let added = Command::new(bin).args(["partner", "add", "logs", "--database-url", &db]).output().unwrap();
    assert!(added.status.success());
    let key = String::from_utf8(added.stdout).unwrap().lines().last().unwrap().to_owned();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let log = dir.path().join("server.log");
    let mut server = Command::new(bin)
        .args(["--addr", &format!("127.0.0.1:{port}"), "--database-url", &db, "--site-root", "target/none"])
        .env("RUST_LOG", "debug")
        // The log goes to standard output.
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut up = false;
    for _ in 0..200 {
        if client.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status() == 200) {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "the server came up");
    let created: Value = client
        .post(format!("{base}{}", paths::API_REQUESTS))
        .bearer_auth(&key)
        .json(&flat_tire())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = created["token"].as_str().unwrap();
    for path in [paths::at(paths::STATUS, token), paths::at(paths::API_REQUEST, token)] {
        assert_eq!(client.get(format!("{base}{path}")).send().await.unwrap().status(), 200);
    }
    // Refused (no place): the form comes back with the number in it, and still nothing in the log.
    let refused = [("problem", "battery"), ("phone", "+1 201 555 0177")];
    client.post(format!("{base}{}", paths::SEND)).form(&refused).send().await.unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    let written = std::fs::read_to_string(&log).unwrap();
    assert!(written.contains("/r/…"), "requests are logged, with the token cut out");
    assert!(!written.contains(token), "a token reached the log");
    assert!(!written.contains(&key), "a partner key reached the log");
    for phone in ["2015550123", "201 555 0123", "2015550177", "201 555 0177"] {
        assert!(!written.contains(phone), "a phone number reached the log");
    }
}
