//! The web server (axum), in the same process and on the same engine as the
//! bots: each campaign's public page (`/{slug}`) and its `count.json`, the
//! list of open campaigns (`/`), the Telegram Mini App form
//! (`/{slug}/app`), `/healthz` and `/readyz`; and `/metrics` on an address
//! of its own.
//!
//! Every response carries strict headers (scripts and styles from this
//! server only, no framing but Telegram's on the Mini App); request bodies
//! are small and limited; each address is rate limited. No page asks any
//! other server for anything: the stylesheet and scripts are compiled in.
//!
//! Layout: `security.rs` (headers, limits), `counts.rs` (the count kept in
//! memory, `count.json`), `pages.rs` and `chart.rs` (the public pages),
//! `app.rs` (the Mini App) with `init_data.rs` (Telegram's sign-in),
//! `html.rs` (escaping), `assets.rs` (the compiled-in files).

// A handler's steps fail with the response to give, as axum's extractors do.
#![allow(clippy::result_large_err)]

mod app;
mod assets;
mod chart;
pub mod counts;
mod html;
pub mod init_data;
mod pages;
mod security;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tracing::warn;

use crate::adapter::FollowUp;
use crate::campaign::Campaign;
use crate::config::WebSettings;
use crate::conversation::Engine;
use crate::messages::{Message, WebMessage};
use crate::storage::StorageError;
use counts::{CountBoard, Snapshot};
use init_data::InitDataCheck;
use security::AddressLimits;

/// Which configured bots are not connected now, by name; empty when all are.
pub type BotsNotReady = Arc<dyn Fn() -> Vec<&'static str> + Send + Sync>;

/// Telegram's part in the web server: checking Mini App sign-ins, linking
/// to the bot, and the message in the chat after a signing.
pub struct TelegramSide {
    /// Checks `initData` with the bot's token.
    pub check: InitDataCheck,
    /// The bot's username, for `t.me` links.
    pub username: String,
    /// Sends the thank-you to the chat.
    pub follow_up: Option<Arc<dyn FollowUp>>,
}

/// What every request handler shares.
pub struct Web {
    engine: Arc<Engine>,
    settings: WebSettings,
    /// Each campaign's public count, read at most once a second.
    counts: CountBoard,
    /// `None` without a Telegram bot: the Mini App then refuses every sign-in.
    telegram: Option<TelegramSide>,
    /// Requests per address, per process.
    limits: AddressLimits,
    /// Asked by `/readyz`.
    bots_not_ready: BotsNotReady,
}

impl Web {
    /// A web server over `engine` with `settings`, without a Telegram bot.
    pub fn new(engine: Arc<Engine>, settings: WebSettings) -> Self {
        Self {
            limits: AddressLimits::new(settings.requests_burst, settings.requests_per_second),
            engine,
            settings,
            counts: CountBoard::default(),
            telegram: None,
            bots_not_ready: Arc::new(Vec::new),
        }
    }

    /// With the Telegram bot's part.
    pub fn with_telegram(mut self, telegram: TelegramSide) -> Self {
        self.telegram = Some(telegram);
        self
    }

    /// With what `/readyz` asks of the bots.
    pub fn with_bots_not_ready(mut self, bots_not_ready: BotsNotReady) -> Self {
        self.bots_not_ready = bots_not_ready;
        self
    }

    /// The public routes, without the metrics.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/", get(index))
            .route("/healthz", get(healthz))
            .route("/readyz", get(readyz))
            .route("/static/{file}", get(assets::serve))
            .route("/{slug}", get(campaign_page))
            .route("/{slug}/count.json", get(count_json))
            .route("/{slug}/app", get(app::form_page))
            .route("/{slug}/app/form", post(app::submit_form))
            .route("/{slug}/app/confirm", post(app::confirm))
            .fallback(not_found)
            .layer(axum::middleware::from_fn_with_state(self.clone(), security::guard))
            .with_state(self)
    }

    /// Serves the public routes on `listener` until `shutdown` completes.
    pub async fn serve(self: Arc<Self>, listener: TcpListener, shutdown: impl Future<Output = ()> + Send + 'static) {
        let limits = self.clone();
        let pruning = tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                every.tick().await;
                limits.limits.prune();
            }
        });
        let per_address = self.settings.connections_per_address;
        crate::http::serve_with(listener, self.router(), per_address, shutdown).await;
        pruning.abort();
    }

    fn say(&self, message: WebMessage<'_>) -> String {
        Message::Web(message).text(self.engine.language())
    }

    fn number(&self, n: u64) -> String {
        Message::Number(n).text(self.engine.language())
    }

    fn public_url(&self, path: &str) -> Option<String> {
        self.settings.public_base().map(|base| format!("{base}/{path}"))
    }

    fn telegram_username(&self) -> Option<&str> {
        self.telegram.as_ref().map(|telegram| telegram.username.as_str())
    }

    fn discord_invite(&self) -> Option<&str> {
        let invite = self.settings.discord_invite.trim();
        (invite.starts_with("https://")).then_some(invite)
    }

    fn campaign(&self, slug: &str) -> Option<&Arc<Campaign>> {
        self.engine.campaigns().get(slug)
    }

    async fn snapshot(&self, campaign: &Arc<Campaign>) -> Result<Arc<Snapshot>, crate::storage::StorageError> {
        self.counts
            .snapshot(&self.engine, campaign, self.settings.public_min_count)
            .await
    }

    /// A page saying `message`, with `status`.
    fn error_page(&self, status: StatusCode, message: WebMessage<'_>) -> Response {
        let text = self.say(message);
        (status, Html(self.message_page(&text, &text))).into_response()
    }

    /// The apology for a failure inside; the cause goes to the log only.
    fn failure(&self, error: &dyn std::fmt::Display) -> Response {
        warn!(%error, "could not answer a web request");
        let text = Message::SomethingWentWrong.text(self.engine.language());
        (StatusCode::SERVICE_UNAVAILABLE, Html(self.message_page(&text, &text))).into_response()
    }
}

/// Serves `/metrics` (Prometheus text format) on `listener` until
/// `shutdown` completes.
pub async fn serve_metrics(
    listener: TcpListener,
    render: Arc<dyn Fn() -> String + Send + Sync>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let app = Router::new().route(
        "/metrics",
        get(move || {
            let render = render.clone();
            async move {
                (
                    [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
                    render(),
                )
            }
        }),
    );
    crate::http::serve(listener, app, shutdown).await;
}

async fn index(State(web): State<Arc<Web>>) -> Response {
    match web.index_page().await {
        Ok(page) => Html(page).into_response(),
        Err(error) => web.failure(&error),
    }
}

async fn campaign_page(State(web): State<Arc<Web>>, Path(slug): Path<String>, headers: HeaderMap) -> Response {
    let Some(campaign) = web.campaign(&slug) else {
        return web.error_page(StatusCode::NOT_FOUND, WebMessage::NotFound);
    };
    let snapshot = match web.snapshot(campaign).await {
        Ok(snapshot) => snapshot,
        Err(error) => return web.failure(&error),
    };
    let page = snapshot.page.get_or_init(|| counts::Page {
        html: web.campaign_page(&snapshot).into(),
        etag: format!("W/\"page-{}", snapshot.etag.trim_start_matches("W/\"")),
    });
    let cache = [
        (header::CACHE_CONTROL, "public, max-age=5".to_owned()),
        (header::ETAG, page.etag.clone()),
    ];
    if unchanged(&headers, &page.etag) {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    (cache, Html(page.html.clone())).into_response()
}

/// Whether `If-None-Match` names `etag` (or any).
fn unchanged(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag || tag.trim() == "*"))
}

async fn count_json(State(web): State<Arc<Web>>, Path(slug): Path<String>, headers: HeaderMap) -> Response {
    let Some(campaign) = web.campaign(&slug) else {
        return web.error_page(StatusCode::NOT_FOUND, WebMessage::NotFound);
    };
    let snapshot = match web.snapshot(campaign).await {
        Ok(snapshot) => snapshot,
        Err(error) => return web.failure(&error),
    };
    let cache = [
        (header::CACHE_CONTROL, "public, max-age=5".to_owned()),
        (header::ETAG, snapshot.etag.clone()),
        (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*".to_owned()),
    ];
    if unchanged(&headers, &snapshot.etag) {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    (
        cache,
        [(header::CONTENT_TYPE, "application/json")],
        snapshot.json.clone(),
    )
        .into_response()
}

async fn healthz() -> &'static str {
    "ok\n"
}

/// Ready when the storage takes writes and every configured bot is
/// connected.
async fn readyz(State(web): State<Arc<Web>>) -> Response {
    let mut problems: Vec<&str> = Vec::new();
    match web.engine.storage().ready().await {
        Ok(()) => {}
        // Reads may still work: a load balancer must stop sending
        // supporters here all the same.
        Err(StorageError::FileGone { .. }) => {
            problems.push("storage (every write is refused: the database file is gone)")
        }
        Err(error) => {
            warn!(%error, "readiness: the database did not answer");
            problems.push("database");
        }
    }
    problems.extend((web.bots_not_ready)());
    if problems.is_empty() {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {}\n", problems.join(", ")),
        )
            .into_response()
    }
}

async fn not_found(State(web): State<Arc<Web>>) -> Response {
    web.error_page(StatusCode::NOT_FOUND, WebMessage::NotFound)
}
