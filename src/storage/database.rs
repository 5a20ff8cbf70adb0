//! A storage assembled from its parts, the same way for both databases: the
//! shared queries ([`General`]), the group-commit writers, the batched
//! lookups, and where conversations are read from. A backend builds the
//! parts (opening the database, its writer, its lookups); the storage
//! traits are implemented once, here.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::future::BoxFuture;

use super::cache::ConversationCache;
use super::group_commit::{GroupCommit, Write, Written};
use super::group_read::GroupRead;
use super::sql::{Dialect, General};
use super::{AnnounceChat, AnnouncementState, MilestoneAnnouncement, MilestoneStore, ProgressMessage};
use super::{
    Anomaly, AttemptKey, AuditEntry, ConnectionLog, ConversationStore, ExportRow, HeldSummary, Matched, NewSignature,
    Recount, ReportStore, ReviewAction, ReviewOutcome, ReviewStore, SecretStore, Selection, SignOutcome, Signature,
    SignatureStore, Stats, Storage, StorageError, StorageResult, VelocityCount,
};
use super::{DeliveryResult, Lifecycle, LifecycleStore, NewUpdate, Reopening, StoredUpdate, UpdateStore};
use crate::domain::{Identity, Platform};

/// Where a storage reads conversations from.
pub(crate) enum Conversations {
    /// A complete copy in memory, for a storage that alone owns its
    /// database (SQLite); every write passes through it.
    Cached(Arc<ConversationCache>),
    /// The database, every time, for a storage whose database other
    /// processes share (PostgreSQL).
    Read(GroupRead<Identity, Option<String>>),
}

/// Closes what a backend opened for itself (lookup connections, the pool).
pub(crate) type Close = Box<dyn Fn() -> BoxFuture<'static, ()> + Send + Sync>;

/// A whole storage over dialect `D`.
pub(crate) struct Database<D: Dialect> {
    pub(crate) general: General<D>,
    /// Conversation saves and ends: many share each transaction and its
    /// fsync (see `group_commit`).
    pub(crate) conversation_writer: GroupCommit,
    /// Signatures, the same way; the conversation writer itself where one
    /// writer serves everything (SQLite).
    pub(crate) signature_writer: GroupCommit,
    pub(crate) conversations: Conversations,
    /// Lookups that arrive together share one query.
    pub(crate) signature_reads: GroupRead<(String, Identity), Option<Signature>>,
    /// See `signature_reads`.
    pub(crate) total_reads: GroupRead<String, u64>,
    /// See `signature_reads`.
    pub(crate) attempt_reads: GroupRead<AttemptKey, Vec<DateTime<Utc>>>,
    /// Run once the writers have stopped, at exit.
    pub(crate) close: Close,
}

impl<D: Dialect> Database<D> {
    fn cache(&self) -> Option<&ConversationCache> {
        match &self.conversations {
            Conversations::Cached(cache) => Some(cache),
            Conversations::Read(_) => None,
        }
    }
}

impl<D: Dialect> std::fmt::Debug for Database<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Database")
    }
}

#[async_trait]
impl<D: Dialect> ConversationStore for Database<D> {
    async fn load_conversation(&self, who: &Identity) -> StorageResult<Option<String>> {
        match &self.conversations {
            Conversations::Cached(cache) => Ok(cache.get(who)),
            Conversations::Read(reads) => reads.read(who.clone()).await,
        }
    }

    async fn save_conversation(&self, who: &Identity, state: &str, at: DateTime<Utc>) -> StorageResult<()> {
        self.conversation_writer
            .write(Write::SaveConversation {
                who: who.clone(),
                state: state.to_owned(),
                at,
            })
            .await?;
        // Only once it is durable: the cache never runs ahead of the file.
        if let Some(cache) = self.cache() {
            cache.put(who, state, at);
        }
        Ok(())
    }

    async fn delete_conversation(&self, who: &Identity) -> StorageResult<()> {
        self.conversation_writer
            .write(Write::DeleteConversation { who: who.clone() })
            .await?;
        if let Some(cache) = self.cache() {
            cache.remove(who);
        }
        self.general.erased();
        Ok(())
    }

    async fn delete_conversations_idle_since(&self, cutoff: DateTime<Utc>) -> StorageResult<u64> {
        let deleted = self.general.delete_conversations_idle_since(cutoff).await?;
        if let Some(cache) = self.cache() {
            cache.remove_idle_since(cutoff);
        }
        Ok(deleted)
    }
}

#[async_trait]
impl<D: Dialect> SignatureStore for Database<D> {
    async fn register_campaign(&self, campaign: &str, version: u32, wording: &str) -> StorageResult<()> {
        self.general.register_campaign(campaign, version, wording).await
    }

    async fn sign(&self, signature: &NewSignature) -> StorageResult<SignOutcome> {
        match self
            .signature_writer
            .write(Write::Sign(Box::new(signature.clone())))
            .await?
        {
            Written::Signed(outcome) => {
                // The batch ended the conversation; so does the cache.
                if let Some(cache) = self.cache() {
                    cache.remove(&signature.identity);
                }
                Ok(outcome)
            }
            Written::Done => Err(StorageError::Corrupt("a signature came back without an outcome".into())),
        }
    }

    async fn signature_of(&self, campaign: &str, who: &Identity) -> StorageResult<Option<Signature>> {
        self.signature_reads.read((campaign.to_owned(), who.clone())).await
    }

    async fn withdraw(&self, campaign: &str, who: &Identity) -> StorageResult<Option<u64>> {
        let total = self.general.withdraw(campaign, who).await?;
        if let Some(cache) = self.cache() {
            cache.remove(who);
        }
        Ok(total)
    }

    async fn total(&self, campaign: &str) -> StorageResult<u64> {
        self.total_reads.read(campaign.to_owned()).await
    }

    async fn signing_attempts_since(
        &self,
        campaign: &str,
        who: &Identity,
        since: DateTime<Utc>,
    ) -> StorageResult<Vec<DateTime<Utc>>> {
        self.attempt_reads.read((campaign.to_owned(), who.clone(), since)).await
    }

    async fn forget_signing_attempts_before(&self, before: DateTime<Utc>) -> StorageResult<u64> {
        self.general.forget_signing_attempts_before(before).await
    }
}

#[async_trait]
impl<D: Dialect> ReviewStore for Database<D> {
    async fn held_summary(&self, campaign: &str) -> StorageResult<HeldSummary> {
        self.general.held_summary(campaign).await
    }

    async fn count_selected(
        &self,
        campaign: &str,
        selection: &Selection,
        action: ReviewAction,
    ) -> StorageResult<Matched> {
        self.general.count_selected(campaign, selection, action).await
    }

    async fn apply_review(
        &self,
        campaign: &str,
        selection: &Selection,
        action: ReviewAction,
        audit: &AuditEntry,
    ) -> StorageResult<ReviewOutcome> {
        self.general.apply_review(campaign, selection, action, audit).await
    }

    async fn record_audit(&self, entry: &AuditEntry) -> StorageResult<()> {
        self.general.record_audit(entry).await
    }

    async fn audit_log(&self, campaign: &str) -> StorageResult<Vec<AuditEntry>> {
        self.general.audit_log(campaign).await
    }

    async fn velocity(
        &self,
        campaign: &str,
        since: DateTime<Utc>,
        thresholds: [u64; 3],
    ) -> StorageResult<Vec<VelocityCount>> {
        self.general.velocity(campaign, since, thresholds).await
    }

    async fn record_anomaly(&self, anomaly: &Anomaly) -> StorageResult<bool> {
        self.general.record_anomaly(anomaly).await
    }

    async fn anomalies(&self, campaign: &str, since: DateTime<Utc>) -> StorageResult<Vec<Anomaly>> {
        self.general.anomalies(campaign, since).await
    }

    async fn recount(&self) -> StorageResult<Vec<Recount>> {
        self.general.recount().await
    }
}

#[async_trait]
impl<D: Dialect> ReportStore for Database<D> {
    async fn stats(&self, campaign: &str, since: NaiveDate, today: NaiveDate) -> StorageResult<Stats> {
        self.general.stats(campaign, since, today).await
    }

    async fn export(&self, campaign: &str) -> StorageResult<Vec<ExportRow>> {
        self.general.export(campaign).await
    }
}

#[async_trait]
impl<D: Dialect> ConnectionLog for Database<D> {
    async fn record_connection_attempt(
        &self,
        bot: &str,
        at: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> StorageResult<()> {
        self.general.record_connection_attempt(bot, at, forget_before).await
    }

    async fn connection_attempts_since(&self, bot: &str, since: DateTime<Utc>) -> StorageResult<u64> {
        self.general.connection_attempts_since(bot, since).await
    }
}

#[async_trait]
impl<D: Dialect> SecretStore for Database<D> {
    async fn instance_secret(&self, name: &str, fresh: &str) -> StorageResult<String> {
        self.general.instance_secret(name, fresh).await
    }
}

#[async_trait]
impl<D: Dialect> Storage for Database<D> {
    async fn ready(&self) -> StorageResult<()> {
        self.general.check()?;
        self.general.lifecycles().await.map(drop)
    }

    async fn close(&self) {
        let writers = (self.conversation_writer.clone(), self.signature_writer.clone());
        super::thread::on_storage_thread(async move {
            writers.0.close().await;
            writers.1.close().await;
        })
        .await;
        // An erasure made just before (a command's withdraw or anonymise)
        // leaves the disk before the process does.
        self.general.clear_what_is_owed().await;
        let close = (self.close)();
        super::thread::on_storage_thread(close).await;
    }
}

#[async_trait]
impl<D: Dialect> UpdateStore for Database<D> {
    async fn update_reach(&self, campaign: &str) -> StorageResult<Vec<(Platform, u64)>> {
        self.general.update_reach(campaign).await
    }

    async fn create_update(&self, update: &NewUpdate, audit: &AuditEntry) -> StorageResult<(i64, u64)> {
        self.general.create_update(update, audit).await
    }

    async fn set_updates_opt_in(
        &self,
        campaign: Option<&str>,
        who: &Identity,
        opt_in: bool,
        wording: u32,
    ) -> StorageResult<u64> {
        self.general.set_updates_opt_in(campaign, who, opt_in, wording).await
    }

    async fn open_updates(&self) -> StorageResult<Vec<StoredUpdate>> {
        self.general.open_updates().await
    }

    async fn stored_update(&self, id: i64) -> StorageResult<Option<StoredUpdate>> {
        self.general.stored_update(id).await
    }

    async fn recent_updates(&self, campaign: &str, limit: u32) -> StorageResult<Vec<StoredUpdate>> {
        self.general.recent_updates(campaign, limit).await
    }

    async fn claim_update(
        &self,
        id: i64,
        platform: Platform,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StorageResult<bool> {
        self.general.claim_update(id, platform, owner, now, until).await
    }

    async fn mark_in_flight_unknown(&self, id: i64, platform: Platform) -> StorageResult<u64> {
        self.general.mark_in_flight_unknown(id, platform).await
    }

    async fn take_deliveries(
        &self,
        id: i64,
        platform: Platform,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StorageResult<Vec<(String, u32)>> {
        self.general.take_deliveries(id, platform, now, limit).await
    }

    async fn record_deliveries(
        &self,
        id: i64,
        platform: Platform,
        results: &[(String, DeliveryResult)],
    ) -> StorageResult<()> {
        self.general.record_deliveries(id, platform, results).await
    }

    async fn finish_update_if_done(&self, id: i64, now: DateTime<Utc>) -> StorageResult<bool> {
        self.general.finish_update_if_done(id, now).await
    }

    async fn cancel_update(
        &self,
        campaign: &str,
        id: Option<i64>,
        audit: &AuditEntry,
    ) -> StorageResult<Option<StoredUpdate>> {
        self.general.cancel_update(campaign, id, audit).await
    }

    async fn set_progress_message(&self, id: i64, message: &str) -> StorageResult<()> {
        self.general.set_progress_message(id, message).await
    }

    async fn mark_summary_posted(&self, id: i64) -> StorageResult<bool> {
        self.general.mark_summary_posted(id).await
    }
}

#[async_trait]
impl<D: Dialect> MilestoneStore for Database<D> {
    async fn goals(&self) -> StorageResult<Vec<(String, u64)>> {
        self.general.goals().await
    }

    async fn set_goal(&self, goal: u64, audit: &AuditEntry) -> StorageResult<()> {
        self.general.set_goal(goal, audit).await
    }

    async fn start_milestones(&self, campaign: &str, chats: &[AnnounceChat]) -> StorageResult<()> {
        self.general.start_milestones(campaign, chats).await
    }

    async fn milestones_reached(&self, campaign: &str) -> StorageResult<Vec<(u64, DateTime<Utc>)>> {
        self.general.milestones_reached(campaign).await
    }

    async fn claim_milestones(
        &self,
        campaign: &str,
        total: u64,
        goal: u64,
        milestones: &[u64],
        at: DateTime<Utc>,
    ) -> StorageResult<Vec<u64>> {
        self.general
            .claim_milestones(campaign, total, goal, milestones, at)
            .await
    }

    async fn progress_messages(&self, platform: Platform) -> StorageResult<Vec<ProgressMessage>> {
        self.general.progress_messages(platform.as_str()).await
    }

    async fn recreate_progress_message(&self, campaign: &str, chat: &AnnounceChat) -> StorageResult<()> {
        self.general.recreate_progress_message(campaign, chat).await
    }

    async fn take_turn(
        &self,
        campaign: &str,
        chat: &AnnounceChat,
        now: DateTime<Utc>,
        next: DateTime<Utc>,
    ) -> StorageResult<bool> {
        self.general.take_turn(campaign, chat, now, next).await
    }

    async fn end_turn(&self, campaign: &str, chat: &AnnounceChat, next: DateTime<Utc>) -> StorageResult<()> {
        self.general.end_turn(campaign, chat, next).await
    }

    async fn progress_shown(
        &self,
        campaign: &str,
        chat: &AnnounceChat,
        message_id: &str,
        total: u64,
        goal: u64,
    ) -> StorageResult<()> {
        self.general
            .progress_shown(campaign, chat, message_id, total, goal)
            .await
    }

    async fn pending_announcement(
        &self,
        campaign: &str,
        chat: &AnnounceChat,
    ) -> StorageResult<Option<MilestoneAnnouncement>> {
        self.general.pending_announcement(campaign, chat).await
    }

    async fn move_announcement(
        &self,
        campaign: &str,
        signatures: u64,
        chat: &AnnounceChat,
        from: AnnouncementState,
        to: AnnouncementState,
        at: DateTime<Utc>,
    ) -> StorageResult<bool> {
        self.general
            .move_announcement(campaign, signatures, chat, from.as_str(), to.as_str(), at)
            .await
    }

    async fn give_up_announcements_posting_since(
        &self,
        platform: Platform,
        before: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> StorageResult<u64> {
        self.general
            .give_up_announcements_posting_since(platform.as_str(), before, at)
            .await
    }
}

#[async_trait]
impl<D: Dialect> LifecycleStore for Database<D> {
    async fn lifecycles(&self) -> StorageResult<Vec<Lifecycle>> {
        self.general.lifecycles().await
    }

    async fn close_campaign(
        &self,
        at: DateTime<Utc>,
        audit: &AuditEntry,
        announcement: &NewUpdate,
    ) -> StorageResult<Option<i64>> {
        self.general.close_campaign(at, audit, announcement).await
    }

    async fn reopen_campaign(&self, audit: &AuditEntry) -> StorageResult<Reopening> {
        self.general.reopen_campaign(audit).await
    }

    async fn mark_delivered(&self, campaign: &str, at: DateTime<Utc>) -> StorageResult<()> {
        self.general.mark_delivered(campaign, at).await
    }

    async fn signatures_to_anonymise(&self, campaign: &str) -> StorageResult<u64> {
        self.general.signatures_to_anonymise(campaign).await
    }

    async fn anonymise(&self, campaign: &str, at: DateTime<Utc>) -> StorageResult<u64> {
        let (anonymised, ended) = self.general.anonymise(campaign, at).await?;
        if let Some(cache) = self.cache() {
            for who in &ended {
                cache.remove(who);
            }
        }
        Ok(anonymised)
    }
}
