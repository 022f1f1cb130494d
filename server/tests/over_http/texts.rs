//! Texts and calls beside push, through a Twilio-compatible provider on loopback: a technician who sleeps
//! through the push is texted, then called, and takes the job with a key or a reply; the customer is kept
//! informed by text; webhooks without the provider's signature are refused; a provider that is down delays
//! texts, never loses or doubles them.

use app::domain::{Channel, Event, Role, SendNote, SendState, SentLine, Trouble};
use serde_json::Value;

use crate::common::{
    StaffClient, TestApp,
    fake_twilio::{FakeTwilio, TOKEN},
    flat_tire, spawn_app_with,
};

const CUSTOMER: &str = "+12015550123";
const SAM: &str = "+12015550111";
const BEN: &str = "+12015550122";

async fn texting_app(fake: &FakeTwilio, sms_after: &str, call_after: &str) -> TestApp {
    let mut flags = fake.flags();
    flags.extend(["--alert-sms-after", sms_after, "--alert-call-after", call_after].map(str::to_owned));
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    spawn_app_with(&flags).await
}

async fn on_duty(app: &TestApp, login: &str, name: &str, phone: &str) -> StaffClient {
    let tech = app.staff_with_phone(login, name, Role::Technician, phone).await;
    assert_eq!(tech.post("/tech/duty", &[("on", "1")]).await.status(), 204);
    tech
}

/// A request from a partner: (request id, number, token).
async fn request(app: &TestApp) -> (i64, String, String) {
    let r = app.create(flat_tire()).await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    let number = body["number"].as_str().unwrap().to_owned();
    let id = app.services.store.request_id_by_number(&number).await.unwrap().unwrap();
    (id, number, body["token"].as_str().unwrap().to_owned())
}

async fn sent(app: &TestApp, id: i64) -> Vec<SentLine> {
    app.services.store.sent_for(id, None).await.unwrap()
}

/// Waits until `ready` answers `Some`, looking every 20 ms; fails after a minute.
async fn until<T, F: Future<Output = Option<T>>>(what: &str, ready: impl Fn() -> F) -> T {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if let Some(found) = ready().await {
            return found;
        }
        assert!(std::time::Instant::now() < deadline, "waited a minute for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn last_event(app: &TestApp, id: i64) -> (Event, Option<String>) {
    let loaded = app.services.store.load(id).await.unwrap().unwrap();
    let last = loaded.view.timeline.last().unwrap().clone();
    (last.event, last.by.map(|b| b.name))
}

#[tokio::test]
async fn a_technician_who_sleeps_through_the_push_is_texted_then_called_and_takes_the_job_with_a_key() {
    let fake = FakeTwilio::start().await;
    let app = texting_app(&fake, "300ms", "1s").await;
    on_duty(&app, "sam", "Sam Rivera", SAM).await;
    let (id, number, token) = request(&app).await;
    let code = number.strip_prefix("RC-").unwrap();

    let page = fake.text_to(SAM, 1).await;
    assert!(page.body.contains(&format!("Reply {code} to take it, NO {code} to pass.")), "{}", page.body);
    assert!(page.body.contains(&format!("/tech/jobs/{number}")), "{}", page.body);
    let call = fake.call_to(SAM).await;
    assert_eq!(fake.seen(|s| s.messages.iter().filter(|m| m.to == SAM).count()), 1, "one text, then the call");
    assert!(call.twiml.contains("Press 1 to take it"), "{}", call.twiml);

    let answer = fake.press(&call, "1").await;
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["content-type"], "text/xml; charset=utf-8");
    assert!(answer.text().await.unwrap().contains("The job is yours"));
    assert_eq!(last_event(&app, id).await, (Event::Accepted { via: Channel::Call }, Some("Sam Rivera".into())));
    assert_eq!(app.status(&token).await["technician"], "Sam");
    // Pressing again records nothing more.
    let again = fake.press(&call, "1").await.text().await.unwrap();
    assert!(again.contains("You have already accepted this job."), "{again}");

    // The text's receipt reaches dispatch's list of what was sent for the request.
    assert_eq!(fake.receipt(&page, "delivered").await.status(), 200);
    let lines = until("both pages recorded", || async {
        let lines = sent(&app, id).await;
        lines.iter().filter(|l| l.staff.is_some()).all(|l| l.state.settled()).then_some(lines)
    })
    .await;
    let to_sam: Vec<(Channel, SendState)> =
        lines.iter().filter(|l| l.staff.as_deref() == Some("Sam Rivera")).map(|l| (l.channel, l.state)).collect();
    assert_eq!(to_sam, [(Channel::Sms, SendState::Delivered), (Channel::Call, SendState::Sent)]);
    // A late "sent" receipt does not move it back.
    fake.receipt(&page, "sent").await;
    assert_eq!(sent(&app, id).await.iter().filter(|l| l.state == SendState::Delivered).count(), 1);
}

#[tokio::test]
async fn a_reply_to_the_text_takes_the_job_and_nobody_is_called_after() {
    let fake = FakeTwilio::start().await;
    let app = texting_app(&fake, "200ms", "10m").await;
    on_duty(&app, "sam", "Sam Rivera", SAM).await;
    on_duty(&app, "ben", "Ben Okafor", BEN).await;
    let (id, number, _) = request(&app).await;
    let code = number.strip_prefix("RC-").unwrap().to_owned();
    fake.text_to(SAM, 1).await;
    fake.text_to(BEN, 1).await;

    // Ben passes, then Sam takes it by replying with the code.
    let passed = fake.text_in(&app.base, BEN, &format!("no {code}")).await.text().await.unwrap();
    assert!(passed.contains(&format!("you pass on {number}")), "{passed}");
    assert_eq!(last_event(&app, id).await, (Event::Declined { via: Channel::Sms }, Some("Ben Okafor".into())));
    // Who passed is not called about it; the others still are.
    let calls = |lines: Vec<SentLine>| -> Vec<(Option<String>, SendState)> {
        lines.into_iter().filter(|l| l.channel == Channel::Call).map(|l| (l.staff, l.state)).collect()
    };
    assert_eq!(
        calls(sent(&app, id).await),
        [(Some("Sam Rivera".into()), SendState::Pending), (Some("Ben Okafor".into()), SendState::Cancelled)]
    );
    let took = fake.text_in(&app.base, SAM, &format!(" {} ", code.to_lowercase())).await.text().await.unwrap();
    assert!(took.contains(&format!("<Message>{number} is yours.")), "{took}");
    assert_eq!(last_event(&app, id).await, (Event::Accepted { via: Channel::Sms }, Some("Sam Rivera".into())));
    let late = fake.text_in(&app.base, BEN, &code).await.text().await.unwrap();
    assert!(late.contains("Sam Rivera has already taken this job."), "{late}");

    // The calls that were to follow are not placed: the paging stopped with the owner.
    assert_eq!(
        calls(sent(&app, id).await),
        [(Some("Sam Rivera".into()), SendState::Cancelled), (Some("Ben Okafor".into()), SendState::Cancelled)]
    );
    // A reply that names no job is answered with how to.
    let unclear = fake.text_in(&app.base, SAM, "on my way").await.text().await.unwrap();
    assert!(unclear.contains("Reply with the job&apos;s code"), "{unclear}");
}

#[tokio::test]
async fn webhooks_without_the_providers_signature_are_refused() {
    let fake = FakeTwilio::start().await;
    let app = texting_app(&fake, "10m", "10m").await;
    let url = app.url("/twilio/sms");
    let params = [("From", SAM), ("To", "+12025550100"), ("Body", "STOP")];
    let forged = app.client.post(&url).header("x-twilio-signature", "bm90IGEgc2lnbmF0dXJl").form(&params).send().await;
    assert_eq!(forged.unwrap().status(), 403);
    let unsigned = app.client.post(&url).header("accept", "application/json").form(&params).send().await.unwrap();
    assert_eq!(unsigned.status(), 403);
    let body: Value = unsigned.json().await.unwrap();
    assert_eq!(body["error"], "bad_signature");
    // Signed for another address, or with another token: refused too.
    let elsewhere = app::twilio::signature(TOKEN, &app.url("/twilio/status"), &owned(&params));
    let r = app.client.post(&url).header("x-twilio-signature", elsewhere).form(&params).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let wrong_token = app::twilio::signature("another-token", &url, &owned(&params));
    let r = app.client.post(&url).header("x-twilio-signature", wrong_token).form(&params).send().await.unwrap();
    assert_eq!(r.status(), 403);
    // The same, signed by the provider: taken (the customer's STOP).
    assert_eq!(fake.text_in(&app.base, CUSTOMER, "STOP").await.status(), 200);
    assert!(app.services.store.opted_out(CUSTOMER).await.unwrap());

    // Without a provider configured there is nothing to call back.
    let plain = crate::common::spawn_app().await;
    let r = plain.client.post(plain.url("/twilio/sms")).form(&params).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

fn owned(params: &[(&str, &str)]) -> Vec<(String, String)> {
    params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

#[tokio::test]
async fn the_customer_is_texted_the_link_who_is_coming_and_the_follow_up_and_stop_is_honoured() {
    let fake = FakeTwilio::start().await;
    let app = texting_app(&fake, "10m", "10m").await;
    let sam = on_duty(&app, "sam", "Sam Rivera", SAM).await;
    let (id, number, token) = request(&app).await;

    let received = fake.text_to(CUSTOMER, 1).await;
    assert_eq!(
        received.body,
        format!("roadcall: we have your request {number}. Follow it here: {}", app.url(&format!("/r/{token}")))
    );
    assert_eq!(app::domain::segments(&received.body), 1);
    assert_eq!(sam.step(&number, &[("action", "accept")]).await.status(), 204);
    assert_eq!(sam.step(&number, &[("action", "on_my_way"), ("eta_minutes", "25")]).await.status(), 204);
    let on_way = fake.text_to(CUSTOMER, 2).await;
    assert!(
        on_way.body.starts_with(&format!("roadcall {number}: Sam is on the way, arriving in about 25 min.")),
        "{}",
        on_way.body
    );
    assert!(!on_way.body.contains("Rivera"));
    assert_eq!(sam.step(&number, &[("action", "arrived")]).await.status(), 204);
    assert_eq!(sam.step(&number, &[("action", "done"), ("note", "Fitted the spare")]).await.status(), 204);
    let follow_up = fake.text_to(CUSTOMER, 3).await;
    assert!(follow_up.body.contains("How did it go?") && follow_up.body.contains(&format!("/r/{token}")));
    let purposes: Vec<&str> = vec!["received", "on_the_way", "follow_up"];
    let lines = sent(&app, id).await;
    let to_customer: Vec<&str> = lines.iter().filter(|l| l.staff.is_none()).map(|l| l.purpose.as_str()).collect();
    assert_eq!(to_customer, purposes);

    // STOP: the next request's texts are not sent, and dispatch sees why.
    assert_eq!(fake.text_in(&app.base, CUSTOMER, "Stop").await.status(), 200);
    let (id, _, _) = request(&app).await;
    let to_customer = until("the text to be settled", || async {
        let lines = sent(&app, id).await;
        lines.into_iter().find(|l| l.staff.is_none() && l.state.settled())
    })
    .await;
    assert_eq!(to_customer.state, SendState::Cancelled);
    assert_eq!(to_customer.detail, Some(SendNote::OptedOut));
    assert_eq!(fake.seen(|s| s.messages.iter().filter(|m| m.to == CUSTOMER).count()), 3);
}

#[tokio::test]
async fn while_the_provider_is_down_texts_wait_and_dispatch_is_told_then_each_goes_out_once() {
    let fake = FakeTwilio::start().await;
    fake.set_down(true);
    let app = texting_app(&fake, "10m", "10m").await;
    let dee = app.staff("dee", "Dee Okafor", Role::Dispatcher).await;
    let (_, board) = dee.get_json("/staff/api/dispatch").await;
    assert_eq!(board["data"]["texting"]["after_ms"], serde_json::json!([600_000, 600_000]));
    let (id, _, _) = request(&app).await;

    // Refused three times: every dispatch board says texts are not going out, with the provider's words.
    let trouble = until("the board to show the provider's trouble", || async {
        let (_, board) = dee.get_json("/staff/api/dispatch").await;
        let trouble = &board["data"]["texting"]["trouble"][1];
        (!trouble.is_null()).then(|| serde_json::from_value::<SendNote>(trouble.clone()).unwrap())
    })
    .await;
    assert!(matches!(&trouble, SendNote::Retrying { trouble: Trouble::Answered { status: 503, .. } }), "{trouble:?}");
    // Said in the dispatcher's language, quoting the provider.
    let page = dee.client.get(dee.url("/dispatch")).header("accept-language", "ru").send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains("Ещё не отправлено (провайдер ответил 503: "), "{page}");
    assert!(fake.seen(|s| s.refused_while_down) >= 3);

    fake.set_down(false);
    let text = fake.text_to(CUSTOMER, 1).await;
    assert!(text.body.starts_with("roadcall: we have your request"));
    let line = until("the text to be recorded as sent", || async {
        sent(&app, id).await.into_iter().find(|l| l.staff.is_none() && l.state == SendState::Sent)
    })
    .await;
    assert!(line.attempts >= 4, "{line:?}");
    assert_eq!(fake.seen(|s| s.messages.len()), 1, "sent once, however many attempts it took");
    until("the board's alarm to clear", || async {
        let (_, board) = dee.get_json("/staff/api/dispatch").await;
        board["data"]["texting"]["trouble"].is_null().then_some(())
    })
    .await;
}

/// `kill -9` after the event that queued a text was committed and before the text went out: after the restart
/// it goes out, once.
#[tokio::test]
async fn a_text_queued_before_a_crash_goes_out_once_after_the_restart() {
    let fake = FakeTwilio::start().await;
    fake.set_down(true);
    let dir = tempfile::tempdir().unwrap();
    let db = crate::common::fresh_database(dir.path());
    let log = dir.path().join("server.log");
    let client = reqwest::Client::new();
    let key = crate::crash::partner_key(&db);
    let mut server = crate::crash::start(&client, &db, &log, &fake.flags()).await;
    let created: Value = client
        .post(format!("{}/api/v1/requests", server.base))
        .bearer_auth(&key)
        .json(&flat_tire())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(created["number"].is_string(), "{created}");
    let pool = crate::common::any_pool(&db).await;
    let state = || async {
        sqlx::query_as::<_, (String, i64)>("SELECT state, attempts FROM outbox WHERE staff_id IS NULL")
            .fetch_optional(&pool)
            .await
            .unwrap()
    };
    // Tried once, refused, waiting for its next attempt: the moment to crash.
    until("a first attempt", || async { state().await.filter(|(s, n)| s == "pending" && *n >= 1) }).await;
    server.child.kill().unwrap();
    server.child.wait().unwrap();

    fake.set_down(false);
    let mut server = crate::crash::start(&client, &db, &log, &fake.flags()).await;
    fake.text_to(CUSTOMER, 1).await;
    until("the text recorded as sent", || async { state().await.filter(|(s, _)| s == "sent") }).await;
    assert_eq!(fake.seen(|s| s.messages.len()), 1);
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}

#[tokio::test]
async fn dispatch_sees_each_text_with_its_receipt_and_a_member_whose_last_text_failed_is_marked() {
    let fake = FakeTwilio::start().await;
    let app = texting_app(&fake, "100ms", "10m").await;
    let dee = app.staff("dee", "Dee Okafor", Role::Dispatcher).await;
    let sam = on_duty(&app, "sam", "Sam Rivera", SAM).await;
    let crew = |board: &Value| board["data"]["crew"][0].clone();
    let (_, board) = dee.get_json("/staff/api/dispatch").await;
    assert_eq!((crew(&board)["texts"].as_bool(), crew(&board)["devices"].as_u64()), (Some(true), Some(0)));
    let (_, number, _) = request(&app).await;
    let page = fake.text_to(SAM, 1).await;
    let received = fake.text_to(CUSTOMER, 1).await;
    assert_eq!(fake.receipt(&page, "undelivered").await.status(), 200);
    assert_eq!(fake.receipt(&received, "delivered").await.status(), 200);

    let (_, board) = dee.get_json("/staff/api/dispatch").await;
    assert_eq!(crew(&board)["texts_failing"], true, "{board}");
    let (_, view) = dee.get_json(&format!("/staff/api/dispatch/requests/{number}")).await;
    let sent = view["data"]["job"]["sent"].as_array().unwrap();
    let line = |staff: Value, channel: &str| {
        sent.iter().find(|l| l["staff"] == staff && l["channel"] == channel).cloned().unwrap_or(Value::Null)
    };
    let to_sam = line(Value::from("Sam Rivera"), "sms");
    assert_eq!(to_sam["state"], "failed");
    assert_eq!(to_sam["detail"], serde_json::json!({ "why": "reported", "status": "undelivered", "code": "30003" }));
    for (language, said) in [
        ("en", "The provider reported undelivered (error 30003)."),
        ("ru", "Провайдер сообщил: undelivered (ошибка 30003)."),
    ] {
        let page = dee.client.get(dee.url(&format!("/dispatch/requests/{number}"))).header("accept-language", language);
        let page = page.send().await.unwrap().text().await.unwrap();
        assert!(page.contains(said), "{language}: {said}");
    }
    assert_eq!(to_sam["body"], page.body.as_str());
    let to_customer = line(Value::Null, "sms");
    assert_eq!((to_customer["purpose"].as_str(), to_customer["state"].as_str()), (Some("received"), Some("delivered")));
    assert_eq!(line(Value::from("Sam Rivera"), "call")["state"], "pending", "the call waits its turn");
    // Sam's job screen lists his own pages, not the customer's texts (they carry the status link).
    let (_, job) = sam.get_json(&format!("/staff/api/jobs/{number}")).await;
    let his: Vec<(&str, &str)> = job["data"]["sent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["channel"].as_str().unwrap(), l["state"].as_str().unwrap()))
        .collect();
    assert_eq!(his, [("sms", "failed"), ("call", "pending")]);
}

#[tokio::test]
async fn dispatch_sets_a_members_mobile_number_in_setup_and_texts_go_there() {
    let fake = FakeTwilio::start().await;
    let app = texting_app(&fake, "100ms", "10m").await;
    let dee = app.staff("dee", "Dee Okafor", Role::Dispatcher).await;
    let sam = app.staff("sam", "Sam Rivera", Role::Technician).await;
    assert_eq!(sam.post("/tech/duty", &[("on", "1")]).await.status(), 204);
    let refused = dee.post("/dispatch/staff/alerts", &[("login", "sam"), ("phone", "12")]).await;
    assert_eq!(refused.status(), 422);
    let body: Value = refused.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().starts_with("The mobile number:"), "{body}");
    assert_eq!(dee.post("/dispatch/staff/alerts", &[("login", "nobody"), ("phone", SAM)]).await.status(), 404);
    assert_eq!(sam.post("/dispatch/staff/alerts", &[("login", "sam"), ("phone", SAM)]).await.status(), 403);
    assert_eq!(
        dee.post("/dispatch/staff/alerts", &[("login", "sam"), ("phone", "(201) 555-0111")]).await.status(),
        204
    );
    let (_, setup) = dee.get_json("/staff/api/dispatch/setup").await;
    let line = setup["data"]["staff"].as_array().unwrap().iter().find(|s| s["login"] == "sam").unwrap().clone();
    assert_eq!(line["phone"], "+1 201-555-0111");
    request(&app).await;
    fake.text_to(SAM, 1).await;

    // A member's own delays: Ben is texted after the usual 100 ms, Sam only after his own 100 minutes.
    let ben = app.staff_with_phone("ben", "Ben Okafor", Role::Technician, BEN).await;
    assert_eq!(ben.post("/tech/duty", &[("on", "1")]).await.status(), 204);
    let call_first = [("login", "sam"), ("phone", SAM), ("sms_after", "100"), ("call_after", "")];
    let refused = dee.post("/dispatch/staff/alerts", &call_first).await;
    assert_eq!(refused.status(), 422, "the usual call (after 10 min here) would come before his text");
    let own = [("login", "sam"), ("phone", SAM), ("sms_after", "100"), ("call_after", "120")];
    assert_eq!(dee.post("/dispatch/staff/alerts", &own).await.status(), 204);
    let (_, setup) = dee.get_json("/staff/api/dispatch/setup").await;
    let line = setup["data"]["staff"].as_array().unwrap().iter().find(|s| s["login"] == "sam").unwrap().clone();
    assert_eq!((line["sms_after_min"].as_i64(), line["call_after_min"].as_i64()), (Some(100), Some(120)));
    let (id, _, _) = request(&app).await;
    fake.text_to(BEN, 1).await;
    let to_sam: Vec<SendState> = sent(&app, id)
        .await
        .into_iter()
        .filter(|l| l.staff.as_deref() == Some("Sam Rivera") && l.channel == Channel::Sms)
        .map(|l| l.state)
        .collect();
    assert_eq!(to_sam, [SendState::Pending]);
    // Emptied: texts and calls off for Sam.
    assert_eq!(dee.post("/dispatch/staff/alerts", &[("login", "sam"), ("phone", "")]).await.status(), 204);
    let (id, _, _) = request(&app).await;
    assert!(sent(&app, id).await.iter().all(|l| l.staff.as_deref() != Some("Sam Rivera")), "no pages without a number");
}

#[tokio::test]
async fn each_member_is_texted_and_called_once_per_wait_however_many_rungs_alert_them_again() {
    let fake = FakeTwilio::start().await;
    let app = texting_app(&fake, "100ms", "10m").await;
    on_duty(&app, "sam", "Sam Rivera", SAM).await;
    let (id, _, _) = request(&app).await;
    fake.text_to(SAM, 1).await;
    let now = app::store::now_ms();
    // The ladder's first rung alerts the technicians on duty again: by push, not by a second text and call.
    assert_eq!(app.services.escalate_due(now + 3 * 60_000).await.unwrap(), 1);
    let pages: Vec<Channel> = sent(&app, id).await.iter().filter(|l| l.staff.is_some()).map(|l| l.channel).collect();
    assert_eq!(pages, [Channel::Sms, Channel::Call]);
}

/// A sender that dies with texts claimed: those not yet handed to the provider go out after the restart; one
/// handed over, with no answer yet, is sent again if it is a page and not if it is the customer's.
#[tokio::test]
async fn a_sender_that_dies_leaves_what_it_never_handed_over_to_be_sent() {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::common::fresh_database(dir.path());
    let store = app::store::Store::open(&url).await.unwrap();
    let pool = crate::common::any_pool(&url).await;
    sqlx::query(
        "INSERT INTO help_requests (id, number, token, source, problem, phone, created_at) \
         VALUES (1, 'RC-AAAA', 't', 'web', 'flat_tire', '+12015550123', 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    for (purpose, wait) in [("page", Some(0)), ("page", Some(1)), ("received", None), ("on_the_way", None)] {
        sqlx::query(
            "INSERT INTO outbox (request_id, channel, purpose, to_phone, wait_began, due_at, created_at, updated_at) \
             VALUES (1, 'sms', $1, '+12015550123', $2, 0, 0, 0)",
        )
        .bind(purpose)
        .bind(wait)
        .execute(&pool)
        .await
        .unwrap();
    }
    let claimed = store.claim_due(1_000, 5_000, 50).await.unwrap();
    assert_eq!(claimed.len(), 4);
    assert!(store.claim_due(1_000, 5_000, 50).await.unwrap().is_empty(), "claimed rows are not claimed twice");
    // Rows 1 and 3 were handed to the provider; 2 and 4 not yet. Then the sender died.
    store.mark_sending(claimed[0].id, "page text").await.unwrap();
    store.mark_sending(claimed[2].id, "received text").await.unwrap();
    let again: Vec<i64> = store.claim_due(7_000, 5_000, 50).await.unwrap().iter().map(|c| c.id).collect();
    assert_eq!(again, [claimed[0].id, claimed[1].id, claimed[3].id]);
    let lost: (String, String) = sqlx::query_as("SELECT state, detail FROM outbox WHERE id = $1")
        .bind(claimed[2].id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(lost.0, "failed");
    assert_eq!(serde_json::from_str::<SendNote>(&lost.1).unwrap(), SendNote::StoppedWhileSending);
}

#[tokio::test]
async fn the_customer_is_texted_when_the_technician_runs_late_and_when_dispatch_cancels_and_start_undoes_stop() {
    let fake = FakeTwilio::start().await;
    let app = texting_app(&fake, "10m", "10m").await;
    let sam = on_duty(&app, "sam", "Sam Rivera", SAM).await;
    let dee = app.staff("dee", "Dee Okafor", Role::Dispatcher).await;
    let (_, number, _) = request(&app).await;
    fake.text_to(CUSTOMER, 1).await;
    assert_eq!(sam.step(&number, &[("action", "accept")]).await.status(), 204);
    assert_eq!(sam.step(&number, &[("action", "on_my_way"), ("eta_minutes", "10")]).await.status(), 204);
    fake.text_to(CUSTOMER, 2).await;
    // Two minutes past the ETA the ladder's first rung: the customer hears that we know, before they ask.
    assert_eq!(app.services.escalate_due(app::store::now_ms() + 13 * 60_000).await.unwrap(), 1);
    let late = fake.text_to(CUSTOMER, 3).await;
    assert!(late.body.starts_with(&format!("roadcall {number}: your technician is running late.")), "{}", late.body);

    // STOP, then START: texts resume.
    fake.text_in(&app.base, CUSTOMER, "STOP").await;
    fake.text_in(&app.base, CUSTOMER, "start").await;
    assert!(!app.services.store.opted_out(CUSTOMER).await.unwrap());
    let cancel = [("action", "cancel"), ("reason", "The customer got going on their own")];
    assert_eq!(dee.post(&format!("/dispatch/requests/{number}/act"), &cancel).await.status(), 204);
    let cancelled = fake.text_to(CUSTOMER, 4).await;
    assert_eq!(
        cancelled.body,
        format!(
            "roadcall {number} was cancelled: The customer got going on their own. Still need help? Call +1 202 555 0100"
        )
    );
}

#[tokio::test]
async fn a_russian_customer_and_a_russian_technician_are_texted_and_called_in_russian() {
    const IRA: &str = "+79123456701";
    const CUSTOMER_RU: &str = "+79123456789";
    let fake = FakeTwilio::start().await;
    let app = texting_app(&fake, "300ms", "1s").await;
    let ira = on_duty(&app, "ira", "Ира Петрова", IRA).await;
    assert!(app.services.store.set_staff_locale("ira", "ru").await.unwrap());
    // The customer's page was in Russian: so are their texts, whoever takes the job.
    let form = [("problem", "flat_tire"), ("phone", "+7 912 345-67-89"), ("place", "М-11, 120 км")];
    let sent_form =
        app.client.post(app.url("/request")).header("accept-language", "ru").form(&form).send().await.unwrap();
    assert_eq!(sent_form.status(), 303);
    let status_path = sent_form.headers()["location"].to_str().unwrap().to_owned();
    let received = fake.text_to(CUSTOMER_RU, 1).await;
    let number = received.body.split_whitespace().nth(2).unwrap().to_owned();
    assert_eq!(received.body, format!("roadcall: заявка {number} принята. Следите здесь: {}", app.url(&status_path)));
    assert_eq!(app::domain::segments(&received.body), 2, "Cyrillic is UCS-2: {}", received.body);
    let code = number.strip_prefix("RC-").unwrap();

    // Ira's page, text then call, in her language, the call spoken by a Russian voice.
    let page = fake.text_to(IRA, 1).await;
    let words = format!("Спущено колесо {number} ждёт, М-11, 120 км. Ответьте {code} — взять, НЕТ {code} — отказ.");
    assert!(page.body.starts_with(&format!("roadcall: {words}")), "{}", page.body);
    let call = fake.call_to(IRA).await;
    assert!(
        call.twiml
            .contains("<Say language=\"ru-RU\" voice=\"Polly.Tatyana\">Roadcall. Заявка ждёт техника: спущено колесо"),
        "{}",
        call.twiml
    );
    assert!(
        call.twiml.contains("<Say language=\"ru-RU\" voice=\"Polly.Tatyana\">Ничего не нажато. До свидания.</Say>"),
        "{}",
        call.twiml
    );
    let answer = fake.press(&call, "1").await.text().await.unwrap();
    assert!(answer.contains("<Say language=\"ru-RU\" voice=\"Polly.Tatyana\">Заявка ваша:"), "{answer}");
    // A reply by text in Russian is read too, and answered in Russian.
    let again = fake.text_in(&app.base, IRA, &format!("да {code}")).await.text().await.unwrap();
    assert!(again.contains("Вы уже взяли эту заявку."), "{again}");

    assert_eq!(ira.step(&number, &[("action", "on_my_way"), ("eta_minutes", "25")]).await.status(), 204);
    let on_way = fake.text_to(CUSTOMER_RU, 2).await;
    assert!(on_way.body.starts_with(&format!("roadcall {number}: Ира едет к вам")), "{}", on_way.body);
    assert!(app::domain::segments(&on_way.body) <= 2, "{}", on_way.body);
    // The customer's STOP in Russian stops the texts too.
    assert_eq!(fake.text_in(&app.base, CUSTOMER_RU, "СТОП").await.status(), 200);
    assert!(app.services.store.opted_out(CUSTOMER_RU).await.unwrap());
}
