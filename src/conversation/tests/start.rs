//! Opening the bot, start links, and beginning to sign.

use super::*;
use crate::conversation::Step;

#[tokio::test]
async fn the_welcome_presents_the_campaign_with_its_total_and_three_choices() {
    let fixture = TestApp::sqlite().await;
    let campaign = &fixture.default_campaign();
    let welcome = fixture.start(&telegram(1), None).await;
    assert_eq!(
        welcome[0].text,
        format!(
            "{}\n\nA petition to the Commissioner of the Metropolitan Police and the Mayor of London:\n\n\"{}\"\n\n{}\n\nStarted by {}. 0 of 10,000 signatures (0% of the goal).",
            campaign.title, campaign.statement, campaign.summary, campaign.author
        )
    );
    assert_eq!(labels(&welcome), ["Sign the petition", "Read the article", "Privacy"]);
    assert!(
        fixture.conversation(&telegram(1)).await.is_none(),
        "a bare welcome is not saved"
    );
}

#[tokio::test]
async fn sign_asks_for_the_name_first() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    fixture.start(&who, None).await;
    let name = fixture.press(&who, "welcome.sign").await;
    assert_eq!(
        name[0].text,
        "What name should appear on the petition? Please type it as you'd like it shown."
    );
    assert_eq!(buttons(&name), ["name.cancel"]);
    assert_eq!(fixture.conversation(&who).await.unwrap().step, Step::Name);
}

#[tokio::test]
async fn a_start_link_with_a_share_code_credits_the_signer_who_shared_it() {
    let fixture = TestApp::sqlite().await;
    let thanks = fixture
        .sign(&telegram(1), "Ann Lee", "ann@example.org", "SE1 7PB")
        .await;
    let Some(crate::conversation::Link::Share { payload, code }) = &thanks[0].link else {
        panic!("a share link");
    };
    let friend = telegram(2);
    fixture.start(&friend, Some(payload)).await;
    assert_eq!(
        fixture.conversation(&friend).await.unwrap().referral.as_deref(),
        Some(code.as_str())
    );
    fixture.sign(&friend, "Bo Lee", "bo@example.org", "N1 9GU").await;
    let stats = fixture
        .storage
        .stats(
            &fixture.default_campaign().slug,
            start_of_test().date_naive(),
            start_of_test().date_naive(),
        )
        .await
        .unwrap();
    assert_eq!(
        stats.top_referral_codes,
        vec![crate::storage::Tally::new(code.as_str(), 1)]
    );
}

#[tokio::test]
async fn a_start_link_that_names_nothing_configured_is_ignored() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    for payload in ["no-such-campaign", "keep-the-unit-open__not-a-code", "<script>"] {
        let welcome = fixture.start(&who, Some(payload)).await;
        assert!(
            welcome[0].text.starts_with(&fixture.default_campaign().title),
            "{payload}"
        );
        assert!(
            fixture.conversation(&who).await.is_none(),
            "{payload}: nothing to remember"
        );
    }
}

#[tokio::test]
async fn starting_again_part_way_keeps_the_answers_and_offers_to_continue_where_they_were() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    for answer in ["sign", "Ann Lee", "ann@example.org"] {
        fixture.say(&who, answer).await;
    }
    let welcome = fixture.start(&who, None).await;
    assert!(welcome[0].text.ends_with(
        "\n\nYou were part-way through signing, and your answers so far are kept. Send sign to continue where you left off, or cancel to start again."
    ));
    assert_eq!(
        labels(&welcome),
        ["Continue where you left off", "Read the article", "Privacy"]
    );
    let resumed = fixture.press(&who, "welcome.sign").await;
    assert!(resumed[0].text.starts_with("What is your UK postcode?"));
}

#[tokio::test]
async fn the_welcome_for_someone_who_signed_says_so_and_offers_no_continuing() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    fixture.sign(&who, "Ann Lee", "ann@example.org", "SE1 7PB").await;
    let welcome = fixture.start(&who, None).await;
    assert!(
        welcome[0]
            .text
            .ends_with("\n\nYou signed this petition on 3 November 2026. Thank you!")
    );
    assert_eq!(labels(&welcome), ["Sign the petition", "Read the article", "Privacy"]);
}

#[tokio::test]
async fn sign_from_someone_who_signed_is_refused_as_already_signed() {
    let fixture = TestApp::sqlite().await;
    let who = telegram(1);
    fixture.sign(&who, "Ann Lee", "ann@example.org", "SE1 7PB").await;
    let refused = fixture.say(&who, "sign").await;
    assert_eq!(
        refused[0].text,
        "You have already signed \"Keep the human trafficking unit open\", on 3 November 2026 on Telegram. Each person can sign once, so there is nothing more to do. Send mydata to see what we hold, or withdraw to remove your signature."
    );
    let form = fixture.submit(&who, "Ann Lee", "other@example.org", "N1").await;
    assert_eq!(form[0].text, refused[0].text, "a form is refused alike");
    assert_eq!(fixture.total().await, 1);
}
