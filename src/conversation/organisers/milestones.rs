//! The goal in force, milestones, and the progress message's content.
//!
//! Organisers raise the goal with `goal N` (in private); it is kept in the
//! database, so every process sharing it converges on it (each re-reads it
//! whenever it looks for milestones). Milestones are found by comparing
//! the total with the campaign's milestone counts toward the goal in force;
//! the database decides which process claims each one, so it is announced
//! once whatever restarts or how many processes run.

use std::collections::HashMap;

use tracing::info;

use crate::campaign::Campaign;
use crate::conversation::{Conversation, Engine, EngineResult, Incoming, Link, Reply};
use crate::domain::Identity;
use crate::messages::{Message, MilestoneMessage, progress_bar};
use crate::storage::{AnnounceChat, AuditEntry, MilestoneAnnouncement, StorageError};

/// A milestone this process was the first to see reached: the highest of
/// those a single look found, as it is announced. Subscribe with
/// [`Engine::subscribe_milestones`]; each milestone is sent by one process
/// only, however many share the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReachedMilestone {
    /// The campaign's slug.
    pub campaign: String,
    /// The signatures reached.
    pub signatures: u64,
    /// The goal in force.
    pub goal: u64,
    /// The campaign's words for it, as announced in chats.
    pub text: String,
}

/// The progress message of a campaign as it should read now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressNow {
    /// The message: title, total against the goal and a progress bar, with
    /// an invitation to sign as its link.
    pub reply: Reply,
    /// The total it shows.
    pub total: u64,
    /// The goal it shows.
    pub goal: u64,
}

/// The goals organisers have set, per campaign slug; see [`Engine::goal_of`].
pub(in crate::conversation) type Goals = std::sync::RwLock<HashMap<String, u64>>;

impl Engine {
    /// The goal in force: the one organisers last set, else the configured one.
    pub fn goal_of(&self, campaign: &Campaign) -> u64 {
        self.goals
            .read()
            .expect("goals lock poisoned")
            .get(&campaign.slug)
            .copied()
            .unwrap_or(campaign.goal)
    }

    /// Reads the goals organisers have set, which another process may have
    /// changed.
    pub async fn refresh_goals(&self) -> Result<(), StorageError> {
        let goals: HashMap<String, u64> = self.storage.goals().await?.into_iter().collect();
        *self.goals.write().expect("goals lock poisoned") = goals;
        Ok(())
    }

    /// Milestones newly reached, as this process claims them; see
    /// [`ReachedMilestone`].
    pub fn subscribe_milestones(&self) -> tokio::sync::broadcast::Receiver<ReachedMilestone> {
        self.milestones.subscribe()
    }

    /// Starts counting every campaign's milestones (from the total it has
    /// now, the first time) and adds its configured announcement chats.
    pub(in crate::conversation) async fn start_milestones(&self) -> Result<(), StorageError> {
        for campaign in self.campaigns.iter() {
            let chats: Vec<AnnounceChat> = campaign
                .announce
                .telegram
                .iter()
                .map(|chat| AnnounceChat::new(crate::domain::Platform::Telegram, chat))
                .chain(
                    campaign
                        .announce
                        .discord
                        .iter()
                        .map(|chat| AnnounceChat::new(crate::domain::Platform::Discord, chat)),
                )
                .collect();
            self.storage.start_milestones(&campaign.slug, &chats).await?;
        }
        self.refresh_goals().await
    }

    /// Looks for milestones the totals have reached since the last look,
    /// by any process; claims them, queues the highest of each campaign for
    /// its announcement chats, and tells subscribers. Returns what this
    /// call claimed. Run on a timer.
    pub async fn check_milestones(&self) -> Result<Vec<ReachedMilestone>, StorageError> {
        self.refresh_goals().await?;
        let mut reached = Vec::new();
        for campaign in self.campaigns.iter() {
            let total = self.storage.total(&campaign.slug).await?;
            let goal = self.goal_of(campaign);
            let milestones = campaign.milestones_toward(goal);
            let claimed = self
                .storage
                .claim_milestones(&campaign.slug, total, goal, &milestones, self.clock.now())
                .await?;
            if let Some(&signatures) = claimed.last() {
                info!(campaign = %campaign.slug, signatures, passed = claimed.len(), "milestone reached");
                let milestone = ReachedMilestone {
                    campaign: campaign.slug.clone(),
                    signatures,
                    goal,
                    text: self.milestone_text(campaign, MilestoneAnnouncement { signatures, goal }),
                };
                // Nobody listening is fine: the chats' announcements are queued in the database.
                let _ = self.milestones.send(milestone.clone());
                if campaign.milestone_updates {
                    self.send_milestone_update(campaign, &milestone.text).await?;
                }
                reached.push(milestone);
            }
        }
        Ok(reached)
    }

    /// A milestone's announcement, worded.
    pub fn milestone_text(&self, campaign: &Campaign, milestone: MilestoneAnnouncement) -> String {
        self.say(Message::Milestones(MilestoneMessage::Reached {
            title: &campaign.title,
            signatures: milestone.signatures,
            goal: milestone.goal,
        }))
    }

    /// The progress message of the campaign with this slug, as it should
    /// read now; `None` if no such campaign is configured.
    pub async fn progress_now(&self, slug: &str) -> Result<Option<ProgressNow>, StorageError> {
        let Some(campaign) = self.campaigns.get(slug) else {
            return Ok(None);
        };
        let total = self.storage.total(slug).await?;
        let goal = self.goal_of(campaign);
        let text = format!(
            "{}\n{}",
            self.say(Message::Milestones(MilestoneMessage::Progress {
                title: &campaign.title,
                total,
                goal,
            })),
            progress_bar(total, goal)
        );
        let reply = Reply::public(text).with_link(Link::SignPrivately {
            payload: campaign.slug.clone(),
        });
        Ok(Some(ProgressNow { reply, total, goal }))
    }

    /// `progress here` from `from` in `chat`: an organiser gets a new
    /// progress message of the default campaign there within a turn. Returns
    /// whether it was accepted, and what to tell them.
    pub async fn progress_here(&self, from: &Identity, roles: &[String], chat: AnnounceChat) -> (bool, Reply) {
        if !self.organisers.includes(from, roles) {
            info!(command = "progress", "organiser command refused");
            return (
                false,
                Reply::private(self.say(Message::OrganisersOnly {
                    command: "progress here",
                })),
            );
        }
        let campaign = self.campaigns.default_campaign();
        match self.storage.recreate_progress_message(&campaign.slug, &chat).await {
            Ok(()) => {
                info!(campaign = %campaign.slug, platform = %chat.platform, "progress message asked for");
                (
                    true,
                    Reply::private(self.say(Message::Milestones(MilestoneMessage::ProgressHereDone))),
                )
            }
            Err(error) => {
                tracing::error!(%error, "could not ask for a progress message");
                (false, Reply::private(self.say(Message::SomethingWentWrong)))
            }
        }
    }

    /// `goal N`: organisers raise (or set) the goal in force, above the
    /// total; audited.
    pub(in crate::conversation) async fn set_goal(
        &self,
        msg: &Incoming,
        saved: Option<&Conversation>,
        argument: &str,
    ) -> EngineResult<Vec<Reply>> {
        let say = |message| Ok(vec![Reply::private(self.say(Message::Milestones(message)))]);
        if !self.organisers.includes(&msg.from, &msg.roles) {
            info!(command = "goal", "organiser command refused");
            return Ok(vec![Reply::private(
                self.say(Message::OrganisersOnly { command: "goal" }),
            )]);
        }
        let campaign = self.campaign_of(saved).clone();
        self.refresh_goals().await?;
        let from = self.goal_of(&campaign);
        let total = self.storage.total(&campaign.slug).await?;
        let written: String = argument.chars().filter(|c| !matches!(c, ',' | '_' | ' ')).collect();
        if written.is_empty() {
            return say(MilestoneMessage::GoalUsage { goal: from, total });
        }
        let to = match written.parse::<u64>() {
            Ok(to) if to > total && i64::try_from(to).is_ok() => to,
            _ => return say(MilestoneMessage::GoalNotAboveTotal { total }),
        };
        let audit = AuditEntry {
            campaign: campaign.slug.clone(),
            actor: msg.from.clone(),
            action: "goal".to_owned(),
            detail: self.say(Message::Milestones(MilestoneMessage::GoalAudit { from, to })),
            affected: 0,
            at: self.clock.now(),
        };
        self.storage.set_goal(to, &audit).await?;
        self.goals
            .write()
            .expect("goals lock poisoned")
            .insert(campaign.slug.clone(), to);
        info!(campaign = %campaign.slug, from, to, "goal set");
        say(MilestoneMessage::GoalSet {
            title: &campaign.title,
            from,
            to,
            total,
        })
    }
}
