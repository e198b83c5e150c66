//! A live room, one loaded in memory (the room's document and rules are
//! `crate::room::RoomDoc`): the document behind a lock, the broadcast that
//! relays its durable updates and presence to every connection, and the
//! watch of how far its log is durable. Every write is queued to the store while
//! the document is locked, so the log keeps the order of the document, and
//! relayed only once committed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;

use draftroom_shared::RoomName;
use tokio::sync::{broadcast, watch};
use uuid::Uuid;
use yrs::sync::{Awareness, Message, SyncMessage};
use yrs::updates::encoder::Encode;

use crate::clock::now_ms;
use crate::meeting::fanout::{Fanout, Relay, Relayed};
use crate::room::{Applied, RoomDoc};
use crate::store::{self, JournalEntry, Store, Txn, WriteResult};

/// One loaded room of a meeting.
pub struct LiveRoom {
    /// Which room.
    pub name: RoomName,
    /// Key in the store: `{meeting}/{room}`.
    pub key: Arc<str>,
    /// The document and its rules. Locked briefly, never across `.await`.
    doc: Mutex<RoomDoc>,
    /// Presence (cursors, names) of the connections, never persisted.
    pub awareness: Mutex<Awareness>,
    /// Which connection speaks for each presence ID: the first to send it.
    /// The stock client sends on every presence it hears of, its own and
    /// everyone else's; only the owner's copy counts.
    pub presence_owners: Mutex<HashMap<u64, u64>>,
    /// Durable updates and awareness changes, to every connection.
    pub relay: broadcast::Sender<Relay>,
    /// Sequence number of the last durable update.
    pub durable: watch::Sender<u64>,
    /// Connections attached; the room unloads some time after it hits 0.
    pub connections: AtomicUsize,
    /// Set when a write could not be made durable: the room must reload.
    pub failed: AtomicBool,
    /// The writer to its followers, and the runs of updates it merged
    /// lately for connections that were behind.
    pub fanout: Arc<Fanout>,
    sizes: RoomSizes,
    /// The meeting it belongs to, for the journal.
    meeting: Uuid,
}

/// Who an applied update's journal lines name.
#[derive(Debug, Clone, Copy)]
pub struct Journal {
    /// The member whose change it is.
    pub user: Uuid,
    /// The moderator who accepted it, for an accepted amendment.
    pub accepted_by: Option<Uuid>,
    /// The amendment it came from.
    pub amendment: Option<Uuid>,
}

impl Journal {
    /// A member's own change.
    pub fn of(user: Uuid) -> Journal {
        Journal {
            user,
            accepted_by: None,
            amendment: None,
        }
    }
}

/// A write that must commit in the same transaction as an update.
pub type ExtraWrite = Box<dyn FnOnce(&Txn) -> WriteResult<()> + Send>;

/// Where an update came from, as its relay tells the connections (each
/// skips its own).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Origin {
    /// The server's own edit: every connection gets it.
    #[default]
    Server,
    /// The connection with this id (ids start at 1).
    Connection(u64),
}

impl Origin {
    /// The id a relayed update carries: the connection's, 0 for the server.
    pub fn id(self) -> u64 {
        match self {
            Origin::Server => 0,
            Origin::Connection(conn) => conn,
        }
    }
}

/// What is stored and relayed with an applied update besides the update.
#[derive(Default)]
pub struct Write {
    /// Who sent it.
    pub origin: Origin,
    /// Who the journal names for it; None writes no journal lines.
    pub journal: Option<Journal>,
    /// A write that commits in the same transaction.
    pub extra: Option<ExtraWrite>,
}

impl LiveRoom {
    /// A loaded room of `meeting`.
    pub fn new(meeting: Uuid, name: RoomName, doc: RoomDoc, sizes: RoomSizes) -> Arc<LiveRoom> {
        let key: Arc<str> = format!("{meeting}/{name}").into();
        let seq = doc.seq();
        let awareness = Awareness::new(doc.doc().clone());
        Arc::new(LiveRoom {
            name,
            key,
            doc: Mutex::new(doc),
            awareness: Mutex::new(awareness),
            presence_owners: Mutex::new(HashMap::new()),
            relay: broadcast::channel(sizes.backlog).0,
            durable: watch::channel(seq).0,
            connections: AtomicUsize::new(0),
            failed: AtomicBool::new(false),
            fanout: Arc::new(Fanout::new(sizes.backlog)),
            sizes,
            meeting,
        })
    }

    /// Locks the document.
    pub fn doc(&self) -> MutexGuard<'_, RoomDoc> {
        self.doc.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues an applied update for the store, with its journal lines and
    /// any extra write that must commit with it (see [`Write`]); relays it
    /// once durable. Must be called with the document locked, so updates
    /// queue in the order they were applied.
    pub fn persist(
        self: &Arc<Self>,
        store: &Store,
        doc: &mut RoomDoc,
        applied: &Applied,
        write: Write,
    ) {
        let Write {
            origin,
            journal,
            extra,
        } = write;
        let origin = origin.id();
        let seq = applied.seq;
        let lines: Vec<JournalEntry> = journal
            .map(|j| {
                let time = now_ms();
                applied
                    .changes
                    .iter()
                    .map(|c| JournalEntry {
                        room: self.name.to_string(),
                        seq,
                        time,
                        user_id: j.user,
                        clause_id: c.clause_id.clone(),
                        inserted: c.inserted,
                        deleted: c.deleted,
                        accepted_by: j.accepted_by,
                        amendment_id: j.amendment,
                        moved: None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let meeting = self.meeting;
        let frame: Bytes = Message::Sync(SyncMessage::Update(applied.update.clone()))
            .encode_v1()
            .into();
        let key = self.key.clone();
        let update: Arc<[u8]> = applied.update.clone().into();
        let room = self.clone();
        let stored = update.clone();
        let announce = store.announce().cloned();
        store.submit(
            move |c| {
                store::append_update(c, &key, seq, &stored)?;
                for line in &lines {
                    store::append_journal(c, meeting, line)?;
                }
                match extra {
                    Some(extra) => extra(c),
                    None => Ok(()),
                }
            },
            move |res| match res {
                Ok(()) => {
                    if let Some(announce) = &announce {
                        announce.committed(&room.key, seq, &update);
                    }
                    let _ = room.relay.send(Relay::Update(Relayed {
                        origin,
                        seq,
                        update,
                        frame,
                    }));
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

    /// Waits until the update `seq` is durable; Err if the room failed to
    /// store it.
    pub async fn wait_durable(&self, seq: u64) -> Result<(), ()> {
        let mut rx = self.durable.subscribe();
        let _ = rx
            .wait_for(|d| *d >= seq || self.failed.load(Ordering::SeqCst))
            .await;
        if *rx.borrow() >= seq { Ok(()) } else { Err(()) }
    }

    /// Marks the room failed and tells its connections to resync.
    pub fn fail(&self, why: &str) {
        if !self.failed.swap(true, Ordering::SeqCst) {
            tracing::error!(room = %self.key, error = %why, "an update could not be stored; room unloads, clients resync");
        }
        // Wake whoever waits for durability: it will not come.
        self.durable.send_modify(|_| {});
        let _ = self.relay.send(Relay::Fail(
            "the server could not store a change; reconnecting".into(),
        ));
    }

    /// In a read-only copy of the room (another process owns its
    /// meeting), applies and relays update `seq` as the owner committed
    /// it: false if it was applied already, Err if updates before it are
    /// missing (the copy then catches up from the store).
    pub fn take_relayed(&self, seq: u64, update: Arc<[u8]>) -> Result<bool, Gap> {
        let mut doc = self.doc();
        if seq <= doc.seq() {
            return Ok(false);
        }
        if seq != doc.seq() + 1 {
            return Err(Gap { have: doc.seq() });
        }
        if let Err(e) = doc.apply_relayed(seq, &update) {
            tracing::error!(room = %self.key, seq, error = %e, "a relayed update does not apply");
            return Err(Gap { have: doc.seq() });
        }
        self.relay_state(seq, update);
        Ok(true)
    }

    /// In a read-only copy of the room, takes what it lacks from the store
    /// (`since`, from [`crate::store::room_since`]): a newer snapshot
    /// (merged in whole), then the updates after it. Answers how many
    /// were taken.
    pub fn catch_up(&self, since: crate::store::LoadedRoom) -> usize {
        let mut taken = 0;
        if let Some((seq, state)) = since.snapshot {
            let mut doc = self.doc();
            if seq > doc.seq() && doc.apply_relayed(seq, &state).is_ok() {
                drop(doc);
                self.relay_state(seq, state.into());
                taken += 1;
            }
        }
        for (seq, update) in since.updates {
            if let Ok(true) = self.take_relayed(seq, update.into()) {
                taken += 1;
            }
        }
        taken
    }

    /// Relays update (or whole state) `seq` taken in a copy, as the
    /// server's own: every connection gets it (clients merge a state).
    fn relay_state(&self, seq: u64, update: Arc<[u8]>) {
        let frame: Bytes = Message::Sync(SyncMessage::Update(update.to_vec()))
            .encode_v1()
            .into();
        let _ = self.relay.send(Relay::Update(Relayed {
            origin: 0,
            seq,
            update,
            frame,
        }));
        self.durable.send_replace(seq);
    }

    /// The room's key in the store, `{meeting}/{room}`.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Relays a presence change right away (it is never stored).
    pub fn relay_awareness(&self, origin: u64, frame: Vec<u8>) {
        let _ = self.relay.send(Relay::Awareness {
            origin,
            frame: frame.into(),
        });
    }
}

/// Updates of a room's copy are missing after `have`.
#[derive(Debug, Clone, Copy)]
pub struct Gap {
    /// The last update the copy holds.
    pub have: u64,
}

/// Sizes every room of a server shares (from [`crate::config::Limits`]).
#[derive(Debug, Clone, Copy)]
pub struct RoomSizes {
    /// Relayed frames a connection may fall behind by.
    pub backlog: usize,
    /// Updates in the log before a snapshot is taken.
    pub compact_every: usize,
    /// How long a room nobody uses stays loaded.
    pub idle: std::time::Duration,
}
