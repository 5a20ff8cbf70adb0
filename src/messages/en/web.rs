//! The English of the web pages (see [`crate::messages::WebMessage`]).

use std::fmt::{self, Formatter};

use super::words::{Day, Targets, Thousands};
use crate::messages::WebMessage;

pub(super) fn write_web(message: &WebMessage<'_>, f: &mut Formatter<'_>) -> fmt::Result {
    use WebMessage as W;
    match *message {
        W::OpenCampaigns => f.write_str("Petitions open for signatures"),
        W::NoneOpen => f.write_str("No petition is open for signatures just now."),
        W::AddressedTo { targets } => write!(f, "To {}", Targets(targets)),
        W::StartedBy { author } => write!(f, "Started by {author}"),
        W::Signed => f.write_str("signed"),
        W::Goal { goal } => write!(f, "of a goal of {}", Thousands(goal)),
        W::ProgressLabel => f.write_str("Signatures against the goal"),
        W::TheStatement => f.write_str("The petition"),
        W::TheArticle => f.write_str("Why it matters"),
        W::PerDay => f.write_str("Signatures per day"),
        W::PerDayDescription { days, total, busiest } => {
            write!(f, "{} signatures in the last {days} days", Thousands(total))?;
            match busiest {
                Some((on, count)) => write!(f, "; the most, {}, on {}.", Thousands(count), Day(on)),
                None => f.write_str("."),
            }
        }
        W::HowToSign => f.write_str("How to sign"),
        W::SignOnTelegram => f.write_str("Sign on Telegram"),
        W::SignOnDiscord => f.write_str("Sign on our Discord server"),
        W::NoWayToSignHere => f.write_str("Ask the campaign how to sign."),
        W::ClosedOn { on } => write!(f, "This petition closed on {} and takes no more signatures.", Day(on)),
        W::OpensOn { on } => write!(f, "This petition opens for signatures on {}.", Day(on)),
        W::OpenData => f.write_str("The count as data (JSON)"),
        W::Preview { statement, total } => write!(f, "{statement} {} signed so far.", Thousands(total)),
        W::FormIntro => f.write_str("Sign in one go: fill in the form, check your answers, then confirm."),
        W::NameLabel => f.write_str("Your name, as it will appear on the petition"),
        W::EmailLabel { optional: false } => f.write_str("Your email (never published)"),
        W::EmailLabel { optional: true } => f.write_str("Your email (optional, never published)"),
        W::LocationLabel => f.write_str("Your postcode, or your country if outside the UK"),
        W::LocationHint => f.write_str("Only the first part of a postcode (such as SW1A) is kept."),
        W::ConsentHeading { version } => write!(f, "Your consent (wording version {version})"),
        W::ConsentBox => f.write_str("I give my explicit consent, as described above"),
        W::UpdatesBox => f.write_str(
            "Send me updates about this campaign in this Telegram chat (optional; stop them at any time with stop)",
        ),
        W::Review => f.write_str("Check my answers"),
        W::ChangeAnswers => f.write_str("Change my answers"),
        W::OpenFromTheBot => f.write_str(
            "This form signs you in through Telegram. Please open it from the bot's \"Sign with the form\" button in Telegram; nothing has been stored.",
        ),
        W::NeedsScript => f.write_str(
            "This form needs JavaScript. You can also sign in the chat with the bot: send it /sign.",
        ),
        W::ShareHeading => f.write_str("Pass it on"),
        W::Privacy => f.write_str("Privacy"),
        W::NotFound => f.write_str("There is no such page."),
        W::TooManyRequests => f.write_str("Too many requests from your address; please wait a moment and try again."),
        W::TooLarge => f.write_str("That request is too large."),
        W::TooSlow => f.write_str("That request took too long to arrive. Please try again."),
        W::BadRequest => f.write_str("That request could not be read."),
    }
}
