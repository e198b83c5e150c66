//! The store on PostgreSQL, for several Draftroom processes sharing
//! meetings: the same tables as SQLite's (`postgres.sql`), the same group
//! commit (one transaction per batch, a savepoint per job), completions
//! only after the commit. Every call has a deadline: PostgreSQL not
//! answering in time is a storage failure like a failing disk, and the
//! connection is given up and opened again.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::time::{Duration, Instant};

use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Statement};

use crate::store::error::StoreError;
use crate::store::owners;
use crate::store::sql::{Arg, DbError, Txn, WriteResult, to_postgres_placeholders};
use crate::store::writer::{Backend, Fence, Health, Job};

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
    /// The default deadline of every call.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

    /// `url` with the default deadline.
    pub fn new(url: impl Into<String>) -> PostgresOptions {
        PostgresOptions {
            url: url.into(),
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }
}

/// Size of the probe's write, as SQLite's.
const PROBE_BYTES: usize = 64 * 1024;

/// One connection to PostgreSQL, driven by its own single-threaded runtime
/// on the writer thread: the store's jobs are plain functions, and each of
/// their calls waits for its answer (or its deadline) here.
pub struct Session {
    rt: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
    /// Prepared statements by their SQLite text.
    statements: RefCell<HashMap<String, Statement>>,
    timeout: Duration,
}

impl Session {
    fn connect(options: &PostgresOptions) -> WriteResult<Session> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| DbError::Failed(format!("cannot start the PostgreSQL client: {e}")))?;
        let mut config: tokio_postgres::Config = options.url.parse()?;
        config
            .connect_timeout(options.timeout)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(10))
            .application_name("draftroom");
        let timeout = options.timeout;
        let (client, connection) = rt
            .block_on(async { tokio::time::timeout(timeout, config.connect(NoTls)).await })
            .map_err(|_| DbError::TimedOut(timeout))??;
        rt.spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(error = %e, "PostgreSQL connection closed");
            }
        });
        let session = Session {
            rt,
            client,
            statements: RefCell::default(),
            timeout,
        };
        // The server gives up on its side too, so that a statement stuck
        // behind a lock does not hold the batch past the deadline.
        let ms = timeout.as_millis();
        session.batch(&format!(
            "SET statement_timeout = {ms}; SET lock_timeout = {ms}; \
             SET idle_in_transaction_session_timeout = {}",
            ms * 2
        ))?;
        Ok(session)
    }

    /// Waits for `f` until the deadline.
    fn run<T>(&self, f: impl Future<Output = Result<T, tokio_postgres::Error>>) -> WriteResult<T> {
        // The deadline's timer is made inside the runtime it runs on.
        match self
            .rt
            .block_on(async { tokio::time::timeout(self.timeout, f).await })
        {
            Ok(r) => Ok(r?),
            Err(_) => Err(DbError::TimedOut(self.timeout)),
        }
    }

    /// Runs SQL without arguments (several statements allowed).
    fn batch(&self, sql: &str) -> WriteResult<()> {
        self.run(self.client.batch_execute(sql))
    }

    fn statement(&self, sql: &str) -> WriteResult<Statement> {
        if let Some(s) = self.statements.borrow().get(sql) {
            return Ok(s.clone());
        }
        let prepared = self.run(self.client.prepare(&to_postgres_placeholders(sql)))?;
        self.statements
            .borrow_mut()
            .insert(sql.to_owned(), prepared.clone());
        Ok(prepared)
    }

    /// Runs a statement; answers the number of rows it changed.
    pub(super) fn execute(&self, sql: &str, args: &[Arg<'_>]) -> WriteResult<usize> {
        let statement = self.statement(sql)?;
        let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a as _).collect();
        Ok(self.run(self.client.execute(&statement, &params))? as usize)
    }

    /// Every row a query answers.
    pub(super) fn query(
        &self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> WriteResult<Vec<tokio_postgres::Row>> {
        let statement = self.statement(sql)?;
        let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a as _).collect();
        self.run(self.client.query(&statement, &params))
    }
}

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
        let session = Session::connect(options)?;
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
            match Session::connect(&self.options) {
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
            for job in batch.iter_mut() {
                let Some(write) = job.write.take() else {
                    continue;
                };
                if job.fence.is_some_and(|f| lost.contains(&f)) {
                    job_results.push(Err(DbError::Fenced));
                    continue;
                }
                session.batch("SAVEPOINT job")?;
                let r = write(&Txn::Postgres(session));
                match &r {
                    Ok(()) => session.batch("RELEASE SAVEPOINT job")?,
                    Err(e) if e.is_storage_failure() => return Err(r.unwrap_err()),
                    Err(_) => session.batch("ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job")?,
                }
                job_results.push(r);
            }
            session.batch("COMMIT")
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
