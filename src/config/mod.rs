//! Settings: `config/default.toml`, then an optional `--config` file, then
//! environment variables. Secrets are wrapped in [`Secret`], whose `Debug`
//! hides them, so the whole [`Settings`] can be logged.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::Deserialize;

mod email;
mod errors;
mod web;

pub use email::EmailSettings;
pub use errors::ConfigError;
use errors::describe_figment_error;
pub use web::WebSettings;

use crate::campaign::{Campaign, Campaigns};

/// The defaults, compiled in, used when `config/default.toml` is not found
/// in the working directory (for example, an installed binary).
const BUILT_IN_DEFAULTS: &str = include_str!("../../config/default.toml");

/// The file read first, relative to the working directory.
pub const DEFAULT_CONFIG_PATH: &str = "config/default.toml";

/// A value that must never be printed: tokens, keys and database URLs (which
/// may carry a password).
#[derive(Clone, Deserialize, PartialEq, Eq, Default)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether no value was given.
    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            f.write_str("Secret(<empty>)")
        } else {
            f.write_str("Secret(<hidden>)")
        }
    }
}

/// Every setting of a running instance.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The configured campaigns and which one is the default.
    pub campaigns: Campaigns,
    /// Where signatures are stored.
    pub database: DatabaseSettings,
    /// How long unfinished conversations are kept.
    pub conversation: ConversationSettings,
    /// Who may ask for stats and exports.
    pub organisers: OrganiserSettings,
    /// The Telegram bot, if a token is set.
    pub telegram: TelegramSettings,
    /// The Discord bot, if a token is set.
    pub discord: DiscordSettings,
    /// Where organisers are alerted.
    pub alerts: AlertSettings,
    /// How log lines name people.
    pub logging: LoggingSettings,
    /// The web server: campaign pages, count.json, the Mini App, health.
    pub web: WebSettings,
    /// The SMTP server mail goes out through, if one is configured.
    pub email: Option<EmailSettings>,
}

/// `[logging]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoggingSettings {
    /// The key of the hash that stands for a person in log lines; empty
    /// means one is generated on first run and kept in the database.
    #[serde(default)]
    pub pseudonym_key: Secret,
}

/// Shortest `logging.pseudonym_key` accepted: as long as the generated one's
/// 32 bytes, so a configured key is no easier to guess.
pub const MIN_PSEUDONYM_KEY_CHARS: usize = 32;

/// `[alerts]`: organisers' chats where the bots post velocity and surge
/// alerts as they happen. Alerts never carry personal data.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertSettings {
    /// A Telegram chat id (a group's is negative).
    #[serde(default)]
    pub telegram_chat: Option<i64>,
    /// A Discord channel id the bot may post in.
    #[serde(default)]
    pub discord_channel: Option<u64>,
}

/// `[database]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://PATH` or `postgres://...`.
    pub url: Secret,
    /// With PostgreSQL, the most connections a long-running process holds
    /// at once; with SQLite, the most readers.
    #[serde(default = "default_max_connections")]
    pub max_connections: u32,
}

fn default_max_connections() -> u32 {
    16
}

/// `[conversation]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversationSettings {
    /// Hours after which an untouched conversation is deleted.
    pub abandon_after_hours: u32,
}

/// `[organisers]`: platform identities allowed to see breakdowns and exports.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganiserSettings {
    /// Telegram user ids.
    #[serde(default)]
    pub telegram_users: Vec<i64>,
    /// Discord user ids.
    #[serde(default)]
    pub discord_users: Vec<u64>,
    /// Discord role ids.
    #[serde(default)]
    pub discord_roles: Vec<u64>,
    /// Names given to `petition console --as`.
    #[serde(default)]
    pub console_users: Vec<String>,
}

/// `[telegram]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelegramSettings {
    /// The BotFather token; empty means the Telegram bot does not run.
    #[serde(default)]
    pub token: Secret,
    /// The Bot API server's base URL.
    pub api_url: String,
    /// The public HTTPS URL Telegram posts updates to; empty means long
    /// polling.
    #[serde(default)]
    pub webhook_url: String,
    /// The address the webhook server listens on.
    #[serde(default = "default_webhook_listen")]
    pub webhook_listen: String,
    /// Telegram sends it back with every update, proving the request is
    /// Telegram's.
    #[serde(default)]
    pub webhook_secret: Secret,
    /// Sends updates with `allow_paid_broadcast`, for bots whose owner
    /// enabled paid broadcasts: up to 1,000 messages a second, paid in Stars.
    #[serde(default)]
    pub paid_broadcast: bool,
    /// The most update messages a second, overall (replies to signers come
    /// first and use up the same allowance). Defaults to Telegram's 30, or
    /// 1,000 with `paid_broadcast`.
    #[serde(default)]
    pub updates_per_second: Option<u32>,
    /// The most messages a second the bot makes in all (sends and edits
    /// alike, replies, progress, alerts and updates together): Telegram's
    /// 30 by default. Paid broadcasts have an allowance of their own.
    #[serde(default = "default_telegram_messages_per_second")]
    pub messages_per_second: u32,
}

fn default_telegram_messages_per_second() -> u32 {
    TELEGRAM_PER_SECOND
}

/// Telegram's overall limit on a bot's messages, per second.
pub const TELEGRAM_PER_SECOND: u32 = 30;
/// The limit with paid broadcasts.
pub const TELEGRAM_PAID_PER_SECOND: u32 = 1000;

impl TelegramSettings {
    /// Update messages a second, as configured or by default.
    pub fn updates_per_second(&self) -> u32 {
        let limit = if self.paid_broadcast {
            TELEGRAM_PAID_PER_SECOND
        } else {
            TELEGRAM_PER_SECOND
        };
        self.updates_per_second.unwrap_or(limit)
    }
}

fn default_webhook_listen() -> String {
    "0.0.0.0:8443".to_owned()
}

/// `[discord]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscordSettings {
    /// The bot token; empty means the Discord bot does not run.
    #[serde(default)]
    pub token: Secret,
    /// Servers whose slash commands are registered at start-up (instantly);
    /// empty registers them globally (Discord may take up to an hour).
    #[serde(default)]
    pub guilds: Vec<u64>,
    /// Discord's API, or a proxy in front of it.
    #[serde(default = "default_discord_api")]
    pub api_url: String,
    /// The gateway to connect to; empty asks the API for it.
    #[serde(default)]
    pub gateway_url: String,
    /// The most update messages (direct messages) a second. Each takes two
    /// requests (opening the DM, sending), within Discord's 50 a second.
    #[serde(default = "default_discord_updates_per_second")]
    pub updates_per_second: u32,
}

fn default_discord_updates_per_second() -> u32 {
    10
}

fn default_discord_api() -> String {
    "https://discord.com".to_owned()
}

/// The file's shape before campaigns are checked and given their slugs.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    default_campaign: String,
    campaigns: BTreeMap<String, crate::campaign::CampaignSettings>,
    database: DatabaseSettings,
    conversation: ConversationSettings,
    #[serde(default)]
    organisers: OrganiserSettings,
    telegram: TelegramSettings,
    discord: DiscordSettings,
    #[serde(default)]
    alerts: AlertSettings,
    #[serde(default)]
    logging: LoggingSettings,
    #[serde(default)]
    web: WebSettings,
    #[serde(default)]
    email: Option<EmailSettings>,
}

impl Settings {
    /// Loads settings the way the binary does: `config/default.toml` (or the
    /// built-in copy), then `extra_file` if given, then the environment.
    pub fn load(extra_file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = if Path::new(DEFAULT_CONFIG_PATH).exists() {
            Figment::from(Toml::file(DEFAULT_CONFIG_PATH))
        } else {
            Figment::from(Toml::string(BUILT_IN_DEFAULTS))
        };
        if let Some(path) = extra_file {
            if !path.exists() {
                return Err(ConfigError::Load(format!(
                    "the file given with --config, {}, does not exist",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file(PathBuf::from(path)));
        }
        Self::from_figment(figment.merge(environment()))
    }

    /// Settings from the built-in defaults alone, ignoring files and the
    /// environment: a fixed starting point for tests and benchmarks.
    pub fn built_in() -> Self {
        Self::from_figment(Figment::from(Toml::string(BUILT_IN_DEFAULTS))).expect("the built-in defaults are valid")
    }

    /// Checks and assembles settings from any figment, so tests can layer
    /// their own values.
    pub fn from_figment(figment: Figment) -> Result<Self, ConfigError> {
        let raw: RawSettings = figment
            .extract()
            .map_err(|error| ConfigError::Load(describe_figment_error(error)))?;
        let campaigns = raw
            .campaigns
            .into_iter()
            .map(|(slug, settings)| Campaign::from_settings(slug, settings))
            .collect::<Result<Vec<_>, _>>()?;
        let campaigns = Campaigns::new(campaigns, &raw.default_campaign)?;
        let url = raw.database.url.expose();
        if !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(ConfigError::invalid(
                "database.url",
                "must start with sqlite:, postgres:// or postgresql://",
            ));
        }
        if raw.database.max_connections == 0 {
            return Err(ConfigError::invalid("database.max_connections", "must be at least 1"));
        }
        if raw.conversation.abandon_after_hours == 0 {
            return Err(ConfigError::invalid(
                "conversation.abandon_after_hours",
                "must be at least 1",
            ));
        }
        if !raw.telegram.api_url.starts_with("http://") && !raw.telegram.api_url.starts_with("https://") {
            return Err(ConfigError::invalid(
                "telegram.api_url",
                "must be an http:// or https:// URL",
            ));
        }
        check_webhook(&raw.telegram)?;
        let most = if raw.telegram.paid_broadcast {
            TELEGRAM_PAID_PER_SECOND
        } else {
            TELEGRAM_PER_SECOND
        };
        if raw
            .telegram
            .updates_per_second
            .is_some_and(|rate| rate == 0 || rate > most)
        {
            return Err(ConfigError::invalid(
                "telegram.updates_per_second",
                format!("must be between 1 and {most} (Telegram's limit; 1,000 only with paid_broadcast = true)"),
            ));
        }
        if !(1..=TELEGRAM_PER_SECOND).contains(&raw.telegram.messages_per_second) {
            return Err(ConfigError::invalid(
                "telegram.messages_per_second",
                format!("must be between 1 and {TELEGRAM_PER_SECOND} (Telegram's limit for a bot's messages)"),
            ));
        }
        check_discord(&raw.discord)?;
        raw.web.check()?;
        if !(1..=20).contains(&raw.discord.updates_per_second) {
            return Err(ConfigError::invalid(
                "discord.updates_per_second",
                "must be between 1 and 20 (each update takes two requests, within Discord's 50 a second)",
            ));
        }
        let key = &raw.logging.pseudonym_key;
        if !key.is_empty() && key.expose().chars().count() < MIN_PSEUDONYM_KEY_CHARS {
            return Err(ConfigError::invalid(
                "logging.pseudonym_key",
                format!(
                    "must be at least {MIN_PSEUDONYM_KEY_CHARS} characters long (for example \
                     the output of `openssl rand -hex 32`), or left empty to have one generated"
                ),
            ));
        }
        if let Some(email) = &raw.email {
            email.check()?;
        }
        Ok(Self {
            campaigns,
            database: raw.database,
            conversation: raw.conversation,
            organisers: raw.organisers,
            telegram: raw.telegram,
            discord: raw.discord,
            alerts: raw.alerts,
            logging: raw.logging,
            web: raw.web,
            email: raw.email,
        })
    }
}

/// Discord's API must be an http(s) URL, and its gateway, when given, a
/// WebSocket one: anything else would only fail later, and the bot would
/// retry it for ever.
fn check_discord(discord: &DiscordSettings) -> Result<(), ConfigError> {
    let is = |value: &str, schemes: &[&str]| {
        url::Url::parse(value).is_ok_and(|url| schemes.contains(&url.scheme()) && url.host().is_some())
    };
    if !is(&discord.api_url, &["http", "https"]) {
        return Err(ConfigError::invalid(
            "discord.api_url",
            "must be an http:// or https:// URL, such as https://discord.com",
        ));
    }
    let gateway = discord.gateway_url.trim();
    if !gateway.is_empty() && !is(gateway, &["ws", "wss"]) {
        return Err(ConfigError::invalid(
            "discord.gateway_url",
            "must be empty (the API says where the gateway is) or a ws:// or wss:// URL",
        ));
    }
    Ok(())
}

/// A webhook needs an HTTPS URL, an address to listen on, and a secret
/// token in the form Telegram accepts.
fn check_webhook(telegram: &TelegramSettings) -> Result<(), ConfigError> {
    if telegram.webhook_url.trim().is_empty() {
        return Ok(());
    }
    if !telegram.webhook_url.starts_with("https://") || url::Url::parse(&telegram.webhook_url).is_err() {
        return Err(ConfigError::invalid(
            "telegram.webhook_url",
            "must be an https:// URL (Telegram only posts to HTTPS)",
        ));
    }
    if telegram.webhook_listen.parse::<std::net::SocketAddr>().is_err() {
        return Err(ConfigError::invalid(
            "telegram.webhook_listen",
            "must be an address such as 0.0.0.0:8443",
        ));
    }
    let secret = telegram.webhook_secret.expose();
    let valid_secret = (1..=256).contains(&secret.len())
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !valid_secret {
        return Err(ConfigError::invalid(
            "telegram.webhook_secret",
            "must be set when telegram.webhook_url is: 1 to 256 letters, digits, _ or -",
        ));
    }
    Ok(())
}

/// `PETITION_A__B=value` sets `a.b`; the three well-known variables map to
/// their keys. `PETITION_TEST_*` variables belong to the test suite.
fn environment() -> Figment {
    let prefixed = Env::prefixed("PETITION_")
        .filter(|key| !key.as_str().to_ascii_lowercase().starts_with("test_"))
        .split("__");
    let well_known = Env::raw()
        .only(&["DATABASE_URL", "TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN"])
        // A variable that is set but empty means "not configured": dropping
        // it lets the file's value stand.
        .filter(|key| std::env::var(key.as_str().to_ascii_uppercase()).is_ok_and(|value| !value.trim().is_empty()))
        .map(|key| match key.as_str().to_ascii_uppercase().as_str() {
            "DATABASE_URL" => "database.url".into(),
            "TELEGRAM_BOT_TOKEN" => "telegram.token".into(),
            _ => "discord.token".into(),
        });
    Figment::new().merge(prefixed).merge(well_known)
}

#[cfg(test)]
mod tests {
    use super::errors::tests::error_with;
    use super::*;

    #[test]
    fn secrets_are_hidden_from_debug_output() {
        let secret = Secret::new("123456:ABCDEF");
        assert_eq!(format!("{secret:?}"), "Secret(<hidden>)");
        let mut settings = Settings::built_in();
        settings.telegram.token = Secret::new("123456:ABCDEF");
        settings.database.url = Secret::new("postgres://user:hunter2@db/petition");
        settings.logging.pseudonym_key = Secret::new("hunter3".repeat(8));
        let shown = format!("{settings:?}");
        assert!(!shown.contains("ABCDEF"));
        assert!(!shown.contains("hunter2"));
        assert!(!shown.contains("hunter3"));
    }

    #[test]
    fn an_email_server_is_checked_and_its_password_never_shown() {
        let email = |server: &str, from: &str| {
            Figment::from(Toml::string(&format!(
                "[email]\nserver = \"{server}\"\npassword = \"hunter2-mail\"\nfrom = \"{from}\""
            )))
        };
        let message = error_with(email("http://mail.example.org", "petition@example.org"));
        assert!(
            message.contains("`email.server` must start with smtp:// or smtps://"),
            "{message}"
        );
        let message = error_with(email("smtp://mail.example.org", "not an address"));
        assert!(message.contains("`email.from`"), "{message}");
        assert!(Settings::built_in().email.is_none(), "no mail server out of the box");

        let figment = Figment::from(Toml::string(BUILT_IN_DEFAULTS)).merge(email(
            "smtp://petition@mail.example.org:587",
            "Keep the unit open <petition@example.org>",
        ));
        let settings = Settings::from_figment(figment).expect("a mail server is accepted");
        let email = settings.email.expect("[email] is read");
        assert_eq!(email.per_second, 10);
        assert!(!format!("{email:?}").contains("hunter2"));
    }

    #[test]
    fn a_short_pseudonym_key_is_refused_without_showing_it() {
        let short = Figment::from(Toml::string("[logging]\npseudonym_key = \"hunter2-but-short\""));
        let message = error_with(short);
        assert!(
            message.contains("`logging.pseudonym_key` must be at least 32 characters"),
            "{message}"
        );
        assert!(!message.contains("hunter2"), "{message}");

        let long = format!("[logging]\npseudonym_key = \"{}\"", "k".repeat(MIN_PSEUDONYM_KEY_CHARS));
        let figment = Figment::from(Toml::string(BUILT_IN_DEFAULTS)).merge(Toml::string(&long));
        let settings = Settings::from_figment(figment).expect("a long enough key is accepted");
        assert_eq!(settings.logging.pseudonym_key.expose().len(), MIN_PSEUDONYM_KEY_CHARS);
        assert!(
            Settings::built_in().logging.pseudonym_key.is_empty(),
            "unset by default"
        );
    }

    #[test]
    fn a_campaign_cannot_take_a_path_the_web_server_keeps() {
        let campaign = |slug: &str| {
            format!(
                "[campaigns.{slug}]\ntitle = \"T\"\ntargets = [\"the council\"]\nstatement = \"S\"\n\
                 author = \"A\"\nsummary = \"S\"\ngoal = 10\narticle = \"A\"\nprivacy = \"P\"\n\
                 [campaigns.{slug}.consent]\nversion = 1\nwording = \"W\"\n"
            )
        };
        for slug in ["static", "healthz", "readyz"] {
            let message = error_with(Figment::from(Toml::string(&campaign(slug))));
            assert!(
                message.contains(&format!("`campaigns.{slug}`")) && message.contains("web server keeps"),
                "{message}"
            );
        }
        let figment = Figment::from(Toml::string(BUILT_IN_DEFAULTS)).merge(Toml::string(&campaign("static-library")));
        let settings = Settings::from_figment(figment).expect("a slug that only starts like a path is fine");
        assert!(settings.campaigns.get("static-library").is_some());
    }

    /// The settings with `extra` (TOML) layered over the defaults, as the
    /// error message a user would see.
    #[test]
    fn the_built_in_defaults_ship_the_campaign() {
        let settings = Settings::built_in();
        let campaign = settings.campaigns.default_campaign();
        assert_eq!(campaign.slug, "keep-the-unit-open");
        assert!(campaign.article.starts_with("The issue of human trafficking"));
        assert!(campaign.article.trim_end().ends_with("much-needed unit."));
        assert!(!campaign.article.contains("<!"));
        assert!(campaign.statement.contains("Mayor of London"));
    }
}
