//! Organisers: stats, held, anomalies, export and the delivery pack, and reviewing held
//! signatures (a dry run, then release or invalidate on a yes).

use tracing::info;

use crate::campaign::Campaign;
use crate::conversation::words::OrganiserCommand;
use crate::conversation::{
    Attachment, Confirmation, Context, Conversation, Engine, EngineError, EngineResult, Incoming, PendingReview, Reply,
    Step, Word,
};
use crate::delivery;
use crate::domain::{Identity, ReviewAction};
use crate::messages::{Button, DeliveryMessage, Message};
use crate::organiser;
use crate::storage::AuditEntry;

impl Engine {
    pub(in crate::conversation) async fn organiser_command(
        &self,
        msg: &Incoming,
        campaign: &Campaign,
        command: OrganiserCommand,
    ) -> EngineResult<Vec<Reply>> {
        let word = command.word();
        if !self.organisers.includes(&msg.from, &msg.roles) {
            info!(command = word.as_str(), "organiser command refused");
            return Err(EngineError::OrganisersOnly { command: word });
        }
        info!(command = word.as_str(), campaign = %campaign.slug, "organiser command");
        let now = self.clock.now();
        let today = now.date_naive();
        let audit = |affected: u64| AuditEntry {
            campaign: campaign.slug.clone(),
            actor: msg.from.clone(),
            action: word.as_str().to_owned(),
            detail: String::new(),
            affected,
            at: now,
        };
        let reply = match command {
            OrganiserCommand::Stats => {
                let stats = organiser::stats(self.storage.as_ref(), campaign, today).await?;
                self.storage.record_audit(&audit(stats.total)).await?;
                // Shown against the goal in force, which organisers may have raised.
                let campaign = Campaign {
                    goal: self.goal_of(campaign),
                    ..campaign.clone()
                };
                Reply::private(organiser::render_stats(self.language, &campaign, &stats))
            }
            OrganiserCommand::Held => {
                let held = self.storage.held_summary(&campaign.slug).await?;
                self.storage.record_audit(&audit(held.held)).await?;
                Reply::private(organiser::render_held(self.language, campaign, &held))
            }
            OrganiserCommand::Anomalies => {
                let anomalies = self
                    .storage
                    .anomalies(&campaign.slug, now - chrono::Duration::days(7))
                    .await?;
                Reply::private(organiser::render_anomalies(self.language, campaign, &anomalies))
            }
            OrganiserCommand::Export => {
                let rows = self.storage.export(&campaign.slug).await?;
                self.storage.record_audit(&audit(rows.len() as u64)).await?;
                let bytes = organiser::write_csv(&rows).map_err(EngineError::Export)?;
                Reply::private(self.say(Message::Export {
                    count: rows.len() as u64,
                    title: &campaign.title,
                }))
                .with_attachment(Attachment {
                    file_name: format!("{}-signatures-{}.csv", campaign.slug, today.format("%Y-%m-%d")),
                    media_type: "text/csv".to_owned(),
                    bytes,
                })
            }
            OrganiserCommand::Deliver => self.delivery_pack(campaign, today, audit).await?,
        };
        Ok(vec![reply])
    }

    /// The delivery pack as a PDF attachment.
    async fn delivery_pack(
        &self,
        campaign: &Campaign,
        today: chrono::NaiveDate,
        audit: impl Fn(u64) -> AuditEntry,
    ) -> EngineResult<Reply> {
        let rows = self.storage.export(&campaign.slug).await?;
        self.storage.record_audit(&audit(rows.len() as u64)).await?;
        let pack = self
            .build_pack(campaign, rows, today)
            .await
            .map_err(EngineError::Delivery)?;
        self.note_delivery(campaign).await?;
        Ok(Reply::private(self.say(Message::Delivery(DeliveryMessage::Attached {
            title: &campaign.title,
            count: pack.signatures,
        })))
        .with_attachment(Attachment {
            file_name: delivery::file_name(campaign, today),
            media_type: "application/pdf".to_owned(),
            bytes: pack.pdf,
        }))
    }

    /// A dry run: how many signatures a release or invalidation would
    /// change, and a question whether to go ahead.
    pub(in crate::conversation) async fn ask_to_review(
        &self,
        msg: &Incoming,
        saved: Option<Conversation>,
        action: ReviewAction,
        arguments: &str,
    ) -> EngineResult<Vec<Reply>> {
        let who = &msg.from;
        if !self.organisers.includes(who, &msg.roles) {
            return Err(EngineError::ReviewOrganisersOnly { action });
        }
        let selection = organiser::parse_selection(arguments).map_err(EngineError::BadSelection)?;
        let mut conversation = saved.unwrap_or_else(|| self.new_conversation(self.campaigns.default_campaign(), who));
        let campaign = self.campaign_of(Some(&conversation)).clone();
        let matched = self.storage.count_selected(&campaign.slug, &selection, action).await?;
        let count = matched.held + matched.counted;
        if count == 0 {
            return Ok(vec![Reply::private(self.say(Message::NothingMatches {
                action,
                selection: &selection,
            }))]);
        }
        let question = self.say(match action {
            ReviewAction::Release => Message::ReleaseQuestion {
                count,
                selection: &selection,
            },
            ReviewAction::Invalidate => Message::InvalidateQuestion {
                held: matched.held,
                counted: matched.counted,
                selection: &selection,
            },
        });
        if conversation.step != Step::Confirming(Confirmation::Review) {
            conversation.resume = Some(conversation.step);
        }
        conversation.step = Step::Confirming(Confirmation::Review);
        conversation.pending_review = Some(PendingReview { action, selection });
        self.save(who, &conversation).await?;
        Ok(vec![Reply::private(question).with_choices(vec![
            self.choice(
                Step::Confirming(Confirmation::Review),
                Word::Yes,
                Button::Review { action, count },
            ),
            self.choice(Step::Confirming(Confirmation::Review), Word::No, Button::No),
        ])])
    }

    pub(in crate::conversation) async fn apply_review(
        &self,
        msg: &Incoming,
        mut conversation: Conversation,
    ) -> EngineResult<Vec<Reply>> {
        let who = &msg.from;
        let campaign = self.campaign_of(Some(&conversation)).clone();
        let Some(pending) = conversation.pending_review.take() else {
            return self.drop_review(who, conversation).await;
        };
        // Checked again: the list may have changed since the question.
        if !self.organisers.includes(who, &msg.roles) {
            return self.drop_review(who, conversation).await;
        }
        let audit = AuditEntry {
            campaign: campaign.slug.clone(),
            actor: who.clone(),
            action: pending.action.as_str().to_owned(),
            detail: organiser::describe_selection(self.language, &pending.selection),
            affected: 0,
            at: self.clock.now(),
        };
        let outcome = self
            .storage
            .apply_review(&campaign.slug, &pending.selection, pending.action, &audit)
            .await?;
        info!(campaign = %campaign.slug, action = pending.action.as_str(), affected = outcome.affected, "organiser review applied");
        conversation.step = conversation.resume.take().unwrap_or(Step::Welcome);
        self.save(who, &conversation).await?;
        Ok(vec![Reply::private(self.say(Message::ReviewApplied {
            action: pending.action,
            affected: outcome.affected,
            total: outcome.total,
            goal: self.goal_of(&campaign),
            held: outcome.held,
        }))])
    }

    pub(in crate::conversation) async fn drop_review(
        &self,
        who: &Identity,
        mut conversation: Conversation,
    ) -> EngineResult<Vec<Reply>> {
        conversation.pending_review = None;
        conversation.step = conversation.resume.take().unwrap_or(Step::Welcome);
        self.save(who, &conversation).await?;
        Ok(vec![Reply::private(self.say(Message::NothingChanged))])
    }
}

impl Context {
    /// The review's question asked again, without the count it had.
    pub(in crate::conversation) fn review_question(&self) -> Reply {
        let step = Step::Confirming(Confirmation::Review);
        Reply::private(self.say(Message::AskToGoAhead)).with_choices(vec![
            self.choice(step, Word::Yes, Button::Yes),
            self.choice(step, Word::No, Button::No),
        ])
    }
}
