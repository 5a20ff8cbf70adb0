//! Shared test harness. The application on a fresh database and the
//! helpers that talk to it as an adapter does are the test kit's
//! (`petition::test_kit::app`, shared with the engine's unit tests), as are
//! the fakes of Telegram and Discord; they are re-exported here, beside
//! what only the integration tests need: the `petition` binary, processes
//! of their own, and a real SMTP server (`smtp.rs`).

#![allow(dead_code)]

pub(crate) mod smtp;

#[allow(unused_imports)]
pub(crate) use petition::test_kit::app::{
    TestApp, change_campaign, choice_data, console, discord, organiser, settings_for, telegram, test_start, text_of,
};
#[allow(unused_imports)]
pub(crate) use petition::test_kit::{Backend, TestDatabase, fake_discord, fake_telegram};
/// `#[on_both_databases]` on an `async fn NAME(app: TestApp)` runs its
/// body as two tests, `NAME::sqlite` and `NAME::postgres`, each on a fresh
/// database.
pub(crate) use petition_test_macros::{in_a_process_of_its_own, on_both_databases};

/// A loopback port nothing listens on: free a moment ago, for a server of
/// the test's own or for one that must not answer.
pub(crate) fn unused_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// Runs `command` with `input` typed into it and the input then closed,
/// to the end; what it printed and how it ended.
pub(crate) fn run_with_input(mut command: std::process::Command, input: impl AsRef<[u8]>) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_ref())
        .expect("answers are written");
    child.wait_with_output().expect("the binary finishes")
}

/// The `petition` binary, run in `folder` with a SQLite database there and
/// no bot tokens or PETITION_ settings inherited from the environment.
pub(crate) fn petition_binary(folder: &std::path::Path) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_petition"));
    command.current_dir(folder);
    for (key, _) in std::env::vars() {
        if key.starts_with("PETITION_") || key.ends_with("_BOT_TOKEN") || key == "DATABASE_URL" {
            command.env_remove(key);
        }
    }
    command
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", folder.join("petition.db").display()),
        )
        .env("RUST_LOG", "warn");
    command
}

/// Set in a process started by [`runs_here`] to the one test it runs.
const ALONE: &str = "PETITION_TEST_ALONE";

/// Whether this process runs the test `test` of `module` (its
/// `module_path!()`): yes when it was started for that test alone;
/// otherwise it starts this test binary again for that test alone, fails
/// if the test fails there, and says no. The metrics registry belongs to
/// the whole process, and every test in this one binary writes to it; a
/// test that reads it runs where only it writes.
pub(crate) async fn runs_here(module: &str, test: &str) -> bool {
    let path = module.split_once("::").map_or(module, |(_, path)| path);
    let name = format!("{path}::{test}");
    if std::env::var(ALONE).as_deref() == Ok(name.as_str()) {
        return true;
    }
    let mut alone = std::process::Command::new(std::env::current_exe().expect("the test binary's path"));
    alone
        .args([name.as_str(), "--exact", "--test-threads=1"])
        .env(ALONE, &name);
    let output = tokio::task::spawn_blocking(move || alone.output())
        .await
        .expect("the wait for the test ends")
        .expect("the test binary starts again");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("test result: ok. 1 passed"),
        "{name}, run in a process of its own:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    false
}
