//! Answering an interaction: at once when the engine is quick, otherwise a
//! deferral within Discord's 3 seconds and the answer as a follow-up; a
//! reply as Discord messages under the length limit, or as a form.

use serenity::all::CreateAttachment;
use serenity::builder::{Builder, CreateInteractionResponse, CreateInteractionResponseMessage};
use serenity::client::Context;
use tracing::warn;

use super::bot::describe;
use super::rest::{DiscordRest, OutgoingMessage};
use super::{Handler, Trigger, Turn, render};
use crate::adapter;
use crate::conversation::{Incoming, Placement, Reply, Visibility};
use crate::domain::Platform;
use crate::messages::Language;
use crate::metrics;

impl Handler {
    /// Asks the engine and answers the interaction: at once if the engine
    /// is quick, otherwise a deferral inside Discord's 3 seconds and the
    /// answer as a follow-up.
    pub(super) async fn answer(&self, ctx: &Context, turn: Turn<'_>, incoming: Incoming) {
        // Organisers' answers take their turn after supporters' questions.
        let rest = self
            .rest
            .with_priority(self.engine.reply_priority(&incoming.from, &incoming.roles));
        let engine = self.engine.clone();
        let mut handling = tokio::spawn(async move { engine.handle(incoming).await });
        let replies = tokio::select! {
            replies = &mut handling => replies,
            () = tokio::time::sleep(self.defer_after) => {
                // A press is deferred as an update of the message it was on
                // (type 6), whose answer then takes that message's place, so
                // no stale buttons stay beside it; anything else as a private
                // message to come (type 5).
                let defer = match turn.trigger {
                    Trigger::Button => CreateInteractionResponse::Acknowledge,
                    Trigger::Command | Trigger::Form => {
                        CreateInteractionResponse::Defer(CreateInteractionResponseMessage::new().ephemeral(true))
                    }
                };
                if let Err(error) = defer.execute(&ctx.http, (turn.id, turn.token)).await {
                    warn!(error = %describe(&error), "could not defer an interaction");
                    metrics::error(metrics::ErrorKind::Send(Platform::Discord));
                }
                match handling.await {
                    Ok(replies) => return follow_up_deferred(&rest, &turn, replies, self.engine.language()).await,
                    Err(_) => return,
                }
            }
        };
        let Ok(mut replies) = replies else { return };
        if replies.is_empty() {
            return;
        }
        let first = replies.remove(0);
        let language = self.engine.language();
        let (response, rest_of_first) = first_response(
            &turn,
            &first,
            self.engine.campaigns().default_campaign().title.as_str(),
            language,
        );
        if let Err(error) = response.execute(&ctx.http, (turn.id, turn.token)).await {
            warn!(error = %describe(&error), "could not answer an interaction");
            metrics::error(metrics::ErrorKind::Send(Platform::Discord));
            return;
        }
        let remaining = rest_of_first
            .into_iter()
            .chain(replies.iter().flat_map(|reply| messages_of(reply, true, language)));
        for message in remaining {
            if let Err(error) = rest.follow_up(turn.application_id, turn.token, &message).await {
                warn!(%error, "could not send a follow-up");
                metrics::error(metrics::ErrorKind::Send(Platform::Discord));
            }
        }
    }
}

/// After a deferral: the first message replaces the "thinking" message,
/// or for a press, the message pressed when the answer belongs in its
/// place; the rest follow. A form cannot be opened now, so it is offered
/// as a button.
async fn follow_up_deferred(rest: &DiscordRest, turn: &Turn<'_>, replies: Vec<Reply>, language: Language) {
    let replaces_the_original = turn.trigger != Trigger::Button
        || replies
            .first()
            .is_some_and(|reply| reply.placement == Placement::InPlaceOfChoice);
    let mut messages = replies.iter().flat_map(|reply| messages_of(reply, true, language));
    if replaces_the_original
        && let Some(first) = messages.next()
        && let Err(error) = rest.edit_original(turn.application_id, turn.token, &first).await
    {
        warn!(%error, "could not complete a deferred interaction");
        metrics::error(metrics::ErrorKind::Send(Platform::Discord));
    }
    for message in messages {
        if let Err(error) = rest.follow_up(turn.application_id, turn.token, &message).await {
            warn!(%error, "could not send a follow-up");
            metrics::error(metrics::ErrorKind::Send(Platform::Discord));
        }
    }
}

/// The first response to an interaction, and any parts of the first reply
/// that did not fit in it.
fn first_response(
    turn: &Turn<'_>,
    reply: &Reply,
    campaign_title: &str,
    language: Language,
) -> (CreateInteractionResponse, Vec<OutgoingMessage>) {
    if turn.trigger != Trigger::Form
        && let Some(max_chars) = reply.long_answer
    {
        return (
            CreateInteractionResponse::Modal(render::long_answer_modal(max_chars, language)),
            Vec::new(),
        );
    }
    if turn.trigger != Trigger::Form
        && let Some(form) = &reply.form
    {
        return (
            CreateInteractionResponse::Modal(render::modal(campaign_title, form, language)),
            Vec::new(),
        );
    }
    let mut parts = messages_of(reply, true, language);
    let first = parts.remove(0);
    let update = turn.trigger == Trigger::Button && reply.placement == Placement::InPlaceOfChoice;
    let mut message = CreateInteractionResponseMessage::new()
        .content(first.content)
        .components(first.components)
        .embeds(first.embeds);
    // An update edits the message the button was on, which stays as
    // ephemeral as it was sent; Discord ignores or refuses the flag on it.
    if !update {
        message = message.ephemeral(first.ephemeral);
    }
    if let Some(attachment) = first.attachment {
        message = message.add_file(CreateAttachment::bytes(attachment.bytes, attachment.file_name));
    }
    let response = if update {
        CreateInteractionResponse::UpdateMessage(message)
    } else {
        CreateInteractionResponse::Message(message)
    };
    (response, parts)
}

/// A reply as one or more Discord messages under the length limit; buttons
/// on the last, what the adapter adds worded in `language`. `ephemeral`
/// applies to private replies in servers.
pub(super) fn messages_of(reply: &Reply, ephemeral: bool, language: Language) -> Vec<OutgoingMessage> {
    let text = render::text(reply, language);
    let mut parts: Vec<OutgoingMessage> = adapter::split_text(&text, render::MAX_MESSAGE_CHARS)
        .into_iter()
        .map(|content| OutgoingMessage {
            content,
            ephemeral: ephemeral && reply.visibility == Visibility::Private,
            ..OutgoingMessage::default()
        })
        .collect();
    let last = parts.last_mut().expect("split_text returns at least one part");
    last.components = render::components(reply, language);
    last.attachment = reply.attachment.clone();
    if let Some(summary) = &reply.summary {
        // The embed says it all; the plain text is for platforms without one.
        last.content = String::new();
        last.embeds = vec![render::summary_embed(summary, language)];
    }
    parts
}
