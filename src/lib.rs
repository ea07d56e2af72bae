//! tend: a keyboard-driven customer-success cockpit in the terminal.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod domain;
