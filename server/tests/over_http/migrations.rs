//! A database written before a migration reads the same after it: every kind of event, as the older schema
//! stored it, comes back as the same typed event.

use app::{
    domain::{Actor, Channel, Concern, Event, RequestStatus, SendNote, StaffName},
    store::Store,
};

/// The database as it was before `first_new` (a migration's number): the older migrations, run from a copy.
async fn database_before(first_new: u32, dir: &std::path::Path) -> (String, sqlx::SqlitePool) {
    let old = dir.join("old-migrations");
    std::fs::create_dir(&old).unwrap();
    let all = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../app/migrations/sqlite");
    for file in std::fs::read_dir(all).unwrap() {
        let file = file.unwrap();
        let name = file.file_name().into_string().unwrap();
        if name[..4].parse::<u32>().unwrap() < first_new {
            std::fs::copy(file.path(), old.join(&name)).unwrap();
        }
    }
    let url = format!("sqlite://{}", dir.join("roadcall.db").display());
    let options: sqlx::sqlite::SqliteConnectOptions = url.parse().unwrap();
    let pool = sqlx::SqlitePool::connect_with(options.create_if_missing(true)).await.unwrap();
    sqlx::migrate::Migrator::new(old.as_path()).await.unwrap().run(&pool).await.unwrap();
    (url, pool)
}

#[tokio::test]
async fn events_stored_in_columns_read_the_same_once_moved_to_payloads() {
    let dir = tempfile::tempdir().unwrap();
    let (url, pool) = database_before(11, dir.path()).await;
    for (id, login, name, role) in [(1, "ana", "Ana Lima", "technician"), (2, "dee", "Dee Okafor", "dispatcher")] {
        sqlx::query("INSERT INTO staff (id, login, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, 'x', 0)")
            .bind(id)
            .bind(login)
            .bind(name)
            .bind(role)
            .execute(&pool)
            .await
            .unwrap();
    }
    for (id, number) in [(1, "RC-AAAA"), (2, "RC-BBBB"), (3, "RC-CCCC")] {
        sqlx::query(
            "INSERT INTO help_requests (id, number, token, source, problem, phone, created_at) \
             VALUES (?, ?, ?, 'web', 'flat_tire', '+12015550123', 0)",
        )
        .bind(id)
        .bind(number)
        .bind(format!("token{id}"))
        .execute(&pool)
        .await
        .unwrap();
    }
    // (request, kind, actor, detail, eta_minutes, staff_id, technician_id, level, rating), as the old code wrote.
    type Row = (
        i64,
        &'static str,
        &'static str,
        Option<&'static str>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
    );
    let rows: [Row; 17] = [
        (1, "received", "customer", None, None, None, None, None, None),
        (1, "accepted", "staff", None, None, Some(1), None, None, None),
        (1, "on_the_way", "staff", None, Some(25), Some(1), None, None, None),
        (1, "eta_changed", "staff", None, Some(40), Some(1), None, None, None),
        (1, "arrived", "staff", None, None, Some(1), None, None, None),
        (1, "arrival_confirmed", "staff", None, None, Some(2), None, None, None),
        (1, "done", "staff", Some("Fitted the spare"), None, Some(1), None, None, None),
        (1, "follow_up", "customer", Some("Kind and quick"), None, None, None, None, Some(4)),
        (2, "received", "staff", None, None, Some(2), None, None, None),
        (2, "escalated", "system", Some("Nobody accepted within 2 min."), None, None, None, Some(1), None),
        (2, "assigned", "staff", None, None, Some(2), Some(1), None, None),
        (2, "released", "staff", Some("Truck broke down"), None, Some(1), None, None, None),
        (2, "callback_requested", "customer", None, None, None, None, None, None),
        (2, "callback_made", "staff", None, None, Some(2), None, None, None),
        (2, "cancelled", "staff", Some("Customer got going"), None, Some(2), None, None, None),
        (3, "received", "partner", None, None, None, None, None, None),
        (3, "cancelled", "customer", None, None, None, None, None, None),
    ];
    for (at, (request, kind, actor, detail, eta, staff, technician, level, rating)) in rows.into_iter().enumerate() {
        sqlx::query(
            "INSERT INTO request_events (request_id, at, kind, actor, detail, eta_minutes, staff_id, technician_id, \
             level, rating) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(request)
        .bind(i64::try_from(at).unwrap())
        .bind(kind)
        .bind(actor)
        .bind(detail)
        .bind(eta)
        .bind(staff)
        .bind(technician)
        .bind(level)
        .bind(rating)
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;

    let store = Store::open(&url).await.unwrap();
    let history = |id| {
        let store = &store;
        async move {
            let loaded = store.load(id).await.unwrap().unwrap();
            let events: Vec<(Event, Option<String>)> =
                loaded.view.timeline.into_iter().map(|r| (r.event, r.by.map(|b| b.name))).collect();
            (loaded.progress.status(), events)
        }
    };
    let ana = || Some("Ana Lima".to_owned());
    let dee = || Some("Dee Okafor".to_owned());
    assert_eq!(
        history(1).await,
        (
            RequestStatus::Done,
            vec![
                (Event::Received, None),
                (Event::Accepted { via: Channel::App }, ana()),
                (Event::OnTheWay { eta_minutes: 25 }, ana()),
                (Event::EtaChanged { eta_minutes: 40 }, ana()),
                (Event::Arrived, ana()),
                (Event::ArrivalConfirmed, dee()),
                (Event::Done { note: "Fitted the spare".into() }, ana()),
                (Event::FollowUp { rating: 4, comment: Some("Kind and quick".into()) }, None),
            ]
        )
    );
    let ana_named = StaffName { id: 1, name: "Ana Lima".into() };
    assert_eq!(
        history(2).await,
        (
            RequestStatus::Cancelled,
            vec![
                (Event::Received, dee()),
                (
                    Event::Escalated {
                        level: 1,
                        concern: Some(Concern::Unowned),
                        every_ms: Some(120_000),
                        technician: None
                    },
                    None
                ),
                (Event::Assigned { technician: ana_named }, dee()),
                (Event::Released { reason: "Truck broke down".into() }, ana()),
                (Event::CallbackRequested, None),
                (Event::CallbackMade, dee()),
                (Event::Cancelled { reason: Some("Customer got going".into()) }, dee()),
            ]
        )
    );
    assert_eq!(
        history(3).await,
        (RequestStatus::Cancelled, vec![(Event::Received, None), (Event::Cancelled { reason: None }, None)])
    );
    let partner = store.load(3).await.unwrap().unwrap().view.timeline[0].actor;
    assert_eq!(partner, Actor::Partner);
}

/// Request 1, as any schema since the first stores it.
async fn one_request(pool: &sqlx::SqlitePool) {
    sqlx::query(
        "INSERT INTO help_requests (id, number, token, source, problem, phone, created_at) \
         VALUES (1, 'RC-AAAA', 'token1', 'web', 'flat_tire', '+12015550123', 0)",
    )
    .execute(pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn the_ladders_english_sentences_become_facts_each_reader_has_said_in_their_language() {
    let dir = tempfile::tempdir().unwrap();
    let (url, pool) = database_before(15, dir.path()).await;
    sqlx::query("INSERT INTO staff (id, login, name, role, password_hash, created_at) VALUES (1, 'ana', 'Ana Lima', 'technician', 'x', 0)")
        .execute(&pool)
        .await
        .unwrap();
    one_request(&pool).await;
    // Every sentence the ladder wrote, as the code before 0015 stored it.
    let notes = [
        (1, "Nobody accepted within 2 min: on-duty technicians alerted again."),
        (2, "Still nobody: backup technicians alerted."),
        (3, "Still nobody: alarm on every dispatch board."),
        (1, "10 min past the ETA: Ana Lima asked for news."),
        (1, "45 s past the ETA: The technician asked for news."),
        (2, "Still late: backup technicians alerted."),
        (3, "Still late: alarm on every dispatch board."),
        (1, "Nobody accepted within 5 min."),
        (2, "A sentence no template wrote"),
    ];
    // Ana has the job (a namesake does not: the late one is whoever had it).
    sqlx::query(
        "INSERT INTO staff (id, login, name, role, password_hash, created_at) \
         VALUES (2, 'ana2', 'Ana Lima', 'technician', 'x', 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO request_events (request_id, at, kind, actor, staff_id, payload) VALUES \
         (1, 0, 'received', 'customer', NULL, '{}'), (1, 0, 'accepted', 'staff', 1, '{}')",
    )
    .execute(&pool)
    .await
    .unwrap();
    for (at, (level, note)) in notes.iter().enumerate() {
        sqlx::query(
            "INSERT INTO request_events (request_id, at, kind, actor, payload) VALUES (1, ?, 'escalated', 'system', ?)",
        )
        .bind(i64::try_from(at + 1).unwrap())
        .bind(serde_json::json!({ "level": level, "note": note }).to_string())
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;

    let store = Store::open(&url).await.unwrap();
    let loaded = store.load(1).await.unwrap().unwrap();
    let rungs: Vec<Event> = loaded.view.timeline.into_iter().skip(2).map(|r| r.event).collect();
    let rung = |level, concern, every_ms: Option<i64>, technician: Option<&str>| Event::Escalated {
        level,
        concern,
        every_ms,
        technician: technician.map(|name| StaffName { id: 1, name: name.to_owned() }),
    };
    let (unowned, late) = (Some(Concern::Unowned), Some(Concern::Late));
    assert_eq!(
        rungs,
        [
            rung(1, unowned, Some(120_000), None),
            rung(2, unowned, None, None),
            rung(3, unowned, None, None),
            rung(1, late, Some(600_000), Some("Ana Lima")),
            rung(1, late, Some(45_000), None),
            rung(2, late, None, None),
            rung(3, late, None, None),
            rung(1, unowned, Some(300_000), None),
            rung(2, None, None, None),
        ]
    );
    // And each reads as it did, now in either language.
    let said: Vec<String> = rungs
        .iter()
        .map(|e| match e {
            Event::Escalated { level, concern, every_ms, technician } => {
                let who = technician.as_ref().map(|t| t.name.as_str());
                app::texts::escalation(app::Locale::ru, *level, *concern, *every_ms, who)
            }
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(said[0], "Никто не принял за 2 мин: техникам на смене отправлено повторно.");
    assert_eq!(said[3], "10 мин после обещанного времени: у техника (Ana Lima) запрошены новости.");
    assert_eq!(said[8], "Ступень 2 эскалации.");
}

#[tokio::test]
async fn why_a_text_was_not_sent_becomes_facts_and_the_providers_own_words_stay_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let (url, pool) = database_before(16, dir.path()).await;
    one_request(&pool).await;
    let details = [
        Some("The customer replied STOP: not sent."),
        Some("No longer waiting: not sent."),
        Some("The server stopped while sending it: it may not have gone out, and was not sent again."),
        Some("The provider reported undelivered (error 30003)."),
        Some("The provider reported busy."),
        Some("the provider answered 503: Service Unavailable"),
        None,
    ];
    for detail in details {
        sqlx::query(
            "INSERT INTO outbox (request_id, channel, purpose, to_phone, due_at, state, detail, created_at, updated_at) \
             VALUES (1, 'sms', 'received', '+12015550123', 0, 'failed', ?, 0, 0)",
        )
        .bind(detail)
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;

    let store = Store::open(&url).await.unwrap();
    let notes: Vec<Option<SendNote>> = store.sent_for(1, None).await.unwrap().into_iter().map(|l| l.detail).collect();
    assert_eq!(
        notes,
        [
            Some(SendNote::OptedOut),
            Some(SendNote::NoLongerWaiting),
            Some(SendNote::StoppedWhileSending),
            Some(SendNote::Reported { status: "undelivered".into(), code: Some("30003".into()) }),
            Some(SendNote::Reported { status: "busy".into(), code: None }),
            Some(SendNote::Verbatim { text: "the provider answered 503: Service Unavailable".into() }),
            None,
        ]
    );
    let said = |note: &Option<SendNote>| app::texts::send_note(app::Locale::ru, note.as_ref().unwrap());
    assert_eq!(said(&notes[0]), "Клиент ответил СТОП: не отправлено.");
    assert_eq!(said(&notes[3]), "Провайдер сообщил: undelivered (ошибка 30003).");
    assert_eq!(said(&notes[5]), "the provider answered 503: Service Unavailable");
}
