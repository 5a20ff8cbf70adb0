//! Whole signing conversations through the engine, on SQLite and PostgreSQL.

mod once;
mod resuming;

use crate::support;

use crate::support::on_both_databases;
use crate::support::{TestApp, choice_data, console, discord, telegram, text_of};
use petition::conversation::{Link, Step, Visibility};

#[on_both_databases]
async fn a_complete_signing_is_stored_with_its_consent_and_counted(app: TestApp) {
    let ada = telegram(1);
    let welcome = text_of(&app.start(&ada, None).await);
    assert!(welcome.contains("Keep the human trafficking unit open"));
    assert!(welcome.contains("the Commissioner of the Metropolitan Police and the Mayor of London"));
    assert!(welcome.contains("0 of 10,000 signatures"));

    assert!(text_of(&app.say(&ada, "sign").await).contains("What name"));
    assert!(text_of(&app.say(&ada, "  Ada   Lovelace ").await).contains("email address"));
    assert!(text_of(&app.say(&ada, "Ada.Lovelace+petition@GoogleMail.com").await).contains("postcode"));
    let consent = text_of(&app.say(&ada, "sw1a 1aa").await);
    assert!(consent.contains("explicit consent"), "{consent}");
    assert!(text_of(&app.say(&ada, "YES").await).contains("updates about this campaign"));
    let review = text_of(&app.say(&ada, "yes please").await);
    assert!(review.contains("Name: Ada Lovelace"), "{review}");
    assert!(review.contains("Email: adalovelace@gmail.com"), "{review}");
    assert!(review.contains("Where: SW1A"), "{review}");
    assert!(review.contains("Updates: yes"), "{review}");

    let thanks = app.say(&ada, "Confirm").await;
    let text = text_of(&thanks);
    assert!(text.contains("Thank you, Ada Lovelace"), "{text}");
    assert!(text.contains("1 of 10,000 signatures"), "{text}");
    let Some(Link::Share { payload, code }) = &thanks[0].link else {
        panic!("the thank-you carries a share link: {thanks:?}");
    };
    assert_eq!(payload, &format!("keep-the-unit-open__{code}"));
    assert!(text.contains(code.as_str()));

    assert_eq!(app.total().await, 1);
    let stored = app.storage.signature_of(&app.campaign(), &ada).await.unwrap().unwrap();
    assert_eq!(stored.name.as_str(), "Ada Lovelace");
    assert_eq!(stored.email.unwrap().as_str(), "adalovelace@gmail.com");
    assert_eq!(stored.location.district(), Some("SW1A"));
    assert!(stored.updates_opt_in);
    assert_eq!(stored.consent_version, 2);
    assert_eq!(stored.consent_at, support::test_start());
    assert_eq!(stored.created_at, support::test_start());
    assert_eq!(stored.share_code.as_str(), code);
    assert!(
        app.conversation(&ada).await.is_none(),
        "a finished conversation is cleaned up"
    );
}

#[on_both_databases]
async fn signing_by_buttons_works_like_typing(app: TestApp) {
    let bob = discord(2);
    let welcome = app.start(&bob, None).await;
    assert_eq!(
        choice_data(&welcome),
        ["welcome.sign", "welcome.article", "welcome.privacy"]
    );
    app.press(&bob, "welcome.sign").await;
    app.say(&bob, "Bob Marley").await;
    app.say(&bob, "bob@example.org").await;
    let outside = app.press(&bob, "postcode.outside").await;
    assert!(text_of(&outside).contains("Which country"));
    app.say(&bob, "Jamaica").await;
    app.press(&bob, "consent.yes").await;
    let review = app.press(&bob, "updates.no").await;
    assert!(text_of(&review).contains("Where: Jamaica"));
    let thanks = app.press(&bob, "review.confirm").await;
    assert!(text_of(&thanks).contains("Thank you, Bob Marley"));
    assert_eq!(app.total().await, 1);
}

/// Asserts the reply explains `why` and asks the same question again, and
/// that the conversation stayed at `step` with nothing new in the draft.
async fn assert_re_asked(app: &TestApp, who: &petition::domain::Identity, answer: &str, why: &str, step: Step) {
    let before = app.conversation(who).await.expect("a conversation is open");
    let replies = app.say(who, answer).await;
    let text = text_of(&replies);
    assert!(
        text.contains(why),
        "answer {answer:?} should be explained with {why:?}, got {text}"
    );
    let after = app.conversation(who).await.expect("still open");
    assert_eq!(after.step, step, "answer {answer:?} must not advance");
    assert_eq!(after.draft, before.draft, "answer {answer:?} must change nothing");
}

#[on_both_databases]
async fn invalid_names_are_explained_and_asked_again(app: TestApp) {
    let who = telegram(3);
    app.start(&who, None).await;
    app.say(&who, "sign").await;
    let long = "a".repeat(101);
    for (name, why) in [
        ("A", "too short"),
        (long.as_str(), "too long"),
        ("12345", "at least one letter"),
        ("Ann\u{0007}Lee", "hidden or control characters"),
        ("Ann\u{202E}eeL", "hidden or control characters"),
        ("An\u{200B}n", "hidden or control characters"),
        ("https://spam.example", "link"),
        ("Ann from www.spam", "link"),
        ("=HYPERLINK(\"x\")", "cannot start with"),
        ("+Ann", "cannot start with"),
        ("-Ann", "cannot start with"),
        ("@Ann", "cannot start with"),
    ] {
        assert_re_asked(&app, &who, name, why, Step::Name).await;
    }
    let replies = app.say(&who, "A").await;
    assert!(
        text_of(&replies).contains("What name should appear"),
        "the same question is asked again"
    );
    assert!(text_of(&app.say(&who, "Ann Lee").await).contains("email"));
}

#[on_both_databases]
async fn invalid_emails_are_explained_and_asked_again(app: TestApp) {
    let who = telegram(4);
    app.start(&who, None).await;
    app.say(&who, "sign").await;
    app.say(&who, "Ann Lee").await;
    for email in [
        "ann",
        "ann@",
        "@example.org",
        "ann@example",
        "ann lee@example.org",
        "ann@@example.org",
        "ann..lee@example.org",
    ] {
        assert_re_asked(&app, &who, email, "doesn't look like an email address", Step::Email).await;
    }
    assert_re_asked(&app, &who, "skip", "email address is needed", Step::Email).await;
}

#[on_both_databases]
async fn invalid_postcodes_and_countries_are_explained_and_asked_again(app: TestApp) {
    let who = telegram(5);
    app.start(&who, None).await;
    app.say(&who, "sign").await;
    app.say(&who, "Ann Lee").await;
    app.say(&who, "ann@example.org").await;
    for postcode in ["12345", "SW1A 1AAA", "QA1 1AA", "hello there"] {
        assert_re_asked(&app, &who, postcode, "doesn't look like a UK postcode", Step::Postcode).await;
    }
    app.say(&who, "outside").await;
    assert_re_asked(&app, &who, "France!!!", "only contain letters", Step::Country).await;
    assert_re_asked(&app, &who, "1", "name of the country", Step::Country).await;
    assert_re_asked(&app, &who, "United Kingdom", "postcode instead", Step::Postcode).await;
}

#[on_both_databases]
async fn choice_steps_re_ask_when_the_answer_is_not_a_choice(app: TestApp) {
    let who = telegram(6);
    app.start(&who, None).await;
    app.say(&who, "sign").await;
    app.say(&who, "Ann Lee").await;
    app.say(&who, "ann@example.org").await;
    app.say(&who, "N1 9GU").await;
    assert_re_asked(&app, &who, "maybe later", "didn't understand", Step::Consent).await;
    app.say(&who, "yes").await;
    assert_re_asked(&app, &who, "perhaps", "didn't understand", Step::Updates).await;
}

#[on_both_databases]
async fn supporters_outside_the_uk_give_a_country(app: TestApp) {
    let who = console("abroad");
    app.start(&who, None).await;
    app.say(&who, "sign").await;
    app.say(&who, "Marie Curie").await;
    app.say(&who, "marie@example.fr").await;
    app.say(&who, "I live outside the UK").await;
    app.say(&who, "  France ").await;
    app.say(&who, "yes").await;
    app.say(&who, "no").await;
    app.say(&who, "confirm").await;
    let stored = app.storage.signature_of(&app.campaign(), &who).await.unwrap().unwrap();
    assert_eq!(stored.location.country(), Some("France"));
    assert_eq!(stored.location.district(), None);
}

#[on_both_databases]
async fn cancel_discards_everything_typed(app: TestApp) {
    let who = telegram(7);
    app.start(&who, None).await;
    app.say(&who, "sign").await;
    app.say(&who, "Ann Lee").await;
    app.say(&who, "ann@example.org").await;
    let cancelled = text_of(&app.say(&who, "CANCEL").await);
    assert!(cancelled.contains("Nothing you typed has been kept"), "{cancelled}");
    assert!(app.conversation(&who).await.is_none());
    assert_eq!(app.total().await, 0);
    let data = text_of(&app.say(&who, "mydata").await);
    assert!(data.contains("We hold nothing about you"), "{data}");
    assert!(!data.contains("ann@example.org"));
}

#[on_both_databases]
async fn back_returns_to_the_previous_question_keeping_answers(app: TestApp) {
    let who = telegram(8);
    app.start(&who, None).await;
    app.say(&who, "sign").await;
    app.say(&who, "Ann Lee").await;
    app.say(&who, "ann@example.org").await;
    let back = text_of(&app.say(&who, "back").await);
    assert!(
        back.contains("email address"),
        "back from the postcode asks for the email: {back}"
    );
    let back = text_of(&app.say(&who, "back").await);
    assert!(back.contains("What name"), "{back}");
    let kept = app.conversation(&who).await.unwrap();
    assert_eq!(kept.draft.name.as_deref(), Some("Ann Lee"));
    assert_eq!(kept.draft.email_address(), Some("ann@example.org"));
    app.say(&who, "Ann B. Lee").await;
    // The email was already given, so the postcode comes next.
    assert!(text_of(&app.say(&who, "SE1 7PB").await).contains("explicit consent"));
    app.say(&who, "yes").await;
    app.say(&who, "no").await;
    let review = text_of(&app.say(&who, "back").await);
    assert!(
        review.contains("updates about this campaign"),
        "back from the review: {review}"
    );
}

#[on_both_databases]
async fn a_field_changed_at_the_review_returns_to_the_review(app: TestApp) {
    let who = telegram(9);
    app.start(&who, None).await;
    app.say(&who, "sign").await;
    app.say(&who, "Ann Lee").await;
    app.say(&who, "ann@example.org").await;
    app.say(&who, "SE1 7PB").await;
    app.say(&who, "yes").await;
    app.say(&who, "no").await;
    let change = app.say(&who, "change").await;
    assert!(text_of(&change).contains("What would you like to change"));
    assert!(choice_data(&change).contains(&"change.postcode".to_owned()));
    app.press(&who, "change.postcode").await;
    let review = text_of(&app.say(&who, "M1 1AE").await);
    assert!(review.contains("Please check your signature"), "{review}");
    assert!(review.contains("Where: M1 "), "{review}");
    app.say(&who, "change").await;
    app.say(&who, "name").await;
    let review = text_of(&app.say(&who, "Ann Lee-Smith").await);
    assert!(review.contains("Name: Ann Lee-Smith"), "{review}");
    app.say(&who, "confirm").await;
    assert_eq!(app.total().await, 1);
}

#[on_both_databases]
async fn declining_consent_stores_nothing_and_asks_again(app: TestApp) {
    let who = telegram(10);
    app.start(&who, None).await;
    app.say(&who, "sign").await;
    app.say(&who, "Ann Lee").await;
    app.say(&who, "ann@example.org").await;
    app.say(&who, "SE1 7PB").await;
    let declined = text_of(&app.say(&who, "no").await);
    assert!(
        declined.contains("without your consent we can't add your signature"),
        "{declined}"
    );
    assert_eq!(app.conversation(&who).await.unwrap().step, Step::Consent);
    assert_eq!(app.total().await, 0);
}

#[on_both_databases]
async fn a_restart_mid_conversation_resumes_where_the_supporter_left_off(app: TestApp) {
    let who = telegram(16);
    app.start(&who, Some("keep-the-unit-open__ABCDEFGH")).await;
    app.say(&who, "sign").await;
    app.say(&who, "Ann Lee").await;
    app.say(&who, "ann@example.org").await;
    let app = app.restart().await;
    let consent = text_of(&app.say(&who, "SE1 7PB").await);
    assert!(
        consent.contains("explicit consent"),
        "resumed at the postcode: {consent}"
    );
    app.say(&who, "yes").await;
    let review = text_of(&app.say(&who, "no").await);
    assert!(
        review.contains("Name: Ann Lee"),
        "answers from before the restart are kept: {review}"
    );
    app.say(&who, "confirm").await;
    let stored = app.storage.signature_of(&app.campaign(), &who).await.unwrap().unwrap();
    assert_eq!(
        stored.referral_code.unwrap().as_str(),
        "ABCDEFGH",
        "the referral survives too"
    );
}

#[on_both_databases]
async fn many_concurrent_signings_all_land_exactly_once(app: TestApp) {
    let app = std::sync::Arc::new(app);
    let people = 120u64;
    let mut tasks = Vec::new();
    for n in 0..people {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let who = telegram(100_000 + n);
            app.start(&who, None).await;
            app.say(&who, "sign").await;
            app.say(&who, &format!("Signer Number{n}")).await;
            app.say(&who, &format!("signer{n}@example.org")).await;
            app.say(&who, "SE1 7PB").await;
            app.say(&who, "yes").await;
            app.say(&who, "no").await;
            // A double tap on confirm, as from a flaky connection.
            let (first, second) = tokio::join!(app.press(&who, "review.confirm"), app.press(&who, "review.confirm"));
            [first, second].concat()
        }));
    }
    // Meanwhile, the same email from many other identities at once.
    for n in 0..10u64 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let who = discord(900_000 + n);
            app.sign(&who, "Same Person", "same.person@example.org", "N1 9GU").await
        }));
    }
    let mut thanked = 0;
    for task in tasks {
        let replies = task.await.expect("no task panics");
        if text_of(&replies).contains("Thank you") {
            thanked += 1;
        }
    }
    assert_eq!(thanked, people + 1, "each person is thanked exactly once");
    assert_eq!(app.total().await, people + 1);
    let rows = app.storage.export(&app.campaign()).await.unwrap();
    assert_eq!(rows.len() as u64, people + 1);
    let stats = petition::organiser::stats(
        app.storage.as_ref(),
        app.settings.campaigns.default_campaign(),
        support::test_start().date_naive(),
    )
    .await
    .unwrap();
    assert_eq!(stats.total, people + 1);
}

#[on_both_databases]
async fn a_stale_or_forged_button_changes_nothing(app: TestApp) {
    let who = telegram(17);
    app.start(&who, None).await;
    app.say(&who, "sign").await;
    app.say(&who, "Ann Lee").await;
    for data in [
        "review.confirm",
        "consent.yes",
        "welcome.sign",
        "nonsense",
        "email.skip.extra",
        "",
    ] {
        let before = app.conversation(&who).await;
        let replies = app.press(&who, data).await;
        assert!(text_of(&replies).contains("That choice has expired"), "{data:?}");
        assert_eq!(app.conversation(&who).await, before, "{data:?} changed nothing");
    }
    // Buttons that only show something still work from old messages.
    assert!(text_of(&app.press(&who, "welcome.privacy").await).contains("Privacy"));
    assert_eq!(app.total().await, 0);
}

#[on_both_databases]
async fn a_share_code_link_credits_the_referrer(app: TestApp) {
    let referrer = telegram(18);
    let thanks = app.sign(&referrer, "Ref Errer", "ref@example.org", "SE1 7PB").await;
    let Some(Link::Share { payload, code }) = thanks[0].link.clone() else {
        panic!("a share link");
    };
    for n in 0..3 {
        let friend = discord(50 + n);
        app.start(&friend, Some(&payload)).await;
        app.say(&friend, "sign").await;
        app.say(&friend, "Friend Person").await;
        app.say(&friend, &format!("friend{n}@example.org")).await;
        app.say(&friend, "N1 9GU").await;
        app.say(&friend, "yes").await;
        app.say(&friend, "no").await;
        app.say(&friend, "confirm").await;
    }
    // A malformed payload is ignored with a friendly start.
    let stranger = discord(99);
    let welcome = text_of(&app.start(&stranger, Some("no such thing!")).await);
    assert!(welcome.contains("Keep the human trafficking unit open"));

    let stats = petition::organiser::stats(
        app.storage.as_ref(),
        app.settings.campaigns.default_campaign(),
        support::test_start().date_naive(),
    )
    .await
    .unwrap();
    assert_eq!(stats.top_referral_codes, vec![petition::storage::Tally::new(code, 3)]);
}

#[on_both_databases]
async fn mydata_shows_exactly_what_is_stored(app: TestApp) {
    let who = telegram(19);
    app.start(&who, None).await;
    app.say(&who, "sign").await;
    app.say(&who, "Ann Lee").await;
    let draft = text_of(&app.say(&who, "mydata").await);
    assert!(draft.contains("Answers you are still typing"), "{draft}");
    assert!(draft.contains("Name: Ann Lee"), "{draft}");
    app.say(&who, "ann@example.org").await;
    app.say(&who, "SE1 7PB").await;
    app.say(&who, "yes").await;
    app.say(&who, "yes").await;
    app.say(&who, "confirm").await;
    let data = text_of(&app.say(&who, "My Data").await);
    for expected in [
        "Name: Ann Lee",
        "Email: ann@example.org",
        "Where: SE1 (UK postcode district)",
        "Updates: yes",
        "wording version 2",
        "3 November 2026 at 14:00 UTC",
        "Your account: 19 on Telegram",
    ] {
        assert!(data.contains(expected), "mydata lacks {expected:?}: {data}");
    }
    assert_eq!(app.say(&who, "mydata").await[0].visibility, Visibility::Private);
}

#[on_both_databases]
async fn status_says_whether_and_when_someone_signed(app: TestApp) {
    let who = telegram(20);
    let before = text_of(&app.say(&who, "/status").await);
    assert!(before.contains("You haven't signed"), "{before}");
    app.sign(&who, "Ann Lee", "ann@example.org", "SE1 7PB").await;
    let after = text_of(&app.say(&who, "status").await);
    assert!(after.contains("You signed"), "{after}");
    assert!(after.contains("3 November 2026 on Telegram"), "{after}");
}

#[on_both_databases]
async fn abandoned_conversations_are_deleted_after_the_configured_time(app: TestApp) {
    let who = telegram(21);
    app.start(&who, None).await;
    app.say(&who, "sign").await;
    app.say(&who, "Ann Lee").await;
    app.clock.advance(chrono::Duration::hours(23));
    assert_eq!(app.engine.forget_abandoned_conversations().await.unwrap(), 0);
    assert!(app.conversation(&who).await.is_some());
    app.clock.advance(chrono::Duration::hours(2));
    assert_eq!(app.engine.forget_abandoned_conversations().await.unwrap(), 1);
    assert!(app.conversation(&who).await.is_none());
}

#[on_both_databases]
async fn article_and_privacy_can_be_read_mid_conversation_without_losing_the_place(app: TestApp) {
    let who = telegram(22);
    app.start(&who, None).await;
    app.say(&who, "sign").await;
    app.say(&who, "Ann Lee").await;
    let article = app.say(&who, "article").await;
    assert!(article[0].text.contains("The issue of human trafficking was raised"));
    assert!(article[0].text.contains("much-needed unit."));
    assert!(
        !article[0].text.contains("LabourList"),
        "web page debris is never shown"
    );
    assert!(
        text_of(&article[1..]).contains("email address"),
        "the open question is asked again"
    );
    let privacy = app.say(&who, "privacy").await;
    assert!(privacy[0].text.contains("what we keep"));
    assert_eq!(app.conversation(&who).await.unwrap().step, Step::Email);
}

#[on_both_databases]
async fn a_uk_nation_given_as_the_country_leads_back_to_the_postcode_question(app: TestApp) {
    let who = telegram(23);
    app.start(&who, None).await;
    app.say(&who, "sign").await;
    app.say(&who, "Ann Lee").await;
    app.say(&who, "ann@example.org").await;
    for country in [
        "United Kingdom",
        "UK",
        "England",
        "great britain",
        "Scotland",
        "Wales",
        "Northern Ireland",
    ] {
        let asked = text_of(&app.say(&who, "outside").await);
        assert!(asked.contains("Which country"), "{asked}");
        let steered = app.say(&who, country).await;
        let text = text_of(&steered);
        assert!(
            text.contains("That's in the UK, so please give your postcode"),
            "{country}: {text}"
        );
        assert!(text.contains("What is your UK postcode?"), "{country}: {text}");
        assert!(
            choice_data(&steered).contains(&"postcode.outside".to_owned()),
            "{country}: the postcode question's own choices are offered"
        );
        let now = app.conversation(&who).await.unwrap();
        assert_eq!(now.step, Step::Postcode, "{country}");
        assert_eq!(now.draft.location, None, "{country}: nothing is stored as the country");
    }
    assert!(text_of(&app.say(&who, "SE1 7PB").await).contains("explicit consent"));
    app.say(&who, "yes").await;
    app.say(&who, "no").await;
    app.say(&who, "confirm").await;
    let stored = app.storage.signature_of(&app.campaign(), &who).await.unwrap().unwrap();
    assert_eq!(stored.location.district(), Some("SE1"));
}

#[on_both_databases]
async fn a_forces_address_is_kept_as_bfpo_in_the_count_stats_and_export(app: TestApp) {
    let who = telegram(24);
    app.start(&who, None).await;
    app.say(&who, "sign").await;
    app.say(&who, "Ann Lee").await;
    app.say(&who, "ann@example.org").await;
    let consent = text_of(&app.say(&who, "bfpo 1234").await);
    assert!(consent.contains("explicit consent"), "{consent}");
    app.say(&who, "yes").await;
    let review = text_of(&app.say(&who, "no").await);
    assert!(review.contains("Where: BFPO (British Forces Post Office)"), "{review}");
    assert!(!review.contains("1234"), "the unit's number is not kept: {review}");
    assert!(text_of(&app.say(&who, "confirm").await).contains("Thank you, Ann Lee"));
    app.sign(&telegram(25), "Bob Lee", "bob@example.org", "BFPO 57").await;
    assert_eq!(app.total().await, 2);

    let stored = app.storage.signature_of(&app.campaign(), &who).await.unwrap().unwrap();
    assert_eq!(stored.location.district(), Some("BFPO"));
    let data = text_of(&app.say(&who, "mydata").await);
    assert!(data.contains("Where: BFPO (British Forces Post Office)"), "{data}");
    let stats = petition::organiser::stats(
        app.storage.as_ref(),
        app.settings.campaigns.default_campaign(),
        support::test_start().date_naive(),
    )
    .await
    .unwrap();
    assert_eq!(stats.by_district, vec![petition::storage::Tally::new("BFPO", 2)]);
    let rows = app.storage.export(&app.campaign()).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|row| row.postcode_district.as_deref() == Some("BFPO")));
}
