//! Starting and stopping the Telegram bot: connecting, registering the
//! command menus, receiving updates by long polling or by webhook (whose
//! requests must carry the secret token), and the production requester.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::response::IntoResponse;
use teloxide::prelude::*;
use teloxide::update_listeners::UpdateListener;
use tokio::net::TcpListener;
use tracing::info;
use url::Url;

use super::TelegramApi;
use super::commands::register_commands;
use super::dispatch::dispatch;
use super::polling::polling;
use crate::adapter::BotHandle;
use crate::config::{Secret, TelegramSettings};
use crate::conversation::Engine;
use crate::domain::Platform;
use crate::health::{Bot as HealthBot, Health};
use crate::shutdown::AbortOnDrop;

/// The largest update Telegram posts to a webhook, with room to spare.
const WEBHOOK_BODY_LIMIT: usize = 1024 * 1024;

/// How updates reach the bot.
pub enum Delivery {
    /// The bot asks Telegram for updates (the default).
    LongPolling,
    /// Telegram posts updates to a public HTTPS URL, which a load balancer
    /// forwards to `listener`.
    Webhook {
        /// Already bound, so tests can use port 0.
        listener: TcpListener,
        /// The public URL given to Telegram.
        public_url: Url,
        /// Sent back by Telegram in `X-Telegram-Bot-Api-Secret-Token`.
        secret: Secret,
    },
}

/// Connects (`getMe`), registers the command menus, and starts handling
/// updates in a task of its own. `organisers` get a menu with the organiser
/// commands in their private chats. Stopping the bot (see
/// [`BotHandle::stop`]) stops handling updates, lets the updates in hand
/// finish and confirms them to Telegram so they are not delivered again
/// (or, with a webhook, deletes it), within the bounded stop's deadline.
pub async fn spawn<R>(bot: R, engine: Arc<Engine>, organisers: &[i64], delivery: Delivery) -> anyhow::Result<BotHandle>
where
    R: TelegramApi,
{
    spawn_watched(bot, engine, organisers, delivery, Health::new()).await
}

/// [`spawn`], recording in `health` whether the bot is connected: from
/// the webhook's set-up, or after each long poll, as it went; and not
/// connected once the bot has stopped.
pub async fn spawn_watched<R>(
    bot: R,
    engine: Arc<Engine>,
    organisers: &[i64],
    delivery: Delivery,
    health: Health,
) -> anyhow::Result<BotHandle>
where
    R: TelegramApi,
{
    health.expect(HealthBot::Telegram);
    let me = bot.get_me().send().await.context("Telegram did not answer getMe")?;
    info!(bot = %me.username(), "connected to Telegram");
    register_commands(&bot, organisers, engine.language())
        .await
        .context("could not register the command menu with Telegram")?;
    let (task, stop) = match delivery {
        Delivery::LongPolling => {
            let mut listener = polling(bot.clone(), health.clone()).await;
            let stop = listener.stop_token();
            // Telegram answered getMe and the menus; from here each poll
            // says how it went.
            health.set_connected(HealthBot::Telegram, true);
            let health = health.clone();
            let task = tokio::spawn(async move {
                dispatch(bot, me, engine, listener).await;
                health.set_connected(HealthBot::Telegram, false);
            });
            (task, stop)
        }
        Delivery::Webhook {
            listener,
            public_url,
            secret,
        } => {
            let address = listener.local_addr().context("the webhook listener has no address")?;
            let options = teloxide::update_listeners::webhooks::Options::new(address, public_url)
                .secret_token(secret.expose().to_owned());
            let (mut updates, stop_server, router) =
                teloxide::update_listeners::webhooks::axum_to_router(bot.clone(), options)
                    .await
                    .context("could not set the webhook with Telegram")?;
            let stop = updates.stop_token();
            let router = router.layer(axum::middleware::from_fn_with_state(
                Arc::<str>::from(secret.expose()),
                require_secret,
            ));
            // Telegram accepted the webhook; what it posts says nothing
            // more about the connection until it stops.
            health.set_connected(HealthBot::Telegram, true);
            let health = health.clone();
            // Owned by the bot's task, so that aborting it (a stop past
            // its deadline) closes the listener too.
            // A body (an update) must arrive in time and within Telegram's
            // largest, as every request to the process's servers must.
            let router = router.layer(axum::middleware::from_fn(|request, next| {
                crate::http::with_body_read(WEBHOOK_BODY_LIMIT, request, next)
            }));
            let server = AbortOnDrop(tokio::spawn(crate::http::serve(listener, router, stop_server)));
            let task = tokio::spawn(async move {
                dispatch(bot, me, engine, updates).await;
                health.set_connected(HealthBot::Telegram, false);
                let _ = server.await;
            });
            (task, stop)
        }
    };
    let ask = async move { stop.stop() };
    Ok(BotHandle::new(
        Platform::Telegram,
        task,
        ask,
        "what it had in hand was abandoned",
    ))
}

/// A running Telegram bot: the [`BotHandle`] that [`spawn`] returns, under
/// the name and with the methods it had before every platform's bot shared
/// one handle type, so code written against it still builds.
pub struct TelegramBot(BotHandle);

impl TelegramBot {
    /// [`spawn`], returning the handle under this name.
    pub async fn spawn<R>(bot: R, engine: Arc<Engine>, organisers: &[i64], delivery: Delivery) -> anyhow::Result<Self>
    where
        R: TelegramApi,
    {
        spawn(bot, engine, organisers, delivery).await.map(Self)
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

impl From<TelegramBot> for BotHandle {
    fn from(bot: TelegramBot) -> Self {
        bot.0
    }
}

/// The production requester: a plain client of the configured Bot API.
/// What Telegram rate-limits goes through the bot's one pace
/// ([`crate::pace`]) wherever it is sent, so no adaptor paces here.
pub fn bot_for(settings: &TelegramSettings) -> anyhow::Result<Bot> {
    let api_url = Url::parse(&settings.api_url).context("telegram.api_url is not a valid URL")?;
    Ok(Bot::new(settings.token.expose()).set_api_url(api_url))
}

/// Refuses webhook requests without the secret token, comparing in constant
/// time so the comparison leaks nothing about the secret.
async fn require_secret(
    axum::extract::State(expected): axum::extract::State<Arc<str>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let given = request
        .headers()
        .get("x-telegram-bot-api-secret-token")
        .map(|value| value.as_bytes())
        .unwrap_or_default();
    if !constant_time_eq(given, expected.as_bytes()) {
        return axum::http::StatusCode::UNAUTHORIZED.into_response();
    }
    next.run(request).await
}

/// Equal-length inputs are compared byte by byte without stopping early.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The address to listen on for webhook requests.
pub fn parse_listen_address(value: &str) -> anyhow::Result<SocketAddr> {
    value
        .parse()
        .with_context(|| format!("telegram.webhook_listen is not an address such as 0.0.0.0:8443: {value:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_only_when_equal() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"abc"));
    }
}
