//! The storage every part of the application holds: the hot path written
//! once for both databases (conversations, signing and the lookups every
//! message makes, with their group commits, batched reads and, on SQLite,
//! the conversation cache), and the rest of the queries behind it. A
//! backend builds the parts (opening the database, its writer, its
//! lookups); nothing here knows which database it is.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;

use super::cache::ConversationCache;
use super::group_commit::{GroupCommit, Write, Written};
use super::group_read::GroupRead;
use super::sql::WriteCheck;
use super::{AttemptKey, NewSignature, Queries, SignOutcome, Signature, StorageError, StorageResult};
use crate::domain::Identity;

/// Where a storage reads conversations from.
#[derive(Clone)]
pub(super) enum Conversations {
    /// A complete copy in memory, for a storage that alone owns its
    /// database (SQLite); every write passes through it.
    Cached(Arc<ConversationCache>),
    /// The database, every time, for a storage whose database other
    /// processes share (PostgreSQL).
    Read(GroupRead<Identity, Option<String>>),
}

/// Closes what a backend opened for itself (lookup connections, the pool).
pub(super) type Close = Arc<dyn Fn() -> BoxFuture<'static, ()> + Send + Sync>;

/// The erasures whose rows the storage also holds in its conversation
/// cache: written in `sql/erasures.rs`, and reachable only through
/// [`Storage`], so nothing erases around the cache.
#[async_trait::async_trait]
pub(super) trait Erasures: Send + Sync {
    /// Deletes a signature and everything held with it; the campaign's new
    /// total, or `None` if there was nothing to delete.
    async fn withdraw(&self, campaign: &str, who: &Identity) -> StorageResult<Option<u64>>;

    /// Deletes conversations not touched since `cutoff`; how many.
    async fn delete_conversations_idle_since(&self, cutoff: DateTime<Utc>) -> StorageResult<u64>;

    /// Anonymises a campaign's signatures; how many, and whose
    /// conversations ended with it.
    async fn anonymise(&self, campaign: &str, at: DateTime<Utc>) -> StorageResult<(u64, Vec<Identity>)>;

    /// Something was erased outside these methods: have it cleared from the
    /// disk soon.
    fn erased(&self);

    /// Clears from the disk now what was erased and not cleared yet.
    async fn clear_what_is_owed(&self);
}

/// The database: what the engine, the adapters and the command line read
/// and write. Derefs to its [`Queries`] for everything off the hot path.
#[derive(Clone)]
pub struct Storage {
    pub(super) queries: Arc<dyn Queries>,
    pub(super) erasures: Arc<dyn Erasures>,
    /// Fails when writes must be refused (SQLite: the file was replaced).
    pub(super) check: WriteCheck,
    /// Conversation saves and ends: many share each transaction and its
    /// fsync (see `group_commit`).
    pub(super) conversation_writer: GroupCommit,
    /// Signatures, the same way; the conversation writer itself where one
    /// writer serves everything (SQLite).
    pub(super) signature_writer: GroupCommit,
    pub(super) conversations: Conversations,
    /// Lookups that arrive together share one query.
    pub(super) signature_reads: GroupRead<(String, Identity), Option<Signature>>,
    /// See `signature_reads`.
    pub(super) total_reads: GroupRead<String, u64>,
    /// See `signature_reads`.
    pub(super) attempt_reads: GroupRead<AttemptKey, Vec<DateTime<Utc>>>,
    /// Run once the writers have stopped, at exit.
    pub(super) close: Close,
    /// How long each conversation load is held back: always zero, except
    /// in a test's deliberately slow copy (see [`Storage::slowed`]).
    pub(super) load_delay: std::time::Duration,
}

impl std::ops::Deref for Storage {
    type Target = dyn Queries;

    fn deref(&self) -> &Self::Target {
        &*self.queries
    }
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Storage")
    }
}

impl Storage {
    fn cache(&self) -> Option<&ConversationCache> {
        match &self.conversations {
            Conversations::Cached(cache) => Some(cache),
            Conversations::Read(_) => None,
        }
    }

    /// A copy of this storage, on the same database, whose every
    /// conversation load (which every message makes) takes `delay` longer:
    /// for showing that adapters keep platform deadlines when the database
    /// lags.
    #[cfg(feature = "test-kit")]
    pub fn slowed(&self, delay: std::time::Duration) -> Arc<Storage> {
        Arc::new(Storage {
            load_delay: delay,
            ..self.clone()
        })
    }

    /// The saved conversation state for an identity, if any.
    pub async fn load_conversation(&self, who: &Identity) -> StorageResult<Option<String>> {
        if !self.load_delay.is_zero() {
            tokio::time::sleep(self.load_delay).await;
        }
        match &self.conversations {
            Conversations::Cached(cache) => Ok(cache.get(who)),
            Conversations::Read(reads) => reads.read(who.clone()).await,
        }
    }

    /// Saves (or replaces) an identity's conversation state.
    pub async fn save_conversation(&self, who: &Identity, state: &str, at: DateTime<Utc>) -> StorageResult<()> {
        self.conversation_writer
            .write(Write::SaveConversation {
                who: who.clone(),
                state: state.to_owned(),
                at,
            })
            .await?;
        // Only once it is durable: the cache never runs ahead of the file.
        if let Some(cache) = self.cache() {
            cache.put(who, state, at);
        }
        Ok(())
    }

    /// Forgets an identity's conversation.
    pub async fn delete_conversation(&self, who: &Identity) -> StorageResult<()> {
        self.conversation_writer
            .write(Write::DeleteConversation { who: who.clone() })
            .await?;
        if let Some(cache) = self.cache() {
            cache.remove(who);
        }
        self.erasures.erased();
        Ok(())
    }

    /// Deletes conversations not touched since `cutoff`; returns how many.
    pub async fn delete_conversations_idle_since(&self, cutoff: DateTime<Utc>) -> StorageResult<u64> {
        let deleted = self.erasures.delete_conversations_idle_since(cutoff).await?;
        if let Some(cache) = self.cache() {
            cache.remove_idle_since(cutoff);
        }
        Ok(deleted)
    }

    /// Stores a signature unless this identity or email already signed the
    /// campaign, updating the total in the same transaction. Either way the
    /// signer's conversation is finished, and is deleted in that transaction.
    pub async fn sign(&self, signature: &NewSignature) -> StorageResult<SignOutcome> {
        match self
            .signature_writer
            .write(Write::Sign(Box::new(signature.clone())))
            .await?
        {
            Written::Signed(outcome) => {
                // The batch ended the conversation; so does the cache.
                if let Some(cache) = self.cache() {
                    cache.remove(&signature.identity);
                }
                Ok(outcome)
            }
            Written::Done => Err(StorageError::Corrupt("a signature came back without an outcome".into())),
        }
    }

    /// This identity's signature on a campaign, if any.
    pub async fn signature_of(&self, campaign: &str, who: &Identity) -> StorageResult<Option<Signature>> {
        self.signature_reads.read((campaign.to_owned(), who.clone())).await
    }

    /// Deletes this identity's signature and everything in it; returns the
    /// campaign's new total, or `None` if there was nothing to delete.
    pub async fn withdraw(&self, campaign: &str, who: &Identity) -> StorageResult<Option<u64>> {
        let total = self.erasures.withdraw(campaign, who).await?;
        if let Some(cache) = self.cache() {
            cache.remove(who);
        }
        Ok(total)
    }

    /// The campaign's total, read from its counter, not by counting.
    pub async fn total(&self, campaign: &str) -> StorageResult<u64> {
        self.total_reads.read(campaign.to_owned()).await
    }

    /// When this identity's signing attempts on a campaign after `since`
    /// were made, oldest first. Every signature handed to [`Storage::sign`]
    /// is an attempt, stored or turned away; attempts are kept so that the
    /// limit on them holds across restarts and processes, and deleted with
    /// a withdrawal.
    pub async fn signing_attempts_since(
        &self,
        campaign: &str,
        who: &Identity,
        since: DateTime<Utc>,
    ) -> StorageResult<Vec<DateTime<Utc>>> {
        self.attempt_reads.read((campaign.to_owned(), who.clone(), since)).await
    }

    /// Forgets a campaign's signers: each signature keeps only its day,
    /// postcode district or country, platform and status; its signing
    /// attempts, conversations and waiting deliveries go, and past
    /// deliveries keep their outcome under a random name. Returns how many
    /// signatures were anonymised; running it again changes nothing.
    pub async fn anonymise(&self, campaign: &str, at: DateTime<Utc>) -> StorageResult<u64> {
        let (anonymised, ended) = self.erasures.anonymise(campaign, at).await?;
        if let Some(cache) = self.cache() {
            for who in &ended {
                cache.remove(who);
            }
        }
        Ok(anonymised)
    }

    /// Whether the storage can take writes now, for a readiness probe: it
    /// answers, and (SQLite) the file at its path is still the one it
    /// writes.
    pub async fn ready(&self) -> StorageResult<()> {
        (self.check)()?;
        self.queries.lifecycles().await.map(drop)
    }

    /// Closes every connection properly, once writes in hand are committed;
    /// called when the process is about to exit. SQLite then leaves no
    /// write-ahead log behind, nor any earlier copy of erased data in it.
    pub async fn close(&self) {
        let writers = (self.conversation_writer.clone(), self.signature_writer.clone());
        super::thread::on_storage_thread(async move {
            writers.0.close().await;
            writers.1.close().await;
        })
        .await;
        // An erasure made just before (a command's withdraw or anonymise)
        // leaves the disk before the process does.
        self.erasures.clear_what_is_owed().await;
        let close = (self.close)();
        super::thread::on_storage_thread(close).await;
    }
}
