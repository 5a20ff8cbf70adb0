//! The whole application run as `petition run` runs it, with the web
//! server and a Telegram bot against the fake Bot API: the bot offers the
//! Mini App (the welcome's button and the chat's menu button), a signing
//! in the form sends exactly one message to the chat, and the chat then
//! knows the person has signed. And the web server alone, with no bot.

use std::time::Duration;

use crate::support::fake_telegram::{FakeTelegram, TOKEN};
use crate::support::{TestDatabase, in_a_process_of_its_own, settings_for};
use petition::config::Secret;
use petition::startup::{App, Listeners};
use petition::test_kit::web::WebServer;
use serde_json::{Value, json};

const PUBLIC_URL: &str = "https://petition.example.org";

struct Running {
    url: String,
    metrics_url: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

async fn run(database: &TestDatabase, fake: Option<&FakeTelegram>) -> Running {
    let mut settings = settings_for(database);
    settings.web.listen = "127.0.0.1:0".to_owned();
    settings.web.public_url = PUBLIC_URL.to_owned();
    if let Some(fake) = fake {
        settings.telegram.token = Secret::new(TOKEN);
        settings.telegram.api_url = fake.url.to_string();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let metrics = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics_url = format!("http://{}/metrics", metrics.local_addr().unwrap());
    let app = App::build(settings).await.expect("the app builds");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let listeners = Listeners {
        web: Some(listener),
        metrics: Some(metrics),
    };
    let task = tokio::spawn(app.run_on(listeners, async {
        let _ = stopped.await;
    }));
    Running {
        url,
        metrics_url,
        stop,
        task,
    }
}

impl Running {
    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap().expect("the app stops cleanly");
    }
}

async fn post(url: &str, body: &Value) -> Value {
    let response = reqwest::Client::new().post(url).json(body).send().await.unwrap();
    response.json().await.unwrap()
}

// It reads /metrics, which every test in this binary writes to.
#[in_a_process_of_its_own]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signing_in_the_mini_app_costs_one_bot_message_and_the_chat_knows_it() {
    let database = TestDatabase::sqlite().unwrap();
    let fake = FakeTelegram::start().await;
    let running = run(&database, Some(&fake)).await;
    let form_url = format!("{PUBLIC_URL}/keep-the-unit-open/app");

    let menu = fake.wait_for_calls("setChatMenuButton", 1).await;
    assert_eq!(menu[0].body["menu_button"]["type"], "web_app");
    assert_eq!(menu[0].body["menu_button"]["web_app"]["url"], form_url);
    assert_eq!(menu[0].body["menu_button"]["text"], "Sign with the form");

    let user: u64 = 7_000_001;
    fake.user_says(user, "/start");
    let welcome = fake.next_reply(user as i64).await;
    assert_eq!(
        welcome.web_apps,
        vec![("Sign with the form".to_owned(), form_url.clone())]
    );
    assert!(
        welcome.buttons.iter().any(|(_, data)| data == "welcome.sign"),
        "the conversation stays"
    );
    let before = fake.count_of("sendMessage") + fake.count_of("editMessageText");

    let init_data = WebServer::init_data(user as i64, chrono::Utc::now());
    let review = post(
        &format!("{}/keep-the-unit-open/app/form", running.url),
        &json!({ "init_data": init_data, "name": "Ada Lovelace", "email": "ada@example.com",
                 "location": "SW1A 1AA", "consent": true, "consent_version": 2, "updates": false }),
    )
    .await;
    assert_eq!(review["step"], "review", "{review}");
    let signed = post(
        &format!("{}/keep-the-unit-open/app/confirm", running.url),
        &json!({ "init_data": init_data, "choice": review["confirm"]["data"] }),
    )
    .await;
    assert_eq!(signed["step"], "signed", "{signed}");

    let thanks = fake.next_reply(user as i64).await;
    assert!(thanks.text.contains("Thank you, Ada Lovelace!"), "{}", thanks.text);
    assert!(thanks.links.iter().any(|(label, _)| label == "Share the petition"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = fake.count_of("sendMessage") + fake.count_of("editMessageText");
    assert_eq!(after - before, 1, "one message to the chat for the whole signing");

    fake.user_says(user, "/start");
    let welcome = fake.next_reply(user as i64).await;
    assert!(welcome.text.contains("You signed this petition on"), "{}", welcome.text);
    assert!(welcome.web_apps.is_empty(), "no form for someone who has signed");

    // The process is ready (the database answers, the bot is connected),
    // and its metrics count the signing without naming anyone.
    let ready = reqwest::get(format!("{}/readyz", running.url)).await.unwrap();
    assert_eq!(ready.status(), reqwest::StatusCode::OK);
    let metrics = reqwest::get(&running.metrics_url).await.unwrap();
    assert_eq!(metrics.status(), reqwest::StatusCode::OK);
    assert!(
        metrics.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let metrics = metrics.text().await.unwrap();
    for name in [
        "petition_signatures_stored_total",
        "petition_messages_received_total",
        "petition_replies_total",
        "petition_answer_seconds",
        "petition_storage_commit_seconds",
        "petition_storage_batch_writes",
    ] {
        assert!(metrics.contains(name), "/metrics lacks {name}");
    }
    assert!(
        metrics.contains("input=\"form\""),
        "the Mini App's form is counted as a form"
    );
    for personal in ["Ada", "Lovelace", "ada@example.com", "SW1A", "7000001"] {
        assert!(!metrics.contains(personal), "/metrics shows {personal}");
    }
    let public = reqwest::get(format!("{}/metrics", running.url)).await.unwrap();
    assert_eq!(
        public.status(),
        reqwest::StatusCode::NOT_FOUND,
        "not on the public address"
    );

    // Groups keep their deep link, and are offered no form.
    fake.user_says_in_group(-100_123, user, "/sign");
    let group = fake.next_reply(-100_123).await;
    assert!(group.web_apps.is_empty());
    assert!(
        group
            .links
            .iter()
            .any(|(_, url)| url.contains("t.me/PetitionTestBot?start=")),
        "{:?}",
        group.links
    );

    // Telegram stops answering: the process is no longer ready, and says why.
    fake.rate_limit_next("getUpdates", 1_000, 30);
    fake.user_says(user, "total");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let not_ready = loop {
        let ready = reqwest::get(format!("{}/readyz", running.url)).await.unwrap();
        if ready.status() == reqwest::StatusCode::SERVICE_UNAVAILABLE {
            break ready.text().await.unwrap();
        }
        assert!(std::time::Instant::now() < deadline, "/readyz stayed ready");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(not_ready.contains("telegram"), "{not_ready}");
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_server_runs_without_any_bot_token() {
    let database = TestDatabase::sqlite().unwrap();
    let running = run(&database, None).await;
    let health = reqwest::get(format!("{}/healthz", running.url)).await.unwrap();
    assert_eq!(health.status(), reqwest::StatusCode::OK);
    let ready = reqwest::get(format!("{}/readyz", running.url)).await.unwrap();
    assert_eq!(ready.status(), reqwest::StatusCode::OK);
    let page = reqwest::get(format!("{}/keep-the-unit-open", running.url))
        .await
        .unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains("Keep the human trafficking unit open"));
    assert!(page.contains("Ask the campaign how to sign."), "no bot to link to");
    // Without a bot there is no sign-in to check: the form refuses.
    let refused = reqwest::Client::new()
        .post(format!("{}/keep-the-unit-open/app/form", running.url))
        .json(&json!({ "init_data": WebServer::init_data(1, chrono::Utc::now()) }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), reqwest::StatusCode::UNAUTHORIZED);
    running.stop().await;
}
