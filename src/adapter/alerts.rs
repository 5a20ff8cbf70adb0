//! Organisers' alerts, posted as they come to a chat or channel of theirs.

use async_trait::async_trait;
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::RecvError;
use tracing::warn;

use crate::conversation::Alert;
use crate::domain::Platform;

/// Where a platform posts organisers' alerts: a Telegram chat, a Discord
/// channel.
#[async_trait]
pub trait AlertPoster: Send + Sync {
    /// What a failed post is logged as: it must name no token, and alerts
    /// carry no personal data.
    type Error: std::fmt::Display + Send;

    /// The platform, named in log lines.
    fn platform(&self) -> Platform;

    /// Posts one alert's text.
    async fn post(&self, text: String) -> Result<(), Self::Error>;
}

/// Posts alerts through `poster` until the engine goes away. A failed post
/// is logged and the next alert is posted as usual.
pub async fn forward_alerts(poster: impl AlertPoster, mut alerts: Receiver<Alert>) {
    let platform = poster.platform().name();
    loop {
        match alerts.recv().await {
            Ok(alert) => {
                if let Err(error) = poster.post(alert.text).await {
                    warn!(%error, "could not post an alert to {platform}");
                }
            }
            Err(RecvError::Lagged(missed)) => {
                warn!(missed, "alerts were dropped before they could be posted to {platform}");
            }
            Err(RecvError::Closed) => return,
        }
    }
}
