//! The rules of the craft, as pure functions: no SQL, no terminal, no clock reads.
//! Time is always passed in as `now` (seconds since the Unix epoch, UTC).

pub mod alerts;
pub mod churn;
pub mod health;
pub mod import;
pub mod investigation;
pub mod mailthread;
pub mod metrics;
pub mod playbook;
pub mod sla;
pub mod sop;
pub mod template;
pub mod trend;
pub mod words;

pub use words::*;

/// Seconds since the Unix epoch, UTC.
pub type Timestamp = i64;

pub const MINUTE: i64 = 60;
pub const HOUR: i64 = 3600;
pub const DAY: i64 = 86_400;

/// "2026-11-22 14:05 UTC": how tend prints a moment.
pub fn format_time(t: Timestamp) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| t.to_string())
}

/// "2026-11-22": the UTC day of a moment.
pub fn day_string(t: Timestamp) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| t.to_string())
}
