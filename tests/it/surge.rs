//! The Telegram bot at Telegram's real limits, against the fake Bot API
//! that enforces them (a 429 with `retry_after` past 30 calls a second, one
//! a second in a chat, twenty a minute in a group): nothing is dropped on a
//! 429, nobody is left on stale buttons, a flood holds up nobody else, and
//! the bot never goes over.

use std::sync::Arc;
use std::time::Duration;

use crate::support::TestApp;
use crate::support::fake_telegram::{FakeTelegram, TOKEN};
use crate::support::on_both_databases;
use petition::telegram::{Delivery, TelegramBot};
use teloxide::Bot;

async fn spawn_polling(app: &TestApp, fake: &FakeTelegram) -> TelegramBot {
    TelegramBot::spawn(
        Bot::new(TOKEN).set_api_url(fake.url.clone()),
        app.engine.clone(),
        &[],
        Delivery::LongPolling,
    )
    .await
    .expect("the bot starts against the fake")
}

#[on_both_databases]
async fn a_rate_limited_edit_and_send_are_waited_out_and_delivered(app: TestApp) {
    let fake = FakeTelegram::start().await;
    let bot = spawn_polling(&app, &fake).await;
    let user = 901;
    let welcome = fake.say(user, "/start").await;
    fake.rate_limit_next("editMessageText", 1, 2);
    let name = fake.press(user, &welcome, "welcome.sign").await;
    assert_eq!(
        name.method, "editMessageText",
        "the press's answer still replaces its message"
    );
    assert!(name.text.contains("What name"), "{}", name.text);
    let edits = fake.calls_of("editMessageText");
    assert_eq!(edits.len(), 2, "one refused attempt, then the edit");
    assert_eq!((edits[0].status, edits[1].status), (429, 200));
    assert!(
        edits[1].at.duration_since(edits[0].at) >= Duration::from_secs(2),
        "the edit waited for retry_after"
    );
    fake.rate_limit_next("sendMessage", 1, 1);
    let email = fake.say(user, "Ada Lovelace").await;
    assert!(email.text.contains("email address"), "{}", email.text);
    let sends = fake.calls_of("sendMessage");
    assert_eq!(
        sends.iter().map(|c| c.status).collect::<Vec<_>>(),
        [200, 429, 200],
        "the welcome, then a refused attempt, then the question"
    );
    bot.stop().await;
}

#[on_both_databases]
async fn a_press_on_stale_buttons_after_a_lost_reply_gets_the_current_question(app: TestApp) {
    let fake = FakeTelegram::start().await;
    let bot = spawn_polling(&app, &fake).await;
    let user = 902;
    let welcome = fake.say(user, "/start").await;
    // Telegram fails the answer to the press, and the message sent in its
    // place: the saved step has moved on, the screen has not.
    fake.fail_next("editMessageText", 1);
    fake.fail_next("sendMessage", 1);
    fake.user_presses(user, &welcome, "welcome.sign");
    fake.wait_for_calls("sendMessage", 2).await;
    // They press the only buttons they see, now stale.
    let question = fake.press(user, &welcome, "welcome.sign").await;
    assert_eq!(question.method, "editMessageText");
    assert_eq!(question.message_id, welcome.message_id, "in place of the stale buttons");
    assert!(
        question.text.starts_with("What name should appear"),
        "{}",
        question.text
    );
    assert_eq!(question.buttons, [("Cancel".to_owned(), "name.cancel".to_owned())]);
    let answers = fake.calls_of("answerCallbackQuery");
    assert!(
        answers.last().unwrap().body["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("That choice has expired")),
        "{:?}",
        answers.last().unwrap().body
    );
    let email = fake.say(user, "Ada Lovelace").await;
    assert!(email.text.contains("email address"), "and on they go: {}", email.text);
    bot.stop().await;
}

#[on_both_databases]
async fn a_flood_from_one_account_holds_up_nobody_else(app: TestApp) {
    // The shipped per-person limits, not the tests' loosened ones.
    let app = app
        .restart_with(|settings| {
            let mut campaign = settings.campaigns.default_campaign().as_ref().clone();
            campaign.limits = Default::default();
            settings.campaigns.upsert(campaign);
        })
        .await;
    let fake = Arc::new(FakeTelegram::start().await);
    let bot = spawn_polling(&app, &fake).await;
    let flooder = 903u64;
    for n in 0..300 {
        fake.user_says(flooder, &format!("spam {n}"));
    }
    let others: Vec<u64> = (0..5).map(|n| 910 + n).collect();
    for other in &others {
        fake.user_says(*other, "/start");
    }
    for other in &others {
        let welcome = fake.next_reply(*other as i64).await;
        assert!(welcome.text.contains("Keep the human trafficking unit open"));
        // The flood's backlog waits at one reply a second in its own chat;
        // the others' welcomes went out before more than a few of them.
        let flooder_so_far = fake.outgoing(flooder as i64).len();
        assert!(
            flooder_so_far <= 3,
            "{flooder_so_far} replies to the flood went before another supporter's welcome"
        );
    }
    // The per-person limit acted on arrival: the burst is answered, the
    // flooder is told once to slow down, and the rest was never queued.
    let mut to_flooder = Vec::new();
    while let Some(reply) = fake.next_reply_within(flooder as i64, Duration::from_secs(5)).await {
        to_flooder.push(reply);
    }
    let told = to_flooder
        .iter()
        .filter(|m| m.text.contains("faster than I can answer"))
        .count();
    assert_eq!(told, 1, "told once to slow down");
    let burst = petition::campaign::LimitSettings::default().message_burst as usize;
    assert!(
        to_flooder.len() <= burst + 1 + 2,
        "{} replies to 300 messages: the limit's burst and the notice (and what refilled meanwhile)",
        to_flooder.len()
    );
    assert_eq!(fake.over_the_limit(), 0);
    bot.stop().await;
}

#[on_both_databases]
async fn many_supporters_at_once_never_take_the_bot_over_telegrams_limits(app: TestApp) {
    let fake = Arc::new(FakeTelegram::start().await);
    let bot = spawn_polling(&app, &fake).await;
    let signers: Vec<_> = (0..40u64)
        .map(|n| {
            let fake = fake.clone();
            tokio::spawn(async move {
                let user = 1_000 + n;
                fake.say(user, "/start").await;
                let consent = fake
                    .say(user, &format!("Ada Lovelace\nsigner{n}@example.org\nSW1A 1AA"))
                    .await;
                let updates = fake.press(user, &consent, "consent.yes").await;
                let review = fake.press(user, &updates, "updates.no").await;
                let thanks = fake.press(user, &review, "review.confirm").await;
                assert!(thanks.text.starts_with("Thank you"), "{}", thanks.text);
            })
        })
        .collect();
    for signer in signers {
        signer.await.unwrap();
    }
    assert_eq!(app.total().await, 40);
    assert_eq!(fake.over_the_limit(), 0, "the fake never had to refuse a call");
    let (overall, in_a_chat) = fake.most_in_one_second();
    assert!(overall <= 30, "{overall} calls in one second");
    assert!(in_a_chat <= 1, "{in_a_chat} calls in one second in one chat");
    // The queue and the wait are in /metrics.
    let metrics = petition::metrics::render();
    for series in [
        "petition_pace_waiting{platform=\"telegram\",priority=\"reply\"}",
        "petition_pace_wait_seconds_count{platform=\"telegram\",priority=\"reply\"}",
        "petition_pace_expected_wait_seconds{platform=\"telegram\"}",
    ] {
        assert!(metrics.contains(series), "{series} missing from {metrics}");
    }
    bot.stop().await;
}

#[on_both_databases]
async fn signing_in_one_message_takes_five_sends_and_edits(app: TestApp) {
    let fake = FakeTelegram::start().await;
    let bot = spawn_polling(&app, &fake).await;
    let user = 904;
    let welcome = fake.say(user, "/start").await;
    assert!(
        welcome
            .text
            .ends_with("To sign, press Sign the petition, or send your name, email address and postcode in one message, each on its own line."),
        "{}",
        welcome.text
    );
    let consent = fake.say(user, "Ada Lovelace\nada@example.org\nSW1A 1AA").await;
    assert!(consent.text.contains("explicit consent"), "{}", consent.text);
    let updates = fake.press(user, &consent, "consent.yes").await;
    let review = fake.press(user, &updates, "updates.no").await;
    assert!(review.text.contains("Name: Ada Lovelace"), "{}", review.text);
    let thanks = fake.press(user, &review, "review.confirm").await;
    assert!(thanks.text.starts_with("Thank you, Ada Lovelace!"), "{}", thanks.text);
    assert_eq!(fake.counted_calls().len(), 5, "two messages and three edits");
    assert_eq!(app.total().await, 1);
    bot.stop().await;
}
