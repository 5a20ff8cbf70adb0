//! The catalogue in English.

use std::fmt::{self, Display, Formatter};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{
    Answers, Button, DiscordCommand, DiscordOption, FormLabel, FormProblem, Heading, LocationProblem, Message,
    SelectionProblem, TelegramCommand,
};
use crate::domain::{
    CountryRejection, Dimension, Email, EmailRejection, Location, NameRejection, Platform, PostcodeRejection,
    Rejection, ShareCode, SignerName,
};
use crate::storage::{ReviewAction, Selection, Signature, SignatureStatus};

/// See [`super::SOMETHING_WENT_WRONG`].
pub const SOMETHING_WENT_WRONG: &str =
    "Sorry, something went wrong on our side and nothing was changed. Please try again in a moment.";

const PART_WAY: &str = "You were part-way through signing, and your answers so far are kept. Send sign to continue where you left off, or cancel to start again.";

const COMMANDS: &str = "Here's what I understand:\n\
    sign: sign the petition\n\
    article: read the full article\n\
    privacy: what we keep about you and why\n\
    status: whether you've signed\n\
    mydata: everything we hold about you\n\
    withdraw: remove your signature and your data\n\
    total: how many have signed\n\
    back: go back a step\n\
    cancel: stop, keeping nothing you've typed";

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
        M::Commands => f.write_str(COMMANDS),
        M::CommandsMidway => write!(f, "{COMMANDS}\n\nWhere we were:"),
        M::Button(button) => write_button(button, f),

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
            f.write_str("What is your email address? We use it only to make sure each person signs once, and to send you updates if you ask for them. It is never published or shared.")?;
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
        M::AskUpdates => f.write_str(
            "Would you like occasional email updates about this campaign's progress? This is optional and separate from your signature. (yes or no)",
        ),
        M::AskToConfirm { answers } => write!(
            f,
            "Please check your signature before it is added:\n\n{}\n\nSend confirm to add your signature, change to correct something, or cancel.",
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
        M::StatsTitle { title } => write!(f, "Stats for \"{title}\""),
        M::StatsTotal { total, goal, held } => {
            write!(f, "Total: {}", Progress(total, goal))?;
            if held > 0 {
                write!(f, "\nHeld for review (not counted): {}", Thousands(held))?;
            }
            Ok(())
        }
        M::Section { heading } => write!(f, "{}:", Described(heading)),
        M::EmptySection { heading } => write!(f, "{}: none yet", Described(heading)),
        M::TallyLine { label, count } => write!(f, "  {label}: {}", Thousands(count)),
        M::AndMore { lines, count } => write!(f, "  and {lines} more: {}", Thousands(count)),
        M::PlatformName { platform } => f.write_str(platform_name(platform)),
        M::NoneHeld { title } => write!(f, "No signatures of \"{title}\" are held for review."),
        M::HeldTitle { title, held } => write!(
            f,
            "Held for review on \"{title}\": {} (not in the total)",
            Thousands(held)
        ),
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
        M::TelegramCommand(command) => f.write_str(telegram_command(command)),
        M::DiscordCommand(command) => f.write_str(discord_command(command)),
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
    }
}

fn write_button(button: Button, f: &mut Formatter<'_>) -> fmt::Result {
    let label = match button {
        Button::Sign => "Sign the petition",
        Button::Continue => "Continue where you left off",
        Button::Article => "Read the article",
        Button::Privacy => "Privacy",
        Button::Back => "Back",
        Button::Cancel => "Cancel",
        Button::Skip => "Skip",
        Button::Outside => "I live outside the UK",
        Button::Consent => "Yes, I consent",
        Button::Yes => "Yes",
        Button::No => "No",
        Button::YesPlease => "Yes please",
        Button::NoThanks => "No thanks",
        Button::Confirm => "Confirm and sign",
        Button::Change => "Change something",
        Button::Name => "Name",
        Button::Email => "Email",
        Button::Where => "Where you live",
        Button::Updates => "Updates",
        Button::Withdraw => "Yes, withdraw",
        Button::KeepSignature => "No, keep my signature",
        Button::Review { action, count } => return write!(f, "Yes, {} {}", action.as_str(), Thousands(count)),
        Button::Share => "Share the petition",
        Button::SignInPrivate => "Sign in a private chat",
        Button::OpenForm => "Open the form",
        Button::SignHere => "Sign",
        Button::SignByDirectMessage => "Sign by direct message",
    };
    f.write_str(label)
}

/// A button's label, inside other wording that tells people to press it.
struct Label(Button);

impl Display for Label {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_button(self.0, f)
    }
}

fn telegram_command(command: TelegramCommand) -> &'static str {
    use TelegramCommand as C;
    match command {
        C::Start => "Show the petition and what you can do",
        C::Sign => "Sign the petition",
        C::Article => "Read the full article",
        C::Status => "Have I signed, and when?",
        C::Withdraw => "Remove my signature and my data",
        C::MyData => "Everything held about me",
        C::Privacy => "What is kept about you, and why",
        C::Total => "How many have signed",
        C::Help => "What I can do",
        C::Cancel => "Stop signing, keeping nothing typed",
        C::Petition => "In groups: show the petition",
        C::Stats => "Organisers: breakdowns of the signatures",
        C::Export => "Organisers: the signatures as a CSV file",
        C::Held => "Organisers: signatures held for review",
        C::Anomalies => "Organisers: velocity alerts of the last week",
        C::Release => "Organisers: count held signatures in, e.g. /release reason=new_account",
        C::Invalidate => "Organisers: stop signatures counting, e.g. /invalidate domain=spam.example",
    }
}

fn discord_command(command: DiscordCommand) -> &'static str {
    use DiscordCommand as C;
    match command {
        C::Petition => "Show the petition to everyone here, with its total",
        C::Sign => "Sign the petition (opens a private form)",
        C::Article => "Read the full article (only you see it)",
        C::Status => "Have I signed, and when? (only you see it)",
        C::Withdraw => "Remove my signature and my data",
        C::MyData => "Everything held about me (only you see it)",
        C::Privacy => "What is kept about you, and why",
        C::Total => "How many have signed",
        C::Help => "What the bot can do",
        C::Stats => "Organisers: breakdowns of the signatures",
        C::Export => "Organisers: the signatures as a CSV file",
        C::Held => "Organisers: signatures held for review",
        C::Anomalies => "Organisers: velocity alerts of the last week",
        C::Release => "Organisers: count held signatures in (shows how many first)",
        C::Invalidate => "Organisers: stop signatures counting (shows how many first)",
    }
}

fn discord_option(option: DiscordOption) -> &'static str {
    use DiscordOption as O;
    match option {
        O::Code => "A friend's share code, if you have one",
        O::Reason => "Held for this reason, e.g. new_account, surge, blocked_domain",
        O::Domain => "Email domain, e.g. example.com",
        O::District => "Postcode district, e.g. SW1A",
        O::Platform => "telegram, discord or console",
        O::Since => "Signed on or after, e.g. 2026-11-01",
        O::Until => "Signed on or before, e.g. 2026-11-02",
        O::All => "Every held (or every) signature",
    }
}

fn write_rejection(rejection: Rejection, f: &mut Formatter<'_>) -> fmt::Result {
    match rejection {
        Rejection::Name(rejection) => write_name_rejection(rejection, f),
        Rejection::Email(rejection) => write_email_rejection(rejection, f),
        Rejection::Postcode(PostcodeRejection::Malformed) => f.write_str(
            "That doesn't look like a UK postcode. Please type it like SW1A 1AA. If you live outside the UK, type \"outside\".",
        ),
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

fn write_form_problem(problem: &FormProblem, f: &mut Formatter<'_>) -> fmt::Result {
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
        }),
    }
}

fn write_selection_problem(problem: &SelectionProblem, f: &mut Formatter<'_>) -> fmt::Result {
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

fn write_selection(selection: &Selection, f: &mut Formatter<'_>) -> fmt::Result {
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
    write!(
        f,
        "\nUpdates by email: {}",
        answers.updates.map_or("not yet answered", yes_no)
    )
}

fn write_signature(signature: &Signature, f: &mut Formatter<'_>) -> fmt::Result {
    let platform = platform_name(signature.identity.platform);
    write!(
        f,
        "Your signature, added on {} on {platform} ({}):\nName: {}\nEmail: {}\nWhere: {}\nUpdates by email: {}\nConsent: given on {} (wording version {})\nShare code you arrived with: {}\nYour share code: {}\nYour account: {} on {platform}",
        Moment(signature.created_at),
        match signature.status {
            SignatureStatus::Counted => "counted",
            SignatureStatus::Held(_) => "held for review, not yet counted",
            SignatureStatus::Invalidated => "not counted",
        },
        signature.name.as_str(),
        signature.email.as_ref().map_or("not given", Email::as_str),
        Described(&signature.location),
        yes_no(signature.updates_opt_in),
        Moment(signature.consent_at),
        signature.consent_version,
        signature.referral_code.as_ref().map_or("none", ShareCode::as_str),
        signature.share_code.as_str(),
        signature.identity.user_id,
    )
}

/// The name people know a platform by.
fn platform_name(platform: Platform) -> &'static str {
    match platform {
        Platform::Telegram => "Telegram",
        Platform::Discord => "Discord",
        Platform::Console => "the console",
    }
}

/// What velocity is counted by, as an alert names it.
fn dimension(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::EmailDomain => "email domain",
        Dimension::PostcodeDistrict => "postcode district",
        Dimension::Platform => "platform",
    }
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

/// "it" or "them".
fn them(count: u64) -> &'static str {
    if count == 1 { "it" } else { "them" }
}

/// "1 signature", "2,000 signatures".
struct Counted(u64, &'static str);

impl Display for Counted {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let Counted(count, noun) = *self;
        write!(f, "{} {noun}{}", Thousands(count), if count == 1 { "" } else { "s" })
    }
}

/// "1,234 of 10,000 signatures (12% of the goal)".
struct Progress(u64, u64);

impl Display for Progress {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let Progress(total, goal) = *self;
        let percent = total.saturating_mul(100).checked_div(goal).unwrap_or(0);
        write!(
            f,
            "{} of {} signatures ({percent}% of the goal)",
            Thousands(total),
            Thousands(goal)
        )
    }
}

/// 12345 as "12,345".
struct Thousands(u64);

impl Display for Thousands {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        // Written from the last digit back: u64::MAX has 20 digits, 6 commas.
        let mut text = [0u8; 26];
        let mut start = text.len();
        let mut n = self.0;
        for written in 0.. {
            if written > 0 && written % 3 == 0 {
                start -= 1;
                text[start] = b',';
            }
            start -= 1;
            text[start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        f.write_str(std::str::from_utf8(&text[start..]).expect("digits and commas are ASCII"))
    }
}

/// "3 November 2026".
struct Day(DateTime<Utc>);

impl Display for Day {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%-d %B %Y"))
    }
}

/// "3 November 2026 at 14:00 UTC".
struct Moment(DateTime<Utc>);

impl Display for Moment {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%-d %B %Y at %H:%M UTC"))
    }
}

/// How long a wait reads: "2 minutes", "3 hours".
struct Wait(Duration);

impl Display for Wait {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let seconds = self.0.as_secs().max(1);
        let (n, unit) = if seconds < 90 {
            (seconds, "second")
        } else if seconds < 90 * 60 {
            (seconds.div_ceil(60), "minute")
        } else {
            (seconds.div_ceil(3600), "hour")
        };
        write!(f, "{n} {unit}{}", if n == 1 { "" } else { "s" })
    }
}

/// The targets as a phrase: "A", "A and B", "A, B and C".
struct Targets<'a>(&'a [String]);

impl Display for Targets<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.0 {
            [] => Ok(()),
            [only] => f.write_str(only),
            [init @ .., last] => {
                for (i, target) in init.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(target)?;
                }
                write!(f, " and {last}")
            }
        }
    }
}

/// Something with a description of its own in English.
struct Described<T>(T);

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::Language;

    fn english(message: Message<'_>) -> String {
        message.text(Language::English)
    }

    #[test]
    fn numbers_are_grouped_in_thousands() {
        for (n, grouped) in [
            (0, "0"),
            (7, "7"),
            (999, "999"),
            (1000, "1,000"),
            (12_345, "12,345"),
            (1_234_567, "1,234,567"),
            (u64::MAX, "18,446,744,073,709,551,615"),
        ] {
            assert_eq!(english(Message::Number(n)), grouped);
        }
    }

    #[test]
    fn counts_are_singular_only_for_one() {
        assert_eq!(Counted(1, "signature").to_string(), "1 signature");
        assert_eq!(Counted(0, "signature").to_string(), "0 signatures");
        assert_eq!(Counted(2000, "held signature").to_string(), "2,000 held signatures");
    }

    #[test]
    fn targets_read_as_a_phrase() {
        let targets = |names: &[&str]| Targets(&names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).to_string();
        assert_eq!(targets(&[]), "");
        assert_eq!(targets(&["A"]), "A");
        assert_eq!(targets(&["A", "B"]), "A and B");
        assert_eq!(targets(&["A", "B", "C"]), "A, B and C");
    }

    #[test]
    fn a_selection_lists_its_filters_or_says_all() {
        assert_eq!(
            english(Message::Selection {
                selection: &Selection::default()
            }),
            "all"
        );
        let selection = Selection {
            email_domain: Some("spam.example".into()),
            platform: Some(Platform::Discord),
            ..Selection::default()
        };
        assert_eq!(
            english(Message::Selection { selection: &selection }),
            "email domain spam.example, platform discord"
        );
    }

    #[test]
    fn a_forces_district_reads_as_the_forces_post_office() {
        let forces = Location::Uk(crate::domain::PostcodeDistrict::parse("BFPO 57").unwrap());
        let london = Location::Uk(crate::domain::PostcodeDistrict::parse("SW1A 1AA").unwrap());
        let abroad = Location::Abroad(crate::domain::Country::parse("france").unwrap());
        assert_eq!(Described(&forces).to_string(), "BFPO (British Forces Post Office)");
        assert_eq!(Described(&london).to_string(), "SW1A (UK postcode district)");
        assert_eq!(Described(&abroad).to_string(), "France");
    }

    #[test]
    fn progress_reads_against_the_goal() {
        assert_eq!(
            english(Message::Progress { total: 1, goal: 10_000 }),
            "1 of 10,000 signatures (0% of the goal)"
        );
        assert_eq!(
            english(Message::Progress {
                total: 2500,
                goal: 10_000
            }),
            "2,500 of 10,000 signatures (25% of the goal)"
        );
    }

    /// Each rejection's number, in a match without a catch-all: a new kind
    /// does not build until it is numbered, and the test below fails until
    /// it is worded there.
    fn rejection_number(rejection: Rejection) -> usize {
        use {CountryRejection as C, EmailRejection as E, NameRejection as N};
        match rejection {
            Rejection::Name(N::Missing) => 0,
            Rejection::Name(N::Blank) => 1,
            Rejection::Name(N::Hidden) => 2,
            Rejection::Name(N::StrayMark) => 3,
            Rejection::Name(N::StackedMarks) => 4,
            Rejection::Name(N::TooShort) => 5,
            Rejection::Name(N::TooLong) => 6,
            Rejection::Name(N::NoLetter) => 7,
            Rejection::Name(N::FormulaStart) => 8,
            Rejection::Name(N::Link) => 9,
            Rejection::Email(E::Missing) => 10,
            Rejection::Email(E::TooLong) => 11,
            Rejection::Email(E::Malformed) => 12,
            Rejection::Postcode(PostcodeRejection::Malformed) => 13,
            Rejection::Country(C::InTheUk) => 14,
            Rejection::Country(C::Missing) => 15,
            Rejection::Country(C::TooLong) => 16,
            Rejection::Country(C::NotLetters) => 17,
            Rejection::Country(C::FormulaStart) => 18,
            Rejection::Country(C::Unrecognised) => 19,
        }
    }
    const REJECTIONS: usize = 20;

    #[test]
    fn every_rejection_is_worded() {
        use {CountryRejection as C, EmailRejection as E, NameRejection as N};
        let worded: [(Rejection, &str); REJECTIONS] = [
            (
                N::Missing.into(),
                "Please type the name you would like on the petition.",
            ),
            (
                N::Blank.into(),
                "That name would show up blank on the petition. Please type it using ordinary letters.",
            ),
            (
                N::Hidden.into(),
                "That name contains hidden or control characters. Please type it again using ordinary letters.",
            ),
            (
                N::StrayMark.into(),
                "That name has an accent or mark that isn't on a letter. Please type it as it is usually written.",
            ),
            (
                N::StackedMarks.into(),
                "That name has too many accents or marks piled on one letter. Please type it as it is usually written.",
            ),
            (
                N::TooShort.into(),
                "That name is too short. Please give at least 2 characters.",
            ),
            (
                N::TooLong.into(),
                "That name is too long. Please keep it to 100 characters or fewer.",
            ),
            (N::NoLetter.into(), "A name needs at least one letter."),
            (
                N::FormulaStart.into(),
                "A name cannot start with =, +, - or @. Please type it starting with a letter.",
            ),
            (
                N::Link.into(),
                "A name cannot contain a link or web address. Please type just your name.",
            ),
            (
                E::Missing.into(),
                "Please type your email address, like name@example.com.",
            ),
            (E::TooLong.into(), "That email address is too long."),
            (
                E::Malformed.into(),
                "That doesn't look like an email address. Please type it like name@example.com.",
            ),
            (
                PostcodeRejection::Malformed.into(),
                "That doesn't look like a UK postcode. Please type it like SW1A 1AA. If you live outside the UK, type \"outside\".",
            ),
            (
                C::InTheUk.into(),
                "That's in the UK, so please give your postcode instead, such as SW1A 1AA.",
            ),
            (C::Missing.into(), "Please type the name of the country you live in."),
            (
                C::TooLong.into(),
                "That country name is too long. Please type just the country.",
            ),
            (
                C::NotLetters.into(),
                "A country name can only contain letters, spaces and hyphens. Please type just the country.",
            ),
            (
                C::FormulaStart.into(),
                "A country name cannot start with =, +, - or @. Please type just the country.",
            ),
            (
                C::Unrecognised.into(),
                "I don't recognise that country. Please type its name in English, such as France or United States.",
            ),
        ];
        let mut listed = [false; REJECTIONS];
        for (rejection, sentence) in worded {
            listed[rejection_number(rejection)] = true;
            assert_eq!(english(Message::Rejection(rejection)), sentence);
        }
        assert!(listed.iter().all(|listed| *listed), "every kind is worded above");
    }

    #[test]
    fn the_direct_message_notes_name_the_button_to_press() {
        assert_eq!(
            english(Message::DirectMessagesRefused),
            "I can't send you direct messages (check your privacy settings for this server), so please press Sign to use the form here instead."
        );
        assert_eq!(
            english(Message::DirectMessageUnavailable),
            "I can't open a direct message with you right now, so please press Sign to use the form here instead."
        );
    }

    #[test]
    fn a_form_lists_each_refused_answer_under_its_field() {
        let problems = [
            FormProblem::Name(NameRejection::TooShort),
            FormProblem::Email(EmailRejection::Malformed),
            FormProblem::Where(LocationProblem::Unrecognised),
        ];
        assert_eq!(
            english(Message::FormProblems { problems: &problems }),
            "Some answers need another look:\n\
             Name: That name is too short. Please give at least 2 characters.\n\
             Email: That doesn't look like an email address. Please type it like name@example.com.\n\
             Where you live: that isn't a UK postcode or a country I recognise. Type a postcode such as SW1A 1AA, or the name of your country."
        );
    }
}
