//! SQLite's batched lookups: signatures, totals and signing attempts asked
//! for together are answered by one query each, on connections of their own.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::file::DatabaseFile;
use super::{Sqlite, as_json};
use crate::domain::Identity;
use crate::storage::connections::Connections;
use crate::storage::group_read::{FetchBatch, attempts_by_key, distinct, totals_by_key};
use crate::storage::sql::{from_millis, signatures_answering};
use crate::storage::{AttemptKey, Signature, StorageResult};

/// Keys: [campaign, platform, platform user id]. Every attempt kept for
/// those identities, of which the caller keeps the recent ones: found by
/// the identity index alone, never by time, which would match nearly the
/// whole table during a surge.
const SELECT_ATTEMPTS: &str = "SELECT campaign, platform, platform_user_id, at FROM signing_attempts
     WHERE (campaign, platform, platform_user_id) IN (SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each($1))
     ORDER BY at";

/// Keys: [campaign, platform, platform user id].
const SELECT_SIGNATURES: &str = "SELECT campaign, platform, platform_user_id, name, email, postcode_district, country,
         updates_opt_in, consent_version, consent_at, referral_code, share_code, created_at, status, hold_reason,
         updates_wording
     FROM signatures WHERE (campaign, platform, platform_user_id) IN
         (SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each($1))";

/// Keys: campaign slugs.
const SELECT_TOTALS: &str =
    "SELECT campaign, total FROM campaign_totals WHERE campaign IN (SELECT value FROM json_each($1))";

/// Connections for one kind of lookup, and the file they read: a lookup in
/// a file that was deleted would answer from data that is gone.
pub(super) struct Lookups {
    pub(super) connections: Connections<SqliteConnection>,
    pub(super) file: Arc<DatabaseFile>,
}

impl Lookups {
    /// Runs one batched lookup on a connection of its own, then checks the
    /// file it read is still the database's.
    async fn run<T>(
        &self,
        action: &'static str,
        work: impl AsyncFnOnce(&mut SqliteConnection) -> Result<T, sqlx::Error>,
    ) -> StorageResult<T> {
        let found = self.connections.run(action, work).await?;
        self.file.check()?;
        Ok(found)
    }
}

/// Signature lookups, many per query.
pub(super) struct SignatureFetcher(pub(super) Lookups);

#[async_trait]
impl FetchBatch<(String, Identity), Option<Signature>> for SignatureFetcher {
    async fn fetch(&self, keys: &[(String, Identity)]) -> StorageResult<Vec<Option<Signature>>> {
        let wanted: Vec<(&str, &str, &str)> = keys
            .iter()
            .map(|(campaign, who)| (campaign.as_str(), who.platform.as_str(), who.user_id.as_str()))
            .collect();
        let rows = self
            .0
            .run("reading signatures", async |connection| {
                sqlx::query(SELECT_SIGNATURES)
                    .bind(as_json(&wanted))
                    .fetch_all(connection)
                    .await
            })
            .await?;
        signatures_answering::<Sqlite>(keys, &rows)
    }
}

/// Signing-attempt lookups, many per query.
pub(super) struct AttemptFetcher(pub(super) Lookups);

#[async_trait]
impl FetchBatch<AttemptKey, Vec<DateTime<Utc>>> for AttemptFetcher {
    async fn fetch(&self, keys: &[AttemptKey]) -> StorageResult<Vec<Vec<DateTime<Utc>>>> {
        let wanted: Vec<(&str, &str, &str)> = keys
            .iter()
            .map(|(campaign, who, _)| (campaign.as_str(), who.platform.as_str(), who.user_id.as_str()))
            .collect();
        let rows: Vec<(String, String, String, i64)> = self
            .0
            .run("reading signing attempts", async |connection| {
                sqlx::query_as(SELECT_ATTEMPTS)
                    .bind(as_json(&wanted))
                    .fetch_all(connection)
                    .await
            })
            .await?;
        let found = rows
            .into_iter()
            .map(|(campaign, platform, user_id, at)| Ok((campaign, platform, user_id, from_millis(at)?)))
            .collect::<StorageResult<Vec<_>>>()?;
        Ok(attempts_by_key(keys, found))
    }
}

/// Total lookups, many per query (nearly always for the same campaign).
pub(super) struct TotalFetcher(pub(super) Lookups);

#[async_trait]
impl FetchBatch<String, u64> for TotalFetcher {
    async fn fetch(&self, keys: &[String]) -> StorageResult<Vec<u64>> {
        let campaigns = distinct(keys.iter().map(String::as_str));
        let totals: Vec<(String, i64)> = self
            .0
            .run("reading totals", async |connection| {
                sqlx::query_as(SELECT_TOTALS)
                    .bind(as_json(&campaigns))
                    .fetch_all(connection)
                    .await
            })
            .await?;
        Ok(totals_by_key(keys, totals))
    }
}
