//! The cockpit's hot queries read through indexes: every statement the lists, the filter, the
//! details and the live refresh run is recorded as it runs (with its values), then SQLite's
//! `EXPLAIN QUERY PLAN` for it must not scan a large table.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tend::app::data::{Cmd, Reply, TicketOp, Worker, load_account, load_snapshot, load_ticket};
use tend::app::lists::{ListRequest, ListView, Lister};
use tend::demo::DemoOptions;
use tend::domain::health::HealthRules;
use tend::domain::sla::SlaTargets;
use tend::domain::{Segment, Stage, Step, Tier};
use tend::store::{AccountListQuery, ListOrder, QueueKind, QueueQuery, Store};

/// 2026-11-22T09:00:00Z
const NOW: i64 = 1_795_338_000;

/// Tables that grow with the business: a plan may walk one through an index, never read it whole.
const LARGE: &[&str] = &[
    "accounts",
    "a",
    "tickets",
    "t",
    "signals",
    "s",
    "ticket_events",
    "e",
    "health_snapshots",
    "contacts",
    "ticket_checklist",
    "messages",
    "m",
    "revenue_events",
    "tasks",
    "audit_log",
];

fn store() -> Store {
    let store = Store::open_in_memory("tester").unwrap();
    let opts = DemoOptions {
        accounts: 400,
        tickets: 4000,
        ..Default::default()
    };
    store.load_demo(&opts, &SlaTargets::default(), NOW).unwrap();
    store.backfill_snapshots(&HealthRules::default(), NOW, 3).unwrap();
    store.recompute_health(&HealthRules::default(), NOW).unwrap();
    store
}

/// The plan lines that read a large table whole.
fn table_scans(store: &Store, statements: &[String]) -> Vec<String> {
    let mut bad = Vec::new();
    for sql in statements {
        let plan = store.query_plan(sql).unwrap();
        for line in &plan {
            let Some(rest) = line.trim().strip_prefix("SCAN ") else {
                continue;
            };
            if rest.contains("USING") {
                continue;
            }
            let table = rest.split_whitespace().next().unwrap_or("");
            if LARGE.contains(&table) {
                bad.push(format!("{line}\n  in: {sql}\n  plan: {plan:?}"));
            }
        }
    }
    bad
}

fn account_queries() -> Vec<AccountListQuery> {
    let orders = [
        ListOrder::Score,
        ListOrder::Trend,
        ListOrder::Name,
        ListOrder::Segment,
        ListOrder::Stage,
        ListOrder::Mrr,
        ListOrder::Open,
        ListOrder::LastLogin,
        ListOrder::Renewal,
    ];
    let mut out = Vec::new();
    for order in orders {
        for desc in [false, true] {
            out.push(AccountListQuery {
                order,
                desc,
                trend_since: "2026-10-23".into(),
                ..Default::default()
            });
        }
    }
    out.push(AccountListQuery {
        score_range: Some(HealthRules::default().score_range(Tier::Critical)),
        stage: Some(Stage::Adoption),
        segment: Some(Segment::Smb),
        trend_since: "2026-10-23".into(),
        ..Default::default()
    });
    out
}

fn queue_queries() -> Vec<QueueQuery> {
    let kinds = [
        QueueKind::Open,
        QueueKind::Breached,
        QueueKind::Waiting,
        QueueKind::Snoozed,
        QueueKind::Mine,
        QueueKind::TierTwo,
        QueueKind::Step(Step::Diagnose),
    ];
    let mut out: Vec<QueueQuery> = kinds
        .iter()
        .map(|k| QueueQuery {
            kind: *k,
            actor: "alex".into(),
            now: NOW,
            ..Default::default()
        })
        .collect();
    out.push(QueueQuery {
        account: Some(3),
        now: NOW,
        ..Default::default()
    });
    out.push(QueueQuery {
        score_range: Some(HealthRules::default().score_range(Tier::AtRisk)),
        now: NOW,
        ..Default::default()
    });
    out
}

#[test]
fn the_lists_windows_and_filters_read_through_indexes() {
    let store = store();
    let mut lister = Lister::default();
    Store::traced_statements();
    store.trace_statements(true);
    for (n, q) in account_queries().into_iter().enumerate() {
        for (text, keep, sel) in [
            ("", None, 0),
            ("", Some(7), 0),
            ("", None, 250),
            ("cob", None, 0),
            ("cobal", Some(7), 0),
        ] {
            let req = ListRequest {
                seq: n as u64,
                view: ListView {
                    query: q.clone(),
                    text: text.into(),
                },
                keep,
                sel,
                requery: keep.is_some(),
                size: tend::app::lists::WINDOW,
            };
            let reply = lister.accounts(&store, &req).unwrap();
            assert!(reply.rows.len() <= tend::app::lists::WINDOW);
        }
    }
    for (n, q) in queue_queries().into_iter().enumerate() {
        for (text, keep, sel) in [("", None, 0), ("", Some(11), 0), ("", None, 600), ("sso", None, 0)] {
            let req = ListRequest {
                seq: n as u64,
                view: ListView {
                    query: q.clone(),
                    text: text.into(),
                },
                keep,
                sel,
                requery: keep.is_some(),
                size: tend::app::lists::WINDOW,
            };
            lister.tickets(&store, &req).unwrap();
        }
    }
    store.trace_statements(false);
    let statements = Store::traced_statements();
    // the search candidates are read once when a text filter starts; they are allowed their walk
    assert!(statements.len() > 100, "{}", statements.len());
    let bad = table_scans(&store, &statements);
    assert!(bad.is_empty(), "table scans:\n{}", bad.join("\n"));
}

#[test]
fn opening_a_detail_the_snapshot_and_the_live_refresh_read_through_indexes() {
    let store = store();
    Store::traced_statements();
    store.trace_statements(true);
    load_snapshot(&store, NOW).unwrap();
    for id in [1, 17, 200] {
        load_account(&store, id, NOW, &HealthRules::default()).unwrap();
        load_ticket(&store, id).unwrap();
    }
    let mut worker = Worker::new(store, HealthRules::default(), SlaTargets::default(), Some(NOW));
    assert!(matches!(worker.execute(Cmd::LoadAll).first(), Some(Reply::Snapshot(_))));
    worker.execute(Cmd::Poll);
    worker.execute(Cmd::Ticket(
        5,
        None,
        TicketOp::Note {
            text: "checked the logs".into(),
        },
    ));
    worker.execute(Cmd::Poll);
    worker.store.trace_statements(false);
    let statements = Store::traced_statements();
    assert!(statements.len() > 30, "{}", statements.len());
    let bad = table_scans(&worker.store, &statements);
    assert!(bad.is_empty(), "table scans:\n{}", bad.join("\n"));
}
