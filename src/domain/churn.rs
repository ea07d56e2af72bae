//! Churn warning signs, read from an account's recent signals and tickets.

use super::PaymentStatus;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WarningSign {
    UsageDrop,
    SupportSpike,
    NegativeFeedback,
    PaymentFailure,
    FeatureRequests,
}

impl WarningSign {
    pub fn label(self) -> &'static str {
        match self {
            WarningSign::UsageDrop => "Usage drop",
            WarningSign::SupportSpike => "Support spike",
            WarningSign::NegativeFeedback => "Negative feedback",
            WarningSign::PaymentFailure => "Payment failure",
            WarningSign::FeatureRequests => "Repeated feature requests",
        }
    }
}

/// The facts the warning signs read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChurnFacts {
    /// Logins in the last 30 days and in the 30 days before those.
    pub logins_last_30d: u32,
    pub logins_prior_30d: u32,
    /// Tickets opened in the last 7 days and in the 28 days before those.
    pub tickets_last_7d: u32,
    pub tickets_prior_28d: u32,
    /// The lowest NPS (0-10) and CSAT (1-5) answers in the last 30 days.
    pub worst_nps_30d: Option<u32>,
    pub worst_csat_30d: Option<u32>,
    pub payment: PaymentStatus,
    /// Tickets tagged as feature requests in the last 90 days.
    pub feature_requests_90d: u32,
}

impl Default for ChurnFacts {
    fn default() -> Self {
        ChurnFacts {
            logins_last_30d: 0,
            logins_prior_30d: 0,
            tickets_last_7d: 0,
            tickets_prior_28d: 0,
            worst_nps_30d: None,
            worst_csat_30d: None,
            payment: PaymentStatus::Current,
            feature_requests_90d: 0,
        }
    }
}

/// The signs present:
/// - usage drop: at least 4 logins in the prior 30 days, and the last 30 days have half or fewer;
/// - support spike: 3 or more tickets in the last 7 days, at least twice the prior weekly average;
/// - negative feedback: a detractor NPS (0-6) or a CSAT of 2 or less in the last 30 days;
/// - payment failure: the latest payment status is failed;
/// - feature requests: 2 or more tickets tagged `feature-request` in 90 days.
pub fn warning_signs(f: &ChurnFacts) -> Vec<WarningSign> {
    let mut signs = Vec::new();
    if f.logins_prior_30d >= 4 && f.logins_last_30d * 2 <= f.logins_prior_30d {
        signs.push(WarningSign::UsageDrop);
    }
    // 7-day count >= 2 x (prior 28 days / 4), kept in integers
    if f.tickets_last_7d >= 3 && f.tickets_last_7d * 2 >= f.tickets_prior_28d {
        signs.push(WarningSign::SupportSpike);
    }
    if f.worst_nps_30d.is_some_and(|n| n <= 6) || f.worst_csat_30d.is_some_and(|c| c <= 2) {
        signs.push(WarningSign::NegativeFeedback);
    }
    if f.payment == PaymentStatus::Failed {
        signs.push(WarningSign::PaymentFailure);
    }
    if f.feature_requests_90d >= 2 {
        signs.push(WarningSign::FeatureRequests);
    }
    signs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signs(f: ChurnFacts) -> Vec<WarningSign> {
        warning_signs(&f)
    }

    #[test]
    fn quiet_account_has_no_signs() {
        assert!(signs(ChurnFacts::default()).is_empty());
    }

    #[test]
    fn usage_drop_at_half() {
        let base = ChurnFacts {
            logins_prior_30d: 10,
            ..Default::default()
        };
        assert_eq!(
            signs(ChurnFacts {
                logins_last_30d: 5,
                ..base
            }),
            vec![WarningSign::UsageDrop]
        );
        assert!(
            signs(ChurnFacts {
                logins_last_30d: 6,
                ..base
            })
            .is_empty()
        );
        // too few logins before to call it a drop
        assert!(
            signs(ChurnFacts {
                logins_prior_30d: 3,
                logins_last_30d: 0,
                ..base
            })
            .is_empty()
        );
    }

    #[test]
    fn support_spike_against_the_weekly_average() {
        let s = |last, prior| {
            signs(ChurnFacts {
                tickets_last_7d: last,
                tickets_prior_28d: prior,
                ..Default::default()
            })
        };
        assert_eq!(s(3, 0), vec![WarningSign::SupportSpike]);
        assert_eq!(s(3, 6), vec![WarningSign::SupportSpike]); // average 1.5 a week, 3 is twice it
        assert!(s(3, 7).is_empty());
        assert!(s(2, 0).is_empty());
    }

    #[test]
    fn negative_feedback_payment_and_requests() {
        assert_eq!(
            signs(ChurnFacts {
                worst_nps_30d: Some(6),
                ..Default::default()
            }),
            vec![WarningSign::NegativeFeedback]
        );
        assert!(
            signs(ChurnFacts {
                worst_nps_30d: Some(7),
                ..Default::default()
            })
            .is_empty()
        );
        assert_eq!(
            signs(ChurnFacts {
                worst_csat_30d: Some(2),
                ..Default::default()
            }),
            vec![WarningSign::NegativeFeedback]
        );
        assert!(
            signs(ChurnFacts {
                worst_csat_30d: Some(3),
                ..Default::default()
            })
            .is_empty()
        );
        assert_eq!(
            signs(ChurnFacts {
                payment: PaymentStatus::Failed,
                ..Default::default()
            }),
            vec![WarningSign::PaymentFailure]
        );
        assert!(
            signs(ChurnFacts {
                payment: PaymentStatus::Late,
                ..Default::default()
            })
            .is_empty()
        );
        assert_eq!(
            signs(ChurnFacts {
                feature_requests_90d: 2,
                ..Default::default()
            }),
            vec![WarningSign::FeatureRequests]
        );
        assert!(
            signs(ChurnFacts {
                feature_requests_90d: 1,
                ..Default::default()
            })
            .is_empty()
        );
    }
}
