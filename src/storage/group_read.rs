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

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{AttemptKey, Signature, StorageError, StorageResult};

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

// Sorting a batch's rows out to the keys that asked, the same for both
// databases.

/// Each value once, sorted: a batch's keys as a query takes them.
pub(crate) fn distinct<'a>(values: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut values: Vec<&str> = values.collect();
    values.sort_unstable();
    values.dedup();
    values
}

/// The signature each key asked for, among those found.
pub(crate) fn signatures_by_key(
    keys: &[(String, crate::domain::Identity)],
    found: Vec<Signature>,
) -> Vec<Option<Signature>> {
    let found: HashMap<(&str, &str, &str), &Signature> = found
        .iter()
        .map(|s| {
            (
                (
                    s.campaign.as_str(),
                    s.identity.platform.as_str(),
                    s.identity.user_id.as_str(),
                ),
                s,
            )
        })
        .collect();
    keys.iter()
        .map(|(campaign, who)| {
            found
                .get(&(campaign.as_str(), who.platform.as_str(), who.user_id.as_str()))
                .map(|s| (*s).clone())
        })
        .collect()
}

/// Each key's campaign total, among the (campaign, total) rows found; a
/// campaign without a counter has none yet.
pub(crate) fn totals_by_key(keys: &[String], found: Vec<(String, i64)>) -> Vec<u64> {
    let totals: HashMap<String, i64> = found.into_iter().collect();
    keys.iter()
        .map(|campaign| totals.get(campaign).copied().unwrap_or(0).max(0) as u64)
        .collect()
}

/// Sorts attempts found for a batch of keys (rows of campaign, platform,
/// platform user id and time, in time order) out to each key, keeping only
/// those after the key's own time.
pub(crate) fn attempts_by_key(
    keys: &[AttemptKey],
    found: Vec<(String, String, String, DateTime<Utc>)>,
) -> Vec<Vec<DateTime<Utc>>> {
    let mut by_identity: std::collections::HashMap<(String, String, String), Vec<DateTime<Utc>>> =
        std::collections::HashMap::new();
    for (campaign, platform, user_id, at) in found {
        by_identity.entry((campaign, platform, user_id)).or_default().push(at);
    }
    keys.iter()
        .map(|(campaign, who, since)| {
            let key = (campaign.clone(), who.platform.as_str().to_owned(), who.user_id.clone());
            by_identity
                .get(&key)
                .map(|times| times.iter().copied().filter(|at| at > since).collect())
                .unwrap_or_default()
        })
        .collect()
}
