//! The CSV importer (`tend::import::import_csv`) on an in-memory store: any bytes give a summary
//! or one clear input error, never a panic nor a database error; every row read is accounted
//! for (imported, updated, unchanged, rejected with a reason, or ignored); and importing the same
//! file again inserts nothing.
//!
//! The store holds a few accounts first (contacts, tickets and signals must name one).
//!
//! Input: one byte of options (kind in the low two bits; then strict, dry run, no account
//! creation), then the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tend::config::Config;
use tend::domain::import::Kind;
use tend::import::{CsvOptions, ImportError, Summary, import_csv};
use tend::store::Store;

const NOW: i64 = 1_750_000_000;

/// Accounts stored before the fuzzed import, so that contacts, tickets and signals (which must
/// name a known account) get past that check: short ids the fuzzer hits by chance, and the ids
/// the seed files name.
const ACCOUNTS: &str = "external_id,name,plan,mrr\n\
    1,One,pro,100\n2,Two,,\n3,Three,,\na,A,,\nb,B,,\nacme,Acme,,\nG-1,Globex,,\nS-1,Sun,,\nS-2,Sky,,\n\
    A-712f1c,R1,,\nA-e43bf7,R2,,\nA-0f3e88,R3,,\nA-c37cab,R4,,\nA-37f969,R5,,\nA-3c1a3f,R6,,\n\
    7590-VHVEG,T1,,\n5575-GNVDE,T2,,\n";

fn run(store: &Store, opts: &CsvOptions, config: &Config, csv: &[u8]) -> Result<Summary, ImportError> {
    let input: Box<dyn std::io::Read + Send> = Box::new(std::io::Cursor::new(csv.to_vec()));
    import_csv(store, input, "fuzz.csv", opts, config, NOW, &mut |_, _| {})
}

fn check(s: &Summary, opts: &CsvOptions) {
    assert_eq!(
        s.read,
        s.imported + s.updated + s.unchanged + s.rejected + s.ignored,
        "rows unaccounted for: {s:?}"
    );
    assert_eq!(s.rejects.len(), s.rejected);
    for r in &s.rejects {
        assert!(!r.reason.trim().is_empty(), "a row rejected without a reason: {r:?}");
    }
    let should_write = !opts.dry_run && !(opts.strict && s.rejected > 0);
    assert_eq!(s.written, should_write, "written is {} for {opts:?}", s.written);
    let mut rejects = Vec::new();
    s.write_rejects(&mut rejects).expect("the rejects file writes");
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, csv)) = data.split_first() else {
        return;
    };
    let kind = [Kind::Accounts, Kind::Contacts, Kind::Tickets, Kind::Signals][usize::from(flags & 3)];
    let mut opts = CsvOptions::new(kind);
    opts.strict = flags & 4 != 0;
    opts.dry_run = flags & 8 != 0;
    opts.create_accounts = flags & 16 == 0;
    let config = Config::default();
    let store = Store::open_in_memory("fuzz").expect("an in-memory store opens");
    let setup =
        run(&store, &CsvOptions::new(Kind::Accounts), &config, ACCOUNTS.as_bytes()).expect("the accounts import");
    assert_eq!((setup.imported, setup.rejected), (17, 0), "{setup:?}");

    let first = match run(&store, &opts, &config, csv) {
        Ok(s) => s,
        Err(ImportError::Input(message)) => {
            assert!(!message.trim().is_empty(), "an empty error message");
            return;
        }
        Err(e) => panic!("the import failed with more than an input error: {e:?}"),
    };
    check(&first, &opts);

    // the same file again: rows already stored are recognised, nothing new is inserted
    let second = run(&store, &opts, &config, csv).unwrap_or_else(|e| panic!("a second import failed: {e:?}"));
    check(&second, &opts);
    assert_eq!(second.read, first.read);
    if first.written {
        assert_eq!(
            second.imported, 0,
            "a second import inserted rows again:\nfirst {first:?}\nsecond {second:?}"
        );
    }
});
