//! What a signer withdraws, or what is deleted with a cancelled or abandoned
//! conversation, is gone from the disk too: SQLite's files hold none of its
//! bytes once the storage has closed, and PostgreSQL vacuums the tables.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::support::{Backend, TestApp, telegram, text_of};

const NAME: &str = "Quentin Zebulon Farquharson";
const EMAIL: &str = "qzf.withdrawn@example.org";
const POSTCODE: &str = "KT22 7QJ";
const DISTRICT: &str = "KT22";

/// The SQLite file and whatever SQLite keeps beside it.
fn database_files(folder: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect()
}

/// Which of the personal values' bytes appear in any of the files.
fn personal_data_on_disk(folder: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for file in database_files(folder) {
        let bytes = std::fs::read(&file).unwrap();
        for value in [NAME, EMAIL, DISTRICT, "Quentin"] {
            if bytes.windows(value.len()).any(|window| window == value.as_bytes()) {
                found.push(format!("{value:?} in {}", file.display()));
            }
        }
    }
    found
}

fn sqlite_folder(app: &TestApp) -> PathBuf {
    let path = app.database.url.trim_start_matches("sqlite://");
    Path::new(path).parent().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawn_signature_leaves_no_trace_in_the_sqlite_files() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let quentin = telegram(1);
    let thanks = text_of(&app.sign(&quentin, NAME, EMAIL, POSTCODE).await);
    assert!(thanks.contains("Thank you"), "{thanks}");
    let folder = sqlite_folder(&app);
    assert!(
        !personal_data_on_disk(&folder).is_empty(),
        "the signature is on disk before it is withdrawn"
    );
    app.say(&quentin, "withdraw").await;
    let done = text_of(&app.say(&quentin, "yes").await);
    assert!(done.contains("have been deleted"), "{done}");
    app.storage.close().await;
    let found = personal_data_on_disk(&folder);
    assert!(found.is_empty(), "{found:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_conversation_leaves_no_trace_in_the_sqlite_files() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let quentin = telegram(2);
    app.start(&quentin, None).await;
    app.say(&quentin, "sign").await;
    app.say(&quentin, NAME).await;
    app.say(&quentin, EMAIL).await;
    app.say(&quentin, POSTCODE).await;
    let cancelled = text_of(&app.say(&quentin, "cancel").await);
    assert!(cancelled.contains("Nothing you typed has been kept"), "{cancelled}");
    app.storage.close().await;
    let found = personal_data_on_disk(&sqlite_folder(&app));
    assert!(found.is_empty(), "{found:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_conversation_leaves_no_trace_in_the_sqlite_files_once_forgotten() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let quentin = telegram(3);
    app.start(&quentin, None).await;
    app.say(&quentin, "sign").await;
    app.say(&quentin, NAME).await;
    app.say(&quentin, EMAIL).await;
    app.clock.advance(chrono::Duration::hours(25));
    assert_eq!(app.engine.forget_abandoned_conversations().await.unwrap(), 1);
    app.storage.close().await;
    let found = personal_data_on_disk(&sqlite_folder(&app));
    assert!(found.is_empty(), "{found:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erased_data_is_cleared_from_the_sqlite_log_soon_while_the_bot_runs() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let quentin = telegram(4);
    app.sign(&quentin, NAME, EMAIL, POSTCODE).await;
    app.say(&quentin, "withdraw").await;
    app.say(&quentin, "yes").await;
    // Still running: the eraser clears the log shortly after the erasure.
    let folder = sqlite_folder(&app);
    let mut found = personal_data_on_disk(&folder);
    for _ in 0..100 {
        if found.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        found = personal_data_on_disk(&folder);
    }
    assert!(found.is_empty(), "{found:?}");
    // And the bot carries on.
    let other = telegram(5);
    assert!(text_of(&app.sign(&other, "Ada Lovelace", "ada@example.org", "SW1A 1AA").await).contains("Thank you"));
}

#[test]
fn a_console_signer_who_withdraws_leaves_no_trace_in_the_files_after_exit() {
    let folder = tempfile::tempdir().unwrap();
    let script = format!("sign\n{NAME}\n{EMAIL}\n{POSTCODE}\nyes\nconfirm\nwithdraw\nyes\n");
    let mut console = support::petition_binary(folder.path());
    console.arg("console");
    let output = support::run_with_input(console, script);
    let transcript = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(transcript.contains("have been deleted"), "{transcript}");
    assert!(
        !folder.path().join("petition.db-wal").exists(),
        "the write-ahead log is not left behind"
    );
    let found = personal_data_on_disk(folder.path());
    assert!(found.is_empty(), "{found:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_vacuums_the_tables_after_a_withdrawal() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    let quentin = telegram(6);
    app.sign(&quentin, NAME, EMAIL, POSTCODE).await;
    app.say(&quentin, "withdraw").await;
    app.say(&quentin, "yes").await;
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&app.database.url)
        .await
        .unwrap();
    let mut vacuumed = false;
    for _ in 0..100 {
        let last: Option<chrono::DateTime<chrono::Utc>> =
            sqlx::query_scalar("SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = 'signatures'")
                .fetch_one(&mut admin)
                .await
                .unwrap();
        if last.is_some() {
            vacuumed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(vacuumed, "the signatures table was vacuumed after the withdrawal");
    let dead: i64 = sqlx::query_scalar("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'signatures'")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(dead, 0, "no dead tuple of the signature is left");
}

/// Whether any tuple or index entry in a relation's pages (dead ones too,
/// as pageinspect shows them) holds one of the personal values.
async fn personal_data_in_pages(admin: &mut sqlx::PgConnection, relation: &str, index: bool) -> Vec<String> {
    let pages: i64 = sqlx::query_scalar("SELECT pg_relation_size($1::regclass) / 8192")
        .bind(relation)
        .fetch_one(&mut *admin)
        .await
        .unwrap();
    let mut found = Vec::new();
    // An index's first page is its metapage.
    for page in i64::from(index)..pages {
        let sql = if index {
            "SELECT data FROM bt_page_items(get_raw_page($1, $2::int))"
        } else {
            "SELECT encode(t_data, 'hex') FROM heap_page_items(get_raw_page($1, $2::int)) WHERE t_data IS NOT NULL"
        };
        let items: Vec<Option<String>> = sqlx::query_scalar(sql)
            .bind(relation)
            .bind(page)
            .fetch_all(&mut *admin)
            .await
            .unwrap();
        for hex in items.into_iter().flatten() {
            // bt_page_items spaces its bytes out; t_data's encoding does not.
            let hex: String = hex.chars().filter(|c| !c.is_whitespace()).collect();
            let bytes: Vec<u8> = (0..hex.len() / 2)
                .filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
                .collect();
            for value in [NAME, EMAIL] {
                if bytes.windows(value.len()).any(|window| window == value.as_bytes()) {
                    found.push(format!("{value:?} in {relation} page {page}"));
                }
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawal_and_an_anonymising_from_short_lived_commands_leave_no_tuple_behind_in_postgres() {
    let Some(database) = support::TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();
    let console = |script: String| {
        let mut console = support::petition_binary(folder.path());
        console
            .env("DATABASE_URL", &database.url)
            .args(["console", "--as", "quentin"]);
        support::run_with_input(console, script)
    };
    let signed = console(format!("sign\n{NAME}\n{EMAIL}\n{POSTCODE}\nyes\nconfirm\n"));
    assert!(String::from_utf8_lossy(&signed.stdout).contains("Thank you"));
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&database.url)
        .await
        .unwrap();
    sqlx::raw_sql("CREATE EXTENSION IF NOT EXISTS pageinspect")
        .execute(&mut admin)
        .await
        .unwrap();
    assert!(
        !personal_data_in_pages(&mut admin, "signatures", false).await.is_empty(),
        "the signature is in the heap before it is withdrawn"
    );
    let withdrawn = console("withdraw\nyes\n".to_owned());
    assert!(String::from_utf8_lossy(&withdrawn.stdout).contains("have been deleted"));
    // No `petition run` is up: the command itself cleared what it erased.
    let mut found = personal_data_in_pages(&mut admin, "signatures", false).await;
    found.extend(personal_data_in_pages(&mut admin, "signatures_one_per_email", true).await);
    found.extend(personal_data_in_pages(&mut admin, "conversations", false).await);
    assert!(found.is_empty(), "after a withdrawal at the console: {found:?}");

    // Signed again, then forgotten by `petition anonymise` after closing.
    let signed = console(format!("sign\n{NAME}\n{EMAIL}\n{POSTCODE}\nyes\nconfirm\n"));
    assert!(String::from_utf8_lossy(&signed.stdout).contains("Thank you"));
    for command in [&["close", "--yes"][..], &["anonymise"]] {
        let output = support::petition_binary(folder.path())
            .env("DATABASE_URL", &database.url)
            .args(command)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{command:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let mut found = personal_data_in_pages(&mut admin, "signatures", false).await;
    found.extend(personal_data_in_pages(&mut admin, "signatures_one_per_email", true).await);
    assert!(found.is_empty(), "after petition anonymise: {found:?}");
}
