//! The campaigns a deployment runs: what each petition asks, of whom, the
//! article behind it, its goal and the consent it asks signers for.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use serde::Deserialize;

mod limits;
mod milestones;

pub use limits::{LimitSettings, NewAccountPolicy};
pub use milestones::{Announce, MIN_PROGRESS_INTERVAL_SECONDS, MilestoneRule, milestones_toward};

/// A campaign setting that has the right type but is not acceptable: the
/// key at fault and what is wrong with it, never the value (it may be
/// someone's account id, or a secret put in the wrong place).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{key}` {problem}")]
pub struct InvalidSetting {
    /// The key path, such as `campaigns.keep-the-unit-open.goal`.
    pub key: String,
    /// What is wrong with it.
    pub problem: String,
}

impl InvalidSetting {
    pub(crate) fn new(key: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            problem: problem.into(),
        }
    }
}

/// One `[campaigns.SLUG]` table as written in the config file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignSettings {
    title: String,
    targets: Vec<String>,
    statement: String,
    author: String,
    #[serde(default)]
    contact: String,
    summary: String,
    goal: u64,
    #[serde(default = "default_true")]
    require_email: bool,
    article: String,
    consent: Consent,
    privacy: String,
    #[serde(default)]
    limits: LimitSettings,
    #[serde(default)]
    milestones: Option<Vec<milestones::MilestoneEntry>>,
    #[serde(default)]
    milestone_updates: bool,
    #[serde(default)]
    announce: Announce,
    #[serde(default = "milestones::default_progress_interval_seconds")]
    progress_interval_seconds: u64,
    #[serde(default)]
    opens_at: Option<String>,
    #[serde(default)]
    closes_at: Option<String>,
    #[serde(default = "default_anonymise_after_days")]
    anonymise_after_days: u32,
}

/// As UK Parliament's petitions site: six months after closing.
fn default_anonymise_after_days() -> u32 {
    180
}

fn default_true() -> bool {
    true
}

/// The consent a signer gives, and the version of its wording that each
/// signature records.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    /// Raised whenever the wording changes.
    pub version: u32,
    /// What the signer agrees to.
    pub wording: String,
}

/// A checked campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    /// Short name used in links and commands: `a-z`, `0-9` and single hyphens.
    pub slug: String,
    /// The headline.
    pub title: String,
    /// Who the petition is addressed to.
    pub targets: Vec<String>,
    /// What signers ask for.
    pub statement: String,
    /// Who wrote the article and started the petition.
    pub author: String,
    /// How the petition's recipients can reach its organisers (an address,
    /// an email, a phone number), for the delivery pack's cover letter;
    /// empty when none is given.
    pub contact: String,
    /// A few sentences shown before someone decides to sign.
    pub summary: String,
    /// Signatures the campaign aims for.
    pub goal: u64,
    /// Whether an email address is required to sign.
    pub require_email: bool,
    /// The full article, paragraphs separated by blank lines.
    pub article: String,
    /// The consent wording and its version.
    pub consent: Consent,
    /// The privacy notice.
    pub privacy: String,
    /// Rate limits and the rules for holding signatures for review.
    pub limits: LimitSettings,
    /// The milestones announced as the total grows (see
    /// [`milestones_toward`]).
    pub milestones: Vec<MilestoneRule>,
    /// Whether signers who asked for updates are also told of each milestone.
    pub milestone_updates: bool,
    /// The chats that hear of milestones and keep a progress message.
    pub announce: Announce,
    /// The shortest time between two messages (posts or edits) the progress
    /// message and its announcements make in one chat.
    pub progress_interval: Duration,
    /// When signing opens, if not from the start.
    pub opens_at: Option<DateTime<Utc>>,
    /// When signing closes, unless an organiser closes it earlier (or
    /// reopens it).
    pub closes_at: Option<DateTime<Utc>>,
    /// Days after closing when signers are forgotten: their signatures
    /// keep only what the totals and breakdowns need.
    pub anonymise_after_days: u32,
}

impl Campaign {
    /// Longest slug accepted; a slug and a share code must fit the 64
    /// characters of a Telegram deep link.
    pub const MAX_SLUG_LEN: usize = 40;

    /// The web server's own paths at the top level: a campaign's page at
    /// `/{slug}` would be hidden behind them.
    pub const RESERVED_SLUGS: &[&str] = &["static", "healthz", "readyz"];

    pub(crate) fn from_settings(slug: String, raw: CampaignSettings) -> Result<Self, InvalidSetting> {
        let key = |field: &str| format!("campaigns.{slug}.{field}");
        let valid_slug = !slug.is_empty()
            && slug.len() <= Self::MAX_SLUG_LEN
            && slug
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !slug.starts_with('-')
            && !slug.ends_with('-')
            && !slug.contains("--");
        if !valid_slug {
            return Err(InvalidSetting::new(
                format!("campaigns.{slug}"),
                "is not a valid slug: use 1 to 40 lower-case letters, digits and single hyphens",
            ));
        }
        if Self::RESERVED_SLUGS.contains(&slug.as_str()) {
            return Err(InvalidSetting::new(
                format!("campaigns.{slug}"),
                "is a path the web server keeps for itself: choose another slug",
            ));
        }
        for (field, value) in [
            ("title", &raw.title),
            ("statement", &raw.statement),
            ("author", &raw.author),
            ("summary", &raw.summary),
            ("article", &raw.article),
            ("privacy", &raw.privacy),
            ("consent.wording", &raw.consent.wording),
        ] {
            if value.trim().is_empty() {
                return Err(InvalidSetting::new(key(field), "must not be empty"));
            }
        }
        if raw.title.chars().count() > 200 {
            return Err(InvalidSetting::new(key("title"), "must be at most 200 characters"));
        }
        if raw.targets.is_empty() || raw.targets.iter().any(|t| t.trim().is_empty()) {
            return Err(InvalidSetting::new(
                key("targets"),
                "must name at least one person or body, none of them empty",
            ));
        }
        if raw.goal == 0 {
            return Err(InvalidSetting::new(key("goal"), "must be at least 1"));
        }
        if raw.consent.version == 0 {
            return Err(InvalidSetting::new(key("consent.version"), "must be at least 1"));
        }
        raw.limits.check(&slug)?;
        let time = |field: &str, value: &Option<String>| -> Result<Option<DateTime<Utc>>, InvalidSetting> {
            value
                .as_deref()
                .map(|value| {
                    DateTime::parse_from_rfc3339(value.trim())
                        .map(|at| at.with_timezone(&Utc))
                        .map_err(|_| {
                            InvalidSetting::new(
                                key(field),
                                "must be an RFC 3339 time, such as \"2027-03-01T09:00:00Z\"",
                            )
                        })
                })
                .transpose()
        };
        let opens_at = time("opens_at", &raw.opens_at)?;
        let closes_at = time("closes_at", &raw.closes_at)?;
        if let (Some(opens), Some(closes)) = (opens_at, closes_at)
            && closes <= opens
        {
            return Err(InvalidSetting::new(key("closes_at"), "must be after opens_at"));
        }
        if raw.anonymise_after_days == 0 {
            return Err(InvalidSetting::new(key("anonymise_after_days"), "must be at least 1"));
        }
        let (milestones, progress_interval) =
            milestones::check(&slug, raw.milestones.as_deref(), raw.progress_interval_seconds)?;
        Ok(Self {
            slug,
            title: raw.title.trim().to_owned(),
            targets: raw.targets.iter().map(|t| t.trim().to_owned()).collect(),
            statement: raw.statement.trim().to_owned(),
            author: raw.author.trim().to_owned(),
            contact: raw.contact.trim().to_owned(),
            summary: raw.summary.trim().to_owned(),
            goal: raw.goal,
            require_email: raw.require_email,
            article: raw.article.trim().to_owned(),
            consent: Consent {
                version: raw.consent.version,
                wording: raw.consent.wording.trim().to_owned(),
            },
            privacy: raw.privacy.trim().to_owned(),
            limits: raw.limits,
            milestones,
            milestone_updates: raw.milestone_updates,
            announce: raw.announce,
            progress_interval,
            opens_at,
            closes_at,
            anonymise_after_days: raw.anonymise_after_days,
        })
    }

    /// The signature counts that are milestones toward `goal` (the goal in
    /// force, which organisers may have raised), in order.
    pub fn milestones_toward(&self, goal: u64) -> Vec<u64> {
        milestones_toward(&self.milestones, goal)
    }

    /// The article's paragraphs, for platforms that must split long text.
    pub fn article_paragraphs(&self) -> impl Iterator<Item = &str> {
        self.article.split("\n\n").map(str::trim).filter(|p| !p.is_empty())
    }
}

/// All configured campaigns, one of them the default.
#[derive(Debug, Clone)]
pub struct Campaigns {
    all: Vec<Arc<Campaign>>,
    default_index: usize,
}

impl Campaigns {
    /// Checks that `default_slug` names one of `campaigns`.
    pub fn new(campaigns: Vec<Campaign>, default_slug: &str) -> Result<Self, InvalidSetting> {
        if campaigns.is_empty() {
            return Err(InvalidSetting::new("campaigns", "must configure at least one campaign"));
        }
        let default_index = campaigns.iter().position(|c| c.slug == default_slug).ok_or_else(|| {
            let known: Vec<&str> = campaigns.iter().map(|c| c.slug.as_str()).collect();
            // The slugs are keys of the file, so they may be listed; the value
            // given is not repeated, like every other value.
            InvalidSetting::new(
                "default_campaign",
                format!("must name a configured campaign: {}", known.join(", ")),
            )
        })?;
        Ok(Self {
            all: campaigns.into_iter().map(Arc::new).collect(),
            default_index,
        })
    }

    /// The campaign shown when none is named.
    pub fn default_campaign(&self) -> &Arc<Campaign> {
        &self.all[self.default_index]
    }

    /// The campaign with this slug.
    pub fn get(&self, slug: &str) -> Option<&Arc<Campaign>> {
        self.all.iter().find(|c| c.slug == slug)
    }

    /// Every campaign, in slug order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Campaign>> {
        self.all.iter()
    }

    /// Replaces or adds a campaign; used by tests and benchmarks that need a
    /// variant of the shipped campaign.
    pub fn upsert(&mut self, campaign: Campaign) {
        match self.all.iter().position(|c| c.slug == campaign.slug) {
            Some(i) => self.all[i] = Arc::new(campaign),
            None => self.all.push(Arc::new(campaign)),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Settings;

    #[test]
    fn the_article_splits_into_paragraphs() {
        let campaign = Settings::built_in().campaigns.default_campaign().clone();
        assert_eq!(campaign.article_paragraphs().count(), 6);
    }
}
