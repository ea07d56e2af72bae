//! The cockpit's render and update paths on a large database, with a fixed clock: what a
//! person waits for between a key and the next frame. Each step runs as the terminal loop
//! runs it: `App::update` for the key, the worker's answer to what it asked (a list window, a
//! detail), `App::update` for the reply, and the frame drawn at 80x24.
//!
//! The database: `TEND_BENCH_DB`, else `bench/compare.sh`'s large database
//! (`${TEND_BENCH_DIR:-/tmp/tend-bench}/large.db`) when it exists, else a smaller one built
//! here once (10,000 accounts, 100,000 tickets). `cargo bench --bench cockpit`.
//!
//! Criterion gives the medians; a second pass prints p99 per step, as the targets are set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::Criterion;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tend::app::data::{Cmd, Reply, load_account, load_snapshot, load_ticket};
use tend::app::keys::KeyMap;
use tend::app::lists::Lister;
use tend::app::{App, Msg, View};
use tend::demo::DemoOptions;
use tend::domain::health::HealthRules;
use tend::domain::sla::SlaTargets;
use tend::store::Store;
use tend::tui::render_to_text;
use tend::ui::theme::Theme;

/// 2026-11-22T09:00:00Z
const NOW: i64 = 1_795_338_000;

fn bench_db() -> PathBuf {
    if let Ok(p) = std::env::var("TEND_BENCH_DB") {
        return PathBuf::from(p);
    }
    let dir = PathBuf::from(std::env::var("TEND_BENCH_DIR").unwrap_or_else(|_| "/tmp/tend-bench".into()));
    let large = dir.join("large.db");
    if large.exists() {
        return large;
    }
    let small = dir.join("small.db");
    if !small.exists() {
        std::fs::create_dir_all(&dir).unwrap();
        eprintln!("building {} (10,000 accounts, 100,000 tickets) once…", small.display());
        let store = Store::open(&small, "bench").unwrap();
        let opts = DemoOptions {
            accounts: 10_000,
            tickets: 100_000,
            ..Default::default()
        };
        store.load_demo(&opts, &SlaTargets::default(), NOW).unwrap();
        store.recompute_health(&HealthRules::default(), NOW).unwrap();
    }
    small
}

/// The app and what answers its requests, as the terminal loop and the worker hold them.
struct Cockpit {
    store: Store,
    lister: Lister,
    app: App,
}

impl Cockpit {
    fn open(path: &Path, view: View) -> Cockpit {
        let store = Store::open(path, "bench").unwrap();
        let mut app = App::new(
            KeyMap::default(),
            HealthRules::default(),
            SlaTargets::default(),
            path.display().to_string(),
            "bench".into(),
            NOW,
        );
        app.welcome_done = true;
        app.view = view;
        let mut c = Cockpit {
            store,
            lister: Lister::default(),
            app,
        };
        let snap = load_snapshot(&c.store, NOW).unwrap();
        c.send(Msg::Reply(Reply::Snapshot(Box::new(snap))));
        c
    }

    /// One message in, the worker's answers to what it asked, until the screen has what it needs.
    fn send(&mut self, msg: Msg) {
        let mut pending = vec![msg];
        while let Some(m) = pending.pop() {
            for cmd in self.app.update(m) {
                let reply = match cmd {
                    Cmd::AccountList(r) => Reply::AccountList(Box::new(self.lister.accounts(&self.store, &r).unwrap())),
                    Cmd::TicketList(r) => Reply::TicketList(Box::new(self.lister.tickets(&self.store, &r).unwrap())),
                    Cmd::LoadAccount(id) => Reply::Account(Box::new(
                        load_account(&self.store, id, NOW, &HealthRules::default()).unwrap(),
                    )),
                    Cmd::LoadTicket(id) => Reply::Ticket(Box::new(load_ticket(&self.store, id).unwrap())),
                    Cmd::PrepareAccountSearch(q) => {
                        self.lister.prepare_accounts(&self.store, &q).unwrap();
                        continue;
                    }
                    Cmd::PrepareTicketSearch(q) => {
                        self.lister.prepare_tickets(&self.store, &q).unwrap();
                        continue;
                    }
                    // the slow lane (review, recompute) runs beside the screen, not before it
                    _ => continue,
                };
                pending.push(Msg::Reply(reply));
            }
        }
    }

    fn key(&mut self, code: KeyCode) {
        self.send(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    fn frame(&mut self) -> usize {
        render_to_text(&mut self.app, &Theme::mono(), 80, 24).len()
    }
}

/// A step measured, made ready on a database: each call is "input to new frame".
type Step = Box<dyn Fn(&Path) -> Box<dyn FnMut()>>;

/// The steps measured.
fn steps() -> Vec<(&'static str, Step)> {
    vec![
        (
            "cold start to the first Accounts frame (open, snapshot, window, frame)",
            Box::new(|p: &Path| {
                let p = p.to_path_buf();
                Box::new(move || {
                    let mut c = Cockpit::open(&p, View::Accounts);
                    c.frame();
                })
            }),
        ),
        (
            "cold start to the first Tickets frame",
            Box::new(|p: &Path| {
                let p = p.to_path_buf();
                Box::new(move || {
                    let mut c = Cockpit::open(&p, View::Tickets);
                    c.frame();
                })
            }),
        ),
        (
            "one filter keystroke over all accounts (type 'cobalt', then erase it)",
            Box::new(|p: &Path| {
                let mut c = Cockpit::open(p, View::Accounts);
                c.key(KeyCode::Char('/'));
                let word: Vec<char> = "cobalt".chars().collect();
                let mut i = 0usize;
                Box::new(move || {
                    let n = word.len();
                    let k = i % (2 * n);
                    if k < n {
                        c.key(KeyCode::Char(word[k]));
                    } else {
                        c.key(KeyCode::Backspace);
                    }
                    i += 1;
                    c.frame();
                })
            }),
        ),
        (
            "moving the selection down one account",
            Box::new(|p: &Path| {
                let mut c = Cockpit::open(p, View::Accounts);
                Box::new(move || {
                    c.key(KeyCode::Char('j'));
                    c.frame();
                })
            }),
        ),
        (
            "paging down the ticket queue",
            Box::new(|p: &Path| {
                let mut c = Cockpit::open(p, View::Tickets);
                c.frame();
                Box::new(move || {
                    c.key(KeyCode::PageDown);
                    c.frame();
                })
            }),
        ),
        (
            "switching view (Accounts and Tickets in turn)",
            Box::new(|p: &Path| {
                let mut c = Cockpit::open(p, View::Accounts);
                let mut flip = false;
                Box::new(move || {
                    flip = !flip;
                    c.key(KeyCode::Char(if flip { '3' } else { '2' }));
                    c.frame();
                })
            }),
        ),
        (
            "a poll while another process holds the write lock and a note waits",
            Box::new(|p: &Path| {
                use tend::app::data::{TicketOp, Worker};
                let mut worker = Worker::new(
                    Store::open(p, "bench").unwrap(),
                    HealthRules::default(),
                    SlaTargets::default(),
                    Some(NOW),
                );
                worker.handle(Cmd::LoadAll);
                let other = rusqlite::Connection::open(p).unwrap();
                other.execute_batch("BEGIN EXCLUSIVE").unwrap();
                let queued = worker.handle(Cmd::Ticket(1, None, TicketOp::Note { text: "waits".into() }));
                assert!(
                    matches!(queued.as_slice(), [Reply::Waiting(w)] if w.len() == 1),
                    "{queued:?}"
                );
                Box::new(move || {
                    // the other's lock is held for as long as this step runs
                    let _ = &other;
                    std::hint::black_box(worker.handle(Cmd::Poll));
                })
            }),
        ),
        (
            "opening an account's detail (components, signals, tickets, timeline)",
            Box::new(|p: &Path| {
                let store = Store::open(p, "bench").unwrap();
                let n: i64 = store.account_count().unwrap() as i64;
                let mut id = 0i64;
                Box::new(move || {
                    id = id % n + 1;
                    std::hint::black_box(load_account(&store, id, NOW, &HealthRules::default()).unwrap());
                })
            }),
        ),
    ]
}

fn main() {
    let db = bench_db();
    eprintln!("database: {}", db.display());
    let mut criterion = Criterion::default()
        .configure_from_args()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for (name, make) in steps() {
        let mut step = make(&db);
        criterion.bench_function(name, |b| b.iter(&mut step));
    }
    criterion.final_summary();

    // the targets are set at p99: time each step one by one
    println!(
        "\n{:<72} {:>9} {:>9} {:>9}",
        "step (input to new frame)", "median", "p99", "max"
    );
    for (name, make) in steps() {
        let mut step = make(&db);
        let runs = if name.starts_with("cold start") { 30 } else { 300 };
        let mut times: Vec<Duration> = (0..runs)
            .map(|_| {
                let t = Instant::now();
                step();
                t.elapsed()
            })
            .collect();
        times.sort();
        let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
        let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0);
        println!("{:<72} {:>9} {:>9} {:>9}", name, ms(at(0.5)), ms(at(0.99)), ms(at(1.0)));
    }
}
