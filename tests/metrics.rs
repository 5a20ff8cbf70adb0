//! `/metrics`' content after a real signing: the Telegram bot against the
//! fake Bot API on loopback, the real engine and database, and what
//! `petition::metrics::render` then shows (and never shows).

mod support;

use petition::telegram::{Delivery, TelegramBot};
use support::TestApp;
use support::fake_telegram::{FakeTelegram, Outgoing, TOKEN};
use teloxide::Bot;
use teloxide::requests::RequesterExt;

on_both_databases!(a_signing_through_telegram_is_counted_without_any_personal_data);

/// A Telegram user id no metric could show by chance.
const SIGNER: u64 = 73_120_948_331;
const NAME: &str = "Zebedee Quuxworth";
const EMAIL: &str = "zebedee.quuxworth@example.org";
const POSTCODE: &str = "SW1A 1AA";

async fn say(fake: &FakeTelegram, text: &str) -> Outgoing {
    fake.user_says(SIGNER, text);
    fake.next_reply(SIGNER as i64).await
}

async fn press(fake: &FakeTelegram, on: &Outgoing, data: &str) -> Outgoing {
    fake.user_presses(SIGNER, on, data);
    fake.next_reply(SIGNER as i64).await
}

/// The sum of a metric's samples whose labels include every one of `labels`.
fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, number) = line.rsplit_once(' ')?;
            let (metric, rest) = series.split_once('{').unwrap_or((series, "}"));
            let wanted = labels
                .iter()
                .all(|(label, v)| rest.contains(&format!("{label}=\"{v}\"")));
            (metric == name && wanted).then(|| number.parse::<f64>().unwrap())
        })
        .sum()
}

async fn a_signing_through_telegram_is_counted_without_any_personal_data(app: TestApp) {
    let fake = FakeTelegram::start().await;
    let bot = Bot::new(TOKEN)
        .set_api_url(fake.url.clone())
        .throttle(Default::default());
    let running = TelegramBot::spawn(bot, app.engine.clone(), &[], Delivery::LongPolling)
        .await
        .expect("the bot starts against the fake");

    let welcome = say(&fake, "/start").await;
    press(&fake, &welcome, "welcome.sign").await;
    say(&fake, NAME).await;
    say(&fake, EMAIL).await;
    let consent = say(&fake, POSTCODE).await;
    let updates = press(&fake, &consent, "consent.yes").await;
    let review = press(&fake, &updates, "updates.no").await;
    let thanks = press(&fake, &review, "review.confirm").await;
    assert!(thanks.text.contains("Thank you"), "{}", thanks.text);
    running.stop().await;

    let text = petition::metrics::render();
    let telegram = [("platform", "telegram")];
    assert!(
        value(&text, "petition_signatures_stored_total", &telegram) >= 1.0,
        "{text}"
    );
    for input in ["text", "button"] {
        let labels = [("platform", "telegram"), ("input", input)];
        assert!(
            value(&text, "petition_messages_received_total", &labels) >= 1.0,
            "{text}"
        );
    }
    assert!(value(&text, "petition_replies_total", &telegram) >= 1.0, "{text}");
    assert!(
        value(&text, "petition_answer_seconds_count", &telegram) >= 1.0,
        "{text}"
    );
    // The signature went through a group-commit batch, whichever database.
    assert!(
        value(&text, "petition_storage_batch_signatures_sum", &[]) >= 1.0,
        "{text}"
    );
    assert!(
        value(&text, "petition_storage_batch_writes_count", &[]) >= 1.0,
        "{text}"
    );
    assert!(
        value(&text, "petition_storage_commit_seconds_count", &[]) >= 1.0,
        "{text}"
    );
    assert!(text.contains("petition_storage_commit_seconds_bucket{"), "{text}");

    let lowered = text.to_lowercase();
    for personal in [
        NAME.to_lowercase(),
        "zebedee".to_owned(),
        "quuxworth".to_owned(),
        EMAIL.to_lowercase(),
        "sw1a".to_owned(),
        SIGNER.to_string(),
    ] {
        assert!(!lowered.contains(&personal), "/metrics shows {personal:?}:\n{text}");
    }
}
