//! Fresh databases for one test or one benchmark run: a SQLite file in a
//! temporary folder, or a database of its own on the PostgreSQL server at
//! `PETITION_TEST_POSTGRES_URL`, dropped afterwards.
//!
//! Without that variable the PostgreSQL half of the tests is skipped, so
//! `cargo test` works on a machine without PostgreSQL. Where a skipped half
//! would hide a lost server (CI), `PETITION_TEST_REQUIRE_POSTGRES=1` makes
//! it a failure instead. A server that is named but cannot be reached is
//! always a failure.

use anyhow::Context;
use sqlx::Connection;

/// The variable naming the PostgreSQL server that tests make their
/// databases on.
pub const POSTGRES_URL_VARIABLE: &str = "PETITION_TEST_POSTGRES_URL";

/// The variable that makes a PostgreSQL half without a server an error:
/// set to anything but empty or `0`.
pub const REQUIRE_POSTGRES_VARIABLE: &str = "PETITION_TEST_REQUIRE_POSTGRES";

/// Which database a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL database.
    Postgres,
}

/// Whether the PostgreSQL half must run: [`REQUIRE_POSTGRES_VARIABLE`] is set.
pub fn postgres_required() -> bool {
    std::env::var_os(REQUIRE_POSTGRES_VARIABLE).is_some_and(|value| !value.is_empty() && value != "0")
}

/// The PostgreSQL server to make databases on, from
/// [`POSTGRES_URL_VARIABLE`]; `None` when it is not set, after saying on
/// standard error that the PostgreSQL run is skipped.
///
/// # Panics
///
/// When it is not set but [`postgres_required`]: the PostgreSQL half would
/// otherwise pass without having run.
pub fn postgres_server() -> Option<String> {
    if let Ok(server) = std::env::var(POSTGRES_URL_VARIABLE) {
        return Some(server);
    }
    if postgres_required() {
        panic!(
            "{REQUIRE_POSTGRES_VARIABLE} is set but {POSTGRES_URL_VARIABLE} is not, so the PostgreSQL run \
             would be skipped: set it to a server's URL, such as postgres://postgres@127.0.0.1:5432/postgres"
        );
    }
    eprintln!("{POSTGRES_URL_VARIABLE} is not set: skipping the PostgreSQL run");
    None
}

/// A database that exists for one test (or benchmark run) and is removed
/// when this is dropped.
pub struct TestDatabase {
    /// Its URL, for `database.url`.
    pub url: String,
    /// Keeps the SQLite file's folder alive.
    _folder: Option<tempfile::TempDir>,
    /// The PostgreSQL server URL and the database name, for dropping it.
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    /// A fresh database; `None` when PostgreSQL is asked for and
    /// [`postgres_server`] names none.
    ///
    /// # Panics
    ///
    /// When the database cannot be made, or PostgreSQL is required and not
    /// named (see [`postgres_server`]).
    pub async fn create(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => Some(Self::sqlite().unwrap_or_else(|error| panic!("{error:#}"))),
            Backend::Postgres => Some(Self::on_server(&postgres_server()?).await),
        }
    }

    /// A SQLite file in a temporary folder of its own.
    pub fn sqlite() -> anyhow::Result<Self> {
        let folder = tempfile::tempdir().context("could not make a temporary folder")?;
        Ok(Self {
            url: format!("sqlite://{}", folder.path().join("petition.db").display()),
            _folder: Some(folder),
            postgres: None,
        })
    }

    /// A fresh database on the PostgreSQL server at `server`.
    ///
    /// # Panics
    ///
    /// When the server cannot be reached or refuses to make it.
    pub async fn on_server(server: &str) -> Self {
        Self::try_on_server(server)
            .await
            .unwrap_or_else(|error| panic!("{error:#}"))
    }

    /// [`TestDatabase::on_server`], with an error rather than a panic when
    /// it cannot be made.
    pub async fn try_on_server(server: &str) -> anyhow::Result<Self> {
        let name = format!("petition_test_{}", random_suffix());
        let mut admin = sqlx::PgConnection::connect(server)
            .await
            .context("could not reach the PostgreSQL server (it must be running)")?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .context("could not create a test database")?;
        let _ = admin.close().await;
        Ok(Self {
            url: with_database(server, &name),
            _folder: None,
            postgres: Some((server.to_owned(), name)),
        })
    }

    /// Which kind of database it is.
    pub fn backend(&self) -> Backend {
        match self.postgres {
            Some(_) => Backend::Postgres,
            None => Backend::Sqlite,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((server, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs outside any runtime guarantee; use a thread of our own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async {
                if let Ok(mut admin) = sqlx::PgConnection::connect(&server).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut admin)
                    .await;
                }
            });
        })
        .join();
    }
}

fn random_suffix() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..12)
        .map(|_| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[rng.random_range(0..36)]))
        .collect()
}

/// The server URL with its database replaced by `name`.
fn with_database(server: &str, name: &str) -> String {
    let (base, query) = server.split_once('?').map_or((server, None), |(b, q)| (b, Some(q)));
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let base = match base[after_scheme..].find('/') {
        Some(slash) => &base[..after_scheme + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_url_gets_the_test_database_in_place_of_its_own() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u:p@host/db?sslmode=disable", "t1"),
            "postgres://u:p@host/t1?sslmode=disable"
        );
        assert_eq!(with_database("postgres://host:5432", "t1"), "postgres://host:5432/t1");
    }
}
