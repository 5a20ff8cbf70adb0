//! A fake Telegram Bot API server on loopback, written from the Bot API
//! documentation: enough of `getMe`, `getUpdates` (with `offset`, `limit` and
//! `timeout`), `sendMessage`, `editMessageText`, `editMessageReplyMarkup`,
//! `answerCallbackQuery`, `sendDocument`, `setMyCommands`, `setWebhook`,
//! `deleteWebhook` and `getWebhookInfo` for the bot to run against it over
//! real HTTP. It records every call, and can answer a call with a 429, a
//! 500 or a blocked user's 403, slowly, or not at all. It enforces
//! Telegram's rate limits as the bot must keep them (see [`limits`]):
//! over them, a call is refused with a 429 and its `retry_after`.
//! Test code: it panics when the bot does not do what a test waits for.

#![allow(clippy::missing_panics_doc)]

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::Notify;

mod api;
pub mod limits;

use api::{canonical, handle};

/// The token the fake accepts.
pub const TOKEN: &str = "123456:TEST-token_for-the-fake";
/// The fake bot's user id.
pub const BOT_ID: u64 = 4_242_424_242;
/// The fake bot's username.
pub const BOT_USERNAME: &str = "PetitionTestBot";

/// How long a test waits for the bot before failing.
const PATIENCE: Duration = Duration::from_secs(15);

/// One request the bot made.
#[derive(Debug, Clone)]
pub struct Call {
    /// The Bot API method, spelled as documented.
    pub method: String,
    /// Its parameters: JSON, or a multipart form's fields as JSON.
    pub body: Value,
    /// The HTTP status the fake answered with.
    pub status: u16,
    /// When it arrived.
    pub at: Instant,
    /// For calls that produced a message: its id.
    pub message_id: Option<i64>,
    /// Refused with a 429 because it went over Telegram's limits (not
    /// because a test asked for one).
    pub over_the_limit: bool,
}

/// A message the bot sent or edited, as a supporter would see it.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// How: `sendMessage`, `editMessageText` or `sendDocument`.
    pub method: String,
    /// The chat it is in.
    pub chat_id: i64,
    /// The message's id (an edit keeps the id of the message it changed).
    pub message_id: i64,
    /// Its text (a document's caption).
    pub text: String,
    /// Callback buttons as (label, data).
    pub buttons: Vec<(String, String)>,
    /// URL buttons as (label, url).
    pub links: Vec<(String, String)>,
    /// Web app (Mini App) buttons as (label, url).
    pub web_apps: Vec<(String, String)>,
    /// A sent document: file name and content.
    pub document: Option<(String, Vec<u8>)>,
}

#[derive(Default)]
struct Inner {
    /// Updates not yet confirmed by an `offset`, in id order.
    pending: VecDeque<(u32, Value)>,
    /// Every update ever queued.
    history: HashMap<u32, Value>,
    next_update_id: u32,
    next_message_id: i64,
    calls: Vec<Call>,
    /// What each chat was shown, in order, kept as calls are recorded so
    /// waiting for a reply does not rescan every call.
    shown: HashMap<i64, Vec<Outgoing>>,
    /// Per method, statuses to answer the next calls with (a 429's retry_after).
    failures: HashMap<String, VecDeque<u64>>,
    /// Per chat, how many outgoing messages a test has already read.
    read: HashMap<i64, usize>,
    webhook_url: String,
    /// Methods whose calls are never answered.
    stalled: HashSet<String>,
    /// Chats whose user blocked the bot: sending there is refused with 403.
    blocked: HashSet<i64>,
    /// Per method, how many of the next calls fail with a 500.
    server_errors: HashMap<String, usize>,
    /// How long each `sendMessage` takes to answer.
    send_delay: Duration,
    /// Messages deleted (by a member, say): editing them fails.
    deleted: HashSet<(i64, i64)>,
    /// What Telegram's limits let through lately.
    enforced: limits::Enforced,
}

struct Shared {
    inner: Mutex<Inner>,
    updates_arrived: Notify,
    call_made: Notify,
}

/// The running fake.
pub struct FakeTelegram {
    /// Where it listens: the bot's API URL.
    pub url: url::Url,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeTelegram {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeTelegram {
    /// Starts the fake on a free loopback port.
    pub async fn start() -> Self {
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                next_update_id: 1,
                next_message_id: 1,
                ..Inner::default()
            }),
            updates_arrived: Notify::new(),
            call_made: Notify::new(),
        });
        let app = Router::new()
            .route("/{bot}/{method}", post(handle).get(handle))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            url: url::Url::parse(&format!("http://{address}/")).unwrap(),
            shared,
            server,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.shared.inner.lock().unwrap()
    }

    /// Queues an update; returns its id.
    pub fn queue(&self, kind: &str, payload: Value) -> u32 {
        self.queue_copies(kind, payload, 1)
    }

    /// Queues one update `copies` times with the same id, as Telegram does
    /// when it is not sure an update arrived.
    pub fn queue_copies(&self, kind: &str, payload: Value, copies: usize) -> u32 {
        let id = {
            let mut inner = self.lock();
            let id = inner.next_update_id;
            inner.next_update_id += 1;
            let update = json!({ "update_id": id, kind: payload });
            for _ in 0..copies {
                inner.pending.push_back((id, update.clone()));
            }
            inner.history.insert(id, update);
            id
        };
        self.shared.updates_arrived.notify_waiters();
        id
    }

    /// The update with this id, as queued.
    pub fn update(&self, update_id: u32) -> Value {
        self.lock().history[&update_id].clone()
    }

    /// A user's message in their private chat with the bot.
    pub fn user_says(&self, user_id: u64, text: &str) -> u32 {
        self.user_says_times(user_id, text, 1)
    }

    /// The same message delivered `copies` times under one update id.
    pub fn user_says_times(&self, user_id: u64, text: &str, copies: usize) -> u32 {
        let message = self.incoming_message(private_chat(user_id), user_id, text);
        self.queue_copies("message", message, copies)
    }

    /// A user's message in their private chat, and the bot's next reply there.
    pub async fn say(&self, user_id: u64, text: &str) -> Outgoing {
        self.user_says(user_id, text);
        self.next_reply(user_id as i64).await
    }

    /// A user pressing a button `on` offers (the test fails if it does not),
    /// and the bot's next reply in their chat.
    pub async fn press(&self, user_id: u64, on: &Outgoing, data: &str) -> Outgoing {
        assert!(
            on.buttons.iter().any(|(_, d)| d == data),
            "{data} is not on {:?}",
            on.buttons
        );
        self.user_presses(user_id, on, data);
        self.next_reply(user_id as i64).await
    }

    /// A user's message in a group.
    pub fn user_says_in_group(&self, group_id: i64, user_id: u64, text: &str) -> u32 {
        let chat = json!({ "id": group_id, "type": "supergroup", "title": "Campaigners" });
        let message = self.incoming_message(chat, user_id, text);
        self.queue("message", message)
    }

    /// A user's sticker (a message without text) in their private chat.
    pub fn user_sends_sticker(&self, user_id: u64) -> u32 {
        let mut message = self.incoming_message(private_chat(user_id), user_id, "");
        message.as_object_mut().unwrap().remove("text");
        message["sticker"] = json!({
            "file_id": "sticker", "file_unique_id": "sticker", "type": "regular",
            "width": 512, "height": 512, "is_animated": false, "is_video": false
        });
        self.queue("message", message)
    }

    /// A user pressing a button on one of the bot's messages.
    pub fn user_presses(&self, user_id: u64, on: &Outgoing, data: &str) -> u32 {
        let message = json!({
            "message_id": on.message_id,
            "date": now(),
            "chat": private_chat(user_id),
            "from": bot_user(),
            "text": on.text,
        });
        let query = json!({
            "id": format!("query-{}-{}", user_id, self.lock().next_update_id),
            "from": user(user_id),
            "message": message,
            "chat_instance": format!("instance-{user_id}"),
            "data": data,
        });
        self.queue("callback_query", query)
    }

    fn incoming_message(&self, chat: Value, user_id: u64, text: &str) -> Value {
        let message_id = {
            let mut inner = self.lock();
            inner.next_message_id += 1;
            inner.next_message_id
        };
        json!({
            "message_id": message_id,
            "date": now(),
            "chat": chat,
            "from": user(user_id),
            "text": text,
        })
    }

    /// Answers the next `count` calls of `method` with a 429 asking to wait
    /// `retry_after` seconds.
    pub fn rate_limit_next(&self, method: &str, count: usize, retry_after: u64) {
        let mut inner = self.lock();
        let queue = inner.failures.entry(method.to_owned()).or_default();
        for _ in 0..count {
            queue.push_back(retry_after);
        }
    }

    /// Leaves every later call of `method` unanswered, as an API does that
    /// accepts connections and then hangs.
    pub fn stall(&self, method: &str) {
        self.lock().stalled.insert(canonical(method));
    }

    /// The user of `chat_id` has blocked the bot: messages to them are
    /// refused with Telegram's 403.
    pub fn block(&self, chat_id: i64) {
        self.lock().blocked.insert(chat_id);
    }

    /// Answers the next `count` calls of `method` with a 500.
    pub fn fail_next(&self, method: &str, count: usize) {
        *self.lock().server_errors.entry(canonical(method)).or_default() += count;
    }

    /// Makes every `sendMessage` take `delay` to answer, as a slow network would.
    pub fn slow_sends(&self, delay: Duration) {
        self.lock().send_delay = delay;
    }

    /// Deletes a message the bot sent, as a chat's member or admin may:
    /// editing it fails from now on.
    pub fn delete_message(&self, chat_id: i64, message_id: i64) {
        self.lock().deleted.insert((chat_id, message_id));
    }

    /// Answers calls of `method` again after [`FakeTelegram::stall`]
    /// (calls left hanging stay so).
    pub fn resume(&self, method: &str) {
        self.lock().stalled.remove(&canonical(method));
    }

    /// Every call made so far.
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    /// Calls of one method.
    pub fn calls_of(&self, method: &str) -> Vec<Call> {
        self.calls().into_iter().filter(|c| c.method == method).collect()
    }

    /// How many successful calls of a method were made.
    pub fn count_of(&self, method: &str) -> usize {
        self.lock()
            .calls
            .iter()
            .filter(|c| c.method == method && c.status == 200)
            .count()
    }

    /// The webhook URL the bot set, if any.
    pub fn webhook_url(&self) -> String {
        self.lock().webhook_url.clone()
    }

    /// Messages the bot sent or edited in a chat, in order.
    pub fn outgoing(&self, chat_id: i64) -> Vec<Outgoing> {
        self.lock().shown.get(&chat_id).cloned().unwrap_or_default()
    }

    /// Calls refused with a 429 because the bot went over Telegram's limits.
    pub fn over_the_limit(&self) -> usize {
        self.lock().calls.iter().filter(|c| c.over_the_limit).count()
    }

    /// Successful calls that count against Telegram's limits (sends,
    /// edits, deletes), in order.
    pub fn counted_calls(&self) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.status == 200 && limits::COUNTED.contains(&c.method.as_str()))
            .collect()
    }

    /// The most counted calls the fake let through in any one second: for
    /// the whole bot, and in any one chat.
    pub fn most_in_one_second(&self) -> (usize, usize) {
        let calls = self.counted_calls();
        let overall: Vec<Instant> = calls.iter().map(|c| c.at).collect();
        let mut per_chat: HashMap<i64, Vec<Instant>> = HashMap::new();
        for call in &calls {
            if let Some(chat) = chat_of(&call.body) {
                per_chat.entry(chat).or_default().push(call.at);
            }
        }
        let in_a_chat = per_chat
            .values()
            .map(|times| limits::most_in_one_second(times))
            .max()
            .unwrap_or(0);
        (limits::most_in_one_second(&overall), in_a_chat)
    }

    /// Waits for the next message the bot sends (or edits) in a chat that a
    /// test has not read yet, and marks it read.
    pub async fn next_reply(&self, chat_id: i64) -> Outgoing {
        match self.next_reply_within(chat_id, PATIENCE).await {
            Some(next) => next,
            None => panic!(
                "the bot sent nothing more to chat {chat_id}; calls so far: {:#?}",
                self.calls().iter().map(|c| (&c.method, &c.body)).collect::<Vec<_>>()
            ),
        }
    }

    /// [`FakeTelegram::next_reply`], waiting at most `patience`; `None` if
    /// nothing came.
    pub async fn next_reply_within(&self, chat_id: i64, patience: Duration) -> Option<Outgoing> {
        let deadline = Instant::now() + patience;
        loop {
            let notified = self.shared.call_made.notified();
            {
                let mut inner = self.lock();
                let read = inner.read.get(&chat_id).copied().unwrap_or(0);
                let next = inner.shown.get(&chat_id).and_then(|shown| shown.get(read)).cloned();
                if let Some(next) = next {
                    inner.read.insert(chat_id, read + 1);
                    return Some(next);
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || tokio::time::timeout(left, notified).await.is_err() {
                return None;
            }
        }
    }

    /// Waits until `method` has been called at least `count` times.
    pub async fn wait_for_calls(&self, method: &str, count: usize) -> Vec<Call> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let notified = self.shared.call_made.notified();
            let calls = self.calls_of(method);
            if calls.len() >= count {
                return calls;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || tokio::time::timeout(left, notified).await.is_err() {
                panic!("expected {count} calls of {method}, saw {}", calls.len());
            }
        }
    }

    /// Waits until the bot has confirmed every queued update (asked for
    /// updates with an offset past them).
    pub async fn wait_until_confirmed(&self) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let notified = self.shared.call_made.notified();
            if self.lock().pending.is_empty() {
                return;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || tokio::time::timeout(left, notified).await.is_err() {
                panic!("the bot did not confirm its updates");
            }
        }
    }
}

impl Inner {
    fn record(&mut self, call: Call) {
        if call.status == 200
            && let Some(outgoing) = outgoing_of(&call)
        {
            self.shown.entry(outgoing.chat_id).or_default().push(outgoing);
        }
        self.calls.push(call);
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn user(id: u64) -> Value {
    json!({ "id": id, "is_bot": false, "first_name": "Supporter", "language_code": "en" })
}

fn bot_user() -> Value {
    json!({ "id": BOT_ID, "is_bot": true, "first_name": "Petition", "username": BOT_USERNAME })
}

fn private_chat(user_id: u64) -> Value {
    json!({ "id": user_id, "type": "private", "first_name": "Supporter" })
}

fn chat_for(chat_id: i64) -> Value {
    if chat_id < 0 {
        json!({ "id": chat_id, "type": "supergroup", "title": "Campaigners" })
    } else {
        json!({ "id": chat_id, "type": "private", "first_name": "Supporter" })
    }
}

/// The chat a call's parameters name.
fn chat_of(body: &Value) -> Option<i64> {
    body["chat_id"]
        .as_i64()
        .or_else(|| body["chat_id"].as_str()?.parse().ok())
}

fn outgoing_of(call: &Call) -> Option<Outgoing> {
    let body = &call.body;
    let chat_id = chat_of(body)?;
    let (text, document) = match call.method.as_str() {
        "sendMessage" | "editMessageText" => (body["text"].as_str()?.to_owned(), None),
        "sendDocument" => (
            body["caption"].as_str().unwrap_or("").to_owned(),
            Some((
                body["document_name"].as_str().unwrap_or("").to_owned(),
                body["document_bytes"]
                    .as_array()
                    .map(|b| b.iter().map(|x| x.as_u64().unwrap() as u8).collect())
                    .unwrap_or_default(),
            )),
        ),
        _ => return None,
    };
    let markup = match &body["reply_markup"] {
        Value::String(s) => serde_json::from_str(s).unwrap_or(Value::Null),
        other => other.clone(),
    };
    let mut buttons = Vec::new();
    let mut links = Vec::new();
    let mut web_apps = Vec::new();
    for row in markup["inline_keyboard"].as_array().into_iter().flatten() {
        for button in row.as_array().into_iter().flatten() {
            let label = button["text"].as_str().unwrap_or("").to_owned();
            if let Some(data) = button["callback_data"].as_str() {
                buttons.push((label, data.to_owned()));
            } else if let Some(url) = button["url"].as_str() {
                links.push((label, url.to_owned()));
            } else if let Some(url) = button["web_app"]["url"].as_str() {
                web_apps.push((label, url.to_owned()));
            }
        }
    }
    Some(Outgoing {
        method: call.method.clone(),
        chat_id,
        message_id: call.message_id.or_else(|| body["message_id"].as_i64())?,
        text,
        buttons,
        links,
        web_apps,
        document,
    })
}
