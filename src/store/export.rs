//! Exports: every row of a table, streamed, in the form `tend import` reads back.
//!
//! Column names are the import's field names, times are RFC 3339 UTC, money is in units with
//! two decimals, and records are named by their external id (or `tend:ID` when they have none),
//! so an export imported into another database gives the same data.

use super::{Result, Store, StoreError};
use crate::domain::Timestamp;
use rusqlite::Row;
use serde::Serialize;

fn time(t: Option<Timestamp>) -> String {
    t.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn opt(s: Option<String>) -> String {
    s.unwrap_or_default()
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct AccountExport {
    pub external_id: String,
    pub name: String,
    pub segment: String,
    pub plan: String,
    pub mrr: String,
    pub stage: String,
    pub owner: String,
    pub signup_date: String,
    pub renewal_date: String,
    pub status: String,
    pub churned_on: String,
    pub churn_reason: String,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ContactExport {
    pub external_id: String,
    pub account: String,
    pub name: String,
    pub email: String,
    pub role: String,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct TicketExport {
    pub external_id: String,
    pub account: String,
    pub contact_email: String,
    pub contact_name: String,
    pub subject: String,
    pub body: String,
    pub channel: String,
    pub priority: String,
    pub step: String,
    pub tags: String,
    pub assignee: String,
    pub opened_at: String,
    pub first_response_at: String,
    pub resolved_at: String,
    pub closed_at: String,
    pub waiting_since: String,
    pub csat: String,
    pub support_tier: i64,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct SignalExport {
    pub external_id: String,
    pub account: String,
    pub contact_email: String,
    pub event: String,
    pub at: String,
    pub feature: String,
    pub core: String,
    pub value: String,
    pub payment: String,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct InvestigationExport {
    pub id: i64,
    pub account: String,
    pub ticket: String,
    pub situation: String,
    pub goal: String,
    pub customer_impact: String,
    pub relationship_impact: String,
    pub scalability: String,
    pub resource_efficiency: String,
    pub process_fit: String,
    pub priority: String,
    pub status: String,
    pub health_at_start: String,
    pub follow_up_due: String,
    pub actor: String,
    pub created_at: String,
    pub updated_at: String,
    /// The form's answers and output table, as the JSON tend stores.
    pub answers: String,
}

const ACCOUNT_KEY: &str = "coalesce(a.external_id, 'tend:' || a.id)";

impl Store {
    fn each<T>(
        &self,
        sql: &str,
        map: impl Fn(&Row) -> rusqlite::Result<T>,
        mut f: impl FnMut(T) -> std::io::Result<()>,
    ) -> Result<usize> {
        let mut stmt = self.conn.prepare(sql)?;
        let mut rows = stmt.query([])?;
        let mut n = 0;
        while let Some(row) = rows.next()? {
            f(map(row)?).map_err(|source| StoreError::Write {
                what: "the export".into(),
                source,
            })?;
            n += 1;
        }
        Ok(n)
    }

    pub fn export_accounts(&self, f: impl FnMut(AccountExport) -> std::io::Result<()>) -> Result<usize> {
        self.each(
            &format!(
                "SELECT {ACCOUNT_KEY}, a.name, a.segment, a.plan, a.mrr_cents, a.stage, a.owner, a.signup_date, \
                 a.renewal_date, a.status, a.churned_on, a.churn_reason FROM accounts a ORDER BY a.id"
            ),
            |r| {
                Ok(AccountExport {
                    external_id: r.get(0)?,
                    name: r.get(1)?,
                    segment: r.get(2)?,
                    plan: r.get(3)?,
                    mrr: money(r.get(4)?),
                    stage: r.get(5)?,
                    owner: opt(r.get(6)?),
                    signup_date: r.get(7)?,
                    renewal_date: opt(r.get(8)?),
                    status: r.get(9)?,
                    churned_on: opt(r.get(10)?),
                    churn_reason: opt(r.get(11)?),
                })
            },
            f,
        )
    }

    pub fn export_contacts(&self, f: impl FnMut(ContactExport) -> std::io::Result<()>) -> Result<usize> {
        self.each(
            &format!(
                "SELECT c.external_id, {ACCOUNT_KEY}, c.name, c.email, c.role FROM contacts c \
                 JOIN accounts a ON a.id = c.account_id ORDER BY c.id"
            ),
            |r| {
                Ok(ContactExport {
                    external_id: opt(r.get(0)?),
                    account: r.get(1)?,
                    name: r.get(2)?,
                    email: opt(r.get(3)?),
                    role: opt(r.get(4)?),
                })
            },
            f,
        )
    }

    pub fn export_tickets(&self, f: impl FnMut(TicketExport) -> std::io::Result<()>) -> Result<usize> {
        self.each(
            &format!(
                "SELECT coalesce(t.external_id, 'tend:' || t.id), {ACCOUNT_KEY}, c.email, c.name, t.subject, t.body, \
                 t.channel, t.priority, t.step, t.tags, t.assignee, t.opened_at, t.first_response_at, t.resolved_at, \
                 t.closed_at, t.waiting_since, t.csat, t.support_tier \
                 FROM tickets t JOIN accounts a ON a.id = t.account_id LEFT JOIN contacts c ON c.id = t.contact_id \
                 ORDER BY t.id"
            ),
            |r| {
                Ok(TicketExport {
                    external_id: r.get(0)?,
                    account: r.get(1)?,
                    contact_email: opt(r.get(2)?),
                    contact_name: opt(r.get(3)?),
                    subject: r.get(4)?,
                    body: r.get(5)?,
                    channel: r.get(6)?,
                    priority: r.get(7)?,
                    step: r.get(8)?,
                    tags: r.get(9)?,
                    assignee: opt(r.get(10)?),
                    opened_at: time(r.get(11)?),
                    first_response_at: time(r.get(12)?),
                    resolved_at: time(r.get(13)?),
                    closed_at: time(r.get(14)?),
                    waiting_since: time(r.get(15)?),
                    csat: r.get::<_, Option<i64>>(16)?.map(|c| c.to_string()).unwrap_or_default(),
                    support_tier: r.get(17)?,
                })
            },
            f,
        )
    }

    pub fn export_signals(&self, f: impl FnMut(SignalExport) -> std::io::Result<()>) -> Result<usize> {
        self.each(
            &format!(
                "SELECT s.external_id, {ACCOUNT_KEY}, c.email, s.kind, s.at, s.feature, s.core, s.score, s.payment \
                 FROM signals s JOIN accounts a ON a.id = s.account_id LEFT JOIN contacts c ON c.id = s.contact_id \
                 ORDER BY s.id"
            ),
            |r| {
                Ok(SignalExport {
                    external_id: opt(r.get(0)?),
                    account: r.get(1)?,
                    contact_email: opt(r.get(2)?),
                    event: r.get(3)?,
                    at: time(r.get(4)?),
                    feature: opt(r.get(5)?),
                    core: match r.get::<_, Option<i64>>(6)? {
                        Some(1) => "yes".into(),
                        Some(_) => "no".into(),
                        None => String::new(),
                    },
                    value: r.get::<_, Option<i64>>(7)?.map(|v| v.to_string()).unwrap_or_default(),
                    payment: opt(r.get(8)?),
                })
            },
            f,
        )
    }

    pub fn export_investigations(&self, f: impl FnMut(InvestigationExport) -> std::io::Result<()>) -> Result<usize> {
        self.each(
            "SELECT i.id, coalesce(a.external_id, 'tend:' || a.id), coalesce(t.external_id, 'tend:' || t.id), \
             i.situation, i.goal, i.customer_impact, i.relationship_impact, i.scalability, i.resource_efficiency, \
             i.process_fit, i.priority, i.status, i.health_at_start, i.follow_up_due, i.actor, i.created_at, \
             i.updated_at, i.answers \
             FROM investigations i LEFT JOIN accounts a ON a.id = i.account_id LEFT JOIN tickets t ON t.id = i.ticket_id \
             ORDER BY i.id",
            |r| {
                Ok(InvestigationExport {
                    id: r.get(0)?,
                    account: opt(r.get(1)?),
                    ticket: opt(r.get(2)?),
                    situation: opt(r.get(3)?),
                    goal: r.get(4)?,
                    customer_impact: opt(r.get(5)?),
                    relationship_impact: opt(r.get(6)?),
                    scalability: opt(r.get(7)?),
                    resource_efficiency: opt(r.get(8)?),
                    process_fit: opt(r.get(9)?),
                    priority: opt(r.get(10)?),
                    status: r.get(11)?,
                    health_at_start: r.get::<_, Option<i64>>(12)?.map(|v| v.to_string()).unwrap_or_default(),
                    follow_up_due: opt(r.get(13)?),
                    actor: r.get(14)?,
                    created_at: time(r.get(15)?),
                    updated_at: time(r.get(16)?),
                    answers: r.get(17)?,
                })
            },
            f,
        )
    }
}
