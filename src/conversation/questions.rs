//! What each step asks, with the choices it offers and the form that can
//! answer it.

use super::wording::PART_WAY;
use super::wording::describe_draft;
use super::{Choice, Conversation, Engine, Form, Reply, Step, Word};
use crate::domain::Location;

impl Engine {
    /// The form with the answers given so far.
    pub(super) fn form_for(&self, conversation: &Conversation) -> Form {
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

    /// The current question, with its choices.
    pub(super) fn question(&self, conversation: &Conversation) -> Reply {
        let reply = self.bare_question(conversation);
        match conversation.step {
            Step::Name | Step::Email | Step::Postcode | Step::Country | Step::ChooseChange => {
                reply.with_form(self.form_for(conversation))
            }
            _ => reply,
        }
    }

    pub(super) fn bare_question(&self, conversation: &Conversation) -> Reply {
        let campaign = self.campaign_of(Some(conversation));
        let draft = &conversation.draft;
        let step = conversation.step;
        let back = || choice(step, Word::Back, "Back");
        let cancel = || choice(step, Word::Cancel, "Cancel");
        match step {
            Step::Welcome if !draft.is_empty() => Reply::private(format!(
                "Would you like to sign \"{}\"? {PART_WAY}",
                campaign.title
            ))
            .with_choices(welcome_choices(Some(conversation))),
            Step::Welcome => Reply::private(format!("Would you like to sign \"{}\"?", campaign.title))
                .with_choices(welcome_choices(Some(conversation))),
            Step::Name => Reply::private(
                "What name should appear on the petition? Please type it as you'd like it shown.",
            )
            .with_choices(vec![cancel()]),
            Step::Email => {
                let mut text = "What is your email address? We use it only to make sure each person signs once, and to send you updates if you ask for them. It is never published or shared.".to_owned();
                let mut choices = Vec::new();
                if !campaign.require_email {
                    text.push_str(" It's optional: send skip to leave it out.");
                    choices.push(choice(step, Word::Skip, "Skip"));
                }
                choices.extend([back(), cancel()]);
                Reply::private(text).with_choices(choices)
            }
            Step::Postcode => Reply::private(
                "What is your UK postcode? We keep only the first part (such as SW1A), to show where support comes from. If you live outside the UK, send outside.",
            )
            .with_choices(vec![choice(step, Word::Outside, "I live outside the UK"), back(), cancel()]),
            Step::Country => Reply::private("Which country do you live in?").with_choices(vec![back(), cancel()]),
            Step::Consent => Reply::private(format!(
                "{}\n\nDo you give this consent? (yes or no)",
                campaign.consent.wording
            ))
            .with_choices(vec![
                choice(step, Word::Yes, "Yes, I consent"),
                choice(step, Word::No, "No"),
                back(),
                cancel(),
            ]),
            Step::Updates => Reply::private(
                "Would you like occasional email updates about this campaign's progress? This is optional and separate from your signature. (yes or no)",
            )
            .with_choices(vec![
                choice(step, Word::Yes, "Yes please"),
                choice(step, Word::No, "No thanks"),
                back(),
            ]),
            Step::Review => Reply::private(format!(
                "Please check your signature before it is added:\n\n{}\n\nSend confirm to add your signature, change to correct something, or cancel.",
                describe_draft(draft)
            ))
            .with_choices(vec![
                choice(step, Word::Confirm, "Confirm and sign"),
                choice(step, Word::Change, "Change something"),
                cancel(),
            ]),
            Step::ChooseChange => {
                let mut choices = vec![
                    field_choice("name", "Name"),
                    field_choice("email", "Email"),
                    field_choice("postcode", "Where you live"),
                ];
                let mut words = "name, email, postcode".to_owned();
                if draft.email_address().is_some() {
                    choices.push(field_choice("updates", "Updates"));
                    words.push_str(" or updates");
                } else {
                    words = "name, email or postcode".to_owned();
                }
                choices.push(back());
                Reply::private(format!("What would you like to change? Send {words}.")).with_choices(choices)
            }
            Step::ConfirmReview => Reply::private("Shall I go ahead with that change? (yes or no)").with_choices(vec![
                choice(step, Word::Yes, "Yes"),
                choice(step, Word::No, "No"),
            ]),
            Step::ConfirmWithdraw => Reply::private(format!(
                "Withdrawing deletes your signature on \"{}\" and everything we hold about you for it: your name, email, area and consent record. This can't be undone. Do you want to withdraw? (yes or no)",
                campaign.title
            ))
            .with_choices(vec![
                choice(step, Word::Yes, "Yes, withdraw"),
                choice(step, Word::No, "No, keep my signature"),
            ]),
        }
    }

    /// The current question if one is open, otherwise an invitation to sign.
    pub(super) fn question_or_invitation(&self, conversation: Option<&Conversation>) -> Reply {
        match conversation {
            Some(conversation) => self.question(conversation),
            None => Reply::private(format!(
                "Would you like to sign \"{}\"?",
                self.campaigns.default_campaign().title
            ))
            .with_choices(welcome_choices(None)),
        }
    }

    pub(super) fn not_understood(&self, conversation: Option<&Conversation>) -> Reply {
        self.question_or_invitation(conversation)
            .prefixed("Sorry, I didn't understand that. Please pick one of the choices below, or send help.")
    }

    pub(super) fn help(&self, conversation: Option<&Conversation>) -> Reply {
        const COMMANDS: &str = "Here's what I understand:\n\
            sign: sign the petition\n\
            article: read the full article\n\
            privacy: what we keep about you and why\n\
            status: whether you've signed\n\
            mydata: everything we hold about you\n\
            withdraw: remove your signature and your data\n\
            total: how many have signed\n\
            back: go back a step\n\
            cancel: stop, keeping nothing you've typed";
        match conversation {
            Some(conversation) if conversation.step != Step::Welcome => self
                .question(conversation)
                .prefixed(&format!("{COMMANDS}\n\nWhere we were:")),
            _ => Reply::private(COMMANDS).with_choices(welcome_choices(conversation)),
        }
    }
}

pub(super) fn choice(step: Step, word: Word, label: &str) -> Choice {
    Choice {
        label: label.to_owned(),
        data: format!("{}.{}", step.tag(), word.as_str()),
        typed: word.as_str().to_owned(),
    }
}

pub(super) fn field_choice(field: &str, label: &str) -> Choice {
    Choice {
        label: label.to_owned(),
        data: format!("{}.{field}", Step::ChooseChange.tag()),
        typed: field.to_owned(),
    }
}

/// The welcome's choices. With answers already typed, signing picks up
/// where they left off, and the first choice says so. It carries the same
/// data as "Sign the petition", so a press is honoured whichever of the two
/// welcomes it was on.
pub(super) fn welcome_choices(conversation: Option<&Conversation>) -> Vec<Choice> {
    let sign = if conversation.is_some_and(|c| !c.draft.is_empty()) {
        "Continue where you left off"
    } else {
        "Sign the petition"
    };
    vec![
        choice(Step::Welcome, Word::Sign, sign),
        choice(Step::Welcome, Word::Article, "Read the article"),
        choice(Step::Welcome, Word::Privacy, "Privacy"),
    ]
}
