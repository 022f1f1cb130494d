//! Dispatch over real HTTP: the escalation ladder (driven with a chosen clock, so no test waits for minutes),
//! assign and reassign, arrival confirmed apart from the truck's button, cancel with a reason, the callback
//! queue, the backup roster, the search, and every path that must be refused.
use crate::common::{StaffClient, TestApp, flat_tire, spawn_app_with};
use app::{domain::Role, store::now_ms};
use serde_json::Value;

const MIN: i64 = 60_000;

/// The ladder's own loop waits ten minutes a rung here: only the test's chosen clock moves it.
async fn app() -> TestApp {
    spawn_app_with(&["--escalate-after", "10m"]).await
}

async fn request(app: &TestApp) -> (String, String) {
    let created: Value = app.create(flat_tire()).await.json().await.unwrap();
    (created["number"].as_str().unwrap().to_owned(), created["token"].as_str().unwrap().to_owned())
}

async fn board(dee: &StaffClient) -> Value {
    let (status, page) = dee.get_json("/staff/api/dispatch").await;
    assert_eq!(status, 200, "{page}");
    page["data"].clone()
}

fn card<'a>(board: &'a Value, number: &str) -> &'a Value {
    board["open"].as_array().unwrap().iter().find(|c| c["number"] == number).unwrap_or(&Value::Null)
}

async fn act(dee: &StaffClient, number: &str, form: &[(&str, &str)]) -> (u16, String) {
    let r = dee.post(&format!("/dispatch/requests/{number}/act"), form).await;
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    (status, body["message"].as_str().unwrap_or_default().to_owned())
}

fn kinds(status: &Value) -> Vec<String> {
    status["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn an_unowned_request_climbs_the_ladder_to_an_alarm_that_stays_until_someone_owns_it() {
    let app = app().await;
    let dee = app.staff("dee", "Dee Okafor", Role::Dispatcher).await;
    let sam = app.staff("sam", "Sam Rivera", Role::Technician).await;
    sam.post("/tech/duty", &[("on", "1")]).await;
    let (number, token) = request(&app).await;
    let sent = card(&board(&dee).await, &number)["created_at"].as_i64().unwrap();
    assert_eq!(card(&board(&dee).await, &number)["next_escalation_at"], sent + 10 * MIN);

    assert_eq!(app.services.escalate_due(sent + 10 * MIN - 1).await.unwrap(), 0, "not yet");
    assert_eq!(app.services.escalate_due(sent + 10 * MIN).await.unwrap(), 1);
    assert_eq!(app.services.escalate_due(sent + 10 * MIN + 1).await.unwrap(), 0, "one rung per interval");
    let first = board(&dee).await;
    assert_eq!(
        (card(&first, &number)["escalation"].as_u64(), card(&first, &number)["alarm"].as_bool()),
        (Some(1), Some(false))
    );
    assert_eq!(app.services.escalate_due(sent + 20 * MIN).await.unwrap(), 1);
    assert_eq!(app.services.escalate_due(sent + 30 * MIN).await.unwrap(), 1);
    let alarmed = board(&dee).await;
    assert_eq!(card(&alarmed, &number)["alarm"], true);
    assert_eq!(alarmed["open"][0]["number"], number, "alarms first");
    assert_eq!(app.services.escalate_due(sent + 90 * MIN).await.unwrap(), 0, "nothing above the alarm");

    // Every rung is an event: dispatch reads why, the customer reads what it means for them.
    let (_, view) = dee.get_json(&format!("/staff/api/dispatch/requests/{number}")).await;
    let rungs: Vec<_> = view["data"]["job"]["request"]["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "escalated")
        .map(|e| (e["level"].as_u64().unwrap(), e["concern"].as_str().unwrap().to_owned(), e["every_ms"].as_i64()))
        .collect();
    let unowned = || "unowned".to_owned();
    assert_eq!(rungs, [(1, unowned(), Some(10 * MIN)), (2, unowned(), Some(10 * MIN)), (3, unowned(), Some(10 * MIN))]);
    // Stored as facts, said in the reader's language.
    for (language, said) in [
        (
            "en",
            [
                "Nobody accepted within 10 min: on-duty technicians alerted again.",
                "Still nobody: backup technicians alerted.",
            ],
        ),
        (
            "ru",
            [
                "Никто не принял за 10 мин: техникам на смене отправлено повторно.",
                "Всё ещё никто: оповещены резервные техники.",
            ],
        ),
    ] {
        let page = dee.client.get(dee.url(&format!("/dispatch/requests/{number}"))).header("accept-language", language);
        let page = page.send().await.unwrap().text().await.unwrap();
        for line in said {
            assert!(page.contains(line), "{language}: {line}");
        }
    }
    assert_eq!(view["data"]["alarm"], true);
    let status = app.status(&token).await;
    assert_eq!(kinds(&status), ["received", "escalated", "escalated", "escalated"]);
    assert_eq!(status["status"], "received", "escalating is not a state the customer must decode");

    assert_eq!(sam.step(&number, &[("action", "accept")]).await.status(), 204);
    let owned = board(&dee).await;
    assert_eq!(
        (card(&owned, &number)["alarm"].as_bool(), card(&owned, &number)["escalation"].as_u64()),
        (Some(false), Some(0))
    );
    assert_eq!(
        app.services.escalate_due(sent + 200 * MIN).await.unwrap(),
        0,
        "accepted, not driving: nothing to watch"
    );
}

#[tokio::test]
async fn a_job_long_past_its_eta_escalates_and_a_new_eta_stops_it() {
    let app = app().await;
    let sam = app.staff("sam", "Sam Rivera", Role::Technician).await;
    let (number, token) = request(&app).await;
    sam.step(&number, &[("action", "accept")]).await;
    sam.step(&number, &[("action", "on_my_way"), ("eta_minutes", "5")]).await;
    let eta = now_ms() + 5 * MIN;
    assert_eq!(app.services.escalate_due(eta + 9 * MIN).await.unwrap(), 0);
    assert_eq!(app.services.escalate_due(eta + 11 * MIN).await.unwrap(), 1);
    let dee = app.staff("dee", "Dee Okafor", Role::Dispatcher).await;
    let (_, view) = dee.get_json(&format!("/staff/api/dispatch/requests/{number}")).await;
    let last = view["data"]["job"]["request"]["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["concern"].as_str(), last["every_ms"].as_i64(), last["technician"]["name"].as_str()),
        (Some("late"), Some(10 * MIN), Some("Sam Rivera"))
    );
    // The customer reads the same step in their own words, without the ladder's reasons or Sam's surname.
    let customer = app.status(&token).await;
    let theirs = customer["timeline"].as_array().unwrap().last().unwrap();
    assert_eq!(
        (theirs["kind"].as_str(), theirs["level"].as_u64(), &theirs["concern"], &theirs["technician"]),
        (Some("escalated"), Some(1), &Value::Null, &Value::Null)
    );
    assert!(!customer.to_string().contains("Rivera"));
    // Honest news resets the clock.
    sam.step(&number, &[("action", "on_my_way"), ("eta_minutes", "15")]).await;
    assert_eq!(app.services.escalate_due(eta + 11 * MIN).await.unwrap(), 0);
    assert_eq!(card(&board(&dee).await, &number)["escalation"], 0);
}

#[tokio::test]
async fn dispatch_assigns_reassigns_and_confirms_the_arrival_apart_from_the_truck() {
    let app = app().await;
    let dee = app.staff("dee", "Dee Okafor", Role::Dispatcher).await;
    let sam = app.staff("sam", "Sam Rivera", Role::Technician).await;
    let ben = app.staff("ben", "Ben Adeyemi", Role::Technician).await;
    let (number, token) = request(&app).await;

    assert_eq!(act(&dee, &number, &[("action", "confirm_arrival")]).await.0, 409, "nobody has it yet");
    assert_eq!(act(&dee, &number, &[("action", "assign"), ("technician", &sam.id.to_string())]).await.0, 204);
    let (_, sams) = sam.get_json("/staff/api/board").await;
    assert_eq!(sams["data"]["mine"][0]["number"], number);
    assert_eq!(app.status(&token).await["technician"], "Sam");
    assert_eq!(
        act(&dee, &number, &[("action", "assign"), ("technician", &sam.id.to_string())]).await,
        (409, "Sam Rivera already has this job.".to_owned())
    );
    assert_eq!(act(&dee, &number, &[("action", "assign"), ("technician", &ben.id.to_string())]).await.0, 204);
    assert_eq!(sam.step(&number, &[("action", "arrived")]).await.status(), 403, "reassigned away from Sam");
    assert_eq!(ben.step(&number, &[("action", "on_my_way"), ("eta_minutes", "20")]).await.status(), 204);
    assert_eq!(act(&dee, &number, &[("action", "confirm_arrival")]).await.0, 204);
    assert_eq!(
        act(&dee, &number, &[("action", "confirm_arrival")]).await,
        (409, "Arrival is already confirmed.".to_owned())
    );
    let status = app.status(&token).await;
    assert_eq!(status["status"], "arrived");
    assert_eq!(kinds(&status), ["received", "assigned", "assigned", "on_the_way", "arrival_confirmed"]);
    // The technician's own "Arrived" still follows: dispatch's confirmation is recorded apart from it.
    assert_eq!(ben.step(&number, &[("action", "done"), ("note", "Spare fitted")]).await.status(), 204);
    assert_eq!(act(&dee, &number, &[("action", "assign"), ("technician", &sam.id.to_string())]).await.0, 409);
}

#[tokio::test]
async fn callbacks_queue_until_called_and_cancelling_needs_a_reason_the_customer_reads() {
    let app = app().await;
    let dee = app.staff("dee", "Dee Okafor", Role::Dispatcher).await;
    let (number, token) = request(&app).await;
    assert_eq!(app.post_form(&format!("/r/{token}/callback"), &[]).await.status(), 303);
    let queued = board(&dee).await;
    assert_eq!(queued["callbacks"][0]["number"], number);
    assert_eq!(queued["callbacks"][0]["phone"], "+12015550123");
    assert_eq!(act(&dee, &number, &[("action", "callback_made")]).await.0, 204);
    assert_eq!(board(&dee).await["callbacks"], Value::Array(vec![]));
    assert_eq!(
        act(&dee, &number, &[("action", "callback_made")]).await,
        (409, "No callback is waiting on this request.".to_owned())
    );

    assert_eq!(act(&dee, &number, &[("action", "cancel"), ("reason", "  ")]).await.0, 422);
    assert_eq!(act(&dee, &number, &[("action", "cancel"), ("reason", "Customer got going")]).await.0, 204);
    let status = app.status(&token).await;
    assert_eq!(status["status"], "cancelled");
    let last = status["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["kind"].as_str(), last["reason"].as_str()), (Some("cancelled"), Some("Customer got going")));
    assert_eq!(act(&dee, &number, &[("action", "cancel"), ("reason", "again")]).await.0, 409);
    assert!(board(&dee).await["open"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn only_dispatchers_see_the_board_and_act_on_requests() {
    let app = app().await;
    let (number, token) = request(&app).await;
    let r = app.client.get(app.url("/dispatch")).send().await.unwrap();
    assert_eq!(r.status(), 302);
    assert!(r.headers()["location"].to_str().unwrap().starts_with("/login?next=/dispatch"));
    for api in ["/staff/api/dispatch", "/staff/api/dispatch/events", &format!("/staff/api/dispatch/requests/{number}")]
    {
        assert_eq!(app.client.get(app.url(api)).send().await.unwrap().status(), 401, "{api}");
    }
    let sam = app.staff("sam", "Sam Rivera", Role::Technician).await;
    for api in [
        "/staff/api/dispatch",
        "/staff/api/dispatch/events",
        &format!("/staff/api/dispatch/requests/{number}"),
        "/staff/api/dispatch/search?q=2026-11-24",
    ] {
        assert_eq!(sam.get_json(api).await.0, 403, "{api}");
    }
    assert_eq!(act(&sam, &number, &[("action", "cancel"), ("reason", "mine now")]).await.0, 403);
    assert_eq!(
        sam.post("/dispatch/roster", &[("technician", &sam.id.to_string()), ("backup", "1")]).await.status(),
        403
    );
    let dee = app.staff("dee", "Dee Okafor", Role::Dispatcher).await;
    let anonymous = app.client.post(app.url(&format!("/dispatch/requests/{number}/act"))).form(&[("action", "cancel")]);
    assert_eq!(anonymous.send().await.unwrap().status(), 403);
    assert_eq!(act(&dee, "RC-XXXX", &[("action", "confirm_arrival")]).await.0, 404);
    assert_eq!(
        act(&dee, &number, &[("action", "assign"), ("technician", &dee.id.to_string())]).await.0,
        422,
        "not a technician"
    );
    assert_eq!(act(&dee, &number, &[("action", "assign")]).await.0, 422);
    assert_eq!(act(&dee, &number, &[("action", "fly")]).await.0, 422);
    assert_eq!(kinds(&app.status(&token).await), ["received"], "nothing was recorded");
}

#[tokio::test]
async fn backups_are_kept_on_the_roster_by_dispatch() {
    let app = app().await;
    let dee = app.staff("dee", "Dee Okafor", Role::Dispatcher).await;
    let sam = app.staff("sam", "Sam Rivera", Role::Technician).await;
    let ben = app.staff("ben", "Ben Adeyemi", Role::Technician).await;
    sam.post("/tech/duty", &[("on", "1")]).await;
    assert_eq!(
        dee.post("/dispatch/roster", &[("technician", &ben.id.to_string()), ("backup", "1")]).await.status(),
        204
    );
    let roster: Vec<_> = board(&dee).await["roster"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (t["name"].as_str().unwrap().to_owned(), t["on_duty_since"].is_number(), t["backup"].as_bool().unwrap())
        })
        .collect();
    assert_eq!(roster, [("Sam Rivera".to_owned(), true, false), ("Ben Adeyemi".to_owned(), false, true)]);
    assert_eq!(
        dee.post("/dispatch/roster", &[("technician", &dee.id.to_string()), ("backup", "1")]).await.status(),
        422
    );
    assert_eq!(dee.post("/dispatch/roster", &[("technician", "x")]).await.status(), 422);
    assert_eq!(
        dee.post("/dispatch/roster", &[("technician", &ben.id.to_string()), ("backup", "0")]).await.status(),
        204
    );
    assert!(board(&dee).await["roster"].as_array().unwrap().iter().all(|t| t["backup"] == false));
}

#[tokio::test]
async fn requests_are_found_by_number_phone_and_day() {
    let app = app().await;
    let dee = app.staff("dee", "Dee Okafor", Role::Dispatcher).await;
    let (number, _) = request(&app).await;
    let (other, _) = request(&app).await;
    let found = |q: String| {
        let dee = &dee;
        async move {
            let (status, page) = dee.get_json(&format!("/staff/api/dispatch/search?q={q}")).await;
            let numbers: Vec<String> = page["data"]["cards"]
                .as_array()
                .map(|a| a.iter().map(|c| c["number"].as_str().unwrap().to_owned()).collect())
                .unwrap_or_default();
            (status, numbers, page["message"].as_str().unwrap_or_default().to_owned())
        }
    };
    let bare = number.trim_start_matches("RC-").to_lowercase();
    assert_eq!(found(bare).await.1, std::slice::from_ref(&number));
    assert_eq!(found("(201)%20555-0123".into()).await.1, [other.clone(), number.clone()], "newest first");
    let today = app::domain::Zone::default().day_of(now_ms());
    assert_eq!(found(today.clone()).await.1.len(), 2);
    // The day as a Russian dispatcher writes it (and as their pages show it).
    let day_first = today.split('-').rev().collect::<Vec<_>>().join(".");
    assert_eq!(found(day_first).await.1.len(), 2);
    assert_eq!(found("1999-01-01".into()).await.1.len(), 0);
    let (status, _, message) = found("somewhere".into()).await;
    assert_eq!(
        (status, message.as_str()),
        (422, "Search by request number (RC-7K3Q), phone number or date (2026-11-24).")
    );
}

fn location(r: &reqwest::Response) -> String {
    r.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_dispatcher_takes_a_request_by_phone_with_the_customers_form_and_rules() {
    let app = app().await;
    let dee = app.staff("dee", "Dee Okafor", Role::Dispatcher).await;
    let sam = app.staff("sam", "Sam Rivera", Role::Technician).await;

    // The customer's validation: no place and a bad number are refused with the reasons, field by field.
    let refused = dee.post("/dispatch/phone-in", &[("problem", "battery"), ("phone", "12")]).await;
    assert_eq!(refused.status(), 422);
    let body: Value = refused.json().await.unwrap();
    let fields: Vec<&str> = body["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"phone") && fields.contains(&"place"), "{body}");
    // A plain form gets the form drawn again, with what was typed, and nothing of it in a URL.
    let typed = [
        ("csrf", dee.csrf.as_str()),
        ("problem", "battery"),
        ("phone", "12"),
        ("name", "Maria Lopez"),
        ("language", "ru"),
    ];
    let refused = dee.client.post(dee.url("/dispatch/phone-in")).form(&typed).send().await.unwrap();
    assert_eq!(refused.status(), 422);
    assert!(refused.headers().get("location").is_none());
    let html = refused.text().await.unwrap();
    assert!(html.contains("value=\"Maria Lopez\"") && html.contains("does not look like a phone number"), "{html}");
    // The caller's language, picked by an English dispatcher, is kept with the rest of what was typed.
    assert!(html.contains("<option value=\"ru\" selected>Русский</option>"), "{html}");
    assert!(html.contains("<option value=\"en\">English</option>"), "{html}");

    let form = [
        ("key", "00000000000000000000000000000001"),
        ("problem", "battery"),
        ("phone", "+1 201 555 0188"),
        ("name", "Maria"),
        ("place", "Walmart car park, Route 9, by the garden centre"),
    ];
    let created = dee.post("/dispatch/phone-in", &form).await;
    assert_eq!(created.status(), 303);
    let page = location(&created);
    let number = page.strip_prefix("/dispatch/requests/").expect("the request's page").to_owned();
    let (status, view) = dee.get_json(&format!("/staff/api/dispatch/requests/{number}")).await;
    assert_eq!(status, 200);
    let view = &view["data"];
    assert_eq!(view["source"], "phone");
    assert_eq!(view["language"], "en", "dispatch's own language unless another is picked");
    assert_eq!(view["job"]["request"]["phone"], "+12015550188");
    assert_eq!(view["job"]["request"]["timeline"][0]["by"]["name"], "Dee Okafor", "who took the call");
    let status_path = view["status_path"].as_str().unwrap();
    assert!(status_path.starts_with("/r/"), "{status_path}");
    assert_eq!(app.status(&status_path[3..]).await["number"], number, "the link the caller gets works");
    // A double tap on "Create" makes one request.
    assert_eq!(location(&dee.post("/dispatch/phone-in", &form).await), page);
    assert_eq!(board(&dee).await["open"].as_array().unwrap().len(), 1);

    assert_eq!(sam.post("/dispatch/phone-in", &form[1..]).await.status(), 403, "technicians do not take calls");
    let no_token = app.client.post(app.url("/dispatch/phone-in")).form(&form[1..]).send().await.unwrap();
    assert_eq!(no_token.status(), 403);
}

#[tokio::test]
async fn the_customer_answers_the_follow_up_once_after_done_and_reports_count_it() {
    let app = app().await;
    let dee = app.staff("dee", "Dee Okafor", Role::Dispatcher).await;
    let sam = app.staff("sam", "Sam Rivera", Role::Technician).await;
    let (number, token) = request(&app).await;
    let (second, _) = request(&app).await;
    let (third, _) = request(&app).await;
    let answer = |rating: &'static str| {
        let path = format!("/r/{token}/follow-up");
        let app = &app;
        async move { app.post_form(&path, &[("rating", rating), ("comment", "Quick, and he explained everything")]).await }
    };

    assert_eq!(answer("5").await.status(), 422, "not before the job is done");
    for n in [&number, &second] {
        for step in [
            vec![("action", "accept")],
            vec![("action", "arrived")],
            vec![("action", "done"), ("note", "Spare fitted")],
        ] {
            assert_eq!(sam.step(n, &step).await.status(), 204);
        }
    }
    assert_eq!(app.status(&token).await["follow_up_due"], true);
    let bad = answer("7").await;
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("from 1 (not at all) to 5 (very)"));
    assert_eq!(answer("4").await.status(), 303);
    assert_eq!(answer("1").await.status(), 409, "asked once");
    let status = app.status(&token).await;
    assert_eq!(status["follow_up_due"], false);
    let last = status["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["kind"].as_str(), last["rating"].as_u64()), (Some("follow_up"), Some(4)));

    let (code, report) = dee.get_json("/staff/api/dispatch/reports").await;
    assert_eq!(code, 200, "{report}");
    let report = &report["data"];
    assert_eq!(report["total"]["requests"], 3);
    assert_eq!(report["total"]["accepted"], 2);
    assert_eq!(report["total"]["arrived"], 2);
    assert_eq!(report["total"]["rating_tenths"], 40);
    assert_eq!(report["by_technician"][0]["key"], "Sam Rivera");
    assert_eq!(report["by_technician"][0]["requests"], 2);
    assert!(report["by_technician"][0]["median_to_accept_ms"].as_i64().unwrap() >= 0);
    assert_eq!(report["by_day"].as_array().unwrap().len(), 1);
    assert_eq!(report["answers"][0]["number"], number);
    assert_eq!(report["answers"][0]["comment"], "Quick, and he explained everything");
    let unanswered: Vec<&str> =
        report["unanswered"].as_array().unwrap().iter().map(|f| f["number"].as_str().unwrap()).collect();
    assert_eq!(unanswered, [second.as_str()], "done without an answer; {third} is still open");

    let csv = dee.client.get(dee.url("/dispatch/reports.csv")).send().await.unwrap();
    assert_eq!(csv.status(), 200);
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(csv.headers()["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\"roadcall-"));
    let csv = csv.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    let answered = lines.iter().find(|l| l.starts_with(&number)).unwrap();
    assert!(answered.contains(",done,Sam Rivera,") && answered.ends_with(",4,\"Quick, and he explained everything\""));

    let (code, refused) = dee.get_json("/staff/api/dispatch/reports?from=2026-11-25&to=2026-11-01").await;
    assert_eq!((code, refused["message"].as_str()), (422, Some("The first day is after the last.")));
    assert_eq!(sam.get_json("/staff/api/dispatch/reports").await.0, 403);
    assert_eq!(sam.client.get(sam.url("/dispatch/reports.csv")).send().await.unwrap().status(), 403);
}

#[tokio::test]
async fn truck_checklists_are_edited_per_problem_and_the_staff_list_is_shown() {
    let app = app().await;
    let dee = app.staff("dee", "Dee Okafor", Role::Dispatcher).await;
    let sam = app.staff("sam", "Sam Rivera", Role::Technician).await;
    let (code, setup) = dee.get_json("/staff/api/dispatch/setup").await;
    assert_eq!(code, 200);
    let logins: Vec<&str> =
        setup["data"]["staff"].as_array().unwrap().iter().map(|s| s["login"].as_str().unwrap()).collect();
    assert_eq!(logins, ["dee", "sam"]);
    let flat = setup["data"]["checklists"].as_array().unwrap().iter().find(|t| t["problem"] == "flat_tire").unwrap();
    assert_eq!(flat["lines"][0]["label"], "Is there a spare wheel, and is it inflated?");

    let (number, _) = request(&app).await;
    assert_eq!(sam.step(&number, &[("action", "accept")]).await.status(), 204);
    let lines = "? Is there a spare wheel, and is it inflated?\nLow-profile jack\nTyre inflator with a long hose";
    let saved = dee.post("/dispatch/checklists", &[("problem", "flat_tire"), ("lines", lines)]).await;
    assert_eq!(saved.status(), 204);
    let (_, job) = sam.get_json(&format!("/staff/api/jobs/{number}")).await;
    let labels: Vec<&str> =
        job["data"]["checklist"].as_array().unwrap().iter().map(|l| l["label"].as_str().unwrap()).collect();
    assert_eq!(
        &labels[..3],
        ["Is there a spare wheel, and is it inflated?", "Low-profile jack", "Tyre inflator with a long hose"]
    );
    assert!(labels.contains(&"Hi-vis vest"), "every job's list is untouched");
    assert!(!labels.contains(&"Torque wrench"), "dropped lines are gone");

    let refused = dee.post("/dispatch/checklists", &[("problem", "spaceship"), ("lines", "x")]).await;
    assert_eq!(refused.status(), 422);
    let long = "x".repeat(200);
    let (status, body) = {
        let r = dee.post("/dispatch/checklists", &[("problem", "battery"), ("lines", &format!("ok\n{long}"))]).await;
        (r.status().as_u16(), r.json::<Value>().await.unwrap())
    };
    assert_eq!((status, body["message"].as_str()), (422, Some("Line 2: keep it under 120 characters.")));
    assert_eq!(sam.post("/dispatch/checklists", &[("problem", "battery"), ("lines", "x")]).await.status(), 403);
    assert_eq!(sam.get_json("/staff/api/dispatch/setup").await.0, 403);
}

#[tokio::test]
async fn a_child_or_pet_locked_inside_goes_first_and_sounds_the_alarm_at_once() {
    let app = app().await;
    let dee = app.staff("dee", "Dee Okafor", Role::Dispatcher).await;
    let sam = app.staff("sam", "Sam Rivera", Role::Technician).await;
    let (older, _) = request(&app).await;
    // By the partner API...
    let mut body = flat_tire();
    body["problem"] = "lockout".into();
    body["someone_inside"] = true.into();
    let created: Value = app.create(body).await.json().await.unwrap();
    let (urgent, token) = (created["number"].as_str().unwrap(), created["token"].as_str().unwrap());
    assert_eq!(app.status(token).await["someone_inside"], true);
    // ...and by the customer's plain form, where a ticked box is all there is.
    let form =
        [("problem", "lockout"), ("phone", "+1 201 555 0188"), ("place", "Lidl car park"), ("someone_inside", "1")];
    assert_eq!(app.post_form("/request", &form).await.status(), 303);

    // First on the technician's board, though newer; the plain one keeps its place after them.
    let (_, tech) = sam.get_json("/staff/api/board").await;
    let open: Vec<(&str, bool)> = tech["data"]["open"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["number"].as_str().unwrap(), c["someone_inside"].as_bool().unwrap()))
        .collect();
    assert_eq!(open.len(), 3);
    assert_eq!((open[0], open[1].1, open[2]), ((urgent, true), true, (older.as_str(), false)));

    // Dispatch: the alarm is up at once, with no rung climbed, and first on the board.
    let b = board(&dee).await;
    assert_eq!((card(&b, urgent)["alarm"].as_bool(), card(&b, urgent)["escalation"].as_u64()), (Some(true), Some(0)));
    assert_eq!(card(&b, &older)["alarm"], false);
    assert_ne!(b["open"][2]["number"], urgent, "emergencies before the plain request");
    assert_eq!(b["open"][2]["number"], older.as_str());
    // Owned: the alarm stops; the request stays marked.
    assert_eq!(sam.step(urgent, &[("action", "accept")]).await.status(), 204);
    let b = board(&dee).await;
    assert_eq!(
        (card(&b, urgent)["alarm"].as_bool(), card(&b, urgent)["someone_inside"].as_bool()),
        (Some(false), Some(true))
    );
    let (_, view) = dee.get_json(&format!("/staff/api/dispatch/requests/{urgent}")).await;
    assert_eq!(view["data"]["job"]["request"]["someone_inside"], true);
    assert_eq!(view["data"]["alarm"], false);

    // Not ticked means not urgent, and a wrong type is refused with the field's name.
    let (plain, _) = request(&app).await;
    assert_eq!(card(&board(&dee).await, &plain)["someone_inside"], false);
    let mut bad = flat_tire();
    bad["someone_inside"] = "yes".into();
    let r = app.create(bad).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("someone_inside"));
}

/// A plain form's redirect is built from what the client sent (the path's number, the `back` field): odd input
/// there still ends in a valid address, never a 500 after the step was recorded.
#[tokio::test]
async fn a_plain_forms_redirect_survives_odd_input() {
    let app = app().await;
    let dee = app.staff("dee", "Dee Okafor", Role::Dispatcher).await;
    let sam = app.staff("sam", "Sam Rivera", Role::Technician).await;
    let (number, _) = request(&app).await;
    let plain = |who: &StaffClient, path: String, form: Vec<(&'static str, String)>| {
        who.client.post(who.url(&path)).header("x-csrf-token", &who.csrf).form(&form).send()
    };
    // The number with a trailing newline still finds the request (it is trimmed), and the redirect is encoded.
    let r = plain(&sam, format!("/tech/jobs/{number}%0A/step"), vec![("action", "accept".into())]).await.unwrap();
    assert_eq!(r.status(), 303, "{:?}", r.text().await);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(&format!("/tech/jobs/{number}")), "{location}");
    // A `back` with a control character is not followed: dispatch's page of the request instead.
    let form = vec![("action", "cancel".into()), ("reason", "duplicate".into()), ("back", "/dispatch/\u{1}x".into())];
    let r = plain(&dee, format!("/dispatch/requests/{number}/act"), form).await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], format!("/dispatch/requests/{number}").as_str());
}

#[tokio::test]
async fn a_service_in_moscow_shows_moscow_times_and_its_days_run_from_moscow_midnight() {
    let app = spawn_app_with(&["--time-zone", "Europe/Moscow"]).await;
    let dee = app.staff("dee", "Dee Okafor", Role::Dispatcher).await;
    let (late, token) = request(&app).await;
    let (early, _) = request(&app).await;
    // 2026-11-24 23:59 and 2026-11-25 00:01 in Moscow: both on the 24th in UTC.
    const NOV_24_2059Z: i64 = 1_795_553_940_000;
    let mut db = app.db().await;
    for (number, at) in [(&late, NOV_24_2059Z), (&early, NOV_24_2059Z + 2 * MIN)] {
        sqlx::query("UPDATE help_requests SET created_at = $1 WHERE number = $2")
            .bind(at)
            .bind(number)
            .execute(&mut db)
            .await
            .unwrap();
    }

    let (code, report) = dee.get_json("/staff/api/dispatch/reports?from=2026-11-24&to=2026-11-25").await;
    assert_eq!(code, 200, "{report}");
    let days: Vec<(&str, u64)> = report["data"]["by_day"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["key"].as_str().unwrap(), d["requests"].as_u64().unwrap()))
        .collect();
    assert_eq!(days, [("2026-11-24", 1), ("2026-11-25", 1)], "{report}");
    let (_, one_day) = dee.get_json("/staff/api/dispatch/reports?from=2026-11-25&to=2026-11-25").await;
    assert_eq!(one_day["data"]["total"]["requests"], 1, "the 25th starts at 21:00 UTC");
    let found = dee.get_json("/staff/api/dispatch/search?q=2026-11-25").await.1;
    assert_eq!(found["data"]["cards"][0]["number"], early.as_str());
    assert_eq!(found["data"]["cards"].as_array().unwrap().len(), 1);

    let csv = dee.client.get(dee.url("/dispatch/reports.csv?from=2026-11-24&to=2026-11-25")).send().await.unwrap();
    let csv = csv.text().await.unwrap();
    assert!(csv.contains(&format!("{late},2026-11-24T23:59:00+03:00,")), "{csv}");
    assert!(csv.contains(&format!("{early},2026-11-25T00:01:00+03:00,")), "{csv}");

    // Pages draw times in Moscow's time and hand the wasm the same table, so it draws them alike.
    let page = app.client.get(app.url(&format!("/r/{token}"))).send().await.unwrap().text().await.unwrap();
    // Every offset since 1970 (Moscow kept summer time until 2011), ending with today's.
    assert!(page.contains(r#"<meta name="roadcall-time-zone" content="Europe/Moscow|0:10800:MSK|"#), "{page}");
    assert!(page.contains(r#":10800:MSK">"#), "{page}");
    let received = crate::common::unix_ms(&app.status(&token).await["timeline"][0]["at"]);
    let moscow = app::domain::Zone::fixed("Europe/Moscow", 3 * 3600, "MSK");
    let drawn = format!(
        r#"datetime="{}" data-ms="{received}">{} MSK</time>"#,
        moscow.rfc3339(received),
        moscow.clock(received)
    );
    assert!(page.contains(&drawn), "{drawn} in {page}");
}
