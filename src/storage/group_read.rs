//! Group reads: lookups that arrive together are answered by one query.
//!
//! With PostgreSQL every message reads its conversation from the database
//! (several processes may share it, so no process can trust a copy of its
//! own). One round trip and one query plan per message would make the
//! database's CPU the limit; gathering the lookups queued while the previous
//! query ran into one `IN (...)` query shares that cost, the way group commit
//! shares an fsync.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::{Semaphore, mpsc, oneshot};

use super::{StorageError, StorageResult};

/// Most keys in one query.
pub const MAX_BATCH: usize = 1000;

/// A database lookup that can answer many keys in one query.
#[async_trait]
pub trait FetchBatch<K, V>: Send + Sync + 'static {
    /// The value for each key, in the keys' order. A key may be asked for
    /// more than once in a batch (two messages from one supporter at once),
    /// and each time gets its value.
    async fn fetch(&self, keys: &[K]) -> StorageResult<Vec<V>>;
}

type Pending<K, V> = (K, oneshot::Sender<StorageResult<V>>);

/// The queue in front of the lookups.
pub struct GroupRead<K, V> {
    queue: mpsc::Sender<Pending<K, V>>,
}

impl<K, V> std::fmt::Debug for GroupRead<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GroupRead")
    }
}

impl<K, V> Clone for GroupRead<K, V> {
    fn clone(&self) -> Self {
        Self {
            queue: self.queue.clone(),
        }
    }
}

impl<K: Send + 'static, V: Send + 'static> GroupRead<K, V> {
    /// Starts the task that gathers lookups for `fetcher`, with at most
    /// `in_flight` queries running at once: more keeps a database server's
    /// cores busy; one lets an embedded database gather the largest batches.
    pub fn start(fetcher: impl FetchBatch<K, V>, in_flight: usize) -> Self {
        let (queue, receiver) = mpsc::channel(65_536);
        tokio::spawn(gather(Arc::new(fetcher), receiver, in_flight.max(1)));
        Self { queue }
    }

    /// Looks up one key, in whichever query it joins.
    pub async fn read(&self, key: K) -> StorageResult<V> {
        let (done, value) = oneshot::channel();
        self.queue
            .send((key, done))
            .await
            .map_err(|_| StorageError::WriterStopped)?;
        value.await.map_err(|_| StorageError::WriterStopped)?
    }
}

async fn gather<K: Send + 'static, V: Send + 'static>(
    fetcher: Arc<dyn FetchBatch<K, V>>,
    mut queue: mpsc::Receiver<Pending<K, V>>,
    in_flight: usize,
) {
    let permits = Arc::new(Semaphore::new(in_flight));
    loop {
        // Wait for a free slot first, so lookups gather while queries run.
        let Ok(permit) = permits.clone().acquire_owned().await else {
            return;
        };
        let mut batch = Vec::with_capacity(MAX_BATCH);
        if queue.recv_many(&mut batch, MAX_BATCH).await == 0 {
            return;
        }
        let fetcher = fetcher.clone();
        tokio::spawn(async move {
            let (keys, senders): (Vec<K>, Vec<_>) = batch.into_iter().unzip();
            // A lookup changes nothing, so one that failed is tried once
            // more: the failure may have been a connection the database
            // dropped, which the fetcher replaces.
            let started = std::time::Instant::now();
            let fetched = match fetcher.fetch(&keys).await {
                Err(_) => fetcher.fetch(&keys).await,
                fetched => fetched,
            };
            tracing::debug!(
                keys = keys.len(),
                elapsed_us = started.elapsed().as_micros() as u64,
                "batch read"
            );
            match fetched {
                Ok(values) if values.len() == senders.len() => {
                    for (sender, value) in senders.into_iter().zip(values) {
                        let _ = sender.send(Ok(value));
                    }
                }
                Ok(_) => fail(
                    senders,
                    StorageError::Corrupt("a batched lookup lost track of its keys".into()),
                ),
                Err(error) => fail(senders, error),
            }
            drop(permit);
        });
    }
}

fn fail<V>(senders: Vec<oneshot::Sender<StorageResult<V>>>, error: StorageError) {
    let error = Arc::new(error);
    for sender in senders {
        let _ = sender.send(Err(StorageError::BatchFailed(error.clone())));
    }
}
