//! The English of what the chat adapters show around the engine's words:
//! buttons' labels, Telegram's command menu, and Discord's slash commands
//! and their options.

use std::fmt::{self, Display, Formatter};

use super::words::Thousands;
use crate::messages::{Button, DiscordCommand, DiscordOption, TelegramCommand};

pub(super) fn write_button(button: Button, f: &mut Formatter<'_>) -> fmt::Result {
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
        Button::SendUpdate => "Yes, send it",
        Button::DoNotSend => "No, don't send it",
        Button::StopUpdates => "Stop updates",
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
        Button::SignWithForm => "Sign with the form",
    };
    f.write_str(label)
}

/// A button's label, inside other wording that tells people to press it.
pub(super) struct Label(pub(super) Button);

impl Display for Label {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_button(self.0, f)
    }
}

pub(super) fn telegram_command(command: TelegramCommand) -> &'static str {
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
        C::Stop => "Stop updates about the campaign",
        C::Updates => "Whether you get updates (organisers: past updates)",
        C::Update => "Organisers: write an update to signers who asked for them",
        C::CancelUpdate => "Organisers: stop the update being sent",
        C::Close => "Organisers: close the petition now (asks first)",
        C::Reopen => "Organisers: open a closed petition again",
    }
}

pub(super) fn discord_command(command: DiscordCommand) -> &'static str {
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
        C::Stop => "Stop updates about the campaign",
        C::Updates => "Whether you get updates (organisers: past updates)",
        C::Update => "Organisers: write an update to signers (shows a preview first)",
        C::CancelUpdate => "Organisers: stop the update being sent",
        C::Close => "Organisers: close the petition now (asks first)",
        C::Reopen => "Organisers: open a closed petition again",
    }
}

pub(super) fn discord_option(option: DiscordOption) -> &'static str {
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
