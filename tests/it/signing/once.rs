//! One signature per person and per email address, and taking it back:
//! a second signing is refused without saying when or where the first was,
//! and a withdrawal erases the signature and uncounts it.

use super::*;

#[on_both_databases]
async fn the_same_identity_cannot_sign_twice(app: TestApp) {
    let who = telegram(11);
    app.sign(&who, "Ann Lee", "ann@example.org", "SE1 7PB").await;
    app.clock.advance(chrono::Duration::days(2));
    let again = text_of(&app.say(&who, "sign").await);
    assert!(again.contains("You have already signed"), "{again}");
    assert!(again.contains("3 November 2026"), "{again}");
    // Starting over and typing every answer anyway stores nothing.
    app.start(&who, None).await;
    let again = text_of(&app.say(&who, "sign").await);
    assert!(again.contains("already signed"), "{again}");
    for answer in ["Ann Lee", "other@example.org", "SE1 7PB", "yes", "no", "confirm"] {
        app.say(&who, answer).await;
    }
    assert_eq!(app.total().await, 1);
}

#[on_both_databases]
async fn the_same_email_from_another_account_is_refused_without_saying_when_or_where(app: TestApp) {
    let on_telegram = telegram(12);
    app.sign(&on_telegram, "Ann Lee", "ann.lee@gmail.com", "SE1 7PB").await;
    app.clock.advance(chrono::Duration::days(1));
    let on_discord = discord(12_345);
    let refused = text_of(
        &app.sign(&on_discord, "Someone Else", "AnnLee+discord@gmail.com", "N1 9GU")
            .await,
    );
    assert!(refused.contains("email address has already been used"), "{refused}");
    assert!(!refused.contains("3 November 2026"), "{refused}");
    assert!(!refused.contains("Telegram"), "{refused}");
    assert!(
        !refused.contains("Ann Lee"),
        "the other account's name is not revealed: {refused}"
    );
    assert!(!refused.contains("SE1"), "{refused}");
    assert_eq!(app.total().await, 1);
    assert!(
        app.storage
            .signature_of(&app.campaign(), &on_discord)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        app.conversation(&on_discord).await.is_none(),
        "the refused draft is discarded"
    );
}

#[on_both_databases]
async fn withdraw_erases_the_signature_and_decrements_the_total(app: TestApp) {
    let keeps = telegram(13);
    let leaves = telegram(14);
    app.sign(&keeps, "Kim Keep", "kim@example.org", "SE1 7PB").await;
    app.sign(&leaves, "Lee Leave", "lee@example.org", "N1 9GU").await;
    assert_eq!(app.total().await, 2);

    let ask = app.say(&leaves, "withdraw").await;
    assert!(text_of(&ask).contains("can't be undone"));
    assert_eq!(choice_data(&ask), ["withdraw.yes", "withdraw.no"]);
    assert_eq!(app.total().await, 2, "nothing happens before the confirmation");
    let done = text_of(&app.press(&leaves, "withdraw.yes").await);
    assert!(done.contains("have been deleted"), "{done}");
    assert!(done.contains("1 of 10,000"), "{done}");

    assert_eq!(app.total().await, 1);
    assert!(
        app.storage
            .signature_of(&app.campaign(), &leaves)
            .await
            .unwrap()
            .is_none()
    );
    let exported = app.storage.export(&app.campaign()).await.unwrap();
    assert_eq!(exported.len(), 1);
    assert_eq!(exported[0].name, "Kim Keep");
    let data = text_of(&app.say(&leaves, "mydata").await);
    assert!(data.contains("We hold nothing about you"), "{data}");
    // Their email is free again: they can sign anew later.
    app.sign(&leaves, "Lee Leave", "lee@example.org", "N1 9GU").await;
    assert_eq!(app.total().await, 2);
}

#[on_both_databases]
async fn declining_to_withdraw_keeps_the_signature(app: TestApp) {
    let who = telegram(15);
    app.sign(&who, "Ann Lee", "ann@example.org", "SE1 7PB").await;
    app.say(&who, "withdraw").await;
    let kept = text_of(&app.say(&who, "no").await);
    assert!(kept.contains("Your signature stays"), "{kept}");
    assert_eq!(app.total().await, 1);
    app.say(&who, "withdraw").await;
    app.say(&who, "cancel").await;
    assert_eq!(app.total().await, 1);
}

#[on_both_databases]
async fn a_stranger_typing_someone_elses_email_learns_neither_the_day_nor_the_platform(app: TestApp) {
    let owner = discord(26);
    app.sign(&owner, "Ann Lee", "ann@example.org", "SE1 7PB").await;
    app.clock.advance(chrono::Duration::days(3));
    let stranger = console("stranger");
    let refused = text_of(&app.sign(&stranger, "Nosy Parker", "ANN@example.org", "N1 9GU").await);
    assert!(refused.contains("email address has already been used"), "{refused}");
    for revealing in ["3 November", "November 2026", "2026", "Discord"] {
        assert!(!refused.contains(revealing), "{revealing:?} is revealed: {refused}");
    }
    assert_eq!(app.total().await, 1);
    let own = text_of(&app.say(&owner, "status").await);
    assert!(
        own.contains("3 November 2026 on Discord"),
        "the owner's account still sees its own signature: {own}"
    );
}
