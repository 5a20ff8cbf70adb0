//! A message's arrival: the per-person limit before anything is queued,
//! the welcome in a surge, details in one message, and the question owed
//! to someone whose last reply was lost.

use super::*;
use crate::conversation::{Arrival, Placement, Step};
use crate::pace::{Destination, Priority};

/// Fills the Telegram pace's queue with `replies` replies waiting for their
/// turn, as in a surge; they wait until the returned tasks are dropped.
async fn surge_of(engine: &Engine, replies: i64) -> Vec<tokio::task::JoinHandle<()>> {
    let pace = engine.pace(Platform::Telegram).unwrap().clone();
    let waiting: Vec<_> = (0..replies)
        .map(|chat| {
            let pace = pace.clone();
            tokio::spawn(async move {
                let _turn = pace.turn(Destination::Private(chat), Priority::Reply).await;
                // Held, as a send that never comes back would hold it.
                std::future::pending::<()>().await;
            })
        })
        .collect();
    while pace.waiting(Priority::Reply) + 30 < replies as usize {
        tokio::task::yield_now().await;
    }
    waiting
}

#[tokio::test]
async fn in_a_surge_the_welcome_says_so_first() {
    let fixture = TestApp::sqlite().await;
    let quiet = fixture.start(&telegram(1), None).await;
    assert!(!quiet[0].text.contains("Lots of people"), "{}", quiet[0].text);
    let surge = surge_of(&fixture.engine, 400).await;
    let welcome = fixture.start(&telegram(2), None).await;
    assert!(
        welcome[0]
            .text
            .starts_with("Lots of people are signing right now, so my replies may take a little while."),
        "{}",
        welcome[0].text
    );
    assert!(welcome[0].text.contains("Keep the human trafficking unit open"));
    // Discord's pace is another bot's: no surge there.
    let on_discord = fixture.start(&discord(3), None).await;
    assert!(!on_discord[0].text.contains("Lots of people"));
    surge.iter().for_each(tokio::task::JoinHandle::abort);
}

#[tokio::test]
async fn in_a_surge_the_welcome_offers_the_form_first_where_there_is_one() {
    let fixture = TestApp::sqlite_with(|settings| {
        settings.web.listen = "127.0.0.1:0".to_owned();
        settings.web.public_url = "https://petition.example.org".to_owned();
    })
    .await;
    let surge = surge_of(&fixture.engine, 400).await;
    let welcome = fixture
        .engine
        .handle(Incoming::private(telegram(1), Input::Start { payload: None }))
        .await;
    assert!(
        welcome[0]
            .text
            .starts_with("Lots of people are signing right now: sign in one step here, with the form."),
        "{}",
        welcome[0].text
    );
    assert_eq!(
        welcome[0].form_app.as_deref(),
        Some("https://petition.example.org/keep-the-unit-open/app")
    );
    surge.iter().for_each(tokio::task::JoinHandle::abort);
}

#[tokio::test]
async fn name_email_and_postcode_in_one_message_lead_straight_to_consent() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    let welcome = fixture.start(&who, None).await;
    assert!(welcome[0].takes_details, "the welcome may be answered with them");
    let consent = fixture.say(&who, "Ada Lovelace\nada@example.org\nSW1A 1AA").await;
    assert!(
        consent[0].text.ends_with("Do you give this consent? (yes or no)"),
        "{}",
        consent[0].text
    );
    let conversation = fixture.conversation(&who).await.unwrap();
    assert_eq!(conversation.step, Step::Consent);
    assert_eq!(conversation.draft.name.unwrap().as_str(), "Ada Lovelace");
    fixture.press(&who, "consent.yes").await;
    fixture.press(&who, "updates.no").await;
    let thanks = fixture.press(&who, "review.confirm").await;
    assert!(
        thanks[0].text.starts_with("Thank you, Ada Lovelace!"),
        "{}",
        thanks[0].text
    );
    assert!(fixture.has_signed(&who).await);
}

#[tokio::test]
async fn details_with_a_mistake_keep_the_rest_and_ask_for_what_is_wrong() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    fixture.start(&who, None).await;
    let asked = fixture.say(&who, "Ada Lovelace, not-an-email@, SW1A 1AA").await;
    assert!(asked[0].text.contains("Email:"), "{}", asked[0].text);
    assert!(
        asked[0].text.contains("What is your email address?"),
        "{}",
        asked[0].text
    );
    let conversation = fixture.conversation(&who).await.unwrap();
    assert_eq!(conversation.step, Step::Email);
    assert!(conversation.draft.name.is_some() && conversation.draft.location.is_some());
}

#[tokio::test]
async fn a_name_typed_at_the_name_question_is_still_a_name() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    fixture.start(&who, None).await;
    fixture.press(&who, "welcome.sign").await;
    let email = fixture.say(&who, "Ada Lovelace").await;
    assert!(email[0].text.contains("email address"), "{}", email[0].text);
}

#[tokio::test]
async fn a_press_on_old_buttons_after_a_lost_reply_gets_the_current_question_in_their_place() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    fixture.start(&who, None).await;
    fixture.press(&who, "welcome.sign").await;
    // The name question never reached them: the adapter says so.
    fixture.engine.note_undelivered(&who);
    let replies = fixture.press(&who, "welcome.sign").await;
    assert_eq!(replies.len(), 2, "{replies:?}");
    assert_eq!(replies[0].placement, Placement::Notice);
    assert_eq!(replies[1].placement, Placement::InPlaceOfChoice);
    assert!(
        replies[1].text.starts_with("What name should appear"),
        "{}",
        replies[1].text
    );
    assert_eq!(buttons(&replies[1..]), ["name.cancel"], "live buttons");
    // Owed once: the next stale press is only told the choice expired.
    let again = fixture.press(&who, "welcome.sign").await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].placement, Placement::Notice);
}

#[tokio::test]
async fn an_answer_settles_what_was_owed() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    fixture.start(&who, None).await;
    fixture.press(&who, "welcome.sign").await;
    fixture.engine.note_undelivered(&who);
    fixture.say(&who, "help").await;
    let stale = fixture.press(&who, "welcome.sign").await;
    assert_eq!(stale.len(), 1, "the help carried the question: {stale:?}");
}

#[tokio::test]
async fn a_flood_is_refused_on_arrival_and_what_was_admitted_is_not_counted_twice() {
    let fixture = TestApp::sqlite_with_campaign(|campaign| {
        campaign.limits.message_burst = 3;
        campaign.limits.messages_per_minute = 1;
    })
    .await;
    let flooder = telegram(1);
    let arrivals: Vec<Arrival> = (0..10).map(|_| fixture.engine.admit(&flooder)).collect();
    assert_eq!(arrivals[..3], [Arrival::Queue, Arrival::Queue, Arrival::Queue]);
    assert!(
        matches!(&arrivals[3], Arrival::SlowDown(reply) if reply.text.contains("faster than I can answer")),
        "{:?}",
        arrivals[3]
    );
    assert!(arrivals[4..].iter().all(|arrival| *arrival == Arrival::Drop));
    // The three queued are handled, each counted once, on arrival.
    for _ in 0..3 {
        let replies = fixture.start(&flooder, None).await;
        assert!(replies[0].text.contains("Keep the human trafficking unit open"));
    }
    assert!(
        fixture.start(&telegram(2), None).await[0]
            .text
            .contains("Keep the human"),
        "others are served"
    );
}
