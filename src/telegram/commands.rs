//! The commands the Telegram bot reads, and the menu it registers with
//! Telegram for them: each command the table (`domain::COMMANDS`) offers
//! in Telegram's menu; the general menu, and one with the organisers'
//! commands in each organiser's private chat.

use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{BotCommand, BotCommandScope, Recipient};

use crate::conversation::Input;
use crate::domain::{COMMANDS, Command, Takes, Who, Word};
use crate::messages::{self, CommandList, Language};

/// A message starting with a slash, as this bot reads it.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Slashed {
    /// `/progress`: the adapter answers it, since it knows the chat.
    ProgressHere,
    /// A command for the engine; words go with a leading slash, which is
    /// how the engine recognises a command in a group.
    Input(Input),
}

/// Reads `/name`, `/name@bot` and what follows: `None` when it is
/// addressed to another bot, names no command in the menu, or follows a
/// command that takes nothing with something more.
pub(super) fn read(text: &str, bot_username: &str) -> Option<Slashed> {
    let text = text.trim();
    let (first, rest) = match text.split_once(char::is_whitespace) {
        Some((first, rest)) => (first, rest.trim()),
        None => (text, ""),
    };
    let addressed = first.strip_prefix('/')?;
    let name = match addressed.split_once('@') {
        Some((name, bot)) if bot.eq_ignore_ascii_case(bot_username) => name,
        Some(_) => return None,
        None => addressed,
    };
    let command = Command::named(name).filter(|command| command.offered.telegram_menu)?;
    if command.takes == Takes::Nothing && !rest.is_empty() {
        return None;
    }
    let read = match command.word {
        Word::Start => Slashed::Input(Input::Start {
            payload: Some(rest.to_owned()).filter(|payload| !payload.is_empty()),
        }),
        Word::Progress => Slashed::ProgressHere,
        _ => Slashed::Input(Input::Text(format!("/{} {rest}", command.name).trim_end().to_owned())),
    };
    Some(read)
}

/// The menu entries, described in `language`.
fn menu(include_organiser_commands: bool, language: Language) -> Vec<BotCommand> {
    COMMANDS
        .iter()
        .filter(|command| command.offered.telegram_menu)
        .filter(|command| include_organiser_commands || command.who == Who::Everyone)
        .map(|command| {
            let described = messages::Message::CommandDescription {
                command: command.word,
                list: CommandList::TelegramMenu,
            };
            BotCommand::new(command.name, described.text(language))
        })
        .collect()
}

pub(super) async fn register_commands<R>(bot: &R, organisers: &[i64], language: Language) -> Result<(), RequestError>
where
    R: Requester<Err = RequestError>,
{
    bot.set_my_commands(menu(false, language)).send().await?;
    for organiser in organisers {
        bot.set_my_commands(menu(true, language))
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
            read("/start keep-the-unit-open__ABCDEFGH", "bot"),
            Some(Slashed::Input(Input::Start {
                payload: Some("keep-the-unit-open__ABCDEFGH".into())
            }))
        );
        assert_eq!(
            read("/start", "bot"),
            Some(Slashed::Input(Input::Start { payload: None }))
        );
        assert_eq!(
            read("/mydata@bot", "bot"),
            Some(Slashed::Input(Input::Text("/mydata".into())))
        );
        assert_eq!(
            read("/release domain=spam.example", "bot"),
            Some(Slashed::Input(Input::Text("/release domain=spam.example".into())))
        );
        assert_eq!(read("/progress here", "bot"), Some(Slashed::ProgressHere));
        assert_eq!(read("/sign@otherbot", "bot"), None);
        assert_eq!(read("/sign now", "bot"), None);
        assert_eq!(read("/nonsense", "bot"), None);
    }

    #[test]
    fn the_bot_reads_every_command_its_menu_offers() {
        let offered = menu(true, Language::English);
        assert!(offered.iter().any(|entry| entry.command == "stats"));
        for entry in offered {
            assert!(
                read(&format!("/{}", entry.command), "bot").is_some(),
                "{}",
                entry.command
            );
        }
        let everyone = menu(false, Language::English);
        assert!(everyone.iter().any(|entry| entry.command == "sign"));
        assert!(everyone.iter().all(|entry| entry.command != "stats"));
    }
}
