//! Rate limits as an attacker meets them: every group of routes has one, a forged X-Forwarded-For escapes
//! none, an IPv6 network counts as one client, HEAD counts as GET.
use crate::common::{flat_tire, spawn_app_with};
use app::{domain::Role, paths};

fn form() -> [(&'static str, &'static str); 4] {
    [("problem", "battery"), ("phone", "+12015550123"), ("place", "Exit 9"), ("vehicle_make", "VW")]
}

#[tokio::test]
async fn a_forged_forwarded_for_escapes_no_limit() {
    let app = spawn_app_with(&["--trust-forwarded-for", "--send-limit-per-minute", "2"]).await;
    let send = |forged: &str, from_proxy: &str| {
        let header = format!("{forged}, {from_proxy}");
        app.client.post(app.url(paths::SEND)).header("x-forwarded-for", header).form(&form()).send()
    };
    // The client writes whatever it likes on the left; our proxy appends the address it saw on the right.
    assert_eq!(send("1.1.1.1", "203.0.113.9").await.unwrap().status(), 303);
    assert_eq!(send("2.2.2.2", "203.0.113.9").await.unwrap().status(), 303);
    assert_eq!(send("3.3.3.3", "203.0.113.9").await.unwrap().status(), 429);
    // Another client, as our proxy saw it, has its own bucket.
    assert_eq!(send("3.3.3.3", "203.0.113.10").await.unwrap().status(), 303);
}

#[tokio::test]
async fn behind_two_proxies_the_client_is_the_second_from_the_right() {
    let app = spawn_app_with(&["--trusted-proxies", "2", "--send-limit-per-minute", "1"]).await;
    let send =
        |chain: &str| app.client.post(app.url(paths::SEND)).header("x-forwarded-for", chain).form(&form()).send();
    assert_eq!(send("6.6.6.6, 198.51.100.4, 10.0.0.7").await.unwrap().status(), 303);
    assert_eq!(send("7.7.7.7, 198.51.100.4, 10.0.0.8").await.unwrap().status(), 429);
}

#[tokio::test]
async fn ipv6_clients_are_limited_per_64() {
    let app = spawn_app_with(&["--trust-forwarded-for", "--send-limit-per-minute", "1"]).await;
    let send = |ip: &str| app.client.post(app.url(paths::SEND)).header("x-forwarded-for", ip).form(&form()).send();
    assert_eq!(send("2001:db8:1:2::1").await.unwrap().status(), 303);
    assert_eq!(send("2001:db8:1:2:ffff:ffff:ffff:ffff").await.unwrap().status(), 429, "same /64");
    assert_eq!(send("2001:db8:1:3::1").await.unwrap().status(), 303, "another /64");
}

#[tokio::test]
async fn head_counts_as_get() {
    let app = spawn_app_with(&["--read-limit-per-minute", "2"]).await;
    let token: serde_json::Value = app.create(flat_tire()).await.json().await.unwrap();
    let status = paths::at(paths::API_REQUEST, token["token"].as_str().unwrap());
    assert_eq!(app.client.head(app.url(&status)).send().await.unwrap().status(), 200);
    assert_eq!(app.client.head(app.url(&status)).send().await.unwrap().status(), 200);
    assert_eq!(app.client.get(app.url(&status)).send().await.unwrap().status(), 429);
}

#[tokio::test]
async fn pages_files_and_what_is_not_found_are_limited_too() {
    let app = spawn_app_with(&["--read-limit-per-minute", "3"]).await;
    for path in [paths::HOME, "/favicon.svg", "/no-such-page"] {
        assert_ne!(app.client.get(app.url(path)).send().await.unwrap().status(), 429, "{path}");
    }
    assert_eq!(app.client.get(app.url("/no-such-page")).send().await.unwrap().status(), 429);
}

#[tokio::test]
async fn logins_are_limited_per_address() {
    let app = spawn_app_with(&["--login-limit-per-minute", "2"]).await;
    for _ in 0..2 {
        assert_ne!(app.log_in("nobody", "wrong").await.err().unwrap().0, 429);
    }
    assert_eq!(app.log_in("nobody", "wrong").await.err().unwrap().0, 429);
}

#[tokio::test]
async fn live_feeds_are_limited_per_address() {
    let app = spawn_app_with(&["--feed-limit-per-minute", "1"]).await;
    let token: serde_json::Value = app.create(flat_tire()).await.json().await.unwrap();
    let feed = app.url(&paths::at(paths::STATUS_EVENTS, token["token"].as_str().unwrap()));
    let first = app.client.get(&feed).send().await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(app.client.get(&feed).send().await.unwrap().status(), 429);
}

#[tokio::test]
async fn staff_posts_and_test_alerts_are_limited() {
    let app = spawn_app_with(&["--staff-limit-per-minute", "4", "--test-alert-limit-per-minute", "1"]).await;
    let sam = app.staff("sam", "Sam Rivera", Role::Technician).await;
    assert_eq!(sam.post(paths::PUSH_TEST, &[]).await.status(), 200);
    assert_eq!(sam.post(paths::PUSH_TEST, &[]).await.status(), 429);
    // The login's page read took one of four; these take the rest.
    let mut codes = Vec::new();
    for on in ["1", "0", "1", "0"] {
        codes.push(sam.post(paths::TECH_DUTY, &[("on", on)]).await.status().as_u16());
    }
    assert_eq!(codes, [204, 204, 204, 429]);
}
