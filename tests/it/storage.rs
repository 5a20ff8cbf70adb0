//! The storage contract, run against SQLite and PostgreSQL alike.

use crate::support;

use crate::support::on_both_databases;
use crate::support::{TestApp, discord, telegram, test_start};
use chrono::{Duration, NaiveDate};
use petition::domain::{Country, Email, Identity, Location, PostcodeDistrict, ShareCode, SignerName};
use petition::storage::{DuplicateMatch, NewSignature, SignOutcome, StorageError, Tally};

const CAMPAIGN: &str = "keep-the-unit-open";

fn signature(who: &Identity, name: &str, email: Option<&str>, location: Location) -> NewSignature {
    NewSignature {
        campaign: CAMPAIGN.to_owned(),
        identity: who.clone(),
        name: SignerName::parse(name).unwrap(),
        email: email.map(|e| Email::parse(e).unwrap()),
        location,
        updates_opt_in: false,
        consent_version: 1,
        consent_at: test_start(),
        referral_code: None,
        created_at: test_start(),
        hold: None,
    }
}

fn district(code: &str) -> Location {
    Location::Uk(PostcodeDistrict::parse(code).unwrap())
}

fn country(name: &str) -> Location {
    Location::Abroad(Country::parse(name).unwrap())
}

fn signed_total(outcome: SignOutcome) -> u64 {
    match outcome {
        SignOutcome::Signed { total, .. } => total,
        other => panic!("expected a new signature, got {other:?}"),
    }
}

#[on_both_databases]
async fn a_signature_is_stored_and_counted_in_one_step(app: TestApp) {
    let who = telegram(1);
    let outcome = app
        .storage
        .sign(&signature(
            &who,
            "Ada Lovelace",
            Some("ada@example.org"),
            district("SW1A"),
        ))
        .await
        .unwrap();
    let SignOutcome::Signed {
        share_code,
        total,
        held: false,
    } = outcome
    else {
        panic!("stored");
    };
    assert_eq!(total, 1);
    assert_eq!(app.total().await, 1);
    let stored = app.storage.signature_of(CAMPAIGN, &who).await.unwrap().unwrap();
    assert_eq!(stored.share_code, share_code);
    assert_eq!(stored.name.as_str(), "Ada Lovelace");
    assert_eq!(stored.consent_at, test_start());
}

#[on_both_databases]
async fn one_identity_signs_once(app: TestApp) {
    let who = telegram(1);
    app.storage
        .sign(&signature(
            &who,
            "Ada Lovelace",
            Some("ada@example.org"),
            district("SW1A"),
        ))
        .await
        .unwrap();
    let again = app
        .storage
        .sign(&signature(&who, "Ada L", Some("other@example.org"), district("N1")))
        .await
        .unwrap();
    let SignOutcome::AlreadySigned(prior) = again else {
        panic!("refused");
    };
    assert_eq!(prior.matched_by, DuplicateMatch::Identity);
    assert_eq!(prior.signed_at, test_start());
    assert_eq!(app.total().await, 1);
}

#[on_both_databases]
async fn one_email_signs_once_across_platforms(app: TestApp) {
    app.storage
        .sign(&signature(
            &telegram(1),
            "Ada Lovelace",
            Some("a.da@gmail.com"),
            district("SW1A"),
        ))
        .await
        .unwrap();
    let again = app
        .storage
        .sign(&signature(
            &discord(2),
            "Ada Lovelace",
            Some("ada+x@googlemail.com"),
            district("SW1A"),
        ))
        .await
        .unwrap();
    let SignOutcome::AlreadySigned(prior) = again else {
        panic!("refused");
    };
    assert_eq!(prior.matched_by, DuplicateMatch::Email);
    assert_eq!(prior.platform, petition::domain::Platform::Telegram);
    assert_eq!(app.total().await, 1);
}

#[on_both_databases]
async fn signatures_without_email_never_collide(app: TestApp) {
    for n in 0..3 {
        let outcome = app
            .storage
            .sign(&signature(&telegram(n), "No Email", None, country("France")))
            .await
            .unwrap();
        assert_eq!(signed_total(outcome), n + 1);
    }
}

#[on_both_databases]
async fn withdrawing_deletes_the_row_and_decrements_the_total(app: TestApp) {
    let who = telegram(1);
    app.storage
        .sign(&signature(
            &who,
            "Ada Lovelace",
            Some("ada@example.org"),
            district("SW1A"),
        ))
        .await
        .unwrap();
    app.storage
        .sign(&signature(
            &telegram(2),
            "Bo Diddley",
            Some("bo@example.org"),
            district("N1"),
        ))
        .await
        .unwrap();
    app.storage.save_conversation(&who, "{}", test_start()).await.unwrap();
    assert_eq!(app.storage.withdraw(CAMPAIGN, &who).await.unwrap(), Some(1));
    assert_eq!(app.storage.withdraw(CAMPAIGN, &who).await.unwrap(), None);
    assert_eq!(app.total().await, 1);
    assert!(app.storage.signature_of(CAMPAIGN, &who).await.unwrap().is_none());
    assert!(app.storage.load_conversation(&who).await.unwrap().is_none());
    let names: Vec<String> = app
        .storage
        .export(CAMPAIGN)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, ["Bo Diddley"]);
}

#[on_both_databases]
async fn concurrent_identical_submissions_store_one_signature(app: TestApp) {
    let app = std::sync::Arc::new(app);
    let tasks: Vec<_> = (0..16)
        .map(|n| {
            let app = app.clone();
            tokio::spawn(async move {
                // Half by identity, half by email: every one is the same person.
                let who = if n % 2 == 0 { telegram(1) } else { discord(100 + n) };
                app.storage
                    .sign(&signature(
                        &who,
                        "Ada Lovelace",
                        Some("ada@example.org"),
                        district("SW1A"),
                    ))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut stored = 0;
    for task in tasks {
        if matches!(task.await.unwrap(), SignOutcome::Signed { .. }) {
            stored += 1;
        }
    }
    assert_eq!(stored, 1);
    assert_eq!(app.total().await, 1);
    assert_eq!(app.storage.export(CAMPAIGN).await.unwrap().len(), 1);
}

#[on_both_databases]
async fn conversations_are_saved_replaced_and_forgotten(app: TestApp) {
    let a = telegram(1);
    let b = discord(1);
    assert_eq!(app.storage.load_conversation(&a).await.unwrap(), None);
    app.storage.save_conversation(&a, "first", test_start()).await.unwrap();
    app.storage
        .save_conversation(&a, "second", test_start() + Duration::hours(2))
        .await
        .unwrap();
    app.storage.save_conversation(&b, "other", test_start()).await.unwrap();
    assert_eq!(
        app.storage.load_conversation(&a).await.unwrap().as_deref(),
        Some("second")
    );
    assert_eq!(
        app.storage.load_conversation(&b).await.unwrap().as_deref(),
        Some("other")
    );
    let forgotten = app
        .storage
        .delete_conversations_idle_since(test_start() + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(forgotten, 1);
    assert!(app.storage.load_conversation(&b).await.unwrap().is_none());
    app.storage.delete_conversation(&a).await.unwrap();
    assert!(app.storage.load_conversation(&a).await.unwrap().is_none());
}

#[on_both_databases]
async fn consent_wording_cannot_change_under_the_same_version(app: TestApp) {
    // The app registered the shipped version with the shipped wording at start-up.
    let consent = app.settings.campaigns.default_campaign().consent.clone();
    let version = consent.version;
    app.storage
        .register_campaign(CAMPAIGN, version, &consent.wording)
        .await
        .unwrap();
    let changed = app.storage.register_campaign(CAMPAIGN, version, "Something else").await;
    assert!(
        matches!(changed, Err(StorageError::ConsentWordingChanged { version: v, .. }) if v == version),
        "{changed:?}"
    );
    app.storage
        .register_campaign(CAMPAIGN, version + 1, "Something else")
        .await
        .unwrap();
}

#[on_both_databases]
async fn stats_break_signatures_down(app: TestApp) {
    let today = NaiveDate::from_ymd_opt(2026, 11, 5).unwrap();
    let since = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    let code = ShareCode::parse("ABCDEFGH").unwrap();
    let rows = [
        (telegram(1), district("SW1A"), 0, Some(code.clone())),
        (telegram(2), district("SW1A"), 2, Some(code.clone())),
        (discord(3), district("N1"), 2, None),
        (discord(4), country("France"), 4, None),
        (discord(5), country("France"), -10, None),
    ];
    for (n, (who, location, day_offset, referral)) in rows.into_iter().enumerate() {
        let mut new = signature(&who, "Some One", Some(&format!("p{n}@example.org")), location);
        new.created_at = since.and_hms_opt(12, 0, 0).unwrap().and_utc() + Duration::days(day_offset);
        new.referral_code = referral;
        app.storage.sign(&new).await.unwrap();
    }
    let stats = app.storage.stats(CAMPAIGN, since, today).await.unwrap();
    assert_eq!(stats.total, 5);
    assert_eq!(stats.by_platform, [Tally::new("discord", 3), Tally::new("telegram", 2)]);
    assert_eq!(
        stats.by_day,
        [
            Tally::new("2026-11-01", 1),
            Tally::new("2026-11-02", 0),
            Tally::new("2026-11-03", 2),
            Tally::new("2026-11-04", 0),
            Tally::new("2026-11-05", 1),
        ]
    );
    assert_eq!(stats.by_district, [Tally::new("SW1A", 2), Tally::new("N1", 1)]);
    assert_eq!(stats.by_country, [Tally::new("France", 2)]);
    assert_eq!(stats.top_referral_codes, [Tally::new("ABCDEFGH", 2)]);
}

#[on_both_databases]
async fn exports_list_signatures_in_signing_order(app: TestApp) {
    for (n, name) in ["First Person", "Second Person", "Third Person"]
        .into_iter()
        .enumerate()
    {
        app.storage
            .sign(&signature(
                &telegram(n as u64),
                name,
                Some(&format!("{n}@example.org")),
                district("E1"),
            ))
            .await
            .unwrap();
    }
    let rows = app.storage.export(CAMPAIGN).await.unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["First Person", "Second Person", "Third Person"]);
    assert_eq!(rows[0].postcode_district.as_deref(), Some("E1"));
    assert_eq!(rows[0].signed_at, test_start());
}

#[on_both_databases]
async fn totals_are_per_campaign(app: TestApp) {
    let mut other = signature(&telegram(1), "Ada Lovelace", Some("ada@example.org"), district("SW1A"));
    other.campaign = "another-campaign".into();
    assert_eq!(signed_total(app.storage.sign(&other).await.unwrap()), 1);
    // The same person may sign a different campaign.
    let same = signature(&telegram(1), "Ada Lovelace", Some("ada@example.org"), district("SW1A"));
    assert_eq!(signed_total(app.storage.sign(&same).await.unwrap()), 1);
    assert_eq!(app.storage.total("another-campaign").await.unwrap(), 1);
    assert_eq!(app.storage.total("never-configured").await.unwrap(), 0);
}

/// Lookups that arrive together share one query; each must still get the
/// answer for its own key, including a key asked for twice.
#[on_both_databases]
async fn lookups_made_together_each_get_their_own_answer(app: TestApp) {
    let (ada, bea) = (telegram(1), discord(2));
    app.storage
        .sign(&signature(
            &ada,
            "Ada Lovelace",
            Some("ada@example.org"),
            district("SW1A"),
        ))
        .await
        .unwrap();
    app.storage
        .sign(&signature(&bea, "Bea Smith", Some("bea@example.org"), district("N1")))
        .await
        .unwrap();
    let mut elsewhere = signature(&telegram(2), "Cy Jones", Some("cy@example.org"), district("E1"));
    elsewhere.campaign = "another-campaign".into();
    app.storage.sign(&elsewhere).await.unwrap();
    app.storage
        .save_conversation(&discord(1), "hers", test_start())
        .await
        .unwrap();

    let signed = |campaign: &'static str, who: Identity| {
        let storage = app.storage.clone();
        async move {
            storage
                .signature_of(campaign, &who)
                .await
                .unwrap()
                .map(|s| s.name.as_str().to_owned())
        }
    };
    let loaded = |who: Identity| {
        let storage = app.storage.clone();
        async move { storage.load_conversation(&who).await.unwrap() }
    };
    let (twice_a, twice_b, bea_found, crossed_1, crossed_2, other_campaign) = tokio::join!(
        signed(CAMPAIGN, ada.clone()),
        signed(CAMPAIGN, ada.clone()),
        signed(CAMPAIGN, bea.clone()),
        signed(CAMPAIGN, discord(1)),
        signed(CAMPAIGN, telegram(2)),
        signed("another-campaign", telegram(2)),
    );
    assert_eq!(twice_a.as_deref(), Some("Ada Lovelace"));
    assert_eq!(twice_b.as_deref(), Some("Ada Lovelace"));
    assert_eq!(bea_found.as_deref(), Some("Bea Smith"));
    assert_eq!(crossed_1, None, "discord user 1 has not signed; telegram user 1 has");
    assert_eq!(crossed_2, None, "telegram user 2 signed another campaign only");
    assert_eq!(other_campaign.as_deref(), Some("Cy Jones"));

    let (first, second, nobody) = tokio::join!(loaded(discord(1)), loaded(discord(1)), loaded(telegram(1)));
    assert_eq!(first.as_deref(), Some("hers"));
    assert_eq!(second.as_deref(), Some("hers"));
    assert_eq!(nobody, None);
}

#[on_both_databases]
async fn connection_attempts_are_counted_per_bot_and_old_ones_forgotten(app: TestApp) {
    let start = test_start();
    for minutes in [0, 10, 20, 70] {
        let at = start + Duration::minutes(minutes);
        app.storage
            .record_connection_attempt("discord", at, at - Duration::days(1))
            .await
            .unwrap();
    }
    app.storage
        .record_connection_attempt("other", start, start)
        .await
        .unwrap();
    let now = start + Duration::minutes(75);
    let since = |d: Duration| app.storage.connection_attempts_since("discord", now - d);
    assert_eq!(
        since(Duration::hours(1)).await.unwrap(),
        2,
        "the attempts at +20 and +70 minutes"
    );
    assert_eq!(since(Duration::days(1)).await.unwrap(), 4);
    // A day later the old attempts are forgotten as a new one is recorded.
    let later = start + Duration::days(2);
    app.storage
        .record_connection_attempt("discord", later, later - Duration::days(1))
        .await
        .unwrap();
    assert_eq!(
        app.storage
            .connection_attempts_since("discord", start - Duration::days(1))
            .await
            .unwrap(),
        1
    );
    assert_eq!(app.storage.connection_attempts_since("other", start).await.unwrap(), 1);
}

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
