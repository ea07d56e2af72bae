//! The rules of the craft, as pure functions: no SQL, no terminal, no clock reads.
//! Time is always passed in as `now` (seconds since the Unix epoch, UTC).

pub mod churn;
pub mod health;
pub mod metrics;
pub mod sla;
pub mod sop;
pub mod words;

pub use words::*;

/// Seconds since the Unix epoch, UTC.
pub type Timestamp = i64;

pub const MINUTE: i64 = 60;
pub const HOUR: i64 = 3600;
pub const DAY: i64 = 86_400;
