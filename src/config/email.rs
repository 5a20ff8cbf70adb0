//! `[email]`: the SMTP server mail goes out through.

use serde::Deserialize;

use super::{ConfigError, Secret};

/// `[email]`. Absent: no mail is sent.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSettings {
    /// `smtp://user@host:587` (STARTTLS, which is then required) or
    /// `smtps://user@host:465` (TLS from the first byte). Never sent in the
    /// clear.
    pub server: Secret,
    /// The password of the user in `server`; best given in the environment
    /// (`PETITION_EMAIL__PASSWORD`), never logged.
    #[serde(default)]
    pub password: Secret,
    /// The sender: `Campaign name <petition@example.org>`.
    pub from: String,
    /// Where replies go; empty: to `from`.
    #[serde(default)]
    pub reply_to: String,
    /// The most messages handed to the server a second.
    #[serde(default = "default_per_second")]
    pub per_second: u32,
    /// A PEM file with one more certificate authority to trust, for a
    /// relay whose certificate a private authority signed; empty: the
    /// public authorities only.
    #[serde(default)]
    pub root_certificate: String,
}

fn default_per_second() -> u32 {
    10
}

impl EmailSettings {
    /// Checks what can be checked without connecting.
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        let server = self.server.expose();
        if !(server.starts_with("smtp://") || server.starts_with("smtps://")) {
            return Err(ConfigError::invalid(
                "email.server",
                "must start with smtp:// or smtps://",
            ));
        }
        if self.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError::invalid(
                "email.from",
                "must be an address, or a name and an address in <>",
            ));
        }
        if !self.reply_to.trim().is_empty() && self.reply_to.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError::invalid(
                "email.reply_to",
                "must be empty, an address, or a name and an address in <>",
            ));
        }
        if self.per_second == 0 {
            return Err(ConfigError::invalid("email.per_second", "must be at least 1"));
        }
        Ok(())
    }
}
