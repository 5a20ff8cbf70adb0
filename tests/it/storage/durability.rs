//! Durability: a signature acknowledged is committed, a failed batch
//! stores none of its writes and fails each of them, and PostgreSQL's
//! writers come back after the server drops their connections.

use super::*;

/// Counts rows through a connection of its own, as another process would.
async fn count_independently(app: &TestApp, sql: &'static str, bind: &str) -> i64 {
    match app.backend {
        support::Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&app.database.url).await.unwrap();
            sqlx::query_scalar(sql)
                .bind(bind.to_owned())
                .fetch_one(&pool)
                .await
                .unwrap()
        }
        support::Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&app.database.url).await.unwrap();
            sqlx::query_scalar(sql)
                .bind(bind.to_owned())
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    }
}

#[on_both_databases]
async fn an_acknowledged_signature_is_already_committed(app: TestApp) {
    let app = std::sync::Arc::new(app);
    let tasks: Vec<_> = (0..80u64)
        .map(|n| {
            let app = app.clone();
            tokio::spawn(async move {
                let signature = signature(
                    &telegram(n),
                    "Ada Lovelace",
                    Some(&format!("a{n}@example.org")),
                    district("N1"),
                );
                let SignOutcome::Signed { share_code, .. } = app.storage.sign(&signature).await.unwrap() else {
                    panic!("a new signature");
                };
                // The moment it is acknowledged, another connection sees it.
                let stored = count_independently(
                    &app,
                    "SELECT COUNT(*) FROM signatures WHERE share_code = $1",
                    share_code.as_str(),
                )
                .await;
                assert_eq!(stored, 1, "acknowledged before it was committed");
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(app.total().await, 80);
}

#[on_both_databases]
async fn a_failed_batch_fails_every_write_in_it_and_stores_none_of_it(app: TestApp) {
    // Make the database refuse one particular signature, as a full disk or a
    // broken constraint would: the whole transaction it is in fails.
    let poison: &[&'static str] = match app.backend {
        support::Backend::Sqlite => &[
            "CREATE TRIGGER poison BEFORE INSERT ON signatures WHEN NEW.name = 'Poison Pill'
             BEGIN SELECT RAISE(ABORT, 'poisoned'); END",
        ],
        support::Backend::Postgres => &[
            "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN IF NEW.name = 'Poison Pill' THEN RAISE EXCEPTION 'poisoned'; END IF; RETURN NEW; END $$",
            "CREATE TRIGGER poison BEFORE INSERT ON signatures FOR EACH ROW EXECUTE FUNCTION poison()",
        ],
    };
    for sql in poison {
        match app.backend {
            support::Backend::Sqlite => {
                let pool = sqlx::SqlitePool::connect(&app.database.url).await.unwrap();
                sqlx::query(*sql).execute(&pool).await.unwrap();
            }
            support::Backend::Postgres => {
                let pool = sqlx::PgPool::connect(&app.database.url).await.unwrap();
                sqlx::query(*sql).execute(&pool).await.unwrap();
            }
        }
    }
    let app = std::sync::Arc::new(app);
    // Hold the writer on a first batch with one signature in it, so that the
    // other 59, the poisoned one among them, queue up meanwhile and make up
    // the next batch together: who shares the poisoned batch is then known.
    let held = SignaturesLocked::take(&app).await;
    let (queued, mut queued_so_far) = tokio::sync::mpsc::unbounded_channel();
    let first = tokio::spawn(sign_saying_when_queued(app.clone(), 0, queued.clone()));
    held.wait_for_the_writer(&app).await;
    let rest: Vec<_> = (1..60u64)
        .map(|n| tokio::spawn(sign_saying_when_queued(app.clone(), n, queued.clone())))
        .collect();
    for _ in 0..60 {
        queued_so_far.recv().await.expect("every signer queues its write");
    }
    held.release().await;
    let mut outcomes = Vec::new();
    for task in std::iter::once(first).chain(rest) {
        outcomes.push(task.await.unwrap());
    }
    let mut acknowledged = 0;
    for (n, outcome) in &outcomes {
        let n = *n;
        let stored = count_independently(
            &app,
            "SELECT COUNT(*) FROM signatures WHERE email = $1",
            &format!("p{n}@example.org"),
        )
        .await;
        match outcome {
            Ok(SignOutcome::Signed { .. }) => {
                acknowledged += 1;
                assert_eq!(stored, 1, "signer {n} was acknowledged, so it is stored");
            }
            Ok(other) => panic!("signer {n}: {other:?}"),
            Err(error) => {
                assert!(matches!(error, StorageError::BatchFailed(_)), "{error}");
                assert_eq!(stored, 0, "signer {n} was told it failed, so nothing of it is stored");
            }
        }
        if n == 59 {
            assert_eq!(stored, 0, "the poisoned signature never lands");
        }
    }
    // The batch of one was committed; in the poisoned batch every other
    // write failed too, with that batch's own error.
    assert!(
        matches!(outcomes[0], (0, Ok(SignOutcome::Signed { .. }))),
        "{:?}",
        outcomes[0]
    );
    let Some((59, Err(StorageError::BatchFailed(poisoned_batch)))) = outcomes.last() else {
        panic!("the poisoned signature fails its batch: {:?}", outcomes.last());
    };
    for (n, outcome) in &outcomes[1..59] {
        match outcome {
            Err(StorageError::BatchFailed(error)) => assert!(
                std::sync::Arc::ptr_eq(error, poisoned_batch),
                "signer {n} failed with the poisoned batch, not another: {error}"
            ),
            other => panic!("signer {n} was in the poisoned batch, so its write failed too: {other:?}"),
        }
    }
    assert!(acknowledged < 60);
    assert_eq!(app.total().await, acknowledged);
    for recount in app.storage.recount().await.unwrap() {
        assert!(!recount.drifted(), "{recount:?}");
    }
    // The writer carries on after a failed batch.
    let later = signature(
        &telegram(1000),
        "Ada Lovelace",
        Some("later@example.org"),
        district("N1"),
    );
    assert!(matches!(
        app.storage.sign(&later).await.unwrap(),
        SignOutcome::Signed { .. }
    ));
}

/// Signs as signer `n` (signer 59 with the poisoned name), saying on
/// `queued` once the write is queued: a write is queued when its future is
/// first polled.
async fn sign_saying_when_queued(
    app: std::sync::Arc<TestApp>,
    n: u64,
    queued: tokio::sync::mpsc::UnboundedSender<()>,
) -> (u64, Result<SignOutcome, StorageError>) {
    let name = if n == 59 { "Poison Pill" } else { "Ada Lovelace" };
    let signature = signature(&telegram(n), name, Some(&format!("p{n}@example.org")), district("N1"));
    let mut signing = std::pin::pin!(app.storage.sign(&signature));
    let first_poll = std::future::poll_fn(|cx| std::task::Poll::Ready(signing.as_mut().poll(cx))).await;
    let _ = queued.send(());
    let outcome = match first_poll {
        std::task::Poll::Ready(outcome) => outcome,
        std::task::Poll::Pending => signing.await,
    };
    (n, outcome)
}

/// The `signatures` table locked against writes from a connection of its
/// own, as another process's long transaction would: the app's writer
/// waits with the batch it has taken until the lock is released.
enum SignaturesLocked {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl SignaturesLocked {
    async fn take(app: &TestApp) -> Self {
        use sqlx::Connection;
        match app.backend {
            support::Backend::Sqlite => {
                let mut connection = sqlx::SqliteConnection::connect(&app.database.url).await.unwrap();
                sqlx::query("BEGIN IMMEDIATE").execute(&mut connection).await.unwrap();
                Self::Sqlite(connection)
            }
            support::Backend::Postgres => {
                let mut connection = sqlx::PgConnection::connect(&app.database.url).await.unwrap();
                sqlx::query("BEGIN").execute(&mut connection).await.unwrap();
                sqlx::query("LOCK TABLE signatures IN EXCLUSIVE MODE")
                    .execute(&mut connection)
                    .await
                    .unwrap();
                Self::Postgres(connection)
            }
        }
    }

    /// Waits until the writer has taken the write queued first and is held.
    async fn wait_for_the_writer(&self, app: &TestApp) {
        match self {
            // SQLite shows no sign of a connection waiting for a lock; but
            // the writer takes a queued write at once, on a thread of its
            // own, so this is ample even on a busy machine.
            Self::Sqlite(_) => tokio::time::sleep(std::time::Duration::from_millis(500)).await,
            Self::Postgres(_) => {
                use sqlx::Connection;
                let mut watcher = sqlx::PgConnection::connect(&app.database.url).await.unwrap();
                for _ in 0..1_500 {
                    let waiting: bool = sqlx::query_scalar(
                        "SELECT EXISTS (SELECT 1 FROM pg_locks
                         WHERE NOT granted AND relation = 'signatures'::regclass
                           AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))",
                    )
                    .fetch_one(&mut watcher)
                    .await
                    .unwrap();
                    if waiting {
                        return;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
                panic!("the writer never waited for the lock on signatures");
            }
        }
    }

    async fn release(self) {
        match self {
            Self::Sqlite(mut connection) => {
                sqlx::query("COMMIT").execute(&mut connection).await.unwrap();
            }
            Self::Postgres(mut connection) => {
                sqlx::query("COMMIT").execute(&mut connection).await.unwrap();
            }
        }
    }
}

/// PostgreSQL only: a database hiccup (here, the server closing every
/// connection of this database) costs the batches in flight, not every
/// batch until the bot restarts; each writer opens a fresh connection, and
/// a lookup is tried again on one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_writers_reconnect_after_the_server_drops_them() {
    let Some(app) = TestApp::spawn(support::Backend::Postgres).await else {
        return;
    };
    let alice = telegram(7001);
    let first = app
        .storage
        .sign(&signature(&alice, "Alice", Some("alice@example.org"), district("SW1A")))
        .await;
    assert!(matches!(first, Ok(SignOutcome::Signed { total: 1, .. })), "{first:?}");
    // Lookups have connections open too, which the drop below kills.
    assert_eq!(app.storage.total(CAMPAIGN).await.unwrap(), 1);
    assert!(app.storage.signature_of(CAMPAIGN, &alice).await.unwrap().is_some());
    assert!(app.storage.load_conversation(&telegram(7002)).await.unwrap().is_none());

    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&app.database.url)
        .await
        .unwrap();
    let dropped: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert!(dropped.len() >= 2, "the writers' connections were open: {dropped:?}");

    // A lookup is tried again on a fresh connection, so readers see nothing
    // of the drop.
    let found = app.storage.signature_of(CAMPAIGN, &alice).await;
    assert!(matches!(found, Ok(Some(_))), "{found:?}");

    // At most the first batch each writer takes after the drop may fail
    // (there are at most four writers); then it writes normally again. (A
    // batch whose connection had died is now applied again on a fresh one,
    // so none fails: see the next test.)
    let bob = telegram(7002);
    let mut saves = Vec::new();
    for n in 0..12 {
        let saved = app
            .storage
            .save_conversation(&bob, &format!("{{\"n\":{n}}}"), test_start())
            .await;
        saves.push(saved.is_ok());
    }
    assert!(saves.iter().filter(|ok| !**ok).count() <= 4, "{saves:?}");
    assert!(saves[saves.len() - 6..].iter().all(|ok| *ok), "{saves:?}");
    assert_eq!(
        app.storage.load_conversation(&bob).await.unwrap().as_deref(),
        Some("{\"n\":11}")
    );

    let carol = telegram(7003);
    let mut signed = None;
    for _ in 0..2 {
        if let Ok(outcome) = app
            .storage
            .sign(&signature(&carol, "Carol", Some("carol@example.org"), district("SW1A")))
            .await
        {
            signed = Some(outcome);
            break;
        }
    }
    assert!(
        matches!(signed, Some(SignOutcome::Signed { total: 2, .. })),
        "{signed:?}"
    );
    assert_eq!(app.storage.total(CAMPAIGN).await.unwrap(), 2);
}

/// PostgreSQL only: when the server has dropped every connection (as a
/// restart does), the next writes are applied on fresh connections and
/// none of them fails: supporters see no apology once the server is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_writes_after_the_server_dropped_every_connection_all_succeed() {
    let Some(app) = TestApp::spawn(support::Backend::Postgres).await else {
        return;
    };
    // Open every writer's connection, and some lookups', with concurrent work.
    let warm_up: Vec<_> = (0..32)
        .map(|n| {
            let storage = app.storage.clone();
            tokio::spawn(async move {
                storage
                    .save_conversation(&telegram(8000 + n), "{\"warm\":true}", test_start())
                    .await
            })
        })
        .collect();
    for saved in warm_up {
        saved.await.unwrap().unwrap();
    }
    let alice = telegram(7101);
    app.storage
        .sign(&signature(&alice, "Alice", Some("alice@example.org"), district("SW1A")))
        .await
        .unwrap();
    drop_every_connection(&app).await;

    let saves: Vec<_> = (0..32)
        .map(|n| {
            let storage = app.storage.clone();
            tokio::spawn(async move {
                storage
                    .save_conversation(&telegram(8000 + n), "{\"after\":true}", test_start())
                    .await
            })
        })
        .collect();
    for saved in saves {
        let saved = saved.await.unwrap();
        assert!(saved.is_ok(), "{saved:?}");
    }
    drop_every_connection(&app).await;
    let bob = telegram(7102);
    let signed = app
        .storage
        .sign(&signature(&bob, "Bob", Some("bob@example.org"), district("N1")))
        .await;
    assert!(matches!(signed, Ok(SignOutcome::Signed { total: 2, .. })), "{signed:?}");
    drop_every_connection(&app).await;
    assert_eq!(app.storage.withdraw(CAMPAIGN, &bob).await.unwrap(), Some(1));
    assert_eq!(app.storage.total(CAMPAIGN).await.unwrap(), 1);
}

/// Has the server close every connection to the test's database but this one.
async fn drop_every_connection(app: &TestApp) {
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&app.database.url)
        .await
        .unwrap();
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .execute(&mut admin)
    .await
    .unwrap();
    // Terminated backends take a moment to go.
    for _ in 0..100 {
        let left: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .fetch_one(&mut admin)
        .await
        .unwrap();
        if left == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
