//! The keys of what is said about a campaign's life: not open yet, closed,
//! closing and reopening it, and its signers forgotten. Worded in each
//! language's `lifecycle.rs`.

use chrono::{DateTime, Utc};

/// Something said about a campaign opening, closing or being anonymised.
#[derive(Debug, Clone, Copy)]
pub enum LifecycleMessage<'a> {
    /// Signing asked for before the campaign opens.
    NotOpenYet {
        /// The campaign.
        title: &'a str,
        /// When it opens.
        opens: DateTime<Utc>,
    },
    /// Signing asked for after the campaign closed.
    Closed {
        /// The campaign.
        title: &'a str,
        /// Its final total.
        total: u64,
        /// Who it is delivered to.
        targets: &'a [String],
        /// When it closed.
        on: DateTime<Utc>,
    },
    /// The closing, announced in the campaign's chats and to signers.
    Announcement {
        /// The campaign.
        title: &'a str,
        /// Its final total.
        total: u64,
        /// Who it is delivered to.
        targets: &'a [String],
    },
    /// `close`: are you sure?
    AskToClose {
        /// The campaign.
        title: &'a str,
        /// Its total now, when known.
        total: Option<u64>,
    },
    /// The organiser's yes: closed.
    ClosedNow {
        /// The campaign.
        title: &'a str,
        /// Its final total.
        total: u64,
    },
    /// `close` on a campaign that is closed.
    AlreadyClosed {
        /// The campaign.
        title: &'a str,
    },
    /// `reopen`: done.
    Reopened {
        /// The campaign.
        title: &'a str,
    },
    /// `reopen` on a campaign that is open.
    NotClosed {
        /// The campaign.
        title: &'a str,
    },
    /// `reopen` after the delivery pack was made.
    AlreadyDelivered {
        /// The campaign.
        title: &'a str,
    },
    /// `reopen` after the campaign's signers were forgotten.
    AlreadyAnonymisedCannotReopen {
        /// The campaign.
        title: &'a str,
    },
    /// `mydata` after the campaign's signers were forgotten.
    Anonymised {
        /// The campaign.
        title: &'a str,
        /// When.
        on: DateTime<Utc>,
    },
    /// `petition anonymise --dry-run`.
    WouldAnonymise {
        /// The campaign.
        title: &'a str,
        /// Signatures still holding personal data.
        count: u64,
        /// When they are due to be anonymised, if the campaign has closed.
        due: Option<DateTime<Utc>>,
    },
    /// `petition anonymise`: done.
    AnonymisedNow {
        /// The campaign.
        title: &'a str,
        /// Signatures anonymised.
        count: u64,
    },
}
