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

/// The raw counts and sums the store reads for one period, from which the KPIs are computed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PeriodFacts {
    /// The period's length in days; monthly rates are scaled to 30 days.
    pub days: i64,
    /// Tickets opened in the period that have a first response, and the sum of their waits.
    pub responded: u64,
    pub response_secs: i64,
    /// Tickets resolved in the period, and the sum of their open time less waiting time.
    pub resolved: u64,
    pub resolution_secs: i64,
    /// CSAT ratings (1-5) given in the period, and how many were 4 or 5.
    pub csat_ratings: u64,
    pub csat_satisfied: u64,
    /// NPS answers given in the period: 9-10, 7-8, 0-6.
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
    /// Accounts that churned in the period, and those active when it began.
    pub churned: u64,
    pub active_at_start: u64,
    /// Tickets opened in the period, and the users (contacts) who logged in during it.
    pub tickets: u64,
    pub active_users: u64,
}

impl PeriodFacts {
    /// A KPI's value for the period; None when there is nothing to compute it from.
    pub fn value(&self, kpi: Kpi) -> Option<f64> {
        let per_month = |v: f64| v * 30.0 / self.days.max(1) as f64;
        match kpi {
            Kpi::FirstResponseHours => {
                (self.responded > 0).then(|| self.response_secs as f64 / self.responded as f64 / 3600.0)
            }
            Kpi::ResolutionHours => {
                (self.resolved > 0).then(|| self.resolution_secs as f64 / self.resolved as f64 / 3600.0)
            }
            Kpi::CsatPercent => {
                (self.csat_ratings > 0).then(|| self.csat_satisfied as f64 * 100.0 / self.csat_ratings as f64)
            }
            Kpi::Nps => {
                let n = self.promoters + self.passives + self.detractors;
                (n > 0).then(|| (self.promoters as f64 - self.detractors as f64) * 100.0 / n as f64)
            }
            Kpi::MonthlyChurnPercent => churn_percent(self.churned, self.active_at_start).map(per_month),
            Kpi::SupportLoadPercent => support_load_percent(self.tickets, self.active_users).map(per_month),
        }
    }
}

/// One KPI for a period beside the period before it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct KpiRow {
    pub kpi: Kpi,
    pub value: Option<f64>,
    pub previous: Option<f64>,
    pub status: Option<Status>,
}

impl KpiRow {
    /// The change from the previous period, when both are known.
    pub fn change(&self) -> Option<f64> {
        Some(self.value? - self.previous?)
    }

    /// Whether the change is an improvement (None when unchanged or unknown).
    pub fn improved(&self) -> Option<bool> {
        let c = self.change()?;
        if c.abs() < 1e-9 {
            return None;
        }
        let (_, _, lower_better) = self.kpi.bounds();
        Some((c < 0.0) == lower_better)
    }
}

pub fn kpi_rows(current: &PeriodFacts, previous: &PeriodFacts) -> Vec<KpiRow> {
    Kpi::ALL
        .iter()
        .map(|&kpi| {
            let value = current.value(kpi);
            KpiRow {
                kpi,
                value,
                previous: previous.value(kpi),
                status: value.map(|v| kpi.status(v)),
            }
        })
        .collect()
}

impl Kpi {
    /// A value as the KPI is read: hours with one decimal, percentages, NPS as a signed number.
    pub fn format(self, v: f64) -> String {
        match self {
            Kpi::FirstResponseHours | Kpi::ResolutionHours => format!("{v:.1} h"),
            Kpi::CsatPercent | Kpi::MonthlyChurnPercent | Kpi::SupportLoadPercent => format!("{v:.1}%"),
            Kpi::Nps => format!("{v:+.0}"),
        }
    }

    /// A change as the KPI is read: "+1.5 h", "-2.0 pts".
    pub fn format_change(self, c: f64) -> String {
        match self {
            Kpi::FirstResponseHours | Kpi::ResolutionHours => format!("{c:+.1} h"),
            Kpi::Nps => format!("{c:+.0}"),
            _ => format!("{c:+.1} pts"),
        }
    }
}

/// The value KPIs' raw facts for one period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ValueFacts {
    /// Days from signup to first core-feature use, for accounts that signed up in the period.
    pub ttv_days: Vec<f64>,
    /// Accounts that signed up in the period.
    pub signups: u64,
    /// Of those, how many used a core feature on their signup day (first value in the first session).
    pub first_session: u64,
    /// Monthly revenue of the active accounts now, and how many there are.
    pub mrr_cents: i64,
    pub active_accounts: u64,
    /// Monthly revenue added by expansions in the period.
    pub expansion_cents: i64,
    /// Accounts whose onboarding window (ONBOARDING_DAYS after signup) ended in the period,
    /// and how many of them reached a core feature within it.
    pub onboarding_cohort: u64,
    pub onboarding_completed: u64,
    /// Why the accounts that left in the period left, most frequent first.
    pub churn_reasons: Vec<(String, u64)>,
}

/// The onboarding window: first value should come within it.
pub const ONBOARDING_DAYS: i64 = 21;

impl ValueFacts {
    /// Median days to first value.
    pub fn time_to_value_days(&self) -> Option<f64> {
        median(&self.ttv_days)
    }

    /// Share of new accounts that reached first value in their first session.
    pub fn first_session_percent(&self) -> Option<f64> {
        (self.signups > 0).then(|| self.first_session as f64 * 100.0 / self.signups as f64)
    }

    /// Average revenue per account, per month, in cents.
    pub fn arpa_cents(&self) -> Option<f64> {
        (self.active_accounts > 0).then(|| self.mrr_cents as f64 / self.active_accounts as f64)
    }

    /// Lifetime value = average monthly revenue per account / monthly churn rate.
    /// None without churn (an unbounded lifetime is not a number to plan with).
    pub fn lifetime_value_cents(&self, monthly_churn_percent: Option<f64>) -> Option<f64> {
        let churn = monthly_churn_percent?;
        (churn > 0.0).then(|| self.arpa_cents().unwrap_or(0.0) / (churn / 100.0))
    }

    /// Expansion revenue in the period as a share of monthly revenue.
    pub fn expansion_percent(&self) -> Option<f64> {
        (self.mrr_cents > 0).then(|| self.expansion_cents as f64 * 100.0 / self.mrr_cents as f64)
    }

    pub fn onboarding_completion_percent(&self) -> Option<f64> {
        (self.onboarding_cohort > 0).then(|| self.onboarding_completed as f64 * 100.0 / self.onboarding_cohort as f64)
    }
}

/// The median of some values; None when there are none.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
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

    /// The advice in a few words, for a chart's footer.
    pub fn short(self) -> &'static str {
        match self {
            Staffing::FounderOnly => "the founder handles it",
            Staffing::VirtualAssistant => "a VA for tier 1, founder tier 2",
            Staffing::PartTimeHire => "hire part-time support",
            Staffing::DedicatedTeam => "a dedicated support team",
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
    #[test]
    fn period_facts_give_the_six_kpis() {
        let f = PeriodFacts {
            days: 15,
            responded: 4,
            response_secs: 4 * 3600 + 2 * 3600 + 3600 + 1800, // 7.5 h over 4
            resolved: 2,
            resolution_secs: 30 * 3600 + 18 * 3600,
            csat_ratings: 5,
            csat_satisfied: 4,
            promoters: 5,
            passives: 3,
            detractors: 2,
            churned: 1,
            active_at_start: 40,
            tickets: 6,
            active_users: 100,
        };
        assert_eq!(f.value(Kpi::FirstResponseHours), Some(1.875));
        assert_eq!(f.value(Kpi::ResolutionHours), Some(24.0));
        assert_eq!(f.value(Kpi::CsatPercent), Some(80.0));
        assert_eq!(f.value(Kpi::Nps), Some(30.0));
        // 1 of 40 in 15 days is 2.5%, 5% a month
        assert_eq!(f.value(Kpi::MonthlyChurnPercent), Some(5.0));
        assert_eq!(f.value(Kpi::SupportLoadPercent), Some(12.0));
        let empty = PeriodFacts {
            days: 30,
            ..PeriodFacts::default()
        };
        assert!(Kpi::ALL.iter().all(|k| empty.value(*k).is_none()));
        let rows = kpi_rows(&f, &empty);
        assert_eq!(rows[0].status, Some(Status::Green));
        assert_eq!(rows[1].status, Some(Status::Amber));
        assert_eq!(rows[0].change(), None);
        let better = PeriodFacts {
            responded: 1,
            response_secs: 3600,
            ..f.clone()
        };
        let rows = kpi_rows(&better, &f);
        assert_eq!(rows[0].change(), Some(1.0 - 1.875));
        assert_eq!(rows[0].improved(), Some(true));
        assert_eq!(rows[2].improved(), None);
    }

    #[test]
    fn value_kpis() {
        let v = ValueFacts {
            ttv_days: vec![0.5, 3.0, 1.0, 10.0],
            signups: 5,
            first_session: 1,
            mrr_cents: 1_000_000,
            active_accounts: 20,
            expansion_cents: 50_000,
            onboarding_cohort: 4,
            onboarding_completed: 3,
            churn_reasons: vec![],
        };
        assert_eq!(v.time_to_value_days(), Some(2.0));
        assert_eq!(v.first_session_percent(), Some(20.0));
        assert_eq!(v.arpa_cents(), Some(50_000.0));
        // $500 a month at 2% monthly churn: $25,000
        assert_eq!(v.lifetime_value_cents(Some(2.0)), Some(2_500_000.0));
        assert_eq!(v.lifetime_value_cents(Some(0.0)), None);
        assert_eq!(v.expansion_percent(), Some(5.0));
        assert_eq!(v.onboarding_completion_percent(), Some(75.0));
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[]), None);
    }
}
