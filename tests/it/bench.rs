//! `petition bench` keeps working: a quick run makes every measurement and
//! its own checks (every acknowledged signature stored, once) pass. The
//! figures themselves are not asserted: they are the bench's to print.

use petition::bench::{Scale, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quick_bench_run_reports_every_figure() {
    let postgres = petition::test_kit::database::postgres_server();
    let mut figures = Vec::new();
    run(Scale::QUICK, &[], postgres.as_deref(), |name, value| {
        figures.push((name.to_owned(), value))
    })
    .await
    .expect("every measurement completes and verifies what it stored");
    let names: Vec<&str> = figures.iter().map(|(name, _)| name.as_str()).collect();
    for expected in [
        "signings_per_s_sqlite_at_1",
        "signings_per_s_sqlite_at_64",
        "signings_per_s_sqlite",
        "total_p99_us",
        "bytes_per_conversation",
        "telegram_signings_per_s",
        "telegram_messages_per_signing",
        "updates_per_s_telegram",
        "updates_max_in_one_second_telegram",
        "updates_duplicated",
        "deliver_seconds_100k",
        "deliver_peak_mib_100k",
        "web_signings_per_s",
        "telegram_messages_per_signing_miniapp",
        "count_json_p99_us",
        "stats_p99_ms",
        "surge_first_reply_p50_s",
        "surge_first_reply_p99_s",
        "surge_efficiency",
        "surge_seconds_with_mini_app",
        "flood_other_first_reply_p99_ms",
        "flood_other_first_reply_p99_ms_without_flood",
    ] {
        assert!(names.contains(&expected), "{expected} missing from {names:?}");
    }
    let postgres_figure = figures
        .iter()
        .find(|(name, _)| name == "signings_per_s_postgres")
        .expect("reported");
    assert_eq!(
        postgres.is_some(),
        postgres_figure.1.parse::<f64>().is_ok(),
        "{postgres_figure:?}"
    );
    let messages: f64 = figures
        .iter()
        .find(|(n, _)| n == "telegram_messages_per_signing")
        .unwrap()
        .1
        .parse()
        .unwrap();
    let figure = |wanted: &str| -> f64 { figures.iter().find(|(n, _)| n == wanted).unwrap().1.parse().unwrap() };
    assert_eq!(figure("updates_duplicated"), 0.0, "nobody gets an update twice");
    assert_eq!(
        figure("telegram_messages_per_signing_miniapp"),
        1.0,
        "a signing in the Mini App costs the bot one message"
    );
    assert!(
        figure("updates_max_in_one_second_telegram") <= 30.0,
        "within Telegram's limit"
    );
    assert_eq!(
        messages, 4.0,
        "a signing on Telegram costs four messages (and four edits)"
    );
    // The surge at Telegram's real limits: everyone signs, within them.
    let quick = Scale::QUICK.surge_supporters as f64;
    assert_eq!(figure("surge_completed"), quick, "every supporter in the surge signs");
    assert_eq!(figure("surge_completed_with_mini_app"), quick);
    assert_eq!(figure("surge_429"), 0.0, "the bot never provokes a 429");
    assert_eq!(figure("surge_429_with_mini_app"), 0.0);
    assert!(
        figure("surge_max_calls_in_one_second") <= 30.0,
        "within Telegram's 30 a second"
    );
    assert!(
        figure("surge_max_calls_in_one_second_in_a_chat") <= 1.0,
        "within one a second in a chat"
    );
    assert!(
        figure("surge_calls_per_signing") <= 5.0,
        "a signing in the chat takes at most five sends and edits"
    );
}
