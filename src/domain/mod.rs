//! Parse-only types: every value a supporter types is turned into one of these
//! before it goes anywhere else, so the rest of the program never sees an
//! unchecked name, email or postcode; the words people send the bot, with
//! the table that declares each command once ([`COMMANDS`]); and the core
//! types the engine, the catalogue and storage share ([`Signature`],
//! [`Selection`], [`ReviewAction`], [`Anomaly`]).
//!
//! Each parser says why it refused an answer as a kind of its own
//! ([`NameRejection`], [`EmailRejection`], [`PostcodeRejection`],
//! [`CountryRejection`]; any of them as a [`Rejection`]), and never in words:
//! the message catalogue words each kind for the person who typed it, in
//! their language, naming what is wrong and what would be right without
//! repeating the input (it may be personal data). A caller that must act on
//! why (a UK nation typed as a country) matches on the kind.

mod commands;
mod countries;
mod email;
mod identity;
mod location;
mod name;
mod pseudonym;
mod review;
mod share_code;
mod signature;

pub use commands::{COMMANDS, Command, Offered, Place, Takes, Who, Word};
pub use email::{Email, EmailRejection};
pub use identity::{ChatKind, Identity, Platform};
pub use location::{Country, CountryRejection, Location, PostcodeDistrict, PostcodeRejection};
pub use name::{NameRejection, SignerName};
pub use pseudonym::{PseudonymKey, set_pseudonym_key};
pub use review::{Anomaly, Dimension, HoldReason, ReviewAction, Selection};
pub use share_code::ShareCode;
pub use signature::{Signature, SignatureStatus};

/// Why a typed answer was not accepted, whichever question it answered.
/// Has no wording (and so no `Display`): the catalogue words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// A name.
    Name(NameRejection),
    /// An email address.
    Email(EmailRejection),
    /// A UK postcode.
    Postcode(PostcodeRejection),
    /// A country.
    Country(CountryRejection),
}

impl From<NameRejection> for Rejection {
    fn from(rejection: NameRejection) -> Self {
        Rejection::Name(rejection)
    }
}

impl From<EmailRejection> for Rejection {
    fn from(rejection: EmailRejection) -> Self {
        Rejection::Email(rejection)
    }
}

impl From<PostcodeRejection> for Rejection {
    fn from(rejection: PostcodeRejection) -> Self {
        Rejection::Postcode(rejection)
    }
}

impl From<CountryRejection> for Rejection {
    fn from(rejection: CountryRejection) -> Self {
        Rejection::Country(rejection)
    }
}

/// Characters that change how text is displayed without being visible:
/// bidirectional overrides and isolates, zero-width joiners and spaces, the
/// byte-order mark, tag characters, the combining grapheme joiner, and the
/// blank "letters" (Hangul fillers, the braille blank) that pass for a name
/// while showing nothing. They let a name look like something it is not.
///
/// Variation selectors are not among them: after a character they pick its
/// style (an emoji, an ideograph's variant), which is legitimate; see
/// [`is_variation_selector`].
pub(crate) fn is_invisible_or_bidi(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
            | '\u{061C}'
            | '\u{180B}'..='\u{180F}'
            | '\u{00AD}'
            | '\u{034F}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{2800}'
            | '\u{3164}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

/// The variation selectors, which ask for a variant of the character before
/// them and show nothing themselves.
pub(crate) fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

/// Whether the text looks like it carries a link. Names and countries are
/// shown to organisers and printed on the petition; a link there is spam.
pub(crate) fn contains_link(text: &str) -> bool {
    // Every form below needs a dot or a colon; most names have neither.
    if !text.contains(['.', ':']) {
        return false;
    }
    let lower = text.to_lowercase();
    if lower.contains("://") || lower.contains("www.") {
        return true;
    }
    // "example.com", "t.me/x": a dot between letters followed by a known
    // top-level-looking word. Names such as "J. R. R. Tolkien" or "St.John"
    // must still pass, so only a dot directly followed by two or more letters
    // and then the end or a slash counts.
    lower.split_whitespace().any(|word| {
        let word = word.trim_end_matches([',', ';', ')']);
        match word.rsplit_once('.') {
            Some((head, tail)) => {
                let tail = tail.split('/').next().unwrap_or("");
                !head.is_empty()
                    && head.chars().last().is_some_and(|c| c.is_alphanumeric())
                    && tail.len() >= 2
                    && tail.chars().all(|c| c.is_ascii_alphabetic())
                    && (word.contains('/') || KNOWN_TLDS.contains(&tail))
            }
            None => false,
        }
    })
}

const KNOWN_TLDS: &[&str] = &[
    "com", "net", "org", "uk", "io", "me", "ru", "info", "biz", "xyz", "co", "app", "dev", "ly", "gg", "to", "link",
    "site", "online", "top", "club", "shop", "de", "fr", "cn", "tk",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_recognised() {
        for text in [
            "http://x.y",
            "visit www.spam",
            "example.com",
            "t.me/joinchat",
            "cheap-pills.ru",
        ] {
            assert!(contains_link(text), "{text}");
        }
    }

    #[test]
    fn initials_and_abbreviations_are_not_links() {
        for text in ["J. R. R. Tolkien", "St.John Smith", "Mary-Ann O'Neil", "Dr. Who"] {
            assert!(!contains_link(text), "{text}");
        }
    }
}
