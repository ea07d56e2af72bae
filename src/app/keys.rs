//! The key map: one table of (scope, key, action), user-overridable, from which both dispatch
//! and help are generated, so help cannot drift from what the keys do.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a binding applies. View scopes are tried before Global.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    Global,
    Today,
    Accounts,
    Tickets,
    Investigations,
    Metrics,
}

impl Scope {
    pub fn label(self) -> &'static str {
        match self {
            Scope::Global => "Everywhere",
            Scope::Today => "Today",
            Scope::Accounts => "Accounts",
            Scope::Tickets => "Tickets",
            Scope::Investigations => "Investigations",
            Scope::Metrics => "Metrics",
        }
    }
}

macro_rules! actions {
    ($($variant:ident => $name:literal, $desc:literal;)+) => {
        /// Everything a key (or the palette) can do.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum Action { $(#[serde(rename = $name)] $variant),+ }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant),+];
            /// The name used in the config file and the palette.
            pub fn name(self) -> &'static str { match self { $(Action::$variant => $name),+ } }
            pub fn description(self) -> &'static str { match self { $(Action::$variant => $desc),+ } }
            pub fn from_name(s: &str) -> Option<Action> { match s { $($name => Some(Action::$variant),)+ _ => None } }
        }
    };
}

actions! {
    Quit => "quit", "Quit (asks first if an edit is unsaved)";
    Help => "help", "Help for this view";
    Palette => "palette", "Command palette: every action by name";
    Filter => "filter", "Filter the list as you type";
    Cancel => "cancel", "Clear the filter / close the detail";
    ViewToday => "view-today", "Go to Today";
    ViewAccounts => "view-accounts", "Go to Accounts";
    ViewTickets => "view-tickets", "Go to Tickets";
    NextView => "next-view", "Next view";
    PrevView => "prev-view", "Previous view";
    Down => "down", "Move down (scrolls an open detail)";
    Up => "up", "Move up (scrolls an open detail)";
    Top => "top", "Jump to the first row";
    Bottom => "bottom", "Jump to the last row";
    PageDown => "page-down", "Page down";
    PageUp => "page-up", "Page up";
    Open => "open", "Open the selected row's detail";
    Refresh => "refresh", "Reload from the database";
    SortNext => "sort", "Sort by the next column";
    SortReverse => "sort-reverse", "Reverse the sort order";
    CycleTier => "filter-tier", "Filter by health tier (cycles; in Tickets, the account's tier)";
    CycleStage => "filter-stage", "Filter by stage (cycles)";
    CycleSegment => "filter-segment", "Filter by segment (cycles)";
    AccountTickets => "account-tickets", "Show this account's tickets";
    CycleTicketFilter => "filter-tickets", "Queue filter: open, breached, waiting, snoozed, mine, tier 2, a step (cycles)";
    ToggleItem => "toggle-item", "Tick or untick the checklist item under the cursor";
    NextChecklistItem => "checklist-down", "Checklist cursor down";
    PrevChecklistItem => "checklist-up", "Checklist cursor up";
    Advance => "advance", "Advance to the next SOP step (asks for a reason if the checklist is not done)";
    MoveBack => "move-back", "Move back one step, with a reason";
    Escalate => "escalate", "Escalate to tier 2, with a reason";
    Note => "note", "Add a note to the timeline";
    Wait => "wait", "Wait on the customer (pauses the resolution clock) or stop waiting";
    Snooze => "snooze", "Snooze: until the customer replies, tomorrow, next week, a date";
    Resume => "resume", "End a wait or a snooze";
    NextItem => "next-item", "Next review item";
    PrevItem => "prev-item", "Previous review item";
    MarkReviewed => "mark-reviewed", "Mark reviewed and move on (again to unmark)";
    Reply => "reply", "Reply with the fitting template filled in (the step's, the task's)";
    ReplyWith => "reply-with", "Reply with a template you pick";
    Drafts => "drafts", "Your kept drafts: open one, or x to discard it";
    Sequences => "sequences", "Enrol the account in a sequence (onboarding, win-back), or unenrol it";
    ViewInvestigations => "view-investigations", "Go to Investigations";
    Investigate => "investigate", "Investigate (Intent-First): this ticket or account, or a blank one";
    CopyReport => "copy-report", "Copy the investigation's output table as Markdown (OSC 52)";
    TaskDone => "task-done", "Mark the selected task done";
    TaskSnooze => "task-snooze", "Snooze the selected task until a day";
    TaskDismiss => "task-dismiss", "Dismiss the selected task, with a reason";
    ViewMetrics => "view-metrics", "Go to Metrics";
    MetricsPeriod => "metrics-period", "Metrics period: 7, 30 or 90 days (cycles)";
    NextPanel => "next-panel", "Next page of panels (when they do not all fit)";
    PrevPanel => "prev-panel", "Previous page of panels";
    TaskDown => "task-down", "Account detail: move the task cursor down";
    TaskUp => "task-up", "Account detail: move the task cursor up";
    StartPlaybook => "start-playbook", "Start a playbook for the account (its steps become tasks)";
    Import => "import", "Import a file: accounts, contacts, tickets or signals CSV, an mbox or a Maildir";
}

/// A key with its modifiers, as written in the config file: `q`, `?`, `ctrl-r`, `alt-1`,
/// `enter`, `esc`, `tab`, `backtab`, `space`, `up`, `down`, `left`, `right`, `pgup`, `pgdn`,
/// `home`, `end`, `f1`..`f12`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub const fn plain(code: KeyCode) -> Key {
        Key {
            code,
            mods: KeyModifiers::NONE,
        }
    }

    /// Normalise an event so that `G` matches whether or not the terminal reports Shift.
    pub fn from_event(e: &KeyEvent) -> Key {
        let mut mods = e.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        let code = match e.code {
            KeyCode::Char(c) => KeyCode::Char(c),
            KeyCode::BackTab => KeyCode::BackTab,
            other => {
                mods |= e.modifiers & KeyModifiers::SHIFT;
                other
            }
        };
        Key { code, mods }
    }

    pub fn parse(s: &str) -> Result<Key, String> {
        let bad = || format!("'{s}' is not a key (examples: q, ?, ctrl-r, alt-1, enter, space, f2, pgdn)");
        let lower = s.to_ascii_lowercase();
        let (mods, rest) = if let Some(r) = lower.strip_prefix("ctrl-") {
            (KeyModifiers::CONTROL, r)
        } else if let Some(r) = lower.strip_prefix("alt-") {
            (KeyModifiers::ALT, r)
        } else {
            (KeyModifiers::NONE, lower.as_str())
        };
        let code = match rest {
            "enter" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backtab" | "shift-tab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pgup" | "pageup" => KeyCode::PageUp,
            "pgdn" | "pagedown" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "backspace" => KeyCode::Backspace,
            f if f.starts_with('f') && f.len() > 1 => KeyCode::F(f[1..].parse().map_err(|_| bad())?),
            _ => {
                // single characters keep their case: `G` is not `g`
                let original = &s[s.len() - rest.len()..];
                let mut chars = original.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => KeyCode::Char(c),
                    _ => return Err(bad()),
                }
            }
        };
        Ok(Key { code, mods })
    }

    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Enter => "Enter".to_string(),
            KeyCode::Esc => "Esc".to_string(),
            KeyCode::Tab => "Tab".to_string(),
            KeyCode::BackTab => "Shift-Tab".to_string(),
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Up => "Up".to_string(),
            KeyCode::Down => "Down".to_string(),
            KeyCode::Left => "Left".to_string(),
            KeyCode::Right => "Right".to_string(),
            KeyCode::PageUp => "PgUp".to_string(),
            KeyCode::PageDown => "PgDn".to_string(),
            KeyCode::Home => "Home".to_string(),
            KeyCode::End => "End".to_string(),
            KeyCode::Backspace => "Backspace".to_string(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        if self.mods.contains(KeyModifiers::CONTROL) {
            format!("Ctrl-{base}")
        } else if self.mods.contains(KeyModifiers::ALT) {
            format!("Alt-{base}")
        } else {
            base
        }
    }
}

const DEFAULTS: &[(Scope, &str, Action)] = &[
    (Scope::Global, "q", Action::Quit),
    (Scope::Global, "?", Action::Help),
    (Scope::Global, ":", Action::Palette),
    (Scope::Global, "/", Action::Filter),
    (Scope::Global, "esc", Action::Cancel),
    (Scope::Global, "1", Action::ViewToday),
    (Scope::Global, "2", Action::ViewAccounts),
    (Scope::Global, "3", Action::ViewTickets),
    (Scope::Global, "tab", Action::NextView),
    (Scope::Global, "backtab", Action::PrevView),
    (Scope::Global, "j", Action::Down),
    (Scope::Global, "down", Action::Down),
    (Scope::Global, "k", Action::Up),
    (Scope::Global, "up", Action::Up),
    (Scope::Global, "g", Action::Top),
    (Scope::Global, "home", Action::Top),
    (Scope::Global, "G", Action::Bottom),
    (Scope::Global, "end", Action::Bottom),
    (Scope::Global, "pgdn", Action::PageDown),
    (Scope::Global, "pgup", Action::PageUp),
    (Scope::Global, "enter", Action::Open),
    (Scope::Global, "ctrl-r", Action::Refresh),
    (Scope::Accounts, "s", Action::SortNext),
    (Scope::Accounts, "S", Action::SortReverse),
    (Scope::Accounts, "t", Action::CycleTier),
    (Scope::Accounts, "l", Action::CycleStage),
    (Scope::Accounts, "e", Action::CycleSegment),
    (Scope::Accounts, "T", Action::AccountTickets),
    (Scope::Tickets, "f", Action::CycleTicketFilter),
    (Scope::Tickets, "t", Action::CycleTier),
    (Scope::Tickets, "space", Action::ToggleItem),
    (Scope::Tickets, "J", Action::NextChecklistItem),
    (Scope::Tickets, "K", Action::PrevChecklistItem),
    (Scope::Tickets, "a", Action::Advance),
    (Scope::Tickets, "b", Action::MoveBack),
    (Scope::Tickets, "e", Action::Escalate),
    (Scope::Tickets, "n", Action::Note),
    (Scope::Tickets, "w", Action::Wait),
    (Scope::Tickets, "z", Action::Snooze),
    (Scope::Tickets, "u", Action::Resume),
    (Scope::Today, "n", Action::NextItem),
    (Scope::Today, "p", Action::PrevItem),
    (Scope::Today, "space", Action::MarkReviewed),
    (Scope::Today, "m", Action::MarkReviewed),
    (Scope::Global, "D", Action::Drafts),
    (Scope::Tickets, "r", Action::Reply),
    (Scope::Tickets, "R", Action::ReplyWith),
    (Scope::Today, "r", Action::Reply),
    (Scope::Today, "R", Action::ReplyWith),
    (Scope::Accounts, "r", Action::Reply),
    (Scope::Accounts, "R", Action::ReplyWith),
    (Scope::Accounts, "E", Action::Sequences),
    (Scope::Global, "4", Action::ViewInvestigations),
    (Scope::Tickets, "i", Action::Investigate),
    (Scope::Accounts, "i", Action::Investigate),
    (Scope::Investigations, "n", Action::Investigate),
    (Scope::Investigations, "y", Action::CopyReport),
    (Scope::Today, "d", Action::TaskDone),
    (Scope::Today, "z", Action::TaskSnooze),
    (Scope::Today, "X", Action::TaskDismiss),
    (Scope::Global, "5", Action::ViewMetrics),
    (Scope::Metrics, "p", Action::MetricsPeriod),
    (Scope::Metrics, "e", Action::CycleSegment),
    (Scope::Metrics, "l", Action::NextPanel),
    (Scope::Metrics, "right", Action::NextPanel),
    (Scope::Metrics, "h", Action::PrevPanel),
    (Scope::Metrics, "left", Action::PrevPanel),
    (Scope::Accounts, "J", Action::TaskDown),
    (Scope::Accounts, "K", Action::TaskUp),
    (Scope::Accounts, "d", Action::TaskDone),
    (Scope::Accounts, "z", Action::TaskSnooze),
    (Scope::Accounts, "X", Action::TaskDismiss),
    (Scope::Accounts, "P", Action::StartPlaybook),
    (Scope::Accounts, "I", Action::Import),
];

/// The bindings in force: the defaults with the user's overrides applied.
#[derive(Debug, Clone)]
pub struct KeyMap {
    bindings: Vec<(Scope, Key, Action)>,
}

/// The `[keys]` table of the config file: action name = "key" or ["key", "key"].
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(transparent)]
pub struct KeyOverrides(pub BTreeMap<String, OneOrMany>);

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl Default for KeyMap {
    fn default() -> Self {
        let bindings = DEFAULTS
            .iter()
            .filter_map(|(scope, key, action)| Key::parse(key).ok().map(|k| (*scope, k, *action)))
            .collect();
        KeyMap { bindings }
    }
}

impl KeyMap {
    /// The defaults with overrides: each overridden action loses its default keys and takes
    /// the given ones, in the scopes it had.
    pub fn with_overrides(overrides: &KeyOverrides) -> Result<KeyMap, String> {
        let mut map = KeyMap::default();
        for (name, keys) in &overrides.0 {
            let action = Action::from_name(name).ok_or_else(|| {
                format!(
                    "[keys] names an unknown action '{name}'; actions: {}",
                    Action::ALL.iter().map(|a| a.name()).collect::<Vec<_>>().join(", ")
                )
            })?;
            let keys: Vec<Key> = match keys {
                OneOrMany::One(k) => vec![Key::parse(k)?],
                OneOrMany::Many(ks) => ks.iter().map(|k| Key::parse(k)).collect::<Result<_, _>>()?,
            };
            let scopes: Vec<Scope> = DEFAULTS
                .iter()
                .filter(|(_, _, a)| *a == action)
                .map(|(s, _, _)| *s)
                .collect();
            let mut scopes_unique = scopes.clone();
            scopes_unique.dedup();
            map.bindings.retain(|(_, _, a)| *a != action);
            for scope in scopes_unique {
                for key in &keys {
                    // a remapped key replaces whatever it did before in that scope
                    map.bindings.retain(|(s, k, _)| !(*s == scope && k == key));
                    map.bindings.push((scope, *key, action));
                }
            }
        }
        Ok(map)
    }

    /// What a key does in a view: the view's own binding first, then the global one.
    pub fn action(&self, scope: Scope, key: Key) -> Option<Action> {
        self.bindings
            .iter()
            .find(|(s, k, _)| *s == scope && *k == key)
            .or_else(|| self.bindings.iter().find(|(s, k, _)| *s == Scope::Global && *k == key))
            .map(|(_, _, a)| *a)
    }

    /// The keys bound to an action, for help and hints.
    pub fn keys_for(&self, action: Action) -> Vec<Key> {
        self.bindings
            .iter()
            .filter(|(_, _, a)| *a == action)
            .map(|(_, k, _)| *k)
            .collect()
    }

    /// Help rows for a view: (scope, keys, action), the view's own first.
    pub fn help(&self, scope: Scope) -> Vec<(Scope, String, Action)> {
        let mut rows: Vec<(Scope, String, Action)> = Vec::new();
        for want in [scope, Scope::Global] {
            let mut seen: Vec<Action> = Vec::new();
            for (s, _, a) in self.bindings.iter().filter(|(s, _, _)| *s == want) {
                if seen.contains(a) {
                    continue;
                }
                seen.push(*a);
                let keys: Vec<String> = self
                    .bindings
                    .iter()
                    .filter(|(s2, _, a2)| s2 == s && a2 == a)
                    .map(|(_, k, _)| k.label())
                    .collect();
                // a global key shadowed by the view's own binding is not shown as global
                if *s == Scope::Global && scope != Scope::Global {
                    let shadowed = self
                        .bindings
                        .iter()
                        .filter(|(s2, _, a2)| *s2 == Scope::Global && a2 == a)
                        .all(|(_, k, _)| self.action(scope, *k) != Some(*a));
                    if shadowed {
                        continue;
                    }
                }
                rows.push((*s, keys.join(" / "), *a));
            }
            if want == Scope::Global {
                break;
            }
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_and_label() {
        assert_eq!(Key::parse("G").unwrap(), Key::plain(KeyCode::Char('G')));
        assert_eq!(
            Key::parse("ctrl-r").unwrap(),
            Key {
                code: KeyCode::Char('r'),
                mods: KeyModifiers::CONTROL
            }
        );
        assert_eq!(Key::parse("F2").unwrap(), Key::plain(KeyCode::F(2)));
        assert_eq!(Key::parse("space").unwrap().label(), "Space");
        assert!(Key::parse("ctrl-").is_err());
        assert!(Key::parse("banana").is_err());
    }

    #[test]
    fn view_bindings_win_over_global() {
        let m = KeyMap::default();
        let n = Key::plain(KeyCode::Char('n'));
        assert_eq!(m.action(Scope::Tickets, n), Some(Action::Note));
        assert_eq!(m.action(Scope::Today, n), Some(Action::NextItem));
        assert_eq!(m.action(Scope::Accounts, n), None);
        assert_eq!(
            m.action(Scope::Accounts, Key::plain(KeyCode::Char('q'))),
            Some(Action::Quit)
        );
    }

    #[test]
    fn overrides_replace_keys_and_show_in_help() {
        let o: KeyOverrides = toml::from_str("advance = \"A\"\nquit = [\"x\", \"ctrl-q\"]").unwrap();
        let m = KeyMap::with_overrides(&o).unwrap();
        assert_eq!(
            m.action(Scope::Tickets, Key::plain(KeyCode::Char('A'))),
            Some(Action::Advance)
        );
        assert_eq!(m.action(Scope::Tickets, Key::plain(KeyCode::Char('a'))), None);
        assert_eq!(
            m.action(Scope::Today, Key::plain(KeyCode::Char('x'))),
            Some(Action::Quit)
        );
        assert_eq!(m.action(Scope::Today, Key::plain(KeyCode::Char('q'))), None);
        let help = m.help(Scope::Tickets);
        assert!(help.iter().any(|(_, k, a)| *a == Action::Advance && k == "A"));
        assert!(help.iter().any(|(_, k, a)| *a == Action::Quit && k == "x / Ctrl-q"));
        let bad: KeyOverrides = toml::from_str("fly = \"f\"").unwrap();
        assert!(
            KeyMap::with_overrides(&bad)
                .unwrap_err()
                .contains("unknown action 'fly'")
        );
    }

    #[test]
    fn every_action_has_a_default_key_or_is_palette_only() {
        let m = KeyMap::default();
        for a in Action::ALL {
            assert!(!m.keys_for(*a).is_empty(), "{} has no key", a.name());
        }
    }
}
