//! Data safety: who can read the database's files, sharing them with a group, opening a
//! database read-only, backups while others write, restores that refuse what is not a tend
//! database, and the faults (a lock held too long, a full disk, the file deleted under the
//! cockpit) that must end in one clear sentence with nothing already stored lost.
//!
//! Opening a database as someone who may read but not write it needs a second user: these
//! tests run `tend` as `nobody` through `setpriv`, which needs root (CI runs as root).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use rusqlite::Connection;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use tend::app::data::{Cmd, Reply, TicketOp, Worker};
use tend::app::keys::KeyMap;
use tend::app::{App, Msg};
use tend::domain::health::HealthRules;
use tend::domain::sla::SlaTargets;
use tend::store::{Draft, Store};

mod common;
use common::{Home, LockHolder, assert_runtime_error, expect_code, full_answers};

const NOW: &str = "2026-11-22T09:00:00Z";
/// NOW as a timestamp.
const NOW_TS: i64 = 1_795_338_000;
const BIN: &str = env!("CARGO_BIN_EXE_tend");

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

fn wal(p: &Path) -> PathBuf {
    PathBuf::from(format!("{}-wal", p.display()))
}

fn shm(p: &Path) -> PathBuf {
    PathBuf::from(format!("{}-shm", p.display()))
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn integrity(p: &Path) -> String {
    let c = Connection::open(p).unwrap();
    c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap()
}

fn count(p: &Path, sql: &str) -> i64 {
    let c = Connection::open(p).unwrap();
    c.busy_timeout(Duration::from_secs(10)).unwrap();
    c.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn is_root() -> bool {
    let out = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

/// A group this process may give files to, other than its own primary group when it can (root
/// can give any: `users` is in every Debian).
fn a_group() -> (String, u32) {
    let name = if is_root() {
        "users".to_string()
    } else {
        let out = Command::new("id").arg("-gn").output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let out = Command::new("getent").args(["group", &name]).output().unwrap();
    let line = String::from_utf8_lossy(&out.stdout).into_owned();
    let gid = line
        .split(':')
        .nth(2)
        .and_then(|g| g.trim().parse().ok())
        .unwrap_or_else(|| panic!("no group {name} on this machine: {line:?}"));
    (name, gid)
}

// ----- permissions and sharing -----

#[test]
fn a_new_database_and_its_log_files_are_private() {
    let t = Home::new(NOW);
    t.ok(&["demo"]);
    let db = t.path("tend.db");
    assert_eq!(mode(&db), 0o600);
    // while a connection is open, SQLite's -wal and -shm exist: they take the database's mode
    let s = Store::open(&db, "t").unwrap();
    s.add_note(1, "kept in the log for a moment", None, NOW_TS).unwrap();
    assert!(wal(&db).exists() && shm(&db).exists());
    assert_eq!(mode(&wal(&db)), 0o600);
    assert_eq!(mode(&shm(&db)), 0o600);
    drop(s);
    assert_eq!(mode(&t.dir.path().join("tend.db")), 0o600);
}

#[test]
fn sharing_gives_the_files_to_the_group_and_new_log_files_follow() {
    let t = Home::new(NOW);
    t.ok(&["demo"]);
    let db = t.path("tend.db");
    let (group, gid) = a_group();
    // a folder the group shares, as the command asks for
    std::os::unix::fs::chown(t.dir.path(), None, Some(gid)).unwrap();
    std::fs::set_permissions(t.dir.path(), std::fs::Permissions::from_mode(0o2770)).unwrap();

    let out = t.ok(&["db", "share", "--group", &group]);
    assert_eq!(mode(&db), 0o660, "{out}");
    assert_eq!(std::fs::metadata(&db).unwrap().gid(), gid);
    assert!(
        out.contains(&format!("with the group '{group}'")) && out.contains("mode 0660"),
        "{out}"
    );
    assert!(
        out.contains(&format!("tend --db {}", std::fs::canonicalize(&db).unwrap().display())),
        "{out}"
    );
    assert!(out.contains("own user"), "{out}");
    assert!(!out.contains("cannot open it yet"), "{out}");

    // the -wal and -shm SQLite makes from now on take the database's mode (and, in a setgid
    // folder, its group)
    assert!(
        !wal(&db).exists(),
        "the log was folded back when the last connection closed"
    );
    let s = Store::open(&db, "t").unwrap();
    s.add_note(1, "written after sharing", None, NOW_TS).unwrap();
    for f in [wal(&db), shm(&db)] {
        assert_eq!(mode(&f), 0o660, "{}", f.display());
        assert_eq!(std::fs::metadata(&f).unwrap().gid(), gid, "{}", f.display());
    }
    drop(s);
    // the files stay shared, and a warning about others does not come
    let listed = t.ok(&["accounts", "list", "--limit", "1"]);
    assert!(listed.contains("ID"), "{listed}");
    assert_eq!(mode(&db), 0o660);
}

#[test]
fn sharing_says_what_keeps_the_group_out() {
    let t = Home::new(NOW);
    t.ok(&["demo"]);
    let (group, _) = a_group();
    // the temporary folder is 0700 and not the group's
    let out = t.ok(&["db", "share", "--group", &group]);
    assert!(out.contains("The group cannot open it yet"), "{out}");
    assert!(
        out.contains("chmod 2770") && out.contains(&format!("chgrp {group}")),
        "the fix is given as commands: {out}"
    );
}

#[test]
fn sharing_with_an_unknown_group_changes_nothing() {
    let t = Home::new(NOW);
    t.ok(&["demo"]);
    let db = t.path("tend.db");
    let gid = std::fs::metadata(&db).unwrap().gid();
    let err = t.fails(&["db", "share", "--group", "no-such-group-here"], 1);
    assert_runtime_error(&err, "there is no group 'no-such-group-here'");
    assert_eq!(mode(&db), 0o600);
    assert_eq!(std::fs::metadata(&db).unwrap().gid(), gid);
}

#[test]
fn a_database_every_user_can_read_is_warned_about_with_the_fix() {
    let t = Home::new(NOW);
    t.ok(&["demo"]);
    let db = t.path("tend.db");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = t.run(&["accounts", "list", "--limit", "1"]);
    expect_code(&["accounts", "list"], &out, 0);
    assert!(stdout(&out).contains("ID"), "the command still works");
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("tend: warning: "), "{err}");
    assert!(
        err.contains("can be read by every user") && err.contains("chmod o-rwx"),
        "{err}"
    );
    // the fix it gives works
    let fix = err.split('`').nth(1).unwrap();
    let status = Command::new("sh").arg("-c").arg(fix).status().unwrap();
    assert!(status.success(), "{fix}");
    t.ok(&["accounts", "list", "--limit", "1"]);

    // the cockpit's banner says it too (rendered by `tend screen` through the same code)
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o604)).unwrap();
    let mut app = App::new(
        KeyMap::default(),
        HealthRules::default(),
        SlaTargets::default(),
        db.display().to_string(),
        "t".into(),
        NOW_TS,
    );
    app.warning = tend::store::files::exposure_warning(&db);
    assert!(app.banner().unwrap().starts_with("warning: "), "{:?}", app.banner());
}

// ----- read-only -----

/// Run tend as `nobody`, who may read the files but not write them.
fn as_reader(db: &Path, args: &[&str], extra_env: &[(&str, &str)]) -> Output {
    assert!(
        is_root(),
        "opening a database as someone who cannot write it needs a second user: run these tests as root (CI does)"
    );
    let mut c = Command::new("setpriv");
    c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(BIN)
        .arg("--db")
        .arg(db)
        .args(["--now", NOW])
        .args(args)
        .env("HOME", "/nonexistent")
        .env("USER", "reader")
        .env("TEND_CONFIG", "/nonexistent/config.toml")
        .env_remove("TEND_DB")
        .env_remove("TEND_NOW")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME");
    for (k, v) in extra_env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    assert_ne!(out.status.code(), Some(101), "panicked: {}", stderr(&out));
    out
}

/// A demo database, readable by everyone and writable only by its owner (root), in a folder
/// with the given mode.
fn readable_database(folder_mode: u32) -> Home {
    let t = Home::demo(NOW);
    std::fs::set_permissions(t.path("tend.db"), std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(t.dir.path(), std::fs::Permissions::from_mode(folder_mode)).unwrap();
    t
}

/// The error line, without the warning line about everyone being able to read the file.
fn error_line(o: &Output) -> String {
    stderr(o)
        .lines()
        .filter(|l| !l.starts_with("tend: warning:"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_database_you_cannot_write_opens_read_only_and_refuses_changes_in_a_sentence() {
    let t = readable_database(0o777);
    let db = t.path("tend.db");
    let export = stdout(&t.run(&["export", "tickets"]));
    let events = count(&db, "SELECT count(*) FROM ticket_events");

    let listed = as_reader(&db, &["accounts", "list", "--format", "json"], &[]);
    expect_code(&["accounts", "list"], &listed, 0);
    let v: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 60);

    for args in [
        &["tickets", "note", "1", "hello"][..],
        &["health", "recompute"][..],
        &["tasks", "done", "1"][..],
        &["demo"][..],
    ] {
        let out = as_reader(&db, args, &[]);
        expect_code(args, &out, 1);
        let err = error_line(&out);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with(&format!(
                "tend: {} is read-only for you (you cannot write it: owner root",
                db.display()
            )),
            "{args:?}: {err}"
        );
        assert!(err.ends_with("nothing was changed"), "{args:?}: {err}");
        assert!(stdout(&out).is_empty(), "{args:?}");
    }
    assert_eq!(stdout(&t.run(&["export", "tickets"])), export);
    assert_eq!(count(&db, "SELECT count(*) FROM ticket_events"), events);

    // the cockpit's view says so above everything
    let screen = as_reader(&db, &["screen", "tickets", "--width", "120", "--height", "20"], &[]);
    expect_code(&["screen"], &screen, 0);
    let text = stdout(&screen);
    let banner = text.lines().nth(1).unwrap();
    assert!(
        banner.trim_start().starts_with("read-only: you cannot write it"),
        "{text}"
    );
}

#[test]
fn a_file_no_one_may_write_in_a_folder_you_cannot_write_opens_as_it_stands() {
    let t = readable_database(0o755);
    let db = t.path("tend.db");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).unwrap();
    let out = as_reader(&db, &["tickets", "list", "--all", "--format", "json"], &[]);
    expect_code(&["tickets", "list"], &out, 0);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 300);
    assert!(
        !wal(&db).exists() && !shm(&db).exists(),
        "a reader leaves nothing beside it"
    );
    let out = as_reader(&db, &["tickets", "note", "1", "x"], &[]);
    expect_code(&["tickets", "note"], &out, 1);
    assert!(
        error_line(&out).contains("so no one can change it); nothing was changed"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_database_a_reader_has_nowhere_to_open_gets_one_sentence() {
    let t = readable_database(0o755);
    let db = t.path("tend.db");
    let out = as_reader(&db, &["accounts", "list"], &[]);
    expect_code(&["accounts", "list"], &out, 1);
    let err = error_line(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!("tend: cannot open {}: it is read-only for you", db.display())),
        "{err}"
    );
    assert!(err.contains("ask its owner for write access to the folder"), "{err}");
    // while the owner has it open (the -wal and -shm exist), the reader can read
    let owner = Store::open(&db, "owner").unwrap();
    owner.add_note(1, "the owner is working", None, NOW_TS).unwrap();
    let out = as_reader(&db, &["tickets", "show", "1", "--format", "json"], &[]);
    expect_code(&["tickets", "show"], &out, 0);
    assert!(
        stdout(&out).contains("the owner is working"),
        "the reader sees the owner's latest commit"
    );
    drop(owner);
}

#[test]
fn a_read_only_database_that_needs_an_upgrade_is_not_touched() {
    let t = Home::new(NOW);
    let db = t.path("tend.db");
    {
        // a database as an older tend left it: schema version 3
        let mut c = Connection::open(&db).unwrap();
        c.pragma_update(None, "journal_mode", "WAL").unwrap();
        tend::store::migrations().to_version(&mut c, 3).unwrap();
    }
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(t.dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let before = std::fs::read(&db).unwrap();
    let out = as_reader(&db, &["accounts", "list"], &[]);
    expect_code(&["accounts", "list"], &out, 1);
    let err = error_line(&out);
    assert!(
        err.contains("has schema version 3 and this tend needs") && err.contains("cannot be upgraded"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "the file is byte for byte as it was"
    );
}

#[test]
fn the_cockpit_refuses_each_change_on_a_read_only_database_with_a_word() {
    let mut app = App::new(
        KeyMap::default(),
        HealthRules::default(),
        SlaTargets::default(),
        "/srv/tend/tend.db".into(),
        "t".into(),
        NOW_TS,
    );
    app.read_only = Some("you cannot write it: owner root, mode 0444".into());
    app.welcome_done = true;
    let key = |c: char| Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    // note, reply, advance, wait, mark reviewed, import, investigate, in each list view
    for c in ['n', 'r', 'a', 'w', 'x', 'I', 'i'] {
        for v in ['1', '2', '3'] {
            app.update(key(v));
            app.status.clear();
            let cmds = app.update(key(c));
            assert!(
                cmds.iter().all(|c| !c.writes()),
                "{c} in view {v} asked for a change: {cmds:?}"
            );
        }
    }
    // a change that comes some other way is dropped, with the word
    app.update(key('1'));
    app.update(Msg::Reply(Reply::ReplyOpen(Box::new(tend::app::data::ReplyOpen {
        key: "reply:ticket:1".into(),
        ticket: Some(1),
        account: 1,
        task: None,
        template: None,
        text: "x".into(),
        title: "t".into(),
        to: None,
        restored: None,
        pick: false,
        suggest: None,
        version: None,
    }))));
    app.status.clear();
    let typed = app.update(key('z'));
    assert!(typed.iter().all(|c| !c.writes()), "{typed:?}");
    assert_eq!(
        app.status,
        "Read-only: nothing was changed (you cannot write it: owner root, mode 0444)."
    );
    assert!(app.status_is_error);
    assert_eq!(
        app.banner().as_deref(),
        Some("read-only: you cannot write it: owner root, mode 0444 — you can look, not change")
    );
}

// ----- faults -----

/// A connection holding the write lock (`BEGIN EXCLUSIVE`) until dropped.
#[test]
fn a_lock_held_past_the_wait_is_one_sentence_and_changes_nothing() {
    let t = Home::demo(NOW);
    let db = t.path("tend.db");
    let events = count(&db, "SELECT count(*) FROM ticket_events");
    let hold = LockHolder::lock(&db);
    let out = t
        .cmd(NOW)
        .env("TEND_BUSY_TIMEOUT_MS", "300")
        .args(["tickets", "note", "1", "while someone holds the lock"])
        .output()
        .unwrap();
    expect_code(&["tickets", "note"], &out, 1);
    let err = stderr(&out);
    assert_runtime_error(
        &err,
        "another process has been writing to the database for over 0.3 s (is one stuck? `fuser` on the file names it): nothing changed, try again",
    );
    // reading is not held up by a writer (WAL)
    let out = t
        .cmd(NOW)
        .env("TEND_BUSY_TIMEOUT_MS", "300")
        .args(["tickets", "show", "1"])
        .output()
        .unwrap();
    expect_code(&["tickets", "show"], &out, 0);
    drop(hold);
    assert_eq!(count(&db, "SELECT count(*) FROM ticket_events"), events);
    t.ok(&["tickets", "note", "1", "after the lock"]);
    assert_eq!(count(&db, "SELECT count(*) FROM ticket_events"), events + 1);
}

fn app_for(db: &Path) -> App {
    let mut app = App::new(
        KeyMap::default(),
        HealthRules::default(),
        SlaTargets::default(),
        db.display().to_string(),
        "tester".into(),
        NOW_TS,
    );
    app.welcome_done = true;
    app
}

fn feed(app: &mut App, replies: Vec<Reply>) {
    for r in replies {
        app.update(Msg::Reply(r));
    }
}

#[test]
fn a_command_waits_for_another_process_s_write_says_so_and_goes_in() {
    let t = Home::demo(NOW);
    let db = t.path("tend.db");
    let events = count(&db, "SELECT count(*) FROM ticket_events");
    let hold = LockHolder::lock(&db);
    let mut cmd = t.cmd(NOW);
    cmd.env("TEND_BUSY_TIMEOUT_MS", "60000")
        .args(["tickets", "note", "1", "written while another process wrote"]);
    let child = std::thread::spawn(move || cmd.output().unwrap());
    // the other process's write takes a while: longer than the quiet second
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(count(&db, "SELECT count(*) FROM ticket_events"), events, "it waited");
    drop(hold);
    let out = child.join().unwrap();
    expect_code(&["tickets", "note"], &out, 0);
    let err = stderr(&out);
    assert_eq!(
        err.trim_end(),
        "tend: another process is writing to the database; waiting up to 60 s for it to finish (Ctrl-C gives up, changing nothing)",
        "one line says it waits, and nothing says locked"
    );
    assert_eq!(count(&db, "SELECT count(*) FROM ticket_events"), events + 1);
}

#[test]
fn the_cockpit_queues_a_change_while_another_process_writes_and_makes_it_after() {
    let t = Home::demo(NOW);
    let db = t.path("tend.db");
    let store = Store::open(&db, "tester").unwrap();
    let mut worker = Worker::new(store, HealthRules::default(), SlaTargets::default(), Some(NOW_TS));
    let mut app = app_for(&db);
    feed(&mut app, worker.handle(Cmd::LoadAll));
    let events = count(&db, "SELECT count(*) FROM ticket_events");
    let note = |text: &str| Cmd::Ticket(1, None, TicketOp::Note { text: text.into() });

    let hold = LockHolder::lock(&db);
    let started = std::time::Instant::now();
    feed(&mut app, worker.handle(note("typed while another wrote")));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the worker asks for the lock briefly, it does not sit out the wait: {:?}",
        started.elapsed()
    );
    assert!(!app.status_is_error, "{}", app.status);
    assert_eq!(app.status, "Queued behind another write: your note on #1.");
    assert_eq!(
        app.banner().as_deref(),
        Some("waiting for another write: your note on #1 goes in when it ends")
    );
    // reading goes on meanwhile
    let read = worker.handle(Cmd::LoadTicket(2));
    assert!(
        matches!(read.as_slice(), [Reply::Ticket(d)] if d.ticket.id == 2),
        "{read:?}"
    );
    // a later change waits behind it, without asking for the lock: order is kept
    let started = std::time::Instant::now();
    feed(&mut app, worker.handle(Cmd::Ticket(1, None, TicketOp::Wait)));
    assert!(
        started.elapsed() < Duration::from_millis(150),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(app.waiting, ["your note on #1", "#1 waiting on the customer"]);
    assert!(app.banner().unwrap().contains("your note on #1 and 1 more go in"));
    // a draft typed meanwhile is kept in memory until it can be saved
    let d = Draft {
        key: "reply:ticket:1".into(),
        body: "words typed while locked".into(),
        template: None,
        ticket_id: Some(1),
        account_id: None,
        task_id: None,
        updated_at: NOW_TS,
    };
    feed(&mut app, worker.handle(Cmd::SaveDraft(d)));
    assert!(!app.status_is_error, "{}", app.status);
    // polls while the other still writes change nothing and say nothing new
    let replies = worker.handle(Cmd::Poll);
    assert!(!replies.iter().any(|r| matches!(r, Reply::Failed(_))), "{replies:?}");
    feed(&mut app, replies);
    assert_eq!(app.waiting.len(), 2, "{:?}", app.waiting);
    assert_eq!(count(&db, "SELECT count(*) FROM ticket_events"), events);
    assert!(!app.status_is_error, "{}", app.status);
    assert!(
        !app.status.contains("locked"),
        "no 'locked' reaches the user: {}",
        app.status
    );

    drop(hold);
    let replies = worker.handle(Cmd::Poll);
    feed(&mut app, replies);
    assert!(app.waiting.is_empty(), "{:?}", app.waiting);
    assert_eq!(app.banner(), None);
    assert!(!app.status_is_error, "{}", app.status);
    let kept: String = Connection::open(&db)
        .unwrap()
        .query_row("SELECT body FROM drafts WHERE key = 'reply:ticket:1'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(kept, "words typed while locked");
    // both changes made, once each, in the order asked
    let kinds: Vec<(String, String)> = {
        let c = Connection::open(&db).unwrap();
        let mut st = c
            .prepare("SELECT kind, body FROM ticket_events WHERE ticket_id = 1 ORDER BY id DESC LIMIT 2")
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(kinds.len(), 2);
    assert_eq!(
        kinds[1],
        ("note".to_string(), "typed while another wrote".to_string()),
        "{kinds:?}"
    );
    assert_eq!(kinds[0].0, "wait", "{kinds:?}");
    assert_eq!(count(&db, "SELECT count(*) FROM ticket_events"), events + 2);
}

#[test]
fn a_full_disk_is_one_sentence_and_loses_nothing_stored() {
    let t = Home::demo(NOW);
    let db = t.path("tend.db");
    let store = Store::open(&db, "tester").unwrap();
    // the database may not grow by a page: what a full disk does to a write
    let pages: i64 = store
        .connection()
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .unwrap();
    let _: i64 = store
        .connection()
        .query_row(&format!("PRAGMA max_page_count = {pages}"), [], |r| r.get(0))
        .unwrap();
    let mut worker = Worker::new(store, HealthRules::default(), SlaTargets::default(), Some(NOW_TS));
    let mut app = app_for(&db);
    feed(&mut app, worker.execute(Cmd::LoadAll));
    let export = t.ok(&["export", "tickets"]);
    let events = count(&db, "SELECT count(*) FROM ticket_events");

    let long = "a long note that needs new pages. ".repeat(2_000);
    feed(
        &mut app,
        worker.execute(Cmd::Ticket(1, None, TicketOp::Note { text: long.clone() })),
    );
    assert!(app.status_is_error);
    assert!(
        app.status
            .starts_with("the disk is full: nothing of this change was written; free some space and try again"),
        "{}",
        app.status
    );
    assert_eq!(app.drafts.get(&tend::app::InputPurpose::Note(1)), Some(&long));
    // the cockpit goes on reading
    let replies = worker.execute(Cmd::LoadTicket(1));
    assert!(matches!(replies.as_slice(), [Reply::Ticket(_)]), "{replies:?}");
    assert_eq!(count(&db, "SELECT count(*) FROM ticket_events"), events);
    assert_eq!(t.ok(&["export", "tickets"]), export);
    assert_eq!(integrity(&db), "ok");
    // room again: the same change lands
    let _: i64 = worker
        .store
        .connection()
        .query_row("PRAGMA max_page_count = 1073741823", [], |r| r.get(0))
        .unwrap();
    feed(
        &mut app,
        worker.execute(Cmd::Ticket(1, None, TicketOp::Note { text: long })),
    );
    assert!(!app.status_is_error, "{}", app.status);
    assert_eq!(count(&db, "SELECT count(*) FROM ticket_events"), events + 1);
}

#[test]
fn a_database_deleted_under_the_cockpit_is_noticed_and_the_drafts_are_written_out() {
    let t = Home::demo(NOW);
    let db = t.path("tend.db");
    let mut worker = Worker::new(
        Store::open(&db, "tester").unwrap(),
        HealthRules::default(),
        SlaTargets::default(),
        Some(NOW_TS),
    );
    let mut app = app_for(&db);
    feed(&mut app, worker.execute(Cmd::LoadAll));
    let draft = Draft {
        key: "reply:ticket:7".into(),
        body: "Hello Ana,\n\nthe export is fixed: zebra 4411.".into(),
        template: None,
        ticket_id: Some(7),
        account_id: Some(3),
        task_id: None,
        updated_at: NOW_TS,
    };
    assert!(worker.execute(Cmd::SaveDraft(draft)).is_empty());
    assert!(
        worker.execute(Cmd::Poll).is_empty(),
        "nothing to say while the file is there"
    );

    std::fs::remove_file(&db).unwrap();
    let replies = worker.execute(Cmd::Poll);
    let (message, banner) = replies
        .iter()
        .find_map(|r| match r {
            Reply::Detached { message, banner } => Some((message.clone(), banner.clone())),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no word of the deleted file: {replies:?}"));
    assert!(
        message.starts_with("tend.db was deleted while tend had it open"),
        "{message}"
    );
    assert!(
        message.contains("what is on screen keeps working until you quit"),
        "{message}"
    );
    let name_at = banner
        .find("tend-drafts-tester-")
        .unwrap_or_else(|| panic!("no drafts file named in {banner}"));
    let name_len = banner[name_at..].find(".txt").unwrap() + 4;
    let rescue = t.dir.path().join(&banner[name_at..name_at + name_len]);
    assert!(
        banner.starts_with(&format!("your 1 draft is in {}", rescue.display())),
        "{banner}"
    );
    let text = std::fs::read_to_string(&rescue).unwrap();
    assert!(text.contains("the export is fixed: zebra 4411."), "{text}");
    assert_eq!(mode(&rescue), 0o600);
    feed(&mut app, replies);
    assert!(app.banner().unwrap().starts_with("detached: "), "{:?}", app.banner());
    // changes are refused from now on; drafts typed meanwhile follow into the file
    app.update(Msg::Key(KeyEvent::new(KeyCode::Char('3'), KeyModifiers::NONE)));
    let cmds = app.update(Msg::Key(KeyEvent::new(KeyCode::Char('n'), KeyModifiers::NONE)));
    assert!(cmds.iter().all(|c| !c.writes()), "{cmds:?}");
    let still = app.update(Msg::Reply(Reply::Drafts(vec![])));
    assert!(still.is_empty());
    let later = Draft {
        key: "reply:ticket:8".into(),
        body: "typed after the file went: quokka".into(),
        template: None,
        ticket_id: Some(8),
        account_id: Some(3),
        task_id: None,
        updated_at: NOW_TS,
    };
    worker.execute(Cmd::SaveDraft(later));
    let text = std::fs::read_to_string(&rescue).unwrap();
    assert!(text.contains("quokka") && text.contains("zebra 4411"), "{text}");
    // it is said once
    assert!(
        worker
            .execute(Cmd::Poll)
            .iter()
            .all(|r| !matches!(r, Reply::Detached { .. }))
    );
}

#[test]
fn a_database_replaced_under_the_cockpit_is_noticed() {
    let t = Home::demo(NOW);
    let db = t.path("tend.db");
    let mut worker = Worker::new(
        Store::open(&db, "tester").unwrap(),
        HealthRules::default(),
        SlaTargets::default(),
        Some(NOW_TS),
    );
    worker.execute(Cmd::LoadAll);
    let other = t.path("other.db");
    t.ok(&["db", "backup", other.to_str().unwrap()]);
    std::fs::rename(&other, &db).unwrap();
    let replies = worker.execute(Cmd::Poll);
    assert!(
        replies
            .iter()
            .any(|r| matches!(r, Reply::Detached { message, .. } if message.contains("was replaced by another file"))),
        "{replies:?}"
    );
}

// ----- backup and restore -----

/// A writer inserting pairs of audit rows, each pair in one transaction, until told to stop;
/// how many pairs it committed.
fn writer(db: PathBuf, stop: Arc<AtomicBool>, done: Arc<AtomicUsize>) -> std::thread::JoinHandle<usize> {
    std::thread::spawn(move || {
        let c = Connection::open(&db).unwrap();
        c.busy_timeout(Duration::from_secs(10)).unwrap();
        let mut i = 0;
        while !stop.load(Ordering::SeqCst) {
            c.execute_batch("BEGIN IMMEDIATE").unwrap();
            for _ in 0..2 {
                c.execute(
                    "INSERT INTO audit_log (at, actor, entity, action, detail) VALUES (0, 'writer', 'test', 'pair', ?1)",
                    [format!("pair {i}")],
                )
                .unwrap();
            }
            c.execute_batch("COMMIT").unwrap();
            i += 1;
            done.store(i, Ordering::SeqCst);
        }
        i
    })
}

#[test]
fn a_backup_while_another_process_writes_is_whole_and_consistent() {
    let t = Home::demo(NOW);
    let db = t.path("tend.db");
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let w = writer(db.clone(), stop.clone(), done.clone());
    while done.load(Ordering::SeqCst) < 50 {
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut backups = Vec::new();
    for n in 0..3 {
        let before = done.load(Ordering::SeqCst);
        let b = t.path(&format!("backup-{n}.db"));
        let said = t.ok(&["db", "backup", b.to_str().unwrap()]);
        assert!(said.contains("integrity ok"), "{said}");
        backups.push((b, before));
    }
    stop.store(true, Ordering::SeqCst);
    let total = w.join().unwrap();
    let mut seen = Vec::new();
    for (b, before) in &backups {
        assert_eq!(integrity(b), "ok");
        assert_eq!(mode(b), 0o600);
        // every pair is whole (no transaction half in), and none is missing before the last
        let c = Connection::open(b).unwrap();
        let halves: i64 = c
            .query_row(
                "SELECT count(*) FROM (SELECT detail FROM audit_log WHERE actor = 'writer' GROUP BY detail HAVING count(*) != 2)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(halves, 0, "{}: a transaction is in by half", b.display());
        let pairs: i64 = c
            .query_row(
                "SELECT count(DISTINCT detail) FROM audit_log WHERE actor = 'writer'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let last: i64 = c
            .query_row(
                "SELECT coalesce(max(CAST(substr(detail, 6) AS INTEGER)), -1) FROM audit_log WHERE actor = 'writer'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            pairs,
            last + 1,
            "{}: a commit before the snapshot is missing",
            b.display()
        );
        assert!(
            pairs as usize >= *before,
            "{}: older than the backup's start",
            b.display()
        );
        let accounts: i64 = c.query_row("SELECT count(*) FROM accounts", [], |r| r.get(0)).unwrap();
        assert_eq!(accounts, 60);
        seen.push(pairs);
    }
    assert!(total as i64 >= *seen.last().unwrap());
    // the writer kept going while the backups ran
    assert!(total > 50, "{total}");
}

fn sha(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn restore_refuses_what_is_not_a_whole_tend_database_and_touches_nothing() {
    let t = Home::demo(NOW);
    let db = t.path("tend.db");
    let backup = t.path("good.db");
    t.ok(&["db", "backup", backup.to_str().unwrap()]);

    let text = t.write("notes.txt", "not a database at all\n");
    let plain = t.path("plain.db");
    Connection::open(&plain)
        .unwrap()
        .execute_batch("CREATE TABLE shopping (item TEXT); INSERT INTO shopping VALUES ('milk');")
        .unwrap();
    let newer = t.path("newer.db");
    std::fs::copy(&backup, &newer).unwrap();
    Connection::open(&newer)
        .unwrap()
        .pragma_update(None, "user_version", 999)
        .unwrap();
    // a tend database with a damaged index: the header is fine, the check is not
    let damaged = t.path("damaged.db");
    std::fs::copy(&backup, &damaged).unwrap();
    {
        let c = Connection::open(&damaged).unwrap();
        let root: i64 = c
            .query_row(
                "SELECT rootpage FROM sqlite_master WHERE name = 'audit_log_at'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let page: i64 = c.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap();
        drop(c);
        let mut bytes = std::fs::read(&damaged).unwrap();
        let at = ((root - 1) * page) as usize;
        // the page's header (its cell count, where its cells start) and its cells, garbled
        for b in &mut bytes[at + 1..at + page as usize] {
            *b = 0x5a;
        }
        std::fs::write(&damaged, bytes).unwrap();
    }

    let before = sha(&db);
    let listing = files_in(t.dir.path());
    for (file, says) in [
        (text.clone(), "is not a SQLite database"),
        (plain.clone(), "is a SQLite database but not a tend database"),
        (
            newer.clone(),
            "has schema version 999, newer than this tend understands",
        ),
        (damaged.clone(), "fails SQLite's integrity check"),
        (t.path("missing.db"), "cannot read"),
        (db.clone(), "is the database in use"),
    ] {
        let f = file.to_str().unwrap();
        let err = t.fails(&["db", "restore", f], 1);
        assert_runtime_error(&err, says);
        assert_eq!(sha(&db), before, "{f} changed the database");
        assert_eq!(files_in(t.dir.path()), listing, "{f} left a file behind");
    }
}

#[test]
fn restore_brings_a_backup_back_keeps_the_current_one_and_open_readers_see_it_whole() {
    let t = Home::demo(NOW);
    let db = t.path("tend.db");
    let backup = t.path("before.db");
    t.ok(&["db", "backup", backup.to_str().unwrap()]);
    t.ok(&["tickets", "note", "1", "written after the backup: walrus"]);
    let export_backup = {
        let other = Home::new(NOW);
        std::fs::copy(&backup, other.path("tend.db")).unwrap();
        other.ok(&["export", "tickets"])
    };
    // someone else has the database open, in a read transaction, while it is restored
    let reader = Connection::open(&db).unwrap();
    let walruses = |c: &Connection| -> i64 {
        c.query_row(
            "SELECT count(*) FROM ticket_events WHERE body LIKE '%walrus%'",
            [],
            |r| r.get(0),
        )
        .unwrap()
    };
    reader.execute_batch("BEGIN").unwrap();
    assert_eq!(walruses(&reader), 1);

    let out = t.ok(&["db", "restore", backup.to_str().unwrap()]);
    assert!(
        out.starts_with(&format!(
            "Restored {} into {}: 60 accounts, 300 tickets.",
            backup.display(),
            db.display()
        )),
        "{out}"
    );
    let kept = out
        .split("is kept in ")
        .nth(1)
        .and_then(|s| s.split(';').next())
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("no kept copy named: {out}"));
    assert!(kept.starts_with(t.dir.path()), "{}", kept.display());
    assert_eq!(mode(&kept), 0o600);
    let c = Connection::open(&kept).unwrap();
    let walrus: i64 = c
        .query_row(
            "SELECT count(*) FROM ticket_events WHERE body LIKE '%walrus%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(walrus, 1, "the kept copy is the database as it was");

    // the reader's transaction still sees the database as it was; its next one, the restored one
    assert_eq!(walruses(&reader), 1);
    reader.execute_batch("COMMIT").unwrap();
    assert_eq!(walruses(&reader), 0);
    let check: String = reader.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    drop(reader);
    assert_eq!(t.ok(&["export", "tickets"]), export_backup);
    assert!(t.ok(&["db", "check"]).contains("integrity ok"));
}

#[test]
fn restore_upgrades_a_backup_from_an_older_tend() {
    let t = Home::demo(NOW);
    let old = t.path("old.db");
    {
        let mut c = Connection::open(&old).unwrap();
        tend::store::migrations().to_version(&mut c, 3).unwrap();
        c.execute(
            "INSERT INTO accounts (name, segment, stage, signup_date, created_at, updated_at) \
             VALUES ('Old Timer Ltd', 'smb', 'adoption', '2020-01-01', 0, 0)",
            [],
        )
        .unwrap();
    }
    let before = sha(&old);
    let out = t.ok(&["db", "restore", old.to_str().unwrap()]);
    assert!(
        out.contains("1 accounts, 0 tickets (upgraded from schema version 3)"),
        "{out}"
    );
    assert_eq!(sha(&old), before, "the backup file itself is left as it was");
    let listed = t.ok(&["accounts", "list"]);
    assert!(listed.contains("Old Timer Ltd"), "{listed}");
    let check = t.json(&["db", "check", "--format", "json"]);
    assert_eq!(check["ok"], true);
    assert_eq!(check["schema_version"], tend::store::schema_version());
}

/// The cockpit's worker on `db` as "tester", keeping new templates in `templates`.
fn worker_with_templates(db: &Path, templates: &Path) -> Worker {
    Worker::new(
        Store::open(db, "tester").unwrap(),
        HealthRules::default(),
        SlaTargets::default(),
        Some(NOW_TS),
    )
    .with_responses(tend::responses::TemplateSet::load(Some(templates)), Default::default())
}

/// Counts of what each kind of change writes.
fn fingerprint(db: &Path) -> Vec<(&'static str, i64)> {
    [
        "ticket_events",
        "ticket_checklist",
        "tasks",
        "review_marks",
        "messages",
        "sequence_enrollments",
        "investigations",
        "accounts",
        "audit_log",
    ]
    .into_iter()
    .map(|t| (t, count(db, &format!("SELECT count(*) FROM {t}"))))
    .collect()
}

#[test]
fn every_kind_of_change_waits_for_another_process_s_write_changes_nothing_meanwhile_and_goes_in_in_order() {
    use tend::app::data::TaskOp;
    use tend::responses::{OutgoingReply, Via};
    let t = Home::demo(NOW);
    let db = t.path("tend.db");
    let templates = t.path("templates");
    let mut worker = worker_with_templates(&db, &templates);
    // a task to finish: a playbook's first
    let playbook = worker.playbooks[0].slug.clone();
    let started = worker.handle(Cmd::StartPlaybook {
        account: 5,
        playbook: playbook.clone(),
        version: None,
    });
    assert!(matches!(&started[0], Reply::Done(_)), "{started:?}");
    let task: i64 = Connection::open(&db)
        .unwrap()
        .query_row("SELECT min(id) FROM tasks WHERE status = 'open'", [], |r| r.get(0))
        .unwrap();
    let outbox = t.path("outbox/reply.eml");
    let csv = t.path("new.csv");
    std::fs::write(&csv, "external_id,name,segment\nW-1,Waited Ltd,smb\n").unwrap();
    let cmds = vec![
        Cmd::Ticket(1, None, TicketOp::SetItem { item: 0, done: true }),
        Cmd::Task(task, TaskOp::Done),
        Cmd::MarkReviewed {
            day: "2026-11-22".into(),
            item: "ticket:1".into(),
            reviewed: true,
        },
        Cmd::SendReply {
            key: "reply:ticket:2".into(),
            reply: OutgoingReply {
                ticket: Some(2),
                account: None,
                task: None,
                template: None,
                template_step: None,
                draft: "Subject: Re: your question\n\nHere is what we found.".into(),
                version: None,
            },
            via: Via::File(outbox.clone()),
        },
        Cmd::Enroll {
            account: 3,
            sequence: "onboarding".into(),
            version: None,
        },
        // after the enrolment it waits behind: made before it, it would find nothing to end
        Cmd::Unenroll {
            account: 3,
            sequence: "onboarding".into(),
            version: None,
        },
        Cmd::StartPlaybook {
            account: 4,
            playbook,
            version: None,
        },
        Cmd::SaveInvestigation {
            key: "investigation:ticket:3".into(),
            ticket: Some(3),
            account: None,
            answers: Box::new(full_answers()),
        },
        Cmd::ImportRun {
            path: csv,
            what: tend::import::What::Csv(tend::domain::import::Kind::Accounts),
        },
    ];
    let before = fingerprint(&db);
    let hold = LockHolder::lock(&db);
    let mut labels = Vec::new();
    for c in cmds.clone() {
        let replies = worker.handle(c);
        match replies.as_slice() {
            [Reply::Waiting(w)] => labels = w.clone(),
            other => panic!("a change made or refused while another process writes: {other:?}"),
        }
    }
    assert_eq!(labels.len(), cmds.len(), "{labels:?}");
    assert_eq!(labels[3], "your reply to #2");
    assert!(worker.handle(Cmd::Poll).iter().all(|r| !matches!(r, Reply::Failed(_))));
    assert_eq!(fingerprint(&db), before, "nothing written while another process writes");
    assert!(!outbox.exists(), "a reply that waits has not left");

    drop(hold);
    let replies = worker.handle(Cmd::Poll);
    let failed: Vec<_> = replies
        .iter()
        .filter(|r| matches!(r, Reply::Failed(_) | Reply::ReplyFailed { .. } | Reply::Stale { .. }))
        .collect();
    assert!(failed.is_empty(), "{failed:?}");
    assert!(
        matches!(replies.last(), Some(Reply::Waiting(w)) if w.is_empty()),
        "the last word: nothing waits"
    );
    let after: std::collections::HashMap<_, _> = fingerprint(&db).into_iter().collect();
    let before: std::collections::HashMap<_, _> = before.into_iter().collect();
    for table in [
        "ticket_checklist",
        "review_marks",
        "messages",
        "investigations",
        "accounts",
    ] {
        assert_eq!(after[table], before[table] + 1, "{table}");
    }
    assert!(after["tasks"] > before["tasks"], "the playbook's tasks");
    assert!(after["sequence_enrollments"] > before["sequence_enrollments"]);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM sequence_enrollments WHERE account_id = 3 AND status = 'active'"
        ),
        0,
        "enrolled, then unenrolled: in the order asked"
    );
    assert_eq!(
        count(
            &db,
            &format!("SELECT count(*) FROM tasks WHERE id = {task} AND status = 'done'")
        ),
        1
    );
    assert!(outbox.exists(), "the reply left once the lock was free");
    assert_eq!(count(&db, "SELECT count(*) FROM accounts WHERE name = 'Waited Ltd'"), 1);
    // and nothing is made twice by later polls
    worker.handle(Cmd::Poll);
    assert_eq!(
        fingerprint(&db)
            .into_iter()
            .collect::<std::collections::HashMap<_, _>>(),
        after
    );
}

#[test]
fn two_people_replying_to_the_same_ticket_at_once_send_one_reply_the_other_is_told() {
    use tend::responses::{OutgoingReply, Via};
    let t = Home::demo(NOW);
    let db = t.path("tend.db");
    let sent = t.path("sent.txt");
    // delivery takes a second: long enough for the second reply to arrive while the first leaves
    let responses = tend::config::Responses {
        send_command: Some(format!("sleep 1; cat >> '{}'", sent.display())),
        ..Default::default()
    };
    let version: i64 = count(&db, "SELECT version FROM tickets WHERE id = 1");
    let contact = count(
        &db,
        "SELECT count(*) FROM contacts c JOIN tickets t ON t.account_id = c.account_id WHERE t.id = 1 AND c.email IS NOT NULL",
    );
    assert!(contact > 0, "ticket 1's account has someone to send to");
    let reply = |who: &str| Cmd::SendReply {
        key: "reply:ticket:1".into(),
        reply: OutgoingReply {
            ticket: Some(1),
            account: None,
            task: None,
            template: None,
            template_step: None,
            draft: format!("Subject: Re: your question\n\nAnswer from {who}."),
            version: Some(version),
        },
        via: Via::Command,
    };
    let worker = |who: &str| {
        Worker::new(
            Store::open(&db, who).unwrap(),
            HealthRules::default(),
            SlaTargets::default(),
            Some(NOW_TS),
        )
        .with_responses(tend::responses::TemplateSet::load(None), responses.clone())
    };
    let mut first = worker("priya");
    let mut second = worker("sam");
    let a = reply("priya");
    let one = std::thread::spawn(move || first.handle(a));
    std::thread::sleep(Duration::from_millis(300));
    // the first holds the lock while its reply leaves: the second waits, it is not sent
    let replies = second.handle(reply("sam"));
    assert!(
        matches!(replies.as_slice(), [Reply::Waiting(w)] if w == &["your reply to #1"]),
        "{replies:?}"
    );
    let done = one.join().unwrap();
    assert!(matches!(&done[0], Reply::ReplySent { .. }), "{done:?}");
    // once it is free, the second finds the ticket answered since it was read: not sent
    let replies = second.handle(Cmd::Poll);
    assert!(
        replies
            .iter()
            .any(|r| matches!(r, Reply::ReplyStale { message, .. } if message.contains("reply by priya"))),
        "{replies:?}"
    );
    assert_eq!(count(&db, "SELECT count(*) FROM messages WHERE ticket_id = 1"), 1);
    let out = std::fs::read_to_string(&sent).unwrap();
    assert!(out.contains("Answer from priya."), "{out}");
    assert!(!out.contains("Answer from sam."), "{out}");
}

#[test]
fn a_template_kept_while_another_process_writes_is_saved_and_its_tick_follows() {
    let t = Home::demo(NOW);
    let db = t.path("tend.db");
    let templates = t.path("templates");
    let mut worker = worker_with_templates(&db, &templates);
    let events = count(&db, "SELECT count(*) FROM ticket_events WHERE ticket_id = 5");
    let hold = LockHolder::lock(&db);
    let replies = worker.handle(Cmd::SaveTemplate {
        name: "Waited fix".into(),
        used_for: "resolve".into(),
        draft: "Subject: Fixed\n\nWe fixed it.".into(),
        ticket: Some(5),
        account: 1,
        blanks: vec![],
    });
    assert!(
        matches!(&replies[0], Reply::Done(m) if m.contains("Update docs if common is ticked once another write is done")),
        "{replies:?}"
    );
    assert!(
        matches!(replies.last(), Some(Reply::Waiting(w)) if w == &["ticking \"Update docs\" on #5"]),
        "{replies:?}"
    );
    assert!(templates.join("waited-fix.tmpl").exists(), "the file needs no lock");
    drop(hold);
    let replies = worker.handle(Cmd::Poll);
    assert!(!replies.iter().any(|r| matches!(r, Reply::Failed(_))), "{replies:?}");
    assert!(count(&db, "SELECT count(*) FROM ticket_events WHERE ticket_id = 5") > events);
}

#[test]
fn a_second_connection_in_one_process_keeps_the_first_one_s_locks_so_another_process_cannot_delete_the_log() {
    // the cockpit opens the database twice (its worker and its slow lane); a header read beside
    // the first connection once dropped that connection's lock on the file (closing any
    // descriptor of a file drops all of a process's POSIX locks on it), and another process
    // closing its connection then took the database for unused and deleted the write-ahead
    // log: every later change of the cockpit went to a deleted file and was lost
    use std::os::unix::fs::MetadataExt;
    let t = Home::demo(NOW);
    let db = t.path("tend.db");
    let first = Store::open(&db, "tester").unwrap();
    let _second = Store::open(&db, "tester").unwrap();
    first.add_note(1, "before the other process", None, NOW_TS).unwrap();
    // SQLite's shared lock on the database file, which tells other processes it is in use
    let ino = std::fs::metadata(&db).unwrap().ino();
    let mine = format!(" {} ", std::process::id());
    let locks = std::fs::read_to_string("/proc/locks").unwrap();
    assert!(
        locks
            .lines()
            .any(|l| l.contains(&mine) && l.contains(&format!(":{ino} "))),
        "this process holds no lock on the database file:\n{locks}"
    );
    // another SQLite program opens and closes the database (Python's, when there is one)
    let other = std::process::Command::new("python3")
        .arg("-c")
        .arg("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('select count(*) from tickets').fetchone(); c.close()")
        .arg(&db)
        .output();
    if let Ok(out) = other {
        assert!(out.status.success(), "{out:?}");
        assert!(t.path("tend.db-wal").exists(), "the log is still there");
    }
    t.ok(&["tickets", "show", "1"]);
    first.add_note(1, "after the other process", None, NOW_TS).unwrap();
    // a third process sees both
    let shown = t.ok(&["tickets", "show", "1"]);
    assert!(shown.contains("before the other process"), "{shown}");
    assert!(shown.contains("after the other process"), "{shown}");
}
