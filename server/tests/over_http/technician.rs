//! The technician's side over real HTTP: login, who may see and do what, the job steps the customer sees,
//! the first accept winning, and checklist ticks.
use crate::common::{StaffClient, TestApp, flat_tire, spawn_app, unix_ms};
use app::domain::Role;
use serde_json::Value;

/// A request from the API: (number, token).
async fn request(app: &TestApp) -> (String, String) {
    let created: Value = app.create(flat_tire()).await.json().await.unwrap();
    (created["number"].as_str().unwrap().to_owned(), created["token"].as_str().unwrap().to_owned())
}

async fn message(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    (status, body["message"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn staff_pages_and_reads_need_a_login() {
    let app = spawn_app().await;
    let (number, _) = request(&app).await;
    for page in ["/tech", &format!("/tech/jobs/{number}")] {
        let r = app.client.get(app.url(page)).send().await.unwrap();
        assert_eq!(r.status(), 302, "{page}: {:?}", r.headers());
        let location = r.headers()["location"].to_str().unwrap();
        assert!(location.starts_with("/login?next=/tech"), "{page} → {location}");
    }
    for api in ["/staff/api/board", &format!("/staff/api/jobs/{number}"), "/staff/api/board/events"] {
        let r = app.client.get(app.url(api)).send().await.unwrap();
        assert_eq!(r.status(), 401, "{api}");
    }
    // Posting without a session changes nothing.
    let r = app.client.post(app.url(&format!("/tech/jobs/{number}/step"))).form(&[("action", "accept")]).send().await;
    assert_eq!(r.unwrap().status(), 403);
    let s = app.staff("sam", "Sam Rivera", Role::Technician).await;
    let (_, job) = s.get_json(&format!("/staff/api/jobs/{number}")).await;
    assert_eq!(job["data"]["request"]["status"], "received");
}

#[tokio::test]
async fn wrong_logins_get_one_answer_and_disabled_accounts_none() {
    let app = spawn_app().await;
    app.add_staff("sam", "Sam Rivera", Role::Technician).await;
    let wrong_password = app.log_in("sam", "not the password").await.err().unwrap();
    let no_such_login = app.log_in("nobody", "a long enough password").await.err().unwrap();
    assert_eq!(wrong_password, no_such_login);
    assert_eq!(wrong_password.0, 401);
    assert!(app.log_in("SAM", "a long enough password").await.is_ok(), "logins are case-insensitive");
    let logged_in = app.log_in("sam", "a long enough password").await.unwrap();
    app.services.set_staff_disabled("sam", true).await.unwrap();
    assert_eq!(
        app.log_in("sam", "a long enough password").await.err().unwrap().1,
        "This account is disabled. Ask your admin."
    );
    // A session of a disabled account stops working at once.
    assert_eq!(logged_in.get_json("/staff/api/board").await.0, 401);
}

#[tokio::test]
async fn state_changes_need_the_sessions_csrf_token_and_our_origin() {
    let app = spawn_app().await;
    let sam = app.staff("sam", "Sam Rivera", Role::Technician).await;
    let without = sam.client.post(sam.url("/tech/duty")).form(&[("on", "1")]).send().await.unwrap();
    assert_eq!(without.status(), 403);
    let wrong = sam
        .client
        .post(sam.url("/tech/duty"))
        .header("x-csrf-token", "0123")
        .form(&[("on", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    let foreign = sam
        .client
        .post(sam.url("/tech/duty"))
        .header("origin", "https://evil.example")
        .form(&[("on", "1"), ("csrf", &sam.csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    assert_eq!(sam.get_json("/staff/api/board").await.1["data"]["on_duty"], false);
    // The plain HTML form: token in the body, answered with a redirect.
    let form = sam.client.post(sam.url("/tech/duty")).form(&[("on", "1"), ("csrf", &sam.csrf)]).send().await.unwrap();
    assert_eq!(form.status(), 303);
    assert_eq!(sam.get_json("/staff/api/board").await.1["data"]["on_duty"], true);
    assert_eq!(sam.post("/tech/duty", &[("on", "0")]).await.status(), 204);
    assert_eq!(sam.get_json("/staff/api/board").await.1["data"]["on_duty"], false);
}

#[tokio::test]
async fn each_step_reaches_the_customer_with_the_first_name_and_eta() {
    let app = spawn_app().await;
    let (number, token) = request(&app).await;
    let sam = app.staff("sam", "Sam Rivera", Role::Technician).await;
    let (_, board) = sam.get_json("/staff/api/board").await;
    assert_eq!(board["data"]["open"][0]["number"], number.as_str());

    assert_eq!(sam.step(&number, &[("action", "accept")]).await.status(), 204);
    let status = app.status(&token).await;
    assert_eq!((status["status"].as_str(), status["technician"].as_str()), (Some("accepted"), Some("Sam")));

    assert_eq!(sam.step(&number, &[("action", "on_my_way"), ("eta_minutes", "25")]).await.status(), 204);
    let status = app.status(&token).await;
    assert_eq!(status["status"], "on_the_way");
    let on_way = status["timeline"].as_array().unwrap().last().unwrap().clone();
    let eta = unix_ms(&status["eta_at"]) - unix_ms(&on_way["at"]);
    assert_eq!(eta, 25 * 60_000);
    assert_eq!(on_way["by"]["name"], "Sam", "customers see first names only");
    assert!(status.to_string().find("Rivera").is_none(), "no full names, no staff ids: {status}");

    assert_eq!(sam.step(&number, &[("action", "on_my_way"), ("eta_minutes", "40")]).await.status(), 204);
    assert_eq!(sam.step(&number, &[("action", "arrived")]).await.status(), 204);
    assert_eq!(app.status(&token).await["status"], "arrived");
    assert_eq!(sam.step(&number, &[("action", "done"), ("note", "Fitted the spare")]).await.status(), 204);
    let status = app.status(&token).await;
    let kinds: Vec<&str> = status["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["received", "accepted", "on_the_way", "eta_changed", "arrived", "done"]);
    assert_eq!(status["timeline"][5]["note"], "Fitted the spare");
    let (_, board) = sam.get_json("/staff/api/board").await;
    assert_eq!(board["data"]["open"], Value::Array(vec![]));
    assert_eq!(board["data"]["mine"], Value::Array(vec![]));
}

#[tokio::test]
async fn the_first_accept_wins_and_the_job_is_then_hidden_from_the_others() {
    let app = spawn_app().await;
    let (number, _) = request(&app).await;
    let sam = app.staff("sam", "Sam Rivera", Role::Technician).await;
    let kim = app.staff("kim", "Kim Lee", Role::Technician).await;
    let accept = [("action", "accept")];
    let (a, b) = tokio::join!(sam.step(&number, &accept), kim.step(&number, &accept));
    let (a, b) = (message(a).await, message(b).await);
    let mut codes = [a.0, b.0];
    codes.sort();
    assert_eq!(codes, [204, 409], "{a:?} {b:?}");
    let (winner, loser): (&StaffClient, &StaffClient) = if a.0 == 204 { (&sam, &kim) } else { (&kim, &sam) };
    let loser_message = if a.0 == 204 { &b.1 } else { &a.1 };
    let winner_name = if a.0 == 204 { "Sam Rivera" } else { "Kim Lee" };
    assert_eq!(loser_message, &format!("{winner_name} has already taken this job."));
    let (status, _) = loser.get_json(&format!("/staff/api/jobs/{number}")).await;
    assert_eq!(status, 403);
    let tick = loser.post(&format!("/tech/jobs/{number}/check"), &[("item", "1"), ("checked", "1")]).await;
    assert_eq!(tick.status(), 403);
    let (status, job) = winner.get_json(&format!("/staff/api/jobs/{number}")).await;
    assert_eq!((status, job["data"]["mine"].as_bool()), (200, Some(true)));
    // Can't take: back to the pool, where the other may take it.
    let (status, text) = message(winner.step(&number, &[("action", "cant_take")]).await).await;
    assert_eq!((status, text.as_str()), (422, "Say why you can not take it, so dispatch knows."));
    assert_eq!(winner.step(&number, &[("action", "cant_take"), ("note", "Flat myself")]).await.status(), 204);
    assert_eq!(loser.step(&number, &accept).await.status(), 204);
}

#[tokio::test]
async fn steps_out_of_order_or_malformed_are_refused_with_reasons() {
    let app = spawn_app().await;
    let (number, _) = request(&app).await;
    let sam = app.staff("sam", "Sam Rivera", Role::Technician).await;
    let refused = |r| message(r);
    assert_eq!(refused(sam.step(&number, &[("action", "arrived")]).await).await, (409, "Accept the job first.".into()));
    sam.step(&number, &[("action", "accept")]).await;
    assert_eq!(
        refused(sam.step(&number, &[("action", "done"), ("note", "x")]).await).await,
        (409, "Mark \"Arrived\" before \"Done\".".into())
    );
    for eta in ["0", "601", "soon", ""] {
        let (status, text) = refused(sam.step(&number, &[("action", "on_my_way"), ("eta_minutes", eta)]).await).await;
        assert_eq!((status, text.as_str()), (422, "Give the ETA in whole minutes, from 1 to 600."), "{eta}");
    }
    let (status, _) = refused(sam.step(&number, &[("action", "teleport")]).await).await;
    assert_eq!(status, 422);
    let (status, text) = refused(sam.step("RC-NOPE", &[("action", "accept")]).await).await;
    assert_eq!((status, text.as_str()), (404, "No request has the number RC-NOPE."));
    let dana = app.staff("dana", "Dana Okafor", Role::Dispatcher).await;
    assert_eq!(
        refused(dana.step(&number, &[("action", "arrived")]).await).await,
        (403, "Only technicians work jobs.".into())
    );
}

#[tokio::test]
async fn a_technician_sets_off_for_one_job_at_a_time() {
    let app = spawn_app().await;
    let (first, _) = request(&app).await;
    let (second, second_token) = request(&app).await;
    let sam = app.staff("sam", "Sam Rivera", Role::Technician).await;
    let (kim, (third, _)) = (app.staff("kim", "Kim Lee", Role::Technician).await, request(&app).await);
    for number in [&first, &second] {
        assert_eq!(sam.step(number, &[("action", "accept")]).await.status(), 204);
    }
    let set_off = [("action", "on_my_way"), ("eta_minutes", "20")];
    assert_eq!(sam.step(&first, &set_off).await.status(), 204);
    let refused = message(sam.step(&second, &set_off).await).await;
    let why = format!("You are still on {first}: press Done there (or Can't take) before setting off again.");
    assert_eq!(refused, (409, why.clone()));
    // Still there at the first customer: the same.
    assert_eq!(sam.step(&first, &[("action", "arrived")]).await.status(), 204);
    assert_eq!(message(sam.step(&second, &set_off).await).await, (409, why));
    // The customer waiting for the second job was told nothing untrue.
    let status: Value = app
        .client
        .get(app.url(&format!("/api/v1/requests/{second_token}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["status"], "accepted");
    // Another technician's trip is no obstacle to anyone else.
    assert_eq!(kim.step(&third, &[("action", "accept")]).await.status(), 204);
    assert_eq!(kim.step(&third, &set_off).await.status(), 204);
    // Done with the first: off to the second.
    assert_eq!(sam.step(&first, &[("action", "done"), ("note", "Spare fitted")]).await.status(), 204);
    assert_eq!(sam.step(&second, &set_off).await.status(), 204);
}

#[tokio::test]
async fn checklist_ticks_are_kept_per_job() {
    let app = spawn_app().await;
    let (first, _) = request(&app).await;
    let (second, _) = request(&app).await;
    let sam = app.staff("sam", "Sam Rivera", Role::Technician).await;
    let (_, job) = sam.get_json(&format!("/staff/api/jobs/{first}")).await;
    let lines = job["data"]["checklist"].as_array().unwrap().clone();
    let labels: Vec<&str> = lines.iter().map(|l| l["label"].as_str().unwrap()).collect();
    assert_eq!(labels[0], "Is there a spare wheel, and is it inflated?", "questions to ask come first");
    assert!(labels.contains(&"Low-profile jack") && labels.contains(&"Hi-vis vest"));
    assert!(!labels.contains(&"Jump pack with reverse-polarity protection"), "no battery kit for a tyre");
    let jack = lines.iter().find(|l| l["label"] == "Low-profile jack").unwrap()["id"].to_string();

    let tick = |n: String, item: String, on: &'static str| {
        let sam = &sam;
        async move { sam.post(&format!("/tech/jobs/{n}/check"), &[("item", &item), ("checked", on)]).await.status() }
    };
    assert_eq!(tick(first.clone(), jack.clone(), "1").await, 409, "accept before ticking");
    sam.step(&first, &[("action", "accept")]).await;
    sam.step(&second, &[("action", "accept")]).await;
    assert_eq!(tick(first.clone(), jack.clone(), "1").await, 204);
    let checked =
        |job: &Value| job["data"]["checklist"].as_array().unwrap().iter().filter(|l| l["checked"] == true).count();
    assert_eq!(checked(&sam.get_json(&format!("/staff/api/jobs/{first}")).await.1), 1);
    assert_eq!(checked(&sam.get_json(&format!("/staff/api/jobs/{second}")).await.1), 0);
    assert_eq!(tick(first.clone(), jack.clone(), "0").await, 204);
    assert_eq!(checked(&sam.get_json(&format!("/staff/api/jobs/{first}")).await.1), 0);
    // A battery item on a tyre job, and an item that does not exist.
    let battery_item = "19".to_owned();
    assert_eq!(tick(first.clone(), battery_item, "1").await, 422);
    assert_eq!(tick(first.clone(), "99999".into(), "1").await, 422);
}

#[tokio::test]
async fn no_demo_accounts_unless_asked_for() {
    let app = spawn_app().await;
    assert!(app.services.store.list_staff().await.unwrap().is_empty());
    assert!(app.log_in("tech", "anything at all").await.is_err());
}

#[tokio::test]
async fn everyone_sees_who_is_on_duty_and_whether_alerts_reach_them() {
    let app = spawn_app().await;
    let sam = app.staff("sam", "Sam Rivera", Role::Technician).await;
    let dana = app.staff("dana", "Dana Okafor", Role::Dispatcher).await;
    let crew = |board: Value| board["data"]["crew"].as_array().unwrap().clone();
    assert!(crew(dana.get_json("/staff/api/board").await.1).is_empty());
    assert_eq!(sam.post("/tech/duty", &[("on", "1")]).await.status(), 204);
    let on_duty = crew(dana.get_json("/staff/api/board").await.1);
    assert_eq!(on_duty.len(), 1);
    assert_eq!((on_duty[0]["name"].as_str(), on_duty[0]["devices"].as_u64()), (Some("Sam Rivera"), Some(0)));
    // Dispatchers are not technicians: they can not go on duty for jobs.
    assert_eq!(dana.post("/tech/duty", &[("on", "1")]).await.status(), 403);
    // A disabled account is off duty at once.
    app.services.set_staff_disabled("sam", true).await.unwrap();
    assert!(crew(dana.get_json("/staff/api/board").await.1).is_empty());
}

#[tokio::test]
async fn opening_a_job_from_its_alert_records_that_it_was_seen_once_for_dispatch_only() {
    let app = spawn_app().await;
    let (number, token) = request(&app).await;
    let sam = app.staff("sam", "Sam Rivera", Role::Technician).await;
    let kinds = |job: &Value| -> Vec<String> {
        job["data"]["request"]["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_owned())
            .collect()
    };
    // Opened from the board: nothing recorded.
    let page = sam.client.get(sam.url(&format!("/tech/jobs/{number}"))).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let (_, job) = sam.get_json(&format!("/staff/api/jobs/{number}")).await;
    assert_eq!(kinds(&job), ["received"]);
    // Opened from the alert's link, twice: seen, once.
    for _ in 0..2 {
        let page = sam.client.get(sam.url(&format!("/tech/jobs/{number}?seen=push"))).send().await.unwrap();
        assert_eq!(page.status(), 200);
    }
    let (_, job) = sam.get_json(&format!("/staff/api/jobs/{number}")).await;
    assert_eq!(kinds(&job), ["received", "seen"]);
    let seen = &job["data"]["request"]["timeline"][1];
    assert_eq!((seen["via"].as_str(), seen["by"]["name"].as_str()), (Some("push"), Some("Sam Rivera")));
    // The customer does not read it.
    let status = app.status(&token).await;
    assert_eq!(status["timeline"].as_array().unwrap().len(), 1, "{status}");
}
