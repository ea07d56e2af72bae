//! The import dialog: a path, what the file holds, a dry run's preview of the mapping, then the
//! import itself — the same work as `tend import`.

use super::data::Cmd;
use crate::import::What;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// Typing the path.
    Path,
    /// The dry run is under way.
    Checking,
    /// The dry run's report: Enter imports.
    Preview {
        /// The file as resolved by the dry run: the import reads the same one.
        path: PathBuf,
        counts: String,
        lines: Vec<String>,
        scroll: u16,
    },
    /// The dry run failed: the reason, and the path can be edited.
    Failed(String),
    /// The import is under way.
    Importing,
}

pub struct ImportDialog {
    pub path: TextArea<'static>,
    pub what: What,
    /// Whether `what` was picked by hand (else it follows the path).
    pub chosen: bool,
    pub stage: Stage,
    /// Opened from the welcome screen: closing it goes back there.
    pub from_welcome: bool,
}

/// What a key in the dialog asks for.
pub enum Outcome {
    Stay,
    Close,
    Run(Cmd),
}

impl ImportDialog {
    pub fn new(from_welcome: bool) -> ImportDialog {
        let mut path = TextArea::default();
        path.set_placeholder_text("~/exports/customers.csv");
        ImportDialog {
            path,
            what: What::Csv(crate::domain::import::Kind::Accounts),
            chosen: false,
            stage: Stage::Path,
            from_welcome,
        }
    }

    /// The path as typed.
    pub fn typed(&self) -> String {
        self.path.lines().join("").trim().to_string()
    }

    fn preview(&mut self) -> Outcome {
        let typed = self.typed();
        if typed.is_empty() {
            self.stage = Stage::Failed("Type the path of a CSV file, an mbox file or a Maildir folder.".into());
            return Outcome::Stay;
        }
        self.stage = Stage::Checking;
        Outcome::Run(Cmd::ImportPreview {
            typed,
            what: self.chosen.then_some(self.what),
        })
    }

    /// The dry run's answer: what the file was read as (a guess, unless picked), and the report.
    pub fn previewed(&mut self, what: What, result: Result<crate::import::Report, String>) {
        self.what = what;
        self.stage = match result {
            Ok(r) => Stage::Preview {
                path: r.path,
                counts: r.counts,
                lines: r.lines,
                scroll: 0,
            },
            Err(e) => Stage::Failed(e),
        };
    }

    pub fn key(&mut self, k: KeyEvent) -> Outcome {
        let busy = matches!(self.stage, Stage::Checking | Stage::Importing);
        match k.code {
            KeyCode::Esc if !busy => return Outcome::Close,
            _ if busy => return Outcome::Stay,
            KeyCode::Tab | KeyCode::BackTab => {
                self.what = self.what.step(k.code == KeyCode::Tab);
                self.chosen = true;
                return match self.stage {
                    Stage::Preview { .. } => self.preview(),
                    _ => Outcome::Stay,
                };
            }
            _ => {}
        }
        match &mut self.stage {
            Stage::Preview { scroll, path, .. } => match k.code {
                KeyCode::Enter | KeyCode::Char('y') => {
                    let path = path.clone();
                    self.stage = Stage::Importing;
                    Outcome::Run(Cmd::ImportRun { path, what: self.what })
                }
                KeyCode::Down | KeyCode::Char('j') => {
                    *scroll = scroll.saturating_add(1);
                    Outcome::Stay
                }
                KeyCode::Up | KeyCode::Char('k') => {
                    *scroll = scroll.saturating_sub(1);
                    Outcome::Stay
                }
                KeyCode::PageDown | KeyCode::Char(' ') => {
                    *scroll = scroll.saturating_add(10);
                    Outcome::Stay
                }
                KeyCode::PageUp => {
                    *scroll = scroll.saturating_sub(10);
                    Outcome::Stay
                }
                KeyCode::Char('e') | KeyCode::Backspace => {
                    self.stage = Stage::Path;
                    Outcome::Stay
                }
                _ => Outcome::Stay,
            },
            _ => {
                if k.code == KeyCode::Enter {
                    return self.preview();
                }
                let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
                match k.code {
                    // one line: no new lines in a path
                    KeyCode::Char('m') | KeyCode::Char('j') if ctrl => return Outcome::Stay,
                    // clear the path, as shells do
                    KeyCode::Char('u') if ctrl => {
                        self.path = TextArea::default();
                        self.path.set_placeholder_text("~/exports/customers.csv");
                    }
                    _ => {
                        self.path.input(k);
                    }
                }
                if matches!(self.stage, Stage::Failed(_)) {
                    self.stage = Stage::Path;
                }
                Outcome::Stay
            }
        }
    }
}
