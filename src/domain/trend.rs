//! Health over time: a day-by-day series with gaps kept as gaps, its direction, the tier
//! changes in it, and the leading indicator (usage and engagement falling while payment holds).

use super::Tier;
use super::health::HealthRules;
use chrono::NaiveDate;

/// One day's snapshot, as the rules read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point<'a> {
    pub day: &'a str,
    pub score: u32,
    pub usage: u32,
    pub engagement: u32,
    pub payment: u32,
}

fn date(day: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()
}

/// The scores of the `days` days ending `today`, oldest first; a day without a snapshot is
/// None (a skipped day is not a zero).
pub fn daily_series(points: &[Point], today: &str, days: usize) -> Vec<Option<u32>> {
    let Some(end) = date(today) else {
        return vec![None; days];
    };
    let mut out = vec![None; days];
    for p in points {
        if let Some(d) = date(p.day) {
            let back = (end - d).num_days();
            if (0..days as i64).contains(&back) {
                out[days - 1 - back as usize] = Some(p.score);
            }
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Rising,
    Steady,
    Falling,
}

impl Direction {
    pub fn label(self) -> &'static str {
        match self {
            Direction::Rising => "rising",
            Direction::Steady => "steady",
            Direction::Falling => "falling",
        }
    }
}

/// A change of this many points or more over the series is a direction.
pub const DIRECTION_POINTS: i64 = 5;

/// The series' direction: its last known score against its first.
pub fn direction(series: &[Option<u32>]) -> Option<Direction> {
    let first = series.iter().flatten().next()?;
    let last = series.iter().flatten().last()?;
    let delta = i64::from(*last) - i64::from(*first);
    Some(if delta >= DIRECTION_POINTS {
        Direction::Rising
    } else if delta <= -DIRECTION_POINTS {
        Direction::Falling
    } else {
        Direction::Steady
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierChange {
    pub day: String,
    pub from: Tier,
    pub to: Tier,
}

impl TierChange {
    pub fn dropped(&self) -> bool {
        tier_rank(self.to) < tier_rank(self.from)
    }

    /// "dropped from Neutral to At risk on 2026-11-18".
    pub fn sentence(&self) -> String {
        format!(
            "{} from {} to {} on {}",
            if self.dropped() { "dropped" } else { "rose" },
            self.from.label(),
            self.to.label(),
            self.day
        )
    }
}

fn tier_rank(t: Tier) -> u8 {
    match t {
        Tier::Critical => 0,
        Tier::AtRisk => 1,
        Tier::Neutral => 2,
        Tier::Healthy => 3,
    }
}

/// Every tier change between consecutive snapshots (sorted by day), oldest first. Across a
/// gap the change is dated on the first snapshot after it.
pub fn tier_changes(points: &[Point], rules: &HealthRules) -> Vec<TierChange> {
    points
        .windows(2)
        .filter_map(|w| {
            let (from, to) = (rules.tier(w[0].score), rules.tier(w[1].score));
            (from != to).then(|| TierChange {
                day: w[1].day.to_string(),
                from,
                to,
            })
        })
        .collect()
}

/// Over this many days a fall in usage and engagement is a leading indicator.
pub const LEADING_DAYS: i64 = 14;
/// Points each of usage and engagement must fall by.
pub const LEADING_POINTS: u32 = 10;

/// Usage and engagement falling while revenue has not yet: the latest snapshot against the
/// last one at least LEADING_DAYS before it. Returns a sentence to act on, or None.
pub fn leading_indicator(points: &[Point]) -> Option<String> {
    let last = points.last()?;
    let last_day = date(last.day)?;
    let before = points
        .iter()
        .rev()
        .find(|p| date(p.day).is_some_and(|d| (last_day - d).num_days() >= LEADING_DAYS))?;
    let usage_fell = before.usage >= last.usage + LEADING_POINTS;
    let engagement_fell = before.engagement >= last.engagement + LEADING_POINTS;
    let payment_holds = last.payment >= before.payment;
    (usage_fell && engagement_fell && payment_holds).then(|| {
        format!(
            "usage {}→{} and engagement {}→{} since {} while payment holds at {}: act before revenue follows",
            before.usage, last.usage, before.engagement, last.engagement, before.day, last.payment
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(day: &'static str, score: u32, usage: u32, engagement: u32, payment: u32) -> Point<'static> {
        Point {
            day,
            score,
            usage,
            engagement,
            payment,
        }
    }

    #[test]
    fn gaps_stay_gaps() {
        let pts = [
            p("2026-11-18", 70, 0, 0, 0),
            p("2026-11-20", 64, 0, 0, 0),
            p("2026-11-22", 58, 0, 0, 0),
        ];
        assert_eq!(
            daily_series(&pts, "2026-11-22", 6),
            vec![None, Some(70), None, Some(64), None, Some(58)]
        );
        assert_eq!(
            direction(&daily_series(&pts, "2026-11-22", 6)),
            Some(Direction::Falling)
        );
        assert_eq!(direction(&[None, Some(60), None, Some(64)]), Some(Direction::Steady));
        assert_eq!(direction(&[Some(60), Some(65)]), Some(Direction::Rising));
        assert_eq!(direction(&[None, None]), None);
        // out-of-range days are left out
        assert_eq!(daily_series(&pts, "2026-11-30", 3), vec![None, None, None]);
    }

    #[test]
    fn tier_changes_across_gaps() {
        let rules = HealthRules::default();
        let pts = [
            p("2026-11-10", 81, 0, 0, 0),
            p("2026-11-11", 79, 0, 0, 0),
            p("2026-11-15", 79, 0, 0, 0),
            p("2026-11-18", 59, 0, 0, 0),
            p("2026-11-20", 60, 0, 0, 0),
        ];
        let ch = tier_changes(&pts, &rules);
        assert_eq!(ch.len(), 3);
        assert_eq!(ch[0].sentence(), "dropped from Healthy to Neutral on 2026-11-11");
        assert_eq!(ch[1].sentence(), "dropped from Neutral to At risk on 2026-11-18");
        assert_eq!(ch[2].sentence(), "rose from At risk to Neutral on 2026-11-20");
        assert!(tier_changes(&pts[..1], &rules).is_empty());
    }

    #[test]
    fn leading_indicator_needs_both_falls_and_payment_holding() {
        let base = p("2026-11-01", 80, 80, 80, 100);
        let now = |u, e, pay| p("2026-11-15", 70, u, e, pay);
        assert!(leading_indicator(&[base, now(70, 70, 100)]).is_some());
        assert!(
            leading_indicator(&[base, now(70, 70, 100)])
                .unwrap()
                .starts_with("usage 80→70")
        );
        assert!(
            leading_indicator(&[base, now(71, 70, 100)]).is_none(),
            "usage fell by 9"
        );
        assert!(
            leading_indicator(&[base, now(70, 71, 100)]).is_none(),
            "engagement fell by 9"
        );
        assert!(
            leading_indicator(&[base, now(70, 70, 50)]).is_none(),
            "revenue already fell"
        );
        // 13 days apart is too short to read
        let early = p("2026-11-02", 80, 80, 80, 100);
        assert!(leading_indicator(&[early, now(60, 60, 100)]).is_none());
    }
}
