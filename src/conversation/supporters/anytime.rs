//! Words that work at any step: status, withdraw, mydata, privacy,
//! article, total, help, cancel and back, and the organiser commands.

use tracing::info;

use super::questions::answers_of;
use crate::campaign::Campaign;
use crate::conversation::words::OrganiserCommand;
use crate::conversation::{Conversation, Engine, EngineResult, Incoming, Reply, Step, Word};
use crate::domain::{Identity, Location};
use crate::limits::SIGNING_ATTEMPTS_WINDOW;
use crate::messages::{Button, Message};

impl Engine {
    /// The handler of every word that works at any step (see
    /// [`Word::is_global`]): one arm per command.
    pub(in crate::conversation) async fn global(
        &self,
        msg: &Incoming,
        saved: Option<Conversation>,
        word: Word,
    ) -> EngineResult<Vec<Reply>> {
        let who = &msg.from;
        let campaign = self.campaign_of(saved.as_ref()).clone();
        match word {
            Word::Start | Word::Petition => self.start(who, saved, None).await,
            Word::Sign => match saved {
                Some(conversation) if conversation.step != Step::Welcome => Ok(vec![
                    self.question(&conversation)
                        .prefixed(self.phrase(Message::AlreadySigning)),
                ]),
                saved => self.begin_signing(who, saved).await,
            },
            Word::Article => {
                let mut replies = vec![Reply::private(self.say(Message::Article {
                    title: &campaign.title,
                    author: &campaign.author,
                    article: &campaign.article,
                }))];
                replies.push(self.question_or_invitation(saved.as_ref()));
                Ok(replies)
            }
            Word::Privacy => Ok(vec![
                Reply::private(campaign.privacy.clone()),
                self.question_or_invitation(saved.as_ref()),
            ]),
            Word::Help => Ok(vec![self.help(saved.as_ref())]),
            Word::Cancel => self.cancel(who, saved).await,
            Word::Back => self.back(who, saved).await,
            Word::Status => self.status(who, saved, &campaign).await,
            Word::Withdraw => self.ask_to_withdraw(who, saved, &campaign).await,
            Word::MyData => self.my_data(who, saved.as_ref(), &campaign).await,
            Word::Total => {
                let total = self.storage.total(&campaign.slug).await?;
                Ok(vec![Reply::private(self.say(Message::Total {
                    title: &campaign.title,
                    total,
                    goal: self.goal_of(&campaign),
                }))])
            }
            Word::StopUpdates => self.stop_updates(who).await,
            Word::UpdatesOn => self.start_updates(who, &campaign).await,
            Word::Updates => self.list_updates(msg, &campaign).await,
            Word::Update => self.write_update(msg, saved, None).await,
            Word::CancelUpdate => self.cancel_update(msg, &campaign).await,
            Word::Close => self.ask_to_close(msg, saved, &campaign).await,
            Word::Reopen => self.reopen_by(msg, &campaign).await,
            Word::Stats => self.organiser_command(msg, &campaign, OrganiserCommand::Stats).await,
            Word::Export => self.organiser_command(msg, &campaign, OrganiserCommand::Export).await,
            Word::Deliver => self.organiser_command(msg, &campaign, OrganiserCommand::Deliver).await,
            Word::Held => self.organiser_command(msg, &campaign, OrganiserCommand::Held).await,
            Word::Anomalies => {
                self.organiser_command(msg, &campaign, OrganiserCommand::Anomalies)
                    .await
            }
            // Not words of any step: read with what follows them, answered
            // by the adapters, or answers to a question in hand.
            Word::Release
            | Word::Invalidate
            | Word::Goal
            | Word::Progress
            | Word::Skip
            | Word::Yes
            | Word::No
            | Word::Confirm
            | Word::Change
            | Word::Outside => Ok(vec![self.not_understood(saved.as_ref())]),
        }
    }

    pub(in crate::conversation) async fn cancel(
        &self,
        who: &Identity,
        saved: Option<Conversation>,
    ) -> EngineResult<Vec<Reply>> {
        match saved {
            Some(conversation) if conversation.step == Step::ConfirmWithdraw => {
                self.keep_signature(who, conversation).await
            }
            Some(conversation) if let Step::Confirming(confirmation) = conversation.step => {
                self.leave_confirmation(who, conversation, confirmation).await
            }
            Some(conversation) => {
                self.storage.delete_conversation(who).await?;
                Ok(vec![Reply::private(self.say(Message::Cancelled {
                    had_answers: !conversation.draft.is_empty(),
                }))])
            }
            None => Ok(vec![Reply::private(self.say(Message::NothingToCancel))]),
        }
    }

    pub(in crate::conversation) async fn back(
        &self,
        who: &Identity,
        saved: Option<Conversation>,
    ) -> EngineResult<Vec<Reply>> {
        let Some(mut conversation) = saved else {
            return Ok(vec![
                self.not_understood(None)
                    .prefixed(self.phrase(Message::NothingToGoBackTo)),
            ]);
        };
        let asks_updates = who.platform.can_receive_updates();
        let abroad = matches!(conversation.draft.location, Some(Location::Abroad(_)));
        let previous = match conversation.step {
            Step::Welcome | Step::Name => Step::Welcome,
            Step::Email => Step::Name,
            Step::Postcode => Step::Email,
            Step::Country => Step::Postcode,
            Step::Consent if abroad => Step::Country,
            Step::Consent => Step::Postcode,
            Step::Updates => Step::Consent,
            Step::Review if asks_updates => Step::Updates,
            Step::Review => Step::Consent,
            Step::ChooseChange => Step::Review,
            Step::ConfirmWithdraw => return self.keep_signature(who, conversation).await,
            Step::Confirming(confirmation) => return self.leave_confirmation(who, conversation, confirmation).await,
        };
        conversation.step = previous;
        self.save(who, &conversation).await?;
        Ok(vec![self.question(&conversation)])
    }

    pub(in crate::conversation) async fn status(
        &self,
        who: &Identity,
        saved: Option<Conversation>,
        campaign: &Campaign,
    ) -> EngineResult<Vec<Reply>> {
        if let Some(signature) = self.storage.signature_of(&campaign.slug, who).await? {
            return Ok(vec![Reply::private(self.say(Message::YouSigned {
                title: &campaign.title,
                on: signature.created_at,
                platform: signature.identity.platform,
            }))]);
        }
        match saved {
            Some(conversation) if conversation.step != Step::Welcome => {
                Ok(vec![self.question(&conversation).prefixed(
                    self.phrase(Message::PartWayThrough { title: &campaign.title }),
                )])
            }
            _ => Ok(vec![
                Reply::private(self.say(Message::NotSignedYet { title: &campaign.title }))
                    .with_choices(vec![self.choice(Step::Welcome, Word::Sign, Button::Sign)]),
            ]),
        }
    }

    pub(in crate::conversation) async fn ask_to_withdraw(
        &self,
        who: &Identity,
        saved: Option<Conversation>,
        campaign: &Campaign,
    ) -> EngineResult<Vec<Reply>> {
        if self.storage.signature_of(&campaign.slug, who).await?.is_none() {
            return Ok(vec![Reply::private(self.say(Message::NothingToWithdraw {
                title: &campaign.title,
                had_answers: saved.as_ref().is_some_and(|c| !c.draft.is_empty()),
            }))]);
        }
        let mut conversation = saved.unwrap_or_else(|| self.new_conversation(campaign, who));
        if conversation.step != Step::ConfirmWithdraw {
            conversation.resume = Some(conversation.step);
        }
        conversation.step = Step::ConfirmWithdraw;
        self.save(who, &conversation).await?;
        Ok(vec![self.question(&conversation)])
    }

    pub(in crate::conversation) async fn withdraw(
        &self,
        who: &Identity,
        conversation: Conversation,
    ) -> EngineResult<Vec<Reply>> {
        let campaign = self.campaign_of(Some(&conversation)).clone();
        let outcome = self.storage.withdraw(&campaign.slug, who).await?;
        self.storage.delete_conversation(who).await?;
        if outcome.is_some() {
            self.guards.note_withdrawal(who, self.clock.now());
        }
        Ok(vec![Reply::private(self.say(match outcome {
            Some(total) => {
                info!(campaign = %campaign.slug, "signature withdrawn");
                Message::Withdrawn {
                    title: &campaign.title,
                    total,
                    goal: self.goal_of(&campaign),
                }
            }
            None => Message::NoSignatureToWithdraw,
        }))])
    }

    pub(in crate::conversation) async fn keep_signature(
        &self,
        who: &Identity,
        mut conversation: Conversation,
    ) -> EngineResult<Vec<Reply>> {
        let resume = conversation.resume.take().unwrap_or(Step::Welcome);
        conversation.step = resume;
        self.save(who, &conversation).await?;
        let mut replies = vec![Reply::private(self.say(Message::SignatureStays))];
        if resume != Step::Welcome {
            replies.push(self.question(&conversation));
        }
        Ok(replies)
    }

    pub(in crate::conversation) async fn my_data(
        &self,
        who: &Identity,
        saved: Option<&Conversation>,
        campaign: &Campaign,
    ) -> EngineResult<Vec<Reply>> {
        let signature = self.storage.signature_of(&campaign.slug, who).await?;
        let draft = saved.map(|c| &c.draft).filter(|d| !d.is_empty());
        let title = &campaign.title;
        let mut sections = vec![self.say(Message::EverythingWeHold { title })];
        if let Some(signature) = &signature {
            sections.push(self.say(Message::YourSignature { signature }));
        }
        if let Some(draft) = draft {
            sections.push(self.say(Message::AnswersInProgress {
                hours: self.abandon_after.num_hours(),
                answers: answers_of(draft),
            }));
        }
        if let Some(code) = saved.and_then(|c| c.referral.as_ref()).filter(|_| signature.is_none()) {
            sections.push(self.say(Message::ArrivedWith { code }));
        }
        let now = self.clock.now();
        let attempts = self
            .storage
            .signing_attempts_since(&campaign.slug, who, now - SIGNING_ATTEMPTS_WINDOW)
            .await?;
        if !attempts.is_empty() {
            sections.push(self.say(Message::SigningAttempts { times: &attempts }));
        }
        if sections.len() == 1
            && let Some(on) = self.anonymised_at(campaign)
        {
            sections = vec![
                self.say(Message::Lifecycle(crate::messages::LifecycleMessage::Anonymised {
                    title,
                    on,
                })),
            ];
        } else if sections.len() == 1 {
            sections = vec![self.say(Message::NothingHeldAboutYou { title })];
        } else {
            sections.push(self.say(Message::HowToDelete));
        }
        Ok(vec![Reply::private(sections.join("\n\n"))])
    }
}
