//! `[web]`: where the web server listens, the address people reach it at,
//! its limits, and the checks that stop start-up when they cannot work.

use serde::Deserialize;

use super::ConfigError;

/// `[web]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebSettings {
    /// Where the web server listens; empty means no web server.
    #[serde(default)]
    pub listen: String,
    /// The HTTPS address people reach the web server at (the Mini App's and
    /// the pages' links are made with it).
    #[serde(default)]
    pub public_url: String,
    /// Where `/metrics` is served, apart from the public pages; empty means
    /// nowhere.
    #[serde(default)]
    pub metrics_listen: String,
    /// A postcode district or country appears in the public breakdown only
    /// with at least this many signatures; smaller ones are summed as other.
    #[serde(default = "default_public_min_count")]
    pub public_min_count: u64,
    /// How old a Mini App's sign-in from Telegram may be, in seconds.
    #[serde(default = "default_init_data_max_age")]
    pub init_data_max_age_seconds: u64,
    /// Requests one address may make in a burst, then per second.
    #[serde(default = "default_requests_burst")]
    pub requests_burst: u32,
    /// See `requests_burst`.
    #[serde(default = "default_requests_per_second")]
    pub requests_per_second: u32,
    /// Requests come through a proxy of ours, which appends the client's
    /// address to `X-Forwarded-For`: limits then count that address (the
    /// last in the header) rather than the proxy's.
    #[serde(default)]
    pub behind_proxy: bool,
    /// An invitation to the campaign's Discord server, shown on its page.
    #[serde(default)]
    pub discord_invite: String,
    /// Connections one address may hold at once (behind a proxy, its own
    /// address holds them all: raise this to what the proxy opens).
    #[serde(default = "default_connections_per_address")]
    pub connections_per_address: usize,
}

fn default_connections_per_address() -> usize {
    crate::http::CONNECTIONS_PER_ADDRESS
}

impl Default for WebSettings {
    fn default() -> Self {
        Self {
            listen: String::new(),
            public_url: String::new(),
            metrics_listen: String::new(),
            public_min_count: default_public_min_count(),
            init_data_max_age_seconds: default_init_data_max_age(),
            requests_burst: default_requests_burst(),
            requests_per_second: default_requests_per_second(),
            behind_proxy: false,
            discord_invite: String::new(),
            connections_per_address: default_connections_per_address(),
        }
    }
}

impl WebSettings {
    /// Addresses must parse, the public URL must be a URL (HTTPS, except on
    /// loopback for local trials and tests), the Discord invite a link the page
    /// can offer, and limits must allow something.
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        for (key, address) in [
            ("web.listen", &self.listen),
            ("web.metrics_listen", &self.metrics_listen),
        ] {
            if !address.trim().is_empty() && address.trim().parse::<std::net::SocketAddr>().is_err() {
                return Err(ConfigError::invalid(
                    key,
                    "must be an address and port, such as 0.0.0.0:8080",
                ));
            }
        }
        if let Some(base) = self.public_base() {
            let parsed = url::Url::parse(base).map_err(|_| ConfigError::invalid("web.public_url", "must be a URL"))?;
            let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
            if parsed.scheme() != "https" && !(parsed.scheme() == "http" && loopback) {
                return Err(ConfigError::invalid(
                    "web.public_url",
                    "must be an https:// URL (Telegram opens Mini Apps only over HTTPS)",
                ));
            }
        }
        let invite = self.discord_invite.trim();
        if !invite.is_empty() && !url::Url::parse(invite).is_ok_and(|invite| invite.scheme() == "https") {
            return Err(ConfigError::invalid(
                "web.discord_invite",
                "must be an https:// invite link, such as https://discord.gg/...",
            ));
        }
        if self.requests_burst == 0 || self.requests_per_second == 0 {
            return Err(ConfigError::invalid(
                "web.requests_per_second",
                "web.requests_burst and web.requests_per_second must be at least 1",
            ));
        }
        if self.connections_per_address == 0 {
            return Err(ConfigError::invalid(
                "web.connections_per_address",
                "must be at least 1",
            ));
        }
        if self.init_data_max_age_seconds == 0 {
            return Err(ConfigError::invalid(
                "web.init_data_max_age_seconds",
                "must be at least 1",
            ));
        }
        Ok(())
    }

    /// The public address without a trailing slash, if one is set.
    pub fn public_base(&self) -> Option<&str> {
        let base = self.public_url.trim().trim_end_matches('/');
        (!base.is_empty()).then_some(base)
    }
}

fn default_public_min_count() -> u64 {
    10
}

fn default_init_data_max_age() -> u64 {
    3600
}

fn default_requests_burst() -> u32 {
    60
}

fn default_requests_per_second() -> u32 {
    10
}

#[cfg(test)]
mod tests {
    use figment::Figment;
    use figment::providers::{Format, Toml};

    use super::super::errors::tests::error_with;
    use super::super::{BUILT_IN_DEFAULTS, Settings};

    #[test]
    fn web_settings_that_cannot_work_stop_start_up_with_their_key() {
        for (toml, key, says) in [
            ("listen = \"port 8080\"", "web.listen", "address and port"),
            (
                "public_url = \"http://petition.example.org\"",
                "web.public_url",
                "https://",
            ),
            ("public_url = \"not a url\"", "web.public_url", "must be a URL"),
            ("discord_invite = \"discord.gg/abc\"", "web.discord_invite", "https://"),
            (
                "discord_invite = \"http://discord.gg/abc\"",
                "web.discord_invite",
                "https://",
            ),
            ("requests_per_second = 0", "web.requests_per_second", "at least 1"),
            (
                "init_data_max_age_seconds = 0",
                "web.init_data_max_age_seconds",
                "at least 1",
            ),
        ] {
            let message = error_with(Figment::from(Toml::string(&format!("[web]\n{toml}\n"))));
            assert!(
                message.contains(&format!("`{key}`")) && message.contains(says),
                "{toml}: {message}"
            );
        }
        let fine = "[web]\npublic_url = \"http://127.0.0.1:8080\"\ndiscord_invite = \"https://discord.gg/abc\"\n";
        let figment = Figment::from(Toml::string(BUILT_IN_DEFAULTS)).merge(Toml::string(fine));
        let settings = Settings::from_figment(figment).expect("loopback trials and an https invite are fine");
        assert_eq!(settings.web.discord_invite, "https://discord.gg/abc");
    }
}
