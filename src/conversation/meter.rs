//! How many messages the engine has just handed adapters to send, per
//! platform (the Mini App's answers, which are not chat messages, are not
//! counted). When they go is the platform's pace's to decide
//! ([`crate::pace`]), which puts a signer waiting for an answer before a
//! broadcast.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::domain::Platform;

/// The span over which a platform's limit counts messages.
pub const REPLY_WINDOW: Duration = Duration::from_secs(1);

/// How long a reply is counted after the engine hands it out: the second,
/// and the moment the adapter takes to send it, so that the platform never
/// sees a reply and a full second of updates together.
const COUNTED_FOR: Duration = Duration::from_millis(1_250);

/// Replies handed out in the last [`REPLY_WINDOW`], per platform that
/// updates go to.
#[derive(Default)]
pub struct ReplyMeter {
    /// (when, how many) per platform: Telegram first, then Discord. A
    /// plain mutex held for a push or a few pops, never across an await.
    recent: [Mutex<VecDeque<(Instant, u32)>>; 2],
}

impl ReplyMeter {
    fn slot(&self, platform: Platform) -> Option<&Mutex<VecDeque<(Instant, u32)>>> {
        match platform {
            Platform::Telegram => Some(&self.recent[0]),
            Platform::Discord => Some(&self.recent[1]),
            Platform::Console => None,
        }
    }

    /// Notes `count` replies about to be sent on `platform`.
    pub fn record(&self, platform: Platform, count: usize) {
        let (Some(slot), Ok(count)) = (self.slot(platform), u32::try_from(count)) else {
            return;
        };
        if count == 0 {
            return;
        }
        let now = Instant::now();
        let mut recent = slot.lock().expect("reply meter lock");
        forget_before(&mut recent, now);
        recent.push_back((now, count));
    }

    /// Replies handed out on `platform` lately: in the last [`REPLY_WINDOW`]
    /// and the moment it takes to send them.
    pub fn recent(&self, platform: Platform) -> u32 {
        let Some(slot) = self.slot(platform) else {
            return 0;
        };
        let mut recent = slot.lock().expect("reply meter lock");
        forget_before(&mut recent, Instant::now());
        recent.iter().map(|(_, count)| count).sum()
    }
}

fn forget_before(recent: &mut VecDeque<(Instant, u32)>, now: Instant) {
    while recent
        .front()
        .is_some_and(|(at, _)| now.duration_since(*at) >= COUNTED_FOR)
    {
        recent.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_counted_per_platform_and_the_console_not_at_all() {
        let meter = ReplyMeter::default();
        meter.record(Platform::Telegram, 2);
        meter.record(Platform::Telegram, 1);
        meter.record(Platform::Discord, 4);
        meter.record(Platform::Console, 9);
        assert_eq!(meter.recent(Platform::Telegram), 3);
        assert_eq!(meter.recent(Platform::Discord), 4);
        assert_eq!(meter.recent(Platform::Console), 0);
    }
}
