//! The store: the only place in tend that speaks SQL.

mod accounts;
mod backup;
mod demo;
mod export;
pub mod files;
mod health;
mod health_scan;
mod import;
mod investigations;
mod lists;
mod metrics;
mod responses;
mod review;
mod tasks;
mod tickets;

pub use accounts::*;
pub use backup::*;
pub use export::*;
pub use health::*;
pub use import::*;
pub use investigations::*;
pub use lists::*;
pub use metrics::*;
pub use responses::*;
pub use review::*;
pub use tickets::*;

use crate::domain::{Timestamp, UnknownWord};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use rusqlite_migration::{M, Migrations};
use std::fs::{self, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Every migration, in order. A test checks that this list matches `migrations/`.
pub const MIGRATION_FILES: &[(&str, &str)] = &[
    ("0001_initial.sql", include_str!("../../migrations/0001_initial.sql")),
    (
        "0002_daily_review.sql",
        include_str!("../../migrations/0002_daily_review.sql"),
    ),
    (
        "0003_change_counters.sql",
        include_str!("../../migrations/0003_change_counters.sql"),
    ),
    (
        "0004_responses.sql",
        include_str!("../../migrations/0004_responses.sql"),
    ),
    (
        "0005_investigation_counter.sql",
        include_str!("../../migrations/0005_investigation_counter.sql"),
    ),
    (
        "0006_revenue_metrics.sql",
        include_str!("../../migrations/0006_revenue_metrics.sql"),
    ),
    ("0007_imports.sql", include_str!("../../migrations/0007_imports.sql")),
    (
        "0008_list_windows.sql",
        include_str!("../../migrations/0008_list_windows.sql"),
    ),
    (
        "0009_health_mark.sql",
        include_str!("../../migrations/0009_health_mark.sql"),
    ),
];

pub fn migrations() -> Migrations<'static> {
    Migrations::new(MIGRATION_FILES.iter().map(|(_, sql)| M::up(sql)).collect())
}

/// The schema version this binary writes.
pub fn schema_version() -> i64 {
    MIGRATION_FILES.len() as i64
}

/// How long a writer waits for another's lock before giving up. Long: the longest writes
/// (an import of millions of rows, the daily rescore) hold the lock for minutes at most, and
/// a change that waits for them is better than one refused. A command line says it is
/// waiting after `QUIET_WAIT`; the cockpit queues the change instead of waiting (its worker
/// asks for the lock for `COCKPIT_ATTEMPT` at a time), so it never stops to wait at all.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(600);

/// How long a command line waits for another's lock before saying that it is waiting.
pub const QUIET_WAIT: Duration = Duration::from_secs(1);

/// The wait for another's lock in force: `TEND_BUSY_TIMEOUT_MS` when set (tests use a short
/// one), else `BUSY_TIMEOUT`.
pub fn busy_timeout() -> Duration {
    std::env::var("TEND_BUSY_TIMEOUT_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_millis)
        .unwrap_or(BUSY_TIMEOUT)
}

fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 120.0 && s % 60.0 == 0.0 {
        format!("{:.0} min", s / 60.0)
    } else if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s:.1} s")
    }
}

/// SQLite's errors in words a person can act on; the ones a person cannot act on as SQLite says them.
fn sql_message(e: &rusqlite::Error) -> String {
    use rusqlite::ErrorCode;
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            "another process held the database's lock for longer than tend waits: nothing changed, try again".into()
        }
        Some(ErrorCode::DiskFull) => {
            "the disk is full: nothing of this change was written; free some space and try again".into()
        }
        Some(ErrorCode::ReadOnly) => "the database is open read-only, so nothing was changed".into(),
        Some(ErrorCode::CannotOpen) => format!("the database file cannot be opened ({e})"),
        Some(ErrorCode::SystemIoFailure) => format!(
            "reading or writing the database file failed ({e}); nothing of this change was kept, and what was saved before is intact"
        ),
        _ => format!("database error: {e}"),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path} is not a SQLite database; tend left it unchanged")]
    NotSqlite { path: String },
    #[error("{path} is a SQLite database but not a tend database; tend left it unchanged")]
    NotTend { path: String },
    #[error(
        "{path} has schema version {found}, newer than this tend understands ({supported}); upgrade tend — the database was left untouched"
    )]
    TooNew { path: String, found: i64, supported: i64 },
    #[error("cannot create the database at {path}: {source}")]
    Create { path: String, source: std::io::Error },
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("cannot write {what}: {source}")]
    Write { what: String, source: std::io::Error },
    #[error("the database could not be migrated: {0}")]
    Migrate(#[from] rusqlite_migration::Error),
    #[error("{what} {id} does not exist")]
    NotFound { what: &'static str, id: String },
    #[error("{0}")]
    Rule(String),
    /// A change made on a row read before someone else changed it: refused, so nothing is lost.
    #[error("{what} was changed meanwhile ({change}), so your change was not made; it shows as it is now")]
    Stale { what: String, change: String },
    #[error(transparent)]
    Word(#[from] UnknownWord),
    #[error("{}", sql_message(.0))]
    Sql(#[from] rusqlite::Error),
    #[error("{path} is read-only for you ({reason}); nothing was changed")]
    ReadOnly { path: String, reason: String },
    #[error(
        "{path} has schema version {found} and this tend needs {supported}, but it is read-only for you ({reason}), so it cannot be upgraded; ask its owner to open it once with this tend"
    )]
    NeedsUpgrade {
        path: String,
        found: i64,
        supported: i64,
        reason: String,
    },
    #[error("cannot open {path}: {why}")]
    CannotOpen { path: String, why: String },
    #[error("{path} fails SQLite's integrity check ({problem}); tend left everything unchanged")]
    Damaged { path: String, problem: String },
    /// Another process held the write lock for all of this connection's wait: nothing changed.
    #[error(
        "another process has been writing to the database for over {} (is one stuck? `fuser` on the file names it): nothing changed, try again",
        seconds(*.waited)
    )]
    Busy { waited: Duration },
}

impl StoreError {
    /// Whether this is a refusal for another process's lock, and nothing else.
    pub fn is_busy(&self) -> bool {
        match self {
            StoreError::Busy { .. } => true,
            StoreError::Sql(e) => is_busy(e),
            _ => false,
        }
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// How a connection waits for another process's write lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockWait {
    /// Waited without a word.
    pub quiet: Duration,
    /// Then, when set, a line on standard error says tend is waiting, and it waits this much more.
    pub said: Option<Duration>,
}

impl LockWait {
    /// A command line's: a second quietly, then say so and wait the rest of the busy timeout.
    pub fn command_line() -> LockWait {
        let total = busy_timeout();
        let quiet = total.min(QUIET_WAIT);
        LockWait {
            quiet,
            said: Some(total - quiet).filter(|d| !d.is_zero()),
        }
    }

    /// Wait `d` without a word, then refuse (`StoreError::Busy`).
    pub fn quiet(d: Duration) -> LockWait {
        LockWait { quiet: d, said: None }
    }

    fn total(&self) -> Duration {
        self.quiet + self.said.unwrap_or_default()
    }
}

/// Of one connection's write transactions since it was last asked: how many got the lock, and
/// how many were refused for another's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LockCounts {
    pub began: u32,
    pub refused: u32,
}

impl LockCounts {
    /// Refused before anything was written: the request changed nothing, and can be made again.
    pub fn refused_first(&self) -> bool {
        self.refused > 0 && self.began == 0
    }
}

impl StoreError {
    pub fn rule(e: impl ToString) -> Self {
        StoreError::Rule(e.to_string())
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// An open tend database, and who is writing to it.
pub struct Store {
    pub(crate) conn: Connection,
    path: Option<PathBuf>,
    actor: String,
    /// Why the database was opened read-only, when it was.
    read_only: Option<String>,
    /// The file opened, to tell when the path names another one (deleted, replaced).
    opened: Option<files::FileId>,
    /// How a write waits for another's lock.
    lock_wait: std::cell::Cell<LockWait>,
    lock_counts: std::cell::Cell<LockCounts>,
}

impl Drop for Store {
    fn drop(&mut self) {
        if let Some(id) = self.opened {
            files::note_closed(id);
        }
    }
}

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Refuse, before SQLite touches it, a file that is not a SQLite database. A file this
/// process already has open through SQLite is one, and is not opened again (`files::OPEN_HERE`
/// says why).
pub(crate) fn check_header(path: &Path) -> Result<()> {
    if files::is_open_here(path) {
        return Ok(());
    }
    let shown = path.display().to_string();
    let mut f = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(StoreError::Read { path: shown, source });
        }
    };
    let mut head = Vec::with_capacity(16);
    (&mut f)
        .take(16)
        .read_to_end(&mut head)
        .map_err(|source| StoreError::Read {
            path: shown.clone(),
            source,
        })?;
    if head.is_empty() || head.as_slice() == SQLITE_MAGIC {
        Ok(())
    } else {
        Err(StoreError::NotSqlite { path: shown })
    }
}

/// Create the file (and its folder) with owner-only permissions: it holds customer data.
pub(crate) fn create_private(path: &Path) -> Result<()> {
    let shown = path.display().to_string();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            fs::create_dir_all(dir).map_err(|source| StoreError::Create {
                path: shown.clone(),
                source,
            })?;
            let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o700));
        }
    }
    match OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(StoreError::Create { path: shown, source }),
    }
}

impl Store {
    /// Open (creating if needed) the database at `path`, set the pragmas and migrate it.
    /// Read-only, without migrating, when this user cannot write it (the reason is kept for
    /// the banner and for the message a write gets).
    pub fn open(path: &Path, actor: &str) -> Result<Store> {
        // no other open's header read may come between this one's connection and its record
        let _opening = files::OPENING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        check_header(path)?;
        let access = files::access_of(path)?;
        let (conn, read_only) = match access {
            files::Access::ReadWrite => {
                create_private(path)?;
                let conn = Connection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
                )?;
                (conn, None)
            }
            files::Access::ReadOnly { reason, immutable } => {
                let uri = files::sqlite_uri(path, if immutable { "immutable=1" } else { "" });
                let conn = Connection::open_with_flags(
                    uri,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
                )?;
                (conn, Some(reason))
            }
        };
        let mut store = Self::prepare_as(conn, Some(path.to_path_buf()), actor, read_only)?;
        store.opened = files::file_id(path);
        if let Some(id) = store.opened {
            files::note_open(id);
        }
        Ok(store)
    }

    /// A private in-memory database, for tests.
    pub fn open_in_memory(actor: &str) -> Result<Store> {
        Self::prepare(Connection::open_in_memory()?, None, actor)
    }

    fn prepare(conn: Connection, path: Option<PathBuf>, actor: &str) -> Result<Store> {
        Self::prepare_as(conn, path, actor, None)
    }

    fn prepare_as(
        mut conn: Connection,
        path: Option<PathBuf>,
        actor: &str,
        read_only: Option<String>,
    ) -> Result<Store> {
        let shown = path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| ":memory:".into());
        // the whole wait while opening (the migrations write), the quiet one from then on
        let lock_wait = LockWait::command_line();
        conn.busy_timeout(lock_wait.total())?;
        // Read-only checks first: nothing is written to a file we are going to refuse.
        let version: i64 = match conn.query_row("PRAGMA user_version", [], |r| r.get(0)) {
            Ok(v) => v,
            Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::NotADatabase => {
                return Err(StoreError::NotSqlite { path: shown });
            }
            Err(e) => return Err(e.into()),
        };
        if version > schema_version() {
            return Err(StoreError::TooNew {
                path: shown,
                found: version,
                supported: schema_version(),
            });
        }
        if version == 0 {
            let tables: i64 = conn.query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                [],
                |r| r.get(0),
            )?;
            if tables > 0 {
                return Err(StoreError::NotTend { path: shown });
            }
        }
        conn.pragma_update(None, "foreign_keys", "ON")?;
        if let Some(reason) = &read_only {
            // nothing is written: no journal mode to set, no migration to run
            if version == 0 {
                return Err(StoreError::CannotOpen {
                    path: shown,
                    why: format!("it is empty, and it is read-only for you ({reason}), so tend cannot set it up"),
                });
            }
            if version < schema_version() {
                return Err(StoreError::NeedsUpgrade {
                    path: shown,
                    found: version,
                    supported: schema_version(),
                    reason: reason.clone(),
                });
            }
        } else {
            if path.is_some() {
                let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
                conn.pragma_update(None, "synchronous", "NORMAL")?;
            }
            migrations().to_latest(&mut conn)?;
        }
        conn.busy_timeout(lock_wait.quiet)?;
        Ok(Store {
            conn,
            path,
            actor: actor.to_string(),
            read_only,
            opened: None,
            lock_wait: std::cell::Cell::new(lock_wait),
            lock_counts: Default::default(),
        })
    }

    /// How writes wait for another process's lock from now on.
    pub fn set_lock_wait(&self, wait: LockWait) -> Result<()> {
        self.conn.busy_timeout(wait.quiet)?;
        self.lock_wait.set(wait);
        Ok(())
    }

    /// How writes wait for another process's lock.
    pub fn lock_wait(&self) -> LockWait {
        self.lock_wait.get()
    }

    /// The write transactions begun and refused for another's lock since the last call.
    pub fn take_lock_counts(&self) -> LockCounts {
        self.lock_counts.take()
    }

    /// A write transaction that takes the write lock as it begins (`BEGIN IMMEDIATE`), waiting
    /// up to the busy timeout for another writer. A deferred one that read first and asked for
    /// the lock later would be refused at once ("database is locked") when another connection
    /// had written meanwhile, whatever the timeout: with several people on one database, every
    /// write that reads before it writes needs the lock from the start.
    ///
    /// Another's lock is waited for as `LockWait` says; past that the write is refused with
    /// `StoreError::Busy`, and counted, so that the cockpit can queue the change and make it
    /// again once the lock is free.
    pub(crate) fn write_tx(&self) -> Result<rusqlite::Transaction<'_>> {
        let begin = || rusqlite::Transaction::new_unchecked(&self.conn, rusqlite::TransactionBehavior::Immediate);
        let wait = self.lock_wait.get();
        let result = match begin() {
            Err(e) if is_busy(&e) && wait.said.is_some() => {
                let more = wait.said.unwrap_or_default();
                crate::output::note(&format!(
                    "tend: another process is writing to the database; waiting up to {} for it to finish (Ctrl-C gives up, changing nothing)",
                    seconds(wait.total())
                ));
                self.conn.busy_timeout(more)?;
                let again = begin();
                self.conn.busy_timeout(wait.quiet)?;
                again
            }
            r => r,
        };
        let mut counts = self.lock_counts.get();
        match result {
            Ok(tx) => {
                counts.began += 1;
                self.lock_counts.set(counts);
                Ok(tx)
            }
            Err(e) if is_busy(&e) => {
                counts.refused += 1;
                self.lock_counts.set(counts);
                Err(StoreError::Busy { waited: wait.total() })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Why the database is open read-only, when it is.
    pub fn read_only(&self) -> Option<&str> {
        self.read_only.as_deref()
    }

    /// Whether the path still names the file that was opened (`Same` for an in-memory store).
    pub fn file_state(&self) -> files::FileState {
        match (&self.path, self.opened) {
            (Some(p), Some(id)) => files::file_state(p, id),
            _ => files::FileState::Same,
        }
    }

    /// A write refused because the database is read-only, in one sentence with the reason;
    /// other errors as they are.
    pub fn explain(&self, e: StoreError) -> StoreError {
        match (&e, &self.read_only) {
            (StoreError::Sql(s), Some(reason)) if s.sqlite_error_code() == Some(rusqlite::ErrorCode::ReadOnly) => {
                StoreError::ReadOnly {
                    path: self.path.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
                    reason: reason.clone(),
                }
            }
            _ => e,
        }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    pub fn actor(&self) -> &str {
        &self.actor
    }

    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// `PRAGMA integrity_check` and the schema version.
    pub fn check(&self) -> Result<DbCheck> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        let problems: Vec<String> = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|s| s != "ok")
            .collect();
        let mut fk = self.conn.prepare("PRAGMA foreign_key_check")?;
        let fk_problems = fk.query_map([], |r| r.get::<_, String>(0))?.count();
        let version: i64 = self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let journal: String = self.conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
        Ok(DbCheck {
            ok: problems.is_empty() && fk_problems == 0,
            problems,
            foreign_key_problems: fk_problems,
            schema_version: version,
            supported_version: schema_version(),
            journal_mode: journal,
        })
    }

    /// Record a write in the audit log. Called inside the write's transaction.
    pub(crate) fn audit(
        conn: &Connection,
        actor: &str,
        now: Timestamp,
        entity: &str,
        entity_id: i64,
        action: &str,
        detail: &str,
    ) -> Result<()> {
        conn.execute(
            "INSERT INTO audit_log (at, actor, entity, entity_id, action, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![now, actor, entity, entity_id, action, detail],
        )?;
        Ok(())
    }

    /// Refuse a change to an entity read at version `expected` when it has moved on to `found`
    /// since, saying who changed it last and how.
    pub(crate) fn check_version(
        conn: &Connection,
        entity: &str,
        id: i64,
        expected: Option<i64>,
        found: i64,
    ) -> Result<()> {
        if expected.is_none_or(|v| v == found) {
            return Ok(());
        }
        let last: Option<(String, Timestamp, String)> = conn
            .query_row(
                "SELECT actor, at, action FROM audit_log WHERE entity = ?1 AND entity_id = ?2 ORDER BY id DESC LIMIT 1",
                params![entity, id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let change = match last {
            Some((actor, at, action)) => format!("{action} by {actor}, {}", crate::domain::format_time(at)),
            None => "by another process".to_string(),
        };
        let what = match entity {
            "ticket" => format!("Ticket #{id}"),
            other => format!("{}{} {id}", other[..1].to_uppercase(), &other[1..]),
        };
        Err(StoreError::Stale { what, change })
    }

    /// Refuse, as `check_version` does, a change to a ticket (or, without one, an account) read
    /// at version `expected`, when it has changed since. Ok: its version now.
    pub fn check_current(&self, ticket: Option<i64>, account: Option<i64>, expected: Option<i64>) -> Result<i64> {
        self.check_current_in(&self.conn, ticket, account, expected)
    }

    /// `check_current` on a connection (inside a transaction).
    pub(crate) fn check_current_in(
        &self,
        conn: &Connection,
        ticket: Option<i64>,
        account: Option<i64>,
        expected: Option<i64>,
    ) -> Result<i64> {
        let (entity, table, id) = match (ticket, account) {
            (Some(t), _) => ("ticket", "tickets", t),
            (None, Some(a)) => ("account", "accounts", a),
            (None, None) => return Ok(0),
        };
        let found: i64 = conn
            .query_row(&format!("SELECT version FROM {table} WHERE id = ?1"), [id], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or_else(|| StoreError::NotFound {
                what: entity,
                id: id.to_string(),
            })?;
        Self::check_version(conn, entity, id, expected, found)?;
        Ok(found)
    }

    /// The audit log, newest first.
    pub fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>> {
        self.audit_entries(&AuditQuery {
            limit,
            ..AuditQuery::default()
        })
    }

    /// The audit log entries at or after `since` (and by `actor`), newest first (by their time,
    /// through its index), `limit` at most (0: all).
    pub fn audit_entries(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let limit = if q.limit == 0 { -1 } else { q.limit as i64 };
        // with a time, read from it through its index rather than the whole log
        let since = if q.since.is_some() { "at >= ?1" } else { "?1 IS NULL" };
        self.read_audit(
            &format!(
                "SELECT at, actor, entity, entity_id, action, detail FROM audit_log \
                 WHERE {since} AND (?2 IS NULL OR actor = ?2) ORDER BY at DESC, id DESC LIMIT ?3"
            ),
            params![q.since, q.actor, limit],
        )
    }

    /// Who changed what on one ticket, or on one account (its own entries, and those of its
    /// contacts, tasks and investigations), newest first.
    pub fn audit_of(&self, of: AuditOf, limit: usize) -> Result<Vec<AuditEntry>> {
        match of {
            AuditOf::Ticket(id) => self.read_audit(
                "SELECT at, actor, entity, entity_id, action, detail FROM audit_log \
                 WHERE entity = 'ticket' AND entity_id = ?1 ORDER BY id DESC LIMIT ?2",
                params![id, limit as i64],
            ),
            AuditOf::Account(id) => self.read_audit(
                "SELECT at, actor, entity, entity_id, action, detail FROM audit_log WHERE id IN ( \
                 SELECT id FROM audit_log WHERE entity = 'account' AND entity_id = ?1 \
                 UNION ALL SELECT l.id FROM tasks t CROSS JOIN audit_log l ON l.entity = 'task' AND l.entity_id = t.id WHERE t.account_id = ?1 \
                 UNION ALL SELECT l.id FROM contacts c CROSS JOIN audit_log l ON l.entity = 'contact' AND l.entity_id = c.id WHERE c.account_id = ?1 \
                 UNION ALL SELECT l.id FROM investigations i CROSS JOIN audit_log l ON l.entity = 'investigation' AND l.entity_id = i.id WHERE i.account_id = ?1) \
                 ORDER BY id DESC LIMIT ?2",
                params![id, limit as i64],
            ),
        }
    }

    /// (CROSS JOIN above keeps SQLite to the account's own rows first, then each one's entries
    /// by index: left to itself it walks every task's entries.)
    fn read_audit(&self, sql: &str, args: impl rusqlite::Params) -> Result<Vec<AuditEntry>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt
            .query_map(args, |r| {
                Ok(AuditEntry {
                    at: r.get(0)?,
                    actor: r.get(1)?,
                    entity: r.get(2)?,
                    entity_id: r.get(3)?,
                    action: r.get(4)?,
                    detail: r.get(5)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Whether the database holds no accounts yet.
    pub fn is_empty(&self) -> Result<bool> {
        let any: Option<i64> = self
            .conn
            .query_row("SELECT id FROM accounts LIMIT 1", [], |r| r.get(0))
            .optional()?;
        Ok(any.is_none())
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DbCheck {
    pub ok: bool,
    pub problems: Vec<String>,
    pub foreign_key_problems: usize,
    pub schema_version: i64,
    pub supported_version: i64,
    pub journal_mode: String,
}

/// Which audit entries to read: since a time, by one actor, how many at most (0: all).
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub since: Option<Timestamp>,
    pub actor: Option<String>,
    pub limit: usize,
}

/// Whose audit entries: a ticket's, or an account's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditOf {
    Ticket(i64),
    Account(i64),
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    pub at: Timestamp,
    pub actor: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    pub action: String,
    pub detail: String,
}

/// Settings for work that reads or writes much of the database in one transaction, restored
/// on drop: a larger page cache (pages stay in memory until the commit instead of being read
/// again or spilled to the WAL; it is a ceiling, so small work pays nothing for it), and
/// statement journals in memory (a write that fires a trigger journals the pages it changes,
/// and once that journal spilled to a temporary file, every later statement wrote to it).
/// Changing temp_store drops temporary tables: make one before filling `temp.health_scope`.
pub(crate) struct BulkSettings<'c> {
    conn: &'c Connection,
    cache_size: i64,
    temp_store: i64,
}

impl<'c> BulkSettings<'c> {
    /// 256 MiB, in SQLite's negative-means-KiB form.
    const CACHE_KIB: i64 = -256 * 1024;

    pub(crate) fn new(conn: &'c Connection) -> Result<BulkSettings<'c>> {
        let cache_size: i64 = conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
        let temp_store: i64 = conn.query_row("PRAGMA temp_store", [], |r| r.get(0))?;
        conn.pragma_update(None, "cache_size", Self::CACHE_KIB.min(cache_size))?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        Ok(BulkSettings {
            conn,
            cache_size,
            temp_store,
        })
    }
}

impl Drop for BulkSettings<'_> {
    fn drop(&mut self) {
        // best effort: a failure leaves only a larger cache or journals in memory
        let _ = self.conn.pragma_update(None, "cache_size", self.cache_size);
        let _ = self.conn.pragma_update(None, "temp_store", self.temp_store);
    }
}

/// Read a stored word column into its enum, as a SQL conversion error if it is not one.
pub(crate) fn word<T: std::str::FromStr<Err = UnknownWord>>(s: String) -> rusqlite::Result<T> {
    s.parse::<T>()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

/// Statements recorded while tracing is on, with their bound values (for checking query plans).
static TRACED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

fn record_statement(event: rusqlite::trace::TraceEvent<'_>) {
    if let rusqlite::trace::TraceEvent::Stmt(stmt, sql) = event {
        // a trigger's own statements come as comments; the statement that fired it is enough
        if sql.starts_with("--") {
            return;
        }
        if let (Some(text), Ok(mut seen)) = (stmt.expanded_sql(), TRACED.lock()) {
            seen.push(text);
        }
    }
}

impl Store {
    /// Start or stop recording the statements this connection runs.
    pub fn trace_statements(&self, on: bool) {
        let f: Option<fn(rusqlite::trace::TraceEvent<'_>)> = if on { Some(record_statement) } else { None };
        self.conn
            .trace_v2(rusqlite::trace::TraceEventCodes::SQLITE_TRACE_STMT, f);
    }

    /// The statements recorded since the last call (by any connection that traces).
    pub fn traced_statements() -> Vec<String> {
        TRACED.lock().map(|mut v| std::mem::take(&mut *v)).unwrap_or_default()
    }

    /// SQLite's plan for a statement: one line per step, as `EXPLAIN QUERY PLAN` gives them.
    pub fn query_plan(&self, sql: &str) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(3))?
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid_and_listed() {
        migrations().validate().unwrap();
        let mut on_disk: Vec<String> = fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        on_disk.sort();
        let listed: Vec<&str> = MIGRATION_FILES.iter().map(|(n, _)| *n).collect();
        assert_eq!(on_disk, listed);
        for (i, (name, _)) in MIGRATION_FILES.iter().enumerate() {
            assert!(name.starts_with(&format!("{:04}_", i + 1)), "{name} is out of order");
        }
    }

    #[test]
    fn each_migration_applies_from_the_one_before_keeping_data() {
        // from every earlier schema, with data in it, to the latest
        for from in 1..MIGRATION_FILES.len() {
            let mut conn = Connection::open_in_memory().unwrap();
            conn.pragma_update(None, "foreign_keys", "ON").unwrap();
            migrations().to_version(&mut conn, from).unwrap();
            conn.execute(
                "INSERT INTO accounts (name, segment, stage, signup_date, created_at, updated_at) \
                 VALUES ('Kept', 'smb', 'adoption', '2026-01-01', 0, 0)",
                [],
            )
            .unwrap();
            let store = Store::prepare(conn, None, "t").unwrap();
            let name: String = store
                .conn
                .query_row("SELECT name FROM accounts", [], |r| r.get(0))
                .unwrap();
            assert_eq!(name, "Kept");
            let v: i64 = store.conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
            assert_eq!(v, schema_version());
        }
    }

    #[test]
    fn in_memory_store_migrates_to_latest() {
        let s = Store::open_in_memory("t").unwrap();
        let v: i64 = s.conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, schema_version());
        assert!(s.is_empty().unwrap());
        assert!(s.check().unwrap().ok);
    }

    #[test]
    fn on_disk_pragmas_take() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/tend.db");
        let s = Store::open(&path, "t").unwrap();
        let fk: i64 = s.conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
        assert_eq!(fk, 1);
        let jm: String = s.conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(jm, "wal");
        let bt: i64 = s.conn.query_row("PRAGMA busy_timeout", [], |r| r.get(0)).unwrap();
        assert_eq!(
            bt as u128,
            LockWait::command_line().quiet.as_millis(),
            "a second quietly, at most"
        );
        if std::env::var_os("TEND_BUSY_TIMEOUT_MS").is_none() {
            assert_eq!(bt, 1000);
            assert_eq!(
                s.lock_wait(),
                LockWait {
                    quiet: Duration::from_secs(1),
                    said: Some(Duration::from_secs(599))
                }
            );
        }
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        drop(s);
        // reopening is idempotent
        Store::open(&path, "t").unwrap();
    }
}
