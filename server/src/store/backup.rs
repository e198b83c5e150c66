//! Online backup and restore of the store.
//!
//! A backup is a consistent copy of the whole database taken while the
//! server runs: SQLite's `VACUUM INTO` reads one snapshot (in WAL mode
//! readers never block the writer, nor it them) and writes it compacted to
//! a new file, which is then checked and synced before it takes its final
//! name. A restore needs the server stopped: it checks the backup, moves
//! the current database aside (never deleting it) and puts the backup in
//! its place.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use crate::store::dir::{DB_FILE, DataDirLock};
use crate::store::schema;

/// What a backup or restore reports.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// SQLite failed.
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A file could not be read or written.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Why it failed.
        source: std::io::Error,
    },
    /// Something is not as it must be; the sentence says what.
    #[error("{0}")]
    Refused(String),
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> BackupError {
    let what = what.into();
    move |source| BackupError::Io { what, source }
}

/// What a database holds, for the report of a backup or restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    /// Meetings.
    pub meetings: u64,
    /// Members of all meetings.
    pub members: u64,
    /// Amendments.
    pub amendments: u64,
    /// Frozen versions.
    pub versions: u64,
    /// Lines of the attribution journal.
    pub journal: u64,
    /// Room updates in the logs (after compaction).
    pub updates: u64,
    /// Size of the file in bytes.
    pub bytes: u64,
}

impl std::fmt::Display for Contents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} meetings, {} members, {} amendments, {} versions, {} journal lines, {} room updates; {} bytes",
            self.meetings,
            self.members,
            self.amendments,
            self.versions,
            self.journal,
            self.updates,
            self.bytes
        )
    }
}

/// Checks a database file through and counts what it holds.
pub fn inspect(path: &Path) -> Result<Contents, BackupError> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if !(1..=schema::VERSION).contains(&version) {
        return Err(BackupError::Refused(format!(
            "{} is not a Draftroom store this version can read (schema {version}, this server knows 1 to {})",
            path.display(),
            schema::VERSION
        )));
    }
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(BackupError::Refused(format!(
            "{} fails SQLite's integrity check: {check}",
            path.display()
        )));
    }
    let count = |table: &str| -> Result<u64, rusqlite::Error> {
        let has: bool = conn.query_row(
            "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [table],
            |r| r.get(0),
        )?;
        if !has {
            return Ok(0);
        }
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| {
            r.get::<_, i64>(0)
        })
        .map(|n| n as u64)
    };
    Ok(Contents {
        meetings: count("meetings")?,
        members: count("users")?,
        amendments: count("amendments")?,
        versions: count("versions")?,
        journal: count("journal")?,
        updates: count("room_updates")?,
        bytes: fs::metadata(path)
            .map_err(io("read the file's size"))?
            .len(),
    })
}

/// Writes a consistent copy of the store under `data_dir` to `out`, while
/// the server may be running. `out` must not exist yet.
pub fn backup(data_dir: &Path, out: &Path) -> Result<Contents, BackupError> {
    let db = data_dir.join(DB_FILE);
    if !db.is_file() {
        return Err(BackupError::Refused(format!(
            "no store at {} (is --data right?)",
            db.display()
        )));
    }
    if out.exists() {
        return Err(BackupError::Refused(format!(
            "{} exists already; a backup never overwrites a file",
            out.display()
        )));
    }
    let partial = with_suffix(out, ".partial");
    let _ = fs::remove_file(&partial);
    let conn = Connection::open_with_flags(&db, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    let written = conn
        .execute("VACUUM INTO ?1", [partial.to_string_lossy()])
        .map(|_| ());
    drop(conn);
    if let Err(e) = written {
        let _ = fs::remove_file(&partial);
        return Err(e.into());
    }
    let contents = match inspect(&partial) {
        Ok(c) => c,
        Err(e) => {
            let _ = fs::remove_file(&partial);
            return Err(e);
        }
    };
    File::open(&partial)
        .and_then(|f| f.sync_all())
        .map_err(io("sync the backup"))?;
    fs::rename(&partial, out).map_err(io(format!("rename the backup to {}", out.display())))?;
    sync_dir(out)?;
    Ok(contents)
}

/// Replaces the store under `data_dir` with the backup `from`. The server
/// must not be running there. The database it replaces is kept beside it
/// as `draftroom.sqlite3.before-restore-TIME`; answers what was restored
/// and where the old one went.
pub fn restore(from: &Path, data_dir: &Path) -> Result<(Contents, Option<PathBuf>), BackupError> {
    let contents = inspect(from)?;
    fs::create_dir_all(data_dir).map_err(io(format!("create {}", data_dir.display())))?;
    let _lock = DataDirLock::take(data_dir).map_err(|e| BackupError::Refused(e.to_string()))?;
    let db = data_dir.join(DB_FILE);
    let incoming = with_suffix(&db, ".restoring");
    fs::copy(from, &incoming).map_err(io(format!("copy {}", from.display())))?;
    File::open(&incoming)
        .and_then(|f| f.sync_all())
        .map_err(io("sync the restored file"))?;
    let mut kept = None;
    if db.exists() {
        let stamp = crate::clock::now_ms();
        let aside = with_suffix(&db, &format!(".before-restore-{stamp}"));
        // The WAL belongs to the old file: checkpoint it in, so the file
        // kept aside is whole on its own.
        if let Ok(old) = Connection::open(&db) {
            let _ = old.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
        fs::rename(&db, &aside).map_err(io("move the current store aside"))?;
        kept = Some(aside);
    }
    for suffix in ["-wal", "-shm"] {
        let stale = with_suffix(&db, suffix);
        if stale.exists() {
            fs::remove_file(&stale).map_err(io(format!("remove {}", stale.display())))?;
        }
    }
    fs::rename(&incoming, &db).map_err(io("put the backup in place"))?;
    sync_dir(&db)?;
    Ok((contents, kept))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Syncs the directory holding `path`, so a rename in it is durable.
fn sync_dir(path: &Path) -> Result<(), BackupError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(format!("sync {}", dir.display())))
}
