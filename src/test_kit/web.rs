//! The real web server ([`crate::web::Web`]) on a loopback port of its own,
//! for tests and the benchmark, with Telegram's part played by the fake's
//! token: [`WebServer::init_data`] signs a sign-in as Telegram would.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::fake_telegram::{BOT_USERNAME, TOKEN};
use crate::adapter::FollowUp;
use crate::config::WebSettings;
use crate::conversation::Engine;
use crate::web::init_data::{InitDataCheck, init_data_for};
use crate::web::{TelegramSide, Web};

/// A running web server; stops when dropped.
pub struct WebServer {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub url: String,
    stop: tokio::sync::watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl WebServer {
    /// Serves `engine` with `settings`, signing Mini App users in with the
    /// fake Telegram's token; `follow_up` sends the thank-you to the chat.
    pub async fn start(engine: Arc<Engine>, settings: WebSettings, follow_up: Option<Arc<dyn FollowUp>>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        let web = Web::new(engine, settings.clone()).with_telegram(TelegramSide {
            check: InitDataCheck::new(TOKEN, settings.init_data_max_age_seconds),
            username: BOT_USERNAME.to_owned(),
            follow_up,
        });
        let (stop, mut stopping) = tokio::sync::watch::channel(false);
        let shutdown = async move {
            let _ = stopping.wait_for(|stop| *stop).await;
        };
        let task = tokio::spawn(Arc::new(web).serve(listener, shutdown));
        Self {
            url,
            stop,
            task: Some(task),
        }
    }

    /// The `initData` Telegram would hand the Mini App of Telegram user
    /// `id`, signed at `at`.
    pub fn init_data(id: i64, at: DateTime<Utc>) -> String {
        init_data_for(TOKEN, id, at)
    }

    /// Stops the server, letting requests in hand finish.
    pub async fn stop(mut self) {
        self.stop.send_replace(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for WebServer {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}
