//! Storage in memory, for the engine's unit tests: every trait the engine
//! uses, keeping the rules the databases keep (one signature per identity
//! and per email in a campaign, counters moved with the signatures they
//! count, the conversation ended by signing) without a file or a server.
//!
//! Compiled only for tests; the integration tests run the same engine on
//! SQLite and PostgreSQL.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

mod milestones;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::breakdowns::Deltas;
use super::{
    Anomaly, AuditEntry, ConnectionLog, ConversationStore, DuplicateMatch, NewSignature, PriorSignature, ReviewAction,
    ReviewStore, SecretStore, Selection, SignOutcome, Signature, SignatureStatus, SignatureStore, Storage,
    StorageError, StorageResult,
};
use crate::domain::{Identity, ShareCode};

mod lifecycle;
mod review;
mod updates;

/// Everything a database would hold, behind one lock: each call is one
/// transaction.
#[derive(Default)]
pub(crate) struct MemoryStorage {
    // A plain mutex: no call holds it across an await.
    state: Mutex<State>,
    /// Set by [`MemoryStorage::break_down`], to test failures.
    broken: AtomicBool,
}

#[derive(Default)]
struct State {
    conversations: HashMap<Identity, (String, DateTime<Utc>)>,
    /// In signing order, as the export lists them.
    signatures: Vec<Signature>,
    /// Per campaign: (counted, held).
    totals: HashMap<String, (u64, u64)>,
    /// The breakdown counters, as the databases keep them.
    breakdowns: Breakdowns,
    consent_wordings: HashMap<(String, u32), String>,
    attempts: Vec<(String, Identity, DateTime<Utc>)>,
    audit: Vec<AuditEntry>,
    anomalies: Vec<Anomaly>,
    connections: Vec<(String, DateTime<Utc>)>,
    secrets: HashMap<String, String>,
    /// The outbox: see `updates.rs`.
    outbox: updates::Outbox,
    /// Campaigns' lifecycles (see `lifecycle.rs`).
    lifecycles: HashMap<String, crate::storage::Lifecycle>,
    /// Goals, milestones and progress messages (see `memory/milestones.rs`).
    milestones: milestones::MilestoneState,
}

impl MemoryStorage {
    /// From now on every call fails, as when the database is gone.
    pub(crate) fn break_down(&self) {
        self.broken.store(true, Ordering::Relaxed);
    }

    fn state(&self) -> StorageResult<std::sync::MutexGuard<'_, State>> {
        if self.broken.load(Ordering::Relaxed) {
            return Err(StorageError::WriterStopped);
        }
        Ok(self.state.lock().expect("memory storage lock poisoned"))
    }
}

/// Per campaign, dimension and label: a breakdown counter (see
/// `storage::breakdowns`).
type Breakdowns = HashMap<(String, &'static str, String), i64>;

/// Adds `by` to every breakdown counter a counted signature is counted under.
fn count_under(breakdowns: &mut Breakdowns, signature: &Signature, by: i64) {
    let mut deltas = Deltas::default();
    deltas.add(super::breakdowns::of_signature(signature), by);
    for (campaign, dimension, label, change) in deltas.rows() {
        let key = (campaign.to_owned(), dimension, label.to_owned());
        *breakdowns.entry(key.clone()).or_default() += change;
        // As the databases do, a counter taken down to nothing goes.
        if breakdowns[&key] <= 0 {
            breakdowns.remove(&key);
        }
    }
}

impl State {
    fn counters(&mut self, campaign: &str) -> &mut (u64, u64) {
        self.totals.entry(campaign.to_owned()).or_default()
    }
}

#[async_trait]
impl ConversationStore for MemoryStorage {
    async fn load_conversation(&self, who: &Identity) -> StorageResult<Option<String>> {
        Ok(self.state()?.conversations.get(who).map(|(state, _)| state.clone()))
    }

    async fn save_conversation(&self, who: &Identity, state: &str, at: DateTime<Utc>) -> StorageResult<()> {
        self.state()?.conversations.insert(who.clone(), (state.to_owned(), at));
        Ok(())
    }

    async fn delete_conversation(&self, who: &Identity) -> StorageResult<()> {
        self.state()?.conversations.remove(who);
        Ok(())
    }

    async fn delete_conversations_idle_since(&self, cutoff: DateTime<Utc>) -> StorageResult<u64> {
        let mut state = self.state()?;
        let before = state.conversations.len();
        state.conversations.retain(|_, (_, at)| *at >= cutoff);
        Ok((before - state.conversations.len()) as u64)
    }
}

#[async_trait]
impl SignatureStore for MemoryStorage {
    async fn register_campaign(
        &self,
        campaign: &str,
        consent_version: u32,
        consent_wording: &str,
    ) -> StorageResult<()> {
        let mut state = self.state()?;
        state.counters(campaign);
        let recorded = state
            .consent_wordings
            .entry((campaign.to_owned(), consent_version))
            .or_insert_with(|| consent_wording.to_owned());
        if recorded != consent_wording {
            return Err(StorageError::ConsentWordingChanged {
                campaign: campaign.to_owned(),
                version: consent_version,
            });
        }
        Ok(())
    }

    async fn sign(&self, signature: &NewSignature) -> StorageResult<SignOutcome> {
        let mut state = self.state()?;
        let campaign = signature.campaign.as_str();
        state
            .attempts
            .push((campaign.to_owned(), signature.identity.clone(), signature.created_at));
        state.conversations.remove(&signature.identity);
        let same_campaign = || state.signatures.iter().filter(|s| s.campaign == campaign);
        let prior = same_campaign()
            .find(|s| s.identity == signature.identity)
            .map(|s| (s, DuplicateMatch::Identity))
            .or_else(|| {
                let email = signature.email.as_ref()?;
                same_campaign()
                    .find(|s| s.email.as_ref() == Some(email))
                    .map(|s| (s, DuplicateMatch::Email))
            });
        if let Some((prior, matched_by)) = prior {
            return Ok(SignOutcome::AlreadySigned(PriorSignature {
                signed_at: prior.created_at,
                platform: prior.identity.platform,
                matched_by,
            }));
        }
        let share_code = std::iter::repeat_with(ShareCode::generate)
            .find(|code| !same_campaign().any(|s| &s.share_code == code))
            .expect("an endless supply of codes");
        state.signatures.push(Signature {
            campaign: campaign.to_owned(),
            identity: signature.identity.clone(),
            name: signature.name.clone(),
            email: signature.email.clone(),
            location: signature.location.clone(),
            updates_opt_in: signature.updates_opt_in,
            updates_wording: crate::messages::UPDATES_WORDING,
            consent_version: signature.consent_version,
            consent_at: signature.consent_at,
            referral_code: signature.referral_code.clone(),
            share_code: share_code.clone(),
            created_at: signature.created_at,
            status: signature.hold.map_or(SignatureStatus::Counted, SignatureStatus::Held),
        });
        if signature.hold.is_none() {
            let state = &mut *state;
            let stored = state.signatures.last().expect("just stored");
            count_under(&mut state.breakdowns, stored, 1);
        }
        let counters = state.counters(campaign);
        match signature.hold {
            Some(_) => counters.1 += 1,
            None => counters.0 += 1,
        }
        Ok(SignOutcome::Signed {
            share_code,
            total: counters.0,
            held: signature.hold.is_some(),
        })
    }

    async fn signature_of(&self, campaign: &str, who: &Identity) -> StorageResult<Option<Signature>> {
        Ok(self
            .state()?
            .signatures
            .iter()
            .find(|s| s.campaign == campaign && &s.identity == who)
            .cloned())
    }

    async fn withdraw(&self, campaign: &str, who: &Identity) -> StorageResult<Option<u64>> {
        let mut state = self.state()?;
        let Some(index) = state
            .signatures
            .iter()
            .position(|s| s.campaign == campaign && &s.identity == who)
        else {
            return Ok(None);
        };
        let withdrawn = state.signatures.remove(index);
        if withdrawn.status == SignatureStatus::Counted {
            count_under(&mut state.breakdowns, &withdrawn, -1);
        }
        let counters = state.counters(campaign);
        match withdrawn.status {
            SignatureStatus::Counted => counters.0 -= 1,
            SignatureStatus::Held(_) => counters.1 -= 1,
            SignatureStatus::Invalidated => {}
        }
        let total = counters.0;
        state.conversations.remove(who);
        state
            .attempts
            .retain(|(attempted, identity, _)| !(attempted == campaign && identity == who));
        state.outbox.erase(campaign, who);
        Ok(Some(total))
    }

    async fn total(&self, campaign: &str) -> StorageResult<u64> {
        Ok(self.state()?.totals.get(campaign).map_or(0, |(counted, _)| *counted))
    }

    async fn signing_attempts_since(
        &self,
        campaign: &str,
        who: &Identity,
        since: DateTime<Utc>,
    ) -> StorageResult<Vec<DateTime<Utc>>> {
        let mut times: Vec<DateTime<Utc>> = self
            .state()?
            .attempts
            .iter()
            .filter(|(attempted, identity, at)| attempted == campaign && identity == who && *at > since)
            .map(|(_, _, at)| *at)
            .collect();
        times.sort();
        Ok(times)
    }

    async fn forget_signing_attempts_before(&self, before: DateTime<Utc>) -> StorageResult<u64> {
        let mut state = self.state()?;
        let count = state.attempts.len();
        state.attempts.retain(|(_, _, at)| *at > before);
        Ok((count - state.attempts.len()) as u64)
    }
}

#[async_trait]
impl ConnectionLog for MemoryStorage {
    async fn record_connection_attempt(
        &self,
        bot: &str,
        at: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> StorageResult<()> {
        let mut state = self.state()?;
        state
            .connections
            .retain(|(logged, when)| !(logged == bot && *when < forget_before));
        state.connections.push((bot.to_owned(), at));
        Ok(())
    }

    async fn connection_attempts_since(&self, bot: &str, since: DateTime<Utc>) -> StorageResult<u64> {
        Ok(self
            .state()?
            .connections
            .iter()
            .filter(|(logged, at)| logged == bot && *at >= since)
            .count() as u64)
    }
}

#[async_trait]
impl SecretStore for MemoryStorage {
    async fn instance_secret(&self, name: &str, fresh: &str) -> StorageResult<String> {
        Ok(self
            .state()?
            .secrets
            .entry(name.to_owned())
            .or_insert_with(|| fresh.to_owned())
            .clone())
    }
}

impl Storage for MemoryStorage {}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::{Email, HoldReason, Location, Platform, PostcodeDistrict, SignerName};

    fn signature(user: &str, email: &str, hold: Option<HoldReason>) -> NewSignature {
        let at = Utc.with_ymd_and_hms(2026, 11, 3, 14, 0, 0).unwrap();
        NewSignature {
            campaign: "c".into(),
            identity: Identity::new(Platform::Telegram, user),
            name: SignerName::parse("Ann Lee").unwrap(),
            email: Some(Email::parse(email).unwrap()),
            location: Location::Uk(PostcodeDistrict::parse("SE1").unwrap()),
            updates_opt_in: false,
            consent_version: 1,
            consent_at: at,
            referral_code: None,
            created_at: at,
            hold,
        }
    }

    #[tokio::test]
    async fn a_second_signature_by_the_same_account_or_email_is_refused_saying_which() {
        let storage = MemoryStorage::default();
        assert!(matches!(
            storage.sign(&signature("1", "a@example.org", None)).await.unwrap(),
            SignOutcome::Signed {
                total: 1,
                held: false,
                ..
            }
        ));
        for (user, email, matched) in [
            ("1", "b@example.org", DuplicateMatch::Identity),
            ("2", "a@example.org", DuplicateMatch::Email),
        ] {
            let SignOutcome::AlreadySigned(prior) = storage.sign(&signature(user, email, None)).await.unwrap() else {
                panic!("{user} {email} is a duplicate");
            };
            assert_eq!(prior.matched_by, matched);
        }
        assert_eq!(storage.total("c").await.unwrap(), 1);
        let who = Identity::new(Platform::Telegram, "2");
        assert_eq!(
            storage
                .signing_attempts_since("c", &who, DateTime::<Utc>::MIN_UTC)
                .await
                .unwrap()
                .len(),
            1,
            "a refused signature is an attempt too"
        );
    }

    #[tokio::test]
    async fn the_counters_follow_signatures_through_holds_reviews_and_withdrawals() {
        let storage = MemoryStorage::default();
        storage.sign(&signature("1", "a@example.org", None)).await.unwrap();
        storage
            .sign(&signature("2", "b@example.org", Some(HoldReason::Surge)))
            .await
            .unwrap();
        storage
            .sign(&signature("3", "c@example.org", Some(HoldReason::NewAccount)))
            .await
            .unwrap();
        let audit = AuditEntry {
            campaign: "c".into(),
            actor: Identity::new(Platform::Console, "organiser"),
            action: "release".into(),
            detail: String::new(),
            affected: 0,
            at: Utc::now(),
        };
        let surge = Selection {
            reason: Some(HoldReason::Surge),
            ..Selection::default()
        };
        let released = storage
            .apply_review("c", &surge, ReviewAction::Release, &audit)
            .await
            .unwrap();
        assert_eq!((released.affected, released.total, released.held), (1, 2, 1));
        let everything = Selection::default();
        let matched = storage
            .count_selected("c", &everything, ReviewAction::Invalidate)
            .await
            .unwrap();
        assert_eq!((matched.held, matched.counted), (1, 2));
        let who = Identity::new(Platform::Telegram, "1");
        assert_eq!(storage.withdraw("c", &who).await.unwrap(), Some(1));
        assert_eq!(storage.withdraw("c", &who).await.unwrap(), None);
        assert!(
            storage
                .recount()
                .await
                .unwrap()
                .iter()
                .all(|recount| !recount.drifted())
        );
        assert_eq!(storage.audit_log("c").await.unwrap()[0].affected, 1);
    }
}
