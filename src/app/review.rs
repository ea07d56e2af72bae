//! The daily review: one ordered list built from what the cockpit already loaded.

use crate::domain::health::HealthRules;
use crate::domain::{HOUR, Step, Tier, Timestamp};
use crate::store::{ReviewAccount, ReviewTicket, Task};

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

/// The day's review from its candidates: open tickets near or past a clock or at Follow up,
/// accounts that are Critical or dropped a tier, and tasks due.
pub fn build(
    tickets: &[ReviewTicket],
    accounts: &[ReviewAccount],
    tasks: &[Task],
    rules: &HealthRules,
    now: Timestamp,
) -> Vec<ReviewItem> {
    let mut items = Vec::new();
    for t in tickets {
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
                tier: t.account_score.map(|x| rules.tier(x)),
                task: None,
            });
        }
    }
    for ReviewAccount {
        id,
        name,
        score,
        before,
    } in accounts
    {
        let tier = rules.tier(*score);
        let dropped = before.map(|b| rules.tier(b)).filter(|before| *before < tier);
        if let Some(before) = dropped {
            items.push(ReviewItem {
                key: format!("account:{id}:dropped"),
                kind: ReviewKind::DroppedTier,
                target: Target::Account(*id),
                title: format!("{name} dropped from {} to {}", before.label(), tier.label()),
                tier: Some(tier),
                task: None,
            });
        } else if tier == Tier::Critical {
            items.push(ReviewItem {
                key: format!("account:{id}:critical"),
                kind: ReviewKind::Critical,
                target: Target::Account(*id),
                title: format!("{name} is Critical ({score})"),
                tier: Some(tier),
                task: None,
            });
        }
    }
    for t in tasks {
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
