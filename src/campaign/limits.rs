//! What a campaign's limits are: the rate limits and hold rules organisers
//! set per campaign, with their defaults and the checks at start-up. The
//! limiters that apply them are in [`crate::limits`].

use serde::Deserialize;

use super::InvalidSetting;
use crate::domain::{Dimension, Identity, Platform};

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
    pub(crate) fn check(&self, slug: &str) -> Result<(), InvalidSetting> {
        let key = |field: &str| format!("campaigns.{slug}.limits.{field}");
        for (field, value) in [
            ("message_burst", self.message_burst),
            ("messages_per_minute", self.messages_per_minute),
            ("signing_attempts_per_day", self.signing_attempts_per_day),
            ("resignings_per_day", self.resignings_per_day),
            ("signatures_per_second", self.signatures_per_second),
        ] {
            if value == 0 {
                return Err(InvalidSetting::new(key(field), "must be at least 1"));
            }
        }
        for (field, value) in [
            ("email_domain_per_hour", self.email_domain_per_hour),
            ("postcode_district_per_hour", self.postcode_district_per_hour),
            ("platform_per_hour", self.platform_per_hour),
        ] {
            if value == 0 {
                return Err(InvalidSetting::new(key(field), "must be at least 1"));
            }
        }
        // Errors say which entry (by position), never what it holds: an
        // entry may be someone's account id.
        for (n, entry) in self.blocked_identities.iter().enumerate() {
            let valid = entry
                .split_once(':')
                .is_some_and(|(platform, id)| platform.parse::<Platform>().is_ok() && !id.is_empty());
            if !valid {
                return Err(InvalidSetting::new(
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
                return Err(InvalidSetting::new(
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

    /// The hourly threshold of signatures from one value of `dimension`.
    pub fn threshold(&self, dimension: Dimension) -> u64 {
        match dimension {
            Dimension::EmailDomain => self.email_domain_per_hour,
            Dimension::PostcodeDistrict => self.postcode_district_per_hour,
            Dimension::Platform => self.platform_per_hour,
        }
    }

    /// Every dimension's threshold, in the order of [`Dimension::ALL`].
    pub fn thresholds(&self) -> [u64; 3] {
        Dimension::ALL.map(|dimension| self.threshold(dimension))
    }

    /// Whether an identity is blocked.
    pub fn blocks_identity(&self, who: &Identity) -> bool {
        let written = format!("{}:{}", who.platform, who.user_id);
        self.blocked_identities.contains(&written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
