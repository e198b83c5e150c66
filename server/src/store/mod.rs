//! The durable store: one SQLite file under the data directory, in WAL mode,
//! written by a single thread that batches whatever is queued into one
//! transaction (group commit). Every job's completion runs after its batch
//! has committed, in the order the jobs were queued, so a caller that relays
//! an update from its completion relays only what is durable, in order.

mod meetings;
mod rooms;
mod schema;
mod workflow;

pub use meetings::*;
pub use rooms::*;
pub use workflow::*;

use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;
use thiserror::Error;
use tokio::sync::oneshot;

/// How many queued jobs one transaction takes at most.
const MAX_BATCH: usize = 4096;

/// A failure of the store.
#[derive(Debug, Error)]
pub enum StoreError {
    /// SQLite refused or failed.
    #[error("storage failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The data directory could not be prepared.
    #[error("cannot prepare data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The writer thread is gone (the server is shutting down).
    #[error("the store is closed")]
    Closed,
}

/// What a job's write step returns.
pub type WriteResult<T> = Result<T, rusqlite::Error>;

type Write = Box<dyn FnOnce(&Connection) -> WriteResult<()> + Send>;
type Done = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

/// One unit of work for the writer thread.
struct Job {
    write: Write,
    done: Option<Done>,
}

/// What the writer thread is sent.
enum Msg {
    Job(Job),
    /// Commit what came before, then stop.
    Stop,
}

/// Handle to the store; cheap to clone.
#[derive(Clone)]
pub struct Store {
    jobs: mpsc::Sender<Msg>,
}

/// Stops the writer thread once every job queued before has been committed.
pub struct StoreCloser {
    jobs: mpsc::Sender<Msg>,
    thread: Option<thread::JoinHandle<()>>,
}

impl StoreCloser {
    /// Commits everything queued so far, then closes the database. Jobs
    /// submitted afterwards fail with [`StoreError::Closed`].
    pub fn close(mut self) {
        let _ = self.jobs.send(Msg::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Store {
    /// Opens (creating if needed) `draftroom.sqlite3` under `dir` and starts
    /// the writer thread.
    pub fn open(dir: &Path) -> Result<(Store, StoreCloser), StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir {
            path: dir.to_owned(),
            source,
        })?;
        let mut conn = Connection::open(dir.join("draftroom.sqlite3"))?;
        conn.busy_timeout(Duration::from_secs(5))?;
        // WAL with synchronous=FULL: a commit is on disk when it returns,
        // even across power loss; group commit makes that cheap.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        schema::migrate(&mut conn)?;
        let (tx, rx) = mpsc::channel::<Msg>();
        let thread = thread::Builder::new()
            .name("draftroom-store".into())
            .spawn(move || writer_loop(conn, rx))
            .map_err(|source| StoreError::DataDir {
                path: dir.to_owned(),
                source,
            })?;
        Ok((
            Store { jobs: tx.clone() },
            StoreCloser {
                jobs: tx,
                thread: Some(thread),
            },
        ))
    }

    /// Queues a write; `done` runs on the writer thread once it committed (or
    /// failed). Jobs commit, and their `done`s run, in queue order.
    pub fn submit(
        &self,
        write: impl FnOnce(&Connection) -> WriteResult<()> + Send + 'static,
        done: impl FnOnce(Result<(), StoreError>) + Send + 'static,
    ) {
        let job = Job {
            write: Box::new(write),
            done: Some(Box::new(done)),
        };
        if let Err(mpsc::SendError(Msg::Job(Job {
            done: Some(done), ..
        }))) = self.jobs.send(Msg::Job(job))
        {
            done(Err(StoreError::Closed));
        }
    }

    /// Runs `f` in the writer's order (after everything queued before it)
    /// and answers its result once committed.
    pub async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> WriteResult<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (tx, rx) = oneshot::channel();
        let slot = std::sync::Arc::new(std::sync::Mutex::new(None));
        let out = slot.clone();
        self.submit(
            move |txn| {
                let v = f(txn)?;
                *out.lock().expect("store slot") = Some(v);
                Ok(())
            },
            move |res| {
                let res = res.map(|()| slot.lock().expect("store slot").take().expect("value"));
                let _ = tx.send(res);
            },
        );
        rx.await.map_err(|_| StoreError::Closed)?
    }
}

fn writer_loop(mut conn: Connection, rx: mpsc::Receiver<Msg>) {
    let mut batch: Vec<Job> = Vec::with_capacity(64);
    let mut stopping = false;
    while !stopping {
        match rx.recv() {
            Ok(Msg::Job(job)) => batch.push(job),
            Ok(Msg::Stop) | Err(_) => break,
        }
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(Msg::Job(job)) => batch.push(job),
                Ok(Msg::Stop) => {
                    stopping = true;
                    break;
                }
                Err(_) => break,
            }
        }
        let results = run_batch(&mut conn, &mut batch);
        for (job, result) in batch.drain(..).zip(results) {
            if let Some(done) = job.done {
                done(result);
            }
        }
    }
    // Whatever raced in after the stop is refused, not lost silently.
    while let Ok(msg) = rx.try_recv() {
        if let Msg::Job(Job {
            done: Some(done), ..
        }) = msg
        {
            done(Err(StoreError::Closed));
        }
    }
    tracing::debug!("store writer stopped; database closed");
}

/// Runs every job of the batch in one transaction, each in a savepoint so
/// one failing job does not take the others down with it.
fn run_batch(conn: &mut Connection, batch: &mut [Job]) -> Vec<Result<(), StoreError>> {
    let mut job_results: Vec<Result<(), rusqlite::Error>> = Vec::with_capacity(batch.len());
    let outcome = (|| -> Result<(), rusqlite::Error> {
        let mut txn = conn.transaction()?;
        for job in batch.iter_mut() {
            let write = std::mem::replace(&mut job.write, Box::new(|_| Ok(())));
            let sp = txn.savepoint()?;
            let r = write(&sp);
            if r.is_ok() {
                sp.commit()?;
            } else {
                drop(sp); // rolls back this job only
            }
            job_results.push(r);
        }
        txn.commit()
    })();
    match outcome {
        Ok(()) => job_results
            .into_iter()
            .map(|r| r.map_err(StoreError::from))
            .collect(),
        Err(e) => {
            tracing::error!(error = %e, jobs = batch.len(), "store batch failed; nothing in it was written");
            (0..batch.len())
                .map(|_| Err(StoreError::Sqlite(clone_error(&e))))
                .collect()
        }
    }
}

fn clone_error(e: &rusqlite::Error) -> rusqlite::Error {
    match e {
        rusqlite::Error::SqliteFailure(code, msg) => {
            rusqlite::Error::SqliteFailure(*code, msg.clone())
        }
        other => rusqlite::Error::InvalidParameterName(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn appended_updates_survive_reopen_and_compaction() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (store, closer) = Store::open(dir.path()).unwrap();
            for seq in 1..=5u64 {
                store
                    .call(move |t| append_update(t, "m/draft", seq, &[seq as u8]))
                    .await
                    .unwrap();
            }
            store
                .call(|t| compact_room(t, "m/draft", 3, b"state"))
                .await
                .unwrap();
            store
                .call(|t| insert_refused_client(t, "m/draft", 42))
                .await
                .unwrap();
            drop(store);
            closer.close();
        }
        let (store, _closer) = Store::open(dir.path()).unwrap();
        let room = store.call(|t| load_room(t, "m/draft")).await.unwrap();
        assert_eq!(room.snapshot, Some((3, b"state".to_vec())));
        assert_eq!(room.updates, vec![(4, vec![4]), (5, vec![5])]);
        assert_eq!(room.refused_clients, vec![42]);
    }

    #[tokio::test]
    async fn a_failing_job_does_not_fail_its_batch_neighbours() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _closer) = Store::open(dir.path()).unwrap();
        let ok1 = store.call(|t| append_update(t, "r", 1, b"a"));
        // The same primary key again: this job fails alone.
        let dup = store.call(|t| append_update(t, "r", 1, b"b"));
        let ok2 = store.call(|t| append_update(t, "r", 2, b"c"));
        let (a, b, c) = tokio::join!(ok1, dup, ok2);
        assert!(a.is_ok() && b.is_err() && c.is_ok());
        let room = store.call(|t| load_room(t, "r")).await.unwrap();
        assert_eq!(room.updates, vec![(1, b"a".to_vec()), (2, b"c".to_vec())]);
    }
}
