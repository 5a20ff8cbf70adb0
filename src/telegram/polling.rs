//! Long polling that tells [`Health`] how each `getUpdates` went.
//!
//! teloxide's own `Polling` reports a failed `getUpdates` to the error
//! handler but keeps a successful one to itself, and most succeed with no
//! update at all; a bot that recovered from an outage would stay "not
//! connected" until someone wrote to it. This listener does what
//! `polling_default` does (removes a webhook left behind, asks with a
//! ten-second long poll, backs off exponentially after a failure or as long
//! as a 429 says, and on stopping confirms the updates handed out so they
//! are not delivered again) and records each answer.

use std::collections::VecDeque;
use std::pin::Pin;
use std::time::Duration;

use futures_util::Stream;
use teloxide::RequestError;
use teloxide::errors::AsResponseParameters;
use teloxide::prelude::*;
use teloxide::requests::HasPayload;
use teloxide::stop::{StopFlag, StopToken, mk_stop_token};
use teloxide::types::AllowedUpdate;
use teloxide::update_listeners::{StatefulListener, UpdateListener};
use tracing::warn;

use super::{SanitisedError, TelegramApi};
use crate::health::{Bot, Health};
use crate::metrics;

/// How long Telegram may hold a `getUpdates` open waiting for an update.
const LONG_POLL_SECS: u32 = 10;
/// The longest wait after failures in a row (as teloxide's strategy).
const LONGEST_BACKOFF_DOUBLINGS: u32 = 6;

/// The listener's state between polls.
struct Polling<R> {
    bot: R,
    health: Health,
    /// The id after the last update handed out: asking from it confirms
    /// everything before.
    offset: i32,
    /// Updates received and not yet handed out.
    buffer: VecDeque<Update>,
    /// The kinds of update the dispatcher handles, sent with the first
    /// request (Telegram remembers them).
    allowed: Option<Vec<AllowedUpdate>>,
    token: StopToken,
    /// Completes once the dispatcher asks the listener to stop.
    stop: Pin<Box<StopFlag>>,
    /// Failures in a row, for the backoff.
    failures: u32,
    /// How long to wait before the next request, after a failure.
    wait: Option<Duration>,
    /// Whether the last request failed.
    recovering: bool,
    /// Set once the stop has been confirmed to Telegram: nothing more follows.
    done: bool,
}

/// A long-polling listener for the dispatcher, recording in `health`
/// whether Telegram answered its last `getUpdates`.
pub(super) async fn polling<R: TelegramApi>(bot: R, health: Health) -> impl UpdateListener<Err = RequestError> + Send {
    delete_webhook_if_set(&bot).await;
    let (token, stop) = mk_stop_token();
    let state = Polling {
        bot,
        health,
        offset: 0,
        buffer: VecDeque::new(),
        allowed: None,
        token,
        stop: Box::pin(stop),
        failures: 0,
        wait: None,
        recovering: false,
        done: false,
    };
    StatefulListener::new_with_hints(state, updates::<R>, stop_token::<R>, Some(hint::<R>))
}

fn stop_token<R>(state: &mut Polling<R>) -> StopToken {
    state.token.clone()
}

fn hint<R>(state: &mut Polling<R>, allowed: &mut dyn Iterator<Item = AllowedUpdate>) {
    state.allowed = Some(allowed.collect());
}

/// A webhook, if one is set, keeps `getUpdates` from working.
async fn delete_webhook_if_set<R: TelegramApi>(bot: &R) {
    match bot.get_webhook_info().send().await {
        Ok(info) if info.url.is_some() => {
            if let Err(error) = bot.delete_webhook().send().await {
                warn!(error = %SanitisedError::from(error), "could not delete the Telegram webhook");
            }
        }
        Ok(_) => {}
        Err(error) => warn!(error = %SanitisedError::from(error), "could not ask Telegram about its webhook"),
    }
}

fn updates<R: TelegramApi>(state: &mut Polling<R>) -> impl Stream<Item = Result<Update, RequestError>> + Send + '_ {
    futures_util::stream::unfold(state, |state| async move {
        let item = next(state).await?;
        Some((item, state))
    })
}

/// The next update, or the error of a failed request; `None` once stopped.
async fn next<R: TelegramApi>(state: &mut Polling<R>) -> Option<Result<Update, RequestError>> {
    loop {
        if let Some(update) = state.buffer.pop_front() {
            return Some(Ok(update));
        }
        if state.done {
            return None;
        }
        if state.stop.is_stopped() {
            return confirm(state).await;
        }
        if let Some(wait) = state.wait.take() {
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = &mut state.stop => continue,
            }
        }
        // After a failure the first poll waits for nothing, so that a
        // recovery is known at once rather than at the end of a long poll.
        let timeout = if state.recovering { 0 } else { LONG_POLL_SECS };
        let (offset, allowed) = (state.offset, state.allowed.take());
        let request = state
            .bot
            .get_updates()
            .with_payload_mut(|payload| {
                payload.offset = Some(offset);
                payload.timeout = Some(timeout);
                payload.allowed_updates = allowed;
            })
            .send();
        // A stop drops the request in flight: what it would bring is
        // delivered again to whoever polls next.
        let answer = tokio::select! {
            answer = request => answer,
            () = &mut state.stop => continue,
        };
        match answer {
            Ok(updates) => {
                state.health.set_connected(Bot::Telegram, true);
                state.failures = 0;
                state.recovering = false;
                if let Some(last) = updates.last() {
                    state.offset = last.id.as_offset();
                }
                state.buffer.extend(updates);
            }
            Err(error) => {
                state.health.set_connected(Bot::Telegram, false);
                state.recovering = true;
                metrics::error(metrics::ErrorKind::Receive(crate::domain::Platform::Telegram));
                state.wait = Some(match error.retry_after() {
                    Some(after) => {
                        state.failures = 0;
                        after.duration()
                    }
                    None => {
                        let wait = Duration::from_secs(1 << state.failures.min(LONGEST_BACKOFF_DOUBLINGS));
                        state.failures = state.failures.saturating_add(1);
                        wait
                    }
                });
                return Some(Err(error));
            }
        }
    }
}

/// Confirms the updates handed out (a request from the offset after them
/// that waits for nothing), so Telegram does not deliver them again.
async fn confirm<R: TelegramApi>(state: &mut Polling<R>) -> Option<Result<Update, RequestError>> {
    state.done = true;
    let offset = state.offset;
    let confirmed = state
        .bot
        .get_updates()
        .with_payload_mut(|payload| {
            payload.offset = Some(offset);
            payload.limit = Some(1);
            payload.timeout = Some(0);
        })
        .send()
        .await;
    confirmed.err().map(Err)
}
