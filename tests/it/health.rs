//! What `/readyz` reads: the Telegram bot, long polling the fake Bot API on
//! loopback, says it is connected while `getUpdates` is answered and not
//! connected while it is refused; the Discord bot, against the fake
//! gateway, from its READY until it stops.

use std::time::Duration;

use crate::support::TestApp;
use crate::support::fake_discord::{FakeDiscord, GUILD_ID, TOKEN as DISCORD_TOKEN};
use crate::support::fake_telegram::{FakeTelegram, TOKEN};
use crate::support::on_both_databases;
use petition::config::{DiscordSettings, Secret};
use petition::discord;
use petition::health::{Bot as HealthBot, Health};
use petition::telegram::{self, Delivery};
use teloxide::Bot;

/// Waits until `health` says what is wanted of Telegram, or fails saying
/// how the fake answered each poll.
async fn until(health: &Health, connected: bool, fake: &FakeTelegram) {
    let polls = || {
        let calls = fake.calls_of("getUpdates");
        let first = calls.first().map(|call| call.at);
        calls
            .iter()
            .map(|call| format!("{} at {:?}", call.status, call.at - first.unwrap_or(call.at)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    until_bot(health, HealthBot::Telegram, connected, polls).await
}

/// Waits until `health` says what is wanted of `bot`, or fails with what
/// `seen` tells of the bot's traffic.
async fn until_bot(health: &Health, bot: HealthBot, connected: bool, seen: impl Fn() -> String) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while health.is_connected(bot) != connected {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} never became {}; the fake saw: {}",
            bot.as_str(),
            if connected { "connected" } else { "not connected" },
            seen()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[on_both_databases]
async fn a_polling_telegram_bot_is_connected_until_its_polls_are_refused_and_again_after(app: TestApp) {
    let fake = FakeTelegram::start().await;
    let health = Health::new();
    let bot = Bot::new(TOKEN).set_api_url(fake.url.clone());
    let running = telegram::spawn_watched(bot, app.engine.clone(), &[], Delivery::LongPolling, health.clone())
        .await
        .expect("the bot starts against the fake");
    until(&health, true, &fake).await;
    assert!(health.not_ready().is_empty());

    // The next polls are refused; a message ends the poll in flight.
    fake.rate_limit_next("getUpdates", 2, 1);
    fake.user_says(601, "/start");
    until(&health, false, &fake).await;
    assert_eq!(health.not_ready(), ["telegram"]);

    // Once they are answered again it is connected, with no update needed.
    until(&health, true, &fake).await;
    running.stop().await;
    until(&health, false, &fake).await;
}

#[on_both_databases]
async fn a_discord_bot_is_connected_from_its_ready_until_it_stops(app: TestApp) {
    let fake = FakeDiscord::start().await;
    let settings = DiscordSettings {
        token: Secret::new(DISCORD_TOKEN),
        guilds: vec![GUILD_ID],
        api_url: fake.api_url.clone(),
        gateway_url: fake.gateway_url.clone(),
        updates_per_second: 10,
    };
    let health = Health::new();
    let running = discord::spawn_watched(&settings, app.engine.clone(), discord::DEFER_AFTER, health.clone())
        .await
        .expect("the bot starts against the fake");
    assert_eq!(health.not_ready(), ["discord"], "not ready before the gateway's READY");
    until_bot(&health, HealthBot::Discord, true, String::new).await;
    assert!(health.not_ready().is_empty());
    running.stop().await;
    until_bot(&health, HealthBot::Discord, false, String::new).await;
}
