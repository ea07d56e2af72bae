//! Text from strangers in the cockpit: the hostile fixtures (escape sequences, OSC 52 clipboard
//! writes, bidi overrides, zero-width characters, invalid UTF-8, a 10 MB subject) go in through
//! the import code the commands and the cockpit use, and every view that shows them is drawn
//! into ratatui's TestBackend. No cell may hold a control, bidi or zero-width character, what
//! the text says must still show, and wide characters must not push a column out of place.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use tend::app::keys::KeyMap;
use tend::app::{App, View};
use tend::config::Config;
use tend::domain::health::HealthRules;
use tend::domain::import::Kind;
use tend::domain::sla::SlaTargets;
use tend::import::What;
use tend::store::{Account, AccountFilter, Store, Ticket, TicketFilter};
use tend::ui::theme::Theme;
use unicode_width::UnicodeWidthStr;

/// 2026-11-22T09:00:00Z
const NOW: i64 = 1_795_338_000;

/// The hostile fixtures imported as `tend import` does, a 10 MB subject by mbox, and an
/// investigation whose answers quote the hostile ticket.
fn hostile_store() -> Store {
    let store = Store::open_in_memory("tester").unwrap();
    let config = Config::default();
    for (what, name) in [
        (What::Csv(Kind::Accounts), "accounts.csv"),
        (What::Csv(Kind::Contacts), "contacts.csv"),
        (What::Csv(Kind::Tickets), "tickets.csv"),
        (What::Mbox, "hostile.mbox"),
    ] {
        let r = tend::import::run(&store, what, &common::hostile(name), false, &config, NOW).unwrap();
        assert!(r.written, "{name} was imported: {r:?}");
        assert!(r.lines.is_empty(), "{name}: nothing refused: {:?}", r.lines);
    }
    // invalid UTF-8 in a CSV: refused whole, with a message that is safe to show
    let e = tend::import::run(
        &store,
        What::Csv(Kind::Accounts),
        &common::hostile("invalid_utf8.csv"),
        false,
        &config,
        NOW,
    )
    .unwrap_err();
    assert!(
        e.contains("is not UTF-8 text") && e.contains("Nothing was imported"),
        "{e}"
    );
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.mbox");
    common::write_big_mbox(&big);
    let r = tend::import::run(&store, What::Mbox, &big, false, &config, NOW).unwrap();
    assert!(r.written, "{r:?}");

    let t1 = ticket(&store, "T-1");
    let facts = store.investigation_facts(Some(t1.id), None, NOW).unwrap();
    let mut answers: tend::domain::investigation::Answers = toml::from_str(
        "situation = \"support-request\"\n\
         business_result = \"Close the books \\u001b[5mon time\"\n\
         customer_impact = \"high\"\nrelationship_impact = \"medium\"\nscalability = \"high\"\n\
         resource_efficiency = \"high\"\nprocess_fit = \"needs-improvement\"\n\
         [notes]\ncustomer_impact = \"Blocks \\u202emonth-end\\u001b]0;t\\u0007\"\n",
    )
    .unwrap();
    answers.goal = format!("Stop \u{1b}]52;c;QUJD\u{7}the {}", t1.subject);
    let templates = tend::responses::TemplateSet::load(None);
    tend::investigate::prefill(&mut answers, &facts, &templates, &HealthRules::default());
    let o = tend::domain::investigation::evaluate(&answers, facts.health, NOW);
    store
        .create_investigation(Some(facts.account_id), Some(t1.id), &answers, &o, NOW)
        .unwrap();
    store
}

fn accounts(store: &Store) -> Vec<Account> {
    store
        .accounts(&AccountFilter::default(), &HealthRules::default())
        .unwrap()
}

fn tickets(store: &Store) -> Vec<Ticket> {
    store
        .tickets(
            &TicketFilter {
                all: true,
                ..Default::default()
            },
            NOW,
        )
        .unwrap()
}

fn ticket(store: &Store, external: &str) -> Ticket {
    tickets(store)
        .into_iter()
        .find(|t| t.external_id.as_deref() == Some(external))
        .unwrap_or_else(|| panic!("no ticket {external}"))
}

fn big_ticket(store: &Store) -> Ticket {
    tickets(store)
        .into_iter()
        .find(|t| t.subject.len() >= common::BIG)
        .expect("the 10 MB subject is stored whole")
}

fn new_app() -> App {
    App::new(
        KeyMap::default(),
        HealthRules::default(),
        SlaTargets::default(),
        // a database path with an escape in it is text from outside too
        "/tmp/evil\u{1b}]0;title\u{7}.db".into(),
        "tester".into(),
        NOW,
    )
}

/// Load what `view` shows (with `select` open, as `tend screen --select` does) and draw it; the
/// cells as the terminal would get them.
fn draw(store: &Store, view: View, select: Option<i64>, w: u16, h: u16) -> Buffer {
    let mut app = new_app();
    tend::tui::render_view(store, &mut app, view, w, h, select).unwrap();
    redraw(&mut app, w, h)
}

fn redraw(app: &mut App, w: u16, h: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    app.page = h.saturating_sub(6) as usize;
    terminal
        .draw(|f| tend::ui::view(app, &Theme { color: true }, f))
        .unwrap();
    terminal.backend().buffer().clone()
}

/// No cell holds a control, a bidi or zero-width character, or a pile of combining marks.
fn assert_cells_clean(buf: &Buffer, what: &str) {
    for (i, cell) in buf.content.iter().enumerate() {
        let s = cell.symbol();
        let bad = common::unsafe_chars(s);
        assert!(
            bad.is_empty(),
            "{what}: cell {:?} holds {bad:?} in {s:?}",
            buf.pos_of(i)
        );
        assert!(
            s.chars().count() <= 1 + tend::text::MAX_MARKS,
            "{what}: cell {:?} holds {} characters",
            buf.pos_of(i),
            s.chars().count()
        );
    }
}

fn text(buf: &Buffer) -> String {
    tend::tui::buffer_text(buf)
}

const SIZES: &[(u16, u16)] = &[
    (1, 1),
    (10, 3),
    (49, 11),
    (50, 12),
    (80, 24),
    (120, 40),
    (160, 50),
    (300, 100),
];

#[test]
fn every_view_of_hostile_data_draws_clean_cells_at_every_size() {
    let store = hostile_store();
    let mut selections: Vec<(View, Option<i64>)> = View::ALL.iter().map(|v| (*v, None)).collect();
    for a in accounts(&store) {
        selections.push((View::Accounts, Some(a.id)));
    }
    for t in tickets(&store)
        .into_iter()
        .filter(|t| t.step != tend::domain::Step::Closed)
    {
        selections.push((View::Tickets, Some(t.id)));
    }
    let inv = store.investigations(None).unwrap();
    selections.push((View::Investigations, Some(inv[0].id)));
    for (view, select) in selections {
        for (w, h) in SIZES {
            let what = format!("{view:?} {select:?} at {w}x{h}");
            let buf = draw(&store, view, select, *w, *h);
            assert_cells_clean(&buf, &what);
            for line in text(&buf).lines() {
                assert!(line.width() <= *w as usize, "{what}: a line wider than {w}: {line:?}");
            }
        }
    }
}

#[test]
fn hostile_text_shows_what_it_says_without_its_sequences() {
    let store = hostile_store();
    let list = text(&draw(&store, View::Accounts, None, 160, 50));
    for name in [
        "EvilCorp",
        "Acme gnp.exe",
        "東京スシ 🍣 Holdings",
        "TitleCo",
        "ZeroWidthInc",
        "ClearScreen",
        "CsiEightBit",
        "DcsSixel",
        "Mallory yrollam",
    ] {
        assert!(list.contains(name), "{name} shows:\n{list}");
    }
    for junk in ["[31m", "52;c;", "pwned", "]0;", "Pq#0"] {
        assert!(!list.contains(junk), "{junk} does not show:\n{list}");
    }

    let t1 = ticket(&store, "T-1");
    let detail = text(&draw(&store, View::Tickets, Some(t1.id), 120, 40));
    assert!(detail.contains("Invoice  overdue  now fdp.exe"), "{detail}");
    assert!(detail.contains("red text and a clipboard write  here."), "{detail}");
    // the clipboard payloads are gone, in the subject and in the body
    assert!(!detail.contains("aGVsbG8") && !detail.contains("Y3VybC"), "{detail}");
    assert!(detail.contains("Tags: billing, blink"), "{detail}");

    // a sequence that never ends hides nothing after it
    let t3 = ticket(&store, "T-3");
    let detail = text(&draw(&store, View::Tickets, Some(t3.id), 120, 40));
    assert!(
        detail.contains("Unterminated 0;the rest of this subject must still show"),
        "{detail}"
    );

    // invalid UTF-8 in a mail body is shown as replacement characters
    let mail = tickets(&store)
        .into_iter()
        .find(|t| t.body.starts_with("Invalid UTF-8"))
        .unwrap();
    let detail = text(&draw(&store, View::Tickets, Some(mail.id), 120, 40));
    assert!(detail.contains("Encoded subject enil"), "{detail}");
    assert!(detail.contains("Invalid UTF-8 here: \u{FFFD}"), "{detail}");

    // the welcome-less status line names the database without its escape
    assert!(!text(&draw(&store, View::Today, None, 200, 40)).contains("]0;title"));
}

/// The x of `header` in the header row (the first row holding it).
fn column_x(buf: &Buffer, header: &str) -> (u16, u16) {
    for y in 0..buf.area.height {
        let row: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
        if let Some(i) = row.find(header) {
            // cells before the match: count symbols, not bytes
            let mut x = 0;
            let mut bytes = 0;
            while bytes < i {
                bytes += buf[(x, y)].symbol().len();
                x += 1;
            }
            return (x, y);
        }
    }
    panic!("no {header:?} header:\n{}", text(buf));
}

/// Every row under the header whose first cell is not blank starts `header`'s column at the
/// header's x: the cell before is a blank and the cell at x is one `starts` allows.
fn assert_column_aligned(buf: &Buffer, header: &str, rows_with: &[&str], starts: impl Fn(&str) -> bool) {
    let (x, y0) = column_x(buf, header);
    let lines: Vec<String> = text(buf).lines().map(str::to_string).collect();
    for name in rows_with {
        let y = (y0 + 1..buf.area.height)
            .find(|y| lines[*y as usize].contains(name))
            .unwrap_or_else(|| panic!("no row with {name}:\n{}", text(buf)));
        let before = buf[(x - 1, y)].symbol();
        let at = buf[(x, y)].symbol();
        assert!(
            before == " " && starts(at),
            "{header} of the row with {name} starts at x={x} like the header: before {before:?}, at {at:?}\n{}",
            lines[y as usize]
        );
    }
}

#[test]
fn wide_and_combining_characters_keep_the_columns_aligned() {
    let store = hostile_store();
    let rows = ["東京スシ", "EvilCorp", "Zalgo", "Acme", "Mallory"];
    for (w, h) in [(80, 30), (120, 40), (159, 40)] {
        let buf = draw(&store, View::Accounts, None, w, h);
        let header = if w >= 92 { "Segment" } else { "Seg" };
        assert_column_aligned(&buf, header, &rows, |s| ["E", "S"].iter().any(|p| s.starts_with(p)));
        assert_column_aligned(&buf, "MRR", &rows, |s| s == "$");
    }
    let rows = ["東京スシ", "EvilCorp", "Acme", "Big Sender"];
    for (w, h) in [(80, 30), (120, 40)] {
        let buf = draw(&store, View::Tickets, None, w, h);
        assert_column_aligned(&buf, "Subject", &rows, |s| s != " ");
        assert_column_aligned(&buf, "Age", &rows, |s| s.chars().all(|c| c.is_ascii_digit()));
    }
}

#[test]
fn a_ten_megabyte_subject_is_shown_cut_and_clean() {
    let store = hostile_store();
    let big = big_ticket(&store);
    // the stored text is as received: 10 MB, its escapes and all
    assert!(big.subject.contains("\u{1b}]52;c;QUJD\u{7}"));
    for (w, h) in [(80, 24), (300, 100)] {
        let buf = draw(&store, View::Tickets, Some(big.id), w, h);
        assert_cells_clean(&buf, &format!("big detail at {w}x{h}"));
        let shown = text(&buf);
        assert!(shown.contains(&format!("#{} Huge XY XY", big.id)), "{shown}");
        let buf = draw(&store, View::Tickets, None, w, h);
        assert_cells_clean(&buf, &format!("big list at {w}x{h}"));
    }
    // what the cockpit lays out of it is a line, not 10 MB
    let line = tend::ui::one_line(&big.subject);
    assert!(
        line.width() <= tend::ui::LINE_MAX && line.ends_with('…'),
        "{}",
        line.len()
    );
    let body = tend::text::lines_max(&big.body, 6, tend::ui::LINE_MAX);
    assert!(body.len() <= 6 && body.iter().all(|l| l.width() <= tend::ui::LINE_MAX));
}
