//! Backups while others write, and restoring one into the live database.

use super::{Result, Store, StoreError, busy_timeout, check_header, create_private, files, migrations, schema_version};
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What a backup wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BackupReport {
    pub path: PathBuf,
    pub bytes: u64,
    pub accounts: i64,
    pub tickets: i64,
}

/// What a restore did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RestoreReport {
    /// The database as it was before, kept beside it.
    pub kept: PathBuf,
    pub accounts: i64,
    pub tickets: i64,
    /// The schema version the restored file had (it was upgraded when older).
    pub from_version: i64,
}

/// Copy all of `from` into `to` in one step: the copy reads one snapshot of `from` (in WAL
/// mode, writers carry on meanwhile) and writes `to` in one transaction, so its other readers
/// see either all of the old or all of the new. Waits for a lock at most the busy timeout.
fn copy_all(from: &Connection, to: &mut Connection) -> Result<()> {
    let deadline = Instant::now() + busy_timeout();
    let b = Backup::new(from, to)?;
    loop {
        match b.step(-1)? {
            StepResult::Done => return Ok(()),
            StepResult::More | StepResult::Busy | StepResult::Locked if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            _ => {
                return Err(StoreError::Sql(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                    None,
                )));
            }
        }
    }
}

fn integrity_problem(conn: &Connection) -> Result<Option<String>> {
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let first: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .take(1)
        .collect::<std::result::Result<_, _>>()?;
    // the first problem, on one line ("*** in database main ***" heads SQLite's report)
    Ok(first.into_iter().next().filter(|s| s != "ok").map(|s| {
        s.lines()
            .filter(|l| !l.starts_with("***"))
            .collect::<Vec<_>>()
            .join(" ")
    }))
}

fn counts(conn: &Connection) -> Result<(i64, i64)> {
    Ok((
        conn.query_row("SELECT count(*) FROM accounts", [], |r| r.get(0))?,
        conn.query_row("SELECT count(*) FROM tickets", [], |r| r.get(0))?,
    ))
}

/// Open a file that claims to be a tend database, only to read it, leaving nothing beside it:
/// without a -wal next to it the file holds everything, and SQLite is told it cannot change.
fn open_to_read(file: &Path) -> Result<Connection> {
    let [wal, _] = files::companions(file);
    let params = if wal.exists() { "mode=ro" } else { "immutable=1" };
    Ok(Connection::open_with_flags(
        files::sqlite_uri(file, params),
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
    )?)
}

/// Check that `file` is a whole tend database this tend can take; its connection and schema
/// version. Every refusal is one sentence, and nothing is written anywhere.
pub fn check_restorable(file: &Path) -> Result<(Connection, i64)> {
    let shown = file.display().to_string();
    let meta = std::fs::metadata(file).map_err(|source| StoreError::Read {
        path: shown.clone(),
        source,
    })?;
    if !meta.is_file() {
        return Err(StoreError::NotSqlite { path: shown });
    }
    check_header(file)?;
    let not_tend = || StoreError::NotTend { path: shown.clone() };
    if meta.len() == 0 {
        return Err(not_tend());
    }
    let conn = open_to_read(file)?;
    let damaged = |e: rusqlite::Error| match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => StoreError::NotSqlite { path: shown.clone() },
        Some(rusqlite::ErrorCode::DatabaseCorrupt) => StoreError::Damaged {
            path: shown.clone(),
            problem: e.to_string(),
        },
        _ => StoreError::Sql(e),
    };
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(damaged)?;
    if version > schema_version() {
        return Err(StoreError::TooNew {
            path: shown,
            found: version,
            supported: schema_version(),
        });
    }
    let tend_tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('accounts', 'tickets', 'audit_log')",
            [],
            |r| r.get(0),
        )
        .map_err(damaged)?;
    if version == 0 || tend_tables < 3 {
        return Err(not_tend());
    }
    match integrity_problem(&conn) {
        Ok(None) => {}
        Ok(Some(problem)) => return Err(StoreError::Damaged { path: shown, problem }),
        Err(StoreError::Sql(e)) => return Err(damaged(e)),
        Err(e) => return Err(e),
    }
    Ok((conn, version))
}

/// A file name beside the database that does not exist yet: `tend.db.before-restore-STAMP`.
pub fn kept_copy_path(db: &Path, stamp: &str) -> PathBuf {
    let base = files::with_suffix(db, &format!(".before-restore-{stamp}"));
    let mut p = base.clone();
    let mut n = 2;
    while p.exists() {
        p = files::with_suffix(&base, &format!("-{n}"));
        n += 1;
    }
    p
}

impl Store {
    /// A consistent copy through SQLite's online backup, safe while others write: one snapshot,
    /// read while writers carry on, checked with `PRAGMA integrity_check` once written. The
    /// file is created owner-only.
    pub fn backup(&self, dest: &Path) -> Result<BackupReport> {
        create_private(dest)?;
        let mut out = Connection::open(dest)?;
        copy_all(&self.conn, &mut out)?;
        if let Some(problem) = integrity_problem(&out)? {
            return Err(StoreError::Damaged {
                path: dest.display().to_string(),
                problem,
            });
        }
        let (accounts, tickets) = counts(&out)?;
        drop(out);
        let bytes = std::fs::metadata(dest).map(|m| m.len()).unwrap_or(0);
        Ok(BackupReport {
            path: dest.to_path_buf(),
            bytes,
            accounts,
            tickets,
        })
    }

    /// Replace the database's contents with `file`'s, after checking it is a whole tend
    /// database and keeping a copy of the current contents at `keep`. The contents go in
    /// through SQLite's online backup, as one transaction: anyone with it open sees the old or
    /// the new, never a mix. A file from an older tend is upgraded on the way (the file itself
    /// is left as it is).
    pub fn restore(&mut self, file: &Path, keep: &Path) -> Result<RestoreReport> {
        if let Some(reason) = &self.read_only {
            return Err(StoreError::ReadOnly {
                path: self.path.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
                reason: reason.clone(),
            });
        }
        if let (Some(live), Ok(other)) = (&self.path, std::fs::canonicalize(file)) {
            if std::fs::canonicalize(live).is_ok_and(|l| l == other) {
                return Err(StoreError::Rule(format!(
                    "{} is the database in use; name a backup file to restore from",
                    file.display()
                )));
            }
        }
        let (src, from_version) = check_restorable(file)?;
        let page = |c: &Connection| -> Result<i64> { Ok(c.query_row("PRAGMA page_size", [], |r| r.get(0))?) };
        let src = if from_version < schema_version() {
            let mut mem = Connection::open_in_memory()?;
            copy_all(&src, &mut mem)?;
            migrations().to_latest(&mut mem)?;
            mem
        } else {
            src
        };
        let (theirs, ours) = (page(&src)?, page(&self.conn)?);
        if theirs != ours {
            return Err(StoreError::Rule(format!(
                "{} uses pages of {theirs} bytes and the database in use {ours}, so it cannot be copied in while others may have it open; \
                 with no tend running, move the database aside and copy the file in its place",
                file.display()
            )));
        }
        self.backup(keep)?;
        copy_all(&src, &mut self.conn)?;
        let (accounts, tickets) = counts(&self.conn)?;
        Ok(RestoreReport {
            kept: keep.to_path_buf(),
            accounts,
            tickets,
            from_version,
        })
    }
}
