//! Abuse defences through the engine, on SQLite and PostgreSQL: rate limits,
//! held signatures, velocity anomalies, organiser review with its audit log,
//! and counters that a recount always finds right.

use crate::support;

use crate::support::on_both_databases;
use crate::support::{TestApp, discord, telegram, text_of};
use chrono::Duration;
use petition::campaign::NewAccountPolicy;
use petition::conversation::{Incoming, Input, Reply};
use petition::domain::HoldReason;
use petition::domain::Identity;
use petition::storage::SignatureStatus;

const ORGANISER: u64 = 1000;

/// Sends text as someone whose account was created `age` ago.
async fn say_aged(app: &TestApp, who: &Identity, text: &str, age: Duration) -> Vec<Reply> {
    app.engine
        .handle(Incoming {
            account_created: Some(app.clock_now() - age),
            ..Incoming::private(who.clone(), Input::Text(text.to_owned()))
        })
        .await
}

/// Signs all the way through as a Discord account of the given age.
async fn sign_aged(app: &TestApp, who: &Identity, email: &str, age: Duration) -> String {
    for answer in ["sign", "Ada Lovelace", email, "SW1A 1AA", "yes", "no"] {
        say_aged(app, who, answer, age).await;
    }
    text_of(&say_aged(app, who, "confirm", age).await)
}

async fn status_of(app: &TestApp, who: &Identity) -> SignatureStatus {
    app.storage
        .signature_of(&app.campaign(), who)
        .await
        .unwrap()
        .expect("signed")
        .status
}

async fn held(app: &TestApp) -> u64 {
    app.storage.held_summary(&app.campaign()).await.unwrap().held
}

async fn assert_no_drift(app: &TestApp) {
    for recount in app.storage.recount().await.unwrap() {
        assert!(!recount.drifted(), "{recount:?}");
    }
}

#[on_both_databases]
async fn a_flooding_person_is_told_once_then_ignored_while_others_are_served(app: TestApp) {
    let app = app
        .restart_with(|settings| {
            let mut campaign = settings.campaigns.default_campaign().as_ref().clone();
            campaign.limits.message_burst = 5;
            campaign.limits.messages_per_minute = 60;
            settings.campaigns.upsert(campaign);
        })
        .await;
    let flooder = telegram(1);
    let bystander = telegram(2);
    for _ in 0..5 {
        assert!(!app.say(&flooder, "total").await.is_empty());
    }
    let told = text_of(&app.say(&flooder, "total").await);
    assert!(told.contains("faster than I can answer"), "{told}");
    for _ in 0..50 {
        assert!(app.say(&flooder, "total").await.is_empty(), "a flood gets no replies");
        assert!(app.press(&flooder, "welcome.sign").await.is_empty());
    }
    assert!(
        text_of(&app.say(&bystander, "total").await).contains("of 10,000"),
        "others are served"
    );
    app.clock.advance(Duration::seconds(3));
    assert!(
        text_of(&app.say(&flooder, "total").await).contains("of 10,000"),
        "served again once the limit resets"
    );
}

#[on_both_databases]
async fn signing_attempts_are_limited_per_day(app: TestApp) {
    let app = app
        .restart_with(|settings| {
            let mut campaign = settings.campaigns.default_campaign().as_ref().clone();
            campaign.limits.signing_attempts_per_day = 2;
            settings.campaigns.upsert(campaign);
        })
        .await;
    app.sign(&telegram(1), "Ada Lovelace", "ada@example.org", "SW1A 1AA")
        .await;
    // Someone probing which emails have signed: each confirm is an attempt.
    let prober = discord(9);
    for n in 0..2 {
        let reply = text_of(&app.sign(&prober, "Pro Ber", "ada@example.org", "SW1A 1AA").await);
        assert!(reply.contains("already been used"), "attempt {n}: {reply}");
    }
    let refused = text_of(&app.sign(&prober, "Pro Ber", "someone@example.org", "SW1A 1AA").await);
    assert!(refused.contains("tried to sign several times today"), "{refused}");
    assert!(
        app.storage
            .signature_of(&app.campaign(), &prober)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(app.total().await, 1);
    app.clock.advance(Duration::days(1));
    let thanks = text_of(&app.say(&prober, "confirm").await);
    assert!(thanks.contains("Thank you"), "a day later it works: {thanks}");
    assert_eq!(app.total().await, 2);
}

/// Two attempts allowed a day, so the third is refused.
async fn with_two_attempts_a_day(app: TestApp) -> TestApp {
    app.restart_with(|settings| {
        let mut campaign = settings.campaigns.default_campaign().as_ref().clone();
        campaign.limits.signing_attempts_per_day = 2;
        settings.campaigns.upsert(campaign);
    })
    .await
}

#[on_both_databases]
async fn the_signing_attempt_limit_holds_across_a_restart(app: TestApp) {
    let app = with_two_attempts_a_day(app).await;
    app.sign(&telegram(1), "Ada Lovelace", "ada@example.org", "SW1A 1AA")
        .await;
    let prober = discord(9);
    for n in 0..2 {
        let reply = text_of(&app.sign(&prober, "Pro Ber", "ada@example.org", "SW1A 1AA").await);
        assert!(reply.contains("already been used"), "attempt {n}: {reply}");
    }
    // A fresh process is no fresh allowance.
    let app = app.restart().await;
    let refused = text_of(&app.sign(&prober, "Pro Ber", "someone@example.org", "SW1A 1AA").await);
    assert!(refused.contains("tried to sign several times today"), "{refused}");
    assert_eq!(app.total().await, 1);
}

#[on_both_databases]
async fn the_signing_attempt_limit_holds_across_processes_sharing_the_database(app: TestApp) {
    let app = with_two_attempts_a_day(app).await;
    app.sign(&telegram(1), "Ada Lovelace", "ada@example.org", "SW1A 1AA")
        .await;
    // A second process on the same database, running at the same time.
    let other = petition::startup::App::build_with_clock(app.settings.clone(), app.clock.clone())
        .await
        .expect("a second process starts on the same database");
    let prober = discord(9);
    let reply = text_of(&app.sign(&prober, "Pro Ber", "ada@example.org", "SW1A 1AA").await);
    assert!(reply.contains("already been used"), "{reply}");
    let probe = |text: &str| Incoming::private(prober.clone(), Input::Text(text.to_owned()));
    for answer in ["start", "sign", "Pro Ber", "bob@example.org", "SW1A 1AA", "yes", "no"] {
        other.engine.handle(probe(answer)).await;
    }
    let second = text_of(&other.engine.handle(probe("confirm")).await);
    assert!(second.contains("Thank you"), "the second attempt is allowed: {second}");
    other.engine.handle(probe("withdraw")).await;
    other.engine.handle(probe("yes")).await;
    // The withdrawal erased the attempts along with the signature; two more
    // on one process and a third on the other.
    for n in 0..2 {
        let reply = text_of(&app.sign(&prober, "Pro Ber", "ada@example.org", "SW1A 1AA").await);
        assert!(reply.contains("already been used"), "attempt {n}: {reply}");
    }
    for answer in ["start", "sign", "Pro Ber", "carol@example.org", "SW1A 1AA", "yes", "no"] {
        other.engine.handle(probe(answer)).await;
    }
    let refused = text_of(&other.engine.handle(probe("confirm")).await);
    assert!(refused.contains("tried to sign several times today"), "{refused}");
    other.engine.storage().close().await;
}

#[on_both_databases]
async fn signing_attempts_are_shown_in_mydata_and_forgotten_with_a_withdrawal_or_after_a_day(app: TestApp) {
    let ada = telegram(1);
    app.sign(&ada, "Ada Lovelace", "ada@example.org", "SW1A 1AA").await;
    let mydata = text_of(&app.say(&ada, "mydata").await);
    assert!(
        mydata.contains("When you confirmed a signature in the last day: 3 November 2026 at 14:00 UTC"),
        "{mydata}"
    );
    let since = app.clock_now() - Duration::days(1);
    let attempts = |who: Identity| {
        let app = &app;
        async move {
            app.storage
                .signing_attempts_since(&app.campaign(), &who, since)
                .await
                .unwrap()
                .len()
        }
    };
    assert_eq!(attempts(ada.clone()).await, 1);
    app.say(&ada, "withdraw").await;
    app.say(&ada, "yes").await;
    assert_eq!(attempts(ada.clone()).await, 0, "a withdrawal deletes them");

    let bob = telegram(2);
    app.sign(&bob, "Bob Smith", "ada@example.org", "SW1A 1AA").await;
    assert_eq!(attempts(bob.clone()).await, 1);
    assert_eq!(app.engine.forget_old_signing_attempts().await.unwrap(), 0);
    app.clock.advance(Duration::days(1));
    assert_eq!(app.engine.forget_old_signing_attempts().await.unwrap(), 1);
    assert_eq!(attempts(bob).await, 0, "forgotten after a day");
}

#[on_both_databases]
async fn withdraw_and_sign_again_cycles_are_limited(app: TestApp) {
    let app = app
        .restart_with(|settings| {
            let mut campaign = settings.campaigns.default_campaign().as_ref().clone();
            campaign.limits.resignings_per_day = 2;
            settings.campaigns.upsert(campaign);
        })
        .await;
    let who = telegram(3);
    for cycle in 0..2 {
        let thanks = text_of(&app.sign(&who, "Ada Lovelace", "ada@example.org", "SW1A 1AA").await);
        assert!(thanks.contains("Thank you"), "cycle {cycle}: {thanks}");
        app.say(&who, "withdraw").await;
        assert!(text_of(&app.say(&who, "yes").await).contains("deleted"));
    }
    let refused = text_of(&app.sign(&who, "Ada Lovelace", "ada@example.org", "SW1A 1AA").await);
    assert!(refused.contains("tried to sign several times today"), "{refused}");
    assert_eq!(app.total().await, 0);
    // Withdrawing is never limited: erasure is a right.
    app.clock.advance(Duration::days(1) + Duration::minutes(1));
    assert!(text_of(&app.say(&who, "confirm").await).contains("Thank you"));
    assert_eq!(app.total().await, 1);
    assert_no_drift(&app).await;
}

#[on_both_databases]
async fn a_young_discord_accounts_signature_is_held_then_released_and_counted(app: TestApp) {
    let young = discord(77);
    let thanks = sign_aged(&app, &young, "young@example.org", Duration::days(2)).await;
    assert!(
        thanks.contains("Thank you, Ada Lovelace!"),
        "the signer sees the normal thanks: {thanks}"
    );
    assert!(thanks.contains("0 of 10,000"), "{thanks}");
    assert_eq!(app.total().await, 0, "held signatures are not in the public total");
    assert_eq!(
        status_of(&app, &young).await,
        SignatureStatus::Held(HoldReason::NewAccount)
    );
    let old = discord(78);
    sign_aged(&app, &old, "old@example.org", Duration::days(400)).await;
    assert_eq!(app.total().await, 1, "an older account counts at once");

    let organiser = telegram(ORGANISER);
    let summary = text_of(&app.say(&organiser, "held").await);
    assert!(
        summary.contains("Held for review") && summary.contains("new_account: 1"),
        "{summary}"
    );
    assert!(!summary.contains("young@example.org"), "{summary}");
    let preview = app.say(&organiser, "release reason=new_account").await;
    assert!(
        text_of(&preview).contains("1 held signature match"),
        "{}",
        text_of(&preview)
    );
    assert_eq!(app.total().await, 1, "a dry run changes nothing");
    let done = text_of(&app.say(&organiser, "yes").await);
    assert!(done.contains("Released 1 signature"), "{done}");
    assert!(done.contains("2 of 10,000"), "{done}");
    assert_eq!(app.total().await, 2);
    assert_eq!(status_of(&app, &young).await, SignatureStatus::Counted);
    let audit = app.storage.audit_log(&app.campaign()).await.unwrap();
    let release = audit
        .iter()
        .find(|e| e.action == "release")
        .expect("the release is audited");
    assert_eq!(release.actor, organiser);
    assert_eq!(release.affected, 1);
    assert_eq!(release.detail, "reason new_account");
    assert_eq!(release.at, app.clock_now());
    assert_no_drift(&app).await;
}

#[on_both_databases]
async fn young_discord_accounts_can_be_refused_instead(app: TestApp) {
    let app = app
        .restart_with(|settings| {
            let mut campaign = settings.campaigns.default_campaign().as_ref().clone();
            campaign.limits.new_discord_accounts = NewAccountPolicy::Refuse;
            settings.campaigns.upsert(campaign);
        })
        .await;
    let young = discord(79);
    let refused = sign_aged(&app, &young, "young@example.org", Duration::days(1)).await;
    assert!(refused.contains("at least 7 days old"), "{refused}");
    assert!(refused.contains("9 November 2026"), "tells when: {refused}");
    assert!(
        app.storage
            .signature_of(&app.campaign(), &young)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(held(&app).await, 0);
}

#[on_both_databases]
async fn a_burst_from_one_email_domain_raises_an_anomaly_organisers_can_invalidate(app: TestApp) {
    let app = app
        .restart_with(|settings| {
            let mut campaign = settings.campaigns.default_campaign().as_ref().clone();
            campaign.limits.email_domain_per_hour = 5;
            settings.campaigns.upsert(campaign);
        })
        .await;
    let mut alerts = app.engine.subscribe_alerts();
    for n in 0..6 {
        app.sign(
            &telegram(100 + n),
            "Bot Signer",
            &format!("bot{n}@spam.example"),
            "E1 6AN",
        )
        .await;
    }
    for n in 0..2 {
        app.sign(
            &telegram(200 + n),
            "Real Person",
            &format!("person{n}@example.org"),
            "N1 9GU",
        )
        .await;
    }
    assert_eq!(app.total().await, 8);
    let anomalies = app.engine.check_velocity().await.unwrap();
    assert_eq!(anomalies.len(), 1);
    assert_eq!(anomalies[0].value, "spam.example");
    assert_eq!(anomalies[0].count, 6);
    let alert = alerts.try_recv().expect("organisers are alerted");
    assert!(
        alert.text.contains("email domain spam.example") && alert.text.contains("threshold 5"),
        "{}",
        alert.text
    );
    assert!(!alert.text.contains("bot0"), "alerts carry no personal data");
    assert!(
        app.engine.check_velocity().await.unwrap().is_empty(),
        "one alert per hour, not per check"
    );

    // While the alert is in force, new signatures from the domain are held.
    let late = telegram(106);
    app.sign(&late, "Bot Signer", "bot6@spam.example", "E1 6AN").await;
    assert_eq!(
        status_of(&app, &late).await,
        SignatureStatus::Held(HoldReason::EmailDomainVelocity)
    );
    let other = telegram(202);
    app.sign(&other, "Real Person", "person2@example.org", "N1 9GU").await;
    assert_eq!(
        status_of(&app, &other).await,
        SignatureStatus::Counted,
        "other domains are not held"
    );

    let organiser = telegram(ORGANISER);
    let listed = text_of(&app.say(&organiser, "anomalies").await);
    assert!(
        listed.contains("6 from email domain spam.example (threshold 5)"),
        "{listed}"
    );
    let preview = text_of(&app.say(&organiser, "invalidate domain=spam.example").await);
    assert!(
        preview.contains("7 signatures match (email domain spam.example): 1 held and 6 counted"),
        "{preview}"
    );
    assert_eq!(app.total().await, 9, "a dry run changes nothing");
    let done = text_of(&app.say(&organiser, "yes").await);
    assert!(done.contains("Invalidated 7 signatures"), "{done}");
    assert_eq!(app.total().await, 3);
    assert_eq!(held(&app).await, 0);
    assert_eq!(status_of(&app, &late).await, SignatureStatus::Invalidated);
    let rows = app.storage.export(&app.campaign()).await.unwrap();
    assert_eq!(rows.len(), 3, "invalidated signatures are not delivered");
    // An invalidated signer cannot simply sign again.
    let again = text_of(&app.say(&telegram(100), "sign").await);
    assert!(again.contains("already signed"), "{again}");
    let audit = app.storage.audit_log(&app.campaign()).await.unwrap();
    let invalidation = audit.iter().find(|e| e.action == "invalidate").expect("audited");
    assert_eq!(
        (invalidation.affected, invalidation.detail.as_str()),
        (7, "email domain spam.example")
    );
    assert_eq!(invalidation.actor, organiser);
    assert_no_drift(&app).await;
}

#[on_both_databases]
async fn blocked_domains_and_identities_are_held(app: TestApp) {
    let app = app
        .restart_with(|settings| {
            let mut campaign = settings.campaigns.default_campaign().as_ref().clone();
            campaign.limits.blocked_email_domains = vec!["*.throwaway.example".into()];
            campaign.limits.blocked_identities = vec!["telegram:666".into()];
            settings.campaigns.upsert(campaign);
        })
        .await;
    let by_domain = telegram(5);
    app.sign(&by_domain, "Ada Lovelace", "ada@mx.throwaway.example", "SW1A 1AA")
        .await;
    let by_identity = telegram(666);
    app.sign(&by_identity, "Bo Diddley", "bo@example.org", "SW1A 1AA").await;
    assert_eq!(
        status_of(&app, &by_domain).await,
        SignatureStatus::Held(HoldReason::BlockedDomain)
    );
    assert_eq!(
        status_of(&app, &by_identity).await,
        SignatureStatus::Held(HoldReason::BlockedIdentity)
    );
    assert_eq!((app.total().await, held(&app).await), (0, 2));
    let data = text_of(&app.say(&by_domain, "mydata").await);
    assert!(
        data.contains("held for review"),
        "mydata shows exactly what is stored: {data}"
    );
}

#[on_both_databases]
async fn a_surge_above_the_ceiling_is_held_and_raises_one_alert(app: TestApp) {
    let app = app
        .restart_with(|settings| {
            let mut campaign = settings.campaigns.default_campaign().as_ref().clone();
            campaign.limits.signatures_per_second = 2;
            settings.campaigns.upsert(campaign);
        })
        .await;
    let mut alerts = app.engine.subscribe_alerts();
    for n in 0..5 {
        app.sign(&telegram(300 + n), "Sur Ger", &format!("s{n}@example.org"), "SW1A 1AA")
            .await;
    }
    assert_eq!(
        (app.total().await, held(&app).await),
        (2, 3),
        "above 2 a second, signatures are held"
    );
    let alert = alerts.try_recv().expect("a surge alert");
    assert!(alert.text.contains("Surge"), "{}", alert.text);
    assert!(alerts.try_recv().is_err(), "one alert, not one per signature");
    app.clock.advance(Duration::seconds(5));
    app.sign(&telegram(310), "Calm Person", "calm@example.org", "SW1A 1AA")
        .await;
    assert_eq!(app.total().await, 3, "after the surge signatures count again");
    let summary = app.storage.held_summary(&app.campaign()).await.unwrap();
    assert_eq!(summary.by_reason, [petition::storage::Tally::new("surge", 3)]);
}

#[on_both_databases]
async fn review_commands_are_refused_to_non_organisers_and_explain_their_filters(app: TestApp) {
    let stranger = telegram(4);
    for command in ["held", "anomalies", "release all", "invalidate domain=example.org"] {
        let reply = text_of(&app.say(&stranger, command).await);
        assert!(reply.contains("only the campaign's organisers"), "{command}: {reply}");
    }
    let organiser = telegram(ORGANISER);
    let explained = text_of(&app.say(&organiser, "release").await);
    assert!(
        explained.contains("Please say which signatures") && explained.contains("reason=new_account"),
        "{explained}"
    );
    let wrong = text_of(&app.say(&organiser, "invalidate colour=blue").await);
    assert!(wrong.contains("I don't know the filter \"colour\""), "{wrong}");
    let nothing = text_of(&app.say(&organiser, "release all").await);
    assert!(nothing.contains("No held signatures match (all)"), "{nothing}");
    let declined = {
        app.sign(&telegram(8), "Ada Lovelace", "ada@example.org", "SW1A 1AA")
            .await;
        app.say(&organiser, "invalidate platform=telegram").await;
        text_of(&app.say(&organiser, "no").await)
    };
    assert!(declined.contains("Nothing was changed"), "{declined}");
    assert_eq!(app.total().await, 1);
}

#[on_both_databases]
async fn totals_are_right_after_every_operation_and_a_recount_mends_drift(app: TestApp) {
    let young = Duration::days(1);
    sign_aged(&app, &discord(1), "a@example.org", young).await;
    app.sign(&telegram(2), "Bo Diddley", "b@example.org", "N1 9GU").await;
    app.sign(&telegram(3), "Cy Young", "c@example.org", "N1 9GU").await;
    assert_eq!((app.total().await, held(&app).await), (2, 1));
    assert_no_drift(&app).await;
    // Withdrawing a held signature lowers the held count, not the total.
    say_aged(&app, &discord(1), "withdraw", young).await;
    say_aged(&app, &discord(1), "yes", young).await;
    assert_eq!((app.total().await, held(&app).await), (2, 0));
    assert_no_drift(&app).await;

    // Break the counter behind the program's back; a recount finds and mends it.
    let corrupt = "UPDATE campaign_totals SET total = 999, held = 7 WHERE campaign = 'keep-the-unit-open'";
    match app.backend {
        support::Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&app.database.url).await.unwrap();
            sqlx::query(corrupt).execute(&pool).await.unwrap();
        }
        support::Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&app.database.url).await.unwrap();
            sqlx::query(corrupt).execute(&pool).await.unwrap();
        }
    }
    let recount = app.storage.recount().await.unwrap();
    let ours = recount.iter().find(|r| r.campaign == "keep-the-unit-open").unwrap();
    assert!(ours.drifted());
    assert_eq!(
        (
            ours.stored_total,
            ours.counted_total,
            ours.stored_held,
            ours.counted_held
        ),
        (999, 2, 7, 0)
    );
    assert_eq!(app.total().await, 2);
    assert_no_drift(&app).await;
}
