//! `updates`: one update to many signers through the real Telegram courier
//! and the outbox's real pace (Telegram's 30 messages a second), against
//! the fake Bot API; what arrived, how fast, and whether anyone got it twice.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use chrono::Utc;

use super::settings;
use crate::domain::{Email, Identity, Location, Platform, PostcodeDistrict, SignerName};
use crate::outbox::Sender;
use crate::startup::App;
use crate::storage::{NewSignature, UpdateState};
use crate::telegram::TelegramCourier;
use crate::test_kit::fake_telegram::{FakeTelegram, TOKEN};

/// The first recipient's Telegram id.
const FIRST: i64 = 50_000_000;
/// The longest a run may take before it is called failed.
const PATIENCE: Duration = Duration::from_secs(600);

/// What the run measured.
pub(super) struct UpdateFigures {
    /// Recipients reached per second, from the first message to the last.
    pub(super) per_second: f64,
    /// The most messages the fake saw in any one second.
    pub(super) most_in_one_second: usize,
    /// Messages of the update a recipient received beyond their first.
    pub(super) duplicated: usize,
}

pub(super) async fn updates(url: &str, recipients: usize) -> anyhow::Result<UpdateFigures> {
    let settings = settings(url);
    let per_second = settings.telegram.updates_per_second();
    let app = App::build(settings).await?;
    let campaign = app.engine.campaigns().default_campaign().clone();
    let signing = (0..recipients).map(|n| {
        let storage = app.engine.storage().clone();
        let signature = recipient(&campaign.slug, n);
        async move { storage.sign(&signature).await }
    });
    for signed in futures_util::future::join_all(signing).await {
        signed?;
    }
    let text = "The Commissioner has agreed to meet us on Friday. Thank you for signing.";
    let author = Identity::new(Platform::Console, "bench");
    app.engine.queue_update(&campaign, text, &author).await?;

    let fake = FakeTelegram::start().await;
    let bot = teloxide::Bot::new(TOKEN).set_api_url(fake.url.clone());
    let pace = app
        .engine
        .pace(Platform::Telegram)
        .expect("Telegram has a pace")
        .clone();
    let courier = TelegramCourier::new(bot, pace, per_second, false, app.engine.language());
    let (sender, stop) = Sender::new(app.engine.clone(), Arc::new(courier));
    let sending = tokio::spawn(sender.run());
    let deadline = Instant::now() + PATIENCE;
    loop {
        let update = app
            .engine
            .storage()
            .stored_update(1)
            .await?
            .context("the update was queued")?;
        if update.state != UpdateState::Sending {
            ensure!(
                update.counts.sent == recipients as u64,
                "only {} of {recipients} were sent: {:?}",
                update.counts.sent,
                update.counts
            );
            break;
        }
        ensure!(
            Instant::now() < deadline,
            "the update was still going after {PATIENCE:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.stop();
    sending.await?;
    app.engine.storage().close().await;

    let mut times: Vec<Instant> = Vec::new();
    let mut received: HashMap<i64, usize> = HashMap::new();
    for call in fake.calls_of("sendMessage").into_iter().filter(|c| c.status == 200) {
        times.push(call.at);
        if let Some(chat) = call.body["chat_id"].as_i64() {
            *received.entry(chat).or_default() += 1;
        }
    }
    times.sort();
    let spread = times
        .last()
        .zip(times.first())
        .map(|(last, first)| last.duration_since(*first));
    Ok(UpdateFigures {
        per_second: match spread {
            Some(spread) if !spread.is_zero() => (times.len() - 1) as f64 / spread.as_secs_f64(),
            _ => 0.0,
        },
        most_in_one_second: (0..times.len())
            .map(|i| {
                times[i..]
                    .iter()
                    .take_while(|t| t.duration_since(times[i]) < Duration::from_secs(1))
                    .count()
            })
            .max()
            .unwrap_or(0),
        duplicated: received.values().map(|n| n.saturating_sub(1)).sum(),
    })
}

fn recipient(campaign: &str, n: usize) -> NewSignature {
    let now = Utc::now();
    NewSignature {
        campaign: campaign.to_owned(),
        identity: Identity::new(Platform::Telegram, (FIRST + n as i64).to_string()),
        name: SignerName::parse("Ann Lee").expect("a valid name"),
        email: Some(Email::parse(&format!("recipient{n}@example.org")).expect("a valid email")),
        location: Location::Uk(PostcodeDistrict::parse("SE1 7PB").expect("a valid postcode")),
        updates_opt_in: true,
        consent_version: 1,
        consent_at: now,
        referral_code: None,
        created_at: now,
        hold: None,
    }
}
