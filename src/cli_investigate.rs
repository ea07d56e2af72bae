//! `tend investigate`, `tend investigations` and the investigation reports.

use crate::cli::{Context, FormatArg};
use crate::domain::investigation::{self, Answers};
use crate::output::{self, Table};
use anyhow::{Context as _, Result, bail};
use clap::Subcommand;
use std::path::PathBuf;

macro_rules! outln {
    ($($arg:tt)*) => { crate::output::emit(&format!("{}\n", format!($($arg)*)))? };
}

#[derive(Debug, Subcommand)]
pub enum InvestigateCmd {
    /// Save an investigation from an answers file (TOML, the form's fields); the context is prefilled
    #[command(group(clap::ArgGroup::new("target").required(true).args(["ticket", "account"])))]
    New {
        #[arg(long)]
        ticket: Option<i64>,
        #[arg(long)]
        account: Option<i64>,
        #[arg(long, value_name = "FILE.toml")]
        answers: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum InvestigationsCmd {
    /// Every investigation with priority, account, status, age and the health change since
    List {
        #[arg(long)]
        account: Option<i64>,
        #[command(flatten)]
        format: FormatArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReportCmd {
    /// One investigation as the method's Markdown output table, with its context
    Investigation {
        id: i64,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The CS debt log, in the form of a cs-debt.md
    Debt {
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Investigations with the health change after 14 and 30 days, by priority and approach
    Outcomes {
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The Customer Success Plan: current state against targets, top issues, improvements,
    /// documentation needed
    Plan {
        /// The period: 7d, 30d, 90d (any number of days up to 365)
        #[arg(long, default_value = "30d", value_parser = crate::reports::parse_period)]
        period: i64,
        /// Only this segment: enterprise, smb or self-serve
        #[arg(long)]
        segment: Option<crate::domain::Segment>,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// A quarterly business review of one account: health trend, tickets, NPS/CSAT, goals,
    /// risks, expansion signals
    Qbr {
        account: i64,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub fn write_or_print(out: Option<&PathBuf>, text: &str) -> Result<()> {
    match out {
        Some(p) => {
            if p.exists() {
                bail!("{} already exists; choose a new file", p.display());
            }
            // a report file is read in a terminal too: cleaned as stdout is, unless --raw
            let text = if output::raw() {
                text.to_string()
            } else {
                crate::text::terminal_safe(text)
            };
            std::fs::write(p, text).with_context(|| format!("cannot write {}", p.display()))?;
            outln!("Written to {}.", p.display());
        }
        None => output::emit(text)?,
    }
    Ok(())
}

pub fn investigate(ctx: &Context, cmd: &InvestigateCmd) -> Result<()> {
    match cmd {
        InvestigateCmd::New {
            ticket,
            account,
            answers,
        } => {
            let text =
                std::fs::read_to_string(answers).with_context(|| format!("cannot read {}", answers.display()))?;
            let mut a: Answers = investigation::parse_answers(&text)
                .map_err(|e| anyhow::anyhow!("{} is not a valid answers file: {e}", answers.display()))?;
            let missing = investigation::missing(&a);
            if !missing.is_empty() {
                bail!(
                    "{} is missing required answers: {}",
                    answers.display(),
                    missing.join(", ")
                );
            }
            let facts = ctx.store.investigation_facts(*ticket, *account, ctx.now)?;
            let templates = crate::cli_responses::templates_set();
            crate::investigate::prefill(&mut a, &facts, &templates, &ctx.config.health);
            let o = investigation::evaluate(&a, facts.health, ctx.now);
            let id = ctx
                .store
                .create_investigation(Some(facts.account_id), *ticket, &a, &o, ctx.now)?;
            outln!(
                "Investigation {id} saved for {}: priority {}; {}.",
                output::line(&facts.account_name),
                o.priority.map(|p| p.label()).unwrap_or("-"),
                o.approach.as_deref().unwrap_or("")
            );
            if let Some(d) = &o.follow_up_due {
                outln!("Follow-up task due {d}.");
            }
            if o.minimal {
                outln!("Minimal intervention: added to the CS debt log (`tend report debt`).");
            }
            outln!("`tend report investigation {id}` prints the output table.");
            Ok(())
        }
    }
}

pub fn investigations(ctx: &Context, cmd: &InvestigationsCmd) -> Result<()> {
    match cmd {
        InvestigationsCmd::List { account, format } => {
            let list = ctx.store.investigations(*account)?;
            output::print_listing(format.format, &list, || {
                let mut t = Table::new(vec!["ID", "PRIORITY", "ACCOUNT", "STATUS", "AGE", "HEALTH", "GOAL"]);
                for i in &list {
                    t.push(vec![
                        i.id.to_string(),
                        i.priority
                            .as_deref()
                            .and_then(|p| p.parse::<investigation::Priority>().ok())
                            .map(|p| p.label().to_string())
                            .unwrap_or_else(|| "-".into()),
                        i.account_name.clone().unwrap_or_else(|| "-".into()),
                        i.status.clone(),
                        format!("{}d", ((ctx.now - i.created_at).max(0)) / crate::domain::DAY),
                        match (i.health_at_start, i.health_now) {
                            (Some(a), Some(b)) => format!("{a} -> {b} ({:+})", i64::from(b) - i64::from(a)),
                            _ => "-".into(),
                        },
                        output::line_max(&i.goal, 50).into_owned(),
                    ]);
                }
                t
            })?;
            Ok(())
        }
    }
}

pub fn report(ctx: &Context, cmd: &ReportCmd) -> Result<()> {
    match cmd {
        ReportCmd::Investigation { id, out } => {
            let i = ctx.store.investigation(*id)?;
            let a: Answers = serde_json::from_str(&i.answers).unwrap_or_default();
            let o = investigation::evaluate(&a, i.health_at_start, i.created_at);
            let title = format!(
                "{}{}",
                output::line(i.account_name.as_deref().unwrap_or("no account")),
                i.ticket_id.map(|t| format!(", ticket #{t}")).unwrap_or_default()
            );
            write_or_print(out.as_ref(), &investigation::markdown(&title, &a, &o))
        }
        ReportCmd::Plan { period, segment, out } => {
            let templates = crate::responses::TemplateSet::load(crate::config::templates_dir().as_deref());
            let md = crate::reports::plan(&ctx.store, &ctx.config.health, &templates, *segment, *period, ctx.now)?;
            write_or_print(out.as_ref(), &md)
        }
        ReportCmd::Qbr { account, out } => {
            let md = crate::reports::qbr(&ctx.store, &ctx.config.health, *account, ctx.now)?;
            write_or_print(out.as_ref(), &md)
        }
        ReportCmd::Debt { out } => {
            let mut md =
                String::from("# CS debt log\n\nIssues given minimal intervention by the Intent-First quick filter.\n");
            let list = ctx.store.cs_debt()?;
            if list.is_empty() {
                md.push_str("\nNo entries yet.\n");
            }
            for d in &list {
                md.push_str(&format!(
                    "\n## {} — {}\n\n- **Date:** {}\n- **Account:** {}\n- **Issue:** {}\n- **Workaround:** {}\n- **Why deferred:** {}\n- **Pattern:** {} (seen {} time{})\n",
                    d.day,
                    output::line(d.issue.lines().next().unwrap_or("")),
                    d.day,
                    output::line(d.account.as_deref().unwrap_or("-")),
                    output::line(&d.issue),
                    output::line(if d.workaround.is_empty() { "-" } else { &d.workaround }),
                    output::line(if d.why_deferred.is_empty() { "-" } else { &d.why_deferred }),
                    output::line(if d.pattern.is_empty() { "-" } else { &d.pattern }),
                    d.recurrences,
                    if d.recurrences == 1 { "" } else { "s" }
                ));
            }
            write_or_print(out.as_ref(), &md)
        }
        ReportCmd::Outcomes { out } => {
            let rows = ctx.store.investigation_outcomes()?;
            let mut md = String::from(
                "# Intervention outcomes\n\nHealth when the investigation was made, and 14 and 30 days later.\n",
            );
            let fmt = |v: Option<u32>, base: Option<u32>| match (v, base) {
                (Some(v), Some(b)) => format!("{v} ({:+})", i64::from(v) - i64::from(b)),
                (Some(v), None) => v.to_string(),
                (None, _) => "not yet".into(),
            };
            let mut groups: Vec<(String, String)> = rows
                .iter()
                .map(|r| (r.priority.clone().unwrap_or_else(|| "-".into()), r.approach.clone()))
                .collect();
            groups.sort();
            groups.dedup();
            if rows.is_empty() {
                md.push_str("\nNo investigations yet.\n");
            }
            for (priority, approach) in groups {
                let members: Vec<_> = rows
                    .iter()
                    .filter(|r| r.priority.clone().unwrap_or_else(|| "-".into()) == priority && r.approach == approach)
                    .collect();
                let changes: Vec<i64> = members
                    .iter()
                    .filter_map(|r| {
                        Some(i64::from(r.health_after_30.or(r.health_after_14)?) - i64::from(r.health_at_start?))
                    })
                    .collect();
                let shown = priority
                    .parse::<investigation::Priority>()
                    .map(|p| p.label().to_string())
                    .unwrap_or_else(|_| priority.clone());
                md.push_str(&format!(
                    "\n## {}: {}\n\n",
                    output::line(&shown),
                    output::line(&approach)
                ));
                if !changes.is_empty() {
                    md.push_str(&format!(
                        "Average health change: {:+.1} over {} investigation(s) with a later snapshot.\n\n",
                        changes.iter().sum::<i64>() as f64 / changes.len() as f64,
                        changes.len()
                    ));
                }
                md.push_str(
                    "| # | Account | Made | Health then | After 14 days | After 30 days |\n|---|---|---|---|---|---|\n",
                );
                for r in members {
                    md.push_str(&format!(
                        "| {} | {} | {} | {} | {} | {} |\n",
                        r.id,
                        output::line(r.account_name.as_deref().unwrap_or("-")).replace('|', "\\|"),
                        r.created_day,
                        r.health_at_start.map(|h| h.to_string()).unwrap_or_else(|| "-".into()),
                        fmt(r.health_after_14, r.health_at_start),
                        fmt(r.health_after_30, r.health_at_start)
                    ));
                }
            }
            write_or_print(out.as_ref(), &md)
        }
    }
}
