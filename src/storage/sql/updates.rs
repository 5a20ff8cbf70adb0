//! The outbox of updates to signers, written once for both databases: the
//! updates, a delivery row per recipient, and the senders' leases.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::review::insert_audit;
use super::rows::platform_of;
use super::{Connection, Dialect, General, Row, Sql, count};
use crate::domain::{Identity, Platform};
use crate::storage::updates::{DeliveryCounts, DeliveryResult, NewUpdate, StoredUpdate, UpdateState};
use crate::storage::{AuditEntry, StorageResult, UpdateStore, db};

/// Signers an update reaches: opted in, on a platform that can reach them
/// (the console cannot), their signature not invalidated. `$1` is the campaign.
macro_rules! recipients {
    ($columns:literal) => {
        concat!(
            "SELECT ",
            $columns,
            " FROM signatures WHERE campaign = $1 AND updates_opt_in AND status <> 'invalidated'
             AND platform IN ('telegram', 'discord')"
        )
    };
}

/// The columns `stored_updates` reads, then the rest of the query.
macro_rules! select_updates {
    ($tail:literal) => {
        concat!(
            "SELECT id, campaign, text, author_platform, author_user_id, created_at, state, finished_at,
             progress_message, summary_posted FROM updates ",
            $tail
        )
    };
}

#[async_trait]
impl<D: Dialect> UpdateStore for General<D> {
    /// See [`crate::storage::UpdateStore::update_reach`].
    async fn update_reach(&self, campaign: &str) -> StorageResult<Vec<(Platform, u64)>> {
        let mut connection = self.read("counting an update's recipients").await?;
        let rows = Sql::<D>::new(concat!(
            recipients!("platform, COUNT(*) AS count"),
            " GROUP BY platform ORDER BY platform"
        ))
        .text(campaign)
        .fetch_all(&mut connection)
        .await
        .map_err(db("counting an update's recipients"))?;
        let mut reach = rows
            .iter()
            .map(|row| Ok((platform_of::<D>(row, "platform")?, count::<D>(row, "count"))))
            .collect::<StorageResult<Vec<_>>>()?;
        reach.sort_by_key(|(platform, _)| *platform);
        Ok(reach)
    }

    /// See [`crate::storage::UpdateStore::create_update`].
    async fn create_update(&self, update: &NewUpdate, audit: &AuditEntry) -> StorageResult<(i64, u64)> {
        let mut tx = self.write("storing an update").await?;
        let (id, deliveries) = insert_update::<D>(&mut tx, update, Recipients::Signers).await?;
        let audit = AuditEntry {
            detail: format!("update #{id}"),
            affected: deliveries,
            ..audit.clone()
        };
        insert_audit::<D>(&mut tx, &audit).await?;
        self.commit(tx, "committing an update").await?;
        Ok((id, deliveries))
    }

    /// See [`crate::storage::UpdateStore::set_updates_opt_in`].
    async fn set_updates_opt_in(
        &self,
        campaign: Option<&str>,
        who: &Identity,
        opt_in: bool,
        wording: u32,
    ) -> StorageResult<u64> {
        let mut tx = self.write("changing a signer's updates").await?;
        let changed = if opt_in {
            Sql::<D>::new(
                "UPDATE signatures SET updates_opt_in = true, updates_wording = $4
                 WHERE platform = $1 AND platform_user_id = $2 AND ($3 IS NULL OR campaign = $3)",
            )
        } else {
            Sql::<D>::new(
                "UPDATE signatures SET updates_opt_in = false
                 WHERE platform = $1 AND platform_user_id = $2 AND ($3 IS NULL OR campaign = $3) AND $4 >= 0",
            )
        }
        .text(who.platform.as_str())
        .text(&who.user_id)
        .maybe_text(campaign)
        .int(i64::from(wording))
        .execute(&mut tx)
        .await
        .map_err(db("changing a signer's updates"))?;
        if !opt_in {
            Sql::<D>::new(
                "UPDATE update_deliveries SET state = 'cancelled'
                 WHERE platform = $1 AND platform_user_id = $2 AND state = 'pending'
                 AND ($3 IS NULL OR update_id IN (SELECT id FROM updates WHERE campaign = $3))",
            )
            .text(who.platform.as_str())
            .text(&who.user_id)
            .maybe_text(campaign)
            .execute(&mut tx)
            .await
            .map_err(db("dropping a signer's waiting updates"))?;
        }
        self.commit(tx, "committing a change of updates").await?;
        Ok(changed)
    }

    /// See [`crate::storage::UpdateStore::open_updates`].
    async fn open_updates(&self) -> StorageResult<Vec<StoredUpdate>> {
        let mut connection = self.read("reading open updates").await?;
        let rows = Sql::<D>::new(select_updates!(
            "WHERE state = 'sending' OR NOT summary_posted ORDER BY id"
        ))
        .fetch_all(&mut connection)
        .await
        .map_err(db("reading open updates"))?;
        self.stored_updates(&mut connection, &rows).await
    }

    /// See [`crate::storage::UpdateStore::stored_update`].
    async fn stored_update(&self, id: i64) -> StorageResult<Option<StoredUpdate>> {
        let mut connection = self.read("reading an update").await?;
        let rows = Sql::<D>::new(select_updates!("WHERE id = $1"))
            .int(id)
            .fetch_all(&mut connection)
            .await
            .map_err(db("reading an update"))?;
        Ok(self.stored_updates(&mut connection, &rows).await?.pop())
    }

    /// See [`crate::storage::UpdateStore::recent_updates`].
    async fn recent_updates(&self, campaign: &str, limit: u32) -> StorageResult<Vec<StoredUpdate>> {
        let mut connection = self.read("reading past updates").await?;
        let rows = Sql::<D>::new(select_updates!("WHERE campaign = $1 ORDER BY id DESC LIMIT $2"))
            .text(campaign)
            .int(i64::from(limit))
            .fetch_all(&mut connection)
            .await
            .map_err(db("reading past updates"))?;
        self.stored_updates(&mut connection, &rows).await
    }

    /// See [`crate::storage::UpdateStore::claim_update`].
    async fn claim_update(
        &self,
        id: i64,
        platform: Platform,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StorageResult<bool> {
        let mut tx = self.write("claiming an update").await?;
        let claimed = Sql::<D>::new(
            "INSERT INTO update_senders (update_id, platform, owner, until) VALUES ($1, $2, $3, $4)
             ON CONFLICT (update_id, platform) DO UPDATE SET owner = excluded.owner, until = excluded.until
             WHERE update_senders.owner = excluded.owner OR update_senders.until < $5",
        )
        .int(id)
        .text(platform.as_str())
        .text(owner)
        .time(until)
        .time(now)
        .execute(&mut tx)
        .await
        .map_err(db("claiming an update"))?;
        self.commit(tx, "committing a claim").await?;
        Ok(claimed == 1)
    }

    /// See [`crate::storage::UpdateStore::mark_in_flight_unknown`].
    async fn mark_in_flight_unknown(&self, id: i64, platform: Platform) -> StorageResult<u64> {
        let mut tx = self.write("recording deliveries left in flight").await?;
        let marked = Sql::<D>::new(
            "UPDATE update_deliveries SET state = 'unknown' WHERE update_id = $1 AND platform = $2 AND state = 'sending'",
        )
        .int(id)
        .text(platform.as_str())
        .execute(&mut tx)
        .await
        .map_err(db("recording deliveries left in flight"))?;
        self.commit(tx, "committing deliveries left in flight").await?;
        Ok(marked)
    }

    /// See [`crate::storage::UpdateStore::take_deliveries`].
    async fn take_deliveries(
        &self,
        id: i64,
        platform: Platform,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StorageResult<Vec<(String, u32)>> {
        let mut tx = self.write("taking deliveries").await?;
        let rows = Sql::<D>::new(
            "UPDATE update_deliveries SET state = 'sending', attempts = attempts + 1
             WHERE update_id = $1 AND platform = $2 AND platform_user_id IN (
                 SELECT platform_user_id FROM update_deliveries
                 WHERE update_id = $1 AND platform = $2 AND state = 'pending' AND not_before <= $3
                 ORDER BY not_before, platform_user_id LIMIT $4)
             RETURNING platform_user_id, attempts",
        )
        .int(id)
        .text(platform.as_str())
        .time(now)
        .int(i64::from(limit))
        .fetch_all(&mut tx)
        .await
        .map_err(db("taking deliveries"))?;
        self.commit(tx, "committing deliveries taken").await?;
        Ok(rows
            .iter()
            .map(|row| {
                (
                    D::text(row, "platform_user_id"),
                    D::int(row, "attempts").clamp(0, i64::from(u32::MAX)) as u32,
                )
            })
            .collect())
    }

    /// See [`crate::storage::UpdateStore::record_deliveries`].
    async fn record_deliveries(
        &self,
        id: i64,
        platform: Platform,
        results: &[(String, DeliveryResult)],
    ) -> StorageResult<()> {
        if results.is_empty() {
            return Ok(());
        }
        let mut tx = self.write("recording deliveries").await?;
        for (user_id, result) in results {
            let (state, retry_at) = match result {
                DeliveryResult::Sent => ("sent", None),
                DeliveryResult::Unreachable => ("unreachable", None),
                DeliveryResult::Failed => ("failed", None),
                DeliveryResult::RetryAt(at) => ("pending", Some(*at)),
            };
            Sql::<D>::new(
                "UPDATE update_deliveries SET state = $4, not_before = COALESCE($5, not_before)
                 WHERE update_id = $1 AND platform = $2 AND platform_user_id = $3 AND state = 'sending'",
            )
            .int(id)
            .text(platform.as_str())
            .text(user_id)
            .text(state)
            .maybe_time(retry_at)
            .execute(&mut tx)
            .await
            .map_err(db("recording a delivery"))?;
        }
        self.commit(tx, "committing deliveries").await
    }

    /// See [`crate::storage::UpdateStore::finish_update_if_done`].
    async fn finish_update_if_done(&self, id: i64, now: DateTime<Utc>) -> StorageResult<bool> {
        let mut tx = self.write("finishing an update").await?;
        let finished = Sql::<D>::new(
            "UPDATE updates SET state = 'finished', finished_at = $2
             WHERE id = $1 AND state = 'sending' AND NOT EXISTS (
                 SELECT 1 FROM update_deliveries WHERE update_id = $1 AND state IN ('pending', 'sending'))",
        )
        .int(id)
        .time(now)
        .execute(&mut tx)
        .await
        .map_err(db("finishing an update"))?;
        self.commit(tx, "committing a finished update").await?;
        Ok(finished == 1)
    }

    /// See [`crate::storage::UpdateStore::cancel_update`].
    async fn cancel_update(
        &self,
        campaign: &str,
        id: Option<i64>,
        audit: &AuditEntry,
    ) -> StorageResult<Option<StoredUpdate>> {
        let mut tx = self.write("cancelling an update").await?;
        let found = match id {
            Some(id) => Sql::<D>::new("SELECT id FROM updates WHERE campaign = $1 AND state = 'sending' AND id = $2")
                .text(campaign)
                .int(id),
            None => Sql::<D>::new(
                "SELECT id FROM updates WHERE campaign = $1 AND state = 'sending' ORDER BY id DESC LIMIT 1",
            )
            .text(campaign),
        }
        .fetch_optional(&mut tx)
        .await
        .map_err(db("finding an update to cancel"))?;
        let Some(found) = found else {
            return Ok(None);
        };
        let id = D::int(&found, "id");
        Sql::<D>::new("UPDATE updates SET state = 'cancelled', finished_at = $2 WHERE id = $1")
            .int(id)
            .time(audit.at)
            .execute(&mut tx)
            .await
            .map_err(db("cancelling an update"))?;
        let dropped = Sql::<D>::new(
            "UPDATE update_deliveries SET state = 'cancelled' WHERE update_id = $1 AND state = 'pending'",
        )
        .int(id)
        .execute(&mut tx)
        .await
        .map_err(db("dropping an update's waiting deliveries"))?;
        let audit = AuditEntry {
            detail: format!("update #{id}"),
            affected: dropped,
            ..audit.clone()
        };
        insert_audit::<D>(&mut tx, &audit).await?;
        self.commit(tx, "committing a cancelled update").await?;
        self.stored_update(id).await
    }

    /// See [`crate::storage::UpdateStore::set_progress_message`].
    async fn set_progress_message(&self, id: i64, message: &str) -> StorageResult<()> {
        let mut tx = self.write("storing a progress message").await?;
        Sql::<D>::new("UPDATE updates SET progress_message = $2 WHERE id = $1")
            .int(id)
            .text(message)
            .execute(&mut tx)
            .await
            .map_err(db("storing a progress message"))?;
        self.commit(tx, "committing a progress message").await
    }

    /// See [`crate::storage::UpdateStore::mark_summary_posted`].
    async fn mark_summary_posted(&self, id: i64) -> StorageResult<bool> {
        let mut tx = self.write("noting a summary").await?;
        let marked = Sql::<D>::new("UPDATE updates SET summary_posted = true WHERE id = $1 AND NOT summary_posted")
            .int(id)
            .execute(&mut tx)
            .await
            .map_err(db("noting a summary"))?;
        self.commit(tx, "committing a summary").await?;
        Ok(marked == 1)
    }
}

impl<D: Dialect> General<D> {
    /// Updates as read by `select_updates!`, each with its delivery counts.
    pub(super) async fn stored_updates(
        &self,
        connection: &mut Connection<D>,
        rows: &[Row<D>],
    ) -> StorageResult<Vec<StoredUpdate>> {
        let mut updates = Vec::with_capacity(rows.len());
        for row in rows {
            let id = D::int(row, "id");
            let mut counts = DeliveryCounts::default();
            for tally in Sql::<D>::new(
                "SELECT state, COUNT(*) AS count FROM update_deliveries WHERE update_id = $1 GROUP BY state",
            )
            .int(id)
            .fetch_all(connection)
            .await
            .map_err(db("counting an update's deliveries"))?
            {
                counts.add(&D::text(&tally, "state"), count::<D>(&tally, "count"))?;
            }
            updates.push(StoredUpdate {
                id,
                campaign: D::text(row, "campaign"),
                text: D::text(row, "text"),
                author: Identity::new(
                    platform_of::<D>(row, "author_platform")?,
                    D::text(row, "author_user_id"),
                ),
                created_at: D::time(row, "created_at")?,
                state: UpdateState::parse(&D::text(row, "state"))?,
                finished_at: D::maybe_time(row, "finished_at")?,
                progress_message: D::maybe_text(row, "progress_message"),
                summary_posted: D::boolean(row, "summary_posted"),
                counts,
            });
        }
        Ok(updates)
    }

    /// Removes a withdrawing signer from a campaign's updates: deliveries
    /// still waiting go, and those that happened keep their outcome (so the
    /// counts stay true) under `erased_as` instead of the signer's account.
    pub(super) async fn erase_from_updates(
        connection: &mut Connection<D>,
        campaign: &str,
        who: &Identity,
        erased_as: &str,
    ) -> StorageResult<()> {
        Sql::<D>::new(
            "DELETE FROM update_deliveries WHERE platform = $1 AND platform_user_id = $2
             AND state IN ('pending', 'sending', 'cancelled')
             AND update_id IN (SELECT id FROM updates WHERE campaign = $3)",
        )
        .text(who.platform.as_str())
        .text(&who.user_id)
        .text(campaign)
        .execute(connection)
        .await
        .map_err(db("deleting a signer's waiting updates"))?;
        Sql::<D>::new(
            "UPDATE update_deliveries SET platform_user_id = $4 WHERE platform = $1 AND platform_user_id = $2
             AND update_id IN (SELECT id FROM updates WHERE campaign = $3)",
        )
        .text(who.platform.as_str())
        .text(&who.user_id)
        .text(campaign)
        .text(erased_as)
        .execute(connection)
        .await
        .map_err(db("erasing a signer from past updates"))?;
        Ok(())
    }
}

/// Who an update goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Recipients {
    /// The signers who asked for updates.
    Signers,
    /// Those, and the campaign's announcement chats (as `chat:<id>`).
    SignersAndChats,
}

/// Stores an update and a waiting delivery for each recipient, inside a
/// transaction of the caller's; returns its number and how many deliveries.
pub(super) async fn insert_update<D: Dialect>(
    tx: &mut Connection<D>,
    update: &NewUpdate,
    recipients: Recipients,
) -> StorageResult<(i64, u64)> {
    let row = Sql::<D>::new(
        "INSERT INTO updates (campaign, text, author_platform, author_user_id, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .text(&update.campaign)
    .text(&update.text)
    .text(update.author.platform.as_str())
    .text(&update.author.user_id)
    .time(update.created_at)
    .fetch_one(tx)
    .await
    .map_err(db("storing an update"))?;
    let id = D::int(&row, "id");
    let mut deliveries = Sql::<D>::new(concat!(
        "INSERT INTO update_deliveries (update_id, platform, platform_user_id) ",
        recipients!("$2, platform, platform_user_id")
    ))
    .text(&update.campaign)
    .int(id)
    .execute(tx)
    .await
    .map_err(db("queueing an update's deliveries"))?;
    if recipients == Recipients::SignersAndChats {
        deliveries += Sql::<D>::new(
            "INSERT INTO update_deliveries (update_id, platform, platform_user_id)
             SELECT DISTINCT $2, platform, 'chat:' || chat FROM progress_messages WHERE campaign = $1",
        )
        .text(&update.campaign)
        .int(id)
        .execute(tx)
        .await
        .map_err(db("queueing an announcement's chats"))?;
    }
    Ok((id, deliveries))
}
