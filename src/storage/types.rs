//! What the storage traits take and give: signatures new and stored, the
//! outcome of signing, breakdowns, review and the audit log.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{StorageError, StorageResult};
pub use crate::domain::{Anomaly, ReviewAction, Selection, Signature, SignatureStatus};
use crate::domain::{Dimension, Email, HoldReason, Identity, Location, Platform, ShareCode, SignerName};

/// A signature about to be stored.
#[derive(Debug, Clone)]
pub struct NewSignature {
    /// The campaign's slug.
    pub campaign: String,
    /// Who is signing.
    pub identity: Identity,
    /// The name for the petition.
    pub name: SignerName,
    /// The normalised email, if one was given.
    pub email: Option<Email>,
    /// Postcode district or country.
    pub location: Location,
    /// Whether they want updates about the campaign (asked with the
    /// current wording of the question, which the database records).
    pub updates_opt_in: bool,
    /// The consent wording's version they agreed to.
    pub consent_version: u32,
    /// When they agreed.
    pub consent_at: DateTime<Utc>,
    /// The share code they arrived with, if any.
    pub referral_code: Option<ShareCode>,
    /// When the signature is made.
    pub created_at: DateTime<Utc>,
    /// Set when the signature is to be held for review instead of counted.
    pub hold: Option<HoldReason>,
}

impl SignatureStatus {
    pub(crate) fn from_columns(status: &str, reason: Option<&str>) -> StorageResult<Self> {
        match (status, reason.and_then(HoldReason::parse)) {
            ("counted", _) => Ok(SignatureStatus::Counted),
            ("held", Some(reason)) => Ok(SignatureStatus::Held(reason)),
            ("invalidated", _) => Ok(SignatureStatus::Invalidated),
            _ => Err(StorageError::Corrupt(format!("unknown signature status {status:?}"))),
        }
    }
}

/// What happened to a signature handed to [`SignatureStore::sign`](super::SignatureStore::sign).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignOutcome {
    /// Stored; the campaign now has `total` counted signatures.
    Signed {
        /// The signer's own share code.
        share_code: ShareCode,
        /// The campaign's public total (held signatures are not in it).
        total: u64,
        /// Whether this signature was held for review.
        held: bool,
    },
    /// Not stored: this person had already signed.
    AlreadySigned(PriorSignature),
}

/// The earlier signature that made a new one a duplicate. Deliberately holds
/// nothing that identifies the earlier account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorSignature {
    /// When the earlier signature was made.
    pub signed_at: DateTime<Utc>,
    /// The platform it was made on.
    pub platform: Platform,
    /// Whether it matched by the same identity or by the same email.
    pub matched_by: DuplicateMatch,
}

/// How a duplicate was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DuplicateMatch {
    /// The same platform account signed before.
    Identity,
    /// Another account signed with the same normalised email address.
    Email,
}

/// One line of a breakdown: a label and how many signatures carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// What is counted: a platform, a day, a district, a country, a code.
    pub label: String,
    /// How many signatures.
    pub count: u64,
}

impl Tally {
    /// A tally line.
    pub fn new(label: impl Into<String>, count: u64) -> Self {
        Self {
            label: label.into(),
            count,
        }
    }
}

/// The breakdowns organisers ask for with `stats`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// The campaign's slug.
    pub campaign: String,
    /// Signatures counted.
    pub total: u64,
    /// Signatures held for review, not in the total.
    pub held: u64,
    /// Per platform, most first.
    pub by_platform: Vec<Tally>,
    /// Per UTC day (`YYYY-MM-DD`) in the asked range, oldest first,
    /// days without signatures included as zero.
    pub by_day: Vec<Tally>,
    /// Per UK postcode district, most first.
    pub by_district: Vec<Tally>,
    /// Per country outside the UK, most first.
    pub by_country: Vec<Tally>,
    /// Share codes that brought in signatures, most first, at most ten.
    pub top_referral_codes: Vec<Tally>,
}

/// One row of an export for delivery: what is printed on the petition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRow {
    /// The signer's name.
    pub name: String,
    /// Their postcode district, if in the UK.
    pub postcode_district: Option<String>,
    /// Their country, if outside the UK.
    pub country: Option<String>,
    /// Where they signed.
    pub platform: Platform,
    /// When they signed.
    pub signed_at: DateTime<Utc>,
}

/// How many signatures a selection matches, by whether they count now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Matched {
    /// Held ones.
    pub held: u64,
    /// Counted ones.
    pub counted: u64,
}

/// Totals after an organiser action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewOutcome {
    /// Signatures changed.
    pub affected: u64,
    /// The public total now.
    pub total: u64,
    /// Signatures still held.
    pub held: u64,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// The campaign acted on.
    pub campaign: String,
    /// The organiser.
    pub actor: Identity,
    /// What they did: `release`, `invalidate`, `export`, `stats`...
    pub action: String,
    /// The selection or other detail, as the organiser would read it.
    pub detail: String,
    /// Signatures affected (or exported).
    pub affected: u64,
    /// When.
    pub at: DateTime<Utc>,
}

/// The held signatures at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HeldSummary {
    /// Held signatures.
    pub held: u64,
    /// Per hold reason, most first.
    pub by_reason: Vec<Tally>,
    /// Per platform, most first.
    pub by_platform: Vec<Tally>,
    /// Per email domain, most first.
    pub by_email_domain: Vec<Tally>,
    /// Per postcode district, most first.
    pub by_district: Vec<Tally>,
}

/// Signatures in the last hour from one domain, district or platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VelocityCount {
    /// What is counted by.
    pub dimension: Dimension,
    /// The domain, district or platform.
    pub value: String,
    /// How many.
    pub count: u64,
}

/// A campaign's counters as stored and as recounted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recount {
    /// The campaign.
    pub campaign: String,
    /// The total stored before the recount.
    pub stored_total: u64,
    /// The total counted from the signatures.
    pub counted_total: u64,
    /// The held count stored before the recount.
    pub stored_held: u64,
    /// The held count counted from the signatures.
    pub counted_held: u64,
    /// Breakdown counters (one platform's, district's, country's, referral
    /// code's or day's count) that were wrong, and were mended.
    pub breakdowns_mended: u64,
}

impl Recount {
    /// Whether the stored counters had drifted.
    pub fn drifted(&self) -> bool {
        self.stored_total != self.counted_total || self.stored_held != self.counted_held || self.breakdowns_mended > 0
    }
}
