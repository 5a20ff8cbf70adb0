//! Updates to signers: what the outbox stores and the trait it is kept
//! behind. Every recipient of every update has a delivery row with its
//! state, so a sender that stops, however it stops, is resumed by the next
//! without anyone receiving an update twice (see `crate::outbox`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{AuditEntry, StorageError, StorageResult};
use crate::domain::{Identity, Platform};

/// An update an organiser has confirmed, about to be stored with its recipients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUpdate {
    /// The campaign whose opted-in signers receive it.
    pub campaign: String,
    /// What the organiser wrote (the footer on stopping updates is added
    /// when it is sent).
    pub text: String,
    /// Who confirmed it; where its progress is shown.
    pub author: Identity,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Where an update stands as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateState {
    /// Deliveries are still waiting or in flight.
    Sending,
    /// Every delivery has an outcome.
    Finished,
    /// An organiser stopped it; deliveries still waiting were dropped.
    Cancelled,
}

impl UpdateState {
    pub(crate) fn parse(value: &str) -> StorageResult<Self> {
        match value {
            "sending" => Ok(UpdateState::Sending),
            "finished" => Ok(UpdateState::Finished),
            "cancelled" => Ok(UpdateState::Cancelled),
            other => Err(StorageError::Corrupt(format!("unknown update state {other:?}"))),
        }
    }
}

/// How an update's deliveries stand, counted by state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeliveryCounts {
    /// Not sent yet (including those waiting to retry after a failure).
    pub pending: u64,
    /// Handed to the platform, outcome not yet recorded.
    pub sending: u64,
    /// The platform accepted them.
    pub sent: u64,
    /// The recipient blocked the bot or refuses direct messages.
    pub unreachable: u64,
    /// In flight when a sender stopped: perhaps delivered, never re-sent.
    pub unknown: u64,
    /// Failed every retry.
    pub failed: u64,
    /// Dropped: the update was cancelled or the signer stopped updates.
    pub cancelled: u64,
}

impl DeliveryCounts {
    /// Deliveries still to happen.
    pub fn remaining(&self) -> u64 {
        self.pending + self.sending
    }

    /// Every delivery, whatever its state.
    pub fn total(&self) -> u64 {
        self.remaining() + self.sent + self.unreachable + self.unknown + self.failed + self.cancelled
    }

    pub(crate) fn add(&mut self, state: &str, count: u64) -> StorageResult<()> {
        let slot = match state {
            "pending" => &mut self.pending,
            "sending" => &mut self.sending,
            "sent" => &mut self.sent,
            "unreachable" => &mut self.unreachable,
            "unknown" => &mut self.unknown,
            "failed" => &mut self.failed,
            "cancelled" => &mut self.cancelled,
            other => return Err(StorageError::Corrupt(format!("unknown delivery state {other:?}"))),
        };
        *slot += count;
        Ok(())
    }
}

/// A stored update and how its deliveries stand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUpdate {
    /// Its number, counting up across campaigns.
    pub id: i64,
    /// The campaign.
    pub campaign: String,
    /// What the organiser wrote.
    pub text: String,
    /// Who confirmed it.
    pub author: Identity,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Where it stands.
    pub state: UpdateState,
    /// When it finished or was cancelled.
    pub finished_at: Option<DateTime<Utc>>,
    /// The organiser's progress message, once posted.
    pub progress_message: Option<String>,
    /// Whether the closing summary has been posted.
    pub summary_posted: bool,
    /// Its deliveries, all platforms together.
    pub counts: DeliveryCounts,
}

/// What became of one message a sender handed to its platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryResult {
    /// Accepted by the platform.
    Sent,
    /// Never to be retried: the recipient blocked the bot or refuses DMs.
    Unreachable,
    /// A transient failure: try again, no earlier than this.
    RetryAt(DateTime<Utc>),
    /// Failed too often to try again.
    Failed,
}

/// The durable outbox of updates to signers.
#[async_trait]
pub trait UpdateStore: Send + Sync {
    /// How many signers of a campaign would receive an update now, per
    /// platform (in the order of [`Platform::ALL`]): those who asked for
    /// updates, on a platform that can reach them, whose signature was not
    /// invalidated.
    async fn update_reach(&self, campaign: &str) -> StorageResult<Vec<(Platform, u64)>>;

    /// Stores an update, a waiting delivery for every signer it reaches, and
    /// the audit line, in one transaction; returns the update's number and
    /// how many deliveries it has.
    async fn create_update(&self, update: &NewUpdate, audit: &AuditEntry) -> StorageResult<(i64, u64)>;

    /// Turns a signer's updates on or off, on one campaign or (with `None`)
    /// every campaign they signed; turning them off also drops every
    /// delivery still waiting for them. Turning them on records `wording`,
    /// the version of the question they have now answered. Returns how many
    /// signatures changed.
    async fn set_updates_opt_in(
        &self,
        campaign: Option<&str>,
        who: &Identity,
        opt_in: bool,
        wording: u32,
    ) -> StorageResult<u64>;

    /// Updates a sender still has work on: sending, or finished or
    /// cancelled with the summary not yet posted. Oldest first.
    async fn open_updates(&self) -> StorageResult<Vec<StoredUpdate>>;

    /// One update, by number.
    async fn stored_update(&self, id: i64) -> StorageResult<Option<StoredUpdate>>;

    /// A campaign's updates, newest first, at most `limit`.
    async fn recent_updates(&self, campaign: &str, limit: u32) -> StorageResult<Vec<StoredUpdate>>;

    /// Takes or renews the lease to send update `id` on `platform` until
    /// `until`, unless another owner holds one that has not expired at
    /// `now`. Returns whether `owner` holds it.
    async fn claim_update(
        &self,
        id: i64,
        platform: Platform,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StorageResult<bool>;

    /// Records deliveries left in flight by an earlier sender of update
    /// `id` on `platform` as unknown; returns how many.
    async fn mark_in_flight_unknown(&self, id: i64, platform: Platform) -> StorageResult<u64>;

    /// Marks up to `limit` waiting deliveries of update `id` on `platform`
    /// that are due at `now` as in flight, committed before any is sent,
    /// and returns their recipients' user ids with how many times each has
    /// now been tried (this time included).
    async fn take_deliveries(
        &self,
        id: i64,
        platform: Platform,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StorageResult<Vec<(String, u32)>>;

    /// Records what became of deliveries taken by `take_deliveries`. A
    /// delivery no longer in flight (its signer withdrew or stopped
    /// updates meanwhile, or another sender took over) is left as it is.
    async fn record_deliveries(
        &self,
        id: i64,
        platform: Platform,
        results: &[(String, DeliveryResult)],
    ) -> StorageResult<()>;

    /// Marks update `id` finished if nothing is left to deliver; returns
    /// whether this call finished it.
    async fn finish_update_if_done(&self, id: i64, now: DateTime<Utc>) -> StorageResult<bool>;

    /// Cancels a campaign's update `id` (the newest one still sending, with
    /// `None`), dropping its waiting deliveries, and writes the audit line;
    /// returns the update as it stands after, or `None` if nothing was
    /// sending.
    async fn cancel_update(
        &self,
        campaign: &str,
        id: Option<i64>,
        audit: &AuditEntry,
    ) -> StorageResult<Option<StoredUpdate>>;

    /// Stores the id of an update's progress message.
    async fn set_progress_message(&self, id: i64, message: &str) -> StorageResult<()>;

    /// Notes that the summary of update `id` was posted; returns whether
    /// this call noted it (so one sender posts it).
    async fn mark_summary_posted(&self, id: i64) -> StorageResult<bool>;
}
