//! What every job works with: the campaigns and who organises them, the
//! language replies are worded in, the database, the clock and the limits.
//! The engine holds one and derefs to it; the jobs whose only state is
//! this (what each question asks, refusals) are methods of it.

use std::sync::Arc;

use tracing::{info, warn};

use super::{Conversation, Draft, EngineResult, Step};
use crate::campaign::{Campaign, Campaigns};
use crate::clock::Clock;
use crate::domain::{Identity, Platform};
use crate::limits::Guards;
use crate::messages::{Language, Localised, Message};
use crate::organiser::Organisers;
use crate::storage::Storage;

/// See the module's documentation.
pub struct Context {
    /// The configured campaigns.
    pub(super) campaigns: Campaigns,
    /// Who may use organisers' commands.
    pub(super) organisers: Organisers,
    /// The language replies are worded in.
    pub(super) language: Language,
    pub(super) storage: Arc<Storage>,
    pub(super) clock: Arc<dyn Clock>,
    /// Rate limits and the rules that hold signatures for review.
    pub(super) guards: Guards,
    /// The web server's public address, where each campaign has a form to
    /// sign with (`/{slug}/app`); `None` when there is none.
    pub(super) web_base: Option<String>,
}

impl Context {
    /// The language replies are worded in, so that adapters word what they
    /// add (labels, command descriptions) in the same one.
    pub fn language(&self) -> Language {
        self.language
    }

    /// The configured campaigns.
    pub fn campaigns(&self) -> &Campaigns {
        &self.campaigns
    }

    /// The storage the engine writes to.
    pub fn storage(&self) -> &Arc<Storage> {
        &self.storage
    }

    /// The clock the engine reads.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The web form to sign `campaign` with, for platforms whose chats can
    /// open one (Telegram's Mini Apps), when a web server runs.
    pub fn form_app_url(&self, campaign: &Campaign, platform: Platform) -> Option<String> {
        let base = self.web_base.as_deref()?;
        (platform == Platform::Telegram).then(|| format!("{base}/{}/app", campaign.slug))
    }

    /// The web server's public address, if one runs.
    pub fn web_base(&self) -> Option<&str> {
        self.web_base.as_deref()
    }

    /// A message's text, in the engine's language.
    pub(super) fn say(&self, message: Message<'_>) -> String {
        message.text(self.language)
    }

    /// A message in the engine's language, to write into a larger text.
    pub(super) fn phrase<'a>(&self, message: Message<'a>) -> Localised<'a> {
        message.in_language(self.language)
    }

    pub(super) async fn load(&self, who: &Identity) -> EngineResult<Option<Conversation>> {
        let Some(json) = self.storage.load_conversation(who).await? else {
            return Ok(None);
        };
        match serde_json::from_str::<Conversation>(&json) {
            Ok(conversation) if self.campaigns.get(&conversation.campaign).is_some() => Ok(Some(Conversation {
                platform: Some(who.platform),
                ..conversation
            })),
            Ok(_) => {
                info!("conversation was for a campaign no longer configured; starting afresh");
                self.storage.delete_conversation(who).await?;
                Ok(None)
            }
            Err(error) => {
                // Where and what kind, not serde's message, which can quote
                // the saved answers.
                warn!(
                    category = ?error.classify(),
                    line = error.line(),
                    column = error.column(),
                    "saved conversation could not be read; starting afresh"
                );
                self.storage.delete_conversation(who).await?;
                Ok(None)
            }
        }
    }

    pub(super) async fn save(&self, who: &Identity, conversation: &Conversation) -> EngineResult<()> {
        let json = serde_json::to_string(conversation).expect("a conversation always serialises");
        Ok(self.storage.save_conversation(who, &json, self.clock.now()).await?)
    }

    pub(super) fn campaign_of(&self, conversation: Option<&Conversation>) -> &Arc<Campaign> {
        conversation
            .and_then(|c| self.campaigns.get(&c.campaign))
            .unwrap_or_else(|| self.campaigns.default_campaign())
    }

    pub(super) fn new_conversation(&self, campaign: &Campaign, who: &Identity) -> Conversation {
        Conversation {
            platform: Some(who.platform),
            pending_update: None,
            campaign: campaign.slug.clone(),
            step: Step::Welcome,
            draft: Draft::default(),
            referral: None,
            resume: None,
            pending_review: None,
        }
    }
}
