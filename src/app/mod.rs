//! The cockpit's model, its messages and `update`: the only place state changes.
//! Effects (database reads and writes) leave `update` as `Cmd`s for the worker.

pub mod data;
pub mod import;
pub mod investigate;
pub mod keys;
pub mod lists;
pub mod reply;
pub mod review;

use crate::config::Responses;
use crate::domain::health::HealthRules;
use crate::domain::sla::SlaTargets;
use crate::domain::{DAY, HOUR, Segment, Stage, Step, Tier, Timestamp};
use crate::responses::TemplateSet;
use crate::store::Draft;
use crate::store::{Account, Ticket};
use data::{AccountDetail, Cmd, Reply, Snapshot, TicketDetail, TicketOp};
use keys::{Action, Key, KeyMap, Scope};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;
use reply::ReplyEditor;
use review::{ReviewItem, Target};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Today,
    Accounts,
    Tickets,
    Investigations,
    Metrics,
}

impl View {
    pub const ALL: [View; 5] = [
        View::Today,
        View::Accounts,
        View::Tickets,
        View::Investigations,
        View::Metrics,
    ];
    pub fn label(self) -> &'static str {
        match self {
            View::Today => "Today",
            View::Accounts => "Accounts",
            View::Tickets => "Tickets",
            View::Investigations => "Investigations",
            View::Metrics => "Metrics",
        }
    }
    /// A shorter label, for a narrow tab bar.
    pub fn short_label(self) -> &'static str {
        match self {
            View::Today => "Today",
            View::Accounts => "Acc",
            View::Tickets => "Tix",
            View::Investigations => "Inv",
            View::Metrics => "Met",
        }
    }
    pub fn scope(self) -> Scope {
        match self {
            View::Today => Scope::Today,
            View::Accounts => Scope::Accounts,
            View::Tickets => Scope::Tickets,
            View::Investigations => Scope::Investigations,
            View::Metrics => Scope::Metrics,
        }
    }
    pub fn parse(s: &str) -> Option<View> {
        match s.to_ascii_lowercase().as_str() {
            "today" => Some(View::Today),
            "accounts" => Some(View::Accounts),
            "tickets" => Some(View::Tickets),
            "investigations" => Some(View::Investigations),
            "metrics" => Some(View::Metrics),
            _ => None,
        }
    }
}

/// A key in a numbered menu of `n` items: None closes it (Esc); Some(Some(i)) chooses item
/// `i` (Enter, or its number); Some(None) stays open, the cursor perhaps moved (j/k, arrows).
fn menu_key(code: KeyCode, selected: &mut usize, n: usize) -> Option<Option<usize>> {
    match code {
        KeyCode::Esc => None,
        KeyCode::Down | KeyCode::Char('j') => {
            *selected = (*selected + 1).min(n.saturating_sub(1));
            Some(None)
        }
        KeyCode::Up | KeyCode::Char('k') => {
            *selected = selected.saturating_sub(1);
            Some(None)
        }
        KeyCode::Enter => Some(Some(*selected)),
        KeyCode::Char(c @ '1'..='9') => Some(Some(c as usize - '1' as usize)),
        _ => Some(None),
    }
}

/// The Metrics view's pages on a small terminal (the moving keys turn them).
pub const METRICS_PAGES: usize = 3;

/// What a text input is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputPurpose {
    OverrideReason(i64),
    BackReason(i64),
    EscalateReason(i64),
    Note(i64),
    SnoozeUntil(i64),
    /// A task: snooze until a day.
    TaskSnooze(i64),
    /// A task: dismiss, with the reason.
    TaskDismiss(i64),
}

impl InputPurpose {
    /// The key its text is kept under as it is typed (a date is not worth keeping).
    pub fn draft_key(self) -> Option<String> {
        match self {
            InputPurpose::OverrideReason(id) => Some(format!("override:{id}")),
            InputPurpose::BackReason(id) => Some(format!("back:{id}")),
            InputPurpose::EscalateReason(id) => Some(format!("escalate:{id}")),
            InputPurpose::Note(id) => Some(format!("note:{id}")),
            InputPurpose::TaskDismiss(id) => Some(format!("dismiss:{id}")),
            InputPurpose::SnoozeUntil(_) | InputPurpose::TaskSnooze(_) => None,
        }
    }

    /// The ticket the input changes, if it is a ticket's.
    pub fn ticket(self) -> Option<i64> {
        match self {
            InputPurpose::OverrideReason(id)
            | InputPurpose::BackReason(id)
            | InputPurpose::EscalateReason(id)
            | InputPurpose::Note(id)
            | InputPurpose::SnoozeUntil(id) => Some(id),
            InputPurpose::TaskSnooze(_) | InputPurpose::TaskDismiss(_) => None,
        }
    }

    pub fn from_draft_key(key: &str) -> Option<InputPurpose> {
        let (kind, id) = key.split_once(':')?;
        let id: i64 = id.parse().ok()?;
        match kind {
            "override" => Some(InputPurpose::OverrideReason(id)),
            "back" => Some(InputPurpose::BackReason(id)),
            "escalate" => Some(InputPurpose::EscalateReason(id)),
            "note" => Some(InputPurpose::Note(id)),
            "dismiss" => Some(InputPurpose::TaskDismiss(id)),
            _ => None,
        }
    }

    pub fn title(self) -> String {
        match self {
            InputPurpose::OverrideReason(id) => format!("#{id}: the checklist is not done — why advance anyway?"),
            InputPurpose::BackReason(id) => format!("#{id}: why move back a step?"),
            InputPurpose::EscalateReason(id) => format!("#{id}: why escalate to tier 2?"),
            InputPurpose::Note(id) => format!("#{id}: note"),
            InputPurpose::SnoozeUntil(id) => format!("#{id}: snooze until (2026-11-23T09:00, 2026-11-23, +4h, +2d)"),
            InputPurpose::TaskSnooze(id) => format!("task {id}: snooze until (2026-11-25, +2d)"),
            InputPurpose::TaskDismiss(id) => format!("task {id}: why dismiss it?"),
        }
    }
}

pub enum Mode {
    Normal,
    /// Typing a filter for the current list.
    Filter,
    Palette {
        query: String,
        selected: usize,
    },
    Help,
    Input {
        purpose: InputPurpose,
        area: Box<TextArea<'static>>,
    },
    SnoozeMenu {
        ticket: i64,
        selected: usize,
    },
    ConfirmQuit,
    Welcome,
    /// Writing a reply.
    Reply(Box<ReplyEditor>),
    /// Filling in an Intent-First investigation.
    Investigation(Box<investigate::InvestigationForm>),
    /// The kept drafts, to open one.
    Drafts {
        selected: usize,
    },
    /// Enrol in or unenrol from a sequence: (sequence, enrolled now).
    SequenceMenu {
        account: i64,
        items: Vec<(String, bool)>,
        selected: usize,
    },
    /// Pick a playbook to start for an account.
    PlaybookMenu {
        account: i64,
        selected: usize,
    },
    /// Import a file: path, what it holds, a preview, then the import.
    Import(Box<import::ImportDialog>),
}

/// Accounts table columns that can be sorted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountColumn {
    Score,
    Trend,
    Name,
    Segment,
    Stage,
    Mrr,
    Open,
    LastLogin,
    Renewal,
}

impl AccountColumn {
    pub const ALL: [AccountColumn; 9] = [
        AccountColumn::Score,
        AccountColumn::Trend,
        AccountColumn::Name,
        AccountColumn::Segment,
        AccountColumn::Stage,
        AccountColumn::Mrr,
        AccountColumn::Open,
        AccountColumn::LastLogin,
        AccountColumn::Renewal,
    ];
    pub fn label(self) -> &'static str {
        match self {
            AccountColumn::Score => "health",
            AccountColumn::Trend => "trend",
            AccountColumn::Name => "name",
            AccountColumn::Segment => "segment",
            AccountColumn::Stage => "stage",
            AccountColumn::Mrr => "MRR",
            AccountColumn::Open => "open tickets",
            AccountColumn::LastLogin => "last login",
            AccountColumn::Renewal => "renewal",
        }
    }
}

/// The queue's preset filters, cycled with one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueFilter {
    Open,
    Breached,
    Waiting,
    Snoozed,
    Mine,
    TierTwo,
    Step(Step),
}

impl QueueFilter {
    pub const CYCLE: [QueueFilter; 10] = [
        QueueFilter::Open,
        QueueFilter::Breached,
        QueueFilter::Waiting,
        QueueFilter::Snoozed,
        QueueFilter::Mine,
        QueueFilter::TierTwo,
        QueueFilter::Step(Step::Acknowledge),
        QueueFilter::Step(Step::Diagnose),
        QueueFilter::Step(Step::Resolve),
        QueueFilter::Step(Step::FollowUp),
    ];
    pub fn label(self) -> String {
        match self {
            QueueFilter::Open => "open".into(),
            QueueFilter::Breached => "breached".into(),
            QueueFilter::Waiting => "waiting".into(),
            QueueFilter::Snoozed => "snoozed".into(),
            QueueFilter::Mine => "mine".into(),
            QueueFilter::TierTwo => "tier 2".into(),
            QueueFilter::Step(s) => format!("step: {}", s.label()),
        }
    }
}

/// A named filter from the config file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedView {
    pub name: String,
    /// accounts or tickets
    pub view: String,
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub tier: Option<String>,
    #[serde(default)]
    pub stage: Option<String>,
    #[serde(default)]
    pub segment: Option<String>,
    /// open, breached, waiting, snoozed, mine, tier-2, or a step name
    #[serde(default)]
    pub queue: Option<String>,
}

/// Whether an action changes the database, or opens something whose typing is kept in it
/// (refused at once, with a word, while the database is read-only).
fn action_writes(a: Action) -> bool {
    matches!(
        a,
        Action::ToggleItem
            | Action::Advance
            | Action::MoveBack
            | Action::Escalate
            | Action::Note
            | Action::Wait
            | Action::Snooze
            | Action::Resume
            | Action::MarkReviewed
            | Action::Reply
            | Action::ReplyWith
            | Action::Sequences
            | Action::Investigate
            | Action::TaskDone
            | Action::TaskSnooze
            | Action::TaskDismiss
            | Action::StartPlaybook
            | Action::Import
    )
}

/// An entry of the command palette.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaletteEntry {
    Action(Action),
    SavedView(usize),
    Queue(QueueFilter),
    Tier(Option<Tier>),
}

impl PaletteEntry {
    pub fn label(&self, app: &App) -> String {
        match self {
            PaletteEntry::Action(a) => a.description().to_string(),
            PaletteEntry::SavedView(i) => {
                format!(
                    "View: {}",
                    app.saved_views.get(*i).map(|v| v.name.as_str()).unwrap_or("?")
                )
            }
            PaletteEntry::Queue(q) => format!("Tickets: show {}", q.label()),
            PaletteEntry::Tier(Some(t)) => format!("Accounts: only {}", t.label()),
            PaletteEntry::Tier(None) => "Accounts: all tiers".into(),
        }
    }
}

/// Messages into `update`.
pub enum Msg {
    Key(KeyEvent),
    /// Text pasted into the terminal (bracketed paste): it goes into the text being typed, as
    /// text, never as keys (a pasted newline must not send a note, nor a letter run a command).
    Paste(String),
    Resize,
    /// The slow tick: clocks move, and the worker checks for others' changes.
    Tick(Timestamp),
    Reply(Reply),
    /// The external editor closed: the draft's new text, or why it could not be used.
    EditorDone {
        key: String,
        result: Result<String, String>,
    },
}

pub struct App {
    pub view: View,
    pub mode: Mode,
    pub keys: KeyMap,
    pub rules: HealthRules,
    pub sla: SlaTargets,
    pub now: Timestamp,
    pub db_label: String,
    pub actor: String,
    pub data: Snapshot,
    pub loaded: bool,
    pub welcome_done: bool,
    // accounts
    /// The rows of the Accounts list around the selection.
    pub accounts: lists::Window<Account>,
    /// The selection's position in the whole list.
    pub account_sel: usize,
    /// The Accounts list must be asked again (filter, order or data changed); `true` puts the
    /// selection at the top when the selected account is no longer listed.
    account_stale: Option<bool>,
    /// The last list request sent, and whether its reply is still awaited.
    account_seq: u64,
    account_waiting: bool,
    /// The selection when the last requery went out: the reply places it only if unmoved since.
    account_sel_asked: usize,
    /// Select this account once the list is read.
    account_keep: Option<i64>,
    /// The trend window's first score of each account held.
    pub trend_from: HashMap<i64, u32>,
    pub account_filter: String,
    pub account_sort: AccountColumn,
    pub account_sort_desc: bool,
    pub tier_filter: Option<Tier>,
    pub stage_filter: Option<Stage>,
    pub segment_filter: Option<Segment>,
    pub account_detail: Option<AccountDetail>,
    // tickets
    pub tickets: lists::Window<Ticket>,
    pub ticket_sel: usize,
    ticket_stale: Option<bool>,
    ticket_seq: u64,
    ticket_waiting: bool,
    ticket_sel_asked: usize,
    ticket_keep: Option<i64>,
    pub ticket_filter: String,
    pub queue: QueueFilter,
    pub queue_account: Option<i64>,
    /// That account's name, for the queue's title.
    pub queue_account_name: String,
    /// Only tickets of accounts in this health tier.
    pub ticket_tier: Option<Tier>,
    pub ticket_detail: Option<TicketDetail>,
    pub checklist_cursor: usize,
    // today
    pub review: Vec<ReviewItem>,
    /// The review's items of each kind not held (`review::SHOWN_PER_KIND`), to come as the
    /// held ones are reviewed.
    pub review_more: std::collections::BTreeMap<review::ReviewKind, usize>,
    pub review_sel: usize,
    /// The review has been read at least once.
    pub review_loaded: bool,
    /// The review should be read again (the clock or the data moved); done when Today shows.
    review_stale: bool,
    /// A text filter was opened: the worker reads the search candidates before the first key.
    search_soon: bool,
    // investigations
    pub investigation_rows: Vec<usize>,
    pub investigation_sel: usize,
    pub investigation_filter: String,
    /// The form that was open when quitting was asked for.
    pub quit_pending_form: Option<Box<investigate::InvestigationForm>>,
    /// The detail pane is open (on narrow terminals it replaces the list).
    pub detail_open: bool,
    /// Lines scrolled in an open detail pane.
    pub detail_scroll: u16,
    /// Lines scrolled in the help popup.
    pub help_scroll: u16,
    /// The input that was open when quitting was asked for: it comes back if the user stays.
    pub quit_pending_input: Option<(InputPurpose, Box<TextArea<'static>>)>,
    pub status: String,
    pub status_is_error: bool,
    pub quit: bool,
    /// Text typed into an input that was closed without saving, by purpose: offered again.
    pub drafts: HashMap<InputPurpose, String>,
    /// The version of its ticket each open input began on (None: the ticket was not shown).
    input_seen: HashMap<InputPurpose, Option<i64>>,
    pub saved_views: Vec<SavedView>,
    pub saved_view_keys: Vec<(Key, usize)>,
    /// Rows visible in the list last drawn, for paging.
    pub page: usize,
    pub wide: bool,
    pub templates: TemplateSet,
    pub responses: Responses,
    /// This person's kept drafts, as last loaded.
    pub saved_drafts: Vec<Draft>,
    /// A reply that was open when quitting was asked for.
    pub quit_pending_reply: Option<Box<ReplyEditor>>,
    // metrics
    pub metrics: Option<Box<crate::store::Dashboard>>,
    /// The period in days: 7, 30 or 90.
    pub metrics_days: i64,
    pub metrics_segment: Option<Segment>,
    /// Which page of panels shows when they do not all fit.
    pub metrics_page: usize,
    /// The (period, segment) last asked of the worker; None after data changed.
    metrics_asked: Option<(i64, Option<Segment>)>,
    /// The task under the cursor in the account detail.
    pub task_cursor: usize,
    pub playbooks: Vec<crate::domain::playbook::Playbook>,
    /// Why nothing may be changed, when the database is read-only (or went away): the banner says it.
    pub read_only: Option<String>,
    /// The database file went away under the cockpit: drafts still go to the worker (which
    /// keeps them in a file), every other change is refused.
    pub detached: bool,
    /// A warning about the database for the banner (it can be read by every user).
    pub warning: Option<String>,
    /// The changes waiting for another process's write lock (the worker makes them once it
    /// is free), in a few words each, oldest first.
    pub waiting: Vec<String>,
}

impl App {
    pub fn new(
        keys: KeyMap,
        rules: HealthRules,
        sla: SlaTargets,
        db_label: String,
        actor: String,
        now: Timestamp,
    ) -> App {
        App {
            view: View::Today,
            mode: Mode::Normal,
            keys,
            rules,
            sla,
            now,
            db_label,
            actor,
            data: Snapshot::default(),
            loaded: false,
            welcome_done: false,
            accounts: Default::default(),
            account_sel: 0,
            account_stale: Some(true),
            account_seq: 0,
            account_waiting: false,
            account_sel_asked: 0,
            account_keep: None,
            trend_from: HashMap::new(),
            account_filter: String::new(),
            account_sort: AccountColumn::Score,
            account_sort_desc: false,
            tier_filter: None,
            stage_filter: None,
            segment_filter: None,
            account_detail: None,
            tickets: Default::default(),
            ticket_sel: 0,
            ticket_stale: Some(true),
            ticket_seq: 0,
            ticket_waiting: false,
            ticket_sel_asked: 0,
            ticket_keep: None,
            ticket_filter: String::new(),
            queue: QueueFilter::Open,
            queue_account: None,
            queue_account_name: String::new(),
            ticket_tier: None,
            ticket_detail: None,
            checklist_cursor: 0,
            review: Vec::new(),
            review_more: Default::default(),
            review_sel: 0,
            review_loaded: false,
            review_stale: false,
            search_soon: false,
            investigation_rows: Vec::new(),
            investigation_sel: 0,
            investigation_filter: String::new(),
            quit_pending_form: None,
            detail_open: false,
            detail_scroll: 0,
            help_scroll: 0,
            quit_pending_input: None,
            status: "Loading…".into(),
            status_is_error: false,
            quit: false,
            drafts: HashMap::new(),
            input_seen: HashMap::new(),
            saved_views: Vec::new(),
            saved_view_keys: Vec::new(),
            page: 10,
            wide: true,
            templates: TemplateSet::load(None),
            responses: Responses::default(),
            saved_drafts: Vec::new(),
            quit_pending_reply: None,
            metrics: None,
            metrics_days: 30,
            metrics_segment: None,
            metrics_page: 0,
            metrics_asked: None,
            task_cursor: 0,
            playbooks: crate::playbooks::PlaybookSet::load(None).playbooks,
            read_only: None,
            detached: false,
            warning: None,
            waiting: Vec::new(),
        }
    }

    /// The line above the view when something about the database needs saying.
    pub fn banner(&self) -> Option<String> {
        match (&self.read_only, &self.warning) {
            (Some(r), _) if self.detached => Some(format!("detached: {r}")),
            (Some(r), _) => Some(format!("read-only: {r} — you can look, not change")),
            // fits 80 columns with a short label
            (None, _) if !self.waiting.is_empty() => Some(format!(
                "waiting for another write: {} when it ends",
                self.waiting_words()
            )),
            (None, Some(w)) => Some(format!("warning: {w}")),
            (None, None) => None,
        }
    }

    /// What waits for the lock, in words: the oldest, and how many more.
    pub(crate) fn waiting_words(&self) -> String {
        let first = self.waiting.first().cloned().unwrap_or_default();
        match self.waiting.len() {
            0 | 1 => format!("{first} goes in"),
            n => format!("{first} and {} more go in", n - 1),
        }
    }

    /// The sentence a refused change gets.
    fn refused(&self) -> String {
        match &self.read_only {
            Some(_) if self.detached => {
                "Detached: nothing was changed (the database file went away; quit and start tend again).".into()
            }
            Some(r) => format!("Read-only: nothing was changed ({r})."),
            None => String::new(),
        }
    }

    /// The templates and the `[responses]` settings replies use.
    pub fn with_responses(mut self, templates: TemplateSet, responses: Responses) -> App {
        self.templates = templates;
        self.responses = responses;
        self
    }

    /// Reply drafts kept from earlier (not the short inputs).
    pub fn reply_drafts(&self) -> Vec<&Draft> {
        self.saved_drafts
            .iter()
            .filter(|d| d.key.starts_with("reply"))
            .collect()
    }

    pub fn with_saved_views(mut self, views: Vec<SavedView>) -> Result<App, String> {
        for (i, v) in views.iter().enumerate() {
            if View::parse(&v.view).is_none() || v.view == "today" {
                return Err(format!(
                    "saved view '{}' has view '{}'; use accounts or tickets",
                    v.name, v.view
                ));
            }
            if let Some(k) = &v.key {
                self.saved_view_keys.push((Key::parse(k)?, i));
            }
        }
        self.saved_views = views;
        Ok(self)
    }

    pub fn accounts_total(&self) -> usize {
        self.data.accounts_total
    }

    pub fn selected_account(&self) -> Option<&Account> {
        self.accounts.get(self.account_sel)
    }

    pub fn selected_ticket(&self) -> Option<&Ticket> {
        self.tickets.get(self.ticket_sel)
    }

    /// The Accounts list is being read (it shows nothing yet, or something about to change).
    pub fn accounts_waiting(&self) -> bool {
        self.account_waiting || (self.account_stale.is_some() && self.view == View::Accounts)
    }

    pub fn tickets_waiting(&self) -> bool {
        self.ticket_waiting || (self.ticket_stale.is_some() && self.view == View::Tickets)
    }

    /// Select this account when the list is next read (wherever it stands in the list).
    pub fn select_account_id(&mut self, id: i64) {
        self.account_keep = Some(id);
        self.account_stale = Some(false);
    }

    /// Select this ticket when the queue is next read.
    pub fn select_ticket_id(&mut self, id: i64) {
        self.ticket_keep = Some(id);
        self.ticket_stale = Some(false);
    }

    pub fn selected_review(&self) -> Option<&ReviewItem> {
        self.review.get(self.review_sel)
    }

    /// Every item of the day's review, held or not.
    pub fn review_total(&self) -> usize {
        self.review.len() + self.review_more.values().sum::<usize>()
    }

    /// The version of an account as the screen shows it: its detail's, else its list row's.
    pub fn shown_account_version(&self, id: i64) -> Option<i64> {
        match self.account_detail.as_ref().filter(|d| d.account.id == id) {
            Some(d) => Some(d.account.version),
            None => self.accounts.rows.iter().find(|a| a.id == id).map(|a| a.version),
        }
    }

    /// The version of a ticket as the screen shows it: its detail's, else its queue row's.
    pub fn shown_ticket_version(&self, id: i64) -> Option<i64> {
        match self.ticket_detail.as_ref().filter(|d| d.ticket.id == id) {
            Some(d) => Some(d.ticket.version),
            None => self.tickets.rows.iter().find(|t| t.id == id).map(|t| t.version),
        }
    }

    pub fn reviewed_count(&self) -> usize {
        self.review
            .iter()
            .filter(|i| self.data.reviewed.contains(&i.key))
            .count()
    }

    /// The reply editor sending the draft `key`: on screen, or put aside by the question to quit.
    fn sending_editor(&mut self, key: &str) -> Option<&mut reply::ReplyEditor> {
        match &mut self.mode {
            Mode::Reply(e) => Some(&mut **e),
            _ => self.quit_pending_reply.as_deref_mut(),
        }
        .filter(|e| e.key == key && matches!(e.stage, reply::ReplyStage::Sending))
    }

    /// Whether a reply is on its way out now (sent, not queued behind another write): the
    /// cockpit waits for it before it exits, so that it is recorded.
    pub fn reply_in_flight(&self) -> bool {
        let sending = |e: &reply::ReplyEditor| matches!(e.stage, reply::ReplyStage::Sending);
        self.waiting.is_empty()
            && (matches!(&self.mode, Mode::Reply(e) if sending(e))
                || self.quit_pending_reply.as_deref().is_some_and(sending))
    }

    /// Whether there is typing that quitting would lose.
    pub fn has_unsaved_edit(&self) -> bool {
        matches!(&self.mode, Mode::Input { area, .. } if area.lines().iter().any(|l| !l.trim().is_empty()))
            || matches!(&self.mode, Mode::Reply(e) if e.edited())
            || matches!(&self.mode, Mode::Investigation(f) if f.touched())
            || self.drafts.values().any(|d| !d.trim().is_empty())
    }

    fn info(&mut self, s: impl Into<String>) {
        self.status = s.into();
        self.status_is_error = false;
    }

    fn error(&mut self, s: impl Into<String>) {
        self.status = s.into();
        self.status_is_error = true;
    }

    // ----- filtering and sorting -----

    /// The items whose haystack matches the query, best match first (ties keep their order).
    pub(crate) fn rank<T: Clone>(query: &str, items: &[T], haystacks: &[String]) -> Vec<T> {
        let hay: Vec<&str> = haystacks.iter().map(String::as_str).collect();
        lists::rank(query, items, &hay)
    }

    /// The task under the cursor in the selected account's detail.
    pub fn account_task(&self) -> Option<i64> {
        let d = self.account_detail.as_ref()?;
        if Some(d.account.id) != self.selected_account().map(|a| a.id) {
            return None;
        }
        d.tasks.get(self.task_cursor).map(|t| t.id)
    }

    pub fn trend(&self, a: &Account) -> Option<i64> {
        match (a.score, self.trend_from.get(&a.id)) {
            (Some(now), Some(then)) => Some(i64::from(now) - i64::from(*then)),
            _ => None,
        }
    }

    /// The Accounts list's filters or order changed: read it again.
    pub fn refilter_accounts(&mut self) {
        self.account_stale = Some(true);
    }

    /// The queue's filters changed: read it again.
    pub fn refilter_tickets(&mut self) {
        self.ticket_stale = Some(true);
    }

    /// The data changed: read both lists again where they stand.
    fn reload_lists(&mut self) {
        self.account_stale = Some(self.account_stale.unwrap_or(false));
        self.ticket_stale = Some(self.ticket_stale.unwrap_or(false));
    }

    pub fn account_view(&self) -> lists::ListView<crate::store::AccountListQuery> {
        use crate::store::ListOrder;
        lists::ListView {
            query: crate::store::AccountListQuery {
                score_range: self.tier_filter.map(|t| self.rules.score_range(t)),
                stage: self.stage_filter,
                segment: self.segment_filter,
                order: match self.account_sort {
                    AccountColumn::Score => ListOrder::Score,
                    AccountColumn::Trend => ListOrder::Trend,
                    AccountColumn::Name => ListOrder::Name,
                    AccountColumn::Segment => ListOrder::Segment,
                    AccountColumn::Stage => ListOrder::Stage,
                    AccountColumn::Mrr => ListOrder::Mrr,
                    AccountColumn::Open => ListOrder::Open,
                    AccountColumn::LastLogin => ListOrder::LastLogin,
                    AccountColumn::Renewal => ListOrder::Renewal,
                },
                desc: self.account_sort_desc,
                trend_since: crate::store::day_of(self.now - 30 * DAY),
            },
            text: self.account_filter.clone(),
        }
    }

    pub fn ticket_view(&self) -> lists::ListView<crate::store::QueueQuery> {
        use crate::store::QueueKind;
        lists::ListView {
            query: crate::store::QueueQuery {
                kind: match self.queue {
                    QueueFilter::Open => QueueKind::Open,
                    QueueFilter::Breached => QueueKind::Breached,
                    QueueFilter::Waiting => QueueKind::Waiting,
                    QueueFilter::Snoozed => QueueKind::Snoozed,
                    QueueFilter::Mine => QueueKind::Mine,
                    QueueFilter::TierTwo => QueueKind::TierTwo,
                    QueueFilter::Step(s) => QueueKind::Step(s),
                },
                account: self.queue_account,
                score_range: self.ticket_tier.map(|t| self.rules.score_range(t)),
                actor: self.actor.clone(),
                // the queue is read against the minute, so a filter's candidates last a minute
                now: self.now - self.now.rem_euclid(60),
            },
            text: self.ticket_filter.clone(),
        }
    }

    /// The list windows the shown view needs now (what `update` adds to its effects).
    pub fn list_requests(&mut self) -> Vec<Cmd> {
        self.list_cmds()
    }

    /// The list windows to ask the worker for: the shown list when it changed, or when the
    /// selection nears the edge of the rows held.
    fn list_cmds(&mut self) -> Vec<Cmd> {
        let mut out = Vec::new();
        if !self.loaded {
            return out;
        }
        // the window holds a page above the selection and two below (`window_size`), so the
        // rows on screen are held whenever the selection is a margin from the window's edges
        let margin = self.page.max(10);
        let size = lists::window_size(self.page);
        if self.view == View::Accounts {
            if let Some(reset) = self.account_stale.take() {
                let keep = self.account_keep.take().or(self.selected_account().map(|a| a.id));
                self.account_seq += 1;
                self.account_waiting = true;
                out.push(Cmd::AccountList(lists::ListRequest {
                    seq: self.account_seq,
                    view: self.account_view(),
                    keep,
                    sel: if reset { 0 } else { self.account_sel },
                    requery: true,
                    size,
                }));
                self.account_sel_asked = self.account_sel;
            } else if !self.account_waiting
                && !self
                    .accounts
                    .covers(self.account_sel.saturating_sub(margin), self.account_sel + margin + 1)
            {
                self.account_seq += 1;
                self.account_waiting = true;
                out.push(Cmd::AccountList(lists::ListRequest {
                    seq: self.account_seq,
                    view: self.account_view(),
                    keep: None,
                    sel: self.account_sel,
                    requery: false,
                    size,
                }));
            }
        }
        if self.view == View::Tickets {
            if let Some(reset) = self.ticket_stale.take() {
                let keep = self.ticket_keep.take().or(self.selected_ticket().map(|t| t.id));
                self.ticket_seq += 1;
                self.ticket_waiting = true;
                out.push(Cmd::TicketList(lists::ListRequest {
                    seq: self.ticket_seq,
                    view: self.ticket_view(),
                    keep,
                    sel: if reset { 0 } else { self.ticket_sel },
                    requery: true,
                    size,
                }));
                self.ticket_sel_asked = self.ticket_sel;
            } else if !self.ticket_waiting
                && !self
                    .tickets
                    .covers(self.ticket_sel.saturating_sub(margin), self.ticket_sel + margin + 1)
            {
                self.ticket_seq += 1;
                self.ticket_waiting = true;
                out.push(Cmd::TicketList(lists::ListRequest {
                    seq: self.ticket_seq,
                    view: self.ticket_view(),
                    keep: None,
                    sel: self.ticket_sel,
                    requery: false,
                    size,
                }));
            }
        }
        out
    }

    pub fn selected_investigation(&self) -> Option<&crate::store::InvestigationRow> {
        self.investigation_rows
            .get(self.investigation_sel)
            .and_then(|i| self.data.investigations.get(*i))
    }

    pub fn refilter_investigations(&mut self) {
        let keep = self.selected_investigation().map(|i| i.id);
        let all = &self.data.investigations;
        let mut rows: Vec<usize> = (0..all.len()).collect();
        if !self.investigation_filter.is_empty() {
            let hay: Vec<String> = all
                .iter()
                .map(|i| {
                    format!(
                        "{} {} {} {} {}",
                        i.priority.as_deref().unwrap_or(""),
                        i.account_name.as_deref().unwrap_or(""),
                        i.status,
                        i.goal,
                        i.situation.as_deref().unwrap_or("")
                    )
                })
                .collect();
            rows = Self::rank(&self.investigation_filter, &rows, &hay);
        }
        self.investigation_rows = rows;
        self.investigation_sel = keep
            .and_then(|id| self.investigation_rows.iter().position(|i| all[*i].id == id))
            .unwrap_or(0)
            .min(self.investigation_rows.len().saturating_sub(1));
    }

    fn rebuild_review(&mut self) {
        let keep = self.selected_review().map(|r| r.key.clone());
        let at = self.review_sel;
        // the items move from the reply to the list
        let review = std::mem::take(&mut self.data.review);
        self.review = review.items;
        self.review_more = review.more;
        // the same item, or (when it went, say a task just done) the one that took its place
        self.review_sel = keep
            .and_then(|k| self.review.iter().position(|r| r.key == k))
            .unwrap_or(at)
            .min(self.review.len().saturating_sub(1));
    }

    /// The detail the current selection needs loaded, if it is not loaded yet.
    fn detail_cmd(&self) -> Option<Cmd> {
        match self.view {
            View::Accounts => {
                let id = self.selected_account()?.id;
                (self.account_detail.as_ref().map(|d| d.account.id) != Some(id)).then_some(Cmd::LoadAccount(id))
            }
            View::Tickets => {
                let id = self.selected_ticket()?.id;
                (self.ticket_detail.as_ref().map(|d| d.ticket.id) != Some(id)).then_some(Cmd::LoadTicket(id))
            }
            View::Today => match self.selected_review()?.target {
                Target::Ticket(id) => {
                    (self.ticket_detail.as_ref().map(|d| d.ticket.id) != Some(id)).then_some(Cmd::LoadTicket(id))
                }
                Target::Account(id) => {
                    (self.account_detail.as_ref().map(|d| d.account.id) != Some(id)).then_some(Cmd::LoadAccount(id))
                }
                Target::Task(_) => None,
            },
            View::Investigations => None,
            View::Metrics => {
                let want = (self.metrics_days, self.metrics_segment);
                (self.metrics_asked != Some(want)).then_some(Cmd::LoadMetrics {
                    days: want.0,
                    segment: want.1,
                })
            }
        }
    }

    /// The ticket the ticket keys act on: the selected one in Tickets, the item's in Today.
    pub fn active_ticket(&self) -> Option<&Ticket> {
        match self.view {
            View::Tickets => self.selected_ticket(),
            View::Today => match self.selected_review()?.target {
                Target::Ticket(id) => self.ticket_detail.as_ref().map(|d| &d.ticket).filter(|t| t.id == id),
                _ => None,
            },
            View::Accounts | View::Investigations | View::Metrics => None,
        }
    }

    fn list_len(&self) -> usize {
        match self.view {
            View::Today => self.review.len(),
            View::Accounts => self.accounts.len(),
            View::Tickets => self.tickets.len(),
            View::Investigations => self.investigation_rows.len(),
            View::Metrics => METRICS_PAGES,
        }
    }

    fn selection_mut(&mut self) -> &mut usize {
        match self.view {
            View::Today => &mut self.review_sel,
            View::Accounts => &mut self.account_sel,
            View::Tickets => &mut self.ticket_sel,
            View::Investigations => &mut self.investigation_sel,
            View::Metrics => &mut self.metrics_page,
        }
    }

    fn move_selection(&mut self, to: impl FnOnce(usize, usize) -> usize) {
        let len = self.list_len();
        let sel = self.selection_mut();
        let new = if len == 0 { 0 } else { to(*sel, len).min(len - 1) };
        if new != *sel {
            *sel = new;
            self.checklist_cursor = 0;
        }
    }

    fn switch_view(&mut self, v: View) {
        if self.view != v {
            self.view = v;
            self.detail_open = false;
            self.detail_scroll = 0;
        }
    }

    pub fn filter_text_mut(&mut self) -> Option<&mut String> {
        match self.view {
            View::Accounts => Some(&mut self.account_filter),
            View::Tickets => Some(&mut self.ticket_filter),
            View::Investigations => Some(&mut self.investigation_filter),
            View::Today | View::Metrics => None,
        }
    }

    fn refilter(&mut self) {
        match self.view {
            View::Accounts => self.refilter_accounts(),
            View::Tickets => self.refilter_tickets(),
            View::Investigations => self.refilter_investigations(),
            View::Today | View::Metrics => {}
        }
    }

    pub fn palette_entries(&self) -> Vec<PaletteEntry> {
        let mut v: Vec<PaletteEntry> = Action::ALL.iter().map(|a| PaletteEntry::Action(*a)).collect();
        v.extend((0..self.saved_views.len()).map(PaletteEntry::SavedView));
        v.extend(QueueFilter::CYCLE.iter().map(|q| PaletteEntry::Queue(*q)));
        v.extend(Tier::ALL.iter().map(|t| PaletteEntry::Tier(Some(*t))));
        v.push(PaletteEntry::Tier(None));
        v
    }

    /// Palette entries matching the query, best first.
    pub fn palette_matches(&self, query: &str) -> Vec<PaletteEntry> {
        let entries = self.palette_entries();
        if query.trim().is_empty() {
            return entries;
        }
        let labels: Vec<String> = entries
            .iter()
            .map(|e| match e {
                PaletteEntry::Action(a) => format!("{} {}", a.description(), a.name()),
                other => other.label(self),
            })
            .collect();
        Self::rank(query, &entries, &labels)
    }

    fn apply_saved_view(&mut self, i: usize) {
        let Some(v) = self.saved_views.get(i).cloned() else {
            return;
        };
        match View::parse(&v.view) {
            Some(View::Accounts) => {
                self.switch_view(View::Accounts);
                self.tier_filter = v.tier.as_deref().and_then(|t| t.parse().ok());
                self.stage_filter = v.stage.as_deref().and_then(|t| t.parse().ok());
                self.segment_filter = v.segment.as_deref().and_then(|t| t.parse().ok());
                self.account_filter = v.text.clone().unwrap_or_default();
                self.refilter_accounts();
            }
            Some(View::Tickets) => {
                self.switch_view(View::Tickets);
                self.queue = match v.queue.as_deref() {
                    Some("breached") => QueueFilter::Breached,
                    Some("waiting") => QueueFilter::Waiting,
                    Some("snoozed") => QueueFilter::Snoozed,
                    Some("mine") => QueueFilter::Mine,
                    Some("tier-2") | Some("tier 2") => QueueFilter::TierTwo,
                    Some(s) => s.parse::<Step>().map(QueueFilter::Step).unwrap_or(QueueFilter::Open),
                    None => QueueFilter::Open,
                };
                self.ticket_filter = v.text.clone().unwrap_or_default();
                self.queue_account = None;
                self.refilter_tickets();
            }
            _ => {}
        }
        self.info(format!("View: {}", v.name));
    }

    fn open_input(&mut self, purpose: InputPurpose) {
        if let Some(id) = purpose.ticket() {
            let seen = self.shown_ticket_version(id);
            self.input_seen.insert(purpose, seen);
        }
        let mut area = TextArea::default();
        if let Some(draft) = self.drafts.remove(&purpose) {
            area = TextArea::new(draft.lines().map(str::to_string).collect());
            area.move_cursor(ratatui_textarea::CursorMove::End);
        }
        self.mode = Mode::Input {
            purpose,
            area: Box::new(area),
        };
    }

    /// Apply one message; return the effects to run.
    pub fn update(&mut self, msg: Msg) -> Vec<Cmd> {
        let mut cmds = match msg {
            Msg::Key(k) => self.on_key(k),
            Msg::Paste(text) => self.on_paste(text),
            Msg::Resize => Vec::new(),
            Msg::Tick(now) => {
                let new_minute = now / 60 != self.now / 60;
                let new_day = now.div_euclid(DAY) != self.now.div_euclid(DAY);
                self.now = now;
                let mut cmds = vec![Cmd::Poll];
                if new_minute && self.loaded {
                    // clocks moved: breaches and the review list follow them
                    self.ticket_stale = Some(self.ticket_stale.unwrap_or(false));
                    self.review_stale = true;
                }
                if new_day && self.loaded {
                    cmds.insert(0, Cmd::DailyRecompute);
                }
                cmds
            }
            Msg::Reply(r) => self.on_reply(r),
            Msg::EditorDone { key, result } => self.on_editor_done(key, result),
        };
        let lists = self.list_cmds();
        cmds.extend(lists);
        if std::mem::take(&mut self.search_soon) && self.loaded {
            match self.view {
                View::Accounts => cmds.push(Cmd::PrepareAccountSearch(self.account_view().query)),
                View::Tickets => cmds.push(Cmd::PrepareTicketSearch(self.ticket_view().query)),
                _ => {}
            }
        }
        // the review is read when Today shows (and once at the start, for its count)
        if self.loaded && self.review_stale && (self.view == View::Today || !self.review_loaded) {
            self.review_stale = false;
            cmds.push(Cmd::LoadReview);
        }
        // the slow reads go after the windows the screen waits for
        cmds.sort_by_key(|c| matches!(c, Cmd::LoadReview | Cmd::DailyRecompute));
        if let Some(c) = self.detail_cmd() {
            if !cmds.contains(&c) && self.loaded {
                if let Cmd::LoadMetrics { days, segment } = &c {
                    self.metrics_asked = Some((*days, *segment));
                }
                cmds.push(c);
            }
        }
        if self.read_only.is_some() {
            let before = cmds.len();
            let detached = self.detached;
            let mut told = false;
            cmds.retain(|c| {
                let keep = !c.writes() || (detached && matches!(c, Cmd::SaveDraft(_) | Cmd::DeleteDraft(_)));
                // the daily recompute is the cockpit's own doing: dropped without a word
                told |= !keep && !matches!(c, Cmd::DailyRecompute);
                keep
            });
            if cmds.len() != before && told {
                let why = self.refused();
                self.error(why);
            }
        }
        // the drafts list follows what is kept, without waiting for a reload
        for c in &cmds {
            match c {
                Cmd::SaveDraft(d) => {
                    self.saved_drafts.retain(|x| x.key != d.key);
                    if !d.body.trim().is_empty() {
                        self.saved_drafts.insert(0, d.clone());
                    }
                }
                Cmd::DeleteDraft(key) => self.saved_drafts.retain(|x| &x.key != key),
                _ => {}
            }
        }
        cmds
    }

    fn on_reply(&mut self, r: Reply) -> Vec<Cmd> {
        match r {
            Reply::AccountList(r) => {
                if r.seq == self.account_seq {
                    self.account_waiting = false;
                    if r.requery && self.account_sel == self.account_sel_asked {
                        self.account_sel = r.sel;
                    }
                    self.account_sel = self.account_sel.min(r.total.saturating_sub(1));
                    self.accounts = lists::Window {
                        total: r.total,
                        start: r.start,
                        rows: r.rows,
                    };
                    self.trend_from = r.trend_from;
                }
                Vec::new()
            }
            Reply::TicketList(r) => {
                if r.seq == self.ticket_seq {
                    self.ticket_waiting = false;
                    if r.requery && self.ticket_sel == self.ticket_sel_asked {
                        self.ticket_sel = r.sel;
                    }
                    self.ticket_sel = self.ticket_sel.min(r.total.saturating_sub(1));
                    self.tickets = lists::Window {
                        total: r.total,
                        start: r.start,
                        rows: r.rows,
                    };
                }
                Vec::new()
            }
            Reply::Parts(parts) => {
                let (mut accounts, mut tickets, mut tasks, mut review) = (false, false, false, false);
                for p in parts {
                    accounts |= matches!(p, data::Part::Accounts(_));
                    tickets |= matches!(p, data::Part::Tickets(..));
                    tasks |= matches!(p, data::Part::Tasks);
                    review |= matches!(p, data::Part::Review(_));
                    self.data.apply(p);
                }
                if review && !self.review_loaded && self.status.starts_with("? help") && !self.status_is_error {
                    self.info(format!(
                        "{} to review today · {}",
                        self.data.review.total(),
                        self.status
                    ));
                }
                if review {
                    self.rebuild_review();
                }
                self.review_loaded |= review;
                if accounts {
                    self.account_stale = Some(self.account_stale.unwrap_or(false));
                }
                if tickets {
                    self.ticket_stale = Some(self.ticket_stale.unwrap_or(false));
                }
                self.refilter_investigations();
                self.metrics_asked = None;
                // the details on screen may have changed even when no list did
                let mut cmds = Vec::new();
                if (accounts || tickets || tasks) && !review {
                    self.review_stale = true;
                }
                if let Some(d) = &self.ticket_detail {
                    cmds.push(Cmd::LoadTicket(d.ticket.id));
                }
                if let Some(d) = &self.account_detail {
                    cmds.push(Cmd::LoadAccount(d.account.id));
                }
                cmds
            }
            Reply::Snapshot(s) => {
                let first = !self.loaded;
                self.data = *s;
                self.loaded = true;
                self.reload_lists();
                self.refilter_investigations();
                self.metrics_asked = None;
                if first {
                    if self.data.accounts_total == 0 && !self.welcome_done {
                        self.mode = Mode::Welcome;
                        self.info("");
                    } else {
                        // the count follows when the review is read
                        self.info("? help");
                    }
                }
                // the details on screen may have changed too; the review is read after the lists
                self.review_stale = true;
                let mut cmds = Vec::new();
                if first && self.data.accounts_total > 0 {
                    // the first open of a day takes the day's health snapshot and raises alerts
                    cmds.push(Cmd::DailyRecompute);
                }
                if let Some(d) = &self.ticket_detail {
                    cmds.push(Cmd::LoadTicket(d.ticket.id));
                }
                if let Some(d) = &self.account_detail {
                    cmds.push(Cmd::LoadAccount(d.account.id));
                }
                cmds
            }
            Reply::Account(d) => {
                if self.account_detail.as_ref().map(|o| o.account.id) != Some(d.account.id) {
                    self.task_cursor = 0;
                }
                self.task_cursor = self.task_cursor.min(d.tasks.len().saturating_sub(1));
                self.account_detail = Some(*d);
                Vec::new()
            }
            Reply::Metrics(d) => {
                if (d.days, d.segment) == (self.metrics_days, self.metrics_segment) {
                    self.metrics = Some(d);
                }
                Vec::new()
            }
            Reply::Ticket(d) => {
                let same = self
                    .ticket_detail
                    .as_ref()
                    .is_some_and(|o| o.ticket.id == d.ticket.id && o.ticket.step == d.ticket.step);
                let items = d.ticket.step.checklist().len();
                self.checklist_cursor = if same {
                    self.checklist_cursor.min(items.saturating_sub(1))
                } else {
                    0
                };
                self.ticket_detail = Some(*d);
                Vec::new()
            }
            Reply::TicketVersion { id, version } => {
                for (p, seen) in self.input_seen.iter_mut() {
                    if p.ticket() == Some(id) && seen.is_none() {
                        *seen = Some(version);
                    }
                }
                Vec::new()
            }
            Reply::Done(m) => {
                if m.starts_with("Loaded sample data") {
                    // first value: the coloured account list
                    self.switch_view(View::Accounts);
                    self.info(format!("{m} Enter opens an account; 3 is the ticket queue."));
                } else {
                    self.info(m);
                }
                Vec::new()
            }
            Reply::Stale { message, input } => {
                match input.and_then(|(key, text)| Some((InputPurpose::from_draft_key(&key)?, text))) {
                    // the text comes back in its input, against the ticket as it is now
                    Some((purpose, text)) if matches!(self.mode, Mode::Normal) => {
                        self.drafts.insert(purpose, text);
                        self.open_input(purpose);
                        self.error(format!(
                            "{message}. Your text is kept: Enter sends it again, Esc keeps it as a draft."
                        ));
                    }
                    Some((purpose, text)) => {
                        self.drafts.insert(purpose, text);
                        self.error(format!("{message}. Your text is kept as a draft."));
                    }
                    None => self.error(format!("{message}.")),
                }
                Vec::new()
            }
            Reply::Failed(m) => {
                // a list read that failed is asked again at the next key or tick, not waited for
                self.account_waiting = false;
                self.ticket_waiting = false;
                self.error(m);
                Vec::new()
            }
            Reply::ImportPreview(what, result) => {
                if let Mode::Import(d) = &mut self.mode {
                    d.previewed(what, result);
                }
                Vec::new()
            }
            Reply::Imported(result) => {
                match result {
                    Ok(r) => {
                        let from_welcome = matches!(&self.mode, Mode::Import(d) if d.from_welcome);
                        if matches!(self.mode, Mode::Import(_)) {
                            self.mode = Mode::Normal;
                        }
                        self.welcome_done = true;
                        if from_welcome {
                            // first look: the coloured account list
                            self.switch_view(View::Accounts);
                        }
                        self.info(format!("Imported. {}", r.counts));
                    }
                    Err(e) => match &mut self.mode {
                        Mode::Import(d) => d.stage = import::Stage::Failed(format!("Nothing was imported: {e}")),
                        _ => self.error(format!("The import failed; nothing was written: {e}")),
                    },
                }
                Vec::new()
            }
            Reply::ReplyOpen(o) => {
                if matches!(self.mode, Mode::Normal) {
                    self.open_reply(*o)
                } else {
                    // something else has the keyboard: leave it be, the draft is safe
                    Vec::new()
                }
            }
            Reply::ReplySent { key, message } => {
                // the editor that sent it (one opened since, while it waited, stays); also when
                // it was put aside by a question to quit
                let sent_by = |e: &reply::ReplyEditor| e.key == key && matches!(e.stage, reply::ReplyStage::Sending);
                if matches!(&self.mode, Mode::Reply(e) if sent_by(e)) {
                    self.mode = Mode::Normal;
                }
                if self.quit_pending_reply.as_deref().is_some_and(sent_by) {
                    self.quit_pending_reply = None;
                }
                self.info(message);
                Vec::new()
            }
            Reply::InvestigationSaved { key, message } => {
                if matches!(&self.mode, Mode::Investigation(f) if f.key == key) {
                    self.mode = Mode::Normal;
                }
                if self.quit_pending_form.as_ref().is_some_and(|f| f.key == key) {
                    self.quit_pending_form = None;
                }
                self.info(message);
                Vec::new()
            }
            Reply::ReplyStale { key, message, version } => {
                let kept = self.sending_editor(&key).map(|e| {
                    e.stage = reply::ReplyStage::Edit;
                    e.version = version;
                });
                match kept {
                    Some(()) => self.error(format!(
                        "{message}. Your reply is kept and was not sent: read the ticket, then send it again if it still fits."
                    )),
                    // it was left to go on its own while it waited
                    None => self.error(format!(
                        "{message}. Your reply was not sent; it is kept as a draft (D lists drafts)."
                    )),
                }
                Vec::new()
            }
            Reply::ReplyFailed { key, message } => {
                match self.sending_editor(&key).map(|e| e.stage = reply::ReplyStage::Edit) {
                    Some(()) => self.error(format!("{message} Your text is kept.")),
                    None => self.error(format!(
                        "Your reply was not sent: {message}. It is kept as a draft (D lists drafts)."
                    )),
                }
                Vec::new()
            }
            Reply::Drafts(d) => {
                for draft in &d {
                    if let Some(p) = InputPurpose::from_draft_key(&draft.key) {
                        let open_now = matches!(&self.mode, Mode::Input { purpose, .. } if *purpose == p);
                        if !open_now {
                            self.drafts.entry(p).or_insert_with(|| draft.body.clone());
                        }
                    }
                }
                let first = self.saved_drafts.is_empty() && !d.is_empty() && !self.status.contains("draft");
                self.saved_drafts = d;
                let n = self.reply_drafts().len();
                if first && n > 0 && matches!(self.mode, Mode::Normal) {
                    let key = self
                        .keys
                        .keys_for(Action::Drafts)
                        .first()
                        .map(|k| k.label())
                        .unwrap_or_else(|| ":".into());
                    self.info(format!(
                        "{} · {n} unsent repl{} kept from last time ({key} lists them)",
                        self.status.trim_end_matches(" · ? help"),
                        if n == 1 { "y" } else { "ies" }
                    ));
                }
                Vec::new()
            }
            Reply::InvestigationOpen(o) => {
                if matches!(self.mode, Mode::Normal) {
                    self.open_investigation(*o)
                } else {
                    Vec::new()
                }
            }
            Reply::Templates(t) => {
                self.templates = *t;
                Vec::new()
            }
            Reply::TextBack { key, text } => {
                if let Some(p) = InputPurpose::from_draft_key(&key) {
                    self.drafts.insert(p, text);
                }
                Vec::new()
            }
            Reply::Waiting(what) => {
                let more = what.len() > self.waiting.len();
                self.waiting = what;
                if more {
                    // the line above the view says what waits; this fits an 80-column line
                    let last = self.waiting.last().cloned().unwrap_or_default();
                    self.info(format!("Queued behind another write: {last}."));
                }
                Vec::new()
            }
            // the terminal loop reads it after the last frame
            Reply::Left(_) => Vec::new(),
            Reply::Detached { message, banner } => {
                self.read_only = Some(banner);
                self.detached = true;
                self.error(message);
                Vec::new()
            }
        }
    }

    fn on_editor_done(&mut self, key: String, result: Result<String, String>) -> Vec<Cmd> {
        let Mode::Reply(e) = &mut self.mode else {
            return Vec::new();
        };
        if e.key != key {
            return Vec::new();
        }
        match result {
            Ok(text) => {
                let text = crate::text::multi_line(&text);
                e.set_text(text.trim_end_matches('\n'));
                let n = e.unfilled().len();
                let d = e.draft(self.now);
                self.info(if n == 0 {
                    "Back from the editor. Ctrl-S sends.".to_string()
                } else {
                    format!("Back from the editor; {n} placeholder(s) still to fill.")
                });
                vec![Cmd::SaveDraft(d)]
            }
            Err(m) => {
                self.error(format!("{m} Your text is unchanged."));
                Vec::new()
            }
        }
    }

    fn on_key(&mut self, k: KeyEvent) -> Vec<Cmd> {
        let key = Key::from_event(&k);
        // Ctrl-C always offers a way out
        if k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL) {
            return self.request_quit();
        }
        match std::mem::replace(&mut self.mode, Mode::Normal) {
            Mode::Normal => self.on_normal_key(key),
            Mode::Help => {
                // moving keys scroll; any other key closes help
                let page = self.page.max(1) as u16;
                let scroll = match self.keys.action(Scope::Global, key) {
                    Some(Action::Down) => Some(self.help_scroll.saturating_add(1)),
                    Some(Action::Up) => Some(self.help_scroll.saturating_sub(1)),
                    Some(Action::PageDown) => Some(self.help_scroll.saturating_add(page)),
                    Some(Action::PageUp) => Some(self.help_scroll.saturating_sub(page)),
                    Some(Action::Top) => Some(0),
                    _ => None,
                };
                if let Some(s) = scroll {
                    self.help_scroll = s;
                    self.mode = Mode::Help;
                }
                Vec::new()
            }
            Mode::ConfirmQuit => {
                if matches!(k.code, KeyCode::Char('y') | KeyCode::Char('Y')) {
                    self.quit = true;
                } else {
                    if let Some((purpose, area)) = self.quit_pending_input.take() {
                        self.drafts.remove(&purpose);
                        self.mode = Mode::Input { purpose, area };
                    }
                    if let Some(e) = self.quit_pending_reply.take() {
                        self.mode = Mode::Reply(e);
                    }
                    if let Some(f) = self.quit_pending_form.take() {
                        self.mode = Mode::Investigation(f);
                    }
                    self.info("Quit cancelled.");
                }
                Vec::new()
            }
            Mode::Reply(e) => self.on_reply_key(e, k),
            Mode::Investigation(f) => self.on_investigation_key(f, k),
            Mode::Drafts { mut selected } => {
                let n = self.saved_drafts.len();
                match k.code {
                    KeyCode::Esc => Vec::new(),
                    KeyCode::Down | KeyCode::Char('j') => {
                        selected = (selected + 1).min(n.saturating_sub(1));
                        self.mode = Mode::Drafts { selected };
                        Vec::new()
                    }
                    KeyCode::Up | KeyCode::Char('k') => {
                        self.mode = Mode::Drafts {
                            selected: selected.saturating_sub(1),
                        };
                        Vec::new()
                    }
                    KeyCode::Char('x') | KeyCode::Delete => {
                        let Some(d) = self.saved_drafts.get(selected) else {
                            return Vec::new();
                        };
                        let key = d.key.clone();
                        if let Some(p) = InputPurpose::from_draft_key(&key) {
                            self.drafts.remove(&p);
                        }
                        self.saved_drafts.remove(selected);
                        self.mode = Mode::Drafts {
                            selected: selected.min(self.saved_drafts.len().saturating_sub(1)),
                        };
                        self.info("Draft discarded.");
                        vec![Cmd::DeleteDraft(key)]
                    }
                    KeyCode::Enter => {
                        let Some(d) = self.saved_drafts.get(selected).cloned() else {
                            return Vec::new();
                        };
                        if let Some(p) = InputPurpose::from_draft_key(&d.key) {
                            self.drafts.entry(p).or_insert(d.body);
                            self.open_input(p);
                            // a ticket not on screen: its change is checked against the version
                            // when the typing was taken up again
                            match p.ticket() {
                                Some(id) if self.input_seen.get(&p).copied().flatten().is_none() => {
                                    vec![Cmd::TicketVersion(id)]
                                }
                                _ => Vec::new(),
                            }
                        } else if d.key.starts_with("investigation") {
                            vec![Cmd::OpenInvestigation {
                                ticket: d.ticket_id,
                                account: if d.ticket_id.is_some() { None } else { d.account_id },
                            }]
                        } else {
                            vec![Cmd::OpenReply {
                                ticket: d.ticket_id,
                                account: d.account_id,
                                task: d.task_id,
                                template: d.template,
                                use_draft: true,
                            }]
                        }
                    }
                    _ => {
                        self.mode = Mode::Drafts { selected };
                        Vec::new()
                    }
                }
            }
            Mode::SequenceMenu {
                account,
                items,
                mut selected,
            } => {
                let Some(choose) = menu_key(k.code, &mut selected, items.len()) else {
                    return Vec::new();
                };
                match choose.and_then(|i| items.get(i).cloned()) {
                    Some((sequence, true)) => vec![Cmd::Unenroll {
                        account,
                        sequence,
                        version: self.shown_account_version(account),
                    }],
                    Some((sequence, false)) => vec![Cmd::Enroll {
                        account,
                        sequence,
                        version: self.shown_account_version(account),
                    }],
                    None => {
                        self.mode = Mode::SequenceMenu {
                            account,
                            items,
                            selected,
                        };
                        Vec::new()
                    }
                }
            }
            Mode::PlaybookMenu { account, mut selected } => {
                let Some(choose) = menu_key(k.code, &mut selected, self.playbooks.len()) else {
                    return Vec::new();
                };
                match choose
                    .and_then(|i| self.playbooks.get(i))
                    .map(|p| (p.slug.clone(), p.title.clone()))
                {
                    Some((slug, title)) => {
                        self.info(format!("Starting {title}…"));
                        vec![Cmd::StartPlaybook {
                            account,
                            playbook: slug,
                            version: self.shown_account_version(account),
                        }]
                    }
                    None => {
                        self.mode = Mode::PlaybookMenu { account, selected };
                        Vec::new()
                    }
                }
            }
            Mode::Import(mut dialog) => match dialog.key(k) {
                import::Outcome::Stay => {
                    self.mode = Mode::Import(dialog);
                    Vec::new()
                }
                import::Outcome::Close => {
                    if dialog.from_welcome {
                        self.mode = Mode::Welcome;
                    }
                    Vec::new()
                }
                import::Outcome::Run(cmd) => {
                    self.mode = Mode::Import(dialog);
                    vec![cmd]
                }
            },
            Mode::Welcome => match k.code {
                KeyCode::Char('d') | KeyCode::Enter => {
                    self.welcome_done = true;
                    self.info("Loading sample data…");
                    vec![Cmd::LoadDemo]
                }
                KeyCode::Char('i') => {
                    self.mode = Mode::Import(Box::new(import::ImportDialog::new(true)));
                    Vec::new()
                }
                KeyCode::Char('e') | KeyCode::Esc => {
                    self.welcome_done = true;
                    self.info("Starting empty. Add tickets with `tend tickets new`; press : for every action.");
                    Vec::new()
                }
                KeyCode::Char('q') => {
                    self.quit = true;
                    Vec::new()
                }
                _ => {
                    self.mode = Mode::Welcome;
                    Vec::new()
                }
            },
            Mode::Filter => {
                match k.code {
                    KeyCode::Esc => {
                        if let Some(f) = self.filter_text_mut() {
                            f.clear();
                        }
                        self.refilter();
                    }
                    KeyCode::Enter => {}
                    KeyCode::Backspace => {
                        if let Some(f) = self.filter_text_mut() {
                            f.pop();
                        }
                        self.refilter();
                        self.mode = Mode::Filter;
                    }
                    KeyCode::Down | KeyCode::Up => {
                        self.move_selection(|s, _| {
                            if k.code == KeyCode::Down {
                                s + 1
                            } else {
                                s.saturating_sub(1)
                            }
                        });
                        self.mode = Mode::Filter;
                    }
                    KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => {
                        if let Some(f) = self.filter_text_mut() {
                            f.push(c);
                        }
                        self.refilter();
                        self.mode = Mode::Filter;
                    }
                    _ => self.mode = Mode::Filter,
                }
                Vec::new()
            }
            Mode::Palette {
                mut query,
                mut selected,
            } => {
                match k.code {
                    KeyCode::Esc => return Vec::new(),
                    KeyCode::Enter => {
                        let entry = self.palette_matches(&query).get(selected).cloned();
                        return match entry {
                            Some(PaletteEntry::Action(a)) => self.perform(a),
                            Some(PaletteEntry::SavedView(i)) => {
                                self.apply_saved_view(i);
                                Vec::new()
                            }
                            Some(PaletteEntry::Queue(q)) => {
                                self.switch_view(View::Tickets);
                                self.queue = q;
                                self.queue_account = None;
                                self.refilter_tickets();
                                Vec::new()
                            }
                            Some(PaletteEntry::Tier(t)) => {
                                self.switch_view(View::Accounts);
                                self.tier_filter = t;
                                self.refilter_accounts();
                                Vec::new()
                            }
                            None => Vec::new(),
                        };
                    }
                    KeyCode::Down => selected += 1,
                    KeyCode::Up => selected = selected.saturating_sub(1),
                    KeyCode::Backspace => {
                        query.pop();
                        selected = 0;
                    }
                    KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => {
                        query.push(c);
                        selected = 0;
                    }
                    _ => {}
                }
                let n = self.palette_matches(&query).len();
                selected = selected.min(n.saturating_sub(1));
                self.mode = Mode::Palette { query, selected };
                Vec::new()
            }
            Mode::SnoozeMenu { ticket, mut selected } => {
                let choose = match k.code {
                    KeyCode::Esc => return Vec::new(),
                    KeyCode::Down | KeyCode::Char('j') => {
                        selected = (selected + 1).min(3);
                        None
                    }
                    KeyCode::Up | KeyCode::Char('k') => {
                        selected = selected.saturating_sub(1);
                        None
                    }
                    KeyCode::Enter => Some(selected),
                    KeyCode::Char(c @ '1'..='4') => Some(c as usize - '1' as usize),
                    _ => None,
                };
                match choose {
                    Some(0) => vec![Cmd::Ticket(
                        ticket,
                        self.shown_ticket_version(ticket),
                        TicketOp::Snooze { until: None },
                    )],
                    Some(1) => vec![Cmd::Ticket(
                        ticket,
                        self.shown_ticket_version(ticket),
                        TicketOp::Snooze {
                            until: Some(tomorrow_morning(self.now)),
                        },
                    )],
                    Some(2) => vec![Cmd::Ticket(
                        ticket,
                        self.shown_ticket_version(ticket),
                        TicketOp::Snooze {
                            until: Some(next_week(self.now)),
                        },
                    )],
                    Some(_) => {
                        self.open_input(InputPurpose::SnoozeUntil(ticket));
                        Vec::new()
                    }
                    None => {
                        self.mode = Mode::SnoozeMenu { ticket, selected };
                        Vec::new()
                    }
                }
            }
            Mode::Input { purpose, mut area } => {
                let save = k.code == KeyCode::Enter && !k.modifiers.intersects(KeyModifiers::ALT | KeyModifiers::SHIFT);
                if k.code == KeyCode::Esc {
                    let text = area.lines().join("\n");
                    if !text.trim().is_empty() {
                        self.drafts.insert(purpose, text);
                        self.info("Kept your text as a draft: it comes back when you open this again.");
                    }
                    return Vec::new();
                }
                if save {
                    let text = area.lines().join("\n").trim().to_string();
                    if text.is_empty() {
                        self.error("Type something first, or Esc to cancel.");
                        self.mode = Mode::Input { purpose, area };
                        return Vec::new();
                    }
                    // the version the user saw when they began: a change made since is theirs to see
                    // first (kept until a change is sent: a date typed wrong is asked again)
                    let seen = self.input_seen.get(&purpose).copied().flatten();
                    return match purpose {
                        InputPurpose::OverrideReason(id) => {
                            vec![Cmd::Ticket(id, seen, TicketOp::Advance { reason: Some(text) })]
                        }
                        InputPurpose::BackReason(id) => vec![Cmd::Ticket(id, seen, TicketOp::Back { reason: text })],
                        InputPurpose::EscalateReason(id) => {
                            let mut cmds = vec![Cmd::Ticket(id, seen, TicketOp::Escalate { reason: text })];
                            // tell the customer: the Escalation template, once the escalation is recorded
                            if let Some(t) = self.templates.for_use(&crate::domain::template::Use::Escalation) {
                                cmds.push(Cmd::OpenReply {
                                    ticket: Some(id),
                                    account: None,
                                    task: None,
                                    template: Some(t.slug.clone()),
                                    use_draft: true,
                                });
                            }
                            cmds
                        }
                        InputPurpose::Note(id) => vec![Cmd::Ticket(id, seen, TicketOp::Note { text })],
                        InputPurpose::TaskDismiss(id) => vec![Cmd::Task(id, data::TaskOp::Dismiss { reason: text })],
                        InputPurpose::TaskSnooze(id) => match crate::cli::parse_time_at(&text, self.now) {
                            Ok(until) => vec![Cmd::Task(
                                id,
                                data::TaskOp::Snooze {
                                    until: crate::store::day_of(until),
                                },
                            )],
                            Err(e) => {
                                self.error(e);
                                self.mode = Mode::Input { purpose, area };
                                Vec::new()
                            }
                        },
                        InputPurpose::SnoozeUntil(id) => match crate::cli::parse_time_at(&text, self.now) {
                            Ok(until) => vec![Cmd::Ticket(id, seen, TicketOp::Snooze { until: Some(until) })],
                            Err(e) => {
                                self.error(e);
                                self.mode = Mode::Input { purpose, area };
                                Vec::new()
                            }
                        },
                    };
                }
                let before = area.lines().join("\n");
                if k.code == KeyCode::Enter {
                    area.insert_newline();
                } else {
                    area.input(k);
                }
                let after = area.lines().join("\n");
                self.mode = Mode::Input { purpose, area };
                self.keep_input_draft(purpose, &before, after)
            }
        }
    }

    /// Keep an input's text as its draft, as it is typed (when it changed and is worth keeping).
    fn keep_input_draft(&self, purpose: InputPurpose, before: &str, after: String) -> Vec<Cmd> {
        match purpose.draft_key() {
            Some(key) if after != before => vec![Cmd::SaveDraft(Draft {
                key,
                body: after,
                template: None,
                ticket_id: None,
                account_id: None,
                task_id: None,
                updated_at: self.now,
            })],
            _ => Vec::new(),
        }
    }

    /// Pasted text: into a note's or reason's input, or a reply, as typed text (newlines kept);
    /// into the filter or the investigation form as typed characters on one line; elsewhere
    /// it is not taken, and the status line says where pasting works.
    fn on_paste(&mut self, text: String) -> Vec<Cmd> {
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        match std::mem::replace(&mut self.mode, Mode::Normal) {
            Mode::Input { purpose, mut area } => {
                let before = area.lines().join("\n");
                area.insert_str(&text);
                let after = area.lines().join("\n");
                self.mode = Mode::Input { purpose, area };
                self.keep_input_draft(purpose, &before, after)
            }
            Mode::Reply(mut e) if matches!(e.stage, reply::ReplyStage::Edit) => {
                let before = e.text();
                e.area.insert_str(&text);
                let mut cmds = Vec::new();
                if e.text() != before {
                    e.mark_placeholders();
                    cmds.push(Cmd::SaveDraft(e.draft(self.now)));
                }
                self.mode = Mode::Reply(e);
                cmds
            }
            mode @ (Mode::Filter | Mode::Investigation(_)) => {
                self.mode = mode;
                let mut cmds = Vec::new();
                for c in text.chars() {
                    let c = if c.is_control() { ' ' } else { c };
                    cmds.extend(self.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)));
                }
                cmds
            }
            mode => {
                self.mode = mode;
                self.info("Pasting works in a note, a reason, a reply, the filter and the investigation form.");
                Vec::new()
            }
        }
    }

    fn request_quit(&mut self) -> Vec<Cmd> {
        // asked again (Ctrl-C twice): that is the answer
        if matches!(self.mode, Mode::ConfirmQuit) {
            self.quit = true;
            return Vec::new();
        }
        let waiting = !self.waiting.is_empty();
        if !waiting && !self.has_unsaved_edit() {
            self.quit = true;
            return Vec::new();
        }
        // the input comes back if the user stays; its text is also kept as a draft
        match std::mem::replace(&mut self.mode, Mode::Normal) {
            Mode::Input { purpose, area } => {
                self.drafts.insert(purpose, area.lines().join("\n"));
                self.quit_pending_input = Some((purpose, area));
            }
            Mode::Reply(e) => self.quit_pending_reply = Some(e),
            Mode::Investigation(f) => self.quit_pending_form = Some(f),
            _ => {}
        }
        self.mode = Mode::ConfirmQuit;
        if waiting {
            // the line above the view says what waits; this fits an 80-column line
            let n = self.waiting.len();
            self.error(format!(
                "{n} change{} still wait{}; quit anyway and keep typed text in a file? (y / n)",
                if n == 1 { "" } else { "s" },
                if n == 1 { "s" } else { "" }
            ));
            return Vec::new();
        }
        let drafts = self.drafts.values().filter(|d| !d.trim().is_empty()).count();
        self.info(format!(
            "{} kept as draft{} for next time. Quit anyway? (y / n)",
            if drafts > 1 {
                format!("{drafts} unsent texts are")
            } else {
                "Your unsent text is".to_string()
            },
            if drafts > 1 { "s" } else { "" }
        ));
        Vec::new()
    }

    fn on_normal_key(&mut self, key: Key) -> Vec<Cmd> {
        if let Some((_, i)) = self.saved_view_keys.iter().find(|(k, _)| *k == key).copied() {
            self.apply_saved_view(i);
            return Vec::new();
        }
        match self.keys.action(self.view.scope(), key) {
            Some(a) => self.perform(a),
            None => Vec::new(),
        }
    }

    /// Do an action, from a key or the palette.
    pub fn perform(&mut self, action: Action) -> Vec<Cmd> {
        if self.read_only.is_some() && action_writes(action) {
            let why = self.refused();
            self.error(why);
            return Vec::new();
        }
        let page = self.page.max(1);
        match action {
            Action::Quit => return self.request_quit(),
            Action::Help => {
                self.help_scroll = 0;
                self.mode = Mode::Help;
            }
            Action::Palette => {
                self.mode = Mode::Palette {
                    query: String::new(),
                    selected: 0,
                }
            }
            Action::Filter => {
                if self.view == View::Today {
                    self.info("Today is the review list; filter in Accounts or Tickets.");
                } else if self.view == View::Metrics {
                    let seg = self
                        .keys
                        .keys_for(Action::CycleSegment)
                        .first()
                        .map(|k| k.label())
                        .unwrap_or_else(|| ":".into());
                    self.info(format!("Metrics has no list to filter; {seg} picks a segment."));
                } else {
                    self.mode = Mode::Filter;
                    self.search_soon = true;
                }
            }
            Action::Cancel => {
                if self.detail_open {
                    self.detail_open = false;
                } else if let Some(f) = self.filter_text_mut().filter(|f| !f.is_empty()) {
                    f.clear();
                    self.refilter();
                } else if self.view == View::Tickets && (self.queue_account.is_some() || self.ticket_tier.is_some()) {
                    self.queue_account = None;
                    self.ticket_tier = None;
                    self.refilter_tickets();
                }
            }
            Action::ViewToday => self.switch_view(View::Today),
            Action::ViewAccounts => self.switch_view(View::Accounts),
            Action::ViewTickets => self.switch_view(View::Tickets),
            Action::ViewInvestigations => self.switch_view(View::Investigations),
            Action::ViewMetrics => self.switch_view(View::Metrics),
            Action::MetricsPeriod => {
                self.metrics_days = match self.metrics_days {
                    7 => 30,
                    30 => 90,
                    _ => 7,
                };
                self.info(format!("Metrics over the last {} days", self.metrics_days));
            }
            Action::NextPanel => self.metrics_page = self.metrics_page.saturating_add(1),
            Action::PrevPanel => self.metrics_page = self.metrics_page.saturating_sub(1),
            Action::TaskDown | Action::TaskUp => {
                let n = self.account_detail.as_ref().map(|d| d.tasks.len()).unwrap_or(0);
                if n == 0 {
                    self.info("This account has no open tasks.");
                } else if action == Action::TaskDown {
                    self.task_cursor = (self.task_cursor + 1).min(n - 1);
                } else {
                    self.task_cursor = self.task_cursor.saturating_sub(1);
                }
            }
            Action::Investigate => {
                let target = match self.view {
                    View::Tickets => self.selected_ticket().map(|t| (Some(t.id), Some(t.account_id))),
                    View::Accounts => self.selected_account().map(|a| (None, Some(a.id))),
                    View::Investigations => Some((None, None)),
                    View::Metrics => None,
                    View::Today => match self.selected_review().map(|r| r.target) {
                        Some(Target::Ticket(t)) => Some((Some(t), None)),
                        Some(Target::Account(a)) => Some((None, Some(a))),
                        _ => None,
                    },
                };
                return match target {
                    Some((ticket, account)) => {
                        self.info("Opening the investigation…");
                        vec![Cmd::OpenInvestigation {
                            ticket,
                            account: if ticket.is_some() { None } else { account },
                        }]
                    }
                    None => {
                        self.error("Select a ticket or an account to investigate.");
                        Vec::new()
                    }
                };
            }
            Action::CopyReport => {
                let Some(i) = self.selected_investigation() else {
                    self.error("No investigation selected.");
                    return Vec::new();
                };
                let answers: crate::domain::investigation::Answers =
                    serde_json::from_str(&i.answers).unwrap_or_default();
                let o = crate::domain::investigation::evaluate(&answers, i.health_at_start, i.created_at);
                let title = format!(
                    "{}{}",
                    i.account_name.as_deref().unwrap_or("no account"),
                    i.ticket_id.map(|t| format!(", ticket #{t}")).unwrap_or_default()
                );
                let md = crate::domain::investigation::markdown(&title, &answers, &o);
                self.info(format!("Investigation {} copied as Markdown.", i.id));
                return vec![Cmd::Clipboard(md)];
            }
            Action::NextView | Action::PrevView => {
                let i = View::ALL.iter().position(|v| *v == self.view).unwrap_or(0);
                let n = View::ALL.len();
                let next = if action == Action::NextView {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                self.switch_view(View::ALL[next]);
            }
            // with the detail open, moving keys scroll it
            Action::Down if self.detail_open => self.detail_scroll = self.detail_scroll.saturating_add(1),
            Action::Up if self.detail_open => self.detail_scroll = self.detail_scroll.saturating_sub(1),
            Action::PageDown if self.detail_open => self.detail_scroll = self.detail_scroll.saturating_add(page as u16),
            Action::PageUp if self.detail_open => self.detail_scroll = self.detail_scroll.saturating_sub(page as u16),
            Action::Top if self.detail_open => self.detail_scroll = 0,
            Action::Down => self.move_selection(|s, _| s + 1),
            Action::Up => self.move_selection(|s, _| s.saturating_sub(1)),
            Action::Top => self.move_selection(|_, _| 0),
            Action::Bottom => self.move_selection(|_, len| len.saturating_sub(1)),
            Action::PageDown => self.move_selection(|s, _| s + page),
            Action::PageUp => self.move_selection(|s, _| s.saturating_sub(page)),
            Action::Open => {
                self.detail_open = true;
                self.detail_scroll = 0;
            }
            Action::Refresh => {
                self.info("Reloading…");
                return vec![Cmd::LoadAll];
            }
            Action::SortNext | Action::SortReverse => {
                if action == Action::SortNext {
                    let i = AccountColumn::ALL
                        .iter()
                        .position(|c| *c == self.account_sort)
                        .unwrap_or(0);
                    self.account_sort = AccountColumn::ALL[(i + 1) % AccountColumn::ALL.len()];
                    self.account_sort_desc = false;
                } else {
                    self.account_sort_desc = !self.account_sort_desc;
                }
                self.refilter_accounts();
                self.info(format!(
                    "Sorted by {}{}",
                    self.account_sort.label(),
                    if self.account_sort_desc { ", reversed" } else { "" }
                ));
            }
            Action::CycleTier if self.view == View::Tickets => {
                self.ticket_tier = cycle(Tier::ALL, self.ticket_tier);
                self.refilter_tickets();
                self.info(match self.ticket_tier {
                    Some(t) => format!("Tickets of {} accounts", t.label()),
                    None => "Tickets of all accounts".into(),
                });
            }
            Action::CycleTier => {
                self.tier_filter = cycle(Tier::ALL, self.tier_filter);
                self.refilter_accounts();
            }
            Action::CycleStage => {
                self.stage_filter = cycle(Stage::ALL, self.stage_filter);
                self.refilter_accounts();
            }
            Action::CycleSegment if self.view == View::Metrics => {
                self.metrics_segment = cycle(Segment::ALL, self.metrics_segment);
                self.info(format!(
                    "Metrics for {}",
                    self.metrics_segment.map(|s| s.label()).unwrap_or("all segments")
                ));
            }
            Action::CycleSegment => {
                self.segment_filter = cycle(Segment::ALL, self.segment_filter);
                self.refilter_accounts();
            }
            Action::AccountTickets => {
                if let Some(a) = self.selected_account() {
                    let (id, name) = (a.id, a.name.clone());
                    self.switch_view(View::Tickets);
                    self.queue = QueueFilter::Open;
                    self.queue_account = Some(id);
                    self.queue_account_name = name.clone();
                    self.refilter_tickets();
                    self.info(format!("Tickets of {name} (Esc shows all)"));
                }
            }
            Action::CycleTicketFilter => {
                let i = QueueFilter::CYCLE.iter().position(|q| *q == self.queue).unwrap_or(0);
                self.queue = QueueFilter::CYCLE[(i + 1) % QueueFilter::CYCLE.len()];
                self.refilter_tickets();
                self.info(format!("Queue: {}", self.queue.label()));
            }
            Action::NextChecklistItem => self.checklist_cursor = (self.checklist_cursor + 1).min(2),
            Action::PrevChecklistItem => self.checklist_cursor = self.checklist_cursor.saturating_sub(1),
            Action::ToggleItem => {
                let Some(t) = self.active_ticket() else {
                    return self.no_ticket();
                };
                let id = t.id;
                let Some(d) = self.ticket_detail.as_ref().filter(|d| d.ticket.id == id) else {
                    return Vec::new();
                };
                if d.ticket.step == Step::Closed {
                    self.error("The ticket is closed; there is no checklist.");
                    return Vec::new();
                }
                let item = self.checklist_cursor.min(d.checklist.len().saturating_sub(1));
                let done = !d.checklist.get(item).copied().unwrap_or(false);
                return vec![Cmd::Ticket(
                    id,
                    Some(d.ticket.version),
                    TicketOp::SetItem { item, done },
                )];
            }
            Action::Advance => {
                let Some(t) = self.active_ticket() else {
                    return self.no_ticket();
                };
                let id = t.id;
                let loaded = self.ticket_detail.as_ref().filter(|d| d.ticket.id == id);
                let complete = loaded.is_some_and(|d| d.checklist.iter().all(|x| *x));
                if t.step == Step::Closed {
                    self.error("The ticket is closed; move it back (b) to reopen it.");
                } else if complete || loaded.is_none() {
                    // without the detail yet, let the store judge the checklist: an incomplete
                    // one comes back as a message, and the next press asks for a reason
                    return vec![Cmd::Ticket(
                        id,
                        self.shown_ticket_version(id),
                        TicketOp::Advance { reason: None },
                    )];
                } else {
                    self.open_input(InputPurpose::OverrideReason(id));
                }
            }
            Action::MoveBack => match self.active_ticket() {
                Some(t) => {
                    let id = t.id;
                    self.open_input(InputPurpose::BackReason(id))
                }
                None => return self.no_ticket(),
            },
            Action::Escalate => match self.active_ticket() {
                Some(t) if t.support_tier == 2 => self.error("The ticket is already at tier 2."),
                Some(t) => {
                    let id = t.id;
                    self.open_input(InputPurpose::EscalateReason(id))
                }
                None => return self.no_ticket(),
            },
            Action::Note => match self.active_ticket() {
                Some(t) => {
                    let id = t.id;
                    self.open_input(InputPurpose::Note(id))
                }
                None => return self.no_ticket(),
            },
            Action::Wait => match self.active_ticket() {
                Some(t) if t.waiting_since.is_some() => {
                    let id = t.id;
                    return vec![Cmd::Ticket(id, self.shown_ticket_version(id), TicketOp::Resume)];
                }
                Some(t) => {
                    let id = t.id;
                    return vec![Cmd::Ticket(id, self.shown_ticket_version(id), TicketOp::Wait)];
                }
                None => return self.no_ticket(),
            },
            Action::Snooze => match self.active_ticket() {
                Some(t) => {
                    self.mode = Mode::SnoozeMenu {
                        ticket: t.id,
                        selected: 0,
                    }
                }
                None => return self.no_ticket(),
            },
            Action::Resume => match self.active_ticket() {
                Some(t) => {
                    let id = t.id;
                    return vec![Cmd::Ticket(id, self.shown_ticket_version(id), TicketOp::Resume)];
                }
                None => return self.no_ticket(),
            },
            Action::Reply => return self.reply_to_selection(false),
            Action::ReplyWith => return self.reply_to_selection(true),
            Action::Drafts => {
                if self.saved_drafts.is_empty() {
                    self.info("No drafts kept.");
                } else {
                    self.mode = Mode::Drafts { selected: 0 };
                }
            }
            Action::Sequences => {
                let Some(a) = self.selected_account() else {
                    self.error("Select an account first.");
                    return Vec::new();
                };
                let id = a.id;
                let enrolled: Vec<String> = self
                    .account_detail
                    .as_ref()
                    .filter(|d| d.account.id == id)
                    .map(|d| d.enrollments.iter().map(|e| e.sequence.clone()).collect())
                    .unwrap_or_default();
                let items: Vec<(String, bool)> = self
                    .templates
                    .sequences()
                    .into_iter()
                    .map(|s| {
                        let on = enrolled.contains(&s);
                        (s, on)
                    })
                    .collect();
                if items.is_empty() {
                    self.error("No sequences: no template has `for: <sequence> day <n>`.");
                } else {
                    self.mode = Mode::SequenceMenu {
                        account: id,
                        items,
                        selected: 0,
                    };
                }
            }
            Action::Import => {
                self.mode = Mode::Import(Box::new(import::ImportDialog::new(false)));
            }
            Action::StartPlaybook => {
                let Some(a) = self.selected_account() else {
                    self.error("Select an account first.");
                    return Vec::new();
                };
                if self.playbooks.is_empty() {
                    self.error("No playbooks loaded.");
                } else {
                    self.mode = Mode::PlaybookMenu {
                        account: a.id,
                        selected: 0,
                    };
                }
            }
            Action::TaskDone | Action::TaskSnooze | Action::TaskDismiss => {
                let task = if self.view == View::Accounts {
                    self.account_task()
                } else {
                    self.selected_review().and_then(|r| r.task)
                };
                let Some(task) = task else {
                    self.error(if self.view == View::Accounts {
                        "This account has no open task to act on."
                    } else {
                        "Select a task on Today first."
                    });
                    return Vec::new();
                };
                match action {
                    Action::TaskDone => return vec![Cmd::Task(task, data::TaskOp::Done)],
                    Action::TaskSnooze => self.open_input(InputPurpose::TaskSnooze(task)),
                    _ => self.open_input(InputPurpose::TaskDismiss(task)),
                }
            }
            Action::NextItem => self.move_selection(|s, _| s + 1),
            Action::PrevItem => self.move_selection(|s, _| s.saturating_sub(1)),
            Action::MarkReviewed => {
                let Some(item) = self.selected_review() else {
                    return Vec::new();
                };
                let key = item.key.clone();
                let item_kind = item.kind;
                let reviewed = !self.data.reviewed.contains(&key);
                if reviewed {
                    self.data.reviewed.insert(key.clone());
                    // move on to the next item not yet reviewed
                    let next = (self.review_sel + 1..self.review.len())
                        .chain(0..self.review_sel)
                        .find(|i| !self.data.reviewed.contains(&self.review[*i].key));
                    if let Some(n) = next {
                        self.review_sel = n;
                    }
                } else {
                    self.data.reviewed.remove(&key);
                }
                let (done, all) = (self.reviewed_count(), self.review_total());
                // the last held item of a kind with more to come: read the next ones
                let kind = item_kind;
                let next_batch = self.review_more.get(&kind).is_some_and(|n| *n > 0)
                    && !self
                        .review
                        .iter()
                        .any(|i| i.kind == kind && !self.data.reviewed.contains(&i.key));
                if done == all && all > 0 {
                    self.info(format!("All {all} items reviewed — that's today's review done."));
                } else if next_batch {
                    self.review_stale = true;
                    self.info(format!("{done} of {all} reviewed · reading the next ones"));
                } else {
                    self.info(format!("{done} of {all} reviewed"));
                }
                return vec![Cmd::MarkReviewed {
                    day: self.data.day.clone(),
                    item: key,
                    reviewed,
                }];
            }
        }
        Vec::new()
    }

    /// Reply to what is selected: the ticket (its step's template), the Today task (its
    /// template), or the account (a due sequence step, else a template to pick).
    fn reply_to_selection(&mut self, pick: bool) -> Vec<Cmd> {
        let open = |ticket, account, task, template: Option<String>| Cmd::OpenReply {
            ticket,
            account,
            task,
            template,
            use_draft: true,
        };
        let pick_template = if pick { Some(String::new()) } else { None };
        let cmd = match self.view {
            View::Investigations => self.selected_investigation().map(|i| match i.ticket_id {
                Some(t) => open(Some(t), None, None, None),
                None => open(None, i.account_id, None, None),
            }),
            View::Tickets => self.active_ticket().map(|t| open(Some(t.id), None, None, None)),
            View::Today => match self.selected_review() {
                Some(item) if item.task.is_some() => Some(open(None, None, item.task, None)),
                Some(item) => match item.target {
                    Target::Ticket(id) => Some(open(Some(id), None, None, None)),
                    Target::Account(a) => Some(open(None, Some(a), None, None)),
                    Target::Task(t) => Some(open(None, None, Some(t), None)),
                },
                None => None,
            },
            View::Metrics => None,
            View::Accounts => self.selected_account().map(|a| {
                let id = a.id;
                // the task under the detail's cursor, else the account's first due task
                let due = self.account_task().or_else(|| {
                    self.account_detail
                        .as_ref()
                        .filter(|d| d.account.id == id)
                        .and_then(|d| d.tasks.iter().find(|t| t.due_date <= self.data.day))
                        .map(|t| t.id)
                });
                match due {
                    Some(task) if !pick => open(None, Some(id), Some(task), None),
                    _ => open(None, Some(id), None, None),
                }
            }),
        };
        match cmd {
            Some(Cmd::OpenReply {
                ticket,
                account,
                task,
                template,
                use_draft,
            }) => {
                self.info("Opening the reply…");
                vec![Cmd::OpenReply {
                    ticket,
                    account,
                    task,
                    // an empty name asks for the picker
                    template: pick_template.or(template),
                    use_draft,
                }]
            }
            _ => {
                self.error("Select a ticket, a task or an account to reply to.");
                Vec::new()
            }
        }
    }

    fn no_ticket(&mut self) -> Vec<Cmd> {
        self.error("Select a ticket first (3 opens the queue).");
        Vec::new()
    }
}

fn cycle<T: Copy + PartialEq>(all: &[T], current: Option<T>) -> Option<T> {
    match current {
        None => all.first().copied(),
        Some(c) => {
            let i = all.iter().position(|x| *x == c).unwrap_or(0);
            all.get(i + 1).copied()
        }
    }
}

/// 09:00 UTC the next day.
pub fn tomorrow_morning(now: Timestamp) -> Timestamp {
    now - now.rem_euclid(DAY) + DAY + 9 * HOUR
}

/// 09:00 UTC next Monday.
pub fn next_week(now: Timestamp) -> Timestamp {
    // 1970-01-01 was a Thursday: days since a Monday = (days + 3) % 7
    let days = now.div_euclid(DAY);
    let since_monday = (days + 3).rem_euclid(7);
    (days - since_monday + 7) * DAY + 9 * HOUR
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snooze_presets() {
        // 2026-11-22 is a Sunday
        let now = 1_795_338_000; // 2026-11-22T09:00:00Z
        assert_eq!(
            crate::domain::format_time(tomorrow_morning(now)),
            "2026-11-23 09:00 UTC"
        );
        assert_eq!(crate::domain::format_time(next_week(now)), "2026-11-23 09:00 UTC");
        assert_eq!(crate::domain::format_time(next_week(now + DAY)), "2026-11-30 09:00 UTC");
    }
}
