//! The queries both databases share that run on the pool rather than in a
//! batch (organisers' review, reports, the logs, withdrawals and
//! housekeeping) are methods of [`General`]; this file holds the struct,
//! the writes and the housekeeping. Review and reports have files of their
//! own, and so do the signature rows both databases read and write.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Pool;

use super::{Dialect, Sql, count};
use crate::storage::erasure::Eraser;
use crate::storage::{ConnectionLog, SecretStore, SignatureStore, StorageError, StorageResult, db};

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
    pub(super) eraser: Eraser,
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
}

#[async_trait]
impl<D: Dialect> SignatureStore for General<D> {
    /// See [`crate::storage::SignatureStore::register_campaign`].
    async fn register_campaign(&self, campaign: &str, version: u32, wording: &str) -> StorageResult<()> {
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

    /// Forgets signing attempts made at or before `before`; how many.
    async fn forget_signing_attempts_before(&self, before: DateTime<Utc>) -> StorageResult<u64> {
        let mut connection = self.read("forgetting old signing attempts").await?;
        Sql::<D>::new("DELETE FROM signing_attempts WHERE at <= $1")
            .time(before)
            .execute(&mut connection)
            .await
            .map_err(db("forgetting old signing attempts"))
    }
}

#[async_trait]
impl<D: Dialect> ConnectionLog for General<D> {
    /// See [`crate::storage::ConnectionLog::record_connection_attempt`].
    async fn record_connection_attempt(
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
    async fn connection_attempts_since(&self, bot: &str, since: DateTime<Utc>) -> StorageResult<u64> {
        let mut connection = self.read("counting connection attempts").await?;
        let row = Sql::<D>::new("SELECT COUNT(*) AS count FROM connection_attempts WHERE bot = $1 AND at >= $2")
            .text(bot)
            .time(since)
            .fetch_one(&mut connection)
            .await
            .map_err(db("counting connection attempts"))?;
        Ok(count::<D>(&row, "count"))
    }
}

#[async_trait]
impl<D: Dialect> SecretStore for General<D> {
    /// See [`crate::storage::SecretStore::instance_secret`].
    async fn instance_secret(&self, name: &str, fresh: &str) -> StorageResult<String> {
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
