//! Logging in over real HTTP: failures throttled per account (the same answer for a login that does not exist),
//! sessions that end for good when an account is disabled or its password changes, `next` that only ever leads to
//! one of our pages, and a login page that shows only what the server chose to say.
use crate::common::{TestApp, spawn_app, spawn_app_with};
use app::domain::Role;
use serde_json::Value;

const PASSWORD: &str = "a long enough password";

/// One login as the wasm sends it, from its own address so that per-address limits stay out of the way:
/// (status, Retry-After in seconds, message).
async fn attempt(app: &TestApp, from: &str, login: &str, password: &str) -> (u16, Option<u64>, String) {
    let r = app
        .client
        .post(app.url("/login"))
        .header("accept", "application/json")
        .header("x-forwarded-for", from)
        .form(&[("login", login), ("password", password)])
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let retry_after = r.headers().get("retry-after").map(|v| v.to_str().unwrap().parse().unwrap());
    let body: Value = r.json().await.unwrap_or(Value::Null);
    (status, retry_after, body["message"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn five_failures_lock_a_login_with_one_answer_whether_the_account_exists_or_not() {
    let app = spawn_app_with(&["--trust-forwarded-for"]).await;
    app.add_staff("sam", "Sam Rivera", Role::Technician).await;
    for _ in 0..5 {
        assert_eq!(attempt(&app, "10.0.0.1", "sam", "not the password").await.0, 401);
        assert_eq!(attempt(&app, "10.0.0.2", "nobody", "not the password").await.0, 401);
    }
    // Locked: even the right password is not tried.
    let real = attempt(&app, "10.0.0.3", "sam", PASSWORD).await;
    let made_up = attempt(&app, "10.0.0.4", "nobody", PASSWORD).await;
    assert_eq!(real.0, 429, "{real:?}");
    assert_eq!((real.0, &real.2), (made_up.0, &made_up.2), "nobody learns which logins exist");
    for (_, retry_after, _) in [&real, &made_up] {
        assert!(retry_after.is_some_and(|s| (1..=60).contains(&s)), "a one-minute lock: {retry_after:?}");
    }
    assert!(!real.2.is_empty() && !real.2.contains("sam"), "{}", real.2);
    // However it is typed, it is the same account.
    assert_eq!(attempt(&app, "10.0.0.5", " SAM ", PASSWORD).await.0, 429);
    // Other accounts are not locked by sam's failures.
    app.add_staff("dee", "Dee Okafor", Role::Dispatcher).await;
    assert_eq!(attempt(&app, "10.0.0.1", "dee", PASSWORD).await.0, 200);
}

#[tokio::test]
async fn a_successful_login_clears_the_failures_before_it() {
    let app = spawn_app_with(&["--trust-forwarded-for"]).await;
    app.add_staff("sam", "Sam Rivera", Role::Technician).await;
    for round in 0..2 {
        for _ in 0..4 {
            assert_eq!(attempt(&app, "10.0.0.1", "sam", "not the password").await.0, 401, "round {round}");
        }
        assert_eq!(attempt(&app, "10.0.0.1", "sam", PASSWORD).await.0, 200, "round {round}");
    }
}

#[tokio::test]
async fn enabling_an_account_again_does_not_bring_back_its_old_sessions() {
    let app = spawn_app().await;
    let old = app.staff("sam", "Sam Rivera", Role::Technician).await;
    app.services.set_staff_disabled("sam", true).await.unwrap();
    app.services.set_staff_disabled("sam", false).await.unwrap();
    assert_eq!(old.get_json("/staff/api/board").await.0, 401, "the session from before the disabling is dead");
    let new = app.log_in("sam", PASSWORD).await.unwrap();
    assert_eq!(new.get_json("/staff/api/board").await.0, 200);
}

#[tokio::test]
async fn a_new_password_ends_the_sessions_started_with_the_old_one() {
    let app = spawn_app().await;
    let old = app.staff("sam", "Sam Rivera", Role::Technician).await;
    app.services.set_password("sam", "another long password").await.unwrap();
    assert_eq!(old.get_json("/staff/api/board").await.0, 401);
    let new = app.log_in("sam", "another long password").await.unwrap();
    assert_eq!(new.get_json("/staff/api/board").await.0, 200);
}

#[tokio::test]
async fn after_logging_in_next_only_ever_leads_to_one_of_our_pages() {
    let app = spawn_app().await;
    app.add_staff("sam", "Sam Rivera", Role::Technician).await;
    // What the form posts, as the server reads it (the page's URL decoded once into its hidden field); the
    // whole table of nasty inputs is LocalPath's unit test, these prove the login goes through it.
    let foreign =
        ["/\t/evil.example", "/\\evil.example", "//evil.example", "/%2F/evil.example", "https://evil.example"];
    for next in foreign {
        let r = app.post_form("/login", &[("login", "sam"), ("password", PASSWORD), ("next", next)]).await;
        assert_eq!(r.status(), 303, "{next:?}");
        assert_eq!(r.headers()["location"], "/tech", "{next:?}");
    }
    for ours in ["/tech/jobs/RC-7K3Q?x=1", "/dispatch/reports?from=2025-11-01&to=2025-11-30"] {
        let r = app.post_form("/login", &[("login", "sam"), ("password", PASSWORD), ("next", ours)]).await;
        assert_eq!(r.headers()["location"], ours);
    }
}

#[tokio::test]
async fn the_login_page_shows_only_messages_the_server_chose() {
    let app = spawn_app().await;
    let page = |query: &'static str| {
        let app = &app;
        async move { app.client.get(app.url(&format!("/login?{query}"))).send().await.unwrap().text().await.unwrap() }
    };
    let spoofed = page("failed=Your%20account%20is%20frozen.%20Call%20%2B1%20900%20555%200199%20now").await;
    assert!(!spoofed.contains("900 555 0199"), "text from the URL is shown as ours");
    assert!(!page("failed=%3Cb%3Ebold%3C%2Fb%3E").await.contains("bold"));

    // A wrong password comes back to the form with a code, and the page says it in its own words.
    let r = app.post_form("/login", &[("login", "sam"), ("password", "not the password")]).await;
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("failed=wrong"), "{location}");
    let shown = app.client.get(app.url(&location)).send().await.unwrap().text().await.unwrap();
    assert!(shown.contains("That login and password do not match."), "{shown}");
}

#[tokio::test]
async fn a_login_that_waits_too_long_for_its_turn_is_told_to_try_again() {
    let app = spawn_app().await;
    app.add_staff("sam", "Sam Rivera", Role::Technician).await;
    // Every password check is taken, as in a flood of logins.
    let hashing = &app.services.logins.hashing;
    let all = hashing.acquire_many(u32::try_from(hashing.available_permits()).unwrap()).await.unwrap();
    let (status, retry_after, message) = attempt(&app, "10.0.0.1", "sam", PASSWORD).await;
    assert_eq!((status, message.as_str()), (503, "Many logins are being checked just now. Try again in a moment."));
    assert!(retry_after.is_some());
    drop(all);
    assert_eq!(attempt(&app, "10.0.0.1", "sam", PASSWORD).await.0, 200, "a busy answer is not a failure");
}

/// A NUL can be sent in a login, a link or a search, and no stored login, token, number or phone has one.
/// PostgreSQL refuses NUL in text outright: it must be an unknown key there too, never a 503.
#[tokio::test]
async fn a_nul_in_what_is_looked_up_finds_nothing_on_either_backend() {
    let app = spawn_app().await;
    let dee = app.staff("dee", "Dee Okafor", Role::Dispatcher).await;
    let ana = app.staff("ana", "Ana Lima", Role::Technician).await;
    let login = app
        .client
        .post(app.url("/login"))
        .header("accept", "application/json")
        .form(&[("login", "dee\u{0}"), ("password", "a long enough password")])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 401, "a login with a NUL is nobody's");
    for path in ["/r/AbCd%00", "/api/v1/requests/AbCd%00"] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
    let (status, _) = ana.get_json("/staff/api/jobs/AB%00C").await;
    assert_eq!(status, 404, "a job number with a NUL");
    let (status, _) = ana.get_json("/tech/jobs/AB%00C").await;
    assert!(status < 500, "the job page with a NUL: {status}");
    for q in ["AB%00C", "%2B1202555%000123"] {
        let (status, page) = dee.get_json(&format!("/staff/api/dispatch/search?q={q}")).await;
        assert!(status == 200 || status == 422, "searching {q}: {status} {page}");
    }
}
