//! Updates as people meet them in the chats, through the real adapters and
//! the fakes, on both databases: a signer says yes to updates while
//! signing, an organiser writes one and confirms it in the chat, the signer
//! receives it, and stops further ones with the button under it (Telegram)
//! or one word in a direct message (Discord).

use crate::support;

use std::sync::Arc;

use crate::support::TestApp;
use crate::support::fake_discord::{self, FakeDiscord, Shown};
use crate::support::fake_telegram::{self, FakeTelegram};
use crate::support::on_both_databases;
use petition::discord::{DEFER_AFTER, DiscordBot, DiscordCourier};
use petition::messages::Language;
use petition::outbox::Sender;
use petition::telegram::{Delivery, STOP_UPDATES_DATA, TelegramBot, TelegramCourier};
use serde_json::json;
use teloxide::Bot;

const TELEGRAM_ORGANISER: u64 = 1000;
const DISCORD_ORGANISER: u64 = 555_000_000_000_000_099;
const SIGNER: u64 = 555_000_000_000_000_001;

async fn opted_in(app: &TestApp, who: &petition::domain::Identity) -> bool {
    let signature = app.storage.signature_of(&app.campaign(), who).await.unwrap();
    signature.expect("signed").updates_opt_in
}

#[on_both_databases]
async fn on_telegram_a_signer_asks_for_updates_receives_one_and_stops_them_with_its_button(app: TestApp) {
    let fake = FakeTelegram::start().await;
    let bot = TelegramBot::spawn(
        Bot::new(fake_telegram::TOKEN).set_api_url(fake.url.clone()),
        app.engine.clone(),
        &[TELEGRAM_ORGANISER as i64],
        Delivery::LongPolling,
    )
    .await
    .unwrap();
    let courier = TelegramCourier::new(
        Bot::new(fake_telegram::TOKEN).set_api_url(fake.url.clone()),
        app.engine.pace(petition::domain::Platform::Telegram).unwrap().clone(),
        30,
        false,
        Language::English,
    );
    let (sender, stop) = Sender::new(app.engine.clone(), Arc::new(courier));
    let sending = tokio::spawn(sender.run());

    let user = 42;
    let welcome = fake.say(user, "/start").await;
    fake.press(user, &welcome, "welcome.sign").await;
    fake.say(user, "Ada Lovelace").await;
    fake.say(user, "ada@example.org").await;
    let consent = fake.say(user, "SW1A 1AA").await;
    let updates = fake.press(user, &consent, "consent.yes").await;
    assert!(updates.text.contains("here, in this Telegram chat"), "{}", updates.text);
    let review = fake.press(user, &updates, "updates.yes").await;
    assert!(review.text.contains("Updates: yes"), "{}", review.text);
    fake.press(user, &review, "review.confirm").await;
    assert!(opted_in(&app, &support::telegram(user)).await);

    let organiser = TELEGRAM_ORGANISER;
    let asked = fake.say(organiser, "/update").await;
    assert!(asked.text.starts_with("Write the update"), "{}", asked.text);
    let preview = fake
        .say(organiser, "We hand the petition in on Monday.\nCome along!")
        .await;
    assert!(
        preview.text.contains("It will reach 1 signer (1 on Telegram)"),
        "{}",
        preview.text
    );
    let queued = fake.press(organiser, &preview, "send-update.yes").await;
    assert!(
        queued.text.starts_with("Update #1 is on its way to 1 signer"),
        "{}",
        queued.text
    );

    let update = loop {
        let shown = fake.next_reply(user as i64).await;
        if shown.text.starts_with("Update from") {
            break shown;
        }
    };
    assert!(
        update.text.contains("We hand the petition in on Monday.\nCome along!"),
        "{}",
        update.text
    );
    assert!(update.text.contains("Send stop to stop them."), "{}", update.text);
    let stopped = fake.press(user, &update, STOP_UPDATES_DATA).await;
    assert!(
        stopped.text.starts_with("Done: you will get no more updates"),
        "{}",
        stopped.text
    );
    assert!(!opted_in(&app, &support::telegram(user)).await);
    let again = fake.say(user, "updates on").await;
    assert!(again.text.starts_with("You will get updates"), "{}", again.text);
    assert!(opted_in(&app, &support::telegram(user)).await);

    stop.stop();
    sending.await.unwrap();
    bot.stop().await;
}

async fn discord_press(fake: &FakeDiscord, user: u64, roles: &[u64], on: &Shown, id: &str) -> Shown {
    let token = fake.press(user, roles, on, id);
    fake.next_shown(&token).await
}

#[on_both_databases]
async fn on_discord_a_signer_asks_for_updates_receives_one_by_dm_and_stops_them_with_a_word(app: TestApp) {
    let app = app
        .restart_with(|settings| settings.organisers.discord_users = vec![DISCORD_ORGANISER])
        .await;
    let fake = FakeDiscord::start().await;
    let settings = petition::config::DiscordSettings {
        token: petition::config::Secret::new(fake_discord::TOKEN),
        guilds: vec![fake_discord::GUILD_ID],
        api_url: fake.api_url.clone(),
        gateway_url: fake.gateway_url.clone(),
        updates_per_second: 10,
    };
    let identified = fake.identifies();
    let bot = DiscordBot::spawn(&settings, app.engine.clone(), DEFER_AFTER)
        .await
        .unwrap();
    fake.wait_for_identify(identified + 1).await;
    fake.wait_for_commands().await;
    let rest =
        petition::discord::rest::DiscordRest::new(&fake.api_url, petition::config::Secret::new(fake_discord::TOKEN))
            .unwrap();
    let (sender, stop) = Sender::new(app.engine.clone(), Arc::new(DiscordCourier::new(rest, 10)));
    let sending = tokio::spawn(sender.run());

    let token = fake.slash_command(SIGNER, &[], "sign", json!([]));
    fake.next_shown(&token).await;
    let token = fake.submit_form(
        SIGNER,
        "signing-form",
        &[
            ("name", "Ada Lovelace"),
            ("email", "ada@example.org"),
            ("location", "SW1A 1AA"),
        ],
    );
    let consent = fake.next_shown(&token).await;
    let updates = discord_press(&fake, SIGNER, &[], &consent, "c:consent.yes").await;
    assert!(
        updates.content.contains("as a Discord direct message"),
        "{}",
        updates.content
    );
    let review = discord_press(&fake, SIGNER, &[], &updates, "c:updates.yes").await;
    discord_press(&fake, SIGNER, &[], &review, "c:review.confirm").await;
    let signer = petition::domain::Identity::new(petition::domain::Platform::Discord, SIGNER.to_string());
    assert!(opted_in(&app, &signer).await);

    // The organiser writes the update in a box of its own.
    let token = fake.slash_command(DISCORD_ORGANISER, &[], "update", json!([]));
    let modal = fake.next_shown(&token).await;
    let (modal_id, _, inputs) = modal.modal.clone().expect("/update opens a box to write in");
    assert_eq!((modal_id.as_str(), inputs.len()), ("update-form", 1));
    let token = fake.submit_form(
        DISCORD_ORGANISER,
        "update-form",
        &[("update-text", "We hand the petition in on Monday.\nCome along!")],
    );
    let preview = fake.next_shown(&token).await;
    assert!(preview.ephemeral, "only the organiser sees the preview");
    assert!(
        preview.content.contains("It will reach 1 signer (1 on Discord)"),
        "{}",
        preview.content
    );
    let queued = discord_press(&fake, DISCORD_ORGANISER, &[], &preview, "c:send-update.yes").await;
    assert!(
        queued.content.starts_with("Update #1 is on its way"),
        "{}",
        queued.content
    );

    let dm = fake.next_shown(&format!("dm:{SIGNER}")).await;
    assert!(
        dm.content.contains("We hand the petition in on Monday.\nCome along!"),
        "{}",
        dm.content
    );
    fake.direct_message(SIGNER, "stop");
    let stopped = fake.next_shown(&format!("dm:{SIGNER}")).await;
    assert!(
        stopped.content.starts_with("Done: you will get no more updates"),
        "{}",
        stopped.content
    );
    assert!(!opted_in(&app, &signer).await);
    let progress = fake.next_shown(&format!("dm:{DISCORD_ORGANISER}")).await;
    assert!(
        progress.content.starts_with("Sending update #1"),
        "{}",
        progress.content
    );

    stop.stop();
    sending.await.unwrap();
    bot.stop().await;
}

#[on_both_databases]
async fn closing_is_announced_once_in_the_announcement_chat_and_to_signers_who_asked(app: TestApp) {
    let group: i64 = -100_777;
    let chat = petition::storage::AnnounceChat::new(petition::domain::Platform::Telegram, group);
    app.storage.start_milestones(&app.campaign(), &[chat]).await.unwrap();
    let fake = FakeTelegram::start().await;
    let courier = TelegramCourier::new(
        Bot::new(fake_telegram::TOKEN).set_api_url(fake.url.clone()),
        app.engine.pace(petition::domain::Platform::Telegram).unwrap().clone(),
        30,
        false,
        Language::English,
    );
    let (sender, stop) = Sender::new(app.engine.clone(), Arc::new(courier));
    let sending = tokio::spawn(sender.run());
    let signer = support::telegram(42);
    for answer in [
        "sign",
        "Ada Lovelace",
        "ada@example.org",
        "SW1A 1AA",
        "yes",
        "yes",
        "confirm",
    ] {
        app.say(&signer, answer).await;
    }
    let organiser = support::telegram(TELEGRAM_ORGANISER);
    app.say(&organiser, "close").await;
    let closed = support::text_of(&app.say(&organiser, "yes").await);
    assert!(closed.contains("is closed, with 1 signature"), "{closed}");
    assert!(support::text_of(&app.say(&organiser, "close").await).contains("already closed"));

    let announced = fake.next_reply(group).await;
    assert!(
        announced.text.contains("is now closed, with 1 signature"),
        "{}",
        announced.text
    );
    assert!(
        !announced.text.contains("Send stop"),
        "a chat is not told how to stop updates"
    );
    assert!(announced.buttons.is_empty());
    let update = fake.next_reply(42).await;
    assert!(
        update.text.contains("is now closed, with 1 signature"),
        "{}",
        update.text
    );
    assert!(update.text.contains("Send stop to stop them."), "{}", update.text);
    // The organiser's summary comes last; then nothing more in the group.
    fake.next_reply(TELEGRAM_ORGANISER as i64).await;
    stop.stop();
    sending.await.unwrap();
    let in_group = fake.outgoing(group);
    assert_eq!(in_group.len(), 1, "announced once: {in_group:#?}");
}
