//! What the cockpit's views read beyond the lists: the daily review's marks, tasks due,
//! past tiers, and the change counter other processes bump.

use super::{Result, Store};
use crate::domain::Timestamp;
use rusqlite::params;
use serde::Serialize;
use std::collections::HashSet;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Task {
    pub id: i64,
    pub account_id: Option<i64>,
    pub account_name: Option<String>,
    pub title: String,
    /// The day it is due: for a snoozed task, the day its snooze ends.
    pub due_date: String,
    pub status: String,
}

/// What the daily review shows of an open ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewTicket {
    pub id: i64,
    pub subject: String,
    pub account_name: String,
    pub account_score: Option<u32>,
    pub next_due: Option<Timestamp>,
    pub step: crate::domain::Step,
}

/// An account the daily review may list: its score now and at the last snapshot before today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewAccount {
    pub id: i64,
    pub name: String,
    pub score: u32,
    pub before: Option<u32>,
}

impl Store {
    /// Items this actor marked reviewed on `day`.
    pub fn review_marks(&self, day: &str) -> Result<HashSet<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT item FROM review_marks WHERE actor = ?1 AND day = ?2")?;
        let marks = stmt
            .query_map(params![self.actor, day], |r| r.get(0))?
            .collect::<Result<HashSet<String>, _>>()?;
        Ok(marks)
    }

    pub fn set_review_mark(&self, day: &str, item: &str, reviewed: bool, now: Timestamp) -> Result<()> {
        let tx = self.write_tx()?;
        if reviewed {
            tx.execute(
                "INSERT OR REPLACE INTO review_marks (actor, day, item, at) VALUES (?1, ?2, ?3, ?4)",
                params![self.actor, day, item, now],
            )?;
        } else {
            tx.execute(
                "DELETE FROM review_marks WHERE actor = ?1 AND day = ?2 AND item = ?3",
                params![self.actor, day, item],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Open tasks due on or before `day`, soonest first.
    pub fn tasks_due(&self, day: &str, account: Option<i64>) -> Result<Vec<Task>> {
        let mut tasks = Vec::new();
        self.each_task_due(day, account, |t| tasks.push(t))?;
        Ok(tasks)
    }

    /// The tasks due on or before `day` (of one account, or of all), one at a time in due order.
    pub fn each_task_due(&self, day: &str, account: Option<i64>, mut each: impl FnMut(Task)) -> Result<()> {
        // one account's tasks are read through its index, not by scanning everyone's
        let by_account = if account.is_some() {
            "t.account_id = ?2"
        } else {
            "?2 IS NULL"
        };
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT t.id, t.account_id, a.name, t.title, \
             CASE WHEN t.status = 'snoozed' THEN coalesce(t.snoozed_until, t.due_date) ELSE t.due_date END AS due, \
             t.status FROM tasks t \
             LEFT JOIN accounts a ON a.id = t.account_id \
             WHERE ((t.status = 'open' AND t.due_date <= ?1) OR (t.status = 'snoozed' AND t.snoozed_until <= ?1)) \
             AND {by_account} \
             ORDER BY due, t.id"
        ))?;
        let rows = stmt.query_map(params![day, account], |r| {
            Ok(Task {
                id: r.get(0)?,
                account_id: r.get(1)?,
                account_name: r.get(2)?,
                title: r.get(3)?,
                due_date: r.get(4)?,
                status: r.get(5)?,
            })
        })?;
        for t in rows {
            each(t?);
        }
        Ok(())
    }

    /// Open tickets, not snoozed, that the daily review lists: a running clock due before
    /// `soon`, or at the Follow up step. Read through the queue's index, not the whole table,
    /// and only what the review shows of each.
    pub fn review_tickets(&self, now: Timestamp, soon: Timestamp, mut each: impl FnMut(ReviewTicket)) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT t.id, t.subject, a.name, a.health_score, t.next_due, t.step \
             FROM tickets t JOIN accounts a ON a.id = t.account_id \
             WHERE t.closed_at IS NULL AND (t.next_due < ?2 OR t.step = 'follow-up') \
             AND t.snoozed_until_reply = 0 AND (t.snoozed_until IS NULL OR t.snoozed_until <= ?1) \
             ORDER BY t.next_due IS NULL, t.next_due, t.opened_at, t.id",
        )?;
        let rows = stmt.query_map(params![now, soon], |r| {
            Ok(ReviewTicket {
                id: r.get(0)?,
                subject: r.get(1)?,
                account_name: r.get(2)?,
                account_score: r.get(3)?,
                next_due: r.get(4)?,
                step: super::word(r.get(5)?)?,
            })
        })?;
        for t in rows {
            each(t?);
        }
        Ok(())
    }

    /// Scored active accounts that are Critical now (score at most `critical_max`) or score
    /// lower than at their last snapshot before `day`.
    pub fn review_accounts(&self, day: &str, critical_max: u32, mut each: impl FnMut(ReviewAccount)) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, name, score, before FROM (SELECT a.id, a.name, a.health_score AS score, \
             (SELECT s.score FROM health_snapshots s WHERE s.account_id = a.id AND s.day < ?1 ORDER BY s.day DESC LIMIT 1) AS before \
             FROM accounts a WHERE a.health_score IS NOT NULL AND a.status = 'active') \
             WHERE score <= ?2 OR before > score ORDER BY score, id",
        )?;
        let rows = stmt.query_map(params![day, critical_max], |r| {
            Ok(ReviewAccount {
                id: r.get(0)?,
                name: r.get(1)?,
                score: r.get(2)?,
                before: r.get(3)?,
            })
        })?;
        for a in rows {
            each(a?);
        }
        Ok(())
    }

    /// How many changes each listed table has seen: (accounts, tickets, tasks, investigations).
    pub fn change_counters(&self) -> Result<(i64, i64, i64, i64)> {
        let mut stmt = self.conn.prepare_cached("SELECT tbl, n FROM change_counters")?;
        let mut out = (0, 0, 0, 0);
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
            let (tbl, n) = row?;
            match tbl.as_str() {
                "accounts" => out.0 = n,
                "tickets" => out.1 = n,
                "tasks" => out.2 = n,
                "investigations" => out.3 = n,
                _ => {}
            }
        }
        Ok(out)
    }

    /// SQLite's counter of changes committed by other connections.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self.conn.query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }
}
