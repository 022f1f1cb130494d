//! Group commit under faults: the creates waiting together are written together, yet one request that breaks a
//! constraint fails alone, and any other failure fails its whole batch with nobody told "saved".
use std::collections::HashSet;

use crate::common::{TestApp, flat_tire, postgres, spawn_app_with};
use sqlx::Row;

async fn sql(app: &TestApp, query: &str) -> Vec<sqlx::any::AnyRow> {
    sqlx::raw_sql(query).fetch_all(&mut app.db().await).await.unwrap()
}

/// A trigger on new requests whose notes are `notes`, doing `then`: each backend's own syntax.
fn trigger(name: &str, notes: &str, sqlite: &str, postgres_body: &str) -> String {
    if postgres().is_some() {
        format!(
            "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             IF NEW.notes = '{notes}' THEN {postgres_body} END IF; RETURN NEW; END $$; \
             CREATE TRIGGER {name} BEFORE INSERT ON help_requests FOR EACH ROW EXECUTE FUNCTION {name}();"
        )
    } else {
        format!("CREATE TRIGGER {name} BEFORE INSERT ON help_requests WHEN NEW.notes = '{notes}' BEGIN {sqlite} END;")
    }
}

/// Sends `n` creates at once, the one at `poisoned` with the notes `poison`, the others `n-<i>`; answers by notes.
async fn send_together(app: &TestApp, n: usize, poisoned: usize, poison: &str) -> Vec<(String, u16)> {
    let sends = (0..n).map(|i| {
        let notes = if i == poisoned { poison.to_owned() } else { format!("n-{i}") };
        let mut body = flat_tire();
        body["notes"] = notes.clone().into();
        async move { (notes, app.create(body).await.status().as_u16()) }
    });
    futures::future::join_all(sends).await
}

async fn stored_notes(app: &TestApp) -> HashSet<String> {
    sql(app, "SELECT notes FROM help_requests").await.iter().map(|r| r.get::<String, _>("notes")).collect()
}

#[tokio::test]
async fn one_request_that_breaks_a_constraint_fails_alone_and_the_rest_are_stored() {
    let app = spawn_app_with(&["--partner-limit-per-minute", "10000"]).await;
    // A request with these notes breaks a unique constraint on its way in (a stand-in for any bad row).
    let breaks = "INSERT INTO taken VALUES ('x');";
    let bad_row = trigger("breaks_a_constraint", "bad row", breaks, breaks);
    sql(&app, &format!("CREATE TABLE taken (v TEXT UNIQUE); INSERT INTO taken VALUES ('x'); {bad_row}")).await;
    let answers = send_together(&app, 48, 17, "bad row").await;
    let stored = stored_notes(&app).await;
    for (notes, status) in &answers {
        if notes == "bad row" {
            assert_eq!(*status, 503, "the bad one fails");
            assert!(!stored.contains(notes));
        } else {
            assert_eq!(*status, 201, "{notes} is stored despite the bad one beside it");
            assert!(stored.contains(notes), "{notes} answered 201 and is stored");
        }
    }
    assert_eq!(stored.len(), 47);
}

#[tokio::test]
async fn any_other_failure_fails_the_whole_batch_and_nobody_is_told_saved() {
    let app = spawn_app_with(&["--partner-limit-per-minute", "10000"]).await;
    // Not a constraint of the request's own (as a full disk or an I/O error would be): the batch fails as one.
    let fails = trigger(
        "fails_the_batch",
        "disk trouble",
        "SELECT RAISE(ABORT, 'disk trouble');",
        "RAISE EXCEPTION 'disk trouble';",
    );
    sql(&app, &fails).await;
    let answers = send_together(&app, 48, 5, "disk trouble").await;
    let stored = stored_notes(&app).await;
    let mut saved = 0;
    for (notes, status) in &answers {
        match status {
            201 => {
                saved += 1;
                assert!(stored.contains(notes), "{notes} was told saved, so it must be stored");
            }
            503 => assert!(!stored.contains(notes), "{notes} was told it failed, so it must not be stored"),
            other => panic!("{notes}: {other}"),
        }
    }
    assert!(answers.iter().any(|(notes, status)| notes == "disk trouble" && *status == 503));
    assert_eq!(stored.len(), saved, "exactly the requests told saved are stored");
    // The writer goes on: the next request is stored.
    assert_eq!(app.create(flat_tire()).await.status(), 201);
}

/// One key sent many times at once lands in one commit of the writer: the first request is stored and the others
/// name it; nobody beside them fails (PostgreSQL refuses one statement that touches one key twice).
#[tokio::test]
async fn one_key_sent_many_times_at_once_makes_one_request_and_fails_nobody_beside_it() {
    use app::services::Source;
    let app = spawn_app_with(&["--partner-limit-per-minute", "10000"]).await;
    let draft: app::domain::HelpRequestDraft = serde_json::from_value(flat_tire()).unwrap();
    // All queued before the writer runs (one thread: the writer's turn comes after every sender's).
    let sends = (0..40).map(|i| {
        let (services, draft) = (app.services.clone(), draft.clone());
        async move {
            let key = if i % 2 == 0 { Some("double-tap") } else { None };
            services.submit(&draft, Source::Partner(1), key).await.map(|s| (key.is_some(), s.token, s.replayed))
        }
    });
    let answers: Vec<_> = futures::future::join_all(sends).await.into_iter().map(Result::unwrap).collect();
    let keyed: HashSet<&String> = answers.iter().filter(|(k, ..)| *k).map(|(_, token, _)| token).collect();
    assert_eq!(keyed.len(), 1, "one request for the key");
    assert_eq!(answers.iter().filter(|(k, _, replayed)| *k && !replayed).count(), 1, "stored once, named 19 times");
    assert_eq!(answers.iter().filter(|(k, ..)| !k).count(), 20, "the keyless ones beside them are stored");
    assert_eq!(stored_notes_count(&app).await, 21);
}

async fn stored_notes_count(app: &TestApp) -> usize {
    sql(app, "SELECT id FROM help_requests").await.len()
}
