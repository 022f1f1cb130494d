//! Staff live feeds end with their session (logout, a disabled account, the session's absolute lifetime) and never
//! carry a view after it. No test sleeps: each makes a change that the feed would show, and waits, bounded, for
//! what the server does with it.

use crate::common::{LiveFeed, StaffClient, TestApp, flat_tire, spawn_app, spawn_app_with};
use app::domain::Role;
use serde_json::Value;

/// A staff live feed being read.
struct Feed;

impl Feed {
    async fn open(staff: &StaffClient, path: &str) -> LiveFeed {
        LiveFeed::new(staff.client.get(staff.url(path)).send().await.unwrap())
    }
}

/// A new request from the API: (number, token). Every board's feed shows it.
async fn request(app: &TestApp) -> (String, String) {
    let created: Value = app.create(flat_tire()).await.json().await.unwrap();
    (created["number"].as_str().unwrap().to_owned(), created["token"].as_str().unwrap().to_owned())
}

/// The customer asks to be called back: a change to that request's own feeds.
async fn call_me_back(app: &TestApp, token: &str) {
    assert_eq!(app.post_form(&format!("/r/{token}/callback"), &[]).await.status(), 303);
}

/// A feed's path, given the number of the request it may show.
type FeedPath = fn(&str) -> String;

#[tokio::test]
async fn every_staff_feed_ends_at_logout_and_carries_nothing_after_it() {
    let app = spawn_app().await;
    let feeds: [(Role, FeedPath); 4] = [
        (Role::Technician, |_| "/staff/api/board/events".to_owned()),
        (Role::Technician, |n| format!("/staff/api/jobs/{n}/events")),
        (Role::Dispatcher, |_| "/staff/api/dispatch/events".to_owned()),
        (Role::Dispatcher, |n| format!("/staff/api/dispatch/requests/{n}/events")),
    ];
    let mut leaked = Vec::new();
    for (i, (role, path)) in feeds.into_iter().enumerate() {
        let (number, token) = request(&app).await;
        let path = path(&number);
        let staff = app.staff(&format!("staff{i}"), "Sam Rivera", role).await;
        let mut feed = Feed::open(&staff, &path).await;
        assert!(feed.next().await.is_some(), "{path}: the view at once");
        assert_eq!(staff.post("/logout", &[]).await.status(), 303);
        call_me_back(&app, &token).await;
        if feed.next().await.is_some() {
            leaked.push(path);
        }
    }
    assert_eq!(leaked, Vec::<String>::new(), "feeds that sent a view after logout");
}

#[tokio::test]
async fn a_disabled_members_feeds_end_and_carry_nothing_after_it() {
    for (role, path) in
        [(Role::Technician, "/staff/api/board/events"), (Role::Dispatcher, "/staff/api/dispatch/events")]
    {
        // One member per app: another member's changes would be views this member may rightly see.
        let app = spawn_app().await;
        let staff = app.staff("sam", "Sam Rivera", role).await;
        let mut feed = Feed::open(&staff, path).await;
        assert!(feed.next().await.is_some());
        app.services.set_staff_disabled("sam", true).await.unwrap();
        request(&app).await;
        assert_eq!(feed.next().await, None, "{path} after disabling");
    }
}

#[tokio::test]
async fn a_feed_ends_when_its_session_reaches_its_absolute_lifetime() {
    // Long enough to log in and open the feed on a busy machine; nothing changes after that, so only the
    // session's own end can end the feed (its idle expiry is two weeks away).
    let app = spawn_app_with(&["--session-max-age", "5s"]).await;
    let sam = app.staff("sam", "Sam Rivera", Role::Technician).await;
    let mut board = Feed::open(&sam, "/staff/api/board/events").await;
    assert!(board.next().await.is_some());
    assert_eq!(board.next().await, None, "the feed outlived its session");
    assert_eq!(sam.get_json("/staff/api/board").await.0, 401, "the session itself is over too");
}

/// Feeds share the view loaded after each change, but a feed that just opened loads its own: a checklist edited
/// since (announced to no feed) is on the new feed's first view, not the view shared before the edit.
#[tokio::test]
async fn a_new_feed_starts_with_a_fresh_view_not_one_shared_before_an_unannounced_edit() {
    let app = spawn_app().await;
    let dee = app.staff("dee", "Dee Okafor", Role::Dispatcher).await;
    let (number, token) = request(&app).await;
    let path = format!("/staff/api/dispatch/requests/{number}/events");
    let labels = |view: &Value| -> Vec<String> {
        view["job"]["checklist"].as_array().unwrap().iter().map(|l| l["label"].as_str().unwrap().to_owned()).collect()
    };
    let mut first = Feed::open(&dee, &path).await;
    let before = labels(&first.next().await.unwrap());
    assert!(!before.iter().any(|l| l == "Torque wrench, 120 Nm"));
    // A change: both open feeds get the view shared for it.
    let mut second = Feed::open(&dee, &path).await;
    second.next().await.unwrap();
    call_me_back(&app, &token).await;
    assert_eq!(first.next().await.unwrap()["job"]["request"]["callback_requested"], true);
    assert_eq!(second.next().await.unwrap()["job"]["request"]["callback_requested"], true);
    let saved = dee.post("/dispatch/checklists", &[("problem", "flat_tire"), ("lines", "Torque wrench, 120 Nm")]).await;
    assert_eq!(saved.status(), 204);
    let mut third = Feed::open(&dee, &path).await;
    let fresh = labels(&third.next().await.unwrap());
    assert!(fresh.iter().any(|l| l == "Torque wrench, 120 Nm"), "{fresh:?}");
}
