//! What a signer withdraws, what retention erases and what anonymising
//! forgets, written once for both databases: the erasures [`Storage`]
//! also applies to its conversation cache.
//!
//! [`Storage`]: crate::storage::Storage

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::breakdowns::{add_to_breakdowns, label_columns, labels_of_row};
use super::rows::platform_of;
use super::{Dialect, General, Sql, count};
use crate::domain::{Identity, Platform};
use crate::storage::breakdowns::{Deltas, REFERRAL};
use crate::storage::database::Erasures;
use crate::storage::{StorageResult, db};

#[async_trait]
impl<D: Dialect> Erasures for General<D> {
    /// Deletes a signature and everything held with it; the campaign's new
    /// total, or `None` if there was nothing to delete.
    async fn withdraw(&self, campaign: &str, who: &Identity) -> StorageResult<Option<u64>> {
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
    async fn delete_conversations_idle_since(&self, cutoff: DateTime<Utc>) -> StorageResult<u64> {
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

    /// See [`crate::storage::LifecycleStore::anonymise`]; also returns the
    /// conversations deleted, for a storage that keeps them in memory.
    async fn anonymise(&self, campaign: &str, at: DateTime<Utc>) -> StorageResult<(u64, Vec<Identity>)> {
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

    /// Something was erased: have it cleared from the disk soon.
    fn erased(&self) {
        self.eraser.erased();
    }

    /// Clears from the disk now what was erased and not cleared yet: for a
    /// process about to exit, which would not wait for the eraser's turn.
    async fn clear_what_is_owed(&self) {
        if !self.eraser.owed() {
            return;
        }
        if let Err(error) = D::clear_erased(&self.pool).await {
            tracing::warn!(%error, "could not clear erased data from the disk before closing");
        }
    }
}
