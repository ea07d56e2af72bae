//! `view(&App, &mut Frame)`: rendering only reads the model.

pub mod investigate;
pub mod metrics;
pub mod reply;
pub mod theme;

use crate::app::data::{AccountDetail, TicketDetail};
use crate::app::keys::{Action, Scope};
use crate::app::review::{ReviewKind, Target};
use crate::app::{App, InputPurpose, Mode, QueueFilter, View};
use crate::cli::{clock_label, queue_clock};
use crate::domain::health::recommended_action;
use crate::domain::sla::{self, Clock};
use crate::domain::trend;
use crate::domain::{AccountStatus, DAY, Segment, Stage, Step, Timestamp, format_time};
use crate::store::{Account, Ticket};
use crate::text;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, Wrap};
use theme::{Theme, level_mark, tier_mark};

/// Text from outside is cleaned and cut at this many columns before it is laid out: no pane is
/// wider, and a 10 MB subject costs what its first line does.
pub const LINE_MAX: usize = 500;

/// Text from outside (a name, a subject, a message) on one line of the cockpit: cleaned
/// ([`text::one_line`]), at most [`LINE_MAX`] columns.
pub fn one_line(s: &str) -> String {
    text::one_line_max(s, LINE_MAX)
}

/// Below this the cockpit shows only a note.
pub const MIN_WIDTH: u16 = 50;
pub const MIN_HEIGHT: u16 = 12;
/// From this width the detail pane sits beside the list.
pub const SPLIT_WIDTH: u16 = 160;
/// From this height (and below SPLIT_WIDTH) the detail pane sits under the list.
pub const STACK_HEIGHT: u16 = 34;

/// Draw the app, then [`guard`] every cell.
pub fn view(app: &App, theme: &Theme, f: &mut Frame) {
    draw(app, theme, f);
    guard(f.buffer_mut());
}

fn draw(app: &App, theme: &Theme, f: &mut Frame) {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!(
            "Terminal too small ({}x{}); need {MIN_WIDTH}x{MIN_HEIGHT}",
            area.width, area.height
        );
        f.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), area);
        return;
    }
    if matches!(app.mode, Mode::Welcome) {
        welcome(app, theme, f, area);
        return;
    }
    let banner = app.banner();
    let [tabs, banner_area, main, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(u16::from(banner.is_some())),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    tab_bar(app, theme, f, tabs);
    if let Some(b) = banner {
        f.render_widget(
            Paragraph::new(format!(" {}", one_line(&b))).style(theme.error().add_modifier(Modifier::REVERSED)),
            banner_area,
        );
    }
    match app.view {
        View::Today => today(app, theme, f, main),
        View::Accounts => accounts(app, theme, f, main),
        View::Tickets => tickets(app, theme, f, main),
        View::Investigations => investigate::view(app, theme, f, main),
        View::Metrics => metrics::view(app, theme, f, main),
    }
    status_bar(app, theme, f, status);
    match &app.mode {
        Mode::Help => help(app, theme, f, area),
        Mode::Palette { query, selected } => palette(app, theme, f, area, query, *selected),
        Mode::Input { purpose, area: text } => input(theme, f, area, *purpose, text),
        Mode::SnoozeMenu { selected, .. } => snooze_menu(theme, f, area, *selected),
        Mode::ConfirmQuit => confirm(theme, f, area),
        Mode::Reply(_) | Mode::Drafts { .. } | Mode::SequenceMenu { .. } => reply::overlay(app, theme, f, main, area),
        Mode::Investigation(form) => investigate::form(theme, f, main, form, app.now),
        Mode::PlaybookMenu { selected, .. } => playbook_menu(app, theme, f, area, *selected),
        Mode::Import(d) => import_dialog(theme, f, area, d),
        _ => {}
    }
}

/// The last line of defence, after everything is drawn: no cell goes to the terminal with a
/// control, bidi or zero-width character in it, or more than [`text::MAX_MARKS`] combining
/// marks. Text is cleaned before it is laid out, so this finds nothing; if something slips
/// through, its cell keeps its width (a placeholder stands in), so the columns stay put.
pub fn guard(buf: &mut ratatui::buffer::Buffer) {
    use unicode_width::UnicodeWidthStr;
    for cell in buf.content.iter_mut() {
        let sym = cell.symbol();
        if sym.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            continue;
        }
        let limit = 1 + text::MAX_MARKS;
        if !sym.chars().any(text::is_unsafe) && sym.chars().nth(limit).is_none() {
            continue;
        }
        let width = sym.width();
        let kept: String = sym.chars().filter(|c| !text::is_unsafe(*c)).take(limit).collect();
        let shown = if !kept.is_empty() && kept.width() == width {
            kept
        } else if width >= 2 {
            "\u{FFFD} ".to_string()
        } else {
            "\u{FFFD}".to_string()
        };
        cell.set_symbol(&shown);
    }
}

fn import_dialog(theme: &Theme, f: &mut Frame, area: Rect, d: &crate::app::import::ImportDialog) {
    use crate::app::import::Stage;
    let popup = centered(area, 96, 30);
    f.render_widget(Clear, popup);
    let block = Block::bordered().title(" Import a file ");
    let inner = block.inner(popup);
    f.render_widget(block, popup);
    let [path_row, what_row, counts_row, body, hint] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    let [label, field] = Layout::horizontal([Constraint::Length(6), Constraint::Min(1)]).areas(path_row);
    f.render_widget(Line::styled("File:", theme.dim()), label);
    f.render_widget(&d.path, field);
    let mut spans = vec![Span::styled("As:   ", theme.dim())];
    for w in crate::import::What::ALL {
        let style = if w == d.what {
            theme.selected()
        } else {
            Style::default()
        };
        spans.push(Span::styled(format!(" {} ", w.label()), style));
    }
    f.render_widget(Line::from(spans), what_row);
    let (lines, scroll, hint_text): (Vec<Line>, u16, &str) = match &d.stage {
        Stage::Path => (
            vec![
                Line::raw(""),
                Line::raw("Type the path of a CSV export (accounts, contacts, tickets or product events),"),
                Line::raw("an mbox file or a Maildir folder of support mail. Enter shows how it would be"),
                Line::raw("read before anything is written."),
            ],
            0,
            "Enter preview · Tab what it holds · Ctrl-U clear · Esc close",
        ),
        Stage::Checking => (
            vec![Line::raw(""), Line::raw("Reading the file…")],
            0,
            "Esc once it is done",
        ),
        Stage::Importing => (
            vec![
                Line::raw(""),
                Line::raw("Importing… (one transaction: all of it or none)"),
            ],
            0,
            "",
        ),
        Stage::Failed(e) => (
            vec![Line::raw(""), Line::styled(one_line(e), theme.error())],
            0,
            "Edit the path (Ctrl-U clears) · Enter try again · Tab what it holds · Esc close",
        ),
        Stage::Preview {
            lines, scroll, counts, ..
        } => {
            f.render_widget(Line::styled(one_line(counts), theme.title()), counts_row);
            (
                lines.iter().map(|l| Line::raw(one_line(l))).collect(),
                *scroll,
                "Enter import · Tab what it holds · j/k scroll · e edit path · Esc cancel",
            )
        }
    };
    f.render_widget(Paragraph::new(lines).scroll((scroll, 0)), body);
    f.render_widget(Line::styled(hint_text, theme.dim()), hint);
}

fn playbook_menu(app: &App, theme: &Theme, f: &mut Frame, area: Rect, selected: usize) {
    let popup = centered(area, 64, app.playbooks.len() as u16 + 3);
    f.render_widget(Clear, popup);
    let lines: Vec<Line> = app
        .playbooks
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let text = format!(
                "{} {} ({} steps over {} days)",
                i + 1,
                one_line(&p.title),
                p.steps.len(),
                p.steps.last().map(|s| s.day).unwrap_or(0)
            );
            if i == selected {
                Line::styled(text, theme.selected())
            } else {
                Line::raw(text)
            }
        })
        .chain(std::iter::once(Line::styled(
            "Steps become tasks due from today. Esc closes.",
            theme.dim(),
        )))
        .collect();
    f.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Start a playbook ")),
        popup,
    );
}

pub(crate) fn key_hint(app: &App, a: Action) -> String {
    app.keys
        .keys_for(a)
        .first()
        .map(|k| k.label())
        .unwrap_or_else(|| ":".into())
}

fn tab_bar(app: &App, theme: &Theme, f: &mut Frame, area: Rect) {
    use unicode_width::UnicodeWidthStr;
    let right = format!(
        " {} help  {} palette ",
        key_hint(app, Action::Help),
        key_hint(app, Action::Palette)
    );
    // full labels when they fit, else short ones for the views not shown
    let labels = |short: bool| -> Vec<String> {
        View::ALL
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let label = if short && *v != app.view {
                    v.short_label()
                } else {
                    v.label()
                };
                format!(" {} {label} ", i + 1)
            })
            .collect()
    };
    let width = |ls: &[String]| ls.iter().map(|l| l.width() + 1).sum::<usize>();
    let full = labels(false);
    let tabs = if width(&full) <= area.width as usize {
        full
    } else {
        labels(true)
    };
    let mut spans = Vec::new();
    for (v, label) in View::ALL.iter().zip(tabs.iter()) {
        if *v == app.view {
            spans.push(Span::styled(
                label.clone(),
                theme.selected().add_modifier(Modifier::BOLD),
            ));
        } else {
            spans.push(Span::raw(label.clone()));
        }
        spans.push(Span::raw("│"));
    }
    let room = (area.width as usize).saturating_sub(width(&tabs));
    let short = format!(" {} help ", key_hint(app, Action::Help));
    let right = if right.width() <= room { right } else { short };
    let right_w = if right.width() <= room { right.width() as u16 } else { 0 };
    let [l, r] = Layout::horizontal([Constraint::Min(1), Constraint::Length(right_w)]).areas(area);
    f.render_widget(Line::from(spans), l);
    if right_w > 0 {
        f.render_widget(Paragraph::new(right).style(theme.dim()), r);
    }
}

fn status_bar(app: &App, theme: &Theme, f: &mut Frame, area: Rect) {
    if matches!(app.mode, Mode::Filter) {
        let text = match app.view {
            View::Accounts => &app.account_filter,
            _ => &app.ticket_filter,
        };
        let line = Line::from(vec![
            Span::styled("/", theme.key()),
            Span::raw(one_line(text)),
            Span::styled("▏", theme.key()),
            Span::styled("  Enter keeps · Esc clears", theme.dim()),
        ]);
        f.render_widget(line, area);
        return;
    }
    use unicode_width::UnicodeWidthStr;
    // the message comes first; the facts fill what room is left on the right
    let msg = format!(" {}", one_line(&app.status));
    let db = if app.db_label.width() > 28 {
        std::path::Path::new(&app.db_label)
            .file_name()
            .map(|n| format!("…/{}", n.to_string_lossy()))
            .unwrap_or_else(|| app.db_label.clone())
    } else {
        app.db_label.clone()
    };
    let full = format!(
        " {} · {} · {} accounts · {} open, {} snoozed ",
        one_line(&db),
        one_line(&app.actor),
        app.accounts_total(),
        app.data.queue_open,
        app.data.queue_snoozed
    );
    let short = format!(" {} · {} ", one_line(&app.actor), one_line(&db));
    let room = (area.width as usize).saturating_sub(msg.width());
    let right = if full.width() <= room {
        full
    } else if short.width() <= room {
        short
    } else {
        String::new()
    };
    let style = if app.status_is_error {
        theme.error()
    } else {
        Style::default()
    };
    let [l, r] = Layout::horizontal([Constraint::Fill(1), Constraint::Length(right.width() as u16)]).areas(area);
    f.render_widget(Span::styled(msg, style), l);
    f.render_widget(Span::styled(right, theme.dim()), r);
}

/// Rows [start, end) of a list of `len` that keep `sel` visible in `height` rows.
/// A list row not read yet (the window is on its way from the worker).
fn pending_row<'a>(theme: &Theme, selected: bool) -> Row<'a> {
    let row = Row::new(vec![Cell::from("…")]).style(theme.dim());
    if selected { row.style(theme.selected()) } else { row }
}

pub(crate) fn window(len: usize, sel: usize, height: usize) -> (usize, usize) {
    if height == 0 || len == 0 {
        return (0, 0);
    }
    let start = if sel < height { 0 } else { sel + 1 - height };
    (start, (start + height).min(len))
}

/// Where the list and the detail go: the detail opened with Enter fills the view; otherwise
/// it sits beside the list on wide terminals, under it on tall ones, and waits for Enter on
/// small ones.
pub(crate) fn split(app: &App, area: Rect) -> (Option<Rect>, Option<Rect>) {
    if app.detail_open {
        (None, Some(area))
    } else if area.width >= SPLIT_WIDTH {
        let [l, r] = Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area);
        (Some(l), Some(r))
    } else if area.height >= STACK_HEIGHT {
        let [l, r] = Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area);
        (Some(l), Some(r))
    } else {
        (Some(area), None)
    }
}

fn days_ago(t: Option<Timestamp>, now: Timestamp) -> String {
    match t {
        None => "never".into(),
        Some(t) => {
            let d = (now - t).div_euclid(DAY);
            if d <= 0 { "today".into() } else { format!("{d}d") }
        }
    }
}

fn segment_short(s: Segment) -> &'static str {
    match s {
        Segment::Enterprise => "Ent",
        Segment::Smb => "SMB",
        Segment::SelfServe => "Self",
    }
}

fn stage_short(s: Stage) -> &'static str {
    match s {
        Stage::Onboarding => "Onboard",
        Stage::Adoption => "Adopt",
        Stage::ValueRealization => "Value",
        Stage::Expansion => "Expand",
        Stage::Advocacy => "Advocate",
    }
}

fn money(cents: i64) -> String {
    let d = cents / 100;
    if d >= 10_000 {
        format!("${}k", d / 1000)
    } else {
        format!("${d}")
    }
}

fn trend_mark(delta: Option<i64>) -> &'static str {
    match delta {
        Some(d) if d >= 5 => "↑",
        Some(d) if d <= -5 => "↓",
        Some(_) => "→",
        None => " ",
    }
}

fn accounts(app: &App, theme: &Theme, f: &mut Frame, area: Rect) {
    let (list, detail) = split(app, area);
    if let Some(area) = list {
        let mut filters = Vec::new();
        if let Some(t) = app.tier_filter {
            filters.push(format!("tier {}", t.label()));
        }
        if let Some(s) = app.stage_filter {
            filters.push(format!("stage {}", s.label()));
        }
        if let Some(s) = app.segment_filter {
            filters.push(format!("segment {}", s.label()));
        }
        if !app.account_filter.is_empty() {
            filters.push(format!("\"{}\"", one_line(&app.account_filter)));
        }
        let title = format!(
            " Accounts {}/{} · sort {}{}{} ",
            app.accounts.len(),
            app.accounts_total(),
            app.account_sort.label(),
            if app.account_sort_desc { " (rev)" } else { "" },
            if filters.is_empty() {
                String::new()
            } else {
                format!(" · {}", filters.join(", "))
            }
        );
        let block = Block::bordered().title(title);
        let inner = block.inner(area);
        f.render_widget(block, area);
        if app.accounts.is_empty() {
            let msg = if app.accounts_waiting() {
                "Reading…"
            } else if app.accounts_total() == 0 {
                "No accounts yet. Load sample data with `tend demo`, or press : for every action."
            } else {
                "No account matches. Esc clears the filter; t, l, e cycle tier, stage, segment."
            };
            f.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), inner);
        } else {
            let wide = inner.width >= 90;
            let height = inner.height.saturating_sub(1) as usize;
            let (start, end) = window(app.accounts.len(), app.account_sel, height);
            let rows: Vec<Row> = (start..end)
                .map(|pos| match app.accounts.get(pos) {
                    Some(a) => account_row(app, theme, a, pos == app.account_sel, wide),
                    None => pending_row(theme, pos == app.account_sel),
                })
                .collect();
            let (header, widths) = if wide {
                (
                    vec![
                        "Tier", "Scr", "Tr", "Name", "Segment", "Stage", "MRR", "Open", "Login", "Renewal",
                    ],
                    vec![
                        Constraint::Length(11),
                        Constraint::Length(3),
                        Constraint::Length(2),
                        Constraint::Fill(1),
                        Constraint::Length(10),
                        Constraint::Length(17),
                        Constraint::Length(7),
                        Constraint::Length(4),
                        Constraint::Length(6),
                        Constraint::Length(10),
                    ],
                )
            } else {
                (
                    vec![
                        "Tier", "Scr", "T", "Name", "Seg", "Stage", "MRR", "Opn", "Login", "Renew",
                    ],
                    vec![
                        Constraint::Length(11),
                        Constraint::Length(3),
                        Constraint::Length(1),
                        Constraint::Fill(1),
                        Constraint::Length(4),
                        Constraint::Length(8),
                        Constraint::Length(6),
                        Constraint::Length(3),
                        Constraint::Length(5),
                        Constraint::Length(7),
                    ],
                )
            };
            let table = Table::new(rows, widths)
                .header(Row::new(header).style(theme.header()))
                .column_spacing(1);
            f.render_widget(table, inner);
        }
    }
    if let Some(area) = detail {
        match app.selected_account() {
            Some(a) => match app.account_detail.as_ref().filter(|d| d.account.id == a.id) {
                Some(d) => account_detail(app, theme, f, area, d),
                None => loading(f, area, "account"),
            },
            None => {
                f.render_widget(Block::bordered().title(" Account "), area);
            }
        }
    }
}

fn account_row<'a>(app: &App, theme: &Theme, a: &'a Account, selected: bool, wide: bool) -> Row<'a> {
    let tier = a.score.map(|s| app.rules.tier(s));
    let (tier_text, tier_style) = match (a.status, tier) {
        (AccountStatus::Churned, _) => ("x Churned".to_string(), theme.dim()),
        (_, Some(t)) => (format!("{} {}", tier_mark(t), t.label()), theme.tier(t)),
        (_, None) => ("- unscored".to_string(), theme.dim()),
    };
    let renewal = a.renewal_date.clone().unwrap_or_else(|| "-".into());
    let renewal = if wide {
        renewal
    } else {
        renewal.get(2..).unwrap_or("-").to_string()
    };
    let cells = vec![
        Cell::from(tier_text).style(tier_style),
        Cell::from(a.score.map(|s| s.to_string()).unwrap_or_else(|| "-".into())),
        Cell::from(trend_mark(app.trend(a))),
        Cell::from(one_line(&a.name)).style(tier.map(|t| theme.tier(t)).unwrap_or_default()),
        Cell::from(if wide {
            a.segment.label()
        } else {
            segment_short(a.segment)
        }),
        Cell::from(if wide { a.stage.label() } else { stage_short(a.stage) }),
        Cell::from(money(a.mrr_cents)),
        Cell::from(a.open_tickets.to_string()),
        Cell::from(days_ago(a.last_login_at, app.now)),
        Cell::from(if wide {
            renewal
        } else {
            renewal.get(..5).unwrap_or("-").to_string()
        }),
    ];
    let row = Row::new(cells);
    if selected { row.style(theme.selected()) } else { row }
}

fn loading(f: &mut Frame, area: Rect, what: &str) {
    f.render_widget(
        Paragraph::new(format!("Loading the {what}…")).block(Block::bordered()),
        area,
    );
}

/// A text sparkline of scores, oldest first.
pub fn sparkline(values: &[u32]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    values
        .iter()
        .map(|v| BARS[((*v).min(100) as usize * 7) / 100])
        .collect()
}

/// A sparkline where a day without a value is a blank, not a zero.
pub fn sparkline_gaps(values: &[Option<u32>]) -> String {
    values
        .iter()
        .map(|v| match v {
            Some(v) => sparkline(&[*v]),
            None => " ".to_string(),
        })
        .collect()
}

fn bar(value: u32, width: usize) -> String {
    let filled = (value.min(100) as usize * width + 50) / 100;
    format!("{}{}", "█".repeat(filled), "░".repeat(width - filled))
}

fn account_detail(app: &App, theme: &Theme, f: &mut Frame, area: Rect, d: &AccountDetail) {
    let a = &d.account;
    let h = &d.health;
    let mut lines: Vec<Line> = Vec::new();
    lines.push(Line::from(vec![
        Span::styled(
            format!("{} {} {}", tier_mark(h.tier), h.tier.label(), h.score),
            theme.tier(h.tier),
        ),
        Span::raw(" — "),
        Span::styled(recommended_action(h.tier), theme.title()),
    ]));
    lines.push(Line::from(format!(
        "{} · {} · {} · {}/mo · owner {}",
        a.segment.label(),
        a.stage.label(),
        one_line(&a.plan),
        money(a.mrr_cents),
        a.owner.as_deref().map(one_line).unwrap_or_else(|| "-".into())
    )));
    lines.push(Line::from(format!(
        "Signed up {} · renews {}",
        a.signup_date,
        a.renewal_date.as_deref().unwrap_or("-")
    )));
    if a.status == AccountStatus::Churned {
        lines.push(Line::styled(
            format!(
                "CHURNED {} — {}",
                a.churned_on.as_deref().unwrap_or(""),
                a.churn_reason.as_deref().map(one_line).unwrap_or_default()
            ),
            theme.breach(),
        ));
    }
    let points: Vec<trend::Point> = d.history.iter().map(|s| s.point()).collect();
    let series = trend::daily_series(&points, &crate::domain::day_string(app.now), 30);
    if let Some(dir) = trend::direction(&series) {
        let known: Vec<u32> = series.iter().flatten().copied().collect();
        lines.push(Line::from(vec![
            Span::raw("30-day trend "),
            Span::styled(sparkline_gaps(&series), theme.tier(h.tier)),
            Span::raw(format!(
                " {} {} → {}",
                dir.label(),
                known.first().copied().unwrap_or(0),
                known.last().copied().unwrap_or(0)
            )),
        ]));
    }
    let since = crate::domain::day_string(app.now - 30 * DAY);
    if let Some(c) = trend::tier_changes(&points, &app.rules)
        .into_iter()
        .rev()
        .find(|c| c.day > since)
    {
        let s = c.sentence();
        let mut chars = s.chars();
        let sentence = chars
            .next()
            .map(|f| f.to_uppercase().collect::<String>() + chars.as_str())
            .unwrap_or_default();
        lines.push(Line::styled(
            sentence,
            if c.dropped() { theme.warn() } else { theme.ok() },
        ));
    }
    if let Some(l) = trend::leading_indicator(&points) {
        lines.push(Line::styled(format!("Leading indicator: {l}"), theme.warn()));
    }
    lines.push(Line::from(vec![
        Span::styled(format!("Tasks ({})", d.tasks.len()), theme.header()),
        Span::styled(
            if d.tasks.is_empty() {
                format!("  {} starts a playbook", key_hint(app, Action::StartPlaybook))
            } else {
                format!(
                    "  {}/{} move · {} done · {} snooze · {} dismiss · {} playbook",
                    key_hint(app, Action::TaskDown),
                    key_hint(app, Action::TaskUp),
                    key_hint(app, Action::TaskDone),
                    key_hint(app, Action::TaskSnooze),
                    key_hint(app, Action::TaskDismiss),
                    key_hint(app, Action::StartPlaybook)
                )
            },
            theme.dim(),
        ),
    ]));
    // five at a time, the cursor's in view
    let cursor = app.task_cursor.min(d.tasks.len().saturating_sub(1));
    let first = cursor.saturating_sub(4);
    for (i, t) in d.tasks.iter().enumerate().skip(first).take(5) {
        let text = format!(
            "{} {} {}{}",
            if i == cursor { "›" } else { " " },
            t.due_date,
            one_line(&t.title),
            if t.status == "snoozed" { " (snoozed)" } else { "" }
        );
        let style = if i == cursor && app.view == View::Accounts {
            theme.selected()
        } else if t.due_date.as_str() <= crate::domain::day_string(app.now).as_str() {
            Style::default()
        } else {
            theme.dim()
        };
        lines.push(Line::styled(text, style));
    }
    lines.push(Line::styled("Health components", theme.header()));
    let w = app.rules.weights;
    let c = h.components;
    for (name, value, weight) in [
        ("Usage", c.usage, w.usage),
        ("Engagement", c.engagement, w.engagement),
        ("Satisfaction", c.satisfaction, w.satisfaction),
        ("Payment", c.payment, w.payment),
    ] {
        let lvl = crate::domain::health::level(value);
        lines.push(Line::from(vec![
            Span::raw(format!("{name:<12} {value:>3} ")),
            Span::styled(bar(value, 10), theme.level(lvl)),
            Span::raw(format!(" x{weight}%")),
        ]));
    }
    lines.push(Line::styled("Signals", theme.header()));
    for r in &d.readings {
        lines.push(Line::from(vec![
            Span::styled(format!("[{}] ", level_mark(r.level)), theme.level(r.level)),
            Span::raw(format!("{}: {}", r.signal, r.reading)),
        ]));
    }
    if !d.warning_signs.is_empty() {
        lines.push(Line::styled(
            format!(
                "Warning signs: {}",
                d.warning_signs.iter().map(|s| s.label()).collect::<Vec<_>>().join(", ")
            ),
            theme.warn(),
        ));
    }
    lines.push(Line::styled(
        format!("Open tickets ({})", d.open_tickets.len()),
        theme.header(),
    ));
    for t in d.open_tickets.iter().take(6) {
        let clock = queue_clock(t, app.now);
        lines.push(Line::from(vec![
            Span::styled(
                format!("#{} {} ", t.id, clock_label(&clock)),
                if clock.is_breached() {
                    theme.breach()
                } else {
                    Style::default()
                },
            ),
            Span::raw(format!("{} · {}", t.step.label(), one_line(&t.subject))),
        ]));
    }
    for e in &d.enrollments {
        lines.push(Line::from(vec![
            Span::styled("In sequence ", theme.dim()),
            Span::raw(format!(
                "{} since {} · {}/{} sent{}",
                e.sequence,
                e.enrolled_on,
                e.done,
                e.steps,
                match (&e.next_due, &e.next_title) {
                    (Some(due), Some(t)) => format!(" · next {due} {}", one_line(t)),
                    _ => String::new(),
                }
            )),
        ]));
    }
    investigation_lines(&mut lines, theme, &d.investigations, app.now);
    lines.push(Line::styled("Contacts", theme.header()));
    for c in &d.contacts {
        lines.push(Line::from(format!(
            "{} <{}> {}",
            one_line(&c.name),
            c.email.as_deref().map(one_line).unwrap_or_default(),
            c.role.as_deref().map(one_line).unwrap_or_default()
        )));
    }
    lines.push(Line::styled("Timeline", theme.header()));
    // signals and ticket events together, newest first
    let mut events: Vec<(Timestamp, String)> = d
        .recent_signals
        .iter()
        .map(|s| {
            let what = match s.kind.as_str() {
                "login" => "login".to_string(),
                "feature" => format!(
                    "used {}{}",
                    s.feature.as_deref().map(one_line).unwrap_or_default(),
                    if s.core == Some(true) { " (core)" } else { "" }
                ),
                "nps" => format!("NPS {}", s.score.unwrap_or(0)),
                "csat" => format!("CSAT {}/5", s.score.unwrap_or(0)),
                "payment" => format!("payment {}", s.payment.as_deref().unwrap_or("?")),
                other => other.to_string(),
            };
            (s.at, what)
        })
        .collect();
    for (ticket, e) in &d.ticket_events {
        let mut what = if *ticket == 0 {
            e.kind.clone()
        } else {
            format!("#{ticket} {}", e.kind)
        };
        if let (Some(from), Some(to)) = (&e.from_step, &e.to_step) {
            what.push_str(&format!(" {from}→{to}"));
        }
        let body = one_line(&e.body);
        if !body.is_empty() {
            what.push_str(&format!(": {body}"));
        }
        events.push((e.at, format!("{} {what}", one_line(&e.actor))));
    }
    events.sort_by_key(|e| std::cmp::Reverse(e.0));
    for (at, what) in events.into_iter().take(12) {
        lines.push(Line::from(format!(
            "{} {what}",
            format_time(at).trim_end_matches(" UTC")
        )));
    }
    audit_lines(&mut lines, theme, &d.audit);
    let block = Block::bordered().title(format!(" #{} {} ", a.id, one_line(&a.name)));
    let scroll = if app.detail_open { app.detail_scroll } else { 0 };
    f.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}

/// "■■▶□": the four SOP steps, done, current and to come.
pub fn progress(step: Step) -> String {
    let done = step.index();
    (0..4)
        .map(|i| {
            if i < done {
                '■'
            } else if i == done {
                '▶'
            } else {
                '□'
            }
        })
        .collect()
}

fn step_short(s: Step) -> &'static str {
    match s {
        Step::Acknowledge => "Ack",
        Step::Diagnose => "Diag",
        Step::Resolve => "Res",
        Step::FollowUp => "F/up",
        Step::Closed => "Done",
    }
}

/// At most six characters: "65d", "3d4h", "11h", "6h5m", "22m".
pub fn short_duration(secs: i64) -> String {
    let s = secs.abs();
    let (d, h, m) = (s / DAY, (s % DAY) / 3600, (s % 3600) / 60);
    if d >= 10 {
        format!("{d}d")
    } else if d > 0 {
        format!("{d}d{h}h")
    } else if h >= 10 {
        format!("{h}h")
    } else if h > 0 {
        format!("{h}h{m}m")
    } else {
        format!("{m}m")
    }
}

fn short_clock(c: &Clock) -> String {
    match c {
        Clock::Running { left, .. } => short_duration(*left),
        Clock::Paused { left } => format!("‖{}", short_duration(*left)),
        Clock::Breached { over, .. } => format!("!{}", short_duration(*over)),
        Clock::Met { .. } | Clock::MetLate { .. } => "met".into(),
        Clock::NoTarget => "appt".into(),
    }
}

fn tickets(app: &App, theme: &Theme, f: &mut Frame, area: Rect) {
    let (list, detail) = split(app, area);
    if let Some(area) = list {
        let mut title = format!(" Tickets {} · {}", app.tickets.len(), app.queue.label());
        if app.queue_account.is_some() {
            title.push_str(&format!(" · account {}", one_line(&app.queue_account_name)));
        }
        if let Some(t) = app.ticket_tier {
            title.push_str(&format!(" · {} accounts", t.label()));
        }
        if !app.ticket_filter.is_empty() {
            title.push_str(&format!(" · \"{}\"", one_line(&app.ticket_filter)));
        }
        title.push(' ');
        let block = Block::bordered().title(title);
        let inner = block.inner(area);
        f.render_widget(block, area);
        if app.tickets.is_empty() {
            let msg = if app.tickets_waiting() {
                "Reading…"
            } else if app.queue == QueueFilter::Open && app.ticket_filter.is_empty() && app.queue_account.is_none() {
                "The queue is empty. Nice."
            } else {
                "No ticket matches. f cycles the queue filter; Esc clears the text filter."
            };
            f.render_widget(Paragraph::new(msg), inner);
        } else {
            let wide = inner.width >= 90;
            let height = inner.height.saturating_sub(1) as usize;
            let (start, end) = window(app.tickets.len(), app.ticket_sel, height);
            let rows: Vec<Row> = (start..end)
                .map(|pos| match app.tickets.get(pos) {
                    Some(t) => ticket_row(app, theme, t, pos == app.ticket_sel, wide),
                    None => pending_row(theme, pos == app.ticket_sel),
                })
                .collect();
            let widths = if wide {
                vec![
                    Constraint::Length(5),
                    Constraint::Length(10),
                    Constraint::Length(16),
                    Constraint::Length(6),
                    Constraint::Length(2),
                    Constraint::Length(18),
                    Constraint::Fill(1),
                    Constraint::Length(7),
                    Constraint::Length(6),
                ]
            } else {
                vec![
                    Constraint::Length(4),
                    Constraint::Length(7),
                    Constraint::Length(9),
                    Constraint::Length(3),
                    Constraint::Length(2),
                    Constraint::Length(12),
                    Constraint::Fill(1),
                    Constraint::Length(5),
                    Constraint::Length(5),
                ]
            };
            let header = Row::new(vec![
                "#", "SLA", "Step", "Pri", "Tr", "Account", "Subject", "Age", "Who",
            ])
            .style(theme.header());
            f.render_widget(Table::new(rows, widths).header(header).column_spacing(1), inner);
        }
    }
    if let Some(area) = detail {
        match app.selected_ticket() {
            Some(t) => match app.ticket_detail.as_ref().filter(|d| d.ticket.id == t.id) {
                Some(d) => ticket_detail(app, theme, f, area, d),
                None => loading(f, area, "ticket"),
            },
            None => f.render_widget(Block::bordered().title(" Ticket "), area),
        }
    }
}

fn ticket_row<'a>(app: &App, theme: &Theme, t: &'a Ticket, selected: bool, wide: bool) -> Row<'a> {
    let clock = queue_clock(t, app.now);
    let mut sla_text = short_clock(&clock);
    if t.is_snoozed(app.now) {
        sla_text = format!("z{sla_text}");
    }
    let sla_style = if clock.is_breached() {
        theme.breach()
    } else if clock.urgency() < 2 * 3600 {
        theme.warn()
    } else {
        Style::default()
    };
    let tier = t.account_score.map(|s| app.rules.tier(s));
    let step = if wide {
        format!("{} {}", progress(t.step), t.step.label())
    } else {
        format!("{} {}", progress(t.step), step_short(t.step))
    };
    let pri = if wide {
        t.priority.label().to_string()
    } else {
        t.priority.label().chars().take(3).collect()
    };
    let cells = vec![
        Cell::from(t.id.to_string()),
        Cell::from(sla_text).style(sla_style),
        Cell::from(step),
        Cell::from(pri),
        Cell::from(format!("T{}", t.support_tier)),
        Cell::from(format!(
            "{}{}",
            tier.map(tier_mark).unwrap_or(""),
            one_line(&t.account_name)
        ))
        .style(tier.map(|x| theme.tier(x)).unwrap_or_default()),
        Cell::from(one_line(&t.subject)),
        Cell::from(short_duration((app.now - t.opened_at).max(0))),
        Cell::from(t.assignee.as_deref().map(one_line).unwrap_or_else(|| "-".into())),
    ];
    let row = Row::new(cells);
    if selected { row.style(theme.selected()) } else { row }
}

fn clock_span(theme: &Theme, label: &str, c: &Clock) -> Line<'static> {
    let style = match c {
        Clock::Breached { .. } | Clock::MetLate { .. } => theme.breach(),
        Clock::Met { .. } => theme.ok(),
        Clock::Running { left, .. } if *left < 2 * 3600 => theme.warn(),
        _ => Style::default(),
    };
    let due = match c {
        Clock::Running { due, .. } | Clock::Breached { due, .. } => format!(" (due {})", format_time(*due)),
        _ => String::new(),
    };
    Line::from(vec![
        Span::raw(format!("{label}: ")),
        Span::styled(format!("{}{due}", clock_label(c)), style),
    ])
}

/// Investigations with their priority and the health change since.
fn investigation_lines(
    lines: &mut Vec<Line<'static>>,
    theme: &Theme,
    list: &[crate::store::InvestigationRow],
    now: Timestamp,
) {
    if list.is_empty() {
        return;
    }
    lines.push(Line::styled(format!("Investigations ({})", list.len()), theme.header()));
    for i in list.iter().take(4) {
        let priority = i
            .priority
            .as_deref()
            .and_then(|p| p.parse::<crate::domain::investigation::Priority>().ok())
            .map(|p| p.label())
            .unwrap_or("-");
        let health = match (i.health_at_start, i.health_now) {
            (Some(a), Some(b)) => format!(" · health {a} -> {b} ({:+})", i64::from(b) - i64::from(a)),
            _ => String::new(),
        };
        lines.push(Line::from(format!(
            "#{} {priority} · {}d ago{health} · {}",
            i.id,
            (now - i.created_at).max(0) / DAY,
            one_line(&i.goal)
        )));
    }
}

fn ticket_detail(app: &App, theme: &Theme, f: &mut Frame, area: Rect, d: &TicketDetail) {
    let t = &d.ticket;
    let mut lines: Vec<Line> = Vec::new();
    let tier = t.account_score.map(|s| app.rules.tier(s));
    lines.push(Line::from(vec![
        Span::styled(
            format!("{}{}", tier.map(tier_mark).unwrap_or(""), one_line(&t.account_name)),
            tier.map(|x| theme.tier(x)).unwrap_or_default(),
        ),
        Span::raw(format!(
            " · {} · {} · tier {} · {}",
            t.channel.label(),
            t.priority.label(),
            t.support_tier,
            t.assignee
                .as_deref()
                .map(one_line)
                .unwrap_or_else(|| "unassigned".into())
        )),
    ]));
    // the SOP as four boxes
    let mut sop = Vec::new();
    for s in Step::SOP {
        let (mark, style) = if s.index() < t.step.index() {
            ("✓", theme.ok())
        } else if s == t.step {
            ("▶", theme.title().add_modifier(Modifier::REVERSED))
        } else {
            (" ", theme.dim())
        };
        sop.push(Span::styled(format!("[{mark} {}]", s.label()), style));
        sop.push(Span::raw(" "));
    }
    if t.step == Step::Closed {
        sop.push(Span::styled("CLOSED", theme.ok()));
    }
    lines.push(Line::from(sop));
    let f_ = t.clock_facts();
    lines.push(clock_span(
        theme,
        &format!("First response ({})", app.sla.first_response_label(t.channel)),
        &sla::first_response(&f_, app.now),
    ));
    lines.push(clock_span(theme, "Resolution (24 h)", &sla::resolution(&f_, app.now)));
    if let Some(w) = t.waiting_since {
        lines.push(Line::styled(
            format!("‖ Waiting on the customer since {}", format_time(w)),
            theme.warn(),
        ));
    }
    if t.snoozed_until_reply {
        lines.push(Line::styled("z Snoozed until the customer replies", theme.dim()));
    } else if let Some(u) = t.snoozed_until.filter(|u| *u > app.now) {
        lines.push(Line::styled(format!("z Snoozed until {}", format_time(u)), theme.dim()));
    }
    if !t.tags.is_empty() {
        lines.push(Line::from(format!("Tags: {}", one_line(&t.tags.join(", ")))));
    }
    if t.step != Step::Closed {
        let done = d.checklist.iter().filter(|x| **x).count();
        lines.push(Line::styled(
            format!("{} checklist {done}/{}", t.step.label(), d.checklist.len()),
            theme.header(),
        ));
        for (i, item) in t.step.checklist().iter().enumerate() {
            let ticked = d.checklist.get(i).copied().unwrap_or(false);
            let cursor = i == app.checklist_cursor;
            let text = format!(
                "{} [{}] {item}",
                if cursor { "›" } else { " " },
                if ticked { "x" } else { " " }
            );
            let style = if cursor {
                theme.selected()
            } else if ticked {
                theme.ok()
            } else {
                Style::default()
            };
            lines.push(Line::styled(text, style));
        }
        let k = |a| key_hint(app, a);
        lines.push(Line::styled(
            format!(
                "{} tick · {}/{} item · {} advance · {} back · {} escalate · {} note · {} wait · {} snooze",
                k(Action::ToggleItem),
                k(Action::NextChecklistItem),
                k(Action::PrevChecklistItem),
                k(Action::Advance),
                k(Action::MoveBack),
                k(Action::Escalate),
                k(Action::Note),
                k(Action::Wait),
                k(Action::Snooze)
            ),
            theme.dim(),
        ));
    }
    if !t.body.trim().is_empty() {
        lines.push(Line::styled("Message", theme.header()));
        for l in text::lines_max(&t.body, 6, LINE_MAX) {
            lines.push(Line::from(l));
        }
    }
    investigation_lines(&mut lines, theme, &d.investigations, app.now);
    lines.push(Line::styled("Timeline (newest first)", theme.header()));
    for e in d.events.iter().rev() {
        let mut what = e.kind.clone();
        if let (Some(from), Some(to)) = (&e.from_step, &e.to_step) {
            what = format!("{what} {from}→{to}");
        }
        let body = one_line(&e.body);
        let style = match e.kind.as_str() {
            "escalation" | "override" | "back" => theme.warn(),
            _ => Style::default(),
        };
        lines.push(Line::styled(
            format!(
                "{} {} {what}{}",
                format_time(e.at).trim_end_matches(" UTC"),
                one_line(&e.actor),
                if body.is_empty() {
                    String::new()
                } else {
                    format!(": {body}")
                }
            ),
            style,
        ));
    }
    audit_lines(&mut lines, theme, &d.audit);
    let block = Block::bordered().title(format!(" #{} {} ", t.id, one_line(&t.subject)));
    let scroll = if app.detail_open { app.detail_scroll } else { 0 };
    f.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}

/// The audit pane of a detail: who changed what, newest first.
fn audit_lines(lines: &mut Vec<Line<'static>>, theme: &Theme, audit: &[crate::store::AuditEntry]) {
    if audit.is_empty() {
        return;
    }
    lines.push(Line::styled("Changes (who, what; newest first)", theme.header()));
    for e in audit {
        let what = match (e.entity.as_str(), e.entity_id) {
            ("ticket" | "account", _) | (_, None) => e.action.clone(),
            (entity, Some(id)) => format!("{entity} {id} {}", e.action),
        };
        let detail = one_line(&e.detail);
        lines.push(Line::from(format!(
            "{} {} {what}{}",
            format_time(e.at).trim_end_matches(" UTC"),
            one_line(&e.actor),
            if detail.is_empty() {
                String::new()
            } else {
                format!(": {detail}")
            }
        )));
    }
}

fn today(app: &App, theme: &Theme, f: &mut Frame, area: Rect) {
    let (list, detail) = split(app, area);
    if let Some(area) = list {
        let done = app.reviewed_count();
        let total = app.review_total();
        let title = format!(" Today {} · {done} of {total} reviewed ", app.data.day);
        let block = Block::bordered().title(title);
        let inner = block.inner(area);
        f.render_widget(block, area);
        if !app.review_loaded {
            f.render_widget(Paragraph::new("Reading the day's review…").style(theme.dim()), inner);
        } else if total == 0 {
            f.render_widget(
                Paragraph::new("Nothing needs you today: no breached or soon-due tickets, no follow-ups, no account in trouble, no task due.")
                    .wrap(Wrap { trim: true }),
                inner,
            );
        } else if done == total {
            let mut counts = std::collections::BTreeMap::new();
            for i in &app.review {
                *counts.entry(i.kind).or_insert(0) += 1;
            }
            let mut lines = vec![
                Line::styled(format!("Review done: all {total} items reviewed."), theme.ok()),
                Line::raw(""),
            ];
            for (k, n) in counts {
                lines.push(Line::raw(format!("  {n:>3}  {}", kind_words(k))));
            }
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                format!(
                    "{} on an item unmarks it; 2 and 3 open the lists.",
                    key_hint(app, Action::MarkReviewed)
                ),
                theme.dim(),
            ));
            f.render_widget(Paragraph::new(lines), inner);
        } else {
            let [gauge, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
            let width = gauge.width.saturating_sub(2) as usize;
            let filled = (done * width).checked_div(total).unwrap_or(0);
            f.render_widget(
                Line::styled(
                    format!("[{}{}]", "#".repeat(filled), "-".repeat(width - filled)),
                    theme.ok(),
                ),
                gauge,
            );
            // the kinds not held whole say how many more there are, on the last line
            let more: Vec<String> = app
                .review_more
                .iter()
                .filter(|(_, n)| **n > 0)
                .map(|(k, n)| format!("{n} {}", k.label()))
                .collect();
            let [rest, footer] =
                Layout::vertical([Constraint::Min(1), Constraint::Length(u16::from(!more.is_empty()))]).areas(rest);
            if !more.is_empty() {
                let hidden = total - app.review.len();
                f.render_widget(
                    Line::styled(
                        format!("+ {hidden} more as these are reviewed: {}", more.join(" · ")),
                        theme.dim(),
                    ),
                    footer,
                );
            }
            let height = rest.height as usize;
            let (start, end) = window(app.review.len(), app.review_sel, height);
            let lines: Vec<Line> = (start..end)
                .map(|i| {
                    let item = &app.review[i];
                    let reviewed = app.data.reviewed.contains(&item.key);
                    let mark = if reviewed { "✓" } else { " " };
                    let kind_style = match item.kind {
                        ReviewKind::Breached => theme.breach(),
                        ReviewKind::SoonToBreach => theme.warn(),
                        ReviewKind::Critical | ReviewKind::DroppedTier => {
                            item.tier.map(|t| theme.tier(t)).unwrap_or_default()
                        }
                        _ => Style::default(),
                    };
                    let mut line = Line::from(vec![
                        Span::raw(format!("{mark} ")),
                        Span::styled(format!("{:<9} ", item.kind.label()), kind_style),
                        Span::raw(one_line(&item.title)),
                    ]);
                    if reviewed {
                        line = line.style(theme.dim());
                    }
                    if i == app.review_sel {
                        line = line.style(theme.selected());
                    }
                    line
                })
                .collect();
            f.render_widget(Paragraph::new(lines), rest);
        }
    }
    if let Some(area) = detail {
        match app.selected_review().map(|r| r.target) {
            Some(Target::Ticket(id)) => match app.ticket_detail.as_ref().filter(|d| d.ticket.id == id) {
                Some(d) => ticket_detail(app, theme, f, area, d),
                None => loading(f, area, "ticket"),
            },
            Some(Target::Account(id)) => match app.account_detail.as_ref().filter(|d| d.account.id == id) {
                Some(d) => account_detail(app, theme, f, area, d),
                None => loading(f, area, "account"),
            },
            Some(Target::Task(_)) | None => {
                let k = |a| key_hint(app, a);
                let text = format!(
                    "{} / {} walk the review · {} marks reviewed and moves on · Enter opens the detail",
                    k(Action::NextItem),
                    k(Action::PrevItem),
                    k(Action::MarkReviewed)
                );
                f.render_widget(
                    Paragraph::new(text).wrap(Wrap { trim: true }).block(Block::bordered()),
                    area,
                );
            }
        }
    }
}

fn kind_words(k: ReviewKind) -> &'static str {
    match k {
        ReviewKind::Breached => "breached tickets",
        ReviewKind::SoonToBreach => "tickets due within 2 h",
        ReviewKind::FollowUpDue => "follow-ups",
        ReviewKind::DroppedTier => "accounts that dropped a tier",
        ReviewKind::Critical => "critical accounts",
        ReviewKind::TaskDue => "tasks due",
    }
}

pub(crate) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

fn help(app: &App, theme: &Theme, f: &mut Frame, area: Rect) {
    let scope = app.view.scope();
    let rows = app.keys.help(scope);
    let key_width = rows.iter().map(|(_, k, _)| text::width(k)).max().unwrap_or(4).min(18);
    let mut lines: Vec<Line> = Vec::new();
    let mut current: Option<Scope> = None;
    for (s, keys, a) in rows {
        if current != Some(s) {
            lines.push(Line::styled(s.label().to_string(), theme.header()));
            current = Some(s);
        }
        lines.push(Line::from(vec![
            Span::styled(format!("{}  ", text::pad(&keys, key_width)), theme.key()),
            Span::raw(a.description().to_string()),
        ]));
    }
    let n = lines.len() as u16;
    let popup = centered(area, 100, n + 2);
    f.render_widget(Clear, popup);
    let title = format!(" Keys: {} · j/k scroll · any other key closes ", app.view.label());
    f.render_widget(
        Paragraph::new(lines)
            .block(Block::bordered().title(title))
            .wrap(Wrap { trim: false })
            .scroll((app.help_scroll, 0)),
        popup,
    );
}

fn palette(app: &App, theme: &Theme, f: &mut Frame, area: Rect, query: &str, selected: usize) {
    let popup = centered(area, 70, 16);
    f.render_widget(Clear, popup);
    let block = Block::bordered().title(" Command palette (Enter runs, Esc closes) ");
    let inner = block.inner(popup);
    f.render_widget(block, popup);
    let [q, list] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    f.render_widget(
        Line::from(vec![
            Span::styled(": ", theme.key()),
            Span::raw(one_line(query)),
            Span::styled("▏", theme.key()),
        ]),
        q,
    );
    let matches = app.palette_matches(query);
    let (start, end) = window(matches.len(), selected, list.height as usize);
    let lines: Vec<Line> = (start..end)
        .map(|i| {
            let e = &matches[i];
            let key = match e {
                crate::app::PaletteEntry::Action(a) => {
                    app.keys.keys_for(*a).first().map(|k| k.label()).unwrap_or_default()
                }
                crate::app::PaletteEntry::SavedView(v) => {
                    app.saved_views.get(*v).and_then(|v| v.key.clone()).unwrap_or_default()
                }
                _ => String::new(),
            };
            let line = Line::from(vec![
                Span::raw(text::pad(&one_line(&e.label(app)), 56)),
                Span::styled(key, theme.key()),
            ]);
            if i == selected {
                line.style(theme.selected())
            } else {
                line
            }
        })
        .collect();
    f.render_widget(Paragraph::new(lines), list);
}

fn input(theme: &Theme, f: &mut Frame, area: Rect, purpose: InputPurpose, text: &ratatui_textarea::TextArea<'static>) {
    let popup = centered(area, 76, 8);
    f.render_widget(Clear, popup);
    let block = Block::bordered().title(format!(" {} ", purpose.title()));
    let inner = block.inner(popup);
    f.render_widget(block, popup);
    let [t, hint] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
    f.render_widget(text, t);
    f.render_widget(
        Line::styled(
            "Enter saves · Alt-Enter new line · Esc keeps it as a draft",
            theme.dim(),
        ),
        hint,
    );
}

fn snooze_menu(theme: &Theme, f: &mut Frame, area: Rect, selected: usize) {
    let popup = centered(area, 44, 7);
    f.render_widget(Clear, popup);
    let options = [
        "1 Until the customer replies",
        "2 Tomorrow morning (09:00)",
        "3 Next week (Monday 09:00)",
        "4 A date…",
    ];
    let lines: Vec<Line> = options
        .iter()
        .enumerate()
        .map(|(i, o)| {
            if i == selected {
                Line::styled(*o, theme.selected())
            } else {
                Line::raw(*o)
            }
        })
        .collect();
    f.render_widget(Paragraph::new(lines).block(Block::bordered().title(" Snooze ")), popup);
}

fn confirm(theme: &Theme, f: &mut Frame, area: Rect) {
    let popup = centered(area, 60, 4);
    f.render_widget(Clear, popup);
    f.render_widget(
        Paragraph::new(vec![
            Line::raw("Unsent text is kept as a draft. Quit anyway?"),
            Line::styled("y quits · any other key goes back", theme.dim()),
        ])
        .block(Block::bordered().borders(Borders::ALL).title(" Quit ")),
        popup,
    );
}

fn welcome(app: &App, theme: &Theme, f: &mut Frame, area: Rect) {
    let lines = vec![
        Line::styled("Welcome to tend", theme.title()),
        Line::raw(""),
        Line::raw("Your customers' health and your support queue, in one terminal."),
        Line::raw(format!("This database is empty: {}", one_line(&app.db_label))),
        Line::raw(""),
        Line::from(vec![
            Span::styled("  d  ", theme.key()),
            Span::raw("Load sample data (60 accounts, 300 tickets) — the fastest way to look around"),
        ]),
        Line::from(vec![Span::styled("  i  ", theme.key()), Span::raw("Import a file")]),
        Line::from(vec![Span::styled("  e  ", theme.key()), Span::raw("Start empty")]),
        Line::from(vec![Span::styled("  q  ", theme.key()), Span::raw("Quit")]),
        Line::raw(""),
        Line::styled(
            one_line(&app.status),
            if app.status_is_error {
                theme.error()
            } else {
                theme.dim()
            },
        ),
    ];
    let popup = centered(area, 84, 14);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered()),
        popup,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::buffer::Buffer;

    #[test]
    fn the_guard_leaves_no_unsafe_cell_and_keeps_widths() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 8, 1));
        let cells = [
            ("a", "a"),
            ("\u{1b}", "\u{FFFD}"),
            ("e\u{202E}", "e"),
            ("\u{9b}", "\u{FFFD}"),
            ("x\u{200B}\u{FEFF}", "x"),
        ];
        for (i, (sym, _)) in cells.iter().enumerate() {
            buf[(i as u16, 0)].set_symbol(sym);
        }
        // a wide character that would lose its width gets a placeholder of two columns
        buf[(5, 0)].set_symbol("\u{200D}\u{200D}東\u{202E}");
        buf[(7, 0)].set_symbol(&format!("Z{}", "\u{301}".repeat(40)));
        guard(&mut buf);
        for (i, (_, want)) in cells.iter().enumerate() {
            assert_eq!(buf[(i as u16, 0)].symbol(), *want, "cell {i}");
        }
        assert_eq!(buf[(5, 0)].symbol(), "東");
        assert_eq!(buf[(7, 0)].symbol().chars().count(), 1 + text::MAX_MARKS);
        for cell in &buf.content {
            assert!(!cell.symbol().chars().any(text::is_unsafe), "{:?}", cell.symbol());
        }
        // the placeholder keeps the width ratatui measured for the cell
        use unicode_width::UnicodeWidthStr;
        for sym in ["\u{1b}\u{1b}", "\u{1b}", "\u{202E}"] {
            let mut buf = Buffer::empty(Rect::new(0, 0, 2, 1));
            buf[(0, 0)].set_symbol(sym);
            guard(&mut buf);
            let shown = buf[(0, 0)].symbol();
            assert!(shown.starts_with('\u{FFFD}'), "{sym:?}: {shown:?}");
            assert_eq!(shown.width(), sym.width().max(1), "{sym:?}");
        }
    }
}
