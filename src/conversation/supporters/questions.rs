//! What each step asks, with the choices it offers and the form that can
//! answer it.

use crate::conversation::{Choice, Context, Conversation, Draft, EmailAnswer, Form, Reply, Step, Word};
use crate::domain::{Location, Platform};
use crate::messages::{Answers, Button, Message, UpdateMessage};

impl Context {
    /// The current question, with its choices.
    pub(in crate::conversation) fn question(&self, conversation: &Conversation) -> Reply {
        if let Step::Confirming(confirmation) = conversation.step {
            return self.confirmation_question(conversation, confirmation);
        }
        let reply = self.bare_question(conversation);
        match conversation.step {
            Step::Name | Step::Email | Step::Postcode | Step::Country | Step::ChooseChange => {
                reply.with_form(self.form_for(conversation))
            }
            _ => reply,
        }
    }

    /// The current question if one is open, otherwise an invitation to sign.
    pub(in crate::conversation) fn question_or_invitation(&self, conversation: Option<&Conversation>) -> Reply {
        match conversation {
            Some(conversation) => self.question(conversation),
            None => Reply::private(self.say(Message::WouldYouLikeToSign {
                title: &self.campaigns.default_campaign().title,
                part_way: false,
            }))
            .with_choices(self.welcome_choices(None)),
        }
    }

    /// The current question, after saying the answer fitted none of it.
    pub(in crate::conversation) fn not_understood(&self, conversation: Option<&Conversation>) -> Reply {
        self.question_or_invitation(conversation)
            .prefixed(self.phrase(Message::NotUnderstood))
    }

    /// Every word a supporter can send, then where they were.
    pub(in crate::conversation) fn help(&self, conversation: Option<&Conversation>) -> Reply {
        match conversation {
            Some(conversation) if conversation.step != Step::Welcome => self
                .question(conversation)
                .prefixed(self.phrase(Message::CommandsMidway)),
            _ => Reply::private(self.say(Message::Commands)).with_choices(self.welcome_choices(conversation)),
        }
    }

    fn bare_question(&self, conversation: &Conversation) -> Reply {
        let campaign = self.campaign_of(Some(conversation));
        let draft = &conversation.draft;
        let step = conversation.step;
        let back = || self.choice(step, Word::Back, Button::Back);
        let cancel = || self.choice(step, Word::Cancel, Button::Cancel);
        let (message, choices) = match step {
            Step::Welcome => (
                Message::WouldYouLikeToSign {
                    title: &campaign.title,
                    part_way: !draft.is_empty(),
                },
                self.welcome_choices(Some(conversation)),
            ),
            Step::Name => (Message::AskName, vec![cancel()]),
            Step::Email => {
                let optional = !campaign.require_email;
                let mut choices = Vec::new();
                if optional {
                    choices.push(self.choice(step, Word::Skip, Button::Skip));
                }
                choices.extend([back(), cancel()]);
                (Message::AskEmail { optional }, choices)
            }
            Step::Postcode => (
                Message::AskPostcode,
                vec![self.choice(step, Word::Outside, Button::Outside), back(), cancel()],
            ),
            Step::Country => (Message::AskCountry, vec![back(), cancel()]),
            Step::Consent => (
                Message::AskConsent {
                    wording: &campaign.consent.wording,
                },
                vec![
                    self.choice(step, Word::Yes, Button::Consent),
                    self.choice(step, Word::No, Button::No),
                    back(),
                    cancel(),
                ],
            ),
            Step::Updates => (
                Message::Update(UpdateMessage::Ask {
                    platform: conversation.platform.unwrap_or(Platform::Telegram),
                }),
                vec![
                    self.choice(step, Word::Yes, Button::YesPlease),
                    self.choice(step, Word::No, Button::NoThanks),
                    back(),
                ],
            ),
            Step::Review => (
                Message::AskToConfirm {
                    answers: answers_of(draft),
                },
                vec![
                    self.choice(step, Word::Confirm, Button::Confirm),
                    self.choice(step, Word::Change, Button::Change),
                    cancel(),
                ],
            ),
            Step::ChooseChange => {
                let updates = conversation.platform.is_none_or(Platform::can_receive_updates);
                let mut choices = vec![
                    self.field_choice("name", Button::Name),
                    self.field_choice("email", Button::Email),
                    self.field_choice("postcode", Button::Where),
                ];
                if updates {
                    choices.push(self.field_choice("updates", Button::Updates));
                }
                choices.push(back());
                (Message::AskWhatToChange { updates }, choices)
            }
            Step::ConfirmWithdraw => (
                Message::AskToWithdraw { title: &campaign.title },
                vec![
                    self.choice(step, Word::Yes, Button::Withdraw),
                    self.choice(step, Word::No, Button::KeepSignature),
                ],
            ),
            Step::Confirming(confirmation) => return self.confirmation_question(conversation, confirmation),
        };
        Reply::private(self.say(message)).with_choices(choices)
    }

    /// The form with the answers given so far.
    fn form_for(&self, conversation: &Conversation) -> Form {
        let campaign = self.campaign_of(Some(conversation));
        let draft = &conversation.draft;
        Form {
            name: draft.name.as_deref().unwrap_or_default().to_owned(),
            email: draft.email_address().unwrap_or_default().to_owned(),
            location: match &draft.location {
                Some(Location::Uk(district)) => district.as_str().to_owned(),
                Some(Location::Abroad(country)) => country.as_str().to_owned(),
                None => String::new(),
            },
            email_optional: !campaign.require_email,
        }
    }

    /// A button for `word` at `step`, which can also be typed.
    pub(in crate::conversation) fn choice(&self, step: Step, word: Word, button: Button) -> Choice {
        Choice {
            label: self.say(Message::Button(button)),
            data: format!("{}.{}", step.tag(), word.as_str()),
            typed: word.as_str().to_owned(),
        }
    }

    /// A button at the review for changing one answer.
    fn field_choice(&self, field: &str, button: Button) -> Choice {
        Choice {
            label: self.say(Message::Button(button)),
            data: format!("{}.{field}", Step::ChooseChange.tag()),
            typed: field.to_owned(),
        }
    }

    /// The welcome's choices. With answers already typed, signing picks up
    /// where they left off, and the first choice says so. It carries the same
    /// data as "Sign the petition", so a press is honoured whichever of the two
    /// welcomes it was on.
    pub(in crate::conversation) fn welcome_choices(&self, conversation: Option<&Conversation>) -> Vec<Choice> {
        let sign = if conversation.is_some_and(|c| !c.draft.is_empty()) {
            Button::Continue
        } else {
            Button::Sign
        };
        vec![
            self.choice(Step::Welcome, Word::Sign, sign),
            self.choice(Step::Welcome, Word::Article, Button::Article),
            self.choice(Step::Welcome, Word::Privacy, Button::Privacy),
        ]
    }
}

/// A draft's answers, as messages show them.
pub(in crate::conversation) fn answers_of(draft: &Draft) -> Answers<'_> {
    Answers {
        name: draft.name.as_ref(),
        email: draft.email.as_ref().map(|email| match email {
            EmailAnswer::Given(email) => Some(email),
            EmailAnswer::Skipped => None,
        }),
        location: draft.location.as_ref(),
        consent: draft.consent.map(|consent| (consent.at, consent.version)),
        updates: draft.updates,
    }
}
