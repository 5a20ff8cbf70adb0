//! `petition`: runs the bots, the terminal console, and organisers'
//! commands; each command is a file of `cli/`.

mod cli;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use petition::config::Settings;
use petition::telemetry;

use crate::cli::{Cli, Command};

/// Signing at volume allocates many small, short-lived strings; mimalloc
/// handles that with less CPU than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How long tasks still running after the command has finished may hold
/// the exit: a DNS lookup, say, on one of the runtime's blocking threads,
/// for an API that cannot be reached.
const EXIT_WITHIN: Duration = Duration::from_secs(1);

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: could not start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(run_command());
    runtime.shutdown_timeout(EXIT_WITHIN);
    code
}

async fn run_command() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Run);
    telemetry::init(command.log_level());
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    match command.execute(settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", describe(&error));
            ExitCode::FAILURE
        }
    }
}

/// An error and its causes on one line, each said once: many errors repeat
/// their cause's message in their own, and printing the chain as it is would
/// then say the same thing two or three times.
fn describe(error: &anyhow::Error) -> String {
    let mut said = String::new();
    for cause in error.chain() {
        let message = cause.to_string();
        if said.contains(&message) {
            continue;
        }
        if !said.is_empty() {
            said.push_str(": ");
        }
        said.push_str(&message);
    }
    said
}
