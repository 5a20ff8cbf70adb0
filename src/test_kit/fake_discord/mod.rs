//! A fake Discord on loopback, written from Discord's API documentation: a
//! WebSocket gateway (hello, identify, heartbeat and its ack, ready, then
//! `INTERACTION_CREATE` and `MESSAGE_CREATE` dispatches) and the REST routes
//! the bot calls (gateway discovery, command registration, interaction
//! callbacks and follow-ups, opening a DM, sending messages). It records
//! every call, with its headers, and can answer one with a 429 and
//! `retry_after`. It enforces Discord's rate limits as the bot must keep
//! them (see [`limits`]): over them, a request is refused with a 429.
//! Test code: it panics when the bot does not do what a test waits for.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, header};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{Notify, broadcast};
use tokio_tungstenite::tungstenite::Message as Frame;

pub mod limits;
mod rest;

use rest::handle_rest;

/// The bot token the fake accepts.
pub const TOKEN: &str = "discord-test-token";
/// The fake bot's application id.
pub const APPLICATION_ID: u64 = 777_000_000_000_000_001;
/// The fake bot's user id.
pub const BOT_USER_ID: u64 = 777_000_000_000_000_002;
/// The one server the fake has.
pub const GUILD_ID: u64 = 888_000_000_000_000_001;
/// The server's channel that interactions come from.
pub const CHANNEL_ID: u64 = 888_000_000_000_000_002;

/// How long a test waits for the bot before failing.
const PATIENCE: Duration = Duration::from_secs(15);

/// One REST request the bot made.
#[derive(Debug, Clone)]
pub struct Call {
    /// The HTTP method.
    pub method: String,
    /// The path, from `/api/v10/`.
    pub path: String,
    /// The request's headers, as sent.
    pub headers: HeaderMap,
    /// Its JSON body (a multipart form's `payload_json`, with any file as
    /// `file_name` and `file_bytes`).
    pub body: Value,
    /// The HTTP status the fake answered with.
    pub status: u16,
    /// When it arrived.
    pub at: Instant,
}

impl Call {
    /// The `User-Agent` it was sent with, if any.
    pub fn user_agent(&self) -> Option<&str> {
        self.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok())
    }

    /// Whether it changes a message already shown: an interaction callback
    /// of type 7 (update the message a button was on) or a `PATCH` of a
    /// message (`@original`, or any other).
    pub fn is_edit(&self) -> bool {
        let callback = self.method == "POST" && self.path.starts_with("/api/v10/interactions/");
        (callback && self.body["type"] == 7) || (self.method == "PATCH" && self.path.contains("/messages/"))
    }

    /// The message flags it carries (an interaction callback's are in its
    /// `data`), if any.
    pub fn flags(&self) -> Option<u64> {
        let message = if self.path.starts_with("/api/v10/interactions/") {
            &self.body["data"]
        } else {
            &self.body
        };
        message["flags"].as_u64()
    }
}

/// Something the bot showed a user, however it was delivered.
#[derive(Debug, Clone)]
pub struct Shown {
    /// `callback`, `follow-up`, `edit-original` or `dm`.
    pub via: String,
    /// For callbacks: 4 message, 5 deferred, 7 update, 9 modal.
    pub callback_type: Option<u64>,
    /// The message's text.
    pub content: String,
    /// Buttons as (custom_id, label).
    pub buttons: Vec<(String, String)>,
    /// Its embeds, as sent.
    pub embeds: Vec<Value>,
    /// Whether only the member it answered can see it.
    pub ephemeral: bool,
    /// A modal, if the bot opened one.
    pub modal: Option<Modal>,
    /// An attached file: its name and content.
    pub attachment: Option<(String, Vec<u8>)>,
    /// When the bot sent it.
    pub at: Instant,
}

/// A modal's custom_id, title, and its inputs as (custom_id, label, value).
pub type Modal = (String, String, Vec<(String, String, String)>);

impl Shown {
    /// Whether it offers a button with this `custom_id`.
    pub fn has_button(&self, custom_id: &str) -> bool {
        self.buttons.iter().any(|(id, _)| id == custom_id)
    }
}

#[derive(Default)]
struct Inner {
    calls: Vec<Call>,
    /// Per route kind (`follow-up`, `dm`, `callback`), 429s to answer with.
    rate_limits: HashMap<String, Vec<f64>>,
    /// Users who refuse direct messages.
    refuse_dms: HashSet<u64>,
    /// Channel messages deleted (by a member, say): editing them fails.
    deleted: HashSet<String>,
    next_id: u64,
    sequence: u64,
    identifies: usize,
    /// Per interaction token, or per DM user, how many shown items a test has read.
    read: HashMap<String, usize>,
    last_interaction: Option<Value>,
    /// What Discord's limits let through lately.
    enforced: limits::Enforced,
    /// Requests refused with a 429 for going over Discord's limits.
    over_the_limit: usize,
}

struct Shared {
    inner: Mutex<Inner>,
    changed: Notify,
    events: broadcast::Sender<Value>,
    ws_url: String,
}

/// The running fake.
pub struct FakeDiscord {
    /// Where the REST API lives (the bot's `api_url`).
    pub api_url: String,
    /// The gateway's WebSocket URL.
    pub gateway_url: String,
    shared: Arc<Shared>,
    servers: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for FakeDiscord {
    fn drop(&mut self) {
        for server in &self.servers {
            server.abort();
        }
    }
}

fn snowflake(n: u64) -> String {
    n.to_string()
}

/// A DM channel's id for a user.
pub fn dm_channel(user: u64) -> u64 {
    user + 1_000_000
}

fn user_json(id: u64) -> Value {
    json!({ "id": snowflake(id), "username": format!("member{id}"), "discriminator": "0", "global_name": null, "avatar": null, "bot": false })
}

fn bot_json() -> Value {
    json!({ "id": snowflake(BOT_USER_ID), "username": "Petition", "discriminator": "0", "global_name": null, "avatar": null, "bot": true })
}

fn timestamp() -> &'static str {
    "2026-11-03T14:00:00.000000+00:00"
}

impl FakeDiscord {
    /// Starts the gateway and the REST API, each on a free loopback port.
    pub async fn start() -> Self {
        let ws_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let ws_url = format!("ws://{}", ws_listener.local_addr().unwrap());
        let (events, _) = broadcast::channel(1024);
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                next_id: 1_000_000_000_000_000,
                ..Inner::default()
            }),
            changed: Notify::new(),
            events,
            ws_url: ws_url.clone(),
        });
        let gateway = {
            let shared = shared.clone();
            tokio::spawn(async move {
                while let Ok((stream, _)) = ws_listener.accept().await {
                    let shared = shared.clone();
                    tokio::spawn(async move { serve_gateway(shared, stream).await });
                }
            })
        };
        let rest_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let api_url = format!("http://{}", rest_listener.local_addr().unwrap());
        let app = Router::new().fallback(handle_rest).with_state(shared.clone());
        let rest = tokio::spawn(async move {
            axum::serve(rest_listener, app).await.unwrap();
        });
        Self {
            api_url,
            gateway_url: ws_url,
            shared,
            servers: vec![gateway, rest],
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.shared.inner.lock().unwrap()
    }

    fn next_id(&self) -> u64 {
        let mut inner = self.lock();
        inner.next_id += 1;
        inner.next_id
    }

    /// How many times a bot identified on the gateway.
    pub fn identifies(&self) -> usize {
        self.lock().identifies
    }

    /// Waits until a bot has identified `count` times and received READY.
    pub async fn wait_for_identify(&self, count: usize) {
        self.wait(|inner| inner.identifies >= count, "the bot to identify")
            .await;
    }

    /// Waits until the bot has registered its commands.
    pub async fn wait_for_commands(&self) -> Vec<Call> {
        self.wait(
            |inner| {
                inner
                    .calls
                    .iter()
                    .any(|c| c.method == "PUT" && c.path.contains("/commands"))
            },
            "the commands to be registered",
        )
        .await;
        self.calls()
            .into_iter()
            .filter(|c| c.path.contains("/commands"))
            .collect()
    }

    async fn wait(&self, done: impl Fn(&Inner) -> bool, what: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let notified = self.shared.changed.notified();
            if done(&self.lock()) {
                return;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || tokio::time::timeout(left, notified).await.is_err() {
                panic!(
                    "timed out waiting for {what}; calls: {:#?}",
                    self.calls().iter().map(|c| (&c.method, &c.path)).collect::<Vec<_>>()
                );
            }
        }
    }

    /// Answers the next calls of a kind (`follow-up`, `dm`, `callback`) with a 429.
    pub fn rate_limit_next(&self, kind: &str, retry_after: f64) {
        self.lock()
            .rate_limits
            .entry(kind.to_owned())
            .or_default()
            .push(retry_after);
    }

    /// Deletes a channel message the bot posted, as a member with the
    /// right may: editing it fails from now on (Discord's error 10008).
    pub fn delete_message(&self, message_id: &str) {
        self.lock().deleted.insert(message_id.to_owned());
    }

    /// Makes a user refuse direct messages (Discord's error 50007).
    pub fn refuse_dms_from_bot(&self, user: u64) {
        self.lock().refuse_dms.insert(user);
    }

    /// Requests refused with a 429 because the bot went over Discord's
    /// limits (not because a test asked for one).
    pub fn over_the_limit(&self) -> usize {
        self.lock().over_the_limit
    }

    /// Every REST call made so far.
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    fn dispatch(&self, event: &str, data: Value) {
        let _ = self.shared.events.send(json!({ "t": event, "d": data }));
    }

    /// A member runs a slash command in the server; returns the interaction's token.
    pub fn slash_command(&self, user: u64, roles: &[u64], name: &str, options: Value) -> String {
        let data = json!({ "id": snowflake(self.next_id()), "name": name, "type": 1, "options": options });
        self.interaction(2, user, roles, true, data, None)
    }

    /// A member presses a button on something the bot showed them.
    pub fn press(&self, user: u64, roles: &[u64], on: &Shown, custom_id: &str) -> String {
        assert!(
            on.has_button(custom_id),
            "{custom_id} is not offered on {:?}",
            on.buttons
        );
        let in_dm = on.via == "dm";
        let message = json!({
            "id": snowflake(self.next_id()),
            "channel_id": snowflake(if in_dm { dm_channel(user) } else { CHANNEL_ID }),
            "author": bot_json(), "content": on.content, "timestamp": timestamp(),
            "edited_timestamp": null, "tts": false, "mention_everyone": false, "mentions": [],
            "mention_roles": [], "attachments": [], "embeds": on.embeds, "pinned": false, "type": 0,
            "flags": if on.ephemeral { 64 } else { 0 },
            "components": [{ "type": 1, "components": on.buttons.iter().map(|(id, label)| json!({
                "type": 2, "style": 2, "custom_id": id, "label": label
            })).collect::<Vec<_>>() }],
        });
        let data = json!({ "custom_id": custom_id, "component_type": 2 });
        self.interaction(3, user, roles, !in_dm, data, Some(message))
    }

    /// A member submits the signing form with these values, by input custom_id.
    pub fn submit_form(&self, user: u64, modal_id: &str, values: &[(&str, &str)]) -> String {
        let rows: Vec<Value> = values
            .iter()
            .map(|(id, value)| json!({ "type": 1, "components": [{ "type": 4, "custom_id": id, "value": value }] }))
            .collect();
        let data = json!({ "custom_id": modal_id, "components": rows });
        self.interaction(5, user, &[], true, data, None)
    }

    /// The same interaction delivered again (as after a resumed session).
    pub fn redeliver_last_interaction(&self) {
        let event = self.lock().last_interaction.clone().expect("an interaction was sent");
        self.dispatch("INTERACTION_CREATE", event);
    }

    fn interaction(
        &self,
        kind: u64,
        user: u64,
        roles: &[u64],
        in_guild: bool,
        data: Value,
        message: Option<Value>,
    ) -> String {
        let id = self.next_id();
        let token = format!("interaction-token-{id}");
        let mut interaction = json!({
            "id": snowflake(id), "application_id": snowflake(APPLICATION_ID), "type": kind,
            "token": token, "version": 1, "data": data, "locale": "en-GB",
            "entitlements": [], "authorizing_integration_owners": {}, "attachment_size_limit": 10_485_760,
            "app_permissions": "2248473465835073",
        });
        if in_guild {
            interaction["guild_id"] = json!(snowflake(GUILD_ID));
            interaction["guild_locale"] = json!("en-GB");
            interaction["channel_id"] = json!(snowflake(CHANNEL_ID));
            interaction["channel"] = json!({ "id": snowflake(CHANNEL_ID), "type": 0 });
            interaction["member"] = json!({
                "user": user_json(user), "roles": roles.iter().map(|r| snowflake(*r)).collect::<Vec<_>>(),
                "joined_at": timestamp(), "deaf": false, "mute": false, "flags": 0, "permissions": "8",
            });
            interaction["context"] = json!(0);
        } else {
            interaction["channel_id"] = json!(snowflake(dm_channel(user)));
            interaction["channel"] = json!({ "id": snowflake(dm_channel(user)), "type": 1 });
            interaction["user"] = user_json(user);
            interaction["context"] = json!(1);
        }
        if let Some(message) = message {
            interaction["message"] = message;
        }
        self.lock().last_interaction = Some(interaction.clone());
        self.dispatch("INTERACTION_CREATE", interaction);
        token
    }

    /// A user sends the bot a direct message.
    pub fn direct_message(&self, user: u64, content: &str) {
        let message = json!({
            "id": snowflake(self.next_id()), "channel_id": snowflake(dm_channel(user)),
            "author": user_json(user), "content": content, "timestamp": timestamp(),
            "edited_timestamp": null, "tts": false, "mention_everyone": false, "mentions": [],
            "mention_roles": [], "attachments": [], "embeds": [], "pinned": false, "type": 0,
        });
        self.dispatch("MESSAGE_CREATE", message);
    }

    /// Everything shown for an interaction (its callback, edits and
    /// follow-ups), in a user's DMs (`dm:<user>`) or in a channel
    /// (`channel:<id>`), in order.
    pub fn shown(&self, key: &str) -> Vec<Shown> {
        self.calls()
            .iter()
            .filter(|c| c.status < 300)
            .filter_map(|c| shown_of(c, key))
            .collect()
    }

    /// Waits for the next thing shown for an interaction token, or in a
    /// user's DMs (`dm:<user>`), that a test has not read yet.
    pub async fn next_shown(&self, key: &str) -> Shown {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let notified = self.shared.changed.notified();
            {
                let all = self.shown(key);
                let mut inner = self.lock();
                let read = inner.read.get(key).copied().unwrap_or(0);
                if let Some(next) = all.get(read) {
                    inner.read.insert(key.to_owned(), read + 1);
                    return next.clone();
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || tokio::time::timeout(left, notified).await.is_err() {
                panic!(
                    "nothing more was shown for {key}; calls: {:#?}",
                    self.calls()
                        .iter()
                        .map(|c| (&c.method, &c.path, c.status))
                        .collect::<Vec<_>>()
                );
            }
        }
    }
}

fn shown_of(call: &Call, key: &str) -> Option<Shown> {
    let segments: Vec<&str> = call.path.trim_start_matches("/api/v10/").split('/').collect();
    let (via, matches, callback_type, body) = match segments.as_slice() {
        ["interactions", _, token, "callback"] => {
            let kind = call.body["type"].as_u64();
            ("callback", *token == key, kind, call.body["data"].clone())
        }
        ["webhooks", _, token, "messages", "@original"] => ("edit-original", *token == key, None, call.body.clone()),
        ["webhooks", _, token] => ("follow-up", *token == key, None, call.body.clone()),
        ["channels", channel, "messages"] => {
            let channel = channel.parse::<u64>().ok();
            let wanted = match (key.strip_prefix("dm:"), key.strip_prefix("channel:")) {
                (Some(user), _) => user.parse::<u64>().ok().map(dm_channel),
                (_, Some(id)) => id.parse::<u64>().ok(),
                _ => None,
            };
            ("dm", wanted.is_some() && wanted == channel, None, call.body.clone())
        }
        _ => return None,
    };
    if !matches {
        return None;
    }
    let buttons = body["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .filter(|c| c["type"] == 2)
        .map(|c| {
            (
                c["custom_id"].as_str().unwrap_or("").to_owned(),
                c["label"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let modal = (callback_type == Some(9)).then(|| {
        let inputs = body["components"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
            .map(|c| {
                (
                    c["custom_id"].as_str().unwrap_or("").to_owned(),
                    c["label"].as_str().unwrap_or("").to_owned(),
                    c["value"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        (
            body["custom_id"].as_str().unwrap_or("").to_owned(),
            body["title"].as_str().unwrap_or("").to_owned(),
            inputs,
        )
    });
    let attachment = call.body["file_name"].as_str().map(|name| {
        (
            name.to_owned(),
            call.body["file_bytes"]
                .as_array()
                .map(|b| b.iter().map(|x| x.as_u64().unwrap() as u8).collect())
                .unwrap_or_default(),
        )
    });
    Some(Shown {
        via: via.to_owned(),
        callback_type,
        content: body["content"].as_str().unwrap_or("").to_owned(),
        buttons,
        embeds: body["embeds"].as_array().cloned().unwrap_or_default(),
        ephemeral: body["flags"].as_u64().is_some_and(|f| f & 64 != 0),
        modal,
        attachment,
        at: call.at,
    })
}

async fn serve_gateway(shared: Arc<Shared>, stream: tokio::net::TcpStream) {
    let Ok(socket) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (mut sink, mut source) = socket.split();
    let hello = json!({ "op": 10, "d": { "heartbeat_interval": 41_250 } });
    if sink.send(Frame::Text(hello.to_string())).await.is_err() {
        return;
    }
    let mut events = shared.events.subscribe();
    let mut ready = false;
    loop {
        tokio::select! {
            frame = source.next() => {
                let Some(Ok(frame)) = frame else { return };
                let Frame::Text(text) = frame else {
                    if let Frame::Close(_) = frame { return; }
                    continue;
                };
                let payload: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                match payload["op"].as_u64() {
                    Some(1) => {
                        let _ = sink.send(Frame::Text(json!({ "op": 11 }).to_string())).await;
                    }
                    Some(2) | Some(6) => {
                        let sequence = {
                            let mut inner = shared.inner.lock().unwrap();
                            inner.identifies += 1;
                            inner.sequence += 1;
                            inner.sequence
                        };
                        let ready_event = json!({ "op": 0, "t": "READY", "s": sequence, "d": {
                            "v": 10, "user": bot_json(),
                            "guilds": [{ "id": snowflake(GUILD_ID), "unavailable": true }],
                            "session_id": format!("session-{sequence}"),
                            "resume_gateway_url": shared.ws_url,
                            "shard": [0, 1],
                            "application": { "id": snowflake(APPLICATION_ID), "flags": 0 },
                        }});
                        let _ = sink.send(Frame::Text(ready_event.to_string())).await;
                        ready = true;
                        shared.changed.notify_waiters();
                    }
                    _ => {}
                }
            }
            event = events.recv(), if ready => {
                let Ok(event) = event else { return };
                let sequence = {
                    let mut inner = shared.inner.lock().unwrap();
                    inner.sequence += 1;
                    inner.sequence
                };
                let frame = json!({ "op": 0, "t": event["t"], "s": sequence, "d": event["d"] });
                if sink.send(Frame::Text(frame.to_string())).await.is_err() {
                    return;
                }
            }
        }
    }
}
