//! The queries both databases share that run on the pool rather than in a
//! batch (organisers' review, reports, the logs, withdrawals and
//! housekeeping) are methods of [`General`]; this file holds the struct,
//! the writes and the housekeeping. Review and reports have files of their
//! own, and so do the signature rows both databases read and write.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sqlx::Pool;

use super::breakdowns::{add_to_breakdowns, label_columns, labels_of_row, recount_breakdowns};
use super::{Dialect, Sql, count};
use crate::domain::Identity;
use crate::storage::breakdowns::Deltas;
use crate::storage::erasure::Eraser;
use crate::storage::{Recount, StorageError, StorageResult, db};

/// Checked before and after a write outside the group-commit batches (see
/// SQLite's `DatabaseFile`); PostgreSQL has nothing to check.
pub(crate) type WriteCheck = Arc<dyn Fn() -> StorageResult<()> + Send + Sync>;

/// The queries that run on the database's pool, not in a batch: organisers'
/// queries, housekeeping and the rarer writes.
pub(crate) struct General<D: Dialect> {
    pub(crate) pool: Pool<D::Db>,
    /// See [`WriteCheck`].
    check: WriteCheck,
    /// Clears erased rows from the disk soon after each erasure.
    eraser: Eraser,
}

impl<D: Dialect> General<D> {
    /// The shared queries on `pool`, and the task that clears erased rows
    /// from its disk.
    pub(crate) fn new(pool: Pool<D::Db>, check: WriteCheck) -> Self {
        let eraser = Eraser::start({
            let pool = pool.clone();
            Box::new(move || {
                let pool = pool.clone();
                (!pool.is_closed()).then(|| Box::pin(async move { D::clear_erased(&pool).await }) as _)
            })
        });
        Self { pool, check, eraser }
    }

    /// Fails if writes must be refused (see [`WriteCheck`]).
    pub(crate) fn check(&self) -> StorageResult<()> {
        (self.check)()
    }

    /// Something was erased: have it cleared from the disk soon.
    pub(crate) fn erased(&self) {
        self.eraser.erased();
    }

    /// Clears from the disk now what was erased and not cleared yet: for a
    /// process about to exit, which would not wait for the eraser's turn.
    pub(crate) async fn clear_what_is_owed(&self) {
        if !self.eraser.owed() {
            return;
        }
        if let Err(error) = D::clear_erased(&self.pool).await {
            tracing::warn!(%error, "could not clear erased data from the disk before closing");
        }
    }

    pub(super) async fn read(&self, action: &'static str) -> StorageResult<sqlx::pool::PoolConnection<D::Db>> {
        self.pool.acquire().await.map_err(db(action))
    }

    pub(super) async fn write(&self, action: &'static str) -> StorageResult<sqlx::Transaction<'static, D::Db>> {
        self.check()?;
        D::begin_write(&self.pool).await.map_err(db(action))
    }

    pub(super) async fn commit(
        &self,
        tx: sqlx::Transaction<'static, D::Db>,
        action: &'static str,
    ) -> StorageResult<()> {
        tx.commit().await.map_err(db(action))?;
        // Committed into a file that is gone is not committed.
        self.check()
    }

    /// See [`crate::storage::SignatureStore::register_campaign`].
    pub(crate) async fn register_campaign(&self, campaign: &str, version: u32, wording: &str) -> StorageResult<()> {
        let mut tx = self.write("registering a campaign").await?;
        Sql::<D>::new("INSERT INTO campaign_totals (campaign, total) VALUES ($1, 0) ON CONFLICT (campaign) DO NOTHING")
            .text(campaign)
            .execute(&mut tx)
            .await
            .map_err(db("creating a campaign total"))?;
        Sql::<D>::new(
            "INSERT INTO consent_wordings (campaign, version, wording, recorded_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (campaign, version) DO NOTHING",
        )
        .text(campaign)
        .int(i64::from(version))
        .text(wording)
        .time(Utc::now())
        .execute(&mut tx)
        .await
        .map_err(db("recording the consent wording"))?;
        let recorded = Sql::<D>::new("SELECT wording FROM consent_wordings WHERE campaign = $1 AND version = $2")
            .text(campaign)
            .int(i64::from(version))
            .fetch_one(&mut tx)
            .await
            .map_err(db("reading the consent wording"))?;
        if D::text(&recorded, "wording") != wording {
            return Err(StorageError::ConsentWordingChanged {
                campaign: campaign.to_owned(),
                version,
            });
        }
        self.commit(tx, "registering a campaign").await
    }

    /// Deletes a signature and everything held with it; the campaign's new
    /// total, or `None` if there was nothing to delete.
    pub(crate) async fn withdraw(&self, campaign: &str, who: &Identity) -> StorageResult<Option<u64>> {
        let mut tx = self.write("starting a withdrawal").await?;
        let deleted = Sql::<D>::new(concat!(
            "DELETE FROM signatures WHERE campaign = $1 AND platform = $2 AND platform_user_id = $3 RETURNING status, ",
            label_columns!()
        ))
        .text(campaign)
        .text(who.platform.as_str())
        .text(&who.user_id)
        .fetch_optional(&mut tx)
        .await
        .map_err(db("deleting a signature"))?;
        let Some(deleted) = deleted else {
            return Ok(None);
        };
        let status = D::text(&deleted, "status");
        let counters = Sql::<D>::new(
            "UPDATE campaign_totals SET total = total - $2, held = held - $3 WHERE campaign = $1 RETURNING total",
        )
        .text(campaign)
        .int(i64::from(status == "counted"))
        .int(i64::from(status == "held"))
        .fetch_one(&mut tx)
        .await
        .map_err(db("uncounting a signature"))?;
        // After the totals row, as every writer takes them.
        if status == "counted" {
            let mut deltas = Deltas::default();
            deltas.add(labels_of_row::<D>(campaign, &deleted)?, -1);
            add_to_breakdowns::<D>(&mut tx, &deltas).await?;
        }
        Sql::<D>::new("DELETE FROM conversations WHERE platform = $1 AND platform_user_id = $2")
            .text(who.platform.as_str())
            .text(&who.user_id)
            .execute(&mut tx)
            .await
            .map_err(db("deleting a conversation"))?;
        Sql::<D>::new("DELETE FROM signing_attempts WHERE campaign = $1 AND platform = $2 AND platform_user_id = $3")
            .text(campaign)
            .text(who.platform.as_str())
            .text(&who.user_id)
            .execute(&mut tx)
            .await
            .map_err(db("deleting signing attempts"))?;
        let erased_as = format!("erased-{:016x}", rand::random::<u64>());
        Self::erase_from_updates(&mut tx, campaign, who, &erased_as).await?;
        self.commit(tx, "committing a withdrawal").await?;
        self.erased();
        Ok(Some(count::<D>(&counters, "total")))
    }

    /// Deletes conversations not touched since `cutoff`; how many.
    pub(crate) async fn delete_conversations_idle_since(&self, cutoff: DateTime<Utc>) -> StorageResult<u64> {
        self.check()?;
        let mut connection = self.read("deleting abandoned conversations").await?;
        let deleted = Sql::<D>::new("DELETE FROM conversations WHERE updated_at < $1")
            .time(cutoff)
            .execute(&mut connection)
            .await
            .map_err(db("deleting abandoned conversations"))?;
        self.check()?;
        if deleted > 0 {
            self.erased();
        }
        Ok(deleted)
    }

    /// Forgets signing attempts made at or before `before`; how many.
    pub(crate) async fn forget_signing_attempts_before(&self, before: DateTime<Utc>) -> StorageResult<u64> {
        let mut connection = self.read("forgetting old signing attempts").await?;
        Sql::<D>::new("DELETE FROM signing_attempts WHERE at <= $1")
            .time(before)
            .execute(&mut connection)
            .await
            .map_err(db("forgetting old signing attempts"))
    }

    /// See [`crate::storage::ConnectionLog::record_connection_attempt`].
    pub(crate) async fn record_connection_attempt(
        &self,
        bot: &str,
        at: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> StorageResult<()> {
        let mut tx = self.write("recording a connection attempt").await?;
        Sql::<D>::new("DELETE FROM connection_attempts WHERE bot = $1 AND at < $2")
            .text(bot)
            .time(forget_before)
            .execute(&mut tx)
            .await
            .map_err(db("forgetting old connection attempts"))?;
        Sql::<D>::new("INSERT INTO connection_attempts (bot, at) VALUES ($1, $2)")
            .text(bot)
            .time(at)
            .execute(&mut tx)
            .await
            .map_err(db("recording a connection attempt"))?;
        self.commit(tx, "recording a connection attempt").await
    }

    /// See [`crate::storage::ConnectionLog::connection_attempts_since`].
    pub(crate) async fn connection_attempts_since(&self, bot: &str, since: DateTime<Utc>) -> StorageResult<u64> {
        let mut connection = self.read("counting connection attempts").await?;
        let row = Sql::<D>::new("SELECT COUNT(*) AS count FROM connection_attempts WHERE bot = $1 AND at >= $2")
            .text(bot)
            .time(since)
            .fetch_one(&mut connection)
            .await
            .map_err(db("counting connection attempts"))?;
        Ok(count::<D>(&row, "count"))
    }

    /// See [`crate::storage::ReviewStore::recount`]: the totals and the
    /// breakdown counters, in one transaction.
    pub(crate) async fn recount(&self) -> StorageResult<Vec<Recount>> {
        let mut tx = self.write("starting a recount").await?;
        let stored: HashMap<String, (u64, u64)> = Sql::<D>::new(D::COUNTERS_FOR_RECOUNT)
            .fetch_all(&mut tx)
            .await
            .map_err(db("reading the counters"))?
            .iter()
            .map(|row| {
                (
                    D::text(row, "campaign"),
                    (count::<D>(row, "total"), count::<D>(row, "held")),
                )
            })
            .collect();
        let counted: HashMap<String, (u64, u64)> = Sql::<D>::new(
            "SELECT campaign, SUM(CASE WHEN status = 'counted' THEN 1 ELSE 0 END) AS total,
                    SUM(CASE WHEN status = 'held' THEN 1 ELSE 0 END) AS held
             FROM signatures GROUP BY campaign",
        )
        .fetch_all(&mut tx)
        .await
        .map_err(db("recounting signatures"))?
        .iter()
        .map(|row| {
            (
                D::text(row, "campaign"),
                (count::<D>(row, "total"), count::<D>(row, "held")),
            )
        })
        .collect();
        let mended = recount_breakdowns::<D>(&mut tx).await?;
        let mut campaigns: Vec<&String> = stored.keys().chain(counted.keys()).chain(mended.keys()).collect();
        campaigns.sort_unstable();
        campaigns.dedup();
        let mut report = Vec::with_capacity(campaigns.len());
        for campaign in campaigns {
            let (stored_total, stored_held) = stored.get(campaign).copied().unwrap_or_default();
            let (counted_total, counted_held) = counted.get(campaign).copied().unwrap_or_default();
            Sql::<D>::new(
                "INSERT INTO campaign_totals (campaign, total, held) VALUES ($1, $2, $3)
                 ON CONFLICT (campaign) DO UPDATE SET total = excluded.total, held = excluded.held",
            )
            .text(campaign)
            .int(counted_total as i64)
            .int(counted_held as i64)
            .execute(&mut tx)
            .await
            .map_err(db("storing recounted totals"))?;
            report.push(Recount {
                campaign: campaign.clone(),
                stored_total,
                counted_total,
                stored_held,
                counted_held,
                breakdowns_mended: mended.get(campaign).copied().unwrap_or(0),
            });
        }
        self.commit(tx, "committing a recount").await?;
        Ok(report)
    }

    /// See [`crate::storage::SecretStore::instance_secret`].
    pub(crate) async fn instance_secret(&self, name: &str, fresh: &str) -> StorageResult<String> {
        let mut connection = self.read("storing an instance secret").await?;
        // Insert-if-absent, then read: a concurrent first start that loses the
        // insert reads the winner's value.
        Sql::<D>::new("INSERT INTO instance_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .text(name)
            .text(fresh)
            .execute(&mut connection)
            .await
            .map_err(db("storing an instance secret"))?;
        let row = Sql::<D>::new("SELECT value FROM instance_secrets WHERE name = $1")
            .text(name)
            .fetch_one(&mut connection)
            .await
            .map_err(db("reading an instance secret"))?;
        Ok(D::text(&row, "value"))
    }
}
