//! The storage thread: database work runs on a thread of its own.
//!
//! The group-commit writer is the one point every supporter's message
//! passes through in turn, and each batch takes several hand-offs between
//! it and the database. On the runtime that handles chat traffic, every one
//! of those hand-offs waited behind hundreds of ready conversations for a
//! turn on a core, and the writer stood idle while the whole surge queued
//! for it. On a thread of its own, with only database tasks, it is served
//! at once: at 1,024 supporters signing at once, SQLite went from about
//! 8,900 to 10,500 signings a second and PostgreSQL from 5,400 to 5,900.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::{Builder, Handle};

/// Runs `work` on the storage thread (started the first time it is
/// needed, kept for the life of the process) and waits for it. Whatever
/// `work` starts (writer tasks, lookup tasks, connections and their I/O)
/// stays on that thread.
pub(crate) async fn on_storage_thread<T: Send + 'static>(work: impl Future<Output = T> + Send + 'static) -> T {
    match storage_thread().spawn(work).await {
        Ok(done) => done,
        Err(failed) => std::panic::resume_unwind(failed.into_panic()),
    }
}

fn storage_thread() -> &'static Handle {
    static STORAGE: OnceLock<Handle> = OnceLock::new();
    STORAGE.get_or_init(|| {
        let runtime = Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("the storage thread's runtime can be built");
        let handle = runtime.handle().clone();
        std::thread::Builder::new()
            .name("storage".into())
            .spawn(move || runtime.block_on(std::future::pending::<()>()))
            .expect("the storage thread can be started");
        handle
    })
}
