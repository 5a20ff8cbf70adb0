//! The English of the delivery pack (see [`crate::messages::DeliveryMessage`]).

use std::fmt::{self, Formatter};

use super::words::Thousands;
use crate::messages::DeliveryMessage;

/// `a`, `a and b`, `a, b and c`.
fn joined(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

pub(super) fn write_delivery(message: &DeliveryMessage<'_>, f: &mut Formatter<'_>) -> fmt::Result {
    use DeliveryMessage as D;
    let signatures = |count: u64| if count == 1 { "signature" } else { "signatures" };
    match *message {
        D::Attached { title, count } => write!(
            f,
            "The delivery pack for \"{title}\": a cover letter, a summary and {} {}, ready to print and hand over. Its last line is the digest of the list, which petition deliver --digest also prints.",
            Thousands(count),
            signatures(count)
        ),
        D::Written {
            path,
            count,
            pages,
            digest,
        } => write!(
            f,
            "Wrote {}: {} {} on {} pages. SHA-256 of the list: {digest}",
            path.display(),
            Thousands(count),
            signatures(count),
            Thousands(pages)
        ),
        D::Date(day) => write!(f, "{}", day.format("%-d %B %Y")),
        D::Salutation { targets: [] } => f.write_str("To whom it may concern,"),
        D::Salutation { targets } => write!(f, "To {},", joined(targets)),
        D::WeAsk => f.write_str("We, the undersigned, ask:"),
        D::Counted { count, period } => {
            write!(f, "{} {} were counted", Thousands(count), signatures(count))?;
            match period {
                Some((first, last)) if first == last => write!(f, ", all on {}.", first.format("%-d %B %Y")),
                Some((first, last)) => write!(
                    f,
                    ", gathered between {} and {}.",
                    first.format("%-d %B %Y"),
                    last.format("%-d %B %Y")
                ),
                None => f.write_str("."),
            }
        }
        D::Honesty => f.write_str(
            "The count was kept honest. Each person could sign once, and each email address could be used once, across every platform where the petition was open. Every signature was given with explicit consent, recorded with it. Signatures that looked suspicious were held for review, and neither those still held nor those found invalid are counted here.",
        ),
        D::WhatFollows => f.write_str(
            "The following pages summarise where the signatures came from and list every signatory, numbered in the order they signed, with their postcode district or, outside the UK, their country. The list ends with a SHA-256 digest, so that it can be checked against the electronic copy.",
        ),
        D::Closing => f.write_str("Yours sincerely,"),
        D::Contact { contact } => write!(f, "To reach the organisers: {contact}"),
        D::SummaryTitle => f.write_str("Where the signatures came from"),
        D::PerDay => f.write_str("Signatures per day"),
        D::PerDayDescribed { first, last, busiest } => match (first, last, busiest) {
            (Some(first), Some(last), Some((day, count))) => write!(
                f,
                "A bar chart of the signatures counted each day from {} to {}; the most in one day was {} on {}.",
                first.format("%-d %B %Y"),
                last.format("%-d %B %Y"),
                Thousands(count),
                day.format("%-d %B %Y")
            ),
            _ => f.write_str("A bar chart of the signatures counted each day; there are none yet."),
        },
        D::ByDistrict => f.write_str("By postcode district"),
        D::ByCountry => f.write_str("Outside the UK, by country"),
        D::NoneFrom => f.write_str("none"),
        D::SignatoriesTitle => f.write_str("Signatories"),
        D::PageOf { page, pages } => write!(f, "page {} of {}", Thousands(page as u64), Thousands(pages as u64)),
        D::Digest { digest } => write!(
            f,
            "SHA-256 of this list (one line per signatory: number, tab, name, tab, district or country; UTF-8, NFC): {digest}"
        ),
    }
}
