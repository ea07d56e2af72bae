//! `tend tasks`: what alerts, sequences and investigations asked for, and what was done.

use crate::cli::{Context, FormatArg};
use crate::output::{self, Table};
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
