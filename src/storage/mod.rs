//! Where signatures and conversations live: one [`Storage`] trait, with a
//! SQLite implementation (the embedded default) and a PostgreSQL one (for
//! several processes or machines), chosen by the database URL's scheme.
//!
//! Every rule that keeps the count honest (one signature per identity, one
//! per email address, the running total) is enforced inside the database,
//! in the same transaction as the write, so concurrent or repeated
//! submissions cannot create two signatures.

mod postgres;
mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::config::DatabaseSettings;
use crate::domain::{Email, Identity, Location, Platform, ShareCode, SignerName};

pub use postgres::PostgresStorage;
pub use sqlite::SqliteStorage;

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
    /// Whether they want updates by email.
    pub updates_opt_in: bool,
    /// The consent wording's version they agreed to.
    pub consent_version: u32,
    /// When they agreed.
    pub consent_at: DateTime<Utc>,
    /// The share code they arrived with, if any.
    pub referral_code: Option<ShareCode>,
    /// When the signature is made.
    pub created_at: DateTime<Utc>,
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
    /// Whether they want updates by email.
    pub updates_opt_in: bool,
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
}

/// What happened to a signature handed to [`Storage::sign`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignOutcome {
    /// Stored; the campaign now has `total` signatures.
    Signed {
        /// The signer's own share code.
        share_code: ShareCode,
        /// The campaign's total including this signature.
        total: u64,
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

/// Why a storage call failed. Messages carry context for the log and never
/// a value a supporter typed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database refused or could not be reached.
    #[error("database error while {action}: {source}")]
    Database {
        /// What was being done.
        action: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// Migrations could not be applied.
    #[error("could not apply database migrations: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// The config reuses a consent version with new wording.
    #[error(
        "campaign {campaign:?}: consent version {version} was already recorded with different wording; signatures given under it would no longer match it. Raise campaigns.{campaign}.consent.version"
    )]
    ConsentWordingChanged {
        /// The campaign's slug.
        campaign: String,
        /// The reused version.
        version: u32,
    },
    /// A stored value could not be read back.
    #[error("stored data could not be read: {0}")]
    Corrupt(String),
    /// The URL's scheme names no supported database.
    #[error("unsupported database URL: it must start with sqlite: or postgres://")]
    UnsupportedUrl,
}

/// Shorthand for storage results.
pub type StorageResult<T> = Result<T, StorageError>;

/// Wraps a driver error with what was being done.
pub(crate) fn db(action: &'static str) -> impl FnOnce(sqlx::Error) -> StorageError {
    move |source| StorageError::Database { action, source }
}

/// Everything the engine, the organiser commands and the command line need
/// from a database.
#[async_trait]
pub trait Storage: Send + Sync + 'static {
    /// Makes sure a campaign has a total, and records its consent wording so
    /// every signature's consent version keeps meaning what it meant. Fails if
    /// the version was recorded before with different wording.
    async fn register_campaign(
        &self,
        campaign: &str,
        consent_version: u32,
        consent_wording: &str,
    ) -> StorageResult<()>;

    /// The saved conversation state for an identity, if any.
    async fn load_conversation(&self, who: &Identity) -> StorageResult<Option<String>>;

    /// Saves (or replaces) an identity's conversation state.
    async fn save_conversation(
        &self,
        who: &Identity,
        state: &str,
        at: DateTime<Utc>,
    ) -> StorageResult<()>;

    /// Forgets an identity's conversation.
    async fn delete_conversation(&self, who: &Identity) -> StorageResult<()>;

    /// Deletes conversations not touched since `cutoff`; returns how many.
    async fn delete_conversations_idle_since(&self, cutoff: DateTime<Utc>) -> StorageResult<u64>;

    /// Stores a signature unless this identity or email already signed the
    /// campaign, updating the total in the same transaction.
    async fn sign(&self, signature: &NewSignature) -> StorageResult<SignOutcome>;

    /// This identity's signature on a campaign, if any.
    async fn signature_of(
        &self,
        campaign: &str,
        who: &Identity,
    ) -> StorageResult<Option<Signature>>;

    /// Deletes this identity's signature and everything in it; returns the
    /// campaign's new total, or `None` if there was nothing to delete.
    async fn withdraw(&self, campaign: &str, who: &Identity) -> StorageResult<Option<u64>>;

    /// The campaign's total, read from its counter, not by counting.
    async fn total(&self, campaign: &str) -> StorageResult<u64>;

    /// Breakdowns of a campaign's signatures, with a line for every UTC day
    /// from `since` to `today`.
    async fn stats(
        &self,
        campaign: &str,
        since: NaiveDate,
        today: NaiveDate,
    ) -> StorageResult<Stats>;

    /// Every signature of a campaign in signing order, for delivery.
    async fn export(&self, campaign: &str) -> StorageResult<Vec<ExportRow>>;

    /// Notes that a bot is about to connect to its platform, and forgets
    /// notes older than `forget_before`. Kept in the database so that a
    /// process restarting in a loop still sees its earlier attempts.
    async fn record_connection_attempt(
        &self,
        bot: &str,
        at: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> StorageResult<()>;

    /// How many connection attempts a bot made since `since`.
    async fn connection_attempts_since(
        &self,
        bot: &str,
        since: DateTime<Utc>,
    ) -> StorageResult<u64>;
}

/// Opens the database named by the settings, creating it if needed, and
/// applies migrations.
pub async fn connect(settings: &DatabaseSettings) -> StorageResult<Arc<dyn Storage>> {
    let url = settings.url.expose();
    if url.starts_with("sqlite:") {
        Ok(Arc::new(
            SqliteStorage::connect(url, settings.max_connections).await?,
        ))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(
            PostgresStorage::connect(url, settings.max_connections).await?,
        ))
    } else {
        Err(StorageError::UnsupportedUrl)
    }
}

/// Fills the days without signatures with zeroes, so a breakdown by day
/// always shows every day from `since` to `today`.
pub(crate) fn every_day(
    since: NaiveDate,
    today: NaiveDate,
    counted: Vec<(NaiveDate, u64)>,
) -> Vec<Tally> {
    since
        .iter_days()
        .take_while(|day| *day <= today)
        .map(|day| {
            let count = counted
                .iter()
                .find(|(d, _)| *d == day)
                .map_or(0, |(_, count)| *count);
            Tally::new(day.format("%Y-%m-%d").to_string(), count)
        })
        .collect()
}

/// Reassembles a location from its two nullable columns.
pub(crate) fn location_from_columns(
    district: Option<String>,
    country: Option<String>,
) -> StorageResult<Location> {
    use crate::domain::{Country, PostcodeDistrict};
    match (district, country) {
        (Some(district), None) => Ok(Location::Uk(PostcodeDistrict::from_trusted(district))),
        (None, Some(country)) => Ok(Location::Abroad(Country::from_trusted(country))),
        _ => Err(StorageError::Corrupt(
            "a signature must have exactly one of postcode district and country".into(),
        )),
    }
}

pub(crate) fn platform_from_column(value: &str) -> StorageResult<Platform> {
    value.parse().map_err(StorageError::Corrupt)
}
