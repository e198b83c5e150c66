//! The transaction handle every job of the store reads and writes
//! through, over SQLite or PostgreSQL (see [`crate::store::sql`]).

use crate::store::session::Session;
use crate::store::sql::{Arg, DbError, Row, WriteResult};

/// A transaction of the store's writer: every job's reads and writes go
/// through one, inside the writer's batch.
#[derive(Clone, Copy)]
pub enum Txn<'a> {
    /// A SQLite connection inside the batch's transaction (or savepoint).
    Sqlite(&'a rusqlite::Connection),
    /// A PostgreSQL session inside the batch's transaction.
    Postgres(&'a Session),
}

impl<'a> Txn<'a> {
    /// Runs a statement; answers the number of rows it changed.
    pub fn execute(&self, sql: &str, args: &[Arg<'_>]) -> WriteResult<usize> {
        match self {
            Txn::Sqlite(c) => Ok(c
                .prepare_cached(sql)?
                .execute(rusqlite::params_from_iter(args.iter()))?),
            Txn::Postgres(s) => s.execute(sql, args),
        }
    }

    /// Every row a query answers, each read by `f`.
    pub fn query<T>(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        mut f: impl FnMut(&Row<'_>) -> WriteResult<T>,
    ) -> WriteResult<Vec<T>> {
        match self {
            Txn::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let mut rows = stmt.query(rusqlite::params_from_iter(args.iter()))?;
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    out.push(f(&Row::Sqlite(r))?);
                }
                Ok(out)
            }
            Txn::Postgres(s) => s
                .query(sql, args)?
                .iter()
                .map(|r| f(&Row::Postgres(r)))
                .collect(),
        }
    }

    /// The first row a query answers, if any.
    pub fn query_opt<T>(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        f: impl FnOnce(&Row<'_>) -> WriteResult<T>,
    ) -> WriteResult<Option<T>> {
        match self {
            Txn::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let mut rows = stmt.query(rusqlite::params_from_iter(args.iter()))?;
                rows.next()?.map(|r| f(&Row::Sqlite(r))).transpose()
            }
            Txn::Postgres(s) => s
                .query(sql, args)?
                .first()
                .map(|r| f(&Row::Postgres(r)))
                .transpose(),
        }
    }

    /// The one row a query must answer.
    pub fn query_one<T>(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        f: impl FnOnce(&Row<'_>) -> WriteResult<T>,
    ) -> WriteResult<T> {
        self.query_opt(sql, args, f)?.ok_or(DbError::NoRow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::args;

    #[test]
    fn a_sqlite_transaction_reads_back_what_it_wrote_in_every_kind() {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        let t = Txn::Sqlite(&c);
        t.execute("CREATE TABLE t (i INTEGER, s TEXT, b BLOB, n INTEGER)", &[])
            .unwrap();
        let none: Option<String> = None;
        assert_eq!(
            t.execute(
                "INSERT INTO t VALUES (?1, ?2, ?3, ?4)",
                args![7u32, "zażółć 🎉", vec![0u8, 255], none],
            )
            .unwrap(),
            1
        );
        let (i, s, b, n) = t
            .query_one("SELECT i, s, b, n FROM t", &[], |r| {
                Ok((
                    r.get::<u32>(0)?,
                    r.get::<String>(1)?,
                    r.get::<Vec<u8>>(2)?,
                    r.get::<Option<i64>>(3)?,
                ))
            })
            .unwrap();
        assert_eq!((i, s.as_str(), b, n), (7, "zażółć 🎉", vec![0, 255], None));
        assert!(
            t.query_opt("SELECT i FROM t WHERE i = 8", &[], |r| r.get::<i64>(0))
                .unwrap()
                .is_none()
        );
    }
}
