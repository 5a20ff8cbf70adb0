//! Whether each configured bot is connected to its platform, for the web
//! server's `/readyz`.
//!
//! The app makes one [`Health`] and hands a clone to each bot it starts;
//! the bot says it is connected or not as its platform answers:
//!
//! - Telegram: connected once `getMe`, the menus and the webhook (or the
//!   first long poll's set-up) succeed, and after every `getUpdates` that
//!   succeeds; not connected after one that fails.
//! - Discord: connected from the gateway's READY or RESUMED until the shard
//!   disconnects or the connection ends.
//!
//! ```
//! use petition::health::{Bot, Health};
//!
//! let health = Health::new();
//! health.expect(Bot::Telegram);
//! assert_eq!(health.not_ready(), ["telegram"]);
//! health.set_connected(Bot::Telegram, true);
//! assert!(health.not_ready().is_empty());
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

/// A bot the process may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bot {
    /// The Telegram bot.
    Telegram,
    /// The Discord bot.
    Discord,
}

impl Bot {
    /// Every bot, in the order [`Health::not_ready`] names them.
    pub const ALL: [Bot; 2] = [Bot::Telegram, Bot::Discord];

    /// Its name, as `/readyz` reports it.
    pub fn as_str(self) -> &'static str {
        match self {
            Bot::Telegram => "telegram",
            Bot::Discord => "discord",
        }
    }

    fn index(self) -> usize {
        match self {
            Bot::Telegram => 0,
            Bot::Discord => 1,
        }
    }
}

/// A bot's state: not run by this process, configured but not connected,
/// or connected.
const UNUSED: u8 = 0;
const DISCONNECTED: u8 = 1;
const CONNECTED: u8 = 2;

/// Whether each configured bot is connected. Cheap to clone; every clone
/// shares the same state, so the bots write it and the web server reads it.
#[derive(Debug, Clone, Default)]
pub struct Health {
    /// One state per [`Bot`]; atomics because bots' tasks write while the
    /// web server reads, and a reading never needs two at once.
    bots: Arc<[AtomicU8; 2]>,
}

impl Health {
    /// No bot expected, so ready.
    pub fn new() -> Self {
        Self::default()
    }

    /// Marks `bot` as configured: not ready until it says it is connected.
    pub fn expect(&self, bot: Bot) {
        let _ = self.bots[bot.index()].compare_exchange(UNUSED, DISCONNECTED, Ordering::AcqRel, Ordering::Acquire);
    }

    /// Records whether `bot` is connected now. A bot that was not expected
    /// becomes expected: it is running, so its state matters.
    pub fn set_connected(&self, bot: Bot, connected: bool) {
        let state = if connected { CONNECTED } else { DISCONNECTED };
        self.bots[bot.index()].store(state, Ordering::Release);
    }

    /// Whether `bot` is expected and connected.
    pub fn is_connected(&self, bot: Bot) -> bool {
        self.bots[bot.index()].load(Ordering::Acquire) == CONNECTED
    }

    /// The names of the expected bots that are not connected; empty when
    /// the process is ready.
    pub fn not_ready(&self) -> Vec<&'static str> {
        Bot::ALL
            .into_iter()
            .filter(|bot| self.bots[bot.index()].load(Ordering::Acquire) == DISCONNECTED)
            .map(Bot::as_str)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_with_no_bots_is_ready() {
        assert!(Health::new().not_ready().is_empty());
    }

    #[test]
    fn an_expected_bot_is_not_ready_until_it_connects_and_again_after_it_disconnects() {
        let health = Health::new();
        health.expect(Bot::Telegram);
        health.expect(Bot::Discord);
        assert_eq!(health.not_ready(), ["telegram", "discord"]);
        health.set_connected(Bot::Discord, true);
        assert_eq!(health.not_ready(), ["telegram"]);
        health.set_connected(Bot::Telegram, true);
        assert!(health.not_ready().is_empty());
        health.set_connected(Bot::Discord, false);
        assert_eq!(health.not_ready(), ["discord"]);
    }

    #[test]
    fn expecting_a_connected_bot_again_keeps_it_connected() {
        let health = Health::new();
        health.set_connected(Bot::Telegram, true);
        health.expect(Bot::Telegram);
        assert!(health.is_connected(Bot::Telegram));
    }

    #[test]
    fn clones_share_their_state() {
        let health = Health::new();
        let bot_side = health.clone();
        health.expect(Bot::Discord);
        bot_side.set_connected(Bot::Discord, true);
        assert!(health.is_connected(Bot::Discord));
    }
}
