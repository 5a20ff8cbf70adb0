//! The outbox of updates in memory, keeping the databases' rules: a
//! delivery is in flight before it is sent, a lease decides who sends, and
//! a withdrawal removes the signer from every update.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{MemoryStorage, State};
use crate::domain::{Identity, Platform};
use crate::storage::updates::{DeliveryCounts, DeliveryResult, NewUpdate, StoredUpdate, UpdateState, UpdateStore};
use crate::storage::{AuditEntry, SignatureStatus, StorageResult};

#[derive(Default)]
pub(super) struct Outbox {
    updates: Vec<StoredUpdate>,
    /// (update, recipient) → (state, not before).
    deliveries: Vec<Delivery>,
    /// (update, platform) → (owner, until).
    senders: HashMap<(i64, Platform), (String, DateTime<Utc>)>,
}

struct Delivery {
    update: i64,
    to: Identity,
    state: &'static str,
    attempts: u32,
    not_before: DateTime<Utc>,
}

impl Outbox {
    /// See `update_deliveries` in the SQL: waiting deliveries go, done ones
    /// keep their outcome under a name that is not the signer's.
    pub(super) fn erase(&mut self, campaign: &str, who: &Identity) {
        let of_campaign: Vec<i64> = self
            .updates
            .iter()
            .filter(|u| u.campaign == campaign)
            .map(|u| u.id)
            .collect();
        self.deliveries.retain(|d| {
            !(of_campaign.contains(&d.update) && &d.to == who && matches!(d.state, "pending" | "sending" | "cancelled"))
        });
        for delivery in &mut self.deliveries {
            if of_campaign.contains(&delivery.update) && &delivery.to == who {
                delivery.to = Identity::new(who.platform, "erased");
            }
        }
    }

    fn stored(&self, id: i64) -> Option<StoredUpdate> {
        let mut update = self.updates.iter().find(|u| u.id == id)?.clone();
        let mut counts = DeliveryCounts::default();
        for delivery in self.deliveries.iter().filter(|d| d.update == id) {
            counts.add(delivery.state, 1).expect("known states");
        }
        update.counts = counts;
        Some(update)
    }
}

fn reaches(state: &State, campaign: &str) -> impl Iterator<Item = Identity> {
    state
        .signatures
        .iter()
        .filter(move |s| {
            s.campaign == campaign
                && s.updates_opt_in
                && s.status != SignatureStatus::Invalidated
                && s.identity.platform != Platform::Console
        })
        .map(|s| s.identity.clone())
        .collect::<Vec<_>>()
        .into_iter()
}

/// Stores an update with a waiting delivery for each recipient, and its
/// audit line (`detail` followed by its number).
pub(super) fn queue(
    state: &mut State,
    update: &NewUpdate,
    recipients: Vec<Identity>,
    audit: &AuditEntry,
    detail: &str,
) -> (i64, u64) {
    let id = state.outbox.updates.len() as i64 + 1;
    let count = recipients.len() as u64;
    state.outbox.updates.push(StoredUpdate {
        id,
        campaign: update.campaign.clone(),
        text: update.text.clone(),
        author: update.author.clone(),
        created_at: update.created_at,
        state: UpdateState::Sending,
        finished_at: None,
        progress_message: None,
        summary_posted: false,
        counts: DeliveryCounts::default(),
    });
    state
        .outbox
        .deliveries
        .extend(recipients.into_iter().map(|to| Delivery {
            update: id,
            to,
            state: "pending",
            attempts: 0,
            not_before: DateTime::<Utc>::MIN_UTC,
        }));
    state.audit.push(AuditEntry {
        detail: format!("{detail}{id}"),
        affected: count,
        ..audit.clone()
    });
    (id, count)
}

/// The signers an update to `campaign` reaches now.
pub(super) fn signers_reached(state: &State, campaign: &str) -> Vec<Identity> {
    reaches(state, campaign).collect()
}

#[async_trait]
impl UpdateStore for MemoryStorage {
    async fn update_reach(&self, campaign: &str) -> StorageResult<Vec<(Platform, u64)>> {
        let state = self.state()?;
        let mut reach: Vec<(Platform, u64)> = Vec::new();
        for who in reaches(&state, campaign) {
            match reach.iter_mut().find(|(platform, _)| *platform == who.platform) {
                Some((_, count)) => *count += 1,
                None => reach.push((who.platform, 1)),
            }
        }
        reach.sort_by_key(|(platform, _)| *platform);
        Ok(reach)
    }

    async fn create_update(&self, update: &NewUpdate, audit: &AuditEntry) -> StorageResult<(i64, u64)> {
        let mut state = self.state()?;
        let recipients: Vec<Identity> = reaches(&state, &update.campaign).collect();
        Ok(queue(&mut state, update, recipients, audit, "update #"))
    }

    async fn set_updates_opt_in(
        &self,
        campaign: Option<&str>,
        who: &Identity,
        opt_in: bool,
        wording: u32,
    ) -> StorageResult<u64> {
        let mut state = self.state()?;
        let mut changed = 0;
        for signature in state
            .signatures
            .iter_mut()
            .filter(|s| &s.identity == who && campaign.is_none_or(|c| s.campaign == c))
        {
            signature.updates_opt_in = opt_in;
            if opt_in {
                signature.updates_wording = wording;
            }
            changed += 1;
        }
        if !opt_in {
            let of_campaign: Vec<i64> = state
                .outbox
                .updates
                .iter()
                .filter(|u| campaign.is_none_or(|c| u.campaign == c))
                .map(|u| u.id)
                .collect();
            for delivery in &mut state.outbox.deliveries {
                if &delivery.to == who && delivery.state == "pending" && of_campaign.contains(&delivery.update) {
                    delivery.state = "cancelled";
                }
            }
        }
        Ok(changed)
    }

    async fn open_updates(&self) -> StorageResult<Vec<StoredUpdate>> {
        let state = self.state()?;
        Ok(state
            .outbox
            .updates
            .iter()
            .filter(|u| u.state == UpdateState::Sending || !u.summary_posted)
            .filter_map(|u| state.outbox.stored(u.id))
            .collect())
    }

    async fn stored_update(&self, id: i64) -> StorageResult<Option<StoredUpdate>> {
        Ok(self.state()?.outbox.stored(id))
    }

    async fn recent_updates(&self, campaign: &str, limit: u32) -> StorageResult<Vec<StoredUpdate>> {
        let state = self.state()?;
        Ok(state
            .outbox
            .updates
            .iter()
            .rev()
            .filter(|u| u.campaign == campaign)
            .take(limit as usize)
            .filter_map(|u| state.outbox.stored(u.id))
            .collect())
    }

    async fn claim_update(
        &self,
        id: i64,
        platform: Platform,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StorageResult<bool> {
        let mut state = self.state()?;
        let lease = state
            .outbox
            .senders
            .entry((id, platform))
            .or_insert_with(|| (owner.to_owned(), until));
        if lease.0 == owner || lease.1 < now {
            *lease = (owner.to_owned(), until);
            return Ok(true);
        }
        Ok(false)
    }

    async fn mark_in_flight_unknown(&self, id: i64, platform: Platform) -> StorageResult<u64> {
        let mut state = self.state()?;
        let mut marked = 0;
        for delivery in &mut state.outbox.deliveries {
            if delivery.update == id && delivery.to.platform == platform && delivery.state == "sending" {
                delivery.state = "unknown";
                marked += 1;
            }
        }
        Ok(marked)
    }

    async fn take_deliveries(
        &self,
        id: i64,
        platform: Platform,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StorageResult<Vec<(String, u32)>> {
        let mut state = self.state()?;
        let mut taken = Vec::new();
        for delivery in &mut state.outbox.deliveries {
            if taken.len() < limit as usize
                && delivery.update == id
                && delivery.to.platform == platform
                && delivery.state == "pending"
                && delivery.not_before <= now
            {
                delivery.state = "sending";
                delivery.attempts += 1;
                taken.push((delivery.to.user_id.clone(), delivery.attempts));
            }
        }
        Ok(taken)
    }

    async fn record_deliveries(
        &self,
        id: i64,
        platform: Platform,
        results: &[(String, DeliveryResult)],
    ) -> StorageResult<()> {
        let mut state = self.state()?;
        for (user_id, result) in results {
            if let Some(delivery) = state.outbox.deliveries.iter_mut().find(|d| {
                d.update == id && d.to.platform == platform && &d.to.user_id == user_id && d.state == "sending"
            }) {
                delivery.state = match result {
                    DeliveryResult::Sent => "sent",
                    DeliveryResult::Unreachable => "unreachable",
                    DeliveryResult::Failed => "failed",
                    DeliveryResult::RetryAt(at) => {
                        delivery.not_before = *at;
                        "pending"
                    }
                };
            }
        }
        Ok(())
    }

    async fn finish_update_if_done(&self, id: i64, now: DateTime<Utc>) -> StorageResult<bool> {
        let mut state = self.state()?;
        let waiting = state
            .outbox
            .deliveries
            .iter()
            .any(|d| d.update == id && matches!(d.state, "pending" | "sending"));
        let Some(update) = state.outbox.updates.iter_mut().find(|u| u.id == id) else {
            return Ok(false);
        };
        if waiting || update.state != UpdateState::Sending {
            return Ok(false);
        }
        update.state = UpdateState::Finished;
        update.finished_at = Some(now);
        Ok(true)
    }

    async fn cancel_update(
        &self,
        campaign: &str,
        id: Option<i64>,
        audit: &AuditEntry,
    ) -> StorageResult<Option<StoredUpdate>> {
        let mut state = self.state()?;
        let Some(update) = state
            .outbox
            .updates
            .iter_mut()
            .rev()
            .find(|u| u.campaign == campaign && u.state == UpdateState::Sending && id.is_none_or(|id| u.id == id))
        else {
            return Ok(None);
        };
        update.state = UpdateState::Cancelled;
        update.finished_at = Some(audit.at);
        let id = update.id;
        let mut dropped = 0;
        for delivery in &mut state.outbox.deliveries {
            if delivery.update == id && delivery.state == "pending" {
                delivery.state = "cancelled";
                dropped += 1;
            }
        }
        state.audit.push(AuditEntry {
            detail: format!("update #{id}"),
            affected: dropped,
            ..audit.clone()
        });
        Ok(state.outbox.stored(id))
    }

    async fn set_progress_message(&self, id: i64, message: &str) -> StorageResult<()> {
        let mut state = self.state()?;
        if let Some(update) = state.outbox.updates.iter_mut().find(|u| u.id == id) {
            update.progress_message = Some(message.to_owned());
        }
        Ok(())
    }

    async fn mark_summary_posted(&self, id: i64) -> StorageResult<bool> {
        let mut state = self.state()?;
        match state.outbox.updates.iter_mut().find(|u| u.id == id) {
            Some(update) if !update.summary_posted => {
                update.summary_posted = true;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
