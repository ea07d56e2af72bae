//! The template set (shipped ones, and the user's own from the config directory) and the
//! context a reply is filled from.

use crate::config::Responses;
use crate::domain::sla::{SlaTargets, human_duration};
use crate::domain::template::{Context, Template, TemplateError, Use};
use crate::domain::{DAY, HOUR, Step, Timestamp, format_time, health::HealthRules};
use crate::store::{Delivery, ReplyFacts};
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
    (
        "recovery-check-in",
        include_str!("../assets/templates/recovery-check-in.tmpl"),
    ),
    (
        "qbr-invitation",
        include_str!("../assets/templates/qbr-invitation.tmpl"),
    ),
    (
        "expansion-proposal",
        include_str!("../assets/templates/expansion-proposal.tmpl"),
    ),
    (
        "review-request",
        include_str!("../assets/templates/review-request.tmpl"),
    ),
    (
        "payment-failed",
        include_str!("../assets/templates/payment-failed.tmpl"),
    ),
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

    /// The steps an enrolment in `sequence` schedules: one per template, by day.
    pub fn sequence_steps(&self, sequence: &str) -> Result<Vec<crate::store::SequenceStep>, String> {
        let steps: Vec<crate::store::SequenceStep> = self
            .sequence(sequence)
            .iter()
            .filter_map(|t| {
                t.used_for.sequence().map(|(name, day)| {
                    let mut title: Vec<char> = name.chars().collect();
                    if let Some(c) = title.first_mut() {
                        *c = c.to_ascii_uppercase();
                    }
                    crate::store::SequenceStep {
                        day,
                        template: t.slug.clone(),
                        title: format!("{} day {day}: {}", title.iter().collect::<String>(), t.name),
                    }
                })
            })
            .collect();
        if steps.is_empty() {
            return Err(format!(
                "there is no sequence '{sequence}'; the sequences are {}",
                self.sequences().join(", ")
            ));
        }
        Ok(steps)
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

/// The issue in the customer's own words, as a quotation of the subject (without Re:/Fwd:),
/// cut at a word near 100 characters. The first sentence of an email is rarely the issue
/// ("Hi, since this morning..."), while its subject usually is.
pub fn issue_summary(subject: &str) -> String {
    let mut s = one_line(subject).trim().to_string();
    loop {
        let lower = s.to_ascii_lowercase();
        let cut = ["re:", "fwd:", "fw:", "aw:", "sv:"]
            .iter()
            .find(|p| lower.starts_with(**p))
            .map(|p| p.len());
        match cut {
            Some(n) => s = s[n..].trim_start().to_string(),
            None => break,
        }
    }
    let mut out = String::new();
    for w in s.split_whitespace() {
        if out.chars().count() + w.chars().count() > 100 {
            out.push('…');
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    if out.is_empty() { out } else { format!("\"{out}\"") }
}

/// The longest value from outside (a name, a subject) filled into a reply; a longer one is
/// cut with `…`.
pub const VALUE_MAX: usize = 300;

/// A value from outside as a reply shows it: one line, cleaned, at most [`VALUE_MAX`] columns.
fn one_line(s: &str) -> String {
    crate::text::one_line_max(s, VALUE_MAX)
}

/// The subject of a reply to a message with this subject: `Re: ` and the subject on one
/// cleaned line (a subject with a newline must not add header lines to the reply).
pub fn re_subject(subject: &str) -> String {
    format!("Re: {}", one_line(subject))
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
        c.set("issue_summary", issue_summary(&t.subject));
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

/// A reply on its way out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingReply {
    pub ticket: Option<i64>,
    pub account: Option<i64>,
    pub task: Option<i64>,
    pub template: Option<String>,
    /// The SOP step the template answers (a reply for the ticket's own step ticks its items).
    pub template_step: Option<Step>,
    /// The edited draft: a `Subject:` line, a blank line, the body.
    pub draft: String,
    /// The version of the ticket (or account) the reply was written against; None: unchecked.
    pub version: Option<i64>,
}

/// How a reply leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// Already put on the terminal's clipboard (OSC 52) by the caller.
    Clipboard,
    /// Written as an RFC 5322 message to this file.
    File(PathBuf),
    /// Piped to `[responses] send_command`.
    Command,
    /// Only recorded (sent some other way).
    Record,
}

/// `~/x` as the home folder's `x`.
fn expand_home(p: &Path) -> PathBuf {
    match (p.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => p.to_path_buf(),
    }
}

/// Where "write to a file" puts a reply by default.
pub fn default_outbox_path(cfg: &Responses, db: &Path, r: &OutgoingReply, now: Timestamp) -> PathBuf {
    let dir = cfg
        .outbox
        .clone()
        .unwrap_or_else(|| db.parent().unwrap_or(Path::new(".")).join("outbox"));
    let what = match (r.ticket, r.account) {
        (Some(t), _) => format!("ticket-{t}"),
        (None, Some(a)) => format!("account-{a}"),
        (None, None) => "reply".into(),
    };
    let stamp = chrono::DateTime::from_timestamp(now, 0)
        .map(|d| d.format("%Y%m%d-%H%M%S").to_string())
        .unwrap_or_else(|| now.to_string());
    dir.join(format!("{what}-{stamp}.eml"))
}

/// Why a reply did not go as asked.
#[derive(Debug)]
pub enum SendError {
    /// Refused by the store before it left: what it answers changed since the writer read it
    /// (`StoreError::Stale`), or another process held the lock (`is_busy`), or another fault.
    Store(crate::store::StoreError),
    /// Anything else, in a sentence (the reply did not leave, or left and could not be recorded).
    Other(String),
}

impl From<crate::store::StoreError> for SendError {
    fn from(e: crate::store::StoreError) -> Self {
        SendError::Store(e)
    }
}

impl From<String> for SendError {
    fn from(e: String) -> Self {
        SendError::Other(e)
    }
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Store(e) => e.fmt(f),
            SendError::Other(s) => f.write_str(s),
        }
    }
}

impl SendError {
    pub fn is_stale(&self) -> bool {
        matches!(self, SendError::Store(crate::store::StoreError::Stale { .. }))
    }
}

/// Deliver a reply and record it, under the write lock taken before it leaves: refused (not
/// sent) when what it answers changed since `r.version`; nothing is recorded when delivery
/// fails, so the draft stays. Returns a sentence for the status line.
pub fn deliver_and_record(
    store: &crate::store::Store,
    cfg: &Responses,
    r: &OutgoingReply,
    via: &Via,
    now: Timestamp,
) -> Result<String, SendError> {
    let facts = store.reply_facts(r.ticket, r.account)?;
    let fallback = match &facts.ticket {
        Some(t) => re_subject(&t.subject),
        None => one_line(&facts.account.name),
    };
    let (subject, body) = crate::domain::template::split_draft(&r.draft, &fallback);
    if body.trim().is_empty() {
        return Err("the reply is empty".to_string().into());
    }
    let to = facts.contact.as_ref().and_then(|c| {
        c.email
            .as_ref()
            .map(|e| format!("{} <{}>", one_line(&c.name).replace(['<', '>', '"'], ""), one_line(e)))
    });
    let out = crate::deliver::Outgoing {
        from: cfg.from.clone(),
        to: to.clone(),
        subject: subject.clone(),
        body: body.clone(),
        in_reply_to: facts.message_id.clone(),
        message_id: crate::deliver::new_message_id(cfg.from.as_deref(), now),
        date: now,
    };
    let mut how = String::new();
    let deliver = || -> Result<crate::store::NewReply, SendError> {
        let delivery = match via {
            Via::Clipboard => {
                how = "copied to the clipboard".to_string();
                Delivery::Clipboard
            }
            Via::Record => {
                how = "recorded".to_string();
                Delivery::Recorded
            }
            Via::File(path) => {
                let bytes = out.to_rfc5322()?;
                let p = crate::deliver::write_file(&expand_home(path), &bytes)?;
                how = format!("written to {}", p.display());
                Delivery::File
            }
            Via::Command => {
                let command = cfg
                    .send_command
                    .as_deref()
                    .filter(|c| !c.trim().is_empty())
                    .ok_or("no send command is set: add send_command = \"msmtp -t\" (or your own) under [responses] in config.toml".to_string())?;
                if to.is_none() {
                    return Err(format!(
                        "{} has no contact with an email address to send to; copy the reply instead",
                        one_line(&facts.account.name)
                    )
                    .into());
                }
                let bytes = out.to_rfc5322()?;
                crate::deliver::send_with(command, &bytes)?;
                how = format!("sent with `{command}`");
                Delivery::Command
            }
        };
        Ok(crate::store::NewReply {
            account_id: facts.account.id,
            ticket_id: r.ticket,
            task_id: r.task,
            template: r.template.clone(),
            template_step: r.template_step,
            subject: subject.clone(),
            body: body.clone(),
            to: to.clone(),
            message_id: matches!(delivery, Delivery::File | Delivery::Command).then(|| out.message_id.clone()),
            delivery,
        })
    };
    let recorded = match store.send_reply(r.ticket, r.account.or(Some(facts.account.id)), r.version, deliver, now) {
        Ok(rec) => rec,
        Err((e, false)) => return Err(e),
        Err((e, true)) => return Err(format!("the reply was {how} but could not be recorded: {e}").into()),
    };
    let mut msg = match r.ticket {
        Some(t) => format!("Reply to #{t} {how}"),
        None => format!("Message to {} {how}", one_line(&facts.account.name)),
    };
    if recorded.first_response {
        msg.push_str("; first response recorded");
    }
    if !recorded.ticked.is_empty() {
        msg.push_str(&format!("; ticked: {}", recorded.ticked.join(", ")));
    }
    if recorded.task_done {
        msg.push_str("; task done");
    }
    msg.push('.');
    Ok(msg)
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
        assert_eq!(issue_summary("Re: RE: Fwd: Export fails"), "\"Export fails\"");
        assert_eq!(issue_summary("\u{1b}[31mRed\u{1b}[0m alert"), "\"Red alert\"");
        assert_eq!(issue_summary("   "), "");
        let long = "word ".repeat(60);
        assert!(issue_summary(&long).chars().count() <= 104);
    }

    #[test]
    fn slugs() {
        assert_eq!(slugify("Export fix (CSV)"), "export-fix-csv");
        assert_eq!(slugify("  --Ünïcode!! name "), "ünïcode-name");
    }
}
