//! `surge`: the Telegram bot at Telegram's real limits. The real adapter
//! and dispatcher long-poll a fake Bot API that enforces Telegram's limits
//! (30 calls a second, one a second in a chat; 429 with `retry_after` past
//! them) and records every call. Supporters start within a few seconds of
//! each other and answer as people do: each waits for the bot's reply
//! before answering, and signs the quickest way the welcome offers (name,
//! email and postcode in one message; or, in the run with the Mini App,
//! half of them in the form it opens).
//!
//! The flood run puts one account sending a message every ten
//! milliseconds beside supporters opening the bot, with the shipped
//! per-person limits, and times the others' first replies.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use serde_json::json;

use super::settings;
use super::web::Client;
use crate::config::{Settings, TELEGRAM_PER_SECOND};
use crate::domain::Platform;
use crate::messages::Language;
use crate::startup::App;
use crate::telegram::{Delivery, ThanksInChat};
use crate::test_kit::fake_telegram::{BOT_USERNAME, FakeTelegram, Outgoing, TOKEN};
use crate::test_kit::web::WebServer;

/// The longest a supporter waits for one reply before the run fails: far
/// beyond what the queue of a thousand supporters at 30 calls a second
/// makes anyone wait.
const PATIENCE: Duration = Duration::from_secs(300);

/// The first supporter's Telegram id.
const FIRST: u64 = 20_000_000;

/// What a surge run measured.
pub(super) struct SurgeFigures {
    /// Supporters thanked.
    pub(super) completed: usize,
    /// Calls the fake refused with a 429 because the bot went over a limit.
    pub(super) over_the_limit: usize,
    /// The most calls the fake let through in any second, overall and in
    /// any one chat.
    pub(super) most_in_one_second: (usize, usize),
    /// Sends and edits per signing.
    pub(super) calls_per_signing: f64,
    /// The shortest time Telegram's limit allows for the calls made,
    /// divided by the time they took.
    pub(super) efficiency: f64,
    /// The first reply's wait, median and 99th percentile, in seconds.
    pub(super) first_reply_s: (f64, f64),
    /// From the first supporter's start to the last thank-you.
    pub(super) seconds: f64,
}

/// `supporters` people starting within `start_within` of each other; with
/// `mini_app`, every other one signs in the form the welcome offers.
pub(super) async fn surge(
    url: &str,
    supporters: usize,
    start_within: Duration,
    mini_app: bool,
) -> anyhow::Result<SurgeFigures> {
    let mut settings = settings(url);
    if mini_app {
        // The welcome offers the form, which the web server below serves.
        settings.web.listen = "127.0.0.1:0".to_owned();
        settings.web.public_url = "https://petition.example.org".to_owned();
    }
    let app = App::build(settings).await?;
    let engine = app.engine.clone();
    let fake = Arc::new(FakeTelegram::start().await);
    let bot = teloxide::Bot::new(TOKEN).set_api_url(fake.url.clone());
    let web = if mini_app {
        let pace = engine.pace(Platform::Telegram).context("Telegram has a pace")?.clone();
        let thanks = ThanksInChat::new(bot.clone(), pace, BOT_USERNAME.to_owned(), Language::English);
        Some(WebServer::start(engine.clone(), super::web::web_settings(), Some(Arc::new(thanks))).await)
    } else {
        None
    };
    let running = crate::telegram::spawn(bot, engine.clone(), &[], Delivery::LongPolling).await?;
    let web_address = web.as_ref().map(|web| web.url.trim_start_matches("http://").to_owned());
    let slug = engine.campaigns().default_campaign().slug.clone();
    let started = Instant::now();
    let signers: Vec<_> = (0..supporters)
        .map(|n| {
            let fake = fake.clone();
            let starts_at = started + start_within.mul_f64(n as f64 / supporters as f64);
            let form = web_address
                .clone()
                .filter(|_| n % 2 == 1)
                .map(|address| (address, slug.clone()));
            tokio::spawn(async move {
                tokio::time::sleep_until(starts_at.into()).await;
                match form {
                    Some((address, slug)) => sign_in_the_form(&fake, n, &address, &slug).await,
                    None => sign_in_the_chat(&fake, n).await,
                }
            })
        })
        .collect();
    let mut first_replies = Vec::with_capacity(supporters);
    let mut completed = 0;
    let mut last_done = started;
    for signer in signers {
        match signer.await? {
            Ok(first_reply) => {
                first_replies.push(first_reply);
                completed += 1;
                last_done = last_done.max(Instant::now());
            }
            Err(error) => tracing::warn!(%error, "a surge supporter did not finish"),
        }
    }
    running.stop().await;
    if let Some(web) = web {
        web.stop().await;
    }
    let stored = engine
        .storage()
        .export(&engine.campaigns().default_campaign().slug)
        .await?
        .len();
    ensure!(
        stored == completed,
        "{completed} supporters were thanked but {stored} signatures are stored"
    );
    engine.storage().close().await;
    let calls = fake.counted_calls();
    let efficiency = match (calls.first(), calls.last()) {
        (Some(first), Some(last)) if calls.len() > TELEGRAM_PER_SECOND as usize => {
            let shortest = (calls.len().div_ceil(TELEGRAM_PER_SECOND as usize) - 1) as f64;
            shortest / last.at.duration_since(first.at).as_secs_f64()
        }
        _ => 1.0,
    };
    Ok(SurgeFigures {
        completed,
        over_the_limit: fake.over_the_limit(),
        most_in_one_second: fake.most_in_one_second(),
        calls_per_signing: calls.len() as f64 / completed.max(1) as f64,
        efficiency,
        first_reply_s: percentiles(first_replies),
        seconds: last_done.duration_since(started).as_secs_f64(),
    })
}

/// The median and 99th percentile, in seconds.
fn percentiles(timings: Vec<Duration>) -> (f64, f64) {
    if timings.is_empty() {
        return (0.0, 0.0);
    }
    let (p50, p99) = super::p50_and_p99_micros(timings);
    (p50 / 1e6, p99 / 1e6)
}

/// The next reply in a supporter's chat, or why there is none.
async fn reply(fake: &FakeTelegram, chat: i64, after: &str) -> anyhow::Result<Outgoing> {
    fake.next_reply_within(chat, PATIENCE)
        .await
        .with_context(|| format!("supporter {chat} got no reply after {after} within {PATIENCE:?}"))
}

/// Opens the bot and waits for the welcome; returns it and how long it took.
async fn open(fake: &FakeTelegram, user: u64) -> anyhow::Result<(Outgoing, Duration)> {
    let asked = Instant::now();
    fake.user_says(user, "/start");
    let welcome = reply(fake, user as i64, "/start").await?;
    Ok((welcome, asked.elapsed()))
}

/// A supporter signing in the chat the quickest way the welcome offers:
/// name, email and postcode in one message, then consent, updates and the
/// review by their buttons. Returns how long the first reply took.
async fn sign_in_the_chat(fake: &FakeTelegram, n: usize) -> anyhow::Result<Duration> {
    let user = FIRST + n as u64;
    let chat = user as i64;
    let (welcome, first_reply) = open(fake, user).await?;
    ensure!(
        welcome.text.contains("in one message"),
        "the welcome offers signing in one message: {}",
        welcome.text
    );
    let postcode = ["SW1A 1AA", "N1 9GU", "E1 6AN", "M1 1AE", "B33 8TH"][n % 5];
    fake.user_says(user, &format!("Surge Signer\nsurge{n}@example.org\n{postcode}"));
    let consent = reply(fake, chat, "the details").await?;
    let mut on = consent;
    for (choice, what) in [
        ("consent.yes", "consent"),
        ("updates.no", "updates"),
        ("review.confirm", "the review"),
    ] {
        ensure!(
            on.buttons.iter().any(|(_, data)| data == choice),
            "supporter {n} was not offered {choice}: {}",
            on.text
        );
        fake.user_presses(user, &on, choice);
        on = reply(fake, chat, what).await?;
    }
    ensure!(
        on.text.starts_with("Thank you"),
        "supporter {n} was not thanked: {}",
        on.text
    );
    Ok(first_reply)
}

/// A supporter who opens the bot, then signs in the form its welcome
/// offers (the Mini App, over HTTP), and gets the thank-you in the chat.
async fn sign_in_the_form(fake: &FakeTelegram, n: usize, address: &str, slug: &str) -> anyhow::Result<Duration> {
    let user = FIRST + n as u64;
    let (welcome, first_reply) = open(fake, user).await?;
    ensure!(
        !welcome.web_apps.is_empty(),
        "the welcome offers the form: {:?}",
        welcome.text
    );
    let init_data = WebServer::init_data(user as i64, chrono::Utc::now());
    let mut client = Client::connect(address).await?;
    let form = json!({ "init_data": init_data, "name": "Surge Signer", "email": format!("surge{n}@example.org"),
                       "location": "SW1A 1AA", "consent": true, "consent_version": 2, "updates": false });
    let review: super::web::Step = client.post_json(&format!("/{slug}/app/form"), &form).await?;
    let confirm = review.confirm.context("the form leads to the review")?;
    let choice = json!({ "init_data": init_data, "choice": confirm.data });
    let signed: super::web::Step = client.post_json(&format!("/{slug}/app/confirm"), &choice).await?;
    ensure!(signed.step == "signed", "supporter {n} was not signed: {}", signed.step);
    let thanks = reply(fake, user as i64, "the form").await?;
    ensure!(
        thanks.text.starts_with("Thank you"),
        "supporter {n} was not thanked in the chat: {}",
        thanks.text
    );
    Ok(first_reply)
}

/// The 99th percentile of `supporters`' first replies, in milliseconds,
/// while (with `flood`) one account sends that many messages in ten
/// seconds beside them; with the shipped per-person limits.
pub(super) async fn first_replies_beside_a_flood(
    url: &str,
    supporters: usize,
    flood: Option<usize>,
) -> anyhow::Result<f64> {
    let mut settings = Settings::built_in();
    settings.database.url = crate::config::Secret::new(url);
    let app = App::build(settings).await?;
    let engine = app.engine.clone();
    let fake = Arc::new(FakeTelegram::start().await);
    let bot = teloxide::Bot::new(TOKEN).set_api_url(fake.url.clone());
    let running = crate::telegram::spawn(bot, engine.clone(), &[], Delivery::LongPolling).await?;
    let flooder = flood.map(|messages| {
        let fake = fake.clone();
        tokio::spawn(async move {
            let every = Duration::from_secs(10) / messages.max(1) as u32;
            let mut tick = tokio::time::interval(every);
            for n in 0..messages {
                tick.tick().await;
                fake.user_says(FIRST - 1, &format!("flood {n}"));
            }
        })
    });
    // The supporters open the bot over the flood's ten seconds.
    let started = Instant::now();
    let openers: Vec<_> = (0..supporters)
        .map(|n| {
            let fake = fake.clone();
            let starts_at = started + Duration::from_secs(10).mul_f64(n as f64 / supporters as f64);
            tokio::spawn(async move {
                tokio::time::sleep_until(starts_at.into()).await;
                open(&fake, FIRST + n as u64).await.map(|(_, took)| took)
            })
        })
        .collect();
    let mut first_replies = Vec::with_capacity(supporters);
    for opener in openers {
        first_replies.push(opener.await??);
    }
    if let Some(flooder) = flooder {
        flooder.await?;
    }
    running.stop().await;
    engine.storage().close().await;
    let (_, p99) = super::p50_and_p99_micros(first_replies);
    Ok(p99 / 1e3)
}
