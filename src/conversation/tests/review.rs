//! Organiser commands, who may use them, and the review of held signatures:
//! a dry run, then a yes.

use super::*;
use crate::conversation::{Confirmation, Step};
use crate::domain::{HoldReason, SignatureStatus};

const TITLE: &str = "Keep the human trafficking unit open";

/// A campaign with two counted signatures and one held (a young Discord account).
async fn with_one_held() -> TestApp {
    let fixture = TestApp::sqlite().await;
    fixture
        .sign(&telegram(1), "Ann Lee", "ann@example.org", "SE1 7PB")
        .await;
    fixture.sign(&telegram(2), "Bo Lee", "bo@example.org", "N1 9GU").await;
    let young = discord(3);
    for answer in ["sign", "Cy Lee", "cy@example.org", "SE1 7PB", "yes", "no", "confirm"] {
        fixture.say_aged(&young, answer, 1).await;
    }
    fixture
}

#[tokio::test]
async fn organiser_commands_are_refused_to_anyone_else() {
    let fixture = with_one_held().await;
    for command in ["stats", "export", "held", "anomalies"] {
        let replies = fixture.say(&telegram(1), command).await;
        assert_eq!(
            replies[0].text,
            format!("Sorry, only the campaign's organisers can use {command}. Anyone can ask for the total.")
        );
        assert!(replies[0].attachment.is_none());
    }
    assert!(
        fixture
            .storage
            .audit_log(&fixture.default_campaign().slug)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn stats_for_an_organiser_break_the_count_down_and_are_audited() {
    let fixture = with_one_held().await;
    let stats = fixture.say(&organiser(), "stats").await;
    let text = &stats[0].text;
    assert!(text.starts_with(&format!(
        "Stats for \"{TITLE}\"\n\nTotal: 2 of 10,000 signatures (0% of the goal)\nHeld for review (not counted): 1\n\nBy platform:\n  Telegram: 2\n\nLast 14 days (UTC):\n  2026-10-21: 0\n"
    )), "{text}");
    assert!(text.contains("  2026-11-03: 2\n\nBy UK postcode district:\n  N1: 1\n  SE1: 1\n\nOutside the UK, by country: none yet\n\nTop share codes: none yet"), "{text}");
    let audit = fixture
        .storage
        .audit_log(&fixture.default_campaign().slug)
        .await
        .unwrap();
    assert_eq!(
        (audit[0].action.as_str(), audit[0].affected, &audit[0].actor),
        ("stats", 2, &organiser())
    );
}

#[tokio::test]
async fn export_for_an_organiser_is_a_csv_of_the_counted_signatures_and_is_audited() {
    let fixture = with_one_held().await;
    let export = fixture.say(&organiser(), "export").await;
    assert_eq!(
        export[0].text,
        format!(
            "Export of 2 signatures for \"{TITLE}\". It contains names and areas: keep it safe and delete it once delivered."
        )
    );
    let file = export[0].attachment.as_ref().unwrap();
    assert_eq!(file.file_name, "keep-the-unit-open-signatures-2026-11-03.csv");
    assert_eq!(
        String::from_utf8(file.bytes.clone()).unwrap(),
        "name,postcode_district,country,platform,signed_at\n\
         Ann Lee,SE1,,telegram,2026-11-03T14:00:00Z\n\
         Bo Lee,N1,,telegram,2026-11-03T14:00:00Z\n"
    );
    let audit = fixture
        .storage
        .audit_log(&fixture.default_campaign().slug)
        .await
        .unwrap();
    assert_eq!((audit[0].action.as_str(), audit[0].affected), ("export", 2));
}

#[tokio::test]
async fn held_lists_the_held_signatures_by_reason_with_how_to_act_on_them() {
    let fixture = with_one_held().await;
    let held = &fixture.say(&organiser(), "held").await[0].text;
    assert!(held.starts_with(&format!(
        "Held for review on \"{TITLE}\": 1 (not in the total)\n\nBy reason:\n  new_account: 1\n\nBy platform:\n  discord: 1\n\nBy email domain (top 10):\n  example.org: 1\n\nBy postcode district (top 10):\n  SE1: 1\n\nTo act on held signatures, send release or invalidate"
    )), "{held}");
    let none = TestApp::sqlite().await;
    assert_eq!(
        none.say(&organiser(), "held").await[0].text,
        format!("No signatures of \"{TITLE}\" are held for review.")
    );
}

#[tokio::test]
async fn anomalies_lists_the_weeks_velocity_alerts() {
    let fixture = TestApp::sqlite_with_campaign(|campaign| campaign.limits.postcode_district_per_hour = 2).await;
    assert_eq!(
        fixture.say(&organiser(), "anomalies").await[0].text,
        format!("No velocity alerts on \"{TITLE}\" in the last 7 days.")
    );
    fixture
        .sign(&telegram(1), "Ann Lee", "ann@example.org", "SE1 7PB")
        .await;
    fixture.sign(&telegram(2), "Bo Lee", "bo@example.org", "SE1 2AA").await;
    fixture.engine.check_velocity().await.unwrap();
    assert_eq!(
        fixture.say(&organiser(), "anomalies").await[0].text,
        format!(
            "Velocity alerts on \"{TITLE}\" in the last 7 days:\n2026-11-03 14:00 UTC: 2 from postcode district SE1 (threshold 2)"
        )
    );
}

#[tokio::test]
async fn a_release_is_a_dry_run_that_changes_nothing_until_confirmed() {
    let fixture = with_one_held().await;
    let asked = fixture.say(&organiser(), "release reason=new_account").await;
    assert_eq!(
        asked[0].text,
        "1 held signature match (reason new_account). Release it into the count? (yes or no)"
    );
    assert_eq!(labels(&asked), ["Yes, release 1", "No"]);
    assert_eq!(buttons(&asked), ["review-action.yes", "review-action.no"]);
    assert_eq!(
        fixture.conversation(&organiser()).await.unwrap().step,
        Step::Confirming(Confirmation::Review)
    );
    assert_eq!(fixture.total().await, 2, "a dry run");
}

#[tokio::test]
async fn confirming_a_release_counts_the_held_signatures_and_audits_it() {
    let fixture = with_one_held().await;
    fixture.say(&organiser(), "release all").await;
    let done = fixture.press(&organiser(), "review-action.yes").await;
    assert_eq!(
        done[0].text,
        "Released 1 signature. The petition now has 3 of 10,000 signatures (0% of the goal), with 0 held for review."
    );
    let young = fixture
        .storage
        .signature_of(&fixture.default_campaign().slug, &discord(3))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(young.status, SignatureStatus::Counted);
    let audit = fixture
        .storage
        .audit_log(&fixture.default_campaign().slug)
        .await
        .unwrap();
    assert_eq!(
        (audit[0].action.as_str(), audit[0].detail.as_str(), audit[0].affected),
        ("release", "all", 1)
    );
    assert!(
        fixture
            .conversation(&organiser())
            .await
            .unwrap()
            .pending_review
            .is_none()
    );
}

#[tokio::test]
async fn an_invalidation_stops_held_and_counted_signatures_counting_for_good() {
    let fixture = with_one_held().await;
    let asked = fixture.say(&organiser(), "invalidate district=SE1").await;
    assert_eq!(
        asked[0].text,
        "2 signatures match (district SE1): 1 held and 1 counted. Invalidate them? Invalidated signatures never count and cannot be released. (yes or no)"
    );
    let done = fixture.say(&organiser(), "yes").await;
    assert_eq!(
        done[0].text,
        "Invalidated 2 signatures. The petition now has 1 of 10,000 signatures (0% of the goal), with 0 held for review."
    );
    let nothing = fixture.say(&organiser(), "release all").await;
    assert_eq!(
        nothing[0].text,
        "No held signatures match (all), so nothing would change."
    );
}

#[tokio::test]
async fn declining_a_review_changes_nothing() {
    let fixture = with_one_held().await;
    fixture.say(&organiser(), "release all").await;
    assert_eq!(fixture.say(&organiser(), "no").await[0].text, "Nothing was changed.");
    let held = fixture
        .storage
        .held_summary(&fixture.default_campaign().slug)
        .await
        .unwrap();
    assert_eq!(held.held, 1);
    assert_eq!(
        held.by_reason,
        vec![crate::storage::Tally::new(HoldReason::NewAccount.as_str(), 1)]
    );
}

#[tokio::test]
async fn review_commands_are_refused_to_anyone_else() {
    let fixture = with_one_held().await;
    for (command, action) in [("release all", "release"), ("/invalidate all", "invalidate")] {
        assert_eq!(
            fixture.say(&telegram(1), command).await[0].text,
            format!("Sorry, only the campaign's organisers can use {action}.")
        );
    }
    assert!(fixture.conversation(&telegram(1)).await.is_none());
}

#[tokio::test]
async fn filters_that_cannot_be_read_are_explained_with_how_to_write_them() {
    let fixture = TestApp::sqlite().await;
    for (command, problem) in [
        (
            "release",
            "Please say which signatures, for example: release reason=new_account",
        ),
        ("release colour=red", "I don't know the filter \"colour\"."),
        (
            "release bogus",
            "I don't understand \"bogus\": filters are written key=value.",
        ),
        ("release district=XX", "XX is not a postcode district."),
        (
            "release platform=fax",
            "fax is not a platform (telegram, discord or console).",
        ),
        ("release reason=nope", "nope is not a hold reason."),
        (
            "release since=tomorrow",
            "tomorrow is not a date such as 2026-11-01 or 2026-11-01T14:00 (UTC).",
        ),
    ] {
        let reply = &fixture.say(&organiser(), command).await[0].text;
        let (first, help) = reply.split_once("\n\n").unwrap();
        assert_eq!(first, problem, "{command}");
        assert!(help.starts_with("To act on held signatures, send release or invalidate followed by filters"));
    }
}
