//! Sends updates to signers from the durable outbox in the database, one
//! sender per platform per process.
//!
//! Every recipient of an update has a delivery row. A sender holds a lease
//! on an update's deliveries on its platform (so several processes on one
//! database never both send), marks a small batch as in flight and commits
//! that before sending any of it, then records each outcome. A sender that
//! dies mid-batch leaves its in-flight rows behind; whoever takes the lease
//! next records them as unknown and never sends them again. So nobody gets
//! an update twice, and at most one batch is unknown per death.
//!
//! Its couriers send in turn with everything else the bot sends, through
//! the platform's one pace ([`crate::pace`]) at the lowest priority: a
//! broadcast never delays a reply. A recipient who blocked the bot or refuses direct
//! messages is marked unreachable and not retried; transient failures are
//! retried with a growing wait. The organiser who sent the update sees its
//! progress in one message edited in place, then a summary.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tracing::{info, warn};

use crate::conversation::Engine;
use crate::domain::Platform;
use crate::messages::{Message, UpdateMessage};
use crate::metrics;
use crate::storage::{DeliveryResult, StorageResult, StoredUpdate, UpdateState};

/// How long a lease lasts unless renewed; a sender renews it every batch.
const LEASE: Duration = Duration::from_secs(30);
/// How often a sender looks for work when nothing wakes it.
const LOOK_EVERY: Duration = Duration::from_secs(2);
/// How often a sender looks whether the update it sends was cancelled.
const LOOK_FOR_CANCELLING_EVERY: Duration = Duration::from_secs(1);
/// The progress message is edited at most this often.
const PROGRESS_EVERY: Duration = Duration::from_secs(3);
/// Tries before a delivery that keeps failing is given up on.
const MOST_ATTEMPTS: u32 = 5;
/// Tries before a delivery that keeps meeting rate limits is given up on.
const MOST_RATE_LIMITED_ATTEMPTS: u32 = 20;

/// What became of one message handed to a platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// Accepted.
    Delivered,
    /// The recipient blocked the bot, left, or refuses direct messages.
    Unreachable,
    /// Rate limited: nothing was sent; wait this long before sending more.
    RetryAfter(Duration),
    /// A failure that may pass: a server error, a timeout.
    Transient,
}

/// A platform's way of delivering updates and showing their progress.
#[async_trait]
pub trait Courier: Send + Sync + 'static {
    /// The platform.
    fn platform(&self) -> Platform;

    /// The most messages a second the platform allows this bot overall.
    fn per_second(&self) -> u32;

    /// How many messages go out at once, at most: also how many can be
    /// unknown if the process dies.
    fn batch(&self) -> u32 {
        (self.per_second() / 4).clamp(1, 64)
    }

    /// Sends an update to a signer (by their platform user id), with a way
    /// to stop updates.
    async fn send_update(&self, user_id: &str, text: &str) -> Sent;

    /// Posts an announcement (a campaign's closing) in one of its
    /// announcement chats: a group, a channel.
    async fn announce(&self, chat: &str, text: &str) -> Sent;

    /// Posts, or with the id of one posted before edits, the progress
    /// message in an organiser's private chat; returns its id.
    async fn show_progress(&self, user_id: &str, message: Option<&str>, text: &str) -> Result<String, String>;

    /// Tells an organiser something in their private chat.
    async fn tell(&self, user_id: &str, text: &str) -> Result<(), String>;
}

/// How a delivery to an announcement chat names its recipient: `chat:<id>`.
const CHAT: &str = "chat:";

/// An update's text as signers receive it (with how to stop updates), and
/// as a chat is told it.
struct Texts {
    to_signers: String,
    to_chats: String,
}

/// One platform's sender.
pub struct Sender {
    engine: Arc<Engine>,
    courier: Arc<dyn Courier>,
    /// Names this sender in leases; new with every process.
    owner: String,
    /// Updates this sender has held a lease on: deliveries in flight on
    /// one it takes up afresh were left by another sender.
    taken_up: HashSet<i64>,
    /// Set when the process is stopping: the batch in hand is finished
    /// and recorded, and no other is begun.
    stopping: tokio::sync::watch::Receiver<bool>,
    /// When each update's progress message was last shown by this sender.
    progress_shown: HashMap<i64, tokio::time::Instant>,
}

/// Asks a running [`Sender`] to stop once the batch in hand is recorded.
pub struct StopSending(tokio::sync::watch::Sender<bool>);

impl StopSending {
    /// Asks it to stop.
    pub fn stop(&self) {
        let _ = self.0.send(true);
    }
}

impl Sender {
    /// A sender for `courier`'s platform, pacing itself around the engine's
    /// replies.
    pub fn new(engine: Arc<Engine>, courier: Arc<dyn Courier>) -> (Self, StopSending) {
        let (stop, stopping) = tokio::sync::watch::channel(false);
        let sender = Self {
            engine,
            courier,
            owner: format!("{}-{:016x}", std::process::id(), rand::random::<u64>()),
            taken_up: HashSet::new(),
            stopping,
            progress_shown: HashMap::new(),
        };
        (sender, StopSending(stop))
    }

    /// Sends whatever the outbox holds for this platform until asked to stop.
    pub async fn run(mut self) {
        let wake = self.engine.outbox_wake();
        let mut stopping = self.stopping.clone();
        while !*stopping.borrow() {
            let woken = wake.notified();
            if let Err(error) = self.work().await {
                warn!(%error, platform = %self.courier.platform(), "could not send updates");
            }
            tokio::select! {
                _ = tokio::time::timeout(LOOK_EVERY, woken) => {}
                _ = stopping.changed() => {}
            }
        }
    }

    fn is_stopping(&self) -> bool {
        *self.stopping.borrow()
    }

    /// One look at the outbox: every open update, as far as it can go now.
    pub async fn work(&mut self) -> StorageResult<()> {
        for update in self.engine.storage().open_updates().await? {
            if update.state == UpdateState::Sending {
                self.send(&update).await?;
            }
            self.close(update.id).await?;
        }
        Ok(())
    }

    fn now(&self) -> DateTime<Utc> {
        self.engine.clock().now()
    }

    /// Sends an update's deliveries on this platform while this sender
    /// holds its lease and it is not cancelled.
    async fn send(&mut self, update: &StoredUpdate) -> StorageResult<()> {
        let storage = self.engine.storage().clone();
        let platform = self.courier.platform();
        let Some(campaign) = self.engine.campaigns().get(&update.campaign).cloned() else {
            return Ok(());
        };
        let texts = Texts {
            to_signers: self.engine.update_as_sent(&campaign, &update.text),
            to_chats: update.text.clone(),
        };
        let mut last_look = None;
        while !self.is_stopping() {
            let now = self.now();
            if !storage
                .claim_update(update.id, platform, &self.owner, now, now + LEASE)
                .await?
            {
                return Ok(());
            }
            if self.taken_up.insert(update.id) {
                let unknown = storage.mark_in_flight_unknown(update.id, platform).await?;
                if unknown > 0 {
                    warn!(update = update.id, %platform, unknown, "deliveries left in flight by an earlier sender are recorded as unknown");
                }
            }
            // Cancelled meanwhile? Reading an update counts its deliveries,
            // so at a thousand a second it is looked at once a second, not
            // every batch.
            if last_look.is_none_or(|at: tokio::time::Instant| at.elapsed() >= LOOK_FOR_CANCELLING_EVERY) {
                last_look = Some(tokio::time::Instant::now());
                let current = storage.stored_update(update.id).await?;
                if current.as_ref().is_none_or(|u| u.state != UpdateState::Sending) {
                    metrics::outbox_waiting(platform, 0);
                    return Ok(());
                }
                if let Some(current) = &current {
                    metrics::outbox_waiting(platform, current.counts.pending);
                }
            }
            let batch = storage
                .take_deliveries(update.id, platform, now, self.courier.batch())
                .await?;
            if batch.is_empty() {
                metrics::outbox_waiting(platform, 0);
                // Nothing more here; the organiser still sees how the
                // other platforms' deliveries go.
                if !storage.finish_update_if_done(update.id, self.now()).await? {
                    self.show_progress_if_due(update).await?;
                }
                return Ok(());
            }
            let results = self.deliver(&texts, batch).await;
            storage.record_deliveries(update.id, platform, &results).await?;
            self.show_progress_if_due(update).await?;
        }
        Ok(())
    }

    /// Sends one batch, each message in its turn at the platform's pace;
    /// what became of each.
    async fn deliver(&mut self, texts: &Texts, batch: Vec<(String, u32)>) -> Vec<(String, DeliveryResult)> {
        let mut sending = Vec::with_capacity(batch.len());
        for (user_id, attempts) in batch {
            let courier = self.courier.clone();
            let chat = user_id.strip_prefix(CHAT).map(str::to_owned);
            let text = if chat.is_some() {
                &texts.to_chats
            } else {
                &texts.to_signers
            }
            .clone();
            sending.push(tokio::spawn(async move {
                let sent = match chat {
                    Some(chat) => courier.announce(&chat, &text).await,
                    None => courier.send_update(&user_id, &text).await,
                };
                (user_id, attempts, sent)
            }));
        }
        let mut results = Vec::with_capacity(sending.len());
        let mut pause = Duration::ZERO;
        for task in sending {
            let Ok((user_id, attempts, sent)) = task.await else {
                continue;
            };
            let now = self.now();
            let platform = self.courier.platform();
            if sent == Sent::Transient {
                metrics::error(metrics::ErrorKind::Send(platform));
            }
            let result = match sent {
                Sent::Delivered => DeliveryResult::Sent,
                Sent::Unreachable => DeliveryResult::Unreachable,
                Sent::RetryAfter(wait) if attempts < MOST_RATE_LIMITED_ATTEMPTS => {
                    pause = pause.max(wait);
                    DeliveryResult::RetryAt(now + wait)
                }
                Sent::Transient if attempts < MOST_ATTEMPTS => {
                    DeliveryResult::RetryAt(now + Duration::from_secs(2u64.pow(attempts.min(8))))
                }
                Sent::RetryAfter(_) | Sent::Transient => DeliveryResult::Failed,
            };
            metrics::outbox_delivered(
                platform,
                match result {
                    DeliveryResult::Sent => metrics::Delivered::Sent,
                    DeliveryResult::Unreachable => metrics::Delivered::Unreachable,
                    DeliveryResult::RetryAt(_) => metrics::Delivered::Retry,
                    DeliveryResult::Failed => metrics::Delivered::Failed,
                },
            );
            results.push((user_id, result));
        }
        if !pause.is_zero() {
            info!(?pause, platform = %self.courier.platform(), "rate limited: the outbox waits");
            tokio::time::sleep(pause).await;
        }
        results
    }

    /// Shows the progress of an update this platform's organiser sent, at
    /// most every [`PROGRESS_EVERY`].
    async fn show_progress_if_due(&mut self, update: &StoredUpdate) -> StorageResult<()> {
        let due = self
            .progress_shown
            .get(&update.id)
            .is_none_or(|at| at.elapsed() >= PROGRESS_EVERY);
        if !due || update.author.platform != self.courier.platform() {
            return Ok(());
        }
        self.progress_shown.insert(update.id, tokio::time::Instant::now());
        self.show_progress(update.id).await
    }

    /// Edits (or first posts) the organiser's progress message (in its
    /// turn, ahead of the updates).
    async fn show_progress(&mut self, id: i64) -> StorageResult<()> {
        let storage = self.engine.storage();
        let Some(update) = storage.stored_update(id).await? else {
            return Ok(());
        };
        let left = Duration::from_secs_f64(update.counts.remaining() as f64 / f64::from(self.courier.per_second()));
        let text = Message::Update(UpdateMessage::Progress {
            id,
            counts: update.counts,
            left: Some(left),
        })
        .text(self.engine.language());
        match self
            .courier
            .show_progress(&update.author.user_id, update.progress_message.as_deref(), &text)
            .await
        {
            Ok(message) if update.progress_message.as_deref() != Some(message.as_str()) => {
                storage.set_progress_message(id, &message).await?;
            }
            Ok(_) => {}
            Err(error) => warn!(update = id, %error, "could not show an update's progress"),
        }
        Ok(())
    }

    /// Once an update is finished or cancelled, its organiser gets the last
    /// progress and the summary, once, from the sender on their platform.
    async fn close(&mut self, id: i64) -> StorageResult<()> {
        let storage = self.engine.storage().clone();
        let Some(update) = storage.stored_update(id).await? else {
            return Ok(());
        };
        let platform = self.courier.platform();
        if update.state == UpdateState::Sending || update.summary_posted {
            return Ok(());
        }
        self.progress_shown.remove(&id);
        // Nobody can be told at the console or the command line.
        if !update.author.platform.can_receive_updates() {
            storage.mark_summary_posted(id).await?;
            return Ok(());
        }
        if update.author.platform != platform || !storage.mark_summary_posted(id).await? {
            return Ok(());
        }
        info!(
            update = id,
            sent = update.counts.sent,
            unreachable = update.counts.unreachable,
            unknown = update.counts.unknown,
            "update done"
        );
        let language = self.engine.language();
        self.show_progress(id).await?;
        let summary = Message::Update(UpdateMessage::Summary { update: &update }).text(language);
        if let Err(error) = self.courier.tell(&update.author.user_id, &summary).await {
            warn!(update = id, %error, "could not tell an organiser an update is done");
        }
        Ok(())
    }
}
