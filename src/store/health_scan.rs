//! Health and churn facts for many accounts at once. Instead of several queries per account,
//! a handful of range scans read a chunk of accounts' signals and tickets over the time spans
//! every asked-for `now` needs, and the facts are then counted per account and per `now`.
//!
//! The windows mirror `health::health_facts` and `Store::churn_facts` exactly, down to the
//! tie-breaks (the latest answer is the one with the greatest `at`, then the greatest id);
//! `tests::set_based_facts_equal_per_account_facts` holds them to it: change them together.

use super::{Result, StoreError};
use crate::domain::churn::ChurnFacts;
use crate::domain::health::{FeatureFacts, HealthFacts, LoginFacts, SatisfactionFacts};
use crate::domain::{DAY, PaymentStatus, Timestamp};
use rusqlite::types::{FromSql, Value, ValueRef};
use rusqlite::{Connection, params};
use std::cmp::Ordering;
use std::collections::HashMap;

/// Accounts read per round of scans: enough to make each statement's cost negligible, few
/// enough that a chunk's rows stay small in memory.
const CHUNK: usize = 4096;

/// Which accounts a scan covers: always only the active ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Every active account.
    Active,
    /// The active accounts among the ids in `temp.health_scope` (see `fill_scope`).
    Listed,
}

impl Scope {
    /// The FROM clause naming the account `a`, and the column to keep a chunk's ids by.
    /// Joins from it are CROSS JOINs: SQLite then keeps the accounts as the outer loop and
    /// seeks each one's rows by index, where it would otherwise sometimes scan a time range
    /// of every account's signals.
    fn clauses(self) -> (&'static str, &'static str) {
        match self {
            Scope::Active => ("accounts a", "a.id"),
            Scope::Listed => ("temp.health_scope k CROSS JOIN accounts a ON a.id = k.id", "k.id"),
        }
    }
}

/// Put these account ids (repeats and unknown ones are harmless) in `temp.health_scope`.
pub(crate) fn fill_scope(conn: &Connection, ids: impl IntoIterator<Item = i64>) -> Result<()> {
    conn.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS health_scope (id INTEGER PRIMARY KEY); DELETE FROM temp.health_scope;",
    )?;
    let mut insert = conn.prepare_cached("INSERT OR IGNORE INTO temp.health_scope (id) VALUES (?1)")?;
    for id in ids {
        insert.execute([id])?;
    }
    Ok(())
}

/// The time spans a scan reads, wide enough for every `now` in [`first`, `last`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spans {
    first: Timestamp,
    last: Timestamp,
    /// Logins (and feature use, when `features`) after this.
    activity_from: Timestamp,
    features: bool,
    /// NPS, CSAT and payments after this; the latest payment at or before it is read apart.
    answers_from: Timestamp,
    /// Tickets opened after this, and every open ticket.
    tickets_from: Timestamp,
    /// Whether to read which tickets are feature requests.
    requests: bool,
}

impl Spans {
    /// What `HealthFacts` need, for every `now` from `first` to `last`.
    pub(crate) fn health(first: Timestamp, last: Timestamp) -> Spans {
        Spans {
            first,
            last,
            activity_from: first - 31 * DAY,
            features: true,
            answers_from: first - 90 * DAY,
            tickets_from: first - 31 * DAY,
            requests: false,
        }
    }

    /// What `ChurnFacts` need, at `now`.
    pub(crate) fn churn(now: Timestamp) -> Spans {
        Spans {
            first: now,
            last: now,
            activity_from: now - 60 * DAY,
            features: false,
            answers_from: now - 30 * DAY,
            tickets_from: now - 90 * DAY,
            requests: true,
        }
    }
}

/// One active account in a scan, with what the account row says.
#[derive(Debug, Clone)]
pub(crate) struct AccountRow {
    pub id: i64,
    pub score: Option<u32>,
    pub renewal_date: Option<String>,
    /// The latest login at or before `Spans::activity_from`.
    prior_login: Option<Timestamp>,
    /// The payment column of the latest payment at or before `Spans::answers_from`.
    prior_payment: Option<String>,
}

#[derive(Debug, Clone, Copy)]
struct TicketRow {
    opened_at: Timestamp,
    open: bool,
    next_due: Option<Timestamp>,
    feature_request: bool,
}

/// A feature use: when, the class `CASE WHEN core = 1 THEN 1 WHEN coalesce(core, 0) = 0 THEN 0`
/// gives it (2 for neither), and the feature's value interned to a number.
#[derive(Debug, Clone, Copy)]
struct FeatureUse {
    at: Timestamp,
    class: u8,
    feature: Option<u32>,
}

/// An answer or payment: when, and the value read. Lists of them are in (at, id) order, so
/// the last one in a window is the latest, ties going to the greater id.
#[derive(Debug, Clone)]
struct Dated<T> {
    at: Timestamp,
    value: T,
}

/// One chunk's rows, each list in account order and, within an account, in (at, id) order.
#[derive(Default)]
struct ChunkRows {
    accounts: Vec<AccountRow>,
    logins: Vec<(i64, Timestamp)>,
    features: Vec<(i64, FeatureUse)>,
    nps: Vec<(i64, Dated<Value>)>,
    csat: Vec<(i64, Dated<Value>)>,
    payments: Vec<(i64, Dated<Option<String>>)>,
    tickets: Vec<(i64, TicketRow)>,
}

/// One account's signals and tickets over the spans of a scan.
pub(crate) struct AccountSignals<'a> {
    pub account: &'a AccountRow,
    spans: Spans,
    logins: &'a [(i64, Timestamp)],
    features: &'a [(i64, FeatureUse)],
    nps: &'a [(i64, Dated<Value>)],
    csat: &'a [(i64, Dated<Value>)],
    payments: &'a [(i64, Dated<Option<String>>)],
    tickets: &'a [(i64, TicketRow)],
}

/// Interned feature values. `count(DISTINCT feature)` tells values apart by storage class,
/// then bytes: one table per class.
#[derive(Default)]
struct Features {
    classes: [HashMap<Vec<u8>, u32>; 4],
    next: u32,
}

impl Features {
    fn intern(&mut self, v: ValueRef<'_>) -> Option<u32> {
        let number;
        let (class, bytes): (usize, &[u8]) = match v {
            ValueRef::Null => return None,
            ValueRef::Text(b) => (0, b),
            ValueRef::Blob(b) => (1, b),
            // a TEXT column stores numbers as text; should one be there, it is kept apart
            ValueRef::Integer(i) => {
                number = i.to_string();
                (2, number.as_bytes())
            }
            ValueRef::Real(f) => {
                number = f.to_string();
                (3, number.as_bytes())
            }
        };
        let table = &mut self.classes[class];
        if let Some(n) = table.get(bytes) {
            return Some(*n);
        }
        let n = self.next;
        self.next += 1;
        table.insert(bytes.to_vec(), n);
        Some(n)
    }
}

/// Read the scoped active accounts in chunks and hand each one's signals to `visit`, in id order.
/// Returns how many accounts were visited.
pub(crate) fn scan(
    conn: &Connection,
    scope: Scope,
    spans: Spans,
    mut visit: impl FnMut(&AccountSignals<'_>) -> Result<()>,
) -> Result<usize> {
    let (from, id) = scope.clauses();
    let ids: Vec<i64> = conn
        .prepare(&format!(
            "SELECT a.id FROM {from} WHERE a.status = 'active' ORDER BY {id}"
        ))?
        .query_map([], |r| r.get(0))?
        .collect::<Result<Vec<_>, _>>()?;
    let sql = ChunkSql::new(scope, spans.requests);
    let mut features = Features::default();
    for chunk in ids.chunks(CHUNK) {
        let (Some(lo), Some(hi)) = (chunk.first(), chunk.last()) else {
            continue;
        };
        let rows = read_chunk(conn, &sql, &spans, (*lo, *hi), &mut features)?;
        let mut at = Cursors::default();
        for account in &rows.accounts {
            let id = account.id;
            let signals = AccountSignals {
                account,
                spans,
                logins: take(&rows.logins, &mut at.logins, id),
                features: take(&rows.features, &mut at.features, id),
                nps: take(&rows.nps, &mut at.nps, id),
                csat: take(&rows.csat, &mut at.csat, id),
                payments: take(&rows.payments, &mut at.payments, id),
                tickets: take(&rows.tickets, &mut at.tickets, id),
            };
            visit(&signals)?;
        }
    }
    Ok(ids.len())
}

#[derive(Default)]
struct Cursors {
    logins: usize,
    features: usize,
    nps: usize,
    csat: usize,
    payments: usize,
    tickets: usize,
}

/// The run of rows for `account` starting at `*pos` (rows are in account order), moving past it.
fn take<'a, T>(rows: &'a [(i64, T)], pos: &mut usize, account: i64) -> &'a [(i64, T)] {
    let start = *pos;
    while rows.get(*pos).is_some_and(|r| r.0 == account) {
        *pos += 1;
    }
    &rows[start..*pos]
}

/// The statements that read one chunk of accounts (?1 to ?2). All return rows in account order
/// and, within an account, in (at, id) order.
struct ChunkSql {
    /// (?3: `activity_from`, ?4: `answers_from`)
    accounts: String,
    /// (?3: after, ?4: up to)
    logins: String,
    features: String,
    nps: String,
    csat: String,
    payments: String,
    /// (?3: `tickets_from`)
    tickets: String,
}

impl ChunkSql {
    fn new(scope: Scope, requests: bool) -> ChunkSql {
        let (from, id) = scope.clauses();
        let keep = format!("a.status = 'active' AND {id} BETWEEN ?1 AND ?2");
        let signals = |kind: &str, columns: &str| {
            format!(
                "SELECT a.id, s.at{columns} FROM {from} CROSS JOIN signals s ON s.account_id = a.id \
                 AND s.kind = '{kind}' AND s.at > ?3 AND s.at <= ?4 WHERE {keep} ORDER BY {id}, s.at, s.id"
            )
        };
        let request = if requests {
            "(',' || t.tags || ',') LIKE '%,feature-request,%'"
        } else {
            "0"
        };
        ChunkSql {
            accounts: format!(
                "SELECT a.id, a.health_score, a.renewal_date, \
                 (SELECT max(s.at) FROM signals s WHERE s.account_id = a.id AND s.kind = 'login' AND s.at <= ?3), \
                 (SELECT s.payment FROM signals s WHERE s.account_id = a.id AND s.kind = 'payment' AND s.at <= ?4 \
                  ORDER BY s.at DESC, s.id DESC LIMIT 1) \
                 FROM {from} WHERE {keep} ORDER BY {id}"
            ),
            logins: signals("login", ""),
            features: signals(
                "feature",
                ", CASE WHEN s.core = 1 THEN 1 WHEN coalesce(s.core, 0) = 0 THEN 0 ELSE 2 END, s.feature",
            ),
            nps: signals("nps", ", s.score"),
            csat: signals("csat", ", s.score"),
            payments: signals("payment", ", s.payment"),
            tickets: format!(
                "SELECT a.id, t.opened_at, t.closed_at IS NULL, t.next_due, {request} \
                 FROM {from} CROSS JOIN tickets t ON t.account_id = a.id AND (t.closed_at IS NULL OR t.opened_at > ?3) \
                 WHERE {keep} ORDER BY {id}"
            ),
        }
    }
}

fn read_chunk(
    conn: &Connection,
    sql: &ChunkSql,
    spans: &Spans,
    (lo, hi): (i64, i64),
    features: &mut Features,
) -> Result<ChunkRows> {
    let last = spans.last;
    let mut rows = ChunkRows::default();
    let mut stmt = conn.prepare_cached(&sql.accounts)?;
    let mut q = stmt.query(params![lo, hi, spans.activity_from, spans.answers_from])?;
    while let Some(r) = q.next()? {
        rows.accounts.push(AccountRow {
            id: r.get(0)?,
            score: r.get(1)?,
            renewal_date: r.get(2)?,
            prior_login: r.get(3)?,
            prior_payment: r.get(4)?,
        });
    }
    let mut stmt = conn.prepare_cached(&sql.logins)?;
    let mut q = stmt.query(params![lo, hi, spans.activity_from, last])?;
    while let Some(r) = q.next()? {
        rows.logins.push((r.get(0)?, r.get(1)?));
    }
    if spans.features {
        let mut stmt = conn.prepare_cached(&sql.features)?;
        let mut q = stmt.query(params![lo, hi, spans.activity_from, last])?;
        while let Some(r) = q.next()? {
            rows.features.push((
                r.get(0)?,
                FeatureUse {
                    at: r.get(1)?,
                    class: r.get(2)?,
                    feature: features.intern(r.get_ref(3)?),
                },
            ));
        }
    }
    for (text, list) in [(&sql.nps, &mut rows.nps), (&sql.csat, &mut rows.csat)] {
        let mut stmt = conn.prepare_cached(text)?;
        let mut q = stmt.query(params![lo, hi, spans.answers_from, last])?;
        while let Some(r) = q.next()? {
            list.push((
                r.get(0)?,
                Dated {
                    at: r.get(1)?,
                    value: r.get(2)?,
                },
            ));
        }
    }
    let mut stmt = conn.prepare_cached(&sql.payments)?;
    let mut q = stmt.query(params![lo, hi, spans.answers_from, last])?;
    while let Some(r) = q.next()? {
        rows.payments.push((
            r.get(0)?,
            Dated {
                at: r.get(1)?,
                value: r.get(2)?,
            },
        ));
    }
    let mut stmt = conn.prepare_cached(&sql.tickets)?;
    let mut q = stmt.query(params![lo, hi, spans.tickets_from])?;
    while let Some(r) = q.next()? {
        rows.tickets.push((
            r.get(0)?,
            TicketRow {
                opened_at: r.get(1)?,
                open: r.get(2)?,
                next_due: r.get(3)?,
                feature_request: r.get(4)?,
            },
        ));
    }
    Ok(rows)
}

/// The rows with `from < at <= to`, of rows in `at` order.
fn window<T>(rows: &[T], at: impl Fn(&T) -> Timestamp, from: Timestamp, to: Timestamp) -> &[T] {
    let start = rows.partition_point(|r| at(r) <= from);
    let end = rows.partition_point(|r| at(r) <= to);
    &rows[start..end.max(start)]
}

/// A column value read as rusqlite reads it into `Option<u32>`.
fn as_score(v: &Value) -> Result<Option<u32>> {
    Option::<u32>::column_result(ValueRef::from(v)).map_err(|e| {
        StoreError::Sql(rusqlite::Error::FromSqlConversionFailure(
            0,
            ValueRef::from(v).data_type(),
            Box::new(e),
        ))
    })
}

/// SQLite's order of two values (NULL, numbers, text, blobs), as `min()` uses it.
fn sqlite_order(a: &Value, b: &Value) -> Ordering {
    fn class(v: &Value) -> u8 {
        match v {
            Value::Null => 0,
            Value::Integer(_) | Value::Real(_) => 1,
            Value::Text(_) => 2,
            Value::Blob(_) => 3,
        }
    }
    match (a, b) {
        (Value::Integer(x), Value::Integer(y)) => x.cmp(y),
        (Value::Integer(x), Value::Real(y)) => (*x as f64).total_cmp(y),
        (Value::Real(x), Value::Integer(y)) => x.total_cmp(&(*y as f64)),
        (Value::Real(x), Value::Real(y)) => x.total_cmp(y),
        (Value::Text(x), Value::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::Blob(x), Value::Blob(y)) => x.cmp(y),
        _ => class(a).cmp(&class(b)),
    }
}

impl AccountSignals<'_> {
    /// Refuse facts the scan did not read enough for: a `now` outside its spans, or health
    /// facts from a churn scan and the other way round.
    fn check(&self, now: Timestamp, churn: bool) -> Result<()> {
        let read_for_churn = self.spans.requests;
        if now < self.spans.first || now > self.spans.last || churn != read_for_churn {
            return Err(StoreError::Rule(format!(
                "{} facts asked for {now} of a {} scan from {} to {}",
                if churn { "churn" } else { "health" },
                if read_for_churn { "churn" } else { "health" },
                self.spans.first,
                self.spans.last
            )));
        }
        Ok(())
    }

    /// The latest login at or before `now`.
    pub fn last_login(&self, now: Timestamp) -> Option<Timestamp> {
        let upto = self.logins.partition_point(|l| l.1 <= now);
        match upto {
            0 => self.account.prior_login,
            n => self.logins.get(n - 1).map(|l| l.1),
        }
    }

    fn payment(&self, now: Timestamp) -> PaymentStatus {
        let upto = self.payments.partition_point(|p| p.1.at <= now);
        let latest = match upto {
            0 => self.account.prior_payment.as_deref(),
            n => self.payments.get(n - 1).and_then(|p| p.1.value.as_deref()),
        };
        latest.and_then(|s| s.parse().ok()).unwrap_or(PaymentStatus::Current)
    }

    /// What `health::health_facts` reads for this account at `now`.
    pub fn health(&self, now: Timestamp) -> Result<HealthFacts> {
        self.check(now, false)?;
        let logins = window(self.logins, |l| l.1, now - 31 * DAY, now);
        // the four windows, as whole ages: days 0-6, 7-13, 14-20, and 21 on
        let active = |age: &dyn Fn(i64) -> bool| u32::from(logins.iter().any(|l| age(now - l.1)));
        let active_weeks = active(&|a| a < 7 * DAY)
            + active(&|a| (7 * DAY..14 * DAY).contains(&a))
            + active(&|a| (14 * DAY..21 * DAY).contains(&a))
            + active(&|a| a >= 21 * DAY);
        let mut seen: Vec<(u8, u32)> = window(self.features, |f| f.1.at, now - 31 * DAY, now)
            .iter()
            .filter_map(|f| f.1.feature.map(|n| (f.1.class, n)))
            .collect();
        seen.sort_unstable();
        seen.dedup();
        let distinct = |class: u8| seen.iter().filter(|s| s.0 == class).count() as u32;
        let latest = |answers: &[(i64, Dated<Value>)]| -> Result<Option<u32>> {
            match window(answers, |a| a.1.at, now - 90 * DAY, now).last() {
                Some(a) => as_score(&a.1.value),
                None => Ok(None),
            }
        };
        let mut satisfaction = SatisfactionFacts {
            nps: latest(self.nps)?,
            csat: latest(self.csat)?,
            ..SatisfactionFacts::default()
        };
        for (_, t) in self.tickets {
            if t.opened_at > now - 31 * DAY && t.opened_at <= now {
                satisfaction.tickets_30d += 1;
            }
            if t.open {
                satisfaction.open_tickets += 1;
                if t.next_due.is_some_and(|due| due < now) {
                    satisfaction.breached_open += 1;
                }
            }
        }
        Ok(HealthFacts {
            logins: LoginFacts {
                days_since_last: self.last_login(now).map(|at| (now - at).div_euclid(DAY)),
                active_weeks,
                logins_30d: logins.len() as u32,
            },
            features: FeatureFacts {
                core_features: distinct(1),
                other_features: distinct(0),
            },
            satisfaction,
            payment: self.payment(now),
        })
    }

    /// What `Store::churn_facts` reads for this account at `now`.
    pub fn churn(&self, now: Timestamp) -> Result<ChurnFacts> {
        self.check(now, true)?;
        let last_30 = window(self.logins, |l| l.1, now - 30 * DAY, now).len() as u32;
        let prior_30 = window(self.logins, |l| l.1, now - 60 * DAY, now - 30 * DAY).len() as u32;
        let mut facts = ChurnFacts {
            logins_last_30d: last_30,
            logins_prior_30d: prior_30,
            payment: self.payment(now),
            ..ChurnFacts::default()
        };
        for (_, t) in self.tickets {
            if t.opened_at > now - 90 * DAY && t.opened_at <= now {
                if t.opened_at > now - 7 * DAY {
                    facts.tickets_last_7d += 1;
                } else if t.opened_at > now - 35 * DAY {
                    facts.tickets_prior_28d += 1;
                }
                if t.feature_request {
                    facts.feature_requests_90d += 1;
                }
            }
        }
        let worst = |answers: &[(i64, Dated<Value>)]| -> Result<Option<u32>> {
            let lowest = window(answers, |a| a.1.at, now - 30 * DAY, now)
                .iter()
                .map(|a| &a.1.value)
                .filter(|v| !matches!(v, Value::Null))
                .min_by(|a, b| sqlite_order(a, b));
            match lowest {
                Some(v) => as_score(v),
                None => Ok(None),
            }
        };
        facts.worst_nps_30d = worst(self.nps)?;
        facts.worst_csat_30d = worst(self.csat)?;
        Ok(facts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::DemoOptions;
    use crate::domain::health::HealthRules;
    use crate::domain::sla::SlaTargets;
    use crate::store::Store;
    use crate::store::health::health_facts;

    const NOW: Timestamp = 1_795_338_000;

    /// Demo data for a few hundred accounts, plus signals and tickets on the edges of every
    /// window: exact boundaries, ties, a NULL payment, odd `core` values, the future.
    fn store() -> Store {
        let s = Store::open_in_memory("t").unwrap();
        let opts = DemoOptions {
            accounts: 260,
            tickets: 1500,
            ..DemoOptions::default()
        };
        s.load_demo(&opts, &SlaTargets::default(), NOW).unwrap();
        let c = &s.conn;
        let signal =
            |account: i64, kind: &str, at: i64, feature: Option<&str>, core: Option<i64>, score: Option<i64>| {
                c.execute(
                    "INSERT INTO signals (account_id, kind, at, feature, core, score) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![account, kind, at, feature, core, score],
                )
                .unwrap();
            };
        for (n, offset) in [0, 1, -1].into_iter().enumerate() {
            let a = 1 + n as i64 * 7;
            for days in [0, 7, 14, 21, 30, 31, 60, 61, 90, 91] {
                signal(a, "login", NOW - days * DAY + offset, None, None, None);
                signal(a + 1, "feature", NOW - days * DAY + offset, Some("edge"), Some(1), None);
                signal(a + 2, "nps", NOW - days * DAY + offset, None, None, Some(days % 11));
                signal(a + 3, "csat", NOW - days * DAY + offset, None, None, Some(1 + days % 5));
            }
        }
        // the same instant twice: the greater id wins
        signal(30, "nps", NOW - 2 * DAY, None, None, Some(3));
        signal(30, "nps", NOW - 2 * DAY, None, None, Some(9));
        signal(31, "csat", NOW - 2 * DAY, None, None, Some(5));
        signal(31, "csat", NOW - 2 * DAY, None, None, None);
        // an answer with no score is the latest answer all the same
        signal(32, "nps", NOW - DAY, None, None, None);
        // feature use: core NULL, 0, 1, 2 and no feature name, one feature both core and not
        for (core, feature) in [
            (None, Some("a")),
            (Some(0), Some("b")),
            (Some(2), Some("c")),
            (Some(1), None),
        ] {
            signal(33, "feature", NOW - 3 * DAY, feature, core, None);
        }
        signal(34, "feature", NOW - 3 * DAY, Some("both"), Some(1), None);
        signal(34, "feature", NOW - 4 * DAY, Some("both"), Some(0), None);
        // the future: not yet
        signal(35, "login", NOW + DAY, None, None, None);
        signal(35, "payment", NOW + DAY, None, None, None);
        // the latest payment with no status reads current; ties by id
        c.execute(
            "INSERT INTO signals (account_id, kind, at, payment) VALUES (36, 'payment', ?1, 'failed'), \
             (36, 'payment', ?1, NULL), (37, 'payment', ?1, NULL), (37, 'payment', ?1, 'late')",
            [NOW - 5 * DAY],
        )
        .unwrap();
        // an account that never logged in, and one whose last login is long ago
        c.execute(
            "DELETE FROM signals WHERE account_id IN (38, 39) AND kind = 'login'",
            [],
        )
        .unwrap();
        signal(39, "login", NOW - 400 * DAY, None, None, None);
        // tickets on the edges: opened exactly 31 and 7 days back, due exactly now
        c.execute(
            "UPDATE tickets SET opened_at = ?1 - 31 * 86400 WHERE id IN (SELECT id FROM tickets WHERE account_id = 40 LIMIT 1)",
            [NOW],
        )
        .unwrap();
        c.execute(
            "UPDATE tickets SET closed_at = NULL, next_due = ?1 WHERE id IN (SELECT id FROM tickets WHERE account_id = 41 LIMIT 2)",
            [NOW],
        )
        .unwrap();
        c.execute(
            "UPDATE tickets SET opened_at = ?1 - 7 * 86400, tags = 'Feature-Request,x' \
             WHERE id IN (SELECT id FROM tickets WHERE account_id = 42 LIMIT 3)",
            [NOW],
        )
        .unwrap();
        s
    }

    fn active(s: &Store) -> Vec<i64> {
        s.conn
            .prepare("SELECT id FROM accounts WHERE status = 'active' ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
    }

    /// The moments compared: now, a second either side, day boundaries 30 and 31 days back, the
    /// backfill's days, and times of day that fall between the signals.
    fn nows() -> Vec<Timestamp> {
        let mut nows = vec![NOW, NOW - 1, NOW + 1, NOW + 5 * 3600, NOW - 7 * DAY];
        for d in [1, 2, 29, 30, 31, 32] {
            nows.extend([
                NOW - d * DAY,
                NOW - d * DAY + 1,
                NOW - d * DAY - 1,
                NOW - d * DAY + 13 * 3600,
            ]);
        }
        nows
    }

    #[test]
    fn set_based_facts_equal_per_account_facts() {
        let s = store();
        let ids = active(&s);
        assert!(ids.len() > 200);
        let nows = nows();
        let (first, last) = (nows.iter().min().unwrap(), nows.iter().max().unwrap());
        let mut seen = Vec::new();
        let visited = scan(&s.conn, Scope::Active, Spans::health(*first, *last), |a| {
            for now in &nows {
                let expected = health_facts(&s.conn, a.account.id, *now).unwrap();
                assert_eq!(a.health(*now).unwrap(), expected, "account {} at {now}", a.account.id);
            }
            seen.push(a.account.id);
            Ok(())
        })
        .unwrap();
        assert_eq!(visited, ids.len());
        assert_eq!(seen, ids);
    }

    #[test]
    fn set_based_churn_facts_equal_per_account_facts() {
        let s = store();
        for now in [NOW, NOW - 1, NOW + 1, NOW - 30 * DAY, NOW - 31 * DAY + 1] {
            let visited = scan(&s.conn, Scope::Active, Spans::churn(now), |a| {
                assert_eq!(
                    a.churn(now).unwrap(),
                    s.churn_facts(a.account.id, now).unwrap(),
                    "account {} at {now}",
                    a.account.id
                );
                Ok(())
            })
            .unwrap();
            assert_eq!(visited, active(&s).len());
        }
    }

    #[test]
    fn a_listed_scope_visits_the_active_accounts_among_the_ids() {
        let s = store();
        let churned: i64 = s
            .conn
            .query_row("SELECT min(id) FROM accounts WHERE status = 'churned'", [], |r| {
                r.get(0)
            })
            .unwrap();
        fill_scope(&s.conn, [41, 3, churned, 3, 99_999, 200]).unwrap();
        let mut seen = Vec::new();
        scan(&s.conn, Scope::Listed, Spans::health(NOW, NOW), |a| {
            assert_eq!(
                a.health(NOW).unwrap(),
                health_facts(&s.conn, a.account.id, NOW).unwrap()
            );
            seen.push(a.account.id);
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, vec![3, 41, 200]);
    }

    #[test]
    fn chunk_reads_seek_each_account_by_index_without_sorting() {
        let s = store();
        fill_scope(&s.conn, [1, 2]).unwrap();
        for scope in [Scope::Active, Scope::Listed] {
            let sql = ChunkSql::new(scope, true);
            for text in [
                &sql.accounts,
                &sql.logins,
                &sql.features,
                &sql.nps,
                &sql.csat,
                &sql.payments,
                &sql.tickets,
            ] {
                let mut stmt = s.conn.prepare(&format!("EXPLAIN QUERY PLAN {text}")).unwrap();
                let values = rusqlite::params_from_iter(1..=stmt.parameter_count() as i64);
                let plan: Vec<String> = stmt
                    .query_map(values, |r| r.get::<_, String>(3))
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap();
                let plan = plan.join("\n");
                assert!(!plan.contains("TEMP B-TREE"), "{text}\n{plan}");
                assert!(!plan.contains("signals_kind_at"), "{text}\n{plan}");
                assert!(!plan.contains("SCAN s") && !plan.contains("SCAN t"), "{text}\n{plan}");
                assert!(plan.contains("(account_id=?"), "{text}\n{plan}");
            }
        }
    }

    #[test]
    fn signals_after_the_mark_are_read_by_id() {
        let s = store();
        let plan: String = s
            .conn
            .query_row(
                &format!("EXPLAIN QUERY PLAN {}", crate::store::health::SIGNALS_AFTER_MARK),
                [0],
                |r| r.get(3),
            )
            .unwrap();
        assert!(plan.contains("INTEGER PRIMARY KEY (rowid>?)"), "{plan}");
    }

    #[test]
    fn facts_the_scan_did_not_read_for_are_refused() {
        let s = store();
        scan(&s.conn, Scope::Active, Spans::health(NOW - DAY, NOW), |a| {
            assert!(a.health(NOW + 1).is_err());
            assert!(a.health(NOW - DAY - 1).is_err());
            assert!(a.churn(NOW).is_err());
            Ok(())
        })
        .unwrap();
        scan(&s.conn, Scope::Active, Spans::churn(NOW), |a| {
            assert!(a.health(NOW).is_err());
            assert!(a.churn(NOW - 1).is_err());
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn recompute_rescore_and_backfill_store_what_per_account_facts_give() {
        let s = store();
        let rules = HealthRules::default();
        assert!(s.backfill_snapshots(&rules, NOW, 30).unwrap() > 0);
        s.recompute_health(&rules, NOW).unwrap();
        for id in active(&s) {
            let (score, last_login): (u32, Option<i64>) = s
                .conn
                .query_row(
                    "SELECT health_score, last_login_at FROM accounts WHERE id = ?1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap();
            let facts = health_facts(&s.conn, id, NOW).unwrap();
            assert_eq!(score, rules.evaluate(&facts).score, "account {id}");
            let expected_login: Option<i64> = s
                .conn
                .query_row(
                    "SELECT max(at) FROM signals WHERE account_id = ?1 AND kind = 'login' AND at <= ?2",
                    params![id, NOW],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(last_login, expected_login, "account {id}");
            let history = s.health_history(id).unwrap();
            assert_eq!(history.len(), 31, "account {id}");
            for (d, snap) in (0..=30).rev().zip(&history) {
                let h = rules.evaluate(&health_facts(&s.conn, id, NOW - d * DAY).unwrap());
                assert_eq!(snap.day, crate::store::day_of(NOW - d * DAY));
                assert_eq!(
                    (snap.score, snap.usage, snap.engagement, snap.satisfaction, snap.payment),
                    (
                        h.score,
                        h.components.usage,
                        h.components.engagement,
                        h.components.satisfaction,
                        h.components.payment
                    ),
                    "account {id} day {}",
                    snap.day
                );
            }
        }
        // a later rescore of a few accounts stores what their facts give then
        let later = NOW + 3 * DAY;
        assert_eq!(s.rescore(&rules, &[2, 5, 5, 99_999], later).unwrap(), 2);
        for id in [2, 5] {
            let score: u32 = s
                .conn
                .query_row("SELECT health_score FROM accounts WHERE id = ?1", [id], |r| r.get(0))
                .unwrap();
            assert_eq!(score, rules.evaluate(&health_facts(&s.conn, id, later).unwrap()).score);
        }
    }
}
