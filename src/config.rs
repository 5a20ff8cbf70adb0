//! Settings: `config/default.toml`, then an optional `--config` file, then
//! environment variables. Secrets are wrapped in [`Secret`], whose `Debug`
//! hides them, so the whole [`Settings`] can be logged.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::Deserialize;

use crate::campaign::{Campaign, Campaigns, InvalidSetting};

/// The defaults, compiled in, used when `config/default.toml` is not found
/// in the working directory (for example, an installed binary).
const BUILT_IN_DEFAULTS: &str = include_str!("../config/default.toml");

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
}

/// Why settings could not be loaded. The message names the key at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A file could not be read or a value has the wrong type.
    #[error("invalid configuration: {0}")]
    Load(String),
    /// A value has the right type but is not acceptable.
    #[error("invalid configuration: `{key}` {problem}")]
    Invalid {
        /// The key path, such as `campaigns.keep-the-unit-open.goal`.
        key: String,
        /// What is wrong with it.
        problem: String,
    },
}

impl ConfigError {
    pub(crate) fn invalid(key: impl Into<String>, problem: impl Into<String>) -> Self {
        Self::Invalid {
            key: key.into(),
            problem: problem.into(),
        }
    }
}

impl From<InvalidSetting> for ConfigError {
    fn from(invalid: InvalidSetting) -> Self {
        Self::Invalid {
            key: invalid.key,
            problem: invalid.problem,
        }
    }
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
        Ok(Self {
            campaigns,
            database: raw.database,
            conversation: raw.conversation,
            organisers: raw.organisers,
            telegram: raw.telegram,
            discord: raw.discord,
            alerts: raw.alerts,
            logging: raw.logging,
        })
    }
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

/// Describes every error figment reports by the key at fault, what is wrong
/// and where the value came from, but never the value itself: any value may
/// be a token or a password. figment's own wording is not used, because it
/// quotes values (and a TOML syntax error quotes the whole offending line).
fn describe_figment_error(error: figment::Error) -> String {
    error
        .into_iter()
        .map(|e| describe_one(&e))
        .collect::<Vec<_>>()
        .join("; ")
}

fn describe_one(error: &figment::Error) -> String {
    use figment::error::Kind;
    let source = error.metadata.as_ref();
    // A provider that could not produce its data at all reports a bare
    // message with no key: for a TOML file, a syntax error or a read error.
    if let (Kind::Message(message), true) = (&error.kind, error.path.is_empty()) {
        let file = source.and_then(|m| m.source.as_ref()).and_then(|s| s.file_path());
        return match file {
            Some(path) => describe_unreadable_file(path),
            None => {
                let name = source.map_or("the settings", |m| m.name.as_ref());
                match rendered_position(message) {
                    Some((line, column)) => format!("{name}: TOML syntax error at line {line}, column {column}"),
                    None => format!("{name} could not be read"),
                }
            }
        };
    }
    let mut path = error.path.as_slice();
    // A variant used as a map's key would end the path: it is a value.
    if let (Kind::UnknownVariant(given, _), [parent @ .., last]) = (&error.kind, path)
        && last == given
    {
        path = parent;
    }
    let key = path.join(".");
    let from = source
        .map(|m| format!(" (from {})", describe_source(m)))
        .unwrap_or_default();
    format!("{}{from}", describe_kind(&key, &error.kind))
}

/// Where a value came from: the file (relative to the working directory
/// when inside it) or the environment.
fn describe_source(metadata: &figment::Metadata) -> String {
    match metadata.source.as_ref().and_then(|s| s.file_path()) {
        Some(path) => format!("{} {}", metadata.name, shown_path(path)),
        None => metadata.name.to_string(),
    }
}

fn shown_path(path: &Path) -> String {
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf));
    relative.as_deref().unwrap_or(path).display().to_string()
}

/// Reads the file again to say where its syntax error is: figment hands the
/// error over only as toml's rendered text, which quotes the line.
fn describe_unreadable_file(path: &Path) -> String {
    let shown = shown_path(path);
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        // An I/O error's text is the operating system's, never the file's.
        Err(error) => return format!("{shown} could not be read: {error}"),
    };
    match toml::from_str::<toml::Table>(&text) {
        Err(error) => {
            let at = error
                .span()
                .map(|span| {
                    let (line, column) = line_and_column(&text, span.start);
                    format!(" at line {line}, column {column}")
                })
                .unwrap_or_default();
            format!("{shown}: TOML syntax error{at}: {}", syntax_problem(error.message()))
        }
        // It parses now: it was changed since, or the problem was not its syntax.
        Ok(_) => format!("{shown} could not be read as TOML"),
    }
}

/// toml's description of a syntax error, on one line. It is written from
/// what the parser expected (`invalid string`, ``expected `"`, `'` ``) and
/// at most names a key (`duplicate key `url``), never a value.
fn syntax_problem(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The 1-based line and column (in characters) of a byte offset.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..text.floor_char_boundary(offset.min(text.len()))];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

/// The position in toml's rendered error, which starts
/// `TOML parse error at line L, column C`; nothing else of it is used.
fn rendered_position(message: &str) -> Option<(usize, usize)> {
    let rest = message.lines().next()?.strip_prefix("TOML parse error at line ")?;
    let (line, column) = rest.split_once(", column ")?;
    Some((line.trim().parse().ok()?, column.trim().parse().ok()?))
}

/// One problem with the value at `key` (empty for the top level), in words
/// that hold no part of the value.
fn describe_kind(key: &str, kind: &figment::error::Kind) -> String {
    use figment::error::Kind;
    // A missing or duplicated field is reported at its table's path.
    let field_of_this = |field: &str| match key.is_empty() {
        true => format!("`{field}`"),
        false => format!("`{key}.{field}`"),
    };
    let this = match key.is_empty() {
        true => "a setting".to_owned(),
        false => format!("`{key}`"),
    };
    match kind {
        // A message can come from any deserializer and may quote the value.
        Kind::Message(_) => format!("{this} has a value that is not valid here"),
        Kind::InvalidType(actual, expected) => format!("{this}: expected {expected}, found {}", type_of(actual)),
        Kind::InvalidValue(actual, expected) => {
            format!(
                "{this}: expected {expected}, found {} that does not fit",
                type_of(actual)
            )
        }
        Kind::InvalidLength(_, expected) => format!("{this} has the wrong number of items, expected {expected}"),
        Kind::UnknownVariant(_, allowed) => format!("{this} must be {}", one_of(allowed)),
        // The key is the file's structure, not a value, so it is named; the
        // path already ends with it.
        Kind::UnknownField(field, known) => {
            let unknown = if key.is_empty() { format!("`{field}`") } else { this };
            format!("{unknown} is not a known setting (known here: {})", one_of(known))
        }
        Kind::MissingField(field) => format!("{} is missing", field_of_this(field)),
        Kind::DuplicateField(field) => format!("{} is set twice", field_of_this(field)),
        Kind::ISizeOutOfRange(_) | Kind::USizeOutOfRange(_) => format!("{this}: the number is out of range"),
        Kind::Unsupported(actual) => format!("{this}: {} is not supported here", type_of(actual)),
        Kind::UnsupportedKey(actual, expected) => {
            format!(
                "{this} has a key that is {}, but keys must be {expected}",
                type_of(actual)
            )
        }
    }
}

/// What kind of value was found, without the value.
fn type_of(actual: &figment::error::Actual) -> &'static str {
    use figment::error::Actual;
    match actual {
        Actual::Bool(_) => "a boolean",
        Actual::Unsigned(_) | Actual::Signed(_) => "an integer",
        Actual::Float(_) => "a decimal number",
        Actual::Char(_) => "a character",
        Actual::Str(_) => "text",
        Actual::Bytes(_) => "bytes",
        Actual::Unit | Actual::Option => "an empty value",
        Actual::Seq => "a list",
        Actual::Map => "a table",
        Actual::NewtypeStruct
        | Actual::Enum
        | Actual::UnitVariant
        | Actual::NewtypeVariant
        | Actual::TupleVariant
        | Actual::StructVariant => "a structured value",
        // Free text chosen by the deserializer, which may include the value.
        Actual::Other(_) => "a value of another kind",
    }
}

/// `` `a` ``, `` `a` or `b` ``, `` one of `a`, `b`, `c` ``: names from the
/// program, such as allowed values or known keys.
fn one_of(names: &[&str]) -> String {
    match names {
        [] => "nothing".to_owned(),
        [only] => format!("`{only}`"),
        [first, second] => format!("`{first}` or `{second}`"),
        all => format!(
            "one of {}",
            all.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
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

    /// The settings with `extra` (TOML) layered over the defaults, as the
    /// error message a user would see.
    fn error_with(extra: figment::Figment) -> String {
        let figment = Figment::from(Toml::string(BUILT_IN_DEFAULTS)).merge(extra);
        Settings::from_figment(figment)
            .expect_err("the settings are refused")
            .to_string()
    }

    #[test]
    fn no_kind_of_figment_error_repeats_the_value() {
        use figment::error::{Actual, Kind};
        const SECRET: &str = "hunter2-Tr0ub4dor";
        const NUMBER: u128 = 424_242_424_242;
        let actuals = || {
            [
                Actual::Bool(true),
                Actual::Unsigned(NUMBER),
                Actual::Signed(-(NUMBER as i128)),
                Actual::Float(4_242.424_2),
                Actual::Char('\u{2603}'),
                Actual::Str(SECRET.into()),
                Actual::Bytes(SECRET.as_bytes().to_vec()),
                Actual::Other(SECRET.into()),
                Actual::Seq,
            ]
        };
        let mut kinds = vec![
            Kind::Message(format!("TOML parse error at line 1, column 7\n1 | url = {SECRET}")),
            Kind::Message(format!("some deserializer quoting {SECRET}")),
            Kind::InvalidLength(NUMBER as usize, "a list of 2".into()),
            Kind::UnknownVariant(SECRET.into(), &["hold", "refuse"]),
            Kind::ISizeOutOfRange(-(NUMBER as isize)),
            Kind::USizeOutOfRange(NUMBER as usize),
        ];
        for actual in actuals() {
            kinds.push(Kind::InvalidType(actual.clone(), "a string".into()));
            kinds.push(Kind::InvalidValue(actual.clone(), "u32".into()));
            kinds.push(Kind::Unsupported(actual.clone()));
            kinds.push(Kind::UnsupportedKey(actual, "a string".into()));
        }
        for kind in kinds {
            for path in ["telegram.token", ""] {
                let error = figment::Error::from(kind.clone()).with_path(path);
                let shown = describe_figment_error(error);
                for value in [SECRET, &NUMBER.to_string(), "4242.4242", "\u{2603}", "104, 117"] {
                    assert!(!shown.contains(value), "{kind:?} shows {value:?}: {shown}");
                }
                assert!(shown.contains(path), "{kind:?} does not name {path}: {shown}");
            }
        }
    }

    #[test]
    fn an_unknown_value_lists_the_allowed_ones_and_a_key_names_the_setting() {
        use figment::error::Kind;
        let enum_value = figment::Error::from(Kind::UnknownVariant("hunter2".into(), &["hold", "refuse"]))
            .with_path("campaigns.x.limits.new_discord_accounts");
        assert_eq!(
            describe_figment_error(enum_value),
            "`campaigns.x.limits.new_discord_accounts` must be `hold` or `refuse`"
        );
        let as_a_key = figment::Error::from(Kind::UnknownVariant("hunter2".into(), &["telegram"]))
            .with_path("by_platform.hunter2");
        assert_eq!(describe_figment_error(as_a_key), "`by_platform` must be `telegram`");
        let unknown = figment::Error::from(Kind::UnknownField("pasword".into(), &["url", "max_connections"]))
            .with_path("database.pasword");
        assert_eq!(
            describe_figment_error(unknown),
            "`database.pasword` is not a known setting (known here: `url` or `max_connections`)"
        );
        let missing = figment::Error::from(Kind::MissingField("url".into())).with_path("database");
        assert_eq!(describe_figment_error(missing), "`database.url` is missing");
    }

    #[test]
    fn a_syntax_error_in_a_file_gives_its_place_not_its_text() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("local.toml");
        std::fs::write(&path, "# ünïcode before\n[database]\nurl = postgres://u:hunter2@db/p\n").unwrap();
        let message = error_with(Figment::from(Toml::file(&path)));
        assert!(!message.contains("hunter2"), "{message}");
        assert!(
            message.contains("local.toml: TOML syntax error at line 3, column 7: "),
            "{message}"
        );
        assert!(message.contains("invalid string"), "{message}");
    }

    #[test]
    fn a_syntax_error_in_a_string_gives_only_its_place() {
        let message = error_with(Figment::from(Toml::string("[telegram]\ntoken = \"123:hunter2\n")));
        assert!(!message.contains("hunter2"), "{message}");
        assert!(message.contains("TOML syntax error at line 2, column"), "{message}");
    }

    #[test]
    fn a_wrong_type_names_the_key_and_the_type_only() {
        let message = error_with(Figment::from(Toml::string("[telegram]\ntoken = 8123456789\n")));
        assert!(!message.contains("8123456789"), "{message}");
        assert!(
            message.contains("`telegram.token`: expected a string, found an integer"),
            "{message}"
        );
    }

    #[test]
    fn positions_count_lines_and_characters_from_one() {
        let text = "a = 1\nb = \"é\" x\n";
        assert_eq!(line_and_column(text, 0), (1, 1));
        assert_eq!(line_and_column(text, text.find('x').unwrap()), (2, 9));
        assert_eq!(line_and_column(text, text.len() + 5), (3, 1));
        assert_eq!(
            rendered_position("TOML parse error at line 12, column 3\n | x"),
            Some((12, 3))
        );
        assert_eq!(rendered_position("no position"), None);
    }

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
