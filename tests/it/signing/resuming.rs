//! Starting again part-way through: the answers are kept, the welcome
//! offers to continue, and continuing returns to the question they were on.

use super::*;

/// The labels of the last reply that offered choices.
fn choice_labels(replies: &[petition::conversation::Reply]) -> Vec<String> {
    replies
        .iter()
        .rev()
        .find(|r| !r.choices.is_empty())
        .map(|r| r.choices.iter().map(|c| c.label.clone()).collect())
        .unwrap_or_default()
}

#[on_both_databases]
async fn start_mid_signing_keeps_the_answers_and_offers_to_continue_where_they_left_off(app: TestApp) {
    let who = telegram(27);
    app.start(&who, None).await;
    app.say(&who, "sign").await;
    app.say(&who, "Ann Lee").await;
    app.say(&who, "ann@example.org").await;
    for start_again in ["/start", "start"] {
        let welcome = app.say(&who, start_again).await;
        let text = text_of(&welcome);
        assert!(text.contains("Keep the human trafficking unit open"), "{text}");
        assert!(
            text.contains("You were part-way through signing, and your answers so far are kept"),
            "{start_again}: {text}"
        );
        assert_eq!(
            choice_labels(&welcome)[0],
            "Continue where you left off",
            "{start_again}"
        );
        assert_eq!(
            choice_data(&welcome),
            ["welcome.sign", "welcome.article", "welcome.privacy"],
            "{start_again}"
        );
        let kept = app.conversation(&who).await.unwrap();
        assert_eq!(kept.step, Step::Welcome);
        assert_eq!(kept.draft.name.as_deref(), Some("Ann Lee"));
        assert_eq!(kept.draft.email_address(), Some("ann@example.org"));
    }
    // Reading the privacy notice from the welcome shows the offer again.
    let privacy = app.say(&who, "privacy").await;
    assert_eq!(choice_labels(&privacy)[0], "Continue where you left off");
    let resumed = app.press(&who, "welcome.sign").await;
    assert!(
        text_of(&resumed).contains("What is your UK postcode?"),
        "{}",
        text_of(&resumed)
    );
    assert_eq!(app.conversation(&who).await.unwrap().step, Step::Postcode);
    app.say(&who, "SE1 7PB").await;
    app.say(&who, "yes").await;
    let review = text_of(&app.say(&who, "no").await);
    assert!(review.contains("Name: Ann Lee"), "{review}");
    assert!(text_of(&app.say(&who, "confirm").await).contains("Thank you, Ann Lee"));
}

#[on_both_databases]
async fn continuing_after_start_returns_to_the_question_they_were_on_not_the_first_unanswered(app: TestApp) {
    let who = telegram(28);
    app.start(&who, None).await;
    app.say(&who, "sign").await;
    app.say(&who, "Ann Lee").await;
    app.say(&who, "ann@example.org").await;
    app.say(&who, "SE1 7PB").await;
    app.say(&who, "yes").await;
    app.say(&who, "no").await;
    app.say(&who, "change").await;
    app.start(&who, None).await;
    let resumed = text_of(&app.say(&who, "sign").await);
    assert!(resumed.contains("What would you like to change?"), "{resumed}");
    assert_eq!(app.conversation(&who).await.unwrap().step, Step::ChooseChange);

    app.say(&who, "back").await;
    app.say(&who, "cancel").await;
    app.start(&who, None).await;
    app.say(&who, "sign").await;
    app.say(&who, "Bo Lee").await;
    app.say(&who, "bo@example.org").await;
    // Back to the email, already answered: the first unanswered question
    // would be the postcode, but they were looking at the email.
    app.say(&who, "back").await;
    app.start(&who, None).await;
    let resumed = text_of(&app.press(&who, "welcome.sign").await);
    assert!(resumed.contains("What is your email address?"), "{resumed}");
    assert_eq!(app.conversation(&who).await.unwrap().step, Step::Email);
    // Twice in a row, the place is still remembered.
    app.start(&who, None).await;
    app.start(&who, None).await;
    let resumed = text_of(&app.press(&who, "welcome.sign").await);
    assert!(resumed.contains("What is your email address?"), "{resumed}");
}

#[on_both_databases]
async fn a_welcome_saved_before_the_resume_step_was_kept_still_offers_to_continue(app: TestApp) {
    let who = telegram(29);
    let saved = r#"{"campaign":"keep-the-unit-open","step":"welcome","draft":{"name":"Ann Lee","email":{"given":"ann@example.org"},"location":null,"consent":null,"updates":null}}"#;
    app.storage
        .save_conversation(&who, saved, app.clock_now())
        .await
        .unwrap();
    let welcome = app.start(&who, None).await;
    assert!(
        text_of(&welcome).contains("part-way through signing"),
        "{}",
        text_of(&welcome)
    );
    assert_eq!(choice_labels(&welcome)[0], "Continue where you left off");
    let resumed = text_of(&app.press(&who, "welcome.sign").await);
    assert!(resumed.contains("What is your UK postcode?"), "{resumed}");
}

#[on_both_databases]
async fn the_welcome_for_someone_who_already_signed_says_so_and_offers_no_continuing(app: TestApp) {
    let who = telegram(30);
    app.sign(&who, "Ann Lee", "ann@example.org", "SE1 7PB").await;
    app.clock.advance(chrono::Duration::days(1));
    let welcome = app.start(&who, None).await;
    let text = text_of(&welcome);
    assert!(
        text.contains("You signed this petition on 3 November 2026. Thank you!"),
        "{text}"
    );
    assert!(!text.contains("part-way"), "{text}");
    assert_eq!(choice_labels(&welcome)[0], "Sign the petition");
}
