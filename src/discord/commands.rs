//! The slash commands the Discord bot registers: each command the table
//! (`domain::COMMANDS`) offers on Discord, with the description and
//! options Discord shows for it; and their options read back as the words
//! the engine reads.

use serenity::all::{CommandDataOptionValue, CommandInteraction, CommandOptionType, Permissions};
use serenity::builder::{CreateCommand, CreateCommandOption};

use crate::domain::{COMMANDS, Command, Takes, Who, Word};
use crate::messages::{self, CommandList, DiscordOption, Language, MilestoneMessage};

/// The slash commands, with the descriptions Discord shows, in `language`.
pub fn commands(language: Language) -> Vec<CreateCommand> {
    COMMANDS
        .iter()
        .filter_map(|command| Some(slash_command(command, command.offered.discord?, language)))
        .collect()
}

/// `command` as the slash command `name`: organisers' commands are shown
/// by default only to members who can manage the server (the engine still
/// checks the organiser list, since admins can change this).
fn slash_command(command: &Command, name: &str, language: Language) -> CreateCommand {
    let described = messages::Message::CommandDescription {
        command: command.word,
        list: CommandList::DiscordCommands,
    };
    let mut slash = CreateCommand::new(name).description(described.text(language));
    if command.who == Who::Organisers {
        slash = slash.default_member_permissions(Permissions::MANAGE_GUILD);
    }
    match command.takes {
        Takes::Selection => with_filters(slash, language),
        Takes::Number => slash.add_option(
            CreateCommandOption::new(
                CommandOptionType::Integer,
                "signatures",
                messages::Message::Milestones(MilestoneMessage::GoalOption).text(language),
            )
            .required(true)
            .min_int_value(1),
        ),
        // A friend's share code, as a start link would carry it.
        Takes::Nothing if command.word == Word::Sign => slash.add_option(
            CreateCommandOption::new(CommandOptionType::String, "code", option(DiscordOption::Code, language))
                .required(false)
                .max_length(64),
        ),
        Takes::Nothing | Takes::Payload | Takes::Text => slash,
    }
}

/// An option's description in `language`.
fn option(option: DiscordOption, language: Language) -> String {
    messages::Message::DiscordOption(option).text(language)
}

/// `/release` and `/invalidate`'s options: the selection filters.
fn with_filters(command: CreateCommand, language: Language) -> CreateCommand {
    let filter = |name: &str, described: DiscordOption| {
        CreateCommandOption::new(CommandOptionType::String, name, option(described, language)).required(false)
    };
    command
        .add_option(filter("reason", DiscordOption::Reason))
        .add_option(filter("domain", DiscordOption::Domain))
        .add_option(filter("district", DiscordOption::District))
        .add_option(filter("platform", DiscordOption::Platform))
        .add_option(filter("since", DiscordOption::Since))
        .add_option(filter("until", DiscordOption::Until))
        .add_option(
            CreateCommandOption::new(CommandOptionType::Boolean, "all", option(DiscordOption::All, language))
                .required(false),
        )
}

/// `/goal`'s number, as typed (empty when left out).
pub(super) fn goal_option(command: &CommandInteraction) -> String {
    command
        .data
        .options
        .iter()
        .find_map(|option| match option.value {
            CommandDataOptionValue::Integer(goal) => Some(goal.to_string()),
            _ => None,
        })
        .unwrap_or_default()
}

/// A review command's options as the words the engine reads:
/// `reason=new_account domain=example.com`, or `all`.
pub(super) fn selection_words(command: &CommandInteraction) -> String {
    let mut words = Vec::new();
    for option in &command.data.options {
        match &option.value {
            CommandDataOptionValue::Boolean(true) if option.name == "all" => words.push("all".to_owned()),
            CommandDataOptionValue::String(value) => {
                let value: String = value.split_whitespace().collect();
                words.push(format!("{}={value}", option.name));
            }
            _ => {}
        }
    }
    words.join(" ")
}
