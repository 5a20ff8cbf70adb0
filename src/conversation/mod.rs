//! The signing conversation, independent of any chat platform.
//!
//! Adapters turn what a supporter sends into an [`Incoming`] and show the
//! [`Reply`]s that come back. A whole signing, as typed at the console:
//!
//! ```text
//! > start
//! < Keep the human trafficking unit open ... [Sign the petition] [Read the article] [Privacy]
//! > sign
//! < What name should appear on the petition?
//! > Ada Lovelace
//! < What is your email address? ...
//! > ada@example.org
//! < What is your UK postcode? ... [I live outside the UK]
//! > SW1A 1AA
//! < (the consent wording) Do you give this consent? [Yes, I consent] [No]
//! > yes
//! < Would you like occasional email updates ...? [Yes please] [No thanks]
//! > no
//! < Please check your signature ... [Confirm and sign] [Change something] [Cancel]
//! > confirm
//! < Thank you, Ada Lovelace! ... Your share code is ABCD2345 ...
//! ```
//!
//! At any step a supporter can type `cancel`, `back` or `help`, and at any
//! time `status`, `withdraw`, `mydata`, `privacy`, `article` or `total`.
//! Organisers can also ask for `stats` and `export`. Every answer is checked
//! before the conversation moves on; the state is saved in the database after
//! every change, so a restart resumes where the supporter left off.

mod reply;
mod state;
mod words;

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tracing::{Instrument, info, info_span, warn};

pub use reply::{Attachment, Choice, Form, Link, Placement, Reply, Summary, Visibility};
pub use state::{ConsentAnswer, Conversation, Draft, EmailAnswer, LocationAnswer, PendingReview, Step};
pub use words::Word;

use crate::campaign::NewAccountPolicy;
use crate::campaign::{Campaign, Campaigns};
use crate::clock::Clock;
use crate::config::Settings;
use crate::domain::{
    ChatKind, Country, CountryRejection, Email, Identity, Location, PostcodeDistrict, ShareCode, SignerName,
};
use crate::domain::{Dimension, HoldReason};
use crate::limits::{Guards, MessageVerdict, SIGNING_ATTEMPTS_WINDOW, describe_wait, signing_attempts_wait};
use crate::organiser::{self, Organisers, progress};
use crate::storage::{
    Anomaly, AuditEntry, DuplicateMatch, NewSignature, ReviewAction, SignOutcome, Signature, SignatureStatus, Storage,
    StorageError,
};

/// A message from a supporter, as an adapter hands it to the engine.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// Who sent it.
    pub from: Identity,
    /// The sender's platform roles (Discord role ids), for organiser checks.
    pub roles: Vec<String>,
    /// Whether it was sent in private or where others can read the reply.
    pub chat: ChatKind,
    /// What they sent.
    pub input: Input,
    /// When the sender's account was created, where the platform tells
    /// (Discord ids carry it); young accounts' signatures are held.
    pub account_created: Option<DateTime<Utc>>,
}

impl Incoming {
    /// A message in a private chat from someone without roles.
    pub fn private(from: Identity, input: Input) -> Self {
        Self {
            from,
            roles: Vec::new(),
            chat: ChatKind::Private,
            input,
            account_created: None,
        }
    }
}

/// What a supporter sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Opened the bot, possibly through a link whose payload names a
    /// campaign and a share code (`slug` or `slug__CODE`).
    Start {
        /// The link's payload, if any.
        payload: Option<String>,
    },
    /// Typed text, including commands with or without a leading `/`.
    Text(String),
    /// Pressed a button; the [`Choice::data`] it carried.
    Choice(String),
    /// Filled in a form: name, email and where they live at once.
    Form(FormAnswers),
}

/// The fields of a submitted [`Form`], as typed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FormAnswers {
    /// The name for the petition.
    pub name: String,
    /// The email address; may be empty where the campaign allows.
    pub email: String,
    /// A UK postcode, or a country.
    pub location: String,
}

/// Separates the campaign slug from the share code in a start payload.
pub const PAYLOAD_SEPARATOR: &str = "__";

/// The apology shown when something fails inside; the cause goes to the log.
pub const SOMETHING_WENT_WRONG: &str =
    "Sorry, something went wrong on our side and nothing was changed. Please try again in a moment.";

/// Said at the welcome to someone with answers kept from before.
const PART_WAY: &str = "You were part-way through signing, and your answers so far are kept. Send sign to continue where you left off, or cancel to start again.";

const IN_THE_UK: &str = "That's in the UK, so please give your postcode instead, such as SW1A 1AA.";

const EXPIRED: &str = "That choice has expired. Please use the buttons on my latest message, or type your answer.";

/// Independent locks that serialise the messages of one supporter, so two
/// quick taps cannot both read the same state and overwrite each other.
/// Striped rather than one per person, so memory does not grow with the
/// number of supporters.
const LOCK_STRIPES: usize = 4096;

/// The signing conversation: reads a message, updates the supporter's
/// saved state, and says what to reply.
pub struct Engine {
    campaigns: Campaigns,
    organisers: Organisers,
    abandon_after: chrono::Duration,
    storage: Arc<dyn Storage>,
    clock: Arc<dyn Clock>,
    /// See [`LOCK_STRIPES`].
    stripes: Vec<tokio::sync::Mutex<()>>,
    /// Rate limits and the rules that hold signatures for review.
    guards: Guards,
    /// Alerts for organisers' chats; adapters subscribe.
    alerts: tokio::sync::broadcast::Sender<Alert>,
    /// When each campaign last raised a surge alert, so a surge raises one
    /// alert a minute rather than one per signature.
    last_surge_alert: std::sync::Mutex<std::collections::HashMap<String, DateTime<Utc>>>,
}

/// Something organisers should know at once, for their chats. Never carries
/// personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// The campaign concerned.
    pub campaign: String,
    /// What happened, for people.
    pub text: String,
}

/// What a message amounts to at the supporter's current step.
#[derive(Debug)]
enum Said {
    Start(Option<String>),
    Review(ReviewAction, String),
    Form(FormAnswers),
    Word(Word),
    Text(String),
    UnknownCommand,
    Expired,
}

type EngineResult<T> = Result<T, StorageError>;

impl Engine {
    /// An engine over the configured campaigns and organisers.
    pub fn new(settings: &Settings, storage: Arc<dyn Storage>, clock: Arc<dyn Clock>) -> Self {
        Self {
            campaigns: settings.campaigns.clone(),
            organisers: Organisers::from_settings(&settings.organisers),
            abandon_after: chrono::Duration::hours(i64::from(settings.conversation.abandon_after_hours)),
            storage,
            stripes: (0..LOCK_STRIPES).map(|_| tokio::sync::Mutex::new(())).collect(),
            guards: Guards::new(
                settings.campaigns.iter().map(|c| (c.slug.as_str(), &c.limits)),
                clock.clone(),
            ),
            alerts: tokio::sync::broadcast::channel(64).0,
            last_surge_alert: std::sync::Mutex::new(std::collections::HashMap::new()),
            clock,
        }
    }

    /// Alerts for organisers' chats, from now on.
    pub fn subscribe_alerts(&self) -> tokio::sync::broadcast::Receiver<Alert> {
        self.alerts.subscribe()
    }

    fn raise_alert(&self, campaign: &Campaign, text: String) {
        warn!(campaign = %campaign.slug, "{text}");
        // Nobody listening is fine: the anomaly is also in the database.
        let _ = self.alerts.send(Alert {
            campaign: campaign.slug.clone(),
            text,
        });
    }

    /// Drops limiter entries that no longer matter; run on a timer.
    pub fn prune_limits(&self) {
        self.guards.prune(self.clock.now());
    }

    /// People the limiters currently remember.
    pub fn remembered_by_limits(&self) -> usize {
        self.guards.remembered()
    }

    /// Compares the last hour's signatures per email domain, postcode
    /// district and platform with each campaign's thresholds. A crossing puts
    /// an alert in force for an hour (new signatures matching it are held),
    /// is recorded, and is announced to organisers once per hour.
    pub async fn check_velocity(&self) -> Result<Vec<Anomaly>, StorageError> {
        let now = self.clock.now();
        let mut new = Vec::new();
        for campaign in self.campaigns.iter() {
            let crossings = self
                .storage
                .velocity(
                    &campaign.slug,
                    now - chrono::Duration::hours(1),
                    campaign.limits.thresholds(),
                )
                .await?;
            for crossing in crossings {
                self.guards.activate_alert(
                    &campaign.slug,
                    crossing.dimension,
                    &crossing.value,
                    now + chrono::Duration::hours(1),
                );
                let anomaly = Anomaly {
                    campaign: campaign.slug.clone(),
                    dimension: crossing.dimension,
                    value: crossing.value,
                    count: crossing.count,
                    threshold: campaign.limits.threshold(crossing.dimension),
                    detected_at: now,
                };
                if self.storage.record_anomaly(&anomaly).await? {
                    self.raise_alert(campaign, organiser::describe_anomaly(&campaign.title, &anomaly));
                    new.push(anomaly);
                }
            }
        }
        Ok(new)
    }

    /// Records every campaign's consent wording and makes sure each has a
    /// total. Run once at start-up; fails if a consent version was reused.
    pub async fn register_campaigns(&self) -> Result<(), StorageError> {
        for campaign in self.campaigns.iter() {
            self.storage
                .register_campaign(&campaign.slug, campaign.consent.version, &campaign.consent.wording)
                .await?;
        }
        Ok(())
    }

    /// The configured campaigns.
    pub fn campaigns(&self) -> &Campaigns {
        &self.campaigns
    }

    /// The storage the engine writes to.
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }

    /// Deletes conversations nobody has touched for the configured time,
    /// with everything typed into them. Returns how many.
    pub async fn forget_abandoned_conversations(&self) -> Result<u64, StorageError> {
        let cutoff = self.clock.now() - self.abandon_after;
        self.storage.delete_conversations_idle_since(cutoff).await
    }

    /// Forgets signing attempts that no longer count against anyone's limit.
    /// Returns how many.
    pub async fn forget_old_signing_attempts(&self) -> Result<u64, StorageError> {
        let cutoff = self.clock.now() - SIGNING_ATTEMPTS_WINDOW;
        self.storage.forget_signing_attempts_before(cutoff).await
    }

    /// Handles one message and returns what to reply, in order. Never fails:
    /// an internal error is logged and answered with an apology.
    pub async fn handle(&self, incoming: Incoming) -> Vec<Reply> {
        let span = info_span!(
            "conversation",
            platform = %incoming.from.platform,
            user = %incoming.from.log_id()
        );
        async {
            let _turn = self.stripes[self.stripe(&incoming.from)].lock().await;
            match self.respond(&incoming).await {
                Ok(replies) => replies,
                Err(error) => {
                    tracing::error!(%error, "could not handle a message");
                    vec![Reply::private(SOMETHING_WENT_WRONG)]
                }
            }
        }
        .instrument(span)
        .await
    }

    fn stripe(&self, who: &Identity) -> usize {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        who.hash(&mut hasher);
        (hasher.finish() as usize) % self.stripes.len()
    }

    async fn respond(&self, msg: &Incoming) -> EngineResult<Vec<Reply>> {
        if msg.chat == ChatKind::Group {
            return self.respond_in_group(msg).await;
        }
        let saved = self.load(&msg.from).await?;
        let campaign = self.campaign_of(saved.as_ref()).clone();
        match self.guards.check_message(&campaign.slug, &msg.from) {
            MessageVerdict::Allowed => {}
            MessageVerdict::SlowDown { wait } => return Ok(vec![slow_down(wait)]),
            MessageVerdict::Ignore => return Ok(Vec::new()),
        }
        let said = match &msg.input {
            Input::Choice(data) => self.interpret_choice(data, saved.as_ref()),
            Input::Start { payload } => Said::Start(payload.clone()),
            Input::Text(text) => interpret_typed(text, saved.as_ref().map(|c| c.step)),
            Input::Form(answers) => Said::Form(answers.clone()),
        };
        // A button that moves the conversation on makes the message it was
        // on stale, so its answer may take that message's place.
        let moves_on = matches!(msg.input, Input::Choice(_))
            && match &said {
                Said::Word(word) => !word.only_shows(),
                Said::Text(_) => true,
                Said::Start(_) | Said::Form(_) | Said::Review(..) | Said::UnknownCommand | Said::Expired => false,
            };
        let mut replies = self.respond_to(msg, saved, said).await?;
        if moves_on && let Some(first) = replies.first_mut() {
            first.placement = Placement::InPlaceOfChoice;
        }
        Ok(replies)
    }

    async fn respond_to(&self, msg: &Incoming, saved: Option<Conversation>, said: Said) -> EngineResult<Vec<Reply>> {
        let who = &msg.from;
        match said {
            Said::Expired => Ok(vec![Reply {
                placement: Placement::Notice,
                ..Reply::private(EXPIRED)
            }]),
            Said::UnknownCommand => Ok(vec![self.help(saved.as_ref()).prefixed("I don't know that command.")]),
            Said::Start(payload) => self.start(who, saved, payload.as_deref()).await,
            Said::Form(answers) => self.submit_form(who, saved, answers).await,
            Said::Review(action, selection) => self.ask_to_review(msg, saved, action, &selection).await,
            Said::Word(word) if word.is_global() => self.global(msg, saved, word).await,
            Said::Word(word) => match saved {
                Some(conversation) => self.at_step(msg, conversation, word).await,
                None => Ok(vec![self.not_understood(None)]),
            },
            Said::Text(text) => match saved {
                Some(conversation) => self.answer(who, conversation, &text).await,
                None => Ok(vec![self.not_understood(None)]),
            },
        }
    }

    // ----- state -----

    async fn load(&self, who: &Identity) -> EngineResult<Option<Conversation>> {
        let Some(json) = self.storage.load_conversation(who).await? else {
            return Ok(None);
        };
        match serde_json::from_str::<Conversation>(&json) {
            Ok(conversation) if self.campaigns.get(&conversation.campaign).is_some() => Ok(Some(conversation)),
            Ok(_) => {
                info!("conversation was for a campaign no longer configured; starting afresh");
                self.storage.delete_conversation(who).await?;
                Ok(None)
            }
            Err(error) => {
                warn!(%error, "saved conversation could not be read; starting afresh");
                self.storage.delete_conversation(who).await?;
                Ok(None)
            }
        }
    }

    async fn save(&self, who: &Identity, conversation: &Conversation) -> EngineResult<()> {
        let json = serde_json::to_string(conversation).expect("a conversation always serialises");
        self.storage.save_conversation(who, &json, self.clock.now()).await
    }

    fn campaign_of(&self, conversation: Option<&Conversation>) -> &Arc<Campaign> {
        conversation
            .and_then(|c| self.campaigns.get(&c.campaign))
            .unwrap_or_else(|| self.campaigns.default_campaign())
    }

    // ----- starting -----

    async fn start(
        &self,
        who: &Identity,
        saved: Option<Conversation>,
        payload: Option<&str>,
    ) -> EngineResult<Vec<Reply>> {
        let (named_campaign, referral) = self.read_payload(payload);
        let campaign = named_campaign
            .or_else(|| saved.as_ref().and_then(|c| self.campaigns.get(&c.campaign)))
            .unwrap_or_else(|| self.campaigns.default_campaign())
            .clone();
        // Starting again keeps what was typed for the same campaign, so an
        // accidental /start never throws work away, and remembers the
        // question they were on so they can carry on from it.
        let had_saved = saved.is_some();
        let conversation = match saved {
            Some(mut previous) if previous.campaign == campaign.slug => {
                previous.resume = Some(previous.step)
                    .filter(|step| step.is_part_of_signing())
                    .or(previous.resume.filter(|step| step.is_part_of_signing()));
                previous.step = Step::Welcome;
                if referral.is_some() {
                    previous.referral = referral;
                }
                previous
            }
            _ => Conversation {
                referral,
                ..self.new_conversation(&campaign)
            },
        };
        // A welcome with nothing to remember (no answers, no share code, the
        // default campaign) need not be written: "sign" starts from scratch.
        let nothing_to_remember = conversation.draft.is_empty()
            && conversation.referral.is_none()
            && conversation.campaign == self.campaigns.default_campaign().slug;
        if nothing_to_remember {
            if had_saved {
                self.storage.delete_conversation(who).await?;
            }
        } else {
            self.save(who, &conversation).await?;
        }
        let total = self.storage.total(&campaign.slug).await?;
        let signed = self.storage.signature_of(&campaign.slug, who).await?;
        let mut text = welcome_text(&campaign, total);
        let choices = if let Some(signature) = signed {
            text.push_str(&format!(
                "\n\nYou signed this petition on {}. Thank you!",
                day(signature.created_at)
            ));
            welcome_choices(None)
        } else {
            if !conversation.draft.is_empty() {
                text.push_str(&format!("\n\n{PART_WAY}"));
            }
            welcome_choices(Some(&conversation))
        };
        Ok(vec![Reply::private(text).with_choices(choices)])
    }

    /// A start payload: `slug`, `slug__CODE` or `__CODE`. Anything that is
    /// not a configured campaign or a well-formed code is ignored.
    fn read_payload(&self, payload: Option<&str>) -> (Option<&Arc<Campaign>>, Option<String>) {
        let Some(payload) = payload.map(str::trim).filter(|p| !p.is_empty()) else {
            return (None, None);
        };
        if payload.len() > 64
            || !payload
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return (None, None);
        }
        let (slug, code) = payload
            .split_once(PAYLOAD_SEPARATOR)
            .map_or((payload, None), |(slug, code)| (slug, Some(code)));
        let campaign = self.campaigns.get(slug);
        let referral = code.and_then(ShareCode::parse).map(|c| c.as_str().to_owned());
        (campaign, referral)
    }

    async fn begin_signing(&self, who: &Identity, saved: Option<Conversation>) -> EngineResult<Vec<Reply>> {
        let mut conversation = saved.unwrap_or_else(|| self.new_conversation(self.campaigns.default_campaign()));
        let campaign = self.campaign_of(Some(&conversation)).clone();
        if let Some(signature) = self.storage.signature_of(&campaign.slug, who).await? {
            self.storage.delete_conversation(who).await?;
            return Ok(vec![already_signed(&campaign, &signature)]);
        }
        conversation.step = conversation
            .resume
            .take()
            .filter(|step| step.is_part_of_signing())
            .unwrap_or_else(|| conversation.draft.next_step());
        self.save(who, &conversation).await?;
        Ok(vec![self.question(&conversation)])
    }

    // ----- words that work everywhere -----

    async fn global(&self, msg: &Incoming, saved: Option<Conversation>, word: Word) -> EngineResult<Vec<Reply>> {
        let who = &msg.from;
        let campaign = self.campaign_of(saved.as_ref()).clone();
        let in_progress = saved.as_ref().is_some_and(|c| c.step != Step::Welcome);
        match word {
            Word::Start => self.start(who, saved, None).await,
            Word::Sign if in_progress => Ok(vec![
                self.question(saved.as_ref().expect("in progress"))
                    .prefixed("You're already signing; let's carry on."),
            ]),
            Word::Sign => self.begin_signing(who, saved).await,
            Word::Article => {
                let mut replies = vec![Reply::private(format!(
                    "{}\n\nBy {}\n\n{}",
                    campaign.title, campaign.author, campaign.article
                ))];
                replies.push(self.question_or_invitation(saved.as_ref()));
                Ok(replies)
            }
            Word::Privacy => Ok(vec![
                Reply::private(campaign.privacy.clone()),
                self.question_or_invitation(saved.as_ref()),
            ]),
            Word::Help => Ok(vec![self.help(saved.as_ref())]),
            Word::Cancel => self.cancel(who, saved).await,
            Word::Back => self.back(who, saved).await,
            Word::Status => self.status(who, saved, &campaign).await,
            Word::Withdraw => self.ask_to_withdraw(who, saved, &campaign).await,
            Word::MyData => self.my_data(who, saved.as_ref(), &campaign).await,
            Word::Total => {
                let total = self.storage.total(&campaign.slug).await?;
                Ok(vec![Reply::private(format!(
                    "\"{}\": {}.",
                    campaign.title,
                    progress(total, campaign.goal)
                ))])
            }
            Word::Stats | Word::Export | Word::Held | Word::Anomalies => {
                self.organiser_command(msg, &campaign, word).await
            }
            Word::Skip | Word::Yes | Word::No | Word::Confirm | Word::Change | Word::Outside => {
                unreachable!("not a global word")
            }
        }
    }

    async fn cancel(&self, who: &Identity, saved: Option<Conversation>) -> EngineResult<Vec<Reply>> {
        match saved {
            Some(conversation) if conversation.step == Step::ConfirmReview => self.drop_review(who, conversation).await,
            Some(conversation) if conversation.step == Step::ConfirmWithdraw => {
                self.keep_signature(who, conversation).await
            }
            Some(conversation) => {
                self.storage.delete_conversation(who).await?;
                let text = if conversation.draft.is_empty() {
                    "Cancelled. Send sign whenever you'd like to sign."
                } else {
                    "Cancelled. Nothing you typed has been kept. Send sign whenever you'd like to start again."
                };
                Ok(vec![Reply::private(text)])
            }
            None => Ok(vec![Reply::private(
                "There's nothing to cancel. Send sign to sign the petition, or help to see what I can do.",
            )]),
        }
    }

    async fn back(&self, who: &Identity, saved: Option<Conversation>) -> EngineResult<Vec<Reply>> {
        let Some(mut conversation) = saved else {
            return Ok(vec![
                self.not_understood(None).prefixed("There's nothing to go back to."),
            ]);
        };
        let has_email = conversation.draft.email_address().is_some();
        let abroad = matches!(conversation.draft.location, Some(LocationAnswer::Country(_)));
        let previous = match conversation.step {
            Step::Welcome | Step::Name => Step::Welcome,
            Step::Email => Step::Name,
            Step::Postcode => Step::Email,
            Step::Country => Step::Postcode,
            Step::Consent if abroad => Step::Country,
            Step::Consent => Step::Postcode,
            Step::Updates => Step::Consent,
            Step::Review if has_email => Step::Updates,
            Step::Review => Step::Consent,
            Step::ChooseChange => Step::Review,
            Step::ConfirmWithdraw => return self.keep_signature(who, conversation).await,
            Step::ConfirmReview => return self.drop_review(who, conversation).await,
        };
        conversation.step = previous;
        self.save(who, &conversation).await?;
        Ok(vec![self.question(&conversation)])
    }

    async fn status(
        &self,
        who: &Identity,
        saved: Option<Conversation>,
        campaign: &Campaign,
    ) -> EngineResult<Vec<Reply>> {
        if let Some(signature) = self.storage.signature_of(&campaign.slug, who).await? {
            return Ok(vec![Reply::private(format!(
                "You signed \"{}\" on {} on {}. Thank you! Send mydata to see what we hold about you, or withdraw to remove your signature.",
                campaign.title,
                day(signature.created_at),
                signature.identity.platform.display_name()
            ))]);
        }
        match saved {
            Some(conversation) if conversation.step != Step::Welcome => {
                Ok(vec![self.question(&conversation).prefixed(&format!(
                    "You haven't signed \"{}\" yet: you're part-way through.",
                    campaign.title
                ))])
            }
            _ => {
                Ok(vec![
                    Reply::private(format!("You haven't signed \"{}\" yet.", campaign.title))
                        .with_choices(vec![choice(Step::Welcome, Word::Sign, "Sign the petition")]),
                ])
            }
        }
    }

    async fn ask_to_withdraw(
        &self,
        who: &Identity,
        saved: Option<Conversation>,
        campaign: &Campaign,
    ) -> EngineResult<Vec<Reply>> {
        if self.storage.signature_of(&campaign.slug, who).await?.is_none() {
            let mut text = format!(
                "You haven't signed \"{}\", so there is nothing to withdraw.",
                campaign.title
            );
            if saved.as_ref().is_some_and(|c| !c.draft.is_empty()) {
                text.push_str(" To throw away what you've typed so far, send cancel.");
            }
            return Ok(vec![Reply::private(text)]);
        }
        let mut conversation = saved.unwrap_or_else(|| self.new_conversation(campaign));
        if conversation.step != Step::ConfirmWithdraw {
            conversation.resume = Some(conversation.step);
        }
        conversation.step = Step::ConfirmWithdraw;
        self.save(who, &conversation).await?;
        Ok(vec![self.question(&conversation)])
    }

    async fn withdraw(&self, who: &Identity, conversation: Conversation) -> EngineResult<Vec<Reply>> {
        let campaign = self.campaign_of(Some(&conversation)).clone();
        let outcome = self.storage.withdraw(&campaign.slug, who).await?;
        self.storage.delete_conversation(who).await?;
        if outcome.is_some() {
            self.guards.note_withdrawal(who, self.clock.now());
        }
        Ok(vec![Reply::private(match outcome {
            Some(total) => {
                info!(campaign = %campaign.slug, "signature withdrawn");
                format!(
                    "Done. Your signature and everything we held about you for \"{}\" have been deleted. The petition now has {}.",
                    campaign.title,
                    progress(total, campaign.goal)
                )
            }
            None => "There was no signature to withdraw, so nothing has changed.".to_owned(),
        })])
    }

    async fn keep_signature(&self, who: &Identity, mut conversation: Conversation) -> EngineResult<Vec<Reply>> {
        let resume = conversation.resume.take().unwrap_or(Step::Welcome);
        conversation.step = resume;
        self.save(who, &conversation).await?;
        let mut replies = vec![Reply::private("Your signature stays. Thank you for your support!")];
        if resume != Step::Welcome {
            replies.push(self.question(&conversation));
        }
        Ok(replies)
    }

    async fn my_data(
        &self,
        who: &Identity,
        saved: Option<&Conversation>,
        campaign: &Campaign,
    ) -> EngineResult<Vec<Reply>> {
        let signature = self.storage.signature_of(&campaign.slug, who).await?;
        let draft = saved.map(|c| &c.draft).filter(|d| !d.is_empty());
        let mut sections = vec![format!(
            "This is everything we hold about you for \"{}\".",
            campaign.title
        )];
        if let Some(signature) = &signature {
            sections.push(describe_signature(signature));
        }
        if let Some(draft) = draft {
            sections.push(format!(
                "Answers you are still typing (not a signature yet; deleted if you cancel, or after {} hours without a message):\n{}",
                self.abandon_after.num_hours(),
                describe_draft(draft)
            ));
        }
        if let Some(referral) = saved.and_then(|c| c.referral.as_ref()).filter(|_| signature.is_none()) {
            sections.push(format!("The share code you arrived with: {referral}"));
        }
        let now = self.clock.now();
        let attempts = self
            .storage
            .signing_attempts_since(&campaign.slug, who, now - SIGNING_ATTEMPTS_WINDOW)
            .await?;
        if !attempts.is_empty() {
            let times: Vec<String> = attempts.iter().map(|at| moment(*at)).collect();
            sections.push(format!(
                "When you confirmed a signature in the last day: {}. We keep these times for a day, with nothing you typed, so that nobody can try to sign endlessly; they are deleted after a day, or with your signature.",
                times.join("; ")
            ));
        }
        if sections.len() == 1 {
            sections = vec![format!("We hold nothing about you for \"{}\".", campaign.title)];
        } else {
            sections.push("Send withdraw to delete your signature and all of this.".to_owned());
        }
        Ok(vec![Reply::private(sections.join("\n\n"))])
    }

    async fn organiser_command(&self, msg: &Incoming, campaign: &Campaign, word: Word) -> EngineResult<Vec<Reply>> {
        if !self.organisers.includes(&msg.from, &msg.roles) {
            info!(command = word.as_str(), "organiser command refused");
            return Ok(vec![Reply::private(format!(
                "Sorry, only the campaign's organisers can use {}. Anyone can ask for the total.",
                word.as_str()
            ))]);
        }
        info!(command = word.as_str(), campaign = %campaign.slug, "organiser command");
        let now = self.clock.now();
        let today = now.date_naive();
        let audit = |affected: u64| AuditEntry {
            campaign: campaign.slug.clone(),
            actor: msg.from.clone(),
            action: word.as_str().to_owned(),
            detail: String::new(),
            affected,
            at: now,
        };
        match word {
            Word::Stats => {
                let stats = organiser::stats(self.storage.as_ref(), campaign, today).await?;
                self.storage.record_audit(&audit(stats.total)).await?;
                return Ok(vec![Reply::private(organiser::render_stats(campaign, &stats))]);
            }
            Word::Held => {
                let held = self.storage.held_summary(&campaign.slug).await?;
                self.storage.record_audit(&audit(held.held)).await?;
                return Ok(vec![Reply::private(organiser::render_held(campaign, &held))]);
            }
            Word::Anomalies => {
                let anomalies = self
                    .storage
                    .anomalies(&campaign.slug, now - chrono::Duration::days(7))
                    .await?;
                return Ok(vec![Reply::private(organiser::render_anomalies(campaign, &anomalies))]);
            }
            _ => {}
        }
        let rows = self.storage.export(&campaign.slug).await?;
        self.storage.record_audit(&audit(rows.len() as u64)).await?;
        let bytes = organiser::write_csv(&rows).map_err(|e| StorageError::Corrupt(format!("writing CSV: {e}")))?;
        Ok(vec![
            Reply::private(format!(
                "Export of {} for \"{}\". It contains names and areas: keep it safe and delete it once delivered.",
                if rows.len() == 1 {
                    "1 signature".to_owned()
                } else {
                    format!("{} signatures", organiser::thousands(rows.len() as u64))
                },
                campaign.title
            ))
            .with_attachment(Attachment {
                file_name: format!("{}-signatures-{}.csv", campaign.slug, today.format("%Y-%m-%d")),
                media_type: "text/csv".to_owned(),
                bytes,
            }),
        ])
    }

    // ----- words tied to a step -----

    async fn at_step(&self, msg: &Incoming, mut conversation: Conversation, word: Word) -> EngineResult<Vec<Reply>> {
        let who = &msg.from;
        let campaign = self.campaign_of(Some(&conversation)).clone();
        let now = self.clock.now();
        let draft = &mut conversation.draft;
        match (conversation.step, word) {
            (Step::Email, Word::Skip) if !campaign.require_email => {
                draft.email = Some(EmailAnswer::Skipped);
                draft.updates = Some(false);
            }
            (Step::Email, Word::Skip) => {
                return Ok(vec![self.question(&conversation).prefixed(
                    "An email address is needed to sign this petition: it's how we make sure each person is counted once. It is never published.",
                )]);
            }
            (Step::Postcode | Step::Country, Word::Skip) => {
                return Ok(vec![self.question(&conversation).prefixed(
                    "We need to know roughly where signers live: a UK postcode, or your country if you live elsewhere.",
                )]);
            }
            (Step::Postcode, Word::Outside) => {
                conversation.step = Step::Country;
                self.save(who, &conversation).await?;
                return Ok(vec![self.question(&conversation)]);
            }
            (Step::Consent, Word::Yes) => {
                draft.consent = Some(ConsentAnswer {
                    at: now,
                    version: campaign.consent.version,
                });
            }
            (Step::Consent, Word::No) => {
                let had_consented = draft.consent.take().is_some();
                if had_consented {
                    self.save(who, &conversation).await?;
                }
                return Ok(vec![self.question(&conversation).prefixed(
                    "That's fine, but without your consent we can't add your signature, and nothing has been stored. If you change your mind, answer yes; otherwise send cancel.",
                )]);
            }
            (Step::Updates, Word::Yes) => draft.updates = Some(true),
            (Step::Updates, Word::No | Word::Skip) => draft.updates = Some(false),
            (Step::Review, Word::Confirm) => return self.sign(msg, conversation, &campaign).await,
            (Step::ConfirmReview, Word::Yes) => return self.apply_review(msg, conversation).await,
            (Step::ConfirmReview, Word::No) => return self.drop_review(who, conversation).await,
            (Step::Review, Word::Change) => {
                conversation.step = Step::ChooseChange;
                self.save(who, &conversation).await?;
                return Ok(vec![self.question(&conversation)]);
            }
            (Step::ConfirmWithdraw, Word::Yes) => return self.withdraw(who, conversation).await,
            (Step::ConfirmWithdraw, Word::No) => {
                return self.keep_signature(who, conversation).await;
            }
            _ => return Ok(vec![self.not_understood(Some(&conversation))]),
        }
        self.advance(who, conversation).await
    }

    async fn answer(&self, who: &Identity, mut conversation: Conversation, text: &str) -> EngineResult<Vec<Reply>> {
        let draft = &mut conversation.draft;
        let accepted = match conversation.step {
            Step::Name => SignerName::parse(text).map(|name| draft.name = Some(name.as_str().to_owned())),
            Step::Email => Email::parse(text).map(|email| {
                if draft.email_address() != Some(email.as_str()) {
                    draft.updates = None;
                }
                draft.email = Some(EmailAnswer::Given(email.as_str().to_owned()));
            }),
            Step::Postcode => PostcodeDistrict::parse(text)
                .map(|district| draft.location = Some(LocationAnswer::District(district.as_str().to_owned()))),
            Step::Country => match Country::parse(text) {
                Ok(country) => {
                    draft.location = Some(LocationAnswer::Country(country.as_str().to_owned()));
                    Ok(())
                }
                // Not a mistake to re-ask about: they live in the UK after
                // all, so the question they need is the postcode.
                Err(CountryRejection::InTheUk) => {
                    conversation.step = Step::Postcode;
                    self.save(who, &conversation).await?;
                    return Ok(vec![self.question(&conversation).prefixed(IN_THE_UK)]);
                }
                Err(CountryRejection::Invalid(rejection)) => Err(rejection),
            },
            Step::ChooseChange => return self.choose_change(who, conversation, text).await,
            Step::Welcome
            | Step::Consent
            | Step::Updates
            | Step::Review
            | Step::ConfirmWithdraw
            | Step::ConfirmReview => {
                return Ok(vec![self.not_understood(Some(&conversation))]);
            }
        };
        match accepted {
            Ok(()) => self.advance(who, conversation).await,
            Err(rejection) => Ok(vec![self.question(&conversation).prefixed(rejection.0)]),
        }
    }

    /// Name, email and where they live at once, each checked as if typed
    /// at its own step. Valid answers are kept even when others are not, so
    /// the form comes back with them filled in.
    async fn submit_form(
        &self,
        who: &Identity,
        saved: Option<Conversation>,
        answers: FormAnswers,
    ) -> EngineResult<Vec<Reply>> {
        let mut conversation = match saved {
            Some(conversation) if matches!(conversation.step, Step::ConfirmWithdraw | Step::ConfirmReview) => {
                return Ok(vec![self.not_understood(Some(&conversation))]);
            }
            Some(conversation) => conversation,
            None => self.new_conversation(self.campaigns.default_campaign()),
        };
        let campaign = self.campaign_of(Some(&conversation)).clone();
        if let Some(signature) = self.storage.signature_of(&campaign.slug, who).await? {
            self.storage.delete_conversation(who).await?;
            return Ok(vec![already_signed(&campaign, &signature)]);
        }
        let draft = &mut conversation.draft;
        let mut problems = Vec::new();
        match SignerName::parse(&answers.name) {
            Ok(name) => draft.name = Some(name.as_str().to_owned()),
            Err(rejection) => {
                draft.name = None;
                problems.push(format!("Name: {rejection}"));
            }
        }
        if answers.email.trim().is_empty() && !campaign.require_email {
            draft.email = Some(EmailAnswer::Skipped);
            draft.updates = Some(false);
        } else if answers.email.trim().is_empty() {
            draft.email = None;
            problems.push("Email: an email address is needed to sign this petition; it is never published.".to_owned());
        } else {
            match Email::parse(&answers.email) {
                Ok(email) => {
                    if draft.email_address() != Some(email.as_str()) {
                        draft.updates = None;
                    }
                    draft.email = Some(EmailAnswer::Given(email.as_str().to_owned()));
                }
                Err(rejection) => {
                    draft.email = None;
                    problems.push(format!("Email: {rejection}"));
                }
            }
        }
        match parse_location(&answers.location) {
            Ok(location) => draft.location = Some(location),
            Err(rejection) => {
                draft.location = None;
                problems.push(format!("Where you live: {rejection}"));
            }
        }
        conversation.step = conversation.draft.next_step();
        conversation.resume = None;
        self.save(who, &conversation).await?;
        let question = self.question(&conversation);
        if problems.is_empty() {
            return Ok(vec![question]);
        }
        Ok(vec![question.prefixed(&format!(
            "Some answers need another look:\n{}",
            problems.join("\n")
        ))])
    }

    fn new_conversation(&self, campaign: &Campaign) -> Conversation {
        Conversation {
            campaign: campaign.slug.clone(),
            step: Step::Welcome,
            draft: Draft::default(),
            referral: None,
            resume: None,
            pending_review: None,
        }
    }

    /// The form with the answers given so far.
    fn form_for(&self, conversation: &Conversation) -> Form {
        let campaign = self.campaign_of(Some(conversation));
        let draft = &conversation.draft;
        Form {
            name: draft.name.clone().unwrap_or_default(),
            email: draft.email_address().unwrap_or_default().to_owned(),
            location: match &draft.location {
                Some(LocationAnswer::District(district)) => district.clone(),
                Some(LocationAnswer::Country(country)) => country.clone(),
                None => String::new(),
            },
            email_optional: !campaign.require_email,
        }
    }

    async fn choose_change(
        &self,
        who: &Identity,
        mut conversation: Conversation,
        text: &str,
    ) -> EngineResult<Vec<Reply>> {
        let draft = &mut conversation.draft;
        let field = text.trim().to_lowercase();
        match field.as_str() {
            "name" => draft.name = None,
            "email" => {
                draft.email = None;
                draft.updates = None;
            }
            "postcode" | "location" | "country" | "where" => draft.location = None,
            "updates" if draft.email_address().is_some() => draft.updates = None,
            _ => return Ok(vec![self.not_understood(Some(&conversation))]),
        }
        self.advance(who, conversation).await
    }

    /// Moves to the first unanswered question (or the review), saves, asks.
    async fn advance(&self, who: &Identity, mut conversation: Conversation) -> EngineResult<Vec<Reply>> {
        conversation.step = conversation.draft.next_step();
        self.save(who, &conversation).await?;
        Ok(vec![self.question(&conversation)])
    }

    async fn sign(&self, msg: &Incoming, conversation: Conversation, campaign: &Campaign) -> EngineResult<Vec<Reply>> {
        let who = &msg.from;
        let now = self.clock.now();
        let attempts = self
            .storage
            .signing_attempts_since(&campaign.slug, who, now - SIGNING_ATTEMPTS_WINDOW)
            .await?;
        let allowed = signing_attempts_wait(&campaign.limits, &attempts, now)
            .and_then(|()| self.guards.check_resigning(&campaign.slug, who, now));
        if let Err(wait) = allowed {
            info!(campaign = %campaign.slug, "signing attempt over the limit");
            return Ok(vec![Reply::private(format!(
                "You have tried to sign several times today, so I can't take another attempt yet. Please try again in {}.",
                describe_wait(wait)
            ))]);
        }
        let draft = &conversation.draft;
        let (Some(name), Some(email), Some(location), Some(consent), Some(updates)) = (
            &draft.name,
            &draft.email,
            &draft.location,
            &draft.consent,
            draft.updates,
        ) else {
            // Only reachable with a hand-edited state; ask what is missing.
            return self.advance(who, conversation).await;
        };
        let signature = NewSignature {
            campaign: campaign.slug.clone(),
            identity: who.clone(),
            name: SignerName::from_trusted(name.clone()),
            email: match email {
                EmailAnswer::Given(address) => Some(Email::from_trusted(address.clone())),
                EmailAnswer::Skipped => None,
            },
            location: match location {
                LocationAnswer::District(district) => Location::Uk(PostcodeDistrict::from_trusted(district.clone())),
                LocationAnswer::Country(country) => Location::Abroad(Country::from_trusted(country.clone())),
            },
            updates_opt_in: updates,
            consent_version: consent.version,
            consent_at: consent.at,
            referral_code: conversation.referral.as_deref().and_then(ShareCode::parse),
            created_at: now,
            hold: None,
        };
        let signature = match self.hold_or_refuse(msg, campaign, signature, now) {
            Ok(signature) => signature,
            Err(refusal) => return Ok(vec![Reply::private(refusal)]),
        };
        // Signed or not, the conversation is over: the storage forgets it in
        // the same transaction.
        let outcome = self.storage.sign(&signature).await?;
        match outcome {
            SignOutcome::Signed {
                share_code,
                total,
                held,
            } => {
                // A held signature gets the same thanks: telling would only
                // teach an abuser what is detected.
                info!(campaign = %campaign.slug, held, hold_reason = ?signature.hold, "signature added");
                Ok(vec![
                    Reply::private(format!(
                        "Thank you, {name}! Your signature has been added to \"{}\".\n\nThe petition now has {}.\n\nYour share code is {}. Anyone who starts with your link is counted as someone you brought in, so please pass it on.",
                        campaign.title,
                        progress(total, campaign.goal),
                        share_code.as_str()
                    ))
                    .with_link(Link::Share {
                        payload: format!("{}{PAYLOAD_SEPARATOR}{}", campaign.slug, share_code.as_str()),
                        code: share_code.as_str().to_owned(),
                    }),
                ])
            }
            SignOutcome::AlreadySigned(prior) => {
                info!(campaign = %campaign.slug, matched_by = ?prior.matched_by, "duplicate signature refused");
                let first = match prior.matched_by {
                    DuplicateMatch::Identity => format!(
                        "You have already signed this petition, on {} on {}",
                        day(prior.signed_at),
                        prior.platform.display_name()
                    ),
                    // Whoever typed the address may not own it: saying when
                    // and where it signed would tell a stranger about someone
                    // else's signature. Its owner can ask status on their own
                    // account.
                    DuplicateMatch::Email => {
                        "That email address has already been used to sign this petition".to_owned()
                    }
                };
                Ok(vec![Reply::private(format!(
                    "{first}. Each person can sign once, so nothing new was stored and what you typed has been discarded."
                ))])
            }
        }
    }

    /// Decides whether a signature counts, is held for review, or (a young
    /// Discord account, where the campaign says so) is refused.
    fn hold_or_refuse(
        &self,
        msg: &Incoming,
        campaign: &Campaign,
        mut signature: NewSignature,
        now: DateTime<Utc>,
    ) -> Result<NewSignature, String> {
        let limits = &campaign.limits;
        // Measured for every signature, so the rate is right whatever else holds it.
        let surging = self.guards.over_surge_ceiling(&campaign.slug);
        let domain = signature.email.as_ref().map(|e| e.domain().to_owned());
        let young_account = msg.from.platform == crate::domain::Platform::Discord
            && msg.account_created.is_some_and(|created| {
                created + chrono::Duration::days(i64::from(limits.min_discord_account_age_days)) > now
            });
        if young_account && limits.new_discord_accounts == NewAccountPolicy::Refuse {
            let allowed_from = msg.account_created.expect("young accounts have a creation time")
                + chrono::Duration::days(i64::from(limits.min_discord_account_age_days));
            return Err(format!(
                "Sorry, Discord accounts must be at least {} days old to sign this petition, to keep the count honest. You can sign from {}.",
                limits.min_discord_account_age_days,
                day(allowed_from)
            ));
        }
        let mut values = vec![(Dimension::Platform, msg.from.platform.as_str())];
        if let Some(domain) = &domain {
            values.push((Dimension::EmailDomain, domain.as_str()));
        }
        if let Some(district) = signature.location.district() {
            values.push((Dimension::PostcodeDistrict, district));
        }
        signature.hold = if limits.blocks_identity(&msg.from) {
            Some(HoldReason::BlockedIdentity)
        } else if domain.as_deref().is_some_and(|d| limits.blocks_domain(d)) {
            Some(HoldReason::BlockedDomain)
        } else if young_account {
            Some(HoldReason::NewAccount)
        } else if let Some(dimension) = self.guards.alert_in_force(&campaign.slug, &values, now) {
            Some(HoldReason::for_velocity(dimension))
        } else if surging {
            self.surge_alert(campaign, now);
            Some(HoldReason::Surge)
        } else {
            None
        };
        Ok(signature)
    }

    fn surge_alert(&self, campaign: &Campaign, now: DateTime<Utc>) {
        let mut last = self.last_surge_alert.lock().expect("surge alert lock poisoned");
        let due = last
            .get(&campaign.slug)
            .is_none_or(|at| now - *at >= chrono::Duration::minutes(1));
        if due {
            last.insert(campaign.slug.clone(), now);
            drop(last);
            self.raise_alert(
                campaign,
                format!(
                    "Surge on \"{}\": more than {} signatures a second. New signatures are being held for review until it passes; see held.",
                    campaign.title, campaign.limits.signatures_per_second
                ),
            );
        }
    }

    // ----- organisers reviewing held signatures -----

    /// A dry run: how many signatures a release or invalidation would
    /// change, and a question whether to go ahead.
    async fn ask_to_review(
        &self,
        msg: &Incoming,
        saved: Option<Conversation>,
        action: ReviewAction,
        arguments: &str,
    ) -> EngineResult<Vec<Reply>> {
        let who = &msg.from;
        if !self.organisers.includes(who, &msg.roles) {
            return Ok(vec![Reply::private(format!(
                "Sorry, only the campaign's organisers can use {}.",
                action.as_str()
            ))]);
        }
        let selection = match organiser::parse_selection(arguments) {
            Ok(selection) => selection,
            Err(problem) => {
                return Ok(vec![Reply::private(format!(
                    "{problem}\n\n{}",
                    organiser::SELECTION_HELP
                ))]);
            }
        };
        let mut conversation = saved.unwrap_or_else(|| self.new_conversation(self.campaigns.default_campaign()));
        let campaign = self.campaign_of(Some(&conversation)).clone();
        let matched = self.storage.count_selected(&campaign.slug, &selection, action).await?;
        let described = organiser::describe_selection(&selection);
        let count = matched.held + matched.counted;
        if count == 0 {
            let what = match action {
                ReviewAction::Release => "held signatures",
                ReviewAction::Invalidate => "signatures",
            };
            return Ok(vec![Reply::private(format!(
                "No {what} match ({described}), so nothing would change."
            ))]);
        }
        let question = match action {
            ReviewAction::Release => format!(
                "{} held signature{} match ({described}). Release {} into the count? (yes or no)",
                organiser::thousands(count),
                if count == 1 { "" } else { "s" },
                if count == 1 { "it" } else { "them" }
            ),
            ReviewAction::Invalidate => format!(
                "{} signature{} match ({described}): {} held and {} counted. Invalidate {}? Invalidated signatures never count and cannot be released. (yes or no)",
                organiser::thousands(count),
                if count == 1 { "" } else { "s" },
                organiser::thousands(matched.held),
                organiser::thousands(matched.counted),
                if count == 1 { "it" } else { "them" }
            ),
        };
        if conversation.step != Step::ConfirmReview {
            conversation.resume = Some(conversation.step);
        }
        conversation.step = Step::ConfirmReview;
        conversation.pending_review = Some(PendingReview { action, selection });
        self.save(who, &conversation).await?;
        Ok(vec![Reply::private(question).with_choices(vec![
            choice(
                Step::ConfirmReview,
                Word::Yes,
                &format!("Yes, {} {}", action.as_str(), organiser::thousands(count)),
            ),
            choice(Step::ConfirmReview, Word::No, "No"),
        ])])
    }

    async fn apply_review(&self, msg: &Incoming, mut conversation: Conversation) -> EngineResult<Vec<Reply>> {
        let who = &msg.from;
        let campaign = self.campaign_of(Some(&conversation)).clone();
        let Some(pending) = conversation.pending_review.take() else {
            return self.drop_review(who, conversation).await;
        };
        // Checked again: the list may have changed since the question.
        if !self.organisers.includes(who, &msg.roles) {
            return self.drop_review(who, conversation).await;
        }
        let audit = AuditEntry {
            campaign: campaign.slug.clone(),
            actor: who.clone(),
            action: pending.action.as_str().to_owned(),
            detail: organiser::describe_selection(&pending.selection),
            affected: 0,
            at: self.clock.now(),
        };
        let outcome = self
            .storage
            .apply_review(&campaign.slug, &pending.selection, pending.action, &audit)
            .await?;
        info!(campaign = %campaign.slug, action = pending.action.as_str(), affected = outcome.affected, "organiser review applied");
        conversation.step = conversation.resume.take().unwrap_or(Step::Welcome);
        self.save(who, &conversation).await?;
        let done = match pending.action {
            ReviewAction::Release => "Released",
            ReviewAction::Invalidate => "Invalidated",
        };
        Ok(vec![Reply::private(format!(
            "{done} {} signature{}. The petition now has {}, with {} held for review.",
            organiser::thousands(outcome.affected),
            if outcome.affected == 1 { "" } else { "s" },
            progress(outcome.total, campaign.goal),
            organiser::thousands(outcome.held)
        ))])
    }

    async fn drop_review(&self, who: &Identity, mut conversation: Conversation) -> EngineResult<Vec<Reply>> {
        conversation.pending_review = None;
        conversation.step = conversation.resume.take().unwrap_or(Step::Welcome);
        self.save(who, &conversation).await?;
        Ok(vec![Reply::private("Nothing was changed.")])
    }

    // ----- groups -----

    /// In a group only commands are answered, publicly and without any
    /// personal data; signing itself is moved to a private chat.
    async fn respond_in_group(&self, msg: &Incoming) -> EngineResult<Vec<Reply>> {
        let default_slug = self.campaigns.default_campaign().slug.clone();
        match self.guards.check_message(&default_slug, &msg.from) {
            MessageVerdict::Allowed => {}
            // A group hears nothing about one member's flood.
            MessageVerdict::SlowDown { .. } | MessageVerdict::Ignore => return Ok(Vec::new()),
        }
        let word = match &msg.input {
            Input::Start { .. } => Word::Start,
            Input::Text(text) if text.trim_start().starts_with('/') => {
                let command = text.split_whitespace().next().unwrap_or("");
                match Word::parse(command) {
                    Some(word) => word,
                    None => return Ok(Vec::new()),
                }
            }
            _ => return Ok(Vec::new()),
        };
        let campaign = self.campaigns.default_campaign();
        let invitation = Link::SignPrivately {
            payload: campaign.slug.clone(),
        };
        let reply = match word {
            Word::Start | Word::Sign => {
                let total = self.storage.total(&campaign.slug).await?;
                Reply::public(format!(
                    "{}\n\nA petition to {}. {}.\n\nSign it in a private chat with me: your details are never shown here.",
                    campaign.title,
                    campaign.addressed_to(),
                    capitalise(&progress(total, campaign.goal))
                ))
                .with_link(invitation)
                .with_summary(Summary {
                    title: campaign.title.clone(),
                    statement: campaign.statement.clone(),
                    addressed_to: campaign.addressed_to(),
                    author: campaign.author.clone(),
                    total,
                    goal: campaign.goal,
                })
            }
            Word::Total => {
                let total = self.storage.total(&campaign.slug).await?;
                Reply::public(format!("\"{}\": {}.", campaign.title, progress(total, campaign.goal)))
            }
            Word::Stats | Word::Export => {
                Reply::public("Organiser commands only work in a private chat with me, so nothing is shown here.")
            }
            _ => Reply::public("To keep your details private, I only do that in a private chat with me.")
                .with_link(invitation),
        };
        Ok(vec![reply])
    }

    // ----- what to say -----

    /// A button counts only if the supporter's current question offers it,
    /// so a press on an old message, or forged data, changes nothing. Buttons
    /// that only show something are honoured from any message.
    fn interpret_choice(&self, data: &str, conversation: Option<&Conversation>) -> Said {
        let offered = self.question_or_invitation(conversation).choices;
        if let Some(choice) = offered.iter().find(|c| c.data == data) {
            return interpret_typed(&choice.typed, conversation.map(|c| c.step));
        }
        match data.split_once('.').and_then(|(_, word)| Word::parse(word)) {
            Some(word) if word.only_shows() => Said::Word(word),
            _ => Said::Expired,
        }
    }

    /// The current question, with its choices.
    fn question(&self, conversation: &Conversation) -> Reply {
        let reply = self.bare_question(conversation);
        match conversation.step {
            Step::Name | Step::Email | Step::Postcode | Step::Country | Step::ChooseChange => {
                reply.with_form(self.form_for(conversation))
            }
            _ => reply,
        }
    }

    fn bare_question(&self, conversation: &Conversation) -> Reply {
        let campaign = self.campaign_of(Some(conversation));
        let draft = &conversation.draft;
        let step = conversation.step;
        let back = || choice(step, Word::Back, "Back");
        let cancel = || choice(step, Word::Cancel, "Cancel");
        match step {
            Step::Welcome if !draft.is_empty() => Reply::private(format!(
                "Would you like to sign \"{}\"? {PART_WAY}",
                campaign.title
            ))
            .with_choices(welcome_choices(Some(conversation))),
            Step::Welcome => Reply::private(format!("Would you like to sign \"{}\"?", campaign.title))
                .with_choices(welcome_choices(Some(conversation))),
            Step::Name => Reply::private(
                "What name should appear on the petition? Please type it as you'd like it shown.",
            )
            .with_choices(vec![cancel()]),
            Step::Email => {
                let mut text = "What is your email address? We use it only to make sure each person signs once, and to send you updates if you ask for them. It is never published or shared.".to_owned();
                let mut choices = Vec::new();
                if !campaign.require_email {
                    text.push_str(" It's optional: send skip to leave it out.");
                    choices.push(choice(step, Word::Skip, "Skip"));
                }
                choices.extend([back(), cancel()]);
                Reply::private(text).with_choices(choices)
            }
            Step::Postcode => Reply::private(
                "What is your UK postcode? We keep only the first part (such as SW1A), to show where support comes from. If you live outside the UK, send outside.",
            )
            .with_choices(vec![choice(step, Word::Outside, "I live outside the UK"), back(), cancel()]),
            Step::Country => Reply::private("Which country do you live in?").with_choices(vec![back(), cancel()]),
            Step::Consent => Reply::private(format!(
                "{}\n\nDo you give this consent? (yes or no)",
                campaign.consent.wording
            ))
            .with_choices(vec![
                choice(step, Word::Yes, "Yes, I consent"),
                choice(step, Word::No, "No"),
                back(),
                cancel(),
            ]),
            Step::Updates => Reply::private(
                "Would you like occasional email updates about this campaign's progress? This is optional and separate from your signature. (yes or no)",
            )
            .with_choices(vec![
                choice(step, Word::Yes, "Yes please"),
                choice(step, Word::No, "No thanks"),
                back(),
            ]),
            Step::Review => Reply::private(format!(
                "Please check your signature before it is added:\n\n{}\n\nSend confirm to add your signature, change to correct something, or cancel.",
                describe_draft(draft)
            ))
            .with_choices(vec![
                choice(step, Word::Confirm, "Confirm and sign"),
                choice(step, Word::Change, "Change something"),
                cancel(),
            ]),
            Step::ChooseChange => {
                let mut choices = vec![
                    field_choice("name", "Name"),
                    field_choice("email", "Email"),
                    field_choice("postcode", "Where you live"),
                ];
                let mut words = "name, email, postcode".to_owned();
                if draft.email_address().is_some() {
                    choices.push(field_choice("updates", "Updates"));
                    words.push_str(" or updates");
                } else {
                    words = "name, email or postcode".to_owned();
                }
                choices.push(back());
                Reply::private(format!("What would you like to change? Send {words}.")).with_choices(choices)
            }
            Step::ConfirmReview => Reply::private("Shall I go ahead with that change? (yes or no)").with_choices(vec![
                choice(step, Word::Yes, "Yes"),
                choice(step, Word::No, "No"),
            ]),
            Step::ConfirmWithdraw => Reply::private(format!(
                "Withdrawing deletes your signature on \"{}\" and everything we hold about you for it: your name, email, area and consent record. This can't be undone. Do you want to withdraw? (yes or no)",
                campaign.title
            ))
            .with_choices(vec![
                choice(step, Word::Yes, "Yes, withdraw"),
                choice(step, Word::No, "No, keep my signature"),
            ]),
        }
    }

    /// The current question if one is open, otherwise an invitation to sign.
    fn question_or_invitation(&self, conversation: Option<&Conversation>) -> Reply {
        match conversation {
            Some(conversation) => self.question(conversation),
            None => Reply::private(format!(
                "Would you like to sign \"{}\"?",
                self.campaigns.default_campaign().title
            ))
            .with_choices(welcome_choices(None)),
        }
    }

    fn not_understood(&self, conversation: Option<&Conversation>) -> Reply {
        self.question_or_invitation(conversation)
            .prefixed("Sorry, I didn't understand that. Please pick one of the choices below, or send help.")
    }

    fn help(&self, conversation: Option<&Conversation>) -> Reply {
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
        match conversation {
            Some(conversation) if conversation.step != Step::Welcome => self
                .question(conversation)
                .prefixed(&format!("{COMMANDS}\n\nWhere we were:")),
            _ => Reply::private(COMMANDS).with_choices(welcome_choices(conversation)),
        }
    }
}

fn interpret_typed(text: &str, step: Option<Step>) -> Said {
    let text = text.trim();
    let mut parts = text.splitn(2, char::is_whitespace);
    let first = parts.next().unwrap_or("");
    let rest = parts.next().map(str::trim).filter(|r| !r.is_empty());
    if first.trim_start_matches('/').eq_ignore_ascii_case("start") {
        return Said::Start(rest.map(str::to_owned));
    }
    for action in [ReviewAction::Release, ReviewAction::Invalidate] {
        if first.trim_start_matches('/').eq_ignore_ascii_case(action.as_str()) {
            return Said::Review(action, rest.unwrap_or("").to_owned());
        }
    }
    if first.starts_with('/') {
        return match Word::parse(first) {
            Some(word) => Said::Word(word),
            None => Said::UnknownCommand,
        };
    }
    let expects_text = step.is_some_and(Step::expects_text);
    match Word::parse(text) {
        Some(word) if word.is_global() || !expects_text => Said::Word(word),
        Some(Word::Skip) => Said::Word(Word::Skip),
        Some(Word::Outside) if step == Some(Step::Postcode) => Said::Word(Word::Outside),
        _ => Said::Text(text.to_owned()),
    }
}

fn slow_down(wait: std::time::Duration) -> Reply {
    Reply::private(format!(
        "You're sending messages faster than I can answer them. Please wait {} and try again; until then I won't reply.",
        describe_wait(wait)
    ))
}

/// A form's "where you live": a UK postcode, or a country.
fn parse_location(text: &str) -> Result<LocationAnswer, crate::domain::Rejection> {
    if let Ok(district) = PostcodeDistrict::parse(text) {
        return Ok(LocationAnswer::District(district.as_str().to_owned()));
    }
    if Word::parse(text) == Some(Word::Outside) {
        return Err(crate::domain::Rejection(
            "please type the name of the country you live in.",
        ));
    }
    match Country::parse(text) {
        Ok(country) => Ok(LocationAnswer::Country(country.as_str().to_owned())),
        Err(CountryRejection::InTheUk) => Err(crate::domain::Rejection(
            "that's in the UK, so please give your postcode, such as SW1A 1AA.",
        )),
        Err(CountryRejection::Invalid(_)) => Err(crate::domain::Rejection(
            "that isn't a UK postcode or a country I recognise. Type a postcode such as SW1A 1AA, or the name of your country.",
        )),
    }
}

fn already_signed(campaign: &Campaign, signature: &Signature) -> Reply {
    Reply::private(format!(
        "You have already signed \"{}\", on {} on {}. Each person can sign once, so there is nothing more to do. Send mydata to see what we hold, or withdraw to remove your signature.",
        campaign.title,
        day(signature.created_at),
        signature.identity.platform.display_name()
    ))
}

fn choice(step: Step, word: Word, label: &str) -> Choice {
    Choice {
        label: label.to_owned(),
        data: format!("{}.{}", step.tag(), word.as_str()),
        typed: word.as_str().to_owned(),
    }
}

fn field_choice(field: &str, label: &str) -> Choice {
    Choice {
        label: label.to_owned(),
        data: format!("{}.{field}", Step::ChooseChange.tag()),
        typed: field.to_owned(),
    }
}

/// The welcome's choices. With answers already typed, signing picks up
/// where they left off, and the first choice says so. It carries the same
/// data as "Sign the petition", so a press is honoured whichever of the two
/// welcomes it was on.
fn welcome_choices(conversation: Option<&Conversation>) -> Vec<Choice> {
    let sign = if conversation.is_some_and(|c| !c.draft.is_empty()) {
        "Continue where you left off"
    } else {
        "Sign the petition"
    };
    vec![
        choice(Step::Welcome, Word::Sign, sign),
        choice(Step::Welcome, Word::Article, "Read the article"),
        choice(Step::Welcome, Word::Privacy, "Privacy"),
    ]
}

fn welcome_text(campaign: &Campaign, total: u64) -> String {
    format!(
        "{}\n\nA petition to {}:\n\n\"{}\"\n\n{}\n\nStarted by {}. {}.",
        campaign.title,
        campaign.addressed_to(),
        campaign.statement,
        campaign.summary,
        campaign.author,
        capitalise(&progress(total, campaign.goal))
    )
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn day(at: DateTime<Utc>) -> String {
    at.format("%-d %B %Y").to_string()
}

fn moment(at: DateTime<Utc>) -> String {
    at.format("%-d %B %Y at %H:%M UTC").to_string()
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

fn describe_draft(draft: &Draft) -> String {
    let email = match &draft.email {
        Some(EmailAnswer::Given(address)) => address.clone(),
        Some(EmailAnswer::Skipped) => "not given".to_owned(),
        None => "not yet given".to_owned(),
    };
    let location = match &draft.location {
        Some(LocationAnswer::District(district)) => PostcodeDistrict::from_trusted(district.clone()).describe(),
        Some(LocationAnswer::Country(country)) => country.clone(),
        None => "not yet given".to_owned(),
    };
    let consent = match &draft.consent {
        Some(consent) => format!("given on {} (wording version {})", moment(consent.at), consent.version),
        None => "not yet given".to_owned(),
    };
    let updates = draft.updates.map_or("not yet answered", yes_no);
    format!(
        "Name: {}\nEmail: {email}\nWhere: {location}\nConsent: {consent}\nUpdates by email: {updates}",
        draft.name.as_deref().unwrap_or("not yet given")
    )
}

fn describe_signature(signature: &Signature) -> String {
    format!(
        "Your signature, added on {} on {} ({}):\nName: {}\nEmail: {}\nWhere: {}\nUpdates by email: {}\nConsent: given on {} (wording version {})\nShare code you arrived with: {}\nYour share code: {}\nYour account: {} on {}",
        moment(signature.created_at),
        signature.identity.platform.display_name(),
        match signature.status {
            SignatureStatus::Counted => "counted",
            SignatureStatus::Held(_) => "held for review, not yet counted",
            SignatureStatus::Invalidated => "not counted",
        },
        signature.name.as_str(),
        signature.email.as_ref().map_or("not given", Email::as_str),
        signature.location.describe(),
        yes_no(signature.updates_opt_in),
        moment(signature.consent_at),
        signature.consent_version,
        signature.referral_code.as_ref().map_or("none", ShareCode::as_str),
        signature.share_code.as_str(),
        signature.identity.user_id,
        signature.identity.platform.display_name()
    )
}
