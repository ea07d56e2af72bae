//! Every view, detail and popup at every size, from 1x1 up: no panic, never wider or taller
//! than the terminal, and below the minimum a note saying so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;
use tend::app::data::{Reply, Snapshot, load_account, load_snapshot, load_ticket};
use tend::app::keys::KeyMap;
use tend::app::review::Target;
use tend::app::{App, InputPurpose, Mode, Msg, View};
use tend::demo::DemoOptions;
use tend::domain::health::HealthRules;
use tend::domain::sla::SlaTargets;
use tend::domain::{AccountStatus, Channel, Priority, Segment, Stage};
use tend::store::{NewAccount, NewTicket, Store};
use tend::tui::render_to_text;
use tend::ui::theme::Theme;
use tend::ui::{MIN_HEIGHT, MIN_WIDTH};
use unicode_width::UnicodeWidthStr;

mod common;

/// 2026-11-22T09:00:00Z
const NOW: i64 = 1_795_338_000;

const SIZES: &[(u16, u16)] = &[
    (1, 1),
    (1, 50),
    (50, 1),
    (2, 2),
    (10, 5),
    (30, 8),
    (49, 11),
    (49, 12),
    (50, 11),
    (50, 12),
    (51, 13),
    (79, 23),
    (80, 24),
    (100, 30),
    (120, 40),
    (159, 33),
    (160, 34),
    (200, 60),
    (300, 100),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Popup {
    None,
    Filter,
    Palette,
    Help,
    Input,
    SnoozeMenu,
    ConfirmQuit,
    Welcome,
    Reply,
    Investigation,
}

const POPUPS: [Popup; 10] = [
    Popup::None,
    Popup::Filter,
    Popup::Palette,
    Popup::Help,
    Popup::Input,
    Popup::SnoozeMenu,
    Popup::ConfirmQuit,
    Popup::Welcome,
    Popup::Reply,
    Popup::Investigation,
];

/// The demo world plus an account and ticket with wide characters and long text, and the
/// hostile fixtures (escape sequences, clipboard writes, bidi overrides, invalid UTF-8)
/// imported as `tend import` does.
fn world() -> (Store, Snapshot) {
    world_with(false)
}

/// [`world`], and with `big` a mail with a 10 MB subject too.
fn world_with(big: bool) -> (Store, Snapshot) {
    let store = Store::open_in_memory("tester").unwrap();
    store
        .load_demo(&DemoOptions::default(), &SlaTargets::default(), NOW)
        .unwrap();
    let account = store
        .insert_account(
            &NewAccount {
                external_id: Some("wide-1".into()),
                name: "東京スシ 🍣 Ünïcode Holdings with a very long name that goes on".into(),
                segment: Segment::Enterprise,
                plan: "Enterprise 🚀".into(),
                mrr_cents: 123_456_789,
                stage: Stage::Expansion,
                owner: Some("渡辺".into()),
                signup_date: "2025-01-01".into(),
                renewal_date: Some("2027-01-01".into()),
                status: AccountStatus::Active,
                churned_on: None,
                churn_reason: None,
            },
            NOW - 400 * 86_400,
        )
        .unwrap();
    store
        .create_ticket(
            &NewTicket {
                external_id: None,
                account_id: account,
                contact_id: None,
                subject: "絵文字 🎉🎉🎉 and a subject long enough to be cut at every width there is".into(),
                body: "第一行\n🙂 second line\tafter a tab\n".repeat(5),
                channel: Channel::Chat,
                priority: Priority::Urgent,
                assignee: Some("tester".into()),
                tags: vec!["ユニコード".into(), "wide".into()],
                opened_at: NOW - 3600,
                message_id: None,
            },
            &SlaTargets::default(),
        )
        .unwrap();
    let config = tend::config::Config::default();
    let dir = tempfile::tempdir().unwrap();
    use tend::domain::import::Kind;
    use tend::import::What;
    let mut files = vec![
        (What::Csv(Kind::Accounts), common::hostile("accounts.csv")),
        (What::Csv(Kind::Contacts), common::hostile("contacts.csv")),
        (What::Csv(Kind::Tickets), common::hostile("tickets.csv")),
        (What::Mbox, common::hostile("hostile.mbox")),
    ];
    if big {
        let path = dir.path().join("big.mbox");
        common::write_big_mbox(&path);
        files.push((What::Mbox, path));
    }
    for (what, path) in files {
        let r = tend::import::run(&store, what, &path, false, &config, NOW).unwrap();
        assert!(r.written, "{path:?}: {r:?}");
    }
    store.backfill_snapshots(&HealthRules::default(), NOW, 30).unwrap();
    store.recompute_health(&HealthRules::default(), NOW).unwrap();
    let snap = load_snapshot(&store, NOW).unwrap();
    (store, snap)
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

/// An app in `view` with the selection's detail loaded (or not), the detail open (or not) and
/// a popup up.
fn app_in(store: &Store, snap: &Snapshot, view: View, detail: bool, loaded_detail: bool, popup: Popup) -> App {
    let mut app = new_app();
    let cmds = app.update(Msg::Reply(Reply::Snapshot(Box::new(snap.clone()))));
    tend::app::data::settle(store, &mut app, cmds).unwrap();
    app.view = view;
    let cmds = app.list_requests();
    tend::app::data::settle(store, &mut app, cmds).unwrap();
    if loaded_detail {
        let account = match view {
            View::Accounts => app.selected_account().map(|a| a.id),
            View::Today => match app.selected_review().map(|r| r.target) {
                Some(Target::Account(a)) => Some(a),
                _ => None,
            },
            View::Tickets | View::Investigations | View::Metrics => None,
        };
        let ticket = match view {
            View::Tickets => app.selected_ticket().map(|t| t.id),
            View::Today => match app.selected_review().map(|r| r.target) {
                Some(Target::Ticket(t)) => Some(t),
                _ => None,
            },
            View::Accounts | View::Investigations | View::Metrics => None,
        };
        if let Some(a) = account {
            let d = load_account(store, a, NOW, &app.rules).unwrap();
            app.update(Msg::Reply(Reply::Account(Box::new(d))));
        }
        if let Some(t) = ticket {
            app.update(Msg::Reply(Reply::Ticket(Box::new(load_ticket(store, t).unwrap()))));
        }
        if view == View::Metrics {
            let d = store.dashboard(&app.rules, None, app.metrics_days, NOW).unwrap();
            app.update(Msg::Reply(Reply::Metrics(Box::new(d))));
        }
    }
    app.detail_open = detail;
    let ticket = app
        .selected_ticket()
        .map(|t| t.id)
        .or_else(|| {
            app.review.iter().find_map(|r| match r.target {
                Target::Ticket(t) => Some(t),
                _ => None,
            })
        })
        .unwrap();
    app.mode = match popup {
        Popup::None => Mode::Normal,
        Popup::Filter => {
            app.account_filter = "🍣 東京 filter".into();
            app.ticket_filter = "絵文字".into();
            Mode::Filter
        }
        Popup::Palette => Mode::Palette {
            query: "t".into(),
            selected: 3,
        },
        Popup::Help => Mode::Help,
        Popup::Input => {
            let mut area =
                TextArea::new(vec!["a reason with 絵文字 🎉 and a line far longer than any popup is wide".into(); 12]);
            area.move_cursor(ratatui_textarea::CursorMove::Bottom);
            Mode::Input {
                purpose: InputPurpose::EscalateReason(ticket),
                area: Box::new(area),
            }
        }
        Popup::SnoozeMenu => Mode::SnoozeMenu { ticket, selected: 3 },
        Popup::ConfirmQuit => Mode::ConfirmQuit,
        Popup::Welcome => Mode::Welcome,
        Popup::Reply => {
            let open = tend::app::data::ReplyOpen {
                key: format!("reply:ticket:{ticket}"),
                ticket: Some(ticket),
                account: 1,
                task: None,
                template: Some("resolution".into()),
                text: "Subject: Re: 絵文字 🎉\n\nHi {first_name},\n\n{explanation} and a line far longer than any popup is wide, with 東京 in it.".into(),
                title: "#1 絵文字 🎉 subject far longer than the title bar".into(),
                to: Some("Zoë <zoe@example.com>".into()),
                restored: None,
                pick: false,
                suggest: None,
                version: Some(1),
            };
            let t = app.templates.get("resolution").cloned();
            Mode::Reply(Box::new(tend::app::reply::ReplyEditor::new(open, t)))
        }
        Popup::Investigation => {
            let open = tend::app::data::InvestigationOpen {
                key: "investigation:new".into(),
                ticket: Some(ticket),
                account: Some(1),
                title: "東京 🍣 account, ticket with a long subject".into(),
                health: Some(52),
                answers: tend::domain::investigation::Answers {
                    goal: "絵文字 goal far longer than the field is wide, and more words after it".into(),
                    ..Default::default()
                },
                restored: None,
            };
            Mode::Investigation(Box::new(tend::app::investigate::InvestigationForm::new(open, NOW)))
        }
    };
    app
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn check(text: &str, w: u16, h: u16, popup: Popup, what: &str) {
    assert_eq!(text.lines().count(), h as usize, "{what}: one line per row\n{text}");
    let bad = common::unsafe_chars(text);
    assert!(bad.is_empty(), "{what}: {bad:?} on the screen\n{text}");
    for line in text.lines() {
        assert!(line.width() <= w as usize, "{what}: a line wider than {w}: {line:?}");
    }
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if w < MIN_WIDTH || h < MIN_HEIGHT {
        let note = format!("Terminal too small ({w}x{h}); need {MIN_WIDTH}x{MIN_HEIGHT}");
        let shown = squash(text);
        assert!(!shown.is_empty(), "{what}: the note shows");
        assert!(
            squash(&note).starts_with(&shown),
            "{what}: only the note is drawn, as much of it as fits: {text:?}"
        );
        if (w >= 8 && h >= 3) || w as usize >= note.len() {
            assert!(joined.contains("Terminal too small"), "{what}: {text:?}");
        }
        if w as usize * h as usize >= 2 * note.len() {
            assert_eq!(joined, note, "{what}: the whole note fits");
        }
    } else {
        assert!(!joined.contains("Terminal too small"), "{what}: {text}");
        if popup == Popup::Welcome {
            assert!(text.contains("Welcome to tend"), "{what}: {text}");
        } else if matches!(popup, Popup::None | Popup::Filter) || h >= 40 {
            // a popup on a short terminal may cover the tab bar
            assert!(text.contains("1 Today"), "{what}: the tab bar shows\n{text}");
        }
    }
}

#[test]
fn every_view_detail_and_popup_at_every_size() {
    let (store, snap) = world();
    let mut n = 0;
    for view in View::ALL {
        for detail in [false, true] {
            for loaded_detail in [false, true] {
                for popup in POPUPS {
                    for (w, h) in SIZES {
                        let mut app = app_in(&store, &snap, view, detail, loaded_detail, popup);
                        let what = format!("{view:?} detail={detail} loaded={loaded_detail} {popup:?} at {w}x{h}");
                        let text = render_to_text(&mut app, &Theme::mono(), *w, *h);
                        check(&text, *w, *h, popup, &what);
                        // and in colour, the same text
                        let coloured = render_to_text(&mut app, &Theme { color: true }, *w, *h);
                        assert_eq!(text, coloured, "{what}: colour changes only style");
                        n += 1;
                    }
                }
            }
        }
    }
    assert_eq!(n, View::ALL.len() * 2 * 2 * POPUPS.len() * SIZES.len());
}

#[test]
fn one_app_survives_a_sequence_of_resizes_and_keys() {
    let (store, snap) = world();
    let mut app = app_in(&store, &snap, View::Tickets, false, true, Popup::None);
    let keys = [
        KeyCode::PageDown,
        KeyCode::Enter,
        KeyCode::PageDown,
        KeyCode::Esc,
        KeyCode::End,
        KeyCode::Tab,
        KeyCode::PageDown,
        KeyCode::Char('?'),
        KeyCode::Char('x'),
        KeyCode::Char('2'),
        KeyCode::Enter,
        KeyCode::PageUp,
    ];
    for (i, (w, h)) in SIZES.iter().chain(SIZES.iter().rev()).enumerate() {
        let text = render_to_text(&mut app, &Theme::mono(), *w, *h);
        check(&text, *w, *h, Popup::None, &format!("step {i} at {w}x{h}"));
        // paging after a tiny render still moves (a page is at least one row)
        app.update(Msg::Resize);
        app.update(Msg::Key(KeyEvent::new(keys[i % keys.len()], KeyModifiers::NONE)));
        assert!(!app.quit);
    }
}

#[test]
fn an_unloaded_app_and_an_empty_store_render_at_every_size() {
    let empty = Store::open_in_memory("tester").unwrap();
    for (w, h) in SIZES {
        // before the first snapshot arrives
        let mut app = new_app();
        let text = render_to_text(&mut app, &Theme::mono(), *w, *h);
        check(&text, *w, *h, Popup::None, &format!("loading at {w}x{h}"));
        // an empty database: the welcome screen, then each view empty
        let mut app = new_app();
        app.update(Msg::Reply(Reply::Snapshot(Box::new(
            load_snapshot(&empty, NOW).unwrap(),
        ))));
        assert!(matches!(app.mode, Mode::Welcome));
        let text = render_to_text(&mut app, &Theme::mono(), *w, *h);
        check(&text, *w, *h, Popup::Welcome, &format!("welcome at {w}x{h}"));
        app.update(Msg::Key(KeyEvent::new(KeyCode::Char('e'), KeyModifiers::NONE)));
        for view in View::ALL {
            app.view = view;
            for detail in [false, true] {
                app.detail_open = detail;
                let text = render_to_text(&mut app, &Theme::mono(), *w, *h);
                check(&text, *w, *h, Popup::None, &format!("empty {view:?} at {w}x{h}"));
            }
        }
    }
}

/// Many rapid resizes, from 1x1 to 300x100 and back in no order, with keys between them, on
/// every view with the hostile data on screen (and its details open): every frame fits, holds
/// nothing a terminal could act on, and the app keeps running.
#[test]
fn a_resize_storm_with_hostile_data_loaded() {
    let (store, snap) = world_with(true);
    const STORM: &[(u16, u16)] = &[
        (1, 1),
        (300, 100),
        (10, 3),
        (80, 24),
        (2, 2),
        (300, 1),
        (50, 12),
        (49, 11),
        (1, 50),
        (160, 34),
        (120, 40),
        (3, 3),
        (200, 60),
        (51, 13),
    ];
    let keys = [
        KeyCode::Char('j'),
        KeyCode::Enter,
        KeyCode::PageDown,
        KeyCode::Esc,
        KeyCode::Char('j'),
        KeyCode::End,
        KeyCode::Enter,
    ];
    for view in View::ALL {
        for detail in [false, true] {
            let mut app = app_in(&store, &snap, view, detail, true, Popup::None);
            for i in 0..70 {
                let (w, h) = STORM[(i * 5 + i / STORM.len()) % STORM.len()];
                app.update(Msg::Resize);
                let text = render_to_text(&mut app, &Theme { color: true }, w, h);
                check(
                    &text,
                    w,
                    h,
                    Popup::None,
                    &format!("{view:?} detail={detail} step {i} at {w}x{h}"),
                );
                if i % 3 == 0 {
                    let cmds = app.update(Msg::Key(KeyEvent::new(keys[i / 3 % keys.len()], KeyModifiers::NONE)));
                    tend::app::data::settle(&store, &mut app, cmds).unwrap();
                }
                assert!(!app.quit);
            }
        }
    }
}
