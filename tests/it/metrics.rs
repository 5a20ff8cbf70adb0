//! `/metrics`' content after a real signing: the Telegram bot against the
//! fake Bot API on loopback, the real engine and database, and what
//! `petition::metrics::render` then shows (and never shows).

use crate::support;

use crate::support::TestApp;
use crate::support::fake_telegram::{FakeTelegram, Outgoing, TOKEN};
use crate::support::on_both_databases;
use petition::telegram::{Delivery, TelegramBot};
use teloxide::Bot;
use teloxide::requests::RequesterExt;

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

// It reads the metrics registry, which every test in this binary writes to.
#[on_both_databases(own_process)]
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

/// A free loopback address, for a process of the test's own to listen on.
fn free_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_family_the_readme_lists_is_on_the_first_scrape() {
    let folder = tempfile::tempdir().unwrap();
    let metrics_address = free_address();
    let mut child = support::petition_binary(folder.path())
        .env("PETITION_WEB__LISTEN", free_address())
        .env("PETITION_WEB__METRICS_LISTEN", &metrics_address)
        .spawn()
        .expect("the binary starts");
    let url = format!("http://{metrics_address}/metrics");
    let mut scraped = None;
    for _ in 0..100 {
        if let Ok(response) = reqwest::get(&url).await {
            scraped = Some(response.text().await.unwrap());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    let text = scraped.expect("/metrics answers");
    // The README's table, family by family: nothing has happened yet.
    for family in [
        "petition_messages_received_total{",
        "petition_replies_total{",
        "petition_answer_seconds_bucket{",
        "petition_signatures_stored_total{",
        "petition_signatures_held_total{",
        "petition_signatures_refused_total{",
        "petition_limits_hit_total{",
        "petition_storage_batch_writes_bucket{",
        "petition_storage_batch_signatures_bucket{",
        "petition_storage_commit_seconds_bucket{",
        "petition_storage_queue_depth{",
        "petition_outbox_waiting{",
        "petition_outbox_deliveries_total{",
        "petition_errors_total{",
        "petition_pace_waiting{",
        "petition_pace_wait_seconds_bucket{",
        "petition_pace_expected_wait_seconds{",
        "petition_rate_limited_total{",
    ] {
        assert!(text.contains(family), "{family} is not on the first scrape:\n{text}");
    }
    assert!(
        text.contains(
            "petition_signatures_held_total{platform=\"telegram\",campaign=\"keep-the-unit-open\",reason=\"surge\"} 0"
        ),
        "{text}"
    );
}
