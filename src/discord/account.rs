//! What Discord's ids tell: a user id is a snowflake that carries the
//! account's creation time, which the engine uses to hold signatures from
//! very young accounts.

use chrono::{DateTime, Utc};

/// When a Discord account was created, from its id (a snowflake).
pub(super) fn discord_account_created(user_id: u64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(((user_id >> 22) + 1_420_070_400_000) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discord_account_age_comes_from_the_snowflake() {
        // Discord's documented example id.
        let created = discord_account_created(175_928_847_299_117_063).unwrap();
        assert_eq!(created.timestamp_millis(), 1_462_015_105_796);
    }
}
