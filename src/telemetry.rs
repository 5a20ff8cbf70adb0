//! Logging. Lines go to standard error; `RUST_LOG` picks the detail.
//!
//! Nothing personal is logged anywhere in this crate: identities appear
//! only as [`crate::domain::Identity::log_id`] pseudonyms, and nothing a
//! supporter typed is ever a field of a log line.
//!
//! A pseudonym is a keyed hash (HMAC-SHA256) of the identity. Without the
//! key, a Telegram id or a console name cannot be recovered from it by
//! trying candidates; with the key, the log lines of one person can still
//! be followed. The key is `logging.pseudonym_key` when configured, and
//! otherwise generated on first run and kept in the database, so every
//! process sharing a database writes the same pseudonyms.

use rand::Rng;
use tracing_subscriber::EnvFilter;

use crate::config::{LoggingSettings, Secret};
use crate::storage::{Storage, StorageResult};

// The pseudonyms themselves are the domain's (an identity's stand-in); the
// key is chosen here, from the settings or the database.
pub use crate::domain::{PseudonymKey, set_pseudonym_key};

/// Starts logging at `default_level` unless `RUST_LOG` says otherwise.
pub fn init(default_level: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(format!("{default_level},sqlx=warn")));
    // A second initialisation (tests) is harmless; ignore its error.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// The name under which a generated key is kept in the database's
/// instance secrets.
pub const PSEUDONYM_KEY_NAME: &str = "log_pseudonym_key";

/// The key this instance should use: the configured one, or else the one
/// kept in the database, generated (32 random bytes, in hex) and stored by
/// whichever process sharing the database starts first.
pub async fn choose_pseudonym_key(logging: &LoggingSettings, storage: &Storage) -> StorageResult<Secret> {
    if !logging.pseudonym_key.is_empty() {
        return Ok(logging.pseudonym_key.clone());
    }
    let fresh: String = rand::rng()
        .random::<[u8; 32]>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(Secret::new(storage.instance_secret(PSEUDONYM_KEY_NAME, &fresh).await?))
}
