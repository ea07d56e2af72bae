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

#[test]
fn the_first_open_of_a_day_recomputes_health_and_raises_alerts_once() {
    use tend::app::data::{Cmd, Reply, Worker};
    // the data was last scored yesterday
    let s = Store::open_in_memory("tester").unwrap();
    s.load_demo(&DemoOptions::default(), &SlaTargets::default(), NOW - DAY)
        .unwrap();
    s.recompute_health(&HealthRules::default(), NOW - DAY).unwrap();
    assert_eq!(s.latest_snapshot_day().unwrap().as_deref(), Some("2026-11-21"));
    let mut w = Worker::new(s, HealthRules::default(), SlaTargets::default(), Some(NOW)).with_playbooks(playbooks());
    let replies = w.execute(Cmd::DailyRecompute);
    let said: Vec<String> = replies
        .iter()
        .filter_map(|r| match r {
            Reply::Done(m) => Some(m.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].starts_with("New day: health rescored (56 accounts"), "{said:?}");
    assert!(
        replies.iter().any(|r| matches!(r, Reply::Snapshot(_))),
        "the views reload"
    );
    assert_eq!(w.store.latest_snapshot_day().unwrap().as_deref(), Some("2026-11-22"));
    let raised = open_tasks(&w.store).len();
    assert!(raised > 0);
    // a second open the same day (another assistant, or a restart) does nothing
    assert!(w.execute(Cmd::DailyRecompute).is_empty());
    assert_eq!(open_tasks(&w.store).len(), raised);
}

#[test]
fn alerts_start_their_playbook_and_a_running_playbook_is_not_started_twice() {
    let s = store();
    let rules = HealthRules::default();
    let books = playbooks();
    s.raise_alerts(&rules, &books, NOW).unwrap();
    let recovery = books.iter().find(|p| p.slug == "at-risk-recovery").unwrap();
    let tasks = open_tasks(&s);
    // an account whose tier raised the recovery playbook has each later step as a task
    let (_, account, _) = tasks
        .iter()
        .find(|(_, _, c)| c == "tier:critical")
        .expect("a critical account in the demo");
    let rows: Vec<(String, String, String)> = {
        let mut stmt = s
            .connection()
            .prepare("SELECT cause, title, due_date FROM tasks WHERE account_id = ?1 AND playbook = 'at-risk-recovery' ORDER BY due_date, id")
            .unwrap();
        stmt.query_map([account.unwrap()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
    };
    assert_eq!(rows[0].1, format!("Intervention: {}", recovery.steps[0].title));
    for (i, step) in recovery.steps.iter().enumerate().skip(1) {
        let row = rows
            .iter()
            .find(|r| r.0 == recovery.step_cause(i))
            .unwrap_or_else(|| panic!("step {i} in {rows:?}"));
        assert_eq!(row.1, step.title);
        let due = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap() + chrono::Duration::days(i64::from(step.day));
        assert_eq!(row.2, due.format("%Y-%m-%d").to_string());
    }
    // other alerts on the same account add their own task only: no second set of steps
    let step_two = rows.iter().filter(|r| r.0 == recovery.step_cause(1)).count();
    assert_eq!(step_two, 1);
    // by hand, the same playbook is refused while it runs; another one starts
    let err = s
        .start_playbook(account.unwrap(), recovery, None, NOW)
        .unwrap_err()
        .to_string();
    assert!(err.contains("already running"), "{err}");
    let onboarding = books.iter().find(|p| p.slug == "onboarding").unwrap();
    assert_eq!(
        s.start_playbook(account.unwrap(), onboarding, None, NOW).unwrap(),
        onboarding.steps.len()
    );
    assert!(
        s.audit_log(3)
            .unwrap()
            .iter()
            .any(|e| e.action == "playbook" && e.detail.contains("started onboarding"))
    );
}
