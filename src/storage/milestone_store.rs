//! What milestones and the progress message need of the database: the goal
//! organisers set, the milestones claimed, and, per announcement chat, the
//! progress message and the announcements still to post. Every claim is
//! made in the database so that it happens once across restarts and
//! processes.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{AuditEntry, StorageResult};
use crate::domain::Platform;

/// A chat where milestones are announced and a progress message is kept:
/// a Telegram chat or channel, a Discord channel.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AnnounceChat {
    /// Whose chat it is.
    pub platform: Platform,
    /// Its id on that platform, as text.
    pub chat: String,
}

impl AnnounceChat {
    /// The chat `chat` on `platform`.
    pub fn new(platform: Platform, chat: impl ToString) -> Self {
        Self {
            platform,
            chat: chat.to_string(),
        }
    }
}

/// One campaign's progress message in one chat, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressMessage {
    /// The campaign it shows.
    pub campaign: String,
    /// Where it is.
    pub chat: AnnounceChat,
    /// The platform's id of the message; `None` until it is posted, or
    /// after `progress here` asked for a new one.
    pub message_id: Option<String>,
    /// The total and goal it shows, once posted.
    pub shown: Option<(u64, u64)>,
    /// The earliest any process may post or edit in the chat again.
    pub next_turn_at: DateTime<Utc>,
}

/// A milestone still to be announced in a chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MilestoneAnnouncement {
    /// The signatures reached.
    pub signatures: u64,
    /// The goal in force when it was reached.
    pub goal: u64,
}

/// Where an announcement is: queued, being posted, done. One found
/// `Posting` by a process that did not start it becomes `Unknown`, and is
/// never posted again: it may have been posted already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnnouncementState {
    /// Queued.
    Pending,
    /// A process is posting it.
    Posting,
    /// Posted.
    Posted,
    /// The platform refused it.
    Failed,
}

impl AnnouncementState {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            AnnouncementState::Pending => "pending",
            AnnouncementState::Posting => "posting",
            AnnouncementState::Posted => "posted",
            AnnouncementState::Failed => "failed",
        }
    }
}

/// Milestones, the goal in force, and the progress messages.
#[async_trait]
pub trait MilestoneStore: Send + Sync {
    /// The goals organisers have set, per campaign; a campaign without one
    /// keeps its configured goal.
    async fn goals(&self) -> StorageResult<Vec<(String, u64)>>;

    /// Sets a campaign's goal (the audit entry's campaign) and writes the
    /// audit entry, in one transaction. Milestones toward the new goal that
    /// the total has already passed will not be announced.
    async fn set_goal(&self, goal: u64, audit: &AuditEntry) -> StorageResult<()>;

    /// Starts counting a campaign's milestones from its current total (once;
    /// later calls change nothing) and makes sure each configured chat has
    /// a progress message row.
    async fn start_milestones(&self, campaign: &str, chats: &[AnnounceChat]) -> StorageResult<()>;

    /// The milestones a campaign has reached (signature counts), lowest
    /// first, with when each was claimed.
    async fn milestones_reached(&self, campaign: &str) -> StorageResult<Vec<(u64, DateTime<Utc>)>>;

    /// Claims the `milestones` (signature counts, in order) that `total`
    /// has reached and no process has claimed before; returns those this
    /// call claimed. The highest of them is queued for announcement in
    /// every chat with a progress message.
    async fn claim_milestones(
        &self,
        campaign: &str,
        total: u64,
        goal: u64,
        milestones: &[u64],
        at: DateTime<Utc>,
    ) -> StorageResult<Vec<u64>>;

    /// Every progress message on one platform.
    async fn progress_messages(&self, platform: Platform) -> StorageResult<Vec<ProgressMessage>>;

    /// Asks for a new progress message in a chat (adding the chat if it had
    /// none); the old one, if any, is no longer edited.
    async fn recreate_progress_message(&self, campaign: &str, chat: &AnnounceChat) -> StorageResult<()>;

    /// Takes the chat's turn if it is due at `now`, making the next one due
    /// at `next`; false if it is not due or another process took it.
    async fn take_turn(
        &self,
        campaign: &str,
        chat: &AnnounceChat,
        now: DateTime<Utc>,
        next: DateTime<Utc>,
    ) -> StorageResult<bool>;

    /// Ends a turn taken with [`MilestoneStore::take_turn`]: the next is due
    /// at `next`.
    async fn end_turn(&self, campaign: &str, chat: &AnnounceChat, next: DateTime<Utc>) -> StorageResult<()>;

    /// Records the progress message now in a chat and what it shows.
    async fn progress_shown(
        &self,
        campaign: &str,
        chat: &AnnounceChat,
        message_id: &str,
        total: u64,
        goal: u64,
    ) -> StorageResult<()>;

    /// The highest milestone queued for a chat, if any is above every one
    /// already announced there (posting, posted, failed or unknown): a chat
    /// hears milestones in order, and never one lower than the last.
    async fn pending_announcement(
        &self,
        campaign: &str,
        chat: &AnnounceChat,
    ) -> StorageResult<Option<MilestoneAnnouncement>>;

    /// Moves an announcement from one state to another; false if it was
    /// not in `from` (another process moved it first).
    async fn move_announcement(
        &self,
        campaign: &str,
        signatures: u64,
        chat: &AnnounceChat,
        from: AnnouncementState,
        to: AnnouncementState,
        at: DateTime<Utc>,
    ) -> StorageResult<bool>;

    /// Marks announcements on a platform that have been posting since
    /// before `before` as unknown: whoever was posting them went away.
    /// Returns how many.
    async fn give_up_announcements_posting_since(
        &self,
        platform: Platform,
        before: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> StorageResult<u64>;
}
