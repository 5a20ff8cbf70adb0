//! `petition deliver`: the delivery pack, a PDF to print and hand over
//! (or only the digest of its signatory list).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use petition::config::Settings;
use petition::messages::{DeliveryMessage, Language, Message};
use petition::startup::App;

use super::CampaignChoice;

#[derive(Args)]
pub(crate) struct Deliver {
    #[command(flatten)]
    campaign: CampaignChoice,
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
}

impl Deliver {
    pub(super) async fn run(self, settings: Settings) -> anyhow::Result<()> {
        let campaign = self.campaign.find(&settings)?;
        let date = self.date.unwrap_or_else(|| chrono::Utc::now().date_naive());
        let Some(path) = self.output else {
            let digest =
                App::with_short_lived(settings, async |app| Ok(app.engine.signatory_digest(&campaign).await?)).await?;
            println!("{digest}");
            return Ok(());
        };
        let pack = App::with_short_lived(settings, async |app| {
            app.engine.make_delivery_pack(&campaign, date).await
        })
        .await?;
        std::fs::write(&path, &pack.pdf).with_context(|| format!("could not write {}", path.display()))?;
        if self.digest {
            println!("{}", pack.digest);
        } else {
            let written = DeliveryMessage::Written {
                path: &path,
                count: pack.signatures,
                pages: pack.pages as u64,
                digest: &pack.digest,
            };
            println!("{}", Message::Delivery(written).text(Language::default()));
        }
        Ok(())
    }
}
