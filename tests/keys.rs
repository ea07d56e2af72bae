//! The key map, driven through `App::update` as the terminal would: every key that help shows
//! does what help says, overrides move keys, filtering narrows, quitting asks when text is
//! unsaved.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::cell::RefCell;
use std::rc::Rc;
use tend::app::data::{Cmd, Reply, Snapshot, TicketOp, load_account, load_snapshot, load_ticket};
use tend::app::keys::{Action, Key, KeyMap, KeyOverrides, Scope};
use tend::app::review::Target;
use tend::app::{AccountColumn, App, InputPurpose, Mode, Msg, QueueFilter, View};
use tend::demo::DemoOptions;
use tend::domain::health::HealthRules;
use tend::domain::sla::SlaTargets;
use tend::domain::{Step, Tier};
use tend::store::Store;
use tend::tui::render_to_text;
use tend::ui::theme::Theme;

fn playbooks() -> Vec<tend::domain::playbook::Playbook> {
    tend::playbooks::PlaybookSet::load(None).playbooks
}

/// 2026-11-22T09:00:00Z
const NOW: i64 = 1_795_338_000;

const VIEWS: [(Scope, View); 5] = [
    (Scope::Today, View::Today),
    (Scope::Accounts, View::Accounts),
    (Scope::Tickets, View::Tickets),
    (Scope::Investigations, View::Investigations),
    (Scope::Metrics, View::Metrics),
];

/// The demo data at the frozen clock, loaded once per test; each `fresh` app gets a copy.
struct World {
    store: Rc<Store>,
    snap: Snapshot,
}

thread_local! {
    /// This test's store, for answering the list windows the app asks for as keys are pressed.
    static STORE: RefCell<Option<Rc<Store>>> = const { RefCell::new(None) };
}

/// Answer the app's list requests at once, as the worker would; the other effects are returned.
fn settle(app: &mut App, cmds: Vec<Cmd>) -> Vec<Cmd> {
    STORE.with(|s| match s.borrow().as_ref() {
        Some(store) => tend::app::data::settle(store, app, cmds).unwrap(),
        None => cmds,
    })
}

impl World {
    fn new() -> World {
        let store = Store::open_in_memory("tester").unwrap();
        store
            .load_demo(&DemoOptions::default(), &SlaTargets::default(), NOW)
            .unwrap();
        store.backfill_snapshots(&HealthRules::default(), NOW, 30).unwrap();
        store.recompute_health(&HealthRules::default(), NOW).unwrap();
        // enough investigations to page through
        use tend::domain::investigation::{self, Answers, ProcessFit, Rating, Situation};
        for n in 1..=20 {
            let a = Answers {
                situation: Some(Situation::SupportRequest),
                goal: format!("goal {n}"),
                business_result: "result".into(),
                customer_impact: Some(Rating::High),
                relationship_impact: Some(Rating::Medium),
                scalability: Some(Rating::Low),
                resource_efficiency: Some(Rating::High),
                process_fit: Some(ProcessFit::NeedsImprovement),
                ..Default::default()
            };
            let o = investigation::evaluate(&a, None, NOW);
            store.create_investigation(Some(n), None, &a, &o, NOW).unwrap();
        }
        // and tasks due today, from the alerts
        assert!(store.raise_alerts(&HealthRules::default(), &playbooks(), NOW).unwrap() > 0);
        let snap = load_snapshot(&store, NOW).unwrap();
        let store = Rc::new(store);
        STORE.with(|s| *s.borrow_mut() = Some(store.clone()));
        World { store, snap }
    }

    fn app_with(&self, keys: KeyMap) -> App {
        let mut app = App::new(
            keys,
            HealthRules::default(),
            SlaTargets::default(),
            "test.db".into(),
            "tester".into(),
            NOW,
        );
        let cmds = app.update(Msg::Reply(Reply::Snapshot(Box::new(self.snap.clone()))));
        settle(&mut app, cmds);
        assert!(matches!(app.mode, Mode::Normal), "a loaded store opens in Normal mode");
        app
    }

    /// A loaded app in `view`, Normal mode, with the selection's detail loaded. In Tickets the
    /// selection is a tier-1 ticket, not waiting, whose checklist is not complete.
    fn fresh_with(&self, keys: KeyMap, view: View) -> App {
        let mut app = self.app_with(keys);
        app.view = view;
        let cmds = app.list_requests();
        settle(&mut app, cmds);
        match view {
            View::Today => {
                if let Some(Target::Ticket(id)) = app.selected_review().map(|r| r.target) {
                    self.load_ticket_detail(&mut app, id);
                }
            }
            View::Accounts => {
                let id = app.selected_account().unwrap().id;
                let d = load_account(&self.store, id, NOW, &app.rules).unwrap();
                app.update(Msg::Reply(Reply::Account(Box::new(d))));
            }
            View::Tickets => {
                let pos = self.plain_ticket_pos(&app);
                app.ticket_sel = pos;
                let id = app.selected_ticket().unwrap().id;
                self.load_ticket_detail(&mut app, id);
            }
            View::Investigations => assert_eq!(app.investigation_rows.len(), 20),
            View::Metrics => {
                let d = self.store.dashboard(&app.rules, None, app.metrics_days, NOW).unwrap();
                app.update(Msg::Reply(Reply::Metrics(Box::new(d))));
            }
        }
        assert!(matches!(app.mode, Mode::Normal));
        app
    }

    fn fresh(&self, view: View) -> App {
        self.fresh_with(KeyMap::default(), view)
    }

    fn load_ticket_detail(&self, app: &mut App, id: i64) {
        let d = load_ticket(&self.store, id).unwrap();
        app.update(Msg::Reply(Reply::Ticket(Box::new(d))));
    }

    /// The queue position of the first tier-1, not waiting ticket with an unfinished checklist.
    fn plain_ticket_pos(&self, app: &App) -> usize {
        app.tickets
            .rows
            .iter()
            .position(|t| {
                t.support_tier == 1
                    && t.waiting_since.is_none()
                    && t.step != Step::Closed
                    && !load_ticket(&self.store, t.id).unwrap().checklist.iter().all(|x| *x)
            })
            .expect("the demo has a plain tier-1 ticket")
    }
}

fn press(app: &mut App, code: KeyCode, mods: KeyModifiers) -> Vec<Cmd> {
    let cmds = app.update(Msg::Key(KeyEvent::new(code, mods)));
    settle(app, cmds)
}

fn press_char(app: &mut App, c: char) -> Vec<Cmd> {
    press(app, KeyCode::Char(c), KeyModifiers::NONE)
}

fn selection(app: &App) -> usize {
    match app.view {
        View::Today => app.review_sel,
        View::Accounts => app.account_sel,
        View::Tickets => app.ticket_sel,
        View::Investigations => app.investigation_sel,
        View::Metrics => app.metrics_page,
    }
}

fn set_selection(app: &mut App, to: usize) {
    match app.view {
        View::Today => app.review_sel = to,
        View::Accounts => app.account_sel = to,
        View::Tickets => app.ticket_sel = to,
        View::Investigations => app.investigation_sel = to,
        View::Metrics => app.metrics_page = to.min(list_len(app) - 1),
    }
}

fn list_len(app: &App) -> usize {
    match app.view {
        View::Today => app.review.len(),
        View::Accounts => app.accounts.len(),
        View::Tickets => app.tickets.len(),
        View::Investigations => app.investigation_rows.len(),
        View::Metrics => tend::app::METRICS_PAGES,
    }
}

fn ticket_cmds(cmds: &[Cmd]) -> Vec<(i64, TicketOp)> {
    cmds.iter()
        .filter_map(|c| match c {
            Cmd::Ticket(id, version, op) => {
                assert!(
                    version.is_some(),
                    "a change from the cockpit carries the version it saw"
                );
                Some((*id, op.clone()))
            }
            _ => None,
        })
        .collect()
}

fn next_view(v: View, step: isize) -> View {
    let i = View::ALL.iter().position(|x| *x == v).unwrap() as isize;
    View::ALL[(i + step).rem_euclid(View::ALL.len() as isize) as usize]
}

/// Put the app where the action has something visible to do.
fn prepare(w: &World, app: &mut App, action: Action) {
    let task_actions = [
        Action::TaskDone,
        Action::TaskSnooze,
        Action::TaskDismiss,
        Action::TaskDown,
        Action::TaskUp,
    ];
    if app.view == View::Accounts && task_actions.contains(&action) {
        // an account with two tasks or more, its detail loaded
        let (pos, d) = app
            .accounts
            .rows
            .iter()
            .enumerate()
            .find_map(|(pos, a)| {
                let d = load_account(&w.store, a.id, NOW, &app.rules).unwrap();
                (d.tasks.len() >= 2).then_some((pos, d))
            })
            .expect("an account with two tasks");
        app.account_sel = pos;
        app.update(Msg::Reply(Reply::Account(Box::new(d))));
        if action == Action::TaskUp {
            app.task_cursor = 1;
        }
        return;
    }
    match action {
        Action::PrevPanel => app.metrics_page = 1,
        Action::Up | Action::PrevItem => set_selection(app, 1),
        Action::Top => set_selection(app, 3),
        Action::PageUp => set_selection(app, 15),
        Action::Cancel => app.detail_open = true,
        Action::PrevChecklistItem => app.checklist_cursor = 2,
        Action::TaskDone | Action::TaskSnooze | Action::TaskDismiss => {
            app.review_sel = app
                .review
                .iter()
                .position(|r| r.task.is_some())
                .expect("a task on Today");
        }
        _ => {}
    }
}

/// Check that pressing a key bound to `action` in `view` did what the action says.
fn check_effect(app: &App, view: View, action: Action, before_sel: usize, cmds: &[Cmd], what: &str) {
    let len = list_len(app);
    let ticket = app.selected_ticket().map(|t| t.id);
    match action {
        Action::Quit => assert!(app.quit, "{what}"),
        Action::Help => assert!(matches!(app.mode, Mode::Help), "{what}"),
        Action::Palette => assert!(matches!(app.mode, Mode::Palette { .. }), "{what}"),
        Action::Filter => {
            if view == View::Today {
                assert!(matches!(app.mode, Mode::Normal), "{what}: Today has no filter");
                assert!(app.status.contains("filter in Accounts or Tickets"), "{what}");
            } else if view == View::Metrics {
                assert!(matches!(app.mode, Mode::Normal), "{what}: Metrics has no list");
                assert!(app.status.contains("e picks a segment"), "{what}: {}", app.status);
            } else {
                assert!(matches!(app.mode, Mode::Filter), "{what}");
            }
        }
        Action::Cancel => assert!(!app.detail_open, "{what}: Esc closes the detail"),
        Action::ViewToday => assert_eq!(app.view, View::Today, "{what}"),
        Action::ViewAccounts => assert_eq!(app.view, View::Accounts, "{what}"),
        Action::ViewTickets => assert_eq!(app.view, View::Tickets, "{what}"),
        Action::NextView => assert_eq!(app.view, next_view(view, 1), "{what}"),
        Action::PrevView => assert_eq!(app.view, next_view(view, -1), "{what}"),
        Action::Down | Action::NextItem => assert_eq!(selection(app), before_sel + 1, "{what}"),
        Action::Up | Action::PrevItem => assert_eq!(selection(app), before_sel - 1, "{what}"),
        Action::Top => assert_eq!(selection(app), 0, "{what}"),
        Action::Bottom => assert_eq!(selection(app), len - 1, "{what}"),
        Action::PageDown => assert_eq!(selection(app), (before_sel + app.page).min(len - 1), "{what}"),
        Action::PageUp => assert_eq!(selection(app), before_sel.saturating_sub(app.page), "{what}"),
        Action::Open => assert!(app.detail_open, "{what}"),
        Action::Refresh => assert!(cmds.contains(&Cmd::LoadAll), "{what}: {cmds:?}"),
        Action::SortNext => {
            assert_eq!(app.account_sort, AccountColumn::Trend, "{what}");
            assert!(app.status.starts_with("Sorted by trend"), "{what}: {}", app.status);
        }
        Action::SortReverse => assert!(app.account_sort_desc, "{what}"),
        Action::CycleTier => {
            if view == View::Tickets {
                assert_eq!(app.ticket_tier, Some(Tier::ALL[0]), "{what}");
                assert_eq!(app.tier_filter, None, "{what}");
            } else {
                assert_eq!(app.tier_filter, Some(Tier::ALL[0]), "{what}");
            }
        }
        Action::CycleStage => assert!(app.stage_filter.is_some(), "{what}"),
        Action::CycleSegment if view == View::Metrics => {
            assert_eq!(app.metrics_segment, Some(tend::domain::Segment::ALL[0]), "{what}");
            assert_eq!(app.segment_filter, None, "{what}");
            assert!(
                cmds.contains(&Cmd::LoadMetrics {
                    days: 30,
                    segment: app.metrics_segment
                }),
                "{what}: the numbers are counted again: {cmds:?}"
            );
        }
        Action::CycleSegment => assert!(app.segment_filter.is_some(), "{what}"),
        Action::ViewMetrics => assert_eq!(app.view, View::Metrics, "{what}"),
        Action::MetricsPeriod => {
            assert_eq!(app.metrics_days, 90, "{what}");
            assert!(
                cmds.contains(&Cmd::LoadMetrics {
                    days: 90,
                    segment: None
                }),
                "{what}: {cmds:?}"
            );
        }
        Action::NextPanel => assert_eq!(app.metrics_page, 1, "{what}"),
        Action::PrevPanel => assert_eq!(app.metrics_page, 0, "{what}"),
        Action::TaskDown => assert_eq!(app.task_cursor, 1, "{what}"),
        Action::TaskUp => assert_eq!(app.task_cursor, 0, "{what}"),
        Action::StartPlaybook => match &app.mode {
            Mode::PlaybookMenu { account, selected } => {
                assert_eq!(Some(*account), app.selected_account().map(|a| a.id), "{what}");
                assert_eq!(*selected, 0, "{what}");
            }
            _ => panic!("{what}: P opens the playbook menu"),
        },
        Action::Import => match &app.mode {
            Mode::Import(d) => {
                assert!(!d.from_welcome, "{what}");
                assert_eq!(d.stage, tend::app::import::Stage::Path, "{what}");
            }
            _ => panic!("{what}: I opens the import dialog"),
        },
        Action::AccountTickets => {
            assert_eq!(app.view, View::Tickets, "{what}");
            assert!(app.queue_account.is_some(), "{what}");
            assert!(
                !app.tickets.rows.is_empty()
                    && app.tickets.rows.iter().all(|t| Some(t.account_id) == app.queue_account),
                "{what}"
            );
        }
        Action::CycleTicketFilter => assert_eq!(app.queue, QueueFilter::CYCLE[1], "{what}"),
        Action::ToggleItem => {
            let id = ticket.unwrap();
            let d = app.ticket_detail.as_ref().unwrap();
            let expected = TicketOp::SetItem {
                item: 0,
                done: !d.checklist[0],
            };
            assert_eq!(ticket_cmds(cmds), vec![(id, expected)], "{what}");
        }
        Action::NextChecklistItem => assert_eq!(app.checklist_cursor, 1, "{what}"),
        Action::PrevChecklistItem => assert_eq!(app.checklist_cursor, 1, "{what}"),
        Action::Advance => match &app.mode {
            Mode::Input { purpose, .. } => {
                assert_eq!(*purpose, InputPurpose::OverrideReason(ticket.unwrap()), "{what}")
            }
            _ => panic!("{what}: advancing with the checklist unfinished asks for a reason"),
        },
        Action::MoveBack => match &app.mode {
            Mode::Input { purpose, .. } => assert_eq!(*purpose, InputPurpose::BackReason(ticket.unwrap()), "{what}"),
            _ => panic!("{what}: moving back asks for a reason"),
        },
        Action::Escalate => match &app.mode {
            Mode::Input { purpose, .. } => {
                assert_eq!(*purpose, InputPurpose::EscalateReason(ticket.unwrap()), "{what}")
            }
            _ => panic!("{what}: escalating asks for a reason"),
        },
        Action::Note => match &app.mode {
            Mode::Input { purpose, .. } => assert_eq!(*purpose, InputPurpose::Note(ticket.unwrap()), "{what}"),
            _ => panic!("{what}: a note opens an input"),
        },
        Action::Wait => assert_eq!(ticket_cmds(cmds), vec![(ticket.unwrap(), TicketOp::Wait)], "{what}"),
        Action::Snooze => match &app.mode {
            Mode::SnoozeMenu { ticket: t, selected } => {
                assert_eq!(Some(*t), ticket, "{what}");
                assert_eq!(*selected, 0, "{what}");
            }
            _ => panic!("{what}: z opens the snooze menu"),
        },
        Action::Resume => assert_eq!(ticket_cmds(cmds), vec![(ticket.unwrap(), TicketOp::Resume)], "{what}"),
        Action::Reply | Action::ReplyWith => {
            let open = cmds.iter().find_map(|c| match c {
                Cmd::OpenReply {
                    ticket,
                    account,
                    task,
                    template,
                    use_draft,
                } => Some((*ticket, *account, *task, template.clone(), *use_draft)),
                _ => None,
            });
            let (t, a, task, template, use_draft) = open.unwrap_or_else(|| panic!("{what}: opens a reply: {cmds:?}"));
            assert!(use_draft, "{what}: a kept draft comes back first");
            match view {
                View::Tickets => assert_eq!(t, ticket, "{what}"),
                View::Accounts => assert_eq!(a, app.selected_account().map(|a| a.id), "{what}"),
                View::Today | View::Investigations | View::Metrics => {
                    assert!(t.is_some() || a.is_some() || task.is_some(), "{what}")
                }
            }
            if action == Action::ReplyWith {
                assert_eq!(template.as_deref(), Some(""), "{what}: asks for the picker");
            }
        }
        Action::Drafts => assert!(app.status.contains("No drafts"), "{what}: {}", app.status),
        Action::ViewInvestigations => assert_eq!(app.view, View::Investigations, "{what}"),
        Action::TaskDone | Action::TaskSnooze | Action::TaskDismiss => {
            let task = if view == View::Accounts {
                let d = app.account_detail.as_ref().unwrap();
                assert_eq!(app.account_task(), Some(d.tasks[0].id), "{what}");
                d.tasks[0].id
            } else {
                app.selected_review().and_then(|r| r.task).unwrap()
            };
            match action {
                Action::TaskDone => assert!(cmds.contains(&Cmd::Task(task, tend::app::data::TaskOp::Done)), "{what}"),
                Action::TaskSnooze => {
                    assert!(
                        matches!(&app.mode, Mode::Input { purpose: InputPurpose::TaskSnooze(t), .. } if *t == task),
                        "{what}"
                    )
                }
                _ => assert!(
                    matches!(&app.mode, Mode::Input { purpose: InputPurpose::TaskDismiss(t), .. } if *t == task),
                    "{what}"
                ),
            }
        }
        Action::Investigate => {
            let expected = match view {
                View::Tickets => Cmd::OpenInvestigation { ticket, account: None },
                View::Accounts => Cmd::OpenInvestigation {
                    ticket: None,
                    account: app.selected_account().map(|a| a.id),
                },
                _ => Cmd::OpenInvestigation {
                    ticket: None,
                    account: None,
                },
            };
            assert_eq!(cmds, &[expected], "{what}");
        }
        Action::CopyReport => match cmds {
            [Cmd::Clipboard(md)] => {
                assert!(md.contains("| Factor | Assessment | Notes |"), "{what}: {md}");
                assert!(md.contains("goal "), "{what}");
            }
            other => panic!("{what}: copies the Markdown: {other:?}"),
        },
        Action::Sequences => match &app.mode {
            Mode::SequenceMenu { items, .. } => {
                let names: Vec<&str> = items.iter().map(|(s, _)| s.as_str()).collect();
                assert_eq!(names, vec!["onboarding", "winback"], "{what}");
            }
            _ => panic!("{what}: E opens the sequence menu"),
        },
        Action::MarkReviewed => {
            let item = app.review[before_sel].key.clone();
            assert!(app.data.reviewed.contains(&item), "{what}");
            assert_eq!(app.review_sel, before_sel + 1, "{what}: moves on to the next item");
            let expected = Cmd::MarkReviewed {
                day: "2026-11-22".into(),
                item,
                reviewed: true,
            };
            assert!(cmds.contains(&expected), "{what}: {cmds:?}");
        }
    }
}

#[test]
fn every_key_in_help_does_what_help_says() {
    let w = World::new();
    let mut checked = 0;
    for (scope, view) in VIEWS {
        let rows = w.fresh(view).keys.help(scope);
        assert!(!rows.is_empty());
        for (row_scope, labels, action) in rows {
            assert!(row_scope == scope || row_scope == Scope::Global);
            for label in labels.split(" / ") {
                let key = Key::parse(label).unwrap_or_else(|e| panic!("help shows a key that does not parse: {e}"));
                assert_eq!(key.label(), label, "labels read back");
                assert!(
                    KeyMap::default().keys_for(action).contains(&key),
                    "{label} for {action:?}"
                );
                let mut app = w.fresh(view);
                prepare(&w, &mut app, action);
                let before = selection(&app);
                let cmds = press(&mut app, key.code, key.mods);
                let what = format!("{label} ({}) in {}", action.name(), view.label());
                check_effect(&app, view, action, before, &cmds, &what);
                checked += 1;
            }
        }
    }
    assert!(checked > 60, "only {checked} keys checked");
}

#[test]
fn every_action_is_in_some_help() {
    let keys = KeyMap::default();
    for a in Action::ALL {
        let shown = VIEWS
            .iter()
            .any(|(scope, _)| keys.help(*scope).iter().any(|(_, _, x)| x == a));
        assert!(shown, "{} is in no view's help", a.name());
    }
}

#[test]
fn help_rows_are_the_views_own_first_then_global() {
    let keys = KeyMap::default();
    for (scope, _) in VIEWS {
        let rows = keys.help(scope);
        let first_global = rows.iter().position(|(s, _, _)| *s == Scope::Global).unwrap();
        assert!(rows[..first_global].iter().all(|(s, _, _)| *s == scope));
        assert!(rows[first_global..].iter().all(|(s, _, _)| *s == Scope::Global));
        // no action twice
        let mut actions: Vec<Action> = rows.iter().map(|(_, _, a)| *a).collect();
        let n = actions.len();
        actions.sort();
        actions.dedup();
        assert_eq!(actions.len(), n, "{scope:?}");
    }
}

#[test]
fn shifted_letters_and_backtab_match_whether_or_not_shift_is_reported() {
    let w = World::new();
    let mut app = w.fresh(View::Accounts);
    press(&mut app, KeyCode::Char('G'), KeyModifiers::SHIFT);
    assert_eq!(app.account_sel, app.accounts.len() - 1);
    let mut app = w.fresh(View::Accounts);
    press(&mut app, KeyCode::BackTab, KeyModifiers::SHIFT);
    assert_eq!(app.view, View::Today);
}

#[test]
fn help_scrolls_and_closes_on_any_other_key() {
    let w = World::new();
    let mut app = w.fresh(View::Tickets);
    press_char(&mut app, '?');
    assert!(matches!(app.mode, Mode::Help));
    let sel = app.ticket_sel;
    press_char(&mut app, 'j');
    assert!(matches!(app.mode, Mode::Help), "moving keys scroll the help");
    assert_eq!(app.help_scroll, 1);
    press_char(&mut app, 'k');
    assert_eq!(app.help_scroll, 0);
    press_char(&mut app, 'x');
    assert!(matches!(app.mode, Mode::Normal));
    assert_eq!(app.ticket_sel, sel, "the keys used in help do nothing else");
}

#[test]
fn space_without_the_detail_loaded_changes_nothing() {
    let w = World::new();
    let mut app = w.app_with(KeyMap::default());
    app.view = View::Tickets;
    let cmds = press_char(&mut app, ' ');
    assert!(ticket_cmds(&cmds).is_empty(), "{cmds:?}");
    let id = app.selected_ticket().unwrap().id;
    assert!(cmds.contains(&Cmd::LoadTicket(id)), "{cmds:?}");
}

#[test]
fn advance_with_a_complete_checklist_advances_without_asking() {
    let w = World::new();
    let mut app = w.fresh(View::Tickets);
    let id = app.selected_ticket().unwrap().id;
    let items = app.ticket_detail.as_ref().unwrap().checklist.len();
    for item in 0..items {
        w.store.set_checklist_item(id, item, true, None, NOW).unwrap();
    }
    w.load_ticket_detail(&mut app, id);
    assert!(app.ticket_detail.as_ref().unwrap().checklist.iter().all(|x| *x));
    let cmds = press_char(&mut app, 'a');
    assert!(matches!(app.mode, Mode::Normal));
    assert_eq!(ticket_cmds(&cmds), vec![(id, TicketOp::Advance { reason: None })]);
}

#[test]
fn override_reason_is_sent_with_the_advance() {
    let w = World::new();
    let mut app = w.fresh(View::Tickets);
    let id = app.selected_ticket().unwrap().id;
    press_char(&mut app, 'a');
    for c in "customer confirmed".chars() {
        press_char(&mut app, c);
    }
    let cmds = press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    assert!(matches!(app.mode, Mode::Normal));
    assert_eq!(
        ticket_cmds(&cmds),
        vec![(
            id,
            TicketOp::Advance {
                reason: Some("customer confirmed".into())
            }
        )]
    );
}

#[test]
fn escalating_a_tier_two_ticket_is_refused() {
    let w = World::new();
    let mut app = w.app_with(KeyMap::default());
    app.view = View::Tickets;
    let cmds = app.list_requests();
    settle(&mut app, cmds);
    app.ticket_sel = app
        .tickets
        .rows
        .iter()
        .position(|t| t.support_tier == 2)
        .expect("a tier-2 ticket");
    press_char(&mut app, 'e');
    assert!(matches!(app.mode, Mode::Normal));
    assert!(app.status_is_error);
    assert!(app.status.contains("already at tier 2"), "{}", app.status);
}

#[test]
fn wait_on_a_waiting_ticket_resumes_it() {
    let w = World::new();
    let mut app = w.app_with(KeyMap::default());
    app.view = View::Tickets;
    app.queue = QueueFilter::Waiting;
    app.refilter_tickets();
    let cmds = app.list_requests();
    settle(&mut app, cmds);
    let id = app.selected_ticket().expect("a waiting ticket").id;
    let cmds = press_char(&mut app, 'w');
    assert_eq!(ticket_cmds(&cmds), vec![(id, TicketOp::Resume)]);
}

#[test]
fn snooze_menu_choices() {
    let w = World::new();
    let mut app = w.fresh(View::Tickets);
    let id = app.selected_ticket().unwrap().id;
    press_char(&mut app, 'z');
    let cmds = press_char(&mut app, '1');
    assert_eq!(ticket_cmds(&cmds), vec![(id, TicketOp::Snooze { until: None })]);
    press_char(&mut app, 'z');
    press(&mut app, KeyCode::Down, KeyModifiers::NONE);
    let cmds = press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    // tomorrow 09:00 UTC
    assert_eq!(
        ticket_cmds(&cmds),
        vec![(
            id,
            TicketOp::Snooze {
                until: Some(NOW + 24 * 3600)
            }
        )]
    );
    press_char(&mut app, 'z');
    press_char(&mut app, '4');
    match &app.mode {
        Mode::Input { purpose, .. } => assert_eq!(*purpose, InputPurpose::SnoozeUntil(id)),
        _ => panic!("4 asks for a date"),
    }
}

#[test]
fn marking_reviewed_again_unmarks() {
    let w = World::new();
    let mut app = w.fresh(View::Today);
    let first = app.review[0].key.clone();
    press_char(&mut app, ' ');
    assert_eq!(app.review_sel, 1);
    press_char(&mut app, 'p');
    let cmds = press_char(&mut app, 'm');
    assert!(!app.data.reviewed.contains(&first));
    assert!(cmds.contains(&Cmd::MarkReviewed {
        day: "2026-11-22".into(),
        item: first,
        reviewed: false
    }));
}

#[test]
fn a_config_override_moves_advance_to_a_and_help_shows_it() {
    let overrides: KeyOverrides = toml::from_str("advance = \"A\"").unwrap();
    let keys = KeyMap::with_overrides(&overrides).unwrap();
    let w = World::new();

    let help = keys.help(Scope::Tickets);
    let row = help.iter().find(|(_, _, a)| *a == Action::Advance).unwrap();
    assert_eq!(row.1, "A");
    assert_eq!(keys.keys_for(Action::Advance), vec![Key::plain(KeyCode::Char('A'))]);

    // A advances
    let mut app = w.fresh_with(keys.clone(), View::Tickets);
    let id = app.selected_ticket().unwrap().id;
    press_char(&mut app, 'A');
    match &app.mode {
        Mode::Input { purpose, .. } => assert_eq!(*purpose, InputPurpose::OverrideReason(id)),
        _ => panic!("A should advance"),
    }

    // a no longer does
    let mut app = w.fresh_with(keys.clone(), View::Tickets);
    let cmds = press_char(&mut app, 'a');
    assert!(matches!(app.mode, Mode::Normal), "a is unbound now");
    assert!(ticket_cmds(&cmds).is_empty());

    // the help popup and the detail's hint line show the new key
    let mut app = w.fresh_with(keys, View::Tickets);
    app.detail_open = true;
    let detail = render_to_text(&mut app, &Theme::mono(), 120, 40);
    assert!(detail.contains("A advance"), "{detail}");
    press_char(&mut app, '?');
    let popup = render_to_text(&mut app, &Theme::mono(), 120, 40);
    assert!(
        popup
            .lines()
            .any(|l| l.contains("│A ") && l.contains("Advance to the next SOP step")),
        "{popup}"
    );
}

/// Whether `needle`'s characters appear in order in `hay`, ignoring case.
fn subsequence(needle: &str, hay: &str) -> bool {
    let mut hay = hay.chars().flat_map(char::to_lowercase);
    needle.chars().flat_map(char::to_lowercase).all(|c| hay.any(|h| h == c))
}

#[test]
fn typing_a_filter_narrows_accounts_and_esc_clears_it() {
    let w = World::new();
    let mut app = w.fresh(View::Accounts);
    let total = app.accounts.len();
    press_char(&mut app, '/');
    assert!(matches!(app.mode, Mode::Filter));
    for c in ['s', 'u', 'm'] {
        press_char(&mut app, c);
        assert!(matches!(app.mode, Mode::Filter));
    }
    assert_eq!(app.account_filter, "sum");
    let names: Vec<String> = app.accounts.rows.iter().map(|a| a.name.clone()).collect();
    assert!(!names.is_empty() && names.len() < total, "{names:?}");
    // every account named like "sum" is kept, and ranks first
    let all = w
        .store
        .accounts(
            &tend::store::AccountFilter {
                limit: None,
                ..Default::default()
            },
            &HealthRules::default(),
        )
        .unwrap();
    let direct: Vec<&String> = all
        .iter()
        .map(|a| &a.name)
        .filter(|n| n.to_lowercase().contains("sum"))
        .collect();
    assert!(!direct.is_empty());
    for (i, n) in direct.iter().enumerate() {
        assert!(names.contains(n), "{n} is missing from {names:?}");
        assert!(names[i].to_lowercase().contains("sum"), "{names:?}");
    }
    // everything kept matches fuzzily (on name, owner, plan or external id)
    for a in &app.accounts.rows {
        let hay = format!(
            "{} {} {} {}",
            a.name,
            a.owner.as_deref().unwrap_or(""),
            a.plan,
            a.external_id.as_deref().unwrap_or("")
        );
        assert!(subsequence("sum", &hay), "{hay}");
    }
    let s = render_to_text(&mut app, &Theme::mono(), 100, 30);
    assert!(s.contains("/sum"), "the status line shows the filter: {s}");

    press(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    assert!(matches!(app.mode, Mode::Normal));
    assert!(app.account_filter.is_empty());
    assert_eq!(app.accounts.len(), total);
}

#[test]
fn enter_keeps_the_filter_and_esc_in_normal_mode_clears_it() {
    let w = World::new();
    let mut app = w.fresh(View::Tickets);
    press_char(&mut app, '/');
    for c in "sso".chars() {
        press_char(&mut app, c);
    }
    let narrowed = app.tickets.len();
    press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    assert!(matches!(app.mode, Mode::Normal));
    assert_eq!(app.ticket_filter, "sso");
    assert_eq!(app.tickets.len(), narrowed);
    press(&mut app, KeyCode::Backspace, KeyModifiers::NONE);
    press(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    assert!(app.ticket_filter.is_empty());
    assert!(app.tickets.len() > narrowed);
}

#[test]
fn quitting_with_unsaved_text_asks_first() {
    let w = World::new();
    let mut app = w.fresh(View::Tickets);
    let id = app.selected_ticket().unwrap().id;
    press_char(&mut app, 'n');
    for c in "half a thought".chars() {
        press_char(&mut app, c);
    }
    // in an input, q is text
    press_char(&mut app, 'q');
    assert!(!app.quit);
    assert!(app.has_unsaved_edit());
    // Ctrl-C asks
    press(&mut app, KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert!(!app.quit);
    assert!(matches!(app.mode, Mode::ConfirmQuit));
    let s = render_to_text(&mut app, &Theme::mono(), 80, 24);
    assert!(s.contains("Quit anyway?"), "{s}");
    // any other key goes back to the input, text and all
    press_char(&mut app, 'n');
    assert!(!app.quit);
    match &app.mode {
        Mode::Input { purpose, area } => {
            assert_eq!(*purpose, InputPurpose::Note(id));
            assert_eq!(area.lines().join("\n"), "half a thoughtq");
        }
        _ => panic!("the note input is open again"),
    }
    press(&mut app, KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert!(matches!(app.mode, Mode::ConfirmQuit));
    press_char(&mut app, 'y');
    assert!(app.quit);
}

#[test]
fn q_quits_at_once_when_nothing_is_unsaved() {
    let w = World::new();
    for (_, view) in VIEWS {
        let mut app = w.fresh(view);
        press_char(&mut app, 'q');
        assert!(app.quit, "{view:?}");
        let mut app = w.fresh(view);
        press(&mut app, KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert!(app.quit, "{view:?}");
    }
    // an empty input is not unsaved text
    let mut app = w.fresh(View::Tickets);
    press_char(&mut app, 'n');
    press(&mut app, KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert!(app.quit);
}

#[test]
fn palette_runs_an_action_by_name() {
    let w = World::new();
    let mut app = w.fresh(View::Today);
    press_char(&mut app, ':');
    for c in "go to tickets".chars() {
        press_char(&mut app, c);
    }
    press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    assert!(matches!(app.mode, Mode::Normal));
    assert_eq!(app.view, View::Tickets);
}

#[test]
fn quitting_with_a_kept_draft_asks_first() {
    let w = World::new();
    let mut app = w.fresh(View::Tickets);
    press_char(&mut app, 'n');
    for c in "call them back".chars() {
        press_char(&mut app, c);
    }
    press(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    assert!(matches!(app.mode, Mode::Normal));
    assert_eq!(app.drafts.values().next().map(String::as_str), Some("call them back"));
    press_char(&mut app, 'q');
    assert!(!app.quit, "a draft would be lost");
    assert!(matches!(app.mode, Mode::ConfirmQuit));
    press_char(&mut app, 'n');
    assert!(!app.quit);
    assert!(matches!(app.mode, Mode::Normal));
    press_char(&mut app, 'q');
    press_char(&mut app, 'y');
    assert!(app.quit);
}

#[test]
fn the_playbook_menu_moves_chooses_by_number_and_closes() {
    let w = World::new();
    let mut app = w.fresh(View::Accounts);
    let account = app.selected_account().unwrap().id;
    let version = Some(app.account_detail.as_ref().unwrap().account.version);
    press_char(&mut app, 'P');
    press_char(&mut app, 'j');
    assert!(matches!(app.mode, Mode::PlaybookMenu { selected: 1, .. }));
    let cmds = press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        cmds,
        vec![Cmd::StartPlaybook {
            account,
            playbook: app.playbooks[1].slug.clone(),
            version,
        }]
    );
    press_char(&mut app, 'P');
    let cmds = press_char(&mut app, '3');
    assert_eq!(
        cmds,
        vec![Cmd::StartPlaybook {
            account,
            playbook: app.playbooks[2].slug.clone(),
            version,
        }]
    );
    press_char(&mut app, 'P');
    assert!(press(&mut app, KeyCode::Esc, KeyModifiers::NONE).is_empty());
    assert!(matches!(app.mode, Mode::Normal));
}

#[test]
fn the_review_holds_a_share_of_each_kind_and_reads_the_next_when_those_are_reviewed() {
    use std::collections::{BTreeMap, HashSet};
    use tend::app::data::{Part, load_review};
    let w = World::new();
    let rules = HealthRules::default();
    let none = HashSet::new();
    let full = load_review(&w.store, &rules, &none, usize::MAX, NOW).unwrap();
    assert!(full.more.is_empty(), "held whole");
    let mut counts = BTreeMap::new();
    for i in &full.items {
        *counts.entry(i.kind).or_insert(0usize) += 1;
    }
    let (&kind, &n) = counts.iter().max_by_key(|(_, n)| **n).unwrap();
    assert!(n >= 6, "the demo's largest kind has a few items: {counts:?}");

    // two of each kind held, in review order; the rest counted
    let capped = load_review(&w.store, &rules, &none, 2, NOW).unwrap();
    assert_eq!(capped.total(), full.items.len());
    for (k, c) in &counts {
        let held: Vec<_> = capped.items.iter().filter(|i| i.kind == *k).collect();
        let first: Vec<_> = full.items.iter().filter(|i| i.kind == *k).take(2).collect();
        assert_eq!(held, first, "{k:?}");
        assert_eq!(capped.more.get(k).copied().unwrap_or(0), c.saturating_sub(2), "{k:?}");
    }

    // items marked reviewed are held besides the two not yet reviewed
    let of_kind: Vec<_> = full.items.iter().filter(|i| i.kind == kind).collect();
    for i in &of_kind[..3] {
        w.store.set_review_mark("2026-11-22", &i.key, true, NOW).unwrap();
    }
    let reviewed = w.store.review_marks("2026-11-22").unwrap();
    let next = load_review(&w.store, &rules, &reviewed, 2, NOW).unwrap();
    let held: Vec<_> = next.items.iter().filter(|i| i.kind == kind).map(|i| &i.key).collect();
    let want: Vec<_> = of_kind[..5].iter().map(|i| &i.key).collect();
    assert_eq!(held, want);
    assert_eq!(next.total(), full.items.len());

    // the cockpit: the title counts every item, the last line says how many more, and
    // reviewing the last held one of a kind asks for the next
    let mut app = w.fresh(View::Today);
    app.data.reviewed.clear();
    app.update(Msg::Reply(Reply::Parts(vec![Part::Review(capped.clone())])));
    let screen = render_to_text(&mut app, &Theme::mono(), 120, 40);
    assert!(
        screen.contains(&format!("0 of {} reviewed", full.items.len())),
        "{screen}"
    );
    assert!(
        screen.contains(&format!(
            "+ {} more as these are reviewed",
            capped.total() - capped.items.len()
        )),
        "{screen}"
    );
    let positions: Vec<usize> = (0..app.review.len()).filter(|i| app.review[*i].kind == kind).collect();
    assert_eq!(positions.len(), 2);
    app.review_sel = positions[0];
    let cmds = app.update(Msg::Key(KeyEvent::new(KeyCode::Char(' '), KeyModifiers::NONE)));
    assert!(!cmds.contains(&Cmd::LoadReview), "one of the kind is still to review");
    app.review_sel = positions[1];
    let cmds = app.update(Msg::Key(KeyEvent::new(KeyCode::Char(' '), KeyModifiers::NONE)));
    assert!(cmds.contains(&Cmd::LoadReview), "{cmds:?}");
    assert!(app.status.contains("reading the next ones"), "{}", app.status);
}
