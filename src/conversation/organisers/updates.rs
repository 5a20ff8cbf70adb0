//! Updates to signers. Signers stop and restart them with one word;
//! organisers write one, see it exactly as signers will and how many it
//! reaches, and confirm; the outbox (`crate::outbox`) then sends it.

use tracing::info;

use crate::campaign::Campaign;
use crate::conversation::{
    Confirmation, Context, Conversation, Engine, EngineError, EngineResult, Incoming, Reply, Step, Word,
};
use crate::domain::{Identity, Platform};
use crate::messages::{Button, Message, UPDATES_WORDING, UpdateMessage};
use crate::storage::{AuditEntry, NewUpdate, StorageError};

/// Past updates `updates` lists.
const LISTED: u32 = 10;

/// Who the audit log says sent a milestone's update.
pub(in crate::conversation) const MILESTONE_AUTHOR: &str = "milestones";

impl Engine {
    /// `stop` or `updates off`: no more updates about any campaign they
    /// signed, and none still waiting for them. No confirmation: stopping
    /// must be as easy as possible.
    pub(in crate::conversation) async fn stop_updates(&self, who: &Identity) -> EngineResult<Vec<Reply>> {
        let changed = self
            .storage
            .set_updates_opt_in(None, who, false, UPDATES_WORDING)
            .await?;
        info!(signatures = changed, "updates stopped");
        Ok(vec![Reply::private(
            self.say_update(UpdateMessage::Stopped { signed: changed > 0 }),
        )])
    }

    /// `updates on`: updates again about the campaign they are in.
    pub(in crate::conversation) async fn start_updates(
        &self,
        who: &Identity,
        campaign: &Campaign,
    ) -> EngineResult<Vec<Reply>> {
        if !who.platform.can_receive_updates() {
            return Ok(vec![Reply::private(self.say_update(UpdateMessage::StartAtTheConsole))]);
        }
        let changed = self
            .storage
            .set_updates_opt_in(Some(&campaign.slug), who, true, UPDATES_WORDING)
            .await?;
        let message = if changed > 0 {
            UpdateMessage::Started {
                title: &campaign.title,
                platform: who.platform,
            }
        } else {
            UpdateMessage::StartNeedsSignature { title: &campaign.title }
        };
        Ok(vec![Reply::private(self.say_update(message))])
    }

    /// `updates`: organisers see past updates; a signer sees their choice.
    pub(in crate::conversation) async fn list_updates(
        &self,
        msg: &Incoming,
        campaign: &Campaign,
    ) -> EngineResult<Vec<Reply>> {
        if !self.organisers.includes(&msg.from, &msg.roles) {
            let text = match self.storage.signature_of(&campaign.slug, &msg.from).await? {
                Some(signature) => self.say_update(UpdateMessage::Choice {
                    opted_in: signature.updates_opt_in,
                    platform: signature.identity.platform,
                    wording: signature.updates_wording,
                }),
                None => self.say_update(UpdateMessage::StartNeedsSignature { title: &campaign.title }),
            };
            return Ok(vec![Reply::private(text)]);
        }
        let updates = self.storage.recent_updates(&campaign.slug, LISTED).await?;
        Ok(vec![Reply::private(self.say_update(UpdateMessage::List {
            title: &campaign.title,
            updates: &updates,
        }))])
    }

    /// `update`, or `update` followed by its text: asks for the text, or
    /// shows the preview.
    pub(in crate::conversation) async fn write_update(
        &self,
        msg: &Incoming,
        saved: Option<Conversation>,
        text: Option<&str>,
    ) -> EngineResult<Vec<Reply>> {
        let who = &msg.from;
        if !self.organisers.includes(who, &msg.roles) {
            info!(command = "update", "organiser command refused");
            return Err(EngineError::OrganisersOnly { command: Word::Update });
        }
        let mut conversation = saved.unwrap_or_else(|| self.new_conversation(self.campaigns.default_campaign(), who));
        let campaign = self.campaign_of(Some(&conversation)).clone();
        let reach = self.storage.update_reach(&campaign.slug).await?;
        if reach.is_empty() {
            return Ok(vec![Reply::private(self.say_update(UpdateMessage::NoRecipients))]);
        }
        if !matches!(
            conversation.step,
            Step::Confirming(Confirmation::WriteUpdate) | Step::Confirming(Confirmation::SendUpdate)
        ) {
            conversation.resume = Some(conversation.step);
        }
        let Some(text) = text.map(str::trim).filter(|text| !text.is_empty()) else {
            conversation.step = Step::Confirming(Confirmation::WriteUpdate);
            conversation.pending_update = None;
            self.save(who, &conversation).await?;
            let max_chars = longest_update(&reach).saturating_sub(self.update_as_sent(&campaign, "").chars().count());
            return Ok(vec![
                Reply::private(self.say_update(UpdateMessage::Compose { max_chars }))
                    .with_choices(vec![self.choice(
                        Step::Confirming(Confirmation::WriteUpdate),
                        Word::Cancel,
                        Button::Cancel,
                    )])
                    .with_long_answer(max_chars),
            ]);
        };
        let rendered = self.update_as_sent(&campaign, text);
        let max_chars = longest_update(&reach);
        let length = rendered.chars().count();
        if length > max_chars {
            conversation.step = Step::Confirming(Confirmation::WriteUpdate);
            self.save(who, &conversation).await?;
            return Ok(vec![Reply::private(
                self.say_update(UpdateMessage::TooLong { length, max_chars }),
            )]);
        }
        conversation.step = Step::Confirming(Confirmation::SendUpdate);
        conversation.pending_update = Some(text.to_owned());
        self.save(who, &conversation).await?;
        Ok(vec![
            Reply::private(self.say_update(UpdateMessage::Preview {
                rendered: &rendered,
                reach: &reach,
            }))
            .with_choices(vec![
                self.choice(
                    Step::Confirming(Confirmation::SendUpdate),
                    Word::Yes,
                    Button::SendUpdate,
                ),
                self.choice(Step::Confirming(Confirmation::SendUpdate), Word::No, Button::DoNotSend),
            ]),
        ])
    }

    /// The organiser's yes: the update and a delivery for each recipient
    /// are stored, audited, and left to the outbox to send.
    pub(in crate::conversation) async fn send_update(
        &self,
        msg: &Incoming,
        mut conversation: Conversation,
    ) -> EngineResult<Vec<Reply>> {
        let who = &msg.from;
        let campaign = self.campaign_of(Some(&conversation)).clone();
        let text = conversation.pending_update.take();
        // Checked again: the list may have changed since the preview.
        let (Some(text), true) = (text, self.organisers.includes(who, &msg.roles)) else {
            return self.discard_update(who, conversation).await;
        };
        let now = self.clock.now();
        let update = NewUpdate {
            campaign: campaign.slug.clone(),
            text,
            author: who.clone(),
            created_at: now,
        };
        let audit = AuditEntry {
            campaign: campaign.slug.clone(),
            actor: who.clone(),
            action: "update".to_owned(),
            detail: String::new(),
            affected: 0,
            at: now,
        };
        let (id, recipients) = self.storage.create_update(&update, &audit).await?;
        info!(campaign = %campaign.slug, update = id, recipients, "update queued");
        self.outbox_wake.notify_waiters();
        conversation.step = conversation.resume.take().unwrap_or(Step::Welcome);
        self.save(who, &conversation).await?;
        Ok(vec![Reply::private(
            self.say_update(UpdateMessage::Queued { id, recipients }),
        )])
    }

    /// The organiser's no, or a way out of writing one: nothing is sent.
    pub(in crate::conversation) async fn discard_update(
        &self,
        who: &Identity,
        mut conversation: Conversation,
    ) -> EngineResult<Vec<Reply>> {
        conversation.pending_update = None;
        conversation.step = conversation.resume.take().unwrap_or(Step::Welcome);
        self.save(who, &conversation).await?;
        Ok(vec![Reply::private(self.say_update(UpdateMessage::Discarded))])
    }

    /// `cancel update`: the newest update still being sent stops; what
    /// was sent stays sent.
    pub(in crate::conversation) async fn cancel_update(
        &self,
        msg: &Incoming,
        campaign: &Campaign,
    ) -> EngineResult<Vec<Reply>> {
        if !self.organisers.includes(&msg.from, &msg.roles) {
            return Err(EngineError::OrganisersOnly {
                command: Word::CancelUpdate,
            });
        }
        let audit = AuditEntry {
            campaign: campaign.slug.clone(),
            actor: msg.from.clone(),
            action: "cancel update".to_owned(),
            detail: String::new(),
            affected: 0,
            at: self.clock.now(),
        };
        let text = match self.storage.cancel_update(&campaign.slug, None, &audit).await? {
            Some(update) => {
                info!(campaign = %campaign.slug, update = update.id, "update cancelled");
                self.outbox_wake.notify_waiters();
                self.say_update(UpdateMessage::Summary { update: &update })
            }
            None => self.say_update(UpdateMessage::NothingToCancel),
        };
        Ok(vec![Reply::private(text)])
    }

    /// For the command line: an update checked as the chat checks one, and
    /// its preview (worded, with how many it reaches), or why it cannot be
    /// sent, worded too.
    pub async fn preview_update(
        &self,
        campaign: &Campaign,
        text: &str,
    ) -> Result<Result<String, String>, StorageError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Err(self.say_update(UpdateMessage::Empty)));
        }
        let reach = self.storage.update_reach(&campaign.slug).await?;
        if reach.is_empty() {
            return Ok(Err(self.say_update(UpdateMessage::NoRecipients)));
        }
        let rendered = self.update_as_sent(campaign, text);
        let max_chars = longest_update(&reach);
        let length = rendered.chars().count();
        if length > max_chars {
            return Ok(Err(self.say_update(UpdateMessage::TooLong { length, max_chars })));
        }
        Ok(Ok(self.say_update(UpdateMessage::Preview {
            rendered: &rendered,
            reach: &reach,
        })))
    }

    /// For the command line: queues an update checked by
    /// [`Engine::preview_update`], audited as `author`'s; worded confirmation.
    pub async fn queue_update(
        &self,
        campaign: &Campaign,
        text: &str,
        author: &Identity,
    ) -> Result<String, StorageError> {
        let now = self.clock.now();
        let update = NewUpdate {
            campaign: campaign.slug.clone(),
            text: text.trim().to_owned(),
            author: author.clone(),
            created_at: now,
        };
        let audit = AuditEntry {
            campaign: campaign.slug.clone(),
            actor: author.clone(),
            action: "update".to_owned(),
            detail: String::new(),
            affected: 0,
            at: now,
        };
        let (id, recipients) = self.storage.create_update(&update, &audit).await?;
        info!(campaign = %campaign.slug, update = id, recipients, "update queued");
        Ok(self.say_update(UpdateMessage::QueuedForTheBots { id, recipients }))
    }

    /// A milestone as an update to the signers who asked for updates, for a
    /// campaign with `milestone_updates`: queued by the process that claimed
    /// the milestone, so once. Nobody opted in, nothing queued.
    pub(in crate::conversation) async fn send_milestone_update(
        &self,
        campaign: &Campaign,
        text: &str,
    ) -> Result<(), StorageError> {
        if self.storage.update_reach(&campaign.slug).await?.is_empty() {
            return Ok(());
        }
        let author = Identity::new(Platform::Console, MILESTONE_AUTHOR);
        self.queue_update(campaign, text, &author).await?;
        self.outbox_wake.notify_waiters();
        Ok(())
    }

    /// For the command line: a campaign's past updates, worded.
    pub async fn describe_updates(&self, campaign: &Campaign) -> Result<String, StorageError> {
        let updates = self.storage.recent_updates(&campaign.slug, LISTED).await?;
        Ok(self.say_update(UpdateMessage::List {
            title: &campaign.title,
            updates: &updates,
        }))
    }
}

/// The longest an update may be, as signers see it: it must fit one
/// message on every platform it goes to.
fn longest_update(reach: &[(Platform, u64)]) -> usize {
    reach
        .iter()
        .map(|(platform, _)| platform.max_message_chars())
        .min()
        .unwrap_or(usize::MAX)
}

impl Context {
    fn say_update(&self, message: UpdateMessage<'_>) -> String {
        self.say(Message::Update(message))
    }

    /// An update as a signer receives it, worded in the engine's language:
    /// what the outbox sends, and what the preview shows.
    pub fn update_as_sent(&self, campaign: &Campaign, text: &str) -> String {
        self.say_update(UpdateMessage::ToSigner {
            title: &campaign.title,
            text,
        })
    }

    /// The question at the updates-writing steps.
    pub(in crate::conversation) fn update_question(&self, conversation: &Conversation) -> Reply {
        let campaign = self.campaign_of(Some(conversation));
        // Without the recipients at hand, the limit of every platform.
        let max_chars = longest_update(&[(Platform::Telegram, 1), (Platform::Discord, 1)])
            .saturating_sub(self.update_as_sent(campaign, "").chars().count());
        match conversation.step {
            Step::Confirming(Confirmation::SendUpdate) => {
                let text = conversation.pending_update.as_deref().unwrap_or_default();
                Reply::private(self.update_as_sent(campaign, text)).with_choices(vec![
                    self.choice(
                        Step::Confirming(Confirmation::SendUpdate),
                        Word::Yes,
                        Button::SendUpdate,
                    ),
                    self.choice(Step::Confirming(Confirmation::SendUpdate), Word::No, Button::DoNotSend),
                ])
            }
            _ => Reply::private(self.say_update(UpdateMessage::Compose { max_chars }))
                .with_choices(vec![self.choice(
                    Step::Confirming(Confirmation::WriteUpdate),
                    Word::Cancel,
                    Button::Cancel,
                )])
                .with_long_answer(max_chars),
        }
    }
}
