//! Alerts raise playbook tasks once per cause; tasks can be done, snoozed and dismissed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tend::demo::DemoOptions;
use tend::domain::DAY;
use tend::domain::health::HealthRules;
use tend::domain::sla::SlaTargets;
use tend::store::Store;

fn playbooks() -> Vec<tend::domain::playbook::Playbook> {
    tend::playbooks::PlaybookSet::load(None).playbooks
}

/// 2026-11-22T09:00:00Z
const NOW: i64 = 1_795_338_000;

fn store() -> Store {
    let s = Store::open_in_memory("tester").unwrap();
    s.load_demo(&DemoOptions::default(), &SlaTargets::default(), NOW)
        .unwrap();
    s.recompute_health(&HealthRules::default(), NOW).unwrap();
    s
}

fn open_tasks(s: &Store) -> Vec<(i64, Option<i64>, String)> {
    let mut stmt = s
        .connection()
        .prepare("SELECT id, account_id, cause FROM tasks WHERE status IN ('open', 'snoozed') ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

#[test]
fn repeated_recomputes_raise_no_duplicates() {
    let s = store();
    let rules = HealthRules::default();
    let first = s.raise_alerts(&rules, &playbooks(), NOW).unwrap();
    assert!(first > 0, "the demo has accounts that need attention");
    let tasks = open_tasks(&s);
    assert_eq!(tasks.len(), first);
    // every task's cause is unique per account
    let mut keys: Vec<(Option<i64>, String)> = tasks.iter().map(|(_, a, c)| (*a, c.clone())).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), tasks.len());
    // again, the same day and a day later: nothing new while they are open
    assert_eq!(s.raise_alerts(&rules, &playbooks(), NOW).unwrap(), 0);
    assert_eq!(s.raise_alerts(&rules, &playbooks(), NOW + DAY).unwrap(), 0);
    // every cause the rules know shows up on the demo data
    let causes: std::collections::HashSet<String> = tasks
        .iter()
        .map(|(_, _, c)| c.split(':').take(2).collect::<Vec<_>>().join(":"))
        .map(|c| if c.starts_with("renewal:") { "renewal".into() } else { c })
        .collect();
    for want in ["tier:critical", "tier:healthy", "usage-drop"] {
        assert!(causes.contains(want), "{want} in {causes:?}");
    }
}

#[test]
fn a_handled_cause_waits_out_the_cooldown() {
    let s = store();
    let rules = HealthRules::default();
    s.raise_alerts(&rules, &playbooks(), NOW).unwrap();
    let (id, account, cause) = open_tasks(&s).into_iter().next().unwrap();
    s.complete_task(id, NOW).unwrap();
    assert!(
        s.complete_task(id, NOW)
            .unwrap_err()
            .to_string()
            .contains("already done")
    );
    // the cause still holds, but it was just handled: not raised again for 30 days
    assert_eq!(s.raise_alerts(&rules, &playbooks(), NOW + DAY).unwrap(), 0);
    let open_for_cause = |s: &Store| open_tasks(s).into_iter().any(|(_, a, c)| a == account && c == cause);
    assert!(!open_for_cause(&s), "not raised again within the cooldown");
}

#[test]
fn snoozed_tasks_come_back_and_dismissals_need_a_reason() {
    let s = store();
    s.raise_alerts(&HealthRules::default(), &playbooks(), NOW).unwrap();
    let (id, _, _) = open_tasks(&s).into_iter().next().unwrap();
    assert!(
        s.snooze_task(id, "2026-11-22", NOW).is_err(),
        "a snooze ends after today"
    );
    s.snooze_task(id, "2026-11-25", NOW).unwrap();
    let due_on = |day: &str| s.tasks_due(day, None).unwrap().iter().any(|t| t.id == id);
    assert!(!due_on("2026-11-24"));
    assert!(due_on("2026-11-25"), "back on Today when the snooze ends");
    assert!(s.dismiss_task(id, "  ", NOW).is_err());
    s.dismiss_task(id, "handled on a call", NOW).unwrap();
    assert!(!due_on("2026-12-31"));
    let log = s.audit_log(5).unwrap();
    assert!(
        log.iter()
            .any(|e| e.action == "dismissed" && e.detail.contains("handled on a call"))
    );
    assert!(
        s.complete_task(999_999, NOW)
            .unwrap_err()
            .to_string()
            .contains("does not exist")
    );
}
