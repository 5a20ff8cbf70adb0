//! PostgreSQL's batched lookups: conversations, signatures, totals and
//! signing attempts asked for together are answered by one query each, on
//! connections that find rows only by key.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::{IdentityColumns, Postgres};
use crate::domain::Identity;
use crate::storage::connections::Connections;
use crate::storage::group_read::{FetchBatch, attempts_by_key, distinct, totals_by_key};
use crate::storage::sql::signatures_answering;
use crate::storage::{AttemptKey, Signature, StorageResult};

// The lookups by key take their keys as arrays, one per key column, and
// run on connections that find rows only by key (see `by_key_only` and
// `Planning`): each statement is parsed once and probes an index once per
// key.

/// Keys: campaigns, platforms and platform user ids, each deduplicated;
/// the rows are every stored combination, of which the caller keeps those
/// it asked for. Nearly always one campaign and one or two platforms, so
/// the index is probed about once per user id; a single table and no join
/// make it quick to plan for its own keys (see `Planning::EachTime`), which
/// a join with the keys was not.
const SELECT_SIGNATURES: &str = "SELECT campaign, platform, platform_user_id, name, email, postcode_district,
         country, updates_opt_in, consent_version, consent_at, referral_code, share_code, created_at,
         status, hold_reason, updates_wording
     FROM signatures WHERE campaign = ANY($1) AND platform = ANY($2) AND platform_user_id = ANY($3)";

/// Keys: campaign slugs.
const SELECT_TOTALS: &str = "SELECT campaign, total FROM campaign_totals WHERE campaign = ANY($1)";

/// Keys: [platform, platform user id].
const SELECT_CONVERSATIONS: &str = "SELECT platform, platform_user_id, state FROM conversations
     WHERE (platform, platform_user_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))";

/// Keys: [campaign, platform, platform user id], a column per array. Every
/// attempt kept for those identities, of which the caller keeps the recent
/// ones: found by the identity index alone, never by time, which would
/// match nearly the whole table during a surge.
const SELECT_ATTEMPTS: &str = "SELECT campaign, platform, platform_user_id, at FROM signing_attempts
     WHERE (campaign, platform, platform_user_id) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))
     ORDER BY at";

/// Signature lookups, many per query, each planned for its keys (see
/// `Planning::EachTime`).
pub(super) struct SignatureFetcher(pub(super) Connections<PgConnection>);

#[async_trait]
impl FetchBatch<(String, Identity), Option<Signature>> for SignatureFetcher {
    async fn fetch(&self, keys: &[(String, Identity)]) -> StorageResult<Vec<Option<Signature>>> {
        let campaigns = distinct(keys.iter().map(|(campaign, _)| campaign.as_str()));
        let platforms = distinct(keys.iter().map(|(_, who)| who.platform.as_str()));
        let user_ids = distinct(keys.iter().map(|(_, who)| who.user_id.as_str()));
        let rows = self
            .0
            .run("reading signatures", async |connection| {
                sqlx::query(SELECT_SIGNATURES)
                    .bind(campaigns)
                    .bind(platforms)
                    .bind(user_ids)
                    .fetch_all(connection)
                    .await
            })
            .await?;
        signatures_answering::<Postgres>(keys, &rows)
    }
}

/// Signing-attempt lookups, many per query, planned once like conversation
/// lookups (one index probe per key).
pub(super) struct AttemptFetcher(pub(super) Arc<Connections<PgConnection>>);

#[async_trait]
impl FetchBatch<AttemptKey, Vec<DateTime<Utc>>> for AttemptFetcher {
    async fn fetch(&self, keys: &[AttemptKey]) -> StorageResult<Vec<Vec<DateTime<Utc>>>> {
        let campaigns: Vec<&str> = keys.iter().map(|(campaign, _, _)| campaign.as_str()).collect();
        let mut identities = IdentityColumns::default();
        for (_, who, _) in keys {
            identities.push(who, None);
        }
        let found = self
            .0
            .run("reading signing attempts", async |connection| {
                sqlx::query_as(SELECT_ATTEMPTS)
                    .bind(campaigns)
                    .bind(identities.platforms)
                    .bind(identities.user_ids)
                    .fetch_all(connection)
                    .await
            })
            .await?;
        Ok(attempts_by_key(keys, found))
    }
}

/// Total lookups, many per query (nearly always for the same campaign).
pub(super) struct TotalFetcher(pub(super) Arc<Connections<PgConnection>>);

#[async_trait]
impl FetchBatch<String, u64> for TotalFetcher {
    async fn fetch(&self, keys: &[String]) -> StorageResult<Vec<u64>> {
        let campaigns = distinct(keys.iter().map(String::as_str));
        let totals = self
            .0
            .run("reading totals", async |connection| {
                sqlx::query_as(SELECT_TOTALS)
                    .bind(campaigns)
                    .fetch_all(connection)
                    .await
            })
            .await?;
        Ok(totals_by_key(keys, totals))
    }
}

/// Conversation lookups, many per query.
pub(super) struct ConversationFetcher(pub(super) Arc<Connections<PgConnection>>);

#[async_trait]
impl FetchBatch<Identity, Option<String>> for ConversationFetcher {
    async fn fetch(&self, keys: &[Identity]) -> StorageResult<Vec<Option<String>>> {
        let mut identities = IdentityColumns::default();
        for who in keys {
            identities.push(who, None);
        }
        let rows: Vec<(String, String, String)> = self
            .0
            .run("loading conversations", async |connection| {
                sqlx::query_as(SELECT_CONVERSATIONS)
                    .bind(identities.platforms)
                    .bind(identities.user_ids)
                    .fetch_all(connection)
                    .await
            })
            .await?;
        let found: HashMap<(String, String), String> = rows
            .into_iter()
            .map(|(platform, user_id, state)| ((platform, user_id), state))
            .collect();
        Ok(keys
            .iter()
            .map(|who| {
                found
                    .get(&(who.platform.as_str().to_owned(), who.user_id.clone()))
                    .cloned()
            })
            .collect())
    }
}
