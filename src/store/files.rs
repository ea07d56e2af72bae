//! The database's files on disk: whether this user can write them, who else can read them,
//! sharing them with a group, and whether the file at the path is still the one open.

use super::{Result, StoreError};
use nix::unistd::{AccessFlags, Gid, Group, User, access};
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// A path with a suffix added to its file name (`tend.db` + `-wal`).
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// The files SQLite keeps beside a database in WAL mode: the log and its shared-memory index.
pub fn companions(path: &Path) -> [PathBuf; 2] {
    [with_suffix(path, "-wal"), with_suffix(path, "-shm")]
}

/// The folder a database lives in.
pub fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn can(path: &Path, how: AccessFlags) -> bool {
    access(path, how).is_ok()
}

/// `0644`-style.
fn mode_of(meta: &fs::Metadata) -> String {
    format!("{:04o}", meta.permissions().mode() & 0o7777)
}

fn owner_name(uid: u32) -> String {
    User::from_uid(uid.into())
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_else(|| uid.to_string())
}

fn group_name(gid: u32) -> String {
    Group::from_gid(gid.into())
        .ok()
        .flatten()
        .map(|g| g.name)
        .unwrap_or_else(|| gid.to_string())
}

/// How this user can open the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    ReadWrite,
    /// Readable only: why (for the banner and messages), and whether SQLite must be told the
    /// file cannot change (`immutable`), because it has nowhere to keep its shared memory.
    ReadOnly {
        reason: String,
        immutable: bool,
    },
}

fn read_only_fs(path: &Path) -> bool {
    nix::sys::statvfs::statvfs(path)
        .map(|s| s.flags().contains(nix::sys::statvfs::FsFlags::ST_RDONLY))
        .unwrap_or(false)
}

/// Decide how to open the database at `path`, before SQLite touches it. A missing file is
/// read-write (it is created). An error says, in one sentence, why it cannot be read at all.
pub fn access_of(path: &Path) -> Result<Access> {
    let shown = path.display().to_string();
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Access::ReadWrite),
        Err(source) => return Err(StoreError::Read { path: shown, source }),
    };
    let dir = folder_of(path);
    let [wal, shm] = companions(path);
    let wal_there = wal.exists() && shm.exists();
    if read_only_fs(path) {
        // nobody writes through this mount: without a log beside it, the file cannot change
        return Ok(Access::ReadOnly {
            reason: "it is on a read-only file system".into(),
            immutable: !wal_there,
        });
    }
    let dir_writable = can(&dir, AccessFlags::W_OK | AccessFlags::X_OK);
    if can(path, AccessFlags::W_OK) {
        if dir_writable || (wal_there && can(&wal, AccessFlags::W_OK) && can(&shm, AccessFlags::W_OK)) {
            return Ok(Access::ReadWrite);
        }
        return Err(StoreError::CannotOpen {
            path: shown,
            why: format!(
                "its folder {} is not writable for you, and SQLite needs to create its -wal and -shm files there; \
                 make the folder writable for you, or move the database to one that is",
                dir.display()
            ),
        });
    }
    let reason = format!(
        "you cannot write it: owner {}, group {}, mode {}",
        owner_name(meta.uid()),
        group_name(meta.gid()),
        mode_of(&meta)
    );
    if dir_writable || wal_there {
        return Ok(Access::ReadOnly {
            reason,
            immutable: false,
        });
    }
    if meta.permissions().mode() & 0o222 == 0 {
        // no one may write it as it stands, so it cannot change under this reader
        return Ok(Access::ReadOnly {
            reason: format!("{reason}, so no one can change it"),
            immutable: true,
        });
    }
    Err(StoreError::CannotOpen {
        path: shown,
        why: format!(
            "it is read-only for you ({reason}), its folder {} is too, and no one has it open, so SQLite has nowhere \
             to keep the shared-memory file a reader needs; ask its owner for write access to the folder, or copy \
             the database somewhere you can write",
            dir.display()
        ),
    })
}

fn sh_quote(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// A warning when the database or its companions can be read or written by every user on the
/// machine (the "other" permission bits), with the command that fixes it.
pub fn exposure_warning(path: &Path) -> Option<String> {
    let mut open_to_all = Vec::new();
    let mut bits = 0;
    for p in std::iter::once(path.to_path_buf()).chain(companions(path)) {
        if let Ok(m) = fs::metadata(&p) {
            let o = m.permissions().mode() & 0o007;
            if o & 0o006 != 0 {
                bits |= o;
                open_to_all.push(p);
            }
        }
    }
    if open_to_all.is_empty() {
        return None;
    }
    let what = match (bits & 0o004 != 0, bits & 0o002 != 0) {
        (true, true) => "read and changed",
        (true, false) => "read",
        _ => "changed",
    };
    let mode = fs::metadata(path).map(|m| mode_of(&m)).unwrap_or_default();
    // the glob takes the -wal and -shm that exist then (and any copy kept beside it)
    Some(format!(
        "{} can be {what} by every user on this machine (mode {mode}); `chmod o-rwx {}*` fixes it (`tend db share --group GROUP` shares it with a team instead)",
        path.display(),
        sh_quote(&path.display().to_string())
    ))
}

/// What `share` did, and what still keeps the group out.
#[derive(Debug, Clone)]
pub struct Shared {
    pub group: String,
    pub gid: u32,
    /// The files changed: the database and whichever companions exist.
    pub files: Vec<PathBuf>,
    /// What keeps the group's members from opening it, each with its fix; empty when nothing does.
    pub obstacles: Vec<String>,
}

/// Give the database and its companions to `group`, read and write for it and nothing for
/// others (0660); SQLite gives the -wal and -shm files it makes later the database's mode.
pub fn share(path: &Path, group: &str) -> Result<Shared> {
    let g = match Group::from_name(group) {
        Ok(Some(g)) => g,
        Ok(None) | Err(_) => {
            return Err(StoreError::Rule(format!(
                "there is no group '{group}' on this machine; name one that `getent group` lists, or create it first (groupadd {group})"
            )));
        }
    };
    let gid = g.gid;
    let me = nix::unistd::geteuid();
    let member = nix::unistd::getegid() == gid || nix::unistd::getgroups().is_ok_and(|gs| gs.contains(&gid));
    if !me.is_root() && !member {
        return Err(StoreError::Rule(format!(
            "you are not in the group '{group}', so you cannot give it the database; ask an administrator to add you (usermod -aG {group} $USER), then log in again"
        )));
    }
    let mut files = Vec::new();
    for p in std::iter::once(path.to_path_buf()).chain(companions(path)) {
        if !p.exists() {
            continue;
        }
        let what = p.display().to_string();
        std::os::unix::fs::chown(&p, None, Some(gid.as_raw())).map_err(|source| StoreError::Write {
            what: format!("the group of {what}"),
            source,
        })?;
        fs::set_permissions(&p, fs::Permissions::from_mode(0o660)).map_err(|source| StoreError::Write {
            what: format!("the permissions of {what}"),
            source,
        })?;
        files.push(p);
    }
    Ok(Shared {
        group: group.to_string(),
        gid: gid.as_raw(),
        obstacles: obstacles(path, group, gid),
        files,
    })
}

/// What keeps members of the group from opening the database: a folder above it they cannot
/// pass through, or its own folder, where they must create and delete the -wal and -shm files
/// (and where new files should take the group).
fn obstacles(path: &Path, group: &str, gid: Gid) -> Vec<String> {
    let gid = gid.as_raw();
    let abs = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let dir = folder_of(&abs);
    let mut out = Vec::new();
    let mut blocked_above = Vec::new();
    for anc in dir.ancestors().skip(1) {
        let Ok(m) = fs::metadata(anc) else { continue };
        let mode = m.permissions().mode();
        let passable = mode & 0o001 != 0 || (m.gid() == gid && mode & 0o010 != 0);
        if !passable {
            blocked_above.push(format!(
                "{} (owner {}, mode {})",
                anc.display(),
                owner_name(m.uid()),
                mode_of(&m)
            ));
        }
    }
    let db = abs.display().to_string();
    let name = abs
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "tend.db".into());
    if !blocked_above.is_empty() {
        out.push(format!(
            "members of '{group}' cannot pass through {}; with no tend running, move the database to a folder the group shares: \
             `sudo install -d -m 2770 -g {group} /srv/tend && mv {} /srv/tend/ && tend --db /srv/tend/{} db share --group {group}`",
            blocked_above.join(", "),
            sh_quote(&db),
            sh_quote(&name)
        ));
        return out;
    }
    if let Ok(m) = fs::metadata(&dir) {
        let mode = m.permissions().mode();
        let group_rwx = m.gid() == gid && mode & 0o070 == 0o070;
        let setgid = mode & 0o2000 != 0;
        if !group_rwx || !setgid {
            out.push(format!(
                "its folder {} (group {}, mode {}) must let '{group}' create and delete the -wal and -shm files, and give new files the group: \
                 `chgrp {group} {d} && chmod 2770 {d}`",
                dir.display(),
                group_name(m.gid()),
                mode_of(&m),
                d = sh_quote(&dir.display().to_string())
            ));
        }
    }
    out
}

/// Which file a path names: its device and inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileId {
    dev: u64,
    ino: u64,
}

pub fn file_id(path: &Path) -> Option<FileId> {
    fs::metadata(path).ok().map(|m| FileId {
        dev: m.dev(),
        ino: m.ino(),
    })
}

/// Whether the path still names the database file that is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileState {
    Same,
    Deleted,
    Replaced,
}

pub fn file_state(path: &Path, opened: FileId) -> FileState {
    match file_id(path) {
        Some(id) if id == opened => FileState::Same,
        Some(_) => FileState::Replaced,
        None => FileState::Deleted,
    }
}

/// A `file:` URI for SQLite, with the characters a URI gives meaning to escaped.
pub fn sqlite_uri(path: &Path, params: &str) -> String {
    let mut s = String::from("file:");
    for b in path.as_os_str().as_encoded_bytes() {
        let c = *b as char;
        if c.is_ascii_alphanumeric() || "/-_.~".contains(c) {
            s.push(c);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    if !params.is_empty() {
        s.push('?');
        s.push_str(params);
    }
    s
}

/// The database files this process has open through SQLite, with how many connections each.
///
/// SQLite's locks on a database are POSIX record locks, and closing *any* descriptor of a file
/// drops every such lock the process holds on it. A file opened and closed beside SQLite's own
/// (to read its header, say) would so drop the shared lock a connection keeps on the database:
/// another process closing its last connection would then take the database for unused, fold
/// the write-ahead log into it and delete it, and this process's later commits would go to a
/// deleted log and be lost. So nothing opens a file SQLite has open here.
static OPEN_HERE: std::sync::Mutex<Vec<(FileId, usize)>> = std::sync::Mutex::new(Vec::new());

/// Held while a database is opened, so that no header is read beside a connection being made.
pub(crate) static OPENING: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn open_here() -> std::sync::MutexGuard<'static, Vec<(FileId, usize)>> {
    OPEN_HERE.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Whether a connection of this process has the file open.
pub(crate) fn is_open_here(path: &Path) -> bool {
    file_id(path).is_some_and(|id| open_here().iter().any(|(f, _)| *f == id))
}

/// A connection of this process opened the file.
pub(crate) fn note_open(id: FileId) {
    let mut open = open_here();
    match open.iter_mut().find(|(f, _)| *f == id) {
        Some((_, n)) => *n += 1,
        None => open.push((id, 1)),
    }
}

/// A connection of this process closed it.
pub(crate) fn note_closed(id: FileId) {
    let mut open = open_here();
    if let Some(i) = open.iter().position(|(f, _)| *f == id) {
        open[i].1 -= 1;
        if open[i].1 == 0 {
            open.swap_remove(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_escape_what_uris_mean() {
        assert_eq!(
            sqlite_uri(Path::new("/a b/c?d#e%.db"), ""),
            "file:/a%20b/c%3Fd%23e%25.db"
        );
        assert_eq!(sqlite_uri(Path::new("/x/t.db"), "mode=ro"), "file:/x/t.db?mode=ro");
    }

    #[test]
    fn a_private_file_raises_no_warning_and_an_open_one_does() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.db");
        fs::write(&p, b"").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(exposure_warning(&p), None);
        fs::set_permissions(&p, fs::Permissions::from_mode(0o660)).unwrap();
        assert_eq!(exposure_warning(&p), None, "the group bits are sharing, not exposure");
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        let w = exposure_warning(&p).unwrap();
        assert!(
            w.contains("can be read by every user") && w.contains("chmod o-rwx"),
            "{w}"
        );
        let wal = with_suffix(&p, "-wal");
        fs::write(&wal, b"").unwrap();
        fs::set_permissions(&wal, fs::Permissions::from_mode(0o666)).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
        let w = exposure_warning(&p).unwrap();
        assert!(w.contains("read and changed") && w.contains("t.db*`"), "{w}");
    }

    #[test]
    fn the_file_state_follows_deletion_and_replacement() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.db");
        fs::write(&p, b"one").unwrap();
        let id = file_id(&p).unwrap();
        assert_eq!(file_state(&p, id), FileState::Same);
        let other = dir.path().join("o.db");
        fs::write(&other, b"two").unwrap();
        fs::rename(&other, &p).unwrap();
        assert_eq!(file_state(&p, id), FileState::Replaced);
        fs::remove_file(&p).unwrap();
        assert_eq!(file_state(&p, id), FileState::Deleted);
    }
}
