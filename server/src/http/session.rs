//! One connection's side of the y-websocket protocol, with no socket in it:
//! bytes in, replies out. It checks every message against the member's
//! rights, hands updates to the meeting, keeps the member's presence in the
//! room's awareness and clears it when the connection ends.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use draftroom_shared::Role;
use uuid::Uuid;
use yrs::ClientID;
use yrs::sync::{AwarenessUpdate, Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;

use crate::meeting::rights;
use crate::meeting::{LiveRoom, Meeting, Received};
use crate::rate::TokenBucket;
use crate::room::frame::{MAX_PRESENCE_IDS, split_messages};
use crate::room::{Denied, Refusal};

/// Something to send back on this connection.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Reply {
    /// Send now.
    Now(Vec<u8>),
    /// Send once the room's update `seq` is durable (it shows state up to it).
    AfterDurable(u64, Vec<u8>),
}

/// Why a connection must be closed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SessionError {
    /// The bytes are not the protocol.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// More messages than the rate limit allows.
    #[error("too many messages; slow down")]
    TooFast,
    /// Too many updates wait for earlier ones; reconnecting resends all.
    #[error("too many changes arrived ahead of earlier ones; reconnect to resync")]
    Resync,
    /// A presence state past the limit.
    #[error("presence state of {bytes} bytes is over the limit of {max}")]
    AwarenessTooBig {
        /// Its size.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// More presence IDs than one connection may speak for.
    #[error("more than {MAX_PRESENCE_IDS} presence ids on one connection")]
    TooManyPresences,
}

/// The protocol state of one connection to one room.
pub(crate) struct Session {
    meeting: Arc<Meeting>,
    room: Arc<LiveRoom>,
    user: Uuid,
    /// Distinguishes this connection's frames in the room's relay.
    conn: u64,
    /// Awareness client IDs this connection set, cleared when it ends.
    presence: HashSet<u64>,
    rate: TokenBucket,
    /// Updates that arrived before the edits they continue, oldest first.
    held: Vec<Vec<u8>>,
    /// Their total size.
    held_bytes: usize,
    /// Changes of this client were refused because the store could not
    /// take them; once it can, the server asks for them again.
    owes_resync: bool,
    /// Largest presence state accepted.
    max_awareness_bytes: usize,
}

/// Most updates one connection may have waiting for earlier ones; a client
/// past that is asked to reconnect, which resends everything in order.
const MAX_HELD: usize = 256;
/// Most bytes of such updates.
const MAX_HELD_BYTES: usize = 4 << 20;

impl Session {
    /// A session of `user` on `room`.
    pub(crate) fn new(
        meeting: Arc<Meeting>,
        room: Arc<LiveRoom>,
        user: Uuid,
        conn: u64,
        rate: TokenBucket,
        max_awareness_bytes: usize,
    ) -> Self {
        Session {
            meeting,
            room,
            user,
            conn,
            presence: HashSet::new(),
            rate,
            held: Vec::new(),
            held_bytes: 0,
            owes_resync: false,
            max_awareness_bytes,
        }
    }

    /// Whether changes were refused for want of storage and not asked for
    /// again yet.
    pub(crate) fn owes_resync(&self) -> bool {
        self.owes_resync
    }

    /// Asks the client for what the room lacks (a sync step 1 with the
    /// room's state vector; the client answers with the difference), once
    /// the store takes writes again.
    pub(crate) fn resync(&mut self) -> Reply {
        self.owes_resync = false;
        let sv = self.room.doc().state_vector();
        tracing::info!("storage is back: asking the client for the changes it kept");
        Reply::Now(Message::Sync(SyncMessage::SyncStep1(sv)).encode_v1())
    }

    /// The connection id used in the relay.
    pub(crate) fn conn(&self) -> u64 {
        self.conn
    }

    /// What the server says first: its state vector and who is present.
    pub(crate) fn start(&self) -> Vec<Reply> {
        let sv = self.room.doc().state_vector();
        let mut out = vec![Reply::Now(
            Message::Sync(SyncMessage::SyncStep1(sv)).encode_v1(),
        )];
        if let Some(bytes) = self.awareness_all() {
            out.push(Reply::Now(bytes));
        }
        out
    }

    fn awareness_all(&self) -> Option<Vec<u8>> {
        let awareness = self
            .room
            .awareness
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let update = awareness.update().ok()?;
        (!update.clients.is_empty()).then(|| Message::Awareness(update).encode_v1())
    }

    fn role(&self) -> Option<Role> {
        self.meeting.state().members.get(&self.user).map(|m| m.role)
    }

    /// Handles one binary frame (which may hold several messages). Nothing
    /// of a frame is acted on unless all of it decodes.
    pub(crate) fn handle(&mut self, frame: &[u8]) -> Result<Vec<Reply>, SessionError> {
        if !self.rate.take(Instant::now()) {
            return Err(SessionError::TooFast);
        }
        let messages = split_messages(frame)
            .map_err(SessionError::Malformed)?
            .into_iter()
            .map(|m| Message::decode_v1(m).map_err(|e| SessionError::Malformed(e.to_string())))
            .collect::<Result<Vec<_>, _>>()?;
        let mut replies = Vec::new();
        for message in messages {
            match message {
                Message::Sync(SyncMessage::SyncStep1(sv)) => {
                    let mut doc = self.room.doc();
                    let diff = doc.diff(&sv);
                    let seq = doc.seq();
                    drop(doc);
                    let bytes = Message::Sync(SyncMessage::SyncStep2(diff)).encode_v1();
                    replies.push(Reply::AfterDurable(seq, bytes));
                }
                Message::Sync(SyncMessage::SyncStep2(update) | SyncMessage::Update(update)) => {
                    self.update(update, &mut replies)?;
                }
                Message::Awareness(update) => {
                    if let Some(reply) = self.awareness(update)? {
                        replies.push(reply);
                    }
                }
                Message::AwarenessQuery => {
                    if let Some(bytes) = self.awareness_all() {
                        replies.push(Reply::Now(bytes));
                    }
                }
                // A client has nothing to authenticate in-band: the token
                // came with the URL.
                Message::Auth(_) => {}
                Message::Custom(tag, _) => {
                    return Err(SessionError::Malformed(format!(
                        "unknown message type {tag}"
                    )));
                }
            }
        }
        Ok(replies)
    }

    /// Takes a document update; holds back one that arrived before the
    /// edits it continues, and retries those after each applied update.
    fn update(&mut self, update: Vec<u8>, replies: &mut Vec<Reply>) -> Result<(), SessionError> {
        match self.receive(&update, replies)? {
            Received::Refused(Refusal::Gap { client }) => {
                self.held_bytes += update.len();
                self.held.push(update);
                if self.held.len() > MAX_HELD || self.held_bytes > MAX_HELD_BYTES {
                    tracing::info!(
                        client,
                        held = self.held.len(),
                        "too many updates waiting for earlier ones"
                    );
                    return Err(SessionError::Resync);
                }
            }
            Received::Applied => self.retry_held(replies)?,
            Received::Noop | Received::Refused(_) => {}
        }
        Ok(())
    }

    /// Applies held updates whose predecessors have arrived, in order.
    fn retry_held(&mut self, replies: &mut Vec<Reply>) -> Result<(), SessionError> {
        while !self.held.is_empty() {
            let mut progress = false;
            for update in std::mem::take(&mut self.held) {
                match self.receive(&update, replies)? {
                    Received::Refused(Refusal::Gap { .. }) => self.held.push(update),
                    _ => progress = true,
                }
            }
            self.held_bytes = self.held.iter().map(Vec::len).sum();
            if !progress {
                break;
            }
        }
        Ok(())
    }

    /// Hands one update to the meeting; answers refusals other than gaps.
    fn receive(
        &mut self,
        update: &[u8],
        replies: &mut Vec<Reply>,
    ) -> Result<Received, SessionError> {
        let received = self
            .meeting
            .receive_update(&self.room, self.user, self.conn, update);
        match &received {
            Received::Refused(Refusal::Malformed(why)) => {
                return Err(SessionError::Malformed(why.clone()));
            }
            Received::Refused(Refusal::Gap { .. }) => {}
            Received::Refused(refusal @ Refusal::Denied(Denied::Unavailable)) => {
                // Said once per outage, not once per keystroke.
                if !self.owes_resync {
                    self.owes_resync = true;
                    tracing::warn!("a change was refused: storage unavailable");
                    replies.push(Reply::Now(
                        Message::Auth(Some(refusal.to_string())).encode_v1(),
                    ));
                }
            }
            Received::Refused(refusal) => {
                tracing::info!(reason = %refusal, "write refused");
                replies.push(Reply::Now(
                    Message::Auth(Some(refusal.to_string())).encode_v1(),
                ));
            }
            Received::Noop | Received::Applied => {}
        }
        Ok(received)
    }

    /// Applies and relays a presence update, unless it is an observer's
    /// (thousands of followers are a count, not a list of cursors) or it
    /// speaks for a client ID of another member.
    fn awareness(&mut self, mut update: AwarenessUpdate) -> Result<Option<Reply>, SessionError> {
        let max = self.max_awareness_bytes;
        if let Some(bytes) = update.clients.values().map(|e| e.json.len()).max()
            && bytes > max
        {
            return Err(SessionError::AwarenessTooBig { bytes, max });
        }
        if !rights::shows_presence(self.role()) {
            return Ok(None);
        }
        // Keep only the presences this connection speaks for: the stock
        // client echoes everyone's, and those copies are dropped quietly.
        // A presence ID nobody has sent yet becomes this connection's,
        // unless it is another member's client ID. It is then bound to this
        // member as a client ID, as a first write would bind it: presence
        // shows client IDs to everyone, and nobody else may then take one
        // by writing with it first.
        {
            let mut st = self.meeting.state();
            let mut owners = self
                .room
                .presence_owners
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let mut claimed = 0;
            let mut keep = |id: u64| match owners.get(&id) {
                Some(conn) => *conn == self.conn,
                None if st.bindings.get(&id).is_some_and(|m| *m != self.user) => false,
                None => {
                    claimed += 1;
                    true
                }
            };
            update.clients.retain(|client, _| keep(client.get()));
            if self.presence.len() + claimed > MAX_PRESENCE_IDS {
                return Err(SessionError::TooManyPresences);
            }
            for client in update.clients.keys() {
                owners.insert(client.get(), self.conn);
                self.presence.insert(client.get());
            }
            drop(owners);
            let unbound: Vec<u64> = update
                .clients
                .keys()
                .map(|c| c.get())
                .filter(|id| !st.bindings.contains_key(id))
                .collect();
            if !unbound.is_empty() {
                self.meeting.bind_clients(&mut st, &unbound, self.user);
            }
        }
        if update.clients.is_empty() {
            return Ok(None);
        }
        let bytes = Message::Awareness(update.clone()).encode_v1();
        let mut awareness = self
            .room
            .awareness
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Err(e) = awareness.apply_update(update) {
            tracing::debug!(error = %e, "awareness update ignored");
            return Ok(None);
        }
        drop(awareness);
        if let Some(announce) = self.meeting.store().announce() {
            announce.presence(self.room.key(), &bytes);
        }
        self.room.relay_awareness(self.conn, bytes);
        Ok(None)
    }
}

impl Drop for Session {
    /// Clears this connection's presence and tells the room it left.
    fn drop(&mut self) {
        if self.presence.is_empty() {
            return;
        }
        {
            let mut owners = self
                .room
                .presence_owners
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            owners.retain(|_, conn| *conn != self.conn);
        }
        let mut awareness = self
            .room
            .awareness
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let ids: Vec<ClientID> = self.presence.iter().map(|c| ClientID::new(*c)).collect();
        for id in &ids {
            awareness.remove_state(*id);
        }
        let update = awareness.update_with_clients(ids);
        drop(awareness);
        if let Ok(update) = update {
            let frame = Message::Awareness(update).encode_v1();
            if let Some(announce) = self.meeting.store().announce() {
                announce.presence(self.room.key(), &frame);
            }
            self.room.relay_awareness(self.conn, frame);
        }
    }
}
