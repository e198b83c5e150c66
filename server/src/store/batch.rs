//! One batch of the store's writer: its jobs, the database that runs it
//! ([`Backend`]: SQLite or PostgreSQL), and the store's health that a
//! failing batch changes.

use std::sync::Mutex;
use std::time::Instant;

use tokio::sync::watch;

use crate::store::error::StoreError;
use crate::store::sql::{DbError, WriteResult};
use crate::store::txn::Txn;

/// Whether the store can write, shared by the writer and its handles.
pub(super) struct Health {
    /// `true` while writes commit.
    pub(super) writable: watch::Sender<bool>,
    /// When it stopped, for the log when it recovers.
    pub(super) since: Mutex<Option<Instant>>,
}

impl Health {
    pub(super) fn failed(&self, e: &DbError) {
        let mut since = self.since.lock().unwrap_or_else(|p| p.into_inner());
        if since.is_none() {
            *since = Some(Instant::now());
            tracing::error!(
                error = %e,
                "storage failed: refusing changes until a write commits again (probing every second); reads go on"
            );
        }
        self.writable
            .send_if_modified(|w| std::mem::replace(w, false));
    }

    /// Every job of a batch that failed as a whole fails with its error;
    /// a storage failure also marks the store not writable.
    pub(super) fn batch_failed(&self, e: &DbError, jobs: usize) -> Vec<Result<(), StoreError>> {
        tracing::error!(error = %e, jobs, "store batch failed; nothing in it was written");
        let storage = e.is_storage_failure();
        if storage {
            self.failed(e);
        }
        let why = e.to_string();
        (0..jobs)
            .map(|_| {
                Err(if storage {
                    StoreError::Unavailable(why.clone())
                } else {
                    StoreError::Db(e.copy())
                })
            })
            .collect()
    }

    pub(super) fn wrote(&self) {
        let mut since = self.since.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(t) = since.take() {
            tracing::warn!(
                down_ms = t.elapsed().as_millis() as u64,
                "storage recovered: changes are taken again"
            );
        }
        self.writable
            .send_if_modified(|w| !std::mem::replace(w, true));
    }
}

/// A job's write step, run inside the batch's transaction.
pub(super) type Write = Box<dyn FnOnce(&Txn) -> WriteResult<()> + Send>;
pub(super) type Done = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

/// One unit of work for the writer thread.
pub(super) struct Job {
    /// What it writes (taken out when it runs).
    pub(super) write: Option<Write>,
    pub(super) done: Option<Done>,
    /// The lease it is written under, checked in its transaction.
    pub(super) fence: Option<Fence>,
}

/// A database the writer thread drives: SQLite or PostgreSQL. Both run a
/// batch as one transaction with each job in a savepoint, so one job
/// refused does not take its neighbours down, and a storage failure takes
/// the whole batch down.
pub(super) trait Backend: Send + 'static {
    /// Runs every job of the batch in one transaction; answers each job's
    /// result, in order, once the transaction committed or failed.
    fn run_batch(&mut self, batch: &mut [Job], health: &Health) -> Vec<Result<(), StoreError>>;

    /// Tries one real write while the storage is failing; a commit means
    /// it is back.
    fn probe(&mut self, health: &Health);
}

/// A meeting's lease, as held by the process that owns it (see
/// [`crate::store::owners`]): a job written under it commits only while
/// the lease is still that process's under that epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fence {
    /// The meeting.
    pub meeting: uuid::Uuid,
    /// The process that owns it.
    pub process: uuid::Uuid,
    /// The lease's epoch.
    pub epoch: i64,
}
