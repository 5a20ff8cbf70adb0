//! What every message goes through: reading what it says, one at a time
//! per person, the saved conversation loaded and saved, and failures.

use super::*;
use crate::conversation::{Placement, Step};

#[tokio::test]
async fn an_old_or_forged_button_is_a_passing_notice_and_changes_nothing() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    fixture.say(&who, "sign").await;
    let before = fixture.conversation(&who).await;
    for data in [
        "consent.yes",
        "review.confirm",
        "welcome.nonsense",
        "x".repeat(300).as_str(),
    ] {
        let replies = fixture.press(&who, data).await;
        assert_eq!(
            replies[0].text,
            "That choice has expired. Please use the buttons on my latest message, or type your answer."
        );
        assert_eq!(replies[0].placement, Placement::Notice);
        assert_eq!(fixture.conversation(&who).await, before, "{data}");
    }
}

#[tokio::test]
async fn an_old_button_that_only_shows_something_is_still_honoured() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    fixture.say(&who, "sign").await;
    let privacy = fixture.press(&who, "welcome.privacy").await;
    assert_eq!(privacy[0].text, fixture.default_campaign().privacy);
    assert_eq!(privacy[0].placement, Placement::NewMessage, "nothing moved on");
}

#[tokio::test]
async fn a_button_that_moves_the_conversation_on_takes_the_place_of_its_message() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    let name = fixture.press(&who, "welcome.sign").await;
    assert_eq!(name[0].placement, Placement::InPlaceOfChoice);
    let typed = fixture.say(&who, "back").await;
    assert_eq!(
        typed[0].placement,
        Placement::NewMessage,
        "typing leaves old messages be"
    );
}

#[tokio::test]
async fn an_unknown_command_is_answered_with_the_help() {
    let fixture = TestApp::sqlite().await;
    let replies = fixture.say(&telegram(1), "/frobnicate").await;
    assert!(
        replies[0]
            .text
            .starts_with("I don't know that command.\n\nHere's what I understand:\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_from_one_person_at_once_are_handled_one_after_another() {
    let fixture = Arc::new(TestApp::sqlite().await);
    let who = telegram(1);
    fixture.fill_in(&who, "Ann Lee", "ann@example.org", "SE1 7PB").await;
    // Each back reads the step the one before it saved; none is lost.
    let backs: Vec<_> = (0..5)
        .map(|_| {
            let fixture = fixture.clone();
            let who = who.clone();
            tokio::spawn(async move { fixture.say(&who, "back").await })
        })
        .collect();
    for back in backs {
        back.await.unwrap();
    }
    assert_eq!(fixture.conversation(&who).await.unwrap().step, Step::Name);
}

#[tokio::test]
async fn a_conversation_saved_by_an_earlier_version_carries_on_where_it_was() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    let saved = r#"{"campaign":"keep-the-unit-open","step":"postcode","draft":{"name":"Ann Lee","email":{"given":"ann@example.org"},"location":null,"consent":null,"updates":null}}"#;
    fixture
        .storage
        .save_conversation(&who, saved, start_of_test())
        .await
        .unwrap();
    let consent = fixture.say(&who, "SE1 7PB").await;
    assert!(consent[0].text.ends_with("Do you give this consent? (yes or no)"));
    let draft = fixture.conversation(&who).await.unwrap().draft;
    assert_eq!(
        (draft.name.as_deref(), draft.email_address()),
        (Some("Ann Lee"), Some("ann@example.org"))
    );
}

#[tokio::test]
async fn a_saved_conversation_that_cannot_be_read_or_whose_campaign_is_gone_starts_afresh() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    for saved in [r#"{"campaign":"#, r#"{"campaign":"long-gone","step":"email"}"#] {
        fixture
            .storage
            .save_conversation(&who, saved, start_of_test())
            .await
            .unwrap();
        let replies = fixture.say(&who, "Ann Lee").await;
        assert!(
            replies[0].text.starts_with("Sorry, I didn't understand that."),
            "{saved}"
        );
        assert!(fixture.conversation(&who).await.is_none(), "{saved}: forgotten");
    }
}

#[tokio::test]
async fn a_storage_failure_is_answered_with_the_apology() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    fixture.say(&who, "sign").await;
    fixture.storage.close().await;
    let replies = fixture.say(&who, "Ann Lee").await;
    assert_eq!(replies.len(), 1);
    assert_eq!(
        replies[0].text,
        "Sorry, something went wrong on our side and nothing was changed. Please try again in a moment."
    );
}

#[tokio::test]
async fn abandoned_conversations_and_old_signing_attempts_are_forgotten() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    fixture.say(&who, "sign").await;
    fixture.sign(&telegram(2), "Bo Lee", "bo@example.org", "N1 9GU").await;
    assert_eq!(fixture.engine.forget_abandoned_conversations().await.unwrap(), 0);
    fixture.clock.advance(chrono::Duration::hours(25));
    assert_eq!(fixture.engine.forget_abandoned_conversations().await.unwrap(), 1);
    assert!(fixture.conversation(&who).await.is_none());
    assert_eq!(fixture.engine.forget_old_signing_attempts().await.unwrap(), 1);
}
