//! Printing listings as an aligned table, JSON or CSV. Text from outside is cleaned for the
//! terminal in tables and CSV; JSON escapes what a terminal could act on.

use crate::text;
use serde::Serialize;
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
    Csv,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "table" => Ok(Format::Table),
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            _ => Err(format!("'{s}' is not a valid format; valid values: table, json, csv")),
        }
    }
}

/// Rows of cells under headers.
pub struct Table {
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: Vec<&'static str>) -> Table {
        Table {
            headers,
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row.into_iter().map(|c| text::one_line(&c)).collect());
    }

    pub fn render(&self) -> String {
        use unicode_width::UnicodeWidthStr;
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.width()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(cell.width());
                }
            }
        }
        let mut out = String::new();
        let line = |cells: Vec<&str>, out: &mut String| {
            let last = cells.len().saturating_sub(1);
            for (i, cell) in cells.iter().enumerate() {
                out.push_str(cell);
                if i < last {
                    let pad = widths[i].saturating_sub(cell.width()) + 2;
                    out.extend(std::iter::repeat_n(' ', pad));
                }
            }
            out.push('\n');
        };
        line(self.headers.clone(), &mut out);
        for row in &self.rows {
            line(row.iter().map(String::as_str).collect(), &mut out);
        }
        out
    }

    pub fn csv(&self) -> std::io::Result<String> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&self.headers)?;
        for row in &self.rows {
            w.write_record(row)?;
        }
        let bytes = w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// JSON with every character a terminal could act on written as a \u escape: the same data,
/// safe to print.
pub fn json<T: Serialize + ?Sized>(value: &T) -> String {
    let raw = serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        let risky = ('\u{80}'..='\u{9f}').contains(&c)
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}');
        if risky {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Write to stdout, returning the error (a closed pipe, say) instead of panicking as
/// `println!` does.
pub fn emit(s: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(s.as_bytes())?;
    out.flush()
}

/// Print a listing in the chosen format.
pub fn print_listing<T: Serialize>(format: Format, items: &[T], table: impl FnOnce() -> Table) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => writeln!(out, "{}", json(items)),
        Format::Table => write!(out, "{}", table().render()),
        Format::Csv => write!(out, "{}", table().csv()?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_and_cleans() {
        let mut t = Table::new(vec!["ID", "NAME"]);
        t.push(vec!["1".into(), "Acme\u{1b}[2J".into()]);
        t.push(vec!["200".into(), "東京".into()]);
        assert_eq!(t.render(), "ID   NAME\n1    Acme\n200  東京\n");
        assert_eq!(t.csv().unwrap(), "ID,NAME\n1,Acme\n200,東京\n");
    }

    #[test]
    fn json_escapes_terminal_controls() {
        let s = json(&vec!["a\u{1b}]52;c;x\u{7}", "b\u{9b}c", "d\u{202e}e"]);
        assert!(!s.contains('\u{1b}'));
        assert!(!s.contains('\u{9b}'));
        assert!(s.contains("\\u009b"));
        let back: Vec<String> = serde_json::from_str(&s).unwrap();
        assert_eq!(back[1], "b\u{9b}c");
        assert_eq!(back[2], "d\u{202e}e");
    }
}
