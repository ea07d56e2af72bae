//! Bulk loading of the sample data: one transaction; secondary indexes and change-counting
//! triggers rebuilt after, foreign keys unchecked, rows written many to a statement.

use super::tickets::insert_ticket_row;
use super::{Result, Store, StoreError, accounts::insert_account_row};
use crate::demo::{DemoCounts, DemoOptions, DemoSignal, DemoSink, DemoTicket, generate};
use crate::domain::sla::{self, ClockFacts, SlaTargets};
use crate::domain::{Step, Timestamp};
use rusqlite::{Connection, Statement, params};
use std::collections::HashMap;
use std::collections::hash_map::Entry;

/// Signals written by one statement: a single-row insert spends most of its time on the
/// statement rather than the row.
const SIGNAL_BATCH: usize = 64;

/// Writes the generated rows. The statements run millions of times, so they are prepared
/// once and held rather than looked up in the statement cache each time.
struct BulkWriter<'c> {
    conn: &'c Connection,
    actor: String,
    contact: Statement<'c>,
    signal: Statement<'c>,
    signals: Statement<'c>,
    /// Signals not yet written; always written before a ticket's CSAT signal, so ids follow
    /// the order of generation.
    pending: Vec<DemoSignal>,
    /// By the number of rows: a ticket's ticked checklist items go in one statement, and
    /// so do its timeline entries.
    checklist: HashMap<usize, Statement<'c>>,
    events: HashMap<usize, Statement<'c>>,
    ticket_state: Statement<'c>,
    csat: Statement<'c>,
    revenue: Statement<'c>,
}

impl<'c> BulkWriter<'c> {
    fn new(conn: &'c Connection, actor: &str) -> Result<BulkWriter<'c>> {
        Ok(BulkWriter {
            conn,
            actor: actor.to_string(),
            contact: conn.prepare(
                "INSERT INTO contacts (account_id, name, email, role, created_at) VALUES (?1, ?2, ?3, ?4, 0)",
            )?,
            signal: conn.prepare(&format!("{INSERT_SIGNALS} (?, ?, ?, ?, ?, ?, ?)"))?,
            signals: conn.prepare(&format!(
                "{INSERT_SIGNALS} {}",
                vec!["(?, ?, ?, ?, ?, ?, ?)"; SIGNAL_BATCH].join(", ")
            ))?,
            pending: Vec::with_capacity(SIGNAL_BATCH),
            checklist: HashMap::new(),
            events: HashMap::new(),
            ticket_state: conn.prepare(
                "UPDATE tickets SET step = ?2, support_tier = ?3, acknowledged_at = ?4, first_response_at = ?5, \
                 resolved_at = ?6, followed_up_at = ?7, closed_at = ?7, waiting_since = ?8, snoozed_until = ?9, csat = ?10, \
                 next_due = ?11, updated_at = ?12 WHERE id = ?1",
            )?,
            csat: conn.prepare("INSERT INTO signals (account_id, kind, at, score) VALUES (?1, 'csat', ?2, ?3)")?,
            revenue: conn.prepare(
                "INSERT INTO revenue_events (account_id, at, kind, mrr_before, mrr_after, actor) VALUES (?1, ?2, ?3, ?4, ?5, 'billing')",
            )?,
        })
    }
}

/// A timeline entry of a generated ticket.
struct Event<'a> {
    at: Timestamp,
    actor: &'a str,
    kind: &'static str,
    body: &'a str,
    from: Option<Step>,
    to: Option<Step>,
}

/// The statement writing `rows` rows, prepared the first time it is asked for.
fn prepared<'s, 'c>(
    conn: &'c Connection,
    by_rows: &'s mut HashMap<usize, Statement<'c>>,
    rows: usize,
    sql: impl Fn(usize) -> String,
) -> Result<&'s mut Statement<'c>> {
    Ok(match by_rows.entry(rows) {
        Entry::Occupied(e) => e.into_mut(),
        Entry::Vacant(e) => e.insert(conn.prepare(&sql(rows))?),
    })
}

const INSERT_SIGNALS: &str = "INSERT INTO signals (account_id, kind, at, feature, core, score, payment) VALUES";

impl BulkWriter<'_> {
    /// Write a ticket's timeline entries, in order.
    fn log(&mut self, ticket: i64, events: &[Event<'_>]) -> Result<()> {
        let stmt = prepared(self.conn, &mut self.events, events.len(), |n| {
            format!(
                "INSERT INTO ticket_events (ticket_id, at, actor, kind, body, from_step, to_step) VALUES {}",
                vec!["(?, ?, ?, ?, ?, ?, ?)"; n].join(", ")
            )
        })?;
        for (n, e) in events.iter().enumerate() {
            let p = n * 7;
            stmt.raw_bind_parameter(p + 1, ticket)?;
            stmt.raw_bind_parameter(p + 2, e.at)?;
            stmt.raw_bind_parameter(p + 3, e.actor)?;
            stmt.raw_bind_parameter(p + 4, e.kind)?;
            stmt.raw_bind_parameter(p + 5, e.body)?;
            stmt.raw_bind_parameter(p + 6, e.from.map(Step::as_str))?;
            stmt.raw_bind_parameter(p + 7, e.to.map(Step::as_str))?;
        }
        stmt.raw_execute()?;
        Ok(())
    }

    /// Write a ticket's ticked checklist items: (step, item, done at).
    fn tick(&mut self, ticket: i64, items: &[(&str, i64, Timestamp)], actor: &str) -> Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        let stmt = prepared(self.conn, &mut self.checklist, items.len(), |n| {
            format!(
                "INSERT INTO ticket_checklist (ticket_id, step, item, done_at, actor) VALUES {}",
                vec!["(?, ?, ?, ?, ?)"; n].join(", ")
            )
        })?;
        for (n, (step, item, at)) in items.iter().enumerate() {
            stmt.raw_bind_parameter(n * 5 + 1, ticket)?;
            stmt.raw_bind_parameter(n * 5 + 2, step)?;
            stmt.raw_bind_parameter(n * 5 + 3, item)?;
            stmt.raw_bind_parameter(n * 5 + 4, at)?;
            stmt.raw_bind_parameter(n * 5 + 5, actor)?;
        }
        stmt.raw_execute()?;
        Ok(())
    }

    /// Write the pending signals.
    fn flush(&mut self) -> Result<()> {
        let stmt = if self.pending.len() == SIGNAL_BATCH {
            &mut self.signals
        } else {
            &mut self.signal
        };
        let mut n = 0;
        for s in self.pending.drain(..) {
            stmt.raw_bind_parameter(n + 1, s.account)?;
            stmt.raw_bind_parameter(n + 2, s.kind.as_str())?;
            stmt.raw_bind_parameter(n + 3, s.at)?;
            stmt.raw_bind_parameter(n + 4, s.feature)?;
            stmt.raw_bind_parameter(n + 5, s.core)?;
            stmt.raw_bind_parameter(n + 6, s.score)?;
            stmt.raw_bind_parameter(n + 7, s.payment.map(|p| p.as_str()))?;
            n += 7;
            if stmt.parameter_count() == n {
                stmt.raw_execute()?;
                n = 0;
            }
        }
        Ok(())
    }
}

impl DemoSink for BulkWriter<'_> {
    type Error = StoreError;

    fn account(&mut self, a: &super::NewAccount) -> Result<i64> {
        insert_account_row(self.conn, a, now_of(a))
    }

    fn contact(&mut self, account: i64, name: &str, email: &str, role: &str) -> Result<i64> {
        self.contact.execute(params![account, name, email, role])?;
        Ok(self.conn.last_insert_rowid())
    }

    fn signal(&mut self, s: &DemoSignal) -> Result<()> {
        self.pending.push(s.clone());
        if self.pending.len() == SIGNAL_BATCH {
            self.flush()?;
        }
        Ok(())
    }

    fn ticket(&mut self, t: &DemoTicket, sla_targets: &SlaTargets) -> Result<i64> {
        self.flush()?;
        let c = self.conn;
        let id = insert_ticket_row(c, &t.new, sla_targets)?;
        let opened = t.new.opened_at;
        let actor = t.new.assignee.clone().unwrap_or_else(|| self.actor.clone());
        let mut events = vec![Event {
            at: opened,
            actor: "customer",
            kind: "opened",
            body: &t.new.subject,
            from: None,
            to: Some(Step::Acknowledge),
        }];
        // the history the ticket has lived through, as timeline entries
        let mut at = opened;
        let mut ticked = Vec::new();
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
                ticked.push((step.as_str(), item as i64, when));
            }
            if step == Step::Acknowledge {
                events.push(Event {
                    at: when,
                    actor: &actor,
                    kind: "reply",
                    body: "Thanks for reaching out — we are on it.",
                    from: Some(step),
                    to: None,
                });
            }
            events.push(Event {
                at: when,
                actor: &actor,
                kind: "step",
                body: "",
                from: Some(step),
                to: step.next(),
            });
            at = when;
        }
        for item in 0..t.checked.min(t.step.checklist().len()) {
            ticked.push((t.step.as_str(), item as i64, at));
        }
        self.tick(id, &ticked, &actor)?;
        if t.support_tier == 2 {
            events.push(Event {
                at,
                actor: &actor,
                kind: "escalation",
                body: "Needs engineering to look at the logs",
                from: Some(t.step),
                to: None,
            });
        }
        if let Some(w) = t.waiting_since {
            events.push(Event {
                at: w,
                actor: &actor,
                kind: "wait",
                body: "waiting on the customer",
                from: Some(t.step),
                to: None,
            });
        }
        self.log(id, &events)?;
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
        self.ticket_state.execute(params![
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
            self.csat.execute(params![t.new.account_id, closed, score])?;
        }
        Ok(id)
    }

    fn revenue(&mut self, account: i64, at: Timestamp, kind: &str, before: i64, after: i64) -> Result<()> {
        self.revenue.execute(params![account, at, kind, before, after])?;
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

/// No foreign-key checks while it lives (the generator refers only to rows it has just
/// written); restored on drop. Set outside the transaction: SQLite ignores it inside one.
struct NoForeignKeys<'c> {
    conn: &'c Connection,
    was: i64,
}

impl<'c> NoForeignKeys<'c> {
    fn new(conn: &'c Connection) -> Result<NoForeignKeys<'c>> {
        let was = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
        conn.pragma_update(None, "foreign_keys", "OFF")?;
        Ok(NoForeignKeys { conn, was })
    }
}

impl Drop for NoForeignKeys<'_> {
    fn drop(&mut self) {
        // best effort: the store opens every connection with them on
        let _ = self.conn.pragma_update(None, "foreign_keys", self.was);
    }
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
        let _no_foreign_keys = NoForeignKeys::new(&self.conn)?;
        let tx = self.write_tx()?;
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
        // Nor the triggers that count changes for an open cockpit, once per row: the counters
        // are bumped once at the end instead.
        let triggers: Vec<(String, String)> = tx
            .prepare(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' \
                 AND sql LIKE '%BEGIN UPDATE change_counters SET n = n + 1 WHERE tbl = ''%''; END'",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        for (name, _) in &triggers {
            tx.execute_batch(&format!("DROP TRIGGER \"{name}\""))?;
        }
        let mut writer = BulkWriter::new(&tx, &self.actor)?;
        let counts = generate(opts, now, sla, &mut writer)?;
        writer.flush()?;
        drop(writer);
        for (_, sql) in &triggers {
            tx.execute_batch(sql)?;
        }
        tx.execute("UPDATE change_counters SET n = n + 1", [])?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(s: &Store) -> Vec<(String, String)> {
        s.conn
            .prepare("SELECT name, coalesce(sql, '') FROM sqlite_master ORDER BY name")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
    }

    #[test]
    fn the_load_leaves_the_schema_and_the_connection_as_it_found_them() {
        let s = Store::open_in_memory("t").unwrap();
        let before = schema(&s);
        let counters = |s: &Store| -> Vec<i64> {
            s.conn
                .prepare("SELECT n FROM change_counters ORDER BY tbl")
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap()
        };
        let counted = counters(&s);
        let counts = s
            .load_demo(&DemoOptions::default(), &SlaTargets::default(), 1_795_338_000)
            .unwrap();
        assert_eq!(schema(&s), before, "indexes and triggers are all back");
        let fk: i64 = s.conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
        assert_eq!(fk, 1);
        let broken = s
            .conn
            .prepare("PRAGMA foreign_key_check")
            .unwrap()
            .query_map([], |_| Ok(()))
            .unwrap()
            .count();
        assert_eq!(broken, 0, "every row refers to rows that exist");
        assert!(counters(&s).iter().zip(&counted).all(|(after, before)| after > before));
        let signals: i64 = s
            .conn
            .query_row("SELECT count(*) FROM signals", [], |r| r.get(0))
            .unwrap();
        assert_eq!(signals as usize, counts.signals);
    }
}
