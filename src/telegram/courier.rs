//! Updates to signers sent on Telegram, for the outbox: each in the
//! signer's private chat with a "Stop updates" button, and the organiser's
//! progress message edited in place.
//!
//! Each message waits for its turn in the bot's one pace: updates at the
//! lowest priority (so a broadcast never queues in front of a signer's
//! reply), the organiser's progress ahead of them. An update whose turn
//! does not come soon is handed back to the outbox as rate limited (nothing
//! was sent), to be tried again later. Paid broadcasts have an allowance
//! of their own, so they go through a pace of their own.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use teloxide::ApiError;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, MessageId};

use super::paced::{destination, paced};
use super::{SanitisedError, TelegramApi};
use crate::domain::Platform;
use crate::messages::{Button, Language, Message};
use crate::outbox::{Courier, Sent};
use crate::pace::{Limits, Pace, Priority};

/// How long one send may take before it counts as a transient failure;
/// well inside the outbox's lease, so a slow batch never outlives it.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// The data of the "Stop updates" button: honoured from any message.
pub const STOP_UPDATES_DATA: &str = "update.stop";

/// How long an update waits for its turn before it is handed back to the
/// outbox to be tried again later (replies had every turn meanwhile).
const TURN_WAIT: Duration = Duration::from_secs(5);

/// Telegram's side of the outbox.
pub struct TelegramCourier<R> {
    bot: R,
    per_second: u32,
    /// The bot's one pace, which replies and everything else share.
    pace: Arc<Pace>,
    /// Where updates take their turns: the bot's pace, or with paid
    /// broadcasts a pace of their own.
    updates_pace: Arc<Pace>,
    paid_broadcast: bool,
    language: Language,
}

impl<R> TelegramCourier<R> {
    /// Sends with `bot` at most `per_second` updates a second in turn with
    /// everything else on `pace` (the bot's one pace), or as paid
    /// broadcasts if `paid_broadcast`, at `per_second` of their own.
    pub fn new(bot: R, pace: Arc<Pace>, per_second: u32, paid_broadcast: bool, language: Language) -> Self {
        let updates_pace = if paid_broadcast {
            Arc::new(Pace::new(Limits::telegram(per_second, per_second)))
        } else {
            pace.clone()
        };
        Self {
            bot,
            per_second,
            pace,
            updates_pace,
            paid_broadcast,
            language,
        }
    }
}

fn chat_of(user_id: &str) -> Result<ChatId, String> {
    user_id
        .parse()
        .map(ChatId)
        .map_err(|_| "a Telegram user id that is not a number".to_owned())
}

/// What a failed send means for the outbox.
fn outcome_of(error: &RequestError) -> Sent {
    match error {
        RequestError::RetryAfter(after) => Sent::RetryAfter(after.duration()),
        RequestError::Api(
            ApiError::BotBlocked
            | ApiError::UserDeactivated
            | ApiError::ChatNotFound
            | ApiError::CantInitiateConversation
            | ApiError::CantTalkWithBots
            | ApiError::BotKicked
            | ApiError::BotKickedFromSupergroup
            | ApiError::BotKickedFromChannel,
        ) => Sent::Unreachable,
        RequestError::Api(ApiError::Unknown(description)) if description.starts_with("Forbidden") => Sent::Unreachable,
        _ => Sent::Transient,
    }
}

#[async_trait]
impl<R> Courier for TelegramCourier<R>
where
    R: TelegramApi,
{
    fn platform(&self) -> Platform {
        Platform::Telegram
    }

    fn per_second(&self) -> u32 {
        self.per_second
    }

    async fn send_update(&self, user_id: &str, text: &str) -> Sent {
        let Ok(chat) = chat_of(user_id) else {
            return Sent::Unreachable;
        };
        let Ok(turn) = tokio::time::timeout(
            TURN_WAIT,
            self.updates_pace.turn(destination(chat), Priority::Broadcast),
        )
        .await
        else {
            return Sent::RetryAfter(TURN_WAIT);
        };
        let stop = InlineKeyboardButton::callback(
            Message::Button(Button::StopUpdates).text(self.language),
            STOP_UPDATES_DATA,
        );
        let mut request = self
            .bot
            .send_message(chat, text.to_owned())
            .reply_markup(InlineKeyboardMarkup::new([[stop]]));
        if self.paid_broadcast {
            request = request.allow_paid_broadcast(true);
        }
        let sent = tokio::time::timeout(SEND_TIMEOUT, request.send()).await;
        drop(turn);
        match sent {
            Ok(Ok(_)) => Sent::Delivered,
            Ok(Err(error)) => self.outcome(chat, &error),
            Err(_) => Sent::Transient,
        }
    }

    async fn announce(&self, chat: &str, text: &str) -> Sent {
        let Ok(chat) = chat_of(chat) else {
            return Sent::Unreachable;
        };
        let Ok(turn) = tokio::time::timeout(TURN_WAIT, self.pace.turn(destination(chat), Priority::Progress)).await
        else {
            return Sent::RetryAfter(TURN_WAIT);
        };
        let sent = tokio::time::timeout(SEND_TIMEOUT, self.bot.send_message(chat, text.to_owned()).send()).await;
        drop(turn);
        match sent {
            Ok(Ok(_)) => Sent::Delivered,
            Ok(Err(error)) => self.outcome(chat, &error),
            Err(_) => Sent::Transient,
        }
    }

    async fn show_progress(&self, user_id: &str, message: Option<&str>, text: &str) -> Result<String, String> {
        let chat = chat_of(user_id)?;
        if let Some(id) = message.and_then(|id| id.parse().ok()) {
            let edited = paced(&self.pace, chat, Priority::Progress, || {
                self.bot.edit_message_text(chat, MessageId(id), text.to_owned()).send()
            })
            .await;
            match edited {
                Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => return Ok(id.to_string()),
                // Deleted, or too old to edit: post a new one below.
                Err(RequestError::Api(_)) => {}
                Err(other) => return Err(SanitisedError::from(other).to_string()),
            }
        }
        paced(&self.pace, chat, Priority::Progress, || {
            self.bot.send_message(chat, text.to_owned()).send()
        })
        .await
        .map(|sent| sent.id.0.to_string())
        .map_err(|error| SanitisedError::from(error).to_string())
    }

    async fn tell(&self, user_id: &str, text: &str) -> Result<(), String> {
        let chat = chat_of(user_id)?;
        paced(&self.pace, chat, Priority::Organiser, || {
            self.bot.send_message(chat, text.to_owned()).send()
        })
        .await
        .map(drop)
        .map_err(|error| SanitisedError::from(error).to_string())
    }
}

impl<R> TelegramCourier<R> {
    /// What a failed send means; a 429 also holds the pace back.
    fn outcome(&self, chat: ChatId, error: &RequestError) -> Sent {
        if let RequestError::RetryAfter(after) = error {
            crate::metrics::rate_limited(Platform::Telegram);
            self.updates_pace.hold(destination(chat), after.duration());
            self.updates_pace.pause(after.duration().min(Duration::from_secs(1)));
        }
        outcome_of(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocked_and_deleted_accounts_are_unreachable_and_server_errors_transient() {
        assert_eq!(outcome_of(&RequestError::Api(ApiError::BotBlocked)), Sent::Unreachable);
        assert_eq!(
            outcome_of(&RequestError::Api(ApiError::UserDeactivated)),
            Sent::Unreachable
        );
        assert_eq!(
            outcome_of(&RequestError::Api(ApiError::Unknown(
                "Forbidden: bot can't initiate".into()
            ))),
            Sent::Unreachable
        );
        assert_eq!(
            outcome_of(&RequestError::Api(ApiError::Unknown("Internal Server Error".into()))),
            Sent::Transient
        );
    }
}
