//! The reply editor: a template filled from the ticket or account, edited in the text area
//! (or in `$EDITOR`), saved as it is typed, then copied, written or sent, and recorded.

use super::data::{Cmd, ReplyOpen};
use super::{App, Mode};
use crate::domain::Step;
use crate::domain::template::{self, Template, Use};
use crate::responses::{OutgoingReply, Via};
use crate::store::Draft;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::{Modifier, Style};
use ratatui_textarea::{CursorMove, TextArea, WrapMode};

/// Where the editor is in its flow.
#[derive(Debug, Clone)]
pub enum ReplyStage {
    Edit,
    /// Placeholders are left: fill them, or accept them explicitly.
    ConfirmUnfilled(Vec<String>),
    /// Picking another template, filtered as you type.
    Picker {
        query: String,
        selected: usize,
    },
    /// The text was edited: replace it with this template?
    ConfirmReplace(String),
    /// How it leaves.
    Deliver {
        selected: usize,
    },
    /// The file to write it to.
    Path(Box<TextArea<'static>>),
    /// The name to keep it under as a new template.
    TemplateName(Box<TextArea<'static>>),
    /// Waiting for delivery to finish.
    Sending,
}

/// The ways out, in menu order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliverChoice {
    Clipboard,
    File,
    Command,
    Record,
}

impl DeliverChoice {
    pub const ALL: [DeliverChoice; 4] = [
        DeliverChoice::Clipboard,
        DeliverChoice::File,
        DeliverChoice::Command,
        DeliverChoice::Record,
    ];
}

pub struct ReplyEditor {
    /// The draft's key: the same reply opens the same draft.
    pub key: String,
    pub ticket: Option<i64>,
    pub account: i64,
    pub task: Option<i64>,
    pub template: Option<Template>,
    pub title: String,
    /// Who it goes to, for display.
    pub to: Option<String>,
    pub area: TextArea<'static>,
    /// The text as opened, to tell whether it was edited.
    pub original: String,
    /// The text is a kept draft: it is someone's typing even before it is edited again.
    pub from_draft: bool,
    pub stage: ReplyStage,
    /// The version of what it answers when it was opened: sending is refused if it changed.
    pub version: Option<i64>,
}

/// The key a reply's draft is kept under.
pub fn draft_key(ticket: Option<i64>, account: Option<i64>, task: Option<i64>) -> String {
    match (task, ticket, account) {
        (Some(t), _, _) => format!("reply:task:{t}"),
        (None, Some(t), _) => format!("reply:ticket:{t}"),
        (None, None, Some(a)) => format!("reply:account:{a}"),
        (None, None, None) => "reply".into(),
    }
}

/// Highlight for `{placeholders}`: reversed and underlined, readable without colour.
fn marker_style() -> Style {
    Style::default().add_modifier(Modifier::REVERSED | Modifier::UNDERLINED)
}

fn text_area(text: &str) -> TextArea<'static> {
    let mut area = TextArea::new(text.split('\n').map(str::to_string).collect());
    area.set_wrap_mode(WrapMode::WordOrGlyph);
    area.set_search_style(marker_style());
    area
}

impl ReplyEditor {
    pub fn new(open: ReplyOpen, template: Option<Template>) -> ReplyEditor {
        let mut area = text_area(&open.text);
        area.move_cursor(CursorMove::Top);
        let mut e = ReplyEditor {
            key: open.key,
            ticket: open.ticket,
            account: open.account,
            task: open.task,
            template,
            title: open.title,
            to: open.to,
            from_draft: open.restored.is_some(),
            original: open.text,
            area,
            stage: ReplyStage::Edit,
            version: open.version,
        };
        e.mark_placeholders();
        // start at the first thing to fill, else at the greeting
        if !e.select_next_blank(true) {
            e.area.move_cursor(CursorMove::Jump(2, 0));
        }
        e
    }

    /// Select the next placeholder, so typing replaces it. False when none is left.
    pub fn select_next_blank(&mut self, here: bool) -> bool {
        self.area.cancel_selection();
        if !self.area.search_forward(here) {
            return false;
        }
        let cursor = self.area.cursor();
        let (row, col) = (cursor.0, cursor.1);
        let len = self.area.lines()[row]
            .chars()
            .skip(col)
            .position(|c| c == '}')
            .map(|p| p + 1)
            .unwrap_or(0);
        self.area.start_selection();
        for _ in 0..len {
            self.area.move_cursor(CursorMove::Forward);
        }
        true
    }

    pub fn text(&self) -> String {
        self.area.lines().join("\n")
    }

    /// Whether the text holds typing (edited now, or a kept draft).
    pub fn edited(&self) -> bool {
        self.from_draft || self.text() != self.original
    }

    /// Whether a placeholder name is one this reply may still have to fill.
    pub fn knows(&self, name: &str) -> bool {
        match &self.template {
            Some(t) => t.knows(name),
            None => template::is_field(name),
        }
    }

    /// The placeholders still in the text.
    pub fn unfilled(&self) -> Vec<String> {
        template::unfilled_in(&self.text(), |n| self.knows(n))
    }

    /// Point the text area's highlight at the placeholders that are left.
    pub fn mark_placeholders(&mut self) {
        let names = self.unfilled();
        let pattern = if names.is_empty() {
            String::new()
        } else {
            format!(r"\{{(?:{})\}}", names.join("|"))
        };
        // names are [a-z0-9_]: the pattern is always valid
        let _ = self.area.set_search_pattern(pattern);
    }

    pub fn set_text(&mut self, text: &str) {
        let cursor = self.area.cursor();
        self.area = text_area(text);
        self.area
            .move_cursor(CursorMove::Jump(cursor.0 as u16, cursor.1 as u16));
        self.mark_placeholders();
    }

    pub fn draft(&self, now: i64) -> Draft {
        Draft {
            key: self.key.clone(),
            body: self.text(),
            template: self.template.as_ref().map(|t| t.slug.clone()),
            ticket_id: self.ticket,
            account_id: Some(self.account),
            task_id: self.task,
            updated_at: now,
        }
    }

    pub fn outgoing(&self) -> OutgoingReply {
        OutgoingReply {
            ticket: self.ticket,
            account: Some(self.account),
            task: self.task,
            template: self.template.as_ref().map(|t| t.slug.clone()),
            template_step: self.template.as_ref().and_then(|t| t.used_for.step()),
            draft: self.text(),
            version: self.version,
        }
    }

    /// The use a reply kept as a template gets: the template's own SOP step, else Resolve for
    /// a ticket (a documented solution), else general.
    pub fn use_for_new_template(&self) -> Use {
        match self.template.as_ref().map(|t| &t.used_for) {
            Some(Use::Step(s)) => Use::Step(*s),
            Some(Use::Escalation) => Use::Escalation,
            _ if self.ticket.is_some() => Use::Step(Step::Resolve),
            _ => Use::Other("general".into()),
        }
    }
}

impl App {
    /// Templates matching the picker's query, best first.
    pub fn template_matches(&self, query: &str) -> Vec<&Template> {
        let all: Vec<&Template> = self.templates.templates.iter().collect();
        if query.trim().is_empty() {
            return all;
        }
        let hay: Vec<String> = all
            .iter()
            .map(|t| format!("{} {} {}", t.name, t.slug, t.used_for))
            .collect();
        App::rank(query, &all, &hay)
    }

    pub(super) fn open_reply(&mut self, open: ReplyOpen) -> Vec<Cmd> {
        let template = open.template.as_deref().and_then(|s| self.templates.get(s)).cloned();
        let restored = open.restored;
        let pick = open.pick;
        let suggest = open.suggest.clone();
        let mut editor = ReplyEditor::new(open, template);
        if let Some(slug) = suggest {
            let name = self
                .templates
                .get(&slug)
                .map(|t| t.name.clone())
                .unwrap_or_else(|| slug.clone());
            self.info(format!("You have an unsent draft here. Replace it with {name}? y / n"));
            editor.stage = ReplyStage::ConfirmReplace(slug);
        } else if pick {
            editor.stage = ReplyStage::Picker {
                query: String::new(),
                selected: 0,
            };
            self.info("Pick a template (type to filter, Enter opens it, Esc writes without one).");
        } else if let Some(at) = restored {
            self.info(format!(
                "Your draft from {} is back. Ctrl-S sends · Esc keeps it.",
                crate::domain::format_time(at)
            ));
        } else {
            let n = editor.unfilled().len();
            self.info(match n {
                0 => "Filled from the ticket. Ctrl-S sends · Ctrl-T another template · Esc keeps a draft.".to_string(),
                n => format!("{n} placeholder(s) to fill (highlighted; Ctrl-N jumps to the next). Ctrl-S sends."),
            });
        }
        self.mode = Mode::Reply(Box::new(editor));
        Vec::new()
    }

    pub(super) fn on_reply_key(&mut self, mut e: Box<ReplyEditor>, k: KeyEvent) -> Vec<Cmd> {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        let stage = std::mem::replace(&mut e.stage, ReplyStage::Edit);
        let mut cmds = Vec::new();
        match stage {
            ReplyStage::Sending if k.code == KeyCode::Esc && !self.waiting.is_empty() => {
                // it waits for another process's write: it need not hold the screen meanwhile
                self.mode = Mode::Normal;
                self.info(format!(
                    "Your reply goes out as soon as the other write is done ({}); its text stays a draft until then.",
                    self.waiting_words()
                ));
                return Vec::new();
            }
            ReplyStage::Sending => {
                e.stage = ReplyStage::Sending;
                if self.waiting.is_empty() {
                    self.info("Sending… (the text stays until it is delivered)");
                } else {
                    self.info(
                        "Your reply waits for another write to finish, then goes out. Esc leaves it to go on its own.",
                    );
                }
            }
            ReplyStage::Edit => match (k.code, ctrl) {
                (KeyCode::Esc, _) => {
                    // the text is already kept, keystroke by keystroke
                    if e.edited() {
                        self.info("Kept your reply as a draft: it comes back when you reply again (D lists drafts).");
                    } else {
                        cmds.push(Cmd::DeleteDraft(e.key.clone()));
                        self.info("Reply closed.");
                    }
                    self.mode = Mode::Normal;
                    return cmds;
                }
                (KeyCode::Char('s'), true) => {
                    let unfilled = e.unfilled();
                    if unfilled.is_empty() {
                        e.stage = ReplyStage::Deliver { selected: 0 };
                    } else {
                        self.error(format!(
                            "Still to fill: {}. Fill them, or press y to send them as written.",
                            unfilled
                                .iter()
                                .map(|u| format!("{{{u}}}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                        e.stage = ReplyStage::ConfirmUnfilled(unfilled);
                    }
                }
                (KeyCode::Char('t'), true) => {
                    e.stage = ReplyStage::Picker {
                        query: String::new(),
                        selected: 0,
                    }
                }
                (KeyCode::Char('n'), true) => {
                    if !e.select_next_blank(false) {
                        self.info("Nothing left to fill.");
                    }
                }
                (KeyCode::Char('e'), true) => {
                    cmds.push(Cmd::ExternalEditor {
                        key: e.key.clone(),
                        text: e.text(),
                    });
                }
                (KeyCode::Char('k'), true) => {
                    e.stage = ReplyStage::TemplateName(Box::new(TextArea::default()));
                    self.info("Name the new template (Enter keeps it, Esc goes back).");
                }
                _ => {
                    let before = e.text();
                    if k.code == KeyCode::Enter {
                        e.area.insert_newline();
                    } else {
                        e.area.input(k);
                    }
                    if e.text() != before {
                        e.mark_placeholders();
                        cmds.push(Cmd::SaveDraft(e.draft(self.now)));
                    }
                }
            },
            ReplyStage::ConfirmUnfilled(names) => match k.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => {
                    e.stage = ReplyStage::Deliver { selected: 0 };
                    self.info("Sending with placeholders as written.");
                }
                _ => {
                    let _ = names;
                    e.select_next_blank(false);
                    self.info("Back to the reply: Ctrl-N jumps to the next placeholder.");
                }
            },
            ReplyStage::Picker {
                mut query,
                mut selected,
            } => {
                let n = self.template_matches(&query).len();
                match k.code {
                    KeyCode::Esc => {
                        self.info("Kept the current text.");
                    }
                    KeyCode::Enter => {
                        let chosen = self.template_matches(&query).get(selected).map(|t| t.slug.clone());
                        if let Some(slug) = chosen {
                            if e.edited() && !e.text().trim().is_empty() {
                                self.info("Replace your edited text with this template? y / n");
                                e.stage = ReplyStage::ConfirmReplace(slug);
                            } else {
                                cmds.push(self.reopen_with(&e, slug));
                                self.mode = Mode::Normal;
                                return cmds;
                            }
                        }
                    }
                    KeyCode::Down => {
                        selected = (selected + 1).min(n.saturating_sub(1));
                        e.stage = ReplyStage::Picker { query, selected };
                    }
                    KeyCode::Up => {
                        selected = selected.saturating_sub(1);
                        e.stage = ReplyStage::Picker { query, selected };
                    }
                    KeyCode::Backspace => {
                        query.pop();
                        e.stage = ReplyStage::Picker { query, selected: 0 };
                    }
                    KeyCode::Char(c) if !ctrl => {
                        query.push(c);
                        e.stage = ReplyStage::Picker { query, selected: 0 };
                    }
                    _ => e.stage = ReplyStage::Picker { query, selected },
                }
            }
            ReplyStage::ConfirmReplace(slug) => {
                if matches!(k.code, KeyCode::Char('y') | KeyCode::Char('Y')) {
                    cmds.push(self.reopen_with(&e, slug));
                    self.mode = Mode::Normal;
                    return cmds;
                }
                self.info("Kept your text.");
            }
            ReplyStage::Deliver { mut selected } => {
                let choose = match k.code {
                    KeyCode::Esc => {
                        self.info("Back to the reply.");
                        None
                    }
                    KeyCode::Down | KeyCode::Char('j') => {
                        selected = (selected + 1).min(DeliverChoice::ALL.len() - 1);
                        e.stage = ReplyStage::Deliver { selected };
                        None
                    }
                    KeyCode::Up | KeyCode::Char('k') => {
                        selected = selected.saturating_sub(1);
                        e.stage = ReplyStage::Deliver { selected };
                        None
                    }
                    KeyCode::Enter => DeliverChoice::ALL.get(selected).copied(),
                    KeyCode::Char(c @ '1'..='4') => DeliverChoice::ALL.get(c as usize - '1' as usize).copied(),
                    _ => {
                        e.stage = ReplyStage::Deliver { selected };
                        None
                    }
                };
                match choose {
                    Some(DeliverChoice::Clipboard) => {
                        let (subject, body) = template::split_draft(&e.text(), "");
                        cmds.push(Cmd::Clipboard(crate::deliver::plain(&subject, &body)));
                        cmds.push(self.send(&mut e, Via::Clipboard));
                    }
                    Some(DeliverChoice::File) => {
                        let path = crate::responses::default_outbox_path(
                            &self.responses,
                            std::path::Path::new(&self.db_label),
                            &e.outgoing(),
                            self.now,
                        );
                        let mut area = TextArea::new(vec![path.display().to_string()]);
                        area.move_cursor(CursorMove::End);
                        e.stage = ReplyStage::Path(Box::new(area));
                        self.info("Write the message to this file (Enter writes, Esc goes back).");
                    }
                    Some(DeliverChoice::Command) => {
                        if self
                            .responses
                            .send_command
                            .as_deref()
                            .is_none_or(|c| c.trim().is_empty())
                        {
                            self.error(
                                "No send command is set: add send_command = \"msmtp -t\" under [responses] in config.toml.",
                            );
                            e.stage = ReplyStage::Deliver { selected };
                        } else {
                            cmds.push(self.send(&mut e, Via::Command));
                        }
                    }
                    Some(DeliverChoice::Record) => cmds.push(self.send(&mut e, Via::Record)),
                    None => {}
                }
            }
            ReplyStage::Path(mut area) => match k.code {
                KeyCode::Esc => e.stage = ReplyStage::Deliver { selected: 1 },
                KeyCode::Enter => {
                    let p = area.lines().join("").trim().to_string();
                    if p.is_empty() {
                        self.error("Type a file name, or Esc to go back.");
                        e.stage = ReplyStage::Path(area);
                    } else {
                        cmds.push(self.send(&mut e, Via::File(std::path::PathBuf::from(p))));
                    }
                }
                _ => {
                    area.input(k);
                    e.stage = ReplyStage::Path(area);
                }
            },
            ReplyStage::TemplateName(mut area) => match k.code {
                KeyCode::Esc => self.info("Back to the reply."),
                KeyCode::Enter => {
                    let name = area.lines().join(" ").trim().to_string();
                    if crate::responses::slugify(&name).is_empty() {
                        self.error("Give the template a name with letters or digits.");
                        e.stage = ReplyStage::TemplateName(area);
                    } else {
                        cmds.push(Cmd::SaveTemplate {
                            name,
                            used_for: e.use_for_new_template().to_string(),
                            draft: e.text(),
                            ticket: e.ticket,
                            account: e.account,
                            blanks: e.template.as_ref().map(|t| t.blanks.clone()).unwrap_or_default(),
                        });
                        self.info("Keeping it as a template…");
                    }
                }
                _ => {
                    area.input(k);
                    e.stage = ReplyStage::TemplateName(area);
                }
            },
        }
        self.mode = Mode::Reply(e);
        cmds
    }

    fn reopen_with(&self, e: &ReplyEditor, slug: String) -> Cmd {
        Cmd::OpenReply {
            ticket: e.ticket,
            account: Some(e.account),
            task: e.task,
            template: Some(slug),
            use_draft: false,
        }
    }

    fn send(&mut self, e: &mut ReplyEditor, via: Via) -> Cmd {
        e.stage = ReplyStage::Sending;
        self.info("Sending…");
        Cmd::SendReply {
            key: e.key.clone(),
            reply: e.outgoing(),
            via,
        }
    }
}
