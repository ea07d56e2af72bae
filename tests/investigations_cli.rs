//! End-to-end tests of the Intent-First investigation features of the `tend` binary:
//! `tend investigate new`, `tend investigations list` and the `tend report` Markdown reports,
//! each on its own temporary database and configuration, with a frozen clock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use std::path::{Path, PathBuf};

mod common;
use common::assert_runtime_error;

/// The frozen clock every command runs at, unless a test moves it.
const NOW: &str = "2026-11-22T10:00";

/// The Today list of the demo data holds about 90 items and puts tasks last; this height shows
/// them all (at 60 rows the list pane scrolls before it reaches the tasks).
const TALL: &str = "250";

/// The answers of the golden investigation: High / Medium / High / High scalability / needs
/// improvement, notes with a `|`, a newline and a follow-up plan.
const GOLDEN_ANSWERS: &str = r#"situation = "support-request"
goal = "Export invoices to their accounting system"
business_result = "Close the books on time each month"
broader_success = "Finance trusts the numbers | no manual re-keying"
resolution_customer = "Invoices arrive in the accounting system by themselves"
customer_impact = "high"
relationship_impact = "medium"
scalability = "high"
resource_efficiency = "high"
process_fit = "needs-improvement"

[notes]
customer_impact = "Blocks month-end | finance team waits"
relationship_impact = """Champion is patient,
but the CFO is watching"""
process_fit = "The export SOP has no accounting step"
follow_up = "Call the finance lead"

[assessments]
success_metrics = "Invoices synced | zero manual exports"
"#;

/// The temporary home every test runs in (tests/common), at `NOW` by default.
type Tend = common::Home;

impl Tend {
    fn with_demo() -> Tend {
        Tend::demo(NOW)
    }

    /// An answers file in the temporary home.
    fn answers(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// `investigate new --ticket/--account ID --answers FILE`; returns the new id and stdout.
    fn investigate(&self, target: &str, id: i64, answers: &Path) -> (i64, String) {
        let id = id.to_string();
        let out = self.ok(&[
            "investigate",
            "new",
            target,
            &id,
            "--answers",
            answers.to_str().unwrap(),
        ]);
        let new: i64 = out
            .strip_prefix("Investigation ")
            .and_then(|r| r.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("unexpected output of investigate new: {out}"));
        (new, out)
    }

    fn investigations(&self) -> Vec<Value> {
        self.json(&["investigations", "list", "--format", "json"])
            .as_array()
            .unwrap()
            .clone()
    }

    fn investigation(&self, id: i64) -> Value {
        self.investigations()
            .into_iter()
            .find(|i| i["id"] == id)
            .unwrap_or_else(|| panic!("investigation {id} is not listed"))
    }

    /// The answers as saved, from `investigations list --format json`.
    fn saved_answers(&self, id: i64) -> Value {
        serde_json::from_str(self.investigation(id)["answers"].as_str().unwrap()).unwrap()
    }

    fn report(&self, id: i64) -> String {
        self.ok(&["report", "investigation", &id.to_string()])
    }

    fn account(&self, id: i64) -> Value {
        self.json(&["accounts", "show", &id.to_string(), "--format", "json"])
    }

    /// Every ticket of an account, closed ones too.
    fn account_tickets(&self, id: i64) -> Vec<Value> {
        self.json(&[
            "tickets",
            "list",
            "--all",
            "--account",
            &id.to_string(),
            "--format",
            "json",
        ])
        .as_array()
        .unwrap()
        .clone()
    }

    fn account_of_ticket(&self, ticket: i64) -> i64 {
        self.json(&["tickets", "show", &ticket.to_string(), "--format", "json"])["account_id"]
            .as_i64()
            .unwrap()
    }

    /// The score of an account's health snapshot on `day`.
    fn snapshot(&self, account: i64, day: &str) -> u64 {
        let h = self.json(&["health", "history", &account.to_string(), "--format", "json"]);
        h.as_array()
            .unwrap()
            .iter()
            .find(|s| s["day"] == day)
            .unwrap_or_else(|| panic!("no snapshot on {day}: {h}"))["score"]
            .as_u64()
            .unwrap()
    }
}

/// A complete answers file with these ratings (customer, relationship, efficiency, fit).
fn rated(customer: &str, relationship: &str, efficiency: &str, fit: &str, extra: &str) -> String {
    format!(
        "situation = \"adoption-issue\"\n\
         goal = \"Roll the reports out to every team\"\n\
         business_result = \"Weekly reporting without spreadsheets\"\n\
         customer_impact = \"{customer}\"\n\
         relationship_impact = \"{relationship}\"\n\
         scalability = \"medium\"\n\
         resource_efficiency = \"{efficiency}\"\n\
         process_fit = \"{fit}\"\n\
         {extra}"
    )
}

/// A minimal-intervention answers file: the quick filter as given, a debt entry's fields.
fn quick(filter: &str, pattern: &str) -> String {
    rated(
        "high",
        "high",
        "high",
        "needs-improvement",
        &format!(
            "quick_filter = [{filter}]\n\
             workaround = \"Export one month at a time\"\n\
             why_deferred = \"The exporter rewrite is planned for Q1\"\n\
             pattern = \"{pattern}\"\n"
        ),
    )
}

/// The value after `- **label:** ` on its line of a report.
fn field<'a>(report: &'a str, label: &str) -> &'a str {
    let prefix = format!("- **{label}:** ");
    report
        .lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .unwrap_or_else(|| panic!("no {label} line in:\n{report}"))
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[test]
fn report_investigation_matches_the_golden_markdown() {
    let t = Tend::with_demo();
    let answers = t.answers("golden.toml", GOLDEN_ANSWERS);
    let (id, out) = t.investigate("--ticket", 1, &answers);
    assert_eq!(id, 1, "{out}");
    assert!(out.contains("priority High;"), "{out}");
    assert!(out.contains("Follow-up task due 2026-11-29."), "{out}");
    let got = t.report(1);
    let golden_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/investigation.md");
    let want =
        std::fs::read_to_string(&golden_path).unwrap_or_else(|e| panic!("cannot read {}: {e}", golden_path.display()));
    assert!(
        got == want,
        "`report investigation 1` differs from {}\n--- expected ---\n{want}\n--- got ---\n{got}\n--- end ---",
        golden_path.display()
    );

    // what the golden file must say, whatever it was generated from
    assert!(
        got.starts_with("# Intent-First investigation: Summit Health, ticket #1\n"),
        "{got}"
    );
    assert!(got.contains("\n**Priority:** High\n"), "{got}");
    let rows: Vec<&str> = got
        .lines()
        .skip_while(|l| *l != "| Factor | Assessment | Notes |")
        .skip(2)
        .take_while(|l| l.starts_with("| "))
        .collect();
    let factors: Vec<&str> = rows
        .iter()
        .map(|r| r.trim_start_matches("| ").split(" | ").next().unwrap())
        .collect();
    assert_eq!(
        factors,
        [
            "Customer Impact",
            "Relationship Impact",
            "Resource Efficiency",
            "Process Fit",
            "Business Outcome Connection",
            "Recommended Approach",
            "Success Metrics",
            "Follow-up Plan"
        ],
        "{got}"
    );
    assert!(
        got.contains("| Customer Impact | High | Blocks month-end \\| finance team waits |"),
        "{got}"
    );
    assert!(
        got.contains("| Relationship Impact | Medium | Champion is patient, but the CFO is watching |"),
        "{got}"
    );
    assert!(
        got.contains("| Success Metrics | Invoices synced \\| zero manual exports |"),
        "{got}"
    );
    assert!(
        got.contains("| Follow-up Plan | Check in on 2026-11-29 | Call the finance lead |"),
        "{got}"
    );
    assert!(
        got.contains(
            "- **How it relates to their broader success:** Finance trusts the numbers \\| no manual re-keying"
        ),
        "{got}"
    );
    assert!(
        got.contains("\n## Codebase first\n\n- [ ] Use existing processes first\n"),
        "{got}"
    );
}

#[test]
fn the_context_is_prefilled_from_the_account_and_its_tickets() {
    let t = Tend::with_demo();
    let answers = t.answers("a.toml", &rated("high", "medium", "high", "needs-improvement", ""));
    for ticket in [1, 138] {
        let account = t.account_of_ticket(ticket);
        let shown = t.account(account);
        let stage = shown["account"]["stage"].as_str().unwrap().to_string();
        let score = shown["account"]["score"].as_u64().unwrap();
        let tier = shown["account"]["tier"].as_str().unwrap().to_string();
        let open = shown["account"]["open_tickets"].as_u64().unwrap();
        let tickets = t.account_tickets(account);
        let newest = tickets.iter().max_by_key(|x| x["opened_at"].as_i64().unwrap()).unwrap()["id"]
            .as_i64()
            .unwrap();

        let (id, _) = t.investigate("--ticket", ticket, &answers);
        let report = t.report(id);
        assert_eq!(
            field(&report, "Journey"),
            format!("{} stage; health {score} ({})", capitalised(&stage), capitalised(&tier)),
            "{report}"
        );
        let history = field(&report, "Relationship history");
        assert!(
            history.starts_with(&format!("{} tickets ({open} open); recent: ", tickets.len())),
            "{history}"
        );
        assert!(history.contains(&format!("#{newest} ")), "{history}");
        assert!(history.contains(&format!("#{ticket} ")), "{history}");
        assert!(history.ends_with("; 0 past investigation(s)"), "{history}");
        assert!(
            field(&report, "Existing processes").contains("the ticket SOP"),
            "{report}"
        );
        // saved as prefilled
        let saved = t.saved_answers(id);
        assert_eq!(saved["journey"], field(&report, "Journey"));
        assert_eq!(saved["history"], history);
    }

    // a second investigation of the same account counts the first
    let (id, _) = t.investigate("--ticket", 1, &answers);
    assert!(field(&t.report(id), "Relationship history").ends_with("; 1 past investigation(s)"));

    // the user's own text is kept
    let own = t.answers(
        "own.toml",
        &rated(
            "high",
            "medium",
            "high",
            "needs-improvement",
            "journey = \"Stuck in rollout since October\"\n\
             history = \"Long-standing customer, two escalations\"\n\
             processes = \"The rollout playbook\"\n",
        ),
    );
    let (id, _) = t.investigate("--ticket", 1, &own);
    let report = t.report(id);
    assert_eq!(field(&report, "Journey"), "Stuck in rollout since October");
    assert_eq!(
        field(&report, "Relationship history"),
        "Long-standing customer, two escalations"
    );
    assert_eq!(field(&report, "Existing processes"), "The rollout playbook");
    assert_eq!(t.saved_answers(id)["journey"], "Stuck in rollout since October");
}

#[test]
fn incomplete_or_invalid_answers_are_refused_and_nothing_is_saved() {
    let t = Tend::with_demo();
    let only_goal = t.answers("only-goal.toml", "goal = \"Export invoices\"\n");
    let err = t.fails(
        &[
            "investigate",
            "new",
            "--ticket",
            "1",
            "--answers",
            only_goal.to_str().unwrap(),
        ],
        1,
    );
    assert_runtime_error(&err, "only-goal.toml");
    assert_runtime_error(
        &err,
        "situation, business_result, customer_impact, relationship_impact, scalability, resource_efficiency, process_fit",
    );

    let good = rated("high", "medium", "high", "needs-improvement", "");
    let huge = t.answers(
        "huge.toml",
        &good.replace("customer_impact = \"high\"", "customer_impact = \"huge\""),
    );
    let err = t.fails(
        &[
            "investigate",
            "new",
            "--account",
            "1",
            "--answers",
            huge.to_str().unwrap(),
        ],
        1,
    );
    assert_runtime_error(&err, "huge.toml");
    assert_runtime_error(&err, "huge");

    let unknown = t.answers("unknown.toml", &format!("{good}colour = \"red\"\n"));
    let err = t.fails(
        &[
            "investigate",
            "new",
            "--account",
            "1",
            "--answers",
            unknown.to_str().unwrap(),
        ],
        1,
    );
    assert_runtime_error(&err, "unknown.toml");
    assert_runtime_error(&err, "colour");

    let unknown_note = t.answers("note.toml", &format!("{good}[notes]\nmood = \"grim\"\n"));
    let err = t.fails(
        &[
            "investigate",
            "new",
            "--account",
            "1",
            "--answers",
            unknown_note.to_str().unwrap(),
        ],
        1,
    );
    assert_runtime_error(&err, "mood");

    let fine = t.answers("fine.toml", &good);
    let err = t.fails(
        &[
            "investigate",
            "new",
            "--account",
            "999",
            "--answers",
            fine.to_str().unwrap(),
        ],
        1,
    );
    assert_runtime_error(&err, "account 999");
    let err = t.fails(
        &[
            "investigate",
            "new",
            "--ticket",
            "99999",
            "--answers",
            fine.to_str().unwrap(),
        ],
        1,
    );
    assert_runtime_error(&err, "ticket 99999");
    let err = t.fails(&["investigate", "new", "--answers", fine.to_str().unwrap()], 2);
    assert!(err.contains("--ticket"), "{err}");
    let err = t.fails(
        &["investigate", "new", "--account", "1", "--answers", "missing.toml"],
        1,
    );
    assert_runtime_error(&err, "missing.toml");

    assert_eq!(
        t.json(&["investigations", "list", "--format", "json"]),
        Value::Array(vec![])
    );
    assert!(t.ok(&["report", "debt"]).contains("\nNo entries yet.\n"));
    assert!(t.ok(&["report", "outcomes"]).contains("\nNo investigations yet.\n"));
    let err = t.fails(&["report", "investigation", "1"], 1);
    assert_runtime_error(&err, "investigation 1");
}

#[test]
fn the_five_rows_of_the_matrix_give_their_priorities() {
    let t = Tend::with_demo();
    let rows = [
        ("high", "high", "high", "needs-improvement", "critical"),
        ("high", "medium", "high", "needs-improvement", "high"),
        ("medium", "high", "high", "needs-improvement", "medium"),
        ("high", "high", "low", "needs-improvement", "escalate"),
        ("low", "low", "medium", "adequate", "standard"),
    ];
    let mut ids = Vec::new();
    for (n, (c, r, e, f, _)) in rows.iter().enumerate() {
        let answers = t.answers(&format!("row{n}.toml"), &rated(c, r, e, f, ""));
        let (id, out) = t.investigate("--account", n as i64 + 1, &answers);
        ids.push((id, out));
    }
    let list = t.investigations();
    assert_eq!(list.len(), 5);
    for ((id, out), (c, r, e, f, want)) in ids.iter().zip(rows) {
        let listed = t.investigation(*id);
        assert_eq!(listed["priority"], want, "{c}/{r}/{e}/{f}: {listed}");
        assert_eq!(listed["status"], "open");
        assert!(
            out.contains(&format!("priority {};", capitalised(want))),
            "{c}/{r}/{e}/{f}: {out}"
        );
        let report = t.report(*id);
        assert!(
            report.contains(&format!("\n**Priority:** {}\n", capitalised(want))),
            "{report}"
        );
        let codebase_first = report.contains("Codebase first");
        assert_eq!(
            codebase_first,
            want == "critical" || want == "high",
            "{want}: codebase-first checklist shown: {codebase_first}\n{report}"
        );
    }
    let table = t.ok(&["investigations", "list"]);
    assert!(table.starts_with("ID  PRIORITY"), "{table}");
    for label in ["Critical", "High", "Medium", "Escalate", "Standard"] {
        assert!(table.contains(label), "{table}");
    }
    let one = t.json(&["investigations", "list", "--account", "2", "--format", "json"]);
    assert_eq!(one.as_array().unwrap().len(), 1, "{one}");
    assert_eq!(one[0]["priority"], "high");
    let csv = t.ok(&["investigations", "list", "--format", "csv"]);
    assert_eq!(csv.lines().count(), 6, "{csv}");
}

#[test]
fn the_quick_filter_logs_cs_debt() {
    let t = Tend::with_demo();
    let all = t.answers(
        "all.toml",
        &quick("true, true, true, true, true", "CSV export timeouts"),
    );
    let (first, out) = t.investigate("--ticket", 133, &all);
    assert!(out.contains("priority Standard;"), "{out}");
    assert!(out.contains("Minimal intervention: added to the CS debt log"), "{out}");
    assert_eq!(t.investigation(first)["priority"], "standard");
    let report = t.report(first);
    assert!(
        report.contains("\n**Priority:** Standard (quick filter: minimal intervention)\n"),
        "{report}"
    );
    assert!(!report.contains("Codebase first"), "{report}");

    let account = t.account_of_ticket(133);
    let name = t.account(account)["account"]["name"].as_str().unwrap().to_string();
    let subject = t.json(&["tickets", "show", "133", "--format", "json"])["subject"]
        .as_str()
        .unwrap()
        .to_string();
    let debt = t.ok(&["report", "debt"]);
    let entry = format!(
        "## 2026-11-22 — #133 {subject}\n\n\
         - **Date:** 2026-11-22\n\
         - **Account:** {name}\n\
         - **Issue:** #133 {subject}\n\
         - **Workaround:** Export one month at a time\n\
         - **Why deferred:** The exporter rewrite is planned for Q1\n\
         - **Pattern:** CSV export timeouts (seen 1 time)\n"
    );
    assert!(debt.starts_with("# CS debt log\n"), "{debt}");
    assert!(debt.contains(&entry), "expected:\n{entry}\nin:\n{debt}");

    // four of five: the matrix decides, and no debt entry
    let four = t.answers(
        "four.toml",
        &quick("true, true, true, false, true", "CSV export timeouts"),
    );
    let (id, out) = t.investigate("--account", 2, &four);
    assert!(!out.contains("CS debt"), "{out}");
    assert_eq!(t.investigation(id)["priority"], "critical");
    assert_eq!(
        t.ok(&["report", "debt"]),
        debt,
        "four of five checks added a debt entry"
    );

    // the same pattern again (in other case): both entries say seen 2 times
    let again = t.answers(
        "again.toml",
        &quick("true, true, true, true, true", "csv export TIMEOUTS"),
    );
    t.investigate("--account", 3, &again);
    let debt = t.ok(&["report", "debt"]);
    assert_eq!(debt.matches("## 2026-11-22 — ").count(), 2, "{debt}");
    assert_eq!(debt.matches("(seen 2 times)").count(), 2, "{debt}");
    assert!(!debt.contains("(seen 1 time)"), "{debt}");
    assert!(
        debt.contains("- **Issue:** Roll the reports out to every team\n"),
        "an account's entry names the goal: {debt}"
    );

    // another pattern is counted apart
    let other = t.answers("other.toml", &quick("true, true, true, true, true", "Dark mode"));
    t.investigate("--account", 4, &other);
    let debt = t.ok(&["report", "debt"]);
    assert_eq!(debt.matches("(seen 2 times)").count(), 2, "{debt}");
    assert_eq!(
        debt.matches("- **Pattern:** Dark mode (seen 1 time)\n").count(),
        1,
        "{debt}"
    );
}

#[test]
fn a_saved_investigation_schedules_its_follow_up_task() {
    let t = Tend::with_demo();
    let answers = t.answers("golden.toml", GOLDEN_ANSWERS);
    let (id, out) = t.investigate("--ticket", 1, &answers);
    assert!(out.contains("Follow-up task due 2026-11-29."), "{out}");
    let account = t.account_of_ticket(1).to_string();
    let title = format!("Follow up on investigation {id}: Call the finance lead");

    let today = |now: &str| t.ok_at(now, &["screen", "today", "--width", "120", "--height", TALL]);
    let before = today("2026-11-28T10:00");
    assert!(
        !before.contains("Follow up on investigation"),
        "listed before it is due:\n{before}"
    );
    let due = today("2026-11-29T10:00");
    assert!(
        due.contains(&format!("TASK      {title} (due 2026-11-29)")),
        "not listed on its day:\n{due}"
    );

    let detail = t.ok(&[
        "screen", "accounts", "--select", &account, "--width", "120", "--height", "60",
    ]);
    let tasks = detail
        .lines()
        .skip_while(|l| !l.contains("Tasks ("))
        .take(3)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(tasks.contains("Tasks (1)"), "{detail}");
    assert!(tasks.contains(&format!("2026-11-29 {title}")), "{detail}");
}

#[test]
fn report_outcomes_shows_the_health_14_and_30_days_later() {
    let t = Tend::with_demo();
    let answers = t.answers("a.toml", &rated("high", "medium", "high", "needs-improvement", ""));
    let (id, _) = t.investigate("--account", 1, &answers);
    let start = t.investigation(id)["health_at_start"].as_u64().unwrap();
    assert_eq!(start, t.account(1)["account"]["score"].as_u64().unwrap());
    let name = t.account(1)["account"]["name"].as_str().unwrap().to_string();
    let row_start = format!("| {id} | {name} | 2026-11-22 | {start} | ");
    let row = |report: &str| -> String {
        report
            .lines()
            .find(|l| l.starts_with(&row_start))
            .unwrap_or_else(|| panic!("no row starting {row_start:?} in:\n{report}"))
            .to_string()
    };
    let change = |v: u64| format!("{v} ({:+})", v as i64 - start as i64);

    let report = t.ok(&["report", "outcomes"]);
    assert!(report.starts_with("# Intervention outcomes\n"), "{report}");
    assert!(
        report.contains(": Resolve this week with an improved process\n\n| # | Account |"),
        "{report}"
    );
    assert_eq!(row(&report), format!("{row_start}not yet | not yet |"));
    assert!(!report.contains("Average health change"), "{report}");

    t.ok_at("2026-12-06T10:00", &["health", "recompute"]);
    let after_14 = t.snapshot(1, "2026-12-06");
    let report = t.ok_at("2026-12-06T10:00", &["report", "outcomes"]);
    assert_eq!(
        row(&report),
        format!("{row_start}{} | not yet |", change(after_14)),
        "{report}"
    );
    assert!(
        report.contains(&format!(
            "Average health change: {:+.1} over 1 investigation(s) with a later snapshot.",
            after_14 as f64 - start as f64
        )),
        "{report}"
    );

    t.ok_at("2026-12-22T10:00", &["health", "recompute"]);
    let after_30 = t.snapshot(1, "2026-12-22");
    let report = t.ok_at("2026-12-22T10:00", &["report", "outcomes"]);
    assert_eq!(
        row(&report),
        format!("{row_start}{} | {} |", change(after_14), change(after_30)),
        "{report}"
    );
    assert!(!report.contains("not yet"), "{report}");
    assert!(
        report.contains(&format!(
            "Average health change: {:+.1} over 1 investigation(s) with a later snapshot.",
            after_30 as f64 - start as f64
        )),
        "{report}"
    );
}

#[test]
fn reports_write_to_a_new_file_and_never_overwrite() {
    let t = Tend::with_demo();
    let answers = t.answers("q.toml", &quick("true, true, true, true, true", "Exports"));
    let (id, _) = t.investigate("--ticket", 1, &answers);
    let id = id.to_string();
    let reports: [&[&str]; 3] = [
        &["report", "investigation", &id],
        &["report", "debt"],
        &["report", "outcomes"],
    ];
    for (n, args) in reports.iter().enumerate() {
        let printed = t.ok(args);
        let file = t.path(&format!("out{n}.md"));
        let file_arg = file.to_str().unwrap();
        let mut with_out = args.to_vec();
        with_out.extend(["--out", file_arg]);
        let said = t.ok(&with_out);
        assert_eq!(said, format!("Written to {file_arg}.\n"));
        assert_eq!(std::fs::read_to_string(&file).unwrap(), printed, "{args:?}");

        std::fs::write(&file, "keep me\n").unwrap();
        let err = t.fails(&with_out, 1);
        assert_runtime_error(&err, "already exists");
        assert_runtime_error(&err, file_arg);
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            "keep me\n",
            "{args:?} overwrote"
        );
    }
}
