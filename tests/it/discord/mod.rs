//! The Discord bot end to end: the real serenity client against a fake
//! Discord (WebSocket gateway and REST) on loopback.

mod deadlines;

use crate::support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::TestApp;
use crate::support::fake_discord::{FakeDiscord, GUILD_ID, Shown, TOKEN};
use crate::support::on_both_databases;
use petition::config::{DiscordSettings, Secret};
use petition::conversation::Engine;
use petition::discord::{DEFER_AFTER, DiscordBot};
use serde_json::json;

const MEMBER: u64 = 555_000_000_000_000_001;
const ORGANISER: u64 = 555_000_000_000_000_099;
const ORGANISER_ROLE: u64 = 444_000_000_000_000_001;

fn settings(fake: &FakeDiscord) -> DiscordSettings {
    DiscordSettings {
        token: Secret::new(TOKEN),
        guilds: vec![GUILD_ID],
        api_url: fake.api_url.clone(),
        gateway_url: fake.gateway_url.clone(),
        updates_per_second: 10,
    }
}

async fn spawn_with_engine(engine: Arc<Engine>, fake: &FakeDiscord) -> DiscordBot {
    let identified = fake.identifies();
    let bot = DiscordBot::spawn(&settings(fake), engine, DEFER_AFTER)
        .await
        .expect("the bot starts against the fake");
    fake.wait_for_identify(identified + 1).await;
    fake.wait_for_commands().await;
    bot
}

async fn spawn(app: &TestApp, fake: &FakeDiscord) -> DiscordBot {
    spawn_with_engine(app.engine.clone(), fake).await
}

/// Runs a slash command and returns the first thing shown for it.
async fn command(fake: &FakeDiscord, user: u64, roles: &[u64], name: &str) -> (String, Shown) {
    let token = fake.slash_command(user, roles, name, json!([]));
    let shown = fake.next_shown(&token).await;
    (token, shown)
}

async fn press(fake: &FakeDiscord, user: u64, on: &Shown, custom_id: &str) -> (String, Shown) {
    let token = fake.press(user, &[], on, custom_id);
    let shown = fake.next_shown(&token).await;
    (token, shown)
}

async fn submit(fake: &FakeDiscord, user: u64, name: &str, email: &str, location: &str) -> (String, Shown) {
    let token = fake.submit_form(
        user,
        "signing-form",
        &[("name", name), ("email", email), ("location", location)],
    );
    let shown = fake.next_shown(&token).await;
    (token, shown)
}

/// /sign, the form, consent, no updates: returns the review.
async fn up_to_the_review(fake: &FakeDiscord, user: u64, email: &str) -> Shown {
    let (_, modal) = command(fake, user, &[], "sign").await;
    assert_eq!(modal.callback_type, Some(9), "/sign opens the form: {modal:?}");
    let (_, consent) = submit(fake, user, "Ada Lovelace", email, "SW1A 1AA").await;
    let (_, updates) = press(fake, user, &consent, "c:consent.yes").await;
    let (_, review) = press(fake, user, &updates, "c:updates.no").await;
    review
}

#[on_both_databases]
async fn petition_then_the_form_consent_review_and_confirm_store_one_signature(app: TestApp) {
    let fake = FakeDiscord::start().await;
    let bot = spawn(&app, &fake).await;

    let (_, embed) = command(&fake, MEMBER, &[], "petition").await;
    assert_eq!(embed.callback_type, Some(4));
    assert!(!embed.ephemeral, "the petition is shown to everyone");
    assert_eq!(embed.embeds.len(), 1);
    assert_eq!(embed.embeds[0]["title"], "Keep the human trafficking unit open");
    let progress = embed.embeds[0]["fields"][0]["value"].as_str().unwrap();
    assert!(
        progress.contains("0 of 10,000 signatures") && progress.contains("▱"),
        "{progress}"
    );
    assert!(embed.has_button("sign") && embed.has_button("article"));

    let (_, modal) = press(&fake, MEMBER, &embed, "sign").await;
    let (modal_id, title, inputs) = modal.modal.clone().expect("Sign opens a form");
    assert_eq!(modal_id, "signing-form");
    assert!(title.chars().count() <= 45, "{title}");
    assert_eq!(inputs.len(), 3);
    assert!(inputs.iter().all(|(_, label, _)| label.chars().count() <= 45));

    let (_, consent) = submit(&fake, MEMBER, "Ada Lovelace", "ada@example.org", "SW1A 1AA").await;
    assert!(consent.ephemeral);
    assert!(consent.content.contains("explicit consent"), "{}", consent.content);
    let (_, updates) = press(&fake, MEMBER, &consent, "c:consent.yes").await;
    assert_eq!(updates.callback_type, Some(7), "the answer replaces the question");
    let (_, review) = press(&fake, MEMBER, &updates, "c:updates.no").await;
    assert!(
        review.content.contains("Name: Ada Lovelace") && review.content.contains("Where: SW1A"),
        "{}",
        review.content
    );
    let (_, thanks) = press(&fake, MEMBER, &review, "c:review.confirm").await;
    assert!(
        thanks.content.contains("Thank you, Ada Lovelace!"),
        "{}",
        thanks.content
    );
    assert!(thanks.content.contains("/sign code:"), "{}", thanks.content);
    assert!(thanks.ephemeral || thanks.callback_type == Some(7));

    assert_eq!(app.total().await, 1);
    let stored = app
        .storage
        .signature_of(&app.campaign(), &support::discord(MEMBER))
        .await
        .unwrap();
    assert_eq!(stored.unwrap().email.unwrap().as_str(), "ada@example.org");
    let (_, embed) = command(&fake, MEMBER + 1, &[], "petition").await;
    assert!(
        embed.embeds[0]["fields"][0]["value"]
            .as_str()
            .unwrap()
            .contains("1 of 10,000")
    );
    assert!(
        !serde_json::to_string(&embed.embeds).unwrap().contains("Ada"),
        "no personal data in public"
    );
    bot.stop().await;
}

#[on_both_databases]
async fn invalid_form_fields_are_explained_with_a_button_to_reopen_the_form(app: TestApp) {
    let fake = FakeDiscord::start().await;
    let bot = spawn(&app, &fake).await;
    command(&fake, MEMBER, &[], "sign").await;
    let (_, problems) = submit(&fake, MEMBER, "Ada Lovelace", "ada@", "Narnia").await;
    assert!(problems.ephemeral);
    assert!(
        problems
            .content
            .contains("Email: That doesn't look like an email address"),
        "{}",
        problems.content
    );
    assert!(
        problems
            .content
            .contains("Where you live: that isn't a UK postcode or a country"),
        "{}",
        problems.content
    );
    assert!(problems.has_button("form"), "{:?}", problems.buttons);
    let (_, modal) = press(&fake, MEMBER, &problems, "form").await;
    let (_, _, inputs) = modal.modal.expect("the form opens again");
    let value = |id: &str| inputs.iter().find(|(i, _, _)| i == id).unwrap().2.clone();
    assert_eq!(value("name"), "Ada Lovelace", "what was valid is filled in");
    assert_eq!(value("email"), "");
    let (_, consent) = submit(&fake, MEMBER, "Ada Lovelace", "ada@example.org", "France").await;
    assert!(consent.content.contains("explicit consent"));
    assert_eq!(app.total().await, 0);
    bot.stop().await;
}

#[on_both_databases]
async fn the_whole_conversation_works_in_direct_messages(app: TestApp) {
    let fake = FakeDiscord::start().await;
    let bot = spawn(&app, &fake).await;
    let dm = format!("dm:{MEMBER}");
    fake.direct_message(MEMBER, "hello");
    let first = fake.next_shown(&dm).await;
    assert!(
        first.content.contains("didn't understand") || first.content.contains("Would you like to sign"),
        "{}",
        first.content
    );
    for (say, expect) in [
        ("sign", "What name"),
        ("Ada Lovelace", "email address"),
        ("ada@example.org", "UK postcode"),
        ("SW1A 1AA", "explicit consent"),
        ("yes", "updates about this campaign"),
        ("no", "Please check your signature"),
    ] {
        fake.direct_message(MEMBER, say);
        let reply = fake.next_shown(&dm).await;
        assert!(reply.content.contains(expect), "after {say:?}: {}", reply.content);
        assert!(!reply.ephemeral);
    }
    fake.direct_message(MEMBER, "confirm");
    let thanks = fake.next_shown(&dm).await;
    assert!(
        thanks.content.contains("Thank you, Ada Lovelace!"),
        "{}",
        thanks.content
    );
    assert_eq!(app.total().await, 1);
    bot.stop().await;
}

#[on_both_databases]
async fn a_member_who_signed_on_telegram_with_the_same_email_is_told_so(app: TestApp) {
    app.sign(
        &support::telegram(42),
        "Ada Lovelace",
        "ada.lovelace@gmail.com",
        "SW1A 1AA",
    )
    .await;
    let fake = FakeDiscord::start().await;
    let bot = spawn(&app, &fake).await;
    let review = up_to_the_review(&fake, MEMBER, "adalovelace+discord@gmail.com").await;
    let (_, refused) = press(&fake, MEMBER, &review, "c:review.confirm").await;
    assert!(
        refused.content.contains("email address has already been used"),
        "{}",
        refused.content
    );
    assert!(!refused.content.contains("on Telegram"), "{}", refused.content);
    assert_eq!(app.total().await, 1);
    bot.stop().await;
}

#[on_both_databases]
async fn export_is_refused_to_non_organisers_and_sent_ephemerally_to_organisers(app: TestApp) {
    let app = app
        .restart_with(|settings| {
            settings.organisers.discord_users = vec![ORGANISER];
            settings.organisers.discord_roles = vec![ORGANISER_ROLE];
        })
        .await;
    app.sign(&support::telegram(42), "Ada Lovelace", "ada@example.org", "SW1A 1AA")
        .await;
    let fake = FakeDiscord::start().await;
    let bot = spawn(&app, &fake).await;

    // Every member in the fake has administrator permissions: not enough.
    let (_, refused) = command(&fake, MEMBER, &[], "export").await;
    assert!(refused.ephemeral);
    assert!(
        refused.content.contains("only the campaign's organisers"),
        "{}",
        refused.content
    );
    assert!(refused.attachment.is_none());

    for (user, roles) in [(ORGANISER, vec![]), (MEMBER, vec![ORGANISER_ROLE])] {
        let (_, export) = command(&fake, user, &roles, "export").await;
        assert!(export.ephemeral, "the export is only for the organiser's eyes");
        let (name, bytes) = export.attachment.expect("a CSV file");
        assert!(name.ends_with(".csv"));
        let csv = String::from_utf8(bytes).unwrap();
        assert!(csv.contains("Ada Lovelace,SW1A,,telegram,"), "{csv}");
    }
    let (_, stats) = command(&fake, ORGANISER, &[], "stats").await;
    assert!(
        stats.ephemeral && stats.content.contains("Total: 1 of 10,000"),
        "{}",
        stats.content
    );
    bot.stop().await;
}

#[on_both_databases]
async fn the_same_interaction_delivered_twice_creates_one_signature(app: TestApp) {
    let fake = FakeDiscord::start().await;
    let bot = spawn(&app, &fake).await;
    let review = up_to_the_review(&fake, MEMBER, "ada@example.org").await;
    let token = fake.press(MEMBER, &[], &review, "c:review.confirm");
    fake.redeliver_last_interaction();
    let thanks = fake.next_shown(&token).await;
    assert!(thanks.content.contains("Thank you"), "{}", thanks.content);
    // A later command proves the duplicate was dealt with first.
    command(&fake, MEMBER, &[], "status").await;
    assert_eq!(
        fake.shown(&token).len(),
        1,
        "the repeated interaction got no second answer"
    );
    assert_eq!(app.total().await, 1);
    bot.stop().await;
}

#[on_both_databases]
async fn a_restart_between_the_form_and_the_confirmation_loses_nothing(app: TestApp) {
    let fake = FakeDiscord::start().await;
    let bot = spawn(&app, &fake).await;
    command(&fake, MEMBER, &[], "sign").await;
    let (_, consent) = submit(&fake, MEMBER, "Ada Lovelace", "ada@example.org", "SW1A 1AA").await;
    let (_, updates) = press(&fake, MEMBER, &consent, "c:consent.yes").await;
    bot.stop().await;

    let app = app.restart().await;
    let bot = spawn(&app, &fake).await;
    let (_, review) = press(&fake, MEMBER, &updates, "c:updates.yes").await;
    assert!(review.content.contains("Name: Ada Lovelace"), "{}", review.content);
    let (_, thanks) = press(&fake, MEMBER, &review, "c:review.confirm").await;
    assert!(thanks.content.contains("Thank you"));
    assert_eq!(app.total().await, 1);
    bot.stop().await;
}

#[on_both_databases]
async fn sign_by_direct_message_moves_the_conversation_or_explains_why_not(app: TestApp) {
    let fake = FakeDiscord::start().await;
    let bot = spawn(&app, &fake).await;
    let (_, embed) = command(&fake, MEMBER, &[], "petition").await;
    let (_, note) = press(&fake, MEMBER, &embed, "dm").await;
    assert!(
        note.ephemeral && note.content.contains("I've sent you a direct message"),
        "{}",
        note.content
    );
    let welcome = fake.next_shown(&format!("dm:{MEMBER}")).await;
    assert!(welcome.content.contains("Keep the human trafficking unit open"));
    assert!(welcome.has_button("c:welcome.sign"));

    let shy = MEMBER + 7;
    fake.refuse_dms_from_bot(shy);
    let (_, note) = press(&fake, shy, &embed, "dm").await;
    assert!(
        note.content.contains("can't send you direct messages"),
        "{}",
        note.content
    );
    bot.stop().await;
}

#[on_both_databases]
async fn commands_are_registered_with_organiser_commands_hidden_by_default(app: TestApp) {
    let fake = FakeDiscord::start().await;
    let bot = spawn(&app, &fake).await;
    let registered = fake.wait_for_commands().await;
    assert!(
        registered[0].path.contains(&format!("/guilds/{GUILD_ID}/commands")),
        "{}",
        registered[0].path
    );
    let commands = registered[0].body.as_array().unwrap();
    let find = |name: &str| {
        commands
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("{name} registered"))
    };
    for name in [
        "petition", "sign", "status", "withdraw", "mydata", "privacy", "total", "stats", "export",
    ] {
        let command = find(name);
        assert!(command["description"].as_str().unwrap().chars().count() <= 100);
    }
    assert_eq!(find("export")["default_member_permissions"], "32");
    assert_eq!(find("stats")["default_member_permissions"], "32");
    assert!(find("sign")["default_member_permissions"].is_null());
    bot.stop().await;
}

#[on_both_databases]
async fn a_process_restarting_in_a_loop_pauses_before_identifying_again(app: TestApp) {
    // Six connection attempts in the last few minutes, as from a crash loop.
    let now = chrono::Utc::now();
    for minutes in 1..=6 {
        let at = now - chrono::Duration::minutes(minutes);
        app.storage
            .record_connection_attempt("discord", at, at - chrono::Duration::days(2))
            .await
            .unwrap();
    }
    let fake = FakeDiscord::start().await;
    let bot = DiscordBot::spawn(&settings(&fake), app.engine.clone(), DEFER_AFTER)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(fake.identifies(), 0, "the bot waits instead of identifying at once");
    let stopping = Instant::now();
    bot.stop().await;
    assert!(
        stopping.elapsed() < Duration::from_secs(5),
        "a waiting bot still stops at once"
    );
    assert_eq!(fake.identifies(), 0);
}

#[on_both_databases]
async fn a_share_code_given_to_sign_credits_the_referrer(app: TestApp) {
    let fake = FakeDiscord::start().await;
    let bot = spawn(&app, &fake).await;
    let review = up_to_the_review(&fake, MEMBER, "ada@example.org").await;
    let (_, thanks) = press(&fake, MEMBER, &review, "c:review.confirm").await;
    let code: String = thanks
        .content
        .split("/sign code:")
        .nth(1)
        .unwrap()
        .chars()
        .take(8)
        .collect();

    let friend = MEMBER + 1;
    let token = fake.slash_command(
        friend,
        &[],
        "sign",
        json!([{ "name": "code", "type": 3, "value": code }]),
    );
    let modal = fake.next_shown(&token).await;
    assert_eq!(modal.callback_type, Some(9));
    let (_, consent) = submit(&fake, friend, "Bo Diddley", "bo@example.org", "N1 9GU").await;
    let (_, updates) = press(&fake, friend, &consent, "c:consent.yes").await;
    let (_, review) = press(&fake, friend, &updates, "c:updates.no").await;
    press(&fake, friend, &review, "c:review.confirm").await;

    let stored = app
        .storage
        .signature_of(&app.campaign(), &support::discord(friend))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.referral_code.map(|c| c.as_str().to_owned()), Some(code));
    bot.stop().await;
}

#[on_both_databases]
async fn a_new_discord_accounts_signature_is_held_and_released_by_an_organiser(app: TestApp) {
    let app = app
        .restart_with(|settings| settings.organisers.discord_users = vec![ORGANISER])
        .await;
    let fake = FakeDiscord::start().await;
    let bot = spawn(&app, &fake).await;
    // A snowflake minted a day ago (by the real clock the adapter reads it with).
    let born = (chrono::Utc::now() - chrono::Duration::days(1)).timestamp_millis() as u64;
    let newcomer = (born - 1_420_070_400_000) << 22;
    let review = up_to_the_review(&fake, newcomer, "new@example.org").await;
    let (_, thanks) = press(&fake, newcomer, &review, "c:review.confirm").await;
    assert!(thanks.content.contains("Thank you"), "{}", thanks.content);
    assert_eq!(app.total().await, 0, "held, not counted");

    let (_, held) = command(&fake, ORGANISER, &[], "held").await;
    assert!(
        held.ephemeral && held.content.contains("new_account: 1"),
        "{}",
        held.content
    );
    let token = fake.slash_command(
        ORGANISER,
        &[],
        "release",
        json!([{ "name": "reason", "type": 3, "value": "new_account" }]),
    );
    let preview = fake.next_shown(&token).await;
    assert!(
        preview.content.contains("1 held signature match"),
        "{}",
        preview.content
    );
    let (_, done) = press(&fake, ORGANISER, &preview, "c:review-action.yes").await;
    assert!(done.content.contains("Released 1 signature"), "{}", done.content);
    assert_eq!(app.total().await, 1);
    bot.stop().await;
}

#[on_both_databases]
async fn alerts_are_posted_to_the_organisers_channel(app: TestApp) {
    let app = app
        .restart_with(|settings| {
            let mut campaign = settings.campaigns.default_campaign().as_ref().clone();
            campaign.limits.email_domain_per_hour = 2;
            settings.campaigns.upsert(campaign);
        })
        .await;
    let fake = FakeDiscord::start().await;
    let rest = petition::discord::rest::DiscordRest::new(&fake.api_url, Secret::new(TOKEN)).unwrap();
    let channel = 123_456;
    let forwarder = tokio::spawn(petition::discord::forward_alerts(
        rest,
        channel,
        app.engine.subscribe_alerts(),
    ));
    for n in 0..2 {
        app.sign(
            &support::telegram(900 + n),
            "Ada Lovelace",
            &format!("a{n}@burst.example"),
            "SW1A 1AA",
        )
        .await;
    }
    app.engine.check_velocity().await.unwrap();
    let alert = fake.next_shown(&format!("channel:{channel}")).await;
    assert!(
        alert.content.contains("email domain burst.example"),
        "{}",
        alert.content
    );
    forwarder.abort();
}

#[on_both_databases]
async fn personal_commands_answer_only_the_member_who_asked(app: TestApp) {
    let fake = FakeDiscord::start().await;
    let bot = spawn(&app, &fake).await;
    let review = up_to_the_review(&fake, MEMBER, "ada@example.org").await;
    press(&fake, MEMBER, &review, "c:review.confirm").await;

    let (_, status) = command(&fake, MEMBER, &[], "status").await;
    assert!(
        status.ephemeral && status.content.contains("You signed"),
        "{}",
        status.content
    );
    let (_, data) = command(&fake, MEMBER, &[], "mydata").await;
    assert!(
        data.ephemeral && data.content.contains("Email: ada@example.org"),
        "{}",
        data.content
    );
    let (_, privacy) = command(&fake, MEMBER, &[], "privacy").await;
    assert!(
        privacy.ephemeral && privacy.content.contains("what we keep"),
        "{}",
        privacy.content
    );
    let (_, total) = command(&fake, MEMBER + 3, &[], "total").await;
    assert!(total.content.contains("1 of 10,000"), "{}", total.content);

    let (_, ask) = command(&fake, MEMBER, &[], "withdraw").await;
    assert!(
        ask.ephemeral && ask.content.contains("can't be undone"),
        "{}",
        ask.content
    );
    let (_, done) = press(&fake, MEMBER, &ask, "c:withdraw.yes").await;
    assert!(done.content.contains("have been deleted"), "{}", done.content);
    assert_eq!(app.total().await, 0);
    assert!(
        app.storage
            .signature_of(&app.campaign(), &support::discord(MEMBER))
            .await
            .unwrap()
            .is_none()
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_petition_process_runs_both_bots_against_one_database() {
    use crate::support::fake_telegram::{FakeTelegram, TOKEN as TELEGRAM_TOKEN};
    let telegram = FakeTelegram::start().await;
    let discord = FakeDiscord::start().await;
    let folder = tempfile::tempdir().unwrap();
    let mut child = support::petition_binary(folder.path())
        .env("TELEGRAM_BOT_TOKEN", TELEGRAM_TOKEN)
        .env("PETITION_TELEGRAM__API_URL", telegram.url.as_str())
        .env("DISCORD_BOT_TOKEN", TOKEN)
        .env("PETITION_DISCORD__API_URL", &discord.api_url)
        .env("PETITION_DISCORD__GUILDS", format!("[{GUILD_ID}]"))
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary starts");
    discord.wait_for_commands().await;

    // A supporter signs on Telegram...
    let user = 4242;
    telegram.user_says(user, "/sign");
    for answer in ["Ada Lovelace", "ada@example.org", "SW1A 1AA", "yes", "no"] {
        telegram.next_reply(user as i64).await;
        telegram.user_says(user, answer);
    }
    let review = telegram.next_reply(user as i64).await;
    assert!(review.text.contains("Please check your signature"), "{}", review.text);
    telegram.user_says(user, "confirm");
    assert!(telegram.next_reply(user as i64).await.text.contains("Thank you"));

    // ...and Discord counts it, from the same database.
    let (_, total) = command(&discord, MEMBER, &[], "total").await;
    assert!(total.content.contains("1 of 10,000 signatures"), "{}", total.content);

    let terminated = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(terminated.success());
    let output = tokio::task::spawn_blocking(move || {
        let mut log = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut log).unwrap();
        (child.wait().unwrap(), log)
    });
    let (status, log) = tokio::time::timeout(Duration::from_secs(30), output)
        .await
        .expect("both bots stop promptly on SIGTERM")
        .unwrap();
    assert!(status.success(), "exit status {status:?}; log: {log}");
    for secret in [TOKEN, TELEGRAM_TOKEN, "Ada Lovelace", "ada@example.org"] {
        assert!(!log.contains(secret), "{secret:?} must never be logged: {log}");
    }
}
