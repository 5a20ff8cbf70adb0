//! The integration tests, one binary with a module per capability: each
//! test binary links the whole crate, so one binary builds once and takes
//! a fraction of the disk that one per capability took.
//!
//! A test whose body should run on both databases takes a
//! `support::TestApp` and carries `#[on_both_databases]`, which makes it
//! `NAME::sqlite` and `NAME::postgres`: `cargo test --test it storage::`
//! runs one capability, `cargo test --test it postgres` one database.

mod support;

mod abuse;
mod bench;
mod breakdowns;
mod browser;
mod cli;
mod delivery;
mod discord;
mod durability;
mod erasure;
mod forms;
mod health;
mod lifecycle;
mod mail;
mod metrics;
mod milestones;
mod mini_app;
mod organisers;
mod outbox_processes;
mod outbox_storage;
mod processes;
mod shutdown;
mod signing;
mod startup;
mod storage;
mod surge;
mod telegram;
mod updates;
mod updates_in_chat;
mod web;
