//! A supporter's place in the conversation, saved in the database between
//! messages as JSON so a restart resumes where they left off.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{Country, Email, Location, PostcodeDistrict, ReviewAction, Selection, SignerName};

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
    /// An update an organiser has written, awaiting their yes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_update: Option<String>,
    /// The platform the supporter is on, which decides whether updates can
    /// reach them and how long a message may be. Known from who is
    /// speaking, so not saved.
    #[serde(skip)]
    pub platform: Option<crate::domain::Platform>,
}

/// A release or invalidation an organiser has asked for, awaiting their yes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingReview {
    /// Release or invalidate.
    pub action: ReviewAction,
    /// Which signatures.
    pub selection: Selection,
}

/// The question a supporter was last asked, or the confirmation an
/// organiser was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "SavedStep", into = "SavedStep")]
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
    /// An organiser's confirmation, whose answers the organisers' jobs
    /// handle (see `organisers/`).
    Confirming(Confirmation),
}

/// What an organiser is asked to confirm before anything changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmation {
    /// Whether to really release or invalidate signatures.
    Review,
    /// The text of an update to signers.
    WriteUpdate,
    /// Whether to really send the update previewed.
    SendUpdate,
    /// Whether to really close the petition now.
    Close,
}

impl Confirmation {
    /// The tag put in front of its buttons' data.
    pub fn tag(self) -> &'static str {
        match self {
            Confirmation::Review => "review-action",
            Confirmation::WriteUpdate => "write-update",
            Confirmation::SendUpdate => "send-update",
            Confirmation::Close => "close",
        }
    }
}

/// How a step is saved: one name per step, supporters' and organisers'
/// alike, as every earlier version saved it.
#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum SavedStep {
    Welcome,
    Name,
    Email,
    Postcode,
    Country,
    Consent,
    Updates,
    Review,
    ChooseChange,
    ConfirmWithdraw,
    ConfirmReview,
    WriteUpdate,
    ConfirmUpdate,
    ConfirmClose,
}

impl From<SavedStep> for Step {
    fn from(saved: SavedStep) -> Self {
        match saved {
            SavedStep::Welcome => Step::Welcome,
            SavedStep::Name => Step::Name,
            SavedStep::Email => Step::Email,
            SavedStep::Postcode => Step::Postcode,
            SavedStep::Country => Step::Country,
            SavedStep::Consent => Step::Consent,
            SavedStep::Updates => Step::Updates,
            SavedStep::Review => Step::Review,
            SavedStep::ChooseChange => Step::ChooseChange,
            SavedStep::ConfirmWithdraw => Step::ConfirmWithdraw,
            SavedStep::ConfirmReview => Step::Confirming(Confirmation::Review),
            SavedStep::WriteUpdate => Step::Confirming(Confirmation::WriteUpdate),
            SavedStep::ConfirmUpdate => Step::Confirming(Confirmation::SendUpdate),
            SavedStep::ConfirmClose => Step::Confirming(Confirmation::Close),
        }
    }
}

impl From<Step> for SavedStep {
    fn from(step: Step) -> Self {
        match step {
            Step::Welcome => SavedStep::Welcome,
            Step::Name => SavedStep::Name,
            Step::Email => SavedStep::Email,
            Step::Postcode => SavedStep::Postcode,
            Step::Country => SavedStep::Country,
            Step::Consent => SavedStep::Consent,
            Step::Updates => SavedStep::Updates,
            Step::Review => SavedStep::Review,
            Step::ChooseChange => SavedStep::ChooseChange,
            Step::ConfirmWithdraw => SavedStep::ConfirmWithdraw,
            Step::Confirming(Confirmation::Review) => SavedStep::ConfirmReview,
            Step::Confirming(Confirmation::WriteUpdate) => SavedStep::WriteUpdate,
            Step::Confirming(Confirmation::SendUpdate) => SavedStep::ConfirmUpdate,
            Step::Confirming(Confirmation::Close) => SavedStep::ConfirmClose,
        }
    }
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
            Step::Confirming(confirmation) => confirmation.tag(),
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

    /// Whether the step expects free text (a name, an address, an update)
    /// rather than one of a few choices.
    pub fn expects_text(self) -> bool {
        matches!(
            self,
            Step::Name | Step::Email | Step::Postcode | Step::Country | Step::Confirming(Confirmation::WriteUpdate)
        )
    }
}

/// Answers gathered so far, each a checked domain value.
///
/// Saved as plain text in the shape drafts have always had, so
/// conversations saved by earlier versions still load. Each saved answer is
/// checked again as it loads: one that no longer passes (a rule tightened
/// since) is dropped from the draft, and the supporter is asked it again,
/// rather than the whole conversation being lost.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "SavedDraft")]
pub struct Draft {
    /// The name for the petition.
    pub name: Option<SignerName>,
    /// The normalised email, or a note that it was skipped.
    pub email: Option<EmailAnswer>,
    /// Postcode district or country.
    pub location: Option<Location>,
    /// When consent was given, and to which version of the wording.
    pub consent: Option<ConsentAnswer>,
    /// Whether they want updates.
    pub updates: Option<bool>,
}

/// The answer at the email step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailAnswer {
    /// A normalised address.
    Given(Email),
    /// Skipped, where the campaign allows it.
    Skipped,
}

/// A record of consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentAnswer {
    /// When it was given.
    pub at: DateTime<Utc>,
    /// The version of the wording shown.
    pub version: u32,
}

/// Every answer a signature needs: a draft with nothing left to ask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompleteDraft {
    /// The name for the petition.
    pub name: SignerName,
    /// The normalised email, unless it was skipped.
    pub email: Option<Email>,
    /// Postcode district or country.
    pub location: Location,
    /// When consent was given, and to which version of the wording.
    pub consent: ConsentAnswer,
    /// Whether they want updates.
    pub updates: bool,
}

impl TryFrom<Draft> for CompleteDraft {
    /// The draft as it was, with something still to ask.
    type Error = Draft;

    fn try_from(draft: Draft) -> Result<Self, Draft> {
        match draft {
            Draft {
                name: Some(name),
                email: Some(email),
                location: Some(location),
                consent: Some(consent),
                updates: Some(updates),
            } => Ok(CompleteDraft {
                name,
                email: match email {
                    EmailAnswer::Given(email) => Some(email),
                    EmailAnswer::Skipped => None,
                },
                location,
                consent,
                updates,
            }),
            incomplete => Err(incomplete),
        }
    }
}

impl Draft {
    /// The email address, if one was given.
    pub fn email_address(&self) -> Option<&str> {
        match &self.email {
            Some(EmailAnswer::Given(email)) => Some(email.as_str()),
            _ => None,
        }
    }

    /// Keeps a newly given email.
    pub fn give_email(&mut self, email: Email) {
        self.email = Some(EmailAnswer::Given(email));
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

/// A draft as saved: every answer as text. Written from borrowed answers
/// (`S` is `&str`) and read into owned ones.
#[derive(Serialize, Deserialize)]
struct SavedDraft<S = String> {
    name: Option<S>,
    email: Option<SavedEmail<S>>,
    location: Option<SavedLocation<S>>,
    consent: Option<ConsentAnswer>,
    updates: Option<bool>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum SavedEmail<S> {
    Given(S),
    Skipped,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum SavedLocation<S> {
    District(S),
    Country(S),
}

impl Serialize for Draft {
    fn serialize<Z: serde::Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        SavedDraft {
            name: self.name.as_deref(),
            email: self.email.as_ref().map(|email| match email {
                EmailAnswer::Given(email) => SavedEmail::Given(email.as_str()),
                EmailAnswer::Skipped => SavedEmail::Skipped,
            }),
            location: self.location.as_ref().map(|location| match location {
                Location::Uk(district) => SavedLocation::District(district.as_str()),
                Location::Abroad(country) => SavedLocation::Country(country.as_str()),
            }),
            consent: self.consent,
            updates: self.updates,
        }
        .serialize(serializer)
    }
}

impl From<SavedDraft> for Draft {
    fn from(saved: SavedDraft) -> Self {
        Draft {
            name: saved
                .name
                .and_then(|name| still_valid("name", SignerName::parse(&name).ok())),
            email: saved.email.and_then(|email| match email {
                SavedEmail::Given(address) => still_valid("email", Email::parse(&address).ok()).map(EmailAnswer::Given),
                SavedEmail::Skipped => Some(EmailAnswer::Skipped),
            }),
            location: saved.location.and_then(|location| match location {
                SavedLocation::District(district) => {
                    still_valid("postcode district", PostcodeDistrict::parse(&district).ok()).map(Location::Uk)
                }
                SavedLocation::Country(country) => {
                    still_valid("country", Country::from_stored(&country)).map(Location::Abroad)
                }
            }),
            consent: saved.consent,
            updates: saved.updates,
        }
    }
}

/// Notes in the log (naming the question, never the answer) when a saved
/// answer no longer passes its check, and so is dropped.
fn still_valid<T>(question: &'static str, checked: Option<T>) -> Option<T> {
    if checked.is_none() {
        tracing::info!(question, "a saved answer no longer passes its check; asking it again");
    }
    checked
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn name(text: &str) -> SignerName {
        SignerName::parse(text).unwrap()
    }

    fn email(text: &str) -> EmailAnswer {
        EmailAnswer::Given(Email::parse(text).unwrap())
    }

    fn district(text: &str) -> Location {
        Location::Uk(PostcodeDistrict::parse(text).unwrap())
    }

    #[test]
    fn a_conversation_survives_a_round_trip_through_json() {
        let conversation = Conversation {
            campaign: "c".into(),
            step: Step::Consent,
            draft: Draft {
                name: Some(name("Ada")),
                email: Some(EmailAnswer::Skipped),
                location: Some(district("SW1A")),
                consent: None,
                updates: None,
            },
            referral: Some("ABCDEFGH".into()),
            resume: None,
            pending_review: None,
            pending_update: None,
            platform: None,
        };
        let json = serde_json::to_string(&conversation).unwrap();
        assert_eq!(serde_json::from_str::<Conversation>(&json).unwrap(), conversation);
    }

    #[test]
    fn a_draft_is_saved_in_the_shape_earlier_versions_saved_and_read() {
        let full = Conversation {
            campaign: "c".into(),
            step: Step::Review,
            draft: Draft {
                name: Some(name("Ada \"Nan\" Lovelace")),
                email: Some(email("ada@example.org")),
                location: Some(Location::Abroad(Country::parse("France").unwrap())),
                consent: Some(ConsentAnswer {
                    at: Utc.with_ymd_and_hms(2026, 11, 3, 14, 0, 0).unwrap(),
                    version: 2,
                }),
                updates: Some(true),
            },
            referral: None,
            resume: Some(Step::Email),
            pending_review: None,
            pending_update: None,
            platform: None,
        };
        // Written by the version whose drafts held plain strings.
        let before = r#"{"campaign":"c","step":"review","draft":{"name":"Ada \"Nan\" Lovelace","email":{"given":"ada@example.org"},"location":{"country":"France"},"consent":{"at":"2026-11-03T14:00:00Z","version":2},"updates":true},"resume":"email"}"#;
        assert_eq!(serde_json::to_string(&full).unwrap(), before);
        assert_eq!(serde_json::from_str::<Conversation>(before).unwrap(), full);

        let sparse = Conversation {
            draft: Draft {
                email: Some(EmailAnswer::Skipped),
                location: Some(district("SW1A")),
                ..Draft::default()
            },
            ..full
        };
        let before = r#"{"campaign":"c","step":"review","draft":{"name":null,"email":"skipped","location":{"district":"SW1A"},"consent":null,"updates":null},"resume":"email"}"#;
        assert_eq!(serde_json::to_string(&sparse).unwrap(), before);
        assert_eq!(serde_json::from_str::<Conversation>(before).unwrap(), sparse);
    }

    #[test]
    fn every_step_is_saved_under_the_name_earlier_versions_saved_it() {
        let names = [
            (Step::Welcome, "welcome"),
            (Step::Name, "name"),
            (Step::Email, "email"),
            (Step::Postcode, "postcode"),
            (Step::Country, "country"),
            (Step::Consent, "consent"),
            (Step::Updates, "updates"),
            (Step::Review, "review"),
            (Step::ChooseChange, "choose_change"),
            (Step::ConfirmWithdraw, "confirm_withdraw"),
            (Step::Confirming(Confirmation::Review), "confirm_review"),
            (Step::Confirming(Confirmation::WriteUpdate), "write_update"),
            (Step::Confirming(Confirmation::SendUpdate), "confirm_update"),
            (Step::Confirming(Confirmation::Close), "confirm_close"),
        ];
        for (step, name) in names {
            let saved = serde_json::to_string(&step).unwrap();
            assert_eq!(saved, format!("\"{name}\""));
            assert_eq!(serde_json::from_str::<Step>(&saved).unwrap(), step);
        }
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
    fn a_saved_answer_that_no_longer_passes_its_check_is_dropped_and_the_rest_kept() {
        let saved = r#"{"campaign":"c","step":"review","draft":{"name":"=cmd","email":{"given":"not an address"},"location":{"country":"Narnia"},"consent":{"at":"2026-11-03T14:00:00Z","version":1},"updates":false}}"#;
        let conversation: Conversation = serde_json::from_str(saved).unwrap();
        assert_eq!(conversation.draft.name, None);
        assert_eq!(conversation.draft.email, None);
        assert_eq!(conversation.draft.location, None);
        assert_eq!(conversation.draft.updates, Some(false));
        assert_eq!(
            conversation.draft.next_step(),
            Step::Name,
            "the dropped answers are asked again"
        );
        let saved = r#"{"campaign":"c","step":"consent","draft":{"name":"Ada","email":null,"location":{"district":"not a district"},"consent":null,"updates":null}}"#;
        let conversation: Conversation = serde_json::from_str(saved).unwrap();
        assert_eq!(conversation.draft.name.as_deref(), Some("Ada"));
        assert_eq!(conversation.draft.location, None);
    }

    #[test]
    fn a_draft_with_every_answer_is_complete_and_one_without_is_handed_back() {
        let consent = ConsentAnswer {
            at: Utc.with_ymd_and_hms(2026, 11, 3, 14, 0, 0).unwrap(),
            version: 1,
        };
        let draft = Draft {
            name: Some(name("Ada")),
            email: Some(EmailAnswer::Skipped),
            location: Some(district("N1")),
            consent: Some(consent),
            updates: None,
        };
        assert_eq!(CompleteDraft::try_from(draft.clone()), Err(draft.clone()));
        let complete = CompleteDraft::try_from(Draft {
            updates: Some(false),
            ..draft
        })
        .unwrap();
        assert_eq!(complete.email, None, "a skipped email signs without one");
        assert_eq!(complete.location, district("N1"));
    }

    #[test]
    fn the_next_step_is_the_first_unanswered_question() {
        let mut draft = Draft::default();
        assert_eq!(draft.next_step(), Step::Name);
        draft.name = Some(name("Ada"));
        assert_eq!(draft.next_step(), Step::Email);
        draft.email = Some(EmailAnswer::Skipped);
        assert_eq!(draft.next_step(), Step::Postcode);
    }
}
