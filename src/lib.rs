//! A petition gatherer that lives inside chat.
//!
//! Supporters sign in a conversation with a bot; organisers ask the same bot
//! for totals, breakdowns and exports. One engine holds the conversation and
//! its rules; each platform is a thin adapter around it.
//!
//! # Layout
//!
//! - [`config`]: settings from `config/default.toml`, a `--config` file and
//!   the environment; secrets hidden from `Debug`.
//! - [`campaign`]: the campaigns: article, petition statement, goal, targets,
//!   consent wording, and each campaign's limit settings.
//! - [`domain`]: parse-only types for what supporters type (names, emails,
//!   postcodes, countries, share codes, platform identities) and the stored
//!   vocabulary of review (why a signature is held, what velocity counts).
//!
//! Dependencies run one way, down this list: domain, then settings and
//! campaigns, then storage, then the engine, then the adapters.
//! - [`conversation`]: the platform-neutral signing engine: a message in,
//!   saved state updated, replies out as data. Imports no bot framework and
//!   no database driver.
//! - [`messages`]: the catalogue of everything the bot says to people,
//!   keyed messages with arguments, one folder per language.
//! - [`storage`]: traits by who uses them (conversations, signatures,
//!   review, reports, the connection log, secrets, the outbox of updates;
//!   [`storage::Storage`] is
//!   all of them), implemented once over a small SQL dialect; `sqlite` and
//!   `postgres` keep only opening, the group-commit writer and the batched
//!   lookups.
//! - [`limits`]: rate limits (governor), the surge ceiling, and the rules that
//!   hold suspicious signatures for review.
//! - [`pace`]: one pace per bot for everything a platform rate-limits:
//!   its overall and per-chat limits, turns by priority (replies first),
//!   429s waited out.
//! - [`organiser`]: who organisers are, and totals, breakdowns and exports.
//! - [`delivery`]: the delivery pack, a PDF to print and hand over: cover
//!   letter, summary, numbered signatories and the digest of the list.
//! - [`outbox`]: sends updates to signers from the durable outbox in the
//!   database, at each platform's pace, once each, across restarts and
//!   processes; each adapter supplies a courier.
//! - [`adapter`]: what the chat adapters share, so neither borrows from the
//!   other: one handle type for a running bot (with a bounded stop), one
//!   forwarder of organisers' alerts, text split under a length limit.
//! - [`telegram`]: the Telegram adapter (teloxide): updates in, messages out.
//! - [`discord`]: the Discord adapter (serenity): slash commands, buttons, a
//!   signing form and DMs in, ephemeral replies and DMs out.
//! - [`dedup`]: remembers recent event ids so redelivered events are handled once.
//! - [`console`]: the terminal adapter: the same conversation at a prompt.
//! - [`startup`]: builds the application from settings and runs it.
//! - The command line (`src/cli/`, in the binary, not this library): one
//!   file per `petition` command, each going through the engine's services
//!   (`conversation/organisers/services.rs`: closing, reopening, anonymising, stats,
//!   export, the delivery pack, the recount), never around them.
//! - [`shutdown`]: deadlines for bots' stops, so a hung platform cannot hold one.
//! - [`clock`]: the time, replaceable in tests.
//! - `test_kit` (only with the `test-kit` feature, which the tests turn on):
//!   the application on a fresh SQLite or PostgreSQL database with a clock
//!   the test moves (the fixture of unit and integration tests alike),
//!   and fakes of the Telegram Bot API and of Discord's gateway and REST
//!   API on loopback, shared by the tests and the benchmark. Test doubles never ship in a release build.
//! - `bench` (likewise only with `test-kit`): `petition bench`, which
//!   measures signings per second, `total` latency, memory per conversation
//!   and Telegram throughput.
//! - [`metrics`]: counters and histograms for `GET /metrics`, in
//!   Prometheus's text format, whose labels are fixed words only.
//! - [`health`]: whether each configured bot is connected, for `/readyz`.
//! - [`http`]: every HTTP server the process runs, served one way that a
//!   client holding connections open cannot take down.
//! - [`telemetry`]: log set-up, and the keyed pseudonyms that stand for
//!   people in log lines, which never carry personal data.

pub mod adapter;
#[cfg(feature = "test-kit")]
pub mod bench;
pub mod campaign;
pub mod clock;
pub mod config;
pub mod console;
pub mod conversation;
pub mod dedup;
pub mod delivery;
pub mod discord;
pub mod domain;
pub mod health;
pub mod http;
pub mod limits;
pub mod mail;
pub mod messages;
pub mod metrics;
pub mod organiser;
pub mod outbox;
pub mod pace;
pub mod shutdown;
pub mod startup;
pub mod storage;
pub mod telegram;
pub mod telemetry;
#[cfg(feature = "test-kit")]
pub mod test_kit;
pub mod web;
