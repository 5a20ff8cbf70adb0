//! The words that work at any step, each on its own.

use super::*;
use crate::conversation::Step;

const TITLE: &str = "Keep the human trafficking unit open";

#[tokio::test]
async fn status_before_signing_says_not_yet_and_offers_to_sign() {
    let fixture = TestApp::sqlite().await;
    let replies = fixture.say(&telegram(1), "status").await;
    assert_eq!(replies[0].text, format!("You haven't signed \"{TITLE}\" yet."));
    assert_eq!(buttons(&replies), ["welcome.sign"]);
}

#[tokio::test]
async fn status_part_way_through_says_so_and_asks_the_question_again() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    fixture.say(&who, "sign").await;
    let replies = fixture.say(&who, "/status").await;
    let (first, question) = replies[0].text.split_once("\n\n").unwrap();
    assert_eq!(
        first,
        format!("You haven't signed \"{TITLE}\" yet: you're part-way through.")
    );
    assert!(question.starts_with("What name should appear"));
}

#[tokio::test]
async fn status_after_signing_says_when_and_where() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    fixture.sign(&who, "Ann Lee", "ann@example.org", "SE1 7PB").await;
    assert_eq!(
        fixture.say(&who, "status").await[0].text,
        format!(
            "You signed \"{TITLE}\" on 3 November 2026 on Telegram. Thank you! Send mydata to see what we hold about you, or withdraw to remove your signature."
        )
    );
}

#[tokio::test]
async fn withdraw_asks_first_and_then_deletes_the_signature_from_the_count() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    fixture.sign(&who, "Ann Lee", "ann@example.org", "SE1 7PB").await;
    let asked = fixture.say(&who, "withdraw").await;
    assert!(
        asked[0]
            .text
            .contains("This can't be undone. Do you want to withdraw? (yes or no)")
    );
    assert_eq!(labels(&asked), ["Yes, withdraw", "No, keep my signature"]);
    assert_eq!(fixture.total().await, 1, "nothing happens before the yes");
    let done = fixture.press(&who, "withdraw.yes").await;
    assert_eq!(
        done[0].text,
        format!(
            "Done. Your signature and everything we held about you for \"{TITLE}\" have been deleted. The petition now has 0 of 10,000 signatures (0% of the goal)."
        )
    );
    assert!(!fixture.has_signed(&who).await);
    assert!(fixture.conversation(&who).await.is_none());
}

#[tokio::test]
async fn declining_to_withdraw_keeps_the_signature() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    fixture.sign(&who, "Ann Lee", "ann@example.org", "SE1 7PB").await;
    fixture.say(&who, "withdraw").await;
    let kept = fixture.say(&who, "no").await;
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].text, "Your signature stays. Thank you for your support!");
    assert!(fixture.has_signed(&who).await);
}

#[tokio::test]
async fn withdraw_without_a_signature_has_nothing_to_withdraw() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    let nothing = format!("You haven't signed \"{TITLE}\", so there is nothing to withdraw.");
    assert_eq!(fixture.say(&who, "withdraw").await[0].text, nothing);
    fixture.say(&who, "sign").await;
    fixture.say(&who, "Ann Lee").await;
    assert_eq!(
        fixture.say(&who, "withdraw").await[0].text,
        format!("{nothing} To throw away what you've typed so far, send cancel.")
    );
}

#[tokio::test]
async fn mydata_shows_the_signature_and_when_it_was_confirmed() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    let thanks = fixture.sign(&who, "Ann Lee", "ann@example.org", "SE1 7PB").await;
    let Some(crate::conversation::Link::Share { code, .. }) = &thanks[0].link else {
        panic!("a share link");
    };
    assert_eq!(
        fixture.say(&who, "my data").await[0].text,
        format!(
            "This is everything we hold about you for \"{TITLE}\".\n\n\
             Your signature, added on 3 November 2026 at 14:00 UTC on Telegram (counted):\n\
             Name: Ann Lee\nEmail: ann@example.org\nWhere: SE1 (UK postcode district)\nUpdates: no (question wording version 2)\n\
             Consent: given on 3 November 2026 at 14:00 UTC (wording version 2)\n\
             Share code you arrived with: none\nYour share code: {code}\nYour account: 1 on Telegram\n\n\
             When you confirmed a signature in the last day: 3 November 2026 at 14:00 UTC. We keep these times for a day, with nothing you typed, so that nobody can try to sign endlessly; they are deleted after a day, or with your signature.\n\n\
             Send withdraw to delete your signature and all of this."
        )
    );
}

#[tokio::test]
async fn mydata_shows_answers_still_being_typed_and_the_share_code_arrived_with() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    fixture.start(&who, Some("keep-the-unit-open__ABCD2345")).await;
    fixture.say(&who, "sign").await;
    fixture.say(&who, "Ann Lee").await;
    assert_eq!(
        fixture.say(&who, "mydata").await[0].text,
        format!(
            "This is everything we hold about you for \"{TITLE}\".\n\n\
             Answers you are still typing (not a signature yet; deleted if you cancel, or after 24 hours without a message):\n\
             Name: Ann Lee\nEmail: not yet given\nWhere: not yet given\nConsent: not yet given\nUpdates: not yet answered\n\n\
             The share code you arrived with: ABCD2345\n\n\
             Send withdraw to delete your signature and all of this."
        )
    );
}

#[tokio::test]
async fn mydata_from_a_stranger_holds_nothing() {
    let fixture = TestApp::sqlite().await;
    assert_eq!(
        fixture.say(&telegram(1), "mydata").await[0].text,
        format!("We hold nothing about you for \"{TITLE}\".")
    );
}

#[tokio::test]
async fn privacy_shows_the_notice_and_keeps_the_place() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    fixture.say(&who, "sign").await;
    let replies = fixture.say(&who, "privacy").await;
    assert_eq!(replies[0].text, fixture.default_campaign().privacy);
    assert!(replies[1].text.starts_with("What name should appear"));
    assert_eq!(fixture.conversation(&who).await.unwrap().step, Step::Name);
}

#[tokio::test]
async fn article_shows_the_article_by_its_author_and_keeps_the_place() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    let replies = fixture.say(&who, "read the article").await;
    let campaign = &fixture.default_campaign();
    assert_eq!(
        replies[0].text,
        format!("{}\n\nBy {}\n\n{}", campaign.title, campaign.author, campaign.article)
    );
    assert_eq!(replies[1].text, format!("Would you like to sign \"{TITLE}\"?"));
    assert_eq!(
        buttons(&replies),
        ["welcome.sign", "welcome.article", "welcome.privacy"]
    );
}

#[tokio::test]
async fn total_reads_against_the_goal() {
    let fixture = TestApp::sqlite().await;
    fixture
        .sign(&telegram(1), "Ann Lee", "ann@example.org", "SE1 7PB")
        .await;
    assert_eq!(
        fixture.say(&telegram(2), "total").await[0].text,
        format!("\"{TITLE}\": 1 of 10,000 signatures (0% of the goal).")
    );
}

#[tokio::test]
async fn help_lists_the_words_and_then_where_they_were() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    let alone = fixture.say(&who, "help").await;
    assert!(
        alone[0]
            .text
            .starts_with("Here's what I understand:\nsign: sign the petition\n")
    );
    assert!(alone[0].text.ends_with("cancel: stop, keeping nothing you've typed"));
    fixture.say(&who, "sign").await;
    let midway = fixture.say(&who, "help").await;
    assert!(
        midway[0]
            .text
            .contains("cancel: stop, keeping nothing you've typed\n\nWhere we were:\n\nWhat name should appear")
    );
}

#[tokio::test]
async fn cancel_forgets_everything_typed() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    fixture.say(&who, "sign").await;
    fixture.say(&who, "Ann Lee").await;
    assert_eq!(
        fixture.say(&who, "cancel").await[0].text,
        "Cancelled. Nothing you typed has been kept. Send sign whenever you'd like to start again."
    );
    assert!(fixture.conversation(&who).await.is_none());
    fixture.say(&who, "sign").await;
    assert_eq!(
        fixture.say(&who, "cancel").await[0].text,
        "Cancelled. Send sign whenever you'd like to sign."
    );
    assert_eq!(
        fixture.say(&who, "cancel").await[0].text,
        "There's nothing to cancel. Send sign to sign the petition, or help to see what I can do."
    );
}

#[tokio::test]
async fn back_returns_to_the_previous_question_keeping_the_answers() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    fixture.fill_in(&who, "Ann Lee", "ann@example.org", "SE1 7PB").await;
    for (step, question) in [
        (
            Step::Updates,
            "Would you like updates about this campaign? They are sent here, in this Telegram chat",
        ),
        (Step::Consent, fixture.default_campaign().consent.wording.as_str()),
        (Step::Postcode, "What is your UK postcode?"),
        (Step::Email, "What is your email address?"),
        (Step::Name, "What name should appear"),
    ] {
        let replies = fixture.say(&who, "back").await;
        assert!(replies[0].text.starts_with(question), "{step:?}: {}", replies[0].text);
        assert_eq!(fixture.conversation(&who).await.unwrap().step, step);
    }
    let draft = fixture.conversation(&who).await.unwrap().draft;
    assert_eq!(draft.name.as_deref(), Some("Ann Lee"), "going back keeps the answers");
}

#[tokio::test]
async fn back_from_consent_for_someone_abroad_returns_to_the_country() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    for answer in ["sign", "Ann Lee", "ann@example.org", "outside", "France"] {
        fixture.say(&who, answer).await;
    }
    assert_eq!(fixture.say(&who, "back").await[0].text, "Which country do you live in?");
}

#[tokio::test]
async fn back_with_nothing_to_go_back_to_says_so_and_invites_to_sign() {
    let fixture = TestApp::sqlite().await;
    let replies = fixture.say(&telegram(1), "back").await;
    assert_eq!(
        replies[0].text,
        format!(
            "There's nothing to go back to.\n\nSorry, I didn't understand that. Please pick one of the choices below, or send help.\n\nWould you like to sign \"{TITLE}\"?"
        )
    );
}

#[tokio::test]
async fn sign_in_the_middle_of_signing_carries_on_where_they_were() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    fixture.say(&who, "sign").await;
    fixture.say(&who, "Ann Lee").await;
    let replies = fixture.say(&who, "sign").await;
    let (first, question) = replies[0].text.split_once("\n\n").unwrap();
    assert_eq!(first, "You're already signing; let's carry on.");
    assert!(question.starts_with("What is your email address?"));
}
