//! A fake Telegram Bot API server on loopback, written from the Bot API
//! documentation: enough of `getMe`, `getUpdates` (with `offset`, `limit` and
//! `timeout`), `sendMessage`, `editMessageText`, `editMessageReplyMarkup`,
//! `answerCallbackQuery`, `sendDocument`, `setMyCommands`, `setWebhook`,
//! `deleteWebhook` and `getWebhookInfo` for the bot to run against it over
//! real HTTP. It records every call, and can answer a call with a 429, a
//! 500 or a blocked user's 403, slowly, or not at all.
//! Test code: it panics when the bot does not do what a test waits for.

#![allow(clippy::missing_panics_doc)]

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::Notify;

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

    /// Waits for the next message the bot sends (or edits) in a chat that a
    /// test has not read yet, and marks it read.
    pub async fn next_reply(&self, chat_id: i64) -> Outgoing {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let notified = self.shared.call_made.notified();
            {
                let mut inner = self.lock();
                let read = inner.read.get(&chat_id).copied().unwrap_or(0);
                let next = inner.shown.get(&chat_id).and_then(|shown| shown.get(read)).cloned();
                if let Some(next) = next {
                    inner.read.insert(chat_id, read + 1);
                    return next;
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || tokio::time::timeout(left, notified).await.is_err() {
                panic!(
                    "the bot sent nothing more to chat {chat_id}; calls so far: {:#?}",
                    self.calls().iter().map(|c| (&c.method, &c.body)).collect::<Vec<_>>()
                );
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

fn outgoing_of(call: &Call) -> Option<Outgoing> {
    let body = &call.body;
    let chat_id = body["chat_id"]
        .as_i64()
        .or_else(|| body["chat_id"].as_str()?.parse().ok())?;
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
    for row in markup["inline_keyboard"].as_array().into_iter().flatten() {
        for button in row.as_array().into_iter().flatten() {
            let label = button["text"].as_str().unwrap_or("").to_owned();
            if let Some(data) = button["callback_data"].as_str() {
                buttons.push((label, data.to_owned()));
            } else if let Some(url) = button["url"].as_str() {
                links.push((label, url.to_owned()));
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
        document,
    })
}

const METHODS: &[&str] = &[
    "getMe",
    "getUpdates",
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "answerCallbackQuery",
    "sendDocument",
    "setMyCommands",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
];

fn canonical(method: &str) -> String {
    METHODS
        .iter()
        .find(|known| known.eq_ignore_ascii_case(method))
        .map_or_else(|| method.to_owned(), |known| (*known).to_owned())
}

fn ok(result: Value) -> Response {
    (StatusCode::OK, axum::Json(json!({ "ok": true, "result": result }))).into_response()
}

fn error(status: StatusCode, description: &str, parameters: Option<Value>) -> Response {
    let mut body = json!({ "ok": false, "error_code": status.as_u16(), "description": description });
    if let Some(parameters) = parameters {
        body["parameters"] = parameters;
    }
    (status, axum::Json(body)).into_response()
}

async fn read_body(request: Request) -> Value {
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if is_multipart {
        let mut form = Multipart::from_request(request, &()).await.unwrap();
        let mut body = serde_json::Map::new();
        while let Some(field) = form.next_field().await.unwrap() {
            let name = field.name().unwrap_or("").to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let bytes = field.bytes().await.unwrap();
            match file_name {
                Some(file_name) => {
                    body.insert(format!("{name}_name"), json!(file_name));
                    body.insert(format!("{name}_bytes"), json!(bytes.to_vec()));
                }
                None => {
                    let text = String::from_utf8_lossy(&bytes).into_owned();
                    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
                    body.insert(name, value);
                }
            }
        }
        // A field may refer to a file part by name: `attach://<part>`.
        let references: Vec<(String, String)> = body
            .iter()
            .filter_map(|(field, value)| Some((field.clone(), value.as_str()?.strip_prefix("attach://")?.to_owned())))
            .collect();
        for (field, part) in references {
            if let (Some(name), Some(bytes)) = (
                body.remove(&format!("{part}_name")),
                body.remove(&format!("{part}_bytes")),
            ) {
                body.insert(format!("{field}_name"), name);
                body.insert(format!("{field}_bytes"), bytes);
            }
        }
        Value::Object(body)
    } else {
        let bytes = Bytes::from_request(request, &()).await.unwrap();
        if bytes.is_empty() {
            json!({})
        } else {
            serde_json::from_slice(&bytes).unwrap_or(json!({}))
        }
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    Path((bot, method)): Path<(String, String)>,
    request: Request,
) -> Response {
    if bot != format!("bot{TOKEN}") {
        return error(StatusCode::UNAUTHORIZED, "Unauthorized", None);
    }
    // Telegram's method names are case-insensitive; record them as documented.
    let method = canonical(&method);
    let body = read_body(request).await;
    if shared.inner.lock().unwrap().stalled.contains(&method) {
        return std::future::pending().await;
    }
    if method == "getUpdates" {
        return get_updates(&shared, body).await;
    }
    let delay = shared.inner.lock().unwrap().send_delay;
    if method == "sendMessage" && !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let (response, call) = {
        let mut inner = shared.inner.lock().unwrap();
        let rate_limited = inner.failures.get_mut(&method).and_then(VecDeque::pop_front);
        let mut call = Call {
            method: method.clone(),
            body: body.clone(),
            status: 200,
            at: Instant::now(),
            message_id: None,
        };
        let chat_id = body["chat_id"]
            .as_i64()
            .or_else(|| body["chat_id"].as_str().and_then(|s| s.parse().ok()));
        let server_error = inner
            .server_errors
            .get_mut(&method)
            .filter(|left| **left > 0)
            .map(|left| *left -= 1);
        let blocked = method == "sendMessage" && chat_id.is_some_and(|chat| inner.blocked.contains(&chat));
        let response = if server_error.is_some() {
            call.status = 500;
            error(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error", None)
        } else if blocked {
            call.status = 403;
            error(StatusCode::FORBIDDEN, "Forbidden: bot was blocked by the user", None)
        } else if let Some(retry_after) = rate_limited {
            call.status = 429;
            error(
                StatusCode::TOO_MANY_REQUESTS,
                &format!("Too Many Requests: retry after {retry_after}"),
                Some(json!({ "retry_after": retry_after })),
            )
        } else {
            answer(&mut inner, &method, &body, &mut call)
        };
        (response, call)
    };
    shared.inner.lock().unwrap().record(call);
    shared.call_made.notify_waiters();
    response
}

fn answer(inner: &mut Inner, method: &str, body: &Value, call: &mut Call) -> Response {
    let chat_id = body["chat_id"]
        .as_i64()
        .or_else(|| body["chat_id"].as_str().and_then(|s| s.parse().ok()));
    match method {
        "getMe" => ok(json!({
            "id": BOT_ID, "is_bot": true, "first_name": "Petition", "username": BOT_USERNAME,
            "can_join_groups": true, "can_read_all_group_messages": false,
            "supports_inline_queries": false, "can_connect_to_business": false,
            "has_main_web_app": false
        })),
        "sendMessage" | "sendDocument" => {
            let Some(chat_id) = chat_id else {
                return error(StatusCode::BAD_REQUEST, "Bad Request: chat_id is empty", None);
            };
            inner.next_message_id += 1;
            let message_id = inner.next_message_id;
            call.message_id = Some(message_id);
            let mut message = json!({
                "message_id": message_id, "date": now(), "chat": chat_for(chat_id), "from": bot_user(),
            });
            if method == "sendMessage" {
                let text = body["text"].as_str().unwrap_or("");
                if text.is_empty() || text.chars().count() > 4096 {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "Bad Request: message text is empty or too long",
                        None,
                    );
                }
                message["text"] = json!(text);
            } else {
                message["document"] = json!({
                    "file_id": "document", "file_unique_id": "document",
                    "file_name": body["document_name"], "mime_type": "text/csv"
                });
            }
            ok(message)
        }
        "editMessageText" | "editMessageReplyMarkup" => {
            let (Some(chat_id), Some(message_id)) = (chat_id, body["message_id"].as_i64()) else {
                return error(StatusCode::BAD_REQUEST, "Bad Request: message to edit not found", None);
            };
            call.message_id = Some(message_id);
            if inner.deleted.contains(&(chat_id, message_id)) {
                return error(StatusCode::BAD_REQUEST, "Bad Request: message to edit not found", None);
            }
            ok(json!({
                "message_id": message_id, "date": now(), "edit_date": now(), "chat": chat_for(chat_id),
                "from": bot_user(), "text": body["text"].as_str().unwrap_or("edited"),
            }))
        }
        "setMyCommands" => {
            // 1-32 characters of lower-case letters, digits and underscores.
            let valid = body["commands"].as_array().is_some_and(|commands| {
                commands.iter().all(|c| {
                    let name = c["command"].as_str().unwrap_or("");
                    (1..=32).contains(&name.len())
                        && name
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                        && c["description"]
                            .as_str()
                            .is_some_and(|d| (1..=256).contains(&d.chars().count()))
                })
            });
            if valid {
                ok(json!(true))
            } else {
                error(StatusCode::BAD_REQUEST, "Bad Request: BOT_COMMAND_INVALID", None)
            }
        }
        "answerCallbackQuery" | "deleteWebhook" => {
            if method == "deleteWebhook" {
                inner.webhook_url.clear();
            }
            ok(json!(true))
        }
        "setWebhook" => {
            inner.webhook_url = body["url"].as_str().unwrap_or("").to_owned();
            ok(json!(true))
        }
        "getWebhookInfo" => ok(json!({
            "url": inner.webhook_url, "has_custom_certificate": false, "pending_update_count": 0
        })),
        _ => error(StatusCode::NOT_FOUND, "Not Found: method not found", None),
    }
}

async fn get_updates(shared: &Shared, body: Value) -> Response {
    let offset = body["offset"].as_i64().unwrap_or(0);
    let limit = body["limit"].as_u64().unwrap_or(100).clamp(1, 100) as usize;
    let timeout = Duration::from_secs(body["timeout"].as_u64().unwrap_or(0));
    let deadline = Instant::now() + timeout;
    loop {
        let notified = shared.updates_arrived.notified();
        {
            let mut inner = shared.inner.lock().unwrap();
            // An offset confirms every update before it: they are forgotten.
            inner.pending.retain(|(id, _)| i64::from(*id) >= offset);
            let batch: Vec<Value> = inner.pending.iter().take(limit).map(|(_, u)| u.clone()).collect();
            if !batch.is_empty() || Instant::now() >= deadline {
                inner.calls.push(Call {
                    method: "getUpdates".into(),
                    body: body.clone(),
                    status: 200,
                    at: Instant::now(),
                    message_id: None,
                });
                drop(inner);
                shared.call_made.notify_waiters();
                return ok(Value::Array(batch));
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let _ = tokio::time::timeout(left, notified).await;
    }
}
