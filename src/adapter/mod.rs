//! What the chat adapters share, so that both platforms behave the same
//! and neither borrows from the other: the handle of a running bot
//! ([`BotHandle`]), the forwarder of organisers' alerts
//! ([`forward_alerts`], over a platform's [`AlertPoster`]), and text split
//! under a platform's length limit ([`split_text`]), and the progress
//! messages and milestone announcements ([`progress`]), and the message a
//! chat sends after a signing made elsewhere ([`FollowUp`]), and what a
//! platform's `start` hands back ([`Started`]).

mod alerts;
mod follow_up;
mod handle;
pub mod progress;
mod started;
mod text;

pub use alerts::{AlertPoster, forward_alerts};
pub use follow_up::FollowUp;
pub use handle::BotHandle;
pub use started::Started;
pub use text::split_text;
