//! What the public sees of a campaign's count, kept in memory: read from the
//! counters (never by counting rows) at most once a second per campaign,
//! whatever the number of requests, and served as `count.json` and on the
//! campaign's page. Newsrooms and dashboards poll it; signings never wait
//! for it.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::campaign::Campaign;
use crate::conversation::{Engine, Standing};
use crate::storage::{StorageError, Tally};

/// The oldest reading ever served: past it, a request waits for the
/// counters to be read again (one read for every request waiting).
pub const FRESH_FOR: Duration = Duration::from_secs(1);
/// From this age a reading is still served, but read again meanwhile, so
/// that under steady polling no request waits and none is served a reading
/// older than [`FRESH_FOR`].
const READ_AGAIN_AFTER: Duration = Duration::from_millis(500);
/// The days the page's chart shows.
pub const CHART_DAYS: i64 = 30;
/// What a group too small to name is shown as.
pub const OTHER: &str = "other";

/// A campaign's public count at one moment.
pub struct Snapshot {
    /// The campaign.
    pub campaign: Arc<Campaign>,
    /// Signatures counted (held ones are not).
    pub total: u64,
    /// The goal in force.
    pub goal: u64,
    /// Open, not yet, or closed.
    pub standing: Standing,
    /// Signatures per UTC day, the last [`CHART_DAYS`], oldest first.
    pub by_day: Vec<Tally>,
    /// `count.json`'s body.
    pub json: Vec<u8>,
    /// A weak validator of the body, without its `updated_at`: the same
    /// while the counts are.
    pub etag: String,
    /// When it was read.
    taken: Instant,
    /// The campaign's page made from it, once asked for: the page changes
    /// only when the snapshot does, so it is made once per snapshot.
    pub page: std::sync::OnceLock<Page>,
}

/// A page made once and served as it is, with its validator.
pub struct Page {
    /// The HTML.
    pub html: axum::body::Bytes,
    /// A weak validator: the same while the snapshot's counts are.
    pub etag: String,
}

/// The snapshots of every campaign, refreshed on demand: a request that
/// finds its snapshot half a second old is served it while one task reads
/// the counters again; one that finds it a second old (after a quiet
/// spell) waits for that read. So no reading served is over a second old,
/// and while requests keep coming none waits.
#[derive(Default, Clone)]
pub struct CountBoard(Arc<Board>);

#[derive(Default)]
struct Board {
    /// The latest snapshot of each campaign; readers take the lock briefly.
    snapshots: RwLock<HashMap<String, Arc<Snapshot>>>,
    /// One refresh at a time per process, so a burst reads the counters once.
    refreshing: Arc<tokio::sync::Mutex<()>>,
}

impl CountBoard {
    /// The campaign's snapshot, at most [`FRESH_FOR`] old.
    pub async fn snapshot(
        &self,
        engine: &Arc<Engine>,
        campaign: &Arc<Campaign>,
        public_min_count: u64,
    ) -> Result<Arc<Snapshot>, StorageError> {
        match self.0.current(&campaign.slug) {
            Some(snapshot) if snapshot.taken.elapsed() < READ_AGAIN_AFTER => Ok(snapshot),
            Some(ageing) if ageing.taken.elapsed() < FRESH_FOR => {
                if let Ok(guard) = self.0.refreshing.clone().try_lock_owned() {
                    let (board, engine, campaign) = (self.0.clone(), engine.clone(), campaign.clone());
                    tokio::spawn(async move {
                        let _refreshing = guard;
                        if let Err(error) = board.refresh(&engine, &campaign, public_min_count).await {
                            tracing::warn!(%error, "could not read the counts for the public page");
                        }
                    });
                }
                Ok(ageing)
            }
            // None yet, or too old to serve: read it, once for everyone
            // waiting.
            _ => {
                let _refreshing = self.0.refreshing.lock().await;
                match self.0.current(&campaign.slug) {
                    Some(snapshot) if snapshot.taken.elapsed() < FRESH_FOR => Ok(snapshot),
                    _ => self.0.refresh(engine, campaign, public_min_count).await,
                }
            }
        }
    }
}

impl Board {
    fn current(&self, slug: &str) -> Option<Arc<Snapshot>> {
        self.snapshots.read().expect("snapshots lock").get(slug).cloned()
    }

    async fn refresh(
        &self,
        engine: &Engine,
        campaign: &Arc<Campaign>,
        public_min_count: u64,
    ) -> Result<Arc<Snapshot>, StorageError> {
        let snapshot = Arc::new(read(engine, campaign, public_min_count).await?);
        self.snapshots
            .write()
            .expect("snapshots lock")
            .insert(campaign.slug.clone(), snapshot.clone());
        Ok(snapshot)
    }
}

/// `count.json`.
#[derive(Serialize)]
struct CountJson<'a> {
    slug: &'a str,
    title: &'a str,
    signature_count: u64,
    goal: u64,
    state: &'static str,
    opens_at: Option<DateTime<Utc>>,
    closes_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    milestones_reached: Vec<MilestoneJson>,
    signatures_by_postcode_district: Vec<GroupJson>,
    signatures_by_country: Vec<GroupJson>,
    updated_at: DateTime<Utc>,
}

#[derive(Serialize)]
struct MilestoneJson {
    signatures: u64,
    reached_at: DateTime<Utc>,
}

#[derive(Serialize, PartialEq, Eq, Debug)]
struct GroupJson {
    name: String,
    signature_count: u64,
}

async fn read(engine: &Engine, campaign: &Arc<Campaign>, public_min_count: u64) -> Result<Snapshot, StorageError> {
    // Its age counts from before the reads.
    let taken = Instant::now();
    let now = engine.clock().now();
    let today = now.date_naive();
    let since = today - chrono::Duration::days(CHART_DAYS - 1);
    let storage = engine.storage();
    let stats = storage.stats(&campaign.slug, since, today).await?;
    let milestones = storage.milestones_reached(&campaign.slug).await?;
    let standing = engine.standing(campaign);
    let goal = engine.goal_of(campaign);
    let mut body = CountJson {
        slug: &campaign.slug,
        title: &campaign.title,
        signature_count: stats.total,
        goal,
        state: match standing {
            Standing::NotYetOpen(_) => "not_yet_open",
            Standing::Open => "open",
            Standing::Closed(_) => "closed",
        },
        opens_at: campaign.opens_at,
        closes_at: campaign.closes_at,
        closed_at: match standing {
            Standing::Closed(at) => Some(at),
            _ => None,
        },
        milestones_reached: milestones
            .into_iter()
            .map(|(signatures, reached_at)| MilestoneJson { signatures, reached_at })
            .collect(),
        signatures_by_postcode_district: fold_small_groups(&stats.by_district, public_min_count),
        signatures_by_country: fold_small_groups(&stats.by_country, public_min_count),
        updated_at: DateTime::UNIX_EPOCH,
    };
    let etag = {
        let unchanging = serde_json::to_vec(&body).expect("count.json serialises");
        let digest = Sha256::digest(&unchanging);
        let hex: String = digest[..12].iter().map(|byte| format!("{byte:02x}")).collect();
        format!("W/\"{hex}\"")
    };
    body.updated_at = now;
    let json = serde_json::to_vec(&body).expect("count.json serialises");
    Ok(Snapshot {
        campaign: campaign.clone(),
        total: stats.total,
        goal,
        standing,
        by_day: stats.by_day,
        json,
        etag,
        taken,
        page: std::sync::OnceLock::new(),
    })
}

/// The groups with at least `min` signatures, most first, and the rest
/// added up as [`OTHER`], so no small area shows its few signers.
fn fold_small_groups(tallies: &[Tally], min: u64) -> Vec<GroupJson> {
    let mut shown: Vec<GroupJson> = tallies
        .iter()
        .filter(|tally| tally.count >= min)
        .map(|tally| GroupJson {
            name: tally.label.clone(),
            signature_count: tally.count,
        })
        .collect();
    let folded: u64 = tallies.iter().filter(|tally| tally.count < min).map(|t| t.count).sum();
    if folded > 0 {
        shown.push(GroupJson {
            name: OTHER.to_owned(),
            signature_count: folded,
        });
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_groups_are_added_up_as_other() {
        let tallies = [
            Tally::new("SW1A", 12),
            Tally::new("E1", 10),
            Tally::new("N1", 9),
            Tally::new("W2", 1),
        ];
        assert_eq!(
            fold_small_groups(&tallies, 10),
            vec![
                GroupJson {
                    name: "SW1A".into(),
                    signature_count: 12
                },
                GroupJson {
                    name: "E1".into(),
                    signature_count: 10
                },
                GroupJson {
                    name: OTHER.into(),
                    signature_count: 10
                },
            ]
        );
        assert_eq!(fold_small_groups(&[Tally::new("E1", 3)], 10).len(), 1);
        assert!(fold_small_groups(&[], 10).is_empty());
    }
}
