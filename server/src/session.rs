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
use yrs::encoding::read::Cursor;
use yrs::sync::{AwarenessUpdate, Message, MessageReader, SyncMessage};
use yrs::updates::decoder::DecoderV1;
use yrs::updates::encoder::Encode;

use crate::meeting::{Meeting, Received, Room};
use crate::room::Refusal;

/// Something to send back on this connection.
#[derive(Debug, PartialEq, Eq)]
pub enum Reply {
    /// Send now.
    Now(Vec<u8>),
    /// Send once the room's update `seq` is durable (it shows state up to it).
    AfterDurable(u64, Vec<u8>),
}

/// Why a connection must be closed.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The bytes are not the protocol.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// More messages than the rate limit allows.
    #[error("too many messages; slow down")]
    TooFast,
}

/// A token bucket: `rate` per second, up to `burst` at once.
#[derive(Debug)]
pub struct RateLimit {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl RateLimit {
    /// A full bucket.
    pub fn new(rate: f64, burst: f64) -> Self {
        RateLimit {
            rate,
            burst,
            tokens: burst,
            last: Instant::now(),
        }
    }

    /// Takes one token at `now`; false when the bucket is empty.
    pub fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The protocol state of one connection to one room.
pub struct Session {
    meeting: Arc<Meeting>,
    room: Arc<Room>,
    user: Uuid,
    /// Distinguishes this connection's frames in the room's relay.
    conn: u64,
    /// Awareness client IDs this connection set, cleared when it ends.
    presence: HashSet<u64>,
    rate: RateLimit,
}

impl Session {
    /// A session of `user` on `room`.
    pub fn new(
        meeting: Arc<Meeting>,
        room: Arc<Room>,
        user: Uuid,
        conn: u64,
        rate: RateLimit,
    ) -> Self {
        Session {
            meeting,
            room,
            user,
            conn,
            presence: HashSet::new(),
            rate,
        }
    }

    /// The connection id used in the relay.
    pub fn conn(&self) -> u64 {
        self.conn
    }

    /// The room.
    pub fn room(&self) -> &Arc<Room> {
        &self.room
    }

    /// What the server says first: its state vector and who is present.
    pub fn start(&self) -> Vec<Reply> {
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
    pub fn handle(&mut self, frame: &[u8]) -> Result<Vec<Reply>, SessionError> {
        if !self.rate.take(Instant::now()) {
            return Err(SessionError::TooFast);
        }
        let mut decoder = DecoderV1::new(Cursor::new(frame));
        let messages = MessageReader::new(&mut decoder)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| SessionError::Malformed(e.to_string()))?;
        if messages.is_empty() {
            return Err(SessionError::Malformed("empty frame".into()));
        }
        let mut replies = Vec::new();
        for message in messages {
            match message {
                Message::Sync(SyncMessage::SyncStep1(sv)) => {
                    let doc = self.room.doc();
                    let diff = doc.diff(&sv);
                    let seq = doc.seq();
                    drop(doc);
                    let bytes = Message::Sync(SyncMessage::SyncStep2(diff)).encode_v1();
                    replies.push(Reply::AfterDurable(seq, bytes));
                }
                Message::Sync(SyncMessage::SyncStep2(update) | SyncMessage::Update(update)) => {
                    match self
                        .meeting
                        .receive_update(&self.room, self.user, self.conn, &update)
                    {
                        Received::Noop | Received::Applied => {}
                        Received::Refused(Refusal::Malformed(why)) => {
                            return Err(SessionError::Malformed(why));
                        }
                        Received::Refused(refusal) => {
                            tracing::info!(reason = %refusal, "write refused");
                            replies.push(Reply::Now(
                                Message::Auth(Some(refusal.to_string())).encode_v1(),
                            ));
                        }
                    }
                }
                Message::Awareness(update) => {
                    if let Some(reply) = self.awareness(update) {
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

    /// Applies and relays a presence update, unless it is an observer's
    /// (thousands of followers are a count, not a list of cursors) or it
    /// speaks for a client ID of another member.
    fn awareness(&mut self, update: AwarenessUpdate) -> Option<Reply> {
        if matches!(self.role(), None | Some(Role::Observer)) {
            return None;
        }
        {
            let st = self.meeting.state();
            for client in update.clients.keys() {
                let id = client.get();
                if st
                    .bindings
                    .get(&id)
                    .is_some_and(|owner| *owner != self.user)
                {
                    return Some(Reply::Now(
                        Message::Auth(Some(format!(
                            "client id {id} belongs to another member of this meeting"
                        )))
                        .encode_v1(),
                    ));
                }
            }
        }
        self.presence.extend(update.clients.keys().map(|c| c.get()));
        let bytes = Message::Awareness(update.clone()).encode_v1();
        let mut awareness = self
            .room
            .awareness
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Err(e) = awareness.apply_update(update) {
            tracing::debug!(error = %e, "awareness update ignored");
            return None;
        }
        drop(awareness);
        self.room.relay_awareness(self.conn, bytes);
        None
    }
}

impl Drop for Session {
    /// Clears this connection's presence and tells the room it left.
    fn drop(&mut self) {
        if self.presence.is_empty() {
            return;
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
            self.room
                .relay_awareness(self.conn, Message::Awareness(update).encode_v1());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rate_limit_allows_burst_then_refills() {
        let start = Instant::now();
        let mut r = RateLimit::new(10.0, 3.0);
        assert!(r.take(start) && r.take(start) && r.take(start));
        assert!(!r.take(start));
        assert!(r.take(start + Duration::from_millis(110)));
        assert!(!r.take(start + Duration::from_millis(110)));
    }
}
