//! `petition reopen`: a closed campaign opened again, until it is
//! delivered.

use clap::Args;
use petition::config::Settings;
use petition::startup::App;

use super::{CampaignChoice, command_line};

#[derive(Args)]
pub(crate) struct Reopen {
    #[command(flatten)]
    campaign: CampaignChoice,
}

impl Reopen {
    pub(super) async fn run(self, settings: Settings) -> anyhow::Result<()> {
        let campaign = self.campaign.find(&settings)?;
        let said = App::with_short_lived(settings, async |app| {
            Ok(app.engine.reopen_campaign(&campaign, &command_line()).await?)
        })
        .await?;
        println!("{said}");
        Ok(())
    }
}
