//! Erased data gone from the disk too, soon after it is erased.
//!
//! A withdrawal, a cancelled conversation or an abandoned one deletes rows;
//! the database can still hold earlier copies of them for a while (SQLite in
//! its write-ahead log, PostgreSQL as dead tuples until a vacuum). An
//! [`Eraser`] runs the storage's way of clearing them shortly after each
//! erasure, sharing one clearing among erasures that come together.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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
    /// Set by an erasure, cleared when a clearing that began after it is
    /// done: what a process that exits sooner must clear itself.
    owed: Arc<AtomicBool>,
}

impl Eraser {
    /// Starts the task that runs `clear` after erasures.
    pub(crate) fn start(clear: Clear) -> Self {
        let due = Arc::new(Notify::new());
        let owed = Arc::new(AtomicBool::new(false));
        let (waiting, owing) = (due.clone(), owed.clone());
        tokio::spawn(async move {
            loop {
                waiting.notified().await;
                tokio::time::sleep(DELAY).await;
                // Erasures from here on are owed until the next clearing.
                owing.store(false, Ordering::SeqCst);
                let Some(clearing) = clear() else {
                    return;
                };
                if let Err(error) = clearing.await {
                    tracing::warn!(%error, "could not clear erased data from the disk; trying again shortly");
                    owing.store(true, Ordering::SeqCst);
                    waiting.notify_one();
                }
                tokio::time::sleep(GAP).await;
            }
        });
        Self { due, owed }
    }

    /// Something was erased: clear it from the disk soon.
    pub(crate) fn erased(&self) {
        self.owed.store(true, Ordering::SeqCst);
        self.due.notify_one();
    }

    /// Whether something erased has not been cleared yet: a process about
    /// to exit clears it itself (a command exits long before the task's
    /// turn would come).
    pub(crate) fn owed(&self) -> bool {
        self.owed.load(Ordering::SeqCst)
    }
}
