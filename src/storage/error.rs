//! Why a storage call failed. Messages carry context for the log and never
//! a value a supporter typed, nor a database URL.

use std::sync::Arc;

/// Why a storage call failed. Messages carry context for the log and never
/// a value a supporter typed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database refused or could not be reached. The driver's error is
    /// part of the message rather than a separate cause (hence not called
    /// `source`), so a chain of errors prints it once.
    #[error("database error while {action}: {driver}")]
    Database {
        /// What was being done.
        action: &'static str,
        /// The driver's error.
        driver: sqlx::Error,
    },
    /// The database server could not be reached at all.
    #[error("could not connect to {database} at {address}: {reason}")]
    Unreachable {
        /// Which kind of database.
        database: &'static str,
        /// Its host and port (never the URL, which may hold a password).
        address: String,
        /// What the network or the server answered.
        reason: String,
    },
    /// Migrations could not be applied (the cause is part of the message,
    /// as for `Database`).
    #[error("could not apply database migrations: {0}")]
    Migration(sqlx::migrate::MigrateError),
    /// The config reuses a consent version with new wording.
    #[error(
        "campaign {campaign:?}: consent version {version} was already recorded with different wording; signatures given under it would no longer match it. Raise campaigns.{campaign}.consent.version"
    )]
    ConsentWordingChanged {
        /// The campaign's slug.
        campaign: String,
        /// The reused version.
        version: u32,
    },
    /// A stored value could not be read back.
    #[error("stored data could not be read: {0}")]
    Corrupt(String),
    /// The write was in a batch whose transaction failed; nothing in it was
    /// committed.
    #[error("a batch of writes failed: {0}")]
    BatchFailed(Arc<StorageError>),
    /// The group-commit writer is gone (the process is shutting down).
    #[error("the database writer has stopped")]
    WriterStopped,
    /// The SQLite file was deleted or replaced while the process ran.
    #[error(
        "the database file {path} is no longer the file this process opened (deleted or replaced); nothing more is written to it"
    )]
    FileGone {
        /// The configured path.
        path: String,
    },
    /// The SQLite file is missing or empty where an earlier database
    /// left traces: a new, empty one would lose its signatures silently.
    #[error(
        "the database file {problem} (at {path}), but the folder holds traces of an earlier database ({traces}). \
         If signatures were stored here, restore the file from a backup; to start an empty database here on purpose, \
         move those files away first"
    )]
    EarlierDatabaseMissing {
        /// The configured path.
        path: String,
        /// "is missing", "is empty".
        problem: &'static str,
        /// What was found beside it.
        traces: String,
    },
    /// The URL's scheme names no supported database.
    #[error("unsupported database URL: it must start with sqlite: or postgres://")]
    UnsupportedUrl,
}

impl From<sqlx::migrate::MigrateError> for StorageError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        Self::Migration(error)
    }
}

/// Shorthand for storage results.
pub type StorageResult<T> = Result<T, StorageError>;

/// Wraps a driver error with what was being done.
pub(crate) fn db(action: &'static str) -> impl FnOnce(sqlx::Error) -> StorageError {
    move |driver| StorageError::Database { action, driver }
}

/// Why a connection could not be opened, in a few plain words: "connection
/// refused", or the server's own message (which names no secret).
pub(crate) fn describe_connect_error(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => "connection refused".to_owned(),
            std::io::ErrorKind::TimedOut => "timed out".to_owned(),
            std::io::ErrorKind::NotFound => "no such host or socket".to_owned(),
            _ => io.to_string(),
        },
        sqlx::Error::Database(error) => error.message().to_owned(),
        sqlx::Error::Tls(error) => format!("TLS failed: {error}"),
        other => other.to_string(),
    }
}
