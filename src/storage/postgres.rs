//! PostgreSQL, for deployments where several processes or machines share
//! the signatures.
//!
//! Mirrors `sqlite.rs`: the two differ in column types (times are
//! `TIMESTAMPTZ` here, milliseconds there), transactions and the
//! conversation cache, not in logic. Change both together; the same storage
//! tests run against each.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool, Row};

use super::connections::{Budget, Connections};
use super::erasure::Eraser;
use super::group_commit::{ApplyBatch, GroupCommit, Write, Written};
use super::group_read::{FetchBatch, GroupRead};
use super::thread::on_storage_thread;
use super::{
    Anomaly, AuditEntry, ConnectionLog, ConversationStore, DuplicateMatch, ExportRow, HeldSummary, Matched,
    NewSignature, PriorSignature, Recount, ReportStore, ReviewAction, ReviewOutcome, ReviewStore, SecretStore,
    Selection, SignOutcome, Signature, SignatureStatus, SignatureStore, Stats, Storage, StorageError, StorageResult,
    Tally, Usage, VelocityCount, db, dimension_from_column, every_day, hour_of, location_from_columns,
    platform_from_column,
};
use super::{AttemptKey, attempts_by_key, with_fresh_codes};
use crate::domain::{Email, HoldReason, Identity, Platform, ShareCode, SignerName};

/// Signatures in a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStorage {
    /// Organisers' queries and housekeeping. Opened lazily; it checks a
    /// connection before handing it out, so one the server dropped is
    /// replaced without anyone noticing.
    pool: PgPool,
    /// Conversation-state writes go through here: many of them share each
    /// transaction and its fsync.
    conversation_writer: GroupCommit,
    /// Signatures, the same way, through a single writer (see
    /// `PostgresWriter`).
    signature_writer: GroupCommit,
    /// Conversation, signature and total lookups that arrive together share
    /// one query.
    conversation_reads: GroupRead<Identity, Option<String>>,
    /// See `conversation_reads`.
    signature_reads: GroupRead<(String, Identity), Option<Signature>>,
    /// See `signature_reads`.
    total_reads: GroupRead<String, u64>,
    /// See `signature_reads`.
    attempt_reads: GroupRead<AttemptKey, Vec<DateTime<Utc>>>,
    /// The writers' and lookups' connections, to close them at exit.
    by_key: Arc<Budget<PgConnection>>,
    /// Vacuums the tables after erasures, so erased rows do not linger as
    /// dead tuples.
    eraser: Eraser,
}

/// How many connections a process holds, and for what.
struct Shares {
    /// The pool's, for organisers' queries and housekeeping.
    pool: u32,
    /// Shared by the batch writers and the batched lookups.
    by_key: usize,
    conversation_writers: usize,
    reads_in_flight: usize,
}

impl Shares {
    fn for_usage(usage: Usage, max_connections: u32) -> Self {
        match usage {
            // One at a time is all a single supporter or organiser needs.
            Usage::ShortLived => Self {
                pool: 1,
                by_key: 1,
                conversation_writers: 1,
                reads_in_flight: 1,
            },
            Usage::LongRunning => {
                let total = max_connections.max(2);
                let pool = (total / 4).max(1);
                Self {
                    pool,
                    by_key: (total - pool) as usize,
                    conversation_writers: CONVERSATION_WRITERS,
                    reads_in_flight: READS_IN_FLIGHT,
                }
            }
        }
    }
}

impl PostgresStorage {
    /// Connects to the database at a `postgres://` URL and applies
    /// migrations, holding at most as many connections as `usage` and
    /// `max_connections` allow (see the README's PostgreSQL section).
    pub async fn connect(url: &str, usage: Usage, max_connections: u32) -> StorageResult<Self> {
        let url = url.to_owned();
        on_storage_thread(async move { Self::open(&url, usage, max_connections).await }).await
    }

    /// `connect`, on the storage thread.
    async fn open(url: &str, usage: Usage, max_connections: u32) -> StorageResult<Self> {
        let options = PgConnectOptions::from_str(url).map_err(db("reading the PostgreSQL URL"))?;
        let shares = Shares::for_usage(usage, max_connections);
        // Opened first and on its own, so a server that cannot be reached
        // is reported at once and plainly; it applies the migrations (under
        // an advisory lock, so processes starting together take turns) and
        // is closed before anything else opens.
        let mut first = connect_once(&options).await?;
        sqlx::migrate!("./migrations/postgres")
            .run_direct(None, &mut first, false)
            .await?;
        let _ = first.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(shares.pool)
            .min_connections(0)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_lazy_with(options.clone());
        let budget = Budget::new(shares.by_key);
        let planned_once = Arc::new(by_key_connections(&budget, &options, Planning::Once));
        let planned_each_time = by_key_connections(&budget, &options, Planning::EachTime);
        let writer = || PostgresWriter(planned_once.clone());
        Ok(Self {
            conversation_writer: GroupCommit::start_many((0..shares.conversation_writers).map(|_| writer()).collect()),
            signature_writer: GroupCommit::start(writer()),
            conversation_reads: GroupRead::start(ConversationFetcher(planned_once.clone()), shares.reads_in_flight),
            signature_reads: GroupRead::start(SignatureFetcher(planned_each_time), shares.reads_in_flight),
            attempt_reads: GroupRead::start(AttemptFetcher(planned_once.clone()), shares.reads_in_flight),
            total_reads: GroupRead::start(TotalFetcher(planned_once.clone()), shares.reads_in_flight),
            by_key: budget,
            eraser: Eraser::start({
                let pool = pool.clone();
                Box::new(move || {
                    let pool = pool.clone();
                    (!pool.is_closed()).then(|| Box::pin(async move { vacuum_erased(&pool).await }) as _)
                })
            }),
            pool,
        })
    }

    async fn prior_signature(
        tx: &mut sqlx::PgConnection,
        signature: &NewSignature,
    ) -> StorageResult<Option<PriorSignature>> {
        let row = sqlx::query(
            "SELECT platform, created_at, (platform = $2 AND platform_user_id = $3) AS same_identity
             FROM signatures
             WHERE campaign = $1 AND ((platform = $2 AND platform_user_id = $3) OR email = $4)
             ORDER BY same_identity DESC LIMIT 1",
        )
        .bind(&signature.campaign)
        .bind(signature.identity.platform.as_str())
        .bind(&signature.identity.user_id)
        .bind(signature.email.as_ref().map(Email::as_str))
        .fetch_optional(&mut *tx)
        .await
        .map_err(db("looking for an earlier signature"))?;
        row.map(|row| {
            Ok(PriorSignature {
                platform: platform_from_column(row.get("platform"))?,
                signed_at: row.get("created_at"),
                matched_by: if row.get::<bool, _>("same_identity") {
                    DuplicateMatch::Identity
                } else {
                    DuplicateMatch::Email
                },
            })
        })
        .transpose()
    }
}

#[async_trait]
impl ConversationStore for PostgresStorage {
    async fn load_conversation(&self, who: &Identity) -> StorageResult<Option<String>> {
        // Several processes may share the database, so no process can trust
        // a copy of its own: every message reads its conversation afresh.
        Ok(self.conversation_reads.read(who.clone()).await?)
    }

    async fn save_conversation(&self, who: &Identity, state: &str, at: DateTime<Utc>) -> StorageResult<()> {
        self.conversation_writer
            .write(Write::SaveConversation {
                who: who.clone(),
                state: state.to_owned(),
                at,
            })
            .await?;
        // Only once it is durable: the cache never runs ahead of the file.
        Ok(())
    }

    async fn delete_conversation(&self, who: &Identity) -> StorageResult<()> {
        self.conversation_writer
            .write(Write::DeleteConversation { who: who.clone() })
            .await?;
        self.eraser.erased();
        Ok(())
    }

    async fn delete_conversations_idle_since(&self, cutoff: DateTime<Utc>) -> StorageResult<u64> {
        let done = sqlx::query("DELETE FROM conversations WHERE updated_at < $1")
            .bind(cutoff)
            .execute(&self.pool)
            .await
            .map_err(db("deleting abandoned conversations"))?;
        if done.rows_affected() > 0 {
            self.eraser.erased();
        }
        Ok(done.rows_affected())
    }
}

#[async_trait]
impl SignatureStore for PostgresStorage {
    async fn register_campaign(&self, campaign: &str, version: u32, wording: &str) -> StorageResult<()> {
        let mut tx = self.pool.begin().await.map_err(db("registering a campaign"))?;
        sqlx::query("INSERT INTO campaign_totals (campaign, total) VALUES ($1, 0) ON CONFLICT (campaign) DO NOTHING")
            .bind(campaign)
            .execute(&mut *tx)
            .await
            .map_err(db("creating a campaign total"))?;
        sqlx::query(
            "INSERT INTO consent_wordings (campaign, version, wording, recorded_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (campaign, version) DO NOTHING",
        )
        .bind(campaign)
        .bind(version as i32)
        .bind(wording)
        .bind(Utc::now())
        .execute(&mut *tx)
        .await
        .map_err(db("recording the consent wording"))?;
        let recorded: String =
            sqlx::query_scalar("SELECT wording FROM consent_wordings WHERE campaign = $1 AND version = $2")
                .bind(campaign)
                .bind(version as i32)
                .fetch_one(&mut *tx)
                .await
                .map_err(db("reading the consent wording"))?;
        if recorded != wording {
            return Err(StorageError::ConsentWordingChanged {
                campaign: campaign.to_owned(),
                version,
            });
        }
        tx.commit().await.map_err(db("registering a campaign"))
    }

    async fn sign(&self, signature: &NewSignature) -> StorageResult<SignOutcome> {
        match self
            .signature_writer
            .write(Write::Sign(Box::new(signature.clone())))
            .await?
        {
            Written::Signed(outcome) => Ok(outcome),
            Written::Done => Err(StorageError::Corrupt("a signature came back without an outcome".into())),
        }
    }

    async fn signature_of(&self, campaign: &str, who: &Identity) -> StorageResult<Option<Signature>> {
        self.signature_reads.read((campaign.to_owned(), who.clone())).await
    }

    async fn withdraw(&self, campaign: &str, who: &Identity) -> StorageResult<Option<u64>> {
        let mut tx = self.pool.begin().await.map_err(db("starting a withdrawal"))?;
        let status: Option<String> = sqlx::query_scalar(
            "DELETE FROM signatures WHERE campaign = $1 AND platform = $2 AND platform_user_id = $3 RETURNING status",
        )
        .bind(campaign)
        .bind(who.platform.as_str())
        .bind(&who.user_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db("deleting a signature"))?;
        let Some(status) = status else {
            return Ok(None);
        };
        let (counted, held) = (i64::from(status == "counted"), i64::from(status == "held"));
        let total: i64 = sqlx::query_scalar(
            "UPDATE campaign_totals SET total = total - $2, held = held - $3 WHERE campaign = $1 RETURNING total",
        )
        .bind(campaign)
        .bind(counted)
        .bind(held)
        .fetch_one(&mut *tx)
        .await
        .map_err(db("uncounting a signature"))?;
        sqlx::query("DELETE FROM conversations WHERE platform = $1 AND platform_user_id = $2")
            .bind(who.platform.as_str())
            .bind(&who.user_id)
            .execute(&mut *tx)
            .await
            .map_err(db("deleting a conversation"))?;
        sqlx::query("DELETE FROM signing_attempts WHERE campaign = $1 AND platform = $2 AND platform_user_id = $3")
            .bind(campaign)
            .bind(who.platform.as_str())
            .bind(&who.user_id)
            .execute(&mut *tx)
            .await
            .map_err(db("deleting signing attempts"))?;
        tx.commit().await.map_err(db("committing a withdrawal"))?;
        self.eraser.erased();
        Ok(Some(total as u64))
    }

    async fn total(&self, campaign: &str) -> StorageResult<u64> {
        self.total_reads.read(campaign.to_owned()).await
    }

    async fn signing_attempts_since(
        &self,
        campaign: &str,
        who: &Identity,
        since: DateTime<Utc>,
    ) -> StorageResult<Vec<DateTime<Utc>>> {
        self.attempt_reads.read((campaign.to_owned(), who.clone(), since)).await
    }

    async fn forget_signing_attempts_before(&self, before: DateTime<Utc>) -> StorageResult<u64> {
        let done = sqlx::query("DELETE FROM signing_attempts WHERE at <= $1")
            .bind(before)
            .execute(&self.pool)
            .await
            .map_err(db("forgetting old signing attempts"))?;
        Ok(done.rows_affected())
    }
}

#[async_trait]
impl ReportStore for PostgresStorage {
    async fn stats(&self, campaign: &str, since: NaiveDate, today: NaiveDate) -> StorageResult<Stats> {
        let tallies = |sql: &'static str| {
            let pool = self.pool.clone();
            async move {
                let rows: Vec<(String, i64)> = sqlx::query_as(sql)
                    .bind(campaign)
                    .fetch_all(&pool)
                    .await
                    .map_err(db("computing a breakdown"))?;
                Ok::<_, StorageError>(
                    rows.into_iter()
                        .map(|(label, count)| Tally::new(label, count as u64))
                        .collect::<Vec<_>>(),
                )
            }
        };
        let since = since.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc();
        let days: Vec<(NaiveDate, i64)> = sqlx::query_as(
            "SELECT (created_at AT TIME ZONE 'UTC')::date AS day, COUNT(*) FROM signatures
             WHERE campaign = $1 AND status = 'counted' AND created_at >= $2 GROUP BY day",
        )
        .bind(campaign)
        .bind(since)
        .fetch_all(&self.pool)
        .await
        .map_err(db("counting signatures by day"))?;
        let days = days.into_iter().map(|(day, count)| (day, count as u64)).collect();
        let (total, held): (i64, i64) = sqlx::query_as("SELECT total, held FROM campaign_totals WHERE campaign = $1")
            .bind(campaign)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("reading the counters"))?
            .unwrap_or((0, 0));
        Ok(Stats {
            campaign: campaign.to_owned(),
            total: total as u64,
            held: held as u64,
            by_platform: tallies(
                "SELECT platform, COUNT(*) FROM signatures WHERE campaign = $1 AND status = 'counted'
                 GROUP BY platform ORDER BY 2 DESC, 1",
            )
            .await?,
            by_day: every_day(since.date_naive(), today, days),
            by_district: tallies(
                "SELECT postcode_district, COUNT(*) FROM signatures WHERE campaign = $1 AND status = 'counted'
                 AND postcode_district IS NOT NULL
                 GROUP BY postcode_district ORDER BY 2 DESC, 1",
            )
            .await?,
            by_country: tallies(
                "SELECT country, COUNT(*) FROM signatures WHERE campaign = $1 AND status = 'counted' AND country IS NOT NULL
                 GROUP BY country ORDER BY 2 DESC, 1",
            )
            .await?,
            top_referral_codes: tallies(
                "SELECT referral_code, COUNT(*) FROM signatures WHERE campaign = $1 AND status = 'counted'
                 AND referral_code IS NOT NULL
                 GROUP BY referral_code ORDER BY 2 DESC, 1 LIMIT 10",
            )
            .await?,
        })
    }

    async fn export(&self, campaign: &str) -> StorageResult<Vec<ExportRow>> {
        let rows = sqlx::query(
            "SELECT name, postcode_district, country, platform, created_at FROM signatures
             WHERE campaign = $1 AND status = 'counted' ORDER BY id",
        )
        .bind(campaign)
        .fetch_all(&self.pool)
        .await
        .map_err(db("exporting signatures"))?;
        rows.into_iter()
            .map(|row| {
                Ok(ExportRow {
                    name: row.get("name"),
                    postcode_district: row.get("postcode_district"),
                    country: row.get("country"),
                    platform: platform_from_column(row.get("platform"))?,
                    signed_at: row.get("created_at"),
                })
            })
            .collect()
    }
}

#[async_trait]
impl ConnectionLog for PostgresStorage {
    async fn record_connection_attempt(
        &self,
        bot: &str,
        at: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> StorageResult<()> {
        let mut tx = self.pool.begin().await.map_err(db("recording a connection attempt"))?;
        sqlx::query("DELETE FROM connection_attempts WHERE bot = $1 AND at < $2")
            .bind(bot)
            .bind(forget_before)
            .execute(&mut *tx)
            .await
            .map_err(db("forgetting old connection attempts"))?;
        sqlx::query("INSERT INTO connection_attempts (bot, at) VALUES ($1, $2)")
            .bind(bot)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db("recording a connection attempt"))?;
        tx.commit().await.map_err(db("recording a connection attempt"))
    }

    async fn connection_attempts_since(&self, bot: &str, since: DateTime<Utc>) -> StorageResult<u64> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM connection_attempts WHERE bot = $1 AND at >= $2")
            .bind(bot)
            .bind(since)
            .fetch_one(&self.pool)
            .await
            .map_err(db("counting connection attempts"))?;
        Ok(count as u64)
    }
}

#[async_trait]
impl ReviewStore for PostgresStorage {
    async fn held_summary(&self, campaign: &str) -> StorageResult<HeldSummary> {
        let tallies = |sql: &'static str| {
            let pool = self.pool.clone();
            async move {
                let rows: Vec<(String, i64)> = sqlx::query_as(sql)
                    .bind(campaign)
                    .fetch_all(&pool)
                    .await
                    .map_err(db("summarising held signatures"))?;
                Ok::<_, StorageError>(
                    rows.into_iter()
                        .map(|(label, count)| Tally::new(label, count as u64))
                        .collect::<Vec<_>>(),
                )
            }
        };
        let by_reason = tallies(
            "SELECT hold_reason, COUNT(*) FROM signatures WHERE campaign = $1 AND status = 'held'
             GROUP BY hold_reason ORDER BY 2 DESC, 1",
        )
        .await?;
        Ok(HeldSummary {
            held: by_reason.iter().map(|t| t.count).sum(),
            by_reason,
            by_platform: tallies(
                "SELECT platform, COUNT(*) FROM signatures WHERE campaign = $1 AND status = 'held'
                 GROUP BY platform ORDER BY 2 DESC, 1",
            )
            .await?,
            by_email_domain: tallies(
                "SELECT email_domain, COUNT(*) FROM signatures WHERE campaign = $1 AND status = 'held'
                 AND email_domain IS NOT NULL GROUP BY email_domain ORDER BY 2 DESC, 1 LIMIT 10",
            )
            .await?,
            by_district: tallies(
                "SELECT postcode_district, COUNT(*) FROM signatures WHERE campaign = $1 AND status = 'held'
                 AND postcode_district IS NOT NULL GROUP BY postcode_district ORDER BY 2 DESC, 1 LIMIT 10",
            )
            .await?,
        })
    }

    async fn count_selected(
        &self,
        campaign: &str,
        selection: &Selection,
        action: ReviewAction,
    ) -> StorageResult<Matched> {
        let rows: Vec<(String, i64)> = sqlx::query_as(SELECTED_BY_STATUS)
            .bind(campaign)
            .bind(selection.email_domain.as_deref())
            .bind(selection.postcode_district.as_deref())
            .bind(selection.platform.map(Platform::as_str))
            .bind(selection.since)
            .bind(selection.until)
            .bind(selection.reason.map(HoldReason::as_str))
            .fetch_all(&self.pool)
            .await
            .map_err(db("counting selected signatures"))?;
        Ok(matched(rows, action))
    }

    async fn apply_review(
        &self,
        campaign: &str,
        selection: &Selection,
        action: ReviewAction,
        audit: &AuditEntry,
    ) -> StorageResult<ReviewOutcome> {
        let mut tx = self.pool.begin().await.map_err(db("starting a review"))?;
        // Held first, then counted, so each update's row count says exactly
        // which counter to adjust.
        let mut moved = Matched::default();
        let steps: &[(&str, &str)] = match action {
            ReviewAction::Release => &[("held", "counted")],
            ReviewAction::Invalidate => &[("held", "invalidated"), ("counted", "invalidated")],
        };
        for (from, to) in steps {
            let done = sqlx::query(REVIEW_UPDATE)
                .bind(campaign)
                .bind(selection.email_domain.as_deref())
                .bind(selection.postcode_district.as_deref())
                .bind(selection.platform.map(Platform::as_str))
                .bind(selection.since)
                .bind(selection.until)
                .bind(selection.reason.map(HoldReason::as_str))
                .bind(*from)
                .bind(*to)
                .execute(&mut *tx)
                .await
                .map_err(db("changing selected signatures"))?;
            match *from {
                "held" => moved.held = done.rows_affected(),
                _ => moved.counted = done.rows_affected(),
            }
        }
        let (total_change, held_change) = match action {
            ReviewAction::Release => (moved.held as i64, -(moved.held as i64)),
            ReviewAction::Invalidate => (-(moved.counted as i64), -(moved.held as i64)),
        };
        let (total, held): (i64, i64) = sqlx::query_as(
            "INSERT INTO campaign_totals (campaign, total, held) VALUES ($1, 0, 0)
             ON CONFLICT (campaign) DO UPDATE SET total = campaign_totals.total + $2, held = campaign_totals.held + $3
             RETURNING total, held",
        )
        .bind(campaign)
        .bind(total_change)
        .bind(held_change)
        .fetch_one(&mut *tx)
        .await
        .map_err(db("adjusting the counters"))?;
        let affected = moved.held + moved.counted;
        insert_audit(
            &mut tx,
            &AuditEntry {
                affected,
                ..audit.clone()
            },
        )
        .await?;
        tx.commit().await.map_err(db("committing a review"))?;
        Ok(ReviewOutcome {
            affected,
            total: total as u64,
            held: held as u64,
        })
    }

    async fn record_audit(&self, entry: &AuditEntry) -> StorageResult<()> {
        let mut connection = self.pool.acquire().await.map_err(db("writing the audit log"))?;
        insert_audit(&mut connection, entry).await
    }

    async fn audit_log(&self, campaign: &str) -> StorageResult<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT actor_platform, actor_user_id, action, detail, affected, at FROM audit_log
             WHERE campaign = $1 ORDER BY id",
        )
        .bind(campaign)
        .fetch_all(&self.pool)
        .await
        .map_err(db("reading the audit log"))?;
        rows.into_iter()
            .map(|row| {
                Ok(AuditEntry {
                    campaign: campaign.to_owned(),
                    actor: Identity::new(
                        platform_from_column(row.get("actor_platform"))?,
                        row.get::<String, _>("actor_user_id"),
                    ),
                    action: row.get("action"),
                    detail: row.get("detail"),
                    affected: row.get::<i64, _>("affected") as u64,
                    at: row.get("at"),
                })
            })
            .collect()
    }

    async fn velocity(
        &self,
        campaign: &str,
        since: DateTime<Utc>,
        thresholds: [u64; 3],
    ) -> StorageResult<Vec<VelocityCount>> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(VELOCITY)
            .bind(campaign)
            .bind(since)
            .bind(thresholds[0] as i64)
            .bind(thresholds[1] as i64)
            .bind(thresholds[2] as i64)
            .fetch_all(&self.pool)
            .await
            .map_err(db("measuring velocity"))?;
        rows.into_iter()
            .map(|(dimension, value, count)| {
                Ok(VelocityCount {
                    dimension: dimension_from_column(&dimension)?,
                    value,
                    count: count as u64,
                })
            })
            .collect()
    }

    async fn record_anomaly(&self, anomaly: &Anomaly) -> StorageResult<bool> {
        let inserted = sqlx::query(
            "INSERT INTO anomalies (campaign, dimension, value, hour, count, threshold, detected_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        )
        .bind(&anomaly.campaign)
        .bind(anomaly.dimension.as_str())
        .bind(&anomaly.value)
        .bind(hour_of(anomaly.detected_at))
        .bind(anomaly.count as i64)
        .bind(anomaly.threshold as i64)
        .bind(anomaly.detected_at)
        .execute(&self.pool)
        .await
        .map_err(db("recording an anomaly"))?;
        Ok(inserted.rows_affected() == 1)
    }

    async fn anomalies(&self, campaign: &str, since: DateTime<Utc>) -> StorageResult<Vec<Anomaly>> {
        let rows = sqlx::query(
            "SELECT dimension, value, count, threshold, detected_at FROM anomalies
             WHERE campaign = $1 AND detected_at >= $2 ORDER BY detected_at DESC",
        )
        .bind(campaign)
        .bind(since)
        .fetch_all(&self.pool)
        .await
        .map_err(db("reading anomalies"))?;
        rows.into_iter()
            .map(|row| {
                Ok(Anomaly {
                    campaign: campaign.to_owned(),
                    dimension: dimension_from_column(row.get("dimension"))?,
                    value: row.get("value"),
                    count: row.get::<i64, _>("count") as u64,
                    threshold: row.get::<i64, _>("threshold") as u64,
                    detected_at: row.get("detected_at"),
                })
            })
            .collect()
    }

    async fn recount(&self) -> StorageResult<Vec<Recount>> {
        let mut tx = self.pool.begin().await.map_err(db("starting a recount"))?;
        let report = recount_in(&mut tx).await?;
        tx.commit().await.map_err(db("committing a recount"))?;
        Ok(report)
    }
}

#[async_trait]
impl SecretStore for PostgresStorage {
    async fn instance_secret(&self, name: &str, fresh: &str) -> StorageResult<String> {
        // Insert-if-absent, then read: a concurrent first start that loses the
        // insert reads the winner's value.
        sqlx::query("INSERT INTO instance_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(fresh)
            .execute(&self.pool)
            .await
            .map_err(db("storing an instance secret"))?;
        sqlx::query_scalar("SELECT value FROM instance_secrets WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await
            .map_err(db("reading an instance secret"))
    }
}

#[async_trait]
impl Storage for PostgresStorage {
    async fn close(&self) {
        let storage = self.clone();
        on_storage_thread(async move {
            storage.conversation_writer.close().await;
            storage.signature_writer.close().await;
            for connection in storage.by_key.drain_idle() {
                let _ = connection.close().await;
            }
            storage.pool.close().await;
        })
        .await;
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
    "SELECT status, COUNT(*) FROM signatures WHERE ",
    selection_filter!(),
    " GROUP BY status"
);
const REVIEW_UPDATE: &str = concat!(
    "UPDATE signatures SET status = $9, hold_reason = CASE WHEN $9 = 'counted' THEN NULL ELSE hold_reason END WHERE ",
    selection_filter!(),
    " AND status = $8"
);
const VELOCITY: &str = "
    SELECT 'email_domain', email_domain, COUNT(*) FROM signatures
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

/// What a dry run reports: releasing touches only held signatures.
fn matched(rows: Vec<(String, i64)>, action: ReviewAction) -> Matched {
    let count = |status: &str| rows.iter().find(|(s, _)| s == status).map_or(0, |(_, n)| *n as u64);
    Matched {
        held: count("held"),
        counted: match action {
            ReviewAction::Release => 0,
            ReviewAction::Invalidate => count("counted"),
        },
    }
}

async fn insert_audit(connection: &mut sqlx::PgConnection, entry: &AuditEntry) -> StorageResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (campaign, actor_platform, actor_user_id, action, detail, affected, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&entry.campaign)
    .bind(entry.actor.platform.as_str())
    .bind(&entry.actor.user_id)
    .bind(&entry.action)
    .bind(&entry.detail)
    .bind(entry.affected as i64)
    .bind(entry.at)
    .execute(&mut *connection)
    .await
    .map_err(db("writing the audit log"))?;
    Ok(())
}

async fn recount_in(tx: &mut sqlx::PgConnection) -> StorageResult<Vec<Recount>> {
    let stored: Vec<(String, i64, i64)> =
        sqlx::query_as("SELECT campaign, total, held FROM campaign_totals ORDER BY campaign FOR UPDATE")
            .fetch_all(&mut *tx)
            .await
            .map_err(db("reading the counters"))?;
    let counted: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT campaign, SUM(CASE WHEN status = 'counted' THEN 1 ELSE 0 END),
                SUM(CASE WHEN status = 'held' THEN 1 ELSE 0 END)
         FROM signatures GROUP BY campaign",
    )
    .fetch_all(&mut *tx)
    .await
    .map_err(db("recounting signatures"))?;
    let mut campaigns: Vec<&str> = stored
        .iter()
        .map(|(c, _, _)| c.as_str())
        .chain(counted.iter().map(|(c, _, _)| c.as_str()))
        .collect();
    campaigns.sort_unstable();
    campaigns.dedup();
    let mut report = Vec::new();
    for campaign in campaigns {
        let (stored_total, stored_held) = stored
            .iter()
            .find(|(c, _, _)| c == campaign)
            .map_or((0, 0), |(_, t, h)| (*t, *h));
        let (counted_total, counted_held) = counted
            .iter()
            .find(|(c, _, _)| c == campaign)
            .map_or((0, 0), |(_, t, h)| (*t, *h));
        sqlx::query(
            "INSERT INTO campaign_totals (campaign, total, held) VALUES ($1, $2, $3)
             ON CONFLICT (campaign) DO UPDATE SET total = excluded.total, held = excluded.held",
        )
        .bind(campaign)
        .bind(counted_total)
        .bind(counted_held)
        .execute(&mut *tx)
        .await
        .map_err(db("storing recounted totals"))?;
        report.push(Recount {
            campaign: campaign.to_owned(),
            stored_total: stored_total as u64,
            counted_total: counted_total as u64,
            stored_held: stored_held as u64,
            counted_held: counted_held as u64,
        });
    }
    Ok(report)
}

/// How a connection that only ever finds rows by key (batched lookups and
/// batch writes) plans its statements. Left to itself the planner sometimes
/// prefers to scan a small table whole and hash the keys, but a table of
/// conversations is small in live rows and large in dead ones during a
/// surge, and scanning it for every batch costs more than everything else
/// together; so these connections never scan a table whole.
#[derive(Debug, Clone, Copy)]
enum Planning {
    /// Each execution is planned for its own keys. For statements whose best
    /// index depends on what the tables hold: a signature lookup planned
    /// while its table was empty probes the campaign's index and filters
    /// every signature of the campaign, a second or more per lookup at a
    /// million signatures.
    EachTime,
    /// Planned once per connection, and again when the tables' statistics
    /// change. For statements whose only sensible plan is one index probe
    /// per key (conversation lookups, batch writes), which joins by nested
    /// loops alone make sure of: planning these afresh for every batch took
    /// a third of the server's time.
    Once,
}

async fn by_key_only(connection: &mut PgConnection, planning: Planning) -> Result<(), sqlx::Error> {
    let settings = match planning {
        Planning::EachTime => {
            "SELECT set_config('enable_seqscan', 'off', false), \
                set_config('plan_cache_mode', 'force_custom_plan', false)"
        }
        Planning::Once => {
            "SELECT set_config('enable_seqscan', 'off', false), set_config('enable_hashjoin', 'off', false), \
                set_config('enable_mergejoin', 'off', false), \
                set_config('plan_cache_mode', 'force_generic_plan', false)"
        }
    };
    sqlx::query(settings).execute(&mut *connection).await?;
    Ok(())
}

/// Connections writing conversation state at once: while one waits for the
/// server's fsync, the next batch is being applied.
const CONVERSATION_WRITERS: usize = 3;

/// Lookups of each kind in flight at once: enough to keep the server's
/// cores busy (two and four measured the same).
const READS_IN_FLIGHT: usize = 2;

/// How long the first connection may take before start-up gives up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long organisers' queries wait for a connection of the pool.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens one connection, and says plainly why not: where it tried and what
/// the server or the network answered, never the URL (it may hold a
/// password).
async fn connect_once(options: &PgConnectOptions) -> StorageResult<PgConnection> {
    let unreachable = |reason: String| StorageError::Unreachable {
        database: "PostgreSQL",
        address: format!("{}:{}", options.get_host(), options.get_port()),
        reason,
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, options.connect()).await {
        Ok(Ok(connection)) => Ok(connection),
        Ok(Err(error)) => Err(unreachable(super::describe_connect_error(&error))),
        Err(_) => Err(unreachable(format!(
            "no answer within {} seconds",
            CONNECT_TIMEOUT.as_secs()
        ))),
    }
}

/// Removes the dead tuples erased rows leave behind (PostgreSQL keeps them
/// until a vacuum), so their space is reused.
async fn vacuum_erased(pool: &PgPool) -> StorageResult<()> {
    sqlx::raw_sql("VACUUM signatures, conversations")
        .execute(pool)
        .await
        .map_err(db("vacuuming after an erasure"))?;
    Ok(())
}

/// Whether a statement failed because its connection had died (the server
/// restarted or dropped it), rather than because of what it asked: the
/// failure then says nothing about the work, which may be tried again on a
/// fresh connection.
fn connection_was_lost(error: &StorageError) -> bool {
    let StorageError::Database { driver, .. } = error else {
        return false;
    };
    match driver {
        sqlx::Error::Io(_) => true,
        // 08: connection exceptions; 57P01-03: the server shutting down,
        // crashed or starting, which it says before closing a connection.
        sqlx::Error::Database(error) => error
            .code()
            .is_some_and(|code| code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03")),
        _ => false,
    }
}

/// The writer task's side of the group commit: one connection, and one
/// statement (so one round trip and one transaction) per batch.
///
/// Signatures have a writer of their own. Every signature batch adds to its
/// campaign's counter row, which stays locked until the commit is durable;
/// writers sharing that row would queue behind each other's fsync, while a
/// single signature writer queues behind no other batch (only the rare
/// withdrawal or review) and its batches grow to match the load.
///
/// A batch whose connection turns out to have died while idle (the server
/// restarted, say) is applied again on a fresh connection, so supporters
/// see nothing of it once the server is back. Its statement never reached
/// a working server; and were it ever applied twice, the second time would
/// change nothing (conversations are saved whole, a signature already
/// stored is turned away, counters count only what was stored). A batch
/// that fails otherwise fails every write in it, and its connection is
/// dropped with it (see `Connections`).
struct PostgresWriter(Arc<Connections<PgConnection>>);

/// Connections that find rows only by key, planned as `planning` says,
/// within `budget`.
fn by_key_connections(
    budget: &Arc<Budget<PgConnection>>,
    options: &PgConnectOptions,
    planning: Planning,
) -> Connections<PgConnection> {
    let options = options.clone();
    budget.kind(Box::new(move || {
        let options = options.clone();
        Box::pin(async move {
            let mut connection = options.connect().await?;
            by_key_only(&mut connection, planning).await?;
            Ok(connection)
        })
    }))
}

#[async_trait]
impl ApplyBatch for PostgresWriter {
    async fn apply(&mut self, writes: &[Write]) -> StorageResult<Vec<Written>> {
        let mut connection = self.0.take().await.map_err(db("opening a PostgreSQL writer"))?;
        let mut applied = apply_batch(&mut connection, writes).await;
        if connection.reused && applied.as_ref().is_err_and(connection_was_lost) {
            self.0.give_back(connection, &applied);
            tracing::info!("a PostgreSQL writer's connection had been dropped; applying its batch on a fresh one");
            connection = self.0.take().await.map_err(db("opening a PostgreSQL writer"))?;
            applied = apply_batch(&mut connection, writes).await;
        }
        self.0.give_back(connection, &applied);
        applied
    }
}

async fn apply_batch(connection: &mut PgConnection, writes: &[Write]) -> StorageResult<Vec<Written>> {
    let mut outcomes = vec![Written::Done; writes.len()];
    let mut saves = IdentityColumns::default();
    let mut ends = IdentityColumns::default();
    let mut pending = Vec::new();
    for (index, write) in writes.iter().enumerate() {
        match write {
            Write::SaveConversation { who, state, at } => saves.push(who, Some((state, *at))),
            Write::DeleteConversation { who } => ends.push(who, None),
            Write::Sign(signature) => pending.push((index, signature.as_ref())),
        }
    }
    // The first statement saves and ends the conversations and offers every
    // signature. A fresh share code can, very rarely, collide with a stored
    // one; the unique constraint turns that row away and later statements
    // offer it again with another code.
    //
    // Each statement commits on its own. Should a later one (a duplicate
    // check, a retry) fail, the whole batch is reported failed although the
    // first statement's writes are durable: a signer told to try again then
    // hears they have already signed, which is true. Nothing is ever
    // acknowledged before it is durable.
    // Every signature offered is an attempt, whatever becomes of it; noted
    // with the first statement only, not again with a retry.
    let mut attempts: Vec<(&str, &str, &str, DateTime<Utc>)> = pending
        .iter()
        .map(|(_, signature)| {
            (
                signature.campaign.as_str(),
                signature.identity.platform.as_str(),
                signature.identity.user_id.as_str(),
                signature.created_at,
            )
        })
        .collect();
    for _ in 0..5 {
        let candidates = with_fresh_codes(&pending);
        let rows: Vec<_> = candidates
            .iter()
            .map(|(_, signature, code)| signature_row(signature, code))
            .collect();
        let stored: HashMap<String, i64> = sqlx::query_as(APPLY_BATCH)
            .bind(std::mem::take(&mut saves.platforms))
            .bind(std::mem::take(&mut saves.user_ids))
            .bind(std::mem::take(&mut saves.states))
            .bind(std::mem::take(&mut saves.updated_at))
            .bind(std::mem::take(&mut ends.platforms))
            .bind(std::mem::take(&mut ends.user_ids))
            .bind(as_json(&rows))
            .bind(as_json(&std::mem::take(&mut attempts)))
            .fetch_all(&mut *connection)
            .await
            .map_err(db("applying a batch"))?
            .into_iter()
            .collect();
        pending.clear();
        for (index, signature, code) in candidates {
            if let Some(total) = stored.get(code.as_str()) {
                outcomes[index] = Written::Signed(SignOutcome::Signed {
                    share_code: code,
                    total: *total as u64,
                    held: signature.hold.is_some(),
                });
            } else if let Some(prior) = already_signed(connection, signature).await? {
                outcomes[index] = Written::Signed(SignOutcome::AlreadySigned(prior));
            } else {
                pending.push((index, signature));
            }
        }
        if pending.is_empty() {
            return Ok(outcomes);
        }
    }
    Err(StorageError::Corrupt("could not find unused share codes".into()))
}

/// Identities, and for conversation saves their states, as the statements
/// take them: a column per array, which travels in binary (states are
/// neither escaped nor parsed again).
#[derive(Default)]
struct IdentityColumns<'a> {
    platforms: Vec<&'a str>,
    user_ids: Vec<&'a str>,
    /// Only for saves.
    states: Vec<&'a str>,
    /// Only for saves.
    updated_at: Vec<DateTime<Utc>>,
}

impl<'a> IdentityColumns<'a> {
    fn push(&mut self, who: &'a Identity, saved: Option<(&'a str, DateTime<Utc>)>) {
        self.platforms.push(who.platform.as_str());
        self.user_ids.push(who.user_id.as_str());
        if let Some((state, at)) = saved {
            self.states.push(state);
            self.updated_at.push(at);
        }
    }
}

/// The earlier signature that turned this one away, if that is why it was
/// not stored; its signer's conversation is over either way.
async fn already_signed(
    connection: &mut PgConnection,
    signature: &NewSignature,
) -> StorageResult<Option<PriorSignature>> {
    let mut tx = connection.begin().await.map_err(db("starting a duplicate check"))?;
    // Which index finds an earlier signature best depends on the table (see
    // `Planning::EachTime`).
    sqlx::query("SET LOCAL plan_cache_mode = force_custom_plan")
        .execute(&mut *tx)
        .await
        .map_err(db("starting a duplicate check"))?;
    let prior = PostgresStorage::prior_signature(&mut tx, signature).await?;
    if prior.is_some() {
        sqlx::query("DELETE FROM conversations WHERE platform = $1 AND platform_user_id = $2")
            .bind(signature.identity.platform.as_str())
            .bind(&signature.identity.user_id)
            .execute(&mut *tx)
            .await
            .map_err(db("ending a conversation"))?;
    }
    tx.commit().await.map_err(db("committing a duplicate check"))?;
    Ok(prior)
}

/// Signature rows travel to the database as one JSON array parameter: one
/// statement, prepared once, whatever the batch size.
fn as_json(rows: &impl serde::Serialize) -> String {
    serde_json::to_string(rows).expect("rows of strings and numbers serialise")
}

/// A whole batch in one statement, so one transaction and one round trip:
/// - $1..$4 conversations to save, a column per array: platform, platform
///   user id, state, updated at (see `IdentityColumns`);
/// - $5, $6 conversations to end: platform, platform user id;
/// - $7 signatures, a JSON array of rows of the sixteen columns in order
///   (see `signature_row`);
/// - $8 signing attempts to note, a JSON array of rows of campaign,
///   platform, platform user id and time.
///
/// A signature that is stored ends its signer's conversation and adds to its
/// campaign's counters, in the same transaction. Signatures turned away by a
/// unique constraint (already signed, or a share code collision) change
/// nothing; `apply` finds out which. Returns each stored signature's share
/// code and its campaign's total after the batch. Counter rows are taken in
/// campaign order, so batches for several campaigns cannot deadlock.
const APPLY_BATCH: &str = "
WITH saved AS (
    INSERT INTO conversations (platform, platform_user_id, state, updated_at)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])
    ON CONFLICT (platform, platform_user_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
), stored AS (
    INSERT INTO signatures (campaign, platform, platform_user_id, name, email, postcode_district, country,
        updates_opt_in, consent_version, consent_at, referral_code, share_code, created_at, status, hold_reason,
        email_domain)
    SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6,
        (value ->> 7)::boolean, (value ->> 8)::integer, (value ->> 9)::timestamptz, value ->> 10, value ->> 11,
        (value ->> 12)::timestamptz, value ->> 13, value ->> 14, value ->> 15
    FROM jsonb_array_elements($7::jsonb) AS value
    ON CONFLICT DO NOTHING
    RETURNING campaign, platform, platform_user_id, share_code, status
), ended AS (
    DELETE FROM conversations
    WHERE (platform, platform_user_id) IN (
        SELECT * FROM unnest($5::text[], $6::text[])
        UNION ALL
        SELECT platform, platform_user_id FROM stored)
), attempted AS (
    INSERT INTO signing_attempts (campaign, platform, platform_user_id, at)
    SELECT value ->> 0, value ->> 1, value ->> 2, (value ->> 3)::timestamptz
    FROM jsonb_array_elements($8::jsonb) AS value
), counted AS (
    INSERT INTO campaign_totals (campaign, total, held)
    SELECT campaign, count(*) FILTER (WHERE status = 'counted'), count(*) FILTER (WHERE status = 'held')
    FROM stored GROUP BY campaign ORDER BY campaign
    ON CONFLICT (campaign) DO UPDATE
        SET total = campaign_totals.total + excluded.total, held = campaign_totals.held + excluded.held
    RETURNING campaign, total
)
SELECT stored.share_code, counted.total FROM stored JOIN counted USING (campaign)";

// The lookups by key take their keys as arrays, one per key column, and
// run on connections that find rows only by key (see `by_key_only` and
// `Planning`): each statement is parsed once and probes an index once per
// key.

/// Keys: campaigns, platforms and platform user ids, each deduplicated;
/// the rows are every stored combination, of which the caller keeps those
/// it asked for. Nearly always one campaign and one or two platforms, so
/// the index is probed about once per user id; a single table and no join
/// make it quick to plan for its own keys (see `Planning::EachTime`), which
/// a join with the keys was not.
const SELECT_SIGNATURES: &str = "SELECT campaign, platform, platform_user_id, name, email, postcode_district,
         country, updates_opt_in, consent_version, consent_at, referral_code, share_code, created_at,
         status, hold_reason
     FROM signatures WHERE campaign = ANY($1) AND platform = ANY($2) AND platform_user_id = ANY($3)";

/// Keys: campaign slugs.
const SELECT_TOTALS: &str = "SELECT campaign, total FROM campaign_totals WHERE campaign = ANY($1)";

/// Keys: [platform, platform user id].
const SELECT_CONVERSATIONS: &str = "SELECT platform, platform_user_id, state FROM conversations
     WHERE (platform, platform_user_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))";

/// A signature as a row for `APPLY_BATCH`.
#[allow(clippy::type_complexity)]
fn signature_row<'a>(
    signature: &'a NewSignature,
    code: &'a ShareCode,
) -> (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    bool,
    u32,
    DateTime<Utc>,
    Option<&'a str>,
    &'a str,
    DateTime<Utc>,
    &'static str,
    Option<&'static str>,
    Option<&'a str>,
) {
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
        signature.consent_at,
        signature.referral_code.as_ref().map(ShareCode::as_str),
        code.as_str(),
        signature.created_at,
        if signature.hold.is_some() { "held" } else { "counted" },
        signature.hold.map(HoldReason::as_str),
        signature.email.as_ref().map(Email::domain),
    )
}

/// Signature lookups, many per query.
struct SignatureFetcher(Connections<PgConnection>);

#[async_trait]
impl FetchBatch<(String, Identity), Option<Signature>> for SignatureFetcher {
    async fn fetch(&self, keys: &[(String, Identity)]) -> StorageResult<Vec<Option<Signature>>> {
        let distinct = |column: fn(&(String, Identity)) -> &str| {
            let mut values: Vec<&str> = keys.iter().map(column).collect();
            values.sort_unstable();
            values.dedup();
            values
        };
        let mut connection = self.0.take().await.map_err(db("reading signatures"))?;
        let read = sqlx::query(SELECT_SIGNATURES)
            .bind(distinct(|(campaign, _)| campaign))
            .bind(distinct(|(_, who)| who.platform.as_str()))
            .bind(distinct(|(_, who)| &who.user_id))
            .fetch_all(&mut *connection)
            .await;
        self.0.give_back(connection, &read);
        let rows = read.map_err(db("reading signatures"))?;
        let mut found: HashMap<(String, String, String), Signature> = HashMap::with_capacity(rows.len());
        for row in rows {
            let campaign: String = row.get("campaign");
            let platform: String = row.get("platform");
            let user_id: String = row.get("platform_user_id");
            let who = Identity::new(platform_from_column(&platform)?, user_id.clone());
            found.insert(
                (campaign.clone(), platform, user_id),
                signature_from_row(&row, campaign, who)?,
            );
        }
        Ok(keys
            .iter()
            .map(|(campaign, who)| {
                found
                    .get(&(campaign.clone(), who.platform.as_str().to_owned(), who.user_id.clone()))
                    .cloned()
            })
            .collect())
    }
}

fn signature_from_row(row: &sqlx::postgres::PgRow, campaign: String, who: Identity) -> StorageResult<Signature> {
    Ok(Signature {
        campaign,
        identity: who,
        name: SignerName::from_trusted(row.get("name")),
        email: row.get::<Option<String>, _>("email").map(Email::from_trusted),
        location: location_from_columns(row.get("postcode_district"), row.get("country"))?,
        updates_opt_in: row.get("updates_opt_in"),
        consent_version: row.get::<i32, _>("consent_version") as u32,
        consent_at: row.get("consent_at"),
        referral_code: row
            .get::<Option<String>, _>("referral_code")
            .and_then(|code| ShareCode::parse(&code)),
        share_code: ShareCode::parse(row.get("share_code"))
            .ok_or_else(|| StorageError::Corrupt("a stored share code is malformed".into()))?,
        created_at: row.get("created_at"),
        status: SignatureStatus::from_columns(row.get("status"), row.get("hold_reason"))?,
    })
}

/// Keys: [campaign, platform, platform user id], a column per array. Every
/// attempt kept for those identities, of which the caller keeps the recent
/// ones: found by the identity index alone, never by time, which would
/// match nearly the whole table during a surge.
const SELECT_ATTEMPTS: &str = "SELECT campaign, platform, platform_user_id, at FROM signing_attempts
     WHERE (campaign, platform, platform_user_id) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))
     ORDER BY at";

/// Signing-attempt lookups, many per query, planned once like conversation
/// lookups (one index probe per key).
struct AttemptFetcher(Arc<Connections<PgConnection>>);

#[async_trait]
impl FetchBatch<AttemptKey, Vec<DateTime<Utc>>> for AttemptFetcher {
    async fn fetch(&self, keys: &[AttemptKey]) -> StorageResult<Vec<Vec<DateTime<Utc>>>> {
        let campaigns: Vec<&str> = keys.iter().map(|(campaign, _, _)| campaign.as_str()).collect();
        let mut identities = IdentityColumns::default();
        for (_, who, _) in keys {
            identities.push(who, None);
        }
        let mut connection = self.0.take().await.map_err(db("reading signing attempts"))?;
        let read = sqlx::query_as(SELECT_ATTEMPTS)
            .bind(campaigns)
            .bind(identities.platforms)
            .bind(identities.user_ids)
            .fetch_all(&mut *connection)
            .await;
        self.0.give_back(connection, &read);
        Ok(attempts_by_key(keys, read.map_err(db("reading signing attempts"))?))
    }
}

/// Total lookups, many per query (nearly always for the same campaign).
struct TotalFetcher(Arc<Connections<PgConnection>>);

#[async_trait]
impl FetchBatch<String, u64> for TotalFetcher {
    async fn fetch(&self, keys: &[String]) -> StorageResult<Vec<u64>> {
        let mut campaigns: Vec<&String> = keys.iter().collect();
        campaigns.sort_unstable();
        campaigns.dedup();
        let campaigns: Vec<String> = campaigns.into_iter().cloned().collect();
        let mut connection = self.0.take().await.map_err(db("reading totals"))?;
        let read = sqlx::query_as(SELECT_TOTALS)
            .bind(campaigns)
            .fetch_all(&mut *connection)
            .await;
        self.0.give_back(connection, &read);
        let totals: HashMap<String, i64> = read.map_err(db("reading totals"))?.into_iter().collect();
        Ok(keys
            .iter()
            .map(|c| totals.get(c).copied().unwrap_or(0) as u64)
            .collect())
    }
}

/// Conversation lookups, many per query.
struct ConversationFetcher(Arc<Connections<PgConnection>>);

#[async_trait]
impl FetchBatch<Identity, Option<String>> for ConversationFetcher {
    async fn fetch(&self, keys: &[Identity]) -> StorageResult<Vec<Option<String>>> {
        let mut identities = IdentityColumns::default();
        for who in keys {
            identities.push(who, None);
        }
        let mut connection = self.0.take().await.map_err(db("loading conversations"))?;
        let read: Result<Vec<(String, String, String)>, _> = sqlx::query_as(SELECT_CONVERSATIONS)
            .bind(identities.platforms)
            .bind(identities.user_ids)
            .fetch_all(&mut *connection)
            .await;
        self.0.give_back(connection, &read);
        let rows = read.map_err(db("loading conversations"))?;
        let found: HashMap<(String, String), String> = rows
            .into_iter()
            .map(|(platform, user_id, state)| ((platform, user_id), state))
            .collect();
        Ok(keys
            .iter()
            .map(|who| {
                found
                    .get(&(who.platform.as_str().to_owned(), who.user_id.clone()))
                    .cloned()
            })
            .collect())
    }
}
