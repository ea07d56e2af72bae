//! The terminal sanitiser (`tend::text`): whatever comes in, what goes out holds no escape
//! sequence, no control character (but `\n` from `multi_line`), no bidi override or zero-width
//! character; cleaning twice is cleaning once; and text with nothing to clean is left as it is.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tend::text::{multi_line, one_line};

/// Characters that must never reach the terminal from outside text.
fn forbidden(c: char, keep_newlines: bool) -> bool {
    if c == '\n' {
        return !keep_newlines;
    }
    c.is_control() // C0 (ESC among them), DEL, C1
        || matches!(c,
            '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{061C}'
            | '\u{FEFF}'
            | '\u{00AD}')
}

fn check(input: &str, keep_newlines: bool) {
    let clean = |s: &str| if keep_newlines { multi_line(s) } else { one_line(s) };
    let which = if keep_newlines { "multi_line" } else { "one_line" };
    let out = clean(input);
    if let Some(c) = out.chars().find(|c| forbidden(*c, keep_newlines)) {
        panic!("{which} left {c:?} in {out:?} (from {input:?})");
    }
    assert_eq!(clean(&out), out, "{which} is not idempotent on {input:?}");
    // text with nothing to clean passes through unchanged
    if !input
        .chars()
        .any(|c| forbidden(c, keep_newlines) || c == '\t' || c == '\r')
    {
        assert_eq!(out, input, "{which} changed clean text");
    }
}

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    check(&s, false);
    check(&s, true);
});
