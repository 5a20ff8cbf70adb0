//! The embedded default: one SQLite file in WAL mode with `synchronous=FULL`,
//! so an acknowledged signature survives a power cut.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, Row, SqliteConnection, SqlitePool};

use super::cache::ConversationCache;
use super::connections::{Budget, Connections};
use super::erasure::Eraser;
use super::group_commit::{ApplyBatch, GroupCommit, Write, Written};
use super::group_read::{FetchBatch, GroupRead};
use super::sqlite_file::{DatabaseFile, SetUpLock, truncate_the_log, warn_of_a_missing_database, watch_the_file};
use super::thread::on_storage_thread;
use super::{
    Anomaly, AuditEntry, ConnectionLog, ConversationStore, DuplicateMatch, ExportRow, HeldSummary, Matched,
    NewSignature, PriorSignature, Recount, ReportStore, ReviewAction, ReviewOutcome, ReviewStore, SecretStore,
    Selection, SignOutcome, Signature, SignatureStatus, SignatureStore, Stats, Storage, StorageError, StorageResult,
    Tally, VelocityCount, db, dimension_from_column, every_day, hour_of, location_from_columns, platform_from_column,
};
use super::{AttemptKey, attempts_by_key, with_fresh_codes};
use crate::domain::{Email, HoldReason, Identity, Platform, ShareCode, SignerName};

/// How long a writer waits for another writer before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Signatures in a SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStorage {
    pool: SqlitePool,
    /// Conversation-state writes and signatures go through here: many of
    /// them share each transaction and its fsync.
    writer: GroupCommit,
    /// The conversations this process has in hand. One process owns a
    /// SQLite file, so it can trust its own copy and skip a read per message.
    conversations: Arc<ConversationCache>,
    /// Signature and total lookups that arrive together share one query.
    signature_reads: GroupRead<(String, Identity), Option<Signature>>,
    /// See `signature_reads`.
    total_reads: GroupRead<String, u64>,
    /// See `signature_reads`.
    attempt_reads: GroupRead<AttemptKey, Vec<DateTime<Utc>>>,
    /// The file opened, to refuse writes once its path leads elsewhere.
    file: Arc<DatabaseFile>,
    /// Connections for lookups, to close them at exit.
    lookup_budget: Arc<Budget<SqliteConnection>>,
    /// Asks for erased data to be cleared from the write-ahead log.
    eraser: Eraser,
}

fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

fn from_millis(ms: i64) -> StorageResult<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| StorageError::Corrupt(format!("time {ms} out of range")))
}

impl SqliteStorage {
    /// Opens (creating if missing, with its folder) the database at a
    /// `sqlite://PATH` URL and applies migrations.
    pub async fn connect(url: &str, max_connections: u32) -> StorageResult<Self> {
        let url = url.to_owned();
        on_storage_thread(async move { Self::open(&url, max_connections).await }).await
    }

    /// `connect`, on the storage thread.
    async fn open(url: &str, max_connections: u32) -> StorageResult<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(db("reading the SQLite URL"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            // Checkpoint the write-ahead log in fewer, larger steps: each
            // checkpoint stalls the commit that triggers it.
            .pragma("wal_autocheckpoint", "10000")
            // Deleted rows are overwritten, not merely unlinked: a withdrawn
            // signature must not stay readable in the file's free space.
            .pragma("secure_delete", "on")
            .foreign_keys(true);
        let path = options.get_filename().to_owned();
        if let Some(folder) = path.parent()
            && !folder.as_os_str().is_empty()
        {
            std::fs::create_dir_all(folder).map_err(|e| StorageError::Database {
                action: "creating the database folder",
                driver: sqlx::Error::Io(e),
            })?;
        }
        let mut set_up = SetUpLock::take(&path).await?;
        warn_of_a_missing_database(&path);
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections)
            .connect_with(options.clone())
            .await
            .map_err(db("opening the SQLite database"))?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        set_up.set_up()?;
        drop(set_up);
        let file = Arc::new(DatabaseFile::opened(&path)?);
        tokio::spawn(watch_the_file(Arc::downgrade(&file)));
        let writer_connection = SqliteConnection::connect_with(&options)
            .await
            .map_err(db("opening the SQLite writer"))?;
        // A file, not a server: the budget only keeps each kind of lookup to
        // the one connection it uses at a time.
        let lookup_budget = Budget::new(3 * READS_IN_FLIGHT);
        let lookups = |budget| Lookups {
            connections: lookups(budget, &options),
            file: file.clone(),
        };
        Ok(Self {
            writer: GroupCommit::start(SqliteWriter {
                connection: writer_connection,
                file: file.clone(),
            }),
            conversations: Arc::new(ConversationCache::complete(all_conversations(&pool).await?)),
            signature_reads: GroupRead::start(SignatureFetcher(lookups(&lookup_budget)), READS_IN_FLIGHT),
            total_reads: GroupRead::start(TotalFetcher(lookups(&lookup_budget)), READS_IN_FLIGHT),
            attempt_reads: GroupRead::start(AttemptFetcher(lookups(&lookup_budget)), READS_IN_FLIGHT),
            eraser: Eraser::start({
                let pool = pool.clone();
                Box::new(move || {
                    let pool = pool.clone();
                    (!pool.is_closed()).then(|| Box::pin(async move { truncate_the_log(&pool).await }) as _)
                })
            }),
            lookup_budget,
            file,
            pool,
        })
    }

    async fn prior_signature(
        tx: &mut sqlx::SqliteConnection,
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
                signed_at: from_millis(row.get("created_at"))?,
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
impl ConversationStore for SqliteStorage {
    async fn load_conversation(&self, who: &Identity) -> StorageResult<Option<String>> {
        Ok(self.conversations.get(who))
    }

    async fn save_conversation(&self, who: &Identity, state: &str, at: DateTime<Utc>) -> StorageResult<()> {
        self.writer
            .write(Write::SaveConversation {
                who: who.clone(),
                state: state.to_owned(),
                at,
            })
            .await?;
        // Only once it is durable: the cache never runs ahead of the file.
        self.conversations.put(who, state, at);
        Ok(())
    }

    async fn delete_conversation(&self, who: &Identity) -> StorageResult<()> {
        self.writer
            .write(Write::DeleteConversation { who: who.clone() })
            .await?;
        self.conversations.remove(who);
        self.eraser.erased();
        Ok(())
    }

    async fn delete_conversations_idle_since(&self, cutoff: DateTime<Utc>) -> StorageResult<u64> {
        self.file.check()?;
        let done = sqlx::query("DELETE FROM conversations WHERE updated_at < $1")
            .bind(millis(cutoff))
            .execute(&self.pool)
            .await
            .map_err(db("deleting abandoned conversations"))?;
        self.file.check()?;
        self.conversations.remove_idle_since(cutoff);
        if done.rows_affected() > 0 {
            self.eraser.erased();
        }
        Ok(done.rows_affected())
    }
}

#[async_trait]
impl SignatureStore for SqliteStorage {
    async fn register_campaign(&self, campaign: &str, version: u32, wording: &str) -> StorageResult<()> {
        self.file.check()?;
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db("registering a campaign"))?;
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
        .bind(i64::from(version))
        .bind(wording)
        .bind(millis(Utc::now()))
        .execute(&mut *tx)
        .await
        .map_err(db("recording the consent wording"))?;
        let recorded: String =
            sqlx::query_scalar("SELECT wording FROM consent_wordings WHERE campaign = $1 AND version = $2")
                .bind(campaign)
                .bind(i64::from(version))
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
        match self.writer.write(Write::Sign(Box::new(signature.clone()))).await? {
            Written::Signed(outcome) => {
                self.conversations.remove(&signature.identity);
                Ok(outcome)
            }
            Written::Done => Err(StorageError::Corrupt("a signature came back without an outcome".into())),
        }
    }

    async fn signature_of(&self, campaign: &str, who: &Identity) -> StorageResult<Option<Signature>> {
        self.signature_reads.read((campaign.to_owned(), who.clone())).await
    }

    async fn withdraw(&self, campaign: &str, who: &Identity) -> StorageResult<Option<u64>> {
        self.file.check()?;
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db("starting a withdrawal"))?;
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
        self.file.check()?;
        self.conversations.remove(who);
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
            .bind(millis(before))
            .execute(&self.pool)
            .await
            .map_err(db("forgetting old signing attempts"))?;
        Ok(done.rows_affected())
    }
}

#[async_trait]
impl ReportStore for SqliteStorage {
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
        let since_ms = millis(since.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
        let days: Vec<(String, i64)> = sqlx::query_as(
            "SELECT date(created_at / 1000, 'unixepoch') AS day, COUNT(*) FROM signatures
             WHERE campaign = $1 AND status = 'counted' AND created_at >= $2 GROUP BY day",
        )
        .bind(campaign)
        .bind(since_ms)
        .fetch_all(&self.pool)
        .await
        .map_err(db("counting signatures by day"))?;
        let days = days
            .into_iter()
            .filter_map(|(day, count)| Some((NaiveDate::parse_from_str(&day, "%Y-%m-%d").ok()?, count as u64)))
            .collect();
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
            by_day: every_day(since, today, days),
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
                    signed_at: from_millis(row.get("created_at"))?,
                })
            })
            .collect()
    }
}

#[async_trait]
impl ConnectionLog for SqliteStorage {
    async fn record_connection_attempt(
        &self,
        bot: &str,
        at: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> StorageResult<()> {
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db("recording a connection attempt"))?;
        sqlx::query("DELETE FROM connection_attempts WHERE bot = $1 AND at < $2")
            .bind(bot)
            .bind(millis(forget_before))
            .execute(&mut *tx)
            .await
            .map_err(db("forgetting old connection attempts"))?;
        sqlx::query("INSERT INTO connection_attempts (bot, at) VALUES ($1, $2)")
            .bind(bot)
            .bind(millis(at))
            .execute(&mut *tx)
            .await
            .map_err(db("recording a connection attempt"))?;
        tx.commit().await.map_err(db("recording a connection attempt"))
    }

    async fn connection_attempts_since(&self, bot: &str, since: DateTime<Utc>) -> StorageResult<u64> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM connection_attempts WHERE bot = $1 AND at >= $2")
            .bind(bot)
            .bind(millis(since))
            .fetch_one(&self.pool)
            .await
            .map_err(db("counting connection attempts"))?;
        Ok(count as u64)
    }
}

#[async_trait]
impl ReviewStore for SqliteStorage {
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
            .bind(selection.since.map(millis))
            .bind(selection.until.map(millis))
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
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db("starting a review"))?;
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
                .bind(selection.since.map(millis))
                .bind(selection.until.map(millis))
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
        self.file.check()?;
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
                    at: from_millis(row.get("at"))?,
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
            .bind(millis(since))
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
        .bind(millis(anomaly.detected_at))
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
        .bind(millis(since))
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
                    detected_at: from_millis(row.get("detected_at"))?,
                })
            })
            .collect()
    }

    async fn recount(&self) -> StorageResult<Vec<Recount>> {
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db("starting a recount"))?;
        let report = recount_in(&mut tx).await?;
        tx.commit().await.map_err(db("committing a recount"))?;
        Ok(report)
    }
}

#[async_trait]
impl SecretStore for SqliteStorage {
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
impl Storage for SqliteStorage {
    async fn close(&self) {
        let storage = self.clone();
        on_storage_thread(async move {
            storage.writer.close().await;
            for lookup in storage.lookup_budget.drain_idle() {
                let _ = lookup.close().await;
            }
            // Closing the last connection checkpoints the log and removes
            // it, unless another process still has the file open; truncating
            // it first clears erased rows from it either way.
            if let Err(error) = truncate_the_log(&storage.pool).await {
                tracing::warn!(%error, "could not clear the write-ahead log before closing");
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

async fn insert_audit(connection: &mut sqlx::SqliteConnection, entry: &AuditEntry) -> StorageResult<()> {
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
    .bind(millis(entry.at))
    .execute(&mut *connection)
    .await
    .map_err(db("writing the audit log"))?;
    Ok(())
}

async fn recount_in(tx: &mut sqlx::SqliteConnection) -> StorageResult<Vec<Recount>> {
    let stored: Vec<(String, i64, i64)> =
        sqlx::query_as("SELECT campaign, total, held FROM campaign_totals ORDER BY campaign")
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

/// Lookups in flight at once: SQLite is embedded, so one at a time lets the
/// largest batches gather.
const READS_IN_FLIGHT: usize = 1;

/// Lookups on connections of their own, within `budget`.
fn lookups(budget: &Arc<Budget<SqliteConnection>>, options: &SqliteConnectOptions) -> Connections<SqliteConnection> {
    let options = options.clone();
    budget.kind(Box::new(move || {
        let options = options.clone();
        Box::pin(async move { SqliteConnection::connect_with(&options).await })
    }))
}

/// Every conversation in progress, to fill the cache at start-up.
async fn all_conversations(pool: &SqlitePool) -> StorageResult<Vec<(Identity, String, DateTime<Utc>)>> {
    let rows: Vec<(String, String, String, i64)> =
        sqlx::query_as("SELECT platform, platform_user_id, state, updated_at FROM conversations")
            .fetch_all(pool)
            .await
            .map_err(db("loading conversations"))?;
    rows.into_iter()
        .map(|(platform, user_id, state, updated_at)| {
            Ok((
                Identity::new(platform_from_column(&platform)?, user_id),
                state,
                from_millis(updated_at)?,
            ))
        })
        .collect()
}

/// The writer task's side of the group commit: one connection, one
/// transaction per batch.
///
/// Before and after each batch it checks that the file is still the one at
/// the configured path: a batch committed into a file that was deleted is
/// lost with it, so it is reported as failed, never acknowledged.
struct SqliteWriter {
    connection: SqliteConnection,
    file: Arc<DatabaseFile>,
}

#[async_trait]
impl ApplyBatch for SqliteWriter {
    async fn apply(&mut self, writes: &[Write]) -> StorageResult<Vec<Written>> {
        self.file.check()?;
        let applied = apply_batch(&mut self.connection, writes).await;
        if applied.is_err() {
            // A batch that failed part-way must not leave its transaction
            // open, nor any of it committed. With no transaction open this
            // fails, harmlessly.
            let _ = sqlx::query("ROLLBACK").execute(&mut self.connection).await;
        }
        self.file.check()?;
        applied
    }

    async fn close(self) {
        let _ = self.connection.close().await;
    }
}

/// One transaction for the batch. Every statement is a hand-off to SQLite's
/// thread and back, and on a busy machine each hand-off waits for that
/// thread to get a core; so the statements go in as few hand-offs as
/// possible: one for a batch without signatures, three for one with them
/// (open the transaction and save and end conversations; insert the
/// signatures and see which were stored; count them and commit).
async fn apply_batch(connection: &mut SqliteConnection, writes: &[Write]) -> StorageResult<Vec<Written>> {
    let mut outcomes = vec![Written::Done; writes.len()];
    let saves: Vec<(&str, &str, &str, _)> = writes
        .iter()
        .filter_map(|w| match w {
            Write::SaveConversation { who, state, at } => {
                Some((who.platform.as_str(), who.user_id.as_str(), state.as_str(), millis(*at)))
            }
            _ => None,
        })
        .collect();
    // A signature ends its signer's conversation, in the same transaction.
    let deletes: Vec<(&str, &str)> = writes
        .iter()
        .filter_map(|w| match w {
            Write::DeleteConversation { who } => Some((who.platform.as_str(), who.user_id.as_str())),
            Write::Sign(signature) => Some((
                signature.identity.platform.as_str(),
                signature.identity.user_id.as_str(),
            )),
            Write::SaveConversation { .. } => None,
        })
        .collect();
    let signs: Vec<(usize, &NewSignature)> = writes
        .iter()
        .enumerate()
        .filter_map(|(i, w)| match w {
            Write::Sign(signature) => Some((i, signature.as_ref())),
            _ => None,
        })
        .collect();
    if signs.is_empty() {
        sqlx::query(CONVERSATIONS_ONLY)
            .bind(as_json(&saves))
            .bind(as_json(&deletes))
            .execute(&mut *connection)
            .await
            .map_err(db("saving conversations"))?;
    } else {
        // Every signature offered is an attempt, whatever becomes of it.
        let attempts: Vec<(&str, &str, &str, i64)> = signs
            .iter()
            .map(|(_, signature)| {
                (
                    signature.campaign.as_str(),
                    signature.identity.platform.as_str(),
                    signature.identity.user_id.as_str(),
                    millis(signature.created_at),
                )
            })
            .collect();
        sqlx::query(OPEN_WITH_CONVERSATIONS)
            .bind(as_json(&saves))
            .bind(as_json(&deletes))
            .bind(as_json(&attempts))
            .execute(&mut *connection)
            .await
            .map_err(db("saving conversations"))?;
        for (index, outcome) in sign_all(connection, &signs).await? {
            outcomes[index] = Written::Signed(outcome);
        }
    }
    Ok(outcomes)
}

/// Rows travel to the database as one JSON array parameter: one statement,
/// prepared once, whatever the batch size, and one round trip to the
/// database's thread instead of one per row.
fn as_json(rows: &impl serde::Serialize) -> String {
    serde_json::to_string(rows).expect("rows of strings and numbers serialise")
}

// The batch statements take their rows as JSON arrays.

/// Saves conversations, rows of [platform, platform user id, state,
/// updated at] in $1, and ends those of [platform, platform user id] in $2.
macro_rules! save_and_end_conversations {
    () => {
        "INSERT INTO conversations (platform, platform_user_id, state, updated_at)
             SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each($1) WHERE true
             ON CONFLICT (platform, platform_user_id)
             DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at;
         DELETE FROM conversations WHERE (platform, platform_user_id) IN
             (SELECT value ->> 0, value ->> 1 FROM json_each($2));"
    };
}

/// A whole batch without signatures.
const CONVERSATIONS_ONLY: &str = concat!("BEGIN IMMEDIATE;", save_and_end_conversations!(), "COMMIT;");

/// The start of a batch with signatures, which also notes each signing
/// attempt, rows of [campaign, platform, platform user id, at] in $3;
/// `sign_all` commits it.
const OPEN_WITH_CONVERSATIONS: &str = concat!(
    "BEGIN IMMEDIATE;",
    save_and_end_conversations!(),
    "INSERT INTO signing_attempts (campaign, platform, platform_user_id, at)
         SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each($3);"
);

/// Keys: [campaign, platform, platform user id]. Every attempt kept for
/// those identities, of which the caller keeps the recent ones: found by
/// the identity index alone, never by time, which would match nearly the
/// whole table during a surge.
const SELECT_ATTEMPTS: &str = "SELECT campaign, platform, platform_user_id, at FROM signing_attempts
     WHERE (campaign, platform, platform_user_id) IN (SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each($1))
     ORDER BY at";

/// Offers signatures, rows of the sixteen columns in order (see
/// `signature_row`) in $1, and returns the share codes of those stored
/// under their own signer: the ones that were inserted.
const INSERT_SIGNATURES: &str = "INSERT INTO signatures (campaign, platform, platform_user_id, name, email,
         postcode_district, country, updates_opt_in, consent_version, consent_at, referral_code, share_code,
         created_at, status, hold_reason, email_domain)
     SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7,
            value ->> 8, value ->> 9, value ->> 10, value ->> 11, value ->> 12, value ->> 13, value ->> 14, value ->> 15
     FROM json_each($1) WHERE true
     ON CONFLICT DO NOTHING;
     SELECT group_concat(s.share_code, ',') FROM signatures s JOIN json_each($1) j
     ON s.share_code = j.value ->> 11 AND s.campaign = j.value ->> 0
        AND s.platform = j.value ->> 1 AND s.platform_user_id = j.value ->> 2";

/// Adds to campaigns' counters, rows of [campaign, counted, held] in $1,
/// returns each campaign's total after, and commits the batch.
const COUNT_AND_COMMIT: &str = "INSERT INTO campaign_totals (campaign, total, held)
         SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each($1) WHERE true
     ON CONFLICT (campaign) DO UPDATE SET total = campaign_totals.total + excluded.total,
         held = campaign_totals.held + excluded.held
     RETURNING campaign, total;
     COMMIT";

/// Keys: [campaign, platform, platform user id].
const SELECT_SIGNATURES: &str = "SELECT campaign, platform, platform_user_id, name, email, postcode_district, country,
         updates_opt_in, consent_version, consent_at, referral_code, share_code, created_at, status, hold_reason
     FROM signatures WHERE (campaign, platform, platform_user_id) IN
         (SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each($1))";

/// Keys: campaign slugs.
const SELECT_TOTALS: &str =
    "SELECT campaign, total FROM campaign_totals WHERE campaign IN (SELECT value FROM json_each($1))";

/// A signature as a row for `INSERT_SIGNATURES`.
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
    i64,
    Option<&'a str>,
    &'a str,
    i64,
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
        millis(signature.consent_at),
        signature.referral_code.as_ref().map(ShareCode::as_str),
        code.as_str(),
        millis(signature.created_at),
        if signature.hold.is_some() { "held" } else { "counted" },
        signature.hold.map(HoldReason::as_str),
        signature.email.as_ref().map(Email::domain),
    )
}

/// Inserts a batch of signatures, recognising duplicates, updates each
/// campaign's counters once, and commits the batch's transaction. Returns
/// each signature's outcome by its index.
async fn sign_all(
    tx: &mut SqliteConnection,
    signs: &[(usize, &NewSignature)],
) -> StorageResult<Vec<(usize, SignOutcome)>> {
    let mut results = Vec::with_capacity(signs.len());
    let mut stored: Vec<(usize, &NewSignature, ShareCode)> = Vec::new();
    let mut pending: Vec<(usize, &NewSignature)> = signs.to_vec();
    // A fresh share code can, very rarely, collide with a stored one; the
    // unique constraint catches it and the signature tries another.
    for _ in 0..5 {
        if pending.is_empty() {
            break;
        }
        let candidates = with_fresh_codes(&pending);
        let rows: Vec<_> = candidates
            .iter()
            .map(|(_, signature, code)| signature_row(signature, code))
            .collect();
        let inserted: Option<String> = sqlx::query_scalar(INSERT_SIGNATURES)
            .bind(as_json(&rows))
            .fetch_one(&mut *tx)
            .await
            .map_err(db("storing signatures"))?;
        let inserted: HashSet<&str> = inserted.as_deref().unwrap_or("").split(',').collect();
        let mut retry = Vec::new();
        for (index, signature, code) in candidates {
            if inserted.contains(code.as_str()) {
                stored.push((index, signature, code));
            } else {
                match SqliteStorage::prior_signature(tx, signature).await? {
                    Some(prior) => results.push((index, SignOutcome::AlreadySigned(prior))),
                    None => retry.push((index, signature)),
                }
            }
        }
        pending = retry;
    }
    if !pending.is_empty() {
        return Err(StorageError::Corrupt("could not find unused share codes".into()));
    }
    let mut totals: HashMap<&str, (i64, i64)> = HashMap::new();
    for (_, signature, _) in &stored {
        let entry = totals.entry(signature.campaign.as_str()).or_default();
        if signature.hold.is_some() {
            entry.1 += 1;
        } else {
            entry.0 += 1;
        }
    }
    let counters: Vec<(&str, i64, i64)> = totals
        .into_iter()
        .map(|(campaign, (counted, held))| (campaign, counted, held))
        .collect();
    let after: HashMap<String, i64> = sqlx::query_as(COUNT_AND_COMMIT)
        .bind(as_json(&counters))
        .fetch_all(&mut *tx)
        .await
        .map_err(db("committing a batch"))?
        .into_iter()
        .collect();
    for (index, signature, share_code) in stored {
        results.push((
            index,
            SignOutcome::Signed {
                share_code,
                total: after[signature.campaign.as_str()] as u64,
                held: signature.hold.is_some(),
            },
        ));
    }
    Ok(results)
}

/// Connections for one kind of lookup, and the file they read: a lookup in
/// a file that was deleted would answer from data that is gone.
struct Lookups {
    connections: Connections<SqliteConnection>,
    file: Arc<DatabaseFile>,
}

/// Signature lookups, many per query.
struct SignatureFetcher(Lookups);

#[async_trait]
impl FetchBatch<(String, Identity), Option<Signature>> for SignatureFetcher {
    async fn fetch(&self, keys: &[(String, Identity)]) -> StorageResult<Vec<Option<Signature>>> {
        let wanted: Vec<(&str, &str, &str)> = keys
            .iter()
            .map(|(campaign, who)| (campaign.as_str(), who.platform.as_str(), who.user_id.as_str()))
            .collect();
        let mut connection = self.0.connections.take().await.map_err(db("reading signatures"))?;
        let read = sqlx::query(SELECT_SIGNATURES)
            .bind(as_json(&wanted))
            .fetch_all(&mut *connection)
            .await;
        self.0.connections.give_back(connection, &read);
        let rows = read.map_err(db("reading signatures"))?;
        self.0.file.check()?;
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

fn signature_from_row(row: &sqlx::sqlite::SqliteRow, campaign: String, who: Identity) -> StorageResult<Signature> {
    Ok(Signature {
        campaign,
        identity: who,
        name: SignerName::from_trusted(row.get("name")),
        email: row.get::<Option<String>, _>("email").map(Email::from_trusted),
        location: location_from_columns(row.get("postcode_district"), row.get("country"))?,
        updates_opt_in: row.get("updates_opt_in"),
        consent_version: row.get::<i64, _>("consent_version") as u32,
        consent_at: from_millis(row.get("consent_at"))?,
        referral_code: row
            .get::<Option<String>, _>("referral_code")
            .and_then(|code| ShareCode::parse(&code)),
        share_code: ShareCode::parse(row.get("share_code"))
            .ok_or_else(|| StorageError::Corrupt("a stored share code is malformed".into()))?,
        created_at: from_millis(row.get("created_at"))?,
        status: SignatureStatus::from_columns(row.get("status"), row.get("hold_reason"))?,
    })
}

/// Signing-attempt lookups, many per query.
struct AttemptFetcher(Lookups);

#[async_trait]
impl FetchBatch<AttemptKey, Vec<DateTime<Utc>>> for AttemptFetcher {
    async fn fetch(&self, keys: &[AttemptKey]) -> StorageResult<Vec<Vec<DateTime<Utc>>>> {
        let wanted: Vec<(&str, &str, &str)> = keys
            .iter()
            .map(|(campaign, who, _)| (campaign.as_str(), who.platform.as_str(), who.user_id.as_str()))
            .collect();
        let mut connection = self
            .0
            .connections
            .take()
            .await
            .map_err(db("reading signing attempts"))?;
        let read: Result<Vec<(String, String, String, i64)>, _> = sqlx::query_as(SELECT_ATTEMPTS)
            .bind(as_json(&wanted))
            .fetch_all(&mut *connection)
            .await;
        self.0.connections.give_back(connection, &read);
        let rows = read.map_err(db("reading signing attempts"))?;
        self.0.file.check()?;
        let found = rows
            .into_iter()
            .map(|(campaign, platform, user_id, at)| Ok((campaign, platform, user_id, from_millis(at)?)))
            .collect::<StorageResult<Vec<_>>>()?;
        Ok(attempts_by_key(keys, found))
    }
}

/// Total lookups, many per query (nearly always for the same campaign).
struct TotalFetcher(Lookups);

#[async_trait]
impl FetchBatch<String, u64> for TotalFetcher {
    async fn fetch(&self, keys: &[String]) -> StorageResult<Vec<u64>> {
        let mut campaigns: Vec<&String> = keys.iter().collect();
        campaigns.sort_unstable();
        campaigns.dedup();
        let mut connection = self.0.connections.take().await.map_err(db("reading totals"))?;
        let read = sqlx::query_as(SELECT_TOTALS)
            .bind(as_json(&campaigns))
            .fetch_all(&mut *connection)
            .await;
        self.0.connections.give_back(connection, &read);
        let totals: HashMap<String, i64> = read.map_err(db("reading totals"))?.into_iter().collect();
        self.0.file.check()?;
        Ok(keys
            .iter()
            .map(|c| totals.get(c).copied().unwrap_or(0) as u64)
            .collect())
    }
}
