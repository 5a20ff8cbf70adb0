//! Organisers' alerts posted to a Discord channel.

use async_trait::async_trait;

use super::render;
use super::rest::{self, DiscordRest, OutgoingMessage};
use crate::adapter::{self, AlertPoster};
use crate::domain::Platform;

/// Organisers' alerts posted to a Discord channel.
pub struct AlertChannel {
    rest: DiscordRest,
    channel: u64,
}

impl AlertChannel {
    /// Alerts to the channel with id `channel`, sent through `rest` in
    /// turn after supporters' replies.
    pub fn new(rest: DiscordRest, channel: u64) -> Self {
        Self {
            rest: rest.with_priority(crate::pace::Priority::Organiser),
            channel,
        }
    }
}

#[async_trait]
impl AlertPoster for AlertChannel {
    type Error = rest::RestError;

    fn platform(&self) -> Platform {
        Platform::Discord
    }

    async fn post(&self, text: String) -> Result<(), rest::RestError> {
        let message = OutgoingMessage {
            content: render::truncate(&text, render::MAX_MESSAGE_CHARS),
            ..OutgoingMessage::default()
        };
        self.rest.send_to_channel(self.channel, &message).await
    }
}

/// Posts alerts to an organisers' channel until the engine goes away: the
/// shared [`adapter::forward_alerts`] through an [`AlertChannel`].
pub async fn forward_alerts(
    rest: DiscordRest,
    channel: u64,
    alerts: tokio::sync::broadcast::Receiver<crate::conversation::Alert>,
) {
    adapter::forward_alerts(AlertChannel::new(rest, channel), alerts).await
}
