//! Updates to signers sent on Discord, for the outbox: each as a direct
//! message from the bot, and the organiser's progress as a direct message
//! edited in place. Each request waits for its turn in the bot's one pace
//! (updates last, the organiser's progress before them) and the REST
//! client waits out 429s itself.

use async_trait::async_trait;

use super::rest::{DiscordRest, OutgoingMessage, RestError};
use crate::domain::Platform;
use crate::outbox::{Courier, Sent};
use crate::pace::Priority;

/// Discord's side of the outbox.
pub struct DiscordCourier {
    rest: DiscordRest,
    per_second: u32,
}

impl DiscordCourier {
    /// Sends with `rest`, at most `per_second` updates a second.
    pub fn new(rest: DiscordRest, per_second: u32) -> Self {
        Self { rest, per_second }
    }

    async fn dm(&self, user_id: &str) -> Result<u64, RestError> {
        let user: u64 = user_id.parse().map_err(|_| RestError::Refused {
            status: 400,
            code: None,
        })?;
        self.rest.with_priority(Priority::Broadcast).open_dm(user).await
    }
}

fn text(content: &str) -> OutgoingMessage {
    OutgoingMessage {
        content: content.to_owned(),
        ..OutgoingMessage::default()
    }
}

/// What a failed send means for the outbox.
fn outcome_of(error: &RestError) -> Sent {
    match error {
        RestError::Refused { status, .. } if *status >= 500 => Sent::Transient,
        // 50007 (refuses DMs), an unknown user, missing access: trying
        // again would not change the answer.
        RestError::Refused { .. } => Sent::Unreachable,
        RestError::Network(_) => Sent::Transient,
        RestError::RateLimited => Sent::RetryAfter(std::time::Duration::from_secs(5)),
    }
}

#[async_trait]
impl Courier for DiscordCourier {
    fn platform(&self) -> Platform {
        Platform::Discord
    }

    fn per_second(&self) -> u32 {
        self.per_second
    }

    async fn send_update(&self, user_id: &str, content: &str) -> Sent {
        let sent = match self.dm(user_id).await {
            Ok(channel) => {
                self.rest
                    .with_priority(Priority::Broadcast)
                    .send_to_channel(channel, &text(content))
                    .await
            }
            Err(error) => Err(error),
        };
        match sent {
            Ok(()) => Sent::Delivered,
            Err(error) => outcome_of(&error),
        }
    }

    async fn announce(&self, channel: &str, content: &str) -> Sent {
        let Ok(channel) = channel.parse::<u64>() else {
            return Sent::Unreachable;
        };
        let rest = self.rest.with_priority(Priority::Progress);
        match rest.send_to_channel(channel, &text(content)).await {
            Ok(()) => Sent::Delivered,
            Err(error) => outcome_of(&error),
        }
    }

    async fn show_progress(&self, user_id: &str, message: Option<&str>, content: &str) -> Result<String, String> {
        let channel = self.dm(user_id).await.map_err(|error| error.to_string())?;
        let rest = self.rest.with_priority(Priority::Progress);
        if let Some(id) = message.and_then(|id| id.parse().ok()) {
            match rest.edit_in_channel(channel, id, &text(content)).await {
                Ok(()) => return Ok(id.to_string()),
                // Deleted: post a new one below.
                Err(RestError::Refused { status: 404, .. }) => {}
                Err(error) => return Err(error.to_string()),
            }
        }
        rest.post_in_channel(channel, &text(content))
            .await
            .map(|id| id.to_string())
            .map_err(|error| error.to_string())
    }

    async fn tell(&self, user_id: &str, content: &str) -> Result<(), String> {
        let channel = self.dm(user_id).await.map_err(|error| error.to_string())?;
        self.rest
            .with_priority(Priority::Organiser)
            .send_to_channel(channel, &text(content))
            .await
            .map_err(|error| error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_dms_are_unreachable_and_server_errors_transient() {
        let refused = RestError::Refused {
            status: 403,
            code: Some(super::super::rest::CANNOT_MESSAGE_USER),
        };
        assert_eq!(outcome_of(&refused), Sent::Unreachable);
        assert_eq!(
            outcome_of(&RestError::Refused {
                status: 502,
                code: None
            }),
            Sent::Transient
        );
        assert_eq!(outcome_of(&RestError::Network("timed out".into())), Sent::Transient);
    }
}
