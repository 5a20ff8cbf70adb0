//! The pseudonyms that stand for people in log lines: a keyed hash
//! (HMAC-SHA256) of the platform identity. Without the key a Telegram id or
//! a console name cannot be recovered from one by trying candidates; with
//! it, the log lines of one person can still be followed. The key is chosen
//! at start-up (see `telemetry::choose_pseudonym_key`).

use std::fmt;
use std::sync::{LazyLock, OnceLock};

use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;

use super::Identity;

/// A key for log pseudonyms, ready to hash with. Its `Debug` hides it.
#[derive(Clone)]
pub struct PseudonymKey(Hmac<Sha256>);

impl PseudonymKey {
    /// A key from secret bytes (the configured or stored key's text).
    pub fn new(key: &[u8]) -> Self {
        Self(Hmac::new_from_slice(key).expect("HMAC takes a key of any length"))
    }

    /// A key of 32 random bytes that is never written anywhere.
    pub fn random() -> Self {
        Self::new(&rand::rng().random::<[u8; 32]>())
    }

    /// The pseudonym of `who` under this key: 64 bits of HMAC-SHA256, in hex.
    pub fn pseudonym(&self, who: &Identity) -> String {
        let mut mac = self.0.clone();
        // The separators keep ("a", "b\0c") and ("a\0b", "c") apart; the
        // label keeps these hashes apart from any other use of the key.
        mac.update(b"petition-log-v2\0");
        mac.update(who.platform.as_str().as_bytes());
        mac.update(b"\0");
        mac.update(who.user_id.as_bytes());
        mac.finalize().into_bytes()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

impl fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PseudonymKey(<hidden>)")
    }
}

/// The key set at start-up.
static PROCESS_KEY: OnceLock<PseudonymKey> = OnceLock::new();

/// Used until a key is set (unit tests, tools that open no database): the
/// pseudonyms still cannot be reversed, they just differ from run to run.
/// Never the unkeyed hash of old, which could.
static FALLBACK_KEY: LazyLock<PseudonymKey> = LazyLock::new(PseudonymKey::random);

/// Sets the key every [`Identity::log_id`] in this process uses from now
/// on. Only the first call takes effect: pseudonyms must not change under a
/// running process. Returns whether this call set it.
pub fn set_pseudonym_key(key: PseudonymKey) -> bool {
    PROCESS_KEY.set(key).is_ok()
}

/// The pseudonym of `who` under the process's key.
pub(super) fn pseudonym(who: &Identity) -> String {
    PROCESS_KEY.get().unwrap_or(&FALLBACK_KEY).pseudonym(who)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Platform;

    #[test]
    fn pseudonyms_are_stable_under_one_key_and_differ_under_another() {
        let who = Identity::new(Platform::Telegram, "123456789");
        let key = PseudonymKey::new(b"one key, at least thirty-two characters");
        let other = PseudonymKey::new(b"another key, also thirty-two characters");
        assert_eq!(key.pseudonym(&who), key.clone().pseudonym(&who.clone()));
        assert_ne!(key.pseudonym(&who), other.pseudonym(&who));
        assert_ne!(
            key.pseudonym(&who),
            key.pseudonym(&Identity::new(Platform::Discord, "123456789"))
        );
        assert_eq!(key.pseudonym(&who).len(), 16);
        assert!(key.pseudonym(&who).bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn pseudonyms_are_not_the_unkeyed_hash() {
        use sha2::Digest;
        let who = Identity::new(Platform::Telegram, "1");
        let unkeyed: String = Sha256::new()
            .chain_update(b"petition-log-v1\0")
            .chain_update("telegram")
            .chain_update(b"\0")
            .chain_update("1")
            .finalize()[..6]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(!who.log_id().starts_with(&unkeyed));
        assert!(!PseudonymKey::random().pseudonym(&who).starts_with(&unkeyed));
    }

    #[test]
    fn the_key_is_hidden_from_debug_output() {
        let key = PseudonymKey::new(b"hunter2 hunter2 hunter2 hunter2 hunter2");
        assert_eq!(format!("{key:?}"), "PseudonymKey(<hidden>)");
    }
}
