//! The catalogue in English. Every language is a folder like this one:
//! this file words every key (its `write`, the one match over
//! [`Message`]); beside it, `adapters.rs` words the buttons, menus and
//! descriptions the chat adapters show, `parts.rs` the arguments messages
//! carry (rejections, form and selection problems, selections, answers,
//! signatures), `words.rs` the small pieces the wording is built from
//! (numbers, plurals, dates, waits), and `tests.rs` checks how the English
//! reads.

mod adapters;
mod delivery;
mod lifecycle;
mod milestones;
mod parts;
mod stats;
#[cfg(test)]
mod tests;
mod updates;
mod web;
mod words;

use std::fmt::{self, Display, Formatter};

use self::adapters::{Label, command_description, discord_option, write_button};
use self::parts::{
    Described, write_form_problem, write_rejection, write_selection, write_selection_problem, write_signature,
};
use self::words::{Counted, Day, Moment, Progress, Targets, Thousands, Wait, dimension, platform_name, them};
use super::{Button, CommandList, FormLabel, Message};
use crate::domain::{COMMANDS, ReviewAction};

/// See [`super::SOMETHING_WENT_WRONG`].
pub const SOMETHING_WENT_WRONG: &str =
    "Sorry, something went wrong on our side and nothing was changed. Please try again in a moment.";

const PART_WAY: &str = "You were part-way through signing, and your answers so far are kept. Send sign to continue where you left off, or cancel to start again.";

/// The help: each command the table offers in it, by name.
fn write_help(f: &mut Formatter<'_>) -> fmt::Result {
    f.write_str("Here's what I understand:")?;
    for command in COMMANDS.iter().filter(|command| command.offered.help) {
        let described = command_description(command.word, CommandList::Help);
        write!(f, "\n{}: {described}", command.name)?;
    }
    Ok(())
}

const IN_THE_UK: &str = "That's in the UK, so please give your postcode instead, such as SW1A 1AA.";

const SELECTION_HELP: &str = "To act on held signatures, send release or invalidate followed by filters: domain=example.com, district=SW1A, platform=discord, reason=new_account (or surge, email_domain_velocity, postcode_district_velocity, platform_velocity, blocked_domain, blocked_identity), since=2026-11-01, until=2026-11-02 (whole UTC days, or 2026-11-01T14:00); or all. You will see how many match before anything changes.";

/// Writes `message` in English.
pub(super) fn write(message: &Message<'_>, f: &mut Formatter<'_>) -> fmt::Result {
    use Message as M;
    match *message {
        M::SomethingWentWrong => f.write_str(SOMETHING_WENT_WRONG),
        M::SlowDown { wait } => write!(
            f,
            "You're sending messages faster than I can answer them. Please wait {} and try again; until then I won't reply.",
            Wait(wait)
        ),
        M::ChoiceExpired => {
            f.write_str("That choice has expired. Please use the buttons on my latest message, or type your answer.")
        }
        M::UnknownCommand => f.write_str("I don't know that command."),
        M::NotUnderstood => {
            f.write_str("Sorry, I didn't understand that. Please pick one of the choices below, or send help.")
        }
        M::NothingToGoBackTo => f.write_str("There's nothing to go back to."),
        M::Commands => write_help(f),
        M::CommandsMidway => {
            write_help(f)?;
            f.write_str("\n\nWhere we were:")
        }
        M::Button(button) => write_button(button, f),
        M::Update(update) => updates::write_update(&update, f),
        M::Lifecycle(lifecycle) => lifecycle::write_lifecycle(&lifecycle, f),
        M::Delivery(delivery) => delivery::write_delivery(&delivery, f),
        M::Stats(stats) => stats::write_stats(&stats, f),
        M::Web(web) => web::write_web(&web, f),

        M::Welcome {
            title,
            targets,
            statement,
            summary,
            author,
            total,
            goal,
        } => write!(
            f,
            // The progress starts with a number, so it needs no capital.
            "{title}\n\nA petition to {}:\n\n\"{statement}\"\n\n{summary}\n\nStarted by {author}. {}.",
            Targets(targets),
            Progress(total, goal)
        ),
        M::YouSignedOn { on } => write!(f, "You signed this petition on {}. Thank you!", Day(on)),
        M::PartWay => f.write_str(PART_WAY),
        M::SignInOneMessage => f.write_str(
            "To sign, press Sign the petition, or send your name, email address and postcode in one message, each on its own line.",
        ),
        M::BusySigning { form: true } => f.write_str("Lots of people are signing right now: sign in one step here, with the form."),
        M::BusySigning { form: false } => f.write_str(
            "Lots of people are signing right now, so my replies may take a little while. Quickest: send your name, email address and postcode in one message.",
        ),
        M::WouldYouLikeToSign { title, part_way } => {
            write!(f, "Would you like to sign \"{title}\"?")?;
            if part_way {
                write!(f, " {PART_WAY}")?;
            }
            Ok(())
        }
        M::AlreadySigned { title, on, platform } => write!(
            f,
            "You have already signed \"{title}\", on {} on {}. Each person can sign once, so there is nothing more to do. Send mydata to see what we hold, or withdraw to remove your signature.",
            Day(on),
            platform_name(platform)
        ),

        M::AskName => f.write_str("What name should appear on the petition? Please type it as you'd like it shown."),
        M::AskEmail { optional } => {
            f.write_str("What is your email address? We use it only to make sure each person signs once. It is never published or shared.")?;
            if optional {
                f.write_str(" It's optional: send skip to leave it out.")?;
            }
            Ok(())
        }
        M::AskPostcode => f.write_str(
            "What is your UK postcode? We keep only the first part (such as SW1A), to show where support comes from. If you live outside the UK, send outside.",
        ),
        M::AskCountry => f.write_str("Which country do you live in?"),
        M::AskConsent { wording } => write!(f, "{wording}\n\nDo you give this consent? (yes or no)"),
        M::AskToConfirm { answers } => write!(
            f,
            "Please check your signature before it is added:\n\n{}\n\nSend confirm to add your signature, change to correct something, or cancel.",
            Described(answers)
        ),
        M::AskToConfirmInAForm { answers } => write!(
            f,
            "Please check your signature before it is added:\n\n{}\n\nIf it is right, add your signature. To correct something, go back to the form.",
            Described(answers)
        ),
        M::AskWhatToChange { updates } => f.write_str(if updates {
            "What would you like to change? Send name, email, postcode or updates."
        } else {
            "What would you like to change? Send name, email or postcode."
        }),
        M::AskToGoAhead => f.write_str("Shall I go ahead with that change? (yes or no)"),
        M::AskToWithdraw { title } => write!(
            f,
            "Withdrawing deletes your signature on \"{title}\" and everything we hold about you for it: your name, email, area and consent record. This can't be undone. Do you want to withdraw? (yes or no)"
        ),

        M::Rejection(rejection) => write_rejection(rejection, f),
        M::EmailNeeded => f.write_str(
            "An email address is needed to sign this petition: it's how we make sure each person is counted once. It is never published.",
        ),
        M::WhereNeeded => f.write_str(
            "We need to know roughly where signers live: a UK postcode, or your country if you live elsewhere.",
        ),
        M::ConsentDeclined => f.write_str(
            "That's fine, but without your consent we can't add your signature, and nothing has been stored. If you change your mind, answer yes; otherwise send cancel.",
        ),
        M::InTheUk => f.write_str(IN_THE_UK),
        M::FormProblem(problem) => write_form_problem(&problem, f),
        M::FormProblems { problems } => {
            f.write_str("Some answers need another look:")?;
            for problem in problems {
                f.write_str("\n")?;
                write_form_problem(problem, f)?;
            }
            Ok(())
        }
        M::AlreadySigning => f.write_str("You're already signing; let's carry on."),

        M::Thanks {
            name,
            title,
            total,
            goal,
            code,
        } => write!(
            f,
            "Thank you, {}! Your signature has been added to \"{title}\".\n\nThe petition now has {}.\n\nYour share code is {code}. Anyone who starts with your link is counted as someone you brought in, so please pass it on.",
            name.as_str(),
            Progress(total, goal)
        ),
        M::SignedBefore { on, platform } => write!(
            f,
            "You have already signed this petition, on {} on {}. Each person can sign once, so nothing new was stored and what you typed has been discarded.",
            Day(on),
            platform_name(platform)
        ),
        M::EmailUsed => f.write_str(
            "That email address has already been used to sign this petition. Each person can sign once, so nothing new was stored and what you typed has been discarded.",
        ),
        M::TooManyAttempts { wait } => write!(
            f,
            "You have tried to sign several times today, so I can't take another attempt yet. Please try again in {}.",
            Wait(wait)
        ),
        M::AccountTooYoung { days, from } => write!(
            f,
            "Sorry, Discord accounts must be at least {days} days old to sign this petition, to keep the count honest. You can sign from {}.",
            Day(from)
        ),

        M::Article { title, author, article } => write!(f, "{title}\n\nBy {author}\n\n{article}"),
        M::Total { title, total, goal } => write!(f, "\"{title}\": {}.", Progress(total, goal)),
        M::Cancelled { had_answers } => f.write_str(if had_answers {
            "Cancelled. Nothing you typed has been kept. Send sign whenever you'd like to start again."
        } else {
            "Cancelled. Send sign whenever you'd like to sign."
        }),
        M::NothingToCancel => {
            f.write_str("There's nothing to cancel. Send sign to sign the petition, or help to see what I can do.")
        }
        M::YouSigned { title, on, platform } => write!(
            f,
            "You signed \"{title}\" on {} on {}. Thank you! Send mydata to see what we hold about you, or withdraw to remove your signature.",
            Day(on),
            platform_name(platform)
        ),
        M::PartWayThrough { title } => write!(f, "You haven't signed \"{title}\" yet: you're part-way through."),
        M::NotSignedYet { title } => write!(f, "You haven't signed \"{title}\" yet."),
        M::NothingToWithdraw { title, had_answers } => {
            write!(f, "You haven't signed \"{title}\", so there is nothing to withdraw.")?;
            if had_answers {
                f.write_str(" To throw away what you've typed so far, send cancel.")?;
            }
            Ok(())
        }
        M::Withdrawn { title, total, goal } => write!(
            f,
            "Done. Your signature and everything we held about you for \"{title}\" have been deleted. The petition now has {}.",
            Progress(total, goal)
        ),
        M::NoSignatureToWithdraw => f.write_str("There was no signature to withdraw, so nothing has changed."),
        M::SignatureStays => f.write_str("Your signature stays. Thank you for your support!"),
        M::EverythingWeHold { title } => write!(f, "This is everything we hold about you for \"{title}\"."),
        M::YourSignature { signature } => write_signature(signature, f),
        M::AnswersInProgress { hours, answers } => write!(
            f,
            "Answers you are still typing (not a signature yet; deleted if you cancel, or after {hours} hours without a message):\n{}",
            Described(answers)
        ),
        M::ArrivedWith { code } => write!(f, "The share code you arrived with: {code}"),
        M::SigningAttempts { times } => {
            f.write_str("When you confirmed a signature in the last day: ")?;
            for (i, at) in times.iter().enumerate() {
                if i > 0 {
                    f.write_str("; ")?;
                }
                write!(f, "{}", Moment(*at))?;
            }
            f.write_str(". We keep these times for a day, with nothing you typed, so that nobody can try to sign endlessly; they are deleted after a day, or with your signature.")
        }
        M::HowToDelete => f.write_str("Send withdraw to delete your signature and all of this."),
        M::NothingHeldAboutYou { title } => write!(f, "We hold nothing about you for \"{title}\"."),

        M::GroupWelcome {
            title,
            targets,
            total,
            goal,
        } => write!(
            f,
            "{title}\n\nA petition to {}. {}.\n\nSign it in a private chat with me: your details are never shown here.",
            Targets(targets),
            Progress(total, goal)
        ),
        M::Targets { targets } => Targets(targets).fmt(f),
        M::OrganiserCommandsInPrivate => {
            f.write_str("Organiser commands only work in a private chat with me, so nothing is shown here.")
        }
        M::OnlyInPrivate => f.write_str("To keep your details private, I only do that in a private chat with me."),

        M::OrganisersOnly { command } => write!(
            f,
            "Sorry, only the campaign's organisers can use {command}. Anyone can ask for the total."
        ),
        M::ReviewOrganisersOnly { action } => {
            write!(f, "Sorry, only the campaign's organisers can use {}.", action.as_str())
        }
        M::Export { count, title } => write!(
            f,
            "Export of {} for \"{title}\". It contains names and areas: keep it safe and delete it once delivered.",
            Counted(count, "signature")
        ),
        M::BadSelection { problem } => {
            write_selection_problem(problem, f)?;
            write!(f, "\n\n{SELECTION_HELP}")
        }
        M::SelectionHelp => f.write_str(SELECTION_HELP),
        M::Selection { selection } => write_selection(selection, f),
        M::NothingMatches { action, selection } => write!(
            f,
            "No {} match ({}), so nothing would change.",
            match action {
                ReviewAction::Release => "held signatures",
                ReviewAction::Invalidate => "signatures",
            },
            Described(selection)
        ),
        M::ReleaseQuestion { count, selection } => write!(
            f,
            "{} match ({}). Release {} into the count? (yes or no)",
            Counted(count, "held signature"),
            Described(selection),
            them(count)
        ),
        M::InvalidateQuestion {
            held,
            counted,
            selection,
        } => write!(
            f,
            "{} match ({}): {} held and {} counted. Invalidate {}? Invalidated signatures never count and cannot be released. (yes or no)",
            Counted(held + counted, "signature"),
            Described(selection),
            Thousands(held),
            Thousands(counted),
            them(held + counted)
        ),
        M::ReviewApplied {
            action,
            affected,
            total,
            goal,
            held,
        } => write!(
            f,
            "{} {}. The petition now has {}, with {} held for review.",
            match action {
                ReviewAction::Release => "Released",
                ReviewAction::Invalidate => "Invalidated",
            },
            Counted(affected, "signature"),
            Progress(total, goal),
            Thousands(held)
        ),
        M::NothingChanged => f.write_str("Nothing was changed."),
        M::VelocityAlert { title, anomaly } => write!(
            f,
            "Velocity alert on \"{title}\": {} signatures in the last hour from {} {} (threshold {}), noticed {}. New signatures from it are held for review for an hour; see held.",
            Thousands(anomaly.count),
            dimension(anomaly.dimension),
            anomaly.value,
            Thousands(anomaly.threshold),
            Moment(anomaly.detected_at)
        ),
        M::VelocityAlerts { title, anomalies } => {
            if anomalies.is_empty() {
                return write!(f, "No velocity alerts on \"{title}\" in the last 7 days.");
            }
            write!(f, "Velocity alerts on \"{title}\" in the last 7 days:")?;
            for anomaly in anomalies {
                write!(
                    f,
                    "\n{}: {} from {} {} (threshold {})",
                    anomaly.detected_at.format("%Y-%m-%d %H:%M UTC"),
                    Thousands(anomaly.count),
                    dimension(anomaly.dimension),
                    anomaly.value,
                    Thousands(anomaly.threshold)
                )?;
            }
            Ok(())
        }
        M::Surge { title, per_second } => write!(
            f,
            "Surge on \"{title}\": more than {per_second} signatures a second. New signatures are being held for review until it passes; see held."
        ),

        M::ConsoleIntro => {
            f.write_str("Type your answers, or the number of a choice. Type quit or press Ctrl-D to leave.")
        }
        M::ConsoleUnreadable => {
            f.write_str("Sorry, I couldn't read that: some of it wasn't ordinary text. Please type that again.")
        }
        M::ConsoleShare { payload } => write!(
            f,
            "At the console, a friend can use it with: petition console --campaign {payload}"
        ),
        M::ConsoleSaved { path } => write!(f, "Saved as {}", path.display()),

        M::YourLink { link } => write!(f, "Your link: {link}"),
        M::ShareInvitation => f.write_str("Please sign this petition too"),
        M::DiscordShare { code } => write!(f, "On Discord, friends can use `/sign code:{code}`."),
        M::CommandDescription { command, list } => f.write_str(command_description(command, list)),
        M::DiscordOption(option) => f.write_str(discord_option(option)),
        M::SummaryAddressedTo { addressed_to } => write!(f, "A petition to {addressed_to}:"),
        M::SummarySignatures => f.write_str("Signatures"),
        M::SummaryFooter { author, goal } => write!(
            f,
            "Started by {author}. Your details are never shown here. Goal: {}",
            Thousands(goal)
        ),
        M::FormTitle { title } => write!(f, "Sign: {title}"),
        M::FormLabel(label) => f.write_str(match label {
            FormLabel::Name => "Your name, as it will appear",
            FormLabel::Email { optional: true } => "Email (optional, never published)",
            FormLabel::Email { optional: false } => "Email (never published)",
            FormLabel::Where => "UK postcode, or your country if abroad",
            FormLabel::Update => "The update, as signers will read it",
        }),
        M::WhereExample => f.write_str("SW1A 1AA, or France"),
        M::DirectMessageSent => f.write_str("I've sent you a direct message: we can carry on there."),
        M::DirectMessagesRefused => write!(
            f,
            "I can't send you direct messages (check your privacy settings for this server), so please press {} to use the form here instead.",
            Label(Button::SignHere)
        ),
        M::DirectMessageUnavailable => write!(
            f,
            "I can't open a direct message with you right now, so please press {} to use the form here instead.",
            Label(Button::SignHere)
        ),

        M::Progress { total, goal } => Progress(total, goal).fmt(f),
        M::Number(n) => Thousands(n).fmt(f),
        M::Wait(wait) => Wait(wait).fmt(f),
        M::Milestones(message) => milestones::write(&message, f),
    }
}
