//! Response templates: parsing their file form, and filling their placeholders.
//!
//! A template file is a few `key: value` header lines, a blank line, then the body:
//!
//! ```text
//! name: Acknowledgment
//! for: acknowledge
//! subject: Re: {ticket_subject}
//!
//! Hi {first_name}, ...
//! ```
//!
//! `for` says where the template belongs: an SOP step (`acknowledge`, `diagnose`, `resolve`,
//! `follow-up`), `escalation`, a sequence step (`onboarding day 3`), or any other word
//! (`exit-survey`, `general`). `blanks` lists placeholders only a person can fill (a
//! workaround, an explanation). `{name}` is a placeholder; `{{` and `}}` are literal braces.
//! Every placeholder must be a context field or a declared blank.

use super::Step;
use std::collections::BTreeMap;
use std::fmt;

/// Where a template belongs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Use {
    Step(Step),
    Escalation,
    Sequence { name: String, day: u32 },
    Other(String),
}

impl Use {
    pub fn parse(s: &str) -> Result<Use, String> {
        let s = s.trim().to_ascii_lowercase();
        if s == "escalation" {
            return Ok(Use::Escalation);
        }
        if let Ok(step) = s.parse::<Step>() {
            if step == Step::Closed {
                return Err("a closed ticket takes no reply; use follow-up".into());
            }
            return Ok(Use::Step(step));
        }
        let words: Vec<&str> = s.split_whitespace().collect();
        match words.as_slice() {
            [name, "day", n] if is_word(name) => {
                let day = n
                    .parse::<u32>()
                    .map_err(|_| format!("'{n}' is not a day number (write e.g. `onboarding day 3`)"))?;
                Ok(Use::Sequence {
                    name: name.to_string(),
                    day,
                })
            }
            [word] if is_word(word) => Ok(Use::Other(word.to_string())),
            _ => Err(format!(
                "'{s}' is not a use: write a step (acknowledge, diagnose, resolve, follow-up), \
                 escalation, a sequence step such as `onboarding day 3`, or one word such as general"
            )),
        }
    }

    /// The SOP step a reply with this template answers, if any.
    pub fn step(&self) -> Option<Step> {
        match self {
            Use::Step(s) => Some(*s),
            _ => None,
        }
    }

    pub fn sequence(&self) -> Option<(&str, u32)> {
        match self {
            Use::Sequence { name, day } => Some((name, *day)),
            _ => None,
        }
    }
}

impl fmt::Display for Use {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Use::Step(s) => f.write_str(s.as_str()),
            Use::Escalation => f.write_str("escalation"),
            Use::Sequence { name, day } => write!(f, "{name} day {day}"),
            Use::Other(w) => f.write_str(w),
        }
    }
}

fn is_word(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The placeholders tend fills from what it knows, with what each holds.
pub const FIELDS: &[(&str, &str)] = &[
    ("company", "the customer's account name"),
    ("contact_name", "the contact's full name"),
    (
        "first_name",
        "the contact's first name (\"there\" when no contact is known)",
    ),
    ("contact_email", "the contact's email address"),
    ("plan", "the account's plan"),
    ("stage", "the account's lifecycle stage"),
    ("segment", "enterprise, smb or self-serve"),
    ("mrr", "monthly recurring revenue, e.g. $1,250"),
    ("signup_date", "when the account signed up"),
    ("renewal_date", "the account's renewal date"),
    ("health_score", "the latest health score, 0-100"),
    ("health_tier", "Healthy, Neutral, At risk or Critical"),
    ("last_feature", "the feature the account used most recently"),
    ("last_login", "the day of the account's last login"),
    ("days_inactive", "days since the last login"),
    ("ticket_id", "the ticket's number"),
    ("ticket_subject", "the ticket's subject"),
    (
        "issue_summary",
        "the first sentence of the customer's message, or the subject",
    ),
    ("channel", "chat, email, call or self-serve"),
    (
        "response_time",
        "the first-response target for the ticket's channel, e.g. within 1 hour",
    ),
    ("resolution_time", "the resolution target, e.g. within 24 hours"),
    ("resolution_due", "when the ticket is due to be resolved"),
    ("escalation_reason", "the reason given when the ticket was escalated"),
    ("agent_name", "your name ([responses] agent_name, else your login)"),
    (
        "founder_name",
        "the founder's name ([responses] founder_name, else agent_name)",
    ),
    ("product", "your product's name ([responses] product)"),
    ("support_email", "your support address ([responses] from)"),
    ("today", "today's date"),
];

pub fn is_field(name: &str) -> bool {
    FIELDS.iter().any(|(f, _)| *f == name)
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// The file stem: how the template is named on the command line and overridden.
    pub slug: String,
    pub name: String,
    pub used_for: Use,
    pub subject: String,
    pub body: String,
    /// Placeholders a person fills, declared by the template.
    pub blanks: Vec<String>,
    /// Where it came from: `built-in` or a file path.
    pub source: String,
}

/// A template file that could not be read, with where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

impl std::error::Error for TemplateError {}

/// A piece of template text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Placeholder(String),
}

/// Split text into literal pieces and placeholders. Errors carry a line offset (0-based)
/// within `text` and a message.
pub fn pieces(text: &str) -> Result<Vec<Piece>, (usize, String)> {
    Ok(pieces_on_lines(text)?.into_iter().map(|(_, p)| p).collect())
}

/// As `pieces`, each with the line (0-based) it starts on.
fn pieces_on_lines(text: &str) -> Result<Vec<(usize, Piece)>, (usize, String)> {
    let mut out = Vec::new();
    let mut lit_line = 0;
    let mut lit = String::new();
    for (ln, line) in text.split('\n').enumerate() {
        if ln > 0 {
            lit.push('\n');
        }
        let mut rest = line;
        while let Some(pos) = rest.find(['{', '}']) {
            lit.push_str(&rest[..pos]);
            let after = &rest[pos + 1..];
            if rest[pos..].starts_with("}}") || rest[pos..].starts_with("{{") {
                lit.push_str(&rest[pos..pos + 1]);
                rest = &rest[pos + 2..];
                continue;
            }
            if rest[pos..].starts_with('}') {
                // a lone closing brace is just text
                lit.push('}');
                rest = after;
                continue;
            }
            let Some(end) = after.find('}') else {
                return Err((
                    ln,
                    format!(
                        "`{{` is not closed on this line (write {{{{ for a literal brace): {}",
                        line.trim()
                    ),
                ));
            };
            let name = &after[..end];
            if !is_placeholder_name(name) {
                return Err((
                    ln,
                    format!("`{{{name}}}` is not a placeholder name (lower-case letters, digits and _)"),
                ));
            }
            if !lit.is_empty() {
                out.push((lit_line, Piece::Text(std::mem::take(&mut lit))));
            }
            out.push((ln, Piece::Placeholder(name.to_string())));
            lit_line = ln;
            rest = &after[end + 1..];
        }
        lit.push_str(rest);
    }
    if !lit.is_empty() {
        out.push((lit_line, Piece::Text(lit)));
    }
    Ok(out)
}

fn is_placeholder_name(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

const HEADERS: &[&str] = &["name", "for", "subject", "blanks"];

impl Template {
    /// Parse a template file's text. `file` names it in errors.
    pub fn parse(slug: &str, file: &str, text: &str) -> Result<Template, TemplateError> {
        let err = |line: usize, message: String| TemplateError {
            file: file.to_string(),
            line,
            message,
        };
        // every line end is `\n`: a line's trailing CRs go (CRLF, and CRLF converted twice)
        let text = text
            .strip_prefix('\u{feff}')
            .unwrap_or(text)
            .split('\n')
            .map(|l| l.trim_end_matches('\r'))
            .collect::<Vec<_>>()
            .join("\n");
        let mut headers: BTreeMap<&str, (usize, String)> = BTreeMap::new();
        let mut body_start = None;
        let lines: Vec<&str> = text.split('\n').collect();
        for (i, line) in lines.iter().enumerate() {
            let n = i + 1;
            if line.trim().is_empty() {
                body_start = Some(i + 1);
                break;
            }
            if line.starts_with('#') {
                continue;
            }
            let Some((k, v)) = line.split_once(':') else {
                return Err(err(
                    n,
                    format!("expected a `key: value` header line (or a blank line before the body), found: {line}"),
                ));
            };
            let k = k.trim().to_ascii_lowercase();
            let Some(key) = HEADERS.iter().find(|h| **h == k) else {
                return Err(err(
                    n,
                    format!("unknown header '{k}'; the headers are {}", HEADERS.join(", ")),
                ));
            };
            if headers.insert(key, (n, v.trim().to_string())).is_some() {
                return Err(err(n, format!("the header '{k}' is given twice")));
            }
        }
        let Some(body_start) = body_start else {
            return Err(err(
                lines.len(),
                "no body: put a blank line after the headers, then the text".into(),
            ));
        };
        let need = |k: &str| {
            headers
                .get(k)
                .filter(|(_, v)| !v.is_empty())
                .cloned()
                .ok_or_else(|| err(1, format!("the '{k}' header is missing")))
        };
        let (_, name) = need("name")?;
        let (for_line, for_value) = need("for")?;
        let used_for = Use::parse(&for_value).map_err(|m| err(for_line, m))?;
        let (subject_line, subject) = need("subject")?;
        let blanks: Vec<String> = headers
            .get("blanks")
            .map(|(_, v)| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        if let Some((line, _)) = headers.get("blanks") {
            for b in &blanks {
                if !is_placeholder_name(b) {
                    return Err(err(*line, format!("'{b}' is not a placeholder name")));
                }
                if is_field(b) {
                    return Err(err(*line, format!("'{b}' is filled by tend; it is not a blank")));
                }
            }
        }
        let body = lines[body_start..].join("\n").trim_end().to_string() + "\n";
        if body.trim().is_empty() {
            return Err(err(
                lines.len(),
                "no body: put a blank line after the headers, then the text".into(),
            ));
        }
        let t = Template {
            slug: slug.to_string(),
            name,
            used_for,
            subject,
            body,
            blanks,
            source: file.to_string(),
        };
        // every placeholder must be known
        let check = |text: &str, first_line: usize| -> Result<(), TemplateError> {
            let ps = pieces_on_lines(text).map_err(|(l, m)| err(first_line + l, m))?;
            for (line, p) in ps {
                if let Piece::Placeholder(n) = p {
                    if !t.knows(&n) {
                        return Err(err(
                            first_line + line,
                            format!(
                                "unknown placeholder {{{n}}}: not a field tend fills (see `tend templates fields`) \
                                 nor one of this template's blanks"
                            ),
                        ));
                    }
                }
            }
            Ok(())
        };
        check(&t.subject, subject_line)?;
        check(&t.body, body_start + 1)?;
        Ok(t)
    }

    /// Whether a placeholder name is one this template may use.
    pub fn knows(&self, name: &str) -> bool {
        is_field(name) || self.blanks.iter().any(|b| b == name)
    }

    /// Fill what the context knows; what it does not stays as `{name}`, to be filled by hand.
    pub fn render(&self, ctx: &Context) -> Rendered {
        let subject = fill(&self.subject, ctx);
        let body = fill(&self.body, ctx);
        // from the template's own placeholders: a literal {{first_name}} is not one
        let mut unfilled: Vec<String> = Vec::new();
        for text in [&self.subject, &self.body] {
            for p in pieces(text).unwrap_or_default() {
                if let Piece::Placeholder(n) = p {
                    if ctx.get(&n).is_none() && !unfilled.contains(&n) {
                        unfilled.push(n);
                    }
                }
            }
        }
        Rendered {
            subject,
            body,
            unfilled,
        }
    }

    /// The draft text the editor opens with: a subject line, a blank line, the body.
    pub fn draft(&self, ctx: &Context) -> String {
        let r = self.render(ctx);
        compose_draft(&r.subject, &r.body)
    }

    /// The template as a file, in the form `parse` reads.
    pub fn to_file(&self) -> String {
        let mut out = format!(
            "name: {}\nfor: {}\nsubject: {}\n",
            self.name, self.used_for, self.subject
        );
        if !self.blanks.is_empty() {
            out.push_str(&format!("blanks: {}\n", self.blanks.join(", ")));
        }
        out.push('\n');
        out.push_str(&self.body);
        out
    }
}

fn fill(text: &str, ctx: &Context) -> String {
    // templates were checked when parsed; text that fails here is shown as written
    let Ok(ps) = pieces(text) else {
        return text.to_string();
    };
    let mut out = String::with_capacity(text.len());
    for p in ps {
        match p {
            Piece::Text(t) => out.push_str(&t),
            Piece::Placeholder(n) => match ctx.get(&n) {
                Some(v) => out.push_str(v),
                None => {
                    out.push('{');
                    out.push_str(&n);
                    out.push('}');
                }
            },
        }
    }
    out
}

/// The placeholders still in `text` (as `{name}`) that `known` accepts, each once, in order.
pub fn unfilled_in(text: &str, known: impl Fn(&str) -> bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) if is_placeholder_name(&after[..end]) && known(&after[..end]) => {
                let n = after[..end].to_string();
                if !out.contains(&n) {
                    out.push(n);
                }
                rest = &after[end + 1..];
            }
            _ => rest = after,
        }
    }
    out
}

/// Byte ranges of `{name}` markers in one line that `known` accepts (for highlighting).
pub fn marker_spans(line: &str, known: impl Fn(&str) -> bool) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(start) = line[from..].find('{').map(|p| p + from) {
        let after = &line[start + 1..];
        match after.find('}') {
            Some(end) if is_placeholder_name(&after[..end]) && known(&after[..end]) => {
                out.push((start, start + end + 2));
                from = start + end + 2;
            }
            _ => from = start + 1,
        }
    }
    out
}

/// The draft form of a message.
pub fn compose_draft(subject: &str, body: &str) -> String {
    format!("Subject: {subject}\n\n{body}")
}

/// Split a draft back into subject and body. A draft whose first line is not a subject line
/// keeps `fallback_subject`.
pub fn split_draft(draft: &str, fallback_subject: &str) -> (String, String) {
    let draft = draft.trim_start_matches('\n');
    if let Some(rest) = draft.strip_prefix("Subject:") {
        let (subject, body) = rest.split_once('\n').unwrap_or((rest, ""));
        (
            subject.trim().to_string(),
            body.trim_start_matches('\n').trim_end().to_string() + "\n",
        )
    } else {
        (fallback_subject.to_string(), draft.trim_end().to_string() + "\n")
    }
}

/// The values a template is filled from. Empty values count as unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    values: BTreeMap<String, String>,
}

impl Context {
    pub fn set(&mut self, field: &str, value: impl Into<String>) {
        let v: String = value.into();
        if !v.trim().is_empty() {
            self.values.insert(field.to_string(), v);
        }
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.values.get(field).map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Turn a filled reply back into a reusable template body: this customer's values become
    /// their placeholders again, as whole words (longest first, so a name inside a longer value
    /// stays whole), and literal braces are escaped.
    pub fn generalise(&self, text: &str) -> String {
        let mut pairs: Vec<(&str, &str)> = self
            .values
            .iter()
            .filter(|(k, v)| {
                v.chars().count() >= 2
                    && !matches!(
                        k.as_str(),
                        "today" | "agent_name" | "founder_name" | "stage" | "segment"
                    )
            })
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        pairs.sort_by_key(|(_, v)| std::cmp::Reverse(v.len()));
        let mut out = text.replace('{', "{{").replace('}', "}}");
        for (k, v) in pairs {
            let v = v.replace('{', "{{").replace('}', "}}");
            out = replace_words(&out, &v, &format!("{{{k}}}"));
        }
        out
    }
}

/// Replace `needle` where it stands as whole words (not inside a longer word or a placeholder).
fn replace_words(text: &str, needle: &str, with: &str) -> String {
    let edge = |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '{' || c == '}'));
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(needle) {
        let before = rest[..pos].chars().next_back();
        let after = rest[pos + needle.len()..].chars().next();
        out.push_str(&rest[..pos]);
        if edge(before) && edge(after) {
            out.push_str(with);
        } else {
            out.push_str(needle);
        }
        rest = &rest[pos + needle.len()..];
    }
    out.push_str(rest);
    out
}

/// A filled template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
    /// Placeholders left for a person to fill.
    pub unfilled: Vec<String>,
}

/// Which checklist items (0-based) of the ticket's step a saved reply ticks, given the step
/// the template answers. Only a reply for the step the ticket is at ticks anything.
pub fn items_satisfied(template_step: Option<Step>, ticket_step: Step) -> &'static [usize] {
    if template_step != Some(ticket_step) {
        return &[];
    }
    match ticket_step {
        // "Respond within target time"
        Step::Acknowledge => &[0],
        // "Provide clear solution"
        Step::Resolve => &[0],
        // "Confirm resolution", "Ask for feedback"
        Step::FollowUp => &[0, 1],
        Step::Diagnose | Step::Closed => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACK: &str = "name: Acknowledgment\nfor: acknowledge\nsubject: Re: {ticket_subject}\n\nHi {first_name},\nabout {issue_summary}: {{literal}}\n";

    #[test]
    fn parses_headers_and_body() {
        let t = Template::parse("acknowledgment", "ack.tmpl", ACK).unwrap();
        assert_eq!(t.name, "Acknowledgment");
        assert_eq!(t.used_for, Use::Step(Step::Acknowledge));
        assert_eq!(t.subject, "Re: {ticket_subject}");
        assert!(t.body.starts_with("Hi {first_name},"));
        assert_eq!(Template::parse("a", "a", &t.to_file()).unwrap().body, t.body);
    }

    /// Found by the template_render fuzz target: `\r\r\n` kept a `\r\n` in the body, which the
    /// next read of the saved file turned into `\n`, so a template changed when saved and read.
    #[test]
    fn doubled_carriage_returns_are_line_ends_and_read_back_the_same() {
        let t = Template::parse("a", "a", "name: A\r\r\nfor: general\nsubject: s\n\nline\r\r\nend\r\n").unwrap();
        assert_eq!(t.name, "A");
        assert_eq!(t.body, "line\nend\n");
        assert_eq!(Template::parse("a", "a", &t.to_file()).unwrap(), t);
    }

    #[test]
    fn uses() {
        assert_eq!(
            Use::parse("onboarding day 3").unwrap(),
            Use::Sequence {
                name: "onboarding".into(),
                day: 3
            }
        );
        assert_eq!(Use::parse("Escalation").unwrap(), Use::Escalation);
        assert_eq!(Use::parse("follow-up").unwrap(), Use::Step(Step::FollowUp));
        assert_eq!(Use::parse("exit-survey").unwrap(), Use::Other("exit-survey".into()));
        assert!(Use::parse("winback day x").unwrap_err().contains("day number"));
        assert!(Use::parse("two words").is_err());
        assert!(Use::parse("closed").is_err());
    }

    #[test]
    fn renders_known_and_leaves_the_rest_marked() {
        let t = Template::parse(
            "r",
            "r.tmpl",
            "name: R\nfor: resolve\nblanks: workaround\nsubject: {ticket_subject}\n\nHi {first_name}, try {workaround}. {plan}\n",
        )
        .unwrap();
        let mut ctx = Context::default();
        ctx.set("first_name", "Ada");
        ctx.set("ticket_subject", "Export fails");
        ctx.set("plan", "  ");
        let r = t.render(&ctx);
        assert_eq!(r.subject, "Export fails");
        assert_eq!(r.body, "Hi Ada, try {workaround}. {plan}\n");
        assert_eq!(r.unfilled, vec!["workaround".to_string(), "plan".to_string()]);
    }

    #[test]
    fn literal_braces() {
        let t = Template::parse("a", "a", ACK).unwrap();
        let r = t.render(&Context::default());
        assert!(r.body.contains(": {literal}"), "{}", r.body);
        // {literal} is not a known name, so it is not reported as unfilled
        assert_eq!(
            r.unfilled,
            vec![
                "ticket_subject".to_string(),
                "first_name".to_string(),
                "issue_summary".to_string()
            ]
        );
    }

    #[test]
    fn malformed_templates_name_file_and_line() {
        let e = Template::parse(
            "x",
            "x.tmpl",
            "name: X\nfor: general\nsubject: s\n\nline one\nHi {nope}\n",
        )
        .unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("x.tmpl", 6));
        assert!(e.message.contains("unknown placeholder {nope}"), "{e}");
        let e = Template::parse(
            "x",
            "x.tmpl",
            "name: X\nfor: general\nsubject: s\n\nok\nHi {first_name\n",
        )
        .unwrap_err();
        assert_eq!(e.line, 6);
        assert!(e.message.contains("not closed"), "{e}");
        let e = Template::parse("x", "x.tmpl", "name: X\nfor: general\nsubject: {bad\n\nbody\n").unwrap_err();
        assert_eq!(e.line, 3);
        let e = Template::parse("x", "x.tmpl", "name: X\ncolour: red\nsubject: s\n\nbody\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("unknown header"));
        let e = Template::parse("x", "x.tmpl", "name: X\nsubject: s\n\nbody\n").unwrap_err();
        assert!(e.message.contains("'for'"));
        let e = Template::parse("x", "x.tmpl", "name: X\nfor: general\nsubject: s\n").unwrap_err();
        assert!(e.message.contains("no body"));
        let e = Template::parse("x", "x.tmpl", "name: X\nfor: general\nsubject: s\n\nHi {Bad Name}\n").unwrap_err();
        assert!(e.message.contains("not a placeholder name"), "{e}");
        assert_eq!(e.to_string(), format!("x.tmpl:5: {}", e.message));
        let e = Template::parse("x", "x.tmpl", "name: X\nfor: general\nblanks: plan\nsubject: s\n\nb\n").unwrap_err();
        assert!(e.message.contains("filled by tend"));
    }

    #[test]
    fn unfilled_detection_after_editing() {
        let known = |n: &str| is_field(n) || n == "workaround";
        assert_eq!(
            unfilled_in("use {workaround} or {first_name}; {not_known} {x y}", known),
            vec!["workaround".to_string(), "first_name".to_string()]
        );
        assert!(unfilled_in("all filled in {", known).is_empty());
        assert_eq!(marker_spans("a {workaround} b {zzz}", known), vec![(2, 14)]);
    }

    #[test]
    fn drafts_split_back() {
        let d = compose_draft("Re: hi", "Body\n");
        assert_eq!(split_draft(&d, "x"), ("Re: hi".to_string(), "Body\n".to_string()));
        assert_eq!(split_draft("no subject line", "fallback").0, "fallback");
    }

    #[test]
    fn generalise_puts_placeholders_back() {
        let mut ctx = Context::default();
        ctx.set("first_name", "Ada");
        ctx.set("company", "Acme Corp");
        ctx.set("contact_name", "Ada Lovelace");
        let g = ctx.generalise("Hi Ada Lovelace of Acme Corp, {braces}. Ada, Adam and Canada");
        assert_eq!(
            g,
            "Hi {contact_name} of {company}, {{braces}}. {first_name}, Adam and Canada"
        );
        let t = Template::parse("g", "g", &format!("name: G\nfor: resolve\nsubject: s\n\n{g}\n")).unwrap();
        assert!(t.render(&ctx).body.contains("Ada Lovelace of Acme Corp, {braces}"));
    }

    #[test]
    fn replies_tick_their_step_items() {
        assert_eq!(items_satisfied(Some(Step::Acknowledge), Step::Acknowledge), &[0]);
        assert_eq!(items_satisfied(Some(Step::Resolve), Step::Resolve), &[0]);
        assert_eq!(items_satisfied(Some(Step::FollowUp), Step::FollowUp), &[0, 1]);
        assert!(items_satisfied(Some(Step::Acknowledge), Step::Resolve).is_empty());
        assert!(items_satisfied(None, Step::Acknowledge).is_empty());
    }
}
