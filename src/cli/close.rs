//! `petition close`: a campaign closed now, after the organiser's yes.

use clap::Args;
use petition::config::Settings;
use petition::startup::App;

use super::{CampaignChoice, answered_yes, command_line};

#[derive(Args)]
pub(crate) struct Close {
    #[command(flatten)]
    campaign: CampaignChoice,
    /// Close it without asking.
    #[arg(long)]
    yes: bool,
}

impl Close {
    /// Asks (unless `--yes`) and closes the campaign.
    pub(super) async fn run(self, settings: Settings) -> anyhow::Result<()> {
        let campaign = self.campaign.find(&settings)?;
        App::with_short_lived(settings, async |app| {
            let (question, closed_already) = app.engine.closing_question(&campaign).await?;
            // With --yes nothing is asked, so the question is not shown.
            if closed_already || !self.yes {
                println!("{question}");
            }
            if closed_already {
                return Ok(());
            }
            if !self.yes && !answered_yes()? {
                println!("Nothing was changed.");
                return Ok(());
            }
            println!("{}", app.engine.close_campaign(&campaign, &command_line()).await?);
            Ok(())
        })
        .await
    }
}
