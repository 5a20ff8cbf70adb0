//! Telegram's sign-in for Mini Apps: the `initData` string Telegram hands
//! the page, checked as Telegram documents ("Validating data received via
//! the Mini App"): the fields but `hash`, sorted and joined as `key=value`
//! lines, signed with HMAC-SHA256 under a key that is itself
//! HMAC-SHA256("WebAppData", bot token). Only the bot's owner and Telegram
//! know the token, so a valid hash proves Telegram vouched for the user.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Why an `initData` was refused. Never shown in detail to the person (all
/// are "open the form from the bot"); kept apart for the tests and the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InitDataRefusal {
    /// Nothing was sent.
    #[error("no initData")]
    Missing,
    /// Not a query string with a hash, an auth_date and a user.
    #[error("malformed initData")]
    Malformed,
    /// The hash is not the bot's.
    #[error("initData with a hash that is not this bot's")]
    Forged,
    /// Signed too long ago.
    #[error("initData too old")]
    Expired,
    /// Signed in the future (a clock far off, or a replay of something odd).
    #[error("initData from the future")]
    FromTheFuture,
}

/// The Telegram user an `initData` vouches for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelegramUser {
    /// Their numeric Telegram id, as the bot sees it in chats.
    pub id: i64,
}

/// Checks `initData` with the key made from the bot's token.
#[derive(Clone)]
pub struct InitDataCheck {
    /// HMAC-SHA256("WebAppData", token): what Telegram signs with.
    secret: [u8; 32],
    max_age: Duration,
}

/// How far in the future an `auth_date` may be, for clocks a little apart.
const CLOCK_SKEW: Duration = Duration::seconds(60);

impl InitDataCheck {
    /// A check for the bot with `token`, refusing sign-ins older than
    /// `max_age_seconds`.
    pub fn new(token: &str, max_age_seconds: u64) -> Self {
        Self {
            secret: secret_key(token),
            max_age: Duration::seconds(i64::try_from(max_age_seconds).unwrap_or(i64::MAX / 1000)),
        }
    }

    /// The user `init_data` vouches for, if its hash is the bot's and it is
    /// recent at `now`.
    pub fn verify(&self, init_data: &str, now: DateTime<Utc>) -> Result<TelegramUser, InitDataRefusal> {
        if init_data.trim().is_empty() {
            return Err(InitDataRefusal::Missing);
        }
        let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(init_data.as_bytes())
            .map(|(key, value)| (key.into_owned(), value.into_owned()))
            .collect();
        let hash_at = pairs
            .iter()
            .position(|(key, _)| key == "hash")
            .ok_or(InitDataRefusal::Malformed)?;
        let (_, hash) = pairs.swap_remove(hash_at);
        let expected = decode_hex(&hash).ok_or(InitDataRefusal::Malformed)?;
        let mut mac = HmacSha256::new_from_slice(&self.secret).expect("HMAC takes any key");
        mac.update(data_check_string(&mut pairs).as_bytes());
        // Compared in constant time, so the hash cannot be guessed byte by byte.
        mac.verify_slice(&expected).map_err(|_| InitDataRefusal::Forged)?;

        let field = |name: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        let signed_at = field("auth_date")
            .and_then(|seconds| seconds.parse::<i64>().ok())
            .and_then(|seconds| DateTime::from_timestamp(seconds, 0))
            .ok_or(InitDataRefusal::Malformed)?;
        if signed_at > now + CLOCK_SKEW {
            return Err(InitDataRefusal::FromTheFuture);
        }
        if now - signed_at > self.max_age {
            return Err(InitDataRefusal::Expired);
        }
        #[derive(Deserialize)]
        struct User {
            id: i64,
        }
        let user: User = field("user")
            .and_then(|json| serde_json::from_str(json).ok())
            .ok_or(InitDataRefusal::Malformed)?;
        if user.id <= 0 {
            return Err(InitDataRefusal::Malformed);
        }
        Ok(TelegramUser { id: user.id })
    }
}

/// The key Telegram signs a bot's `initData` with.
fn secret_key(token: &str) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(b"WebAppData").expect("HMAC takes any key");
    mac.update(token.as_bytes());
    mac.finalize().into_bytes().into()
}

/// The fields but `hash`, sorted by key, as `key=value` lines.
fn data_check_string(pairs: &mut [(String, String)]) -> String {
    pairs.sort();
    pairs
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Signs `fields` as Telegram would for the bot with `token`: an `initData`
/// query string. For tests and the benchmark, which play Telegram's part.
pub fn sign_as_telegram(token: &str, fields: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(String, String)> = fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let mut mac = HmacSha256::new_from_slice(&secret_key(token)).expect("HMAC takes any key");
    mac.update(data_check_string(&mut pairs).as_bytes());
    let hash: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in fields {
        query.append_pair(key, value);
    }
    query.append_pair("hash", &hash);
    query.finish()
}

/// An `initData` for Telegram user `id`, signed at `at`, as Telegram makes
/// it (tests and the benchmark).
pub fn init_data_for(token: &str, id: i64, at: DateTime<Utc>) -> String {
    let user = format!(r#"{{"id":{id},"first_name":"Test","language_code":"en"}}"#);
    let auth_date = at.timestamp().to_string();
    sign_as_telegram(
        token,
        &[("query_id", "AAH-test"), ("user", &user), ("auth_date", &auth_date)],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "123456:TEST-token";

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    #[test]
    fn a_fresh_sign_in_names_its_user() {
        let check = InitDataCheck::new(TOKEN, 3600);
        let data = init_data_for(TOKEN, 42, now() - Duration::seconds(10));
        assert_eq!(check.verify(&data, now()), Ok(TelegramUser { id: 42 }));
    }

    #[test]
    fn a_hash_made_with_another_token_is_forged() {
        let check = InitDataCheck::new(TOKEN, 3600);
        let data = init_data_for("999:other", 42, now());
        assert_eq!(check.verify(&data, now()), Err(InitDataRefusal::Forged));
    }

    #[test]
    fn changing_the_user_breaks_the_hash() {
        let check = InitDataCheck::new(TOKEN, 3600);
        let data = init_data_for(TOKEN, 42, now()).replace("%22id%22%3A42", "%22id%22%3A43");
        assert_eq!(check.verify(&data, now()), Err(InitDataRefusal::Forged));
    }

    #[test]
    fn old_and_future_sign_ins_are_refused() {
        let check = InitDataCheck::new(TOKEN, 3600);
        let old = init_data_for(TOKEN, 42, now() - Duration::seconds(3601));
        assert_eq!(check.verify(&old, now()), Err(InitDataRefusal::Expired));
        let future = init_data_for(TOKEN, 42, now() + Duration::seconds(600));
        assert_eq!(check.verify(&future, now()), Err(InitDataRefusal::FromTheFuture));
    }

    #[test]
    fn nothing_or_rubbish_is_refused() {
        let check = InitDataCheck::new(TOKEN, 3600);
        assert_eq!(check.verify("", now()), Err(InitDataRefusal::Missing));
        assert_eq!(
            check.verify("user=1&auth_date=2", now()),
            Err(InitDataRefusal::Malformed)
        );
        assert_eq!(check.verify("hash=zz", now()), Err(InitDataRefusal::Malformed));
    }

    /// The example from Telegram's documentation of the check: the
    /// data-check-string is the sorted `key=value` lines without the hash,
    /// and the key is HMAC-SHA256 of the token under "WebAppData".
    #[test]
    fn the_key_and_the_string_are_made_as_telegram_documents() {
        let mut pairs = vec![
            ("user".to_owned(), "{\"id\":1}".to_owned()),
            ("auth_date".to_owned(), "1700000000".to_owned()),
            ("query_id".to_owned(), "Q".to_owned()),
        ];
        assert_eq!(
            data_check_string(&mut pairs),
            "auth_date=1700000000\nquery_id=Q\nuser={\"id\":1}"
        );
        let mut mac = HmacSha256::new_from_slice(b"WebAppData").unwrap();
        mac.update(TOKEN.as_bytes());
        assert_eq!(secret_key(TOKEN).to_vec(), mac.finalize().into_bytes().to_vec());
    }
}
