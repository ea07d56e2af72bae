//! What the cockpit reads and writes, run off the render path (in the worker thread, or
//! directly for `tend screen`). The store does the SQL; this turns requests into replies.

use super::lists::{ListReply, ListRequest, Lister};
use super::review;
use crate::domain::health::{self, Health, HealthRules, SignalReading};
use crate::domain::sla::SlaTargets;
use crate::domain::{DAY, Timestamp, churn};
use crate::responses::{OutgoingReply, TemplateSet, Via};
use crate::store::{
    Account, Contact, SignalRow, Snapshot as HealthSnapshot, Store, Task, Ticket, TicketEvent, TicketFilter, day_of,
};
use crate::store::{AccountListQuery, Draft, Enrollment, QueueQuery};
use std::collections::HashSet;

/// What the cockpit shows besides the two long lists (which come a window at a time).
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// How many accounts there are.
    pub accounts_total: usize,
    /// Open tickets not snoozed, and snoozed ones.
    pub queue_open: usize,
    pub queue_snoozed: usize,
    /// The daily review (at most `review::SHOWN_PER_KIND` items of a kind not yet reviewed).
    pub review: review::Review,
    pub reviewed: HashSet<String>,
    pub day: String,
    pub data_version: i64,
    /// Every investigation, newest first.
    pub investigations: Vec<crate::store::InvestigationRow>,
}

#[derive(Debug, Clone)]
pub struct AccountDetail {
    pub account: Account,
    pub health: Health,
    pub readings: Vec<SignalReading>,
    pub warning_signs: Vec<churn::WarningSign>,
    pub contacts: Vec<Contact>,
    pub open_tickets: Vec<Ticket>,
    pub tasks: Vec<Task>,
    pub history: Vec<HealthSnapshot>,
    pub recent_signals: Vec<SignalRow>,
    /// The latest entries of the account's ticket timelines, with their ticket id.
    pub ticket_events: Vec<(i64, TicketEvent)>,
    /// Sequences the account is in now.
    pub enrollments: Vec<Enrollment>,
    pub investigations: Vec<crate::store::InvestigationRow>,
    /// Who changed what on the account, newest first.
    pub audit: Vec<crate::store::AuditEntry>,
}

#[derive(Debug, Clone)]
pub struct TicketDetail {
    pub ticket: Ticket,
    pub checklist: Vec<bool>,
    pub events: Vec<TicketEvent>,
    pub investigations: Vec<crate::store::InvestigationRow>,
    /// Who changed what on the ticket, newest first.
    pub audit: Vec<crate::store::AuditEntry>,
}

/// A change to a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketOp {
    SetItem { item: usize, done: bool },
    Advance { reason: Option<String> },
    Back { reason: String },
    Escalate { reason: String },
    Note { text: String },
    Wait,
    Resume,
    Snooze { until: Option<Timestamp> },
}

/// What is done with a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskOp {
    Done,
    Snooze { until: String },
    Dismiss { reason: String },
}

/// A request to the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmd {
    LoadAll,
    /// A window of the Accounts list.
    AccountList(ListRequest<AccountListQuery>),
    /// A window of the ticket queue.
    TicketList(ListRequest<QueueQuery>),
    /// The daily review again (the clock moved).
    LoadReview,
    /// A text filter is about to be typed: read the list's search candidates now.
    PrepareAccountSearch(AccountListQuery),
    PrepareTicketSearch(QueueQuery),
    LoadAccount(i64),
    LoadTicket(i64),
    /// A ticket's version now: for text typed on a ticket the screen does not show (a draft
    /// taken up again from the drafts list), the version its change is checked against.
    TicketVersion(i64),
    /// A change to a ticket, with the version of it the user saw (None: do not check).
    Ticket(i64, Option<i64>, TicketOp),
    MarkReviewed {
        day: String,
        item: String,
        reviewed: bool,
    },
    LoadDemo,
    /// Check whether another process changed the database; reload if so.
    Poll,
    /// Open a reply: the kept draft when there is one (and `use_draft`), else the template
    /// (given, the task's, or the one for the ticket's step) filled.
    OpenReply {
        ticket: Option<i64>,
        account: Option<i64>,
        task: Option<i64>,
        template: Option<String>,
        use_draft: bool,
    },
    /// Keep text as it is typed.
    SaveDraft(Draft),
    DeleteDraft(String),
    LoadDrafts,
    /// Deliver a reply and record it; the draft goes once it is recorded.
    SendReply {
        key: String,
        reply: OutgoingReply,
        via: Via,
    },
    /// Put text on the terminal's clipboard (OSC 52): done by the terminal loop, not the worker.
    Clipboard(String),
    /// Edit the text in $VISUAL / $EDITOR: done by the terminal loop, which suspends the cockpit.
    ExternalEditor {
        key: String,
        text: String,
    },
    /// Keep a reply as a new template in the user's folder.
    SaveTemplate {
        name: String,
        used_for: String,
        draft: String,
        ticket: Option<i64>,
        account: i64,
        blanks: Vec<String>,
    },
    Enroll {
        account: i64,
        sequence: String,
        /// The account's version as the user saw it (None: do not check).
        version: Option<i64>,
    },
    Task(i64, TaskOp),
    /// Open the Intent-First form: the kept draft, else prefilled from the ticket or account.
    OpenInvestigation {
        ticket: Option<i64>,
        account: Option<i64>,
    },
    SaveInvestigation {
        key: String,
        ticket: Option<i64>,
        account: Option<i64>,
        answers: Box<crate::domain::investigation::Answers>,
    },
    Unenroll {
        account: i64,
        sequence: String,
        /// The account's version as the user saw it (None: do not check).
        version: Option<i64>,
    },
    /// The Metrics view's numbers for a period and segment.
    LoadMetrics {
        days: i64,
        segment: Option<crate::domain::Segment>,
    },
    /// On the first open of a day: recompute health and raise alerts if no one has yet today.
    DailyRecompute,
    /// Start a playbook for an account: its steps become tasks.
    /// A dry run of an import, for the dialog's preview: the path as typed, and what the file
    /// holds (None: guess from the path).
    ImportPreview {
        typed: String,
        what: Option<crate::import::What>,
    },
    /// The import itself.
    ImportRun {
        path: std::path::PathBuf,
        what: crate::import::What,
    },
    StartPlaybook {
        account: i64,
        playbook: String,
        /// The account's version as the user saw it (None: do not check).
        version: Option<i64>,
    },
    /// Tick "Update docs if common" on a ticket whose reply was kept as a template (queued
    /// when the tick was refused for another's lock after the template was saved).
    TickDocumented {
        ticket: i64,
        template: String,
    },
    /// The cockpit is quitting: a last try at what waits, and a file for what still cannot be saved.
    Leave,
}

impl Cmd {
    /// Whether this is a change that, refused for another process's write lock before it
    /// wrote anything, waits in the worker's queue to be made again (in the order asked).
    pub fn may_wait_for_lock(&self) -> bool {
        matches!(
            self,
            Cmd::Ticket(..)
                | Cmd::Task(..)
                | Cmd::MarkReviewed { .. }
                | Cmd::DeleteDraft(_)
                | Cmd::SendReply { .. }
                | Cmd::SaveTemplate { .. }
                | Cmd::Enroll { .. }
                | Cmd::Unenroll { .. }
                | Cmd::SaveInvestigation { .. }
                | Cmd::ImportPreview { .. }
                | Cmd::ImportRun { .. }
                | Cmd::StartPlaybook { .. }
                | Cmd::TickDocumented { .. }
        )
    }

    /// The change, in a few words, for the line that says it waits.
    pub fn change_label(&self) -> String {
        match self {
            Cmd::Ticket(id, _, op) => match op {
                TicketOp::SetItem { item, done } => {
                    format!(
                        "{} checklist item {} on #{id}",
                        if *done { "ticking" } else { "unticking" },
                        item + 1
                    )
                }
                TicketOp::Advance { .. } => format!("moving #{id} to its next step"),
                TicketOp::Back { .. } => format!("moving #{id} back a step"),
                TicketOp::Escalate { .. } => format!("escalating #{id}"),
                TicketOp::Note { .. } => format!("your note on #{id}"),
                TicketOp::Wait => format!("#{id} waiting on the customer"),
                TicketOp::Resume => format!("resuming #{id}"),
                TicketOp::Snooze { .. } => format!("snoozing #{id}"),
            },
            Cmd::Task(id, op) => match op {
                TaskOp::Done => format!("task {id} done"),
                TaskOp::Snooze { until } => format!("task {id} snoozed to {}", crate::text::one_line(until)),
                TaskOp::Dismiss { .. } => format!("dismissing task {id}"),
            },
            Cmd::MarkReviewed { .. } => "a review mark".into(),
            Cmd::DeleteDraft(_) => "dropping a sent draft".into(),
            Cmd::SendReply { reply, .. } => match reply.ticket {
                Some(t) => format!("your reply to #{t}"),
                None => "your message".into(),
            },
            Cmd::SaveTemplate { name, .. } => format!("the template '{}'", crate::text::one_line(name)),
            Cmd::Enroll { sequence, .. } => format!("enrolling in {}", crate::text::one_line(sequence)),
            Cmd::Unenroll { sequence, .. } => format!("unenrolling from {}", crate::text::one_line(sequence)),
            Cmd::SaveInvestigation { .. } => "your investigation".into(),
            Cmd::ImportPreview { .. } => "the import's preview".into(),
            Cmd::ImportRun { path, .. } => format!(
                "importing {}",
                crate::text::one_line(&path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default())
            ),
            Cmd::StartPlaybook { playbook, .. } => format!("starting {}", crate::text::one_line(playbook)),
            Cmd::TickDocumented { ticket, .. } => format!("ticking \"Update docs\" on #{ticket}"),
            _ => "a change".into(),
        }
    }

    /// What the change checks its version against, and the version it was asked on.
    pub fn versioned(&self) -> Option<(Versioned, Option<i64>)> {
        match self {
            Cmd::Ticket(id, seen, _) => Some((Versioned::Ticket(*id), *seen)),
            Cmd::SendReply { reply, .. } => match (reply.ticket, reply.account) {
                (Some(t), _) => Some((Versioned::Ticket(t), reply.version)),
                (None, Some(a)) => Some((Versioned::Account(a), reply.version)),
                (None, None) => None,
            },
            Cmd::Enroll { account, version, .. }
            | Cmd::Unenroll { account, version, .. }
            | Cmd::StartPlaybook { account, version, .. } => Some((Versioned::Account(*account), *version)),
            _ => None,
        }
    }

    /// Ask the change on another version.
    pub fn set_expected(&mut self, v: i64) {
        match self {
            Cmd::Ticket(_, seen, _) => *seen = Some(v),
            Cmd::SendReply { reply, .. } => reply.version = Some(v),
            Cmd::Enroll { version, .. } | Cmd::Unenroll { version, .. } | Cmd::StartPlaybook { version, .. } => {
                *version = Some(v)
            }
            _ => {}
        }
    }

    /// The key of the draft whose text the change carries (or drops).
    pub fn draft_key(&self) -> Option<String> {
        match self {
            Cmd::DeleteDraft(key) | Cmd::SendReply { key, .. } | Cmd::SaveInvestigation { key, .. } => {
                Some(key.clone())
            }
            _ => self.text_carried(0).map(|d| d.key),
        }
    }

    /// The typed text a change carries, as the draft it was typed under (to keep it when the
    /// change cannot be made).
    pub fn text_carried(&self, now: Timestamp) -> Option<Draft> {
        let draft = |key: String, body: String, ticket: Option<i64>, account: Option<i64>| Draft {
            key,
            body,
            template: None,
            ticket_id: ticket,
            account_id: account,
            task_id: None,
            updated_at: now,
        };
        match self {
            Cmd::Ticket(id, _, op) => {
                let (key, text) = match op {
                    TicketOp::Advance { reason: Some(r) } => ("override", r),
                    TicketOp::Back { reason } => ("back", reason),
                    TicketOp::Escalate { reason } => ("escalate", reason),
                    TicketOp::Note { text } => ("note", text),
                    _ => return None,
                };
                Some(draft(format!("{key}:{id}"), text.clone(), Some(*id), None))
            }
            Cmd::Task(id, TaskOp::Dismiss { reason }) => {
                Some(draft(format!("dismiss:{id}"), reason.clone(), None, None))
            }
            Cmd::SendReply { key, reply, .. } => Some(Draft {
                template: reply.template.clone(),
                task_id: reply.task,
                ..draft(key.clone(), reply.draft.clone(), reply.ticket, reply.account)
            }),
            Cmd::SaveInvestigation {
                key,
                ticket,
                account,
                answers,
            } => Some(draft(
                key.clone(),
                serde_json::to_string(answers).unwrap_or_default(),
                *ticket,
                *account,
            )),
            _ => None,
        }
    }

    /// Whether the terminal loop carries this out itself.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Cmd::Clipboard(_) | Cmd::ExternalEditor { .. })
    }

    /// Whether this changes the database, or opens something whose typing is kept in it
    /// (refused while the database is read-only).
    pub fn writes(&self) -> bool {
        matches!(
            self,
            Cmd::Ticket(..)
                | Cmd::Task(..)
                | Cmd::MarkReviewed { .. }
                | Cmd::LoadDemo
                | Cmd::OpenReply { .. }
                | Cmd::SaveDraft(_)
                | Cmd::DeleteDraft(_)
                | Cmd::SendReply { .. }
                | Cmd::SaveTemplate { .. }
                | Cmd::Enroll { .. }
                | Cmd::Unenroll { .. }
                | Cmd::OpenInvestigation { .. }
                | Cmd::SaveInvestigation { .. }
                | Cmd::DailyRecompute
                | Cmd::ImportPreview { .. }
                | Cmd::ImportRun { .. }
                | Cmd::StartPlaybook { .. }
        )
    }
}

/// An investigation ready to fill in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvestigationOpen {
    pub key: String,
    pub ticket: Option<i64>,
    pub account: Option<i64>,
    pub title: String,
    pub health: Option<u32>,
    pub answers: crate::domain::investigation::Answers,
    pub restored: Option<Timestamp>,
}

/// A reply ready to edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyOpen {
    pub key: String,
    pub ticket: Option<i64>,
    pub account: i64,
    pub task: Option<i64>,
    /// The template's file name.
    pub template: Option<String>,
    pub text: String,
    pub title: String,
    pub to: Option<String>,
    /// When the draft that came back was last typed in.
    pub restored: Option<Timestamp>,
    /// No template fits: open the picker first.
    pub pick: bool,
    /// A draft came back where this template was asked for: offer to replace it.
    pub suggest: Option<String>,
    /// The version of the ticket (or, without one, the account) the reply answers, as read.
    pub version: Option<i64>,
}

/// One part of the snapshot, reloaded alone when only it changed.
#[derive(Debug, Clone)]
pub enum Part {
    /// The accounts changed: how many there are now. The list's window reloads itself.
    Accounts(usize),
    /// The tickets changed: how many are open, and snoozed. The queue's window reloads itself.
    Tickets(usize, usize),
    Review(review::Review),
    /// The tasks changed: the review is read again.
    Tasks,
    Investigations(Vec<crate::store::InvestigationRow>),
}

#[derive(Debug, Clone)]
pub enum Reply {
    Snapshot(Box<Snapshot>),
    AccountList(Box<ListReply<Account>>),
    TicketList(Box<ListReply<Ticket>>),
    /// What another process changed (possibly nothing listed: then only the details reload).
    Parts(Vec<Part>),
    Account(Box<AccountDetail>),
    Ticket(Box<TicketDetail>),
    /// A ticket's version as it is now.
    TicketVersion {
        id: i64,
        version: i64,
    },
    Done(String),
    Failed(String),
    /// A change refused because the user's view was out of date (the view is reloaded first);
    /// `input`: the draft key and the text that went with it, to give back.
    Stale {
        message: String,
        input: Option<(String, String)>,
    },
    ReplyOpen(Box<ReplyOpen>),
    /// The reply under the draft key `key` left and was recorded.
    ReplySent {
        key: String,
        message: String,
    },
    /// The reply did not leave; its editor, if open, stays open with its text.
    ReplyFailed {
        key: String,
        message: String,
    },
    /// The reply did not leave: what it answers changed since it was opened (shown reloaded).
    /// Its editor, if open, stays open with its text, now on `version`.
    ReplyStale {
        key: String,
        message: String,
        version: Option<i64>,
    },
    /// The investigation under the draft key `key` was saved.
    InvestigationSaved {
        key: String,
        message: String,
    },
    Drafts(Vec<Draft>),
    Templates(Box<TemplateSet>),
    InvestigationOpen(Box<InvestigationOpen>),
    Metrics(Box<crate::store::Dashboard>),
    /// An import's dry run (with what the file was read as), or why it could not run.
    ImportPreview(crate::import::What, Result<crate::import::Report, String>),
    /// An import done, or why it failed (nothing was written).
    Imported(Result<crate::import::Report, String>),
    /// A change that carried typed text failed: the text, under its draft key, to offer again.
    TextBack {
        key: String,
        text: String,
    },
    /// The database file at the path is no longer the one open (deleted or replaced): from now
    /// on nothing is changed; why, in a sentence, and a short form for the banner.
    Detached {
        message: String,
        banner: String,
    },
    /// The changes waiting for another process's write lock, in a few words each, oldest
    /// first (none: nothing waits any more).
    Waiting(Vec<String>),
    /// The worker's last word before the cockpit quits: what could not be saved, and where its
    /// text went.
    Left(Option<String>),
}

/// The day's review, read one candidate at a time: `cap` not-yet-reviewed items of each kind
/// at most (besides those `reviewed`), the rest counted.
pub fn load_review(
    store: &Store,
    rules: &HealthRules,
    reviewed: &HashSet<String>,
    cap: usize,
    now: Timestamp,
) -> crate::store::Result<review::Review> {
    let mut c = review::Collector::new(rules, now, reviewed, cap);
    store.review_tickets(now, now + review::SOON + 1, |t| c.ticket(&t))?;
    let (_, critical_max) = rules.score_range(crate::domain::Tier::Critical);
    store.review_accounts(&day_of(now), critical_max, |a| c.account(&a))?;
    store.each_task_due(&day_of(now), None, |t| c.task(&t))?;
    Ok(c.finish())
}

/// The queue's counts: (open and not snoozed, snoozed).
fn queue_counts(store: &Store, now: Timestamp) -> crate::store::Result<(usize, usize)> {
    use crate::store::{QueueKind, QueueQuery};
    let q = |kind| QueueQuery {
        kind,
        now,
        ..Default::default()
    };
    Ok((
        store.queue_count(&q(QueueKind::Open))?,
        store.queue_count(&q(QueueKind::Snoozed))?,
    ))
}

pub fn load_snapshot(store: &Store, now: Timestamp) -> crate::store::Result<Snapshot> {
    let day = day_of(now);
    let (queue_open, queue_snoozed) = queue_counts(store, now)?;
    // the review and the tasks due come on their own (`Cmd::LoadReview`): at scale they are
    // the slowest reads, and the lists should not wait for them
    Ok(Snapshot {
        accounts_total: store.account_count()?,
        queue_open,
        queue_snoozed,
        review: review::Review::default(),
        reviewed: store.review_marks(&day)?,
        investigations: store.investigations(None)?,
        day,
        data_version: store.data_version()?,
    })
}

impl Snapshot {
    pub fn apply(&mut self, part: Part) {
        match part {
            Part::Accounts(n) => self.accounts_total = n,
            Part::Tickets(open, snoozed) => {
                self.queue_open = open;
                self.queue_snoozed = snoozed;
            }
            Part::Review(r) => self.review = r,
            Part::Tasks => {}
            Part::Investigations(i) => self.investigations = i,
        }
    }
}

/// Answer the list requests among `cmds` at once, as the worker would, until the app asks for
/// no more; the other requests are returned. For `tend screen` and tests, which run without a
/// worker thread.
pub fn settle(store: &Store, app: &mut super::App, cmds: Vec<Cmd>) -> crate::store::Result<Vec<Cmd>> {
    let mut lister = Lister::default();
    let mut rest = Vec::new();
    let mut cmds = cmds;
    // each round answers what the last one asked; a window answered asks for nothing more
    for _ in 0..8 {
        let mut next = Vec::new();
        for c in cmds {
            let reply = match &c {
                Cmd::AccountList(r) => Reply::AccountList(Box::new(lister.accounts(store, r)?)),
                Cmd::TicketList(r) => Reply::TicketList(Box::new(lister.tickets(store, r)?)),
                Cmd::LoadReview if app.view == super::View::Today => {
                    let reviewed = store.review_marks(&day_of(app.now))?;
                    let review = load_review(store, &app.rules, &reviewed, review::SHOWN_PER_KIND, app.now)?;
                    Reply::Parts(vec![Part::Review(review)])
                }
                _ => {
                    rest.push(c);
                    continue;
                }
            };
            next.extend(app.update(super::Msg::Reply(reply)));
        }
        if next.is_empty() {
            break;
        }
        cmds = next;
    }
    Ok(rest)
}

pub fn load_account(
    store: &Store,
    id: i64,
    now: Timestamp,
    rules: &HealthRules,
) -> crate::store::Result<AccountDetail> {
    let account = store.account(id)?;
    let facts = store.health_facts(id, now)?;
    Ok(AccountDetail {
        health: rules.evaluate(&facts),
        readings: health::signal_readings(&facts),
        warning_signs: churn::warning_signs(&store.churn_facts(id, now)?),
        contacts: store.contacts(id)?,
        open_tickets: store.tickets(
            &TicketFilter {
                account: Some(id),
                all: false,
                ..Default::default()
            },
            now,
        )?,
        tasks: store.tasks_due(&day_of(now + 365 * DAY), Some(id))?,
        history: store.health_history(id)?,
        recent_signals: store.recent_signals(id, 12)?,
        ticket_events: store.account_timeline(id, 12)?,
        enrollments: store.enrollments(Some(id), false)?,
        investigations: store.investigations(Some(id))?,
        audit: store.audit_of(crate::store::AuditOf::Account(id), AUDIT_SHOWN)?,
        account,
    })
}

pub fn load_ticket(store: &Store, id: i64) -> crate::store::Result<TicketDetail> {
    let ticket = store.ticket(id)?;
    Ok(TicketDetail {
        checklist: store.checklist(id, ticket.step)?,
        events: store.ticket_events(id)?,
        investigations: store.ticket_investigations(id)?,
        audit: store.audit_of(crate::store::AuditOf::Ticket(id), AUDIT_SHOWN)?,
        ticket,
    })
}

/// The audit entries a detail shows.
const AUDIT_SHOWN: usize = 12;

/// The worker's state: the store and the last change counter it saw.
pub struct Worker {
    pub store: Store,
    pub rules: HealthRules,
    pub sla: SlaTargets,
    pub demo: crate::demo::DemoOptions,
    last_version: Option<i64>,
    last_counters: Option<(i64, i64, i64, i64)>,
    /// A frozen clock, when one was given.
    pub fixed_now: Option<Timestamp>,
    pub templates: TemplateSet,
    pub responses: crate::config::Responses,
    pub playbooks: Vec<crate::domain::playbook::Playbook>,
    /// Which mail is ours, for mail imports.
    pub import: crate::config::ImportSettings,
    /// The lists' search candidates, kept between keystrokes.
    lister: Lister,
    /// The file at the database's path is no longer the one open: drafts go to `rescue` too.
    detached: bool,
    /// Where the drafts were written when the database went away.
    rescue: Option<std::path::PathBuf>,
    /// Drafts that could not be kept (disk full, locked): tried again at each poll.
    unsaved: Vec<Draft>,
    /// The ticket whose escalation was just refused: the escalation reply the cockpit asked
    /// for behind it is not opened (there is nothing to tell the customer yet).
    escalation_refused: Option<i64>,
    /// Changes refused for another process's write lock, oldest first: made again, in order,
    /// at each poll; the changes asked for after them wait behind them, so order is kept.
    held: std::collections::VecDeque<Queued>,
    /// Another process held the lock at the last try: a draft's save waits for the poll
    /// instead of trying (and stopping the worker for `COCKPIT_ATTEMPT`) at every keystroke.
    lock_busy: bool,
    /// Per ticket or account, the versions this cockpit's own consecutive changes went
    /// through: a change asked on one of them sees only this cockpit's changes since.
    own: std::collections::HashMap<Versioned, Vec<i64>>,
    /// The queued change being made now was typed on after it was asked (its draft holds
    /// newer text, which its making leaves be).
    sparing: bool,
}

/// How long a poll asks for the lock again for what waits (it asks again each second).
pub const RETRY_ATTEMPT: std::time::Duration = std::time::Duration::from_millis(20);

/// A change waiting for another process's write lock.
#[derive(Debug, Clone)]
struct Queued {
    cmd: Cmd,
    /// When it was asked (its text's time, should it go to the drafts file).
    asked: Timestamp,
    /// Text was typed under its draft key after it was asked: once made, it leaves that
    /// newer draft be instead of dropping it.
    typed_after: bool,
}

/// A change made, or refused for the lock before it wrote anything (given back to queue).
enum Made {
    Done(Vec<Reply>),
    Refused(Cmd),
}

/// What a change checks its version against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Versioned {
    Ticket(i64),
    Account(i64),
}

/// How long the cockpit's worker asks for another process's write lock before it queues the
/// change and goes on: short, so that the lists and details it also reads never wait long.
pub const COCKPIT_ATTEMPT: std::time::Duration = std::time::Duration::from_millis(200);

impl Worker {
    pub fn new(store: Store, rules: HealthRules, sla: SlaTargets, fixed_now: Option<Timestamp>) -> Worker {
        Worker {
            store,
            rules,
            sla,
            demo: Default::default(),
            last_version: None,
            last_counters: None,
            fixed_now,
            templates: TemplateSet::load(None),
            responses: Default::default(),
            playbooks: crate::playbooks::PlaybookSet::load(None).playbooks,
            import: Default::default(),
            lister: Lister::default(),
            detached: false,
            rescue: None,
            unsaved: Vec::new(),
            escalation_refused: None,
            held: Default::default(),
            lock_busy: false,
            own: Default::default(),
            sparing: false,
        }
        .with_lock_wait(crate::store::LockWait::quiet(
            COCKPIT_ATTEMPT.min(crate::store::busy_timeout()),
        ))
    }

    fn with_lock_wait(self, wait: crate::store::LockWait) -> Worker {
        // an in-memory or read-only store has nothing to set; a failure leaves SQLite's wait
        let _ = self.store.set_lock_wait(wait);
        self
    }

    /// The second connection's worker (the review's read, the day's rescore): nothing waits on
    /// it, so it waits for another's lock as long as a command line does, without a word.
    pub fn slow_lane(self) -> Worker {
        self.with_lock_wait(crate::store::LockWait::quiet(crate::store::busy_timeout()))
    }

    /// Carry out one request as the cockpit asks it: a change refused for another process's
    /// write lock before it wrote anything waits in a queue, said on screen, and is made again
    /// at each poll; changes asked for after it wait behind it. The replies, in order.
    pub fn handle(&mut self, cmd: Cmd) -> Vec<Reply> {
        match cmd {
            Cmd::Poll => {
                // what waits is tried again at each poll with a short wait for the lock: a
                // key pressed meanwhile waits for that try, not for `COCKPIT_ATTEMPT`
                let normal = self.store.lock_wait();
                let retrying = self.lock_busy && normal.said.is_none();
                if retrying {
                    let _ = self
                        .store
                        .set_lock_wait(crate::store::LockWait::quiet(RETRY_ATTEMPT.min(normal.quiet)));
                }
                let mut out = self.retry_held(false);
                out.extend(self.execute(Cmd::Poll));
                if retrying {
                    let _ = self.store.set_lock_wait(normal);
                }
                out
            }
            Cmd::Leave => self.leave(),
            cmd if cmd.may_wait_for_lock() => {
                if !self.held.is_empty() {
                    let asked = self.now();
                    self.held.push_back(Queued {
                        cmd,
                        asked,
                        typed_after: false,
                    });
                    return vec![self.waiting()];
                }
                match self.make(cmd, false) {
                    Made::Refused(cmd) => self.hold(cmd),
                    Made::Done(mut out) => {
                        if self.held.is_empty() {
                            self.lock_busy = false;
                        } else {
                            // made, but a last part of it (a draft's drop, a tick) waits for the lock
                            out.push(self.waiting());
                        }
                        out
                    }
                }
            }
            cmd => self.execute(cmd),
        }
    }

    /// Make a change: on the version its asker saw, moved on past the changes this cockpit made
    /// since (`own`); refused for the lock before it wrote anything, it comes back unmade.
    fn make(&mut self, mut cmd: Cmd, sparing: bool) -> Made {
        if let Some((what, Some(seen))) = cmd.versioned() {
            if let Some(chain) = self.own.get(&what)
                && chain.contains(&seen)
                && let Some(&last) = chain.last()
            {
                cmd.set_expected(last);
            }
        }
        // whether another connection commits while this change is made (its version, read
        // after, is then not known to be this change's own)
        let others_before = self.store.data_version().ok();
        self.store.take_lock_counts();
        self.sparing = sparing;
        let out = self.execute(cmd.clone());
        self.sparing = false;
        if self.store.take_lock_counts().refused_first() {
            return Made::Refused(cmd);
        }
        let failed = out.iter().any(|r| {
            matches!(
                r,
                Reply::Failed(_) | Reply::Stale { .. } | Reply::ReplyStale { .. } | Reply::ReplyFailed { .. }
            )
        });
        if let (Some((what, Some(seen))), false) = (cmd.versioned(), failed) {
            // the version this change made: a change asked on the version before it (typed
            // before its answer came back, or queued behind it) sees only this cockpit's own
            let (ticket, account) = match what {
                Versioned::Ticket(id) => (Some(id), None),
                Versioned::Account(id) => (None, Some(id)),
            };
            let now = self.store.check_current(ticket, account, None);
            let others_after = self.store.data_version().ok();
            if others_before.is_none() || others_after != others_before {
                // someone else committed meanwhile: the version read may hold their change too
                self.own.remove(&what);
            } else if let Ok(now) = now {
                let chain = self.own.entry(what).or_default();
                if chain.last() != Some(&seen) {
                    chain.clear();
                    chain.push(seen);
                }
                chain.push(now);
                if chain.len() > 16 {
                    chain.remove(0);
                }
            }
        }
        Made::Done(out)
    }

    /// Queue a change refused for the lock (its replies, all refusals, are not sent).
    fn hold(&mut self, cmd: Cmd) -> Vec<Reply> {
        // an escalation that waits is not refused: the reply asked for behind it may open
        self.escalation_refused = None;
        self.lock_busy = true;
        let asked = self.now();
        self.held.push_back(Queued {
            cmd,
            asked,
            typed_after: false,
        });
        vec![self.waiting()]
    }

    /// What waits for the lock, for the screen (nothing: nothing waits).
    fn waiting(&self) -> Reply {
        Reply::Waiting(self.held.iter().map(|q| q.cmd.change_label()).collect())
    }

    /// Make the queued changes, in order, until one is refused for the lock again; then say
    /// what still waits. Quitting, a reply to be sent by the send command is not tried: it can
    /// take longer than the cockpit waits for its worker, and must not leave unrecorded.
    fn retry_held(&mut self, quitting: bool) -> Vec<Reply> {
        if self.held.is_empty() {
            return Vec::new();
        }
        let mut out = Vec::new();
        while let Some(q) = self.held.pop_front() {
            if quitting
                && matches!(
                    &q.cmd,
                    Cmd::SendReply {
                        via: crate::responses::Via::Command,
                        ..
                    }
                )
            {
                self.held.push_front(q);
                break;
            }
            match self.make(q.cmd.clone(), q.typed_after) {
                Made::Refused(cmd) => {
                    // asked on the version it was moved on to
                    self.held.push_front(Queued { cmd, ..q });
                    self.lock_busy = true;
                    self.escalation_refused = None;
                    break;
                }
                // what it did shows before the next one's
                Made::Done(replies) => {
                    self.lock_busy = false;
                    out.extend(replies);
                }
            }
        }
        out.push(self.waiting());
        out
    }

    /// Quitting: one more try at what waits; what still cannot be saved (queued changes that
    /// carry text, drafts) goes to a private file, said in a sentence for after the cockpit.
    fn leave(&mut self) -> Vec<Reply> {
        let _ = self.retry_held(true);
        let _ = self.retry_unsaved();
        if self.held.is_empty() && self.unsaved.is_empty() {
            return vec![Reply::Left(None)];
        }
        // the text of each change that waits, as of when it was asked, and typing not saved
        // (when under the same key, both are kept); newest first
        let mut extra: Vec<Draft> = self.unsaved.iter().rev().cloned().collect();
        for q in self.held.iter().rev() {
            if let Some(d) = q.cmd.text_carried(q.asked)
                && !extra.iter().any(|e| e.key == d.key && e.body == d.body)
            {
                extra.push(d);
            }
        }
        extra.sort_by_key(|d| std::cmp::Reverse(d.updated_at));
        let n = self.held.len();
        let mut message = if n > 0 {
            let what: Vec<String> = self.held.iter().map(|q| q.cmd.change_label()).collect();
            format!(
                "another write to the database was still under way, so {n} change{} could not be made ({})",
                if n == 1 { "" } else { "s" },
                what.join(", ")
            )
        } else {
            "another write to the database was still under way, so your latest typing could not be saved in it"
                .to_string()
        };
        if !extra.is_empty() {
            match self.write_rescue_with(&extra) {
                Ok((p, _)) => message.push_str(&format!("; the text you typed is in {}", p.display())),
                Err(e) => message.push_str(&format!(
                    "; the text you typed could not be written to a file either ({e})"
                )),
            }
        }
        vec![Reply::Left(Some(message))]
    }

    /// This person's drafts: as stored, with the newer typing not yet saved (another write
    /// held the lock, or the disk was full) in place of what is stored under its key.
    fn kept_drafts(&self) -> crate::store::Result<Vec<Draft>> {
        let mut drafts = self.store.drafts()?;
        // the newest typing last in `unsaved`, first in the list; a text cleared is no draft
        for u in &self.unsaved {
            drafts.retain(|d| d.key != u.key);
            if !u.body.trim().is_empty() {
                drafts.insert(0, u.clone());
            }
        }
        Ok(drafts)
    }

    /// A text was sent (a note, a reason, a reply, an investigation): its draft goes, and any
    /// save of it still waiting to be tried again, unless it was typed on after the send was
    /// asked (while the send waited for the lock): that newer text stays.
    fn text_sent(&mut self, key: &str) -> crate::store::Result<()> {
        if self.sparing {
            return Ok(());
        }
        self.unsaved.retain(|u| u.key != key);
        self.drop_draft(key)
    }

    /// Drop a draft whose text was sent; refused for another's lock, the drop waits its turn.
    fn drop_draft(&mut self, key: &str) -> crate::store::Result<()> {
        match self.store.delete_draft(key) {
            Err(e) if e.is_busy() => {
                self.lock_busy = true;
                let asked = self.now();
                self.held.push_back(Queued {
                    cmd: Cmd::DeleteDraft(key.to_string()),
                    asked,
                    typed_after: false,
                });
                Ok(())
            }
            r => r,
        }
    }

    pub fn with_import(mut self, import: crate::config::ImportSettings) -> Worker {
        self.import = import;
        self
    }

    pub fn with_playbooks(mut self, playbooks: Vec<crate::domain::playbook::Playbook>) -> Worker {
        self.playbooks = playbooks;
        self
    }

    pub fn with_responses(mut self, templates: TemplateSet, responses: crate::config::Responses) -> Worker {
        self.templates = templates;
        self.responses = responses;
        self
    }

    /// The settings an import needs, as the configuration file gave them.
    fn config(&self) -> crate::config::Config {
        crate::config::Config {
            health: self.rules,
            sla: self.sla,
            responses: self.responses.clone(),
            import: self.import.clone(),
            ..Default::default()
        }
    }

    fn now(&self) -> Timestamp {
        self.fixed_now.unwrap_or_else(|| chrono::Utc::now().timestamp())
    }

    fn snapshot(&mut self) -> Reply {
        self.last_counters = self.store.change_counters().ok();
        match load_snapshot(&self.store, self.now()) {
            Ok(s) => {
                self.last_version = Some(s.data_version);
                Reply::Snapshot(Box::new(s))
            }
            Err(e) => Reply::Failed(format!("Could not load: {e}")),
        }
    }

    /// Reload only the parts whose tables another process changed.
    fn changed_parts(&mut self, now: Timestamp) -> crate::store::Result<Vec<Part>> {
        let counters = self.store.change_counters()?;
        let before = self.last_counters.unwrap_or((-1, -1, -1, -1));
        let mut parts = Vec::new();
        if counters.0 != before.0 {
            parts.push(Part::Accounts(self.store.account_count()?));
        }
        if counters.1 != before.1 {
            let (open, snoozed) = queue_counts(&self.store, now)?;
            parts.push(Part::Tickets(open, snoozed));
        }
        if counters == before {
            return Ok(parts);
        }
        if counters.2 != before.2 {
            parts.push(Part::Tasks);
        }
        if counters.3 != before.3 {
            parts.push(Part::Investigations(self.store.investigations(None)?));
        }
        self.last_counters = Some(counters);
        Ok(parts)
    }

    /// Carry out one request; the replies go back to the app in order.
    pub fn execute(&mut self, cmd: Cmd) -> Vec<Reply> {
        let now = self.now();
        match cmd {
            Cmd::LoadAll => vec![self.snapshot(), self.drafts()],
            Cmd::AccountList(req) => match self.lister.accounts(&self.store, &req) {
                Ok(r) => vec![Reply::AccountList(Box::new(r))],
                Err(e) => vec![Reply::Failed(format!("Could not load the accounts: {e}"))],
            },
            Cmd::TicketList(req) => match self.lister.tickets(&self.store, &req) {
                Ok(r) => vec![Reply::TicketList(Box::new(r))],
                Err(e) => vec![Reply::Failed(format!("Could not load the queue: {e}"))],
            },
            Cmd::PrepareAccountSearch(q) => match self.lister.prepare_accounts(&self.store, &q) {
                Ok(()) => Vec::new(),
                Err(e) => vec![Reply::Failed(format!("Could not read the accounts: {e}"))],
            },
            Cmd::PrepareTicketSearch(q) => match self.lister.prepare_tickets(&self.store, &q) {
                Ok(()) => Vec::new(),
                Err(e) => vec![Reply::Failed(format!("Could not read the queue: {e}"))],
            },
            Cmd::LoadReview => {
                let review = self
                    .store
                    .review_marks(&day_of(now))
                    .and_then(|reviewed| load_review(&self.store, &self.rules, &reviewed, review::SHOWN_PER_KIND, now));
                match review {
                    Ok(r) => vec![Reply::Parts(vec![Part::Review(r)])],
                    Err(e) => vec![Reply::Failed(format!("Could not load the review: {e}"))],
                }
            }
            Cmd::LoadDrafts => vec![self.drafts()],
            Cmd::OpenReply { ticket, .. }
                if ticket.is_some() && std::mem::take(&mut self.escalation_refused) == ticket =>
            {
                Vec::new()
            }
            Cmd::OpenReply {
                ticket,
                account,
                task,
                template,
                use_draft,
            } => match self.open_reply(ticket, account, task, template, use_draft, now) {
                Ok(o) => vec![Reply::ReplyOpen(Box::new(o))],
                Err(e) => vec![Reply::Failed(e)],
            },
            Cmd::SaveDraft(d) => {
                self.unsaved.retain(|u| u.key != d.key);
                let mut out = Vec::new();
                // typed after changes carrying this key were queued: newer than them. A queued
                // drop of the draft is void; a queued send leaves this text be (the same text
                // saved again, as leaving a form does, is not newer)
                let before = self.held.len();
                self.held
                    .retain(|q| !matches!(&q.cmd, Cmd::DeleteDraft(k) if *k == d.key));
                if self.held.len() != before {
                    out.push(self.waiting());
                }
                for q in self.held.iter_mut() {
                    if q.cmd.draft_key().as_deref() == Some(d.key.as_str())
                        && q.cmd.text_carried(0).is_none_or(|t| t.body.trim() != d.body.trim())
                    {
                        q.typed_after = true;
                    }
                }
                if self.lock_busy {
                    // another process is writing: the next poll tries, not every keystroke
                    self.unsaved.push(d);
                    return out;
                }
                out.extend(match self.store.save_draft(&d) {
                    Ok(()) => self.rescue_again(),
                    Err(e) if e.is_busy() => {
                        self.lock_busy = true;
                        self.unsaved.push(d);
                        vec![Reply::Done(
                            "Another write is under way: your typing is kept here and saved as soon as it is done."
                                .into(),
                        )]
                    }
                    Err(e) => {
                        self.unsaved.push(d);
                        vec![Reply::Failed(format!("Draft not saved yet, retrying each second: {e}"))]
                    }
                });
                out
            }
            Cmd::DeleteDraft(key) => {
                if self.sparing {
                    // a drop asked before the text typed since: void
                    return Vec::new();
                }
                self.unsaved.retain(|u| u.key != key);
                match self.store.delete_draft(&key) {
                    Ok(()) => {
                        let mut out = self.rescue_again();
                        out.push(self.drafts());
                        out
                    }
                    Err(e) => vec![Reply::Failed(format!("Could not drop the draft: {e}"))],
                }
            }
            Cmd::SendReply { key, reply, via } => {
                match crate::responses::deliver_and_record(&self.store, &self.responses, &reply, &via, now) {
                    Ok(msg) => {
                        let mut out = Vec::new();
                        // a save of this draft waiting to be tried again is older than the reply sent
                        if let Err(e) = self.text_sent(&key) {
                            out.push(Reply::Failed(format!("{msg} (the draft could not be dropped: {e})")));
                        }
                        out.insert(
                            0,
                            Reply::ReplySent {
                                key: key.clone(),
                                message: msg,
                            },
                        );
                        if let Some(id) = reply.ticket {
                            if let Ok(d) = load_ticket(&self.store, id) {
                                out.push(Reply::Ticket(Box::new(d)));
                            }
                        }
                        out.push(self.snapshot());
                        out.push(self.drafts());
                        out
                    }
                    // a reply written to a ticket someone has changed since is theirs to read first
                    Err(e) if e.is_stale() => {
                        let mut out = Vec::new();
                        if let Some(id) = reply.ticket
                            && let Ok(d) = load_ticket(&self.store, id)
                        {
                            out.push(Reply::Ticket(Box::new(d)));
                        }
                        let version = self.store.check_current(reply.ticket, reply.account, None).ok();
                        out.push(Reply::ReplyStale {
                            key: key.clone(),
                            message: e.to_string(),
                            version,
                        });
                        out
                    }
                    Err(e) => vec![Reply::ReplyFailed {
                        key,
                        message: e.to_string(),
                    }],
                }
            }
            Cmd::Clipboard(_) | Cmd::ExternalEditor { .. } => vec![],
            Cmd::Leave => self.leave(),
            Cmd::TickDocumented { ticket, template } => match self.store.note_documented(ticket, &template, now) {
                Ok(ticked) => {
                    let mut out = Vec::new();
                    if ticked {
                        out.push(Reply::Done(format!("#{ticket}: ticked Update docs if common.")));
                    }
                    if let Ok(d) = load_ticket(&self.store, ticket) {
                        out.push(Reply::Ticket(Box::new(d)));
                    }
                    out
                }
                Err(e) => vec![Reply::Failed(format!(
                    "#{ticket}: \"Update docs if common\" not ticked: {e}"
                ))],
            },
            Cmd::SaveTemplate {
                name,
                used_for,
                draft,
                ticket,
                account,
                blanks,
            } => match self.save_template(&name, &used_for, &draft, ticket, account, blanks, now) {
                Ok(msg) => {
                    let mut out = vec![Reply::Done(msg), Reply::Templates(Box::new(self.templates.clone()))];
                    if let Some(id) = ticket {
                        if let Ok(d) = load_ticket(&self.store, id) {
                            out.push(Reply::Ticket(Box::new(d)));
                        }
                    }
                    out
                }
                Err(e) => vec![Reply::Failed(e)],
            },
            Cmd::Enroll {
                account,
                sequence,
                version,
            } => {
                let steps = match self.templates.sequence_steps(&sequence) {
                    Ok(steps) => steps,
                    Err(e) => return vec![Reply::Failed(e)],
                };
                match self.store.enroll(account, &sequence, &steps, version, now) {
                    Ok(_) => {
                        let n = steps.len();
                        let mut out = vec![Reply::Done(format!(
                            "Enrolled in {sequence}: {n} steps scheduled from today; they show on Today as they fall due."
                        ))];
                        if let Ok(d) = load_account(&self.store, account, now, &self.rules) {
                            out.push(Reply::Account(Box::new(d)));
                        }
                        out.push(self.snapshot());
                        out
                    }
                    Err(e) => self.account_refusal(account, e, now),
                }
            }
            Cmd::Task(id, op) => {
                let text_back = match &op {
                    TaskOp::Dismiss { reason } => Some((format!("dismiss:{id}"), reason.clone())),
                    _ => None,
                };
                let result = match &op {
                    TaskOp::Done => self.store.complete_task(id, now).map(|_| format!("Task {id} done.")),
                    TaskOp::Snooze { until } => self
                        .store
                        .snooze_task(id, until, now)
                        .map(|_| format!("Task {id} snoozed until {until}.")),
                    TaskOp::Dismiss { reason } => self.store.dismiss_task(id, reason, now).map(|_| {
                        let _ = self.text_sent(&format!("dismiss:{id}"));
                        format!("Task {id} dismissed.")
                    }),
                };
                match result {
                    Ok(m) => vec![Reply::Done(m), self.snapshot()],
                    Err(e) => failed_with_text(e.to_string(), text_back),
                }
            }
            Cmd::LoadMetrics { days, segment } => match self.store.dashboard(&self.rules, segment, days, now) {
                Ok(d) => vec![Reply::Metrics(Box::new(d))],
                Err(e) => vec![Reply::Failed(format!("Could not count the metrics: {e}"))],
            },
            Cmd::DailyRecompute => {
                // whether the day is new is decided under the write lock: of several cockpits
                // opening at once, one recomputes and the others find it done
                let result = self
                    .store
                    .recompute_health_for_new_day(&self.rules, now)
                    .and_then(|s| match s {
                        Some(s) => self
                            .store
                            .raise_alerts(&self.rules, &self.playbooks, now)
                            .map(|n| Some((s, n))),
                        None => Ok(None),
                    });
                match result {
                    Ok(Some((s, n))) => vec![
                        Reply::Done(format!(
                            "New day: health rescored ({} accounts, {} changed tier), {n} task{} raised.",
                            s.accounts,
                            s.tier_changes,
                            if n == 1 { "" } else { "s" }
                        )),
                        self.snapshot(),
                    ],
                    Ok(None) => Vec::new(),
                    Err(e) => vec![Reply::Failed(format!("Could not recompute today's health: {e}"))],
                }
            }
            Cmd::ImportPreview { typed, what } => {
                let path = crate::import::resolve_path(&typed);
                let what = what.unwrap_or_else(|| crate::import::What::guess(&path));
                let result = crate::import::run(&self.store, what, &path, true, &self.config(), now);
                vec![Reply::ImportPreview(what, result)]
            }
            Cmd::ImportRun { path, what } => {
                let result = crate::import::run(&self.store, what, &path, false, &self.config(), now);
                let ok = result.is_ok();
                let mut replies = vec![Reply::Imported(result)];
                if ok {
                    replies.push(self.snapshot());
                }
                replies
            }
            Cmd::StartPlaybook {
                account,
                playbook,
                version,
            } => {
                let result = match self.playbooks.iter().find(|p| p.slug == playbook) {
                    Some(p) => self
                        .store
                        .start_playbook(account, p, version, now)
                        .map(|n| {
                            format!(
                                "Started {} ({n} tasks; the first due {}).",
                                p.title,
                                day_of(now + i64::from(p.steps.first().map(|s| s.day).unwrap_or(0)) * DAY)
                            )
                        })
                        .map_err(|e| self.account_refusal(account, e, now)),
                    None => Err(vec![Reply::Failed(format!("There is no playbook '{playbook}'."))]),
                };
                match result {
                    Ok(m) => vec![Reply::Done(m), self.snapshot()],
                    Err(out) => out,
                }
            }
            Cmd::OpenInvestigation { ticket, account } => match self.open_investigation(ticket, account, now) {
                Ok(o) => vec![Reply::InvestigationOpen(Box::new(o))],
                Err(e) => vec![Reply::Failed(e)],
            },
            Cmd::SaveInvestigation {
                key,
                ticket,
                account,
                answers,
            } => {
                let health = account.and_then(|a| self.store.account(a).ok()).and_then(|a| a.score);
                let o = crate::domain::investigation::evaluate(&answers, health, now);
                match self.store.create_investigation(account, ticket, &answers, &o, now) {
                    Ok(id) => {
                        let _ = self.text_sent(&key);
                        let mut msg = format!(
                            "Investigation {id} saved: {} — {}.",
                            o.priority.map(|p| p.label()).unwrap_or("-"),
                            o.approach.as_deref().unwrap_or("")
                        );
                        if let Some(d) = &o.follow_up_due {
                            msg.push_str(&format!(" Follow-up task due {d}."));
                        }
                        if o.minimal {
                            msg.push_str(" Logged in the CS debt log.");
                        }
                        vec![
                            Reply::InvestigationSaved { key, message: msg },
                            self.snapshot(),
                            self.drafts(),
                        ]
                    }
                    Err(e) => vec![Reply::Failed(format!("Could not save the investigation: {e}"))],
                }
            }
            Cmd::Unenroll {
                account,
                sequence,
                version,
            } => match self.store.unenroll(account, &sequence, version, now) {
                Ok(n) => {
                    let mut out = vec![Reply::Done(format!(
                        "Unenrolled from {sequence}; {n} remaining step(s) cancelled."
                    ))];
                    if let Ok(d) = load_account(&self.store, account, now, &self.rules) {
                        out.push(Reply::Account(Box::new(d)));
                    }
                    out.push(self.snapshot());
                    out
                }
                Err(e) => self.account_refusal(account, e, now),
            },
            Cmd::Poll => {
                let mut out = self.check_file();
                out.extend(self.retry_unsaved());
                out.extend(match self.store.data_version() {
                    Ok(v) if Some(v) != self.last_version => {
                        self.last_version = Some(v);
                        match self.changed_parts(now) {
                            Ok(parts) => vec![Reply::Parts(parts)],
                            Err(e) => vec![Reply::Failed(format!("Could not load others' changes: {e}"))],
                        }
                    }
                    Ok(_) => vec![],
                    Err(e) => vec![Reply::Failed(format!("Could not check for changes: {e}"))],
                });
                out
            }
            Cmd::LoadAccount(id) => match load_account(&self.store, id, now, &self.rules) {
                Ok(d) => vec![Reply::Account(Box::new(d))],
                Err(e) => vec![Reply::Failed(e.to_string())],
            },
            Cmd::TicketVersion(id) => match self.store.check_current(Some(id), None, None) {
                Ok(version) => vec![Reply::TicketVersion { id, version }],
                Err(e) => vec![Reply::Failed(e.to_string())],
            },
            Cmd::LoadTicket(id) => match load_ticket(&self.store, id) {
                Ok(d) => vec![Reply::Ticket(Box::new(d))],
                Err(e) => vec![Reply::Failed(e.to_string())],
            },
            Cmd::MarkReviewed { day, item, reviewed } => match self.store.set_review_mark(&day, &item, reviewed, now) {
                Ok(()) => vec![self.snapshot()],
                Err(e) => vec![Reply::Failed(format!("Could not save the review: {e}"))],
            },
            Cmd::LoadDemo => {
                // several writes, all wanted: the welcome screen waits for them as a command
                // line would, rather than queue a half-loaded sample
                let normal = self.store.lock_wait();
                let _ = self
                    .store
                    .set_lock_wait(crate::store::LockWait::quiet(crate::store::busy_timeout()));
                let result = self
                    .store
                    .load_demo(&self.demo, &self.sla, now)
                    .and_then(|c| self.store.backfill_snapshots(&self.rules, now, 30).map(|_| c))
                    .and_then(|c| self.store.recompute_health(&self.rules, now).map(|_| c))
                    // the alerts its state calls for, as `tend demo` raises them: Today has its tasks
                    .and_then(|c| {
                        self.store
                            .raise_alerts(&self.rules, &self.playbooks, now)
                            .map(|n| (c, n))
                    });
                let out = match result {
                    Ok((c, n)) => vec![
                        Reply::Done(format!(
                            "Loaded sample data: {} accounts, {} tickets, {} signals, {n} alert task{}.",
                            c.accounts,
                            c.tickets,
                            c.signals,
                            if n == 1 { "" } else { "s" }
                        )),
                        self.snapshot(),
                    ],
                    Err(e) => vec![Reply::Failed(format!("Could not load the sample data: {e}"))],
                };
                let _ = self.store.set_lock_wait(normal);
                out
            }
            Cmd::Ticket(id, expected, op) => {
                self.escalation_refused = None;
                let text_back = match &op {
                    TicketOp::Advance { reason: Some(r) } => Some((format!("override:{id}"), r.clone())),
                    TicketOp::Back { reason } => Some((format!("back:{id}"), reason.clone())),
                    TicketOp::Escalate { reason } => Some((format!("escalate:{id}"), reason.clone())),
                    TicketOp::Note { text } => Some((format!("note:{id}"), text.clone())),
                    _ => None,
                };
                let s = &self.store;
                let result: crate::store::Result<String> = match &op {
                    TicketOp::SetItem { item, done } => {
                        s.set_checklist_item(id, *item, *done, expected, now).map(|step| {
                            format!(
                                "#{id} {}: item {} {}",
                                step.label(),
                                item + 1,
                                if *done { "done" } else { "undone" }
                            )
                        })
                    }
                    TicketOp::Advance { reason } => s.advance_ticket(id, reason.as_deref(), expected, now).map(|m| {
                        format!(
                            "#{id}: {} -> {}{}",
                            m.from.label(),
                            m.to.label(),
                            if m.is_override() { " (checklist overridden)" } else { "" }
                        )
                    }),
                    TicketOp::Back { reason } => s
                        .move_ticket_back(id, Some(reason), expected, now)
                        .map(|m| format!("#{id}: back from {} to {}", m.from.label(), m.to.label())),
                    TicketOp::Escalate { reason } => s
                        .escalate_ticket(id, Some(reason), expected, now)
                        .map(|_| format!("#{id} escalated to tier 2")),
                    TicketOp::Note { text } => s
                        .add_note(id, text, expected, now)
                        .map(|_| format!("Note added to #{id}")),
                    TicketOp::Wait => s
                        .wait_on_customer(id, expected, now)
                        .map(|_| format!("#{id} is waiting on the customer (resolution clock paused)")),
                    TicketOp::Resume => s
                        .resume_ticket(id, expected, now)
                        .map(|_| format!("#{id} is back in the queue")),
                    TicketOp::Snooze { until } => s.snooze_ticket(id, *until, expected, now).map(|_| match until {
                        Some(u) => format!("#{id} snoozed until {}", crate::domain::format_time(*u)),
                        None => format!("#{id} snoozed until the customer replies"),
                    }),
                };
                if result.is_err() && matches!(op, TicketOp::Escalate { .. }) {
                    self.escalation_refused = Some(id);
                }
                match result {
                    Ok(msg) => {
                        let kept = match &op {
                            TicketOp::Advance { reason: Some(_) } => Some(format!("override:{id}")),
                            TicketOp::Back { .. } => Some(format!("back:{id}")),
                            TicketOp::Escalate { .. } => Some(format!("escalate:{id}")),
                            TicketOp::Note { .. } => Some(format!("note:{id}")),
                            _ => None,
                        };
                        if let Some(key) = kept {
                            // a save of it waiting to be tried again must not bring it back
                            let _ = self.text_sent(&key);
                        }
                        let mut out = vec![Reply::Done(msg)];
                        if let Ok(d) = load_ticket(&self.store, id) {
                            out.push(Reply::Ticket(Box::new(d)));
                        }
                        out.push(self.snapshot());
                        out
                    }
                    Err(e @ crate::store::StoreError::Stale { .. }) => {
                        // the ticket as it is now first, then the refusal, so that text the
                        // user typed comes back against the new version
                        let mut out = Vec::new();
                        if let Ok(d) = load_ticket(&self.store, id) {
                            out.push(Reply::Ticket(Box::new(d)));
                        }
                        out.push(Reply::Stale {
                            message: e.to_string(),
                            input: text_back,
                        });
                        out.push(self.snapshot());
                        out
                    }
                    Err(e) => failed_with_text(e.to_string(), text_back),
                }
            }
        }
    }

    /// Whether the path still names the database that is open; once it does not, say so once,
    /// write the drafts to a file, and from then on keep that file up to date.
    fn check_file(&mut self) -> Vec<Reply> {
        use crate::store::files::FileState;
        if self.detached {
            return Vec::new();
        }
        let state = self.store.file_state();
        if state == FileState::Same {
            return Vec::new();
        }
        self.detached = true;
        let path = self
            .store
            .path()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let what = match state {
            FileState::Replaced => "was replaced by another file",
            _ => "was deleted",
        };
        // the status says what happened, the banner where the drafts are: each fits a line
        let message = format!(
            "{path} {what} while tend had it open: what is on screen keeps working until you quit, but changes are not saved."
        );
        let banner = match self.write_rescue() {
            Ok((p, 0)) => format!(
                "no drafts to save (any you type go to {}); quit and start tend again",
                p.display()
            ),
            Ok((p, n)) => format!(
                "your {n} draft{} {} in {}; quit and start tend again",
                if n == 1 { "" } else { "s" },
                if n == 1 { "is" } else { "are" },
                p.display()
            ),
            Err(e) => format!("your drafts could not be written to a file ({e}): copy any text you need"),
        };
        vec![Reply::Detached { message, banner }]
    }

    /// Drafts that could not be kept, tried again; a word once they all are.
    fn retry_unsaved(&mut self) -> Vec<Reply> {
        if self.unsaved.is_empty() {
            return Vec::new();
        }
        let pending = std::mem::take(&mut self.unsaved);
        let mut busy = false;
        for d in pending {
            // one refusal for the lock is enough to know: the rest wait for the next poll
            if busy {
                self.unsaved.push(d);
                continue;
            }
            match self.store.save_draft(&d) {
                Ok(()) => self.lock_busy = false,
                Err(e) => {
                    busy = e.is_busy();
                    self.lock_busy |= busy;
                    self.unsaved.push(d);
                }
            }
        }
        if self.unsaved.is_empty() {
            let mut out = vec![Reply::Done("Your draft is kept now.".into())];
            out.extend(self.rescue_again());
            out
        } else {
            Vec::new()
        }
    }

    /// Once detached, the drafts file follows every draft kept.
    fn rescue_again(&mut self) -> Vec<Reply> {
        if !self.detached {
            return Vec::new();
        }
        match self.write_rescue() {
            Ok(_) => Vec::new(),
            Err(e) => vec![Reply::Failed(format!(
                "Could not write your drafts to a file ({e}); copy any text you need before quitting."
            ))],
        }
    }

    /// Write this person's drafts, as the open database has them, to a private text file: in
    /// the database's folder, else the home folder, else the temporary folder. Where, and how many.
    fn write_rescue(&mut self) -> Result<(std::path::PathBuf, usize), String> {
        self.write_rescue_with(&[])
    }

    /// `write_rescue`, with texts the database does not have yet (`extra`, newest: each
    /// replaces a kept draft of its key).
    fn write_rescue_with(&mut self, extra: &[Draft]) -> Result<(std::path::PathBuf, usize), String> {
        let mut drafts = self.kept_drafts().unwrap_or_default();
        drafts.retain(|d| !extra.iter().any(|e| e.key == d.key));
        drafts.splice(0..0, extra.iter().cloned());
        let why = if self.detached {
            "the database went away while tend had it open"
        } else {
            "another write to the database was still under way when tend quit, so they could not be saved in it"
        };
        let text = rescue_text(&drafts, self.store.path(), self.store.actor(), why, self.now());
        if let Some(p) = &self.rescue {
            std::fs::write(p, &text).map_err(|e| format!("{}: {e}", p.display()))?;
            return Ok((p.clone(), drafts.len()));
        }
        let stamp = chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp(), 0)
            .map(|t| t.format("%Y%m%d-%H%M%S").to_string())
            .unwrap_or_default();
        let actor: String = self
            .store
            .actor()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let name = format!("tend-drafts-{actor}-{stamp}.txt");
        let mut dirs = Vec::new();
        if let Some(p) = self.store.path() {
            dirs.push(crate::store::files::folder_of(p));
        }
        if let Some(h) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            dirs.push(std::path::PathBuf::from(h));
        }
        dirs.push(std::env::temp_dir());
        let mut last = String::from("no folder to write to");
        for d in dirs {
            let p = d.join(&name);
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            match opts
                .open(&p)
                .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
            {
                Ok(()) => {
                    self.rescue = Some(p.clone());
                    return Ok((p, drafts.len()));
                }
                Err(e) => last = format!("{}: {e}", p.display()),
            }
        }
        Err(last)
    }

    /// A change to an account refused: the message, and when it was refused as stale (the
    /// account changed since the user saw it) the account as it is now first.
    fn account_refusal(&self, account: i64, e: crate::store::StoreError, now: Timestamp) -> Vec<Reply> {
        let mut out = Vec::new();
        if matches!(e, crate::store::StoreError::Stale { .. })
            && let Ok(d) = load_account(&self.store, account, now, &self.rules)
        {
            out.push(Reply::Account(Box::new(d)));
        }
        out.push(Reply::Failed(match e {
            crate::store::StoreError::Stale { .. } => format!("{e}."),
            e => e.to_string(),
        }));
        out
    }

    fn open_investigation(
        &self,
        ticket: Option<i64>,
        account: Option<i64>,
        now: Timestamp,
    ) -> Result<InvestigationOpen, String> {
        let key = super::investigate::draft_key(ticket, account);
        let (facts, title) = if ticket.is_some() || account.is_some() {
            let f = self
                .store
                .investigation_facts(ticket, account, now)
                .map_err(|e| e.to_string())?;
            let title = format!(
                "{}{}",
                crate::text::one_line(&f.account_name),
                f.ticket
                    .as_ref()
                    .map(|(id, s, _)| format!(", ticket #{id} {}", crate::text::one_line(s)))
                    .unwrap_or_default()
            );
            (Some(f), title)
        } else {
            (None, "new investigation".to_string())
        };
        let mut open = InvestigationOpen {
            key: key.clone(),
            ticket,
            account: facts.as_ref().map(|f| f.account_id).or(account),
            title,
            health: facts.as_ref().and_then(|f| f.health),
            answers: Default::default(),
            restored: None,
        };
        let kept = self.kept_drafts().map_err(|e| e.to_string())?;
        if let Some(d) = kept.into_iter().find(|d| d.key == key) {
            if let Ok(a) = serde_json::from_str(&d.body) {
                open.answers = a;
                open.restored = Some(d.updated_at);
                return Ok(open);
            }
        }
        if let Some(f) = &facts {
            crate::investigate::prefill(&mut open.answers, f, &self.templates, &self.rules);
        }
        Ok(open)
    }

    fn drafts(&self) -> Reply {
        match self.kept_drafts() {
            Ok(d) => Reply::Drafts(d),
            Err(e) => Reply::Failed(format!("Could not read your drafts: {e}")),
        }
    }

    fn open_reply(
        &self,
        ticket: Option<i64>,
        account: Option<i64>,
        task: Option<i64>,
        template: Option<String>,
        use_draft: bool,
        now: Timestamp,
    ) -> Result<ReplyOpen, String> {
        let task_row = match task {
            Some(t) => Some(self.store.task(t).map_err(|e| e.to_string())?),
            None => None,
        };
        let ticket = ticket.or(task_row.as_ref().and_then(|t| t.ticket_id));
        let account = account.or(task_row.as_ref().and_then(|t| t.account_id));
        let facts = self.store.reply_facts(ticket, account).map_err(|e| e.to_string())?;
        let key = super::reply::draft_key(ticket, Some(facts.account.id), task);
        let title = match (&facts.ticket, &task_row) {
            (_, Some(t)) => format!(
                "{} — {}",
                crate::text::one_line(&t.title),
                crate::text::one_line(&facts.account.name)
            ),
            (Some(t), None) => format!(
                "#{} {} — {}",
                t.id,
                crate::text::one_line(&t.subject),
                crate::text::one_line(&facts.account.name)
            ),
            (None, None) => format!("Message to {}", crate::text::one_line(&facts.account.name)),
        };
        let to = facts.contact.as_ref().map(|c| match &c.email {
            Some(e) => format!("{} <{}>", crate::text::one_line(&c.name), crate::text::one_line(e)),
            None => format!("{} (no email address)", crate::text::one_line(&c.name)),
        });
        let mut open = ReplyOpen {
            key: key.clone(),
            ticket,
            account: facts.account.id,
            task,
            template: None,
            text: String::new(),
            title,
            to,
            restored: None,
            pick: false,
            suggest: None,
            version: Some(match &facts.ticket {
                Some(t) => t.version,
                None => facts.account.version,
            }),
        };
        if use_draft {
            let kept = self.kept_drafts().map_err(|e| e.to_string())?;
            if let Some(d) = kept.into_iter().find(|d| d.key == key) {
                open.suggest = template.filter(|t| !t.is_empty() && Some(t) != d.template.as_ref());
                open.template = d.template;
                open.text = d.body;
                open.restored = Some(d.updated_at);
                return Ok(open);
            }
        }
        // an empty name asks for the picker
        let force_pick = template.as_deref() == Some("");
        let wanted = template
            .filter(|t| !t.is_empty())
            .or_else(|| task_row.as_ref().and_then(|t| t.template.clone()));
        let chosen = match wanted {
            _ if force_pick => None,
            Some(name) => Some(
                self.templates
                    .get(&name)
                    .ok_or_else(|| format!("There is no template '{name}'."))?,
            ),
            None => facts
                .ticket
                .as_ref()
                .and_then(|t| self.templates.for_use(&crate::domain::template::Use::Step(t.step))),
        };
        match chosen {
            Some(t) => {
                let ctx =
                    crate::responses::context(&facts, &self.sla, &self.rules, &self.responses, self.store.actor(), now);
                open.template = Some(t.slug.clone());
                open.text = t.draft(&ctx);
            }
            None => {
                let subject = match &facts.ticket {
                    Some(t) => crate::responses::re_subject(&t.subject),
                    None => String::new(),
                };
                open.text = crate::domain::template::compose_draft(&subject, "");
                open.pick = true;
            }
        }
        Ok(open)
    }

    #[allow(clippy::too_many_arguments)]
    fn save_template(
        &mut self,
        name: &str,
        used_for: &str,
        draft: &str,
        ticket: Option<i64>,
        account: i64,
        blanks: Vec<String>,
        now: Timestamp,
    ) -> Result<String, String> {
        let facts = self
            .store
            .reply_facts(ticket, Some(account))
            .map_err(|e| e.to_string())?;
        let ctx = crate::responses::context(&facts, &self.sla, &self.rules, &self.responses, self.store.actor(), now);
        let (subject, body) = crate::domain::template::split_draft(draft, "");
        let used = crate::domain::template::Use::parse(used_for)?;
        let mut t = crate::domain::template::Template {
            slug: crate::responses::slugify(name),
            name: name.trim().to_string(),
            used_for: used,
            subject: ctx.generalise(&subject),
            body: ctx.generalise(&body),
            blanks,
            source: String::new(),
        };
        // keep only the blanks the text still has
        let text = format!("{}\n{}", t.subject, t.body);
        t.blanks.retain(|b| text.contains(&format!("{{{b}}}")));
        let path = self.templates.save_new(&t)?;
        let mut msg = format!("Kept as the template '{}' ({}).", t.slug, path.display());
        if let Some(id) = ticket {
            match self.store.note_documented(id, &t.slug, now) {
                Ok(true) => msg.push_str(" Ticked: Update docs if common."),
                Ok(false) => {}
                Err(e) if e.is_busy() => {
                    // the template is saved, so this request is done (not to be made again):
                    // only the tick waits for the lock
                    self.store.take_lock_counts();
                    self.lock_busy = true;
                    let asked = self.now();
                    self.held.push_back(Queued {
                        cmd: Cmd::TickDocumented {
                            ticket: id,
                            template: t.slug.clone(),
                        },
                        asked,
                        typed_after: false,
                    });
                    msg.push_str(" Update docs if common is ticked once another write is done.");
                }
                Err(e) => msg.push_str(&format!(" (Not noted on the ticket: {e})")),
            }
        }
        self.templates = TemplateSet::load(self.templates.dir.as_deref());
        Ok(msg)
    }
}

/// A failure, and the typed text it carried offered back under its draft key.
fn failed_with_text(message: String, text: Option<(String, String)>) -> Vec<Reply> {
    match text {
        Some((key, text)) => vec![
            Reply::Failed(format!("{message} (your text is kept)")),
            Reply::TextBack { key, text },
        ],
        None => vec![Reply::Failed(message)],
    }
}

/// The drafts file written when the database went away under the cockpit.
fn rescue_text(drafts: &[Draft], db: Option<&std::path::Path>, actor: &str, why: &str, now: Timestamp) -> String {
    let mut s = format!(
        "Drafts of {actor}, written by tend at {} from the database {}, because {why}.\n\
         Each is the text as last typed; paste it into a new reply (or note) to use it.\n",
        crate::domain::format_time(now),
        db.map(|p| p.display().to_string()).unwrap_or_default()
    );
    for d in drafts {
        let about = match (d.ticket_id, d.account_id) {
            (Some(t), _) => format!("ticket #{t}"),
            (None, Some(a)) => format!("account {a}"),
            _ => d.key.clone(),
        };
        s.push_str(&format!(
            "\n=== {} ({about}), last typed {}\n{}\n",
            d.key,
            crate::domain::format_time(d.updated_at),
            d.body.trim_end()
        ));
    }
    s
}
