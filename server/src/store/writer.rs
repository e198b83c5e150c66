//! The store's single writer: one SQLite connection on its own thread that
//! batches whatever is queued into one transaction (group commit), runs
//! each job's completion after its batch committed, in queue order, and
//! probes a failing disk until a write commits again.

use std::path::Path;
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::Duration;
use tokio::sync::{oneshot, watch};

use crate::store::batch::{Backend, Fence, Health, Job};
use crate::store::error::{StoreError, WriteResult};
use crate::store::meetings::UserRecord;
use crate::store::postgres::{Postgres, PostgresOptions};
use crate::store::sqlite::Sqlite;
use crate::store::txn::Txn;

/// How many queued jobs one transaction takes at most.
const MAX_BATCH: usize = 4096;

/// How often the writer tries a write while the storage is failing.
const PROBE_EVERY: Duration = Duration::from_secs(1);

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
    /// The lease every job of this handle is written under, if any.
    fence: Option<Fence>,
    /// Told of every room update committed through this handle (the
    /// cluster's relay), after its commit.
    announce: Option<Arc<dyn Announce>>,
}

/// Hears of room updates once committed: the cluster relays them to the
/// other processes (never before the commit).
pub trait Announce: Send + Sync {
    /// Update `seq` of room `key` (`{meeting}/{room}`) is durable.
    fn committed(&self, key: &str, seq: u64, update: &Arc<[u8]>);
    /// A presence change in room `key` (never stored).
    fn presence(&self, key: &str, frame: &[u8]);
    /// How many observers this process's copy of `meeting` serves now.
    fn audience(&self, meeting: uuid::Uuid, count: usize);
    /// Member `user` of `meeting` is stored (copies of the meeting learn
    /// its token before the member's sockets arrive).
    fn member(&self, meeting: uuid::Uuid, user: &UserRecord);
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
        let dir = dir.to_owned();
        Store::start(move || Sqlite::open(&dir))
    }

    /// Connects to PostgreSQL, brings its schema up to date and starts the
    /// writer thread.
    pub fn open_postgres(options: &PostgresOptions) -> Result<(Store, StoreCloser), StoreError> {
        let options = options.clone();
        Store::start(move || Postgres::open(&options))
    }

    /// Starts the writer thread, which opens its database with `open`
    /// (on that thread: PostgreSQL's client runs there) and then takes
    /// jobs; answers once the database is open, or why it is not.
    fn start<B: Backend>(
        open: impl FnOnce() -> Result<B, StoreError> + Send + 'static,
    ) -> Result<(Store, StoreCloser), StoreError> {
        let (tx, rx) = mpsc::channel::<Msg>();
        let health = Arc::new(Health {
            writable: watch::channel(true).0,
            since: Mutex::new(None),
        });
        let writer_health = health.clone();
        let (ready, opened) = mpsc::sync_channel(1);
        let thread = thread::Builder::new()
            .name("draftroom-store".into())
            .spawn(move || match open() {
                Ok(backend) => {
                    let _ = ready.send(Ok(()));
                    writer_loop(backend, rx, &writer_health);
                }
                Err(e) => {
                    let _ = ready.send(Err(e));
                }
            })
            .map_err(StoreError::Thread)?;
        opened.recv().map_err(|_| StoreError::Closed)??;
        Ok((
            Store {
                jobs: tx.clone(),
                health,
                fence: None,
                announce: None,
            },
            StoreCloser {
                jobs: tx,
                thread: Some(thread),
            },
        ))
    }

    /// This store, writing every job under `fence`: on PostgreSQL a job
    /// commits only while its process still holds the meeting's lease under
    /// that epoch, and fails with [`crate::store::DbError::Fenced`] otherwise (SQLite has
    /// one process, and no leases).
    pub fn fenced(&self, fence: Fence) -> Store {
        Store {
            fence: Some(fence),
            ..self.clone()
        }
    }

    /// This store, telling `announce` of the room updates committed
    /// through it.
    pub fn announcing(&self, announce: Arc<dyn Announce>) -> Store {
        Store {
            announce: Some(announce),
            ..self.clone()
        }
    }

    /// Who hears of committed room updates, if anyone.
    pub fn announce(&self) -> Option<&Arc<dyn Announce>> {
        self.announce.as_ref()
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
        write: impl FnOnce(&Txn) -> WriteResult<()> + Send + 'static,
        done: impl FnOnce(Result<(), StoreError>) + Send + 'static,
    ) {
        let job = Job {
            write: Some(Box::new(write)),
            done: Some(Box::new(done)),
            fence: self.fence,
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
        f: impl FnOnce(&Txn) -> WriteResult<T> + Send + 'static,
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

fn writer_loop(mut backend: impl Backend, rx: mpsc::Receiver<Msg>, health: &Health) {
    let mut batch: Vec<Job> = Vec::with_capacity(64);
    let mut stopping = false;
    while !stopping {
        let first = if *health.writable.borrow() {
            rx.recv().map_err(|_| ())
        } else {
            match rx.recv_timeout(PROBE_EVERY) {
                Ok(msg) => Ok(msg),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    backend.probe(health);
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
        let results = backend.run_batch(&mut batch, health);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::*;

    /// Keeps the writer busy until the answer is dropped or sent to, so
    /// that jobs queued meanwhile share one batch. Returns once the writer
    /// runs the holding job: its batch is closed by then, and no job
    /// queued after can join it.
    fn hold_writer(store: &Store) -> mpsc::Sender<()> {
        let (release, gate) = mpsc::channel::<()>();
        let (started, running) = mpsc::channel::<()>();
        store.submit(
            move |_| {
                let _ = started.send(());
                let _ = gate.recv();
                Ok(())
            },
            |_| {},
        );
        running.recv().expect("the writer runs the holding job");
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
            matches!(&dup, StoreError::Db(DbError::Sqlite(rusqlite::Error::SqliteFailure(e, Some(why))))
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
        let failing = store.call(move |_| -> WriteResult<()> { Err(DbError::Sqlite(full())) });
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
