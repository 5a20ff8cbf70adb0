//! The queries both databases share, each written once over a [`Dialect`]:
//! organisers' review, reports, the audit and connection logs, secrets,
//! withdrawals and the housekeeping deletes, and how a signature row is
//! written into a batch and read back.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Pool;

use super::{Connection, Dialect, Row, Sql, count};
use crate::domain::{Dimension, Email, HoldReason, Identity, Platform, ShareCode, SignerName};
use crate::storage::erasure::Eraser;
use crate::storage::{
    Anomaly, AuditEntry, DuplicateMatch, ExportRow, HeldSummary, Matched, NewSignature, PriorSignature, Recount,
    ReviewAction, ReviewOutcome, Selection, Signature, SignatureStatus, Stats, StorageError, StorageResult, Tally,
    VelocityCount, db, every_day, hour_of, location_from_columns,
};

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

    async fn read(&self, action: &'static str) -> StorageResult<sqlx::pool::PoolConnection<D::Db>> {
        self.pool.acquire().await.map_err(db(action))
    }

    async fn write(&self, action: &'static str) -> StorageResult<sqlx::Transaction<'static, D::Db>> {
        self.check()?;
        D::begin_write(&self.pool).await.map_err(db(action))
    }

    async fn commit(&self, tx: sqlx::Transaction<'static, D::Db>, action: &'static str) -> StorageResult<()> {
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
        let deleted = Sql::<D>::new(
            "DELETE FROM signatures WHERE campaign = $1 AND platform = $2 AND platform_user_id = $3 RETURNING status",
        )
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

    /// Label-and-count rows of a query on one campaign, most first.
    async fn tallies(&self, sql: &'static str, campaign: &str, action: &'static str) -> StorageResult<Vec<Tally>> {
        let mut connection = self.read(action).await?;
        let rows = Sql::<D>::new(sql)
            .text(campaign)
            .fetch_all(&mut connection)
            .await
            .map_err(db(action))?;
        Ok(rows
            .iter()
            .map(|row| Tally::new(D::text(row, "label"), count::<D>(row, "count")))
            .collect())
    }

    /// See [`crate::storage::ReportStore::stats`].
    pub(crate) async fn stats(&self, campaign: &str, since: NaiveDate, today: NaiveDate) -> StorageResult<Stats> {
        let mut connection = self.read("counting signatures by day").await?;
        let from = since.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc();
        let days: Vec<(NaiveDate, u64)> = Sql::<D>::new(D::COUNTED_BY_DAY)
            .text(campaign)
            .time(from)
            .fetch_all(&mut connection)
            .await
            .map_err(db("counting signatures by day"))?
            .iter()
            .filter_map(|row| {
                let day = NaiveDate::parse_from_str(&D::text(row, "day"), "%Y-%m-%d").ok()?;
                Some((day, count::<D>(row, "count")))
            })
            .collect();
        let counters = Sql::<D>::new("SELECT total, held FROM campaign_totals WHERE campaign = $1")
            .text(campaign)
            .fetch_optional(&mut connection)
            .await
            .map_err(db("reading the counters"))?;
        drop(connection);
        let counted = |column| counters.as_ref().map_or(0, |row| count::<D>(row, column));
        let breakdown = "computing a breakdown";
        Ok(Stats {
            campaign: campaign.to_owned(),
            total: counted("total"),
            held: counted("held"),
            by_platform: self
                .tallies(
                    "SELECT platform AS label, COUNT(*) AS count FROM signatures
                     WHERE campaign = $1 AND status = 'counted' GROUP BY platform ORDER BY 2 DESC, 1",
                    campaign,
                    breakdown,
                )
                .await?,
            by_day: every_day(since, today, days),
            by_district: self
                .tallies(
                    "SELECT postcode_district AS label, COUNT(*) AS count FROM signatures
                     WHERE campaign = $1 AND status = 'counted' AND postcode_district IS NOT NULL
                     GROUP BY postcode_district ORDER BY 2 DESC, 1",
                    campaign,
                    breakdown,
                )
                .await?,
            by_country: self
                .tallies(
                    "SELECT country AS label, COUNT(*) AS count FROM signatures
                     WHERE campaign = $1 AND status = 'counted' AND country IS NOT NULL
                     GROUP BY country ORDER BY 2 DESC, 1",
                    campaign,
                    breakdown,
                )
                .await?,
            top_referral_codes: self
                .tallies(
                    "SELECT referral_code AS label, COUNT(*) AS count FROM signatures
                     WHERE campaign = $1 AND status = 'counted' AND referral_code IS NOT NULL
                     GROUP BY referral_code ORDER BY 2 DESC, 1 LIMIT 10",
                    campaign,
                    breakdown,
                )
                .await?,
        })
    }

    /// See [`crate::storage::ReportStore::export`].
    pub(crate) async fn export(&self, campaign: &str) -> StorageResult<Vec<ExportRow>> {
        let mut connection = self.read("exporting signatures").await?;
        let rows = Sql::<D>::new(
            "SELECT name, postcode_district, country, platform, created_at FROM signatures
             WHERE campaign = $1 AND status = 'counted' ORDER BY id",
        )
        .text(campaign)
        .fetch_all(&mut connection)
        .await
        .map_err(db("exporting signatures"))?;
        rows.iter()
            .map(|row| {
                Ok(ExportRow {
                    name: D::text(row, "name"),
                    postcode_district: D::maybe_text(row, "postcode_district"),
                    country: D::maybe_text(row, "country"),
                    platform: platform_of::<D>(row, "platform")?,
                    signed_at: D::time(row, "created_at")?,
                })
            })
            .collect()
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

    /// See [`crate::storage::ReviewStore::held_summary`].
    pub(crate) async fn held_summary(&self, campaign: &str) -> StorageResult<HeldSummary> {
        let action = "summarising held signatures";
        let by_reason = self
            .tallies(
                "SELECT hold_reason AS label, COUNT(*) AS count FROM signatures WHERE campaign = $1 AND status = 'held'
                 GROUP BY hold_reason ORDER BY 2 DESC, 1",
                campaign,
                action,
            )
            .await?;
        Ok(HeldSummary {
            held: by_reason.iter().map(|t| t.count).sum(),
            by_reason,
            by_platform: self
                .tallies(
                    "SELECT platform AS label, COUNT(*) AS count FROM signatures WHERE campaign = $1 AND status = 'held'
                     GROUP BY platform ORDER BY 2 DESC, 1",
                    campaign,
                    action,
                )
                .await?,
            by_email_domain: self
                .tallies(
                    "SELECT email_domain AS label, COUNT(*) AS count FROM signatures
                     WHERE campaign = $1 AND status = 'held' AND email_domain IS NOT NULL
                     GROUP BY email_domain ORDER BY 2 DESC, 1 LIMIT 10",
                    campaign,
                    action,
                )
                .await?,
            by_district: self
                .tallies(
                    "SELECT postcode_district AS label, COUNT(*) AS count FROM signatures
                     WHERE campaign = $1 AND status = 'held' AND postcode_district IS NOT NULL
                     GROUP BY postcode_district ORDER BY 2 DESC, 1 LIMIT 10",
                    campaign,
                    action,
                )
                .await?,
        })
    }

    /// See [`crate::storage::ReviewStore::count_selected`].
    pub(crate) async fn count_selected(
        &self,
        campaign: &str,
        selection: &Selection,
        action: ReviewAction,
    ) -> StorageResult<Matched> {
        let mut connection = self.read("counting selected signatures").await?;
        let rows = selected::<D>(SELECTED_BY_STATUS, campaign, selection)
            .fetch_all(&mut connection)
            .await
            .map_err(db("counting selected signatures"))?;
        let by_status = |status: &str| {
            rows.iter()
                .find(|row| D::text(row, "status") == status)
                .map_or(0, |row| count::<D>(row, "count"))
        };
        // Releasing touches only held signatures.
        Ok(Matched {
            held: by_status("held"),
            counted: match action {
                ReviewAction::Release => 0,
                ReviewAction::Invalidate => by_status("counted"),
            },
        })
    }

    /// See [`crate::storage::ReviewStore::apply_review`].
    pub(crate) async fn apply_review(
        &self,
        campaign: &str,
        selection: &Selection,
        action: ReviewAction,
        audit: &AuditEntry,
    ) -> StorageResult<ReviewOutcome> {
        let mut tx = self.write("starting a review").await?;
        // Held first, then counted, so each update's row count says exactly
        // which counter to adjust.
        let mut moved = Matched::default();
        let steps: &[(&str, &str)] = match action {
            ReviewAction::Release => &[("held", "counted")],
            ReviewAction::Invalidate => &[("held", "invalidated"), ("counted", "invalidated")],
        };
        for (from, to) in steps {
            let changed = selected::<D>(REVIEW_UPDATE, campaign, selection)
                .text(from)
                .text(to)
                .execute(&mut tx)
                .await
                .map_err(db("changing selected signatures"))?;
            match *from {
                "held" => moved.held = changed,
                _ => moved.counted = changed,
            }
        }
        let (total_change, held_change) = match action {
            ReviewAction::Release => (moved.held as i64, -(moved.held as i64)),
            ReviewAction::Invalidate => (-(moved.counted as i64), -(moved.held as i64)),
        };
        let counters = Sql::<D>::new(
            "INSERT INTO campaign_totals (campaign, total, held) VALUES ($1, 0, 0)
             ON CONFLICT (campaign) DO UPDATE SET total = campaign_totals.total + $2, held = campaign_totals.held + $3
             RETURNING total, held",
        )
        .text(campaign)
        .int(total_change)
        .int(held_change)
        .fetch_one(&mut tx)
        .await
        .map_err(db("adjusting the counters"))?;
        let affected = moved.held + moved.counted;
        insert_audit::<D>(
            &mut tx,
            &AuditEntry {
                affected,
                ..audit.clone()
            },
        )
        .await?;
        self.commit(tx, "committing a review").await?;
        Ok(ReviewOutcome {
            affected,
            total: count::<D>(&counters, "total"),
            held: count::<D>(&counters, "held"),
        })
    }

    /// See [`crate::storage::ReviewStore::record_audit`].
    pub(crate) async fn record_audit(&self, entry: &AuditEntry) -> StorageResult<()> {
        let mut connection = self.read("writing the audit log").await?;
        insert_audit::<D>(&mut connection, entry).await
    }

    /// See [`crate::storage::ReviewStore::audit_log`].
    pub(crate) async fn audit_log(&self, campaign: &str) -> StorageResult<Vec<AuditEntry>> {
        let mut connection = self.read("reading the audit log").await?;
        let rows = Sql::<D>::new(
            "SELECT actor_platform, actor_user_id, action, detail, affected, at FROM audit_log
             WHERE campaign = $1 ORDER BY id",
        )
        .text(campaign)
        .fetch_all(&mut connection)
        .await
        .map_err(db("reading the audit log"))?;
        rows.iter()
            .map(|row| {
                Ok(AuditEntry {
                    campaign: campaign.to_owned(),
                    actor: Identity::new(platform_of::<D>(row, "actor_platform")?, D::text(row, "actor_user_id")),
                    action: D::text(row, "action"),
                    detail: D::text(row, "detail"),
                    affected: count::<D>(row, "affected"),
                    at: D::time(row, "at")?,
                })
            })
            .collect()
    }

    /// See [`crate::storage::ReviewStore::velocity`].
    pub(crate) async fn velocity(
        &self,
        campaign: &str,
        since: DateTime<Utc>,
        thresholds: [u64; 3],
    ) -> StorageResult<Vec<VelocityCount>> {
        let mut connection = self.read("measuring velocity").await?;
        let [domain, district, platform] = thresholds.map(|t| t as i64);
        let rows = Sql::<D>::new(VELOCITY)
            .text(campaign)
            .time(since)
            .int(domain)
            .int(district)
            .int(platform)
            .fetch_all(&mut connection)
            .await
            .map_err(db("measuring velocity"))?;
        rows.iter()
            .map(|row| {
                Ok(VelocityCount {
                    dimension: dimension_of::<D>(row)?,
                    value: D::text(row, "value"),
                    count: count::<D>(row, "count"),
                })
            })
            .collect()
    }

    /// See [`crate::storage::ReviewStore::record_anomaly`].
    pub(crate) async fn record_anomaly(&self, anomaly: &Anomaly) -> StorageResult<bool> {
        let mut connection = self.read("recording an anomaly").await?;
        let inserted = Sql::<D>::new(
            "INSERT INTO anomalies (campaign, dimension, value, hour, count, threshold, detected_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        )
        .text(&anomaly.campaign)
        .text(anomaly.dimension.as_str())
        .text(&anomaly.value)
        .int(hour_of(anomaly.detected_at))
        .int(anomaly.count as i64)
        .int(anomaly.threshold as i64)
        .time(anomaly.detected_at)
        .execute(&mut connection)
        .await
        .map_err(db("recording an anomaly"))?;
        Ok(inserted == 1)
    }

    /// See [`crate::storage::ReviewStore::anomalies`].
    pub(crate) async fn anomalies(&self, campaign: &str, since: DateTime<Utc>) -> StorageResult<Vec<Anomaly>> {
        let mut connection = self.read("reading anomalies").await?;
        let rows = Sql::<D>::new(
            "SELECT dimension, value, count, threshold, detected_at FROM anomalies
             WHERE campaign = $1 AND detected_at >= $2 ORDER BY detected_at DESC",
        )
        .text(campaign)
        .time(since)
        .fetch_all(&mut connection)
        .await
        .map_err(db("reading anomalies"))?;
        rows.iter()
            .map(|row| {
                Ok(Anomaly {
                    campaign: campaign.to_owned(),
                    dimension: dimension_of::<D>(row)?,
                    value: D::text(row, "value"),
                    count: count::<D>(row, "count"),
                    threshold: count::<D>(row, "threshold"),
                    detected_at: D::time(row, "detected_at")?,
                })
            })
            .collect()
    }

    /// See [`crate::storage::ReviewStore::recount`].
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
        let mut campaigns: Vec<&String> = stored.keys().chain(counted.keys()).collect();
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

/// The selection filters, shared by the dry run and the change. A filter
/// left NULL matches everything.
macro_rules! selection_filter {
    () => {
        "campaign = $1
         AND ($2 IS NULL OR email_domain = $2)
         AND ($3 IS NULL OR postcode_district = $3)
         AND ($4 IS NULL OR platform = $4)
         AND ($5 IS NULL OR created_at >= $5)
         AND ($6 IS NULL OR created_at < $6)
         AND ($7 IS NULL OR hold_reason = $7)"
    };
}

const SELECTED_BY_STATUS: &str = concat!(
    "SELECT status, COUNT(*) AS count FROM signatures WHERE ",
    selection_filter!(),
    " GROUP BY status"
);

/// $8: the status changed from; $9: to.
const REVIEW_UPDATE: &str = concat!(
    "UPDATE signatures SET status = $9, hold_reason = CASE WHEN $9 = 'counted' THEN NULL ELSE hold_reason END WHERE ",
    selection_filter!(),
    " AND status = $8"
);

/// A selection's filters bound as `selection_filter!` takes them.
fn selected<D: Dialect>(sql: &'static str, campaign: &str, selection: &Selection) -> Sql<D> {
    Sql::<D>::new(sql)
        .text(campaign)
        .maybe_text(selection.email_domain.as_deref())
        .maybe_text(selection.postcode_district.as_deref())
        .maybe_text(selection.platform.map(Platform::as_str))
        .maybe_time(selection.since)
        .maybe_time(selection.until)
        .maybe_text(selection.reason.map(HoldReason::as_str))
}

const VELOCITY: &str = "
    SELECT 'email_domain' AS dimension, email_domain AS value, COUNT(*) AS count FROM signatures
     WHERE campaign = $1 AND created_at >= $2 AND status <> 'invalidated' AND email_domain IS NOT NULL
     GROUP BY email_domain HAVING COUNT(*) >= $3
    UNION ALL
    SELECT 'postcode_district', postcode_district, COUNT(*) FROM signatures
     WHERE campaign = $1 AND created_at >= $2 AND status <> 'invalidated' AND postcode_district IS NOT NULL
     GROUP BY postcode_district HAVING COUNT(*) >= $4
    UNION ALL
    SELECT 'platform', platform, COUNT(*) FROM signatures
     WHERE campaign = $1 AND created_at >= $2 AND status <> 'invalidated'
     GROUP BY platform HAVING COUNT(*) >= $5";

async fn insert_audit<D: Dialect>(connection: &mut Connection<D>, entry: &AuditEntry) -> StorageResult<()> {
    Sql::<D>::new(
        "INSERT INTO audit_log (campaign, actor_platform, actor_user_id, action, detail, affected, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .text(&entry.campaign)
    .text(entry.actor.platform.as_str())
    .text(&entry.actor.user_id)
    .text(&entry.action)
    .text(&entry.detail)
    .int(entry.affected as i64)
    .time(entry.at)
    .execute(connection)
    .await
    .map_err(db("writing the audit log"))?;
    Ok(())
}

fn platform_of<D: Dialect>(row: &Row<D>, column: &str) -> StorageResult<Platform> {
    D::text(row, column).parse().map_err(StorageError::Corrupt)
}

fn dimension_of<D: Dialect>(row: &Row<D>) -> StorageResult<Dimension> {
    let value = D::text(row, "dimension");
    Dimension::parse(&value).ok_or_else(|| StorageError::Corrupt(format!("unknown dimension {value:?}")))
}

/// The earlier signature that turns `signature` away, if one does: by the
/// same account first, else by the same email. Holds nothing that
/// identifies the earlier account.
pub(crate) async fn prior_signature<D: Dialect>(
    connection: &mut Connection<D>,
    signature: &NewSignature,
) -> StorageResult<Option<PriorSignature>> {
    let row = Sql::<D>::new(
        "SELECT platform, created_at, (platform = $2 AND platform_user_id = $3) AS same_identity
         FROM signatures
         WHERE campaign = $1 AND ((platform = $2 AND platform_user_id = $3) OR email = $4)
         ORDER BY same_identity DESC LIMIT 1",
    )
    .text(&signature.campaign)
    .text(signature.identity.platform.as_str())
    .text(&signature.identity.user_id)
    .maybe_text(signature.email.as_ref().map(Email::as_str))
    .fetch_optional(connection)
    .await
    .map_err(db("looking for an earlier signature"))?;
    row.map(|row| {
        Ok(PriorSignature {
            platform: platform_of::<D>(&row, "platform")?,
            signed_at: D::time(&row, "created_at")?,
            matched_by: if D::boolean(&row, "same_identity") {
                DuplicateMatch::Identity
            } else {
                DuplicateMatch::Email
            },
        })
    })
    .transpose()
}

/// The columns of a signature row, in the order the batch statements take
/// them from each JSON row.
pub(crate) type SignatureRow<'a, T> = (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    bool,
    u32,
    T,
    Option<&'a str>,
    &'a str,
    T,
    &'static str,
    Option<&'static str>,
    Option<&'a str>,
);

/// A signature as a JSON row for the batch statements: campaign, platform,
/// platform user id, name, email, postcode district, country, updates
/// opt-in, consent version, consent time, referral code, share code,
/// created time, status, hold reason, email domain.
pub(crate) fn signature_row<'a, D: Dialect>(
    signature: &'a NewSignature,
    code: &'a ShareCode,
) -> SignatureRow<'a, D::JsonTime> {
    (
        signature.campaign.as_str(),
        signature.identity.platform.as_str(),
        signature.identity.user_id.as_str(),
        signature.name.as_str(),
        signature.email.as_ref().map(Email::as_str),
        signature.location.district(),
        signature.location.country(),
        signature.updates_opt_in,
        signature.consent_version,
        D::json_time(signature.consent_at),
        signature.referral_code.as_ref().map(ShareCode::as_str),
        code.as_str(),
        D::json_time(signature.created_at),
        if signature.hold.is_some() { "held" } else { "counted" },
        signature.hold.map(HoldReason::as_str),
        signature.email.as_ref().map(Email::domain),
    )
}

/// A stored signature read back from a row of `campaign, platform,
/// platform_user_id, name, email, postcode_district, country,
/// updates_opt_in, consent_version, consent_at, referral_code, share_code,
/// created_at, status, hold_reason`.
pub(crate) fn signature_from_row<D: Dialect>(row: &Row<D>) -> StorageResult<Signature> {
    Ok(Signature {
        campaign: D::text(row, "campaign"),
        identity: Identity::new(platform_of::<D>(row, "platform")?, D::text(row, "platform_user_id")),
        name: SignerName::from_trusted(D::text(row, "name")),
        email: D::maybe_text(row, "email").map(Email::from_trusted),
        location: location_from_columns(D::maybe_text(row, "postcode_district"), D::maybe_text(row, "country"))?,
        updates_opt_in: D::boolean(row, "updates_opt_in"),
        consent_version: u32::try_from(D::int(row, "consent_version"))
            .map_err(|_| StorageError::Corrupt("a stored consent version is out of range".into()))?,
        consent_at: D::time(row, "consent_at")?,
        referral_code: D::maybe_text(row, "referral_code").and_then(|code| ShareCode::parse(&code)),
        share_code: ShareCode::parse(&D::text(row, "share_code"))
            .ok_or_else(|| StorageError::Corrupt("a stored share code is malformed".into()))?,
        created_at: D::time(row, "created_at")?,
        status: SignatureStatus::from_columns(&D::text(row, "status"), D::maybe_text(row, "hold_reason").as_deref())?,
    })
}

/// The signature each key of a batched lookup asked for, from the rows the
/// lookup found (as `signature_from_row` reads them).
pub(crate) fn signatures_answering<D: Dialect>(
    keys: &[(String, Identity)],
    rows: &[Row<D>],
) -> StorageResult<Vec<Option<Signature>>> {
    let found = rows.iter().map(signature_from_row::<D>).collect::<StorageResult<_>>()?;
    Ok(crate::storage::group_read::signatures_by_key(keys, found))
}
