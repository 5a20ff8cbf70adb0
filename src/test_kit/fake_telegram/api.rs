//! The fake's answers, method by method, as the Bot API documents them:
//! the HTTP handler, the failures a test asked for, and long polling.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{BOT_ID, BOT_USERNAME, Call, Inner, Shared, TOKEN, bot_user, chat_for, now};
use std::sync::Arc;

const METHODS: &[&str] = &[
    "getMe",
    "getUpdates",
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "answerCallbackQuery",
    "sendDocument",
    "setMyCommands",
    "setChatMenuButton",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
];

pub(super) fn canonical(method: &str) -> String {
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

pub(super) async fn handle(
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
        // Refused before it waits, as Telegram refuses a poll it limits.
        let rate_limited = shared
            .inner
            .lock()
            .unwrap()
            .failures
            .get_mut(&method)
            .and_then(VecDeque::pop_front);
        if let Some(retry_after) = rate_limited {
            return refuse_poll(&shared, body, retry_after);
        }
        return get_updates(&shared, body).await;
    }
    let arrived = Instant::now();
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
            at: arrived,
            message_id: None,
            over_the_limit: false,
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
            too_many_requests(retry_after)
        } else if let Err(wait) = inner
            .enforced
            .admit(&method, chat_id, body["allow_paid_broadcast"] == true, arrived)
        {
            // Telegram says how many whole seconds to wait.
            let retry_after = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            call.status = 429;
            call.over_the_limit = true;
            too_many_requests(retry_after.max(1))
        } else {
            answer(&mut inner, &method, &body, &mut call)
        };
        (response, call)
    };
    shared.inner.lock().unwrap().record(call);
    shared.call_made.notify_waiters();
    response
}

fn too_many_requests(retry_after: u64) -> Response {
    error(
        StatusCode::TOO_MANY_REQUESTS,
        &format!("Too Many Requests: retry after {retry_after}"),
        Some(json!({ "retry_after": retry_after })),
    )
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
        // As Telegram: a web app's address must be HTTPS (the fake also
        // takes loopback, where the tests serve it).
        "setChatMenuButton" => {
            let button = match &body["menu_button"] {
                Value::String(s) => serde_json::from_str(s).unwrap_or(Value::Null),
                other => other.clone(),
            };
            let url = button["web_app"]["url"].as_str().unwrap_or("");
            let valid = button["type"] == "web_app"
                && button["text"].as_str().is_some_and(|t| !t.is_empty())
                && (url.starts_with("https://") || url.starts_with("http://127.0.0.1"));
            if button["type"] == "default" || valid {
                ok(json!(true))
            } else {
                error(StatusCode::BAD_REQUEST, "Bad Request: BUTTON_TYPE_INVALID", None)
            }
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

/// A `getUpdates` answered with a 429 asking to wait `retry_after` seconds.
fn refuse_poll(shared: &Shared, body: Value, retry_after: u64) -> Response {
    shared.inner.lock().unwrap().calls.push(Call {
        method: "getUpdates".into(),
        body,
        status: 429,
        at: Instant::now(),
        message_id: None,
        over_the_limit: false,
    });
    shared.call_made.notify_waiters();
    too_many_requests(retry_after)
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
                    over_the_limit: false,
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
