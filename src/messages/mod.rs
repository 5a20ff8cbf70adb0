//! Everything the bot says to people, in one catalogue: each [`Message`] is
//! a key, its fields are the arguments, and each language words every key
//! in a folder of its own ([`en`] for English).
//!
//! The keys are a file per job. This file holds [`Message`], every key;
//! `language.rs` [`Language`] and [`Localised`], which words a key in one;
//! `stats.rs` the lines of organisers' `stats`, `held` and `recount` ([`StatsMessage`]);
//! `adapters.rs` the keys of what the
//! chat adapters show around the engine's words ([`Button`],
//! [`CommandList`], [`DiscordOption`],
//! [`FormLabel`]); `parts.rs` the arguments some messages carry, which
//! have no wording of their own ([`Answers`], [`FormProblem`],
//! [`LocationProblem`], [`SelectionProblem`], [`Heading`]); and `tests.rs`
//! holds every language to the catalogue's rule.
//!
//! Callers build a message and ask for its text in a [`Language`]:
//!
//! ```
//! use petition::messages::{Language, Message};
//!
//! let text = Message::Total { title: "Save the library", total: 1234, goal: 10_000 }.text(Language::English);
//! assert_eq!(text, "\"Save the library\": 1,234 of 10,000 signatures (12% of the goal).");
//! ```
//!
//! To add a language, see `language.rs`.
//!
//! Campaign text (title, statement, article, consent wording, privacy
//! notice) comes from the campaign's settings and is passed in as it stands;
//! the catalogue words everything around it. The domain's checks say why an
//! answer was refused as a [`Rejection`], a kind with no wording; the
//! catalogue words each kind ([`Message::Rejection`]). The chat adapters
//! word what they add around the engine's replies here too (their buttons,
//! command descriptions, the Discord embed and form), in the engine's
//! language ([`Engine::language`](crate::conversation::Engine::language)).
//! Messages never carry personal data into a log: they are shown only to the
//! person they describe, or to organisers as counts.

mod adapters;
mod delivery;
pub mod en;
mod language;
mod lifecycle;
mod milestones;
mod parts;
mod stats;
#[cfg(test)]
mod tests;
mod updates;
mod web;

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};

pub use self::adapters::{Button, CommandList, DiscordOption, FormLabel};
pub use self::delivery::DeliveryMessage;
pub use self::language::{Language, Localised};
pub use self::lifecycle::LifecycleMessage;
pub use self::milestones::{MilestoneMessage, progress_bar};
pub use self::parts::{Answers, FormProblem, Heading, LocationProblem, SelectionProblem};
pub use self::stats::{Drift, StatsMessage};
pub use self::updates::{UPDATES_WORDING, UpdateMessage};
pub use self::web::WebMessage;
use crate::domain::{Anomaly, Platform, Rejection, ReviewAction, Selection, Signature, SignerName, Word};

/// The apology for a failure inside, in English, for adapters that must
/// answer before the engine can; the cause goes to the log.
pub const SOMETHING_WENT_WRONG: &str = en::SOMETHING_WENT_WRONG;

/// Something the bot says, with what it needs to say it. Borrowed, so
/// building one costs nothing; its text is written once, in the language
/// asked for.
#[derive(Debug, Clone, Copy)]
pub enum Message<'a> {
    // Anywhere.
    /// The apology for a failure inside; the cause goes to the log.
    SomethingWentWrong,
    /// The first message over the per-person rate limit; no reply follows
    /// until `wait` has passed.
    SlowDown {
        /// How long until they may continue.
        wait: Duration,
    },
    /// A button from an old message, or one that was forged.
    ChoiceExpired,
    /// Before the help, after a `/command` the bot does not know.
    UnknownCommand,
    /// Before the current question, after an answer that fits none of it.
    NotUnderstood,
    /// Before the invitation to sign, after `back` with nothing to go back to.
    NothingToGoBackTo,
    /// The help: every word a supporter can send.
    Commands,
    /// The help in the middle of signing, before the question they were on.
    CommandsMidway,
    /// A button's label.
    Button(Button),
    /// Something about updates to signers (see `updates.rs`).
    Update(UpdateMessage<'a>),
    /// Something about a campaign opening, closing or being anonymised
    /// (see `lifecycle.rs`).
    Lifecycle(LifecycleMessage<'a>),
    /// Something in the delivery pack (see `delivery.rs`).
    Delivery(DeliveryMessage<'a>),
    /// What `stats` and `held` show organisers.
    Stats(StatsMessage<'a>),
    /// Something on a web page (see `web.rs`).
    Web(WebMessage<'a>),

    // Opening the bot.
    /// The campaign, presented in a private chat.
    Welcome {
        /// The campaign's title.
        title: &'a str,
        /// Who the petition is addressed to.
        targets: &'a [String],
        /// What signers ask for.
        statement: &'a str,
        /// The campaign's summary.
        summary: &'a str,
        /// Who started it.
        author: &'a str,
        /// Signatures so far.
        total: u64,
        /// Signatures aimed for.
        goal: u64,
    },
    /// After the welcome, to someone who has signed.
    YouSignedOn {
        /// When they signed.
        on: DateTime<Utc>,
    },
    /// After the welcome, to someone with answers kept from before.
    PartWay,
    /// After the welcome on Telegram, to someone who has not signed: the
    /// quickest way to sign in the chat.
    SignInOneMessage,
    /// Before the welcome, while so many people are signing that replies
    /// wait for their turn.
    BusySigning {
        /// Whether a form opens in the chat, offered first (a Mini App).
        form: bool,
    },
    /// The welcome's question.
    WouldYouLikeToSign {
        /// The campaign's title.
        title: &'a str,
        /// Whether answers are kept from before, to carry on with.
        part_way: bool,
    },
    /// `sign` from someone who has signed the campaign.
    AlreadySigned {
        /// The campaign's title.
        title: &'a str,
        /// When they signed.
        on: DateTime<Utc>,
        /// Where they signed.
        platform: Platform,
    },

    // The signing questions.
    /// The name step.
    AskName,
    /// The email step.
    AskEmail {
        /// Whether the campaign lets them skip it.
        optional: bool,
    },
    /// The postcode step.
    AskPostcode,
    /// The country step, for those outside the UK.
    AskCountry,
    /// The consent step.
    AskConsent {
        /// The campaign's consent wording.
        wording: &'a str,
    },
    /// The review of every answer before signing.
    AskToConfirm {
        /// The answers.
        answers: Answers<'a>,
    },
    /// The same review in a form (the Mini App), whose buttons confirm or
    /// go back to the form: nothing is typed there.
    AskToConfirmInAForm {
        /// The answers.
        answers: Answers<'a>,
    },
    /// Which answer to change, at the review.
    AskWhatToChange {
        /// Whether updates can be changed (an email was given).
        updates: bool,
    },
    /// Whether to go ahead with an organiser's release or invalidation.
    AskToGoAhead,
    /// Whether to really withdraw.
    AskToWithdraw {
        /// The campaign's title.
        title: &'a str,
    },

    // Answers that are not accepted.
    /// Why an answer was refused, before its question is asked again.
    Rejection(Rejection),
    /// `skip` at the email step of a campaign that needs an email.
    EmailNeeded,
    /// `skip` at the postcode or country step.
    WhereNeeded,
    /// `no` at the consent step.
    ConsentDeclined,
    /// A UK nation typed as the country; the postcode question follows.
    InTheUk,
    /// One of a form's problems, as shown beside its field.
    FormProblem(FormProblem),
    /// A form with answers to look at again; the form comes back.
    FormProblems {
        /// What is wrong, in the form's order.
        problems: &'a [FormProblem],
    },
    /// `sign` in the middle of signing, before the question they were on.
    AlreadySigning,

    // Signing.
    /// The thanks for a signature, held or counted alike.
    Thanks {
        /// The name signed with.
        name: &'a SignerName,
        /// The campaign's title.
        title: &'a str,
        /// The total now.
        total: u64,
        /// The goal.
        goal: u64,
        /// Their own share code.
        code: &'a str,
    },
    /// A signature refused because this account has signed.
    SignedBefore {
        /// When it signed.
        on: DateTime<Utc>,
        /// Where it signed.
        platform: Platform,
    },
    /// A signature refused because its email has signed from another
    /// account; says nothing of when or where.
    EmailUsed,
    /// A signature refused: too many attempts in a day.
    TooManyAttempts {
        /// How long until the next attempt counts.
        wait: Duration,
    },
    /// A signature refused: a Discord account younger than the campaign allows.
    AccountTooYoung {
        /// The minimum age in days.
        days: u32,
        /// When the account is old enough.
        from: DateTime<Utc>,
    },

    // Words that work at any step.
    /// The full article.
    Article {
        /// The campaign's title.
        title: &'a str,
        /// Who wrote it.
        author: &'a str,
        /// The article.
        article: &'a str,
    },
    /// The total against the goal, in private or in a group.
    Total {
        /// The campaign's title.
        title: &'a str,
        /// Signatures so far.
        total: u64,
        /// Signatures aimed for.
        goal: u64,
    },
    /// `cancel`, having forgotten the conversation.
    Cancelled {
        /// Whether answers were typed (and are now gone).
        had_answers: bool,
    },
    /// `cancel` with no conversation open.
    NothingToCancel,
    /// `status` from someone who has signed.
    YouSigned {
        /// The campaign's title.
        title: &'a str,
        /// When they signed.
        on: DateTime<Utc>,
        /// Where they signed.
        platform: Platform,
    },
    /// `status` in the middle of signing, before the question.
    PartWayThrough {
        /// The campaign's title.
        title: &'a str,
    },
    /// `status` from someone who has not signed or started.
    NotSignedYet {
        /// The campaign's title.
        title: &'a str,
    },
    /// `withdraw` from someone who has not signed.
    NothingToWithdraw {
        /// The campaign's title.
        title: &'a str,
        /// Whether they have answers typed, which `cancel` would discard.
        had_answers: bool,
    },
    /// A signature withdrawn.
    Withdrawn {
        /// The campaign's title.
        title: &'a str,
        /// The total now.
        total: u64,
        /// The goal.
        goal: u64,
    },
    /// A withdrawal confirmed when the signature had already gone.
    NoSignatureToWithdraw,
    /// `no` to withdrawing.
    SignatureStays,
    /// `mydata`: the first section, when there is anything to show.
    EverythingWeHold {
        /// The campaign's title.
        title: &'a str,
    },
    /// `mydata`: their signature, everything in it.
    YourSignature {
        /// The signature.
        signature: &'a Signature,
    },
    /// `mydata`: answers typed but not yet signed.
    AnswersInProgress {
        /// Hours without a message after which they are deleted.
        hours: i64,
        /// The answers.
        answers: Answers<'a>,
    },
    /// `mydata`: the share code they arrived with, before signing.
    ArrivedWith {
        /// The share code.
        code: &'a str,
    },
    /// `mydata`: when they confirmed a signature in the last day.
    SigningAttempts {
        /// The times, oldest first.
        times: &'a [DateTime<Utc>],
    },
    /// `mydata`: the last section, when there is anything to delete.
    HowToDelete,
    /// `mydata` from someone of whom nothing is held.
    NothingHeldAboutYou {
        /// The campaign's title.
        title: &'a str,
    },

    // Groups.
    /// The campaign, presented in a group, pointing to a private chat.
    GroupWelcome {
        /// The campaign's title.
        title: &'a str,
        /// Who the petition is addressed to.
        targets: &'a [String],
        /// Signatures so far.
        total: u64,
        /// Signatures aimed for.
        goal: u64,
    },
    /// Who the petition is addressed to, as a phrase: "A, B and C".
    Targets {
        /// The targets.
        targets: &'a [String],
    },
    /// An organiser command asked in a group.
    OrganiserCommandsInPrivate,
    /// Anything personal asked in a group.
    OnlyInPrivate,

    // Organisers.
    /// An organiser command refused to someone who is not one.
    OrganisersOnly {
        /// The command word.
        command: &'a str,
    },
    /// A release or invalidation refused to someone who is not an organiser.
    ReviewOrganisersOnly {
        /// Release or invalidate.
        action: ReviewAction,
    },
    /// The export's covering note.
    Export {
        /// Signatures in it.
        count: u64,
        /// The campaign's title.
        title: &'a str,
    },
    /// A release or invalidation whose filters could not be read.
    BadSelection {
        /// What was wrong.
        problem: &'a SelectionProblem,
    },
    /// How to say which signatures to release or invalidate.
    SelectionHelp,
    /// A selection, as organisers read it: in questions, and in the audit log.
    Selection {
        /// The selection.
        selection: &'a Selection,
    },
    /// A dry run that matched nothing.
    NothingMatches {
        /// Release or invalidate.
        action: ReviewAction,
        /// The selection.
        selection: &'a Selection,
    },
    /// A dry run of a release: how many, and whether to go ahead.
    ReleaseQuestion {
        /// Held signatures matched.
        count: u64,
        /// The selection.
        selection: &'a Selection,
    },
    /// A dry run of an invalidation: how many, and whether to go ahead.
    InvalidateQuestion {
        /// Held signatures matched.
        held: u64,
        /// Counted signatures matched.
        counted: u64,
        /// The selection.
        selection: &'a Selection,
    },
    /// A release or invalidation done.
    ReviewApplied {
        /// Release or invalidate.
        action: ReviewAction,
        /// Signatures changed.
        affected: u64,
        /// The total now.
        total: u64,
        /// The goal.
        goal: u64,
        /// Signatures still held.
        held: u64,
    },
    /// `no` (or cancel) to a release or invalidation.
    NothingChanged,
    /// A crossed velocity threshold, as an alert.
    VelocityAlert {
        /// The campaign's title.
        title: &'a str,
        /// What was crossed.
        anomaly: &'a Anomaly,
    },
    /// `anomalies`: the last week's alerts, newest first.
    VelocityAlerts {
        /// The campaign's title.
        title: &'a str,
        /// The alerts.
        anomalies: &'a [Anomaly],
    },
    /// The alert when signatures arrive faster than the surge ceiling.
    Surge {
        /// The campaign's title.
        title: &'a str,
        /// The ceiling.
        per_second: u32,
    },

    // The console.
    /// The console's first line, at a terminal.
    ConsoleIntro,
    /// A line at the console that is not UTF-8 text.
    ConsoleUnreadable,
    /// After the thanks at the console: how a friend uses the share link.
    ConsoleShare {
        /// The start payload.
        payload: &'a str,
    },
    /// After an export at the console: where the file went.
    ConsoleSaved {
        /// The file written.
        path: &'a Path,
    },

    // What the chat adapters add around the engine's replies.
    /// After the thanks, on a platform that writes the share link out so
    /// it can be copied: the link.
    YourLink {
        /// The link.
        link: &'a str,
    },
    /// The text a platform's share sheet starts with, beside the link.
    ShareInvitation,
    /// After the thanks on Discord, which has no links into the bot: how a
    /// friend uses the share code.
    DiscordShare {
        /// The share code.
        code: &'a str,
    },
    /// A command's description in one of the lists that offer it
    /// (`domain::COMMANDS` says which).
    CommandDescription {
        /// The command's word.
        command: Word,
        /// Where it is described.
        list: CommandList,
    },
    /// A slash command option's description in Discord.
    DiscordOption(DiscordOption),
    /// The campaign at a glance: whom it asks, before the statement.
    SummaryAddressedTo {
        /// Who the petition is addressed to, as a phrase.
        addressed_to: &'a str,
    },
    /// The campaign at a glance: the heading over the total.
    SummarySignatures,
    /// The campaign at a glance: its last line.
    SummaryFooter {
        /// Who started it.
        author: &'a str,
        /// Signatures aimed for.
        goal: u64,
    },
    /// The signing form's title.
    FormTitle {
        /// The campaign's title.
        title: &'a str,
    },
    /// A field's label in the signing form.
    FormLabel(FormLabel),
    /// The example shown in the signing form's empty "where you live" field.
    WhereExample,
    /// After "sign by direct message": the conversation goes on there.
    DirectMessageSent,
    /// After "sign by direct message": their settings refuse it.
    DirectMessagesRefused,
    /// After "sign by direct message": none could be opened.
    DirectMessageUnavailable,

    // Pieces other wording is built from.
    /// "1,234 of 10,000 signatures (12% of the goal)".
    Progress {
        /// Signatures so far.
        total: u64,
        /// Signatures aimed for.
        goal: u64,
    },
    /// A count, grouped for reading: "12,345".
    Number(u64),
    /// How long a wait reads: "2 minutes".
    Wait(Duration),

    // Milestones, the goal and the progress message.
    /// Everything about milestones, in keys of their own.
    Milestones(MilestoneMessage<'a>),
}
