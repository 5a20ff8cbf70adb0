//! What happens as a message arrives, before it waits for its turn to be
//! handled: the per-person limit (so that a flood is never queued), the
//! pace every message to a platform waits for and its priorities, the
//! wait a surge means for a new supporter, and people whose last reply
//! could not be delivered.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{Engine, Reply};
use crate::domain::{Identity, Platform};
use crate::limits::MessageVerdict;
use crate::messages::Message;
use crate::pace::{Pace, Priority};

/// A new supporter told to expect a wait: longer than this for their next
/// question, and the welcome says the bot is busy (and offers the form
/// first where there is one).
pub(super) const SURGE_WAIT: Duration = Duration::from_secs(5);

/// How long someone is remembered as owed a question.
const OWED_FOR: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// What to do with a message that has just arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arrival {
    /// Queue it to be handled in its turn.
    Queue,
    /// The sender went over the per-person limit: drop it, and send this
    /// (once a minute at most) instead.
    SlowDown(Box<Reply>),
    /// The sender is still over the limit: drop it without a word, so a
    /// flood of messages never becomes a flood of replies.
    Drop,
}

impl Engine {
    /// The pace every message to `platform` waits for; the console has none.
    pub fn pace(&self, platform: Platform) -> Option<&Arc<Pace>> {
        self.paces.of(platform)
    }

    /// Counts a message against its sender as it arrives, before it is
    /// queued: an adapter that queues messages asks this first, and what is
    /// not allowed is never queued. A message let through here is not
    /// counted again when it is handled. The limit is the default
    /// campaign's (which campaign a message is for is known only once its
    /// conversation is read).
    pub fn admit(&self, who: &Identity) -> Arrival {
        let campaign = &self.campaigns.default_campaign().slug;
        match self.guards.admit(campaign, who) {
            MessageVerdict::Allowed => Arrival::Queue,
            MessageVerdict::SlowDown { wait } => {
                crate::metrics::limit_hit(crate::metrics::Limit::MessageRate);
                Arrival::SlowDown(Box::new(Reply::private(self.say(Message::SlowDown { wait }))))
            }
            MessageVerdict::Ignore => {
                crate::metrics::limit_hit(crate::metrics::Limit::MessageRate);
                Arrival::Drop
            }
        }
    }

    /// The priority of replies to `who`: organisers come after supporters
    /// waiting for their next question.
    pub fn reply_priority(&self, who: &Identity, roles: &[String]) -> Priority {
        if self.organisers.includes(who, roles) {
            Priority::Organiser
        } else {
            Priority::Reply
        }
    }

    /// An adapter could not deliver `who`'s last reply: their screen still
    /// shows the question before, so their next press on its buttons gets
    /// the current question instead of only "that choice has expired".
    pub fn note_undelivered(&self, who: &Identity) {
        self.owed
            .lock()
            .expect("owed lock")
            .insert(who.clone(), self.clock.now());
    }

    /// Whether `who` is owed their current question; forgets it if so.
    pub(super) fn owed_a_question(&self, who: &Identity) -> bool {
        self.owed.lock().expect("owed lock").remove(who).is_some()
    }

    /// `who` was answered: nothing is owed any more (unless delivering this
    /// answer fails too).
    pub(super) fn settle(&self, who: &Identity) {
        let mut owed = self.owed.lock().expect("owed lock");
        if !owed.is_empty() {
            owed.remove(who);
        }
    }

    /// Forgets who was owed a question long ago.
    pub(super) fn forget_old_debts(&self, now: DateTime<Utc>) {
        self.owed
            .lock()
            .expect("owed lock")
            .retain(|_, since| now - *since < OWED_FOR);
    }

    /// Whether a new supporter on `platform` would wait more than
    /// [`SURGE_WAIT`] for their next question.
    pub(super) fn in_a_surge(&self, platform: Platform) -> bool {
        self.pace(platform)
            .is_some_and(|pace| pace.expected_wait() > SURGE_WAIT)
    }
}
