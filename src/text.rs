//! Making text from outside (customers, imports) safe to show in a terminal.
//!
//! Escape sequences (CSI, OSC, DCS and the like, 7-bit or C1), other C0 and C1 control
//! characters, bidirectional overrides and zero-width characters never reach the screen.
//! The stored text is never changed; only what is displayed is cleaned.

/// Clean text for one line: newlines and tabs become spaces.
pub fn one_line(s: &str) -> String {
    clean(s, false)
}

/// Clean text that may span lines: newlines are kept, tabs become spaces.
pub fn multi_line(s: &str) -> String {
    clean(s, true)
}

fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}'   // zero-width space/joiners, LRM, RLM
        | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
        | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
        | '\u{2066}'..='\u{2069}' // bidi isolates
        | '\u{061C}'              // Arabic letter mark
        | '\u{FEFF}'              // zero-width no-break space / BOM
        | '\u{00AD}'              // soft hyphen
    )
}

fn clean(s: &str, keep_newlines: bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            // C1 introducers of strings: DCS, SOS, OSC, PM, APC — skip to the terminator
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            // C1 CSI: skip parameters up to the final byte
            '\u{9b}' => skip_csi(&mut chars),
            '\n' if keep_newlines => out.push('\n'),
            '\r' if keep_newlines => {
                if chars.peek() != Some(&'\n') {
                    out.push('\n');
                }
            }
            '\n' | '\r' | '\t' => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            c if c.is_control() => out.push('\u{FFFD}'),
            c if is_invisible_format(c) => {}
            c => out.push(c),
        }
    }
    out
}

fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars>) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            break;
        }
    }
}

fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => break,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                break;
            }
            _ => {}
        }
    }
}

fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars>) {
    match chars.next() {
        Some('[') => skip_csi(chars),
        Some(']' | 'P' | 'X' | '^' | '_') => skip_string(chars),
        // intermediate bytes, then one final byte
        Some(c) if ('\u{20}'..='\u{2f}').contains(&c) => {
            for c in chars.by_ref() {
                if !('\u{20}'..='\u{2f}').contains(&c) {
                    break;
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_escape_sequences() {
        assert_eq!(one_line("a\u{1b}[31mred\u{1b}[0m b"), "ared b");
        // OSC 52 clipboard write, BEL- and ST-terminated
        assert_eq!(one_line("x\u{1b}]52;c;aGVsbG8=\u{7}y"), "xy");
        assert_eq!(one_line("x\u{1b}]0;title\u{1b}\\y"), "xy");
        assert_eq!(one_line("x\u{1b}Pq#0\u{1b}\\y"), "xy");
        assert_eq!(one_line("x\u{9b}2Jy"), "xy");
        assert_eq!(one_line("x\u{9d}52;c;AA\u{9c}y"), "xy");
        assert_eq!(one_line("x\u{1b}(By"), "xy");
    }

    #[test]
    fn controls_bidi_and_zero_width() {
        assert_eq!(one_line("a\u{7}b\u{0}c"), "a\u{FFFD}b\u{FFFD}c");
        assert_eq!(one_line("evil\u{202E}txt.exe"), "eviltxt.exe");
        assert_eq!(one_line("zero\u{200B}width"), "zerowidth");
        assert_eq!(one_line("two\nlines\r\nhere\ttab"), "two lines here tab");
        assert_eq!(multi_line("two\r\nlines\rold mac"), "two\nlines\nold mac");
        assert_eq!(one_line("Café 東京 👍"), "Café 東京 👍");
    }
}
