//! The test kit: doubles of the platforms and the databases tests run on,
//! in one place for the integration tests and `petition bench`. Compiled
//! only with the `test-kit` feature, which the tests turn on, so a release
//! build carries none of it.
//!
//! - [`fake_telegram`]: a fake Telegram Bot API server on loopback.
//! - [`fake_discord`]: a fake Discord gateway and REST API on loopback.
//! - [`database`]: a fresh database for one test or run (a SQLite file, or
//!   a database of its own on a PostgreSQL server), removed afterwards;
//!   and whether PostgreSQL must be there.
//! - [`web`]: the real web server on a loopback port, and the `initData`
//!   Telegram would hand a Mini App.
//!
//! Test code: it panics when the bot does not do what a test waits for, or
//! a database cannot be made.

pub mod database;
pub mod fake_discord;
pub mod fake_telegram;
pub mod web;

pub use database::{Backend, TestDatabase};
