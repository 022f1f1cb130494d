//! A database written before a migration reads the same after it: every kind of event, as the older schema
//! stored it, comes back as the same typed event.

use app::{
    domain::{Actor, Channel, Event, RequestStatus, StaffName},
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
                (Event::Escalated { level: 1, note: "Nobody accepted within 2 min.".into() }, None),
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
