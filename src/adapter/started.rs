//! What a chat platform's `start` hands back: everything it runs, for the
//! application to watch and to stop.

use std::sync::Arc;

use super::BotHandle;
use crate::outbox::Courier;
use crate::shutdown::AbortOnDrop;

/// A chat platform's bot once started, with one client for all it sends:
/// the bot itself, the chores that keep its chats (progress messages,
/// organisers' alerts), and the courier the outbox sends updates with.
pub struct Started {
    /// The bot, handling what people send it.
    pub bot: BotHandle,
    /// Tasks that keep the platform's chats; each ends when dropped.
    pub chores: Vec<AbortOnDrop<()>>,
    /// How the outbox sends updates on this platform.
    pub courier: Arc<dyn Courier>,
}
