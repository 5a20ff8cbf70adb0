//! `total_p50_us` and `total_p99_us`: the `total` query at a million
//! stored signatures while signings stream in.

use std::time::Instant;

use anyhow::ensure;

use super::signings::{StreamingSigners, seed};
use super::{p50_and_p99_micros, settings};
use crate::startup::App;

/// `total` latency percentiles, in microseconds, with `stored` signatures
/// in the database and signings streaming in meanwhile.
pub(super) async fn total_latency(url: &str, stored: usize, samples: usize) -> anyhow::Result<(f64, f64)> {
    let app = App::build(settings(url)).await?;
    let engine = app.engine.clone();
    let storage = engine.storage().clone();
    seed(&storage, stored).await?;
    let signers = StreamingSigners::start(&engine, stored);
    let campaign = engine.campaigns().default_campaign().slug.clone();
    let mut timings = Vec::with_capacity(samples);
    for _ in 0..samples {
        let started = Instant::now();
        let total = engine.storage().total(&campaign).await?;
        timings.push(started.elapsed());
        ensure!(total >= stored as u64, "the total went backwards");
    }
    signers.stop().await?;
    engine.storage().close().await;
    Ok(p50_and_p99_micros(timings))
}
