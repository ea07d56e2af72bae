//! Alert triggers: what an account's health, warning signs and renewal date call for, as a
//! playbook task with a due date. One open task per cause: the store refuses a second.

use super::Tier;
use super::churn::WarningSign;
use chrono::NaiveDate;

/// A renewal this close (in days) calls for a renewal review.
pub const RENEWAL_WINDOW_DAYS: i64 = 60;
/// Every playbook an alert can start: each must exist (a test checks the shipped set).
pub const PLAYBOOKS: &[&str] = &["at-risk-recovery", "upsell", "dunning", "advocacy", "qbr"];

/// A cause handled this recently (in days) is not raised again.
pub const COOLDOWN_DAYS: i64 = 30;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// What raised it; one open task per account and cause.
    pub cause: String,
    pub title: &'static str,
    pub playbook: &'static str,
    /// The template the task opens, when it sends a message.
    pub template: Option<&'static str>,
    pub due: NaiveDate,
}

/// The alerts an account's state raises on `today`.
pub fn alerts(tier: Option<Tier>, signs: &[WarningSign], renewal: Option<NaiveDate>, today: NaiveDate) -> Vec<Alert> {
    let in_days = |d: i64| today + chrono::Duration::days(d);
    let mut out = Vec::new();
    let mut push = |cause: &str, title, playbook, template, due| {
        out.push(Alert {
            cause: cause.to_string(),
            title,
            playbook,
            template,
            due,
        })
    };
    match tier {
        Some(Tier::AtRisk) => push(
            "tier:at-risk",
            "Proactive outreach",
            "at-risk-recovery",
            None,
            in_days(0),
        ),
        Some(Tier::Critical) => push("tier:critical", "Intervention", "at-risk-recovery", None, in_days(0)),
        Some(Tier::Healthy) => push("tier:healthy", "Expansion opportunity", "upsell", None, in_days(7)),
        Some(Tier::Neutral) | None => {}
    }
    for s in signs {
        match s {
            WarningSign::UsageDrop => push(
                "usage-drop",
                "Re-engagement email",
                "at-risk-recovery",
                Some("winback-noticed"),
                in_days(0),
            ),
            WarningSign::SupportSpike => push(
                "support-spike",
                "Personal outreach",
                "at-risk-recovery",
                None,
                in_days(0),
            ),
            WarningSign::NegativeFeedback => push(
                "negative-feedback",
                "One-to-one call",
                "at-risk-recovery",
                None,
                in_days(1),
            ),
            WarningSign::PaymentFailure => push("payment-failure", "Dunning sequence", "dunning", None, in_days(0)),
            WarningSign::FeatureRequests => push(
                "feature-requests",
                "Roadmap communication",
                "advocacy",
                None,
                in_days(7),
            ),
        }
    }
    if let Some(r) = renewal {
        let until = (r - today).num_days();
        if (0..=RENEWAL_WINDOW_DAYS).contains(&until) {
            // a month before the renewal, or now when it is closer
            let due = (r - chrono::Duration::days(30)).max(today);
            push(&format!("renewal:{r}"), "Renewal review (QBR)", "qbr", None, due);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn tiers_raise_their_playbook() {
        let t = day("2026-11-22");
        let causes = |tier| {
            alerts(Some(tier), &[], None, t)
                .into_iter()
                .map(|a| a.cause)
                .collect::<Vec<_>>()
        };
        assert_eq!(causes(Tier::AtRisk), vec!["tier:at-risk"]);
        assert_eq!(causes(Tier::Critical), vec!["tier:critical"]);
        assert_eq!(causes(Tier::Healthy), vec!["tier:healthy"]);
        assert!(causes(Tier::Neutral).is_empty());
        let h = &alerts(Some(Tier::Healthy), &[], None, t)[0];
        assert_eq!(
            (h.title, h.playbook, h.due),
            ("Expansion opportunity", "upsell", day("2026-11-29"))
        );
        assert!(alerts(None, &[], None, t).is_empty());
    }

    #[test]
    fn each_warning_sign_raises_its_action() {
        let t = day("2026-11-22");
        let all = [
            WarningSign::UsageDrop,
            WarningSign::SupportSpike,
            WarningSign::NegativeFeedback,
            WarningSign::PaymentFailure,
            WarningSign::FeatureRequests,
        ];
        let a = alerts(Some(Tier::Neutral), &all, None, t);
        let got: Vec<(&str, &str)> = a.iter().map(|a| (a.cause.as_str(), a.title)).collect();
        assert_eq!(
            got,
            vec![
                ("usage-drop", "Re-engagement email"),
                ("support-spike", "Personal outreach"),
                ("negative-feedback", "One-to-one call"),
                ("payment-failure", "Dunning sequence"),
                ("feature-requests", "Roadmap communication"),
            ]
        );
        assert_eq!(a[0].template, Some("winback-noticed"));
        assert_eq!(a[2].due, day("2026-11-23"));
    }

    #[test]
    fn renewal_window_boundaries() {
        let t = day("2026-11-22");
        let renewal = |r: &str| alerts(None, &[], Some(day(r)), t);
        // 60 days out: raised, due 30 days before
        let a = renewal("2027-01-21");
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].cause, "renewal:2027-01-21");
        assert_eq!(a[0].due, day("2026-12-22"));
        // 61 days out: not yet
        assert!(renewal("2027-01-22").is_empty());
        // 10 days out: due today
        assert_eq!(renewal("2026-12-02")[0].due, t);
        // today: still raised; yesterday: passed
        assert_eq!(renewal("2026-11-22").len(), 1);
        assert!(renewal("2026-11-21").is_empty());
    }
}
