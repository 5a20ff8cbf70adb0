//! Why settings could not be loaded, in words that never hold a value: any
//! value in a config file or the environment may be a token or a password.

use std::path::Path;

use crate::campaign::InvalidSetting;

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

/// Describes every error figment reports by the key at fault, what is wrong
/// and where the value came from, but never the value itself: any value may
/// be a token or a password. figment's own wording is not used, because it
/// quotes values (and a TOML syntax error quotes the whole offending line).
pub(super) fn describe_figment_error(error: figment::Error) -> String {
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
    if let (Kind::UnknownField(field, known), Some(source)) = (&error.kind, source)
        && is_the_environment(source)
    {
        return describe_stray_variable(path, field, known);
    }
    let from = source
        .map(|m| format!(" (from {})", describe_source(m)))
        .unwrap_or_default();
    format!("{}{from}", describe_kind(&key, &error.kind))
}

/// Whether a value came from the `PETITION_` variables rather than a file.
fn is_the_environment(metadata: &figment::Metadata) -> bool {
    metadata.source.as_ref().and_then(|s| s.file_path()).is_none() && metadata.name.contains("PETITION_")
}

/// A `PETITION_` variable that names no setting (a script's own
/// `PETITION_BIN`, a misspelt key): named, with how to fix it. Its name is
/// the program's reading of the environment, never its value.
fn describe_stray_variable(path: &[String], field: &str, known: &[&str]) -> String {
    let parts: Vec<&str> = match path {
        [] => vec![field],
        path => path.iter().map(String::as_str).collect(),
    };
    let variable = format!("PETITION_{}", parts.join("__").to_ascii_uppercase());
    format!(
        "the environment variable `{variable}` is read as the setting `{}`, which does not exist \
         (known here: {}). Every PETITION_ variable is read as a setting: unset it, or rename it \
         without the PETITION_ prefix",
        parts.join("."),
        one_of(known)
    )
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
pub(super) mod tests {
    use figment::Figment;
    use figment::providers::{Format, Toml};

    use super::*;
    use crate::config::{BUILT_IN_DEFAULTS, Settings};

    /// What loading the built-in defaults with `extra` on top says.
    pub(crate) fn error_with(extra: figment::Figment) -> String {
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
}
