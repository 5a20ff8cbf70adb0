//! Shared test harness: the real application built on a fresh database
//! from the test kit (`petition::test_kit`: a temporary SQLite file, or a
//! new PostgreSQL database when `PETITION_TEST_POSTGRES_URL` is set), and
//! helpers that talk to the engine the way an adapter does. The kit's fakes
//! of Telegram and Discord are re-exported here for the tests.

#![allow(dead_code)]

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use petition::clock::ManualClock;
use petition::config::{Secret, Settings};
use petition::conversation::{Engine, Incoming, Input, Reply};
use petition::domain::{ChatKind, Identity, Platform};
use petition::startup::App;
use petition::storage::Storage;
#[allow(unused_imports)]
pub(crate) use petition::test_kit::{Backend, TestDatabase, fake_discord, fake_telegram};
/// `#[on_both_databases]` on an `async fn NAME(app: TestApp)` runs its
/// body as two tests, `NAME::sqlite` and `NAME::postgres`, each on a fresh
/// database.
pub(crate) use petition_test_macros::{in_a_process_of_its_own, on_both_databases};

pub(crate) mod slow_storage;

/// The moment every test's clock starts at.
pub(crate) fn test_start() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 3, 14, 0, 0).unwrap()
}

/// The shipped settings, pointed at a test database; the console user
/// "organiser" is an organiser, as shipped.
pub(crate) fn settings_for(database: &TestDatabase) -> Settings {
    let mut settings = Settings::built_in();
    settings.database.url = Secret::new(database.url.clone());
    settings.organisers.telegram_users = vec![1000];
    // Tests type far faster than people and the clock stands still, so the
    // per-person limits are loosened; the limits have tests of their own.
    let mut campaign = settings.campaigns.default_campaign().as_ref().clone();
    campaign.limits.message_burst = 100_000;
    campaign.limits.signing_attempts_per_day = 1_000;
    campaign.limits.signatures_per_second = 100_000;
    settings.campaigns.upsert(campaign);
    settings
}

/// The real application on a fresh database, with a clock the test moves.
pub(crate) struct TestApp {
    pub engine: Arc<Engine>,
    pub storage: Arc<dyn Storage>,
    pub clock: Arc<ManualClock>,
    pub settings: Settings,
    pub backend: Backend,
    pub database: TestDatabase,
}

impl TestApp {
    /// Builds the app on a fresh database; `None` if the backend is not
    /// available (PostgreSQL without its variable).
    pub(crate) async fn spawn(backend: Backend) -> Option<Self> {
        let database = TestDatabase::create(backend).await?;
        Some(Self::spawn_on(database).await)
    }

    /// Builds the app on a given fresh database.
    pub(crate) async fn spawn_on(database: TestDatabase) -> Self {
        let backend = database.backend();
        let settings = settings_for(&database);
        let clock = Arc::new(ManualClock::new(test_start()));
        let app = App::build_with_clock(settings.clone(), clock.clone())
            .await
            .expect("the app builds on a fresh database");
        Self {
            storage: app.engine.storage().clone(),
            engine: app.engine,
            clock,
            settings,
            backend,
            database,
        }
    }

    /// Builds a second app on the same database, as after a restart.
    pub(crate) async fn restart(self) -> Self {
        self.restart_with(|_| {}).await
    }

    /// Restarts with settings adjusted first, as after an edit to the config.
    pub(crate) async fn restart_with(self, adjust: impl FnOnce(&mut Settings)) -> Self {
        let TestApp {
            engine,
            storage,
            clock,
            mut settings,
            backend,
            database,
        } = self;
        drop(engine);
        drop(storage);
        adjust(&mut settings);
        let app = App::build_with_clock(settings.clone(), clock.clone())
            .await
            .expect("the app builds again");
        Self {
            storage: app.engine.storage().clone(),
            engine: app.engine,
            clock,
            settings,
            backend,
            database,
        }
    }

    /// The test clock's time.
    pub(crate) fn clock_now(&self) -> chrono::DateTime<Utc> {
        use petition::clock::Clock;
        self.clock.now()
    }

    /// The shipped campaign's slug.
    pub(crate) fn campaign(&self) -> String {
        self.settings.campaigns.default_campaign().slug.clone()
    }

    /// Sends typed text in a private chat.
    pub(crate) async fn say(&self, who: &Identity, text: &str) -> Vec<Reply> {
        self.engine
            .handle(Incoming::private(who.clone(), Input::Text(text.to_owned())))
            .await
    }

    /// Presses a button.
    pub(crate) async fn press(&self, who: &Identity, data: &str) -> Vec<Reply> {
        self.engine
            .handle(Incoming::private(who.clone(), Input::Choice(data.to_owned())))
            .await
    }

    /// Opens the bot, optionally through a link.
    pub(crate) async fn start(&self, who: &Identity, payload: Option<&str>) -> Vec<Reply> {
        self.engine
            .handle(Incoming::private(
                who.clone(),
                Input::Start {
                    payload: payload.map(str::to_owned),
                },
            ))
            .await
    }

    /// Sends typed text in a group.
    pub(crate) async fn say_in_group(&self, who: &Identity, text: &str) -> Vec<Reply> {
        self.engine
            .handle(Incoming {
                from: who.clone(),
                roles: Vec::new(),
                chat: ChatKind::Group,
                input: Input::Text(text.to_owned()),
                account_created: None,
            })
            .await
    }

    /// Signs all the way through by typing, and returns the last replies.
    pub(crate) async fn sign(&self, who: &Identity, name: &str, email: &str, postcode: &str) -> Vec<Reply> {
        self.start(who, None).await;
        self.say(who, "sign").await;
        self.say(who, name).await;
        self.say(who, email).await;
        self.say(who, postcode).await;
        self.say(who, "yes").await;
        self.say(who, "no").await;
        self.say(who, "confirm").await
    }

    /// The campaign's total.
    pub(crate) async fn total(&self) -> u64 {
        self.storage.total(&self.campaign()).await.expect("a total")
    }

    /// The saved conversation of someone, as the engine sees it.
    pub(crate) async fn conversation(&self, who: &Identity) -> Option<petition::conversation::Conversation> {
        self.storage
            .load_conversation(who)
            .await
            .expect("conversations can be read")
            .map(|json| serde_json::from_str(&json).expect("a saved conversation parses"))
    }
}

/// A loopback port nothing listens on: free a moment ago, for a server of
/// the test's own or for one that must not answer.
pub(crate) fn unused_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// Runs `command` with `input` typed into it and the input then closed,
/// to the end; what it printed and how it ended.
pub(crate) fn run_with_input(mut command: std::process::Command, input: impl AsRef<[u8]>) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_ref())
        .expect("answers are written");
    child.wait_with_output().expect("the binary finishes")
}

/// The `petition` binary, run in `folder` with a SQLite database there and
/// no bot tokens or PETITION_ settings inherited from the environment.
pub(crate) fn petition_binary(folder: &std::path::Path) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_petition"));
    command.current_dir(folder);
    for (key, _) in std::env::vars() {
        if key.starts_with("PETITION_") || key.ends_with("_BOT_TOKEN") || key == "DATABASE_URL" {
            command.env_remove(key);
        }
    }
    command
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", folder.join("petition.db").display()),
        )
        .env("RUST_LOG", "warn");
    command
}

/// A Telegram user.
pub(crate) fn telegram(id: u64) -> Identity {
    Identity::new(Platform::Telegram, id.to_string())
}

/// A Discord user.
pub(crate) fn discord(id: u64) -> Identity {
    Identity::new(Platform::Discord, id.to_string())
}

/// A console user.
pub(crate) fn console(name: &str) -> Identity {
    Identity::new(Platform::Console, name)
}

/// All the replies' texts joined, for assertions.
pub(crate) fn text_of(replies: &[Reply]) -> String {
    replies
        .iter()
        .map(|r| r.text.as_str())
        .collect::<Vec<_>>()
        .join("\n---\n")
}

/// The choices' data of the last reply that offered choices.
pub(crate) fn choice_data(replies: &[Reply]) -> Vec<String> {
    replies
        .iter()
        .rev()
        .find(|r| !r.choices.is_empty())
        .map(|r| r.choices.iter().map(|c| c.data.clone()).collect())
        .unwrap_or_default()
}

/// Set in a process started by [`runs_here`] to the one test it runs.
const ALONE: &str = "PETITION_TEST_ALONE";

/// Whether this process runs the test `test` of `module` (its
/// `module_path!()`): yes when it was started for that test alone;
/// otherwise it starts this test binary again for that test alone, fails
/// if the test fails there, and says no. The metrics registry belongs to
/// the whole process, and every test in this one binary writes to it; a
/// test that reads it runs where only it writes.
pub(crate) async fn runs_here(module: &str, test: &str) -> bool {
    let path = module.split_once("::").map_or(module, |(_, path)| path);
    let name = format!("{path}::{test}");
    if std::env::var(ALONE).as_deref() == Ok(name.as_str()) {
        return true;
    }
    let mut alone = std::process::Command::new(std::env::current_exe().expect("the test binary's path"));
    alone
        .args([name.as_str(), "--exact", "--test-threads=1"])
        .env(ALONE, &name);
    let output = tokio::task::spawn_blocking(move || alone.output())
        .await
        .expect("the wait for the test ends")
        .expect("the test binary starts again");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("test result: ok. 1 passed"),
        "{name}, run in a process of its own:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    false
}
