//! Organisers' alerts posted to a Telegram chat.

use std::sync::Arc;

use async_trait::async_trait;
use teloxide::prelude::*;

use super::paced::paced;
use super::{SanitisedError, TelegramApi};
use crate::adapter::{self, AlertPoster};
use crate::domain::Platform;
use crate::pace::{Pace, Priority};

/// Organisers' alerts posted to a Telegram chat.
pub struct AlertChat<R> {
    bot: R,
    /// The bot's one pace: alerts go in turn, after supporters' replies.
    pace: Arc<Pace>,
    chat: ChatId,
}

impl<R> AlertChat<R> {
    /// Alerts to `chat` (a chat id; groups' are negative), sent by `bot` in
    /// turn on `pace`.
    pub fn new(bot: R, pace: Arc<Pace>, chat: i64) -> Self {
        Self {
            bot,
            pace,
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

    fn platform(&self) -> Platform {
        Platform::Telegram
    }

    async fn post(&self, text: String) -> Result<(), SanitisedError> {
        paced(&self.pace, self.chat, Priority::Organiser, || {
            self.bot.send_message(self.chat, text.clone()).send()
        })
        .await
        .map(drop)
        .map_err(SanitisedError::from)
    }
}

/// Posts alerts to an organisers' chat until the engine goes away: the
/// shared [`adapter::forward_alerts`] through an [`AlertChat`].
pub async fn forward_alerts<R>(
    bot: R,
    pace: Arc<Pace>,
    chat: i64,
    alerts: tokio::sync::broadcast::Receiver<crate::conversation::Alert>,
) where
    R: TelegramApi,
{
    adapter::forward_alerts(AlertChat::new(bot, pace, chat), alerts).await
}
