//! The storage contract, run against SQLite and PostgreSQL alike.

mod durability;

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
