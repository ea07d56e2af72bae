//! End-to-end tests of the real cockpit in a real terminal: the `tend` binary runs in tmux (on a
//! private server socket), keys go in with `send-keys`, the screen comes back with
//! `capture-pane`. tmux is required: without it these tests fail and say how to install it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;
use tempfile::TempDir;

mod common;
use common::{Tmux, WAIT, assert_only_sgr, sh_quote};

const BIN: &str = env!("CARGO_BIN_EXE_tend");
/// The frozen clock, where a test wants one.
const NOW: &str = "2026-11-22T09:00:00Z";

/// A private home and database folder.
struct Home {
    dir: TempDir,
}

impl Home {
    fn new() -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn db(&self) -> PathBuf {
        self.path().join("t.db")
    }

    /// The shell command that runs the cockpit from the home, on `t.db` (a short label keeps
    /// the status line readable at 80 columns), then reports its exit status and whether the
    /// terminal is back in cooked mode.
    fn cockpit_command(&self, now: Option<&str>, before: &str) -> String {
        let dir = sh_quote(&self.path().display().to_string());
        let now = now.map(|n| format!("TEND_NOW={} ", sh_quote(n))).unwrap_or_default();
        format!(
            "cd {dir} && {before}env -u TEND_NOW -u TEND_CONFIG -u XDG_CONFIG_HOME -u XDG_DATA_HOME \
             -u TEND_DB {now}TEND_DB=t.db HOME={dir} USER=tester {bin}; \
             echo TEND-EXITED-$?; echo STTY $(stty -a | tr ' ;' '\\n\\n' | grep -E '^-?(icanon|echo)$' | tr '\\n' ' ')",
            bin = sh_quote(BIN),
        )
    }

    /// Run the command line against the same database.
    fn cli(&self, now: Option<&str>, args: &[&str]) -> Output {
        let mut c = Command::new(BIN);
        c.arg("--db")
            .arg(self.db())
            .args(args)
            .env("HOME", self.path())
            .env("USER", "tester")
            .env_remove("TEND_NOW")
            .env_remove("TEND_DB")
            .env_remove("TEND_CONFIG")
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("XDG_DATA_HOME");
        if let Some(n) = now {
            c.env("TEND_NOW", n);
        }
        let out = c.output().unwrap();
        assert!(
            out.status.success(),
            "tend {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn ticket_json(&self, now: Option<&str>, id: i64) -> Value {
        let out = self.cli(now, &["tickets", "show", &id.to_string(), "--format", "json"]);
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

/// The id in a detail pane's title, `┌ #123 Subject ─…`.
fn detail_id(screen: &str) -> i64 {
    screen
        .lines()
        .find_map(|l| {
            let rest = l.split("┌ #").nth(1)?;
            rest.split(' ').next()?.parse().ok()
        })
        .unwrap_or_else(|| panic!("no detail title on the screen:\n{screen}"))
}

const TAB_BAR: &str = "1 Today │ 2 Accounts │ 3 Tickets";

/// After the cockpit exited: status 0, the pane's process gone, the normal screen back
/// (no tab bar, not the alternate screen) and the terminal in cooked mode.
fn assert_exited_cleanly(t: &Tmux) {
    t.wait_for_anywhere("TEND-EXITED-");
    let all = t.wait_for_anywhere("STTY");
    t.wait_dead();
    let history = t.screen_and_history();
    assert!(
        history.contains("TEND-EXITED-0"),
        "tend exited with an error:\n{history}"
    );
    assert!(!all.contains(TAB_BAR), "the cockpit is still on the screen:\n{all}");
    assert_eq!(t.format("#{alternate_on}"), "0", "the alternate screen was left");
    let stty = history
        .lines()
        .find(|l| l.starts_with("STTY"))
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>();
    assert!(
        stty.contains(&"icanon") && stty.contains(&"echo"),
        "the terminal was left in raw mode: {stty:?}"
    );
}

#[test]
fn first_run_sample_data_account_ticket_advance_and_quit() {
    let home = Home::new();
    let t = Tmux::start(80, 24, &home.cockpit_command(Some(NOW), ""));

    t.wait_for_anywhere("Welcome to tend");
    t.keys(&["d"]);
    t.wait_for_anywhere("Loaded sample data");
    // sample data lands on the accounts list, worst first
    let s = t.wait_for_anywhere("Accounts 60/60");
    assert!(s.contains("Loaded sample data"), "{s}");
    assert!(s.contains("Critical"), "{s}");
    // the healthy ones are at the bottom
    t.keys(&["G"]);
    let s = t.wait_for_anywhere("Healthy");
    assert!(s.contains("+ Healthy"), "{s}");
    t.keys(&["g"]);
    t.wait_until_anywhere("the first row again", WAIT, |s| s.contains("!! Critical"));

    t.keys(&["Enter"]);
    let s = t.wait_for_anywhere("Health components");
    assert!(s.contains("Signals"), "{s}");

    t.keys(&["Escape"]);
    // a key right after Esc would read as Alt-key
    std::thread::sleep(Duration::from_millis(300));
    t.keys(&["3"]);
    t.wait_for_anywhere("Tickets 77 · open");
    t.keys(&["Enter"]);
    let s = t.wait_for_anywhere("checklist");
    let id = detail_id(&s);
    let before = home.ticket_json(Some(NOW), id);
    let step_before = before["step"].as_str().unwrap().to_string();
    assert!(
        before["checklist"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["done"] == Value::Bool(false)),
        "the first ticket's checklist is unfinished: {before}"
    );

    // advance with the checklist unfinished: a reason is asked for
    t.keys(&["a"]);
    t.wait_for_anywhere("why advance anyway?");
    t.type_text("customer confirmed the fix");
    t.wait_for_anywhere("customer confirmed the fix");
    t.keys(&["Enter"]);
    let prefix = format!("#{id}: ");
    let s = t.wait_until_anywhere("the step change in the status bar", WAIT, |s| {
        s.lines().any(|l| l.contains(&prefix) && l.contains(" -> "))
    });
    let after = home.ticket_json(Some(NOW), id);
    let step_after = after["step"].as_str().unwrap();
    assert_ne!(step_after, step_before, "the step moved: {s}");
    let timeline = after["timeline"].to_string();
    assert!(
        timeline.contains("customer confirmed the fix"),
        "the reason is in the timeline: {timeline}"
    );

    t.keys(&["q"]);
    assert_exited_cleanly(&t);
}

#[test]
fn sigterm_restores_the_terminal() {
    let home = Home::new();
    home.cli(Some(NOW), &["demo"]);
    let pidfile = home.path().join("pid");
    // the inner shell writes its pid and becomes tend
    let before = "sh -c 'echo $$ > pid; exec \"$0\" \"$@\"' ";
    let t = Tmux::start(80, 24, &home.cockpit_command(Some(NOW), before));
    t.wait_for_anywhere(TAB_BAR);
    t.wait_for_anywhere("to review today");
    let pid: u32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    assert_eq!(comm.trim(), "tend", "the pid is tend's");

    let out = Command::new("kill").args(["-TERM", &pid.to_string()]).output().unwrap();
    assert!(out.status.success());
    assert_exited_cleanly(&t);
    assert!(!Path::new(&format!("/proc/{pid}")).exists(), "tend is gone");
}

#[test]
fn sighup_restores_the_terminal() {
    let home = Home::new();
    home.cli(Some(NOW), &["demo"]);
    let before = "sh -c 'echo $$ > pid; exec \"$0\" \"$@\"' ";
    let t = Tmux::start(80, 24, &home.cockpit_command(Some(NOW), before));
    t.wait_for_anywhere("to review today");
    let pid = std::fs::read_to_string(home.path().join("pid"))
        .unwrap()
        .trim()
        .to_string();
    let out = Command::new("kill").args(["-HUP", &pid]).output().unwrap();
    assert!(out.status.success());
    assert_exited_cleanly(&t);
}

#[test]
fn another_process_writing_shows_up_without_a_key() {
    let home = Home::new();
    // the real clock: the cockpit polls the database on its own tick
    home.cli(None, &["demo"]);
    let t = Tmux::start(120, 40, &home.cockpit_command(None, ""));
    t.wait_for_anywhere("to review today");
    t.keys(&["3"]);
    t.wait_for_anywhere("· open");
    t.keys(&["Enter"]);
    // the detail fills the view once Enter is handled
    let s = t.wait_until_anywhere("the open detail", WAIT, |s| {
        s.contains("Timeline") && !s.contains("· open")
    });
    let id = detail_id(&s);
    let note = "hello from another assistant";
    assert!(!s.contains(note));

    home.cli(None, &["tickets", "note", &id.to_string(), note]);
    let s = t.wait_until_anywhere("the note in the open detail", Duration::from_secs(3), |s| {
        s.contains(note)
    });
    assert!(s.contains(&format!("#{id} ")), "still the same ticket:\n{s}");

    t.keys(&["q"]);
    assert_exited_cleanly(&t);
}

/// The welcome screen's `i`: a path, the dry run's mapping and counts, then the import; the
/// account list shows what came in, and `tend` agrees. A bad path says why and keeps the dialog.
#[test]
fn first_run_imports_a_csv_from_the_welcome_screen() {
    let home = Home::new();
    let csv = home.path().join("customers.csv");
    std::fs::write(
        &csv,
        "Customer ID,Company,MRR,Segment\nC-1,Acme Analytics,1200,enterprise\nC-2,Bluebird Bakery,80,smb\nC-3,Cedar,oops,smb\n",
    )
    .unwrap();
    let t = Tmux::start(80, 24, &home.cockpit_command(Some(NOW), ""));
    t.wait_for_anywhere("Welcome to tend");
    t.keys(&["i"]);
    t.wait_for_anywhere("Import a file");
    t.type_text("nowhere.csv");
    t.keys(&["Enter"]);
    let s = t.wait_for_anywhere("cannot read");
    assert!(s.contains("nowhere.csv"), "{s}");
    // nothing written by a dry run or a failed one
    let listed = home.cli(None, &["accounts", "list", "--format", "json"]);
    assert_eq!(String::from_utf8_lossy(&listed.stdout).trim(), "[]");

    t.keys(&["C-u"]);
    t.type_text("~/customers.csv");
    t.keys(&["Enter"]);
    let s = t.wait_for_anywhere("would import 2");
    assert!(s.contains("rejected 1"), "{s}");
    assert!(
        s.contains("Customer ID") && s.contains("external_id"),
        "the mapping shows: {s}"
    );
    assert!(
        s.contains("'oops' is not an amount of money"),
        "the refused row shows: {s}"
    );
    let listed = home.cli(None, &["accounts", "list", "--format", "json"]);
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout).trim(),
        "[]",
        "the preview wrote nothing"
    );

    t.keys(&["Enter"]);
    t.wait_for_anywhere("Imported.");
    // the list's window follows the status line
    let s = t.wait_for_anywhere("Bluebird Bakery");
    assert!(s.contains("Acme Analytics") && s.contains("Imported."), "{s}");
    let listed: Value =
        serde_json::from_slice(&home.cli(None, &["accounts", "list", "--format", "json"]).stdout).unwrap();
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{listed}");
    assert!(
        names.contains(&"Acme Analytics") && names.contains(&"Bluebird Bakery"),
        "{names:?}"
    );

    // I on Accounts: the same import again changes nothing
    t.keys(&["I"]);
    t.wait_for_anywhere("Import a file");
    t.type_text("~/customers.csv");
    t.keys(&["Enter"]);
    t.wait_for_anywhere("unchanged 2");
    t.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(300));
    t.keys(&["q"]);
    assert_exited_cleanly(&t);
}

/// The hostile fixtures in the real cockpit in a real terminal, and the commands that print
/// them: the terminal gets tmux's colour codes and nothing else (no OSC, DCS or other escape,
/// no C1, bidi or zero-width character); its title and clipboard are untouched (tmux is set to
/// take an OSC 52 write as a paste buffer); the cockpit survives a storm of resizes down to 1x1.
#[test]
fn hostile_text_never_reaches_the_real_terminal() {
    let home = Home::new();
    for (kind, file) in [
        ("accounts", "accounts.csv"),
        ("contacts", "contacts.csv"),
        ("tickets", "tickets.csv"),
    ] {
        home.cli(Some(NOW), &["import", kind, common::hostile(file).to_str().unwrap()]);
    }
    let mbox = common::hostile("hostile.mbox");
    home.cli(
        Some(NOW),
        &["import", "mbox", mbox.to_str().unwrap(), "--support", "@ourco.example"],
    );
    let untouched = |t: &Tmux, title: &str, what: &str| {
        assert_eq!(t.format("#{pane_title}"), title, "{what}: the terminal title was set");
        let buffers = t.ok(&["list-buffers"]);
        assert!(
            buffers.trim().is_empty(),
            "{what}: the clipboard was written: {buffers}"
        );
    };

    // the commands, printing to the terminal
    let dir = sh_quote(&home.path().display().to_string());
    let tend = format!(
        "env -u TEND_CONFIG -u XDG_CONFIG_HOME -u XDG_DATA_HOME TEND_NOW={NOW} TEND_DB=t.db HOME={dir} USER=tester {}",
        sh_quote(BIN)
    );
    let script = [
        "accounts list",
        "accounts show 1",
        "accounts show 2",
        "tickets list --all",
        "tickets show 1",
        "tickets show 4",
        "tickets show 6",
        "today",
        "report qbr 1",
        "export tickets",
        "export contacts",
        "screen tickets --select 1",
    ]
    .iter()
    .map(|args| format!("{tend} {args}"))
    .collect::<Vec<_>>()
    .join("; ");
    let t = Tmux::start(160, 50, &format!("cd {dir} && sleep 1 && {script}; echo CLI-DONE"));
    t.ok(&["set-option", "-g", "set-clipboard", "on"]);
    t.ok(&["set-option", "-g", "history-limit", "10000"]);
    let title = t.format("#{pane_title}");
    t.wait_for_anywhere("CLI-DONE");
    let all = assert_only_sgr(&t.history_escapes(), "the commands");
    assert!(
        all.contains("EvilCorp") && all.contains("Invoice  overdue  now fdp.exe"),
        "{all}"
    );
    assert!(
        all.contains("escape sequences and invisible characters were left out on the terminal"),
        "an export to the terminal says it was cleaned:\n{all}"
    );
    untouched(&t, &title, "the commands");
    drop(t);

    // the cockpit, with a 10 MB subject too
    let big = home.path().join("big.mbox");
    common::write_big_mbox(&big);
    home.cli(
        Some(NOW),
        &["import", "mbox", big.to_str().unwrap(), "--support", "@ourco.example"],
    );
    let t = Tmux::start(120, 40, &home.cockpit_command(Some(NOW), "sleep 1 && "));
    t.ok(&["set-option", "-g", "set-clipboard", "on"]);
    let title = t.format("#{pane_title}");
    t.wait_for_anywhere(TAB_BAR);
    let mut screens = Vec::new();
    for view in ["1", "4", "5"] {
        t.keys(&[view]);
        std::thread::sleep(Duration::from_millis(300));
        screens.push(t.screen_escapes());
    }
    // every account's detail, then every ticket's
    t.keys(&["2"]);
    t.wait_for_anywhere("Accounts 13/13");
    for _ in 0..13 {
        t.keys(&["Enter"]);
        screens.push(t.wait_until("an account's detail", |s| s.contains("Health components")));
        screens.push(t.screen_escapes());
        t.escape();
        t.keys(&["j"]);
    }
    t.keys(&["3"]);
    t.wait_for_anywhere("Tickets 7 · open");
    for _ in 0..7 {
        t.keys(&["Enter"]);
        screens.push(t.wait_until("a ticket's detail", |s| s.contains("Timeline")));
        screens.push(t.screen_escapes());
        t.escape();
        t.keys(&["j"]);
    }
    let shown: String = screens.iter().map(|s| assert_only_sgr(s, "the cockpit")).collect();
    // which details were seen, to tell a missed one from a text not shown
    let titles: Vec<&str> = screens
        .iter()
        .filter_map(|s| s.lines().find(|l| l.contains("┌ #")))
        .collect();
    for text in [
        "EvilCorp",
        "Acme gnp.exe",
        "red text and a clipboard write  here.",
        "Huge XY XY",
    ] {
        assert!(
            shown.contains(text),
            "{text} shows; the ticket details seen: {titles:#?}"
        );
    }
    untouched(&t, &title, "the cockpit");

    // a storm of resizes, down to 1x1 and up to 300x100, with the hostile detail open
    t.keys(&["g", "Enter"]);
    for round in 0..3 {
        for (w, h) in [
            (1, 1),
            (300, 100),
            (10, 3),
            (80, 24),
            (2, 2),
            (200, 60),
            (50, 12),
            (49, 11),
            (160, 34),
        ] {
            t.ok(&["resize-window", "-t", "s", "-x", &w.to_string(), "-y", &h.to_string()]);
            if round == 2 {
                std::thread::sleep(Duration::from_millis(30));
            }
        }
    }
    t.ok(&["resize-window", "-t", "s", "-x", "80", "-y", "24"]);
    let s = t.wait_until("the cockpit back at 80x24", |s| {
        s.contains("Timeline") && s.contains("1 Today")
    });
    assert_eq!(t.format("#{pane_dead}"), "0", "the cockpit survived:\n{s}");
    assert_only_sgr(&t.screen_escapes(), "after the storm");
    untouched(&t, &title, "after the storm");
    t.escape();
    t.keys(&["q"]);
    assert_exited_cleanly(&t);
}
