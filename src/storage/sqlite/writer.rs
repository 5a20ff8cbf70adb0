//! SQLite's side of the group commit: one writer, one connection, and one
//! transaction per batch, sent to SQLite in as few hand-offs as it can.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_trait::async_trait;
use sqlx::{Connection, SqliteConnection};

use super::file::DatabaseFile;
use super::{Sqlite, as_json, millis};
use crate::domain::ShareCode;
use crate::storage::breakdowns::{Deltas, Labels};
use crate::storage::group_commit::{ApplyBatch, Write, Written};
use crate::storage::sql::{prior_signature, signature_row};
use crate::storage::{NewSignature, SignOutcome, StorageError, StorageResult, db, with_fresh_codes};

/// The writer task's side of the group commit: one connection, one
/// transaction per batch.
///
/// Before and after each batch it checks that the file is still the one at
/// the configured path: a batch committed into a file that was deleted is
/// lost with it, so it is reported as failed, never acknowledged.
pub(super) struct SqliteWriter {
    pub(super) connection: SqliteConnection,
    pub(super) file: Arc<DatabaseFile>,
}

#[async_trait]
impl ApplyBatch for SqliteWriter {
    async fn apply(&mut self, writes: &[Write]) -> StorageResult<Vec<Written>> {
        self.file.check()?;
        let applied = apply_batch(&mut self.connection, writes).await;
        if applied.is_err() {
            // A batch that failed part-way must not leave its transaction
            // open, nor any of it committed. With no transaction open this
            // fails, harmlessly.
            let _ = sqlx::query("ROLLBACK").execute(&mut self.connection).await;
        }
        self.file.check()?;
        applied
    }

    async fn close(self) {
        let _ = self.connection.close().await;
    }
}

/// One transaction for the batch. Every statement is a hand-off to SQLite's
/// thread and back, and on a busy machine each hand-off waits for that
/// thread to get a core; so the statements go in as few hand-offs as
/// possible: one for a batch without signatures, three for one with them
/// (open the transaction and save and end conversations; insert the
/// signatures and see which were stored; count them, in the totals and the
/// breakdowns, and commit).
async fn apply_batch(connection: &mut SqliteConnection, writes: &[Write]) -> StorageResult<Vec<Written>> {
    let mut outcomes = vec![Written::Done; writes.len()];
    let saves: Vec<(&str, &str, &str, _)> = writes
        .iter()
        .filter_map(|w| match w {
            Write::SaveConversation { who, state, at } => {
                Some((who.platform.as_str(), who.user_id.as_str(), state.as_str(), millis(*at)))
            }
            _ => None,
        })
        .collect();
    // A signature ends its signer's conversation, in the same transaction.
    let deletes: Vec<(&str, &str)> = writes
        .iter()
        .filter_map(|w| match w {
            Write::DeleteConversation { who } => Some((who.platform.as_str(), who.user_id.as_str())),
            Write::Sign(signature) => Some((
                signature.identity.platform.as_str(),
                signature.identity.user_id.as_str(),
            )),
            Write::SaveConversation { .. } => None,
        })
        .collect();
    let signs: Vec<(usize, &NewSignature)> = writes
        .iter()
        .enumerate()
        .filter_map(|(i, w)| match w {
            Write::Sign(signature) => Some((i, signature.as_ref())),
            _ => None,
        })
        .collect();
    if signs.is_empty() {
        sqlx::query(CONVERSATIONS_ONLY)
            .bind(as_json(&saves))
            .bind(as_json(&deletes))
            .execute(&mut *connection)
            .await
            .map_err(db("saving conversations"))?;
    } else {
        // Every signature offered is an attempt, whatever becomes of it.
        let attempts: Vec<(&str, &str, &str, i64)> = signs
            .iter()
            .map(|(_, signature)| {
                (
                    signature.campaign.as_str(),
                    signature.identity.platform.as_str(),
                    signature.identity.user_id.as_str(),
                    millis(signature.created_at),
                )
            })
            .collect();
        sqlx::query(OPEN_WITH_CONVERSATIONS)
            .bind(as_json(&saves))
            .bind(as_json(&deletes))
            .bind(as_json(&attempts))
            .execute(&mut *connection)
            .await
            .map_err(db("saving conversations"))?;
        for (index, outcome) in sign_all(connection, &signs).await? {
            outcomes[index] = Written::Signed(outcome);
        }
    }
    Ok(outcomes)
}

// The batch statements take their rows as JSON arrays.

/// Saves conversations, rows of [platform, platform user id, state,
/// updated at] in $1, and ends those of [platform, platform user id] in $2.
macro_rules! save_and_end_conversations {
    () => {
        "INSERT INTO conversations (platform, platform_user_id, state, updated_at)
             SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each($1) WHERE true
             ON CONFLICT (platform, platform_user_id)
             DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at;
         DELETE FROM conversations WHERE (platform, platform_user_id) IN
             (SELECT value ->> 0, value ->> 1 FROM json_each($2));"
    };
}

/// A whole batch without signatures.
const CONVERSATIONS_ONLY: &str = concat!("BEGIN IMMEDIATE;", save_and_end_conversations!(), "COMMIT;");

/// The start of a batch with signatures, which also notes each signing
/// attempt, rows of [campaign, platform, platform user id, at] in $3;
/// `sign_all` commits it.
const OPEN_WITH_CONVERSATIONS: &str = concat!(
    "BEGIN IMMEDIATE;",
    save_and_end_conversations!(),
    "INSERT INTO signing_attempts (campaign, platform, platform_user_id, at)
         SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each($3);"
);

/// Offers signatures, rows of the sixteen columns in order (see
/// `signature_row`) in $1, and returns the share codes of those stored
/// under their own signer: the ones that were inserted.
const INSERT_SIGNATURES: &str = "INSERT INTO signatures (campaign, platform, platform_user_id, name, email,
         postcode_district, country, updates_opt_in, consent_version, consent_at, referral_code, share_code,
         created_at, status, hold_reason, email_domain)
     SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7,
            value ->> 8, value ->> 9, value ->> 10, value ->> 11, value ->> 12, value ->> 13, value ->> 14, value ->> 15
     FROM json_each($1) WHERE true
     ON CONFLICT DO NOTHING;
     SELECT group_concat(s.share_code, ',') FROM signatures s JOIN json_each($1) j
     ON s.share_code = j.value ->> 11 AND s.campaign = j.value ->> 0
        AND s.platform = j.value ->> 1 AND s.platform_user_id = j.value ->> 2";

/// Adds to campaigns' breakdown counters, rows of [campaign, dimension,
/// label, change] in $2, one per counter the batch touches; adds to their
/// totals, rows of [campaign, counted, held] in $1, returning each
/// campaign's total after; and commits the batch.
const COUNT_AND_COMMIT: &str = concat!(
    add_to_breakdowns!(2),
    ";
     INSERT INTO campaign_totals (campaign, total, held)
         SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each($1) WHERE true
     ON CONFLICT (campaign) DO UPDATE SET total = campaign_totals.total + excluded.total,
         held = campaign_totals.held + excluded.held
     RETURNING campaign, total;
     COMMIT"
);

/// Inserts a batch of signatures, recognising duplicates, updates each
/// campaign's counters once, and commits the batch's transaction. Returns
/// each signature's outcome by its index.
async fn sign_all(
    tx: &mut SqliteConnection,
    signs: &[(usize, &NewSignature)],
) -> StorageResult<Vec<(usize, SignOutcome)>> {
    let mut results = Vec::with_capacity(signs.len());
    let mut stored: Vec<(usize, &NewSignature, ShareCode)> = Vec::new();
    let mut pending: Vec<(usize, &NewSignature)> = signs.to_vec();
    // A fresh share code can, very rarely, collide with a stored one; the
    // unique constraint catches it and the signature tries another.
    for _ in 0..5 {
        if pending.is_empty() {
            break;
        }
        let candidates = with_fresh_codes(&pending);
        let rows: Vec<_> = candidates
            .iter()
            .map(|(_, signature, code)| signature_row::<Sqlite>(signature, code))
            .collect();
        let inserted: Option<String> = sqlx::query_scalar(INSERT_SIGNATURES)
            .bind(as_json(&rows))
            .fetch_one(&mut *tx)
            .await
            .map_err(db("storing signatures"))?;
        let inserted: HashSet<&str> = inserted.as_deref().unwrap_or("").split(',').collect();
        let mut retry = Vec::new();
        for (index, signature, code) in candidates {
            if inserted.contains(code.as_str()) {
                stored.push((index, signature, code));
            } else {
                match prior_signature::<Sqlite>(tx, signature).await? {
                    Some(prior) => results.push((index, SignOutcome::AlreadySigned(prior))),
                    None => retry.push((index, signature)),
                }
            }
        }
        pending = retry;
    }
    if !pending.is_empty() {
        return Err(StorageError::Corrupt("could not find unused share codes".into()));
    }
    let mut totals: HashMap<&str, (i64, i64)> = HashMap::new();
    let mut breakdowns = Deltas::default();
    for (_, signature, _) in &stored {
        let entry = totals.entry(signature.campaign.as_str()).or_default();
        if signature.hold.is_some() {
            entry.1 += 1;
        } else {
            entry.0 += 1;
            breakdowns.add(Labels::of_new(signature), 1);
        }
    }
    let counters: Vec<(&str, i64, i64)> = totals
        .into_iter()
        .map(|(campaign, (counted, held))| (campaign, counted, held))
        .collect();
    let after: HashMap<String, i64> = sqlx::query_as(COUNT_AND_COMMIT)
        .bind(as_json(&counters))
        .bind(as_json(&breakdowns.rows()))
        .fetch_all(&mut *tx)
        .await
        .map_err(db("committing a batch"))?
        .into_iter()
        .collect();
    for (index, signature, share_code) in stored {
        results.push((
            index,
            SignOutcome::Signed {
                share_code,
                total: after[signature.campaign.as_str()] as u64,
                held: signature.hold.is_some(),
            },
        ));
    }
    Ok(results)
}
