//! The in-memory storage's milestones, goals and progress messages, with
//! the databases' rules: a milestone is claimed once, a turn is taken by
//! one caller, an announcement moves only from the state it is in.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::MemoryStorage;
use crate::domain::Platform;
use crate::storage::{
    AnnounceChat, AnnouncementState, AuditEntry, MilestoneAnnouncement, MilestoneStore, ProgressMessage, StorageResult,
};

#[derive(Default)]
pub(super) struct MilestoneState {
    goals: HashMap<String, u64>,
    marks: HashMap<String, u64>,
    /// Per (campaign, signatures): the goal, and when it was reached.
    reached: BTreeMap<(String, u64), (u64, DateTime<Utc>)>,
    announcements: HashMap<(String, u64, AnnounceChat), AnnouncementState>,
    progress: Vec<ProgressMessage>,
}

impl MilestoneState {
    fn progress_of(&mut self, campaign: &str, chat: &AnnounceChat) -> Option<&mut ProgressMessage> {
        self.progress
            .iter_mut()
            .find(|p| p.campaign == campaign && p.chat == *chat)
    }

    fn add_chat(&mut self, campaign: &str, chat: &AnnounceChat) -> &mut ProgressMessage {
        if self.progress_of(campaign, chat).is_none() {
            self.progress.push(ProgressMessage {
                campaign: campaign.to_owned(),
                chat: chat.clone(),
                message_id: None,
                shown: None,
                next_turn_at: DateTime::UNIX_EPOCH,
            });
        }
        self.progress_of(campaign, chat).expect("just added")
    }
}

#[async_trait]
impl MilestoneStore for MemoryStorage {
    async fn goals(&self) -> StorageResult<Vec<(String, u64)>> {
        Ok(self.state()?.milestones.goals.clone().into_iter().collect())
    }

    async fn set_goal(&self, goal: u64, audit: &AuditEntry) -> StorageResult<()> {
        let mut state = self.state()?;
        let total = state.counters(&audit.campaign).0;
        let milestones = &mut state.milestones;
        milestones.goals.insert(audit.campaign.clone(), goal);
        if let Some(mark) = milestones.marks.get_mut(&audit.campaign) {
            *mark = (*mark).max(total);
        }
        state.audit.push(audit.clone());
        Ok(())
    }

    async fn start_milestones(&self, campaign: &str, chats: &[AnnounceChat]) -> StorageResult<()> {
        let mut state = self.state()?;
        let total = state.counters(campaign).0;
        let milestones = &mut state.milestones;
        milestones.marks.entry(campaign.to_owned()).or_insert(total);
        for chat in chats {
            milestones.add_chat(campaign, chat);
        }
        Ok(())
    }

    async fn milestones_reached(&self, campaign: &str) -> StorageResult<Vec<(u64, DateTime<Utc>)>> {
        let state = self.state()?;
        Ok(state
            .milestones
            .reached
            .iter()
            .filter(|((c, _), _)| c == campaign)
            .map(|((_, signatures), (_, at))| (*signatures, *at))
            .collect())
    }

    async fn claim_milestones(
        &self,
        campaign: &str,
        total: u64,
        goal: u64,
        candidates: &[u64],
        at: DateTime<Utc>,
    ) -> StorageResult<Vec<u64>> {
        let mut state = self.state()?;
        let milestones = &mut state.milestones;
        let mark = milestones.marks.get(campaign).copied().unwrap_or(0);
        let mut claimed = Vec::new();
        for &milestone in candidates.iter().filter(|m| **m > mark && **m <= total) {
            if milestones
                .reached
                .insert((campaign.to_owned(), milestone), (goal, at))
                .is_none()
            {
                claimed.push(milestone);
            }
        }
        let mark = milestones.marks.entry(campaign.to_owned()).or_insert(0);
        *mark = (*mark).max(total);
        if let Some(&highest) = claimed.last() {
            let chats: Vec<AnnounceChat> = milestones
                .progress
                .iter()
                .filter(|p| p.campaign == campaign)
                .map(|p| p.chat.clone())
                .collect();
            for chat in chats {
                milestones
                    .announcements
                    .entry((campaign.to_owned(), highest, chat))
                    .or_insert(AnnouncementState::Pending);
            }
        }
        Ok(claimed)
    }

    async fn progress_messages(&self, platform: Platform) -> StorageResult<Vec<ProgressMessage>> {
        let state = self.state()?;
        Ok(state
            .milestones
            .progress
            .iter()
            .filter(|p| p.chat.platform == platform)
            .cloned()
            .collect())
    }

    async fn recreate_progress_message(&self, campaign: &str, chat: &AnnounceChat) -> StorageResult<()> {
        let mut state = self.state()?;
        let progress = state.milestones.add_chat(campaign, chat);
        progress.message_id = None;
        progress.shown = None;
        Ok(())
    }

    async fn take_turn(
        &self,
        campaign: &str,
        chat: &AnnounceChat,
        now: DateTime<Utc>,
        next: DateTime<Utc>,
    ) -> StorageResult<bool> {
        let mut state = self.state()?;
        match state.milestones.progress_of(campaign, chat) {
            Some(progress) if progress.next_turn_at <= now => {
                progress.next_turn_at = next;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn end_turn(&self, campaign: &str, chat: &AnnounceChat, next: DateTime<Utc>) -> StorageResult<()> {
        let mut state = self.state()?;
        if let Some(progress) = state.milestones.progress_of(campaign, chat) {
            progress.next_turn_at = next;
        }
        Ok(())
    }

    async fn progress_shown(
        &self,
        campaign: &str,
        chat: &AnnounceChat,
        message_id: &str,
        total: u64,
        goal: u64,
    ) -> StorageResult<()> {
        let mut state = self.state()?;
        if let Some(progress) = state.milestones.progress_of(campaign, chat) {
            progress.message_id = Some(message_id.to_owned());
            progress.shown = Some((total, goal));
        }
        Ok(())
    }

    async fn pending_announcement(
        &self,
        campaign: &str,
        chat: &AnnounceChat,
    ) -> StorageResult<Option<MilestoneAnnouncement>> {
        let state = self.state()?;
        let milestones = &state.milestones;
        let in_this_chat = || {
            milestones
                .announcements
                .iter()
                .filter(|((c, _, at), _)| c == campaign && at == chat)
        };
        // Never one below a milestone already made in the chat.
        let made = in_this_chat()
            .filter(|(_, s)| **s != AnnouncementState::Pending)
            .map(|((_, signatures, _), _)| *signatures)
            .max();
        Ok(in_this_chat()
            .filter(|((_, signatures, _), s)| {
                **s == AnnouncementState::Pending && made.is_none_or(|made| *signatures > made)
            })
            .map(|((c, signatures, _), _)| MilestoneAnnouncement {
                signatures: *signatures,
                goal: milestones
                    .reached
                    .get(&(c.clone(), *signatures))
                    .map_or(0, |(goal, _)| *goal),
            })
            .max_by_key(|a| a.signatures))
    }

    async fn move_announcement(
        &self,
        campaign: &str,
        signatures: u64,
        chat: &AnnounceChat,
        from: AnnouncementState,
        to: AnnouncementState,
        _at: DateTime<Utc>,
    ) -> StorageResult<bool> {
        let mut state = self.state()?;
        match state
            .milestones
            .announcements
            .get_mut(&(campaign.to_owned(), signatures, chat.clone()))
        {
            Some(state) if *state == from => {
                *state = to;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn give_up_announcements_posting_since(
        &self,
        _platform: Platform,
        _before: DateTime<Utc>,
        _at: DateTime<Utc>,
    ) -> StorageResult<u64> {
        // Nothing is ever left posting in memory: it goes with the process.
        Ok(0)
    }
}
