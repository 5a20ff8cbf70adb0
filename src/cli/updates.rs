//! `petition updates`: a campaign's updates and how their deliveries stand.

use clap::Args;
use petition::config::Settings;
use petition::startup::App;

use super::CampaignChoice;

#[derive(Args)]
pub(crate) struct Updates {
    #[command(flatten)]
    campaign: CampaignChoice,
}

impl Updates {
    pub(super) async fn run(self, settings: Settings) -> anyhow::Result<()> {
        let campaign = self.campaign.find(&settings)?;
        let listed =
            App::with_short_lived(settings, async |app| Ok(app.engine.describe_updates(&campaign).await?)).await?;
        println!("{listed}");
        Ok(())
    }
}
