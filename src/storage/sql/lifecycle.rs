//! Closing, reopening and forgetting, written once for both databases.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::review::insert_audit;
use super::updates::{Recipients, insert_update};
use super::{Dialect, General, Sql, count};
use crate::storage::lifecycle::{Lifecycle, Reopening};
use crate::storage::{AuditEntry, LifecycleStore, NewUpdate, StorageResult, db};

#[async_trait]
impl<D: Dialect> LifecycleStore for General<D> {
    /// See [`crate::storage::LifecycleStore::lifecycles`].
    async fn lifecycles(&self) -> StorageResult<Vec<Lifecycle>> {
        let mut connection = self.read("reading campaigns' lifecycles").await?;
        let rows = Sql::<D>::new(
            "SELECT campaign, closed_at, reopened, delivered_at, anonymised_at FROM campaign_lifecycle ORDER BY campaign",
        )
        .fetch_all(&mut connection)
        .await
        .map_err(db("reading campaigns' lifecycles"))?;
        rows.iter()
            .map(|row| {
                Ok(Lifecycle {
                    campaign: D::text(row, "campaign"),
                    closed_at: D::maybe_time(row, "closed_at")?,
                    reopened: D::boolean(row, "reopened"),
                    delivered_at: D::maybe_time(row, "delivered_at")?,
                    anonymised_at: D::maybe_time(row, "anonymised_at")?,
                })
            })
            .collect()
    }

    /// See [`crate::storage::LifecycleStore::close_campaign`].
    async fn close_campaign(
        &self,
        at: DateTime<Utc>,
        audit: &AuditEntry,
        announcement: &NewUpdate,
    ) -> StorageResult<Option<i64>> {
        let mut tx = self.write("closing a campaign").await?;
        let closed = Sql::<D>::new(
            "INSERT INTO campaign_lifecycle (campaign, closed_at) VALUES ($1, $2)
             ON CONFLICT (campaign) DO UPDATE SET closed_at = excluded.closed_at
             WHERE campaign_lifecycle.closed_at IS NULL",
        )
        .text(&audit.campaign)
        .time(at)
        .execute(&mut tx)
        .await
        .map_err(db("closing a campaign"))?;
        if closed == 0 {
            return Ok(None);
        }
        let (id, deliveries) = insert_update::<D>(&mut tx, announcement, Recipients::SignersAndChats).await?;
        let audit = AuditEntry {
            detail: format!("announced in update #{id}"),
            affected: deliveries,
            ..audit.clone()
        };
        insert_audit::<D>(&mut tx, &audit).await?;
        self.commit(tx, "committing a closing").await?;
        Ok(Some(id))
    }

    /// See [`crate::storage::LifecycleStore::reopen_campaign`].
    async fn reopen_campaign(&self, audit: &AuditEntry) -> StorageResult<Reopening> {
        let mut tx = self.write("reopening a campaign").await?;
        let reopened = Sql::<D>::new(
            "INSERT INTO campaign_lifecycle (campaign, reopened) VALUES ($1, true)
             ON CONFLICT (campaign) DO UPDATE SET closed_at = NULL, reopened = true
             WHERE campaign_lifecycle.delivered_at IS NULL AND campaign_lifecycle.anonymised_at IS NULL",
        )
        .text(&audit.campaign)
        .execute(&mut tx)
        .await
        .map_err(db("reopening a campaign"))?;
        if reopened == 0 {
            // Which of the two keeps it closed: delivery says the most.
            let row = Sql::<D>::new(
                "SELECT COUNT(*) AS count FROM campaign_lifecycle WHERE campaign = $1 AND delivered_at IS NOT NULL",
            )
            .text(&audit.campaign)
            .fetch_one(&mut tx)
            .await
            .map_err(db("reading why a campaign stays closed"))?;
            return Ok(if count::<D>(&row, "count") > 0 {
                Reopening::AlreadyDelivered
            } else {
                Reopening::AlreadyAnonymised
            });
        }
        insert_audit::<D>(&mut tx, audit).await?;
        self.commit(tx, "committing a reopening").await?;
        Ok(Reopening::Reopened)
    }

    /// See [`crate::storage::LifecycleStore::mark_delivered`].
    async fn mark_delivered(&self, campaign: &str, at: DateTime<Utc>) -> StorageResult<()> {
        let mut tx = self.write("noting a delivery").await?;
        Sql::<D>::new(
            "INSERT INTO campaign_lifecycle (campaign, delivered_at) VALUES ($1, $2)
             ON CONFLICT (campaign) DO UPDATE SET delivered_at = excluded.delivered_at",
        )
        .text(campaign)
        .time(at)
        .execute(&mut tx)
        .await
        .map_err(db("noting a delivery"))?;
        self.commit(tx, "committing a delivery").await
    }

    /// See [`crate::storage::LifecycleStore::signatures_to_anonymise`].
    async fn signatures_to_anonymise(&self, campaign: &str) -> StorageResult<u64> {
        let mut connection = self.read("counting signatures to anonymise").await?;
        let row = Sql::<D>::new(
            "SELECT COUNT(*) AS count FROM signatures WHERE campaign = $1 AND platform_user_id NOT LIKE 'anonymised-%'",
        )
        .text(campaign)
        .fetch_one(&mut connection)
        .await
        .map_err(db("counting signatures to anonymise"))?;
        Ok(count::<D>(&row, "count"))
    }
}
