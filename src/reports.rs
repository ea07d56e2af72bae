//! The written reports, as Markdown: the Customer Success Plan, an account's quarterly
//! business review, and the day's review as a digest.

use crate::app::review::ReviewKind;
use crate::domain::churn;
use crate::domain::health::HealthRules;
use crate::domain::metrics::{Kpi, Status};
use crate::domain::trend;
use crate::domain::{DAY, Segment, Timestamp, day_string, format_time};
use crate::responses::TemplateSet;
use crate::store::{DebtEntry, Store, TagDetail, TicketFilter};

/// Text from outside on one line of a report: cleaned, or as stored with `--raw`.
fn one_line(s: &str) -> String {
    crate::output::line(s).into_owned()
}

/// A table cell: one line, pipes escaped.
fn cell(s: &str) -> String {
    one_line(s).replace('|', "\\|")
}

fn status_word(s: Option<Status>) -> &'static str {
    match s {
        Some(Status::Green) => "On target",
        Some(Status::Amber) => "Close",
        Some(Status::Red) => "Off target",
        None => "No data",
    }
}

/// "30d", "30", "4w" as days (1 to 365).
pub fn parse_period(s: &str) -> Result<i64, String> {
    let t = s.trim().to_ascii_lowercase();
    let (num, unit) = match t.strip_suffix('d') {
        Some(n) => (n, 1),
        None => match t.strip_suffix('w') {
            Some(n) => (n, 7),
            None => (t.as_str(), 1),
        },
    };
    num.trim()
        .parse::<i64>()
        .ok()
        .map(|n| n * unit)
        .filter(|d| (1..=365).contains(d))
        .ok_or_else(|| format!("'{s}' is not a period; write a number of days from 1 to 365, e.g. 7d, 30d, 90d"))
}

/// Whether a saved template speaks to a tag: every word of the tag in its name, file name
/// or subject.
fn template_for<'a>(templates: &'a TemplateSet, tag: &str) -> Option<&'a str> {
    let words: Vec<String> = tag
        .split(['-', '_', ' '])
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    templates
        .templates
        .iter()
        .find(|t| {
            let hay = format!("{} {} {}", t.slug, t.name, t.subject).to_ascii_lowercase();
            !words.is_empty() && words.iter().all(|w| hay.contains(w.as_str()))
        })
        .map(|t| t.name.as_str())
}

/// CS debt entries whose issue or pattern mentions the tag.
fn debt_for<'a>(debt: &'a [DebtEntry], tag: &str) -> Vec<&'a DebtEntry> {
    let needle = tag.replace(['-', '_'], " ").to_ascii_lowercase();
    debt.iter()
        .filter(|d| {
            let hay = format!("{} {}", d.issue, d.pattern)
                .replace(['-', '_'], " ")
                .to_ascii_lowercase();
            hay.contains(&needle)
        })
        .collect()
}

/// The framework's Customer Success Plan for the `days` up to `now`.
pub fn plan(
    store: &Store,
    rules: &HealthRules,
    templates: &TemplateSet,
    segment: Option<Segment>,
    days: i64,
    now: Timestamp,
) -> crate::store::Result<String> {
    let d = store.dashboard(rules, segment, days, now)?;
    let start = now - days * DAY;
    let issues = store.tag_details(segment, start, now)?;
    let before: std::collections::HashMap<String, u64> = store
        .tag_details(segment, start - days * DAY, start)?
        .into_iter()
        .map(|t| (t.tag, t.count))
        .collect();
    let debt = store.cs_debt()?;
    let mut md = String::from("# Customer Success Plan\n\n");
    md.push_str(&format!(
        "Period: the last {days} days, after {} up to {}, {}. Compared with the {days} days before.\n",
        d.from,
        d.to,
        segment.map(|s| s.label()).unwrap_or("all segments"),
    ));

    md.push_str(
        "\n## Current State\n\n| Metric | Current | Target | Status | Previous period |\n|---|---|---|---|---|\n",
    );
    for k in &d.kpis {
        let label = match k.kpi {
            Kpi::FirstResponseHours => "Avg first response",
            Kpi::ResolutionHours => "Avg resolution time",
            Kpi::CsatPercent => "CSAT",
            Kpi::Nps => "NPS",
            Kpi::MonthlyChurnPercent => "Churn rate (monthly)",
            Kpi::SupportLoadPercent => "Support load (tickets / active users, monthly)",
        };
        md.push_str(&format!(
            "| {label} | {} | {} | {} | {} |\n",
            k.value.map(|v| k.kpi.format(v)).unwrap_or_else(|| "no data".into()),
            k.kpi.target_label(),
            status_word(k.status),
            k.previous.map(|v| k.kpi.format(v)).unwrap_or_else(|| "no data".into()),
        ));
    }
    md.push_str(&format!(
        "\n{} tickets in the period, {:.0} a week. Staffing for that volume: {}.\n",
        d.current.tickets,
        d.tickets_per_week,
        d.staffing.advice()
    ));

    md.push_str("\n## Top Issues\n\n");
    let total: u64 = d.current.tickets.max(1);
    if issues.is_empty() {
        md.push_str("No tagged tickets in the period.\n");
    } else {
        md.push_str("| Issue | Frequency | Example | Resolution plan |\n|---|---|---|---|\n");
        for t in issues.iter().take(5) {
            let prev = before.get(&t.tag).copied().unwrap_or(0);
            let in_debt = debt_for(&debt, &t.tag);
            let plan = if !in_debt.is_empty() {
                format!(
                    "Deferred {} time{} in the CS debt log: schedule the root-cause fix",
                    in_debt.len(),
                    if in_debt.len() == 1 { "" } else { "s" }
                )
            } else if let Some(name) = template_for(templates, &t.tag) {
                format!(
                    "Answer with the saved reply \"{}\"; check it is still right",
                    cell(name)
                )
            } else if t.count >= prev.saturating_mul(3) / 2 && t.count >= prev + 3 {
                "Rising: find the cause this week, then write a saved reply and a help article".into()
            } else {
                "Write a saved reply and a help article; ask product whether a fix removes it".into()
            };
            md.push_str(&format!(
                "| {} | {} ({}% of tickets; {} before) | {} | {} |\n",
                cell(&t.tag),
                t.count,
                (t.count * 100 + total / 2) / total,
                prev,
                cell(&t.example),
                plan
            ));
        }
    }

    md.push_str("\n## Improvements\n\n");
    let mut improvements = Vec::new();
    // the CS debt log: one line per pattern (or issue), most recurrent first
    let mut seen = std::collections::HashSet::new();
    let mut by_recurrence: Vec<&DebtEntry> = debt.iter().collect();
    by_recurrence.sort_by(|a, b| b.recurrences.cmp(&a.recurrences).then_with(|| b.day.cmp(&a.day)));
    for e in by_recurrence {
        let key = if e.pattern.trim().is_empty() {
            &e.issue
        } else {
            &e.pattern
        };
        if !seen.insert(key.to_ascii_lowercase()) {
            continue;
        }
        improvements.push(format!(
            "- **{}** (CS debt, seen {} time{}): {}{}",
            one_line(key),
            e.recurrences,
            if e.recurrences == 1 { "" } else { "s" },
            if e.workaround.trim().is_empty() {
                "no workaround recorded".to_string()
            } else {
                format!("workaround today: {}", one_line(&e.workaround))
            },
            if e.why_deferred.trim().is_empty() {
                String::new()
            } else {
                format!("; deferred because {}", one_line(&e.why_deferred))
            }
        ));
    }
    // recurring tags that grew (the five largest)
    for t in issues
        .iter()
        .filter(|t| {
            let prev = before.get(&t.tag).copied().unwrap_or(0);
            t.count >= 3 && t.count >= prev + 3 && t.count >= prev.saturating_mul(3) / 2
        })
        .take(5)
    {
        let prev = before.get(&t.tag).copied().unwrap_or(0);
        if t.count >= 3 && t.count >= prev + 3 && t.count >= prev.saturating_mul(3) / 2 {
            improvements.push(format!(
                "- **{}** recurs more: {} tickets, {} the period before. Look for the cause.",
                one_line(&t.tag),
                t.count,
                prev
            ));
        }
    }
    if improvements.is_empty() {
        md.push_str("Nothing recurring: the CS debt log is empty and no issue is growing.\n");
    } else {
        md.push_str(&improvements.join("\n"));
        md.push('\n');
    }

    md.push_str("\n## Documentation Needed\n\n");
    let undocumented: Vec<&TagDetail> = issues
        .iter()
        .take(10)
        .filter(|t| t.count >= 3 && template_for(templates, &t.tag).is_none())
        .collect();
    if undocumented.is_empty() {
        md.push_str("Every frequent issue has a saved reply.\n");
    } else {
        for t in undocumented {
            md.push_str(&format!(
                "- **{}** ({} tickets, e.g. \"{}\"): no saved reply covers it\n",
                one_line(&t.tag),
                t.count,
                one_line(&t.example)
            ));
        }
    }
    Ok(md)
}

/// A quarterly business review of one account, over the 90 days up to `now`.
pub fn qbr(store: &Store, rules: &HealthRules, account: i64, now: Timestamp) -> crate::store::Result<String> {
    const QUARTER: i64 = 90;
    let a = store.account(account)?;
    let since = now - QUARTER * DAY;
    let since_day = day_string(since);
    let mut md = format!("# Quarterly business review: {}\n\n", one_line(&a.name));
    md.push_str(&format!(
        "{} · {} · {} plan · ${:.2}/month · owner {} · signed up {} · renews {}. Prepared {} over the last {QUARTER} days.\n",
        a.segment.label(),
        a.stage.label(),
        one_line(&a.plan),
        a.mrr_cents as f64 / 100.0,
        a.owner.as_deref().map(one_line).unwrap_or_else(|| "-".into()),
        a.signup_date,
        a.renewal_date.as_deref().unwrap_or("-"),
        format_time(now)
    ));

    md.push_str("\n## Health trend\n\n");
    let history = store.health_history(account)?;
    let points: Vec<trend::Point> = history.iter().map(|s| s.point()).collect();
    let quarter: Vec<trend::Point> = points.iter().copied().filter(|p| p.day > since_day.as_str()).collect();
    let series = trend::daily_series(&points, &day_string(now), QUARTER as usize);
    match (quarter.first(), quarter.last(), trend::direction(&series)) {
        (Some(first), Some(last), Some(dir)) => {
            md.push_str(&format!(
                "Health {} ({}) on {}, {} ({}) on {}: {}. `{}`\n",
                first.score,
                rules.tier(first.score).label(),
                first.day,
                last.score,
                rules.tier(last.score).label(),
                last.day,
                dir.label(),
                crate::ui::sparkline_gaps(&series).trim()
            ));
            md.push_str("\n| Month | Average health | Usage | Engagement | Payment |\n|---|---|---|---|---|\n");
            let mut months: Vec<(String, Vec<&trend::Point>)> = Vec::new();
            for p in &quarter {
                let m = p.day.get(..7).unwrap_or(p.day).to_string();
                match months.last_mut() {
                    Some((k, v)) if *k == m => v.push(p),
                    _ => months.push((m, vec![p])),
                }
            }
            for (m, ps) in months {
                let avg = |f: fn(&trend::Point) -> u32| ps.iter().map(|p| f(p) as f64).sum::<f64>() / ps.len() as f64;
                md.push_str(&format!(
                    "| {m} | {:.0} | {:.0} | {:.0} | {:.0} |\n",
                    avg(|p| p.score),
                    avg(|p| p.usage),
                    avg(|p| p.engagement),
                    avg(|p| p.payment)
                ));
            }
            let changes = trend::tier_changes(&quarter, rules);
            for c in &changes {
                md.push_str(&format!("\n- Health {}.", c.sentence()));
            }
            if !changes.is_empty() {
                md.push('\n');
            }
        }
        _ => md.push_str("No health snapshots in the quarter.\n"),
    }

    md.push_str("\n## Tickets and their outcomes\n\n");
    let mut tickets: Vec<_> = store
        .tickets(
            &TicketFilter {
                account: Some(account),
                all: true,
                ..Default::default()
            },
            now,
        )?
        .into_iter()
        .filter(|t| t.opened_at > since)
        .collect();
    tickets.sort_by_key(|t| (t.opened_at, t.id));
    if tickets.is_empty() {
        md.push_str("No tickets in the quarter.\n");
    } else {
        let resolved = tickets.iter().filter(|t| t.resolved_at.is_some()).count();
        md.push_str(&format!(
            "{} ticket{} opened, {resolved} resolved, {} still open.\n\n",
            tickets.len(),
            if tickets.len() == 1 { "" } else { "s" },
            tickets.iter().filter(|t| t.closed_at.is_none()).count()
        ));
        md.push_str(
            "| # | Opened | Subject | Outcome | First response | Resolved in | CSAT |\n|---|---|---|---|---|---|---|\n",
        );
        for t in &tickets {
            let hours = |secs: i64| format!("{:.1} h", secs as f64 / 3600.0);
            md.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} |\n",
                t.id,
                day_string(t.opened_at),
                cell(&t.subject),
                if t.closed_at.is_some() {
                    "Closed".to_string()
                } else {
                    format!("Open at {}", t.step.label())
                },
                t.first_response_at
                    .map(|f| hours(f - t.opened_at))
                    .unwrap_or_else(|| "-".into()),
                t.resolved_at
                    .map(|r| hours(r - t.opened_at - t.paused_secs))
                    .unwrap_or_else(|| "-".into()),
                t.csat.map(|c| format!("{c}/5")).unwrap_or_else(|| "-".into())
            ));
        }
    }

    md.push_str("\n## NPS and CSAT\n\n");
    let nps = store.account_scores(account, "nps", since, now)?;
    let csat = store.account_scores(account, "csat", since, now)?;
    let list = |xs: &[(Timestamp, i64)], suffix: &str| {
        xs.iter()
            .map(|(at, s)| format!("{s}{suffix} ({})", day_string(*at)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    md.push_str(&if nps.is_empty() {
        "- NPS: no answer in the quarter.\n".to_string()
    } else {
        let last = nps[nps.len() - 1].1;
        let kind = match last {
            9..=10 => "promoter",
            7..=8 => "passive",
            _ => "detractor",
        };
        format!("- NPS: latest {last} ({kind}); answers {}.\n", list(&nps, ""))
    });
    md.push_str(&if csat.is_empty() {
        "- CSAT: no rating in the quarter.\n".to_string()
    } else {
        let avg = csat.iter().map(|(_, s)| *s as f64).sum::<f64>() / csat.len() as f64;
        format!(
            "- CSAT: average {avg:.1}/5 from {} rating{}; {}.\n",
            csat.len(),
            if csat.len() == 1 { "" } else { "s" },
            list(&csat, "/5")
        )
    });

    md.push_str("\n## Goals\n\n");
    let investigations = store.investigations(Some(account))?;
    if investigations.is_empty() {
        md.push_str("No investigation has recorded the customer's goal yet: ask in the review.\n");
    } else {
        for i in &investigations {
            md.push_str(&format!(
                "- {} (investigation {}, {}, {}, opened {})\n",
                if i.goal.trim().is_empty() {
                    "(goal not written down)".to_string()
                } else {
                    one_line(&i.goal)
                },
                i.id,
                i.priority.as_deref().unwrap_or("no priority"),
                i.status,
                day_string(i.created_at)
            ));
        }
    }

    md.push_str("\n## Open risks\n\n");
    let mut risks = Vec::new();
    if let Some(score) = a.score {
        let tier = rules.tier(score);
        if matches!(tier, crate::domain::Tier::AtRisk | crate::domain::Tier::Critical) {
            risks.push(format!("- Health is {} ({score}).", tier.label()));
        }
    }
    for s in churn::warning_signs(&store.churn_facts(account, now)?) {
        risks.push(format!("- {}.", s.label()));
    }
    if let Some(l) = trend::leading_indicator(&points) {
        risks.push(format!("- Leading indicator: {l}."));
    }
    let breached = tickets
        .iter()
        .filter(|t| t.closed_at.is_none() && t.next_due.is_some_and(|d| d < now))
        .count();
    if breached > 0 {
        risks.push(format!(
            "- {breached} open ticket{} past its SLA.",
            if breached == 1 { "" } else { "s" }
        ));
    }
    let tasks = store.tasks_due(&day_string(now + 365 * DAY), Some(account))?;
    for t in tasks.iter().filter(|t| t.due_date.as_str() <= day_string(now).as_str()) {
        risks.push(format!("- Open task due {}: {}.", t.due_date, one_line(&t.title)));
    }
    md.push_str(&if risks.is_empty() {
        "None found.\n".to_string()
    } else {
        risks.join("\n") + "\n"
    });

    md.push_str("\n## Expansion signals\n\n");
    let mut signals = Vec::new();
    if let Some(score) = a.score.filter(|s| rules.tier(*s) == crate::domain::Tier::Healthy) {
        signals.push(format!("- Healthy ({score}): ready for a bigger conversation."));
    }
    if let Some(p) = points.last() {
        if p.usage >= 80 {
            signals.push(format!("- Usage at {} of 100.", p.usage));
        }
    }
    if nps.last().is_some_and(|(_, s)| *s >= 9) {
        signals.push("- A promoter: ask for a review, a referral or a case study.".to_string());
    }
    let requests = store.churn_facts(account, now)?.feature_requests_90d;
    if requests > 0 {
        signals.push(format!(
            "- {requests} feature request{} in the quarter: what they want next.",
            if requests == 1 { "" } else { "s" }
        ));
    }
    for e in store.revenue_events(account)?.iter().filter(|e| e.at > since) {
        if e.kind == "expansion" {
            signals.push(format!(
                "- Expanded on {}: ${:.2} to ${:.2} a month.",
                day_string(e.at),
                e.mrr_before as f64 / 100.0,
                e.mrr_after as f64 / 100.0
            ));
        }
    }
    md.push_str(&if signals.is_empty() {
        "None yet.\n".to_string()
    } else {
        signals.join("\n") + "\n"
    });
    Ok(md)
}

/// The day's review, as the cockpit's Today lists it: plain text, or Markdown for mail.
pub fn today(store: &Store, rules: &HealthRules, now: Timestamp, markdown: bool) -> crate::store::Result<String> {
    // the report lists the whole review, not the cockpit's share of it
    let none = std::collections::HashSet::new();
    let items = crate::app::data::load_review(store, rules, &none, usize::MAX, now)?.items;
    let day = day_string(now);
    let kinds = [
        (ReviewKind::Breached, "Breached SLAs", "breached"),
        (ReviewKind::SoonToBreach, "Due within two hours", "due soon"),
        (ReviewKind::FollowUpDue, "Follow-ups due", "to follow up"),
        (
            ReviewKind::DroppedTier,
            "Accounts that dropped a tier",
            "dropped a tier",
        ),
        (ReviewKind::Critical, "Critical accounts", "critical"),
        (ReviewKind::TaskDue, "Tasks due", "tasks"),
    ];
    let count = |k: ReviewKind| items.iter().filter(|i| i.kind == k).count();
    let summary = kinds
        .iter()
        .filter(|(k, _, _)| count(*k) > 0)
        .map(|(k, _, word)| format!("{} {word}", count(*k)))
        .collect::<Vec<_>>()
        .join(", ");
    let mut out = if markdown {
        format!("# Today, {day}\n\n")
    } else {
        format!("Today, {day}\n")
    };
    if items.is_empty() {
        out.push_str("Nothing to review: no breach, no drop, no task due.\n");
        return Ok(out);
    }
    out.push_str(&format!("{} to review: {summary}.\n", items.len()));
    for (kind, label, _) in kinds {
        let these: Vec<_> = items.iter().filter(|i| i.kind == kind).collect();
        if these.is_empty() {
            continue;
        }
        if markdown {
            out.push_str(&format!("\n## {label} ({})\n\n", these.len()));
        } else {
            out.push_str(&format!("\n{label} ({})\n", these.len()));
        }
        for i in these {
            let tier = i.tier.map(|t| format!(" [{}]", t.label())).unwrap_or_default();
            if markdown {
                out.push_str(&format!("- {}{tier}\n", one_line(&i.title).replace('|', "\\|")));
            } else {
                out.push_str(&format!("  {}{tier}\n", one_line(&i.title)));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        assert_eq!(parse_period("30d"), Ok(30));
        assert_eq!(parse_period("7"), Ok(7));
        assert_eq!(parse_period("2w"), Ok(14));
        assert_eq!(parse_period(" 90D "), Ok(90));
        assert!(parse_period("0d").is_err());
        assert!(parse_period("400d").unwrap_err().contains("1 to 365"));
        assert!(parse_period("month").is_err());
    }

    #[test]
    fn cells_stay_in_their_column() {
        assert_eq!(cell("a | b\nc"), "a \\| b c");
    }
}
