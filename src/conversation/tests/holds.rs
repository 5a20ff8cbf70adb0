//! Which signatures are held for review rather than counted, the surge and
//! velocity alerts, and the per-person message limit.

use super::*;
use crate::campaign::NewAccountPolicy;
use crate::domain::{HoldReason, SignatureStatus};

async fn status_of(fixture: &TestApp, who: &Identity) -> SignatureStatus {
    fixture
        .storage
        .signature_of(&fixture.default_campaign().slug, who)
        .await
        .unwrap()
        .unwrap()
        .status
}

/// Signs through, every message from a Discord account `days` old.
async fn sign_aged(fixture: &TestApp, who: &Identity, email: &str, days: i64) -> String {
    for answer in ["sign", "Ann Lee", email, "SE1 7PB", "yes", "no"] {
        fixture.say_aged(who, answer, days).await;
    }
    fixture.say_aged(who, "confirm", days).await[0].text.clone()
}

#[tokio::test]
async fn a_young_discord_accounts_signature_is_held_and_thanked_alike() {
    let fixture = TestApp::sqlite().await;
    let young = discord(1);
    let thanks = sign_aged(&fixture, &young, "young@example.org", 2).await;
    assert!(thanks.starts_with("Thank you, Ann Lee!"), "{thanks}");
    assert!(thanks.contains("0 of 10,000"), "held, so not in the total: {thanks}");
    assert_eq!(
        status_of(&fixture, &young).await,
        SignatureStatus::Held(HoldReason::NewAccount)
    );
    sign_aged(&fixture, &discord(2), "old@example.org", 30).await;
    assert_eq!(status_of(&fixture, &discord(2)).await, SignatureStatus::Counted);
}

#[tokio::test]
async fn a_young_discord_account_is_refused_and_told_when_where_the_campaign_says_so() {
    let fixture =
        TestApp::sqlite_with_campaign(|campaign| campaign.limits.new_discord_accounts = NewAccountPolicy::Refuse).await;
    let young = discord(1);
    let refused = sign_aged(&fixture, &young, "young@example.org", 2).await;
    assert_eq!(
        refused,
        "Sorry, Discord accounts must be at least 7 days old to sign this petition, to keep the count honest. You can sign from 8 November 2026."
    );
    assert!(!fixture.has_signed(&young).await);
}

#[tokio::test]
async fn blocked_domains_and_identities_are_held() {
    let fixture = TestApp::sqlite_with_campaign(|campaign| {
        campaign.limits.blocked_email_domains = vec!["*.spam.example".into()];
        campaign.limits.blocked_identities = vec!["telegram:66".into()];
    })
    .await;
    fixture
        .sign(&telegram(1), "Ann Lee", "ann@mail.spam.example", "SE1 7PB")
        .await;
    fixture.sign(&telegram(66), "Bo Lee", "bo@example.org", "SE1 7PB").await;
    assert_eq!(
        status_of(&fixture, &telegram(1)).await,
        SignatureStatus::Held(HoldReason::BlockedDomain)
    );
    assert_eq!(
        status_of(&fixture, &telegram(66)).await,
        SignatureStatus::Held(HoldReason::BlockedIdentity)
    );
    assert_eq!(fixture.total().await, 0);
}

#[tokio::test]
async fn a_velocity_crossing_is_announced_once_and_holds_new_signatures_from_it() {
    let fixture = TestApp::sqlite_with_campaign(|campaign| campaign.limits.email_domain_per_hour = 2).await;
    let mut alerts = fixture.engine.subscribe_alerts();
    for n in 1..=2 {
        fixture
            .sign(&telegram(n), "Ann Lee", &format!("a{n}@burst.example"), "SE1 7PB")
            .await;
    }
    let crossed = fixture.engine.check_velocity().await.unwrap();
    assert_eq!(crossed.len(), 1);
    let alert = alerts.try_recv().unwrap();
    assert_eq!(
        alert.text,
        "Velocity alert on \"Keep the human trafficking unit open\": 2 signatures in the last hour from email domain burst.example (threshold 2), noticed 3 November 2026 at 14:00 UTC. New signatures from it are held for review for an hour; see held."
    );
    assert!(
        fixture.engine.check_velocity().await.unwrap().is_empty(),
        "once an hour"
    );
    fixture.sign(&telegram(3), "Cy Lee", "a3@burst.example", "N1 9GU").await;
    assert_eq!(
        status_of(&fixture, &telegram(3)).await,
        SignatureStatus::Held(HoldReason::EmailDomainVelocity)
    );
}

#[tokio::test]
async fn a_surge_above_the_ceiling_is_held_and_raises_one_alert_a_minute() {
    let fixture = TestApp::sqlite_with_campaign(|campaign| campaign.limits.signatures_per_second = 1).await;
    let mut alerts = fixture.engine.subscribe_alerts();
    for n in 1..=3 {
        fixture
            .sign(&telegram(n), "Ann Lee", &format!("a{n}@example.org"), "SE1 7PB")
            .await;
    }
    assert_eq!(status_of(&fixture, &telegram(1)).await, SignatureStatus::Counted);
    assert_eq!(
        status_of(&fixture, &telegram(3)).await,
        SignatureStatus::Held(HoldReason::Surge)
    );
    assert_eq!(
        alerts.try_recv().unwrap().text,
        "Surge on \"Keep the human trafficking unit open\": more than 1 signatures a second. New signatures are being held for review until it passes; see held."
    );
    assert!(alerts.try_recv().is_err(), "one alert, however many are held");
}

#[tokio::test]
async fn a_flood_of_messages_is_told_to_slow_down_once_then_ignored() {
    let fixture = TestApp::sqlite_with_campaign(|campaign| {
        campaign.limits.message_burst = 2;
        campaign.limits.messages_per_minute = 2;
    })
    .await;
    let flooder = telegram(1);
    for _ in 0..2 {
        assert!(!fixture.say(&flooder, "total").await.is_empty());
    }
    let told = fixture.say(&flooder, "total").await;
    assert_eq!(
        told[0].text,
        "You're sending messages faster than I can answer them. Please wait 30 seconds and try again; until then I won't reply."
    );
    assert!(fixture.say(&flooder, "total").await.is_empty(), "then silence");
    assert!(
        !fixture.say(&telegram(2), "total").await.is_empty(),
        "others are served"
    );
}
