//! Tickets, their timeline and checklists, and every move along the SOP.

use super::health::BREACHED_SQL;
use super::{Result, Store, StoreError, word};
use crate::domain::sla::{self, ClockFacts, SlaTargets};
use crate::domain::sop::{self, Move};
use crate::domain::{Channel, Priority, Step, SupportTier, Timestamp};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Ticket {
    pub id: i64,
    pub external_id: Option<String>,
    pub account_id: i64,
    pub account_name: String,
    pub account_score: Option<u32>,
    pub contact_id: Option<i64>,
    pub subject: String,
    pub body: String,
    pub channel: Channel,
    pub priority: Priority,
    pub support_tier: i64,
    pub step: Step,
    pub assignee: Option<String>,
    pub tags: Vec<String>,
    pub opened_at: Timestamp,
    pub acknowledged_at: Option<Timestamp>,
    pub first_response_at: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
    pub followed_up_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub first_response_due: Option<Timestamp>,
    pub resolution_due: Timestamp,
    pub waiting_since: Option<Timestamp>,
    pub paused_secs: i64,
    pub snoozed_until: Option<Timestamp>,
    pub snoozed_until_reply: bool,
    pub csat: Option<u32>,
    pub next_due: Option<Timestamp>,
    pub version: i64,
}

impl Ticket {
    pub fn clock_facts(&self) -> ClockFacts {
        ClockFacts {
            first_response_due: self.first_response_due,
            first_response_at: self.first_response_at,
            resolution_due: self.resolution_due,
            paused_secs: self.paused_secs,
            waiting_since: self.waiting_since,
            resolved_at: self.resolved_at,
        }
    }

    pub fn tier(&self) -> SupportTier {
        SupportTier::from_number(self.support_tier).unwrap_or(SupportTier::One)
    }

    pub fn is_snoozed(&self, now: Timestamp) -> bool {
        self.snoozed_until_reply || self.snoozed_until.is_some_and(|u| u > now)
    }
}

pub(crate) const TICKET_COLUMNS: &str = "t.id, t.external_id, t.account_id, a.name, a.health_score, t.contact_id, t.subject, t.body, \
    t.channel, t.priority, t.support_tier, t.step, t.assignee, t.tags, t.opened_at, t.acknowledged_at, \
    t.first_response_at, t.resolved_at, t.followed_up_at, t.closed_at, t.first_response_due, t.resolution_due, \
    t.waiting_since, t.paused_secs, t.snoozed_until, t.snoozed_until_reply, t.csat, t.next_due, t.version";

pub(crate) fn ticket_from_row(r: &Row) -> rusqlite::Result<Ticket> {
    let tags: String = r.get(13)?;
    Ok(Ticket {
        id: r.get(0)?,
        external_id: r.get(1)?,
        account_id: r.get(2)?,
        account_name: r.get(3)?,
        account_score: r.get(4)?,
        contact_id: r.get(5)?,
        subject: r.get(6)?,
        body: r.get(7)?,
        channel: word(r.get(8)?)?,
        priority: word(r.get(9)?)?,
        support_tier: r.get(10)?,
        step: word(r.get(11)?)?,
        assignee: r.get(12)?,
        tags: tags
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        opened_at: r.get(14)?,
        acknowledged_at: r.get(15)?,
        first_response_at: r.get(16)?,
        resolved_at: r.get(17)?,
        followed_up_at: r.get(18)?,
        closed_at: r.get(19)?,
        first_response_due: r.get(20)?,
        resolution_due: r.get(21)?,
        waiting_since: r.get(22)?,
        paused_secs: r.get(23)?,
        snoozed_until: r.get(24)?,
        snoozed_until_reply: r.get::<_, i64>(25)? != 0,
        csat: r.get(26)?,
        next_due: r.get(27)?,
        version: r.get(28)?,
    })
}

/// Which tickets a list shows. By default: open, not snoozed, most urgent first.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub step: Option<Step>,
    pub breached: bool,
    pub waiting: bool,
    pub snoozed: bool,
    /// Include closed and snoozed tickets.
    pub all: bool,
    pub account: Option<i64>,
    pub assignee: Option<String>,
    pub limit: Option<usize>,
    pub offset: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TicketEvent {
    pub id: i64,
    pub at: Timestamp,
    pub actor: String,
    pub kind: String,
    pub body: String,
    pub from_step: Option<String>,
    pub to_step: Option<String>,
}

/// A new ticket.
#[derive(Debug, Clone)]
pub struct NewTicket {
    pub external_id: Option<String>,
    pub account_id: i64,
    pub contact_id: Option<i64>,
    pub subject: String,
    pub body: String,
    pub channel: Channel,
    pub priority: Priority,
    pub assignee: Option<String>,
    pub tags: Vec<String>,
    pub opened_at: Timestamp,
    /// The Message-ID of the email that opened it: replies are threaded to it.
    pub message_id: Option<String>,
}

impl Store {
    pub fn tickets(&self, filter: &TicketFilter, now: Timestamp) -> Result<Vec<Ticket>> {
        let mut sql =
            format!("SELECT {TICKET_COLUMNS} FROM tickets t JOIN accounts a ON a.id = t.account_id WHERE 1 = 1");
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        if let Some(step) = filter.step {
            sql.push_str(" AND t.step = ?");
            args.push(step.as_str().to_string().into());
        } else if !filter.all {
            sql.push_str(" AND t.closed_at IS NULL");
        }
        if filter.snoozed {
            sql.push_str(" AND (t.snoozed_until_reply = 1 OR t.snoozed_until > ?)");
            args.push(now.into());
        } else if !filter.all && filter.step.is_none() {
            sql.push_str(" AND t.snoozed_until_reply = 0 AND (t.snoozed_until IS NULL OR t.snoozed_until <= ?)");
            args.push(now.into());
        }
        if filter.breached {
            sql.push_str(" AND ");
            sql.push_str(BREACHED_SQL);
            args.push(now.into());
        }
        if filter.waiting {
            sql.push_str(" AND t.waiting_since IS NOT NULL");
        }
        if let Some(account) = filter.account {
            sql.push_str(" AND t.account_id = ?");
            args.push(account.into());
        }
        if let Some(assignee) = &filter.assignee {
            sql.push_str(" AND t.assignee = ?");
            args.push(assignee.clone().into());
        }
        sql.push_str(
            " ORDER BY t.closed_at IS NOT NULL, t.next_due IS NULL, t.next_due, t.opened_at, t.id LIMIT ? OFFSET ?",
        );
        args.push(filter.limit.map(|l| l as i64).unwrap_or(-1).into());
        args.push((filter.offset as i64).into());
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args), ticket_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    pub fn ticket(&self, id: i64) -> Result<Ticket> {
        load_ticket(&self.conn, id)
    }

    pub fn ticket_events(&self, id: i64) -> Result<Vec<TicketEvent>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, at, actor, kind, body, from_step, to_step FROM ticket_events WHERE ticket_id = ?1 ORDER BY at, id",
        )?;
        let rows = stmt
            .query_map([id], |r| {
                Ok(TicketEvent {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    actor: r.get(2)?,
                    kind: r.get(3)?,
                    body: r.get(4)?,
                    from_step: r.get(5)?,
                    to_step: r.get(6)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The latest timeline entries of all an account's tickets, newest first, with the ticket.
    /// The account's latest ticket events and messages (ticket 0: a message to the account).
    pub fn account_timeline(&self, account: i64, limit: usize) -> Result<Vec<(i64, TicketEvent)>> {
        let mut stmt = self.conn.prepare(
            "SELECT t.id, e.id, e.at, e.actor, e.kind, e.body, e.from_step, e.to_step FROM ticket_events e \
             JOIN tickets t ON t.id = e.ticket_id WHERE t.account_id = ?1 \
             UNION ALL \
             SELECT 0, m.id, m.at, m.actor, 'message', m.subject, NULL, NULL FROM messages m \
             WHERE m.account_id = ?1 AND m.ticket_id IS NULL \
             ORDER BY 3 DESC, 2 DESC LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(params![account, limit as i64], |r| {
                Ok((
                    r.get(0)?,
                    TicketEvent {
                        id: r.get(1)?,
                        at: r.get(2)?,
                        actor: r.get(3)?,
                        kind: r.get(4)?,
                        body: r.get(5)?,
                        from_step: r.get(6)?,
                        to_step: r.get(7)?,
                    },
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Which items of a step's checklist are done, one bool per item.
    pub fn checklist(&self, id: i64, step: Step) -> Result<Vec<bool>> {
        checklist_done(&self.conn, id, step)
    }

    pub fn create_ticket(&self, t: &NewTicket, sla: &SlaTargets) -> Result<i64> {
        self.account(t.account_id)?;
        if let Some(c) = t.contact_id {
            let owner: Option<i64> = self
                .conn
                .query_row("SELECT account_id FROM contacts WHERE id = ?1", [c], |r| r.get(0))
                .optional()?;
            match owner {
                None => {
                    return Err(StoreError::NotFound {
                        what: "contact",
                        id: c.to_string(),
                    });
                }
                Some(a) if a != t.account_id => {
                    return Err(StoreError::Rule(format!(
                        "contact {c} belongs to account {a}, not {}",
                        t.account_id
                    )));
                }
                _ => {}
            }
        }
        let tx = self.write_tx()?;
        let id = insert_ticket_row(&tx, t, sla)?;
        add_event(
            &tx,
            id,
            t.opened_at,
            &self.actor,
            "opened",
            &t.subject,
            None,
            Some(Step::Acknowledge),
        )?;
        Store::audit(&tx, &self.actor, t.opened_at, "ticket", id, "create", &t.subject)?;
        tx.commit()?;
        Ok(id)
    }

    /// Tick (or untick) a checklist item (0-based) of the ticket's current step.
    pub fn set_checklist_item(
        &self,
        id: i64,
        item: usize,
        done: bool,
        expected: Option<i64>,
        now: Timestamp,
    ) -> Result<Step> {
        let tx = self.write_tx()?;
        let t = load_ticket(&tx, id)?;
        Store::check_version(&tx, "ticket", id, expected, t.version)?;
        let number = sop::checklist_item(t.step, item + 1).map_err(StoreError::rule)?;
        let label = t.step.checklist()[number];
        if done {
            tx.execute(
                "INSERT OR IGNORE INTO ticket_checklist (ticket_id, step, item, done_at, actor) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, t.step.as_str(), number as i64, now, self.actor],
            )?;
        } else {
            tx.execute(
                "DELETE FROM ticket_checklist WHERE ticket_id = ?1 AND step = ?2 AND item = ?3",
                params![id, t.step.as_str(), number as i64],
            )?;
        }
        let body = format!("{} {label}", if done { "done:" } else { "undone:" });
        add_event(&tx, id, now, &self.actor, "checklist", &body, Some(t.step), None)?;
        touch(&tx, id, now)?;
        Store::audit(&tx, &self.actor, now, "ticket", id, "checklist", &body)?;
        tx.commit()?;
        Ok(t.step)
    }

    /// Forward one step: when the checklist is done, or with an override reason.
    pub fn advance_ticket(&self, id: i64, reason: Option<&str>, expected: Option<i64>, now: Timestamp) -> Result<Move> {
        let tx = self.write_tx()?;
        let t = load_ticket(&tx, id)?;
        Store::check_version(&tx, "ticket", id, expected, t.version)?;
        let done = checklist_done(&tx, id, t.step)?;
        let m = sop::advance(t.step, &done, reason).map_err(StoreError::rule)?;
        let mut f = t.clock_facts();
        match m.from {
            Step::Acknowledge => {
                tx.execute(
                    "UPDATE tickets SET acknowledged_at = ?2 WHERE id = ?1",
                    params![id, now],
                )?;
                // acknowledging is the first response when no reply was recorded before
                if t.first_response_at.is_none() {
                    tx.execute(
                        "UPDATE tickets SET first_response_at = ?2 WHERE id = ?1",
                        params![id, now],
                    )?;
                    f.first_response_at = Some(now);
                }
            }
            Step::Resolve => {
                tx.execute("UPDATE tickets SET resolved_at = ?2 WHERE id = ?1", params![id, now])?;
                f.resolved_at = Some(now);
            }
            Step::FollowUp => {
                let paused = sla::paused_until(&f, now);
                tx.execute(
                    "UPDATE tickets SET followed_up_at = ?2, closed_at = ?2, waiting_since = NULL, paused_secs = ?3, \
                     snoozed_until = NULL, snoozed_until_reply = 0 WHERE id = ?1",
                    params![id, now, paused],
                )?;
                f.waiting_since = None;
                f.paused_secs = paused;
            }
            _ => {}
        }
        set_step(&tx, id, m.to, &f, now)?;
        let (kind, body) = match &m.reason {
            Some(r) => ("override", format!("checklist overridden: {r}")),
            None => ("step", String::new()),
        };
        add_event(&tx, id, now, &self.actor, kind, &body, Some(m.from), Some(m.to))?;
        Store::audit(
            &tx,
            &self.actor,
            now,
            "ticket",
            id,
            "advance",
            format!("{} -> {} {}", m.from, m.to, body).trim_end(),
        )?;
        tx.commit()?;
        Ok(m)
    }

    /// Back one step, with a reason. Moving back undoes the timestamps of the steps left.
    pub fn move_ticket_back(
        &self,
        id: i64,
        reason: Option<&str>,
        expected: Option<i64>,
        now: Timestamp,
    ) -> Result<Move> {
        let tx = self.write_tx()?;
        let t = load_ticket(&tx, id)?;
        Store::check_version(&tx, "ticket", id, expected, t.version)?;
        let m = sop::back(t.step, reason).map_err(StoreError::rule)?;
        let mut f = t.clock_facts();
        match m.to {
            Step::FollowUp => {
                tx.execute(
                    "UPDATE tickets SET followed_up_at = NULL, closed_at = NULL WHERE id = ?1",
                    [id],
                )?;
            }
            Step::Resolve => {
                tx.execute("UPDATE tickets SET resolved_at = NULL WHERE id = ?1", [id])?;
                f.resolved_at = None;
            }
            Step::Acknowledge => {
                tx.execute("UPDATE tickets SET acknowledged_at = NULL WHERE id = ?1", [id])?;
            }
            _ => {}
        }
        set_step(&tx, id, m.to, &f, now)?;
        let body = m.reason.clone().unwrap_or_default();
        add_event(&tx, id, now, &self.actor, "back", &body, Some(m.from), Some(m.to))?;
        Store::audit(
            &tx,
            &self.actor,
            now,
            "ticket",
            id,
            "back",
            &format!("{} -> {}: {body}", m.from, m.to),
        )?;
        tx.commit()?;
        Ok(m)
    }

    pub fn escalate_ticket(
        &self,
        id: i64,
        reason: Option<&str>,
        expected: Option<i64>,
        now: Timestamp,
    ) -> Result<String> {
        let tx = self.write_tx()?;
        let t = load_ticket(&tx, id)?;
        Store::check_version(&tx, "ticket", id, expected, t.version)?;
        let reason = sop::escalate(t.step, t.tier(), reason).map_err(StoreError::rule)?;
        tx.execute(
            "UPDATE tickets SET support_tier = 2, version = version + 1, updated_at = ?2 WHERE id = ?1",
            params![id, now],
        )?;
        add_event(&tx, id, now, &self.actor, "escalation", &reason, Some(t.step), None)?;
        Store::audit(&tx, &self.actor, now, "ticket", id, "escalate", &reason)?;
        tx.commit()?;
        Ok(reason)
    }

    pub fn add_note(&self, id: i64, text: &str, expected: Option<i64>, now: Timestamp) -> Result<()> {
        let text = text.trim();
        if text.is_empty() {
            return Err(StoreError::Rule("a note needs some text".into()));
        }
        let tx = self.write_tx()?;
        let t = load_ticket(&tx, id)?;
        Store::check_version(&tx, "ticket", id, expected, t.version)?;
        add_event(&tx, id, now, &self.actor, "note", text, Some(t.step), None)?;
        touch(&tx, id, now)?;
        Store::audit(&tx, &self.actor, now, "ticket", id, "note", text)?;
        tx.commit()?;
        Ok(())
    }

    /// Wait on the customer: the resolution clock pauses until they reply or the wait ends.
    pub fn wait_on_customer(&self, id: i64, expected: Option<i64>, now: Timestamp) -> Result<()> {
        let tx = self.write_tx()?;
        let t = load_ticket(&tx, id)?;
        Store::check_version(&tx, "ticket", id, expected, t.version)?;
        if t.step == Step::Closed {
            return Err(StoreError::Rule("the ticket is closed".into()));
        }
        if t.waiting_since.is_some() {
            return Err(StoreError::Rule(format!(
                "ticket {id} is already waiting on the customer"
            )));
        }
        let mut f = t.clock_facts();
        f.waiting_since = Some(now);
        tx.execute("UPDATE tickets SET waiting_since = ?2 WHERE id = ?1", params![id, now])?;
        set_step(&tx, id, t.step, &f, now)?;
        add_event(
            &tx,
            id,
            now,
            &self.actor,
            "wait",
            "waiting on the customer",
            Some(t.step),
            None,
        )?;
        Store::audit(&tx, &self.actor, now, "ticket", id, "wait", "")?;
        tx.commit()?;
        Ok(())
    }

    /// Snooze until a time, or until the customer replies.
    pub fn snooze_ticket(
        &self,
        id: i64,
        until: Option<Timestamp>,
        expected: Option<i64>,
        now: Timestamp,
    ) -> Result<()> {
        let tx = self.write_tx()?;
        let t = load_ticket(&tx, id)?;
        Store::check_version(&tx, "ticket", id, expected, t.version)?;
        if t.step == Step::Closed {
            return Err(StoreError::Rule("the ticket is closed".into()));
        }
        if until.is_some_and(|u| u <= now) {
            return Err(StoreError::Rule("a snooze must end in the future".into()));
        }
        tx.execute(
            "UPDATE tickets SET snoozed_until = ?2, snoozed_until_reply = ?3, version = version + 1, updated_at = ?4 WHERE id = ?1",
            params![id, until, until.is_none(), now],
        )?;
        let body = match until {
            Some(u) => format!("snoozed until {}", crate::domain::format_time(u)),
            None => "snoozed until the customer replies".to_string(),
        };
        add_event(&tx, id, now, &self.actor, "snooze", &body, Some(t.step), None)?;
        Store::audit(&tx, &self.actor, now, "ticket", id, "snooze", &body)?;
        tx.commit()?;
        Ok(())
    }

    /// End a wait or a snooze by hand.
    pub fn resume_ticket(&self, id: i64, expected: Option<i64>, now: Timestamp) -> Result<()> {
        let tx = self.write_tx()?;
        let t = load_ticket(&tx, id)?;
        Store::check_version(&tx, "ticket", id, expected, t.version)?;
        if t.waiting_since.is_none() && !t.is_snoozed(now) {
            return Err(StoreError::Rule(format!("ticket {id} is neither waiting nor snoozed")));
        }
        end_wait_and_snooze(&tx, &t, now)?;
        add_event(&tx, id, now, &self.actor, "resume", "", Some(t.step), None)?;
        Store::audit(&tx, &self.actor, now, "ticket", id, "resume", "")?;
        tx.commit()?;
        Ok(())
    }

    /// A message from the customer: on the timeline, and it ends a wait and a snooze.
    pub fn customer_reply(&self, id: i64, text: &str, now: Timestamp) -> Result<()> {
        let tx = self.write_tx()?;
        let t = load_ticket(&tx, id)?;
        end_wait_and_snooze(&tx, &t, now)?;
        add_event(&tx, id, now, &self.actor, "inbound", text, Some(t.step), None)?;
        Store::audit(&tx, &self.actor, now, "ticket", id, "customer-reply", "")?;
        tx.commit()?;
        Ok(())
    }
}

fn end_wait_and_snooze(tx: &Connection, t: &Ticket, now: Timestamp) -> Result<()> {
    let mut f = t.clock_facts();
    f.paused_secs = sla::paused_until(&f, now);
    f.waiting_since = None;
    tx.execute(
        "UPDATE tickets SET waiting_since = NULL, paused_secs = ?2, snoozed_until = NULL, snoozed_until_reply = 0 WHERE id = ?1",
        params![t.id, f.paused_secs],
    )?;
    set_step(tx, t.id, t.step, &f, now)
}

pub(crate) fn load_ticket(conn: &Connection, id: i64) -> Result<Ticket> {
    conn.query_row(
        &format!("SELECT {TICKET_COLUMNS} FROM tickets t JOIN accounts a ON a.id = t.account_id WHERE t.id = ?1"),
        [id],
        ticket_from_row,
    )
    .optional()?
    .ok_or_else(|| StoreError::NotFound {
        what: "ticket",
        id: id.to_string(),
    })
}

fn checklist_done(conn: &Connection, id: i64, step: Step) -> Result<Vec<bool>> {
    let mut done = vec![false; step.checklist().len()];
    let mut stmt = conn.prepare_cached("SELECT item FROM ticket_checklist WHERE ticket_id = ?1 AND step = ?2")?;
    for item in stmt.query_map(params![id, step.as_str()], |r| r.get::<_, i64>(0))? {
        if let Some(slot) = usize::try_from(item?).ok().and_then(|i| done.get_mut(i)) {
            *slot = true;
        }
    }
    Ok(done)
}

/// Write the step and the clock summary that follows from the facts, and bump the version.
pub(crate) fn set_step(conn: &Connection, id: i64, step: Step, f: &ClockFacts, now: Timestamp) -> Result<()> {
    let next_due = if step == Step::Closed { None } else { sla::next_due(f) };
    conn.execute(
        "UPDATE tickets SET step = ?2, next_due = ?3, version = version + 1, updated_at = ?4 WHERE id = ?1",
        params![id, step.as_str(), next_due, now],
    )?;
    Ok(())
}

fn touch(conn: &Connection, id: i64, now: Timestamp) -> Result<()> {
    conn.execute(
        "UPDATE tickets SET version = version + 1, updated_at = ?2 WHERE id = ?1",
        params![id, now],
    )?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn add_event(
    conn: &Connection,
    ticket: i64,
    at: Timestamp,
    actor: &str,
    kind: &str,
    body: &str,
    from: Option<Step>,
    to: Option<Step>,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO ticket_events (ticket_id, at, actor, kind, body, from_step, to_step) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![ticket, at, actor, kind, body, from.map(Step::as_str), to.map(Step::as_str)])?;
    Ok(())
}

pub(crate) fn insert_ticket_row(conn: &Connection, t: &NewTicket, sla: &SlaTargets) -> Result<i64> {
    let first_response_due = sla.first_response_due(t.channel, t.opened_at);
    // self-serve requests are answered instantly by the help centre
    let first_response_at = (t.channel == Channel::SelfServe).then_some(t.opened_at);
    let resolution_due = sla.resolution_due(t.opened_at);
    let facts = ClockFacts {
        first_response_due,
        first_response_at,
        resolution_due,
        ..Default::default()
    };
    conn.prepare_cached(
        "INSERT INTO tickets (external_id, account_id, contact_id, subject, body, channel, priority, assignee, tags, \
         opened_at, first_response_at, first_response_due, resolution_due, next_due, updated_at, message_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?10, ?15)",
    )?
    .execute(params![
        t.external_id,
        t.account_id,
        t.contact_id,
        t.subject,
        t.body,
        t.channel.as_str(),
        t.priority.as_str(),
        t.assignee,
        t.tags.join(","),
        t.opened_at,
        first_response_at,
        first_response_due,
        resolution_due,
        sla::next_due(&facts),
        t.message_id,
    ])?;
    Ok(conn.last_insert_rowid())
}
