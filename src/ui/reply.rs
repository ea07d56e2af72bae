//! The reply editor and its menus, the drafts list and the sequence menu.

use super::one_line;
use super::{centered, window};
use crate::app::reply::{DeliverChoice, ReplyEditor, ReplyStage};
use crate::app::{App, Mode};
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

pub fn overlay(app: &App, theme: &Theme, f: &mut Frame, main: Rect, whole: Rect) {
    match &app.mode {
        Mode::Reply(e) => editor(app, theme, f, main, whole, e),
        Mode::Drafts { selected } => drafts(app, theme, f, whole, *selected),
        Mode::SequenceMenu { items, selected, .. } => sequences(theme, f, whole, items, *selected),
        _ => {}
    }
}

fn editor(app: &App, theme: &Theme, f: &mut Frame, main: Rect, whole: Rect, e: &ReplyEditor) {
    f.render_widget(Clear, main);
    let block = Block::bordered().title(format!(" Reply · {} ", one_line(&e.title)));
    let inner = block.inner(main);
    f.render_widget(block, main);
    let [head, text, hint] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(1), Constraint::Length(1)]).areas(inner);
    let unfilled = e.unfilled().len();
    let mut spans = vec![
        Span::styled("To: ", theme.dim()),
        Span::raw(e.to.as_deref().map(one_line).unwrap_or_else(|| "(no contact)".into())),
        Span::styled("  Template: ", theme.dim()),
        Span::raw(
            e.template
                .as_ref()
                .map(|t| one_line(&t.name))
                .unwrap_or_else(|| "none".into()),
        ),
    ];
    if unfilled > 0 {
        spans.push(Span::styled(format!("  {unfilled} to fill"), theme.warn()));
    }
    f.render_widget(Line::from(spans), head);
    f.render_widget(&e.area, text);
    let hint_text = if inner.width >= 100 {
        "Ctrl-S send · Ctrl-N next blank · Ctrl-T template · Ctrl-E $EDITOR · Ctrl-K keep as template · Esc close (kept)"
    } else {
        "^S send ^N next blank ^T template ^E editor ^K keep as template Esc close"
    };
    f.render_widget(Line::styled(hint_text, theme.dim()), hint);
    match &e.stage {
        ReplyStage::Picker { query, selected } => picker(app, theme, f, whole, query, *selected),
        ReplyStage::Deliver { selected } => deliver(app, theme, f, whole, *selected),
        ReplyStage::Path(area) => small_input(theme, f, whole, " Write the message to (Enter writes, Esc back) ", area),
        ReplyStage::TemplateName(area) => small_input(
            theme,
            f,
            whole,
            " Keep as a template named (Enter keeps, Esc back) ",
            area,
        ),
        ReplyStage::ConfirmUnfilled(names) => question(
            theme,
            f,
            whole,
            " Placeholders left ",
            &format!(
                "Still to fill: {}",
                names.iter().map(|n| format!("{{{n}}}")).collect::<Vec<_>>().join(", ")
            ),
            "y sends them as written · any other key goes back to fill them",
        ),
        ReplyStage::ConfirmReplace(slug) => question(
            theme,
            f,
            whole,
            " Replace the text? ",
            &format!("Your edits would be replaced by the template '{slug}'."),
            "y replaces · any other key keeps your text",
        ),
        ReplyStage::Sending | ReplyStage::Edit => {}
    }
}

fn picker(app: &App, theme: &Theme, f: &mut Frame, area: Rect, query: &str, selected: usize) {
    let popup = centered(area, 72, 18);
    f.render_widget(Clear, popup);
    let block = Block::bordered().title(" Templates (type to filter, Enter opens, Esc back) ");
    let inner = block.inner(popup);
    f.render_widget(block, popup);
    let [q, list] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    f.render_widget(
        Line::from(vec![
            Span::styled("> ", theme.key()),
            Span::raw(one_line(query)),
            Span::styled("▏", theme.key()),
        ]),
        q,
    );
    let matches = app.template_matches(query);
    let (start, end) = window(matches.len(), selected, list.height as usize);
    let lines: Vec<Line> = (start..end)
        .map(|i| {
            let t = matches[i];
            let line = Line::from(vec![
                Span::raw(crate::text::pad(&one_line(&t.name), 36)),
                Span::styled(t.used_for.to_string(), theme.dim()),
            ]);
            if i == selected {
                line.style(theme.selected())
            } else {
                line
            }
        })
        .collect();
    if lines.is_empty() {
        f.render_widget(Line::styled("No template matches.", theme.dim()), list);
    } else {
        f.render_widget(Paragraph::new(lines), list);
    }
}

fn deliver(app: &App, theme: &Theme, f: &mut Frame, area: Rect, selected: usize) {
    let popup = centered(area, 64, 8);
    f.render_widget(Clear, popup);
    let send = match app.responses.send_command.as_deref().filter(|c| !c.trim().is_empty()) {
        Some(c) => format!("3 Send with `{}`", one_line(c)),
        None => "3 Send (set [responses] send_command first)".to_string(),
    };
    let options = [
        "1 Copy to the clipboard (works over SSH)".to_string(),
        "2 Write to a file (.eml)".to_string(),
        send,
        "4 Record only (sent some other way)".to_string(),
    ];
    let lines: Vec<Line> = options
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let disabled = DeliverChoice::ALL[i] == DeliverChoice::Command && app.responses.send_command.is_none();
            let style = if i == selected {
                theme.selected()
            } else if disabled {
                theme.dim()
            } else {
                ratatui::style::Style::default()
            };
            Line::styled(o.clone(), style)
        })
        .chain(std::iter::once(Line::styled(
            "Each way records the reply on the timeline.",
            theme.dim(),
        )))
        .collect();
    f.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Deliver (Enter, or 1-4; Esc back) ")),
        popup,
    );
}

fn small_input(theme: &Theme, f: &mut Frame, area: Rect, title: &str, text: &ratatui_textarea::TextArea<'static>) {
    let popup = centered(area, 76, 4);
    f.render_widget(Clear, popup);
    let block = Block::bordered().title(title.to_string()).border_style(theme.key());
    let inner = block.inner(popup);
    f.render_widget(block, popup);
    f.render_widget(text, inner);
}

fn question(theme: &Theme, f: &mut Frame, area: Rect, title: &str, text: &str, hint: &str) {
    let popup = centered(area, 64, 6);
    f.render_widget(Clear, popup);
    f.render_widget(
        Paragraph::new(vec![
            Line::raw(text.to_string()),
            Line::raw(""),
            Line::styled(hint.to_string(), theme.dim()),
        ])
        .wrap(Wrap { trim: true })
        .block(Block::bordered().title(title.to_string())),
        popup,
    );
}

fn drafts(app: &App, theme: &Theme, f: &mut Frame, area: Rect, selected: usize) {
    let popup = centered(area, 76, 14);
    f.render_widget(Clear, popup);
    let block = Block::bordered().title(" Drafts (Enter opens, x discards, Esc closes) ");
    let inner = block.inner(popup);
    f.render_widget(block, popup);
    let (start, end) = window(app.saved_drafts.len(), selected, inner.height as usize);
    let lines: Vec<Line> = (start..end)
        .map(|i| {
            let d = &app.saved_drafts[i];
            let what = match (d.key.split(':').next(), d.ticket_id, d.task_id, d.account_id) {
                (Some("reply"), _, Some(t), _) => format!("reply for task {t}"),
                (Some("reply"), Some(t), _, _) => format!("reply to #{t}"),
                (Some("reply"), _, _, Some(a)) => format!("message to account {a}"),
                (Some("investigation"), Some(t), _, _) => format!("investigation of #{t}"),
                (Some("investigation"), None, _, Some(a)) => format!("investigation of account {a}"),
                (Some("investigation"), _, _, _) => "new investigation".to_string(),
                (Some(kind), _, _, _) => format!("{kind} on #{}", d.key.split(':').nth(1).unwrap_or("?")),
                _ => d.key.clone(),
            };
            let first = d
                .body
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with("Subject:") && !l.starts_with('{'))
                .unwrap_or("");
            let line = Line::from(vec![
                Span::styled(
                    format!("{} ", &crate::domain::format_time(d.updated_at)[5..16]),
                    theme.dim(),
                ),
                Span::raw(format!("{} ", crate::text::pad(&one_line(&what), 24))),
                Span::raw(one_line(first)),
            ]);
            if i == selected {
                line.style(theme.selected())
            } else {
                line
            }
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

fn sequences(theme: &Theme, f: &mut Frame, area: Rect, items: &[(String, bool)], selected: usize) {
    let popup = centered(area, 56, items.len() as u16 + 3);
    f.render_widget(Clear, popup);
    let lines: Vec<Line> = items
        .iter()
        .enumerate()
        .map(|(i, (s, on))| {
            let text = if *on {
                format!("{} Unenrol from {} (cancels the steps left)", i + 1, one_line(s))
            } else {
                format!("{} Enrol in {}", i + 1, one_line(s))
            };
            if i == selected {
                Line::styled(text, theme.selected())
            } else {
                Line::raw(text)
            }
        })
        .chain(std::iter::once(Line::styled(
            "Steps become tasks due from today.",
            theme.dim(),
        )))
        .collect();
    f.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Sequences ")),
        popup,
    );
}
