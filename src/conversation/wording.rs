//! How things read: the sentences and descriptions the engine shows.

use chrono::{DateTime, Utc};

use super::{Draft, EmailAnswer, Reply};
use crate::campaign::Campaign;
use crate::domain::{Email, ShareCode};
use crate::limits::describe_wait;
use crate::organiser::progress;
use crate::storage::{Signature, SignatureStatus};

/// Said at the welcome to someone with answers kept from before.
pub(super) const PART_WAY: &str = "You were part-way through signing, and your answers so far are kept. Send sign to continue where you left off, or cancel to start again.";

pub(super) const IN_THE_UK: &str = "That's in the UK, so please give your postcode instead, such as SW1A 1AA.";

pub(super) const EXPIRED: &str =
    "That choice has expired. Please use the buttons on my latest message, or type your answer.";

pub(super) fn slow_down(wait: std::time::Duration) -> Reply {
    Reply::private(format!(
        "You're sending messages faster than I can answer them. Please wait {} and try again; until then I won't reply.",
        describe_wait(wait)
    ))
}

pub(super) fn already_signed(campaign: &Campaign, signature: &Signature) -> Reply {
    Reply::private(format!(
        "You have already signed \"{}\", on {} on {}. Each person can sign once, so there is nothing more to do. Send mydata to see what we hold, or withdraw to remove your signature.",
        campaign.title,
        day(signature.created_at),
        signature.identity.platform.display_name()
    ))
}

pub(super) fn welcome_text(campaign: &Campaign, total: u64) -> String {
    format!(
        "{}\n\nA petition to {}:\n\n\"{}\"\n\n{}\n\nStarted by {}. {}.",
        campaign.title,
        campaign.addressed_to(),
        campaign.statement,
        campaign.summary,
        campaign.author,
        capitalise(&progress(total, campaign.goal))
    )
}

pub(super) fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub(super) fn day(at: DateTime<Utc>) -> String {
    at.format("%-d %B %Y").to_string()
}

pub(super) fn moment(at: DateTime<Utc>) -> String {
    at.format("%-d %B %Y at %H:%M UTC").to_string()
}

pub(super) fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

pub(super) fn describe_draft(draft: &Draft) -> String {
    let email = match &draft.email {
        Some(EmailAnswer::Given(email)) => email.as_str().to_owned(),
        Some(EmailAnswer::Skipped) => "not given".to_owned(),
        None => "not yet given".to_owned(),
    };
    let location = match &draft.location {
        Some(location) => location.describe(),
        None => "not yet given".to_owned(),
    };
    let consent = match &draft.consent {
        Some(consent) => format!("given on {} (wording version {})", moment(consent.at), consent.version),
        None => "not yet given".to_owned(),
    };
    let updates = draft.updates.map_or("not yet answered", yes_no);
    format!(
        "Name: {}\nEmail: {email}\nWhere: {location}\nConsent: {consent}\nUpdates by email: {updates}",
        draft.name.as_deref().unwrap_or("not yet given")
    )
}

pub(super) fn describe_signature(signature: &Signature) -> String {
    format!(
        "Your signature, added on {} on {} ({}):\nName: {}\nEmail: {}\nWhere: {}\nUpdates by email: {}\nConsent: given on {} (wording version {})\nShare code you arrived with: {}\nYour share code: {}\nYour account: {} on {}",
        moment(signature.created_at),
        signature.identity.platform.display_name(),
        match signature.status {
            SignatureStatus::Counted => "counted",
            SignatureStatus::Held(_) => "held for review, not yet counted",
            SignatureStatus::Invalidated => "not counted",
        },
        signature.name.as_str(),
        signature.email.as_ref().map_or("not given", Email::as_str),
        signature.location.describe(),
        yes_no(signature.updates_opt_in),
        moment(signature.consent_at),
        signature.consent_version,
        signature.referral_code.as_ref().map_or("none", ShareCode::as_str),
        signature.share_code.as_str(),
        signature.identity.user_id,
        signature.identity.platform.display_name()
    )
}
