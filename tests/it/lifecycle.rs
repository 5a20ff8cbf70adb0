//! A campaign's life on both databases: closed once (and announced once,
//! to its chats and to signers who asked), reopened until delivered, and
//! its signers forgotten: totals and breakdowns unchanged, every name and
//! email gone (from the SQLite files' bytes too), and doing it again
//! changes nothing.

use std::path::Path;

use crate::support::on_both_databases;
use crate::support::{Backend, TestApp, telegram, test_start, text_of};
use chrono::{Duration, NaiveDate};
use petition::domain::{Identity, Platform};
use petition::storage::{AnnounceChat, AuditEntry, NewUpdate, Reopening};

const NAMES: [&str; 3] = ["Quentin Blake", "Zoë Ωmega", "Дарья Иванова"];
const EMAILS: [&str; 3] = ["quentin@example.org", "zoe@example.net", "darya@example.com"];

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

fn announcement(app: &TestApp) -> NewUpdate {
    NewUpdate {
        campaign: app.campaign(),
        text: "Closed with 3 signatures.".to_owned(),
        author: telegram(1000),
        created_at: test_start(),
    }
}

/// Three signers who asked for updates, on Telegram.
async fn three_signers(app: &TestApp) {
    for (n, (name, email)) in NAMES.iter().zip(EMAILS).enumerate() {
        let who = telegram(n as u64 + 1);
        for answer in ["sign", name, email, "SE1 7PB", "yes", "yes"] {
            app.say(&who, answer).await;
        }
        let thanks = text_of(&app.say(&who, "confirm").await);
        assert!(thanks.starts_with("Thank you"), "{thanks}");
    }
}

#[on_both_databases]
async fn signing_waits_for_the_opening_and_stops_at_the_closing_by_time_or_by_an_organiser(app: TestApp) {
    let opens = test_start() + Duration::hours(1);
    let closes = test_start() + Duration::hours(2);
    let app = app
        .restart_with(|settings| {
            let mut campaign = settings.campaigns.default_campaign().as_ref().clone();
            campaign.opens_at = Some(opens);
            campaign.closes_at = Some(closes);
            settings.campaigns.upsert(campaign);
        })
        .await;
    let early = text_of(&app.say(&telegram(1), "sign").await);
    assert!(
        early.contains("opens for signatures on 3 November 2026 at 15:00 UTC"),
        "{early}"
    );
    app.clock.advance(Duration::hours(1));
    let thanks = text_of(&app.sign(&telegram(1), "Ann Lee", "ann@example.org", "SE1 7PB").await);
    assert!(thanks.contains("Thank you"), "{thanks}");
    app.clock.advance(Duration::hours(1));
    app.engine.look_after_lifecycles().await.unwrap();
    let late = text_of(&app.say(&telegram(2), "sign").await);
    assert!(late.contains("closed on 3 November 2026 with 1 signature"), "{late}");
    assert_eq!(app.storage.lifecycles().await.unwrap()[0].closed_at, Some(closes));
    // Reopened past its closing time, it stays open; an organiser closes it.
    let organiser = telegram(1000);
    assert!(text_of(&app.say(&organiser, "reopen").await).contains("open for signatures again"));
    let thanks = text_of(&app.sign(&telegram(2), "Bea Roe", "bea@example.org", "M1 1AE").await);
    assert!(thanks.contains("Thank you"), "{thanks}");
    app.engine.look_after_lifecycles().await.unwrap();
    app.say(&organiser, "close").await;
    assert!(text_of(&app.say(&organiser, "yes").await).contains("is closed, with 2 signatures"));
    let refused = text_of(&app.say(&telegram(3), "sign").await);
    assert!(
        refused.contains("with 2 signatures, so it can no longer be signed"),
        "{refused}"
    );
    let updates = app.storage.recent_updates(&app.campaign(), 10).await.unwrap();
    assert_eq!(updates.len(), 2, "each closing announced once");
}

#[on_both_databases]
async fn a_closing_is_recorded_and_announced_once_to_chats_and_signers(app: TestApp) {
    three_signers(&app).await;
    let chat = AnnounceChat::new(Platform::Telegram, -100_123);
    app.storage.start_milestones(&app.campaign(), &[chat]).await.unwrap();
    let closed = app
        .storage
        .close_campaign(test_start(), &audit(&app, "close"), &announcement(&app))
        .await
        .unwrap();
    let id = closed.expect("closed now");
    let again = app
        .storage
        .close_campaign(
            test_start() + Duration::hours(1),
            &audit(&app, "close"),
            &announcement(&app),
        )
        .await
        .unwrap();
    assert_eq!(again, None, "a closed campaign is not closed, nor announced, twice");
    let update = app.storage.stored_update(id).await.unwrap().unwrap();
    assert_eq!(update.counts.pending, 4, "three signers and the announcement chat");
    let lifecycle = &app.storage.lifecycles().await.unwrap()[0];
    assert_eq!(lifecycle.closed_at, Some(test_start()));
    let audited = app.storage.audit_log(&app.campaign()).await.unwrap();
    assert_eq!(audited.iter().filter(|entry| entry.action == "close").count(), 1);
}

#[on_both_databases]
async fn a_campaign_reopens_until_it_is_delivered(app: TestApp) {
    app.storage
        .close_campaign(test_start(), &audit(&app, "close"), &announcement(&app))
        .await
        .unwrap();
    assert_eq!(
        app.storage.reopen_campaign(&audit(&app, "reopen")).await.unwrap(),
        Reopening::Reopened
    );
    let lifecycle = &app.storage.lifecycles().await.unwrap()[0];
    assert_eq!((lifecycle.closed_at, lifecycle.reopened), (None, true));
    let closed_again = app
        .storage
        .close_campaign(test_start(), &audit(&app, "close"), &announcement(&app))
        .await
        .unwrap();
    assert!(closed_again.is_some(), "closing again is a closing of its own");
    app.storage.mark_delivered(&app.campaign(), test_start()).await.unwrap();
    assert_eq!(
        app.storage.reopen_campaign(&audit(&app, "reopen")).await.unwrap(),
        Reopening::AlreadyDelivered
    );
    assert!(app.storage.lifecycles().await.unwrap()[0].closed_at.is_some());
}

/// Rows still naming any of the signers, through a connection of the test's own.
async fn rows_naming_anyone(app: &TestApp) -> i64 {
    let sql = "SELECT (SELECT COUNT(*) FROM signatures WHERE name <> '' OR email IS NOT NULL
                   OR platform_user_id IN ('1', '2', '3'))
             + (SELECT COUNT(*) FROM update_deliveries WHERE platform_user_id IN ('1', '2', '3'))
             + (SELECT COUNT(*) FROM conversations) AS count";
    match app.backend {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&app.database.url).await.unwrap();
            sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap()
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&app.database.url).await.unwrap();
            sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap()
        }
    }
}

fn found_on_disk(folder: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_file() {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        for value in NAMES.iter().chain(EMAILS.iter()) {
            if bytes.windows(value.len()).any(|window| window == value.as_bytes()) {
                found.push(format!("{value:?} in {}", path.display()));
            }
        }
    }
    found
}

#[on_both_databases]
async fn anonymising_keeps_the_totals_and_breakdowns_and_forgets_everyone_once(app: TestApp) {
    three_signers(&app).await;
    // Someone part-way through signing, whose answers go too.
    let typing = Identity::new(Platform::Discord, "77");
    app.say(&typing, "sign").await;
    app.say(&typing, NAMES[0]).await;
    let update = NewUpdate {
        campaign: app.campaign(),
        text: "Thank you.".to_owned(),
        author: telegram(1000),
        created_at: test_start(),
    };
    app.storage
        .create_update(&update, &audit(&app, "update"))
        .await
        .unwrap();
    let campaign = app.campaign();
    let day = NaiveDate::from_ymd_opt(2026, 11, 3).unwrap();
    let before = app.storage.stats(&campaign, day, day).await.unwrap();
    assert_eq!(app.storage.signatures_to_anonymise(&campaign).await.unwrap(), 3);

    assert_eq!(app.storage.anonymise(&campaign, test_start()).await.unwrap(), 3);
    let after = app.storage.stats(&campaign, day, day).await.unwrap();
    assert_eq!(after.total, before.total);
    assert_eq!(after.by_platform, before.by_platform);
    assert_eq!(after.by_day, before.by_day);
    assert_eq!(after.by_district, before.by_district);
    assert_eq!(after.by_country, before.by_country);
    assert_eq!(app.storage.total(&campaign).await.unwrap(), 3);
    assert!(
        app.storage
            .signature_of(&campaign, &telegram(1))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(rows_naming_anyone(&app).await, 0);
    let sent = app.storage.recent_updates(&campaign, 1).await.unwrap();
    assert_eq!(sent[0].counts.total(), 0, "deliveries still waiting are dropped");
    assert_eq!(
        app.storage.lifecycles().await.unwrap()[0].anonymised_at,
        Some(test_start())
    );
    assert_eq!(app.storage.anonymise(&campaign, test_start()).await.unwrap(), 0, "once");
    assert_eq!(app.storage.signatures_to_anonymise(&campaign).await.unwrap(), 0);
    if app.backend == Backend::Sqlite {
        let path = app.database.url.trim_start_matches("sqlite://").to_owned();
        app.storage.close().await;
        let found = found_on_disk(Path::new(&path).parent().unwrap());
        assert!(found.is_empty(), "{found:?}");
    }
}

#[on_both_databases]
async fn a_campaign_whose_signers_were_forgotten_cannot_be_reopened(app: TestApp) {
    three_signers(&app).await;
    let campaign = app.campaign();
    let settings_campaign = app.settings.campaigns.default_campaign().clone();
    let organiser = telegram(1000);
    app.say(&organiser, "close").await;
    let closed = text_of(&app.say(&organiser, "yes").await);
    assert!(closed.contains("closed"), "{closed}");
    assert_eq!(app.storage.anonymise(&campaign, test_start()).await.unwrap(), 3);
    let refused = text_of(&app.say(&organiser, "reopen").await);
    assert!(
        refused.contains("cannot be reopened: its signers have been forgotten"),
        "{refused}"
    );
    assert_eq!(
        app.storage.reopen_campaign(&audit(&app, "reopen")).await.unwrap(),
        Reopening::AlreadyAnonymised
    );
    let from_the_command_line = app
        .engine
        .reopen_campaign(&settings_campaign, &Identity::new(Platform::Console, "command-line"))
        .await
        .unwrap();
    assert!(
        from_the_command_line.contains("cannot be reopened"),
        "{from_the_command_line}"
    );
    // A forgotten signer cannot sign a second time.
    let again = text_of(
        &app.sign(&telegram(1), "Quentin Blake", "quentin@example.org", "SE1 7PB")
            .await,
    );
    assert!(!again.contains("Thank you"), "{again}");
    assert_eq!(app.total().await, 3);
}
