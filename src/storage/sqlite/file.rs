//! The SQLite file on disk: the lock that lets processes starting together
//! take turns to set it up, the traces an earlier database leaves when its
//! file goes missing, and the check that the file this process writes is
//! still the one at the configured path.

use std::fs::{File, OpenOptions, TryLockError};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::storage::{StorageError, StorageResult, db};

/// How long a process waits for another to finish setting the file up.
const SET_UP_WAIT: Duration = Duration::from_secs(60);

/// The file beside the database whose lock is held while it is opened and
/// migrated. It stays afterwards, holding [`SET_UP`], as a sign that a
/// database was set up here.
fn lock_path(database: &Path) -> PathBuf {
    with_suffix(database, ".lock")
}

fn with_suffix(database: &Path, suffix: &str) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn io_error(action: &'static str) -> impl FnOnce(std::io::Error) -> StorageError {
    move |error| StorageError::Database {
        action,
        driver: sqlx::Error::Io(error),
    }
}

/// What the lock file says once a database has been set up beside it.
const SET_UP: &[u8] = b"a petition database was set up beside this file\n";

/// Held while a process creates and migrates the database, so that
/// processes starting together on a new file take turns (SQLite's own locks
/// cover each statement, not a whole set of migrations). Released when
/// dropped.
pub(crate) struct SetUpLock(File);

impl SetUpLock {
    /// Waits for the lock beside `database`.
    pub(crate) async fn take(database: &Path) -> StorageResult<Self> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(lock_path(database))
            .map_err(io_error("opening the database's lock file"))?;
        let started = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Self(file)),
                Err(TryLockError::WouldBlock) if started.elapsed() < SET_UP_WAIT => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(io_error("waiting for another process to set up the database")(
                        std::io::Error::from(std::io::ErrorKind::TimedOut),
                    ));
                }
                Err(TryLockError::Error(error)) => return Err(io_error("locking the database's lock file")(error)),
            }
        }
    }
}

impl SetUpLock {
    /// Notes in the lock file that the database is set up, for
    /// [`warn_of_a_missing_database`] on a later start.
    pub(crate) fn set_up(&mut self) -> StorageResult<()> {
        use std::io::{Seek, Write};
        self.0
            .set_len(0)
            .map_err(io_error("writing the database's lock file"))?;
        self.0.rewind().map_err(io_error("writing the database's lock file"))?;
        self.0
            .write_all(SET_UP)
            .map_err(io_error("writing the database's lock file"))
    }
}

impl Drop for SetUpLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

/// Refuses to go on, before a new database is created, if the folder holds
/// traces of an earlier one whose file is missing or empty: creating a fresh
/// database then is not a first run, and signatures would be lost without a
/// word. Called with the [`SetUpLock`] held, so another process setting up
/// the same new file is never mistaken for an earlier database.
pub(crate) fn refuse_a_missing_database(database: &Path) -> StorageResult<()> {
    let size = |path: &Path| std::fs::metadata(path).ok().map(|m| m.len());
    let main = size(database);
    let wal = size(&with_suffix(database, "-wal"));
    let set_up_before = std::fs::read(lock_path(database)).is_ok_and(|said| said == SET_UP);
    let traces: Vec<&str> = [
        (wal.is_some(), "its write-ahead log"),
        (size(&with_suffix(database, "-shm")).is_some(), "its shared-memory file"),
        (set_up_before, "its lock file"),
    ]
    .into_iter()
    .filter_map(|(found, what)| found.then_some(what))
    .collect();
    if traces.is_empty() {
        return Ok(());
    }
    let problem = match main {
        None => "is missing",
        Some(0) => "is empty",
        Some(_) => return Ok(()),
    };
    Err(StorageError::EarlierDatabaseMissing {
        path: database.display().to_string(),
        problem,
        traces: traces.join(", "),
    })
}

/// Whether a database file is there to open: present and not empty.
pub(crate) fn exists(database: &Path) -> bool {
    std::fs::metadata(database).is_ok_and(|metadata| metadata.len() > 0)
}

/// The database file as this process opened it, to notice when the path no
/// longer leads to it (the file or its folder deleted, or replaced): writes
/// would then go to a file nobody can open again, so nothing more may be
/// acknowledged.
#[derive(Debug)]
pub(crate) struct DatabaseFile {
    path: PathBuf,
    /// The device and inode opened.
    opened: (u64, u64),
    /// Set once the path is found to lead elsewhere; it never comes back.
    gone: AtomicBool,
}

impl DatabaseFile {
    /// Notes which file `path` leads to now, just after opening it.
    pub(crate) fn opened(path: &Path) -> StorageResult<Self> {
        let metadata = std::fs::metadata(path).map_err(io_error("reading the database file's metadata"))?;
        Ok(Self {
            path: path.to_owned(),
            opened: (metadata.dev(), metadata.ino()),
            gone: AtomicBool::new(false),
        })
    }

    /// Fails if the path no longer leads to the file opened. The first time,
    /// says so in the log.
    pub(crate) fn check(&self) -> StorageResult<()> {
        if self.gone.load(Ordering::Relaxed) {
            return Err(self.error());
        }
        let same = std::fs::metadata(&self.path).is_ok_and(|m| (m.dev(), m.ino()) == self.opened);
        if same {
            return Ok(());
        }
        if !self.gone.swap(true, Ordering::Relaxed) {
            tracing::error!(
                database = %self.path.display(),
                "the database file was deleted or replaced while the bot was running; \
                 refusing every write from now on, so nothing more is acknowledged. \
                 Stop the bot, restore the file (or its folder) from a backup, and start it again"
            );
        }
        Err(self.error())
    }

    fn error(&self) -> StorageError {
        StorageError::FileGone {
            path: self.path.display().to_string(),
        }
    }
}

/// How often the file is checked even when nothing is written, so the log
/// says at once when it goes.
const WATCH_EVERY: Duration = Duration::from_secs(5);

/// Checks the file every [`WATCH_EVERY`] for as long as its storage lives.
pub(crate) async fn watch_the_file(file: std::sync::Weak<DatabaseFile>) {
    loop {
        tokio::time::sleep(WATCH_EVERY).await;
        let Some(file) = file.upgrade() else {
            return;
        };
        let _ = file.check();
    }
}

/// Copies the whole write-ahead log into the database file and truncates
/// it to nothing, so no earlier copy of an erased row is left in it.
pub(crate) async fn truncate_the_log(executor: impl sqlx::Executor<'_, Database = sqlx::Sqlite>) -> StorageResult<()> {
    let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
        .fetch_one(executor)
        .await
        .map_err(db("clearing the write-ahead log"))?;
    if busy != 0 {
        return Err(StorageError::Database {
            action: "clearing the write-ahead log",
            driver: sqlx::Error::Protocol("another connection was reading".into()),
        });
    }
    Ok(())
}
