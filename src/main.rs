//! `petition`: runs the bots, the terminal console, and organisers' commands.

use std::future::Future;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
#[cfg(feature = "test-kit")]
use petition::bench;
use petition::config::Settings;
use petition::startup::App;
use petition::{console, delivery, organiser, storage, telemetry};
use tracing::warn;

/// A petition gatherer that lives inside chat.
/// Signing at volume allocates many small, short-lived strings; mimalloc
/// handles that with less CPU than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// A settings file read after config/default.toml; environment
    /// variables still override it.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start every bot whose token is configured (the default).
    Run,
    /// Sign at a terminal prompt, as one supporter; answers can be piped in.
    Console {
        /// Who you are at the console; names in organisers.console_users
        /// may use organiser commands.
        #[arg(long = "as", value_name = "NAME", default_value = "supporter")]
        user: String,
        /// The campaign to open (its slug, optionally followed by __ and a
        /// share code); the default campaign otherwise.
        #[arg(long, value_name = "SLUG")]
        campaign: Option<String>,
    },
    /// Print a campaign's total and breakdowns.
    Stats {
        /// The campaign's slug; the default campaign otherwise.
        #[arg(long, value_name = "SLUG")]
        campaign: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Measure signings per second (SQLite, and PostgreSQL at
    /// PETITION_TEST_POSTGRES_URL), total latency, memory per conversation and
    /// Telegram throughput, on fresh databases; prints name=value lines.
    // It drives a fake Telegram, so only a build with the test kit has it.
    #[cfg(feature = "test-kit")]
    Bench {
        /// A small run that only checks every measurement works.
        #[arg(long)]
        quick: bool,
        /// Only these measurements (repeatable); all by default.
        #[arg(long, value_enum)]
        only: Vec<bench::Part>,
    },
    /// Recompute every campaign's totals from its signatures and report any
    /// drift from the stored counters (which it corrects).
    Recount,
    /// Queue an update to every signer who asked for updates; the running
    /// bots send it. Shows it exactly as signers will see it, and how many
    /// it reaches, and asks before queueing it.
    Update {
        /// The campaign's slug; the default campaign otherwise.
        #[arg(long, value_name = "SLUG")]
        campaign: Option<String>,
        /// The update's text (several lines if you like).
        #[arg(long, value_name = "FILE")]
        message_file: PathBuf,
        /// Queue it without asking.
        #[arg(long)]
        yes: bool,
    },
    /// Close a campaign now: no more signatures; the closing is announced
    /// in its chats and to signers who asked for updates.
    Close {
        /// The campaign's slug; the default campaign otherwise.
        #[arg(long, value_name = "SLUG")]
        campaign: Option<String>,
        /// Close it without asking.
        #[arg(long)]
        yes: bool,
    },
    /// Open a closed campaign again (until it is delivered).
    Reopen {
        /// The campaign's slug; the default campaign otherwise.
        #[arg(long, value_name = "SLUG")]
        campaign: Option<String>,
    },
    /// Forget a closed campaign's signers now (otherwise `petition run` does
    /// it `anonymise_after_days` after closing): only the day, postcode
    /// district or country, platform and status of each signature are kept.
    Anonymise {
        /// The campaign's slug; the default campaign otherwise.
        #[arg(long, value_name = "SLUG")]
        campaign: Option<String>,
        /// Say how many would be anonymised, and when they are due; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// List a campaign's updates and how their deliveries stand.
    Updates {
        /// The campaign's slug; the default campaign otherwise.
        #[arg(long, value_name = "SLUG")]
        campaign: Option<String>,
    },
    /// Write the delivery pack: a PDF to print and hand over, with a cover
    /// letter to the targets, a summary, and every counted signatory.
    Deliver {
        /// The campaign's slug; the default campaign otherwise.
        #[arg(long, value_name = "SLUG")]
        campaign: Option<String>,
        /// Where to write the PDF.
        #[arg(long, value_name = "FILE.pdf", required_unless_present = "digest")]
        output: Option<PathBuf>,
        /// The letter's date (YYYY-MM-DD); today (UTC) otherwise. The same
        /// data and date give the same bytes.
        #[arg(long, value_name = "DATE")]
        date: Option<chrono::NaiveDate>,
        /// Print the SHA-256 digest of the signatory list (the pack's last
        /// line) on standard output.
        #[arg(long)]
        digest: bool,
    },
    /// Write a campaign's signatures as CSV for delivery.
    Export {
        /// The campaign's slug; the default campaign otherwise.
        #[arg(long, value_name = "SLUG")]
        campaign: Option<String>,
        /// Where to write; standard output otherwise.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// The exit status after a second signal cut a stop short: that of a
/// process interrupted by Ctrl-C.
const EXIT_INTERRUPTED: i32 = 130;

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
    telemetry::init(if matches!(command, Command::Run) {
        "info"
    } else {
        "warn"
    });
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    match execute(command, settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", describe(&error));
            ExitCode::FAILURE
        }
    }
}

async fn execute(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Run => {
            // Listening from the start, so that a signal while the database
            // opens or a bot starts is a clean stop, not a sudden exit.
            let shutdown = listen_for_signals().context("could not listen for Ctrl-C and SIGTERM")?;
            let app = App::build(settings).await?;
            app.run(shutdown).await
        }
        Command::Console { user, campaign } => {
            let app = App::build_short_lived(settings).await?;
            let ran = console::run(&app.engine, &user, campaign.as_deref()).await;
            app.engine.storage().close().await;
            ran
        }
        Command::Stats { campaign, json } => {
            let campaign = find_campaign(&settings, campaign.as_deref())?;
            let storage = storage::connect_for(&settings.database, storage::Usage::ShortLived).await?;
            let today = chrono::Utc::now().date_naive();
            let stats = organiser::stats(storage.as_ref(), &campaign, today).await;
            // The goal in force: organisers may have raised it in a chat.
            let goals = storage.goals().await;
            storage.close().await;
            let stats = stats?;
            let mut campaign = campaign.as_ref().clone();
            if let Some((_, goal)) = goals?.into_iter().find(|(slug, _)| *slug == campaign.slug) {
                campaign.goal = goal;
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&stats)?);
            } else {
                println!(
                    "{}",
                    organiser::render_stats(petition::messages::Language::default(), &campaign, &stats)
                );
            }
            Ok(())
        }
        #[cfg(feature = "test-kit")]
        Command::Bench { quick, only } => {
            let scale = if quick { bench::Scale::QUICK } else { bench::Scale::FULL };
            let postgres = std::env::var(petition::test_kit::database::POSTGRES_URL_VARIABLE).ok();
            bench::run(scale, &only, postgres.as_deref(), |name, value| {
                println!("{name}={value}")
            })
            .await
        }
        Command::Recount => {
            let storage = storage::connect_for(&settings.database, storage::Usage::ShortLived).await?;
            let recounted = storage.recount().await;
            storage.close().await;
            for recount in recounted? {
                let held = if recount.counted_held > 0 {
                    format!(", {} held for review", organiser::thousands(recount.counted_held))
                } else {
                    String::new()
                };
                let drift = if recount.drifted() {
                    let mended = match recount.breakdowns_mended {
                        0 => String::new(),
                        1 => ", and 1 breakdown counter was mended".to_owned(),
                        n => format!(", and {} breakdown counters were mended", organiser::thousands(n)),
                    };
                    format!(
                        "drift corrected: the stored total was {} and held {}{mended}",
                        organiser::thousands(recount.stored_total),
                        organiser::thousands(recount.stored_held)
                    )
                } else {
                    "no drift".to_owned()
                };
                println!(
                    "{}: {} counted{held}; {drift}",
                    recount.campaign,
                    organiser::thousands(recount.counted_total)
                );
            }
            Ok(())
        }
        Command::Update {
            campaign,
            message_file,
            yes,
        } => {
            let campaign = find_campaign(&settings, campaign.as_deref())?;
            let text = read_update_file(&message_file)?;
            let app = App::build_short_lived(settings).await?;
            let queued = queue_update(&app, &campaign, &text, yes).await;
            app.engine.storage().close().await;
            queued
        }
        Command::Close { campaign, yes } => {
            let campaign = find_campaign(&settings, campaign.as_deref())?;
            let app = App::build_short_lived(settings).await?;
            let closed = close_campaign(&app, &campaign, yes).await;
            app.engine.storage().close().await;
            closed
        }
        Command::Reopen { campaign } => {
            let campaign = find_campaign(&settings, campaign.as_deref())?;
            let app = App::build_short_lived(settings).await?;
            let reopened = app.engine.reopen_from_the_command_line(&campaign).await;
            app.engine.storage().close().await;
            println!("{}", reopened?);
            Ok(())
        }
        Command::Anonymise { campaign, dry_run } => {
            let campaign = find_campaign(&settings, campaign.as_deref())?;
            let app = App::build_short_lived(settings).await?;
            let said = app.engine.anonymise_from_the_command_line(&campaign, dry_run).await;
            app.engine.storage().close().await;
            println!("{}", said?);
            Ok(())
        }
        Command::Updates { campaign } => {
            let campaign = find_campaign(&settings, campaign.as_deref())?;
            let app = App::build_short_lived(settings).await?;
            let listed = app.engine.describe_updates(&campaign).await;
            app.engine.storage().close().await;
            println!("{}", listed?);
            Ok(())
        }
        Command::Deliver {
            campaign,
            output,
            date,
            digest,
        } => {
            let campaign = find_campaign(&settings, campaign.as_deref())?;
            let storage = storage::connect_for(&settings.database, storage::Usage::ShortLived).await?;
            let rows = storage.export(&campaign.slug).await;
            // A pack made for a closed campaign is its delivery: it can no
            // longer be reopened. (One made while open is only a preview.)
            let noted = match (&rows, output.is_some()) {
                (Ok(_), true) => note_delivery(storage.as_ref(), &campaign).await,
                _ => Ok(()),
            };
            storage.close().await;
            let rows = rows?;
            noted?;
            let date = date.unwrap_or_else(|| chrono::Utc::now().date_naive());
            let language = petition::messages::Language::default();
            match output {
                Some(path) => {
                    let pack = delivery::build(language, &campaign, &rows, date)?;
                    std::fs::write(&path, &pack.pdf).with_context(|| format!("could not write {}", path.display()))?;
                    if digest {
                        println!("{}", pack.digest);
                    } else {
                        println!(
                            "Wrote {}: {} signatures on {} pages. SHA-256 of the list: {}",
                            path.display(),
                            organiser::thousands(pack.signatures),
                            organiser::thousands(pack.pages as u64),
                            pack.digest
                        );
                    }
                }
                None => println!("{}", delivery::digest(&delivery::signatories(&rows))),
            }
            Ok(())
        }
        Command::Export { campaign, output } => {
            let campaign = find_campaign(&settings, campaign.as_deref())?;
            let storage = storage::connect_for(&settings.database, storage::Usage::ShortLived).await?;
            let csv = organiser::export_csv(storage.as_ref(), &campaign).await;
            storage.close().await;
            let csv = csv?;
            match output {
                Some(path) => {
                    std::fs::write(&path, csv).with_context(|| format!("could not write {}", path.display()))?
                }
                None => {
                    use std::io::Write;
                    std::io::stdout().write_all(&csv)?;
                }
            }
            Ok(())
        }
    }
}

/// Notes a delivery if `campaign` is closed.
async fn note_delivery(storage: &dyn storage::Storage, campaign: &petition::campaign::Campaign) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    let lifecycle = storage
        .lifecycles()
        .await?
        .into_iter()
        .find(|lifecycle| lifecycle.campaign == campaign.slug)
        .unwrap_or_default();
    if matches!(
        petition::conversation::standing_of(campaign, &lifecycle, now),
        petition::conversation::Standing::Closed(_)
    ) {
        storage.mark_delivered(&campaign.slug, now).await?;
    }
    Ok(())
}

/// Asks (unless `yes`) and closes the campaign.
async fn close_campaign(app: &App, campaign: &petition::campaign::Campaign, yes: bool) -> anyhow::Result<()> {
    let (question, closed_already) = app.engine.close_question_for_the_command_line(campaign).await?;
    // With --yes nothing is asked, so the question is not shown.
    if closed_already || !yes {
        println!("{question}");
    }
    if closed_already {
        return Ok(());
    }
    if !yes {
        use std::io::BufRead;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(answer.trim().to_lowercase().as_str(), "yes" | "y") {
            println!("Nothing was changed.");
            return Ok(());
        }
    }
    println!("{}", app.engine.close_from_the_command_line(campaign).await?);
    Ok(())
}

/// Shows the update as signers will see it, asks (unless `yes`), and queues it.
async fn queue_update(app: &App, campaign: &petition::campaign::Campaign, text: &str, yes: bool) -> anyhow::Result<()> {
    let preview = match app.engine.preview_update(campaign, text).await? {
        Ok(preview) => preview,
        Err(refusal) => anyhow::bail!("{refusal}"),
    };
    println!("{preview}");
    if !yes {
        use std::io::BufRead;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(answer.trim().to_lowercase().as_str(), "yes" | "y") {
            println!("Nothing was queued.");
            return Ok(());
        }
    }
    let author = petition::domain::Identity::new(petition::domain::Platform::Console, "command-line");
    println!("{}", app.engine.queue_update(campaign, text, &author).await?);
    Ok(())
}

/// The most an update file may hold: an update is at most 4,096
/// characters, four bytes each at the most.
const UPDATE_FILE_MOST_BYTES: u64 = 16 * 1024;

/// An update's text from `path`: a regular file (a pipe or a device such
/// as `/dev/zero` could block or never end) of at most
/// [`UPDATE_FILE_MOST_BYTES`].
fn read_update_file(path: &std::path::Path) -> anyhow::Result<String> {
    use std::io::Read;
    let shown = path.display();
    let metadata = std::fs::metadata(path).with_context(|| format!("could not read {shown}"))?;
    if !metadata.is_file() {
        anyhow::bail!("{shown} is not a regular file: give the update in a file of its own");
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .with_context(|| format!("could not read {shown}"))?
        .take(UPDATE_FILE_MOST_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("could not read {shown}"))?;
    if bytes.len() as u64 > UPDATE_FILE_MOST_BYTES {
        anyhow::bail!(
            "{shown} is larger than {} KiB, and an update is at most 4,096 characters",
            UPDATE_FILE_MOST_BYTES / 1024
        );
    }
    String::from_utf8(bytes).with_context(|| format!("{shown} is not UTF-8 text"))
}

fn find_campaign(
    settings: &Settings,
    slug: Option<&str>,
) -> anyhow::Result<std::sync::Arc<petition::campaign::Campaign>> {
    match slug {
        None => Ok(settings.campaigns.default_campaign().clone()),
        Some(slug) => settings.campaigns.get(slug).cloned().with_context(|| {
            let known: Vec<&str> = settings.campaigns.iter().map(|c| c.slug.as_str()).collect();
            format!("no campaign {slug:?} is configured (configured: {})", known.join(", "))
        }),
    }
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
