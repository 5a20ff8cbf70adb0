//! The SQL both databases run alike, written once over a small [`Dialect`]:
//! how a value is bound and read back (a time is milliseconds in SQLite and
//! a `TIMESTAMPTZ` in PostgreSQL), how a write transaction begins, and the
//! few statements whose text differs. Everything else here (organisers'
//! review, reports, the audit and connection logs, withdrawals, how a
//! signature row reads) is one query for both.
//!
//! A backend module keeps only what truly differs: opening the database,
//! its group-commit writer and its batched lookups.

/// A breakdown of one campaign's signatures of one status by a column: rows
/// of `label` and `count`, most first; `limit` keeps the top few.
macro_rules! tally_by {
    ($column:literal, $status:literal) => {
        tally_by!($column, $status, "")
    };
    ($column:literal, $status:literal, limit $limit:literal) => {
        tally_by!($column, $status, concat!(" LIMIT ", $limit))
    };
    ($column:literal, $status:literal, $tail:expr) => {
        concat!(
            "SELECT ",
            $column,
            " AS label, COUNT(*) AS count FROM signatures WHERE campaign = $1 AND status = '",
            $status,
            "' AND ",
            $column,
            " IS NOT NULL GROUP BY ",
            $column,
            " ORDER BY 2 DESC, 1",
            $tail
        )
    };
}

mod breakdowns;
mod erasures;
mod general;
mod lifecycle;
mod milestones;
mod reports;
mod review;
mod rows;
mod updates;

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use serde::Serialize;
use sqlx::{Database, Pool, Transaction};

use super::{StorageError, StorageResult};

pub(crate) use general::{General, WriteCheck};
pub(crate) use rows::{prior_signature, signature_row, signatures_answering};

/// The connection type of a dialect's database.
pub(crate) type Connection<D> = <<D as Dialect>::Db as Database>::Connection;

/// The row type of a dialect's database.
pub(crate) type Row<D> = <<D as Dialect>::Db as Database>::Row;

/// A statement being bound, for a dialect's database. Statements are
/// always `'static` text, so nothing in one is borrowed.
pub(crate) type Query<D> = sqlx::query::Query<'static, <D as Dialect>::Db, <<D as Dialect>::Db as Database>::Arguments>;

/// What differs between the databases in the SQL they share. Each method is
/// the one line that the driver needs spelt out for a concrete database, so
/// that [`Sql`] and the shared queries can be written once.
pub(crate) trait Dialect: Send + Sync + Sized + 'static {
    /// The sqlx database.
    type Db: Database;
    /// How a time travels inside a batch's JSON rows.
    type JsonTime: Serialize;

    /// Binds text.
    fn bind_text(query: Query<Self>, value: &str) -> Query<Self>;
    /// Binds text or NULL.
    fn bind_maybe_text(query: Query<Self>, value: Option<&str>) -> Query<Self>;
    /// Binds an integer.
    fn bind_int(query: Query<Self>, value: i64) -> Query<Self>;
    /// Binds a time.
    fn bind_time(query: Query<Self>, value: DateTime<Utc>) -> Query<Self>;
    /// Binds a time or NULL.
    fn bind_maybe_time(query: Query<Self>, value: Option<DateTime<Utc>>) -> Query<Self>;

    /// Runs a statement; how many rows it changed.
    fn execute(query: Query<Self>, on: &mut Connection<Self>) -> BoxFuture<'_, Result<u64, sqlx::Error>>;
    /// Runs a query; every row.
    fn fetch_all(query: Query<Self>, on: &mut Connection<Self>) -> BoxFuture<'_, Result<Vec<Row<Self>>, sqlx::Error>>;

    /// Reads a text column.
    fn text(row: &Row<Self>, column: &str) -> String;
    /// Reads a nullable text column.
    fn maybe_text(row: &Row<Self>, column: &str) -> Option<String>;
    /// Reads an integer column (of any width).
    fn int(row: &Row<Self>, column: &str) -> i64;
    /// Reads a boolean column.
    fn boolean(row: &Row<Self>, column: &str) -> bool;
    /// Reads a time column.
    fn time(row: &Row<Self>, column: &str) -> StorageResult<DateTime<Utc>>;
    /// Reads a nullable time column.
    fn maybe_time(row: &Row<Self>, column: &str) -> StorageResult<Option<DateTime<Utc>>>;
    /// A time as a batch's JSON rows carry it.
    fn json_time(at: DateTime<Utc>) -> Self::JsonTime;

    /// Begins a transaction that will write, taking the write lock at once
    /// where the database has one (SQLite), so it never fails half-way for
    /// want of it.
    fn begin_write(pool: &Pool<Self::Db>) -> BoxFuture<'_, Result<Transaction<'static, Self::Db>, sqlx::Error>>;

    /// Clears rows just erased from the disk: what the database keeps of
    /// them after a delete (SQLite's write-ahead log, PostgreSQL's dead
    /// tuples). Run soon after erasures (see `storage::erasure`).
    fn clear_erased(pool: &Pool<Self::Db>) -> BoxFuture<'_, StorageResult<()>>;

    /// Every campaign's counted signatures per UTC day, as the breakdown
    /// counters hold them: columns `campaign`, `dimension` (`'day'`),
    /// `label` (`YYYY-MM-DD`) and `count`. For a recount.
    const COUNTED_BY_DAY: &'static str;
    /// Adds to breakdown counters (see `storage::breakdowns`), creating
    /// those missing: rows of [campaign, dimension, label, change] in $1, a
    /// JSON array, each counter at most once.
    const ADD_TO_BREAKDOWNS: &'static str;
    /// Every campaign's stored counters, locked against other writers until
    /// the transaction ends where the database locks rows.
    const COUNTERS_FOR_RECOUNT: &'static str;
    /// Keeps only the UTC day of campaign $1's signing and consent times.
    const SIGNING_TIMES_TO_THE_DAY: &'static str;
}

/// The parts of a [`Dialect`] that read the same for every driver (binding
/// what the driver encodes as it is, running, reading plain columns), for a
/// database's row and connection types; written inside its `impl Dialect`.
macro_rules! driver_glue {
    ($row:ty, $connection:ty, $query:ty) => {
        fn bind_text(query: $query, value: &str) -> $query {
            query.bind(value)
        }

        fn bind_maybe_text(query: $query, value: Option<&str>) -> $query {
            query.bind(value)
        }

        fn bind_int(query: $query, value: i64) -> $query {
            query.bind(value)
        }

        fn execute(query: $query, on: &mut $connection) -> BoxFuture<'_, Result<u64, sqlx::Error>> {
            use futures_util::FutureExt;
            query
                .execute(on)
                .map(|done| done.map(|done| done.rows_affected()))
                .boxed()
        }

        fn fetch_all(query: $query, on: &mut $connection) -> BoxFuture<'_, Result<Vec<$row>, sqlx::Error>> {
            use futures_util::FutureExt;
            query.fetch_all(on).boxed()
        }

        fn text(row: &$row, column: &str) -> String {
            row.get(column)
        }

        fn maybe_text(row: &$row, column: &str) -> Option<String> {
            row.get(column)
        }

        fn boolean(row: &$row, column: &str) -> bool {
            row.get(column)
        }
    };
}
pub(crate) use driver_glue;

/// A statement with its parameters, bound in order: `Sql::new(..).text(a).int(b)`.
pub(crate) struct Sql<D: Dialect>(Query<D>);

impl<D: Dialect> Sql<D> {
    /// A statement; `$1`, `$2`... are its parameters.
    pub(crate) fn new(sql: &'static str) -> Self {
        Self(sqlx::query(sql))
    }

    /// The next parameter is text.
    pub(crate) fn text(self, value: &str) -> Self {
        Self(D::bind_text(self.0, value))
    }

    /// The next parameter is text or NULL.
    pub(crate) fn maybe_text(self, value: Option<&str>) -> Self {
        Self(D::bind_maybe_text(self.0, value))
    }

    /// The next parameter is an integer.
    pub(crate) fn int(self, value: i64) -> Self {
        Self(D::bind_int(self.0, value))
    }

    /// The next parameter is a time.
    pub(crate) fn time(self, value: DateTime<Utc>) -> Self {
        Self(D::bind_time(self.0, value))
    }

    /// The next parameter is a time or NULL.
    pub(crate) fn maybe_time(self, value: Option<DateTime<Utc>>) -> Self {
        Self(D::bind_maybe_time(self.0, value))
    }

    /// Runs it; how many rows it changed.
    pub(crate) async fn execute(self, on: &mut Connection<D>) -> Result<u64, sqlx::Error> {
        D::execute(self.0, on).await
    }

    /// Runs it; every row.
    pub(crate) async fn fetch_all(self, on: &mut Connection<D>) -> Result<Vec<Row<D>>, sqlx::Error> {
        D::fetch_all(self.0, on).await
    }

    /// Runs it; the first row, if any.
    pub(crate) async fn fetch_optional(self, on: &mut Connection<D>) -> Result<Option<Row<D>>, sqlx::Error> {
        Ok(self.fetch_all(on).await?.into_iter().next())
    }

    /// Runs it; the one row it must return.
    pub(crate) async fn fetch_one(self, on: &mut Connection<D>) -> Result<Row<D>, sqlx::Error> {
        self.fetch_optional(on).await?.ok_or(sqlx::Error::RowNotFound)
    }
}

/// Reads a count column, which is never negative.
pub(crate) fn count<D: Dialect>(row: &Row<D>, column: &str) -> u64 {
    D::int(row, column).max(0) as u64
}

/// A stored time in milliseconds, read back.
pub(crate) fn from_millis(ms: i64) -> StorageResult<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| StorageError::Corrupt(format!("time {ms} out of range")))
}
