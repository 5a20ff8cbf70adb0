//! What the process counts and times, for `GET /metrics` in Prometheus's
//! text format.
//!
//! Metrics are recorded through the `metrics` facade into one process-wide
//! Prometheus recorder, which [`install`] sets up and [`render`] reads.
//! Each recording goes through a function here whose arguments are enums
//! or configuration (a platform, a limit, a writer, a campaign's slug), so
//! no label can ever carry a person's name, email, postcode, platform id, a
//! campaign's free text or an error message: only the fixed words below.
//!
//! | metric | type | labels |
//! | --- | --- | --- |
//! | `petition_messages_received_total` | counter | `platform`, `input` (text, button, start, form) |
//! | `petition_replies_total` | counter | `platform` |
//! | `petition_answer_seconds` | histogram | `platform` |
//! | `petition_signatures_stored_total` | counter | `platform`, `campaign` |
//! | `petition_signatures_held_total` | counter | `platform`, `campaign`, `reason` |
//! | `petition_signatures_refused_total` | counter | `platform`, `campaign`, `reason` |
//! | `petition_limits_hit_total` | counter | `limit` |
//! | `petition_storage_batch_writes` | histogram | `writer` |
//! | `petition_storage_batch_signatures` | histogram | `writer` |
//! | `petition_storage_commit_seconds` | histogram | `writer` |
//! | `petition_storage_queue_depth` | gauge | `writer` |
//! | `petition_outbox_waiting` | gauge | `platform` |
//! | `petition_outbox_deliveries_total` | counter | `platform`, `result` |
//! | `petition_errors_total` | counter | `kind` |
//! | `petition_pace_waiting` | gauge | `platform`, `priority` (reply, organiser, progress, broadcast) |
//! | `petition_pace_wait_seconds` | histogram | `platform`, `priority` |
//! | `petition_pace_expected_wait_seconds` | gauge | `platform` |
//! | `petition_rate_limited_total` | counter | `platform` |
//!
//! Recording costs a hash and a lookup in a sharded map; the storage
//! writers record once per batch, never per signature.

use std::sync::{LazyLock, OnceLock};
use std::time::Duration;

use metrics::{Counter, Histogram, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::domain::{HoldReason, Platform};
use crate::pace::Priority;

mod labels;
pub use labels::{Delivered, ErrorKind, InputKind, Limit, Refusal};

/// How often histogram samples are folded into their buckets. Between
/// scrapes samples wait in memory; folding them on a timer keeps that
/// memory small however rarely `/metrics` is asked.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Buckets for answer and commit times, in seconds: a millisecond to ten
/// seconds (a commit waits for an fsync; an answer waits for its commit).
const SECONDS_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Buckets for a batch's size, up to the group commit's most (4,096).
const BATCH_BUCKETS: &[f64] = &[
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0, 2048.0, 4096.0,
];

/// The recorder's handle, once installed. One per process: tests and the
/// benchmark build several apps, which all record into it.
static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process-wide recorder and describes every metric, once;
/// later calls do nothing. The first recording installs it too, so none
/// is lost; the app calls it at start-up so that `/metrics` describes its
/// metrics from the first scrape.
pub fn install() {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)
            .and_then(|b| b.set_buckets_for_metric(Matcher::Prefix("petition_storage_batch_".into()), BATCH_BUCKETS))
            .expect("the bucket lists are not empty");
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder was installed first; /metrics will be empty");
        }
        describe();
        let upkeep = handle.clone();
        // A thread rather than a task: the recorder outlives any one
        // runtime (tests start one per test).
        let spawned = std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP_EVERY);
                    upkeep.run_upkeep();
                }
            });
        if let Err(error) = spawned {
            tracing::warn!(%error, "could not start the metrics upkeep thread");
        }
        handle
    });
    EXPOSED.call_once(expose_every_family);
}

/// Set once every family with fixed labels has its series.
static EXPOSED: std::sync::Once = std::sync::Once::new();

/// The chat platforms, which have paces, outboxes and rate limits.
const CHAT_PLATFORMS: [Platform; 2] = [Platform::Telegram, Platform::Discord];

/// Gives every family whose labels are fixed words its series (adding
/// nothing to any: one may already be counting), so that `/metrics` shows
/// it from the first scrape and an alert on it has data before the first
/// event. (Families labelled by campaign or writer
/// are given theirs by [`expose_campaign`] and [`expose_writer`].)
fn expose_every_family() {
    for platform in Platform::ALL {
        let name = platform.as_str();
        for input in InputKind::ALL {
            counter!("petition_messages_received_total", "platform" => name, "input" => input.as_str()).increment(0);
        }
        counter!("petition_replies_total", "platform" => name).increment(0);
        // A histogram registered is rendered, empty, until its first sample.
        let _ = histogram!("petition_answer_seconds", "platform" => name);
    }
    for limit in Limit::ALL {
        counter!("petition_limits_hit_total", "limit" => limit.as_str()).increment(0);
    }
    for kind in ErrorKind::ALL {
        counter!("petition_errors_total", "kind" => kind.as_str()).increment(0);
    }
    for platform in CHAT_PLATFORMS {
        let name = platform.as_str();
        gauge!("petition_outbox_waiting", "platform" => name).increment(0.0);
        for result in Delivered::ALL {
            counter!("petition_outbox_deliveries_total", "platform" => name, "result" => result.as_str()).increment(0);
        }
        for priority in Priority::ALL {
            gauge!("petition_pace_waiting", "platform" => name, "priority" => priority.as_str()).increment(0.0);
            let _ = histogram!("petition_pace_wait_seconds", "platform" => name, "priority" => priority.as_str());
        }
        gauge!("petition_pace_expected_wait_seconds", "platform" => name).increment(0.0);
        counter!("petition_rate_limited_total", "platform" => name).increment(0);
    }
}

/// Gives a configured campaign's families their series at zero: a
/// signature stored, held for each reason, refused for each.
pub fn expose_campaign(campaign: &str) {
    install();
    for platform in Platform::ALL {
        let name = platform.as_str();
        counter!("petition_signatures_stored_total", "platform" => name, "campaign" => campaign.to_owned())
            .increment(0);
        for reason in HoldReason::ALL {
            counter!(
                "petition_signatures_held_total",
                "platform" => name,
                "campaign" => campaign.to_owned(),
                "reason" => reason.as_str()
            )
            .increment(0);
        }
        for refusal in Refusal::ALL {
            counter!(
                "petition_signatures_refused_total",
                "platform" => name,
                "campaign" => campaign.to_owned(),
                "reason" => refusal.as_str()
            )
            .increment(0);
        }
    }
}

/// Gives a group-commit writer's families their series, when it starts.
pub fn expose_writer(writer: &'static str) {
    install();
    // A histogram registered is rendered, empty, until its first sample.
    let _ = histogram!("petition_storage_batch_writes", "writer" => writer);
    let _ = histogram!("petition_storage_batch_signatures", "writer" => writer);
    let _ = histogram!("petition_storage_commit_seconds", "writer" => writer);
    gauge!("petition_storage_queue_depth", "writer" => writer).increment(0.0);
}

/// Every metric recorded so far, in Prometheus's text format (installing
/// the recorder first if need be).
pub fn render() -> String {
    install();
    HANDLE.get().map(PrometheusHandle::render).unwrap_or_default()
}

fn describe() {
    describe_counter!(
        "petition_messages_received_total",
        "Messages and button presses handed to the engine, by platform and kind of input."
    );
    describe_counter!(
        "petition_replies_total",
        "Replies the engine handed back to be sent, by platform."
    );
    describe_histogram!(
        "petition_answer_seconds",
        metrics::Unit::Seconds,
        "Time from a message reaching the engine to its replies being ready, by platform."
    );
    describe_counter!(
        "petition_signatures_stored_total",
        "Signatures stored, counted or held for review, by platform and campaign."
    );
    describe_counter!(
        "petition_signatures_held_total",
        "Signatures stored but held for review, by platform, campaign and reason."
    );
    describe_counter!(
        "petition_signatures_refused_total",
        "Signatures turned away because their account or email signed before, by platform and campaign."
    );
    describe_counter!(
        "petition_limits_hit_total",
        "Messages or signatures stopped or held by a limit, by which limit."
    );
    describe_histogram!(
        "petition_storage_batch_writes",
        "Writes (conversation saves and ends, signatures) in each group-commit batch, by writer."
    );
    describe_histogram!(
        "petition_storage_batch_signatures",
        "Signatures in each group-commit batch, by writer."
    );
    describe_histogram!(
        "petition_storage_commit_seconds",
        metrics::Unit::Seconds,
        "Time to apply and commit one group-commit batch, by writer."
    );
    describe_gauge!(
        "petition_storage_queue_depth",
        "Writes waiting for the next batch when the last one was taken, by writer."
    );
    describe_gauge!(
        "petition_outbox_waiting",
        "Deliveries of the update being sent not yet handed to any platform, as its sender last looked."
    );
    describe_counter!(
        "petition_outbox_deliveries_total",
        "Updates handed to a platform by the outbox, by platform and what became of them."
    );
    describe_counter!("petition_errors_total", "Failures, by kind.");
    describe_gauge!(
        "petition_pace_waiting",
        "Messages waiting for their turn within the platform's rate limits, by platform and priority."
    );
    describe_histogram!(
        "petition_pace_wait_seconds",
        metrics::Unit::Seconds,
        "Time a message waited for its turn within the platform's rate limits, by platform and priority."
    );
    describe_gauge!(
        "petition_pace_expected_wait_seconds",
        metrics::Unit::Seconds,
        "How long a reply asked for now would wait for its turn, about, by platform."
    );
    describe_counter!(
        "petition_rate_limited_total",
        "Calls a platform answered with 429 (each waited out and sent again), by platform."
    );
}

/// Handles to the metrics recorded for every message, registered once so
/// that recording one is an atomic add rather than a lookup by name and
/// labels. Registering installs the recorder first, so a handle is never
/// bound to the no-op recorder that stands in before [`install`].
struct PerMessage {
    /// By platform, then by input, in [`Platform::ALL`] and [`InputKind::ALL`] order.
    received: Vec<[Counter; 4]>,
    /// By platform.
    replies: Vec<Counter>,
    /// By platform.
    answer_seconds: Vec<Histogram>,
}

static PER_MESSAGE: LazyLock<PerMessage> = LazyLock::new(|| {
    install();
    let received = Platform::ALL
        .iter()
        .map(|platform| {
            InputKind::ALL.map(|input| {
                counter!("petition_messages_received_total", "platform" => platform.as_str(), "input" => input.as_str())
            })
        })
        .collect();
    PerMessage {
        received,
        replies: Platform::ALL
            .iter()
            .map(|platform| counter!("petition_replies_total", "platform" => platform.as_str()))
            .collect(),
        answer_seconds: Platform::ALL
            .iter()
            .map(|platform| histogram!("petition_answer_seconds", "platform" => platform.as_str()))
            .collect(),
    }
});

fn index(platform: Platform) -> usize {
    Platform::ALL
        .iter()
        .position(|p| *p == platform)
        .expect("every platform is in Platform::ALL")
}

/// A message (or button press) reached the engine.
pub fn message_received(platform: Platform, input: InputKind) {
    let input = InputKind::ALL
        .iter()
        .position(|i| *i == input)
        .expect("every input is in ALL");
    PER_MESSAGE.received[index(platform)][input].increment(1);
}

/// The engine answered a message with `replies` replies after `took`.
pub fn answered(platform: Platform, replies: usize, took: Duration) {
    let platform = index(platform);
    PER_MESSAGE.replies[platform].increment(replies as u64);
    PER_MESSAGE.answer_seconds[platform].record(took.as_secs_f64());
}

/// A signature was stored; `hold` says why it is held, if it is.
pub fn signature_stored(platform: Platform, campaign: &str, hold: Option<HoldReason>) {
    let platform = platform.as_str();
    counter!("petition_signatures_stored_total", "platform" => platform, "campaign" => campaign.to_owned())
        .increment(1);
    if let Some(reason) = hold {
        counter!(
            "petition_signatures_held_total",
            "platform" => platform,
            "campaign" => campaign.to_owned(),
            "reason" => reason.as_str()
        )
        .increment(1);
    }
}

/// A signature was turned away by the storage.
pub fn signature_refused(platform: Platform, campaign: &str, refusal: Refusal) {
    counter!(
        "petition_signatures_refused_total",
        "platform" => platform.as_str(),
        "campaign" => campaign.to_owned(),
        "reason" => refusal.as_str()
    )
    .increment(1);
}

/// A limit stopped or held something.
pub fn limit_hit(limit: Limit) {
    counter!("petition_limits_hit_total", "limit" => limit.as_str()).increment(1);
}

/// A group-commit writer applied a batch: its size, its signatures, how
/// long it took, and the writes still queued behind it.
pub fn batch_committed(writer: &'static str, writes: usize, signatures: usize, took: Duration, queued: usize) {
    histogram!("petition_storage_batch_writes", "writer" => writer).record(writes as f64);
    histogram!("petition_storage_batch_signatures", "writer" => writer).record(signatures as f64);
    histogram!("petition_storage_commit_seconds", "writer" => writer).record(took.as_secs_f64());
    gauge!("petition_storage_queue_depth", "writer" => writer).set(queued as f64);
}

/// The outbox looked at the update it sends: `waiting` deliveries are not
/// yet handed to any platform.
pub fn outbox_waiting(platform: Platform, waiting: u64) {
    gauge!("petition_outbox_waiting", "platform" => platform.as_str()).set(waiting as f64);
}

/// The outbox handed an update to a platform.
pub fn outbox_delivered(platform: Platform, result: Delivered) {
    counter!("petition_outbox_deliveries_total", "platform" => platform.as_str(), "result" => result.as_str())
        .increment(1);
}

/// The pace of `platform` looked at its queue: `waiting` says how many
/// wait at each priority.
pub fn pace_waiting(platform: Platform, waiting: impl Fn(Priority) -> usize) {
    for priority in Priority::ALL {
        gauge!("petition_pace_waiting", "platform" => platform.as_str(), "priority" => priority.as_str())
            .set(waiting(priority) as f64);
    }
}

/// A message on `platform` had its turn after waiting `waited`.
pub fn pace_waited(platform: Platform, priority: Priority, waited: Duration) {
    histogram!("petition_pace_wait_seconds", "platform" => platform.as_str(), "priority" => priority.as_str())
        .record(waited.as_secs_f64());
}

/// How long a reply on `platform` asked for now would wait, about.
pub fn pace_expected_wait(platform: Platform, wait: Duration) {
    gauge!("petition_pace_expected_wait_seconds", "platform" => platform.as_str()).set(wait.as_secs_f64());
}

/// `platform` answered a call with 429.
pub fn rate_limited(platform: Platform) {
    counter!("petition_rate_limited_total", "platform" => platform.as_str()).increment(1);
}

/// Something failed.
pub fn error(kind: ErrorKind) {
    counter!("petition_errors_total", "kind" => kind.as_str()).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every label value `render` shows, as (label, value).
    fn label_values(text: &str) -> Vec<(String, String)> {
        let mut found = Vec::new();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let Some((_, rest)) = line.split_once('{') else {
                continue;
            };
            let Some((labels, _)) = rest.rsplit_once('}') else {
                continue;
            };
            for pair in labels.split(',') {
                let (name, value) = pair.split_once('=').expect("label=value");
                found.push((name.to_owned(), value.trim_matches('"').to_owned()));
            }
        }
        found
    }

    fn record_one_of_everything() {
        install();
        message_received(Platform::Telegram, InputKind::Text);
        message_received(Platform::Discord, InputKind::Button);
        answered(Platform::Console, 2, Duration::from_millis(3));
        signature_stored(Platform::Telegram, "unit-test-campaign", None);
        signature_stored(Platform::Discord, "unit-test-campaign", Some(HoldReason::Surge));
        signature_refused(Platform::Console, "unit-test-campaign", Refusal::EmailUsed);
        limit_hit(Limit::MessageRate);
        batch_committed("sqlite", 12, 3, Duration::from_micros(800), 5);
        outbox_waiting(Platform::Telegram, 7);
        outbox_delivered(Platform::Discord, Delivered::Unreachable);
        error(ErrorKind::Send(Platform::Telegram));
        error(ErrorKind::StorageBatch);
        limit_hit(Limit::ChatQueue);
        pace_waiting(Platform::Telegram, |priority| priority as usize);
        pace_waited(Platform::Discord, Priority::Broadcast, Duration::from_millis(40));
        pace_expected_wait(Platform::Telegram, Duration::from_secs(3));
        rate_limited(Platform::Telegram);
    }

    #[test]
    fn what_is_recorded_is_rendered_with_its_description() {
        record_one_of_everything();
        let text = render();
        for name in [
            "petition_messages_received_total",
            "petition_replies_total",
            "petition_answer_seconds",
            "petition_signatures_stored_total",
            "petition_signatures_held_total",
            "petition_signatures_refused_total",
            "petition_limits_hit_total",
            "petition_storage_batch_writes",
            "petition_storage_batch_signatures",
            "petition_storage_commit_seconds",
            "petition_storage_queue_depth",
            "petition_outbox_waiting",
            "petition_outbox_deliveries_total",
            "petition_errors_total",
            "petition_pace_waiting",
            "petition_pace_wait_seconds",
            "petition_pace_expected_wait_seconds",
            "petition_rate_limited_total",
        ] {
            assert!(
                text.contains(&format!("# HELP {name} ")),
                "no description of {name} in\n{text}"
            );
            assert!(text.contains(&format!("\n{name}")), "no {name} in\n{text}");
        }
        // Histograms, with buckets, not summaries.
        assert!(
            text.contains("# TYPE petition_storage_commit_seconds histogram"),
            "{text}"
        );
        assert!(
            text.contains("petition_storage_batch_writes_bucket{writer=\"sqlite\",le=\"16\"}"),
            "{text}"
        );
        assert!(
            text.contains("petition_answer_seconds_bucket{platform=\"console\",le=\"0.005\"}"),
            "{text}"
        );
    }

    #[test]
    fn labels_carry_only_the_fixed_vocabularies() {
        record_one_of_everything();
        let text = render();
        let platforms = Platform::ALL.map(Platform::as_str);
        let inputs = ["text", "button", "start", "form"];
        let limits = ["message_rate", "signing_attempts", "surge", "chat_queue"];
        let priorities = Priority::ALL.map(Priority::as_str);
        // "test": the group commit's own unit tests, in this process too.
        let writers = ["sqlite", "postgres_conversations", "postgres_signatures", "test"];
        let results = ["sent", "unreachable", "retry", "failed"];
        let kinds = [
            "storage",
            "storage_batch",
            "internal",
            "telegram_send",
            "discord_send",
            "console_send",
            "telegram_receive",
            "discord_receive",
            "console_receive",
        ];
        let reasons = [
            "already_signed",
            "email_used",
            "new_account",
            "surge",
            "email_domain_velocity",
            "postcode_district_velocity",
            "platform_velocity",
            "blocked_domain",
            "blocked_identity",
        ];
        let values = label_values(&text);
        assert!(!values.is_empty());
        for (label, value) in values {
            let allowed = match label.as_str() {
                "platform" => platforms.contains(&value.as_str()),
                "input" => inputs.contains(&value.as_str()),
                "limit" => limits.contains(&value.as_str()),
                "writer" => writers.contains(&value.as_str()),
                "result" => results.contains(&value.as_str()),
                "kind" => kinds.contains(&value.as_str()),
                "reason" => reasons.contains(&value.as_str()),
                "priority" => priorities.contains(&value.as_str()),
                // Slugs come from the configuration; the tests' campaigns
                // have these.
                "campaign" => value
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "le" => value == "+Inf" || value.parse::<f64>().is_ok(),
                _ => false,
            };
            assert!(allowed, "label {label}={value:?} is outside the fixed vocabularies");
        }
    }

    #[test]
    fn installing_twice_is_harmless() {
        install();
        install();
        limit_hit(Limit::Surge);
        assert!(render().contains("petition_limits_hit_total{limit=\"surge\"}"));
    }
}
