//! The signatory pages: every counted signatory, numbered in signing
//! order, with their postcode district or country, in three columns read
//! down then across; the digest of the list closes the last page.

use std::num::NonZeroU16;

use krilla::tagging::{ListNumbering, Tag};

use super::Signatory;
use super::page::{BODY_BOTTOM, BODY_TOP, BODY_WIDTH, GREY, MARGIN, Pen, Spot, wrap};
use crate::messages::{DeliveryMessage, Language, Message};

const COLUMNS: usize = 3;
const GUTTER: f32 = 12.0;
const ROW_HEIGHT: f32 = 10.0;
const SIZE: f32 = 7.5;
/// Room for "100,000" and a space.
const NUMBER_WIDTH: f32 = 32.0;
/// Rows the heading takes on the first page.
const HEADING_ROWS: usize = 3;
/// Rows kept for the digest under the last signatory.
const DIGEST_ROWS: usize = 5;

fn rows_per_page() -> usize {
    ((BODY_BOTTOM - BODY_TOP) / ROW_HEIGHT) as usize
}

/// One page of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ListPage {
    /// Index of its first signatory.
    first: usize,
    /// How many it lists.
    count: usize,
    /// Whether the section's heading opens it.
    heading: bool,
    /// Whether the digest closes it (the last page).
    digest: bool,
}

/// The pages for `total` signatories, the digest on the last.
pub(super) fn plan(total: usize) -> Vec<ListPage> {
    let mut pages = Vec::new();
    let mut first = 0;
    loop {
        let heading = pages.is_empty();
        let rows = rows_per_page() - if heading { HEADING_ROWS } else { 0 };
        let left = total - first;
        if left.div_ceil(COLUMNS) + DIGEST_ROWS <= rows {
            pages.push(ListPage {
                first,
                count: left,
                heading,
                digest: true,
            });
            return pages;
        }
        let count = left.min(rows * COLUMNS);
        pages.push(ListPage {
            first,
            count,
            heading,
            digest: false,
        });
        first += count;
    }
}

/// Draws one page of the list.
pub(super) fn draw(pen: &mut Pen<'_, '_>, language: Language, page: &ListPage, list: &[Signatory<'_>], digest: &str) {
    let say = |message: DeliveryMessage<'_>| Message::Delivery(message).text(language);
    let fonts = pen.fonts;
    let mut top = BODY_TOP;
    if page.heading {
        pen.structure.close_all();
        let title = say(DeliveryMessage::SignatoriesTitle);
        pen.structure.open(Tag::Hn(NonZeroU16::MIN, Some(title.clone())));
        pen.text(&fonts.bold, 15.0, MARGIN, top + 15.0, 0, &title);
        pen.structure.close();
        top += HEADING_ROWS as f32 * ROW_HEIGHT;
        // Every signatory is one numbered list, read in signing order; it
        // stays open from page to page and closes before the digest.
        pen.structure.open(Tag::L(ListNumbering::Decimal));
    }
    let full_rows = rows_per_page() - if page.heading { HEADING_ROWS } else { 0 };
    // A short last page fills its columns evenly rather than one by one.
    let rows = if page.digest {
        page.count.div_ceil(COLUMNS).max(1)
    } else {
        full_rows
    };
    let width = (BODY_WIDTH - GUTTER * (COLUMNS - 1) as f32) / COLUMNS as f32;
    let entries = &list[page.first..page.first + page.count];
    for (i, signatory) in entries.iter().enumerate() {
        let left = MARGIN + (i / rows) as f32 * (width + GUTTER);
        let baseline = top + (i % rows) as f32 * ROW_HEIGHT + SIZE;
        let number = Message::Number((page.first + i + 1) as u64).text(language);
        // The number is read with the name rather than as a label of its
        // own: one element fewer for each of 100,000 signatories keeps the
        // pack's memory in bounds, and a reader hears the same words.
        pen.structure.open(Tag::LI);
        pen.structure.open(Tag::LBody);
        pen.text_right(&fonts.regular, SIZE, left + NUMBER_WIDTH - 4.0, baseline, GREY, &number);
        let place_room = width * 0.4;
        let place_width = fonts.regular.width(signatory.place, SIZE).min(place_room);
        let place_spot = Spot {
            x: left + width - place_width,
            y: baseline,
            width: place_width,
        };
        let name_spot = Spot {
            x: left + NUMBER_WIDTH,
            y: baseline,
            width: width - NUMBER_WIDTH - place_width - 5.0,
        };
        // The name, then where they live: the order they are read in.
        pen.text_fitted(&fonts.regular, SIZE, name_spot, 0, signatory.name);
        pen.text_fitted(&fonts.regular, SIZE, place_spot, GREY, signatory.place);
        pen.structure.close();
        pen.structure.close();
    }
    if page.digest {
        pen.structure.close_all();
        let mut y = top + rows as f32 * ROW_HEIGHT + ROW_HEIGHT;
        pen.rule(MARGIN, y, BODY_WIDTH);
        y += ROW_HEIGHT;
        pen.structure.open(Tag::P);
        for line in wrap(
            &fonts.regular,
            SIZE,
            &say(DeliveryMessage::Digest { digest }),
            BODY_WIDTH,
        ) {
            pen.text(&fonts.regular, SIZE, MARGIN, y, 0, &line);
            y += ROW_HEIGHT;
        }
        pen.structure.close_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_signatory_is_on_exactly_one_page_and_the_digest_on_the_last() {
        for total in [0, 1, 200, 213, 219, 220, 100_000] {
            let pages = plan(total);
            let listed: usize = pages.iter().map(|p| p.count).sum();
            assert_eq!(listed, total);
            assert!(pages[0].heading);
            assert!(pages.last().unwrap().digest);
            assert_eq!(pages.iter().filter(|p| p.digest).count(), 1);
            let mut next = 0;
            for page in &pages {
                assert_eq!(page.first, next);
                next += page.count;
            }
        }
    }

    #[test]
    fn a_page_holds_hundreds_of_signatories() {
        assert!(plan(100_000).len() < 100_000 / 200);
    }
}
