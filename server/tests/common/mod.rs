//! Starts the real app on port 0 with a fresh SQLite file, once per test (zero2prod's `spawn_app`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use clap::Parser;
use server::{Config, Server};

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    _dir: tempfile::TempDir,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

pub async fn spawn_app_with(extra: &[&str]) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/roadcall.db", dir.path().display());
    let mut args = vec![
        "server",
        "--addr",
        "127.0.0.1:0",
        "--database-url",
        &db,
        "--site-root",
        "target/none",
        "--default-region",
        "US",
        "--call-us",
        "+1 202 555 0100",
    ];
    args.extend_from_slice(extra);
    let config = Config::parse_from(args);
    let server = Server::bind(&config).await.unwrap();
    let base = format!("http://{}", server.addr);
    tokio::spawn(server.serve());
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    TestApp { base, client, _dir: dir }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn create(&self, body: serde_json::Value) -> reqwest::Response {
        self.client.post(self.url("/api/v1/requests")).json(&body).send().await.unwrap()
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client.post(self.url(path)).form(form).send().await.unwrap()
    }

    pub async fn status(&self, token: &str) -> serde_json::Value {
        let r = self.client.get(self.url(&format!("/api/v1/requests/{token}"))).send().await.unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }
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
