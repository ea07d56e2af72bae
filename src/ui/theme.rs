//! Colours and marks. Every colour-coded fact also has a label or symbol, so the cockpit
//! reads the same on a 16-colour or monochrome terminal; NO_COLOR turns colour off.

use crate::domain::metrics::Status;
use crate::domain::{Level, Tier};
use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// Colour unless NO_COLOR is set to anything non-empty (no-color.org).
    pub fn from_env() -> Theme {
        Theme {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }

    pub fn mono() -> Theme {
        Theme { color: false }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::default().fg(c)
        } else {
            Style::default()
        }
    }

    pub fn tier(&self, t: Tier) -> Style {
        match t {
            Tier::Healthy => self.fg(Color::Green),
            Tier::Neutral => self.fg(Color::Blue),
            Tier::AtRisk => self.fg(Color::Yellow),
            Tier::Critical => self.fg(Color::Red).add_modifier(Modifier::BOLD),
        }
    }

    pub fn level(&self, l: Level) -> Style {
        match l {
            Level::Healthy => self.fg(Color::Green),
            Level::Warning => self.fg(Color::Yellow),
            Level::Critical => self.fg(Color::Red),
        }
    }

    pub fn status(&self, s: Status) -> Style {
        match s {
            Status::Green => self.fg(Color::Green),
            Status::Amber => self.fg(Color::Yellow),
            Status::Red => self.fg(Color::Red),
        }
    }

    pub fn breach(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn ok(&self) -> Style {
        self.fg(Color::Green)
    }

    pub fn dim(&self) -> Style {
        if self.color {
            Style::default().fg(Color::DarkGray)
        } else {
            Style::default()
        }
    }

    pub fn title(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }

    pub fn header(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }

    pub fn selected(&self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }

    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn key(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
}

/// A short mark for a tier that reads without colour.
pub fn tier_mark(t: Tier) -> &'static str {
    match t {
        Tier::Healthy => "+",
        Tier::Neutral => "~",
        Tier::AtRisk => "!",
        Tier::Critical => "!!",
    }
}

/// A signal level as a bracketed word.
pub fn level_mark(l: Level) -> &'static str {
    match l {
        Level::Healthy => "OK  ",
        Level::Warning => "WARN",
        Level::Critical => "CRIT",
    }
}
