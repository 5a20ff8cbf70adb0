//! Discord's deadlines and the bot's own REST client: a slow database
//! still answers within three seconds (deferred, then edited), rate
//! limits are waited out, a slow press is answered in place of the pressed
//! message, edits never carry the ephemeral flag, and every request names
//! the bot.

use std::time::{Duration, Instant};

use super::*;

#[on_both_databases]
async fn a_slow_database_still_gets_a_response_within_three_seconds(app: TestApp) {
    let slow = app.storage.slowed(Duration::from_secs(4));
    let engine = Arc::new(Engine::new(&app.settings, slow, app.clock.clone()));
    let fake = FakeDiscord::start().await;
    let bot = spawn_with_engine(engine, &fake).await;
    let asked = Instant::now();
    let token = fake.slash_command(MEMBER, &[], "status", json!([]));
    let first = fake.next_shown(&token).await;
    assert_eq!(first.callback_type, Some(5), "a deferral: {first:?}");
    assert!(first.ephemeral);
    assert!(
        first.at.duration_since(asked) < Duration::from_secs(3),
        "inside Discord's deadline"
    );
    let answer = fake.next_shown(&token).await;
    assert_eq!(answer.via, "edit-original");
    assert!(answer.content.contains("You haven't signed"), "{}", answer.content);
    bot.stop().await;
}

#[on_both_databases]
async fn a_rate_limited_follow_up_is_waited_out(app: TestApp) {
    let fake = FakeDiscord::start().await;
    let bot = spawn(&app, &fake).await;
    fake.rate_limit_next("follow-up", 1.0);
    // The article is longer than one Discord message, so it needs follow-ups.
    let (token, first) = command(&fake, MEMBER, &[], "article").await;
    assert!(
        first.content.contains("The issue of human trafficking"),
        "{}",
        first.content
    );
    let rest = fake.next_shown(&token).await;
    assert_eq!(rest.via, "follow-up");
    let follow_ups: Vec<_> = fake
        .calls()
        .into_iter()
        .filter(|c| c.path.contains(&token) && c.method == "POST" && c.path.starts_with("/api/v10/webhooks"))
        .collect();
    assert_eq!(follow_ups[0].status, 429);
    assert_eq!(follow_ups[1].status, 200);
    assert!(
        follow_ups[1].at.duration_since(follow_ups[0].at) >= Duration::from_secs(1),
        "retry_after was honoured"
    );
    let all = fake.shown(&token);
    assert!(all.iter().all(|s| s.content.chars().count() <= 2000));
    assert!(
        all.iter().any(|s| s.content.contains("much-needed unit.")),
        "nothing was dropped"
    );
    bot.stop().await;
}

/// A bot whose engine takes `delay` over each message and which defers
/// every interaction, so its answers arrive as edits and follow-ups.
async fn spawn_deferring(app: &TestApp, fake: &FakeDiscord, delay: Duration) -> DiscordBot {
    let slow = app.storage.slowed(delay);
    let engine = Arc::new(Engine::new(&app.settings, slow, app.clock.clone()));
    let identified = fake.identifies();
    let bot = DiscordBot::spawn(&settings(fake), engine, Duration::from_millis(1))
        .await
        .expect("the bot starts against the fake");
    fake.wait_for_identify(identified + 1).await;
    fake.wait_for_commands().await;
    bot
}

/// Whether a call went through the bot's own REST client rather than
/// serenity's: follow-ups, edits of a deferred answer, and DMs.
fn through_the_bots_own_client(call: &support::fake_discord::Call) -> bool {
    let path = call.path.trim_start_matches("/api/v10/");
    path.starts_with("webhooks/") || path == "users/@me/channels" || path.starts_with("channels/")
}

#[on_both_databases]
async fn every_rest_request_names_the_bot_in_its_user_agent(app: TestApp) {
    let ours = petition::discord::rest::user_agent();
    assert!(ours.starts_with("DiscordBot ("), "{ours}");
    assert!(ours.ends_with(&format!(", {})", env!("CARGO_PKG_VERSION"))), "{ours}");

    let fake = FakeDiscord::start().await;
    let bot = spawn_deferring(&app, &fake, Duration::from_millis(300)).await;
    // Deferred, so the first part edits @original and the rest follow up.
    let token = fake.slash_command(MEMBER, &[], "article", json!([]));
    while !fake.shown(&token).iter().any(|s| s.via == "follow-up") {
        fake.next_shown(&token).await;
    }
    let token = fake.slash_command(MEMBER, &[], "petition", json!([]));
    let embed = loop {
        let shown = fake.next_shown(&token).await;
        if shown.has_button("dm") {
            break shown;
        }
    };
    // Opens a DM and writes in it.
    let (_, note) = press(&fake, MEMBER, &embed, "dm").await;
    assert!(note.content.contains("direct message"), "{}", note.content);
    fake.next_shown(&format!("dm:{MEMBER}")).await;
    fake.direct_message(MEMBER, "help");
    fake.next_shown(&format!("dm:{MEMBER}")).await;
    bot.stop().await;

    let calls = fake.calls();
    for call in &calls {
        let agent = call.user_agent().unwrap_or("");
        assert!(
            agent.starts_with("DiscordBot (") && agent.ends_with(')'),
            "{} {} sent User-Agent {agent:?}",
            call.method,
            call.path
        );
        if through_the_bots_own_client(call) {
            assert_eq!(agent, ours, "{} {}", call.method, call.path);
        }
    }
    let own: Vec<(&str, &str)> = calls
        .iter()
        .filter(|c| through_the_bots_own_client(c))
        .map(|c| (c.method.as_str(), c.path.as_str()))
        .collect();
    for (method, route) in [
        ("POST", "/webhooks/"),
        ("PATCH", "/messages/@original"),
        ("POST", "/users/@me/channels"),
        ("POST", "/channels/"),
    ] {
        assert!(
            own.iter().any(|(m, path)| *m == method && path.contains(route)),
            "the bot's own client was not seen to {method} {route}: {own:?}"
        );
    }
}

/// Discord asks for a URL in the `User-Agent`; the package names no
/// address of its own, so a deployment with a public page names that.
#[on_both_databases]
async fn a_deployment_with_a_public_page_names_it_in_its_user_agent(app: TestApp) {
    let mut settings = app.settings.clone();
    settings.web.public_url = "https://petition.example.org".to_owned();
    settings.web.listen = "127.0.0.1:0".to_owned();
    let engine = Arc::new(Engine::new(&settings, app.storage.clone(), app.clock.clone()));
    let fake = FakeDiscord::start().await;
    let bot = spawn_with_engine(engine, &fake).await;
    fake.direct_message(MEMBER, "help");
    fake.next_shown(&format!("dm:{MEMBER}")).await;
    bot.stop().await;

    let expected = format!(
        "DiscordBot (https://petition.example.org, {})",
        env!("CARGO_PKG_VERSION")
    );
    let own: Vec<_> = fake.calls().into_iter().filter(through_the_bots_own_client).collect();
    assert!(
        !own.is_empty(),
        "the answer to the DM went through the bot's own client"
    );
    for call in own {
        assert_eq!(
            call.user_agent(),
            Some(expected.as_str()),
            "{} {}",
            call.method,
            call.path
        );
    }
}

#[on_both_databases]
async fn edits_never_carry_the_ephemeral_flag(app: TestApp) {
    let fake = FakeDiscord::start().await;
    // Buttons that move the conversation on update the message they were on.
    let bot = spawn(&app, &fake).await;
    let review = up_to_the_review(&fake, MEMBER, "ada@example.org").await;
    let (_, thanks) = press(&fake, MEMBER, &review, "c:review.confirm").await;
    assert!(thanks.content.contains("Thank you"), "{}", thanks.content);
    bot.stop().await;
    // A deferred answer edits @original.
    let bot = spawn_deferring(&app, &fake, Duration::from_millis(300)).await;
    let token = fake.slash_command(MEMBER, &[], "status", json!([]));
    let deferral = fake.next_shown(&token).await;
    assert_eq!(deferral.callback_type, Some(5));
    assert!(deferral.ephemeral, "the deferral decides that the answer is private");
    let answer = fake.next_shown(&token).await;
    assert_eq!(answer.via, "edit-original");
    assert!(answer.content.contains("You signed"), "{}", answer.content);
    bot.stop().await;

    let edits: Vec<_> = fake.calls().into_iter().filter(|c| c.is_edit()).collect();
    assert!(
        edits.iter().any(|c| c.method == "POST") && edits.iter().any(|c| c.method == "PATCH"),
        "both kinds of edit were made: {:?}",
        edits.iter().map(|c| (&c.method, &c.path)).collect::<Vec<_>>()
    );
    for edit in &edits {
        assert!(
            edit.flags().is_none_or(|flags| flags & 64 == 0),
            "{} {} carries flags {:?}",
            edit.method,
            edit.path,
            edit.flags()
        );
    }
}

#[on_both_databases]
async fn a_slow_press_is_deferred_as_an_update_and_answered_in_place_of_the_pressed_message(app: TestApp) {
    let fake = FakeDiscord::start().await;
    let bot = spawn(&app, &fake).await;
    let review = up_to_the_review(&fake, MEMBER, "ada@example.org").await;
    bot.stop().await;
    let bot = spawn_deferring(&app, &fake, Duration::from_millis(300)).await;
    let token = fake.press(MEMBER, &[], &review, "c:review.confirm");
    let deferral = fake.next_shown(&token).await;
    assert_eq!(
        deferral.callback_type,
        Some(6),
        "a press is deferred as an update of its message: {deferral:?}"
    );
    let answer = fake.next_shown(&token).await;
    assert_eq!(
        answer.via, "edit-original",
        "the pressed message is replaced, its buttons with it"
    );
    assert!(answer.content.contains("Thank you"), "{}", answer.content);
    bot.stop().await;
}
