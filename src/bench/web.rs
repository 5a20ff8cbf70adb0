//! The web server's figures: `web_signings_per_s` (1,024 clients at once
//! signing with the Mini App form over HTTP on loopback, each answered only
//! once its signature is durable), `web_signings_per_s_with_thanks` (the
//! same with each thank-you sent to the fake Telegram, as in production:
//! the answers do not wait for them, which go out in turn at Telegram's 30
//! a second),
//! `telegram_messages_per_signing_miniapp` (the bot's messages per such
//! signing), and `count_json_p99_us` (count.json over HTTP at a million
//! signatures while signings stream in).

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::signings::{StreamingSigners, seed, verify_stored};
use super::{p50_and_p99_micros, settings};
use crate::adapter::FollowUp;
use crate::config::WebSettings;
use crate::domain::Platform;
use crate::messages::Language;
use crate::startup::App;
use crate::telegram::ThanksInChat;
use crate::test_kit::fake_telegram::{BOT_USERNAME, FakeTelegram, TOKEN};
use crate::test_kit::web::WebServer;

/// Clients signing at once.
const CLIENTS: usize = 1_024;

/// The figures of one run.
pub(super) struct WebFigures {
    pub(super) signings_per_s: f64,
    pub(super) messages_per_signing: f64,
}

pub(super) fn web_settings() -> WebSettings {
    WebSettings {
        public_url: "https://petition.example.org".to_owned(),
        // Every bench client comes from 127.0.0.1.
        requests_burst: u32::MAX,
        requests_per_second: u32::MAX,
        connections_per_address: 2 * CLIENTS,
        ..WebSettings::default()
    }
}

/// `count` signings through the Mini App's two requests; with `thanks`,
/// each thank-you also goes to the fake Telegram (whose server then shares
/// the two cores with everything else).
pub(super) async fn signings(url: &str, count: usize, thanks: bool) -> anyhow::Result<WebFigures> {
    let app = App::build(settings(url)).await?;
    let engine = app.engine.clone();
    let fake = FakeTelegram::start().await;
    let bot = teloxide::Bot::new(TOKEN).set_api_url(fake.url.clone());
    let pace = engine.pace(Platform::Telegram).expect("Telegram has a pace").clone();
    let follow_up: Arc<dyn FollowUp> =
        Arc::new(ThanksInChat::new(bot, pace, BOT_USERNAME.to_owned(), Language::English));
    let server = WebServer::start(engine.clone(), web_settings(), thanks.then_some(follow_up)).await;
    let slug = engine.campaigns().default_campaign().slug.clone();
    let address = server.url.trim_start_matches("http://").to_owned();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (next, address, slug) = (next.clone(), address.clone(), slug.clone());
            let now = engine.clock().now();
            tokio::spawn(async move {
                let mut client = Client::connect(&address).await?;
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= count {
                        return Ok::<_, anyhow::Error>(());
                    }
                    sign_in_the_form(&mut client, &slug, n, now).await?;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await??;
    }
    let elapsed = started.elapsed();
    verify_stored(engine.storage().as_ref(), &engine, count).await?;
    // The thank-yous go out after each answer, in turn at Telegram's
    // pace; wait for the last of them.
    let at_the_pace = Duration::from_secs_f64(count as f64 / f64::from(crate::config::TELEGRAM_PER_SECOND));
    let deadline = Instant::now() + at_the_pace + Duration::from_secs(30);
    while thanks && fake.count_of("sendMessage") < count && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let messages = fake.count_of("sendMessage") + fake.count_of("editMessageText");
    server.stop().await;
    engine.storage().close().await;
    Ok(WebFigures {
        signings_per_s: count as f64 / elapsed.as_secs_f64(),
        messages_per_signing: messages as f64 / count as f64,
    })
}

/// One supporter's form, review and confirm; fails unless thanked.
async fn sign_in_the_form(
    client: &mut Client,
    slug: &str,
    n: usize,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    let user = 1_000_000 + n as i64;
    let init_data = WebServer::init_data(user, now);
    let postcode = ["SW1A 1AA", "N1 9GU", "E1 6AN", "M1 1AE", "B33 8TH"][n % 5];
    let form = json!({ "init_data": init_data, "name": "Bench Signer", "email": format!("web{n}@example.org"),
                       "location": postcode, "consent": true, "consent_version": 2, "updates": false });
    let review: Step = client.post_json(&format!("/{slug}/app/form"), &form).await?;
    let Some(confirm) = review.confirm.filter(|_| review.step == "review") else {
        anyhow::bail!("supporter {n} was not shown the review: {}", review.step);
    };
    let choice = json!({ "init_data": init_data, "choice": confirm.data });
    let signed: Step = client.post_json(&format!("/{slug}/app/confirm"), &choice).await?;
    ensure!(
        signed.step == "signed",
        "supporter {n} was not thanked: {}",
        signed.step
    );
    Ok(())
}

/// The part of the Mini App's answer the benchmark reads.
#[derive(Deserialize)]
pub(super) struct Step {
    pub(super) step: String,
    pub(super) confirm: Option<Confirm>,
}

/// The review's confirming choice.
#[derive(Deserialize)]
pub(super) struct Confirm {
    pub(super) data: String,
}

/// One client's keep-alive HTTP/1.1 connection, as a load generator such as
/// wrk keeps one: a prepared request written at once, the answer read by its
/// `Content-Length`. With a general client in its place (reqwest: URL
/// parsing, a shared pool, header maps) the same server gave about two
/// thirds of the figure, the client taking the rest of the two cores; the
/// figure is meant to be the server's.
pub(super) struct Client {
    connection: BufReader<TcpStream>,
    host: String,
    request: Vec<u8>,
}

impl Client {
    pub(super) async fn connect(address: &str) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(address)
            .await
            .context("connecting to the web server")?;
        stream.set_nodelay(true)?;
        Ok(Self {
            connection: BufReader::new(stream),
            host: address.to_owned(),
            request: Vec::with_capacity(1024),
        })
    }

    /// POSTs `body` as JSON to `path`; the answer's JSON, whatever its status
    /// (the Mini App answers its refusals in JSON too).
    pub(super) async fn post_json<T: for<'de> Deserialize<'de>>(
        &mut self,
        path: &str,
        body: &Value,
    ) -> anyhow::Result<T> {
        let body = serde_json::to_vec(body)?;
        self.request.clear();
        write!(
            self.request,
            "POST {path} HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            self.host,
            body.len()
        )?;
        self.request.extend_from_slice(&body);
        self.connection.get_mut().write_all(&self.request).await?;
        let mut line = String::new();
        self.connection.read_line(&mut line).await?;
        ensure!(line.starts_with("HTTP/1.1 "), "not an HTTP answer: {line:?}");
        let mut length = None;
        loop {
            line.clear();
            self.connection.read_line(&mut line).await?;
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = Some(value.trim().parse::<usize>()?);
            }
        }
        let mut answer = vec![0; length.context("an answer without a Content-Length")?];
        self.connection.read_exact(&mut answer).await?;
        Ok(serde_json::from_slice(&answer)?)
    }
}

/// count.json latency percentiles over HTTP, in microseconds, with `stored`
/// signatures and signings streaming in.
pub(super) async fn count_json_latency(url: &str, stored: usize, samples: usize) -> anyhow::Result<(f64, f64)> {
    let app = App::build(settings(url)).await?;
    let engine = app.engine.clone();
    let storage = engine.storage().clone();
    seed(&storage, stored).await?;
    let server = WebServer::start(engine.clone(), web_settings(), None).await;
    let slug = engine.campaigns().default_campaign().slug.clone();
    let signers = StreamingSigners::start(&engine, stored);
    // The poller runs on a thread and runtime of its own, as a dashboard
    // polling from elsewhere would: the figure is the server's answer
    // while it serves the signings, not the poller waiting behind them.
    let url = format!("{}/{slug}/count.json", server.url);
    let timings = tokio::task::spawn_blocking(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("a runtime for the poller")?
            .block_on(poll_count_json(&url, stored as u64, samples))
    })
    .await
    .context("the poller panicked")??;
    signers.stop().await?;
    server.stop().await;
    engine.storage().close().await;
    Ok(p50_and_p99_micros(timings))
}

/// `samples` timed requests for count.json, one after another.
async fn poll_count_json(url: &str, stored: u64, samples: usize) -> anyhow::Result<Vec<Duration>> {
    let client = reqwest::Client::new();
    // The first request reads the counters; the figure is the steady state.
    client.get(url).send().await?.bytes().await?;
    let mut timings = Vec::with_capacity(samples);
    for _ in 0..samples {
        let started = Instant::now();
        let response = client.get(url).send().await?;
        ensure!(
            response.status().is_success(),
            "count.json answered {}",
            response.status()
        );
        let body = response.bytes().await?;
        timings.push(started.elapsed());
        let count: Value = serde_json::from_slice(&body)?;
        ensure!(
            count["signature_count"].as_u64().is_some_and(|total| total >= stored),
            "count.json went backwards: {}",
            count["signature_count"]
        );
    }
    Ok(timings)
}
