//! Snapshots of every cockpit view and popup, rendered headlessly on a fixed world: the demo
//! data at a frozen clock, in monochrome.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::cell::RefCell;
use std::rc::Rc;
use tend::app::data::{Reply, load_account, load_snapshot, load_ticket};
use tend::app::keys::KeyMap;
use tend::app::{App, Mode, Msg, View};
use tend::demo::DemoOptions;
use tend::domain::health::HealthRules;
use tend::domain::sla::SlaTargets;
use tend::store::Store;
use tend::tui::{render_to_text, render_view};
use tend::ui::theme::Theme;
use unicode_width::UnicodeWidthStr;

/// 2026-11-22T09:00:00Z
const NOW: i64 = 1_795_338_000;

fn demo_store() -> Rc<Store> {
    let store = Store::open_in_memory("tester").unwrap();
    store
        .load_demo(&DemoOptions::default(), &SlaTargets::default(), NOW)
        .unwrap();
    store.backfill_snapshots(&HealthRules::default(), NOW, 30).unwrap();
    store.recompute_health(&HealthRules::default(), NOW).unwrap();
    let store = Rc::new(store);
    STORE.with(|s| *s.borrow_mut() = Some(store.clone()));
    store
}

thread_local! {
    /// This test's store, for answering the list windows the app asks for as keys are pressed.
    static STORE: RefCell<Option<Rc<Store>>> = const { RefCell::new(None) };
}

/// Answer the app's list and review requests at once, as the worker would.
fn settle(app: &mut App, cmds: Vec<tend::app::data::Cmd>) {
    STORE.with(|s| {
        if let Some(store) = s.borrow().as_ref() {
            tend::app::data::settle(store, app, cmds).unwrap();
        }
    });
}

fn new_app() -> App {
    App::new(
        KeyMap::default(),
        HealthRules::default(),
        SlaTargets::default(),
        "test.db".into(),
        "tester".into(),
        NOW,
    )
}

/// An app with the snapshot fed in, as the worker would after start-up.
fn loaded_app(store: &Store) -> App {
    let mut app = new_app();
    let cmds = app.update(Msg::Reply(Reply::Snapshot(Box::new(
        load_snapshot(store, NOW).unwrap(),
    ))));
    settle(&mut app, cmds);
    app
}

fn key(app: &mut App, code: KeyCode) {
    let cmds = app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    settle(app, cmds);
}

fn char_key(app: &mut App, c: char) {
    key(app, KeyCode::Char(c));
}

/// Render a view the way `tend screen` does.
fn screen(view: View, w: u16, h: u16) -> String {
    let store = demo_store();
    let mut app = new_app();
    render_view(&store, &mut app, view, w, h, None).unwrap()
}

fn check_sane(text: &str, w: u16, h: u16) {
    assert_eq!(text.lines().count(), h as usize, "{text}");
    for line in text.lines() {
        assert!(line.width() <= w as usize, "a line wider than the terminal: {line:?}");
        assert!(!line.contains('\u{fffd}'), "a replacement character: {line:?}");
    }
}

#[test]
fn today_80x24() {
    let s = screen(View::Today, 80, 24);
    check_sane(&s, 80, 24);
    assert!(s.contains("Today 2026-11-22"), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn today_120x40() {
    let s = screen(View::Today, 120, 40);
    check_sane(&s, 120, 40);
    assert!(s.contains("BREACHED"), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn accounts_80x24() {
    let s = screen(View::Accounts, 80, 24);
    check_sane(&s, 80, 24);
    assert!(s.contains("Critical"), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn accounts_120x40() {
    let s = screen(View::Accounts, 120, 40);
    check_sane(&s, 120, 40);
    assert!(s.contains("Critical"), "{s}");
    assert!(s.contains("Health components"), "the stacked detail shows: {s}");
    insta::assert_snapshot!(s);
}

#[test]
fn tickets_80x24() {
    let s = screen(View::Tickets, 80, 24);
    check_sane(&s, 80, 24);
    assert!(s.contains("Tickets"), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn tickets_120x40() {
    let s = screen(View::Tickets, 120, 40);
    check_sane(&s, 120, 40);
    assert!(s.contains("Timeline"), "the stacked detail shows: {s}");
    insta::assert_snapshot!(s);
}

#[test]
fn account_detail_open_80x24() {
    let store = demo_store();
    let mut app = loaded_app(&store);
    char_key(&mut app, '2');
    key(&mut app, KeyCode::Enter);
    assert!(app.detail_open);
    let id = app.selected_account().unwrap().id;
    let d = load_account(&store, id, NOW, &app.rules).unwrap();
    app.update(Msg::Reply(Reply::Account(Box::new(d))));
    let s = render_to_text(&mut app, &Theme::mono(), 80, 24);
    check_sane(&s, 80, 24);
    assert!(s.contains("Health components"), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn ticket_detail_selected_120x40() {
    let store = demo_store();
    let mut app = new_app();
    // the queue's third ticket, chosen by position so the test follows the data
    let mut probe = loaded_app(&store);
    char_key(&mut probe, '3');
    let id = probe.tickets.get(2).unwrap().id;
    let s = render_view(&store, &mut app, View::Tickets, 120, 40, Some(id)).unwrap();
    check_sane(&s, 120, 40);
    assert!(app.detail_open);
    assert!(s.contains(&format!("#{id} ")), "{s}");
    assert!(s.contains("checklist") || s.contains("CLOSED"), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn help_on_tickets_80x24() {
    let store = demo_store();
    let mut app = loaded_app(&store);
    char_key(&mut app, '3');
    let t = app.selected_ticket().unwrap().id;
    app.update(Msg::Reply(Reply::Ticket(Box::new(load_ticket(&store, t).unwrap()))));
    char_key(&mut app, '?');
    assert!(matches!(app.mode, Mode::Help));
    let s = render_to_text(&mut app, &Theme::mono(), 80, 24);
    check_sane(&s, 80, 24);
    assert!(s.contains("Keys: Tickets"), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn palette_80x24() {
    let store = demo_store();
    let mut app = loaded_app(&store);
    char_key(&mut app, ':');
    assert!(matches!(app.mode, Mode::Palette { .. }));
    let s = render_to_text(&mut app, &Theme::mono(), 80, 24);
    check_sane(&s, 80, 24);
    assert!(s.contains("Command palette"), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn welcome_on_empty_store_80x24() {
    let store = Store::open_in_memory("tester").unwrap();
    let mut app = loaded_app(&store);
    assert!(matches!(app.mode, Mode::Welcome));
    let s = render_to_text(&mut app, &Theme::mono(), 80, 24);
    check_sane(&s, 80, 24);
    assert!(s.contains("Welcome to tend"), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn too_small_30x8() {
    let store = demo_store();
    let mut app = loaded_app(&store);
    let s = render_to_text(&mut app, &Theme::mono(), 30, 8);
    check_sane(&s, 30, 8);
    assert!(s.contains("Terminal too small"), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn rendering_is_deterministic() {
    for view in View::ALL {
        assert_eq!(screen(view, 120, 40), screen(view, 120, 40), "{view:?}");
    }
}

/// The Intent-First form on the demo ticket 1, prefilled by the worker, with a few answers.
fn form_app(w: u16, h: u16) -> String {
    use tend::app::data::{Cmd, Worker};
    let store = demo_store();
    let mut app = loaded_app(&store);
    STORE.with(|s| *s.borrow_mut() = None);
    let store = Rc::try_unwrap(store).ok().unwrap();
    let mut worker = Worker::new(store, HealthRules::default(), SlaTargets::default(), Some(NOW));
    for r in worker.execute(Cmd::OpenInvestigation {
        ticket: Some(1),
        account: None,
    }) {
        app.update(Msg::Reply(r));
    }
    assert!(matches!(app.mode, Mode::Investigation(_)), "the form opens");
    // Support request, a goal, then the business result and the ratings
    char_key(&mut app, ' ');
    key(&mut app, KeyCode::Tab);
    for c in "Close the books by day 3".chars() {
        char_key(&mut app, c);
    }
    for _ in 0..4 {
        key(&mut app, KeyCode::Tab);
    }
    for c in "Monthly close without overtime".chars() {
        char_key(&mut app, c);
    }
    for _ in 0..6 {
        key(&mut app, KeyCode::Tab);
    }
    for c in ['h', '\t', 'h', '\t', 'm', '\t', 'h', '\t', 'n'] {
        if c == '\t' {
            key(&mut app, KeyCode::Tab);
        } else {
            char_key(&mut app, c);
        }
    }
    let s = render_to_text(&mut app, &Theme::mono(), w, h);
    check_sane(&s, w, h);
    s
}

#[test]
fn investigation_form_80x24() {
    let s = form_app(80, 24);
    assert!(s.contains("Intent-First"), "{s}");
    assert!(s.contains("Process fit"), "{s}");
    assert!(s.contains("Close the books by day 3"), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn investigation_form_120x40() {
    let s = form_app(120, 40);
    assert!(s.contains("Output table (live)"), "{s}");
    assert!(
        s.contains("Priority: Critical"),
        "High/High/High/needs improvement is Critical: {s}"
    );
    assert!(s.contains("Codebase first"), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn reply_editor_80x24() {
    use tend::app::data::{Cmd, Worker};
    let store = demo_store();
    let mut app = loaded_app(&store);
    STORE.with(|s| *s.borrow_mut() = None);
    let store = Rc::try_unwrap(store).ok().unwrap();
    let mut worker = Worker::new(store, HealthRules::default(), SlaTargets::default(), Some(NOW));
    for r in worker.execute(Cmd::OpenReply {
        ticket: Some(1),
        account: None,
        task: None,
        template: Some("resolution".into()),
        use_draft: true,
    }) {
        app.update(Msg::Reply(r));
    }
    assert!(matches!(app.mode, Mode::Reply(_)), "the editor opens");
    let s = render_to_text(&mut app, &Theme::mono(), 80, 24);
    check_sane(&s, 80, 24);
    assert!(s.contains("Template: Resolution"), "{s}");
    assert!(s.contains("{explanation}"), "{s}");
    insta::assert_snapshot!(s);
}

/// The Metrics view with its numbers counted, on `page` of the small layout.
fn metrics_screen(w: u16, h: u16, page: usize) -> String {
    let store = demo_store();
    let mut app = loaded_app(&store);
    app.view = View::Metrics;
    let d = store
        .dashboard(&app.rules, app.metrics_segment, app.metrics_days, NOW)
        .unwrap();
    app.update(Msg::Reply(Reply::Metrics(Box::new(d))));
    for _ in 0..page {
        char_key(&mut app, 'l');
    }
    render_to_text(&mut app, &Theme::mono(), w, h)
}

#[test]
fn metrics_80x24_pages() {
    let pages: Vec<String> = (0..3).map(|p| metrics_screen(80, 24, p)).collect();
    for p in &pages {
        check_sane(p, 80, 24);
        assert!(p.contains("5 Metrics"), "{p}");
    }
    // the KPIs with their text marks, then the charts, then the support panels
    assert!(
        pages[0].contains("First response time") && pages[0].contains("Support load"),
        "{}",
        pages[0]
    );
    assert!(
        ["OK", "WARN", "MISS"].iter().any(|m| pages[0].contains(m)),
        "{}",
        pages[0]
    );
    assert!(
        pages[0].contains("Time to value") && pages[0].contains("Why they leave"),
        "{}",
        pages[0]
    );
    assert!(
        pages[1].contains("Tiers (") && pages[1].contains("Portfolio health"),
        "{}",
        pages[1]
    );
    assert!(
        pages[1].contains("NPS") && pages[1].contains("Churned per month"),
        "{}",
        pages[1]
    );
    assert!(
        pages[2].contains("Tickets per week") && pages[2].contains("Top issue tags"),
        "{}",
        pages[2]
    );
    assert!(pages[2].contains("a week:"), "the staffing advice shows: {}", pages[2]);
    assert!(pages[0].contains("page 1/3") && pages[2].contains("page 3/3"));
    insta::assert_snapshot!("metrics_80x24_page1", pages[0]);
    insta::assert_snapshot!("metrics_80x24_page2", pages[1]);
    insta::assert_snapshot!("metrics_80x24_page3", pages[2]);
}

#[test]
fn metrics_120x40() {
    let s = metrics_screen(120, 40, 0);
    check_sane(&s, 120, 40);
    for panel in [
        "KPIs vs the 30 days before",
        "Value",
        "Tiers (",
        "Portfolio health",
        "Tickets per week",
        "NPS",
        "Churned per month",
        "Top issue tags",
    ] {
        assert!(s.contains(panel), "{panel} shows at once on a large terminal: {s}");
    }
    assert!(!s.contains("page 1/3"), "{s}");
    insta::assert_snapshot!(s);
}
