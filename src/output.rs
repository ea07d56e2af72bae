//! Printing: listings as an aligned table, JSON or CSV, and every other line a command writes.
//!
//! Everything a command writes to stdout goes through [`emit`], the one choke point: unless
//! `--raw` was given, it removes what a terminal could act on ([`text::terminal_safe`]). Text
//! from outside is also cleaned where it is put in a line ([`line`], [`lines`]), so a name with
//! a newline stays on its line. JSON writes every character a terminal could act on as a
//! `\u` escape: the same data, safe to print. Standard error is always cleaned ([`note`]).

use crate::text;
use serde::Serialize;
use std::borrow::Cow;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static RAW: AtomicBool = AtomicBool::new(false);

/// `--raw`: print text from outside exactly as stored. Set once, before a command runs.
pub fn set_raw(raw: bool) {
    RAW.store(raw, Ordering::Relaxed);
}

/// Whether `--raw` was given.
pub fn raw() -> bool {
    RAW.load(Ordering::Relaxed)
}

/// A list column is cut at this many columns in a table (not in CSV or JSON, nor with --raw):
/// one 10 MB subject must not pad every row of the listing to its width.
pub const CELL_MAX: usize = 120;

/// One line of text from outside, as the command line prints it: cleaned onto one line, or
/// as stored with `--raw`.
pub fn line(s: &str) -> Cow<'_, str> {
    if raw() {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(text::one_line(s))
    }
}

/// [`line`], at most `cols` columns wide (ending in `…` when cut); as stored with `--raw`.
pub fn line_max(s: &str, cols: usize) -> Cow<'_, str> {
    if raw() {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(text::one_line_max(s, cols))
    }
}

/// Text from outside that may span lines: cleaned, or as stored with `--raw`.
pub fn lines(s: &str) -> Cow<'_, str> {
    if raw() {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(text::multi_line(s))
    }
}

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
    /// Cells as stored (`--raw`): neither cleaned nor cut.
    raw: bool,
}

impl Table {
    pub fn new(headers: Vec<&'static str>) -> Table {
        Table {
            headers,
            rows: Vec::new(),
            raw: raw(),
        }
    }

    pub fn push(&mut self, row: Vec<String>) {
        if self.raw {
            self.rows.push(row);
        } else {
            self.rows.push(row.into_iter().map(|c| text::one_line(&c)).collect());
        }
    }

    /// Aligned columns, measured in display columns (wide characters count two); a cell wider
    /// than [`CELL_MAX`] is cut, without splitting a character.
    pub fn render(&self) -> String {
        let shown: Vec<Vec<Cow<str>>> = self
            .rows
            .iter()
            .map(|row| {
                row.iter()
                    .map(|c| {
                        if self.raw || text::width(c) <= CELL_MAX {
                            Cow::Borrowed(c.as_str())
                        } else {
                            Cow::Owned(text::cut(c, CELL_MAX))
                        }
                    })
                    .collect()
            })
            .collect();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| text::width(h)).collect();
        for row in &shown {
            for (i, cell) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(text::width(cell));
                }
            }
        }
        let mut out = String::new();
        let line = |cells: Vec<&str>, out: &mut String| {
            let last = cells.len().saturating_sub(1);
            for (i, cell) in cells.iter().enumerate() {
                out.push_str(cell);
                if i < last {
                    let pad = widths.get(i).copied().unwrap_or(0).saturating_sub(text::width(cell)) + 2;
                    out.extend(std::iter::repeat_n(' ', pad));
                }
            }
            out.push('\n');
        };
        line(self.headers.clone(), &mut out);
        for row in &shown {
            line(row.iter().map(|c| c.as_ref()).collect(), &mut out);
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

/// Whether JSON writes this character as a `\u` escape: every control (a raw newline in JSON
/// is only ever layout) and every bidi or invisible character.
fn json_escapes(c: char) -> bool {
    (c.is_control() && c != '\n') || text::is_hidden(c)
}

/// `raw` JSON with every character a terminal could act on written as a `\u` escape (outside
/// strings there are none): the same data, safe to print.
pub fn escape_json(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if json_escapes(c) {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Pretty JSON, safe to print (see [`escape_json`]); as serde_json writes it with `--raw`.
pub fn json<T: Serialize + ?Sized>(value: &T) -> String {
    let raw = serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    if self::raw() { raw } else { escape_json(&raw) }
}

/// Write to stdout, returning the error (a closed pipe, say) instead of panicking as
/// `println!` does. Unless `--raw` was given, what a terminal could act on is removed.
pub fn emit(s: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    if raw() {
        out.write_all(s.as_bytes())?;
    } else {
        out.write_all(text::terminal_safe(s).as_bytes())?;
    }
    out.flush()
}

/// A line on standard error (a warning, an error, a note), always cleaned: file names and
/// file contents end up in these.
pub fn note(s: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}", text::one_line_max(s, NOTE_MAX));
}

/// The longest line [`note`] writes.
pub const NOTE_MAX: usize = 4000;

/// Print a listing in the chosen format.
pub fn print_listing<T: Serialize>(format: Format, items: &[T], table: impl FnOnce() -> Table) -> std::io::Result<()> {
    match format {
        Format::Json => emit(&format!("{}\n", json(items))),
        Format::Table => emit(&table().render()),
        Format::Csv => emit(&table().csv()?),
    }
}

/// A writer for a terminal: whole lines, cleaned as [`emit`] cleans. For a stream (an export)
/// that is written to a terminal rather than a file or a pipe.
pub struct SafeWriter<W: Write> {
    inner: W,
    pending: Vec<u8>,
    changed: std::rc::Rc<std::cell::Cell<bool>>,
}

impl<W: Write> SafeWriter<W> {
    pub fn new(inner: W) -> SafeWriter<W> {
        SafeWriter {
            inner,
            pending: Vec::new(),
            changed: Default::default(),
        }
    }

    /// Becomes true once cleaning has changed something; readable after the writer is gone.
    pub fn changes(&self) -> std::rc::Rc<std::cell::Cell<bool>> {
        self.changed.clone()
    }

    fn write_clean(&mut self, upto: usize) -> std::io::Result<()> {
        let chunk: Vec<u8> = self.pending.drain(..upto).collect();
        let s = String::from_utf8_lossy(&chunk);
        let safe = text::terminal_safe(&s);
        if safe.as_bytes() != chunk.as_slice() {
            self.changed.set(true);
        }
        self.inner.write_all(safe.as_bytes())
    }
}

impl<W: Write> Write for SafeWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        // a newline byte is never inside a UTF-8 character: whole lines are whole text
        if let Some(pos) = self.pending.iter().rposition(|b| *b == b'\n') {
            self.write_clean(pos + 1)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let n = self.pending.len();
        if n > 0 {
            self.write_clean(n)?;
        }
        self.inner.flush()
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
    fn table_measures_display_width_and_cuts_long_cells() {
        let mut t = Table::new(vec!["ID", "NAME", "NEXT"]);
        t.push(vec!["1".into(), "東京スシ 🍣".into(), "x".into()]);
        t.push(vec!["2".into(), "e\u{301}e\u{301}".into(), "y".into()]);
        t.push(vec!["3".into(), "\u{202E}abc\u{200B}".into(), "z".into()]);
        let out = t.render();
        // NEXT starts at the same column on every row
        let cols: Vec<usize> = out
            .lines()
            .map(|l| {
                let i = l.rfind(' ').unwrap() + 1;
                text::width(&l[..i])
            })
            .collect();
        assert!(cols.iter().all(|c| *c == cols[0]), "{out}");
        let mut t = Table::new(vec!["S"]);
        t.push(vec!["東".repeat(CELL_MAX)]);
        let out = t.render();
        let row = out.lines().nth(1).unwrap();
        assert!(text::width(row) <= CELL_MAX && row.ends_with('…'), "{row}");
        // CSV keeps the whole (cleaned) cell
        assert!(t.csv().unwrap().contains(&"東".repeat(CELL_MAX)));
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

    #[test]
    fn json_passes_the_guard_unchanged_and_decodes_to_the_same_text() {
        let hostile = vec![
            "a\u{1b}[31m\u{7f}\u{85}\u{9c}".to_string(),
            "zero\u{200B}\u{FEFF}\u{2066}\u{E0041}".to_string(),
            format!("Z{}", "\u{301}".repeat(30)),
            "line\u{2028}sep\ttab\r\n東京 👍".to_string(),
        ];
        let s = json(&hostile);
        assert_eq!(text::terminal_safe(&s), s);
        assert!(!s.chars().any(|c| text::is_unsafe(c) && c != '\n'), "{s}");
        // an astral character is a surrogate pair
        assert!(s.contains("\\udb40\\udc41"), "{s}");
        let back: Vec<String> = serde_json::from_str(&s).unwrap();
        assert_eq!(back, hostile);
    }

    #[test]
    fn a_safe_writer_cleans_whole_lines_and_says_so() {
        let mut w = SafeWriter::new(Vec::new());
        // a sequence and a character split across writes
        w.write_all(b"id,name\n1,Acme \x1b]0;ti").unwrap();
        w.write_all(b"tle\x07Corp \xe6\x9d").unwrap();
        w.write_all(b"\xb1\n2,plain\n3,last").unwrap();
        w.flush().unwrap();
        assert!(w.changes().get());
        assert_eq!(
            String::from_utf8(w.inner).unwrap(),
            "id,name\n1,Acme Corp 東\n2,plain\n3,last"
        );
        let mut w = SafeWriter::new(Vec::new());
        w.write_all("a,東京\n".as_bytes()).unwrap();
        w.flush().unwrap();
        assert!(!w.changes().get());
    }
}
