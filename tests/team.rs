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

fn key(app: &mut App, code: KeyCode) -> Vec<Cmd> {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

#[test]
fn a_note_typed_while_someone_else_changed_the_ticket_comes_back_and_goes_in_on_enter() {
    let (_dir, path) = shared();
    let priya = Store::open(&path, "priya").unwrap();
    let mut worker = Worker::new(
        Store::open(&path, "me").unwrap(),
        HealthRules::default(),
        SlaTargets::default(),
        Some(NOW),
    );
    let mut app = App::new(
        KeyMap::default(),
        HealthRules::default(),
        SlaTargets::default(),
        path.display().to_string(),
        "me".into(),
        NOW,
    );
    let run = |app: &mut App, worker: &mut Worker, cmds: Vec<Cmd>| {
        let mut cmds = tend::app::data::settle(&worker.store, app, cmds).unwrap();
        while let Some(c) = cmds.pop() {
            for r in worker.execute(c) {
                cmds.extend(app.update(Msg::Reply(r)));
            }
            cmds = tend::app::data::settle(&worker.store, app, cmds).unwrap();
        }
    };
    let cmds: Vec<Cmd> = worker
        .execute(Cmd::LoadAll)
        .into_iter()
        .flat_map(|r| app.update(Msg::Reply(r)))
        .collect();
    run(&mut app, &mut worker, cmds);
    app.view = View::Tickets;
    let cmds = app.list_requests();
    run(&mut app, &mut worker, cmds);
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
    let mut w = Worker::new(
        Store::open(&path, "me").unwrap(),
        HealthRules::default(),
        SlaTargets::default(),
        Some(NOW),
    );
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
        Reply::ReplyStale { message, version } => {
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
    assert!(matches!(&replies[0], Reply::ReplySent(_)), "sent on the new version");
    assert_eq!(recorded(&w.store), before + 1);
}
