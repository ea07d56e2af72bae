//! tend: a keyboard-driven customer-success cockpit in the terminal.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod app;
pub mod cli;
pub mod cli_import;
pub mod cli_investigate;
pub mod cli_responses;
pub mod cli_tasks;
pub mod config;
pub mod deliver;
pub mod demo;
pub mod domain;
pub mod import;
pub mod investigate;
pub mod mail;
pub mod output;
pub mod playbooks;
pub mod reports;
pub mod responses;
pub mod store;
pub mod text;
pub mod tui;
pub mod ui;
