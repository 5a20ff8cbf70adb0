//! Shared test harness: a fresh database per test (a temporary SQLite file,
//! or a new PostgreSQL database when `PETITION_TEST_POSTGRES_URL` is set), the
//! real application built on it, and helpers that talk to the engine the way
//! an adapter does.

#![allow(dead_code)]

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use petition::clock::ManualClock;
use petition::config::{Secret, Settings};
use petition::conversation::{Engine, Incoming, Input, Reply};
use petition::domain::{ChatKind, Identity, Platform};
use petition::startup::App;
use petition::storage::Storage;
use sqlx::Connection;

pub mod fake_discord;
#[allow(unused_imports)]
pub use petition::testing::fake_telegram;
pub mod slow_storage;

/// Which database a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database that exists for one test and is removed afterwards.
pub struct TestDatabase {
    pub url: String,
    /// Keeps the SQLite file's folder alive.
    _folder: Option<tempfile::TempDir>,
    /// The PostgreSQL server URL and the database name, for dropping it.
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    /// A fresh database, or `None` when PostgreSQL is asked for but
    /// `PETITION_TEST_POSTGRES_URL` is not set.
    pub async fn create(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => {
                let folder = tempfile::tempdir().expect("a temporary folder");
                let url = format!("sqlite://{}", folder.path().join("petition.db").display());
                Some(Self {
                    url,
                    _folder: Some(folder),
                    postgres: None,
                })
            }
            Backend::Postgres => {
                let Ok(server) = std::env::var("PETITION_TEST_POSTGRES_URL") else {
                    eprintln!("PETITION_TEST_POSTGRES_URL is not set: skipping the PostgreSQL run");
                    return None;
                };
                Some(Self::on_server(&server).await)
            }
        }
    }

    /// A fresh database on the PostgreSQL server at `server`.
    pub async fn on_server(server: &str) -> Self {
        let name = format!("petition_test_{}", random_suffix());
        let mut admin = sqlx::PgConnection::connect(server)
            .await
            .expect("the PostgreSQL server must be running");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("could not create a test database");
        Self {
            url: with_database(server, &name),
            _folder: None,
            postgres: Some((server.to_owned(), name)),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((server, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs outside any runtime guarantee; use a thread of our own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async {
                if let Ok(mut admin) = sqlx::PgConnection::connect(&server).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut admin)
                    .await;
                }
            });
        })
        .join();
    }
}

fn random_suffix() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..12)
        .map(|_| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[rng.random_range(0..36)]))
        .collect()
}

/// The server URL with its database replaced by `name`.
fn with_database(server: &str, name: &str) -> String {
    let (base, query) = server.split_once('?').map_or((server, None), |(b, q)| (b, Some(q)));
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let base = match base[after_scheme..].find('/') {
        Some(slash) => &base[..after_scheme + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

/// The moment every test's clock starts at.
pub fn test_start() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 3, 14, 0, 0).unwrap()
}

/// The shipped settings, pointed at a test database; the console user
/// "organiser" is an organiser, as shipped.
pub fn settings_for(database: &TestDatabase) -> Settings {
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
pub struct TestApp {
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
    pub async fn spawn(backend: Backend) -> Option<Self> {
        let database = TestDatabase::create(backend).await?;
        Some(Self::spawn_on(database).await)
    }

    /// Builds the app on a given fresh database.
    pub async fn spawn_on(database: TestDatabase) -> Self {
        let backend = if database.postgres.is_some() {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
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
    pub async fn restart(self) -> Self {
        self.restart_with(|_| {}).await
    }

    /// Restarts with settings adjusted first, as after an edit to the config.
    pub async fn restart_with(self, adjust: impl FnOnce(&mut Settings)) -> Self {
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
    pub fn clock_now(&self) -> chrono::DateTime<Utc> {
        use petition::clock::Clock;
        self.clock.now()
    }

    /// The shipped campaign's slug.
    pub fn campaign(&self) -> String {
        self.settings.campaigns.default_campaign().slug.clone()
    }

    /// Sends typed text in a private chat.
    pub async fn say(&self, who: &Identity, text: &str) -> Vec<Reply> {
        self.engine
            .handle(Incoming::private(who.clone(), Input::Text(text.to_owned())))
            .await
    }

    /// Presses a button.
    pub async fn press(&self, who: &Identity, data: &str) -> Vec<Reply> {
        self.engine
            .handle(Incoming::private(who.clone(), Input::Choice(data.to_owned())))
            .await
    }

    /// Opens the bot, optionally through a link.
    pub async fn start(&self, who: &Identity, payload: Option<&str>) -> Vec<Reply> {
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
    pub async fn say_in_group(&self, who: &Identity, text: &str) -> Vec<Reply> {
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
    pub async fn sign(&self, who: &Identity, name: &str, email: &str, postcode: &str) -> Vec<Reply> {
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
    pub async fn total(&self) -> u64 {
        self.storage.total(&self.campaign()).await.expect("a total")
    }

    /// The saved conversation of someone, as the engine sees it.
    pub async fn conversation(&self, who: &Identity) -> Option<petition::conversation::Conversation> {
        self.storage
            .load_conversation(who)
            .await
            .expect("conversations can be read")
            .map(|json| serde_json::from_str(&json).expect("a saved conversation parses"))
    }
}

/// The `petition` binary, run in `folder` with a SQLite database there and
/// no bot tokens or PETITION_ settings inherited from the environment.
pub fn petition_binary(folder: &std::path::Path) -> std::process::Command {
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
pub fn telegram(id: u64) -> Identity {
    Identity::new(Platform::Telegram, id.to_string())
}

/// A Discord user.
pub fn discord(id: u64) -> Identity {
    Identity::new(Platform::Discord, id.to_string())
}

/// A console user.
pub fn console(name: &str) -> Identity {
    Identity::new(Platform::Console, name)
}

/// All the replies' texts joined, for assertions.
pub fn text_of(replies: &[Reply]) -> String {
    replies
        .iter()
        .map(|r| r.text.as_str())
        .collect::<Vec<_>>()
        .join("\n---\n")
}

/// The choices' data of the last reply that offered choices.
pub fn choice_data(replies: &[Reply]) -> Vec<String> {
    replies
        .iter()
        .rev()
        .find(|r| !r.choices.is_empty())
        .map(|r| r.choices.iter().map(|c| c.data.clone()).collect())
        .unwrap_or_default()
}

/// Generates one test per database for each named async fn taking a
/// [`TestApp`], so SQLite and PostgreSQL run the same body.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::support::TestApp::spawn($crate::support::Backend::Sqlite).await {
                        super::$name(app).await;
                    }
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::support::TestApp::spawn($crate::support::Backend::Postgres).await {
                        super::$name(app).await;
                    }
                }
            )*
        }
    };
}
