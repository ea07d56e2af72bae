//! The investigation answers file (TOML): reading it returns the answers or an error, never a
//! panic; answers that were read evaluate, print as Markdown with the method's eight-row table,
//! and come back the same when written out as TOML and read again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tend::domain::investigation::{self, parse_answers};

const NOW: i64 = 1_750_000_000;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return; // the CLI reads the file as UTF-8 text and says so when it is not
    };
    let a = match parse_answers(text) {
        Ok(a) => a,
        Err(e) => {
            assert!(!e.trim().is_empty(), "an empty error message for {text:?}");
            return;
        }
    };
    let missing = investigation::missing(&a);
    for health in [None, Some(0), Some(100)] {
        let o = investigation::evaluate(&a, health, NOW);
        assert_eq!(o.table.len(), 8);
        if missing.is_empty() {
            assert!(o.priority.is_some(), "complete answers without a priority: {a:?}");
        }
        let md = investigation::markdown("fuzz", &a, &o);
        // the table: its header, the rule and eight rows, however the cells are written
        let rows = md.lines().filter(|l| l.starts_with('|')).count();
        assert_eq!(rows, 10, "the output table is broken:\n{md}");
    }
    let written = toml::to_string(&a).expect("answers serialise");
    let again = parse_answers(&written).unwrap_or_else(|e| panic!("written answers do not read back: {e}\n{written}"));
    assert_eq!(again, a, "the answers changed on a round trip through TOML");
});
