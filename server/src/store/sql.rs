//! The SQL the store speaks to either database: one transaction handle
//! ([`crate::store::Txn`]) over SQLite or PostgreSQL, its arguments ([`Arg`]), its rows
//! ([`Row`]) and its errors ([`DbError`]). Every query of the store is
//! written once, in SQL both databases take: `?1`-style placeholders (sent
//! to PostgreSQL as `$1`), `ON CONFLICT … DO NOTHING` rather than SQLite's
//! `INSERT OR IGNORE`, integers as 64-bit (PostgreSQL's `BIGINT`), and
//! `rowid` where SQLite's hidden one orders rows (PostgreSQL's tables carry
//! a column of that name).

use std::time::Duration;

use thiserror::Error;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};

/// A failure of one statement or of the database under it.
#[derive(Debug, Error)]
pub enum DbError {
    /// SQLite refused or failed.
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL refused or failed, or its connection broke.
    #[error("{}", postgres_message(.0))]
    Postgres(#[from] tokio_postgres::Error),
    /// PostgreSQL did not answer in time: the connection is given up, and
    /// whether the statement took effect is unknown.
    #[error("PostgreSQL did not answer within {} ms", .0.as_millis())]
    TimedOut(Duration),
    /// PostgreSQL could not be reached a moment ago: the call is not tried
    /// until the writer's probe reaches it again.
    #[error("PostgreSQL is unreachable")]
    Unreachable,
    /// This process no longer holds the meeting's lease: another process
    /// took it over, and nothing of the job was written.
    #[error("this process no longer owns the meeting (another took it over)")]
    Fenced,
    /// A failure passed on by its message: one that failed a whole batch,
    /// repeated for each of its jobs, or the client failing to start.
    #[error("{0}")]
    Failed(String),
    /// A query that must answer one row answered none.
    #[error("the query returned no rows")]
    NoRow,
    /// A stored value is not what the column should hold.
    #[error("column {col}: {why}")]
    Decode {
        /// The column's index in the row.
        col: usize,
        /// What was wrong.
        why: String,
    },
}

/// PostgreSQL's own words for a refusal (`elements are never deleted`),
/// else the driver's.
fn postgres_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => db.message().to_owned(),
        None => e.to_string(),
    }
}

impl DbError {
    /// Whether this is the storage failing, as opposed to one job's write
    /// being refused (a constraint, say): the whole batch cannot go on.
    pub fn is_storage_failure(&self) -> bool {
        use rusqlite::ErrorCode as C;
        match self {
            DbError::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => matches!(
                f.code,
                C::DiskFull
                    | C::SystemIoFailure
                    | C::ReadOnly
                    | C::CannotOpen
                    | C::DatabaseCorrupt
                    | C::NotADatabase
                    | C::OutOfMemory
                    | C::DatabaseBusy
                    | C::DatabaseLocked
                    | C::FileLockingProtocolFailed
                    | C::NoLargeFileSupport
            ),
            DbError::Sqlite(_)
            | DbError::Decode { .. }
            | DbError::NoRow
            | DbError::Fenced
            | DbError::Failed(_) => false,
            DbError::TimedOut(_) | DbError::Unreachable => true,
            DbError::Postgres(e) => match e.as_db_error() {
                // No answer from the server: the connection broke.
                None => true,
                // Connection exceptions, insufficient resources, operator
                // intervention (shutdown, cancel, statement timeout),
                // system errors, internal errors.
                Some(db) => {
                    let class = &db.code().code()[..2];
                    matches!(class, "08" | "53" | "57" | "58" | "XX")
                }
            },
        }
    }

    /// The same failure, for another job of a failed batch.
    pub(crate) fn copy(&self) -> DbError {
        match self {
            DbError::Sqlite(rusqlite::Error::SqliteFailure(code, msg)) => {
                DbError::Sqlite(rusqlite::Error::SqliteFailure(*code, msg.clone()))
            }
            DbError::TimedOut(d) => DbError::TimedOut(*d),
            DbError::Unreachable => DbError::Unreachable,
            DbError::Fenced => DbError::Fenced,
            other => DbError::Failed(other.to_string()),
        }
    }

    /// The database's message when it refused a write (a trigger or a
    /// constraint), without the driver's decoration.
    pub fn refusal(&self) -> Option<String> {
        match self {
            DbError::Sqlite(rusqlite::Error::SqliteFailure(_, Some(m))) => Some(m.clone()),
            DbError::Postgres(e) => e.as_db_error().map(|db| db.message().to_owned()),
            _ => None,
        }
    }
}

/// What a job's write step returns.
pub type WriteResult<T> = Result<T, DbError>;

/// One argument of a statement.
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    /// SQL NULL.
    Null,
    /// A 64-bit integer (booleans are 0 and 1).
    Int(i64),
    /// UTF-8 text.
    Text(&'a str),
    /// Bytes.
    Blob(&'a [u8]),
}

/// A value that can be a statement's argument.
pub trait ToArg {
    /// The argument, borrowing from `self`.
    fn to_arg(&self) -> Arg<'_>;
}

macro_rules! int_args {
    ($($t:ty),*) => {$(
        impl ToArg for $t {
            fn to_arg(&self) -> Arg<'_> {
                Arg::Int(*self as i64)
            }
        }
    )*};
}
int_args!(i64, i32, u32, u16, u8);

impl ToArg for bool {
    fn to_arg(&self) -> Arg<'_> {
        Arg::Int(i64::from(*self))
    }
}

impl ToArg for str {
    fn to_arg(&self) -> Arg<'_> {
        Arg::Text(self)
    }
}

impl ToArg for String {
    fn to_arg(&self) -> Arg<'_> {
        Arg::Text(self)
    }
}

impl ToArg for [u8] {
    fn to_arg(&self) -> Arg<'_> {
        Arg::Blob(self)
    }
}

impl ToArg for Vec<u8> {
    fn to_arg(&self) -> Arg<'_> {
        Arg::Blob(self)
    }
}

impl<T: ToArg> ToArg for Option<T> {
    fn to_arg(&self) -> Arg<'_> {
        match self {
            Some(v) => v.to_arg(),
            None => Arg::Null,
        }
    }
}

impl<T: ToArg + ?Sized> ToArg for &T {
    fn to_arg(&self) -> Arg<'_> {
        (**self).to_arg()
    }
}

/// A statement's arguments, in placeholder order: `args![id, seq as i64]`.
macro_rules! args {
    ($($x:expr),* $(,)?) => {
        &[$($crate::store::sql::ToArg::to_arg(&$x)),*] as &[$crate::store::sql::Arg<'_>]
    };
}
pub(crate) use args;

impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match *self {
            Arg::Null => ValueRef::Null,
            Arg::Int(i) => ValueRef::Integer(i),
            Arg::Text(s) => ValueRef::Text(s.as_bytes()),
            Arg::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

impl ToSql for Arg<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match *self {
            Arg::Null => Ok(IsNull::Yes),
            // PostgreSQL says what it expects; an integer goes out in that
            // width, or is refused if it does not fit.
            Arg::Int(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(i)?.to_sql(ty, out),
                Type::BOOL => (i != 0).to_sql(ty, out),
                _ => Err(format!("an integer cannot be sent as {ty}").into()),
            },
            Arg::Text(s) => s.to_sql(ty, out),
            Arg::Blob(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// One row of a query's answer.
pub enum Row<'r> {
    /// From SQLite.
    Sqlite(&'r rusqlite::Row<'r>),
    /// From PostgreSQL.
    Postgres(&'r tokio_postgres::Row),
}

impl Row<'_> {
    /// Column `i`, as `T`.
    pub fn get<T: Cell>(&self, i: usize) -> WriteResult<T> {
        match self {
            Row::Sqlite(r) => Ok(T::sqlite(r, i)?),
            Row::Postgres(r) => T::postgres(r, i),
        }
    }
}

/// A Rust value a column can be read as.
pub trait Cell: Sized {
    /// From a SQLite row.
    fn sqlite(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self>;
    /// From a PostgreSQL row.
    fn postgres(r: &tokio_postgres::Row, i: usize) -> WriteResult<Self>;
}

/// An integer column of PostgreSQL, whatever its width.
fn pg_int(r: &tokio_postgres::Row, i: usize) -> WriteResult<Option<i64>> {
    let ty = r.columns().get(i).map(|c| c.type_().clone());
    Ok(match ty {
        Some(Type::INT8) => r.try_get::<_, Option<i64>>(i)?,
        Some(Type::INT4) => r.try_get::<_, Option<i32>>(i)?.map(i64::from),
        Some(Type::INT2) => r.try_get::<_, Option<i16>>(i)?.map(i64::from),
        Some(Type::BOOL) => r.try_get::<_, Option<bool>>(i)?.map(i64::from),
        other => {
            return Err(DbError::Decode {
                col: i,
                why: format!("expected an integer, found {other:?}"),
            });
        }
    })
}

fn not_null<T>(v: Option<T>, col: usize) -> WriteResult<T> {
    v.ok_or_else(|| DbError::Decode {
        col,
        why: "NULL where a value is required".into(),
    })
}

/// Integers: read as i64 from PostgreSQL, converted with a range check.
trait FromInt: Sized {
    fn from_int(v: i64, col: usize) -> WriteResult<Self>;
}

macro_rules! int_cells {
    ($($t:ty),*) => {$(
        impl FromInt for $t {
            fn from_int(v: i64, col: usize) -> WriteResult<Self> {
                <$t>::try_from(v).map_err(|_| DbError::Decode {
                    col,
                    why: format!("{v} is out of range for {}", stringify!($t)),
                })
            }
        }
        impl Cell for $t {
            fn sqlite(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self> {
                r.get(i)
            }
            fn postgres(r: &tokio_postgres::Row, i: usize) -> WriteResult<Self> {
                <$t>::from_int(not_null(pg_int(r, i)?, i)?, i)
            }
        }
        impl Cell for Option<$t> {
            fn sqlite(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self> {
                r.get(i)
            }
            fn postgres(r: &tokio_postgres::Row, i: usize) -> WriteResult<Self> {
                pg_int(r, i)?.map(|v| <$t>::from_int(v, i)).transpose()
            }
        }
    )*};
}
int_cells!(i64, u32);

impl Cell for bool {
    fn sqlite(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self> {
        r.get(i)
    }
    fn postgres(r: &tokio_postgres::Row, i: usize) -> WriteResult<Self> {
        Ok(not_null(pg_int(r, i)?, i)? != 0)
    }
}

macro_rules! owned_cells {
    ($($t:ty),*) => {$(
        impl Cell for $t {
            fn sqlite(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self> {
                r.get(i)
            }
            fn postgres(r: &tokio_postgres::Row, i: usize) -> WriteResult<Self> {
                Ok(r.try_get(i)?)
            }
        }
        impl Cell for Option<$t> {
            fn sqlite(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self> {
                r.get(i)
            }
            fn postgres(r: &tokio_postgres::Row, i: usize) -> WriteResult<Self> {
                Ok(r.try_get(i)?)
            }
        }
    )*};
}
owned_cells!(String, Vec<u8>);

/// `sql` with SQLite's `?1` placeholders written as PostgreSQL's `$1`
/// (outside quoted strings); a bare `?` takes the next number.
pub(crate) fn to_postgres_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut quoted = false;
    let mut next = 1;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '?' if !quoted => {
                out.push('$');
                if chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                    while let Some(d) = chars.next_if(|d| d.is_ascii_digit()) {
                        out.push(d);
                    }
                } else {
                    out.push_str(&next.to_string());
                    next += 1;
                }
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres_outside_strings() {
        assert_eq!(
            to_postgres_placeholders("SELECT a FROM t WHERE b = ?1 AND c = ?12 AND d = '?1'"),
            "SELECT a FROM t WHERE b = $1 AND c = $12 AND d = '?1'"
        );
        assert_eq!(
            to_postgres_placeholders("INSERT INTO t VALUES (?, ?)"),
            "INSERT INTO t VALUES ($1, $2)"
        );
    }
}
