//! The Telegram adapter: updates become engine inputs, engine replies become
//! messages. Supporters sign in a private chat; in groups the bot answers
//! only its commands, publicly and without personal data, and points to a
//! private chat.
//!
//! The dispatch tree ([`schema`]) is generic over the requester, so
//! production wraps the bot in [`Throttle`] (Telegram's per-chat and overall
//! limits, and waiting out a 429's `retry_after`) while tests may drive it
//! with a plain [`Bot`] against a fake Bot API server.

pub mod render;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use teloxide::adaptors::Throttle;
use teloxide::adaptors::throttle::Limits;
use teloxide::dispatching::{Dispatcher, UpdateHandler};
use teloxide::error_handlers::ErrorHandler;
use teloxide::prelude::*;
use teloxide::types::{BotCommand, BotCommandScope, InputFile, Me, MessageId, Recipient};
use teloxide::utils::command::BotCommands;
use teloxide::{RequestError, dptree};
use tokio::net::TcpListener;
use tracing::{info, warn};
use url::Url;

use crate::adapter::{self, AlertPoster, BotHandle};
use crate::config::{Secret, TelegramSettings};
use crate::conversation::{Engine, Incoming, Input, Placement, Reply, Visibility};
use crate::dedup::RecentIds;
use crate::domain::{ChatKind, Identity, Platform};
use crate::messages::{self, Language, TelegramCommand};
use crate::shutdown::AbortOnDrop;

/// The commands Telegram's menu offers, as the bot parses them. The menu's
/// descriptions are the catalogue's (`MENU`); the derive would take these
/// doc comments for descriptions too, but nothing asks it for them.
#[derive(BotCommands, Clone, Debug, PartialEq, Eq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// The welcome, with a start link's payload if there is one.
    Start(String),
    /// Begin signing.
    Sign,
    /// The full article.
    Article,
    /// Whether and when they signed.
    Status,
    /// Remove the signature and its data.
    Withdraw,
    /// Everything held about them.
    MyData,
    /// The privacy notice.
    Privacy,
    /// The count against the goal.
    Total,
    /// The words the bot understands.
    Help,
    /// Stop signing, keeping nothing.
    Cancel,
    /// In a group: present the petition.
    Petition,
    /// Organisers: breakdowns.
    Stats,
    /// Organisers: the signatures as CSV.
    Export,
    /// Organisers: the signatures held for review.
    Held,
    /// Organisers: the last week's velocity alerts.
    Anomalies,
    /// Organisers: count held signatures in; the rest is the selection.
    Release(String),
    /// Organisers: stop signatures counting; the rest is the selection.
    Invalidate(String),
}

/// Telegram's menu, in order: each command's name (without the slash, as
/// the Bot API wants it) and the catalogue key of its description.
const MENU: [(&str, TelegramCommand); 17] = [
    ("start", TelegramCommand::Start),
    ("sign", TelegramCommand::Sign),
    ("article", TelegramCommand::Article),
    ("status", TelegramCommand::Status),
    ("withdraw", TelegramCommand::Withdraw),
    ("mydata", TelegramCommand::MyData),
    ("privacy", TelegramCommand::Privacy),
    ("total", TelegramCommand::Total),
    ("help", TelegramCommand::Help),
    ("cancel", TelegramCommand::Cancel),
    ("petition", TelegramCommand::Petition),
    ("stats", TelegramCommand::Stats),
    ("export", TelegramCommand::Export),
    ("held", TelegramCommand::Held),
    ("anomalies", TelegramCommand::Anomalies),
    ("release", TelegramCommand::Release),
    ("invalidate", TelegramCommand::Invalidate),
];

impl Command {
    /// What the engine is told; words go with a leading slash, which is how
    /// the engine recognises a command in a group.
    fn to_input(&self) -> Input {
        match self {
            Command::Start(payload) => Input::Start {
                payload: Some(payload.trim().to_owned()).filter(|p| !p.is_empty()),
            },
            Command::Release(selection) => Input::Text(format!("/release {selection}")),
            Command::Invalidate(selection) => Input::Text(format!("/invalidate {selection}")),
            other => {
                let word = format!("{other:?}").to_lowercase();
                Input::Text(format!("/{word}"))
            }
        }
    }

    /// The menu entries, described in `language`.
    fn menu(include_organiser_commands: bool, language: Language) -> Vec<BotCommand> {
        MENU.into_iter()
            .filter(|(name, _)| {
                include_organiser_commands
                    || !matches!(
                        *name,
                        "stats" | "export" | "held" | "anomalies" | "release" | "invalidate"
                    )
            })
            .map(|(name, command)| BotCommand::new(name, messages::Message::TelegramCommand(command).text(language)))
            .collect()
    }
}

type HandlerResult = Result<(), RequestError>;

/// What the adapter needs of a requester: a plain [`Bot`] or a wrapped one
/// such as `Throttle<Bot>`, whose requests can be sent from any task.
pub trait TelegramApi:
    Requester<
        Err = RequestError,
        SendMessage: Send,
        EditMessageText: Send,
        SendDocument: Send,
        AnswerCallbackQuery: Send,
        GetMe: Send,
        SetMyCommands: Send,
        GetUpdates: Send,
        GetWebhookInfo: Send,
        DeleteWebhook: Send,
        SetWebhook: Send,
    > + Clone
    + Send
    + Sync
    + 'static
{
}

impl<T> TelegramApi for T where
    T: Requester<
            Err = RequestError,
            SendMessage: Send,
            EditMessageText: Send,
            SendDocument: Send,
            AnswerCallbackQuery: Send,
            GetMe: Send,
            SetMyCommands: Send,
            GetUpdates: Send,
            GetWebhookInfo: Send,
            DeleteWebhook: Send,
            SetWebhook: Send,
        > + Clone
        + Send
        + Sync
        + 'static
{
}

/// The dispatch tree: duplicate updates dropped, then messages and button
/// presses handed to the engine. Needs `Arc<Engine>` and
/// `Arc<RecentIds>` (update ids seen, so an update delivered twice is handled
/// once) as dependencies (the dispatcher adds the bot and
/// `Me` itself).
pub fn schema<R>() -> UpdateHandler<RequestError>
where
    R: TelegramApi,
{
    dptree::entry()
        .filter(|update: Update, recent: Arc<RecentIds>| recent.first_time(u64::from(update.id.0)))
        .branch(Update::filter_message().endpoint(on_message::<R>))
        .branch(Update::filter_callback_query().endpoint(on_button::<R>))
}

fn chat_kind(message: &Message) -> Option<ChatKind> {
    if message.chat.is_private() {
        Some(ChatKind::Private)
    } else if message.chat.is_group() || message.chat.is_supergroup() {
        Some(ChatKind::Group)
    } else {
        None
    }
}

async fn on_message<R>(bot: R, message: Message, me: Me, engine: Arc<Engine>) -> HandlerResult
where
    R: TelegramApi,
{
    let Some(user) = message.from.as_ref().filter(|user| !user.is_bot) else {
        return Ok(());
    };
    let Some(chat) = chat_kind(&message) else {
        return Ok(());
    };
    let input = match message.text() {
        Some(text) if text.starts_with('/') => match Command::parse(text, me.username()) {
            Ok(command) => command.to_input(),
            // A command for another bot in a group is none of our business.
            Err(_) if chat == ChatKind::Group => return Ok(()),
            Err(_) => Input::Text(text.to_owned()),
        },
        Some(text) => Input::Text(text.to_owned()),
        // A sticker or photo in private gets the help; in a group, nothing.
        None if chat == ChatKind::Private => Input::Text(String::new()),
        None => return Ok(()),
    };
    let replies = engine
        .handle(Incoming {
            from: Identity::new(Platform::Telegram, user.id.0.to_string()),
            roles: Vec::new(),
            chat,
            input,
            account_created: None,
        })
        .await;
    deliver(&bot, message.chat.id, None, replies, me.username(), engine.language()).await
}

async fn on_button<R>(bot: R, query: CallbackQuery, me: Me, engine: Arc<Engine>) -> HandlerResult
where
    R: TelegramApi,
{
    let pressed_on = query.regular_message().filter(|m| m.chat.is_private());
    let (Some(data), Some(pressed_on)) = (query.data.clone(), pressed_on) else {
        // Buttons elsewhere carry no data of ours; just stop the spinner.
        bot.answer_callback_query(query.id.clone()).send().await?;
        return Ok(());
    };
    let chat_id = pressed_on.chat.id;
    let pressed_message = pressed_on.id;
    let mut replies = engine
        .handle(Incoming {
            from: Identity::new(Platform::Telegram, query.from.id.0.to_string()),
            roles: Vec::new(),
            chat: ChatKind::Private,
            input: Input::Choice(data),
            account_created: None,
        })
        .await;
    // Every button press is answered, with a notice if the engine has one.
    let notice = replies
        .iter()
        .position(|r| r.placement == Placement::Notice)
        .map(|i| replies.remove(i));
    let answer = bot.answer_callback_query(query.id.clone());
    match notice {
        Some(notice) => answer.text(notice.text).send().await?,
        None => answer.send().await?,
    };
    deliver(
        &bot,
        chat_id,
        Some(pressed_message),
        replies,
        me.username(),
        engine.language(),
    )
    .await
}

/// Sends replies in order. The answer to a button that moved the
/// conversation on replaces the message the button was on, which keeps the
/// chat short and the number of messages per signature low.
async fn deliver<R>(
    bot: &R,
    chat_id: ChatId,
    pressed_message: Option<MessageId>,
    replies: Vec<Reply>,
    bot_username: &str,
    language: Language,
) -> HandlerResult
where
    R: TelegramApi,
{
    for reply in replies {
        let (text, keyboard) = render::render(&reply, bot_username, language);
        if let Some(attachment) = &reply.attachment {
            let file = InputFile::memory(attachment.bytes.clone()).file_name(attachment.file_name.clone());
            let document = bot.send_document(chat_id, file);
            if text.chars().count() <= render::MAX_CAPTION_CHARS {
                document.caption(text).send().await?;
            } else {
                bot.send_message(chat_id, text).send().await?;
                document.send().await?;
            }
            continue;
        }
        if reply.placement == Placement::InPlaceOfChoice
            && let Some(message_id) = pressed_message
            && text.chars().count() <= render::MAX_MESSAGE_CHARS
        {
            let edit = bot.edit_message_text(chat_id, message_id, text.clone());
            let edited = match keyboard.clone() {
                Some(keyboard) => edit.reply_markup(keyboard).send().await,
                None => edit.send().await,
            };
            match edited {
                Ok(_) => continue,
                // Too old to edit, or deleted by the user: send it instead.
                Err(RequestError::Api(error)) => {
                    info!(%error, "could not edit the message; sending a new one");
                }
                Err(other) => return Err(other),
            }
        }
        let parts = adapter::split_text(&text, render::MAX_MESSAGE_CHARS);
        let last = parts.len() - 1;
        for (i, part) in parts.into_iter().enumerate() {
            let message = bot.send_message(chat_id, part);
            match (&keyboard, i == last) {
                (Some(keyboard), true) => message.reply_markup(keyboard.clone()).send().await?,
                _ => message.send().await?,
            };
        }
        debug_assert!(reply.visibility == Visibility::Private || pressed_message.is_none());
    }
    Ok(())
}

/// Logs failures without their payloads: a request's JSON may carry what a
/// supporter typed.
#[derive(Debug, Clone, Copy)]
pub struct QuietErrorHandler(pub &'static str);

impl<E: Into<SanitisedError> + Send + 'static> ErrorHandler<E> for QuietErrorHandler {
    fn handle_error(self: Arc<Self>, error: E) -> futures_util::future::BoxFuture<'static, ()> {
        let SanitisedError(description) = error.into();
        let context = self.0;
        Box::pin(async move { warn!(error = %description, "{context}") })
    }
}

/// An error described without anything that could be personal data.
pub struct SanitisedError(String);

impl std::fmt::Display for SanitisedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<RequestError> for SanitisedError {
    fn from(error: RequestError) -> Self {
        Self(match error {
            RequestError::Api(api) => format!("Telegram refused a request: {api}"),
            RequestError::MigrateToChatId(_) => "a group was migrated to a supergroup".to_owned(),
            RequestError::RetryAfter(after) => format!("rate limited for {:?}", after.duration()),
            // A network error's own text includes the URL, and with it the token.
            RequestError::Network(error) if error.is_timeout() => "network error: timed out".to_owned(),
            RequestError::Network(error) if error.is_connect() => "network error: could not connect".to_owned(),
            RequestError::Network(_) => "network error".to_owned(),
            RequestError::InvalidJson { source, .. } => {
                format!("invalid JSON from Telegram: {source}")
            }
            RequestError::Io(error) => format!("I/O error: {}", error.kind()),
        })
    }
}

impl From<std::convert::Infallible> for SanitisedError {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

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
    let me = bot.get_me().send().await.context("Telegram did not answer getMe")?;
    info!(bot = %me.username(), "connected to Telegram");
    register_commands(&bot, organisers, engine.language())
        .await
        .context("could not register the command menu with Telegram")?;
    let mut dispatcher = Dispatcher::builder(bot.clone(), schema::<R>())
        .dependencies(dptree::deps![engine, Arc::new(RecentIds::new(10_000))])
        .default_handler(|_| async {})
        .error_handler(Arc::new(QuietErrorHandler("could not handle a Telegram update")))
        .build();
    let shutdown = dispatcher.shutdown_token();
    let listener_errors = Arc::new(QuietErrorHandler("could not fetch Telegram updates"));
    let task = match delivery {
        Delivery::LongPolling => {
            let listener = teloxide::update_listeners::polling_default(bot).await;
            tokio::spawn(async move {
                if let Err(error) = dispatcher.try_dispatch_with_listener(listener, listener_errors).await {
                    warn!(error = %SanitisedError::from(error), "the Telegram bot could not start");
                }
            })
        }
        Delivery::Webhook {
            listener,
            public_url,
            secret,
        } => {
            let address = listener.local_addr().context("the webhook listener has no address")?;
            let options = teloxide::update_listeners::webhooks::Options::new(address, public_url)
                .secret_token(secret.expose().to_owned());
            let (updates, stop_server, router) = teloxide::update_listeners::webhooks::axum_to_router(bot, options)
                .await
                .context("could not set the webhook with Telegram")?;
            let router = router.layer(axum::middleware::from_fn_with_state(
                Arc::<str>::from(secret.expose()),
                require_secret,
            ));
            // Owned by the bot's task, so that aborting it (a stop past
            // its deadline) closes the listener too.
            let server = AbortOnDrop(tokio::spawn(async move {
                let served = axum::serve(listener, router).with_graceful_shutdown(stop_server).await;
                if let Err(error) = served {
                    warn!(error = %error, "the webhook server stopped");
                }
            }));
            tokio::spawn(async move {
                if let Err(error) = dispatcher.try_dispatch_with_listener(updates, listener_errors).await {
                    warn!(error = %SanitisedError::from(error), "the Telegram bot could not start");
                }
                let _ = server.await;
            })
        }
    };
    let running = task.abort_handle();
    let ask = async move {
        while !running.is_finished() {
            match shutdown.shutdown() {
                Ok(_) => break,
                // Not running yet: it is about to be.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
            }
        }
    };
    Ok(BotHandle::new(
        "Telegram",
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

/// Organisers' alerts posted to a Telegram chat.
pub struct AlertChat<R> {
    bot: R,
    chat: ChatId,
}

impl<R> AlertChat<R> {
    /// Alerts to `chat` (a chat id; groups' are negative), sent by `bot`.
    pub fn new(bot: R, chat: i64) -> Self {
        Self {
            bot,
            chat: ChatId(chat),
        }
    }
}

#[async_trait]
impl<R> AlertPoster for AlertChat<R>
where
    R: TelegramApi,
{
    type Error = SanitisedError;

    fn platform(&self) -> &'static str {
        "Telegram"
    }

    async fn post(&self, text: String) -> Result<(), SanitisedError> {
        self.bot
            .send_message(self.chat, text)
            .send()
            .await
            .map(drop)
            .map_err(SanitisedError::from)
    }
}

/// Posts alerts to an organisers' chat until the engine goes away: the
/// shared [`adapter::forward_alerts`] through an [`AlertChat`].
pub async fn forward_alerts<R>(bot: R, chat: i64, alerts: tokio::sync::broadcast::Receiver<crate::conversation::Alert>)
where
    R: TelegramApi,
{
    adapter::forward_alerts(AlertChat::new(bot, chat), alerts).await
}

/// The production requester: Telegram's per-chat and overall limits, and
/// 429s waited out and retried.
pub fn throttled_bot(settings: &TelegramSettings, limits: Limits) -> anyhow::Result<Throttle<Bot>> {
    let api_url = Url::parse(&settings.api_url).context("telegram.api_url is not a valid URL")?;
    Ok(Bot::new(settings.token.expose()).set_api_url(api_url).throttle(limits))
}

async fn register_commands<R>(bot: &R, organisers: &[i64], language: Language) -> Result<(), RequestError>
where
    R: Requester<Err = RequestError>,
{
    bot.set_my_commands(Command::menu(false, language)).send().await?;
    for organiser in organisers {
        bot.set_my_commands(Command::menu(true, language))
            .scope(BotCommandScope::Chat {
                chat_id: Recipient::Id(ChatId(*organiser)),
            })
            .send()
            .await?;
    }
    Ok(())
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

use axum::response::IntoResponse;

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

    #[test]
    fn commands_become_engine_words() {
        assert_eq!(
            Command::parse("/start keep-the-unit-open__ABCDEFGH", "bot")
                .unwrap()
                .to_input(),
            Input::Start {
                payload: Some("keep-the-unit-open__ABCDEFGH".into())
            }
        );
        assert_eq!(
            Command::parse("/start", "bot").unwrap().to_input(),
            Input::Start { payload: None }
        );
        assert_eq!(
            Command::parse("/mydata@bot", "bot").unwrap().to_input(),
            Input::Text("/mydata".into())
        );
        assert!(Command::parse("/sign@otherbot", "bot").is_err());
    }

    #[test]
    fn the_menu_offers_exactly_the_commands_the_bot_parses() {
        let parsed: Vec<String> = Command::bot_commands()
            .into_iter()
            .map(|entry| entry.command.trim_start_matches('/').to_owned())
            .collect();
        let offered: Vec<String> = Command::menu(true, Language::English)
            .into_iter()
            .map(|entry| entry.command)
            .collect();
        assert_eq!(offered, parsed);
    }
}
