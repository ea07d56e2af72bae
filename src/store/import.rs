//! Imports: one transaction for a whole file, rows upserted by their external id.
//!
//! Nothing is visible to anyone else until `commit`; dropping the batch (an error, `--strict`
//! with rejected rows, `--dry-run`, or a killed process) leaves the database as it was.

use super::accounts::insert_account_row;
use super::tickets::{NewTicket, add_event, insert_ticket_row};
use super::{NewAccount, Result, Store, StoreError};
use crate::domain::health::HealthRules;
use crate::domain::import::{AccountKey, AccountRecord, ContactRecord, SignalRecord, TicketRecord, account_key};
use crate::domain::sla::{self, ClockFacts, SlaTargets};
use crate::domain::{AccountStatus, Segment, Step, Timestamp, day_string};
use rusqlite::{OptionalExtension, params};
use std::collections::HashMap;

/// The page cache during an import, in KiB (SQLite's default is 2 MiB): 256 MiB, so that a
/// large import's pages, written again by the rescore and the index rebuilds, stay in memory.
const IMPORT_CACHE_KIB: i64 = -256 * 1024;
/// SQLite's default page cache, restored after an import.
const DEFAULT_CACHE_KIB: i64 = -2000;
/// Account rows an import writes before it goes into bulk mode.
const BULK_AFTER_WRITES: u64 = 10_000;
/// Bulk mode drops the indexes when the rows written so far are at least this share of the
/// rows the table held (one in four).
const BULK_TABLE_SHARE: u64 = 4;
/// The change-counter triggers bulk mode replaces by one bump at the end (migration 0003).
const ACCOUNT_COUNTER_TRIGGERS: [&str; 2] = ["accounts_changed_ins", "accounts_changed_upd"];
const ACCOUNT_COUNTER_BODY: &str = "UPDATE change_counters SET n = n + 1 WHERE tbl = 'accounts'; END";

/// What an imported row did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Inserted,
    Updated,
    Unchanged,
}

/// An import in progress: one open transaction.
pub struct ImportBatch<'s> {
    /// Declared before the transaction, so that they are finalized before it ends.
    row_statements: RowStatements<'s>,
    conn: &'s rusqlite::Connection,
    tx: rusqlite::Transaction<'s>,
    actor: String,
    now: Timestamp,
    sla: SlaTargets,
    create_accounts: bool,
    account_ids: HashMap<String, i64>,
    /// Accounts whose health inputs changed, to rescore after the commit (a set of every new
    /// account in a large import: hashed with foldhash, not SipHash, as ids are not hostile).
    pub touched: foldhash::HashSet<i64>,
    /// Account rows an accounts import inserted or updated so far.
    account_writes: u64,
    /// Of those, the rows inserted.
    account_inserts: u64,
    /// Revenue events written so far.
    revenue_writes: u64,
    /// The accounts there were before the batch, once bulk mode has needed to know.
    accounts_before: Option<u64>,
    /// When `account_writes` reaches this, look again at whether bulk mode pays.
    bulk_check_at: u64,
    bulk: Option<Bulk>,
    /// The last account row was a new account: try the next one's insert before looking it up.
    expect_new: bool,
}

/// The statements an accounts import runs for every row, prepared once for the batch (the
/// connection's statement cache hashes a statement's SQL twice each time it is used).
struct RowStatements<'c> {
    find: rusqlite::Statement<'c>,
    insert: rusqlite::Statement<'c>,
    revenue: rusqlite::Statement<'c>,
}

impl<'c> RowStatements<'c> {
    fn prepare(conn: &'c rusqlite::Connection) -> Result<RowStatements<'c>> {
        Ok(RowStatements {
            find: conn.prepare(
                "SELECT id, name, segment, plan, mrr_cents, stage, owner, signup_date, renewal_date, status, \
                 churned_on, churn_reason FROM accounts WHERE external_id = ?1",
            )?,
            // the columns of accounts::insert_account_row; an id already taken inserts nothing
            insert: conn.prepare(
                "INSERT INTO accounts (external_id, name, segment, plan, mrr_cents, stage, owner, signup_date, \
                 renewal_date, status, churned_on, churn_reason, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13) \
                 ON CONFLICT (external_id) DO NOTHING",
            )?,
            revenue: conn.prepare(
                "INSERT INTO revenue_events (account_id, at, kind, mrr_before, mrr_after, actor) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?,
        })
    }
}

/// An accounts import's row next to what is stored.
enum Found {
    New,
    Unchanged,
    /// The account's id and stored fields, which the row changes.
    Changed(i64, Box<StoredAccount>),
}

impl Found {
    fn compare(row: &rusqlite::Row, r: &AccountRecord) -> rusqlite::Result<Found> {
        let cur = AccountView {
            name: row.get_ref(1)?.as_str()?,
            segment: row.get_ref(2)?.as_str()?,
            plan: row.get_ref(3)?.as_str()?,
            mrr_cents: row.get_ref(4)?.as_i64()?,
            stage: row.get_ref(5)?.as_str()?,
            owner: row.get_ref(6)?.as_str_or_null()?,
            signup_date: row.get_ref(7)?.as_str()?,
            renewal_date: row.get_ref(8)?.as_str_or_null()?,
            status: row.get_ref(9)?.as_str()?,
            churned_on: row.get_ref(10)?.as_str_or_null()?,
            churn_reason: row.get_ref(11)?.as_str_or_null()?,
        };
        if cur.with(r) == cur {
            return Ok(Found::Unchanged);
        }
        Ok(Found::Changed(row.get(0)?, Box::new(StoredAccount::of(cur))))
    }
}

/// A large import's bulk mode: the accounts change-counter triggers (and, when the import is
/// large next to the tables, the account tables' non-unique indexes) are dropped inside the
/// import's transaction, and put back (with one counter bump for all the rows written
/// meanwhile) just before it commits. Nobody else sees the schema without them: a rollback, a
/// dry run, an error or a killed process restores it with everything else.
#[derive(Debug, Default)]
struct Bulk {
    /// The CREATE statements of what was dropped, in the order to run them again.
    restore: Vec<String>,
    /// Whether the counter triggers are away, so that the batch counts for them.
    counting: bool,
    /// Account rows written while the counter triggers were away: what they would have counted.
    uncounted: u64,
    /// Whether CHECK constraints are off (`ignore_check_constraints`).
    unchecked: bool,
}

impl Bulk {
    /// Drop a table's non-unique indexes (a UNIQUE one checks the rows as they come, so it stays).
    fn drop_indexes(&mut self, tx: &rusqlite::Transaction, table: &str) -> Result<()> {
        let indexes: Vec<(String, String)> = tx
            .prepare(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL \
                 AND sql NOT LIKE 'CREATE UNIQUE%' ORDER BY name",
            )?
            .query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<std::result::Result<_, _>>()?;
        for (name, sql) in indexes {
            tx.execute_batch(&format!("DROP INDEX \"{name}\""))?;
            self.restore.push(sql);
        }
        Ok(())
    }

    /// Drop the accounts change-counter triggers, if they are still the plain counter bump of
    /// migration 0003 (a trigger changed since may do more, and is left to do it).
    fn drop_counter_triggers(&mut self, tx: &rusqlite::Transaction) -> Result<()> {
        let triggers: Vec<(String, String)> = tx
            .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'accounts' AND name IN (?1, ?2)")?
            .query_map(ACCOUNT_COUNTER_TRIGGERS, |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<std::result::Result<_, _>>()?;
        let plain = |sql: &str| {
            sql.split_once(" BEGIN ")
                .is_some_and(|(_, body)| body.trim() == ACCOUNT_COUNTER_BODY)
        };
        if triggers.len() != ACCOUNT_COUNTER_TRIGGERS.len() || !triggers.iter().all(|(_, sql)| plain(sql)) {
            return Ok(());
        }
        for (name, sql) in triggers {
            tx.execute_batch(&format!("DROP TRIGGER \"{name}\""))?;
            self.restore.push(sql);
        }
        self.counting = true;
        Ok(())
    }

    /// Turn CHECK constraints off when every one of the account tables' is a rule the import's
    /// types already keep (see `typed_checks`): SQLite builds a temporary b-tree per row for
    /// each `IN (...)` check, a third of an account import's time. A table with any other
    /// check keeps them all.
    fn skip_typed_checks(&mut self, tx: &rusqlite::Transaction) -> Result<()> {
        let typed = typed_checks();
        for (table, checks) in &typed {
            let sql: Option<String> = tx
                .query_row(
                    "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1",
                    [table],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(found) = sql.as_deref().and_then(check_clauses) else {
                return Ok(());
            };
            if !found.iter().all(|c| checks.contains(c)) {
                return Ok(());
            }
        }
        tx.pragma_update(None, "ignore_check_constraints", true)?;
        self.unchecked = true;
        Ok(())
    }
}

fn count_rows(tx: &rusqlite::Transaction, table: &str) -> Result<u64> {
    let n: i64 = tx.query_row(&format!("SELECT count(*) FROM \"{table}\""), [], |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

/// The revenue event kinds an import writes.
const REVENUE_KINDS: [&str; 4] = ["new", "expansion", "contraction", "churn"];

/// The CHECK constraints of the tables an accounts import writes that its values cannot break,
/// as SQL: segments, stages and statuses are the words of their enums, revenue kinds those above,
/// and amounts are refused when negative (`parse_money`) before they reach the store (a record
/// that holds one anyway turns the checks back on: `ImportBatch::account`).
fn typed_checks() -> [(&'static str, Vec<String>); 2] {
    fn one_of(column: &str, words: impl IntoIterator<Item = &'static str>) -> String {
        let words: Vec<String> = words.into_iter().map(|w| format!("'{w}'")).collect();
        format!("{column} IN ({})", words.join(", "))
    }
    [
        (
            "accounts",
            vec![
                one_of("segment", Segment::ALL.iter().map(|s| s.as_str())),
                "mrr_cents >= 0".into(),
                one_of("stage", crate::domain::Stage::ALL.iter().map(|s| s.as_str())),
                one_of("status", AccountStatus::ALL.iter().map(|s| s.as_str())),
            ],
        ),
        (
            "revenue_events",
            vec![
                one_of("kind", REVENUE_KINDS),
                "mrr_before >= 0".into(),
                "mrr_after >= 0".into(),
            ],
        ),
    ]
}

/// The conditions of a CREATE TABLE's CHECK constraints; None when they cannot be told apart
/// with certainty (a "check" that is not followed by one parenthesised condition).
fn check_clauses(sql: &str) -> Option<Vec<String>> {
    let lower = sql.to_ascii_lowercase();
    let mut found = Vec::new();
    let mut rest = 0;
    while let Some(at) = lower[rest..].find("check") {
        let start = rest + at + "check".len();
        let open = start + lower[start..].find(|c: char| !c.is_whitespace())?;
        if !lower[open..].starts_with('(') {
            return None;
        }
        let mut depth = 0;
        let mut close = None;
        for (i, c) in sql[open..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        close = Some(open + i);
                        break;
                    }
                }
                _ => {}
            }
        }
        let close = close?;
        found.push(sql[open + 1..close].trim().to_string());
        rest = close + 1;
    }
    Some(found)
}

/// An account row as stored, for comparing with an imported one.
#[derive(Debug)]
struct StoredAccount {
    name: String,
    segment: String,
    plan: String,
    mrr_cents: i64,
    stage: String,
    owner: Option<String>,
    signup_date: String,
    renewal_date: Option<String>,
    status: String,
    churned_on: Option<String>,
    churn_reason: Option<String>,
}

impl StoredAccount {
    fn of(v: AccountView) -> StoredAccount {
        StoredAccount {
            name: v.name.into(),
            segment: v.segment.into(),
            plan: v.plan.into(),
            mrr_cents: v.mrr_cents,
            stage: v.stage.into(),
            owner: v.owner.map(str::to_string),
            signup_date: v.signup_date.into(),
            renewal_date: v.renewal_date.map(str::to_string),
            status: v.status.into(),
            churned_on: v.churned_on.map(str::to_string),
            churn_reason: v.churn_reason.map(str::to_string),
        }
    }

    fn view(&self) -> AccountView<'_> {
        AccountView {
            name: &self.name,
            segment: &self.segment,
            plan: &self.plan,
            mrr_cents: self.mrr_cents,
            stage: &self.stage,
            owner: self.owner.as_deref(),
            signup_date: &self.signup_date,
            renewal_date: self.renewal_date.as_deref(),
            status: &self.status,
            churned_on: self.churned_on.as_deref(),
            churn_reason: self.churn_reason.as_deref(),
        }
    }
}

/// An account's importable fields, borrowed: the stored ones, or those after a row's changes.
#[derive(Debug, Clone, Copy, PartialEq)]
struct AccountView<'a> {
    name: &'a str,
    segment: &'a str,
    plan: &'a str,
    mrr_cents: i64,
    stage: &'a str,
    owner: Option<&'a str>,
    signup_date: &'a str,
    renewal_date: Option<&'a str>,
    status: &'a str,
    churned_on: Option<&'a str>,
    churn_reason: Option<&'a str>,
}

impl<'a> AccountView<'a> {
    /// What changed from `self` to `new`, for the audit log: "mrr 120.00 -> 250.00, stage …".
    fn changes(&self, new: &AccountView) -> String {
        let opt = |v: Option<&str>| v.unwrap_or("-").to_string();
        let money = |c: i64| format!("{}.{:02}", c / 100, (c % 100).abs());
        [
            ("name", self.name.to_string(), new.name.to_string()),
            ("segment", self.segment.to_string(), new.segment.to_string()),
            ("plan", self.plan.to_string(), new.plan.to_string()),
            ("mrr", money(self.mrr_cents), money(new.mrr_cents)),
            ("stage", self.stage.to_string(), new.stage.to_string()),
            ("owner", opt(self.owner), opt(new.owner)),
            ("signup", self.signup_date.to_string(), new.signup_date.to_string()),
            ("renewal", opt(self.renewal_date), opt(new.renewal_date)),
            ("status", self.status.to_string(), new.status.to_string()),
            ("churned on", opt(self.churned_on), opt(new.churned_on)),
            ("churn reason", opt(self.churn_reason), opt(new.churn_reason)),
        ]
        .into_iter()
        .filter(|(_, a, b)| a != b)
        .map(|(field, a, b)| format!("{field} {a} -> {b}"))
        .collect::<Vec<_>>()
        .join(", ")
    }

    /// The fields after a row's changes: what the row gives, else what is stored.
    fn with(self, r: &'a AccountRecord) -> AccountView<'a> {
        let reset = r.status == Some(AccountStatus::Active);
        AccountView {
            name: r.name.as_deref().unwrap_or(self.name),
            segment: r.segment.map_or(self.segment, |s| s.as_str()),
            plan: r.plan.as_deref().unwrap_or(self.plan),
            mrr_cents: r.mrr_cents.unwrap_or(self.mrr_cents),
            stage: r.stage.map_or(self.stage, |s| s.as_str()),
            owner: r.owner.as_deref().or(self.owner),
            signup_date: r.signup_date.as_deref().unwrap_or(self.signup_date),
            renewal_date: r.renewal_date.as_deref().or(self.renewal_date),
            status: r.status.map_or(self.status, |s| s.as_str()),
            // an account made active again loses its churn, unless the row gives one
            churned_on: r.churned_on.as_deref().or(if reset { None } else { self.churned_on }),
            churn_reason: r
                .churn_reason
                .as_deref()
                .or(if reset { None } else { self.churn_reason }),
        }
    }
}

/// A contact as stored: id, account, name, email, role.
type StoredContact = (i64, i64, String, Option<String>, Option<String>);
/// A signal as stored: id, account, kind, at, feature, core, score, payment.
type StoredSignal = (
    i64,
    i64,
    String,
    i64,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<String>,
);

/// A ticket's clock columns: channel, opened, first response, paused, waiting, resolved, closed.
type StoredClocks = (
    String,
    Timestamp,
    Option<Timestamp>,
    i64,
    Option<Timestamp>,
    Option<Timestamp>,
    Option<Timestamp>,
);

/// `tend:12`: how an export names a record that has no external id, so an import into the same
/// database finds it again.
pub fn internal_key(id: i64) -> String {
    format!("tend:{id}")
}

fn parse_internal_key(key: &str) -> Option<i64> {
    key.strip_prefix("tend:").and_then(|n| n.parse().ok())
}

impl Store {
    /// Start an import. `create_accounts`: a ticket or mail from an unknown sender's domain
    /// creates its account.
    pub fn begin_import(&self, sla: &SlaTargets, create_accounts: bool, now: Timestamp) -> Result<ImportBatch<'_>> {
        // each statement's undo journal is kept in memory rather than in a temporary file (set
        // outside the transaction; harmless to keep)
        self.conn.pragma_update(None, "temp_store", "MEMORY")?;
        // the lock next: refused (another process writes), the cache is left as it was
        let tx = self.write_tx()?;
        // a large file's pages stay in memory until the commit instead of spilling to the WAL
        // (the batch's drop puts the cache back)
        let batch = ImportBatch {
            row_statements: RowStatements::prepare(&self.conn)?,
            conn: &self.conn,
            tx,
            actor: self.actor.clone(),
            now,
            sla: *sla,
            create_accounts,
            account_ids: HashMap::new(),
            touched: foldhash::HashSet::default(),
            account_writes: 0,
            account_inserts: 0,
            revenue_writes: 0,
            accounts_before: None,
            bulk_check_at: BULK_AFTER_WRITES,
            bulk: None,
            expect_new: false,
        };
        self.conn.pragma_update(None, "cache_size", IMPORT_CACHE_KIB)?;
        Ok(batch)
    }
}

impl Drop for ImportBatch<'_> {
    fn drop(&mut self) {
        // best effort: a failure leaves only a larger cache
        let _ = self.tx.pragma_update(None, "cache_size", DEFAULT_CACHE_KIB);
        if self.bulk.as_ref().is_some_and(|b| b.unchecked) {
            let _ = self.tx.pragma_update(None, "ignore_check_constraints", false);
        }
    }
}

impl ImportBatch<'_> {
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Make the import permanent, with one audit entry saying what it was, and the health of
    /// the accounts it touched rescored in the same transaction (before bulk mode's indexes and
    /// triggers come back, so the rescore does not keep them up row by row): how many were.
    pub fn commit(mut self, what: &str, detail: &str, rules: &HealthRules) -> Result<usize> {
        self.check_constraints()?;
        let rescored = if self.touched.is_empty() {
            0
        } else {
            // in id order, so that the scope's b-tree is appended to rather than split
            let mut touched: Vec<i64> = std::mem::take(&mut self.touched).into_iter().collect();
            touched.sort_unstable();
            let n = super::health::rescore_listed(&self.tx, rules, touched, self.now)?;
            // each rescored account row is one the counter triggers would have counted
            self.accounts_written(n);
            n
        };
        if let Some(bulk) = self.bulk.take() {
            for sql in &bulk.restore {
                self.tx.execute_batch(sql)?;
            }
            if bulk.uncounted > 0 {
                self.tx.execute(
                    "UPDATE change_counters SET n = n + ?1 WHERE tbl = 'accounts'",
                    [bulk.uncounted as i64],
                )?;
            }
        }
        Store::audit(&self.tx, &self.actor, self.now, "import", 0, what, detail)?;
        // the batch resets the cache when dropped, so it cannot give its transaction away:
        // commit in place (the transaction's own drop then finds nothing left to roll back)
        self.tx.execute_batch("COMMIT")?;
        Ok(rescored)
    }

    /// The account with this external id (or `tend:ID`), if any.
    pub fn account_id(&mut self, key: &str) -> Result<Option<i64>> {
        if let Some(id) = self.account_ids.get(key) {
            return Ok(Some(*id));
        }
        let mut found: Option<i64> = self
            .tx
            .prepare_cached("SELECT id FROM accounts WHERE external_id = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?;
        if found.is_none()
            && let Some(id) = parse_internal_key(key)
        {
            found = self
                .tx
                .prepare_cached("SELECT id FROM accounts WHERE id = ?1 AND external_id IS NULL")?
                .query_row([id], |r| r.get(0))
                .optional()?;
        }
        if let Some(id) = found {
            self.account_ids.insert(key.to_string(), id);
        }
        Ok(found)
    }

    /// Count account rows written by other means than an accounts import (each one the counter
    /// triggers would count).
    fn accounts_written(&mut self, rows: usize) {
        if let Some(bulk) = &mut self.bulk
            && bulk.counting
        {
            bulk.uncounted += rows as u64;
        }
    }

    /// An accounts import inserted or updated a row: count it, and switch to bulk mode when the import has
    /// become large next to the tables it writes.
    fn account_row_written(&mut self, inserted: bool) -> Result<()> {
        self.account_writes += 1;
        self.account_inserts += u64::from(inserted);
        self.accounts_written(1);
        if self.account_writes >= self.bulk_check_at {
            self.consider_bulk()?;
        }
        Ok(())
    }

    /// Before writing any other table than an accounts import's: bulk mode's unchecked CHECK
    /// constraints cover only the accounts import's own typed values.
    fn check_constraints(&mut self) -> Result<()> {
        if let Some(bulk) = &mut self.bulk
            && bulk.unchecked
        {
            self.tx.pragma_update(None, "ignore_check_constraints", false)?;
            bulk.unchecked = false;
        }
        Ok(())
    }

    fn consider_bulk(&mut self) -> Result<()> {
        // the counter triggers and the typed checks cost per row whatever the table's size
        let mut bulk = match self.bulk.take() {
            Some(bulk) => bulk,
            None => {
                let mut bulk = Bulk::default();
                bulk.drop_counter_triggers(&self.tx)?;
                bulk.skip_typed_checks(&self.tx)?;
                bulk
            }
        };
        let dropped = self.drop_indexes_if_large(&mut bulk);
        self.bulk = Some(bulk);
        if dropped? {
            self.bulk_check_at = u64::MAX;
        } else {
            // look again when the import has written twice as much
            self.bulk_check_at = self.account_writes.saturating_mul(2);
        }
        Ok(())
    }

    /// Drop the indexes of the account tables when the import is large next to them: rebuilding
    /// an index sorts the whole table, which a large table repays only for a large import.
    fn drop_indexes_if_large(&mut self, bulk: &mut Bulk) -> Result<bool> {
        // counted once (a count of a large table is a scan of it); the table holds the rows
        // inserted so far too
        let accounts_before = match self.accounts_before {
            Some(n) => n,
            None => {
                let n = count_rows(&self.tx, "accounts")?.saturating_sub(self.account_inserts);
                self.accounts_before = Some(n);
                n
            }
        };
        let large = self.account_writes.saturating_mul(BULK_TABLE_SHARE);
        if accounts_before > large {
            return Ok(false);
        }
        bulk.drop_indexes(&self.tx, "accounts")?;
        // an account import writes at most one revenue event per account row
        if count_rows(&self.tx, "revenue_events")?.saturating_sub(self.revenue_writes) <= large {
            bulk.drop_indexes(&self.tx, "revenue_events")?;
        }
        Ok(true)
    }

    fn known_account(&mut self, key: &str) -> Result<i64> {
        self.account_id(key)?
            .ok_or_else(|| StoreError::Rule(format!("no account has the id '{key}'; import the accounts first")))
    }

    fn revenue(&mut self, account: i64, at: Timestamp, kind: &str, before: i64, after: i64) -> Result<()> {
        self.row_statements
            .revenue
            .execute(params![account, at, kind, before, after, self.actor])?;
        self.revenue_writes += 1;
        Ok(())
    }

    /// The account with this row's id (or `tend:ID`), compared with the row in place: the
    /// stored fields are copied out only when the row changes them.
    fn find_account(&mut self, r: &AccountRecord) -> Result<Found> {
        {
            let find = &mut self.row_statements.find;
            let mut rows = find.query([&r.external_id])?;
            if let Some(row) = rows.next()? {
                return Ok(Found::compare(row, r)?);
            }
        }
        if let Some(id) = parse_internal_key(&r.external_id) {
            let mut find = self.tx.prepare_cached(
                "SELECT id, name, segment, plan, mrr_cents, stage, owner, signup_date, renewal_date, status, \
                 churned_on, churn_reason FROM accounts WHERE id = ?1 AND external_id IS NULL",
            )?;
            let mut rows = find.query([id])?;
            if let Some(row) = rows.next()? {
                return Ok(Found::compare(row, r)?);
            }
        }
        Ok(Found::New)
    }

    /// Insert the row as a new account; None when an account already has its id.
    fn insert_account(&mut self, r: &AccountRecord) -> Result<Option<i64>> {
        let now = self.now;
        let today;
        let signup_date = match r.signup_date.as_deref().or(r.signup_from_tenure.as_deref()) {
            Some(day) => day,
            None => {
                today = day_string(now);
                &today
            }
        };
        let mrr_cents = r.mrr_cents.unwrap_or(0);
        let stage = r
            .stage
            .unwrap_or_else(|| AccountRecord::default_stage(signup_date, now));
        let insert = &mut self.row_statements.insert;
        let inserted = insert.execute(params![
            r.external_id,
            r.name.as_deref().unwrap_or(&r.external_id),
            r.segment.unwrap_or_else(|| r.default_segment()).as_str(),
            r.plan.as_deref().unwrap_or_default(),
            mrr_cents,
            stage.as_str(),
            r.owner,
            signup_date,
            r.renewal_date,
            r.status.unwrap_or(AccountStatus::Active).as_str(),
            r.churned_on,
            r.churn_reason,
            now
        ])?;
        if inserted == 0 {
            return Ok(None);
        }
        let id = self.conn.last_insert_rowid();
        self.account_row_written(true)?;
        if mrr_cents > 0 {
            let at = day_start(signup_date).unwrap_or(now).min(now);
            self.revenue(id, at, "new", 0, mrr_cents)?;
        }
        self.touched.insert(id);
        Ok(Some(id))
    }

    pub fn account(&mut self, r: &AccountRecord) -> Result<Outcome> {
        if r.mrr_cents.is_some_and(|cents| cents < 0) {
            // the one typed value a record could still hold against a CHECK: let SQLite refuse it
            self.check_constraints()?;
        }
        // in a run of new accounts, the insert's own check of the id is the look-up
        if self.expect_new && parse_internal_key(&r.external_id).is_none() && self.insert_account(r)?.is_some() {
            return Ok(Outcome::Inserted);
        }
        let (id, stored) = match self.find_account(r)? {
            Found::New => {
                if self.insert_account(r)?.is_none() {
                    return Err(StoreError::Rule(format!(
                        "the account '{}' was not found, then could not be added",
                        r.external_id
                    )));
                }
                self.expect_new = true;
                return Ok(Outcome::Inserted);
            }
            Found::Unchanged => {
                self.expect_new = false;
                return Ok(Outcome::Unchanged);
            }
            Found::Changed(id, stored) => (id, stored),
        };
        self.expect_new = false;
        let cur = stored.view();
        let new = cur.with(r);
        self.tx
            .prepare_cached(
                "UPDATE accounts SET name = ?2, segment = ?3, plan = ?4, mrr_cents = ?5, stage = ?6, owner = ?7, \
                 signup_date = ?8, renewal_date = ?9, status = ?10, churned_on = ?11, churn_reason = ?12, \
                 version = version + 1, updated_at = ?13 WHERE id = ?1",
            )?
            .execute(params![
                id,
                new.name,
                new.segment,
                new.plan,
                new.mrr_cents,
                new.stage,
                new.owner,
                new.signup_date,
                new.renewal_date,
                new.status,
                new.churned_on,
                new.churn_reason,
                self.now
            ])?;
        self.account_row_written(false)?;
        // who changed the account, and how: its audit pane shows it
        Store::audit(
            &self.tx,
            &self.actor,
            self.now,
            "account",
            id,
            "import",
            &cur.changes(&new),
        )?;
        if new.mrr_cents != cur.mrr_cents {
            let kind = if new.mrr_cents > cur.mrr_cents {
                "expansion"
            } else {
                "contraction"
            };
            self.revenue(id, self.now, kind, cur.mrr_cents, new.mrr_cents)?;
        }
        if new.status == "churned" && cur.status != "churned" {
            let at = new.churned_on.and_then(day_start).unwrap_or(self.now);
            self.revenue(id, at, "churn", new.mrr_cents, 0)?;
        }
        self.touched.insert(id);
        Ok(Outcome::Updated)
    }

    pub fn contact(&mut self, r: &ContactRecord) -> Result<Outcome> {
        self.check_constraints()?;
        let account = self.known_account(&r.account)?;
        let name = r.name.clone().or_else(|| r.email.clone()).unwrap_or_default();
        let found: Option<StoredContact> = {
            let by_id = match &r.external_id {
                Some(x) => self
                    .tx
                    .prepare_cached("SELECT id, account_id, name, email, role FROM contacts WHERE external_id = ?1")?
                    .query_row([x], |q| Ok((q.get(0)?, q.get(1)?, q.get(2)?, q.get(3)?, q.get(4)?)))
                    .optional()?,
                None => None,
            };
            match (by_id, &r.external_id, &r.email) {
                (Some(f), _, _) => Some(f),
                (None, None, Some(email)) => self
                    .tx
                    .prepare_cached(
                        "SELECT id, account_id, name, email, role FROM contacts \
                         WHERE email = ?1 COLLATE NOCASE AND account_id = ?2 ORDER BY id LIMIT 1",
                    )?
                    .query_row(params![email, account], |q| {
                        Ok((q.get(0)?, q.get(1)?, q.get(2)?, q.get(3)?, q.get(4)?))
                    })
                    .optional()?,
                // neither an id nor an email: the same name in the account, also without them
                (None, None, None) => self
                    .tx
                    .prepare_cached(
                        "SELECT id, account_id, name, email, role FROM contacts \
                         WHERE account_id = ?1 AND name = ?2 AND external_id IS NULL AND email IS NULL \
                         ORDER BY id LIMIT 1",
                    )?
                    .query_row(params![account, name], |q| {
                        Ok((q.get(0)?, q.get(1)?, q.get(2)?, q.get(3)?, q.get(4)?))
                    })
                    .optional()?,
                _ => None,
            }
        };
        match found {
            None => {
                self.tx
                    .prepare_cached(
                        "INSERT INTO contacts (account_id, external_id, name, email, role, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    )?
                    .execute(params![account, r.external_id, name, r.email, r.role, self.now])?;
                Ok(Outcome::Inserted)
            }
            Some((id, cur_account, cur_name, cur_email, cur_role)) => {
                let new_name = r.name.clone().unwrap_or(cur_name.clone());
                let new_email = r.email.clone().or(cur_email.clone());
                let new_role = r.role.clone().or(cur_role.clone());
                if (cur_account, &cur_name, &cur_email, &cur_role) == (account, &new_name, &new_email, &new_role) {
                    return Ok(Outcome::Unchanged);
                }
                self.tx
                    .prepare_cached(
                        "UPDATE contacts SET account_id = ?2, name = ?3, email = ?4, role = ?5 WHERE id = ?1",
                    )?
                    .execute(params![id, account, new_name, new_email, new_role])?;
                Ok(Outcome::Updated)
            }
        }
    }

    /// The account a customer's email belongs to: through a known contact, else by the address's
    /// domain (created when new and allowed). Returns (account, contact).
    pub fn sender_account(
        &mut self,
        email: &str,
        name: Option<&str>,
        first_seen: Timestamp,
    ) -> Result<(i64, Option<i64>)> {
        self.check_constraints()?;
        let contact: Option<(i64, i64)> = self
            .tx
            .prepare_cached("SELECT id, account_id FROM contacts WHERE email = ?1 COLLATE NOCASE ORDER BY id LIMIT 1")?
            .query_row([email], |q| Ok((q.get(0)?, q.get(1)?)))
            .optional()?;
        if let Some((contact, account)) = contact {
            return Ok((account, Some(contact)));
        }
        let key = account_key(email).ok_or_else(|| {
            StoreError::Rule(format!(
                "'{email}' is not an email address tend can file under an account"
            ))
        })?;
        let account = match self.account_id(key.external_id())? {
            Some(a) => a,
            None if self.create_accounts => {
                let signup_date = day_string(first_seen.min(self.now));
                let (account_name, segment) = match &key {
                    AccountKey::Domain(d) => (d.clone(), Segment::Smb),
                    AccountKey::Person(e) => (
                        name.map(str::to_string).unwrap_or_else(|| e.clone()),
                        Segment::SelfServe,
                    ),
                };
                let a = NewAccount {
                    external_id: Some(key.external_id().to_string()),
                    name: account_name,
                    segment,
                    plan: String::new(),
                    mrr_cents: 0,
                    stage: AccountRecord::default_stage(&signup_date, self.now),
                    owner: None,
                    signup_date,
                    renewal_date: None,
                    status: AccountStatus::Active,
                    churned_on: None,
                    churn_reason: None,
                };
                let id = insert_account_row(&self.tx, &a, self.now)?;
                self.accounts_written(1);
                self.account_ids.insert(key.external_id().to_string(), id);
                id
            }
            None => {
                return Err(StoreError::Rule(format!(
                    "no account has the id '{}' (from {email}), and --no-create-accounts is set",
                    key.external_id()
                )));
            }
        };
        let contact = self.ensure_contact(account, email, name)?;
        Ok((account, Some(contact)))
    }

    fn ensure_contact(&mut self, account: i64, email: &str, name: Option<&str>) -> Result<i64> {
        let found: Option<i64> = self
            .tx
            .prepare_cached("SELECT id FROM contacts WHERE email = ?1 COLLATE NOCASE AND account_id = ?2 LIMIT 1")?
            .query_row(params![email, account], |q| q.get(0))
            .optional()?;
        if let Some(id) = found {
            return Ok(id);
        }
        self.tx
            .prepare_cached("INSERT INTO contacts (account_id, name, email, created_at) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![account, name.unwrap_or(email), email, self.now])?;
        Ok(self.tx.last_insert_rowid())
    }

    pub fn ticket(&mut self, r: &TicketRecord) -> Result<Outcome> {
        self.check_constraints()?;
        let (account, contact) = match (&r.account, &r.contact_email) {
            (Some(a), email) => {
                let account = self.known_account(a)?;
                let contact = match email {
                    Some(e) => Some(self.ensure_contact(account, e, r.contact_name.as_deref())?),
                    None => None,
                };
                (account, contact)
            }
            (None, Some(e)) => self.sender_account(e, r.contact_name.as_deref(), r.opened_at)?,
            (None, None) => {
                return Err(StoreError::Rule(
                    "the ticket names neither an account nor an email".into(),
                ));
            }
        };
        let existing: Option<i64> = match &r.external_id {
            Some(x) => {
                let by_ext = self
                    .tx
                    .prepare_cached("SELECT id FROM tickets WHERE external_id = ?1")?
                    .query_row([x], |q| q.get(0))
                    .optional()?;
                match (by_ext, parse_internal_key(x)) {
                    (Some(id), _) => Some(id),
                    (None, Some(id)) => self
                        .tx
                        .prepare_cached("SELECT id FROM tickets WHERE id = ?1 AND external_id IS NULL")?
                        .query_row([id], |q| q.get(0))
                        .optional()?,
                    _ => None,
                }
            }
            None => self
                .tx
                .prepare_cached(
                    "SELECT id FROM tickets WHERE account_id = ?1 AND opened_at = ?2 AND subject = ?3 LIMIT 1",
                )?
                .query_row(params![account, r.opened_at, r.subject], |q| q.get(0))
                .optional()?,
        };
        let state = TicketState::of(r, account, contact);
        match existing {
            None => {
                let new = NewTicket {
                    external_id: r.external_id.clone().filter(|x| parse_internal_key(x).is_none()),
                    account_id: account,
                    contact_id: contact,
                    subject: r.subject.clone(),
                    body: r.body.clone(),
                    channel: r.channel,
                    priority: r.priority,
                    assignee: r.assignee.clone(),
                    tags: r.tags.clone(),
                    opened_at: r.opened_at,
                    message_id: None,
                };
                let id = insert_ticket_row(&self.tx, &new, &self.sla)?;
                add_event(
                    &self.tx,
                    id,
                    r.opened_at,
                    "customer",
                    "opened",
                    &r.subject,
                    None,
                    Some(Step::Acknowledge),
                )?;
                if r.step != Step::Acknowledge {
                    let at = r.closed_at.or(r.first_response_at).unwrap_or(r.opened_at);
                    add_event(
                        &self.tx,
                        id,
                        at,
                        &self.actor,
                        "step",
                        "imported",
                        Some(Step::Acknowledge),
                        Some(r.step),
                    )?;
                }
                self.write_state(id, &state, 0)?;
                if let Some(score) = r.csat {
                    self.csat_signal(account, r.closed_at.unwrap_or(r.opened_at), score)?;
                }
                self.touched.insert(account);
                Ok(Outcome::Inserted)
            }
            Some(id) => {
                let (cur, paused): (TicketState, i64) = self
                    .tx
                    .prepare_cached(
                        "SELECT account_id, contact_id, subject, body, channel, priority, step, waiting_since, tags, \
                         assignee, opened_at, first_response_at, resolved_at, closed_at, csat, support_tier, paused_secs \
                         FROM tickets WHERE id = ?1",
                    )?
                    .query_row([id], |q| {
                        Ok((
                            TicketState {
                                account: q.get(0)?,
                                contact: q.get(1)?,
                                subject: q.get(2)?,
                                body: q.get(3)?,
                                channel: q.get(4)?,
                                priority: q.get(5)?,
                                step: q.get(6)?,
                                waiting_since: q.get(7)?,
                                tags: q.get(8)?,
                                assignee: q.get(9)?,
                                opened_at: q.get(10)?,
                                first_response_at: q.get(11)?,
                                resolved_at: q.get(12)?,
                                closed_at: q.get(13)?,
                                csat: q.get(14)?,
                                support_tier: q.get(15)?,
                            },
                            q.get(16)?,
                        ))
                    })?;
                let mut new = state;
                if r.contact_email.is_none() {
                    new.contact = cur.contact;
                }
                if !r.opened_known {
                    // the row gives no time at all: its times were the import's, so keep the stored ones
                    new.opened_at = cur.opened_at;
                    if new.step == cur.step {
                        new.resolved_at = cur.resolved_at;
                        new.closed_at = cur.closed_at;
                        new.waiting_since = cur.waiting_since;
                    }
                }
                if new == cur {
                    return Ok(Outcome::Unchanged);
                }
                self.write_state(id, &new, paused)?;
                if new.step != cur.step {
                    let at = new.closed_at.unwrap_or(self.now);
                    add_event(
                        &self.tx,
                        id,
                        at,
                        &self.actor,
                        "step",
                        "imported",
                        cur.step.parse().ok(),
                        new.step.parse().ok(),
                    )?;
                }
                if let (Some(score), true) = (r.csat, r.csat != cur.csat) {
                    self.csat_signal(account, r.closed_at.unwrap_or(self.now), score)?;
                }
                self.touched.insert(account);
                self.touched.insert(cur.account);
                Ok(Outcome::Updated)
            }
        }
    }

    fn csat_signal(&self, account: i64, at: Timestamp, score: i64) -> Result<()> {
        self.tx
            .prepare_cached("INSERT INTO signals (account_id, kind, at, score) VALUES (?1, 'csat', ?2, ?3)")?
            .execute(params![account, at, score])?;
        Ok(())
    }

    /// A ticket's SLA clocks under the configured targets.
    fn clocks(
        &self,
        channel: &str,
        opened: Timestamp,
        first_response_at: Option<Timestamp>,
        paused_secs: i64,
        waiting_since: Option<Timestamp>,
        resolved_at: Option<Timestamp>,
    ) -> Result<ClockFacts> {
        let channel: crate::domain::Channel = channel.parse().map_err(StoreError::rule)?;
        Ok(ClockFacts {
            first_response_due: self.sla.first_response_due(channel, opened),
            first_response_at,
            resolution_due: self.sla.resolution_due(opened),
            paused_secs,
            waiting_since,
            resolved_at,
        })
    }

    fn write_state(&self, id: i64, s: &TicketState, paused_secs: i64) -> Result<()> {
        let facts = self.clocks(
            &s.channel,
            s.opened_at,
            s.first_response_at,
            paused_secs,
            s.waiting_since,
            s.resolved_at,
        )?;
        let next_due = if s.closed_at.is_some() {
            None
        } else {
            sla::next_due(&facts)
        };
        let acknowledged_at = (s.step != "acknowledge").then(|| s.first_response_at.unwrap_or(s.opened_at));
        self.tx
            .prepare_cached(
                "UPDATE tickets SET account_id = ?2, contact_id = ?3, subject = ?4, body = ?5, channel = ?6, priority = ?7, \
                 step = ?8, waiting_since = ?9, tags = ?10, assignee = ?11, opened_at = ?12, first_response_at = ?13, \
                 resolved_at = ?14, closed_at = ?15, followed_up_at = ?15, csat = ?16, support_tier = ?17, \
                 first_response_due = ?18, resolution_due = ?19, next_due = ?20, \
                 acknowledged_at = coalesce(acknowledged_at, ?21), version = version + 1, updated_at = ?22 WHERE id = ?1",
            )?
            .execute(params![
                id,
                s.account,
                s.contact,
                s.subject,
                s.body,
                s.channel,
                s.priority,
                s.step,
                s.waiting_since,
                s.tags,
                s.assignee,
                s.opened_at,
                s.first_response_at,
                s.resolved_at,
                s.closed_at,
                s.csat,
                s.support_tier,
                facts.first_response_due,
                facts.resolution_due,
                next_due,
                acknowledged_at,
                self.now
            ])?;
        // who changed the ticket: its audit pane, and a refusal of a change made on it meanwhile
        Store::audit(
            &self.tx,
            &self.actor,
            self.now,
            "ticket",
            id,
            "import",
            "updated by an import",
        )?;
        Ok(())
    }

    pub fn signal(&mut self, r: &SignalRecord) -> Result<Outcome> {
        self.check_constraints()?;
        let account = self.known_account(&r.account)?;
        let contact: Option<i64> = match &r.contact_email {
            Some(e) => self
                .tx
                .prepare_cached("SELECT id FROM contacts WHERE email = ?1 COLLATE NOCASE AND account_id = ?2 LIMIT 1")?
                .query_row(params![e, account], |q| q.get(0))
                .optional()?,
            None => None,
        };
        let core = r.core.map(i64::from);
        let payment = r.payment.map(|p| p.as_str());
        if let Some(x) = &r.external_id {
            let found: Option<StoredSignal> = self
                .tx
                .prepare_cached(
                    "SELECT id, account_id, kind, at, feature, core, score, payment FROM signals WHERE external_id = ?1",
                )?
                .query_row([x], |q| {
                    Ok((q.get(0)?, q.get(1)?, q.get(2)?, q.get(3)?, q.get(4)?, q.get(5)?, q.get(6)?, q.get(7)?))
                })
                .optional()?;
            if let Some((id, a, kind, at, feature, c, score, pay)) = found {
                let same = (a, kind.as_str(), at, &feature, c, score, pay.as_deref())
                    == (account, r.kind.as_str(), r.at, &r.feature, core, r.score, payment);
                if same {
                    return Ok(Outcome::Unchanged);
                }
                self.tx
                    .prepare_cached(
                        "UPDATE signals SET account_id = ?2, kind = ?3, at = ?4, feature = ?5, core = ?6, score = ?7, \
                         payment = ?8, contact_id = coalesce(?9, contact_id) WHERE id = ?1",
                    )?
                    .execute(params![
                        id,
                        account,
                        r.kind.as_str(),
                        r.at,
                        r.feature,
                        core,
                        r.score,
                        payment,
                        contact
                    ])?;
                self.touched.insert(account);
                return Ok(Outcome::Updated);
            }
        } else {
            let exists: Option<i64> = self
                .tx
                .prepare_cached(
                    "SELECT 1 FROM signals WHERE account_id = ?1 AND kind = ?2 AND at = ?3 AND feature IS ?4 \
                     AND score IS ?5 AND payment IS ?6 LIMIT 1",
                )?
                .query_row(
                    params![account, r.kind.as_str(), r.at, r.feature, r.score, payment],
                    |q| q.get(0),
                )
                .optional()?;
            if exists.is_some() {
                return Ok(Outcome::Unchanged);
            }
        }
        self.tx
            .prepare_cached(
                "INSERT INTO signals (account_id, contact_id, kind, at, feature, core, score, payment, external_id) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                account,
                contact,
                r.kind.as_str(),
                r.at,
                r.feature,
                core,
                r.score,
                payment,
                r.external_id
            ])?;
        if r.kind == crate::domain::SignalKind::Login {
            let changed = self
                .tx
                .prepare_cached(
                    "UPDATE accounts SET last_login_at = ?2 WHERE id = ?1 AND (last_login_at IS NULL OR last_login_at < ?2)",
                )?
                .execute(params![account, r.at])?;
            self.accounts_written(changed);
        }
        self.touched.insert(account);
        Ok(Outcome::Inserted)
    }
}

/// A ticket's stored fields an import can set, in their stored form.
#[derive(Debug, Clone, PartialEq)]
struct TicketState {
    account: i64,
    contact: Option<i64>,
    subject: String,
    body: String,
    channel: String,
    priority: String,
    step: String,
    waiting_since: Option<Timestamp>,
    tags: String,
    assignee: Option<String>,
    opened_at: Timestamp,
    first_response_at: Option<Timestamp>,
    resolved_at: Option<Timestamp>,
    closed_at: Option<Timestamp>,
    csat: Option<i64>,
    support_tier: i64,
}

impl TicketState {
    fn of(r: &TicketRecord, account: i64, contact: Option<i64>) -> TicketState {
        TicketState {
            account,
            contact,
            subject: r.subject.clone(),
            body: r.body.clone(),
            channel: r.channel.as_str().into(),
            priority: r.priority.as_str().into(),
            step: r.step.as_str().into(),
            waiting_since: r.waiting_since,
            tags: r.tags.join(","),
            assignee: r.assignee.clone(),
            opened_at: r.opened_at,
            first_response_at: r.first_response_at,
            resolved_at: r.resolved_at,
            closed_at: r.closed_at,
            csat: r.csat,
            support_tier: r.support_tier,
        }
    }
}

fn day_start(day: &str) -> Option<Timestamp> {
    crate::domain::parse_day(day)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .map(|d| d.and_utc().timestamp())
}

/// One mail message as a timeline entry.
#[derive(Debug, Clone)]
pub struct MailItem {
    /// The Message-ID (or, for a message without one, a stable hash of it).
    pub key: String,
    pub at: Timestamp,
    /// Written by us (a support address) rather than the customer.
    pub ours: bool,
    pub from_email: String,
    pub from_name: Option<String>,
    pub subject: String,
    pub text: String,
}

impl ImportBatch<'_> {
    /// The ticket a stored message belongs to: one imported before, or a reply sent from tend.
    pub fn mail_ticket(&self, key: &str) -> Result<Option<i64>> {
        let found: Option<i64> = self
            .tx
            .prepare_cached(
                "SELECT ticket_id FROM ticket_events WHERE message_id = ?1 \
                 UNION ALL SELECT id FROM tickets WHERE message_id = ?1 \
                 UNION ALL SELECT ticket_id FROM messages WHERE message_id = ?1 AND ticket_id IS NOT NULL LIMIT 1",
            )?
            .query_row([key], |r| r.get(0))
            .optional()?;
        Ok(found)
    }

    /// The latest email ticket with this subject (reply prefixes already removed), for a reply
    /// whose threading headers were lost.
    pub fn mail_ticket_by_subject(&self, subject: &str) -> Result<Option<i64>> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT id FROM tickets WHERE channel = 'email' AND subject = ?1 COLLATE NOCASE \
                 ORDER BY opened_at DESC LIMIT 1",
            )?
            .query_row([subject], |r| r.get(0))
            .optional()?)
    }

    fn mail_event(&self, ticket: i64, item: &MailItem, kind: &str) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO ticket_events (ticket_id, at, actor, kind, body, message_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                ticket,
                item.at,
                item.from_name.as_deref().unwrap_or(&item.from_email),
                kind,
                item.text,
                item.key
            ])?;
        Ok(())
    }

    /// A new ticket for a conversation: the first message opens it, the others follow as inbound
    /// messages and replies; its clocks come from the mail's own times.
    pub fn mail_new_ticket(
        &mut self,
        customer: (&str, Option<&str>),
        subject: &str,
        items: &[MailItem],
        c: &crate::domain::mailthread::Conversation,
    ) -> Result<i64> {
        self.check_constraints()?;
        let Some(first) = items.first() else {
            return Err(StoreError::Rule("a conversation with no messages".into()));
        };
        let (account, contact) = self.sender_account(customer.0, customer.1, c.opened_at)?;
        let new = NewTicket {
            external_id: None,
            account_id: account,
            contact_id: contact,
            subject: subject.to_string(),
            body: first.text.clone(),
            channel: crate::domain::Channel::Email,
            priority: crate::domain::Priority::Normal,
            assignee: None,
            tags: Vec::new(),
            opened_at: c.opened_at,
            message_id: Some(first.key.clone()),
        };
        let id = insert_ticket_row(&self.tx, &new, &self.sla)?;
        self.tx
            .prepare_cached(
                "INSERT INTO ticket_events (ticket_id, at, actor, kind, body, to_step, message_id) \
                 VALUES (?1, ?2, ?3, 'opened', ?4, 'acknowledge', ?5)",
            )?
            .execute(params![
                id,
                first.at,
                first.from_name.as_deref().unwrap_or(&first.from_email),
                subject,
                first.key
            ])?;
        for item in &items[1..] {
            self.mail_event(id, item, if item.ours { "reply" } else { "inbound" })?;
        }
        let state = TicketState {
            account,
            contact,
            subject: subject.to_string(),
            body: first.text.clone(),
            channel: "email".into(),
            priority: "normal".into(),
            step: c.step.as_str().into(),
            waiting_since: c.waiting_since,
            tags: String::new(),
            assignee: None,
            opened_at: c.opened_at,
            first_response_at: c.first_response_at,
            resolved_at: c.resolved_at,
            closed_at: c.closed_at,
            csat: None,
            support_tier: 1,
        };
        self.write_state(id, &state, 0)?;
        self.touched.insert(account);
        Ok(id)
    }

    /// New messages of a conversation already stored: our reply starts the first-response clock
    /// and waits on the customer; the customer's message ends a wait and reopens a closed ticket.
    pub fn mail_append(&mut self, ticket: i64, items: &[MailItem]) -> Result<()> {
        self.check_constraints()?;
        let (account, last_at): (i64, Timestamp) = self.tx.query_row(
            "SELECT t.account_id, max(t.opened_at, coalesce((SELECT max(at) FROM ticket_events e \
             WHERE e.ticket_id = t.id AND e.message_id IS NOT NULL), 0)) FROM tickets t WHERE t.id = ?1",
            [ticket],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let mut latest = last_at;
        for item in items {
            self.mail_event(ticket, item, if item.ours { "reply" } else { "inbound" })?;
            let newest = item.at >= latest;
            latest = latest.max(item.at);
            if item.ours {
                self.tx.execute(
                    "UPDATE tickets SET first_response_at = coalesce(first_response_at, ?2), \
                     waiting_since = CASE WHEN ?3 AND closed_at IS NULL THEN ?2 ELSE waiting_since END WHERE id = ?1",
                    params![ticket, item.at, newest],
                )?;
            } else if newest {
                self.tx.execute(
                    "UPDATE tickets SET paused_secs = paused_secs + CASE WHEN waiting_since IS NOT NULL AND ?2 > waiting_since \
                     THEN ?2 - waiting_since ELSE 0 END, waiting_since = NULL, \
                     step = CASE WHEN closed_at IS NOT NULL AND ?2 > closed_at THEN 'diagnose' ELSE step END, \
                     resolved_at = CASE WHEN closed_at IS NOT NULL AND ?2 > closed_at THEN NULL ELSE resolved_at END, \
                     followed_up_at = CASE WHEN closed_at IS NOT NULL AND ?2 > closed_at THEN NULL ELSE followed_up_at END, \
                     closed_at = CASE WHEN closed_at IS NOT NULL AND ?2 > closed_at THEN NULL ELSE closed_at END \
                     WHERE id = ?1",
                    params![ticket, item.at],
                )?;
            }
        }
        // the clocks after the change
        let (channel, opened, first, paused, waiting, resolved, closed): StoredClocks = self.tx.query_row(
            "SELECT channel, opened_at, first_response_at, paused_secs, waiting_since, resolved_at, closed_at \
             FROM tickets WHERE id = ?1",
            [ticket],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            },
        )?;
        let facts = self.clocks(&channel, opened, first, paused, waiting, resolved)?;
        let next_due = if closed.is_some() { None } else { sla::next_due(&facts) };
        self.tx.execute(
            "UPDATE tickets SET next_due = ?2, version = version + 1, updated_at = ?3 WHERE id = ?1",
            params![ticket, next_due, self.now],
        )?;
        let detail = format!(
            "{} message{} from mail",
            items.len(),
            if items.len() == 1 { "" } else { "s" }
        );
        Store::audit(&self.tx, &self.actor, self.now, "ticket", ticket, "mail", &detail)?;
        self.touched.insert(account);
        Ok(())
    }

    /// How many accounts exist now: to count the ones an import created.
    pub fn account_count(&self) -> Result<i64> {
        Ok(self.tx.query_row("SELECT count(*) FROM accounts", [], |r| r.get(0))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = 1_795_338_000; // 2026-11-22 09:00 UTC

    /// sqlite_master row by row, in its own order, root pages included.
    fn schema(store: &Store) -> Vec<(String, String, String, i64, Option<String>)> {
        let mut q = store
            .conn
            .prepare("SELECT type, name, tbl_name, rootpage, sql FROM sqlite_master ORDER BY rowid")
            .unwrap();
        q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .unwrap()
            .collect::<std::result::Result<_, _>>()
            .unwrap()
    }

    /// The schema's objects and their SQL, whatever their order and pages.
    fn objects(store: &Store) -> Vec<(String, String, Option<String>)> {
        let mut v: Vec<_> = schema(store).into_iter().map(|(t, n, _, _, sql)| (t, n, sql)).collect();
        v.sort();
        v
    }

    /// Every table an account import writes, and the counters, as text.
    fn stored(store: &Store) -> Vec<String> {
        let mut out = Vec::new();
        for sql in [
            "SELECT * FROM accounts ORDER BY id",
            "SELECT * FROM revenue_events ORDER BY id",
            "SELECT * FROM change_counters ORDER BY tbl",
        ] {
            let mut q = store.conn.prepare(sql).unwrap();
            let n = q.column_count();
            let rows: Vec<String> = q
                .query_map([], |r| {
                    Ok((0..n)
                        .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                        .collect::<Vec<_>>()
                        .join("|"))
                })
                .unwrap()
                .collect::<std::result::Result<_, _>>()
                .unwrap();
            out.extend(rows);
        }
        out
    }

    fn record(i: usize, mrr: i64) -> AccountRecord {
        AccountRecord {
            external_id: format!("A-{i:05}"),
            name: Some(format!("Company {i}")),
            segment: (i % 3 == 0).then_some(Segment::Enterprise),
            plan: Some(if i % 2 == 0 { "Pro" } else { "Basic" }.into()),
            mrr_cents: Some(mrr),
            signup_date: Some(format!("2025-{:02}-{:02}", i % 12 + 1, i % 28 + 1)),
            renewal_date: (i % 4 == 0).then(|| "2027-01-01".to_string()),
            status: (i % 7 == 0).then_some(AccountStatus::Churned),
            churned_on: (i % 7 == 0).then(|| "2026-10-01".to_string()),
            ..AccountRecord::default()
        }
    }

    /// Import `records` in one batch; `bulk_after`: the writes after which bulk mode is
    /// considered (None: never). Whether the batch went bulk.
    fn import(store: &Store, records: &[AccountRecord], bulk_after: Option<u64>) -> bool {
        let mut b = store.begin_import(&SlaTargets::default(), true, NOW).unwrap();
        b.bulk_check_at = bulk_after.unwrap_or(u64::MAX);
        for r in records {
            b.account(r).unwrap();
        }
        let bulk = b.bulk.is_some();
        b.commit("accounts", "test", &HealthRules::default()).unwrap();
        bulk
    }

    fn store() -> Store {
        Store::open_in_memory("tester").unwrap()
    }

    /// Found by the csv_import fuzz target: a contact row with a name but neither an id nor an
    /// email was inserted again by each import of the same file.
    #[test]
    fn a_contact_with_only_a_name_is_not_added_twice() {
        let store = store();
        import(&store, &[record(1, 100)], None);
        let bob = ContactRecord {
            external_id: None,
            account: "A-00001".into(),
            name: Some("Bob".into()),
            email: None,
            role: None,
        };
        let once = |role: Option<&str>| {
            let mut b = store.begin_import(&SlaTargets::default(), true, NOW).unwrap();
            let out = b
                .contact(&ContactRecord {
                    role: role.map(str::to_string),
                    ..bob.clone()
                })
                .unwrap();
            b.commit("contacts", "test", &HealthRules::default()).unwrap();
            out
        };
        assert_eq!(once(None), Outcome::Inserted);
        assert_eq!(once(None), Outcome::Unchanged);
        assert_eq!(once(Some("CFO")), Outcome::Updated);
        let n: i64 = store
            .conn
            .query_row("SELECT count(*) FROM contacts WHERE name = 'Bob'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
    }

    #[test]
    fn bulk_mode_stores_what_row_by_row_stores() {
        let (slow, fast) = (store(), store());
        let before = objects(&slow);
        // new accounts, then the same ones with new amounts, a churn undone and renamed
        let first: Vec<_> = (0..40).map(|i| record(i, (i as i64 % 5) * 1000)).collect();
        let second: Vec<_> = (0..50)
            .map(|i| {
                let mut r = record(i, (i as i64 % 3) * 1500);
                if i % 7 == 0 {
                    r.status = Some(AccountStatus::Active);
                    r.churned_on = None;
                }
                if i % 5 == 0 {
                    r.name = Some(format!("Renamed {i}"));
                }
                r
            })
            .collect();
        // new accounts first, then existing ones: the insert tried first finds the id taken
        let third: Vec<_> = (0..60).rev().map(|i| record(i, (i as i64 % 4) * 700)).collect();
        for records in [&first, &second, &second, &third] {
            assert!(!import(&slow, records, None));
            import(&fast, records, Some(3));
            assert_eq!(stored(&slow), stored(&fast));
            assert_eq!(objects(&fast), before, "the schema is put back whole");
        }
        let counted: i64 = fast
            .conn
            .query_row("SELECT n FROM change_counters WHERE tbl = 'accounts'", [], |r| r.get(0))
            .unwrap();
        assert!(counted > 50, "every row written counts: {counted}");
        let check = fast.check().unwrap();
        assert!(check.ok, "{check:?}");
        // the indexes work after the rebuild
        let plan: String = fast
            .conn
            .query_row(
                "EXPLAIN QUERY PLAN SELECT id FROM accounts ORDER BY mrr_cents, id",
                [],
                |r| r.get(3),
            )
            .unwrap();
        assert!(plan.contains("accounts_mrr"), "{plan}");
    }

    #[test]
    fn the_import_scores_its_active_accounts_as_a_rescore_after_it_would() {
        let s = store();
        let records: Vec<_> = (0..30).map(|i| record(i, 1000)).collect();
        assert!(import(&s, &records, Some(3)), "bulk mode");
        let rows = |sql: &str| -> Vec<String> {
            let mut q = s.conn.prepare(sql).unwrap();
            q.query_map([], |r| {
                Ok(format!("{:?}", (r.get_ref(0)?, r.get_ref(1)?, r.get_ref(2)?)))
            })
            .unwrap()
            .collect::<std::result::Result<_, _>>()
            .unwrap()
        };
        let accounts = "SELECT id, health_score, health_at FROM accounts ORDER BY id";
        let snapshots = "SELECT account_id, day, score FROM health_snapshots ORDER BY account_id, day";
        let (scored, snapped) = (rows(accounts), rows(snapshots));
        let unscored: i64 = s
            .conn
            .query_row(
                "SELECT count(*) FROM accounts WHERE (health_score IS NULL) <> (status = 'churned')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(unscored, 0, "every active account is scored, no churned one");
        assert_eq!(snapped.len(), 30 - (0..30).filter(|i| i % 7 == 0).count());
        let ids: Vec<i64> = s
            .conn
            .prepare("SELECT id FROM accounts")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<std::result::Result<_, _>>()
            .unwrap();
        s.rescore(&HealthRules::default(), &ids, NOW).unwrap();
        assert_eq!(rows(accounts), scored);
        assert_eq!(rows(snapshots), snapped);
    }

    #[test]
    fn an_updated_account_says_in_its_audit_what_the_import_changed() {
        let s = store();
        import(&s, &[record(1, 12000)], None);
        let mut changed = record(1, 25000);
        changed.stage = Some(crate::domain::Stage::Expansion);
        import(&s, &[changed.clone()], None);
        import(&s, &[changed], None);
        let id: i64 = s
            .conn
            .query_row("SELECT id FROM accounts WHERE external_id = 'A-00001'", [], |r| {
                r.get(0)
            })
            .unwrap();
        let log = s.audit_of(crate::store::AuditOf::Account(id), 10).unwrap();
        let imports: Vec<&str> = log
            .iter()
            .filter(|e| e.action == "import")
            .map(|e| e.detail.as_str())
            .collect();
        // the unchanged third import says nothing
        assert_eq!(imports.len(), 1, "{log:?}");
        assert!(imports[0].contains("mrr 120.00 -> 250.00"), "{}", imports[0]);
        assert!(imports[0].contains("-> expansion"), "{}", imports[0]);
        assert!(!imports[0].contains("name"), "{}", imports[0]);
        assert_eq!(log[0].actor, "tester");
    }

    #[test]
    fn a_bulk_batch_rolled_back_leaves_the_schema_as_it_was() {
        let s = store();
        import(&s, &(0..10).map(|i| record(i, 100)).collect::<Vec<_>>(), None);
        let (schema_before, stored_before) = (schema(&s), stored(&s));
        let mut b = s.begin_import(&SlaTargets::default(), true, NOW).unwrap();
        b.bulk_check_at = 5;
        for i in 10..60 {
            b.account(&record(i, 100)).unwrap();
        }
        assert!(b.bulk.as_ref().is_some_and(|b| b.counting));
        let indexes: i64 =
            b.tx.query_row(
                "SELECT count(*) FROM sqlite_master \
                 WHERE name IN ('accounts_mrr', 'revenue_events_account', 'accounts_changed_ins')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(indexes, 0, "inside the batch the indexes and the trigger are gone");
        drop(b); // a dry run, --strict with a refused row, an error
        assert_eq!(schema(&s), schema_before);
        assert_eq!(stored(&s), stored_before);
    }

    /// Whether the batch's transaction still has an index or trigger.
    fn has(b: &ImportBatch, name: &str) -> bool {
        b.tx.query_row("SELECT count(*) FROM sqlite_master WHERE name = ?1", [name], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap()
            == 1
    }

    #[test]
    fn a_small_import_into_a_large_table_keeps_its_indexes() {
        let (s, slow) = (store(), store());
        let existing: Vec<_> = (0..100).map(|i| record(i, 100)).collect();
        let added: Vec<_> = (100..140).map(|i| record(i, 100)).collect();
        for store in [&s, &slow] {
            import(store, &existing, None);
        }
        import(&slow, &added, None);
        let before = objects(&s);
        let mut b = s.begin_import(&SlaTargets::default(), true, NOW).unwrap();
        b.bulk_check_at = 10;
        for r in &added[..20] {
            b.account(r).unwrap();
        }
        // 20 written next to 100 stored: rebuilding the indexes would cost more than it saves,
        // but the counter triggers are replaced anyway
        assert!(!has(&b, "accounts_changed_ins") && b.bulk.as_ref().is_some_and(|b| b.counting));
        assert!(has(&b, "accounts_mrr") && has(&b, "revenue_events_at"));
        assert_eq!(b.bulk_check_at, 40, "looks again when twice as many are written");
        for i in 120..140 {
            b.account(&record(i, 100)).unwrap();
        }
        assert!(
            !has(&b, "accounts_mrr") && !has(&b, "revenue_events_at"),
            "40 next to 100: dropped"
        );
        assert_eq!(b.bulk_check_at, u64::MAX);
        b.commit("accounts", "test", &HealthRules::default()).unwrap();
        assert_eq!(objects(&s), before);
        assert_eq!(stored(&s), stored(&slow));
        let n: i64 = s
            .conn
            .query_row("SELECT n FROM change_counters WHERE tbl = 'accounts'", [], |r| r.get(0))
            .unwrap();
        // 140 rows written, and the 120 active ones (every seventh is churned) rescored
        assert_eq!(n, 140 + 120, "one count per account row written, as the triggers give");
    }

    #[test]
    fn without_the_counter_triggers_alone_the_import_stores_the_same() {
        let (fast, slow) = (store(), store());
        let existing: Vec<_> = (0..100).map(|i| record(i, 100)).collect();
        let changed: Vec<_> = (90..120).map(|i| record(i, 250)).collect();
        for store in [&fast, &slow] {
            import(store, &existing, None);
        }
        let before = objects(&fast);
        let indexes = |s: &Store| {
            let mut v = schema(s);
            v.retain(|(ty, ..)| ty == "index");
            v
        };
        let indexes_before = indexes(&fast);
        import(&slow, &changed, None);
        // past 10 writes, never a quarter of the table: triggers replaced, indexes kept
        assert!(import(&fast, &changed, Some(10)));
        assert_eq!(stored(&fast), stored(&slow));
        assert_eq!(objects(&fast), before);
        assert_eq!(indexes(&fast), indexes_before, "the same indexes, never rebuilt");
    }

    #[test]
    fn changed_counter_triggers_are_left_to_count_for_themselves() {
        let s = store();
        s.conn
            .execute_batch(
                "DROP TRIGGER accounts_changed_upd; CREATE TRIGGER accounts_changed_upd AFTER UPDATE ON accounts \
                 BEGIN UPDATE change_counters SET n = n + 2 WHERE tbl = 'accounts'; END;",
            )
            .unwrap();
        let before = objects(&s);
        assert!(import(
            &s,
            &(0..30).map(|i| record(i, 100)).collect::<Vec<_>>(),
            Some(3)
        ));
        let n: i64 = s
            .conn
            .query_row("SELECT n FROM change_counters WHERE tbl = 'accounts'", [], |r| r.get(0))
            .unwrap();
        // 30 inserts, then the changed update trigger's 2 for each of the 25 active accounts rescored
        assert_eq!(n, 30 + 2 * 25, "the triggers counted each row themselves");
        assert_eq!(objects(&s), before);
    }

    #[test]
    fn the_account_tables_checks_are_all_kept_by_the_import_types() {
        let s = store();
        for (table, typed) in typed_checks() {
            let sql: String = s
                .conn
                .query_row("SELECT sql FROM sqlite_master WHERE name = ?1", [table], |r| r.get(0))
                .unwrap();
            assert_eq!(check_clauses(&sql).as_ref(), Some(&typed), "{table}: {sql}");
        }
        let mut b = s.begin_import(&SlaTargets::default(), true, NOW).unwrap();
        b.bulk_check_at = 2;
        for i in 0..3 {
            b.account(&record(i, 100)).unwrap();
        }
        assert!(b.bulk.as_ref().is_some_and(|b| b.unchecked));
        let on = |b: &ImportBatch| -> i64 {
            b.tx.query_row("PRAGMA ignore_check_constraints", [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(on(&b), 1);
        // anything else written in the same batch is checked again
        b.contact(&ContactRecord {
            account: "A-00000".into(),
            name: Some("Ann".into()),
            ..ContactRecord::default()
        })
        .unwrap();
        assert_eq!(on(&b), 0);
        b.account(&record(3, 100)).unwrap();
        assert_eq!(on(&b), 0, "and stays checked");
        drop(b);
        let on: i64 = s
            .conn
            .query_row("PRAGMA ignore_check_constraints", [], |r| r.get(0))
            .unwrap();
        assert_eq!(on, 0);
        // a rolled-back batch puts the checks back too
        let mut b = s.begin_import(&SlaTargets::default(), true, NOW).unwrap();
        b.bulk_check_at = 2;
        for i in 0..3 {
            b.account(&record(i, 100)).unwrap();
        }
        assert!(b.bulk.as_ref().is_some_and(|b| b.unchecked));
        drop(b);
        let on: i64 = s
            .conn
            .query_row("PRAGMA ignore_check_constraints", [], |r| r.get(0))
            .unwrap();
        assert_eq!(on, 0);
    }

    #[test]
    fn statements_prepared_while_checks_were_off_check_again_once_they_are_on() {
        let s = store();
        let mut b = s.begin_import(&SlaTargets::default(), true, NOW).unwrap();
        b.bulk_check_at = 2;
        for i in 0..3 {
            b.account(&record(i, 100)).unwrap();
        }
        assert!(b.bulk.as_ref().is_some_and(|b| b.unchecked));
        let bad = "INSERT INTO accounts (name, segment, stage, signup_date, created_at, updated_at) \
                   VALUES ('Bad', 'nonsense', 'adoption', '2026-01-01', 0, 0)";
        // prepared (and cached) while the checks are off: SQLite leaves the check out of it
        b.tx.prepare_cached(bad).unwrap().execute([]).unwrap();
        b.check_constraints().unwrap();
        // the pragma expired every statement, so the cached one is compiled again, with the check
        let err = b.tx.prepare_cached(bad).unwrap().execute([]).unwrap_err();
        assert!(err.to_string().contains("CHECK constraint failed"), "{err}");
    }

    #[test]
    fn a_negative_amount_is_refused_in_bulk_mode_too() {
        let s = store();
        let mut b = s.begin_import(&SlaTargets::default(), true, NOW).unwrap();
        b.bulk_check_at = 2;
        for i in 0..3 {
            b.account(&record(i, 100)).unwrap();
        }
        assert!(b.bulk.as_ref().is_some_and(|b| b.unchecked));
        // parse_money refuses one, but a record built otherwise could hold it
        for i in [1, 10] {
            let mut r = record(i, 100);
            r.mrr_cents = Some(-1);
            let err = b.account(&r).unwrap_err();
            assert!(err.to_string().contains("CHECK constraint failed"), "{err}");
        }
    }

    #[test]
    fn checks_are_read_from_a_table_definition() {
        let sql = "CREATE TABLE t (a TEXT CHECK (a IN ('x', 'y')), b INTEGER NOT NULL check(b >= 0), \
                   c TEXT CHECK ((c) IS NULL OR length(c) > 1))";
        assert_eq!(
            check_clauses(sql),
            Some(vec![
                "a IN ('x', 'y')".to_string(),
                "b >= 0".into(),
                "(c) IS NULL OR length(c) > 1".into()
            ])
        );
        assert_eq!(check_clauses("CREATE TABLE t (a)"), Some(vec![]));
        // a column or comment named like it: not a condition tend can recognise, so none is skipped
        assert_eq!(check_clauses("CREATE TABLE t (checked_at INTEGER)"), None);
        assert_eq!(check_clauses("CREATE TABLE t (a CHECK (a > (0)"), None);
    }
}
