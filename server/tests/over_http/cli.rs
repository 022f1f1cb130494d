//! The real binary's staff and partner commands, and `--demo`: accounts that exist only when asked for, with passwords
//! printed at start and new at every start.
use std::{
    io::{BufRead, BufReader, Write},
    process::{Child, Command, Output, Stdio},
};

fn server(db: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(args)
        .args(["--database-url", db])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn staff_are_added_listed_and_disabled_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::common::fresh_database(dir.path());
    let added = server(&db, &["user", "add", "Ana", "--name", "Ana Lima", "--role", "technician"], "secret horse 42\n");
    assert!(added.status.success(), "{}", text(&added));
    assert_eq!(String::from_utf8_lossy(&added.stdout).trim(), "added ana (Ana Lima) as technician");

    let again =
        server(&db, &["user", "add", "ana", "--name", "Ana Again", "--role", "technician"], "secret horse 42\n");
    assert!(!again.status.success());
    assert!(text(&again).contains("the login \"ana\" is taken"), "{}", text(&again));
    let short = server(&db, &["user", "add", "bo", "--name", "Bo", "--role", "dispatcher"], "short\n");
    assert!(!short.status.success());
    assert!(text(&short).contains("at least 10 characters"), "{}", text(&short));

    let disabled = server(&db, &["user", "disable", "ana"], "");
    assert!(disabled.status.success(), "{}", text(&disabled));
    let list = String::from_utf8_lossy(&server(&db, &["user", "list"], "").stdout).to_string();
    assert!(list.contains("ana") && list.contains("technician") && list.contains("disabled"), "{list}");
    assert!(!list.contains("bo "), "{list}");
    let unknown = server(&db, &["user", "disable", "nobody"], "");
    assert!(!unknown.status.success());

    let texted = ["user", "add", "sam", "--name", "Sam Rivera", "--role", "technician", "--phone", "(201) 555-0111"];
    let added = server(&db, &texted, "secret horse 42\n");
    assert!(added.status.success(), "{}", text(&added));
    assert!(String::from_utf8_lossy(&added.stdout).contains("texts and calls to +12015550111"), "{}", text(&added));
    let bad = ["user", "add", "bob", "--name", "Bob", "--role", "technician", "--phone", "12"];
    let refused = server(&db, &bad, "secret horse 42\n");
    assert!(!refused.status.success());
    assert!(text(&refused).contains("The phone number"), "{}", text(&refused));

    let russian = ["user", "add", "ira", "--name", "Ира Петрова", "--role", "technician", "--language", "ru"];
    let added = server(&db, &russian, "secret horse 42\n");
    assert!(String::from_utf8_lossy(&added.stdout).contains("language ru"), "{}", text(&added));
    let list = String::from_utf8_lossy(&server(&db, &["user", "list"], "").stdout).to_string();
    assert!(list.lines().any(|l| l.starts_with("ira ") && l.contains(" ru ")), "{list}");
    let unknown = ["user", "add", "hans", "--name", "Hans", "--role", "technician", "--language", "de"];
    let refused = server(&db, &unknown, "secret horse 42\n");
    assert!(!refused.status.success());
    assert!(text(&refused).contains("not a language we speak: use en or ru"), "{}", text(&refused));

    // An operator whose server speaks Russian is answered in Russian.
    let enabled = server(&db, &["--default-locale", "ru", "user", "enable", "ana"], "");
    assert_eq!(String::from_utf8_lossy(&enabled.stdout).trim(), "ana снова может входить");
    let taken = ["--default-locale", "ru", "user", "add", "ira", "--name", "Ира", "--role", "technician"];
    assert!(text(&server(&db, &taken, "secret horse 42\n")).contains("логин \"ira\" уже занят"));
    let list =
        String::from_utf8_lossy(&server(&db, &["--default-locale", "ru", "user", "list"], "").stdout).to_string();
    assert!(list.lines().any(|l| l.starts_with("ira ") && l.contains("technician")), "roles stay codes: {list}");
}

#[test]
fn texts_and_calls_need_every_provider_setting_and_a_public_address() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::common::fresh_database(dir.path());
    let serve = |extra: &[&str]| {
        let mut args =
            vec!["--site-root", "target/none", "--twilio-account-sid", "AC1", "--twilio-from", "+12025550100"];
        args.extend_from_slice(extra);
        server(&db, &args, "")
    };
    let partial = serve(&["--addr", "127.0.0.1:0"]);
    assert!(!partial.status.success());
    assert!(text(&partial).contains("need all of --twilio-account-sid, --twilio-auth-token and --twilio-from"));
    let public = serve(&["--addr", "0.0.0.0:0", "--twilio-auth-token", "token"]);
    assert!(!public.status.success());
    assert!(text(&public).contains("texts and calls need --public-url"), "{}", text(&public));
    let empty = serve(&["--addr", "127.0.0.1:0", "--twilio-auth-token", " "]);
    assert!(text(&empty).contains("--twilio-auth-token is empty"), "{}", text(&empty));
}

#[test]
fn an_unknown_time_zone_is_refused_at_start_with_what_to_write() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::common::fresh_database(dir.path());
    let refused =
        server(&db, &["--site-root", "target/none", "--addr", "127.0.0.1:0", "--time-zone", "Mars/Olympus"], "");
    assert!(!refused.status.success());
    assert!(text(&refused).contains("Mars/Olympus") && text(&refused).contains("Europe/Moscow"), "{}", text(&refused));
}

#[test]
fn partners_are_added_listed_and_revoked_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::common::fresh_database(dir.path());
    let added = server(&db, &["partner", "add", "acme-insurance", "--limit", "600"], "");
    assert!(added.status.success(), "{}", text(&added));
    let printed = String::from_utf8_lossy(&added.stdout).to_string();
    let key = printed.lines().last().unwrap();
    assert!(key.starts_with("rc_") && key.len() > 40, "the key is printed once: {printed}");
    let again = server(&db, &["partner", "add", "acme-insurance"], "");
    assert!(!again.status.success(), "a name is one partner");
    let bad = server(&db, &["partner", "add", "no spaces please"], "");
    assert!(!bad.status.success());
    assert!(text(&bad).contains("letters, digits"), "{}", text(&bad));

    let list = String::from_utf8_lossy(&server(&db, &["partner", "list"], "").stdout).to_string();
    assert!(list.contains("acme-insurance") && list.contains("600/min") && !list.contains("revoked"), "{list}");
    assert!(!list.contains(key), "the key is never shown again");
    let revoked = server(&db, &["partner", "revoke", "acme-insurance"], "");
    assert!(revoked.status.success(), "{}", text(&revoked));
    let list = String::from_utf8_lossy(&server(&db, &["partner", "list"], "").stdout).to_string();
    assert!(list.contains("revoked"), "{list}");
    assert!(!server(&db, &["partner", "revoke", "nobody"], "").status.success());
}

/// Starts `server --demo` and reads what it printed up to both demo accounts' lines: (child, base URL,
/// [(login, password)] for the accounts given a password, the printed lines).
fn start_demo(db: &str, port: u16) -> (Child, String, Vec<(String, String)>, Vec<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["--demo", "--addr", &format!("127.0.0.1:{port}"), "--database-url", db, "--site-root", "target/none"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    let mut accounts = Vec::new();
    let mut seen = 0;
    while seen < 2 {
        let line = lines.next().expect("the server printed its start-up lines").unwrap();
        let words = line.split_whitespace().collect::<Vec<_>>();
        if words.get(1) == Some(&"login") {
            seen += 1;
        }
        if let [_, "login", login, "password", password] = words[..] {
            accounts.push((login.to_owned(), password.to_owned()));
        }
        printed.push(line);
    }
    let text = printed.join("\n");
    assert!(text.contains(&format!("customer     http://127.0.0.1:{port}/")), "{text}");
    assert!(text.contains(&format!("technician   http://127.0.0.1:{port}/tech")), "{text}");
    (child, format!("http://127.0.0.1:{port}"), accounts, printed)
}

async fn logs_in(base: &str, login: &str, password: &str) -> bool {
    log_in(base, login, password).await.0 == 200
}

/// (status, message) of a login sent as the wasm sends it.
async fn log_in(base: &str, login: &str, password: &str) -> (u16, String) {
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{base}/login"))
        .header("accept", "application/json")
        .form(&[("login", login), ("password", password)])
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body: serde_json::Value = r.json().await.unwrap_or_default();
    (status, body["message"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn demo_accounts_are_printed_and_get_new_passwords_at_each_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::common::fresh_database(dir.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (mut first, base, accounts, _) = start_demo(&db, port);
    let logins: Vec<&str> = accounts.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(logins, ["tech", "dispatch"]);
    for (login, password) in &accounts {
        assert!(logs_in(&base, login, password).await, "{login}");
    }
    first.kill().unwrap();
    first.wait().unwrap();

    let (mut second, base, renewed, _) = start_demo(&db, port);
    assert_ne!(renewed[0].1, accounts[0].1);
    assert!(!logs_in(&base, "tech", &accounts[0].1).await, "the old password is gone");
    assert!(logs_in(&base, "tech", &renewed[0].1).await);
    second.kill().unwrap();
    second.wait().unwrap();
}

#[tokio::test]
async fn demo_leaves_a_disabled_demo_account_disabled_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::common::fresh_database(dir.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (mut first, _, accounts, _) = start_demo(&db, port);
    first.kill().unwrap();
    first.wait().unwrap();
    let disabled = server(&db, &["user", "disable", "tech"], "");
    assert!(disabled.status.success(), "{}", text(&disabled));

    let (mut second, base, renewed, printed) = start_demo(&db, port);
    let tech = printed.iter().find(|l| l.contains("login tech")).unwrap();
    assert!(tech.contains("disabled") && !tech.contains("password"), "{tech}");
    assert_eq!(renewed.iter().map(|(l, _)| l.as_str()).collect::<Vec<_>>(), ["dispatch"]);
    // Its password was kept, and it is still disabled: the old password is answered "disabled", not "wrong".
    assert_eq!(
        log_in(&base, "tech", &accounts[0].1).await,
        (401, "This account is disabled. Ask your admin.".to_owned())
    );
    assert!(logs_in(&base, "dispatch", &renewed[0].1).await);
    second.kill().unwrap();
    second.wait().unwrap();
}

#[tokio::test]
async fn a_backup_taken_while_requests_come_in_holds_every_one_answered_before_it() {
    let app = crate::common::spawn_app().await;
    for _ in 0..5 {
        assert_eq!(app.create(crate::common::flat_tire()).await.status(), 201);
    }
    // Customers keep sending while the backup is taken.
    let sending = {
        let (client, url) = (app.client.clone(), app.url("/api/v1/requests"));
        let key = app.partner_key.clone();
        tokio::spawn(async move {
            for _ in 0..40 {
                let r = client.post(&url).bearer_auth(&key).json(&crate::common::flat_tire()).send().await.unwrap();
                assert_eq!(r.status(), 201);
            }
        })
    };
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.db");
    let db = app.database_url.clone();
    if crate::common::postgres().is_some() {
        // PostgreSQL is backed up with its own tools, as the README says: `server backup` says so, and pg_dump
        // (one snapshot) restored into a new database holds the same as SQLite's copy would.
        let refused = server(&db, &["backup", copy.to_str().unwrap()], "");
        assert!(!refused.status.success());
        assert!(text(&refused).contains("pg_dump"), "{}", text(&refused));
        let dump = dir.path().join("roadcall.dump");
        let dumped = tokio::task::spawn_blocking({
            let (db, dump) = (db.clone(), dump.clone());
            move || Command::new("pg_dump").args(["--format=custom", "--file", dump.to_str().unwrap(), &db]).output()
        })
        .await
        .unwrap()
        .unwrap();
        assert!(dumped.status.success(), "{}", text(&dumped));
        sending.await.unwrap();
        let restored = crate::common::fresh_database(dir.path());
        let loaded = Command::new("pg_restore").args(["--dbname", &restored, dump.to_str().unwrap()]).output().unwrap();
        assert!(loaded.status.success(), "{}", text(&loaded));
        assert_backup_whole(&crate::common::any_pool(&restored).await).await;
        // The restored database serves: the app opens it (its migrations already applied) and reads it.
        let store = app::store::Store::open(&restored).await.unwrap();
        assert!(store.count_requests().await.unwrap() >= 5);
        return;
    }
    let made = tokio::task::spawn_blocking({
        let copy = copy.clone();
        move || server(&db, &["backup", copy.to_str().unwrap()], "")
    })
    .await
    .unwrap();
    assert!(made.status.success(), "{}", text(&made));
    assert!(text(&made).contains("Backed up to"), "{}", text(&made));
    sending.await.unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777, 0o600, "personal data");
    }

    // The copy is a whole database: sound, and with every request answered before it began.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", copy.display())).await.unwrap();
    let check: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&pool).await.unwrap();
    assert_eq!(check, "ok");
    assert_backup_whole(&crate::common::any_pool(&format!("sqlite://{}", copy.display())).await).await;

    // A file already there is never overwritten.
    let again = server(&app.database_url, &["backup", copy.to_str().unwrap()], "");
    assert!(!again.status.success());
    assert!(text(&again).contains("already exists"), "{}", text(&again));
}

/// A backup holds the requests answered before it began, each with its first event: one moment, not a torn copy.
async fn assert_backup_whole(pool: &sqlx::AnyPool) {
    let (requests, received): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM help_requests), (SELECT COUNT(*) FROM request_events WHERE kind = 'received')",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert!((5..=45).contains(&requests), "{requests}");
    assert_eq!(received, requests, "each request with its first event");
}
