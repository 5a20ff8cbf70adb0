//! Start-up on both databases: migrations on a fresh database, and the
//! guard that keeps every signature's consent version meaningful.

mod support;

use petition::startup::App;
use support::{TestApp, telegram};

on_both_databases!(
    changing_the_consent_wording_without_a_new_version_stops_start_up,
    a_new_consent_version_is_recorded_on_new_signatures,
);

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

async fn a_new_consent_version_is_recorded_on_new_signatures(app: TestApp) {
    let early = telegram(1);
    app.sign(&early, "Early Bird", "early@example.org", "SW1A 1AA").await;
    let app = app
        .restart_with(|settings| {
            let mut campaign = settings.campaigns.default_campaign().as_ref().clone();
            campaign.consent.wording.push_str(" And one more thing.");
            campaign.consent.version = 2;
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
    assert_eq!(version(early).await, 1);
    assert_eq!(version(late).await, 2);
}
