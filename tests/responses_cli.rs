//! End-to-end tests of the response features of the `tend` binary: `tend templates`,
//! `tend sequences` and `tend tickets reply`, each on its own temporary database, configuration
//! and templates folder, with a frozen clock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Output;
use tempfile::TempDir;

mod common;
use common::{assert_runtime_error, expect_code};

/// The frozen clock every command runs at.
const NOW: &str = "2026-11-22T10:00";
/// `NOW` as a Unix timestamp.
const NOW_TS: i64 = 1_795_341_600;
/// `NOW` as an RFC 5322 date.
const NOW_RFC5322: &str = "Sun, 22 Nov 2026 10:00:00 +0000";

/// The sender settings most tests use; the send command and outbox are added per test.
const RESPONSES: &str = "[responses]\n\
                         agent_name = \"Sam Agent\"\n\
                         founder_name = \"Fay Founder\"\n\
                         product = \"Widgetly\"\n\
                         from = \"Widgetly Support <support@widgetly.example>\"\n";

/// Fields every render fills once `[responses]` is set, whatever the target.
const ALWAYS_FILLED: &[&str] = &[
    "agent_name",
    "founder_name",
    "product",
    "support_email",
    "company",
    "first_name",
    "plan",
    "stage",
    "segment",
    "signup_date",
    "today",
];

/// Fields every render for a ticket fills.
const TICKET_FILLED: &[&str] = &[
    "ticket_id",
    "ticket_subject",
    "issue_summary",
    "channel",
    "resolution_time",
    "resolution_due",
];

/// A temporary home: database, config.toml and templates folder side by side.
struct Tend {
    dir: TempDir,
}

impl Tend {
    /// An empty database and no configuration file.
    fn new() -> Tend {
        Tend {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// The deterministic demo data (60 accounts, 300 tickets), before any alert is raised.
    fn demo() -> Tend {
        let t = Tend::new();
        let out = t.ok(&["demo", "--no-alerts"]);
        assert!(out.starts_with("Loaded sample data: 60 accounts, "), "{out}");
        t
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The user's templates folder: `templates/` beside config.toml.
    fn templates_dir(&self) -> PathBuf {
        let d = self.path("templates");
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn write_template(&self, file: &str, text: &str) -> PathBuf {
        let p = self.templates_dir().join(file);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// config.toml: the `[responses]` settings above, plus `extra` lines in that table.
    fn write_config(&self, extra: &str) {
        std::fs::write(self.path("config.toml"), format!("{RESPONSES}{extra}")).unwrap();
    }

    /// An executable shell script in the temporary home.
    fn script(&self, name: &str, body: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("tend").unwrap();
        c.env("TEND_DB", self.path("tend.db"))
            .env("TEND_CONFIG", self.path("config.toml"))
            .env("TEND_NOW", NOW)
            .env("HOME", self.dir.path())
            .env("USER", "tester")
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("XDG_DATA_HOME")
            .env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LIB_BACKTRACE");
        c
    }

    /// Run with `input` piped on stdin (an empty pipe when `None`) and check it did not panic.
    fn run_with(&self, args: &[&str], input: Option<&str>) -> Output {
        let mut c = self.cmd();
        c.args(args).write_stdin(input.unwrap_or(""));
        let out = c.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
            "{args:?} panicked:\n{stderr}"
        );
        assert_ne!(out.status.code(), Some(101), "{args:?} exited as a panic does");
        out
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, None)
    }

    /// Expect exit 0 and nothing on stderr; return stdout.
    fn ok(&self, args: &[&str]) -> String {
        self.ok_stdin(args, "")
    }

    fn ok_stdin(&self, args: &[&str], input: &str) -> String {
        let out = self.run_with(args, Some(input));
        expect_code(args, &out, 0);
        assert!(
            out.stderr.is_empty(),
            "{args:?} succeeded but warned:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Expect this exit code and an empty stdout; return stderr.
    fn fails(&self, args: &[&str], code: i32) -> String {
        self.fails_stdin(args, "", code)
    }

    fn fails_stdin(&self, args: &[&str], input: &str, code: i32) -> String {
        let out = self.run_with(args, Some(input));
        expect_code(args, &out, code);
        assert!(
            out.stdout.is_empty(),
            "{args:?} failed but printed to stdout:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stderr).unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self.ok(args);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?} did not print JSON ({e}):\n{out}"))
    }

    fn ticket(&self, id: i64) -> Value {
        self.json(&["tickets", "show", &id.to_string(), "--format", "json"])
    }

    fn tickets(&self) -> Vec<Value> {
        self.json(&["tickets", "list", "--format", "json"])
            .as_array()
            .unwrap()
            .clone()
    }

    /// Open tickets at Acknowledge with no first response yet, on this channel, with a contact.
    fn unanswered(&self, channel: &str) -> Vec<Value> {
        let list: Vec<Value> = self
            .tickets()
            .into_iter()
            .filter(|t| {
                t["channel"] == channel
                    && t["step"] == "acknowledge"
                    && t["first_response_at"].is_null()
                    && t["contact_id"].is_i64()
            })
            .collect();
        assert!(
            list.len() >= 2,
            "the demo has fewer than two unanswered {channel} tickets"
        );
        list
    }

    /// The contact a ticket was opened by, from `accounts show --format json`.
    fn contact_of(&self, ticket: &Value) -> Value {
        let account = ticket["account_id"].as_i64().unwrap().to_string();
        let shown = self.json(&["accounts", "show", &account, "--format", "json"]);
        shown["contacts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == ticket["contact_id"])
            .unwrap_or_else(|| panic!("ticket's contact is not among the account's: {shown}"))
            .clone()
    }

    /// `tickets new` on `account` by email, body from stdin; returns the new ticket's id.
    fn new_ticket(&self, account: i64, subject: &str, body: &str) -> i64 {
        let acc = account.to_string();
        let out = self.ok_stdin(
            &[
                "tickets",
                "new",
                "--account",
                &acc,
                "--subject",
                subject,
                "--channel",
                "email",
            ],
            body,
        );
        let id: i64 = out
            .strip_prefix("Opened ticket ")
            .and_then(|r| r.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("unexpected output of tickets new: {out}"));
        assert!(out.contains(&format!(" for account {account};")), "{out}");
        id
    }

    /// The placeholder names `tend templates fields` lists.
    fn fields(&self) -> BTreeSet<String> {
        let out = self.ok(&["templates", "fields"]);
        let mut lines = out.lines();
        assert!(lines.next().unwrap().starts_with("PLACEHOLDER"), "{out}");
        let fields: BTreeSet<String> = lines
            .map(|l| {
                let word = l.split_whitespace().next().unwrap();
                word.strip_prefix('{')
                    .and_then(|w| w.strip_suffix('}'))
                    .unwrap_or_else(|| panic!("not a placeholder: {l}"))
                    .to_string()
            })
            .collect();
        assert_eq!(fields.len(), 28, "{out}");
        fields
    }

    /// `templates list --format json`.
    fn template_list(&self) -> Vec<Value> {
        self.json(&["templates", "list", "--format", "json"])
            .as_array()
            .unwrap()
            .clone()
    }
}

fn timeline(ticket: &Value) -> &Vec<Value> {
    ticket["timeline"].as_array().unwrap()
}

fn replies(ticket: &Value) -> Vec<Value> {
    timeline(ticket)
        .iter()
        .filter(|e| e["kind"] == "reply")
        .cloned()
        .collect()
}

fn names(list: &[Value]) -> Vec<String> {
    list.iter().map(|t| t["name"].as_str().unwrap().to_string()).collect()
}

/// The `{name}` markers left in rendered text, in order; an error for any brace that is not
/// part of a well-formed marker (a stray `}`, an unclosed `{`, `{Not A Name}`, `{{`).
fn markers(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(pos) = rest.find(['{', '}']) {
        let here: String = rest[pos..].chars().take(40).collect();
        if rest[pos..].starts_with('}') {
            return Err(format!("a stray `}}` at {here:?}"));
        }
        let after = &rest[pos + 1..];
        let end = after
            .find(['{', '}', '\n'])
            .filter(|e| after[*e..].starts_with('}'))
            .ok_or_else(|| format!("an unclosed `{{` at {here:?}"))?;
        let name = &after[..end];
        let well_formed = name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !well_formed {
            return Err(format!("a malformed placeholder at {here:?}"));
        }
        out.push(name.to_string());
        rest = &after[end + 1..];
    }
    Ok(out)
}

/// A message's headers (unfolded, in order) and its body, from RFC 5322 text.
fn parse_message(raw: &str) -> (Vec<(String, String)>, String) {
    let raw = raw.replace("\r\n", "\n");
    let (head, body) = raw
        .split_once("\n\n")
        .unwrap_or_else(|| panic!("no blank line between headers and body:\n{raw}"));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            let last = headers
                .last_mut()
                .unwrap_or_else(|| panic!("a continuation line before any header:\n{raw}"));
            last.1.push(' ');
            last.1.push_str(line.trim());
            continue;
        }
        let (name, value) = line
            .split_once(':')
            .unwrap_or_else(|| panic!("not a header line: {line:?}\n{raw}"));
        assert!(
            !name.is_empty() && name.chars().all(|c| c.is_ascii_graphic()),
            "bad header name {name:?}"
        );
        headers.push((name.to_string(), value.trim().to_string()));
    }
    (headers, body.to_string())
}

/// The one value of a header; fails when it is missing or repeated.
fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    let found: Vec<&str> = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(
        found.len(),
        1,
        "header {name} appears {} times: {headers:?}",
        found.len()
    );
    found[0]
}

/// Decode a quoted-printable body (soft line breaks and `=XX` escapes).
fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap_or_else(|_| panic!("bad escape ={hex}")));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// A message body as text, decoded by its Content-Transfer-Encoding.
fn body_text(headers: &[(String, String)], body: &str) -> String {
    match header(headers, "Content-Transfer-Encoding")
        .to_ascii_lowercase()
        .as_str()
    {
        "quoted-printable" => decode_quoted_printable(body),
        "7bit" | "8bit" => body.to_string(),
        other => panic!("unexpected Content-Transfer-Encoding {other}"),
    }
}

/// The body of a reply event or a rendered draft: what follows the first blank line.
fn after_blank_line(text: &str) -> &str {
    text.split_once("\n\n").map(|(_, b)| b).unwrap_or("")
}

// 1
#[test]
fn every_shipped_template_renders_for_a_ticket_and_an_account() {
    let t = Tend::demo();
    t.write_config("");
    let fields = t.fields();
    for f in ALWAYS_FILLED.iter().chain(TICKET_FILLED) {
        assert!(fields.contains(*f), "templates fields does not list {{{f}}}");
    }

    let list = t.template_list();
    assert_eq!(list.len(), 21, "{list:?}");
    assert!(list.iter().all(|x| x["source"] == "built-in"), "{list:?}");
    let csv = t.ok(&["templates", "list", "--format", "csv"]);
    assert_eq!(csv.lines().next(), Some("NAME,TITLE,FOR,SOURCE"));
    assert_eq!(csv.lines().count(), 22, "{csv}");
    let table = t.ok(&["templates", "list"]);
    assert!(table.starts_with("NAME "), "{table}");
    for n in names(&list) {
        assert!(table.contains(&format!("\n{n} ")), "table lacks {n}:\n{table}");
    }

    let ticket = t.tickets().into_iter().find(|x| x["contact_id"].is_i64()).unwrap();
    let ticket_id = ticket["id"].as_i64().unwrap().to_string();
    let ticket_subject = ticket["subject"].as_str().unwrap();
    let account_id = "3";

    for tpl in &list {
        let name = tpl["name"].as_str().unwrap();
        let blanks: BTreeSet<String> = tpl["blanks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_str().unwrap().to_string())
            .collect();
        let source = t.ok(&["templates", "show", name]);
        assert!(source.starts_with(&format!("# {name} (built-in)\n")), "{source}");
        for (target, id) in [("--ticket", ticket_id.as_str()), ("--account", account_id)] {
            let args = ["templates", "render", name, target, id, "--allow-unfilled"];
            let out = t.ok(&args);
            let what = format!("{name} {target} {id}");
            assert!(out.starts_with("Subject: "), "{what}:\n{out}");
            let (subject_line, rest) = out.split_once('\n').unwrap();
            assert!(subject_line.len() > "Subject: ".len(), "{what}: empty subject");
            assert!(rest.starts_with('\n'), "{what}: no blank line after the subject");
            assert!(!after_blank_line(&out).trim().is_empty(), "{what}: empty body");

            let left = markers(&out).unwrap_or_else(|e| panic!("{what}: {e}:\n{out}"));
            for n in &left {
                assert!(
                    blanks.contains(n) || fields.contains(n),
                    "{what}: {{{n}}} is neither a blank nor a field:\n{out}"
                );
                assert!(
                    source.contains(&format!("{{{n}}}")),
                    "{what}: {{{n}}} is not in the template:\n{out}"
                );
                assert!(
                    !ALWAYS_FILLED.contains(&n.as_str()),
                    "{what}: {{{n}}} was left although it is always known:\n{out}"
                );
                if target == "--ticket" {
                    assert!(
                        !TICKET_FILLED.contains(&n.as_str()),
                        "{what}: {{{n}}} was left although the ticket gives it:\n{out}"
                    );
                }
            }
            for b in &blanks {
                assert!(left.contains(b), "{what}: the blank {{{b}}} disappeared:\n{out}");
            }
            if source.contains("{agent_name}") {
                assert!(out.contains("Sam Agent"), "{what}:\n{out}");
            }
            if source.contains("{product}") {
                assert!(out.contains("Widgetly"), "{what}:\n{out}");
            }
            if source.contains("{founder_name}") {
                assert!(out.contains("Fay Founder"), "{what}:\n{out}");
            }
            if target == "--ticket" && tpl["subject"] == "Re: {ticket_subject}" {
                assert_eq!(subject_line, format!("Subject: Re: {ticket_subject}"), "{what}");
            }
            // nothing to fill by hand: the same text renders without --allow-unfilled
            if left.is_empty() {
                assert_eq!(t.ok(&args[..5]), out, "{what}");
            }
        }
    }
}

// 2
#[test]
fn resolution_refuses_to_render_with_its_blanks_empty_unless_allowed() {
    let t = Tend::demo();
    let ticket = &t.tickets()[0];
    let id = ticket["id"].as_i64().unwrap().to_string();

    let err = t.fails(&["templates", "render", "resolution", "--ticket", &id], 1);
    assert_runtime_error(&err, "3 placeholders are left to fill by hand");
    for p in ["{explanation}", "{solution}", "{next_steps}"] {
        assert!(err.contains(p), "{err:?} does not name {p}");
    }
    assert!(err.contains("--allow-unfilled"), "{err:?}");

    let out = t.ok(&["templates", "render", "resolution", "--ticket", &id, "--allow-unfilled"]);
    assert!(out.starts_with("Subject: Re: "), "{out}");
    for p in ["{explanation}", "{solution}", "{next_steps}"] {
        assert!(out.contains(p), "{out} does not keep {p}");
    }

    // the same check guards a reply filled from the template: nothing is recorded
    let before = t.ticket(ticket["id"].as_i64().unwrap());
    let err = t.fails(&["tickets", "reply", &id, "--template", "resolution"], 1);
    assert_runtime_error(
        &err,
        "the reply still has placeholders to fill: {explanation}, {solution}, {next_steps}",
    );
    let after = t.ticket(ticket["id"].as_i64().unwrap());
    assert_eq!(replies(&after).len(), replies(&before).len());
    assert_eq!(after["version"], before["version"]);

    let err = t.fails(&["templates", "render", "nonsense", "--ticket", &id], 1);
    assert_runtime_error(&err, "there is no template 'nonsense'");
    assert!(err.contains("acknowledgment") && err.contains("exit-survey"), "{err:?}");
    let err = t.fails(&["templates", "render", "resolution", "--ticket", "99999"], 1);
    assert_runtime_error(&err, "99999");
}

// 3
#[test]
fn malformed_user_templates_are_skipped_with_file_and_line() {
    let t = Tend::demo();
    let shipped = names(&t.template_list());
    assert_eq!(shipped.len(), 21);

    let unknown = t.write_template(
        "bad-placeholder.tmpl",
        "# comments count as lines too\n\
         name: Bad placeholder\n\
         for: general\n\
         subject: Hello {first_name}\n\
         \n\
         First line of the body.\n\
         Second line.\n\
         Hi {nope}, welcome.\n",
    );
    let unclosed = t.write_template(
        "bad-brace.tmpl",
        "name: Bad brace\nfor: general\nsubject: Hello\n\nfine\nHi {first_name, welcome\n",
    );
    let unclosed_subject = t.write_template(
        "bad-subject.tmpl",
        "name: Bad subject\nfor: general\nsubject: About {ticket_subject\n\nbody\n",
    );
    let good = t.write_template(
        "extra-note.tmpl",
        "name: Extra note\nfor: general\nblanks: note\nsubject: A note for {company}\n\n\
         Hi {first_name},\n\n{note}\n\n{agent_name}\n",
    );
    t.write_template("notes.txt", "not a template {at all\n");

    let out = t.run(&["templates", "list", "--format", "json"]);
    expect_code(&["templates", "list"], &out, 0);
    let list: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let listed = names(&list);
    for n in &shipped {
        assert!(listed.contains(n), "{n} is missing from {listed:?}");
    }
    assert!(listed.contains(&"extra-note".to_string()), "{listed:?}");
    assert_eq!(listed.len(), 22, "{listed:?}");
    let extra = list.iter().find(|x| x["name"] == "extra-note").unwrap();
    assert_eq!(extra["source"], good.display().to_string());
    assert_eq!(extra["blanks"], serde_json::json!(["note"]));

    let stderr = String::from_utf8(out.stderr).unwrap();
    let warnings: Vec<&str> = stderr.lines().collect();
    let expected = [
        (&unclosed, 6, "`{` is not closed on this line"),
        (&unknown, 8, "unknown placeholder {nope}"),
        (&unclosed_subject, 3, "`{` is not closed on this line"),
    ];
    assert_eq!(warnings.len(), expected.len(), "{stderr}");
    for (w, (path, line, message)) in warnings.iter().zip(expected) {
        let prefix = format!("tend: warning: template skipped: {}:{line}: ", path.display());
        assert!(w.starts_with(&prefix), "{w:?} does not start with {prefix:?}");
        assert!(w.contains(message), "{w:?} does not say {message:?}");
    }
    assert!(!stderr.contains("notes.txt"), "{stderr}");

    // the table lists the good one too, and every command warns the same way
    let out = t.run(&["templates", "list"]);
    expect_code(&["templates", "list"], &out, 0);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains(&good.display().to_string()), "{table}");
    assert_eq!(String::from_utf8(out.stderr).unwrap(), stderr);

    let id = t.tickets()[0]["id"].as_i64().unwrap().to_string();
    let out = t.run(&["templates", "render", "extra-note", "--ticket", &id, "--allow-unfilled"]);
    expect_code(&["templates", "render", "extra-note"], &out, 0);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("Subject: A note for "), "{text}");
    assert!(text.contains("{note}") && text.ends_with("\n\ntester\n"), "{text}");
    assert_eq!(markers(&text).unwrap(), vec!["note".to_string()], "{text}");

    let out = t.run(&["templates", "render", "bad-brace", "--ticket", &id]);
    expect_code(&["templates", "render", "bad-brace"], &out, 1);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr
            .lines()
            .last()
            .unwrap()
            .starts_with("tend: there is no template 'bad-brace'"),
        "{stderr}"
    );
}

// 4
#[test]
fn a_user_template_overrides_the_shipped_one_unless_it_is_malformed() {
    let t = Tend::demo();
    t.write_config("");
    let ticket = t.unanswered("email")[0].clone();
    let id = ticket["id"].as_i64().unwrap();
    let ids = id.to_string();
    let subject = ticket["subject"].as_str().unwrap();
    let first_name = t.contact_of(&ticket)["name"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();

    let text = "name: Acknowledgment\nfor: acknowledge\nsubject: Got it: {ticket_subject}\n\n\
                Hello {first_name}, this is our house style.\n\n{agent_name}\n";
    let path = t.write_template("acknowledgment.tmpl", text);

    let shown = t.ok(&["templates", "show", "acknowledgment"]);
    assert_eq!(shown, format!("# acknowledgment ({})\n{text}", path.display()));
    let list = t.template_list();
    assert_eq!(list.len(), 21, "an override adds a template: {:?}", names(&list));
    let ack: Vec<&Value> = list.iter().filter(|x| x["name"] == "acknowledgment").collect();
    assert_eq!(ack.len(), 1);
    assert_eq!(ack[0]["source"], path.display().to_string());
    assert_eq!(ack[0]["subject"], "Got it: {ticket_subject}");

    let out = t.ok(&["templates", "render", "acknowledgment", "--ticket", &ids]);
    assert_eq!(
        out,
        format!("Subject: Got it: {subject}\n\nHello {first_name}, this is our house style.\n\nSam Agent\n")
    );

    // a reply filled from the step's template uses the override too
    let said = t.ok(&["tickets", "reply", &ids]);
    assert!(said.starts_with(&format!("Reply to #{id} recorded")), "{said}");
    let r = replies(&t.ticket(id));
    assert_eq!(
        r.last().unwrap()["body"],
        format!("Got it: {subject}\n\nHello {first_name}, this is our house style.\n\nSam Agent")
    );

    // a malformed override is skipped with a warning; the shipped template stays
    std::fs::write(
        &path,
        "name: Acknowledgment\nfor: acknowledge\nsubject: Got it\n\nHello {frist_name}\n",
    )
    .unwrap();
    let out = t.run(&["templates", "show", "acknowledgment"]);
    expect_code(&["templates", "show"], &out, 0);
    let shown = String::from_utf8(out.stdout).unwrap();
    assert!(shown.starts_with("# acknowledgment (built-in)\n"), "{shown}");
    assert!(
        shown.contains("Thank you for reaching out about {issue_summary}"),
        "{shown}"
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr,
        format!(
            "tend: warning: template skipped: {}:5: unknown placeholder {{frist_name}}: not a field tend fills \
             (see `tend templates fields`) nor one of this template's blanks\n",
            path.display()
        )
    );

    let out = t.run(&["templates", "render", "acknowledgment", "--ticket", &ids]);
    expect_code(&["templates", "render"], &out, 0);
    let rendered = String::from_utf8(out.stdout).unwrap();
    assert!(
        rendered.starts_with(&format!("Subject: Re: {subject}\n\n")),
        "{rendered}"
    );
    assert!(rendered.contains("Thank you for reaching out about"), "{rendered}");
    assert!(!rendered.contains("house style"), "{rendered}");
    assert_eq!(String::from_utf8(out.stderr).unwrap(), stderr);
    let list = t.run(&["templates", "list", "--format", "json"]);
    let list: Vec<Value> = serde_json::from_slice(&list.stdout).unwrap();
    let ack = list.iter().find(|x| x["name"] == "acknowledgment").unwrap();
    assert_eq!(ack["source"], "built-in");
    assert_eq!(list.len(), 21);
}

// 5a
#[test]
fn send_command_receives_a_threaded_rfc5322_message() {
    let t = Tend::demo();
    let captured = t.path("captured.eml");
    let send = t.script("send.sh", &format!("cat > '{}'\n", captured.display()));
    t.write_config(&format!("send_command = '{}'\n", send.display()));

    let ticket = t.unanswered("email")[0].clone();
    let id = ticket["id"].as_i64().unwrap();
    let ids = id.to_string();
    let subject = ticket["subject"].as_str().unwrap();
    let contact = t.contact_of(&ticket);
    let email = contact["email"].as_str().unwrap();
    let contact_name = contact["name"].as_str().unwrap();
    // the demo gives each email ticket the Message-ID <demo-tNNNNNNN@mail.customer.example>
    let customer_id = format!("<{}@mail.customer.example>", ticket["external_id"].as_str().unwrap());
    let draft = t.ok(&["templates", "render", "acknowledgment", "--ticket", &ids]);

    let said = t.ok(&["tickets", "reply", &ids, "--deliver", "send"]);
    assert_eq!(
        said,
        format!(
            "Reply to #{id} sent with `{}`; first response recorded; ticked: Respond within target time.\n",
            send.display()
        )
    );

    let raw = std::fs::read_to_string(&captured).expect("the send command got no message");
    let (headers, body) = parse_message(&raw);
    let from = header(&headers, "From");
    assert!(
        from.contains("Widgetly Support") && from.ends_with("<support@widgetly.example>"),
        "From: {from}"
    );
    let to = header(&headers, "To");
    assert!(
        to.contains(contact_name) && to.ends_with(&format!("<{email}>")),
        "To: {to}"
    );
    assert_eq!(header(&headers, "Subject"), format!("Re: {subject}"));
    assert_eq!(header(&headers, "Date"), NOW_RFC5322);
    let mid = header(&headers, "Message-ID");
    assert!(
        mid.starts_with('<') && mid.ends_with("@widgetly.example>") && mid.matches('@').count() == 1,
        "Message-ID: {mid}"
    );
    assert_ne!(mid, customer_id);
    assert_eq!(header(&headers, "MIME-Version"), "1.0");
    assert_eq!(header(&headers, "In-Reply-To"), customer_id);
    assert_eq!(header(&headers, "References"), customer_id);
    assert!(
        header(&headers, "Content-Type").starts_with("text/plain"),
        "{headers:?}"
    );

    let text = body_text(&headers, &body);
    assert_eq!(text.trim_end(), after_blank_line(&draft).trim_end(), "{raw}");
    assert!(text.starts_with("Hi "), "{text}");

    let shown = t.ticket(id);
    let r = replies(&shown);
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0]["actor"], "tester");
    assert_eq!(r[0]["at"], NOW_TS);
    assert_eq!(
        r[0]["body"].as_str().unwrap(),
        format!("Re: {subject}\n\n{}", text.trim_end())
    );
    assert_eq!(shown["first_response_at"], NOW_TS);
}

// 5b
#[test]
fn a_failing_send_command_is_reported_and_nothing_is_recorded() {
    let t = Tend::demo();
    let ticket = t.unanswered("email")[1].clone();
    let id = ticket["id"].as_i64().unwrap();
    let ids = id.to_string();

    // no send command configured
    t.write_config("");
    let err = t.fails(&["tickets", "reply", &ids, "--deliver", "send"], 1);
    assert_runtime_error(&err, "no send command is set");

    let fail = t.script(
        "fail.sh",
        "cat > /dev/null\necho 'smtp: no route to host' >&2\nexit 3\n",
    );
    t.write_config(&format!("send_command = '{}'\n", fail.display()));
    let before = t.ticket(id);

    let err = t.fails(&["tickets", "reply", &ids, "--deliver", "send"], 1);
    assert_runtime_error(&err, "smtp: no route to host");
    assert!(
        err.contains(&fail.display().to_string()) && err.contains('3'),
        "{err:?}"
    );
    let err = t.fails_stdin(&["tickets", "reply", &ids, "--deliver", "send"], "Typed by hand.\n", 1);
    assert_runtime_error(&err, "smtp: no route to host");

    let after = t.ticket(id);
    assert_eq!(replies(&after).len(), replies(&before).len(), "{after}");
    assert_eq!(timeline(&after).len(), timeline(&before).len(), "{after}");
    assert!(after["first_response_at"].is_null(), "{after}");
    assert_eq!(after["checklist"][0]["done"], false, "{after}");
    assert_eq!(after["version"], before["version"]);
}

// 6a
#[test]
fn a_recorded_reply_sets_the_first_response_and_ticks_acknowledge() {
    let t = Tend::demo();
    let id = t.new_ticket(2, "Export to CSV fails", "Every export stops at 50%.\n");
    let ids = id.to_string();
    let fresh = t.ticket(id);
    assert_eq!(fresh["step"], "acknowledge");
    assert!(fresh["first_response_at"].is_null());
    assert!(replies(&fresh).is_empty());

    let said = t.ok_stdin(
        &["tickets", "reply", &ids, "--deliver", "record"],
        "Thanks, I'm on it.\n",
    );
    assert_eq!(
        said,
        format!("Reply to #{id} recorded; first response recorded; ticked: Respond within target time.\n")
    );
    let shown = t.ticket(id);
    assert_eq!(shown["first_response_at"], NOW_TS);
    assert_eq!(shown["first_response_clock"]["state"], "met", "{shown}");
    assert_eq!(shown["step"], "acknowledge");
    let done: Vec<bool> = shown["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["done"].as_bool().unwrap())
        .collect();
    assert_eq!(done, vec![true, false, false]);
    assert_eq!(shown["checklist"][0]["label"], "Respond within target time");
    let r = replies(&shown);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0]["actor"], "tester");
    assert_eq!(r[0]["at"], NOW_TS);
    assert_eq!(r[0]["body"], "Re: Export to CSV fails\n\nThanks, I'm on it.");
    assert_eq!(r[0]["from_step"], "acknowledge");

    // a second reply, by someone else, is not the first response again
    let said = t.ok_stdin(
        &["--as", "priya", "tickets", "reply", &ids],
        "Subject: Quick update\n\nStill looking.\n",
    );
    assert_eq!(said, format!("Reply to #{id} recorded.\n"));
    let shown = t.ticket(id);
    assert_eq!(shown["first_response_at"], NOW_TS);
    let r = replies(&shown);
    assert_eq!(r.len(), 2);
    assert_eq!(r[1]["actor"], "priya");
    assert_eq!(r[1]["body"], "Quick update\n\nStill looking.");
}

// 6b
#[test]
fn file_delivery_writes_the_message_and_never_overwrites() {
    let t = Tend::demo();
    let outbox = t.path("outbox-here");
    t.write_config(&format!("outbox = '{}'\n", outbox.display()));
    let id = t.new_ticket(2, "Invoices show the wrong VAT", "");
    let ids = id.to_string();

    let out = t.path("replies/first.eml");
    let outs = out.display().to_string();
    let said = t.ok_stdin(
        &["tickets", "reply", &ids, "--deliver", "file", "--out", &outs],
        "We are checking the VAT rules.\n",
    );
    assert_eq!(
        said,
        format!("Reply to #{id} written to {outs}; first response recorded; ticked: Respond within target time.\n")
    );
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(written.contains("\r\n\r\n"), "not CRLF: {written:?}");
    let (headers, body) = parse_message(&written);
    assert_eq!(header(&headers, "Subject"), "Re: Invoices show the wrong VAT");
    assert!(header(&headers, "From").ends_with("<support@widgetly.example>"));
    assert!(header(&headers, "To").ends_with(".example>"), "{headers:?}");
    assert_eq!(header(&headers, "Date"), NOW_RFC5322);
    assert_eq!(header(&headers, "MIME-Version"), "1.0");
    assert!(header(&headers, "Message-ID").ends_with("@widgetly.example>"));
    assert!(
        !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("In-Reply-To")),
        "a ticket opened by hand has no message to thread: {headers:?}"
    );
    assert_eq!(body_text(&headers, &body).trim_end(), "We are checking the VAT rules.");
    assert_eq!(replies(&t.ticket(id)).len(), 1);

    let err = t.fails_stdin(
        &["tickets", "reply", &ids, "--deliver", "file", "--out", &outs],
        "Something else.\n",
        1,
    );
    assert_runtime_error(&err, &format!("cannot write {outs}"));
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        written,
        "the file was overwritten"
    );
    assert_eq!(replies(&t.ticket(id)).len(), 1, "a refused write was recorded");

    // without --out the message goes to the outbox, named for the ticket and the time
    let said = t.ok_stdin(&["tickets", "reply", &ids, "--deliver", "file"], "Fixed now.\n");
    let default = outbox.join(format!("ticket-{id}-20261122-100000.eml"));
    assert_eq!(said, format!("Reply to #{id} written to {}.\n", default.display()));
    assert!(std::fs::read_to_string(&default).unwrap().contains("Fixed now."));
    let err = t.fails_stdin(&["tickets", "reply", &ids, "--deliver", "file"], "Again.\n", 1);
    assert_runtime_error(&err, "cannot write");
    assert_eq!(replies(&t.ticket(id)).len(), 2);
}

// 7a
#[test]
fn onboarding_enrolment_is_listed_and_not_doubled() {
    let t = Tend::demo();
    let name = t.json(&["accounts", "show", "3", "--format", "json"])["account"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        t.json(&["sequences", "list", "--format", "json"]),
        serde_json::json!([])
    );

    assert_eq!(
        t.ok(&["sequences", "enroll", "3", "onboarding"]),
        format!("{name} is enrolled in onboarding: 6 steps, from 2026-11-22 to 2026-12-13.\n")
    );
    let list = t.json(&["sequences", "list", "--format", "json"]);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    let e = &list[0];
    assert_eq!(e["account_id"], 3);
    assert_eq!(e["sequence"], "onboarding");
    assert_eq!(e["status"], "active");
    assert_eq!(e["enrolled_on"], "2026-11-22");
    assert_eq!(e["actor"], "tester");
    assert_eq!((e["done"].as_i64(), e["steps"].as_i64()), (Some(0), Some(6)));
    assert_eq!(e["next_due"], "2026-11-22");
    assert_eq!(e["next_title"], "Onboarding day 0: Welcome");
    let table = t.ok(&["sequences", "list", "--account", "3"]);
    assert!(table.contains(" 0/6 "), "{table}");
    assert!(table.contains("2026-11-22 Onboarding day 0: Welcome"), "{table}");

    let err = t.fails(&["sequences", "enroll", "3", "onboarding"], 1);
    assert_runtime_error(&err, "already in the onboarding sequence");
    let err = t.fails(&["sequences", "enroll", "3", "nonsense"], 1);
    assert_runtime_error(
        &err,
        "there is no sequence 'nonsense'; the sequences are onboarding, winback",
    );
    let err = t.fails(&["sequences", "enroll", "99999", "onboarding"], 1);
    assert_runtime_error(&err, "99999");
    assert_eq!(
        t.json(&["sequences", "list", "--all", "--format", "json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let show = t.ok(&["sequences", "show"]);
    let days = |seq: &str| -> Vec<u32> {
        show.split(&format!("{seq}:\n"))
            .nth(1)
            .unwrap_or_else(|| panic!("{seq} is not shown:\n{show}"))
            .lines()
            .take_while(|l| l.starts_with("  day"))
            .map(|l| l.split_whitespace().nth(1).unwrap().parse().unwrap())
            .collect()
    };
    assert_eq!(days("onboarding"), vec![0, 1, 3, 7, 14, 21], "{show}");
    assert_eq!(days("winback"), vec![1, 7, 14, 30, 60], "{show}");
}

// 7b
#[test]
fn winback_steps_fall_due_on_their_days_and_unenrolling_cancels_them() {
    let t = Tend::demo();
    let said = t.ok(&["sequences", "enroll", "3", "winback"]);
    assert!(
        said.ends_with(" is enrolled in winback: 5 steps, from 2026-11-23 to 2027-01-21.\n"),
        "{said}"
    );

    // the account's detail in the cockpit lists its tasks, soonest first (five of them)
    let screen = t.ok(&[
        "screen", "accounts", "--select", "3", "--width", "160", "--height", "60",
    ]);
    assert!(screen.contains("Tasks (5)"), "{screen}");
    let tasks: Vec<String> = screen
        .lines()
        .map(|l| l.trim_matches(|c: char| c == '│' || c == '›' || c.is_whitespace()))
        // a task line: its due date, then its title
        .filter(|l| {
            l.get(..10)
                .is_some_and(|d| d.chars().all(|c| c.is_ascii_digit() || c == '-'))
                && l[10..].starts_with(" Winback day")
        })
        .map(str::to_string)
        .collect();
    assert_eq!(
        tasks,
        vec![
            "2026-11-23 Winback day 1: We noticed you haven't been around",
            "2026-11-29 Winback day 7: Here's what you're missing",
            "2026-12-06 Winback day 14: A personal note from the founder",
            "2026-12-22 Winback day 30: An offer to come back",
            "2027-01-21 Winback day 60: Help us understand what happened",
        ],
        "{screen}"
    );
    let e = t.json(&["sequences", "list", "--account", "3", "--format", "json"]);
    assert_eq!(e[0]["sequence"], "winback");
    assert_eq!(e[0]["steps"], 5);
    assert_eq!(e[0]["next_due"], "2026-11-23");

    assert_eq!(
        t.ok(&["sequences", "unenroll", "3", "winback"]),
        "Unenrolled from winback; 5 remaining steps cancelled.\n"
    );
    assert_eq!(
        t.json(&["sequences", "list", "--format", "json"]),
        serde_json::json!([])
    );
    let all = t.json(&["sequences", "list", "--all", "--format", "json"]);
    assert_eq!(all.as_array().unwrap().len(), 1);
    assert_eq!(all[0]["status"], "cancelled");
    assert_eq!(all[0]["done"], 0);
    assert!(all[0]["next_due"].is_null(), "{all}");
    let screen = t.ok(&[
        "screen", "accounts", "--select", "3", "--width", "160", "--height", "60",
    ]);
    assert!(screen.contains("Tasks (0)"), "{screen}");
    let err = t.fails(&["sequences", "unenroll", "3", "winback"], 1);
    assert_runtime_error(&err, "is not in the winback sequence");

    // enrolling again starts afresh
    t.ok(&["sequences", "enroll", "3", "winback"]);
    let all = t.json(&["sequences", "list", "--all", "--format", "json"]);
    let statuses: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["active", "cancelled"]);
    assert_eq!(all[0]["done"], 0);
    assert_eq!(all[0]["next_due"], "2026-11-23");
}

// 8
#[test]
fn usage_errors_exit_2() {
    let t = Tend::new();
    for args in [
        &["templates", "render", "resolution"][..],
        &["templates", "render", "resolution", "--ticket", "1", "--account", "1"],
        &["templates", "list", "--format", "xml"],
        &["tickets", "reply", "1", "--deliver", "pigeon"],
        &["sequences", "enroll", "3"],
        &["sequences", "list", "--account", "three"],
    ] {
        let err = t.fails(args, 2);
        assert!(err.starts_with("error: "), "{args:?}: {err}");
    }
    assert!(!t.path("tend.db").exists(), "a usage error opened the database");
}

// 9: a literal `{{name}}` earlier in the body must not be taken for the unknown `{name}`
#[test]
fn unknown_placeholder_is_reported_on_its_own_line_not_on_an_escaped_literal() {
    let t = Tend::new();
    let path = t.write_template(
        "literal.tmpl",
        "name: Literal\nfor: general\nsubject: Hello\n\nWrite {{nope}} to get braces.\nthen\nHi {nope}\n",
    );
    let out = t.run(&["templates", "list", "--format", "json"]);
    expect_code(&["templates", "list"], &out, 0);
    let stderr = String::from_utf8(out.stderr).unwrap();
    let expected = format!(
        "tend: warning: template skipped: {}:7: unknown placeholder {{nope}}",
        path.display()
    );
    assert!(stderr.starts_with(&expected), "expected {expected:?}, got {stderr:?}");
}

// 10: `{{first_name}}` is a literal, not a placeholder left to fill
#[test]
fn escaped_braces_around_a_field_name_are_not_an_unfilled_placeholder() {
    let t = Tend::demo();
    t.write_template(
        "braces.tmpl",
        "name: Braces\nfor: general\nsubject: About templates\n\nHi {first_name}, type {{first_name}} in your own.\n",
    );
    let id = t.tickets()[0]["id"].as_i64().unwrap();
    let ids = id.to_string();
    let out = t.ok(&["templates", "render", "braces", "--ticket", &ids]);
    assert!(out.contains(", type {first_name} in your own."), "{out}");

    // a reply filled from that template (nothing piped) is complete too, and is recorded
    let said = t.ok(&["tickets", "reply", &ids, "--template", "braces", "--deliver", "record"]);
    assert!(said.starts_with(&format!("Reply to #{id} recorded")), "{said}");
    let r = replies(&t.ticket(id));
    let body = r.last().unwrap()["body"].as_str().unwrap();
    assert!(body.starts_with("About templates\n\nHi "), "{body}");
    assert!(body.ends_with(", type {first_name} in your own."), "{body}");
}
