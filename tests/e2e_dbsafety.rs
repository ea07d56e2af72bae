//! Data safety in the real cockpit, driven in tmux: a read-only database, a lock held past the
//! timeout, a full disk (a small tmpfs in a mount namespace of its own), the database deleted
//! under a running cockpit, and a kill -9 while a reply is being typed. In each the cockpit says
//! what happened in a sentence and keeps running, and nothing stored is lost.
//!
//! The read-only and full-disk tests need root (to act as `nobody`, and to mount a tmpfs in a
//! private mount namespace with `unshare`); CI runs as root.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rusqlite::{Connection, OptionalExtension};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use tempfile::TempDir;

mod common;
use common::{LockHolder, Tmux, eventually, sh_quote, status_line};

const BIN: &str = env!("CARGO_BIN_EXE_tend");
const NOW: &str = "2026-11-22T09:00:00Z";
const WIDTH: u16 = 110;
const HEIGHT: u16 = 30;

struct Home {
    dir: TempDir,
}

impl Home {
    fn with_demo() -> Home {
        let home = Home {
            dir: tempfile::Builder::new().prefix("tend-safety-").tempdir().unwrap(),
        };
        let out = home.cli(&["demo"]);
        assert!(String::from_utf8_lossy(&out.stdout).starts_with("Loaded sample data"));
        home
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn db(&self) -> PathBuf {
        self.path().join("t.db")
    }

    fn cli(&self, args: &[&str]) -> std::process::Output {
        let out = Command::new(BIN)
            .arg("--db")
            .arg(self.db())
            .args(["--now", NOW])
            .args(args)
            .env("TEND_CONFIG", self.path().join("config.toml"))
            .env("HOME", self.path())
            .env("USER", "tester")
            .env_remove("TEND_DB")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "tend {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// The shell command that runs the cockpit on `db` as the pane's own process, after `before`
    /// (e.g. a `setpriv` or `unshare` that the cockpit then runs under).
    fn cockpit(&self, db: &Path, before: &str, extra: &[(&str, &str)]) -> String {
        let dir = sh_quote(&self.path().display().to_string());
        let extra: String = extra.iter().map(|(k, v)| format!("{k}={} ", sh_quote(v))).collect();
        format!(
            "cd {dir} && exec {before} env -u VISUAL -u EDITOR -u XDG_CONFIG_HOME -u XDG_DATA_HOME -u TEND_BUSY_TIMEOUT_MS \
             TEND_DB={db} TEND_CONFIG={config} TEND_NOW={now} USER=tester HOME={dir} {extra}{bin}",
            db = sh_quote(&db.display().to_string()),
            config = sh_quote(&self.path().join("config.toml").display().to_string()),
            now = sh_quote(NOW),
            bin = sh_quote(BIN),
        )
    }

    fn conn(&self) -> Connection {
        let c = Connection::open(self.db()).unwrap();
        c.busy_timeout(Duration::from_secs(10)).unwrap();
        c
    }

    fn notes_with(&self, text: &str) -> i64 {
        self.conn()
            .query_row(
                "SELECT count(*) FROM ticket_events WHERE kind = 'note' AND body = ?1",
                [text],
                |r| r.get(0),
            )
            .unwrap()
    }
}

fn is_root() -> bool {
    let out = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

fn need_root(what: &str) {
    assert!(is_root(), "{what} needs root (CI runs as root)");
}

/// Open the Tickets view and wait for the queue.
fn tickets(t: &Tmux) {
    t.keys(&["3"]);
    t.wait_for("┌ Tickets");
}

/// Open the note input on the selected ticket (asking again while the queue's rows are still
/// on their way, which the cockpit answers with "Select a ticket first").
fn open_note(t: &Tmux) {
    for _ in 0..50 {
        t.keys(&["n"]);
        let s = t.wait_until("the note input, or a word about the selection", |s| {
            s.contains(": note") || status_line(s).contains("Select a ticket first")
        });
        if s.contains(": note") {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("the note input did not open:\n{}", t.screen());
}

#[test]
fn a_read_only_cockpit_says_so_and_refuses_each_change() {
    need_root("acting as another user");
    let home = Home::with_demo();
    std::fs::set_permissions(home.db(), std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let before = std::fs::read(home.db()).unwrap();
    let cmd = home.cockpit(&home.db(), "setpriv --reuid=65534 --regid=65534 --clear-groups --", &[]);
    let t = Tmux::start(WIDTH, HEIGHT, &cmd);
    let s = t.wait_for("to review today");
    let banner = s.lines().nth(1).unwrap();
    assert!(
        banner
            .trim_start()
            .starts_with("read-only: you cannot write it: owner root"),
        "{s}"
    );
    tickets(&t);
    for key in ["n", "r", "a", "w", "i"] {
        t.keys(&[key]);
        let s = t.wait_status("Read-only: nothing was changed (you cannot write it");
        assert!(!status_line(&s).is_empty(), "{key}: {s}");
        assert!(!s.contains("┌ Reply"), "{key} opened an editor:\n{s}");
        // the next key must show its own refusal
        t.keys(&["2"]);
        t.wait_for("┌ Accounts");
        tickets(&t);
    }
    t.keys(&["q"]);
    t.wait_dead();
    assert_eq!(std::fs::read(home.db()).unwrap(), before, "the file is as it was");
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
}

/// On the ticket queue, send a note on the first ticket while another process writes for a
/// long time (as an import of millions of rows holds the write lock): the lock, held until dropped.
fn note_while_another_writes(home: &Home, t: &Tmux, note: &str) -> LockHolder {
    tickets(t);
    let hold = LockHolder::lock(&home.db());
    open_note(t);
    t.type_text(note);
    t.wait_for(note);
    t.keys(&["Enter"]);
    hold
}

#[test]
fn a_note_sent_while_another_process_writes_waits_on_screen_and_goes_in_after() {
    let home = Home::with_demo();
    let t = Tmux::start(WIDTH, HEIGHT, &home.cockpit(&home.db(), "", &[]));
    t.wait_for("to review today");
    let note = "Held-lock note 5531";
    let hold = note_while_another_writes(&home, &t, note);
    let s = t.wait_for("waiting for another write:");
    assert!(s.contains("goes in when it ends"), "{s}");
    assert!(!s.contains("locked"), "no 'locked' reaches the user:\n{s}");
    // the cockpit is still there: views move, for as long as the other write takes
    t.keys(&["2"]);
    t.wait_for("┌ Accounts");
    tickets(&t);
    std::thread::sleep(Duration::from_millis(2500));
    let s = t.screen();
    assert!(s.contains("waiting for another write:"), "{s}");
    assert!(!s.contains("locked"), "{s}");
    drop(hold);

    // the note goes in, once, and the line that said it waits goes
    eventually("the note stored", || (home.notes_with(note) == 1).then_some(()));
    t.wait_until("the waiting line gone", |s| !s.contains("waiting for another write"));
    let s = t.wait_status("Note added to #");
    assert!(!s.contains("locked"), "{s}");
    // and its draft stays gone: a save of it refused meanwhile is not tried again after it
    std::thread::sleep(Duration::from_millis(2500));
    let drafts: i64 = home
        .conn()
        .query_row("SELECT count(*) FROM drafts WHERE key LIKE 'note:%'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(drafts, 0, "the sent note's draft came back");
    t.keys(&["q"]);
    t.wait_dead();
    assert_eq!(home.notes_with(note), 1);
}

#[test]
fn quitting_while_a_note_waits_for_another_process_asks_and_keeps_the_text_in_a_file() {
    let home = Home::with_demo();
    let err = home.path().join("stderr.txt");
    let cmd = format!(
        "{} 2>{}",
        home.cockpit(&home.db(), "", &[]),
        sh_quote(&err.display().to_string())
    );
    let t = Tmux::start(WIDTH, HEIGHT, &cmd);
    t.wait_for("to review today");
    let note = "A note the other writer outlasted 8841";
    let hold = note_while_another_writes(&home, &t, note);
    t.wait_for("waiting for another write:");
    t.keys(&["q"]);
    let s = t.wait_status("1 change still waits; quit anyway and keep typed text in a file? (y / n)");
    assert!(s.contains("waiting for another write: your note on #"), "{s}");
    t.keys(&["y"]);
    t.wait_dead();
    drop(hold);
    assert_eq!(home.notes_with(note), 0, "not made: the other process still wrote");
    let said = std::fs::read_to_string(&err).unwrap();
    assert!(
        said.contains(
            "tend: another write to the database was still under way, so 1 change could not be made (your note on #"
        ),
        "{said}"
    );
    assert!(said.contains("); the text you typed is in "), "{said}");
    let file = said.trim_end().rsplit(" is in ").next().unwrap().to_string();
    assert!(file.contains("tend-drafts-tester-"), "{said}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains(note), "{text}");
    assert!(
        text.contains("another write to the database was still under way when tend quit"),
        "{text}"
    );
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn a_database_deleted_under_the_cockpit_is_said_and_the_drafts_are_put_in_a_file() {
    let home = Home::with_demo();
    let t = Tmux::start(WIDTH, HEIGHT, &home.cockpit(&home.db(), "", &[]));
    t.wait_for("to review today");
    tickets(&t);
    let words = "Unsent note about the quokka 7781";
    open_note(&t);
    t.type_text(words);
    eventually("the note's draft stored", || {
        home.conn()
            .query_row("SELECT body FROM drafts WHERE key LIKE 'note:%'", [], |r| {
                r.get::<_, String>(0)
            })
            .optional()
            .unwrap()
            .filter(|b| b == words)
    });
    std::fs::remove_file(home.db()).unwrap();
    let s = t.wait_status("t.db was deleted while tend had it open");
    assert!(
        status_line(&s).contains("what is on screen keeps working until you quit"),
        "{s}"
    );
    assert!(s.lines().nth(1).unwrap().trim_start().starts_with("detached: "), "{s}");
    let rescue = eventually("a drafts file beside the database", || {
        std::fs::read_dir(home.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("tend-drafts-tester-")
            })
    });
    let text = std::fs::read_to_string(&rescue).unwrap();
    assert!(text.contains(words), "{text}");
    // typing goes on into the file
    t.type_text(" and 9912");
    eventually("the later words in the drafts file", || {
        std::fs::read_to_string(&rescue)
            .unwrap()
            .contains(&format!("{words} and 9912"))
            .then_some(())
    });
    // a change is refused, and says why
    t.keys(&["Enter"]);
    t.wait_status("Detached: nothing was changed");
    t.keys(&["2"]);
    t.wait_for("┌ Accounts");
    assert!(!home.db().exists(), "nothing made a new, empty database at the path");
}

#[test]
fn a_full_disk_is_said_nothing_stored_is_lost_and_the_change_lands_once_there_is_room() {
    need_root("mounting a small tmpfs");
    let home = Home::with_demo();
    let mnt = home.path().join("small");
    std::fs::create_dir(&mnt).unwrap();
    let inside = mnt.join("t.db");
    // a mount namespace of the cockpit's own: the tmpfs goes when the cockpit does
    let before = format!(
        "unshare --mount --propagation private sh -c 'mount -t tmpfs -o size=8m tmpfs {m} && cp {src} {db} && exec \"$@\"' sh",
        m = sh_quote(&mnt.display().to_string()),
        src = sh_quote(&home.db().display().to_string()),
        db = sh_quote(&inside.display().to_string()),
    );
    let t = Tmux::start(WIDTH, HEIGHT, &home.cockpit(&inside, &before, &[]));
    t.wait_for("to review today");
    let pid = t.pane_pid().to_string();
    // the cockpit's files are seen through its own mount namespace: the filler is written
    // through /proc/PID/root, and the database is read by tend itself run inside it (SQLite
    // would resolve /proc/PID/root to this namespace's folder)
    let filler = PathBuf::from(format!("/proc/{pid}/root")).join(mnt.join("filler").strip_prefix("/").unwrap());
    let copies = std::cell::Cell::new(0);
    let snapshot = || -> Connection {
        copies.set(copies.get() + 1);
        let copy = home.path().join(format!("copy-{}.db", copies.get()));
        let out = Command::new("nsenter")
            .args(["-t", &pid, "-m", "--"])
            .arg(BIN)
            .arg("--db")
            .arg(&inside)
            .args(["db", "backup"])
            .arg(&copy)
            .env("TEND_CONFIG", home.path().join("config.toml"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        Connection::open(&copy).unwrap()
    };
    let events = |c: &Connection| -> i64 {
        c.query_row("SELECT count(*) FROM ticket_events", [], |r| r.get(0))
            .unwrap()
    };
    let before_events = events(&snapshot());
    // fill the disk to the last byte
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 64 * 1024];
        while f.write_all(&block).is_ok() {}
        let small = [0u8; 512];
        while f.write_all(&small).is_ok() {}
        while f.write_all(&[0u8]).is_ok() {}
    }
    tickets(&t);
    let note = "A note for a full disk 3307";
    open_note(&t);
    t.type_text(note);
    t.keys(&["Enter"]);
    // (the draft kept as it was typed failed first, and said so; then the note itself)
    let s = t.wait_until_anywhere("the note's disk-full message", Duration::from_secs(20), |s| {
        status_line(s).contains("(your text is kept)")
    });
    assert!(
        status_line(&s).contains(
            "the disk is full: nothing of this change was written; free some space and try again (your text is kept)"
        ),
        "{s}"
    );
    // still running, still reading
    t.keys(&["2"]);
    t.wait_for("┌ Accounts");
    tickets(&t);
    // the backup needs room outside the full disk only: what is stored is whole and unchanged
    let c = snapshot();
    let check: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    assert_eq!(
        events(&c),
        before_events,
        "nothing stored went, nothing half-written came"
    );

    // room again: the note, kept, lands
    std::fs::remove_file(&filler).unwrap();
    open_note(&t);
    t.keys(&["Enter"]);
    t.wait_status("Note added to #");
    let c = snapshot();
    assert_eq!(events(&c), before_events + 1);
    let check: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    t.keys(&["q"]);
    t.wait_dead();
}

#[test]
fn a_reply_typed_up_to_a_kill_comes_back() {
    let home = Home::with_demo();
    // a ticket at Acknowledge: its reply opens filled from a template, ready to type in
    let list: serde_json::Value = serde_json::from_slice(
        &home
            .cli(&["tickets", "list", "--step", "acknowledge", "--format", "json"])
            .stdout,
    )
    .unwrap();
    let id = list.as_array().unwrap()[0]["id"].as_i64().unwrap();
    let t = Tmux::start(WIDTH, HEIGHT, &home.cockpit(&home.db(), "", &[]));
    t.wait_for("to review today");
    tickets(&t);
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
    t.keys(&["r"]);
    t.wait_for(&format!("┌ Reply · #{id} "));
    let pid = t.pane_pid();

    // words typed one after another, and the kill right after the last
    let words: Vec<String> = (1..=20).map(|i| format!("w{i:02}")).collect();
    let mut typed = String::new();
    for w in &words {
        let piece = format!("{w} ");
        t.type_text(&piece);
        typed.push_str(&piece);
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = Command::new("kill").args(["-KILL", &pid.to_string()]).output().unwrap();
    assert!(out.status.success());
    t.wait_dead();
    drop(t);

    let check: String = home
        .conn()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let body: String = home
        .conn()
        .query_row(
            "SELECT body FROM drafts WHERE key = ?1",
            [format!("reply:ticket:{id}")],
            |r| r.get(0),
        )
        .unwrap();
    // the typing went in where the editor put the cursor: the words kept are the first ones,
    // in order, with none missing before the last kept
    let at = body
        .find("w01")
        .unwrap_or_else(|| panic!("no typing in the draft: {body:?}"));
    let tokens: Vec<&str> = body[at..].split_whitespace().collect();
    let run = tokens.iter().zip(&words).take_while(|(a, b)| **a == b.as_str()).count();
    for w in &words[run..] {
        assert!(
            !body.contains(w.as_str()),
            "{w} is kept but a word before it is not: {body:?}"
        );
    }
    eprintln!("words kept after kill -9: {run} of {}", words.len());
    assert!(run >= 1, "{body:?}");

    // a new cockpit offers it back
    let t = Tmux::start(WIDTH, HEIGHT, &home.cockpit(&home.db(), "", &[]));
    let s = t.wait_status("unsent reply kept from last time");
    assert!(status_line(&s).contains("1 unsent reply"), "{s}");
    t.keys(&["q"]);
    t.wait_dead();
}

#[test]
fn a_paste_far_over_a_kilobyte_is_read_whole_and_kept_through_a_kill() {
    let home = Home::with_demo();
    let t = Tmux::start(WIDTH, HEIGHT, &home.cockpit(&home.db(), "", &[]));
    t.wait_for("to review today");
    tickets(&t);
    open_note(&t);
    let pid = t.pane_pid();
    // one burst, as a paste arrives (tmux sends it to the terminal at once), then a short one
    let paste = format!("{}END", "lorem ipsum ".repeat(400));
    t.type_text(&paste);
    t.wait_for("ipsum END");
    t.type_text(" tail");
    let saved = || -> Option<usize> {
        let body: Option<String> = home
            .conn()
            .query_row("SELECT body FROM drafts WHERE key LIKE 'note:%'", [], |r| r.get(0))
            .optional()
            .unwrap();
        body.map(|b| b.len()).filter(|n| *n == paste.len() + 5)
    };
    eventually("the whole paste and what followed it kept as the draft", saved);
    let out = Command::new("kill").args(["-KILL", &pid.to_string()]).output().unwrap();
    assert!(out.status.success());
    t.wait_dead();
    drop(t);
    let body: String = home
        .conn()
        .query_row("SELECT body FROM drafts WHERE key LIKE 'note:%'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(body, format!("{paste} tail"));
}

#[test]
fn a_multi_line_paste_goes_into_the_note_as_text_and_runs_no_key() {
    let home = Home::with_demo();
    let t = Tmux::start(WIDTH, HEIGHT, &home.cockpit(&home.db(), "", &[]));
    t.wait_for("to review today");
    tickets(&t);
    open_note(&t);
    // a paste as a terminal sends it (bracketed, since the cockpit asks for that): its newlines
    // must not save the note, and its letters (a advances, q quits) must not run as keys
    let text = "pasted line one\nand a second, with a q and an a\nthird";
    let before = home.notes_with(text);
    t.ok(&["set-buffer", "-b", "clip", text]);
    t.ok(&["paste-buffer", "-p", "-b", "clip", "-t", "s"]);
    t.wait_for("pasted line one");
    let saved = || -> Option<()> {
        let body: Option<String> = home
            .conn()
            .query_row("SELECT body FROM drafts WHERE key LIKE 'note:%'", [], |r| r.get(0))
            .optional()
            .unwrap();
        (body.as_deref() == Some(text)).then_some(())
    };
    eventually("the pasted text kept whole as the note's draft", saved);
    assert!(
        t.screen().contains(": note"),
        "the note input is still open:\n{}",
        t.screen()
    );
    assert_eq!(home.notes_with(text), before, "nothing was saved by a pasted newline");
    assert_eq!(home.notes_with("pasted line one"), 0, "nor its first line alone");
    t.keys(&["Enter"]);
    eventually("the note stored once, whole", || {
        (home.notes_with(text) == before + 1).then_some(())
    });
    t.keys(&["q"]);
    t.wait_dead();
}
