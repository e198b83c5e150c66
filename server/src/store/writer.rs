//! The store's single writer: one SQLite connection on its own thread that
//! batches whatever is queued into one transaction (group commit), runs
//! each job's completion after its batch committed, in queue order, and
//! probes a failing disk until a write commits again.

use rusqlite::Connection;
use std::path::Path;
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, watch};

use crate::store::dir::{DB_FILE, DataDirLock};
use crate::store::error::{StoreError, WriteResult};
use crate::store::schema;

/// How many queued jobs one transaction takes at most.
const MAX_BATCH: usize = 4096;

/// How often the writer tries a write while the storage is failing.
const PROBE_EVERY: Duration = Duration::from_secs(1);

/// Whether an error is the storage failing, as opposed to one job's write
/// being refused (a constraint, say). SQLite may roll back the whole
/// transaction on these, so the batch cannot go on.
fn is_storage_failure(e: &rusqlite::Error) -> bool {
    use rusqlite::ErrorCode as C;
    match e {
        rusqlite::Error::SqliteFailure(f, _) => matches!(
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
        _ => false,
    }
}

/// Whether the store can write, shared by the writer and its handles.
struct Health {
    /// `true` while writes commit.
    writable: watch::Sender<bool>,
    /// When it stopped, for the log when it recovers.
    since: Mutex<Option<Instant>>,
}

impl Health {
    fn failed(&self, e: &rusqlite::Error) {
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

    fn wrote(&self) {
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
    health: Arc<Health>,
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
        let lock = DataDirLock::take(dir)?;
        let mut conn = Connection::open(dir.join(DB_FILE))?;
        conn.busy_timeout(Duration::from_secs(5))?;
        // WAL with synchronous=FULL: a commit is on disk when it returns,
        // even across power loss; group commit makes that cheap.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        schema::migrate(&mut conn)?;
        let (tx, rx) = mpsc::channel::<Msg>();
        let health = Arc::new(Health {
            writable: watch::channel(true).0,
            since: Mutex::new(None),
        });
        let writer_health = health.clone();
        let thread = thread::Builder::new()
            .name("draftroom-store".into())
            .spawn(move || {
                writer_loop(conn, rx, &writer_health);
                drop(lock);
            })
            .map_err(|source| StoreError::DataDir {
                path: dir.to_owned(),
                source,
            })?;
        Ok((
            Store {
                jobs: tx.clone(),
                health,
            },
            StoreCloser {
                jobs: tx,
                thread: Some(thread),
            },
        ))
    }

    /// Whether writes commit now; false from a storage failure until a
    /// write commits again.
    pub fn writable(&self) -> bool {
        *self.health.writable.borrow()
    }

    /// Follows [`Store::writable`].
    pub fn watch_writable(&self) -> watch::Receiver<bool> {
        self.health.writable.subscribe()
    }

    /// 503 material: Err while the storage is failing.
    pub fn check_writable(&self) -> Result<(), StoreError> {
        if self.writable() {
            Ok(())
        } else {
            Err(StoreError::Unavailable(
                "the server cannot store changes right now".into(),
            ))
        }
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

fn writer_loop(mut conn: Connection, rx: mpsc::Receiver<Msg>, health: &Health) {
    let mut batch: Vec<Job> = Vec::with_capacity(64);
    let mut stopping = false;
    while !stopping {
        let first = if *health.writable.borrow() {
            rx.recv().map_err(|_| ())
        } else {
            match rx.recv_timeout(PROBE_EVERY) {
                Ok(msg) => Ok(msg),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    probe(&mut conn, health);
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => Err(()),
            }
        };
        match first {
            Ok(Msg::Job(job)) => batch.push(job),
            Ok(Msg::Stop) | Err(()) => break,
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
        let results = run_batch(&mut conn, &mut batch, health);
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

/// Size of the probe's write: enough pages that a disk with room for it
/// has room for the writes that wait.
const PROBE_BYTES: i64 = 64 * 1024;

/// Tries one real write (rewriting the probe row) while the storage is
/// failing; a commit means it is back.
fn probe(conn: &mut Connection, health: &Health) {
    let result = (|| {
        let txn = conn.transaction()?;
        txn.execute(
            "INSERT OR REPLACE INTO store_probe (id, at, pad) VALUES (1, ?1, randomblob(?2))",
            rusqlite::params![crate::clock::now_ms(), PROBE_BYTES],
        )?;
        txn.commit()
    })();
    match result {
        Ok(()) => health.wrote(),
        Err(e) => tracing::debug!(error = %e, "storage still failing"),
    }
}

/// Runs every job of the batch in one transaction, each in a savepoint so
/// one job refused (a constraint, say) does not take the others down with
/// it. A storage failure takes the whole batch down: it is rolled back and
/// every job fails, since SQLite may already have rolled the transaction
/// back and the jobs after it would otherwise commit one by one.
fn run_batch(
    conn: &mut Connection,
    batch: &mut [Job],
    health: &Health,
) -> Vec<Result<(), StoreError>> {
    let mut job_results: Vec<Result<(), rusqlite::Error>> = Vec::with_capacity(batch.len());
    let changes_before = conn.total_changes();
    let outcome = (|| -> Result<(), rusqlite::Error> {
        let mut txn = conn.transaction()?;
        for job in batch.iter_mut() {
            let write = std::mem::replace(&mut job.write, Box::new(|_| Ok(())));
            let sp = txn.savepoint()?;
            let r = write(&sp);
            match r {
                Ok(()) => sp.commit()?,
                Err(e) if is_storage_failure(&e) => return Err(e),
                Err(_) => drop(sp), // rolls back this job only
            }
            if txn.is_autocommit() {
                // SQLite ended the transaction behind our back.
                return Err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_IOERR),
                    Some("the transaction was rolled back by the storage layer".into()),
                ));
            }
            job_results.push(r);
        }
        txn.commit()
    })();
    match outcome {
        Ok(()) => {
            if conn.total_changes() != changes_before {
                health.wrote();
            }
            job_results
                .into_iter()
                .map(|r| r.map_err(StoreError::from))
                .collect()
        }
        Err(e) => {
            tracing::error!(error = %e, jobs = batch.len(), "store batch failed; nothing in it was written");
            if is_storage_failure(&e) {
                health.failed(&e);
            }
            let why = e.to_string();
            (0..batch.len())
                .map(|_| {
                    Err(if is_storage_failure(&e) {
                        StoreError::Unavailable(why.clone())
                    } else {
                        StoreError::Sqlite(clone_error(&e))
                    })
                })
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
    use crate::store::*;

    /// Keeps the writer busy until the answer is dropped or sent to, so
    /// that jobs queued meanwhile share one batch.
    fn hold_writer(store: &Store) -> mpsc::Sender<()> {
        let (release, gate) = mpsc::channel::<()>();
        store.submit(
            move |_| {
                let _ = gate.recv();
                Ok(())
            },
            |_| {},
        );
        release
    }

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
        let release = hold_writer(&store);
        let ok1 = store.call(|t| append_update(t, "r", 1, b"a"));
        // The same primary key again: this job fails alone.
        let dup = store.call(|t| append_update(t, "r", 1, b"b"));
        let ok2 = store.call(|t| append_update(t, "r", 2, b"c"));
        let (a, b, c, ()) = tokio::join!(ok1, dup, ok2, async move { drop(release) });
        assert!(a.is_ok() && c.is_ok(), "{a:?} {c:?}");
        let dup = b.unwrap_err();
        assert!(
            matches!(&dup, StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, Some(why)))
                if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                    && why == "UNIQUE constraint failed: room_updates.room, room_updates.seq"),
            "{dup:?}"
        );
        assert_eq!(
            dup.to_string(),
            "storage failed: UNIQUE constraint failed: room_updates.room, room_updates.seq"
        );
        let room = store.call(|t| load_room(t, "r")).await.unwrap();
        assert_eq!(room.updates, vec![(1, b"a".to_vec()), (2, b"c".to_vec())]);
    }

    #[tokio::test]
    async fn a_storage_failure_fails_the_whole_batch_until_a_probe_commits() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _closer) = Store::open(dir.path()).unwrap();
        let full = || {
            rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
                Some("database or disk is full".into()),
            )
        };
        // Queued while the writer is busy, so they share a batch.
        let release = hold_writer(&store);
        let before = store.call(|t| append_update(t, "r", 1, b"a"));
        let failing = store.call(move |_| -> WriteResult<()> { Err(full()) });
        let after = store.call(|t| append_update(t, "r", 2, b"c"));
        let (a, b, c, ()) = tokio::join!(before, failing, after, async move { drop(release) });
        for r in [a, b, c] {
            assert!(
                matches!(r, Err(StoreError::Unavailable(_))),
                "every job of the batch fails: {r:?}"
            );
        }
        assert!(!store.writable());
        let refused = store.check_writable().unwrap_err();
        assert!(
            matches!(&refused, StoreError::Unavailable(why)
                if why == "the server cannot store changes right now"),
            "{refused:?}"
        );
        assert_eq!(
            refused.to_string(),
            "storage unavailable: the server cannot store changes right now"
        );
        // Nothing of the batch was written, before or after the failure.
        let room = store.call(|t| load_room(t, "r")).await.unwrap();
        assert!(room.updates.is_empty(), "{:?}", room.updates);
        // A read commits nothing and proves nothing; the probe does.
        assert!(!store.writable());
        let mut writable = store.watch_writable();
        tokio::time::timeout(Duration::from_secs(5), writable.wait_for(|w| *w))
            .await
            .expect("the probe finds the disk back")
            .unwrap();
        store
            .call(|t| append_update(t, "r", 1, b"a"))
            .await
            .unwrap();
    }
}
