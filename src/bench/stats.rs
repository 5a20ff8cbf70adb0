//! `stats_p99_ms`: an organiser's `stats` (the total, held, and every
//! breakdown) at a million signatures on SQLite.
//!
//! The signatures are written straight into the file in one statement
//! (three platforms, 2,000 districts, 50 countries, 90 days, a quarter
//! brought in by one of 50,000 referral codes, one in a hundred held), far
//! faster than a million signings; a `recount` then builds the counters
//! from the rows, as it would mend them. So the figure is the read alone:
//! signing speed with the counters kept is `signings_per_s_sqlite`'s.

use std::time::{Duration, Instant};

use anyhow::ensure;
use chrono::Utc;

use super::settings;
use crate::domain::HoldReason;
use crate::startup::App;

/// Days the signatures are spread over, and `stats` asks for.
const DAYS: i64 = 90;

/// `signatures` rows of campaign $1, numbered from 0 to $2 - 1, consented
/// under version $3, the newest made at $4 (milliseconds) and one day older
/// for each step of the number modulo 90; $5 is the hold reason of the
/// held ones.
const BULK_SIGNATURES: &str = "
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $2)
    INSERT INTO signatures (campaign, platform, platform_user_id, name, email, postcode_district, country,
        updates_opt_in, consent_version, consent_at, referral_code, share_code, created_at, status, hold_reason,
        email_domain)
    SELECT $1, CASE i % 3 WHEN 0 THEN 'telegram' WHEN 1 THEN 'discord' ELSE 'console' END, 'bulk-' || i,
        'Bench Signer', 'bulk' || i || '@example.org',
        CASE WHEN i % 20 = 0 THEN NULL ELSE 'D' || (i * 7919 % 2000) END,
        CASE WHEN i % 20 = 0 THEN 'Country ' || (i % 50) END,
        0, $3, $4, CASE WHEN i % 4 = 0 THEN 'R' || (i * 104729 % 50000) END, 'S' || i,
        $4 - (i % 90) * 86400000,
        CASE WHEN i % 100 = 99 THEN 'held' ELSE 'counted' END, CASE WHEN i % 100 = 99 THEN $5 END, 'example.org'
    FROM n";

/// What the run measured.
pub(super) struct StatsFigures {
    /// The 99th percentile of the `stats` calls, in milliseconds.
    pub(super) p99_ms: f64,
    /// How long the recount that built the counters took (start-up runs
    /// one too), in seconds.
    pub(super) recount_s: f64,
}

/// Times `samples` `stats` calls with `signatures` stored.
pub(super) async fn stats_latency(url: &str, signatures: usize, samples: usize) -> anyhow::Result<StatsFigures> {
    let app = App::build(settings(url)).await?;
    let storage = app.engine.storage().clone();
    let campaign = app.engine.campaigns().default_campaign().clone();
    let now = Utc::now();
    {
        let pool = sqlx::SqlitePool::connect(url).await?;
        sqlx::query(BULK_SIGNATURES)
            .bind(&campaign.slug)
            .bind(signatures as i64)
            .bind(i64::from(campaign.consent.version))
            .bind(now.timestamp_millis())
            .bind(HoldReason::NewAccount.as_str())
            .execute(&pool)
            .await?;
        pool.close().await;
    }
    let counted = (0..signatures).filter(|i| i % 100 != 99).count() as u64;
    let recounting = Instant::now();
    let recounted = storage.recount().await?;
    let recount_s = recounting.elapsed().as_secs_f64();
    for recount in recounted {
        if recount.campaign == campaign.slug {
            ensure!(recount.counted_total == counted, "{recount:?}");
        }
    }
    let today = now.date_naive();
    let since = today - chrono::Duration::days(DAYS - 1);
    let mut timings = Vec::with_capacity(samples);
    for _ in 0..samples {
        let started = Instant::now();
        let stats = storage.stats(&campaign.slug, since, today).await?;
        timings.push(started.elapsed());
        ensure!(stats.total == counted, "stats counts {} of {counted}", stats.total);
        let by_day: u64 = stats.by_day.iter().map(|day| day.count).sum();
        ensure!(by_day == counted, "the days add up to {by_day}, not {counted}");
        ensure!(stats.top_referral_codes.len() == 10.min(signatures / 4));
    }
    storage.close().await;
    timings.sort_unstable();
    let p99 = timings[((timings.len() as f64 * 0.99) as usize).min(timings.len() - 1)];
    Ok(StatsFigures {
        p99_ms: as_ms(p99),
        recount_s,
    })
}

fn as_ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}
