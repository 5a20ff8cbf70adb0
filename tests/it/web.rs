//! The web server over HTTP on loopback: the campaign's page and
//! count.json (values, caching, small groups folded), the Mini App's
//! sign-in and signing through the engine, health, headers, body and rate
//! limits.

use crate::support;

use std::time::Duration;

use crate::support::on_both_databases;
use crate::support::{TestApp, telegram, text_of};
use petition::config::WebSettings;
use petition::domain::Platform;
use petition::test_kit::web::WebServer;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn settings() -> WebSettings {
    WebSettings {
        public_url: "https://petition.example.org".to_owned(),
        ..WebSettings::default()
    }
}

async fn get(url: &str) -> reqwest::Response {
    reqwest::get(url).await.expect("the server answers")
}

async fn get_json(url: &str) -> Value {
    let response = get(url).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("JSON")
}

async fn post(url: &str, body: &Value) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(url)
        .json(body)
        .send()
        .await
        .expect("the server answers");
    let status = response.status();
    (status, response.json().await.expect("a JSON answer"))
}

/// The snapshot behind count.json goes stale after a second; the next
/// request is served it and has it read again, for the requests after.
async fn let_the_count_refresh(web: &WebServer, slug: &str) {
    tokio::time::sleep(petition::web::counts::FRESH_FOR + Duration::from_millis(100)).await;
    get(&format!("{}/{slug}/count.json", web.url)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
}

#[on_both_databases]
async fn count_json_gives_the_counted_total_from_the_counters_with_caching_headers(app: TestApp) {
    let web = WebServer::start(app.engine.clone(), settings(), None).await;
    let slug = app.campaign();
    for (i, postcode) in ["SW1A 1AA", "SW1A 2BB", "E1 6AN"].iter().enumerate() {
        app.sign(
            &telegram(10 + i as u64),
            "Ada Lovelace",
            &format!("ada{i}@example.com"),
            postcode,
        )
        .await;
    }
    let url = format!("{}/{slug}/count.json", web.url);
    let response = get(&url).await;
    assert_eq!(response.status(), StatusCode::OK);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    assert_eq!(response.headers()["content-type"], "application/json");
    let count: Value = response.json().await.unwrap();
    assert_eq!(count["slug"], slug);
    assert_eq!(count["title"], "Keep the human trafficking unit open");
    assert_eq!(count["signature_count"], 3);
    assert_eq!(count["goal"], 10000);
    assert_eq!(count["state"], "open");
    assert!(count["updated_at"].is_string());
    assert!(count["milestones_reached"].is_array());

    // Unchanged counts: the validator matches, so nothing is sent again.
    let again = reqwest::Client::new()
        .get(&url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    app.sign(&telegram(20), "Grace Hopper", "grace@example.com", "N1 9GU")
        .await;
    let_the_count_refresh(&web, &slug).await;
    let changed = reqwest::Client::new()
        .get(&url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), etag);
    let count: Value = changed.json().await.unwrap();
    assert_eq!(count["signature_count"], 4);
    web.stop().await;
}

#[on_both_databases]
async fn small_districts_and_countries_are_folded_into_other(app: TestApp) {
    let web = WebServer::start(
        app.engine.clone(),
        WebSettings {
            public_min_count: 2,
            ..settings()
        },
        None,
    )
    .await;
    let places = ["SW1A 1AA", "SW1A 2AA", "E1 6AN"];
    for (i, place) in places.iter().enumerate() {
        app.sign(
            &telegram(30 + i as u64),
            "Ada Lovelace",
            &format!("a{i}@example.com"),
            place,
        )
        .await;
    }
    let abroad = telegram(39);
    for text in [
        "sign",
        "Marie Curie",
        "marie@example.com",
        "outside",
        "France",
        "yes",
        "no",
        "confirm",
    ] {
        app.say(&abroad, text).await;
    }
    assert_eq!(app.total().await, 4);
    let count = get_json(&format!("{}/{}/count.json", web.url, app.campaign())).await;
    assert_eq!(
        count["signatures_by_postcode_district"],
        json!([{ "name": "SW1A", "signature_count": 2 }, { "name": "other", "signature_count": 1 }])
    );
    assert_eq!(
        count["signatures_by_country"],
        json!([{ "name": "other", "signature_count": 1 }])
    );
    let body = serde_json::to_string(&count).unwrap();
    assert!(!body.contains("E1") && !body.contains("France"), "{body}");
}

#[on_both_databases]
async fn the_campaign_page_reads_without_scripts_and_previews_when_shared(app: TestApp) {
    let with_invite = WebSettings {
        discord_invite: "https://discord.gg/unit-open".to_owned(),
        ..settings()
    };
    let web = WebServer::start(app.engine.clone(), with_invite, None).await;
    app.sign(&telegram(40), "Ada Lovelace", "ada@example.com", "SW1A 1AA")
        .await;
    let response = get(&format!("{}/{}", web.url, app.campaign())).await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    let page = response.text().await.unwrap();
    assert!(page.starts_with("<!doctype html>\n<html lang=\"en-GB\">"), "{page}");
    for expected in [
        "<h1>Keep the human trafficking unit open</h1>",
        "To the Commissioner of the Metropolitan Police and the Mayor of London",
        "We call on the Commissioner",
        "<strong id=\"total\" aria-live=\"polite\">1</strong> signed",
        "of a goal of 10,000",
        "<progress id=\"progress\"",
        "<svg class=\"chart\"",
        "Signatures per day",
        "https://t.me/PetitionTestBot?start=keep-the-unit-open",
        "<a class=\"button\" href=\"https://discord.gg/unit-open\">",
        "property=\"og:title\" content=\"Keep the human trafficking unit open\"",
        "property=\"og:description\"",
        "1 signed so far.",
        "name=\"twitter:card\" content=\"summary\"",
        "property=\"og:url\" content=\"https://petition.example.org/keep-the-unit-open\"",
        "/keep-the-unit-open/count.json",
        "<script src=\"/static/page.js\" defer></script>",
    ] {
        assert!(page.contains(expected), "the page lacks {expected}");
    }
    // Every address on the page is this server's or a link to follow;
    // nothing is loaded from anywhere else.
    for loaded in ["src=\"http", "href=\"http://", "<link rel=\"stylesheet\" href=\"http"] {
        assert!(!page.contains(loaded), "the page loads {loaded}");
    }
    let policy = headers["content-security-policy"].to_str().unwrap();
    assert!(
        policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"),
        "{policy}"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");

    let app_page = get(&format!("{}/{}/app", web.url, app.campaign())).await;
    let policy = app_page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("frame-ancestors https://web.telegram.org"), "{policy}");
    assert!(app_page.headers().get("x-frame-options").is_none());
    let form = app_page.text().await.unwrap();
    assert!(
        form.contains("<input type=\"checkbox\" id=\"consent\" name=\"consent\""),
        "the consent box is unticked"
    );
    assert!(form.contains("wording version 2"));

    for asset in ["style.css", "page.js", "app.js"] {
        let response = get(&format!("{}/static/{asset}", web.url)).await;
        assert_eq!(response.status(), StatusCode::OK, "{asset}");
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    }
    assert_eq!(
        get(&format!("{}/no-such-campaign", web.url)).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[on_both_databases]
async fn the_list_shows_open_campaigns_only(app: TestApp) {
    let web = WebServer::start(app.engine.clone(), settings(), None).await;
    let list = get(&format!("{}/", web.url)).await.text().await.unwrap();
    assert!(list.contains("href=\"/keep-the-unit-open\""), "{list}");
    let campaign = app.engine.campaigns().default_campaign().clone();
    app.engine
        .close(&campaign, app.clock_now(), &telegram(1000))
        .await
        .unwrap();
    let list = get(&format!("{}/", web.url)).await.text().await.unwrap();
    assert!(!list.contains("href=\"/keep-the-unit-open\""), "{list}");
    assert!(list.contains("No petition is open"), "{list}");
    let_the_count_refresh(&web, "keep-the-unit-open").await;
    let page = get(&format!("{}/keep-the-unit-open", web.url))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("This petition closed on"), "{page}");
    assert!(
        !page.contains("t.me/PetitionTestBot"),
        "a closed petition offers no way to sign"
    );
}

#[on_both_databases]
async fn the_mini_app_signs_through_the_engine_with_its_problems_beside_the_fields(app: TestApp) {
    let web = WebServer::start(app.engine.clone(), settings(), None).await;
    let user = 5_550_001;
    let init_data = WebServer::init_data(user, app.clock_now());
    let form_url = format!("{}/{}/app/form", web.url, app.campaign());
    let (status, answer) = post(
        &form_url,
        &json!({ "init_data": init_data, "name": "Ada Lovelace", "email": "not an email",
                 "location": "SW1A 1AA", "consent": false, "consent_version": 2, "updates": true }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["step"], "form");
    let problems = answer["problems"].as_array().unwrap();
    let beside = |field: &str| {
        problems
            .iter()
            .find(|p| p["field"] == field)
            .map(|p| p["text"].as_str().unwrap().to_owned())
    };
    assert_eq!(
        beside("email").as_deref(),
        Some("Email: That doesn't look like an email address. Please type it like name@example.com.")
    );
    assert!(beside("consent").unwrap().contains("tick the box"));
    assert_eq!(beside("name"), None);
    assert_eq!(app.total().await, 0);

    let (status, answer) = post(
        &form_url,
        &json!({ "init_data": init_data, "name": "Ada Lovelace", "email": "ada@example.com",
                 "location": "SW1A 1AA", "consent": true, "consent_version": 2, "updates": true }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["step"], "review");
    assert!(answer["text"].as_str().unwrap().contains("ada@example.com"));
    let choice = answer["confirm"]["data"].as_str().unwrap().to_owned();
    assert_eq!(app.total().await, 0, "nothing is signed before the confirm");

    let (status, answer) = post(
        &format!("{}/{}/app/confirm", web.url, app.campaign()),
        &json!({ "init_data": init_data, "choice": choice }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["step"], "signed");
    assert_eq!(answer["total"], 1);
    assert!(answer["text"].as_str().unwrap().contains("Thank you, Ada Lovelace!"));
    assert_eq!(
        app.engine.replies().recent(Platform::Telegram),
        0,
        "the page's answers are not messages on Telegram, so broadcasts need not wait for them"
    );
    assert!(
        answer["share_url"]
            .as_str()
            .unwrap()
            .starts_with("https://t.me/PetitionTestBot?start=keep-the-unit-open__")
    );
    let signature = app
        .storage
        .signature_of(&app.campaign(), &telegram(user as u64))
        .await
        .unwrap()
        .expect("signed as that Telegram user");
    assert_eq!(signature.consent_version, 2);
    assert!(signature.updates_opt_in);
    assert_eq!(signature.consent_at, app.clock_now());
    assert_eq!(app.total().await, 1);

    // The same person in the chat, and in the form again: signed already.
    let welcome = text_of(&app.start(&telegram(user as u64), None).await);
    assert!(welcome.contains("You signed this petition on"), "{welcome}");
    let (_, again) = post(
        &form_url,
        &json!({ "init_data": init_data, "name": "Ada Lovelace", "email": "ada2@example.com",
                 "location": "SW1A 1AA", "consent": true, "consent_version": 2, "updates": false }),
    )
    .await;
    assert_eq!(again["step"], "message");
    assert!(again["text"].as_str().unwrap().contains("already signed"), "{again}");
    assert_eq!(app.total().await, 1);
}

#[on_both_databases]
async fn a_forged_or_stale_sign_in_is_refused_and_stores_nothing(app: TestApp) {
    let web = WebServer::start(app.engine.clone(), settings(), None).await;
    let form_url = format!("{}/{}/app/form", web.url, app.campaign());
    let user = 5_550_002;
    let fields = |init_data: &str| {
        json!({ "init_data": init_data, "name": "Ada Lovelace", "email": "ada@example.com",
                "location": "SW1A 1AA", "consent": true, "consent_version": 2, "updates": false })
    };
    let valid = WebServer::init_data(user, app.clock_now());
    let forged = valid.replace(&user.to_string(), "5550003");
    let other_bot = petition::web::init_data::init_data_for("1:another-bot", user, app.clock_now());
    let stale = WebServer::init_data(user, app.clock_now() - chrono::Duration::seconds(3601));
    for (what, init_data) in [
        ("forged", forged),
        ("another bot's", other_bot),
        ("stale", stale),
        ("missing", String::new()),
    ] {
        let (status, answer) = post(&form_url, &fields(&init_data)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}");
        assert_eq!(answer["step"], "refused", "{what}");
        assert!(
            answer["text"].as_str().unwrap().contains("open it from the bot"),
            "{what}"
        );
    }
    for id in [user, 5_550_003] {
        assert!(
            app.conversation(&telegram(id as u64)).await.is_none(),
            "nothing kept for {id}"
        );
    }
    assert_eq!(app.total().await, 0);
}

#[on_both_databases]
async fn readiness_follows_the_database(app: TestApp) {
    let web = WebServer::start(app.engine.clone(), settings(), None).await;
    assert_eq!(get(&format!("{}/healthz", web.url)).await.status(), StatusCode::OK);
    let ready = get(&format!("{}/readyz", web.url)).await;
    assert_eq!(ready.status(), StatusCode::OK);
    app.storage.close().await;
    let ready = get(&format!("{}/readyz", web.url)).await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(ready.text().await.unwrap().contains("database"));
    assert_eq!(get(&format!("{}/healthz", web.url)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_large_body_gets_413_and_an_address_past_its_limit_gets_429() {
    let app = TestApp::spawn(support::Backend::Sqlite).await.unwrap();
    let web = WebServer::start(
        app.engine.clone(),
        WebSettings {
            requests_burst: 5,
            requests_per_second: 1,
            ..settings()
        },
        None,
    )
    .await;
    let client = reqwest::Client::new();
    let form_url = format!("{}/{}/app/form", web.url, app.campaign());
    let large = json!({ "init_data": "x".repeat(20_000) });
    let response = client.post(&form_url).json(&large).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Without a length given up front, the body is cut off as it is read.
    assert_eq!(
        chunked_post(&web.url, &format!("/{}/app/form", app.campaign()), 40).await,
        413
    );
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(client.get(format!("{}/", web.url)).send().await.unwrap());
    }
    let limited = statuses.last().unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().contains_key("retry-after"));
    assert!(limited.headers().contains_key("content-security-policy"));
    assert_eq!(
        client
            .get(format!("{}/healthz", web.url))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(app.total().await, 0);
}

#[tokio::test]
async fn behind_a_proxy_each_client_address_has_its_own_limit() {
    let app = TestApp::spawn(support::Backend::Sqlite).await.unwrap();
    let web = WebServer::start(
        app.engine.clone(),
        WebSettings {
            requests_burst: 3,
            requests_per_second: 1,
            behind_proxy: true,
            ..settings()
        },
        None,
    )
    .await;
    let client = reqwest::Client::new();
    let from = |address: &'static str| {
        client
            .get(format!("{}/", web.url))
            // What a client claims comes first; the proxy appends the truth.
            .header("x-forwarded-for", format!("203.0.113.99, {address}"))
            .send()
    };
    for _ in 0..3 {
        assert_eq!(from("198.51.100.1").await.unwrap().status(), StatusCode::OK);
    }
    assert_eq!(
        from("198.51.100.1").await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        from("198.51.100.2").await.unwrap().status(),
        StatusCode::OK,
        "another client behind the same proxy is not held back"
    );
}

/// Posts `kib` KiB of spaces in chunks, without a length; the status.
async fn chunked_post(base: &str, path: &str, kib: usize) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    for _ in 0..kib {
        // The server may answer and close before the last chunk.
        if stream.write_all(b"400\r\n").await.is_err() || stream.write_all(&[b' '; 1024]).await.is_err() {
            break;
        }
        if stream.write_all(b"\r\n").await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = vec![0; 64];
    let read = stream.read(&mut answer).await.unwrap();
    let status_line = String::from_utf8_lossy(&answer[..read]).into_owned();
    status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

#[on_both_databases]
async fn after_a_quiet_spell_count_json_is_never_older_than_a_second(app: TestApp) {
    let web = WebServer::start(app.engine.clone(), settings(), None).await;
    let url = format!("{}/{}/count.json", web.url, app.campaign());
    assert_eq!(get_json(&url).await["signature_count"], 0);
    app.sign(&telegram(30), "Ada Lovelace", "ada@example.com", "SW1A 1AA")
        .await;
    // Nobody asks for a while; the first to ask again gets today's count,
    // not the reading from before the quiet spell.
    tokio::time::sleep(petition::web::counts::FRESH_FOR + Duration::from_millis(200)).await;
    assert_eq!(get_json(&url).await["signature_count"], 1);
    web.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_fails_naming_storage_once_the_database_file_is_gone() {
    let app = TestApp::spawn(support::Backend::Sqlite)
        .await
        .expect("SQLite is always there");
    let web = WebServer::start(app.engine.clone(), settings(), None).await;
    assert_eq!(get(&format!("{}/readyz", web.url)).await.status(), StatusCode::OK);
    let path = app.database.url.trim_start_matches("sqlite://").to_owned();
    std::fs::remove_file(&path).unwrap();
    // Reads still work from the file this process has open; writes do not.
    let ready = get(&format!("{}/readyz", web.url)).await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(ready.text().await.unwrap().contains("storage"));
    let apology = text_of(&app.say(&telegram(40), "sign").await);
    assert!(apology.contains("Sorry"), "writes are refused meanwhile: {apology}");
    web.stop().await;
}

/// A free loopback address, for a process of the test's own to listen on.
fn free_address() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// Whether the server has closed a connection (or never kept it): an end
/// of file or a reset, rather than nothing to read yet.
fn closed_by_the_server(connection: &std::net::TcpStream) -> bool {
    use std::io::Read;
    connection.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let mut reader = connection;
    match reader.read(&mut [0u8; 256]) {
        // An end of file, or an answer before the close: either way the
        // server is done with it.
        Ok(_read) => true,
        Err(error) => !matches!(
            error.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_half_open_connections_from_one_address_keep_nobody_else_out() {
    // The test's own connections need more files than the server will have.
    petition::http::raise_open_files_limit();
    let folder = tempfile::tempdir().unwrap();
    let address = free_address();
    // The real server, under a limit of 1,024 open files it cannot raise.
    let binary = support::petition_binary(folder.path());
    let mut command = std::process::Command::new("prlimit");
    command.arg("--nofile=1024:1024").arg(binary.get_program()).arg("run");
    for (key, value) in binary.get_envs() {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    let mut server = command
        .env("PETITION_WEB__LISTEN", address.to_string())
        .current_dir(folder.path())
        .spawn()
        .expect("the server starts");
    // Another client, from another address (all of 127/8 is loopback).
    let other = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap();
    let count_url = format!("http://{address}/keep-the-unit-open/count.json");
    let mut up = false;
    for _ in 0..100 {
        if other.get(&count_url).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "the server answers");
    // 2,000 connections from 127.0.0.1 that never finish their headers.
    let mut half_open = Vec::new();
    for _ in 0..2_000 {
        if let Ok(mut connection) = std::net::TcpStream::connect(address) {
            use std::io::Write;
            let _ = connection.write_all(b"GET /healthz HTTP/1.1\r\nHost: slow\r\n");
            half_open.push(connection);
        }
    }
    assert!(
        half_open.len() > 1_024,
        "only {} connections were made",
        half_open.len()
    );
    let answer = other
        .get(&count_url)
        .send()
        .await
        .expect("another client is still answered");
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.json::<Value>().await.unwrap()["signature_count"], 0);
    // Headers that never end are not waited for for ever.
    tokio::time::sleep(petition::http::HEADER_READ_TIMEOUT + Duration::from_secs(3)).await;
    let still_open = half_open
        .iter()
        .filter(|connection| !closed_by_the_server(connection))
        .count();
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(still_open, 0, "connections the server still holds");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_sent_a_byte_at_a_time_is_cut_off() {
    let app = TestApp::spawn(support::Backend::Sqlite).await.unwrap();
    let web = WebServer::start(app.engine.clone(), settings(), None).await;
    let address = web.url.trim_start_matches("http://").to_owned();
    let path = format!("/{}/app/form", app.campaign());
    let answer = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut connection = std::net::TcpStream::connect(&address).unwrap();
        write!(
            connection,
            "POST {path} HTTP/1.1\r\nHost: slow\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
        )
        .unwrap();
        let mut writer = connection.try_clone().unwrap();
        std::thread::spawn(move || {
            for _ in 0..30 {
                if writer.write_all(b" ").is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_secs(2));
            }
        });
        connection.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut answer = [0u8; 64];
        let read = connection.read(&mut answer).unwrap_or(0);
        String::from_utf8_lossy(&answer[..read]).into_owned()
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    web.stop().await;
}

#[on_both_databases]
async fn the_campaign_page_is_made_once_per_count_and_validated_by_its_etag(app: TestApp) {
    let web = WebServer::start(app.engine.clone(), settings(), None).await;
    let url = format!("{}/{}", web.url, app.campaign());
    let first = get(&url).await;
    assert_eq!(first.status(), StatusCode::OK);
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    assert!(first.headers()["cache-control"].to_str().unwrap().contains("max-age"));
    let html = first.text().await.unwrap();
    let client = reqwest::Client::new();
    let again = client.get(&url).header("If-None-Match", &etag).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(
        again.headers().contains_key("content-security-policy"),
        "a 304 carries the headers too"
    );
    // A new signature makes a new page, with a new validator.
    app.sign(&telegram(50), "Ada Lovelace", "ada@example.com", "SW1A 1AA")
        .await;
    tokio::time::sleep(petition::web::counts::FRESH_FOR + Duration::from_millis(200)).await;
    let changed = client.get(&url).header("If-None-Match", &etag).send().await.unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), etag);
    assert_ne!(changed.text().await.unwrap(), html);
    web.stop().await;
}
