//! The team's own numbers against target, and staffing advice from ticket volume.

use serde::{Deserialize, Serialize};

/// Green meets the target, amber is close, red is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Green,
    Amber,
    Red,
}

impl Status {
    /// A text mark that reads without colour.
    pub fn mark(self) -> &'static str {
        match self {
            Status::Green => "OK",
            Status::Amber => "WARN",
            Status::Red => "MISS",
        }
    }
}

/// The six KPIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kpi {
    FirstResponseHours,
    ResolutionHours,
    CsatPercent,
    Nps,
    MonthlyChurnPercent,
    SupportLoadPercent,
}

impl Kpi {
    pub const ALL: [Kpi; 6] = [
        Kpi::FirstResponseHours,
        Kpi::ResolutionHours,
        Kpi::CsatPercent,
        Kpi::Nps,
        Kpi::MonthlyChurnPercent,
        Kpi::SupportLoadPercent,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Kpi::FirstResponseHours => "First response time",
            Kpi::ResolutionHours => "Resolution time",
            Kpi::CsatPercent => "CSAT",
            Kpi::Nps => "NPS",
            Kpi::MonthlyChurnPercent => "Monthly churn",
            Kpi::SupportLoadPercent => "Support load",
        }
    }

    /// (target, amber limit, lower is better). Values better than the target are green;
    /// between the target and the amber limit amber; beyond it red.
    pub fn bounds(self) -> (f64, f64, bool) {
        match self {
            Kpi::FirstResponseHours => (4.0, 8.0, true),
            Kpi::ResolutionHours => (24.0, 48.0, true),
            Kpi::CsatPercent => (90.0, 80.0, false),
            Kpi::Nps => (40.0, 20.0, false),
            Kpi::MonthlyChurnPercent => (5.0, 7.5, true),
            Kpi::SupportLoadPercent => (10.0, 15.0, true),
        }
    }

    pub fn target_label(self) -> &'static str {
        match self {
            Kpi::FirstResponseHours => "< 4 h",
            Kpi::ResolutionHours => "< 24 h",
            Kpi::CsatPercent => "> 90%",
            Kpi::Nps => "> 40",
            Kpi::MonthlyChurnPercent => "< 5%",
            Kpi::SupportLoadPercent => "< 10%",
        }
    }

    pub fn status(self, value: f64) -> Status {
        let (target, amber, lower_better) = self.bounds();
        if lower_better {
            if value < target {
                Status::Green
            } else if value < amber {
                Status::Amber
            } else {
                Status::Red
            }
        } else if value > target {
            Status::Green
        } else if value > amber {
            Status::Amber
        } else {
            Status::Red
        }
    }
}

/// NPS = % promoters (9-10) - % detractors (0-6), from answers 0-10. None with no answers.
pub fn nps(answers: &[u32]) -> Option<f64> {
    if answers.is_empty() {
        return None;
    }
    let n = answers.len() as f64;
    let promoters = answers.iter().filter(|a| **a >= 9).count() as f64;
    let detractors = answers.iter().filter(|a| **a <= 6).count() as f64;
    Some((promoters - detractors) * 100.0 / n)
}

/// CSAT = % of ratings (1-5) that are satisfied (4 or 5).
pub fn csat_percent(ratings: &[u32]) -> Option<f64> {
    if ratings.is_empty() {
        return None;
    }
    let satisfied = ratings.iter().filter(|r| **r >= 4).count() as f64;
    Some(satisfied * 100.0 / ratings.len() as f64)
}

/// Churn rate in percent: accounts lost in the month over accounts active at its start.
pub fn churn_percent(churned: u64, active_at_start: u64) -> Option<f64> {
    (active_at_start > 0).then(|| churned as f64 * 100.0 / active_at_start as f64)
}

/// Support load in percent: tickets over active users in the same period.
pub fn support_load_percent(tickets: u64, active_users: u64) -> Option<f64> {
    (active_users > 0).then(|| tickets as f64 * 100.0 / active_users as f64)
}

/// Mean of durations in seconds, as hours.
pub fn mean_hours(durations_secs: &[i64]) -> Option<f64> {
    if durations_secs.is_empty() {
        return None;
    }
    Some(durations_secs.iter().sum::<i64>() as f64 / durations_secs.len() as f64 / 3600.0)
}

/// Who should handle support at a weekly ticket volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Staffing {
    FounderOnly,
    VirtualAssistant,
    PartTimeHire,
    DedicatedTeam,
}

impl Staffing {
    pub fn for_weekly_tickets(n: u64) -> Staffing {
        match n {
            0..=9 => Staffing::FounderOnly,
            10..=29 => Staffing::VirtualAssistant,
            30..=99 => Staffing::PartTimeHire,
            _ => Staffing::DedicatedTeam,
        }
    }

    pub fn advice(self) -> &'static str {
        match self {
            Staffing::FounderOnly => "Under 10 tickets a week: the founder handles all support",
            Staffing::VirtualAssistant => {
                "10-30 tickets a week: a virtual assistant for tier 1, the founder for tier 2"
            }
            Staffing::PartTimeHire => "30-100 tickets a week: hire part-time support",
            Staffing::DedicatedTeam => "100+ tickets a week: a dedicated support team",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_at_the_targets() {
        assert_eq!(Kpi::FirstResponseHours.status(3.9), Status::Green);
        assert_eq!(Kpi::FirstResponseHours.status(4.0), Status::Amber);
        assert_eq!(Kpi::FirstResponseHours.status(8.0), Status::Red);
        assert_eq!(Kpi::ResolutionHours.status(23.0), Status::Green);
        assert_eq!(Kpi::ResolutionHours.status(24.0), Status::Amber);
        assert_eq!(Kpi::CsatPercent.status(90.1), Status::Green);
        assert_eq!(Kpi::CsatPercent.status(90.0), Status::Amber);
        assert_eq!(Kpi::CsatPercent.status(80.0), Status::Red);
        assert_eq!(Kpi::Nps.status(41.0), Status::Green);
        assert_eq!(Kpi::Nps.status(40.0), Status::Amber);
        assert_eq!(Kpi::Nps.status(20.0), Status::Red);
        assert_eq!(Kpi::MonthlyChurnPercent.status(4.9), Status::Green);
        assert_eq!(Kpi::MonthlyChurnPercent.status(5.0), Status::Amber);
        assert_eq!(Kpi::MonthlyChurnPercent.status(7.5), Status::Red);
        assert_eq!(Kpi::SupportLoadPercent.status(9.9), Status::Green);
        assert_eq!(Kpi::SupportLoadPercent.status(12.0), Status::Amber);
        assert_eq!(Kpi::SupportLoadPercent.status(15.0), Status::Red);
        assert_eq!(Status::Red.mark(), "MISS");
    }

    #[test]
    fn nps_is_promoters_minus_detractors() {
        // 3 promoters, 1 passive, 1 detractor: 60% - 20% = 40
        assert_eq!(nps(&[10, 9, 9, 8, 6]), Some(40.0));
        assert_eq!(nps(&[9]), Some(100.0));
        assert_eq!(nps(&[8]), Some(0.0));
        assert_eq!(nps(&[6]), Some(-100.0));
        assert_eq!(nps(&[]), None);
    }

    #[test]
    fn csat_churn_load_and_means() {
        assert_eq!(csat_percent(&[5, 4, 3, 2]), Some(50.0));
        assert_eq!(csat_percent(&[]), None);
        assert_eq!(churn_percent(3, 60), Some(5.0));
        assert_eq!(churn_percent(1, 0), None);
        assert_eq!(support_load_percent(5, 50), Some(10.0));
        assert_eq!(mean_hours(&[3600, 7200]), Some(1.5));
        assert_eq!(mean_hours(&[]), None);
    }

    #[test]
    fn staffing_boundaries() {
        assert_eq!(Staffing::for_weekly_tickets(0), Staffing::FounderOnly);
        assert_eq!(Staffing::for_weekly_tickets(9), Staffing::FounderOnly);
        assert_eq!(Staffing::for_weekly_tickets(10), Staffing::VirtualAssistant);
        assert_eq!(Staffing::for_weekly_tickets(29), Staffing::VirtualAssistant);
        assert_eq!(Staffing::for_weekly_tickets(30), Staffing::PartTimeHire);
        assert_eq!(Staffing::for_weekly_tickets(99), Staffing::PartTimeHire);
        assert_eq!(Staffing::for_weekly_tickets(100), Staffing::DedicatedTeam);
    }
}
