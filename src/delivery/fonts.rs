//! The pack's typeface: DejaVu Sans (Bitstream Vera licence), which covers
//! Latin, Greek, Cyrillic, Armenian, Georgian, Hebrew and much of Arabic,
//! and for the letters it lacks (Chinese, Japanese, Korean) Droid Sans
//! Fallback (Apache 2.0), both in `assets/fonts`. They are compiled into
//! the binary, so a pack needs no font installed; krilla embeds only the
//! glyphs a pack uses.

use krilla::text::Font;

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");
static FALLBACK: &[u8] = include_bytes!("../../assets/fonts/DroidSansFallback.ttf");

/// One font file: for drawing (krilla) and for measuring (rustybuzz, the
/// shaper krilla uses itself, so widths match what is drawn).
pub(super) struct FontFile {
    pub(super) font: Font,
    shaper: rustybuzz::Face<'static>,
    units_per_em: f32,
}

impl FontFile {
    fn load(data: &'static [u8]) -> anyhow::Result<Self> {
        let font = Font::new(data.into(), 0).ok_or_else(|| anyhow::anyhow!("the pack's font could not be read"))?;
        let shaper = rustybuzz::Face::from_slice(data, 0)
            .ok_or_else(|| anyhow::anyhow!("the pack's font could not be shaped"))?;
        let units_per_em = shaper.units_per_em() as f32;
        Ok(Self {
            font,
            shaper,
            units_per_em,
        })
    }

    fn covers(&self, c: char) -> bool {
        self.shaper.glyph_index(c).is_some()
    }

    /// How wide `text` is at `size` points, shaped as it will be drawn.
    pub(super) fn width(&self, text: &str, size: f32) -> f32 {
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        let shaped = rustybuzz::shape(&self.shaper, &[], buffer);
        let advance: i32 = shaped.glyph_positions().iter().map(|p| p.x_advance).sum();
        advance as f32 * size / self.units_per_em
    }
}

/// A weight of the typeface: its own font, and the fallback for what it
/// lacks.
pub(super) struct Face {
    own: FontFile,
    fallback: std::sync::Arc<FontFile>,
}

impl Face {
    /// `text` in pieces, each drawn with one font: the face's own where it
    /// has the letter (or no font has it), the fallback where only it does.
    /// Spaces and marks stay with the letters before them.
    pub(super) fn pieces<'t>(&self, text: &'t str) -> Vec<(&FontFile, &'t str)> {
        let mut pieces: Vec<(&FontFile, &'t str)> = Vec::new();
        let mut start = 0;
        let mut current: Option<&FontFile> = None;
        for (at, c) in text.char_indices() {
            let follows = c.is_whitespace() || unicode_normalization::char::is_combining_mark(c);
            let font = match current {
                Some(current) if follows => current,
                _ if self.own.covers(c) || !self.fallback.covers(c) => &self.own,
                _ => &self.fallback,
            };
            if let Some(previous) = current
                && !std::ptr::eq(previous, font)
            {
                pieces.push((previous, &text[start..at]));
                start = at;
            }
            current = Some(font);
        }
        if let Some(font) = current {
            pieces.push((font, &text[start..]));
        }
        pieces
    }

    /// How wide `text` is at `size` points, shaped as it will be drawn.
    pub(super) fn width(&self, text: &str, size: f32) -> f32 {
        self.pieces(text)
            .iter()
            .map(|(font, piece)| font.width(piece, size))
            .sum()
    }
}

/// The two weights a pack uses.
pub(super) struct Fonts {
    pub(super) regular: Face,
    pub(super) bold: Face,
}

impl Fonts {
    pub(super) fn load() -> anyhow::Result<Self> {
        let fallback = std::sync::Arc::new(FontFile::load(FALLBACK)?);
        Ok(Self {
            regular: Face {
                own: FontFile::load(REGULAR)?,
                fallback: fallback.clone(),
            },
            bold: Face {
                own: FontFile::load(BOLD)?,
                fallback,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_font_has_latin_greek_and_cyrillic_letters() {
        let fonts = Fonts::load().unwrap();
        for name in ["Zoë Brontë", "Αλέξανδρος Παπαδόπουλος", "Анна Каренина"] {
            for c in name.chars().filter(|c| c.is_alphabetic()) {
                assert!(fonts.regular.own.covers(c), "{c} is missing");
            }
        }
    }

    #[test]
    fn letters_the_face_lacks_come_from_the_fallback() {
        let fonts = Fonts::load().unwrap();
        let pieces = fonts.regular.pieces("Bruce 李小龙 Lee");
        let texts: Vec<&str> = pieces.iter().map(|(_, piece)| *piece).collect();
        assert_eq!(texts, ["Bruce ", "李小龙 ", "Lee"]);
        assert!(std::ptr::eq(pieces[1].0, fonts.regular.fallback.as_ref()));
        assert!(fonts.regular.width("李小龙", 10.0) > 20.0, "drawn, not empty");
    }

    #[test]
    fn wider_text_measures_wider() {
        let fonts = Fonts::load().unwrap();
        assert!(fonts.regular.width("WWWW", 10.0) > fonts.regular.width("iiii", 10.0));
        assert_eq!(fonts.regular.width("Ada", 20.0), 2.0 * fonts.regular.width("Ada", 10.0));
    }
}
