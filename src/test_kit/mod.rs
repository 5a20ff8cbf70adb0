//! The test kit: doubles of the platforms and the databases tests run on,
//! in one place for the engine's unit tests, the integration tests and
//! `petition bench`. Compiled
//! only with the `test-kit` feature, which the tests turn on, so a release
//! build carries none of it.
//!
//! - [`app`]: the real application on a fresh database with a clock the
//!   test moves, and helpers that talk to it as an adapter does: the
//!   fixtures of the engine's unit tests and of the integration tests.
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

pub mod app;
pub mod database;
pub mod fake_discord;
pub mod fake_telegram;
pub mod web;

pub use app::TestApp;
pub use database::{Backend, TestDatabase};
