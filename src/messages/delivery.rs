//! The keys of what the delivery pack says: the cover letter, the summary,
//! the signatory pages, the chat reply that carries the pack, and what
//! `petition deliver` says once it has written one. Worded in each
//! language's `delivery.rs`.

use std::path::Path;

use chrono::NaiveDate;

/// Something the delivery pack, or the reply carrying it, says.
#[derive(Debug, Clone, Copy)]
pub enum DeliveryMessage<'a> {
    /// The organiser's reply with the PDF attached.
    Attached {
        /// The campaign.
        title: &'a str,
        /// Signatures counted in the pack.
        count: u64,
    },
    /// `petition deliver`, once the pack is written.
    Written {
        /// Where.
        path: &'a Path,
        /// Signatures counted in the pack.
        count: u64,
        /// Its pages.
        pages: u64,
        /// The SHA-256 digest of its signatory list.
        digest: &'a str,
    },
    /// A date as the letter writes it.
    Date(NaiveDate),
    /// The letter's opening, addressed to the targets.
    Salutation {
        /// Who the petition is addressed to, in order.
        targets: &'a [String],
    },
    /// Before the statement.
    WeAsk,
    /// The count and the period it was gathered over.
    Counted {
        /// Signatures counted.
        count: u64,
        /// The first and the last day a counted signature was made, if any.
        period: Option<(NaiveDate, NaiveDate)>,
    },
    /// How the count was kept honest.
    Honesty,
    /// What the following pages hold, and how to check them.
    WhatFollows,
    /// Before the author's name.
    Closing,
    /// After the author's name: how to reach the organisers.
    Contact {
        /// As configured.
        contact: &'a str,
    },
    /// The summary page's heading.
    SummaryTitle,
    /// The chart's heading.
    PerDay,
    /// What the chart shows, in words, for those who cannot see it.
    PerDayDescribed {
        /// The first day charted, if any.
        first: Option<NaiveDate>,
        /// The last.
        last: Option<NaiveDate>,
        /// The day with the most signatures, and how many.
        busiest: Option<(NaiveDate, u64)>,
    },
    /// The table of districts.
    ByDistrict,
    /// The table of countries.
    ByCountry,
    /// A table with no rows.
    NoneFrom,
    /// The signatory pages' heading.
    SignatoriesTitle,
    /// The footer's page number.
    PageOf {
        /// This page, from 1.
        page: usize,
        /// Pages in the pack.
        pages: usize,
    },
    /// The pack's last line.
    Digest {
        /// SHA-256 of the list's canonical form, in hex.
        digest: &'a str,
    },
}
