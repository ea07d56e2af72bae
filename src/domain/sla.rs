//! SLA clocks: first response by channel, and resolution, with time spent waiting on the
//! customer excluded (the resolution clock pauses while the ticket waits).

use super::{Channel, DAY, HOUR, Timestamp};
use serde::{Deserialize, Serialize};

/// The targets, in seconds. Calls are answered by appointment, so they have no clock until
/// one is set; self-serve requests are answered instantly by the help centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlaTargets {
    pub chat_first_response_secs: i64,
    pub email_first_response_secs: i64,
    pub resolution_secs: i64,
}

impl Default for SlaTargets {
    fn default() -> Self {
        SlaTargets {
            chat_first_response_secs: HOUR,
            email_first_response_secs: DAY,
            resolution_secs: DAY,
        }
    }
}

impl SlaTargets {
    /// The first-response target for a channel: None for a call (by appointment),
    /// zero for self-serve (instant).
    pub fn first_response_target(&self, channel: Channel) -> Option<i64> {
        match channel {
            Channel::Chat => Some(self.chat_first_response_secs),
            Channel::Email => Some(self.email_first_response_secs),
            Channel::Call => None,
            Channel::SelfServe => Some(0),
        }
    }

    pub fn first_response_due(&self, channel: Channel, opened_at: Timestamp) -> Option<Timestamp> {
        self.first_response_target(channel).map(|t| opened_at + t)
    }

    pub fn resolution_due(&self, opened_at: Timestamp) -> Timestamp {
        opened_at + self.resolution_secs
    }

    /// A human label for the first-response target of a channel.
    pub fn first_response_label(&self, channel: Channel) -> String {
        match self.first_response_target(channel) {
            None => "by appointment".to_string(),
            Some(0) => "instant".to_string(),
            Some(s) if s % HOUR == 0 => format!("within {} h", s / HOUR),
            Some(s) => format!("within {}", human_duration(s)),
        }
    }
}

/// The state of one clock at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Clock {
    /// Running, with this many seconds left.
    Running { left: i64, due: Timestamp },
    /// Paused while waiting on the customer, with this many seconds left when it resumes.
    Paused { left: i64 },
    /// Past its due time by this many seconds.
    Breached { over: i64, due: Timestamp },
    /// Stopped in time.
    Met { at: Timestamp },
    /// Stopped late, by this many seconds.
    MetLate { at: Timestamp, over: i64 },
    /// No target (a call without an appointment).
    NoTarget,
}

impl Clock {
    pub fn is_breached(&self) -> bool {
        matches!(self, Clock::Breached { .. })
    }

    /// Seconds left (negative when breached), for ordering a queue by urgency. Stopped clocks
    /// and clocks with no target sort last.
    pub fn urgency(&self) -> i64 {
        match self {
            Clock::Running { left, .. } | Clock::Paused { left } => *left,
            Clock::Breached { over, .. } => -over,
            _ => i64::MAX,
        }
    }
}

/// The facts of a ticket the clocks read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClockFacts {
    pub first_response_due: Option<Timestamp>,
    pub first_response_at: Option<Timestamp>,
    /// The resolution due time before pauses.
    pub resolution_due: Timestamp,
    /// Seconds of finished waiting periods.
    pub paused_secs: i64,
    /// Waiting on the customer since.
    pub waiting_since: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
}

pub fn first_response(f: &ClockFacts, now: Timestamp) -> Clock {
    let Some(due) = f.first_response_due else {
        return match f.first_response_at {
            Some(at) => Clock::Met { at },
            None => Clock::NoTarget,
        };
    };
    match f.first_response_at {
        Some(at) if at <= due => Clock::Met { at },
        Some(at) => Clock::MetLate { at, over: at - due },
        None if now > due => Clock::Breached { over: now - due, due },
        None => Clock::Running { left: due - now, due },
    }
}

/// Seconds paused in all, counting a wait still in progress up to `at`.
pub fn paused_until(f: &ClockFacts, at: Timestamp) -> i64 {
    f.paused_secs + f.waiting_since.map(|w| (at - w).max(0)).unwrap_or(0)
}

pub fn resolution(f: &ClockFacts, now: Timestamp) -> Clock {
    if let Some(at) = f.resolved_at {
        let due = f.resolution_due + paused_until(f, at);
        return if at <= due {
            Clock::Met { at }
        } else {
            Clock::MetLate { at, over: at - due }
        };
    }
    let due = f.resolution_due + paused_until(f, now);
    if f.waiting_since.is_some() {
        // paused: the time left is frozen at what it was when the wait began
        return Clock::Paused { left: due - now };
    }
    if now > due {
        Clock::Breached { over: now - due, due }
    } else {
        Clock::Running { left: due - now, due }
    }
}

/// The soonest due time among the clocks still running, for ordering the queue and finding
/// breaches with an index: the first response until it is given, the resolution until it is
/// resolved and while the ticket is not waiting on the customer.
pub fn next_due(f: &ClockFacts) -> Option<Timestamp> {
    let first = f.first_response_due.filter(|_| f.first_response_at.is_none());
    let resolution = (f.resolved_at.is_none() && f.waiting_since.is_none()).then_some(f.resolution_due + f.paused_secs);
    match (first, resolution) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// "3h 20m", "2d 4h", "45m", "0m": compact, for clocks.
pub fn human_duration(secs: i64) -> String {
    let s = secs.abs();
    let sign = if secs < 0 { "-" } else { "" };
    let (d, h, m) = (s / DAY, (s % DAY) / HOUR, (s % HOUR) / 60);
    if d > 0 {
        if h > 0 {
            format!("{sign}{d}d {h}h")
        } else {
            format!("{sign}{d}d")
        }
    } else if h > 0 {
        if m > 0 {
            format!("{sign}{h}h {m}m")
        } else {
            format!("{sign}{h}h")
        }
    } else {
        format!("{sign}{m}m")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_response_targets_by_channel() {
        let t = SlaTargets::default();
        assert_eq!(t.first_response_due(Channel::Chat, 1000), Some(1000 + 3600));
        assert_eq!(t.first_response_due(Channel::Email, 1000), Some(1000 + 86_400));
        assert_eq!(t.first_response_due(Channel::Call, 1000), None);
        assert_eq!(t.first_response_due(Channel::SelfServe, 1000), Some(1000));
        assert_eq!(t.resolution_due(1000), 1000 + 86_400);
        assert_eq!(t.first_response_label(Channel::Call), "by appointment");
        assert_eq!(t.first_response_label(Channel::Chat), "within 1 h");
        assert_eq!(t.first_response_label(Channel::Email), "within 24 h");
    }

    #[test]
    fn first_response_clock() {
        let f = ClockFacts {
            first_response_due: Some(100),
            ..Default::default()
        };
        assert_eq!(first_response(&f, 40), Clock::Running { left: 60, due: 100 });
        assert_eq!(first_response(&f, 100), Clock::Running { left: 0, due: 100 });
        assert_eq!(first_response(&f, 101), Clock::Breached { over: 1, due: 100 });
        let met = ClockFacts {
            first_response_at: Some(90),
            ..f
        };
        assert_eq!(first_response(&met, 500), Clock::Met { at: 90 });
        let late = ClockFacts {
            first_response_at: Some(130),
            ..f
        };
        assert_eq!(first_response(&late, 500), Clock::MetLate { at: 130, over: 30 });
        assert_eq!(first_response(&ClockFacts::default(), 5), Clock::NoTarget);
    }

    #[test]
    fn resolution_clock_pauses_while_waiting() {
        let f = ClockFacts {
            resolution_due: 1000,
            ..Default::default()
        };
        assert_eq!(resolution(&f, 400), Clock::Running { left: 600, due: 1000 });
        assert_eq!(resolution(&f, 1001), Clock::Breached { over: 1, due: 1000 });
        // waiting since 400: at 2000 the clock still has the 600 it had when the wait began
        let waiting = ClockFacts {
            waiting_since: Some(400),
            ..f
        };
        assert_eq!(resolution(&waiting, 2000), Clock::Paused { left: 600 });
        assert!(!resolution(&waiting, 2000).is_breached());
        // the wait ended after 500 s: due moves to 1500
        let resumed = ClockFacts { paused_secs: 500, ..f };
        assert_eq!(resolution(&resumed, 1400), Clock::Running { left: 100, due: 1500 });
        assert_eq!(resolution(&resumed, 1600), Clock::Breached { over: 100, due: 1500 });
        let resolved = ClockFacts {
            resolved_at: Some(1400),
            ..resumed
        };
        assert_eq!(resolution(&resolved, 9999), Clock::Met { at: 1400 });
        let late = ClockFacts {
            resolved_at: Some(1700),
            ..resumed
        };
        assert_eq!(resolution(&late, 9999), Clock::MetLate { at: 1700, over: 200 });
    }

    #[test]
    fn next_due_is_the_soonest_running_clock() {
        let f = ClockFacts {
            first_response_due: Some(100),
            resolution_due: 1000,
            ..Default::default()
        };
        assert_eq!(next_due(&f), Some(100));
        let answered = ClockFacts {
            first_response_at: Some(50),
            ..f
        };
        assert_eq!(next_due(&answered), Some(1000));
        let paused = ClockFacts {
            paused_secs: 30,
            ..answered
        };
        assert_eq!(next_due(&paused), Some(1030));
        let waiting = ClockFacts {
            waiting_since: Some(60),
            ..answered
        };
        assert_eq!(next_due(&waiting), None);
        let waiting_unanswered = ClockFacts {
            waiting_since: Some(60),
            ..f
        };
        assert_eq!(next_due(&waiting_unanswered), Some(100));
        let resolved = ClockFacts {
            resolved_at: Some(900),
            ..answered
        };
        assert_eq!(next_due(&resolved), None);
    }

    #[test]
    fn urgency_orders_breached_first() {
        let breached = Clock::Breached { over: 50, due: 0 };
        let soon = Clock::Running { left: 10, due: 0 };
        let later = Clock::Running { left: 5000, due: 0 };
        let met = Clock::Met { at: 0 };
        let mut v = [later, met, soon, breached];
        v.sort_by_key(|c| c.urgency());
        assert_eq!(v, [breached, soon, later, met]);
    }

    #[test]
    fn durations_read_compactly() {
        assert_eq!(human_duration(0), "0m");
        assert_eq!(human_duration(59 * 60), "59m");
        assert_eq!(human_duration(3600 + 20 * 60), "1h 20m");
        assert_eq!(human_duration(2 * 86_400 + 4 * 3600), "2d 4h");
        assert_eq!(human_duration(-3600), "-1h");
    }
}
