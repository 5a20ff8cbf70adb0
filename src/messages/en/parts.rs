//! The English of the arguments messages carry: why an answer was refused,
//! what is wrong with a form or an organiser's filters, and how a
//! selection, a signing's answers, a signature, a place and a breakdown's
//! heading read.

use std::fmt::{self, Display, Formatter};

use super::IN_THE_UK;
use super::words::{Moment, platform_name, yes_no};
use crate::domain::{
    CountryRejection, Email, EmailRejection, Location, NameRejection, PostcodeRejection, Rejection, ShareCode,
    SignerName,
};
use crate::domain::{Selection, Signature, SignatureStatus};
use crate::messages::{Answers, FormProblem, Heading, LocationProblem, SelectionProblem};

pub(super) fn write_rejection(rejection: Rejection, f: &mut Formatter<'_>) -> fmt::Result {
    match rejection {
        Rejection::Name(rejection) => write_name_rejection(rejection, f),
        Rejection::Email(rejection) => write_email_rejection(rejection, f),
        Rejection::Postcode(PostcodeRejection::Malformed) => f.write_str(
            "That doesn't look like a UK postcode. Please type it like SW1A 1AA. If you live outside the UK, type \"outside\".",
        ),
        Rejection::Postcode(PostcodeRejection::ForcesNumberMissing) => {
            f.write_str("Please add your BFPO number, like BFPO 1234.")
        }
        Rejection::Country(rejection) => f.write_str(match rejection {
            // The engine steers to the postcode question with this rather
            // than re-asking; worded the same should anything else show it.
            CountryRejection::InTheUk => IN_THE_UK,
            CountryRejection::Missing => "Please type the name of the country you live in.",
            CountryRejection::TooLong => "That country name is too long. Please type just the country.",
            CountryRejection::NotLetters => {
                "A country name can only contain letters, spaces and hyphens. Please type just the country."
            }
            CountryRejection::FormulaStart => {
                "A country name cannot start with =, +, - or @. Please type just the country."
            }
            CountryRejection::Unrecognised => {
                "I don't recognise that country. Please type its name in English, such as France or United States."
            }
        }),
    }
}

fn write_name_rejection(rejection: NameRejection, f: &mut Formatter<'_>) -> fmt::Result {
    f.write_str(match rejection {
        NameRejection::Missing => "Please type the name you would like on the petition.",
        NameRejection::Blank => "That name would show up blank on the petition. Please type it using ordinary letters.",
        NameRejection::Hidden => {
            "That name contains hidden or control characters. Please type it again using ordinary letters."
        }
        NameRejection::StrayMark => {
            "That name has an accent or mark that isn't on a letter. Please type it as it is usually written."
        }
        NameRejection::StackedMarks => {
            "That name has too many accents or marks piled on one letter. Please type it as it is usually written."
        }
        NameRejection::TooShort => {
            return write!(
                f,
                "That name is too short. Please give at least {} characters.",
                SignerName::MIN_CHARS
            );
        }
        NameRejection::TooLong => {
            return write!(
                f,
                "That name is too long. Please keep it to {} characters or fewer.",
                SignerName::MAX_CHARS
            );
        }
        NameRejection::NoLetter => "A name needs at least one letter.",
        NameRejection::FormulaStart => "A name cannot start with =, +, - or @. Please type it starting with a letter.",
        NameRejection::Link => "A name cannot contain a link or web address. Please type just your name.",
    })
}

fn write_email_rejection(rejection: EmailRejection, f: &mut Formatter<'_>) -> fmt::Result {
    f.write_str(match rejection {
        EmailRejection::Missing => "Please type your email address, like name@example.com.",
        EmailRejection::TooLong => "That email address is too long.",
        EmailRejection::Malformed => "That doesn't look like an email address. Please type it like name@example.com.",
    })
}

pub(super) fn write_form_problem(problem: &FormProblem, f: &mut Formatter<'_>) -> fmt::Result {
    match *problem {
        FormProblem::Name(rejection) => {
            f.write_str("Name: ")?;
            write_name_rejection(rejection, f)
        }
        FormProblem::Email(rejection) => {
            f.write_str("Email: ")?;
            write_email_rejection(rejection, f)
        }
        FormProblem::EmailNeeded => {
            f.write_str("Email: an email address is needed to sign this petition; it is never published.")
        }
        FormProblem::Where(problem) => f.write_str(match problem {
            LocationProblem::NamedOutside => "Where you live: please type the name of the country you live in.",
            LocationProblem::InTheUk => "Where you live: that's in the UK, so please give your postcode, such as SW1A 1AA.",
            LocationProblem::Unrecognised => {
                "Where you live: that isn't a UK postcode or a country I recognise. Type a postcode such as SW1A 1AA, or the name of your country."
            }
            LocationProblem::ForcesNumberMissing => "Where you live: please add your BFPO number, like BFPO 1234.",
        }),
        FormProblem::ConsentNeeded => f.write_str(
            "Consent: please tick the box to give your consent. Without it we can't add your signature, and nothing is stored.",
        ),
        FormProblem::ConsentChanged => f.write_str(
            "Consent: the wording has just changed. Please read it again, and tick the box if you agree.",
        ),
    }
}

pub(super) fn write_selection_problem(problem: &SelectionProblem, f: &mut Formatter<'_>) -> fmt::Result {
    match problem {
        SelectionProblem::NoFilters => {
            f.write_str("Please say which signatures, for example: release reason=new_account")
        }
        SelectionProblem::NotAFilter(word) => {
            write!(f, "I don't understand \"{word}\": filters are written key=value.")
        }
        SelectionProblem::NotADistrict(value) => write!(f, "{value} is not a postcode district."),
        SelectionProblem::NotAPlatform(value) => {
            write!(f, "{value} is not a platform (telegram, discord or console).")
        }
        SelectionProblem::NotAReason(value) => write!(f, "{value} is not a hold reason."),
        SelectionProblem::NotADate(value) => {
            write!(f, "{value} is not a date such as 2026-11-01 or 2026-11-01T14:00 (UTC).")
        }
        SelectionProblem::UnknownFilter(key) => write!(f, "I don't know the filter \"{key}\"."),
    }
}

pub(super) fn write_selection(selection: &Selection, f: &mut Formatter<'_>) -> fmt::Result {
    let mut first = true;
    let mut part = |f: &mut Formatter<'_>, text: fmt::Arguments<'_>| {
        if !std::mem::take(&mut first) {
            f.write_str(", ")?;
        }
        f.write_fmt(text)
    };
    if let Some(reason) = selection.reason {
        part(f, format_args!("reason {}", reason.as_str()))?;
    }
    if let Some(domain) = &selection.email_domain {
        part(f, format_args!("email domain {domain}"))?;
    }
    if let Some(district) = &selection.postcode_district {
        part(f, format_args!("district {district}"))?;
    }
    if let Some(platform) = selection.platform {
        part(f, format_args!("platform {platform}"))?;
    }
    if let Some(since) = selection.since {
        part(f, format_args!("since {}", since.format("%Y-%m-%d %H:%M UTC")))?;
    }
    if let Some(until) = selection.until {
        part(f, format_args!("before {}", until.format("%Y-%m-%d %H:%M UTC")))?;
    }
    if first {
        f.write_str("all")?;
    }
    Ok(())
}

fn write_answers(answers: &Answers<'_>, f: &mut Formatter<'_>) -> fmt::Result {
    const NOT_YET: &str = "not yet given";
    f.write_str("Name: ")?;
    f.write_str(answers.name.map_or(NOT_YET, |name| name.as_str()))?;
    f.write_str("\nEmail: ")?;
    f.write_str(match answers.email {
        Some(Some(email)) => email.as_str(),
        Some(None) => "not given",
        None => NOT_YET,
    })?;
    f.write_str("\nWhere: ")?;
    match answers.location {
        Some(location) => write!(f, "{}", Described(location))?,
        None => f.write_str(NOT_YET)?,
    }
    f.write_str("\nConsent: ")?;
    match answers.consent {
        Some((at, version)) => write!(f, "given on {} (wording version {version})", Moment(at))?,
        None => f.write_str(NOT_YET)?,
    }
    write!(f, "\nUpdates: {}", answers.updates.map_or("not yet answered", yes_no))
}

pub(super) fn write_signature(signature: &Signature, f: &mut Formatter<'_>) -> fmt::Result {
    let platform = platform_name(signature.identity.platform);
    write!(
        f,
        "Your signature, added on {} on {platform} ({}):\nName: {}\nEmail: {}\nWhere: {}\n{}\nConsent: given on {} (wording version {})\nShare code you arrived with: {}\nYour share code: {}\nYour account: {} on {platform}",
        Moment(signature.created_at),
        match signature.status {
            SignatureStatus::Counted => "counted",
            SignatureStatus::Held(_) => "held for review, not yet counted",
            SignatureStatus::Invalidated => "not counted",
        },
        signature.name.as_str(),
        signature.email.as_ref().map_or("not given", Email::as_str),
        Described(&signature.location),
        crate::messages::Message::Update(crate::messages::UpdateMessage::Choice {
            opted_in: signature.updates_opt_in,
            platform: signature.identity.platform,
            wording: signature.updates_wording,
        })
        .in_language(crate::messages::Language::English),
        Moment(signature.consent_at),
        signature.consent_version,
        signature.referral_code.as_ref().map_or("none", ShareCode::as_str),
        signature.share_code.as_str(),
        signature.identity.user_id,
    )
}

/// Something with a description of its own in English.
pub(super) struct Described<T>(pub(super) T);

impl Display for Described<Answers<'_>> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_answers(&self.0, f)
    }
}

impl Display for Described<&Selection> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_selection(self.0, f)
    }
}

impl Display for Described<&Location> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.0 {
            Location::Uk(district) if district.is_forces_post_office() => {
                write!(f, "{} (British Forces Post Office)", district.as_str())
            }
            Location::Uk(district) => write!(f, "{} (UK postcode district)", district.as_str()),
            Location::Abroad(country) => f.write_str(country.as_str()),
        }
    }
}

impl Display for Described<Heading> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.0 {
            Heading::ByPlatform => f.write_str("By platform"),
            Heading::LastDays(days) => write!(f, "Last {days} days (UTC)"),
            Heading::ByDistrict => f.write_str("By UK postcode district"),
            Heading::ByCountry => f.write_str("Outside the UK, by country"),
            Heading::TopShareCodes => f.write_str("Top share codes"),
            Heading::ByReason => f.write_str("By reason"),
            Heading::TopEmailDomains => f.write_str("By email domain (top 10)"),
            Heading::TopDistricts => f.write_str("By postcode district (top 10)"),
        }
    }
}
