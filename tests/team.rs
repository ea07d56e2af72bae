#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Several people on one database: a change made on an out-of-date view is refused with a
//! clear message, the view reloads, and the words typed come back.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tend::app::data::{Cmd, TicketOp, Worker};
use tend::app::keys::KeyMap;
use tend::app::{App, InputPurpose, Mode, Msg, View};
use tend::demo::DemoOptions;
use tend::domain::health::HealthRules;
use tend::domain::sla::SlaTargets;
use tend::store::{Store, StoreError};

mod common;
use common::{LockHolder, full_answers};

const NOW: i64 = 1_795_338_000;

fn shared() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tend.db");
    Store::open(&path, "founder")
        .unwrap()
        .load_demo(&DemoOptions::default(), &SlaTargets::default(), NOW)
        .unwrap();
    (dir, path)
}

#[test]
fn a_change_on_an_old_version_is_refused_and_changes_nothing() {
    let (_dir, path) = shared();
    let (me, priya) = (Store::open(&path, "me").unwrap(), Store::open(&path, "priya").unwrap());
    let seen = me.ticket(3).unwrap();
    priya.add_note(3, "called the customer", None, NOW).unwrap();
    let events = me.ticket_events(3).unwrap().len();
    let err = me.add_note(3, "my note", Some(seen.version), NOW + 60).unwrap_err();
    match &err {
        StoreError::Stale { what, change } => {
            assert_eq!(what, "Ticket #3");
            assert!(change.contains("note by priya"), "{change}");
        }
        other => panic!("not refused as stale: {other:?}"),
    }
    assert!(err.to_string().contains("was changed meanwhile"), "{err}");
    assert_eq!(me.ticket_events(3).unwrap().len(), events, "nothing was written");
    // on the version as it is now, the same change goes in
    let now_seen = me.ticket(3).unwrap().version;
    assert!(now_seen > seen.version);
    me.add_note(3, "my note", Some(now_seen), NOW + 60).unwrap();
    assert_eq!(me.ticket_events(3).unwrap().len(), events + 1);
    // each kind of change checks the version
    let old = Some(seen.version);
    assert!(matches!(
        me.wait_on_customer(3, old, NOW),
        Err(StoreError::Stale { .. })
    ));
    assert!(matches!(
        me.snooze_ticket(3, None, old, NOW),
        Err(StoreError::Stale { .. })
    ));
    assert!(matches!(
        me.set_checklist_item(3, 0, true, old, NOW),
        Err(StoreError::Stale { .. })
    ));
    assert!(matches!(
        me.advance_ticket(3, Some("r"), old, NOW),
        Err(StoreError::Stale { .. })
    ));
    assert!(matches!(
        me.move_ticket_back(3, Some("r"), old, NOW),
        Err(StoreError::Stale { .. })
    ));
    assert!(matches!(
        me.escalate_ticket(3, Some("r"), old, NOW),
        Err(StoreError::Stale { .. })
    ));
    assert_eq!(me.ticket_events(3).unwrap().len(), events + 1);
}

/// Answer the app's commands with the worker, as the cockpit's loop does, until none are left.
fn run(app: &mut App, worker: &mut Worker, cmds: Vec<Cmd>) {
    let mut cmds = tend::app::data::settle(&worker.store, app, cmds).unwrap();
    while let Some(c) = cmds.pop() {
        for r in worker.execute(c) {
            cmds.extend(app.update(Msg::Reply(r)));
        }
        cmds = tend::app::data::settle(&worker.store, app, cmds).unwrap();
    }
}

/// The cockpit loaded from `path`, on the ticket queue.
fn loaded_app(path: &std::path::Path, worker: &mut Worker) -> App {
    let mut app = App::new(
        KeyMap::default(),
        HealthRules::default(),
        SlaTargets::default(),
        path.display().to_string(),
        "me".into(),
        NOW,
    );
    let cmds: Vec<Cmd> = worker
        .execute(Cmd::LoadAll)
        .into_iter()
        .flat_map(|r| app.update(Msg::Reply(r)))
        .collect();
    run(&mut app, worker, cmds);
    app.view = View::Tickets;
    let cmds = app.list_requests();
    run(&mut app, worker, cmds);
    app
}

/// The cockpit's worker on the shared database, as "me", at the frozen clock.
fn worker(path: &std::path::Path) -> Worker {
    Worker::new(
        Store::open(path, "me").unwrap(),
        HealthRules::default(),
        SlaTargets::default(),
        Some(NOW),
    )
}

fn key(app: &mut App, code: KeyCode) -> Vec<Cmd> {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

#[test]
fn a_note_typed_while_someone_else_changed_the_ticket_comes_back_and_goes_in_on_enter() {
    let (_dir, path) = shared();
    let priya = Store::open(&path, "priya").unwrap();
    let mut worker = worker(&path);
    let mut app = loaded_app(&path, &mut worker);
    let id = app.selected_ticket().unwrap().id;
    run(&mut app, &mut worker, vec![Cmd::LoadTicket(id)]);
    let before = worker.store.ticket_events(id).unwrap().len();

    // n opens the note; while it is typed, priya moves the ticket on
    let cmds = key(&mut app, KeyCode::Char('n'));
    assert!(matches!(app.mode, Mode::Input { purpose: InputPurpose::Note(t), .. } if t == id));
    run(&mut app, &mut worker, cmds);
    for c in "checked the logs".chars() {
        let cmds = key(&mut app, KeyCode::Char(c));
        run(&mut app, &mut worker, cmds);
    }
    priya.add_note(id, "customer called back", None, NOW).unwrap();
    let cmds = key(&mut app, KeyCode::Enter);
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Cmd::Ticket(t, Some(_), TicketOp::Note { .. }) if *t == id)),
        "{cmds:?}"
    );
    run(&mut app, &mut worker, cmds);
    assert!(app.status.contains("was changed meanwhile"), "{}", app.status);
    assert!(app.status.contains("note by priya"), "{}", app.status);
    assert!(app.status.contains("Your text is kept"), "{}", app.status);
    match &app.mode {
        Mode::Input { purpose, area } => {
            assert_eq!(*purpose, InputPurpose::Note(id));
            assert_eq!(area.lines().join("\n"), "checked the logs");
        }
        _ => panic!("the note did not come back: {}", app.status),
    }
    // the view shows priya's note now, and nothing of ours went in
    let d = app.ticket_detail.as_ref().unwrap();
    assert!(d.events.iter().any(|e| e.body == "customer called back"));
    assert_eq!(worker.store.ticket_events(id).unwrap().len(), before + 1);
    // Enter sends it again, on the ticket as it is now
    let cmds = key(&mut app, KeyCode::Enter);
    run(&mut app, &mut worker, cmds);
    assert!(matches!(app.mode, Mode::Normal), "{}", app.status);
    let events = worker.store.ticket_events(id).unwrap();
    assert_eq!(events.len(), before + 2);
    assert_eq!(events.iter().filter(|e| e.body == "checked the logs").count(), 1);
}

#[test]
fn a_reply_to_a_ticket_changed_since_it_was_opened_is_not_sent_and_stays_in_the_editor() {
    use tend::app::data::Reply;
    use tend::responses::Via;
    let (_dir, path) = shared();
    let priya = Store::open(&path, "priya").unwrap();
    let mut w = worker(&path);
    let open = |w: &mut Worker| {
        let r = w.execute(Cmd::OpenReply {
            ticket: Some(4),
            account: None,
            task: None,
            template: None,
            use_draft: false,
        });
        match r.into_iter().next() {
            Some(Reply::ReplyOpen(o)) => *o,
            _ => panic!("no reply opened"),
        }
    };
    let o = open(&mut w);
    let editor = tend::app::reply::ReplyEditor::new(o.clone(), None);
    let mut out = editor.outgoing();
    out.draft = "Subject: Re: your ticket\n\nHello, it is fixed.".into();
    assert_eq!(out.version, o.version);
    priya.add_note(4, "already on it", None, NOW).unwrap();
    let sent = |w: &mut Worker, reply: tend::responses::OutgoingReply| {
        w.execute(Cmd::SendReply {
            key: o.key.clone(),
            reply,
            via: Via::Record,
        })
    };
    let recorded = |s: &Store| s.ticket_events(4).unwrap().iter().filter(|e| e.kind == "reply").count();
    let before = recorded(&w.store);
    let replies = sent(&mut w, out.clone());
    assert!(
        matches!(&replies[0], Reply::Ticket(d) if d.ticket.id == 4),
        "the ticket reloads first"
    );
    let new_version = match &replies[1] {
        Reply::ReplyStale { message, version, .. } => {
            assert!(message.contains("Ticket #4 was changed meanwhile"), "{message}");
            assert!(message.contains("note by priya"), "{message}");
            *version
        }
        _ => panic!("not refused"),
    };
    assert!(new_version > o.version);
    assert_eq!(recorded(&w.store), before, "nothing was sent or recorded");
    // on the version it now knows, the same reply goes
    out.version = new_version;
    let replies = sent(&mut w, out);
    assert!(
        matches!(&replies[0], Reply::ReplySent { .. }),
        "sent on the new version"
    );
    assert_eq!(recorded(&w.store), before + 1);
}

fn tend(path: &std::path::Path, actor: &str, now: &str, args: &[&str]) -> std::process::Output {
    assert_cmd::Command::cargo_bin("tend")
        .unwrap()
        .env("HOME", path.parent().unwrap())
        .env("XDG_CONFIG_HOME", path.parent().unwrap().join("config"))
        .args(["--db", path.to_str().unwrap(), "--as", actor, "--now", now])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn tend_audit_shows_who_changed_what_since_when_and_by_whom() {
    let (_dir, path) = shared();
    let id = {
        let s = Store::open(&path, "me").unwrap();
        (1..)
            .map(|i| s.ticket(i).unwrap())
            .find(|t| t.closed_at.is_none() && t.support_tier == 1)
            .unwrap()
            .id
    };
    let idt = id.to_string();
    let label = format!("ticket {id}");
    let ok = |o: std::process::Output| {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    ok(tend(
        &path,
        "priya",
        "2026-11-20T10:00:00Z",
        &["tickets", "note", &idt, "called the customer"],
    ));
    ok(tend(
        &path,
        "sam",
        "2026-11-21T10:00:00Z",
        &["tickets", "note", &idt, "sent the fix"],
    ));
    ok(tend(
        &path,
        "priya",
        "2026-11-22T08:00:00Z",
        &["tickets", "escalate", &idt, "--reason", "needs engineering"],
    ));
    let now = "2026-11-22T09:00:00Z";
    let all = ok(tend(&path, "me", now, &["audit"]));
    let lines: Vec<&str> = all.lines().filter(|l| l.contains(&label)).collect();
    assert_eq!(lines.len(), 3, "{all}");
    assert!(
        lines[0].contains("priya") && lines[0].contains("escalate"),
        "newest first: {all}"
    );
    assert!(
        lines[2].contains("priya") && lines[2].contains("called the customer"),
        "{all}"
    );
    let priya = ok(tend(&path, "me", now, &["audit", "--actor", "priya"]));
    assert!(
        priya.contains("called the customer") && priya.contains("needs engineering"),
        "{priya}"
    );
    assert!(!priya.contains("sent the fix"), "{priya}");
    // since 12 hours ago (21:00 on the 21st): Sam's note of the 21st at 10:00 is older
    let recent = ok(tend(&path, "me", now, &["audit", "--since", "12h"]));
    assert!(
        recent.contains("needs engineering") && !recent.contains("sent the fix"),
        "{recent}"
    );
    let dated = ok(tend(
        &path,
        "me",
        now,
        &["audit", "--since", "2026-11-21", "--format", "json"],
    ));
    let v: serde_json::Value = serde_json::from_str(&dated).unwrap();
    let actors: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    // newest first by time: the demo was loaded at 09:00 on the 22nd
    assert_eq!(actors, ["founder", "priya", "sam"]);
    // a bare date counts from its first second: Sam's note at 10:00 on the 21st, and more
    let day = ok(tend(&path, "me", now, &["audit", "--since", "2026-11-20"]));
    assert!(day.contains("called the customer"), "{day}");
    // an age ending in any character is a clear error, not a crash
    let odd = tend(&path, "me", now, &["audit", "--since", "7日"]);
    assert_eq!(odd.status.code(), Some(1), "{}", String::from_utf8_lossy(&odd.stderr));
    let bad = tend(&path, "me", now, &["audit", "--since", "last tuesday"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("is not a time"));

    // the ticket's and the account's audit panes in the cockpit
    let store = Store::open(&path, "me").unwrap();
    let d = tend::app::data::load_ticket(&store, id).unwrap();
    let actions: Vec<(&str, &str)> = d.audit.iter().map(|e| (e.actor.as_str(), e.action.as_str())).collect();
    assert_eq!(actions, [("priya", "escalate"), ("sam", "note"), ("priya", "note")]);
    let mut worker = worker(&path);
    let mut app = loaded_app(&path, &mut worker);
    app.select_ticket_id(id);
    let cmds = app.list_requests();
    run(&mut app, &mut worker, cmds);
    assert_eq!(app.selected_ticket().unwrap().id, id);
    run(&mut app, &mut worker, vec![Cmd::LoadTicket(id)]);
    let screen = tend::tui::render_to_text(&mut app, &tend::ui::theme::Theme::mono(), 120, 80);
    assert!(screen.contains("Changes (who, what; newest first)"), "{screen}");
    assert!(screen.contains("sam note: sent the fix"), "{screen}");
    let account = d.ticket.account_id;
    store
        .start_playbook(
            account,
            &tend::playbooks::PlaybookSet::load(None).playbooks[0],
            None,
            NOW,
        )
        .unwrap();
    let a = tend::app::data::load_account(&store, account, NOW, &HealthRules::default()).unwrap();
    assert!(
        a.audit.iter().any(|e| e.actor == "me" && e.action == "playbook"),
        "{:?}",
        a.audit
    );
}

/// Updates each worker process makes.
const UPDATES: usize = 500;
/// The tickets they share.
const SHARED: usize = 5;

/// One of the four processes of the test below: not a test of its own (it is ignored, and
/// runs only when that test starts it, with the database's path in `TEAM_DB`).
#[test]
#[ignore = "a child process of four_processes_each_make_500_interleaved_updates_and_none_is_lost"]
fn team_worker_process() {
    let (Ok(db), Ok(me), Ok(tickets)) = (
        std::env::var("TEAM_DB"),
        std::env::var("TEAM_ACTOR"),
        std::env::var("TEAM_TICKETS"),
    ) else {
        panic!("run by four_processes_each_make_500_interleaved_updates_and_none_is_lost only");
    };
    let tickets: Vec<i64> = tickets.split(',').map(|t| t.parse().unwrap()).collect();
    let store = Store::open(std::path::Path::new(&db), &me).unwrap();
    let (mut refused, mut per_ticket) = (0usize, vec![0usize; tickets.len()]);
    for i in 0..UPDATES {
        let n = i % tickets.len();
        let id = tickets[n];
        // read, then change on what was read: another process may have changed it meanwhile,
        // which is refused (and tried again on the new version), never lost or overwritten
        loop {
            let t = store.ticket(id).unwrap();
            let result = if i % 2 == 0 {
                store.add_note(id, &format!("{me}-{i}"), Some(t.version), NOW + i as i64)
            } else {
                store
                    .set_checklist_item(id, i % 3, (i / 2) % 2 == 0, Some(t.version), NOW + i as i64)
                    .map(|_| ())
            };
            match result {
                Ok(()) => break,
                Err(StoreError::Stale { .. }) => refused += 1,
                Err(e) => panic!("{me}, update {i} of #{id}: {e}"),
            }
        }
        per_ticket[n] += 1;
    }
    println!(
        "TEAM {me} refused={refused} per_ticket={}",
        per_ticket.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(",")
    );
}

#[test]
fn four_processes_each_make_500_interleaved_updates_and_none_is_lost() {
    let (_dir, path) = shared();
    let store = Store::open(&path, "me").unwrap();
    let tickets: Vec<i64> = (1..)
        .map(|i| store.ticket(i).unwrap())
        .filter(|t| t.closed_at.is_none())
        .take(SHARED)
        .map(|t| t.id)
        .collect();
    let versions = |s: &Store| {
        tickets
            .iter()
            .map(|id| s.ticket(*id).unwrap().version)
            .collect::<Vec<_>>()
    };
    let before = versions(&store);
    let events_before: Vec<usize> = tickets
        .iter()
        .map(|id| store.ticket_events(*id).unwrap().len())
        .collect();
    let list = tickets.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(",");
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (1..=4)
        .map(|k| {
            std::process::Command::new(&exe)
                .args([
                    "--exact",
                    "team_worker_process",
                    "--ignored",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env("TEAM_DB", &path)
                .env("TEAM_ACTOR", format!("w{k}"))
                .env("TEAM_TICKETS", &list)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut refused = 0;
    let mut per_ticket = [0usize; SHARED];
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "a worker failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = stdout
            .lines()
            .find_map(|l| l.find("TEAM ").map(|at| &l[at..]))
            .unwrap_or_else(|| panic!("{stdout}"));
        let field = |name: &str| line.split(' ').find_map(|f| f.strip_prefix(name)).unwrap().to_string();
        refused += field("refused=").parse::<usize>().unwrap();
        for (n, c) in field("per_ticket=").split(',').enumerate() {
            per_ticket[n] += c.parse::<usize>().unwrap();
        }
    }
    assert_eq!(per_ticket.iter().sum::<usize>(), 4 * UPDATES);
    // every update is there: one version step each, one timeline event each, one audit entry each
    let after = versions(&store);
    for n in 0..SHARED {
        assert_eq!(after[n] - before[n], per_ticket[n] as i64, "ticket #{}", tickets[n]);
        let events = store.ticket_events(tickets[n]).unwrap();
        assert_eq!(events.len() - events_before[n], per_ticket[n], "ticket #{}", tickets[n]);
    }
    for k in 1..=4 {
        let me = format!("w{k}");
        let log = store
            .audit_entries(&tend::store::AuditQuery {
                actor: Some(me.clone()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(log.len(), UPDATES, "{me}'s audit entries");
        // each of its notes once
        let notes: std::collections::BTreeSet<String> = tickets
            .iter()
            .flat_map(|id| store.ticket_events(*id).unwrap())
            .filter(|e| e.actor == me && e.kind == "note")
            .map(|e| e.body)
            .collect();
        assert_eq!(notes.len(), UPDATES / 2, "{me}'s notes");
    }
    let check = store.check().unwrap();
    assert!(check.ok, "{check:?}");
    eprintln!("4 x {UPDATES} updates on {SHARED} tickets; {refused} refused as stale and made again");
}

#[test]
fn enrolling_an_account_an_import_changed_meanwhile_is_refused_and_shows_it_as_it_is_now() {
    use tend::app::data::Reply;
    let (dir, path) = shared();
    let mut w = worker(&path);
    let seen = w.store.account(3).unwrap();
    // sam imports a new plan for it
    let csv = dir.path().join("plans.csv");
    let key = seen.external_id.clone().unwrap_or_else(|| format!("tend:{}", seen.id));
    std::fs::write(&csv, format!("external_id,plan\n{key},Scale\n")).unwrap();
    let out = tend(
        &path,
        "sam",
        "2026-11-22T09:00:00Z",
        &["import", "accounts", csv.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let replies = w.execute(Cmd::Enroll {
        account: 3,
        sequence: "winback".into(),
        version: Some(seen.version),
    });
    assert!(
        matches!(&replies[0], Reply::Account(d) if d.account.plan == "Scale"),
        "reloaded"
    );
    match &replies[1] {
        Reply::Failed(m) => {
            assert!(m.contains("changed meanwhile") && m.contains("import by sam"), "{m}");
        }
        _ => panic!("not refused"),
    }
    assert!(
        w.store.enrollments(Some(3), true).unwrap().is_empty(),
        "nothing was enrolled"
    );
    // on the version it now shows, the enrolment goes in
    let now_seen = w.store.account(3).unwrap().version;
    let replies = w.execute(Cmd::Enroll {
        account: 3,
        sequence: "winback".into(),
        version: Some(now_seen),
    });
    assert!(matches!(&replies[0], Reply::Done(_)));
    assert_eq!(w.store.enrollments(Some(3), true).unwrap().len(), 1);
}

#[test]
fn since_takes_a_day_from_its_first_second_an_age_and_refuses_the_rest_without_a_crash() {
    use tend::cli::{parse_since, parse_time_at};
    let day = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp();
    assert_eq!(parse_since("2026-11-20", NOW).unwrap(), day("2026-11-20T00:00:00Z"));
    assert_eq!(parse_since("7d", NOW).unwrap(), NOW - 7 * 86_400);
    assert_eq!(parse_since("-12h", NOW).unwrap(), NOW - 12 * 3_600);
    assert_eq!(parse_since("30m", NOW).unwrap(), NOW - 1_800);
    assert_eq!(
        parse_since("2026-11-20T08:30", NOW).unwrap(),
        day("2026-11-20T08:30:00Z")
    );
    for bad in ["7日", "日", "", "d", "yesterday", "99999999999999999d"] {
        assert!(parse_since(bad, NOW).is_err(), "{bad:?}");
    }
    for bad in ["+1日", "+日", "+"] {
        assert!(parse_time_at(bad, NOW).is_err(), "{bad:?}");
    }
}

#[test]
fn several_cockpits_opening_on_a_new_day_recompute_it_once() {
    use tend::app::data::Reply;
    let (_dir, path) = shared();
    // today's snapshots taken; tomorrow is a new day
    Store::open(&path, "founder")
        .unwrap()
        .recompute_health(&HealthRules::default(), NOW)
        .unwrap();
    let tomorrow = NOW + 86_400;
    let handles: Vec<_> = (0..3)
        .map(|k| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut w = Worker::new(
                    Store::open(&path, &format!("c{k}")).unwrap(),
                    HealthRules::default(),
                    SlaTargets::default(),
                    Some(tomorrow),
                );
                w.execute(Cmd::DailyRecompute)
            })
        })
        .collect();
    let mut ran = 0;
    for h in handles {
        for r in h.join().unwrap() {
            match r {
                Reply::Done(m) if m.starts_with("New day") => ran += 1,
                Reply::Failed(m) => panic!("{m}"),
                _ => {}
            }
        }
    }
    assert_eq!(ran, 1, "one cockpit recomputes the new day, the others find it done");
    let store = Store::open(&path, "me").unwrap();
    let recomputes = store
        .audit_entries(&tend::store::AuditQuery {
            since: Some(tomorrow),
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "recompute")
        .count();
    assert_eq!(recomputes, 1);
}

#[test]
fn a_paste_is_text_in_an_input_and_nothing_elsewhere() {
    let (_dir, path) = shared();
    let mut worker = worker(&path);
    let mut app = loaded_app(&path, &mut worker);
    let id = app.selected_ticket().unwrap().id;
    run(&mut app, &mut worker, vec![Cmd::LoadTicket(id)]);
    // in the queue, a paste runs nothing (its 'a' would advance, its 'q' quit)
    let cmds = app.update(Msg::Paste("a\nq".into()));
    assert!(cmds.is_empty(), "{cmds:?}");
    assert!(!app.quit && matches!(app.mode, Mode::Normal));
    assert!(app.status.contains("Pasting works in"), "{}", app.status);
    // in a note, it is text: newlines kept, nothing sent, the draft saved
    key(&mut app, KeyCode::Char('n'));
    let cmds = app.update(Msg::Paste("first line\r\nsecond, with a\nthird".into()));
    match &app.mode {
        Mode::Input { area, .. } => assert_eq!(area.lines().join("\n"), "first line\nsecond, with a\nthird"),
        _ => panic!("the note input closed"),
    }
    assert!(
        cmds.iter()
            .all(|c| matches!(c, Cmd::SaveDraft(d) if d.body.starts_with("first line\nsecond"))),
        "{cmds:?}"
    );
    assert!(!cmds.is_empty());
}

#[test]
fn a_refused_escalation_does_not_open_the_escalation_reply_behind_it() {
    use tend::app::data::Reply;
    let (_dir, path) = shared();
    let priya = Store::open(&path, "priya").unwrap();
    let mut w = worker(&path);
    let id = (1..)
        .map(|i| w.store.ticket(i).unwrap())
        .find(|t| t.closed_at.is_none() && t.support_tier == 1)
        .unwrap()
        .id;
    let seen = w.store.ticket(id).unwrap().version;
    priya.add_note(id, "on it", None, NOW).unwrap();
    let open = Cmd::OpenReply {
        ticket: Some(id),
        account: None,
        task: None,
        template: Some("escalation".into()),
        use_draft: true,
    };
    // the cockpit sends the escalation, then the reply to tell the customer
    let refused = w.execute(Cmd::Ticket(
        id,
        Some(seen),
        TicketOp::Escalate {
            reason: "needs engineering".into(),
        },
    ));
    assert!(refused.iter().any(|r| matches!(r, Reply::Stale { .. })));
    assert!(
        w.execute(open.clone()).is_empty(),
        "no reply opened for an escalation not made"
    );
    // made on the version it now shows, the escalation goes in and its reply opens
    let now_seen = w.store.ticket(id).unwrap().version;
    let done = w.execute(Cmd::Ticket(
        id,
        Some(now_seen),
        TicketOp::Escalate {
            reason: "needs engineering".into(),
        },
    ));
    assert!(matches!(&done[0], Reply::Done(_)), "escalated");
    assert!(matches!(w.execute(open).first(), Some(Reply::ReplyOpen(_))));
}

#[test]
fn a_reply_queued_behind_another_write_can_be_left_and_goes_out_later_without_closing_a_newer_one() {
    use tend::app::data::Reply;
    let (_dir, path) = shared();
    let mut w = worker(&path);
    let mut app = loaded_app(&path, &mut w);
    let open = |w: &mut Worker, app: &mut App, ticket: i64| {
        let replies = w.handle(Cmd::OpenReply {
            ticket: Some(ticket),
            account: None,
            task: None,
            template: Some("follow-up".into()),
            use_draft: false,
        });
        for r in replies {
            app.update(Msg::Reply(r));
        }
        assert!(
            matches!(&app.mode, Mode::Reply(e) if e.ticket == Some(ticket)),
            "{:?}",
            app.status
        );
    };
    let replies_on_4 = |w: &Worker| {
        w.store
            .ticket_events(4)
            .unwrap()
            .iter()
            .filter(|e| e.kind == "reply")
            .count()
    };
    let before = replies_on_4(&w);
    open(&mut w, &mut app, 4);
    // a word typed, then send: Ctrl-S, send any blanks as written, and 4: record it
    let mut cmds = key(&mut app, KeyCode::Char('x'));
    cmds.extend(app.update(Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL))));
    if app.status.starts_with("Still to fill") {
        cmds.extend(key(&mut app, KeyCode::Char('y')));
    }
    cmds.extend(key(&mut app, KeyCode::Char('4')));
    assert!(
        cmds.iter().any(|c| matches!(c, Cmd::SendReply { .. })),
        "{cmds:?} {}",
        app.status
    );

    let hold = LockHolder::lock(&path);
    for c in cmds {
        for r in w.handle(c) {
            app.update(Msg::Reply(r));
        }
    }
    assert_eq!(app.waiting.last().map(String::as_str), Some("your reply to #4"));
    // the editor need not be held while it waits: Esc leaves it to go on its own
    key(&mut app, KeyCode::Esc);
    assert!(matches!(app.mode, Mode::Normal));
    assert!(
        app.status
            .starts_with("Your reply goes out as soon as the other write is done"),
        "{}",
        app.status
    );
    // another reply, opened meanwhile, is being written when the first goes out
    open(&mut w, &mut app, 5);
    drop(hold);
    let replies = w.handle(Cmd::Poll);
    assert!(
        replies
            .iter()
            .any(|r| matches!(r, Reply::ReplySent { message: m, .. } if m.starts_with("Reply to #4 recorded"))),
        "{replies:?}"
    );
    for r in replies {
        app.update(Msg::Reply(r));
    }
    assert!(
        matches!(&app.mode, Mode::Reply(e) if e.ticket == Some(5)),
        "the newer editor stays open"
    );
    assert!(app.waiting.is_empty());
    assert_eq!(replies_on_4(&w), before + 1, "sent once");
}

#[test]
fn a_note_taken_up_from_the_drafts_list_for_a_ticket_not_on_screen_is_checked_against_its_version() {
    use tend::app::data::Reply;
    let (_dir, path) = shared();
    let mut w = worker(&path);
    let mut app = loaded_app(&path, &mut w);
    let shown: Vec<i64> = app.tickets.rows.iter().map(|t| t.id).collect();
    let id = w
        .store
        .tickets(
            &tend::store::TicketFilter {
                all: true,
                ..Default::default()
            },
            NOW,
        )
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .find(|id| !shown.contains(id))
        .expect("a ticket the screen does not show");
    assert_eq!(app.shown_ticket_version(id), None);
    w.store
        .save_draft(&tend::store::Draft {
            key: format!("note:{id}"),
            body: "typed yesterday".into(),
            template: None,
            ticket_id: Some(id),
            account_id: None,
            task_id: None,
            updated_at: NOW - 3600,
        })
        .unwrap();
    for r in w.handle(Cmd::LoadDrafts) {
        app.update(Msg::Reply(r));
    }
    let at = app
        .saved_drafts
        .iter()
        .position(|d| d.key == format!("note:{id}"))
        .unwrap();
    app.mode = Mode::Drafts { selected: at };
    let cmds = key(&mut app, KeyCode::Enter);
    assert_eq!(cmds, vec![Cmd::TicketVersion(id)]);
    run(&mut app, &mut w, cmds);
    assert!(matches!(&app.mode, Mode::Input { purpose: InputPurpose::Note(t), .. } if *t == id));
    // someone else changes it while the note is finished
    Store::open(&path, "priya")
        .unwrap()
        .add_note(id, "closed it with the customer", None, NOW)
        .unwrap();
    let cmds = key(&mut app, KeyCode::Enter);
    assert!(
        matches!(cmds.as_slice(), [Cmd::Ticket(t, Some(_), TicketOp::Note { .. })] if *t == id),
        "{cmds:?}"
    );
    let replies = w.handle(cmds.into_iter().next().unwrap());
    assert!(
        replies
            .iter()
            .any(|r| matches!(r, Reply::Stale { message, .. } if message.contains("note by priya"))),
        "{replies:?}"
    );
}

#[test]
fn changes_to_one_ticket_queued_behind_another_write_do_not_refuse_each_other() {
    use tend::app::data::Reply;
    let (_dir, path) = shared();
    let mut w = worker(&path);
    let mut app = loaded_app(&path, &mut w);
    let id = app.tickets.rows[0].id;
    app.select_ticket_id(id);
    let seen = app.shown_ticket_version(id).unwrap();
    let hold = LockHolder::lock(&path);
    // three changes typed on the version the screen shows, as the keys ask them
    let asked = vec![
        Cmd::Ticket(id, Some(seen), TicketOp::Note { text: "first".into() }),
        Cmd::Ticket(id, Some(seen), TicketOp::SetItem { item: 0, done: true }),
        Cmd::Ticket(id, Some(seen), TicketOp::Note { text: "second".into() }),
    ];
    for c in asked {
        for r in w.handle(c) {
            app.update(Msg::Reply(r));
        }
    }
    assert_eq!(app.waiting.len(), 3);
    drop(hold);
    let replies = w.handle(Cmd::Poll);
    assert!(
        !replies
            .iter()
            .any(|r| matches!(r, Reply::Stale { .. } | Reply::Failed(_))),
        "each saw only this cockpit's own changes before it: {replies:?}"
    );
    let notes: Vec<String> = w
        .store
        .ticket_events(id)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "note")
        .map(|e| e.body)
        .collect();
    assert_eq!(notes[notes.len() - 2..], ["first".to_string(), "second".to_string()]);
    // someone else's change in between is still caught
    let now = w.store.ticket(id).unwrap().version;
    Store::open(&path, "priya")
        .unwrap()
        .add_note(id, "mine", None, NOW)
        .unwrap();
    let replies = w.handle(Cmd::Ticket(id, Some(seen), TicketOp::Note { text: "late".into() }));
    assert!(
        replies.iter().any(|r| matches!(r, Reply::Stale { .. })),
        "asked on {seen}, the ticket at {now} then changed by priya: {replies:?}"
    );
}

#[test]
fn two_changes_asked_faster_than_their_answers_come_back_do_not_refuse_each_other() {
    use tend::app::data::Reply;
    let (_dir, path) = shared();
    let mut w = worker(&path);
    let mut app = loaded_app(&path, &mut w);
    let id = app.tickets.rows[0].id;
    app.select_ticket_id(id);
    let seen = app.shown_ticket_version(id).unwrap();
    // two checklist ticks: the second asked before the first one's reload arrived
    let first = w.handle(Cmd::Ticket(id, Some(seen), TicketOp::SetItem { item: 0, done: true }));
    let second = w.handle(Cmd::Ticket(id, Some(seen), TicketOp::SetItem { item: 1, done: true }));
    assert!(matches!(&first[0], Reply::Done(_)), "{first:?}");
    assert!(matches!(&second[0], Reply::Done(_)), "{second:?}");
}

#[test]
fn typing_again_under_a_draft_whose_drop_or_send_waits_keeps_the_new_text() {
    use tend::store::Draft;
    let (_dir, path) = shared();
    let mut w = worker(&path);
    let draft = |body: &str| Draft {
        key: "reply:ticket:4".into(),
        body: body.into(),
        template: None,
        ticket_id: Some(4),
        account_id: None,
        task_id: None,
        updated_at: NOW,
    };
    let body = |w: &Worker| {
        w.store
            .drafts()
            .unwrap()
            .into_iter()
            .find(|d| d.key == "reply:ticket:4")
            .map(|d| d.body)
    };
    // a reply closed unedited drops its draft: the drop waits, then typing starts again
    w.handle(Cmd::SaveDraft(draft("old words")));
    let hold = LockHolder::lock(&path);
    w.handle(Cmd::DeleteDraft("reply:ticket:4".into()));
    w.handle(Cmd::SaveDraft(draft("new words")));
    drop(hold);
    w.handle(Cmd::Poll);
    assert_eq!(body(&w).as_deref(), Some("new words"));
    // a reply sent while another writes, then typed on again under the same key
    let hold = LockHolder::lock(&path);
    w.handle(Cmd::SendReply {
        key: "reply:ticket:4".into(),
        reply: tend::responses::OutgoingReply {
            ticket: Some(4),
            account: None,
            task: None,
            template: None,
            template_step: None,
            draft: "Subject: Re: it\n\nnew words".into(),
            version: None,
        },
        via: tend::responses::Via::Record,
    });
    w.handle(Cmd::SaveDraft(draft("a follow-up begun meanwhile")));
    // what the drafts list and a reply opened now show: the newest typing, not yet stored
    let listed = w.handle(Cmd::LoadDrafts);
    assert!(
        matches!(&listed[0], tend::app::data::Reply::Drafts(d) if d.iter().any(|d| d.body == "a follow-up begun meanwhile")),
        "{listed:?}"
    );
    drop(hold);
    let replies = w.handle(Cmd::Poll);
    assert!(
        replies
            .iter()
            .any(|r| matches!(r, tend::app::data::Reply::ReplySent { .. })),
        "{replies:?}"
    );
    assert_eq!(body(&w).as_deref(), Some("a follow-up begun meanwhile"));
    // and the next send under the key drops it as usual
    w.handle(Cmd::DeleteDraft("reply:ticket:4".into()));
    assert_eq!(body(&w), None);
}

#[test]
fn typing_after_two_queued_notes_outlives_both() {
    use tend::store::Draft;
    let (_dir, path) = shared();
    let mut w = worker(&path);
    let note = |t: &str| Cmd::Ticket(1, None, TicketOp::Note { text: t.into() });
    let hold = LockHolder::lock(&path);
    w.handle(note("one"));
    w.handle(note("two"));
    w.handle(Cmd::SaveDraft(Draft {
        key: "note:1".into(),
        body: "three, being typed".into(),
        template: None,
        ticket_id: Some(1),
        account_id: None,
        task_id: None,
        updated_at: NOW,
    }));
    drop(hold);
    w.handle(Cmd::Poll);
    let kept: Vec<String> = w.store.drafts().unwrap().into_iter().map(|d| d.body).collect();
    assert_eq!(kept, ["three, being typed"]);
    // a note queued after the typing is the typing sent: it drops the draft
    let hold = LockHolder::lock(&path);
    w.handle(note("three, being typed"));
    drop(hold);
    w.handle(Cmd::Poll);
    assert!(w.store.drafts().unwrap().is_empty());
}

#[test]
fn an_investigation_saved_while_another_writes_drops_its_draft_even_when_its_form_is_left_first() {
    use tend::store::Draft;
    let (_dir, path) = shared();
    let mut w = worker(&path);
    let answers = full_answers();
    let key = "investigation:ticket:2".to_string();
    let hold = LockHolder::lock(&path);
    w.handle(Cmd::SaveInvestigation {
        key: key.clone(),
        ticket: Some(2),
        account: None,
        answers: Box::new(answers.clone()),
    });
    // leaving the form keeps the same answers as its draft: not newer typing
    w.handle(Cmd::SaveDraft(Draft {
        key: key.clone(),
        body: serde_json::to_string(&answers).unwrap(),
        template: None,
        ticket_id: Some(2),
        account_id: None,
        task_id: None,
        updated_at: NOW,
    }));
    drop(hold);
    let replies = w.handle(Cmd::Poll);
    assert!(
        replies
            .iter()
            .any(|r| matches!(r, tend::app::data::Reply::InvestigationSaved { .. })),
        "{replies:?}"
    );
    assert!(
        w.store.drafts().unwrap().is_empty(),
        "no saved investigation comes back as a draft"
    );
}

#[test]
fn typing_not_yet_stored_lists_first_and_newest_first() {
    use tend::store::Draft;
    let (_dir, path) = shared();
    let mut w = worker(&path);
    let draft = |key: &str, body: &str, at: i64| Draft {
        key: key.into(),
        body: body.into(),
        template: None,
        ticket_id: None,
        account_id: Some(1),
        task_id: None,
        updated_at: at,
    };
    w.handle(Cmd::SaveDraft(draft("reply:account:1", "stored", NOW - 60)));
    let hold = LockHolder::lock(&path);
    // a change queued so the draft saves wait too
    w.handle(Cmd::Ticket(1, None, TicketOp::Note { text: "x".into() }));
    w.handle(Cmd::SaveDraft(draft("reply:account:2", "older typing", NOW)));
    w.handle(Cmd::SaveDraft(draft("reply:account:3", "newer typing", NOW + 1)));
    w.handle(Cmd::SaveDraft(draft("reply:account:1", "", NOW + 2)));
    let listed = match w.handle(Cmd::LoadDrafts).into_iter().next() {
        Some(tend::app::data::Reply::Drafts(d)) => d,
        other => panic!("{other:?}"),
    };
    let bodies: Vec<&str> = listed.iter().map(|d| d.body.as_str()).collect();
    assert_eq!(bodies, ["newer typing", "older typing"], "a text cleared is no draft");
    drop(hold);
}

#[test]
fn an_answer_to_a_reply_put_aside_by_the_quit_question_reaches_it_and_ctrl_c_twice_quits() {
    use tend::app::data::Reply;
    let (_dir, path) = shared();
    let mut w = worker(&path);
    let mut app = loaded_app(&path, &mut w);
    for r in w.handle(Cmd::OpenReply {
        ticket: Some(4),
        account: None,
        task: None,
        template: Some("follow-up".into()),
        use_draft: false,
    }) {
        app.update(Msg::Reply(r));
    }
    let key_of = |app: &App| match &app.mode {
        Mode::Reply(e) => e.key.clone(),
        _ => panic!("no editor"),
    };
    let k = key_of(&app);
    let ctrl = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
    key(&mut app, KeyCode::Char('x'));
    app.update(Msg::Key(ctrl('s')));
    if app.status.starts_with("Still to fill") {
        key(&mut app, KeyCode::Char('y'));
    }
    let sent = key(&mut app, KeyCode::Char('4'));
    assert!(sent.iter().any(|c| matches!(c, Cmd::SendReply { .. })));
    assert!(app.reply_in_flight());
    // an answer for another editor's draft leaves this one be
    app.update(Msg::Reply(Reply::ReplyFailed {
        key: "reply:ticket:999".into(),
        message: "elsewhere".into(),
    }));
    assert!(matches!(&app.mode, Mode::Reply(e) if matches!(e.stage, tend::app::reply::ReplyStage::Sending)));
    // Ctrl-C asks, and the editor is put aside; its answer comes meanwhile
    app.update(Msg::Key(ctrl('c')));
    assert!(matches!(app.mode, Mode::ConfirmQuit), "{}", app.status);
    app.update(Msg::Reply(Reply::ReplySent {
        key: k.clone(),
        message: "Reply to #4 recorded.".into(),
    }));
    // staying: the sent reply's editor does not come back stuck in sending
    key(&mut app, KeyCode::Char('n'));
    assert!(
        matches!(app.mode, Mode::Normal),
        "{:?}",
        std::mem::discriminant(&app.mode)
    );
    assert!(!app.quit);
    // Ctrl-C twice quits
    app.drafts.insert(InputPurpose::Note(4), "unsent".into());
    app.update(Msg::Key(ctrl('c')));
    assert!(matches!(app.mode, Mode::ConfirmQuit));
    app.update(Msg::Key(ctrl('c')));
    assert!(app.quit);
}
