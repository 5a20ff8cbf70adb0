//! Abuse defences that live in memory: per-person rate limits (governor),
//! the per-campaign surge ceiling, and the rules that hold a signature for
//! review instead of counting it. A bot never sees IP addresses, so these
//! work on platform identities, email domains, postcode districts and time.
//!
//! Limits are per process. The rule that one person signs once is a
//! database constraint, not a limit.

use std::collections::{HashMap, VecDeque};
use std::num::NonZeroU32;
use std::sync::{Mutex, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use governor::clock::Clock as GovernorClock;
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use std::sync::Arc;

use crate::campaign::LimitSettings;
use crate::clock::Clock;
use crate::domain::{Dimension, Identity};

/// Governor reads time from the engine's clock, so tests move it forward
/// instead of sleeping.
#[derive(Clone)]
pub struct LimiterClock(pub Arc<dyn Clock>);

impl GovernorClock for LimiterClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        let now = self.0.now();
        Duration::from_nanos(now.timestamp_nanos_opt().unwrap_or_default().max(0) as u64)
    }
}

type KeyedLimiter = RateLimiter<Identity, DashMapStateStore<Identity>, LimiterClock, NoOpMiddleware<Duration>>;
type DirectLimiter = RateLimiter<NotKeyed, InMemoryState, LimiterClock, NoOpMiddleware<Duration>>;

/// What to do with an incoming message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageVerdict {
    /// Handle it.
    Allowed,
    /// Over the limit for the first time: say so once, then stay quiet.
    SlowDown {
        /// When the person may continue.
        wait: Duration,
    },
    /// Still over the limit: no reply at all, so a flood of messages never
    /// becomes a flood of replies.
    Ignore,
}

/// One campaign's limiters.
struct CampaignGuards {
    settings: LimitSettings,
    messages: KeyedLimiter,
    /// One "slow down" notice per person per minute.
    notices: KeyedLimiter,
    surge: DirectLimiter,
}

fn per_period(count: u32, period: Duration) -> Quota {
    let count = NonZeroU32::new(count.max(1)).expect("at least one");
    Quota::with_period(period / count.get())
        .expect("a non-zero period")
        .allow_burst(count)
}

impl CampaignGuards {
    fn new(settings: LimitSettings, clock: &LimiterClock) -> Self {
        let burst = NonZeroU32::new(settings.message_burst.max(1)).expect("at least one");
        let messages = per_period(settings.messages_per_minute, Duration::from_secs(60)).allow_burst(burst);
        Self {
            messages: RateLimiter::dashmap_with_clock(messages, clock.clone()),
            notices: RateLimiter::dashmap_with_clock(per_period(1, Duration::from_secs(60)), clock.clone()),
            surge: RateLimiter::direct_with_clock(
                per_period(settings.signatures_per_second, Duration::from_secs(1)),
                clock.clone(),
            ),
            settings,
        }
    }
}

/// Every campaign's limiters, and what they remember.
pub struct Guards {
    campaigns: HashMap<String, CampaignGuards>,
    clock: LimiterClock,
    /// When each person withdrew in the last day, to limit sign-withdraw
    /// cycles. Kept only in memory: a withdrawal erases the signer from the
    /// database, and this must not bring them back. Pruned with the limiters.
    withdrawals: Mutex<HashMap<Identity, VecDeque<DateTime<Utc>>>>,
    /// Velocity alerts in force: (campaign, dimension, value) until when.
    /// Refreshed by the velocity check; read on every signature.
    active_alerts: RwLock<HashMap<(String, Dimension, String), DateTime<Utc>>>,
    /// Messages already counted against their sender when they arrived
    /// ([`Guards::admit`]) and not yet handled, per person, with when the
    /// last arrived: each is let through once when handled instead of being
    /// counted twice. Pruned with the limiters.
    admitted: Mutex<HashMap<Identity, (u32, DateTime<Utc>)>>,
}

impl Guards {
    /// Limiters for these campaigns' settings.
    pub fn new<'a>(campaigns: impl Iterator<Item = (&'a str, &'a LimitSettings)>, clock: Arc<dyn Clock>) -> Self {
        let clock = LimiterClock(clock);
        Self {
            campaigns: campaigns
                .map(|(slug, settings)| (slug.to_owned(), CampaignGuards::new(settings.clone(), &clock)))
                .collect(),
            clock,
            withdrawals: Mutex::new(HashMap::new()),
            active_alerts: RwLock::new(HashMap::new()),
            admitted: Mutex::new(HashMap::new()),
        }
    }

    fn campaign(&self, slug: &str) -> Option<&CampaignGuards> {
        self.campaigns.get(slug)
    }

    /// The campaign's limit settings.
    pub fn settings(&self, slug: &str) -> Option<&LimitSettings> {
        self.campaign(slug).map(|c| &c.settings)
    }

    /// Counts a message or button press against its sender, unless it was
    /// counted when it arrived ([`Guards::admit`]).
    pub fn check_message(&self, campaign: &str, who: &Identity) -> MessageVerdict {
        let mut admitted = self.admitted.lock().expect("admitted lock poisoned");
        if let Some((waiting, _)) = admitted.get_mut(who) {
            *waiting -= 1;
            if *waiting == 0 {
                admitted.remove(who);
            }
            return MessageVerdict::Allowed;
        }
        drop(admitted);
        self.count_message(campaign, who)
    }

    /// Counts a message against its sender as it arrives, before it waits
    /// for its turn to be handled: what is not allowed is never queued.
    /// One allowed here is let through when [`Guards::check_message`] sees it.
    pub fn admit(&self, campaign: &str, who: &Identity) -> MessageVerdict {
        let verdict = self.count_message(campaign, who);
        if verdict == MessageVerdict::Allowed {
            let now = self.clock.0.now();
            let mut admitted = self.admitted.lock().expect("admitted lock poisoned");
            let entry = admitted.entry(who.clone()).or_insert((0, now));
            *entry = (entry.0 + 1, now);
        }
        verdict
    }

    fn count_message(&self, campaign: &str, who: &Identity) -> MessageVerdict {
        let Some(guards) = self.campaign(campaign) else {
            return MessageVerdict::Allowed;
        };
        match guards.messages.check_key(who) {
            Ok(()) => MessageVerdict::Allowed,
            Err(not_until) => match guards.notices.check_key(who) {
                Ok(()) => MessageVerdict::SlowDown {
                    wait: not_until.wait_time_from(self.clock.now()),
                },
                Err(_) => MessageVerdict::Ignore,
            },
        }
    }

    /// Whether someone who withdrew may sign again yet; `Err` holds how
    /// long until they may. (The limit on signing attempts is kept in the
    /// database, so it holds across restarts and processes: see
    /// [`signing_attempts_wait`].)
    pub fn check_resigning(&self, campaign: &str, who: &Identity, now: DateTime<Utc>) -> Result<(), Duration> {
        let Some(guards) = self.campaign(campaign) else {
            return Ok(());
        };
        let day_ago = now - chrono::Duration::days(1);
        let withdrawals = self.withdrawals.lock().expect("withdrawals lock poisoned");
        let recent = withdrawals
            .get(who)
            .map_or(0, |times| times.iter().filter(|t| **t > day_ago).count());
        if recent >= guards.settings.resignings_per_day as usize {
            let oldest = withdrawals[who]
                .iter()
                .filter(|t| **t > day_ago)
                .min()
                .copied()
                .unwrap_or(now);
            let wait = (oldest + chrono::Duration::days(1) - now).to_std().unwrap_or_default();
            return Err(wait);
        }
        Ok(())
    }

    /// Remembers a withdrawal, for the limit on signing again.
    pub fn note_withdrawal(&self, who: &Identity, at: DateTime<Utc>) {
        self.withdrawals
            .lock()
            .expect("withdrawals lock poisoned")
            .entry(who.clone())
            .or_default()
            .push_back(at);
    }

    /// Whether a new signature is above the campaign's per-second ceiling.
    pub fn over_surge_ceiling(&self, campaign: &str) -> bool {
        self.campaign(campaign)
            .is_some_and(|guards| guards.surge.check().is_err())
    }

    /// Puts a velocity alert in force until `until`.
    pub fn activate_alert(&self, campaign: &str, dimension: Dimension, value: &str, until: DateTime<Utc>) {
        self.active_alerts
            .write()
            .expect("alerts lock poisoned")
            .insert((campaign.to_owned(), dimension, value.to_owned()), until);
    }

    /// The dimension of an alert in force for any of these values.
    pub fn alert_in_force(
        &self,
        campaign: &str,
        values: &[(Dimension, &str)],
        now: DateTime<Utc>,
    ) -> Option<Dimension> {
        let alerts = self.active_alerts.read().expect("alerts lock poisoned");
        values.iter().find_map(|(dimension, value)| {
            alerts
                .get(&(campaign.to_owned(), *dimension, (*value).to_owned()))
                .filter(|until| **until > now)
                .map(|_| *dimension)
        })
    }

    /// Drops what no longer matters: limiter entries that are back to full,
    /// withdrawals older than a day, expired alerts. Run on a timer so memory
    /// stays bounded however many people appear.
    pub fn prune(&self, now: DateTime<Utc>) {
        for guards in self.campaigns.values() {
            for limiter in [&guards.messages, &guards.notices] {
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
        }
        let day_ago = now - chrono::Duration::days(1);
        let mut withdrawals = self.withdrawals.lock().expect("withdrawals lock poisoned");
        withdrawals.retain(|_, times| {
            times.retain(|t| *t > day_ago);
            !times.is_empty()
        });
        withdrawals.shrink_to_fit();
        drop(withdrawals);
        let mut alerts = self.active_alerts.write().expect("alerts lock poisoned");
        alerts.retain(|_, until| *until > now);
        drop(alerts);
        // A message admitted and then never handled (dropped as a repeat,
        // say) leaves its pass behind; after a minute it is no longer one.
        let minute_ago = now - chrono::Duration::minutes(1);
        let mut admitted = self.admitted.lock().expect("admitted lock poisoned");
        admitted.retain(|_, (_, last)| *last > minute_ago);
        admitted.shrink_to_fit();
    }

    /// People currently remembered by the limiters, across campaigns.
    pub fn remembered(&self) -> usize {
        let limiters: usize = self
            .campaigns
            .values()
            .map(|g| g.messages.len() + g.notices.len())
            .sum();
        limiters + self.withdrawals.lock().expect("withdrawals lock poisoned").len()
    }
}

/// The time window the limit on signing attempts counts in.
pub const SIGNING_ATTEMPTS_WINDOW: chrono::Duration = chrono::Duration::days(1);

/// Whether one more signing attempt is allowed, given the times of those
/// made in the last [`SIGNING_ATTEMPTS_WINDOW`] (oldest first); `Err` holds
/// how long until the oldest that counts against the limit drops out.
pub fn signing_attempts_wait(
    settings: &LimitSettings,
    attempts: &[DateTime<Utc>],
    now: DateTime<Utc>,
) -> Result<(), Duration> {
    let limit = settings.signing_attempts_per_day.max(1) as usize;
    if attempts.len() < limit {
        return Ok(());
    }
    let frees_up = attempts[attempts.len() - limit] + SIGNING_ATTEMPTS_WINDOW;
    Err((frees_up - now).to_std().unwrap_or_default())
}

/// How long "until" reads to a person, in English: "2 minutes", "3 hours".
pub fn describe_wait(wait: Duration) -> String {
    crate::messages::Message::Wait(wait).text(crate::messages::Language::English)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::domain::Platform;

    fn guards(settings: LimitSettings) -> (Guards, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let guards = Guards::new([("c", &settings)].into_iter(), clock.clone());
        (guards, clock)
    }

    #[test]
    fn a_flood_is_told_once_then_ignored_until_the_limit_resets() {
        let (guards, clock) = guards(LimitSettings {
            message_burst: 3,
            messages_per_minute: 60,
            ..LimitSettings::default()
        });
        let flooder = Identity::new(Platform::Telegram, "1");
        let bystander = Identity::new(Platform::Telegram, "2");
        for _ in 0..3 {
            assert_eq!(guards.check_message("c", &flooder), MessageVerdict::Allowed);
        }
        assert!(
            matches!(guards.check_message("c", &flooder), MessageVerdict::SlowDown { wait } if wait <= Duration::from_secs(1))
        );
        for _ in 0..100 {
            assert_eq!(guards.check_message("c", &flooder), MessageVerdict::Ignore);
        }
        assert_eq!(
            guards.check_message("c", &bystander),
            MessageVerdict::Allowed,
            "others are served"
        );
        clock.advance(chrono::Duration::seconds(2));
        assert_eq!(guards.check_message("c", &flooder), MessageVerdict::Allowed);
    }

    #[test]
    fn a_message_counted_on_arrival_is_not_counted_again_when_handled() {
        let (guards, _clock) = guards(LimitSettings {
            message_burst: 2,
            messages_per_minute: 1,
            ..LimitSettings::default()
        });
        let who = Identity::new(Platform::Telegram, "1");
        assert_eq!(guards.admit("c", &who), MessageVerdict::Allowed);
        assert_eq!(guards.admit("c", &who), MessageVerdict::Allowed);
        assert!(matches!(guards.admit("c", &who), MessageVerdict::SlowDown { .. }));
        assert_eq!(
            guards.admit("c", &who),
            MessageVerdict::Ignore,
            "what is not allowed is never queued"
        );
        // The two queued are handled without being counted again...
        assert_eq!(guards.check_message("c", &who), MessageVerdict::Allowed);
        assert_eq!(guards.check_message("c", &who), MessageVerdict::Allowed);
        // ...and one that did not arrive through admission is counted.
        assert_eq!(guards.check_message("c", &who), MessageVerdict::Ignore);
    }

    #[test]
    fn signing_attempts_are_allowed_up_to_the_limit_in_any_day() {
        let settings = LimitSettings {
            signing_attempts_per_day: 2,
            ..LimitSettings::default()
        };
        let now = Utc::now();
        let hours_ago = |h| now - chrono::Duration::hours(h);
        assert!(signing_attempts_wait(&settings, &[hours_ago(3)], now).is_ok());
        let wait = signing_attempts_wait(&settings, &[hours_ago(20), hours_ago(3)], now).unwrap_err();
        assert_eq!(
            wait.as_secs(),
            4 * 3600,
            "the oldest counted attempt drops out after a day"
        );
    }

    #[test]
    fn waits_read_naturally() {
        assert_eq!(describe_wait(Duration::from_secs(1)), "1 second");
        assert_eq!(describe_wait(Duration::from_secs(30)), "30 seconds");
        assert_eq!(describe_wait(Duration::from_secs(600)), "10 minutes");
        assert_eq!(describe_wait(Duration::from_secs(7200)), "2 hours");
    }

    #[test]
    fn memory_settles_after_a_million_distinct_identities() {
        let (guards, clock) = guards(LimitSettings::default());
        for n in 0..1_000_000u32 {
            let who = Identity::new(Platform::Discord, n.to_string());
            assert_eq!(guards.check_message("c", &who), MessageVerdict::Allowed);
        }
        assert_eq!(guards.remembered(), 1_000_000);
        clock.advance(chrono::Duration::minutes(5));
        guards.prune(clock.now());
        assert_eq!(guards.remembered(), 0, "entries back to full are dropped");
    }
}
