//! End-to-end tests of `tend import accounts|contacts|tickets|signals` and `tend export`, each on
//! its own temporary database with a frozen clock.
//!
//! Real public files come from `../shared/fixtures/real/` (see its README.md); small byte-exact
//! bad-input files from `tests/fixtures/import/`. Expected counts are worked out from the files
//! themselves (read with the `csv` crate), or by hand for the small fixtures written for these
//! tests, never copied from tend's output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::process::Output;

mod common;
use common::{assert_runtime_error, expect_code};

/// The frozen clock every command runs at, unless a test moves it.
const NOW: &str = "2026-11-22T09:00:00Z";
/// A month after `NOW`: importing the same file again then must still change nothing.
const LATER: &str = "2026-12-22T09:00:00Z";

/// The largest cell tend stores, in bytes (1 MiB).
const CELL_LIMIT: usize = 1_048_576;

const TELCO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/fixtures/real/telco_customer_churn.csv"
);
const RAVEN_ACCOUNTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/fixtures/real/ravenstack/ravenstack_accounts.csv"
);
const RAVEN_TICKETS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/fixtures/real/ravenstack/ravenstack_support_tickets.csv"
);
const KAGGLE_TICKETS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/fixtures/real/customer_support_tickets.csv"
);

/// The four kinds that go both ways, in the order an import must take them.
const KINDS: [&str; 4] = ["accounts", "contacts", "tickets", "signals"];

/// A file of `tests/fixtures/import/`.
fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/import/{name}", env!("CARGO_MANIFEST_DIR"))
}

// ---- reading CSV the way a person's spreadsheet would ----

/// A CSV file as the `csv` crate reads it: the header, and each record with the file line it
/// starts on (the header is line 1).
struct Table {
    headers: Vec<String>,
    rows: Vec<(u64, Vec<String>)>,
}

impl Table {
    fn read(path: &str, sep: u8) -> Table {
        let mut r = csv::ReaderBuilder::new()
            .delimiter(sep)
            .flexible(true)
            .from_path(path)
            .unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
        let headers = r.headers().unwrap().iter().map(String::from).collect();
        let rows = r
            .records()
            .map(|rec| {
                let rec = rec.unwrap();
                (rec.position().unwrap().line(), rec.iter().map(String::from).collect())
            })
            .collect();
        Table { headers, rows }
    }

    fn len(&self) -> u64 {
        self.rows.len() as u64
    }

    fn col(&self, name: &str) -> usize {
        self.headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name:?} in {:?}", self.headers))
    }

    /// One column's cells, in file order.
    fn column(&self, name: &str) -> Vec<&str> {
        let i = self.col(name);
        self.rows.iter().map(|(_, c)| c[i].as_str()).collect()
    }

    /// The record that starts on this line.
    fn at_line(&self, line: u64) -> &Vec<String> {
        &self
            .rows
            .iter()
            .find(|(l, _)| *l == line)
            .unwrap_or_else(|| panic!("no record starts on line {line}"))
            .1
    }
}

/// CSV text (an export) as one map per row, column → cell.
fn records(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap_or_else(|e| panic!("the export is not CSV ({e}):\n{text}"));
            assert_eq!(rec.len(), headers.len(), "a ragged row in the export:\n{text}");
            headers.iter().cloned().zip(rec.iter().map(String::from)).collect()
        })
        .collect()
}

/// Rows of an export keyed by their `external_id`.
fn by_id(rows: Vec<BTreeMap<String, String>>) -> BTreeMap<String, BTreeMap<String, String>> {
    let n = rows.len();
    let m: BTreeMap<_, _> = rows.into_iter().map(|r| (r["external_id"].clone(), r)).collect();
    assert_eq!(m.len(), n, "external ids repeat in the export");
    m
}

// ---- the import summary (--format json) ----

fn num(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("no count {key:?} in the summary {v}"))
}

/// read, imported, updated, unchanged, rejected, ignored.
fn counts(v: &Value) -> [u64; 6] {
    ["read", "imported", "updated", "unchanged", "rejected", "ignored"].map(|k| num(v, k))
}

/// Each refused row as (line, column, reason).
fn rejects(v: &Value) -> Vec<(u64, String, String)> {
    v["rejects"]
        .as_array()
        .unwrap_or_else(|| panic!("no rejects list in {v}"))
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["column"].as_str().unwrap().to_string(),
                r["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Expected rejects, written compactly.
fn refused(list: &[(u64, &str, &str)]) -> Vec<(u64, String, String)> {
    list.iter()
        .map(|(l, c, r)| (*l, c.to_string(), r.to_string()))
        .collect()
}

/// The summary's column → field pairs ("" for an ignored column).
fn mapping(v: &Value) -> Vec<(String, String)> {
    v["mapping"]
        .as_array()
        .unwrap_or_else(|| panic!("no mapping in {v}"))
        .iter()
        .map(|p| (p[0].as_str().unwrap().to_string(), p[1].as_str().unwrap().to_string()))
        .collect()
}

/// The file lines of the preview's rows.
fn preview_lines(v: &Value) -> Vec<u64> {
    v["preview"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[0].as_u64().unwrap())
        .collect()
}

fn unknown_events(v: &Value) -> BTreeMap<String, u64> {
    v["unknown_events"]
        .as_object()
        .unwrap_or_else(|| panic!("no unknown_events in {v}"))
        .iter()
        .map(|(k, n)| (k.clone(), n.as_u64().unwrap()))
        .collect()
}

/// The lines of a text report that start with `prefix`.
fn lines_with<'a>(out: &'a str, prefix: &str) -> Vec<&'a str> {
    out.lines().filter(|l| l.starts_with(prefix)).collect()
}

/// The one line of a text report that starts with `prefix`.
fn line_with<'a>(out: &'a str, prefix: &str) -> &'a str {
    let found = lines_with(out, prefix);
    assert_eq!(found.len(), 1, "expected one line starting {prefix:?}:\n{out}");
    found[0]
}

/// The temporary home every test runs in (tests/common), at `NOW` by default.
type Tend = common::Home;

impl Tend {
    fn fresh() -> Tend {
        Tend::new(NOW)
    }

    /// `tend import KIND FILE EXTRA... --format json` at `now`: the summary and the process's
    /// output, once the summary's counts add up.
    fn import_at(&self, now: &str, kind: &str, file: &str, extra: &[&str]) -> (Value, Output) {
        let mut args = vec!["import", kind, file];
        args.extend_from_slice(extra);
        args.extend(["--format", "json"]);
        let out = self.run_at(now, &args);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{args:?} did not print a JSON summary ({e}); exit {:?}\nstdout:\n{}\nstderr:\n{}",
                out.status.code(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let [read, imported, updated, unchanged, rejected, ignored] = counts(&v);
        assert_eq!(
            read,
            imported + updated + unchanged + rejected + ignored,
            "{args:?}: the counts do not add up to the rows read: {v}"
        );
        assert_eq!(
            rejects(&v).len() as u64,
            rejected,
            "{args:?}: every refused row is listed: {v}"
        );
        assert_eq!(v["kind"], kind, "{v}");
        (v, out)
    }

    fn import(&self, kind: &str, file: &str, extra: &[&str]) -> (Value, Output) {
        self.import_at(self.now, kind, file, extra)
    }

    /// An import where every row goes in: exit 0, nothing on stderr, written.
    fn import_clean_at(&self, now: &str, kind: &str, file: &str, extra: &[&str]) -> Value {
        let (v, out) = self.import_at(now, kind, file, extra);
        expect_code(&["import", kind, file], &out, 0);
        assert!(
            out.stderr.is_empty(),
            "import {kind} {file} warned:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(num(&v, "rejected"), 0, "{v}");
        assert_eq!(v["written"], true, "{v}");
        v
    }

    fn import_clean(&self, kind: &str, file: &str, extra: &[&str]) -> Value {
        self.import_clean_at(self.now, kind, file, extra)
    }

    /// An import where some rows are refused and the others go in: exit 3 and the one-line
    /// message counting them.
    fn import_partial(&self, kind: &str, file: &str, extra: &[&str]) -> Value {
        let (v, out) = self.import(kind, file, extra);
        expect_code(&["import", kind, file], &out, 3);
        assert!(num(&v, "rejected") > 0, "{v}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            format!(
                "tend: {} of {} rows were refused (listed above); the others went in\n",
                num(&v, "rejected"),
                num(&v, "read")
            )
        );
        assert_eq!(v["written"], true, "{v}");
        v
    }

    /// `tend import KIND FILE EXTRA...` in text, expecting this exit code: (stdout, stderr).
    fn import_text(&self, kind: &str, file: &str, extra: &[&str], code: i32) -> (String, String) {
        let mut args = vec!["import", kind, file];
        args.extend_from_slice(extra);
        let out = self.run(&args);
        expect_code(&args, &out, code);
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }

    /// Run with this on standard input.
    fn run_stdin(&self, args: &[&str], input: &[u8]) -> Output {
        let mut c = self.cmd(self.now);
        c.args(args).write_stdin(input.to_vec());
        let out = c.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?} panicked:\n{stderr}");
        out
    }

    /// `tend export WHAT` as CSV text.
    fn export(&self, what: &str) -> String {
        self.ok(&["export", what])
    }

    fn exported(&self, what: &str) -> Vec<BTreeMap<String, String>> {
        records(&self.export(what))
    }

    fn exported_by_id(&self, what: &str) -> BTreeMap<String, BTreeMap<String, String>> {
        by_id(self.exported(what))
    }

    /// Every kind's export, to show that something wrote nothing.
    fn everything(&self) -> Vec<String> {
        KINDS.iter().map(|k| self.export(k)).collect()
    }

    fn assert_empty(&self) {
        for k in KINDS {
            assert!(self.exported(k).is_empty(), "{k} were stored:\n{}", self.export(k));
        }
    }

    fn accounts(&self) -> Vec<Value> {
        self.json(&["accounts", "list", "--format", "json"])
            .as_array()
            .unwrap()
            .clone()
    }

    fn assert_integrity(&self) {
        let out = self.ok(&["db", "check"]);
        assert!(out.contains("integrity ok"), "{out}");
    }
}

// ---- real public files ----

#[test]
fn telco_accounts_import_then_reimport_unchanged() {
    let src = Table::read(TELCO, b',');
    let n = src.len();
    assert!(n > 1000, "the Telco file has {n} rows");
    let t = Tend::fresh();

    let first = t.import_clean("accounts", TELCO, &[]);
    assert_eq!(counts(&first), [n, n, 0, 0, 0, 0], "{first}");
    let m: BTreeMap<String, String> = mapping(&first).into_iter().collect();
    for (column, field) in [
        ("customerID", "external_id"),
        ("MonthlyCharges", "mrr"),
        ("tenure", "tenure_months"),
        ("Churn", "churned"),
    ] {
        assert_eq!(m[column], field, "the mapping: {m:?}");
    }
    let stored: BTreeSet<String> = t
        .accounts()
        .iter()
        .map(|a| a["external_id"].as_str().unwrap().to_string())
        .collect();
    let in_file: BTreeSet<String> = src.column("customerID").into_iter().map(String::from).collect();
    assert_eq!(in_file.len() as u64, n, "customerID is unique in the file");
    assert_eq!(stored, in_file);

    let second = t.import_clean("accounts", TELCO, &[]);
    assert_eq!(counts(&second), [n, 0, 0, n, 0, 0], "{second}");
    // On a later day too: the signup day worked out from the tenure must not move.
    let later = t.import_clean_at(LATER, "accounts", TELCO, &[]);
    assert_eq!(counts(&later), [n, 0, 0, n, 0, 0], "{later}");
    assert_eq!(t.accounts().len() as u64, n);
    t.assert_integrity();
}

#[test]
fn telco_churned_count_and_values_match_the_file() {
    let src = Table::read(TELCO, b',');
    let n = src.len();
    let yes = src.column("Churn").iter().filter(|c| **c == "Yes").count();
    let no = src.column("Churn").iter().filter(|c| **c == "No").count();
    assert_eq!((yes + no) as u64, n, "Churn is Yes or No on every row");
    assert!(yes > 0 && no > 0);

    let t = Tend::fresh();
    t.import_clean("accounts", TELCO, &[]);
    let accounts = t.accounts();
    let status = |s: &str| accounts.iter().filter(|a| a["status"] == s).count();
    assert_eq!(status("churned"), yes);
    assert_eq!(status("active"), no);

    // Every account carries its row's monthly charge (to the cent) and contract.
    let by_id: BTreeMap<&str, &Value> = accounts
        .iter()
        .map(|a| (a["external_id"].as_str().unwrap(), a))
        .collect();
    let (id, mrr, contract, churn) = (
        src.col("customerID"),
        src.col("MonthlyCharges"),
        src.col("Contract"),
        src.col("Churn"),
    );
    for (line, row) in &src.rows {
        let a = by_id
            .get(row[id].as_str())
            .unwrap_or_else(|| panic!("line {line}: {} not stored", row[id]));
        let want = (row[mrr].parse::<f64>().unwrap() * 100.0).round() as i64;
        let got = (a["mrr"].as_f64().unwrap() * 100.0).round() as i64;
        assert_eq!(got, want, "line {line}: mrr of {}", row[id]);
        assert_eq!(a["plan"], row[contract].as_str(), "line {line}");
        let churned = row[churn] == "Yes";
        assert_eq!(a["status"] == "churned", churned, "line {line}: {a}");
    }
}

#[test]
fn telco_dry_run_writes_nothing_and_reports_what_the_real_run_does() {
    let src = Table::read(TELCO, b',');
    let n = src.len();
    let t = Tend::fresh();

    let out = t.ok(&["import", "accounts", TELCO, "--dry-run"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "separator: ,", "{out}");
    assert!(lines[1].starts_with("column") && lines[1].ends_with("field"), "{out}");
    // One table row per column, in file order: the field, or "(ignored)".
    let mut table = BTreeMap::new();
    for (i, h) in src.headers.iter().enumerate() {
        let row = lines[2 + i];
        let field = row
            .strip_prefix(h.as_str())
            .unwrap_or_else(|| panic!("table row {i} is not column {h:?}: {row:?}"))
            .trim();
        table.insert(h.as_str(), field);
    }
    assert_eq!(table["customerID"], "external_id");
    assert_eq!(table["MonthlyCharges"], "mrr");
    assert_eq!(table["tenure"], "tenure_months");
    assert_eq!(table["Churn"], "churned");
    assert_eq!(table["gender"], "(ignored)");
    assert_eq!(table["TotalCharges"], "(ignored)");
    // The preview: blocks for the first rows, in order, the first one being line 2.
    let blocks: Vec<u64> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("line ")?.strip_suffix(" as it would be stored:"))
        .map(|n| n.parse().unwrap())
        .collect();
    assert!(!blocks.is_empty(), "{out}");
    assert_eq!(blocks, (2..2 + blocks.len() as u64).collect::<Vec<_>>(), "{out}");
    let first_block = out.split("line 2 as it would be stored:\n").nth(1).unwrap();
    let first_id = &src.rows[0].1[src.col("customerID")];
    assert!(
        first_block
            .lines()
            .take_while(|l| !l.trim().is_empty())
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["external_id", first_id.as_str()]),
        "{out}"
    );
    let summary = line_with(&out, "accounts from ");
    assert!(
        summary.starts_with(&format!("accounts from {TELCO}: read {n} · ")) && summary.ends_with("rejected 0"),
        "{summary}"
    );
    assert_eq!(lines.last(), Some(&"dry run: nothing was written"), "{out}");
    t.assert_empty();

    let (dry, out) = t.import("accounts", TELCO, &["--dry-run"]);
    expect_code(&["import", "accounts", "--dry-run"], &out, 0);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["written"], false);
    assert_eq!(dry["separator"], ",");
    t.assert_empty();

    let real = t.import_clean("accounts", TELCO, &[]);
    assert_eq!(counts(&dry), counts(&real));
    assert_eq!(counts(&real), [n, n, 0, 0, 0, 0]);
    assert_eq!(mapping(&dry), mapping(&real));
    assert_eq!(dry["preview"], real["preview"]);
    // Once stored, a dry run sees every row unchanged.
    let (again, _) = t.import("accounts", TELCO, &["--dry-run"]);
    assert_eq!(counts(&again), [n, 0, 0, n, 0, 0]);
}

#[test]
fn telco_edited_file_updates_only_the_changed_rows() {
    let src = Table::read(TELCO, b',');
    let n = src.len();
    let (id, mrr) = (src.col("customerID"), src.col("MonthlyCharges"));
    let t = Tend::fresh();
    t.import_clean("accounts", TELCO, &[]);

    // Raise the monthly charge of every 1000th customer by $1.25.
    let mut changed = BTreeMap::new();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&src.headers).unwrap();
    for (i, (_, row)) in src.rows.iter().enumerate() {
        let mut row = row.clone();
        if i % 1000 == 0 {
            let cents = (row[mrr].parse::<f64>().unwrap() * 100.0).round() as i64 + 125;
            row[mrr] = format!("{}.{:02}", cents / 100, cents % 100);
            changed.insert(row[id].clone(), cents);
        }
        w.write_record(&row).unwrap();
    }
    let edited = t.write("telco_edited.csv", &String::from_utf8(w.into_inner().unwrap()).unwrap());
    let k = changed.len() as u64;
    assert!(k > 1);

    let v = t.import_clean("accounts", edited.to_str().unwrap(), &[]);
    assert_eq!(counts(&v), [n, 0, k, n - k, 0, 0], "{v}");
    for a in t.accounts() {
        if let Some(cents) = changed.get(a["external_id"].as_str().unwrap()) {
            assert_eq!((a["mrr"].as_f64().unwrap() * 100.0).round() as i64, *cents, "{a}");
        }
    }
}

#[test]
fn ravenstack_accounts_then_tickets_all_imported_and_idempotent() {
    let accounts = Table::read(RAVEN_ACCOUNTS, b',');
    let tickets = Table::read(RAVEN_TICKETS, b',');
    let (na, nt) = (accounts.len(), tickets.len());
    let t = Tend::fresh();

    let va = t.import_clean("accounts", RAVEN_ACCOUNTS, &[]);
    assert_eq!(counts(&va), [na, na, 0, 0, 0, 0], "{va}");
    let vt = t.import_clean("tickets", RAVEN_TICKETS, &[]);
    assert_eq!(counts(&vt), [nt, nt, 0, 0, 0, 0], "{vt}");

    // The churn flags, and no account made up by the tickets.
    let flagged = accounts.column("churn_flag").iter().filter(|c| **c == "True").count();
    let stored = t.accounts();
    assert_eq!(stored.len() as u64, na);
    assert_eq!(stored.iter().filter(|a| a["status"] == "churned").count(), flagged);

    // Every ticket on its file's account, with its satisfaction score as a whole number.
    let exported = t.exported_by_id("tickets");
    assert_eq!(exported.len() as u64, nt);
    let (tid, acc, score) = (
        tickets.col("ticket_id"),
        tickets.col("account_id"),
        tickets.col("satisfaction_score"),
    );
    let mut unscored = 0;
    for (line, row) in &tickets.rows {
        let e = exported
            .get(&row[tid])
            .unwrap_or_else(|| panic!("line {line}: ticket {} not exported", row[tid]));
        assert_eq!(e["account"], row[acc], "line {line}");
        let want = if row[score].is_empty() {
            unscored += 1;
            String::new()
        } else {
            (row[score].parse::<f64>().unwrap() as i64).to_string()
        };
        assert_eq!(e["csat"], want, "line {line}");
    }
    assert!(unscored > 0 && unscored < nt, "some tickets have no score in the file");
    let listed = t.json(&["tickets", "list", "--all", "--format", "json"]);
    assert_eq!(listed.as_array().unwrap().len() as u64, nt);

    let va = t.import_clean("accounts", RAVEN_ACCOUNTS, &[]);
    assert_eq!(counts(&va), [na, 0, 0, na, 0, 0], "{va}");
    let vt = t.import_clean("tickets", RAVEN_TICKETS, &[]);
    assert_eq!(counts(&vt), [nt, 0, 0, nt, 0, 0], "{vt}");
    t.assert_integrity();
}

#[test]
fn kaggle_tickets_import_by_customer_email_with_none_rejected_and_idempotent() {
    let src = Table::read(KAGGLE_TICKETS, b',');
    let n = src.len();
    let (id, email, desc, status) = (
        src.col("Ticket ID"),
        src.col("Customer Email"),
        src.col("Ticket Description"),
        src.col("Ticket Status"),
    );
    let t = Tend::fresh();

    let v = t.import_clean("tickets", KAGGLE_TICKETS, &[]);
    assert_eq!(counts(&v), [n, n, 0, 0, 0, 0], "{v}");

    // example.com is reserved: one account per customer, its id the address.
    let emails: BTreeSet<String> = src
        .column("Customer Email")
        .iter()
        .map(|e| e.trim().to_ascii_lowercase())
        .collect();
    assert!(
        emails
            .iter()
            .all(|e| e.ends_with("@example.com") || e.ends_with("@example.org") || e.ends_with("@example.net"))
    );
    let accounts: BTreeSet<String> = t
        .accounts()
        .iter()
        .map(|a| a["external_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(accounts, emails);

    // Every ticket on its customer's account, its multi-line description kept whole.
    let exported = t.exported_by_id("tickets");
    assert_eq!(exported.len() as u64, n);
    let (mut multiline, mut closed) = (0, 0);
    for (line, row) in &src.rows {
        let e = &exported[&row[id]];
        assert_eq!(e["account"], row[email].trim().to_ascii_lowercase(), "line {line}");
        assert_eq!(e["body"], row[desc].trim(), "line {line}");
        multiline += usize::from(row[desc].contains('\n'));
        let is_closed = row[status] == "Closed";
        closed += usize::from(is_closed);
        assert_eq!(e["step"] == "closed", is_closed, "line {line}: {e:?}");
    }
    assert!(multiline > 0 && closed > 0);

    let again = t.import_clean("tickets", KAGGLE_TICKETS, &[]);
    assert_eq!(counts(&again), [n, 0, 0, n, 0, 0], "{again}");
}

// ---- updates and dry runs on small files ----

#[test]
fn an_edited_file_updates_changed_rows_and_keeps_what_it_omits() {
    let (v1, v2) = (fixture("accounts_v1.csv"), fixture("accounts_v2.csv"));
    let t = Tend::fresh();
    let first = t.import_clean("accounts", &v1, &[]);
    assert_eq!(counts(&first), [3, 3, 0, 0, 0, 0]);
    // v2: U-1 as it was, U-2 with a new mrr, U-4 new; it has no name, plan or owner column.
    let second = t.import_clean("accounts", &v2, &[]);
    assert_eq!(counts(&second), [3, 1, 1, 1, 0, 0], "{second}");
    let a = t.exported_by_id("accounts");
    assert_eq!(a.len(), 4);
    assert_eq!(a["U-2"]["mrr"], "65.50");
    assert_eq!(
        (
            a["U-2"]["name"].as_str(),
            a["U-2"]["plan"].as_str(),
            a["U-2"]["owner"].as_str()
        ),
        ("Vela", "Silver", "kim"),
        "fields the file does not have are kept"
    );
    assert_eq!(a["U-1"]["mrr"], "100.00");
    assert_eq!(a["U-3"]["mrr"], "75.00");
    assert_eq!(a["U-4"]["mrr"], "10.00");
    let third = t.import_clean("accounts", &v2, &[]);
    assert_eq!(counts(&third), [3, 0, 0, 3, 0, 0], "{third}");
}

#[test]
fn dry_run_reports_what_the_real_run_then_does_and_writes_nothing() {
    /// (kind, file, the imports that come first as (kind, file)).
    type Case = (&'static str, &'static str, &'static [(&'static str, &'static str)]);
    let cases: [Case; 3] = [
        ("accounts", "accounts_bad_rows.csv", &[]),
        ("signals", "signals_events.csv", &[("accounts", "signals_accounts.csv")]),
        (
            "tickets",
            "tickets_by_email.csv",
            &[
                ("accounts", "tickets_accounts.csv"),
                ("contacts", "tickets_contacts.csv"),
            ],
        ),
    ];
    for (kind, file, setup) in cases {
        let t = Tend::fresh();
        for (k, f) in setup {
            t.import_clean(k, &fixture(f), &[]);
        }
        let file = fixture(file);
        let before = t.everything();
        let (dry, out) = t.import(kind, &file, &["--dry-run"]);
        assert_eq!(dry["dry_run"], true, "{dry}");
        assert_eq!(dry["written"], false, "{dry}");
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains("went in"),
            "a dry run says rows went in: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(t.everything(), before, "the dry run of {file} wrote something");

        let real = t.import_partial(kind, &file, &[]);
        assert_eq!(counts(&dry), counts(&real), "{file}");
        assert_eq!(rejects(&dry), rejects(&real), "{file}");
        assert_eq!(unknown_events(&dry), unknown_events(&real), "{file}");
        assert_eq!(mapping(&dry), mapping(&real), "{file}");
        assert_eq!(dry["preview"], real["preview"], "{file}");
        assert_ne!(t.everything(), before, "the real run of {file} wrote nothing");
    }
}

// ---- refused rows ----

/// What `accounts_bad_rows.csv` refuses, worked out by hand.
const BAD_ROWS: [(u64, &str, &str); 7] = [
    (3, "mrr", "'abc' is not an amount of money"),
    (4, "churned", "'maybe' is not yes or no"),
    (5, "external_id", "the account id is empty"),
    (6, "signup_date", "'yesterday' is not a date; use 2026-11-23"),
    (7, "", "the row has 4 fields; the header has 5"),
    (
        9,
        "external_id",
        "the id 'B-01' is also on line 2; only the first is imported",
    ),
    (10, "mrr", "'-3' is a negative amount"),
];

/// `line L, column 'C': reason`, or `line L: reason` for the whole row.
fn reject_line(line: u64, column: &str, reason: &str) -> String {
    if column.is_empty() {
        format!("line {line}: {reason}")
    } else {
        format!("line {line}, column '{column}': {reason}")
    }
}

#[test]
fn bad_rows_are_refused_with_their_line_column_and_reason() {
    let file = fixture("accounts_bad_rows.csv");
    let read = Table::read(&file, b',').len();
    assert_eq!(read, 9);
    let t = Tend::fresh();
    let (out, err) = t.import_text("accounts", &file, &[], 3);
    let want: Vec<String> = BAD_ROWS.iter().map(|(l, c, r)| reject_line(*l, c, r)).collect();
    assert_eq!(lines_with(&out, "line "), want, "{out}");
    assert_eq!(
        line_with(&out, "accounts from "),
        format!("accounts from {file}: read {read} · imported 2 · updated 0 · unchanged 0 · rejected 7")
    );
    assert_eq!(
        err,
        "tend: 7 of 9 rows were refused (listed above); the others went in\n"
    );
    // Only the good rows went in, the first B-01 among them.
    let a = t.exported_by_id("accounts");
    assert_eq!(a.keys().collect::<Vec<_>>(), ["B-01", "B-07"]);
    assert_eq!(
        (a["B-01"]["name"].as_str(), a["B-01"]["mrr"].as_str()),
        ("Alder", "10.50")
    );
    assert_eq!(a["B-07"]["status"], "churned");

    let t = Tend::fresh();
    let v = t.import_partial("accounts", &file, &[]);
    assert_eq!(counts(&v), [9, 2, 0, 0, 7, 0]);
    assert_eq!(rejects(&v), refused(&BAD_ROWS));
}

#[test]
fn rejects_file_holds_each_refused_row_to_fix_and_import_again() {
    let file = fixture("accounts_bad_rows.csv");
    let src = Table::read(&file, b',');
    let t = Tend::fresh();
    let rej = t.path("rejects.csv");
    let v = t.import_partial("accounts", &file, &["--rejects", rej.to_str().unwrap()]);

    // Read strictly: every row as wide as the header.
    let mut r = csv::Reader::from_path(&rej).unwrap();
    let headers: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let mut want_headers = src.headers.clone();
    want_headers.extend(["tend_line", "tend_column", "tend_reason"].map(String::from));
    assert_eq!(headers, want_headers);
    let rows: Vec<Vec<String>> = r
        .records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect();
    let listed = rejects(&v);
    assert_eq!(listed, refused(&BAD_ROWS));
    assert_eq!(rows.len(), listed.len());
    let w = src.headers.len();
    for (row, (line, column, reason)) in rows.iter().zip(&listed) {
        assert_eq!(row[w..], [line.to_string(), column.clone(), reason.clone()]);
        let mut original = src.at_line(*line).clone();
        original.resize(w, String::new());
        assert_eq!(row[..w], original[..], "line {line}");
    }

    // Fix two of them in the rejects file itself and import it again.
    let mut fixed = csv::Writer::from_writer(Vec::new());
    fixed.write_record(&headers).unwrap();
    for row in &rows {
        let mut row = row.clone();
        match row[w].as_str() {
            "3" => row[2] = "12".into(),
            "5" => row[0] = "B-04".into(),
            _ => continue,
        }
        fixed.write_record(&row).unwrap();
    }
    let fixed = t.write("fixed.csv", &String::from_utf8(fixed.into_inner().unwrap()).unwrap());
    let again = t.import_clean("accounts", fixed.to_str().unwrap(), &[]);
    assert_eq!(counts(&again), [2, 2, 0, 0, 0, 0], "{again}");
    for (column, field) in mapping(&again) {
        if column.starts_with("tend_") {
            assert_eq!(field, "", "{column} is not imported");
        }
    }
    let a = t.exported_by_id("accounts");
    assert_eq!(a["B-02"]["mrr"], "12.00");
    assert_eq!(a["B-04"]["name"], "Damson");
}

/// A row with more fields than the header still goes to the rejects file, its extra fields in
/// extra columns, so the file stays valid CSV.
#[test]
fn rejects_file_keeps_rows_with_extra_fields_aligned() {
    let file = fixture("accounts_extra_field.csv");
    let t = Tend::fresh();
    let rej = t.path("rejects.csv");
    let (out, err) = t.import_text("accounts", &file, &["--rejects", rej.to_str().unwrap()], 3);
    assert_eq!(
        lines_with(&out, "line "),
        [
            "line 3: the row has 3 fields; the header has 2",
            "line 4: the row has 1 field; the header has 2"
        ],
        "{out}"
    );
    assert_eq!(
        err,
        "tend: 2 of 4 rows were refused (listed above); the others went in\n"
    );
    assert_eq!(t.exported_by_id("accounts").keys().collect::<Vec<_>>(), ["X-1", "X-4"]);

    let mut r = csv::Reader::from_path(&rej).unwrap();
    let headers: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let at = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(|rec| rec.unwrap()).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!((&rows[0][0], &rows[0][1]), ("X-2", "Beta"));
    assert_eq!(&rows[0][at("tend_line")], "3");
    assert_eq!(&rows[0][at("tend_reason")], "the row has 3 fields; the header has 2");
    assert_eq!(&rows[1][0], "X-3");
    assert_eq!(&rows[1][at("tend_line")], "4");
}

#[test]
fn strict_refusal_imports_nothing() {
    let file = fixture("accounts_bad_rows.csv");
    let t = Tend::fresh();
    let (out, err) = t.import_text("accounts", &file, &["--strict"], 1);
    let want: Vec<String> = BAD_ROWS.iter().map(|(l, c, r)| reject_line(*l, c, r)).collect();
    assert_eq!(lines_with(&out, "line "), want, "{out}");
    assert_runtime_error(&err, "nothing was imported");
    assert!(err.contains("7 of 9"), "{err}");
    t.assert_empty();

    let (v, out) = t.import("accounts", &file, &["--strict"]);
    expect_code(&["import", "--strict"], &out, 1);
    assert_eq!(v["written"], false);
    assert_eq!(rejects(&v), refused(&BAD_ROWS));
    t.assert_empty();

    // With nothing to refuse, --strict imports everything.
    let v = t.import_clean("accounts", &fixture("accounts_v1.csv"), &["--strict"]);
    assert_eq!(counts(&v), [3, 3, 0, 0, 0, 0]);
    assert_eq!(t.exported("accounts").len(), 3);
}

/// With --strict and a refused row nothing is written, and the summary does not claim otherwise.
#[test]
fn strict_summary_does_not_claim_rows_were_imported() {
    let file = fixture("accounts_bad_rows.csv");
    let t = Tend::fresh();
    let (out, _) = t.import_text("accounts", &file, &["--strict"], 1);
    t.assert_empty();
    let summary = line_with(&out, "accounts from ");
    for part in summary.split(" · ") {
        if let Some(n) = part.strip_prefix("imported ") {
            assert_eq!(n, "0", "the summary of an import that stored nothing: {summary}");
        }
    }
}

#[test]
fn duplicate_ids_keep_only_the_first_row() {
    let file = fixture("accounts_duplicate_ids.csv");
    let t = Tend::fresh();
    let v = t.import_partial("accounts", &file, &[]);
    assert_eq!(counts(&v), [6, 3, 0, 0, 3, 0]);
    assert_eq!(
        rejects(&v),
        refused(&[
            (
                4,
                "external_id",
                "the id 'D-1' is also on line 2; only the first is imported"
            ),
            (
                6,
                "external_id",
                "the id 'D-2' is also on line 3; only the first is imported"
            ),
            (
                7,
                "external_id",
                "the id 'D-3' is also on line 5; only the first is imported"
            ),
        ])
    );
    let a = t.exported_by_id("accounts");
    assert_eq!(a.keys().collect::<Vec<_>>(), ["D-1", "D-2", "D-3"]);
    for (id, name, mrr) in [
        ("D-1", "First", "10.00"),
        ("D-2", "Second", "20.00"),
        ("D-3", "Third", "30.00"),
    ] {
        assert_eq!((a[id]["name"].as_str(), a[id]["mrr"].as_str()), (name, mrr));
    }
}

#[test]
fn wrong_field_count_is_refused_at_the_line_the_row_starts_on() {
    let file = fixture("accounts_field_count.csv");
    let t = Tend::fresh();
    let (out, _) = t.import_text("accounts", &file, &["--dry-run"], 0);
    assert_eq!(
        lines_with(&out, "line 4"),
        ["line 4: the row has 2 fields; the header has 3"],
        "{out}"
    );
    let v = t.import_partial("accounts", &file, &[]);
    assert_eq!(counts(&v), [4, 2, 0, 0, 2, 0]);
    assert_eq!(
        rejects(&v),
        refused(&[
            (4, "", "the row has 2 fields; the header has 3"),
            (5, "", "the row has 4 fields; the header has 3"),
        ])
    );
    let a = t.exported_by_id("accounts");
    assert_eq!(a.keys().collect::<Vec<_>>(), ["F-1", "F-4"]);
    assert_eq!(a["F-1"]["churn_reason"], "left for\na rival");
}

#[test]
fn enormous_cell_is_refused_naming_the_column_and_the_limit() {
    let t = Tend::fresh();
    let over = CELL_LIMIT + 1;
    let text = format!(
        "external_id,name,churn_reason,notes\n\
         H-1,Short,fine,\n\
         H-2,Over,{},\n\
         H-3,Exact,{},\n\
         H-4,Ignored column,,{}\n\
         H-5,After,fine,\n",
        "x".repeat(over),
        "y".repeat(CELL_LIMIT),
        "z".repeat(over),
    );
    let file = t.write("huge.csv", &text);
    let v = t.import_partial("accounts", file.to_str().unwrap(), &[]);
    assert_eq!(counts(&v), [5, 3, 0, 0, 2, 0]);
    let r = rejects(&v);
    assert_eq!(
        (r[0].0, r[0].1.as_str(), r[0].2.as_str()),
        (
            3,
            "churn_reason",
            format!("the cell in column 'churn_reason' is {over} bytes; the limit is {CELL_LIMIT} bytes").as_str()
        )
    );
    assert_eq!(r[1].0, 5);
    assert!(
        r[1].2.contains("'notes'") && r[1].2.contains(&format!("the limit is {CELL_LIMIT} bytes")),
        "{r:?}"
    );
    let a = t.exported_by_id("accounts");
    assert_eq!(a.keys().collect::<Vec<_>>(), ["H-1", "H-3", "H-5"]);
    assert_eq!(
        a["H-3"]["churn_reason"].len(),
        CELL_LIMIT,
        "a cell of exactly the limit is kept whole"
    );
}

// ---- encodings, separators and line ends ----

#[test]
fn utf16_with_a_bom_is_refused_naming_utf16() {
    for name in ["accounts_utf16le_bom.csv", "accounts_utf16be_bom.csv"] {
        let file = fixture(name);
        let t = Tend::fresh();
        let err = t.fails(&["import", "accounts", &file], 1);
        assert_runtime_error(&err, "UTF-16");
        assert!(err.contains(&file), "{err}");
        t.assert_empty();
    }
}

/// UTF-16 without a BOM (what `iconv -t UTF-16LE` writes) is refused naming UTF-16.
#[test]
fn utf16_without_a_bom_is_refused_naming_utf16() {
    let file = fixture("accounts_utf16le_no_bom.csv");
    let t = Tend::fresh();
    let err = t.fails(&["import", "accounts", &file], 1);
    assert_runtime_error(&err, "UTF-16");
    t.assert_empty();
}

#[test]
fn non_utf8_bytes_stop_the_import_naming_their_line() {
    // Windows-1252 "é" on line 3, after a good row.
    let file = fixture("accounts_windows1252.csv");
    let t = Tend::fresh();
    let err = t.fails(&["import", "accounts", &file], 1);
    assert_runtime_error(&err, &format!("line 3 of {file} is not UTF-8 text"));
    assert!(err.contains("Nothing was imported"), "{err}");
    t.assert_empty();

    // Far past the start of the file, after thousands of good rows: none of them is kept.
    let good = 5000;
    let mut bytes = b"external_id,name\n".to_vec();
    for i in 0..good {
        bytes.extend(format!("G-{i},Name {i}\n").as_bytes());
    }
    bytes.extend(b"G-bad,Caf\xe9\nG-after,ok\n");
    let big = t.path("late-latin1.csv");
    std::fs::write(&big, &bytes).unwrap();
    let big = big.to_str().unwrap();
    let err = t.fails(&["import", "accounts", big], 1);
    assert_runtime_error(&err, &format!("line {} of {big} is not UTF-8 text", good + 2));
    assert!(err.contains("Nothing was imported"), "{err}");
    t.assert_empty();
}

#[test]
fn semicolons_bom_crlf_and_quoted_newlines_import_correctly() {
    let file = fixture("accounts_semicolon_bom_crlf.csv");
    let bytes = std::fs::read(&file).unwrap();
    assert!(
        bytes.starts_with(b"\xef\xbb\xbf") && bytes.ends_with(b"\r\n"),
        "the fixture lost its BOM or CRLF"
    );
    let t = Tend::fresh();

    let (out, _) = t.import_text("accounts", &file, &["--dry-run"], 0);
    assert_eq!(out.lines().next(), Some("separator: ;"), "{out}");

    let v = t.import_clean("accounts", &file, &[]);
    assert_eq!(counts(&v), [3, 3, 0, 0, 0, 0], "{v}");
    assert_eq!(v["separator"], ";");
    let pairs = |l: &[(&str, &str)]| -> Vec<(String, String)> {
        l.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    };
    assert_eq!(
        mapping(&v),
        pairs(&[
            ("Customer ID", "external_id"),
            ("Company", "name"),
            ("Churn Reason", "churn_reason"),
            ("Monthly Charges", "mrr"),
            ("Churn", "churned"),
        ]),
        "the BOM is not part of the first column's name"
    );
    // K-2 spans lines 3 and 4, so K-3 is on line 5.
    assert_eq!(preview_lines(&v), [2, 3, 5]);

    let a = t.exported_by_id("accounts");
    assert_eq!(a.keys().collect::<Vec<_>>(), ["K-1", "K-2", "K-3"]);
    let k1 = &a["K-1"];
    assert_eq!(
        (k1["name"].as_str(), k1["mrr"].as_str(), k1["status"].as_str()),
        ("Müller GmbH", "1234.50", "active")
    );
    let k2 = &a["K-2"];
    assert_eq!(
        (k2["name"].as_str(), k2["mrr"].as_str(), k2["status"].as_str()),
        ("Smith; Sons", "99.90", "churned")
    );
    assert_eq!(
        k2["churn_reason"].lines().collect::<Vec<_>>(),
        ["Too expensive", "and slow"]
    );
    assert_eq!(
        (a["K-3"]["mrr"].as_str(), a["K-3"]["status"].as_str()),
        ("12.00", "active")
    );
    assert!(
        a.values().all(|r| r.values().all(|c| !c.ends_with('\r'))),
        "a CR left on a cell: {a:?}"
    );
}

#[test]
fn tab_separated_file_is_detected() {
    let file = fixture("accounts_tab.tsv");
    let t = Tend::fresh();
    let v = t.import_clean("accounts", &file, &[]);
    assert_eq!(v["separator"], "tab");
    assert_eq!(counts(&v), [2, 2, 0, 0, 0, 0]);
    let a = t.exported_by_id("accounts");
    assert_eq!(a["T-2"]["name"], "Tab, Two");
    assert_eq!(a["T-1"]["mrr"], "1.50");
}

#[test]
fn dash_reads_standard_input() {
    let file = fixture("accounts_v1.csv");
    let n = Table::read(&file, b',').len();
    let bytes = std::fs::read(&file).unwrap();

    let piped = Tend::fresh();
    let out = piped.run_stdin(&["import", "accounts", "-"], &bytes);
    expect_code(&["import", "accounts", "-"], &out, 0);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        line_with(&stdout, "accounts from "),
        format!("accounts from standard input: read {n} · imported {n} · updated 0 · unchanged 0 · rejected 0")
    );
    let from_file = Tend::fresh();
    from_file.import_clean("accounts", &file, &[]);
    assert_eq!(piped.export("accounts"), from_file.export("accounts"));

    // A second time through the pipe: the same upsert.
    let out = piped.run_stdin(&["import", "accounts", "-", "--format", "json"], &bytes);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(counts(&v), [n, 0, 0, n, 0, 0]);

    // Standard input gets the same checks as a file.
    let utf16 = std::fs::read(fixture("accounts_utf16le_bom.csv")).unwrap();
    let t = Tend::fresh();
    let out = t.run_stdin(&["import", "accounts", "-"], &utf16);
    expect_code(&["import", "accounts", "-"], &out, 1);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_runtime_error(&err, "UTF-16");
    assert!(err.contains("standard input"), "{err}");
    t.assert_empty();
}

// ---- signals ----

#[test]
fn signals_count_unknown_event_types_and_refuse_unknown_accounts() {
    let file = fixture("signals_events.csv");
    let read = Table::read(&file, b',').len();
    let t = Tend::fresh();
    t.import_clean("accounts", &fixture("signals_accounts.csv"), &[]);

    let (out, err) = t.import_text("signals", &file, &[], 3);
    let expected = [
        (
            5,
            "account_id",
            "no account has the id 'S-9'; import the accounts first",
        ),
        (8, "value", "'11' is not an NPS answer from 0 to 10"),
        (9, "value", "'0' is not a satisfaction score from 1 to 5"),
        (14, "value", "'6' is not a satisfaction score from 1 to 5"),
    ];
    let want: Vec<String> = expected.iter().map(|(l, c, r)| reject_line(*l, c, r)).collect();
    assert_eq!(lines_with(&out, "line "), want, "{out}");
    assert!(
        line_with(&out, "unknown event types")
            .starts_with("unknown event types, not imported: page_view 2, export 1, heartbeat 1"),
        "{out}"
    );
    // 13 rows: 5 stored (login, feature, nps 10, csat 5, nps 0), 4 refused, 4 of unknown types.
    assert_eq!(
        line_with(&out, "signals from "),
        format!("signals from {file}: read {read} · imported 5 · updated 0 · unchanged 0 · rejected 4 · ignored 4")
    );
    assert_eq!(
        err,
        format!("tend: 4 of {read} rows were refused (listed above); the others went in\n")
    );

    let stored: BTreeSet<(String, String, String, String)> = t
        .exported("signals")
        .into_iter()
        .map(|s| {
            (
                s["account"].clone(),
                s["event"].clone(),
                s["at"].clone(),
                s["value"].clone(),
            )
        })
        .collect();
    let want: BTreeSet<_> = [
        ("S-1", "login", "2026-11-01T10:00:00Z", ""),
        ("S-2", "feature", "2026-11-02T09:00:00Z", ""),
        ("S-2", "nps", "2026-11-03T00:00:00Z", "10"),
        ("S-1", "csat", "2026-11-05T00:00:00Z", "5"),
        ("S-1", "nps", "2026-11-06T00:00:00Z", "0"),
    ]
    .into_iter()
    .map(|(a, b, c, d)| (a.into(), b.into(), c.into(), d.into()))
    .collect();
    assert_eq!(stored, want);

    let v = t.import_partial("signals", &file, &[]);
    assert_eq!(counts(&v), [13, 0, 0, 5, 4, 4]);
    assert_eq!(rejects(&v), refused(&expected));
    assert_eq!(
        unknown_events(&v),
        BTreeMap::from([("page_view".into(), 2), ("export".into(), 1), ("heartbeat".into(), 1)])
    );
}

#[test]
fn event_option_names_what_an_unknown_type_means() {
    let file = fixture("signals_events.csv");
    let t = Tend::fresh();
    t.import_clean("accounts", &fixture("signals_accounts.csv"), &[]);
    let v = t.import_partial(
        "signals",
        &file,
        &["--event", "page_view=login", "--event", "heartbeat=ignore"],
    );
    // The two page views are now logins; heartbeat is left out on purpose; export is unknown.
    assert_eq!(counts(&v), [13, 7, 0, 0, 4, 2], "{v}");
    assert_eq!(unknown_events(&v), BTreeMap::from([("export".into(), 1)]));
    let logins: BTreeSet<(String, String)> = t
        .exported("signals")
        .into_iter()
        .filter(|s| s["event"] == "login")
        .map(|s| (s["account"].clone(), s["at"].clone()))
        .collect();
    assert_eq!(
        logins,
        BTreeSet::from([
            ("S-1".into(), "2026-11-01T10:00:00Z".into()),
            ("S-1".into(), "2026-11-01T10:01:00Z".into()),
            ("S-2".into(), "2026-11-03T00:00:00Z".into()),
        ])
    );
}

// ---- tickets without an account column ----

#[test]
fn tickets_without_an_account_column_go_to_the_customers_account() {
    let t = Tend::fresh();
    t.import_clean("accounts", &fixture("tickets_accounts.csv"), &[]);
    t.import_clean("contacts", &fixture("tickets_contacts.csv"), &[]);
    let v = t.import_partial("tickets", &fixture("tickets_by_email.csv"), &[]);
    assert_eq!(counts(&v), [7, 6, 0, 0, 1, 0], "{v}");
    // E-1 spans lines 2 and 3, so E-7 is on line 9.
    assert_eq!(
        rejects(&v),
        refused(&[(9, "Customer Email", "'not-an-email' is not an email address")])
    );
    let tickets = t.exported_by_id("tickets");
    let account = |id: &str| tickets[id]["account"].clone();
    assert_eq!(account("E-1"), "acme.io", "a company domain is one account");
    assert_eq!(account("E-2"), "acme.io");
    assert_eq!(tickets["E-2"]["contact_email"], "bob@acme.io");
    assert_eq!(account("E-3"), "carol@gmail.com", "free mail is an account per person");
    assert_eq!(
        account("E-4"),
        "dan@example.com",
        "a reserved domain is an account per person"
    );
    assert_eq!(account("E-5"), "erin@example.com");
    assert_eq!(account("E-6"), "G-1", "a known contact's account");
    assert_eq!(tickets["E-1"]["body"], "Cannot log in\nsince Monday");
    let accounts: BTreeSet<String> = t.exported_by_id("accounts").into_keys().collect();
    assert_eq!(
        accounts,
        [
            "G-1",
            "acme.io",
            "carol@gmail.com",
            "dan@example.com",
            "erin@example.com"
        ]
        .map(String::from)
        .into()
    );
}

#[test]
fn no_create_accounts_refuses_tickets_of_unknown_customers() {
    let t = Tend::fresh();
    t.import_clean("accounts", &fixture("tickets_accounts.csv"), &[]);
    t.import_clean("contacts", &fixture("tickets_contacts.csv"), &[]);
    let v = t.import_partial("tickets", &fixture("tickets_by_email.csv"), &["--no-create-accounts"]);
    assert_eq!(counts(&v), [7, 1, 0, 0, 6, 0], "{v}");
    let r = rejects(&v);
    assert_eq!(r.iter().map(|x| x.0).collect::<Vec<_>>(), [2, 4, 5, 6, 7, 9]);
    assert!(r.iter().all(|x| x.1 == "Customer Email"), "{r:?}");
    assert_eq!(
        r[0].2,
        "no account has the id 'acme.io' (from ann@acme.io), and --no-create-accounts is set"
    );
    assert!(r[2].2.contains("'carol@gmail.com'"), "{r:?}");
    assert_eq!(t.exported_by_id("accounts").into_keys().collect::<Vec<_>>(), ["G-1"]);
    assert_eq!(t.exported_by_id("tickets").into_keys().collect::<Vec<_>>(), ["E-6"]);
}

/// A closed ticket from a file with no time columns takes the import's clock; importing the same
/// file on a later day keeps the stored times ("unchanged").
#[test]
fn reimporting_tickets_without_times_on_a_later_day_changes_nothing() {
    let file = fixture("tickets_no_times.csv");
    let t = Tend::fresh();
    let first = t.import_clean("tickets", &file, &[]);
    assert_eq!(counts(&first), [2, 2, 0, 0, 0, 0]);
    let before = t.export("tickets");
    let later = t.import_clean_at(LATER, "tickets", &file, &[]);
    assert_eq!(counts(&later), [2, 0, 0, 2, 0, 0], "{later}");
    assert_eq!(t.export("tickets"), before);
}

// ---- errors that stop the whole import ----

#[test]
fn errors_that_stop_the_import_exit_1_and_store_nothing() {
    let t = Tend::fresh();
    let missing = t.path("missing.csv");
    let missing = missing.to_str().unwrap();
    let cases: [(&str, String, &str); 6] = [
        ("accounts", missing.to_string(), missing),
        ("accounts", fixture("accounts_no_id.csv"), "'external_id'"),
        ("contacts", fixture("contacts_no_account.csv"), "'account'"),
        ("signals", fixture("signals_no_time.csv"), "'at'"),
        ("tickets", fixture("empty.csv"), "no header row"),
        ("accounts", fixture("accounts_windows1252.csv"), "is not UTF-8 text"),
    ];
    for (kind, file, says) in &cases {
        let err = t.fails(&["import", kind, file], 1);
        assert_runtime_error(&err, says);
    }
    let err = t.fails(
        &["import", "accounts", &fixture("accounts_v1.csv"), "--map", "Nope=name"],
        1,
    );
    assert_runtime_error(&err, "'Nope'");
    t.assert_empty();
}

#[test]
fn map_and_set_override_the_header_matching() {
    let file = fixture("accounts_v1.csv");
    let t = Tend::fresh();
    let args: &[&str] = &["--map", "owner=-", "--set", "segment=enterprise"];
    let (out, _) = t.import_text("accounts", &file, &[&["--dry-run"], args].concat(), 0);
    let owner = lines_with(&out, "owner");
    assert_eq!(owner.len(), 1, "{out}");
    assert_eq!(owner[0].split_whitespace().collect::<Vec<_>>(), ["owner", "(ignored)"]);
    t.assert_empty();

    let v = t.import_clean("accounts", &file, args);
    assert!(mapping(&v).contains(&("owner".into(), "".into())), "{v}");
    let a = t.exported_by_id("accounts");
    assert!(
        a.values()
            .all(|r| r["segment"] == "enterprise" && r["owner"].is_empty()),
        "{a:?}"
    );
    assert_eq!(a["U-2"]["plan"], "Silver");

    // --map supplies the required field a file's header does not name.
    let t = Tend::fresh();
    let v = t.import_clean(
        "accounts",
        &fixture("accounts_no_id.csv"),
        &["--map", "name=external_id"],
    );
    assert_eq!(counts(&v), [1, 1, 0, 0, 0, 0]);
    assert_eq!(t.exported_by_id("accounts")["Alpha"]["mrr"], "5.00");
}

// ---- export ----

#[test]
fn export_import_export_round_trip_keeps_demo_data() {
    let demo = Tend::demo(NOW);
    let first: Vec<String> = demo.everything();
    let t = Tend::fresh();
    for (kind, text) in KINDS.iter().zip(&first) {
        let rows = records(text).len() as u64;
        assert!(rows > 0, "the demo has no {kind}");
        let file = t.write(&format!("{kind}.csv"), text);
        let v = t.import_clean(kind, file.to_str().unwrap(), &[]);
        assert_eq!(num(&v, "read"), rows, "{kind}: {v}");
        if *kind != "signals" {
            assert_eq!(num(&v, "imported"), rows, "{kind}: {v}");
        }
    }
    let second = t.everything();
    for ((kind, a), b) in KINDS.iter().zip(&first).zip(&second) {
        if *kind == "signals" {
            // A ticket import adds its csat signals first, so the order differs.
            let sorted = |s: &str| {
                let mut v: Vec<String> = s.lines().map(String::from).collect();
                v.sort();
                v
            };
            assert_eq!(sorted(a), sorted(b), "{kind} differ after the round trip");
        } else {
            assert_eq!(a, b, "{kind} differ after the round trip");
        }
    }
    // And importing the exports once more changes nothing.
    for kind in KINDS {
        let v = t.import_clean(kind, t.path(&format!("{kind}.csv")).to_str().unwrap(), &[]);
        let read = num(&v, "read");
        assert_eq!(counts(&v), [read, 0, 0, read, 0, 0], "{kind}: {v}");
    }
}

#[test]
fn json_export_is_an_array_with_one_element_per_row() {
    let t = Tend::demo(NOW);
    // Two investigations, so that export has rows too.
    let answers = t.write(
        "answers.toml",
        "situation = \"adoption-issue\"\n\
         goal = \"Roll the reports out\"\n\
         business_result = \"Weekly reporting\"\n\
         customer_impact = \"high\"\n\
         relationship_impact = \"medium\"\n\
         scalability = \"medium\"\n\
         resource_efficiency = \"high\"\n\
         process_fit = \"needs-improvement\"\n",
    );
    for (target, id) in [("--account", "1"), ("--ticket", "2")] {
        t.ok(&["investigate", "new", target, id, "--answers", answers.to_str().unwrap()]);
    }
    for what in ["accounts", "contacts", "tickets", "signals", "investigations"] {
        let csv_rows = t.exported(what);
        let json = t.json(&["export", what, "--format", "json"]);
        let arr = json
            .as_array()
            .unwrap_or_else(|| panic!("export {what} --format json is not an array"));
        assert_eq!(arr.len(), csv_rows.len(), "{what}");
        assert!(!arr.is_empty(), "{what}");
        for (obj, row) in arr.iter().zip(&csv_rows) {
            let obj = obj.as_object().unwrap();
            let as_text: BTreeMap<String, String> = obj
                .iter()
                .map(|(k, v)| {
                    let s = match v {
                        Value::String(s) => s.clone(),
                        Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    (k.clone(), s)
                })
                .collect();
            assert_eq!(&as_text, row, "{what}: the JSON and CSV exports differ");
        }
    }
    assert_eq!(t.exported("accounts").len(), t.accounts().len());
    let tickets = t.json(&["tickets", "list", "--all", "--format", "json"]);
    assert_eq!(t.exported("tickets").len(), tickets.as_array().unwrap().len());

    // --out writes the same text to a file.
    let path = t.path("accounts-out.csv");
    let out = t.run(&["export", "accounts", "--out", path.to_str().unwrap()]);
    expect_code(&["export", "accounts", "--out"], &out, 0);
    assert!(out.stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), t.export("accounts"));
}

// ---- large files: bulk mode ----
//
// Past 10,000 account rows written, an import into a table not much larger than the file drops
// the account tables' secondary indexes and change-counter triggers inside its transaction and
// puts them back before the commit. What it stores must be what the row-by-row path stores (the
// same rows in files too small for bulk mode), and the schema must come back exactly.

/// Rows past which an accounts import goes bulk (src/store/import.rs), and a file larger.
const BULK_AFTER: usize = 10_000;
const LARGE: usize = BULK_AFTER + 2_000;

/// `n` accounts from number `from`, in a billing export's shape; `round` varies the amounts and
/// churn so a second round updates most rows.
fn large_accounts(from: usize, n: usize, round: usize) -> String {
    let mut s = String::from("customerID,company,segment,plan,mrr,signup_date,renewal_date,churn\n");
    for i in from..from + n {
        let churned = (i + round) % 9 == 0;
        s.push_str(&format!(
            "L-{i:06},Company {i},{},{},{}.{:02},2025-{:02}-{:02},{},{}\n",
            ["enterprise", "smb", "self-serve"][i % 3],
            ["Basic", "Pro", "Enterprise"][(i / 3) % 3],
            (i * 7 + round * 13) % 900,
            i % 100,
            i % 12 + 1,
            i % 28 + 1,
            if i % 4 == 0 { "2027-03-01" } else { "" },
            if churned { "Yes" } else { "No" },
        ));
    }
    s
}

/// The same CSV cut into files of at most `rows` rows, each with the header.
fn in_pieces(csv: &str, rows: usize) -> Vec<String> {
    let (header, body) = csv.split_once('\n').unwrap();
    body.lines()
        .collect::<Vec<_>>()
        .chunks(rows)
        .map(|c| format!("{header}\n{}\n", c.join("\n")))
        .collect()
}

fn db(t: &Tend) -> rusqlite::Connection {
    rusqlite::Connection::open(t.path("tend.db")).unwrap()
}

/// sqlite_master row by row in its own order, root pages included: exactly as it was?
fn schema_rows(t: &Tend) -> Vec<(String, String, String, i64, Option<String>)> {
    let c = db(t);
    let mut q = c
        .prepare("SELECT type, name, tbl_name, rootpage, sql FROM sqlite_master ORDER BY rowid")
        .unwrap();
    q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// The schema's objects and their SQL, whatever their order and pages (indexes rebuilt by a
/// committed bulk import get new pages).
fn schema_objects(t: &Tend) -> BTreeSet<(String, String, String, Option<String>)> {
    schema_rows(t)
        .into_iter()
        .map(|(ty, name, table, _, sql)| (ty, name, table, sql))
        .collect()
}

/// Every row of the tables an accounts import and its rescore write, as text.
fn stored_rows(t: &Tend) -> Vec<String> {
    let c = db(t);
    let mut out = Vec::new();
    for sql in [
        "SELECT * FROM accounts ORDER BY id",
        "SELECT * FROM revenue_events ORDER BY id",
        "SELECT * FROM health_snapshots ORDER BY account_id, day",
        "SELECT * FROM change_counters ORDER BY tbl",
    ] {
        let mut q = c.prepare(sql).unwrap();
        let n = q.column_count();
        let rows: Vec<String> = q
            .query_map([], |r| {
                Ok((0..n)
                    .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                    .collect::<Vec<_>>()
                    .join("|"))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        out.push(format!("{sql}: {} rows", rows.len()));
        out.extend(rows);
    }
    out
}

#[test]
fn a_large_file_stores_what_the_same_rows_in_small_files_store() {
    let whole = Tend::fresh();
    let pieces = Tend::fresh();
    whole.ok(&["db", "check"]);
    pieces.ok(&["db", "check"]);
    let schema = schema_objects(&whole);
    // new accounts; then most of them changed (amounts, churn) and some new; then the same again
    let rounds = [
        (large_accounts(0, LARGE, 0), [LARGE as u64, LARGE as u64, 0, 0, 0, 0]),
        (
            large_accounts(1_000, LARGE, 1),
            [LARGE as u64, 1_000, (LARGE - 1_000) as u64, 0, 0, 0],
        ),
    ];
    for (round, (csv, want)) in rounds.iter().enumerate() {
        let file = whole.write(&format!("round{round}.csv"), csv);
        let v = whole.import_clean("accounts", file.to_str().unwrap(), &[]);
        let [read, imported, updated, unchanged, rejected, ignored] = counts(&v);
        // the updates: every row whose amount or churn moved
        assert_eq!([read, imported, rejected, ignored], [want[0], want[1], 0, 0], "{v}");
        assert_eq!(updated + unchanged, want[2], "{v}");
        assert!(updated > BULK_AFTER as u64 / 2 || round == 0, "{v}");
        let mut sum = [0u64; 6];
        for (i, piece) in in_pieces(csv, BULK_AFTER / 2).iter().enumerate() {
            let file = pieces.write(&format!("round{round}-{i}.csv"), piece);
            let v = pieces.import_clean("accounts", file.to_str().unwrap(), &[]);
            for (s, n) in sum.iter_mut().zip(counts(&v)) {
                *s += n;
            }
        }
        assert_eq!(sum, counts(&v), "round {round}: the pieces add up to the whole");
        assert!(
            stored_rows(&whole) == stored_rows(&pieces),
            "round {round}: one large file and the same rows in small files stored different things"
        );
        assert_eq!(
            schema_objects(&whole),
            schema,
            "round {round}: the schema is back whole"
        );
        whole.assert_integrity();
    }
    // the rebuilt indexes answer queries (sorted by name, through accounts_name)
    let names: Vec<String> = whole
        .accounts()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names.len(), LARGE + 1_000);
    let again = whole.write("again.csv", &rounds[1].0);
    let v = whole.import_clean("accounts", again.to_str().unwrap(), &[]);
    assert_eq!(counts(&v), [LARGE as u64, 0, 0, LARGE as u64, 0, 0]);
}

#[test]
fn a_large_file_rolled_back_leaves_the_schema_exactly_as_it_was() {
    let t = Tend::demo(NOW);
    let schema = schema_rows(&t);
    let before = (stored_rows(&t), t.everything());
    let unchanged = |what: &str| {
        assert!(schema_rows(&t) == schema, "{what}: sqlite_master changed");
        assert!((stored_rows(&t), t.everything()) == before, "{what}: rows were stored");
    };
    let csv = large_accounts(0, LARGE, 0);
    let file = t.write("large.csv", &csv);
    let file = file.to_str().unwrap();

    // a dry run goes through every row (bulk mode included), then rolls back
    let (v, out) = t.import("accounts", file, &["--dry-run"]);
    expect_code(&["import", "--dry-run"], &out, 0);
    assert_eq!(counts(&v), [LARGE as u64, LARGE as u64, 0, 0, 0, 0]);
    assert_eq!(v["written"], false);
    unchanged("--dry-run");

    // --strict with a refused row after bulk mode began
    let bad = t.write("large-bad.csv", &format!("{csv}L-bad,Bad,smb,Pro,abc,2025-01-01,,No\n"));
    let bad = bad.to_str().unwrap();
    let (v, out) = t.import("accounts", bad, &["--strict"]);
    expect_code(&["import", "--strict"], &out, 1);
    assert_eq!(counts(&v), [LARGE as u64 + 1, LARGE as u64, 0, 0, 1, 0]);
    unchanged("--strict");

    // an error that stops the import after bulk mode began: bytes that are not UTF-8
    let mut bytes = csv.into_bytes();
    bytes.extend(b"L-late,Caf\xe9,smb,Pro,1,2025-01-01,,No\n");
    let broken = t.path("large-latin1.csv");
    std::fs::write(&broken, &bytes).unwrap();
    let broken = broken.to_str().unwrap();
    let err = t.fails(&["import", "accounts", broken], 1);
    assert_runtime_error(&err, &format!("line {} of {broken} is not UTF-8 text", LARGE + 2));
    unchanged("an error mid-way");

    // and without --strict the refused row is reported, the others stored, the schema whole
    let objects = schema_objects(&t);
    let v = t.import_partial("accounts", bad, &[]);
    assert_eq!(counts(&v), [LARGE as u64 + 1, LARGE as u64, 0, 0, 1, 0]);
    assert_eq!(schema_objects(&t), objects);
    t.assert_integrity();
}
