//! What organisers read, written once: breakdowns and the export.

use async_trait::async_trait;
use chrono::NaiveDate;

use super::breakdowns::read_breakdowns;
use super::rows::platform_of;
use super::{Dialect, General, Sql, count};
use crate::storage::{ExportRow, ReportStore, Stats, StorageResult, Tally, db, every_day};

#[async_trait]
impl<D: Dialect> ReportStore for General<D> {
    /// See [`crate::storage::ReportStore::stats`]: read from the counters
    /// kept beside the signatures, never by grouping them, so it takes the
    /// same few milliseconds at a million signatures as at ten.
    async fn stats(&self, campaign: &str, since: NaiveDate, today: NaiveDate) -> StorageResult<Stats> {
        let mut connection = self.read("reading the breakdowns").await?;
        let counters = Sql::<D>::new("SELECT total, held FROM campaign_totals WHERE campaign = $1")
            .text(campaign)
            .fetch_optional(&mut connection)
            .await
            .map_err(db("reading the counters"))?;
        let label = |day: NaiveDate| day.format("%Y-%m-%d").to_string();
        let read = read_breakdowns::<D>(&mut connection, campaign, &label(since), &label(today)).await?;
        drop(connection);
        let counted = |column| counters.as_ref().map_or(0, |row| count::<D>(row, column));
        let days = read
            .days
            .into_iter()
            .filter_map(|tally| Some((NaiveDate::parse_from_str(&tally.label, "%Y-%m-%d").ok()?, tally.count)))
            .collect();
        Ok(Stats {
            campaign: campaign.to_owned(),
            total: counted("total"),
            held: counted("held"),
            by_platform: read.by_platform,
            by_day: every_day(since, today, days),
            by_district: read.by_district,
            by_country: read.by_country,
            top_referral_codes: read.top_referral_codes,
        })
    }

    /// See [`crate::storage::ReportStore::export`].
    async fn export(&self, campaign: &str) -> StorageResult<Vec<ExportRow>> {
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

impl<D: Dialect> General<D> {
    /// Breakdowns of one campaign (see `tally_by!`), one query each, on one
    /// connection.
    pub(super) async fn tallies<const N: usize>(
        &self,
        queries: [&'static str; N],
        campaign: &str,
        action: &'static str,
    ) -> StorageResult<[Vec<Tally>; N]> {
        let mut connection = self.read(action).await?;
        let mut tallies = [const { Vec::new() }; N];
        for (sql, tally) in queries.into_iter().zip(&mut tallies) {
            let rows = Sql::<D>::new(sql)
                .text(campaign)
                .fetch_all(&mut connection)
                .await
                .map_err(db(action))?;
            *tally = rows
                .iter()
                .map(|row| Tally::new(D::text(row, "label"), count::<D>(row, "count")))
                .collect();
        }
        Ok(tallies)
    }
}
