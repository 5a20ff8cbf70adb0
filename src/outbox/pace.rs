//! How fast the outbox may send on a platform: at most `per_second`
//! messages in any window of a second, counting the replies the engine
//! has just handed out, which go first.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::conversation::REPLY_WINDOW;
use crate::domain::Platform;

/// Added to the window, so that the platform, which sees each message a
/// little after it was paced, never counts more than the limit in a second.
const MARGIN: Duration = Duration::from_millis(25);

/// The outbox's turns on one platform.
pub struct Pace {
    platform: Platform,
    per_second: u32,
    /// When the outbox's own recent messages were let go, oldest first.
    sent: VecDeque<Instant>,
    /// Replies, which use up the same allowance.
    replies: Option<Arc<dyn RepliesSeen>>,
}

/// Where a pace learns how many replies were just sent.
pub trait RepliesSeen: Send + Sync {
    /// Replies on `platform` in the last second.
    fn recent(&self, platform: Platform) -> u32;
}

impl Pace {
    /// At most `per_second` messages on `platform` in any second, less the
    /// replies `replies` has seen.
    pub fn new(platform: Platform, per_second: u32, replies: Option<Arc<dyn RepliesSeen>>) -> Self {
        Self {
            platform,
            per_second: per_second.max(1),
            sent: VecDeque::new(),
            replies,
        }
    }

    /// Waits until one more message may go, and counts it as gone.
    pub async fn turn(&mut self) {
        loop {
            let now = Instant::now();
            let window = REPLY_WINDOW + MARGIN;
            while self.sent.front().is_some_and(|at| now.duration_since(*at) >= window) {
                self.sent.pop_front();
            }
            let replies = self.replies.as_ref().map_or(0, |seen| seen.recent(self.platform));
            if (self.sent.len() as u32).saturating_add(replies) < self.per_second {
                self.sent.push_back(now);
                return;
            }
            // The next turn comes when the oldest message leaves the window,
            // or, if replies took the allowance, a moment later.
            let wait = match self.sent.front() {
                Some(oldest) if self.sent.len() as u32 >= self.per_second => {
                    (*oldest + window).saturating_duration_since(now)
                }
                _ => Duration::from_millis(20),
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
            pace.turn().await;
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
    async fn replies_take_their_share_of_the_limit_first() {
        let times = turns(Pace::new(Platform::Telegram, 20, Some(Arc::new(Replies(15)))), 10).await;
        assert_eq!(most_in_a_second(&times), 5, "{times:?}");
    }
}
