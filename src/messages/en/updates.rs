//! The English of updates to signers (see [`crate::messages::UpdateMessage`]).

use std::fmt::{self, Formatter};

use super::words::{Counted, Moment, Thousands, Wait, platform_name};
use crate::domain::Platform;
use crate::messages::UpdateMessage;
use crate::storage::{DeliveryCounts, StoredUpdate, UpdateState};

/// Where updates reach someone who signed on `platform`.
fn sent_where(platform: Platform) -> &'static str {
    match platform {
        Platform::Telegram => "here, in this Telegram chat",
        Platform::Discord => "as a Discord direct message from this bot",
        Platform::Console => "nowhere: the console cannot receive them",
    }
}

pub(super) fn write_update(message: &UpdateMessage<'_>, f: &mut Formatter<'_>) -> fmt::Result {
    use UpdateMessage as U;
    match *message {
        U::Ask { platform } => write!(
            f,
            "Would you like updates about this campaign? They are sent {}, at most a few times (for example when the petition is handed in), and you can stop them at any time by sending stop. This is optional and separate from your signature. (yes or no)",
            sent_where(platform)
        ),
        U::NoneAtTheConsole => f.write_str(
            "Updates about the campaign are sent in Telegram or Discord, so none can reach you at this console: you won't get any.",
        ),
        U::Stopped { signed: true } => {
            f.write_str("Done: you will get no more updates from us. To have them again, send updates on.")
        }
        U::Stopped { signed: false } => {
            f.write_str("You haven't signed, so we send you no updates. Nothing to stop.")
        }
        U::Started { title, platform } => write!(
            f,
            "You will get updates about \"{title}\" {}. Send stop at any time to stop them.",
            sent_where(platform)
        ),
        U::StartNeedsSignature { title } => write!(
            f,
            "Updates go to those who signed \"{title}\". Send sign to sign first; you'll be asked about updates as you do."
        ),
        U::StartAtTheConsole => f.write_str(
            "Updates are sent in Telegram or Discord; nothing can reach you at this console.",
        ),
        U::ToSigner { title, text } => write!(
            f,
            "Update from \"{title}\":\n\n{text}\n\n—\nYou get this because you asked for updates when you signed. Send stop to stop them."
        ),
        U::Choice {
            opted_in,
            platform,
            wording,
        } => {
            let answer = match (opted_in, wording) {
                (false, _) => "no",
                (true, 1) => "yes (you were asked about \"occasional email updates\"; they are sent in the chat where you signed)",
                (true, _) => "yes",
            };
            write!(f, "Updates: {answer}")?;
            if opted_in {
                write!(f, ", sent {}; send stop to stop them", sent_where(platform))?;
            }
            write!(f, " (question wording version {wording})")
        }
        U::Compose { max_chars } => write!(
            f,
            "Write the update as your next message: up to {} characters, on several lines if you like. It goes to every signer who asked for updates. You will see exactly how it looks, and how many it reaches, before anything is sent. Send cancel to stop.",
            Thousands(max_chars as u64)
        ),
        U::Empty => f.write_str("That update is empty. Write what you want to tell signers, then send it."),
        U::TooLong { length, max_chars } => write!(
            f,
            "That update is {} characters as signers would see it; it can be at most {}. Please shorten it and send it again, or send cancel.",
            Thousands(length as u64),
            Thousands(max_chars as u64)
        ),
        U::NoRecipients => f.write_str(
            "No signer has asked for updates yet, so there is nobody to send one to. Nothing was sent.",
        ),
        U::Preview { rendered, reach } => {
            write!(f, "This is exactly how signers will see it:\n\n{rendered}\n\n")?;
            let total: u64 = reach.iter().map(|(_, count)| count).sum();
            let parts: Vec<String> = reach
                .iter()
                .map(|(platform, count)| format!("{} on {}", Thousands(*count), platform_name(*platform)))
                .collect();
            write!(
                f,
                "It will reach {} ({}). Send it now? (yes or no)",
                Counted(total, "signer"),
                parts.join(", ")
            )
        }
        U::Queued { id, recipients } => write!(
            f,
            "Update #{id} is on its way to {}. Its progress is shown here; send cancel update to stop it.",
            Counted(recipients, "signer")
        ),
        U::QueuedForTheBots { id, recipients } => write!(
            f,
            "Update #{id} is queued for {}. The running bots send it (start them with `petition run` if they are not running); `petition updates` shows its progress.",
            Counted(recipients, "signer")
        ),
        U::Discarded => f.write_str("The update was not sent."),
        U::Progress { id, counts, left } => {
            write!(f, "Sending update #{id}: ")?;
            write_counts(&counts, f)?;
            write!(f, ", {} to go", Thousands(counts.remaining()))?;
            match left {
                Some(left) if counts.remaining() > 0 => write!(f, " (about {} left).", Wait(left)),
                _ => f.write_str("."),
            }
        }
        U::Summary { update } => write_summary(update, f),
        U::FormTitle => f.write_str("Update to signers"),
        U::NothingToCancel => f.write_str("No update is being sent, so there is nothing to cancel."),
        U::List { title, updates: [] } => {
            write!(f, "No updates have been sent about \"{title}\" yet. Send update to write one.")
        }
        U::List { title, updates } => {
            write!(f, "Updates about \"{title}\", newest first:")?;
            for update in updates {
                write!(f, "\n\n#{} on {}, ", update.id, Moment(update.created_at))?;
                f.write_str(match update.state {
                    UpdateState::Sending => "sending",
                    UpdateState::Finished => "finished",
                    UpdateState::Cancelled => "cancelled",
                })?;
                f.write_str(": ")?;
                write_counts(&update.counts, f)?;
                if update.counts.remaining() > 0 {
                    write!(f, ", {} to go", Thousands(update.counts.remaining()))?;
                }
                write!(f, "\n{}", first_line(&update.text))?;
            }
            Ok(())
        }
    }
}

fn write_counts(counts: &DeliveryCounts, f: &mut Formatter<'_>) -> fmt::Result {
    write!(f, "{} sent", Thousands(counts.sent))?;
    for (count, what) in [
        (counts.unreachable, "unreachable"),
        (counts.unknown, "unknown"),
        (counts.failed, "failed"),
        (counts.cancelled, "not sent"),
    ] {
        if count > 0 {
            write!(f, ", {} {what}", Thousands(count))?;
        }
    }
    Ok(())
}

fn write_summary(update: &StoredUpdate, f: &mut Formatter<'_>) -> fmt::Result {
    let counts = &update.counts;
    let how = match update.state {
        UpdateState::Cancelled => "was cancelled",
        UpdateState::Finished | UpdateState::Sending => "is finished",
    };
    write!(f, "Update #{} {how}: ", update.id)?;
    write_counts(counts, f)?;
    f.write_str(".")?;
    if counts.unreachable > 0 {
        write!(
            f,
            "\n{} blocked the bot or refuse direct messages; they are not tried again.",
            Counted(counts.unreachable, "signer")
        )?;
    }
    if counts.unknown > 0 {
        write!(
            f,
            "\n{} were being sent when the bot stopped: they may or may not have arrived, and were not sent again.",
            Thousands(counts.unknown)
        )?;
    }
    if counts.failed > 0 {
        write!(
            f,
            "\n{} could not be delivered after several tries.",
            Thousands(counts.failed)
        )?;
    }
    Ok(())
}

/// The start of an update, to recognise it in a list.
fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    match line.char_indices().nth(80) {
        Some((end, _)) => format!("{}…", &line[..end]),
        None => line.to_owned(),
    }
}
