//! PostgreSQL, for deployments where several processes or machines share
//! the signatures.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Row};

use super::{
    DuplicateMatch, ExportRow, NewSignature, PriorSignature, SignOutcome, Signature, Stats,
    Storage, StorageError, StorageResult, Tally, db, every_day, location_from_columns,
    platform_from_column,
};
use crate::domain::{Email, Identity, ShareCode, SignerName};

/// Signatures in a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStorage {
    pool: PgPool,
}

impl PostgresStorage {
    /// Connects to the database at a `postgres://` URL and applies migrations.
    pub async fn connect(url: &str, max_connections: u32) -> StorageResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .connect(url)
            .await
            .map_err(db("connecting to PostgreSQL"))?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Self { pool })
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
impl Storage for PostgresStorage {
    async fn register_campaign(
        &self,
        campaign: &str,
        version: u32,
        wording: &str,
    ) -> StorageResult<()> {
        let mut tx = self
            .pool
            .begin()
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
        .bind(version as i32)
        .bind(wording)
        .bind(Utc::now())
        .execute(&mut *tx)
        .await
        .map_err(db("recording the consent wording"))?;
        let recorded: String = sqlx::query_scalar(
            "SELECT wording FROM consent_wordings WHERE campaign = $1 AND version = $2",
        )
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

    async fn load_conversation(&self, who: &Identity) -> StorageResult<Option<String>> {
        sqlx::query_scalar(
            "SELECT state FROM conversations WHERE platform = $1 AND platform_user_id = $2",
        )
        .bind(who.platform.as_str())
        .bind(&who.user_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db("loading a conversation"))
    }

    async fn save_conversation(
        &self,
        who: &Identity,
        state: &str,
        at: DateTime<Utc>,
    ) -> StorageResult<()> {
        sqlx::query(
            "INSERT INTO conversations (platform, platform_user_id, state, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (platform, platform_user_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
        )
        .bind(who.platform.as_str())
        .bind(&who.user_id)
        .bind(state)
        .bind(at)
        .execute(&self.pool)
        .await
        .map_err(db("saving a conversation"))?;
        Ok(())
    }

    async fn delete_conversation(&self, who: &Identity) -> StorageResult<()> {
        sqlx::query("DELETE FROM conversations WHERE platform = $1 AND platform_user_id = $2")
            .bind(who.platform.as_str())
            .bind(&who.user_id)
            .execute(&self.pool)
            .await
            .map_err(db("deleting a conversation"))?;
        Ok(())
    }

    async fn delete_conversations_idle_since(&self, cutoff: DateTime<Utc>) -> StorageResult<u64> {
        let done = sqlx::query("DELETE FROM conversations WHERE updated_at < $1")
            .bind(cutoff)
            .execute(&self.pool)
            .await
            .map_err(db("deleting abandoned conversations"))?;
        Ok(done.rows_affected())
    }

    async fn sign(&self, signature: &NewSignature) -> StorageResult<SignOutcome> {
        // A fresh share code could, very rarely, collide with an existing one;
        // the unique constraint catches it and another code is tried.
        for _ in 0..5 {
            let share_code = ShareCode::generate();
            let mut tx = self
                .pool
                .begin()
                .await
                .map_err(db("starting a signature"))?;
            let inserted = sqlx::query(
                "INSERT INTO signatures (campaign, platform, platform_user_id, name, email, postcode_district,
                     country, updates_opt_in, consent_version, consent_at, referral_code, share_code, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                 ON CONFLICT DO NOTHING",
            )
            .bind(&signature.campaign)
            .bind(signature.identity.platform.as_str())
            .bind(&signature.identity.user_id)
            .bind(signature.name.as_str())
            .bind(signature.email.as_ref().map(Email::as_str))
            .bind(signature.location.district())
            .bind(signature.location.country())
            .bind(signature.updates_opt_in)
            .bind(signature.consent_version as i32)
            .bind(signature.consent_at)
            .bind(signature.referral_code.as_ref().map(ShareCode::as_str))
            .bind(share_code.as_str())
            .bind(signature.created_at)
            .execute(&mut *tx)
            .await
            .map_err(db("storing a signature"))?;
            if inserted.rows_affected() == 0 {
                match Self::prior_signature(&mut tx, signature).await? {
                    Some(prior) => return Ok(SignOutcome::AlreadySigned(prior)),
                    None => continue,
                }
            }
            let total: i64 = sqlx::query_scalar(
                "INSERT INTO campaign_totals (campaign, total) VALUES ($1, 1)
                 ON CONFLICT (campaign) DO UPDATE SET total = campaign_totals.total + 1
                 RETURNING total",
            )
            .bind(&signature.campaign)
            .fetch_one(&mut *tx)
            .await
            .map_err(db("counting a signature"))?;
            tx.commit().await.map_err(db("committing a signature"))?;
            return Ok(SignOutcome::Signed {
                share_code,
                total: total as u64,
            });
        }
        Err(StorageError::Corrupt(
            "could not find an unused share code".into(),
        ))
    }

    async fn signature_of(
        &self,
        campaign: &str,
        who: &Identity,
    ) -> StorageResult<Option<Signature>> {
        let row = sqlx::query(
            "SELECT name, email, postcode_district, country, updates_opt_in, consent_version, consent_at,
                    referral_code, share_code, created_at
             FROM signatures WHERE campaign = $1 AND platform = $2 AND platform_user_id = $3",
        )
        .bind(campaign)
        .bind(who.platform.as_str())
        .bind(&who.user_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db("reading a signature"))?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(Signature {
            campaign: campaign.to_owned(),
            identity: who.clone(),
            name: SignerName::from_trusted(row.get("name")),
            email: row
                .get::<Option<String>, _>("email")
                .map(Email::from_trusted),
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
        }))
    }

    async fn withdraw(&self, campaign: &str, who: &Identity) -> StorageResult<Option<u64>> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(db("starting a withdrawal"))?;
        let deleted = sqlx::query("DELETE FROM signatures WHERE campaign = $1 AND platform = $2 AND platform_user_id = $3")
            .bind(campaign)
            .bind(who.platform.as_str())
            .bind(&who.user_id)
            .execute(&mut *tx)
            .await
            .map_err(db("deleting a signature"))?;
        if deleted.rows_affected() == 0 {
            return Ok(None);
        }
        let total: i64 = sqlx::query_scalar(
            "UPDATE campaign_totals SET total = total - 1 WHERE campaign = $1 RETURNING total",
        )
        .bind(campaign)
        .fetch_one(&mut *tx)
        .await
        .map_err(db("uncounting a signature"))?;
        sqlx::query("DELETE FROM conversations WHERE platform = $1 AND platform_user_id = $2")
            .bind(who.platform.as_str())
            .bind(&who.user_id)
            .execute(&mut *tx)
            .await
            .map_err(db("deleting a conversation"))?;
        tx.commit().await.map_err(db("committing a withdrawal"))?;
        Ok(Some(total as u64))
    }

    async fn total(&self, campaign: &str) -> StorageResult<u64> {
        let total: Option<i64> =
            sqlx::query_scalar("SELECT total FROM campaign_totals WHERE campaign = $1")
                .bind(campaign)
                .fetch_optional(&self.pool)
                .await
                .map_err(db("reading a total"))?;
        Ok(total.unwrap_or(0) as u64)
    }

    async fn stats(
        &self,
        campaign: &str,
        since: NaiveDate,
        today: NaiveDate,
    ) -> StorageResult<Stats> {
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
        let since = since
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists")
            .and_utc();
        let days: Vec<(NaiveDate, i64)> = sqlx::query_as(
            "SELECT (created_at AT TIME ZONE 'UTC')::date AS day, COUNT(*) FROM signatures
             WHERE campaign = $1 AND created_at >= $2 GROUP BY day",
        )
        .bind(campaign)
        .bind(since)
        .fetch_all(&self.pool)
        .await
        .map_err(db("counting signatures by day"))?;
        let days = days
            .into_iter()
            .map(|(day, count)| (day, count as u64))
            .collect();
        Ok(Stats {
            campaign: campaign.to_owned(),
            total: self.total(campaign).await?,
            by_platform: tallies(
                "SELECT platform, COUNT(*) FROM signatures WHERE campaign = $1 GROUP BY platform ORDER BY 2 DESC, 1",
            )
            .await?,
            by_day: every_day(since.date_naive(), today, days),
            by_district: tallies(
                "SELECT postcode_district, COUNT(*) FROM signatures WHERE campaign = $1 AND postcode_district IS NOT NULL
                 GROUP BY postcode_district ORDER BY 2 DESC, 1",
            )
            .await?,
            by_country: tallies(
                "SELECT country, COUNT(*) FROM signatures WHERE campaign = $1 AND country IS NOT NULL
                 GROUP BY country ORDER BY 2 DESC, 1",
            )
            .await?,
            top_referral_codes: tallies(
                "SELECT referral_code, COUNT(*) FROM signatures WHERE campaign = $1 AND referral_code IS NOT NULL
                 GROUP BY referral_code ORDER BY 2 DESC, 1 LIMIT 10",
            )
            .await?,
        })
    }

    async fn export(&self, campaign: &str) -> StorageResult<Vec<ExportRow>> {
        let rows = sqlx::query(
            "SELECT name, postcode_district, country, platform, created_at FROM signatures
             WHERE campaign = $1 ORDER BY id",
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

    async fn record_connection_attempt(
        &self,
        bot: &str,
        at: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> StorageResult<()> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(db("recording a connection attempt"))?;
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
        tx.commit()
            .await
            .map_err(db("recording a connection attempt"))
    }

    async fn connection_attempts_since(
        &self,
        bot: &str,
        since: DateTime<Utc>,
    ) -> StorageResult<u64> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM connection_attempts WHERE bot = $1 AND at >= $2",
        )
        .bind(bot)
        .bind(since)
        .fetch_one(&self.pool)
        .await
        .map_err(db("counting connection attempts"))?;
        Ok(count as u64)
    }
}
