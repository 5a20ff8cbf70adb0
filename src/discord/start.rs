//! Starting the Discord bot with everything it runs, all on one REST
//! client in turn on the bot's one pace: the bot (the gateway connection
//! and its replies), its progress messages, organisers' alerts and the
//! outbox's courier.

use std::sync::Arc;

use anyhow::Context;

use super::rest::DiscordRest;
use super::{AlertChannel, DEFER_AFTER, DiscordCourier, keep_progress_messages};
use crate::adapter::{self, Started};
use crate::config::Settings;
use crate::conversation::Engine;
use crate::domain::Platform;
use crate::health::Health;
use crate::shutdown::AbortOnDrop;

/// Starts the Discord bot configured in `settings`: connects to the
/// gateway (in a task of its own, connecting again whenever the connection
/// ends) and answers there, keeps its progress messages, forwards
/// organisers' alerts to `alerts.discord_channel` if set, and gives the
/// outbox its courier.
pub fn start(settings: &Settings, engine: Arc<Engine>, health: Health) -> anyhow::Result<Started> {
    let discord = &settings.discord;
    let pace = engine.pace(Platform::Discord).expect("Discord has a pace").clone();
    let rest = DiscordRest::new(&discord.api_url, discord.token.clone())?
        .identified_by(engine.web_base())?
        .paced_by(pace);
    let bot = super::bot::spawn_on(discord, rest.clone(), engine.clone(), DEFER_AFTER, health)
        .context("could not start the Discord bot")?;
    let mut chores = vec![AbortOnDrop(tokio::spawn(keep_progress_messages(
        rest.clone(),
        engine.clone(),
    )))];
    if let Some(channel) = settings.alerts.discord_channel {
        chores.push(AbortOnDrop(tokio::spawn(adapter::forward_alerts(
            AlertChannel::new(rest.clone(), channel),
            engine.subscribe_alerts(),
        ))));
    }
    let courier = DiscordCourier::new(rest, discord.updates_per_second);
    Ok(Started {
        bot,
        chores,
        courier: Arc::new(courier),
    })
}
