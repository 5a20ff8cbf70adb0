//! Organisers' jobs: their commands and the review of held signatures
//! (`review.rs`), updates to signers (`updates.rs`), closing and reopening
//! (`lifecycle.rs`), the goal, milestones and the progress message
//! (`milestones.rs`), and the services the outbox, the web server and the
//! command line call (`services.rs`).
//!
//! What an organiser is asked to confirm is a [`Confirmation`], a step of
//! its own: this file says which job answers it.

pub(super) mod lifecycle;
pub(super) mod milestones;
pub(super) mod review;
pub(super) mod services;
pub(super) mod updates;

use crate::conversation::{Confirmation, Context, Conversation, Engine, EngineResult, Incoming, Reply, Word};

impl Engine {
    /// An organiser's yes or no to what they were asked to confirm.
    pub(in crate::conversation) async fn confirm(
        &self,
        msg: &Incoming,
        conversation: Conversation,
        confirmation: Confirmation,
        word: Word,
    ) -> EngineResult<Vec<Reply>> {
        let who = &msg.from;
        match (confirmation, word) {
            (Confirmation::Review, Word::Yes) => self.apply_review(msg, conversation).await,
            (Confirmation::SendUpdate, Word::Yes) => self.send_update(msg, conversation).await,
            (Confirmation::Close, Word::Yes) => self.close_now(msg, conversation).await,
            (Confirmation::Review | Confirmation::SendUpdate | Confirmation::Close, Word::No) => {
                self.leave_confirmation(who, conversation, confirmation).await
            }
            _ => Ok(vec![self.not_understood(Some(&conversation))]),
        }
    }

    /// Leaving a confirmation (no, cancel or back): nothing changes, and the
    /// organiser is back where they were.
    pub(in crate::conversation) async fn leave_confirmation(
        &self,
        who: &crate::domain::Identity,
        conversation: Conversation,
        confirmation: Confirmation,
    ) -> EngineResult<Vec<Reply>> {
        match confirmation {
            Confirmation::Review => self.drop_review(who, conversation).await,
            Confirmation::WriteUpdate | Confirmation::SendUpdate => self.discard_update(who, conversation).await,
            Confirmation::Close => self.keep_open(who, conversation).await,
        }
    }
}

impl Context {
    /// The confirmation asked again.
    pub(in crate::conversation) fn confirmation_question(
        &self,
        conversation: &Conversation,
        confirmation: Confirmation,
    ) -> Reply {
        match confirmation {
            Confirmation::Review => self.review_question(),
            Confirmation::WriteUpdate | Confirmation::SendUpdate => self.update_question(conversation),
            Confirmation::Close => self.lifecycle_question(conversation),
        }
    }
}
