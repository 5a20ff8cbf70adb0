//! PostgreSQL, for deployments where several processes or machines share
//! the signatures.
//!
//! What is PostgreSQL's own: connecting (plainly reporting a server that
//! cannot be reached, sharing one budget of connections, planning by-key
//! statements once), the group-commit writers (`writer`) and the batched
//! lookups (`lookups`). The rest is the SQL both databases share
//! (`storage::sql`).

mod lookups;
mod writer;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool, Pool, Row, Transaction};

use self::lookups::{AttemptFetcher, ConversationFetcher, SignatureFetcher, TotalFetcher};
use self::writer::PostgresWriter;
use super::connections::{Budget, Connections};
use super::database::Conversations;
use super::group_commit::GroupCommit;
use super::group_read::GroupRead;
use super::sql::{Dialect, General, WriteCheck, driver_glue};
use super::thread::on_storage_thread;
use super::{Storage, StorageError, StorageResult, Usage, db, describe_connect_error};
use crate::domain::Identity;

/// PostgreSQL's dialect: times are `TIMESTAMPTZ`, and a transaction takes
/// its row locks as it goes.
pub(crate) struct Postgres;

type Query = sqlx::query::Query<'static, sqlx::Postgres, sqlx::postgres::PgArguments>;

impl Dialect for Postgres {
    type Db = sqlx::Postgres;
    driver_glue!(PgRow, PgConnection, Query);

    type JsonTime = DateTime<Utc>;

    fn bind_time(query: Query, value: DateTime<Utc>) -> Query {
        query.bind(value)
    }

    fn bind_maybe_time(query: Query, value: Option<DateTime<Utc>>) -> Query {
        query.bind(value)
    }

    fn int(row: &PgRow, column: &str) -> i64 {
        // BIGINT counters and counts; INTEGER consent versions.
        row.try_get::<i64, _>(column)
            .unwrap_or_else(|_| i64::from(row.get::<i32, _>(column)))
    }

    fn time(row: &PgRow, column: &str) -> StorageResult<DateTime<Utc>> {
        Ok(row.get(column))
    }

    fn maybe_time(row: &PgRow, column: &str) -> StorageResult<Option<DateTime<Utc>>> {
        Ok(row.get(column))
    }

    fn json_time(at: DateTime<Utc>) -> DateTime<Utc> {
        at
    }

    fn clear_erased(pool: &Pool<Self::Db>) -> BoxFuture<'_, StorageResult<()>> {
        vacuum_erased(pool).boxed()
    }

    fn begin_write(
        pool: &Pool<sqlx::Postgres>,
    ) -> BoxFuture<'_, Result<Transaction<'static, sqlx::Postgres>, sqlx::Error>> {
        pool.begin().boxed()
    }

    const COUNTED_BY_DAY: &'static str = "SELECT campaign, 'day' AS dimension,
             to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS label, COUNT(*) AS count
         FROM signatures WHERE status = 'counted' GROUP BY campaign, label";
    // Every writer takes its campaign's `campaign_totals` row before any of
    // its breakdown rows, so writers of both never deadlock.
    const ADD_TO_BREAKDOWNS: &'static str = "INSERT INTO campaign_breakdowns (campaign, dimension, label, count)
         SELECT value ->> 0, value ->> 1, value ->> 2, (value ->> 3)::bigint FROM jsonb_array_elements($1::jsonb) AS value
         ON CONFLICT (campaign, dimension, label) DO UPDATE SET count = campaign_breakdowns.count + excluded.count";

    // Locked until the recount commits, so no signature batch adds to a
    // counter between its reading and its correction.
    const COUNTERS_FOR_RECOUNT: &'static str =
        "SELECT campaign, total, held FROM campaign_totals ORDER BY campaign FOR UPDATE";
    const SIGNING_TIMES_TO_THE_DAY: &'static str = "UPDATE signatures
         SET created_at = date_trunc('day', created_at, 'UTC'), consent_at = date_trunc('day', consent_at, 'UTC')
         WHERE campaign = $1";
}

/// How many connections a process holds, and for what.
struct Shares {
    /// The pool's, for organisers' queries and housekeeping.
    pool: u32,
    /// Shared by the batch writers and the batched lookups.
    by_key: usize,
    conversation_writers: usize,
    reads_in_flight: usize,
}

impl Shares {
    fn for_usage(usage: Usage, max_connections: u32) -> Self {
        match usage {
            // One at a time is all a single supporter or organiser needs.
            Usage::ShortLived => Self {
                pool: 1,
                by_key: 1,
                conversation_writers: 1,
                reads_in_flight: 1,
            },
            Usage::LongRunning => {
                let total = max_connections.max(2);
                let pool = (total / 4).max(1);
                Self {
                    pool,
                    by_key: (total - pool) as usize,
                    conversation_writers: CONVERSATION_WRITERS,
                    reads_in_flight: READS_IN_FLIGHT,
                }
            }
        }
    }
}

/// Connects to the database at a `postgres://` URL and applies migrations,
/// holding at most as many connections as `usage` and `max_connections`
/// allow (see the README's PostgreSQL section).
pub(crate) async fn connect(url: &str, usage: Usage, max_connections: u32) -> StorageResult<Arc<Storage>> {
    let url = url.to_owned();
    on_storage_thread(async move { open(&url, usage, max_connections).await }).await
}

/// `connect`, on the storage thread.
async fn open(url: &str, usage: Usage, max_connections: u32) -> StorageResult<Arc<Storage>> {
    let options = PgConnectOptions::from_str(url)
        .map_err(db("reading the PostgreSQL URL"))?
        .log_statements(super::STATEMENTS_LOGGED_AT);
    let shares = Shares::for_usage(usage, max_connections);
    // Opened first and on its own, so a server that cannot be reached is
    // reported at once and plainly; it applies the migrations (under an
    // advisory lock, so processes starting together take turns) and is
    // closed before anything else opens.
    let mut first = connect_once(&options).await?;
    sqlx::migrate!("./migrations/postgres")
        .run_direct(None, &mut first, false)
        .await?;
    let _ = first.close().await;
    let pool = PgPoolOptions::new()
        .max_connections(shares.pool)
        .min_connections(0)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_lazy_with(options.clone());
    let budget = Budget::new(shares.by_key);
    let planned_once = Arc::new(by_key_connections(&budget, &options, Planning::Once));
    let planned_each_time = by_key_connections(&budget, &options, Planning::EachTime);
    let writer = || PostgresWriter(planned_once.clone());
    // Nothing on this machine can go missing under it.
    let check: WriteCheck = Arc::new(|| Ok(()));
    let general = Arc::new(General::<Postgres>::new(pool.clone(), check.clone()));
    Ok(Arc::new(Storage {
        conversation_writer: GroupCommit::start_many(
            "postgres_conversations",
            (0..shares.conversation_writers).map(|_| writer()).collect(),
        ),
        // Every signature batch adds to its campaign's counter row, which
        // stays locked until its commit is durable: writers sharing that row
        // would queue behind each other's fsync, while a single signature
        // writer queues behind no other batch and its batches grow to match
        // the load.
        signature_writer: GroupCommit::start("postgres_signatures", writer()),
        // Several processes may share the database, so no process can trust
        // a copy of its own: every message reads its conversation afresh.
        conversations: Conversations::Read(GroupRead::start(
            ConversationFetcher(planned_once.clone()),
            shares.reads_in_flight,
        )),
        signature_reads: GroupRead::start(SignatureFetcher(planned_each_time), shares.reads_in_flight),
        attempt_reads: GroupRead::start(AttemptFetcher(planned_once.clone()), shares.reads_in_flight),
        total_reads: GroupRead::start(TotalFetcher(planned_once), shares.reads_in_flight),
        close: Arc::new(move || close(budget.clone(), pool.clone()).boxed()),
        queries: general.clone(),
        erasures: general,
        check,
        load_delay: std::time::Duration::ZERO,
    }))
}

/// Closes the writers' and lookups' connections and the pool, once the
/// writers have stopped.
async fn close(by_key: Arc<Budget<PgConnection>>, pool: PgPool) {
    for connection in by_key.drain_idle() {
        let _ = connection.close().await;
    }
    pool.close().await;
}

/// Connections writing conversation state at once: while one waits for the
/// server's fsync, the next batch is being applied.
const CONVERSATION_WRITERS: usize = 3;

/// Lookups of each kind in flight at once: enough to keep the server's
/// cores busy (two and four measured the same).
const READS_IN_FLIGHT: usize = 2;

/// How long the first connection may take before start-up gives up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long organisers' queries wait for a connection of the pool.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens one connection, and says plainly why not: where it tried and what
/// the server or the network answered, never the URL (it may hold a
/// password).
async fn connect_once(options: &PgConnectOptions) -> StorageResult<PgConnection> {
    let unreachable = |reason: String| StorageError::Unreachable {
        database: "PostgreSQL",
        address: format!("{}:{}", options.get_host(), options.get_port()),
        reason,
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, options.connect()).await {
        Ok(Ok(connection)) => Ok(connection),
        Ok(Err(error)) => Err(unreachable(describe_connect_error(&error))),
        Err(_) => Err(unreachable(format!(
            "no answer within {} seconds",
            CONNECT_TIMEOUT.as_secs()
        ))),
    }
}

/// Removes the dead tuples erased rows leave behind (PostgreSQL keeps them
/// until a vacuum), so their space is reused.
async fn vacuum_erased(pool: &PgPool) -> StorageResult<()> {
    // Every table an erasure deletes from or overwrites: the signature (its
    // email index with it), the conversation, the signing attempts, and the
    // delivery rows that named the signer's account.
    sqlx::raw_sql("VACUUM signatures, conversations, signing_attempts, update_deliveries")
        .execute(pool)
        .await
        .map_err(db("vacuuming after an erasure"))?;
    Ok(())
}

/// How a connection that only ever finds rows by key (batched lookups and
/// batch writes) plans its statements. Left to itself the planner sometimes
/// prefers to scan a small table whole and hash the keys, but a table of
/// conversations is small in live rows and large in dead ones during a
/// surge, and scanning it for every batch costs more than everything else
/// together; so these connections never scan a table whole.
#[derive(Debug, Clone, Copy)]
enum Planning {
    /// Each execution is planned for its own keys. For statements whose best
    /// index depends on what the tables hold: a signature lookup planned
    /// while its table was empty probes the campaign's index and filters
    /// every signature of the campaign, a second or more per lookup at a
    /// million signatures.
    EachTime,
    /// Planned once per connection, and again when the tables' statistics
    /// change. For statements whose only sensible plan is one index probe
    /// per key (conversation lookups, batch writes), which joins by nested
    /// loops alone make sure of: planning these afresh for every batch took
    /// a third of the server's time.
    Once,
}

async fn by_key_only(connection: &mut PgConnection, planning: Planning) -> Result<(), sqlx::Error> {
    let settings = match planning {
        Planning::EachTime => {
            "SELECT set_config('enable_seqscan', 'off', false), \
                set_config('plan_cache_mode', 'force_custom_plan', false)"
        }
        Planning::Once => {
            "SELECT set_config('enable_seqscan', 'off', false), set_config('enable_hashjoin', 'off', false), \
                set_config('enable_mergejoin', 'off', false), \
                set_config('plan_cache_mode', 'force_generic_plan', false)"
        }
    };
    sqlx::query(settings).execute(&mut *connection).await?;
    Ok(())
}

/// Connections that find rows only by key, planned as `planning` says,
/// within `budget`.
fn by_key_connections(
    budget: &Arc<Budget<PgConnection>>,
    options: &PgConnectOptions,
    planning: Planning,
) -> Connections<PgConnection> {
    let options = options.clone();
    budget.kind(Box::new(move || {
        let options = options.clone();
        Box::pin(async move {
            let mut connection = options.connect().await?;
            by_key_only(&mut connection, planning).await?;
            Ok(connection)
        })
    }))
}

/// Identities, and for conversation saves their states, as the statements
/// take them: a column per array, which travels in binary (states are
/// neither escaped nor parsed again).
#[derive(Default)]
pub(super) struct IdentityColumns<'a> {
    pub(super) platforms: Vec<&'a str>,
    pub(super) user_ids: Vec<&'a str>,
    /// Only for saves.
    pub(super) states: Vec<&'a str>,
    /// Only for saves.
    pub(super) updated_at: Vec<DateTime<Utc>>,
}

impl<'a> IdentityColumns<'a> {
    pub(super) fn push(&mut self, who: &'a Identity, saved: Option<(&'a str, DateTime<Utc>)>) {
        self.platforms.push(who.platform.as_str());
        self.user_ids.push(who.user_id.as_str());
        if let Some((state, at)) = saved {
            self.states.push(state);
            self.updated_at.push(at);
        }
    }
}
