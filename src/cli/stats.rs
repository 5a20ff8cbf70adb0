//! `petition stats`: a campaign's total and breakdowns, against the goal
//! in force.

use clap::Args;
use petition::config::Settings;
use petition::organiser;
use petition::startup::App;

use super::CampaignChoice;

#[derive(Args)]
pub(crate) struct Stats {
    #[command(flatten)]
    campaign: CampaignChoice,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

impl Stats {
    pub(super) async fn run(self, settings: Settings) -> anyhow::Result<()> {
        let campaign = self.campaign.find(&settings)?;
        let (campaign, stats) = App::with_short_lived(settings, async |app| {
            Ok(app.engine.stats_against_goal(&campaign).await?)
        })
        .await?;
        if self.json {
            println!("{}", serde_json::to_string_pretty(&stats)?);
        } else {
            println!(
                "{}",
                organiser::render_stats(petition::messages::Language::default(), &campaign, &stats)
            );
        }
        Ok(())
    }
}
