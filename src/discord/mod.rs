//! The Discord adapter: slash commands, buttons, a signing form (modal) and
//! direct messages become engine inputs; engine replies become ephemeral
//! interaction responses or DM messages. Nothing personal is ever posted
//! where others can see it: the only public message is `/petition`'s embed.
//!
//! Every button and form carries a `custom_id` that routes it to the engine,
//! whose state lives in the database, so nothing depends on in-memory
//! collectors and a restart between the form and the confirmation loses
//! nothing.
//!
//! This file holds the event handler: events in, engine calls. The rest
//! is a file per job: answering an interaction (`answer.rs`), the slash
//! commands and their options (`commands.rs`),
//! starting, stopping and connecting the bot (`bot.rs`), organisers'
//! alerts (`alerts.rs`), how a reply looks ([`render`]), the messages sent
//! after an interaction's first response ([`rest`]) and how often the bot
//! may connect again ([`reconnect`]), and starting all of it on one
//! client (`start.rs`).

mod account;
mod alerts;
mod answer;
mod bot;
mod commands;
mod courier;
mod progress;
pub mod reconnect;
pub mod render;
pub mod rest;
mod start;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serenity::all::{
    ActionRowComponent, CommandDataOptionValue, CommandInteraction, ComponentInteraction, ConnectionStage, GuildId,
    Interaction, InteractionId, Message, ModalInteraction, Ready, ResumedEvent, ShardStageUpdateEvent,
};
use serenity::builder::{Builder, CreateInteractionResponse, CreateInteractionResponseMessage};
use serenity::client::{Context, EventHandler};
use tracing::{Instrument, info, info_span, warn};

pub use self::alerts::{AlertChannel, forward_alerts};
use self::answer::messages_of;
use self::bot::describe;
pub use self::bot::{DISCORD_API, DiscordBot, spawn, spawn_watched};
pub use self::commands::commands;
use self::commands::{goal_option, selection_words};
pub use self::courier::DiscordCourier;
pub use self::progress::{ProgressChannels, keep_progress_messages};
use self::render::ids;
use self::rest::DiscordRest;
pub use self::start::start;
use crate::conversation::{Engine, FormAnswers, Incoming, Input};
use crate::dedup::RecentIds;
use crate::domain::{ChatKind, Command, Identity, Platform, Takes, Word};
use crate::health::{Bot as HealthBot, Health};
use crate::messages;
use crate::metrics;

/// How long to wait for the engine before deferring: Discord kills an
/// interaction that gets no first response within 3 seconds.
pub const DEFER_AFTER: Duration = Duration::from_millis(2000);

/// The event handler: Discord events in, engine calls, replies out.
pub struct Handler {
    engine: Arc<Engine>,
    rest: DiscordRest,
    /// Interaction and message ids already handled: Discord may deliver an
    /// event twice (a resumed session), and a double-submitted form must
    /// not be handled twice.
    recent: RecentIds,
    guilds: Vec<GuildId>,
    defer_after: Duration,
    /// Where the gateway connection's state is told, for `/readyz`.
    health: Health,
}

impl Handler {
    /// A handler over the engine; `guilds` get the commands at once, or all
    /// servers (slowly) when empty.
    pub fn new(engine: Arc<Engine>, rest: DiscordRest, guilds: &[u64], defer_after: Duration) -> Self {
        // Every follow-up and DM waits for its turn in the bot's one pace.
        let pace = engine
            .pace(crate::domain::Platform::Discord)
            .expect("Discord has a pace")
            .clone();
        Self {
            rest: rest.paced_by(pace),
            engine,
            recent: RecentIds::new(10_000),
            guilds: guilds.iter().map(|id| GuildId::new(*id)).collect(),
            defer_after,
            health: Health::new(),
        }
    }

    /// The handler, telling `health` whether the gateway is connected.
    pub fn with_health(self, health: Health) -> Self {
        Self { health, ..self }
    }
}

/// What started a turn, which decides how its replies may be delivered.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Trigger {
    /// A slash command: a message or a form may answer it.
    Command,
    /// A button: may also update the message it was on.
    Button,
    /// A submitted form: may not answer with another form.
    Form,
}

/// One interaction to answer.
struct Turn<'a> {
    id: InteractionId,
    token: &'a str,
    application_id: u64,
    trigger: Trigger,
}

fn identity(user_id: serenity::all::UserId) -> Identity {
    Identity::new(Platform::Discord, user_id.get().to_string())
}

/// When a Discord account was created, which its id records.
fn created(user_id: serenity::all::UserId) -> Option<chrono::DateTime<chrono::Utc>> {
    account::discord_account_created(user_id.get())
}

fn roles(member: Option<&serenity::all::Member>) -> Vec<String> {
    member
        .map(|m| m.roles.iter().map(|role| role.get().to_string()).collect())
        .unwrap_or_default()
}

#[async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        info!(guilds = self.guilds.len(), "connected to Discord");
        self.health.set_connected(HealthBot::Discord, true);
        let language = self.engine.language();
        let registered = if self.guilds.is_empty() {
            serenity::all::Command::set_global_commands(&ctx.http, commands(language))
                .await
                .map(drop)
        } else {
            let mut result = Ok(());
            for guild in &self.guilds {
                if let Err(error) = guild.set_commands(&ctx.http, commands(language)).await {
                    result = Err(error);
                }
            }
            result
        };
        if let Err(error) = registered {
            warn!(error = %describe(&error), "could not register the slash commands");
        }
        let _ = ready;
    }

    async fn resume(&self, _ctx: Context, _resumed: ResumedEvent) {
        self.health.set_connected(HealthBot::Discord, true);
    }

    async fn shard_stage_update(&self, _ctx: Context, update: ShardStageUpdateEvent) {
        if update.new == ConnectionStage::Connected {
            self.health.set_connected(HealthBot::Discord, true);
        } else if update.old == ConnectionStage::Connected {
            self.health.set_connected(HealthBot::Discord, false);
        }
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        if !self.recent.first_time(interaction.id().get()) {
            return;
        }
        let user = match &interaction {
            Interaction::Command(i) => i.user.id,
            Interaction::Component(i) => i.user.id,
            Interaction::Modal(i) => i.user.id,
            _ => return,
        };
        let span = info_span!("discord", user = %identity(user).log_id());
        async {
            match interaction {
                Interaction::Command(command) => self.on_command(&ctx, &command).await,
                Interaction::Component(component) => self.on_button(&ctx, &component).await,
                Interaction::Modal(modal) => self.on_form(&ctx, &modal).await,
                _ => {}
            }
        }
        .instrument(span)
        .await
    }

    async fn message(&self, _ctx: Context, message: Message) {
        // Only direct messages from people; the bot never reads servers'
        // channels.
        if message.guild_id.is_some() || message.author.bot || !self.recent.first_time(message.id.get()) {
            return;
        }
        let incoming = Incoming {
            account_created: created(message.author.id),
            ..Incoming::private(identity(message.author.id), Input::Text(message.content.clone()))
        };
        // Organisers' answers take their turn after supporters' questions.
        let rest = self
            .rest
            .with_priority(self.engine.reply_priority(&incoming.from, &incoming.roles));
        let replies = self.engine.handle(incoming).await;
        for reply in replies {
            for part in messages_of(&reply, false, self.engine.language()) {
                if let Err(error) = rest.send_to_channel(message.channel_id.get(), &part).await {
                    warn!(%error, "could not send a direct message");
                    metrics::error(metrics::ErrorKind::Send(Platform::Discord));
                }
            }
        }
    }
}

impl Handler {
    async fn on_command(&self, ctx: &Context, command: &CommandInteraction) {
        let who = identity(command.user.id);
        let turn = Turn {
            id: command.id,
            token: &command.token,
            application_id: command.application_id.get(),
            trigger: Trigger::Command,
        };
        let name = command.data.name.as_str();
        let declared = Command::on_discord(name);
        let word = declared.map(|declared| declared.word);
        if word == Some(Word::Sign)
            && let Some(code) = command
                .data
                .options
                .iter()
                .find(|o| o.name == "code")
                .and_then(|o| match &o.value {
                    CommandDataOptionValue::String(code) => Some(code.clone()),
                    _ => None,
                })
        {
            // A friend's code is taken as if they had followed the link.
            let slug = self.engine.campaigns().default_campaign().slug.clone();
            let payload = format!("{slug}{}{}", crate::conversation::PAYLOAD_SEPARATOR, code.trim());
            self.engine
                .handle(Incoming::private(who.clone(), Input::Start { payload: Some(payload) }))
                .await;
        }
        if word == Some(Word::Progress) {
            return self.progress_here(ctx, turn, command).await;
        }
        // Typed as its name would be, with what its options say after it;
        // `/petition` is shown to everyone in the channel.
        let text = match declared {
            Some(declared) => match declared.takes {
                Takes::Number => format!("/{} {}", declared.name, goal_option(command)),
                Takes::Selection => format!("/{} {}", declared.name, selection_words(command)),
                Takes::Nothing | Takes::Payload | Takes::Text => format!("/{}", declared.name),
            },
            None => format!("/{name}"),
        };
        let chat = match word {
            Some(Word::Petition) => ChatKind::Group,
            _ => ChatKind::Private,
        };
        let incoming = Incoming {
            from: who,
            roles: roles(command.member.as_deref()),
            chat,
            input: Input::Text(text),
            account_created: created(command.user.id),
        };
        self.answer(ctx, turn, incoming).await;
    }

    async fn on_button(&self, ctx: &Context, component: &ComponentInteraction) {
        let who = identity(component.user.id);
        let turn = Turn {
            id: component.id,
            token: &component.token,
            application_id: component.application_id.get(),
            trigger: Trigger::Button,
        };
        let custom_id = component.data.custom_id.as_str();
        let input = match custom_id {
            ids::SIGN | ids::FORM => Input::Text("sign".to_owned()),
            ids::ARTICLE => Input::Text("article".to_owned()),
            ids::DM => return self.move_to_direct_messages(ctx, turn, who).await,
            other => match other.strip_prefix(ids::CHOICE_PREFIX) {
                Some(data) => Input::Choice(data.to_owned()),
                None => return,
            },
        };
        let incoming = Incoming {
            from: who,
            roles: roles(component.member.as_ref()),
            chat: ChatKind::Private,
            input,
            account_created: created(component.user.id),
        };
        self.answer(ctx, turn, incoming).await;
    }

    async fn on_form(&self, ctx: &Context, modal: &ModalInteraction) {
        let turn = Turn {
            id: modal.id,
            token: &modal.token,
            application_id: modal.application_id.get(),
            trigger: Trigger::Form,
        };
        let field = |id: &str| {
            modal
                .data
                .components
                .iter()
                .flat_map(|row| &row.components)
                .find_map(|component| match component {
                    ActionRowComponent::InputText(input) if input.custom_id == id => input.value.clone(),
                    _ => None,
                })
                .unwrap_or_default()
        };
        let input = if modal.data.custom_id == ids::UPDATE_MODAL {
            // Written in a box of its own, so it is the update's text
            // whatever words it holds.
            Input::Text(format!("/update {}", field(ids::UPDATE_TEXT)))
        } else {
            Input::Form(FormAnswers {
                name: field(ids::NAME),
                email: field(ids::EMAIL),
                location: field(ids::LOCATION),
                ..FormAnswers::default()
            })
        };
        let incoming = Incoming {
            from: identity(modal.user.id),
            roles: roles(modal.member.as_ref()),
            account_created: created(modal.user.id),
            chat: ChatKind::Private,
            input,
        };
        self.answer(ctx, turn, incoming).await;
    }

    /// `/progress` in a channel: an organiser gets a progress message kept
    /// there; either way the answer is ephemeral.
    async fn progress_here(&self, ctx: &Context, turn: Turn<'_>, command: &CommandInteraction) {
        let language = self.engine.language();
        let text = if command.guild_id.is_none() {
            messages::Message::Milestones(messages::MilestoneMessage::ProgressHereInGroups).text(language)
        } else {
            let here = crate::storage::AnnounceChat::new(Platform::Discord, command.channel_id.get());
            let roles = roles(command.member.as_deref());
            self.engine
                .progress_here(&identity(command.user.id), &roles, here)
                .await
                .1
                .text
        };
        let response =
            CreateInteractionResponse::Message(CreateInteractionResponseMessage::new().content(text).ephemeral(true));
        if let Err(error) = response.execute(&ctx.http, (turn.id, turn.token)).await {
            warn!(error = %describe(&error), "could not answer an interaction");
            metrics::error(metrics::ErrorKind::Send(Platform::Discord));
        }
    }

    /// Opens a DM and starts the conversation there, for people who prefer
    /// typing; says so privately where they pressed the button.
    async fn move_to_direct_messages(&self, ctx: &Context, turn: Turn<'_>, who: Identity) {
        let language = self.engine.language();
        let user_id: u64 = who.user_id.parse().expect("Discord ids are numbers");
        let note = match self.rest.open_dm(user_id).await {
            Ok(channel) => {
                let replies = self
                    .engine
                    .handle(Incoming {
                        account_created: account::discord_account_created(user_id),
                        ..Incoming::private(who, Input::Start { payload: None })
                    })
                    .await;
                let mut delivered = true;
                for reply in &replies {
                    for part in messages_of(reply, false, language) {
                        if let Err(error) = self.rest.send_to_channel(channel, &part).await {
                            delivered = false;
                            if !error.is_cannot_message_user() {
                                warn!(%error, "could not send a direct message");
                                metrics::error(metrics::ErrorKind::Send(Platform::Discord));
                            }
                        }
                    }
                }
                if delivered {
                    messages::Message::DirectMessageSent
                } else {
                    messages::Message::DirectMessagesRefused
                }
            }
            Err(_) => messages::Message::DirectMessageUnavailable,
        };
        let response = CreateInteractionResponse::Message(
            CreateInteractionResponseMessage::new()
                .content(note.text(language))
                .ephemeral(true),
        );
        if let Err(error) = response.execute(&ctx.http, (turn.id, turn.token)).await {
            warn!(error = %describe(&error), "could not answer an interaction");
            metrics::error(metrics::ErrorKind::Send(Platform::Discord));
        }
    }
}
