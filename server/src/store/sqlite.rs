//! The store on SQLite: one file under the data directory, in WAL mode
//! with `synchronous=FULL`, held by one process at a time.

use rusqlite::Connection;
use std::path::Path;
use std::time::Duration;

use crate::store::batch::{Backend, Health, Job};
use crate::store::dir::{DB_FILE, DataDirLock};
use crate::store::error::StoreError;
use crate::store::schema;
use crate::store::sql::DbError;
use crate::store::txn::Txn;

/// How many prepared statements each connection keeps: every query of the
/// store, with room to spare.
const STATEMENT_CACHE: usize = 128;

/// The writer's SQLite connection, and the lock on its data directory
/// (dropped after the connection).
pub(super) struct Sqlite {
    conn: Connection,
    _lock: DataDirLock,
}

impl Sqlite {
    /// Opens (creating if needed) `draftroom.sqlite3` under `dir`, taking
    /// the directory's lock, and migrates its schema.
    pub(super) fn open(dir: &Path) -> Result<Sqlite, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir {
            path: dir.to_owned(),
            source,
        })?;
        let lock = DataDirLock::take(dir)?;
        let mut conn = Connection::open(dir.join(DB_FILE))?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        // WAL with synchronous=FULL: a commit is on disk when it returns,
        // even across power loss; group commit makes that cheap.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        schema::migrate(&mut conn)?;
        Ok(Sqlite { conn, _lock: lock })
    }
}

/// Size of the probe's write: enough pages that a disk with room for it
/// has room for the writes that wait.
const PROBE_BYTES: i64 = 64 * 1024;

impl Backend for Sqlite {
    /// Each job runs in a savepoint; a storage failure rolls the whole
    /// batch back and fails every job, since SQLite may already have
    /// rolled the transaction back and the jobs after it would otherwise
    /// commit one by one.
    fn run_batch(&mut self, batch: &mut [Job], health: &Health) -> Vec<Result<(), StoreError>> {
        let conn = &mut self.conn;
        let mut job_results: Vec<Result<(), DbError>> = Vec::with_capacity(batch.len());
        let changes_before = conn.total_changes();
        let outcome = (|| -> Result<(), DbError> {
            let mut txn = conn.transaction()?;
            for job in batch.iter_mut() {
                let Some(write) = job.write.take() else {
                    continue;
                };
                let sp = txn.savepoint()?;
                let r = write(&Txn::Sqlite(&sp));
                match r {
                    Ok(()) => sp.commit()?,
                    Err(e) if e.is_storage_failure() => return Err(e),
                    Err(_) => drop(sp), // rolls back this job only
                }
                if txn.is_autocommit() {
                    // SQLite ended the transaction behind our back.
                    return Err(DbError::Sqlite(rusqlite::Error::SqliteFailure(
                        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_IOERR),
                        Some("the transaction was rolled back by the storage layer".into()),
                    )));
                }
                job_results.push(r);
            }
            Ok(txn.commit()?)
        })();
        match outcome {
            Ok(()) => {
                if conn.total_changes() != changes_before {
                    health.wrote();
                }
                job_results
                    .into_iter()
                    .map(|r| r.map_err(StoreError::from))
                    .collect()
            }
            Err(e) => health.batch_failed(&e, batch.len()),
        }
    }

    /// Rewrites the probe row.
    fn probe(&mut self, health: &Health) {
        let result = (|| {
            let txn = self.conn.transaction()?;
            txn.execute(
                "INSERT OR REPLACE INTO store_probe (id, at, pad) VALUES (1, ?1, randomblob(?2))",
                rusqlite::params![crate::clock::now_ms(), PROBE_BYTES],
            )?;
            txn.commit()
        })();
        match result {
            Ok(()) => health.wrote(),
            Err(e) => tracing::debug!(error = %e, "storage still failing"),
        }
    }
}
