//! Reading what a message says and handing it to the job that answers it:
//! a typed word, a command, a pressed button (honoured only if the current
//! question offers it), a form, or an answer to the current step.

use super::error::EngineError;
use super::{
    Confirmation, Conversation, Engine, EngineResult, FormAnswers, Incoming, Input, Placement, Reply, Step, Word,
    supporters,
};
use crate::domain::{ChatKind, Command, ReviewAction, Takes};
use crate::limits::MessageVerdict;
use crate::messages::Message;
use crate::metrics;

/// What a message amounts to at the supporter's current step.
#[derive(Debug)]
enum Said {
    Start(Option<String>),
    Review(ReviewAction, String),
    WriteUpdate(String),
    /// `goal N`, with what followed the word.
    Goal(String),
    Form(FormAnswers),
    Word(Word),
    Text(String),
    UnknownCommand,
    Expired,
}

impl Engine {
    /// What to reply to `msg`: limited per person, read at the supporter's
    /// step, and answered by the job it belongs to.
    pub(super) async fn respond(&self, msg: &Incoming) -> EngineResult<Vec<Reply>> {
        if msg.chat == ChatKind::Group {
            return self.respond_in_group(msg).await;
        }
        let saved = self.load(&msg.from).await?;
        let campaign = self.campaign_of(saved.as_ref()).clone();
        match self.guards.check_message(&campaign.slug, &msg.from) {
            MessageVerdict::Allowed => {}
            MessageVerdict::SlowDown { wait } => {
                metrics::limit_hit(metrics::Limit::MessageRate);
                return Err(EngineError::SlowDown { wait });
            }
            MessageVerdict::Ignore => {
                metrics::limit_hit(metrics::Limit::MessageRate);
                return Ok(Vec::new());
            }
        }
        let said = match &msg.input {
            Input::Choice(data) => self.interpret_choice(data, saved.as_ref()),
            Input::Start { payload } => Said::Start(payload.clone()),
            Input::Text(text) => interpret_typed(text, saved.as_ref().map(|c| c.step)),
            Input::Form(answers) => Said::Form(answers.clone()),
        };
        // A button that moves the conversation on makes the message it was
        // on stale, so its answer may take that message's place.
        let moves_on = matches!(msg.input, Input::Choice(_))
            && match &said {
                // Stopping updates from under one keeps the update on screen.
                Said::Word(word) => !word.honoured_from_old_messages(),
                Said::Text(_) => true,
                Said::Start(_)
                | Said::Form(_)
                | Said::Review(..)
                | Said::WriteUpdate(_)
                | Said::Goal(_)
                | Said::UnknownCommand
                | Said::Expired => false,
            };
        // Refusals are answered here, so that they too take the place of
        // the button that prompted them.
        let expired = matches!(said, Said::Expired);
        let current = if expired { saved.clone() } else { None };
        let mut replies = match self.respond_to(msg, saved, said).await {
            Ok(replies) => replies,
            Err(error) => vec![self.refusal(error)?],
        };
        // Someone whose last reply never arrived is still looking at old
        // buttons: the press gets their current question in its place.
        if expired && self.owed_a_question(&msg.from) {
            replies.push(Reply {
                placement: Placement::InPlaceOfChoice,
                ..self.question_or_invitation(current.as_ref())
            });
        } else if !replies.is_empty() {
            self.settle(&msg.from);
        }
        if moves_on && let Some(first) = replies.first_mut() {
            first.placement = Placement::InPlaceOfChoice;
        }
        Ok(replies)
    }

    async fn respond_to(&self, msg: &Incoming, saved: Option<Conversation>, said: Said) -> EngineResult<Vec<Reply>> {
        let who = &msg.from;
        match said {
            Said::Expired => Err(EngineError::ChoiceExpired),
            Said::UnknownCommand => Ok(vec![
                self.help(saved.as_ref()).prefixed(self.phrase(Message::UnknownCommand)),
            ]),
            Said::Start(payload) => self.start(who, saved, payload.as_deref()).await,
            Said::Form(answers) => self.submit_form(who, saved, answers).await,
            Said::Review(action, selection) => self.ask_to_review(msg, saved, action, &selection).await,
            Said::WriteUpdate(text) => self.write_update(msg, saved, Some(&text)).await,
            Said::Goal(argument) => self.set_goal(msg, saved.as_ref(), &argument).await,
            Said::Word(word) => match saved {
                saved if word.is_global() => self.global(msg, saved, word).await,
                Some(conversation) => self.at_step(msg, conversation, word).await,
                None => Ok(vec![self.not_understood(None)]),
            },
            Said::Text(text) => match saved {
                Some(conversation) if conversation.step == Step::Confirming(Confirmation::WriteUpdate) => {
                    self.write_update(msg, Some(conversation), Some(&text)).await
                }
                // Name, email and postcode at once, before the name is asked
                // or in answer to it.
                saved
                    if saved
                        .as_ref()
                        .is_none_or(|c| matches!(c.step, Step::Welcome | Step::Name))
                        && let Some(answers) = supporters::details::read(&text) =>
                {
                    self.submit_form(who, saved, answers).await
                }
                Some(conversation) => self.answer(who, conversation, &text).await,
                None => Ok(vec![self.not_understood(None)]),
            },
        }
    }

    /// A button counts only if the supporter's current question offers it,
    /// so a press on an old message, or forged data, changes nothing. Buttons
    /// that only show something are honoured from any message.
    fn interpret_choice(&self, data: &str, conversation: Option<&Conversation>) -> Said {
        let offered = self.question_or_invitation(conversation).choices;
        if let Some(choice) = offered.iter().find(|c| c.data == data) {
            return interpret_typed(&choice.typed, conversation.map(|c| c.step));
        }
        match data.split_once('.').and_then(|(_, word)| Word::parse(word)) {
            Some(word) if word.honoured_from_old_messages() => Said::Word(word),
            _ => Said::Expired,
        }
    }
}

/// What typed text says at `step`: a command read with what follows it
/// (the command table says which take something), a word, or an answer.
fn interpret_typed(text: &str, step: Option<Step>) -> Said {
    let text = text.trim();
    let mut parts = text.splitn(2, char::is_whitespace);
    let first = parts.next().unwrap_or("");
    let rest = parts.next().map(str::trim).filter(|r| !r.is_empty());
    let slashed = first.starts_with('/');
    let expects_text = step.is_some_and(Step::expects_text);
    if let Some(command) = Command::named(first.trim_start_matches('/')).filter(|c| c.takes != Takes::Nothing) {
        let rest_or_nothing = || rest.unwrap_or("").to_owned();
        match command.word {
            Word::Start => return Said::Start(rest.map(str::to_owned)),
            Word::Goal => return Said::Goal(rest_or_nothing()),
            Word::Release => return Said::Review(ReviewAction::Release, rest_or_nothing()),
            Word::Invalidate => return Said::Review(ReviewAction::Invalidate, rest_or_nothing()),
            // An organiser's update may come with its text; where free
            // text is expected, only as a command.
            Word::Update => {
                if let Some(rest) = rest
                    && (slashed || !expects_text)
                {
                    return Said::WriteUpdate(rest.to_owned());
                }
            }
            _ => {}
        }
    }
    if slashed {
        return match Word::parse(text).or_else(|| Word::parse(first)) {
            // Answered by the adapters, which know the chat.
            Some(Word::Progress) | None => Said::UnknownCommand,
            Some(word) => Said::Word(word),
        };
    }
    match Word::parse(text) {
        // At the choice of what to change, "updates" is the answer to change.
        Some(Word::Updates) if step == Some(Step::ChooseChange) => Said::Text(text.to_owned()),
        Some(word) if word.is_global() || !expects_text && word.command().is_none() => Said::Word(word),
        Some(Word::Skip) => Said::Word(Word::Skip),
        Some(Word::Outside) if step == Some(Step::Postcode) => Said::Word(Word::Outside),
        _ => Said::Text(text.to_owned()),
    }
}
