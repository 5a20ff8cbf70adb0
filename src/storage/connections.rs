//! Connections held directly rather than in a pool, for one kind of batched
//! lookup or for one batch writer. sqlx's pool checks a connection with a
//! round trip to the database when it hands it out and again when it takes
//! it back, which tripled the round trips (and a server's wake-ups) of every
//! lookup. `GroupRead` keeps a bounded number of lookups running, and a
//! writer applies one batch at a time, so at most that many are open.
//!
//! A connection whose work failed is never used again, nor are the idle
//! ones: the likeliest cause is the database dropping its connections (a
//! server restarted, say), so the next use opens a fresh one and a hiccup
//! costs one batch, not every batch until the bot restarts.

use std::sync::Mutex;

use futures_util::future::BoxFuture;

/// Opens one more connection.
pub(crate) type Connect<C> = Box<dyn Fn() -> BoxFuture<'static, Result<C, sqlx::Error>> + Send + Sync>;

pub(crate) struct Connections<C> {
    connect: Connect<C>,
    idle: Mutex<Vec<C>>,
}

impl<C: Send> Connections<C> {
    pub(crate) fn new(connect: Connect<C>) -> Self {
        Self {
            connect,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// An idle connection, or a new one if none is idle.
    pub(crate) async fn take(&self) -> Result<C, sqlx::Error> {
        let idle = self.idle.lock().expect("nothing panics holding the lock").pop();
        match idle {
            Some(connection) => Ok(connection),
            None => (self.connect)().await,
        }
    }

    /// Takes `connection` back after `work`, unless the work failed (see
    /// the module's comment).
    pub(crate) fn give_back<T, E>(&self, connection: C, work: &Result<T, E>) {
        let mut idle = self.idle.lock().expect("nothing panics holding the lock");
        match work {
            Ok(_) => idle.push(connection),
            Err(_) => idle.clear(),
        }
    }
}
