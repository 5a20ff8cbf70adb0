//! The connections of one kind of batched lookup, held directly rather than
//! in a pool. sqlx's pool checks a connection with a round trip to the
//! database when it hands it out and again when it takes it back, which
//! tripled the round trips (and a server's wake-ups) of every lookup.
//! `GroupRead` keeps a bounded number of lookups running, so at most that
//! many connections are open.

use std::sync::Mutex;

use futures_util::future::BoxFuture;

/// Opens one more lookup connection.
pub(crate) type Connect<C> = Box<dyn Fn() -> BoxFuture<'static, Result<C, sqlx::Error>> + Send + Sync>;

pub(crate) struct Lookups<C> {
    connect: Connect<C>,
    idle: Mutex<Vec<C>>,
}

impl<C: Send> Lookups<C> {
    pub(crate) fn new(connect: Connect<C>) -> Self {
        Self {
            connect,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// An idle connection, or a new one if none is idle.
    pub(crate) async fn take(&self) -> Result<C, sqlx::Error> {
        let idle = self.idle.lock().expect("no lookup panics holding the lock").pop();
        match idle {
            Some(connection) => Ok(connection),
            None => (self.connect)().await,
        }
    }

    /// Takes `connection` back after a read. A read that failed is likely
    /// the database dropping its connections (a server restarted, say), so
    /// neither that connection nor the idle ones are used again; `GroupRead`
    /// tries the read once more, on a fresh one.
    pub(crate) fn give_back<T>(&self, connection: C, read: &Result<T, sqlx::Error>) {
        let mut idle = self.idle.lock().expect("no lookup panics holding the lock");
        match read {
            Ok(_) => idle.push(connection),
            Err(_) => idle.clear(),
        }
    }
}
