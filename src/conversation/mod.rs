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
//! < Would you like updates about this campaign? ... [Yes please] [No thanks]
//! > no
//! < Please check your signature ... [Confirm and sign] [Change something] [Cancel]
//! > confirm
//! < Thank you, Ada Lovelace! ... Your share code is ABCD2345 ...
//! ```
//!
//! At any step a supporter can type `cancel`, `back` or `help`, and at any
//! time `status`, `withdraw`, `mydata`, `privacy`, `article`, `total`,
//! `stop` (no more updates) or `updates on`. Organisers can also ask for
//! `stats` and `export`, and write an `update` to signers. Every answer is checked
//! before the conversation moves on; the state is saved in the database after
//! every change, so a restart resumes where the supporter left off.
//!
//! # Layout
//!
//! By job. [`Engine`] is a [`Context`] (what every job works with: the
//! campaigns, organisers, language, storage, clock and limits), the state
//! each stateful job keeps, and `handle`. A job with no state of its own is
//! a method of the context (what each question asks, refusals); one with
//! state adds methods to the engine in its file.
//!
//! - `mod.rs`: the engine, its jobs' state, and the per-supporter locking.
//! - `context.rs`: the context, and loading and saving the conversation.
//! - `routing.rs`: reading what a message says and handing it to the job
//!   that answers it.
//! - `incoming.rs` and `reply.rs`: what adapters hand in and get back.
//! - `state.rs`: the saved conversation: the step (a supporter's question,
//!   or an organiser's [`Confirmation`]) and the answers so far.
//! - `words.rs`: the words a supporter can type or press, as the engine
//!   reads them from the command table.
//! - `supporters/`: the welcome and start links, each signing question and
//!   its answers, the details in one message, what each question asks, and
//!   the words that work at any step (status, withdraw, mydata, privacy,
//!   article, total, help, cancel, back, stop and updates on).
//! - `organisers/`: organiser commands and the review of held signatures,
//!   updates to signers, closing and reopening, the goal, milestones and
//!   the progress message, their confirmations (`mod.rs`), and the
//!   services the outbox, the web server and the command line call
//!   (`services.rs`).
//! - `holds.rs`: which signatures are held for review, and the alerts.
//! - `group.rs`: what is said in group chats.
//! - `meter.rs`: the replies just handed out.
//! - `arrival.rs`: what happens as a message arrives, before it waits its
//!   turn: the per-person limit, the pace each platform's messages wait
//!   for, a surge's wait, and replies that could not be delivered.
//! - `error.rs`: refusals the person is told about, and failures they get
//!   an apology for while the log gets the cause.
//!
//! Every sentence a reply carries comes from the [`crate::messages`]
//! catalogue, in the engine's language.

mod arrival;
mod context;
mod error;
mod group;
mod holds;
mod incoming;
mod meter;
mod organisers;
mod reply;
mod routing;
mod state;
mod supporters;
#[cfg(test)]
mod tests;
mod words;

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tracing::{Instrument, info_span};

pub use arrival::Arrival;
pub use context::Context;
pub use incoming::{FormAnswers, FormConsent, Incoming, Input};
pub use meter::{REPLY_WINDOW, ReplyMeter};
pub use organisers::lifecycle::{SCHEDULE, Standing, standing_of};
pub use organisers::milestones::{ProgressNow, ReachedMilestone};
pub use reply::{Attachment, Choice, FieldProblem, Form, FormField, Link, Placement, Reply, Summary, Visibility};
pub use state::{CompleteDraft, Confirmation, ConsentAnswer, Conversation, Draft, EmailAnswer, PendingReview, Step};
pub use words::Word;

use crate::clock::Clock;
use crate::config::Settings;
use crate::domain::Identity;
use crate::limits::{Guards, SIGNING_ATTEMPTS_WINDOW};
use crate::messages::{Language, Message};
use crate::metrics;
use crate::organiser::Organisers;
use crate::pace::Paces;
use crate::storage::{Storage, StorageError};
use error::EngineError;

/// The choice that confirms a signing at the review, if `reply` offers it:
/// a web form shows the review and sends this choice back.
pub fn confirmation(reply: &Reply) -> Option<&Choice> {
    let confirm = format!("{}.{}", Step::Review.tag(), Word::Confirm.as_str());
    reply.choices.iter().find(|choice| choice.data == confirm)
}

/// Separates the campaign slug from the share code in a start payload.
pub const PAYLOAD_SEPARATOR: &str = "__";

/// The apology shown when something fails inside, in English; the cause
/// goes to the log. (The engine words it in its own language.)
pub const SOMETHING_WENT_WRONG: &str = crate::messages::SOMETHING_WENT_WRONG;

/// Independent locks that serialise the messages of one supporter, so two
/// quick taps cannot both read the same state and overwrite each other.
/// Striped rather than one per person, so memory does not grow with the
/// number of supporters.
const LOCK_STRIPES: usize = 4096;

/// The signing conversation: reads a message, updates the supporter's
/// saved state, and says what to reply.
pub struct Engine {
    /// What every job works with (see `context.rs`).
    cx: Context,
    abandon_after: chrono::Duration,
    /// See [`LOCK_STRIPES`].
    stripes: Vec<tokio::sync::Mutex<()>>,
    /// Alerts for organisers' chats; adapters subscribe.
    alerts: tokio::sync::broadcast::Sender<Alert>,
    /// When each campaign last raised a surge alert, so a surge raises one
    /// alert a minute rather than one per signature.
    last_surge_alert: std::sync::Mutex<std::collections::HashMap<String, DateTime<Utc>>>,
    /// Woken when an organiser queues or cancels an update, so this
    /// process's outbox senders act at once rather than at their next look.
    outbox_wake: Arc<tokio::sync::Notify>,
    /// Replies just handed out on each platform.
    replies: ReplyMeter,
    /// Campaigns closed, reopened, delivered, anonymised (see `organisers/lifecycle.rs`).
    lifecycles: organisers::lifecycle::Lifecycles,
    /// The goals organisers set, read from the database (which every
    /// process shares) at start-up and at each look for milestones.
    goals: organisers::milestones::Goals,
    /// Milestones this process claimed; see [`ReachedMilestone`].
    milestones: tokio::sync::broadcast::Sender<ReachedMilestone>,
    /// Each platform's one pace, which every message to it waits for
    /// (replies, progress, alerts, broadcasts): shared by the adapters and
    /// the outbox, and read for the wait a new supporter faces.
    paces: Paces,
    /// People whose last reply could not be delivered, and since when:
    /// their next press on an old button gets their current question
    /// (see `arrival.rs`).
    owed: std::sync::Mutex<std::collections::HashMap<Identity, DateTime<Utc>>>,
}

impl std::ops::Deref for Engine {
    type Target = Context;

    fn deref(&self) -> &Context {
        &self.cx
    }
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

type EngineResult<T> = Result<T, EngineError>;

impl Engine {
    /// An engine over the configured campaigns and organisers.
    pub fn new(settings: &Settings, storage: Arc<Storage>, clock: Arc<dyn Clock>) -> Self {
        Self {
            cx: Context {
                campaigns: settings.campaigns.clone(),
                organisers: Organisers::from_settings(&settings.organisers),
                language: Language::default(),
                storage,
                guards: Guards::new(
                    settings.campaigns.iter().map(|c| (c.slug.as_str(), &c.limits)),
                    clock.clone(),
                ),
                web_base: settings
                    .web
                    .public_base()
                    .filter(|_| !settings.web.listen.trim().is_empty())
                    .map(str::to_owned),
                clock,
            },
            abandon_after: chrono::Duration::hours(i64::from(settings.conversation.abandon_after_hours)),
            stripes: (0..LOCK_STRIPES).map(|_| tokio::sync::Mutex::new(())).collect(),
            alerts: tokio::sync::broadcast::channel(64).0,
            last_surge_alert: std::sync::Mutex::new(std::collections::HashMap::new()),
            outbox_wake: Arc::new(tokio::sync::Notify::new()),
            replies: ReplyMeter::default(),
            lifecycles: organisers::lifecycle::Lifecycles::default(),
            goals: organisers::milestones::Goals::default(),
            milestones: tokio::sync::broadcast::channel(64).0,
            paces: Paces::from_settings(settings),
            owed: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// Alerts for organisers' chats, from now on.
    pub fn subscribe_alerts(&self) -> tokio::sync::broadcast::Receiver<Alert> {
        self.alerts.subscribe()
    }

    /// Drops limiter entries that no longer matter; run on a timer.
    pub fn prune_limits(&self) {
        let now = self.clock.now();
        self.guards.prune(now);
        self.forget_old_debts(now);
    }

    /// People the limiters currently remember.
    pub fn remembered_by_limits(&self) -> usize {
        self.guards.remembered()
    }

    /// Records every campaign's consent wording and makes sure each has a
    /// total. Run once at start-up; fails if a consent version was reused.
    pub async fn register_campaigns(&self) -> Result<(), StorageError> {
        for campaign in self.campaigns.iter() {
            self.storage
                .register_campaign(&campaign.slug, campaign.consent.version, &campaign.consent.wording)
                .await?;
        }
        self.start_milestones().await?;
        self.refresh_lifecycles().await
    }

    /// Replies handed out in the last second, per platform.
    pub fn replies(&self) -> &ReplyMeter {
        &self.replies
    }

    /// Woken whenever an update is queued or cancelled in this process.
    pub fn outbox_wake(&self) -> Arc<tokio::sync::Notify> {
        self.outbox_wake.clone()
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
        self.handle_counted(incoming, true).await
    }

    /// [`Engine::handle`] for an adapter whose replies do not go to the
    /// sender's platform: the Mini App answers in its own page, so its
    /// replies take nothing from the platform's limit that updates share
    /// (the one message it sends to the chat counts itself).
    pub async fn handle_off_platform(&self, incoming: Incoming) -> Vec<Reply> {
        let who = incoming.from.clone();
        let mut replies = self.handle_counted(incoming, false).await;
        // A form's review is confirmed by its buttons, not by typing.
        if replies.iter().any(|reply| confirmation(reply).is_some())
            && let Ok(Some(conversation)) = self.load(&who).await
            && conversation.step == Step::Review
        {
            let review = self.say(Message::AskToConfirmInAForm {
                answers: supporters::questions::answers_of(&conversation.draft),
            });
            for reply in replies.iter_mut().filter(|reply| confirmation(reply).is_some()) {
                reply.text = review.clone();
            }
        }
        replies
    }

    async fn handle_counted(&self, incoming: Incoming, sent_on_the_platform: bool) -> Vec<Reply> {
        let span = info_span!(
            "conversation",
            platform = %incoming.from.platform,
            user = %incoming.from.log_id()
        );
        async {
            // Measured from arrival, so the time waiting for the person's
            // turn counts too.
            let arrived = std::time::Instant::now();
            metrics::message_received(incoming.from.platform, input_kind(&incoming.input));
            let _turn = self.stripes[self.stripe(&incoming.from)].lock().await;
            let replies = match self
                .respond(&incoming)
                .await
                .or_else(|error| self.refusal(error).map(|reply| vec![reply]))
            {
                Ok(replies) => replies,
                Err(error) => {
                    tracing::error!(%error, "could not handle a message");
                    metrics::error(match error {
                        EngineError::Storage(_) => metrics::ErrorKind::Storage,
                        _ => metrics::ErrorKind::Internal,
                    });
                    vec![Reply::private(self.say(Message::SomethingWentWrong))]
                }
            };
            if sent_on_the_platform {
                self.replies.record(incoming.from.platform, replies.len());
            }
            metrics::answered(incoming.from.platform, replies.len(), arrived.elapsed());
            replies
        }
        .instrument(span)
        .await
    }

    fn stripe(&self, who: &Identity) -> usize {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        who.hash(&mut hasher);
        (hasher.finish() as usize) % self.stripes.len()
    }
}

/// What kind of input a message is, for the metrics (never what it says).
fn input_kind(input: &Input) -> metrics::InputKind {
    match input {
        Input::Text(_) => metrics::InputKind::Text,
        Input::Choice(_) => metrics::InputKind::Button,
        Input::Start { .. } => metrics::InputKind::Start,
        Input::Form(_) => metrics::InputKind::Form,
    }
}
