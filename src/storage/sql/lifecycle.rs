//! Closing, reopening and forgetting, written once for both databases.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::breakdowns::add_to_breakdowns;
use super::review::insert_audit;
use super::rows::platform_of;
use super::updates::{Recipients, insert_update};
use super::{Dialect, General, Sql, count};
use crate::domain::{Identity, Platform};
use crate::storage::breakdowns::{Deltas, REFERRAL};
use crate::storage::lifecycle::{Lifecycle, Reopening};
use crate::storage::{AuditEntry, NewUpdate, StorageResult, db};

impl<D: Dialect> General<D> {
    /// See [`crate::storage::LifecycleStore::lifecycles`].
    pub(crate) async fn lifecycles(&self) -> StorageResult<Vec<Lifecycle>> {
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
    pub(crate) async fn close_campaign(
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
    pub(crate) async fn reopen_campaign(&self, audit: &AuditEntry) -> StorageResult<Reopening> {
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
    pub(crate) async fn mark_delivered(&self, campaign: &str, at: DateTime<Utc>) -> StorageResult<()> {
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
    pub(crate) async fn signatures_to_anonymise(&self, campaign: &str) -> StorageResult<u64> {
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

    /// See [`crate::storage::LifecycleStore::anonymise`]; also returns the
    /// conversations deleted, for a storage that keeps them in memory.
    pub(crate) async fn anonymise(&self, campaign: &str, at: DateTime<Utc>) -> StorageResult<(u64, Vec<Identity>)> {
        let mut tx = self.write("anonymising a campaign").await?;
        // Referral codes are forgotten with the rest, so the breakdown of
        // them goes too; the others stay as they are. The totals row first,
        // as every writer takes it before breakdown rows (this changes
        // nothing in it).
        Sql::<D>::new("UPDATE campaign_totals SET total = total WHERE campaign = $1")
            .text(campaign)
            .execute(&mut tx)
            .await
            .map_err(db("locking the counters"))?;
        let referrals = Sql::<D>::new(
            "SELECT referral_code, COUNT(*) AS count FROM signatures
             WHERE campaign = $1 AND status = 'counted' AND referral_code IS NOT NULL
             AND platform_user_id NOT LIKE 'anonymised-%' GROUP BY referral_code",
        )
        .text(campaign)
        .fetch_all(&mut tx)
        .await
        .map_err(db("counting referrals to forget"))?;
        let mut forgotten = Deltas::default();
        for row in &referrals {
            let code = D::text(row, "referral_code");
            forgotten.add_one(campaign.into(), REFERRAL, code.into(), -D::int(row, "count"));
        }
        add_to_breakdowns::<D>(&mut tx, &forgotten).await?;
        let anonymised = Sql::<D>::new(
            "UPDATE signatures SET name = '', email = NULL, email_domain = NULL, referral_code = NULL,
                 updates_opt_in = false, platform_user_id = 'anonymised-' || CAST(id AS TEXT),
                 share_code = 'anonymised-' || CAST(id AS TEXT)
             WHERE campaign = $1 AND platform_user_id NOT LIKE 'anonymised-%'",
        )
        .text(campaign)
        .execute(&mut tx)
        .await
        .map_err(db("anonymising signatures"))?;
        Sql::<D>::new(D::SIGNING_TIMES_TO_THE_DAY)
            .text(campaign)
            .execute(&mut tx)
            .await
            .map_err(db("keeping only the day of signatures"))?;
        Sql::<D>::new("DELETE FROM signing_attempts WHERE campaign = $1")
            .text(campaign)
            .execute(&mut tx)
            .await
            .map_err(db("deleting signing attempts"))?;
        // A saved conversation's JSON starts with its campaign.
        let prefix = format!("{{\"campaign\":{}", serde_json::Value::from(campaign));
        let ended = Sql::<D>::new(
            "DELETE FROM conversations WHERE substr(state, 1, CAST($2 AS INTEGER)) = $1
             RETURNING platform, platform_user_id",
        )
        .text(&prefix)
        .int(prefix.chars().count() as i64)
        .fetch_all(&mut tx)
        .await
        .map_err(db("deleting a campaign's conversations"))?;
        let ended = ended
            .iter()
            .map(|row| {
                Ok(Identity::new(
                    platform_of::<D>(row, "platform")?,
                    D::text(row, "platform_user_id"),
                ))
            })
            .collect::<StorageResult<Vec<_>>>()?;
        Sql::<D>::new(
            "DELETE FROM update_deliveries WHERE state IN ('pending', 'sending', 'cancelled')
             AND update_id IN (SELECT id FROM updates WHERE campaign = $1)",
        )
        .text(campaign)
        .execute(&mut tx)
        .await
        .map_err(db("deleting a campaign's waiting deliveries"))?;
        let people = Sql::<D>::new(
            "SELECT DISTINCT platform, platform_user_id FROM update_deliveries
             WHERE update_id IN (SELECT id FROM updates WHERE campaign = $1)
             AND platform_user_id NOT LIKE 'erased-%' AND platform_user_id NOT LIKE 'chat:%'",
        )
        .text(campaign)
        .fetch_all(&mut tx)
        .await
        .map_err(db("finding a campaign's recipients"))?;
        let mut names = HashSet::new();
        for person in &people {
            let platform: Platform = platform_of::<D>(person, "platform")?;
            let name = std::iter::repeat_with(|| format!("erased-{:016x}", rand::random::<u64>()))
                .find(|name| names.insert(name.clone()))
                .expect("an endless supply of names");
            Sql::<D>::new(
                "UPDATE update_deliveries SET platform_user_id = $3 WHERE platform = $1 AND platform_user_id = $2
                 AND update_id IN (SELECT id FROM updates WHERE campaign = $4)",
            )
            .text(platform.as_str())
            .text(&D::text(person, "platform_user_id"))
            .text(&name)
            .text(campaign)
            .execute(&mut tx)
            .await
            .map_err(db("erasing a recipient"))?;
        }
        Sql::<D>::new(
            "INSERT INTO campaign_lifecycle (campaign, anonymised_at) VALUES ($1, $2)
             ON CONFLICT (campaign) DO UPDATE SET anonymised_at = COALESCE(campaign_lifecycle.anonymised_at, $2)",
        )
        .text(campaign)
        .time(at)
        .execute(&mut tx)
        .await
        .map_err(db("noting an anonymisation"))?;
        self.commit(tx, "committing an anonymisation").await?;
        self.erased();
        Ok((anonymised, ended))
    }
}
