//! A signature as the rest of the program sees it: everything held about
//! one signer, and whether it counts.

use chrono::{DateTime, Utc};

use super::{Email, HoldReason, Identity, Location, ShareCode, SignerName};

/// Whether a signature counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureStatus {
    /// In the public total.
    Counted,
    /// Stored but not counted until an organiser releases it.
    Held(HoldReason),
    /// Judged not genuine by an organiser; never counted.
    Invalidated,
}

/// A stored signature, everything held about one signer.
#[derive(Debug, Clone)]
pub struct Signature {
    /// The campaign's slug.
    pub campaign: String,
    /// Who signed.
    pub identity: Identity,
    /// The name for the petition.
    pub name: SignerName,
    /// The normalised email, if one was given.
    pub email: Option<Email>,
    /// Postcode district or country.
    pub location: Location,
    /// Whether they want updates about the campaign.
    pub updates_opt_in: bool,
    /// The version of the updates question they answered (see
    /// `messages::UPDATES_WORDING`).
    pub updates_wording: u32,
    /// The consent wording's version they agreed to.
    pub consent_version: u32,
    /// When they agreed.
    pub consent_at: DateTime<Utc>,
    /// The share code they arrived with, if any.
    pub referral_code: Option<ShareCode>,
    /// Their own share code.
    pub share_code: ShareCode,
    /// When they signed.
    pub created_at: DateTime<Utc>,
    /// Whether it counts.
    pub status: SignatureStatus,
}
