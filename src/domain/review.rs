//! Stored vocabulary of review: why a signature is held, and what velocity
//! is measured by (stored in the database and typed by organisers, so the
//! names never change); which signatures an organiser acts on, and what
//! they do to them; and a velocity threshold crossed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Platform;

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
}

/// Which signatures an organiser action applies to. Every filter set must
/// match; none set means all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    /// The email domain, exactly.
    pub email_domain: Option<String>,
    /// The postcode district, exactly.
    pub postcode_district: Option<String>,
    /// The platform signed on.
    pub platform: Option<Platform>,
    /// Signed at or after.
    pub since: Option<DateTime<Utc>>,
    /// Signed before.
    pub until: Option<DateTime<Utc>>,
    /// Held for this reason.
    pub reason: Option<HoldReason>,
}

/// What organisers can do to selected signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewAction {
    /// Held signatures become counted.
    Release,
    /// Held or counted signatures stop counting for good.
    Invalidate,
}

impl ReviewAction {
    /// The command word.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewAction::Release => "release",
            ReviewAction::Invalidate => "invalidate",
        }
    }
}

/// A velocity threshold crossed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anomaly {
    /// The campaign.
    pub campaign: String,
    /// What was counted by.
    pub dimension: Dimension,
    /// The domain, district or platform.
    pub value: String,
    /// Signatures in the hour.
    pub count: u64,
    /// The threshold crossed.
    pub threshold: u64,
    /// When it was noticed.
    pub detected_at: DateTime<Utc>,
}
