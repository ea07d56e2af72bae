//! The Accounts and Tickets lists as windows: the app holds the rows around the selection and
//! the list's length; the worker answers with a window read from an index in list order, or,
//! when a text filter is typed, from the ranked search candidates it keeps between keystrokes.

use crate::store::{Account, AccountListQuery, QueueQuery, Store, Ticket};
use std::collections::HashMap;

/// Rows fetched around the selection, at least: a page either way on a 60-row terminal.
pub const WINDOW: usize = 180;

/// The window for a page of `page` rows: room for a page above and two below the selection.
pub fn window_size(page: usize) -> usize {
    WINDOW.max(3 * page)
}

/// What a list shows: the store's query and the text filter over it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListView<Q> {
    pub query: Q,
    pub text: String,
}

/// A request for a window of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest<Q> {
    /// Increases with each request; a reply to an older one is dropped.
    pub seq: u64,
    pub view: ListView<Q>,
    /// Keep this row selected, wherever it now stands.
    pub keep: Option<i64>,
    /// The selection to use when `keep` is not given or no longer in the list.
    pub sel: usize,
    /// The list itself changed (filter, order, data): the reply places the selection.
    pub requery: bool,
    /// How many rows to send (`window_size`).
    pub size: usize,
}

/// A window of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct ListReply<T> {
    pub seq: u64,
    pub requery: bool,
    pub total: usize,
    /// Where the selection is now (for a requery).
    pub sel: usize,
    pub start: usize,
    pub rows: Vec<T>,
    /// For accounts: the trend window's first score of each row.
    pub trend_from: HashMap<i64, u32>,
}

/// The rows the app holds of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Window<T> {
    pub total: usize,
    pub start: usize,
    pub rows: Vec<T>,
}

impl<T> Default for Window<T> {
    fn default() -> Self {
        Window {
            total: 0,
            start: 0,
            rows: Vec::new(),
        }
    }
}

impl<T> Window<T> {
    pub fn get(&self, pos: usize) -> Option<&T> {
        pos.checked_sub(self.start).and_then(|i| self.rows.get(i))
    }

    pub fn len(&self) -> usize {
        self.total
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Whether the rows from `from` to `to` (exclusive, clamped to the list) are held.
    pub fn covers(&self, from: usize, to: usize) -> bool {
        let to = to.min(self.total);
        from >= self.start && to <= self.start + self.rows.len()
    }

    /// The position of a held row.
    pub fn position(&self, pred: impl Fn(&T) -> bool) -> Option<usize> {
        self.rows.iter().position(pred).map(|i| i + self.start)
    }
}

/// Where a window of `size` rows starts so that `sel` sits a third of the way down it.
pub fn window_start(sel: usize, total: usize, size: usize) -> usize {
    sel.saturating_sub(size / 3).min(total.saturating_sub(size))
}

/// Candidates ranked by the last text typed, kept so the next keystroke ranks only these.
struct Search<Q> {
    query: Q,
    version: (i64, i64),
    items: Vec<(i64, String)>,
    /// The texts typed so far, each narrowing the one before, with its matches (indexes into
    /// `items`, best first): a letter typed ranks only the last matches, a letter erased
    /// goes back a step.
    steps: Vec<(String, Vec<usize>)>,
}

impl<Q: PartialEq + Clone> Search<Q> {
    fn new(query: Q, version: (i64, i64), items: Vec<(i64, String)>) -> Self {
        Search {
            query,
            version,
            items,
            steps: Vec::new(),
        }
    }

    fn ranked(&mut self, text: &str) -> Vec<i64> {
        // a plain word grown by a letter can only narrow the matches
        let plain = text.chars().all(|c| c.is_alphanumeric() || "-_.@#".contains(c));
        while let Some((t, _)) = self.steps.last() {
            if plain && text.starts_with(t.as_str()) {
                break;
            }
            self.steps.pop();
        }
        if self.steps.last().is_none_or(|(t, _)| t != text) {
            let pool: Vec<usize> = match self.steps.last() {
                Some((_, m)) => {
                    let mut m = m.clone();
                    m.sort_unstable();
                    m
                }
                None => (0..self.items.len()).collect(),
            };
            let hay: Vec<&str> = pool.iter().map(|i| self.items[*i].1.as_str()).collect();
            let matches = rank(text, &pool, &hay);
            self.steps.push((text.to_string(), matches));
        }
        self.steps
            .last()
            .map(|(_, m)| m.iter().map(|i| self.items[*i].0).collect())
            .unwrap_or_default()
    }
}

/// The items whose haystack matches the query, best match first (ties keep their order).
pub fn rank<T: Clone>(query: &str, items: &[T], haystacks: &[&str]) -> Vec<T> {
    use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
    use nucleo_matcher::{Config, Matcher, Utf32Str};
    let pattern = Pattern::parse(query, CaseMatching::Ignore, Normalization::Smart);
    let mut matcher = Matcher::new(Config::DEFAULT);
    let mut buf = Vec::new();
    let mut scored: Vec<(u32, usize)> = haystacks
        .iter()
        .enumerate()
        .filter_map(|(i, h)| pattern.score(Utf32Str::new(h, &mut buf), &mut matcher).map(|s| (s, i)))
        .collect();
    scored.sort_by_key(|(s, i)| (std::cmp::Reverse(*s), *i));
    scored.into_iter().map(|(_, i)| items[i].clone()).collect()
}

/// What the lister needs of a list's query: its length, a window, where a row stands, the
/// search candidates, rows by id, and which change counter tells that its data moved.
pub trait ListSource: Clone + PartialEq {
    type Row;
    /// The change counters its rows depend on: they tell that kept counts and candidates are stale.
    fn version(&self, store: &Store) -> Result<(i64, i64)>;
    fn count(&self, store: &Store) -> Result<usize>;
    fn position(&self, store: &Store, id: i64) -> Result<Option<usize>>;
    fn page(&self, store: &Store, start: usize, size: usize) -> Result<Vec<Self::Row>>;
    fn search_text(&self, store: &Store) -> Result<Vec<(i64, String)>>;
    fn by_ids(store: &Store, ids: &[i64]) -> Result<Vec<Self::Row>>;
}

impl ListSource for AccountListQuery {
    type Row = Account;
    fn version(&self, store: &Store) -> Result<(i64, i64)> {
        Ok((store.change_counters()?.0, 0))
    }
    fn count(&self, store: &Store) -> Result<usize> {
        store.account_list_count(self)
    }
    fn position(&self, store: &Store, id: i64) -> Result<Option<usize>> {
        store.account_list_position(self, id)
    }
    fn page(&self, store: &Store, start: usize, size: usize) -> Result<Vec<Account>> {
        store.account_list_page(self, start, size)
    }
    fn search_text(&self, store: &Store) -> Result<Vec<(i64, String)>> {
        store.account_search_text(self)
    }
    fn by_ids(store: &Store, ids: &[i64]) -> Result<Vec<Account>> {
        store.accounts_by_ids(ids)
    }
}

impl ListSource for QueueQuery {
    type Row = Ticket;
    fn version(&self, store: &Store) -> Result<(i64, i64)> {
        let (accounts, tickets, _, _) = store.change_counters()?;
        // a tier filter reads the accounts' scores too
        Ok((tickets, if self.score_range.is_some() { accounts } else { 0 }))
    }
    fn count(&self, store: &Store) -> Result<usize> {
        store.queue_count(self)
    }
    fn position(&self, store: &Store, id: i64) -> Result<Option<usize>> {
        store.queue_position(self, id)
    }
    fn page(&self, store: &Store, start: usize, size: usize) -> Result<Vec<Ticket>> {
        store.queue_page(self, start, size)
    }
    fn search_text(&self, store: &Store) -> Result<Vec<(i64, String)>> {
        store.queue_search_text(self)
    }
    fn by_ids(store: &Store, ids: &[i64]) -> Result<Vec<Ticket>> {
        store.tickets_by_ids(ids)
    }
}

/// One list's kept state: the search candidates of its last text filter, and its length,
/// both good while the query and the data stay the same.
struct Kept<Q> {
    search: Option<Search<Q>>,
    total: Option<(Q, (i64, i64), usize)>,
}

impl<Q> Default for Kept<Q> {
    fn default() -> Self {
        Kept {
            search: None,
            total: None,
        }
    }
}

impl<Q: ListSource> Kept<Q> {
    /// Read the search candidates now (before the first letter is typed), unless kept.
    fn prepare(&mut self, store: &Store, q: &Q) -> Result<()> {
        let version = q.version(store)?;
        if !self
            .search
            .as_ref()
            .is_some_and(|s| &s.query == q && s.version == version)
        {
            self.search = Some(Search::new(q.clone(), version, q.search_text(store)?));
        }
        Ok(())
    }

    /// The list's length: counted again only when the query or the data changed.
    fn count(&mut self, store: &Store, q: &Q) -> Result<usize> {
        let version = q.version(store)?;
        if let Some((cq, cv, n)) = &self.total {
            if cq == q && *cv == version {
                return Ok(*n);
            }
        }
        let n = q.count(store)?;
        self.total = Some((q.clone(), version, n));
        Ok(n)
    }

    /// The window a request asks for: (length, selection, start, rows).
    fn window(&mut self, store: &Store, req: &ListRequest<Q>) -> Result<(usize, usize, usize, Vec<Q::Row>)> {
        let q = &req.view.query;
        let text = req.view.text.trim();
        if text.is_empty() {
            let total = self.count(store, q)?;
            let found = match req.keep {
                Some(id) => q.position(store, id)?,
                None => None,
            };
            let (sel, start) = place(total, found, req.sel, req.size);
            let start = if req.requery {
                start
            } else {
                window_start(req.sel, total, req.size)
            };
            return Ok((total, sel, start, q.page(store, start, req.size)?));
        }
        self.prepare(store, q)?;
        let Some(search) = self.search.as_mut() else {
            return Ok((0, 0, 0, Vec::new()));
        };
        let ids = search.ranked(text);
        let found = req.keep.and_then(|k| ids.iter().position(|i| *i == k));
        let (sel, start) = place(ids.len(), found, req.sel, req.size);
        let start = if req.requery {
            start
        } else {
            window_start(req.sel, ids.len(), req.size)
        };
        let end = (start + req.size).min(ids.len());
        Ok((ids.len(), sel, start, Q::by_ids(store, &ids[start..end])?))
    }
}

/// Answers list requests, keeping each list's search candidates and length between requests.
#[derive(Default)]
pub struct Lister {
    accounts: Kept<AccountListQuery>,
    tickets: Kept<QueueQuery>,
}

type Result<T> = crate::store::Result<T>;

/// The rows around a requested selection: (selection, start).
fn place(total: usize, found: Option<usize>, sel: usize, size: usize) -> (usize, usize) {
    let sel = found.unwrap_or(sel).min(total.saturating_sub(1));
    (sel, window_start(sel, total, size))
}

impl Lister {
    /// Read the accounts' search candidates now, before the first letter is typed.
    pub fn prepare_accounts(&mut self, store: &Store, q: &AccountListQuery) -> Result<()> {
        self.accounts.prepare(store, q)
    }

    /// Read the queue's search candidates now, before the first letter is typed.
    pub fn prepare_tickets(&mut self, store: &Store, q: &QueueQuery) -> Result<()> {
        self.tickets.prepare(store, q)
    }

    pub fn accounts(&mut self, store: &Store, req: &ListRequest<AccountListQuery>) -> Result<ListReply<Account>> {
        let (total, sel, start, rows) = self.accounts.window(store, req)?;
        let ids: Vec<i64> = rows.iter().map(|a| a.id).collect();
        Ok(ListReply {
            seq: req.seq,
            requery: req.requery,
            total,
            sel,
            start,
            trend_from: store.trend_starts(&ids, &req.view.query.trend_since)?,
            rows,
        })
    }

    /// The queue's candidates are read against the minute in the query: they follow the clock
    /// only when the queue asks again.
    pub fn tickets(&mut self, store: &Store, req: &ListRequest<QueueQuery>) -> Result<ListReply<Ticket>> {
        let (total, sel, start, rows) = self.tickets.window(store, req)?;
        Ok(ListReply {
            seq: req.seq,
            requery: req.requery,
            total,
            sel,
            start,
            rows,
            trend_from: HashMap::new(),
        })
    }
}
