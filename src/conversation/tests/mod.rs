//! The engine's rules one at a time, on the real storage (a fresh SQLite
//! file per test, built as the application builds it), with a clock the
//! tests move. One file per job, as the engine is laid out; whole
//! conversations run through the adapters, on SQLite and PostgreSQL, in
//! `tests/it/`.

mod anytime;
mod arrival;
mod dispatch;
mod group;
mod holds;
mod lifecycle;
mod milestones;
mod review;
mod signing;
mod start;
mod updates;

use std::sync::Arc;

use super::{Engine, Incoming, Input};
use crate::campaign::Campaign;
use crate::domain::{Identity, Platform};
// The fixtures are the test kit's, shared with the integration tests.
use crate::test_kit::TestApp;
use crate::test_kit::app::{
    choice_data as buttons, choice_labels as labels, discord, organiser, telegram, test_start as start_of_test,
    text_of as text,
};
