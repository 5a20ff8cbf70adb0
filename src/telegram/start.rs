//! Starting the Telegram bot with everything it runs, all on one client:
//! the bot (long polling or a webhook), its progress messages, organisers'
//! alerts, the outbox's courier and, for the web server, the Mini App's
//! side.

use std::sync::Arc;

use anyhow::Context;
use teloxide::Bot;
use teloxide::requests::{Request, Requester};
use tracing::warn;

use super::{
    AlertChat, Delivery, TelegramCourier, ThanksInChat, bot_for, keep_progress_messages, offer_form_in_the_menu,
    parse_listen_address, spawn_watched,
};
use crate::adapter::{self, Started};
use crate::config::{Settings, TelegramSettings};
use crate::conversation::Engine;
use crate::domain::Platform;
use crate::health::Health;
use crate::pace::Pace;
use crate::shutdown::AbortOnDrop;
use crate::web::TelegramSide;
use crate::web::init_data::InitDataCheck;

/// Starts the Telegram bot configured in `settings`: connects and handles
/// updates, keeps its progress messages, forwards organisers' alerts to
/// `alerts.telegram_chat` if set, and gives the outbox its courier. With
/// `mini_app`, also the web server's Telegram side (the Mini App signs its
/// users in, thanks them in the chat, and the chat's menu button opens it).
pub async fn start(
    settings: &Settings,
    engine: Arc<Engine>,
    health: Health,
    mini_app: bool,
) -> anyhow::Result<(Started, Option<TelegramSide>)> {
    let telegram = &settings.telegram;
    let bot = bot_for(telegram)?;
    let pace = engine.pace(Platform::Telegram).expect("Telegram has a pace").clone();
    let delivery = delivery_for(telegram).await?;
    let organisers = &settings.organisers.telegram_users;
    let running = spawn_watched(bot.clone(), engine.clone(), organisers, delivery, health)
        .await
        .context("could not start the Telegram bot")?;
    // Milestones are looked for by each platform's progress loop, which
    // then keeps that platform's announcement chats.
    let mut chores = vec![AbortOnDrop(tokio::spawn({
        let (bot, engine) = (bot.clone(), engine.clone());
        async move {
            if let Err(error) = keep_progress_messages(bot, engine).await {
                warn!(%error, "could not start keeping the Telegram progress messages");
            }
        }
    }))];
    if let Some(chat) = settings.alerts.telegram_chat {
        chores.push(AbortOnDrop(tokio::spawn(adapter::forward_alerts(
            AlertChat::new(bot.clone(), pace.clone(), chat),
            engine.subscribe_alerts(),
        ))));
    }
    let side = match mini_app {
        true => Some(mini_app_side(&bot, pace.clone(), settings, &engine).await?),
        false => None,
    };
    let courier = TelegramCourier::new(
        bot,
        pace,
        telegram.updates_per_second(),
        telegram.paid_broadcast,
        engine.language(),
    );
    let started = Started {
        bot: running,
        chores,
        courier: Arc::new(courier),
    };
    Ok((started, side))
}

/// Long polling, or a webhook where `webhook_url` is set (its listener
/// bound now, so that a port in use fails start-up).
async fn delivery_for(settings: &TelegramSettings) -> anyhow::Result<Delivery> {
    if settings.webhook_url.trim().is_empty() {
        return Ok(Delivery::LongPolling);
    }
    let address = parse_listen_address(&settings.webhook_listen)?;
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("could not listen on {address} for Telegram's webhook"))?;
    Ok(Delivery::Webhook {
        listener,
        public_url: url::Url::parse(&settings.webhook_url).context("telegram.webhook_url is not a URL")?,
        secret: settings.webhook_secret.clone(),
    })
}

/// The web server's Telegram side: the check of the Mini App's `initData`
/// with the bot's token, the bot's username for links, and the thank-you
/// in the chat; the chat's menu button is set to open the form.
async fn mini_app_side(
    bot: &Bot,
    pace: Arc<Pace>,
    settings: &Settings,
    engine: &Arc<Engine>,
) -> anyhow::Result<TelegramSide> {
    let me = bot.get_me().send().await.context("Telegram did not answer getMe")?;
    let username = me.username().to_owned();
    offer_form_in_the_menu(bot, engine).await;
    Ok(TelegramSide {
        check: InitDataCheck::new(settings.telegram.token.expose(), settings.web.init_data_max_age_seconds),
        username: username.clone(),
        follow_up: Some(Arc::new(ThanksInChat::new(
            bot.clone(),
            pace,
            username,
            engine.language(),
        ))),
    })
}
