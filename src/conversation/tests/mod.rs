//! The engine's rules one at a time, on the real storage (a fresh SQLite
//! file per test, built as the application builds it), with a clock the
//! tests move. One file per job, as the engine is laid out; whole
//! conversations run through the adapters, on SQLite and PostgreSQL, in
//! `tests/it/`.

mod anytime;
mod arrival;
mod dispatch;
mod group;
mod holds;
mod lifecycle;
mod milestones;
mod review;
mod signing;
mod start;
mod updates;

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};

use super::{Conversation, Engine, FormAnswers, Incoming, Input, Reply};
use crate::campaign::Campaign;
use crate::clock::{Clock, ManualClock};
use crate::config::Secret;
use crate::config::Settings;
use crate::domain::{ChatKind, Identity, Platform};
use crate::startup::App;
use crate::storage::Storage;

/// The Telegram id the test settings make an organiser.
const ORGANISER: &str = "1000";

/// An engine on a fresh database, and what the tests look at.
struct Fixture {
    engine: Arc<Engine>,
    storage: Arc<dyn Storage>,
    clock: Arc<ManualClock>,
    campaign: Arc<Campaign>,
    /// The database's folder, kept while the test runs.
    _folder: tempfile::TempDir,
}

/// When every test's clock starts: 3 November 2026, 14:00 UTC.
fn start_of_test() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 3, 14, 0, 0).unwrap()
}

/// The shipped settings, with limits loosened (tests type faster than
/// people, and the clock stands still) and one Telegram organiser.
fn settings() -> Settings {
    let mut settings = Settings::built_in();
    settings.organisers.telegram_users = vec![ORGANISER.parse().unwrap()];
    change_campaign(&mut settings, |campaign| {
        campaign.limits.message_burst = 100_000;
        campaign.limits.signing_attempts_per_day = 1_000;
        campaign.limits.signatures_per_second = 100_000;
    });
    settings
}

/// Changes the default campaign's settings.
fn change_campaign(settings: &mut Settings, change: impl FnOnce(&mut Campaign)) {
    let mut campaign = settings.campaigns.default_campaign().as_ref().clone();
    change(&mut campaign);
    settings.campaigns.upsert(campaign);
}

impl Fixture {
    async fn new() -> Self {
        Self::with(|_| {}).await
    }

    /// An engine whose default campaign is changed first.
    async fn with(change: impl FnOnce(&mut Campaign)) -> Self {
        let mut settings = settings();
        change_campaign(&mut settings, change);
        Self::with_settings(settings).await
    }

    /// The application built with `settings` on a fresh SQLite file.
    async fn with_settings(mut settings: Settings) -> Self {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let url = format!("sqlite://{}", folder.path().join("petition.db").display());
        settings.database.url = Secret::new(url);
        let clock = Arc::new(ManualClock::new(start_of_test()));
        let app = App::build_with_clock(settings.clone(), clock.clone())
            .await
            .expect("the application builds on a fresh database");
        Self {
            campaign: settings.campaigns.default_campaign().clone(),
            storage: app.engine.storage().clone(),
            engine: app.engine,
            clock,
            _folder: folder,
        }
    }

    async fn send(&self, who: &Identity, input: Input) -> Vec<Reply> {
        self.engine.handle(Incoming::private(who.clone(), input)).await
    }

    /// Typed text, in private.
    async fn say(&self, who: &Identity, text: &str) -> Vec<Reply> {
        self.send(who, Input::Text(text.to_owned())).await
    }

    /// A button pressed.
    async fn press(&self, who: &Identity, data: &str) -> Vec<Reply> {
        self.send(who, Input::Choice(data.to_owned())).await
    }

    /// The bot opened, through a link with this payload if any.
    async fn start(&self, who: &Identity, payload: Option<&str>) -> Vec<Reply> {
        self.send(
            who,
            Input::Start {
                payload: payload.map(str::to_owned),
            },
        )
        .await
    }

    /// A form submitted.
    async fn submit(&self, who: &Identity, name: &str, email: &str, location: &str) -> Vec<Reply> {
        let answers = FormAnswers {
            name: name.to_owned(),
            email: email.to_owned(),
            location: location.to_owned(),
            ..FormAnswers::default()
        };
        self.send(who, Input::Form(answers)).await
    }

    /// Typed text in a group.
    async fn say_in_group(&self, who: &Identity, text: &str) -> Vec<Reply> {
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

    /// Typed text from a Discord account created `days` ago.
    async fn say_aged(&self, who: &Identity, text: &str, days: i64) -> Vec<Reply> {
        let incoming = Incoming {
            account_created: Some(self.clock.now() - chrono::Duration::days(days)),
            ..Incoming::private(who.clone(), Input::Text(text.to_owned()))
        };
        self.engine.handle(incoming).await
    }

    /// Answers every question up to the review, by typing.
    async fn fill_in(&self, who: &Identity, name: &str, email: &str, postcode: &str) -> Vec<Reply> {
        for answer in ["sign", name, email, postcode, "yes"] {
            self.say(who, answer).await;
        }
        self.say(who, "no").await
    }

    /// Signs all the way through by typing; returns the last replies.
    async fn sign(&self, who: &Identity, name: &str, email: &str, postcode: &str) -> Vec<Reply> {
        self.fill_in(who, name, email, postcode).await;
        self.say(who, "confirm").await
    }

    /// The saved conversation, as the engine reads it.
    async fn conversation(&self, who: &Identity) -> Option<Conversation> {
        let json = self.storage.load_conversation(who).await.unwrap()?;
        Some(serde_json::from_str(&json).unwrap())
    }

    /// The default campaign's total.
    async fn total(&self) -> u64 {
        self.storage.total(&self.campaign.slug).await.unwrap()
    }

    /// Whether this person's signature is stored.
    async fn has_signed(&self, who: &Identity) -> bool {
        self.storage
            .signature_of(&self.campaign.slug, who)
            .await
            .unwrap()
            .is_some()
    }
}

fn telegram(id: u64) -> Identity {
    Identity::new(Platform::Telegram, id.to_string())
}

fn discord(id: u64) -> Identity {
    Identity::new(Platform::Discord, id.to_string())
}

fn organiser() -> Identity {
    Identity::new(Platform::Telegram, ORGANISER)
}

/// Every reply's text, one after another.
fn text(replies: &[Reply]) -> String {
    replies
        .iter()
        .map(|r| r.text.as_str())
        .collect::<Vec<_>>()
        .join("\n---\n")
}

/// The data of the last reply's buttons.
fn buttons(replies: &[Reply]) -> Vec<&str> {
    replies
        .iter()
        .rev()
        .find(|r| !r.choices.is_empty())
        .map(|r| r.choices.iter().map(|c| c.data.as_str()).collect())
        .unwrap_or_default()
}

/// The labels of the last reply's buttons.
fn labels(replies: &[Reply]) -> Vec<&str> {
    replies
        .iter()
        .rev()
        .find(|r| !r.choices.is_empty())
        .map(|r| r.choices.iter().map(|c| c.label.as_str()).collect())
        .unwrap_or_default()
}
