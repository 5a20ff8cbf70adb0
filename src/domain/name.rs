use unicode_normalization::UnicodeNormalization;

use super::{Rejection, contains_link, is_invisible_or_bidi};

/// The name a supporter wants printed on the petition.
///
/// Trimmed, NFC-normalised, 2 to 100 characters, with at least one letter;
/// no control, bidirectional or zero-width characters, no links, and no
/// leading `= + - @` (a spreadsheet would run it as a formula).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerName(String);

impl SignerName {
    /// The shortest and longest names accepted, in characters.
    pub const MIN_CHARS: usize = 2;
    /// See [`SignerName::MIN_CHARS`].
    pub const MAX_CHARS: usize = 100;

    /// Checks and normalises a name as typed.
    pub fn parse(raw: &str) -> Result<Self, Rejection> {
        let normalised: String = raw.trim().nfc().collect();
        // Inner runs of whitespace collapse to one space, so "Ann   Lee" and
        // "Ann Lee" are the same name on the petition.
        let name = normalised.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() {
            return Err(Rejection("Please type the name you would like on the petition."));
        }
        if name.chars().any(|c| c.is_control() || is_invisible_or_bidi(c)) {
            return Err(Rejection(
                "That name contains hidden or control characters. Please type it again using ordinary letters.",
            ));
        }
        let length = name.chars().count();
        if length < Self::MIN_CHARS {
            return Err(Rejection("That name is too short. Please give at least 2 characters."));
        }
        if length > Self::MAX_CHARS {
            return Err(Rejection(
                "That name is too long. Please keep it to 100 characters or fewer.",
            ));
        }
        if !name.chars().any(char::is_alphabetic) {
            return Err(Rejection("A name needs at least one letter."));
        }
        if name.starts_with(['=', '+', '-', '@']) {
            return Err(Rejection(
                "A name cannot start with =, +, - or @. Please type it starting with a letter.",
            ));
        }
        if contains_link(&name) {
            return Err(Rejection(
                "A name cannot contain a link or web address. Please type just your name.",
            ));
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

impl AsRef<str> for SignerName {
    fn as_ref(&self) -> &str {
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
        assert!(SignerName::parse("A").is_err());
        assert!(SignerName::parse("Al").is_ok());
        assert!(SignerName::parse(&"é".repeat(100)).is_ok());
        assert!(SignerName::parse(&"é".repeat(101)).is_err());
    }

    #[test]
    fn names_without_letters_are_rejected() {
        assert!(SignerName::parse("12345").is_err());
        assert!(SignerName::parse("!!").is_err());
        assert!(SignerName::parse("   ").is_err());
    }

    #[test]
    fn formula_prefixes_are_rejected() {
        for name in ["=SUM(A1)", "+Ann", "-Ann", "@Ann"] {
            assert!(SignerName::parse(name).is_err(), "{name}");
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
            assert!(SignerName::parse(name).is_err(), "{name:?}");
        }
    }

    #[test]
    fn links_are_rejected() {
        for name in ["https://spam.example", "www.buy-now", "Ann from spam.com"] {
            assert!(SignerName::parse(name).is_err(), "{name}");
        }
    }
}
