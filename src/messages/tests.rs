//! The rule the catalogue keeps: every key, and every button, label and
//! description the adapters ask for, has wording in every language.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::*;
use crate::domain::{
    COMMANDS, Dimension, Email, HoldReason, Identity, Location, PostcodeDistrict, ShareCode, SignatureStatus, Word,
};

/// One of each variant of an enum, built from the list given. The list is
/// also a match without a catch-all, so a variant added to the enum does
/// not build until it is listed here, with arguments to word it with.
macro_rules! one_of_each {
    ($ty:ident: $($variant:ident $(($($arg:expr),* $(,)?))? $({ $($field:ident: $value:expr),* $(,)? })?),+ $(,)?) => {{
        // A variant may be listed twice, with other arguments.
        #[allow(unreachable_patterns)]
        let _every_variant_is_listed = |value: &$ty| match value {
            $($ty::$variant { .. })|+ => (),
        };
        vec![$($ty::$variant $(($($arg),*))? $({ $($field: $value),* })?),+]
    }};
}

const LANGUAGES: [Language; 1] = [Language::English];
const TITLE: &str = "Save the library";
const WAIT: Duration = Duration::from_secs(120);

fn at() -> DateTime<Utc> {
    "2026-11-03T14:00:00Z".parse().expect("a valid time")
}

/// Fails if `message` reads as nothing in any language, or shows a
/// placeholder as it stands (one written with `write_str` instead of
/// `write!`).
fn assert_worded(message: Message<'_>) {
    for language in LANGUAGES {
        let text = message.text(language);
        assert!(!text.trim().is_empty(), "{language:?} has no wording for {message:?}");
        assert!(
            !text.contains(['{', '}']),
            "{language:?} shows a placeholder for {message:?}: {text}"
        );
    }
}

#[test]
fn every_button_is_worded() {
    let buttons = one_of_each!(Button:
        Sign, Continue, Article, Privacy, Back, Cancel, Skip, Outside, Consent, Yes, No, YesPlease, NoThanks,
        Confirm, Change, Name, Email, Where, Updates, Withdraw, KeepSignature, SendUpdate, DoNotSend, StopUpdates,
        Review { action: ReviewAction::Release, count: 1 },
        Review { action: ReviewAction::Invalidate, count: 2000 },
        Share, SignInPrivate, OpenForm, SignHere, SignByDirectMessage, SignWithForm,
    );
    for button in buttons {
        assert_worded(Message::Button(button));
    }
}

#[test]
fn every_command_option_and_form_label_is_worded() {
    let options = one_of_each!(DiscordOption: Code, Reason, Domain, District, Platform, Since, Until, All);
    let labels = one_of_each!(FormLabel:
        Name, Email { optional: true }, Email { optional: false }, Where, Update,
    );
    // Each command in every list that offers it, as the command table says.
    for command in &COMMANDS {
        let offered = [
            (CommandList::TelegramMenu, command.offered.telegram_menu),
            (CommandList::DiscordCommands, command.offered.discord.is_some()),
            (CommandList::Help, command.offered.help),
        ];
        for (list, _) in offered.into_iter().filter(|(_, offered)| *offered) {
            let described = Message::CommandDescription {
                command: command.word,
                list,
            };
            assert_worded(described);
            // Telegram's and Discord's limits on command descriptions.
            assert!(
                described.text(Language::English).chars().count() <= 100,
                "{described:?}"
            );
        }
    }
    options
        .into_iter()
        .for_each(|o| assert_worded(Message::DiscordOption(o)));
    labels.into_iter().for_each(|l| assert_worded(Message::FormLabel(l)));
}

#[test]
fn every_heading_and_problem_is_worded() {
    let headings = one_of_each!(Heading:
        ByPlatform, LastDays(14), ByDistrict, ByCountry, TopShareCodes, ByReason, TopEmailDomains, TopDistricts,
    );
    for heading in headings {
        assert_worded(Message::Stats(StatsMessage::Section { heading }));
        assert_worded(Message::Stats(StatsMessage::EmptySection { heading }));
    }
    let problems = one_of_each!(SelectionProblem:
        NoFilters,
        NotAFilter("x".into()),
        NotADistrict("x".into()),
        NotAPlatform("x".into()),
        NotAReason("x".into()),
        NotADate("x".into()),
        UnknownFilter("x".into()),
    );
    for problem in &problems {
        assert_worded(Message::BadSelection { problem });
    }
    let form = one_of_each!(FormProblem:
        Name(crate::domain::NameRejection::TooShort),
        Email(crate::domain::EmailRejection::Malformed),
        EmailNeeded,
        Where(LocationProblem::NamedOutside),
        Where(LocationProblem::InTheUk),
        Where(LocationProblem::Unrecognised),
        Where(LocationProblem::ForcesNumberMissing),
        ConsentNeeded,
        ConsentChanged,
    );
    for problem in form {
        assert_worded(Message::FormProblems { problems: &[problem] });
        assert_worded(Message::FormProblem(problem));
    }
}

#[test]
fn every_key_is_worded() {
    let when = at();
    let name = SignerName::parse("Ada Lovelace").expect("a valid name");
    let email = Email::parse("ada@example.org").expect("a valid email");
    let location = Location::Uk(PostcodeDistrict::parse("SW1A 1AA").expect("a valid postcode"));
    let targets = ["the Mayor".to_owned(), "the Council".to_owned()];
    let typed = Answers {
        name: Some(&name),
        email: Some(Some(&email)),
        location: Some(&location),
        consent: Some((when, 1)),
        updates: Some(true),
    };
    let signature = Signature {
        campaign: "library".into(),
        identity: Identity::new(Platform::Telegram, "1"),
        name: name.clone(),
        email: Some(email.clone()),
        location: location.clone(),
        updates_opt_in: false,
        updates_wording: 2,
        consent_version: 1,
        consent_at: when,
        referral_code: None,
        share_code: ShareCode::generate(),
        created_at: when,
        status: SignatureStatus::Counted,
    };
    let selection = Selection {
        reason: Some(HoldReason::NewAccount),
        ..Selection::default()
    };
    let anomaly = Anomaly {
        campaign: "library".into(),
        dimension: Dimension::EmailDomain,
        value: "example.org".into(),
        count: 120,
        threshold: 100,
        detected_at: when,
    };
    let anomalies = [anomaly.clone()];
    let times = [when, when];
    let problem = SelectionProblem::NoFilters;
    let form_problems = [FormProblem::EmailNeeded];
    let messages = one_of_each!(Message:
        SomethingWentWrong,
        SlowDown { wait: WAIT },
        ChoiceExpired,
        UnknownCommand,
        NotUnderstood,
        NothingToGoBackTo,
        Commands,
        CommandsMidway,
        Button(Button::Sign),
        Welcome {
            title: TITLE,
            targets: &targets,
            statement: "Keep it open.",
            summary: "It matters.",
            author: "Ann Lee",
            total: 1234,
            goal: 10_000,
        },
        YouSignedOn { on: when },
        PartWay,
        SignInOneMessage,
        BusySigning { form: true },
        BusySigning { form: false },
        WouldYouLikeToSign { title: TITLE, part_way: true },
        AlreadySigned { title: TITLE, on: when, platform: Platform::Discord },
        AskName,
        AskEmail { optional: true },
        AskPostcode,
        AskCountry,
        AskConsent { wording: "I agree." },
        Update(UpdateMessage::Ask { platform: Platform::Discord }),
        Lifecycle(LifecycleMessage::Reopened { title: TITLE }),
        Delivery(DeliveryMessage::Honesty),
        Web(WebMessage::NotFound),
        AskToConfirm { answers: typed },
        AskToConfirmInAForm { answers: typed },
        AskWhatToChange { updates: true },
        AskToGoAhead,
        AskToWithdraw { title: TITLE },
        Rejection(crate::domain::Rejection::Postcode(crate::domain::PostcodeRejection::Malformed)),
        EmailNeeded,
        WhereNeeded,
        ConsentDeclined,
        InTheUk,
        FormProblem(FormProblem::ConsentNeeded),
        FormProblems { problems: &form_problems },
        AlreadySigning,
        Thanks { name: &name, title: TITLE, total: 1, goal: 10, code: "ABCD2345" },
        SignedBefore { on: when, platform: Platform::Console },
        EmailUsed,
        TooManyAttempts { wait: WAIT },
        AccountTooYoung { days: 7, from: when },
        Article { title: TITLE, author: "Ann Lee", article: "The article." },
        Total { title: TITLE, total: 1, goal: 10 },
        Cancelled { had_answers: true },
        NothingToCancel,
        YouSigned { title: TITLE, on: when, platform: Platform::Telegram },
        PartWayThrough { title: TITLE },
        NotSignedYet { title: TITLE },
        NothingToWithdraw { title: TITLE, had_answers: true },
        Withdrawn { title: TITLE, total: 1, goal: 10 },
        NoSignatureToWithdraw,
        SignatureStays,
        EverythingWeHold { title: TITLE },
        YourSignature { signature: &signature },
        AnswersInProgress { hours: 48, answers: Answers::default() },
        ArrivedWith { code: "ABCD2345" },
        SigningAttempts { times: &times },
        HowToDelete,
        NothingHeldAboutYou { title: TITLE },
        GroupWelcome { title: TITLE, targets: &targets, total: 1, goal: 10 },
        Targets { targets: &targets },
        OrganiserCommandsInPrivate,
        OnlyInPrivate,
        OrganisersOnly { command: "stats" },
        ReviewOrganisersOnly { action: ReviewAction::Release },
        Export { count: 2, title: TITLE },
        BadSelection { problem: &problem },
        SelectionHelp,
        Selection { selection: &selection },
        NothingMatches { action: ReviewAction::Invalidate, selection: &selection },
        ReleaseQuestion { count: 1, selection: &selection },
        InvalidateQuestion { held: 1, counted: 2, selection: &selection },
        ReviewApplied { action: ReviewAction::Release, affected: 1, total: 2, goal: 10, held: 0 },
        NothingChanged,
        Stats(StatsMessage::Title { title: TITLE }),
        VelocityAlert { title: TITLE, anomaly: &anomaly },
        VelocityAlerts { title: TITLE, anomalies: &anomalies },
        VelocityAlerts { title: TITLE, anomalies: &[] },
        Surge { title: TITLE, per_second: 50 },
        ConsoleIntro,
        ConsoleUnreadable,
        ConsoleShare { payload: "library__ABCD2345" },
        ConsoleSaved { path: Path::new("export.csv") },
        YourLink { link: "https://t.me/PetitionBot?start=library" },
        ShareInvitation,
        DiscordShare { code: "ABCD2345" },
        CommandDescription { command: Word::Sign, list: CommandList::DiscordCommands },
        DiscordOption(DiscordOption::Code),
        SummaryAddressedTo { addressed_to: "the Mayor" },
        SummarySignatures,
        SummaryFooter { author: "Ann Lee", goal: 10_000 },
        FormTitle { title: TITLE },
        FormLabel(FormLabel::Name),
        WhereExample,
        DirectMessageSent,
        DirectMessagesRefused,
        DirectMessageUnavailable,
        Progress { total: 1, goal: 10 },
        Number(12_345),
        Wait(WAIT),
        // Every milestone key is listed in `milestones.rs`'s own test.
        Milestones(MilestoneMessage::ProgressHereDone),
    );
    for message in messages {
        assert_worded(message);
    }
}

#[test]
fn every_update_key_is_worded() {
    use crate::storage::{DeliveryCounts, StoredUpdate, UpdateState};
    let counts = DeliveryCounts {
        pending: 3,
        sending: 1,
        sent: 990,
        unreachable: 4,
        unknown: 2,
        failed: 1,
        cancelled: 0,
    };
    let update = StoredUpdate {
        id: 3,
        campaign: "library".into(),
        text: "The council has agreed to meet us.\nThank you all.".into(),
        author: Identity::new(Platform::Telegram, "1"),
        created_at: at(),
        state: UpdateState::Finished,
        finished_at: Some(at()),
        progress_message: None,
        summary_posted: false,
        counts,
    };
    let updates = [update.clone()];
    let reach = [(Platform::Telegram, 800), (Platform::Discord, 200)];
    let messages = one_of_each!(UpdateMessage:
        Ask { platform: Platform::Telegram },
        Ask { platform: Platform::Discord },
        NoneAtTheConsole,
        Stopped { signed: true },
        Stopped { signed: false },
        Started { title: TITLE, platform: Platform::Discord },
        StartNeedsSignature { title: TITLE },
        StartAtTheConsole,
        ToSigner { title: TITLE, text: "We met the council." },
        Choice { opted_in: true, platform: Platform::Telegram, wording: 1 },
        Choice { opted_in: false, platform: Platform::Discord, wording: 2 },
        Compose { max_chars: 1900 },
        Empty,
        TooLong { length: 2100, max_chars: 2000 },
        NoRecipients,
        Preview { rendered: "Update from the library", reach: &reach },
        Queued { id: 3, recipients: 1000 },
        QueuedForTheBots { id: 3, recipients: 1000 },
        Discarded,
        Progress { id: 3, counts: counts, left: Some(Duration::from_secs(40)) },
        Summary { update: &update },
        FormTitle,
        NothingToCancel,
        List { title: TITLE, updates: &updates },
        List { title: TITLE, updates: &[] },
    );
    for message in messages {
        assert_worded(Message::Update(message));
    }
}

#[test]
fn every_lifecycle_key_is_worded() {
    let targets = ["the Mayor".to_owned(), "the Commissioner".to_owned()];
    let messages = one_of_each!(LifecycleMessage:
        NotOpenYet { title: TITLE, opens: at() },
        Closed { title: TITLE, total: 12_000, targets: &targets, on: at() },
        Announcement { title: TITLE, total: 12_000, targets: &targets },
        AskToClose { title: TITLE, total: Some(12_000) },
        AskToClose { title: TITLE, total: None },
        ClosedNow { title: TITLE, total: 12_000 },
        AlreadyClosed { title: TITLE },
        Reopened { title: TITLE },
        NotClosed { title: TITLE },
        AlreadyDelivered { title: TITLE },
        AlreadyAnonymisedCannotReopen { title: TITLE },
        Anonymised { title: TITLE, on: at() },
        WouldAnonymise { title: TITLE, count: 3, due: Some(at()) },
        WouldAnonymise { title: TITLE, count: 3, due: None },
        AnonymisedNow { title: TITLE, count: 3 },
    );
    for message in messages {
        assert_worded(Message::Lifecycle(message));
    }
}

#[test]
fn every_stats_message_is_worded() {
    let messages = one_of_each!(StatsMessage:
        Title { title: TITLE },
        Total { total: 1, goal: 10, held: 1 },
        Section { heading: Heading::ByPlatform },
        EmptySection { heading: Heading::ByCountry },
        TallyLine { label: "SW1A", count: 3 },
        AndMore { lines: 2, count: 5 },
        PlatformName { platform: Platform::Console },
        NoneHeld { title: TITLE },
        HeldTitle { title: TITLE, held: 3 },
        Recounted { campaign: "library", counted: 1, held: 0, drift: None },
        Recounted {
            campaign: "library",
            counted: 3,
            held: 1,
            drift: Some(Drift { stored_total: 2, stored_held: 0, breakdowns_mended: 1 }),
        },
    );
    for message in messages {
        assert_worded(Message::Stats(message));
    }
}

#[test]
fn every_delivery_message_is_worded() {
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 3).expect("a date");
    let targets = ["the Mayor".to_owned(), "the Commissioner".to_owned()];
    let messages = one_of_each!(DeliveryMessage:
        Attached { title: TITLE, count: 12_345 },
        Written { path: Path::new("pack.pdf"), count: 12_345, pages: 60, digest: "ab12" },
        Date(day),
        Salutation { targets: &targets },
        Salutation { targets: &[] },
        WeAsk,
        Counted { count: 2, period: Some((day, day + chrono::Days::new(9))) },
        Counted { count: 1, period: Some((day, day)) },
        Counted { count: 0, period: None },
        Honesty,
        WhatFollows,
        Closing,
        Contact { contact: "petition@example.org" },
        SummaryTitle,
        PerDay,
        PerDayDescribed { first: Some(day), last: Some(day), busiest: Some((day, 3)) },
        PerDayDescribed { first: None, last: None, busiest: None },
        ByDistrict,
        ByCountry,
        NoneFrom,
        SignatoriesTitle,
        PageOf { page: 3, pages: 212 },
        Digest { digest: "ab12" },
    );
    for message in messages {
        assert_worded(Message::Delivery(message));
    }
}

#[test]
fn every_web_message_is_worded() {
    let targets = ["the Commissioner".to_owned(), "the Mayor".to_owned()];
    let on = at();
    let messages = one_of_each!(WebMessage:
        OpenCampaigns, NoneOpen,
        AddressedTo { targets: &targets },
        StartedBy { author: "A. Author" },
        Signed,
        Goal { goal: 10000 },
        ProgressLabel, TheStatement, TheArticle, PerDay,
        PerDayDescription { days: 30, total: 5, busiest: Some((on, 3)) },
        PerDayDescription { days: 30, total: 0, busiest: None },
        HowToSign, SignOnTelegram, SignOnDiscord, NoWayToSignHere,
        ClosedOn { on: on },
        OpensOn { on: on },
        OpenData,
        Preview { statement: "Keep it open.", total: 3 },
        FormIntro, NameLabel,
        EmailLabel { optional: true },
        EmailLabel { optional: false },
        LocationLabel, LocationHint,
        ConsentHeading { version: 2 },
        ConsentBox, UpdatesBox, Review, ChangeAnswers, OpenFromTheBot, NeedsScript, ShareHeading, Privacy,
        NotFound, TooManyRequests, TooLarge, TooSlow, BadRequest,
    );
    for message in messages {
        assert_worded(Message::Web(message));
    }
}
