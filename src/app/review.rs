//! The daily review: one ordered list built from what the cockpit already loaded.

use super::data::Snapshot;
use crate::domain::health::HealthRules;
use crate::domain::{HOUR, Step, Tier, Timestamp};

/// What an item is about, in review order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ReviewKind {
    Breached,
    SoonToBreach,
    FollowUpDue,
    DroppedTier,
    Critical,
    TaskDue,
}

impl ReviewKind {
    pub fn label(self) -> &'static str {
        match self {
            ReviewKind::Breached => "BREACHED",
            ReviewKind::SoonToBreach => "DUE SOON",
            ReviewKind::FollowUpDue => "FOLLOW UP",
            ReviewKind::DroppedTier => "DROPPED",
            ReviewKind::Critical => "CRITICAL",
            ReviewKind::TaskDue => "TASK",
        }
    }
}

/// What the item points at, so the right detail can be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Ticket(i64),
    Account(i64),
    Task(i64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewItem {
    /// Stable key, stored when the item is marked reviewed.
    pub key: String,
    pub kind: ReviewKind,
    pub target: Target,
    pub title: String,
    pub tier: Option<Tier>,
    /// The task the item is, when it is one.
    pub task: Option<i64>,
}

/// Soon means within this many seconds.
pub const SOON: i64 = 2 * HOUR;

pub fn build(s: &Snapshot, rules: &HealthRules, now: Timestamp) -> Vec<ReviewItem> {
    let mut items = Vec::new();
    let tier_of = |account: i64| {
        s.accounts
            .iter()
            .find(|a| a.id == account)
            .and_then(|a| a.score)
            .map(|x| rules.tier(x))
    };
    for t in &s.tickets {
        if t.is_snoozed(now) {
            continue;
        }
        let kind = match t.next_due {
            Some(due) if due < now => Some(ReviewKind::Breached),
            Some(due) if due - now <= SOON => Some(ReviewKind::SoonToBreach),
            _ if t.step == Step::FollowUp => Some(ReviewKind::FollowUpDue),
            _ => None,
        };
        if let Some(kind) = kind {
            items.push(ReviewItem {
                key: format!("ticket:{}:{}", t.id, kind.label()),
                kind,
                target: Target::Ticket(t.id),
                title: format!("#{} {} — {}", t.id, t.subject, t.account_name),
                tier: tier_of(t.account_id),
                task: None,
            });
        }
    }
    for a in &s.accounts {
        let Some(score) = a.score else { continue };
        let tier = rules.tier(score);
        let dropped = s
            .before_today
            .get(&a.id)
            .map(|b| rules.tier(*b))
            .filter(|before| *before < tier);
        if let Some(before) = dropped {
            items.push(ReviewItem {
                key: format!("account:{}:dropped", a.id),
                kind: ReviewKind::DroppedTier,
                target: Target::Account(a.id),
                title: format!("{} dropped from {} to {}", a.name, before.label(), tier.label()),
                tier: Some(tier),
                task: None,
            });
        } else if tier == Tier::Critical {
            items.push(ReviewItem {
                key: format!("account:{}:critical", a.id),
                kind: ReviewKind::Critical,
                target: Target::Account(a.id),
                title: format!("{} is Critical ({score})", a.name),
                tier: Some(tier),
                task: None,
            });
        }
    }
    for t in &s.tasks_due {
        items.push(ReviewItem {
            key: format!("task:{}", t.id),
            kind: ReviewKind::TaskDue,
            target: t.account_id.map(Target::Account).unwrap_or(Target::Task(t.id)),
            title: format!(
                "{} (due {}){}",
                t.title,
                t.due_date,
                t.account_name.as_deref().map(|n| format!(" — {n}")).unwrap_or_default()
            ),
            tier: None,
            task: Some(t.id),
        });
    }
    // stable: kind first, then the order they were found in (urgency for tickets)
    items.sort_by_key(|i| i.kind);
    items
}
