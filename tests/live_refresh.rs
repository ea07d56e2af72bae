#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The worker reloads only what another process changed.

use tend::app::data::{Cmd, Part, Reply, Worker};
use tend::demo::DemoOptions;
use tend::domain::health::HealthRules;
use tend::domain::sla::SlaTargets;
use tend::store::Store;

const NOW: i64 = 1_795_338_000;

fn parts(replies: Vec<Reply>) -> Option<Vec<&'static str>> {
    match replies.into_iter().next()? {
        Reply::Parts(p) => Some(
            p.iter()
                .map(|p| match p {
                    Part::Accounts(_) => "accounts",
                    Part::Tickets(..) => "tickets",
                    Part::Review(_) => "review",
                    Part::Tasks => "tasks",
                    Part::Investigations(_) => "investigations",
                })
                .collect(),
        ),
        _ => None,
    }
}

#[test]
fn only_the_changed_lists_reload() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tend.db");
    let other = Store::open(&path, "other").unwrap();
    other
        .load_demo(&DemoOptions::default(), &SlaTargets::default(), NOW)
        .unwrap();
    let mut worker = Worker::new(
        Store::open(&path, "me").unwrap(),
        HealthRules::default(),
        SlaTargets::default(),
        Some(NOW),
    );
    assert!(matches!(
        worker.execute(Cmd::LoadAll).as_slice(),
        [Reply::Snapshot(_), Reply::Drafts(_)]
    ));
    // nothing changed: no reply at all
    assert!(worker.execute(Cmd::Poll).is_empty());
    // another assistant notes a ticket: only tickets reload
    other.add_note(1, "from another shell", None, NOW).unwrap();
    assert_eq!(parts(worker.execute(Cmd::Poll)), Some(vec!["tickets"]));
    assert!(worker.execute(Cmd::Poll).is_empty());
    // a recompute changes accounts only
    other.recompute_health(&HealthRules::default(), NOW).unwrap();
    assert_eq!(parts(worker.execute(Cmd::Poll)), Some(vec!["accounts"]));
    // an investigation saved elsewhere reloads the investigations alone
    {
        use tend::domain::investigation::{self, Answers, ProcessFit, Rating, Situation};
        let a = Answers {
            situation: Some(Situation::AdoptionIssue),
            goal: "g".into(),
            business_result: "r".into(),
            customer_impact: Some(Rating::Low),
            relationship_impact: Some(Rating::Low),
            scalability: Some(Rating::Low),
            resource_efficiency: Some(Rating::Low),
            process_fit: Some(ProcessFit::Adequate),
            ..Default::default()
        };
        let o = investigation::evaluate(&a, None, NOW);
        other.create_investigation(Some(1), None, &a, &o, NOW).unwrap();
    }
    assert_eq!(parts(worker.execute(Cmd::Poll)), Some(vec!["tasks", "investigations"]));
    // our own writes do not come back as someone else's
    worker.execute(Cmd::Ticket(
        2,
        None,
        tend::app::data::TicketOp::Note { text: "mine".into() },
    ));
    assert!(worker.execute(Cmd::Poll).is_empty());
}
