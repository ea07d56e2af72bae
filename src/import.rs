//! Reading other people's files: CSV (any of `,` `;` tab, UTF-8 with or without a BOM) into one
//! import transaction, with every refused row kept for the report and the rejects file.

use crate::domain::Timestamp;
use crate::domain::import::{self, EventClass, Field, Kind, Override, Problem, SignalRow, map_headers};
use crate::store::{ImportBatch, Outcome, Store, StoreError};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

/// How to import one CSV file.
#[derive(Debug, Clone)]
pub struct CsvOptions {
    pub kind: Kind,
    pub overrides: Vec<Override>,
    pub constants: Vec<(Field, String)>,
    pub events: Vec<(String, EventClass)>,
    /// Go through every row, then roll back: the counts and preview of a real run, nothing written.
    pub dry_run: bool,
    /// All or nothing: one refused row and nothing is imported.
    pub strict: bool,
    pub create_accounts: bool,
    /// How many rows the preview shows.
    pub preview_rows: usize,
}

impl CsvOptions {
    pub fn new(kind: Kind) -> CsvOptions {
        CsvOptions {
            kind,
            overrides: Vec::new(),
            constants: Vec::new(),
            events: Vec::new(),
            dry_run: false,
            strict: false,
            create_accounts: true,
            preview_rows: 3,
        }
    }
}

/// A row the import refused, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Rejected {
    /// The file's line the row starts on (the header is line 1).
    pub line: u64,
    /// The column at fault, empty when the whole row is.
    pub column: String,
    pub reason: String,
    #[serde(skip)]
    pub cells: Vec<String>,
}

/// What an import did (or, for a dry run, would do). read = imported + updated + unchanged +
/// rejected + ignored.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub kind: String,
    pub read: usize,
    pub imported: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: usize,
    /// Rows left out on purpose: events of a type tend does not know (counted by type below) or
    /// mapped to `ignore`.
    pub ignored: usize,
    pub unknown_events: BTreeMap<String, usize>,
    pub rejects: Vec<Rejected>,
    /// Column → field, in file order ("" for an ignored column).
    pub mapping: Vec<(String, String)>,
    /// The first rows as they would be stored: (line, [(field, value)]).
    pub preview: Vec<(u64, Vec<(String, String)>)>,
    /// The separator found: ",", ";" or "tab".
    pub separator: String,
    pub dry_run: bool,
    /// Whether the import was committed.
    pub written: bool,
    /// Accounts whose health inputs changed.
    #[serde(skip)]
    pub touched: Vec<i64>,
    /// Accounts whose health the import rescored (in its own transaction).
    pub rescored: usize,
    #[serde(skip)]
    pub headers: Vec<String>,
}

impl Summary {
    /// "read 7043 · imported 7040 · updated 0 · unchanged 0 · rejected 3"
    pub fn counts_line(&self) -> String {
        let mut s = format!(
            "read {} · {} {} · updated {} · unchanged {} · rejected {}",
            self.read,
            if self.written { "imported" } else { "would import" },
            self.imported,
            self.updated,
            self.unchanged,
            self.rejected
        );
        if self.ignored > 0 {
            s.push_str(&format!(" · ignored {}", self.ignored));
        }
        s
    }

    /// "unknown event types: page_view 12, export 3" (most frequent first), if any.
    pub fn unknown_line(&self) -> Option<String> {
        if self.unknown_events.is_empty() {
            return None;
        }
        let mut v: Vec<_> = self.unknown_events.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        Some(format!(
            "unknown event types, not imported: {} (map one with --event NAME=login|feature|nps|csat|payment|ignore)",
            v.iter()
                .map(|(k, n)| format!("{} {n}", crate::output::line_max(k, LABEL_MAX)))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }

    /// Write the refused rows as CSV: the file's own columns, then line, column and reason, so the
    /// file can be fixed and imported again (the three extra columns are ignored on import).
    pub fn write_rejects(&self, out: impl Write) -> std::io::Result<()> {
        let mut w = csv::Writer::from_writer(out);
        // a row with more fields than the header keeps them, in extra columns
        let width = self
            .rejects
            .iter()
            .map(|r| r.cells.len())
            .max()
            .unwrap_or(0)
            .max(self.headers.len());
        let mut header = self.headers.clone();
        for i in self.headers.len()..width {
            header.push(format!("tend_extra_{}", i - self.headers.len() + 1));
        }
        header.extend(["tend_line".to_string(), "tend_column".into(), "tend_reason".into()]);
        w.write_record(&header)?;
        for r in &self.rejects {
            let mut row: Vec<String> = r.cells.clone();
            row.resize(width, String::new());
            row.extend([r.line.to_string(), r.column.clone(), r.reason.clone()]);
            w.write_record(&row)?;
        }
        w.flush()
    }
}

/// Why an import stopped before its end; nothing of it was written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot read {what}: {source}")]
    Read { what: String, source: std::io::Error },
}

type Result<T> = std::result::Result<T, ImportError>;

/// Open a file, or standard input for `-`, with its size when known.
pub fn open_input(path: &str) -> Result<(Box<dyn Read + Send>, Option<u64>)> {
    if path == "-" {
        return Ok((Box::new(std::io::stdin()), None));
    }
    let f = std::fs::File::open(path).map_err(|source| ImportError::Read {
        what: path.to_string(),
        source,
    })?;
    let size = f.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
    if f.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(ImportError::Input(format!("{path} is a folder, not a CSV file")));
    }
    Ok((Box::new(f), size))
}

const SAMPLE: usize = 64 * 1024;

/// Read the start of the input: refuse what is not UTF-8 text, drop a BOM, find the separator.
fn sniff(input: &mut dyn Read, name: &str) -> Result<(Vec<u8>, u8)> {
    let mut head = Vec::with_capacity(SAMPLE);
    input
        .take(SAMPLE as u64)
        .read_to_end(&mut head)
        .map_err(|source| ImportError::Read {
            what: name.to_string(),
            source,
        })?;
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Err(ImportError::Input(format!(
            "{name} is UTF-16 text; tend reads CSV as UTF-8 (with or without a BOM). Convert it first, \
             e.g. iconv -f UTF-16 -t UTF-8 FILE > FILE.utf8.csv"
        )));
    }
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        head.drain(..3);
    }
    if head.contains(&0) {
        let alternate = head.iter().skip(1).step_by(2).take(64).all(|b| *b == 0)
            || head.iter().step_by(2).take(64).all(|b| *b == 0);
        return Err(ImportError::Input(if alternate {
            format!(
                "{name} looks like UTF-16 text without a BOM; tend reads CSV as UTF-8 (with or without a BOM). \
                 Convert it first, e.g. iconv -f UTF-16LE -t UTF-8 FILE > FILE.utf8.csv"
            )
        } else {
            format!("{name} is not a text file (it holds NUL bytes); tend imports CSV text in UTF-8")
        }));
    }
    if head.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ImportError::Input(format!("{name} is empty: there is no header row")));
    }
    Ok((head.clone(), separator(&head)))
}

/// The separator of the header line: whichever of `,` `;` tab occurs most outside quotes.
fn separator(head: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in head {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let seps = [b',', b';', b'\t'];
    let best = (0..3).max_by_key(|&i| (counts[i], 3 - i)).unwrap_or(0);
    if counts[best] == 0 { b',' } else { seps[best] }
}

fn separator_name(b: u8) -> &'static str {
    match b {
        b';' => ";",
        b'\t' => "tab",
        _ => ",",
    }
}

/// Progress as (rows read, bytes read).
pub type Progress<'a> = &'a mut dyn FnMut(usize, u64);

/// Import one CSV file: read it row by row inside one transaction, then commit (or roll back
/// for a dry run, or for `--strict` with a refused row).
pub fn import_csv(
    store: &Store,
    input: Box<dyn Read + Send>,
    name: &str,
    opts: &CsvOptions,
    config: &crate::config::Config,
    now: Timestamp,
    progress: Progress,
) -> Result<Summary> {
    let mut input = input;
    let (head, sep) = sniff(&mut input, name)?;
    let reader = std::io::Cursor::new(head).chain(input);
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(sep)
        .flexible(true)
        .has_headers(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(reader);
    let headers: Vec<String> = match csv.headers() {
        Ok(h) => strip_cr(h.iter().map(|s| s.to_string()).collect()),
        Err(e) => return Err(csv_error(e, name, 1)),
    };
    if headers.iter().all(|h| h.trim().is_empty()) {
        return Err(ImportError::Input(format!("{name} has an empty header row")));
    }
    let mapping = map_headers(opts.kind, &headers, &opts.overrides, &opts.constants).map_err(ImportError::Input)?;
    let mut summary = Summary {
        kind: opts.kind.as_str().into(),
        mapping: headers
            .iter()
            .zip(&mapping.columns)
            .map(|(h, f)| (h.clone(), f.map(|f| f.as_str().to_string()).unwrap_or_default()))
            .collect(),
        separator: separator_name(sep).into(),
        dry_run: opts.dry_run,
        headers: headers.clone(),
        ..Default::default()
    };
    let mut batch = store.begin_import(&config.sla, opts.create_accounts, now)?;
    // every row's id (foldhash, not SipHash: the ids are the user's own file, not an attack)
    let mut seen: foldhash::HashMap<String, u64> = foldhash::HashMap::default();
    let mut record = csv::StringRecord::new();
    // the row's cells, their buffers reused from row to row
    let mut cells: Vec<String> = Vec::new();
    loop {
        match csv.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                return Err(csv_error(e, name, line));
            }
        }
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        fill_cells(&mut cells, &record);
        if cells.len() == 1 && cells[0].trim().is_empty() {
            continue;
        }
        summary.read += 1;
        if summary.read % 4096 == 0 {
            progress(summary.read, csv.position().byte());
        }
        let reject = |summary: &mut Summary, column: String, reason: String, cells: Vec<String>| {
            summary.rejected += 1;
            summary.rejects.push(Rejected {
                line,
                column,
                reason,
                cells,
            });
        };
        if cells.len() != headers.len() {
            let plural = |n: usize| if n == 1 { "" } else { "s" };
            let reason = format!(
                "the row has {} field{}; the header has {}",
                cells.len(),
                plural(cells.len()),
                headers.len()
            );
            reject(&mut summary, String::new(), reason, cells.clone());
            continue;
        }
        let row = mapping.row(&cells);
        let id = row.get(Field::ExternalId).map(str::to_string);
        if let Some(id) = &id
            && let Some(first) = seen.get(id)
        {
            let reason = format!("the id '{id}' is also on line {first}; only the first is imported");
            reject(
                &mut summary,
                mapping.column_of(Field::ExternalId),
                reason,
                cells.clone(),
            );
            continue;
        }
        let want_preview = summary.preview.len() < opts.preview_rows;
        match apply_row(&mut batch, &row, opts, now, &mut summary, want_preview) {
            Ok(Applied::Stored(preview)) => {
                if let Some(id) = id {
                    seen.insert(id, line);
                }
                if let Some(preview) = preview {
                    summary.preview.push((line, preview));
                }
            }
            Ok(Applied::LeftOut) => {}
            Err(RowError::Problem(p)) => {
                let column = match (p.field, &p.column) {
                    (_, Some(c)) => c.clone(),
                    (Some(f), None) => mapping.column_of(f),
                    (None, None) => String::new(),
                };
                reject(&mut summary, column, p.reason, cells.clone());
            }
            Err(RowError::Store(StoreError::Rule(reason))) => {
                let column = [Field::Account, Field::ContactEmail]
                    .into_iter()
                    .find(|f| mapping.has(*f))
                    .map(|f| mapping.column_of(f))
                    .unwrap_or_default();
                reject(&mut summary, column, reason, cells.clone());
            }
            Err(RowError::Store(e)) => return Err(e.into()),
        }
    }
    progress(summary.read, csv.position().byte());
    summary.touched = batch.touched.iter().copied().collect();
    summary.touched.sort_unstable();
    if opts.dry_run || (opts.strict && summary.rejected > 0) {
        drop(batch);
        return Ok(summary);
    }
    summary.rescored = batch.commit(
        opts.kind.as_str(),
        &format!("{name}: {}", summary.counts_line()),
        &config.health,
    )?;
    summary.written = true;
    Ok(summary)
}

enum RowError {
    Problem(Problem),
    Store(StoreError),
}

impl From<Problem> for RowError {
    fn from(p: Problem) -> Self {
        RowError::Problem(p)
    }
}

impl From<StoreError> for RowError {
    fn from(e: StoreError) -> Self {
        RowError::Store(e)
    }
}

/// What became of a row that was not refused.
enum Applied {
    /// Stored, with the preview when one was asked for.
    Stored(Option<Vec<(String, String)>>),
    /// Left out on purpose (an ignored or unknown event type).
    LeftOut,
}

/// Convert and store one row (the preview, built only when wanted, is only for the first rows).
fn apply_row(
    batch: &mut ImportBatch,
    row: &import::Row,
    opts: &CsvOptions,
    now: Timestamp,
    summary: &mut Summary,
    want_preview: bool,
) -> std::result::Result<Applied, RowError> {
    let (outcome, preview) = match opts.kind {
        Kind::Accounts => {
            let r = import::account_record(row, now)?;
            (batch.account(&r)?, want_preview.then(|| r.preview()))
        }
        Kind::Contacts => {
            let r = import::contact_record(row)?;
            (batch.contact(&r)?, want_preview.then(|| r.preview()))
        }
        Kind::Tickets => {
            let r = import::ticket_record(row, now)?;
            (batch.ticket(&r)?, want_preview.then(|| r.preview()))
        }
        Kind::Signals => match import::signal_record(row, &opts.events)? {
            SignalRow::Signal(r) => (batch.signal(&r)?, want_preview.then(|| r.preview())),
            SignalRow::Ignored => {
                summary.ignored += 1;
                return Ok(Applied::LeftOut);
            }
            SignalRow::Unknown(name) => {
                summary.ignored += 1;
                *summary.unknown_events.entry(name).or_default() += 1;
                return Ok(Applied::LeftOut);
            }
        },
    };
    match outcome {
        Outcome::Inserted => summary.imported += 1,
        Outcome::Updated => summary.updated += 1,
        Outcome::Unchanged => summary.unchanged += 1,
    }
    Ok(Applied::Stored(preview))
}

/// Copy a record's cells into `cells`, reusing its strings' buffers, without the CR a CRLF file
/// leaves on the last cell.
fn fill_cells(cells: &mut Vec<String>, record: &csv::StringRecord) {
    cells.truncate(record.len());
    for (i, field) in record.iter().enumerate() {
        match cells.get_mut(i) {
            Some(cell) => {
                cell.clear();
                cell.push_str(field);
            }
            None => cells.push(field.to_string()),
        }
    }
    if let Some(last) = cells.last_mut()
        && last.ends_with('\r')
    {
        last.pop();
    }
}

/// A CRLF file read with a LF terminator leaves a CR on each row's last cell.
fn strip_cr(mut cells: Vec<String>) -> Vec<String> {
    if let Some(last) = cells.last_mut()
        && last.ends_with('\r')
    {
        last.pop();
    }
    cells
}

fn csv_error(e: csv::Error, name: &str, line: u64) -> ImportError {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => ImportError::Input(format!(
            "line {line} of {name} is not UTF-8 text; tend reads CSV as UTF-8 (with or without a BOM). \
             Convert it first, e.g. iconv -f WINDOWS-1252 -t UTF-8 FILE > FILE.utf8.csv. Nothing was imported"
        )),
        csv::ErrorKind::Io(io) => ImportError::Input(format!("cannot read {name} at line {line}: {io}")),
        _ => ImportError::Input(format!("{name} is not readable CSV at line {line}: {e}")),
    }
}

/// Check a path for the rejects file can be written before the import starts.
pub fn check_writable(path: &Path) -> Result<()> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map(|_| ())
        .map_err(|source| ImportError::Read {
            what: format!("{} (the rejects file)", path.display()),
            source,
        })
}

/// The dry run's mapping table and the first rows as they would be stored. Columns are
/// measured in display width, so a wide header keeps the fields aligned.
pub fn mapping_text(s: &Summary) -> String {
    use crate::output::{line, line_max};
    let mut out = format!("separator: {}\n", s.separator);
    let heads: Vec<String> = s.mapping.iter().map(|(h, _)| line(h).into_owned()).collect();
    let width = heads
        .iter()
        .map(|h| crate::text::width(h))
        .max()
        .unwrap_or(6)
        .clamp(6, 30);
    out.push_str(&format!("{}  field\n", crate::text::pad("column", width)));
    for (h, (_, f)) in heads.iter().zip(&s.mapping) {
        let f = if f.is_empty() { "(ignored)" } else { f };
        out.push_str(&format!("{}  {f}\n", crate::text::fit(h, width)));
    }
    for (line, fields) in &s.preview {
        out.push_str(&format!("\nline {line} as it would be stored:\n"));
        for (f, v) in fields {
            out.push_str(&format!("  {f:18} {}\n", line_max(v, 58)));
        }
    }
    out.push('\n');
    out
}

/// The longest name (a column, an event type, a message's subject) a report line shows.
pub const LABEL_MAX: usize = 200;
/// The longest reason a report line shows (it may quote a cell of up to 1 MiB); the rejects
/// file has them whole.
pub const REASON_MAX: usize = 1000;

/// What a file is imported as, in the cockpit's import dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum What {
    Csv(Kind),
    Mbox,
    Maildir,
}

impl What {
    pub const ALL: [What; 6] = [
        What::Csv(Kind::Accounts),
        What::Csv(Kind::Contacts),
        What::Csv(Kind::Tickets),
        What::Csv(Kind::Signals),
        What::Mbox,
        What::Maildir,
    ];

    pub fn label(self) -> &'static str {
        match self {
            What::Csv(k) => k.as_str(),
            What::Mbox => "mbox",
            What::Maildir => "maildir",
        }
    }

    /// The next (or previous) choice, round the list.
    pub fn step(self, forward: bool) -> What {
        let i = What::ALL.iter().position(|w| *w == self).unwrap_or(0);
        let n = What::ALL.len();
        What::ALL[if forward { (i + 1) % n } else { (i + n - 1) % n }]
    }

    /// A first guess from the path: a folder is a Maildir, `.mbox` an mbox, and a CSV's name
    /// often says what it holds.
    pub fn guess(path: &Path) -> What {
        if path.is_dir() {
            return What::Maildir;
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        if name.ends_with(".mbox") || name.ends_with(".mbx") {
            What::Mbox
        } else if name.contains("ticket") || name.contains("case") {
            What::Csv(Kind::Tickets)
        } else if name.contains("contact") || name.contains("people") || name.contains("user") {
            What::Csv(Kind::Contacts)
        } else if name.contains("signal") || name.contains("event") || name.contains("usage") {
            What::Csv(Kind::Signals)
        } else {
            What::Csv(Kind::Accounts)
        }
    }
}

/// A typed path with a leading `~/` taken as the home folder.
pub fn resolve_path(typed: &str) -> std::path::PathBuf {
    let typed = typed.trim();
    match (typed.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => std::path::PathBuf::from(home).join(rest),
        _ => std::path::PathBuf::from(typed),
    }
}

/// The refused rows as report lines (at most `max`, then how many more), and the unknown
/// event types.
pub fn reject_lines(s: &Summary, max: usize, more_hint: &str) -> String {
    let mut out = String::new();
    for r in s.rejects.iter().take(max) {
        let col = if r.column.is_empty() {
            String::new()
        } else {
            format!(", column '{}'", crate::output::line_max(&r.column, LABEL_MAX))
        };
        out.push_str(&format!(
            "line {}{col}: {}\n",
            r.line,
            crate::output::line_max(&r.reason, REASON_MAX)
        ));
    }
    if s.rejects.len() > max {
        out.push_str(&format!(
            "... and {} more refused rows{more_hint}\n",
            s.rejects.len() - max
        ));
    }
    if let Some(u) = s.unknown_line() {
        out.push_str(&u);
        out.push('\n');
    }
    out
}

/// The text of a dry run or an import, as the cockpit shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The file, as resolved, and what it was read as.
    pub path: std::path::PathBuf,
    pub what: What,
    /// The mapping and preview (dry run), and the refused rows.
    pub lines: Vec<String>,
    /// The counts, one line.
    pub counts: String,
    pub written: bool,
}

/// Run an import (or its dry run) the way `tend import` does, for the cockpit; rescore the
/// accounts it changed.
pub fn run(
    store: &Store,
    what: What,
    path: &Path,
    dry_run: bool,
    config: &crate::config::Config,
    now: Timestamp,
) -> std::result::Result<Report, String> {
    let name = path.display().to_string();
    let (text, counts, written) = match what {
        What::Csv(kind) => {
            let mut opts = CsvOptions::new(kind);
            opts.dry_run = dry_run;
            let (input, _) = open_input(&name).map_err(|e| e.to_string())?;
            let s = import_csv(store, input, &name, &opts, config, now, &mut |_, _| {}).map_err(|e| e.to_string())?;
            // refused rows first: they are what needs attention
            let mut text = reject_lines(
                &s,
                20,
                &format!(" (tend import {kind} FILE --rejects R.csv lists them all)"),
            );
            if dry_run {
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(&mapping_text(&s));
            }
            (text, format!("{kind}: {}", s.counts_line()), s.written)
        }
        What::Mbox | What::Maildir => {
            let opts = crate::mail::MailOptions {
                support: crate::mail::support_addresses(config, &[]),
                create_accounts: true,
                closed_after_days: 30,
                dry_run,
            };
            let source = if what == What::Mbox {
                crate::mail::Source::Mbox
            } else {
                crate::mail::Source::Maildir
            };
            let s = crate::mail::import_mail(store, source, path, &opts, config, now, &mut |_| {})
                .map_err(|e| e.to_string())?;
            let mut text = String::new();
            for k in s.skipped.iter().take(20) {
                text.push_str(&format!(
                    "skipped {}: {}\n",
                    crate::output::line_max(&k.message, LABEL_MAX),
                    crate::output::line_max(&k.reason, REASON_MAX)
                ));
            }
            (text, format!("{}: {}", what.label(), s.counts_line()), s.written)
        }
    };
    Ok(Report {
        path: path.to_path_buf(),
        what,
        lines: text.lines().map(str::to_string).collect(),
        counts,
        written,
    })
}
