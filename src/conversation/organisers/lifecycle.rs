//! A campaign's life: whether it can be signed now (not open yet, open,
//! closed), organisers closing and reopening it, closing at its configured
//! time with one announcement, and forgetting its signers once
//! `anonymise_after_days` have passed since it closed.

use std::collections::HashMap;
use std::sync::RwLock;

use chrono::{DateTime, Duration, Utc};
use tracing::{info, warn};

use crate::campaign::Campaign;
use crate::conversation::{
    Confirmation, Context, Conversation, Engine, EngineError, EngineResult, Incoming, Reply, Step, Word,
};
use crate::domain::{Identity, Platform};
use crate::messages::{Button, LifecycleMessage, Message};
use crate::storage::{AuditEntry, Lifecycle, NewUpdate, Reopening, StorageError};

/// Who the audit log says closed a campaign at its configured time, or
/// forgot its signers.
pub const SCHEDULE: &str = "schedule";

/// Whether `campaign`, with what the database says of its `lifecycle`, can
/// be signed at `now`.
pub fn standing_of(campaign: &Campaign, lifecycle: &Lifecycle, now: DateTime<Utc>) -> Standing {
    if let Some(closed) = lifecycle.closed_at {
        return Standing::Closed(closed);
    }
    if let Some(opens) = campaign.opens_at
        && now < opens
    {
        return Standing::NotYetOpen(opens);
    }
    match campaign.closes_at {
        Some(closes) if now >= closes && !lifecycle.reopened => Standing::Closed(closes),
        _ => Standing::Open,
    }
}

/// Whether a campaign can be signed now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Not yet: it opens then.
    NotYetOpen(DateTime<Utc>),
    /// Open for signatures.
    Open,
    /// Closed then: no more signatures.
    Closed(DateTime<Utc>),
}

/// What the database says of each campaign's life, read at start-up and at
/// each look (every process shares it), and kept up to date by this
/// process's own changes.
#[derive(Default)]
pub(in crate::conversation) struct Lifecycles(RwLock<HashMap<String, Lifecycle>>);

impl Lifecycles {
    fn get(&self, campaign: &str) -> Lifecycle {
        self.0
            .read()
            .expect("lifecycles lock")
            .get(campaign)
            .cloned()
            .unwrap_or_default()
    }

    fn replace(&self, lifecycles: Vec<Lifecycle>) {
        let mut known = self.0.write().expect("lifecycles lock");
        *known = lifecycles.into_iter().map(|l| (l.campaign.clone(), l)).collect();
    }
}

impl Engine {
    /// Reads every campaign's lifecycle from the database again.
    pub async fn refresh_lifecycles(&self) -> Result<(), StorageError> {
        let lifecycles = self.storage.lifecycles().await?;
        self.lifecycles.replace(lifecycles);
        Ok(())
    }

    /// Whether `campaign` can be signed now.
    pub fn standing(&self, campaign: &Campaign) -> Standing {
        standing_of(campaign, &self.lifecycles.get(&campaign.slug), self.clock.now())
    }

    /// After a delivery pack was made: a closed campaign counts as
    /// delivered, and can no longer be reopened.
    pub(in crate::conversation) async fn note_delivery(&self, campaign: &Campaign) -> Result<(), StorageError> {
        if matches!(self.standing(campaign), Standing::Closed(_)) {
            self.storage.mark_delivered(&campaign.slug, self.clock.now()).await?;
            self.refresh_lifecycles().await?;
        }
        Ok(())
    }

    /// When `campaign`'s signers were forgotten, if they were.
    pub(in crate::conversation) fn anonymised_at(&self, campaign: &Campaign) -> Option<DateTime<Utc>> {
        self.lifecycles.get(&campaign.slug).anonymised_at
    }

    /// Refuses to sign a campaign that is not open: before it opens, when it
    /// opens; after it closes, with its final total.
    pub(in crate::conversation) async fn refuse_unless_open(&self, campaign: &Campaign) -> EngineResult<()> {
        match self.standing(campaign) {
            Standing::Open => Ok(()),
            Standing::NotYetOpen(opens) => Err(EngineError::NotOpenYet {
                title: campaign.title.clone(),
                opens,
            }),
            Standing::Closed(on) => Err(EngineError::Closed {
                title: campaign.title.clone(),
                targets: campaign.targets.clone(),
                total: self.storage.total(&campaign.slug).await?,
                on,
            }),
        }
    }

    /// The closing announcement: the final total and who it goes to.
    async fn closing_announcement(&self, campaign: &Campaign, author: &Identity) -> Result<NewUpdate, StorageError> {
        let total = self.storage.total(&campaign.slug).await?;
        Ok(NewUpdate {
            campaign: campaign.slug.clone(),
            text: self.say(Message::Lifecycle(LifecycleMessage::Announcement {
                title: &campaign.title,
                total,
                targets: &campaign.targets,
            })),
            author: author.clone(),
            created_at: self.clock.now(),
        })
    }

    /// Closes `campaign` at `at` unless it is closed, announcing it once;
    /// returns whether this call closed it.
    pub async fn close(&self, campaign: &Campaign, at: DateTime<Utc>, by: &Identity) -> Result<bool, StorageError> {
        let audit = AuditEntry {
            campaign: campaign.slug.clone(),
            actor: by.clone(),
            action: "close".to_owned(),
            detail: String::new(),
            affected: 0,
            at: self.clock.now(),
        };
        let announcement = self.closing_announcement(campaign, by).await?;
        let closed = self.storage.close_campaign(at, &audit, &announcement).await?;
        self.refresh_lifecycles().await?;
        if let Some(update) = closed {
            info!(campaign = %campaign.slug, update, "campaign closed");
            self.outbox_wake.notify_waiters();
        }
        Ok(closed.is_some())
    }

    /// Reopens `campaign` unless it was delivered; audited.
    pub async fn reopen(&self, campaign: &Campaign, by: &Identity) -> Result<Reopening, StorageError> {
        let audit = AuditEntry {
            campaign: campaign.slug.clone(),
            actor: by.clone(),
            action: "reopen".to_owned(),
            detail: String::new(),
            affected: 0,
            at: self.clock.now(),
        };
        let reopened = self.storage.reopen_campaign(&audit).await?;
        self.refresh_lifecycles().await?;
        Ok(reopened)
    }

    /// When `campaign`'s signers are due to be forgotten, once it has closed.
    pub fn anonymise_due(&self, campaign: &Campaign) -> Option<DateTime<Utc>> {
        match self.standing(campaign) {
            Standing::Closed(on) => Some(on + Duration::days(i64::from(campaign.anonymise_after_days))),
            Standing::Open | Standing::NotYetOpen(_) => None,
        }
    }

    /// Run on a timer: closes campaigns whose closing time has passed
    /// (announcing each once, whichever process gets there first), and
    /// forgets the signers of those closed `anonymise_after_days` ago.
    pub async fn look_after_lifecycles(&self) -> Result<(), StorageError> {
        self.refresh_lifecycles().await?;
        let schedule = Identity::new(Platform::Console, SCHEDULE);
        let now = self.clock.now();
        for campaign in self.campaigns.iter() {
            let lifecycle = self.lifecycles.get(&campaign.slug);
            if let Standing::Closed(at) = self.standing(campaign)
                && lifecycle.closed_at.is_none()
            {
                self.close(campaign, at, &schedule).await?;
            }
            if lifecycle.anonymised_at.is_none() && self.anonymise_due(campaign).is_some_and(|due| due <= now) {
                let count = self.storage.anonymise(&campaign.slug, now).await?;
                info!(campaign = %campaign.slug, count, "signers forgotten");
            }
        }
        self.refresh_lifecycles().await
    }

    /// `close`: asks an organiser to confirm closing the campaign now.
    pub(in crate::conversation) async fn ask_to_close(
        &self,
        msg: &Incoming,
        saved: Option<Conversation>,
        campaign: &Campaign,
    ) -> EngineResult<Vec<Reply>> {
        if !self.organisers.includes(&msg.from, &msg.roles) {
            return Err(EngineError::OrganisersOnly { command: Word::Close });
        }
        let title = &campaign.title;
        if matches!(self.standing(campaign), Standing::Closed(_)) {
            return Ok(vec![Reply::private(
                self.say_lifecycle(LifecycleMessage::AlreadyClosed { title }),
            )]);
        }
        let total = self.storage.total(&campaign.slug).await?;
        let mut conversation = saved.unwrap_or_else(|| self.new_conversation(campaign, &msg.from));
        if conversation.step != Step::Confirming(Confirmation::Close) {
            conversation.resume = Some(conversation.step);
        }
        conversation.step = Step::Confirming(Confirmation::Close);
        self.save(&msg.from, &conversation).await?;
        Ok(vec![self.close_question(campaign, Some(total))])
    }

    /// The organiser's yes: closed now, announced once.
    pub(in crate::conversation) async fn close_now(
        &self,
        msg: &Incoming,
        mut conversation: Conversation,
    ) -> EngineResult<Vec<Reply>> {
        let campaign = self.campaign_of(Some(&conversation)).clone();
        conversation.step = conversation.resume.take().unwrap_or(Step::Welcome);
        self.save(&msg.from, &conversation).await?;
        // Checked again: the list may have changed since the question.
        if !self.organisers.includes(&msg.from, &msg.roles) {
            return Ok(vec![Reply::private(self.say(Message::NothingChanged))]);
        }
        let title = &campaign.title;
        if !self.close(&campaign, self.clock.now(), &msg.from).await? {
            return Ok(vec![Reply::private(
                self.say_lifecycle(LifecycleMessage::AlreadyClosed { title }),
            )]);
        }
        let total = self.storage.total(&campaign.slug).await?;
        Ok(vec![Reply::private(
            self.say_lifecycle(LifecycleMessage::ClosedNow { title, total }),
        )])
    }

    /// `reopen`, for organisers: open again, until delivered.
    pub(in crate::conversation) async fn reopen_by(
        &self,
        msg: &Incoming,
        campaign: &Campaign,
    ) -> EngineResult<Vec<Reply>> {
        if !self.organisers.includes(&msg.from, &msg.roles) {
            return Err(EngineError::OrganisersOnly { command: Word::Reopen });
        }
        let title = &campaign.title;
        if !matches!(self.standing(campaign), Standing::Closed(_)) {
            return Ok(vec![Reply::private(
                self.say_lifecycle(LifecycleMessage::NotClosed { title }),
            )]);
        }
        let said = match self.reopen(campaign, &msg.from).await? {
            Reopening::Reopened => {
                info!(campaign = %campaign.slug, "campaign reopened");
                LifecycleMessage::Reopened { title }
            }
            Reopening::AlreadyAnonymised => {
                warn!(campaign = %campaign.slug, "an anonymised campaign cannot be reopened");
                LifecycleMessage::AlreadyAnonymisedCannotReopen { title }
            }
            Reopening::AlreadyDelivered => {
                warn!(campaign = %campaign.slug, "a delivered campaign cannot be reopened");
                LifecycleMessage::AlreadyDelivered { title }
            }
        };
        Ok(vec![Reply::private(self.say_lifecycle(said))])
    }

    /// The organiser's no: nothing changes.
    pub(in crate::conversation) async fn keep_open(
        &self,
        who: &Identity,
        mut conversation: Conversation,
    ) -> EngineResult<Vec<Reply>> {
        conversation.step = conversation.resume.take().unwrap_or(Step::Welcome);
        self.save(who, &conversation).await?;
        Ok(vec![Reply::private(self.say(Message::NothingChanged))])
    }
}

impl Context {
    pub(in crate::conversation) fn close_question(&self, campaign: &Campaign, total: Option<u64>) -> Reply {
        Reply::private(self.say_lifecycle(LifecycleMessage::AskToClose {
            title: &campaign.title,
            total,
        }))
        .with_choices(vec![
            self.choice(Step::Confirming(Confirmation::Close), Word::Yes, Button::Yes),
            self.choice(Step::Confirming(Confirmation::Close), Word::No, Button::No),
        ])
    }

    /// The question at the close step, asked again.
    pub(in crate::conversation) fn lifecycle_question(&self, conversation: &Conversation) -> Reply {
        let campaign = self.campaign_of(Some(conversation));
        self.close_question(campaign, None)
    }

    pub(in crate::conversation) fn say_lifecycle(&self, message: LifecycleMessage<'_>) -> String {
        self.say(Message::Lifecycle(message))
    }
}
