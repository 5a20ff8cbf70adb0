//! A campaign's life after it opens, as the database keeps it: closed (by
//! an organiser or at its configured time), reopened, delivered, and its
//! signers forgotten.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{AuditEntry, NewUpdate, StorageResult};

/// What happened to a campaign; a campaign without a row is as configured.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Lifecycle {
    /// The campaign.
    pub campaign: String,
    /// When it closed; `None` while open.
    pub closed_at: Option<DateTime<Utc>>,
    /// Reopened by an organiser: the configured closing time no longer applies.
    pub reopened: bool,
    /// When the delivery pack was made.
    pub delivered_at: Option<DateTime<Utc>>,
    /// When its signers were forgotten.
    pub anonymised_at: Option<DateTime<Utc>>,
}

/// How a reopening went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reopening {
    /// Open again.
    Reopened,
    /// Already delivered: it stays closed.
    AlreadyDelivered,
    /// Its signers were already forgotten: it stays closed, or a forgotten
    /// signer could sign again and be counted twice.
    AlreadyAnonymised,
}

/// The campaign's lifecycle in the database.
#[async_trait]
pub trait LifecycleStore: Send + Sync {
    /// Every campaign's lifecycle that differs from its configuration.
    async fn lifecycles(&self) -> StorageResult<Vec<Lifecycle>>;

    /// Closes a campaign at `at` unless it is closed already, and in the
    /// same transaction writes the audit line and queues `announcement` to
    /// its announcement chats and the signers who asked for updates. Returns
    /// the announcement's update number, or `None` if it was closed already
    /// (so a closing is announced once, whoever closes it).
    async fn close_campaign(
        &self,
        at: DateTime<Utc>,
        audit: &AuditEntry,
        announcement: &NewUpdate,
    ) -> StorageResult<Option<i64>>;

    /// Reopens a campaign (the audit entry's) unless it was delivered, and
    /// writes the audit line.
    async fn reopen_campaign(&self, audit: &AuditEntry) -> StorageResult<Reopening>;

    /// Notes that the delivery pack was made.
    async fn mark_delivered(&self, campaign: &str, at: DateTime<Utc>) -> StorageResult<()>;

    /// Signatures of a campaign still holding personal data.
    async fn signatures_to_anonymise(&self, campaign: &str) -> StorageResult<u64>;
}
