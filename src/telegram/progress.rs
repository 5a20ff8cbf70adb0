//! The progress message and milestone announcements in Telegram chats and
//! channels: the shared [`adapter::progress`] loop through a
//! [`ProgressChats`]. The sign button is the bot's `t.me` deep link, as on
//! the group reply.

use std::sync::Arc;

use async_trait::async_trait;
use teloxide::ApiError;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::MessageId;

use super::paced::paced;
use super::{SanitisedError, TelegramApi, render};
use crate::adapter::progress::{EditFailure, ProgressPoster, keep_progress};
use crate::conversation::{Engine, Reply};
use crate::domain::Platform;
use crate::messages::Language;
use crate::pace::{Pace, Priority};

/// Posts and edits in Telegram announcement chats.
pub struct ProgressChats<R> {
    bot: R,
    /// The bot's one pace: progress goes in turn, after replies.
    pace: Arc<Pace>,
    /// For the deep link of the sign button.
    bot_username: String,
    language: Language,
}

impl<R> ProgressChats<R> {
    /// Through `bot` in turn on `pace`, whose username is `bot_username`,
    /// worded in `language`.
    pub fn new(bot: R, pace: Arc<Pace>, bot_username: impl Into<String>, language: Language) -> Self {
        Self {
            bot,
            pace,
            bot_username: bot_username.into(),
            language,
        }
    }
}

fn chat_id(chat: &str) -> Result<ChatId, SanitisedError> {
    chat.parse()
        .map(ChatId)
        .map_err(|_| SanitisedError::from(RequestError::Api(ApiError::ChatNotFound)))
}

#[async_trait]
impl<R> ProgressPoster for ProgressChats<R>
where
    R: TelegramApi,
{
    type Error = SanitisedError;

    fn platform(&self) -> Platform {
        Platform::Telegram
    }

    async fn post(&self, chat: &str, reply: &Reply) -> Result<String, SanitisedError> {
        let (text, keyboard) = render::render(reply, &self.bot_username, self.language);
        let chat = chat_id(chat)?;
        let sent = paced(&self.pace, chat, Priority::Progress, || {
            let message = self.bot.send_message(chat, text.clone());
            match keyboard.clone() {
                Some(keyboard) => message.reply_markup(keyboard).send(),
                None => message.send(),
            }
        })
        .await?;
        Ok(sent.id.0.to_string())
    }

    async fn edit(&self, chat: &str, message_id: &str, reply: &Reply) -> Result<(), EditFailure<SanitisedError>> {
        let chat = chat_id(chat).map_err(EditFailure::Other)?;
        let Ok(message_id) = message_id.parse() else {
            return Err(EditFailure::Gone);
        };
        let (text, keyboard) = render::render(reply, &self.bot_username, self.language);
        let edited = paced(&self.pace, chat, Priority::Progress, || {
            let edit = self.bot.edit_message_text(chat, MessageId(message_id), text.clone());
            match keyboard.clone() {
                Some(keyboard) => edit.reply_markup(keyboard).send(),
                None => edit.send(),
            }
        })
        .await;
        match edited {
            Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => Ok(()),
            Err(RequestError::Api(
                ApiError::MessageToEditNotFound | ApiError::MessageIdInvalid | ApiError::MessageCantBeEdited,
            )) => Err(EditFailure::Gone),
            Err(other) => Err(EditFailure::Other(other.into())),
        }
    }
}

/// Keeps the progress messages and announcements in Telegram chats until
/// the task is dropped; asks Telegram for the bot's username first, for
/// the sign button.
pub async fn keep_progress_messages<R>(bot: R, engine: Arc<Engine>) -> Result<(), SanitisedError>
where
    R: TelegramApi,
{
    let me = bot.get_me().send().await?;
    let language = engine.language();
    let pace = engine.pace(Platform::Telegram).expect("Telegram has a pace").clone();
    keep_progress(ProgressChats::new(bot, pace, me.username(), language), engine).await;
    Ok(())
}
