//! A message to a supporter's chat about something they did elsewhere: the
//! thank-you in Telegram after signing with the Mini App. The web server
//! asks; the chat adapter that can reach the person sends.

use async_trait::async_trait;

use crate::conversation::Reply;
use crate::domain::Identity;

/// Sends one reply to a person's private chat with the bot.
#[async_trait]
pub trait FollowUp: Send + Sync {
    /// Sends `reply` to `to`; a failure is logged, never raised (the
    /// signature is stored either way).
    async fn follow_up(&self, to: &Identity, reply: &Reply);
}
