//! The campaign page and the Mini App in a real browser: Debian's headless
//! Chromium, driven by Playwright (`tests/browser/drive.mjs`, installed by
//! `scripts/test` with `npm ci`), against the real web server and engine on a
//! fresh database. The script reports what it saw; this test asserts it,
//! and what the database then holds.
//!
//! Screenshots go to a temporary folder, or to `PETITION_SCREENSHOTS` if
//! set (the README's pictures in `docs/` were made so).

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{TestApp, telegram, text_of};
use petition::config::WebSettings;
use petition::test_kit::web::WebServer;
use serde_json::{Value, json};

const USER: i64 = 8_800_001;

fn driver_folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// Runs the driver; what it saw.
fn drive(config: &Value) -> Value {
    let folder = driver_folder();
    assert!(
        folder.join("node_modules/playwright-core").exists(),
        "the browser tests need `npm ci --prefix tests/browser` (and Debian's chromium): scripts/test does both"
    );
    assert!(
        Path::new("/usr/bin/chromium").exists(),
        "the browser tests need Debian's chromium package"
    );
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), config.to_string()).unwrap();
    let output = Command::new("node")
        .arg(folder.join("drive.mjs"))
        .arg(file.path())
        .output()
        .expect("node runs");
    assert!(
        output.status.success(),
        "the browser driver failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the driver prints what it saw as JSON")
}

fn assert_not_blank(seen: &Value, name: &str) {
    let shot = &seen[format!("screenshot_{name}")];
    assert!(shot["colours"].as_u64().unwrap() > 20, "{name} looks blank: {shot}");
    assert!(shot["ink"].as_f64().unwrap() > 0.02, "{name} looks blank: {shot}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_counts_live_and_the_mini_app_signs_in_a_real_browser() {
    let app = TestApp::spawn(support::Backend::Sqlite).await.unwrap();
    let web = WebServer::start(
        app.engine.clone(),
        WebSettings {
            public_url: "https://petition.example.org".to_owned(),
            ..WebSettings::default()
        },
        None,
    )
    .await;
    app.sign(&telegram(1), "Grace Hopper", "grace@example.com", "N1 9GU")
        .await;
    let screenshots = match std::env::var_os("PETITION_SCREENSHOTS") {
        Some(folder) => PathBuf::from(folder),
        None => tempfile::tempdir().unwrap().keep(),
    };
    let valid = WebServer::init_data(USER, app.clock_now());
    let forged = valid.replace(&USER.to_string(), "8800002");
    let expired = WebServer::init_data(8_800_003, app.clock_now() - chrono::Duration::hours(2));
    let seen = drive(&json!({
        "base": web.url,
        "slug": app.campaign(),
        "valid": valid,
        "forged": forged,
        "expired": expired,
        "screenshots": screenshots,
    }));

    // The page, without waiting for its script, and then kept up to date.
    assert_eq!(seen["page_title"], "Keep the human trafficking unit open");
    assert_eq!(seen["page_total_before"], "1");
    assert_eq!(seen["page_total_after"], "2", "{seen}");
    assert_eq!(seen["page_progress_after"], 2);

    // On a phone the way to sign is in the first screen, and the chart's
    // dates are text below it.
    let (top, screen) = (
        seen["phone_sign_top"].as_f64().unwrap(),
        seen["phone_screen"].as_f64().unwrap(),
    );
    assert!(top < screen, "the sign button is {top}px down a {screen}px screen");
    assert_eq!(seen["chart_text_in_drawing"], 0);
    assert_eq!(seen["chart_dates"], 2);

    // The engine's own message, beside its field; the other fields fine.
    assert_eq!(
        seen["email_error"],
        "Email: That doesn't look like an email address. Please type it like name@example.com."
    );
    assert!(
        seen["consent_error"].as_str().unwrap().contains("tick the box"),
        "{seen}"
    );
    assert_eq!(seen["name_error"], "");
    assert_eq!(seen["email_invalid"], "true");
    assert_eq!(seen["focused"], "email");
    assert_eq!(seen["theme_bg"], "#2481cc", "Telegram's theme colours are used");

    // Telegram's default theme puts white on #2481cc (4.1:1): every step
    // keeps WCAG AA's 4.5:1 all the same.
    for step in ["contrast_form", "contrast_review", "contrast_thanks"] {
        let lowest = seen[step].as_f64().unwrap();
        assert!(lowest >= 4.5, "{step}: {lowest}:1");
    }
    assert!(seen["review"].as_str().unwrap().contains("ada@example.com"), "{seen}");
    // The review is worded for a form: nothing is typed there.
    let review = seen["review"].as_str().unwrap();
    assert!(
        !review.contains("Send confirm") && review.contains("go back to the form"),
        "{review}"
    );
    assert_eq!(seen["confirm_label"], "Confirm and sign", "the engine's own button");
    assert!(
        seen["thanks"].as_str().unwrap().contains("Thank you, Ada Lovelace!"),
        "{seen}"
    );
    assert!(
        seen["share_link"]
            .as_str()
            .unwrap()
            .starts_with("https://t.me/PetitionTestBot?start=keep-the-unit-open__")
    );

    for refused in ["forged_refused", "expired_refused"] {
        assert!(
            seen[refused].as_str().unwrap().contains("open it from the bot"),
            "{refused}: {seen}"
        );
    }
    assert_eq!(seen["forged_form_visible"], false);
    assert_eq!(
        seen["tab_order"],
        json!(["name", "email", "location", "consent", "updates", "review-button"]),
        "the form is used by keyboard in reading order"
    );
    assert_eq!(seen["consent_ticked_by_keyboard"], true);
    assert_eq!(seen["without_sign_in_refused"], true);
    assert_eq!(
        seen["console_errors"],
        json!([]),
        "no script errors, no refused resources"
    );
    assert_eq!(
        seen["foreign_requests"],
        json!([]),
        "no page asks any other server for anything"
    );
    for name in ["campaign", "app-form", "app-review", "app-thanks", "app-refused"] {
        assert_not_blank(&seen, name);
    }

    // One signature, for that Telegram user, and none for the others.
    assert_eq!(app.total().await, 2);
    let signature = app
        .storage
        .signature_of(&app.campaign(), &telegram(USER as u64))
        .await
        .unwrap()
        .expect("signed as the Telegram user of the sign-in");
    assert_eq!(signature.name.as_str(), "Ada Lovelace");
    for other in [8_800_002, 8_800_003] {
        assert!(
            app.storage
                .signature_of(&app.campaign(), &telegram(other))
                .await
                .unwrap()
                .is_none()
        );
        assert!(app.conversation(&telegram(other)).await.is_none());
    }
    // The same person in the chat is told they have signed.
    let welcome = text_of(&app.say(&telegram(USER as u64), "sign").await);
    assert!(welcome.contains("already signed"), "{welcome}");
}
