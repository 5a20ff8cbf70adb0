//! Bounded stops. A bot's graceful stop talks to its platform (closing a
//! gateway session, confirming updates, deleting a webhook), and a platform
//! that is unreachable or hangs would hold it for as long as its client
//! cares to wait, which for serenity's is forever. So every stop gets a
//! deadline, after which the bot's task is aborted.
//!
//! Aborting loses nothing that was promised: the engine acknowledges a
//! write only once it is committed, so an aborted task can at most drop a
//! reply to a message whose effect is already stored, or drop a message
//! whose effect was never stored (and which the platform delivers again).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::task::{JoinError, JoinHandle};

/// How long one bot's graceful stop may take before its task is aborted.
pub const GRACEFUL_STOP: Duration = Duration::from_secs(5);

/// Asks a task to stop (`ask`, which returns once the task has been told)
/// and waits up to `deadline` for it to finish; then aborts it. Returns
/// whether it finished in time.
pub async fn gracefully_or_abort<T>(
    mut task: JoinHandle<T>,
    deadline: Duration,
    ask: impl Future<Output = ()>,
) -> bool {
    let graceful = async {
        ask.await;
        let _ = (&mut task).await;
    };
    if tokio::time::timeout(deadline, graceful).await.is_ok() {
        return true;
    }
    task.abort();
    // An aborted task goes at its next await point; one that never reaches
    // one cannot be helped here, so this wait is bounded too.
    let _ = tokio::time::timeout(Duration::from_secs(1), task).await;
    false
}

/// A task that is aborted when its handle is dropped, so that aborting the
/// task that owns it takes it along (a plain [`JoinHandle`] would leave it
/// running, detached).
#[derive(Debug)]
pub struct AbortOnDrop<T>(pub JoinHandle<T>);

impl<T> AbortOnDrop<T> {
    /// Whether the task has finished.
    pub fn is_finished(&self) -> bool {
        self.0.is_finished()
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stop_that_hangs_is_cut_short_and_its_task_aborted() {
        let task = tokio::spawn(std::future::pending::<()>());
        let running = task.abort_handle();
        let stopped = gracefully_or_abort(task, Duration::from_millis(50), async {}).await;
        assert!(!stopped);
        assert!(running.is_finished());
    }

    #[tokio::test]
    async fn a_task_that_stops_when_asked_is_not_aborted() {
        let (stop, stopping) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = stopping.await;
        });
        assert!(
            gracefully_or_abort(task, Duration::from_secs(5), async move {
                let _ = stop.send(());
            })
            .await
        );
    }

    #[tokio::test]
    async fn a_task_owned_by_an_aborted_task_is_aborted_with_it() {
        let (started, inner_started) = tokio::sync::oneshot::channel::<()>();
        let (inner_alive, inner_gone) = tokio::sync::oneshot::channel::<()>();
        let outer = tokio::spawn(async move {
            let _inner = AbortOnDrop(tokio::spawn(async move {
                let _alive = inner_alive;
                let _ = started.send(());
                std::future::pending::<()>().await;
            }));
            std::future::pending::<()>().await;
        });
        inner_started.await.expect("the inner task runs");
        outer.abort();
        let gone = tokio::time::timeout(Duration::from_secs(5), inner_gone).await;
        assert!(matches!(gone, Ok(Err(_))), "the inner task was dropped");
    }
}
