//! The outbox's storage contract, run against SQLite and PostgreSQL alike:
//! who may send an update, what a sender that stopped leaves behind, and
//! what stopping updates and withdrawing remove.

use crate::support;

use crate::support::on_both_databases;
use crate::support::{TestApp, telegram, test_start};
use chrono::Duration;
use petition::domain::{Email, Identity, Location, Platform, PostcodeDistrict, SignerName};
use petition::storage::{AuditEntry, DeliveryResult, NewSignature, NewUpdate};

const CAMPAIGN: &str = "keep-the-unit-open";

fn signature(who: &Identity, n: u32, opted_in: bool) -> NewSignature {
    NewSignature {
        campaign: CAMPAIGN.to_owned(),
        identity: who.clone(),
        name: SignerName::parse("Ann Lee").unwrap(),
        email: Some(Email::parse(&format!("signer{n}@example.org")).unwrap()),
        location: Location::Uk(PostcodeDistrict::parse("SE1 7PB").unwrap()),
        updates_opt_in: opted_in,
        consent_version: 1,
        consent_at: test_start(),
        referral_code: None,
        created_at: test_start(),
        hold: None,
    }
}

fn audit() -> AuditEntry {
    AuditEntry {
        campaign: CAMPAIGN.to_owned(),
        actor: telegram(1000),
        action: "update".to_owned(),
        detail: String::new(),
        affected: 0,
        at: test_start(),
    }
}

/// Signers 1..=count on Telegram, all asking for updates, and an update to them.
async fn update_to(app: &TestApp, count: u32) -> i64 {
    for n in 1..=count {
        app.storage
            .sign(&signature(&telegram(u64::from(n)), n, true))
            .await
            .unwrap();
    }
    let update = NewUpdate {
        campaign: CAMPAIGN.to_owned(),
        text: "Thank you.".to_owned(),
        author: telegram(1000),
        created_at: test_start(),
    };
    app.storage.create_update(&update, &audit()).await.unwrap().0
}

#[on_both_databases]
async fn an_update_reaches_the_signers_who_asked_and_is_audited(app: TestApp) {
    app.storage.sign(&signature(&telegram(1), 1, true)).await.unwrap();
    app.storage.sign(&signature(&telegram(2), 2, false)).await.unwrap();
    let on_discord = Identity::new(Platform::Discord, "3");
    app.storage.sign(&signature(&on_discord, 3, true)).await.unwrap();
    let signed = app.storage.signature_of(CAMPAIGN, &telegram(1)).await.unwrap().unwrap();
    assert_eq!(
        signed.updates_wording,
        petition::messages::UPDATES_WORDING,
        "the wording the signer answered is recorded"
    );
    let at_console = Identity::new(Platform::Console, "ann");
    app.storage.sign(&signature(&at_console, 4, true)).await.unwrap();
    assert_eq!(
        app.storage.update_reach(CAMPAIGN).await.unwrap(),
        [(Platform::Telegram, 1), (Platform::Discord, 1)]
    );
    let update = NewUpdate {
        campaign: CAMPAIGN.to_owned(),
        text: "Line one.\nLine two.".to_owned(),
        author: telegram(1000),
        created_at: test_start(),
    };
    let (id, recipients) = app.storage.create_update(&update, &audit()).await.unwrap();
    assert_eq!(recipients, 2);
    let stored = app.storage.stored_update(id).await.unwrap().unwrap();
    assert_eq!(
        (stored.text.as_str(), stored.counts.pending),
        ("Line one.\nLine two.", 2)
    );
    let audited = app.storage.audit_log(CAMPAIGN).await.unwrap();
    assert_eq!((audited[0].action.as_str(), audited[0].affected), ("update", 2));
    assert_eq!(app.storage.open_updates().await.unwrap().len(), 1);
}

#[on_both_databases]
async fn only_one_sender_holds_an_updates_lease_until_it_runs_out(app: TestApp) {
    let id = update_to(&app, 1).await;
    let now = test_start();
    let until = now + Duration::seconds(30);
    let claim = |owner: &'static str, at| {
        let storage = app.storage.clone();
        async move {
            storage
                .claim_update(id, Platform::Telegram, owner, at, at + Duration::seconds(30))
                .await
                .unwrap()
        }
    };
    assert!(claim("one", now).await);
    assert!(!claim("two", now).await, "another sender's lease holds");
    assert!(claim("one", now + Duration::seconds(10)).await, "the holder renews it");
    assert!(
        app.storage
            .claim_update(id, Platform::Discord, "two", now, until)
            .await
            .unwrap(),
        "each platform has a lease of its own"
    );
    assert!(!claim("two", now + Duration::seconds(39)).await);
    assert!(
        claim("two", now + Duration::seconds(41)).await,
        "a lease that ran out is taken over"
    );
    assert!(!claim("one", now + Duration::seconds(42)).await);
}

#[on_both_databases]
async fn deliveries_in_flight_when_a_sender_stopped_become_unknown_and_are_not_taken_again(app: TestApp) {
    let id = update_to(&app, 5).await;
    let taken = app
        .storage
        .take_deliveries(id, Platform::Telegram, test_start(), 3)
        .await
        .unwrap();
    assert_eq!(taken.len(), 3);
    assert!(taken.iter().all(|(_, attempts)| *attempts == 1));
    // The sender dies here. The next marks what it left in flight.
    assert_eq!(
        app.storage
            .mark_in_flight_unknown(id, Platform::Telegram)
            .await
            .unwrap(),
        3
    );
    let rest = app
        .storage
        .take_deliveries(id, Platform::Telegram, test_start(), 10)
        .await
        .unwrap();
    assert_eq!(rest.len(), 2, "only the ones never tried");
    assert!(rest.iter().all(|(user, _)| !taken.iter().any(|(t, _)| t == user)));
    let results: Vec<_> = rest
        .iter()
        .map(|(user, _)| (user.clone(), DeliveryResult::Sent))
        .collect();
    app.storage
        .record_deliveries(id, Platform::Telegram, &results)
        .await
        .unwrap();
    // A late result for an unknown one changes nothing.
    let late = vec![(taken[0].0.clone(), DeliveryResult::Sent)];
    app.storage
        .record_deliveries(id, Platform::Telegram, &late)
        .await
        .unwrap();
    assert!(app.storage.finish_update_if_done(id, test_start()).await.unwrap());
    let done = app.storage.stored_update(id).await.unwrap().unwrap();
    assert_eq!((done.counts.sent, done.counts.unknown), (2, 3));
    assert!(
        !app.storage.finish_update_if_done(id, test_start()).await.unwrap(),
        "finished once"
    );
}

#[on_both_databases]
async fn a_transient_failure_is_taken_again_only_once_it_falls_due(app: TestApp) {
    let id = update_to(&app, 1).await;
    let now = test_start();
    let taken = app
        .storage
        .take_deliveries(id, Platform::Telegram, now, 5)
        .await
        .unwrap();
    let retry = vec![(taken[0].0.clone(), DeliveryResult::RetryAt(now + Duration::seconds(2)))];
    app.storage
        .record_deliveries(id, Platform::Telegram, &retry)
        .await
        .unwrap();
    assert!(
        app.storage
            .take_deliveries(id, Platform::Telegram, now, 5)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        !app.storage.finish_update_if_done(id, now).await.unwrap(),
        "one still waits"
    );
    let again = app
        .storage
        .take_deliveries(id, Platform::Telegram, now + Duration::seconds(2), 5)
        .await
        .unwrap();
    assert_eq!(again, [(taken[0].0.clone(), 2)]);
}

#[on_both_databases]
async fn stopping_updates_drops_waiting_deliveries_and_updates_on_records_the_wording(app: TestApp) {
    let id = update_to(&app, 2).await;
    let who = telegram(1);
    assert_eq!(app.storage.set_updates_opt_in(None, &who, false, 2).await.unwrap(), 1);
    let update = app.storage.stored_update(id).await.unwrap().unwrap();
    assert_eq!((update.counts.pending, update.counts.cancelled), (1, 1));
    let signature = app.storage.signature_of(CAMPAIGN, &who).await.unwrap().unwrap();
    assert!(!signature.updates_opt_in);
    assert_eq!(
        app.storage
            .set_updates_opt_in(Some(CAMPAIGN), &who, true, 7)
            .await
            .unwrap(),
        1
    );
    let signature = app.storage.signature_of(CAMPAIGN, &who).await.unwrap().unwrap();
    assert_eq!((signature.updates_opt_in, signature.updates_wording), (true, 7));
    assert_eq!(
        app.storage
            .set_updates_opt_in(None, &telegram(99), false, 2)
            .await
            .unwrap(),
        0,
        "nobody who did not sign changes"
    );
}

#[on_both_databases]
async fn a_withdrawal_erases_the_signer_from_every_update_yet_keeps_the_counts(app: TestApp) {
    let first = update_to(&app, 2).await;
    let taken = app
        .storage
        .take_deliveries(first, Platform::Telegram, test_start(), 5)
        .await
        .unwrap();
    let sent: Vec<_> = taken
        .iter()
        .map(|(user, _)| (user.clone(), DeliveryResult::Sent))
        .collect();
    app.storage
        .record_deliveries(first, Platform::Telegram, &sent)
        .await
        .unwrap();
    let second = app
        .storage
        .create_update(
            &NewUpdate {
                campaign: CAMPAIGN.to_owned(),
                text: "Again.".to_owned(),
                author: telegram(1000),
                created_at: test_start(),
            },
            &audit(),
        )
        .await
        .unwrap()
        .0;
    app.storage.withdraw(CAMPAIGN, &telegram(1)).await.unwrap();
    let first = app.storage.stored_update(first).await.unwrap().unwrap();
    assert_eq!(first.counts.sent, 2, "what was sent stays counted");
    let second = app.storage.stored_update(second).await.unwrap().unwrap();
    assert_eq!(second.counts.pending, 1, "the withdrawn signer is no longer waiting");
    let left = rows_naming(&app, "1").await;
    assert_eq!(left, 0, "no delivery names the withdrawn account");
    assert_eq!(rows_naming(&app, "2").await, 2);
}

/// Delivery rows that name a Telegram account, through a connection of
/// the test's own.
async fn rows_naming(app: &TestApp, user: &str) -> i64 {
    match app.backend {
        support::Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&app.database.url).await.unwrap();
            sqlx::query_scalar("SELECT COUNT(*) FROM update_deliveries WHERE platform_user_id = $1")
                .bind(user)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
        support::Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&app.database.url).await.unwrap();
            sqlx::query_scalar("SELECT COUNT(*) FROM update_deliveries WHERE platform_user_id = $1")
                .bind(user)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    }
}
