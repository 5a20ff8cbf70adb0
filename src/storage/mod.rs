//! Where signatures and conversations live: one [`Storage`] trait, with a
//! SQLite implementation (the embedded default) and a PostgreSQL one (for
//! several processes or machines), chosen by the database URL's scheme.
//!
//! Every rule that keeps the count honest (one signature per identity, one
//! per email address, the running total) is enforced inside the database,
//! in the same transaction as the write, so concurrent or repeated
//! submissions cannot create two signatures.

mod cache;
mod connections;
mod erasure;
pub mod group_commit;
pub mod group_read;
#[cfg(test)]
pub(crate) mod memory;
mod postgres;
mod sqlite;
mod sqlite_file;
mod thread;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::config::DatabaseSettings;
use crate::domain::{Dimension, Email, HoldReason, Identity, Location, Platform, ShareCode, SignerName};

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
    /// Set when the signature is to be held for review instead of counted.
    pub hold: Option<HoldReason>,
}

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
    /// Whether it counts.
    pub status: SignatureStatus,
}

/// What happened to a signature handed to [`Storage::sign`].
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

/// Which signatures an organiser action applies to. Every filter set must
/// match; none set means all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
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
}

impl Recount {
    /// Whether the stored counters had drifted.
    pub fn drifted(&self) -> bool {
        self.stored_total != self.counted_total || self.stored_held != self.counted_held
    }
}

/// Why a storage call failed. Messages carry context for the log and never
/// a value a supporter typed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database refused or could not be reached. The driver's error is
    /// part of the message rather than a separate cause (hence not called
    /// `source`), so a chain of errors prints it once.
    #[error("database error while {action}: {driver}")]
    Database {
        /// What was being done.
        action: &'static str,
        /// The driver's error.
        driver: sqlx::Error,
    },
    /// The database server could not be reached at all.
    #[error("could not connect to {database} at {address}: {reason}")]
    Unreachable {
        /// Which kind of database.
        database: &'static str,
        /// Its host and port (never the URL, which may hold a password).
        address: String,
        /// What the network or the server answered.
        reason: String,
    },
    /// Migrations could not be applied (the cause is part of the message,
    /// as for `Database`).
    #[error("could not apply database migrations: {0}")]
    Migration(sqlx::migrate::MigrateError),
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
    /// The write was in a batch whose transaction failed; nothing in it was
    /// committed.
    #[error("a batch of writes failed: {0}")]
    BatchFailed(Arc<StorageError>),
    /// The group-commit writer is gone (the process is shutting down).
    #[error("the database writer has stopped")]
    WriterStopped,
    /// The SQLite file was deleted or replaced while the process ran.
    #[error(
        "the database file {path} is no longer the file this process opened (deleted or replaced); nothing more is written to it"
    )]
    FileGone {
        /// The configured path.
        path: String,
    },
    /// The URL's scheme names no supported database.
    #[error("unsupported database URL: it must start with sqlite: or postgres://")]
    UnsupportedUrl,
}

impl From<sqlx::migrate::MigrateError> for StorageError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        Self::Migration(error)
    }
}

/// Shorthand for storage results.
pub type StorageResult<T> = Result<T, StorageError>;

/// Wraps a driver error with what was being done.
pub(crate) fn db(action: &'static str) -> impl FnOnce(sqlx::Error) -> StorageError {
    move |driver| StorageError::Database { action, driver }
}

/// Supporters' conversations in progress: the engine saves one after every answer.
#[async_trait]
pub trait ConversationStore: Send + Sync {
    /// The saved conversation state for an identity, if any.
    async fn load_conversation(&self, who: &Identity) -> StorageResult<Option<String>>;

    /// Saves (or replaces) an identity's conversation state.
    async fn save_conversation(&self, who: &Identity, state: &str, at: DateTime<Utc>) -> StorageResult<()>;

    /// Forgets an identity's conversation.
    async fn delete_conversation(&self, who: &Identity) -> StorageResult<()>;

    /// Deletes conversations not touched since `cutoff`; returns how many.
    async fn delete_conversations_idle_since(&self, cutoff: DateTime<Utc>) -> StorageResult<u64>;
}

/// Signatures and the counters kept with them: what signing, `status`, `withdraw` and `total` need.
#[async_trait]
pub trait SignatureStore: Send + Sync {
    /// Makes sure a campaign has a total, and records its consent wording so
    /// every signature's consent version keeps meaning what it meant. Fails if
    /// the version was recorded before with different wording.
    async fn register_campaign(&self, campaign: &str, consent_version: u32, consent_wording: &str)
    -> StorageResult<()>;

    /// Stores a signature unless this identity or email already signed the
    /// campaign, updating the total in the same transaction. Either way the
    /// signer's conversation is finished, and is deleted in that transaction.
    async fn sign(&self, signature: &NewSignature) -> StorageResult<SignOutcome>;

    /// This identity's signature on a campaign, if any.
    async fn signature_of(&self, campaign: &str, who: &Identity) -> StorageResult<Option<Signature>>;

    /// Deletes this identity's signature and everything in it; returns the
    /// campaign's new total, or `None` if there was nothing to delete.
    async fn withdraw(&self, campaign: &str, who: &Identity) -> StorageResult<Option<u64>>;

    /// The campaign's total, read from its counter, not by counting.
    async fn total(&self, campaign: &str) -> StorageResult<u64>;

    /// When this identity's signing attempts on a campaign after `since`
    /// were made, oldest first. Every signature handed to [`SignatureStore::sign`]
    /// is an attempt, stored or turned away; attempts are kept so that the
    /// limit on them holds across restarts and processes, and deleted with
    /// a withdrawal.
    async fn signing_attempts_since(
        &self,
        campaign: &str,
        who: &Identity,
        since: DateTime<Utc>,
    ) -> StorageResult<Vec<DateTime<Utc>>>;

    /// Forgets signing attempts made at or before `before`; returns how many.
    async fn forget_signing_attempts_before(&self, before: DateTime<Utc>) -> StorageResult<u64>;
}

/// Keeping the count honest: held signatures and organisers' review of them, the audit log, velocity and anomalies, and the recount.
#[async_trait]
pub trait ReviewStore: Send + Sync {
    /// The held signatures of a campaign, broken down.
    async fn held_summary(&self, campaign: &str) -> StorageResult<HeldSummary>;

    /// How many signatures an action would change: a dry run.
    async fn count_selected(
        &self,
        campaign: &str,
        selection: &Selection,
        action: ReviewAction,
    ) -> StorageResult<Matched>;

    /// Releases or invalidates the selected signatures, adjusts the
    /// counters, and writes the audit log, all in one transaction.
    async fn apply_review(
        &self,
        campaign: &str,
        selection: &Selection,
        action: ReviewAction,
        audit: &AuditEntry,
    ) -> StorageResult<ReviewOutcome>;

    /// Writes an organiser action that changes nothing (an export, a view).
    async fn record_audit(&self, entry: &AuditEntry) -> StorageResult<()>;

    /// The audit log of a campaign, oldest first.
    async fn audit_log(&self, campaign: &str) -> StorageResult<Vec<AuditEntry>>;

    /// Signatures since `since` per email domain, postcode district and
    /// platform, where at least the given thresholds.
    async fn velocity(
        &self,
        campaign: &str,
        since: DateTime<Utc>,
        thresholds: [u64; 3],
    ) -> StorageResult<Vec<VelocityCount>>;

    /// Records a crossed threshold unless already recorded for the same
    /// value in the same hour; returns whether it is new.
    async fn record_anomaly(&self, anomaly: &Anomaly) -> StorageResult<bool>;

    /// Anomalies detected since `since`, newest first.
    async fn anomalies(&self, campaign: &str, since: DateTime<Utc>) -> StorageResult<Vec<Anomaly>>;

    /// Recomputes every campaign's counters from its signatures, stores
    /// them, and reports what they were.
    async fn recount(&self) -> StorageResult<Vec<Recount>>;
}

/// What organisers read: breakdowns and the export for delivery.
#[async_trait]
pub trait ReportStore: Send + Sync {
    /// Breakdowns of a campaign's signatures, with a line for every UTC day
    /// from `since` to `today`.
    async fn stats(&self, campaign: &str, since: NaiveDate, today: NaiveDate) -> StorageResult<Stats>;

    /// Every signature of a campaign in signing order, for delivery.
    async fn export(&self, campaign: &str) -> StorageResult<Vec<ExportRow>>;
}

/// When bots connected to their platforms, so a process restarting in a loop can pace itself.
#[async_trait]
pub trait ConnectionLog: Send + Sync {
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
    async fn connection_attempts_since(&self, bot: &str, since: DateTime<Utc>) -> StorageResult<u64>;
}

/// Secrets an instance generates for itself and keeps in its database.
#[async_trait]
pub trait SecretStore: Send + Sync {
    /// The instance secret called `name`, storing `fresh` as it if there is
    /// none yet. Processes starting together on one database all get the
    /// value of whichever stored first.
    async fn instance_secret(&self, name: &str, fresh: &str) -> StorageResult<String>;
}

/// A whole database: everything the engine, the organiser commands and the
/// command line need. Each part is a trait of its own, so that code needing
/// one part (a report, the connection log) can ask for just that.
#[async_trait]
pub trait Storage:
    ConversationStore + SignatureStore + ReviewStore + ReportStore + ConnectionLog + SecretStore + 'static
{
    /// Closes every connection properly, once writes in hand are committed;
    /// called when the process is about to exit. SQLite then leaves no
    /// write-ahead log behind, nor any earlier copy of erased data in it.
    async fn close(&self) {}
}

/// How long a process will use the database, which decides how many
/// connections it may hold (PostgreSQL counts them against the server's
/// limit, shared by every process).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    /// A process serving supporters (`petition run`, the benchmark): up to
    /// `database.max_connections` connections.
    LongRunning,
    /// A command that does one thing and exits (console, stats, export,
    /// recount): at most two connections.
    ShortLived,
}

/// Opens the database named by the settings for a long-running process,
/// creating it if needed, and applies migrations.
pub async fn connect(settings: &DatabaseSettings) -> StorageResult<Arc<dyn Storage>> {
    connect_for(settings, Usage::LongRunning).await
}

/// [`connect`], for the given usage.
pub async fn connect_for(settings: &DatabaseSettings, usage: Usage) -> StorageResult<Arc<dyn Storage>> {
    let url = settings.url.expose();
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStorage::connect(url, settings.max_connections).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(
            PostgresStorage::connect(url, usage, settings.max_connections).await?,
        ))
    } else {
        Err(StorageError::UnsupportedUrl)
    }
}

/// Why a connection could not be opened, in a few plain words: "connection
/// refused", or the server's own message (which names no secret).
pub(crate) fn describe_connect_error(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => "connection refused".to_owned(),
            std::io::ErrorKind::TimedOut => "timed out".to_owned(),
            std::io::ErrorKind::NotFound => "no such host or socket".to_owned(),
            _ => io.to_string(),
        },
        sqlx::Error::Database(error) => error.message().to_owned(),
        sqlx::Error::Tls(error) => format!("TLS failed: {error}"),
        other => other.to_string(),
    }
}

/// Fills the days without signatures with zeroes, so a breakdown by day
/// always shows every day from `since` to `today`.
pub(crate) fn every_day(since: NaiveDate, today: NaiveDate, counted: Vec<(NaiveDate, u64)>) -> Vec<Tally> {
    since
        .iter_days()
        .take_while(|day| *day <= today)
        .map(|day| {
            let count = counted.iter().find(|(d, _)| *d == day).map_or(0, |(_, count)| *count);
            Tally::new(day.format("%Y-%m-%d").to_string(), count)
        })
        .collect()
}

/// Reassembles a location from its two nullable columns.
pub(crate) fn location_from_columns(district: Option<String>, country: Option<String>) -> StorageResult<Location> {
    use crate::domain::{Country, PostcodeDistrict};
    match (district, country) {
        (Some(district), None) => Ok(Location::Uk(PostcodeDistrict::from_trusted(district))),
        (None, Some(country)) => Ok(Location::Abroad(Country::from_trusted(country))),
        _ => Err(StorageError::Corrupt(
            "a signature must have exactly one of postcode district and country".into(),
        )),
    }
}

/// Gives each pending signature a fresh share code, distinct within the
/// batch, so the code returned by an insert says which signature it was.
pub(crate) fn with_fresh_codes<'a>(pending: &[(usize, &'a NewSignature)]) -> Vec<(usize, &'a NewSignature, ShareCode)> {
    let mut seen = std::collections::HashSet::new();
    pending
        .iter()
        .map(|(index, signature)| {
            let code = std::iter::repeat_with(ShareCode::generate)
                .find(|code| seen.insert(code.clone()))
                .expect("an endless supply of codes");
            (*index, *signature, code)
        })
        .collect()
}

/// A signing-attempt lookup: the campaign, who, and after when.
pub(crate) type AttemptKey = (String, Identity, DateTime<Utc>);

/// Sorts attempts found for a batch of keys (rows of campaign, platform,
/// platform user id and time, in time order) out to each key, keeping only
/// those after the key's own time.
pub(crate) fn attempts_by_key(
    keys: &[AttemptKey],
    found: Vec<(String, String, String, DateTime<Utc>)>,
) -> Vec<Vec<DateTime<Utc>>> {
    let mut by_identity: std::collections::HashMap<(String, String, String), Vec<DateTime<Utc>>> =
        std::collections::HashMap::new();
    for (campaign, platform, user_id, at) in found {
        by_identity.entry((campaign, platform, user_id)).or_default().push(at);
    }
    keys.iter()
        .map(|(campaign, who, since)| {
            let key = (campaign.clone(), who.platform.as_str().to_owned(), who.user_id.clone());
            by_identity
                .get(&key)
                .map(|times| times.iter().copied().filter(|at| at > since).collect())
                .unwrap_or_default()
        })
        .collect()
}

pub(crate) fn dimension_from_column(value: &str) -> StorageResult<Dimension> {
    Dimension::parse(value).ok_or_else(|| StorageError::Corrupt(format!("unknown dimension {value:?}")))
}

/// The hour an instant falls in, as hours since 1970: anomalies are kept
/// once per value per hour.
pub(crate) fn hour_of(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(3600)
}

pub(crate) fn platform_from_column(value: &str) -> StorageResult<Platform> {
    value.parse().map_err(StorageError::Corrupt)
}
