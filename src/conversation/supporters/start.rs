//! Opening the bot: the welcome, a start link's campaign and share code,
//! and beginning (or resuming) a signing.

use std::sync::Arc;

use std::fmt::Write;

use crate::campaign::Campaign;
use crate::conversation::{Conversation, Engine, EngineError, EngineResult, PAYLOAD_SEPARATOR, Reply, Step};
use crate::domain::{Identity, ShareCode, Signature};
use crate::messages::Message;

impl Engine {
    pub(in crate::conversation) async fn start(
        &self,
        who: &Identity,
        saved: Option<Conversation>,
        payload: Option<&str>,
    ) -> EngineResult<Vec<Reply>> {
        let (named_campaign, referral) = self.read_payload(payload);
        let campaign = named_campaign
            .or_else(|| saved.as_ref().and_then(|c| self.campaigns.get(&c.campaign)))
            .unwrap_or_else(|| self.campaigns.default_campaign())
            .clone();
        // Starting again keeps what was typed for the same campaign, so an
        // accidental /start never throws work away, and remembers the
        // question they were on so they can carry on from it.
        let had_saved = saved.is_some();
        let conversation = match saved {
            Some(mut previous) if previous.campaign == campaign.slug => {
                previous.resume = Some(previous.step)
                    .filter(|step| step.is_part_of_signing())
                    .or(previous.resume.filter(|step| step.is_part_of_signing()));
                previous.step = Step::Welcome;
                if referral.is_some() {
                    previous.referral = referral;
                }
                previous
            }
            _ => Conversation {
                referral,
                ..self.new_conversation(&campaign, who)
            },
        };
        // A welcome with nothing to remember (no answers, no share code, the
        // default campaign) need not be written: "sign" starts from scratch.
        let nothing_to_remember = conversation.draft.is_empty()
            && conversation.referral.is_none()
            && conversation.campaign == self.campaigns.default_campaign().slug;
        if nothing_to_remember {
            if had_saved {
                self.storage.delete_conversation(who).await?;
            }
        } else {
            self.save(who, &conversation).await?;
        }
        let total = self.storage.total(&campaign.slug).await?;
        let signed = self.storage.signature_of(&campaign.slug, who).await?;
        let has_signed = signed.is_some();
        let mut text = self.say(Message::Welcome {
            title: &campaign.title,
            targets: &campaign.targets,
            statement: &campaign.statement,
            summary: &campaign.summary,
            author: &campaign.author,
            total,
            goal: self.goal_of(&campaign),
        });
        let form_app = match signed {
            Some(_) => None,
            None => self.form_app_url(&campaign, who.platform),
        };
        let (after, choices) = match signed {
            Some(signature) => (
                Some(Message::YouSignedOn {
                    on: signature.created_at,
                }),
                self.welcome_choices(None),
            ),
            None => (
                (!conversation.draft.is_empty()).then_some(Message::PartWay),
                self.welcome_choices(Some(&conversation)),
            ),
        };
        if let Some(after) = after {
            write!(text, "\n\n{}", self.phrase(after)).expect("writing to a string cannot fail");
        }
        // In a surge, first of all: a new supporter learns why replies are
        // slow, and of the form that signs in one step where there is one.
        if !has_signed && self.in_a_surge(who.platform) {
            let surge = self.say(Message::BusySigning {
                form: form_app.is_some(),
            });
            text = format!("{surge}\n\n{text}");
        }
        let mut welcome = Reply::private(text).with_choices(choices).with_form_app(form_app);
        // Name, email and where they live may come at once in answer.
        welcome.takes_details = !has_signed;
        Ok(vec![welcome])
    }

    /// A start payload: `slug`, `slug__CODE` or `__CODE`. Anything that is
    /// not a configured campaign or a well-formed code is ignored.
    pub(in crate::conversation) fn read_payload(
        &self,
        payload: Option<&str>,
    ) -> (Option<&Arc<Campaign>>, Option<String>) {
        let Some(payload) = payload.map(str::trim).filter(|p| !p.is_empty()) else {
            return (None, None);
        };
        if payload.len() > 64
            || !payload
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return (None, None);
        }
        let (slug, code) = payload
            .split_once(PAYLOAD_SEPARATOR)
            .map_or((payload, None), |(slug, code)| (slug, Some(code)));
        let campaign = self.campaigns.get(slug);
        let referral = code.and_then(ShareCode::parse).map(|c| c.as_str().to_owned());
        (campaign, referral)
    }

    pub(in crate::conversation) async fn begin_signing(
        &self,
        who: &Identity,
        saved: Option<Conversation>,
    ) -> EngineResult<Vec<Reply>> {
        let mut conversation = saved.unwrap_or_else(|| self.new_conversation(self.campaigns.default_campaign(), who));
        let campaign = self.campaign_of(Some(&conversation)).clone();
        if let Some(signature) = self.storage.signature_of(&campaign.slug, who).await? {
            self.storage.delete_conversation(who).await?;
            return Err(already_signed(&campaign, &signature));
        }
        self.refuse_unless_open(&campaign).await?;
        conversation.step = conversation
            .resume
            .take()
            .filter(|step| step.is_part_of_signing())
            .unwrap_or_else(|| conversation.draft.next_step());
        self.save(who, &conversation).await?;
        Ok(vec![self.question(&conversation)])
    }
}

/// The refusal for someone who has signed, asking to sign again.
pub(in crate::conversation) fn already_signed(campaign: &Campaign, signature: &Signature) -> EngineError {
    EngineError::AlreadySigned {
        title: campaign.title.clone(),
        on: signature.created_at,
        platform: signature.identity.platform,
    }
}
