//! The progress message and milestone announcements in each announcement
//! chat, kept the same way on every platform: a loop that looks for
//! milestones, then gives each chat whose turn is due at most one message,
//! an announcement or a post or edit of its progress message.
//!
//! Every message in an announcement chat takes the chat's turn, claimed in
//! the database, and the next turn is due a campaign's
//! `progress_interval_seconds` (at least three) after the message was
//! made: so one process, and one message, per interval per chat, however
//! many processes share the database, which keeps within Telegram's twenty
//! messages a minute in a group. Turns run on the wall clock, whatever
//! clock the engine is given: the limits they keep are the platforms'.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use tracing::{info, warn};

use crate::campaign::Campaign;
use crate::conversation::{Engine, Reply};
use crate::domain::Platform;
use crate::storage::{AnnouncementState, ProgressMessage, StorageError};

/// How often chats are looked at: turns fall due on the interval, and are
/// taken at the first look after.
pub const LOOK_EVERY: Duration = Duration::from_secs(1);

/// How long a turn is held while its message is being made; a process
/// that goes away mid-turn leaves the chat quiet this long at most.
const TURN_LEASE: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// How long an announcement may stay "posting" before it is given up as
/// unknown: longer than any post takes, so only a process that went away
/// leaves one behind.
const POSTING_FOR_AT_MOST: chrono::TimeDelta = chrono::TimeDelta::seconds(120);

/// Why an edit failed.
pub enum EditFailure<E> {
    /// The message is gone (deleted, or too old to edit): a new one is
    /// posted at the chat's next turn.
    Gone,
    /// Anything else; tried again at the next turn.
    Other(E),
}

/// Where a platform posts and edits in announcement chats.
#[async_trait]
pub trait ProgressPoster: Send + Sync {
    /// What a failure is logged as: no token, no personal data (these
    /// messages carry none).
    type Error: std::fmt::Display + Send;

    /// The platform whose chats these are.
    fn platform(&self) -> Platform;

    /// Posts `reply` in `chat`; the new message's id.
    async fn post(&self, chat: &str, reply: &Reply) -> Result<String, Self::Error>;

    /// Replaces the message `message_id` in `chat` with `reply`.
    async fn edit(&self, chat: &str, message_id: &str, reply: &Reply) -> Result<(), EditFailure<Self::Error>>;
}

/// Keeps the progress messages and announcements of `poster`'s platform
/// until the task is dropped.
pub async fn keep_progress(poster: impl ProgressPoster, engine: Arc<Engine>) {
    let mut every = tokio::time::interval(LOOK_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(error) = engine.check_milestones().await {
            warn!(%error, "could not look for milestones");
        }
        if let Err(error) = take_due_turns(&poster, &engine).await {
            warn!(%error, platform = %poster.platform(), "could not keep the progress messages");
        }
    }
}

/// One look at every chat of the platform.
pub async fn take_due_turns(poster: &impl ProgressPoster, engine: &Engine) -> Result<(), StorageError> {
    let storage = engine.storage();
    let platform = poster.platform();
    let now = Utc::now();
    let given_up = storage
        .give_up_announcements_posting_since(platform, now - POSTING_FOR_AT_MOST, now)
        .await?;
    if given_up > 0 {
        warn!(given_up, %platform, "milestone announcements left half-posted are not posted again");
    }
    for progress in storage.progress_messages(platform).await? {
        let Some(campaign) = engine.campaigns().get(&progress.campaign) else {
            continue;
        };
        if progress.next_turn_at <= now {
            take_turn(poster, engine, campaign, &progress).await?;
        }
    }
    Ok(())
}

/// Makes the one message a chat needs, if it needs one and the turn can be
/// taken.
async fn take_turn(
    poster: &impl ProgressPoster,
    engine: &Engine,
    campaign: &Campaign,
    progress: &ProgressMessage,
) -> Result<(), StorageError> {
    let storage = engine.storage();
    let (slug, chat) = (&progress.campaign, &progress.chat);
    let announcement = storage.pending_announcement(slug, chat).await?;
    let Some(now_shows) = engine.progress_now(slug).await? else {
        return Ok(());
    };
    let up_to_date = progress.message_id.is_some() && progress.shown == Some((now_shows.total, now_shows.goal));
    if announcement.is_none() && up_to_date {
        return Ok(());
    }
    let now = Utc::now();
    if !storage.take_turn(slug, chat, now, now + TURN_LEASE).await? {
        return Ok(()); // another process took it
    }
    if let Some(announcement) = announcement {
        let moved = |from, to| storage.move_announcement(slug, announcement.signatures, chat, from, to, Utc::now());
        if moved(AnnouncementState::Pending, AnnouncementState::Posting).await? {
            let text = engine.milestone_text(campaign, announcement);
            let outcome = match poster.post(&chat.chat, &Reply::public(text)).await {
                Ok(_) => AnnouncementState::Posted,
                Err(error) => {
                    warn!(%error, platform = %chat.platform, "could not announce a milestone");
                    AnnouncementState::Failed
                }
            };
            moved(AnnouncementState::Posting, outcome).await?;
        }
    } else {
        let shown = match &progress.message_id {
            Some(id) => match poster.edit(&chat.chat, id, &now_shows.reply).await {
                Ok(()) => Some(id.clone()),
                Err(EditFailure::Gone) => {
                    // At the next turn, not now: this turn had its request.
                    info!(platform = %chat.platform, "the progress message is gone; a new one follows");
                    storage.recreate_progress_message(slug, chat).await?;
                    None
                }
                Err(EditFailure::Other(error)) => {
                    warn!(%error, platform = %chat.platform, "could not edit the progress message");
                    None
                }
            },
            None => post(poster, &now_shows.reply, &chat.chat).await,
        };
        if let Some(id) = shown {
            storage
                .progress_shown(slug, chat, &id, now_shows.total, now_shows.goal)
                .await?;
        }
    }
    // From when the message was made, not when the turn was taken: a slow
    // request must not bring the next one closer.
    storage
        .end_turn(slug, chat, Utc::now() + campaign.progress_interval)
        .await
}

async fn post<P: ProgressPoster>(poster: &P, reply: &Reply, chat: &str) -> Option<String> {
    match poster.post(chat, reply).await {
        Ok(id) => Some(id),
        Err(error) => {
            warn!(%error, platform = %poster.platform(), "could not post the progress message");
            None
        }
    }
}
