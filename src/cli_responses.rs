//! `tend templates`, `tend sequences` and `tend tickets reply`.

use crate::cli::{Context, FormatArg};
use crate::domain::template::{FIELDS, Template};
use crate::output::{self, Table};
use crate::responses::{self, OutgoingReply, TemplateSet, Via};
use anyhow::{Result, bail};
use clap::Subcommand;
use std::path::PathBuf;

macro_rules! outln {
    ($($arg:tt)*) => { crate::output::emit(&format!("{}\n", format!($($arg)*)))? };
}

#[derive(Debug, Subcommand)]
pub enum TemplatesCmd {
    /// Every template: shipped, and yours from the templates folder beside config.toml
    List {
        #[command(flatten)]
        format: FormatArg,
    },
    /// One template as written, with where it comes from
    Show { name: String },
    /// The placeholders tend fills from what it knows
    Fields,
    /// Print a template filled for a ticket or an account
    #[command(group(clap::ArgGroup::new("target").required(true).args(["ticket", "account"])))]
    Render {
        name: String,
        #[arg(long)]
        ticket: Option<i64>,
        #[arg(long)]
        account: Option<i64>,
        /// Print even when placeholders are left for a person to fill
        #[arg(long)]
        allow_unfilled: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SequencesCmd {
    /// Enrol an account: one task per step, due that many days from today
    Enroll { account: i64, sequence: String },
    /// End an account's enrolment; its remaining steps are cancelled
    Unenroll { account: i64, sequence: String },
    /// Enrolments and their progress (active ones; --all for finished ones too)
    List {
        #[arg(long)]
        account: Option<i64>,
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        format: FormatArg,
    },
    /// The sequences the templates make up, with their steps
    Show,
}

/// How `tend tickets reply` delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DeliverArg {
    /// Pipe the message to [responses] send_command
    Send,
    /// Write the message to --out FILE (or the outbox)
    File,
    /// Only record it (sent some other way)
    Record,
}

pub fn templates_set() -> TemplateSet {
    TemplateSet::load(crate::config::templates_dir().as_deref())
}

fn warn_errors(set: &TemplateSet) {
    for e in &set.errors {
        crate::output::note(&format!("tend: warning: template skipped: {e}"));
    }
}

fn find<'a>(set: &'a TemplateSet, name: &str) -> Result<&'a Template> {
    set.get(name).ok_or_else(|| {
        anyhow::anyhow!(
            "there is no template '{name}'; `tend templates list` shows them ({})",
            set.templates
                .iter()
                .map(|t| t.slug.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

pub fn templates(ctx: &Context, cmd: &TemplatesCmd) -> Result<()> {
    let set = templates_set();
    warn_errors(&set);
    match cmd {
        TemplatesCmd::List { format } => {
            let rows: Vec<_> = set
                .templates
                .iter()
                .map(|t| {
                    serde_json::json!({
                        "name": t.slug, "title": t.name, "for": t.used_for.to_string(),
                        "subject": t.subject, "blanks": t.blanks, "source": t.source,
                    })
                })
                .collect();
            output::print_listing(format.format, &rows, || {
                let mut table = Table::new(vec!["NAME", "TITLE", "FOR", "SOURCE"]);
                for t in &set.templates {
                    table.push(vec![
                        t.slug.clone(),
                        t.name.clone(),
                        t.used_for.to_string(),
                        t.source.clone(),
                    ]);
                }
                table
            })?;
            Ok(())
        }
        TemplatesCmd::Show { name } => {
            let t = find(&set, name)?;
            outln!("# {} ({})", t.slug, t.source);
            crate::output::emit(&output::lines(&t.to_file()))?;
            Ok(())
        }
        TemplatesCmd::Fields => {
            let mut table = Table::new(vec!["PLACEHOLDER", "HOLDS"]);
            for (f, what) in FIELDS {
                table.push(vec![format!("{{{f}}}"), what.to_string()]);
            }
            output::emit(&table.render())?;
            Ok(())
        }
        TemplatesCmd::Render {
            name,
            ticket,
            account,
            allow_unfilled,
        } => {
            let t = find(&set, name)?;
            let facts = ctx.store.reply_facts(*ticket, *account)?;
            let c = responses::context(
                &facts,
                &ctx.config.sla,
                &ctx.config.health,
                &ctx.config.responses,
                ctx.store.actor(),
                ctx.now,
            );
            let r = t.render(&c);
            if !r.unfilled.is_empty() && !allow_unfilled {
                bail!(
                    "{} placeholder{} left to fill by hand: {}; edit the reply in the cockpit, or pass --allow-unfilled",
                    r.unfilled.len(),
                    if r.unfilled.len() == 1 { " is" } else { "s are" },
                    r.unfilled
                        .iter()
                        .map(|u| format!("{{{u}}}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            crate::output::emit(&output::lines(&crate::domain::template::compose_draft(
                &r.subject, &r.body,
            )))?;
            Ok(())
        }
    }
}

pub fn sequences(ctx: &Context, cmd: &SequencesCmd) -> Result<()> {
    let s = &ctx.store;
    match cmd {
        SequencesCmd::Enroll { account, sequence } => {
            let set = templates_set();
            warn_errors(&set);
            let steps = set.sequence_steps(sequence).map_err(anyhow::Error::msg)?;
            let a = s.account(*account)?;
            s.enroll(*account, sequence, &steps, None, ctx.now)?;
            outln!(
                "{} is enrolled in {sequence}: {} steps, from {} to {}.",
                output::line(&a.name),
                steps.len(),
                crate::store::day_of(ctx.now + i64::from(steps[0].day) * crate::domain::DAY),
                crate::store::day_of(
                    ctx.now + i64::from(steps.last().map(|x| x.day).unwrap_or(0)) * crate::domain::DAY
                )
            );
            Ok(())
        }
        SequencesCmd::Unenroll { account, sequence } => {
            let n = s.unenroll(*account, sequence, None, ctx.now)?;
            outln!(
                "Unenrolled from {sequence}; {n} remaining step{} cancelled.",
                if n == 1 { "" } else { "s" }
            );
            Ok(())
        }
        SequencesCmd::List { account, all, format } => {
            if let Some(a) = account {
                s.account(*a)?;
            }
            let list = s.enrollments(*account, *all)?;
            output::print_listing(format.format, &list, || {
                let mut table = Table::new(vec![
                    "ACCOUNT", "NAME", "SEQUENCE", "ENROLLED", "STATUS", "DONE", "NEXT",
                ]);
                for e in &list {
                    table.push(vec![
                        e.account_id.to_string(),
                        e.account_name.clone(),
                        e.sequence.clone(),
                        e.enrolled_on.clone(),
                        e.status.clone(),
                        format!("{}/{}", e.done, e.steps),
                        match (&e.next_due, &e.next_title) {
                            (Some(d), Some(t)) => format!("{d} {t}"),
                            _ => "-".into(),
                        },
                    ]);
                }
                table
            })?;
            Ok(())
        }
        SequencesCmd::Show => {
            let set = templates_set();
            warn_errors(&set);
            for name in set.sequences() {
                outln!("{name}:");
                for st in set.sequence_steps(&name).map_err(anyhow::Error::msg)? {
                    outln!(
                        "  day {:>3}  {} {}",
                        st.day,
                        crate::text::pad(&output::line(&st.template), 26),
                        output::line(&st.title)
                    );
                }
            }
            Ok(())
        }
    }
}

/// `tend tickets reply`: the body from stdin, or the step's template filled.
pub fn reply(
    ctx: &Context,
    id: i64,
    template: Option<&str>,
    deliver: DeliverArg,
    out: Option<&PathBuf>,
    allow_unfilled: bool,
    stdin_text: String,
) -> Result<()> {
    let s = &ctx.store;
    let ticket = s.ticket(id)?;
    let set = templates_set();
    warn_errors(&set);
    let t = match template {
        Some(n) => Some(find(&set, n)?),
        None => set.for_use(&crate::domain::template::Use::Step(ticket.step)),
    };
    let (draft, unfilled) = if !stdin_text.trim().is_empty() {
        let draft = if stdin_text.starts_with("Subject:") {
            stdin_text
        } else {
            crate::domain::template::compose_draft(&responses::re_subject(&ticket.subject), &stdin_text)
        };
        let unfilled = crate::domain::template::unfilled_in(&draft, |n| t.is_some_and(|t| t.knows(n)));
        (draft, unfilled)
    } else {
        let Some(t) = t else {
            bail!(
                "ticket {id} is at {}, which has no template; pipe the reply on stdin or pass --template",
                ticket.step.label()
            );
        };
        let facts = s.reply_facts(Some(id), None)?;
        let c = responses::context(
            &facts,
            &ctx.config.sla,
            &ctx.config.health,
            &ctx.config.responses,
            s.actor(),
            ctx.now,
        );
        // the template's own placeholders: a literal {{first_name}} is not one
        let r = t.render(&c);
        (crate::domain::template::compose_draft(&r.subject, &r.body), r.unfilled)
    };
    if !unfilled.is_empty() && !allow_unfilled {
        bail!(
            "the reply still has placeholders to fill: {}; pipe the finished text on stdin, or pass --allow-unfilled",
            unfilled
                .iter()
                .map(|u| format!("{{{u}}}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let r = OutgoingReply {
        ticket: Some(id),
        account: None,
        task: None,
        template: t.map(|t| t.slug.clone()),
        template_step: t.and_then(|t| t.used_for.step()),
        draft,
        version: None,
    };
    let via = match deliver {
        DeliverArg::Send => Via::Command,
        DeliverArg::Record => Via::Record,
        DeliverArg::File => Via::File(match out {
            Some(p) => p.clone(),
            None => responses::default_outbox_path(
                &ctx.config.responses,
                s.path().unwrap_or(std::path::Path::new("tend.db")),
                &r,
                ctx.now,
            ),
        }),
    };
    let msg = responses::deliver_and_record(s, &ctx.config.responses, &r, &via, ctx.now).map_err(anyhow::Error::msg)?;
    outln!("{msg}");
    Ok(())
}
