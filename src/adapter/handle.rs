//! A running bot, whatever its platform: how to wait for it and how to stop
//! it within a deadline (see [`crate::shutdown`]).

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use tokio::task::JoinHandle;
use tracing::warn;

use crate::domain::Platform;
use crate::shutdown::{GRACEFUL_STOP, gracefully_or_abort};

/// A bot running in a task of its own, with what it takes to ask it to
/// stop. Each platform's `spawn` returns one.
pub struct BotHandle {
    /// The platform, named in log lines.
    platform: Platform,
    /// What is lost when a stop runs out of time, for the line that says so.
    abandoned: &'static str,
    /// The bot's task.
    task: JoinHandle<()>,
    /// Tells the task to stop; completes once it has been told. Futures do
    /// nothing until polled, so it is made at spawn and run only by `stop`.
    ask: Pin<Box<dyn Future<Output = ()> + Send>>,
    /// Whether the task has ended and been waited for: a finished task's
    /// handle must not be awaited again, and there is nothing left to stop.
    ended: bool,
}

impl BotHandle {
    /// The handle of a bot on `platform` running as `task`. `ask` tells the
    /// task to stop and completes once it has been told (not once the task
    /// has stopped); `abandoned` says what is lost if the task does not stop
    /// in time and is aborted, as in "its connection was abandoned".
    pub fn new(
        platform: Platform,
        task: JoinHandle<()>,
        ask: impl Future<Output = ()> + Send + 'static,
        abandoned: &'static str,
    ) -> Self {
        Self {
            platform,
            abandoned,
            task,
            ask: Box::pin(ask),
            ended: false,
        }
    }

    /// The bot's platform.
    pub fn platform(&self) -> Platform {
        self.platform
    }

    /// Waits until the bot stops by itself (it should not).
    pub async fn stopped(&mut self) {
        std::future::poll_fn(|cx| self.poll_ended(cx)).await;
    }

    /// Waits until the first of `bots` stops by itself, and returns its
    /// platform; never, when there are none.
    pub async fn first_to_stop(bots: &mut [BotHandle]) -> Platform {
        std::future::poll_fn(|cx| {
            for bot in bots.iter_mut() {
                if bot.poll_ended(cx).is_ready() {
                    return Poll::Ready(bot.platform);
                }
            }
            Poll::Pending
        })
        .await
    }

    fn poll_ended(&mut self, cx: &mut std::task::Context<'_>) -> Poll<()> {
        if self.ended {
            return Poll::Ready(());
        }
        let ended = Pin::new(&mut self.task).poll(cx).map(drop);
        self.ended = ended.is_ready();
        ended
    }

    /// Asks the bot to stop and waits for it for at most [`GRACEFUL_STOP`];
    /// then aborts its task, so a platform that hangs cannot hold the stop.
    pub async fn stop(self) {
        if self.ended {
            return;
        }
        if !gracefully_or_abort(self.task, GRACEFUL_STOP, self.ask).await {
            warn!(deadline = ?GRACEFUL_STOP, "the {} bot did not stop in time; {}", self.platform.name(), self.abandoned);
        }
    }

    /// Stops every bot at once (see [`BotHandle::stop`]), and returns when
    /// all have stopped or been abandoned.
    pub async fn stop_all(bots: Vec<BotHandle>) {
        futures_util::future::join_all(bots.into_iter().map(BotHandle::stop)).await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// A bot whose task runs until told to stop, or ends by itself when
    /// `ends_by_itself` says so.
    fn bot(platform: Platform, ends_by_itself: tokio::sync::oneshot::Receiver<()>) -> BotHandle {
        let (stop, stopping) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            tokio::select! {
                _ = stopping => {}
                _ = ends_by_itself => {}
            }
        });
        BotHandle::new(
            platform,
            task,
            async move {
                let _ = stop.send(());
            },
            "nothing was in hand",
        )
    }

    #[tokio::test]
    async fn a_bot_asked_to_stop_stops() {
        let (_keep_running, running) = tokio::sync::oneshot::channel();
        let started = std::time::Instant::now();
        bot(Platform::Telegram, running).stop().await;
        assert!(started.elapsed() < GRACEFUL_STOP);
    }

    #[tokio::test]
    async fn the_first_bot_to_stop_by_itself_is_named_and_the_others_still_stop() {
        let (_keep_running, running) = tokio::sync::oneshot::channel();
        let (end, ending) = tokio::sync::oneshot::channel();
        let mut bots = vec![bot(Platform::Telegram, running), bot(Platform::Discord, ending)];
        end.send(()).unwrap();
        let stopped = tokio::time::timeout(Duration::from_secs(5), BotHandle::first_to_stop(&mut bots)).await;
        assert_eq!(stopped, Ok(Platform::Discord));
        // The one that ended is not waited for again (its task's handle
        // cannot be awaited twice), and the other is stopped as usual.
        tokio::time::timeout(Duration::from_secs(5), BotHandle::stop_all(bots))
            .await
            .expect("both stop at once");
    }

    #[tokio::test]
    async fn with_no_bots_none_stops_by_itself() {
        let waited = tokio::time::timeout(Duration::from_millis(20), BotHandle::first_to_stop(&mut [])).await;
        assert!(waited.is_err());
    }
}
