//! The fake's REST API: each route Discord documents that the bot uses,
//! with the failures a test asked for (429s, refused direct messages,
//! deleted messages).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::limits;
use super::*;

async fn read_body(request: Request) -> Value {
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if is_multipart {
        let mut form = Multipart::from_request(request, &()).await.unwrap();
        let mut body = json!({});
        while let Some(field) = form.next_field().await.unwrap() {
            let name = field.name().unwrap_or("").to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let bytes = field.bytes().await.unwrap();
            if name == "payload_json" {
                let payload: Value = serde_json::from_slice(&bytes).unwrap_or(json!({}));
                for (k, v) in payload.as_object().cloned().unwrap_or_default() {
                    body[k] = v;
                }
            } else if let Some(file_name) = file_name {
                body["file_name"] = json!(file_name);
                body["file_bytes"] = json!(bytes.to_vec());
            }
        }
        body
    } else {
        let bytes = Bytes::from_request(request, &()).await.unwrap_or_default();
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    }
}

fn rate_limited(retry_after: f64) -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [("retry-after", format!("{retry_after}"))],
        axum::Json(json!({ "message": "You are being rate limited.", "retry_after": retry_after, "global": false })),
    )
        .into_response()
}

/// A 429 for going over a limit the fake enforces, as Discord words it.
fn over_the_limit(refused: limits::Refused) -> Response {
    let seconds = refused.retry_after.as_secs_f64().max(0.001);
    let scope = if refused.global { "global" } else { "user" };
    (
        StatusCode::TOO_MANY_REQUESTS,
        [
            ("retry-after", format!("{seconds:.3}")),
            ("x-ratelimit-global", refused.global.to_string()),
            ("x-ratelimit-scope", scope.to_owned()),
        ],
        axum::Json(
            json!({ "message": "You are being rate limited.", "retry_after": seconds, "global": refused.global }),
        ),
    )
        .into_response()
}

/// The `X-RateLimit-*` headers of a route's bucket, on a success.
fn with_bucket_headers(mut response: Response, bucket: Option<limits::BucketState>) -> Response {
    if let Some(bucket) = bucket.filter(|_| response.status().is_success()) {
        let headers = response.headers_mut();
        let mut set = |name: &'static str, value: String| {
            if let Ok(value) = value.parse() {
                headers.insert(name, value);
            }
        };
        set("x-ratelimit-limit", limits::ROUTE_LIMIT.to_string());
        set("x-ratelimit-remaining", bucket.remaining.to_string());
        set(
            "x-ratelimit-reset-after",
            format!("{:.3}", bucket.reset_after.as_secs_f64()),
        );
        set("x-ratelimit-bucket", format!("{:016x}", fxhash(&bucket.key)));
    }
    response
}

/// A bucket's opaque id, as Discord gives one.
fn fxhash(key: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish()
}

fn message_json(shared: &Shared, channel: &str, body: &Value) -> Value {
    let id = {
        let mut inner = shared.inner.lock().unwrap();
        inner.next_id += 1;
        inner.next_id
    };
    json!({
        "id": snowflake(id), "channel_id": channel, "author": bot_json(),
        "content": body["content"].as_str().unwrap_or(""), "timestamp": timestamp(),
        "edited_timestamp": null, "tts": false, "mention_everyone": false, "mentions": [],
        "mention_roles": [], "attachments": [], "embeds": body["embeds"].as_array().cloned().unwrap_or_default(),
        "pinned": false, "type": 0, "flags": body["flags"].as_u64().unwrap_or(0),
        "components": body["components"].as_array().cloned().unwrap_or_default(),
    })
}

pub(super) async fn handle_rest(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let headers = request.headers().clone();
    let authorised = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bot {TOKEN}"));
    let body = read_body(request).await;
    let segments: Vec<String> = path
        .trim_start_matches("/api/v10/")
        .split('/')
        .map(str::to_owned)
        .collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    // Interaction routes are authorised by their token; every other route
    // needs the bot token.
    let token_route = matches!(segments.as_slice(), ["interactions", ..] | ["webhooks", ..]);
    let kind = match segments.as_slice() {
        ["interactions", ..] => "callback",
        ["webhooks", ..] => "follow-up",
        ["channels", _, "messages"] => "dm",
        _ => "other",
    };
    let rate_limit = shared
        .inner
        .lock()
        .unwrap()
        .rate_limits
        .get_mut(kind)
        .and_then(|q| (!q.is_empty()).then(|| q.remove(0)));
    let arrived = Instant::now();
    let (bucket, counted) = limits::route_of(&segments);
    let response = if !token_route && !authorised {
        (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({ "message": "401: Unauthorized", "code": 0 })),
        )
            .into_response()
    } else if let Some(retry_after) = rate_limit {
        rate_limited(retry_after)
    } else {
        let admitted = shared
            .inner
            .lock()
            .unwrap()
            .enforced
            .admit(bucket.as_deref(), counted, arrived);
        match admitted {
            Ok(bucket) => with_bucket_headers(route(&shared, &method, &segments, &body), bucket),
            Err(refused) => {
                shared.inner.lock().unwrap().over_the_limit += 1;
                over_the_limit(refused)
            }
        }
    };
    let status = response.status().as_u16();
    shared.inner.lock().unwrap().calls.push(Call {
        method: method.to_string(),
        path,
        headers,
        body,
        status,
        at: arrived,
    });
    shared.changed.notify_waiters();
    response
}

fn route(shared: &Shared, method: &Method, segments: &[&str], body: &Value) -> Response {
    let ok = |value: Value| (StatusCode::OK, axum::Json(value)).into_response();
    match (method.as_str(), segments) {
        ("GET", ["gateway"]) => ok(json!({ "url": shared.ws_url })),
        ("GET", ["gateway", "bot"]) => ok(json!({
            "url": shared.ws_url, "shards": 1,
            "session_start_limit": { "total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1 }
        })),
        ("GET", ["users", "@me"]) => ok(bot_json()),
        ("PUT", ["applications", _, "commands"]) | ("PUT", ["applications", _, "guilds", _, "commands"]) => {
            let guild = segments.get(3).copied();
            let commands: Vec<Value> = body
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .enumerate()
                .map(|(i, mut command)| {
                    command["id"] = json!(snowflake(900 + i as u64));
                    command["application_id"] = json!(snowflake(APPLICATION_ID));
                    command["version"] = json!(snowflake(1));
                    command["type"] = json!(1);
                    if let Some(guild) = guild {
                        command["guild_id"] = json!(guild);
                    }
                    command
                })
                .collect();
            ok(Value::Array(commands))
        }
        ("POST", ["interactions", _, _, "callback"]) => StatusCode::NO_CONTENT.into_response(),
        ("POST", ["webhooks", _, _]) => ok(message_json(shared, &snowflake(CHANNEL_ID), body)),
        ("PATCH", ["webhooks", _, _, "messages", "@original"]) => {
            ok(message_json(shared, &snowflake(CHANNEL_ID), body))
        }
        ("POST", ["users", "@me", "channels"]) => {
            let user: u64 = body["recipient_id"].as_str().and_then(|u| u.parse().ok()).unwrap_or(0);
            ok(json!({ "id": snowflake(dm_channel(user)), "type": 1, "recipients": [user_json(user)] }))
        }
        ("PATCH", ["channels", channel, "messages", message]) => {
            if shared.inner.lock().unwrap().deleted.contains(*message) {
                return (
                    StatusCode::NOT_FOUND,
                    axum::Json(json!({ "message": "Unknown Message", "code": 10008 })),
                )
                    .into_response();
            }
            let mut edited = message_json(shared, channel, body);
            edited["id"] = json!(message);
            ok(edited)
        }
        ("POST", ["channels", channel, "messages"]) => {
            let user = channel.parse::<u64>().unwrap_or(0).saturating_sub(1_000_000);
            if shared.inner.lock().unwrap().refuse_dms.contains(&user) {
                return (
                    StatusCode::FORBIDDEN,
                    axum::Json(json!({ "message": "Cannot send messages to this user", "code": 50007 })),
                )
                    .into_response();
            }
            ok(message_json(shared, channel, body))
        }
        _ => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({ "message": "404: Not Found", "code": 0 })),
        )
            .into_response(),
    }
}
