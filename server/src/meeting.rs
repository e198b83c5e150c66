//! Meetings in memory: their members, the Yjs client IDs bound to them, and
//! their rooms. A room pairs a [`RoomDoc`] with the channels that relay its
//! durable updates to the connections watching it. Everything that writes a
//! room goes through here, so the order "apply, persist, then relay" holds
//! for client edits and server edits alike.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use draftroom_shared::{Role, RoomName};
use tokio::sync::{broadcast, watch};
use uuid::Uuid;
use yrs::sync::{Awareness, Message, SyncMessage};
use yrs::updates::encoder::Encode;
use yrs::{Any, Map, TransactionMut, WriteTxn};

use crate::auth::SecretHash;
use crate::room::{Applied, Author, Denied, Outcome, Refusal, RoomDoc};
use crate::store::{self, Store};

/// Display colours handed to members in turn, distinct on a projector.
const PALETTE: [&str; 12] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
    "#bcbd22", "#7f7f7f", "#393b79", "#637939",
];

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// One member of a meeting.
#[derive(Debug, Clone)]
pub struct Member {
    /// Their id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// Current role (an editor grant changes it live).
    pub role: Role,
    /// Display colour.
    pub colour: String,
    /// When they joined, ms since the epoch.
    pub joined_at: i64,
}

/// What the server knows of a meeting besides its documents.
pub struct MeetingState {
    /// Title of the text being agreed.
    pub title: String,
    /// Creation time, ms since the epoch.
    pub created_at: i64,
    /// Hash of the participant invite.
    pub participant_invite: SecretHash,
    /// Hash of the observer invite.
    pub observer_invite: SecretHash,
    /// Members by id.
    pub members: HashMap<Uuid, Member>,
    /// Member ids by token hash.
    pub by_token: HashMap<SecretHash, Uuid>,
    /// Yjs client ID → member, meeting-wide; never rebound.
    pub bindings: HashMap<u64, Uuid>,
    /// Whether the draft is frozen.
    pub frozen: bool,
}

impl MeetingState {
    /// The next display colour.
    pub fn next_colour(&self) -> String {
        palette_colour(self.members.len())
    }
}

/// The `n`th display colour.
pub fn palette_colour(n: usize) -> String {
    PALETTE[n % PALETTE.len()].to_owned()
}

/// Whether a `participants` entry shows this role.
pub fn shows_role(value: &Any, role: Role) -> bool {
    match value {
        Any::Map(m) => matches!(m.get("role"), Some(Any::String(r)) if r.as_ref() == role.as_str()),
        _ => false,
    }
}

/// A frame for the connections of a room. Bytes are encoded once and
/// shared by every receiver.
#[derive(Clone, Debug)]
pub enum Relay {
    /// A durable document update, for everyone but the connection it came
    /// from (origin 0 is the server).
    Update {
        /// Connection the update came from.
        origin: u64,
        /// The Yjs update itself, for merging with its neighbours.
        update: Arc<[u8]>,
        /// The update as a protocol message.
        frame: Arc<[u8]>,
    },
    /// A presence change, as a protocol message.
    Awareness {
        /// Connection it came from.
        origin: u64,
        /// The encoded message.
        frame: Arc<[u8]>,
    },
    /// The room failed; connections close with this reason and resync.
    Fail(Arc<str>),
}

/// One loaded room of a meeting.
pub struct Room {
    /// Which room.
    pub name: RoomName,
    /// Key in the store: `{meeting}/{room}`.
    pub key: Arc<str>,
    /// The document and its rules. Locked briefly, never across `.await`.
    doc: Mutex<RoomDoc>,
    /// Presence (cursors, names) of the connections, never persisted.
    pub awareness: Mutex<Awareness>,
    /// Durable updates and awareness changes, to every connection.
    pub relay: broadcast::Sender<Relay>,
    /// Sequence number of the last durable update.
    pub durable: watch::Sender<u64>,
    /// Connections attached; the room unloads some time after it hits 0.
    pub connections: AtomicUsize,
    /// Set when a write could not be made durable: the room must reload.
    pub failed: AtomicBool,
    sizes: RoomSizes,
}

impl Room {
    fn new(name: RoomName, key: Arc<str>, doc: RoomDoc, sizes: RoomSizes) -> Arc<Room> {
        let seq = doc.seq();
        let awareness = Awareness::new(doc.doc().clone());
        Arc::new(Room {
            name,
            key,
            doc: Mutex::new(doc),
            awareness: Mutex::new(awareness),
            relay: broadcast::channel(sizes.backlog).0,
            durable: watch::channel(seq).0,
            connections: AtomicUsize::new(0),
            failed: AtomicBool::new(false),
            sizes,
        })
    }

    /// Locks the document.
    pub fn doc(&self) -> MutexGuard<'_, RoomDoc> {
        self.doc.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues an applied update for the store; relays it once durable.
    /// Must be called with the document locked, so updates queue in the
    /// order they were applied.
    fn persist(self: &Arc<Self>, store: &Store, applied: &Applied, origin: u64, doc: &mut RoomDoc) {
        let seq = applied.seq;
        let frame: Arc<[u8]> = Message::Sync(SyncMessage::Update(applied.update.clone()))
            .encode_v1()
            .into();
        let key = self.key.clone();
        let update: Arc<[u8]> = applied.update.clone().into();
        let room = self.clone();
        let stored = update.clone();
        store.submit(
            move |c| store::append_update(c, &key, seq, &stored),
            move |res| match res {
                Ok(()) => {
                    let _ = room.relay.send(Relay::Update {
                        origin,
                        update,
                        frame,
                    });
                    room.durable.send_replace(seq);
                }
                Err(e) => room.fail(&e.to_string()),
            },
        );
        if doc.since_snapshot() >= self.sizes.compact_every {
            let (seq, state) = doc.take_snapshot();
            let key = self.key.clone();
            store.submit(
                move |c| store::compact_room(c, &key, seq, &state),
                |res| {
                    if let Err(e) = res {
                        tracing::warn!(error = %e, "compaction failed; the log stays as it is");
                    }
                },
            );
        }
    }

    /// Marks the room failed and tells its connections to resync.
    fn fail(&self, why: &str) {
        if !self.failed.swap(true, Ordering::SeqCst) {
            tracing::error!(room = %self.key, error = %why, "an update could not be stored; room unloads, clients resync");
        }
        let _ = self.relay.send(Relay::Fail(
            "the server could not store a change; reconnecting".into(),
        ));
    }

    /// Relays a presence change right away (it is never stored).
    pub fn relay_awareness(&self, origin: u64, frame: Vec<u8>) {
        let _ = self.relay.send(Relay::Awareness {
            origin,
            frame: frame.into(),
        });
    }
}

/// Sizes every room of a server shares (from [`crate::config::Limits`]).
#[derive(Debug, Clone, Copy)]
pub struct RoomSizes {
    /// Relayed frames a connection may fall behind by.
    pub backlog: usize,
    /// Updates in the log before a snapshot is taken.
    pub compact_every: usize,
}

/// A meeting with its state and loaded rooms.
pub struct Meeting {
    /// Its id.
    pub id: Uuid,
    state: Mutex<MeetingState>,
    /// The server-written `meeting` room, loaded as long as the meeting is.
    pub meeting_room: Arc<Room>,
    /// Other loaded rooms. An async lock: loading a room awaits the store.
    rooms: tokio::sync::Mutex<HashMap<RoomName, Arc<Room>>>,
    store: Store,
    sizes: RoomSizes,
    /// When the meeting was last looked up, ms since the epoch.
    last_used: std::sync::atomic::AtomicI64,
}

/// What became of an update, for the connection that sent it.
#[derive(Debug)]
pub enum Received {
    /// Nothing new.
    Noop,
    /// Applied; relayed once durable.
    Applied,
    /// Refused (or partly refused): answer with permission denied.
    Refused(Refusal),
}

impl Meeting {
    /// Builds a meeting from what the store holds.
    pub fn new(
        id: Uuid,
        state: MeetingState,
        meeting_room: RoomDoc,
        store: Store,
        sizes: RoomSizes,
    ) -> Arc<Meeting> {
        let key: Arc<str> = format!("{id}/{}", RoomName::Meeting).into();
        Arc::new(Meeting {
            id,
            state: Mutex::new(state),
            meeting_room: Room::new(RoomName::Meeting, key, meeting_room, sizes),
            rooms: tokio::sync::Mutex::new(HashMap::new()),
            store,
            sizes,
            last_used: std::sync::atomic::AtomicI64::new(now_ms()),
        })
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
        let id = st.by_token.get(&crate::auth::hash(token))?;
        st.members.get(id).cloned()
    }

    /// May `user` write `room` now?
    pub fn may_write(st: &MeetingState, user: Uuid, room: RoomName) -> Result<(), Denied> {
        let role = st.members.get(&user).map(|m| m.role);
        match room {
            RoomName::Meeting => Err(Denied::ServerOnly),
            RoomName::Draft => match role {
                Some(r) if r.writes_draft() => {
                    if st.frozen {
                        Err(Denied::Frozen)
                    } else {
                        Ok(())
                    }
                }
                _ => Err(Denied::Role),
            },
            // Amendment rooms are written by their authors; until amendments
            // exist nobody may write one.
            RoomName::Amendment(_) => Err(Denied::Role),
        }
    }

    /// Opens a room for a new connection (loading it if needed) and counts
    /// the connection in. Pair with [`Meeting::leave`].
    pub async fn join_room(self: &Arc<Self>, name: RoomName) -> Result<Arc<Room>, OpenError> {
        if name == RoomName::Meeting {
            self.meeting_room.connections.fetch_add(1, Ordering::SeqCst);
            return Ok(self.meeting_room.clone());
        }
        if let RoomName::Amendment(_) = name {
            return Err(OpenError::NoSuchRoom);
        }
        let mut rooms = self.rooms.lock().await;
        if let Some(room) = rooms
            .get(&name)
            .filter(|r| !r.failed.load(Ordering::SeqCst))
        {
            room.connections.fetch_add(1, Ordering::SeqCst);
            return Ok(room.clone());
        }
        let key: Arc<str> = format!("{}/{name}", self.id).into();
        let k = key.clone();
        let loaded = self
            .store
            .call(move |c| store::load_room(c, &k))
            .await
            .map_err(|e| OpenError::Store(e.to_string()))?;
        let doc = RoomDoc::load(loaded.snapshot, loaded.updates, loaded.refused_clients)
            .map_err(|e| OpenError::Store(e.to_string()))?;
        tracing::debug!(room = %key, seq = doc.seq(), "room loaded");
        let room = Room::new(name, key, doc, self.sizes);
        room.connections.fetch_add(1, Ordering::SeqCst);
        rooms.insert(name, room.clone());
        Ok(room)
    }

    /// Counts a connection out; the room unloads after `idle` unused.
    pub fn leave(self: &Arc<Self>, room: &Arc<Room>, idle: std::time::Duration) {
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

    /// Takes an update from `user`'s connection `origin` into `room`.
    pub fn receive_update(
        &self,
        room: &Arc<Room>,
        user: Uuid,
        origin: u64,
        bytes: &[u8],
    ) -> Received {
        let may_write = Self::may_write(&self.state(), user, room.name);
        let author = Author { user, may_write };
        let mut doc = room.doc();
        // Bindings matter only to an author who may write; not locking the
        // state otherwise keeps the `meeting` room out of the lock order.
        let result = if may_write.is_ok() {
            let mut st = self.state();
            let result = doc.apply(bytes, &author, &st.bindings);
            if let Ok(Outcome::Applied(a) | Outcome::Partial(a, _)) = &result {
                for &client in &a.new_bindings {
                    st.bindings.insert(client, user);
                    self.bind_client(client, user);
                }
            }
            result
        } else {
            doc.apply(bytes, &author, &HashMap::new())
        };
        match result {
            Ok(Outcome::Noop) => Received::Noop,
            Ok(Outcome::Applied(a)) => {
                room.persist(&self.store, &a, origin, &mut doc);
                Received::Applied
            }
            Ok(Outcome::Partial(a, refusal)) => {
                room.persist(&self.store, &a, origin, &mut doc);
                Received::Refused(refusal)
            }
            Err((refusal, taint)) => {
                if !matches!(
                    refusal,
                    Refusal::ForeignClient { .. } | Refusal::Malformed(_)
                ) {
                    for client in doc.refuse_clients(taint) {
                        let key = room.key.clone();
                        self.store.submit(
                            move |c| store::insert_refused_client(c, &key, client),
                            |res| {
                                if let Err(e) = res {
                                    tracing::error!(error = %e, "could not record a refused client");
                                }
                            },
                        );
                    }
                }
                Received::Refused(refusal)
            }
        }
    }

    /// Persists a new binding and shows it in the `meeting` room.
    fn bind_client(&self, client: u64, user: Uuid) {
        let id = self.id;
        self.store.submit(
            move |c| store::insert_binding(c, id, client, user),
            |res| {
                if let Err(e) = res {
                    tracing::error!(error = %e, "could not store a client binding");
                }
            },
        );
        self.server_write(|txn| {
            let clients = txn.get_or_insert_map("clients");
            clients.insert(txn, client.to_string(), user.to_string());
        });
    }

    /// Writes the `meeting` room as the server; persisted, then relayed.
    /// Returns the sequence number to await for durability, if it changed.
    pub fn server_write(&self, f: impl FnOnce(&mut TransactionMut<'_>)) -> Option<u64> {
        let room = &self.meeting_room;
        let mut doc = room.doc();
        let applied = doc.server_write(f)?;
        room.persist(&self.store, &applied, 0, &mut doc);
        Some(applied.seq)
    }

    /// Shows a member in the `meeting` room.
    pub fn show_member(&self, m: &Member) -> Option<u64> {
        let value = member_value(m);
        let id = m.id.to_string();
        self.server_write(move |txn| {
            let participants = txn.get_or_insert_map("participants");
            participants.insert(txn, id, value);
        })
    }

    /// Waits until the `meeting` room's update `seq` is durable.
    pub async fn meeting_durable(&self, seq: Option<u64>) {
        if let Some(seq) = seq {
            let mut rx = self.meeting_room.durable.subscribe();
            let _ = rx.wait_for(|d| *d >= seq).await;
        }
    }
}

/// A member as shown in the `meeting` room's `participants` map.
fn member_value(m: &Member) -> Any {
    Any::from(HashMap::from([
        ("name".to_owned(), Any::from(m.name.as_str())),
        ("role".to_owned(), Any::from(m.role.as_str())),
        ("colour".to_owned(), Any::from(m.colour.as_str())),
        ("joined_at".to_owned(), Any::from(m.joined_at as f64)),
    ]))
}

/// Writes the `meeting` room's fixed fields for a new meeting.
pub fn init_meeting_room(txn: &mut TransactionMut<'_>, title: &str, created_at: i64) {
    let meeting = txn.get_or_insert_map("meeting");
    meeting.insert(txn, "title", title);
    meeting.insert(txn, "phase", "drafting");
    meeting.insert(txn, "created_at", created_at as f64);
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
