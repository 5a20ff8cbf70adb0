//! The English of what the chat adapters show around the engine's words:
//! buttons' labels, Telegram's command menu, and Discord's slash commands
//! and their options.

use std::fmt::{self, Display, Formatter};

use super::words::Thousands;
use crate::domain::Word;
use crate::messages::{Button, CommandList, DiscordOption};

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

/// A command's description in `list`; the empty string for a word that
/// is no command, or a command `list` does not offer (neither is asked
/// for: `messages/tests.rs` holds every offered one to having words).
pub(super) fn command_description(command: Word, list: CommandList) -> &'static str {
    use CommandList::{DiscordCommands, Help, TelegramMenu};
    use Word as W;
    match (command, list) {
        (W::Start, _) => "Show the petition and what you can do",
        (W::Sign, Help) => "sign the petition",
        (W::Sign, DiscordCommands) => "Sign the petition (opens a private form)",
        (W::Sign, _) => "Sign the petition",
        (W::Article, Help) => "read the full article",
        (W::Article, DiscordCommands) => "Read the full article (only you see it)",
        (W::Article, _) => "Read the full article",
        (W::Privacy, Help) => "what we keep about you and why",
        (W::Privacy, _) => "What is kept about you, and why",
        (W::Status, Help) => "whether you've signed",
        (W::Status, DiscordCommands) => "Have I signed, and when? (only you see it)",
        (W::Status, _) => "Have I signed, and when?",
        (W::MyData, Help) => "everything we hold about you",
        (W::MyData, DiscordCommands) => "Everything held about me (only you see it)",
        (W::MyData, _) => "Everything held about me",
        (W::Withdraw, Help) => "remove your signature and your data",
        (W::Withdraw, _) => "Remove my signature and my data",
        (W::Total, Help) => "how many have signed",
        (W::Total, _) => "How many have signed",
        (W::Help, DiscordCommands) => "What the bot can do",
        (W::Help, _) => "What I can do",
        (W::Back, _) => "go back a step",
        (W::Cancel, Help) => "stop, keeping nothing you've typed",
        (W::Cancel, _) => "Stop signing, keeping nothing typed",
        (W::Petition, DiscordCommands) => "Show the petition to everyone here, with its total",
        (W::Petition, _) => "In groups: show the petition",
        (W::Stats, _) => "Organisers: breakdowns of the signatures",
        (W::Export, _) => "Organisers: the signatures as a CSV file",
        (W::Held, _) => "Organisers: signatures held for review",
        (W::Anomalies, _) => "Organisers: velocity alerts of the last week",
        (W::Release, TelegramMenu) => "Organisers: count held signatures in, e.g. /release reason=new_account",
        (W::Release, _) => "Organisers: count held signatures in (shows how many first)",
        (W::Invalidate, TelegramMenu) => "Organisers: stop signatures counting, e.g. /invalidate domain=spam.example",
        (W::Invalidate, _) => "Organisers: stop signatures counting (shows how many first)",
        (W::StopUpdates, _) => "Stop updates about the campaign",
        (W::UpdatesOn, _) => "Updates about the campaign again",
        (W::Updates, _) => "Whether you get updates (organisers: past updates)",
        (W::Update, DiscordCommands) => "Organisers: write an update to signers (shows a preview first)",
        (W::Update, _) => "Organisers: write an update to signers who asked for them",
        (W::CancelUpdate, _) => "Organisers: stop the update being sent",
        (W::Close, _) => "Organisers: close the petition now (asks first)",
        (W::Reopen, _) => "Organisers: open a closed petition again",
        (W::Goal, _) => "Organisers: raise the goal, e.g. /goal 20000",
        (W::Progress, _) => "Organisers: keep a live progress message here",
        (W::Deliver, _) => "Organisers: the delivery pack, a PDF to print and hand over",
        (W::Skip | W::Yes | W::No | W::Confirm | W::Change | W::Outside, _) => "",
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
