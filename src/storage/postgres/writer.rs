//! PostgreSQL's side of the group commit: writers that each apply a whole
//! batch in one statement, so one round trip and one transaction per batch.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Connection, PgConnection};

use super::{IdentityColumns, Postgres};
use crate::storage::connections::Connections;
use crate::storage::group_commit::{ApplyBatch, Write, Written};
use crate::storage::sql::{prior_signature, signature_row};
use crate::storage::{NewSignature, PriorSignature, SignOutcome, StorageError, StorageResult, db, with_fresh_codes};

/// The writer task's side of the group commit: one connection, and one
/// statement (so one round trip and one transaction) per batch.
///
/// Signatures have a writer of their own. Every signature batch adds to its
/// campaign's counter row, which stays locked until the commit is durable;
/// writers sharing that row would queue behind each other's fsync, while a
/// single signature writer queues behind no other batch (only the rare
/// withdrawal or review) and its batches grow to match the load.
///
/// A batch whose connection turns out to have died while idle (the server
/// restarted, say) is applied again on a fresh connection, so supporters
/// see nothing of it once the server is back. Its statement never reached
/// a working server; and were it ever applied twice, the second time would
/// change nothing (conversations are saved whole, a signature already
/// stored is turned away, counters count only what was stored). A batch
/// that fails otherwise fails every write in it, and its connection is
/// dropped with it (see `Connections`).
pub(super) struct PostgresWriter(pub(super) Arc<Connections<PgConnection>>);

#[async_trait]
impl ApplyBatch for PostgresWriter {
    async fn apply(&mut self, writes: &[Write]) -> StorageResult<Vec<Written>> {
        let mut connection = self.0.take().await.map_err(db("opening a PostgreSQL writer"))?;
        let mut applied = apply_batch(&mut connection, writes).await;
        if connection.reused && applied.as_ref().is_err_and(connection_was_lost) {
            self.0.give_back(connection, &applied);
            tracing::info!("a PostgreSQL writer's connection had been dropped; applying its batch on a fresh one");
            connection = self.0.take().await.map_err(db("opening a PostgreSQL writer"))?;
            applied = apply_batch(&mut connection, writes).await;
        }
        self.0.give_back(connection, &applied);
        applied
    }
}

async fn apply_batch(connection: &mut PgConnection, writes: &[Write]) -> StorageResult<Vec<Written>> {
    let mut outcomes = vec![Written::Done; writes.len()];
    let mut saves = IdentityColumns::default();
    let mut ends = IdentityColumns::default();
    let mut pending = Vec::new();
    for (index, write) in writes.iter().enumerate() {
        match write {
            Write::SaveConversation { who, state, at } => saves.push(who, Some((state, *at))),
            Write::DeleteConversation { who } => ends.push(who, None),
            Write::Sign(signature) => pending.push((index, signature.as_ref())),
        }
    }
    // The first statement saves and ends the conversations and offers every
    // signature. A fresh share code can, very rarely, collide with a stored
    // one; the unique constraint turns that row away and later statements
    // offer it again with another code.
    //
    // Each statement commits on its own. Should a later one (a duplicate
    // check, a retry) fail, the whole batch is reported failed although the
    // first statement's writes are durable: a signer told to try again then
    // hears they have already signed, which is true. Nothing is ever
    // acknowledged before it is durable.
    // Every signature offered is an attempt, whatever becomes of it; noted
    // with the first statement only, not again with a retry.
    let mut attempts: Vec<(&str, &str, &str, DateTime<Utc>)> = pending
        .iter()
        .map(|(_, signature)| {
            (
                signature.campaign.as_str(),
                signature.identity.platform.as_str(),
                signature.identity.user_id.as_str(),
                signature.created_at,
            )
        })
        .collect();
    for _ in 0..5 {
        let candidates = with_fresh_codes(&pending);
        let rows: Vec<_> = candidates
            .iter()
            .map(|(_, signature, code)| signature_row::<Postgres>(signature, code))
            .collect();
        let stored: HashMap<String, i64> = sqlx::query_as(APPLY_BATCH)
            .bind(std::mem::take(&mut saves.platforms))
            .bind(std::mem::take(&mut saves.user_ids))
            .bind(std::mem::take(&mut saves.states))
            .bind(std::mem::take(&mut saves.updated_at))
            .bind(std::mem::take(&mut ends.platforms))
            .bind(std::mem::take(&mut ends.user_ids))
            .bind(as_json(&rows))
            .bind(as_json(&std::mem::take(&mut attempts)))
            .fetch_all(&mut *connection)
            .await
            .map_err(db("applying a batch"))?
            .into_iter()
            .collect();
        pending.clear();
        for (index, signature, code) in candidates {
            if let Some(total) = stored.get(code.as_str()) {
                outcomes[index] = Written::Signed(SignOutcome::Signed {
                    share_code: code,
                    total: *total as u64,
                    held: signature.hold.is_some(),
                });
            } else if let Some(prior) = already_signed(connection, signature).await? {
                outcomes[index] = Written::Signed(SignOutcome::AlreadySigned(prior));
            } else {
                pending.push((index, signature));
            }
        }
        if pending.is_empty() {
            return Ok(outcomes);
        }
    }
    Err(StorageError::Corrupt("could not find unused share codes".into()))
}

/// The earlier signature that turned this one away, if that is why it was
/// not stored; its signer's conversation is over either way.
async fn already_signed(
    connection: &mut PgConnection,
    signature: &NewSignature,
) -> StorageResult<Option<PriorSignature>> {
    let mut tx = connection.begin().await.map_err(db("starting a duplicate check"))?;
    // Which index finds an earlier signature best depends on the table (see
    // `Planning::EachTime`).
    sqlx::query("SET LOCAL plan_cache_mode = force_custom_plan")
        .execute(&mut *tx)
        .await
        .map_err(db("starting a duplicate check"))?;
    let prior = prior_signature::<Postgres>(&mut tx, signature).await?;
    if prior.is_some() {
        sqlx::query("DELETE FROM conversations WHERE platform = $1 AND platform_user_id = $2")
            .bind(signature.identity.platform.as_str())
            .bind(&signature.identity.user_id)
            .execute(&mut *tx)
            .await
            .map_err(db("ending a conversation"))?;
    }
    tx.commit().await.map_err(db("committing a duplicate check"))?;
    Ok(prior)
}

/// A whole batch in one statement, so one transaction and one round trip:
/// - $1..$4 conversations to save, a column per array: platform, platform
///   user id, state, updated at (see `IdentityColumns`);
/// - $5, $6 conversations to end: platform, platform user id;
/// - $7 signatures, a JSON array of rows of the sixteen columns in order
///   (see `signature_row`);
/// - $8 signing attempts to note, a JSON array of rows of campaign,
///   platform, platform user id and time.
///
/// A signature that is stored ends its signer's conversation and adds to its
/// campaign's counters (the total, or held, and if counted one breakdown
/// counter per dimension, one upsert per counter the batch touches), in the
/// same transaction. Signatures turned away by a
/// unique constraint (already signed, or a share code collision) change
/// nothing; `apply` finds out which. Returns each stored signature's share
/// code and its campaign's total after the batch. Counter rows are taken in
/// campaign order, so batches for several campaigns cannot deadlock.
const APPLY_BATCH: &str = "
WITH saved AS (
    INSERT INTO conversations (platform, platform_user_id, state, updated_at)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])
    ON CONFLICT (platform, platform_user_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
), stored AS (
    INSERT INTO signatures (campaign, platform, platform_user_id, name, email, postcode_district, country,
        updates_opt_in, consent_version, consent_at, referral_code, share_code, created_at, status, hold_reason,
        email_domain)
    SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6,
        (value ->> 7)::boolean, (value ->> 8)::integer, (value ->> 9)::timestamptz, value ->> 10, value ->> 11,
        (value ->> 12)::timestamptz, value ->> 13, value ->> 14, value ->> 15
    FROM jsonb_array_elements($7::jsonb) AS value
    ON CONFLICT DO NOTHING
    RETURNING campaign, platform, platform_user_id, share_code, status, postcode_district, country, referral_code,
        created_at
), ended AS (
    DELETE FROM conversations
    WHERE (platform, platform_user_id) IN (
        SELECT * FROM unnest($5::text[], $6::text[])
        UNION ALL
        SELECT platform, platform_user_id FROM stored)
), attempted AS (
    INSERT INTO signing_attempts (campaign, platform, platform_user_id, at)
    SELECT value ->> 0, value ->> 1, value ->> 2, (value ->> 3)::timestamptz
    FROM jsonb_array_elements($8::jsonb) AS value
), counted AS (
    INSERT INTO campaign_totals (campaign, total, held)
    SELECT campaign, count(*) FILTER (WHERE status = 'counted'), count(*) FILTER (WHERE status = 'held')
    FROM stored GROUP BY campaign ORDER BY campaign
    ON CONFLICT (campaign) DO UPDATE
        SET total = campaign_totals.total + excluded.total, held = campaign_totals.held + excluded.held
    RETURNING campaign, total
), broken_down AS (
    -- Waits for `counted` (the subquery reads all of it), so the totals row
    -- is taken before any breakdown row, as every writer takes them.
    INSERT INTO campaign_breakdowns (campaign, dimension, label, count)
    SELECT campaign, labels.dimension, labels.label, count(*) FROM stored
    CROSS JOIN LATERAL (VALUES ('platform', platform), ('district', postcode_district), ('country', country),
        ('referral', referral_code), ('day', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')))
        AS labels (dimension, label)
    WHERE status = 'counted' AND labels.label IS NOT NULL AND (SELECT count(*) FROM counted) >= 0
    GROUP BY campaign, labels.dimension, labels.label ORDER BY campaign, labels.dimension, labels.label
    ON CONFLICT (campaign, dimension, label) DO UPDATE SET count = campaign_breakdowns.count + excluded.count
)
SELECT stored.share_code, counted.total FROM stored JOIN counted USING (campaign)";

/// Whether a statement failed because its connection had died (the server
/// restarted or dropped it), rather than because of what it asked: the
/// failure then says nothing about the work, which may be tried again on a
/// fresh connection.
fn connection_was_lost(error: &StorageError) -> bool {
    let StorageError::Database { driver, .. } = error else {
        return false;
    };
    match driver {
        sqlx::Error::Io(_) => true,
        // 08: connection exceptions; 57P01-03: the server shutting down,
        // crashed or starting, which it says before closing a connection.
        sqlx::Error::Database(error) => error
            .code()
            .is_some_and(|code| code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03")),
        _ => false,
    }
}

/// Signature rows travel to the database as one JSON array parameter: one
/// statement, prepared once, whatever the batch size.
fn as_json(rows: &impl serde::Serialize) -> String {
    serde_json::to_string(rows).expect("rows of strings and numbers serialise")
}
