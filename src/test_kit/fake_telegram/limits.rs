//! Telegram's rate limits, as the fake enforces them: at most 30 messages
//! in any second for the whole bot (1,000 for paid broadcasts), at most one
//! in any second in one chat, and at most twenty in any minute in a group.
//! Sends of any kind, edits and deletes count alike (the safe reading of
//! Telegram's rules); a call over a limit is answered 429 with the whole
//! seconds to wait in `retry_after`, as Telegram answers, and is not
//! counted.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// The methods that count against the limits.
pub const COUNTED: &[&str] = &[
    "sendMessage",
    "sendDocument",
    "sendPhoto",
    "copyMessage",
    "forwardMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "editMessageCaption",
    "deleteMessage",
];

/// Messages a second for the whole bot.
pub const PER_SECOND: usize = 30;
/// Paid broadcasts a second.
const PAID_PER_SECOND: usize = 1_000;
/// Messages a minute in a group.
const GROUP_PER_MINUTE: usize = 20;

const SECOND: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);

/// What was let through lately.
#[derive(Default)]
pub(super) struct Enforced {
    overall: VecDeque<Instant>,
    paid: VecDeque<Instant>,
    chats: HashMap<i64, VecDeque<Instant>>,
}

/// How long from `at` until fewer than `most` of `times` fall in the
/// `span` before it, if that many do now.
fn over(times: &VecDeque<Instant>, at: Instant, span: Duration, most: usize) -> Option<Duration> {
    let within: Vec<&Instant> = times.iter().filter(|t| at.duration_since(**t) < span).collect();
    if within.len() < most {
        return None;
    }
    let leaves = *within[within.len() - most] + span;
    Some(leaves.saturating_duration_since(at))
}

impl Enforced {
    /// Lets a call of `method` to `chat` through at `at`, counting it, or
    /// says how long to wait. Methods that do not count always go through.
    pub(super) fn admit(&mut self, method: &str, chat: Option<i64>, paid: bool, at: Instant) -> Result<(), Duration> {
        if !COUNTED.contains(&method) {
            return Ok(());
        }
        let (overall, most) = if paid {
            (&self.paid, PAID_PER_SECOND)
        } else {
            (&self.overall, PER_SECOND)
        };
        let mut wait = over(overall, at, SECOND, most);
        if let Some(chat) = chat
            && let Some(times) = self.chats.get(&chat)
        {
            let rules: &[(Duration, usize)] = if chat < 0 {
                &[(SECOND, 1), (MINUTE, GROUP_PER_MINUTE)]
            } else {
                &[(SECOND, 1)]
            };
            for (span, most) in rules {
                if let Some(chat_wait) = over(times, at, *span, *most) {
                    wait = Some(wait.map_or(chat_wait, |w| w.max(chat_wait)));
                }
            }
        }
        if let Some(wait) = wait {
            return Err(wait);
        }
        let overall = if paid { &mut self.paid } else { &mut self.overall };
        overall.push_back(at);
        while overall.front().is_some_and(|t| at.duration_since(*t) >= SECOND) {
            overall.pop_front();
        }
        if let Some(chat) = chat {
            let times = self.chats.entry(chat).or_default();
            times.push_back(at);
            while times.front().is_some_and(|t| at.duration_since(*t) >= MINUTE) {
                times.pop_front();
            }
        }
        Ok(())
    }
}

/// The most of `times` (in order) that fall within one second of each other.
pub fn most_in_one_second(times: &[Instant]) -> usize {
    let mut most = 0;
    let mut first = 0;
    for (last, at) in times.iter().enumerate() {
        while at.duration_since(times[first]) >= SECOND {
            first += 1;
        }
        most = most.max(last - first + 1);
    }
    most
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_a_second_overall_and_one_a_second_in_a_chat() {
        let start = Instant::now();
        let mut enforced = Enforced::default();
        for chat in 0..30 {
            assert!(enforced.admit("sendMessage", Some(chat), false, start).is_ok());
        }
        let refused = enforced.admit("editMessageText", Some(99), false, start);
        assert_eq!(refused, Err(SECOND));
        assert!(enforced.admit("answerCallbackQuery", Some(99), false, start).is_ok());
        let later = start + SECOND;
        assert!(enforced.admit("sendMessage", Some(5), false, later).is_ok());
        assert!(
            enforced
                .admit("sendMessage", Some(5), false, later + Duration::from_millis(500))
                .is_err()
        );
    }

    #[test]
    fn twenty_a_minute_in_a_group() {
        let start = Instant::now();
        let mut enforced = Enforced::default();
        for n in 0..20 {
            assert!(
                enforced
                    .admit("sendMessage", Some(-1), false, start + SECOND * n)
                    .is_ok()
            );
        }
        assert!(
            enforced
                .admit("sendMessage", Some(-1), false, start + SECOND * 21)
                .is_err()
        );
        assert!(enforced.admit("sendMessage", Some(-1), false, start + MINUTE).is_ok());
    }

    #[test]
    fn the_most_in_one_second() {
        let start = Instant::now();
        let times: Vec<_> = [0, 100, 999, 1_000, 1_500, 1_999]
            .iter()
            .map(|ms| start + Duration::from_millis(*ms))
            .collect();
        assert_eq!(most_in_one_second(&times), 3);
    }
}
