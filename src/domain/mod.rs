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
    use chrono::Datelike;
    match chrono::DateTime::from_timestamp(t, 0) {
        // the common years without a strftime pattern to interpret (imports call this per row)
        Some(d) if (0..=9999).contains(&d.year()) => format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()),
        Some(d) => d.format("%Y-%m-%d").to_string(),
        None => t.to_string(),
    }
}

/// A `YYYY-MM-DD` day, as tend stores it.
pub fn parse_day(s: &str) -> Option<chrono::NaiveDate> {
    iso_day(s).or_else(|| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
}

/// Exactly `YYYY-MM-DD` (four, two and two digits), read without a format parser: the form of
/// every stored day and of most date columns. None for anything else, valid or not.
pub fn iso_day(s: &str) -> Option<chrono::NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let number = |digits: &[u8]| {
        digits
            .iter()
            .try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
    };
    let (year, month, day) = (number(&b[..4])?, number(&b[5..7])?, number(&b[8..])?);
    chrono::NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}
