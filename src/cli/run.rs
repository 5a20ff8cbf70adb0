//! `petition run`: every bot whose token is configured, until a signal.

use std::future::Future;

use anyhow::Context;
use petition::config::Settings;
use petition::startup::App;
use tracing::warn;

/// The exit status after a second signal cut a stop short: that of a
/// process interrupted by Ctrl-C.
const EXIT_INTERRUPTED: i32 = 130;

/// Runs the bots until Ctrl-C or SIGTERM, then stops them cleanly.
pub(super) async fn run(settings: Settings) -> anyhow::Result<()> {
    // Listening from the start, so that a signal while the database
    // opens or a bot starts is a clean stop, not a sudden exit.
    let shutdown = listen_for_signals().context("could not listen for Ctrl-C and SIGTERM")?;
    let app = App::build(settings).await?;
    app.run(shutdown).await
}

/// Listens for Ctrl-C (SIGINT) and SIGTERM for the rest of the process. The
/// returned future completes on the first, which asks for a clean stop; a
/// second, while that stop is under way, exits the process at once.
fn listen_for_signals() -> std::io::Result<impl Future<Output = ()>> {
    let mut signals = Signals::new()?;
    let (first, first_received) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        signals.next().await;
        let _ = first.send(());
        signals.next().await;
        // Someone is waiting for the process to go and has said so twice.
        // Nothing acknowledged is lost: writes are acknowledged only once
        // committed.
        warn!("a second signal while stopping: exiting at once");
        std::process::exit(EXIT_INTERRUPTED);
    });
    Ok(async move {
        let _ = first_received.await;
    })
}

/// SIGINT and SIGTERM, registered when made so that none is missed (and the
/// default action, an exit without cleaning up, never runs).
#[cfg(unix)]
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn new() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    async fn next(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}

/// Ctrl-C.
#[cfg(not(unix))]
struct Signals {
    ctrl_c: tokio::signal::windows::CtrlC,
}

#[cfg(not(unix))]
impl Signals {
    fn new() -> std::io::Result<Self> {
        Ok(Self {
            ctrl_c: tokio::signal::windows::ctrl_c()?,
        })
    }

    async fn next(&mut self) {
        self.ctrl_c.recv().await;
    }
}
