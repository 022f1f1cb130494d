//! Every request the server acknowledged survives `kill -9` and a restart, exactly once: a crash loop of
//! `CYCLES` kills, each landing while several senders write through the partner API and the web form, with and
//! without idempotency keys. After each restart every request acknowledged so far is there once, and a retry of
//! a key (acknowledged, or in flight when the kill landed) names the same request instead of storing another.
use std::{
    collections::{HashMap, HashSet},
    fs::File,
    process::{Child, Command, Stdio},
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

use rand::{Rng, SeedableRng, rngs::StdRng};
use serde_json::{Value, json};
use sqlx::AnyPool;

const CYCLES: u32 = 20;
const SENDERS: usize = 8;

/// A running server and where it answers.
pub(crate) struct Running {
    pub(crate) child: Child,
    pub(crate) base: String,
}

fn spawn(db: &str, port: u16, log: &std::path::Path, extra: &[String]) -> Child {
    let log = File::options().create(true).append(true).open(log).unwrap();
    Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["--addr", &format!("127.0.0.1:{port}"), "--database-url", db, "--site-root", "target/none"])
        .args(["--send-limit-per-minute", "100000", "--read-limit-per-minute", "100000"])
        .args(["--partner-limit-per-minute", "100000"])
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts the server on a free port and waits for `/healthz`; a port taken meanwhile by someone else (the
/// server exits) is retried on another.
pub(crate) async fn start(client: &reqwest::Client, db: &str, log: &std::path::Path, extra: &[String]) -> Running {
    for _ in 0..10 {
        let port = free_port();
        let mut child = spawn(db, port, log, extra);
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            if let Ok(r) = client.get(format!("{base}/healthz")).send().await
                && r.status() == 200
            {
                return Running { child, base };
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("the server did not start: {}", std::fs::read_to_string(log).unwrap_or_default());
}

/// A partner key, made with the CLI before the server starts, as an operator would.
pub(crate) fn partner_key(db: &str) -> String {
    let added = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["partner", "add", "crash-test", "--database-url", db])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(added.status.success(), "{added:?}");
    String::from_utf8(added.stdout).unwrap().lines().last().unwrap().to_owned()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Via {
    Api,
    Form,
}

/// One request as a sender sent it: `place` is unique to it, so the store can be searched for duplicates.
#[derive(Clone, Debug)]
struct Sent {
    via: Via,
    place: String,
    key: Option<String>,
}

/// The server's answer to a request it stored: the token from the body or the redirect, the number when told.
#[derive(Clone, Debug)]
struct Ack {
    sent: Sent,
    token: String,
    number: Option<String>,
}

async fn send(client: &reqwest::Client, base: &str, partner: &str, sent: &Sent) -> Result<Ack, reqwest::Error> {
    let r = match sent.via {
        Via::Api => {
            let mut post = client
                .post(format!("{base}/api/v1/requests"))
                .bearer_auth(partner)
                .json(&json!({"problem": "battery", "phone": "+12015550123", "place": sent.place}));
            if let Some(key) = &sent.key {
                post = post.header("Idempotency-Key", key);
            }
            post.send().await?
        }
        Via::Form => {
            let mut form = vec![("problem", "battery"), ("phone", "+12015550123"), ("place", sent.place.as_str())];
            if let Some(key) = &sent.key {
                form.push(("key", key));
            }
            client.post(format!("{base}/request")).form(&form).send().await?
        }
    };
    let status = r.status().as_u16();
    match (sent.via, status) {
        (Via::Api, 200 | 201) => {
            let v: Value = r.json().await?;
            let token = v["token"].as_str().unwrap().to_owned();
            Ok(Ack { sent: sent.clone(), token, number: v["number"].as_str().map(str::to_owned) })
        }
        (Via::Form, 303) => {
            let location = r.headers()["location"].to_str().unwrap();
            let token = location.strip_prefix("/r/").unwrap().to_owned();
            Ok(Ack { sent: sent.clone(), token, number: None })
        }
        _ => panic!("{sent:?} was answered {status}: {}", r.text().await.unwrap_or_default()),
    }
}

/// What one sender saw in one cycle: answered requests, and the one in flight when the server died.
struct Outcome {
    acked: Vec<Ack>,
    in_flight: Option<Sent>,
}

static FORM_KEYS: AtomicU64 = AtomicU64::new(1);

fn next_sent(cycle: u32, sender: usize, i: u32) -> Sent {
    // Each sender has its own way in: API or form, with a key or without.
    let via = if sender.is_multiple_of(2) { Via::Api } else { Via::Form };
    let keyed = sender % 4 < 2;
    let place = format!("crash c{cycle} s{sender} #{i}");
    let key = keyed.then(|| match via {
        Via::Api => format!("crash-{cycle}-{sender}-{i}"),
        // The form's key is 32 hex digits, drawn by the page.
        Via::Form => format!("{:032x}", FORM_KEYS.fetch_add(1, Ordering::Relaxed) | (u64::from(cycle) << 48)),
    });
    Sent { via, place, key }
}

/// Every request in the store: token → (number, place), and how often each place occurs.
async fn stored(pool: &AnyPool) -> (HashMap<String, (String, String)>, HashMap<String, u32>) {
    let rows: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT token, number, place FROM help_requests").fetch_all(pool).await.unwrap();
    let mut places = HashMap::new();
    let mut tokens = HashMap::new();
    for (token, number, place) in rows {
        let place = place.unwrap_or_default();
        *places.entry(place.clone()).or_insert(0) += 1;
        tokens.insert(token, (number, place));
    }
    (tokens, places)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_requests_survive_a_kill_9_loop_exactly_once() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let db = crate::common::fresh_database(dir.path());
    let log = dir.path().join("server.log");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut rng = StdRng::seed_from_u64(0xC0A5_4100_9000_0001);

    let partner = partner_key(&db);
    let mut server = start(&client, &db, &log, &[]).await;
    let pool = crate::common::any_pool(&db).await;
    let mut acknowledged: Vec<Ack> = Vec::new();
    let mut kills_mid_write = 0;

    for cycle in 0..CYCLES {
        // The senders write as fast as they can until the server is gone.
        let answered = std::sync::Arc::new(AtomicU64::new(0));
        let senders: Vec<_> = (0..SENDERS)
            .map(|sender| {
                let client = client.clone();
                let base = server.base.clone();
                let partner = partner.clone();
                let answered = answered.clone();
                tokio::spawn(async move {
                    let mut acked = Vec::new();
                    for i in 0.. {
                        let sent = next_sent(cycle, sender, i);
                        match send(&client, &base, &partner, &sent).await {
                            Ok(ack) => {
                                answered.fetch_add(1, Ordering::SeqCst);
                                acked.push(ack);
                            }
                            Err(_) => return Outcome { acked, in_flight: Some(sent) },
                        }
                    }
                    unreachable!()
                })
            })
            .collect();
        // The kill lands while requests are being answered: once a few are, at a random moment after, however
        // slow the machine is today.
        let waiting = Instant::now();
        while answered.load(Ordering::SeqCst) < SENDERS as u64 {
            assert!(
                waiting.elapsed() < Duration::from_secs(60),
                "cycle {cycle}: the server answered nothing for a minute"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(0..300))).await;
        server.child.kill().unwrap(); // SIGKILL: no shutdown, no flush
        server.child.wait().unwrap();
        let mut this_cycle = Vec::new();
        let mut in_flight = Vec::new();
        for s in senders {
            let outcome = s.await.unwrap();
            this_cycle.extend(outcome.acked);
            in_flight.extend(outcome.in_flight);
        }
        assert!(!this_cycle.is_empty(), "cycle {cycle}: the kill must land while requests are answered");

        server = start(&client, &db, &log, &[]).await;
        let base = &server.base;

        // A request that was in flight when the kill landed may or may not be stored; retried with its key it is
        // stored once, either way. Without a key the customer would see an error and send again: a new request.
        let mut stored_before_retry = 0;
        let (tokens, _) = stored(&pool).await;
        let places_stored: HashSet<&str> = tokens.values().map(|(_, p)| p.as_str()).collect();
        for sent in in_flight.iter().filter(|s| s.key.is_some()) {
            if places_stored.contains(sent.place.as_str()) {
                stored_before_retry += 1;
            }
            let ack = send(&client, base, &partner, sent).await.unwrap();
            this_cycle.push(ack);
        }
        if stored_before_retry > 0 {
            kills_mid_write += 1;
        }

        // Every request acknowledged so far is in the store, once, with its number and place.
        let (tokens, places) = stored(&pool).await;
        for ack in acknowledged.iter().chain(&this_cycle) {
            let Some((number, place)) = tokens.get(&ack.token) else {
                panic!("cycle {cycle}: acknowledged {:?} was lost", ack.sent);
            };
            assert_eq!(place, &ack.sent.place, "cycle {cycle}: token {} names another request", ack.token);
            if let Some(n) = &ack.number {
                assert_eq!(n, number, "cycle {cycle}: {:?} changed its number", ack.sent);
            }
            assert_eq!(places[&ack.sent.place], 1, "cycle {cycle}: {:?} was stored twice", ack.sent);
        }
        // Nothing stored twice, acknowledged or not.
        let doubled: Vec<_> = places.iter().filter(|(_, n)| **n > 1).collect();
        assert!(doubled.is_empty(), "cycle {cycle}: stored more than once: {doubled:?}");

        // The server itself shows them: by token, with the number, and a retried key gives the same request.
        for ack in this_cycle.iter().filter(|_| rng.random_bool(0.25)).take(25) {
            let r = client.get(format!("{base}/api/v1/requests/{}", ack.token)).send().await.unwrap();
            assert_eq!(r.status(), 200, "cycle {cycle}: {:?} not shown after the restart", ack.sent);
            let v: Value = r.json().await.unwrap();
            assert_eq!(v["place"], ack.sent.place.as_str());
            assert_eq!(v["number"].as_str().unwrap(), tokens[&ack.token].0);
            if ack.sent.key.is_some() {
                let again = send(&client, base, &partner, &ack.sent).await.unwrap();
                assert_eq!(again.token, ack.token, "cycle {cycle}: retrying {:?} made another request", ack.sent);
            }
        }
        acknowledged.extend(this_cycle);
    }
    // Retries made after the checks above must not have doubled anything either.
    let (_, places) = stored(&pool).await;
    assert!(places.values().all(|n| *n == 1), "a retry stored a request twice");
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    eprintln!(
        "crash loop: {CYCLES} kills, {} requests acknowledged and found exactly once, {kills_mid_write} kills with a \
         keyed request stored but not yet answered, {:.1} s",
        acknowledged.len(),
        started.elapsed().as_secs_f64()
    );
}
