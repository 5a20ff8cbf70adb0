//! The command line: each `petition` command in a file of its own, with
//! its arguments and what it does. Commands go through the engine's
//! services (`App::with_short_lived`), never around them to the database.

mod anonymise;
#[cfg(feature = "test-kit")]
mod bench;
mod close;
mod console;
mod deliver;
mod export;
mod recount;
mod reopen;
mod run;
mod stats;
mod update;
mod updates;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use petition::campaign::Campaign;
use petition::config::Settings;
use petition::domain::{Identity, Platform};

// `about` is the package's description, from Cargo.toml.
#[derive(Parser)]
#[command(version, about)]
pub(crate) struct Cli {
    /// A settings file read after config/default.toml; environment
    /// variables still override it.
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

/// The commands, in the order `petition --help` lists them.
#[derive(Subcommand)]
pub(crate) enum Command {
    /// Start every bot whose token is configured (the default).
    Run,
    /// Sign at a terminal prompt, as one supporter; answers can be piped in.
    Console(console::Console),
    /// Print a campaign's total and breakdowns.
    Stats(stats::Stats),
    /// Measure signings per second (SQLite, and PostgreSQL at
    /// PETITION_TEST_POSTGRES_URL), total latency, memory per conversation and
    /// Telegram throughput, on fresh databases; prints name=value lines.
    // It drives a fake Telegram, so only a build with the test kit has it.
    #[cfg(feature = "test-kit")]
    Bench(bench::Bench),
    /// Recompute every campaign's totals from its signatures and report any
    /// drift from the stored counters (which it corrects).
    Recount,
    /// Queue an update to every signer who asked for updates; the running
    /// bots send it. Shows it exactly as signers will see it, and how many
    /// it reaches, and asks before queueing it.
    Update(update::Update),
    /// Close a campaign now: no more signatures; the closing is announced
    /// in its chats and to signers who asked for updates.
    Close(close::Close),
    /// Open a closed campaign again (until it is delivered).
    Reopen(reopen::Reopen),
    /// Forget a closed campaign's signers now (otherwise `petition run` does
    /// it `anonymise_after_days` after closing): only the day, postcode
    /// district or country, platform and status of each signature are kept.
    Anonymise(anonymise::Anonymise),
    /// List a campaign's updates and how their deliveries stand.
    Updates(updates::Updates),
    /// Write the delivery pack: a PDF to print and hand over, with a cover
    /// letter to the targets, a summary, and every counted signatory.
    Deliver(deliver::Deliver),
    /// Write a campaign's signatures as CSV for delivery.
    Export(export::Export),
}

impl Command {
    /// How much is logged: a running bot says what it does; a command
    /// that does one thing only warns.
    pub(crate) fn log_level(&self) -> &'static str {
        match self {
            Command::Run => "info",
            _ => "warn",
        }
    }

    /// Does what the command says.
    pub(crate) async fn execute(self, settings: Settings) -> anyhow::Result<()> {
        match self {
            Command::Run => run::run(settings).await,
            Command::Console(command) => command.run(settings).await,
            Command::Stats(command) => command.run(settings).await,
            #[cfg(feature = "test-kit")]
            Command::Bench(command) => command.run().await,
            Command::Recount => recount::run(settings).await,
            Command::Update(command) => command.run(settings).await,
            Command::Close(command) => command.run(settings).await,
            Command::Reopen(command) => command.run(settings).await,
            Command::Anonymise(command) => command.run(settings).await,
            Command::Updates(command) => command.run(settings).await,
            Command::Deliver(command) => command.run(settings).await,
            Command::Export(command) => command.run(settings).await,
        }
    }
}

/// `--campaign SLUG`, which every command about one campaign takes.
#[derive(Args)]
pub(crate) struct CampaignChoice {
    /// The campaign's slug; the default campaign otherwise.
    #[arg(long = "campaign", value_name = "SLUG")]
    slug: Option<String>,
}

impl CampaignChoice {
    /// The campaign chosen, or why there is none by that slug.
    fn find(&self, settings: &Settings) -> anyhow::Result<Arc<Campaign>> {
        match &self.slug {
            None => Ok(settings.campaigns.default_campaign().clone()),
            Some(slug) => settings.campaigns.get(slug).cloned().with_context(|| {
                let known: Vec<&str> = settings.campaigns.iter().map(|c| c.slug.as_str()).collect();
                format!("no campaign {slug:?} is configured (configured: {})", known.join(", "))
            }),
        }
    }
}

/// Who the audit log says acted from the command line.
fn command_line() -> Identity {
    Identity::new(Platform::Console, "command-line")
}

/// Reads a line from standard input: whether it says yes.
fn answered_yes() -> std::io::Result<bool> {
    use std::io::BufRead;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim().to_lowercase().as_str(), "yes" | "y"))
}
