//! What the end-to-end tests share: a private tmux server driven like a person.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Command, Output};

use std::time::{Duration, Instant};
use tempfile::TempDir;

/// How long a wait lasts before the test fails.
pub const WAIT: Duration = Duration::from_secs(10);

/// Quote for `sh`.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

pub fn tmux_available() {
    match Command::new("tmux").arg("-V").output() {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "`tmux -V` failed ({}): the end-to-end tests need a working tmux; install it (apt-get install tmux)",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!(
            "tmux is not installed ({e}): the end-to-end tests drive the cockpit in tmux; install it (apt-get install tmux) and run them again"
        ),
    }
}

/// Poll `f` until it gives a value; fail with `what` after `WAIT`.
pub fn eventually<T>(what: &str, f: impl Fn() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        if start.elapsed() > WAIT {
            panic!("timed out after {WAIT:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A private tmux server (its socket in a temporary folder) with one session `s`; killed when
/// dropped, even when the test fails.
pub struct Tmux {
    socket: PathBuf,
    _dir: TempDir,
}

impl Tmux {
    /// Start `command` (run by the shell) in a detached session of the given size. The pane
    /// stays after its process ends, so the final screen can be read.
    pub fn start(width: u16, height: u16, command: &str) -> Tmux {
        tmux_available();
        let dir = tempfile::Builder::new().prefix("tend-e2e-").tempdir().unwrap();
        let t = Tmux {
            socket: dir.path().join("tmux"),
            _dir: dir,
        };
        let (w, h) = (width.to_string(), height.to_string());
        let out = t.run(&[
            "new-session",
            "-d",
            "-x",
            &w,
            "-y",
            &h,
            "-s",
            "s",
            command,
            ";",
            "set-option",
            "-t",
            "s",
            "remain-on-exit",
            "on",
        ]);
        assert!(
            out.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        t
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(["-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("tmux runs")
    }

    /// Run a tmux command that must succeed; its output.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "tmux {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "s"];
        args.extend_from_slice(keys);
        self.ok(&args);
    }

    /// Esc, then a pause: a key right after Esc would read as Alt-key.
    pub fn escape(&self) {
        self.keys(&["Escape"]);
        std::thread::sleep(Duration::from_millis(300));
    }

    /// Type text literally.
    pub fn type_text(&self, text: &str) {
        self.ok(&["send-keys", "-t", "s", "-l", text]);
    }

    /// The visible screen.
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "s"]).stdout).into_owned()
    }

    pub fn format(&self, f: &str) -> String {
        let out = self.run(&["display-message", "-p", "-t", "s", f]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// The pid of the pane's process.
    pub fn pane_pid(&self) -> u32 {
        let out = self.ok(&["list-panes", "-t", "s", "-F", "#{pane_pid}"]);
        out.trim()
            .parse()
            .unwrap_or_else(|e| panic!("no pane pid in {out:?}: {e}"))
    }

    /// Poll the visible screen until `ok` holds; fail with the last screen after `WAIT`.
    pub fn wait_until(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            if start.elapsed() > WAIT {
                panic!("timed out after {WAIT:?} waiting for {what}; the screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn wait_for(&self, needle: &str) -> String {
        self.wait_until(&format!("{needle:?}"), |s| s.contains(needle))
    }

    /// The visible screen with tmux's own SGR codes for colours and attributes (`-e`).
    pub fn screen_escapes(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-e", "-t", "s"]).stdout).into_owned()
    }

    /// The screen and its scrollback, with tmux's SGR codes (`-e`).
    pub fn history_escapes(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-e", "-S", "-", "-t", "s"]).stdout).into_owned()
    }

    /// The screen and the scrollback above it.
    pub fn screen_and_history(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-S", "-", "-t", "s"]).stdout).into_owned()
    }

    /// Poll the screen and its scrollback until `ok` holds; the visible screen then. Fail with
    /// the last screen after `timeout`.
    pub fn wait_until_anywhere(&self, what: &str, timeout: Duration, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen_and_history();
            if ok(&s) {
                return self.screen();
            }
            if start.elapsed() > timeout {
                panic!("timed out after {timeout:?} waiting for {what}; the screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Wait until `needle` shows on the screen or in its scrollback.
    pub fn wait_for_anywhere(&self, needle: &str) -> String {
        self.wait_until_anywhere(&format!("{needle:?}"), WAIT, |s| s.contains(needle))
    }

    /// Wait until the status line (the last row) contains `needle`; the screen.
    pub fn wait_status(&self, needle: &str) -> String {
        self.wait_until(&format!("{needle:?} in the status line"), |s| {
            status_line(s).contains(needle)
        })
    }

    pub fn wait_dead(&self) {
        let start = Instant::now();
        while self.format("#{pane_dead}") != "1" {
            if start.elapsed() > WAIT {
                panic!("the pane's process did not exit; the screen:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

/// The status line: the screen's last row with text.
pub fn status_line(screen: &str) -> &str {
    screen.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("")
}

/// A command exited with `code`; otherwise fail showing what it printed.
pub fn expect_code(args: &[&str], out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{args:?}: expected exit {code}\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A runtime error: exactly one line, "tend: ...", saying `contains`.
pub fn assert_runtime_error(stderr: &str, contains: &str) {
    assert!(stderr.starts_with("tend: "), "not a tend error: {stderr:?}");
    assert_eq!(stderr.lines().count(), 1, "more than one line: {stderr:?}");
    assert!(stderr.ends_with('\n'));
    assert!(stderr.contains(contains), "{stderr:?} does not say {contains:?}");
}

/// A temporary home for the `tend` binary: database, config.toml, templates/ and playbooks/
/// side by side, every command run at a frozen clock (`now`, unless a call gives its own).
pub struct Home {
    pub dir: TempDir,
    pub now: &'static str,
}

impl Home {
    /// An empty database and no configuration file.
    pub fn new(now: &'static str) -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
            now,
        }
    }

    /// The deterministic demo data (60 accounts, 300 tickets).
    /// The sample data before any alert is raised (the tests of alerts raise them).
    pub fn demo(now: &'static str) -> Home {
        let t = Home::new(now);
        let out = t.ok(&["demo", "--no-alerts"]);
        assert!(out.starts_with("Loaded sample data: 60 accounts, "), "{out}");
        t
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Write a file under the temporary home, creating its folder.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    pub fn cmd(&self, now: &str) -> assert_cmd::Command {
        let mut c = assert_cmd::Command::cargo_bin("tend").unwrap();
        c.arg("--db")
            .arg(self.path("tend.db"))
            .args(["--now", now])
            .env("TEND_CONFIG", self.path("config.toml"))
            .env("HOME", self.dir.path())
            .env("USER", "tester")
            .env_remove("TEND_DB")
            .env_remove("TEND_NOW")
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("XDG_DATA_HOME")
            .env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LIB_BACKTRACE");
        c
    }

    /// Run at `now` and check it did not panic.
    pub fn run_at(&self, now: &str, args: &[&str]) -> Output {
        let mut c = self.cmd(now);
        c.args(args).write_stdin("");
        let out = c.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
            "{args:?} panicked:\n{stderr}"
        );
        assert_ne!(out.status.code(), Some(101), "{args:?} exited as a panic does");
        out
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.run_at(self.now, args)
    }

    /// Expect exit 0 and nothing on stderr at `now`; return stdout.
    pub fn ok_at(&self, now: &str, args: &[&str]) -> String {
        let out = self.run_at(now, args);
        expect_code(args, &out, 0);
        assert!(
            out.stderr.is_empty(),
            "{args:?} succeeded but warned:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn ok(&self, args: &[&str]) -> String {
        self.ok_at(self.now, args)
    }

    /// Expect this exit code and an empty stdout; return stderr.
    pub fn fails(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        expect_code(args, &out, code);
        assert!(
            out.stdout.is_empty(),
            "{args:?} failed but printed to stdout:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stderr).unwrap()
    }

    pub fn json_at(&self, now: &str, args: &[&str]) -> serde_json::Value {
        let out = self.ok_at(now, args);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?} did not print JSON ({e}):\n{out}"))
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        self.json_at(self.now, args)
    }
}

/// A file of `tests/fixtures/hostile/` (see its README).
pub fn hostile(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hostile")
        .join(name)
}

/// How many bytes the big field of [`write_big_mbox`] holds: 10 MiB.
pub const BIG: usize = 10 << 20;

/// A mailbox with one message whose Subject header is 10 MiB long, escape sequences (colour,
/// a title, an OSC 52 clipboard write) all along it, and whose body is as long. Written by the
/// tests rather than kept in git.
pub fn write_big_mbox(path: &std::path::Path) {
    let unit = "\u{1b}[31mX\u{1b}]52;c;QUJD\u{7}Y \u{202E}";
    let subject = format!("Huge {}", unit.repeat(BIG / unit.len() + 1));
    let body = "body line \u{1b}]0;title\u{7} and more\n".repeat(BIG / 30 + 1);
    let mail = format!(
        "From big@huge.example Mon Nov 16 12:00:00 2026\nFrom: Big Sender <big@huge.example>\n\
         To: support@ourco.example\nSubject: {subject}\nDate: Mon, 16 Nov 2026 12:00:00 +0000\n\
         Message-ID: <big1@huge.example>\nContent-Type: text/plain; charset=utf-8\n\n{body}\n"
    );
    std::fs::write(path, mail).unwrap();
}

/// Whether `s` holds anything a terminal could act on or hide: a C0 or C1 control other than a
/// newline, DEL, or a bidi or zero-width character.
pub fn unsafe_chars(s: &str) -> Vec<char> {
    s.chars()
        .filter(|c| (c.is_control() && *c != '\n') || tend::text::is_hidden(*c))
        .collect()
}

/// A capture of a tmux pane (with `-e`) holds tmux's SGR colour codes (`ESC [ ... m`) and
/// nothing else a terminal acts on: no OSC, DCS, APC or other escape, no C1 control, no bidi or
/// zero-width character. Returns the text with the SGR codes taken out.
pub fn assert_only_sgr(capture: &str, what: &str) -> String {
    let mut plain = String::new();
    let mut rest = capture;
    while let Some(i) = rest.find('\u{1b}') {
        plain.push_str(&rest[..i]);
        let seq = &rest[i..];
        let params = seq.get(2..).filter(|_| seq.starts_with("\u{1b}[")).map(|p| {
            p.len()
                - p.trim_start_matches(|c: char| c.is_ascii_digit() || c == ';' || c == ':')
                    .len()
        });
        match params {
            Some(n) if seq[2 + n..].starts_with('m') => rest = &seq[3 + n..],
            _ => panic!(
                "{what}: an escape sequence that is not tmux's SGR: {:?}",
                seq.chars().take(40).collect::<String>()
            ),
        }
    }
    plain.push_str(rest);
    let bad = unsafe_chars(&plain);
    assert!(bad.is_empty(), "{what}: {bad:?} on the screen:\n{plain}");
    plain
}

/// Another process's long write, as far as this database can tell: the write lock held (in a
/// connection of its own) until dropped.
pub struct LockHolder(rusqlite::Connection);

impl LockHolder {
    pub fn lock(db: &std::path::Path) -> LockHolder {
        let c = rusqlite::Connection::open(db).unwrap();
        c.execute_batch("BEGIN EXCLUSIVE").unwrap();
        LockHolder(c)
    }
}

impl Drop for LockHolder {
    fn drop(&mut self) {
        let _ = self.0.execute_batch("ROLLBACK");
    }
}

/// An investigation's answers with every required field given.
pub fn full_answers() -> tend::domain::investigation::Answers {
    use tend::domain::investigation::{Answers, ProcessFit, Rating, Situation};
    Answers {
        situation: Some(Situation::AdoptionIssue),
        goal: "export the month's numbers".into(),
        business_result: "the board pack on time".into(),
        customer_impact: Some(Rating::Low),
        relationship_impact: Some(Rating::Low),
        scalability: Some(Rating::Low),
        resource_efficiency: Some(Rating::Low),
        process_fit: Some(ProcessFit::Adequate),
        ..Default::default()
    }
}
