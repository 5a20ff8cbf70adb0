//! Starting, stopping and connecting the Discord bot: the gateway
//! connection, made again when it ends (paced by [`reconnect`]), and closed
//! when the bot stops.

use std::sync::Arc;
use std::time::Duration;

use serenity::all::GatewayIntents;
use serenity::client::ClientBuilder;
use serenity::http::HttpBuilder;
use tracing::{info, warn};

use super::rest::DiscordRest;
use super::{Handler, reconnect};
use crate::adapter::BotHandle;
use crate::config::DiscordSettings;
use crate::conversation::Engine;
use crate::domain::Platform;
use crate::health::{Bot as HealthBot, Health};
use crate::metrics;
use crate::shutdown::AbortOnDrop;

/// Discord's API when no proxy is configured.
pub const DISCORD_API: &str = "https://discord.com";

/// A serenity error without URLs (interaction URLs carry tokens).
pub(super) fn describe(error: &serenity::Error) -> String {
    match error {
        serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(response)) => format!(
            "Discord answered {} (code {})",
            response.status_code.as_u16(),
            response.error.code
        ),
        serenity::Error::Http(_) => "HTTP error".to_owned(),
        serenity::Error::Gateway(error) => format!("gateway error: {error}"),
        serenity::Error::Json(_) => "unexpected JSON from Discord".to_owned(),
        _ => "error".to_owned(),
    }
}

/// The name connection attempts are recorded under.
const BOT_NAME: &str = "discord";

/// Starts the bot in a task of its own: connects to the gateway (after a
/// pause if recent attempts call for one, see [`reconnect`]), handles
/// events, and connects again if the connection ends. With an `api_url`
/// other than Discord's, requests go to that proxy (serenity then leaves
/// rate limiting to the proxy) and `gateway_url`, if set, replaces the
/// gateway Discord would name. Stopping the bot (see [`BotHandle::stop`])
/// closes the gateway connection, or abandons it once the bounded stop's
/// deadline has passed, whatever state it is in.
pub async fn spawn(
    settings: &DiscordSettings,
    engine: Arc<Engine>,
    defer_after: Duration,
) -> anyhow::Result<BotHandle> {
    spawn_watched(settings, engine, defer_after, Health::new()).await
}

/// [`spawn`], recording in `health` whether the gateway is connected: from
/// its READY or RESUMED until the shard disconnects or the connection ends.
pub async fn spawn_watched(
    settings: &DiscordSettings,
    engine: Arc<Engine>,
    defer_after: Duration,
    health: Health,
) -> anyhow::Result<BotHandle> {
    // Made now so that a bad setting fails start-up, not a task.
    let rest = DiscordRest::new(&settings.api_url, settings.token.clone())?.identified_by(engine.web_base())?;
    spawn_on(settings, rest, engine, defer_after, health)
}

/// [`spawn_watched`] with the REST client the bot's replies are sent
/// with, shared with whatever else the bot sends.
pub(super) fn spawn_on(
    settings: &DiscordSettings,
    rest: DiscordRest,
    engine: Arc<Engine>,
    defer_after: Duration,
    health: Health,
) -> anyhow::Result<BotHandle> {
    health.expect(HealthBot::Discord);
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let settings = settings.clone();
    let stopped = health.clone();
    let task = tokio::spawn(async move {
        connect_until_stopped(settings, rest, engine, defer_after, health, stopping).await;
        stopped.set_connected(HealthBot::Discord, false);
    });

    // Dropping the sender (a handle dropped unstopped) stops the bot too.
    let ask = async move {
        let _ = stop.send(true);
    };
    Ok(BotHandle::new(
        Platform::Discord,
        task,
        ask,
        "its connection was abandoned",
    ))
}

/// Connects, and connects again whenever the connection ends, until
/// `stopping` says to stop (then closes the connection).
async fn connect_until_stopped(
    settings: DiscordSettings,
    rest: DiscordRest,
    engine: Arc<Engine>,
    defer_after: Duration,
    health: Health,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let wait = reconnect::wait_now(engine.storage().as_ref(), BOT_NAME).await;
        if !wait.is_zero() {
            warn!(?wait, "pausing before connecting to Discord: many recent attempts");
        }
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = stopping.changed() => return,
        }
        reconnect::record(engine.storage().as_ref(), BOT_NAME).await;
        // Building a client asks Discord for the gateway's address,
        // and serenity's HTTP client has no timeout: against an API
        // that accepts connections and never answers, this would
        // wait forever.
        let client = tokio::select! {
            client = connect(&settings, rest.clone(), engine.clone(), defer_after, health.clone()) => client,
            _ = stopping.changed() => return,
        };
        let client = match client {
            Ok(client) => client,
            Err(error) => {
                warn!(error = %format!("{error:#}"), "could not create the Discord client");
                continue;
            }
        };
        info!("connecting to Discord's gateway");
        let shard_manager = client.shard_manager.clone();
        let ws_url = client.ws_url.clone();
        // Owned, so that aborting this task (a stop past its
        // deadline) takes the client with it.
        let mut running = AbortOnDrop(tokio::spawn(async move {
            let mut client = client;
            if let Err(error) = client.start().await {
                warn!(error = %describe(&error), "the Discord connection ended");
            }
        }));
        tokio::select! {
            _ = &mut running => {
                health.set_connected(HealthBot::Discord, false);
                metrics::error(metrics::ErrorKind::Receive(Platform::Discord));
                warn!("disconnected from Discord; connecting again");
            }
            _ = stopping.changed() => {
                close(&shard_manager, &ws_url, running).await;
                return;
            }
        }
    }
}

/// A running Discord bot: the [`BotHandle`] that [`spawn`] returns, under
/// the name and with the methods it had before every platform's bot shared
/// one handle type, so code written against it still builds.
pub struct DiscordBot(BotHandle);

impl DiscordBot {
    /// [`spawn`], returning the handle under this name.
    pub async fn spawn(settings: &DiscordSettings, engine: Arc<Engine>, defer_after: Duration) -> anyhow::Result<Self> {
        spawn(settings, engine, defer_after).await.map(Self)
    }

    /// See [`BotHandle::stopped`].
    pub async fn stopped(&mut self) {
        self.0.stopped().await
    }

    /// See [`BotHandle::stop`].
    pub async fn stop(self) {
        self.0.stop().await
    }
}

impl From<DiscordBot> for BotHandle {
    fn from(bot: DiscordBot) -> Self {
        bot.0
    }
}

/// Ends a running client: its shard's session, and `Client::start`.
async fn close(
    shard_manager: &serenity::gateway::ShardManager,
    ws_url: &tokio::sync::Mutex<String>,
    running: AbortOnDrop<()>,
) {
    // While the gateway has not been reached there is no shard, and
    // serenity's shard queuer retries every five seconds; nothing can tell
    // it to stop then (`shutdown_all` does, but only with a shard). An
    // address that cannot even be parsed keeps it from ever connecting
    // after this bot has stopped.
    ws_url.lock().await.clear();
    let had_a_shard = !shard_manager.runners.lock().await.is_empty();
    shard_manager.shutdown_all().await;
    if !had_a_shard {
        // `shutdown_all` with no shard returns without a word to
        // `Client::start`, which would then wait forever.
        shard_manager.return_with_value(Ok(())).await;
    }
    let _ = running.await;
    // A shard that connected meanwhile is closed now (a no-op otherwise).
    shard_manager.shutdown_all().await;
}

async fn connect(
    settings: &DiscordSettings,
    rest: DiscordRest,
    engine: Arc<Engine>,
    defer_after: Duration,
    health: Health,
) -> anyhow::Result<serenity::Client> {
    let token = settings.token.expose();
    let api_url = settings.api_url.trim_end_matches('/');
    let http = if api_url == DISCORD_API {
        HttpBuilder::new(token).build()
    } else {
        HttpBuilder::new(token)
            .proxy(api_url)
            .ratelimiter_disabled(true)
            .build()
    };
    let handler = Handler::new(engine, rest, &settings.guilds, defer_after).with_health(health);
    let client = ClientBuilder::new_with_http(http, GatewayIntents::DIRECT_MESSAGES)
        .event_handler(handler)
        .await
        .map_err(|error| anyhow::anyhow!(describe(&error)))?;
    if !settings.gateway_url.trim().is_empty() {
        *client.ws_url.lock().await = settings.gateway_url.trim().to_owned();
    }
    Ok(client)
}
