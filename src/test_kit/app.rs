//! The real application on a fresh database, with a clock the test moves,
//! and helpers that talk to the engine the way an adapter does: one set of
//! fixtures for the engine's unit tests and the integration tests.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};

use super::{Backend, TestDatabase};
use crate::campaign::Campaign;
use crate::clock::{Clock, ManualClock};
use crate::config::{Secret, Settings};
use crate::conversation::{Conversation, Engine, FormAnswers, Incoming, Input, Reply};
use crate::domain::{ChatKind, Identity, Platform};
use crate::startup::App;
use crate::storage::Storage;

/// The Telegram id the test settings make an organiser.
pub const ORGANISER: i64 = 1000;

/// The moment every test's clock starts at: 3 November 2026, 14:00 UTC.
pub fn test_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 3, 14, 0, 0).unwrap()
}

/// The shipped settings, with one Telegram organiser ([`ORGANISER`]) and
/// the per-person limits loosened: tests type far faster than people and
/// the clock stands still (the limits have tests of their own).
pub fn test_settings() -> Settings {
    let mut settings = Settings::built_in();
    settings.organisers.telegram_users = vec![ORGANISER];
    change_campaign(&mut settings, |campaign| {
        campaign.limits.message_burst = 100_000;
        campaign.limits.signing_attempts_per_day = 1_000;
        campaign.limits.signatures_per_second = 100_000;
    });
    settings
}

/// [`test_settings`], pointed at `database`.
pub fn settings_for(database: &TestDatabase) -> Settings {
    let mut settings = test_settings();
    settings.database.url = Secret::new(database.url.clone());
    settings
}

/// Changes the default campaign's settings.
pub fn change_campaign(settings: &mut Settings, change: impl FnOnce(&mut Campaign)) {
    let mut campaign = settings.campaigns.default_campaign().as_ref().clone();
    change(&mut campaign);
    settings.campaigns.upsert(campaign);
}

/// The real application on a fresh database, with a clock the test moves.
pub struct TestApp {
    /// The engine every adapter talks to.
    pub engine: Arc<Engine>,
    /// Its storage, for looking behind the engine.
    pub storage: Arc<Storage>,
    /// The clock the test moves.
    pub clock: Arc<ManualClock>,
    /// The settings it was built with.
    pub settings: Settings,
    /// SQLite or PostgreSQL.
    pub backend: Backend,
    /// The database, dropped with the app.
    pub database: TestDatabase,
}

impl TestApp {
    /// Builds the app on a fresh database; `None` if the backend is not
    /// available (PostgreSQL without its variable).
    pub async fn spawn(backend: Backend) -> Option<Self> {
        let database = TestDatabase::create(backend).await?;
        Some(Self::spawn_on(database).await)
    }

    /// Builds the app on a fresh SQLite file.
    pub async fn sqlite() -> Self {
        Self::sqlite_with(|_| {}).await
    }

    /// Builds the app on a fresh SQLite file, its settings adjusted first.
    pub async fn sqlite_with(adjust: impl FnOnce(&mut Settings)) -> Self {
        let database = TestDatabase::sqlite().unwrap_or_else(|error| panic!("{error:#}"));
        let mut settings = settings_for(&database);
        adjust(&mut settings);
        Self::build(database, settings).await
    }

    /// Builds the app on a fresh SQLite file, its default campaign changed
    /// first.
    pub async fn sqlite_with_campaign(change: impl FnOnce(&mut Campaign)) -> Self {
        Self::sqlite_with(|settings| change_campaign(settings, change)).await
    }

    /// Builds the app on a given fresh database.
    pub async fn spawn_on(database: TestDatabase) -> Self {
        let settings = settings_for(&database);
        Self::build(database, settings).await
    }

    async fn build(database: TestDatabase, settings: Settings) -> Self {
        let clock = Arc::new(ManualClock::new(test_start()));
        let app = App::build_with_clock(settings.clone(), clock.clone())
            .await
            .expect("the app builds on a fresh database");
        Self {
            storage: app.engine.storage().clone(),
            engine: app.engine,
            clock,
            settings,
            backend: database.backend(),
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
    pub fn clock_now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The default campaign, as configured.
    pub fn default_campaign(&self) -> &Arc<Campaign> {
        self.settings.campaigns.default_campaign()
    }

    /// The default campaign's slug.
    pub fn campaign(&self) -> String {
        self.default_campaign().slug.clone()
    }

    /// Sends `input` in a private chat.
    pub async fn send(&self, who: &Identity, input: Input) -> Vec<Reply> {
        self.engine.handle(Incoming::private(who.clone(), input)).await
    }

    /// Sends typed text in a private chat.
    pub async fn say(&self, who: &Identity, text: &str) -> Vec<Reply> {
        self.send(who, Input::Text(text.to_owned())).await
    }

    /// Presses a button.
    pub async fn press(&self, who: &Identity, data: &str) -> Vec<Reply> {
        self.send(who, Input::Choice(data.to_owned())).await
    }

    /// Opens the bot, through a link with this payload if any.
    pub async fn start(&self, who: &Identity, payload: Option<&str>) -> Vec<Reply> {
        let payload = payload.map(str::to_owned);
        self.send(who, Input::Start { payload }).await
    }

    /// Submits the signing form.
    pub async fn submit(&self, who: &Identity, name: &str, email: &str, location: &str) -> Vec<Reply> {
        let answers = FormAnswers {
            name: name.to_owned(),
            email: email.to_owned(),
            location: location.to_owned(),
            ..FormAnswers::default()
        };
        self.send(who, Input::Form(answers)).await
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

    /// Sends typed text from a Discord account created `days` ago.
    pub async fn say_aged(&self, who: &Identity, text: &str, days: i64) -> Vec<Reply> {
        let incoming = Incoming {
            account_created: Some(self.clock.now() - chrono::Duration::days(days)),
            ..Incoming::private(who.clone(), Input::Text(text.to_owned()))
        };
        self.engine.handle(incoming).await
    }

    /// Answers every question up to the review by typing, declining
    /// updates; returns the review.
    pub async fn fill_in(&self, who: &Identity, name: &str, email: &str, postcode: &str) -> Vec<Reply> {
        for answer in ["sign", name, email, postcode, "yes"] {
            self.say(who, answer).await;
        }
        self.say(who, "no").await
    }

    /// Opens the bot and signs all the way through by typing; returns
    /// the last replies.
    pub async fn sign(&self, who: &Identity, name: &str, email: &str, postcode: &str) -> Vec<Reply> {
        self.start(who, None).await;
        self.fill_in(who, name, email, postcode).await;
        self.say(who, "confirm").await
    }

    /// The default campaign's total.
    pub async fn total(&self) -> u64 {
        self.storage.total(&self.campaign()).await.expect("a total")
    }

    /// Whether this person's signature is stored.
    pub async fn has_signed(&self, who: &Identity) -> bool {
        let signature = self.storage.signature_of(&self.campaign(), who).await;
        signature.expect("signatures can be read").is_some()
    }

    /// The saved conversation of someone, as the engine reads it.
    pub async fn conversation(&self, who: &Identity) -> Option<Conversation> {
        self.storage
            .load_conversation(who)
            .await
            .expect("conversations can be read")
            .map(|json| serde_json::from_str(&json).expect("a saved conversation parses"))
    }
}

/// Someone on Telegram.
pub fn telegram(id: u64) -> Identity {
    Identity::new(Platform::Telegram, id.to_string())
}

/// Someone on Discord.
pub fn discord(id: u64) -> Identity {
    Identity::new(Platform::Discord, id.to_string())
}

/// Someone at the console.
pub fn console(name: &str) -> Identity {
    Identity::new(Platform::Console, name)
}

/// The organiser the test settings name, on Telegram.
pub fn organiser() -> Identity {
    Identity::new(Platform::Telegram, ORGANISER.to_string())
}

/// Every reply's text, one after another.
pub fn text_of(replies: &[Reply]) -> String {
    replies
        .iter()
        .map(|reply| reply.text.as_str())
        .collect::<Vec<_>>()
        .join("\n---\n")
}

/// The choices' data of the last reply that offered choices.
pub fn choice_data(replies: &[Reply]) -> Vec<String> {
    replies
        .iter()
        .rev()
        .find(|reply| !reply.choices.is_empty())
        .map(|reply| reply.choices.iter().map(|choice| choice.data.clone()).collect())
        .unwrap_or_default()
}

/// The labels of the last reply that offered choices.
pub fn choice_labels(replies: &[Reply]) -> Vec<String> {
    replies
        .iter()
        .rev()
        .find(|reply| !reply.choices.is_empty())
        .map(|reply| reply.choices.iter().map(|choice| choice.label.clone()).collect())
        .unwrap_or_default()
}
