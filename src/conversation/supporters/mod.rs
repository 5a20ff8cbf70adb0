//! Supporters' jobs: the welcome and start links (`start.rs`), each
//! signing question and its answers (`signing.rs`, `details.rs` for all
//! three details in one message), what each question asks
//! (`questions.rs`), and the words that work at any step (`anytime.rs`).

pub(super) mod anytime;
pub(super) mod details;
pub(super) mod questions;
pub(super) mod signing;
pub(super) mod start;
