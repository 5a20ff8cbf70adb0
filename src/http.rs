//! Every HTTP server the process runs (the public pages and the Mini App,
//! `/metrics`, Telegram's webhook) is served one way, which a client that
//! holds connections open cannot take down:
//!
//! - a request's headers must arrive within [`HEADER_READ_TIMEOUT`], or the
//!   connection is closed (hyper answers nothing: nothing has been asked);
//! - a body must arrive within [`BODY_READ_TIMEOUT`] (see [`read_body`]);
//! - one address holds at most [`CONNECTIONS_PER_ADDRESS`] connections and
//!   everyone together at most [`CONNECTIONS_IN_ALL`], or fewer when the
//!   process may open fewer files: a connection past either is closed at
//!   once, so the process never runs out of file descriptors;
//! - the soft limit on open files is raised to the hard limit at start-up
//!   ([`raise_open_files_limit`]).
//!
//! A request hyper itself refuses as malformed (400), with a target or
//! headers too long (414, 431) is answered by hyper before any of our code
//! sees it, so those answers carry none of the security headers the
//! pages' do; they carry no content either.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tower_service::Service;
use tracing::warn;

/// How long a request's headers may take to arrive.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request's body may take to arrive.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections one address may hold at once, unless configured otherwise
/// (`web.connections_per_address`): a browser holds a handful, Telegram's
/// servers some dozens.
pub const CONNECTIONS_PER_ADDRESS: usize = 256;
/// Connections everyone may hold at once, at most.
pub const CONNECTIONS_IN_ALL: usize = 16_384;
/// File descriptors kept for everything but connections: the database,
/// the platforms' clients, logs.
const KEPT_FOR_THE_REST: u64 = 256;
/// How long to wait before accepting again when accepting failed (out of
/// file descriptors despite the caps: another part of the process).
const AFTER_AN_ACCEPT_ERROR: Duration = Duration::from_millis(50);

/// Raises the soft limit on open files to the hard limit, so the caps
/// above are what limits connections; returns the soft limit now.
pub fn raise_open_files_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct given.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 1024;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    limit.rlim_cur
}

/// The connections open now, per address and in all.
struct Connections {
    open: Mutex<Open>,
    most: usize,
    per_address: usize,
}

#[derive(Default)]
struct Open {
    per_address: HashMap<IpAddr, usize>,
    in_all: usize,
}

/// One connection's place, given back when it closes.
struct Held {
    connections: Arc<Connections>,
    address: IpAddr,
}

impl Connections {
    fn new(most: usize, per_address: usize) -> Arc<Self> {
        Arc::new(Self {
            open: Mutex::default(),
            most,
            per_address,
        })
    }

    /// A place for a connection from `address`, if within the caps.
    fn hold(self: &Arc<Self>, address: IpAddr) -> Option<Held> {
        let mut open = self.open.lock().expect("connections lock");
        let from_there = open.per_address.get(&address).copied().unwrap_or(0);
        if open.in_all >= self.most || from_there >= self.per_address {
            return None;
        }
        open.per_address.insert(address, from_there + 1);
        open.in_all += 1;
        Some(Held {
            connections: self.clone(),
            address,
        })
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut open = self.connections.open.lock().expect("connections lock");
        open.in_all -= 1;
        if let Some(count) = open.per_address.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                open.per_address.remove(&self.address);
            }
        }
    }
}

/// The most connections this process may hold: [`CONNECTIONS_IN_ALL`], or
/// fewer where the open-files limit is lower.
fn most_connections() -> usize {
    let files = raise_open_files_limit();
    let usable = files.saturating_sub(KEPT_FOR_THE_REST).max(16);
    usize::try_from(usable).unwrap_or(usize::MAX).min(CONNECTIONS_IN_ALL)
}

/// Serves `router` on `listener` until `shutdown` completes, then lets the
/// requests in hand finish (the caller bounds how long). Each request
/// carries its peer's address as `ConnectInfo<SocketAddr>`.
pub async fn serve(listener: TcpListener, router: Router, shutdown: impl Future<Output = ()> + Send + 'static) {
    serve_with(listener, router, CONNECTIONS_PER_ADDRESS, shutdown).await
}

/// [`serve`], with at most `per_address` connections from one address.
pub async fn serve_with(
    listener: TcpListener,
    router: Router,
    per_address: usize,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let connections = Connections::new(most_connections(), per_address.max(1));
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let mut serving = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
            Some(_) = serving.join_next(), if !serving.is_empty() => continue,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                warn!(%error, "could not accept a connection");
                tokio::time::sleep(AFTER_AN_ACCEPT_ERROR).await;
                continue;
            }
        };
        // Past a cap the connection is closed at once: dropped unread.
        let Some(held) = connections.hold(peer.ip()) else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        serving.spawn(serve_connection(stream, peer, router.clone(), held, stopping.clone()));
    }
    stop.send_replace(true);
    while serving.join_next().await.is_some() {}
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    router: Router,
    held: Held,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) {
    let service = hyper::service::service_fn(move |mut request: Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let mut router = router.clone();
        async move { router.call(request.map(Body::new)).await }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    let mut connection = std::pin::pin!(connection);
    let stop_asked = async move {
        let _ = stopping.wait_for(|stop| *stop).await;
    };
    tokio::select! {
        _ = connection.as_mut() => {}
        () = stop_asked => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
    drop(held);
}

/// A request's body, up to `limit` bytes and within [`BODY_READ_TIMEOUT`];
/// otherwise the answer to give: 413 or 408.
pub async fn read_body(body: Body, limit: usize) -> Result<Bytes, StatusCode> {
    match tokio::time::timeout(BODY_READ_TIMEOUT, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err(StatusCode::PAYLOAD_TOO_LARGE),
        Err(_) => Err(StatusCode::REQUEST_TIMEOUT),
    }
}

/// Reads a request's whole body (up to `limit`, within
/// [`BODY_READ_TIMEOUT`]) before the handlers see it: for routes whose
/// handlers read bodies themselves (Telegram's webhook).
pub async fn with_body_read(limit: usize, request: Request<Body>, next: axum::middleware::Next) -> Response {
    let (parts, body) = request.into_parts();
    match read_body(body, limit).await {
        Ok(bytes) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        Err(status) => status.into_response(),
    }
}
