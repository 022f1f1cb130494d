//! Starts the real app on port 0 with a fresh SQLite file, once per test (zero2prod's `spawn_app`).
#![allow(dead_code)]

pub mod fake_twilio;

use clap::Parser;
use server::{Config, Server};

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub services: app::services::Services,
    /// A partner's API key, made at start as `server partner add` would.
    pub partner_key: String,
    /// The app's database, for tests that must reach under the app (a damaged row, say).
    pub database_url: String,
    _dir: tempfile::TempDir,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// The server the suite runs on when it runs on PostgreSQL (tests/run.sh starts one and sets this); unset: SQLite.
pub fn postgres() -> Option<String> {
    std::env::var("ROADCALL_TEST_POSTGRES").ok().filter(|url| !url.is_empty())
}

/// A new, empty database for one test: a SQLite file in `dir`, or on PostgreSQL a database of its own. Callable
/// from plain and async tests alike (it makes the database on a thread of its own).
pub fn fresh_database(dir: &std::path::Path) -> String {
    let Some(server) = postgres() else { return format!("sqlite://{}/roadcall.db", dir.display()) };
    let name = format!("test_{:016x}", rand::random::<u64>());
    let create = format!("CREATE DATABASE {name}");
    let url = server.clone();
    std::thread::spawn(move || {
        use sqlx::{Connection, Executor};
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
            admin.execute(create.as_str()).await.unwrap();
            admin.close().await.unwrap();
        });
    })
    .join()
    .unwrap();
    let (_, query) = server.split_once('?').unwrap_or((&server, ""));
    let base = server.split_once("localhost/").map_or(server.as_str(), |(base, _)| base);
    format!("{base}localhost/{name}?{query}")
}

/// A pool straight to a database by its URL, whichever backend.
pub async fn any_pool(url: &str) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::AnyPool::connect(url).await.unwrap()
}

pub async fn spawn_app_with(extra: &[&str]) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(dir.path());
    start(db, dir, extra, None).await
}

/// The app on `db`, in this process: its own port, pool, writer, ladder and live feed.
async fn start(db: String, dir: tempfile::TempDir, extra: &[&str], partner_key: Option<String>) -> TestApp {
    let mut args = vec!["server", "--addr", "127.0.0.1:0", "--database-url", &db];
    // No built site unless a test brings its own.
    if !extra.contains(&"--site-root") {
        args.extend_from_slice(&["--site-root", "target/none"]);
    }
    args.extend_from_slice(&["--default-region", "US", "--call-us", "+1 202 555 0100"]);
    args.extend_from_slice(extra);
    // A flag this build does not know fails the one test, not the whole test binary (`parse_from` exits).
    let config = Config::try_parse_from(args).unwrap_or_else(|e| panic!("{e}"));
    let server = Server::bind(&config).await.unwrap();
    let base = format!("http://{}", server.addr);
    let services = server.services.clone();
    tokio::spawn(server.serve());
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let partner_key = match partner_key {
        Some(key) => key,
        None => services.add_partner("test-partner", None).await.unwrap().0,
    };
    TestApp { base, client, services, partner_key, database_url: db.clone(), _dir: dir }
}

impl TestApp {
    /// Another instance of the app on this one's database (PostgreSQL), as a second server behind a load
    /// balancer would be: the same partner key works on both.
    pub async fn another_instance(&self, extra: &[&str]) -> TestApp {
        start(self.database_url.clone(), tempfile::tempdir().unwrap(), extra, Some(self.partner_key.clone())).await
    }
}

impl TestApp {
    /// A connection straight to the app's database, whichever backend: for tests that must reach under the app.
    pub async fn db(&self) -> sqlx::AnyConnection {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        sqlx::AnyConnection::connect(&self.database_url).await.unwrap()
    }

    /// Where this app's SQLite file lives.
    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn create(&self, body: serde_json::Value) -> reqwest::Response {
        self.api_post().json(&body).send().await.unwrap()
    }

    /// A POST to the partner API with the test partner's key.
    pub fn api_post(&self) -> reqwest::RequestBuilder {
        self.client.post(self.url(app::paths::API_REQUESTS)).bearer_auth(&self.partner_key)
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client.post(self.url(path)).form(form).send().await.unwrap()
    }

    /// The request as a partner reads it.
    pub async fn status(&self, token: &str) -> serde_json::Value {
        let r = self.client.get(self.url(&format!("/api/v1/requests/{token}"))).send().await.unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }
}

/// A member of staff logged in through the real login form, with their own cookie jar.
pub struct StaffClient {
    pub client: reqwest::Client,
    /// The session cookie as sent (`name=value`), for tests that write their own headers.
    pub cookie: String,
    pub csrf: String,
    pub id: i64,
    base: String,
}

impl TestApp {
    pub async fn add_staff(&self, login: &str, name: &str, role: app::domain::Role) {
        let new = app::domain::NewStaff::new(login, name, role, "a long enough password").unwrap();
        self.services.add_staff(&new).await.unwrap();
    }

    /// Adds the account with a mobile number for texts and calls, and logs it in.
    pub async fn staff_with_phone(&self, login: &str, name: &str, role: app::domain::Role, phone: &str) -> StaffClient {
        let region = app::domain::Region::parse("US").unwrap();
        let new = app::domain::NewStaff::new(login, name, role, "a long enough password").unwrap();
        self.services.add_staff(&new.with_phone(phone, region).unwrap()).await.unwrap();
        self.log_in(login, "a long enough password").await.unwrap()
    }

    /// Adds the account and logs it in.
    pub async fn staff(&self, login: &str, name: &str, role: app::domain::Role) -> StaffClient {
        self.add_staff(login, name, role).await;
        self.log_in(login, "a long enough password").await.unwrap()
    }

    pub async fn log_in(&self, login: &str, password: &str) -> Result<StaffClient, (u16, String)> {
        let client =
            reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let r = client
            .post(self.url("/login"))
            .header("accept", "application/json")
            .form(&[("login", login), ("password", password)])
            .send()
            .await
            .unwrap();
        if r.status() != 200 {
            let status = r.status().as_u16();
            return Err((status, r.json::<serde_json::Value>().await.unwrap()["message"].as_str().unwrap().into()));
        }
        // The session's cookie (the other one is the member's language).
        let session = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|c| c.to_str().unwrap())
            .find(|c| !c.starts_with("roadcall_lang="));
        let cookie = session.unwrap().split(';').next().unwrap().to_owned();
        let board: serde_json::Value =
            client.get(self.url("/staff/api/board")).send().await.unwrap().json().await.unwrap();
        Ok(StaffClient {
            cookie,
            csrf: board["csrf"].as_str().unwrap().to_owned(),
            id: board["me"]["id"].as_i64().unwrap(),
            client,
            base: self.base.clone(),
        })
    }
}

impl StaffClient {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Posts as the wasm does: form body, CSRF header, JSON answers.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("accept", "application/json")
            .header("x-csrf-token", &self.csrf)
            .form(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn step(&self, number: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.post(&format!("/tech/jobs/{number}/step"), form).await
    }

    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let r = self.client.get(self.url(path)).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }
}

/// A time as the partner API writes it (RFC 3339), as unix ms.
pub fn unix_ms(rfc3339: &serde_json::Value) -> i64 {
    let text = rfc3339.as_str().unwrap_or_else(|| panic!("a time, not {rfc3339}"));
    let t = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).unwrap();
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap()
}

pub fn flat_tire() -> serde_json::Value {
    serde_json::json!({
        "problem": "flat_tire",
        "phone": "+1 201 555 0123",
        "location": {"lat": 40.7128, "lon": -74.006, "accuracy_m": 12.0},
        "vehicle": {"make": "VW", "model": "Golf", "colour": "blue", "plate": "RC 123"},
        "access_notes": "Gate code 4711"
    })
}

/// A live feed being read: each `data:` line is one whole view.
pub struct LiveFeed {
    response: reqwest::Response,
    buffer: String,
}

impl LiveFeed {
    pub fn new(response: reqwest::Response) -> LiveFeed {
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        LiveFeed { response, buffer: String::new() }
    }

    /// The next view within 15 s, or `None` once the server has ended the feed.
    pub async fn next(&mut self) -> Option<serde_json::Value> {
        self.next_within(std::time::Duration::from_secs(15)).await
    }

    /// The next view, or `None` once the server has ended (or cut) the feed; fails the test when neither comes
    /// in time.
    pub async fn next_within(&mut self, within: std::time::Duration) -> Option<serde_json::Value> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if let Some(data) = block.lines().find_map(|l| l.strip_prefix("data: ")) {
                    return Some(serde_json::from_str(data).unwrap());
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .expect("the feed neither sent a view nor ended")
                .ok()
                .flatten();
            match chunk {
                Some(bytes) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                None => return None,
            }
        }
    }
}
