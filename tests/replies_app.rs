//! Replies through the cockpit's own model and worker, as the terminal drives them: the worker
//! opens a filled template, typing is kept as a draft, Ctrl-S asks about blanks and offers the
//! ways out, sending records the reply, sequences schedule their tasks.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tend::app::data::{Cmd, Reply, ReplyOpen, Worker};
use tend::app::keys::KeyMap;
use tend::app::reply::ReplyStage;
use tend::app::{App, Mode, Msg};
use tend::config::Responses;
use tend::demo::DemoOptions;
use tend::domain::health::HealthRules;
use tend::domain::sla::SlaTargets;
use tend::domain::{Channel, Priority, Step};
use tend::responses::{TemplateSet, Via};
use tend::store::{NewTicket, Store};

/// 2026-11-22T09:00:00Z
const NOW: i64 = 1_795_338_000;

fn responses() -> Responses {
    Responses {
        agent_name: Some("Sam Rivera".into()),
        product: Some("Lumen".into()),
        from: Some("Lumen Support <support@lumen.example>".into()),
        ..Default::default()
    }
}

fn worker_with(templates: TemplateSet) -> Worker {
    let store = Store::open_in_memory("tester").unwrap();
    store
        .load_demo(&DemoOptions::default(), &SlaTargets::default(), NOW)
        .unwrap();
    store.recompute_health(&HealthRules::default(), NOW).unwrap();
    Worker::new(store, HealthRules::default(), SlaTargets::default(), Some(NOW)).with_responses(templates, responses())
}

fn worker() -> Worker {
    worker_with(TemplateSet::load(None))
}

fn app() -> App {
    App::new(
        KeyMap::default(),
        HealthRules::default(),
        SlaTargets::default(),
        "test.db".into(),
        "tester".into(),
        NOW,
    )
    .with_responses(TemplateSet::load(None), responses())
}

/// A fresh ticket at Acknowledge with no response yet, from a contact with an email address.
fn new_ticket(w: &Worker) -> i64 {
    let contact = w
        .store
        .contacts(3)
        .unwrap()
        .into_iter()
        .find(|c| c.email.is_some())
        .unwrap();
    w.store
        .create_ticket(
            &NewTicket {
                external_id: None,
                account_id: 3,
                contact_id: Some(contact.id),
                subject: "Export fails on large reports".into(),
                body: "It times out.".into(),
                channel: Channel::Email,
                priority: Priority::High,
                assignee: None,
                tags: vec![],
                opened_at: NOW - 600,
                message_id: Some("<abc@customer.example>".into()),
            },
            &SlaTargets::default(),
        )
        .unwrap()
}

fn open(w: &mut Worker, cmd: Cmd) -> ReplyOpen {
    match w.execute(cmd).as_slice() {
        [Reply::ReplyOpen(o)] => (**o).clone(),
        other => panic!("expected a reply to open, got {other:?}"),
    }
}

fn open_reply(ticket: Option<i64>, account: Option<i64>, task: Option<i64>, template: Option<&str>) -> Cmd {
    Cmd::OpenReply {
        ticket,
        account,
        task,
        template: template.map(str::to_string),
        use_draft: true,
    }
}

fn key(app: &mut App, code: KeyCode, mods: KeyModifiers) -> Vec<Cmd> {
    app.update(Msg::Key(KeyEvent::new(code, mods)))
}

fn type_text(app: &mut App, text: &str) -> Vec<Cmd> {
    text.chars()
        .flat_map(|c| key(app, KeyCode::Char(c), KeyModifiers::NONE))
        .collect()
}

fn ctrl(app: &mut App, c: char) -> Vec<Cmd> {
    key(app, KeyCode::Char(c), KeyModifiers::CONTROL)
}

fn stage(app: &App) -> &ReplyStage {
    match &app.mode {
        Mode::Reply(e) => &e.stage,
        _ => panic!("the reply editor is not open"),
    }
}

#[test]
fn the_reply_key_opens_the_steps_template_filled() {
    let mut w = worker();
    let id = new_ticket(&w);
    let o = open(&mut w, open_reply(Some(id), None, None, None));
    assert_eq!(o.template.as_deref(), Some("acknowledgment"));
    assert!(
        o.text.starts_with("Subject: Re: Export fails on large reports\n\nHi "),
        "{}",
        o.text
    );
    assert!(o.text.contains("\"Export fails on large reports\""));
    assert!(o.text.contains("within 24 hours"), "the SLA's timeframe: {}", o.text);
    assert!(o.text.contains("Sam Rivera"));
    assert!(!o.text.contains('{'), "everything is filled: {}", o.text);
    assert_eq!(o.key, format!("reply:ticket:{id}"));
    assert!(o.to.as_deref().is_some_and(|t| t.contains('@')));
    assert!(!o.pick);

    // a step without a template (Diagnose) opens the picker
    let diag = w
        .store
        .tickets(&Default::default(), NOW)
        .unwrap()
        .into_iter()
        .find(|t| t.step == Step::Diagnose)
        .unwrap();
    let o = open(&mut w, open_reply(Some(diag.id), None, None, None));
    assert!(o.pick && o.template.is_none());
    // an empty template name asks for the picker too
    let o = open(&mut w, open_reply(Some(id), None, None, Some("")));
    assert!(o.pick);
}

#[test]
fn typing_is_kept_and_comes_back() {
    let mut w = worker();
    let id = new_ticket(&w);
    let mut a = app();
    let o = open(&mut w, open_reply(Some(id), None, None, Some("resolution")));
    a.update(Msg::Reply(Reply::ReplyOpen(Box::new(o))));
    assert!(matches!(stage(&a), ReplyStage::Edit));
    // the first blank is selected: typing replaces it
    let cmds = type_text(&mut a, "A timeout");
    let saved: Vec<_> = cmds
        .iter()
        .filter_map(|c| match c {
            Cmd::SaveDraft(d) => Some(d.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(saved.len(), "A timeout".len(), "one save per keystroke");
    let last = saved.last().unwrap();
    assert!(last.body.contains("What was happening: A timeout\n"), "{}", last.body);
    assert!(!last.body.contains("{explanation}"));
    assert_eq!(last.template.as_deref(), Some("resolution"));
    // the worker keeps it; opening the reply again brings it back, not the template
    for d in saved {
        assert!(w.execute(Cmd::SaveDraft(d)).is_empty());
    }
    let back = open(&mut w, open_reply(Some(id), None, None, None));
    assert!(back.text.contains("A timeout"));
    assert_eq!(back.template.as_deref(), Some("resolution"));
    assert_eq!(back.restored, Some(NOW));
    // and LoadAll reports it, so the cockpit can say so
    let replies = w.execute(Cmd::LoadAll);
    assert!(replies.iter().any(|r| matches!(r, Reply::Drafts(d) if d.len() == 1)));
}

#[test]
fn sending_asks_about_blanks_then_offers_the_ways_out() {
    let mut w = worker();
    let id = new_ticket(&w);
    let mut a = app();
    let o = open(&mut w, open_reply(Some(id), None, None, Some("resolution")));
    a.update(Msg::Reply(Reply::ReplyOpen(Box::new(o))));
    assert!(ctrl(&mut a, 's').is_empty());
    match stage(&a) {
        ReplyStage::ConfirmUnfilled(names) => assert_eq!(names, &["explanation", "solution", "next_steps"]),
        s => panic!("expected the unfilled question, got {s:?}"),
    }
    assert!(a.status.contains("{explanation}"), "{}", a.status);
    // any other key goes back to the text
    key(&mut a, KeyCode::Char('n'), KeyModifiers::NONE);
    assert!(matches!(stage(&a), ReplyStage::Edit));
    // accepting explicitly goes on to delivery
    ctrl(&mut a, 's');
    key(&mut a, KeyCode::Char('y'), KeyModifiers::NONE);
    assert!(matches!(stage(&a), ReplyStage::Deliver { .. }));
    let cmds = key(&mut a, KeyCode::Char('1'), KeyModifiers::NONE);
    match cmds.as_slice() {
        [Cmd::Clipboard(text), Cmd::SendReply { key, reply, via }] => {
            assert!(text.starts_with("Subject: Re: Export fails"), "{text}");
            assert_eq!(*via, Via::Clipboard);
            assert_eq!(key, &format!("reply:ticket:{id}"));
            assert_eq!(reply.ticket, Some(id));
            assert_eq!(reply.template_step, Some(Step::Resolve));
        }
        other => panic!("copying sends the text to the terminal, then records it: {other:?}"),
    }
    assert!(matches!(stage(&a), ReplyStage::Sending));
    // a failure keeps the editor and its text
    a.update(Msg::Reply(Reply::ReplyFailed {
        key: format!("reply:ticket:{id}"),
        message: "the relay refused".into(),
    }));
    assert!(matches!(stage(&a), ReplyStage::Edit));
    assert!(a.status.contains("relay refused") && a.status.contains("kept"));
}

#[test]
fn a_sent_reply_is_recorded_and_ticks_its_item() {
    let mut w = worker();
    let id = new_ticket(&w);
    let mut a = app();
    let o = open(&mut w, open_reply(Some(id), None, None, None));
    a.update(Msg::Reply(Reply::ReplyOpen(Box::new(o))));
    let mut cmds = type_text(&mut a, " ");
    for c in cmds.drain(..) {
        w.execute(c);
    }
    assert_eq!(w.store.drafts().unwrap().len(), 1);
    ctrl(&mut a, 's');
    let cmds = key(&mut a, KeyCode::Char('4'), KeyModifiers::NONE);
    let [Cmd::SendReply { .. }] = cmds.as_slice() else {
        panic!("record only: {cmds:?}");
    };
    let replies = w.execute(cmds[0].clone());
    let Some(Reply::ReplySent { message: msg, .. }) = replies.first() else {
        panic!("{replies:?}")
    };
    assert!(msg.contains("first response recorded"), "{msg}");
    assert!(msg.contains("Respond within target time"), "{msg}");
    for r in replies {
        a.update(Msg::Reply(r));
    }
    assert!(matches!(a.mode, Mode::Normal), "the editor closes once recorded");
    let t = w.store.ticket(id).unwrap();
    assert_eq!(t.first_response_at, Some(NOW));
    assert!(w.store.checklist(id, Step::Acknowledge).unwrap()[0]);
    let events = w.store.ticket_events(id).unwrap();
    let reply = events.iter().find(|e| e.kind == "reply").unwrap();
    assert_eq!(reply.actor, "tester");
    assert_eq!(reply.at, NOW);
    assert!(
        w.store.drafts().unwrap().is_empty(),
        "the draft goes once it is recorded"
    );
}

#[test]
fn escalating_opens_the_escalation_template() {
    let mut a = app();
    let w = worker();
    let id = new_ticket(&w);
    let snap = tend::app::data::load_snapshot(&w.store, NOW).unwrap();
    a.update(Msg::Reply(Reply::Snapshot(Box::new(snap))));
    a.view = tend::app::View::Tickets;
    a.select_ticket_id(id);
    let cmds = a.list_requests();
    tend::app::data::settle(&w.store, &mut a, cmds).unwrap();
    assert_eq!(a.selected_ticket().map(|t| t.id), Some(id));
    type_text(&mut a, "e");
    assert!(matches!(a.mode, Mode::Input { .. }));
    type_text(&mut a, "needs an engineer");
    let cmds = key(&mut a, KeyCode::Enter, KeyModifiers::NONE);
    assert!(
        cmds.iter().any(
            |c| matches!(c, Cmd::OpenReply { ticket: Some(t), template: Some(s), .. } if *t == id && s == "escalation")
        ),
        "{cmds:?}"
    );
    let mut w = w;
    let mut opened = None;
    for c in cmds {
        for r in w.execute(c) {
            if let Reply::ReplyOpen(o) = r {
                opened = Some(o);
            }
        }
    }
    let o = opened.unwrap();
    assert_eq!(o.template.as_deref(), Some("escalation"));
    assert!(o.text.contains("specialist team"));
}

#[test]
fn sequences_schedule_from_the_enrolment_day_and_never_twice() {
    let mut w = worker();
    let replies = w.execute(Cmd::Enroll {
        account: 3,
        sequence: "onboarding".into(),
        version: None,
    });
    assert!(
        matches!(&replies[0], Reply::Done(m) if m.contains("6 steps")),
        "{replies:?}"
    );
    let again = w.execute(Cmd::Enroll {
        account: 3,
        sequence: "onboarding".into(),
        version: None,
    });
    assert!(
        matches!(&again[0], Reply::Failed(m) if m.contains("already")),
        "{again:?}"
    );
    let e = &w.store.enrollments(Some(3), false).unwrap()[0];
    assert_eq!((e.steps, e.done, e.enrolled_on.as_str()), (6, 0, "2026-11-22"));
    let due: Vec<String> = (1..=200)
        .filter_map(|id| w.store.task(id).ok())
        .filter(|t| t.enrollment_id == Some(e.id))
        .map(|t| t.due_date)
        .collect();
    assert_eq!(
        due,
        [
            "2026-11-22",
            "2026-11-23",
            "2026-11-25",
            "2026-11-29",
            "2026-12-06",
            "2026-12-13"
        ]
    );
    // today's step opens its template for the account, and sending it closes the task
    let first = (1..=200)
        .filter_map(|id| w.store.task(id).ok())
        .find(|t| t.enrollment_id == Some(e.id))
        .unwrap();
    let o = open(&mut w, open_reply(None, None, Some(first.id), None));
    assert_eq!(o.template.as_deref(), Some("onboarding-welcome"));
    assert_eq!(o.account, 3);
    assert!(o.text.contains("Welcome to Lumen"));
    let sent = w.execute(Cmd::SendReply {
        key: o.key.clone(),
        reply: tend::responses::OutgoingReply {
            ticket: None,
            account: Some(3),
            task: Some(first.id),
            template: o.template.clone(),
            template_step: None,
            draft: o.text.replace("{first_step}", "importing your patients"),
            version: o.version,
        },
        via: Via::Record,
    });
    assert!(
        matches!(&sent[0], Reply::ReplySent { message: m, .. } if m.contains("task done")),
        "{sent:?}"
    );
    assert_eq!(w.store.task(first.id).unwrap().status, "done");
    assert_eq!(w.store.enrollments(Some(3), false).unwrap()[0].done, 1);
    // unenrolling cancels the rest, and then enrolling again is allowed
    let un = w.execute(Cmd::Unenroll {
        account: 3,
        sequence: "onboarding".into(),
        version: None,
    });
    assert!(matches!(&un[0], Reply::Done(m) if m.contains("5 remaining")), "{un:?}");
    assert!(w.store.enrollments(Some(3), false).unwrap().is_empty());
    let again = w.execute(Cmd::Enroll {
        account: 3,
        sequence: "onboarding".into(),
        version: None,
    });
    assert!(matches!(&again[0], Reply::Done(_)), "{again:?}");
}

#[test]
fn a_reply_kept_as_a_template_is_reusable() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = worker_with(TemplateSet::load(Some(dir.path())));
    let id = new_ticket(&w);
    let o = open(&mut w, open_reply(Some(id), None, None, Some("resolution")));
    let text = o
        .text
        .replace("{explanation}", "large exports hit a 30 s limit")
        .replace("{solution}", "we raised the limit for your account")
        .replace("{next_steps}", "none");
    let replies = w.execute(Cmd::SaveTemplate {
        name: "Export timeout fix".into(),
        used_for: "resolve".into(),
        draft: text,
        ticket: Some(id),
        account: 3,
        blanks: vec!["explanation".into(), "solution".into(), "next_steps".into()],
    });
    assert!(
        matches!(&replies[0], Reply::Done(m) if m.contains("export-timeout-fix")),
        "{replies:?}"
    );
    let written = std::fs::read_to_string(dir.path().join("export-timeout-fix.tmpl")).unwrap();
    assert!(
        written.contains("name: Export timeout fix\nfor: resolve\n"),
        "{written}"
    );
    assert!(
        written.contains("Hi {first_name},"),
        "this customer's name is a placeholder again: {written}"
    );
    assert!(written.contains("{issue_summary}"), "{written}");
    assert!(!written.contains("blanks:"), "the blanks were all filled: {written}");
    let Some(Reply::Templates(set)) = replies.get(1) else {
        panic!("{replies:?}")
    };
    assert!(set.get("export-timeout-fix").is_some());
    // the same name again is refused
    let again = w.execute(Cmd::SaveTemplate {
        name: "Export timeout fix".into(),
        used_for: "resolve".into(),
        draft: "Subject: x\n\nbody".into(),
        ticket: None,
        account: 3,
        blanks: vec![],
    });
    assert!(
        matches!(&again[0], Reply::Failed(m) if m.contains("already exists")),
        "{again:?}"
    );
}

#[test]
fn a_kept_draft_is_not_replaced_without_asking() {
    let mut w = worker();
    let id = new_ticket(&w);
    let mut a = app();
    let o = open(&mut w, open_reply(Some(id), None, None, None));
    a.update(Msg::Reply(Reply::ReplyOpen(Box::new(o))));
    for c in type_text(&mut a, "Half written") {
        w.execute(c);
    }
    key(&mut a, KeyCode::Esc, KeyModifiers::NONE);
    // escalating asks for the Escalation template: the draft comes back, with the question
    let o = open(&mut w, open_reply(Some(id), None, None, Some("escalation")));
    assert!(o.text.contains("Half written"));
    assert_eq!(o.suggest.as_deref(), Some("escalation"));
    a.update(Msg::Reply(Reply::ReplyOpen(Box::new(o))));
    assert!(matches!(stage(&a), ReplyStage::ConfirmReplace(s) if s == "escalation"));
    assert!(a.status.contains("Replace it with Escalation?"), "{}", a.status);
    // n keeps the draft
    key(&mut a, KeyCode::Char('n'), KeyModifiers::NONE);
    match &a.mode {
        Mode::Reply(e) => assert!(e.text().contains("Half written")),
        _ => panic!("the editor stays open"),
    }
    // y asks for the template instead of the draft
    key(&mut a, KeyCode::Esc, KeyModifiers::NONE);
    let o = open(&mut w, open_reply(Some(id), None, None, Some("escalation")));
    a.update(Msg::Reply(Reply::ReplyOpen(Box::new(o))));
    let cmds = key(&mut a, KeyCode::Char('y'), KeyModifiers::NONE);
    assert!(
        matches!(cmds.as_slice(), [Cmd::OpenReply { template: Some(t), use_draft: false, .. }] if t == "escalation"),
        "{cmds:?}"
    );
}
