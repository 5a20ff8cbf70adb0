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
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use crate::clock::Clock;
use crate::config::ConfigError;
use crate::domain::{Identity, Platform};

/// `[campaigns.SLUG.limits]`: every limit has a default, so the table may
/// be left out.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitSettings {
    /// Messages and button presses one person may send in a burst...
    pub message_burst: u32,
    /// ...and then per minute, steadily.
    pub messages_per_minute: u32,
    /// Times one person may confirm a signature in a day (each one reaches
    /// the database; this also limits probing which emails have signed).
    pub signing_attempts_per_day: u32,
    /// Times one person may sign again after withdrawing, in a day.
    pub resignings_per_day: u32,
    /// Signatures per second across the campaign above which new ones are
    /// held for review and organisers alerted.
    pub signatures_per_second: u32,
    /// Discord accounts younger than this many days are held (or refused).
    pub min_discord_account_age_days: u32,
    /// What happens to a signature from a younger Discord account.
    pub new_discord_accounts: NewAccountPolicy,
    /// Email domains whose signatures are held; `*.example.com` also covers
    /// every subdomain.
    pub blocked_email_domains: Vec<String>,
    /// Identities whose signatures are held, as `platform:id`
    /// (`telegram:12345`, `discord:67890`).
    pub blocked_identities: Vec<String>,
    /// Signatures in an hour from one email domain that raise an alert.
    pub email_domain_per_hour: u64,
    /// Signatures in an hour from one postcode district that raise an alert.
    pub postcode_district_per_hour: u64,
    /// Signatures in an hour from one platform that raise an alert.
    pub platform_per_hour: u64,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            message_burst: 10,
            messages_per_minute: 60,
            signing_attempts_per_day: 5,
            resignings_per_day: 3,
            signatures_per_second: 200,
            min_discord_account_age_days: 7,
            new_discord_accounts: NewAccountPolicy::Hold,
            blocked_email_domains: Vec::new(),
            blocked_identities: Vec::new(),
            email_domain_per_hour: 100,
            postcode_district_per_hour: 200,
            platform_per_hour: 20_000,
        }
    }
}

/// What to do with a signature from a Discord account younger than the
/// minimum age.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NewAccountPolicy {
    /// Store it, uncounted, for organisers to release or invalidate.
    Hold,
    /// Do not store it; tell the signer when they may sign.
    Refuse,
}

impl LimitSettings {
    pub(crate) fn check(&self, slug: &str) -> Result<(), ConfigError> {
        let key = |field: &str| format!("campaigns.{slug}.limits.{field}");
        for (field, value) in [
            ("message_burst", self.message_burst),
            ("messages_per_minute", self.messages_per_minute),
            ("signing_attempts_per_day", self.signing_attempts_per_day),
            ("resignings_per_day", self.resignings_per_day),
            ("signatures_per_second", self.signatures_per_second),
        ] {
            if value == 0 {
                return Err(ConfigError::invalid(key(field), "must be at least 1"));
            }
        }
        for (field, value) in [
            ("email_domain_per_hour", self.email_domain_per_hour),
            ("postcode_district_per_hour", self.postcode_district_per_hour),
            ("platform_per_hour", self.platform_per_hour),
        ] {
            if value == 0 {
                return Err(ConfigError::invalid(key(field), "must be at least 1"));
            }
        }
        // Errors say which entry (by position), never what it holds: an
        // entry may be someone's account id.
        for (n, entry) in self.blocked_identities.iter().enumerate() {
            let valid = entry
                .split_once(':')
                .is_some_and(|(platform, id)| platform.parse::<Platform>().is_ok() && !id.is_empty());
            if !valid {
                return Err(ConfigError::invalid(
                    key("blocked_identities"),
                    format!(
                        "entry {} is not an identity; write identities as telegram:ID, discord:ID or console:NAME",
                        n + 1
                    ),
                ));
            }
        }
        for (n, domain) in self.blocked_email_domains.iter().enumerate() {
            let bare = domain.strip_prefix("*.").unwrap_or(domain);
            if bare.is_empty() || bare.contains(['*', '@', ' ']) {
                return Err(ConfigError::invalid(
                    key("blocked_email_domains"),
                    format!(
                        "entry {} is not a domain; write domains as example.com or *.example.com",
                        n + 1
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Whether an email domain is blocked.
    pub fn blocks_domain(&self, domain: &str) -> bool {
        self.blocked_email_domains.iter().any(|pattern| {
            let pattern = pattern.to_lowercase();
            match pattern.strip_prefix("*.") {
                Some(parent) => domain == parent || domain.ends_with(&format!(".{parent}")),
                None => domain == pattern,
            }
        })
    }

    /// Whether an identity is blocked.
    pub fn blocks_identity(&self, who: &Identity) -> bool {
        let written = format!("{}:{}", who.platform, who.user_id);
        self.blocked_identities.contains(&written)
    }
}

/// Why a signature is held for review rather than counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldReason {
    /// A Discord account younger than the minimum age.
    NewAccount,
    /// Arrived while the campaign was above its signatures-per-second ceiling.
    Surge,
    /// Arrived while its email domain was over the hourly threshold.
    EmailDomainVelocity,
    /// Arrived while its postcode district was over the hourly threshold.
    PostcodeDistrictVelocity,
    /// Arrived while its platform was over the hourly threshold.
    PlatformVelocity,
    /// Its email domain is on the blocked list.
    BlockedDomain,
    /// Its identity is on the blocked list.
    BlockedIdentity,
}

impl HoldReason {
    /// Every reason, for parsing and breakdowns.
    pub const ALL: [HoldReason; 7] = [
        HoldReason::NewAccount,
        HoldReason::Surge,
        HoldReason::EmailDomainVelocity,
        HoldReason::PostcodeDistrictVelocity,
        HoldReason::PlatformVelocity,
        HoldReason::BlockedDomain,
        HoldReason::BlockedIdentity,
    ];

    /// The name stored in the database and typed by organisers.
    pub fn as_str(self) -> &'static str {
        match self {
            HoldReason::NewAccount => "new_account",
            HoldReason::Surge => "surge",
            HoldReason::EmailDomainVelocity => "email_domain_velocity",
            HoldReason::PostcodeDistrictVelocity => "postcode_district_velocity",
            HoldReason::PlatformVelocity => "platform_velocity",
            HoldReason::BlockedDomain => "blocked_domain",
            HoldReason::BlockedIdentity => "blocked_identity",
        }
    }

    /// Reads a stored or typed reason.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// The velocity reason for a dimension.
    pub fn for_velocity(dimension: Dimension) -> Self {
        match dimension {
            Dimension::EmailDomain => HoldReason::EmailDomainVelocity,
            Dimension::PostcodeDistrict => HoldReason::PostcodeDistrictVelocity,
            Dimension::Platform => HoldReason::PlatformVelocity,
        }
    }
}

/// What velocity is measured by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// The part of the email after `@`.
    EmailDomain,
    /// The UK postcode district.
    PostcodeDistrict,
    /// Telegram, Discord or the console.
    Platform,
}

impl Dimension {
    /// Every dimension.
    pub const ALL: [Dimension; 3] = [Dimension::EmailDomain, Dimension::PostcodeDistrict, Dimension::Platform];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::EmailDomain => "email_domain",
            Dimension::PostcodeDistrict => "postcode_district",
            Dimension::Platform => "platform",
        }
    }

    /// Reads a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == text)
    }

    /// How it reads in an alert.
    pub fn describe(self) -> &'static str {
        match self {
            Dimension::EmailDomain => "email domain",
            Dimension::PostcodeDistrict => "postcode district",
            Dimension::Platform => "platform",
        }
    }

    /// This dimension's hourly threshold.
    pub fn threshold(self, limits: &LimitSettings) -> u64 {
        match self {
            Dimension::EmailDomain => limits.email_domain_per_hour,
            Dimension::PostcodeDistrict => limits.postcode_district_per_hour,
            Dimension::Platform => limits.platform_per_hour,
        }
    }
}

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
        }
    }

    fn campaign(&self, slug: &str) -> Option<&CampaignGuards> {
        self.campaigns.get(slug)
    }

    /// The campaign's limit settings.
    pub fn settings(&self, slug: &str) -> Option<&LimitSettings> {
        self.campaign(slug).map(|c| &c.settings)
    }

    /// Counts a message or button press against its sender.
    pub fn check_message(&self, campaign: &str, who: &Identity) -> MessageVerdict {
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

/// How long "until" reads to a person: "2 minutes", "3 hours".
pub fn describe_wait(wait: Duration) -> String {
    let seconds = wait.as_secs().max(1);
    let (n, unit) = if seconds < 90 {
        (seconds, "second")
    } else if seconds < 90 * 60 {
        (seconds.div_ceil(60), "minute")
    } else {
        (seconds.div_ceil(3600), "hour")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// When a Discord account was created, from its id (a snowflake).
pub fn discord_account_created(user_id: u64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(((user_id >> 22) + 1_420_070_400_000) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

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
    fn a_malformed_blocked_entry_is_named_by_position_not_by_what_it_holds() {
        let settings = LimitSettings {
            blocked_identities: vec!["telegram:1".into(), "8675309".into()],
            ..LimitSettings::default()
        };
        let error = settings.check("c").unwrap_err().to_string();
        assert!(
            error.contains("blocked_identities") && error.contains("entry 2"),
            "{error}"
        );
        assert!(!error.contains("8675309"), "{error}");
        let settings = LimitSettings {
            blocked_email_domains: vec!["someone@private.example".into()],
            ..LimitSettings::default()
        };
        let error = settings.check("c").unwrap_err().to_string();
        assert!(error.contains("entry 1") && !error.contains("someone"), "{error}");
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
    fn domains_match_exactly_or_by_wildcard() {
        let settings = LimitSettings {
            blocked_email_domains: vec!["mailinator.com".into(), "*.spam.example".into()],
            ..LimitSettings::default()
        };
        assert!(settings.blocks_domain("mailinator.com"));
        assert!(!settings.blocks_domain("notmailinator.com"));
        assert!(settings.blocks_domain("spam.example"));
        assert!(settings.blocks_domain("a.b.spam.example"));
        assert!(!settings.blocks_domain("example"));
    }

    #[test]
    fn discord_account_age_comes_from_the_snowflake() {
        // Discord's documented example id.
        let created = discord_account_created(175_928_847_299_117_063).unwrap();
        assert_eq!(created.timestamp_millis(), 1_462_015_105_796);
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
