//! The pace's bookkeeping, with time passed in: what is in flight, what was
//! answered lately, who waits, and who may go now.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

use super::{Destination, Limits, MARGIN, Priority, Rule};

/// How often chats with nothing recent are forgotten.
const FORGET_CHATS_EVERY: Duration = Duration::from_secs(1);

/// A message waiting for its turn.
pub(super) struct Waiter {
    pub(super) destination: Destination,
    pub(super) priority: Priority,
    pub(super) since: Instant,
    /// Told when the turn comes; closed if the sender gave up waiting.
    pub(super) given: oneshot::Sender<()>,
}

/// Messages in flight and answered lately, overall or in one chat.
#[derive(Default)]
struct Recent {
    in_flight: u32,
    /// When recent messages were answered, oldest first.
    answered: VecDeque<Instant>,
}

impl Recent {
    /// Forgets answers that left a window of `span` before `now`.
    fn forget_before(&mut self, now: Instant, span: Duration) {
        while self.answered.front().is_some_and(|at| now.duration_since(*at) >= span) {
            self.answered.pop_front();
        }
    }

    /// Answers within `span` of `now` (the list may hold older ones, kept
    /// for a longer rule).
    fn answered_within(&self, now: Instant, span: Duration) -> impl Iterator<Item = &Instant> {
        self.answered.iter().filter(move |at| now.duration_since(**at) < span)
    }

    fn used(&self, now: Instant, span: Duration) -> u32 {
        self.in_flight + self.answered_within(now, span).count() as u32
    }
}

/// One chat's recent messages, and a hold the platform asked for.
#[derive(Default)]
struct Chat {
    recent: Recent,
    held_until: Option<Instant>,
}

/// When a chat may have its next message.
enum Ready {
    Now,
    At(Instant),
    /// Once a message in flight is answered.
    AfterAnswer,
}

impl Chat {
    fn ready(&self, rules: &[Rule], now: Instant) -> Ready {
        let mut at = self.held_until.filter(|until| *until > now);
        for rule in rules {
            let span = rule.per + MARGIN;
            let used = self.recent.used(now, span);
            if used < rule.count {
                continue;
            }
            // The answers that must leave the window before one more fits.
            let must_leave = (used - rule.count + 1) as usize;
            let Some(leaves) = self.recent.answered_within(now, span).nth(must_leave - 1) else {
                return Ready::AfterAnswer;
            };
            let free_at = *leaves + span;
            at = Some(at.map_or(free_at, |at| at.max(free_at)));
        }
        match at {
            Some(at) => Ready::At(at),
            None => Ready::Now,
        }
    }

    fn is_idle(&self, now: Instant, longest: Duration) -> bool {
        self.recent.in_flight == 0
            && self.recent.answered.iter().all(|at| now.duration_since(*at) >= longest)
            && self.held_until.is_none_or(|until| until <= now)
    }
}

/// The whole pace's state.
pub(super) struct Schedule {
    limits: Limits,
    overall: Recent,
    broadcasts: Recent,
    chats: HashMap<Destination, Chat>,
    /// Waiters per priority, highest first, each first come first served.
    waiting: [VecDeque<Waiter>; 4],
    paused_until: Option<Instant>,
    last_forgotten: Option<Instant>,
}

impl Schedule {
    pub(super) fn new(limits: Limits) -> Self {
        Self {
            limits,
            overall: Recent::default(),
            broadcasts: Recent::default(),
            chats: HashMap::new(),
            waiting: Default::default(),
            paused_until: None,
            last_forgotten: None,
        }
    }

    pub(super) fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The window of the overall limit.
    fn second() -> Duration {
        Duration::from_secs(1) + MARGIN
    }

    /// The most a second that broadcasts may take: their own limit, and
    /// never the last slot of a limit above one.
    fn broadcast_allowance(&self) -> u32 {
        let per_second = self.limits.per_second.max(1);
        self.limits
            .broadcasts_per_second
            .min(per_second.saturating_sub(1).max(1))
            .max(1)
    }

    pub(super) fn wait(&mut self, waiter: Waiter) {
        self.waiting[waiter.priority as usize].push_back(waiter);
    }

    pub(super) fn waiting(&self, priority: Priority) -> usize {
        self.waiting[priority as usize].len()
    }

    pub(super) fn pause_until(&mut self, until: Instant) {
        self.paused_until = Some(self.paused_until.map_or(until, |paused| paused.max(until)));
    }

    pub(super) fn hold(&mut self, destination: Destination, until: Instant) {
        let chat = self.chats.entry(destination).or_default();
        chat.held_until = Some(chat.held_until.map_or(until, |held| held.max(until)));
    }

    pub(super) fn expected_wait(&self, now: Instant) -> Duration {
        let paused = self
            .paused_until
            .map_or(Duration::ZERO, |until| until.saturating_duration_since(now));
        let ahead = self.waiting(Priority::Reply) as f64;
        paused + Duration::from_secs_f64(ahead / f64::from(self.limits.per_second.max(1)))
    }

    /// A message to `destination` at `priority` was answered at `now`.
    pub(super) fn answered(&mut self, destination: Destination, priority: Priority, now: Instant) {
        self.overall.in_flight -= 1;
        self.overall.answered.push_back(now);
        if priority == Priority::Broadcast {
            self.broadcasts.in_flight -= 1;
            self.broadcasts.answered.push_back(now);
        }
        if let Some(chat) = self.chats.get_mut(&destination) {
            chat.recent.in_flight -= 1;
            chat.recent.answered.push_back(now);
        }
    }

    /// Gives every turn that may go at `now`; returns when to look again
    /// (besides whenever something changes), if a time will free a slot.
    pub(super) fn give_turns(&mut self, now: Instant) -> Option<Instant> {
        if let Some(until) = self.paused_until {
            if until > now {
                return Some(until);
            }
            self.paused_until = None;
        }
        self.forget_idle_chats(now);
        let second = Self::second();
        self.overall.forget_before(now, second);
        self.broadcasts.forget_before(now, second);
        let mut free = self
            .limits
            .per_second
            .max(1)
            .saturating_sub(self.overall.used(now, second));
        let mut broadcasts_free = self
            .broadcast_allowance()
            .saturating_sub(self.broadcasts.used(now, second));
        let mut next: Option<Instant> = None;
        let mut sooner = |at: Instant| next = Some(next.map_or(at, |next: Instant| next.min(at)));
        for priority in Priority::ALL {
            let queue = std::mem::take(&mut self.waiting[priority as usize]);
            let mut kept = VecDeque::with_capacity(queue.len());
            for waiter in queue {
                if waiter.given.is_closed() {
                    continue;
                }
                let broadcast = priority == Priority::Broadcast;
                let room =
                    free > 0 && (!broadcast || (broadcasts_free > 0 && (free > 1 || self.limits.per_second <= 1)));
                if !room {
                    kept.push_back(waiter);
                    continue;
                }
                let rules = self.limits.rules(waiter.destination);
                match self
                    .chats
                    .get(&waiter.destination)
                    .map_or(Ready::Now, |chat| chat.ready(rules, now))
                {
                    Ready::Now => {}
                    Ready::At(at) => {
                        sooner(at);
                        kept.push_back(waiter);
                        continue;
                    }
                    Ready::AfterAnswer => {
                        kept.push_back(waiter);
                        continue;
                    }
                }
                let Waiter {
                    destination,
                    priority,
                    since,
                    given,
                } = waiter;
                if given.send(()).is_err() {
                    continue;
                }
                crate::metrics::pace_waited(self.limits.platform, priority, now.saturating_duration_since(since));
                free -= 1;
                self.overall.in_flight += 1;
                if broadcast {
                    broadcasts_free -= 1;
                    self.broadcasts.in_flight += 1;
                }
                if destination != Destination::Anywhere {
                    self.chats.entry(destination).or_default().recent.in_flight += 1;
                }
            }
            self.waiting[priority as usize] = kept;
        }
        let anyone_waits = self.waiting.iter().any(|queue| !queue.is_empty());
        if anyone_waits {
            // A slot frees when the oldest answer leaves the second.
            if let Some(oldest) = self.overall.answered.front() {
                sooner(*oldest + second);
            }
            if let Some(oldest) = self.broadcasts.answered.front() {
                sooner(*oldest + second);
            }
        }
        next
    }

    /// Forgets chats with nothing in flight, nothing within their longest
    /// rule and no hold, about once a second.
    fn forget_idle_chats(&mut self, now: Instant) {
        if self
            .last_forgotten
            .is_some_and(|last| now.duration_since(last) < FORGET_CHATS_EVERY)
        {
            return;
        }
        self.last_forgotten = Some(now);
        let longest = self
            .limits
            .private
            .iter()
            .chain(&self.limits.group)
            .map(|rule| rule.per + MARGIN)
            .max()
            .unwrap_or_default();
        self.chats.retain(|_, chat| !chat.is_idle(now, longest));
        for chat in self.chats.values_mut() {
            chat.recent.forget_before(now, longest);
        }
    }
}
