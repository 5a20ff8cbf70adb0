//! Updates to signers end to end: an organiser writes one in the chat and
//! confirms it, and the outbox sends it through the real couriers to the
//! fakes of Telegram and Discord over HTTP, on both databases: once to each
//! signer who asked, never to those who did not, blocked users marked
//! unreachable and not retried, transient failures retried, the platforms'
//! limits never exceeded, and the organiser's progress edited in place.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::fake_discord::{self, FakeDiscord};
use crate::support::fake_telegram::{self, Call, FakeTelegram};
use crate::support::on_both_databases;
use crate::support::{TestApp, telegram, text_of};
use chrono::Utc;
use petition::domain::{Email, Identity, Location, Platform, PostcodeDistrict, SignerName};
use petition::messages::Language;
use petition::outbox::{Courier, Sender, StopSending};
use petition::storage::{NewSignature, StoredUpdate, UpdateState};
use petition::telegram::{STOP_UPDATES_DATA, TelegramBot, TelegramCourier};
use teloxide::Bot;

/// The organiser the test settings name (a Telegram user).
const ORGANISER: u64 = 1000;
/// How long a test waits for an update to be sent before failing.
const PATIENCE: Duration = Duration::from_secs(180);

fn signature(campaign: &str, who: Identity, n: u64, opted_in: bool) -> NewSignature {
    let now = Utc::now();
    NewSignature {
        campaign: campaign.to_owned(),
        name: SignerName::parse("Ann Lee").unwrap(),
        email: Some(Email::parse(&format!("signer{n}@example.org")).unwrap()),
        location: Location::Uk(PostcodeDistrict::parse("SE1 7PB").unwrap()),
        updates_opt_in: opted_in,
        consent_version: 1,
        consent_at: now,
        referral_code: None,
        created_at: now,
        hold: None,
        identity: who,
    }
}

/// Stores signatures for `people`, asking for updates or not.
async fn seed(app: &TestApp, people: &[Identity], opted_in: bool) {
    let campaign = app.campaign();
    let signing = people.iter().map(|who| {
        let n: u64 = who.user_id.parse().unwrap();
        let signature = signature(&campaign, who.clone(), n, opted_in);
        let storage = app.storage.clone();
        async move { storage.sign(&signature).await.unwrap() }
    });
    futures_util::future::join_all(signing).await;
}

/// The organiser writes an update, sees the preview and confirms it.
async fn organiser_sends(app: &TestApp, text: &str, reach: &str) -> String {
    let organiser = telegram(ORGANISER);
    let asked = text_of(&app.say(&organiser, "update").await);
    assert!(asked.starts_with("Write the update"), "{asked}");
    let preview = text_of(&app.say(&organiser, text).await);
    assert!(preview.contains(reach), "{preview}");
    assert!(preview.contains(text), "{preview}");
    let queued = text_of(&app.say(&organiser, "yes").await);
    assert!(queued.starts_with("Update #1 is on its way"), "{queued}");
    let campaign = app.settings.campaigns.default_campaign().clone();
    app.engine.update_as_sent(&campaign, text)
}

fn start_sender(app: &TestApp, courier: impl Courier) -> (StopSending, tokio::task::JoinHandle<()>) {
    let (sender, stop) = Sender::new(app.engine.clone(), Arc::new(courier));
    (stop, tokio::spawn(sender.run()))
}

fn telegram_courier(app: &TestApp, fake: &FakeTelegram, per_second: u32) -> TelegramCourier<Bot> {
    let bot = Bot::new(fake_telegram::TOKEN).set_api_url(fake.url.clone());
    TelegramCourier::new(bot, telegram_pace(app), per_second, false, Language::English)
}

/// The bot's one pace on Telegram, which replies and updates share.
fn telegram_pace(app: &TestApp) -> Arc<petition::pace::Pace> {
    app.engine.pace(petition::domain::Platform::Telegram).unwrap().clone()
}

#[on_both_databases]
async fn paid_broadcasts_are_marked_so_and_go_faster_than_thirty_a_second(app: TestApp) {
    let fake = FakeTelegram::start().await;
    let wanting: Vec<Identity> = (0..300).map(|i| telegram(2_000_000 + i)).collect();
    seed(&app, &wanting, true).await;
    organiser_sends(&app, "Paid for.", "It will reach 300 signers").await;
    let mut settings = app.settings.telegram.clone();
    settings.paid_broadcast = true;
    let bot = Bot::new(fake_telegram::TOKEN).set_api_url(fake.url.clone());
    let courier = TelegramCourier::new(
        bot,
        telegram_pace(&app),
        settings.updates_per_second(),
        true,
        Language::English,
    );
    // Telegram answers one send with a 429: it is sent again after retry_after.
    fake.rate_limit_next("sendMessage", 1, 1);
    let (stop, sending) = start_sender(&app, courier);
    let update = wait_until_done(&app).await;
    stop.stop();
    sending.await.unwrap();
    assert_eq!(update.counts.sent, 300);
    let limited: Vec<_> = fake
        .calls_of("sendMessage")
        .into_iter()
        .filter(|c| c.status == 429)
        .collect();
    assert_eq!(limited.len(), 1);
    let chat = limited[0].body["chat_id"].as_i64();
    let delivered = fake
        .calls_of("sendMessage")
        .into_iter()
        .filter(|c| c.status == 200 && c.body["chat_id"].as_i64() == chat)
        .count();
    assert_eq!(delivered, 1, "the rate-limited one arrives once");
    let sends: Vec<_> = fake
        .calls_of("sendMessage")
        .into_iter()
        .filter(|c| c.body["chat_id"].as_i64() != Some(ORGANISER as i64))
        .collect();
    assert!(
        sends.iter().all(|c| c.body["allow_paid_broadcast"] == true),
        "every update is a paid broadcast"
    );
    assert!(
        most_in_a_second(sends.iter().map(|c| c.at).collect()) > 30,
        "paid broadcasts may go faster"
    );
}

/// Waits until update #1 is done and its summary posted. The test clock is
/// moved on meanwhile, so that retries after a transient failure fall due.
async fn wait_until_done(app: &TestApp) -> StoredUpdate {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let update = app.storage.stored_update(1).await.unwrap().expect("update #1");
        if update.state != UpdateState::Sending && update.summary_posted {
            return update;
        }
        assert!(Instant::now() < deadline, "update #1 is still going: {update:?}");
        app.clock.advance(chrono::Duration::seconds(5));
        app.engine.outbox_wake().notify_waiters();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The most of `times` that fall within any one second.
fn most_in_a_second(mut times: Vec<Instant>) -> usize {
    times.sort();
    (0..times.len())
        .map(|i| {
            times[i..]
                .iter()
                .take_while(|t| t.duration_since(times[i]) < Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// The messages of the busiest second, as (milliseconds in, method,
/// chat), to say what crowded it.
fn busiest_second(calls: &[Call]) -> String {
    let mut messages: Vec<&Call> = calls
        .iter()
        .filter(|c| matches!(c.method.as_str(), "sendMessage" | "editMessageText" | "sendDocument"))
        .collect();
    messages.sort_by_key(|c| c.at);
    let in_second = |i: usize| {
        messages[i..]
            .iter()
            .take_while(|c| c.at.duration_since(messages[i].at) < Duration::from_secs(1))
            .count()
    };
    let Some(start) = (0..messages.len()).max_by_key(|i| in_second(*i)) else {
        return String::new();
    };
    messages[start..start + in_second(start)]
        .iter()
        .map(|c| {
            format!(
                "{} {} {}",
                c.at.duration_since(messages[start].at).as_millis(),
                c.method,
                c.body["chat_id"]
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[on_both_databases]
async fn an_update_reaches_each_telegram_signer_who_asked_once_within_thirty_a_second(app: TestApp) {
    let fake = FakeTelegram::start().await;
    let wanting: Vec<Identity> = (0..1000).map(|i| telegram(2_000_000 + i)).collect();
    let not_wanting: Vec<Identity> = (0..30).map(|i| telegram(3_000_000 + i)).collect();
    seed(&app, &wanting, true).await;
    seed(&app, &not_wanting, false).await;
    let blocked: Vec<i64> = (0..25).map(|i| 2_000_020 + i * 40).collect();
    for chat in &blocked {
        fake.block(*chat);
    }
    fake.fail_next("sendMessage", 2);

    // The bot answers signers while the update goes out.
    let bot = TelegramBot::spawn(
        Bot::new(fake_telegram::TOKEN).set_api_url(fake.url.clone()),
        app.engine.clone(),
        &[ORGANISER as i64],
        petition::telegram::Delivery::LongPolling,
    )
    .await
    .expect("the bot starts against the fake");
    let text = "The Commissioner has agreed to meet us on Friday.\nThank you, all of you.";
    let sent_text = organiser_sends(&app, text, "It will reach 1,000 signers (1,000 on Telegram)").await;
    let (stop, sending) = start_sender(&app, telegram_courier(&app, &fake, 30));

    // A signer's reply does not wait for the broadcast to end.
    fake.wait_for_calls("sendMessage", 60).await;
    fake.user_says(777, "total");
    let reply = fake.next_reply(777).await;
    assert!(reply.text.contains("signatures"), "{}", reply.text);
    let during = app.storage.stored_update(1).await.unwrap().unwrap();
    assert!(
        during.counts.remaining() > 0,
        "the reply came while the update was still going out"
    );

    let update = wait_until_done(&app).await;
    stop.stop();
    sending.await.unwrap();
    bot.stop().await;

    assert_eq!(update.state, UpdateState::Finished);
    assert_eq!(
        (
            update.counts.sent,
            update.counts.unreachable,
            update.counts.unknown,
            update.counts.failed
        ),
        (975, 25, 0, 0)
    );
    let calls = fake.calls();
    let mut received: HashMap<i64, usize> = HashMap::new();
    let mut attempts: HashMap<i64, usize> = HashMap::new();
    for call in calls.iter().filter(|c| c.method == "sendMessage") {
        let chat = call.body["chat_id"].as_i64().unwrap();
        if !(2_000_000..4_000_000).contains(&chat) {
            continue;
        }
        *attempts.entry(chat).or_default() += 1;
        if call.status == 200 {
            *received.entry(chat).or_default() += 1;
            assert_eq!(call.body["text"], sent_text.as_str());
            let markup = call.body["reply_markup"].to_string();
            assert!(markup.contains(STOP_UPDATES_DATA), "a Stop updates button: {markup}");
        }
    }
    for who in &wanting {
        let chat: i64 = who.user_id.parse().unwrap();
        let expected = usize::from(!blocked.contains(&chat));
        assert_eq!(received.get(&chat).copied().unwrap_or(0), expected, "chat {chat}");
    }
    for chat in &blocked {
        assert_eq!(attempts[chat], 1, "a blocked user is not tried again");
    }
    assert_eq!(
        attempts.values().filter(|n| **n == 2).count(),
        2,
        "the two sends that met a server error were tried once more"
    );
    for who in &not_wanting {
        assert!(
            !attempts.contains_key(&who.user_id.parse().unwrap()),
            "no update without asking"
        );
    }
    // Telegram's overall limit, counting replies, edits and the updates.
    let messages: Vec<Instant> = calls
        .iter()
        .filter(|c| matches!(c.method.as_str(), "sendMessage" | "editMessageText" | "sendDocument"))
        .map(|c| c.at)
        .collect();
    let most = most_in_a_second(messages);
    assert!(most <= 30, "{most} messages in one second: {}", busiest_second(&calls));

    // The organiser's progress: one message, edited in place, then a summary.
    let shown = fake.outgoing(ORGANISER as i64);
    let progress: Vec<_> = shown
        .iter()
        .filter(|m| m.text.starts_with("Sending update #1"))
        .collect();
    assert!(progress.len() >= 2, "{shown:#?}");
    assert_eq!(progress[0].method, "sendMessage");
    assert!(
        progress[1..]
            .iter()
            .all(|m| m.method == "editMessageText" && m.message_id == progress[0].message_id),
        "{progress:#?}"
    );
    // Telegram's per-chat limit in the organiser's chat: about one a second.
    let organiser_calls: Vec<Instant> = calls
        .iter()
        .filter(|c| c.body["chat_id"].as_i64() == Some(ORGANISER as i64))
        .map(|c| c.at)
        .collect();
    assert!(
        organiser_calls
            .windows(2)
            .all(|pair| pair[1].duration_since(pair[0]) >= Duration::from_millis(900)),
        "{organiser_calls:?}"
    );
    let summary = shown.last().unwrap();
    assert!(
        summary
            .text
            .starts_with("Update #1 is finished: 975 sent, 25 unreachable."),
        "{}",
        summary.text
    );
    let listed = text_of(&app.say(&telegram(ORGANISER), "updates").await);
    assert!(listed.contains("finished: 975 sent, 25 unreachable"), "{listed}");
}

#[on_both_databases]
async fn an_update_reaches_each_discord_signer_by_direct_message_once_within_discords_limits(app: TestApp) {
    let telegram_fake = FakeTelegram::start().await;
    let discord_fake = FakeDiscord::start().await;
    let wanting: Vec<Identity> = (0..1000)
        .map(|i| Identity::new(Platform::Discord, (5_000_000 + i).to_string()))
        .collect();
    seed(&app, &wanting, true).await;
    let refusing: Vec<u64> = (0..20).map(|i| 5_000_000 + i * 50).collect();
    for user in &refusing {
        discord_fake.refuse_dms_from_bot(*user);
    }
    // Discord asks the bot to slow down twice: each waits out retry_after.
    discord_fake.rate_limit_next("dm", 0.5);
    discord_fake.rate_limit_next("dm", 0.5);
    let text = "We handed the petition in today.";
    let sent_text = organiser_sends(&app, text, "It will reach 1,000 signers (1,000 on Discord)").await;
    let rest = petition::discord::rest::DiscordRest::new(
        &discord_fake.api_url,
        petition::config::Secret::new(fake_discord::TOKEN),
    )
    .unwrap();
    let (stop_discord, discord_sending) = start_sender(&app, petition::discord::DiscordCourier::new(rest, 20));
    // The organiser is on Telegram: its sender shows the progress there.
    let (stop_telegram, telegram_sending) = start_sender(&app, telegram_courier(&app, &telegram_fake, 30));
    let update = wait_until_done(&app).await;
    stop_discord.stop();
    stop_telegram.stop();
    discord_sending.await.unwrap();
    telegram_sending.await.unwrap();

    assert_eq!((update.counts.sent, update.counts.unreachable), (980, 20));
    let limited = discord_fake.calls().iter().filter(|c| c.status == 429).count();
    assert_eq!(limited, 2, "the rate limits were met");
    let calls = discord_fake.calls();
    let mut received: HashMap<u64, usize> = HashMap::new();
    for call in calls.iter().filter(|c| c.method == "POST" && c.status == 200) {
        let segments: Vec<&str> = call.path.trim_start_matches("/api/v10/").split('/').collect();
        if let ["channels", channel, "messages"] = segments.as_slice() {
            let user = channel.parse::<u64>().unwrap() - fake_discord::dm_channel(0);
            assert_eq!(call.body["content"], sent_text.as_str());
            *received.entry(user).or_default() += 1;
        }
    }
    for who in &wanting {
        let user: u64 = who.user_id.parse().unwrap();
        let expected = usize::from(!refusing.contains(&user));
        assert_eq!(received.get(&user).copied().unwrap_or(0), expected, "user {user}");
    }
    let requests: Vec<Instant> = calls
        .iter()
        .filter(|c| !c.path.contains("/gateway"))
        .map(|c| c.at)
        .collect();
    let most = most_in_a_second(requests);
    assert!(most <= 50, "{most} requests in one second");
    let shown = telegram_fake.outgoing(ORGANISER as i64);
    let progress: Vec<_> = shown
        .iter()
        .filter(|m| m.text.starts_with("Sending update #1"))
        .collect();
    assert!(
        progress.len() >= 3,
        "the organiser on Telegram follows the Discord deliveries: {shown:#?}"
    );
    assert!(
        progress.iter().all(|m| m.message_id == progress[0].message_id),
        "one message, edited"
    );
    let summary = shown.last().expect("a summary for the organiser");
    assert!(
        summary
            .text
            .starts_with("Update #1 is finished: 980 sent, 20 unreachable."),
        "{}",
        summary.text
    );
}
