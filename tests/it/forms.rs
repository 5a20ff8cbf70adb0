//! Signing with a form (name, email and where you live at once), as the
//! Discord adapter does, through the engine on both databases.

use crate::support::on_both_databases;
use crate::support::{TestApp, discord, text_of};
use petition::conversation::{FormAnswers, Incoming, Input, Reply, Step};
use petition::domain::Identity;

fn answers(name: &str, email: &str, location: &str) -> FormAnswers {
    FormAnswers {
        name: name.into(),
        email: email.into(),
        location: location.into(),
        ..FormAnswers::default()
    }
}

async fn submit(app: &TestApp, who: &Identity, form: FormAnswers) -> Vec<Reply> {
    app.engine
        .handle(Incoming::private(who.clone(), Input::Form(form)))
        .await
}

#[on_both_databases]
async fn a_valid_form_goes_straight_to_consent_and_on_to_a_signature(app: TestApp) {
    let who = discord(1);
    let consent = submit(&app, &who, answers(" Ada  Lovelace", "Ada@Example.org", "sw1a 1aa")).await;
    assert!(text_of(&consent).contains("explicit consent"), "{}", text_of(&consent));
    assert!(consent[0].form.is_none(), "consent is a yes/no, not a form");
    app.press(&who, "consent.yes").await;
    let review = text_of(&app.press(&who, "updates.no").await);
    assert!(
        review.contains("Name: Ada Lovelace")
            && review.contains("Email: ada@example.org")
            && review.contains("Where: SW1A"),
        "{review}"
    );
    app.press(&who, "review.confirm").await;
    assert_eq!(app.total().await, 1);
}

#[on_both_databases]
async fn invalid_fields_are_explained_and_valid_ones_kept(app: TestApp) {
    let who = discord(2);
    let replies = submit(&app, &who, answers("A", "not-an-email", "SW1A 1AA")).await;
    let text = text_of(&replies);
    assert!(text.contains("Name: That name is too short"), "{text}");
    assert!(
        text.contains("Email: That doesn't look like an email address"),
        "{text}"
    );
    assert!(!text.contains("Where you live:"), "the postcode was fine: {text}");
    let form = replies[0].form.clone().expect("the form comes back");
    assert_eq!(form.name, "");
    assert_eq!(form.email, "");
    assert_eq!(form.location, "SW1A", "valid answers are kept");
    assert_eq!(app.conversation(&who).await.unwrap().step, Step::Name);

    let replies = submit(&app, &who, answers("Ada Lovelace", "ada@example.org", "London")).await;
    let text = text_of(&replies);
    assert!(
        text.contains("Where you live: that isn't a UK postcode or a country I recognise"),
        "{text}"
    );
    assert_eq!(replies[0].form.as_ref().unwrap().name, "Ada Lovelace");
    let replies = submit(&app, &who, answers("Ada Lovelace", "", "outside")).await;
    let text = text_of(&replies);
    assert!(text.contains("Email: an email address is needed"), "{text}");
    assert!(
        text.contains("Where you live: please type the name of the country"),
        "{text}"
    );
    assert_eq!(app.total().await, 0);
}

#[on_both_databases]
async fn text_questions_offer_the_form_with_the_answers_so_far(app: TestApp) {
    let who = discord(3);
    app.start(&who, None).await;
    let name = app.say(&who, "sign").await;
    assert_eq!(name[0].form.as_ref().map(|f| f.name.as_str()), Some(""));
    app.say(&who, "Ada Lovelace").await;
    let email = app.say(&who, "back").await;
    assert_eq!(email[0].form.as_ref().map(|f| f.name.as_str()), Some("Ada Lovelace"));
    assert_eq!(email[0].form.as_ref().map(|f| f.email_optional), Some(false));
}

#[on_both_databases]
async fn changing_at_the_review_offers_the_form_and_returns_to_the_review(app: TestApp) {
    let who = discord(4);
    submit(&app, &who, answers("Ada Lovelace", "ada@example.org", "SW1A 1AA")).await;
    app.press(&who, "consent.yes").await;
    app.press(&who, "updates.yes").await;
    let change = app.press(&who, "review.change").await;
    let form = change[0].form.clone().expect("changing offers the form");
    assert_eq!(
        (form.name.as_str(), form.email.as_str(), form.location.as_str()),
        ("Ada Lovelace", "ada@example.org", "SW1A")
    );
    let review = text_of(&submit(&app, &who, answers("Ada King", "ada@example.org", "SW1A")).await);
    assert!(
        review.contains("Please check your signature") && review.contains("Name: Ada King"),
        "{review}"
    );
    assert!(
        review.contains("Updates: yes"),
        "answers not changed are kept: {review}"
    );
}

#[on_both_databases]
async fn a_country_is_accepted_where_a_postcode_would_be(app: TestApp) {
    let who = discord(5);
    submit(&app, &who, answers("Marie Curie", "marie@example.fr", "france")).await;
    app.press(&who, "consent.yes").await;
    let review = text_of(&app.press(&who, "updates.no").await);
    assert!(review.contains("Where: France"), "{review}");
}

#[on_both_databases]
async fn someone_who_already_signed_is_told_so(app: TestApp) {
    let who = discord(6);
    app.sign(&who, "Ada Lovelace", "ada@example.org", "SW1A 1AA").await;
    let again = text_of(&submit(&app, &who, answers("Ada Lovelace", "other@example.org", "N1")).await);
    assert!(again.contains("You have already signed"), "{again}");
    assert_eq!(app.total().await, 1);
}
