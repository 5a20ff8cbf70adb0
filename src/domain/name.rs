use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::{contains_link, is_invisible_or_bidi, is_variation_selector};

/// The name a supporter wants printed on the petition.
///
/// Trimmed, NFC-normalised, 2 to 100 characters, with at least one letter;
/// something that shows when printed; no control, bidirectional, zero-width,
/// tag or filler characters, no variation selector without a character to
/// modify, no more than [`SignerName::MAX_MARKS_PER_BASE`] accents stacked on
/// one character, no links, and no leading `= + - @` (a spreadsheet would
/// run it as a formula).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerName(String);

impl SignerName {
    /// The shortest and longest names accepted, in characters.
    pub const MIN_CHARS: usize = 2;
    /// See [`SignerName::MIN_CHARS`].
    pub const MAX_CHARS: usize = 100;
    /// The most combining marks (accents, vowel signs, tone marks) allowed
    /// on one character. Vietnamese stacks two (ễ), Indic and Thai scripts
    /// up to three; more is "Zalgo" text that spills over the lines around it.
    pub const MAX_MARKS_PER_BASE: usize = 3;

    /// Checks and normalises a name as typed.
    pub fn parse(raw: &str) -> Result<Self, NameRejection> {
        let trimmed = raw.trim();
        // NFC leaves ASCII as it is, and most names (and every saved one,
        // checked again as it loads) need no change: both skip the work.
        let normalised: Cow<'_, str> = if trimmed.is_ascii() {
            trimmed.into()
        } else {
            trimmed.nfc().collect::<String>().into()
        };
        // Inner runs of whitespace collapse to one space, so "Ann   Lee" and
        // "Ann Lee" are the same name on the petition.
        let name = if single_spaced(&normalised) {
            normalised.into_owned()
        } else {
            normalised.split_whitespace().collect::<Vec<_>>().join(" ")
        };
        if name.is_empty() {
            return Err(NameRejection::Missing);
        }
        // Before the hidden-character check, so a name of nothing but
        // fillers hears what it would look like rather than why.
        if name.chars().all(shows_nothing) {
            return Err(NameRejection::Blank);
        }
        if name.chars().any(|c| c.is_control() || is_invisible_or_bidi(c)) || has_stray_variation_selector(&name) {
            return Err(NameRejection::Hidden);
        }
        match marks_check(&name) {
            Marks::Fine => {}
            Marks::Stray => return Err(NameRejection::StrayMark),
            Marks::Stacked => return Err(NameRejection::StackedMarks),
        }
        let length = name.chars().count();
        if length < Self::MIN_CHARS {
            return Err(NameRejection::TooShort);
        }
        if length > Self::MAX_CHARS {
            return Err(NameRejection::TooLong);
        }
        if !name.chars().any(char::is_alphabetic) {
            return Err(NameRejection::NoLetter);
        }
        if name.starts_with(['=', '+', '-', '@']) {
            return Err(NameRejection::FormulaStart);
        }
        if contains_link(&name) {
            return Err(NameRejection::Link);
        }
        Ok(Self(name))
    }

    /// The name as it will appear on the petition.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Wraps a name read back from storage, which was checked when stored.
    pub fn from_trusted(stored: String) -> Self {
        Self(stored)
    }
}

/// Why a name was not accepted, in the order [`SignerName::parse`] checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRejection {
    /// Nothing typed, or only spaces.
    Missing,
    /// Only characters that print as nothing (fillers, marks, spaces).
    Blank,
    /// Control, bidirectional, zero-width, tag or filler characters, or a
    /// variation selector with nothing to modify.
    Hidden,
    /// An accent or mark with no character under it.
    StrayMark,
    /// More than [`SignerName::MAX_MARKS_PER_BASE`] marks on one character.
    StackedMarks,
    /// Fewer than [`SignerName::MIN_CHARS`] characters.
    TooShort,
    /// More than [`SignerName::MAX_CHARS`] characters.
    TooLong,
    /// No letter at all.
    NoLetter,
    /// Starts with `= + - @`, which a spreadsheet would run as a formula.
    FormulaStart,
    /// A link or web address.
    Link,
}

/// Whether whitespace collapsing would leave the text as it is: none at
/// either end, and only single spaces between words.
fn single_spaced(text: &str) -> bool {
    let mut after_space = true;
    for c in text.chars() {
        if c.is_whitespace() {
            if c != ' ' || after_space {
                return false;
            }
            after_space = true;
        } else {
            after_space = false;
        }
    }
    !after_space || text.is_empty()
}

/// Whether a character leaves the page blank on its own: spaces, hidden and
/// format characters, fillers, and marks that only decorate another
/// character. A name made only of these passes a letter check (Hangul
/// fillers are letters to Unicode) yet prints as nothing.
fn shows_nothing(c: char) -> bool {
    c.is_whitespace() || c.is_control() || is_invisible_or_bidi(c) || is_variation_selector(c) || is_combining_mark(c)
}

/// A variation selector modifies the character just before it; at the start,
/// after a space or after another selector or mark there is nothing for it
/// to modify, so it only hides there.
fn has_stray_variation_selector(name: &str) -> bool {
    let mut previous: Option<char> = None;
    for c in name.chars() {
        if is_variation_selector(c)
            && previous.is_none_or(|p| p.is_whitespace() || is_combining_mark(p) || is_invisible_or_bidi(p))
        {
            return true;
        }
        previous = Some(c);
    }
    false
}

/// What the combining marks in a name amount to.
enum Marks {
    Fine,
    /// A mark at the start or after a space, with no character to sit on.
    Stray,
    /// More than [`SignerName::MAX_MARKS_PER_BASE`] on one character.
    Stacked,
}

/// Counted in the decomposed form, so a precomposed "ễ" weighs the same as
/// "e" with its two marks typed separately, and piling marks onto an
/// already accented letter is seen for what it is.
fn marks_check(name: &str) -> Marks {
    let mut on_a_base = false;
    let mut run = 0;
    for c in name.nfd() {
        if is_combining_mark(c) {
            if !on_a_base {
                return Marks::Stray;
            }
            run += 1;
            if run > SignerName::MAX_MARKS_PER_BASE {
                return Marks::Stacked;
            }
        } else {
            on_a_base = !c.is_whitespace();
            run = 0;
        }
    }
    Marks::Fine
}

impl AsRef<str> for SignerName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Reads as the name it holds, so `Option<SignerName>` can be compared with
/// text through `as_deref`; gives no way to change it.
impl std::ops::Deref for SignerName {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_names_are_accepted_and_trimmed() {
        assert_eq!(SignerName::parse("  Ada Lovelace ").unwrap().as_str(), "Ada Lovelace");
        assert_eq!(SignerName::parse("Ann   Lee").unwrap().as_str(), "Ann Lee");
        assert!(SignerName::parse("Zoë O'Brien-Ng").is_ok());
        assert!(SignerName::parse("李小龍").is_ok());
        assert!(SignerName::parse("J. R. R. Tolkien").is_ok());
    }

    #[test]
    fn names_are_nfc_normalised() {
        let decomposed = "Zoe\u{0308}";
        assert_eq!(SignerName::parse(decomposed).unwrap().as_str(), "Zo\u{00EB}");
    }

    #[test]
    fn length_is_counted_in_characters() {
        assert_eq!(rejection("A"), NameRejection::TooShort);
        assert!(SignerName::parse("Al").is_ok());
        assert!(SignerName::parse(&"é".repeat(100)).is_ok());
        assert_eq!(rejection(&"é".repeat(101)), NameRejection::TooLong);
    }

    #[test]
    fn names_without_letters_are_rejected() {
        assert_eq!(rejection("12345"), NameRejection::NoLetter);
        assert_eq!(rejection("!!"), NameRejection::NoLetter);
        assert_eq!(rejection("   "), NameRejection::Missing);
        assert_eq!(rejection(""), NameRejection::Missing);
    }

    #[test]
    fn formula_prefixes_are_rejected() {
        for name in ["=SUM(A1)", "+Ann", "-Ann", "@Ann"] {
            assert_eq!(rejection(name), NameRejection::FormulaStart, "{name}");
        }
    }

    #[test]
    fn hidden_characters_are_rejected() {
        for name in [
            "Ann\u{202E}eL",
            "An\u{200B}n",
            "Ann\u{0007}",
            "Ann\nLee\u{0000}",
            "\u{2066}Ann",
        ] {
            assert_eq!(rejection(name), NameRejection::Hidden, "{name:?}");
        }
    }

    fn rejection(name: &str) -> NameRejection {
        match SignerName::parse(name) {
            Ok(accepted) => panic!("{name:?} was accepted as {:?}", accepted.as_str()),
            Err(rejection) => rejection,
        }
    }

    #[test]
    fn tag_characters_fillers_and_joiners_are_rejected_as_hidden() {
        for name in [
            "Ann\u{E0041}\u{E0042}",
            "Ann\u{E007F}Lee",
            "\u{E0001}Ann",
            "Ann\u{115F}Lee",
            "Ann\u{1160}",
            "Ann \u{3164}",
            "\u{FFA0}Ann",
            "Ann\u{2800}Lee",
            "An\u{034F}n",
        ] {
            assert_eq!(rejection(name), NameRejection::Hidden, "{name:?}");
        }
    }

    #[test]
    fn names_that_would_print_blank_are_rejected_even_when_made_of_letters() {
        // Hangul fillers are letters to Unicode, so they pass a letter check.
        assert!("\u{3164}".chars().all(char::is_alphabetic));
        for name in [
            "\u{3164}\u{3164}",
            "\u{115F}\u{1160}",
            "\u{FFA0}\u{FFA0}\u{FFA0}",
            "\u{2800}\u{2800}",
            "\u{3164} \u{3164}",
            "\u{3000}\u{2800}\u{3000}\u{2800}",
            "\u{E0041}\u{E0042}",
            "\u{FE0F}\u{FE0F}",
            "\u{0301}\u{0302}",
            "\u{093E}\u{093F}",
            "\u{200B}\u{3164}",
        ] {
            assert_eq!(rejection(name), NameRejection::Blank, "{name:?}");
        }
    }

    #[test]
    fn variation_selectors_are_accepted_only_after_a_character_they_modify() {
        assert!(SignerName::parse("Ann \u{2764}\u{FE0F}").is_ok());
        assert!(
            SignerName::parse("\u{845B}\u{E0100}\u{57CE}").is_ok(),
            "an ideographic variant"
        );
        for name in [
            "\u{FE0F}Ann",
            "Ann \u{FE0F}Lee",
            "Ann\u{FE0F}\u{FE0F}",
            "Ann\u{FE0E}\u{FE0F}",
            "\u{E0100}Ann",
            "Ann \u{E01EF}",
        ] {
            assert_eq!(rejection(name), NameRejection::Hidden, "{name:?}");
        }
    }

    #[test]
    fn accents_piled_on_one_letter_are_rejected() {
        for name in [
            "Ann\u{0301}\u{0302}\u{0303}\u{0304}",
            "A\u{0310}\u{0311}\u{0312}\u{0313}\u{0314}nn",
            "Z\u{0336}\u{0337}\u{0338}\u{0339}a\u{033A}\u{033B}\u{033C}\u{033D}lgo",
            // Already accented letters count their own accents too.
            "\u{1EC5}\u{0301}\u{0302}",
        ] {
            assert_eq!(rejection(name), NameRejection::StackedMarks, "{name:?}");
        }
        assert!(
            SignerName::parse("Ann\u{0301}\u{0302}\u{0303}").is_ok(),
            "three are allowed"
        );
    }

    #[test]
    fn an_accent_with_no_letter_under_it_is_rejected() {
        for name in ["\u{0301}Ann", "Ann \u{0301}Lee"] {
            assert_eq!(rejection(name), NameRejection::StrayMark, "{name:?}");
        }
    }

    #[test]
    fn names_written_with_many_accents_or_vowel_signs_are_accepted() {
        let composed = "Nguyễn Thị Minh Khai";
        let decomposed = "Nguye\u{0302}\u{0303}n Thi\u{0323} Minh Khai";
        assert_eq!(SignerName::parse(decomposed).unwrap().as_str(), composed);
        assert_eq!(SignerName::parse(composed).unwrap().as_str(), composed);
        for name in [
            "Trần Đặng Hoàng Yến",
            "Phạm Thị Hường",
            "प्रियंका चोपड़ा",
            "श्रीनिवास रामानुजन",
            "क्षत्रिय",
            "सौम्या कौर",
            "স্বাতী বন্দ্যোপাধ্যায়",
            "ਗੁਰਪ੍ਰੀਤ ਸਿੰਘ",
            "สมชาย ใจดี",
            "ณัฐวุฒิ ศรีสุข",
            "ปิ่นอนงค์ กี่ศักดิ์",
            "Þórunn Ásgeirsdóttir",
            "Σωκράτης Παπαδόπουλος",
            "김민준",
            "محمد علي",
        ] {
            assert!(SignerName::parse(name).is_ok(), "{name}: {:?}", SignerName::parse(name));
        }
    }

    #[test]
    fn links_are_rejected() {
        for name in ["https://spam.example", "www.buy-now", "Ann from spam.com"] {
            assert_eq!(rejection(name), NameRejection::Link, "{name}");
        }
    }

    #[test]
    fn a_tidy_name_is_kept_as_it_is_and_an_untidy_one_is_tidied() {
        for (typed, kept) in [
            ("Ann Lee", "Ann Lee"),
            ("  Ann Lee ", "Ann Lee"),
            ("Ann   Lee", "Ann Lee"),
            ("Ann\tLee", "Ann Lee"),
            ("Ann\u{00A0}Lee", "Ann Lee"),
            ("Zoe\u{0308} Lee", "Zo\u{00EB} Lee"),
            ("Zo\u{00EB}  Lee", "Zo\u{00EB} Lee"),
        ] {
            assert_eq!(SignerName::parse(typed).unwrap().as_str(), kept, "{typed:?}");
        }
    }
}
