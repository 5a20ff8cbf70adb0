//! Answers to the signing questions, the form that answers several at
//! once, and the signature itself.

use tracing::info;

use super::start::already_signed;
use crate::campaign::Campaign;
use crate::conversation::{
    CompleteDraft, ConsentAnswer, Conversation, EmailAnswer, Engine, EngineError, EngineResult, FieldProblem,
    FormAnswers, FormConsent, FormField, Incoming, Link, PAYLOAD_SEPARATOR, Reply, Step, Word,
};
use crate::domain::{
    Country, CountryRejection, Email, Identity, Location, PostcodeDistrict, PostcodeRejection, Rejection, ShareCode,
    SignerName,
};
use crate::limits::{SIGNING_ATTEMPTS_WINDOW, signing_attempts_wait};
use crate::messages::{FormProblem, LocationProblem, Message, UpdateMessage};
use crate::metrics;
use crate::storage::{DuplicateMatch, NewSignature, SignOutcome};

impl Engine {
    pub(in crate::conversation) async fn at_step(
        &self,
        msg: &Incoming,
        mut conversation: Conversation,
        word: Word,
    ) -> EngineResult<Vec<Reply>> {
        let who = &msg.from;
        let campaign = self.campaign_of(Some(&conversation)).clone();
        let now = self.clock.now();
        let draft = &mut conversation.draft;
        match (conversation.step, word) {
            (Step::Email, Word::Skip) if !campaign.require_email => {
                draft.email = Some(EmailAnswer::Skipped);
            }
            (Step::Email, Word::Skip) => {
                return Ok(vec![
                    self.question(&conversation).prefixed(self.phrase(Message::EmailNeeded)),
                ]);
            }
            (Step::Postcode | Step::Country, Word::Skip) => {
                return Ok(vec![
                    self.question(&conversation).prefixed(self.phrase(Message::WhereNeeded)),
                ]);
            }
            (Step::Postcode, Word::Outside) => {
                conversation.step = Step::Country;
                self.save(who, &conversation).await?;
                return Ok(vec![self.question(&conversation)]);
            }
            (Step::Consent, Word::Yes) => {
                draft.consent = Some(ConsentAnswer {
                    at: now,
                    version: campaign.consent.version,
                });
            }
            (Step::Consent, Word::No) => {
                let had_consented = draft.consent.take().is_some();
                if had_consented {
                    self.save(who, &conversation).await?;
                }
                return Ok(vec![
                    self.question(&conversation)
                        .prefixed(self.phrase(Message::ConsentDeclined)),
                ]);
            }
            (Step::Updates, Word::Yes) => draft.updates = Some(true),
            (Step::Updates, Word::No | Word::Skip) => draft.updates = Some(false),
            (Step::Review, Word::Confirm) => return self.sign(msg, conversation, &campaign).await,
            (Step::Confirming(confirmation), word) => return self.confirm(msg, conversation, confirmation, word).await,
            (Step::Review, Word::Change) => {
                conversation.step = Step::ChooseChange;
                self.save(who, &conversation).await?;
                return Ok(vec![self.question(&conversation)]);
            }
            (Step::ConfirmWithdraw, Word::Yes) => return self.withdraw(who, conversation).await,
            (Step::ConfirmWithdraw, Word::No) => {
                return self.keep_signature(who, conversation).await;
            }
            _ => return Ok(vec![self.not_understood(Some(&conversation))]),
        }
        self.advance(who, conversation).await
    }

    pub(in crate::conversation) async fn answer(
        &self,
        who: &Identity,
        mut conversation: Conversation,
        text: &str,
    ) -> EngineResult<Vec<Reply>> {
        let draft = &mut conversation.draft;
        let accepted: Result<(), Rejection> = match conversation.step {
            Step::Name => SignerName::parse(text)
                .map(|name| draft.name = Some(name))
                .map_err(Rejection::from),
            Step::Email => Email::parse(text)
                .map(|email| draft.give_email(email))
                .map_err(Rejection::from),
            Step::Postcode => PostcodeDistrict::from_answer(text)
                .map(|district| draft.location = Some(Location::Uk(district)))
                .map_err(Rejection::from),
            Step::Country => match Country::parse(text) {
                Ok(country) => {
                    draft.location = Some(Location::Abroad(country));
                    Ok(())
                }
                // Not a mistake to re-ask about: they live in the UK after
                // all, so the question they need is the postcode.
                Err(CountryRejection::InTheUk) => {
                    conversation.step = Step::Postcode;
                    self.save(who, &conversation).await?;
                    return Ok(vec![
                        self.question(&conversation).prefixed(self.phrase(Message::InTheUk)),
                    ]);
                }
                Err(rejection) => Err(rejection.into()),
            },
            Step::ChooseChange => return self.choose_change(who, conversation, text).await,
            Step::Welcome
            | Step::Consent
            | Step::Updates
            | Step::Review
            | Step::ConfirmWithdraw
            | Step::Confirming(_) => {
                return Ok(vec![self.not_understood(Some(&conversation))]);
            }
        };
        match accepted {
            Ok(()) => self.advance(who, conversation).await,
            Err(rejection) => Ok(vec![
                self.question(&conversation)
                    .prefixed(self.phrase(Message::Rejection(rejection))),
            ]),
        }
    }

    /// Name, email and where they live at once (and, on a form that has
    /// them, the consent box and the updates question), each checked as if
    /// typed at its own step. Valid answers are kept even when others are
    /// not, so the form comes back with them filled in; the problems come
    /// back field by field too.
    pub(in crate::conversation) async fn submit_form(
        &self,
        who: &Identity,
        saved: Option<Conversation>,
        answers: FormAnswers,
    ) -> EngineResult<Vec<Reply>> {
        let named = answers.campaign.as_deref().and_then(|slug| self.campaigns.get(slug));
        let mut conversation = match saved {
            Some(conversation) if matches!(conversation.step, Step::ConfirmWithdraw | Step::Confirming(_)) => {
                return Ok(vec![self.not_understood(Some(&conversation))]);
            }
            // A form for another campaign than the one being signed starts
            // that one afresh (keeping who referred them only if it is the same).
            Some(conversation) if named.is_some_and(|campaign| campaign.slug != conversation.campaign) => {
                self.new_conversation(named.expect("just matched"), who)
            }
            Some(conversation) => conversation,
            None => self.new_conversation(named.unwrap_or(self.campaigns.default_campaign()), who),
        };
        let campaign = self.campaign_of(Some(&conversation)).clone();
        if let Some(signature) = self.storage.signature_of(&campaign.slug, who).await? {
            self.storage.delete_conversation(who).await?;
            return Err(already_signed(&campaign, &signature));
        }
        self.refuse_unless_open(&campaign).await?;
        let now = self.clock.now();
        let draft = &mut conversation.draft;
        let mut problems = Vec::new();
        match SignerName::parse(&answers.name) {
            Ok(name) => draft.name = Some(name),
            Err(rejection) => {
                draft.name = None;
                problems.push(FormProblem::Name(rejection));
            }
        }
        if answers.email.trim().is_empty() && !campaign.require_email {
            draft.email = Some(EmailAnswer::Skipped);
        } else if answers.email.trim().is_empty() {
            draft.email = None;
            problems.push(FormProblem::EmailNeeded);
        } else {
            match Email::parse(&answers.email) {
                Ok(email) => draft.give_email(email),
                Err(rejection) => {
                    draft.email = None;
                    problems.push(FormProblem::Email(rejection));
                }
            }
        }
        match parse_location(&answers.location) {
            Ok(location) => draft.location = Some(location),
            Err(problem) => {
                draft.location = None;
                problems.push(FormProblem::Where(problem));
            }
        }
        match answers.consent {
            FormConsent::NotAsked => {}
            FormConsent::Given { version } if version == campaign.consent.version => {
                draft.consent = Some(ConsentAnswer { at: now, version });
            }
            FormConsent::Given { .. } => {
                draft.consent = None;
                problems.push(FormProblem::ConsentChanged);
            }
            FormConsent::NotGiven => {
                draft.consent = None;
                problems.push(FormProblem::ConsentNeeded);
            }
        }
        if let Some(updates) = answers.updates {
            draft.updates = Some(updates);
        }
        let at_the_console = self.move_on(who, &mut conversation);
        conversation.resume = None;
        self.save(who, &conversation).await?;
        let mut question = self.question(&conversation);
        if at_the_console {
            question = question.prefixed(self.phrase(Message::Update(UpdateMessage::NoneAtTheConsole)));
        }
        if problems.is_empty() {
            return Ok(vec![question]);
        }
        let mut reply = question.prefixed(self.phrase(Message::FormProblems { problems: &problems }));
        reply.problems = problems
            .iter()
            .map(|&problem| FieldProblem {
                field: field_of(problem),
                text: self.say(Message::FormProblem(problem)),
            })
            .collect();
        Ok(vec![reply])
    }

    pub(in crate::conversation) async fn choose_change(
        &self,
        who: &Identity,
        mut conversation: Conversation,
        text: &str,
    ) -> EngineResult<Vec<Reply>> {
        let draft = &mut conversation.draft;
        let field = text.trim().to_lowercase();
        match field.as_str() {
            "name" => draft.name = None,
            "email" => draft.email = None,
            "postcode" | "location" | "country" | "where" => draft.location = None,
            "updates" if who.platform.can_receive_updates() => draft.updates = None,
            _ => return Ok(vec![self.not_understood(Some(&conversation))]),
        }
        self.advance(who, conversation).await
    }

    /// Moves to the first unanswered question (or the review), saves, asks.
    pub(in crate::conversation) async fn advance(
        &self,
        who: &Identity,
        mut conversation: Conversation,
    ) -> EngineResult<Vec<Reply>> {
        let at_the_console = self.move_on(who, &mut conversation);
        self.save(who, &conversation).await?;
        let question = self.question(&conversation);
        Ok(vec![if at_the_console {
            question.prefixed(self.phrase(Message::Update(UpdateMessage::NoneAtTheConsole)))
        } else {
            question
        }])
    }

    /// Moves to the first question still unanswered. Where no update can
    /// reach the signer (the console), the updates question answers itself
    /// with a no instead of being asked; returns whether it just did.
    fn move_on(&self, who: &Identity, conversation: &mut Conversation) -> bool {
        conversation.step = conversation.draft.next_step();
        if conversation.step == Step::Updates && !who.platform.can_receive_updates() {
            conversation.draft.updates = Some(false);
            conversation.step = conversation.draft.next_step();
            return true;
        }
        false
    }

    pub(in crate::conversation) async fn sign(
        &self,
        msg: &Incoming,
        mut conversation: Conversation,
        campaign: &Campaign,
    ) -> EngineResult<Vec<Reply>> {
        let who = &msg.from;
        self.refuse_unless_open(campaign).await?;
        let now = self.clock.now();
        let attempts = self
            .storage
            .signing_attempts_since(&campaign.slug, who, now - SIGNING_ATTEMPTS_WINDOW)
            .await?;
        let allowed = signing_attempts_wait(&campaign.limits, &attempts, now)
            .and_then(|()| self.guards.check_resigning(&campaign.slug, who, now));
        if let Err(wait) = allowed {
            info!(campaign = %campaign.slug, "signing attempt over the limit");
            metrics::limit_hit(metrics::Limit::SigningAttempts);
            return Err(EngineError::TooManyAttempts { wait });
        }
        let answers = match CompleteDraft::try_from(std::mem::take(&mut conversation.draft)) {
            Ok(answers) => answers,
            // Confirm is offered only at the review, so only a saved answer
            // dropped on loading (see `Draft`) leads here: ask for it.
            Err(draft) => {
                conversation.draft = draft;
                return self.advance(who, conversation).await;
            }
        };
        let signature = NewSignature {
            campaign: campaign.slug.clone(),
            identity: who.clone(),
            name: answers.name,
            email: answers.email,
            location: answers.location,
            updates_opt_in: answers.updates,
            consent_version: answers.consent.version,
            consent_at: answers.consent.at,
            referral_code: conversation.referral.as_deref().and_then(ShareCode::parse),
            created_at: now,
            hold: None,
        };
        let signature = self.hold_or_refuse(msg, campaign, signature, now)?;
        // Signed or not, the conversation is over: the storage forgets it in
        // the same transaction.
        let outcome = self.storage.sign(&signature).await?;
        match outcome {
            SignOutcome::Signed {
                share_code,
                total,
                held,
            } => {
                // A held signature gets the same thanks: telling would only
                // teach an abuser what is detected.
                info!(campaign = %campaign.slug, held, hold_reason = ?signature.hold, "signature added");
                metrics::signature_stored(who.platform, &campaign.slug, signature.hold);
                Ok(vec![
                    Reply::private(self.say(Message::Thanks {
                        name: &signature.name,
                        title: &campaign.title,
                        total,
                        goal: self.goal_of(campaign),
                        code: share_code.as_str(),
                    }))
                    .with_link(Link::Share {
                        payload: format!("{}{PAYLOAD_SEPARATOR}{}", campaign.slug, share_code.as_str()),
                        code: share_code.as_str().to_owned(),
                    }),
                ])
            }
            SignOutcome::AlreadySigned(prior) => {
                info!(campaign = %campaign.slug, matched_by = ?prior.matched_by, "duplicate signature refused");
                let refusal = match prior.matched_by {
                    DuplicateMatch::Identity => metrics::Refusal::AlreadySigned,
                    DuplicateMatch::Email => metrics::Refusal::EmailUsed,
                };
                metrics::signature_refused(who.platform, &campaign.slug, refusal);
                Err(match prior.matched_by {
                    DuplicateMatch::Identity => EngineError::SignedBefore {
                        on: prior.signed_at,
                        platform: prior.platform,
                    },
                    // Whoever typed the address may not own it: saying when
                    // and where it signed would tell a stranger about someone
                    // else's signature. Its owner can ask status on their own
                    // account.
                    DuplicateMatch::Email => EngineError::EmailUsed,
                })
            }
        }
    }
}

/// A form's "where you live": a UK postcode, or a country.
fn parse_location(text: &str) -> Result<Location, LocationProblem> {
    match PostcodeDistrict::from_answer(text) {
        Ok(district) => return Ok(Location::Uk(district)),
        Err(PostcodeRejection::ForcesNumberMissing) => return Err(LocationProblem::ForcesNumberMissing),
        Err(PostcodeRejection::Malformed) => {}
    }
    if Word::parse(text) == Some(Word::Outside) {
        return Err(LocationProblem::NamedOutside);
    }
    match Country::parse(text) {
        Ok(country) => Ok(Location::Abroad(country)),
        Err(CountryRejection::InTheUk) => Err(LocationProblem::InTheUk),
        Err(_) => Err(LocationProblem::Unrecognised),
    }
}

/// The field a form's problem belongs beside.
fn field_of(problem: FormProblem) -> FormField {
    match problem {
        FormProblem::Name(_) => FormField::Name,
        FormProblem::Email(_) | FormProblem::EmailNeeded => FormField::Email,
        FormProblem::Where(_) => FormField::Location,
        FormProblem::ConsentNeeded | FormProblem::ConsentChanged => FormField::Consent,
    }
}
