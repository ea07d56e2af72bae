//! `tend import` and `tend export`.

use crate::cli::Context;
use crate::domain::import::{self, EventClass, Field, Kind, Override};
use crate::import::{CsvOptions, Summary, import_csv, open_input};
use anyhow::{Context as _, Result, bail};
use clap::{Args, Subcommand};
use std::io::IsTerminal;
use std::path::PathBuf;

/// Rows were refused, the rest imported: exit status 3, so scripts can tell.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PartialImport(pub String);

#[derive(Debug, Subcommand)]
pub enum ImportCmd {
    /// Accounts from a CSV export of billing or a CRM (upserted by their id)
    Accounts(CsvArgs),
    /// Contacts, each with the id of its account
    Contacts(CsvArgs),
    /// Tickets from another helpdesk's CSV export
    Tickets(CsvArgs),
    /// Product-analytics and billing events: one row per event
    Signals(CsvArgs),
    /// Support email from an mbox file: one ticket per conversation
    Mbox(MailArgs),
    /// Support email from a Maildir folder (its cur and new): one ticket per conversation
    Maildir(MailArgs),
}

#[derive(Debug, Args)]
pub struct CsvArgs {
    /// The CSV file, or - for standard input
    pub file: String,
    /// Take a column as a field (or '-' to ignore it): --map "Company Code=external_id"
    #[arg(long = "map", value_name = "COLUMN=FIELD")]
    pub maps: Vec<String>,
    /// Give every row this value for a field the file lacks: --set segment=self-serve
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    pub sets: Vec<String>,
    /// Signals: what an event type means: --event page_view=login (login, feature, nps, csat,
    /// payment, payment-late, payment-failed, ignore)
    #[arg(long = "event", value_name = "TYPE=KIND")]
    pub events: Vec<String>,
    /// Show the mapping and the first rows as they would be stored; write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// All or nothing: if any row is refused, import none
    #[arg(long)]
    pub strict: bool,
    /// Write the refused rows to this CSV file, with the reason, to fix and import again
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
    /// Tickets: refuse a ticket whose customer has no account, instead of creating one
    #[arg(long)]
    pub no_create_accounts: bool,
    /// text or json
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
}

#[derive(Debug, Args)]
pub struct MailArgs {
    /// The mbox file or Maildir folder
    pub path: PathBuf,
    /// An address (or @domain) that is us: its messages are our replies. Repeatable; the
    /// [import] support_addresses and [responses] from settings count too.
    #[arg(long = "support", value_name = "ADDRESS")]
    pub support: Vec<String>,
    /// Refuse mail from a domain with no account, instead of creating one
    #[arg(long)]
    pub no_create_accounts: bool,
    /// A conversation quiet for this many days is imported as closed
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(i64).range(1..=36500))]
    pub closed_after: i64,
    /// Go through the mail and report; write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// text or json
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
}

fn split_pair<'a>(s: &'a str, flag: &str, form: &str) -> Result<(&'a str, &'a str)> {
    s.rsplit_once('=')
        .filter(|(a, _)| !a.trim().is_empty())
        .ok_or_else(|| anyhow::anyhow!("{flag} '{s}' is not of the form {form}"))
}

/// The options a CSV import takes from its flags.
pub fn csv_options(kind: Kind, a: &CsvArgs) -> Result<CsvOptions> {
    let mut opts = CsvOptions::new(kind);
    for m in &a.maps {
        let (column, field) = split_pair(m, "--map", "COLUMN=FIELD")?;
        let field = match field.trim() {
            "-" | "" => None,
            f => Some(Field::parse(kind, f).map_err(anyhow::Error::msg)?),
        };
        opts.overrides.push((column.to_string(), field) as Override);
    }
    for s in &a.sets {
        let (field, value) = s
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--set '{s}' is not of the form FIELD=VALUE"))?;
        let field = Field::parse(kind, field).map_err(anyhow::Error::msg)?;
        opts.constants.push((field, value.to_string()));
    }
    if !a.events.is_empty() && kind != Kind::Signals {
        bail!("--event applies to signals only");
    }
    for e in &a.events {
        let (name, class) = split_pair(e, "--event", "TYPE=KIND")?;
        let class: EventClass = import::parse_event_class(class).map_err(anyhow::Error::msg)?;
        opts.events.push((name.to_string(), class));
    }
    opts.dry_run = a.dry_run;
    opts.strict = a.strict;
    opts.create_accounts = !a.no_create_accounts;
    Ok(opts)
}

pub fn import(ctx: &Context, cmd: &ImportCmd) -> Result<()> {
    let (kind, a) = match cmd {
        ImportCmd::Accounts(a) => (Kind::Accounts, a),
        ImportCmd::Contacts(a) => (Kind::Contacts, a),
        ImportCmd::Tickets(a) => (Kind::Tickets, a),
        ImportCmd::Signals(a) => (Kind::Signals, a),
        ImportCmd::Mbox(m) => return crate::mail::import_cmd(ctx, m, crate::mail::Source::Mbox),
        ImportCmd::Maildir(m) => return crate::mail::import_cmd(ctx, m, crate::mail::Source::Maildir),
    };
    let opts = csv_options(kind, a)?;
    if let Some(p) = &a.rejects {
        crate::import::check_writable(p)?;
    }
    let (input, size) = open_input(&a.file)?;
    let bar = progress_bar(size, "rows");
    let mut tick = |rows: usize, bytes: u64| {
        if size.is_some() {
            bar.set_position(bytes);
        } else {
            bar.set_position(rows as u64);
        }
    };
    let name = if a.file == "-" {
        "standard input".to_string()
    } else {
        a.file.clone()
    };
    let summary = import_csv(&ctx.store, input, &name, &opts, &ctx.config, ctx.now, &mut tick);
    bar.finish_and_clear();
    let summary = summary?;
    if let Some(p) = &a.rejects {
        let f = std::fs::File::create(p).with_context(|| format!("cannot write the rejects file {}", p.display()))?;
        summary
            .write_rejects(std::io::BufWriter::new(f))
            .with_context(|| format!("cannot write the rejects file {}", p.display()))?;
    }
    let rescored = summary.rescored;
    report(&summary, &name, a.format == "json", a.rejects.is_some(), rescored)?;
    finish(&summary, opts.strict)
}

/// The exit: 0 when every row went in, 3 when rows were refused, 1 (an error) for --strict.
pub fn finish(summary: &Summary, strict: bool) -> Result<()> {
    if summary.rejected == 0 {
        return Ok(());
    }
    if strict {
        bail!(
            "{} of {} rows were refused, so nothing was imported (--strict)",
            summary.rejected,
            summary.read
        );
    }
    if summary.dry_run {
        return Ok(());
    }
    if summary.imported + summary.updated + summary.unchanged + summary.ignored == 0 {
        bail!("all {} rows were refused, so nothing was imported", summary.read);
    }
    Err(PartialImport(format!(
        "{} of {} rows were refused (listed above); the others went in",
        summary.rejected, summary.read
    ))
    .into())
}

/// A progress bar on standard error when it is a terminal: bytes of a file, or rows of a pipe.
pub fn progress_bar(size: Option<u64>, unit: &str) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    match size {
        Some(n) => {
            let bar = indicatif::ProgressBar::new(n);
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
            {
                bar.set_style(style);
            }
            bar
        }
        None => {
            let bar = indicatif::ProgressBar::new_spinner();
            if let Ok(style) = indicatif::ProgressStyle::with_template(&format!("{{spinner}} {{pos}} {unit}")) {
                bar.set_style(style);
            }
            bar
        }
    }
}

fn report(s: &Summary, name: &str, json: bool, rejects_written: bool, rescored: usize) -> Result<()> {
    use crate::output::emit;
    if json {
        emit(&format!("{}\n", crate::output::json(s)))?;
        return Ok(());
    }
    let mut out = String::new();
    if s.dry_run {
        out.push_str(&crate::import::mapping_text(s));
    }
    let hint = if rejects_written {
        " (all are in the rejects file)"
    } else {
        "; --rejects FILE writes every one"
    };
    out.push_str(&crate::import::reject_lines(s, 50, hint));
    out.push_str(&format!(
        "{} from {}: {}\n",
        s.kind,
        crate::output::line(name),
        s.counts_line()
    ));
    if s.dry_run {
        out.push_str("dry run: nothing was written\n");
    } else if s.written && rescored > 0 {
        out.push_str(&format!(
            "health rescored for {rescored} account{}\n",
            if rescored == 1 { "" } else { "s" }
        ));
    }
    emit(&out)?;
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportKind {
    Accounts,
    Contacts,
    Tickets,
    Signals,
    Investigations,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// What to export
    #[arg(value_enum)]
    pub what: ExportKind,
    /// csv or json
    #[arg(long, default_value = "csv", value_parser = ["csv", "json"])]
    pub format: String,
    /// Write to this file instead of standard output
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Rows out as CSV (with a header row) or as one JSON array, streamed.
struct Sink<W: std::io::Write> {
    csv: Option<csv::Writer<W>>,
    json: Option<W>,
    n: usize,
}

impl<W: std::io::Write> Sink<W> {
    fn new(out: W, json: bool) -> std::io::Result<Sink<W>> {
        if json {
            let mut out = out;
            out.write_all(b"[")?;
            Ok(Sink {
                csv: None,
                json: Some(out),
                n: 0,
            })
        } else {
            Ok(Sink {
                csv: Some(csv::Writer::from_writer(out)),
                json: None,
                n: 0,
            })
        }
    }

    fn put<T: serde::Serialize>(&mut self, item: T) -> std::io::Result<()> {
        if let Some(w) = &mut self.csv {
            w.serialize(item).map_err(csv_io)?;
        } else if let Some(w) = &mut self.json {
            w.write_all(if self.n == 0 { b"\n" } else { b",\n" })?;
            // escapes for what a terminal could act on: the same strings once decoded
            let json = serde_json::to_string(&item).map_err(std::io::Error::other)?;
            w.write_all(crate::output::escape_json(&json).as_bytes())?;
        }
        self.n += 1;
        Ok(())
    }

    /// A CSV export with no rows still gets its header row.
    fn finish<T: serde::Serialize + Default>(mut self) -> std::io::Result<()> {
        if let Some(mut w) = self.csv.take() {
            if self.n == 0 {
                let header = csv_header::<T>()?;
                w.write_record(&header)?;
            }
            w.flush()?;
        }
        if let Some(mut w) = self.json.take() {
            w.write_all(if self.n == 0 { b"]\n" } else { b"\n]\n" })?;
            w.flush()?;
        }
        Ok(())
    }
}

/// A CSV error as an I/O error of the same kind: a reader that went away (`| head`) stays a
/// broken pipe, which is not an error.
fn csv_io(e: csv::Error) -> std::io::Error {
    match e.kind() {
        csv::ErrorKind::Io(io) => std::io::Error::new(io.kind(), io.to_string()),
        _ => std::io::Error::other(e),
    }
}

/// The header row of a record type: the first line a CSV writer gives for its default value.
fn csv_header<T: serde::Serialize + Default>() -> std::io::Result<Vec<String>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.serialize(T::default()).map_err(std::io::Error::other)?;
    let bytes = w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))?;
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes.as_slice());
    let mut rec = csv::StringRecord::new();
    r.read_record(&mut rec).map_err(std::io::Error::other)?;
    Ok(rec.iter().map(str::to_string).collect())
}

/// Every row, exactly as stored, to a file or a pipe. To a terminal (and without `--raw`) the
/// text is cleaned as every other output is, and a note says so: what the terminal would act
/// on is left out there, never in a file.
pub fn export(ctx: &Context, a: &ExportArgs) -> Result<()> {
    let mut cleaned = None;
    let out: Box<dyn std::io::Write> = match &a.out {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot write {}", p.display()))?,
        )),
        None if std::io::stdout().is_terminal() && !crate::output::raw() => {
            let w = crate::output::SafeWriter::new(std::io::BufWriter::new(std::io::stdout().lock()));
            cleaned = Some(w.changes());
            Box::new(w)
        }
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let mut sink = Sink::new(out, a.format == "json")?;
    let s = &ctx.store;
    let n = match a.what {
        ExportKind::Accounts => {
            let n = s.export_accounts(|r| sink.put(r))?;
            sink.finish::<crate::store::AccountExport>()?;
            n
        }
        ExportKind::Contacts => {
            let n = s.export_contacts(|r| sink.put(r))?;
            sink.finish::<crate::store::ContactExport>()?;
            n
        }
        ExportKind::Tickets => {
            let n = s.export_tickets(|r| sink.put(r))?;
            sink.finish::<crate::store::TicketExport>()?;
            n
        }
        ExportKind::Signals => {
            let n = s.export_signals(|r| sink.put(r))?;
            sink.finish::<crate::store::SignalExport>()?;
            n
        }
        ExportKind::Investigations => {
            let n = s.export_investigations(|r| sink.put(r))?;
            sink.finish::<crate::store::InvestigationExport>()?;
            n
        }
    };
    if let Some(p) = &a.out {
        crate::output::note(&format!("{n} rows written to {}", p.display()));
    }
    if cleaned.is_some_and(|c| c.get()) {
        crate::output::note(
            "tend: escape sequences and invisible characters were left out on the terminal; \
             --out FILE, a pipe or --raw gives the exact text",
        );
    }
    Ok(())
}
