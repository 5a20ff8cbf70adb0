//! Organisers' alerts posted to a Telegram chat.

use async_trait::async_trait;
use teloxide::prelude::*;

use super::{SanitisedError, TelegramApi};
use crate::adapter::{self, AlertPoster};

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
