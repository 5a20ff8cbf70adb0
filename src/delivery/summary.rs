//! The summary: a chart of signatures per day, then tables of signatures
//! by postcode district and by country, most first.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::Signatory;
use super::flow::{Block, heading, note};
use super::page::{BODY_WIDTH, GREY, LIGHT, MARGIN, Pen, Spot};
use crate::messages::{DeliveryMessage, Language, Message};

/// The chart's height, its labels included.
pub(super) const CHART_HEIGHT: f32 = 190.0;
/// A table row's height.
pub(super) const TABLE_ROW_HEIGHT: f32 = 12.0;
/// Cells across a table row.
const TABLE_COLUMNS: usize = 4;
const TABLE_SIZE: f32 = 8.0;

/// Counts by label, most first, then by label, so the order is the same
/// on every run.
fn tally<'a>(labels: impl Iterator<Item = &'a str>) -> Vec<(&'a str, u64)> {
    let mut counts: HashMap<&str, u64> = HashMap::new();
    for label in labels {
        *counts.entry(label).or_default() += 1;
    }
    let mut counts: Vec<_> = counts.into_iter().collect();
    counts.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    counts
}

/// Signatures on every day from the first to the last, days without any as zero.
pub(super) fn per_day(signatures: &[Signatory<'_>]) -> Vec<(NaiveDate, u64)> {
    let (Some(first), Some(last)) = (
        signatures.iter().map(|s| s.day).min(),
        signatures.iter().map(|s| s.day).max(),
    ) else {
        return Vec::new();
    };
    let mut counts: HashMap<NaiveDate, u64> = HashMap::new();
    for signature in signatures {
        *counts.entry(signature.day).or_default() += 1;
    }
    first
        .iter_days()
        .take_while(|day| *day <= last)
        .map(|day| (day, counts.get(&day).copied().unwrap_or(0)))
        .collect()
}

/// The summary as blocks.
pub(super) fn blocks(language: Language, signatures: &[Signatory<'_>]) -> Vec<Block> {
    let say = |message: DeliveryMessage<'_>| Message::Delivery(message).text(language);
    let mut blocks = vec![
        heading(say(DeliveryMessage::SummaryTitle), 15.0, 1),
        Block::Gap(10.0),
        heading(say(DeliveryMessage::PerDay), 11.0, 2),
        chart(language, per_day(signatures)),
        Block::Gap(14.0),
    ];
    let districts = tally(signatures.iter().filter(|s| s.in_uk).map(|s| s.place));
    let countries = tally(signatures.iter().filter(|s| !s.in_uk).map(|s| s.place));
    for (title, counts) in [
        (DeliveryMessage::ByDistrict, districts),
        (DeliveryMessage::ByCountry, countries),
    ] {
        blocks.push(heading(say(title), 11.0, 2));
        blocks.push(Block::Gap(2.0));
        if counts.is_empty() {
            blocks.push(note(say(DeliveryMessage::NoneFrom), TABLE_SIZE));
        }
        for row in counts.chunks(TABLE_COLUMNS) {
            let cells = row
                .iter()
                .map(|(label, count)| ((*label).to_owned(), Message::Number(*count).text(language)))
                .collect();
            blocks.push(Block::TableRow(cells));
        }
        blocks.push(Block::Gap(14.0));
    }
    blocks
}

/// The chart of `days`, with what it shows in words for those who cannot
/// see it.
fn chart(language: Language, days: Vec<(NaiveDate, u64)>) -> Block {
    let busiest = days
        .iter()
        .copied()
        .filter(|(_, count)| *count > 0)
        .max_by_key(|(_, count)| *count);
    let described = Message::Delivery(DeliveryMessage::PerDayDescribed {
        first: days.first().map(|(day, _)| *day),
        last: days.last().map(|(day, _)| *day),
        busiest,
    })
    .text(language);
    Block::Chart(days, described)
}

/// One row of a table: label on the left of each cell, count on its right.
pub(super) fn draw_table_row(pen: &mut Pen<'_, '_>, top: f32, cells: &[(String, String)]) {
    let fonts = pen.fonts;
    let gutter = 14.0;
    let width = (BODY_WIDTH - gutter * (TABLE_COLUMNS - 1) as f32) / TABLE_COLUMNS as f32;
    let baseline = top + TABLE_SIZE + 1.0;
    for (i, (label, count)) in cells.iter().enumerate() {
        let left = MARGIN + i as f32 * (width + gutter);
        let count_width = fonts.regular.width(count, TABLE_SIZE);
        let spot = Spot {
            x: left,
            y: baseline,
            width: width - count_width - 4.0,
        };
        pen.text_fitted(&fonts.regular, TABLE_SIZE, spot, 0, label);
        pen.text_right(&fonts.bold, TABLE_SIZE, left + width, baseline, 0, count);
        pen.rule(left, top + TABLE_ROW_HEIGHT - 1.0, width);
    }
}

/// Bars of signatures per day, with the busiest day's count and the first
/// and last dates as labels.
pub(super) fn draw_chart(pen: &mut Pen<'_, '_>, top: f32, days: &[(NaiveDate, u64)]) {
    let fonts = pen.fonts;
    let label_size = 7.5;
    let plot_top = top + 14.0;
    let plot_height = CHART_HEIGHT - 34.0;
    let axis = plot_top + plot_height;
    let left = MARGIN + 30.0;
    let width = BODY_WIDTH - 30.0;
    let most = days.iter().map(|(_, n)| *n).max().unwrap_or(0);
    pen.rect(left, axis, width, 0.7, GREY);
    pen.rect(left - 0.7, plot_top, 0.7, plot_height, LIGHT);
    pen.text_right(
        &fonts.regular,
        label_size,
        left - 4.0,
        plot_top + label_size,
        GREY,
        &Message::Number(most).text(Default::default()),
    );
    pen.text_right(&fonts.regular, label_size, left - 4.0, axis, GREY, "0");
    if days.is_empty() || most == 0 {
        return;
    }
    let slot = width / days.len() as f32;
    let bar = (slot * 0.8).max(0.3);
    for (i, (_, count)) in days.iter().enumerate() {
        let height = plot_height * *count as f32 / most as f32;
        pen.rect(
            left + i as f32 * slot + (slot - bar) / 2.0,
            axis - height,
            bar,
            height,
            60,
        );
    }
    let date = |day: &NaiveDate| day.format("%-d %b %Y").to_string();
    let below = axis + 4.0 + label_size;
    pen.text(&fonts.regular, label_size, left, below, GREY, &date(&days[0].0));
    if days.len() > 1 {
        pen.text_right(
            &fonts.regular,
            label_size,
            left + width,
            below,
            GREY,
            &date(&days[days.len() - 1].0),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signatory(day: u32, place: &'static str, in_uk: bool) -> Signatory<'static> {
        Signatory {
            name: "A",
            place,
            in_uk,
            day: NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
        }
    }

    #[test]
    fn every_day_from_the_first_to_the_last_is_charted() {
        let signatures = [
            signatory(3, "N1", true),
            signatory(1, "N1", true),
            signatory(3, "N2", true),
        ];
        let days: Vec<u64> = per_day(&signatures).into_iter().map(|(_, n)| n).collect();
        assert_eq!(days, [1, 0, 2]);
    }

    #[test]
    fn tallies_are_most_first_then_by_name() {
        let counts = tally(["N2", "N1", "E1", "N1"].into_iter());
        assert_eq!(counts, [("N1", 2), ("E1", 1), ("N2", 1)]);
    }
}
