//! Pacing connections to Discord's gateway. Discord allows 1,000 IDENTIFYs a
//! day per bot; past that it ends every session and resets the token. A
//! process restarting in a loop would identify each time, so every attempt is
//! recorded in the database, and each new one waits longer the more attempts
//! the last hour saw.

use std::time::Duration;

use chrono::Utc;
use tracing::warn;

use crate::storage::Storage;

/// Attempts in an hour that need no wait: a deploy or two, a crash.
const FREE_ATTEMPTS_PER_HOUR: u64 = 3;
/// The wait after the free attempts; it doubles with each further one.
const FIRST_WAIT: Duration = Duration::from_secs(10);
/// The longest wait between attempts.
const LONGEST_WAIT: Duration = Duration::from_secs(15 * 60);
/// Far below Discord's 1,000 a day: reaching it means something is wrong,
/// and every further attempt waits the longest.
const DAILY_CEILING: u64 = 300;
/// What to assume when the database cannot say.
const WAIT_WHEN_UNKNOWN: Duration = Duration::from_secs(30);

/// How long to wait before the next attempt, given the attempts already
/// made in the last hour and the last day.
pub fn wait_before_connecting(attempts_last_hour: u64, attempts_last_day: u64) -> Duration {
    if attempts_last_day >= DAILY_CEILING {
        return LONGEST_WAIT;
    }
    match attempts_last_hour.checked_sub(FREE_ATTEMPTS_PER_HOUR) {
        None | Some(0) => Duration::ZERO,
        Some(beyond) => {
            let doublings = (beyond - 1).min(16) as u32;
            FIRST_WAIT
                .saturating_mul(2u32.saturating_pow(doublings))
                .min(LONGEST_WAIT)
        }
    }
}

/// The wait before connecting now, from the recorded attempts.
pub async fn wait_now(storage: &Storage, bot: &str) -> Duration {
    let now = Utc::now();
    let counts = async {
        let hour = storage
            .connection_attempts_since(bot, now - chrono::Duration::hours(1))
            .await?;
        let day = storage
            .connection_attempts_since(bot, now - chrono::Duration::days(1))
            .await?;
        Ok::<_, crate::storage::StorageError>((hour, day))
    };
    match counts.await {
        Ok((hour, day)) => wait_before_connecting(hour, day),
        Err(error) => {
            warn!(%error, "could not read earlier connection attempts; pausing to be safe");
            WAIT_WHEN_UNKNOWN
        }
    }
}

/// Records an attempt about to be made.
pub async fn record(storage: &Storage, bot: &str) {
    let now = Utc::now();
    if let Err(error) = storage
        .record_connection_attempt(bot, now, now - chrono::Duration::days(2))
        .await
    {
        warn!(%error, "could not record a connection attempt");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_few_attempts_in_an_hour_do_not_wait() {
        for attempts in 0..=3 {
            assert_eq!(wait_before_connecting(attempts, attempts), Duration::ZERO);
        }
    }

    #[test]
    fn later_attempts_wait_longer_and_longer_up_to_a_ceiling() {
        assert_eq!(wait_before_connecting(4, 4), Duration::from_secs(10));
        assert_eq!(wait_before_connecting(5, 5), Duration::from_secs(20));
        assert_eq!(wait_before_connecting(6, 6), Duration::from_secs(40));
        assert_eq!(wait_before_connecting(20, 20), LONGEST_WAIT);
        assert_eq!(wait_before_connecting(1000, 1000), LONGEST_WAIT);
    }

    #[test]
    fn a_crash_loop_stays_far_below_the_daily_identify_allowance() {
        // Simulate a process that fails the moment it connects, for a day.
        let mut attempts: Vec<Duration> = Vec::new();
        let mut now = Duration::ZERO;
        let day = Duration::from_secs(24 * 3600);
        while now < day {
            let hour_ago = now.saturating_sub(Duration::from_secs(3600));
            let last_hour = attempts.iter().filter(|t| **t >= hour_ago).count() as u64;
            now += wait_before_connecting(last_hour, attempts.len() as u64) + Duration::from_secs(1);
            attempts.push(now);
        }
        assert!(attempts.len() < 300, "{} identifies in a day", attempts.len());
    }

    #[test]
    fn reaching_the_daily_ceiling_waits_the_longest() {
        assert_eq!(wait_before_connecting(0, DAILY_CEILING), LONGEST_WAIT);
    }
}
