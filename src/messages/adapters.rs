//! The keys of what the chat adapters show around the engine's words: the
//! labels of buttons (which the engine offers and the adapters draw),
//! the commands' descriptions in Telegram's menu, Discord's slash commands
//! and the help, Discord's options,
//! and the signing form's fields. Each is worded through [`Message`] like
//! any other key.
//!
//! [`Message`]: super::Message

use crate::domain::ReviewAction;

/// A button's label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Button {
    /// Begin signing.
    Sign,
    /// Begin signing, with answers kept from before.
    Continue,
    /// Read the article.
    Article,
    /// Read the privacy notice.
    Privacy,
    /// Go back a step.
    Back,
    /// Stop, keeping nothing.
    Cancel,
    /// Skip the email.
    Skip,
    /// Live outside the UK.
    Outside,
    /// Give consent.
    Consent,
    /// Yes.
    Yes,
    /// No.
    No,
    /// Yes to updates.
    YesPlease,
    /// No to updates.
    NoThanks,
    /// Send the update previewed.
    SendUpdate,
    /// Do not send it.
    DoNotSend,
    /// Under an update: stop them.
    StopUpdates,
    /// Sign, at the review.
    Confirm,
    /// Change an answer, at the review.
    Change,
    /// Change the name.
    Name,
    /// Change the email.
    Email,
    /// Change where they live.
    Where,
    /// Change the answer about updates.
    Updates,
    /// Yes to withdrawing.
    Withdraw,
    /// No to withdrawing.
    KeepSignature,
    /// Yes to a release or invalidation.
    Review {
        /// Release or invalidate.
        action: ReviewAction,
        /// How many it changes.
        count: u64,
    },
    /// Pass on one's share link.
    Share,
    /// From a group, open a private chat to sign in.
    SignInPrivate,
    /// Open the signing form again, with the answers given so far.
    OpenForm,
    /// Sign, with the form, where the petition is shown.
    SignHere,
    /// Sign by direct message instead of the form.
    SignByDirectMessage,
    /// Open the web form (Telegram's Mini App) to sign in one go.
    SignWithForm,
}

/// Where a command is described: each list words it for its own place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandList {
    /// Telegram's command menu.
    TelegramMenu,
    /// Discord's slash commands.
    DiscordCommands,
    /// The words the help gives supporters ("sign: sign the petition").
    Help,
}

/// An option of a Discord slash command, for its description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscordOption {
    /// `/sign`: a friend's share code.
    Code,
    /// A review filter: the hold reason.
    Reason,
    /// A review filter: the email domain.
    Domain,
    /// A review filter: the postcode district.
    District,
    /// A review filter: the platform.
    Platform,
    /// A review filter: signed on or after.
    Since,
    /// A review filter: signed on or before.
    Until,
    /// A review filter: every signature.
    All,
}

/// A field of the signing form, for its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormLabel {
    /// The name.
    Name,
    /// The email.
    Email {
        /// Whether the campaign lets it be left empty.
        optional: bool,
    },
    /// Where they live.
    Where,
    /// An organiser's update to signers.
    Update,
}
