//! Words that work at any step: status, withdraw, mydata, privacy,
//! article, total, help, cancel and back, and the organiser commands.

use tracing::info;

use super::questions::choice;
use super::wording::{day, describe_draft, describe_signature, moment};
use super::words::Anytime;
use super::{Conversation, Engine, EngineResult, Incoming, Reply, Step, Word};
use crate::campaign::Campaign;
use crate::domain::{Identity, Location};
use crate::limits::SIGNING_ATTEMPTS_WINDOW;
use crate::organiser::progress;

impl Engine {
    pub(super) async fn global(
        &self,
        msg: &Incoming,
        saved: Option<Conversation>,
        word: Anytime,
    ) -> EngineResult<Vec<Reply>> {
        let who = &msg.from;
        let campaign = self.campaign_of(saved.as_ref()).clone();
        match word {
            Anytime::Start => self.start(who, saved, None).await,
            Anytime::Sign => match saved {
                Some(conversation) if conversation.step != Step::Welcome => Ok(vec![
                    self.question(&conversation)
                        .prefixed("You're already signing; let's carry on."),
                ]),
                saved => self.begin_signing(who, saved).await,
            },
            Anytime::Article => {
                let mut replies = vec![Reply::private(format!(
                    "{}\n\nBy {}\n\n{}",
                    campaign.title, campaign.author, campaign.article
                ))];
                replies.push(self.question_or_invitation(saved.as_ref()));
                Ok(replies)
            }
            Anytime::Privacy => Ok(vec![
                Reply::private(campaign.privacy.clone()),
                self.question_or_invitation(saved.as_ref()),
            ]),
            Anytime::Help => Ok(vec![self.help(saved.as_ref())]),
            Anytime::Cancel => self.cancel(who, saved).await,
            Anytime::Back => self.back(who, saved).await,
            Anytime::Status => self.status(who, saved, &campaign).await,
            Anytime::Withdraw => self.ask_to_withdraw(who, saved, &campaign).await,
            Anytime::MyData => self.my_data(who, saved.as_ref(), &campaign).await,
            Anytime::Total => {
                let total = self.storage.total(&campaign.slug).await?;
                Ok(vec![Reply::private(format!(
                    "\"{}\": {}.",
                    campaign.title,
                    progress(total, campaign.goal)
                ))])
            }
            Anytime::Organiser(command) => self.organiser_command(msg, &campaign, command).await,
        }
    }

    pub(super) async fn cancel(&self, who: &Identity, saved: Option<Conversation>) -> EngineResult<Vec<Reply>> {
        match saved {
            Some(conversation) if conversation.step == Step::ConfirmReview => self.drop_review(who, conversation).await,
            Some(conversation) if conversation.step == Step::ConfirmWithdraw => {
                self.keep_signature(who, conversation).await
            }
            Some(conversation) => {
                self.storage.delete_conversation(who).await?;
                let text = if conversation.draft.is_empty() {
                    "Cancelled. Send sign whenever you'd like to sign."
                } else {
                    "Cancelled. Nothing you typed has been kept. Send sign whenever you'd like to start again."
                };
                Ok(vec![Reply::private(text)])
            }
            None => Ok(vec![Reply::private(
                "There's nothing to cancel. Send sign to sign the petition, or help to see what I can do.",
            )]),
        }
    }

    pub(super) async fn back(&self, who: &Identity, saved: Option<Conversation>) -> EngineResult<Vec<Reply>> {
        let Some(mut conversation) = saved else {
            return Ok(vec![
                self.not_understood(None).prefixed("There's nothing to go back to."),
            ]);
        };
        let has_email = conversation.draft.email_address().is_some();
        let abroad = matches!(conversation.draft.location, Some(Location::Abroad(_)));
        let previous = match conversation.step {
            Step::Welcome | Step::Name => Step::Welcome,
            Step::Email => Step::Name,
            Step::Postcode => Step::Email,
            Step::Country => Step::Postcode,
            Step::Consent if abroad => Step::Country,
            Step::Consent => Step::Postcode,
            Step::Updates => Step::Consent,
            Step::Review if has_email => Step::Updates,
            Step::Review => Step::Consent,
            Step::ChooseChange => Step::Review,
            Step::ConfirmWithdraw => return self.keep_signature(who, conversation).await,
            Step::ConfirmReview => return self.drop_review(who, conversation).await,
        };
        conversation.step = previous;
        self.save(who, &conversation).await?;
        Ok(vec![self.question(&conversation)])
    }

    pub(super) async fn status(
        &self,
        who: &Identity,
        saved: Option<Conversation>,
        campaign: &Campaign,
    ) -> EngineResult<Vec<Reply>> {
        if let Some(signature) = self.storage.signature_of(&campaign.slug, who).await? {
            return Ok(vec![Reply::private(format!(
                "You signed \"{}\" on {} on {}. Thank you! Send mydata to see what we hold about you, or withdraw to remove your signature.",
                campaign.title,
                day(signature.created_at),
                signature.identity.platform.display_name()
            ))]);
        }
        match saved {
            Some(conversation) if conversation.step != Step::Welcome => {
                Ok(vec![self.question(&conversation).prefixed(&format!(
                    "You haven't signed \"{}\" yet: you're part-way through.",
                    campaign.title
                ))])
            }
            _ => {
                Ok(vec![
                    Reply::private(format!("You haven't signed \"{}\" yet.", campaign.title))
                        .with_choices(vec![choice(Step::Welcome, Word::Sign, "Sign the petition")]),
                ])
            }
        }
    }

    pub(super) async fn ask_to_withdraw(
        &self,
        who: &Identity,
        saved: Option<Conversation>,
        campaign: &Campaign,
    ) -> EngineResult<Vec<Reply>> {
        if self.storage.signature_of(&campaign.slug, who).await?.is_none() {
            let mut text = format!(
                "You haven't signed \"{}\", so there is nothing to withdraw.",
                campaign.title
            );
            if saved.as_ref().is_some_and(|c| !c.draft.is_empty()) {
                text.push_str(" To throw away what you've typed so far, send cancel.");
            }
            return Ok(vec![Reply::private(text)]);
        }
        let mut conversation = saved.unwrap_or_else(|| self.new_conversation(campaign));
        if conversation.step != Step::ConfirmWithdraw {
            conversation.resume = Some(conversation.step);
        }
        conversation.step = Step::ConfirmWithdraw;
        self.save(who, &conversation).await?;
        Ok(vec![self.question(&conversation)])
    }

    pub(super) async fn withdraw(&self, who: &Identity, conversation: Conversation) -> EngineResult<Vec<Reply>> {
        let campaign = self.campaign_of(Some(&conversation)).clone();
        let outcome = self.storage.withdraw(&campaign.slug, who).await?;
        self.storage.delete_conversation(who).await?;
        if outcome.is_some() {
            self.guards.note_withdrawal(who, self.clock.now());
        }
        Ok(vec![Reply::private(match outcome {
            Some(total) => {
                info!(campaign = %campaign.slug, "signature withdrawn");
                format!(
                    "Done. Your signature and everything we held about you for \"{}\" have been deleted. The petition now has {}.",
                    campaign.title,
                    progress(total, campaign.goal)
                )
            }
            None => "There was no signature to withdraw, so nothing has changed.".to_owned(),
        })])
    }

    pub(super) async fn keep_signature(
        &self,
        who: &Identity,
        mut conversation: Conversation,
    ) -> EngineResult<Vec<Reply>> {
        let resume = conversation.resume.take().unwrap_or(Step::Welcome);
        conversation.step = resume;
        self.save(who, &conversation).await?;
        let mut replies = vec![Reply::private("Your signature stays. Thank you for your support!")];
        if resume != Step::Welcome {
            replies.push(self.question(&conversation));
        }
        Ok(replies)
    }

    pub(super) async fn my_data(
        &self,
        who: &Identity,
        saved: Option<&Conversation>,
        campaign: &Campaign,
    ) -> EngineResult<Vec<Reply>> {
        let signature = self.storage.signature_of(&campaign.slug, who).await?;
        let draft = saved.map(|c| &c.draft).filter(|d| !d.is_empty());
        let mut sections = vec![format!(
            "This is everything we hold about you for \"{}\".",
            campaign.title
        )];
        if let Some(signature) = &signature {
            sections.push(describe_signature(signature));
        }
        if let Some(draft) = draft {
            sections.push(format!(
                "Answers you are still typing (not a signature yet; deleted if you cancel, or after {} hours without a message):\n{}",
                self.abandon_after.num_hours(),
                describe_draft(draft)
            ));
        }
        if let Some(referral) = saved.and_then(|c| c.referral.as_ref()).filter(|_| signature.is_none()) {
            sections.push(format!("The share code you arrived with: {referral}"));
        }
        let now = self.clock.now();
        let attempts = self
            .storage
            .signing_attempts_since(&campaign.slug, who, now - SIGNING_ATTEMPTS_WINDOW)
            .await?;
        if !attempts.is_empty() {
            let times: Vec<String> = attempts.iter().map(|at| moment(*at)).collect();
            sections.push(format!(
                "When you confirmed a signature in the last day: {}. We keep these times for a day, with nothing you typed, so that nobody can try to sign endlessly; they are deleted after a day, or with your signature.",
                times.join("; ")
            ));
        }
        if sections.len() == 1 {
            sections = vec![format!("We hold nothing about you for \"{}\".", campaign.title)];
        } else {
            sections.push("Send withdraw to delete your signature and all of this.".to_owned());
        }
        Ok(vec![Reply::private(sections.join("\n\n"))])
    }
}
