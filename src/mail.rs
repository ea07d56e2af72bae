//! Support mail in: an mbox file or a Maildir folder, parsed with `mail-parser`, threaded into
//! conversations, each conversation one ticket. Messages already stored are skipped, so the same
//! or a grown mailbox can be imported again.

use crate::cli::Context;
use crate::cli_import::{MailArgs, progress_bar};
use crate::domain::Timestamp;
use crate::domain::mailthread::{self, Meta};
use crate::store::{MailItem, Store, StoreError};
use anyhow::Result;
use mail_parser::{MessageParser, MimeHeaders};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Mbox,
    Maildir,
}

#[derive(Debug, Clone)]
pub struct MailOptions {
    /// Addresses (or `@domain`s) that are us.
    pub support: Vec<String>,
    pub create_accounts: bool,
    pub closed_after_days: i64,
    pub dry_run: bool,
}

/// A message as parsed.
#[derive(Debug, Clone)]
struct Parsed {
    key: String,
    parents: Vec<String>,
    subject: String,
    from_email: String,
    from_name: Option<String>,
    to: Vec<(String, Option<String>)>,
    at: Option<Timestamp>,
    text: String,
}

/// A message that was left out, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Skipped {
    /// "message 12" in an mbox, the file name in a Maildir.
    pub message: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct MailSummary {
    pub source: String,
    pub messages: usize,
    /// Messages stored by this import.
    pub imported: usize,
    /// Messages stored before (the same Message-ID).
    pub already: usize,
    /// Messages that appear more than once in this mailbox (cross-posts, copies): kept once.
    pub duplicates: usize,
    pub skipped: Vec<Skipped>,
    pub tickets_created: usize,
    pub tickets_updated: usize,
    pub accounts_created: i64,
    pub dry_run: bool,
    pub written: bool,
    #[serde(skip)]
    pub touched: Vec<i64>,
    /// Accounts whose health the import rescored (in its own transaction).
    pub rescored: usize,
}

impl MailSummary {
    pub fn counts_line(&self) -> String {
        format!(
            "messages {} · {} {} · already stored {} · duplicates {} · skipped {} · tickets created {} · tickets updated {} · accounts created {}",
            self.messages,
            if self.dry_run { "would import" } else { "imported" },
            self.imported,
            self.already,
            self.duplicates,
            self.skipped.len(),
            self.tickets_created,
            self.tickets_updated,
            self.accounts_created
        )
    }
}

/// A stable key for a message without a Message-ID: FNV-1a over its sender, date, subject, text.
fn content_key(p: &Parsed) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [
        p.from_email.as_str(),
        &p.at.unwrap_or(0).to_string(),
        &p.subject,
        &p.text,
    ] {
        for b in part.bytes().chain([0u8]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("tend-no-message-id-{h:016x}")
}

fn ids(v: &mail_parser::HeaderValue) -> Vec<String> {
    v.as_text_list()
        .map(|l| {
            l.iter()
                .map(|s| s.trim().trim_matches(['<', '>']).to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Longest stored message text; longer is cut with a note.
const MAX_TEXT: usize = 256 * 1024;

fn parse(raw: &[u8], envelope_date: Option<Timestamp>) -> std::result::Result<Parsed, String> {
    if raw.iter().all(|b| b.is_ascii_whitespace()) {
        return Err("the message is empty".into());
    }
    let m = MessageParser::default()
        .parse(raw)
        .ok_or_else(|| "no mail headers could be read".to_string())?;
    let from = m.from().and_then(|a| a.first());
    let from_email = from
        .and_then(|a| a.address())
        .map(|a| a.trim().to_ascii_lowercase())
        .filter(|a| a.contains('@'))
        .ok_or_else(|| "it has no From address".to_string())?;
    let from_name = from
        .and_then(|a| a.name())
        .map(str::to_string)
        .filter(|n| !n.trim().is_empty());
    let to = m
        .to()
        .map(|a| {
            a.iter()
                .filter_map(|x| {
                    x.address()
                        .map(|e| (e.to_ascii_lowercase(), x.name().map(str::to_string)))
                })
                .collect()
        })
        .unwrap_or_default();
    let at = m
        .date()
        .filter(|d| d.is_valid())
        .map(|d| d.to_timestamp())
        .or(envelope_date)
        .filter(|t| *t > 0);
    let mut text = String::new();
    let mut text_parts = HashSet::new();
    for i in 0..m.text_body_count() {
        let part_text = match m.text_part(i as u32).map(|p| &p.body) {
            // HTML-only mail, as text: lists, tables and paragraphs keep their lines
            Some(mail_parser::PartType::Html(html)) => html_text(html),
            _ => m.body_text(i).map(|t| t.into_owned()),
        };
        if let Some(t) = part_text {
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            text.push_str(t.trim_end());
        }
    }
    // a text part the parser filed as an attachment (text/enriched, a text part with no type
    // it knows) is the message itself when there is nothing else
    for (i, a) in m.attachments().enumerate() {
        let is_text = a.content_type().is_some_and(|ct| {
            ct.ctype().eq_ignore_ascii_case("text") && !ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("html"))
        });
        if text.trim().is_empty() && is_text && a.attachment_name().is_none() {
            let raw = String::from_utf8_lossy(a.contents()).into_owned();
            let enriched = a
                .content_type()
                .and_then(|ct| ct.subtype())
                .is_some_and(|s| s.eq_ignore_ascii_case("enriched") || s.eq_ignore_ascii_case("richtext"));
            text = if enriched { enriched_text(&raw) } else { raw };
            text_parts.insert(i);
        }
    }
    if text.len() > MAX_TEXT {
        let mut cut = MAX_TEXT;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("\n[… the rest of this message was not imported]");
    }
    let attachments: Vec<String> = m
        .attachments()
        .enumerate()
        .filter(|(i, _)| !text_parts.contains(i))
        .map(|(_, a)| {
            let name = a.attachment_name().unwrap_or("(unnamed)");
            format!("{name} ({})", human_size(a.len()))
        })
        .collect();
    if !attachments.is_empty() {
        text.push_str(&format!("\n\nAttachments: {}", attachments.join(", ")));
    }
    let mut parents = ids(m.in_reply_to());
    let mut refs = ids(m.references());
    refs.reverse();
    parents.extend(refs);
    parents.dedup();
    let mut p = Parsed {
        key: m
            .message_id()
            .map(|s| s.trim().trim_matches(['<', '>']).to_string())
            .unwrap_or_default(),
        parents,
        subject: m.subject().unwrap_or("").trim().to_string(),
        from_email,
        from_name,
        to,
        at,
        text,
    };
    if p.key.is_empty() {
        p.key = content_key(&p);
    }
    p.parents.retain(|x| *x != p.key && !x.is_empty());
    Ok(p)
}

/// An HTML body as readable text (with the `html2text` crate), wrapped at 100 columns.
fn html_text(html: &str) -> Option<String> {
    html2text::config::plain_no_decorate()
        .string_from_read(html.as_bytes(), 100)
        .ok()
        .map(|t| t.lines().map(str::trim_end).collect::<Vec<_>>().join("\n"))
}

/// text/enriched (RFC 1896) as plain text: formatting commands dropped, `<<` is `<`, and a
/// single line break is a space (two are one).
fn enriched_text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    let mut nofill = 0;
    while let Some(c) = chars.next() {
        match c {
            '<' if chars.peek() == Some(&'<') => {
                chars.next();
                out.push('<');
            }
            '<' => {
                let mut cmd = String::new();
                for d in chars.by_ref() {
                    if d == '>' {
                        break;
                    }
                    cmd.push(d);
                }
                match cmd.to_ascii_lowercase().as_str() {
                    "nofill" => nofill += 1,
                    "/nofill" => nofill = (nofill - 1).max(0),
                    // a command's parameter (a font name, a colour) is not text
                    "param" => {
                        let mut rest = String::new();
                        for d in chars.by_ref() {
                            rest.push(d);
                            if rest.to_ascii_lowercase().ends_with("</param>") {
                                break;
                            }
                        }
                    }
                    _ => {}
                }
            }
            '\r' => {}
            '\n' if nofill == 0 => {
                let mut n = 1;
                while chars.peek() == Some(&'\n') || chars.peek() == Some(&'\r') {
                    if chars.next() == Some('\n') {
                        n += 1;
                    }
                }
                if n == 1 {
                    out.push(' ');
                } else {
                    for _ in 1..n {
                        out.push('\n');
                    }
                }
            }
            c => out.push(c),
        }
    }
    out
}

fn human_size(n: usize) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MB", n as f64 / f64::from(1 << 20))
    } else if n >= 1024 {
        format!("{} KB", n.div_ceil(1024))
    } else {
        format!("{n} bytes")
    }
}

/// Every message of the mailbox, parsed, with those that could not be.
fn read_mailbox(
    source: Source,
    path: &Path,
    tick: &mut dyn FnMut(usize),
) -> Result<(Vec<Parsed>, Vec<Skipped>, usize)> {
    let mut parsed = Vec::new();
    let mut skipped = Vec::new();
    let mut n = 0;
    let mut unreadable = Vec::new();
    let mut take = |label: String, raw: &[u8], envelope: Option<Timestamp>, n: &mut usize| {
        *n += 1;
        tick(*n);
        match parse(raw, envelope) {
            Ok(p) => parsed.push(p),
            Err(reason) => skipped.push(Skipped { message: label, reason }),
        }
    };
    match source {
        Source::Mbox => {
            if path.is_dir() {
                anyhow::bail!("{} is a folder; use tend import maildir for a Maildir", path.display());
            }
            let f = std::fs::File::open(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
            let it = mail_parser::mailbox::mbox::MessageIterator::new(std::io::BufReader::new(f));
            for (i, m) in it.enumerate() {
                let m = m.map_err(|e| anyhow::anyhow!("cannot read {} after message {i}: {e}", path.display()))?;
                let envelope = i64::try_from(m.internal_date())
                    .ok()
                    .filter(|t| *t > 0 && *t < 253_402_300_799);
                take(format!("message {}", i + 1), m.contents(), envelope, &mut n);
            }
            if n == 0 {
                anyhow::bail!(
                    "{} holds no messages: an mbox file starts each message with a line beginning \"From \"",
                    path.display()
                );
            }
        }
        Source::Maildir => {
            let mut files: Vec<PathBuf> = Vec::new();
            let mut found_dir = false;
            for sub in ["cur", "new"] {
                let dir = path.join(sub);
                if !dir.is_dir() {
                    continue;
                }
                found_dir = true;
                let entries =
                    std::fs::read_dir(&dir).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", dir.display()))?;
                for e in entries.flatten() {
                    let p = e.path();
                    let hidden = p
                        .file_name()
                        .and_then(|f| f.to_str())
                        .is_none_or(|f| f.starts_with('.'));
                    if p.is_file() && !hidden {
                        files.push(p);
                    }
                }
            }
            if !found_dir {
                anyhow::bail!(
                    "{} is not a Maildir: it has neither a cur nor a new folder",
                    path.display()
                );
            }
            files.sort();
            for f in files {
                let label = f
                    .file_name()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                match std::fs::read(&f) {
                    Ok(raw) => take(label, &raw, None, &mut n),
                    Err(e) => {
                        n += 1;
                        unreadable.push(Skipped {
                            message: label,
                            reason: format!("the file cannot be read: {e}"),
                        });
                    }
                }
            }
        }
    }
    skipped.extend(unreadable);
    Ok((parsed, skipped, n))
}

/// Import a mailbox in one transaction.
pub fn import_mail(
    store: &Store,
    source: Source,
    path: &Path,
    opts: &MailOptions,
    config: &crate::config::Config,
    now: Timestamp,
    tick: &mut dyn FnMut(usize),
) -> Result<MailSummary> {
    let (mut parsed, skipped, total) = read_mailbox(source, path, tick)?;
    let mut summary = MailSummary {
        source: path.display().to_string(),
        messages: total,
        skipped,
        dry_run: opts.dry_run,
        ..Default::default()
    };
    let mut batch = store.begin_import(&config.sla, opts.create_accounts, now)?;
    let accounts_before = batch.account_count()?;
    // the same message twice in one mailbox, or stored by an earlier import
    let mut seen = HashSet::new();
    let mut stored: HashMap<String, i64> = HashMap::new();
    parsed.retain(|p| seen.insert(p.key.clone()));
    summary.duplicates = total - summary.skipped.len() - parsed.len();
    let mut fresh = Vec::with_capacity(parsed.len());
    for p in parsed {
        match batch.mail_ticket(&p.key)? {
            Some(t) => {
                stored.insert(p.key.clone(), t);
                summary.already += 1;
            }
            None => fresh.push(p),
        }
    }
    for p in &fresh {
        for parent in &p.parents {
            if !stored.contains_key(parent)
                && let Some(t) = batch.mail_ticket(parent)?
            {
                stored.insert(parent.clone(), t);
            }
        }
    }
    // a message with no date takes its neighbour's in the file, else the import's time
    let mut last = None;
    for p in &mut fresh {
        match p.at {
            Some(t) => last = Some(t),
            None => p.at = last,
        }
    }
    for p in fresh.iter_mut().rev() {
        match p.at {
            Some(t) => last = Some(t),
            None => p.at = last.or(Some(now)),
        }
    }
    let metas: Vec<Meta> = fresh
        .iter()
        .map(|p| Meta {
            key: &p.key,
            parents: p.parents.iter().map(String::as_str).collect(),
            subject: &p.subject,
            at: p.at.unwrap_or(now),
        })
        .collect();
    let groups = mailthread::thread(&metas, |k| stored.contains_key(k));
    for group in groups {
        let items: Vec<MailItem> = group
            .iter()
            .map(|&i| {
                let p = &fresh[i];
                MailItem {
                    key: p.key.clone(),
                    at: p.at.unwrap_or(now),
                    ours: mailthread::is_ours(&p.from_email, &opts.support),
                    from_email: p.from_email.clone(),
                    from_name: p.from_name.clone(),
                    subject: p.subject.clone(),
                    text: p.text.clone(),
                }
            })
            .collect();
        let first = &fresh[group[0]];
        // an existing ticket: through a parent stored before, else (headers lost) its subject
        let mut existing = group
            .iter()
            .flat_map(|&i| fresh[i].parents.iter())
            .find_map(|k| stored.get(k).copied());
        if existing.is_none()
            && mailthread::has_reply_prefix(&first.subject)
            && first.parents.iter().all(|k| !stored.contains_key(k))
        {
            existing = batch.mail_ticket_by_subject(&mailthread::clean_subject(&first.subject))?;
        }
        if let Some(ticket) = existing {
            batch.mail_append(ticket, &items)?;
            summary.tickets_updated += 1;
            summary.imported += items.len();
            continue;
        }
        // the customer: the first sender who is not us, else whom we first wrote to
        let customer = group
            .iter()
            .map(|&i| &fresh[i])
            .find(|p| !mailthread::is_ours(&p.from_email, &opts.support))
            .map(|p| (p.from_email.clone(), p.from_name.clone()))
            .or_else(|| {
                first
                    .to
                    .iter()
                    .find(|(e, _)| !mailthread::is_ours(e, &opts.support))
                    .cloned()
            });
        let Some((email, name)) = customer else {
            for &i in &group {
                summary.skipped.push(Skipped {
                    message: fresh[i].subject.clone(),
                    reason: "a conversation only among support addresses, with no customer".into(),
                });
            }
            continue;
        };
        let times: Vec<(Timestamp, bool)> = items.iter().map(|m| (m.at, m.ours)).collect();
        let Some(conv) = mailthread::conversation(&times, opts.closed_after_days, now) else {
            continue;
        };
        let subject = match mailthread::clean_subject(&first.subject) {
            s if s.is_empty() => "(no subject)".to_string(),
            s => s,
        };
        match batch.mail_new_ticket((&email, name.as_deref()), &subject, &items, &conv) {
            Ok(_) => {
                summary.tickets_created += 1;
                summary.imported += items.len();
            }
            Err(StoreError::Rule(reason)) => {
                for item in &items {
                    summary.skipped.push(Skipped {
                        message: format!("\"{}\" from {}", item.subject, item.from_email),
                        reason: reason.clone(),
                    });
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    summary.accounts_created = batch.account_count()? - accounts_before;
    summary.touched = batch.touched.iter().copied().collect();
    summary.touched.sort_unstable();
    if opts.dry_run {
        return Ok(summary);
    }
    summary.rescored = batch.commit(
        match source {
            Source::Mbox => "mbox",
            Source::Maildir => "maildir",
        },
        &format!("{}: {}", path.display(), summary.counts_line()),
        &config.health,
    )?;
    summary.written = true;
    Ok(summary)
}

/// The support addresses: the flags, `[import] support_addresses`, and `[responses] from`.
pub fn support_addresses(config: &crate::config::Config, flags: &[String]) -> Vec<String> {
    let mut v: Vec<String> = flags.to_vec();
    v.extend(config.import.support_addresses.iter().cloned());
    if let Some(from) = &config.responses.from {
        let addr = match (from.rfind('<'), from.rfind('>')) {
            (Some(a), Some(b)) if a < b => from[a + 1..b].to_string(),
            _ => from.trim().to_string(),
        };
        if addr.contains('@') {
            v.push(addr);
        }
    }
    v
}

pub fn import_cmd(ctx: &Context, a: &MailArgs, source: Source) -> Result<()> {
    let opts = MailOptions {
        support: support_addresses(&ctx.config, &a.support),
        create_accounts: !a.no_create_accounts,
        closed_after_days: a.closed_after,
        dry_run: a.dry_run,
    };
    let bar = progress_bar(None, "messages");
    let mut tick = |n: usize| {
        if n % 64 == 0 {
            bar.set_position(n as u64);
        }
    };
    let summary = import_mail(&ctx.store, source, &a.path, &opts, &ctx.config, ctx.now, &mut tick);
    bar.finish_and_clear();
    let summary = summary?;
    let rescored = summary.rescored;
    if a.format == "json" {
        crate::output::emit(&format!("{}\n", crate::output::json(&summary)))?;
        return Ok(());
    }
    let mut out = String::new();
    for s in &summary.skipped {
        out.push_str(&format!(
            "skipped {}: {}\n",
            crate::output::line_max(&s.message, crate::import::LABEL_MAX),
            crate::output::line_max(&s.reason, crate::import::REASON_MAX)
        ));
    }
    out.push_str(&format!(
        "{} {}: {}\n",
        match source {
            Source::Mbox => "mbox",
            Source::Maildir => "maildir",
        },
        crate::output::line(&a.path.display().to_string()),
        summary.counts_line()
    ));
    if opts.support.is_empty() {
        crate::output::note(
            "note: no support address is configured, so every message counts as the customer's; name yours with \
             --support ADDRESS or [import] support_addresses",
        );
    }
    if summary.dry_run {
        out.push_str("dry run: nothing was written\n");
    } else if rescored > 0 {
        out.push_str(&format!(
            "health rescored for {rescored} account{}\n",
            if rescored == 1 { "" } else { "s" }
        ));
    }
    crate::output::emit(&out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn enriched_text_reads_plainly() {
        let raw = "<bold>Help</bold> with <<tags>\nplease\n\n<fontfamily><param>Times</param>JVMs</fontfamily>\n";
        assert_eq!(super::enriched_text(raw), "Help with <tags> please\nJVMs ");
    }
}
