//! The KPI and value-KPI formulas of the store, checked against numbers worked out by hand on a
//! small fixed dataset written with plain SQL, at a frozen clock.
//!
//! The clock is NOW = 2026-11-22 09:00 UTC and the period is 30 days:
//! current  = (2026-10-23 09:00, 2026-11-22 09:00], days "2026-10-23" < d <= "2026-11-22";
//! previous = (2026-09-23 09:00, 2026-10-23 09:00], days "2026-09-23" < d <= "2026-10-23".
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rusqlite::{Connection, params};
use tend::domain::health::HealthRules;
use tend::domain::metrics::{Kpi, PeriodFacts, Staffing, Status, ValueFacts};
use tend::domain::{DAY, Segment, Tier};
use tend::store::Store;

/// 2026-11-22T09:00:00Z
const NOW: i64 = 1_795_338_000;
const HOUR: i64 = 3_600;
/// The current period's start: 2026-10-23 09:00.
const START: i64 = NOW - 30 * DAY;
/// The previous period's start: 2026-09-23 09:00.
const PREV_START: i64 = START - 30 * DAY;

/// "YYYY-MM-DD HH:MM" UTC as epoch seconds.
fn ts(s: &str) -> i64 {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
        .unwrap()
        .and_utc()
        .timestamp()
}

#[track_caller]
fn close(got: Option<f64>, want: f64) {
    let got = got.unwrap_or_else(|| panic!("got None, want {want}"));
    assert!((got - want).abs() < 1e-9, "got {got}, want {want}");
}

#[track_caller]
fn close_all(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "got {got:?}, want {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 1e-9, "got {got:?}, want {want:?}");
    }
}

struct Acct {
    id: i64,
    name: &'static str,
    segment: &'static str,
    mrr: i64,
    signup: &'static str,
    /// (churned_on, churn_reason)
    churned: Option<(&'static str, Option<&'static str>)>,
    health: Option<i64>,
}

/// The accounts. Health scores are set directly; they only matter for the tier counts.
#[rustfmt::skip]
const ACCOUNTS: &[Acct] = &[
    Acct { id: 1, name: "Acme", segment: "enterprise", mrr: 500_000, signup: "2025-03-10", churned: None, health: Some(85) },
    // signed up in the previous period; its onboarding window closes 2026-10-31, in the current one
    Acct { id: 2, name: "Birch", segment: "enterprise", mrr: 300_000, signup: "2026-10-10", churned: None, health: Some(80) },
    // signed up in the current period; onboarding window closes 2026-11-18
    Acct { id: 3, name: "Cedar", segment: "smb", mrr: 60_000, signup: "2026-10-28", churned: None, health: Some(79) },
    Acct { id: 4, name: "Dune", segment: "smb", mrr: 40_000, signup: "2024-06-01", churned: Some(("2026-11-05", Some("Too expensive"))), health: Some(30) },
    // churned on the current period's first day string: that is the previous period
    Acct { id: 5, name: "Elm", segment: "smb", mrr: 20_000, signup: "2025-01-15", churned: Some(("2026-10-23", Some("Switched to competitor"))), health: None },
    Acct { id: 6, name: "Fern", segment: "self-serve", mrr: 9_900, signup: "2026-11-15", churned: None, health: Some(40) },
    // the reason is padded: it groups with "Too expensive"
    Acct { id: 7, name: "Gale", segment: "self-serve", mrr: 4_900, signup: "2025-08-01", churned: Some(("2026-11-20", Some("  Too expensive "))), health: Some(10) },
    // onboarding window closes 2026-11-22 00:00, the period's last day
    Acct { id: 8, name: "Holt", segment: "self-serve", mrr: 0, signup: "2026-11-01", churned: None, health: Some(39) },
    // an empty reason reads "(no reason recorded)"
    Acct { id: 9, name: "Ivy", segment: "smb", mrr: 25_000, signup: "2023-02-01", churned: Some(("2026-11-10", Some(""))), health: None },
    // signed up in the previous period; onboarding window closes 2026-10-21, in the previous one
    Acct { id: 10, name: "Juniper", segment: "smb", mrr: 35_000, signup: "2026-09-30", churned: None, health: Some(60) },
    Acct { id: 11, name: "Kiln", segment: "smb", mrr: 15_000, signup: "2024-01-01", churned: Some(("2026-07-14", Some("Went out of business"))), health: None },
    // churned the day before the 6 months of churn_by_month begin
    Acct { id: 12, name: "Loam", segment: "enterprise", mrr: 100_000, signup: "2023-05-05", churned: Some(("2026-05-31", Some("Budget cut"))), health: None },
    // no health score: in no tier
    Acct { id: 13, name: "Moss", segment: "self-serve", mrr: 1_900, signup: "2026-11-18", churned: None, health: None },
    Acct { id: 14, name: "Nook", segment: "self-serve", mrr: 8_000, signup: "2024-02-02", churned: Some(("2026-11-15", Some("Missing features"))), health: Some(15) },
];

fn insert_account(c: &Connection, a: &Acct) {
    let (status, churned_on, reason) = match a.churned {
        Some((on, why)) => ("churned", Some(on), why),
        None => ("active", None, None),
    };
    c.execute(
        "INSERT INTO accounts (id, name, segment, mrr_cents, stage, signup_date, status, churned_on, churn_reason, \
         health_score, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, 'adoption', ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
        params![
            a.id,
            a.name,
            a.segment,
            a.mrr,
            a.signup,
            status,
            churned_on,
            reason,
            a.health,
            NOW - 400 * DAY
        ],
    )
    .unwrap();
}

fn contact(c: &Connection, id: i64, account: i64, name: &str) {
    c.execute(
        "INSERT INTO contacts (id, account_id, name, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![id, account, name, NOW - 400 * DAY],
    )
    .unwrap();
}

fn login(c: &Connection, account: i64, contact: Option<i64>, at: &str) {
    c.execute(
        "INSERT INTO signals (account_id, contact_id, kind, at) VALUES (?1, ?2, 'login', ?3)",
        params![account, contact, ts(at)],
    )
    .unwrap();
}

fn survey(c: &Connection, account: i64, kind: &str, at: &str, score: Option<i64>) {
    c.execute(
        "INSERT INTO signals (account_id, kind, at, score) VALUES (?1, ?2, ?3, ?4)",
        params![account, kind, ts(at), score],
    )
    .unwrap();
}

fn feature(c: &Connection, account: i64, at: &str, core: Option<i64>) {
    c.execute(
        "INSERT INTO signals (account_id, kind, at, feature, core) VALUES (?1, 'feature', ?2, 'reports', ?3)",
        params![account, ts(at), core],
    )
    .unwrap();
}

#[allow(clippy::too_many_arguments)]
fn ticket(
    c: &Connection,
    id: i64,
    account: i64,
    opened: &str,
    first_response: Option<&str>,
    resolved: Option<&str>,
    paused_secs: i64,
    tags: &str,
) {
    let opened = ts(opened);
    c.execute(
        "INSERT INTO tickets (id, account_id, subject, channel, tags, opened_at, first_response_at, resolved_at, \
         paused_secs, resolution_due, updated_at) VALUES (?1, ?2, 'help', 'email', ?3, ?4, ?5, ?6, ?7, ?8, ?4)",
        params![
            id,
            account,
            tags,
            opened,
            first_response.map(ts),
            resolved.map(ts),
            paused_secs,
            opened + 2 * DAY
        ],
    )
    .unwrap();
}

fn revenue(c: &Connection, account: i64, kind: &str, at: &str, before: i64, after: i64) {
    c.execute(
        "INSERT INTO revenue_events (account_id, at, kind, mrr_before, mrr_after, actor) \
         VALUES (?1, ?2, ?3, ?4, ?5, 'billing')",
        params![account, ts(at), kind, before, after],
    )
    .unwrap();
}

fn snapshot(c: &Connection, account: i64, day: &str, score: i64) {
    c.execute(
        "INSERT INTO health_snapshots (account_id, day, score, usage, engagement, satisfaction, payment) \
         VALUES (?1, ?2, ?3, ?3, ?3, ?3, ?3)",
        params![account, day, score],
    )
    .unwrap();
}

/// The fixed dataset. Every row that sits on a boundary says which side it falls on.
fn store() -> Store {
    assert_eq!(ts("2026-11-22 09:00"), NOW);
    assert_eq!(ts("2026-10-23 09:00"), START);
    assert_eq!(ts("2026-09-23 09:00"), PREV_START);
    let s = Store::open_in_memory("tester").unwrap();
    let c = s.connection();
    for a in ACCOUNTS {
        insert_account(c, a);
    }
    contact(c, 1, 1, "Ann Acme");
    contact(c, 2, 1, "Al Acme");
    contact(c, 3, 2, "Bea Birch");
    contact(c, 4, 3, "Cy Cedar");
    contact(c, 5, 4, "Di Dune");
    contact(c, 6, 10, "Jo Juniper");

    // logins, current period: users c1, c2, acct-1, c3, c4, acct-3, c5, acct-9, acct-6 = 9
    login(c, 1, Some(1), "2026-11-01 10:00");
    login(c, 1, Some(1), "2026-11-05 10:00"); // c1 again: still one user
    login(c, 1, Some(2), "2026-11-10 10:00");
    login(c, 1, None, "2026-11-12 10:00"); // no contact: Acme counts once more
    login(c, 2, Some(3), "2026-11-03 10:00");
    login(c, 3, Some(4), "2026-11-01 11:00");
    login(c, 3, None, "2026-11-02 11:00");
    login(c, 3, None, "2026-11-04 11:00"); // Cedar without contact again: one user
    login(c, 4, Some(5), "2026-10-30 10:00");
    login(c, 9, None, "2026-11-06 10:00");
    login(c, 6, None, "2026-11-16 10:00");
    // previous period: c6 (at the boundary), c1, acct-5, c5 = 4
    login(c, 10, Some(6), "2026-10-23 09:00");
    login(c, 1, Some(1), "2026-10-01 10:00");
    login(c, 5, None, "2026-10-10 10:00");
    login(c, 4, Some(5), "2026-09-30 10:00");
    // outside both
    login(c, 2, None, "2026-11-22 10:00");
    login(c, 1, None, "2026-09-01 10:00");

    // CSAT, current: 5, 4, 2, 5, 4 (and a NULL score that does not count)
    survey(c, 1, "csat", "2026-11-04 10:00", Some(5));
    survey(c, 3, "csat", "2026-11-12 10:00", Some(4));
    survey(c, 4, "csat", "2026-10-27 10:00", Some(2));
    survey(c, 2, "csat", "2026-11-21 10:00", Some(5));
    survey(c, 9, "csat", "2026-11-09 10:00", Some(4));
    survey(c, 1, "csat", "2026-11-06 10:00", None);
    // previous: 1, 1 (the second at the boundary)
    survey(c, 1, "csat", "2026-10-15 10:00", Some(1));
    survey(c, 10, "csat", "2026-10-23 09:00", Some(1));
    // after NOW
    survey(c, 3, "csat", "2026-11-22 10:00", Some(1));

    // NPS, current: 10, 9, 8, 9, 3, 7, 10
    survey(c, 1, "nps", "2026-11-02 10:00", Some(10));
    survey(c, 1, "nps", "2026-11-14 10:00", Some(9));
    survey(c, 2, "nps", "2026-11-05 10:00", Some(8));
    survey(c, 3, "nps", "2026-11-11 10:00", Some(9));
    survey(c, 4, "nps", "2026-10-28 10:00", Some(3));
    survey(c, 9, "nps", "2026-11-07 10:00", Some(7));
    survey(c, 6, "nps", "2026-11-17 10:00", Some(10));
    // previous: 6, 9, 10
    survey(c, 1, "nps", "2026-10-01 10:00", Some(6));
    survey(c, 5, "nps", "2026-10-05 10:00", Some(9));
    survey(c, 10, "nps", "2026-10-12 10:00", Some(10));
    // before both
    survey(c, 1, "nps", "2026-08-15 10:00", Some(0));

    // features: first core use after signup (signup days are at 00:00 UTC)
    feature(c, 3, "2026-10-28 10:00", Some(0)); // not core: ignored
    feature(c, 3, "2026-10-30 12:00", Some(1)); // Cedar: 2 d 12 h = 2.5 d
    feature(c, 3, "2026-11-02 12:00", Some(1)); // a later core use: not the first
    feature(c, 6, "2026-11-15 15:00", Some(1)); // Fern: 15 h = 0.625 d, first session
    feature(c, 8, "2026-11-22 08:00", Some(1)); // Holt: 21 d 8 h, after its 21-day window
    feature(c, 13, "2026-11-18 10:00", None); // Moss: core unknown, not core
    feature(c, 2, "2026-10-25 10:00", Some(1)); // Birch: 15 d 10 h, inside its window
    feature(c, 10, "2026-10-05 09:00", Some(1)); // Juniper: 5 d 9 h, inside its window

    // tickets: (id, account, opened, first response, resolved, paused, tags)
    // current period, opened: T1 T2 T3 T4 T7 T11
    ticket(
        c,
        1,
        1,
        "2026-11-02 10:00",
        Some("2026-11-02 12:00"),
        Some("2026-11-03 16:00"),
        0,
        "billing,login",
    );
    ticket(
        c,
        2,
        3,
        "2026-11-10 08:00",
        Some("2026-11-10 12:00"),
        Some("2026-11-11 12:00"),
        4 * HOUR,
        "billing",
    );
    ticket(
        c,
        3,
        4,
        "2026-10-25 09:30",
        Some("2026-10-25 10:00"),
        Some("2026-10-26 21:30"),
        0,
        "export, billing",
    );
    ticket(c, 4, 2, "2026-11-20 14:00", None, None, 0, "");
    // opened in the previous period, resolved in the current one
    ticket(
        c,
        5,
        10,
        "2026-10-20 10:00",
        Some("2026-10-20 11:00"),
        Some("2026-10-24 10:00"),
        48 * HOUR,
        "login",
    );
    // opened exactly at the current period's start: previous; resolved in the current one
    ticket(
        c,
        6,
        1,
        "2026-10-23 09:00",
        Some("2026-10-23 12:00"),
        Some("2026-10-23 21:00"),
        0,
        "onboarding",
    );
    // opened exactly at NOW: current
    ticket(c, 7, 9, "2026-11-22 09:00", None, None, 0, "export");
    ticket(
        c,
        8,
        1,
        "2026-09-25 10:00",
        Some("2026-09-25 16:00"),
        Some("2026-09-26 10:00"),
        0,
        "billing",
    );
    ticket(c, 9, 4, "2026-09-05 10:00", None, Some("2026-09-05 12:00"), 0, "");
    // older than the 12 weeks
    ticket(
        c,
        10,
        1,
        "2026-08-20 10:00",
        Some("2026-08-20 11:00"),
        Some("2026-08-21 10:00"),
        0,
        "billing",
    );
    // paused longer than it was open: its resolution time counts as 0, not negative
    ticket(
        c,
        11,
        1,
        "2026-11-15 10:00",
        Some("2026-11-15 10:15"),
        Some("2026-11-15 11:00"),
        2 * HOUR,
        "login,sso",
    );
    // exactly at the start of the 12 weeks (NOW - 84 d): outside them
    ticket(c, 12, 4, "2026-08-30 09:00", None, Some("2026-08-30 10:00"), 0, "");

    // revenue: expansions in the current period +100_000 and +10_000
    revenue(c, 1, "expansion", "2026-11-03 12:00", 400_000, 500_000);
    revenue(c, 3, "expansion", "2026-11-20 12:00", 50_000, 60_000);
    revenue(c, 3, "new", "2026-10-28 12:00", 0, 50_000); // not an expansion
    revenue(c, 4, "contraction", "2026-11-01 12:00", 50_000, 40_000); // not an expansion
    revenue(c, 1, "expansion", "2026-11-22 10:00", 500_000, 550_000); // after NOW
    // previous: +50_000 (at the boundary) and +5_000
    revenue(c, 2, "expansion", "2026-10-23 09:00", 250_000, 300_000);
    revenue(c, 10, "expansion", "2026-10-01 12:00", 30_000, 35_000);

    // snapshots: 2026-10-23 is the day before the period, 2026-11-21 is skipped,
    // 2026-11-23 is after it
    snapshot(c, 1, "2026-10-23", 70);
    snapshot(c, 1, "2026-10-24", 71);
    snapshot(c, 2, "2026-10-24", 90);
    snapshot(c, 1, "2026-11-19", 80);
    snapshot(c, 4, "2026-11-19", 30);
    snapshot(c, 1, "2026-11-20", 84);
    snapshot(c, 3, "2026-11-20", 78);
    snapshot(c, 6, "2026-11-20", 50);
    snapshot(c, 1, "2026-11-22", 85);
    snapshot(c, 3, "2026-11-22", 79);
    snapshot(c, 6, "2026-11-22", 40);
    snapshot(c, 8, "2026-11-22", 39);
    snapshot(c, 1, "2026-11-23", 99);
    s
}

#[test]
fn period_facts_and_the_six_kpis() {
    let s = store();

    // all segments, current period
    let cur = s.period_facts(None, START, NOW).unwrap();
    assert_eq!(
        cur,
        PeriodFacts {
            days: 30,
            // opened in the period with a response: T1 2h, T2 4h, T3 30m, T11 15m
            responded: 4,
            response_secs: 2 * HOUR + 4 * HOUR + HOUR / 2 + HOUR / 4, // 24_300
            // resolved in the period: T1 30h, T2 28h-4h, T3 36h, T5 96h-48h, T6 12h, T11 max(1h-2h, 0)
            resolved: 6,
            resolution_secs: (30 + 24 + 36 + 48 + 12) * HOUR, // 150 h
            // 5, 4, 2, 5, 4
            csat_ratings: 5,
            csat_satisfied: 4,
            // 10, 9, 9, 10 | 8, 7 | 3
            promoters: 4,
            passives: 2,
            detractors: 1,
            // Dune 11-05, Gale 11-20, Ivy 11-10, Nook 11-15 (Elm 10-23 is not > "2026-10-23")
            churned: 4,
            // Acme, Birch (signed up 10-10), Dune, Gale, Ivy, Juniper, Nook
            active_at_start: 7,
            // T1 T2 T3 T4 T7 (at NOW) T11; T6 at START is not in
            tickets: 6,
            // c1 c2 acct-1 c3 c4 acct-3 c5 acct-9 acct-6
            active_users: 9,
        }
    );
    close(cur.value(Kpi::FirstResponseHours), 1.6875); // (2h + 4h + 0.5h + 0.25h) / 4 = 6.75 / 4 = 1.6875 h
    close(cur.value(Kpi::ResolutionHours), 25.0); // (30 + 24 + 36 + 48 + 12 + 0) / 6 = 150 / 6 = 25 h
    close(cur.value(Kpi::CsatPercent), 80.0); // 4 / 5 = 80%
    close(cur.value(Kpi::Nps), 300.0 / 7.0); // (4 - 1) / 7 = 42.857
    close(cur.value(Kpi::MonthlyChurnPercent), 400.0 / 7.0); // 4 / 7 = 57.143%, * 30/30
    close(cur.value(Kpi::SupportLoadPercent), 600.0 / 9.0); // 6 / 9 = 66.667%, * 30/30

    // all segments, previous period
    let prev = s.period_facts(None, PREV_START, START).unwrap();
    assert_eq!(
        prev,
        PeriodFacts {
            days: 30,
            // T5 1h, T6 3h (opened at START: the previous period's last moment), T8 6h
            responded: 3,
            response_secs: 10 * HOUR,
            // T8 24h only (T5 and T6 resolved after START, T9 before PREV_START)
            resolved: 1,
            resolution_secs: 24 * HOUR,
            // 1, 1 (Juniper's at START)
            csat_ratings: 2,
            csat_satisfied: 0,
            // 9, 10 | - | 6
            promoters: 2,
            passives: 0,
            detractors: 1,
            // Elm, churned on "2026-10-23"
            churned: 1,
            // signed up by "2026-09-23", not churned by then: Acme, Dune, Elm, Gale, Ivy, Nook
            active_at_start: 6,
            // T5, T6, T8
            tickets: 3,
            // c6 (at START), c1, acct-5, c5
            active_users: 4,
        }
    );
    close(prev.value(Kpi::FirstResponseHours), 10.0 / 3.0); // (1 + 3 + 6) / 3 = 3.333 h
    close(prev.value(Kpi::ResolutionHours), 24.0); // 24 / 1
    close(prev.value(Kpi::CsatPercent), 0.0); // 0 / 2: a real zero, not None
    close(prev.value(Kpi::Nps), 100.0 / 3.0); // (2 - 1) / 3 = 33.333
    close(prev.value(Kpi::MonthlyChurnPercent), 100.0 / 6.0); // 1 / 6 = 16.667%
    close(prev.value(Kpi::SupportLoadPercent), 75.0); // 3 / 4 = 75%

    // smb only, current period
    let smb = s.period_facts(Some(Segment::Smb), START, NOW).unwrap();
    assert_eq!(
        smb,
        PeriodFacts {
            days: 30,
            // T2 4h, T3 30m (T7 has no response)
            responded: 2,
            response_secs: 4 * HOUR + HOUR / 2,
            // T2 24h, T3 36h, T5 48h (Juniper)
            resolved: 3,
            resolution_secs: (24 + 36 + 48) * HOUR,
            // Cedar 4, Dune 2, Ivy 4
            csat_ratings: 3,
            csat_satisfied: 2,
            // Cedar 9 | Ivy 7 | Dune 3
            promoters: 1,
            passives: 1,
            detractors: 1,
            // Dune, Ivy
            churned: 2,
            // Dune, Ivy, Juniper (Cedar signed up after, Elm churned on the start day)
            active_at_start: 3,
            // T2, T3, T7
            tickets: 3,
            // c4, acct-3, c5, acct-9
            active_users: 4,
        }
    );
    close(smb.value(Kpi::FirstResponseHours), 2.25); // (4 + 0.5) / 2 = 2.25 h
    close(smb.value(Kpi::ResolutionHours), 36.0); // (24 + 36 + 48) / 3 = 36 h
    close(smb.value(Kpi::CsatPercent), 200.0 / 3.0); // 2 / 3 = 66.667%
    close(smb.value(Kpi::Nps), 0.0); // (1 - 1) / 3 = 0
    close(smb.value(Kpi::MonthlyChurnPercent), 200.0 / 3.0); // 2 / 3 = 66.667%
    close(smb.value(Kpi::SupportLoadPercent), 75.0); // 3 / 4 = 75%

    // smb only, previous period
    let smb_prev = s.period_facts(Some(Segment::Smb), PREV_START, START).unwrap();
    assert_eq!(
        smb_prev,
        PeriodFacts {
            days: 30,
            responded: 1, // T5 1h
            response_secs: HOUR,
            resolved: 0, // T5 resolved in the current period
            resolution_secs: 0,
            csat_ratings: 1, // Juniper 1, at START
            csat_satisfied: 0,
            promoters: 2, // Elm 9, Juniper 10
            passives: 0,
            detractors: 0,
            churned: 1,         // Elm
            active_at_start: 3, // Dune, Elm, Ivy (Juniper signed up 09-30)
            tickets: 1,         // T5
            active_users: 3,    // c6, acct-5, c5
        }
    );
    close(smb_prev.value(Kpi::FirstResponseHours), 1.0);
    assert_eq!(smb_prev.value(Kpi::ResolutionHours), None); // nothing resolved
    close(smb_prev.value(Kpi::CsatPercent), 0.0);
    close(smb_prev.value(Kpi::Nps), 100.0); // (2 - 0) / 2
    close(smb_prev.value(Kpi::MonthlyChurnPercent), 100.0 / 3.0); // 1 / 3
    close(smb_prev.value(Kpi::SupportLoadPercent), 100.0 / 3.0); // 1 / 3

    // 60 days: the monthly rates are halved
    let two = s.period_facts(None, PREV_START, NOW).unwrap();
    assert_eq!(two.days, 60);
    // Elm, Dune, Gale, Ivy, Nook over the 6 active on "2026-09-23"
    assert_eq!((two.churned, two.active_at_start), (5, 6));
    // T1..T8 and T11 over both periods' users: 9 + c6 + acct-5 (c1, c5 already counted)
    assert_eq!((two.tickets, two.active_users), (9, 11));
    close(two.value(Kpi::MonthlyChurnPercent), 500.0 / 6.0 * 30.0 / 60.0); // 83.333% * 30/60 = 41.667%
    close(two.value(Kpi::SupportLoadPercent), 900.0 / 11.0 * 30.0 / 60.0); // 81.818% * 30/60 = 40.909%
}

#[test]
fn value_facts_and_value_kpis() {
    let s = store();
    let cur = s.value_facts(None, START, NOW).unwrap();
    // signups in ("2026-10-23", "2026-11-22"]: Cedar, Fern, Holt, Moss (Moss has no core use)
    assert_eq!(cur.signups, 4);
    let mut ttv = cur.ttv_days.clone();
    ttv.sort_by(|a, b| a.total_cmp(b));
    // Fern 15h = 0.625 d, Cedar 2d 12h = 2.5 d, Holt 21d 8h = 21.333 d
    close_all(&ttv, &[0.625, 2.5, 21.0 + 8.0 / 24.0]);
    close(cur.time_to_value_days(), 2.5); // median of 0.625, 2.5, 21.333
    assert_eq!(cur.first_session, 1); // Fern only (Cedar's same-day use is not core)
    close(cur.first_session_percent(), 25.0); // 1 / 4
    // active now: Acme 500_000 + Birch 300_000 + Cedar 60_000 + Fern 9_900 + Holt 0
    //   + Juniper 35_000 + Moss 1_900 = 906_800 over 7
    assert_eq!((cur.mrr_cents, cur.active_accounts), (906_800, 7));
    close(cur.arpa_cents(), 906_800.0 / 7.0); // 129_542.857 cents
    // churn 4 / 7: LTV = (906_800 / 7) / (4 / 7) = 906_800 / 4 = 226_700 cents
    let churn = s
        .period_facts(None, START, NOW)
        .unwrap()
        .value(Kpi::MonthlyChurnPercent);
    close(cur.lifetime_value_cents(churn), 226_700.0);
    // Acme +100_000, Cedar +10_000 (the 'new' and 'contraction' rows and the one after NOW are not in)
    assert_eq!(cur.expansion_cents, 110_000);
    close(cur.expansion_percent(), 110_000.0 * 100.0 / 906_800.0); // 12.131%
    // cohort: signup in ("2026-10-02", "2026-11-01"]: Birch (core 10-25 < 10-31), Cedar
    // (10-30 < 11-18), Holt (11-22 08:00 >= 11-22 00:00: late)
    assert_eq!((cur.onboarding_cohort, cur.onboarding_completed), (3, 2));
    close(cur.onboarding_completion_percent(), 200.0 / 3.0); // 66.667%
    // Dune "Too expensive", Gale "  Too expensive " trimmed, Ivy "" and Nook "Missing features";
    // the tie at 1 is ordered by the reason: '(' sorts before 'M'
    assert_eq!(
        cur.churn_reasons,
        vec![
            ("Too expensive".to_string(), 2),
            ("(no reason recorded)".to_string(), 1),
            ("Missing features".to_string(), 1),
        ]
    );

    let prev = s.value_facts(None, PREV_START, START).unwrap();
    // signups in ("2026-09-23", "2026-10-23"]: Juniper 5d 9h = 5.375 d, Birch 15d 10h = 15.4167 d
    assert_eq!(prev.signups, 2);
    let mut ttv = prev.ttv_days.clone();
    ttv.sort_by(|a, b| a.total_cmp(b));
    close_all(&ttv, &[5.375, 15.0 + 10.0 / 24.0]);
    close(prev.time_to_value_days(), (5.375 + 15.0 + 10.0 / 24.0) / 2.0); // 10.3958 d
    close(prev.first_session_percent(), 0.0); // 0 / 2
    // churn 1 / 6: LTV = (906_800 / 7) / (1 / 6) = 777_257.14 cents
    let prev_churn = s
        .period_facts(None, PREV_START, START)
        .unwrap()
        .value(Kpi::MonthlyChurnPercent);
    close(prev.lifetime_value_cents(prev_churn), 906_800.0 / 7.0 * 6.0);
    // Birch +50_000 (at START), Juniper +5_000
    assert_eq!(prev.expansion_cents, 55_000);
    close(prev.expansion_percent(), 55_000.0 * 100.0 / 906_800.0);
    // cohort: signup in ("2026-09-02", "2026-10-02"]: Juniper, core on 10-05 < 10-21
    assert_eq!((prev.onboarding_cohort, prev.onboarding_completed), (1, 1));
    close(prev.onboarding_completion_percent(), 100.0);
    assert_eq!(prev.churn_reasons, vec![("Switched to competitor".to_string(), 1)]);

    // smb: Cedar the only signup; Cedar and Juniper active
    let smb = s.value_facts(Some(Segment::Smb), START, NOW).unwrap();
    assert_eq!(
        smb,
        ValueFacts {
            ttv_days: vec![2.5],
            signups: 1,
            first_session: 0,
            mrr_cents: 60_000 + 35_000,
            active_accounts: 2,
            expansion_cents: 10_000,
            onboarding_cohort: 1, // Cedar
            onboarding_completed: 1,
            churn_reasons: vec![
                ("(no reason recorded)".to_string(), 1), // Ivy
                ("Too expensive".to_string(), 1),        // Dune
            ],
        }
    );
    close(smb.arpa_cents(), 47_500.0); // 95_000 / 2
    // smb churn 2 / 3: 47_500 / (2 / 3) = 71_250
    let smb_churn = s
        .period_facts(Some(Segment::Smb), START, NOW)
        .unwrap()
        .value(Kpi::MonthlyChurnPercent);
    close(smb.lifetime_value_cents(smb_churn), 71_250.0);
    close(smb.expansion_percent(), 10_000.0 * 100.0 / 95_000.0); // 10.526%
}

#[test]
fn dashboard_series_and_statuses() {
    let s = store();
    let d = s.dashboard(&HealthRules::default(), None, 30, NOW).unwrap();
    assert_eq!(
        (d.from.as_str(), d.to.as_str()),
        ("2026-10-23 09:00 UTC", "2026-11-22 09:00 UTC")
    );
    assert_eq!(d.current, s.period_facts(None, START, NOW).unwrap());
    assert_eq!(d.previous, s.period_facts(None, PREV_START, START).unwrap());
    assert_eq!(d.value, s.value_facts(None, START, NOW).unwrap());
    assert_eq!(d.value_previous, s.value_facts(None, PREV_START, START).unwrap());

    // active accounts with a score, by the default thresholds 80 / 60 / 40:
    // Acme 85, Birch 80 | Cedar 79, Juniper 60 | Fern 40 | Holt 39; Moss has none,
    // churned accounts are left out
    assert_eq!(
        d.tiers,
        vec![
            (Tier::Healthy, 2),
            (Tier::Neutral, 2),
            (Tier::AtRisk, 1),
            (Tier::Critical, 1)
        ]
    );

    // snapshot days in ("2026-10-23", "2026-11-22"]; 2026-11-21 had none and is absent
    let days: Vec<&str> = d.trend.iter().map(|(day, _)| day.as_str()).collect();
    assert_eq!(days, ["2026-10-24", "2026-11-19", "2026-11-20", "2026-11-22"]);
    let avgs: Vec<f64> = d.trend.iter().map(|(_, v)| *v).collect();
    close_all(
        &avgs,
        &[
            (71.0 + 90.0) / 2.0,               // 80.5
            (80.0 + 30.0) / 2.0,               // 55
            (84.0 + 78.0 + 50.0) / 3.0,        // 70.667
            (85.0 + 79.0 + 40.0 + 39.0) / 4.0, // 60.75
        ],
    );

    // 12 weeks of (NOW - 84 d = 2026-08-30 09:00 + 7i d, + 7 d], labelled by the day after the start
    // T9 09-05 -> 0, T8 09-25 -> 3, T5 10-20 and T6 10-23 09:00 -> 7, T3 10-25 09:30 -> 8,
    // T1 11-02 -> 9, T2 11-10 -> 10, T11 11-15 10:00, T4 11-20, T7 11-22 09:00 -> 11;
    // T12 at 08-30 09:00 and T10 are outside
    assert_eq!(
        d.weekly_tickets,
        [
            ("2026-08-31", 1),
            ("2026-09-07", 0),
            ("2026-09-14", 0),
            ("2026-09-21", 1),
            ("2026-09-28", 0),
            ("2026-10-05", 0),
            ("2026-10-12", 0),
            ("2026-10-19", 2),
            ("2026-10-26", 1),
            ("2026-11-02", 1),
            ("2026-11-09", 1),
            ("2026-11-16", 3),
        ]
        .map(|(w, n)| (w.to_string(), n))
    );
    let in_84_days: i64 = s
        .connection()
        .query_row(
            "SELECT count(*) FROM tickets WHERE opened_at > ?1 AND opened_at <= ?2",
            params![NOW - 84 * DAY, NOW],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(in_84_days, 10);
    assert_eq!(d.weekly_tickets.iter().map(|(_, n)| *n).sum::<u64>(), 10);

    close(Some(d.tickets_per_week), 1.4); // 6 tickets * 7 / 30
    assert_eq!(d.staffing, Staffing::FounderOnly); // 1 a week

    // churned per month over 2026-06..2026-11: Kiln 07-14, Elm 10-23, Dune, Ivy, Nook, Gale in
    // November; Loam 05-31 is before the window
    assert_eq!(
        d.churn_by_month,
        [
            ("2026-06", 0),
            ("2026-07", 1),
            ("2026-08", 0),
            ("2026-09", 0),
            ("2026-10", 1),
            ("2026-11", 4),
        ]
        .map(|(m, n)| (m.to_string(), n))
    );

    // tags of T1 "billing,login", T2 "billing", T3 "export, billing", T4 "", T7 "export",
    // T11 "login,sso"; ties ordered by name
    assert_eq!(
        d.top_tags,
        [("billing", 3), ("export", 2), ("login", 2), ("sso", 1)].map(|(t, n)| (t.to_string(), n))
    );

    // the KPI rows: values as in period_facts_and_the_six_kpis, statuses by the bounds
    let rows: Vec<(Kpi, Option<Status>)> = d.kpis.iter().map(|r| (r.kpi, r.status)).collect();
    assert_eq!(
        rows,
        vec![
            (Kpi::FirstResponseHours, Some(Status::Green)), // 1.6875 h < 4
            (Kpi::ResolutionHours, Some(Status::Amber)),    // 24 <= 25 h < 48
            (Kpi::CsatPercent, Some(Status::Red)),          // 80% is not > 80
            (Kpi::Nps, Some(Status::Green)),                // 42.857 > 40
            (Kpi::MonthlyChurnPercent, Some(Status::Red)),  // 57.143% >= 7.5
            (Kpi::SupportLoadPercent, Some(Status::Red)),   // 66.667% >= 15
        ]
    );
    let want = [
        (1.6875, 10.0 / 3.0),
        (25.0, 24.0),
        (80.0, 0.0),
        (300.0 / 7.0, 100.0 / 3.0),
        (400.0 / 7.0, 100.0 / 6.0),
        (600.0 / 9.0, 75.0),
    ];
    for (row, (value, previous)) in d.kpis.iter().zip(want) {
        close(row.value, value);
        close(row.previous, previous);
    }
    // first response fell from 3.333 h to 1.6875 h: better; CSAT rose from 0 to 80: better;
    // churn rose: worse
    assert_eq!(d.kpis[0].improved(), Some(true));
    assert_eq!(d.kpis[2].improved(), Some(true));
    assert_eq!(d.kpis[4].improved(), Some(false));

    // smb: the tiers and trend follow the segment, with the same gap
    let smb = s
        .dashboard(&HealthRules::default(), Some(Segment::Smb), 30, NOW)
        .unwrap();
    assert_eq!(
        smb.tiers,
        vec![
            (Tier::Healthy, 0),
            (Tier::Neutral, 2), // Cedar 79, Juniper 60
            (Tier::AtRisk, 0),
            (Tier::Critical, 0)
        ]
    );
    assert_eq!(
        smb.trend,
        vec![
            ("2026-11-19".to_string(), 30.0), // Dune
            ("2026-11-20".to_string(), 78.0), // Cedar
            ("2026-11-22".to_string(), 79.0), // Cedar
        ]
    );
    // smb tickets: T3 -> 8, T2 -> 10, T7 -> 11 in the period; T5 -> 7, T9 -> 0 before it
    let weekly: Vec<u64> = smb.weekly_tickets.iter().map(|(_, n)| *n).collect();
    assert_eq!(weekly, [1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1]);
    // Elm 10-23, Dune 11-05, Ivy 11-10, Kiln 07-14
    let months: Vec<u64> = smb.churn_by_month.iter().map(|(_, n)| *n).collect();
    assert_eq!(months, [0, 1, 0, 0, 1, 2]);
}

#[test]
fn kpis_without_data_are_none_not_zero() {
    let s = store();
    // self-serve: no tickets and no CSAT, but an NPS answer, churn and one active user
    let ss = s.period_facts(Some(Segment::SelfServe), START, NOW).unwrap();
    assert_eq!((ss.responded, ss.resolved, ss.csat_ratings, ss.tickets), (0, 0, 0, 0));
    assert_eq!(ss.value(Kpi::FirstResponseHours), None);
    assert_eq!(ss.value(Kpi::ResolutionHours), None);
    assert_eq!(ss.value(Kpi::CsatPercent), None);
    close(ss.value(Kpi::Nps), 100.0); // Fern 10
    close(ss.value(Kpi::MonthlyChurnPercent), 100.0); // Gale and Nook, of Gale and Nook
    close(ss.value(Kpi::SupportLoadPercent), 0.0); // 0 tickets / 1 user (Fern): a real zero
    let d = s
        .dashboard(&HealthRules::default(), Some(Segment::SelfServe), 30, NOW)
        .unwrap();
    let statuses: Vec<Option<Status>> = d.kpis.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [
            None,
            None,
            None,
            Some(Status::Green), // 100 > 40
            Some(Status::Red),   // 100% >= 7.5
            Some(Status::Green), // 0% < 10
        ]
    );
    assert_eq!(d.kpis[0].change(), None);
    assert_eq!(d.tickets_per_week, 0.0);

    // enterprise: no churn among 2 active at the start is 0%, and a lifetime value is then None
    let ent = s.period_facts(Some(Segment::Enterprise), START, NOW).unwrap();
    assert_eq!((ent.churned, ent.active_at_start), (0, 2));
    let churn = ent.value(Kpi::MonthlyChurnPercent);
    close(churn, 0.0);
    let ent_value = s.value_facts(Some(Segment::Enterprise), START, NOW).unwrap();
    close(ent_value.arpa_cents(), 400_000.0); // (500_000 + 300_000) / 2
    assert_eq!(ent_value.lifetime_value_cents(churn), None);
    // no enterprise signups in the period: no time to value, no first-session share
    assert_eq!(ent_value.signups, 0);
    assert_eq!(ent_value.time_to_value_days(), None);
    assert_eq!(ent_value.first_session_percent(), None);

    // a period before any account existed: every KPI is None
    let (old_start, old_end) = (ts("2020-01-01 00:00"), ts("2020-01-31 00:00"));
    let old = s.period_facts(None, old_start, old_end).unwrap();
    assert_eq!(
        old,
        PeriodFacts {
            days: 30,
            ..PeriodFacts::default()
        }
    );
    for kpi in Kpi::ALL {
        assert_eq!(old.value(kpi), None, "{kpi:?}");
    }
    let old_value = s.value_facts(None, old_start, old_end).unwrap();
    assert_eq!(old_value.time_to_value_days(), None);
    assert_eq!(old_value.first_session_percent(), None);
    assert_eq!(old_value.onboarding_completion_percent(), None);
    assert_eq!(
        old_value.lifetime_value_cents(old.value(Kpi::MonthlyChurnPercent)),
        None
    );
    assert!(old_value.churn_reasons.is_empty());
    // revenue is today's, so ARPA exists; no expansion in that period is a real 0%
    close(old_value.arpa_cents(), 906_800.0 / 7.0);
    close(old_value.expansion_percent(), 0.0);
}
