//! The Telegram bot end to end: the real teloxide dispatcher, long polling
//! (or a webhook) against a fake Bot API server on loopback, over real HTTP.

use crate::support;

use std::sync::Arc;
use std::time::Duration;

use crate::support::TestApp;
use crate::support::fake_telegram::{BOT_USERNAME, FakeTelegram, Outgoing, TOKEN};
use crate::support::on_both_databases;
use petition::config::Secret;
use petition::telegram::{Delivery, TelegramBot};
use teloxide::Bot;
use teloxide::adaptors::throttle::Limits;
use teloxide::requests::RequesterExt;

const ORGANISER: u64 = 1000;

fn plain_bot(fake: &FakeTelegram) -> Bot {
    Bot::new(TOKEN).set_api_url(fake.url.clone())
}

async fn spawn_polling(app: &TestApp, fake: &FakeTelegram) -> TelegramBot {
    TelegramBot::spawn(
        plain_bot(fake),
        app.engine.clone(),
        &[ORGANISER as i64],
        Delivery::LongPolling,
    )
    .await
    .expect("the bot starts against the fake")
}

/// Signs all the way through; returns the thank-you.
async fn sign(fake: &FakeTelegram, user: u64, email: &str, start: &str) -> Outgoing {
    let welcome = fake.say(user, start).await;
    let name = fake.press(user, &welcome, "welcome.sign").await;
    assert!(name.text.contains("What name"), "{}", name.text);
    fake.say(user, "Ada Lovelace").await;
    fake.say(user, email).await;
    let consent = fake.say(user, "SW1A 1AA").await;
    let updates = fake.press(user, &consent, "consent.yes").await;
    let review = fake.press(user, &updates, "updates.no").await;
    fake.press(user, &review, "review.confirm").await
}

#[on_both_databases]
async fn a_supporter_signs_by_buttons_and_text_in_a_private_chat(app: TestApp) {
    let fake = FakeTelegram::start().await;
    let bot = spawn_polling(&app, &fake).await;
    let user = 501;

    let welcome = fake.say(user, "/start").await;
    assert!(
        welcome.text.contains("Keep the human trafficking unit open"),
        "{}",
        welcome.text
    );
    assert_eq!(
        welcome.buttons,
        [
            ("Sign the petition".to_owned(), "welcome.sign".to_owned()),
            ("Read the article".to_owned(), "welcome.article".to_owned()),
            ("Privacy".to_owned(), "welcome.privacy".to_owned()),
        ]
    );

    let name = fake.press(user, &welcome, "welcome.sign").await;
    assert_eq!(
        name.method, "editMessageText",
        "the button's answer replaces its message"
    );
    assert_eq!(name.message_id, welcome.message_id);
    assert!(name.text.contains("What name"));
    let email = fake.say(user, "Ada Lovelace").await;
    assert!(email.text.contains("email address"), "{}", email.text);
    let postcode = fake.say(user, "ada@example.org").await;
    assert!(postcode.text.contains("UK postcode"));
    assert!(postcode.buttons.iter().any(|(_, d)| d == "postcode.outside"));
    let consent = fake.say(user, "sw1a 1aa").await;
    assert!(consent.text.contains("explicit consent"));
    let updates = fake.press(user, &consent, "consent.yes").await;
    assert!(updates.text.contains("updates about this campaign"));
    let review = fake.press(user, &updates, "updates.yes").await;
    assert!(review.text.contains("Name: Ada Lovelace"), "{}", review.text);
    assert!(review.text.contains("Where: SW1A"), "{}", review.text);
    let thanks = fake.press(user, &review, "review.confirm").await;
    assert!(thanks.text.contains("Thank you, Ada Lovelace!"), "{}", thanks.text);
    assert!(thanks.text.contains("1 of 10,000 signatures"));
    let link_prefix = format!("https://t.me/{BOT_USERNAME}?start=keep-the-unit-open__");
    assert!(
        thanks.text.contains(&link_prefix),
        "the share link is in the text: {}",
        thanks.text
    );
    assert!(
        thanks
            .links
            .iter()
            .any(|(label, url)| label == "Share the petition" && url.starts_with("https://t.me/share/url"))
    );

    assert_eq!(app.total().await, 1);
    let stored = app
        .storage
        .signature_of(&app.campaign(), &support::telegram(user))
        .await
        .unwrap();
    assert_eq!(stored.unwrap().name.as_str(), "Ada Lovelace");
    fake.wait_for_calls("answerCallbackQuery", 4).await;
    assert_eq!(
        fake.calls_of("answerCallbackQuery").len(),
        4,
        "every button press is answered once"
    );
    let sent = fake.calls_of("sendMessage").len();
    let edited = fake.calls_of("editMessageText").len();
    assert_eq!(
        (sent, edited),
        (4, 4),
        "4 new messages and 4 edits for a whole signature"
    );
    bot.stop().await;
}

#[on_both_databases]
async fn every_invalid_answer_is_asked_again(app: TestApp) {
    let fake = FakeTelegram::start().await;
    let bot = spawn_polling(&app, &fake).await;
    let user = 502;
    let welcome = fake.say(user, "/start").await;
    fake.press(user, &welcome, "welcome.sign").await;
    for (answer, why, question) in [
        ("A", "too short", "What name"),
        ("http://spam.example", "link", "What name"),
        ("=Ann", "cannot start with", "What name"),
        ("Ann\u{200B}Lee", "hidden or control characters", "What name"),
    ] {
        let reply = fake.say(user, answer).await;
        assert!(
            reply.text.contains(why) && reply.text.contains(question),
            "{answer:?}: {}",
            reply.text
        );
    }
    fake.say(user, "Ann Lee").await;
    let reply = fake.say(user, "not an email").await;
    assert!(reply.text.contains("doesn't look like an email address") && reply.text.contains("What is your email"));
    fake.say(user, "ann@example.org").await;
    let reply = fake.say(user, "ZZ99 9ZZZ").await;
    assert!(reply.text.contains("doesn't look like a UK postcode"), "{}", reply.text);
    let consent = fake.say(user, "N1 9GU").await;
    let reply = fake.say(user, "maybe").await;
    assert!(reply.text.contains("didn't understand") && reply.text.contains("explicit consent"));
    // Nothing was stored along the way, and the conversation is still at consent.
    assert_eq!(app.total().await, 0);
    let updates = fake.press(user, &consent, "consent.yes").await;
    assert!(updates.text.contains("updates about this campaign"));
    bot.stop().await;
}

#[on_both_databases]
async fn a_group_sign_command_is_answered_with_a_deep_link_and_no_personal_data(app: TestApp) {
    let fake = FakeTelegram::start().await;
    let bot = spawn_polling(&app, &fake).await;
    let group: i64 = -100_123;
    sign(&fake, 503, "ada@example.org", "/start").await;

    fake.user_says_in_group(group, 504, "lovely weather");
    fake.user_says_in_group(group, 504, "/sign@SomeOtherBot");
    fake.user_says_in_group(group, 504, &format!("/sign@{BOT_USERNAME}"));
    let reply = fake.next_reply(group).await;
    assert_eq!(reply.method, "sendMessage");
    assert!(reply.text.contains("Keep the human trafficking unit open"));
    assert!(reply.text.contains("1 of 10,000 signatures"), "{}", reply.text);
    assert!(
        !reply.text.contains("Ada"),
        "no personal data in a group: {}",
        reply.text
    );
    assert!(reply.buttons.is_empty(), "nothing to press in a group");
    assert_eq!(
        reply.links,
        [(
            "Sign in a private chat".to_owned(),
            format!("https://t.me/{BOT_USERNAME}?start=keep-the-unit-open")
        )]
    );
    fake.user_says_in_group(group, 503, "/mydata");
    let reply = fake.next_reply(group).await;
    assert!(reply.text.contains("only do that in a private chat"), "{}", reply.text);
    assert!(!reply.text.contains("Ada") && !reply.text.contains("example.org"));
    assert_eq!(
        fake.outgoing(group).len(),
        2,
        "chatter and other bots' commands got no reply"
    );
    bot.stop().await;
}

#[on_both_databases]
async fn a_share_code_deep_link_credits_the_referrer(app: TestApp) {
    let fake = FakeTelegram::start().await;
    let bot = spawn_polling(&app, &fake).await;
    let thanks = sign(&fake, 505, "ref@example.org", "/start").await;
    let link_start = thanks.text.find("?start=").expect("a deep link") + "?start=".len();
    let payload: String = thanks.text[link_start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    let code = payload.rsplit("__").next().unwrap().to_owned();
    assert_eq!(code.len(), 8);

    sign(&fake, 506, "friend@example.org", &format!("/start {payload}")).await;
    // A payload that is not ours gets a friendly start and credits no one.
    let welcome = fake.say(507, "/start %%%not-a-payload%%%").await;
    assert!(welcome.text.contains("Keep the human trafficking unit open"));

    let stats = petition::organiser::stats(
        app.storage.as_ref(),
        app.settings.campaigns.default_campaign(),
        support::test_start().date_naive(),
    )
    .await
    .unwrap();
    assert_eq!(stats.top_referral_codes, [petition::storage::Tally::new(code, 1)]);
    bot.stop().await;
}

#[on_both_databases]
async fn the_same_update_delivered_twice_is_handled_once(app: TestApp) {
    let fake = FakeTelegram::start().await;
    let bot = spawn_polling(&app, &fake).await;
    let user = 508;
    let welcome = fake.say(user, "/start").await;
    fake.press(user, &welcome, "welcome.sign").await;
    fake.user_says_times(user, "Ada Lovelace", 2);
    let email = fake.next_reply(user as i64).await;
    assert!(email.text.contains("email address"));
    fake.say(user, "ada@example.org").await;
    let consent = fake.say(user, "SW1A 1AA").await;
    let updates = fake.press(user, &consent, "consent.yes").await;
    let review = fake.press(user, &updates, "updates.no").await;
    // The confirmation arrives twice under one update id.
    let message = serde_json::json!({
        "message_id": review.message_id, "date": 1, "from": {"id": 4242424242u64, "is_bot": true, "first_name": "Petition"},
        "chat": {"id": user, "type": "private", "first_name": "Supporter"}, "text": review.text,
    });
    fake.queue_copies(
        "callback_query",
        serde_json::json!({
            "id": "double-tap", "from": {"id": user, "is_bot": false, "first_name": "Supporter"},
            "message": message, "chat_instance": "x", "data": "review.confirm"
        }),
        2,
    );
    let thanks = fake.next_reply(user as i64).await;
    assert!(thanks.text.contains("Thank you"), "{}", thanks.text);
    // Anything after it proves the duplicates were dealt with first.
    let status = fake.say(user, "/status").await;
    assert!(status.text.contains("You signed"), "{}", status.text);
    assert_eq!(app.total().await, 1);
    let thanked = fake
        .outgoing(user as i64)
        .iter()
        .filter(|o| o.text.contains("Thank you, Ada"))
        .count();
    assert_eq!(thanked, 1, "one thank-you");
    let asked_for_email = fake
        .outgoing(user as i64)
        .iter()
        .filter(|o| o.text.starts_with("What is your email"))
        .count();
    assert_eq!(asked_for_email, 1, "the repeated name was handled once");
    bot.stop().await;
}

#[on_both_databases]
async fn a_rate_limited_message_is_delivered_after_retry_after(app: TestApp) {
    let fake = FakeTelegram::start().await;
    // Production's requester, with limits loose enough for a test.
    let limits = Limits {
        messages_per_sec_chat: 100,
        messages_per_min_chat: 1000,
        messages_per_min_channel_or_supergroup: 1000,
        messages_per_sec_overall: 1000,
    };
    let bot = TelegramBot::spawn(
        plain_bot(&fake).throttle(limits),
        app.engine.clone(),
        &[],
        Delivery::LongPolling,
    )
    .await
    .unwrap();
    fake.rate_limit_next("sendMessage", 1, 1);
    let welcome = fake.say(509, "/start").await;
    assert!(welcome.text.contains("Keep the human trafficking unit open"));
    let attempts = fake.calls_of("sendMessage");
    assert_eq!(attempts.len(), 2, "one refused attempt, then the delivery");
    assert_eq!((attempts[0].status, attempts[1].status), (429, 200));
    assert!(
        attempts[1].at.duration_since(attempts[0].at) >= Duration::from_secs(1),
        "the retry waited for retry_after"
    );
    bot.stop().await;
}

#[on_both_databases]
async fn stopping_the_bot_mid_conversation_and_starting_it_again_resumes(app: TestApp) {
    let fake = FakeTelegram::start().await;
    let bot = spawn_polling(&app, &fake).await;
    let user = 510;
    let welcome = fake.say(user, "/start").await;
    fake.press(user, &welcome, "welcome.sign").await;
    fake.say(user, "Ada Lovelace").await;
    fake.say(user, "ada@example.org").await;
    fake.wait_until_confirmed().await;
    bot.stop().await;

    let app = app.restart().await;
    let bot = spawn_polling(&app, &fake).await;
    let consent = fake.say(user, "SW1A 1AA").await;
    assert!(
        consent.text.contains("explicit consent"),
        "resumed at the postcode: {}",
        consent.text
    );
    let updates = fake.press(user, &consent, "consent.yes").await;
    let review = fake.press(user, &updates, "updates.no").await;
    assert!(review.text.contains("Email: ada@example.org"));
    fake.press(user, &review, "review.confirm").await;
    assert_eq!(app.total().await, 1);
    bot.stop().await;
}

#[on_both_databases]
async fn export_is_refused_to_non_organisers_and_in_groups_and_sent_as_csv_to_organisers(app: TestApp) {
    let fake = FakeTelegram::start().await;
    let bot = spawn_polling(&app, &fake).await;
    sign(&fake, 511, "ada@example.org", "/start").await;

    let refused = fake.say(512, "/export").await;
    assert!(
        refused.text.contains("only the campaign's organisers"),
        "{}",
        refused.text
    );
    assert!(refused.document.is_none());

    let group: i64 = -100_456;
    fake.user_says_in_group(group, ORGANISER, "/export");
    let in_group = fake.next_reply(group).await;
    assert!(
        in_group.text.contains("only work in a private chat"),
        "{}",
        in_group.text
    );
    assert!(fake.calls_of("sendDocument").is_empty());

    let export = fake.say(ORGANISER, "/export").await;
    assert_eq!(export.method, "sendDocument");
    let (file_name, bytes) = export.document.expect("a CSV document");
    assert!(file_name.starts_with("keep-the-unit-open-signatures-") && file_name.ends_with(".csv"));
    let csv = String::from_utf8(bytes).unwrap();
    assert!(
        csv.starts_with("name,postcode_district,country,platform,signed_at\nAda Lovelace,SW1A,,telegram,"),
        "{csv}"
    );
    bot.stop().await;
}

#[on_both_databases]
async fn the_delivery_pack_is_sent_to_organisers_as_a_pdf_document(app: TestApp) {
    let fake = FakeTelegram::start().await;
    let bot = spawn_polling(&app, &fake).await;
    sign(&fake, 521, "ada@example.org", "/start").await;

    let refused = fake.say(522, "/deliver").await;
    assert!(
        refused.text.contains("only the campaign's organisers"),
        "{}",
        refused.text
    );
    assert!(fake.calls_of("sendDocument").is_empty());

    let pack = fake.say(ORGANISER, "/deliver").await;
    assert_eq!(pack.method, "sendDocument");
    assert!(pack.text.starts_with("The delivery pack for"), "{}", pack.text);
    let (file_name, bytes) = pack.document.expect("a PDF document");
    assert!(file_name.starts_with("keep-the-unit-open-delivery-") && file_name.ends_with(".pdf"));
    assert!(bytes.starts_with(b"%PDF-"), "a PDF");
    bot.stop().await;
}

#[on_both_databases]
async fn the_webhook_rejects_a_wrong_secret_and_handles_updates_once(app: TestApp) {
    let fake = FakeTelegram::start().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let public_url = url::Url::parse("https://bot.example.org/telegram/updates").unwrap();
    let bot = TelegramBot::spawn(
        plain_bot(&fake),
        app.engine.clone(),
        &[],
        Delivery::Webhook {
            listener,
            public_url: public_url.clone(),
            secret: Secret::new("s3cret_token-123"),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        fake.webhook_url(),
        public_url.as_str(),
        "the webhook was registered with Telegram"
    );

    let update_id = fake.user_says(513, "/start");
    let update = fake.update(update_id);
    let endpoint = format!("http://{address}/telegram/updates");
    let client = reqwest::Client::new();
    let post = |secret: Option<&'static str>| {
        let mut request = client.post(&endpoint).json(&update);
        if let Some(secret) = secret {
            request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
        }
        request.send()
    };
    assert_eq!(post(None).await.unwrap().status(), 401);
    assert_eq!(post(Some("s3cret_token-124")).await.unwrap().status(), 401);
    assert_eq!(post(Some("s3cret")).await.unwrap().status(), 401);
    assert_eq!(post(Some("s3cret_token-123")).await.unwrap().status(), 200);
    // Telegram retries when unsure; the retry is recognised.
    assert_eq!(post(Some("s3cret_token-123")).await.unwrap().status(), 200);
    let welcome = fake.next_reply(513).await;
    assert!(welcome.text.contains("Keep the human trafficking unit open"));
    let later_id = fake.user_says(513, "/total");
    let later = fake.update(later_id);
    let response = client
        .post(&endpoint)
        .header("X-Telegram-Bot-Api-Secret-Token", "s3cret_token-123")
        .json(&later)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let total = fake.next_reply(513).await;
    assert!(total.text.contains("0 of 10,000"), "{}", total.text);
    assert_eq!(fake.outgoing(513).len(), 2, "the repeated update was handled once");
    assert!(fake.calls_of("getUpdates").is_empty(), "no polling in webhook mode");
    bot.stop().await;
}

#[on_both_databases]
async fn a_long_article_arrives_in_parts_under_the_limit(app: TestApp) {
    let paragraph = "The unit must stay open. ".repeat(100); // 2,500 characters
    let article = [paragraph.trim(); 4].join("\n\n");
    let app = app
        .restart_with(|settings| {
            let mut campaign = settings.campaigns.default_campaign().as_ref().clone();
            campaign.article = article.clone();
            settings.campaigns.upsert(campaign);
        })
        .await;
    let fake = FakeTelegram::start().await;
    let bot = spawn_polling(&app, &fake).await;
    let user = 514;
    fake.say(user, "/article").await;
    let mut parts = Vec::new();
    loop {
        let reply = fake.next_reply(user as i64).await;
        if reply.text.starts_with("Would you like to sign") {
            break;
        }
        parts.push(reply.text);
    }
    assert!(parts.len() >= 3, "{} parts", parts.len());
    assert!(parts.iter().all(|p| p.chars().count() <= 4096));
    assert!(
        parts.iter().all(|p| p.ends_with("stay open.")),
        "split between paragraphs"
    );
    bot.stop().await;
}

#[on_both_databases]
async fn the_command_menus_are_registered_at_start_up(app: TestApp) {
    let fake = FakeTelegram::start().await;
    let bot = spawn_polling(&app, &fake).await;
    let menus = fake.calls_of("setMyCommands");
    assert_eq!(menus.len(), 2, "everyone's menu and the organiser's");
    let names = |call: &support::fake_telegram::Call| -> Vec<String> {
        call.body["commands"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["command"].as_str().unwrap().to_owned())
            .collect()
    };
    let everyone = names(&menus[0]);
    for command in [
        "start", "sign", "article", "status", "withdraw", "mydata", "privacy", "help", "cancel", "total",
    ] {
        assert!(everyone.contains(&command.to_owned()), "{command} in {everyone:?}");
    }
    assert!(!everyone.contains(&"export".to_owned()));
    assert!(menus[0].body["scope"].is_null(), "the default scope");
    let organiser = names(&menus[1]);
    assert!(organiser.contains(&"export".to_owned()) && organiser.contains(&"stats".to_owned()));
    assert_eq!(menus[1].body["scope"]["chat_id"], ORGANISER);
    bot.stop().await;
}

#[on_both_databases]
async fn a_stale_button_gets_a_notice_and_changes_nothing(app: TestApp) {
    let fake = FakeTelegram::start().await;
    let bot = spawn_polling(&app, &fake).await;
    let user = 515;
    let welcome = fake.say(user, "/start").await;
    fake.press(user, &welcome, "welcome.sign").await;
    fake.say(user, "Ada Lovelace").await;
    // The old welcome's Sign button, pressed again.
    fake.user_presses(user, &welcome, "welcome.sign");
    let answers = fake.wait_for_calls("answerCallbackQuery", 2).await;
    assert_eq!(
        answers[1].body["text"],
        "That choice has expired. Please use the buttons on my latest message, or type your answer."
    );
    // A forged one too.
    fake.user_presses(user, &welcome, "review.confirm");
    fake.wait_for_calls("answerCallbackQuery", 3).await;
    let next = fake.say(user, "ada@example.org").await;
    assert!(
        next.text.contains("UK postcode"),
        "still at the email step before: {}",
        next.text
    );
    assert_eq!(app.total().await, 0);
    bot.stop().await;
}

#[on_both_databases]
async fn many_supporters_sign_at_once_each_in_order(app: TestApp) {
    let fake = Arc::new(FakeTelegram::start().await);
    let bot = spawn_polling(&app, &fake).await;
    let signers: Vec<_> = (0..25u64)
        .map(|n| {
            let fake = fake.clone();
            tokio::spawn(async move {
                let user = 700 + n;
                let thanks = sign(&fake, user, &format!("signer{n}@example.org"), "/start").await;
                assert!(thanks.text.contains("Thank you, Ada Lovelace!"), "{}", thanks.text);
            })
        })
        .collect();
    for signer in signers {
        signer.await.expect("every conversation completes in order");
    }
    assert_eq!(app.total().await, 25);
    bot.stop().await;
}

#[on_both_databases]
async fn alerts_are_posted_to_the_organisers_chat(app: TestApp) {
    let app = app
        .restart_with(|settings| {
            let mut campaign = settings.campaigns.default_campaign().as_ref().clone();
            campaign.limits.postcode_district_per_hour = 3;
            settings.campaigns.upsert(campaign);
        })
        .await;
    let fake = FakeTelegram::start().await;
    let organisers_chat: i64 = -100_999;
    let forwarder = tokio::spawn(petition::telegram::forward_alerts(
        plain_bot(&fake),
        app.engine.pace(petition::domain::Platform::Telegram).unwrap().clone(),
        organisers_chat,
        app.engine.subscribe_alerts(),
    ));
    for n in 0..3 {
        app.sign(
            &support::telegram(800 + n),
            "Ada Lovelace",
            &format!("a{n}@example.org"),
            "E1 6AN",
        )
        .await;
    }
    app.engine.check_velocity().await.unwrap();
    let alert = fake.next_reply(organisers_chat).await;
    assert!(
        alert
            .text
            .contains("3 signatures in the last hour from postcode district E1"),
        "{}",
        alert.text
    );
    assert!(!alert.text.contains("Ada"), "{}", alert.text);
    forwarder.abort();
}

#[on_both_databases]
async fn a_message_without_text_gets_help(app: TestApp) {
    let fake = FakeTelegram::start().await;
    let bot = spawn_polling(&app, &fake).await;
    fake.user_sends_sticker(516);
    let help = fake.next_reply(516).await;
    assert!(help.text.contains("Here's what I understand"), "{}", help.text);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_petition_binary_runs_the_telegram_bot_and_stops_on_sigterm() {
    let fake = FakeTelegram::start().await;
    let folder = tempfile::tempdir().unwrap();
    let mut child = support::petition_binary(folder.path())
        .env("TELEGRAM_BOT_TOKEN", TOKEN)
        .env("PETITION_TELEGRAM__API_URL", fake.url.as_str())
        .env("RUST_LOG", "debug")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let welcome = fake.say(600, "/start").await;
    assert!(welcome.text.contains("Keep the human trafficking unit open"));
    let name = fake.press(600, &welcome, "welcome.sign").await;
    fake.say(600, "Ada Lovelace").await;
    assert!(name.text.contains("What name"));

    let terminated = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(terminated.success());
    let output = tokio::task::spawn_blocking(move || {
        let mut stderr = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
        (child.wait().unwrap(), stderr)
    });
    let (status, log) = tokio::time::timeout(Duration::from_secs(30), output)
        .await
        .expect("the bot stops promptly on SIGTERM")
        .unwrap();
    assert!(status.success(), "exit status {status:?}; log: {log}");
    assert!(log.contains("shutting down"), "{log}");
    assert!(
        !log.contains(TOKEN) && !log.contains("TEST-token"),
        "the token is never logged: {log}"
    );
    assert!(
        !log.contains("Ada Lovelace"),
        "what supporters type is never logged: {log}"
    );
}
