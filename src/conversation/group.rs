//! Group chats: only commands are answered, publicly and without personal
//! data; signing is moved to a private chat.

use super::{Engine, EngineResult, Incoming, Input, Link, Reply, Summary, Word};
use crate::limits::MessageVerdict;
use crate::messages::Message;

impl Engine {
    /// In a group only commands are answered, publicly and without any
    /// personal data; signing itself is moved to a private chat.
    pub(super) async fn respond_in_group(&self, msg: &Incoming) -> EngineResult<Vec<Reply>> {
        let default_slug = self.campaigns.default_campaign().slug.clone();
        match self.guards.check_message(&default_slug, &msg.from) {
            MessageVerdict::Allowed => {}
            // A group hears nothing about one member's flood.
            MessageVerdict::SlowDown { .. } | MessageVerdict::Ignore => return Ok(Vec::new()),
        }
        let word = match &msg.input {
            Input::Start { .. } => Word::Start,
            Input::Text(text) if text.trim_start().starts_with('/') => {
                let command = text.split_whitespace().next().unwrap_or("");
                match Word::parse(command) {
                    Some(word) => word,
                    None => return Ok(Vec::new()),
                }
            }
            _ => return Ok(Vec::new()),
        };
        let campaign = self.campaigns.default_campaign();
        let invitation = Link::SignPrivately {
            payload: campaign.slug.clone(),
        };
        let reply = match word {
            // A closed petition is not offered for signing in a group.
            Word::Start | Word::Petition | Word::Sign
                if matches!(self.standing(campaign), super::Standing::Closed(_)) =>
            {
                match self.refuse_unless_open(campaign).await {
                    Err(refusal) => Reply::public(self.refusal(refusal)?.text),
                    Ok(()) => return Ok(Vec::new()),
                }
            }
            Word::Start | Word::Petition | Word::Sign => {
                let total = self.storage.total(&campaign.slug).await?;
                Reply::public(self.say(Message::GroupWelcome {
                    title: &campaign.title,
                    targets: &campaign.targets,
                    total,
                    goal: self.goal_of(campaign),
                }))
                .with_link(invitation)
                .with_summary(Summary {
                    title: campaign.title.clone(),
                    statement: campaign.statement.clone(),
                    addressed_to: self.say(Message::Targets {
                        targets: &campaign.targets,
                    }),
                    author: campaign.author.clone(),
                    total,
                    goal: self.goal_of(campaign),
                })
            }
            Word::Total => {
                let total = self.storage.total(&campaign.slug).await?;
                Reply::public(self.say(Message::Total {
                    title: &campaign.title,
                    total,
                    goal: self.goal_of(campaign),
                }))
            }
            Word::Stats | Word::Export | Word::Deliver => Reply::public(self.say(Message::OrganiserCommandsInPrivate)),
            // Only the adapters answer these in a group (`progress here`),
            // and nobody reviews signatures or sets goals where all can see.
            Word::Progress | Word::Release | Word::Invalidate | Word::Goal => return Ok(Vec::new()),
            _ => Reply::public(self.say(Message::OnlyInPrivate)).with_link(invitation),
        };
        Ok(vec![reply])
    }
}
