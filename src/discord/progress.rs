//! The progress message and milestone announcements in Discord channels:
//! the shared [`adapter::progress`](crate::adapter::progress) loop through
//! a [`ProgressChannels`]. The message carries the same buttons as
//! `/petition`'s (sign here, read the article, sign by direct message),
//! which any member can press.

use std::sync::Arc;

use async_trait::async_trait;

use super::render;
use super::rest::{DiscordRest, OutgoingMessage, RestError};
use crate::adapter::progress::{EditFailure, ProgressPoster, keep_progress};
use crate::conversation::{Engine, Reply};
use crate::domain::Platform;
use crate::messages::Language;

/// Posts and edits in Discord announcement channels.
pub struct ProgressChannels {
    rest: DiscordRest,
    language: Language,
}

impl ProgressChannels {
    /// Through `rest`, worded in `language`.
    pub fn new(rest: DiscordRest, language: Language) -> Self {
        Self { rest, language }
    }

    fn message(&self, reply: &Reply) -> OutgoingMessage {
        OutgoingMessage {
            content: render::truncate(&render::text(reply, self.language), render::MAX_MESSAGE_CHARS),
            components: render::components(reply, self.language),
            ..OutgoingMessage::default()
        }
    }
}

/// A channel or message id as stored, which is always a number.
fn id(text: &str) -> Result<u64, RestError> {
    text.parse().map_err(|_| RestError::Refused {
        status: 404,
        code: None,
    })
}

#[async_trait]
impl ProgressPoster for ProgressChannels {
    type Error = RestError;

    fn platform(&self) -> Platform {
        Platform::Discord
    }

    async fn post(&self, chat: &str, reply: &Reply) -> Result<String, RestError> {
        let posted = self.rest.post_in_channel(id(chat)?, &self.message(reply)).await?;
        Ok(posted.to_string())
    }

    async fn edit(&self, chat: &str, message_id: &str, reply: &Reply) -> Result<(), EditFailure<RestError>> {
        let channel = id(chat).map_err(EditFailure::Other)?;
        let Ok(message_id) = message_id.parse() else {
            return Err(EditFailure::Gone);
        };
        match self
            .rest
            .edit_in_channel(channel, message_id, &self.message(reply))
            .await
        {
            Ok(()) => Ok(()),
            Err(error) if error.is_unknown_message() => Err(EditFailure::Gone),
            Err(error) => Err(EditFailure::Other(error)),
        }
    }
}

/// Keeps the progress messages and announcements in Discord channels until
/// the task is dropped.
pub async fn keep_progress_messages(rest: DiscordRest, engine: Arc<Engine>) {
    let language = engine.language();
    // In turn on the bot's one pace, after replies and organisers.
    let pace = engine
        .pace(crate::domain::Platform::Discord)
        .expect("Discord has a pace")
        .clone();
    let rest = rest.paced_by(pace).with_priority(crate::pace::Priority::Progress);
    keep_progress(ProgressChannels::new(rest, language), engine).await
}
