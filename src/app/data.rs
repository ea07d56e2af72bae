//! What the cockpit reads and writes, run off the render path (in the worker thread, or
//! directly for `tend screen`). The store does the SQL; this turns requests into replies.

use crate::domain::health::{self, Health, HealthRules, SignalReading};
use crate::domain::sla::SlaTargets;
use crate::domain::{DAY, Timestamp, churn};
use crate::store::{
    Account, AccountFilter, Contact, SignalRow, Snapshot as HealthSnapshot, Store, Task, Ticket, TicketEvent,
    TicketFilter, day_of,
};
use std::collections::{HashMap, HashSet};

/// Everything the lists and the daily review show.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub accounts: Vec<Account>,
    /// Each account's score at the start of the 30-day trend.
    pub trend_from: HashMap<i64, u32>,
    /// Each account's score at the last snapshot before today.
    pub before_today: HashMap<i64, u32>,
    /// Open tickets, snoozed ones included (the views filter).
    pub tickets: Vec<Ticket>,
    pub tasks_due: Vec<Task>,
    pub reviewed: HashSet<String>,
    pub day: String,
    pub data_version: i64,
}

#[derive(Debug, Clone)]
pub struct AccountDetail {
    pub account: Account,
    pub health: Health,
    pub readings: Vec<SignalReading>,
    pub warning_signs: Vec<churn::WarningSign>,
    pub contacts: Vec<Contact>,
    pub open_tickets: Vec<Ticket>,
    pub tasks: Vec<Task>,
    pub history: Vec<HealthSnapshot>,
    pub recent_signals: Vec<SignalRow>,
    /// The latest entries of the account's ticket timelines, with their ticket id.
    pub ticket_events: Vec<(i64, TicketEvent)>,
}

#[derive(Debug, Clone)]
pub struct TicketDetail {
    pub ticket: Ticket,
    pub checklist: Vec<bool>,
    pub events: Vec<TicketEvent>,
}

/// A change to a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketOp {
    SetItem { item: usize, done: bool },
    Advance { reason: Option<String> },
    Back { reason: String },
    Escalate { reason: String },
    Note { text: String },
    Wait,
    Resume,
    Snooze { until: Option<Timestamp> },
}

/// A request to the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmd {
    LoadAll,
    LoadAccount(i64),
    LoadTicket(i64),
    Ticket(i64, TicketOp),
    MarkReviewed {
        day: String,
        item: String,
        reviewed: bool,
    },
    LoadDemo,
    /// Check whether another process changed the database; reload if so.
    Poll,
}

/// One part of the snapshot, reloaded alone when only it changed.
#[derive(Debug, Clone)]
pub enum Part {
    Accounts {
        accounts: Vec<Account>,
        trend_from: HashMap<i64, u32>,
        before_today: HashMap<i64, u32>,
    },
    Tickets(Vec<Ticket>),
    Tasks(Vec<Task>),
}

/// A reply from the worker.
#[derive(Debug, Clone)]
pub enum Reply {
    Snapshot(Box<Snapshot>),
    /// What another process changed (possibly nothing listed: then only the details reload).
    Parts(Vec<Part>),
    Account(Box<AccountDetail>),
    Ticket(Box<TicketDetail>),
    Done(String),
    Failed(String),
}

fn load_accounts(store: &Store, now: Timestamp) -> crate::store::Result<Part> {
    let filter = AccountFilter {
        limit: None,
        ..Default::default()
    };
    Ok(Part::Accounts {
        accounts: store.accounts(&filter, &HealthRules::default())?,
        trend_from: store.scores_since(&day_of(now - 30 * DAY))?,
        before_today: store.scores_before(&day_of(now))?,
    })
}

/// Open tickets, snoozed ones included.
fn load_tickets(store: &Store, now: Timestamp) -> crate::store::Result<Vec<Ticket>> {
    let mut open = store.tickets(
        &TicketFilter {
            snoozed: false,
            all: false,
            ..Default::default()
        },
        now,
    )?;
    open.append(&mut store.tickets(
        &TicketFilter {
            snoozed: true,
            ..Default::default()
        },
        now,
    )?);
    Ok(open)
}

pub fn load_snapshot(store: &Store, now: Timestamp) -> crate::store::Result<Snapshot> {
    let day = day_of(now);
    let mut snap = Snapshot {
        tickets: load_tickets(store, now)?,
        tasks_due: store.tasks_due(&day, None)?,
        reviewed: store.review_marks(&day)?,
        day,
        data_version: store.data_version()?,
        ..Default::default()
    };
    snap.apply(load_accounts(store, now)?);
    Ok(snap)
}

impl Snapshot {
    pub fn apply(&mut self, part: Part) {
        match part {
            Part::Accounts {
                accounts,
                trend_from,
                before_today,
            } => {
                self.accounts = accounts;
                self.trend_from = trend_from;
                self.before_today = before_today;
            }
            Part::Tickets(t) => self.tickets = t,
            Part::Tasks(t) => self.tasks_due = t,
        }
    }
}

pub fn load_account(
    store: &Store,
    id: i64,
    now: Timestamp,
    rules: &HealthRules,
) -> crate::store::Result<AccountDetail> {
    let account = store.account(id)?;
    let facts = store.health_facts(id, now)?;
    Ok(AccountDetail {
        health: rules.evaluate(&facts),
        readings: health::signal_readings(&facts),
        warning_signs: churn::warning_signs(&store.churn_facts(id, now)?),
        contacts: store.contacts(id)?,
        open_tickets: store.tickets(
            &TicketFilter {
                account: Some(id),
                all: false,
                ..Default::default()
            },
            now,
        )?,
        tasks: store.tasks_due(&day_of(now + 365 * DAY), Some(id))?,
        history: store.health_history(id)?,
        recent_signals: store.recent_signals(id, 12)?,
        ticket_events: store.account_timeline(id, 12)?,
        account,
    })
}

pub fn load_ticket(store: &Store, id: i64) -> crate::store::Result<TicketDetail> {
    let ticket = store.ticket(id)?;
    Ok(TicketDetail {
        checklist: store.checklist(id, ticket.step)?,
        events: store.ticket_events(id)?,
        ticket,
    })
}

/// The worker's state: the store and the last change counter it saw.
pub struct Worker {
    pub store: Store,
    pub rules: HealthRules,
    pub sla: SlaTargets,
    pub demo: crate::demo::DemoOptions,
    last_version: Option<i64>,
    last_counters: Option<(i64, i64, i64)>,
    /// A frozen clock, when one was given.
    pub fixed_now: Option<Timestamp>,
}

impl Worker {
    pub fn new(store: Store, rules: HealthRules, sla: SlaTargets, fixed_now: Option<Timestamp>) -> Worker {
        Worker {
            store,
            rules,
            sla,
            demo: Default::default(),
            last_version: None,
            last_counters: None,
            fixed_now,
        }
    }

    fn now(&self) -> Timestamp {
        self.fixed_now.unwrap_or_else(|| chrono::Utc::now().timestamp())
    }

    fn snapshot(&mut self) -> Reply {
        self.last_counters = self.store.change_counters().ok();
        match load_snapshot(&self.store, self.now()) {
            Ok(s) => {
                self.last_version = Some(s.data_version);
                Reply::Snapshot(Box::new(s))
            }
            Err(e) => Reply::Failed(format!("Could not load: {e}")),
        }
    }

    /// Reload only the lists whose tables another process changed.
    fn changed_parts(&mut self, now: Timestamp) -> crate::store::Result<Vec<Part>> {
        let counters = self.store.change_counters()?;
        let before = self.last_counters.unwrap_or((-1, -1, -1));
        let mut parts = Vec::new();
        if counters.0 != before.0 {
            parts.push(load_accounts(&self.store, now)?);
        }
        if counters.1 != before.1 {
            parts.push(Part::Tickets(load_tickets(&self.store, now)?));
        }
        if counters.2 != before.2 {
            parts.push(Part::Tasks(self.store.tasks_due(&day_of(now), None)?));
        }
        self.last_counters = Some(counters);
        Ok(parts)
    }

    /// Carry out one request; the replies go back to the app in order.
    pub fn execute(&mut self, cmd: Cmd) -> Vec<Reply> {
        let now = self.now();
        match cmd {
            Cmd::LoadAll => vec![self.snapshot()],
            Cmd::Poll => match self.store.data_version() {
                Ok(v) if Some(v) != self.last_version => {
                    self.last_version = Some(v);
                    match self.changed_parts(now) {
                        Ok(parts) => vec![Reply::Parts(parts)],
                        Err(e) => vec![Reply::Failed(format!("Could not load others' changes: {e}"))],
                    }
                }
                Ok(_) => vec![],
                Err(e) => vec![Reply::Failed(format!("Could not check for changes: {e}"))],
            },
            Cmd::LoadAccount(id) => match load_account(&self.store, id, now, &self.rules) {
                Ok(d) => vec![Reply::Account(Box::new(d))],
                Err(e) => vec![Reply::Failed(e.to_string())],
            },
            Cmd::LoadTicket(id) => match load_ticket(&self.store, id) {
                Ok(d) => vec![Reply::Ticket(Box::new(d))],
                Err(e) => vec![Reply::Failed(e.to_string())],
            },
            Cmd::MarkReviewed { day, item, reviewed } => match self.store.set_review_mark(&day, &item, reviewed, now) {
                Ok(()) => vec![self.snapshot()],
                Err(e) => vec![Reply::Failed(format!("Could not save the review: {e}"))],
            },
            Cmd::LoadDemo => {
                let result = self
                    .store
                    .load_demo(&self.demo, &self.sla, now)
                    .and_then(|c| self.store.backfill_snapshots(&self.rules, now, 30).map(|_| c))
                    .and_then(|c| self.store.recompute_health(&self.rules, now).map(|_| c));
                match result {
                    Ok(c) => vec![
                        Reply::Done(format!(
                            "Loaded sample data: {} accounts, {} tickets, {} signals.",
                            c.accounts, c.tickets, c.signals
                        )),
                        self.snapshot(),
                    ],
                    Err(e) => vec![Reply::Failed(format!("Could not load the sample data: {e}"))],
                }
            }
            Cmd::Ticket(id, op) => {
                let s = &self.store;
                let result: crate::store::Result<String> = match &op {
                    TicketOp::SetItem { item, done } => s.set_checklist_item(id, *item, *done, now).map(|step| {
                        format!(
                            "#{id} {}: item {} {}",
                            step.label(),
                            item + 1,
                            if *done { "done" } else { "undone" }
                        )
                    }),
                    TicketOp::Advance { reason } => s.advance_ticket(id, reason.as_deref(), now).map(|m| {
                        format!(
                            "#{id}: {} -> {}{}",
                            m.from.label(),
                            m.to.label(),
                            if m.is_override() { " (checklist overridden)" } else { "" }
                        )
                    }),
                    TicketOp::Back { reason } => s
                        .move_ticket_back(id, Some(reason), now)
                        .map(|m| format!("#{id}: back from {} to {}", m.from.label(), m.to.label())),
                    TicketOp::Escalate { reason } => s
                        .escalate_ticket(id, Some(reason), now)
                        .map(|_| format!("#{id} escalated to tier 2")),
                    TicketOp::Note { text } => s.add_note(id, text, now).map(|_| format!("Note added to #{id}")),
                    TicketOp::Wait => s
                        .wait_on_customer(id, now)
                        .map(|_| format!("#{id} is waiting on the customer (resolution clock paused)")),
                    TicketOp::Resume => s.resume_ticket(id, now).map(|_| format!("#{id} is back in the queue")),
                    TicketOp::Snooze { until } => s.snooze_ticket(id, *until, now).map(|_| match until {
                        Some(u) => format!("#{id} snoozed until {}", crate::domain::format_time(*u)),
                        None => format!("#{id} snoozed until the customer replies"),
                    }),
                };
                match result {
                    Ok(msg) => {
                        let mut out = vec![Reply::Done(msg)];
                        if let Ok(d) = load_ticket(&self.store, id) {
                            out.push(Reply::Ticket(Box::new(d)));
                        }
                        out.push(self.snapshot());
                        out
                    }
                    Err(e) => vec![Reply::Failed(e.to_string())],
                }
            }
        }
    }
}
