//! The Telegram adapter: updates become engine inputs, engine replies become
//! messages. Supporters sign in a private chat; in groups the bot answers
//! only its commands, publicly and without personal data, and points to a
//! private chat.
//!
//! The dispatch tree ([`schema`]) is generic over the requester: production
//! and the tests drive it with a plain [`Bot`] (the tests against a fake
//! Bot API server), and it also runs under a wrapped one. Every message it
//! sends waits for its turn in the bot's one pace ([`crate::pace`], reached
//! through the engine), which keeps to Telegram's overall and per-chat
//! limits and waits out a 429's `retry_after` ([`paced`]).
//!
//! This file holds that tree and its handlers: updates become engine
//! inputs, replies are delivered. The rest is a file per job: the commands
//! and their menu (`commands.rs`), starting and stopping the bot
//! (`bot.rs`), handing updates to the tree as they arrive, each chat in
//! order and none waiting for another (`dispatch.rs`), calls in their turn
//! ([`paced`]), organisers' alerts (`alerts.rs`) how a reply looks ([`render`]), and starting all
//! of it on one client (`start.rs`).

mod alerts;
mod bot;
mod commands;
mod courier;
mod dispatch;
mod mini_app;
pub mod paced;
mod polling;
mod progress;
pub mod render;
mod start;

use std::sync::Arc;

use teloxide::dispatching::UpdateHandler;
use teloxide::error_handlers::ErrorHandler;
use teloxide::prelude::*;
use teloxide::types::{InputFile, Me, MessageId};
use teloxide::{RequestError, dptree};
use tracing::{info, warn};

pub use self::alerts::{AlertChat, forward_alerts};
pub use self::bot::{Delivery, TelegramBot, bot_for, parse_listen_address, spawn, spawn_watched};
use self::commands::Slashed;
pub use self::courier::{STOP_UPDATES_DATA, TelegramCourier};
pub use self::mini_app::{ThanksInChat, offer_form_in_the_menu};
pub use self::progress::{ProgressChats, keep_progress_messages};
pub use self::start::start;
use crate::adapter;
use crate::conversation::{Engine, Incoming, Input, Placement, Reply, Visibility};
use crate::dedup::RecentIds;
use crate::domain::{ChatKind, Identity, Platform};
use crate::messages;
use crate::pace::{Pace, Priority};
use crate::storage::AnnounceChat;
use paced::paced;

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
        Some(text) if text.starts_with('/') => match commands::read(text, me.username()) {
            Some(Slashed::ProgressHere) => return progress_here(&bot, &message, user.id, chat, &engine).await,
            Some(Slashed::Input(input)) => input,
            // A command for another bot in a group is none of our business.
            None if chat == ChatKind::Group => return Ok(()),
            None => Input::Text(text.to_owned()),
        },
        Some(text) => Input::Text(text.to_owned()),
        // A sticker or photo in private gets the help; in a group, nothing.
        None if chat == ChatKind::Private => Input::Text(String::new()),
        None => return Ok(()),
    };
    let from = Identity::new(Platform::Telegram, user.id.0.to_string());
    let priority = engine.reply_priority(&from, &[]);
    let replies = engine
        .handle(Incoming {
            from: from.clone(),
            roles: Vec::new(),
            chat,
            input,
            account_created: None,
        })
        .await;
    let delivered = deliver(&bot, &engine, message.chat.id, None, replies, me.username(), priority).await;
    if delivered.is_err() && chat == ChatKind::Private {
        engine.note_undelivered(&from);
    }
    delivered
}

/// `/progress here`: in a group, an organiser gets a progress message
/// there (which is the answer; only a refusal is said); in private, where
/// to send it.
async fn progress_here<R>(
    bot: &R,
    message: &Message,
    user: teloxide::types::UserId,
    chat: ChatKind,
    engine: &Engine,
) -> HandlerResult
where
    R: TelegramApi,
{
    let language = engine.language();
    let answer = if chat == ChatKind::Private {
        Some(messages::Message::Milestones(messages::MilestoneMessage::ProgressHereInGroups).text(language))
    } else {
        let from = Identity::new(Platform::Telegram, user.0.to_string());
        let here = AnnounceChat::new(Platform::Telegram, message.chat.id.0);
        let (accepted, reply) = engine.progress_here(&from, &[], here).await;
        (!accepted).then_some(reply.text)
    };
    if let Some(text) = answer {
        let chat = message.chat.id;
        paced(pace_of(engine), chat, Priority::Organiser, || {
            bot.send_message(chat, text.clone()).send()
        })
        .await?;
    }
    Ok(())
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
    let from = Identity::new(Platform::Telegram, query.from.id.0.to_string());
    let priority = engine.reply_priority(&from, &[]);
    let mut replies = engine
        .handle(Incoming {
            from: from.clone(),
            roles: Vec::new(),
            chat: ChatKind::Private,
            input: Input::Choice(data),
            account_created: None,
        })
        .await;
    // Every button press is answered, with a notice if the engine has one.
    // Answers to presses are not messages: they take no turn in the pace.
    let notice = replies
        .iter()
        .position(|r| r.placement == Placement::Notice)
        .map(|i| replies.remove(i));
    let answer = bot.answer_callback_query(query.id.clone());
    match notice {
        Some(notice) => answer.text(notice.text).send().await?,
        None => answer.send().await?,
    };
    let delivered = deliver(
        &bot,
        &engine,
        chat_id,
        Some(pressed_message),
        replies,
        me.username(),
        priority,
    )
    .await;
    if delivered.is_err() {
        engine.note_undelivered(&from);
    }
    delivered
}

/// The bot's pace on Telegram.
fn pace_of(engine: &Engine) -> &Pace {
    engine.pace(Platform::Telegram).expect("Telegram has a pace")
}

/// Sends replies in order, each in its turn at `priority`. The answer to a
/// button that moved the conversation on replaces the message the button
/// was on, which keeps the chat short and the number of messages per
/// signature low.
async fn deliver<R>(
    bot: &R,
    engine: &Engine,
    chat_id: ChatId,
    pressed_message: Option<MessageId>,
    replies: Vec<Reply>,
    bot_username: &str,
    priority: Priority,
) -> HandlerResult
where
    R: TelegramApi,
{
    let pace = pace_of(engine);
    for reply in replies {
        let (text, keyboard) = render::render(&reply, bot_username, engine.language());
        if let Some(attachment) = &reply.attachment {
            let document = || {
                let file = InputFile::memory(attachment.bytes.clone()).file_name(attachment.file_name.clone());
                bot.send_document(chat_id, file)
            };
            if text.chars().count() <= render::MAX_CAPTION_CHARS {
                paced(pace, chat_id, priority, || document().caption(text.clone()).send()).await?;
            } else {
                paced(pace, chat_id, priority, || {
                    bot.send_message(chat_id, text.clone()).send()
                })
                .await?;
                paced(pace, chat_id, priority, || document().send()).await?;
            }
            continue;
        }
        if reply.placement == Placement::InPlaceOfChoice
            && let Some(message_id) = pressed_message
            && text.chars().count() <= render::MAX_MESSAGE_CHARS
        {
            let edited = paced(pace, chat_id, priority, || {
                let edit = bot.edit_message_text(chat_id, message_id, text.clone());
                match keyboard.clone() {
                    Some(keyboard) => edit.reply_markup(keyboard).send(),
                    None => edit.send(),
                }
            })
            .await;
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
            let markup = keyboard.clone().filter(|_| i == last);
            paced(pace, chat_id, priority, || {
                let message = bot.send_message(chat_id, part.clone());
                match markup.clone() {
                    Some(keyboard) => message.reply_markup(keyboard).send(),
                    None => message.send(),
                }
            })
            .await?;
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
