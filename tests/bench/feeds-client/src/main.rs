//! The feeds benchmark's client, driven by `tests/bench/feeds.mjs`: it opens N live feeds on one path, says
//! `opened`, waits for `go` on stdin, sends the change and prints, as JSON, how long after the change each feed
//! had a view carrying the marker. It shares the machine's two cores with the server, so its own work per message
//! is kept to one read and one search on one thread (Node spent 9–15 ms of CPU per 1,000 feeds on the same job).
//!
//! Usage: feeds-client <host:port>[,<host:port>…] <feed path> <feeds> <marker> <change path>
//! With several instances the feeds are spread over them in turn, and the change goes to the first.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::TcpStream,
    sync::Notify,
};

/// How many feeds connect at once.
const BATCH: usize = 500;
/// How long the feeds have to receive the change.
const WAIT: Duration = Duration::from_secs(60);

struct Shared {
    opened: AtomicUsize,
    arrivals: Mutex<Vec<Instant>>,
    /// Rung when a feed opens and when one receives the change.
    progress: Notify,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, path, feeds, marker, change] = <[String; 5]>::try_from(args)
        .unwrap_or_else(|_| panic!("usage: feeds-client <host:port> <feed path> <feeds> <marker> <change path>"));
    let feeds: usize = feeds.parse().expect("feeds: a number");
    let addrs: Vec<String> = addr.split(',').map(str::to_owned).collect();
    let addr = addrs[0].clone();
    let shared =
        Arc::new(Shared { opened: AtomicUsize::new(0), arrivals: Mutex::new(Vec::new()), progress: Notify::new() });
    let marker: Arc<[u8]> = marker.into_bytes().into();

    for batch in (0..feeds).step_by(BATCH) {
        let until = (batch + BATCH).min(feeds);
        for i in batch..until {
            tokio::spawn(feed(addrs[i % addrs.len()].clone(), path.clone(), marker.clone(), shared.clone()));
        }
        while shared.opened.load(Ordering::Acquire) < until {
            shared.progress.notified().await;
        }
    }
    println!("opened");

    let mut stdin = BufReader::new(tokio::io::stdin()).lines();
    while stdin.next_line().await.unwrap().is_some_and(|line| line.trim() != "go") {}

    let sent = Instant::now();
    let status = post(&addr, &change).await;
    let deadline = tokio::time::Instant::from_std(sent + WAIT);
    while shared.arrivals.lock().unwrap().len() < feeds {
        if tokio::time::timeout_at(deadline, shared.progress.notified()).await.is_err() {
            break;
        }
    }
    let times: Vec<String> = shared
        .arrivals
        .lock()
        .unwrap()
        .iter()
        .map(|at| format!("{:.3}", at.duration_since(sent).as_secs_f64() * 1000.0))
        .collect();
    println!("{{\"status\":{status},\"times_ms\":[{}]}}", times.join(","));
}

/// One feed: connects, reads its first view, then waits for a view carrying the marker.
async fn feed(addr: String, path: String, marker: Arc<[u8]>, shared: Arc<Shared>) {
    let mut stream = TcpStream::connect(&addr).await.unwrap_or_else(|e| panic!("connect: {e}"));
    stream.set_nodelay(true).unwrap();
    let head = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut reader = Reader { stream, buf: vec![0; 4096], seen: Vec::new() };
    reader.wait_for(b"\ndata:").await;
    shared.opened.fetch_add(1, Ordering::AcqRel);
    shared.progress.notify_one();
    reader.wait_for(&marker).await;
    shared.arrivals.lock().unwrap().push(Instant::now());
    shared.progress.notify_one();
    // Held open until the process ends, as a page left open would be.
    std::future::pending::<()>().await;
}

struct Reader {
    stream: TcpStream,
    buf: Vec<u8>,
    /// What was read and not yet searched past: a needle split between two reads is still found.
    seen: Vec<u8>,
}

impl Reader {
    async fn wait_for(&mut self, needle: &[u8]) {
        loop {
            let n = self.stream.read(&mut self.buf).await.unwrap_or_else(|e| panic!("read: {e}"));
            assert!(n > 0, "the server closed a feed");
            self.seen.extend_from_slice(&self.buf[..n]);
            if self.seen.windows(needle.len()).any(|w| w == needle) {
                self.seen.clear();
                return;
            }
            let searched = self.seen.len().saturating_sub(needle.len() - 1);
            self.seen.drain(..searched);
        }
    }
}

/// Sends the change (an empty POST, answered as JSON) and returns its status.
async fn post(addr: &str, path: &str) -> u16 {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let line = String::from_utf8_lossy(&answer);
    line.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}
