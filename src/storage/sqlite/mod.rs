//! The embedded default: one SQLite file in WAL mode with `synchronous=FULL`,
//! so an acknowledged signature survives a power cut.
//!
//! What is SQLite's own: opening the file (its pragmas, the lock that lets
//! processes starting together take turns, the check that the file is
//! still there), the group-commit writer (`writer`) and the batched lookups
//! (`lookups`). The rest is the SQL both databases share (`storage::sql`).

/// Adds to breakdown counters, rows of [campaign, dimension, label,
/// change] in the JSON array parameter `$n` (see `Dialect::ADD_TO_BREAKDOWNS`);
/// a macro so that the writer's batch statement can include it.
macro_rules! add_to_breakdowns {
    ($n:literal) => {
        concat!(
            "INSERT INTO campaign_breakdowns (campaign, dimension, label, count)
             SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each($",
            $n,
            ") WHERE true
             ON CONFLICT (campaign, dimension, label) DO UPDATE SET count = campaign_breakdowns.count + excluded.count"
        )
    };
}

mod file;
mod lookups;
mod writer;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use sqlx::ConnectOptions as _;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{Connection, Pool, Row, SqliteConnection, SqlitePool, Transaction};

use self::file::{DatabaseFile, SetUpLock, refuse_a_missing_database, truncate_the_log, watch_the_file};
use self::lookups::{AttemptFetcher, Lookups, SignatureFetcher, TotalFetcher};
use self::writer::SqliteWriter;
use super::cache::ConversationCache;
use super::connections::{Budget, Connections};
use super::database::Conversations;
use super::group_commit::GroupCommit;
use super::group_read::GroupRead;
use super::sql::{Dialect, General, WriteCheck, driver_glue, from_millis};
use super::thread::on_storage_thread;
use super::{Storage, StorageError, StorageResult, db};
use crate::domain::Identity;

/// How long a writer waits for another writer before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Lookups of each kind in flight at once: SQLite is embedded, so one at a
/// time lets the largest batches gather.
const READS_IN_FLIGHT: usize = 1;

/// SQLite's dialect: times are milliseconds since 1970 in INTEGER columns,
/// and a write transaction takes the write lock when it begins.
pub(crate) struct Sqlite;

pub(crate) fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

type Query = sqlx::query::Query<'static, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>;

impl Dialect for Sqlite {
    type Db = sqlx::Sqlite;
    driver_glue!(SqliteRow, SqliteConnection, Query);

    type JsonTime = i64;

    fn bind_time(query: Query, value: DateTime<Utc>) -> Query {
        query.bind(millis(value))
    }

    fn bind_maybe_time(query: Query, value: Option<DateTime<Utc>>) -> Query {
        query.bind(value.map(millis))
    }

    fn int(row: &SqliteRow, column: &str) -> i64 {
        row.get(column)
    }

    fn time(row: &SqliteRow, column: &str) -> StorageResult<DateTime<Utc>> {
        from_millis(row.get(column))
    }

    fn maybe_time(row: &SqliteRow, column: &str) -> StorageResult<Option<DateTime<Utc>>> {
        row.get::<Option<i64>, _>(column).map(from_millis).transpose()
    }

    fn json_time(at: DateTime<Utc>) -> i64 {
        millis(at)
    }

    fn clear_erased(pool: &Pool<Self::Db>) -> BoxFuture<'_, StorageResult<()>> {
        truncate_the_log(pool).boxed()
    }

    fn begin_write(
        pool: &Pool<sqlx::Sqlite>,
    ) -> BoxFuture<'_, Result<Transaction<'static, sqlx::Sqlite>, sqlx::Error>> {
        pool.begin_with("BEGIN IMMEDIATE").boxed()
    }

    const COUNTED_BY_DAY: &'static str =
        "SELECT campaign, 'day' AS dimension, date(created_at / 1000, 'unixepoch') AS label, COUNT(*) AS count
         FROM signatures WHERE status = 'counted' GROUP BY campaign, label";
    const ADD_TO_BREAKDOWNS: &'static str = add_to_breakdowns!(1);

    // A recount runs in an IMMEDIATE transaction, which already keeps every
    // other writer out.
    const COUNTERS_FOR_RECOUNT: &'static str = "SELECT campaign, total, held FROM campaign_totals ORDER BY campaign";
    // Times are milliseconds since 1970; a UTC day is 86,400,000 of them.
    const SIGNING_TIMES_TO_THE_DAY: &'static str = "UPDATE signatures
         SET created_at = created_at - created_at % 86400000, consent_at = consent_at - consent_at % 86400000
         WHERE campaign = $1";
}

/// Rows travel to the database as one JSON array parameter: one statement,
/// prepared once, whatever the batch size, and one round trip to the
/// database's thread instead of one per row.
pub(crate) fn as_json(rows: &impl serde::Serialize) -> String {
    serde_json::to_string(rows).expect("rows of strings and numbers serialise")
}

/// Opens (creating if missing, with its folder) the database at a
/// `sqlite://PATH` URL and applies migrations.
pub(crate) async fn connect(url: &str, max_connections: u32) -> StorageResult<Arc<Storage>> {
    let url = url.to_owned();
    on_storage_thread(async move { open(&url, max_connections).await }).await
}

/// `connect`, on the storage thread.
async fn open(url: &str, max_connections: u32) -> StorageResult<Arc<Storage>> {
    // No connection creates the file but the one that sets a new database
    // up: one opened after the file went would make a new, empty database
    // where signatures were.
    let options = SqliteConnectOptions::from_str(url)
        .map_err(db("reading the SQLite URL"))?
        .create_if_missing(false)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(BUSY_TIMEOUT)
        // Checkpoint the write-ahead log in fewer, larger steps: each
        // checkpoint stalls the commit that triggers it.
        .pragma("wal_autocheckpoint", "10000")
        // Deleted rows are overwritten, not merely unlinked: a withdrawn
        // signature must not stay readable in the file's free space.
        .pragma("secure_delete", "on")
        .foreign_keys(true)
        .log_statements(super::STATEMENTS_LOGGED_AT);
    let path = options.get_filename().to_owned();
    if let Some(folder) = path.parent()
        && !folder.as_os_str().is_empty()
    {
        std::fs::create_dir_all(folder).map_err(|e| StorageError::Database {
            action: "creating the database folder",
            driver: sqlx::Error::Io(e),
        })?;
    }
    let mut set_up = SetUpLock::take(&path).await?;
    refuse_a_missing_database(&path)?;
    if !file::exists(&path) {
        // A first run: the file is made here, and only here.
        SqliteConnection::connect_with(&options.clone().create_if_missing(true))
            .await
            .map_err(db("creating the SQLite database"))?
            .close()
            .await
            .map_err(db("creating the SQLite database"))?;
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(max_connections)
        .connect_with(options.clone())
        .await
        .map_err(db("opening the SQLite database"))?;
    sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
    set_up.set_up()?;
    drop(set_up);
    let file = Arc::new(DatabaseFile::opened(&path)?);
    tokio::spawn(watch_the_file(Arc::downgrade(&file)));
    let writer = GroupCommit::start(
        "sqlite",
        SqliteWriter {
            connection: SqliteConnection::connect_with(&options)
                .await
                .map_err(db("opening the SQLite writer"))?,
            file: file.clone(),
        },
    );
    // A file, not a server: the budget only keeps each kind of lookup to the
    // one connection it uses at a time.
    let lookup_budget = Budget::new(3 * READS_IN_FLIGHT);
    let lookups = || Lookups {
        connections: lookup_connections(&lookup_budget, &options),
        file: file.clone(),
    };
    let check: WriteCheck = Arc::new({
        let file = file.clone();
        move || file.check()
    });
    let general = Arc::new(General::<Sqlite>::new(pool.clone(), check.clone()));
    Ok(Arc::new(Storage {
        // One process owns a SQLite file, so it can trust its own copy of
        // the conversations and skip a read per message.
        conversations: Conversations::Cached(Arc::new(ConversationCache::complete(all_conversations(&pool).await?))),
        conversation_writer: writer.clone(),
        signature_writer: writer,
        signature_reads: GroupRead::start(SignatureFetcher(lookups()), READS_IN_FLIGHT),
        total_reads: GroupRead::start(TotalFetcher(lookups()), READS_IN_FLIGHT),
        attempt_reads: GroupRead::start(AttemptFetcher(lookups()), READS_IN_FLIGHT),
        close: Arc::new(move || close(lookup_budget.clone(), pool.clone()).boxed()),
        queries: general.clone(),
        erasures: general,
        check,
        load_delay: std::time::Duration::ZERO,
    }))
}

/// Closes the lookups' connections and the pool, once the writer has
/// stopped. Closing the last connection checkpoints the log and removes it,
/// unless another process still has the file open; truncating it first
/// clears erased rows from it either way.
async fn close(lookups: Arc<Budget<SqliteConnection>>, pool: SqlitePool) {
    for lookup in lookups.drain_idle() {
        let _ = lookup.close().await;
    }
    if let Err(error) = truncate_the_log(&pool).await {
        tracing::warn!(%error, "could not clear the write-ahead log before closing");
    }
    pool.close().await;
}

/// Lookups on connections of their own, within `budget`.
fn lookup_connections(
    budget: &Arc<Budget<SqliteConnection>>,
    options: &SqliteConnectOptions,
) -> Connections<SqliteConnection> {
    let options = options.clone();
    budget.kind(Box::new(move || {
        let options = options.clone();
        Box::pin(async move { SqliteConnection::connect_with(&options).await })
    }))
}

/// Every conversation in progress, to fill the cache at start-up.
async fn all_conversations(pool: &SqlitePool) -> StorageResult<Vec<(Identity, String, DateTime<Utc>)>> {
    let rows: Vec<(String, String, String, i64)> =
        sqlx::query_as("SELECT platform, platform_user_id, state, updated_at FROM conversations")
            .fetch_all(pool)
            .await
            .map_err(db("loading conversations"))?;
    rows.into_iter()
        .map(|(platform, user_id, state, updated_at)| {
            Ok((
                Identity::new(platform.parse().map_err(StorageError::Corrupt)?, user_id),
                state,
                from_millis(updated_at)?,
            ))
        })
        .collect()
}
