//! End-to-end tests of `tend import mbox` and `tend import maildir`: support mail becomes one
//! ticket per conversation, each message a timeline entry, each customer a contact under an
//! account found (or created) by email domain. Each test runs on its own temporary database
//! (tests/common::Home) with a frozen clock.
//!
//! Inputs:
//! - `tests/fixtures/mail/support.mbox`, written by hand, 13 messages (numbered in file order):
//!    1. <a1@northwind.io>  Alice, "Login fails after upgrade": the question
//!    2. <a2@ourco.com>     our reply (support@ourco.com), In-Reply-To 1
//!    3. <a3@northwind.io>  Alice's follow-up, quoted-printable UTF-8 ("Accès refusé", a soft break)
//!    4. <a4@northwind.io>  Bob (same company), References only (no In-Reply-To), base64 UTF-8 ("café")
//!    5. <a5@northwind.io>  Alice, "Re: Login fails after upgrade" with no In-Reply-To/References
//!    6. <b1@initech.dev>   Erin, "Password reset email never arrives"
//!    7. <b2@initech.dev>   Frank, "Fwd: Password reset ..." with no threading headers, iso-8859-1 8-bit body
//!    8. <b3@ourco.com>     our reply (sam@ourco.com) to 7: we wrote last
//!    9. <c1@mail.gmail.com> RFC 2047 From "Grégoire Dupré" (gmail), "Login fails after upgrade" again,
//!       no prefix: a new, unrelated conversation
//!   10. <d1@umbrella-labs.com> HTML only
//!   11. <e1@shop.example> text plus a 61-byte PDF attachment (reserved domain: account per person)
//!   12. no From header: skipped
//!   13. empty: skipped
//! - `followup.mbox`: Erin's answer to message 8 (the mailbox grows by it).
//! - `lone-reply.mbox`: "AW: [Umbrella] Dashboard shows wrong totals" with no threading headers.
//! - `maildir-new/`: a Maildir with only `new/` (a question, our reply, a second question in CRLF).
//! - The real archives in /work/shared/fixtures/real (see its README).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use std::collections::BTreeSet;

mod common;
use common::assert_runtime_error;

type Tend = common::Home;

/// The frozen clock: less than 30 days after the last message of support.mbox, so nothing closes.
const NOW: &str = "2024-03-20T00:00:00Z";
const DAY: i64 = 86_400;
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/mail");
const REAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures/real");

fn fixture(name: &str) -> String {
    format!("{FIXTURES}/{name}")
}

fn real(name: &str) -> String {
    format!("{REAL}/{name}")
}

// ---------------------------------------------------------------------------------------------
// Reading the fixtures with simple code, to derive what the import should report.

/// The messages of an mbox file: a new one starts at every line beginning with "From ".
fn mbox_messages(path: &str) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let mut out: Vec<Vec<u8>> = Vec::new();
    for line in bytes.split_inclusive(|b| *b == b'\n') {
        if line.starts_with(b"From ") {
            out.push(Vec::new());
        } else if let Some(m) = out.last_mut() {
            m.extend_from_slice(line);
        }
    }
    out
}

/// The files of a Maildir subfolder.
fn maildir_messages(dir: &str) -> Vec<Vec<u8>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {dir}: {e}"))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// A message's header fields, unfolded, names lower-cased (bytes read as Latin-1: headers are ASCII).
fn headers(msg: &[u8]) -> Vec<(String, String)> {
    let text: String = msg.iter().map(|&b| b as char).collect();
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(f) = fields.last_mut() {
                f.1.push(' ');
                f.1.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            fields.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    fields
}

fn header(msg: &[u8], name: &str) -> Option<String> {
    headers(msg).into_iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

fn message_ids(msgs: &[Vec<u8>]) -> BTreeSet<String> {
    msgs.iter()
        .map(|m| header(m, "message-id").unwrap_or_else(|| panic!("a message without Message-ID")))
        .collect()
}

/// The message with this Message-ID.
fn by_id<'a>(msgs: &'a [Vec<u8>], id: &str) -> &'a [u8] {
    msgs.iter()
        .find(|m| header(m, "message-id").as_deref() == Some(id))
        .unwrap_or_else(|| panic!("no message {id} in the fixture"))
}

/// The Unix time of the message's Date header.
fn date_of(msgs: &[Vec<u8>], id: &str) -> i64 {
    let d = header(by_id(msgs, id), "date").unwrap_or_else(|| panic!("{id} has no Date"));
    chrono::DateTime::parse_from_rfc2822(&d)
        .unwrap_or_else(|e| panic!("{id}: bad Date {d:?}: {e}"))
        .timestamp()
}

fn support_mbox() -> Vec<Vec<u8>> {
    mbox_messages(&fixture("support.mbox"))
}

// ---------------------------------------------------------------------------------------------
// Reading tend's results.

impl Tend {
    fn fresh() -> Tend {
        Tend::new(NOW)
    }

    /// `tend import <args> --format json`.
    fn import(&self, args: &[&str]) -> Value {
        let mut a = vec!["import"];
        a.extend_from_slice(args);
        a.extend(["--format", "json"]);
        self.json(&a)
    }

    /// Every ticket, closed ones too, by id.
    fn tickets(&self) -> Vec<Value> {
        let mut t = self
            .json(&["tickets", "list", "--all", "--format", "json"])
            .as_array()
            .unwrap()
            .clone();
        t.sort_by_key(|t| t["id"].as_i64().unwrap());
        t
    }

    fn show(&self, id: i64) -> Value {
        self.json(&["tickets", "show", &id.to_string(), "--format", "json"])
    }

    fn timeline(&self, id: i64) -> Vec<Value> {
        self.show(id)["timeline"].as_array().unwrap().clone()
    }

    fn accounts(&self) -> Vec<Value> {
        self.json(&["accounts", "list", "--format", "json"])
            .as_array()
            .unwrap()
            .clone()
    }

    /// (external id, name) of every account.
    fn account_names(&self) -> BTreeSet<(String, String)> {
        self.accounts()
            .iter()
            .map(|a| {
                (
                    a["external_id"].as_str().unwrap().to_string(),
                    a["name"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    fn integrity_ok(&self) {
        let out = self.ok(&["db", "check"]);
        assert!(out.contains("integrity ok"), "db check: {out}");
    }

    /// The exported data, to compare before and after.
    fn exports(&self) -> Vec<String> {
        ["accounts", "contacts", "tickets"]
            .iter()
            .map(|w| self.ok(&["export", w]))
            .collect()
    }
}

/// The one ticket whose body (its first message's text) contains `needle`.
fn ticket_with<'a>(tickets: &'a [Value], needle: &str) -> &'a Value {
    let found: Vec<_> = tickets
        .iter()
        .filter(|t| t["body"].as_str().unwrap_or("").contains(needle))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one ticket whose body has {needle:?}: {tickets:#?}"
    );
    found[0]
}

fn id(t: &Value) -> i64 {
    t["id"].as_i64().unwrap()
}

fn kinds(timeline: &[Value]) -> Vec<&str> {
    timeline.iter().map(|e| e["kind"].as_str().unwrap()).collect()
}

fn times(timeline: &[Value]) -> Vec<i64> {
    timeline.iter().map(|e| e["at"].as_i64().unwrap()).collect()
}

fn body(e: &Value) -> &str {
    e["body"].as_str().unwrap()
}

/// `already`: messages not stored again, whether stored before or repeated in the mailbox.
fn assert_counts(report: &Value, messages: usize, imported: usize, already: usize, skipped: usize) {
    assert_eq!(report["messages"], messages, "messages: {report:#}");
    assert_eq!(report["imported"], imported, "imported: {report:#}");
    assert_eq!(
        report["already"].as_u64().unwrap() + report["duplicates"].as_u64().unwrap(),
        already as u64,
        "already stored + duplicates: {report:#}"
    );
    assert_eq!(
        report["skipped"].as_array().unwrap().len(),
        skipped,
        "skipped: {report:#}"
    );
}

fn assert_changes(report: &Value, created: i64, updated: i64, accounts: i64) {
    assert_eq!(report["tickets_created"], created, "tickets created: {report:#}");
    assert_eq!(report["tickets_updated"], updated, "tickets updated: {report:#}");
    assert_eq!(report["accounts_created"], accounts, "accounts created: {report:#}");
}

// ---------------------------------------------------------------------------------------------
// Real archives.

/// The httpd users list for July 2020 (108 messages, 38 conversations per the fixtures README),
/// then the ASF's own copy of the same messages, then the first file again: only the first
/// import writes anything.
#[test]
fn httpd_archive_becomes_38_tickets_and_imports_once() {
    let t = Tend::new("2020-08-15T00:00:00Z");
    let file = real("mbox/httpd-users-2020-07.mbox");
    let copy = real("mbox/httpd-users-2020-07.asf-copy.mbox");
    let msgs = mbox_messages(&file);
    let copy_msgs = mbox_messages(&copy);
    assert_eq!(msgs.len(), 108);
    assert_eq!(message_ids(&msgs).len(), 108, "the archive's Message-IDs are distinct");
    assert_eq!(
        message_ids(&msgs),
        message_ids(&copy_msgs),
        "the ASF copy holds the same Message-IDs"
    );

    let r = t.import(&["mbox", &file]);
    assert_counts(&r, 108, 108, 0, 0);
    assert_eq!(r["source"], file.as_str());
    assert_eq!(r["tickets_created"], 38, "{r:#}");
    assert_eq!(r["tickets_updated"], 0);
    assert_eq!(
        (r["dry_run"].as_bool(), r["written"].as_bool()),
        (Some(false), Some(true))
    );

    let tickets = t.tickets();
    assert_eq!(tickets.len(), 38);
    // Every message is one timeline entry, each ticket opened by exactly one of them.
    let mut entries = 0;
    for tk in &tickets {
        let tl = t.timeline(id(tk));
        assert_eq!(kinds(&tl)[0], "opened", "ticket {}: {tl:#?}", tk["id"]);
        assert_eq!(kinds(&tl).iter().filter(|k| **k == "opened").count(), 1);
        assert_eq!(tl[0]["at"], tk["opened_at"]);
        // No support address was given: every message counts as the customer's.
        assert!(tl[1..].iter().all(|e| e["kind"] == "inbound"), "{tl:#?}");
        assert!(tk["first_response_at"].is_null());
        entries += tl.len();
        // Subjects lose the reply prefixes and the list tag.
        let s = tk["subject"].as_str().unwrap();
        assert!(!s.is_empty());
        assert!(
            !s.to_lowercase().starts_with("re:") && !s.starts_with('['),
            "subject kept a prefix: {s:?}"
        );
    }
    assert_eq!(entries, 108);
    assert_eq!(t.accounts().len() as i64, r["accounts_created"].as_i64().unwrap());

    let r = t.import(&["mbox", &copy]);
    assert_counts(&r, 108, 0, 108, 0);
    assert_changes(&r, 0, 0, 0);
    let r = t.import(&["mbox", &file]);
    assert_counts(&r, 108, 0, 108, 0);
    assert_changes(&r, 0, 0, 0);
    assert_eq!(t.tickets(), tickets, "re-importing changed the tickets");
    t.integrity_ok();
}

/// The lkml Maildir (cur/ only, 210 files, some of them copies of one message cross-posted to
/// several lists): nothing is skipped, each distinct message is stored once, and a second
/// import stores nothing.
#[test]
fn lkml_maildir_imports_without_skips_and_only_once() {
    let t = Tend::new("2011-03-01T00:00:00Z");
    let dir = real("maildir/lkml");
    let msgs = maildir_messages(&format!("{dir}/cur"));
    assert_eq!(msgs.len(), 210);
    let distinct = message_ids(&msgs).len();

    let r = t.import(&["maildir", &dir]);
    assert_counts(&r, 210, distinct, 210 - distinct, 0);
    // on an empty database the copies are duplicates, not stored messages
    assert_eq!(r["already"], 0, "{r:#}");
    assert_eq!(r["duplicates"], 210 - distinct, "{r:#}");
    let tickets = t.tickets();
    assert_eq!(tickets.len() as i64, r["tickets_created"].as_i64().unwrap());
    let entries: usize = tickets.iter().map(|tk| t.timeline(id(tk)).len()).sum();
    assert_eq!(entries, distinct, "one timeline entry per distinct message");

    let r = t.import(&["maildir", &dir]);
    assert_counts(&r, 210, 0, 210, 0);
    assert_changes(&r, 0, 0, 0);
    assert_eq!(t.tickets(), tickets);
    t.integrity_ok();
}

/// The maven dev list: not valid UTF-8 (raw latin-1 bodies), 34 messages without Date. Every
/// message still imports, and encoded-word names are decoded.
#[test]
fn maven_archive_in_latin1_imports_every_message() {
    let t = Tend::new("2018-01-20T00:00:00Z");
    let file = real("mbox/maven-dev-2017-11.mbox");
    let msgs = mbox_messages(&file);
    assert!(std::str::from_utf8(&std::fs::read(&file).unwrap()).is_err());
    let dateless = msgs.iter().filter(|m| header(m, "date").is_none()).count();
    assert_eq!(dateless, 34);
    // One message has no Message-ID at all: it cannot be a duplicate of another.
    let without_id = msgs.iter().filter(|m| header(m, "message-id").is_none()).count();
    assert_eq!(without_id, 1);
    let with_id: Vec<Vec<u8>> = msgs
        .iter()
        .filter(|m| header(m, "message-id").is_some())
        .cloned()
        .collect();
    let distinct = message_ids(&with_id).len() + without_id;

    let r = t.import(&["mbox", &file]);
    assert_counts(&r, msgs.len(), distinct, msgs.len() - distinct, 0);
    // "From: =?ISO-8859-1?Q?Herv=E9?= BOUTEMY <herve.boutemy@free.fr>" (free.fr is free mail)
    let contacts = t.ok(&["export", "contacts"]);
    assert!(contacts.contains("Hervé BOUTEMY"), "{contacts}");
    assert!(
        !contacts.contains("=?"),
        "an encoded word was left undecoded:\n{contacts}"
    );
    t.integrity_ok();
}

// ---------------------------------------------------------------------------------------------
// The hand-written mailbox.

/// Everything about support.mbox in one import: threading, kinds, clocks, steps, accounts,
/// contacts, decoding and the skipped messages.
#[test]
fn support_mbox_threads_decodes_and_reports() {
    let t = Tend::fresh();
    let msgs = support_mbox();
    assert_eq!(msgs.len(), 13);
    let path = fixture("support.mbox");
    // Messages that cannot become tickets, by position (1-based) in the file.
    let no_from = 1 + msgs
        .iter()
        .position(|m| !m.trim_ascii().is_empty() && header(m, "from").is_none())
        .unwrap();
    let empty = 1 + msgs.iter().position(|m| m.trim_ascii().is_empty()).unwrap();
    assert_eq!((no_from, empty), (12, 13));

    // Text report first.
    let out = t.ok(&["import", "mbox", "--support", "@ourco.com", &path]);
    let summary = format!(
        "mbox {path}: messages 13 · imported 11 · already stored 0 · duplicates 0 · skipped 2 · tickets created 5 · \
         tickets updated 0 · accounts created 5"
    );
    assert!(out.lines().any(|l| l == summary), "no line {summary:?} in:\n{out}");
    let skipped: Vec<&str> = out.lines().filter(|l| l.starts_with("skipped ")).collect();
    assert_eq!(skipped.len(), 2, "{out}");
    assert!(
        skipped[0].contains(&no_from.to_string()) && skipped[0].contains("From"),
        "{out}"
    );
    assert!(
        skipped[1].contains(&empty.to_string()) && skipped[1].contains("empty"),
        "{out}"
    );

    // The same again in JSON: everything is already stored, the two bad ones skipped again.
    let r = t.import(&["mbox", "--support", "@ourco.com", &path]);
    assert_counts(&r, 13, 0, 11, 2);
    assert_changes(&r, 0, 0, 0);
    let sk = r["skipped"].as_array().unwrap();
    assert!(sk[0]["message"].as_str().unwrap().contains("12") && sk[0]["reason"].as_str().unwrap().contains("From"));
    assert!(sk[1]["message"].as_str().unwrap().contains("13") && sk[1]["reason"].as_str().unwrap().contains("empty"));

    let tickets = t.tickets();
    assert_eq!(tickets.len(), 5, "{tickets:#?}");
    let date = |id: &str| date_of(&msgs, id);

    // A: question, our reply, follow-up (QP), References-only reply (base64), stripped "Re:".
    let a = ticket_with(&tickets, "Since the upgrade to 4.2 nobody on our team can log in.");
    assert_eq!(a["subject"], "Login fails after upgrade");
    assert_eq!(a["account_name"], "northwind.io");
    assert_eq!(a["opened_at"], date("<a1@northwind.io>"));
    assert_eq!(a["first_response_at"], date("<a2@ourco.com>"));
    assert_eq!(a["step"], "diagnose", "a reply, then the customer wrote: diagnose");
    assert!(a["waiting_since"].is_null(), "the customer wrote last: {a:#}");
    let tl = t.timeline(id(a));
    assert_eq!(
        kinds(&tl),
        ["opened", "reply", "inbound", "inbound", "inbound"],
        "{tl:#?}"
    );
    let ids = [
        "<a1@northwind.io>",
        "<a2@ourco.com>",
        "<a3@northwind.io>",
        "<a4@northwind.io>",
        "<a5@northwind.io>",
    ];
    assert_eq!(times(&tl), ids.map(date));
    let actors: Vec<_> = tl.iter().map(|e| e["actor"].as_str().unwrap()).collect();
    assert_eq!(
        actors,
        [
            "Alice Martin",
            "Ourco Support",
            "Alice Martin",
            "Bob Lee",
            "Alice Martin"
        ]
    );
    assert_eq!(
        body(&tl[1]),
        "Sorry about that. Could you send us the exact error message?"
    );
    // Quoted-printable: =C3=A8 / =C3=A9 are è / é, and the soft line break "eno=\nugh" joins.
    assert!(
        body(&tl[2]).contains("The screen says: Accès refusé (code 403)"),
        "{:?}",
        body(&tl[2])
    );
    assert!(body(&tl[2]).contains("long enough to be wrapped"), "{:?}", body(&tl[2]));
    assert!(!body(&tl[2]).contains("=C3"), "undecoded QP: {:?}", body(&tl[2]));
    // Base64.
    assert!(
        body(&tl[3]).contains("Same here on my laptop: the café wifi is not the cause."),
        "{:?}",
        body(&tl[3])
    );
    assert_eq!(body(&tl[4]), "Any news on the login problem? Still locked out.");

    // B: the question, a forward with no threading headers, our reply to the forward.
    let b = ticket_with(&tickets, "I asked for a password reset three times");
    assert_eq!(b["subject"], "Password reset email never arrives");
    assert_eq!(b["account_name"], "initech.dev");
    let tl = t.timeline(id(b));
    assert_eq!(kinds(&tl), ["opened", "inbound", "reply"], "{tl:#?}");
    assert_eq!(
        times(&tl),
        ["<b1@initech.dev>", "<b2@initech.dev>", "<b3@ourco.com>"].map(date)
    );
    // iso-8859-1, 8-bit: bytes E0 and E9.
    assert!(
        body(&tl[1]).contains("Voilà le message transféré"),
        "{:?}",
        body(&tl[1])
    );
    assert_eq!(tl[2]["actor"], "Sam Rivera");
    assert_eq!(b["first_response_at"], date("<b3@ourco.com>"));
    // We wrote last: the ticket waits on the customer since our reply.
    assert_eq!(b["step"], "diagnose");
    assert_eq!(b["waiting_since"], date("<b3@ourco.com>"), "{b:#}");

    // C: same subject as A, no prefix, no headers: its own conversation; nobody answered yet.
    let c = ticket_with(&tickets, "Different issue, same words");
    assert_ne!(id(c), id(a));
    assert_eq!(c["subject"], "Login fails after upgrade");
    assert_eq!(c["step"], "acknowledge");
    assert!(c["first_response_at"].is_null());
    // RFC 2047 From: =?UTF-8?Q?Gr=C3=A9goire_Dupr=C3=A9?= at gmail: an account of his own.
    assert_eq!(c["account_name"], "Grégoire Dupré");
    let tl = t.timeline(id(c));
    assert_eq!(kinds(&tl), ["opened"]);
    assert_eq!(tl[0]["actor"], "Grégoire Dupré");

    // D: HTML only (its text is checked in html_only_mail_reads_as_text).
    let d = tickets
        .iter()
        .find(|t| t["subject"] == "Dashboard shows wrong totals")
        .unwrap();
    assert_eq!(d["account_name"], "umbrella-labs.com");
    assert_eq!(d["step"], "acknowledge");
    assert!(d["body"].as_str().unwrap().contains("nobody knows why"), "{d:#}");

    // E: an attachment, listed with its decoded size, not stored.
    let e = ticket_with(&tickets, "The attached invoice shows our old VAT number.");
    assert_eq!(e["subject"], "Invoice has the wrong VAT number");
    assert_eq!(e["account_name"], "Ivy Chen");
    let raw = String::from_utf8(by_id(&msgs, "<e1@shop.example>").to_vec()).unwrap();
    let b64: String = raw
        .split("Content-Transfer-Encoding: base64\n\n")
        .nth(1)
        .unwrap()
        .split("\n--XYZ-boundary--")
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    use base64::Engine as _;
    let size = base64::engine::general_purpose::STANDARD.decode(&b64).unwrap().len();
    assert_eq!(size, 61);
    let eb = e["body"].as_str().unwrap();
    assert!(
        eb.ends_with(&format!("Attachments: invoice-0042.pdf ({size} bytes)")),
        "{eb:?}"
    );
    assert!(
        !eb.contains("%PDF") && !eb.contains(&b64[..20]),
        "the attachment was stored: {eb:?}"
    );

    // Accounts: by domain for companies, per person for free mail and reserved domains; none for us.
    let expected: BTreeSet<(String, String)> = [
        ("northwind.io", "northwind.io"),
        ("initech.dev", "initech.dev"),
        ("umbrella-labs.com", "umbrella-labs.com"),
        ("gregoire.dupre@gmail.com", "Grégoire Dupré"),
        ("ivy@shop.example", "Ivy Chen"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(t.account_names(), expected);

    // The customer of each conversation is its first sender who is not us.
    let exported = t.json(&["export", "tickets", "--format", "json"]);
    let contacts: BTreeSet<(String, String)> = exported
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["subject"].as_str().unwrap().to_string(),
                x["contact_email"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = [
        ("Login fails after upgrade", "alice@northwind.io"),
        ("Password reset email never arrives", "erin@initech.dev"),
        ("Login fails after upgrade", "gregoire.dupre@gmail.com"),
        ("Dashboard shows wrong totals", "hank@umbrella-labs.com"),
        ("Invoice has the wrong VAT number", "ivy@shop.example"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(contacts, expected);
    t.integrity_ok();
}

/// An HTML-only message becomes readable text: no tags, no style sheet, entities decoded,
/// separate block elements (paragraphs, list items) kept apart.
#[test]
fn html_only_mail_reads_as_text() {
    let t = Tend::fresh();
    t.import(&["mbox", "--support", "@ourco.com", &fixture("support.mbox")]);
    let tickets = t.tickets();
    let d = tickets
        .iter()
        .find(|t| t["subject"] == "Dashboard shows wrong totals")
        .unwrap();
    let text = d["body"].as_str().unwrap();
    assert!(
        text.contains("The revenue dashboard total is off by 3 & nobody knows why."),
        "{text:?}"
    );
    assert!(text.contains("Steps:"), "{text:?}");
    for junk in ["<", ">", "&amp;", "color: red", "red;"] {
        assert!(!text.contains(junk), "{junk:?} left in {text:?}");
    }
    // <li>Open March</li><li>Compare with the invoice</li>: two items, not "Open MarchCompare".
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let open = lines.iter().position(|l| l.ends_with("Open March"));
    let compare = lines.iter().position(|l| l.ends_with("Compare with the invoice"));
    assert!(
        matches!((open, compare), (Some(a), Some(b)) if b == a + 1),
        "the list items are two lines: {text:?}"
    );
    assert!(!text.contains("**"), "no markup added: {text:?}");
}

/// With only support@ourco.com named, sam@ourco.com is a customer: his message is inbound, so
/// conversation B has no first response. Matching ignores case.
#[test]
fn support_address_matches_exactly_and_domain_matches_all() {
    let t = Tend::fresh();
    let r = t.import(&["mbox", "--support", "SUPPORT@OurCo.com", &fixture("support.mbox")]);
    assert_counts(&r, 13, 11, 0, 2);
    let tickets = t.tickets();
    let msgs = support_mbox();
    let a = ticket_with(&tickets, "Since the upgrade to 4.2");
    assert_eq!(a["first_response_at"], date_of(&msgs, "<a2@ourco.com>"));
    let b = ticket_with(&tickets, "I asked for a password reset");
    assert_eq!(kinds(&t.timeline(id(b))), ["opened", "inbound", "inbound"]);
    assert!(b["first_response_at"].is_null(), "{b:#}");
    assert_eq!(b["step"], "acknowledge");
    assert!(b["waiting_since"].is_null());
    // The conversation's customer is still Erin: no account for ourco.com.
    assert!(!t.account_names().iter().any(|(x, _)| x.contains("ourco.com")));
}

/// A conversation whose last message is older than --closed-after days (default 30) is
/// imported closed, resolved at our last reply, or at its last message when we never replied.
#[test]
fn quiet_conversations_are_imported_closed() {
    let now = "2024-04-06T12:00:00Z";
    let now_ts = chrono::DateTime::parse_from_rfc3339(now).unwrap().timestamp();
    let msgs = support_mbox();
    let date = |id: &str| date_of(&msgs, id);
    // (a needle of the first message, the conversation's messages, our last reply)
    let conversations: [(&str, Vec<&str>, Option<&str>); 5] = [
        (
            "Since the upgrade",
            vec!["<a1@northwind.io>", "<a5@northwind.io>"],
            Some("<a2@ourco.com>"),
        ),
        (
            "I asked for a password reset",
            vec!["<b1@initech.dev>", "<b3@ourco.com>"],
            Some("<b3@ourco.com>"),
        ),
        ("Different issue", vec!["<c1@mail.gmail.com>"], None),
        ("nobody knows why", vec!["<d1@umbrella-labs.com>"], None),
        ("The attached invoice", vec!["<e1@shop.example>"], None),
    ];
    let last = |ids: &[&str]| ids.iter().map(|i| date(i)).max().unwrap();

    let t = Tend::new(now);
    let r = t.import(&["mbox", "--support", "@ourco.com", &fixture("support.mbox")]);
    assert_changes(&r, 5, 0, 5);
    let tickets = t.tickets();
    let mut closed = 0;
    for (needle, ids, our_last) in &conversations {
        let tk = ticket_with(&tickets, needle);
        if last(ids) < now_ts - 30 * DAY {
            closed += 1;
            assert_eq!(tk["step"], "closed", "{tk:#}");
            let resolved = our_last.map(date).unwrap_or_else(|| last(ids));
            assert_eq!(tk["resolved_at"], resolved, "{tk:#}");
            assert!(tk["waiting_since"].is_null(), "{tk:#}");
        } else {
            assert_ne!(tk["step"], "closed", "{tk:#}");
            assert!(tk["resolved_at"].is_null(), "{tk:#}");
        }
    }
    assert_eq!(
        closed, 4,
        "the clock was chosen so that only the invoice conversation stays open"
    );

    // With 60 days, nothing is old enough.
    assert!(conversations.iter().all(|(_, ids, _)| last(ids) > now_ts - 60 * DAY));
    let t = Tend::new(now);
    t.import(&[
        "mbox",
        "--support",
        "@ourco.com",
        "--closed-after",
        "60",
        &fixture("support.mbox"),
    ]);
    assert!(
        t.tickets()
            .iter()
            .all(|tk| tk["step"] != "closed" && tk["resolved_at"].is_null())
    );
}

/// The mailbox grows by one message (Erin's answer to our reply): only it is imported, and it
/// lands on the existing ticket, which then no longer waits on the customer.
#[test]
fn grown_mailbox_appends_to_the_existing_ticket() {
    let t = Tend::fresh();
    let file = fixture("support.mbox");
    t.import(&["mbox", "--support", "@ourco.com", &file]);
    let before = t.tickets();
    let timelines: Vec<Vec<Value>> = before.iter().map(|tk| t.timeline(id(tk))).collect();

    let mut grown = std::fs::read(&file).unwrap();
    grown.extend(std::fs::read(fixture("followup.mbox")).unwrap());
    let grown_path = t.path("grown.mbox");
    std::fs::write(&grown_path, &grown).unwrap();
    let grown_path = grown_path.to_str().unwrap();
    let msgs = mbox_messages(grown_path);
    assert_eq!(msgs.len(), 14);

    let r = t.import(&["mbox", "--support", "@ourco.com", grown_path]);
    assert_counts(&r, 14, 1, 11, 2);
    assert_changes(&r, 0, 1, 0);

    let after = t.tickets();
    assert_eq!(after.len(), before.len());
    let b = ticket_with(&after, "I asked for a password reset");
    let tl = t.timeline(id(b));
    assert_eq!(kinds(&tl), ["opened", "inbound", "reply", "inbound"]);
    assert_eq!(tl[3]["at"], date_of(&msgs, "<b4@initech.dev>"));
    assert_eq!(tl[3]["actor"], "Erin Walsh");
    assert_eq!(body(&tl[3]), "Found it in the spam folder, thanks. It works now.");
    assert_eq!(b["first_response_at"], date_of(&msgs, "<b3@ourco.com>"));
    assert!(b["waiting_since"].is_null(), "the customer answered: {b:#}");
    assert_eq!(b["step"], "diagnose");
    // The other tickets did not change.
    for (tk, tl) in before.iter().zip(&timelines) {
        if id(tk) != id(b) {
            assert_eq!(&t.timeline(id(tk)), tl);
        }
    }

    let r = t.import(&["mbox", "--support", "@ourco.com", grown_path]);
    assert_counts(&r, 14, 0, 12, 2);
    assert_changes(&r, 0, 0, 0);
}

/// A reply that lost its headers, in a later file, joins the stored conversation with its
/// subject ("AW: [Umbrella] Dashboard shows wrong totals").
#[test]
fn stripped_reply_in_a_later_file_joins_the_stored_ticket() {
    let t = Tend::fresh();
    t.import(&["mbox", "--support", "@ourco.com", &fixture("support.mbox")]);
    let r = t.import(&["mbox", "--support", "@ourco.com", &fixture("lone-reply.mbox")]);
    assert_counts(&r, 1, 1, 0, 0);
    assert_changes(&r, 0, 1, 0);
    let tickets = t.tickets();
    assert_eq!(tickets.len(), 5);
    let d = tickets
        .iter()
        .find(|t| t["subject"] == "Dashboard shows wrong totals")
        .unwrap();
    let tl = t.timeline(id(d));
    assert_eq!(kinds(&tl), ["opened", "inbound"]);
    assert_eq!(body(&tl[1]), "Any update on the totals?");
}

/// --no-create-accounts: only the conversation of a known account imports; the others are
/// skipped, each with a reason naming the flag, and import later once allowed.
#[test]
fn no_create_accounts_imports_only_known_customers() {
    let t = Tend::fresh();
    let csv = t.write("accounts.csv", "external_id,name\nnorthwind.io,Northwind Traders\n");
    t.ok(&["import", "accounts", csv.to_str().unwrap()]);
    let file = fixture("support.mbox");

    let r = t.import(&["mbox", "--no-create-accounts", "--support", "@ourco.com", &file]);
    // Conversation A (5 messages) imports; B (3), C, D, E (1 each) and the 2 bad ones do not.
    assert_counts(&r, 13, 5, 0, 2 + 6);
    assert_changes(&r, 1, 0, 0);
    let refused: Vec<&Value> = r["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["reason"].as_str().unwrap().contains("--no-create-accounts"))
        .collect();
    assert_eq!(refused.len(), 6, "{r:#}");
    for who in ["erin@", "frank@", "sam@", "gregoire.dupre@", "hank@", "ivy@"] {
        assert!(
            refused.iter().any(|s| s["message"].as_str().unwrap().contains(who)),
            "{who} not reported: {r:#}"
        );
    }
    assert_eq!(t.accounts().len(), 1);
    let tickets = t.tickets();
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0]["account_name"], "Northwind Traders");
    assert_eq!(t.timeline(id(&tickets[0])).len(), 5);

    // Allowed now: the refused messages import, the stored ones are not repeated.
    let r = t.import(&["mbox", "--support", "@ourco.com", &file]);
    assert_counts(&r, 13, 6, 5, 2);
    assert_changes(&r, 4, 0, 4);
    assert_eq!(t.tickets().len(), 5);
    assert_eq!(t.accounts().len(), 5);
}

/// --dry-run reports what a real import would do and writes nothing.
#[test]
fn dry_run_writes_nothing() {
    let t = Tend::demo(NOW);
    let before = t.exports();
    let tickets_before = t.tickets().len();
    let file = fixture("support.mbox");

    let r = t.import(&["mbox", "--dry-run", "--support", "@ourco.com", &file]);
    assert_eq!(
        (r["dry_run"].as_bool(), r["written"].as_bool()),
        (Some(true), Some(false))
    );
    assert_counts(&r, 13, 11, 0, 2);
    assert_changes(&r, 5, 0, 5);
    let out = t.ok(&["import", "mbox", "--dry-run", "--support", "@ourco.com", &file]);
    assert!(out.contains("dry run"), "{out}");
    assert_eq!(t.exports(), before, "a dry run changed the data");

    // The real thing does what the dry run said.
    let real = t.import(&["mbox", "--support", "@ourco.com", &file]);
    assert_eq!(
        (real["dry_run"].as_bool(), real["written"].as_bool()),
        (Some(false), Some(true))
    );
    for key in [
        "messages",
        "imported",
        "already",
        "skipped",
        "tickets_created",
        "tickets_updated",
        "accounts_created",
    ] {
        assert_eq!(real[key], r[key], "{key}");
    }
    assert_eq!(t.tickets().len(), tickets_before + 5);
}

/// A Maildir with only new/ (no cur/, no tmp/) imports; one with neither is refused.
#[test]
fn maildir_with_only_new_imports() {
    let t = Tend::fresh();
    let dir = fixture("maildir-new");
    assert!(!std::path::Path::new(&format!("{dir}/cur")).exists());
    let msgs = maildir_messages(&format!("{dir}/new"));
    assert_eq!(msgs.len(), 3);

    let r = t.import(&["maildir", "--support", "@ourco.com", &dir]);
    assert_counts(&r, 3, 3, 0, 0);
    assert_changes(&r, 2, 0, 1);
    assert_eq!(
        t.account_names(),
        BTreeSet::from([("fabrikam-eu.com".to_string(), "fabrikam-eu.com".to_string())])
    );
    let tickets = t.tickets();
    let api = tickets
        .iter()
        .find(|t| t["subject"] == "API rate limit too low")
        .unwrap();
    // Date: Mon, 11 Mar 2024 08:00:00 +0100
    assert_eq!(api["opened_at"], date_of(&msgs, "<m1@fabrikam-eu.com>"));
    assert_eq!(api["first_response_at"], date_of(&msgs, "<m2@ourco.com>"));
    assert_eq!(api["waiting_since"], date_of(&msgs, "<m2@ourco.com>"));
    assert_eq!(kinds(&t.timeline(id(api))), ["opened", "reply"]);
    // The CRLF message.
    let seat = tickets.iter().find(|t| t["subject"] == "Need an extra seat").unwrap();
    assert_eq!(seat["body"], "Can we add one more seat for our new hire?");
    assert_eq!(seat["step"], "acknowledge");
    assert_eq!(seat["opened_at"], date_of(&msgs, "<m3@fabrikam-eu.com>"));

    let r = t.import(&["maildir", "--support", "@ourco.com", &dir]);
    assert_counts(&r, 3, 0, 3, 0);

    // Neither cur/ nor new/.
    std::fs::create_dir_all(t.path("not-a-maildir/tmp")).unwrap();
    let err = t.fails(&["import", "maildir", t.path("not-a-maildir").to_str().unwrap()], 1);
    assert_runtime_error(&err, "not-a-maildir");
    assert!(err.contains("cur") && err.contains("new"), "{err}");
    assert_eq!(t.tickets().len(), 2);
}

/// The edge-case message whose only body is text/enriched (edge-cases/text_enriched.mbox): its
/// words are the customer's question and must reach the ticket, not turn into an "(unnamed)"
/// attachment.
#[test]
fn text_enriched_body_is_kept() {
    let t = Tend::new("2001-06-01T00:00:00Z");
    let r = t.import(&["mbox", &real("mbox/edge-cases/text_enriched.mbox")]);
    assert_counts(&r, 1, 1, 0, 0);
    let tickets = t.tickets();
    let text = tickets[0]["body"].as_str().unwrap();
    assert!(
        text.contains("I am able to startup and shutdown multiple JVMs"),
        "the text/enriched body was lost: {text:?}"
    );
    assert!(
        !text.contains("<bigger>") && !text.contains("<param>"),
        "enriched markup left: {text:?}"
    );
}

/// Broken MIME: a multipart whose boundary never closes, an attachment whose base64 is not
/// base64, a part in a charset nobody knows, and a "message" that is no mail at all. What can be
/// read is kept; what cannot is reported by number with a reason; nothing else is lost.
#[test]
fn broken_mime_keeps_what_can_be_read() {
    let t = Tend::new("2024-03-05T00:00:00Z");
    let r = t.import(&["mbox", "--support", "@ourco.com", &fixture("broken-mime.mbox")]);
    assert_eq!(r["messages"], 3, "{r:#}");
    assert_eq!(r["imported"], 2, "{r:#}");
    let skipped = r["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{r:#}");
    assert_eq!(skipped[0]["message"], "message 3", "{r:#}");
    assert!(!skipped[0]["reason"].as_str().unwrap().is_empty(), "{r:#}");
    let tickets = t.tickets();
    assert_eq!(tickets.len(), 1, "both readable messages are one conversation");
    let body = tickets[0]["body"].as_str().unwrap();
    assert!(
        body.contains("The export stops after 30 seconds — every time."),
        "{body:?}"
    );
    assert!(body.contains("Attachments: log.txt"), "{body:?}");
    let timeline = t.timeline(tickets[0]["id"].as_i64().unwrap());
    let kinds: Vec<&str> = timeline.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["opened", "inbound"], "{timeline:#?}");
    assert!(
        timeline[1]["body"].as_str().unwrap().contains("The log is attached."),
        "the base64 part in an unknown charset still reads: {timeline:#?}"
    );
    t.integrity_ok();
}
