//! One connection to PostgreSQL for the store's writer thread.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Statement};

use crate::store::sql::{Arg, DbError, WriteResult, to_postgres_placeholders};

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
    pub(super) fn connect(url: &str, timeout: Duration) -> WriteResult<Session> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| DbError::Failed(format!("cannot start the PostgreSQL client: {e}")))?;
        let mut config: tokio_postgres::Config = url.parse()?;
        config
            .connect_timeout(timeout)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(10))
            .application_name("draftroom");
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
    pub(super) fn batch(&self, sql: &str) -> WriteResult<()> {
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
