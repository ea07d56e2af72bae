//! The Investigations view and the Intent-First form.

use super::one_line;
use super::{centered, split, window};
use crate::app::App;
use crate::app::investigate::{InvestigationForm, Kind, shown};
use crate::domain::investigation::{self, Answers, Priority};
use crate::domain::{DAY, Timestamp};
use crate::store::InvestigationRow;
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Clear, Paragraph, Row, Table, Wrap};

fn priority_label(p: Option<&str>) -> &'static str {
    p.and_then(|p| p.parse::<Priority>().ok())
        .map(|p| p.label())
        .unwrap_or("-")
}

fn priority_style(theme: &Theme, p: Option<&str>) -> Style {
    match p.and_then(|p| p.parse::<Priority>().ok()) {
        Some(Priority::Critical) | Some(Priority::Escalate) => theme.breach(),
        Some(Priority::High) => theme.warn(),
        _ => Style::default(),
    }
}

fn health_change(i: &InvestigationRow) -> String {
    match (i.health_at_start, i.health_now) {
        (Some(a), Some(b)) => format!("{a}→{b} {:+}", i64::from(b) - i64::from(a)),
        _ => "-".into(),
    }
}

pub fn view(app: &App, theme: &Theme, f: &mut Frame, area: Rect) {
    let (list, detail) = split(app, area);
    if let Some(area) = list {
        let mut title = format!(" Investigations {}", app.investigation_rows.len());
        if !app.investigation_filter.is_empty() {
            title.push_str(&format!(" · \"{}\"", one_line(&app.investigation_filter)));
        }
        title.push(' ');
        let block = Block::bordered().title(title);
        let inner = block.inner(area);
        f.render_widget(block, area);
        if app.investigation_rows.is_empty() {
            let msg = if app.investigation_filter.is_empty() {
                "No investigations yet. i on a ticket or an account starts one; n starts a blank one."
            } else {
                "No investigation matches. Esc clears the filter."
            };
            f.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), inner);
        } else {
            let height = inner.height.saturating_sub(1) as usize;
            let (start, end) = window(app.investigation_rows.len(), app.investigation_sel, height);
            let rows: Vec<Row> = (start..end)
                .filter_map(|pos| {
                    app.investigation_rows
                        .get(pos)
                        .map(|i| (pos, &app.data.investigations[*i]))
                })
                .map(|(pos, i)| {
                    let row = Row::new(vec![
                        Cell::from(i.id.to_string()),
                        Cell::from(Span::styled(
                            priority_label(i.priority.as_deref()),
                            priority_style(theme, i.priority.as_deref()),
                        )),
                        Cell::from(one_line(i.account_name.as_deref().unwrap_or("-"))),
                        Cell::from(i.status.clone()),
                        Cell::from(format!("{}d", (app.now - i.created_at).max(0) / DAY)),
                        Cell::from(health_change(i)),
                        Cell::from(one_line(&i.goal)),
                    ]);
                    if pos == app.investigation_sel {
                        row.style(theme.selected())
                    } else {
                        row
                    }
                })
                .collect();
            let table = Table::new(
                rows,
                [
                    Constraint::Length(4),
                    Constraint::Length(9),
                    Constraint::Length(18),
                    Constraint::Length(5),
                    Constraint::Length(4),
                    Constraint::Length(10),
                    Constraint::Min(10),
                ],
            )
            .header(Row::new(vec!["#", "Priority", "Account", "State", "Age", "Health", "Goal"]).style(theme.header()));
            f.render_widget(table, inner);
        }
    }
    if let Some(area) = detail {
        let block = Block::bordered().title(" Investigation (y copies the Markdown) ");
        let inner = block.inner(area);
        f.render_widget(block, area);
        let Some(i) = app.selected_investigation() else {
            return;
        };
        let a: Answers = serde_json::from_str(&i.answers).unwrap_or_default();
        let o = investigation::evaluate(&a, i.health_at_start, i.created_at);
        let mut lines = vec![
            Line::styled(
                format!(
                    "#{} {}{} · {}",
                    i.id,
                    one_line(i.account_name.as_deref().unwrap_or("no account")),
                    i.ticket_id.map(|t| format!(" · ticket #{t}")).unwrap_or_default(),
                    crate::domain::format_time(i.created_at)
                ),
                theme.title(),
            ),
            Line::from(format!("Health then and now: {}", health_change(i))),
        ];
        lines.extend(table_lines(theme, &a, &o, inner.width));
        f.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .scroll((app.detail_scroll, 0)),
            inner,
        );
    }
}

/// The priority, the approach and the eight rows, as lines.
fn table_lines(theme: &Theme, a: &Answers, o: &investigation::Outcome, width: u16) -> Vec<Line<'static>> {
    let mut lines = vec![
        Line::from(vec![
            Span::styled("Priority: ", theme.header()),
            Span::raw(match o.priority {
                Some(p) => format!(
                    "{}{}",
                    p.label(),
                    if o.minimal { " (quick filter: minimal)" } else { "" }
                ),
                None => "rate the four impacts and process fit".into(),
            }),
        ]),
        Line::raw(""),
    ];
    let fw = if width >= 50 { 27 } else { 19 };
    for (factor, assessment, notes) in &o.table {
        let mut spans = vec![
            Span::styled(format!("{factor:<fw$.fw$} "), theme.header()),
            Span::raw(if assessment.is_empty() {
                "—".to_string()
            } else {
                one_line(assessment)
            }),
        ];
        if !notes.is_empty() {
            spans.push(Span::styled(format!(" · {}", one_line(notes)), theme.dim()));
        }
        lines.push(Line::from(spans));
    }
    if let Some(list) = crate::app::investigate::codebase_first(o) {
        lines.push(Line::raw(""));
        lines.push(Line::styled("Codebase first", theme.header()));
        for c in list.iter() {
            lines.push(Line::raw(format!("[ ] {c}")));
        }
    }
    if o.minimal && !a.workaround.trim().is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::raw(format!("CS debt: workaround {}", one_line(&a.workaround))));
    }
    lines
}

pub fn form(theme: &Theme, f: &mut Frame, area: Rect, form: &InvestigationForm, now: Timestamp) {
    let _ = now;
    f.render_widget(Clear, area);
    let a = form.current();
    let o = investigation::evaluate(&a, form.health, form.now);
    let title = format!(" Intent-First · {} ", one_line(&form.title));
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let side = inner.width >= 110;
    let (left, right) = if side {
        let [l, r] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(inner);
        (l, Some(r))
    } else {
        (inner, None)
    };
    if !side && form.show_table {
        let mut lines = table_lines(theme, &a, &o, left.width);
        lines.push(Line::styled("Ctrl-O back to the form", theme.dim()));
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), left);
        return;
    }
    // the field list above, the focused field's editor and its question below
    let field = form.field();
    let editor_height = match field.kind {
        Kind::Text => 6.min(left.height.saturating_sub(4)),
        _ => 3,
    };
    let [list, edit, hint] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(editor_height),
        Constraint::Length(1),
    ])
    .areas(left);
    let height = list.height as usize;
    let (start, end) = window(form.fields.len(), form.focus, height);
    let label_w = (list.width as usize / 2).clamp(12, 30);
    let lines: Vec<Line> = (start..end)
        .map(|i| {
            let fd = &form.fields[i];
            let value = shown(&a, fd);
            let line = Line::from(vec![
                Span::styled(
                    format!("{:<label_w$.label_w$} ", fd.label),
                    if i == form.focus { theme.selected() } else { theme.dim() },
                ),
                Span::raw(value),
            ]);
            if i == form.focus {
                line.style(Style::default().add_modifier(Modifier::BOLD))
            } else {
                line
            }
        })
        .collect();
    f.render_widget(Paragraph::new(lines), list);
    let eblock = Block::bordered()
        .title(format!(" {} · {} ", field.phase, field.label))
        .border_style(theme.key());
    let einner = eblock.inner(edit);
    f.render_widget(eblock, edit);
    match field.kind {
        Kind::Text => f.render_widget(&form.area, einner),
        Kind::Choice => {
            let opts = crate::app::investigate::options(field.id);
            let cur = crate::app::investigate::chosen(&a, field.id);
            let spans: Vec<Span> = opts
                .iter()
                .enumerate()
                .flat_map(|(i, o)| {
                    let st = if Some(i) == cur {
                        theme.selected()
                    } else {
                        Style::default()
                    };
                    [Span::styled(format!(" {o} "), st), Span::raw(" ")]
                })
                .collect();
            f.render_widget(Line::from(spans), einner);
        }
        Kind::Check => {
            f.render_widget(Line::raw(format!("{} {}", shown(&a, field), field.guidance)), einner);
        }
    }
    f.render_widget(
        Paragraph::new(Line::styled(
            if field.kind == Kind::Check {
                "Space toggles · Tab next · Ctrl-S save · Ctrl-O table · Esc".to_string()
            } else {
                field.guidance.to_string()
            },
            theme.dim(),
        )),
        hint,
    );
    if let Some(right) = right {
        let tblock = Block::bordered().title(" Output table (live) ");
        let tinner = tblock.inner(right);
        f.render_widget(tblock, right);
        let mut lines = table_lines(theme, &a, &o, tinner.width);
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            "Tab / Shift-Tab fields · Ctrl-S save · Ctrl-Y copy Markdown · Esc keeps a draft",
            theme.dim(),
        ));
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), tinner);
    }
    let _ = centered;
}
