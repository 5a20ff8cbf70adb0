//! Group commit: signatures and conversation-state writes from many
//! supporters are gathered into one transaction, committed with one fsync,
//! and only then acknowledged, each to the supporter who made it.
//!
//! A single SQLite commit with `synchronous=FULL` costs an fsync, a few
//! thousand a second on an ordinary disk; one transaction per message would
//! cap the whole bot there. With a writer that takes whatever has queued up
//! while the previous commit was in flight, the cost of an fsync is shared by
//! everyone waiting, and nothing is acknowledged before it is durable. If a
//! batch fails, every write in it is reported as failed.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};

use super::{NewSignature, SignOutcome, StorageError, StorageResult};
use crate::domain::Identity;

/// Most writes in one transaction. Enough to share an fsync among thousands
/// of supporters; small enough that a batch commits in milliseconds.
pub const MAX_BATCH: usize = 4096;

/// Writes waiting for a place in a batch before callers have to wait too.
const QUEUE_CAPACITY: usize = 65_536;

/// One write waiting for the next group commit.
#[derive(Debug, Clone)]
pub enum Write {
    /// Save (or replace) a supporter's conversation state.
    SaveConversation {
        /// Whose.
        who: Identity,
        /// The engine's JSON.
        state: String,
        /// When.
        at: DateTime<Utc>,
    },
    /// Forget a supporter's conversation.
    DeleteConversation {
        /// Whose.
        who: Identity,
    },
    /// Store a signature, unless its signer already signed.
    Sign(Box<NewSignature>),
}

/// What a write came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// A conversation was saved or deleted.
    Done,
    /// What happened to a signature.
    Signed(SignOutcome),
}

/// A database that can apply a batch of writes in one transaction.
#[async_trait]
pub trait ApplyBatch: Send + 'static {
    /// Applies every write in one transaction and returns their outcomes in
    /// order; an error means nothing in the batch was committed.
    async fn apply(&mut self, writes: &[Write]) -> StorageResult<Vec<Written>>;

    /// Closes the connection properly; the writer is stopping.
    async fn close(self)
    where
        Self: Sized,
    {
    }
}

struct Pending {
    write: Write,
    done: oneshot::Sender<StorageResult<Written>>,
}

/// The queue in front of the writer task.
#[derive(Debug, Clone)]
pub struct GroupCommit {
    queue: mpsc::Sender<Pending>,
    /// Tells the writers to stop after the batch in hand.
    stop: Arc<tokio::sync::watch::Sender<bool>>,
    /// The writer tasks, to wait for them to close their connections.
    writers: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pending")
    }
}

impl GroupCommit {
    /// Starts one writer task over `backend`; `name` (a fixed word such as
    /// `sqlite`) labels its batches in the metrics.
    pub fn start(name: &'static str, backend: impl ApplyBatch) -> Self {
        Self::start_many(name, vec![backend])
    }

    /// Starts a writer task per backend (each with its own connection),
    /// taking turns at the queue: while one commits, the next gathers and
    /// applies its own batch. A database server can commit several
    /// transactions at once; an embedded database wants one writer.
    pub fn start_many<B: ApplyBatch>(name: &'static str, backends: Vec<B>) -> Self {
        crate::metrics::expose_writer(name);
        let (queue, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let receiver = Arc::new(tokio::sync::Mutex::new(receiver));
        let (stop, stopping) = tokio::sync::watch::channel(false);
        let writers = backends
            .into_iter()
            .map(|backend| tokio::spawn(write_batches(name, backend, receiver.clone(), stopping.clone())))
            .collect();
        Self {
            queue,
            stop: Arc::new(stop),
            writers: Arc::new(std::sync::Mutex::new(writers)),
        }
    }

    /// Stops the writers once the batches in hand are committed, and waits
    /// while they close their connections. Writes queued after that fail
    /// with [`StorageError::WriterStopped`].
    pub async fn close(&self) {
        let _ = self.stop.send(true);
        let writers = std::mem::take(&mut *self.writers.lock().expect("nothing panics holding the lock"));
        for writer in writers {
            let _ = writer.await;
        }
    }

    /// Queues a write and waits until it is committed (or its batch failed).
    pub async fn write(&self, write: Write) -> StorageResult<Written> {
        let (done, outcome) = oneshot::channel();
        self.queue
            .send(Pending { write, done })
            .await
            .map_err(|_| StorageError::WriterStopped)?;
        outcome.await.map_err(|_| StorageError::WriterStopped)?
    }
}

async fn write_batches(
    name: &'static str,
    mut backend: impl ApplyBatch,
    queue: Arc<tokio::sync::Mutex<mpsc::Receiver<Pending>>>,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) {
    let mut batch: Vec<Pending> = Vec::with_capacity(MAX_BATCH);
    // Whatever queued up while the last commit was in flight is the next
    // batch: under load batches grow by themselves, and a lone write is
    // never kept waiting for company.
    loop {
        let (received, queued) = tokio::select! {
            biased;
            _ = stopping.wait_for(|stop| *stop) => (0, 0),
            received = async {
                let mut queue = queue.lock().await;
                let received = queue.recv_many(&mut batch, MAX_BATCH).await;
                (received, queue.len())
            } => received,
        };
        if received == 0 {
            backend.close().await;
            return;
        }
        let (writes, waiting): (Vec<Write>, Vec<_>) = batch.drain(..).map(|p| (p.write, p.done)).unzip();
        let started = std::time::Instant::now();
        let applied = backend.apply(&writes).await;
        let elapsed = started.elapsed();
        let signatures = writes.iter().filter(|w| matches!(w, Write::Sign(_))).count();
        tracing::debug!(
            writes = writes.len(),
            signatures,
            elapsed_us = elapsed.as_micros() as u64,
            "batch committed"
        );
        crate::metrics::batch_committed(name, writes.len(), signatures, elapsed, queued);
        match applied {
            Ok(outcomes) if outcomes.len() == waiting.len() => {
                for (done, outcome) in waiting.into_iter().zip(outcomes) {
                    let _ = done.send(Ok(outcome));
                }
            }
            Ok(outcomes) => {
                let error = Arc::new(StorageError::Corrupt(format!(
                    "a batch of {} writes reported {} outcomes",
                    waiting.len(),
                    outcomes.len()
                )));
                fail_all(waiting, &error);
            }
            Err(error) => {
                tracing::error!(%error, writes = waiting.len(), "a batch of writes failed; none of it was committed");
                crate::metrics::error(crate::metrics::ErrorKind::StorageBatch);
                fail_all(waiting, &Arc::new(error));
            }
        }
    }
}

fn fail_all(waiting: Vec<oneshot::Sender<StorageResult<Written>>>, error: &Arc<StorageError>) {
    for done in waiting {
        let _ = done.send(Err(StorageError::BatchFailed(error.clone())));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Records batches; fails those containing a given identity.
    struct Recorder {
        batches: Arc<Mutex<Vec<usize>>>,
        fail_for: Option<String>,
        delay: std::time::Duration,
    }

    #[async_trait]
    impl ApplyBatch for Recorder {
        async fn apply(&mut self, writes: &[Write]) -> StorageResult<Vec<Written>> {
            tokio::time::sleep(self.delay).await;
            self.batches.lock().unwrap().push(writes.len());
            let poisoned = writes.iter().any(
                |w| matches!(w, Write::DeleteConversation { who } if Some(&who.user_id) == self.fail_for.as_ref()),
            );
            if poisoned {
                return Err(StorageError::Corrupt("the disk is on fire".into()));
            }
            Ok(writes.iter().map(|_| Written::Done).collect())
        }
    }

    fn delete(n: usize) -> Write {
        Write::DeleteConversation {
            who: Identity::new(crate::domain::Platform::Console, n.to_string()),
        }
    }

    #[tokio::test]
    async fn concurrent_writes_share_batches() {
        let batches = Arc::new(Mutex::new(Vec::new()));
        let writer = GroupCommit::start(
            "test",
            Recorder {
                batches: batches.clone(),
                fail_for: None,
                delay: std::time::Duration::from_millis(20),
            },
        );
        let tasks: Vec<_> = (0..500)
            .map(|n| {
                let writer = writer.clone();
                tokio::spawn(async move { writer.write(delete(n)).await })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap(), Written::Done);
        }
        let batches = batches.lock().unwrap();
        assert_eq!(batches.iter().sum::<usize>(), 500);
        assert!(batches.len() < 50, "500 writes in {} batches", batches.len());
    }

    #[tokio::test]
    async fn a_failed_batch_fails_every_write_in_it() {
        let batches = Arc::new(Mutex::new(Vec::new()));
        let writer = GroupCommit::start(
            "test",
            Recorder {
                batches: batches.clone(),
                fail_for: Some("7".into()),
                delay: std::time::Duration::from_millis(50),
            },
        );
        // Hold the writer busy so the next writes land in one batch together.
        let first = tokio::spawn({
            let writer = writer.clone();
            async move { writer.write(delete(1000)).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        let tasks: Vec<_> = (0..10)
            .map(|n| {
                let writer = writer.clone();
                tokio::spawn(async move { writer.write(delete(n)).await })
            })
            .collect();
        assert!(first.await.unwrap().is_ok());
        for task in tasks {
            let outcome = task.await.unwrap();
            assert!(matches!(outcome, Err(StorageError::BatchFailed(_))), "{outcome:?}");
        }
        assert_eq!(*batches.lock().unwrap(), [1, 10]);
        // The writer carries on after a failure.
        assert_eq!(writer.write(delete(1)).await.unwrap(), Written::Done);
    }
}
