//! The Intent-First investigation: understand what the customer is trying to achieve, rate the
//! impact, and get a priority, a recommended approach and the method's eight-row output table.
//!
//! The priority matrix gives five rows exactly (customer impact / relationship impact /
//! resource efficiency / process fit):
//!
//! | customer | relationship | efficiency | process fit       | priority |
//! |----------|--------------|------------|-------------------|----------|
//! | High     | High         | High       | needs improvement | Critical |
//! | High     | Medium       | High       | needs improvement | High     |
//! | Medium   | High         | High       | needs improvement | Medium   |
//! | High     | High         | Low        | needs improvement | Escalate |
//! | Low      | Low          | any        | adequate          | Standard |
//!
//! Every other combination follows one rule that agrees with them (see [`priority`]).

use super::{DAY, Timestamp};
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! word_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $word:literal, $label:literal;)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name { $(#[serde(rename = $word)] $variant),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $word),+ } }
            pub fn label(self) -> &'static str { match self { $($name::$variant => $label),+ } }
        }
        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                let w = s.trim().to_ascii_lowercase().replace([' ', '_'], "-");
                $(if w == $word { return Ok($name::$variant); })+
                Err(format!("'{s}' is not one of: {}", [$($word),+].join(", ")))
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.label()) }
        }
    };
}

word_enum!(
    /// Phase 1: what kind of situation this is.
    Situation {
        SupportRequest => "support-request", "Support request";
        OnboardingChallenge => "onboarding-challenge", "Onboarding challenge";
        AdoptionIssue => "adoption-issue", "Adoption issue";
        SuccessOpportunity => "success-opportunity", "Success opportunity";
    }
);

word_enum!(
    /// A phase 3 rating.
    Rating {
        High => "high", "High";
        Medium => "medium", "Medium";
        Low => "low", "Low";
    }
);

word_enum!(
    /// Whether an existing process can handle it.
    ProcessFit {
        Adequate => "adequate", "Existing process adequate";
        NeedsImprovement => "needs-improvement", "Needs improvement";
    }
);

word_enum!(
    /// The matrix's answer.
    Priority {
        Critical => "critical", "Critical";
        High => "high", "High";
        Medium => "medium", "Medium";
        Escalate => "escalate", "Escalate";
        Standard => "standard", "Standard";
    }
);

impl Rating {
    fn points(self) -> u8 {
        match self {
            Rating::High => 3,
            Rating::Medium => 2,
            Rating::Low => 1,
        }
    }
}

impl Priority {
    /// What the method says to do at this priority.
    pub fn approach(self) -> &'static str {
        match self {
            Priority::Critical => "Address immediately with an enhanced solution",
            Priority::High => "Resolve this week with an improved process",
            Priority::Medium => "Plan for next sprint",
            Priority::Escalate => "Escalate for resources or process improvement",
            Priority::Standard => "Standard resolution; monitor for patterns",
        }
    }

    /// Days until the follow-up check.
    pub fn follow_up_days(self) -> i64 {
        match self {
            Priority::Critical => 2,
            Priority::High | Priority::Escalate => 7,
            Priority::Medium => 14,
            Priority::Standard => 30,
        }
    }

    /// Whether the codebase-first checklist applies.
    pub fn needs_codebase_first(self) -> bool {
        matches!(self, Priority::Critical | Priority::High)
    }

    fn one_lower(self) -> Priority {
        match self {
            Priority::Critical => Priority::High,
            Priority::High => Priority::Medium,
            Priority::Medium | Priority::Standard => Priority::Standard,
            Priority::Escalate => Priority::High,
        }
    }
}

/// The priority for a set of ratings. Scalability informs the approach, not the priority.
///
/// The rule:
/// 1. Urgency is customer impact counted twice plus relationship impact (High 3, Medium 2,
///    Low 1): 9 is Critical, 8 High, 7 Medium, 6 or less Standard. Customer impact weighs
///    more, as the matrix has High/Medium above Medium/High.
/// 2. Low resource efficiency on a Critical or High situation means the team cannot solve it
///    well with what it has: Escalate.
/// 3. When an existing process is adequate, the process does the work: one level lower
///    (Critical to High, High to Medium, Medium to Standard), and nothing to escalate.
pub fn priority(customer: Rating, relationship: Rating, efficiency: Rating, fit: ProcessFit) -> Priority {
    let urgency = 2 * customer.points() + relationship.points();
    let level = match urgency {
        9 => Priority::Critical,
        8 => Priority::High,
        7 => Priority::Medium,
        _ => Priority::Standard,
    };
    match fit {
        ProcessFit::Adequate => level.one_lower(),
        ProcessFit::NeedsImprovement => {
            if efficiency == Rating::Low && matches!(level, Priority::Critical | Priority::High) {
                Priority::Escalate
            } else {
                level
            }
        }
    }
}

/// The quick filter's five checks.
pub const QUICK_FILTER: [&str; 5] = [
    "A simple workaround exists that does not affect core workflows",
    "The customer is achieving their primary outcomes",
    "Low impact on satisfaction and success metrics",
    "A full solution would cost disproportionately",
    "Existing processes handle it adequately",
];

/// The codebase-first rule, shown as a checklist for Critical and High.
pub const CODEBASE_FIRST: [&str; 5] = [
    "Use existing processes first",
    "Enhance incrementally",
    "Document the solution as a reusable response",
    "Build on the relationship",
    "Measure outcomes",
];

/// Every answer of the form. Text fields are free; ratings are words.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Answers {
    // phase 1
    pub situation: Option<Situation>,
    pub goal: String,
    pub journey: String,
    pub history: String,
    pub processes: String,
    // phase 2
    pub business_result: String,
    pub broader_success: String,
    pub resolution_customer: String,
    pub resolution_ours: String,
    pub deeper_value: String,
    pub existing_process: String,
    // phase 3
    pub customer_impact: Option<Rating>,
    pub relationship_impact: Option<Rating>,
    pub scalability: Option<Rating>,
    pub resource_efficiency: Option<Rating>,
    pub process_fit: Option<ProcessFit>,
    /// The five checks, in order.
    pub quick_filter: [bool; 5],
    /// Notes per output-table row, and assessments typed over the derived ones.
    pub notes: TableText,
    pub assessments: TableText,
    /// The CS debt entry, when minimal intervention.
    pub workaround: String,
    pub why_deferred: String,
    pub pattern: String,
}

/// Text per output-table row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TableText {
    pub customer_impact: String,
    pub relationship_impact: String,
    pub resource_efficiency: String,
    pub process_fit: String,
    pub business_outcome: String,
    pub approach: String,
    pub success_metrics: String,
    pub follow_up: String,
}

impl TableText {
    pub fn set(&mut self, i: usize, v: String) {
        let slot = match i {
            0 => &mut self.customer_impact,
            1 => &mut self.relationship_impact,
            2 => &mut self.resource_efficiency,
            3 => &mut self.process_fit,
            4 => &mut self.business_outcome,
            5 => &mut self.approach,
            6 => &mut self.success_metrics,
            _ => &mut self.follow_up,
        };
        *slot = v;
    }

    pub fn get(&self, i: usize) -> &str {
        match i {
            0 => &self.customer_impact,
            1 => &self.relationship_impact,
            2 => &self.resource_efficiency,
            3 => &self.process_fit,
            4 => &self.business_outcome,
            5 => &self.approach,
            6 => &self.success_metrics,
            _ => &self.follow_up,
        }
    }
}

/// The eight factors of the output table, in order.
pub const FACTORS: [&str; 8] = [
    "Customer Impact",
    "Relationship Impact",
    "Resource Efficiency",
    "Process Fit",
    "Business Outcome Connection",
    "Recommended Approach",
    "Success Metrics",
    "Follow-up Plan",
];

/// Read an answers file (TOML, the form's fields). The error is the parser's message, without
/// the file's name.
pub fn parse_answers(text: &str) -> Result<Answers, String> {
    toml::from_str(text).map_err(|e| e.message().to_string())
}

/// What the form still needs before it can be saved as open.
pub fn missing(a: &Answers) -> Vec<&'static str> {
    let mut m = Vec::new();
    if a.situation.is_none() {
        m.push("situation");
    }
    if a.goal.trim().is_empty() {
        m.push("goal");
    }
    if a.business_result.trim().is_empty() {
        m.push("business_result");
    }
    if a.customer_impact.is_none() {
        m.push("customer_impact");
    }
    if a.relationship_impact.is_none() {
        m.push("relationship_impact");
    }
    if a.scalability.is_none() {
        m.push("scalability");
    }
    if a.resource_efficiency.is_none() {
        m.push("resource_efficiency");
    }
    if a.process_fit.is_none() {
        m.push("process_fit");
    }
    m
}

/// The result of the form so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub priority: Option<Priority>,
    /// All five quick-filter checks hold: a basic resolution and a CS debt entry.
    pub minimal: bool,
    pub approach: Option<String>,
    pub follow_up_due: Option<String>,
    /// (factor, assessment, notes), eight rows.
    pub table: Vec<(&'static str, String, String)>,
}

/// What the answers give, with the account's health for the success metrics, on `now`.
pub fn evaluate(a: &Answers, health: Option<u32>, now: Timestamp) -> Outcome {
    let minimal = a.quick_filter.iter().all(|x| *x);
    let matrix = match (
        a.customer_impact,
        a.relationship_impact,
        a.resource_efficiency,
        a.process_fit,
    ) {
        (Some(c), Some(r), Some(e), Some(p)) => Some(priority(c, r, e, p)),
        _ => None,
    };
    let priority = if minimal { Some(Priority::Standard) } else { matrix };
    let approach = if minimal {
        Some("Minimal intervention: a basic resolution, logged in the CS debt log".to_string())
    } else {
        priority.map(|p| {
            let mut s = p.approach().to_string();
            if a.scalability == Some(Rating::High) {
                s.push_str("; make it a reusable process");
            }
            s
        })
    };
    let follow_up_due = priority.map(|p| crate::domain::day_string(now + p.follow_up_days() * DAY));
    let rating = |r: Option<Rating>| r.map(|r| r.label().to_string()).unwrap_or_default();
    let derived: [String; 8] = [
        rating(a.customer_impact),
        rating(a.relationship_impact),
        rating(a.resource_efficiency),
        a.process_fit.map(|p| p.label().to_string()).unwrap_or_default(),
        a.business_result.trim().to_string(),
        match (&priority, &approach) {
            (Some(p), Some(ap)) => format!("{}: {ap}", p.label()),
            _ => String::new(),
        },
        match health {
            Some(h) => format!("Health up from {h}; resolved within SLA; CSAT 4 or better"),
            None => "Resolved within SLA; CSAT 4 or better".to_string(),
        },
        follow_up_due
            .as_ref()
            .map(|d| format!("Check in on {d}"))
            .unwrap_or_default(),
    ];
    let table = FACTORS
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let typed = a.assessments.get(i).trim();
            let assessment = if typed.is_empty() {
                derived[i].clone()
            } else {
                typed.to_string()
            };
            (*f, assessment, a.notes.get(i).trim().to_string())
        })
        .collect();
    Outcome {
        priority,
        minimal,
        approach,
        follow_up_due,
        table,
    }
}

fn cell(s: &str) -> String {
    let one = s.split_whitespace().collect::<Vec<_>>().join(" ");
    one.replace('|', "\\|")
}

/// The method's output table in Markdown, with the context above it.
pub fn markdown(title: &str, a: &Answers, o: &Outcome) -> String {
    let mut out = format!("# Intent-First investigation: {}\n\n", cell(title));
    let field = |out: &mut String, label: &str, v: &str| {
        if !v.trim().is_empty() {
            out.push_str(&format!("- **{label}:** {}\n", cell(v)));
        }
    };
    out.push_str("## Context\n\n");
    field(&mut out, "Situation", a.situation.map(|s| s.label()).unwrap_or(""));
    field(&mut out, "Customer goal", &a.goal);
    field(&mut out, "Journey", &a.journey);
    field(&mut out, "Relationship history", &a.history);
    field(&mut out, "Existing processes", &a.processes);
    out.push_str("\n## Outcome analysis\n\n");
    field(&mut out, "Business result they want", &a.business_result);
    field(&mut out, "How it relates to their broader success", &a.broader_success);
    field(&mut out, "Resolution from their side", &a.resolution_customer);
    field(&mut out, "Resolution from ours", &a.resolution_ours);
    field(&mut out, "Deeper value", &a.deeper_value);
    field(&mut out, "Can an existing process solve it", &a.existing_process);
    out.push_str(&format!(
        "\n**Priority:** {}{}\n\n",
        o.priority.map(|p| p.label()).unwrap_or("not rated yet"),
        if o.minimal {
            " (quick filter: minimal intervention)"
        } else {
            ""
        }
    ));
    out.push_str("| Factor | Assessment | Notes |\n|---|---|---|\n");
    for (f, assessment, notes) in &o.table {
        out.push_str(&format!("| {f} | {} | {} |\n", cell(assessment), cell(notes)));
    }
    if o.priority.is_some_and(|p| p.needs_codebase_first()) {
        out.push_str("\n## Codebase first\n\n");
        for c in CODEBASE_FIRST {
            out.push_str(&format!("- [ ] {c}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProcessFit::*;
    use Rating::*;

    #[test]
    fn the_five_rows_of_the_method_exactly() {
        assert_eq!(priority(High, High, High, NeedsImprovement), Priority::Critical);
        assert_eq!(priority(High, Medium, High, NeedsImprovement), Priority::High);
        assert_eq!(priority(Medium, High, High, NeedsImprovement), Priority::Medium);
        assert_eq!(priority(High, High, Low, NeedsImprovement), Priority::Escalate);
        for e in Rating::ALL {
            assert_eq!(
                priority(Low, Low, *e, Adequate),
                Priority::Standard,
                "Low/Low/{e:?}/adequate"
            );
        }
    }

    #[test]
    fn every_combination_has_one_priority_and_the_rule_is_monotonic() {
        let mut seen = 0;
        for c in Rating::ALL {
            for r in Rating::ALL {
                for e in Rating::ALL {
                    for p in ProcessFit::ALL {
                        let got = priority(*c, *r, *e, *p);
                        seen += 1;
                        // an adequate process never escalates and is never Critical
                        if *p == Adequate {
                            assert!(
                                !matches!(got, Priority::Escalate | Priority::Critical),
                                "{c:?}{r:?}{e:?}"
                            );
                        }
                        // escalation only for high impact with low efficiency
                        if got == Priority::Escalate {
                            assert_eq!(*e, Low);
                            assert_eq!(*c, High);
                        }
                        // low customer impact is never above Standard
                        if *c == Low {
                            assert_eq!(got, Priority::Standard, "{c:?}{r:?}{e:?}{p:?}");
                        }
                    }
                }
            }
        }
        assert_eq!(seen, 54);
        // a table of the whole matrix for needs-improvement and high efficiency
        let expect = [
            ((High, High), Priority::Critical),
            ((High, Medium), Priority::High),
            ((High, Low), Priority::Medium),
            ((Medium, High), Priority::Medium),
            ((Medium, Medium), Priority::Standard),
            ((Medium, Low), Priority::Standard),
        ];
        for ((c, r), want) in expect {
            assert_eq!(priority(c, r, High, NeedsImprovement), want, "{c:?}/{r:?}");
            assert_eq!(
                priority(c, r, Medium, NeedsImprovement),
                want,
                "{c:?}/{r:?} medium efficiency"
            );
        }
        assert_eq!(priority(High, Medium, Low, NeedsImprovement), Priority::Escalate);
        assert_eq!(priority(High, Low, Low, NeedsImprovement), Priority::Medium);
        assert_eq!(priority(High, High, High, Adequate), Priority::High);
        assert_eq!(priority(High, High, Low, Adequate), Priority::High);
        assert_eq!(priority(High, Medium, High, Adequate), Priority::Medium);
        assert_eq!(priority(Medium, High, High, Adequate), Priority::Standard);
    }

    fn rated() -> Answers {
        Answers {
            situation: Some(Situation::SupportRequest),
            goal: "Ship the monthly board report on time".into(),
            business_result: "A board pack every month without manual work".into(),
            customer_impact: Some(High),
            relationship_impact: Some(Medium),
            scalability: Some(High),
            resource_efficiency: Some(High),
            process_fit: Some(NeedsImprovement),
            ..Default::default()
        }
    }

    #[test]
    fn the_quick_filter_means_minimal_intervention() {
        let mut a = rated();
        a.quick_filter = [true, true, true, true, false];
        let o = evaluate(&a, Some(52), 0);
        assert!(!o.minimal);
        assert_eq!(o.priority, Some(Priority::High));
        a.quick_filter = [true; 5];
        let o = evaluate(&a, Some(52), 0);
        assert!(o.minimal);
        assert_eq!(o.priority, Some(Priority::Standard));
        assert!(o.approach.unwrap().starts_with("Minimal intervention"));
    }

    #[test]
    fn the_table_derives_and_takes_typed_text() {
        let mut a = rated();
        let o = evaluate(&a, Some(52), 0);
        assert_eq!(o.table.len(), 8);
        assert_eq!(o.table[0], ("Customer Impact", "High".to_string(), String::new()));
        assert_eq!(o.table[3].1, "Needs improvement");
        assert_eq!(o.table[4].1, "A board pack every month without manual work");
        assert_eq!(
            o.table[5].1,
            "High: Resolve this week with an improved process; make it a reusable process"
        );
        assert!(o.table[6].1.contains("Health up from 52"));
        assert_eq!(o.table[7].1, "Check in on 1970-01-08");
        assert_eq!(o.follow_up_due.as_deref(), Some("1970-01-08"));
        a.assessments.success_metrics = "Board pack sent by the 3rd".into();
        a.notes.customer_impact = "Blocks | the CFO".into();
        let o = evaluate(&a, None, 0);
        assert_eq!(o.table[6].1, "Board pack sent by the 3rd");
        let md = markdown("Acme | Q3", &a, &o);
        assert!(md.contains("| Customer Impact | High | Blocks \\| the CFO |"), "{md}");
        assert!(md.contains("# Intent-First investigation: Acme \\| Q3"));
        assert!(md.contains("## Codebase first"));
        assert!(md.contains("- [ ] Document the solution as a reusable response"));
    }

    #[test]
    fn missing_fields_are_named() {
        assert_eq!(missing(&rated()), Vec::<&str>::new());
        let m = missing(&Answers::default());
        assert_eq!(m[0], "situation");
        assert_eq!(m.len(), 8);
        assert!(evaluate(&Answers::default(), None, 0).priority.is_none());
    }

    #[test]
    fn answers_read_from_toml() {
        let a: Answers = toml::from_str(
            "situation = \"adoption-issue\"\ngoal = \"g\"\ncustomer_impact = \"high\"\nprocess_fit = \"adequate\"\nquick_filter = [true, false, true, true, true]\n[notes]\nfollow_up = \"call\"\n",
        )
        .unwrap();
        assert_eq!(a.situation, Some(Situation::AdoptionIssue));
        assert_eq!(a.process_fit, Some(Adequate));
        assert_eq!(a.notes.follow_up, "call");
        assert!(toml::from_str::<Answers>("customer_impact = \"huge\"").is_err());
        assert!(toml::from_str::<Answers>("nonsense = 1").is_err());
    }
}
