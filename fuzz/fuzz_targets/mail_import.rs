//! The mail importer (`tend::mail::import_mail`): the input is written as an mbox file, or as one
//! message of a Maildir, and imported for real (mail-parser, threading, the store) into an
//! in-memory store. Any bytes give a summary, or for an mbox without a "From " line the one
//! error that says so, never a panic; every message is imported, known already, a duplicate, or
//! skipped with a reason; importing the same mailbox again stores no message twice.
//!
//! Input: one byte (bit 0: Maildir rather than mbox), then the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;
use tend::config::Config;
use tend::mail::{MailOptions, MailSummary, Source, import_mail};
use tend::store::Store;

const NOW: i64 = 1_750_000_000;

/// A scratch folder of this process (libFuzzer runs one input at a time per process).
fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("tend-fuzz-mail-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("maildir/cur")).expect("the scratch folder is made");
        dir
    })
}

fn check(s: &MailSummary) {
    assert_eq!(
        s.messages,
        s.imported + s.already + s.duplicates + s.skipped.len(),
        "messages unaccounted for: {s:?}"
    );
    for k in &s.skipped {
        assert!(!k.reason.trim().is_empty(), "a message skipped without a reason: {k:?}");
    }
    assert!(s.written);
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, raw)) = data.split_first() else {
        return;
    };
    let dir = scratch();
    let (source, path) = if flags & 1 == 0 {
        let path = dir.join("fuzz.mbox");
        std::fs::write(&path, raw).expect("the mbox is written");
        (Source::Mbox, path)
    } else {
        std::fs::write(dir.join("maildir/cur/1750000000.M1P1.fuzz:2,S"), raw).expect("the message is written");
        (Source::Maildir, dir.join("maildir"))
    };
    let opts = MailOptions {
        support: vec!["support@ourco.com".into(), "@apache.org".into()],
        create_accounts: flags & 2 == 0,
        closed_after_days: 14,
        dry_run: false,
    };
    let config = Config::default();
    let store = Store::open_in_memory("fuzz").expect("an in-memory store opens");
    let first = match import_mail(&store, source, &path, &opts, &config, NOW, &mut |_| {}) {
        Ok(s) => s,
        Err(e) => {
            let message = format!("{e:#}");
            assert!(
                source == Source::Mbox && message.contains("holds no messages"),
                "the mail import failed: {message}"
            );
            return;
        }
    };
    check(&first);
    assert_eq!(first.already, 0);

    // the same mailbox again: what was stored is known, and only what was skipped may go in now
    let second = import_mail(&store, source, &path, &opts, &config, NOW, &mut |_| {})
        .unwrap_or_else(|e| panic!("a second mail import failed: {e:#}"));
    check(&second);
    assert_eq!(second.messages, first.messages);
    assert_eq!(second.duplicates, first.duplicates);
    assert_eq!(
        second.already, first.imported,
        "a second import did not know every stored message:\nfirst {first:?}\nsecond {second:?}"
    );
    assert!(
        second.imported <= first.skipped.len(),
        "a second import stored messages again:\nfirst {first:?}\nsecond {second:?}"
    );
});
