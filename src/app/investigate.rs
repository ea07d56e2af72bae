//! The Intent-First form: the method's three phases as fields, Tab between them, the key
//! question beside each, the output table live, the answers kept as a draft as they are typed.

use super::data::{Cmd, InvestigationOpen};
use super::{App, Mode};
use crate::domain::investigation::{self, Answers, CODEBASE_FIRST, ProcessFit, QUICK_FILTER, Rating, Situation};
use crate::store::Draft;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::{CursorMove, TextArea, WrapMode};

/// One field of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum F {
    Situation,
    Goal,
    Journey,
    History,
    Processes,
    BusinessResult,
    BroaderSuccess,
    ResolutionCustomer,
    ResolutionOurs,
    DeeperValue,
    ExistingProcess,
    CustomerImpact,
    RelationshipImpact,
    Scalability,
    ResourceEfficiency,
    ProcessFit,
    Quick(usize),
    Assessment(usize),
    Note(usize),
    Workaround,
    WhyDeferred,
    Pattern,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Choice,
    Check,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub id: F,
    pub phase: &'static str,
    pub label: String,
    /// The method's key question for this field.
    pub guidance: &'static str,
    pub kind: Kind,
}

fn text(id: F, phase: &'static str, label: &str, guidance: &'static str) -> Field {
    Field {
        id,
        phase,
        label: label.to_string(),
        guidance,
        kind: Kind::Text,
    }
}

fn choice(id: F, phase: &'static str, label: &str, guidance: &'static str) -> Field {
    Field {
        id,
        phase,
        label: label.to_string(),
        guidance,
        kind: Kind::Choice,
    }
}

/// Every field, in the method's order.
pub fn fields() -> Vec<Field> {
    let p1 = "1 Context";
    let p2 = "2 Outcome";
    let p3 = "3 Priority";
    let mut f = vec![
        choice(
            F::Situation,
            p1,
            "Situation",
            "What kind of situation is this? (Space or ←/→ to choose)",
        ),
        text(
            F::Goal,
            p1,
            "Customer goal",
            "What business outcome is the customer after? Not the feature: the result.",
        ),
        text(
            F::Journey,
            p1,
            "Journey",
            "Where are they in their journey? (prefilled from stage and health)",
        ),
        text(
            F::History,
            p1,
            "Relationship history",
            "What has happened with them before? (prefilled: tickets, NPS, trend)",
        ),
        text(
            F::Processes,
            p1,
            "Existing processes",
            "Which templates, playbooks or sequences already apply?",
        ),
        text(
            F::BusinessResult,
            p2,
            "Business result",
            "What business result do they ultimately want?",
        ),
        text(
            F::BroaderSuccess,
            p2,
            "Broader success",
            "How does this request relate to their broader success?",
        ),
        text(
            F::ResolutionCustomer,
            p2,
            "Resolution (theirs)",
            "What does resolution look like from their side?",
        ),
        text(
            F::ResolutionOurs,
            p2,
            "Resolution (ours)",
            "What does resolution look like from ours?",
        ),
        text(
            F::DeeperValue,
            p2,
            "Deeper value",
            "How can this become deeper value for them?",
        ),
        text(
            F::ExistingProcess,
            p2,
            "Existing process?",
            "Can an existing process solve it?",
        ),
        choice(
            F::CustomerImpact,
            p3,
            "Customer impact",
            "How much does this affect the customer's outcomes? (h/m/l)",
        ),
        choice(
            F::RelationshipImpact,
            p3,
            "Relationship impact",
            "How much does it affect the relationship? (h/m/l)",
        ),
        choice(
            F::Scalability,
            p3,
            "Scalability",
            "Would the solution help many customers? (h/m/l)",
        ),
        choice(
            F::ResourceEfficiency,
            p3,
            "Resource efficiency",
            "Can we solve it well with what we have? (h/m/l)",
        ),
        choice(
            F::ProcessFit,
            p3,
            "Process fit",
            "Is an existing process adequate, or does it need improvement?",
        ),
    ];
    const SHORT: [&str; 5] = [
        "Simple workaround",
        "Achieving outcomes",
        "Low metric impact",
        "Full fix too costly",
        "Process handles it",
    ];
    for (i, q) in QUICK_FILTER.iter().enumerate() {
        f.push(Field {
            id: F::Quick(i),
            phase: "Quick filter",
            label: format!("Check: {}", SHORT[i]),
            guidance: q,
            kind: Kind::Check,
        });
    }
    const ROWS: [&str; 8] = [
        "Customer impact",
        "Relationship",
        "Efficiency",
        "Process fit",
        "Business outcome",
        "Approach",
        "Success metrics",
        "Follow-up plan",
    ];
    for (i, row) in ROWS.iter().enumerate() {
        f.push(text(
            F::Assessment(i),
            "Output table",
            &format!("{row} — assessment"),
            "Leave empty to use the one derived from your answers; type to replace it.",
        ));
        f.push(text(
            F::Note(i),
            "Output table",
            &format!("{row} — notes"),
            "Notes for this row of the output table.",
        ));
    }
    f.push(text(
        F::Workaround,
        "CS debt",
        "Workaround",
        "Minimal intervention only: the workaround the customer uses.",
    ));
    f.push(text(
        F::WhyDeferred,
        "CS debt",
        "Why deferred",
        "Minimal intervention only: why a full solution waits.",
    ));
    f.push(text(
        F::Pattern,
        "CS debt",
        "Pattern",
        "Minimal intervention only: the pattern to watch for.",
    ));
    f
}

/// The options of a choice field, as labels.
pub fn options(id: F) -> Vec<&'static str> {
    match id {
        F::Situation => Situation::ALL.iter().map(|s| s.label()).collect(),
        F::ProcessFit => ProcessFit::ALL.iter().map(|s| s.label()).collect(),
        _ => Rating::ALL.iter().map(|s| s.label()).collect(),
    }
}

fn rating_slot(a: &mut Answers, id: F) -> Option<&mut Option<Rating>> {
    match id {
        F::CustomerImpact => Some(&mut a.customer_impact),
        F::RelationshipImpact => Some(&mut a.relationship_impact),
        F::Scalability => Some(&mut a.scalability),
        F::ResourceEfficiency => Some(&mut a.resource_efficiency),
        _ => None,
    }
}

/// The chosen option's index.
pub fn chosen(a: &Answers, id: F) -> Option<usize> {
    let mut a = a.clone();
    match id {
        F::Situation => a.situation.and_then(|s| Situation::ALL.iter().position(|x| *x == s)),
        F::ProcessFit => a.process_fit.and_then(|s| ProcessFit::ALL.iter().position(|x| *x == s)),
        _ => rating_slot(&mut a, id)
            .and_then(|r| *r)
            .and_then(|r| Rating::ALL.iter().position(|x| *x == r)),
    }
}

fn choose(a: &mut Answers, id: F, i: Option<usize>) {
    match id {
        F::Situation => a.situation = i.and_then(|i| Situation::ALL.get(i).copied()),
        F::ProcessFit => a.process_fit = i.and_then(|i| ProcessFit::ALL.get(i).copied()),
        _ => {
            if let Some(slot) = rating_slot(a, id) {
                *slot = i.and_then(|i| Rating::ALL.get(i).copied());
            }
        }
    }
}

pub fn text_of(a: &Answers, id: F) -> String {
    match id {
        F::Goal => a.goal.clone(),
        F::Journey => a.journey.clone(),
        F::History => a.history.clone(),
        F::Processes => a.processes.clone(),
        F::BusinessResult => a.business_result.clone(),
        F::BroaderSuccess => a.broader_success.clone(),
        F::ResolutionCustomer => a.resolution_customer.clone(),
        F::ResolutionOurs => a.resolution_ours.clone(),
        F::DeeperValue => a.deeper_value.clone(),
        F::ExistingProcess => a.existing_process.clone(),
        F::Assessment(i) => a.assessments.get(i).to_string(),
        F::Note(i) => a.notes.get(i).to_string(),
        F::Workaround => a.workaround.clone(),
        F::WhyDeferred => a.why_deferred.clone(),
        F::Pattern => a.pattern.clone(),
        _ => String::new(),
    }
}

fn set_text(a: &mut Answers, id: F, v: String) {
    match id {
        F::Goal => a.goal = v,
        F::Journey => a.journey = v,
        F::History => a.history = v,
        F::Processes => a.processes = v,
        F::BusinessResult => a.business_result = v,
        F::BroaderSuccess => a.broader_success = v,
        F::ResolutionCustomer => a.resolution_customer = v,
        F::ResolutionOurs => a.resolution_ours = v,
        F::DeeperValue => a.deeper_value = v,
        F::ExistingProcess => a.existing_process = v,
        F::Assessment(i) => a.assessments.set(i, v),
        F::Note(i) => a.notes.set(i, v),
        F::Workaround => a.workaround = v,
        F::WhyDeferred => a.why_deferred = v,
        F::Pattern => a.pattern = v,
        _ => {}
    }
}

/// A field's value in one line, for the list.
pub fn shown(a: &Answers, f: &Field) -> String {
    match f.kind {
        Kind::Text => crate::text::one_line_max(&text_of(a, f.id), crate::ui::LINE_MAX)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
        Kind::Choice => chosen(a, f.id)
            .and_then(|i| options(f.id).get(i).copied())
            .unwrap_or("—")
            .to_string(),
        Kind::Check => match f.id {
            F::Quick(i) if a.quick_filter.get(i).copied().unwrap_or(false) => "[x]".into(),
            _ => "[ ]".into(),
        },
    }
}

pub struct InvestigationForm {
    pub key: String,
    pub account: Option<i64>,
    pub ticket: Option<i64>,
    pub title: String,
    pub health: Option<u32>,
    pub answers: Answers,
    pub fields: Vec<Field>,
    pub focus: usize,
    /// The focused text field's editor.
    pub area: TextArea<'static>,
    /// On a narrow terminal: the output table instead of the form.
    pub show_table: bool,
    pub now: i64,
}

fn area_for(text: &str) -> TextArea<'static> {
    let mut a = TextArea::new(text.split('\n').map(str::to_string).collect());
    a.set_wrap_mode(WrapMode::WordOrGlyph);
    a.move_cursor(CursorMove::Bottom);
    a.move_cursor(CursorMove::End);
    a
}

impl InvestigationForm {
    pub fn new(open: InvestigationOpen, now: i64) -> InvestigationForm {
        let fields = fields();
        let first = fields.first().map(|f| text_of(&open.answers, f.id)).unwrap_or_default();
        InvestigationForm {
            key: open.key,
            account: open.account,
            ticket: open.ticket,
            title: open.title,
            health: open.health,
            answers: open.answers,
            fields,
            focus: 0,
            area: area_for(&first),
            show_table: false,
            now,
        }
    }

    pub fn field(&self) -> &Field {
        &self.fields[self.focus.min(self.fields.len() - 1)]
    }

    /// Put the editor's text back into the answers.
    fn commit(&mut self) {
        let f = self.field().clone();
        if f.kind == Kind::Text {
            set_text(&mut self.answers, f.id, self.area.lines().join("\n"));
        }
    }

    fn focus_on(&mut self, i: usize) {
        self.commit();
        self.focus = i.min(self.fields.len() - 1);
        let f = self.field().clone();
        self.area = area_for(&text_of(&self.answers, f.id));
    }

    pub fn outcome(&self) -> investigation::Outcome {
        investigation::evaluate(&self.answers, self.health, self.now)
    }

    pub fn draft(&self) -> Draft {
        let mut a = self.answers.clone();
        let f = self.field().clone();
        if f.kind == Kind::Text {
            set_text(&mut a, f.id, self.area.lines().join("\n"));
        }
        Draft {
            key: self.key.clone(),
            body: serde_json::to_string(&a).unwrap_or_default(),
            template: None,
            ticket_id: self.ticket,
            account_id: self.account,
            task_id: None,
            updated_at: self.now,
        }
    }

    /// The answers with the editor's text in them.
    pub fn current(&self) -> Answers {
        let mut a = self.answers.clone();
        let f = self.field().clone();
        if f.kind == Kind::Text {
            set_text(&mut a, f.id, self.area.lines().join("\n"));
        }
        a
    }

    pub fn markdown(&self) -> String {
        let a = self.current();
        let o = investigation::evaluate(&a, self.health, self.now);
        investigation::markdown(&self.title, &a, &o)
    }

    /// Whether anything was typed or chosen.
    pub fn touched(&self) -> bool {
        let a = self.current();
        a.situation.is_some() || !a.goal.trim().is_empty() || !a.business_result.trim().is_empty()
    }
}

/// The draft key of an investigation.
pub fn draft_key(ticket: Option<i64>, account: Option<i64>) -> String {
    match (ticket, account) {
        (Some(t), _) => format!("investigation:ticket:{t}"),
        (None, Some(a)) => format!("investigation:account:{a}"),
        (None, None) => "investigation:new".into(),
    }
}

impl App {
    pub(super) fn open_investigation(&mut self, open: InvestigationOpen) -> Vec<Cmd> {
        let restored = open.restored;
        let form = InvestigationForm::new(open, self.now);
        self.info(match restored {
            Some(at) => format!(
                "Your investigation draft from {} is back. Tab moves · Ctrl-S saves.",
                crate::domain::format_time(at)
            ),
            None => "Tab / Shift-Tab move between fields · Ctrl-S saves · Ctrl-O the output table · Esc keeps a draft"
                .into(),
        });
        self.mode = Mode::Investigation(Box::new(form));
        Vec::new()
    }

    pub(super) fn on_investigation_key(&mut self, mut form: Box<InvestigationForm>, k: KeyEvent) -> Vec<Cmd> {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        let field = form.field().clone();
        let mut changed = false;
        let mut cmds = Vec::new();
        match (k.code, ctrl) {
            (KeyCode::Esc, _) => {
                if form.touched() {
                    cmds.push(Cmd::SaveDraft(form.draft()));
                    self.info("Kept the investigation as a draft (D lists drafts).");
                } else {
                    cmds.push(Cmd::DeleteDraft(form.key.clone()));
                    self.info("Investigation closed.");
                }
                self.mode = Mode::Normal;
                return cmds;
            }
            (KeyCode::Tab, _) => {
                let n = (form.focus + 1) % form.fields.len();
                form.focus_on(n);
            }
            (KeyCode::BackTab, _) => {
                let n = (form.focus + form.fields.len() - 1) % form.fields.len();
                form.focus_on(n);
            }
            (KeyCode::Char('o'), true) => form.show_table = !form.show_table,
            (KeyCode::Char('y'), true) => {
                cmds.push(Cmd::Clipboard(form.markdown()));
                self.info("The output table is on the clipboard (Markdown).");
            }
            (KeyCode::Char('s'), true) => {
                form.commit();
                let missing = investigation::missing(&form.answers);
                if missing.is_empty() {
                    cmds.push(Cmd::SaveInvestigation {
                        key: form.key.clone(),
                        ticket: form.ticket,
                        account: form.account,
                        answers: Box::new(form.answers.clone()),
                    });
                    self.info("Saving…");
                } else {
                    self.error(format!("Still needed: {}.", missing.join(", ").replace('_', " ")));
                    // go to the first one
                    if let Some(i) = form.fields.iter().position(|f| {
                        let name = match f.id {
                            F::Situation => "situation",
                            F::Goal => "goal",
                            F::BusinessResult => "business_result",
                            F::CustomerImpact => "customer_impact",
                            F::RelationshipImpact => "relationship_impact",
                            F::Scalability => "scalability",
                            F::ResourceEfficiency => "resource_efficiency",
                            F::ProcessFit => "process_fit",
                            _ => "",
                        };
                        missing.first() == Some(&name)
                    }) {
                        form.focus_on(i);
                    }
                }
            }
            _ => match field.kind {
                Kind::Text => {
                    let before = form.area.lines().join("\n");
                    if k.code == KeyCode::Enter {
                        form.area.insert_newline();
                    } else {
                        form.area.input(k);
                    }
                    changed = form.area.lines().join("\n") != before;
                }
                Kind::Choice => {
                    let n = options(field.id).len();
                    let cur = chosen(&form.answers, field.id);
                    let next = match k.code {
                        KeyCode::Char(' ') | KeyCode::Right | KeyCode::Enter => Some(cur.map_or(0, |c| (c + 1) % n)),
                        KeyCode::Left => Some(cur.map_or(n - 1, |c| (c + n - 1) % n)),
                        KeyCode::Char('h') if n == 3 => Some(0),
                        KeyCode::Char('m') if n == 3 => Some(1),
                        KeyCode::Char('l') if n == 3 => Some(2),
                        KeyCode::Char('a') if field.id == F::ProcessFit => Some(0),
                        KeyCode::Char('n') if field.id == F::ProcessFit => Some(1),
                        KeyCode::Backspace | KeyCode::Delete => None,
                        _ => cur,
                    };
                    if next != cur {
                        choose(&mut form.answers, field.id, next);
                        changed = true;
                    }
                }
                Kind::Check => {
                    if let F::Quick(i) = field.id {
                        let cur = form.answers.quick_filter[i];
                        let next = match k.code {
                            KeyCode::Char(' ') | KeyCode::Enter => !cur,
                            KeyCode::Char('y') => true,
                            KeyCode::Char('n') => false,
                            _ => cur,
                        };
                        if next != cur {
                            form.answers.quick_filter[i] = next;
                            changed = true;
                        }
                    }
                }
            },
        }
        if changed {
            cmds.push(Cmd::SaveDraft(form.draft()));
        }
        self.mode = Mode::Investigation(form);
        cmds
    }
}

/// The codebase-first checklist lines, for Critical and High.
pub fn codebase_first(o: &investigation::Outcome) -> Option<&'static [&'static str; 5]> {
    o.priority.filter(|p| p.needs_codebase_first()).map(|_| &CODEBASE_FIRST)
}
