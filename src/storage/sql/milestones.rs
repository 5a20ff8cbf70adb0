//! Milestones, the goal organisers set, and the progress message in each
//! announcement chat, written once for both databases. Every claim is a
//! statement whose effect only one process can have: an insert that does
//! nothing on conflict, or an update conditional on the row's state.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::review::insert_audit;
use super::rows::platform_of;
use super::{Dialect, General, Sql, count};
use crate::domain::Platform;
use crate::storage::{
    AnnounceChat, AnnouncementState, AuditEntry, MilestoneAnnouncement, MilestoneStore, ProgressMessage, StorageResult,
    db,
};

#[async_trait]
impl<D: Dialect> MilestoneStore for General<D> {
    /// See [`crate::storage::MilestoneStore::goals`].
    async fn goals(&self) -> StorageResult<Vec<(String, u64)>> {
        let mut connection = self.read("reading the goals").await?;
        let rows = Sql::<D>::new("SELECT campaign, goal FROM campaign_goals")
            .fetch_all(&mut connection)
            .await
            .map_err(db("reading the goals"))?;
        Ok(rows
            .iter()
            .map(|row| (D::text(row, "campaign"), count::<D>(row, "goal")))
            .collect())
    }

    /// See [`crate::storage::MilestoneStore::set_goal`].
    async fn set_goal(&self, goal: u64, audit: &AuditEntry) -> StorageResult<()> {
        let mut tx = self.write("setting a goal").await?;
        Sql::<D>::new(
            "INSERT INTO campaign_goals (campaign, goal, set_at) VALUES ($1, $2, $3)
             ON CONFLICT (campaign) DO UPDATE SET goal = excluded.goal, set_at = excluded.set_at",
        )
        .text(&audit.campaign)
        .int(as_int(goal))
        .time(audit.at)
        .execute(&mut tx)
        .await
        .map_err(db("setting a goal"))?;
        // Milestones toward the new goal that the total has already passed
        // are not announced late.
        Sql::<D>::new(
            "UPDATE milestone_marks SET reached = (SELECT total FROM campaign_totals WHERE campaign = $1)
             WHERE campaign = $1 AND reached < (SELECT total FROM campaign_totals WHERE campaign = $1)",
        )
        .text(&audit.campaign)
        .execute(&mut tx)
        .await
        .map_err(db("moving the milestone mark"))?;
        insert_audit::<D>(&mut tx, audit).await?;
        self.commit(tx, "setting a goal").await
    }

    /// See [`crate::storage::MilestoneStore::milestones_reached`].
    async fn milestones_reached(&self, campaign: &str) -> StorageResult<Vec<(u64, DateTime<Utc>)>> {
        let mut connection = self.read("reading the milestones reached").await?;
        let rows =
            Sql::<D>::new("SELECT signatures, reached_at FROM milestones WHERE campaign = $1 ORDER BY signatures")
                .text(campaign)
                .fetch_all(&mut connection)
                .await
                .map_err(db("reading the milestones reached"))?;
        rows.iter()
            .map(|row| Ok((count::<D>(row, "signatures"), D::time(row, "reached_at")?)))
            .collect()
    }

    /// See [`crate::storage::MilestoneStore::start_milestones`].
    async fn start_milestones(&self, campaign: &str, chats: &[AnnounceChat]) -> StorageResult<()> {
        let mut tx = self.write("starting milestones").await?;
        Sql::<D>::new(
            "INSERT INTO milestone_marks (campaign, reached)
             SELECT campaign, total FROM campaign_totals WHERE campaign = $1
             ON CONFLICT (campaign) DO NOTHING",
        )
        .text(campaign)
        .execute(&mut tx)
        .await
        .map_err(db("starting milestones"))?;
        for chat in chats {
            Sql::<D>::new(
                "INSERT INTO progress_messages (campaign, platform, chat, next_turn_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (campaign, platform, chat) DO NOTHING",
            )
            .text(campaign)
            .text(chat.platform.as_str())
            .text(&chat.chat)
            .time(DateTime::UNIX_EPOCH)
            .execute(&mut tx)
            .await
            .map_err(db("adding an announcement chat"))?;
        }
        self.commit(tx, "starting milestones").await
    }

    /// See [`crate::storage::MilestoneStore::claim_milestones`].
    async fn claim_milestones(
        &self,
        campaign: &str,
        total: u64,
        goal: u64,
        milestones: &[u64],
        at: DateTime<Utc>,
    ) -> StorageResult<Vec<u64>> {
        let mut tx = self.write("claiming milestones").await?;
        let mark = Sql::<D>::new("SELECT reached FROM milestone_marks WHERE campaign = $1")
            .text(campaign)
            .fetch_optional(&mut tx)
            .await
            .map_err(db("reading the milestone mark"))?
            .map_or(0, |row| count::<D>(&row, "reached"));
        let mut claimed = Vec::new();
        for &milestone in milestones.iter().filter(|m| **m > mark && **m <= total) {
            let inserted = Sql::<D>::new(
                "INSERT INTO milestones (campaign, signatures, goal, reached_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (campaign, signatures) DO NOTHING",
            )
            .text(campaign)
            .int(as_int(milestone))
            .int(as_int(goal))
            .time(at)
            .execute(&mut tx)
            .await
            .map_err(db("claiming a milestone"))?;
            if inserted == 1 {
                claimed.push(milestone);
            }
        }
        Sql::<D>::new(
            "INSERT INTO milestone_marks (campaign, reached) VALUES ($1, $2)
             ON CONFLICT (campaign) DO UPDATE SET reached = excluded.reached
             WHERE milestone_marks.reached < excluded.reached",
        )
        .text(campaign)
        .int(as_int(total))
        .execute(&mut tx)
        .await
        .map_err(db("moving the milestone mark"))?;
        // Several passed at once (a surge, a release) are announced as the
        // highest, so a chat hears one message, not a volley.
        if let Some(&highest) = claimed.last() {
            Sql::<D>::new(
                "INSERT INTO milestone_announcements (campaign, signatures, platform, chat, state, changed_at)
                 SELECT campaign, $2, platform, chat, 'pending', $3 FROM progress_messages WHERE campaign = $1
                 ON CONFLICT (campaign, signatures, platform, chat) DO NOTHING",
            )
            .text(campaign)
            .int(as_int(highest))
            .time(at)
            .execute(&mut tx)
            .await
            .map_err(db("queueing milestone announcements"))?;
        }
        self.commit(tx, "claiming milestones").await?;
        Ok(claimed)
    }

    /// See [`crate::storage::MilestoneStore::progress_messages`].
    async fn progress_messages(&self, platform: Platform) -> StorageResult<Vec<ProgressMessage>> {
        let mut connection = self.read("reading the progress messages").await?;
        let rows = Sql::<D>::new(
            "SELECT campaign, platform, chat, message_id, COALESCE(shown_total, -1) AS shown_total,
                    COALESCE(shown_goal, -1) AS shown_goal, next_turn_at
             FROM progress_messages WHERE platform = $1 ORDER BY campaign, chat",
        )
        .text(platform.as_str())
        .fetch_all(&mut connection)
        .await
        .map_err(db("reading the progress messages"))?;
        rows.iter()
            .map(|row| {
                let shown = |column| u64::try_from(D::int(row, column)).ok();
                Ok(ProgressMessage {
                    campaign: D::text(row, "campaign"),
                    chat: AnnounceChat {
                        platform: platform_of::<D>(row, "platform")?,
                        chat: D::text(row, "chat"),
                    },
                    message_id: D::maybe_text(row, "message_id"),
                    shown: shown("shown_total").zip(shown("shown_goal")),
                    next_turn_at: D::time(row, "next_turn_at")?,
                })
            })
            .collect()
    }

    /// See [`crate::storage::MilestoneStore::recreate_progress_message`].
    async fn recreate_progress_message(&self, campaign: &str, chat: &AnnounceChat) -> StorageResult<()> {
        let mut tx = self.write("asking for a progress message").await?;
        // The turn is kept: a new message waits for it like any other.
        Sql::<D>::new(
            "INSERT INTO progress_messages (campaign, platform, chat, next_turn_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (campaign, platform, chat) DO UPDATE SET message_id = NULL, shown_total = NULL,
                 shown_goal = NULL",
        )
        .text(campaign)
        .text(chat.platform.as_str())
        .text(&chat.chat)
        .time(DateTime::UNIX_EPOCH)
        .execute(&mut tx)
        .await
        .map_err(db("asking for a progress message"))?;
        self.commit(tx, "asking for a progress message").await
    }

    /// See [`crate::storage::MilestoneStore::take_turn`].
    async fn take_turn(
        &self,
        campaign: &str,
        chat: &AnnounceChat,
        now: DateTime<Utc>,
        next: DateTime<Utc>,
    ) -> StorageResult<bool> {
        let mut tx = self.write("taking a turn in a chat").await?;
        let taken = Sql::<D>::new(
            "UPDATE progress_messages SET next_turn_at = $4
             WHERE campaign = $1 AND platform = $2 AND chat = $3 AND next_turn_at <= $5",
        )
        .text(campaign)
        .text(chat.platform.as_str())
        .text(&chat.chat)
        .time(next)
        .time(now)
        .execute(&mut tx)
        .await
        .map_err(db("taking a turn in a chat"))?;
        self.commit(tx, "taking a turn in a chat").await?;
        Ok(taken == 1)
    }

    /// See [`crate::storage::MilestoneStore::end_turn`].
    async fn end_turn(&self, campaign: &str, chat: &AnnounceChat, next: DateTime<Utc>) -> StorageResult<()> {
        let mut tx = self.write("ending a turn in a chat").await?;
        Sql::<D>::new(
            "UPDATE progress_messages SET next_turn_at = $4 WHERE campaign = $1 AND platform = $2 AND chat = $3",
        )
        .text(campaign)
        .text(chat.platform.as_str())
        .text(&chat.chat)
        .time(next)
        .execute(&mut tx)
        .await
        .map_err(db("ending a turn in a chat"))?;
        self.commit(tx, "ending a turn in a chat").await
    }

    /// See [`crate::storage::MilestoneStore::progress_shown`].
    async fn progress_shown(
        &self,
        campaign: &str,
        chat: &AnnounceChat,
        message_id: &str,
        total: u64,
        goal: u64,
    ) -> StorageResult<()> {
        let mut tx = self.write("recording a progress message").await?;
        Sql::<D>::new(
            "UPDATE progress_messages SET message_id = $4, shown_total = $5, shown_goal = $6
             WHERE campaign = $1 AND platform = $2 AND chat = $3",
        )
        .text(campaign)
        .text(chat.platform.as_str())
        .text(&chat.chat)
        .text(message_id)
        .int(as_int(total))
        .int(as_int(goal))
        .execute(&mut tx)
        .await
        .map_err(db("recording a progress message"))?;
        self.commit(tx, "recording a progress message").await
    }

    /// See [`crate::storage::MilestoneStore::pending_announcement`].
    async fn pending_announcement(
        &self,
        campaign: &str,
        chat: &AnnounceChat,
    ) -> StorageResult<Option<MilestoneAnnouncement>> {
        let mut connection = self.read("reading milestone announcements").await?;
        let row = Sql::<D>::new(
            "SELECT a.signatures, m.goal FROM milestone_announcements a
             JOIN milestones m ON m.campaign = a.campaign AND m.signatures = a.signatures
             WHERE a.campaign = $1 AND a.platform = $2 AND a.chat = $3 AND a.state = 'pending'
               AND a.signatures > COALESCE((SELECT MAX(done.signatures) FROM milestone_announcements done
                                            WHERE done.campaign = $1 AND done.platform = $2 AND done.chat = $3
                                              AND done.state <> 'pending'), -1)
             ORDER BY a.signatures DESC LIMIT 1",
        )
        .text(campaign)
        .text(chat.platform.as_str())
        .text(&chat.chat)
        .fetch_optional(&mut connection)
        .await
        .map_err(db("reading milestone announcements"))?;
        Ok(row.map(|row| MilestoneAnnouncement {
            signatures: count::<D>(&row, "signatures"),
            goal: count::<D>(&row, "goal"),
        }))
    }

    /// See [`crate::storage::MilestoneStore::move_announcement`].
    async fn move_announcement(
        &self,
        campaign: &str,
        signatures: u64,
        chat: &AnnounceChat,
        from: AnnouncementState,
        to: AnnouncementState,
        at: DateTime<Utc>,
    ) -> StorageResult<bool> {
        let mut tx = self.write("recording a milestone announcement").await?;
        let moved = Sql::<D>::new(
            "UPDATE milestone_announcements SET state = $6, changed_at = $7
             WHERE campaign = $1 AND signatures = $2 AND platform = $3 AND chat = $4 AND state = $5",
        )
        .text(campaign)
        .int(as_int(signatures))
        .text(chat.platform.as_str())
        .text(&chat.chat)
        .text(from.as_str())
        .text(to.as_str())
        .time(at)
        .execute(&mut tx)
        .await
        .map_err(db("recording a milestone announcement"))?;
        self.commit(tx, "recording a milestone announcement").await?;
        Ok(moved == 1)
    }

    /// See [`crate::storage::MilestoneStore::give_up_announcements_posting_since`].
    async fn give_up_announcements_posting_since(
        &self,
        platform: Platform,
        before: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> StorageResult<u64> {
        let mut tx = self.write("giving up on announcements").await?;
        let given_up = Sql::<D>::new(
            "UPDATE milestone_announcements SET state = 'unknown', changed_at = $3
             WHERE platform = $1 AND state = 'posting' AND changed_at < $2",
        )
        .text(platform.as_str())
        .time(before)
        .time(at)
        .execute(&mut tx)
        .await
        .map_err(db("giving up on announcements"))?;
        self.commit(tx, "giving up on announcements").await?;
        Ok(given_up)
    }
}

/// A count as the databases store it; no count comes near `i64::MAX`.
fn as_int(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}
