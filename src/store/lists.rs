//! The cockpit's two long lists, read a window at a time: how many rows a view holds, the rows
//! from a position on (walking an index in list order), where a given row stands, and the
//! search text the filter ranks. No query here reads more rows than the screen needs, except
//! the search candidates, which are read once when a text filter starts.

use super::accounts::{ACCOUNT_COLUMNS, account_from_row};
use super::tickets::{TICKET_COLUMNS, ticket_from_row};
use super::{Account, Result, Store, Ticket};
use crate::domain::{Segment, Stage, Step, Timestamp};
use rusqlite::types::Value;
use std::collections::HashMap;

/// The orders of the accounts list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListOrder {
    /// Worst health first, never scored last.
    #[default]
    Score,
    /// Most fallen over the trend window first.
    Trend,
    Name,
    Segment,
    Stage,
    /// Highest first.
    Mrr,
    /// Most open tickets first.
    Open,
    /// Longest since the last login first (never logged in before all).
    LastLogin,
    /// Soonest renewal first, none last.
    Renewal,
}

/// Which accounts the list shows, and in which order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccountListQuery {
    /// Only scores in this range (a health tier).
    pub score_range: Option<(u32, u32)>,
    pub stage: Option<Stage>,
    pub segment: Option<Segment>,
    pub order: ListOrder,
    /// The order reversed (ties stay by id).
    pub desc: bool,
    /// The first day of the trend window, for the trend order and column.
    pub trend_since: String,
}

/// Which open tickets the queue shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueueKind {
    /// Open and not snoozed.
    #[default]
    Open,
    /// Past a running SLA clock.
    Breached,
    /// Waiting on the customer.
    Waiting,
    Snoozed,
    /// Open, not snoozed, assigned to the one asking.
    Mine,
    /// Open, not snoozed, escalated to tier 2.
    TierTwo,
    /// At this SOP step.
    Step(Step),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueueQuery {
    pub kind: QueueKind,
    pub account: Option<i64>,
    /// Only tickets of accounts scoring in this range (a health tier).
    pub score_range: Option<(u32, u32)>,
    /// Who "mine" is.
    pub actor: String,
    /// The clock that snoozes and breaches are read against.
    pub now: Timestamp,
}

const TREND_SQL: &str = "coalesce(a.health_score - (SELECT s.score FROM health_snapshots s \
     WHERE s.account_id = a.id AND s.day >= :t ORDER BY s.day LIMIT 1), 0)";

impl AccountListQuery {
    /// The order's key expression, and whether it runs high to low before `desc`.
    fn key(&self) -> (&'static str, bool) {
        match self.order {
            ListOrder::Score => ("coalesce(a.health_score, 4294967295)", false),
            ListOrder::Trend => (TREND_SQL, false),
            ListOrder::Name => ("a.name COLLATE NOCASE", false),
            ListOrder::Segment => (
                "CASE a.segment WHEN 'enterprise' THEN 0 WHEN 'smb' THEN 1 ELSE 2 END",
                false,
            ),
            ListOrder::Stage => (
                "CASE a.stage WHEN 'onboarding' THEN 0 WHEN 'adoption' THEN 1 WHEN 'value-realization' THEN 2 \
                 WHEN 'expansion' THEN 3 ELSE 4 END",
                false,
            ),
            ListOrder::Mrr => ("a.mrr_cents", true),
            ListOrder::Open => ("a.open_tickets", true),
            ListOrder::LastLogin => ("coalesce(a.last_login_at, 0)", false),
            ListOrder::Renewal => ("coalesce(a.renewal_date, '9999')", false),
        }
    }

    fn high_first(&self) -> bool {
        self.key().1 != self.desc
    }

    /// The WHERE clause and its arguments (named, so the trend day can appear anywhere).
    fn filter(&self) -> (String, Vec<(&'static str, Value)>) {
        let mut sql = String::from("1 = 1");
        let mut args: Vec<(&'static str, Value)> = Vec::new();
        if let Some((lo, hi)) = self.score_range {
            sql.push_str(" AND a.health_score BETWEEN :lo AND :hi");
            args.push((":lo", i64::from(lo).into()));
            args.push((":hi", i64::from(hi).into()));
        }
        if let Some(stage) = self.stage {
            sql.push_str(" AND a.stage = :stage");
            args.push((":stage", stage.as_str().to_string().into()));
        }
        if let Some(segment) = self.segment {
            sql.push_str(" AND a.segment = :segment");
            args.push((":segment", segment.as_str().to_string().into()));
        }
        (sql, args)
    }

    fn args<'a>(
        &'a self,
        base: &'a [(&'static str, Value)],
        sql: &str,
    ) -> Vec<(&'static str, &'a dyn rusqlite::ToSql)> {
        let mut v: Vec<(&'static str, &dyn rusqlite::ToSql)> =
            base.iter().map(|(k, val)| (*k, val as &dyn rusqlite::ToSql)).collect();
        if sql.contains(":t") {
            v.push((":t", &self.trend_since));
        }
        v
    }
}

impl QueueQuery {
    fn filter(&self) -> (String, Vec<Value>) {
        const SNOOZED: &str = "(t.snoozed_until_reply = 1 OR coalesce(t.snoozed_until > ?, 0))";
        let mut sql = String::from("t.closed_at IS NULL");
        let mut args: Vec<Value> = Vec::new();
        let not_snoozed = |sql: &mut String, args: &mut Vec<Value>| {
            sql.push_str(&format!(" AND NOT {SNOOZED}"));
            args.push(self.now.into());
        };
        match self.kind {
            QueueKind::Open => not_snoozed(&mut sql, &mut args),
            QueueKind::Breached => {
                sql.push_str(" AND t.next_due < ?");
                args.push(self.now.into());
            }
            QueueKind::Waiting => sql.push_str(" AND t.waiting_since IS NOT NULL"),
            QueueKind::Snoozed => {
                sql.push_str(&format!(" AND {SNOOZED}"));
                args.push(self.now.into());
            }
            QueueKind::Mine => {
                not_snoozed(&mut sql, &mut args);
                sql.push_str(" AND t.assignee = ?");
                args.push(self.actor.clone().into());
            }
            QueueKind::TierTwo => {
                not_snoozed(&mut sql, &mut args);
                sql.push_str(" AND t.support_tier = 2");
            }
            QueueKind::Step(s) => {
                sql.push_str(" AND t.step = ?");
                args.push(s.as_str().to_string().into());
            }
        }
        if let Some(account) = self.account {
            sql.push_str(" AND t.account_id = ?");
            args.push(account.into());
        }
        if let Some((lo, hi)) = self.score_range {
            sql.push_str(" AND a.health_score BETWEEN ? AND ?");
            args.push(i64::from(lo).into());
            args.push(i64::from(hi).into());
        }
        (sql, args)
    }

    fn joins_accounts(&self) -> bool {
        self.score_range.is_some()
    }

    /// The index to read the queue through: the queue's own (it holds every column the filters
    /// read), or an account's tickets when the queue is one account's.
    fn index(&self) -> &'static str {
        if self.account.is_some() {
            "INDEXED BY tickets_account"
        } else {
            "INDEXED BY tickets_queue"
        }
    }
}

/// The queue's order: most urgent first (the soonest running clock), unclocked last.
const QUEUE_ORDER: &str = "t.next_due IS NULL, t.next_due, t.opened_at, t.id";

impl Store {
    /// How many accounts the list holds.
    pub fn account_list_count(&self, q: &AccountListQuery) -> Result<usize> {
        let (filter, base) = q.filter();
        let sql = format!("SELECT count(*) FROM accounts a WHERE {filter}");
        let n: i64 = self
            .conn
            .prepare_cached(&sql)?
            .query_row(q.args(&base, &sql).as_slice(), |r| r.get(0))?;
        Ok(n as usize)
    }

    /// `limit` accounts of the list from position `start` on.
    pub fn account_list_page(&self, q: &AccountListQuery, start: usize, limit: usize) -> Result<Vec<Account>> {
        let (filter, mut base) = q.filter();
        let (key, _) = q.key();
        let dir = if q.high_first() { "DESC" } else { "ASC" };
        // the rows skipped are walked in the index alone; only the window's rows are read
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id IN \
             (SELECT a.id FROM accounts a WHERE {filter} ORDER BY {key} {dir}, a.id LIMIT :limit OFFSET :start) \
             ORDER BY {key} {dir}, a.id"
        );
        base.push((":limit", (limit as i64).into()));
        base.push((":start", (start as i64).into()));
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt
            .query_map(q.args(&base, &sql).as_slice(), account_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Where this account stands in the list, if the list holds it.
    pub fn account_list_position(&self, q: &AccountListQuery, id: i64) -> Result<Option<usize>> {
        let (filter, mut base) = q.filter();
        let (key, _) = q.key();
        let cmp = if q.high_first() { ">" } else { "<" };
        // the row's own key, read once; then the rows before it in list order are counted
        let key_sql = format!("SELECT {key} FROM accounts a WHERE a.id = :id AND {filter}");
        base.push((":id", id.into()));
        let own: Option<Value> = {
            let mut stmt = self.conn.prepare_cached(&key_sql)?;
            let mut rows = stmt.query(q.args(&base, &key_sql).as_slice())?;
            match rows.next()? {
                Some(r) => Some(r.get(0)?),
                None => None,
            }
        };
        let Some(own) = own else { return Ok(None) };
        let collate = if q.order == ListOrder::Name {
            " COLLATE NOCASE"
        } else {
            ""
        };
        let sql = format!(
            "SELECT count(*) FROM accounts a WHERE {filter} AND ({key} {cmp} :k{collate} OR ({key} = :k{collate} AND a.id < :id))"
        );
        base.push((":k", own));
        let n: i64 = self
            .conn
            .prepare_cached(&sql)?
            .query_row(q.args(&base, &sql).as_slice(), |r| r.get(0))?;
        Ok(Some(n as usize))
    }

    /// Each account's search text (name, owner, plan, external id) with its id, for the
    /// accounts the list holds, worst health first: what the text filter ranks.
    pub fn account_search_text(&self, q: &AccountListQuery) -> Result<Vec<(i64, String)>> {
        let (filter, base) = q.filter();
        let sql = format!(
            "SELECT a.id, a.name || ' ' || coalesce(a.owner, '') || ' ' || a.plan || ' ' || coalesce(a.external_id, '') \
             FROM accounts a WHERE {filter} ORDER BY coalesce(a.health_score, 4294967295), a.id"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt
            .query_map(q.args(&base, &sql).as_slice(), |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// These accounts, in the order given (ids that are gone are left out).
    pub fn accounts_by_ids(&self, ids: &[i64]) -> Result<Vec<Account>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; ids.len()].join(", ");
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id IN ({marks})"
        ))?;
        let mut found: HashMap<i64, Account> = stmt
            .query_map(rusqlite::params_from_iter(ids), account_from_row)?
            .map(|r| r.map(|a| (a.id, a)))
            .collect::<Result<_, _>>()?;
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    /// Each of these accounts' first score on or after `day` (the start of its trend).
    pub fn trend_starts(&self, ids: &[i64], day: &str) -> Result<HashMap<i64, u32>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT score FROM health_snapshots WHERE account_id = ?1 AND day >= ?2 ORDER BY day LIMIT 1",
        )?;
        let mut out = HashMap::new();
        for id in ids {
            let mut rows = stmt.query(rusqlite::params![id, day])?;
            if let Some(r) = rows.next()? {
                out.insert(*id, r.get(0)?);
            }
        }
        Ok(out)
    }

    /// How many accounts there are in all.
    pub fn account_count(&self) -> Result<usize> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT count(*) FROM accounts")?
            .query_row([], |r| r.get(0))?;
        Ok(n as usize)
    }

    /// How many tickets the queue holds.
    pub fn queue_count(&self, q: &QueueQuery) -> Result<usize> {
        let (filter, args) = q.filter();
        let join = if q.joins_accounts() {
            " JOIN accounts a ON a.id = t.account_id"
        } else {
            ""
        };
        let n: i64 = self
            .conn
            .prepare_cached(&format!(
                "SELECT count(*) FROM tickets t {} {join} WHERE {filter}",
                q.index()
            ))?
            .query_row(rusqlite::params_from_iter(args), |r| r.get(0))?;
        Ok(n as usize)
    }

    /// `limit` tickets of the queue from position `start` on.
    pub fn queue_page(&self, q: &QueueQuery, start: usize, limit: usize) -> Result<Vec<Ticket>> {
        let (filter, mut args) = q.filter();
        args.push((limit as i64).into());
        args.push((start as i64).into());
        // the rows skipped are walked in the queue's index alone; only the window's rows are read
        let join = if q.joins_accounts() {
            " JOIN accounts a ON a.id = t.account_id"
        } else {
            ""
        };
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {TICKET_COLUMNS} FROM tickets t JOIN accounts a ON a.id = t.account_id WHERE t.id IN \
             (SELECT t.id FROM tickets t {} {join} WHERE {filter} ORDER BY {QUEUE_ORDER} LIMIT ? OFFSET ?) \
             ORDER BY {QUEUE_ORDER}",
            q.index()
        ))?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args), ticket_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Where this ticket stands in the queue, if the queue holds it.
    pub fn queue_position(&self, q: &QueueQuery, id: i64) -> Result<Option<usize>> {
        let (filter, args) = q.filter();
        let join = if q.joins_accounts() {
            " JOIN accounts a ON a.id = t.account_id"
        } else {
            ""
        };
        let mut own_args = args.clone();
        own_args.push(id.into());
        let own: Option<(bool, i64, i64)> = {
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT t.next_due IS NULL, coalesce(t.next_due, 0), t.opened_at FROM tickets t{join} \
                 WHERE {filter} AND t.id = ?"
            ))?;
            let mut rows = stmt.query(rusqlite::params_from_iter(own_args))?;
            match rows.next()? {
                Some(r) => Some((r.get(0)?, r.get(1)?, r.get(2)?)),
                None => None,
            }
        };
        let Some((null, due, opened)) = own else {
            return Ok(None);
        };
        let mut args = args;
        args.extend([Value::from(null), due.into(), opened.into(), id.into()]);
        let n: i64 = self
            .conn
            .prepare_cached(&format!(
                "SELECT count(*) FROM tickets t {} {join} WHERE {filter} \
                 AND (t.next_due IS NULL, coalesce(t.next_due, 0), t.opened_at, t.id) < (?, ?, ?, ?)",
                q.index()
            ))?
            .query_row(rusqlite::params_from_iter(args), |r| r.get(0))?;
        Ok(Some(n as usize))
    }

    /// Each queued ticket's search text (#id, subject, account, assignee, tags) with its id, in
    /// queue order: what the text filter ranks.
    pub fn queue_search_text(&self, q: &QueueQuery) -> Result<Vec<(i64, String)>> {
        let (filter, args) = q.filter();
        let mut stmt = self.conn.prepare(&format!(
            "SELECT t.id, '#' || t.id || ' ' || t.subject || ' ' || a.name || ' ' || coalesce(t.assignee, '') || ' ' \
             || replace(t.tags, ',', ' ') FROM tickets t JOIN accounts a ON a.id = t.account_id WHERE {filter} \
             ORDER BY {QUEUE_ORDER}"
        ))?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args), |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// These tickets, in the order given (ids that are gone are left out).
    pub fn tickets_by_ids(&self, ids: &[i64]) -> Result<Vec<Ticket>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; ids.len()].join(", ");
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {TICKET_COLUMNS} FROM tickets t JOIN accounts a ON a.id = t.account_id WHERE t.id IN ({marks})"
        ))?;
        let mut found: HashMap<i64, Ticket> = stmt
            .query_map(rusqlite::params_from_iter(ids), ticket_from_row)?
            .map(|r| r.map(|t| (t.id, t)))
            .collect::<Result<_, _>>()?;
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }
}
