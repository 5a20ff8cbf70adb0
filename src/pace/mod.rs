//! One bot's pace: every message a platform counts against its limits
//! (a send of any kind, an edit, a delete, a document) waits here for its
//! turn, whoever sends it: replies, organisers' answers, progress messages,
//! milestone posts, alerts and the outbox's broadcasts. One pace per bot
//! token, so that together they never go over the platform's limits.
//!
//! The limits are the platform's documented ones, read safely: at most
//! `per_second` messages in any second for the whole bot, and each chat's
//! own rules (on Telegram one a second in any chat and twenty a minute in a
//! group). A message counts from the moment it is let go until a little
//! over the rule's span after its answer came back: the platform sees it
//! somewhere in between, so however long the network takes, no window at
//! the platform holds more than the rule allows.
//!
//! Turns go by [`Priority`] (a supporter's next question first, then
//! organisers, then progress and milestones, then broadcasts), and within
//! one priority first come, first served; a chat that must wait for its
//! own rule never holds up another chat. Broadcasts never take the last
//! slot of a second, so a reply arriving mid-broadcast finds room.
//!
//! A 429 the platform still sends (another client on the same token, a
//! limit it does not document) pauses the whole pace for its `retry_after`
//! ([`Pace::pause`]), or one chat ([`Pace::hold`]) where the platform says
//! the limit was that chat's.

mod schedule;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, oneshot};
use tokio::time::Instant;

use crate::domain::Platform;
use schedule::{Schedule, Waiter};

/// Added to every window, for the platform's clock and ours.
const MARGIN: Duration = Duration::from_millis(5);

/// Who a message is for, which decides its place in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// A supporter's next question: someone is waiting for it.
    Reply = 0,
    /// An organiser's answer, and alerts to organisers.
    Organiser = 1,
    /// Progress messages and milestone announcements.
    Progress = 2,
    /// Updates to signers from the outbox.
    Broadcast = 3,
}

impl Priority {
    /// Every priority, highest first.
    pub const ALL: [Priority; 4] = [Self::Reply, Self::Organiser, Self::Progress, Self::Broadcast];

    /// The priority's name, for metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reply => "reply",
            Self::Organiser => "organiser",
            Self::Progress => "progress",
            Self::Broadcast => "broadcast",
        }
    }
}

/// Where a message goes, as far as the platform's per-chat rules go: the
/// chat's id (a Telegram chat; a Discord channel or interaction route,
/// hashed), and whether it is a one-to-one chat or a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Destination {
    /// A private chat, a DM channel.
    Private(i64),
    /// A group, supergroup or channel; a server's channel.
    Group(i64),
    /// No chat of its own: only the bot's overall limit applies.
    Anywhere,
}

/// At most `count` messages in any `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Messages allowed...
    pub count: u32,
    /// ...in any span this long.
    pub per: Duration,
}

impl Rule {
    /// At most `count` messages in any `per`.
    pub const fn new(count: u32, per: Duration) -> Self {
        Self { count, per }
    }
}

/// A platform's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// The platform, for metrics and log lines.
    pub platform: Platform,
    /// Messages a second for the whole bot.
    pub per_second: u32,
    /// The most of those a second that broadcasts may take (never the last
    /// one while the limit is more than one).
    pub broadcasts_per_second: u32,
    /// Rules for each private chat.
    pub private: Vec<Rule>,
    /// Rules for each group.
    pub group: Vec<Rule>,
}

impl Limits {
    /// Telegram's: `per_second` for the bot (30 by default), one message a
    /// second in any chat, and twenty a minute in a group.
    pub fn telegram(per_second: u32, broadcasts_per_second: u32) -> Self {
        Self {
            platform: Platform::Telegram,
            per_second,
            broadcasts_per_second,
            private: vec![Rule::new(1, Duration::from_secs(1))],
            group: vec![
                Rule::new(1, Duration::from_secs(1)),
                Rule::new(20, Duration::from_secs(60)),
            ],
        }
    }

    /// Discord's: `per_second` requests for the bot (50 is Discord's global
    /// limit), and five messages in any five seconds on one route (a
    /// channel, an interaction's webhook), the bucket Discord gives message
    /// routes; the buckets it reports in its headers are kept as well (see
    /// [`Pace::hold`]).
    pub fn discord(per_second: u32, broadcasts_per_second: u32) -> Self {
        let route = vec![Rule::new(5, Duration::from_secs(5))];
        Self {
            platform: Platform::Discord,
            per_second,
            broadcasts_per_second,
            private: route.clone(),
            group: route,
        }
    }

    fn rules(&self, destination: Destination) -> &[Rule] {
        match destination {
            Destination::Private(_) => &self.private,
            Destination::Group(_) => &self.group,
            Destination::Anywhere => &[],
        }
    }
}

/// What the pace holds, shared with the scheduler task and the turns.
struct Shared {
    schedule: Mutex<Schedule>,
    /// Wakes the scheduler: a new waiter, a turn given back, a pause. Its
    /// own `Arc`, so the scheduler can wait on it without keeping the
    /// rest alive.
    changed: Arc<Notify>,
}

/// One bot's pace; see the module's documentation. Cheap to share behind
/// an `Arc`; its scheduler runs in a task of its own from the first turn
/// asked for until the pace is dropped.
pub struct Pace {
    shared: Arc<Shared>,
    /// The scheduler's task, started by the first turn asked for, and
    /// started again should the runtime it ran on have gone.
    scheduler: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// One message's turn: it counts as in flight until this is dropped (once
/// the platform has answered), then for the rules' spans more.
pub struct Turn {
    shared: Arc<Shared>,
    destination: Destination,
    priority: Priority,
    /// How long the message waited for its turn.
    waited: Duration,
}

impl Turn {
    /// How long the message waited for its turn.
    pub fn waited(&self) -> Duration {
        self.waited
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.shared
            .schedule
            .lock()
            .expect("pace lock")
            .answered(self.destination, self.priority, Instant::now());
        self.shared.changed.notify_one();
    }
}

impl Pace {
    /// A pace that keeps to `limits`.
    pub fn new(limits: Limits) -> Self {
        Self {
            shared: Arc::new(Shared {
                schedule: Mutex::new(Schedule::new(limits)),
                changed: Arc::new(Notify::new()),
            }),
            scheduler: Mutex::new(None),
        }
    }

    /// The platform this pace is for.
    pub fn platform(&self) -> Platform {
        self.lock().limits().platform
    }

    /// Messages a second for the whole bot.
    pub fn per_second(&self) -> u32 {
        self.lock().limits().per_second
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Schedule> {
        self.shared.schedule.lock().expect("pace lock")
    }

    /// Waits for a message's turn to `destination`; hold the turn until
    /// the platform has answered. Dropping the future before the turn comes
    /// gives up its place.
    pub async fn turn(&self, destination: Destination, priority: Priority) -> Turn {
        self.start_scheduler();
        let (given, taken) = oneshot::channel();
        let since = Instant::now();
        self.lock().wait(Waiter {
            destination,
            priority,
            since,
            given,
        });
        self.shared.changed.notify_one();
        match taken.await {
            Ok(()) => Turn {
                shared: self.shared.clone(),
                destination,
                priority,
                waited: since.elapsed(),
            },
            // The scheduler only goes away with the pace, which this borrows.
            Err(_) => unreachable!("the pace's scheduler runs while the pace exists"),
        }
    }

    /// Sends nothing more for `wait`: the platform said the bot as a whole
    /// is over its limit (a 429).
    pub fn pause(&self, wait: Duration) {
        self.lock().pause_until(Instant::now() + wait);
        self.shared.changed.notify_one();
    }

    /// Sends nothing more to `destination` for `wait`: the platform said
    /// that chat or route is over its limit, or has no requests left.
    pub fn hold(&self, destination: Destination, wait: Duration) {
        self.lock().hold(destination, Instant::now() + wait);
        self.shared.changed.notify_one();
    }

    /// Messages waiting for their turn, at `priority`.
    pub fn waiting(&self, priority: Priority) -> usize {
        self.lock().waiting(priority)
    }

    /// How long a reply asked for now would wait for its turn, about: the
    /// replies ahead of it at the pace the limit allows, or longer while
    /// the pace is paused.
    pub fn expected_wait(&self) -> Duration {
        self.lock().expected_wait(Instant::now())
    }

    /// Starts the scheduler on the first turn asked for, in whatever
    /// runtime asks (the engine may be built outside one).
    fn start_scheduler(&self) {
        let mut scheduler = self.scheduler.lock().expect("scheduler lock");
        if scheduler.as_ref().is_some_and(|task| !task.is_finished()) {
            return;
        }
        let shared = Arc::downgrade(&self.shared);
        let notify = self.shared.changed.clone();
        *scheduler = Some(tokio::spawn(async move {
            loop {
                let changed = notify.notified();
                let mut changed = std::pin::pin!(changed);
                // Registered before the look, so a change made during it
                // wakes the next wait.
                changed.as_mut().enable();
                // Only the pace, its waiters and its turns keep it alive; a
                // dropped pace wakes this task to end it.
                let Some(strong) = shared.upgrade() else { return };
                let next = {
                    let mut schedule = strong.schedule.lock().expect("pace lock");
                    let next = schedule.give_turns(Instant::now());
                    let platform = schedule.limits().platform;
                    crate::metrics::pace_waiting(platform, |p| schedule.waiting(p));
                    crate::metrics::pace_expected_wait(platform, schedule.expected_wait(Instant::now()));
                    next
                };
                drop(strong);
                match next {
                    Some(at) => {
                        tokio::select! {
                            () = &mut changed => {}
                            () = tokio::time::sleep_until(at) => {}
                        }
                    }
                    None => changed.await,
                }
            }
        }));
    }
}

/// Each platform's pace, for one process's bots.
pub struct Paces {
    telegram: Arc<Pace>,
    discord: Arc<Pace>,
}

impl Paces {
    /// The paces the settings ask for: Telegram's `messages_per_second`
    /// (broadcasts at most `updates_per_second` of it, unless paid
    /// broadcasts, which have an allowance of their own, are on), and
    /// Discord's 50 requests a second (each update taking two).
    pub fn from_settings(settings: &crate::config::Settings) -> Self {
        let telegram = &settings.telegram;
        let broadcasts = if telegram.paid_broadcast {
            telegram.messages_per_second
        } else {
            telegram.updates_per_second()
        };
        Self {
            telegram: Arc::new(Pace::new(Limits::telegram(telegram.messages_per_second, broadcasts))),
            discord: Arc::new(Pace::new(Limits::discord(
                DISCORD_PER_SECOND,
                settings.discord.updates_per_second * 2,
            ))),
        }
    }

    /// The pace of `platform`'s bot; the console has none.
    pub fn of(&self, platform: Platform) -> Option<&Arc<Pace>> {
        match platform {
            Platform::Telegram => Some(&self.telegram),
            Platform::Discord => Some(&self.discord),
            Platform::Console => None,
        }
    }
}

/// Discord's global limit on a bot's requests, per second.
pub const DISCORD_PER_SECOND: u32 = 50;

impl Drop for Pace {
    fn drop(&mut self) {
        self.shared.changed.notify_one();
    }
}

#[cfg(test)]
mod tests;
