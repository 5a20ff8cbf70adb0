//! Builds the application from settings and runs whatever is configured.

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;

use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::conversation::Engine;
use crate::storage;

/// A ready application: settings, storage and the engine over them.
pub struct App {
    /// The settings it was built from.
    pub settings: Settings,
    /// The conversation engine every adapter talks to.
    pub engine: Arc<Engine>,
}

impl App {
    /// Opens the database (applying migrations), records the campaigns'
    /// consent wordings and forgets abandoned conversations.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    /// [`App::build`] with a chosen clock.
    pub async fn build_with_clock(
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let storage = storage::connect(&settings.database)
            .await
            .context("could not open the database")?;
        let engine = Arc::new(Engine::new(&settings, storage, clock));
        engine
            .register_campaigns()
            .await
            .context("could not register the campaigns")?;
        let forgotten = engine
            .forget_abandoned_conversations()
            .await
            .context("could not clean up abandoned conversations")?;
        if forgotten > 0 {
            tracing::info!(forgotten, "deleted abandoned conversations");
        }
        Ok(Self { settings, engine })
    }

    /// The names of the environment variables that would start a bot, for
    /// the message shown when none is set.
    pub fn configured_bots(&self) -> Vec<&'static str> {
        let mut bots = Vec::new();
        if !self.settings.telegram.token.is_empty() {
            bots.push("telegram");
        }
        if !self.settings.discord.token.is_empty() {
            bots.push("discord");
        }
        bots
    }

    /// Runs every configured bot until `shutdown` completes or a bot stops.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
        let bots = self.configured_bots();
        if bots.is_empty() {
            anyhow::bail!(
                "no bot token is configured, so there is nothing to run.\n\
                 Set TELEGRAM_BOT_TOKEN and/or DISCORD_BOT_TOKEN (see the README), \
                 or try the signing conversation at a terminal with `petition console`."
            );
        }
        drop(shutdown);
        anyhow::bail!(
            "a token is set for {}, but this build has no adapter for it yet; \
             use `petition console` to sign at a terminal",
            bots.join(" and ")
        )
    }
}
