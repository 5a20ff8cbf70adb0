//! How fast the outbox may send on a platform: at most `per_second`
//! messages in any window of a second, counting the replies the engine
//! has just handed out, which go first.
//!
//! A message counts from the moment it is let go until a second after its
//! answer came back. The platform sees it somewhere in between, so however
//! long the network takes, no second at the platform holds more than the
//! limit.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::conversation::REPLY_WINDOW;
use crate::domain::Platform;

/// Added to the window for the platform's clock and ours.
const MARGIN: Duration = Duration::from_millis(5);

/// Slots left for replies where replies share the limit, even when none was
/// seen lately: a reply is never held back, and one handed out while the
/// outbox had the whole allowance in use would make one message too many
/// at the platform (all the more when the adapter is slow to send it and
/// the reply's count has run out before the platform sees it).
const KEPT_FOR_REPLIES: u32 = 1;

/// The outbox's turns on one platform.
pub struct Pace {
    platform: Platform,
    per_second: u32,
    /// Messages in flight, and when recent ones were answered: shared with
    /// the [`Turn`]s, which finish in the tasks that send.
    counted: Arc<Mutex<Counted>>,
    /// Replies, which use up the same allowance.
    replies: Option<Arc<dyn RepliesSeen>>,
}

#[derive(Default)]
struct Counted {
    in_flight: u32,
    /// When recent messages were answered, oldest first.
    answered: VecDeque<Instant>,
}

/// One message's turn: it counts as in flight until this is dropped, then
/// for a second more.
pub struct Turn(Arc<Mutex<Counted>>);

impl Drop for Turn {
    fn drop(&mut self) {
        let mut counted = self.0.lock().expect("pace lock");
        counted.in_flight -= 1;
        counted.answered.push_back(Instant::now());
    }
}

/// Where a pace learns how many replies were just sent.
pub trait RepliesSeen: Send + Sync {
    /// Replies on `platform` in the last second.
    fn recent(&self, platform: Platform) -> u32;
}

impl Pace {
    /// At most `per_second` messages on `platform` in any second, less the
    /// replies `replies` has seen (and at least one slot kept for them).
    pub fn new(platform: Platform, per_second: u32, replies: Option<Arc<dyn RepliesSeen>>) -> Self {
        Self {
            platform,
            per_second: per_second.max(1),
            counted: Arc::default(),
            replies,
        }
    }

    /// [`KEPT_FOR_REPLIES`], but never the whole of a limit of one a second.
    fn kept_for_replies(&self) -> u32 {
        KEPT_FOR_REPLIES.min(self.per_second - 1)
    }

    /// Waits until one more message may go; hold the turn until its answer
    /// comes back.
    pub async fn turn(&mut self) -> Turn {
        loop {
            let wait = {
                let now = Instant::now();
                let window = REPLY_WINDOW + MARGIN;
                let mut counted = self.counted.lock().expect("pace lock");
                while counted
                    .answered
                    .front()
                    .is_some_and(|at| now.duration_since(*at) >= window)
                {
                    counted.answered.pop_front();
                }
                let replies = self
                    .replies
                    .as_ref()
                    .map_or(0, |seen| seen.recent(self.platform).max(self.kept_for_replies()));
                let used = (counted.answered.len() as u32)
                    .saturating_add(counted.in_flight)
                    .saturating_add(replies);
                if used < self.per_second {
                    counted.in_flight += 1;
                    return Turn(self.counted.clone());
                }
                // The next turn comes when the oldest answer leaves the
                // window, or, while messages are in flight or replies took
                // the allowance, a moment later.
                match counted.answered.front() {
                    Some(oldest) if counted.answered.len() as u32 >= self.per_second => {
                        (*oldest + window).saturating_duration_since(now)
                    }
                    _ => Duration::from_millis(5),
                }
            };
            tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Replies(u32);

    impl RepliesSeen for Replies {
        fn recent(&self, _platform: Platform) -> u32 {
            self.0
        }
    }

    /// How many of `times` fall within a second of each other, at most.
    fn most_in_a_second(times: &[Duration]) -> usize {
        (0..times.len())
            .map(|i| {
                times[i..]
                    .iter()
                    .take_while(|t| **t - times[i] < Duration::from_secs(1))
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    async fn turns(mut pace: Pace, count: usize) -> Vec<Duration> {
        let start = Instant::now();
        let mut times = Vec::new();
        for _ in 0..count {
            drop(pace.turn().await);
            times.push(start.elapsed());
        }
        times
    }

    #[tokio::test]
    async fn no_more_than_the_limit_go_in_any_second() {
        let times = turns(Pace::new(Platform::Telegram, 20, None), 30).await;
        assert_eq!(most_in_a_second(&times), 20, "{times:?}");
    }

    #[tokio::test]
    async fn a_slot_is_kept_for_a_reply_when_none_was_seen() {
        let times = turns(Pace::new(Platform::Telegram, 20, Some(Arc::new(Replies(0)))), 30).await;
        assert_eq!(most_in_a_second(&times), 19, "{times:?}");
    }

    #[tokio::test]
    async fn a_limit_of_one_a_second_is_not_kept_whole_for_replies() {
        let times = turns(Pace::new(Platform::Discord, 1, Some(Arc::new(Replies(0)))), 2).await;
        assert_eq!(times.len(), 2);
        assert_eq!(most_in_a_second(&times), 1, "{times:?}");
    }

    #[tokio::test]
    async fn replies_take_their_share_of_the_limit_first() {
        let times = turns(Pace::new(Platform::Telegram, 20, Some(Arc::new(Replies(15)))), 10).await;
        assert_eq!(most_in_a_second(&times), 5, "{times:?}");
    }
}
