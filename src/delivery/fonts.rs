//! The pack's typeface, DejaVu Sans (assets/fonts, Bitstream Vera licence):
//! it covers Latin, Greek, Cyrillic, Armenian, Georgian, Hebrew and much of
//! Arabic, so names in those scripts print as written. It is compiled into
//! the binary, so a pack needs no font installed; krilla embeds only the
//! glyphs a pack uses.

use krilla::text::Font;

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// A weight of the typeface: for drawing (krilla) and for measuring
/// (rustybuzz, the shaper krilla uses itself, so widths match what is drawn).
pub(super) struct Face {
    pub(super) font: Font,
    shaper: rustybuzz::Face<'static>,
    units_per_em: f32,
}

impl Face {
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

/// The two weights a pack uses.
pub(super) struct Fonts {
    pub(super) regular: Face,
    pub(super) bold: Face,
}

impl Fonts {
    pub(super) fn load() -> anyhow::Result<Self> {
        Ok(Self {
            regular: Face::load(REGULAR)?,
            bold: Face::load(BOLD)?,
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
                assert!(fonts.regular.shaper.glyph_index(c).is_some(), "{c} is missing");
            }
        }
    }

    #[test]
    fn wider_text_measures_wider() {
        let fonts = Fonts::load().unwrap();
        assert!(fonts.regular.width("WWWW", 10.0) > fonts.regular.width("iiii", 10.0));
        assert_eq!(fonts.regular.width("Ada", 20.0), 2.0 * fonts.regular.width("Ada", 10.0));
    }
}
