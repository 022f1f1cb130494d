//! The customer's pages as a browser without JavaScript sees them: plain form posts, redirects, HTML.
use crate::common::{spawn_app, spawn_app_with};
use serde_json::Value;

const FORM: [(&str, &str); 7] = [
    ("key", "0123456789abcdef0123456789abcdef"),
    ("problem", "battery"),
    ("phone", "(201) 555-0123"),
    ("lat", ""),
    ("lon", ""),
    ("place", "Parking lot behind the Shell station, exit 14"),
    ("vehicle_make", "Volvo"),
];

fn location(r: &reqwest::Response) -> String {
    r.headers()["location"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_home_page_offers_four_choices_and_a_way_to_call() {
    let app = spawn_app().await;
    let html = app.client.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert_eq!(html.matches("name=\"problem\"").count(), 4);
    assert!(html.contains("href=\"tel:+12025550100\""));
    assert!(html.contains("action=\"/request\""));
    assert!(html.contains("name=\"key\" value=\""), "the form carries an idempotency key");
}

#[tokio::test]
async fn a_plain_form_post_lands_on_the_status_page() {
    let app = spawn_app().await;
    let r = app.post_form("/request", &FORM).await;
    assert_eq!(r.status(), 303);
    let to = location(&r);
    assert!(to.starts_with("/r/"), "{to}");
    let page = app.client.get(app.url(&to)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Your request number"));
    assert!(html.contains("Parking lot behind the Shell station, exit 14"));
    assert!(html.contains("Request received"));
    let status = app.status(&to[3..]).await;
    assert_eq!(status["vehicle"]["make"], "Volvo");
    assert_eq!(status["timeline"][0]["actor"], "customer");
}

#[tokio::test]
async fn a_double_tapped_form_makes_one_request() {
    let app = spawn_app().await;
    let first = location(&app.post_form("/request", &FORM).await);
    let second = location(&app.post_form("/request", &FORM).await);
    assert_eq!(first, second);
}

#[tokio::test]
async fn a_refused_form_comes_back_with_what_was_typed_and_why() {
    let app = spawn_app().await;
    let key = "00112233445566778899aabbccddeeff";
    let form = [("key", key), ("problem", "lockout"), ("phone", "12"), ("name", "Ana"), ("access_notes", "Gate 4711")];
    let r = app.post_form("/request", &form).await;
    // Answered in place with the form drawn again: nothing typed goes into a redirect's URL.
    assert_eq!(r.status(), 422);
    assert!(r.headers().get("location").is_none());
    let html = r.text().await.unwrap();
    assert!(html.contains("Please check:"));
    assert!(html.contains("does not look like a phone number"));
    assert!(html.contains("Describe where you are"), "no fix and no place is explained");
    assert!(html.contains("value=\"Ana\""), "the name is kept");
    assert!(html.contains("Gate 4711"), "the access notes are kept");
    assert!(html.contains("value=\"lockout\" required checked"), "the choice is kept");
    assert!(
        html.contains(&format!("name=\"key\" value=\"{key}\"")),
        "the key is kept, so a corrected form is one request"
    );
}

#[tokio::test]
async fn the_form_key_is_never_taken_from_the_address() {
    let app = spawn_app().await;
    let planted = "abcdefabcdefabcdefabcdefabcdefab";
    let html = app.client.get(app.url(&format!("/?key={planted}&phone=%2B12015550123"))).send().await.unwrap();
    let html = html.text().await.unwrap();
    assert!(html.contains("name=\"key\" value=\""), "the page draws its own key");
    assert!(!html.contains(planted), "a key planted in a link is ignored");
    assert!(!html.contains("2015550123"), "and so is anything else in the query");
}

#[tokio::test]
async fn a_resent_form_with_other_details_is_not_the_first_request_again() {
    let app = spawn_app().await;
    let first = location(&app.post_form("/request", &FORM).await);
    let mut changed = FORM;
    changed[5] = ("place", "Somewhere else entirely");
    let r = app.post_form("/request", &changed).await;
    assert_eq!(r.status(), 409);
    let html = r.text().await.unwrap();
    assert!(html.contains("already sent"), "{html}");
    assert!(!html.contains(&first[3..]), "the first request's link is not handed out");
}

#[tokio::test]
async fn typed_coordinates_replace_a_fix() {
    let app = spawn_app().await;
    let r = app
        .post_form("/request", &[("problem", "battery"), ("phone", "+12015550123"), ("coords", "52.52, 13.405")])
        .await;
    let to = location(&r);
    let status = app.status(&to[3..]).await;
    assert_eq!(status["lat"], 52.52);
    assert_eq!(status["lon"], 13.405);
}

#[tokio::test]
async fn what_a_customer_typed_is_shown_escaped() {
    let app = spawn_app().await;
    let evil = "<script>alert('x')</script> & <b>bold</b>";
    let r = app.post_form("/request", &[("problem", "battery"), ("phone", "+12015550123"), ("place", evil)]).await;
    let html = app.client.get(app.url(&location(&r))).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains("<script>alert"));
    assert!(html.contains("&lt;script&gt;alert"));
}

#[tokio::test]
async fn an_unreadable_or_oversized_form_gets_a_clear_4xx() {
    let app = spawn_app().await;
    let big = "n".repeat(40_000);
    let r = app.post_form("/request", &[("problem", "battery"), ("notes", &big)]).await;
    assert_eq!(r.status(), 413);
    assert!(r.text().await.unwrap().contains("too large"));
    let r =
        app.client.post(app.url("/request")).header("content-type", "text/plain").body("problem=battery").send().await;
    let r = r.unwrap();
    assert_eq!(r.status(), 415);
    assert!(r.text().await.unwrap().contains("could not be read"));
    let r = app.post_form("/request", &[("phone", "+12015550123"), ("phone", "+12015550199")]).await;
    assert_eq!(r.status(), 422, "two phone numbers in one form are refused, not guessed between");
}

#[tokio::test]
async fn call_me_back_and_cancel_are_recorded_once_in_order() {
    let app = spawn_app().await;
    let to = location(&app.post_form("/request", &FORM).await);
    let token = &to[3..];
    for _ in 0..2 {
        let r = app.post_form(&format!("{to}/callback"), &[]).await;
        assert_eq!(r.status(), 303);
        assert_eq!(location(&r), to);
    }
    assert_eq!(app.post_form(&format!("{to}/cancel"), &[]).await.status(), 303);
    let status = app.status(token).await;
    let kinds: Vec<&str> = status["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["received", "callback_requested", "cancelled"]);
    assert_eq!(status["status"], "cancelled");
    let html = app.client.get(app.url(&to)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Request cancelled"));
}

#[tokio::test]
async fn unknown_links_are_404() {
    let app = spawn_app().await;
    for path in ["/r/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "/r/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/events", "/nowhere"] {
        assert_eq!(app.client.get(app.url(path)).send().await.unwrap().status(), 404, "{path}");
    }
    let r = app.post_form("/r/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/cancel", &[]).await;
    assert_eq!(r.status(), 404);
}

/// Reads server-sent events until one whose data satisfies `want`.
async fn next_event(stream: &mut reqwest::Response, buffer: &mut String, want: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            if let Some(data) = block.lines().find_map(|l| l.strip_prefix("data: ")) {
                let value: Value = serde_json::from_str(data).unwrap();
                if want(&value) {
                    return value;
                }
            }
        }
        let chunk = tokio::time::timeout_at(deadline, stream.chunk()).await.expect("no event in time").unwrap();
        buffer.push_str(&String::from_utf8_lossy(&chunk.expect("stream ended")));
    }
}

#[tokio::test]
async fn the_live_feed_sends_the_status_at_once_and_after_each_change() {
    let app = spawn_app().await;
    let to = location(&app.post_form("/request", &FORM).await);
    let mut stream = app.client.get(app.url(&format!("{to}/events"))).send().await.unwrap();
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    let mut buffer = String::new();
    let first = next_event(&mut stream, &mut buffer, |_| true).await;
    assert_eq!(first["timeline"].as_array().unwrap().len(), 1);
    app.post_form(&format!("{to}/callback"), &[]).await;
    let next = next_event(&mut stream, &mut buffer, |v| v["callback_requested"] == true).await;
    assert_eq!(next["timeline"][1]["kind"], "callback_requested");
}

/// Pages are compressed for a client that asks; a live feed never is (a compressor would hold events back).
#[tokio::test]
async fn pages_are_compressed_for_clients_that_ask_and_live_feeds_are_not() {
    let app = spawn_app().await;
    let to = location(&app.post_form("/request", &FORM).await);
    let page = app.client.get(app.url(&to)).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-encoding"], "gzip");
    let mut stream =
        app.client.get(app.url(&format!("{to}/events"))).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    assert!(stream.headers().get("content-encoding").is_none());
    let first = next_event(&mut stream, &mut String::new(), |_| true).await;
    assert_eq!(first["timeline"].as_array().unwrap().len(), 1);
}

/// Pages are answered while another app starts in the same process. Leptos stops every resource in the process
/// from loading while it lists an app's routes, and a resource first polled meanwhile waits for ever
/// (leptos-rs/leptos#4773): the fuzz test's pages hung for 30 s, now and then, while other tests started apps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_answered_while_another_app_starts_in_the_process() {
    let app = spawn_app_with(&["--read-limit-per-minute", "1000000"]).await;
    let starting = tokio::spawn(async {
        for _ in 0..20 {
            spawn_app().await;
        }
    });
    let mut answered = 0;
    while !starting.is_finished() {
        let pages = (0..8)
            .map(|_| tokio::time::timeout(std::time::Duration::from_secs(10), app.client.get(app.url("/")).send()));
        for page in futures::future::join_all(pages).await {
            let page = page.expect("a page was not answered within 10 s").unwrap();
            assert_eq!(page.status(), 200);
            answered += 1;
        }
    }
    starting.await.unwrap();
    assert!(answered > 0);
}
