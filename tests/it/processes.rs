//! Many `petition` processes at once, and a database that is not there:
//! concurrent first starts on one fresh database all succeed, a short-lived
//! command holds at most two PostgreSQL connections, and a PostgreSQL server
//! that cannot be reached is reported at once, plainly and once.

use crate::support;

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Backend, TestDatabase};

const SIGNING: &str = "sign\nAda Lovelace\nada@example.org\nSW1A 1AA\nyes\nconfirm\n";

fn petition(folder: &Path, database_url: &str) -> Command {
    let mut command = support::petition_binary(folder);
    command.env("DATABASE_URL", database_url);
    command
}

fn spawn_console(folder: &Path, database_url: &str, user: &str) -> Child {
    petition(folder, database_url)
        .args(["console", "--as", user])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts")
}

fn finish(mut child: Child, input: &str) -> Output {
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("answers are written");
    child.wait_with_output().expect("the binary finishes")
}

/// Waits for a child, up to `limit`; kills it and fails if it is still
/// running then.
fn wait_at_most(mut child: Child, limit: Duration) -> Output {
    let started = Instant::now();
    loop {
        if child.try_wait().expect("the child can be waited for").is_some() {
            return child.wait_with_output().expect("its output");
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

async fn consoles_started_together_on_a_fresh_database_all_sign(backend: Backend, consoles: usize) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();
    let children: Vec<Child> = (0..consoles)
        .map(|n| spawn_console(folder.path(), &database.url, &format!("supporter-{n}")))
        .collect();
    for (n, child) in children.into_iter().enumerate() {
        let signing = SIGNING.replace("ada@example.org", &format!("ada{n}@example.org"));
        let output = finish(child, &signing);
        assert!(output.status.success(), "process {n}: {}", stderr(&output));
        assert!(
            stdout(&output).contains("Thank you, Ada Lovelace!"),
            "process {n}: {}",
            stdout(&output)
        );
    }
    let total = petition(folder.path(), &database.url).arg("stats").output().unwrap();
    assert!(
        stdout(&total).contains(&format!("{consoles} of 10,000")),
        "{}{}",
        stdout(&total),
        stderr(&total)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_consoles_started_together_on_a_fresh_sqlite_file_all_sign() {
    consoles_started_together_on_a_fresh_database_all_sign(Backend::Sqlite, 50).await;
}

/// Twenty, not fifty: each console may hold two connections, and fifty
/// would take the shared test server's hundred while other tests need some.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_consoles_started_together_on_a_fresh_postgres_database_all_sign() {
    consoles_started_together_on_a_fresh_database_all_sign(Backend::Postgres, 20).await;
}

/// Connections the server has open to the test's database, other than `admin`.
async fn connections_to(admin: &mut sqlx::PgConnection) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_one(admin)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_holds_at_most_two_postgres_connections_while_signing() {
    let Some(database) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&database.url)
        .await
        .unwrap();
    let mut console = spawn_console(folder.path(), &database.url, "ada");
    let mut stdin = console.stdin.take().unwrap();
    // Every answer, then a status and a total, with the console left open
    // afterwards so that whatever it opened is still open when counted.
    let mut most = 0;
    for line in SIGNING.lines().chain(["status", "total", "mydata"]) {
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
        for _ in 0..5 {
            tokio::time::sleep(Duration::from_millis(40)).await;
            most = most.max(connections_to(&mut admin).await);
        }
    }
    assert!(most >= 1, "the console was connected");
    assert!(most <= 2, "a console held {most} connections");
    drop(stdin);
    let output = wait_at_most(console, Duration::from_secs(30));
    assert!(stdout(&output).contains("You signed"), "{}", stdout(&output));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_export_and_recount_each_hold_at_most_two_postgres_connections() {
    let Some(database) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();
    let signed = finish(spawn_console(folder.path(), &database.url, "ada"), SIGNING);
    assert!(signed.status.success(), "{}", stderr(&signed));
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&database.url)
        .await
        .unwrap();
    for command in ["stats", "export", "recount"] {
        let child = petition(folder.path(), &database.url)
            .arg(command)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut most = 0;
        let started = Instant::now();
        let mut child = Some(child);
        while let Some(running) = child.as_mut() {
            most = most.max(connections_to(&mut admin).await);
            if running.try_wait().unwrap().is_some() || started.elapsed() > Duration::from_secs(30) {
                let output = child.take().unwrap().wait_with_output().unwrap();
                assert!(output.status.success(), "{command}: {}", stderr(&output));
            }
        }
        assert!(most <= 2, "{command} held {most} connections");
    }
}

#[test]
fn an_unreachable_postgres_server_is_reported_at_once_plainly_and_once() {
    let folder = tempfile::tempdir().unwrap();
    // A port nothing listens on.
    let port = support::unused_port();
    let url = format!("postgres://petition:Sup3rSecret@127.0.0.1:{port}/petition");
    for command in [&["stats"][..], &["console"], &["run"]] {
        let child = petition(folder.path(), &url)
            .args(command)
            .env("TELEGRAM_BOT_TOKEN", "123456:ABC")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let output = wait_at_most(child, Duration::from_secs(10));
        let message = stderr(&output);
        assert!(!output.status.success(), "{command:?}: {message}");
        let expected = format!("could not connect to PostgreSQL at 127.0.0.1:{port}: connection refused");
        assert_eq!(message.matches(&expected).count(), 1, "{command:?}: {message}");
        assert_eq!(
            message.matches("connection refused").count(),
            1,
            "the cause is printed once: {message}"
        );
        assert!(!message.contains("Sup3rSecret"), "{message}");
    }
}

#[test]
fn an_error_and_its_causes_are_printed_once() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("petition.db"), b"this is not a database file at all").unwrap();
    let url = format!("sqlite://{}", folder.path().join("petition.db").display());
    for command in ["console", "stats"] {
        let output = petition(folder.path(), &url)
            .arg(command)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let message = stderr(&output);
        assert!(!output.status.success(), "{command}: {message}");
        assert_eq!(
            message.matches("file is not a database").count(),
            1,
            "{command}: {message}"
        );
    }
}
