use std::fmt;
use std::str::FromStr;

/// A chat platform the engine can be reached through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// A Telegram private chat or group.
    Telegram,
    /// A Discord server or DM.
    Discord,
    /// The terminal console (`petition console`).
    Console,
}

impl Platform {
    /// Every platform, in the order breakdowns list them.
    pub const ALL: [Platform; 3] = [Platform::Telegram, Platform::Discord, Platform::Console];

    /// The lower-case name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Telegram => "telegram",
            Platform::Discord => "discord",
            Platform::Console => "console",
        }
    }

    /// The platform's name as log lines give it: "Telegram", "Discord".
    pub fn name(self) -> &'static str {
        match self {
            Platform::Telegram => "Telegram",
            Platform::Discord => "Discord",
            Platform::Console => "the console",
        }
    }

    /// Whether the bot can send someone here a message they did not ask
    /// for just then, such as an update: Telegram and Discord can, the
    /// console cannot.
    pub fn can_receive_updates(self) -> bool {
        matches!(self, Platform::Telegram | Platform::Discord)
    }

    /// The longest message the platform accepts, in characters.
    pub fn max_message_chars(self) -> usize {
        match self {
            Platform::Telegram => 4096,
            Platform::Discord => 2000,
            Platform::Console => usize::MAX,
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Platform {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Platform::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("unknown platform {s:?}"))
    }
}

/// Who is talking to the engine: a platform and that platform's id for the
/// user (a Telegram or Discord numeric id, or the console's `--as` name).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Identity {
    /// The platform the user is on.
    pub platform: Platform,
    /// The platform's id for the user, as text so every platform fits.
    pub user_id: String,
}

impl Identity {
    /// An identity on a platform.
    pub fn new(platform: Platform, user_id: impl Into<String>) -> Self {
        Self {
            platform,
            user_id: user_id.into(),
        }
    }

    /// A short, stable pseudonym for log lines: a keyed hash of the
    /// identity (see [`super::PseudonymKey`]), so log lines about one person
    /// can be followed without naming them, and without the key the
    /// identity cannot be found by trying candidates.
    pub fn log_id(&self) -> String {
        super::pseudonym::pseudonym(self)
    }
}

/// Deliberately hides the user id: identities end up in `Debug` output of
/// errors and spans, and a platform id is personal data.
impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Identity({}:{})", self.platform, self.log_id())
    }
}

/// Where a message was sent: a private chat with the bot, or somewhere others
/// can read it. The engine refuses to ask for or show personal data in a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatKind {
    /// A one-to-one chat with the bot (Telegram private chat, Discord DM or
    /// ephemeral reply, the console).
    Private,
    /// A group, channel or server where other people read the replies.
    Group,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_does_not_contain_the_user_id() {
        let who = Identity::new(Platform::Telegram, "123456789");
        let shown = format!("{who:?}");
        assert!(!shown.contains("123456789"), "{shown}");
        assert!(shown.contains("telegram"));
    }

    #[test]
    fn log_ids_are_stable_and_distinct() {
        let a = Identity::new(Platform::Telegram, "1");
        let b = Identity::new(Platform::Discord, "1");
        assert_eq!(a.log_id(), a.clone().log_id());
        assert_ne!(a.log_id(), b.log_id());
    }

    #[test]
    fn platforms_round_trip_through_their_stored_names() {
        for platform in Platform::ALL {
            assert_eq!(platform.as_str().parse::<Platform>().unwrap(), platform);
        }
    }
}
