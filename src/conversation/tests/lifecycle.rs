//! Opening and closing: not signed before it opens or after it closes,
//! closed early by an organiser and reopened, closed at its time with one
//! announcement, and its signers forgotten when due.

use chrono::Duration;

use super::{TestApp, organiser, start_of_test, telegram, text};
use crate::conversation::Standing;

#[tokio::test]
async fn before_it_opens_signing_is_refused_saying_when_it_opens() {
    let opens = start_of_test() + Duration::days(2);
    let fixture = TestApp::sqlite_with_campaign(|campaign| campaign.opens_at = Some(opens)).await;
    let refused = text(&fixture.say(&telegram(1), "sign").await);
    assert!(
        refused.contains("opens for signatures on 5 November 2026 at 14:00 UTC"),
        "{refused}"
    );
    assert!(!fixture.has_signed(&telegram(1)).await);
    fixture.clock.advance(Duration::days(2));
    let thanks = fixture
        .sign(&telegram(1), "Ann Lee", "ann@example.org", "SE1 7PB")
        .await;
    assert!(text(&thanks).starts_with("Thank you"), "{}", text(&thanks));
}

#[tokio::test]
async fn after_its_closing_time_signing_is_refused_with_the_final_total_and_the_rest_still_works() {
    let closes = start_of_test() + Duration::hours(1);
    let fixture = TestApp::sqlite_with_campaign(|campaign| campaign.closes_at = Some(closes)).await;
    fixture
        .sign(&telegram(1), "Ann Lee", "ann@example.org", "SE1 7PB")
        .await;
    fixture
        .fill_in(&telegram(2), "Bea Roe", "bea@example.org", "M1 1AE")
        .await;
    fixture.clock.advance(Duration::hours(1));
    let refused = text(&fixture.say(&telegram(2), "confirm").await);
    assert!(
        refused.contains("closed on 3 November 2026 with 1 signature"),
        "{refused}"
    );
    assert!(
        refused.contains("delivered to the Commissioner of the Metropolitan Police"),
        "{refused}"
    );
    assert!(!fixture.has_signed(&telegram(2)).await);
    assert!(text(&fixture.say(&telegram(3), "sign").await).contains("can no longer be signed"));
    assert!(text(&fixture.say(&telegram(1), "status").await).contains("You signed"));
    assert!(text(&fixture.say(&telegram(1), "mydata").await).contains("Name: Ann Lee"));
    fixture.say(&telegram(1), "withdraw").await;
    fixture.say(&telegram(1), "yes").await;
    assert!(!fixture.has_signed(&telegram(1)).await, "withdrawing still works");
}

#[tokio::test]
async fn an_organiser_closes_after_a_yes_and_can_reopen() {
    let fixture = TestApp::sqlite().await;
    fixture
        .sign(&telegram(1), "Ann Lee", "ann@example.org", "SE1 7PB")
        .await;
    let refused = text(&fixture.say(&telegram(1), "close").await);
    assert!(refused.contains("organisers"), "{refused}");
    let asked = text(&fixture.say(&organiser(), "close").await);
    assert!(
        asked.starts_with("Close \"Keep the human trafficking unit open\" now, with 1 signature?"),
        "{asked}"
    );
    assert_eq!(
        fixture.engine.standing(fixture.default_campaign()),
        Standing::Open,
        "nothing before the yes"
    );
    let closed = text(&fixture.say(&organiser(), "yes").await);
    assert!(closed.contains("is closed, with 1 signature"), "{closed}");
    assert_eq!(
        fixture.engine.standing(fixture.default_campaign()),
        Standing::Closed(start_of_test())
    );
    assert!(text(&fixture.say(&telegram(2), "sign").await).contains("can no longer be signed"));
    assert!(text(&fixture.say(&organiser(), "close").await).contains("already closed"));
    let audit = fixture
        .storage
        .audit_log(&fixture.default_campaign().slug)
        .await
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|entry| entry.action == "close" && entry.actor == organiser())
    );
    let reopened = text(&fixture.say(&organiser(), "reopen").await);
    assert!(reopened.contains("open for signatures again"), "{reopened}");
    let thanks = fixture.sign(&telegram(2), "Bea Roe", "bea@example.org", "M1 1AE").await;
    assert!(text(&thanks).starts_with("Thank you"), "{}", text(&thanks));
}

#[tokio::test]
async fn a_delivered_petition_cannot_be_reopened() {
    let fixture = TestApp::sqlite().await;
    fixture.say(&organiser(), "close").await;
    fixture.say(&organiser(), "yes").await;
    fixture
        .storage
        .mark_delivered(&fixture.default_campaign().slug, start_of_test())
        .await
        .unwrap();
    let refused = text(&fixture.say(&organiser(), "reopen").await);
    assert!(
        refused.contains("has been delivered, so it cannot be reopened"),
        "{refused}"
    );
}

#[tokio::test]
async fn closing_at_its_time_is_announced_once_to_signers_who_asked_for_updates() {
    let closes = start_of_test() + Duration::hours(1);
    let fixture = TestApp::sqlite_with_campaign(|campaign| campaign.closes_at = Some(closes)).await;
    for answer in ["sign", "Ann Lee", "ann@example.org", "SE1 7PB", "yes", "yes", "confirm"] {
        fixture.say(&telegram(1), answer).await;
    }
    fixture.engine.look_after_lifecycles().await.unwrap();
    assert!(
        fixture
            .storage
            .recent_updates(&fixture.default_campaign().slug, 10)
            .await
            .unwrap()
            .is_empty()
    );
    fixture.clock.advance(Duration::hours(1));
    fixture.engine.look_after_lifecycles().await.unwrap();
    fixture.engine.look_after_lifecycles().await.unwrap();
    let updates = fixture
        .storage
        .recent_updates(&fixture.default_campaign().slug, 10)
        .await
        .unwrap();
    assert_eq!(updates.len(), 1, "announced once");
    assert!(
        updates[0].text.contains("is now closed, with 1 signature"),
        "{}",
        updates[0].text
    );
    assert_eq!(updates[0].counts.pending, 1);
}

#[tokio::test]
async fn signers_are_forgotten_when_due_and_mydata_says_when() {
    let fixture = TestApp::sqlite_with_campaign(|campaign| campaign.anonymise_after_days = 30).await;
    fixture
        .sign(&telegram(1), "Ann Lee", "ann@example.org", "SE1 7PB")
        .await;
    fixture.say(&organiser(), "close").await;
    fixture.say(&organiser(), "yes").await;
    fixture.clock.advance(Duration::days(29));
    fixture.engine.look_after_lifecycles().await.unwrap();
    assert!(fixture.has_signed(&telegram(1)).await, "not due yet");
    fixture.clock.advance(Duration::days(1));
    fixture.engine.look_after_lifecycles().await.unwrap();
    assert!(
        !fixture.has_signed(&telegram(1)).await,
        "nothing links the signature to the account"
    );
    assert_eq!(fixture.total().await, 1, "the total stays");
    let mydata = text(&fixture.say(&telegram(1), "mydata").await);
    assert!(mydata.contains("were anonymised on 3 December 2026"), "{mydata}");
    assert_eq!(
        fixture
            .storage
            .signatures_to_anonymise(&fixture.default_campaign().slug)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        fixture
            .storage
            .anonymise(&fixture.default_campaign().slug, start_of_test())
            .await
            .unwrap(),
        0,
        "once"
    );
}

#[tokio::test]
async fn a_group_is_told_a_closed_petition_is_closed_without_a_sign_button() {
    let fixture = TestApp::sqlite().await;
    fixture.say(&organiser(), "close").await;
    fixture.say(&organiser(), "yes").await;
    let replies = fixture.say_in_group(&telegram(5), "/petition").await;
    assert!(text(&replies).contains("can no longer be signed"), "{}", text(&replies));
    assert!(replies[0].link.is_none(), "no sign link");
    assert_eq!(replies[0].visibility, crate::conversation::Visibility::Public);
}

#[tokio::test]
async fn a_delivery_pack_made_after_closing_is_the_delivery_and_ends_reopening() {
    let fixture = TestApp::sqlite().await;
    fixture
        .sign(&telegram(1), "Ann Lee", "ann@example.org", "SE1 7PB")
        .await;
    let preview = fixture.say(&organiser(), "deliver").await;
    assert!(preview[0].attachment.is_some(), "a pack while open is a preview");
    fixture.say(&organiser(), "close").await;
    fixture.say(&organiser(), "yes").await;
    let reopened = text(&fixture.say(&organiser(), "reopen").await);
    assert!(reopened.contains("open for signatures again"), "{reopened}");
    fixture.say(&organiser(), "close").await;
    fixture.say(&organiser(), "yes").await;
    let pack = fixture.say(&organiser(), "deliver").await;
    assert!(pack[0].attachment.is_some());
    let refused = text(&fixture.say(&organiser(), "reopen").await);
    assert!(
        refused.contains("has been delivered, so it cannot be reopened"),
        "{refused}"
    );
}
