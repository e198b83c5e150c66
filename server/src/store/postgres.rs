//! The store on PostgreSQL, for several Draftroom processes sharing
//! meetings: the same tables as SQLite's (`postgres.sql`), the same group
//! commit (one transaction per batch, a savepoint per job), completions
//! only after the commit. Every call has a deadline: PostgreSQL not
//! answering in time is a storage failure like a failing disk, and the
//! connection is given up and opened again.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use crate::store::batch::{Backend, Fence, Health, Job};
use crate::store::error::StoreError;
use crate::store::owners;
use crate::store::session::Session;
use crate::store::sql::{DbError, WriteResult};
use crate::store::txn::Txn;

/// The schema, applied on every start (it only creates what is missing).
const SCHEMA: &str = include_str!("postgres.sql");

/// How to reach PostgreSQL.
#[derive(Debug, Clone)]
pub struct PostgresOptions {
    /// A `postgres://` URL or a `key=value` connection string.
    pub url: String,
    /// How long any one call may take before the storage counts as failing.
    pub timeout: Duration,
}

impl PostgresOptions {
    /// `url` with a deadline of 3 s.
    pub fn new(url: impl Into<String>) -> PostgresOptions {
        PostgresOptions {
            url: url.into(),
            timeout: Duration::from_secs(3),
        }
    }
}

/// Size of the probe's write, as SQLite's.
const PROBE_BYTES: usize = 64 * 1024;

/// The writer's PostgreSQL connection, opened again after it failed.
pub(super) struct Postgres {
    options: PostgresOptions,
    session: Option<Session>,
    /// When the connection was last given up for a failure, or a connect
    /// failed: for a second after, batches fail at once instead of each
    /// waiting out a connect of its own.
    down: Option<Instant>,
}

/// How long after a failure batches fail without trying to connect.
const RETRY_CONNECT_AFTER: Duration = Duration::from_secs(1);

impl Postgres {
    /// Connects and brings the schema up to date.
    pub(super) fn open(options: &PostgresOptions) -> Result<Postgres, StoreError> {
        let session = Session::connect(&options.url, options.timeout)?;
        // One transaction: the script takes an advisory lock (processes
        // starting together apply it one at a time) and refuses a database
        // of a newer version.
        session.batch(&format!("BEGIN; {SCHEMA}; COMMIT"))?;
        Ok(Postgres {
            options: options.clone(),
            session: Some(session),
            down: None,
        })
    }

    /// The session, connecting again if the last one was given up (at
    /// once when `now`, as the probe does; else not within a second of the
    /// last failure).
    fn session(&mut self, now: bool) -> WriteResult<&Session> {
        if self.session.is_none() {
            if !now && self.down.is_some_and(|t| t.elapsed() < RETRY_CONNECT_AFTER) {
                return Err(DbError::Unreachable);
            }
            match Session::connect(&self.options.url, self.options.timeout) {
                Ok(s) => {
                    self.session = Some(s);
                    self.down = None;
                }
                Err(e) => {
                    self.down = Some(Instant::now());
                    return Err(e);
                }
            }
        }
        Ok(self.session.as_ref().expect("just connected"))
    }
}

/// The leases the batch's jobs are written under that their process no
/// longer holds; those it holds stay locked until the batch commits, so no
/// takeover slips in between this check and the commit.
fn lost_leases(session: &Session, batch: &[Job]) -> WriteResult<HashSet<Fence>> {
    let mut checked = HashSet::new();
    let mut lost = HashSet::new();
    for fence in batch.iter().filter_map(|j| j.fence) {
        if checked.insert(fence)
            && !owners::holds(
                &Txn::Postgres(session),
                fence.meeting,
                fence.process,
                fence.epoch,
            )?
        {
            tracing::warn!(meeting = %fence.meeting, epoch = fence.epoch, "lease lost: this process no longer owns the meeting; its writes are refused");
            lost.insert(fence);
        }
    }
    Ok(lost)
}

impl Backend for Postgres {
    fn run_batch(&mut self, batch: &mut [Job], health: &Health) -> Vec<Result<(), StoreError>> {
        let mut job_results: Vec<Result<(), DbError>> = Vec::with_capacity(batch.len());
        let outcome = (|| -> Result<(), DbError> {
            let session = self.session(false)?;
            session.batch("BEGIN")?;
            let lost = lost_leases(session, batch)?;
            // A batch of one job (a keystroke, as a rule) needs no
            // savepoint: if the job fails, nothing else is rolled back with
            // it. Each round trip saved is latency before the relay.
            let solo = batch.iter().filter(|j| j.write.is_some()).count() == 1;
            let mut release = false;
            for job in batch.iter_mut() {
                let Some(write) = job.write.take() else {
                    continue;
                };
                if job.fence.is_some_and(|f| lost.contains(&f)) {
                    job_results.push(Err(DbError::Fenced));
                    continue;
                }
                if !solo {
                    session.batch(if release {
                        "RELEASE SAVEPOINT job; SAVEPOINT job"
                    } else {
                        "SAVEPOINT job"
                    })?;
                }
                let r = write(&Txn::Postgres(session));
                release = false;
                match &r {
                    Ok(()) => release = !solo,
                    Err(e) if e.is_storage_failure() => return Err(r.unwrap_err()),
                    Err(_) if solo => session.batch("ROLLBACK; BEGIN")?,
                    Err(_) => session.batch("ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job")?,
                }
                job_results.push(r);
            }
            // COMMIT in a transaction a failed statement aborted rolls back
            // without an error; the statement before it errs instead, so a
            // job that swallowed a failure cannot pass as committed.
            session.batch(if release {
                "RELEASE SAVEPOINT job; COMMIT"
            } else {
                "SELECT 1; COMMIT"
            })
        })();
        match outcome {
            Ok(()) => {
                if job_results.iter().any(Result::is_ok) {
                    health.wrote();
                }
                job_results
                    .into_iter()
                    .map(|r| r.map_err(StoreError::from))
                    .collect()
            }
            Err(e) => {
                if e.is_storage_failure() {
                    // The connection's state is unknown: give it up (the
                    // server rolls back what it had not committed).
                    if self.session.take().is_some() {
                        self.down = Some(Instant::now());
                    }
                } else if let Some(s) = &self.session
                    && s.batch("ROLLBACK").is_err()
                {
                    self.session = None;
                }
                health.batch_failed(&e, batch.len())
            }
        }
    }

    fn probe(&mut self, health: &Health) {
        let result = (|| -> WriteResult<()> {
            let session = self.session(true)?;
            session.batch("BEGIN")?;
            // Random bytes: zeros would be compressed to nothing.
            let pad: Vec<u8> = (0..PROBE_BYTES).map(|_| rand::random::<u8>()).collect();
            Txn::Postgres(session).execute(
                "INSERT INTO store_probe (id, at, pad) VALUES (1, ?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET at = excluded.at, pad = excluded.pad",
                crate::store::sql::args![crate::clock::now_ms(), pad],
            )?;
            session.batch("COMMIT")
        })();
        match result {
            Ok(()) => health.wrote(),
            Err(e) => {
                self.session = None;
                tracing::debug!(error = %e, "PostgreSQL still failing");
            }
        }
    }
}
