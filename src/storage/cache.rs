//! The conversations a process has in hand, kept in memory so a message
//! costs no read. Only a storage that alone owns its database may keep one
//! (SQLite: one process per file); with PostgreSQL several processes share
//! the data, so every message reads the database.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::domain::Identity;

/// Independent locks, so thousands of supporters do not queue on one.
const SHARDS: usize = 64;

/// One shard: states by identity, with when each was saved.
type Shard = Mutex<HashMap<Identity, (Box<str>, DateTime<Utc>)>>;

/// Conversation states by identity, with when each was saved.
pub(super) struct ConversationCache {
    // Plain mutexes: each is held for one map operation, never across await.
    shards: Vec<Shard>,
}

/// Shows only how many conversations are held: they are personal data.
impl std::fmt::Debug for ConversationCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let held: usize = self.shards.iter().map(|s| s.lock().map_or(0, |s| s.len())).sum();
        write!(f, "ConversationCache({held} conversations)")
    }
}

impl ConversationCache {
    /// A cache for a storage that alone owns its database, filled with every
    /// conversation in it; from then on every write passes through it, so it
    /// stays complete and a lookup never needs the database.
    pub(super) fn complete(conversations: Vec<(Identity, String, DateTime<Utc>)>) -> Self {
        let cache = Self {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        };
        for (who, state, at) in conversations {
            cache.put(&who, &state, at);
        }
        cache
    }

    fn shard(&self, who: &Identity) -> &Shard {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        who.hash(&mut hasher);
        &self.shards[(hasher.finish() as usize) % SHARDS]
    }

    /// The supporter's conversation; the cache is complete, so `None`
    /// means they have none.
    pub(super) fn get(&self, who: &Identity) -> Option<String> {
        let shard = self.shard(who).lock().expect("cache lock poisoned");
        shard.get(who).map(|(state, _)| state.to_string())
    }

    /// Remembers a state that is durable in the database.
    pub(super) fn put(&self, who: &Identity, state: &str, at: DateTime<Utc>) {
        let mut shard = self.shard(who).lock().expect("cache lock poisoned");
        shard.insert(who.clone(), (state.into(), at));
    }

    /// Forgets a conversation.
    pub(super) fn remove(&self, who: &Identity) {
        self.shard(who).lock().expect("cache lock poisoned").remove(who);
    }

    /// Forgets conversations not saved since `cutoff`, as the database does.
    pub(super) fn remove_idle_since(&self, cutoff: DateTime<Utc>) {
        for shard in &self.shards {
            let mut shard = shard.lock().expect("cache lock poisoned");
            shard.retain(|_, (_, at)| *at >= cutoff);
            shard.shrink_to_fit();
        }
    }
}
