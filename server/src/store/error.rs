//! How the store fails: the error its callers see, and the result of one
//! write inside a transaction.

use std::path::PathBuf;

use thiserror::Error;

use crate::store::sql::DbError;

/// A failure of the store.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error("storage failed: {0}")]
    Db(#[from] DbError),
    /// The data directory could not be prepared.
    #[error("cannot prepare data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The storage failed (disk full, read-only, I/O error): nothing of
    /// the batch was written.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Another process holds the data directory.
    #[error("another Draftroom process (a server or a restore) is using {0}; stop it first")]
    InUse(PathBuf),
    /// The writer thread could not be started.
    #[error("cannot start the store's writer thread: {0}")]
    Thread(std::io::Error),
    /// The writer thread is gone (the server is shutting down).
    #[error("the store is closed")]
    Closed,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Db(DbError::Sqlite(e))
    }
}

pub use crate::store::sql::WriteResult;
