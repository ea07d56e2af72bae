//! A health recompute killed half-way (SIGKILL: no unwinding, no cleanup) leaves the database
//! whole and exactly as it was: the recompute writes in one transaction, and SQLite drops an
//! unfinished one when the database is next opened.
//!
//! The kill is aimed at the middle of the transaction: a second connection asks for the write
//! lock (without waiting) every millisecond, and the recompute is killed the moment the lock is
//! someone else's. The database is large enough (5,000 accounts) that the recompute holds the
//! lock for a good while.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rusqlite::Connection;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::Home;

const NOW: &str = "2026-11-22T09:00:00Z";
/// The next day: the recompute takes that day's snapshot.
const NEXT_DAY: &str = "2026-11-23T09:00:00Z";
const DAY: &str = "2026-11-23";

/// What a recompute changes, read as one snapshot: every account's score, the snapshot rows of
/// the day, the tasks, the health mark.
#[derive(Debug, PartialEq, Eq)]
struct State {
    scores: Vec<(i64, Option<i64>)>,
    day_snapshots: i64,
    tasks: i64,
    mark: i64,
}

fn state(db: &Path) -> State {
    let mut c = Connection::open(db).unwrap();
    c.busy_timeout(Duration::from_secs(10)).unwrap();
    let tx = c.transaction().unwrap();
    let scores = {
        let mut q = tx.prepare("SELECT id, health_score FROM accounts ORDER BY id").unwrap();
        q.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let one = |sql: &str| -> i64 { tx.query_row(sql, [], |r| r.get(0)).unwrap() };
    let s = State {
        scores,
        day_snapshots: one(&format!("SELECT count(*) FROM health_snapshots WHERE day = '{DAY}'")),
        tasks: one("SELECT count(*) FROM tasks"),
        mark: one("SELECT coalesce((SELECT signal_id FROM health_mark WHERE id = 1), -1)"),
    };
    drop(tx);
    s
}

fn integrity(db: &Path) -> String {
    let c = Connection::open(db).unwrap();
    c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap()
}

/// Start `tend health recompute` on `db` at the next day; kill it as soon as it holds the write
/// lock. Whether the kill came while it held it (it always should).
fn kill_mid_write(t: &Home, db: &Path) -> bool {
    let probe = Connection::open(db).unwrap();
    probe.busy_timeout(Duration::ZERO).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tend"))
        .arg("--db")
        .arg(db)
        .args(["--now", NEXT_DAY, "health", "recompute"])
        .env("TEND_CONFIG", t.path("config.toml"))
        .env("HOME", t.dir.path())
        .env("USER", "tester")
        .env_remove("TEND_DB")
        .env_remove("TEND_NOW")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let mut held = false;
    while start.elapsed() < Duration::from_secs(60) {
        match probe.execute_batch("BEGIN IMMEDIATE") {
            Ok(()) => probe.execute_batch("ROLLBACK").unwrap(),
            Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) => {
                held = true;
                break;
            }
            Err(e) => panic!("the probe failed: {e}"),
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let _ = child.kill(); // SIGKILL
    let status = child.wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    held && status.signal() == Some(9)
}

#[test]
fn a_killed_recompute_leaves_the_database_whole_and_as_it_was() {
    let t = Home::new(NOW);
    let out = t.ok(&["demo", "--accounts", "5000", "--tickets", "500", "--history", "0"]);
    assert!(out.starts_with("Loaded sample data: 5000 accounts"), "{out}");
    let pristine = t.path("tend.db");
    let before = state(&pristine);
    assert_eq!(before.day_snapshots, 0);
    assert!(before.scores.iter().any(|(_, s)| s.is_some()));

    // each try on a fresh copy; every kill must leave the database whole and the interrupted
    // transaction wholly absent, and at least one must land in the recompute's own
    let mut in_recompute = 0;
    for attempt in 0..5 {
        let db = t.path(&format!("try-{attempt}.db"));
        std::fs::copy(&pristine, &db).unwrap();
        let killed_while_writing = kill_mid_write(&t, &db);
        assert_eq!(integrity(&db), "ok", "try {attempt}: integrity after the kill");
        let check = Command::new(env!("CARGO_BIN_EXE_tend"))
            .arg("--db")
            .arg(&db)
            .args(["db", "check"])
            .env("TEND_CONFIG", t.path("config.toml"))
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&check.stdout);
        assert!(check.status.success() && said.contains("integrity ok"), "{said}");
        let after = state(&db);
        eprintln!(
            "try {attempt}: killed while holding the write lock: {killed_while_writing}; the day's snapshot rows after: {}",
            after.day_snapshots
        );
        if after.day_snapshots == 0 {
            // killed inside the recompute: nothing of it is there
            assert_eq!(
                after, before,
                "try {attempt}: part of the killed recompute is in the database"
            );
            if killed_while_writing {
                in_recompute += 1;
            }
        } else {
            // the recompute had committed and the alerts' transaction was killed: the snapshot
            // is whole and no alert task is in
            assert_eq!(
                after.tasks, before.tasks,
                "try {attempt}: part of the killed alerts are in"
            );
            let active: i64 = Connection::open(&db)
                .unwrap()
                .query_row("SELECT count(*) FROM accounts WHERE status = 'active'", [], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(
                after.day_snapshots, active,
                "try {attempt}: the day's snapshot is in by half"
            );
        }
        if in_recompute >= 2 {
            break;
        }
    }
    assert!(
        in_recompute >= 1,
        "no kill landed while the recompute held the write lock; the test killed nothing mid-transaction"
    );

    // the same recompute, left to finish, takes the day's snapshot: what the kill threw away was valid
    let out = t.ok_at(NEXT_DAY, &["health", "recompute"]);
    assert!(out.starts_with("Recomputed health for "), "{out}");
    let done = state(&pristine);
    assert!(done.day_snapshots > 0);
}
