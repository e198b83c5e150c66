//! The durable store: one SQLite file under the data directory, in WAL mode,
//! written by a single thread that batches whatever is queued into one
//! transaction (group commit). Every job's completion runs after its batch
//! has committed, in the order the jobs were queued, so a caller that relays
//! an update from its completion relays only what is durable, in order.
//!
//! When the storage itself fails (disk full, read-only, I/O error) the whole
//! batch is rolled back and every job in it fails, the store reports itself
//! not writable, and the writer probes the disk every second with a real
//! write until one commits; callers refuse writes meanwhile instead of
//! applying what cannot be made durable.

pub mod backup;
mod batch;
mod catalogue;
mod dir;
mod error;
mod meetings;
mod method;
pub mod owners;
mod postgres;
mod rooms;
mod schema;
mod session;
pub mod sql;
mod sqlite;
mod txn;
mod workflow;
mod writer;

pub use batch::Fence;
pub use catalogue::*;
pub use dir::{DB_FILE, DataDirLock};
pub use error::{StoreError, WriteResult};
pub use meetings::*;
pub use method::*;
pub use postgres::PostgresOptions;
pub use rooms::*;
pub use sql::DbError;
pub use txn::Txn;
pub use workflow::*;
pub use writer::{Announce, Store, StoreCloser};
