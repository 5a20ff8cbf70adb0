//! Where signatures and conversations live: one [`Storage`], on SQLite (the
//! embedded default) or PostgreSQL (for several processes or machines),
//! chosen by the database URL's scheme.
//!
//! Each method is written once. The hot path (conversations, signing, the
//! lookups every message makes) is [`Storage`]'s own, in `database.rs`,
//! the same for both databases. Every other query is declared in its
//! part's trait here ([`ReviewStore`], [`UpdateStore`], ...) and written
//! once for both databases in `sql/`; the two databases differ only in
//! their `Dialect`. A new query is its declaration and its SQL.
//!
//! Every rule that keeps the count honest (one signature per identity, one
//! per email address, the running total) is enforced inside the database,
//! in the same transaction as the write, so concurrent or repeated
//! submissions cannot create two signatures.

pub(crate) mod breakdowns;
mod cache;
mod connections;
mod database;
mod erasure;
mod error;
pub mod group_commit;
pub mod group_read;
mod lifecycle;
mod milestone_store;
mod postgres;
mod sql;
mod sqlite;

/// sqlx logs every statement, by default at debug: thousands of lines a
/// second under load, which drown the process's own debug lines (and can
/// block it on a log pipe nobody drains). Statements stay visible at trace.
const STATEMENTS_LOGGED_AT: log::LevelFilter = log::LevelFilter::Trace;
mod thread;
mod types;
mod updates;

pub use database::Storage;
pub use error::{StorageError, StorageResult};
pub(crate) use error::{db, describe_connect_error};
pub use milestone_store::{AnnounceChat, AnnouncementState, MilestoneAnnouncement, MilestoneStore, ProgressMessage};
pub use types::{
    Anomaly, AuditEntry, DuplicateMatch, ExportRow, HeldSummary, Matched, NewSignature, PriorSignature, Recount,
    ReviewAction, ReviewOutcome, Selection, SignOutcome, Signature, SignatureStatus, Stats, Tally, VelocityCount,
};

pub use lifecycle::{Lifecycle, LifecycleStore, Reopening};
pub use updates::{DeliveryCounts, DeliveryResult, NewUpdate, StoredUpdate, UpdateState, UpdateStore};

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use crate::config::DatabaseSettings;
use crate::domain::{Identity, Location, ShareCode};

/// What a campaign's signatures need beyond the hot path (which is
/// [`Storage`]'s own): the campaign's registration, and forgetting old
/// signing attempts.
#[async_trait]
pub trait SignatureStore: Send + Sync {
    /// Makes sure a campaign has a total, and records its consent wording so
    /// every signature's consent version keeps meaning what it meant. Fails if
    /// the version was recorded before with different wording.
    async fn register_campaign(&self, campaign: &str, consent_version: u32, consent_wording: &str)
    -> StorageResult<()>;

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

/// Every query of the database that runs on its pool, written once for
/// both databases (`sql/`, one impl per part): the seam between SQLite and
/// PostgreSQL. [`Storage`] derefs to it, so `storage.held_summary(..)` is
/// one of these, with its part's trait in scope.
pub trait Queries:
    SignatureStore
    + ReviewStore
    + ReportStore
    + ConnectionLog
    + SecretStore
    + UpdateStore
    + MilestoneStore
    + LifecycleStore
    + 'static
{
}

impl<T> Queries for T where
    T: SignatureStore
        + ReviewStore
        + ReportStore
        + ConnectionLog
        + SecretStore
        + UpdateStore
        + MilestoneStore
        + LifecycleStore
        + 'static
{
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
pub async fn connect(settings: &DatabaseSettings) -> StorageResult<Arc<Storage>> {
    connect_for(settings, Usage::LongRunning).await
}

/// [`connect`], for the given usage.
pub async fn connect_for(settings: &DatabaseSettings, usage: Usage) -> StorageResult<Arc<Storage>> {
    let url = settings.url.expose();
    if url.starts_with("sqlite:") {
        sqlite::connect(url, settings.max_connections).await
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        postgres::connect(url, usage, settings.max_connections).await
    } else {
        Err(StorageError::UnsupportedUrl)
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

/// The hour an instant falls in, as hours since 1970: anomalies are kept
/// once per value per hour.
pub(crate) fn hour_of(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(3600)
}
