//! The chart of signatures per day, drawn on the server as SVG: it needs no
//! script, no library from elsewhere, and reads the same in every browser.

use std::fmt::Write;

use crate::storage::Tally;

use super::html::escape;

const WIDTH: u32 = 600;
const HEIGHT: u32 = 160;
/// Room under the bars, below the axis.
const AXIS: u32 = 20;

/// Bars of `days` (oldest first), described by `description` for screen
/// readers (the SVG is one image to them).
pub(super) fn signatures_per_day(days: &[Tally], description: &str) -> String {
    let most = days.iter().map(|day| day.count).max().unwrap_or(0).max(1);
    let count = u32::try_from(days.len()).unwrap_or(u32::MAX).max(1);
    let slot = f64::from(WIDTH) / f64::from(count);
    let plot = f64::from(HEIGHT - AXIS);
    let mut svg = String::new();
    write!(
        svg,
        "<svg class=\"chart\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-labelledby=\"chart-description\" \
         preserveAspectRatio=\"none\" xmlns=\"http://www.w3.org/2000/svg\">"
    )
    .expect("writing to a string cannot fail");
    write!(svg, "<title id=\"chart-description\">{}</title>", escape(description)).expect("infallible");
    write!(
        svg,
        "<line x1=\"0\" y1=\"{plot}\" x2=\"{WIDTH}\" y2=\"{plot}\" class=\"axis\"/>"
    )
    .expect("infallible");
    for (i, day) in days.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)] // counts far below 2^52
        let height = plot * day.count as f64 / most as f64;
        #[allow(clippy::cast_precision_loss)]
        let x = slot * i as f64 + slot * 0.1;
        write!(
            svg,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{height:.1}\" class=\"bar\"><title>{}: {}</title></rect>",
            plot - height,
            slot * 0.8,
            escape(&day.label),
            day.count
        )
        .expect("infallible");
    }
    svg.push_str("</svg>");
    // The dates are text below the drawing, not in it: the bars stretch to
    // any width, and letters stretched with them would not read.
    if let (Some(first), Some(last)) = (days.first(), days.last()) {
        write!(
            svg,
            "<p class=\"dates\"><span>{}</span> <span>{}</span></p>",
            escape(&first.label),
            escape(&last.label)
        )
        .expect("infallible");
    }
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_day_is_a_bar_as_tall_as_its_share_of_the_busiest() {
        let svg = signatures_per_day(
            &[
                Tally::new("2026-11-01", 0),
                Tally::new("2026-11-02", 7),
                Tally::new("2026-11-03", 14),
            ],
            "21 signatures",
        );
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains("height=\"140.0\""), "{svg}");
        assert!(svg.contains("height=\"70.0\""), "{svg}");
        assert!(svg.contains("2026-11-01") && svg.contains("2026-11-03"));
        assert!(svg.contains("<title id=\"chart-description\">21 signatures</title>"));
    }
}
