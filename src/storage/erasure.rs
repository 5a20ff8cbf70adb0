//! Erased data gone from the disk too, soon after it is erased.
//!
//! A withdrawal, a cancelled conversation or an abandoned one deletes rows;
//! the database can still hold earlier copies of them for a while (SQLite in
//! its write-ahead log, PostgreSQL as dead tuples until a vacuum). An
//! [`Eraser`] runs the storage's way of clearing them shortly after each
//! erasure, sharing one clearing among erasures that come together.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::sync::Notify;

use super::StorageResult;

/// How long after an erasure the clearing runs, so erasures that come
/// together share it.
const DELAY: Duration = Duration::from_millis(500);

/// Least time between two clearings: each holds up other work a little.
const GAP: Duration = Duration::from_secs(10);

/// How the storage clears erased rows; answers `None` once the storage is
/// closed, which ends the eraser.
pub(crate) type Clear = Box<dyn Fn() -> Option<BoxFuture<'static, StorageResult<()>>> + Send + Sync>;

/// Clears erased data soon after each erasure; see the module's comment.
#[derive(Debug, Clone)]
pub(crate) struct Eraser {
    due: Arc<Notify>,
}

impl Eraser {
    /// Starts the task that runs `clear` after erasures.
    pub(crate) fn start(clear: Clear) -> Self {
        let due = Arc::new(Notify::new());
        let waiting = due.clone();
        tokio::spawn(async move {
            loop {
                waiting.notified().await;
                tokio::time::sleep(DELAY).await;
                let Some(clearing) = clear() else {
                    return;
                };
                if let Err(error) = clearing.await {
                    tracing::warn!(%error, "could not clear erased data from the disk; trying again shortly");
                    waiting.notify_one();
                }
                tokio::time::sleep(GAP).await;
            }
        });
        Self { due }
    }

    /// Something was erased: clear it from the disk soon.
    pub(crate) fn erased(&self) {
        self.due.notify_one();
    }
}
