//! The keys of what the chat adapters show around the engine's words: the
//! labels of buttons (which the engine offers and the adapters draw),
//! Telegram's command menu, Discord's slash commands and their options,
//! and the signing form's fields. Each is worded through [`Message`] like
//! any other key.
//!
//! [`Message`]: super::Message

use crate::storage::ReviewAction;

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

/// A command in Telegram's menu, for its description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TelegramCommand {
    /// The welcome.
    Start,
    /// Begin signing.
    Sign,
    /// The full article.
    Article,
    /// Whether and when they signed.
    Status,
    /// Remove the signature.
    Withdraw,
    /// Everything held about them.
    MyData,
    /// The privacy notice.
    Privacy,
    /// The total.
    Total,
    /// The help.
    Help,
    /// Stop signing.
    Cancel,
    /// The petition, in a group.
    Petition,
    /// Organisers: breakdowns.
    Stats,
    /// Organisers: the export.
    Export,
    /// Organisers: what is held.
    Held,
    /// Organisers: velocity alerts.
    Anomalies,
    /// No more updates.
    Stop,
    /// Past updates, or one's own choice.
    Updates,
    /// Organisers: write an update.
    Update,
    /// Organisers: stop the update being sent.
    CancelUpdate,
    /// Organisers: count held signatures in.
    Release,
    /// Organisers: stop signatures counting.
    Invalidate,
    /// Organisers: close the petition.
    Close,
    /// Organisers: open it again.
    Reopen,
}

/// A Discord slash command, for its description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscordCommand {
    /// The petition, shown to everyone in the channel.
    Petition,
    /// Begin signing, with the form.
    Sign,
    /// The full article.
    Article,
    /// Whether and when they signed.
    Status,
    /// Remove the signature.
    Withdraw,
    /// Everything held about them.
    MyData,
    /// The privacy notice.
    Privacy,
    /// The total.
    Total,
    /// The help.
    Help,
    /// Organisers: breakdowns.
    Stats,
    /// Organisers: the export.
    Export,
    /// Organisers: what is held.
    Held,
    /// Organisers: velocity alerts.
    Anomalies,
    /// Organisers: count held signatures in.
    Release,
    /// Organisers: stop signatures counting.
    Invalidate,
    /// No more updates.
    Stop,
    /// Past updates, or one's own choice.
    Updates,
    /// Organisers: write an update.
    Update,
    /// Organisers: stop the update being sent.
    CancelUpdate,
    /// Organisers: close the petition.
    Close,
    /// Organisers: open it again.
    Reopen,
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
