//! `telegram_signings_per_s` and the messages and edits each signing
//! takes, through the real Telegram adapter and a fake Bot API that keeps
//! Telegram's limits.

use std::sync::Arc;
use std::time::Instant;

use anyhow::ensure;

use super::signings::verify_stored;
use super::{for_each_at_once, settings};
use crate::startup::App;

/// What the Telegram run measures.
pub(super) struct TelegramFigures {
    pub(super) signings_per_s: f64,
    pub(super) messages_per_signing: f64,
    pub(super) edits_per_signing: f64,
}

/// Signings through the real Telegram adapter and dispatcher, long polling
/// a fake Bot API server over HTTP on loopback that enforces Telegram's
/// limits, each supporter answering every question on its own (the
/// longest way to sign).
pub(super) async fn telegram(url: &str, count: usize, concurrency: usize) -> anyhow::Result<TelegramFigures> {
    use crate::test_kit::fake_telegram::{FakeTelegram, TOKEN};
    use teloxide::Bot;
    let app = App::build(settings(url)).await?;
    let fake = Arc::new(FakeTelegram::start().await);
    let bot = Bot::new(TOKEN).set_api_url(fake.url.clone());
    let running = crate::telegram::spawn(bot, app.engine.clone(), &[], crate::telegram::Delivery::LongPolling).await?;
    let started = Instant::now();
    let supporters = fake.clone();
    for_each_at_once(concurrency, count, move |n| {
        let fake = supporters.clone();
        async move { sign_on_telegram(&fake, 10_000 + n as u64, n).await }
    })
    .await?;
    let elapsed = started.elapsed();
    running.stop().await;
    verify_stored(app.engine.storage().as_ref(), &app.engine, count).await?;
    app.engine.storage().close().await;
    let sent = fake.count_of("sendMessage") + fake.count_of("sendDocument");
    let edits = fake.count_of("editMessageText") + fake.count_of("editMessageReplyMarkup");
    Ok(TelegramFigures {
        signings_per_s: count as f64 / elapsed.as_secs_f64(),
        messages_per_signing: sent as f64 / count as f64,
        edits_per_signing: edits as f64 / count as f64,
    })
}

async fn sign_on_telegram(
    fake: &crate::test_kit::fake_telegram::FakeTelegram,
    user: u64,
    n: usize,
) -> anyhow::Result<()> {
    let chat = user as i64;
    fake.user_says(user, "/start");
    let welcome = fake.next_reply(chat).await;
    fake.user_presses(user, &welcome, "welcome.sign");
    fake.next_reply(chat).await;
    for answer in ["Bench Signer", &format!("tg{n}@example.org")] {
        fake.user_says(user, answer);
        fake.next_reply(chat).await;
    }
    fake.user_says(user, "SW1A 1AA");
    let consent = fake.next_reply(chat).await;
    fake.user_presses(user, &consent, "consent.yes");
    let updates = fake.next_reply(chat).await;
    fake.user_presses(user, &updates, "updates.no");
    let review = fake.next_reply(chat).await;
    fake.user_presses(user, &review, "review.confirm");
    let thanks = fake.next_reply(chat).await;
    ensure!(
        thanks.text.starts_with("Thank you"),
        "Telegram supporter {n} was not thanked: {}",
        thanks.text
    );
    Ok(())
}
