//! Test doubles of the platforms, shipped in the library so the test suite,
//! `petition bench` and third-party harnesses can all drive the real
//! adapters over real sockets without reaching Telegram.

pub mod fake_telegram;
