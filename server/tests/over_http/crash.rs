//! Every request the server acknowledged survives `kill -9` and a restart, exactly once.
use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use serde_json::{Value, json};

fn start(db: &str, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["--addr", &format!("127.0.0.1:{port}"), "--database-url", db, "--site-root", "target/none"])
        .args(["--send-limit-per-minute", "100000", "--read-limit-per-minute", "100000"])
        .args(["--partner-limit-per-minute", "100000"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

async fn wait_healthy(client: &reqwest::Client, base: &str) {
    for _ in 0..200 {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await
            && r.status() == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server did not become healthy");
}

/// A partner key, made with the CLI before the server starts, as an operator would.
fn partner_key(db: &str) -> String {
    let added = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["partner", "add", "crash-test", "--database-url", db])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(added.status.success(), "{added:?}");
    String::from_utf8(added.stdout).unwrap().lines().last().unwrap().to_owned()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn acknowledged_requests_survive_kill_9_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/roadcall.db", dir.path().display());
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();

    let partner = partner_key(&db);
    let mut server = start(&db, port);
    wait_healthy(&client, &base).await;

    // Four senders submit as fast as they can; the server is killed while they are at it.
    let senders: Vec<_> = (0..4)
        .map(|sender| {
            let client = client.clone();
            let base = base.clone();
            let partner = partner.clone();
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                for i in 0.. {
                    let key = format!("crash-{sender}-{i}");
                    let body = json!({"problem": "battery", "phone": "+12015550123", "place": key});
                    let sent = client
                        .post(format!("{base}/api/v1/requests"))
                        .bearer_auth(&partner)
                        .header("Idempotency-Key", &key)
                        .json(&body)
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status() == 201 => {
                            let v: Value = r.json().await.unwrap_or_default();
                            if let Some(token) = v["token"].as_str() {
                                acknowledged.push((key, token.to_owned()));
                            }
                        }
                        Ok(r) => panic!("unexpected answer {}", r.status()),
                        Err(_) => break, // the server is gone
                    }
                }
                acknowledged
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill().unwrap(); // SIGKILL: no shutdown, no flush
    server.wait().unwrap();
    let mut acknowledged = Vec::new();
    for s in senders {
        acknowledged.extend(s.await.unwrap());
    }
    assert!(acknowledged.len() > 20, "the test must catch the server busy: {} acknowledged", acknowledged.len());

    let mut server = start(&db, port);
    wait_healthy(&client, &base).await;
    for (key, token) in &acknowledged {
        let r = client.get(format!("{base}/api/v1/requests/{token}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "acknowledged request {key} was lost");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["place"], key.as_str());
        // Once: the same key sent again names the same request instead of storing a second one.
        let again = client
            .post(format!("{base}/api/v1/requests"))
            .bearer_auth(&partner)
            .header("Idempotency-Key", key)
            .json(&json!({"problem": "battery", "phone": "+12015550123", "place": key}))
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 200, "{key} was stored twice or not at all");
        assert_eq!(again.json::<Value>().await.unwrap()["token"], token.as_str());
    }
    server.kill().unwrap();
    server.wait().unwrap();
}
