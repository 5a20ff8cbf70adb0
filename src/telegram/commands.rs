//! The commands the Telegram bot parses, and the menu it registers with
//! Telegram for them: the general menu, and one with the organiser
//! commands in each organiser's private chat.

use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{BotCommand, BotCommandScope, Recipient};
use teloxide::utils::command::BotCommands;

use crate::conversation::Input;
use crate::messages::{self, DeliveryMessage, Language, MilestoneMessage, TelegramCommand};

/// The commands Telegram's menu offers, as the bot parses them. The menu's
/// descriptions are the catalogue's (`MENU`); the derive would take these
/// doc comments for descriptions too, but nothing asks it for them.
#[derive(BotCommands, Clone, Debug, PartialEq, Eq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// The welcome, with a start link's payload if there is one.
    Start(String),
    /// Begin signing.
    Sign,
    /// The full article.
    Article,
    /// Whether and when they signed.
    Status,
    /// Remove the signature and its data.
    Withdraw,
    /// Everything held about them.
    MyData,
    /// The privacy notice.
    Privacy,
    /// The count against the goal.
    Total,
    /// The words the bot understands.
    Help,
    /// Stop signing, keeping nothing.
    Cancel,
    /// In a group: present the petition.
    Petition,
    /// Organisers: breakdowns.
    Stats,
    /// Organisers: the signatures as CSV.
    Export,
    /// Organisers: the signatures held for review.
    Held,
    /// Organisers: the last week's velocity alerts.
    Anomalies,
    /// Organisers: count held signatures in; the rest is the selection.
    Release(String),
    /// Organisers: stop signatures counting; the rest is the selection.
    Invalidate(String),
    /// No more updates.
    Stop,
    /// Organisers: past updates; signers: their choice.
    Updates,
    /// Organisers: write an update to signers; the rest, if any, is its text.
    Update(String),
    /// Organisers: stop the update being sent.
    CancelUpdate,
    /// Organisers: close the petition now (asks first).
    Close,
    /// Organisers: open a closed petition again.
    Reopen,
    /// Organisers: raise the goal; the rest is the number.
    Goal(String),
    /// Organisers, in a group or channel: keep a progress message here
    /// (`/progress here`; the rest is ignored).
    Progress(String),
    /// Organisers: the delivery pack as a PDF.
    Deliver,
}

/// Telegram's menu, in order: each command's name (without the slash, as
/// the Bot API wants it) and the catalogue key of its description.
const MENU: [(&str, TelegramCommand); 23] = [
    ("start", TelegramCommand::Start),
    ("sign", TelegramCommand::Sign),
    ("article", TelegramCommand::Article),
    ("status", TelegramCommand::Status),
    ("withdraw", TelegramCommand::Withdraw),
    ("mydata", TelegramCommand::MyData),
    ("privacy", TelegramCommand::Privacy),
    ("total", TelegramCommand::Total),
    ("help", TelegramCommand::Help),
    ("cancel", TelegramCommand::Cancel),
    ("petition", TelegramCommand::Petition),
    ("stats", TelegramCommand::Stats),
    ("export", TelegramCommand::Export),
    ("held", TelegramCommand::Held),
    ("anomalies", TelegramCommand::Anomalies),
    ("release", TelegramCommand::Release),
    ("invalidate", TelegramCommand::Invalidate),
    ("stop", TelegramCommand::Stop),
    ("updates", TelegramCommand::Updates),
    ("update", TelegramCommand::Update),
    ("cancelupdate", TelegramCommand::CancelUpdate),
    ("close", TelegramCommand::Close),
    ("reopen", TelegramCommand::Reopen),
];

/// The commands only organisers see in their menu.
const ORGANISER_COMMANDS: [&str; 10] = [
    "stats",
    "export",
    "held",
    "anomalies",
    "release",
    "invalidate",
    "update",
    "cancelupdate",
    "close",
    "reopen",
];

/// The organisers' commands for milestones, after [`MENU`]'s.
const MILESTONE_MENU: [(&str, MilestoneMessage); 2] = [
    ("goal", MilestoneMessage::GoalCommand),
    ("progress", MilestoneMessage::ProgressCommand),
];

/// The organisers' command for the delivery pack, after the milestones'.
const DELIVERY_MENU: [(&str, DeliveryMessage); 1] = [("deliver", DeliveryMessage::Command)];

impl Command {
    /// What the engine is told; words go with a leading slash, which is how
    /// the engine recognises a command in a group.
    pub(super) fn to_input(&self) -> Input {
        match self {
            Command::Start(payload) => Input::Start {
                payload: Some(payload.trim().to_owned()).filter(|p| !p.is_empty()),
            },
            Command::Release(selection) => Input::Text(format!("/release {selection}")),
            Command::Invalidate(selection) => Input::Text(format!("/invalidate {selection}")),
            Command::Update(text) => Input::Text(format!("/update {text}").trim_end().to_owned()),
            Command::CancelUpdate => Input::Text("/cancel update".to_owned()),
            Command::Goal(goal) => Input::Text(format!("/goal {goal}")),
            // Answered by the adapter, which knows the chat; see `on_message`.
            Command::Progress(_) => Input::Text("/progress".to_owned()),
            other => {
                let word = format!("{other:?}").to_lowercase();
                Input::Text(format!("/{word}"))
            }
        }
    }

    /// The menu entries, described in `language`.
    fn menu(include_organiser_commands: bool, language: Language) -> Vec<BotCommand> {
        MENU.into_iter()
            .filter(|(name, _)| include_organiser_commands || !ORGANISER_COMMANDS.contains(name))
            .map(|(name, command)| BotCommand::new(name, messages::Message::TelegramCommand(command).text(language)))
            .chain(
                MILESTONE_MENU
                    .into_iter()
                    .filter(|_| include_organiser_commands)
                    .map(|(name, command)| {
                        BotCommand::new(name, messages::Message::Milestones(command).text(language))
                    }),
            )
            .chain(
                DELIVERY_MENU
                    .into_iter()
                    .filter(|_| include_organiser_commands)
                    .map(|(name, command)| BotCommand::new(name, messages::Message::Delivery(command).text(language))),
            )
            .collect()
    }
}

pub(super) async fn register_commands<R>(bot: &R, organisers: &[i64], language: Language) -> Result<(), RequestError>
where
    R: Requester<Err = RequestError>,
{
    bot.set_my_commands(Command::menu(false, language)).send().await?;
    for organiser in organisers {
        bot.set_my_commands(Command::menu(true, language))
            .scope(BotCommandScope::Chat {
                chat_id: Recipient::Id(ChatId(*organiser)),
            })
            .send()
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_become_engine_words() {
        assert_eq!(
            Command::parse("/start keep-the-unit-open__ABCDEFGH", "bot")
                .unwrap()
                .to_input(),
            Input::Start {
                payload: Some("keep-the-unit-open__ABCDEFGH".into())
            }
        );
        assert_eq!(
            Command::parse("/start", "bot").unwrap().to_input(),
            Input::Start { payload: None }
        );
        assert_eq!(
            Command::parse("/mydata@bot", "bot").unwrap().to_input(),
            Input::Text("/mydata".into())
        );
        assert!(Command::parse("/sign@otherbot", "bot").is_err());
    }

    #[test]
    fn the_menu_offers_exactly_the_commands_the_bot_parses() {
        let parsed: Vec<String> = Command::bot_commands()
            .into_iter()
            .map(|entry| entry.command.trim_start_matches('/').to_owned())
            .collect();
        let offered: Vec<String> = Command::menu(true, Language::English)
            .into_iter()
            .map(|entry| entry.command)
            .collect();
        assert_eq!(offered, parsed);
    }
}
