//! `bytes_per_conversation`: resident memory per conversation held open.

use anyhow::{Context, ensure};

use super::signings::{say, supporter};
use super::{for_each_at_once, settings};
use crate::conversation::{Engine, Input};
use crate::startup::App;

/// The process's resident memory, in bytes.
fn resident_bytes() -> anyhow::Result<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").context("resident memory is read from /proc")?;
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .context("statm has a resident field")?
        .parse()?;
    Ok(pages * 4096)
}

/// Resident memory per conversation held open (a supporter who has given a
/// name and stopped), measured across `count` of them.
pub(super) async fn bytes_per_conversation(url: &str, count: usize) -> anyhow::Result<f64> {
    let app = App::build(settings(url)).await?;
    let engine = app.engine.clone();
    // Warm everything up first, so the figure is the conversations alone.
    for n in 0..100 {
        open_conversation(&engine, count + n).await;
    }
    let before = resident_bytes()?;
    let opener = engine.clone();
    for_each_at_once(1024, count, move |n| {
        let engine = opener.clone();
        async move {
            open_conversation(&engine, n).await;
            Ok(())
        }
    })
    .await?;
    let after = resident_bytes()?;
    let open = engine.storage().load_conversation(&supporter(count - 1)).await?;
    ensure!(open.is_some(), "the conversations are open");
    engine.storage().close().await;
    Ok(after.saturating_sub(before) as f64 / count as f64)
}

async fn open_conversation(engine: &Engine, n: usize) {
    let who = supporter(n);
    say(engine, &who, Input::Start { payload: None }).await;
    say(engine, &who, Input::Text("sign".to_owned())).await;
    say(engine, &who, Input::Text("Bench Signer".to_owned())).await;
}
