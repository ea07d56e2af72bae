//! Replies, drafts and sequences: what was sent and how, text kept as it is typed, and the
//! tasks a sequence schedules.

use super::tickets::{add_event, load_ticket, set_step};
use super::{Result, Store, StoreError, day_of};
use crate::domain::{DAY, Step, Timestamp, template};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

/// What a reply is filled from, as stored.
#[derive(Debug, Clone)]
pub struct ReplyFacts {
    pub account: super::Account,
    pub contact: Option<super::Contact>,
    pub ticket: Option<super::Ticket>,
    pub last_feature: Option<String>,
    pub escalation_reason: Option<String>,
    /// The Message-ID of the customer's email the ticket came from, to thread the reply.
    pub message_id: Option<String>,
}

/// How a reply left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Delivery {
    Clipboard,
    File,
    Command,
    Recorded,
}

impl Delivery {
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Clipboard => "clipboard",
            Delivery::File => "file",
            Delivery::Command => "command",
            Delivery::Recorded => "recorded",
        }
    }
}

/// A reply to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReply {
    pub account_id: i64,
    pub ticket_id: Option<i64>,
    pub task_id: Option<i64>,
    pub template: Option<String>,
    /// The SOP step the template answers: a reply for the ticket's step ticks its items.
    pub template_step: Option<Step>,
    pub subject: String,
    pub body: String,
    pub to: Option<String>,
    pub message_id: Option<String>,
    pub delivery: Delivery,
}

/// What recording a reply did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    pub message_id: i64,
    pub first_response: bool,
    /// Checklist items ticked, by label.
    pub ticked: Vec<&'static str>,
    pub task_done: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Draft {
    pub key: String,
    pub body: String,
    pub template: Option<String>,
    pub ticket_id: Option<i64>,
    pub account_id: Option<i64>,
    pub task_id: Option<i64>,
    pub updated_at: Timestamp,
}

/// A task with what opening it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskRow {
    pub id: i64,
    pub account_id: Option<i64>,
    pub ticket_id: Option<i64>,
    pub source: String,
    pub title: String,
    pub template: Option<String>,
    pub due_date: String,
    pub status: String,
    pub enrollment_id: Option<i64>,
}

/// One step of a sequence to schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceStep {
    pub day: u32,
    pub template: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Enrollment {
    pub id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub sequence: String,
    pub enrolled_on: String,
    pub status: String,
    pub actor: String,
    pub steps: i64,
    pub done: i64,
    /// The next open step's due date and title.
    pub next_due: Option<String>,
    pub next_title: Option<String>,
}

impl Store {
    /// Everything a reply to a ticket, or a message to an account, is filled from.
    pub fn reply_facts(&self, ticket: Option<i64>, account: Option<i64>) -> Result<ReplyFacts> {
        let ticket = match ticket {
            Some(id) => Some(self.ticket(id)?),
            None => None,
        };
        let account_id = match (&ticket, account) {
            (Some(t), _) => t.account_id,
            (None, Some(a)) => a,
            (None, None) => return Err(StoreError::Rule("a reply needs a ticket or an account".into())),
        };
        let account = self.account(account_id)?;
        let contacts = self.contacts(account_id)?;
        let contact = ticket
            .as_ref()
            .and_then(|t| t.contact_id)
            .and_then(|c| contacts.iter().find(|x| x.id == c).cloned())
            .or_else(|| contacts.iter().find(|c| c.email.is_some()).cloned())
            .or_else(|| contacts.first().cloned());
        let last_feature = self
            .conn
            .query_row(
                "SELECT feature FROM signals WHERE account_id = ?1 AND kind = 'feature' AND feature IS NOT NULL \
                 ORDER BY at DESC LIMIT 1",
                [account_id],
                |r| r.get(0),
            )
            .optional()?;
        let (escalation_reason, message_id) = match &ticket {
            Some(t) => (
                self.conn
                    .query_row(
                        "SELECT body FROM ticket_events WHERE ticket_id = ?1 AND kind = 'escalation' ORDER BY at DESC, id DESC LIMIT 1",
                        [t.id],
                        |r| r.get(0),
                    )
                    .optional()?,
                self.conn
                    .query_row("SELECT message_id FROM tickets WHERE id = ?1", [t.id], |r| {
                        r.get::<_, Option<String>>(0)
                    })?,
            ),
            None => (None, None),
        };
        Ok(ReplyFacts {
            account,
            contact,
            ticket,
            last_feature,
            escalation_reason,
            message_id,
        })
    }

    /// Record a reply that was sent (or only recorded): on the ticket's timeline with its
    /// actor and time, as the first response when it is the first, ticking the checklist items
    /// it satisfies, and closing the task it was written for.
    pub fn record_reply(&self, r: &NewReply, now: Timestamp) -> Result<Recorded> {
        let tx = self.write_tx()?;
        let out = self.record_reply_in(&tx, r, now)?;
        tx.commit()?;
        Ok(out)
    }

    /// Send a reply under the write lock, then record it in the same transaction: the lock is
    /// taken first (a reply refused for another's lock has not left), then what it answers is
    /// checked against the version the writer saw (`expected`; refused as stale, it has not
    /// left), then `deliver` runs, then the record. No one else's change to the ticket, and no
    /// one else's reply to it, can come between the check and the record.
    pub fn send_reply<E: From<StoreError>>(
        &self,
        ticket: Option<i64>,
        account: Option<i64>,
        expected: Option<i64>,
        deliver: impl FnOnce() -> std::result::Result<NewReply, E>,
        now: Timestamp,
    ) -> std::result::Result<Recorded, (E, bool)> {
        let tx = self.write_tx().map_err(|e| (E::from(e), false))?;
        self.check_current_in(&tx, ticket, account, expected)
            .map_err(|e| (E::from(e), false))?;
        let r = deliver().map_err(|e| (e, false))?;
        // from here the reply has left: a failure says so
        let out = self.record_reply_in(&tx, &r, now).map_err(|e| (E::from(e), true))?;
        tx.commit().map_err(|e| (E::from(StoreError::from(e)), true))?;
        Ok(out)
    }

    fn record_reply_in(&self, tx: &Connection, r: &NewReply, now: Timestamp) -> Result<Recorded> {
        if r.body.trim().is_empty() {
            return Err(StoreError::Rule("the reply is empty".into()));
        }
        tx.execute(
            "INSERT INTO messages (account_id, ticket_id, task_id, template, subject, body, to_addr, message_id, delivery, actor, at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                r.account_id,
                r.ticket_id,
                r.task_id,
                r.template,
                r.subject,
                r.body,
                r.to,
                r.message_id,
                r.delivery.as_str(),
                self.actor,
                now
            ],
        )?;
        let mut out = Recorded {
            message_id: tx.last_insert_rowid(),
            ..Default::default()
        };
        if let Some(id) = r.ticket_id {
            let t = load_ticket(tx, id)?;
            let text = format!("{}\n\n{}", r.subject, r.body.trim_end());
            add_event(tx, id, now, &self.actor, "reply", &text, Some(t.step), None)?;
            if t.first_response_at.is_none() {
                let mut f = t.clock_facts();
                f.first_response_at = Some(now);
                tx.execute(
                    "UPDATE tickets SET first_response_at = ?2 WHERE id = ?1",
                    params![id, now],
                )?;
                set_step(tx, id, t.step, &f, now)?;
                out.first_response = true;
            } else {
                tx.execute(
                    "UPDATE tickets SET version = version + 1, updated_at = ?2 WHERE id = ?1",
                    params![id, now],
                )?;
            }
            for &item in template::items_satisfied(r.template_step, t.step) {
                let n = tx.execute(
                    "INSERT OR IGNORE INTO ticket_checklist (ticket_id, step, item, done_at, actor) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![id, t.step.as_str(), item as i64, now, self.actor],
                )?;
                if n > 0 {
                    let label = t.step.checklist()[item];
                    add_event(
                        tx,
                        id,
                        now,
                        &self.actor,
                        "checklist",
                        &format!("done: {label} (by the reply)"),
                        Some(t.step),
                        None,
                    )?;
                    out.ticked.push(label);
                }
            }
            Store::audit(tx, &self.actor, now, "ticket", id, "reply", &r.subject)?;
        } else {
            Store::audit(tx, &self.actor, now, "account", r.account_id, "message", &r.subject)?;
        }
        if let Some(task) = r.task_id {
            out.task_done = close_task(tx, task, "done", None, now)?;
        }
        Ok(out)
    }

    /// Tick "Update docs if common" when a ticket's reply was kept as a template.
    pub fn note_documented(&self, ticket: i64, template_name: &str, now: Timestamp) -> Result<bool> {
        let tx = self.write_tx()?;
        let t = load_ticket(&tx, ticket)?;
        add_event(
            &tx,
            ticket,
            now,
            &self.actor,
            "note",
            &format!("reply kept as the template '{template_name}'"),
            Some(t.step),
            None,
        )?;
        let mut ticked = false;
        if t.step == Step::FollowUp {
            ticked = tx.execute(
                "INSERT OR IGNORE INTO ticket_checklist (ticket_id, step, item, done_at, actor) VALUES (?1, 'follow-up', 2, ?2, ?3)",
                params![ticket, now, self.actor],
            )? > 0;
            if ticked {
                add_event(
                    &tx,
                    ticket,
                    now,
                    &self.actor,
                    "checklist",
                    "done: Update docs if common",
                    Some(t.step),
                    None,
                )?;
            }
        }
        tx.execute(
            "UPDATE tickets SET version = version + 1, updated_at = ?2 WHERE id = ?1",
            params![ticket, now],
        )?;
        Store::audit(&tx, &self.actor, now, "ticket", ticket, "template", template_name)?;
        tx.commit()?;
        Ok(ticked)
    }

    /// Keep a draft (this actor's), replacing what was kept under the same key.
    pub fn save_draft(&self, d: &Draft) -> Result<()> {
        if d.body.trim().is_empty() {
            return self.delete_draft(&d.key);
        }
        let tx = self.write_tx()?;
        tx.prepare_cached(
            "INSERT INTO drafts (actor, key, body, template, ticket_id, account_id, task_id, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                 ON CONFLICT (actor, key) DO UPDATE SET body = excluded.body, template = excluded.template, \
                 ticket_id = excluded.ticket_id, account_id = excluded.account_id, task_id = excluded.task_id, \
                 updated_at = excluded.updated_at",
        )?
        .execute(params![
            self.actor,
            d.key,
            d.body,
            d.template,
            d.ticket_id,
            d.account_id,
            d.task_id,
            d.updated_at
        ])?;
        tx.commit()?;
        Ok(())
    }

    pub fn delete_draft(&self, key: &str) -> Result<()> {
        let tx = self.write_tx()?;
        tx.prepare_cached("DELETE FROM drafts WHERE actor = ?1 AND key = ?2")?
            .execute(params![self.actor, key])?;
        tx.commit()?;
        Ok(())
    }

    /// This actor's drafts, newest first.
    pub fn drafts(&self) -> Result<Vec<Draft>> {
        let mut stmt = self.conn.prepare(
            "SELECT key, body, template, ticket_id, account_id, task_id, updated_at FROM drafts \
             WHERE actor = ?1 ORDER BY updated_at DESC, key",
        )?;
        let rows = stmt
            .query_map([&self.actor], |r| {
                Ok(Draft {
                    key: r.get(0)?,
                    body: r.get(1)?,
                    template: r.get(2)?,
                    ticket_id: r.get(3)?,
                    account_id: r.get(4)?,
                    task_id: r.get(5)?,
                    updated_at: r.get(6)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    pub fn task(&self, id: i64) -> Result<TaskRow> {
        self.conn
            .query_row(
                "SELECT id, account_id, ticket_id, source, title, template, due_date, status, enrollment_id FROM tasks WHERE id = ?1",
                [id],
                |r| {
                    Ok(TaskRow {
                        id: r.get(0)?,
                        account_id: r.get(1)?,
                        ticket_id: r.get(2)?,
                        source: r.get(3)?,
                        title: r.get(4)?,
                        template: r.get(5)?,
                        due_date: r.get(6)?,
                        status: r.get(7)?,
                        enrollment_id: r.get(8)?,
                    })
                },
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound {
                what: "task",
                id: id.to_string(),
            })
    }

    /// Enrol an account in a sequence: one task per step, due that many days after today.
    /// Refused while the account is already in the sequence.
    /// Enrol an account in a sequence; `expected`: the account's version as the user saw it,
    /// refused (as stale) if it has changed since.
    pub fn enroll(
        &self,
        account: i64,
        sequence: &str,
        steps: &[SequenceStep],
        expected: Option<i64>,
        now: Timestamp,
    ) -> Result<i64> {
        if steps.is_empty() {
            return Err(StoreError::Rule(format!("the sequence '{sequence}' has no steps")));
        }
        let tx = self.write_tx()?;
        let a = self.account(account)?;
        Store::check_version(&tx, "account", account, expected, a.version)?;
        let active: Option<String> = tx
            .query_row(
                "SELECT enrolled_on FROM sequence_enrollments WHERE account_id = ?1 AND sequence = ?2 AND status = 'active'",
                params![account, sequence],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(on) = active {
            return Err(StoreError::Rule(format!(
                "{} is already in the {sequence} sequence (enrolled {on}); unenrol first to start again",
                a.name
            )));
        }
        let today = day_of(now);
        tx.execute(
            "INSERT INTO sequence_enrollments (account_id, sequence, enrolled_on, actor, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![account, sequence, today, self.actor, now],
        )?;
        let enrollment = tx.last_insert_rowid();
        for s in steps {
            let due = day_of(now + i64::from(s.day) * DAY);
            tx.execute(
                "INSERT INTO tasks (account_id, source, playbook, cause, title, template, due_date, actor, created_at, enrollment_id) \
                 VALUES (?1, 'sequence', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    account,
                    sequence,
                    format!("sequence:{sequence}:{}", s.template),
                    s.title,
                    s.template,
                    due,
                    self.actor,
                    now,
                    enrollment
                ],
            )?;
        }
        Store::audit(
            &tx,
            &self.actor,
            now,
            "account",
            account,
            "enroll",
            &format!("{sequence} ({} steps from {today})", steps.len()),
        )?;
        tx.commit()?;
        Ok(enrollment)
    }

    /// End an account's enrolment in a sequence; its open steps are cancelled. Returns how many.
    pub fn unenroll(&self, account: i64, sequence: &str, expected: Option<i64>, now: Timestamp) -> Result<usize> {
        let tx = self.write_tx()?;
        let found = self.account(account)?.version;
        Store::check_version(&tx, "account", account, expected, found)?;
        let id: Option<i64> = tx
            .query_row(
                "SELECT id FROM sequence_enrollments WHERE account_id = ?1 AND sequence = ?2 AND status = 'active'",
                params![account, sequence],
                |r| r.get(0),
            )
            .optional()?;
        let Some(id) = id else {
            let name = self.account(account)?.name;
            return Err(StoreError::Rule(format!("{name} is not in the {sequence} sequence")));
        };
        let n = tx.execute(
            "UPDATE tasks SET status = 'cancelled', reason = 'unenrolled', closed_at = ?2 \
             WHERE enrollment_id = ?1 AND status IN ('open', 'snoozed')",
            params![id, now],
        )?;
        tx.execute(
            "UPDATE sequence_enrollments SET status = 'cancelled', ended_at = ?2 WHERE id = ?1",
            params![id, now],
        )?;
        Store::audit(
            &tx,
            &self.actor,
            now,
            "account",
            account,
            "unenroll",
            &format!("{sequence} ({n} steps cancelled)"),
        )?;
        tx.commit()?;
        Ok(n)
    }

    /// Enrolments, active ones first; `all` includes completed and cancelled ones.
    pub fn enrollments(&self, account: Option<i64>, all: bool) -> Result<Vec<Enrollment>> {
        // one account's enrolments are read through its index
        let by_account = if account.is_some() {
            "e.account_id = ?1"
        } else {
            "?1 IS NULL"
        };
        let by_status = if all { "?2" } else { "e.status = 'active' AND NOT ?2" };
        let mut stmt = self.conn.prepare(&format!(
            "SELECT e.id, e.account_id, a.name, e.sequence, e.enrolled_on, e.status, e.actor, \
               (SELECT count(*) FROM tasks t WHERE t.enrollment_id = e.id), \
               (SELECT count(*) FROM tasks t WHERE t.enrollment_id = e.id AND t.status = 'done'), \
               (SELECT t.due_date FROM tasks t WHERE t.enrollment_id = e.id AND t.status IN ('open', 'snoozed') ORDER BY t.due_date, t.id LIMIT 1), \
               (SELECT t.title FROM tasks t WHERE t.enrollment_id = e.id AND t.status IN ('open', 'snoozed') ORDER BY t.due_date, t.id LIMIT 1) \
             FROM sequence_enrollments e JOIN accounts a ON a.id = e.account_id \
             WHERE {by_account} AND {by_status} \
             ORDER BY e.status = 'active' DESC, e.created_at DESC, e.id DESC"
        ))?;
        let rows = stmt
            .query_map(params![account, all], |r| {
                Ok(Enrollment {
                    id: r.get(0)?,
                    account_id: r.get(1)?,
                    account_name: r.get(2)?,
                    sequence: r.get(3)?,
                    enrolled_on: r.get(4)?,
                    status: r.get(5)?,
                    actor: r.get(6)?,
                    steps: r.get(7)?,
                    done: r.get(8)?,
                    next_due: r.get(9)?,
                    next_title: r.get(10)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

/// Close a task; when it was a sequence's last open step, the enrolment is complete.
fn close_task(
    conn: &rusqlite::Connection,
    task: i64,
    status: &str,
    reason: Option<&str>,
    now: Timestamp,
) -> Result<bool> {
    let enrollment: Option<Option<i64>> = conn
        .query_row("SELECT enrollment_id FROM tasks WHERE id = ?1", [task], |r| r.get(0))
        .optional()?;
    let Some(enrollment) = enrollment else {
        return Err(StoreError::NotFound {
            what: "task",
            id: task.to_string(),
        });
    };
    let n = conn.execute(
        "UPDATE tasks SET status = ?2, reason = ?3, closed_at = ?4 WHERE id = ?1 AND status IN ('open', 'snoozed')",
        params![task, status, reason, now],
    )?;
    if let Some(e) = enrollment {
        conn.execute(
            "UPDATE sequence_enrollments SET status = 'completed', ended_at = ?2 WHERE id = ?1 AND status = 'active' \
             AND NOT EXISTS (SELECT 1 FROM tasks WHERE enrollment_id = ?1 AND status IN ('open', 'snoozed'))",
            params![e, now],
        )?;
    }
    Ok(n > 0)
}
