//! `petition bench`: measures what a viral surge needs, through the same
//! engine and adapters the bots use, on fresh databases of its own, and
//! prints one `name=value` line per figure.
//!
//! Every signing run ends by counting what was stored: the run fails if an
//! acknowledged signature is missing or any is duplicated.
//!
//! It drives a fake Telegram and makes its databases with the test kit
//! ([`crate::test_kit`]), so it exists only with the `test-kit` feature:
//! `cargo run --release --features test-kit -- bench`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Context;

use crate::config::{Secret, Settings};
use crate::test_kit::TestDatabase;

mod deliver;
mod memory;
mod signings;
mod stats;
mod surge;
mod telegram;
mod total;
mod updates;
mod web;

/// How big a run is.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    /// Signings at 1, 64 and 1,024 concurrent supporters.
    pub signings: [usize; 3],
    /// Signatures stored before `total` latency is measured.
    pub stored_for_total: usize,
    /// `total` calls timed.
    pub total_samples: usize,
    /// Conversations held open for the memory figure.
    pub open_conversations: usize,
    /// Signings through the Telegram adapter, and how many at once.
    pub telegram_signings: usize,
    /// Concurrent Telegram supporters.
    pub telegram_concurrency: usize,
    /// Recipients of the one update sent through the Telegram courier.
    pub update_recipients: usize,
    /// Signatures in the delivery pack.
    pub delivery_signatures: usize,
    /// Signings through the Mini App form, 1,024 clients at once.
    pub web_signings: usize,
    /// The same with each thank-you sent to the fake Telegram, which takes
    /// them at Telegram's 30 a second.
    pub web_signings_with_thanks: usize,
    /// count.json requests timed (with `stored_for_total` signatures).
    pub count_json_samples: usize,
    /// Signatures stored before `stats` latency is measured.
    pub stored_for_stats: usize,
    /// `stats` calls timed.
    pub stats_samples: usize,
    /// Supporters in the surge at Telegram's limits...
    pub surge_supporters: usize,
    /// ...who start within this many seconds of each other.
    pub surge_seconds: u64,
    /// Supporters opening the bot beside a flood...
    pub flood_supporters: usize,
    /// ...of this many messages in ten seconds from one account.
    pub flood_messages: usize,
}

impl Scale {
    /// The figures the issue asks for.
    pub const FULL: Scale = Scale {
        signings: [500, 20_000, 60_000],
        stored_for_total: 1_000_000,
        total_samples: 20_000,
        open_conversations: 100_000,
        telegram_signings: 300,
        telegram_concurrency: 256,
        update_recipients: 1_000,
        delivery_signatures: 100_000,
        web_signings: 30_000,
        web_signings_with_thanks: 3_000,
        count_json_samples: 10_000,
        stored_for_stats: 1_000_000,
        stats_samples: 100,
        surge_supporters: 1_000,
        surge_seconds: 10,
        flood_supporters: 100,
        flood_messages: 1_000,
    };

    /// A quick run that exercises every measurement (for tests).
    pub const QUICK: Scale = Scale {
        signings: [20, 200, 1_024],
        stored_for_total: 5_000,
        total_samples: 500,
        open_conversations: 2_000,
        telegram_signings: 16,
        telegram_concurrency: 16,
        update_recipients: 60,
        delivery_signatures: 2_000,
        web_signings: 1_024,
        web_signings_with_thanks: 120,
        count_json_samples: 300,
        stored_for_stats: 5_000,
        stats_samples: 20,
        surge_supporters: 60,
        surge_seconds: 2,
        flood_supporters: 20,
        flood_messages: 200,
    };
}

/// The concurrent supporters of the three signing runs.
const CONCURRENCY: [usize; 3] = [1, 64, 1_024];

/// Which measurements to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Part {
    /// Signings per second on SQLite.
    Sqlite,
    /// Signings per second on PostgreSQL.
    Postgres,
    /// `total` latency at a million signatures.
    Total,
    /// Memory per open conversation.
    Memory,
    /// Signings through the Telegram adapter.
    Telegram,
    /// One update to many signers through the Telegram courier.
    Updates,
    /// The delivery pack for 100,000 signatures.
    Deliver,
    /// The web server: Mini App signings, count.json latency.
    Web,
    /// `stats` latency at a million signatures.
    Stats,
    /// Supporters signing on Telegram at its real limits, and beside a flood.
    Surge,
}

/// Runs the measurements in `parts` (all when empty), passing each figure
/// to `report` as it is made. PostgreSQL runs are skipped when
/// `postgres_url` is `None`.
pub async fn run(
    scale: Scale,
    parts: &[Part],
    postgres_url: Option<&str>,
    mut report: impl FnMut(&str, String),
) -> anyhow::Result<()> {
    let wanted = |part: Part| parts.is_empty() || parts.contains(&part);
    if wanted(Part::Sqlite) {
        for (i, concurrency) in CONCURRENCY.into_iter().enumerate() {
            let database = TestDatabase::sqlite()?;
            let rate = signings::signings_per_second(&database.url, concurrency, scale.signings[i]).await?;
            report(&figure("signings_per_s_sqlite", concurrency), format!("{rate:.0}"));
        }
    }
    if wanted(Part::Postgres) {
        match postgres_url {
            Some(server) => {
                for (i, concurrency) in CONCURRENCY.into_iter().enumerate() {
                    let database = TestDatabase::try_on_server(server)
                        .await
                        .context("could not make a database at PETITION_TEST_POSTGRES_URL")?;
                    let rate = signings::signings_per_second(&database.url, concurrency, scale.signings[i]).await;
                    // Gone before the next run's database is made.
                    drop(database);
                    report(&figure("signings_per_s_postgres", concurrency), format!("{:.0}", rate?));
                }
            }
            None => report(
                "signings_per_s_postgres",
                "skipped (set PETITION_TEST_POSTGRES_URL)".to_owned(),
            ),
        }
    }
    if wanted(Part::Total) {
        let database = TestDatabase::sqlite()?;
        let (p50, p99) = total::total_latency(&database.url, scale.stored_for_total, scale.total_samples).await?;
        report("total_p50_us", format!("{p50:.0}"));
        report("total_p99_us", format!("{p99:.0}"));
    }
    if wanted(Part::Memory) {
        let database = TestDatabase::sqlite()?;
        let bytes = memory::bytes_per_conversation(&database.url, scale.open_conversations).await?;
        report("bytes_per_conversation", format!("{bytes:.0}"));
    }
    if wanted(Part::Telegram) {
        let database = TestDatabase::sqlite()?;
        let telegram = telegram::telegram(&database.url, scale.telegram_signings, scale.telegram_concurrency).await?;
        report("telegram_signings_per_s", format!("{:.2}", telegram.signings_per_s));
        report(
            "telegram_messages_per_signing",
            format!("{:.2}", telegram.messages_per_signing),
        );
        report(
            "telegram_edits_per_signing",
            format!("{:.2}", telegram.edits_per_signing),
        );
    }
    if wanted(Part::Updates) {
        let database = TestDatabase::sqlite()?;
        let figures = updates::updates(&database.url, scale.update_recipients).await?;
        report("updates_per_s_telegram", format!("{:.1}", figures.per_second));
        report(
            "updates_max_in_one_second_telegram",
            figures.most_in_one_second.to_string(),
        );
        report("updates_duplicated", figures.duplicated.to_string());
    }
    if wanted(Part::Deliver) {
        let scale = scale.delivery_signatures;
        let figures = tokio::task::spawn_blocking(move || deliver::deliver(scale)).await??;
        report("deliver_seconds_100k", format!("{:.2}", figures.seconds));
        report("deliver_peak_mib_100k", format!("{:.0}", figures.peak_mib));
    }
    if wanted(Part::Web) {
        let database = TestDatabase::sqlite()?;
        let figures = web::signings(&database.url, scale.web_signings, false).await?;
        report("web_signings_per_s", format!("{:.0}", figures.signings_per_s));
        let database = TestDatabase::sqlite()?;
        let figures = web::signings(&database.url, scale.web_signings_with_thanks, true).await?;
        report(
            "web_signings_per_s_with_thanks",
            format!("{:.0}", figures.signings_per_s),
        );
        report(
            "telegram_messages_per_signing_miniapp",
            format!("{:.2}", figures.messages_per_signing),
        );
        let database = TestDatabase::sqlite()?;
        let (p50, p99) =
            web::count_json_latency(&database.url, scale.stored_for_total, scale.count_json_samples).await?;
        report("count_json_p50_us", format!("{p50:.0}"));
        report("count_json_p99_us", format!("{p99:.0}"));
    }
    if wanted(Part::Stats) {
        let database = TestDatabase::sqlite()?;
        let figures = stats::stats_latency(&database.url, scale.stored_for_stats, scale.stats_samples).await?;
        report("stats_p99_ms", format!("{:.1}", figures.p99_ms));
        report("stats_recount_s", format!("{:.1}", figures.recount_s));
    }
    if wanted(Part::Surge) {
        let within = Duration::from_secs(scale.surge_seconds);
        let database = TestDatabase::sqlite()?;
        let figures = surge::surge(&database.url, scale.surge_supporters, within, false).await?;
        report("surge_completed", figures.completed.to_string());
        report("surge_429", figures.over_the_limit.to_string());
        report(
            "surge_max_calls_in_one_second",
            figures.most_in_one_second.0.to_string(),
        );
        report(
            "surge_max_calls_in_one_second_in_a_chat",
            figures.most_in_one_second.1.to_string(),
        );
        report("surge_calls_per_signing", format!("{:.2}", figures.calls_per_signing));
        report("surge_efficiency", format!("{:.3}", figures.efficiency));
        report("surge_first_reply_p50_s", format!("{:.1}", figures.first_reply_s.0));
        report("surge_first_reply_p99_s", format!("{:.1}", figures.first_reply_s.1));
        report("surge_seconds", format!("{:.1}", figures.seconds));
        let database = TestDatabase::sqlite()?;
        let figures = surge::surge(&database.url, scale.surge_supporters, within, true).await?;
        report("surge_completed_with_mini_app", figures.completed.to_string());
        report("surge_429_with_mini_app", figures.over_the_limit.to_string());
        report("surge_seconds_with_mini_app", format!("{:.1}", figures.seconds));
        for (flood, name) in [
            (None, "flood_other_first_reply_p99_ms_without_flood"),
            (Some(scale.flood_messages), "flood_other_first_reply_p99_ms"),
        ] {
            let database = TestDatabase::sqlite()?;
            let p99 = surge::first_replies_beside_a_flood(&database.url, scale.flood_supporters, flood).await?;
            report(name, format!("{p99:.0}"));
        }
    }
    Ok(())
}

/// `signings_per_s_sqlite` at 1,024 supporters, with the count as a suffix
/// at the other concurrencies.
fn figure(name: &str, concurrency: usize) -> String {
    if concurrency == 1_024 {
        name.to_owned()
    } else {
        format!("{name}_at_{concurrency}")
    }
}

/// The shipped settings on a bench database, with the per-person limits
/// out of the way (every bench supporter is in a hurry).
fn settings(url: &str) -> Settings {
    let mut settings = Settings::built_in();
    settings.database.url = Secret::new(url);
    settings.database.max_connections = 16;
    let mut campaign = settings.campaigns.default_campaign().as_ref().clone();
    campaign.limits.message_burst = 1_000_000;
    campaign.limits.signing_attempts_per_day = 1_000_000;
    campaign.limits.signatures_per_second = 10_000_000;
    settings.campaigns.upsert(campaign);
    settings
}

/// Runs `job(n)` for every `n` below `count`, `workers` of them at a time,
/// each taking the next number as it finishes one; fails with the first
/// job that fails.
async fn for_each_at_once<Job, Done>(workers: usize, count: usize, job: Job) -> anyhow::Result<()>
where
    Job: Fn(usize) -> Done + Clone + Send + 'static,
    Done: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let next = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..workers)
        .map(|_| {
            let (job, next) = (job.clone(), next.clone());
            tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= count {
                        return Ok::<_, anyhow::Error>(());
                    }
                    job(n).await?;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await??;
    }
    Ok(())
}

/// The median and the 99th percentile of `timings`, in microseconds.
fn p50_and_p99_micros(mut timings: Vec<Duration>) -> (f64, f64) {
    timings.sort_unstable();
    let percentile = |p: f64| timings[((timings.len() as f64 * p) as usize).min(timings.len() - 1)];
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    (micros(percentile(0.50)), micros(percentile(0.99)))
}
