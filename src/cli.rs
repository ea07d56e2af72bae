//! The command line: clap definitions and the non-interactive commands.

use crate::config::{self, Config};
use crate::demo::DemoOptions;
use crate::domain::health::{self, HealthRules};
use crate::domain::sla::{self, Clock};
use crate::domain::{AccountStatus, Channel, Priority, Segment, Stage, Step, Tier, Timestamp, churn, format_time};
use crate::output::{self, Format, Table};
use crate::store::{Account, AccountFilter, AccountSort, NewTicket, Store, Ticket, TicketFilter};
use anyhow::{Context as _, Result, bail};
use clap::{Args, Parser, Subcommand};
use std::io::{IsTerminal, Read};

/// println! and print! that return a closed pipe as an error instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => { crate::output::emit(&format!("{}\n", format!($($arg)*)))? };
}
macro_rules! out {
    ($($arg:tt)*) => { crate::output::emit(&format!($($arg)*))? };
}
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "tend",
    version,
    about = "A keyboard-driven customer-success cockpit in the terminal"
)]
pub struct Cli {
    /// The database file [default: tend.db in the platform data directory]
    #[arg(long, global = true, env = "TEND_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// Who is acting, recorded with every change [default: $USER]
    #[arg(long = "as", global = true, value_name = "NAME")]
    pub actor: Option<String>,

    /// Print text from outside (names, subjects, bodies, imported fields) exactly as stored,
    /// escape sequences and control characters included. Without it, what a terminal could act
    /// on is removed or shown as U+FFFD, and long list cells are cut. For piping into other
    /// tools; `tend export` to a file or a pipe is always exact. Not for the cockpit or
    /// `tend screen`, which draw cleaned text
    #[arg(long, global = true)]
    pub raw: bool,

    /// Freeze the clock at this moment (for reproducible output)
    #[arg(long, global = true, env = "TEND_NOW", value_name = "TIME", hide = true, value_parser = parse_time)]
    pub now: Option<Timestamp>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fill an empty database with realistic sample data
    Demo(DemoArgs),
    /// List and show accounts
    #[command(subcommand)]
    Accounts(AccountsCmd),
    /// List, show, create and move tickets along the SOP
    #[command(subcommand)]
    Tickets(TicketsCmd),
    /// Recompute health scores and show their history
    #[command(subcommand)]
    Health(HealthCmd),
    /// Check, back up and locate the database
    #[command(subcommand)]
    Db(DbCmd),
    /// Tasks from alerts, sequences and investigations: list, done, snooze, dismiss
    #[command(subcommand)]
    Tasks(crate::cli_tasks::TasksCmd),
    /// Playbooks: the step lists alerts start (list, show, start one for an account)
    #[command(subcommand)]
    Playbooks(crate::cli_tasks::PlaybooksCmd),
    /// Response templates: list, show, render for a ticket or an account
    #[command(subcommand)]
    Templates(crate::cli_responses::TemplatesCmd),
    /// Onboarding and win-back sequences: enrol, unenrol, list
    #[command(subcommand)]
    Sequences(crate::cli_responses::SequencesCmd),
    /// Intent-First investigations: save one from an answers file
    #[command(subcommand)]
    Investigate(crate::cli_investigate::InvestigateCmd),
    /// List investigations
    #[command(subcommand)]
    Investigations(crate::cli_investigate::InvestigationsCmd),
    /// Who changed what: the audit log, newest first
    Audit {
        /// Only entries at or after this: 2026-11-20, 2026-11-20T09:00, or 7d / 12h / 30m ago
        #[arg(long)]
        since: Option<String>,
        /// Only this actor's entries (the name given with --as, or the login name)
        #[arg(long = "actor", id = "audit_actor")]
        by: Option<String>,
        /// At most this many entries (0: all)
        #[arg(long, default_value_t = 100)]
        limit: usize,
        #[command(flatten)]
        format: FormatArg,
    },
    /// The day's review as a digest (for cron mail): breaches, drops, tasks due
    Today {
        /// text or md
        #[arg(long, default_value = "text", value_parser = ["text", "md"])]
        format: String,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Markdown reports: the CS plan, a QBR, an investigation, the CS debt log, outcomes
    #[command(subcommand)]
    Report(crate::cli_investigate::ReportCmd),
    /// Bring in accounts, contacts, tickets and signals from CSV, and support mail from mbox or Maildir
    #[command(subcommand)]
    Import(crate::cli_import::ImportCmd),
    /// Write accounts, contacts, tickets, signals or investigations as CSV or JSON, with the text
    /// exactly as stored (on a terminal, without --raw, cleaned for display)
    Export(crate::cli_import::ExportArgs),
    /// Print a cockpit view as plain text, rendered by the cockpit's own code
    Screen {
        /// today, accounts, tickets, investigations or metrics
        #[arg(value_parser = parse_view)]
        view: crate::app::View,
        #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u16).range(1..=1000))]
        width: u16,
        #[arg(long, default_value_t = 40, value_parser = clap::value_parser!(u16).range(1..=1000))]
        height: u16,
        /// Select this account or ticket and show its detail
        #[arg(long)]
        select: Option<i64>,
    },
}

fn parse_view(s: &str) -> Result<crate::app::View, String> {
    crate::app::View::parse(s)
        .ok_or_else(|| format!("'{s}' is not a view; valid values: today, accounts, tickets, investigations, metrics"))
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Number of accounts
    #[arg(long, default_value_t = 60)]
    pub accounts: usize,
    /// Number of tickets
    #[arg(long, default_value_t = 300)]
    pub tickets: usize,
    /// Days of signal history
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(i64).range(1..=3650))]
    pub days: i64,
    /// Aim for about this many signals in all [default: each account's natural activity]
    #[arg(long)]
    pub signals: Option<usize>,
    /// Days of past health snapshots to compute, for trends
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(i64).range(0..=365))]
    pub history: i64,
    /// Random seed: the same seed gives the same data
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Leave the alerts the sample's state calls for to the first `tend health recompute`
    #[arg(long)]
    pub no_alerts: bool,
}

#[derive(Debug, Args)]
pub struct FormatArg {
    /// Output format: table, json or csv
    #[arg(long, default_value = "table", value_parser = parse_format)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct ShowFormatArg {
    /// Output format: table or json
    #[arg(long, default_value = "table", value_parser = parse_show_format)]
    pub format: Format,
}

fn parse_show_format(s: &str) -> Result<Format, String> {
    match s.parse::<Format>()? {
        Format::Csv => Err("'csv' is not available for one item; valid values: table, json".into()),
        f => Ok(f),
    }
}

#[derive(Debug, Subcommand)]
pub enum AccountsCmd {
    /// List accounts, worst health first by default
    List {
        #[arg(long, value_parser = parse_word::<Tier>)]
        tier: Option<Tier>,
        #[arg(long, value_parser = parse_word::<Stage>)]
        stage: Option<Stage>,
        #[arg(long, value_parser = parse_word::<Segment>)]
        segment: Option<Segment>,
        /// active or churned
        #[arg(long, value_parser = parse_word::<AccountStatus>)]
        status: Option<AccountStatus>,
        /// health, mrr, name or renewal
        #[arg(long, default_value = "health", value_parser = parse_sort)]
        sort: AccountSort,
        #[arg(long)]
        limit: Option<usize>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Show one account: health and the signals behind it, contacts, tickets
    Show {
        id: i64,
        #[command(flatten)]
        format: ShowFormatArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum TicketsCmd {
    /// The queue: open tickets, breached first, then by time left
    List {
        #[arg(long, value_parser = parse_word::<Step>)]
        step: Option<Step>,
        /// Only tickets past an SLA clock
        #[arg(long)]
        breached: bool,
        /// Only tickets waiting on the customer
        #[arg(long)]
        waiting: bool,
        /// Only snoozed tickets
        #[arg(long)]
        snoozed: bool,
        /// Include closed and snoozed tickets
        #[arg(long)]
        all: bool,
        #[arg(long)]
        account: Option<i64>,
        /// An assignee's name, or `mine`
        #[arg(long)]
        assignee: Option<String>,
        #[arg(long)]
        limit: Option<usize>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Show one ticket: clocks, the current checklist, the timeline
    Show {
        id: i64,
        #[command(flatten)]
        format: ShowFormatArg,
    },
    /// Open a ticket; the body is read from stdin
    New {
        #[arg(long)]
        account: i64,
        #[arg(long)]
        subject: String,
        /// chat, email, call or self-serve
        #[arg(long, value_parser = parse_word::<Channel>)]
        channel: Channel,
        /// low, normal, high or urgent
        #[arg(long, default_value = "normal", value_parser = parse_word::<Priority>)]
        priority: Priority,
        #[arg(long)]
        contact: Option<i64>,
        #[arg(long)]
        assignee: Option<String>,
        /// A tag; repeat for more
        #[arg(long = "tag")]
        tags: Vec<String>,
    },
    /// Tick checklist items (numbered from 1) of the current step
    Check {
        id: i64,
        #[arg(required = true)]
        items: Vec<usize>,
        /// Untick instead
        #[arg(long)]
        undo: bool,
    },
    /// Move forward one SOP step (the checklist must be done, or give --reason)
    Advance {
        id: i64,
        /// Why the checklist is overridden
        #[arg(long)]
        reason: Option<String>,
    },
    /// Move back one SOP step, with a reason
    Back {
        id: i64,
        #[arg(long)]
        reason: String,
    },
    /// Escalate from tier 1 to tier 2
    Escalate {
        id: i64,
        #[arg(long)]
        reason: String,
    },
    /// Add a note to the timeline
    Note { id: i64, text: String },
    /// Reply: the text from stdin, or the template for the ticket's step filled; delivered and
    /// recorded on the timeline (the first reply sets the first-response time)
    Reply {
        id: i64,
        /// The template to fill when nothing is piped [default: the one for the ticket's step]
        #[arg(long)]
        template: Option<String>,
        /// send (pipe to [responses] send_command), file (--out or the outbox), or record only
        #[arg(long, value_enum, default_value = "record")]
        deliver: crate::cli_responses::DeliverArg,
        /// The file to write with --deliver file
        #[arg(long)]
        out: Option<PathBuf>,
        /// Deliver even with placeholders left unfilled
        #[arg(long)]
        allow_unfilled: bool,
    },
    /// Wait on the customer: the resolution clock pauses
    Wait { id: i64 },
    /// Snooze until a time or until the customer replies
    #[command(group(clap::ArgGroup::new("when").required(true).args(["until", "until_reply"])))]
    Snooze {
        id: i64,
        /// e.g. 2026-11-23T09:00, 2026-11-23, or +4h / +2d
        #[arg(long, value_parser = check_time)]
        until: Option<String>,
        /// Until the customer replies
        #[arg(long)]
        until_reply: bool,
    },
    /// End a wait or a snooze
    Resume { id: i64 },
    /// Record a message from the customer (stdin); it ends a wait and a snooze
    CustomerReply { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum HealthCmd {
    /// Recompute every active account's health from its signals, and today's snapshot
    Recompute {
        /// Only the accounts with signals added since the last recompute (and alerts for them
        /// only); a full recompute also catches what time and tickets changed
        #[arg(long)]
        changed: bool,
        #[command(flatten)]
        format: FormatArg,
    },
    /// The daily snapshots of one account
    History {
        id: i64,
        #[command(flatten)]
        format: FormatArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum DbCmd {
    /// Integrity check and schema version
    Check {
        #[command(flatten)]
        format: FormatArg,
    },
    /// A consistent copy, safe while others write (checked once written)
    Backup { path: PathBuf },
    /// Replace the database's contents with a backup's, keeping the current ones beside it
    Restore {
        /// A backup made by `tend db backup` (or any tend database)
        file: PathBuf,
    },
    /// Let a group read and write the database (0660), for assistants working as their own users
    Share {
        /// The group, e.g. `support`; its members open the database with `tend --db PATH`
        #[arg(long)]
        group: String,
    },
    /// Print the database path in use
    Path,
}

fn parse_word<T: std::str::FromStr<Err = crate::domain::UnknownWord>>(s: &str) -> Result<T, String> {
    s.parse::<T>().map_err(|e| e.to_string())
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

fn parse_sort(s: &str) -> Result<AccountSort, String> {
    s.parse::<AccountSort>().map_err(|e| e.to_string())
}

/// A moment: RFC 3339, `YYYY-MM-DD HH:MM[:SS]` or `YYYY-MM-DDTHH:MM` (UTC), `YYYY-MM-DD` (09:00 UTC),
/// or relative to now as `+30m`, `+4h`, `+2d`.
pub fn parse_time(s: &str) -> Result<Timestamp, String> {
    parse_time_at(s, chrono::Utc::now().timestamp())
}

/// Check a time's form while parsing arguments; it is resolved against the command's clock later.
fn check_time(s: &str) -> Result<String, String> {
    parse_time_at(s, 0).map(|_| s.to_string())
}

/// The latest moment tend accepts: the end of year 9999.
const LATEST: Timestamp = 253_402_300_799;

/// A moment in the past for `--since`: a date or time as `parse_time_at` takes them, or an
/// age: 7d, 12h, 30m (ago).
pub fn parse_since(s: &str, now: Timestamp) -> Result<Timestamp> {
    let t = s.trim();
    let bad = || anyhow::anyhow!("'{t}' is not a time; use 2026-11-20, 2026-11-20T09:00, or an age like 7d, 12h, 30m");
    // an age: 7d, 12h, 30m (a leading '-' is allowed: -7d)
    let age = t.trim_start_matches('-');
    if let Some(unit) = age.chars().last().filter(|c| matches!(c, 'd' | 'h' | 'm'))
        && let Ok(n) = age[..age.len() - 1].parse::<i64>()
    {
        let secs = match unit {
            'd' => 86_400,
            'h' => 3_600,
            _ => 60,
        };
        return n
            .checked_mul(secs)
            .and_then(|a| now.checked_sub(a))
            .filter(|t| *t >= 0)
            .ok_or_else(|| anyhow::anyhow!("'{t}' is too long ago; give an age since 1970"));
    }
    // a day: from its first second (not 09:00, as a time to act on is)
    if let Ok(d) = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp()).ok_or_else(bad);
    }
    parse_time_at(t, now).map_err(|_| bad())
}

pub fn parse_time_at(s: &str, now: Timestamp) -> Result<Timestamp, String> {
    let s = s.trim();
    let bad = || format!("'{s}' is not a time; use 2026-11-23T09:00, 2026-11-23, or +4h / +2d / +30m");
    if let Some(rel) = s.strip_prefix('+') {
        // split before the last character, not the last byte: the unit may be any character
        let cut = rel.char_indices().last().map(|(i, _)| i).unwrap_or(0);
        let (n, unit) = rel.split_at(cut);
        let n: i64 = n.parse().map_err(|_| bad())?;
        let secs = match unit {
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(bad()),
        };
        return n
            .checked_mul(secs)
            .and_then(|d| now.checked_add(d))
            .filter(|t| (0..=LATEST).contains(t))
            .ok_or_else(|| format!("'{s}' is too far away; give a time before the year 10000"));
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp()).filter(|t| (0..=LATEST).contains(t)).ok_or_else(bad);
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, f) {
            return Ok(t.and_utc().timestamp());
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d.and_hms_opt(9, 0, 0).map(|t| t.and_utc().timestamp()).ok_or_else(bad);
    }
    Err(bad())
}

/// Everything a command needs: the store, the rules, the clock.
pub struct Context {
    pub store: Store,
    pub config: Config,
    pub now: Timestamp,
}

pub fn actor_name(cli: &Cli) -> String {
    cli.actor
        .clone()
        .filter(|a| !a.trim().is_empty())
        .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "unknown".to_string())
}

pub fn db_path(cli: &Cli) -> PathBuf {
    cli.db.clone().unwrap_or_else(config::default_db_path)
}

pub fn open(cli: &Cli) -> Result<Context> {
    let config = Config::load()?;
    let store = Store::open(&db_path(cli), &actor_name(cli))?;
    let now = cli.now.unwrap_or_else(|| chrono::Utc::now().timestamp());
    Ok(Context { store, config, now })
}

/// Whether a command changes the database (a read-only one refuses it before it starts).
fn changes_data(command: &Command) -> bool {
    use crate::cli_import::ImportCmd;
    use crate::cli_responses::SequencesCmd;
    use crate::cli_tasks::{PlaybooksCmd, TasksCmd};
    match command {
        Command::Demo(_) | Command::Investigate(_) => true,
        Command::Tickets(c) => !matches!(c, TicketsCmd::List { .. } | TicketsCmd::Show { .. }),
        Command::Health(c) => matches!(c, HealthCmd::Recompute { .. }),
        Command::Db(c) => matches!(c, DbCmd::Restore { .. }),
        Command::Tasks(c) => !matches!(c, TasksCmd::List { .. }),
        Command::Playbooks(c) => matches!(c, PlaybooksCmd::Start { .. }),
        Command::Sequences(c) => matches!(c, SequencesCmd::Enroll { .. } | SequencesCmd::Unenroll { .. }),
        Command::Import(c) => match c {
            ImportCmd::Accounts(a) | ImportCmd::Contacts(a) | ImportCmd::Tickets(a) | ImportCmd::Signals(a) => {
                !a.dry_run
            }
            ImportCmd::Mbox(a) | ImportCmd::Maildir(a) => !a.dry_run,
        },
        _ => false,
    }
}

/// A write that SQLite refused because the database is open read-only, said with the reason.
fn explain_read_only(store: &Store, e: anyhow::Error) -> anyhow::Error {
    let refused = e.chain().any(|c| {
        c.downcast_ref::<rusqlite::Error>()
            .is_some_and(|s| s.sqlite_error_code() == Some(rusqlite::ErrorCode::ReadOnly))
    });
    match (store.read_only(), refused) {
        (Some(reason), true) => anyhow::Error::new(crate::store::StoreError::ReadOnly {
            path: store.path().map(|p| p.display().to_string()).unwrap_or_default(),
            reason: reason.to_string(),
        }),
        _ => e,
    }
}

/// Run a non-interactive command.
pub fn run(cli: &Cli, command: &Command) -> Result<()> {
    if let Command::Db(DbCmd::Path) = command {
        outln!("{}", db_path(cli).display());
        return Ok(());
    }
    if let Command::Screen {
        view,
        width,
        height,
        select,
    } = command
    {
        out!("{}", crate::tui::screen(cli, *view, *width, *height, *select)?);
        return Ok(());
    }
    let ctx = open(cli)?;
    if let Some(path) = ctx.store.path() {
        if !matches!(command, Command::Db(DbCmd::Share { .. })) {
            if let Some(w) = crate::store::files::exposure_warning(path) {
                crate::output::note(&format!("tend: warning: {w}"));
            }
        }
    }
    if let Some(reason) = ctx.store.read_only() {
        if changes_data(command) {
            return Err(crate::store::StoreError::ReadOnly {
                path: db_path(cli).display().to_string(),
                reason: reason.to_string(),
            }
            .into());
        }
    }
    run_with(cli, ctx, command)
}

fn run_with(cli: &Cli, mut ctx: Context, command: &Command) -> Result<()> {
    if let Command::Db(DbCmd::Restore { file }) = command {
        return restore(cli, &mut ctx, file);
    }
    let result = match command {
        Command::Demo(a) => demo(&ctx, a),
        Command::Accounts(c) => accounts(&ctx, c),
        Command::Tickets(c) => tickets(&ctx, c),
        Command::Health(c) => health_cmd(&ctx, c),
        Command::Db(c) => db(cli, &ctx, c),
        Command::Templates(c) => crate::cli_responses::templates(&ctx, c),
        Command::Tasks(c) => crate::cli_tasks::tasks(&ctx, c),
        Command::Playbooks(c) => crate::cli_tasks::playbooks(&ctx, c),
        Command::Audit {
            since,
            by,
            limit,
            format,
        } => {
            let since = since.as_deref().map(|s| parse_since(s, ctx.now)).transpose()?;
            let entries = ctx.store.audit_entries(&crate::store::AuditQuery {
                since,
                actor: by.clone(),
                limit: *limit,
            })?;
            output::print_listing(format.format, &entries, || {
                let mut t = Table::new(vec!["AT", "ACTOR", "WHAT", "ACTION", "DETAIL"]);
                for e in &entries {
                    t.push(vec![
                        format_time(e.at),
                        e.actor.clone(),
                        match e.entity_id {
                            Some(id) if id != 0 => format!("{} {id}", e.entity),
                            _ => e.entity.clone(),
                        },
                        e.action.clone(),
                        e.detail.clone(),
                    ]);
                }
                t
            })?;
            Ok(())
        }
        Command::Today { format, out } => {
            let text = crate::reports::today(&ctx.store, &ctx.config.health, ctx.now, format == "md")?;
            crate::cli_investigate::write_or_print(out.as_ref(), &text)
        }
        Command::Investigate(c) => crate::cli_investigate::investigate(&ctx, c),
        Command::Investigations(c) => crate::cli_investigate::investigations(&ctx, c),
        Command::Report(c) => crate::cli_investigate::report(&ctx, c),
        Command::Sequences(c) => crate::cli_responses::sequences(&ctx, c),
        Command::Import(c) => crate::cli_import::import(&ctx, c),
        Command::Export(a) => crate::cli_import::export(&ctx, a),
        Command::Screen { .. } => Ok(()),
    };
    result.map_err(|e| explain_read_only(&ctx.store, e))
}

fn demo(ctx: &Context, a: &DemoArgs) -> Result<()> {
    let opts = DemoOptions {
        accounts: a.accounts,
        tickets: a.tickets,
        days: a.days,
        signals: a.signals,
        seed: a.seed,
    };
    let counts = ctx.store.load_demo(&opts, &ctx.config.sla, ctx.now)?;
    let rules = &ctx.config.health;
    if a.history > 0 {
        ctx.store.backfill_snapshots(rules, ctx.now, a.history)?;
    }
    ctx.store.recompute_health(rules, ctx.now)?;
    // the alerts the sample's state calls for, as a book in use would have them: Today opens
    // with its tasks, and the first recompute raises only what is new
    let alerts = if a.no_alerts {
        "no alerts raised yet (`tend health recompute` raises them)".to_string()
    } else {
        let playbooks = crate::cli_tasks::load_playbooks(None);
        let raised = ctx.store.raise_alerts(rules, &playbooks.playbooks, ctx.now)?;
        format!("{raised} alert task{} raised", if raised == 1 { "" } else { "s" })
    };
    outln!(
        "Loaded sample data: {} accounts, {} contacts, {} tickets, {} signals; health computed, {alerts}.",
        counts.accounts,
        counts.contacts,
        counts.tickets,
        counts.signals,
    );
    outln!("Next: `tend` opens the cockpit, `tend accounts list` lists the accounts.");
    Ok(())
}

pub fn tier_of(rules: &HealthRules, a: &Account) -> Option<Tier> {
    a.score.map(|s| rules.tier(s))
}

fn money(cents: i64) -> String {
    let dollars = cents / 100;
    let s = dollars.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("${out}")
}

fn day(t: Option<Timestamp>) -> String {
    t.map(crate::store::day_of).unwrap_or_else(|| "-".into())
}

#[derive(serde::Serialize)]
struct AccountOut<'a> {
    id: i64,
    external_id: Option<&'a str>,
    name: &'a str,
    score: Option<u32>,
    tier: Option<Tier>,
    components: Option<health::Components>,
    segment: Segment,
    stage: Stage,
    plan: &'a str,
    mrr: f64,
    status: AccountStatus,
    owner: Option<&'a str>,
    open_tickets: i64,
    last_login: Option<String>,
    renewal_date: Option<&'a str>,
}

fn account_out<'a>(rules: &HealthRules, a: &'a Account) -> AccountOut<'a> {
    AccountOut {
        id: a.id,
        external_id: a.external_id.as_deref(),
        name: &a.name,
        score: a.score,
        tier: tier_of(rules, a),
        components: a.components,
        segment: a.segment,
        stage: a.stage,
        plan: &a.plan,
        mrr: a.mrr_cents as f64 / 100.0,
        status: a.status,
        owner: a.owner.as_deref(),
        open_tickets: a.open_tickets,
        last_login: a.last_login_at.map(format_time),
        renewal_date: a.renewal_date.as_deref(),
    }
}

fn accounts(ctx: &Context, cmd: &AccountsCmd) -> Result<()> {
    let rules = &ctx.config.health;
    match cmd {
        AccountsCmd::List {
            tier,
            stage,
            segment,
            status,
            sort,
            limit,
            format,
        } => {
            let filter = AccountFilter {
                tier: *tier,
                stage: *stage,
                segment: *segment,
                status: *status,
                sort: *sort,
                limit: *limit,
                offset: 0,
            };
            let list = ctx.store.accounts(&filter, rules)?;
            let out: Vec<AccountOut> = list.iter().map(|a| account_out(rules, a)).collect();
            output::print_listing(format.format, &out, || {
                let mut t = Table::new(vec![
                    "ID",
                    "TIER",
                    "SCORE",
                    "NAME",
                    "SEGMENT",
                    "STAGE",
                    "MRR",
                    "OPEN",
                    "LAST LOGIN",
                    "RENEWAL",
                ]);
                for a in &list {
                    t.push(vec![
                        a.id.to_string(),
                        match (a.status, tier_of(rules, a)) {
                            (AccountStatus::Churned, _) => "Churned".into(),
                            (_, Some(t)) => t.label().into(),
                            (_, None) => "-".into(),
                        },
                        a.score.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
                        a.name.clone(),
                        a.segment.label().into(),
                        a.stage.label().into(),
                        money(a.mrr_cents),
                        a.open_tickets.to_string(),
                        day(a.last_login_at),
                        a.renewal_date.clone().unwrap_or_else(|| "-".into()),
                    ]);
                }
                t
            })?;
            Ok(())
        }
        AccountsCmd::Show { id, format } => show_account(ctx, *id, format.format),
    }
}

fn not_found_hint(e: crate::store::StoreError) -> anyhow::Error {
    match &e {
        crate::store::StoreError::NotFound { what: "account", .. } => {
            anyhow::anyhow!("{e}; `tend accounts list` shows the account ids")
        }
        crate::store::StoreError::NotFound { what: "ticket", .. } => {
            anyhow::anyhow!("{e}; `tend tickets list --all` shows the ticket ids")
        }
        _ => e.into(),
    }
}

fn show_account(ctx: &Context, id: i64, format: Format) -> Result<()> {
    let rules = &ctx.config.health;
    let a = ctx.store.account(id).map_err(not_found_hint)?;
    let facts = ctx.store.health_facts(id, ctx.now)?;
    let now_health = rules.evaluate(&facts);
    let readings = health::signal_readings(&facts);
    let signs = churn::warning_signs(&ctx.store.churn_facts(id, ctx.now)?);
    let contacts = ctx.store.contacts(id)?;
    let open = ctx.store.tickets(
        &TicketFilter {
            account: Some(id),
            all: false,
            ..Default::default()
        },
        ctx.now,
    )?;
    let history = ctx.store.health_history(id)?;
    if format == Format::Json {
        #[derive(serde::Serialize)]
        struct Out<'a> {
            account: AccountOut<'a>,
            health_now: health::Health,
            recommended_action: &'static str,
            signals: &'a [health::SignalReading],
            warning_signs: &'a [churn::WarningSign],
            contacts: &'a [crate::store::Contact],
            open_tickets: Vec<i64>,
            history: &'a [crate::store::Snapshot],
        }
        let out = Out {
            account: account_out(rules, &a),
            health_now: now_health,
            recommended_action: health::recommended_action(now_health.tier),
            signals: &readings,
            warning_signs: &signs,
            contacts: &contacts,
            open_tickets: open.iter().map(|t| t.id).collect(),
            history: &history,
        };
        outln!("{}", output::json(&out));
        return Ok(());
    }
    let mut s = String::new();
    s.push_str(&format!("Account {}: {}\n", a.id, clean(&a.name)));
    s.push_str(&format!(
        "  {} · {} · {} plan · {} MRR · owner {} · signed up {} · renews {}\n",
        a.segment.label(),
        a.stage.label(),
        clean(&a.plan),
        money(a.mrr_cents),
        a.owner.as_deref().map(clean).unwrap_or_else(|| "-".into()),
        a.signup_date,
        a.renewal_date.as_deref().unwrap_or("-")
    ));
    if a.status == AccountStatus::Churned {
        s.push_str(&format!(
            "  CHURNED on {}: {}\n",
            a.churned_on.as_deref().unwrap_or("?"),
            a.churn_reason.as_deref().map(clean).unwrap_or_default()
        ));
    }
    let c = now_health.components;
    s.push_str(&format!(
        "\nHealth {} ({}) — {}\n",
        now_health.score,
        now_health.tier.label(),
        health::recommended_action(now_health.tier)
    ));
    let w = rules.weights;
    s.push_str(&format!(
        "  usage {} x{}% + engagement {} x{}% + satisfaction {} x{}% + payment {} x{}%\n",
        c.usage, w.usage, c.engagement, w.engagement, c.satisfaction, w.satisfaction, c.payment, w.payment
    ));
    let points: Vec<crate::domain::trend::Point> = history.iter().map(|h| h.point()).collect();
    let series = crate::domain::trend::daily_series(&points, &crate::domain::day_string(ctx.now), 30);
    if let Some(dir) = crate::domain::trend::direction(&series) {
        s.push_str(&format!(
            "  30-day trend {} {}\n",
            crate::ui::sparkline_gaps(&series),
            dir.label()
        ));
    }
    if let Some(c) = crate::domain::trend::tier_changes(&points, rules).last() {
        s.push_str(&format!("  Last tier change: {}\n", c.sentence()));
    }
    if let Some(l) = crate::domain::trend::leading_indicator(&points) {
        s.push_str(&format!("  Leading indicator: {l}\n"));
    }
    s.push_str("\nSignals\n");
    for r in &readings {
        s.push_str(&format!("  [{:<8}] {:<19} {}\n", r.level.label(), r.signal, r.reading));
    }
    if !signs.is_empty() {
        s.push_str(&format!(
            "\nChurn warning signs: {}\n",
            signs.iter().map(|w| w.label()).collect::<Vec<_>>().join(", ")
        ));
    }
    s.push_str("\nContacts\n");
    if contacts.is_empty() {
        s.push_str("  none\n");
    }
    for c in &contacts {
        s.push_str(&format!(
            "  {} <{}> {}\n",
            clean(&c.name),
            c.email.as_deref().map(clean).unwrap_or_default(),
            c.role.as_deref().map(clean).unwrap_or_default()
        ));
    }
    s.push_str(&format!("\nOpen tickets ({})\n", open.len()));
    for t in &open {
        s.push_str(&format!(
            "  #{} {} · {} · {}\n",
            t.id,
            t.step.label(),
            clock_label(&sla::resolution(&t.clock_facts(), ctx.now)),
            clean(&t.subject)
        ));
    }
    if let (Some(first), Some(last)) = (history.first(), history.last()) {
        s.push_str(&format!(
            "\nHealth history: {} snapshots, {} on {} -> {} on {}\n",
            history.len(),
            first.score,
            first.day,
            last.score,
            last.day
        ));
    }
    out!("{s}");
    Ok(())
}

/// "2h 10m left", "BREACHED 3h", "paused (5h left)", "met", "by appointment".
pub fn clock_label(c: &Clock) -> String {
    match c {
        Clock::Running { left, .. } => format!("{} left", sla::human_duration(*left)),
        Clock::Paused { left } => format!("paused, {} left", sla::human_duration(*left)),
        Clock::Breached { over, .. } => format!("BREACHED {}", sla::human_duration(*over)),
        Clock::Met { .. } => "met".into(),
        Clock::MetLate { over, .. } => format!("met late by {}", sla::human_duration(*over)),
        Clock::NoTarget => "by appointment".into(),
    }
}

/// The soonest running clock, for the queue's SLA column.
pub fn queue_clock(t: &Ticket, now: Timestamp) -> Clock {
    let f = t.clock_facts();
    let first = sla::first_response(&f, now);
    let res = sla::resolution(&f, now);
    if t.step == Step::Closed {
        return res;
    }
    match (first, res) {
        (a @ (Clock::Running { .. } | Clock::Breached { .. }), b) if a.urgency() <= b.urgency() => a,
        (_, b) => b,
    }
}

/// "■■▶□ Resolve": the four-step progress with the step's name.
pub fn step_progress(step: Step) -> String {
    format!("{} {}", crate::ui::progress(step), step.label())
}

fn age(opened: Timestamp, now: Timestamp) -> String {
    sla::human_duration((now - opened).max(0))
}

#[derive(serde::Serialize)]
struct TicketOut<'a> {
    #[serde(flatten)]
    ticket: &'a Ticket,
    first_response_clock: Clock,
    resolution_clock: Clock,
    breached: bool,
    checklist: Vec<ChecklistItemOut>,
}

#[derive(serde::Serialize)]
struct ChecklistItemOut {
    item: usize,
    label: &'static str,
    done: bool,
}

fn ticket_out<'a>(ctx: &Context, t: &'a Ticket) -> Result<TicketOut<'a>> {
    let f = t.clock_facts();
    let fr = sla::first_response(&f, ctx.now);
    let res = sla::resolution(&f, ctx.now);
    let done = ctx.store.checklist(t.id, t.step)?;
    Ok(TicketOut {
        ticket: t,
        first_response_clock: fr,
        resolution_clock: res,
        breached: t.step != Step::Closed && (fr.is_breached() || res.is_breached()),
        checklist: t
            .step
            .checklist()
            .iter()
            .enumerate()
            .map(|(i, label)| ChecklistItemOut {
                item: i + 1,
                label,
                done: done.get(i).copied().unwrap_or(false),
            })
            .collect(),
    })
}

fn read_stdin_if_piped() -> Result<String> {
    let mut body = String::new();
    if !std::io::stdin().is_terminal() {
        std::io::stdin()
            .read_to_string(&mut body)
            .context("cannot read the body from stdin")?;
    }
    Ok(body)
}

fn tickets(ctx: &Context, cmd: &TicketsCmd) -> Result<()> {
    let s = &ctx.store;
    let now = ctx.now;
    match cmd {
        TicketsCmd::List {
            step,
            breached,
            waiting,
            snoozed,
            all,
            account,
            assignee,
            limit,
            format,
        } => {
            if let Some(a) = account {
                s.account(*a).map_err(not_found_hint)?;
            }
            let assignee = assignee
                .as_ref()
                .map(|a| if a == "mine" { s.actor().to_string() } else { a.clone() });
            let filter = TicketFilter {
                step: *step,
                breached: *breached,
                waiting: *waiting,
                snoozed: *snoozed,
                all: *all,
                account: *account,
                assignee,
                limit: *limit,
                offset: 0,
            };
            let list = s.tickets(&filter, now)?;
            let rules = &ctx.config.health;
            if format.format == Format::Json {
                let out = list.iter().map(|t| ticket_out(ctx, t)).collect::<Result<Vec<_>>>()?;
                outln!("{}", output::json(&out));
                return Ok(());
            }
            output::print_listing(format.format, &list, || {
                let mut t = Table::new(vec![
                    "ID", "SLA", "STEP", "PRI", "TIER", "ACCOUNT", "SUBJECT", "AGE", "ASSIGNEE",
                ]);
                for tk in &list {
                    let mut sla = clock_label(&queue_clock(tk, now));
                    if tk.waiting_since.is_some() {
                        sla.push_str(" (waiting)");
                    }
                    t.push(vec![
                        tk.id.to_string(),
                        sla,
                        step_progress(tk.step),
                        tk.priority.label().into(),
                        format!("T{}", tk.support_tier),
                        format!(
                            "{} ({})",
                            tk.account_name,
                            tk.account_score.map(|s| rules.tier(s).label()).unwrap_or("-")
                        ),
                        tk.subject.clone(),
                        age(tk.opened_at, now),
                        tk.assignee.clone().unwrap_or_else(|| "-".into()),
                    ]);
                }
                t
            })?;
            Ok(())
        }
        TicketsCmd::Show { id, format } => {
            let t = s.ticket(*id).map_err(not_found_hint)?;
            let events = s.ticket_events(*id)?;
            let out = ticket_out(ctx, &t)?;
            if format.format == Format::Json {
                #[derive(serde::Serialize)]
                struct Out<'a> {
                    #[serde(flatten)]
                    ticket: TicketOut<'a>,
                    timeline: &'a [crate::store::TicketEvent],
                }
                outln!(
                    "{}",
                    output::json(&Out {
                        ticket: out,
                        timeline: &events
                    })
                );
                return Ok(());
            }
            out!("{}", render_ticket(ctx, &t, &out, &events));
            Ok(())
        }
        TicketsCmd::New {
            account,
            subject,
            channel,
            priority,
            contact,
            assignee,
            tags,
        } => {
            if subject.trim().is_empty() {
                bail!("a ticket needs a subject");
            }
            let body = read_stdin_if_piped()?;
            let t = NewTicket {
                external_id: None,
                account_id: *account,
                contact_id: *contact,
                subject: subject.trim().to_string(),
                body,
                channel: *channel,
                priority: *priority,
                assignee: assignee.clone(),
                tags: tags
                    .iter()
                    .map(|t| t.trim().to_ascii_lowercase())
                    .filter(|t| !t.is_empty())
                    .collect(),
                opened_at: now,
                message_id: None,
            };
            let id = s.create_ticket(&t, &ctx.config.sla).map_err(not_found_hint)?;
            outln!(
                "Opened ticket {id} for account {account}; first response {}.",
                ctx.config.sla.first_response_label(*channel)
            );
            Ok(())
        }
        TicketsCmd::Check { id, items, undo } => {
            let t = s.ticket(*id).map_err(not_found_hint)?;
            for item in items {
                crate::domain::sop::checklist_item(t.step, *item)?;
            }
            for item in items {
                s.set_checklist_item(*id, item - 1, !undo, None, now)?;
            }
            let done = s.checklist(*id, t.step)?;
            let n = done.iter().filter(|d| **d).count();
            outln!(
                "Ticket {id}, {}: {n} of {} checklist items done.",
                t.step.label(),
                done.len()
            );
            Ok(())
        }
        TicketsCmd::Advance { id, reason } => {
            s.ticket(*id).map_err(not_found_hint)?;
            let m = s.advance_ticket(*id, reason.as_deref(), None, now)?;
            let how = if m.is_override() { " (checklist overridden)" } else { "" };
            outln!("Ticket {id}: {} -> {}{how}.", m.from.label(), m.to.label());
            Ok(())
        }
        TicketsCmd::Back { id, reason } => {
            s.ticket(*id).map_err(not_found_hint)?;
            let m = s.move_ticket_back(*id, Some(reason), None, now)?;
            outln!("Ticket {id}: back from {} to {}.", m.from.label(), m.to.label());
            Ok(())
        }
        TicketsCmd::Escalate { id, reason } => {
            s.ticket(*id).map_err(not_found_hint)?;
            s.escalate_ticket(*id, Some(reason), None, now)?;
            outln!("Ticket {id} escalated to tier 2.");
            Ok(())
        }
        TicketsCmd::Note { id, text } => {
            s.ticket(*id).map_err(not_found_hint)?;
            s.add_note(*id, text, None, now)?;
            outln!("Note added to ticket {id}.");
            Ok(())
        }
        TicketsCmd::Reply {
            id,
            template,
            deliver,
            out,
            allow_unfilled,
        } => {
            s.ticket(*id).map_err(not_found_hint)?;
            crate::cli_responses::reply(
                ctx,
                *id,
                template.as_deref(),
                *deliver,
                out.as_ref(),
                *allow_unfilled,
                read_stdin_if_piped()?,
            )
        }
        TicketsCmd::Wait { id } => {
            s.ticket(*id).map_err(not_found_hint)?;
            s.wait_on_customer(*id, None, now)?;
            outln!("Ticket {id} is waiting on the customer; its resolution clock is paused.");
            Ok(())
        }
        TicketsCmd::Snooze {
            id,
            until,
            until_reply: _,
        } => {
            s.ticket(*id).map_err(not_found_hint)?;
            let until = until
                .as_deref()
                .map(|u| parse_time_at(u, now))
                .transpose()
                .map_err(anyhow::Error::msg)?;
            s.snooze_ticket(*id, until, None, now)?;
            match until {
                Some(u) => outln!("Ticket {id} snoozed until {}.", format_time(u)),
                None => outln!("Ticket {id} snoozed until the customer replies."),
            }
            Ok(())
        }
        TicketsCmd::Resume { id } => {
            s.ticket(*id).map_err(not_found_hint)?;
            s.resume_ticket(*id, None, now)?;
            outln!("Ticket {id} is back in the queue.");
            Ok(())
        }
        TicketsCmd::CustomerReply { id } => {
            s.ticket(*id).map_err(not_found_hint)?;
            let body = read_stdin_if_piped()?;
            s.customer_reply(*id, &body, now)?;
            outln!("Customer reply recorded on ticket {id}.");
            Ok(())
        }
    }
}

/// Text from outside on one line of a command's output: cleaned, or as stored with `--raw`.
fn clean(s: &str) -> String {
    output::line(s).into_owned()
}

fn render_ticket(ctx: &Context, t: &Ticket, out: &TicketOut, events: &[crate::store::TicketEvent]) -> String {
    let mut s = String::new();
    s.push_str(&format!("Ticket {}: {}\n", t.id, clean(&t.subject)));
    s.push_str(&format!(
        "  account {} ({}) · {} · {} priority · tier {} · assignee {} · tags {}\n",
        t.account_id,
        clean(&t.account_name),
        t.channel.label(),
        t.priority.label(),
        t.support_tier,
        t.assignee.as_deref().map(clean).unwrap_or_else(|| "-".into()),
        if t.tags.is_empty() {
            "-".into()
        } else {
            clean(&t.tags.join(", "))
        }
    ));
    s.push_str(&format!("  {}\n", step_progress(t.step)));
    s.push_str(&format!("  opened {}\n", format_time(t.opened_at)));
    s.push_str(&format!(
        "  first response ({}): {}\n",
        ctx.config.sla.first_response_label(t.channel),
        clock_label(&out.first_response_clock)
    ));
    s.push_str(&format!("  resolution: {}\n", clock_label(&out.resolution_clock)));
    if let Some(w) = t.waiting_since {
        s.push_str(&format!("  waiting on the customer since {}\n", format_time(w)));
    }
    if t.snoozed_until_reply {
        s.push_str("  snoozed until the customer replies\n");
    } else if let Some(u) = t.snoozed_until.filter(|u| *u > ctx.now) {
        s.push_str(&format!("  snoozed until {}\n", format_time(u)));
    }
    if !t.body.trim().is_empty() {
        s.push('\n');
        for line in output::lines(&t.body).lines() {
            s.push_str(&format!("  | {line}\n"));
        }
    }
    if !out.checklist.is_empty() {
        s.push_str(&format!("\n{} checklist\n", t.step.label()));
        for i in &out.checklist {
            s.push_str(&format!(
                "  {}. [{}] {}\n",
                i.item,
                if i.done { "x" } else { " " },
                i.label
            ));
        }
    }
    s.push_str("\nTimeline\n");
    for e in events {
        let mut what = e.kind.clone();
        if let (Some(f), Some(to)) = (&e.from_step, &e.to_step) {
            what = format!("{what} {f} -> {to}");
        }
        let body = clean(&e.body);
        s.push_str(&format!(
            "  {}  {} {}{}\n",
            format_time(e.at),
            crate::text::pad(&clean(&e.actor), 10),
            what,
            if body.is_empty() {
                String::new()
            } else {
                format!(": {body}")
            }
        ));
    }
    s
}

fn health_cmd(ctx: &Context, cmd: &HealthCmd) -> Result<()> {
    match cmd {
        HealthCmd::Recompute { changed, format } => {
            let rules = &ctx.config.health;
            let (summary, scope) = if *changed {
                let (summary, ids) = ctx.store.recompute_changed_health(rules, ctx.now)?;
                (summary, Some(ids))
            } else {
                (ctx.store.recompute_health(rules, ctx.now)?, None)
            };
            let playbooks = crate::cli_tasks::load_playbooks(None);
            let raised = match &scope {
                Some(ids) => ctx.store.raise_alerts_for(rules, &playbooks.playbooks, ids, ctx.now)?,
                None => ctx.store.raise_alerts(rules, &playbooks.playbooks, ctx.now)?,
            };
            match format.format {
                Format::Json => {
                    let mut v = serde_json::to_value(&summary)?;
                    if let Some(o) = v.as_object_mut() {
                        o.insert("alerts_raised".into(), raised.into());
                    }
                    outln!("{}", output::json(&v))
                }
                _ => outln!(
                    "Recomputed health for {} active accounts (snapshot for {}); {} changed tier. Raised {raised} alert task{}.",
                    summary.accounts,
                    summary.day,
                    summary.tier_changes,
                    if raised == 1 { "" } else { "s" }
                ),
            }
            Ok(())
        }
        HealthCmd::History { id, format } => {
            let history = ctx.store.health_history(*id).map_err(not_found_hint)?;
            let rules = &ctx.config.health;
            output::print_listing(format.format, &history, || {
                let mut t = Table::new(vec![
                    "DAY",
                    "SCORE",
                    "TIER",
                    "USAGE",
                    "ENGAGEMENT",
                    "SATISFACTION",
                    "PAYMENT",
                ]);
                for h in &history {
                    t.push(vec![
                        h.day.clone(),
                        h.score.to_string(),
                        rules.tier(h.score).label().into(),
                        h.usage.to_string(),
                        h.engagement.to_string(),
                        h.satisfaction.to_string(),
                        h.payment.to_string(),
                    ]);
                }
                t
            })?;
            Ok(())
        }
    }
}

fn db(cli: &Cli, ctx: &Context, cmd: &DbCmd) -> Result<()> {
    match cmd {
        DbCmd::Check { format } => {
            let c = ctx.store.check()?;
            match format.format {
                Format::Json => outln!("{}", output::json(&c)),
                _ => {
                    outln!(
                        "{}: integrity {}, schema version {} (this tend writes {}), journal {}.",
                        ctx.store.path().map(|p| p.display().to_string()).unwrap_or_default(),
                        if c.ok { "ok" } else { "FAILED" },
                        c.schema_version,
                        c.supported_version,
                        c.journal_mode
                    );
                    for p in &c.problems {
                        outln!("  {p}");
                    }
                }
            }
            if !c.ok {
                bail!("the integrity check found problems");
            }
            Ok(())
        }
        DbCmd::Backup { path } => {
            if path.exists() {
                bail!("{} already exists; choose a new file for the backup", path.display());
            }
            let r = ctx.store.backup(path)?;
            outln!(
                "Backed up to {} ({}, {} accounts, {} tickets; integrity ok). `tend db restore {}` brings it back.",
                path.display(),
                human_bytes(r.bytes),
                r.accounts,
                r.tickets,
                path.display()
            );
            Ok(())
        }
        DbCmd::Share { group } => share(cli, ctx, group),
        DbCmd::Restore { .. } | DbCmd::Path => Ok(()),
    }
}

fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 10 << 20 => format!("{} MB", n >> 20),
        n if n >= 1 << 20 => format!("{:.1} MB", n as f64 / f64::from(1 << 20)),
        n => format!("{} kB", n.div_ceil(1024)),
    }
}

fn share(cli: &Cli, ctx: &Context, group: &str) -> Result<()> {
    let path = db_path(cli);
    let shown = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
    let s = crate::store::files::share(&path, group)?;
    let names: Vec<String> = s
        .files
        .iter()
        .map(|f| {
            f.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect();
    outln!(
        "Shared {} with the group '{}': {} now belong{} to '{}' with mode 0660 (read and write for the owner and the group, nothing for others).",
        shown.display(),
        s.group,
        names.join(", "),
        if names.len() == 1 { "s" } else { "" },
        s.group
    );
    outln!("The -wal and -shm files SQLite makes beside it later take the same mode.");
    let _ = ctx;
    if s.obstacles.is_empty() {
        outln!(
            "Each member of '{}' opens it as their own user, so the audit log shows who did what:",
            s.group
        );
        outln!("  tend --db {}", shown.display());
        outln!("(or puts `export TEND_DB={}` in their shell profile).", shown.display());
    } else {
        outln!("The group cannot open it yet:");
        for o in &s.obstacles {
            outln!("  - {o}");
        }
        outln!(
            "Then each member of '{}' opens it as their own user (the audit log shows who did what): tend --db {}",
            s.group,
            shown.display()
        );
    }
    Ok(())
}

fn restore(cli: &Cli, ctx: &mut Context, file: &std::path::Path) -> Result<()> {
    let path = db_path(cli);
    let stamp = chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp(), 0)
        .map(|t| t.format("%Y%m%d-%H%M%S").to_string())
        .unwrap_or_else(|| "now".into());
    let keep = crate::store::kept_copy_path(&path, &stamp);
    let r = ctx.store.restore(file, &keep)?;
    outln!(
        "Restored {} into {}: {} accounts, {} tickets{}.",
        file.display(),
        path.display(),
        r.accounts,
        r.tickets,
        if r.from_version < crate::store::schema_version() {
            format!(" (upgraded from schema version {})", r.from_version)
        } else {
            String::new()
        }
    );
    outln!(
        "The database as it was is kept in {}; anyone with tend open sees the restored data at their next refresh.",
        keep.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse() {
        let now = 1_000_000;
        assert_eq!(parse_time_at("+2h", now), Ok(now + 7200));
        assert_eq!(parse_time_at("+1d", now), Ok(now + 86_400));
        assert_eq!(parse_time_at("2026-11-23", now), Ok(1_795_424_400));
        assert_eq!(parse_time_at("2026-11-23T09:00:00Z", now), Ok(1_795_424_400));
        assert_eq!(parse_time_at("2026-11-23 09:00", now), Ok(1_795_424_400));
        assert!(parse_time_at("tomorrow-ish", now).is_err());
        assert!(parse_time_at("+3w", now).is_err());
        assert!(parse_time_at("+99999999999999999d", now).is_err());
        assert!(parse_time_at("+9999999999999m", now).is_err());
    }

    #[test]
    fn progress_marks_each_step() {
        assert_eq!(step_progress(Step::Acknowledge), "▶□□□ Acknowledge");
        assert_eq!(step_progress(Step::Resolve), "■■▶□ Resolve");
        assert_eq!(step_progress(Step::Closed), "■■■■ Closed");
    }

    #[test]
    fn money_groups_thousands() {
        assert_eq!(money(123_456_789), "$1,234,567");
        assert_eq!(money(99), "$0");
        assert_eq!(money(100_000), "$1,000");
    }
}
