//! The languages the catalogue is worded in, and how a [`Message`] becomes
//! text in one: [`Localised`] picks the language's wording.
//!
//! # Adding a language
//!
//! One language is one folder, `en/` for English: `mod.rs` words every key
//! in its `write`, and the files beside it word the adapters' keys
//! (`adapters.rs`) and the messages' arguments (`parts.rs`) from the
//! language's own small pieces (`words.rs`: numbers, plurals, dates),
//! with `tests.rs` checking how it reads. Copy the folder to one named for
//! the language (`cy/`), word every arm of its files again (and its tests'
//! expected sentences), declare it beside `en` in `messages/mod.rs`, and add the language
//! to [`Language`] and to the one `match` in [`Localised`]'s `Display`
//! (both in this file).
//! The compiler then refuses to build until every message has its wording;
//! add the language to `LANGUAGES` in the catalogue's tests too, which
//! check that every key, button, label and description reads as something
//! in each language. Choosing the language (per campaign, say) is a
//! setting handed to the [`Engine`](crate::conversation::Engine).

use std::fmt;

use super::{Message, en};

/// A language the catalogue is worded in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    /// British English.
    #[default]
    English,
}

impl Language {
    /// The language's BCP 47 tag, for web pages' `lang`.
    pub fn tag(self) -> &'static str {
        match self {
            Self::English => "en-GB",
        }
    }
}

impl<'a> Message<'a> {
    /// The message in `language`, as text.
    pub fn text(self, language: Language) -> String {
        self.in_language(language).to_string()
    }

    /// The message in `language`, to write into a larger text without a
    /// string of its own.
    pub fn in_language(self, language: Language) -> Localised<'a> {
        Localised {
            message: self,
            language,
        }
    }
}

/// A message in a language: its text, as [`fmt::Display`].
#[derive(Debug, Clone, Copy)]
pub struct Localised<'a> {
    message: Message<'a>,
    language: Language,
}

impl fmt::Display for Localised<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.language {
            Language::English => en::write(&self.message, f),
        }
    }
}
