//! Milestones and the progress message end to end, on the Telegram and
//! Discord fakes and on both databases: the progress message is posted
//! once and then edited in place, also after a restart; each milestone is
//! announced once, also across a restart; a message that is gone is posted
//! again; and, from the fakes' timestamps, no announcement chat ever got
//! more than one message per interval, nor more than twenty a minute.

use crate::support;

use std::time::{Duration, Instant};

use crate::support::TestApp;
use crate::support::fake_discord::FakeDiscord;
use crate::support::fake_telegram::{BOT_USERNAME, FakeTelegram, TOKEN};
use crate::support::on_both_databases;
use petition::campaign::{Announce, MilestoneRule};
use petition::config::{Secret, Settings};
use petition::domain::Platform;
use teloxide::Bot;

const GROUP: i64 = -100_500;
const CHANNEL: u64 = 700_700;
const INTERVAL: Duration = Duration::from_secs(3);

/// A goal of 4 with a milestone at each quarter, so every signature is
/// one; both platforms' chats announce; the shortest interval allowed.
fn announcing(settings: &mut Settings) {
    let mut campaign = settings.campaigns.default_campaign().as_ref().clone();
    campaign.goal = 4;
    campaign.milestones = [25, 50, 75, 100].map(MilestoneRule::Percent).to_vec();
    campaign.announce = Announce {
        telegram: vec![GROUP],
        discord: vec![CHANNEL],
    };
    campaign.progress_interval = INTERVAL;
    settings.campaigns.upsert(campaign);
}

async fn sign(app: &TestApp, id: u64) {
    let who = support::telegram(id);
    let replies = app
        .sign(&who, "Ann Lee", &format!("signer{id}@example.org"), "SE1 7PB")
        .await;
    assert!(support::text_of(&replies).contains("Thank you"));
}

/// Waits until the chat's progress message shows `total` and its turn is
/// over, so that stopping the loop now leaves nothing half-done.
async fn wait_until_shown(app: &TestApp, platform: Platform, total: u64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let kept = app.storage.progress_messages(platform).await.unwrap();
        let done = kept.iter().all(|p| {
            p.shown.map(|(shown, _)| shown) == Some(total)
                && p.next_turn_at < chrono::Utc::now() + chrono::TimeDelta::seconds(30)
        });
        if done && !kept.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the progress message never showed {total}: {kept:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Fails if two messages in one chat came closer than the interval, or
/// more than twenty came within a minute.
fn assert_within_the_limits(times: &[Instant]) {
    for pair in times.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(gap >= INTERVAL, "two messages {gap:?} apart in one chat");
    }
    for (i, start) in times.iter().enumerate() {
        let in_a_minute = times[i..]
            .iter()
            .take_while(|t| **t - *start < Duration::from_secs(60))
            .count();
        assert!(in_a_minute <= 20, "{in_a_minute} messages in a minute in one chat");
    }
}

#[on_both_databases]
async fn the_telegram_progress_message_is_edited_in_place_across_a_restart_and_each_milestone_is_announced_once(
    app: TestApp,
) {
    let fake = FakeTelegram::start().await;
    let app = app.restart_with(announcing).await;
    let spawn = |app: &TestApp| {
        let bot = Bot::new(TOKEN).set_api_url(fake.url.clone());
        tokio::spawn(petition::telegram::keep_progress_messages(bot, app.engine.clone()))
    };
    let keeping = spawn(&app);

    let posted = fake.next_reply(GROUP).await;
    assert_eq!(posted.method, "sendMessage");
    assert!(
        posted.text.contains("0 of 4 signatures (0% of the goal)"),
        "{}",
        posted.text
    );
    assert!(posted.text.contains(&"▱".repeat(20)), "{}", posted.text);
    let deep_link = format!("https://t.me/{BOT_USERNAME}?start=keep-the-unit-open");
    assert!(
        posted.links.iter().any(|(_, url)| *url == deep_link),
        "{:?}",
        posted.links
    );

    sign(&app, 1).await;
    let announced = fake.next_reply(GROUP).await;
    assert_eq!(announced.method, "sendMessage");
    assert!(
        announced.text.contains("has reached 1 signatures, 25% of the way to 4"),
        "{}",
        announced.text
    );
    let edited = fake.next_reply(GROUP).await;
    assert_eq!(
        (edited.method.as_str(), edited.message_id),
        ("editMessageText", posted.message_id)
    );
    assert!(
        edited.text.contains("1 of 4 signatures (25% of the goal)"),
        "{}",
        edited.text
    );
    wait_until_shown(&app, Platform::Telegram, 1).await;

    // A restart: a new app on the same database, a new loop.
    keeping.abort();
    let _ = keeping.await;
    let app = app.restart().await;
    let keeping = spawn(&app);
    sign(&app, 2).await;
    let announced = fake.next_reply(GROUP).await;
    assert!(
        announced.text.contains("has reached 2 signatures, 50%"),
        "{}",
        announced.text
    );
    let edited = fake.next_reply(GROUP).await;
    assert_eq!(
        (edited.method.as_str(), edited.message_id),
        ("editMessageText", posted.message_id),
        "the same message is edited after the restart, not a new one posted"
    );
    assert!(edited.text.contains("2 of 4 signatures"), "{}", edited.text);

    // Someone deletes it: the next change posts a new one, which is then kept.
    fake.delete_message(GROUP, posted.message_id);
    sign(&app, 3).await;
    assert!(fake.next_reply(GROUP).await.text.contains("has reached 3 signatures"));
    let failed_edit = fake.next_reply(GROUP).await;
    assert_eq!(failed_edit.method, "editMessageText");
    let reposted = fake.next_reply(GROUP).await;
    assert_eq!(reposted.method, "sendMessage");
    assert!(reposted.text.contains("3 of 4 signatures"), "{}", reposted.text);
    wait_until_shown(&app, Platform::Telegram, 3).await;
    keeping.abort();

    let shown = fake.outgoing(GROUP);
    for milestone in ["reached 1 signatures", "reached 2 signatures", "reached 3 signatures"] {
        let times = shown.iter().filter(|m| m.text.contains(milestone)).count();
        assert_eq!(times, 1, "{milestone} announced {times} times");
    }
    let progress_posts = shown
        .iter()
        .filter(|m| m.method == "sendMessage" && m.text.contains("of 4 signatures"))
        .count();
    assert_eq!(progress_posts, 2, "posted once, and once more after it was deleted");
    let times: Vec<Instant> = fake
        .calls()
        .iter()
        .filter(|c| c.body["chat_id"].as_i64() == Some(GROUP))
        .map(|c| c.at)
        .collect();
    assert_eq!(
        times.len(),
        shown.len(),
        "every call to the group is counted, the failed edit too: {:#?}",
        fake.calls()
            .iter()
            .filter(|c| c.body["chat_id"].as_i64() == Some(GROUP))
            .map(|c| (&c.method, c.status, &c.body["text"]))
            .collect::<Vec<_>>()
    );
    assert_within_the_limits(&times);
}

#[on_both_databases]
async fn the_discord_progress_message_is_edited_in_place_across_a_restart_and_each_milestone_is_announced_once(
    app: TestApp,
) {
    let fake = FakeDiscord::start().await;
    let app = app.restart_with(announcing).await;
    let spawn = |app: &TestApp| {
        let rest = petition::discord::rest::DiscordRest::new(&fake.api_url, Secret::new(support::fake_discord::TOKEN))
            .unwrap();
        tokio::spawn(petition::discord::keep_progress_messages(rest, app.engine.clone()))
    };
    let in_channel = |fake: &FakeDiscord| {
        fake.calls()
            .into_iter()
            .filter(|c| c.path.starts_with(&format!("/api/v10/channels/{CHANNEL}/messages")))
            .collect::<Vec<_>>()
    };
    let wait_for = |count: usize| {
        let fake = &fake;
        async move {
            let deadline = Instant::now() + Duration::from_secs(20);
            while in_channel(fake).len() < count {
                assert!(
                    Instant::now() < deadline,
                    "only {} calls to the channel",
                    in_channel(fake).len()
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            in_channel(fake)
        }
    };
    let keeping = spawn(&app);
    let posted = wait_for(1).await[0].clone();
    assert_eq!(posted.method, "POST");
    assert!(posted.body["content"].as_str().unwrap().contains("0 of 4 signatures"));
    let buttons = posted.body["components"].to_string();
    assert!(buttons.contains("\"sign\"") && buttons.contains("\"dm\""), "{buttons}");

    sign(&app, 1).await;
    let calls = wait_for(3).await;
    assert!(
        calls[1].body["content"]
            .as_str()
            .unwrap()
            .contains("has reached 1 signatures")
    );
    assert_eq!(calls[2].method, "PATCH");
    assert!(calls[2].body["content"].as_str().unwrap().contains("1 of 4 signatures"));
    let edited_path = calls[2].path.clone();
    wait_until_shown(&app, Platform::Discord, 1).await;

    keeping.abort();
    let _ = keeping.await;
    let app = app.restart().await;
    let keeping = spawn(&app);
    sign(&app, 2).await;
    let calls = wait_for(5).await;
    assert!(
        calls[3].body["content"]
            .as_str()
            .unwrap()
            .contains("has reached 2 signatures")
    );
    assert_eq!(
        (calls[4].method.as_str(), calls[4].path.as_str()),
        ("PATCH", edited_path.as_str()),
        "the same message is edited after the restart"
    );
    assert!(calls[4].body["content"].as_str().unwrap().contains("2 of 4 signatures"));
    // Nothing more is due: no message is posted or announced twice.
    tokio::time::sleep(INTERVAL + Duration::from_secs(1)).await;
    keeping.abort();
    let calls = in_channel(&fake);
    assert_eq!(
        calls.len(),
        5,
        "{:#?}",
        calls
            .iter()
            .map(|c| (&c.method, &c.body["content"]))
            .collect::<Vec<_>>()
    );
    assert_within_the_limits(&calls.iter().map(|c| c.at).collect::<Vec<_>>());
}

#[on_both_databases]
async fn milestones_crossed_between_a_chats_turns_are_announced_in_order(app: TestApp) {
    use petition::storage::{AnnounceChat, AnnouncementState};
    let app = app.restart_with(announcing).await;
    let campaign = app.campaign();
    let group = AnnounceChat::new(Platform::Telegram, GROUP);
    let announce = |signatures: u64| {
        let (storage, campaign, group) = (app.storage.clone(), campaign.clone(), group.clone());
        async move {
            for (from, to) in [
                (AnnouncementState::Pending, AnnouncementState::Posting),
                (AnnouncementState::Posting, AnnouncementState::Posted),
            ] {
                let moved = storage
                    .move_announcement(&campaign, signatures, &group, from, to, chrono::Utc::now())
                    .await
                    .unwrap();
                assert!(moved);
            }
        }
    };
    sign(&app, 1).await;
    app.engine.check_milestones().await.unwrap();
    let first = app
        .storage
        .pending_announcement(&campaign, &group)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.signatures, 1);
    announce(1).await;
    // Three more milestones, each found by a look of its own, before the
    // chat's next turn.
    for id in 2..=4 {
        sign(&app, id).await;
        app.engine.check_milestones().await.unwrap();
    }
    let next = app
        .storage
        .pending_announcement(&campaign, &group)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(next.signatures, 4, "the highest, at once");
    announce(4).await;
    assert_eq!(
        app.storage.pending_announcement(&campaign, &group).await.unwrap(),
        None,
        "nothing lower than what the chat last heard"
    );
}
