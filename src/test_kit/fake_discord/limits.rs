//! Discord's rate limits, as the fake enforces them: at most 50 requests
//! in any second for the whole bot (interaction callbacks excepted, as
//! Discord excepts them), and a bucket per route of five requests in any
//! five seconds for a channel's messages and for an interaction's webhook.
//! Every answer on a route with a bucket carries the `X-RateLimit-*`
//! headers Discord sends; a request over a limit is answered 429 with
//! `retry_after` in seconds and whether the limit was global, and is not
//! counted.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// Requests a second for the whole bot.
pub const GLOBAL_PER_SECOND: usize = 50;
/// Requests in a route's bucket...
pub const ROUTE_LIMIT: usize = 5;
/// ...in any span this long.
pub const ROUTE_SPAN: Duration = Duration::from_secs(5);

const SECOND: Duration = Duration::from_secs(1);

/// Why a request was refused, and for how long.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Refused {
    pub(super) retry_after: Duration,
    pub(super) global: bool,
}

/// A route's bucket after a request: for the headers.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct BucketState {
    pub(super) key: String,
    pub(super) remaining: usize,
    pub(super) reset_after: Duration,
}

/// What was let through lately.
#[derive(Default)]
pub(super) struct Enforced {
    global: VecDeque<Instant>,
    routes: HashMap<String, VecDeque<Instant>>,
}

fn forget(times: &mut VecDeque<Instant>, at: Instant, span: Duration) {
    while times.front().is_some_and(|t| at.duration_since(*t) >= span) {
        times.pop_front();
    }
}

/// The bucket of a request's route (`segments` after `/api/v10/`), if it
/// has one; whether it counts against the global limit at all.
pub(super) fn route_of(segments: &[&str]) -> (Option<String>, bool) {
    match segments {
        ["interactions", ..] => (None, false),
        ["webhooks", _, token, ..] => (Some(format!("webhook:{token}")), true),
        ["channels", channel, "messages", ..] => (Some(format!("channel:{channel}")), true),
        _ => (None, true),
    }
}

impl Enforced {
    /// Lets a request through at `at`, counting it, or says why not.
    pub(super) fn admit(
        &mut self,
        route: Option<&str>,
        counted: bool,
        at: Instant,
    ) -> Result<Option<BucketState>, Refused> {
        if !counted {
            return Ok(None);
        }
        forget(&mut self.global, at, SECOND);
        if self.global.len() >= GLOBAL_PER_SECOND {
            let leaves = self.global[self.global.len() - GLOBAL_PER_SECOND] + SECOND;
            return Err(Refused {
                retry_after: leaves.saturating_duration_since(at),
                global: true,
            });
        }
        let bucket = match route {
            Some(route) => {
                let times = self.routes.entry(route.to_owned()).or_default();
                forget(times, at, ROUTE_SPAN);
                if times.len() >= ROUTE_LIMIT {
                    let leaves = times[times.len() - ROUTE_LIMIT] + ROUTE_SPAN;
                    return Err(Refused {
                        retry_after: leaves.saturating_duration_since(at),
                        global: false,
                    });
                }
                times.push_back(at);
                Some(BucketState {
                    key: route.to_owned(),
                    remaining: ROUTE_LIMIT - times.len(),
                    reset_after: (times[0] + ROUTE_SPAN).saturating_duration_since(at),
                })
            }
            None => None,
        };
        self.global.push_back(at);
        Ok(bucket)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_on_a_route_in_five_seconds_and_fifty_a_second_overall() {
        let start = Instant::now();
        let mut enforced = Enforced::default();
        for n in 0..5 {
            let bucket = enforced.admit(Some("channel:1"), true, start).unwrap().unwrap();
            assert_eq!(bucket.remaining, 4 - n);
        }
        let refused = enforced.admit(Some("channel:1"), true, start).unwrap_err();
        assert!(!refused.global);
        assert_eq!(refused.retry_after, ROUTE_SPAN);
        for n in 0..45 {
            enforced
                .admit(Some(&format!("channel:{}", n + 2)), true, start)
                .unwrap();
        }
        let refused = enforced.admit(None, true, start).unwrap_err();
        assert!(refused.global);
        assert!(enforced.admit(None, false, start).is_ok(), "callbacks are not counted");
        assert!(enforced.admit(None, true, start + SECOND).is_ok());
    }
}
