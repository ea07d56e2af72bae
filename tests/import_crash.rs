//! An import killed half-way (SIGKILL: no unwinding, no cleanup) leaves the database exactly as
//! it was: the CSV import writes in one transaction, and SQLite rolls an unfinished one back.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

mod common;

type Tend = common::Home;

const NOW: &str = "2026-11-22T09:00:00Z";
/// New accounts written to the importer's standard input.
const NEW_ROWS: usize = 50_000;

/// `tend` at `NOW` with the environment `Home::cmd` sets, as a plain std Command (to spawn it,
/// write to it and kill it).
fn tend(t: &Tend, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tend"));
    c.arg("--db")
        .arg(t.path("tend.db"))
        .args(["--now", NOW])
        .args(args)
        .env("TEND_CONFIG", t.path("config.toml"))
        .env("HOME", t.dir.path())
        .env("USER", "tester")
        .env_remove("TEND_DB")
        .env_remove("TEND_NOW")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME")
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE");
    c
}

/// sqlite_master, row by row in its own order.
fn schema(t: &Tend) -> Vec<(String, String, String, i64, Option<String>)> {
    let c = rusqlite::Connection::open(t.path("tend.db")).unwrap();
    let mut q = c
        .prepare("SELECT type, name, tbl_name, rootpage, sql FROM sqlite_master ORDER BY rowid")
        .unwrap();
    q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// A header, renames of two demo accounts, then `rows` new accounts.
fn csv(rows: usize) -> String {
    let mut s = String::from("external_id,name,segment\n");
    s.push_str("demo-000001,Renamed Mid-Import One,enterprise\n");
    s.push_str("demo-000002,Renamed Mid-Import Two,smb\n");
    for i in 0..rows {
        s.push_str(&format!("crash-{i:06},Crash Test Company {i},smb\n"));
    }
    s
}

#[test]
fn killed_account_import_changes_nothing() {
    let t = Tend::demo(NOW);
    let export_before = t.ok(&["export", "accounts"]);
    let schema_before = schema(&t);
    assert!(export_before.contains("\ndemo-000001,") && export_before.contains("\ndemo-000002,"));
    let count_before = t
        .json(&["accounts", "list", "--format", "json"])
        .as_array()
        .unwrap()
        .len();
    assert_eq!(count_before, 60);

    let data = csv(NEW_ROWS);
    let mut child = tend(&t, &["import", "accounts", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Write from a thread that keeps the pipe open until told to close it, so a stalled reader
    // cannot hang the test and the importer never sees the end of its input.
    let (written_tx, written_rx) = mpsc::channel::<std::io::Result<()>>();
    let (close_tx, close_rx) = mpsc::channel::<()>();
    let writer = std::thread::spawn(move || {
        let res = stdin.write_all(data.as_bytes()).and_then(|()| stdin.flush());
        let _ = written_tx.send(res);
        let _ = close_rx.recv();
        drop(stdin);
    });
    match written_rx.recv_timeout(Duration::from_secs(10)) {
        Ok(res) => res.unwrap_or_else(|e| panic!("writing to the importer failed (did it exit early?): {e}")),
        Err(_) => panic!("the importer did not read its input within 10 s"),
    }
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the importer exited before it was killed, so this test kills nothing: it must still be waiting for the \
         rest of its input"
    );
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    let _ = close_tx.send(());
    writer.join().unwrap();
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9), "not killed by SIGKILL: {status:?}");
    }

    let export_after = t.ok(&["export", "accounts"]);
    assert!(
        export_after == export_before,
        "the killed import changed the accounts export"
    );
    // past 10,000 rows the import dropped indexes and triggers inside its transaction (bulk
    // mode): the kill must leave the schema exactly as it was, root pages and order included
    assert!(schema(&t) == schema_before, "the killed import changed sqlite_master");
    let check = t.ok(&["db", "check"]);
    assert!(check.contains("integrity ok"), "{check}");
    let count_after = t
        .json(&["accounts", "list", "--format", "json"])
        .as_array()
        .unwrap()
        .len();
    assert_eq!(count_after, count_before);

    // Rows of the same shape, allowed to finish, are accepted: what the kill threw away was valid
    // (a thousand of them, to keep the test quick).
    let file = t.write("accounts.csv", &csv(1_000));
    let out = t.ok(&["import", "accounts", file.to_str().unwrap()]);
    let expected = "read 1002 · imported 1000 · updated 2 · unchanged 0 · rejected 0";
    assert!(out.contains(expected), "expected {expected:?} in:\n{out}");
    let count_done = t
        .json(&["accounts", "list", "--format", "json"])
        .as_array()
        .unwrap()
        .len();
    assert_eq!(count_done, count_before + 1_000);
    assert!(
        t.ok(&["export", "accounts"])
            .contains("\ndemo-000001,Renamed Mid-Import One,")
    );
}
