//! Intent-First investigations, their follow-up tasks, the CS debt log, and outcomes.

use super::{Result, Store, StoreError, day_of};
use crate::domain::investigation::{Answers, Outcome};
use crate::domain::{DAY, Timestamp};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

/// What the form is prefilled from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvestigationFacts {
    pub account_id: i64,
    pub account_name: String,
    pub stage: String,
    pub health: Option<u32>,
    pub health_30_days_ago: Option<u32>,
    pub tickets_total: i64,
    pub tickets_open: i64,
    /// (id, subject, opened day), newest first.
    pub recent_tickets: Vec<(i64, String, String)>,
    /// (score, day)
    pub last_nps: Option<(i64, String)>,
    pub past_investigations: i64,
    pub ticket: Option<(i64, String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvestigationRow {
    pub id: i64,
    pub account_id: Option<i64>,
    pub account_name: Option<String>,
    pub ticket_id: Option<i64>,
    pub situation: Option<String>,
    pub goal: String,
    pub priority: Option<String>,
    pub status: String,
    pub health_at_start: Option<u32>,
    pub health_now: Option<u32>,
    pub follow_up_due: Option<String>,
    pub actor: String,
    pub created_at: Timestamp,
    pub answers: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DebtEntry {
    pub id: i64,
    pub day: String,
    pub account: Option<String>,
    pub ticket_id: Option<i64>,
    pub investigation_id: Option<i64>,
    pub issue: String,
    pub workaround: String,
    pub why_deferred: String,
    pub pattern: String,
    /// How many entries share this pattern (or this issue, when no pattern is named).
    pub recurrences: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutcomeRow {
    pub id: i64,
    pub account_name: Option<String>,
    pub priority: Option<String>,
    pub approach: String,
    pub created_day: String,
    pub health_at_start: Option<u32>,
    pub health_after_14: Option<u32>,
    pub health_after_30: Option<u32>,
}

const ROW_COLUMNS: &str = "i.id, i.account_id, a.name, i.ticket_id, i.situation, i.goal, i.priority, i.status, \
    i.health_at_start, a.health_score, i.follow_up_due, i.actor, i.created_at, i.answers";

fn row(r: &rusqlite::Row) -> rusqlite::Result<InvestigationRow> {
    Ok(InvestigationRow {
        id: r.get(0)?,
        account_id: r.get(1)?,
        account_name: r.get(2)?,
        ticket_id: r.get(3)?,
        situation: r.get(4)?,
        goal: r.get(5)?,
        priority: r.get(6)?,
        status: r.get(7)?,
        health_at_start: r.get(8)?,
        health_now: r.get(9)?,
        follow_up_due: r.get(10)?,
        actor: r.get(11)?,
        created_at: r.get(12)?,
        answers: r.get(13)?,
    })
}

impl Store {
    /// The facts an investigation of an account (or a ticket's account) starts from.
    pub fn investigation_facts(
        &self,
        ticket: Option<i64>,
        account: Option<i64>,
        now: Timestamp,
    ) -> Result<InvestigationFacts> {
        let t = match ticket {
            Some(id) => Some(self.ticket(id)?),
            None => None,
        };
        let account_id = match (&t, account) {
            (Some(t), _) => t.account_id,
            (None, Some(a)) => a,
            (None, None) => return Err(StoreError::Rule("an investigation needs a ticket or an account".into())),
        };
        let a = self.account(account_id)?;
        let c = &self.conn;
        let (total, open): (i64, i64) = c.query_row(
            "SELECT count(*), count(*) FILTER (WHERE closed_at IS NULL) FROM tickets WHERE account_id = ?1",
            [account_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let mut stmt = c.prepare(
            "SELECT id, subject, opened_at FROM tickets WHERE account_id = ?1 ORDER BY opened_at DESC LIMIT 3",
        )?;
        let recent = stmt
            .query_map([account_id], |r| Ok((r.get(0)?, r.get(1)?, day_of(r.get(2)?))))?
            .collect::<rusqlite::Result<Vec<(i64, String, String)>>>()?;
        let last_nps = c
            .query_row(
                "SELECT score, at FROM signals WHERE account_id = ?1 AND kind = 'nps' ORDER BY at DESC LIMIT 1",
                [account_id],
                |r| Ok((r.get::<_, i64>(0)?, day_of(r.get(1)?))),
            )
            .optional()?;
        let past: i64 = c.query_row(
            "SELECT count(*) FROM investigations WHERE account_id = ?1 AND status != 'draft'",
            [account_id],
            |r| r.get(0),
        )?;
        let before: Option<u32> = c
            .query_row(
                "SELECT score FROM health_snapshots WHERE account_id = ?1 AND day <= ?2 ORDER BY day DESC LIMIT 1",
                params![account_id, day_of(now - 30 * DAY)],
                |r| r.get(0),
            )
            .optional()?;
        Ok(InvestigationFacts {
            account_id,
            account_name: a.name.clone(),
            stage: a.stage.label().to_string(),
            health: a.score,
            health_30_days_ago: before,
            tickets_total: total,
            tickets_open: open,
            recent_tickets: recent,
            last_nps,
            past_investigations: past,
            ticket: t.map(|t| (t.id, t.subject, t.step.label().to_string())),
        })
    }

    /// Save an investigation as open: linked to its account and ticket, its follow-up plan a
    /// task due on the follow-up day, and a CS debt entry when the quick filter says minimal.
    pub fn create_investigation(
        &self,
        account: Option<i64>,
        ticket: Option<i64>,
        answers: &Answers,
        outcome: &Outcome,
        now: Timestamp,
    ) -> Result<i64> {
        let missing = crate::domain::investigation::missing(answers);
        if !missing.is_empty() {
            return Err(StoreError::Rule(format!(
                "the investigation is missing: {}",
                missing.join(", ")
            )));
        }
        let tx = self.write_tx()?;
        let score = match account {
            Some(id) => self.account(id)?.score,
            None => None,
        };
        let json = serde_json::to_string(answers).map_err(|e| StoreError::Rule(e.to_string()))?;
        tx.execute(
            "INSERT INTO investigations (account_id, ticket_id, situation, goal, customer_impact, relationship_impact, \
             scalability, resource_efficiency, process_fit, priority, answers, status, health_at_start, follow_up_due, \
             actor, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'open', ?12, ?13, ?14, ?15, ?15)",
            params![
                account,
                ticket,
                answers.situation.map(|s| s.as_str()),
                answers.goal.trim(),
                answers.customer_impact.map(|r| r.as_str()),
                answers.relationship_impact.map(|r| r.as_str()),
                answers.scalability.map(|r| r.as_str()),
                answers.resource_efficiency.map(|r| r.as_str()),
                answers.process_fit.map(|r| r.as_str()),
                outcome.priority.map(|p| p.as_str()),
                json,
                score,
                outcome.follow_up_due,
                self.actor,
                now
            ],
        )?;
        let id = tx.last_insert_rowid();
        if let Some(due) = &outcome.follow_up_due {
            let plan = outcome.table.get(7).map(|r| r.2.clone()).filter(|n| !n.is_empty());
            let title = format!(
                "Follow up on investigation {id}: {}",
                plan.unwrap_or_else(|| answers.goal.trim().chars().take(60).collect())
            );
            tx.execute(
                "INSERT INTO tasks (account_id, ticket_id, investigation_id, source, cause, title, due_date, actor, created_at) \
                 VALUES (?1, ?2, ?3, 'investigation', ?4, ?5, ?6, ?7, ?8)",
                params![account, ticket, id, format!("investigation:{id}"), title, due, self.actor, now],
            )?;
        }
        if outcome.minimal {
            let issue = match ticket {
                Some(t) => format!("#{t} {}", self.ticket(t)?.subject),
                None => answers.goal.trim().to_string(),
            };
            tx.execute(
                "INSERT INTO cs_debt (account_id, investigation_id, ticket_id, issue, workaround, why_deferred, pattern, actor, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    account,
                    id,
                    ticket,
                    issue,
                    answers.workaround.trim(),
                    answers.why_deferred.trim(),
                    answers.pattern.trim(),
                    self.actor,
                    now
                ],
            )?;
        }
        Store::audit(
            &tx,
            &self.actor,
            now,
            "investigation",
            id,
            "create",
            outcome.priority.map(|p| p.label()).unwrap_or(""),
        )?;
        tx.commit()?;
        Ok(id)
    }

    pub fn investigation(&self, id: i64) -> Result<InvestigationRow> {
        self.conn
            .query_row(
                &format!("SELECT {ROW_COLUMNS} FROM investigations i LEFT JOIN accounts a ON a.id = i.account_id WHERE i.id = ?1"),
                [id],
                row,
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound {
                what: "investigation",
                id: id.to_string(),
            })
    }

    /// Investigations, newest first; of one account when given.
    pub fn investigations(&self, account: Option<i64>) -> Result<Vec<InvestigationRow>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {ROW_COLUMNS} FROM investigations i LEFT JOIN accounts a ON a.id = i.account_id \
             WHERE (?1 IS NULL OR i.account_id = ?1) ORDER BY i.created_at DESC, i.id DESC"
        ))?;
        let rows = stmt.query_map([account], row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The investigations made for a ticket, newest first.
    pub fn ticket_investigations(&self, ticket: i64) -> Result<Vec<InvestigationRow>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {ROW_COLUMNS} FROM investigations i LEFT JOIN accounts a ON a.id = i.account_id \
             WHERE i.ticket_id = ?1 ORDER BY i.created_at DESC, i.id DESC"
        ))?;
        let rows = stmt.query_map([ticket], row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The CS debt log, oldest first, each with how often its pattern recurred.
    pub fn cs_debt(&self) -> Result<Vec<DebtEntry>> {
        let mut stmt = self.conn.prepare(
            "SELECT d.id, d.created_at, a.name, d.ticket_id, d.investigation_id, d.issue, d.workaround, d.why_deferred, d.pattern, \
               (SELECT count(*) FROM cs_debt o WHERE CASE WHEN d.pattern != '' THEN lower(o.pattern) = lower(d.pattern) \
                  ELSE lower(o.issue) = lower(d.issue) END) \
             FROM cs_debt d LEFT JOIN accounts a ON a.id = d.account_id ORDER BY d.created_at, d.id",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(DebtEntry {
                    id: r.get(0)?,
                    day: day_of(r.get(1)?),
                    account: r.get(2)?,
                    ticket_id: r.get(3)?,
                    investigation_id: r.get(4)?,
                    issue: r.get(5)?,
                    workaround: r.get(6)?,
                    why_deferred: r.get(7)?,
                    pattern: r.get(8)?,
                    recurrences: r.get(9)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Each investigation with the account's health when it was made and 14 and 30 days later
    /// (the first snapshot on or after that day; none yet when the day has not come).
    pub fn investigation_outcomes(&self) -> Result<Vec<OutcomeRow>> {
        let mut out = Vec::new();
        for i in self.investigations(None)? {
            if i.status == "draft" {
                continue;
            }
            let after = |days: i64| -> Result<Option<u32>> {
                let Some(acc) = i.account_id else { return Ok(None) };
                Ok(self
                    .conn
                    .query_row(
                        "SELECT score FROM health_snapshots WHERE account_id = ?1 AND day >= ?2 ORDER BY day LIMIT 1",
                        params![acc, day_of(i.created_at + days * DAY)],
                        |r| r.get(0),
                    )
                    .optional()?)
            };
            let answers: Answers = serde_json::from_str(&i.answers).unwrap_or_default();
            let approach = crate::domain::investigation::evaluate(&answers, i.health_at_start, i.created_at)
                .approach
                .unwrap_or_default();
            out.push(OutcomeRow {
                id: i.id,
                account_name: i.account_name.clone(),
                priority: i.priority.clone(),
                approach,
                created_day: day_of(i.created_at),
                health_at_start: i.health_at_start,
                health_after_14: after(14)?,
                health_after_30: after(30)?,
            });
        }
        Ok(out)
    }
}
