//! Keeping the count honest, written once: held signatures and organisers'
//! review of them, the audit log, velocity and anomalies.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::breakdowns::{add_to_breakdowns, label_columns, labels_of_row, recount_breakdowns};
use super::rows::{dimension_of, platform_of};
use super::{Connection, Dialect, General, Sql, count};
use crate::domain::{HoldReason, Identity, Platform};
use crate::storage::breakdowns::Deltas;
use crate::storage::{
    Anomaly, AuditEntry, HeldSummary, Matched, Recount, ReviewAction, ReviewOutcome, ReviewStore, Selection,
    StorageResult, VelocityCount, db, hour_of,
};

#[async_trait]
impl<D: Dialect> ReviewStore for General<D> {
    /// See [`crate::storage::ReviewStore::held_summary`].
    async fn held_summary(&self, campaign: &str) -> StorageResult<HeldSummary> {
        let [by_reason, by_platform, by_email_domain, by_district] = self
            .tallies(
                [
                    tally_by!("hold_reason", "held"),
                    tally_by!("platform", "held"),
                    tally_by!("email_domain", "held", limit 10),
                    tally_by!("postcode_district", "held", limit 10),
                ],
                campaign,
                "summarising held signatures",
            )
            .await?;
        Ok(HeldSummary {
            held: by_reason.iter().map(|t| t.count).sum(),
            by_reason,
            by_platform,
            by_email_domain,
            by_district,
        })
    }

    /// See [`crate::storage::ReviewStore::count_selected`].
    async fn count_selected(
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
    async fn apply_review(
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
        // Counted signatures that stop being counted, or held ones that
        // start, move the breakdowns too; held ones invalidated do not.
        let mut breakdowns = Deltas::default();
        for (from, to) in steps {
            let changed = selected::<D>(REVIEW_UPDATE, campaign, selection)
                .text(from)
                .text(to)
                .fetch_all(&mut tx)
                .await
                .map_err(db("changing selected signatures"))?;
            let by = match (*from, *to) {
                (_, "counted") => 1,
                ("counted", _) => -1,
                _ => 0,
            };
            if by != 0 {
                for row in &changed {
                    breakdowns.add(labels_of_row::<D>(campaign, row)?, by);
                }
            }
            match *from {
                "held" => moved.held = changed.len() as u64,
                _ => moved.counted = changed.len() as u64,
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
        // After the totals row, as every writer takes them.
        add_to_breakdowns::<D>(&mut tx, &breakdowns).await?;
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
    async fn record_audit(&self, entry: &AuditEntry) -> StorageResult<()> {
        let mut connection = self.read("writing the audit log").await?;
        insert_audit::<D>(&mut connection, entry).await
    }

    /// See [`crate::storage::ReviewStore::audit_log`].
    async fn audit_log(&self, campaign: &str) -> StorageResult<Vec<AuditEntry>> {
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
    async fn velocity(
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
    async fn record_anomaly(&self, anomaly: &Anomaly) -> StorageResult<bool> {
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
    async fn anomalies(&self, campaign: &str, since: DateTime<Utc>) -> StorageResult<Vec<Anomaly>> {
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

    /// See [`crate::storage::ReviewStore::recount`]: the totals and the
    /// breakdown counters, in one transaction.
    async fn recount(&self) -> StorageResult<Vec<Recount>> {
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

/// $8: the status changed from; $9: to. Returns what the changed
/// signatures are counted under in the breakdowns.
const REVIEW_UPDATE: &str = concat!(
    "UPDATE signatures SET status = $9, hold_reason = CASE WHEN $9 = 'counted' THEN NULL ELSE hold_reason END WHERE ",
    selection_filter!(),
    " AND status = $8 RETURNING ",
    label_columns!()
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

pub(super) async fn insert_audit<D: Dialect>(connection: &mut Connection<D>, entry: &AuditEntry) -> StorageResult<()> {
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
