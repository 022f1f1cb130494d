//! Benchmark (not a test): the dispatch board and the escalation ladder with 200,000 closed and 2,000 open
//! requests in one SQLite file (or, with BENCH_POSTGRES set to a server's URL as tests/postgres.sh prints it, in
//! a new PostgreSQL database), and the ladder's idle CPU. Figures from one run, printed as table rows for
//! tests/bench/RESULTS.md. Run: cargo run --release -p server --example store_bench [closed] [open]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use app::domain::{NewStaff, Role};
use clap::Parser;
use server::{Config, Server};
use sqlx::Connection;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let closed: i64 = args.next().map(|a| a.parse().unwrap()).unwrap_or(200_000);
    let open: i64 = args.next().map(|a| a.parse().unwrap()).unwrap_or(2_000);
    let dir = tempfile::tempdir().unwrap();
    let postgres = std::env::var("BENCH_POSTGRES").ok().filter(|url| !url.is_empty());
    let db = match &postgres {
        Some(server) => {
            use sqlx::Executor;
            let name = format!("bench_{:08x}", rand::random::<u32>());
            let mut admin = sqlx::PgConnection::connect(server).await.unwrap();
            admin.execute(format!("CREATE DATABASE {name}").as_str()).await.unwrap();
            server.replacen("localhost/postgres", &format!("localhost/{name}"), 1)
        }
        None => format!("sqlite://{}/roadcall.db", dir.path().display()),
    };
    let config = Config::try_parse_from([
        "server",
        "--addr",
        "127.0.0.1:0",
        "--database-url",
        &db,
        "--site-root",
        "target/none",
        "--escalate-after",
        "2m",
    ])
    .unwrap();
    let server = Server::bind(&config).await.unwrap();
    let services = server.services.clone();
    let admin = NewStaff::new("bench", "Bench Admin", Role::Admin, "a long enough password").unwrap();
    let admin_id = services.add_staff(&admin).await.unwrap();
    let admin = services.staff_member(admin_id).await.unwrap().unwrap();

    let started = Instant::now();
    let now = app::store::now_ms();
    if postgres.is_some() {
        seed_postgres(&db, closed, open, now).await;
    } else {
        seed(&db, closed, open, now).await;
    }
    println!("seeded {closed} closed and {open} open requests in {:.1} s", started.elapsed().as_secs_f64());

    let board = time(5, || async { services.dispatch_board(&admin, 1).await.unwrap() }).await;
    let shown = services.dispatch_board(&admin, 1).await.unwrap();
    // The first pass looks at every open request (all due after a start); the steady pass at those due.
    let first = Instant::now();
    services.escalate_due(now).await.unwrap();
    let first = first.elapsed();
    let steady = time(20, || async { services.escalate_due(app::store::now_ms()).await.unwrap() }).await;
    let search = time(5, || async { services.search(&admin, "+12015550123").await.unwrap() }).await;

    // The ladder's own loop, idle, for 20 s: CPU time of this process over wall time.
    let stop = tokio_util::sync::CancellationToken::new();
    let ladder = services.start_escalation(stop.clone());
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (cpu0, wall0) = (cpu_ms(), Instant::now());
    tokio::time::sleep(Duration::from_secs(20)).await;
    let idle = (cpu_ms() - cpu0) as f64 / wall0.elapsed().as_millis() as f64 * 100.0;
    stop.cancel();
    ladder.await.unwrap();

    let on = if postgres.is_some() { "PostgreSQL" } else { "SQLite" };
    println!("\n| measure ({on}, {closed} closed, {open} open) | figure |\n|---|---:|");
    println!(
        "| dispatch board, page 1 ({} of {} cards), median of 5 | {:.1} ms |",
        shown.open.len(),
        shown.open_total,
        ms(board)
    );
    println!("| ladder pass, nothing due, median of 20 | {:.2} ms |", ms(steady));
    println!("| ladder pass right after a start (every open request looked at once) | {:.1} ms |", ms(first));
    println!("| search by phone (50 newest of {}), median of 5 | {:.1} ms |", closed + open, ms(search));
    println!("| idle CPU with the ladder running (20 s) | {idle:.2} % |");
}

async fn time<F, Fut, T>(runs: usize, f: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f().await;
        times.push(t.elapsed());
    }
    times.sort();
    times[runs / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// utime + stime of this process, in ms (Linux).
fn cpu_ms() -> i64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let fields: Vec<&str> = stat.rsplit_once(") ").unwrap().1.split(' ').collect();
    let ticks: i64 = fields[11].parse::<i64>().unwrap() + fields[12].parse::<i64>().unwrap();
    ticks * 10
}

/// The same rows as `seed`, made by PostgreSQL itself (a row at a time over the socket would take minutes).
async fn seed_postgres(db: &str, closed: i64, open: i64, now: i64) {
    let mut conn = sqlx::PgConnection::connect(db).await.unwrap();
    sqlx::query(
        "INSERT INTO help_requests (number, token, source, problem, phone, place, created_at, closed_at, due_at) \
         SELECT 'RC-B' || lpad(i::text, 7, '0'), 'bench-token-' || lpad(i::text, 12, '0') || '-xxxxxxxxxxxxxxxx', \
         'api', 'flat_tire', '+12015550123', 'Exit 9', at, \
         CASE WHEN i < $1 THEN at + 3600000 END, CASE WHEN i >= $1 THEN at END \
         FROM (SELECT i, CASE WHEN i >= $1 THEN $3 - 1000 ELSE $3 - 86400000 - ($1 - i) * 60000 END AS at \
         FROM generate_series(0::bigint, $1 + $2 - 1) AS i) AS s ORDER BY i",
    )
    .bind(closed)
    .bind(open)
    .bind(now)
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO request_events (request_id, at, kind, actor) \
         SELECT r.id, r.created_at + k.n * 60000, k.kind, 'system' FROM help_requests r \
         JOIN (VALUES (0, 'received'), (1, 'accepted'), (2, 'done')) AS k (n, kind) \
         ON k.n = 0 OR r.closed_at IS NOT NULL ORDER BY r.id, k.n",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::query("ANALYZE").execute(&mut conn).await.unwrap();
}

/// Requests written straight into the file, as years of service would leave them: closed ones with a received,
/// an accepted and a done event; open ones just received, all on one phone number.
async fn seed(db: &str, closed: i64, open: i64, now: i64) {
    let mut conn = sqlx::SqliteConnection::connect(db).await.unwrap();
    let mut tx = conn.begin().await.unwrap();
    for i in 0..closed + open {
        let is_open = i >= closed;
        let at = if is_open { now - 1_000 } else { now - 86_400_000 - (closed - i) * 60_000 };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO help_requests (number, token, source, problem, phone, place, created_at, closed_at, due_at) \
             VALUES ($1, $2, 'api', 'flat_tire', '+12015550123', 'Exit 9', $3, $4, $5) RETURNING id",
        )
        .bind(format!("RC-B{i:07}"))
        .bind(format!("bench-token-{i:012}-xxxxxxxxxxxxxxxx"))
        .bind(at)
        .bind((!is_open).then_some(at + 3_600_000))
        .bind(is_open.then_some(at))
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        let kinds: &[&str] = if is_open { &["received"] } else { &["received", "accepted", "done"] };
        for (n, kind) in kinds.iter().enumerate() {
            sqlx::query("INSERT INTO request_events (request_id, at, kind, actor) VALUES ($1, $2, $3, 'system')")
                .bind(id)
                .bind(at + n as i64 * 60_000)
                .bind(kind)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
    }
    tx.commit().await.unwrap();
}
