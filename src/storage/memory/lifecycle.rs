//! The in-memory storage's campaign lifecycles, with the databases' rules:
//! a closing is recorded (and announced) once, a delivered campaign stays
//! closed, and anonymising keeps only what the totals need.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::MemoryStorage;
use super::updates::{queue, signers_reached};
use crate::domain::Identity;
use crate::storage::breakdowns::REFERRAL;
use crate::storage::lifecycle::{Lifecycle, LifecycleStore, Reopening};
use crate::storage::{AuditEntry, NewUpdate, SignatureStatus, StorageResult};

#[async_trait]
impl LifecycleStore for MemoryStorage {
    async fn lifecycles(&self) -> StorageResult<Vec<Lifecycle>> {
        let state = self.state()?;
        let mut lifecycles: Vec<Lifecycle> = state.lifecycles.values().cloned().collect();
        lifecycles.sort_by(|a, b| a.campaign.cmp(&b.campaign));
        Ok(lifecycles)
    }

    async fn close_campaign(
        &self,
        at: DateTime<Utc>,
        audit: &AuditEntry,
        announcement: &NewUpdate,
    ) -> StorageResult<Option<i64>> {
        let mut state = self.state()?;
        let lifecycle = state
            .lifecycles
            .entry(audit.campaign.clone())
            .or_insert_with(|| Lifecycle {
                campaign: audit.campaign.clone(),
                ..Lifecycle::default()
            });
        if lifecycle.closed_at.is_some() {
            return Ok(None);
        }
        lifecycle.closed_at = Some(at);
        // Announcement chats are the databases' to keep; here only signers.
        let recipients = signers_reached(&state, &audit.campaign);
        let (id, _) = queue(&mut state, announcement, recipients, audit, "announced in update #");
        Ok(Some(id))
    }

    async fn reopen_campaign(&self, audit: &AuditEntry) -> StorageResult<Reopening> {
        let mut state = self.state()?;
        let lifecycle = state
            .lifecycles
            .entry(audit.campaign.clone())
            .or_insert_with(|| Lifecycle {
                campaign: audit.campaign.clone(),
                ..Lifecycle::default()
            });
        if lifecycle.delivered_at.is_some() {
            return Ok(Reopening::AlreadyDelivered);
        }
        if lifecycle.anonymised_at.is_some() {
            return Ok(Reopening::AlreadyAnonymised);
        }
        lifecycle.closed_at = None;
        lifecycle.reopened = true;
        state.audit.push(audit.clone());
        Ok(Reopening::Reopened)
    }

    async fn mark_delivered(&self, campaign: &str, at: DateTime<Utc>) -> StorageResult<()> {
        let mut state = self.state()?;
        let lifecycle = state
            .lifecycles
            .entry(campaign.to_owned())
            .or_insert_with(|| Lifecycle {
                campaign: campaign.to_owned(),
                ..Lifecycle::default()
            });
        lifecycle.delivered_at = Some(at);
        Ok(())
    }

    async fn signatures_to_anonymise(&self, campaign: &str) -> StorageResult<u64> {
        let state = self.state()?;
        Ok(state
            .signatures
            .iter()
            .filter(|s| s.campaign == campaign && !s.identity.user_id.starts_with("anonymised-"))
            .count() as u64)
    }

    async fn anonymise(&self, campaign: &str, at: DateTime<Utc>) -> StorageResult<u64> {
        let mut guard = self.state()?;
        let state = &mut *guard;
        let mut anonymised = 0;
        let mut forgotten = Vec::new();
        for (n, signature) in state.signatures.iter_mut().enumerate() {
            if signature.campaign != campaign || signature.identity.user_id.starts_with("anonymised-") {
                continue;
            }
            forgotten.push(signature.identity.clone());
            // The databases forget the breakdown of referral codes with them.
            if let (Some(code), SignatureStatus::Counted) = (&signature.referral_code, signature.status) {
                let key = (campaign.to_owned(), REFERRAL, code.as_str().to_owned());
                *state.breakdowns.entry(key.clone()).or_default() -= 1;
                if state.breakdowns[&key] <= 0 {
                    state.breakdowns.remove(&key);
                }
            }
            signature.identity = Identity::new(signature.identity.platform, format!("anonymised-{n}"));
            signature.name = crate::domain::SignerName::from_trusted(String::new());
            signature.email = None;
            signature.referral_code = None;
            signature.updates_opt_in = false;
            anonymised += 1;
        }
        let prefix = format!("{{\"campaign\":{}", serde_json::Value::from(campaign));
        state.conversations.retain(|_, (json, _)| !json.starts_with(&prefix));
        for who in &forgotten {
            state.outbox.erase(campaign, who);
        }
        state.attempts.retain(|(attempted, _, _)| attempted != campaign);
        let lifecycle = state
            .lifecycles
            .entry(campaign.to_owned())
            .or_insert_with(|| Lifecycle {
                campaign: campaign.to_owned(),
                ..Lifecycle::default()
            });
        lifecycle.anonymised_at.get_or_insert(at);
        Ok(anonymised)
    }
}
