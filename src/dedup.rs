//! Remembering which events were already handled, so an event delivered
//! twice (a webhook retry, a resumed gateway session, a double tap) is handled
//! once.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

/// The most recent event ids seen. Bounded: only the newest `capacity` ids
/// are remembered, which covers redeliveries, and memory stays flat.
#[derive(Debug)]
pub struct RecentIds {
    // A plain mutex: held only to look up and insert, never across await.
    seen: Mutex<(HashSet<u64>, VecDeque<u64>)>,
    capacity: usize,
}

impl RecentIds {
    /// Remembers up to `capacity` ids.
    pub fn new(capacity: usize) -> Self {
        Self {
            seen: Mutex::new((HashSet::with_capacity(capacity), VecDeque::with_capacity(capacity))),
            capacity,
        }
    }

    /// True the first time an id is seen.
    pub fn first_time(&self, id: u64) -> bool {
        let mut guard = self.seen.lock().expect("recent ids lock poisoned");
        let (set, order) = &mut *guard;
        if !set.insert(id) {
            return false;
        }
        order.push_back(id);
        if order.len() > self.capacity
            && let Some(oldest) = order.pop_front()
        {
            set.remove(&oldest);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_ids_are_recognised_within_the_window() {
        let recent = RecentIds::new(3);
        assert!(recent.first_time(1));
        assert!(!recent.first_time(1));
        assert!(recent.first_time(2));
        assert!(recent.first_time(3));
        assert!(recent.first_time(4));
        assert!(
            recent.first_time(1),
            "the oldest id was forgotten, memory stays bounded"
        );
    }
}
