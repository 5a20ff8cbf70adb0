//! Each signing step: what it accepts, what it asks again, the form, and
//! the signature with its refusals.

use super::*;
use crate::conversation::{EmailAnswer, Link, Step};
use crate::domain::Location;

/// Asks everything up to `step` for a fresh supporter.
async fn at_step(fixture: &TestApp, who: &Identity, step: Step) {
    let answers = ["sign", "Ann Lee", "ann@example.org", "SE1 7PB", "yes", "no"];
    let stops = [
        Step::Name,
        Step::Email,
        Step::Postcode,
        Step::Consent,
        Step::Updates,
        Step::Review,
    ];
    for (answer, stop) in answers.iter().zip(stops) {
        fixture.say(who, answer).await;
        if stop == step {
            break;
        }
    }
    assert_eq!(fixture.conversation(who).await.unwrap().step, step);
}

/// Asserts `answer` is refused with `why` first, the same question after
/// it, and nothing saved changed.
async fn assert_asked_again(fixture: &TestApp, who: &Identity, answer: &str, why: &str) {
    let before = fixture.conversation(who).await.unwrap();
    let replies = fixture.say(who, answer).await;
    let (first, rest) = replies[0].text.split_once("\n\n").unwrap();
    assert_eq!(first, why, "{answer:?}");
    let question = fixture.engine.question(&before);
    assert_eq!(rest, question.text, "{answer:?} is followed by the same question");
    assert_eq!(
        fixture.conversation(who).await.unwrap(),
        before,
        "{answer:?} changes nothing"
    );
}

#[tokio::test]
async fn a_name_is_kept_tidied_and_the_email_is_asked() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    at_step(&fixture, &who, Step::Name).await;
    let replies = fixture.say(&who, "  Ann   Lee ").await;
    assert!(
        replies[0].text.starts_with("What is your email address?"),
        "{}",
        text(&replies)
    );
    assert_eq!(replies[0].form.as_ref().unwrap().name, "Ann Lee", "the form carries it");
    assert_eq!(
        fixture.conversation(&who).await.unwrap().draft.name.as_deref(),
        Some("Ann Lee")
    );
}

#[tokio::test]
async fn a_name_that_fails_its_check_is_explained_and_asked_again() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    at_step(&fixture, &who, Step::Name).await;
    assert_asked_again(
        &fixture,
        &who,
        "A",
        "That name is too short. Please give at least 2 characters.",
    )
    .await;
    assert_asked_again(
        &fixture,
        &who,
        "=HYPERLINK(1)",
        "A name cannot start with =, +, - or @. Please type it starting with a letter.",
    )
    .await;
}

#[tokio::test]
async fn an_email_is_kept_normalised_and_the_postcode_is_asked() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    at_step(&fixture, &who, Step::Email).await;
    let replies = fixture.say(&who, "Ann.Lee+petition@GoogleMail.com").await;
    assert!(
        replies[0].text.starts_with("What is your UK postcode?"),
        "{}",
        text(&replies)
    );
    assert_eq!(
        buttons(&replies),
        ["postcode.outside", "postcode.back", "postcode.cancel"]
    );
    let draft = fixture.conversation(&who).await.unwrap().draft;
    assert_eq!(draft.email_address(), Some("annlee@gmail.com"));
}

#[tokio::test]
async fn an_email_that_fails_its_check_is_explained_and_asked_again() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    at_step(&fixture, &who, Step::Email).await;
    let why = "That doesn't look like an email address. Please type it like name@example.com.";
    for email in ["ann", "ann@example", "ann@@example.org"] {
        assert_asked_again(&fixture, &who, email, why).await;
    }
}

#[tokio::test]
async fn skipping_the_email_is_refused_where_the_campaign_needs_one() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    at_step(&fixture, &who, Step::Email).await;
    let why = "An email address is needed to sign this petition: it's how we make sure each person is counted once. It is never published.";
    assert_asked_again(&fixture, &who, "skip", why).await;
}

#[tokio::test]
async fn skipping_the_email_is_accepted_where_the_campaign_allows_it_and_updates_are_still_offered() {
    let fixture = TestApp::sqlite_with_campaign(|campaign| campaign.require_email = false).await;
    let who = telegram(1);
    fixture.say(&who, "sign").await;
    let email = fixture.say(&who, "Ann Lee").await;
    assert!(email[0].text.ends_with(" It's optional: send skip to leave it out."));
    assert_eq!(buttons(&email), ["email.skip", "email.back", "email.cancel"]);
    fixture.press(&who, "email.skip").await;
    let draft = fixture.conversation(&who).await.unwrap().draft;
    assert_eq!(draft.email, Some(EmailAnswer::Skipped));
    assert_eq!(draft.updates, None, "updates come in the chat, not by email");
}

#[tokio::test]
async fn a_postcode_keeps_only_its_district_and_consent_is_asked() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    at_step(&fixture, &who, Step::Postcode).await;
    let replies = fixture.say(&who, "sw1a 1aa").await;
    assert!(
        replies[0]
            .text
            .starts_with(fixture.default_campaign().consent.wording.as_str())
    );
    assert!(replies[0].text.ends_with("\n\nDo you give this consent? (yes or no)"));
    assert_eq!(labels(&replies), ["Yes, I consent", "No", "Back", "Cancel"]);
    let location = fixture.conversation(&who).await.unwrap().draft.location.unwrap();
    assert_eq!(location.district(), Some("SW1A"));
}

#[tokio::test]
async fn a_postcode_that_fails_its_check_is_explained_and_asked_again() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    at_step(&fixture, &who, Step::Postcode).await;
    let why = "That doesn't look like a UK postcode. Please type it like SW1A 1AA. If you live outside the UK, type \"outside\".";
    assert_asked_again(&fixture, &who, "12345", why).await;
    let why = "We need to know roughly where signers live: a UK postcode, or your country if you live elsewhere.";
    assert_asked_again(&fixture, &who, "skip", why).await;
}

#[tokio::test]
async fn a_forces_address_needs_its_number_and_keeps_only_bfpo() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    at_step(&fixture, &who, Step::Postcode).await;
    assert_asked_again(&fixture, &who, "BFPO", "Please add your BFPO number, like BFPO 1234.").await;
    fixture.say(&who, "bfpo 57").await;
    let conversation = fixture.conversation(&who).await.unwrap();
    assert_eq!(conversation.step, Step::Consent);
    assert_eq!(conversation.draft.location.unwrap().district(), Some("BFPO"));

    let form = discord(2);
    let replies = fixture.submit(&form, "Ann Lee", "ann2@example.org", "BFPO").await;
    assert!(
        replies[0]
            .text
            .contains("Where you live: please add your BFPO number, like BFPO 1234."),
        "{}",
        replies[0].text
    );
    assert!(fixture.conversation(&form).await.unwrap().draft.location.is_none());
}

#[tokio::test]
async fn outside_leads_to_the_country_question_and_a_country_to_consent() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    at_step(&fixture, &who, Step::Postcode).await;
    let country = fixture.press(&who, "postcode.outside").await;
    assert_eq!(country[0].text, "Which country do you live in?");
    assert_asked_again(
        &fixture,
        &who,
        "Narnia",
        "I don't recognise that country. Please type its name in English, such as France or United States.",
    )
    .await;
    let consent = fixture.say(&who, "the netherlands").await;
    assert!(consent[0].text.ends_with("Do you give this consent? (yes or no)"));
    let location = fixture.conversation(&who).await.unwrap().draft.location.unwrap();
    assert_eq!(location.country(), Some("Netherlands"));
}

#[tokio::test]
async fn a_uk_nation_given_as_the_country_leads_back_to_the_postcode() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    at_step(&fixture, &who, Step::Postcode).await;
    fixture.say(&who, "outside").await;
    let replies = fixture.say(&who, "Scotland").await;
    let (first, question) = replies[0].text.split_once("\n\n").unwrap();
    assert_eq!(
        first,
        "That's in the UK, so please give your postcode instead, such as SW1A 1AA."
    );
    assert!(question.starts_with("What is your UK postcode?"));
    let conversation = fixture.conversation(&who).await.unwrap();
    assert_eq!(conversation.step, Step::Postcode);
    assert_eq!(conversation.draft.location, None);
}

#[tokio::test]
async fn consent_is_kept_with_its_time_and_wording_version_and_updates_are_asked() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    at_step(&fixture, &who, Step::Consent).await;
    let replies = fixture.press(&who, "consent.yes").await;
    assert!(
        replies[0].text.starts_with(
            "Would you like updates about this campaign? They are sent here, in this Telegram chat, at most a few times"
        ),
        "{}",
        replies[0].text
    );
    assert!(replies[0].text.contains("stop them at any time by sending stop"));
    assert_eq!(labels(&replies), ["Yes please", "No thanks", "Back"]);
    let consent = fixture.conversation(&who).await.unwrap().draft.consent.unwrap();
    assert_eq!(
        (consent.at, consent.version),
        (start_of_test(), fixture.default_campaign().consent.version)
    );
}

#[tokio::test]
async fn declining_consent_keeps_nothing_of_it_and_asks_again() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    at_step(&fixture, &who, Step::Consent).await;
    let why = "That's fine, but without your consent we can't add your signature, and nothing has been stored. If you change your mind, answer yes; otherwise send cancel.";
    assert_asked_again(&fixture, &who, "no", why).await;
}

#[tokio::test]
async fn an_answer_that_is_none_of_the_choices_is_not_understood() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    at_step(&fixture, &who, Step::Updates).await;
    let why = "Sorry, I didn't understand that. Please pick one of the choices below, or send help.";
    assert_asked_again(&fixture, &who, "perhaps", why).await;
}

#[tokio::test]
async fn the_review_shows_every_answer_before_anything_is_stored() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    let review = fixture.fill_in(&who, "Ann Lee", "ann@example.org", "SE1 7PB").await;
    assert_eq!(
        review[0].text,
        "Please check your signature before it is added:\n\n\
         Name: Ann Lee\nEmail: ann@example.org\nWhere: SE1 (UK postcode district)\n\
         Consent: given on 3 November 2026 at 14:00 UTC (wording version 2)\nUpdates: no\n\n\
         Send confirm to add your signature, change to correct something, or cancel."
    );
    assert_eq!(buttons(&review), ["review.confirm", "review.change", "review.cancel"]);
    assert_eq!(fixture.total().await, 0);
}

#[tokio::test]
async fn confirming_stores_the_signature_thanks_and_gives_a_share_link() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    let thanks = fixture.sign(&who, "Ann Lee", "ann@example.org", "SE1 7PB").await;
    let Some(Link::Share { payload, code }) = &thanks[0].link else {
        panic!("a share link: {thanks:?}");
    };
    assert_eq!(payload, &format!("keep-the-unit-open__{code}"));
    assert_eq!(
        thanks[0].text,
        format!(
            "Thank you, Ann Lee! Your signature has been added to \"{}\".\n\nThe petition now has 1 of 10,000 signatures (0% of the goal).\n\nYour share code is {code}. Anyone who starts with your link is counted as someone you brought in, so please pass it on.",
            fixture.default_campaign().title
        )
    );
    let stored = fixture
        .storage
        .signature_of(&fixture.default_campaign().slug, &who)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.name.as_str(), "Ann Lee");
    assert_eq!(stored.email.unwrap().as_str(), "ann@example.org");
    assert_eq!(
        stored.location,
        Location::Uk(crate::domain::PostcodeDistrict::parse("SE1").unwrap())
    );
    assert_eq!(stored.consent_at, start_of_test());
    assert!(fixture.conversation(&who).await.is_none(), "the conversation is over");
    assert_eq!(fixture.total().await, 1);
}

#[tokio::test]
async fn a_change_at_the_review_asks_that_answer_again_then_returns_to_the_review() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    fixture.fill_in(&who, "Ann Lee", "ann@example.org", "SE1 7PB").await;
    let change = fixture.press(&who, "review.change").await;
    assert_eq!(
        change[0].text,
        "What would you like to change? Send name, email, postcode or updates."
    );
    assert_eq!(
        buttons(&change),
        [
            "change.name",
            "change.email",
            "change.postcode",
            "change.updates",
            "change.back"
        ]
    );
    assert!(change[0].form.is_some(), "a form can change them all at once");
    fixture.press(&who, "change.postcode").await;
    let review = fixture.say(&who, "M1 1AE").await;
    assert!(
        review[0].text.contains("Where: M1 (UK postcode district)"),
        "{}",
        review[0].text
    );
    assert_eq!(fixture.conversation(&who).await.unwrap().step, Step::Review);
}

#[tokio::test]
async fn a_new_email_at_the_review_goes_back_to_the_review_keeping_the_updates_answer() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    fixture.fill_in(&who, "Ann Lee", "ann@example.org", "SE1 7PB").await;
    fixture.say(&who, "change").await;
    fixture.say(&who, "email").await;
    let review = fixture.say(&who, "ann.lee@example.org").await;
    assert!(
        review[0].text.starts_with("Please check your signature"),
        "{}",
        review[0].text
    );
    assert!(review[0].text.contains("Updates: no"), "{}", review[0].text);
}

#[tokio::test]
async fn a_form_keeps_every_valid_answer_and_explains_the_rest() {
    let fixture = TestApp::sqlite().await;
    let who = discord(1);
    let replies = fixture.submit(&who, "A", "", "outside").await;
    let (problems, question) = replies[0].text.split_once("\n\n").unwrap();
    assert_eq!(
        problems,
        "Some answers need another look:\n\
         Name: That name is too short. Please give at least 2 characters.\n\
         Email: an email address is needed to sign this petition; it is never published.\n\
         Where you live: please type the name of the country you live in."
    );
    assert!(question.starts_with("What name should appear"));
    let replies = fixture.submit(&who, "Ann Lee", "ann@example.org", "Wales").await;
    assert!(replies[0].text.starts_with(
        "Some answers need another look:\nWhere you live: that's in the UK, so please give your postcode, such as SW1A 1AA."
    ));
    let form = replies[0].form.as_ref().unwrap();
    assert_eq!(
        (form.name.as_str(), form.email.as_str(), form.location.as_str()),
        ("Ann Lee", "ann@example.org", "")
    );
    let replies = fixture.submit(&who, "Ann Lee", "ann@example.org", "Atlantis").await;
    assert!(replies[0].text.contains(
        "Where you live: that isn't a UK postcode or a country I recognise. Type a postcode such as SW1A 1AA, or the name of your country."
    ));
}

#[tokio::test]
async fn a_valid_form_goes_straight_to_consent_with_a_postcode_or_a_country() {
    let fixture = TestApp::sqlite().await;
    for (who, location, kept) in [(discord(1), "SW1A 1AA", "SW1A"), (discord(2), "france", "France")] {
        let replies = fixture
            .submit(&who, "Ann Lee", &format!("ann{}@example.org", who.user_id), location)
            .await;
        assert!(
            replies[0].text.ends_with("Do you give this consent? (yes or no)"),
            "{}",
            replies[0].text
        );
        assert!(replies[0].form.is_none());
        let location = fixture.conversation(&who).await.unwrap().draft.location.unwrap();
        assert_eq!(location.district().or(location.country()), Some(kept));
    }
}

#[tokio::test]
async fn the_same_email_from_another_account_is_refused_without_saying_when_or_where() {
    let fixture = TestApp::sqlite().await;
    fixture
        .sign(&telegram(1), "Ann Lee", "ann@example.org", "SE1 7PB")
        .await;
    let refused = fixture
        .sign(&discord(2), "Someone Else", "Ann@Example.org", "N1 9GU")
        .await;
    assert_eq!(
        refused[0].text,
        "That email address has already been used to sign this petition. Each person can sign once, so nothing new was stored and what you typed has been discarded."
    );
    assert!(
        fixture.conversation(&discord(2)).await.is_none(),
        "what they typed is discarded"
    );
    assert_eq!(fixture.total().await, 1);
}

#[tokio::test]
async fn a_signature_racing_an_earlier_one_from_the_same_account_is_refused_with_when_and_where() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    fixture.fill_in(&who, "Ann Lee", "ann@example.org", "SE1 7PB").await;
    let at_review = fixture.storage.load_conversation(&who).await.unwrap().unwrap();
    fixture.say(&who, "confirm").await;
    // A second chat of the same account, at the review before the first signed.
    fixture
        .storage
        .save_conversation(&who, &at_review, start_of_test())
        .await
        .unwrap();
    let refused = fixture.say(&who, "confirm").await;
    assert_eq!(
        refused[0].text,
        "You have already signed this petition, on 3 November 2026 on Telegram. Each person can sign once, so nothing new was stored and what you typed has been discarded."
    );
    assert_eq!(fixture.total().await, 1);
}

#[tokio::test]
async fn signing_attempts_over_the_daily_limit_are_refused_until_the_oldest_is_a_day_old() {
    let fixture = TestApp::sqlite_with_campaign(|campaign| campaign.limits.signing_attempts_per_day = 2).await;
    fixture
        .sign(&telegram(1), "Ann Lee", "ann@example.org", "SE1 7PB")
        .await;
    let prober = telegram(2);
    for _ in 0..2 {
        let refused = fixture.sign(&prober, "Bo Lee", "ann@example.org", "N1 9GU").await;
        assert!(refused[0].text.starts_with("That email address has already been used"));
        fixture.clock.advance(chrono::Duration::hours(1));
    }
    let refused = fixture.sign(&prober, "Bo Lee", "bo@example.org", "N1 9GU").await;
    assert_eq!(
        refused[0].text,
        "You have tried to sign several times today, so I can't take another attempt yet. Please try again in 22 hours."
    );
    assert_eq!(
        fixture.conversation(&prober).await.unwrap().step,
        Step::Review,
        "the answers are kept"
    );
    fixture.clock.advance(chrono::Duration::hours(23));
    assert!(
        fixture.say(&prober, "confirm").await[0]
            .text
            .starts_with("Thank you, Bo Lee!")
    );
}

#[tokio::test]
async fn an_answer_dropped_as_it_loaded_is_asked_for_at_confirm_instead_of_signing() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    // Saved by a version whose name rule let this through.
    let saved = r#"{"campaign":"keep-the-unit-open","step":"review","draft":{"name":"=Ann","email":{"given":"ann@example.org"},"location":{"district":"SE1"},"consent":{"at":"2026-11-03T14:00:00Z","version":1},"updates":false}}"#;
    fixture
        .storage
        .save_conversation(&who, saved, start_of_test())
        .await
        .unwrap();
    let replies = fixture.press(&who, "review.confirm").await;
    assert!(
        replies[0].text.starts_with("What name should appear"),
        "{}",
        replies[0].text
    );
    assert!(!fixture.has_signed(&who).await);
}
