//! The keys of what the web pages say: a campaign's public page, the list
//! of campaigns, and the Mini App form around the engine's own questions
//! (whose wording stays the conversation's). Worded in each language's
//! `web.rs`.

use chrono::{DateTime, Utc};

/// Something a web page says.
#[derive(Debug, Clone, Copy)]
pub enum WebMessage<'a> {
    // The list of campaigns.
    /// The list's heading.
    OpenCampaigns,
    /// When no campaign is open.
    NoneOpen,

    // A campaign's page.
    /// Who it is addressed to: "To the Commissioner … and the Mayor …".
    AddressedTo {
        /// The targets.
        targets: &'a [String],
    },
    /// Who started it.
    StartedBy {
        /// The author.
        author: &'a str,
    },
    /// After the total, which a script keeps up to date: "signed".
    Signed,
    /// The goal, beside the total.
    Goal {
        /// Signatures aimed for.
        goal: u64,
    },
    /// The progress bar's accessible name.
    ProgressLabel,
    /// The heading over the statement.
    TheStatement,
    /// The heading over the article.
    TheArticle,
    /// The chart's heading.
    PerDay,
    /// The chart's description for screen readers and without pictures.
    PerDayDescription {
        /// Days shown.
        days: usize,
        /// Signatures in them.
        total: u64,
        /// The busiest day and its count, if any signed.
        busiest: Option<(DateTime<Utc>, u64)>,
    },
    /// The heading over the ways to sign.
    HowToSign,
    /// The Telegram link.
    SignOnTelegram,
    /// The Discord link.
    SignOnDiscord,
    /// When there is no bot to link to (none configured).
    NoWayToSignHere,
    /// Closed, instead of the ways to sign.
    ClosedOn {
        /// When.
        on: DateTime<Utc>,
    },
    /// Not open yet, instead of the ways to sign.
    OpensOn {
        /// When.
        on: DateTime<Utc>,
    },
    /// A link to the open data.
    OpenData,
    /// The social preview's description: the statement and the total.
    Preview {
        /// What signers ask for.
        statement: &'a str,
        /// Signatures counted.
        total: u64,
    },

    // The Mini App.
    /// Above the form.
    FormIntro,
    /// The name field's label.
    NameLabel,
    /// The email field's label.
    EmailLabel {
        /// Whether it may be left empty.
        optional: bool,
    },
    /// The postcode or country field's label.
    LocationLabel,
    /// Under it.
    LocationHint,
    /// The consent wording's heading, with its version.
    ConsentHeading {
        /// The wording's version.
        version: u32,
    },
    /// The consent box's label.
    ConsentBox,
    /// The updates box's label.
    UpdatesBox,
    /// The button that sends the form for review.
    Review,
    /// The button that goes back from the review to the form.
    ChangeAnswers,
    /// Shown instead of the form without Telegram's sign-in, and with 401.
    OpenFromTheBot,
    /// Shown where scripts do not run.
    NeedsScript,
    /// After signing, over the share link.
    ShareHeading,
    /// The privacy notice's heading.
    Privacy,

    // Errors.
    /// 404.
    NotFound,
    /// 429.
    TooManyRequests,
    /// 413.
    TooLarge,
    /// 408: the body came too slowly.
    TooSlow,
    /// 400.
    BadRequest,
}
