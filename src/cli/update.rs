//! `petition update`: an update queued for every signer who asked for
//! updates, shown first exactly as they will see it.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use petition::config::Settings;
use petition::startup::App;

use super::{CampaignChoice, answered_yes, command_line};

/// The most an update file may hold: an update is at most 4,096
/// characters, four bytes each at the most.
const UPDATE_FILE_MOST_BYTES: u64 = 16 * 1024;

#[derive(Args)]
pub(crate) struct Update {
    #[command(flatten)]
    campaign: CampaignChoice,
    /// The update's text (several lines if you like).
    #[arg(long, value_name = "FILE")]
    message_file: PathBuf,
    /// Queue it without asking.
    #[arg(long)]
    yes: bool,
}

impl Update {
    /// Shows the update as signers will see it, asks (unless `--yes`), and
    /// queues it.
    pub(super) async fn run(self, settings: Settings) -> anyhow::Result<()> {
        let campaign = self.campaign.find(&settings)?;
        let text = read_update_file(&self.message_file)?;
        App::with_short_lived(settings, async |app| {
            let preview = match app.engine.preview_update(&campaign, &text).await? {
                Ok(preview) => preview,
                Err(refusal) => anyhow::bail!("{refusal}"),
            };
            println!("{preview}");
            if !self.yes && !answered_yes()? {
                println!("Nothing was queued.");
                return Ok(());
            }
            println!("{}", app.engine.queue_update(&campaign, &text, &command_line()).await?);
            Ok(())
        })
        .await
    }
}

/// An update's text from `path`: a regular file (a pipe or a device such
/// as `/dev/zero` could block or never end) of at most
/// [`UPDATE_FILE_MOST_BYTES`].
fn read_update_file(path: &Path) -> anyhow::Result<String> {
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
