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

/// The items of one kind the cockpit holds at most, besides those already marked reviewed: a
/// review of hundreds of thousands of items (a large book on a bad day) would cost memory and
/// time to hold, and no one walks it item by item. The rest are counted, and come as these
/// are reviewed.
pub const SHOWN_PER_KIND: usize = 300;

/// The day's review as the cockpit holds it: the items, and how many of each kind are not held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Review {
    pub items: Vec<ReviewItem>,
    /// Items of each kind beyond what is held (none when the kind is held whole).
    pub more: std::collections::BTreeMap<ReviewKind, usize>,
}

impl Review {
    /// Every item of the day, held or not.
    pub fn total(&self) -> usize {
        self.items.len() + self.more.values().sum::<usize>()
    }
}

/// Builds the day's review from its candidates, one at a time, keeping at most `cap` items of
/// each kind that are not yet reviewed (and every reviewed one, so the count of those is right).
pub struct Collector<'a> {
    rules: &'a HealthRules,
    now: Timestamp,
    reviewed: &'a std::collections::HashSet<String>,
    cap: usize,
    held: [usize; 6],
    review: Review,
}

impl<'a> Collector<'a> {
    pub fn new(
        rules: &'a HealthRules,
        now: Timestamp,
        reviewed: &'a std::collections::HashSet<String>,
        cap: usize,
    ) -> Collector<'a> {
        Collector {
            rules,
            now,
            reviewed,
            cap,
            held: [0; 6],
            review: Review::default(),
        }
    }

    fn push(&mut self, kind: ReviewKind, key: String, make: impl FnOnce(String) -> ReviewItem) {
        let held = &mut self.held[kind as usize];
        if self.reviewed.contains(&key) || *held < self.cap {
            if !self.reviewed.contains(&key) {
                *held += 1;
            }
            self.review.items.push(make(key));
        } else {
            *self.review.more.entry(kind).or_insert(0) += 1;
        }
    }

    /// An open ticket near or past a clock, or at Follow up (others are not review items).
    pub fn ticket(&mut self, t: &ReviewTicket) {
        let kind = match t.next_due {
            Some(due) if due < self.now => ReviewKind::Breached,
            Some(due) if due - self.now <= SOON => ReviewKind::SoonToBreach,
            _ if t.step == Step::FollowUp => ReviewKind::FollowUpDue,
            _ => return,
        };
        let tier = t.account_score.map(|x| self.rules.tier(x));
        self.push(kind, format!("ticket:{}:{}", t.id, kind.label()), |key| ReviewItem {
            key,
            kind,
            target: Target::Ticket(t.id),
            title: format!("#{} {} — {}", t.id, t.subject, t.account_name),
            tier,
            task: None,
        });
    }

    /// An account that dropped a tier since its last snapshot, or is Critical.
    pub fn account(&mut self, a: &ReviewAccount) {
        let tier = self.rules.tier(a.score);
        let dropped = a.before.map(|b| self.rules.tier(b)).filter(|before| *before < tier);
        let (name, id, score) = (&a.name, a.id, a.score);
        if let Some(before) = dropped {
            self.push(ReviewKind::DroppedTier, format!("account:{id}:dropped"), |key| {
                ReviewItem {
                    key,
                    kind: ReviewKind::DroppedTier,
                    target: Target::Account(id),
                    title: format!("{name} dropped from {} to {}", before.label(), tier.label()),
                    tier: Some(tier),
                    task: None,
                }
            });
        } else if tier == Tier::Critical {
            self.push(ReviewKind::Critical, format!("account:{id}:critical"), |key| {
                ReviewItem {
                    key,
                    kind: ReviewKind::Critical,
                    target: Target::Account(id),
                    title: format!("{name} is Critical ({score})"),
                    tier: Some(tier),
                    task: None,
                }
            });
        }
    }

    /// A task due.
    pub fn task(&mut self, t: &Task) {
        self.push(ReviewKind::TaskDue, format!("task:{}", t.id), |key| ReviewItem {
            key,
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

    /// The review in order: kind first, then the order they were found in (urgency for tickets).
    pub fn finish(mut self) -> Review {
        self.review.items.sort_by_key(|i| i.kind);
        self.review
    }
}

/// The day's review from its candidates, whole: open tickets near or past a clock or at
/// Follow up, accounts that are Critical or dropped a tier, and tasks due.
pub fn build(
    tickets: &[ReviewTicket],
    accounts: &[ReviewAccount],
    tasks: &[Task],
    rules: &HealthRules,
    now: Timestamp,
) -> Vec<ReviewItem> {
    let none = std::collections::HashSet::new();
    let mut c = Collector::new(rules, now, &none, usize::MAX);
    tickets.iter().for_each(|t| c.ticket(t));
    accounts.iter().for_each(|a| c.account(a));
    tasks.iter().for_each(|t| c.task(t));
    c.finish().items
}
