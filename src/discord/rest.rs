//! The Discord REST calls that deliver messages after the first response to
//! an interaction: follow-ups, edits of a deferred response, and direct
//! messages. Each waits for its turn in the bot's one pace ([`Pace`]:
//! Discord's global 50 requests a second, five messages in any five seconds
//! on a route, and the buckets Discord reports in its `X-RateLimit-*`
//! headers), and waits out a 429 for the `retry_after` Discord asks for
//! (the whole bot's pace when Discord says the limit was global) and tries
//! again, so nothing a supporter needs to see is dropped.
//!
//! serenity's own rate limiter does this for most routes, but not for
//! interaction webhooks, and not at all when requests go through a proxy;
//! its errors also drop `retry_after`. Hence this small client.

use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use serenity::builder::{CreateActionRow, CreateEmbed};
use tracing::{info, warn};
use url::Url;

use crate::config::Secret;
use crate::conversation::Attachment;
use crate::domain::Platform;
use crate::metrics;
use crate::pace::{DISCORD_PER_SECOND, Destination, Limits, Pace, Priority};

/// Attempts per message before giving up.
const ATTEMPTS: u32 = 5;
/// Longest wait honoured for one 429; an interaction token lives 15 minutes.
const LONGEST_WAIT: Duration = Duration::from_secs(60);
/// Discord's "cannot send messages to this user" code.
pub const CANNOT_MESSAGE_USER: i64 = 50007;
/// Discord's "unknown message" code: the message was deleted.
pub const UNKNOWN_MESSAGE: i64 = 10008;

/// The `User-Agent` Discord asks every client for: `DiscordBot ($url,
/// $version)`. The URL is the package's `repository` (or else `homepage`)
/// in Cargo.toml; the package names neither yet, and an address is not made
/// up, so until one is set it is `site`, the deployment's own public page
/// (`web.public_url`), and failing that the package's name.
pub fn user_agent_for(site: Option<&str>) -> String {
    let url = [
        env!("CARGO_PKG_REPOSITORY"),
        env!("CARGO_PKG_HOMEPAGE"),
        site.unwrap_or(""),
    ]
    .into_iter()
    .find(|url| !url.is_empty())
    .unwrap_or(env!("CARGO_PKG_NAME"));
    format!("DiscordBot ({url}, {})", env!("CARGO_PKG_VERSION"))
}

/// The HTTP client every request goes through.
fn http_client(site: Option<&str>) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .user_agent(user_agent_for(site))
        .timeout(Duration::from_secs(30))
        .build()
}

/// The `User-Agent` of a deployment with no public page.
pub fn user_agent() -> String {
    user_agent_for(None)
}

/// A message to deliver.
#[derive(Debug, Clone, Default)]
pub struct OutgoingMessage {
    /// At most 2,000 characters.
    pub content: String,
    /// Rows of buttons.
    pub components: Vec<CreateActionRow>,
    /// Rich embeds.
    pub embeds: Vec<CreateEmbed>,
    /// Only the person who triggered the interaction sees it.
    pub ephemeral: bool,
    /// A file to attach.
    pub attachment: Option<Attachment>,
}

/// Where a message goes, which decides how the request is authorised and
/// what the message may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// A new message for an interaction (a follow-up), authorised by the
    /// interaction's token.
    Interaction,
    /// An edit of an interaction's message. Whether a message is ephemeral
    /// is settled when it is first sent; Discord ignores or refuses the
    /// flag on an edit.
    InteractionEdit,
    /// A message in a channel (a DM), authorised by the bot's token; there
    /// is no ephemeral message outside an interaction.
    Channel,
}

impl OutgoingMessage {
    fn payload(&self, target: Target) -> Value {
        let mut payload = json!({
            "content": self.content,
            "components": self.components,
            "embeds": self.embeds,
            "allowed_mentions": { "parse": [] },
        });
        if self.ephemeral && target == Target::Interaction {
            payload["flags"] = json!(64);
        }
        if let Some(attachment) = &self.attachment {
            payload["attachments"] = json!([{ "id": 0, "filename": attachment.file_name }]);
        }
        payload
    }
}

/// Why a delivery failed, without any URL (interaction URLs carry tokens).
#[derive(Debug, thiserror::Error)]
pub enum RestError {
    /// Discord answered with an error.
    #[error("Discord answered {status} (code {code:?})")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// Discord's JSON error code, if any.
        code: Option<i64>,
    },
    /// The request did not get an answer.
    #[error("could not reach Discord: {0}")]
    Network(String),
    /// Still rate limited after every attempt.
    #[error("still rate limited after {ATTEMPTS} attempts")]
    RateLimited,
}

impl RestError {
    /// Whether Discord refused because the message is gone (deleted).
    pub fn is_unknown_message(&self) -> bool {
        matches!(
            self,
            RestError::Refused {
                code: Some(UNKNOWN_MESSAGE),
                ..
            }
        )
    }

    /// Whether Discord refused because the user does not accept DMs.
    pub fn is_cannot_message_user(&self) -> bool {
        matches!(
            self,
            RestError::Refused {
                code: Some(CANNOT_MESSAGE_USER),
                ..
            }
        )
    }
}

/// The client.
#[derive(Clone)]
pub struct DiscordRest {
    client: reqwest::Client,
    /// `https://discord.com/api/v10/`, or a proxy's equivalent.
    api: Url,
    token: Secret,
    /// The bot's one pace on Discord, shared with everything else the bot
    /// sends there ([`DiscordRest::paced_by`]); until it is given one, a
    /// client keeps to Discord's limits on its own.
    pace: Arc<Pace>,
    /// The priority of this client's requests in the pace.
    priority: Priority,
}

impl std::fmt::Debug for DiscordRest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiscordRest")
            .field("api", &self.api.as_str())
            .field("priority", &self.priority)
            .finish_non_exhaustive()
    }
}

impl DiscordRest {
    /// A client for the API at `base` (`https://discord.com`), with the bot token.
    pub fn new(base: &str, token: Secret) -> anyhow::Result<Self> {
        let api = Url::parse(base)?.join("api/v10/")?;
        Ok(Self {
            client: http_client(None)?,
            api,
            token,
            pace: Arc::new(Pace::new(Limits::discord(DISCORD_PER_SECOND, DISCORD_PER_SECOND))),
            priority: Priority::Reply,
        })
    }

    /// The same client, naming `site` (the deployment's public page, when
    /// it has one) in its `User-Agent`; see [`user_agent_for`].
    pub fn identified_by(mut self, site: Option<&str>) -> anyhow::Result<Self> {
        self.client = http_client(site)?;
        Ok(self)
    }

    /// The same client, its requests taking their turns in `pace` (the
    /// bot's one pace on Discord).
    pub fn paced_by(self, pace: Arc<Pace>) -> Self {
        Self { pace, ..self }
    }

    /// The same client, its requests at `priority` in the pace.
    pub fn with_priority(&self, priority: Priority) -> Self {
        Self {
            priority,
            ..self.clone()
        }
    }

    /// A further message for an interaction.
    pub async fn follow_up(
        &self,
        application_id: u64,
        token: &str,
        message: &OutgoingMessage,
    ) -> Result<(), RestError> {
        let url = self.url(&format!("webhooks/{application_id}/{token}"));
        self.send(reqwest::Method::POST, url, message, Target::Interaction)
            .await
            .map(drop)
    }

    /// Replaces a deferred first response.
    pub async fn edit_original(
        &self,
        application_id: u64,
        token: &str,
        message: &OutgoingMessage,
    ) -> Result<(), RestError> {
        let url = self.url(&format!("webhooks/{application_id}/{token}/messages/@original"));
        self.send(reqwest::Method::PATCH, url, message, Target::InteractionEdit)
            .await
            .map(drop)
    }

    /// Opens (or finds) the DM channel with a user; returns its id.
    pub async fn open_dm(&self, user_id: u64) -> Result<u64, RestError> {
        let url = self.url("users/@me/channels");
        let body = json!({ "recipient_id": user_id.to_string() });
        let channel = self
            .attempt(Route::Anywhere, || {
                self.client
                    .post(url.clone())
                    .header("Authorization", self.auth())
                    .json(&body)
            })
            .await?;
        channel["id"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .ok_or(RestError::Refused {
                status: 200,
                code: None,
            })
    }

    /// Posts a message in a channel (a DM).
    pub async fn send_to_channel(&self, channel_id: u64, message: &OutgoingMessage) -> Result<(), RestError> {
        let url = self.url(&format!("channels/{channel_id}/messages"));
        self.send(reqwest::Method::POST, url, message, Target::Channel)
            .await
            .map(drop)
    }

    /// Posts a message in a channel (a server's, or a DM); returns the new
    /// message's id, to edit it later.
    pub async fn post_in_channel(&self, channel_id: u64, message: &OutgoingMessage) -> Result<u64, RestError> {
        let url = self.url(&format!("channels/{channel_id}/messages"));
        let posted = self.send(reqwest::Method::POST, url, message, Target::Channel).await?;
        message_id(&posted)
    }

    /// Replaces a message the bot posted in a channel.
    pub async fn edit_in_channel(
        &self,
        channel_id: u64,
        message_id: u64,
        message: &OutgoingMessage,
    ) -> Result<(), RestError> {
        let url = self.url(&format!("channels/{channel_id}/messages/{message_id}"));
        self.send(reqwest::Method::PATCH, url, message, Target::Channel)
            .await
            .map(drop)
    }

    fn url(&self, path: &str) -> Url {
        self.api.join(path).expect("a valid API path")
    }

    fn auth(&self) -> String {
        format!("Bot {}", self.token.expose())
    }

    async fn send(
        &self,
        method: reqwest::Method,
        url: Url,
        message: &OutgoingMessage,
        target: Target,
    ) -> Result<Value, RestError> {
        let payload = message.payload(target);
        let route = Route::of(url.path());
        self.attempt(route, || {
            let mut request = self.client.request(method.clone(), url.clone());
            if target == Target::Channel {
                request = request.header("Authorization", self.auth());
            }
            match &message.attachment {
                None => request.json(&payload),
                Some(attachment) => {
                    let file = reqwest::multipart::Part::bytes(attachment.bytes.clone())
                        .file_name(attachment.file_name.clone())
                        .mime_str(&attachment.media_type)
                        .expect("a valid media type");
                    let form = reqwest::multipart::Form::new()
                        .text("payload_json", payload.to_string())
                        .part("files[0]", file);
                    request.multipart(form)
                }
            }
        })
        .await
    }

    /// Sends in its turn, waiting out 429s; `build` makes a fresh request
    /// per attempt.
    async fn attempt(&self, route: Route, build: impl Fn() -> reqwest::RequestBuilder) -> Result<Value, RestError> {
        let destination = route.destination();
        for attempt in 1..=ATTEMPTS {
            let turn = self.pace.turn(destination, self.priority).await;
            let response = build().send().await;
            let response = match response {
                Ok(response) => response,
                Err(error) => return Err(RestError::Network(describe(&error))),
            };
            let status = response.status();
            let headers = Bucket::read(response.headers());
            let body: Value = if status == reqwest::StatusCode::NO_CONTENT {
                Value::Null
            } else {
                response.json().await.unwrap_or(Value::Null)
            };
            drop(turn);
            if let Some(wait) = headers.empty_for {
                self.pace.hold(destination, wait);
            }
            if status.is_success() {
                return Ok(body);
            }
            if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
                metrics::rate_limited(Platform::Discord);
                let seconds = body["retry_after"].as_f64().or(headers.retry_after).unwrap_or(1.0);
                let wait = Duration::from_secs_f64(seconds.max(0.0)).min(LONGEST_WAIT);
                let global = body["global"].as_bool().unwrap_or(false);
                info!(attempt, ?wait, global, "Discord rate limit: waiting");
                if global {
                    self.pace.pause(wait);
                } else {
                    self.pace.hold(destination, wait);
                }
                continue;
            }
            let error = RestError::Refused {
                status: status.as_u16(),
                code: body["code"].as_i64(),
            };
            if !error.is_cannot_message_user() {
                warn!(%error, "Discord refused a message");
            }
            return Err(error);
        }
        Err(RestError::RateLimited)
    }
}

/// A request's route, as far as Discord's per-route limits go: a
/// channel's messages, or an interaction's webhook (keyed by a hash of its
/// token, which is never kept); anything else has only the global limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Channel(u64),
    Webhook(u64),
    Anywhere,
}

impl Route {
    /// The route of a request to `path` (`/api/v10/...`).
    fn of(path: &str) -> Self {
        let after_version = path.split_once("/v10/").map_or(path, |(_, rest)| rest);
        let segments: Vec<&str> = after_version.split('/').filter(|s| !s.is_empty()).collect();
        match segments.as_slice() {
            ["channels", channel, "messages", ..] => channel.parse().map_or(Route::Anywhere, Route::Channel),
            ["webhooks", _, token, ..] => {
                let mut hasher = std::collections::hash_map::DefaultHasher::new();
                token.hash(&mut hasher);
                Route::Webhook(hasher.finish())
            }
            _ => Route::Anywhere,
        }
    }

    fn destination(self) -> Destination {
        // Both kinds keep the same per-route rule; the key keeps them apart.
        match self {
            Route::Channel(id) => Destination::Private(id as i64),
            Route::Webhook(hash) => Destination::Group(hash as i64),
            Route::Anywhere => Destination::Anywhere,
        }
    }
}

/// What Discord's rate-limit headers said of a route's bucket.
struct Bucket {
    /// The bucket has no requests left for this long.
    empty_for: Option<Duration>,
    /// `Retry-After`, in seconds, on a 429.
    retry_after: Option<f64>,
}

impl Bucket {
    fn read(headers: &reqwest::header::HeaderMap) -> Self {
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<f64>().ok())
        };
        let empty_for = match (number("x-ratelimit-remaining"), number("x-ratelimit-reset-after")) {
            (Some(remaining), Some(reset)) if remaining <= 0.0 => Some(Duration::from_secs_f64(reset.max(0.0))),
            _ => None,
        };
        Self {
            empty_for,
            retry_after: number("retry-after"),
        }
    }
}

/// The id of a message Discord returned.
fn message_id(message: &Value) -> Result<u64, RestError> {
    message["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .ok_or(RestError::Refused {
            status: 200,
            code: None,
        })
}

/// A reqwest error without its URL.
fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        "could not connect".to_owned()
    } else {
        "request failed".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_new_interaction_message_carries_the_ephemeral_flag() {
        let private = OutgoingMessage {
            content: "only you see this".to_owned(),
            ephemeral: true,
            ..OutgoingMessage::default()
        };
        assert_eq!(private.payload(Target::Interaction)["flags"], 64);
        assert!(private.payload(Target::InteractionEdit).get("flags").is_none());
        assert!(private.payload(Target::Channel).get("flags").is_none());
    }

    #[test]
    fn routes_are_told_apart_by_channel_and_by_interaction() {
        assert_eq!(Route::of("/api/v10/channels/42/messages"), Route::Channel(42));
        assert_eq!(Route::of("/api/v10/channels/42/messages/7"), Route::Channel(42));
        let first = Route::of("/api/v10/webhooks/1/token-a");
        assert!(matches!(first, Route::Webhook(_)));
        assert_eq!(Route::of("/api/v10/webhooks/1/token-a/messages/@original"), first);
        assert_ne!(Route::of("/api/v10/webhooks/1/token-b"), first);
        assert_eq!(Route::of("/api/v10/users/@me/channels"), Route::Anywhere);
    }

    #[test]
    fn the_user_agent_is_the_one_discord_asks_for() {
        let agent = user_agent();
        assert!(agent.starts_with("DiscordBot ("), "{agent}");
        assert!(agent.ends_with(&format!(", {})", env!("CARGO_PKG_VERSION"))), "{agent}");
    }

    #[test]
    fn the_user_agent_names_the_deployments_public_page() {
        assert_eq!(
            user_agent_for(Some("https://petition.example.org")),
            format!(
                "DiscordBot (https://petition.example.org, {})",
                env!("CARGO_PKG_VERSION")
            )
        );
    }
}
