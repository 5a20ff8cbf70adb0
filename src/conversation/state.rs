//! A supporter's place in the conversation, saved in the database between
//! messages as JSON so a restart resumes where they left off.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a supporter is, and what they have answered so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    /// The campaign being signed.
    pub campaign: String,
    /// The question they were last asked.
    pub step: Step,
    /// Answers gathered so far.
    #[serde(default)]
    pub draft: Draft,
    /// The share code they arrived with, credited when they sign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral: Option<String>,
    /// Where to return afterwards: after declining to withdraw, after an
    /// organiser's review, or (at the welcome, after a `/start` part-way
    /// through) the signing question they were on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<Step>,
    /// An organiser's release or invalidation awaiting confirmation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_review: Option<PendingReview>,
}

/// A release or invalidation an organiser has asked for, awaiting their yes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingReview {
    /// Release or invalidate.
    pub action: crate::storage::ReviewAction,
    /// Which signatures.
    pub selection: crate::storage::Selection,
}

/// The question a supporter was last asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// The campaign and the choices sign / article / privacy.
    Welcome,
    /// The name for the petition.
    Name,
    /// The email address.
    Email,
    /// A UK postcode, or "outside".
    Postcode,
    /// The country, for those outside the UK.
    Country,
    /// Explicit consent.
    Consent,
    /// Whether to receive updates.
    Updates,
    /// Everything entered: confirm, change or cancel.
    Review,
    /// Which answer to change.
    ChooseChange,
    /// Whether to really withdraw a signature.
    ConfirmWithdraw,
    /// Whether to really release or invalidate signatures (organisers).
    ConfirmReview,
}

impl Step {
    /// The tag put in front of button data, so a button pressed on an old
    /// message can be told apart from one on the current question.
    pub fn tag(self) -> &'static str {
        match self {
            Step::Welcome => "welcome",
            Step::Name => "name",
            Step::Email => "email",
            Step::Postcode => "postcode",
            Step::Country => "country",
            Step::Consent => "consent",
            Step::Updates => "updates",
            Step::Review => "review",
            Step::ChooseChange => "change",
            Step::ConfirmWithdraw => "withdraw",
            Step::ConfirmReview => "review-action",
        }
    }

    /// Whether the step is one of the signing questions, which a supporter
    /// can leave for the welcome and come back to.
    pub fn is_part_of_signing(self) -> bool {
        matches!(
            self,
            Step::Name
                | Step::Email
                | Step::Postcode
                | Step::Country
                | Step::Consent
                | Step::Updates
                | Step::Review
                | Step::ChooseChange
        )
    }

    /// Whether the step expects free text (a name, an address) rather than
    /// one of a few choices.
    pub fn expects_text(self) -> bool {
        matches!(self, Step::Name | Step::Email | Step::Postcode | Step::Country)
    }
}

/// Answers gathered so far, each already checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    /// The checked name.
    pub name: Option<String>,
    /// The normalised email, or a note that it was skipped.
    pub email: Option<EmailAnswer>,
    /// Postcode district or country.
    pub location: Option<LocationAnswer>,
    /// When consent was given, and to which version of the wording.
    pub consent: Option<ConsentAnswer>,
    /// Whether they want updates.
    pub updates: Option<bool>,
}

/// The answer at the email step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailAnswer {
    /// A normalised address.
    Given(String),
    /// Skipped, where the campaign allows it.
    Skipped,
}

/// The answer at the postcode or country step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocationAnswer {
    /// A UK postcode district.
    District(String),
    /// A country outside the UK.
    Country(String),
}

/// A record of consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentAnswer {
    /// When it was given.
    pub at: DateTime<Utc>,
    /// The version of the wording shown.
    pub version: u32,
}

impl Draft {
    /// The email address, if one was given.
    pub fn email_address(&self) -> Option<&str> {
        match &self.email {
            Some(EmailAnswer::Given(address)) => Some(address),
            _ => None,
        }
    }

    /// Whether anything personal has been typed.
    pub fn is_empty(&self) -> bool {
        *self == Draft::default()
    }

    /// The first question still unanswered, in the order they are asked;
    /// the review once everything is in. Changing an answer clears it, so
    /// this also brings a supporter back to the review afterwards.
    pub fn next_step(&self) -> Step {
        if self.name.is_none() {
            Step::Name
        } else if self.email.is_none() {
            Step::Email
        } else if self.location.is_none() {
            Step::Postcode
        } else if self.consent.is_none() {
            Step::Consent
        } else if self.updates.is_none() {
            Step::Updates
        } else {
            Step::Review
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_conversation_survives_a_round_trip_through_json() {
        let conversation = Conversation {
            campaign: "c".into(),
            step: Step::Consent,
            draft: Draft {
                name: Some("Ada".into()),
                email: Some(EmailAnswer::Skipped),
                location: Some(LocationAnswer::District("SW1A".into())),
                consent: None,
                updates: None,
            },
            referral: Some("ABCDEFGH".into()),
            resume: None,
            pending_review: None,
        };
        let json = serde_json::to_string(&conversation).unwrap();
        assert_eq!(serde_json::from_str::<Conversation>(&json).unwrap(), conversation);
    }

    #[test]
    fn a_conversation_saved_before_resume_was_remembered_at_the_welcome_still_reads() {
        let saved = r#"{"campaign":"c","step":"welcome","draft":{"name":"Ada","email":{"given":"ada@example.org"},"location":null,"consent":null,"updates":null}}"#;
        let conversation: Conversation = serde_json::from_str(saved).unwrap();
        assert_eq!(conversation.step, Step::Welcome);
        assert_eq!(conversation.resume, None);
        assert_eq!(conversation.draft.email_address(), Some("ada@example.org"));
        let bare: Conversation = serde_json::from_str(r#"{"campaign":"c","step":"email"}"#).unwrap();
        assert!(bare.draft.is_empty());
    }

    #[test]
    fn the_next_step_is_the_first_unanswered_question() {
        let mut draft = Draft::default();
        assert_eq!(draft.next_step(), Step::Name);
        draft.name = Some("Ada".into());
        assert_eq!(draft.next_step(), Step::Email);
        draft.email = Some(EmailAnswer::Skipped);
        assert_eq!(draft.next_step(), Step::Postcode);
    }
}
