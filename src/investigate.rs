//! The Intent-First form's context, prefilled from what the store knows and the templates that
//! apply: journey, relationship history, existing processes.

use crate::domain::investigation::Answers;
use crate::responses::TemplateSet;
use crate::store::InvestigationFacts;

/// The prefilled context fields (journey, relationship history, processes that apply).
pub fn prefill(
    a: &mut Answers,
    f: &InvestigationFacts,
    templates: &TemplateSet,
    rules: &crate::domain::health::HealthRules,
) {
    if a.journey.trim().is_empty() {
        a.journey = match f.health {
            Some(h) => format!("{} stage; health {h} ({})", f.stage, rules.tier(h).label()),
            None => format!("{} stage; health not computed yet", f.stage),
        };
    }
    if a.history.trim().is_empty() {
        let mut parts = vec![format!("{} tickets ({} open)", f.tickets_total, f.tickets_open)];
        if !f.recent_tickets.is_empty() {
            parts.push(format!(
                "recent: {}",
                f.recent_tickets
                    .iter()
                    .map(|(id, s, d)| format!("#{id} {} ({d})", crate::text::one_line(s)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if let Some((score, day)) = &f.last_nps {
            parts.push(format!("last NPS {score} on {day}"));
        }
        if let (Some(b), Some(n)) = (f.health_30_days_ago, f.health) {
            parts.push(format!("health {b} -> {n} over 30 days"));
        }
        parts.push(format!("{} past investigation(s)", f.past_investigations));
        a.history = parts.join("; ");
    }
    if a.processes.trim().is_empty() {
        let mut names: Vec<String> = Vec::new();
        if let Some((_, _, step)) = &f.ticket {
            if let Ok(s) = step
                .to_ascii_lowercase()
                .replace(' ', "-")
                .parse::<crate::domain::Step>()
            {
                if let Some(t) = templates.for_use(&crate::domain::template::Use::Step(s)) {
                    names.push(format!("the {} template", t.name));
                }
            }
            names.push("the ticket SOP".into());
        }
        match f.stage.as_str() {
            "Onboarding" => names.push("the onboarding sequence".into()),
            _ if f.health.is_some_and(|h| {
                matches!(
                    rules.tier(h),
                    crate::domain::Tier::AtRisk | crate::domain::Tier::Critical
                )
            }) =>
            {
                names.push("the win-back sequence".into())
            }
            _ => {}
        }
        a.processes = names.join(", ");
    }
}
