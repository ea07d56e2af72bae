//! End-to-end tests of the reply editor in the real cockpit: the `tend` binary runs in tmux (on
//! a private server socket) on sample data with a frozen clock, keys go in with `send-keys`,
//! the screen comes back with `capture-pane`, and what the replies did is read back from the
//! database and the command line. tmux is required: without it these tests fail and say how
//! to install it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rusqlite::OptionalExtension;
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;
use tempfile::TempDir;

mod common;
use common::{Tmux, eventually, sh_quote, status_line};

const BIN: &str = env!("CARGO_BIN_EXE_tend");
/// The frozen clock every run uses.
const NOW: &str = "2026-11-22T09:00:00Z";
const WIDTH: u16 = 100;
const HEIGHT: u16 = 30;
/// Who acts in every run.
const ACTOR: &str = "tester";

/// A private home: the database, config.toml and any scripts, side by side.
struct Home {
    dir: TempDir,
}

impl Home {
    /// A home with the sample data loaded (by the binary, not in tmux) and this config.toml.
    fn with_demo(config: &str) -> Home {
        let home = Home {
            dir: tempfile::Builder::new().prefix("tend-replies-").tempdir().unwrap(),
        };
        std::fs::write(home.config(), config).unwrap();
        let out = home.cli(&["demo"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.starts_with("Loaded sample data"), "{text}");
        home
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn db(&self) -> PathBuf {
        self.path().join("t.db")
    }

    fn config(&self) -> PathBuf {
        self.path().join("config.toml")
    }

    /// Write an executable shell script into the home; its path.
    fn script(&self, name: &str, body: &str) -> PathBuf {
        let p = self.path().join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    /// The shell command that runs the cockpit from the home, as the pane's own process (`exec`),
    /// with a clean environment plus `extra`.
    fn cockpit(&self, extra: &[(&str, &str)]) -> String {
        let dir = sh_quote(&self.path().display().to_string());
        let extra: String = extra.iter().map(|(k, v)| format!("{k}={} ", sh_quote(v))).collect();
        format!(
            "cd {dir} && exec env -u VISUAL -u EDITOR -u XDG_CONFIG_HOME -u XDG_DATA_HOME -u TEND_NOW -u TEND_DB \
             -u TEND_CONFIG TEND_DB={db} TEND_CONFIG={config} TEND_NOW={now} USER={ACTOR} HOME={dir} {extra}{bin}",
            db = sh_quote(&self.db().display().to_string()),
            config = sh_quote(&self.config().display().to_string()),
            now = sh_quote(NOW),
            bin = sh_quote(BIN),
        )
    }

    /// Start the cockpit in a fresh tmux server and wait for the first load.
    fn start(&self, extra: &[(&str, &str)]) -> Tmux {
        let t = Tmux::start(WIDTH, HEIGHT, &self.cockpit(extra));
        t.wait_for("to review today");
        t
    }

    /// Run the command line on the same database, configuration and clock; it must succeed.
    fn cli(&self, args: &[&str]) -> Output {
        let out = Command::new(BIN)
            .args(args)
            .current_dir(self.path())
            .env("TEND_DB", self.db())
            .env("TEND_CONFIG", self.config())
            .env("TEND_NOW", NOW)
            .env("USER", ACTOR)
            .env("HOME", self.path())
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("XDG_DATA_HOME")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "tend {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn json(&self, args: &[&str]) -> Value {
        serde_json::from_slice(&self.cli(args).stdout).unwrap()
    }

    /// The open queue, as `tend tickets list --format json` gives it.
    fn tickets(&self) -> Vec<Value> {
        match self.json(&["tickets", "list", "--format", "json"]) {
            Value::Array(v) => v,
            other => panic!("tickets list is not a list: {other}"),
        }
    }

    fn ticket(&self, id: i64) -> Value {
        self.json(&["tickets", "show", &id.to_string(), "--format", "json"])
    }

    /// How many events of this kind the ticket's timeline has.
    fn events(&self, id: i64, kind: &str) -> Vec<Value> {
        self.ticket(id)["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == kind)
            .cloned()
            .collect()
    }

    fn conn(&self) -> rusqlite::Connection {
        let c = rusqlite::Connection::open(self.db()).unwrap();
        c.busy_timeout(Duration::from_secs(5)).unwrap();
        c
    }

    /// The tester's kept draft under this key.
    fn draft(&self, key: &str) -> Option<String> {
        self.conn()
            .query_row(
                "SELECT body FROM drafts WHERE actor = ?1 AND key = ?2",
                [ACTOR, key],
                |r| r.get(0),
            )
            .optional()
            .unwrap()
    }

    /// The first name of the ticket's contact.
    fn contact_first_name(&self, id: i64) -> String {
        let name: String = self
            .conn()
            .query_row(
                "SELECT c.name FROM tickets t JOIN contacts c ON c.id = t.contact_id WHERE t.id = ?1",
                [id],
                |r| r.get(0),
            )
            .unwrap();
        name.split_whitespace().next().unwrap().to_string()
    }

    /// The first open, unsnoozed ticket that `ok` accepts.
    fn pick(&self, what: &str, ok: impl Fn(&Value) -> bool) -> i64 {
        self.tickets()
            .iter()
            .filter(|t| t["snoozed_until"].is_null() && t["snoozed_until_reply"] != Value::Bool(true))
            .find(|t| ok(t))
            .and_then(|t| t["id"].as_i64())
            .unwrap_or_else(|| panic!("the sample data has no open ticket that is {what}"))
    }

    /// An open tier-1 ticket at the Acknowledge step whose contact has an email address.
    fn acknowledge_ticket(&self) -> i64 {
        self.pick("at Acknowledge with a contact", |t| {
            t["step"] == "acknowledge" && t["support_tier"] == 1 && self.has_email_contact(t)
        })
    }

    fn has_email_contact(&self, t: &Value) -> bool {
        let Some(c) = t["contact_id"].as_i64() else {
            return false;
        };
        self.conn()
            .query_row("SELECT email IS NOT NULL FROM contacts WHERE id = ?1", [c], |r| {
                r.get::<_, bool>(0)
            })
            .unwrap_or(false)
    }
}

fn draft_key(id: i64) -> String {
    format!("reply:ticket:{id}")
}

/// In the Tickets view, select ticket `id`: filter the queue by its number, then move onto its
/// row.
fn select_ticket(t: &Tmux, id: i64) {
    t.keys(&["3"]);
    t.wait_for("┌ Tickets");
    t.keys(&["/"]);
    t.type_text(&format!("#{id}"));
    t.wait_for(&format!("\"#{id}\""));
    t.keys(&["Enter", "g"]);
    let s = t.screen();
    let rows: Vec<i64> = s
        .lines()
        .skip_while(|l| !l.starts_with("│#"))
        .skip(1)
        .take_while(|l| l.starts_with('│'))
        .filter_map(|l| l.trim_start_matches('│').split_whitespace().next()?.parse().ok())
        .collect();
    let at = rows
        .iter()
        .position(|r| *r == id)
        .unwrap_or_else(|| panic!("#{id} is not in the filtered queue {rows:?}:\n{s}"));
    for _ in 0..at {
        t.keys(&["j"]);
    }
}

/// Select ticket `id` and press `r`; the editor's screen once it shows that ticket's reply.
fn open_reply(t: &Tmux, id: i64) -> String {
    select_ticket(t, id);
    t.keys(&["r"]);
    t.wait_for(&format!("┌ Reply · #{id} "))
}

#[test]
fn a_killed_cockpit_loses_no_typing() {
    let home = Home::with_demo("");
    let id = home.acknowledge_ticket();
    let sentence = "Kraken marmalade 8127 survives a crash.";

    let t = home.start(&[]);
    let pid = t.pane_pid();
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    assert_eq!(comm.trim(), "tend", "the pane's process is tend itself");
    let s = open_reply(&t, id);
    assert!(s.contains("Template: Acknowledgment"), "{s}");
    t.type_text(sentence);
    t.wait_for(sentence);
    std::thread::sleep(Duration::from_millis(300));

    let out = Command::new("kill").args(["-KILL", &pid.to_string()]).output().unwrap();
    assert!(out.status.success(), "kill -KILL {pid}");
    t.wait_dead();
    drop(t);

    let integrity: String = home
        .conn()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let check = String::from_utf8_lossy(&home.cli(&["db", "check"]).stdout).into_owned();
    assert!(check.contains("integrity ok"), "{check}");
    let kept = home.draft(&draft_key(id));
    assert!(
        kept.as_deref().is_some_and(|b| b.contains(sentence)),
        "the draft holds the typing: {kept:?}"
    );

    // a new cockpit says a reply was kept, and lists it
    let t = home.start(&[]);
    let s = t.wait_status("unsent reply kept from last time");
    assert!(status_line(&s).contains("1 unsent reply"), "{s}");
    t.keys(&["D"]);
    let s = t.wait_for("┌ Drafts");
    assert!(s.contains(&format!("reply to #{id}")), "{s}");
    assert!(s.contains("Kraken marmalade 8127"), "{s}");
    t.escape();

    // replying to the ticket again brings the text back
    let s = open_reply(&t, id);
    assert!(s.contains(sentence), "the editor shows the typing:\n{s}");
    let s = t.wait_status("is back");
    assert!(status_line(&s).contains("Your draft from"), "{s}");

    // Esc closes the editor; the status promised "Esc keeps it"
    t.escape();
    t.wait_until("the editor closed", |s| !s.contains(&format!("┌ Reply · #{id} ")));
    std::thread::sleep(Duration::from_millis(300));
    let kept = home.draft(&draft_key(id));
    assert!(
        kept.as_deref().is_some_and(|b| b.contains(sentence)),
        "closing the restored reply with Esc kept its draft; the drafts table has {kept:?}; the screen:\n{}",
        t.screen()
    );
    t.keys(&["D"]);
    let s = t.wait_until("the drafts list (or its absence)", |s| {
        s.contains("┌ Drafts") || status_line(s).contains("No drafts kept")
    });
    assert!(
        s.contains(&format!("reply to #{id}")),
        "D still lists the draft after Esc:\n{s}"
    );
}

#[test]
fn copying_a_reply_puts_it_on_the_clipboard_through_tmux() {
    let home = Home::with_demo("[responses]\nagent_name = \"Dana Agent\"\n");
    let id = home.acknowledge_ticket();
    let first = home.contact_first_name(id);
    let replies_before = home.events(id, "reply").len();

    let t = home.start(&[]);
    t.ok(&["set-option", "-g", "set-clipboard", "on"]);
    open_reply(&t, id);
    // nothing is left to fill
    let s = t.wait_status("Filled from the ticket");
    assert!(!s.contains("to fill"), "{s}");
    t.keys(&["C-s"]);
    t.wait_for("Deliver (Enter, or 1-4");
    t.keys(&["1"]);
    let s = t.wait_status("copied to the clipboard");
    assert!(
        status_line(&s).contains(&format!("Reply to #{id} copied to the clipboard")),
        "{s}"
    );
    assert!(!s.contains("┌ Reply ·"), "the editor closed:\n{s}");

    let clip = eventually("a tmux paste buffer", || {
        let out = t.run(&["show-buffer"]);
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    });
    assert!(clip.starts_with("Subject: Re: "), "{clip:?}");
    assert!(clip.contains(&format!("Hi {first},")), "{clip:?}");
    assert!(clip.contains("Dana Agent"), "{clip:?}");
    assert!(!clip.contains('{'), "no placeholder is left: {clip:?}");

    let replies = home.events(id, "reply");
    assert_eq!(replies.len(), replies_before + 1, "one reply recorded: {replies:?}");
    assert!(
        replies
            .last()
            .and_then(|e| e["body"].as_str())
            .is_some_and(|b| b.contains(&format!("Hi {first},"))),
        "{replies:?}"
    );
    assert_eq!(home.draft(&draft_key(id)), None, "no draft is left");
}

#[test]
fn the_external_editor_suspends_and_resumes() {
    let home = Home::with_demo("");
    let id = home.acknowledge_ticket();
    let line = "Appended in the external editor 6021.";
    let editor = home.script(
        "editor.sh",
        &format!("sleep 0.5\nprintf '%s\\n' {} >> \"$1\"\n", sh_quote(line)),
    );
    let editor = editor.display().to_string();

    let t = home.start(&[("EDITOR", &editor)]);
    open_reply(&t, id);
    t.wait_status("Filled from the ticket");
    t.keys(&["C-e"]);
    // the cockpit leaves the alternate screen while the editor runs
    eventually("the cockpit to leave the alternate screen", || {
        (t.format("#{alternate_on}") == "0").then_some(())
    });
    let s = t.wait_status("Back from the editor");
    assert_eq!(t.format("#{alternate_on}"), "1", "the cockpit is back on its screen");
    assert!(
        s.contains(&format!("┌ Reply · #{id} ")),
        "the editor is open again:\n{s}"
    );
    assert!(s.contains(line), "the editor shows the appended line:\n{s}");

    let kept = eventually("the draft with the appended line", || {
        home.draft(&draft_key(id)).filter(|b| b.contains(line))
    });
    assert!(kept.starts_with("Subject: Re: "), "{kept}");

    t.escape();
    let s = t.wait_status("Kept your reply as a draft");
    assert!(!s.contains("┌ Reply ·"), "{s}");
    t.keys(&["1"]);
    let s = t.wait_for("┌ Today 2026-11-22");
    assert!(s.contains("reviewed"), "{s}");
    assert_eq!(t.format("#{pane_dead}"), "0", "tend is still running");
}

#[test]
fn the_send_command_gets_the_message_and_a_failure_keeps_the_text() {
    let home = Home::with_demo(
        "[responses]\nagent_name = \"Dana Agent\"\nfrom = \"Support <support@example.com>\"\nsend_command = \"./send.sh\"\n",
    );
    let id = home.pick("an email at Acknowledge with a Message-ID", |t| {
        t["step"] == "acknowledge" && t["channel"] == "email" && home.has_email_contact(t) && {
            let mid: Option<String> = home
                .conn()
                .query_row(
                    "SELECT message_id FROM tickets WHERE id = ?1",
                    [t["id"].as_i64()],
                    |r| r.get(0),
                )
                .unwrap();
            mid.is_some()
        }
    });
    let message_id: String = home
        .conn()
        .query_row("SELECT message_id FROM tickets WHERE id = ?1", [id], |r| r.get(0))
        .unwrap();
    home.script("send.sh", "cat > /dev/null\necho 'relay refused' >&2\nexit 3\n");
    let replies_before = home.events(id, "reply").len();

    let t = home.start(&[]);
    open_reply(&t, id);
    t.wait_status("Filled from the ticket");
    let typed = "Quick note 5150. ";
    t.type_text(typed);
    t.wait_for(typed.trim());
    eventually("the draft with the typing", || {
        home.draft(&draft_key(id)).filter(|b| b.contains(typed))
    });

    // the relay refuses: the error shows, the text stays, nothing is recorded
    t.keys(&["C-s"]);
    t.wait_for("Deliver (Enter, or 1-4");
    t.keys(&["3"]);
    let s = t.wait_status("relay refused");
    assert!(
        s.contains(&format!("┌ Reply · #{id} ")),
        "the editor is still open:\n{s}"
    );
    assert!(s.contains(typed.trim()), "the text is still there:\n{s}");
    assert!(!s.contains("Deliver (Enter"), "the menu closed:\n{s}");
    assert_eq!(home.events(id, "reply").len(), replies_before, "no reply was recorded");
    assert!(
        home.draft(&draft_key(id)).is_some_and(|b| b.contains(typed)),
        "the draft is kept"
    );

    // the relay accepts: the message goes out threaded, and the draft is dropped
    let captured = home.path().join("captured.eml");
    home.script(
        "send.sh",
        &format!("cat > {}\nexit 0\n", sh_quote(&captured.display().to_string())),
    );
    t.keys(&["C-s"]);
    t.wait_for("Deliver (Enter, or 1-4");
    t.keys(&["3"]);
    let s = t.wait_status("sent with");
    assert!(status_line(&s).contains(&format!("Reply to #{id} sent with")), "{s}");
    assert!(!s.contains("┌ Reply ·"), "the editor closed:\n{s}");

    let mail = std::fs::read_to_string(&captured).unwrap();
    let header = |name: &str| {
        mail.lines()
            .take_while(|l| !l.is_empty())
            .find(|l| {
                l.to_ascii_lowercase()
                    .starts_with(&format!("{}:", name.to_ascii_lowercase()))
            })
            .map(str::to_string)
    };
    let to = header("To").unwrap_or_else(|| panic!("no To: in\n{mail}"));
    assert!(to.contains('@'), "{to}");
    let subject = header("Subject").unwrap_or_else(|| panic!("no Subject: in\n{mail}"));
    assert!(subject.contains("Re: "), "{subject}");
    let in_reply_to = header("In-Reply-To").unwrap_or_else(|| panic!("no In-Reply-To: in\n{mail}"));
    let bare = message_id.trim_matches(['<', '>']);
    assert!(in_reply_to.contains(bare), "{in_reply_to} answers {message_id}");
    let from = header("From").unwrap_or_else(|| panic!("no From: in\n{mail}"));
    assert!(from.contains("support@example.com"), "{from}");
    assert!(mail.contains("Quick note 5150."), "the edited text went out:\n{mail}");

    assert_eq!(home.draft(&draft_key(id)), None, "the draft row is gone");
    assert_eq!(
        home.events(id, "reply").len(),
        replies_before + 1,
        "the reply is recorded"
    );
}

#[test]
fn escalating_opens_the_escalation_template() {
    let home = Home::with_demo("");
    let id = home.acknowledge_ticket();
    let reason = "needs a database fix 4410";

    let t = home.start(&[]);
    select_ticket(&t, id);
    t.keys(&["e"]);
    t.wait_for(&format!("#{id}: why escalate to tier 2?"));
    t.type_text(reason);
    t.wait_for(reason);
    t.keys(&["Enter"]);
    let s = t.wait_for("Template: Escalation");
    assert!(
        s.contains(&format!("┌ Reply · #{id} ")),
        "the reply is to the ticket:\n{s}"
    );
    // the escalation template leaves when the customer hears back to fill
    assert!(s.contains("{update_time}"), "{s}");
    // the editor's header says it (the status line may still show the escalation's own word)
    assert!(s.contains("Template: Escalation  1 to fill"), "{s}");

    let ticket = home.ticket(id);
    assert_eq!(ticket["support_tier"], 2, "{ticket}");
    let escalations = home.events(id, "escalation");
    assert!(
        escalations
            .iter()
            .any(|e| e["body"].as_str().is_some_and(|b| b.contains(reason))),
        "{escalations:?}"
    );
}

#[test]
fn a_killed_cockpit_loses_no_investigation_answers() {
    let home = Home::with_demo("");
    let id = home.acknowledge_ticket();
    let goal = "Zebra ledger 4471 closes by day three";

    let t = home.start(&[]);
    let pid = t.pane_pid();
    select_ticket(&t, id);
    t.keys(&["i"]);
    t.wait_for("┌ Intent-First");
    // Support request, then the goal
    t.keys(&["Space", "Tab"]);
    t.type_text(goal);
    t.wait_for("Zebra ledger 4471");
    std::thread::sleep(Duration::from_millis(300));
    let out = Command::new("kill").args(["-KILL", &pid.to_string()]).output().unwrap();
    assert!(out.status.success(), "kill -KILL {pid}");
    t.wait_dead();
    drop(t);

    let integrity: String = home
        .conn()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let key = format!("investigation:ticket:{id}");
    let kept = home.draft(&key);
    assert!(
        kept.as_deref()
            .is_some_and(|b| b.contains(goal) && b.contains("support-request")),
        "the answers are kept: {kept:?}"
    );

    // the same ticket's investigation comes back with the answers, not a fresh prefill
    let t = home.start(&[]);
    select_ticket(&t, id);
    t.keys(&["i"]);
    let s = t.wait_for("┌ Intent-First");
    assert!(s.contains("Zebra ledger 4471"), "the form shows the goal:\n{s}");
    assert!(s.contains("Support request"), "{s}");
    let s = t.wait_status("is back");
    assert!(status_line(&s).contains("investigation draft"), "{s}");
}
