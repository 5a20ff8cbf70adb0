//! The in-memory storage's review of held signatures, audit log, velocity,
//! anomalies, recount and reports, with the databases' rules: counters move
//! with the signatures they count, in one step.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::{Breakdowns, MemoryStorage, State, count_under};
use crate::domain::Dimension;
use crate::storage::{
    Anomaly, AuditEntry, ExportRow, HeldSummary, Matched, Recount, ReportStore, ReviewAction, ReviewOutcome,
    ReviewStore, Selection, Signature, SignatureStatus, Stats, StorageResult, Tally, VelocityCount, breakdowns,
    every_day,
};

impl State {
    /// The signatures a selection matches, whatever their status.
    fn selected<'a>(&'a self, campaign: &'a str, selection: &'a Selection) -> impl Iterator<Item = usize> + 'a {
        self.signatures
            .iter()
            .enumerate()
            .filter(move |(_, signature)| signature.campaign == campaign && matches(signature, selection))
            .map(|(index, _)| index)
    }
}

fn matches(signature: &Signature, selection: &Selection) -> bool {
    let domain = signature.email.as_ref().map(|email| email.domain());
    // Only held signatures are released or invalidated by reason; the
    // databases' reason column on an invalidated one is never acted on.
    let reason = match signature.status {
        SignatureStatus::Held(reason) => Some(reason),
        SignatureStatus::Counted | SignatureStatus::Invalidated => None,
    };
    selection
        .email_domain
        .as_deref()
        .is_none_or(|wanted| domain == Some(wanted))
        && selection
            .postcode_district
            .as_deref()
            .is_none_or(|wanted| signature.location.district() == Some(wanted))
        && selection
            .platform
            .is_none_or(|wanted| signature.identity.platform == wanted)
        && selection.since.is_none_or(|since| signature.created_at >= since)
        && selection.until.is_none_or(|until| signature.created_at < until)
        && selection.reason.is_none_or(|wanted| reason == Some(wanted))
}

/// Counts by label, most first, then by label; at most `limit`.
fn tally<'a>(labels: impl Iterator<Item = &'a str>, limit: usize) -> Vec<Tally> {
    let mut counts: HashMap<&str, u64> = HashMap::new();
    for label in labels {
        *counts.entry(label).or_default() += 1;
    }
    let mut tallies: Vec<Tally> = counts
        .into_iter()
        .map(|(label, count)| Tally::new(label, count))
        .collect();
    tallies.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
    tallies.truncate(limit);
    tallies
}

#[async_trait]
impl ReviewStore for MemoryStorage {
    async fn held_summary(&self, campaign: &str) -> StorageResult<HeldSummary> {
        let state = self.state()?;
        let held: Vec<&Signature> = state
            .signatures
            .iter()
            .filter(|s| s.campaign == campaign && matches!(s.status, SignatureStatus::Held(_)))
            .collect();
        let reasons = held.iter().filter_map(|s| match s.status {
            SignatureStatus::Held(reason) => Some(reason.as_str()),
            _ => None,
        });
        Ok(HeldSummary {
            held: held.len() as u64,
            by_reason: tally(reasons, usize::MAX),
            by_platform: tally(held.iter().map(|s| s.identity.platform.as_str()), usize::MAX),
            by_email_domain: tally(held.iter().filter_map(|s| Some(s.email.as_ref()?.domain())), 10),
            by_district: tally(held.iter().filter_map(|s| s.location.district()), 10),
        })
    }

    async fn count_selected(
        &self,
        campaign: &str,
        selection: &Selection,
        action: ReviewAction,
    ) -> StorageResult<Matched> {
        let state = self.state()?;
        let mut matched = Matched::default();
        for index in state.selected(campaign, selection) {
            match state.signatures[index].status {
                SignatureStatus::Held(_) => matched.held += 1,
                SignatureStatus::Counted if action == ReviewAction::Invalidate => matched.counted += 1,
                SignatureStatus::Counted | SignatureStatus::Invalidated => {}
            }
        }
        Ok(matched)
    }

    async fn apply_review(
        &self,
        campaign: &str,
        selection: &Selection,
        action: ReviewAction,
        audit: &AuditEntry,
    ) -> StorageResult<ReviewOutcome> {
        let mut guard = self.state()?;
        let state = &mut *guard;
        let chosen: Vec<usize> = state.selected(campaign, selection).collect();
        let mut moved = Matched::default();
        for index in chosen {
            let signature = &mut state.signatures[index];
            let was_counted = signature.status == SignatureStatus::Counted;
            signature.status = match (signature.status, action) {
                (SignatureStatus::Held(_), ReviewAction::Release) => {
                    moved.held += 1;
                    SignatureStatus::Counted
                }
                (SignatureStatus::Held(_), ReviewAction::Invalidate) => {
                    moved.held += 1;
                    SignatureStatus::Invalidated
                }
                (SignatureStatus::Counted, ReviewAction::Invalidate) => {
                    moved.counted += 1;
                    SignatureStatus::Invalidated
                }
                (unchanged, _) => unchanged,
            };
            match (was_counted, signature.status == SignatureStatus::Counted) {
                (false, true) => count_under(&mut state.breakdowns, signature, 1),
                (true, false) => count_under(&mut state.breakdowns, signature, -1),
                _ => {}
            }
        }
        let counters = state.counters(campaign);
        match action {
            ReviewAction::Release => {
                counters.0 += moved.held;
                counters.1 -= moved.held;
            }
            ReviewAction::Invalidate => {
                counters.0 -= moved.counted;
                counters.1 -= moved.held;
            }
        }
        let (total, held) = *counters;
        let affected = moved.held + moved.counted;
        state.audit.push(AuditEntry {
            affected,
            ..audit.clone()
        });
        Ok(ReviewOutcome { affected, total, held })
    }

    async fn record_audit(&self, entry: &AuditEntry) -> StorageResult<()> {
        self.state()?.audit.push(entry.clone());
        Ok(())
    }

    async fn audit_log(&self, campaign: &str) -> StorageResult<Vec<AuditEntry>> {
        Ok(self
            .state()?
            .audit
            .iter()
            .filter(|entry| entry.campaign == campaign)
            .cloned()
            .collect())
    }

    async fn velocity(
        &self,
        campaign: &str,
        since: DateTime<Utc>,
        thresholds: [u64; 3],
    ) -> StorageResult<Vec<VelocityCount>> {
        let state = self.state()?;
        let recent: Vec<&Signature> = state
            .signatures
            .iter()
            .filter(|s| s.campaign == campaign && s.created_at >= since && s.status != SignatureStatus::Invalidated)
            .collect();
        let by = |dimension: Dimension, values: Vec<&str>, threshold: u64| {
            tally(values.into_iter(), usize::MAX)
                .into_iter()
                .filter(move |t| t.count >= threshold)
                .map(move |t| VelocityCount {
                    dimension,
                    value: t.label,
                    count: t.count,
                })
        };
        Ok(by(
            Dimension::EmailDomain,
            recent.iter().filter_map(|s| Some(s.email.as_ref()?.domain())).collect(),
            thresholds[0],
        )
        .chain(by(
            Dimension::PostcodeDistrict,
            recent.iter().filter_map(|s| s.location.district()).collect(),
            thresholds[1],
        ))
        .chain(by(
            Dimension::Platform,
            recent.iter().map(|s| s.identity.platform.as_str()).collect(),
            thresholds[2],
        ))
        .collect())
    }

    async fn record_anomaly(&self, anomaly: &Anomaly) -> StorageResult<bool> {
        let mut state = self.state()?;
        let seen = state.anomalies.iter().any(|a| {
            a.campaign == anomaly.campaign
                && a.dimension == anomaly.dimension
                && a.value == anomaly.value
                && crate::storage::hour_of(a.detected_at) == crate::storage::hour_of(anomaly.detected_at)
        });
        if !seen {
            state.anomalies.push(anomaly.clone());
        }
        Ok(!seen)
    }

    async fn anomalies(&self, campaign: &str, since: DateTime<Utc>) -> StorageResult<Vec<Anomaly>> {
        let mut found: Vec<Anomaly> = self
            .state()?
            .anomalies
            .iter()
            .filter(|a| a.campaign == campaign && a.detected_at >= since)
            .cloned()
            .collect();
        found.sort_by_key(|anomaly| std::cmp::Reverse(anomaly.detected_at));
        Ok(found)
    }

    async fn recount(&self) -> StorageResult<Vec<Recount>> {
        let mut state = self.state()?;
        let mut rebuilt = Breakdowns::default();
        for signature in state.signatures.iter().filter(|s| s.status == SignatureStatus::Counted) {
            count_under(&mut rebuilt, signature, 1);
        }
        let mut mended: HashMap<String, u64> = HashMap::new();
        let keys: HashSet<_> = rebuilt.keys().chain(state.breakdowns.keys()).collect();
        for key in keys {
            if rebuilt.get(key).copied().unwrap_or(0) != state.breakdowns.get(key).copied().unwrap_or(0) {
                *mended.entry(key.0.clone()).or_default() += 1;
            }
        }
        let mut campaigns: Vec<String> = state
            .totals
            .keys()
            .cloned()
            .chain(state.signatures.iter().map(|s| s.campaign.clone()))
            .chain(mended.keys().cloned())
            .collect();
        campaigns.sort();
        campaigns.dedup();
        let mut report = Vec::new();
        for campaign in campaigns {
            let of = |status: fn(&SignatureStatus) -> bool| {
                state
                    .signatures
                    .iter()
                    .filter(|s| s.campaign == campaign && status(&s.status))
                    .count() as u64
            };
            let counted = of(|status| *status == SignatureStatus::Counted);
            let held = of(|status| matches!(status, SignatureStatus::Held(_)));
            let (stored_total, stored_held) = std::mem::replace(state.counters(&campaign), (counted, held));
            report.push(Recount {
                breakdowns_mended: mended.get(&campaign).copied().unwrap_or(0),
                campaign,
                stored_total,
                counted_total: counted,
                stored_held,
                counted_held: held,
            });
        }
        state.breakdowns = rebuilt;
        Ok(report)
    }
}

#[async_trait]
impl ReportStore for MemoryStorage {
    async fn stats(&self, campaign: &str, since: NaiveDate, today: NaiveDate) -> StorageResult<Stats> {
        let state = self.state()?;
        // From the counters, as the databases read them.
        let of = |dimension: &str, limit: usize| {
            let mut tallies: Vec<Tally> = state
                .breakdowns
                .iter()
                .filter(|((c, d, _), count)| c == campaign && *d == dimension && **count > 0)
                .map(|((_, _, label), count)| Tally::new(label.clone(), *count as u64))
                .collect();
            tallies.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
            tallies.truncate(limit);
            tallies
        };
        let days = of(breakdowns::DAY, usize::MAX)
            .into_iter()
            .filter_map(|t| Some((NaiveDate::parse_from_str(&t.label, "%Y-%m-%d").ok()?, t.count)))
            .collect();
        let (total, held) = state.totals.get(campaign).copied().unwrap_or_default();
        Ok(Stats {
            campaign: campaign.to_owned(),
            total,
            held,
            by_platform: of(breakdowns::PLATFORM, usize::MAX),
            by_day: every_day(since, today, days),
            by_district: of(breakdowns::DISTRICT, usize::MAX),
            by_country: of(breakdowns::COUNTRY, usize::MAX),
            top_referral_codes: of(breakdowns::REFERRAL, 10),
        })
    }

    async fn export(&self, campaign: &str) -> StorageResult<Vec<ExportRow>> {
        Ok(self
            .state()?
            .signatures
            .iter()
            .filter(|s| s.campaign == campaign && s.status == SignatureStatus::Counted)
            .map(|s| ExportRow {
                name: s.name.as_str().to_owned(),
                postcode_district: s.location.district().map(str::to_owned),
                country: s.location.country().map(str::to_owned),
                platform: s.identity.platform,
                signed_at: s.created_at,
            })
            .collect())
    }
}
