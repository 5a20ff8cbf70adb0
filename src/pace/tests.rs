//! The schedule with time passed in, and the pace on the real clock.

use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

use super::schedule::{Schedule, Waiter};
use super::*;

/// A waiter, and what it is told.
fn waiter(destination: Destination, priority: Priority, since: Instant) -> (Waiter, oneshot::Receiver<()>) {
    let (given, told) = oneshot::channel();
    (
        Waiter {
            destination,
            priority,
            since,
            given,
        },
        told,
    )
}

fn given(told: &mut oneshot::Receiver<()>) -> bool {
    told.try_recv().is_ok()
}

/// Runs the schedule at `now`, answering every turn it gives at once:
/// what went, in order of asking.
struct Run {
    schedule: Schedule,
    asked: Vec<(Destination, Priority, oneshot::Receiver<()>, bool)>,
}

impl Run {
    fn new(limits: Limits) -> Self {
        Self {
            schedule: Schedule::new(limits),
            asked: Vec::new(),
        }
    }

    fn ask(&mut self, destination: Destination, priority: Priority, now: Instant) -> usize {
        let (waiter, told) = waiter(destination, priority, now);
        self.schedule.wait(waiter);
        self.asked.push((destination, priority, told, false));
        self.asked.len() - 1
    }

    /// Gives turns at `now` and answers them at once; the indices that went.
    fn step(&mut self, now: Instant) -> Vec<usize> {
        self.schedule.give_turns(now);
        let mut went = Vec::new();
        for (i, (destination, priority, told, gone)) in self.asked.iter_mut().enumerate() {
            if !*gone && given(told) {
                *gone = true;
                went.push(i);
                self.schedule.answered(*destination, *priority, now);
            }
        }
        went
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn no_more_than_the_limit_go_in_any_second() {
    let start = Instant::now();
    let mut run = Run::new(Limits::telegram(10, 10));
    for chat in 0..25 {
        run.ask(Destination::Private(chat), Priority::Reply, start);
    }
    assert_eq!(run.step(start).len(), 10);
    assert!(run.step(start + ms(900)).is_empty());
    // A second and the margin after the answers, ten more.
    assert_eq!(run.step(start + ms(1_006)).len(), 10);
    assert_eq!(run.step(start + ms(2_012)).len(), 5);
}

#[test]
fn one_message_a_second_in_a_private_chat() {
    let start = Instant::now();
    let mut run = Run::new(Limits::telegram(30, 30));
    for _ in 0..3 {
        run.ask(Destination::Private(7), Priority::Reply, start);
    }
    assert_eq!(run.step(start), [0]);
    assert!(run.step(start + ms(999)).is_empty());
    assert_eq!(run.step(start + ms(1_005)), [1], "in the order asked");
    assert_eq!(run.step(start + ms(2_010)), [2]);
}

#[test]
fn twenty_messages_a_minute_in_a_group() {
    let start = Instant::now();
    let mut run = Run::new(Limits::telegram(30, 30));
    for _ in 0..21 {
        run.ask(Destination::Group(-5), Priority::Progress, start);
    }
    let mut went = 0;
    let mut now = start;
    for _ in 0..30 {
        went += run.step(now).len();
        now += ms(1_010);
    }
    assert_eq!(went, 20, "the twenty-first waits for the minute");
    let after_a_minute = start + Duration::from_secs(61);
    assert_eq!(run.step(after_a_minute).len(), 1);
}

#[test]
fn a_chat_that_must_wait_holds_up_no_other_chat() {
    let start = Instant::now();
    let mut run = Run::new(Limits::telegram(30, 30));
    let first = run.ask(Destination::Private(1), Priority::Reply, start);
    assert_eq!(run.step(start), [first]);
    // Chat 1 asks again before chat 2: chat 1 waits for its second, chat 2
    // goes at once.
    let again = run.ask(Destination::Private(1), Priority::Reply, start + ms(10));
    let other = run.ask(Destination::Private(2), Priority::Reply, start + ms(20));
    assert_eq!(run.step(start + ms(20)), [other]);
    assert_eq!(run.step(start + ms(1_010)), [again]);
}

#[test]
fn replies_go_before_organisers_progress_and_broadcasts() {
    let start = Instant::now();
    let mut run = Run::new(Limits::telegram(2, 30));
    let broadcast = run.ask(Destination::Private(1), Priority::Broadcast, start);
    let progress = run.ask(Destination::Group(-2), Priority::Progress, start);
    let organiser = run.ask(Destination::Private(3), Priority::Organiser, start);
    let reply = run.ask(Destination::Private(4), Priority::Reply, start);
    assert_eq!(run.step(start), [organiser, reply]);
    assert_eq!(run.step(start + ms(1_006)), [progress]);
    assert_eq!(
        run.step(start + ms(2_012)),
        [broadcast],
        "a broadcast never takes the last slot while anything else may want it"
    );
}

#[test]
fn broadcasts_leave_the_last_slot_of_a_second_free() {
    let start = Instant::now();
    let mut run = Run::new(Limits::telegram(10, 30));
    for chat in 0..20 {
        run.ask(Destination::Private(chat), Priority::Broadcast, start);
    }
    assert_eq!(run.step(start).len(), 9);
    let reply = run.ask(Destination::Private(100), Priority::Reply, start + ms(1));
    assert_eq!(run.step(start + ms(1)), [reply], "the kept slot");
}

#[test]
fn broadcasts_keep_to_their_own_limit() {
    let start = Instant::now();
    let mut run = Run::new(Limits::telegram(30, 5));
    for chat in 0..20 {
        run.ask(Destination::Private(chat), Priority::Broadcast, start);
    }
    assert_eq!(run.step(start).len(), 5);
}

#[test]
fn a_pause_holds_everything_and_a_hold_one_chat() {
    let start = Instant::now();
    let mut run = Run::new(Limits::telegram(30, 30));
    run.schedule.pause_until(start + Duration::from_secs(2));
    let first = run.ask(Destination::Private(1), Priority::Reply, start);
    assert!(run.step(start + ms(1_999)).is_empty());
    assert_eq!(run.step(start + Duration::from_secs(2)), [first]);
    let now = start + Duration::from_secs(5);
    run.schedule.hold(Destination::Private(2), now + Duration::from_secs(3));
    let held = run.ask(Destination::Private(2), Priority::Reply, now);
    let free = run.ask(Destination::Private(3), Priority::Reply, now);
    assert_eq!(run.step(now), [free]);
    assert_eq!(run.step(now + Duration::from_secs(3)), [held]);
}

#[test]
fn a_waiter_that_gave_up_takes_no_turn() {
    let start = Instant::now();
    let mut run = Run::new(Limits::telegram(1, 1));
    let (waiter, told) = waiter(Destination::Private(1), Priority::Reply, start);
    run.schedule.wait(waiter);
    drop(told);
    let next = run.ask(Destination::Private(2), Priority::Reply, start);
    assert_eq!(run.step(start), [next]);
}

#[test]
fn the_expected_wait_is_the_replies_ahead_at_the_limit() {
    let start = Instant::now();
    let mut run = Run::new(Limits::telegram(30, 30));
    for chat in 0..90 {
        run.ask(Destination::Private(chat), Priority::Reply, start);
    }
    assert_eq!(run.schedule.expected_wait(start), Duration::from_secs(3));
    run.step(start);
    assert_eq!(run.schedule.expected_wait(start), Duration::from_secs(2));
}

#[tokio::test]
async fn turns_on_the_real_clock_keep_to_the_limit_and_each_chat_s_rule() {
    let pace = std::sync::Arc::new(Pace::new(Limits::telegram(5, 5)));
    let started = Instant::now();
    let chats: Vec<_> = (0..12)
        .map(|n| {
            let pace = pace.clone();
            tokio::spawn(async move {
                let turn = pace.turn(Destination::Private(n % 4), Priority::Reply).await;
                let at = started.elapsed();
                drop(turn);
                (n % 4, at)
            })
        })
        .collect();
    let mut times = Vec::new();
    for chat in chats {
        times.push(chat.await.unwrap());
    }
    times.sort_by_key(|(_, at)| *at);
    for (i, (_, at)) in times.iter().enumerate() {
        let within_a_second = times[i..]
            .iter()
            .take_while(|(_, t)| *t - *at < Duration::from_secs(1))
            .count();
        assert!(within_a_second <= 5, "{times:?}");
    }
    for chat in 0..4 {
        let ats: Vec<_> = times.iter().filter(|(c, _)| *c == chat).map(|(_, at)| *at).collect();
        assert!(
            ats.windows(2).all(|pair| pair[1] - pair[0] >= Duration::from_secs(1)),
            "chat {chat}: {ats:?}"
        );
    }
}
