//! `stats` reads breakdown counters kept beside the signatures, on SQLite
//! and PostgreSQL alike: after any mix of signings, reviews, withdrawals
//! and an anonymisation it shows exactly what grouping the stored rows
//! shows; a recount mends counters broken behind the program's back; and
//! upgrading a database fills them from the signatures already there.

use crate::support::on_both_databases;
use crate::support::{Backend, TestApp, console, discord, telegram, test_start};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use petition::domain::{Country, Email, HoldReason, Identity, Location, PostcodeDistrict, ShareCode, SignerName};
use petition::storage::{AuditEntry, NewSignature, ReviewAction, Selection, Stats, Tally};

const OTHER: &str = "another-campaign";

fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()
}

fn last_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 4).unwrap()
}

/// A moment on the first day plus `days`, at `hour:minute` UTC.
fn at(days: i64, hour: u32, minute: u32) -> DateTime<Utc> {
    first_day().and_hms_opt(hour, minute, 0).unwrap().and_utc() + Duration::days(days)
}

fn code(text: &str) -> Option<ShareCode> {
    Some(ShareCode::parse(text).unwrap())
}

fn uk(district: &str) -> Location {
    Location::Uk(PostcodeDistrict::parse(district).unwrap())
}

fn abroad(country: &str) -> Location {
    Location::Abroad(Country::parse(country).unwrap())
}

fn signature(
    campaign: &str,
    who: Identity,
    email: &str,
    location: Location,
    created_at: DateTime<Utc>,
    referral_code: Option<ShareCode>,
) -> NewSignature {
    NewSignature {
        campaign: campaign.to_owned(),
        identity: who,
        name: SignerName::parse("Some One").unwrap(),
        email: Some(Email::parse(email).unwrap()),
        location,
        updates_opt_in: false,
        consent_version: 1,
        consent_at: created_at,
        referral_code,
        created_at,
        hold: None,
    }
}

fn audit(app: &TestApp, action: &str) -> AuditEntry {
    AuditEntry {
        campaign: app.campaign(),
        actor: telegram(1000),
        action: action.to_owned(),
        detail: String::new(),
        affected: 0,
        at: test_start(),
    }
}

/// Runs a query of `label, count` rows through a connection of the test's
/// own, as another process would.
async fn rows(app: &TestApp, sql: String, campaign: &str) -> Vec<(String, i64)> {
    let sql = sqlx::AssertSqlSafe(sql);
    match app.backend {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&app.database.url).await.unwrap();
            sqlx::query_as(sql)
                .bind(campaign.to_owned())
                .fetch_all(&pool)
                .await
                .unwrap()
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&app.database.url).await.unwrap();
            sqlx::query_as(sql)
                .bind(campaign.to_owned())
                .fetch_all(&pool)
                .await
                .unwrap()
        }
    }
}

/// Runs a statement through a connection of the test's own.
async fn execute(app: &TestApp, sql: &'static str) {
    match app.backend {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&app.database.url).await.unwrap();
            sqlx::raw_sql(sql).execute(&pool).await.unwrap();
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&app.database.url).await.unwrap();
            sqlx::raw_sql(sql).execute(&pool).await.unwrap();
        }
    }
}

/// What `stats` showed before it kept counters: every breakdown grouped
/// from the signature rows, most first and ties by label.
async fn grouped(app: &TestApp, campaign: &str) -> Stats {
    let by = |column: &str, tail: &str| {
        format!(
            "SELECT {column} AS label, COUNT(*) AS count FROM signatures
             WHERE campaign = $1 AND status = 'counted' AND {column} IS NOT NULL
             GROUP BY {column} ORDER BY 2 DESC, 1{tail}"
        )
    };
    let tallies = |rows: Vec<(String, i64)>| -> Vec<Tally> {
        rows.into_iter()
            .map(|(label, count)| Tally::new(label, count as u64))
            .collect()
    };
    let day = match app.backend {
        Backend::Sqlite => "date(created_at / 1000, 'unixepoch')",
        Backend::Postgres => "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
    };
    let days = rows(app, by(day, ""), campaign).await;
    let status = "SELECT status AS label, COUNT(*) AS count FROM signatures WHERE campaign = $1 GROUP BY status";
    let statuses = rows(app, status.to_owned(), campaign).await;
    let of_status = |wanted: &str| {
        statuses
            .iter()
            .find(|(status, _)| status == wanted)
            .map_or(0, |(_, count)| *count as u64)
    };
    Stats {
        campaign: campaign.to_owned(),
        total: of_status("counted"),
        held: of_status("held"),
        by_platform: tallies(rows(app, by("platform", ""), campaign).await),
        by_day: first_day()
            .iter_days()
            .take_while(|d| *d <= last_day())
            .map(|d| {
                let label = d.format("%Y-%m-%d").to_string();
                let count = days.iter().find(|(l, _)| *l == label).map_or(0, |(_, c)| *c as u64);
                Tally::new(label, count)
            })
            .collect(),
        by_district: tallies(rows(app, by("postcode_district", ""), campaign).await),
        by_country: tallies(rows(app, by("country", ""), campaign).await),
        top_referral_codes: tallies(rows(app, by("referral_code", " LIMIT 10"), campaign).await),
    }
}

async fn stats(app: &TestApp, campaign: &str) -> Stats {
    app.storage.stats(campaign, first_day(), last_day()).await.unwrap()
}

/// `stats` shows what grouping the rows shows, for both campaigns.
async fn assert_stats_match_the_rows(app: &TestApp, step: &str) {
    for campaign in [app.campaign(), OTHER.to_owned()] {
        assert_eq!(
            stats(app, &campaign).await,
            grouped(app, &campaign).await,
            "{step}: {campaign}"
        );
    }
}

/// Ten signatures over three days (one a minute before a UTC midnight),
/// three platforms, three districts, two countries and two referral codes;
/// two of them held.
async fn sign_a_mix(app: &TestApp) {
    let campaign = app.campaign();
    let mut mix = vec![
        signature(
            &campaign,
            telegram(1),
            "a@example.org",
            uk("SW1A"),
            at(0, 9, 0),
            code("AAAAAAAA"),
        ),
        signature(
            &campaign,
            telegram(2),
            "b@example.org",
            uk("SW1A"),
            at(0, 23, 59),
            code("AAAAAAAA"),
        ),
        signature(
            &campaign,
            discord(3),
            "c@example.org",
            uk("N1"),
            at(1, 0, 0),
            code("AAAAAAAA"),
        ),
        signature(
            &campaign,
            discord(4),
            "d@example.org",
            uk("E1"),
            at(1, 12, 0),
            code("BBBBBBBB"),
        ),
        signature(
            &campaign,
            console("e"),
            "e@example.org",
            abroad("France"),
            at(1, 13, 0),
            None,
        ),
        signature(
            &campaign,
            telegram(6),
            "f@example.org",
            abroad("France"),
            at(3, 8, 0),
            None,
        ),
        signature(
            &campaign,
            telegram(7),
            "g@spam.example",
            abroad("Ireland"),
            at(3, 9, 0),
            code("BBBBBBBB"),
        ),
        signature(&campaign, discord(8), "h@example.org", uk("N1"), at(3, 10, 0), None),
    ];
    // Held: not in any breakdown until released.
    let mut held = signature(
        &campaign,
        discord(9),
        "i@example.org",
        uk("E1"),
        at(3, 11, 0),
        code("BBBBBBBB"),
    );
    held.hold = Some(HoldReason::NewAccount);
    mix.push(held);
    let mut held = signature(
        &campaign,
        telegram(10),
        "j@example.org",
        uk("N1"),
        at(3, 12, 0),
        code("AAAAAAAA"),
    );
    held.hold = Some(HoldReason::BlockedDomain);
    mix.push(held);
    // Another campaign's signatures are counted apart.
    mix.push(signature(
        OTHER,
        telegram(1),
        "a@example.org",
        uk("SW1A"),
        at(2, 9, 0),
        code("AAAAAAAA"),
    ));
    // Signed together, so they share batches as a surge would.
    let signing = mix.iter().map(|signature| app.storage.sign(signature));
    for signed in futures_util::future::join_all(signing).await {
        signed.unwrap();
    }
}

#[on_both_databases]
async fn stats_match_the_rows_after_signings_reviews_withdrawals_and_anonymising(app: TestApp) {
    let campaign = app.campaign();
    sign_a_mix(&app).await;
    assert_stats_match_the_rows(&app, "signed").await;
    let signed = stats(&app, &campaign).await;
    assert_eq!((signed.total, signed.held), (8, 2));
    assert_eq!(
        signed.by_platform,
        [
            Tally::new("telegram", 4),
            Tally::new("discord", 3),
            Tally::new("console", 1)
        ]
    );
    assert_eq!(
        signed.by_day,
        [
            Tally::new("2026-11-01", 2),
            Tally::new("2026-11-02", 3),
            Tally::new("2026-11-03", 0),
            Tally::new("2026-11-04", 3),
        ]
    );
    assert_eq!(
        signed.top_referral_codes,
        [Tally::new("AAAAAAAA", 3), Tally::new("BBBBBBBB", 2)]
    );

    // One held signature released: counted, and in the breakdowns.
    let release = Selection {
        reason: Some(HoldReason::NewAccount),
        ..Selection::default()
    };
    let released = app
        .storage
        .apply_review(&campaign, &release, ReviewAction::Release, &audit(&app, "release"))
        .await
        .unwrap();
    assert_eq!(released.affected, 1);
    assert_stats_match_the_rows(&app, "released").await;
    let after = stats(&app, &campaign).await;
    assert_eq!(
        after.by_district,
        [Tally::new("E1", 2), Tally::new("N1", 2), Tally::new("SW1A", 2)]
    );
    assert_eq!(
        after.top_referral_codes,
        [Tally::new("AAAAAAAA", 3), Tally::new("BBBBBBBB", 3)]
    );

    // A counted signature invalidated leaves the breakdowns.
    let spam = Selection {
        email_domain: Some("spam.example".to_owned()),
        ..Selection::default()
    };
    app.storage
        .apply_review(&campaign, &spam, ReviewAction::Invalidate, &audit(&app, "invalidate"))
        .await
        .unwrap();
    assert_stats_match_the_rows(&app, "invalidated").await;
    assert_eq!(stats(&app, &campaign).await.by_country, [Tally::new("France", 2)]);

    // A withdrawal of a counted signature, and the erasure of a held one.
    assert_eq!(app.storage.withdraw(&campaign, &telegram(2)).await.unwrap(), Some(7));
    assert_eq!(app.storage.withdraw(&campaign, &telegram(10)).await.unwrap(), Some(7));
    assert_stats_match_the_rows(&app, "withdrawn").await;
    let before = stats(&app, &campaign).await;
    assert_eq!(before.by_day[0], Tally::new("2026-11-01", 1));
    assert_eq!(
        before.top_referral_codes,
        [Tally::new("AAAAAAAA", 2), Tally::new("BBBBBBBB", 2)]
    );

    // Anonymising keeps every breakdown but the referral codes, which are
    // forgotten with the signers.
    assert_eq!(app.storage.anonymise(&campaign, test_start()).await.unwrap(), 8);
    assert_stats_match_the_rows(&app, "anonymised").await;
    let after = stats(&app, &campaign).await;
    assert_eq!(after.top_referral_codes, []);
    assert_eq!(
        Stats {
            top_referral_codes: before.top_referral_codes.clone(),
            ..after
        },
        before
    );
    assert_eq!(stats(&app, OTHER).await.top_referral_codes, [Tally::new("AAAAAAAA", 1)]);
    for recount in app.storage.recount().await.unwrap() {
        assert!(!recount.drifted(), "{recount:?}");
    }
}

#[on_both_databases]
async fn a_recount_mends_breakdowns_broken_behind_the_programs_back(app: TestApp) {
    let campaign = app.campaign();
    sign_a_mix(&app).await;
    let right = stats(&app, &campaign).await;
    // Three counters wrong: one too high, one missing, one made up.
    execute(
        &app,
        "UPDATE campaign_breakdowns SET count = count + 5 WHERE campaign = 'keep-the-unit-open'
             AND dimension = 'platform' AND label = 'console';
         DELETE FROM campaign_breakdowns WHERE campaign = 'keep-the-unit-open'
             AND dimension = 'day' AND label = '2026-11-01';
         INSERT INTO campaign_breakdowns (campaign, dimension, label, count)
             VALUES ('keep-the-unit-open', 'country', 'Atlantis', 4)",
    )
    .await;
    let broken = stats(&app, &campaign).await;
    assert_ne!(broken, right, "stats reads the counters");
    assert_eq!(broken.by_platform[0], Tally::new("console", 6));
    assert_eq!(broken.by_country[0], Tally::new("Atlantis", 4));

    let recount = app.storage.recount().await.unwrap();
    let ours = recount.iter().find(|r| r.campaign == campaign).unwrap();
    assert!(ours.drifted(), "{ours:?}");
    assert_eq!(ours.breakdowns_mended, 3);
    assert_eq!((ours.stored_total, ours.counted_total), (8, 8), "the totals were right");
    let other = recount.iter().find(|r| r.campaign == OTHER).unwrap();
    assert!(!other.drifted(), "{other:?}");
    assert_eq!(stats(&app, &campaign).await, right);
    assert_stats_match_the_rows(&app, "recounted").await;
    for recount in app.storage.recount().await.unwrap() {
        assert!(!recount.drifted(), "mended for good: {recount:?}");
    }
}

#[on_both_databases]
async fn upgrading_fills_the_breakdowns_from_the_signatures_already_stored(app: TestApp) {
    let campaign = app.campaign();
    sign_a_mix(&app).await;
    let right = stats(&app, &campaign).await;
    // Back to the database as it was before the counters, signatures and all.
    execute(
        &app,
        "DROP TABLE campaign_breakdowns; DELETE FROM _sqlx_migrations WHERE version = 11",
    )
    .await;
    let app = app.restart().await;
    assert_eq!(stats(&app, &campaign).await, right);
    assert_stats_match_the_rows(&app, "upgraded").await;
}
