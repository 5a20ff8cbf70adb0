//! Start-up on both databases: migrations on a fresh database, the guard
//! that keeps every signature's consent version meaningful, and the key of
//! the log pseudonyms.

use crate::support;

use crate::support::on_both_databases;
use crate::support::{TestApp, TestDatabase, telegram};
use petition::config::Secret;
use petition::startup::App;
use petition::storage::Storage;
use petition::telemetry::{PSEUDONYM_KEY_NAME, choose_pseudonym_key};

#[on_both_databases]
async fn changing_the_consent_wording_without_a_new_version_stops_start_up(app: TestApp) {
    let mut edited = app.settings.clone();
    let mut campaign = edited.campaigns.default_campaign().as_ref().clone();
    campaign.consent.wording.push_str(" And one more thing.");
    edited.campaigns.upsert(campaign);
    let refused = App::build(edited).await.err().expect("start-up is refused");
    let message = format!("{refused:#}");
    assert!(
        message.contains("campaigns.keep-the-unit-open.consent.version"),
        "{message}"
    );
}

#[on_both_databases]
async fn a_new_consent_version_is_recorded_on_new_signatures(app: TestApp) {
    let early = telegram(1);
    app.sign(&early, "Early Bird", "early@example.org", "SW1A 1AA").await;
    let app = app
        .restart_with(|settings| {
            let mut campaign = settings.campaigns.default_campaign().as_ref().clone();
            campaign.consent.wording.push_str(" And one more thing.");
            campaign.consent.version += 1;
            settings.campaigns.upsert(campaign);
        })
        .await;
    let late = telegram(2);
    let consent = support::text_of(&{
        app.start(&late, None).await;
        app.say(&late, "sign").await;
        app.say(&late, "Late Comer").await;
        app.say(&late, "late@example.org").await;
        app.say(&late, "N1 9GU").await
    });
    assert!(consent.contains("And one more thing."), "{consent}");
    app.say(&late, "yes").await;
    app.say(&late, "no").await;
    app.say(&late, "confirm").await;
    let version = |who| {
        let app = &app;
        async move {
            app.storage
                .signature_of(&app.campaign(), &who)
                .await
                .unwrap()
                .unwrap()
                .consent_version
        }
    };
    let shipped = app.settings.campaigns.default_campaign().consent.version - 1;
    assert_eq!(version(early).await, shipped);
    assert_eq!(version(late).await, shipped + 1);
}

/// The key an app on `storage` with these settings uses.
async fn key_of(settings: &petition::config::Settings, storage: &Storage) -> String {
    let key = choose_pseudonym_key(&settings.logging, storage).await.unwrap();
    key.expose().to_owned()
}

#[on_both_databases]
async fn the_generated_pseudonym_key_is_kept_in_the_database(app: TestApp) {
    let stored = app
        .storage
        .instance_secret(PSEUDONYM_KEY_NAME, "not the stored one")
        .await
        .unwrap();
    assert_ne!(stored, "not the stored one", "start-up stored a key");
    assert_eq!(stored.len(), 64, "32 random bytes in hex");
    assert!(stored.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(key_of(&app.settings, app.storage.as_ref()).await, stored);

    let second = App::build(app.settings.clone()).await.unwrap();
    assert_eq!(
        key_of(&second.settings, second.engine.storage().as_ref()).await,
        stored,
        "a second process on the database uses the same key"
    );
    drop(second);

    let app = app.restart().await;
    assert_eq!(
        key_of(&app.settings, app.storage.as_ref()).await,
        stored,
        "the key survives a restart"
    );
}

#[on_both_databases]
async fn processes_starting_together_agree_on_an_instance_secret(app: TestApp) {
    let attempts: Vec<_> = (0..16)
        .map(|i| {
            let storage = app.storage.clone();
            tokio::spawn(async move { storage.instance_secret("test_secret", &format!("fresh {i}")).await })
        })
        .collect();
    let mut values = Vec::new();
    for attempt in attempts {
        values.push(attempt.await.unwrap().unwrap());
    }
    assert!(values[0].starts_with("fresh "), "{values:?}");
    assert!(values.iter().all(|v| *v == values[0]), "{values:?}");
}

#[on_both_databases]
async fn a_configured_pseudonym_key_is_used_and_not_stored(app: TestApp) {
    let configured = "a configured key, longer than thirty-two characters";
    let database = TestDatabase::create(app.backend).await.unwrap();
    let mut settings = support::settings_for(&database);
    settings.logging.pseudonym_key = Secret::new(configured);
    let configured_app = App::build(settings.clone()).await.unwrap();
    let storage = configured_app.engine.storage();
    assert_eq!(key_of(&settings, storage.as_ref()).await, configured);
    assert_eq!(
        storage.instance_secret(PSEUDONYM_KEY_NAME, "unused").await.unwrap(),
        "unused",
        "no key was stored in the database"
    );

    // Configuring a key later takes precedence over the stored one.
    let app = app
        .restart_with(|settings| settings.logging.pseudonym_key = Secret::new(configured))
        .await;
    assert_eq!(key_of(&app.settings, app.storage.as_ref()).await, configured);
}
