//! Tasks raised by alerts, and what people do with tasks: done, snoozed, dismissed.

use super::health_scan::{self, Scope, Spans};
use super::{BulkSettings, Result, Store, StoreError, day_of};
use crate::domain::alerts::{self, COOLDOWN_DAYS};
use crate::domain::churn;
use crate::domain::health::HealthRules;
use crate::domain::playbook::Playbook;
use crate::domain::{DAY, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};

/// Whether any step of the playbook is open (or snoozed) for the account.
fn playbook_running(conn: &Connection, account: i64, slug: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM tasks WHERE account_id = ?1 AND cause LIKE 'playbook:' || ?2 || ':%' \
             AND status IN ('open', 'snoozed'))",
        )?
        .query_row(params![account, slug], |r| r.get(0))?)
}

/// A task to raise: cause, title, template, due date.
type NewTask<'a> = (&'a str, &'a str, Option<&'a str>, &'a str);

/// Insert playbook tasks for an account, each unless one is open for the same account and
/// cause, in one statement; returns how many were inserted.
fn insert_tasks(
    conn: &Connection,
    account: i64,
    playbook: &str,
    tasks: &[NewTask<'_>],
    actor: &str,
    now: Timestamp,
) -> Result<usize> {
    if tasks.is_empty() {
        return Ok(0);
    }
    let mut stmt = conn.prepare_cached(&format!(
        "INSERT OR IGNORE INTO tasks (account_id, source, playbook, cause, title, template, due_date, actor, created_at) \
         VALUES {}",
        vec!["(?, 'playbook', ?, ?, ?, ?, ?, ?, ?)"; tasks.len()].join(", ")
    ))?;
    for (n, (cause, title, template, due)) in tasks.iter().enumerate() {
        let p = n * 8;
        stmt.raw_bind_parameter(p + 1, account)?;
        stmt.raw_bind_parameter(p + 2, playbook)?;
        stmt.raw_bind_parameter(p + 3, cause)?;
        stmt.raw_bind_parameter(p + 4, title)?;
        stmt.raw_bind_parameter(p + 5, template)?;
        stmt.raw_bind_parameter(p + 6, due)?;
        stmt.raw_bind_parameter(p + 7, actor)?;
        stmt.raw_bind_parameter(p + 8, now)?;
    }
    Ok(stmt.raw_execute()?)
}

impl Store {
    /// Raise the alert tasks every active account's state calls for on `now`'s day: one open
    /// task per account and cause, and none for a cause handled in the last 30 days.
    /// An alert starts its playbook: the first step becomes the alert's task and the later
    /// steps follow as tasks due their days after it; when that playbook is already running
    /// for the account, the alert adds its own task only.
    /// Returns how many tasks were created.
    pub fn raise_alerts(&self, rules: &HealthRules, playbooks: &[Playbook], now: Timestamp) -> Result<usize> {
        self.raise_alerts_in(rules, playbooks, None, now)
    }

    /// `raise_alerts` for these accounts only (the active ones among them).
    pub fn raise_alerts_for(
        &self,
        rules: &HealthRules,
        playbooks: &[Playbook],
        accounts: &[i64],
        now: Timestamp,
    ) -> Result<usize> {
        self.raise_alerts_in(rules, playbooks, Some(accounts), now)
    }

    fn raise_alerts_in(
        &self,
        rules: &HealthRules,
        playbooks: &[Playbook],
        accounts: Option<&[i64]>,
        now: Timestamp,
    ) -> Result<usize> {
        let today = chrono::DateTime::from_timestamp(now, 0)
            .map(|d| d.date_naive())
            .ok_or_else(|| StoreError::Rule("the clock is out of range".into()))?;
        let _bulk = BulkSettings::new(&self.conn)?;
        let tx = self.write_tx()?;
        let scope = match accounts {
            Some(ids) => {
                health_scan::fill_scope(&tx, ids.iter().copied())?;
                Scope::Listed
            }
            None => Scope::Active,
        };
        let since = now - COOLDOWN_DAYS * DAY;
        let mut raised = 0;
        health_scan::scan(&tx, scope, Spans::churn(now), |account| {
            let id = account.account.id;
            let score = account.account.score;
            let signs = churn::warning_signs(&account.churn(now)?);
            let renewal = (account.account.renewal_date.as_deref())
                .and_then(|r| chrono::NaiveDate::parse_from_str(r, "%Y-%m-%d").ok());
            for a in alerts::alerts(score.map(|s| rules.tier(s)), &signs, renewal, today) {
                let recent: Option<i64> = tx
                    .prepare_cached(
                        "SELECT id FROM tasks WHERE account_id = ?1 AND cause = ?2 \
                         AND (status IN ('open', 'snoozed') OR closed_at >= ?3) LIMIT 1",
                    )?
                    .query_row(params![id, a.cause, since], |r| r.get(0))
                    .optional()?;
                if recent.is_some() {
                    continue;
                }
                let playbook = playbooks.iter().find(|p| p.slug == a.playbook);
                let running = match playbook {
                    Some(p) => playbook_running(&tx, id, &p.slug)?,
                    None => true,
                };
                let due = |d: u32| {
                    (a.due + chrono::Duration::days(i64::from(d)))
                        .format("%Y-%m-%d")
                        .to_string()
                };
                match playbook.filter(|_| !running) {
                    Some(p) => {
                        let steps: Vec<(String, String, Option<&str>, String)> = (p.steps.iter().enumerate())
                            .map(|(i, step)| {
                                if i == 0 {
                                    (
                                        a.cause.clone(),
                                        format!("{}: {}", a.title, step.title),
                                        step.template.as_deref().or(a.template),
                                        due(step.day),
                                    )
                                } else {
                                    (
                                        p.step_cause(i),
                                        step.title.clone(),
                                        step.template.as_deref(),
                                        due(step.day),
                                    )
                                }
                            })
                            .collect();
                        let tasks: Vec<NewTask<'_>> = (steps.iter())
                            .map(|(cause, title, template, due)| {
                                (cause.as_str(), title.as_str(), *template, due.as_str())
                            })
                            .collect();
                        raised += insert_tasks(&tx, id, &p.slug, &tasks, &self.actor, now)?;
                    }
                    None => {
                        let task = (a.cause.as_str(), a.title, a.template, due(0));
                        raised += insert_tasks(
                            &tx,
                            id,
                            a.playbook,
                            &[(task.0, task.1, task.2, &task.3)],
                            &self.actor,
                            now,
                        )?;
                    }
                }
            }
            Ok(())
        })?;
        Store::audit(
            &tx,
            &self.actor,
            now,
            "tasks",
            0,
            "raise-alerts",
            &format!("{raised} raised"),
        )?;
        tx.commit()?;
        Ok(raised)
    }

    /// Start a playbook for an account by hand: each step becomes a task due its days from
    /// today. Refused while the playbook already has open steps for the account.
    /// `expected`: the account's version as the user saw it, refused (as stale) if it changed.
    pub fn start_playbook(
        &self,
        account: i64,
        playbook: &Playbook,
        expected: Option<i64>,
        now: Timestamp,
    ) -> Result<usize> {
        let tx = self.write_tx()?;
        let a = self.account(account)?;
        Store::check_version(&tx, "account", account, expected, a.version)?;
        if playbook_running(&tx, account, &playbook.slug)? {
            return Err(StoreError::Rule(format!(
                "the {} playbook is already running for {}; finish or dismiss its open steps first",
                playbook.slug, a.name
            )));
        }
        let steps: Vec<(String, String)> = (playbook.steps.iter().enumerate())
            .map(|(i, step)| (playbook.step_cause(i), day_of(now + i64::from(step.day) * DAY)))
            .collect();
        let tasks: Vec<NewTask<'_>> = (playbook.steps.iter().zip(&steps))
            .map(|(step, (cause, due))| {
                (
                    cause.as_str(),
                    step.title.as_str(),
                    step.template.as_deref(),
                    due.as_str(),
                )
            })
            .collect();
        let created = insert_tasks(&tx, account, &playbook.slug, &tasks, &self.actor, now)?;
        Store::audit(
            &tx,
            &self.actor,
            now,
            "account",
            account,
            "playbook",
            &format!("started {} ({} steps)", playbook.slug, created),
        )?;
        tx.commit()?;
        Ok(created)
    }

    /// Mark a task done.
    pub fn complete_task(&self, id: i64, now: Timestamp) -> Result<()> {
        self.change_task(id, "done", None, None, now)
    }

    /// Snooze a task until a day (it comes back on Today that day).
    pub fn snooze_task(&self, id: i64, until: &str, now: Timestamp) -> Result<()> {
        if until <= day_of(now).as_str() {
            return Err(StoreError::Rule("a snooze must end after today".into()));
        }
        self.change_task(id, "snoozed", Some(until), None, now)
    }

    /// Dismiss a task, with the reason.
    pub fn dismiss_task(&self, id: i64, reason: &str, now: Timestamp) -> Result<()> {
        if reason.trim().is_empty() {
            return Err(StoreError::Rule("dismissing a task needs a reason".into()));
        }
        self.change_task(id, "dismissed", None, Some(reason.trim()), now)
    }

    fn change_task(
        &self,
        id: i64,
        status: &str,
        until: Option<&str>,
        reason: Option<&str>,
        now: Timestamp,
    ) -> Result<()> {
        let tx = self.write_tx()?;
        let current: Option<String> = tx
            .query_row("SELECT status FROM tasks WHERE id = ?1", [id], |r| r.get(0))
            .optional()?;
        match current.as_deref() {
            None => {
                return Err(StoreError::NotFound {
                    what: "task",
                    id: id.to_string(),
                });
            }
            Some("open") | Some("snoozed") => {}
            Some(other) => return Err(StoreError::Rule(format!("task {id} is already {other}"))),
        }
        let closed = (status != "snoozed").then_some(now);
        tx.execute(
            "UPDATE tasks SET status = ?2, snoozed_until = ?3, reason = coalesce(?4, reason), closed_at = ?5 WHERE id = ?1",
            params![id, status, until, reason, closed],
        )?;
        if status != "snoozed" {
            // a sequence whose last step this was is complete
            tx.execute(
                "UPDATE sequence_enrollments SET status = 'completed', ended_at = ?2 \
                 WHERE id = (SELECT enrollment_id FROM tasks WHERE id = ?1) AND status = 'active' \
                 AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.enrollment_id = sequence_enrollments.id AND t.status IN ('open', 'snoozed'))",
                params![id, now],
            )?;
        }
        let detail = match (until, reason) {
            (Some(u), _) => format!("{status} until {u}"),
            (_, Some(r)) => format!("{status}: {r}"),
            _ => status.to_string(),
        };
        Store::audit(&tx, &self.actor, now, "task", id, status, &detail)?;
        tx.commit()?;
        Ok(())
    }
}
