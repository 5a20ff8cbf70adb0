//! The slash commands the Discord bot registers, with the descriptions and
//! options Discord shows for them.

use serenity::all::{CommandOptionType, Permissions};
use serenity::builder::{CreateCommand, CreateCommandOption};

use crate::messages::{self, DeliveryMessage, DiscordCommand, DiscordOption, Language, MilestoneMessage};

/// The slash commands, with the descriptions Discord shows, in `language`.
pub fn commands(language: Language) -> Vec<CreateCommand> {
    let plain = |name: &str, command: DiscordCommand| {
        CreateCommand::new(name).description(messages::Message::DiscordCommand(command).text(language))
    };
    let organisers = |name: &str, command: DiscordCommand| {
        // Shown by default only to members who can manage the server; the
        // engine still checks the organiser list, since admins can change this.
        plain(name, command).default_member_permissions(Permissions::MANAGE_GUILD)
    };
    vec![
        plain("petition", DiscordCommand::Petition),
        plain("sign", DiscordCommand::Sign).add_option(
            CreateCommandOption::new(CommandOptionType::String, "code", option(DiscordOption::Code, language))
                .required(false)
                .max_length(64),
        ),
        plain("article", DiscordCommand::Article),
        plain("status", DiscordCommand::Status),
        plain("withdraw", DiscordCommand::Withdraw),
        plain("mydata", DiscordCommand::MyData),
        plain("privacy", DiscordCommand::Privacy),
        plain("total", DiscordCommand::Total),
        plain("help", DiscordCommand::Help),
        organisers("stats", DiscordCommand::Stats),
        organisers("export", DiscordCommand::Export),
        organisers("held", DiscordCommand::Held),
        organisers("anomalies", DiscordCommand::Anomalies),
        with_filters(organisers("release", DiscordCommand::Release), language),
        with_filters(organisers("invalidate", DiscordCommand::Invalidate), language),
        plain("stop", DiscordCommand::Stop),
        plain("updates", DiscordCommand::Updates),
        organisers("update", DiscordCommand::Update),
        organisers("cancel-update", DiscordCommand::CancelUpdate),
        organisers("close", DiscordCommand::Close),
        organisers("reopen", DiscordCommand::Reopen),
        milestones("goal", MilestoneMessage::GoalCommand, language).add_option(
            CreateCommandOption::new(
                CommandOptionType::Integer,
                "signatures",
                messages::Message::Milestones(MilestoneMessage::GoalOption).text(language),
            )
            .required(true)
            .min_int_value(1),
        ),
        milestones("progress", MilestoneMessage::ProgressCommand, language),
        CreateCommand::new("deliver")
            .description(messages::Message::Delivery(DeliveryMessage::Command).text(language))
            .default_member_permissions(Permissions::MANAGE_GUILD),
    ]
}

/// An organisers' command about milestones, described in `language`;
/// shown by default like the other organisers' commands.
fn milestones(name: &str, described: MilestoneMessage<'static>, language: Language) -> CreateCommand {
    CreateCommand::new(name)
        .description(messages::Message::Milestones(described).text(language))
        .default_member_permissions(Permissions::MANAGE_GUILD)
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
