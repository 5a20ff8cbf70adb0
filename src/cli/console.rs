//! `petition console`: signing at a terminal prompt, as one supporter.

use clap::Args;
use petition::config::Settings;
use petition::console;
use petition::startup::App;

#[derive(Args)]
pub(crate) struct Console {
    /// Who you are at the console; names in organisers.console_users
    /// may use organiser commands.
    #[arg(long = "as", value_name = "NAME", default_value = "supporter")]
    user: String,
    /// The campaign to open (its slug, optionally followed by __ and a
    /// share code); the default campaign otherwise.
    #[arg(long, value_name = "SLUG")]
    campaign: Option<String>,
}

impl Console {
    pub(super) async fn run(self, settings: Settings) -> anyhow::Result<()> {
        App::with_short_lived(settings, async |app| {
            console::run(&app.engine, &self.user, self.campaign.as_deref()).await
        })
        .await
    }
}
