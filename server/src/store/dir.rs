//! The data directory: where the database file is, and the lock that
//! keeps a second process (a server or a restore) off it.

use std::path::Path;

use crate::store::error::StoreError;

/// The database's file name under the data directory.
pub const DB_FILE: &str = "draftroom.sqlite3";

/// The lock file under the data directory: one process at a time uses it.
const LOCK_FILE: &str = "draftroom.lock";

/// Holds the data directory for this process: a second server, or a
/// restore, on the same directory is refused while it is held. The kernel
/// releases it when the process ends, however it ends.
pub struct DataDirLock {
    _file: std::fs::File,
}

impl DataDirLock {
    /// Takes the lock, or says who holds it.
    pub fn take(dir: &Path) -> Result<DataDirLock, StoreError> {
        let path = dir.join(LOCK_FILE);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| StoreError::DataDir {
                path: path.clone(),
                source,
            })?;
        match file.try_lock() {
            Ok(()) => Ok(DataDirLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::InUse(dir.to_owned())),
            Err(std::fs::TryLockError::Error(source)) => Err(StoreError::DataDir { path, source }),
        }
    }
}
