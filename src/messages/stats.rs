//! The keys of what `stats`, `held` and `petition recount` show
//! organisers: counts and their breakdowns, never a supporter's details.
//! Worded in each language's `stats.rs`.

use super::Heading;
use crate::domain::Platform;

/// A line of the `stats` or `held` report.
#[derive(Debug, Clone, Copy)]
pub enum StatsMessage<'a> {
    /// The first line of `stats`.
    Title {
        /// The campaign's title.
        title: &'a str,
    },
    /// The total in `stats`, with the held count if any are held.
    Total {
        /// Signatures counted.
        total: u64,
        /// The goal.
        goal: u64,
        /// Signatures held for review.
        held: u64,
    },
    /// A breakdown's heading, with lines to follow.
    Section {
        /// Which breakdown.
        heading: Heading,
    },
    /// A breakdown with nothing in it.
    EmptySection {
        /// Which breakdown.
        heading: Heading,
    },
    /// One line of a breakdown.
    TallyLine {
        /// What is counted.
        label: &'a str,
        /// How many.
        count: u64,
    },
    /// The last line of a breakdown cut short.
    AndMore {
        /// Lines left out.
        lines: usize,
        /// Signatures in them.
        count: u64,
    },
    /// A platform's name, as breakdowns show it.
    PlatformName {
        /// The platform.
        platform: Platform,
    },
    /// `held` when none are.
    NoneHeld {
        /// The campaign's title.
        title: &'a str,
    },
    /// The first line of `held`.
    HeldTitle {
        /// The campaign's title.
        title: &'a str,
        /// Signatures held.
        held: u64,
    },
    /// `petition recount`'s line for one campaign: what its signatures
    /// count to, and the drift corrected, if the stored counters had any.
    Recounted {
        /// The campaign's slug.
        campaign: &'a str,
        /// Signatures counted.
        counted: u64,
        /// Signatures held for review.
        held: u64,
        /// What the stored counters said, where they had drifted.
        drift: Option<Drift>,
    },
}

/// Stored counters found to have drifted from the signatures, and mended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drift {
    /// The stored total.
    pub stored_total: u64,
    /// The stored held count.
    pub stored_held: u64,
    /// Breakdown counters mended.
    pub breakdowns_mended: u64,
}
