//! Response templates (`tend::domain::template`): parsing a template file never panics; a parsed
//! template writes out and reads back the same; rendered with every value given it leaves no
//! placeholder unfilled; rendered with none it names every placeholder; and a reply turned back
//! into a template body (`generalise`) is valid template text that fills back to the reply.
//!
//! Input: the template file, then (after a NUL) a reply's text, then (after further NULs) the
//! values of the context fields, in `FIELDS` order.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tend::domain::template::{self, Context, FIELDS, Piece, Template};

fn placeholders(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in template::pieces(text).expect("a parsed template's text splits into pieces") {
        if let Piece::Placeholder(n) = p {
            if !out.contains(&n) {
                out.push(n);
            }
        }
    }
    out
}

fn fill(text: &str, ctx: &Context) -> String {
    let t = Template {
        slug: "x".into(),
        name: "x".into(),
        used_for: template::Use::Other("general".into()),
        subject: String::new(),
        body: text.to_string(),
        blanks: Vec::new(),
        source: "fuzz".into(),
    };
    t.render(ctx).body
}

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let mut parts = input.split('\0');
    let file = parts.next().unwrap_or_default();
    let reply = parts.next().unwrap_or_default();
    let values: Vec<&str> = parts.collect();

    if let Ok(t) = Template::parse("fuzz", "fuzz.tmpl", file) {
        // written out and read back, the template is the same
        let again = Template::parse("fuzz", "fuzz.tmpl", &t.to_file())
            .unwrap_or_else(|e| panic!("a parsed template does not read back: {e}\n{}", t.to_file()));
        assert_eq!(again, t, "the template changed on a round trip through its file form");

        // every value given: nothing is left to fill
        let mut full = Context::default();
        for (i, (f, _)) in FIELDS.iter().enumerate() {
            full.set(f, format!("<value {i}>"));
        }
        for (i, b) in t.blanks.iter().enumerate() {
            full.set(b, format!("<blank {i}>"));
        }
        let r = t.render(&full);
        assert!(
            r.unfilled.is_empty(),
            "unfilled with every value given: {:?}",
            r.unfilled
        );
        for text in [(&r.subject, &t.subject), (&r.body, &t.body)] {
            let (rendered, source) = text;
            for n in FIELDS
                .iter()
                .map(|(f, _)| *f)
                .chain(t.blanks.iter().map(String::as_str))
            {
                // a `{name}` left in the output can only be a literal `{{name}` of the template
                if rendered.contains(&format!("{{{n}}}")) {
                    assert!(
                        source.contains(&format!("{{{{{n}}}")),
                        "{{{n}}} was left unfilled in {rendered:?}"
                    );
                }
            }
        }
        // no value given: every placeholder is named as unfilled
        let r = t.render(&Context::default());
        let mut want = placeholders(&t.subject);
        for n in placeholders(&t.body) {
            if !want.contains(&n) {
                want.push(n);
            }
        }
        assert_eq!(r.unfilled, want);
        let _ = t.draft(&full);
    }

    // a reply made general again is template text that fills back to the reply
    let mut ctx = Context::default();
    for ((f, _), v) in FIELDS.iter().zip(&values) {
        ctx.set(f, *v);
    }
    let general = ctx.generalise(reply);
    let pieces = template::pieces(&general)
        .unwrap_or_else(|(l, e)| panic!("generalise made invalid template text (line {l}: {e}): {general:?}"));
    for p in pieces {
        if let Piece::Placeholder(n) = p {
            assert!(template::is_field(&n), "generalise made an unknown placeholder {{{n}}}");
        }
    }
    assert_eq!(
        fill(&general, &ctx),
        reply,
        "generalise then fill changed the reply: {general:?}"
    );
});
