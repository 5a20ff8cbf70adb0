//! Nothing acknowledged is lost, even when the database goes away under the
//! bot: a SQLite file deleted while the bot runs makes it refuse (with the
//! usual apology) rather than thank signers into a file that is gone, the
//! next start says when an earlier database has gone missing, and after a
//! PostgreSQL server restarts supporters carry on without an apology.

use crate::support;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::support::{TestApp, TestDatabase, telegram, text_of};
use petition::test_kit::database;

/// A console whose answers are typed one at a time, reading what it says.
struct Console {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
    transcript: String,
}

impl Console {
    fn start(folder: &Path) -> Self {
        let mut child = support::petition_binary(folder)
            .arg("console")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    return;
                }
            }
        });
        Self {
            child,
            stdin,
            lines,
            transcript: String::new(),
        }
    }

    /// Types a line and waits until the console's answer contains one of
    /// `expected`.
    fn say(&mut self, line: &str, expected: &[&str]) -> String {
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
        let mut answer = String::new();
        while !expected.iter().any(|e| answer.contains(e)) {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(20))
                .unwrap_or_else(|_| panic!("no {expected:?} after {line:?}: {}{answer}", self.transcript));
            answer.push_str(&line);
            answer.push('\n');
        }
        self.transcript.push_str(&answer);
        answer
    }

    /// Ends the input and returns what was logged.
    fn quit(self) -> String {
        drop(self.stdin);
        let output = self.child.wait_with_output().unwrap();
        String::from_utf8_lossy(&output.stderr).into_owned()
    }
}

#[test]
fn a_database_folder_removed_while_signing_is_refused_not_thanked() {
    let folder = tempfile::tempdir().unwrap();
    let data = folder.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let mut console = Console::start(&data);
    // Each answer is read up to its choices, the reply's last line.
    console.say("sign", &["(cancel)"]);
    console.say("Ada Lovelace", &["(cancel)"]);
    console.say("ada@example.org", &["(cancel)"]);
    console.say("SW1A 1AA", &["(cancel)"]);
    // The console is not asked about updates: the review comes next.
    console.say("yes", &["(cancel)"]);
    std::fs::remove_dir_all(&data).unwrap();
    std::fs::create_dir(&data).unwrap();
    let confirmed = console.say("confirm", &["Sorry", "Thank you"]);
    assert!(confirmed.contains("Sorry, something went wrong"), "{confirmed}");
    assert!(!confirmed.contains("Thank you"), "{confirmed}");
    let status = console.say("status", &["Sorry", "signed"]);
    assert!(!status.contains("You signed"), "{status}");
    let log = console.quit();
    assert!(log.contains("the database file was deleted or replaced"), "{log}");
    assert!(!log.contains("Ada"), "no personal data in the log: {log}");
}

#[test]
fn a_missing_database_beside_traces_of_an_earlier_one_is_reported_at_start() {
    let folder = tempfile::tempdir().unwrap();
    let first = support::petition_binary(folder.path()).arg("stats").output().unwrap();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(
        !String::from_utf8_lossy(&first.stderr).contains("missing"),
        "a first run creates the database silently: {}",
        String::from_utf8_lossy(&first.stderr)
    );
    std::fs::remove_file(folder.path().join("petition.db")).unwrap();
    let again = support::petition_binary(folder.path()).arg("stats").output().unwrap();
    let log = String::from_utf8_lossy(&again.stderr);
    assert!(log.contains("the database file is missing"), "{log}");
    assert!(log.contains("restore the file from a backup"), "{log}");
}

#[test]
fn an_emptied_database_beside_its_lock_file_stops_every_command_and_no_new_one_is_made() {
    let folder = tempfile::tempdir().unwrap();
    let first = support::petition_binary(folder.path()).arg("stats").output().unwrap();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let database = folder.path().join("petition.db");
    std::fs::File::create(&database).unwrap(); // truncated to nothing
    for command in [&["stats"][..], &["recount"], &["console"], &["run"]] {
        let output = support::petition_binary(folder.path())
            .args(command)
            .env("PETITION_WEB__LISTEN", "127.0.0.1:0")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&output.stderr);
        assert!(
            !output.status.success(),
            "{command:?} must not start on an emptied database: {log}"
        );
        assert!(log.contains("the database file is empty"), "{command:?}: {log}");
        assert!(log.contains("restore the file from a backup"), "{command:?}: {log}");
        assert_eq!(
            std::fs::metadata(&database).unwrap().len(),
            0,
            "{command:?} made a new database"
        );
    }
}

#[test]
fn a_database_moved_away_while_signing_leaves_no_new_file_and_the_next_start_says_so() {
    let folder = tempfile::tempdir().unwrap();
    let data = folder.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let mut console = Console::start(&data);
    console.say("sign", &["(cancel)"]);
    console.say("Ada Lovelace", &["(cancel)"]);
    let database = data.join("petition.db");
    std::fs::rename(&database, folder.path().join("moved.db")).unwrap();
    let next = console.say("ada@example.org", &["Sorry", "(cancel)"]);
    assert!(!next.contains("Thank you"), "{next}");
    let confirmed = console.say("status", &["Sorry", "signed"]);
    assert!(!confirmed.contains("You signed"), "{confirmed}");
    console.quit();
    assert!(!database.exists(), "no new database was made where the moved one was");
    let again = support::petition_binary(&data).arg("stats").output().unwrap();
    let log = String::from_utf8_lossy(&again.stderr);
    assert!(!again.status.success(), "{log}");
    assert!(log.contains("the database file is missing"), "{log}");
    assert!(!database.exists(), "stats made no new database either");
}

/// A PostgreSQL server of the test's own, on a port of its own, which the
/// test may stop and start (the shared server is never stopped).
struct OwnPostgres {
    folder: tempfile::TempDir,
    port: u16,
}

impl OwnPostgres {
    /// Starts one, or `None` where the PostgreSQL half is skipped (see
    /// `petition::test_kit::database`) or PostgreSQL's programs are not
    /// installed; where PostgreSQL is required, either is a failure.
    fn start() -> Option<Self> {
        database::postgres_server()?;
        let bin = Path::new("/usr/lib/postgresql/15/bin");
        if !bin.join("initdb").exists() {
            assert!(
                !database::postgres_required(),
                "PostgreSQL is required, but its programs are not in {}",
                bin.display()
            );
            return None;
        }
        let folder = tempfile::tempdir().unwrap();
        let port = support::unused_port();
        let server = Self { folder, port };
        std::process::Command::new("chown")
            .args(["-R", "postgres"])
            .arg(server.folder.path())
            .status()
            .unwrap();
        server.as_postgres(&[
            bin.join("initdb").to_str().unwrap(),
            "-D",
            server.data().to_str().unwrap(),
            "-A",
            "trust",
            "-U",
            "postgres",
        ]);
        server.ctl("start");
        Some(server)
    }

    fn data(&self) -> std::path::PathBuf {
        self.folder.path().join("data")
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn ctl(&self, action: &str) {
        let options = format!("-p {} -k {} -c fsync=off", self.port, self.folder.path().display());
        self.as_postgres(&[
            "/usr/lib/postgresql/15/bin/pg_ctl",
            "-D",
            self.data().to_str().unwrap(),
            "-o",
            &options,
            "-w",
            "-l",
            self.folder.path().join("log").to_str().unwrap(),
            action,
        ]);
    }

    fn as_postgres(&self, command: &[&str]) {
        let status = std::process::Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .args(command)
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "{command:?}");
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let _ = std::process::Command::new("runuser")
            .args(["-u", "postgres", "--", "/usr/lib/postgresql/15/bin/pg_ctl", "-D"])
            .arg(self.data())
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_postgres_restarts_supporters_carry_on_without_an_apology() {
    let Some(server) = OwnPostgres::start() else {
        return;
    };
    let database = TestDatabase::on_server(&server.url()).await;
    let app = TestApp::spawn_on(database).await;
    // Several supporters part-way through, so every writer has a connection.
    let supporters: Vec<_> = (1..=8).map(telegram).collect();
    for who in &supporters {
        app.start(who, None).await;
        app.say(who, "sign").await;
        app.say(who, &format!("Supporter {}", who.user_id)).await;
    }
    server.ctl("restart");
    for who in &supporters {
        let asked = text_of(&app.say(who, &format!("s{}@example.org", who.user_id)).await);
        assert!(asked.contains("postcode"), "{asked}");
    }
    for who in &supporters {
        for answer in ["SW1A 1AA", "yes", "no"] {
            let replies = text_of(&app.say(who, answer).await);
            assert!(!replies.contains("Sorry"), "{replies}");
        }
        let thanks = text_of(&app.say(who, "confirm").await);
        assert!(thanks.contains("Thank you"), "{thanks}");
    }
    assert_eq!(app.total().await, 8);
}
