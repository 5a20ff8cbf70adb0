//! Updates: the opt-in, stopping and restarting them, and organisers
//! writing, previewing and confirming one.

use super::{TestApp, discord, organiser, telegram, text};
use crate::conversation::Step;
use crate::domain::{Identity, Platform};
use crate::storage::UpdateState;

/// Signs with a yes to updates.
async fn sign_wanting_updates(fixture: &TestApp, who: &Identity, email: &str) {
    for answer in ["sign", "Ann Lee", email, "SE1 7PB", "yes", "yes"] {
        fixture.say(who, answer).await;
    }
    let thanks = fixture.say(who, "confirm").await;
    assert!(text(&thanks).starts_with("Thank you"), "{}", text(&thanks));
}

async fn opted_in(fixture: &TestApp, who: &Identity) -> bool {
    let signature = fixture
        .storage
        .signature_of(&fixture.default_campaign().slug, who)
        .await
        .unwrap();
    signature.expect("signed").updates_opt_in
}

#[tokio::test]
async fn the_updates_question_says_where_they_are_sent_and_how_to_stop_them() {
    let fixture = TestApp::sqlite().await;
    let who = discord(7);
    for answer in ["sign", "Ann Lee", "ann@example.org", "SE1 7PB"] {
        fixture.say(&who, answer).await;
    }
    let question = text(&fixture.say(&who, "yes").await);
    assert!(
        question.contains("as a Discord direct message from this bot"),
        "{question}"
    );
    assert!(question.contains("at most a few times"), "{question}");
    assert!(question.contains("by sending stop"), "{question}");
}

#[tokio::test]
async fn a_signature_records_the_wording_of_the_updates_question_it_answered() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    sign_wanting_updates(&fixture, &who, "ann@example.org").await;
    let signature = fixture
        .storage
        .signature_of(&fixture.default_campaign().slug, &who)
        .await
        .unwrap()
        .unwrap();
    assert!(signature.updates_opt_in);
    assert_eq!(signature.updates_wording, crate::messages::UPDATES_WORDING);
    let mydata = text(&fixture.say(&who, "mydata").await);
    assert!(
        mydata.contains("Updates: yes, sent here, in this Telegram chat"),
        "{mydata}"
    );
}

#[tokio::test]
async fn the_console_is_told_no_update_can_reach_it_instead_of_being_asked() {
    let fixture = TestApp::sqlite().await;
    let who = Identity::new(Platform::Console, "ann");
    for answer in ["sign", "Ann Lee", "ann@example.org", "SE1 7PB"] {
        fixture.say(&who, answer).await;
    }
    let review = text(&fixture.say(&who, "yes").await);
    assert!(review.contains("none can reach you at this console"), "{review}");
    assert!(review.contains("Please check your signature"), "{review}");
    assert_eq!(fixture.conversation(&who).await.unwrap().step, Step::Review);
    assert_eq!(fixture.conversation(&who).await.unwrap().draft.updates, Some(false));
}

#[tokio::test]
async fn stop_ends_updates_in_one_word_and_updates_on_brings_them_back() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    sign_wanting_updates(&fixture, &who, "ann@example.org").await;
    let stopped = text(&fixture.say(&who, "stop").await);
    assert_eq!(
        stopped,
        "Done: you will get no more updates from us. To have them again, send updates on."
    );
    assert!(!opted_in(&fixture, &who).await);
    let started = text(&fixture.say(&who, "updates on").await);
    assert!(started.starts_with("You will get updates about"), "{started}");
    assert!(opted_in(&fixture, &who).await);
    fixture.say(&who, "Updates off").await;
    assert!(!opted_in(&fixture, &who).await);
}

#[tokio::test]
async fn the_stop_button_under_an_old_update_is_honoured() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    sign_wanting_updates(&fixture, &who, "ann@example.org").await;
    let stopped = text(&fixture.press(&who, "update.stop").await);
    assert!(stopped.starts_with("Done: you will get no more updates"), "{stopped}");
    assert!(!opted_in(&fixture, &who).await);
}

#[tokio::test]
async fn stop_from_someone_who_never_signed_changes_nothing_and_says_so() {
    let fixture = TestApp::sqlite().await;
    let stopped = text(&fixture.say(&telegram(9), "stop").await);
    assert!(stopped.contains("Nothing to stop"), "{stopped}");
}

#[tokio::test]
async fn only_organisers_may_write_an_update() {
    let fixture = TestApp::sqlite().await;
    let refused = text(&fixture.say(&telegram(5), "update").await);
    assert!(refused.contains("organisers"), "{refused}");
    assert!(fixture.conversation(&telegram(5)).await.is_none());
}

#[tokio::test]
async fn an_update_is_previewed_with_its_reach_and_sent_only_on_an_explicit_yes() {
    let fixture = TestApp::sqlite().await;
    sign_wanting_updates(&fixture, &telegram(1), "ann@example.org").await;
    sign_wanting_updates(&fixture, &discord(2), "bea@example.org").await;
    fixture
        .fill_in(&telegram(3), "Cat Roe", "cat@example.org", "M1 1AE")
        .await;
    fixture.say(&telegram(3), "confirm").await;
    let asked = text(&fixture.say(&organiser(), "update").await);
    assert!(asked.starts_with("Write the update as your next message"), "{asked}");
    let preview = text(
        &fixture
            .say(&organiser(), "The Commissioner has agreed to meet us.\nThank you all.")
            .await,
    );
    assert!(
        preview.contains("Update from \"Keep the human trafficking unit open\":\n\nThe Commissioner has agreed to meet us.\nThank you all."),
        "{preview}"
    );
    assert!(
        preview.contains("It will reach 2 signers (1 on Telegram, 1 on Discord)"),
        "{preview}"
    );
    let reach = fixture
        .storage
        .recent_updates(&fixture.default_campaign().slug, 10)
        .await
        .unwrap();
    assert!(reach.is_empty(), "nothing is stored before the yes");
    let queued = text(&fixture.say(&organiser(), "yes").await);
    assert!(queued.starts_with("Update #1 is on its way to 2 signers"), "{queued}");
    let stored = fixture
        .storage
        .recent_updates(&fixture.default_campaign().slug, 10)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].counts.pending, 2);
    assert_eq!(
        stored[0].text,
        "The Commissioner has agreed to meet us.\nThank you all."
    );
    let audit = fixture
        .storage
        .audit_log(&fixture.default_campaign().slug)
        .await
        .unwrap();
    let line = audit.iter().find(|entry| entry.action == "update").expect("audited");
    assert_eq!((line.affected, &line.actor), (2, &organiser()));
}

#[tokio::test]
async fn an_update_and_its_text_in_one_message_goes_straight_to_the_preview_and_no_discards_it() {
    let fixture = TestApp::sqlite().await;
    sign_wanting_updates(&fixture, &telegram(1), "ann@example.org").await;
    let preview = text(&fixture.say(&organiser(), "/update We met the council.").await);
    assert!(preview.contains("We met the council."), "{preview}");
    let dropped = text(&fixture.say(&organiser(), "no").await);
    assert_eq!(dropped, "The update was not sent.");
    assert!(
        fixture
            .storage
            .recent_updates(&fixture.default_campaign().slug, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn an_update_too_long_for_discord_is_refused_with_the_limit() {
    let fixture = TestApp::sqlite().await;
    sign_wanting_updates(&fixture, &discord(2), "bea@example.org").await;
    let long = "word ".repeat(500);
    let refused = text(&fixture.say(&organiser(), &format!("update {long}")).await);
    assert!(refused.contains("it can be at most 2,000"), "{refused}");
    assert!(
        fixture
            .storage
            .recent_updates(&fixture.default_campaign().slug, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn with_nobody_opted_in_there_is_nobody_to_update() {
    let fixture = TestApp::sqlite().await;
    let said = text(&fixture.say(&organiser(), "update").await);
    assert!(said.starts_with("No signer has asked for updates yet"), "{said}");
}

#[tokio::test]
async fn stopping_or_withdrawing_removes_a_signer_from_an_update_still_waiting() {
    let fixture = TestApp::sqlite().await;
    for (id, email) in [(1, "ann@example.org"), (2, "bea@example.org"), (3, "cat@example.org")] {
        sign_wanting_updates(&fixture, &telegram(id), email).await;
    }
    fixture.say(&organiser(), "update Thank you.").await;
    fixture.say(&organiser(), "yes").await;
    fixture.say(&telegram(1), "stop").await;
    fixture.say(&telegram(2), "withdraw").await;
    fixture.say(&telegram(2), "yes").await;
    let update = &fixture
        .storage
        .recent_updates(&fixture.default_campaign().slug, 10)
        .await
        .unwrap()[0];
    assert_eq!((update.counts.pending, update.counts.cancelled), (1, 1));
    assert_eq!(update.counts.total(), 2, "the withdrawn signer's delivery is gone");
}

#[tokio::test]
async fn cancel_update_stops_the_one_being_sent_and_updates_lists_it() {
    let fixture = TestApp::sqlite().await;
    sign_wanting_updates(&fixture, &telegram(1), "ann@example.org").await;
    fixture.say(&organiser(), "update Thank you.").await;
    fixture.say(&organiser(), "yes").await;
    let cancelled = text(&fixture.say(&organiser(), "cancel update").await);
    assert!(
        cancelled.starts_with("Update #1 was cancelled: 0 sent, 1 not sent."),
        "{cancelled}"
    );
    let update = &fixture
        .storage
        .recent_updates(&fixture.default_campaign().slug, 10)
        .await
        .unwrap()[0];
    assert_eq!(update.state, UpdateState::Cancelled);
    let listed = text(&fixture.say(&organiser(), "updates").await);
    assert!(
        listed.contains("#1 on 3 November 2026 at 14:00 UTC, cancelled: 0 sent, 1 not sent\nThank you."),
        "{listed}"
    );
    let nothing = text(&fixture.say(&organiser(), "cancel update").await);
    assert!(nothing.starts_with("No update is being sent"), "{nothing}");
}

#[tokio::test]
async fn updates_from_a_signer_shows_their_own_choice() {
    let fixture = TestApp::sqlite().await;
    sign_wanting_updates(&fixture, &telegram(1), "ann@example.org").await;
    let choice = text(&fixture.say(&telegram(1), "updates").await);
    assert!(
        choice.starts_with("Updates: yes, sent here, in this Telegram chat"),
        "{choice}"
    );
}

#[tokio::test]
async fn updates_at_the_change_step_is_the_answer_to_change() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    fixture.fill_in(&who, "Ann Lee", "ann@example.org", "SE1 7PB").await;
    fixture.say(&who, "change").await;
    let question = text(&fixture.say(&who, "updates").await);
    assert!(
        question.starts_with("Would you like updates about this campaign?"),
        "{question}"
    );
}

#[tokio::test]
async fn a_campaign_with_milestone_updates_sends_each_milestone_to_its_opted_in_signers_once() {
    let fixture = TestApp::sqlite_with_campaign(|campaign| {
        campaign.milestone_updates = true;
        campaign.goal = 4;
    })
    .await;
    fixture.engine.register_campaigns().await.unwrap();
    sign_wanting_updates(&fixture, &telegram(1), "ann@example.org").await;
    fixture.engine.check_milestones().await.unwrap();
    fixture.engine.check_milestones().await.unwrap();
    let updates = fixture
        .storage
        .recent_updates(&fixture.default_campaign().slug, 10)
        .await
        .unwrap();
    assert_eq!(updates.len(), 1, "one milestone (25%), one update");
    assert_eq!(updates[0].counts.pending, 1);
    assert_eq!(updates[0].author.user_id, "milestones");
}

#[tokio::test]
async fn without_milestone_updates_a_milestone_sends_signers_nothing() {
    let fixture = TestApp::sqlite_with_campaign(|campaign| campaign.goal = 4).await;
    fixture.engine.register_campaigns().await.unwrap();
    sign_wanting_updates(&fixture, &telegram(1), "ann@example.org").await;
    fixture.engine.check_milestones().await.unwrap();
    assert!(
        fixture
            .storage
            .recent_updates(&fixture.default_campaign().slug, 10)
            .await
            .unwrap()
            .is_empty()
    );
}
