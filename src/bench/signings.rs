//! `signings_per_s_*`: complete signings through the engine, as many
//! supporters at once as asked, each checked against what was stored; and
//! the signers and seeded signatures other figures are measured beside.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{bail, ensure};

use super::{for_each_at_once, settings};
use crate::config::Settings;
use crate::conversation::{Engine, Incoming, Input, Reply};
use crate::domain::{Identity, Platform};
use crate::startup::App;
use crate::storage::Storage;

pub(super) fn supporter(n: usize) -> Identity {
    Identity::new(Platform::Console, format!("bench-{n}"))
}

pub(super) async fn say(engine: &Engine, who: &Identity, input: Input) -> Vec<Reply> {
    engine.handle(Incoming::private(who.clone(), input)).await
}

/// One supporter's whole conversation, from opening the bot to a stored
/// signature; fails unless it ends in a thank-you.
async fn sign_once(engine: &Engine, n: usize) -> anyhow::Result<()> {
    let who = supporter(n);
    say(engine, &who, Input::Start { payload: None }).await;
    let postcode = ["SW1A 1AA", "N1 9GU", "E1 6AN", "M1 1AE", "B33 8TH"][n % 5];
    for answer in [
        "sign",
        "Bench Signer",
        &format!("signer{n}@example.org"),
        postcode,
        "yes",
        "no",
    ] {
        say(engine, &who, Input::Text(answer.to_owned())).await;
    }
    let thanks = say(engine, &who, Input::Text("confirm".to_owned())).await;
    if !thanks.first().is_some_and(|r| r.text.starts_with("Thank you")) {
        bail!("supporter {n} was not thanked: {:?}", thanks.first().map(|r| &r.text));
    }
    Ok(())
}

/// Complete signings per second with `concurrency` supporters at once, and
/// a count of what was stored afterwards.
pub(super) async fn signings_per_second(url: &str, concurrency: usize, count: usize) -> anyhow::Result<f64> {
    let app = App::build(settings(url)).await?;
    let engine = app.engine.clone();
    let started = Instant::now();
    let signer = engine.clone();
    for_each_at_once(concurrency, count, move |n| {
        let engine = signer.clone();
        async move { sign_once(&engine, n).await }
    })
    .await?;
    let elapsed = started.elapsed();
    verify_stored(engine.storage().as_ref(), &engine, count).await?;
    // Closed before the database is dropped, so nothing is cut off under it.
    engine.storage().close().await;
    Ok(count as f64 / elapsed.as_secs_f64())
}

/// Every acknowledged signature is stored, once.
pub(super) async fn verify_stored(storage: &Storage, engine: &Engine, count: usize) -> anyhow::Result<()> {
    let campaign = &engine.campaigns().default_campaign().slug;
    let rows = storage.export(campaign).await?.len();
    ensure!(
        rows == count,
        "{count} signatures were acknowledged but {rows} are stored"
    );
    for recount in storage.recount().await? {
        ensure!(!recount.drifted(), "the counters drifted: {recount:?}");
        if &recount.campaign == campaign {
            ensure!(
                recount.counted_total == count as u64,
                "the total is {} for {count} signings",
                recount.counted_total
            );
        }
    }
    Ok(())
}

/// 64 supporters signing one after another until stopped, numbered from
/// `first` on: the traffic a latency is measured under.
pub(super) struct StreamingSigners {
    streaming: Arc<AtomicBool>,
    signers: Vec<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl StreamingSigners {
    pub(super) fn start(engine: &Arc<Engine>, first: usize) -> Self {
        let streaming = Arc::new(AtomicBool::new(true));
        let next = Arc::new(AtomicUsize::new(first));
        let signers = (0..64)
            .map(|_| {
                let (engine, next, streaming) = (engine.clone(), next.clone(), streaming.clone());
                tokio::spawn(async move {
                    while streaming.load(Ordering::Relaxed) {
                        sign_once(&engine, next.fetch_add(1, Ordering::Relaxed)).await?;
                    }
                    Ok(())
                })
            })
            .collect();
        Self { streaming, signers }
    }

    /// Stops them, failing if any signing failed.
    pub(super) async fn stop(self) -> anyhow::Result<()> {
        self.streaming.store(false, Ordering::Relaxed);
        for signer in self.signers {
            signer.await??;
        }
        Ok(())
    }
}

/// Stores `count` signatures through the group-commit writer, many at once.
pub(super) async fn seed(storage: &Arc<Storage>, count: usize) -> anyhow::Result<()> {
    let settings = Settings::built_in();
    let campaign = settings.campaigns.default_campaign();
    let (slug, version) = (campaign.slug.clone(), campaign.consent.version);
    let now = chrono::Utc::now();
    let storage = storage.clone();
    for_each_at_once(4096, count, move |n| {
        let (storage, slug) = (storage.clone(), slug.clone());
        async move {
            let signature = crate::storage::NewSignature {
                campaign: slug,
                identity: Identity::new(Platform::Telegram, format!("seed-{n}")),
                name: crate::domain::SignerName::from_trusted("Seed Signer".to_owned()),
                email: Some(crate::domain::Email::from_trusted(format!("seed{n}@example.org"))),
                location: crate::domain::Location::Uk(crate::domain::PostcodeDistrict::from_trusted("SW1A".to_owned())),
                updates_opt_in: false,
                consent_version: version,
                consent_at: now,
                referral_code: None,
                created_at: now,
                hold: None,
            };
            storage.sign(&signature).await?;
            Ok(())
        }
    })
    .await
}
