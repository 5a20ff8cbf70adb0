//! Logging. Lines go to standard error; `RUST_LOG` picks the detail.
//!
//! Nothing personal is logged anywhere in this crate: identities appear
//! only as [`crate::domain::Identity::log_id`] hashes, and nothing a
//! supporter typed is ever a field of a log line.

use tracing_subscriber::EnvFilter;

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
