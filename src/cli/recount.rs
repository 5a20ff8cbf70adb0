//! `petition recount`: every campaign's totals recomputed from its
//! signatures, and any drift in the stored counters reported (and
//! corrected).

use petition::config::Settings;
use petition::messages::{Drift, Language, Message, StatsMessage};
use petition::startup::App;
use petition::storage::Recount;

pub(super) async fn run(settings: Settings) -> anyhow::Result<()> {
    let recounted = App::with_short_lived(settings, async |app| Ok(app.engine.recount().await?)).await?;
    for recount in recounted {
        println!("{}", Message::Stats(said(&recount)).text(Language::default()));
    }
    Ok(())
}

/// One campaign's recount, as the catalogue words it.
fn said(recount: &Recount) -> StatsMessage<'_> {
    StatsMessage::Recounted {
        campaign: &recount.campaign,
        counted: recount.counted_total,
        held: recount.counted_held,
        drift: recount.drifted().then_some(Drift {
            stored_total: recount.stored_total,
            stored_held: recount.stored_held,
            breakdowns_mended: recount.breakdowns_mended,
        }),
    }
}
