//! A real SMTP server for the tests: aiosmtpd (`tests/smtp/server.py`),
//! with STARTTLS required and authentication, on a loopback port, in the
//! Python environment the README's test command makes (`tests/smtp/.venv`).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use petition::config::{EmailSettings, Secret};
use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

/// The user the server lets in.
pub(crate) const USER: &str = "petition";
/// Their password.
pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// A message the server accepted.
#[derive(Debug, Deserialize)]
pub(crate) struct Received {
    /// The envelope's sender.
    pub from: String,
    /// The envelope's recipients.
    pub to: Vec<String>,
    /// The message as it arrived, headers and all.
    pub data: String,
    /// Whether it came over TLS.
    pub tls: bool,
    /// Who had authenticated (`false` when nobody had).
    pub user: serde_json::Value,
}

/// The running server; stopped when dropped.
pub(crate) struct SmtpServer {
    _child: Child,
    port: u16,
    ca: PathBuf,
    received: mpsc::UnboundedReceiver<Received>,
    _folder: tempfile::TempDir,
}

impl SmtpServer {
    /// Starts the server and waits until it listens.
    pub(crate) async fn start() -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let python = root.join("tests/smtp/.venv/bin/python");
        assert!(
            python.exists(),
            "{} is missing: the README's test command (scripts/test) makes it",
            python.display()
        );
        let folder = tempfile::tempdir().expect("a folder for the certificate");
        let ca = folder.path().join("ca.pem");
        let mut child = Command::new(python)
            .arg(root.join("tests/smtp/server.py"))
            .arg(&ca)
            .arg(USER)
            .arg(PASSWORD)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("the SMTP server starts");
        let mut lines = BufReader::new(child.stdout.take().expect("its output")).lines();
        let port = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                let line = lines
                    .next_line()
                    .await
                    .expect("its output")
                    .expect("it says when it is ready");
                if let Some(port) = line.strip_prefix("ready ") {
                    return port.trim().parse::<u16>().expect("a port");
                }
            }
        })
        .await
        .expect("the SMTP server is ready within 30 s");
        let (sender, received) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                if line.starts_with('{') {
                    let _ = sender.send(serde_json::from_str(&line).expect("a message as JSON"));
                }
            }
        });
        Self {
            _child: child,
            port,
            ca,
            received,
            _folder: folder,
        }
    }

    /// Settings for sending through this server, trusting its authority.
    pub(crate) fn settings(&self) -> EmailSettings {
        EmailSettings {
            server: Secret::new(format!("smtp://{USER}@127.0.0.1:{}", self.port)),
            password: Secret::new(PASSWORD),
            from: "Keep the unit open <petition@example.org>".to_owned(),
            reply_to: String::new(),
            per_second: 10,
            root_certificate: self.ca.display().to_string(),
        }
    }

    /// The next message the server accepts.
    pub(crate) async fn next_message(&mut self) -> Received {
        tokio::time::timeout(Duration::from_secs(10), self.received.recv())
            .await
            .expect("a message arrives within 10 s")
            .expect("the server still runs")
    }

    /// Whether a message arrives within `wait`.
    pub(crate) async fn anything_within(&mut self, wait: Duration) -> bool {
        tokio::time::timeout(wait, self.received.recv()).await.is_ok()
    }
}
