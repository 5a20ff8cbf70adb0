//! `deliver_seconds_100k` and `deliver_peak_mib_100k`: making the delivery
//! pack for 100,000 signatures.
//!
//! The signatures are made in memory (names in Latin, Greek and Cyrillic,
//! districts and countries, over a month), so the figures are the pack's
//! own cost: layout, shaping, font subsetting and writing the PDF; the
//! export query is the same one `petition export` runs.
//!
//! Peak memory is the growth of the process's resident high-water mark
//! (VmHWM in /proc/self/status) while the pack is made: the mark is reset
//! first (writing 5 to /proc/self/clear_refs), and the resident size just
//! before is subtracted, so the figure is what making the pack added on top
//! of the signatures already in memory.

use std::time::Instant;

use anyhow::Context;
use chrono::{Duration, TimeZone, Utc};

use crate::delivery;
use crate::domain::Platform;
use crate::messages::Language;
use crate::storage::ExportRow;

const FIRST: [&str; 6] = ["Ada", "Zoë", "Αλέξανδρος", "Анна", "José", "Łucja"];
const LAST: [&str; 6] = ["Lovelace", "Brontë", "Παπαδόπουλος", "Каренина", "Núñez", "Wróbel"];
const DISTRICTS: [&str; 5] = ["SW1A", "N1", "E1", "M1", "B33"];

/// The two figures.
pub(super) struct DeliverFigures {
    pub(super) seconds: f64,
    pub(super) peak_mib: f64,
}

fn rows(count: usize) -> Vec<ExportRow> {
    let start = Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0).unwrap();
    (0..count)
        .map(|n| {
            let abroad = n % 11 == 0;
            ExportRow {
                name: format!("{} {} {n}", FIRST[n % 6], LAST[(n / 6) % 6]),
                postcode_district: (!abroad).then(|| DISTRICTS[n % 5].to_owned()),
                country: abroad.then(|| ["France", "Greece", "Ukraine"][n % 3].to_owned()),
                platform: Platform::Telegram,
                signed_at: start + Duration::seconds((n as i64 * 30 * 86_400) / count.max(1) as i64),
            }
        })
        .collect()
}

/// A line of /proc/self/status, in KiB.
fn status_kib(field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status").context("memory is read from /proc")?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("/proc/self/status has {field}"))
}

/// Makes the pack for `count` signatures, timed and measured.
pub(super) fn deliver(count: usize) -> anyhow::Result<DeliverFigures> {
    let rows = rows(count);
    let campaign = crate::config::Settings::built_in().campaigns.default_campaign().clone();
    let date = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("a date");
    std::fs::write("/proc/self/clear_refs", "5").context("the peak memory mark is reset")?;
    let before = status_kib("VmRSS:")?;
    let started = Instant::now();
    let pack = delivery::build(Language::default(), &campaign, &rows, date)?;
    let seconds = started.elapsed().as_secs_f64();
    let peak = status_kib("VmHWM:")?;
    anyhow::ensure!(pack.signatures == count as u64, "the pack lists every signature");
    Ok(DeliverFigures {
        seconds,
        peak_mib: peak.saturating_sub(before) as f64 / 1024.0,
    })
}
