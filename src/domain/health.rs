//! Account health: four components from raw signals, a weighted score, and a tier.
//!
//! Each component is 0-100. A component (or a raw signal) reads Healthy at 80 and above,
//! Warning from 40 to 79 and Critical below 40. The mapping from signals is documented in
//! README ("How health is scored") and must stay in step with the code below.

use super::{Level, PaymentStatus, Tier};
use serde::{Deserialize, Serialize};

/// The weights of the four components, in percent. They must add up to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Weights {
    pub usage: u32,
    pub engagement: u32,
    pub satisfaction: u32,
    pub payment: u32,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            usage: 40,
            engagement: 30,
            satisfaction: 20,
            payment: 10,
        }
    }
}

impl Weights {
    pub fn validate(&self) -> Result<(), String> {
        let sum = self.usage + self.engagement + self.satisfaction + self.payment;
        if sum == 100 {
            Ok(())
        } else {
            Err(format!("the health weights add up to {sum}, not 100"))
        }
    }
}

/// The lowest score of each tier above Critical.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    pub healthy: u32,
    pub neutral: u32,
    pub at_risk: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            healthy: 80,
            neutral: 60,
            at_risk: 40,
        }
    }
}

impl Thresholds {
    pub fn validate(&self) -> Result<(), String> {
        if self.healthy <= 100 && self.healthy > self.neutral && self.neutral > self.at_risk {
            Ok(())
        } else {
            Err("the tier thresholds must satisfy 100 >= healthy > neutral > at_risk".into())
        }
    }
}

/// Weights and thresholds together: the configurable part of the health rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HealthRules {
    pub weights: Weights,
    pub thresholds: Thresholds,
}

impl HealthRules {
    pub fn tier(&self, score: u32) -> Tier {
        if score >= self.thresholds.healthy {
            Tier::Healthy
        } else if score >= self.thresholds.neutral {
            Tier::Neutral
        } else if score >= self.thresholds.at_risk {
            Tier::AtRisk
        } else {
            Tier::Critical
        }
    }

    /// The inclusive score range of a tier.
    pub fn score_range(&self, tier: Tier) -> (u32, u32) {
        let t = &self.thresholds;
        match tier {
            Tier::Healthy => (t.healthy, 100),
            Tier::Neutral => (t.neutral, t.healthy - 1),
            Tier::AtRisk => (t.at_risk, t.neutral - 1),
            Tier::Critical => (0, t.at_risk.saturating_sub(1)),
        }
    }

    pub fn score(&self, c: &Components) -> u32 {
        let w = &self.weights;
        let total =
            c.usage * w.usage + c.engagement * w.engagement + c.satisfaction * w.satisfaction + c.payment * w.payment;
        // round half up, in integers so the result never depends on float rounding
        (total + 50) / 100
    }
}

/// What the tier asks of the team.
pub fn recommended_action(tier: Tier) -> &'static str {
    match tier {
        Tier::Healthy => "Expansion opportunity: look for upsell and advocacy",
        Tier::Neutral => "Monitor and engage",
        Tier::AtRisk => "Proactive outreach",
        Tier::Critical => "Intervention required",
    }
}

/// The four components, each 0-100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Components {
    pub usage: u32,
    pub engagement: u32,
    pub satisfaction: u32,
    pub payment: u32,
}

/// How a 0-100 value reads: the same bands for every component and signal.
pub fn level(value: u32) -> Level {
    if value >= 80 {
        Level::Healthy
    } else if value >= 40 {
        Level::Warning
    } else {
        Level::Critical
    }
}

/// Logins: the raw facts behind Usage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LoginFacts {
    /// Whole days since the last login (floor), or None if there was never one.
    pub days_since_last: Option<i64>,
    /// Of the four windows days 0-6, 7-13, 14-20 and 21-30 before now, how many saw a login.
    pub active_weeks: u32,
    /// Logins in the last 30 days, for display.
    pub logins_30d: u32,
}

/// Usage from login frequency: weekly or more is healthy, monthly a warning,
/// none in 30 days critical. Day 30 still counts as within 30 days; day 31 does not.
pub fn usage(f: &LoginFacts) -> u32 {
    match f.days_since_last {
        None => 0,
        Some(d) if d > 30 => 0,
        Some(_) => match f.active_weeks {
            w if w >= 4 => 100,
            3 => 75,
            2 => 60,
            _ => 45,
        },
    }
}

/// Feature use in the last 30 days: the raw facts behind Engagement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FeatureFacts {
    /// Distinct core features used.
    pub core_features: u32,
    /// Distinct other (non-core) features used.
    pub other_features: u32,
}

/// Engagement from feature depth: core features healthy, some features a warning,
/// setup only (no feature use) critical.
pub fn engagement(f: &FeatureFacts) -> u32 {
    match (f.core_features, f.other_features) {
        (c, _) if c >= 3 => 100,
        (2, _) => 85,
        (1, _) => 65,
        (0, o) if o > 0 => 45,
        _ => 0,
    }
}

/// Feedback and tickets: the raw facts behind Satisfaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SatisfactionFacts {
    /// The latest NPS answer (0-10) in the last 90 days.
    pub nps: Option<u32>,
    /// The latest CSAT answer (1-5) in the last 90 days.
    pub csat: Option<u32>,
    /// Tickets opened in the last 30 days.
    pub tickets_30d: u32,
    /// Tickets open now (not closed).
    pub open_tickets: u32,
    /// Open tickets past their resolution target.
    pub breached_open: u32,
}

/// NPS answer to a 0-100 value: promoter (9-10) 100, passive (7-8) 70, detractor (0-6) 5 points a step.
pub fn nps_value(nps: u32) -> u32 {
    match nps {
        9.. => 100,
        7 | 8 => 70,
        n => n * 5,
    }
}

/// CSAT answer (1-5) to a 0-100 value.
pub fn csat_value(csat: u32) -> u32 {
    match csat {
        5.. => 100,
        4 => 80,
        3 => 50,
        2 => 20,
        _ => 0,
    }
}

/// What the customer says: the mean of the NPS and CSAT values present, 70 (passive) when neither is.
pub fn feedback_value(f: &SatisfactionFacts) -> u32 {
    match (f.nps.map(nps_value), f.csat.map(csat_value)) {
        (Some(a), Some(b)) => (a + b).div_ceil(2),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => 70,
    }
}

/// What the tickets say: low and resolved 100, medium 60, high or unresolved 20.
pub fn ticket_load_value(f: &SatisfactionFacts) -> u32 {
    if f.tickets_30d >= 6 || f.open_tickets >= 4 || f.breached_open >= 2 {
        20
    } else if f.tickets_30d >= 3 || f.open_tickets >= 2 || f.breached_open == 1 {
        60
    } else {
        100
    }
}

/// Satisfaction is the worse of what the customer says and what their tickets say.
pub fn satisfaction(f: &SatisfactionFacts) -> u32 {
    feedback_value(f).min(ticket_load_value(f))
}

/// Payment is binary: current 100, late or failed 0.
pub fn payment(status: PaymentStatus) -> u32 {
    match status {
        PaymentStatus::Current => 100,
        PaymentStatus::Late | PaymentStatus::Failed => 0,
    }
}

/// How the payment signal itself reads (the component stays binary).
pub fn payment_level(status: PaymentStatus) -> Level {
    match status {
        PaymentStatus::Current => Level::Healthy,
        PaymentStatus::Late => Level::Warning,
        PaymentStatus::Failed => Level::Critical,
    }
}

/// Everything the health score is computed from, for one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthFacts {
    pub logins: LoginFacts,
    pub features: FeatureFacts,
    pub satisfaction: SatisfactionFacts,
    pub payment: PaymentStatus,
}

impl Default for HealthFacts {
    fn default() -> Self {
        HealthFacts {
            logins: LoginFacts::default(),
            features: FeatureFacts::default(),
            satisfaction: SatisfactionFacts::default(),
            payment: PaymentStatus::Current,
        }
    }
}

pub fn components(f: &HealthFacts) -> Components {
    Components {
        usage: usage(&f.logins),
        engagement: engagement(&f.features),
        satisfaction: satisfaction(&f.satisfaction),
        payment: payment(f.payment),
    }
}

/// A health result: the components, the weighted score and its tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub score: u32,
    pub tier: Tier,
    pub components: Components,
}

impl HealthRules {
    pub fn evaluate(&self, f: &HealthFacts) -> Health {
        let components = components(f);
        let score = self.score(&components);
        Health {
            score,
            tier: self.tier(score),
            components,
        }
    }
}

/// One line of the signal table for an account: which signal, what it read, how it reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignalReading {
    pub signal: &'static str,
    pub component: &'static str,
    pub reading: String,
    pub level: Level,
}

/// The five rows of the signal table, read for one account.
pub fn signal_readings(f: &HealthFacts) -> Vec<SignalReading> {
    let logins = match f.logins.days_since_last {
        None => "never logged in".to_string(),
        Some(d) => format!(
            "last login {d} day{} ago; active in {} of the last 4 weeks; {} logins in 30 days",
            if d == 1 { "" } else { "s" },
            f.logins.active_weeks,
            f.logins.logins_30d
        ),
    };
    let features = if f.features.core_features + f.features.other_features == 0 {
        "setup only: no feature use in 30 days".to_string()
    } else {
        format!(
            "{} core and {} other features used in 30 days",
            f.features.core_features, f.features.other_features
        )
    };
    let s = &f.satisfaction;
    let tickets = format!(
        "{} opened in 30 days, {} open, {} past target",
        s.tickets_30d, s.open_tickets, s.breached_open
    );
    let feedback = match (s.nps, s.csat) {
        (None, None) => "no NPS or CSAT answer in 90 days".to_string(),
        (n, c) => {
            let mut parts = Vec::new();
            if let Some(n) = n {
                let kind = match n {
                    9.. => "promoter",
                    7 | 8 => "passive",
                    _ => "detractor",
                };
                parts.push(format!("NPS {n} ({kind})"));
            }
            if let Some(c) = c {
                parts.push(format!("CSAT {c}/5"));
            }
            parts.join(", ")
        }
    };
    vec![
        SignalReading {
            signal: "Login frequency",
            component: "usage",
            reading: logins,
            level: level(usage(&f.logins)),
        },
        SignalReading {
            signal: "Feature usage",
            component: "engagement",
            reading: features,
            level: level(engagement(&f.features)),
        },
        SignalReading {
            signal: "Support tickets",
            component: "satisfaction",
            reading: tickets,
            level: level(ticket_load_value(s)),
        },
        SignalReading {
            signal: "NPS / satisfaction",
            component: "satisfaction",
            reading: feedback,
            level: level(feedback_value(s)),
        },
        SignalReading {
            signal: "Payment",
            component: "payment",
            reading: f.payment.label().to_string(),
            level: payment_level(f.payment),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> HealthRules {
        HealthRules::default()
    }

    #[test]
    fn tier_boundaries() {
        let r = rules();
        assert_eq!(r.tier(100), Tier::Healthy);
        assert_eq!(r.tier(80), Tier::Healthy);
        assert_eq!(r.tier(79), Tier::Neutral);
        assert_eq!(r.tier(60), Tier::Neutral);
        assert_eq!(r.tier(59), Tier::AtRisk);
        assert_eq!(r.tier(40), Tier::AtRisk);
        assert_eq!(r.tier(39), Tier::Critical);
        assert_eq!(r.tier(0), Tier::Critical);
    }

    #[test]
    fn score_ranges_match_tiers() {
        let r = rules();
        for tier in Tier::ALL {
            let (lo, hi) = r.score_range(*tier);
            assert_eq!(r.tier(lo), *tier);
            assert_eq!(r.tier(hi), *tier);
        }
        assert_eq!(r.score_range(Tier::Neutral), (60, 79));
    }

    #[test]
    fn score_is_the_weighted_sum() {
        let r = rules();
        let c = Components {
            usage: 100,
            engagement: 100,
            satisfaction: 100,
            payment: 100,
        };
        assert_eq!(r.score(&c), 100);
        let c = Components {
            usage: 100,
            engagement: 0,
            satisfaction: 0,
            payment: 0,
        };
        assert_eq!(r.score(&c), 40);
        let c = Components {
            usage: 0,
            engagement: 100,
            satisfaction: 0,
            payment: 0,
        };
        assert_eq!(r.score(&c), 30);
        let c = Components {
            usage: 0,
            engagement: 0,
            satisfaction: 100,
            payment: 0,
        };
        assert_eq!(r.score(&c), 20);
        let c = Components {
            usage: 0,
            engagement: 0,
            satisfaction: 0,
            payment: 100,
        };
        assert_eq!(r.score(&c), 10);
        // 75*.4 + 65*.3 + 70*.2 + 100*.1 = 30 + 19.5 + 14 + 10 = 73.5 -> 74
        let c = Components {
            usage: 75,
            engagement: 65,
            satisfaction: 70,
            payment: 100,
        };
        assert_eq!(r.score(&c), 74);
    }

    #[test]
    fn configured_weights_and_thresholds_apply() {
        let r = HealthRules {
            weights: Weights {
                usage: 25,
                engagement: 25,
                satisfaction: 25,
                payment: 25,
            },
            thresholds: Thresholds {
                healthy: 90,
                neutral: 70,
                at_risk: 50,
            },
        };
        let c = Components {
            usage: 100,
            engagement: 100,
            satisfaction: 60,
            payment: 100,
        };
        assert_eq!(r.score(&c), 90);
        assert_eq!(r.tier(90), Tier::Healthy);
        assert_eq!(r.tier(89), Tier::Neutral);
        assert_eq!(r.tier(49), Tier::Critical);
        assert!(
            Weights {
                usage: 50,
                ..Weights::default()
            }
            .validate()
            .is_err()
        );
        assert!(
            Thresholds {
                healthy: 60,
                neutral: 60,
                at_risk: 40
            }
            .validate()
            .is_err()
        );
    }

    #[test]
    fn login_frequency_boundaries() {
        let weekly = LoginFacts {
            days_since_last: Some(0),
            active_weeks: 4,
            logins_30d: 9,
        };
        assert_eq!(usage(&weekly), 100);
        assert_eq!(level(usage(&weekly)), Level::Healthy);
        // monthly: one login, 30 days ago, is still within 30 days
        let day30 = LoginFacts {
            days_since_last: Some(30),
            active_weeks: 1,
            logins_30d: 1,
        };
        assert_eq!(usage(&day30), 45);
        assert_eq!(level(usage(&day30)), Level::Warning);
        // day 31: none in 30 days
        let day31 = LoginFacts {
            days_since_last: Some(31),
            active_weeks: 0,
            logins_30d: 0,
        };
        assert_eq!(usage(&day31), 0);
        assert_eq!(level(usage(&day31)), Level::Critical);
        assert_eq!(usage(&LoginFacts::default()), 0);
        let three = LoginFacts {
            days_since_last: Some(2),
            active_weeks: 3,
            logins_30d: 3,
        };
        assert_eq!(usage(&three), 75);
        let two = LoginFacts {
            days_since_last: Some(2),
            active_weeks: 2,
            logins_30d: 2,
        };
        assert_eq!(usage(&two), 60);
    }

    #[test]
    fn feature_depth_bands() {
        let f = |c, o| {
            engagement(&FeatureFacts {
                core_features: c,
                other_features: o,
            })
        };
        assert_eq!(f(3, 0), 100);
        assert_eq!(f(5, 2), 100);
        assert_eq!(f(2, 0), 85);
        assert_eq!(level(f(2, 0)), Level::Healthy);
        assert_eq!(f(1, 4), 65);
        assert_eq!(level(f(1, 4)), Level::Warning);
        assert_eq!(f(0, 1), 45);
        assert_eq!(level(f(0, 1)), Level::Warning);
        assert_eq!(f(0, 0), 0);
        assert_eq!(level(f(0, 0)), Level::Critical);
    }

    #[test]
    fn promoter_nine_passive_eight_detractor_six() {
        let with = |n| {
            satisfaction(&SatisfactionFacts {
                nps: Some(n),
                ..Default::default()
            })
        };
        assert_eq!(with(10), 100);
        assert_eq!(with(9), 100);
        assert_eq!(level(with(9)), Level::Healthy);
        assert_eq!(with(8), 70);
        assert_eq!(level(with(8)), Level::Warning);
        assert_eq!(with(7), 70);
        assert_eq!(with(6), 30);
        assert_eq!(level(with(6)), Level::Critical);
        assert_eq!(with(0), 0);
    }

    #[test]
    fn feedback_combines_nps_and_csat() {
        let f = SatisfactionFacts {
            nps: Some(9),
            csat: Some(3),
            ..Default::default()
        };
        assert_eq!(feedback_value(&f), 75);
        assert_eq!(feedback_value(&SatisfactionFacts::default()), 70);
        assert_eq!(csat_value(5), 100);
        assert_eq!(csat_value(4), 80);
        assert_eq!(csat_value(1), 0);
    }

    #[test]
    fn ticket_load_bands_and_worst_of() {
        let s = |t30, open, breached| SatisfactionFacts {
            nps: Some(10),
            tickets_30d: t30,
            open_tickets: open,
            breached_open: breached,
            ..Default::default()
        };
        assert_eq!(satisfaction(&s(2, 1, 0)), 100);
        assert_eq!(satisfaction(&s(3, 0, 0)), 60);
        assert_eq!(satisfaction(&s(0, 2, 0)), 60);
        assert_eq!(satisfaction(&s(1, 1, 1)), 60);
        assert_eq!(satisfaction(&s(5, 3, 1)), 60);
        assert_eq!(satisfaction(&s(6, 0, 0)), 20);
        assert_eq!(satisfaction(&s(0, 4, 0)), 20);
        assert_eq!(satisfaction(&s(2, 2, 2)), 20);
    }

    #[test]
    fn payment_is_binary() {
        assert_eq!(payment(PaymentStatus::Current), 100);
        assert_eq!(payment(PaymentStatus::Late), 0);
        assert_eq!(payment(PaymentStatus::Failed), 0);
        assert_eq!(payment_level(PaymentStatus::Late), Level::Warning);
        assert_eq!(payment_level(PaymentStatus::Failed), Level::Critical);
    }

    #[test]
    fn evaluate_end_to_end() {
        let f = HealthFacts {
            logins: LoginFacts {
                days_since_last: Some(1),
                active_weeks: 4,
                logins_30d: 20,
            },
            features: FeatureFacts {
                core_features: 3,
                other_features: 1,
            },
            satisfaction: SatisfactionFacts {
                nps: Some(9),
                ..Default::default()
            },
            payment: PaymentStatus::Current,
        };
        let h = rules().evaluate(&f);
        assert_eq!(h.score, 100);
        assert_eq!(h.tier, Tier::Healthy);
        let f = HealthFacts {
            payment: PaymentStatus::Failed,
            ..f
        };
        assert_eq!(rules().evaluate(&f).score, 90);
        let nothing = HealthFacts::default();
        // no usage, no features, no feedback (70) and no tickets, paying
        let h = rules().evaluate(&nothing);
        assert_eq!(h.components.satisfaction, 70);
        assert_eq!(h.score, 24);
        assert_eq!(h.tier, Tier::Critical);
    }

    #[test]
    fn readings_cover_the_signal_table() {
        let f = HealthFacts {
            payment: PaymentStatus::Late,
            ..Default::default()
        };
        let r = signal_readings(&f);
        assert_eq!(r.len(), 5);
        assert_eq!(r[0].level, Level::Critical);
        assert_eq!(r[1].reading, "setup only: no feature use in 30 days");
        assert_eq!(r[4].level, Level::Warning);
    }
}
