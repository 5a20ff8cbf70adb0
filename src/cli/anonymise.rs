//! `petition anonymise`: a closed campaign's signers forgotten now.

use clap::Args;
use petition::config::Settings;
use petition::startup::App;

use super::CampaignChoice;

#[derive(Args)]
pub(crate) struct Anonymise {
    #[command(flatten)]
    campaign: CampaignChoice,
    /// Say how many would be anonymised, and when they are due; change nothing.
    #[arg(long)]
    dry_run: bool,
}

impl Anonymise {
    pub(super) async fn run(self, settings: Settings) -> anyhow::Result<()> {
        let campaign = self.campaign.find(&settings)?;
        let said = App::with_short_lived(settings, async |app| {
            Ok(app.engine.anonymise_campaign(&campaign, self.dry_run).await?)
        })
        .await?;
        println!("{said}");
        Ok(())
    }
}
