//! What every response carries and every request passes: a limit per
//! address (governor), a small body, and headers that keep pages to this
//! server's own scripts and styles and out of other sites' frames (but
//! Telegram's, for the Mini App).

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::Web;
use crate::messages::WebMessage;

/// The largest request body accepted: a form's few fields and Telegram's
/// sign-in fit many times over.
pub(super) const BODY_LIMIT: usize = 16 * 1024;

/// Telegram's web clients, which open Mini Apps in a frame.
const TELEGRAM_FRAMES: &str = "https://web.telegram.org";

/// The pages' policy: everything from this server, nothing inline, nothing
/// from anywhere else.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                      connect-src 'self'; form-action 'self'; base-uri 'none'";

/// Requests per address.
pub(super) struct AddressLimits {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl AddressLimits {
    /// `burst` requests at once, then `per_second`.
    pub(super) fn new(burst: u32, per_second: u32) -> Self {
        let quota = Quota::per_second(NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN));
        Self {
            limiter: RateLimiter::keyed(quota),
        }
    }

    /// Whether `address` may make a request now; if not, the seconds to wait.
    fn check(&self, address: IpAddr) -> Result<(), u64> {
        self.limiter
            .check_key(&address)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()).as_secs().max(1))
    }

    /// Forgets addresses that have gone quiet, so memory stays bounded.
    pub(super) fn prune(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// Limits the request's address, then sets the response's headers.
pub(super) async fn guard(State(web): State<Arc<Web>>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let is_health = path == "/healthz" || path == "/readyz";
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip());
    let address = if web.settings.behind_proxy {
        forwarded_for(request.headers()).or(peer)
    } else {
        peer
    };
    if !is_health
        && let Some(address) = address
        && let Err(wait) = web.limits.check(address)
    {
        let mut response = web.error_page(StatusCode::TOO_MANY_REQUESTS, WebMessage::TooManyRequests);
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        return with_headers(response, false);
    }
    let too_large = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|length| length.to_str().ok()?.parse::<usize>().ok())
        .is_some_and(|length| length > BODY_LIMIT);
    if too_large {
        return with_headers(
            web.error_page(StatusCode::PAYLOAD_TOO_LARGE, WebMessage::TooLarge),
            false,
        );
    }
    // A body without a length (chunked) is cut off at the limit where it is
    // read (see `read_body`).
    let in_telegram = path.ends_with("/app") || path.contains("/app/");
    with_headers(next.run(request).await, in_telegram)
}

/// The address our proxy appended to `X-Forwarded-For`: the last one
/// (anything before it came from the client and may be made up).
fn forwarded_for(headers: &axum::http::HeaderMap) -> Option<IpAddr> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .next_back()
        .and_then(|address| address.trim().parse().ok())
}

fn with_headers(mut response: Response, framed_by_telegram: bool) -> Response {
    let headers = response.headers_mut();
    let frames = if framed_by_telegram {
        format!("{POLICY}; frame-ancestors {TELEGRAM_FRAMES}")
    } else {
        format!("{POLICY}; frame-ancestors 'none'")
    };
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_str(&frames).expect("a valid header"),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000"),
    );
    if !framed_by_telegram {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    );
    response
}

/// A request's body, read up to [`BODY_LIMIT`] within the HTTP servers'
/// time for a body; past the limit 413, past the time 408.
pub(super) async fn read_body(web: &Web, body: Body) -> Result<Bytes, Response> {
    crate::http::read_body(body, BODY_LIMIT).await.map_err(|status| {
        let said = if status == StatusCode::REQUEST_TIMEOUT {
            WebMessage::TooSlow
        } else {
            WebMessage::TooLarge
        };
        with_headers(web.error_page(status, said), false)
    })
}
