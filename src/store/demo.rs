//! Bulk loading of the sample data: one transaction, secondary indexes rebuilt after.

use super::tickets::{add_event, insert_ticket_row};
use super::{Result, Store, StoreError, accounts::insert_account_row};
use crate::demo::{DemoCounts, DemoOptions, DemoSignal, DemoSink, DemoTicket, generate};
use crate::domain::sla::{self, ClockFacts, SlaTargets};
use crate::domain::{Step, Timestamp};
use rusqlite::{Connection, params};

struct BulkWriter<'c> {
    conn: &'c Connection,
    actor: String,
}

impl DemoSink for BulkWriter<'_> {
    type Error = StoreError;

    fn account(&mut self, a: &super::NewAccount) -> Result<i64> {
        insert_account_row(self.conn, a, now_of(a))
    }

    fn contact(&mut self, account: i64, name: &str, email: &str, role: &str) -> Result<i64> {
        self.conn
            .prepare_cached(
                "INSERT INTO contacts (account_id, name, email, role, created_at) VALUES (?1, ?2, ?3, ?4, 0)",
            )?
            .execute(params![account, name, email, role])?;
        Ok(self.conn.last_insert_rowid())
    }

    fn signal(&mut self, s: &DemoSignal) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO signals (account_id, kind, at, feature, core, score, payment) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                s.account,
                s.kind.as_str(),
                s.at,
                s.feature,
                s.core,
                s.score,
                s.payment.map(|p| p.as_str())
            ])?;
        Ok(())
    }

    fn ticket(&mut self, t: &DemoTicket, sla_targets: &SlaTargets) -> Result<i64> {
        let c = self.conn;
        let id = insert_ticket_row(c, &t.new, sla_targets)?;
        let opened = t.new.opened_at;
        let actor = t.new.assignee.clone().unwrap_or_else(|| self.actor.clone());
        add_event(
            c,
            id,
            opened,
            "customer",
            "opened",
            &t.new.subject,
            None,
            Some(Step::Acknowledge),
        )?;
        // the history the ticket has lived through, as timeline entries
        let mut at = opened;
        for step in Step::SOP {
            if step.index() >= t.step.index() {
                break;
            }
            let when = match step {
                Step::Acknowledge => t.acknowledged_at,
                Step::Diagnose => t.acknowledged_at.map(|a| a + (t.resolved_at.unwrap_or(a) - a) / 2),
                Step::Resolve => t.resolved_at,
                _ => t.closed_at,
            }
            .unwrap_or(at)
            .max(at);
            for item in 0..step.checklist().len() {
                c.prepare_cached(
                    "INSERT INTO ticket_checklist (ticket_id, step, item, done_at, actor) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![id, step.as_str(), item as i64, when, actor])?;
            }
            if step == Step::Acknowledge {
                add_event(
                    c,
                    id,
                    when,
                    &actor,
                    "reply",
                    "Thanks for reaching out — we are on it.",
                    Some(step),
                    None,
                )?;
            }
            add_event(c, id, when, &actor, "step", "", Some(step), step.next())?;
            at = when;
        }
        for item in 0..t.checked.min(t.step.checklist().len()) {
            c.prepare_cached(
                "INSERT INTO ticket_checklist (ticket_id, step, item, done_at, actor) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![id, t.step.as_str(), item as i64, at, actor])?;
        }
        if t.support_tier == 2 {
            add_event(
                c,
                id,
                at,
                &actor,
                "escalation",
                "Needs engineering to look at the logs",
                Some(t.step),
                None,
            )?;
        }
        if let Some(w) = t.waiting_since {
            add_event(c, id, w, &actor, "wait", "waiting on the customer", Some(t.step), None)?;
        }
        let facts = ClockFacts {
            first_response_due: sla_targets.first_response_due(t.new.channel, opened),
            first_response_at: t.first_response_at,
            resolution_due: sla_targets.resolution_due(opened),
            paused_secs: 0,
            waiting_since: t.waiting_since,
            resolved_at: t.resolved_at,
        };
        let next_due = if t.step == Step::Closed {
            None
        } else {
            sla::next_due(&facts)
        };
        c.prepare_cached(
            "UPDATE tickets SET step = ?2, support_tier = ?3, acknowledged_at = ?4, first_response_at = ?5, \
             resolved_at = ?6, followed_up_at = ?7, closed_at = ?7, waiting_since = ?8, snoozed_until = ?9, csat = ?10, \
             next_due = ?11, updated_at = ?12 WHERE id = ?1",
        )?
        .execute(params![
            id,
            t.step.as_str(),
            t.support_tier,
            t.acknowledged_at,
            t.first_response_at,
            t.resolved_at,
            t.closed_at,
            t.waiting_since,
            t.snoozed_until,
            t.csat,
            next_due,
            t.closed_at.unwrap_or(at)
        ])?;
        if let (Some(score), Some(closed)) = (t.csat, t.closed_at) {
            c.prepare_cached("INSERT INTO signals (account_id, kind, at, score) VALUES (?1, 'csat', ?2, ?3)")?
                .execute(params![t.new.account_id, closed, score])?;
        }
        Ok(id)
    }

    fn revenue(&mut self, account: i64, at: Timestamp, kind: &str, before: i64, after: i64) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO revenue_events (account_id, at, kind, mrr_before, mrr_after, actor) VALUES (?1, ?2, ?3, ?4, ?5, 'billing')",
            )?
            .execute(params![account, at, kind, before, after])?;
        Ok(())
    }
}

fn now_of(a: &super::NewAccount) -> Timestamp {
    chrono::NaiveDate::parse_from_str(&a.signup_date, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .map(|d| d.and_utc().timestamp())
        .unwrap_or(0)
}

impl Store {
    /// Fill an empty database with the sample set, in one transaction.
    pub fn load_demo(&self, opts: &DemoOptions, sla: &SlaTargets, now: Timestamp) -> Result<DemoCounts> {
        let existing: i64 = self.conn.query_row("SELECT count(*) FROM accounts", [], |r| r.get(0))?;
        if existing > 0 {
            return Err(StoreError::Rule(format!(
                "the database already holds {existing} accounts; tend demo fills only an empty database (choose another with --db)"
            )));
        }
        let tx = self.conn.unchecked_transaction()?;
        // Bulk inserts run faster without the secondary indexes; rebuild them after.
        let indexes: Vec<(String, String)> = tx
            .prepare(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
                 AND tbl_name IN ('signals', 'tickets', 'ticket_events', 'contacts', 'accounts') \
                 AND sql NOT LIKE 'CREATE UNIQUE%'",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        for (name, _) in &indexes {
            tx.execute_batch(&format!("DROP INDEX \"{name}\""))?;
        }
        let mut writer = BulkWriter {
            conn: &tx,
            actor: self.actor.clone(),
        };
        let counts = generate(opts, now, sla, &mut writer)?;
        for (_, sql) in &indexes {
            tx.execute_batch(sql)?;
        }
        Store::audit(
            &tx,
            &self.actor,
            now,
            "database",
            0,
            "demo",
            &format!(
                "{} accounts, {} tickets, {} signals",
                counts.accounts, counts.tickets, counts.signals
            ),
        )?;
        tx.commit()?;
        Ok(counts)
    }
}
