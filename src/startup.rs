//! Builds the application from settings and runs whatever is configured.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tracing::{info, warn};

use crate::adapter::{BotHandle, Started};
use crate::clock::{Clock, SystemClock};
use crate::config::{Settings, WebSettings};
use crate::conversation::Engine;
use crate::discord;
use crate::health::{Bot as HealthBot, Health};
use crate::metrics;
use crate::outbox;
use crate::shutdown::AbortOnDrop;
use crate::storage::{self, Usage};
use crate::telegram;
use crate::telemetry::{self, PseudonymKey};
use crate::web::{TelegramSide, Web};

/// How often abandoned conversations are looked for.
const CLEAN_UP_EVERY: Duration = Duration::from_secs(15 * 60);
/// How often signatures per domain, district and platform are compared with
/// the thresholds.
const CHECK_VELOCITY_EVERY: Duration = Duration::from_secs(60);
/// How often campaigns' closing times and anonymisation are looked at.
const LOOK_AFTER_LIFECYCLES_EVERY: Duration = Duration::from_secs(60);
/// How often rate limiters forget people who have gone quiet.
const PRUNE_LIMITS_EVERY: Duration = Duration::from_secs(10 * 60);

/// The longest the bots may take to stop together, once asked; within the
/// ten seconds a supervisor typically waits before it kills the process.
pub const STOP_WITHIN: Duration = Duration::from_secs(8);

/// The longest the outbox senders may take to finish their batches.
const SENDERS_STOP_WITHIN: Duration = Duration::from_secs(2);

/// A ready application: settings, storage and the engine over them.
pub struct App {
    /// The settings it was built from.
    pub settings: Settings,
    /// The conversation engine every adapter talks to.
    pub engine: Arc<Engine>,
    /// Whether each bot [`App::run`] starts is connected, for `/readyz`;
    /// shared with the bots, which keep it current.
    pub health: Health,
}

impl App {
    /// Opens the database (applying migrations), sets the key of the log
    /// pseudonyms (generating and storing it on first run unless
    /// configured), records the campaigns' consent wordings and forgets
    /// abandoned conversations; for a process that serves supporters until
    /// it is stopped.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    /// [`App::build`] for a command that serves one person and exits (the
    /// console), which holds fewer database connections.
    pub async fn build_short_lived(settings: Settings) -> anyhow::Result<Self> {
        Self::build_for(settings, Usage::ShortLived, Arc::new(SystemClock)).await
    }

    /// Runs `job` on an app built for a command that does one thing and
    /// exits, then closes the database cleanly whatever `job` returned.
    pub async fn with_short_lived<T>(
        settings: Settings,
        job: impl AsyncFnOnce(&App) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let app = Self::build_short_lived(settings).await?;
        let done = job(&app).await;
        app.engine.storage().close().await;
        done
    }

    /// [`App::build`] with a chosen clock.
    pub async fn build_with_clock(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        Self::build_for(settings, Usage::LongRunning, clock).await
    }

    /// [`App::build`] for a usage, with a chosen clock.
    pub async fn build_for(settings: Settings, usage: Usage, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        // Before anything records: `/metrics` then describes every metric
        // from the first scrape.
        metrics::install();
        for campaign in settings.campaigns.iter() {
            metrics::expose_campaign(&campaign.slug);
        }
        let storage = storage::connect_for(&settings.database, usage)
            .await
            .context("could not open the database")?;
        // Before anything logs a person: every pseudonym is made with this key.
        // Only the first app in a process sets it; tests and the benchmark
        // build several, and a running process's pseudonyms must not change.
        let key = telemetry::choose_pseudonym_key(&settings.logging, storage.as_ref())
            .await
            .context("could not read the log pseudonym key")?;
        telemetry::set_pseudonym_key(PseudonymKey::new(key.expose().as_bytes()));
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
            info!(forgotten, "deleted abandoned conversations");
        }
        engine
            .forget_old_signing_attempts()
            .await
            .context("could not forget old signing attempts")?;
        // The counters are kept in step with every write; a recount at
        // start-up proves it, and mends them if anything ever drifted.
        for recount in engine
            .storage()
            .recount()
            .await
            .context("could not recount the signatures")?
        {
            if recount.drifted() {
                warn!(
                    campaign = %recount.campaign,
                    stored_total = recount.stored_total,
                    counted_total = recount.counted_total,
                    stored_held = recount.stored_held,
                    counted_held = recount.counted_held,
                    breakdowns_mended = recount.breakdowns_mended,
                    "counters had drifted from the signatures; corrected"
                );
            }
        }
        Ok(Self {
            settings,
            engine,
            health: Health::new(),
        })
    }

    /// Whether each bot this app runs is connected; a clone shares the state.
    pub fn health(&self) -> Health {
        self.health.clone()
    }

    /// Runs every bot whose token is configured, in this one process and on
    /// this one database, until `shutdown` completes (Ctrl-C or SIGTERM in
    /// the binary) or a bot stops by itself; then stops them all, within
    /// [`STOP_WITHIN`] whatever their platforms do. `shutdown` completing
    /// while a bot is still starting stops the start.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
        let listeners = Listeners::bind(&self.settings.web).await?;
        self.run_on(listeners, shutdown).await
    }

    /// [`App::run`] with the web server's listeners already bound (tests
    /// bind port 0 and read the port).
    pub async fn run_on(self, listeners: Listeners, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
        let telegram_configured = !self.settings.telegram.token.is_empty();
        let discord_configured = !self.settings.discord.token.is_empty();
        let web_configured = listeners.web.is_some();
        if !telegram_configured && !discord_configured && !web_configured {
            anyhow::bail!(
                "no bot token and no web server are configured, so there is nothing to run.\n\
                 Set TELEGRAM_BOT_TOKEN and/or DISCORD_BOT_TOKEN, or web.listen (see the README), \
                 or try the signing conversation at a terminal with `petition console`."
            );
        }
        // Expected before either starts, so that `/readyz` says not ready
        // while Telegram starts and Discord waits its turn.
        if telegram_configured {
            self.health.expect(HealthBot::Telegram);
        }
        if discord_configured {
            self.health.expect(HealthBot::Discord);
        }
        let mut shutdown = std::pin::pin!(shutdown);
        let mut started: Vec<Started> = Vec::new();
        let mut mini_app = None;
        // Starting Telegram asks its API (getMe, the menus, the webhook),
        // which may hang for as long as its client waits; a signal
        // meanwhile must still stop the process.
        if telegram_configured {
            let starting = telegram::start(&self.settings, self.engine.clone(), self.health.clone(), web_configured);
            tokio::select! {
                telegram = starting => {
                    let (telegram, side) = telegram?;
                    started.push(telegram);
                    mini_app = side;
                }
                () = &mut shutdown => {
                    info!("shutting down");
                    info!("stopped");
                    return Ok(());
                }
            }
        }
        if discord_configured {
            started.push(discord::start(
                &self.settings,
                self.engine.clone(),
                self.health.clone(),
            )?);
        }
        let (stop_servers, servers_stopping) = tokio::sync::watch::channel(false);
        let servers = self.start_web(listeners, mini_app, servers_stopping);
        let chores = vec![
            AbortOnDrop(tokio::spawn(forget_abandoned_conversations_periodically(
                self.engine.clone(),
            ))),
            AbortOnDrop(tokio::spawn(check_velocity_periodically(self.engine.clone()))),
            AbortOnDrop(tokio::spawn(prune_limits_periodically(self.engine.clone()))),
            AbortOnDrop(tokio::spawn(look_after_lifecycles_periodically(self.engine.clone()))),
        ];
        let mut bots = Vec::new();
        let mut senders = Vec::new();
        let mut platform_chores = Vec::new();
        for platform in started {
            bots.push(platform.bot);
            senders.push(spawn_sender(self.engine.clone(), platform.courier));
            platform_chores.extend(platform.chores);
        }

        info!(
            telegram = telegram_configured,
            discord = discord_configured,
            web = web_configured,
            "running"
        );
        tokio::select! {
            () = &mut shutdown => info!("shutting down"),
            platform = BotHandle::first_to_stop(&mut bots) => warn!("the {} bot stopped by itself", platform.name()),
        }
        drop(chores);
        drop(platform_chores);
        // The web servers finish the requests in hand (a signing in flight
        // is stored and answered) within the same deadline as the bots.
        stop_servers.send_replace(true);
        let servers_stopped = async {
            let aborts: Vec<_> = servers.iter().map(tokio::task::JoinHandle::abort_handle).collect();
            if tokio::time::timeout(STOP_WITHIN, futures_util::future::join_all(servers))
                .await
                .is_err()
            {
                warn!("the web server did not stop in time; leaving it");
                aborts.iter().for_each(tokio::task::AbortHandle::abort);
            }
        };
        // A sender stops once the batch in hand is recorded, so a clean stop
        // leaves no delivery unknown; one that takes too long is abandoned
        // (its batch is then recorded as unknown at the next start).
        for (stop, _) in &senders {
            stop.stop();
        }
        let senders_stopped = async {
            let aborts: Vec<_> = senders.iter().map(|(_, task)| task.abort_handle()).collect();
            let stopped = futures_util::future::join_all(senders.into_iter().map(|(_, task)| task));
            if tokio::time::timeout(SENDERS_STOP_WITHIN, stopped).await.is_err() {
                warn!("the outbox did not stop in time; its messages in flight will be recorded as unknown");
                aborts.iter().for_each(tokio::task::AbortHandle::abort);
            }
        };
        // Each bot bounds its own stop; this bounds them together, whatever
        // state their connections are in.
        let everything = futures_util::future::join3(BotHandle::stop_all(bots), senders_stopped, servers_stopped);
        if tokio::time::timeout(STOP_WITHIN, everything).await.is_err() {
            warn!(deadline = ?STOP_WITHIN, "the bots did not stop in time; leaving them");
        }
        self.engine.storage().close().await;
        info!("stopped");
        Ok(())
    }

    /// Starts the web server (and the metrics server) on their listeners;
    /// with a Telegram bot, its `mini_app` side signs the Mini App's users
    /// in.
    fn start_web(
        &self,
        listeners: Listeners,
        mini_app: Option<TelegramSide>,
        stopping: tokio::sync::watch::Receiver<bool>,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        let mut tasks = Vec::new();
        if let Some(listener) = listeners.web {
            let health = self.health.clone();
            let mut web = Web::new(self.engine.clone(), self.settings.web.clone())
                .with_bots_not_ready(Arc::new(move || health.not_ready()));
            if let Some(side) = mini_app {
                web = web.with_telegram(side);
            }
            if let Ok(address) = listener.local_addr() {
                info!(%address, "the web server is listening");
            }
            tasks.push(tokio::spawn(Arc::new(web).serve(listener, stopped(stopping.clone()))));
        }
        if let Some(listener) = listeners.metrics {
            if let Ok(address) = listener.local_addr() {
                info!(%address, "metrics are served at /metrics");
            }
            tasks.push(tokio::spawn(crate::web::serve_metrics(
                listener,
                Arc::new(metrics::render),
                stopped(stopping),
            )));
        }
        tasks
    }
}

/// The web server's listeners, bound before the application runs.
#[derive(Default)]
pub struct Listeners {
    /// The public pages, count.json, the Mini App and health.
    pub web: Option<tokio::net::TcpListener>,
    /// `/metrics`.
    pub metrics: Option<tokio::net::TcpListener>,
}

impl Listeners {
    /// Binds the addresses configured in `[web]`, those that are set.
    pub async fn bind(settings: &WebSettings) -> anyhow::Result<Self> {
        let bind = |address: &str, what: &'static str| {
            let address = address.trim().to_owned();
            async move {
                if address.is_empty() {
                    return Ok(None);
                }
                tokio::net::TcpListener::bind(&address)
                    .await
                    .map(Some)
                    .with_context(|| format!("could not listen on {address} for {what}"))
            }
        };
        Ok(Self {
            web: bind(&settings.listen, "the web server").await?,
            metrics: bind(&settings.metrics_listen, "the metrics").await?,
        })
    }
}

/// Completes once `stopping` turns true.
async fn stopped(mut stopping: tokio::sync::watch::Receiver<bool>) {
    let _ = stopping.wait_for(|stop| *stop).await;
}

/// Starts an outbox sender; returns how to stop it, and its task.
fn spawn_sender(
    engine: Arc<Engine>,
    courier: Arc<dyn outbox::Courier>,
) -> (outbox::StopSending, tokio::task::JoinHandle<()>) {
    let (sender, stop) = outbox::Sender::new(engine, courier);
    (stop, tokio::spawn(sender.run()))
}

/// Closes campaigns at their closing time and forgets signers when due,
/// every [`LOOK_AFTER_LIFECYCLES_EVERY`] (so the daily anonymisation happens
/// within a minute of falling due).
async fn look_after_lifecycles_periodically(engine: Arc<Engine>) {
    let mut every = tokio::time::interval(LOOK_AFTER_LIFECYCLES_EVERY);
    loop {
        every.tick().await;
        if let Err(error) = engine.look_after_lifecycles().await {
            warn!(%error, "could not look after the campaigns' opening, closing and anonymising");
        }
    }
}

/// Checks velocity every [`CHECK_VELOCITY_EVERY`].
async fn check_velocity_periodically(engine: Arc<Engine>) {
    let mut every = tokio::time::interval(CHECK_VELOCITY_EVERY);
    loop {
        every.tick().await;
        if let Err(error) = engine.check_velocity().await {
            warn!(%error, "could not check signature velocity");
        }
    }
}

/// Prunes the rate limiters every [`PRUNE_LIMITS_EVERY`], so memory stays
/// bounded however many people appear.
async fn prune_limits_periodically(engine: Arc<Engine>) {
    let mut every = tokio::time::interval(PRUNE_LIMITS_EVERY);
    loop {
        every.tick().await;
        engine.prune_limits();
    }
}

/// Deletes abandoned conversations, and signing attempts that no longer
/// count, every [`CLEAN_UP_EVERY`].
async fn forget_abandoned_conversations_periodically(engine: Arc<Engine>) {
    let mut every = tokio::time::interval(CLEAN_UP_EVERY);
    every.tick().await; // the first tick is immediate; start-up already cleaned
    loop {
        every.tick().await;
        match engine.forget_abandoned_conversations().await {
            Ok(0) => {}
            Ok(forgotten) => info!(forgotten, "deleted abandoned conversations"),
            Err(error) => warn!(%error, "could not delete abandoned conversations"),
        }
        if let Err(error) = engine.forget_old_signing_attempts().await {
            warn!(%error, "could not forget old signing attempts");
        }
    }
}
