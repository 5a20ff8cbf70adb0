//! The page every part of the pack is drawn on: A4, the campaign's title at
//! the top, "page 3 of 212" at the foot, and a pen for text and shapes.
//!
//! The pen also records the pack's structure for a tagged PDF (PDF/UA-1):
//! every piece of text is marked and placed in the element it belongs to
//! (a heading, a paragraph, a list item), in reading order; the page's
//! title, numbers and rules are marked as artifacts, outside the structure;
//! the chart is a figure with a text alternative.

use krilla::color::luma;
use krilla::geom::{PathBuilder, Point, Rect, Transform};
use krilla::paint::Fill;
use krilla::surface::Surface;
use krilla::tagging::{Artifact, ArtifactType, ContentTag, SpanTag, Tag};
use krilla::text::TextDirection;

use super::fonts::{Face, Fonts};
use super::structure::Structure;

/// A4, in points.
pub(super) const WIDTH: f32 = 595.28;
pub(super) const HEIGHT: f32 = 841.89;
/// Left and right margins.
pub(super) const MARGIN: f32 = 56.0;
/// Where the body starts and must end (baselines stay inside).
pub(super) const BODY_TOP: f32 = 72.0;
pub(super) const BODY_BOTTOM: f32 = HEIGHT - 56.0;
/// The body's width.
pub(super) const BODY_WIDTH: f32 = WIDTH - 2.0 * MARGIN;

/// Smallest size text is shrunk to before it is squeezed sideways instead.
const SMALLEST_SIZE: f32 = 5.5;

/// Grey for secondary text and rules, so the names stand out.
pub(super) const GREY: u8 = 110;
pub(super) const LIGHT: u8 = 200;

/// Where fitted text goes: its baseline's start, and the width it may take.
#[derive(Debug, Clone, Copy)]
pub(super) struct Spot {
    pub(super) x: f32,
    pub(super) y: f32,
    pub(super) width: f32,
}

/// What the pen's marks are.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Content: text in the structure, shapes as layout artifacts.
    Content,
    /// Inside an artifact: nothing more is marked.
    Artifact,
    /// Inside a figure: text and shapes are its content.
    Figure,
}

/// Draws on one page.
pub(super) struct Pen<'s, 'p> {
    surface: &'s mut Surface<'p>,
    pub(super) fonts: &'s Fonts,
    pub(super) structure: &'s mut Structure,
    mode: Mode,
}

impl<'s, 'p> Pen<'s, 'p> {
    pub(super) fn new(surface: &'s mut Surface<'p>, fonts: &'s Fonts, structure: &'s mut Structure) -> Self {
        Self {
            surface,
            fonts,
            structure,
            mode: Mode::Content,
        }
    }

    /// Draws what `draw` draws as an artifact of `kind`: seen, but not part
    /// of the text a reader reads out.
    pub(super) fn artifact(&mut self, kind: ArtifactType, draw: impl FnOnce(&mut Self)) {
        if self.mode != Mode::Content {
            return draw(self);
        }
        self.surface
            .start_tagged(ContentTag::Artifact(Artifact::with_kind(kind)));
        self.mode = Mode::Artifact;
        draw(self);
        self.mode = Mode::Content;
        self.surface.end_tagged();
    }

    /// Draws what `draw` draws as one figure described by `alternative`.
    pub(super) fn figure(&mut self, alternative: String, draw: impl FnOnce(&mut Self)) {
        self.structure.close_all();
        self.structure.open(Tag::Figure(Some(alternative)));
        self.mode = Mode::Figure;
        draw(self);
        self.mode = Mode::Content;
        self.structure.close_all();
    }

    /// Runs `draw`, marked as content into the structure unless inside an
    /// artifact.
    fn marked(&mut self, tag: ContentTag<'_>, draw: impl FnOnce(&mut Self)) {
        if self.mode == Mode::Artifact {
            return draw(self);
        }
        let id = self.surface.start_tagged(tag);
        draw(self);
        self.surface.end_tagged();
        self.structure.leaf(id);
    }

    fn shade(&mut self, lightness: u8) {
        self.surface.set_fill(Some(Fill {
            paint: luma::Color::new(lightness).into(),
            ..Fill::default()
        }));
    }

    /// `text` with its baseline starting at (`x`, `y`), laid out by the
    /// Unicode bidirectional algorithm: `ابن سينا Avicenna` reads right to
    /// left with its Latin run left to right, `David כהן` the other way.
    /// Each run is drawn in its own direction, in its font.
    pub(super) fn text(&mut self, face: &Face, size: f32, x: f32, y: f32, lightness: u8, text: &str) {
        if text.is_empty() {
            return;
        }
        self.marked(ContentTag::Span(SpanTag::empty()), |pen| {
            pen.draw_runs(face, size, x, y, lightness, text)
        });
    }

    fn draw_runs(&mut self, face: &Face, size: f32, x: f32, y: f32, lightness: u8, text: &str) {
        self.shade(lightness);
        let mut cursor = x;
        for (run, right_to_left) in visual_runs(text) {
            let mut pieces = face.pieces(run);
            // A right-to-left run's first letters are drawn rightmost.
            if right_to_left {
                pieces.reverse();
            }
            let direction = if right_to_left {
                TextDirection::RightToLeft
            } else {
                TextDirection::LeftToRight
            };
            for (font, piece) in pieces {
                self.surface.draw_text(
                    Point::from_xy(cursor, y),
                    font.font.clone(),
                    size,
                    piece,
                    false,
                    direction,
                );
                cursor += font.width(piece, size);
            }
        }
    }

    /// `text` ending at `right`.
    pub(super) fn text_right(&mut self, face: &Face, size: f32, right: f32, y: f32, lightness: u8, text: &str) {
        let width = face.width(text, size);
        self.text(face, size, right - width, y, lightness, text);
    }

    /// `text` within `width` of `x`: smaller if it must be, down to a
    /// readable size, then narrowed, so that nothing of a name is cut off.
    pub(super) fn text_fitted(&mut self, face: &Face, size: f32, spot: Spot, lightness: u8, text: &str) {
        let Spot { x, y, width } = spot;
        let natural = face.width(text, size);
        if natural <= width {
            return self.text(face, size, x, y, lightness, text);
        }
        let smaller = (size * width / natural).max(SMALLEST_SIZE);
        let at_smaller = natural * smaller / size;
        if at_smaller <= width {
            return self.text(face, smaller, x, y, lightness, text);
        }
        // Squeezed about its own start, so the rest of the page is untouched.
        self.surface
            .push_transform(&Transform::from_row(width / at_smaller, 0.0, 0.0, 1.0, x, 0.0));
        self.text(face, smaller, 0.0, y, lightness, text);
        self.surface.pop();
    }

    /// A filled rectangle.
    pub(super) fn rect(&mut self, x: f32, y: f32, width: f32, height: f32, lightness: u8) {
        let Some(rect) = Rect::from_xywh(x, y, width, height) else {
            return;
        };
        let mut path = PathBuilder::new();
        path.push_rect(rect);
        let Some(path) = path.finish() else {
            return;
        };
        let draw = |pen: &mut Self| {
            pen.shade(lightness);
            pen.surface.draw_path(&path);
        };
        match self.mode {
            // A shape beside the text is decoration, in a figure its content.
            Mode::Content => self.artifact(ArtifactType::Layout, draw),
            Mode::Artifact => draw(self),
            Mode::Figure => self.marked(ContentTag::Other, draw),
        }
    }

    /// A thin horizontal rule.
    pub(super) fn rule(&mut self, x: f32, y: f32, width: f32) {
        self.rect(x, y, width, 0.5, LIGHT);
    }

    /// The title at the top and the page number at the foot, which repeat
    /// on every page and are not read out.
    pub(super) fn frame(&mut self, title: &str, page_of: &str) {
        let fonts = self.fonts;
        self.artifact(ArtifactType::PaginationOther, |pen| {
            pen.text_fitted_grey(&fonts.bold, 8.5, MARGIN, 40.0, BODY_WIDTH, title);
            pen.rule(MARGIN, 47.0, BODY_WIDTH);
            pen.rule(MARGIN, HEIGHT - 42.0, BODY_WIDTH);
            pen.text_right(&fonts.regular, 8.0, WIDTH - MARGIN, HEIGHT - 30.0, GREY, page_of);
        });
    }

    fn text_fitted_grey(&mut self, face: &Face, size: f32, x: f32, y: f32, width: f32, text: &str) {
        let natural = face.width(text, size);
        let size = if natural > width { size * width / natural } else { size };
        self.text(face, size, x, y, GREY, text);
    }
}

/// `text`'s runs of one direction, in the order they are seen from left to
/// right, each with whether it reads right to left.
fn visual_runs(text: &str) -> Vec<(&str, bool)> {
    let bidi = unicode_bidi::BidiInfo::new(text, None);
    let mut runs = Vec::new();
    for paragraph in &bidi.paragraphs {
        let (levels, ranges) = bidi.visual_runs(paragraph, paragraph.range.clone());
        for range in ranges {
            let run = &text[range.clone()];
            if !run.is_empty() {
                runs.push((run, levels[range.start].is_rtl()));
            }
        }
    }
    runs
}

/// `text` broken into lines no wider than `width`, at spaces (a word
/// longer than a line gets a line of its own).
pub(super) fn wrap(face: &Face, size: f32, text: &str, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if !line.is_empty() && face.width(&candidate, size) > width {
                lines.push(std::mem::replace(&mut line, word.to_owned()));
            } else {
                line = candidate;
            }
        }
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_each_direction_are_seen_in_visual_order() {
        assert_eq!(visual_runs("David כהן"), [("David ", false), ("כהן", true)]);
        assert_eq!(
            visual_runs("ابن سينا Avicenna"),
            [("Avicenna", false), ("ابن سينا ", true)]
        );
        assert_eq!(visual_runs("Ada Lovelace"), [("Ada Lovelace", false)]);
    }

    #[test]
    fn wrapped_lines_fit_and_keep_every_word() {
        let fonts = Fonts::load().unwrap();
        let text =
            "We call on the Commissioner of the Metropolitan Police and the Mayor of London to keep the unit open.";
        let lines = wrap(&fonts.regular, 11.0, text, 150.0);
        assert!(lines.len() > 2);
        for line in &lines {
            assert!(fonts.regular.width(line, 11.0) <= 150.0, "{line} is too wide");
        }
        assert_eq!(lines.join(" "), text);
    }
}
