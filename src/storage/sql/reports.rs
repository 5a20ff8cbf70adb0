//! What organisers read, written once: breakdowns and the export.

use chrono::NaiveDate;

use super::rows::platform_of;
use super::{Dialect, General, Sql, count};
use crate::storage::{ExportRow, Stats, StorageResult, Tally, db, every_day};

impl<D: Dialect> General<D> {
    /// Label-and-count rows of a query on one campaign, most first.
    pub(super) async fn tallies(
        &self,
        sql: &'static str,
        campaign: &str,
        action: &'static str,
    ) -> StorageResult<Vec<Tally>> {
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
}
