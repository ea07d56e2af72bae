//! `tend tasks`: what alerts, sequences and investigations asked for, and what was done;
//! `tend playbooks`: the step lists alerts start, and starting one by hand.

use crate::cli::{Context, FormatArg};
use crate::output::{self, Table};
use crate::playbooks::PlaybookSet;
use anyhow::Result;
use clap::Subcommand;

macro_rules! outln {
    ($($arg:tt)*) => { crate::output::emit(&format!("{}\n", format!($($arg)*)))? };
}

#[derive(Debug, Subcommand)]
pub enum TasksCmd {
    /// Open tasks due by today (or by --until DAY), oldest first
    List {
        #[arg(long)]
        account: Option<i64>,
        /// Due by this day (YYYY-MM-DD) [default: today]
        #[arg(long)]
        until: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Mark a task done
    Done { id: i64 },
    /// Snooze a task until a day; it comes back on Today then
    Snooze {
        id: i64,
        #[arg(long, value_name = "YYYY-MM-DD")]
        until: String,
    },
    /// Dismiss a task, with the reason
    Dismiss {
        id: i64,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum PlaybooksCmd {
    /// The playbooks: shipped ones and yours (from `playbooks/` beside config.toml)
    List {
        #[command(flatten)]
        format: FormatArg,
    },
    /// One playbook's steps, with their days and templates
    Show { name: String },
    /// Start a playbook for an account: each step becomes a task due its days from today
    Start { name: String, account: i64 },
}

/// The playbook set, with a warning on stderr for each file that did not load.
pub fn load_playbooks(templates: Option<&crate::responses::TemplateSet>) -> PlaybookSet {
    let set = PlaybookSet::load(crate::config::playbooks_dir().as_deref());
    for e in &set.errors {
        crate::output::note(&format!("warning: {e} (skipped)"));
    }
    if let Some(t) = templates {
        for e in set.missing_templates(t) {
            crate::output::note(&format!("warning: {e}"));
        }
    }
    set
}

pub fn playbooks(ctx: &Context, cmd: &PlaybooksCmd) -> Result<()> {
    let templates = crate::responses::TemplateSet::load(crate::config::templates_dir().as_deref());
    let set = load_playbooks(Some(&templates));
    match cmd {
        PlaybooksCmd::List { format } => {
            #[derive(serde::Serialize)]
            struct Row<'a> {
                name: &'a str,
                title: &'a str,
                steps: usize,
                days: u32,
                source: &'a str,
            }
            let rows: Vec<Row> = set
                .playbooks
                .iter()
                .map(|p| Row {
                    name: &p.slug,
                    title: &p.title,
                    steps: p.steps.len(),
                    days: p.steps.last().map(|s| s.day).unwrap_or(0),
                    source: &p.source,
                })
                .collect();
            output::print_listing(format.format, &rows, || {
                let mut t = Table::new(vec!["NAME", "TITLE", "STEPS", "DAYS", "SOURCE"]);
                for r in &rows {
                    t.push(vec![
                        r.name.to_string(),
                        r.title.to_string(),
                        r.steps.to_string(),
                        r.days.to_string(),
                        r.source.to_string(),
                    ]);
                }
                t
            })?;
            Ok(())
        }
        PlaybooksCmd::Show { name } => {
            let p = set.find(name).map_err(anyhow::Error::msg)?;
            let mut text = format!("{} ({})\n", p.title, p.slug);
            if !p.about.is_empty() {
                text.push_str(&format!("{}\n", p.about));
            }
            for (i, s) in p.steps.iter().enumerate() {
                text.push_str(&format!(
                    "{:>2}. day {:<3} {}{}\n",
                    i + 1,
                    s.day,
                    s.title,
                    s.template
                        .as_deref()
                        .map(|t| format!(" [template {t}]"))
                        .unwrap_or_default()
                ));
            }
            output::emit(&output::lines(&text))?;
            Ok(())
        }
        PlaybooksCmd::Start { name, account } => {
            let p = set.find(name).map_err(anyhow::Error::msg)?;
            let n = ctx.store.start_playbook(*account, p, None, ctx.now)?;
            outln!(
                "Started {} for account {account}: {n} task{} (see `tend tasks list --account {account} --until {}`).",
                p.slug,
                if n == 1 { "" } else { "s" },
                crate::store::day_of(
                    ctx.now + i64::from(p.steps.last().map(|s| s.day).unwrap_or(0)) * crate::domain::DAY
                )
            );
            Ok(())
        }
    }
}

fn day_arg(s: &str) -> Result<String> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map(|d| d.format("%Y-%m-%d").to_string())
        .map_err(|_| anyhow::anyhow!("'{s}' is not a day; write it as 2026-11-23"))
}

pub fn tasks(ctx: &Context, cmd: &TasksCmd) -> Result<()> {
    let s = &ctx.store;
    match cmd {
        TasksCmd::List { account, until, format } => {
            if let Some(a) = account {
                s.account(*a)?;
            }
            let day = match until {
                Some(u) => day_arg(u)?,
                None => crate::store::day_of(ctx.now),
            };
            let list = s.tasks_due(&day, *account)?;
            output::print_listing(format.format, &list, || {
                let mut t = Table::new(vec!["ID", "DUE", "STATUS", "ACCOUNT", "TITLE"]);
                for x in &list {
                    t.push(vec![
                        x.id.to_string(),
                        x.due_date.clone(),
                        x.status.clone(),
                        x.account_name.clone().unwrap_or_else(|| "-".into()),
                        x.title.clone(),
                    ]);
                }
                t
            })?;
            Ok(())
        }
        TasksCmd::Done { id } => {
            s.complete_task(*id, ctx.now)?;
            outln!("Task {id} done.");
            Ok(())
        }
        TasksCmd::Snooze { id, until } => {
            let day = day_arg(until)?;
            s.snooze_task(*id, &day, ctx.now)?;
            outln!("Task {id} snoozed until {day}.");
            Ok(())
        }
        TasksCmd::Dismiss { id, reason } => {
            s.dismiss_task(*id, reason, ctx.now)?;
            outln!("Task {id} dismissed.");
            Ok(())
        }
    }
}
