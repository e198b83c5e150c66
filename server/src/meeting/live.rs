//! A meeting in memory: its state behind a lock, its loaded rooms (loaded
//! on first use, unloaded when unused), its audience, and the server's own
//! writes of its `meeting` room.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use draftroom_shared::{Role, RoomName};
use uuid::Uuid;
use yrs::TransactionMut;

use crate::clock::now_ms;
use crate::meeting::audience::Audience;
use crate::meeting::error::MeetingError;
use crate::meeting::live_room::{LiveRoom, RoomSizes, Write};
use crate::meeting::rights::{self, Command};
use crate::meeting::shown;
use crate::meeting::state::{Amendment, MeetingState, Member, stored_hash};
use crate::room::{Kind, RoomDoc};
use crate::store::{self, Store, UserRecord};

/// How long another process's count of observers stands without being
/// heard again.
const REMOTE_AUDIENCE_FOR: std::time::Duration = std::time::Duration::from_secs(3);

/// A meeting with its state and loaded rooms.
pub struct Meeting {
    /// Its id.
    pub id: Uuid,
    state: Mutex<MeetingState>,
    /// The server-written `meeting` room, loaded as long as the meeting is.
    pub meeting_room: Arc<LiveRoom>,
    /// Other loaded rooms. An async lock: loading a room awaits the store.
    rooms: tokio::sync::Mutex<HashMap<RoomName, Arc<LiveRoom>>>,
    store: Store,
    sizes: RoomSizes,
    /// When the meeting was last looked up, ms since the epoch.
    last_used: AtomicI64,
    /// Serialises the commands (amend, decide, freeze, stage moves…),
    /// which check the state, await the store, then change the state; see
    /// [`Meeting::admit`].
    commands: tokio::sync::Mutex<()>,
    /// The observers connected now, shown in the `meeting` room as a count.
    audience: Audience,
    /// The observers other processes' copies of this meeting serve, by
    /// process, with when each count was heard (a count not heard again
    /// for [`REMOTE_AUDIENCE_FOR`] is dropped: its process is gone).
    remote_audience: Mutex<HashMap<Uuid, (usize, std::time::Instant)>>,
    /// Whether this is a read-only copy of a meeting another process of
    /// the cluster owns: it takes the owner's committed updates (see
    /// [`LiveRoom::take_relayed`]), serves observers, and writes nothing.
    replica: bool,
}

/// An observer's connection, counted in the audience until dropped.
pub struct Following {
    meeting: Arc<Meeting>,
    user: Uuid,
}

impl Drop for Following {
    fn drop(&mut self) {
        let due = self.meeting.audience.leave(self.user);
        self.meeting.show_audience_in(due);
    }
}

/// A room held open by the server itself (for a command), counted as a
/// connection until dropped so it does not unload under the command.
pub struct HeldRoom {
    meeting: Arc<Meeting>,
    /// The room.
    pub room: Arc<LiveRoom>,
}

impl Drop for HeldRoom {
    fn drop(&mut self) {
        self.meeting.leave(&self.room);
    }
}

impl Meeting {
    /// Takes the meeting's command lock, then admits `role`'s command in
    /// the stage the meeting is in (see [`rights::admit`]); the command
    /// runs holding the guard, so no stage move comes between.
    pub(crate) async fn admit(
        &self,
        role: Role,
        command: Command,
    ) -> Result<tokio::sync::MutexGuard<'_, ()>, MeetingError> {
        let serial = self.commands.lock().await;
        rights::admit(role, self.state().stage, command)?;
        Ok(serial)
    }

    /// Builds a meeting from what the store holds.
    pub fn new(
        id: Uuid,
        state: MeetingState,
        meeting_room: RoomDoc,
        store: Store,
        sizes: RoomSizes,
    ) -> Arc<Meeting> {
        Arc::new(Meeting {
            id,
            state: Mutex::new(state),
            meeting_room: LiveRoom::new(id, RoomName::Meeting, meeting_room, sizes),
            rooms: tokio::sync::Mutex::new(HashMap::new()),
            store,
            sizes,
            last_used: AtomicI64::new(now_ms()),
            commands: tokio::sync::Mutex::new(()),
            audience: Audience::default(),
            remote_audience: Mutex::default(),
            replica: false,
        })
    }

    /// A read-only copy of a meeting another process owns, built from what
    /// the store holds.
    pub fn replica(
        id: Uuid,
        state: MeetingState,
        meeting_room: RoomDoc,
        store: Store,
        sizes: RoomSizes,
    ) -> Arc<Meeting> {
        let mut meeting = Meeting::new(id, state, meeting_room, store, sizes);
        if let Some(m) = Arc::get_mut(&mut meeting) {
            m.replica = true;
        }
        meeting
    }

    /// Whether this is a read-only copy of a meeting another process owns.
    pub fn is_replica(&self) -> bool {
        self.replica
    }

    /// The loaded rooms of the meeting, its `meeting` room first.
    pub async fn loaded_rooms(&self) -> Vec<Arc<LiveRoom>> {
        let mut rooms = vec![self.meeting_room.clone()];
        rooms.extend(self.rooms.lock().await.values().cloned());
        rooms
    }

    /// Room `name` if it is loaded (the `meeting` room always is).
    pub async fn loaded_room(&self, name: RoomName) -> Option<Arc<LiveRoom>> {
        match name {
            RoomName::Meeting => Some(self.meeting_room.clone()),
            _ => self.rooms.lock().await.get(&name).cloned(),
        }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Marks the meeting as used now.
    pub fn touch(&self) {
        self.last_used.store(now_ms(), Ordering::Relaxed);
    }

    /// When the meeting was last used, ms since the epoch.
    pub fn last_used(&self) -> i64 {
        self.last_used.load(Ordering::Relaxed)
    }

    /// Locks the meeting's state. Lock order: a room's document, then this,
    /// then the `meeting` room's document.
    pub fn state(&self) -> MutexGuard<'_, MeetingState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The member holding this token, if any.
    pub fn member_by_token(&self, token: &str) -> Option<Member> {
        let st = self.state();
        let id = st.by_token.get(&crate::secrets::hash(token))?;
        st.members.get(id).cloned()
    }

    /// Adds a member this copy of the meeting did not know yet (one who
    /// joined on the owner after the copy was loaded), as stored; answers
    /// the member as the copy knows it now. None if the stored token hash
    /// is not one.
    pub fn learn_member(&self, user: UserRecord) -> Option<Member> {
        let hash = stored_hash(&user.token_hash)?;
        let mut st = self.state();
        st.by_token.insert(hash, user.id);
        Some(
            st.members
                .entry(user.id)
                .or_insert_with(|| Member::stored(user))
                .clone(),
        )
    }

    /// Opens a room for a new connection (loading it if needed) and counts
    /// the connection in. Pair with [`Meeting::leave`].
    pub async fn join_room(self: &Arc<Self>, name: RoomName) -> Result<Arc<LiveRoom>, OpenError> {
        let kind = match name {
            RoomName::Meeting => {
                self.meeting_room.connections.fetch_add(1, Ordering::SeqCst);
                return Ok(self.meeting_room.clone());
            }
            RoomName::Draft => Kind::Draft,
            RoomName::Amendment(id) => {
                // A copy's state may not know an amendment opened since it
                // was loaded; its room is read-only there anyway.
                if !self.replica && self.state().amendment(id).is_none() {
                    return Err(OpenError::NoSuchRoom);
                }
                Kind::Amendment
            }
        };
        let mut rooms = self.rooms.lock().await;
        if let Some(room) = rooms
            .get(&name)
            .filter(|r| !r.failed.load(Ordering::SeqCst))
        {
            room.connections.fetch_add(1, Ordering::SeqCst);
            return Ok(room.clone());
        }
        let key = format!("{}/{name}", self.id);
        let loaded = self
            .store
            .call(move |c| store::load_room(c, &key))
            .await
            .map_err(|e| OpenError::Store(e.to_string()))?;
        let mut doc = RoomDoc::load(
            kind,
            loaded.snapshot,
            loaded.updates,
            loaded.refused_clients,
        )
        .map_err(|e| OpenError::Store(e.to_string()))?;
        doc.remember_moves(&loaded.moved_texts);
        let room = LiveRoom::new(self.id, name, doc, self.sizes);
        tracing::debug!(room = %room.key, seq = room.doc().seq(), "room loaded");
        room.connections.fetch_add(1, Ordering::SeqCst);
        rooms.insert(name, room.clone());
        Ok(room)
    }

    /// Whether the meeting's own room failed to store a change: the meeting
    /// must be loaded afresh from the store.
    pub fn failed(&self) -> bool {
        self.meeting_room.failed.load(Ordering::SeqCst)
    }

    /// Fails every loaded room of the meeting, closing their connections,
    /// so that nothing goes on in this copy of it.
    pub async fn fail_rooms(&self, why: &str) {
        for room in self.rooms.lock().await.values() {
            room.fail(why);
        }
        self.meeting_room.fail(why);
    }

    /// Holds a room open for a command of the server's own.
    pub async fn hold_room(self: &Arc<Self>, name: RoomName) -> Result<HeldRoom, OpenError> {
        let room = self.join_room(name).await?;
        Ok(HeldRoom {
            meeting: self.clone(),
            room,
        })
    }

    /// Holds the draft open for a command; a draft that cannot be opened
    /// is the command's refusal.
    pub async fn hold_draft(self: &Arc<Self>) -> Result<HeldRoom, MeetingError> {
        self.hold_room(RoomName::Draft)
            .await
            .map_err(|e| e.refusal("room"))
    }

    /// Adds a room made by the server (a new amendment's), counted as held.
    pub async fn add_room(self: &Arc<Self>, name: RoomName, doc: RoomDoc) -> HeldRoom {
        let room = LiveRoom::new(self.id, name, doc, self.sizes);
        room.connections.fetch_add(1, Ordering::SeqCst);
        self.rooms.lock().await.insert(name, room.clone());
        HeldRoom {
            meeting: self.clone(),
            room,
        }
    }

    /// Counts a connection out; the room unloads after it has been unused
    /// for the configured idle time.
    pub fn leave(self: &Arc<Self>, room: &Arc<LiveRoom>) {
        let idle = self.sizes.idle;
        if room.connections.fetch_sub(1, Ordering::SeqCst) != 1 || room.name == RoomName::Meeting {
            return;
        }
        let meeting = self.clone();
        let room = room.clone();
        tokio::spawn(async move {
            tokio::time::sleep(idle).await;
            let mut rooms = meeting.rooms.lock().await;
            let current = rooms.get(&room.name).is_some_and(|r| Arc::ptr_eq(r, &room));
            if current && room.connections.load(Ordering::SeqCst) == 0 {
                rooms.remove(&room.name);
                tracing::debug!(room = %room.key, "room unloaded");
            }
        });
    }

    /// Counts a connection of observer `user` in the audience until the
    /// guard drops.
    pub fn follow(self: &Arc<Self>, user: Uuid) -> Following {
        let due = self.audience.arrive(user);
        self.show_audience_in(due);
        Following {
            meeting: self.clone(),
            user,
        }
    }

    /// A copy tells the owner how many observers it serves (again now and
    /// then, so the owner knows the copy is still there).
    pub fn announce_audience(&self, count: usize) {
        if let Some(announce) = self.store.announce() {
            announce.audience(self.id, count);
        }
    }

    /// The owner hears how many observers `process`'s copy serves.
    pub fn remote_audience(self: &Arc<Self>, process: Uuid, count: usize) {
        let changed = {
            let mut remote = self
                .remote_audience
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let before = remote.insert(process, (count, std::time::Instant::now()));
            before.is_none_or(|(n, _)| n != count)
        };
        if changed {
            self.show_audience_in(self.audience.changed());
        }
    }

    /// Drops the counts of copies not heard from lately (their process is
    /// gone), showing the audience again if one was dropped.
    pub fn expire_remote_audience(self: &Arc<Self>) {
        let dropped = {
            let mut remote = self
                .remote_audience
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let before = remote.len();
            remote.retain(|_, (_, at)| at.elapsed() < REMOTE_AUDIENCE_FOR);
            remote.len() != before
        };
        if dropped {
            self.show_audience_in(self.audience.changed());
        }
    }

    /// The observers of other processes' copies still heard from.
    fn remote_count(&self) -> usize {
        let mut remote = self
            .remote_audience
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        remote.retain(|_, (_, at)| at.elapsed() < REMOTE_AUDIENCE_FOR);
        remote.values().map(|(n, _)| n).sum()
    }

    /// Observers connected now.
    pub fn audience(&self) -> usize {
        self.audience.count()
    }

    /// Writes the audience's count into the `meeting` room after `due`, if
    /// a write is due: the changes meanwhile go out together.
    fn show_audience_in(self: &Arc<Self>, due: Option<std::time::Duration>) {
        let Some(due) = due else { return };
        let meeting = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(due).await;
            let count = meeting.audience.take();
            if meeting.replica {
                // A copy writes nothing: its owner adds its count.
                meeting.announce_audience(count);
                return;
            }
            let count = count + meeting.remote_count();
            meeting.server_write(|txn| shown::show_observers(txn, count));
        });
    }

    /// Writes the `meeting` room as the server; persisted, then relayed.
    /// Returns the sequence number to await for durability, if it changed.
    pub fn server_write(&self, f: impl FnOnce(&mut TransactionMut<'_>)) -> Option<u64> {
        let room = &self.meeting_room;
        if self.replica {
            return None;
        }
        if room.failed.load(Ordering::SeqCst) || !self.store.writable() {
            // What was stored shows when the meeting next loads (its room
            // is reconciled with the store then).
            tracing::warn!("the meeting room is not updated while storage fails");
            return None;
        }
        let mut doc = room.doc();
        let applied = doc.server_write(f)?;
        room.persist(&self.store, &mut doc, &applied, Write::default());
        Some(applied.seq)
    }

    /// Shows a member in the `meeting` room.
    pub fn show_member(&self, m: &Member) -> Option<u64> {
        self.server_write(|txn| shown::show_member(txn, m))
    }

    /// Shows an amendment in the `meeting` room.
    pub fn show_amendment(&self, a: &Amendment) -> Option<u64> {
        self.server_write(|txn| shown::show_amendment(txn, a))
    }

    /// Waits until the `meeting` room's update `seq` is durable.
    pub async fn meeting_durable(&self, seq: Option<u64>) {
        if let Some(seq) = seq {
            let _ = self.meeting_room.wait_durable(seq).await;
        }
    }
}

/// Why a room could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// No such room in this meeting.
    #[error("no such room in this meeting")]
    NoSuchRoom,
    /// The store failed.
    #[error("the room could not be loaded: {0}")]
    Store(String),
}

impl OpenError {
    /// The refusal of a command that needed the room: `what` names it
    /// ("no such amendment").
    pub(crate) fn refusal(self, what: &str) -> MeetingError {
        match self {
            OpenError::NoSuchRoom => MeetingError::not_found(format!("no such {what}")),
            OpenError::Store(why) => {
                tracing::error!(error = %why, "room could not be loaded");
                MeetingError::RoomNotLoaded(why)
            }
        }
    }
}
