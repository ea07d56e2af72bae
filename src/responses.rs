//! The template set (shipped ones, and the user's own from the config directory) and the
//! context a reply is filled from.

use crate::config::Responses;
use crate::domain::sla::{SlaTargets, human_duration};
use crate::domain::template::{Context, Template, TemplateError, Use};
use crate::domain::{DAY, HOUR, Step, Timestamp, format_time, health::HealthRules};
use crate::store::ReplyFacts;
use crate::text::one_line;
use std::path::{Path, PathBuf};

/// The shipped templates, embedded in the binary. A test checks this matches `assets/templates/`.
pub const BUILT_IN: &[(&str, &str)] = &[
    (
        "acknowledgment",
        include_str!("../assets/templates/acknowledgment.tmpl"),
    ),
    ("resolution", include_str!("../assets/templates/resolution.tmpl")),
    ("escalation", include_str!("../assets/templates/escalation.tmpl")),
    ("follow-up", include_str!("../assets/templates/follow-up.tmpl")),
    (
        "onboarding-welcome",
        include_str!("../assets/templates/onboarding-welcome.tmpl"),
    ),
    (
        "onboarding-quick-win",
        include_str!("../assets/templates/onboarding-quick-win.tmpl"),
    ),
    (
        "onboarding-tips",
        include_str!("../assets/templates/onboarding-tips.tmpl"),
    ),
    (
        "onboarding-check-in",
        include_str!("../assets/templates/onboarding-check-in.tmpl"),
    ),
    (
        "onboarding-success-story",
        include_str!("../assets/templates/onboarding-success-story.tmpl"),
    ),
    (
        "onboarding-upgrade",
        include_str!("../assets/templates/onboarding-upgrade.tmpl"),
    ),
    (
        "winback-noticed",
        include_str!("../assets/templates/winback-noticed.tmpl"),
    ),
    (
        "winback-missing",
        include_str!("../assets/templates/winback-missing.tmpl"),
    ),
    (
        "winback-founder-note",
        include_str!("../assets/templates/winback-founder-note.tmpl"),
    ),
    ("winback-offer", include_str!("../assets/templates/winback-offer.tmpl")),
    (
        "winback-survey",
        include_str!("../assets/templates/winback-survey.tmpl"),
    ),
    ("exit-survey", include_str!("../assets/templates/exit-survey.tmpl")),
];

/// The template each SOP step, and escalation, opens with by default.
pub fn default_slug(used_for: &Use) -> Option<&'static str> {
    match used_for {
        Use::Step(Step::Acknowledge) => Some("acknowledgment"),
        Use::Step(Step::Resolve) => Some("resolution"),
        Use::Step(Step::FollowUp) => Some("follow-up"),
        Use::Escalation => Some("escalation"),
        _ => None,
    }
}

/// Every template that loaded, and every file that did not (with file and line).
#[derive(Debug, Clone, Default)]
pub struct TemplateSet {
    pub templates: Vec<Template>,
    pub errors: Vec<TemplateError>,
    /// The folder user templates are read from (and saved to).
    pub dir: Option<PathBuf>,
}

impl TemplateSet {
    /// The shipped set, then the user's folder: a file with a shipped template's name
    /// replaces it, others add to the set. A malformed file is reported and skipped; a
    /// malformed override leaves the shipped template in place.
    pub fn load(dir: Option<&Path>) -> TemplateSet {
        let mut set = TemplateSet {
            dir: dir.map(Path::to_path_buf),
            ..Default::default()
        };
        for (slug, text) in BUILT_IN {
            match Template::parse(slug, &format!("built-in {slug}.tmpl"), text) {
                Ok(t) => set.templates.push(Template {
                    source: "built-in".into(),
                    ..t
                }),
                Err(e) => set.errors.push(e),
            }
        }
        if let Some(dir) = dir {
            set.load_dir(dir);
        }
        set.sort();
        set
    }

    fn load_dir(&mut self, dir: &Path) {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
            Err(e) => {
                self.errors.push(TemplateError {
                    file: dir.display().to_string(),
                    line: 0,
                    message: format!("cannot read the templates folder: {e}"),
                });
                return;
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "tmpl"))
            .collect();
        paths.sort();
        for path in paths {
            let file = path.display().to_string();
            let Some(slug) = path.file_stem().and_then(|s| s.to_str()).map(str::to_string) else {
                continue;
            };
            let parsed = std::fs::read(&path)
                .map_err(|e| TemplateError {
                    file: file.clone(),
                    line: 0,
                    message: format!("cannot read: {e}"),
                })
                .and_then(|bytes| {
                    String::from_utf8(bytes).map_err(|e| TemplateError {
                        file: file.clone(),
                        line: 0,
                        message: format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
                    })
                })
                .and_then(|text| Template::parse(&slug, &file, &text));
            match parsed {
                Ok(t) => {
                    self.templates.retain(|o| o.slug != t.slug);
                    self.templates.push(t);
                }
                Err(e) => self.errors.push(e),
            }
        }
    }

    fn sort(&mut self) {
        let rank = |t: &Template| match &t.used_for {
            Use::Step(s) => (0, s.index() as u32, String::new()),
            Use::Escalation => (1, 0, String::new()),
            Use::Sequence { name, day } => (2, *day, name.clone()),
            Use::Other(w) => (3, 0, w.clone()),
        };
        self.templates.sort_by(|a, b| {
            let (ra, rb) = (rank(a), rank(b));
            (ra.0, &ra.2, ra.1, &a.slug).cmp(&(rb.0, &rb.2, rb.1, &b.slug))
        });
    }

    /// A template by file name or display name (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&Template> {
        let n = name.trim();
        self.templates
            .iter()
            .find(|t| t.slug.eq_ignore_ascii_case(n))
            .or_else(|| self.templates.iter().find(|t| t.name.eq_ignore_ascii_case(n)))
    }

    /// The template a use opens with: its conventional one when present, else the first.
    pub fn for_use(&self, used_for: &Use) -> Option<&Template> {
        default_slug(used_for)
            .and_then(|s| self.templates.iter().find(|t| t.slug == s && t.used_for == *used_for))
            .or_else(|| self.templates.iter().find(|t| t.used_for == *used_for))
    }

    /// The steps of a sequence, by day.
    pub fn sequence(&self, name: &str) -> Vec<&Template> {
        let mut steps: Vec<&Template> = self
            .templates
            .iter()
            .filter(|t| t.used_for.sequence().is_some_and(|(n, _)| n == name))
            .collect();
        steps.sort_by_key(|t| (t.used_for.sequence().map(|(_, d)| d), t.slug.clone()));
        steps
    }

    /// The names of every sequence the templates make up.
    pub fn sequences(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .templates
            .iter()
            .filter_map(|t| t.used_for.sequence().map(|(n, _)| n.to_string()))
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Save a template to the user's folder as `<slug>.tmpl`; refuses to overwrite.
    pub fn save_new(&self, t: &Template) -> Result<PathBuf, String> {
        let dir = self
            .dir
            .as_ref()
            .ok_or("there is no configuration folder to keep templates in")?;
        if self.get(&t.slug).is_some() {
            return Err(format!(
                "a template named '{}' already exists; pick another name",
                t.slug
            ));
        }
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let path = dir.join(format!("{}.tmpl", t.slug));
        let text = t.to_file();
        // what is written must read back
        Template::parse(&t.slug, &path.display().to_string(), &text).map_err(|e| e.to_string())?;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(path)
    }
}

/// A file name from a display name: "Export fix (CSV)" -> "export-fix-csv".
pub fn slugify(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

fn money(cents: i64) -> String {
    let units = cents / 100;
    let mut digits = units.to_string();
    let mut out = String::new();
    while digits.len() > 3 {
        let tail = digits.split_off(digits.len() - 3);
        out = format!(",{tail}{out}");
    }
    format!("${digits}{out}")
}

fn within(secs: i64) -> String {
    if secs > 0 && secs % DAY == 0 && secs >= 2 * DAY {
        format!("within {} days", secs / DAY)
    } else if secs > 0 && secs % HOUR == 0 {
        let h = secs / HOUR;
        format!("within {h} hour{}", if h == 1 { "" } else { "s" })
    } else {
        format!("within {}", human_duration(secs))
    }
}

/// The first sentence of the customer's message (or the subject), short enough for a sentence.
pub fn issue_summary(subject: &str, body: &str) -> String {
    let body = one_line(body);
    let first = body
        .split_inclusive(['.', '?', '!'])
        .next()
        .unwrap_or("")
        .trim()
        .trim_end_matches(['.', '?', '!'])
        .trim();
    let s = if first.chars().count() >= 12 {
        first
    } else {
        subject.trim()
    };
    let words: Vec<&str> = s.split_whitespace().collect();
    let mut out = String::new();
    for w in words {
        if out.chars().count() + w.chars().count() > 100 {
            out.push('…');
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    // "Your export fails" reads better as "your export fails" mid-sentence (not "SSO")
    let mut chars = out.chars();
    match (chars.next(), chars.next()) {
        (Some(c), Some(d)) if c.is_uppercase() && d.is_lowercase() => {
            c.to_lowercase().chain(out.chars().skip(1)).collect()
        }
        _ => out,
    }
}

/// Fill a context from what the store knows, the SLA and the `[responses]` settings.
/// Every value that came from outside is cleaned for display.
pub fn context(
    facts: &ReplyFacts,
    sla: &SlaTargets,
    rules: &HealthRules,
    cfg: &Responses,
    actor: &str,
    now: Timestamp,
) -> Context {
    let mut c = Context::default();
    let a = &facts.account;
    c.set("company", one_line(&a.name));
    c.set("plan", one_line(&a.plan));
    c.set("stage", a.stage.label());
    c.set("segment", a.segment.as_str());
    if a.mrr_cents > 0 {
        c.set("mrr", money(a.mrr_cents));
    }
    c.set("signup_date", one_line(&a.signup_date));
    if let Some(r) = &a.renewal_date {
        c.set("renewal_date", one_line(r));
    }
    if let Some(s) = a.score {
        c.set("health_score", s.to_string());
        c.set("health_tier", rules.tier(s).label());
    }
    if let Some(f) = &facts.last_feature {
        c.set("last_feature", one_line(f));
    }
    if let Some(l) = a.last_login_at {
        c.set("last_login", crate::store::day_of(l));
        c.set("days_inactive", ((now - l).max(0) / DAY).to_string());
    }
    match &facts.contact {
        Some(ct) => {
            let name = one_line(&ct.name);
            c.set(
                "first_name",
                name.split_whitespace().next().unwrap_or("there").to_string(),
            );
            c.set("contact_name", name);
            if let Some(e) = &ct.email {
                c.set("contact_email", one_line(e));
            }
        }
        None => c.set("first_name", "there"),
    }
    if let Some(t) = &facts.ticket {
        c.set("ticket_id", t.id.to_string());
        c.set("ticket_subject", one_line(&t.subject));
        c.set("issue_summary", issue_summary(&t.subject, &t.body));
        c.set("channel", t.channel.as_str());
        match sla.first_response_target(t.channel) {
            Some(s) if s > 0 => c.set("response_time", within(s)),
            _ => {}
        }
        c.set("resolution_time", within(sla.resolution_secs));
        c.set("resolution_due", format_time(t.resolution_due + t.paused_secs));
        if let Some(r) = &facts.escalation_reason {
            c.set("escalation_reason", one_line(r));
        }
    }
    let agent = cfg
        .agent_name
        .clone()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| actor.to_string());
    c.set(
        "founder_name",
        cfg.founder_name.clone().unwrap_or_else(|| agent.clone()),
    );
    c.set("agent_name", agent);
    if let Some(p) = &cfg.product {
        c.set("product", p.clone());
    }
    if let Some(f) = &cfg.from {
        c.set("support_email", f.clone());
    }
    c.set("today", crate::store::day_of(now));
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_list_matches_the_folder() {
        let mut files: Vec<String> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/templates"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        let mut listed: Vec<String> = BUILT_IN.iter().map(|(s, _)| format!("{s}.tmpl")).collect();
        listed.sort();
        assert_eq!(files, listed);
    }

    #[test]
    fn shipped_set_loads_whole() {
        let set = TemplateSet::load(None);
        assert!(set.errors.is_empty(), "{:?}", set.errors);
        assert_eq!(set.templates.len(), BUILT_IN.len());
        let days = |s: &str| {
            set.sequence(s)
                .iter()
                .map(|t| t.used_for.sequence().map(|(_, d)| d).unwrap_or(999))
                .collect::<Vec<_>>()
        };
        assert_eq!(days("onboarding"), vec![0, 1, 3, 7, 14, 21]);
        assert_eq!(days("winback"), vec![1, 7, 14, 30, 60]);
        assert_eq!(set.sequences(), vec!["onboarding".to_string(), "winback".to_string()]);
        for (u, slug) in [
            (Use::Step(Step::Acknowledge), "acknowledgment"),
            (Use::Step(Step::Resolve), "resolution"),
            (Use::Step(Step::FollowUp), "follow-up"),
            (Use::Escalation, "escalation"),
        ] {
            assert_eq!(set.for_use(&u).map(|t| t.slug.as_str()), Some(slug));
        }
        assert!(set.get("exit-survey").is_some());
        assert_eq!(set.get("Follow-Up").map(|t| t.slug.as_str()), Some("follow-up"));
    }

    #[test]
    fn money_and_durations() {
        assert_eq!(money(125_000), "$1,250");
        assert_eq!(money(123_456_789), "$1,234,567");
        assert_eq!(money(5_00), "$5");
        assert_eq!(within(DAY), "within 24 hours");
        assert_eq!(within(HOUR), "within 1 hour");
        assert_eq!(within(3 * DAY), "within 3 days");
    }

    #[test]
    fn summaries() {
        assert_eq!(
            issue_summary(
                "Export fails",
                "The CSV export fails on large files. It worked last week."
            ),
            "the CSV export fails on large files"
        );
        assert_eq!(issue_summary("Export fails", "Help!"), "export fails");
        assert_eq!(
            issue_summary("SSO", "\u{1b}[31mRed\u{1b}[0m alert from the SSO page today"),
            "red alert from the SSO page today"
        );
        let long = "word ".repeat(60);
        assert!(issue_summary("s", &long).chars().count() <= 102);
    }

    #[test]
    fn slugs() {
        assert_eq!(slugify("Export fix (CSV)"), "export-fix-csv");
        assert_eq!(slugify("  --Ünïcode!! name "), "ünïcode-name");
    }
}
