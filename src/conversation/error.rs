//! Why the engine did not do what a message asked: refusals, which the
//! person is told about in words of their own, and failures, which go to
//! the log with their context while the person gets the apology.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{Context, Placement, Reply, Word};
use crate::domain::{Platform, ReviewAction};
use crate::messages::{LifecycleMessage, Message, SelectionProblem};
use crate::storage::StorageError;

/// Why a message was not carried out. Displayed only in the log, so it
/// names what happened and never a value anyone typed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum EngineError {
    /// Messages faster than the per-person limit allows.
    #[error("refused: over the message rate limit")]
    SlowDown {
        /// How long until they may continue.
        wait: Duration,
    },
    /// A button that the current question does not offer: from an old
    /// message, or forged.
    #[error("refused: a choice that is not on offer")]
    ChoiceExpired,
    /// Asked to sign, having signed.
    #[error("refused: already signed")]
    AlreadySigned {
        /// The campaign's title.
        title: String,
        /// When they signed.
        on: DateTime<Utc>,
        /// Where they signed.
        platform: Platform,
    },
    /// A signature whose account signed before (found by the storage, so
    /// also when two arrive at once).
    #[error("refused: this account signed before")]
    SignedBefore {
        /// When it signed.
        on: DateTime<Utc>,
        /// Where it signed.
        platform: Platform,
    },
    /// A signature whose email signed before from another account.
    #[error("refused: the email signed before")]
    EmailUsed,
    /// More signing attempts in a day than the campaign allows.
    #[error("refused: too many signing attempts")]
    TooManyAttempts {
        /// How long until another attempt counts.
        wait: Duration,
    },
    /// A Discord account younger than the campaign accepts.
    #[error("refused: a Discord account too young to sign")]
    AccountTooYoung {
        /// The minimum age in days.
        days: u32,
        /// When the account is old enough.
        from: DateTime<Utc>,
    },
    /// An organiser command from someone who is not an organiser.
    #[error("refused: an organiser command from someone else")]
    OrganisersOnly {
        /// The command.
        command: Word,
    },
    /// A release or invalidation from someone who is not an organiser.
    #[error("refused: a review from someone who is not an organiser")]
    ReviewOrganisersOnly {
        /// Release or invalidate.
        action: ReviewAction,
    },
    /// Organisers' filters that could not be read.
    #[error("refused: filters that could not be read")]
    BadSelection(SelectionProblem),
    /// Signing before the campaign opens.
    #[error("refused: the campaign is not open yet")]
    NotOpenYet {
        /// The campaign's title.
        title: String,
        /// When it opens.
        opens: DateTime<Utc>,
    },
    /// Signing after the campaign closed.
    #[error("refused: the campaign is closed")]
    Closed {
        /// The campaign's title.
        title: String,
        /// Who it is delivered to.
        targets: Vec<String>,
        /// Its final total.
        total: u64,
        /// When it closed.
        on: DateTime<Utc>,
    },
    /// The storage failed; nothing the message asked for was done.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// An export's rows could not be written as CSV.
    #[error("could not write the export as CSV: {0:#}")]
    Export(anyhow::Error),
    /// The delivery pack could not be made.
    #[error("could not make the delivery pack: {0:#}")]
    Delivery(anyhow::Error),
}

impl Context {
    /// The reply to a refusal; a failure comes back as it was, for the log
    /// and the apology.
    pub(super) fn refusal(&self, error: EngineError) -> Result<Reply, EngineError> {
        let message = match &error {
            EngineError::SlowDown { wait } => Message::SlowDown { wait: *wait },
            EngineError::ChoiceExpired => {
                return Ok(Reply {
                    placement: Placement::Notice,
                    ..Reply::private(self.say(Message::ChoiceExpired))
                });
            }
            EngineError::AlreadySigned { title, on, platform } => Message::AlreadySigned {
                title,
                on: *on,
                platform: *platform,
            },
            EngineError::SignedBefore { on, platform } => Message::SignedBefore {
                on: *on,
                platform: *platform,
            },
            EngineError::EmailUsed => Message::EmailUsed,
            EngineError::TooManyAttempts { wait } => Message::TooManyAttempts { wait: *wait },
            EngineError::AccountTooYoung { days, from } => Message::AccountTooYoung {
                days: *days,
                from: *from,
            },
            EngineError::OrganisersOnly { command } => Message::OrganisersOnly {
                command: command.as_str(),
            },
            EngineError::ReviewOrganisersOnly { action } => Message::ReviewOrganisersOnly { action: *action },
            EngineError::BadSelection(problem) => Message::BadSelection { problem },
            EngineError::NotOpenYet { title, opens } => {
                Message::Lifecycle(LifecycleMessage::NotOpenYet { title, opens: *opens })
            }
            EngineError::Closed {
                title,
                targets,
                total,
                on,
            } => Message::Lifecycle(LifecycleMessage::Closed {
                title,
                total: *total,
                targets,
                on: *on,
            }),
            EngineError::Storage(_) | EngineError::Export(_) | EngineError::Delivery(_) => return Err(error),
        };
        Ok(Reply::private(self.say(message)))
    }
}
