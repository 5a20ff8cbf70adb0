//! What adapters hand the engine: who sent a message, where, and what.

use chrono::{DateTime, Utc};

use crate::domain::{ChatKind, Identity};

/// A message from a supporter, as an adapter hands it to the engine.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// Who sent it.
    pub from: Identity,
    /// The sender's platform roles (Discord role ids), for organiser checks.
    pub roles: Vec<String>,
    /// Whether it was sent in private or where others can read the reply.
    pub chat: ChatKind,
    /// What they sent.
    pub input: Input,
    /// When the sender's account was created, where the platform tells
    /// (Discord ids carry it); young accounts' signatures are held.
    pub account_created: Option<DateTime<Utc>>,
}

impl Incoming {
    /// A message in a private chat from someone without roles.
    pub fn private(from: Identity, input: Input) -> Self {
        Self {
            from,
            roles: Vec::new(),
            chat: ChatKind::Private,
            input,
            account_created: None,
        }
    }
}

/// What a supporter sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Opened the bot, possibly through a link whose payload names a
    /// campaign and a share code (`slug` or `slug__CODE`).
    Start {
        /// The link's payload, if any.
        payload: Option<String>,
    },
    /// Typed text, including commands with or without a leading `/`.
    Text(String),
    /// Pressed a button; the [`Choice::data`](super::Choice::data) it carried.
    Choice(String),
    /// Filled in a form: name, email and where they live at once.
    Form(FormAnswers),
}

/// The fields of a submitted [`Form`](super::Form), as typed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FormAnswers {
    /// The campaign the form was for, where the form names one (a campaign's
    /// web form); otherwise the one being signed, or the default.
    pub campaign: Option<String>,
    /// The name for the petition.
    pub name: String,
    /// The email address; may be empty where the campaign allows.
    pub email: String,
    /// A UK postcode, or a country.
    pub location: String,
    /// The consent box, where the form has one.
    pub consent: FormConsent,
    /// Whether they want updates, where the form asks.
    pub updates: Option<bool>,
}

/// A form's consent box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FormConsent {
    /// The form has none; consent is asked as its own question afterwards.
    #[default]
    NotAsked,
    /// The box was left unticked.
    NotGiven,
    /// Ticked, under the consent wording of this version (the one the form
    /// showed).
    Given {
        /// The wording's version.
        version: u32,
    },
}
