//! The arguments some messages carry that have no wording of their own:
//! the answers of a signing, what is wrong with a form or an organiser's
//! filters, and which breakdown a section is. Each language words them
//! where it words the message that carries them.

use chrono::{DateTime, Utc};

use crate::domain::{Email, EmailRejection, Location, NameRejection, SignerName};

/// The answers of a signing in progress, as `mydata` and the review show
/// them; `None` is a question not answered yet.
#[derive(Debug, Clone, Copy, Default)]
pub struct Answers<'a> {
    /// The name.
    pub name: Option<&'a SignerName>,
    /// The email; `Some(None)` when skipped.
    pub email: Option<Option<&'a Email>>,
    /// Where they live.
    pub location: Option<&'a Location>,
    /// When consent was given, and the wording's version.
    pub consent: Option<(DateTime<Utc>, u32)>,
    /// Whether they want updates.
    pub updates: Option<bool>,
}

/// What is wrong with an answer in a submitted form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormProblem {
    /// The name, refused by its check.
    Name(NameRejection),
    /// The email, refused by its check.
    Email(EmailRejection),
    /// No email, where the campaign needs one.
    EmailNeeded,
    /// Where they live.
    Where(LocationProblem),
    /// The consent box left unticked.
    ConsentNeeded,
    /// The consent ticked under wording that has since changed.
    ConsentChanged,
}

/// Why a form's "where you live" was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocationProblem {
    /// "Outside" typed where the country belongs.
    NamedOutside,
    /// The UK or one of its nations.
    InTheUk,
    /// Neither a postcode nor a country.
    Unrecognised,
    /// `BFPO` with no number after it.
    ForcesNumberMissing,
}

/// Why organisers' filters could not be read. Holds what they typed, which
/// is organisers' own words and never a supporter's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectionProblem {
    /// Nothing after the command.
    NoFilters,
    /// A word that is not `key=value`.
    NotAFilter(String),
    /// A district that is not one.
    NotADistrict(String),
    /// A platform that is not one.
    NotAPlatform(String),
    /// A hold reason that is not one.
    NotAReason(String),
    /// A date that is not one.
    NotADate(String),
    /// A key that names no filter.
    UnknownFilter(String),
}

/// Which breakdown a section of `stats` or `held` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heading {
    /// By platform.
    ByPlatform,
    /// By day, over this many days.
    LastDays(u64),
    /// By UK postcode district.
    ByDistrict,
    /// By country, outside the UK.
    ByCountry,
    /// Share codes that brought most signers.
    TopShareCodes,
    /// Held, by reason.
    ByReason,
    /// Held, by email domain, the ten largest.
    TopEmailDomains,
    /// Held, by postcode district, the ten largest.
    TopDistricts,
}
