//! The durable store: one SQLite file under the data directory, in WAL mode,
//! written by a single thread that batches whatever is queued into one
//! transaction (group commit). Every job's completion runs after its batch
//! has committed, in the order the jobs were queued, so a caller that relays
//! an update from its completion relays only what is durable, in order.

use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;
use thiserror::Error;
use tokio::sync::oneshot;
use uuid::Uuid;

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
        migrate(&mut conn)?;
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

fn migrate(conn: &mut Connection) -> Result<(), rusqlite::Error> {
    conn.execute_batch(
        "
        CREATE TABLE IF NOT EXISTS meetings (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            participant_invite_hash BLOB NOT NULL,
            observer_invite_hash BLOB NOT NULL
        );
        CREATE TABLE IF NOT EXISTS users (
            id TEXT PRIMARY KEY,
            meeting_id TEXT NOT NULL REFERENCES meetings(id),
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            colour TEXT NOT NULL,
            token_hash BLOB NOT NULL UNIQUE,
            joined_at INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS users_by_meeting ON users(meeting_id);
        CREATE TABLE IF NOT EXISTS client_bindings (
            meeting_id TEXT NOT NULL,
            client_id INTEGER NOT NULL,
            user_id TEXT NOT NULL,
            PRIMARY KEY (meeting_id, client_id)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS room_updates (
            room TEXT NOT NULL,
            seq INTEGER NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY (room, seq)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS room_snapshots (
            room TEXT PRIMARY KEY,
            seq INTEGER NOT NULL,
            data BLOB NOT NULL
        );
        CREATE TABLE IF NOT EXISTS refused_clients (
            room TEXT NOT NULL,
            client_id INTEGER NOT NULL,
            PRIMARY KEY (room, client_id)
        ) WITHOUT ROWID;
        ",
    )
}

/// A meeting's row and its members, as loaded.
#[derive(Debug, Clone)]
pub struct MeetingRecord {
    /// The meeting's id.
    pub id: Uuid,
    /// Its title.
    pub title: String,
    /// Creation time, ms since the epoch.
    pub created_at: i64,
    /// SHA-256 of the participant invite.
    pub participant_invite_hash: Vec<u8>,
    /// SHA-256 of the observer invite.
    pub observer_invite_hash: Vec<u8>,
}

/// One member of a meeting, as stored.
#[derive(Debug, Clone)]
pub struct UserRecord {
    /// The member's id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// Role name (see `draftroom_shared::Role`).
    pub role: String,
    /// Display colour, `#rrggbb`.
    pub colour: String,
    /// SHA-256 of the member's token.
    pub token_hash: Vec<u8>,
    /// When they joined, ms since the epoch.
    pub joined_at: i64,
}

/// Inserts a new meeting row.
pub fn insert_meeting(txn: &Connection, m: &MeetingRecord) -> WriteResult<()> {
    txn.execute(
        "INSERT INTO meetings (id, title, created_at, participant_invite_hash, observer_invite_hash) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![m.id.to_string(), m.title, m.created_at, m.participant_invite_hash, m.observer_invite_hash],
    )?;
    Ok(())
}

/// Replaces the invite hashes of a meeting.
pub fn update_invites(
    txn: &Connection,
    meeting: Uuid,
    participant: &[u8],
    observer: &[u8],
) -> WriteResult<()> {
    txn.execute(
        "UPDATE meetings SET participant_invite_hash = ?2, observer_invite_hash = ?3 WHERE id = ?1",
        params![meeting.to_string(), participant, observer],
    )?;
    Ok(())
}

/// Inserts a member.
pub fn insert_user(txn: &Connection, meeting: Uuid, u: &UserRecord) -> WriteResult<()> {
    txn.execute(
        "INSERT INTO users (id, meeting_id, name, role, colour, token_hash, joined_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![u.id.to_string(), meeting.to_string(), u.name, u.role, u.colour, u.token_hash, u.joined_at],
    )?;
    Ok(())
}

/// Changes a member's role.
pub fn update_role(txn: &Connection, user: Uuid, role: &str) -> WriteResult<()> {
    txn.execute(
        "UPDATE users SET role = ?2 WHERE id = ?1",
        params![user.to_string(), role],
    )?;
    Ok(())
}

/// Binds a Yjs client ID to a member for the whole meeting.
pub fn insert_binding(txn: &Connection, meeting: Uuid, client: u64, user: Uuid) -> WriteResult<()> {
    txn.execute(
        "INSERT OR IGNORE INTO client_bindings (meeting_id, client_id, user_id) VALUES (?1, ?2, ?3)",
        params![meeting.to_string(), client as i64, user.to_string()],
    )?;
    Ok(())
}

/// Everything needed to bring a meeting back into memory.
pub struct LoadedMeeting {
    /// The meeting row.
    pub meeting: MeetingRecord,
    /// Its members.
    pub users: Vec<UserRecord>,
    /// Yjs client ID → member.
    pub bindings: Vec<(u64, Uuid)>,
}

fn parse_uuid(s: String, col: usize) -> rusqlite::Result<Uuid> {
    Uuid::parse_str(&s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// Loads a meeting with its members and bindings; `None` if it does not exist.
pub fn load_meeting(txn: &Connection, id: Uuid) -> WriteResult<Option<LoadedMeeting>> {
    let key = id.to_string();
    let meeting = txn
        .query_row(
            "SELECT title, created_at, participant_invite_hash, observer_invite_hash FROM meetings WHERE id = ?1",
            [&key],
            |r| {
                Ok(MeetingRecord {
                    id,
                    title: r.get(0)?,
                    created_at: r.get(1)?,
                    participant_invite_hash: r.get(2)?,
                    observer_invite_hash: r.get(3)?,
                })
            },
        )
        .optional()?;
    let Some(meeting) = meeting else {
        return Ok(None);
    };
    let mut stmt = txn.prepare_cached(
        "SELECT id, name, role, colour, token_hash, joined_at FROM users WHERE meeting_id = ?1 ORDER BY joined_at, rowid",
    )?;
    let users = stmt
        .query_map([&key], |r| {
            Ok(UserRecord {
                id: parse_uuid(r.get(0)?, 0)?,
                name: r.get(1)?,
                role: r.get(2)?,
                colour: r.get(3)?,
                token_hash: r.get(4)?,
                joined_at: r.get(5)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut stmt =
        txn.prepare_cached("SELECT client_id, user_id FROM client_bindings WHERE meeting_id = ?1")?;
    let bindings = stmt
        .query_map([&key], |r| {
            Ok((r.get::<_, i64>(0)? as u64, parse_uuid(r.get(1)?, 1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(LoadedMeeting {
        meeting,
        users,
        bindings,
    }))
}

/// Appends one update to a room's log.
pub fn append_update(txn: &Connection, room: &str, seq: u64, data: &[u8]) -> WriteResult<()> {
    txn.prepare_cached("INSERT INTO room_updates (room, seq, data) VALUES (?1, ?2, ?3)")?
        .execute(params![room, seq as i64, data])?;
    Ok(())
}

/// Replaces a room's snapshot with its state at `seq` and drops the log up to it.
pub fn compact_room(txn: &Connection, room: &str, seq: u64, state: &[u8]) -> WriteResult<()> {
    txn.execute(
        "INSERT INTO room_snapshots (room, seq, data) VALUES (?1, ?2, ?3)
         ON CONFLICT(room) DO UPDATE SET seq = excluded.seq, data = excluded.data",
        params![room, seq as i64, state],
    )?;
    txn.execute(
        "DELETE FROM room_updates WHERE room = ?1 AND seq <= ?2",
        params![room, seq as i64],
    )?;
    Ok(())
}

/// Records that a Yjs client's items were refused in a room, for good.
pub fn insert_refused_client(txn: &Connection, room: &str, client: u64) -> WriteResult<()> {
    txn.execute(
        "INSERT OR IGNORE INTO refused_clients (room, client_id) VALUES (?1, ?2)",
        params![room, client as i64],
    )?;
    Ok(())
}

/// A room as stored: its snapshot, the log after it, refused clients.
#[derive(Debug, Default)]
pub struct LoadedRoom {
    /// The compacted state, if any, and the sequence number it covers.
    pub snapshot: Option<(u64, Vec<u8>)>,
    /// Updates after the snapshot, in order.
    pub updates: Vec<(u64, Vec<u8>)>,
    /// Yjs client IDs whose items this room refused.
    pub refused_clients: Vec<u64>,
}

/// Loads a room's stored state.
pub fn load_room(txn: &Connection, room: &str) -> WriteResult<LoadedRoom> {
    let snapshot = txn
        .query_row(
            "SELECT seq, data FROM room_snapshots WHERE room = ?1",
            [room],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, Vec<u8>>(1)?)),
        )
        .optional()?;
    let after = snapshot.as_ref().map_or(-1, |(s, _)| *s as i64);
    let mut stmt = txn.prepare_cached(
        "SELECT seq, data FROM room_updates WHERE room = ?1 AND seq > ?2 ORDER BY seq",
    )?;
    let updates = stmt
        .query_map(params![room, after], |r| {
            Ok((r.get::<_, i64>(0)? as u64, r.get::<_, Vec<u8>>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut stmt = txn.prepare_cached("SELECT client_id FROM refused_clients WHERE room = ?1")?;
    let refused_clients = stmt
        .query_map([room], |r| Ok(r.get::<_, i64>(0)? as u64))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(LoadedRoom {
        snapshot,
        updates,
        refused_clients,
    })
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
