//! Connections held directly rather than in sqlx's pool, each kept for one
//! kind of work (a kind of batched lookup, a batch writer, everything
//! else). sqlx's pool checks a connection with a round trip to the database
//! when it hands it out and again when it takes it back, which tripled the
//! round trips (and a server's wake-ups) of every lookup.
//!
//! Every connection of a storage counts against one [`Budget`]: the most
//! connections the process holds open at once (`database.max_connections`
//! for a long-running process, fewer for a short-lived command). Nothing is
//! opened before it is needed, and a kind that needs a connection when the
//! budget is spent closes an idle one of another kind to open its own, so a
//! small budget is slower, never stuck.
//!
//! A connection whose work failed is never used again, nor are the idle
//! ones of its kind: the likeliest cause is the database dropping its
//! connections (a server restarted, say), so the next use opens a fresh one
//! and a hiccup costs one batch, not every batch until the bot restarts.

use std::collections::VecDeque;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use tokio::sync::Notify;

/// Opens one more connection.
pub(crate) type Connect<C> = Box<dyn Fn() -> BoxFuture<'static, Result<C, sqlx::Error>> + Send + Sync>;

/// The connections a storage may hold open at once, shared by its kinds.
pub(crate) struct Budget<C> {
    state: Mutex<Held<C>>,
    /// Woken whenever a connection goes idle or is closed, for work waiting
    /// because the budget was spent.
    changed: Notify,
}

struct Held<C> {
    /// Connections open, in use or idle.
    open: usize,
    limit: usize,
    /// Idle connections and their kinds, the longest idle first.
    idle: VecDeque<(usize, C)>,
    /// Kinds handed out so far, to number the next.
    kinds: usize,
}

impl<C> std::fmt::Debug for Budget<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state.lock().expect("nothing panics holding the lock");
        write!(f, "Budget({} of {} open)", state.open, state.limit)
    }
}

impl<C: Send + 'static> Budget<C> {
    /// A budget of `limit` connections (at least one).
    pub(crate) fn new(limit: usize) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(Held {
                open: 0,
                limit: limit.max(1),
                idle: VecDeque::new(),
                kinds: 0,
            }),
            changed: Notify::new(),
        })
    }

    /// Connections for one kind of work, opened by `connect`, within this budget.
    pub(crate) fn kind(self: &Arc<Self>, connect: Connect<C>) -> Connections<C> {
        let kind = {
            let mut state = self.lock();
            state.kinds += 1;
            state.kinds
        };
        Connections {
            budget: self.clone(),
            kind,
            connect,
        }
    }

    /// Connections open now, in use or idle.
    #[cfg(test)]
    pub(crate) fn open(&self) -> usize {
        self.lock().open
    }

    /// Takes every idle connection out, so they can be closed properly (at
    /// exit); the budget forgets them.
    pub(crate) fn drain_idle(&self) -> Vec<C> {
        let mut state = self.lock();
        let drained: Vec<C> = state.idle.drain(..).map(|(_, connection)| connection).collect();
        state.open -= drained.len();
        drained
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Held<C>> {
        self.state.lock().expect("nothing panics holding the lock")
    }

    /// One connection fewer is open.
    fn closed(&self, how_many: usize) {
        if how_many > 0 {
            self.lock().open -= how_many;
            self.changed.notify_waiters();
        }
    }
}

/// Connections for one kind of work.
pub(crate) struct Connections<C: Send + 'static> {
    budget: Arc<Budget<C>>,
    kind: usize,
    connect: Connect<C>,
}

/// A connection in use. Handed back with [`Connections::give_back`]; one
/// dropped instead (the work was abandoned) is closed.
pub(crate) struct Lease<C: Send + 'static> {
    connection: Option<C>,
    /// Whether it had been used before, so a failure may mean it had died
    /// while idle rather than that the database is down.
    pub(crate) reused: bool,
    budget: Arc<Budget<C>>,
}

impl<C: Send + 'static> Deref for Lease<C> {
    type Target = C;

    fn deref(&self) -> &C {
        self.connection
            .as_ref()
            .expect("a lease holds its connection until handed back")
    }
}

impl<C: Send + 'static> DerefMut for Lease<C> {
    fn deref_mut(&mut self) -> &mut C {
        self.connection
            .as_mut()
            .expect("a lease holds its connection until handed back")
    }
}

impl<C: Send + 'static> Drop for Lease<C> {
    fn drop(&mut self) {
        if self.connection.take().is_some() {
            self.budget.closed(1);
        }
    }
}

impl<C: Send + 'static> Connections<C> {
    /// An idle connection of this kind, or a new one as soon as the budget
    /// allows.
    pub(crate) async fn take(&self) -> Result<Lease<C>, sqlx::Error> {
        loop {
            let changed = self.budget.changed.notified();
            tokio::pin!(changed);
            // Registered before looking, so a change made in between still wakes us.
            changed.as_mut().enable();
            let room = {
                let mut state = self.budget.lock();
                if let Some(at) = state.idle.iter().rposition(|(kind, _)| *kind == self.kind) {
                    let (_, connection) = state.idle.remove(at).expect("the position was just found");
                    return Ok(self.lease(connection, true));
                }
                let other_kind = state.idle.iter().position(|(kind, _)| *kind != self.kind);
                if state.open < state.limit {
                    state.open += 1;
                    true
                } else if let Some(at) = other_kind {
                    // The budget is spent: the longest-idle connection of
                    // another kind makes room, keeping its place in the count.
                    tracing::debug!(kind = self.kind, "closing an idle database connection to make room");
                    drop(state.idle.remove(at));
                    true
                } else {
                    false
                }
            };
            if !room {
                changed.await;
                continue;
            }
            tracing::debug!(kind = self.kind, "opening a database connection");
            return match (self.connect)().await {
                Ok(connection) => Ok(self.lease(connection, false)),
                Err(error) => {
                    self.budget.closed(1);
                    Err(error)
                }
            };
        }
    }

    fn lease(&self, connection: C, reused: bool) -> Lease<C> {
        Lease {
            connection: Some(connection),
            reused,
            budget: self.budget.clone(),
        }
    }

    /// Runs `work` on a connection of this kind and takes it back after,
    /// unless the work failed (see the module's comment).
    pub(crate) async fn run<T>(
        &self,
        action: &'static str,
        work: impl AsyncFnOnce(&mut C) -> Result<T, sqlx::Error>,
    ) -> crate::storage::StorageResult<T> {
        let mut lease = self.take().await.map_err(crate::storage::db(action))?;
        let done = work(&mut lease).await;
        self.give_back(lease, &done);
        done.map_err(crate::storage::db(action))
    }

    /// Takes a connection back after `work`, unless the work failed (see
    /// the module's comment).
    pub(crate) fn give_back<T, E>(&self, mut lease: Lease<C>, work: &Result<T, E>) {
        let connection = lease.connection.take().expect("a lease is handed back once");
        let mut state = self.budget.lock();
        match work {
            Ok(_) => state.idle.push_back((self.kind, connection)),
            Err(_) => {
                drop(connection);
                let before = state.idle.len();
                state.idle.retain(|(kind, _)| *kind != self.kind);
                state.open -= 1 + before - state.idle.len();
            }
        }
        drop(state);
        self.budget.changed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A stand-in connection: a number, counted when opened.
    fn counting(opened: Arc<AtomicUsize>) -> Connect<usize> {
        Box::new(move || {
            let n = opened.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move { Ok(n) })
        })
    }

    #[tokio::test]
    async fn nothing_is_opened_before_it_is_needed_and_idle_connections_are_reused() {
        let opened = Arc::new(AtomicUsize::new(0));
        let budget = Budget::new(4);
        let reads = budget.kind(counting(opened.clone()));
        assert_eq!(budget.open(), 0);
        for _ in 0..10 {
            let lease = reads.take().await.unwrap();
            reads.give_back(lease, &Ok::<(), ()>(()));
        }
        assert_eq!(opened.load(Ordering::SeqCst), 1);
        assert_eq!(budget.open(), 1);
    }

    #[tokio::test]
    async fn a_spent_budget_closes_an_idle_connection_of_another_kind() {
        let opened = Arc::new(AtomicUsize::new(0));
        let budget = Budget::new(1);
        let reads = budget.kind(counting(opened.clone()));
        let writes = budget.kind(counting(opened.clone()));
        let read = reads.take().await.unwrap();
        reads.give_back(read, &Ok::<(), ()>(()));
        let write = writes.take().await.unwrap();
        assert!(!write.reused);
        assert_eq!(budget.open(), 1);
        writes.give_back(write, &Ok::<(), ()>(()));
        assert_eq!(opened.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn work_waits_for_a_connection_in_use_when_the_budget_is_spent() {
        let budget = Budget::new(1);
        let reads = Arc::new(budget.kind(counting(Arc::new(AtomicUsize::new(0)))));
        let first = reads.take().await.unwrap();
        let waiting = tokio::spawn({
            let reads = reads.clone();
            async move { reads.take().await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "the second take waits");
        reads.give_back(first, &Ok::<(), ()>(()));
        let second = waiting.await.unwrap().unwrap();
        assert!(second.reused, "and gets the connection handed back");
        assert_eq!(budget.open(), 1);
        reads.give_back(second, &Ok::<(), ()>(()));
    }

    #[tokio::test]
    async fn failed_work_closes_its_connection_and_the_idle_ones_of_its_kind() {
        let opened = Arc::new(AtomicUsize::new(0));
        let budget = Budget::new(4);
        let reads = budget.kind(counting(opened.clone()));
        let (a, b) = (reads.take().await.unwrap(), reads.take().await.unwrap());
        reads.give_back(a, &Ok::<(), ()>(()));
        reads.give_back(b, &Err::<(), ()>(()));
        assert_eq!(budget.open(), 0);
        let fresh = reads.take().await.unwrap();
        assert!(!fresh.reused);
        drop(fresh);
        assert_eq!(budget.open(), 0, "a dropped lease is closed");
    }
}
