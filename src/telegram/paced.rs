//! Every Telegram call that counts against its limits (a send of any
//! kind, an edit, a document) goes through here: it waits for its turn in
//! the bot's one [`Pace`], and a 429 Telegram still answers is waited out
//! and the call sent again, for a bounded time, never dropped.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::domain::Platform;
use crate::metrics;
use crate::pace::{Destination, Pace, Priority};
use teloxide::RequestError;
use teloxide::types::ChatId;

/// How long a call keeps being tried after 429s and failed connections
/// before it is given up (and logged with its cause by the caller).
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(120);

/// The most the whole bot pauses after a 429: Telegram does not say
/// whether the limit was the chat's or the bot's, so the chat waits the
/// whole `retry_after` and everything else a second, which clears the
/// bot's own window if it was that.
const PAUSE_EVERYTHING_AT_MOST: Duration = Duration::from_secs(1);

/// The longest wait between tries after a failed connection.
const LONGEST_BACKOFF: Duration = Duration::from_secs(8);

/// The pace's view of a Telegram chat: private chats have positive ids,
/// groups and channels negative ones.
pub fn destination(chat: ChatId) -> Destination {
    if chat.0 < 0 {
        Destination::Group(chat.0)
    } else {
        Destination::Private(chat.0)
    }
}

/// Makes a call to `chat` in its turn at `priority`: `call` makes a fresh
/// request each time it is tried. A 429 is waited out and the call tried
/// again, as is a connection that could not be made (nothing reached
/// Telegram); anything else is the caller's, as is a call still failing
/// after [`GIVE_UP_AFTER`].
pub async fn paced<T, F, Fut>(pace: &Pace, chat: ChatId, priority: Priority, mut call: F) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RequestError>>,
{
    let started = Instant::now();
    let mut failed_connections = 0;
    loop {
        let turn = pace.turn(destination(chat), priority).await;
        let answer = call().await;
        drop(turn);
        // How long until the call may go again, and whether this task
        // sleeps it (after a 429 the pace holds the call back itself).
        let (wait, sleep) = match &answer {
            Err(RequestError::RetryAfter(after)) => {
                metrics::rate_limited(Platform::Telegram);
                let wait = after.duration();
                pace.hold(destination(chat), wait);
                pace.pause(wait.min(PAUSE_EVERYTHING_AT_MOST));
                (wait, false)
            }
            Err(RequestError::Network(error)) if error.is_connect() => {
                failed_connections += 1;
                let backoff = Duration::from_secs(1 << failed_connections.min(3)).min(LONGEST_BACKOFF);
                (backoff, true)
            }
            _ => return answer,
        };
        if started.elapsed() + wait > GIVE_UP_AFTER {
            return answer;
        }
        if sleep {
            tokio::time::sleep(wait).await;
        }
    }
}
