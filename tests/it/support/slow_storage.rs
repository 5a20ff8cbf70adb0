//! A storage that answers like the real one, only slowly: for showing that
//! adapters still meet platform deadlines when the database lags.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use petition::domain::{Identity, Platform};
use petition::storage::{
    AnnounceChat, AnnouncementState, Anomaly, AuditEntry, ConnectionLog, ConversationStore, ExportRow, HeldSummary,
    Matched, MilestoneAnnouncement, MilestoneStore, NewSignature, ProgressMessage, Recount, ReportStore, ReviewAction,
    ReviewOutcome, ReviewStore, SecretStore, Selection, SignOutcome, Signature, SignatureStore, Stats, Storage,
    StorageResult, VelocityCount,
};
use petition::storage::{DeliveryResult, Lifecycle, LifecycleStore, NewUpdate, Reopening, StoredUpdate, UpdateStore};

/// Delays every conversation load (which every message makes) by `delay`.
pub(crate) struct SlowStorage {
    pub inner: Arc<dyn Storage>,
    pub delay: Duration,
}

#[async_trait]
impl ConversationStore for SlowStorage {
    async fn load_conversation(&self, who: &Identity) -> StorageResult<Option<String>> {
        tokio::time::sleep(self.delay).await;
        self.inner.load_conversation(who).await
    }

    async fn save_conversation(&self, who: &Identity, state: &str, at: DateTime<Utc>) -> StorageResult<()> {
        self.inner.save_conversation(who, state, at).await
    }

    async fn delete_conversation(&self, who: &Identity) -> StorageResult<()> {
        self.inner.delete_conversation(who).await
    }

    async fn delete_conversations_idle_since(&self, cutoff: DateTime<Utc>) -> StorageResult<u64> {
        self.inner.delete_conversations_idle_since(cutoff).await
    }
}

#[async_trait]
impl SignatureStore for SlowStorage {
    async fn register_campaign(&self, campaign: &str, version: u32, wording: &str) -> StorageResult<()> {
        self.inner.register_campaign(campaign, version, wording).await
    }

    async fn sign(&self, signature: &NewSignature) -> StorageResult<SignOutcome> {
        self.inner.sign(signature).await
    }

    async fn signature_of(&self, campaign: &str, who: &Identity) -> StorageResult<Option<Signature>> {
        self.inner.signature_of(campaign, who).await
    }

    async fn withdraw(&self, campaign: &str, who: &Identity) -> StorageResult<Option<u64>> {
        self.inner.withdraw(campaign, who).await
    }

    async fn total(&self, campaign: &str) -> StorageResult<u64> {
        self.inner.total(campaign).await
    }

    async fn signing_attempts_since(
        &self,
        campaign: &str,
        who: &Identity,
        since: DateTime<Utc>,
    ) -> StorageResult<Vec<DateTime<Utc>>> {
        self.inner.signing_attempts_since(campaign, who, since).await
    }

    async fn forget_signing_attempts_before(&self, before: DateTime<Utc>) -> StorageResult<u64> {
        self.inner.forget_signing_attempts_before(before).await
    }
}

#[async_trait]
impl ReportStore for SlowStorage {
    async fn stats(&self, campaign: &str, since: NaiveDate, today: NaiveDate) -> StorageResult<Stats> {
        self.inner.stats(campaign, since, today).await
    }

    async fn export(&self, campaign: &str) -> StorageResult<Vec<ExportRow>> {
        self.inner.export(campaign).await
    }
}

#[async_trait]
impl ConnectionLog for SlowStorage {
    async fn record_connection_attempt(
        &self,
        bot: &str,
        at: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> StorageResult<()> {
        self.inner.record_connection_attempt(bot, at, forget_before).await
    }

    async fn connection_attempts_since(&self, bot: &str, since: DateTime<Utc>) -> StorageResult<u64> {
        self.inner.connection_attempts_since(bot, since).await
    }
}

#[async_trait]
impl ReviewStore for SlowStorage {
    async fn held_summary(&self, campaign: &str) -> StorageResult<HeldSummary> {
        self.inner.held_summary(campaign).await
    }

    async fn count_selected(
        &self,
        campaign: &str,
        selection: &Selection,
        action: ReviewAction,
    ) -> StorageResult<Matched> {
        self.inner.count_selected(campaign, selection, action).await
    }

    async fn apply_review(
        &self,
        campaign: &str,
        selection: &Selection,
        action: ReviewAction,
        audit: &AuditEntry,
    ) -> StorageResult<ReviewOutcome> {
        self.inner.apply_review(campaign, selection, action, audit).await
    }

    async fn record_audit(&self, entry: &AuditEntry) -> StorageResult<()> {
        self.inner.record_audit(entry).await
    }

    async fn audit_log(&self, campaign: &str) -> StorageResult<Vec<AuditEntry>> {
        self.inner.audit_log(campaign).await
    }

    async fn velocity(
        &self,
        campaign: &str,
        since: DateTime<Utc>,
        thresholds: [u64; 3],
    ) -> StorageResult<Vec<VelocityCount>> {
        self.inner.velocity(campaign, since, thresholds).await
    }

    async fn record_anomaly(&self, anomaly: &Anomaly) -> StorageResult<bool> {
        self.inner.record_anomaly(anomaly).await
    }

    async fn anomalies(&self, campaign: &str, since: DateTime<Utc>) -> StorageResult<Vec<Anomaly>> {
        self.inner.anomalies(campaign, since).await
    }

    async fn recount(&self) -> StorageResult<Vec<Recount>> {
        self.inner.recount().await
    }
}

#[async_trait]
impl SecretStore for SlowStorage {
    async fn instance_secret(&self, name: &str, fresh: &str) -> StorageResult<String> {
        self.inner.instance_secret(name, fresh).await
    }
}

#[async_trait]
impl UpdateStore for SlowStorage {
    async fn update_reach(&self, campaign: &str) -> StorageResult<Vec<(Platform, u64)>> {
        self.inner.update_reach(campaign).await
    }

    async fn create_update(&self, update: &NewUpdate, audit: &AuditEntry) -> StorageResult<(i64, u64)> {
        self.inner.create_update(update, audit).await
    }

    async fn set_updates_opt_in(
        &self,
        campaign: Option<&str>,
        who: &Identity,
        opt_in: bool,
        wording: u32,
    ) -> StorageResult<u64> {
        self.inner.set_updates_opt_in(campaign, who, opt_in, wording).await
    }

    async fn open_updates(&self) -> StorageResult<Vec<StoredUpdate>> {
        self.inner.open_updates().await
    }

    async fn stored_update(&self, id: i64) -> StorageResult<Option<StoredUpdate>> {
        self.inner.stored_update(id).await
    }

    async fn recent_updates(&self, campaign: &str, limit: u32) -> StorageResult<Vec<StoredUpdate>> {
        self.inner.recent_updates(campaign, limit).await
    }

    async fn claim_update(
        &self,
        id: i64,
        platform: Platform,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StorageResult<bool> {
        self.inner.claim_update(id, platform, owner, now, until).await
    }

    async fn mark_in_flight_unknown(&self, id: i64, platform: Platform) -> StorageResult<u64> {
        self.inner.mark_in_flight_unknown(id, platform).await
    }

    async fn take_deliveries(
        &self,
        id: i64,
        platform: Platform,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StorageResult<Vec<(String, u32)>> {
        self.inner.take_deliveries(id, platform, now, limit).await
    }

    async fn record_deliveries(
        &self,
        id: i64,
        platform: Platform,
        results: &[(String, DeliveryResult)],
    ) -> StorageResult<()> {
        self.inner.record_deliveries(id, platform, results).await
    }

    async fn finish_update_if_done(&self, id: i64, now: DateTime<Utc>) -> StorageResult<bool> {
        self.inner.finish_update_if_done(id, now).await
    }

    async fn cancel_update(
        &self,
        campaign: &str,
        id: Option<i64>,
        audit: &AuditEntry,
    ) -> StorageResult<Option<StoredUpdate>> {
        self.inner.cancel_update(campaign, id, audit).await
    }

    async fn set_progress_message(&self, id: i64, message: &str) -> StorageResult<()> {
        self.inner.set_progress_message(id, message).await
    }

    async fn mark_summary_posted(&self, id: i64) -> StorageResult<bool> {
        self.inner.mark_summary_posted(id).await
    }
}

#[async_trait]
impl LifecycleStore for SlowStorage {
    async fn lifecycles(&self) -> StorageResult<Vec<Lifecycle>> {
        self.inner.lifecycles().await
    }

    async fn close_campaign(
        &self,
        at: DateTime<Utc>,
        audit: &AuditEntry,
        announcement: &NewUpdate,
    ) -> StorageResult<Option<i64>> {
        self.inner.close_campaign(at, audit, announcement).await
    }

    async fn reopen_campaign(&self, audit: &AuditEntry) -> StorageResult<Reopening> {
        self.inner.reopen_campaign(audit).await
    }

    async fn mark_delivered(&self, campaign: &str, at: DateTime<Utc>) -> StorageResult<()> {
        self.inner.mark_delivered(campaign, at).await
    }

    async fn signatures_to_anonymise(&self, campaign: &str) -> StorageResult<u64> {
        self.inner.signatures_to_anonymise(campaign).await
    }

    async fn anonymise(&self, campaign: &str, at: DateTime<Utc>) -> StorageResult<u64> {
        self.inner.anonymise(campaign, at).await
    }
}

#[async_trait]
impl Storage for SlowStorage {
    async fn close(&self) {
        self.inner.close().await
    }
}

#[async_trait]
impl MilestoneStore for SlowStorage {
    async fn goals(&self) -> StorageResult<Vec<(String, u64)>> {
        self.inner.goals().await
    }

    async fn set_goal(&self, goal: u64, audit: &AuditEntry) -> StorageResult<()> {
        self.inner.set_goal(goal, audit).await
    }

    async fn start_milestones(&self, campaign: &str, chats: &[AnnounceChat]) -> StorageResult<()> {
        self.inner.start_milestones(campaign, chats).await
    }

    async fn milestones_reached(&self, campaign: &str) -> StorageResult<Vec<(u64, DateTime<Utc>)>> {
        self.inner.milestones_reached(campaign).await
    }

    async fn claim_milestones(
        &self,
        campaign: &str,
        total: u64,
        goal: u64,
        milestones: &[u64],
        at: DateTime<Utc>,
    ) -> StorageResult<Vec<u64>> {
        self.inner.claim_milestones(campaign, total, goal, milestones, at).await
    }

    async fn progress_messages(&self, platform: Platform) -> StorageResult<Vec<ProgressMessage>> {
        self.inner.progress_messages(platform).await
    }

    async fn recreate_progress_message(&self, campaign: &str, chat: &AnnounceChat) -> StorageResult<()> {
        self.inner.recreate_progress_message(campaign, chat).await
    }

    async fn take_turn(
        &self,
        campaign: &str,
        chat: &AnnounceChat,
        now: DateTime<Utc>,
        next: DateTime<Utc>,
    ) -> StorageResult<bool> {
        self.inner.take_turn(campaign, chat, now, next).await
    }

    async fn end_turn(&self, campaign: &str, chat: &AnnounceChat, next: DateTime<Utc>) -> StorageResult<()> {
        self.inner.end_turn(campaign, chat, next).await
    }

    async fn progress_shown(
        &self,
        campaign: &str,
        chat: &AnnounceChat,
        message_id: &str,
        total: u64,
        goal: u64,
    ) -> StorageResult<()> {
        self.inner.progress_shown(campaign, chat, message_id, total, goal).await
    }

    async fn pending_announcement(
        &self,
        campaign: &str,
        chat: &AnnounceChat,
    ) -> StorageResult<Option<MilestoneAnnouncement>> {
        self.inner.pending_announcement(campaign, chat).await
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
        self.inner
            .move_announcement(campaign, signatures, chat, from, to, at)
            .await
    }

    async fn give_up_announcements_posting_since(
        &self,
        platform: Platform,
        before: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> StorageResult<u64> {
        self.inner
            .give_up_announcements_posting_since(platform, before, at)
            .await
    }
}
