//! The outbox survives what processes go through: `petition run` killed
//! with SIGKILL while an update is going out resumes where it stopped when
//! started again, and nobody gets the update twice (the messages that were
//! in flight at the kill are recorded as unknown, never sent again); and
//! two `petition run` processes on one PostgreSQL database never both send
//! it. The real binary, the command line that queues the update, the fake
//! Telegram, and both databases.

use crate::support;

use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::fake_telegram::{self, FakeTelegram};
use crate::support::{Backend, TestDatabase};
use chrono::Utc;
use petition::config::{DatabaseSettings, Secret};
use petition::domain::{Email, Identity, Location, Platform, PostcodeDistrict, SignerName};
use petition::storage::{self, NewSignature, StoredUpdate, UpdateState, Usage};

/// Signers who asked for updates; of them, the first `BLOCKED` blocked the bot.
const SIGNERS: i64 = 300;
const BLOCKED: i64 = 10;
/// The first signer's Telegram id.
const FIRST: i64 = 7_000_000;
const TEXT: &str = "We are meeting the Commissioner on Friday.\nThank you for signing.";
/// How long a test waits for the update before failing.
const PATIENCE: Duration = Duration::from_secs(120);
/// The most sends in flight at once at Telegram's 30 a second: the batch.
const BATCH: u64 = 7;

fn settings(url: &str) -> DatabaseSettings {
    DatabaseSettings {
        url: Secret::new(url.to_owned()),
        max_connections: 4,
    }
}

/// Stores the signers, every one asking for updates.
async fn seed(url: &str) {
    let storage = storage::connect_for(&settings(url), Usage::ShortLived).await.unwrap();
    let campaign = petition::config::Settings::built_in()
        .campaigns
        .default_campaign()
        .slug
        .clone();
    for n in 0..SIGNERS {
        let now = Utc::now();
        let signature = NewSignature {
            campaign: campaign.clone(),
            identity: Identity::new(Platform::Telegram, (FIRST + n).to_string()),
            name: SignerName::parse("Ann Lee").unwrap(),
            email: Some(Email::parse(&format!("signer{n}@example.org")).unwrap()),
            location: Location::Uk(PostcodeDistrict::parse("SE1 7PB").unwrap()),
            updates_opt_in: true,
            consent_version: 1,
            consent_at: now,
            referral_code: None,
            created_at: now,
            hold: None,
        };
        storage.sign(&signature).await.unwrap();
    }
    storage.close().await;
}

async fn update(url: &str) -> StoredUpdate {
    let storage = storage::connect_for(&settings(url), Usage::ShortLived).await.unwrap();
    let update = storage.stored_update(1).await.unwrap().expect("update #1");
    storage.close().await;
    update
}

fn petition(folder: &Path, url: &str) -> Command {
    let mut command = support::petition_binary(folder);
    command.env("DATABASE_URL", url);
    command
}

/// `petition update --yes`, as an organiser would queue one.
fn queue_update(folder: &Path, url: &str) {
    let file = folder.join("update.txt");
    std::fs::write(&file, TEXT).unwrap();
    let output = petition(folder, url)
        .args(["update", "--yes", "--message-file"])
        .arg(&file)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(said.contains("It will reach 300 signers (300 on Telegram)"), "{said}");
    assert!(said.contains("Update #1 is queued for 300 signers"), "{said}");
}

/// A running `petition run` against the fake, its log collected.
struct Running {
    child: Child,
    log: Arc<Mutex<String>>,
}

impl Running {
    fn start(folder: &Path, url: &str, fake: &FakeTelegram) -> Self {
        let mut child = petition(folder, url)
            .arg("run")
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .env("TELEGRAM_BOT_TOKEN", fake_telegram::TOKEN)
            .env("PETITION_TELEGRAM__API_URL", fake.url.as_str())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let collected = log.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = collected.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        Self { child, log }
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// SIGKILL: no clean stop, nothing finished.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, and the clean stop that follows.
    fn stop(mut self) -> String {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        self.child.wait().unwrap();
        self.log()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Messages of the update each signer's chat received, and how many sends
/// were tried there.
fn deliveries(fake: &FakeTelegram) -> (HashMap<i64, usize>, HashMap<i64, usize>) {
    let mut received = HashMap::new();
    let mut tried = HashMap::new();
    for call in fake.calls_of("sendMessage") {
        let chat = call.body["chat_id"].as_i64().unwrap();
        if !(FIRST..FIRST + SIGNERS).contains(&chat) {
            continue;
        }
        assert!(call.body["text"].as_str().unwrap().contains(TEXT));
        *tried.entry(chat).or_insert(0) += 1;
        if call.status == 200 {
            *received.entry(chat).or_insert(0) += 1;
        }
    }
    (received, tried)
}

async fn wait_until(mut done: impl AsyncFnMut() -> bool, what: &str) {
    let deadline = Instant::now() + PATIENCE;
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn a_process_killed_mid_update_resumes_and_nobody_gets_it_twice(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();
    let url = database.url.clone();
    seed(&url).await;
    queue_update(folder.path(), &url);
    let fake = FakeTelegram::start().await;
    for n in 0..BLOCKED {
        fake.block(FIRST + n);
    }

    let first = Running::start(folder.path(), &url, &fake);
    wait_until(async || deliveries(&fake).0.len() >= 100, "a hundred deliveries").await;
    // From now on sends hang, as on a network that has gone quiet: the
    // batch in hand is in flight when the process is killed.
    fake.stall("sendMessage");
    tokio::time::sleep(Duration::from_millis(500)).await;
    first.kill();
    let before_restart = update(&url).await;
    assert!(
        before_restart.counts.sending >= 1,
        "a batch was in flight: {before_restart:?}"
    );
    fake.resume("sendMessage");

    let second = Running::start(folder.path(), &url, &fake);
    let finished = async || {
        let update = update(&url).await;
        update.state == UpdateState::Finished
    };
    wait_until(finished, "the update to finish after the restart").await;
    let log = second.stop();

    let update = update(&url).await;
    let (received, tried) = deliveries(&fake);
    assert!(received.values().all(|n| *n == 1), "nobody twice: {received:?}");
    for n in 0..BLOCKED {
        assert_eq!(tried.get(&(FIRST + n)), Some(&1), "a blocked user is tried once");
    }
    let counts = update.counts;
    assert_eq!(counts.unreachable, BLOCKED as u64);
    assert_eq!(
        counts.sent + counts.unknown + counts.unreachable,
        SIGNERS as u64,
        "{counts:?}"
    );
    assert!(
        (1..=BATCH).contains(&counts.unknown),
        "at most the batch in flight is unknown: {counts:?}"
    );
    // The unknown were the batch in flight: some may have arrived before
    // the network went quiet, the rest never did; every other signer who
    // can be reached received it.
    let got = received.len() as u64;
    assert!(
        (counts.sent..=counts.sent + counts.unknown).contains(&got),
        "{got} received: {counts:?}"
    );
    assert!(
        log.contains("recorded as unknown"),
        "the restarted process says what it found: {log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_process_killed_mid_update_resumes_and_nobody_gets_it_twice() {
    a_process_killed_mid_update_resumes_and_nobody_gets_it_twice(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_process_killed_mid_update_resumes_and_nobody_gets_it_twice() {
    a_process_killed_mid_update_resumes_and_nobody_gets_it_twice(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_postgres_database_never_both_send_an_update() {
    let Some(database) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();
    let url = database.url.clone();
    seed(&url).await;
    let fake = FakeTelegram::start().await;
    for n in 0..BLOCKED {
        fake.block(FIRST + n);
    }
    let one = Running::start(folder.path(), &url, &fake);
    let two = Running::start(folder.path(), &url, &fake);
    // Both are looking at the outbox before the update arrives.
    tokio::time::sleep(Duration::from_secs(2)).await;
    queue_update(folder.path(), &url);
    let finished = async || update(&url).await.state == UpdateState::Finished;
    wait_until(finished, "the update to finish").await;
    one.stop();
    two.stop();
    let (received, tried) = deliveries(&fake);
    assert_eq!(received.len() as i64, SIGNERS - BLOCKED);
    assert!(received.values().all(|n| *n == 1), "nobody twice: {received:?}");
    assert!(tried.values().all(|n| *n == 1), "no send tried twice: {tried:?}");
    let counts = update(&url).await.counts;
    assert_eq!((counts.sent, counts.unreachable, counts.unknown), (290, 10, 0));
}
