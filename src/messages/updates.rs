//! The keys of what is said about updates to signers: asking for them,
//! stopping them, the update itself, and organisers writing, sending and
//! following one. Worded in each language's `updates.rs`.

use std::time::Duration;

use crate::domain::Platform;
use crate::storage::{DeliveryCounts, StoredUpdate};

/// The version of the updates question's wording that signers answer now,
/// recorded with each signature (the database's default for new rows, see
/// migration 0008). Raise both together whenever the question's meaning
/// changes; version 1 asked about "occasional email updates".
pub const UPDATES_WORDING: u32 = 2;

/// Something said about updates.
#[derive(Debug, Clone, Copy)]
pub enum UpdateMessage<'a> {
    // Signers.
    /// The question at the updates step: what they are, where they are
    /// sent, how often, and how to stop them.
    Ask {
        /// Where the signer is, which is where updates go.
        platform: Platform,
    },
    /// Instead of the question, at the console, which nothing can reach.
    NoneAtTheConsole,
    /// After `stop` or `updates off`.
    Stopped {
        /// Whether they had signed anything there were updates about.
        signed: bool,
    },
    /// After `updates on`.
    Started {
        /// The campaign.
        title: &'a str,
        /// Where they signed, which is where updates go.
        platform: Platform,
    },
    /// After `updates on` from someone who has not signed.
    StartNeedsSignature {
        /// The campaign.
        title: &'a str,
    },
    /// After `updates on` at the console.
    StartAtTheConsole,
    /// An update as a signer receives it.
    ToSigner {
        /// The campaign.
        title: &'a str,
        /// What the organiser wrote.
        text: &'a str,
    },
    /// A signer's choice, in `mydata`.
    Choice {
        /// Whether they want updates.
        opted_in: bool,
        /// Where they signed.
        platform: Platform,
        /// The version of the question they answered.
        wording: u32,
    },

    // Organisers.
    /// After `update`: write it next.
    Compose {
        /// The longest it may be.
        max_chars: usize,
    },
    /// The update written is empty, or only blank lines.
    Empty,
    /// The update written is too long for a platform it goes to.
    TooLong {
        /// Its length as signers would see it, in characters.
        length: usize,
        /// The longest it may be.
        max_chars: usize,
    },
    /// Nobody has asked for updates.
    NoRecipients,
    /// The preview, before an explicit yes: the update as signers will see
    /// it and how many it reaches.
    Preview {
        /// The update, exactly as sent.
        rendered: &'a str,
        /// Recipients per platform.
        reach: &'a [(Platform, u64)],
    },
    /// The update is stored and on its way.
    Queued {
        /// Its number.
        id: i64,
        /// How many will receive it.
        recipients: u64,
    },
    /// Queued from the command line: the running bots send it.
    QueuedForTheBots {
        /// Its number.
        id: i64,
        /// How many will receive it.
        recipients: u64,
    },
    /// The update was dropped before sending.
    Discarded,
    /// The progress message, edited in place while an update is sent.
    Progress {
        /// The update's number.
        id: i64,
        /// Its deliveries so far.
        counts: DeliveryCounts,
        /// About how long the rest will take, when that can be told.
        left: Option<Duration>,
    },
    /// The closing summary of a finished or cancelled update.
    Summary {
        /// The update.
        update: &'a StoredUpdate,
    },
    /// The title of the box an update is written in, where there is one.
    FormTitle,
    /// `cancel update` with none being sent.
    NothingToCancel,
    /// `updates`: past updates, newest first.
    List {
        /// The campaign.
        title: &'a str,
        /// The updates.
        updates: &'a [StoredUpdate],
    },
}
