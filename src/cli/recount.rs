//! `petition recount`: every campaign's totals recomputed from its
//! signatures, and any drift in the stored counters reported (and
//! corrected).

use petition::config::Settings;
use petition::organiser::thousands;
use petition::startup::App;
use petition::storage::Recount;

pub(super) async fn run(settings: Settings) -> anyhow::Result<()> {
    let recounted = App::with_short_lived(settings, async |app| Ok(app.engine.recount().await?)).await?;
    for recount in recounted {
        println!("{}", describe(&recount));
    }
    Ok(())
}

/// One campaign's line: what was counted, and the drift corrected if any.
fn describe(recount: &Recount) -> String {
    let held = if recount.counted_held > 0 {
        format!(", {} held for review", thousands(recount.counted_held))
    } else {
        String::new()
    };
    let drift = if recount.drifted() {
        let mended = match recount.breakdowns_mended {
            0 => String::new(),
            1 => ", and 1 breakdown counter was mended".to_owned(),
            n => format!(", and {} breakdown counters were mended", thousands(n)),
        };
        format!(
            "drift corrected: the stored total was {} and held {}{mended}",
            thousands(recount.stored_total),
            thousands(recount.stored_held)
        )
    } else {
        "no drift".to_owned()
    };
    format!(
        "{}: {} counted{held}; {drift}",
        recount.campaign,
        thousands(recount.counted_total)
    )
}
