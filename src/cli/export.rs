//! `petition export`: a campaign's signatures as CSV for delivery.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use petition::config::Settings;
use petition::startup::App;

use super::CampaignChoice;

#[derive(Args)]
pub(crate) struct Export {
    #[command(flatten)]
    campaign: CampaignChoice,
    /// Where to write; standard output otherwise.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

impl Export {
    pub(super) async fn run(self, settings: Settings) -> anyhow::Result<()> {
        let campaign = self.campaign.find(&settings)?;
        let csv = App::with_short_lived(settings, async |app| app.engine.export_csv(&campaign).await).await?;
        match self.output {
            Some(path) => std::fs::write(&path, csv).with_context(|| format!("could not write {}", path.display())),
            None => {
                use std::io::Write;
                Ok(std::io::stdout().write_all(&csv)?)
            }
        }
    }
}
