//! Making text from outside (customers, imports, mail) safe to show in a terminal.
//!
//! The stored text is never changed; only what is displayed is cleaned. The rules:
//!
//! - **Escape sequences are removed whole**, 7-bit and 8-bit: CSI (`ESC [`, U+009B), the
//!   control strings OSC (`ESC ]`, U+009D: window titles, OSC 52 clipboard writes, hyperlinks),
//!   DCS (`ESC P`, U+0090), SOS (`ESC X`, U+0098), PM (`ESC ^`, U+009E) and APC (`ESC _`,
//!   U+009F), and the short `ESC` sequences (`ESC c`, `ESC 7`, `ESC ( B`…).
//! - A control string ends at BEL, at ST (`ESC \` or U+009C), or where a terminal would abort
//!   it (another ESC or C1 control, CAN, SUB). **A string that does not end within
//!   [`STRING_MAX`] characters, or before the text does, is not taken as one**: only its
//!   introducer is removed and the rest is shown. A stray `ESC ]` in a mail therefore never
//!   hides the message after it; a real title or clipboard write, which is short and
//!   terminated, disappears whole.
//! - A CSI sequence is its parameter and intermediate bytes (0x20–0x3F) up to one final byte
//!   (0x40–0x7E). Any other character ends it early and is kept; more than [`CSI_MAX`]
//!   parameter bytes is not a sequence (only `ESC [` is removed).
//! - Every other C0 and C1 control and DEL becomes U+FFFD, a visible placeholder. Newlines
//!   (`\n`, `\r\n`, a lone `\r`, NEL, U+2028, U+2029) are kept by [`multi_line`] and become a
//!   space in [`one_line`]; a tab becomes a space.
//! - Bidirectional embeddings, overrides, isolates and marks, and zero-width and other
//!   invisible format characters are removed ([`is_hidden`]): they could reorder or hide what
//!   is on screen, and a terminal gives them no column.
//! - At most [`MAX_MARKS`] combining marks stay on one character: a "Zalgo" pile cannot grow a
//!   cell without bound.
//!
//! Wide (CJK, emoji) and combining characters keep their place: [`cut`] and [`fit`] measure
//! display width (the `unicode-width` crate, as ratatui does) and never split a grapheme.
//! [`one_line_max`] and [`lines_max`] read only as much of a long text as can be shown.

use unicode_segmentation::UnicodeSegmentation;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// A control string (OSC, DCS…) longer than this many characters is not taken as one.
pub const STRING_MAX: usize = 4096;
/// A CSI sequence with more parameter bytes than this is not taken as one.
pub const CSI_MAX: usize = 64;
/// Combining marks kept on one character; more are dropped.
pub const MAX_MARKS: usize = 8;

/// Clean text for one line: newlines and tabs become spaces.
pub fn one_line(s: &str) -> String {
    clean(s, ONE_LINE, usize::MAX, usize::MAX).text
}

/// Clean text that may span lines: newlines are kept (as `\n`), tabs become spaces.
pub fn multi_line(s: &str) -> String {
    clean(s, MULTI_LINE, usize::MAX, usize::MAX).text
}

/// The last line of defence for a whole output (a command's stdout, an error on stderr): what a
/// terminal could act on is removed as in [`multi_line`], but tabs and combining marks are left
/// as they are, so text cleaned before and JSON from [`crate::output::json`] pass unchanged.
pub fn terminal_safe(s: &str) -> String {
    clean(s, GUARD, usize::MAX, usize::MAX).text
}

/// [`one_line`], at most `cols` columns wide, ending in `…` when cut. Only the start of a long
/// text is read: a 10 MB subject costs what its first screenful does.
pub fn one_line_max(s: &str, cols: usize) -> String {
    let (input, short) = budget(s, cols, 1);
    let c = clean(input, ONE_LINE, cols.saturating_add(SLACK), 1);
    if short || c.stopped {
        ellipsize(&c.text, cols)
    } else {
        cut(&c.text, cols)
    }
}

/// The first `max_lines` lines of [`multi_line`], each at most `cols` columns wide; a cut line,
/// or the last line when more text follows, ends in `…`. Only the start of a long text is read.
pub fn lines_max(s: &str, max_lines: usize, cols: usize) -> Vec<String> {
    if max_lines == 0 {
        return Vec::new();
    }
    let (input, short) = budget(s, cols, max_lines);
    let c = clean(input, MULTI_LINE, cols.saturating_add(SLACK), max_lines);
    let mut lines: Vec<String> = c.text.lines().map(|l| cut(l, cols)).collect();
    if (short || c.stopped)
        && let Some(last) = lines.last_mut()
        && !last.ends_with('…')
    {
        *last = ellipsize(last, cols);
    }
    lines
}

/// Bidirectional controls, zero-width and other invisible format characters: removed from
/// what is shown.
pub fn is_hidden(c: char) -> bool {
    matches!(c,
        '\u{00AD}'                    // soft hyphen
        | '\u{034F}'                  // combining grapheme joiner
        | '\u{061C}'                  // Arabic letter mark
        | '\u{180E}'                  // Mongolian vowel separator
        | '\u{200B}'..='\u{200F}'     // zero-width space, non-joiner, joiner; LRM, RLM
        | '\u{202A}'..='\u{202E}'     // bidi embeddings and overrides
        | '\u{2060}'..='\u{2064}'     // word joiner, invisible operators
        | '\u{2065}'..='\u{2069}'     // (reserved), bidi isolates
        | '\u{206A}'..='\u{206F}'     // deprecated format characters
        | '\u{FEFF}'                  // zero-width no-break space, BOM
        | '\u{FFF9}'..='\u{FFFB}'     // interlinear annotation
        | '\u{1BCA0}'..='\u{1BCA3}'   // shorthand format controls
        | '\u{1D173}'..='\u{1D17A}'   // musical symbol format controls
        | '\u{E0000}'..='\u{E007F}'   // tags
    )
}

/// What a terminal could act on or hide: every C0 and C1 control, DEL, and [`is_hidden`].
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || is_hidden(c)
}

/// Display width in terminal columns, as ratatui measures it.
pub fn width(s: &str) -> usize {
    s.width()
}

/// At most `cols` columns of `s`, ending in `…` when cut; never splits a grapheme (a wide
/// character that does not fit is left out whole).
pub fn cut(s: &str, cols: usize) -> String {
    if s.width() <= cols {
        return s.to_string();
    }
    ellipsize(s, cols)
}

/// Exactly `cols` columns: [`cut`], then padded with spaces. For aligned columns.
pub fn fit(s: &str, cols: usize) -> String {
    let mut out = cut(s, cols);
    let w = out.width();
    out.extend(std::iter::repeat_n(' ', cols.saturating_sub(w)));
    out
}

/// `s`, padded with spaces to at least `cols` columns (never cut): `{:<cols}` by display width.
pub fn pad(s: &str, cols: usize) -> String {
    let mut out = s.to_string();
    out.extend(std::iter::repeat_n(' ', cols.saturating_sub(s.width())));
    out
}

/// The graphemes of `s` that fit in `cols - 1` columns, then `…`.
fn ellipsize(s: &str, cols: usize) -> String {
    if cols == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for g in s.graphemes(true) {
        let w = g.width();
        if used + w > cols - 1 {
            break;
        }
        used += w;
        out.push_str(g);
    }
    out.push('…');
    out
}

/// Extra columns cleaned beyond a limit, so the cut is made by graphemes afterwards.
const SLACK: usize = 8;

/// The start of `s` worth reading to fill `lines` lines of `cols` columns: plenty for escape
/// sequences and combining marks on the way, and never the whole of a 10 MB field. Whether it
/// is shorter than `s`.
fn budget(s: &str, cols: usize, lines: usize) -> (&str, bool) {
    let per_line = cols.saturating_mul(16).saturating_add(STRING_MAX);
    let max = per_line.saturating_mul(lines.max(1));
    if s.len() <= max {
        return (s, false);
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    (&s[..end], true)
}

#[derive(Debug, Clone, Copy)]
struct Mode {
    /// Keep line breaks (as `\n`); else they become a space.
    newlines: bool,
    /// Keep tabs; else they become a space.
    tabs: bool,
    /// At most MAX_MARKS combining marks on a character.
    cap_marks: bool,
    /// U+2028 and U+2029 are line breaks (else kept as they are).
    separators: bool,
}

const ONE_LINE: Mode = Mode {
    newlines: false,
    tabs: false,
    cap_marks: true,
    separators: true,
};
const MULTI_LINE: Mode = Mode {
    newlines: true,
    tabs: false,
    cap_marks: true,
    separators: true,
};
const GUARD: Mode = Mode {
    newlines: true,
    tabs: true,
    cap_marks: false,
    separators: false,
};

struct Cleaned {
    text: String,
    /// The text went on past the limits.
    stopped: bool,
}

/// What is written, line by line, within the limits.
struct Out {
    text: String,
    mode: Mode,
    max_cols: usize,
    max_lines: usize,
    col: usize,
    lines: usize,
    marks: usize,
    /// This line is past max_cols: the rest of it is skipped.
    line_over: bool,
    /// Past the last line: stop.
    done: bool,
    stopped: bool,
}

impl Out {
    fn push(&mut self, c: char) {
        if self.line_over {
            return;
        }
        match c.width() {
            Some(0) | None => {
                if self.mode.cap_marks {
                    if self.marks >= MAX_MARKS {
                        return;
                    }
                    self.marks += 1;
                }
            }
            Some(w) => {
                self.marks = 0;
                self.col += w;
            }
        }
        self.text.push(c);
        if self.col > self.max_cols {
            self.line_over = true;
            self.stopped = true;
            if !self.mode.newlines {
                self.done = true;
            }
        }
    }

    fn space(&mut self) {
        if !self.text.ends_with(' ') {
            self.push(' ');
        }
    }

    fn newline(&mut self, rest: &str) {
        if !self.mode.newlines {
            self.space();
            return;
        }
        if self.lines >= self.max_lines {
            self.done = true;
            self.stopped = !rest.trim_start().is_empty();
            return;
        }
        self.text.push('\n');
        self.lines += 1;
        self.col = 0;
        self.marks = 0;
        self.line_over = false;
    }
}

fn clean(s: &str, mode: Mode, max_cols: usize, max_lines: usize) -> Cleaned {
    let mut out = Out {
        text: String::with_capacity(s.len().min(1 << 16)),
        mode,
        max_cols,
        max_lines,
        col: 0,
        lines: 1,
        marks: 0,
        line_over: false,
        done: false,
        stopped: false,
    };
    let mut i = 0;
    while i < s.len() && !out.done {
        let Some(c) = s[i..].chars().next() else { break };
        let next = i + c.len_utf8();
        match c {
            '\u{1b}' => {
                i = skip_escape(s, next);
                continue;
            }
            '\u{9b}' => {
                i = skip_csi(s, next, next);
                continue;
            }
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => {
                i = skip_string(s, next);
                continue;
            }
            '\r' => {
                let next = if s[next..].starts_with('\n') { next + 1 } else { next };
                out.newline(&s[next..]);
                i = next;
                continue;
            }
            '\n' | '\u{85}' => out.newline(&s[next..]),
            '\u{2028}' | '\u{2029}' if mode.separators => out.newline(&s[next..]),
            '\t' if mode.tabs => out.push('\t'),
            '\t' => out.space(),
            c if c.is_control() => out.push('\u{FFFD}'),
            c if is_hidden(c) => {}
            c => out.push(c),
        }
        i = next;
    }
    Cleaned {
        text: out.text,
        stopped: out.stopped,
    }
}

/// After an ESC at `from`: where the text resumes.
fn skip_escape(s: &str, from: usize) -> usize {
    let Some(c) = s[from..].chars().next() else {
        return from;
    };
    let after = from + c.len_utf8();
    match c {
        '[' => skip_csi(s, after, after),
        ']' | 'P' | 'X' | '^' | '_' => skip_string(s, after),
        // nF: intermediate bytes, then one final byte
        '\u{20}'..='\u{2f}' => {
            let mut i = after;
            for d in s[after..].chars() {
                match d {
                    '\u{20}'..='\u{2f}' => i += 1,
                    '\u{30}'..='\u{7e}' => return i + 1,
                    _ => return i,
                }
            }
            i
        }
        // Fp, Fe, Fs: ESC and one character (ESC 7, ESC c, ESC M…)
        '\u{30}'..='\u{7e}' => after,
        // anything else is not part of a sequence: only the ESC goes
        _ => from,
    }
}

/// After a CSI introducer ending at `from`: parameters and intermediates up to a final byte.
/// `intro_end` is where the text resumes if this is not taken as a sequence.
fn skip_csi(s: &str, from: usize, intro_end: usize) -> usize {
    let mut i = from;
    for c in s[from..].chars() {
        match c {
            '\u{20}'..='\u{3f}' => {
                i += 1;
                if i - from > CSI_MAX {
                    return intro_end;
                }
            }
            '\u{40}'..='\u{7e}' => return i + 1,
            // aborted: what came is dropped, this character is read as usual
            _ => return i,
        }
    }
    i
}

/// After a control string's introducer ending at `from`: its end (BEL, ST, or an abort), or
/// `from` itself when it does not end within STRING_MAX characters (then only the introducer
/// goes, and the rest is shown).
fn skip_string(s: &str, from: usize) -> usize {
    for (j, c) in s[from..].char_indices().take(STRING_MAX) {
        let at = from + j;
        match c {
            '\u{7}' | '\u{9c}' => return at + c.len_utf8(),
            // CAN and SUB cancel a sequence
            '\u{18}' | '\u{1a}' => return at + 1,
            '\u{1b}' => {
                return if s[at + 1..].starts_with('\\') {
                    at + 2
                } else {
                    // another escape aborts the string; it is read next
                    at
                };
            }
            // a C1 control aborts it too
            '\u{80}'..='\u{9f}' => return at,
            _ => {}
        }
    }
    from
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_escape_sequences() {
        let cases: &[(&str, &str)] = &[
            ("a\u{1b}[31mred\u{1b}[0m b", "ared b"),
            // OSC 52 clipboard write, BEL- and ST-terminated
            ("x\u{1b}]52;c;aGVsbG8=\u{7}y", "xy"),
            ("x\u{1b}]52;c;aGVsbG8=\u{1b}\\y", "xy"),
            // window title, ST-terminated; a hyperlink around text keeps the text
            ("x\u{1b}]0;title\u{1b}\\y", "xy"),
            ("\u{1b}]8;;http://evil\u{1b}\\click\u{1b}]8;;\u{1b}\\", "click"),
            // DCS, SOS, PM, APC
            ("x\u{1b}Pq#0;2;0;0;0\u{1b}\\y", "xy"),
            ("x\u{1b}Xsos\u{1b}\\y", "xy"),
            ("x\u{1b}^pm\u{1b}\\y", "xy"),
            ("x\u{1b}_apc\u{1b}\\y", "xy"),
            // 8-bit forms
            ("x\u{9b}2Jy", "xy"),
            ("x\u{9d}52;c;AA\u{9c}y", "xy"),
            ("x\u{9d}0;t\u{7}y", "xy"),
            ("x\u{90}q\u{9c}y", "xy"),
            ("x\u{98}s\u{9c}y", "xy"),
            ("x\u{9e}p\u{9c}y", "xy"),
            ("x\u{9f}a\u{9c}y", "xy"),
            // short escapes: charset, reset, save cursor, keypad
            ("x\u{1b}(By", "xy"),
            ("x\u{1b}cy", "xy"),
            ("x\u{1b}7y", "xy"),
            ("x\u{1b}=y", "xy"),
            // CSI with private parameters and intermediates
            ("x\u{1b}[?1049hy", "xy"),
            ("x\u{1b}[0 qy", "xy"),
            ("x\u{1b}[38;2;255;0;0my", "xy"),
        ];
        for (input, want) in cases {
            assert_eq!(one_line(input), *want, "{input:?}");
            assert_eq!(multi_line(input), *want, "{input:?}");
            assert_eq!(terminal_safe(input), *want, "{input:?}");
        }
    }

    #[test]
    fn broken_and_unterminated_sequences_hide_nothing_else() {
        let cases: &[(&str, &str)] = &[
            // an ESC at the very end, or before a non-ASCII character
            ("abc\u{1b}", "abc"),
            ("a\u{1b}東京", "a東京"),
            ("a\u{1b}\nb", "a b"),
            // an OSC that never ends: only its introducer goes, the text after it shows
            (
                "Hi \u{1b}]0;pwned\nplease reset my password",
                "Hi 0;pwned please reset my password",
            ),
            ("x\u{9d}rest of the mail", "xrest of the mail"),
            // an OSC aborted by another escape: the string goes, the next sequence is read
            ("x\u{1b}]0;t\u{1b}[31my", "xy"),
            // cancelled by CAN
            ("x\u{1b}]0;t\u{18}y", "xy"),
            // a CSI cut short by a character that cannot be in one: that character stays
            ("a\u{1b}[12東京", "a東京"),
            ("a\u{1b}[", "a"),
            // a CSI with too many parameters is not one
            (
                &format!("a\u{1b}[{}mb", "1".repeat(100)),
                &format!("a{}mb", "1".repeat(100)),
            ),
            // an ESC ESC: the first goes, the second starts the sequence
            ("a\u{1b}\u{1b}[2Jb", "ab"),
        ];
        for (input, want) in cases {
            assert_eq!(one_line(input), *want, "{input:?}");
        }
        // a control string longer than STRING_MAX is not taken as one, even if it ends later
        let long = format!("x\u{1b}]52;c;{}\u{7}y", "A".repeat(STRING_MAX + 10));
        let shown = one_line(&long);
        assert!(shown.starts_with("x52;c;AAAA"), "{}", &shown[..20]);
        assert!(shown.ends_with("A\u{FFFD}y"));
        // one that ends within the limit goes whole
        let ok = format!("x\u{1b}]52;c;{}\u{7}y", "A".repeat(STRING_MAX - 10));
        assert_eq!(one_line(&ok), "xy");
    }

    #[test]
    fn controls_bidi_and_zero_width() {
        let cases: &[(&str, &str)] = &[
            ("a\u{7}b\u{0}c", "a\u{FFFD}b\u{FFFD}c"),
            ("del\u{7f}x", "del\u{FFFD}x"),
            ("c1\u{80}\u{85}\u{8d}\u{9c}x", "c1\u{FFFD} \u{FFFD}\u{FFFD}x"),
            ("ff\u{c}vt\u{b}", "ff\u{FFFD}vt\u{FFFD}"),
            ("evil\u{202E}txt.exe", "eviltxt.exe"),
            (
                "\u{202A}\u{202B}\u{202C}\u{202D}\u{2066}\u{2067}\u{2068}\u{2069}bidi",
                "bidi",
            ),
            ("\u{200E}\u{200F}\u{061C}marks", "marks"),
            ("zero\u{200B}width\u{200C}\u{200D}\u{2060}\u{FEFF}", "zerowidth"),
            ("soft\u{AD}hyphen", "softhyphen"),
            ("tag\u{E0001}\u{E0041}s", "tags"),
            ("two\nlines\r\nhere\ttab", "two lines here tab"),
            ("sep\u{2028}line\u{2029}para", "sep line para"),
            ("Café 東京 👍", "Café 東京 👍"),
        ];
        for (input, want) in cases {
            assert_eq!(one_line(input), *want, "{input:?}");
        }
        assert_eq!(multi_line("two\r\nlines\rold mac"), "two\nlines\nold mac");
        assert_eq!(multi_line("nel\u{85}ls\u{2028}x"), "nel\nls\nx");
        assert_eq!(multi_line("a\tb"), "a b");
        // the guard keeps tabs and U+2028, which JSON leaves unescaped
        assert_eq!(terminal_safe("a\tb\u{2028}c"), "a\tb\u{2028}c");
        assert_eq!(terminal_safe("a\r\nb\rc"), "a\nb\nc");
    }

    #[test]
    fn combining_marks_are_capped() {
        let e_acute = "e\u{301}";
        assert_eq!(one_line(e_acute), e_acute);
        // Vietnamese: two marks on one letter
        assert_eq!(one_line("ệ\u{300}"), "ệ\u{300}");
        let zalgo = format!("Z{}a", "\u{301}\u{316}".repeat(50));
        let shown = one_line(&zalgo);
        assert_eq!(shown.chars().count(), 1 + MAX_MARKS + 1);
        assert!(shown.starts_with('Z') && shown.ends_with('a'));
        assert_eq!(width(&shown), 2);
        // the guard leaves them
        assert_eq!(terminal_safe(&zalgo), zalgo);
    }

    #[test]
    fn cleaning_twice_changes_nothing() {
        let inputs = [
            "a\u{1b}[31mred\u{1b}[0m\tb\r\nc",
            "x\u{1b}]52;c;aGVsbG8=\u{7}y\u{202E}z",
            "Hi \u{1b}]0;unterminated",
            "\u{9d}\u{9d}\u{9b}",
            "東京 👍 e\u{301}",
        ];
        for s in inputs {
            let once = one_line(s);
            assert_eq!(one_line(&once), once, "{s:?}");
            assert_eq!(terminal_safe(&once), once, "{s:?}");
            let once = multi_line(s);
            assert_eq!(multi_line(&once), once, "{s:?}");
            assert_eq!(terminal_safe(&once), once, "{s:?}");
        }
    }

    #[test]
    fn nothing_unsafe_survives_any_mix() {
        // every control, every hidden character, with and without sequence introducers
        let mut s = String::new();
        for c in (0u32..0x20).chain(0x7f..0xa0).filter_map(char::from_u32) {
            s.push(c);
            s.push('x');
        }
        s.push_str("\u{202E}\u{2066}\u{200B}\u{FEFF}\u{1b}]52;c;QQ==");
        for f in [one_line, multi_line, terminal_safe] {
            let out = f(&s);
            assert!(!out.chars().any(|c| is_unsafe(c) && c != '\n' && c != '\t'), "{out:?}");
        }
        assert!(!one_line(&s).contains('\n'));
    }

    #[test]
    fn cut_and_fit_measure_columns() {
        let cases: &[(&str, usize, &str)] = &[
            ("hello", 5, "hello"),
            ("hello", 4, "hel…"),
            ("hello", 1, "…"),
            ("hello", 0, ""),
            // a wide character that does not fit is left out whole
            ("東京都", 6, "東京都"),
            ("東京都", 5, "東京…"),
            ("東京都", 4, "東…"),
            ("a東京", 4, "a東…"),
            // combining marks stay with their letter
            ("e\u{301}e\u{301}e\u{301}", 2, "e\u{301}…"),
            // an emoji sequence is not split
            ("👍🏽👍🏽", 3, "👍🏽…"),
            ("🇫🇷🇩🇪", 3, "🇫🇷…"),
        ];
        for (s, cols, want) in cases {
            let got = cut(s, *cols);
            assert_eq!(got, *want, "cut({s:?}, {cols})");
            assert!(width(&got) <= *cols);
            let fitted = fit(s, *cols);
            assert_eq!(width(&fitted), *cols, "fit({s:?}, {cols}) = {fitted:?}");
            assert!(fitted.starts_with(want));
        }
        assert_eq!(fit("東京", 5), "東京 ");
        assert_eq!(fit("東京都", 5), "東京…");
        assert_eq!(fit("東京都", 4), "東… ");
        assert_eq!(pad("東京", 6), "東京  ");
        assert_eq!(pad("東京", 3), "東京");
    }

    #[test]
    fn bounded_cleaning_reads_only_the_start() {
        assert_eq!(one_line_max("short \u{1b}[1mtext", 20), "short text");
        assert_eq!(one_line_max("a longer line of text", 10), "a longer …");
        assert_eq!(one_line_max("東京東京東京", 5), "東京…");
        let big = format!("Subject {}", "x".repeat(10 << 20));
        let start = std::time::Instant::now();
        let shown = one_line_max(&big, 80);
        assert_eq!(width(&shown), 80);
        assert!(shown.starts_with("Subject xxx") && shown.ends_with('…'));
        // no timing assertion; but the work is bounded by the budget, not the text
        let _ = start.elapsed();
        // 10 MB of escape sequences shows nothing, and says more follows
        let esc = "\u{1b}[0m".repeat(3 << 20);
        assert_eq!(one_line_max(&esc, 10), "…");

        assert_eq!(lines_max("a\nb\nc", 5, 10), vec!["a", "b", "c"]);
        // as str::lines: a last newline ends the last line, it does not start another
        assert_eq!(lines_max("a\n\nb\n", 5, 10), vec!["a", "", "b"]);
        assert!(lines_max("", 5, 10).is_empty());
        assert_eq!(lines_max("a\nb\nc\nd", 2, 10), vec!["a", "b…"]);
        assert_eq!(lines_max("a\nb\n\n", 2, 10), vec!["a", "b"]);
        assert_eq!(lines_max("0123456789abc\nx", 5, 10), vec!["012345678…", "x"]);
        assert_eq!(lines_max("one\r\n\u{1b}]52;c;QQ==\u{7}two", 5, 10), vec!["one", "two"]);
        let body = format!("first\n{}", "y".repeat(10 << 20));
        let lines = lines_max(&body, 6, 100);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0], "first");
        assert_eq!(width(&lines[1]), 100);
        assert!(lines_max("anything", 0, 10).is_empty());
    }
}
