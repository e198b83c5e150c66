//! Redis between the processes of a cluster: the owner of a meeting
//! publishes each room update after its commit, numbered by the room's
//! sequence, and each presence change; the other processes apply them to
//! their read-only copies of the meeting, which serve its observers.
//!
//! Redis holds nothing that is not durable already, and losing a message
//! loses nothing: a copy that sees a gap in the numbers takes what it lacks
//! from the database, and every copy also compares itself with the
//! database twice a second ([`CATCH_UP_EVERY`]), which carries the
//! observers through a Redis outage (a little later than the relay would)
//! and past the last message before one. Every call to Redis has a
//! deadline; a publish that cannot be made is dropped, never waited for.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::store::{Announce, UserRecord};

/// The deadline of every call to Redis.
const REDIS_TIMEOUT: Duration = Duration::from_secs(1);

/// How long a process waits before connecting to Redis again.
const RECONNECT_AFTER: Duration = Duration::from_millis(500);

/// How often the copies compare themselves with the database.
pub const CATCH_UP_EVERY: Duration = Duration::from_millis(500);

/// Messages waiting to be published; past it they are dropped (the copies
/// take them from the database).
const BACKLOG: usize = 65_536;

/// At most this many messages are published in one round trip...
const PIPELINE: usize = 512;

/// ... and at most about this many bytes, so that one deadline covers it.
const PIPELINE_BYTES: usize = 1 << 20;

/// The length of a message's tag (HMAC-SHA-256).
const TAG: usize = 32;

/// HMAC-SHA-256 of `message` under `key` (RFC 2104).
fn tag(key: &[u8], message: &[u8]) -> [u8; TAG] {
    use sha2::{Digest, Sha256};
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// A message as published: its bytes, then their tag under the cluster's
/// secret, so that only the cluster's processes can make one.
pub fn sign(key: &[u8], message: &Relayed) -> Vec<u8> {
    let mut out = message.encode();
    let t = tag(key, &out);
    out.extend_from_slice(&t);
    out
}

/// A published message whose tag is right under `key`; None otherwise.
pub fn verify(key: &[u8], signed: &[u8]) -> Option<Relayed> {
    use subtle::ConstantTimeEq;
    let (message, t) = signed.split_at_checked(signed.len().checked_sub(TAG)?)?;
    if !bool::from(tag(key, message).ct_eq(t)) {
        return None;
    }
    Relayed::decode(message)
}

/// The channels' prefix; a meeting's channel is `draftroom:{meeting}`.
const PREFIX: &str = "draftroom:";

/// What one message carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Relayed {
    /// Update `seq` of room `key` (`{meeting}/{room}`), committed.
    Update {
        /// The room.
        key: String,
        /// Its sequence number in the room's log.
        seq: u64,
        /// The Yjs update.
        update: Vec<u8>,
    },
    /// A presence change in room `key` (a y-protocols awareness message).
    Presence {
        /// The room.
        key: String,
        /// The message.
        frame: Vec<u8>,
    },
    /// How many observers `process`'s copy of a meeting serves (`key` is
    /// the meeting's id), for its owner to show the whole audience.
    Audience {
        /// The meeting.
        key: String,
        /// The process with the copy.
        process: uuid::Uuid,
        /// Its observers.
        count: u64,
    },
    /// A member stored by the owner of meeting `key` (its id), for the
    /// copies to know its token.
    Member {
        /// The meeting.
        key: String,
        /// The member as stored (with its token's hash, never the token).
        user: UserRecord,
    },
}

impl Relayed {
    /// `kind (1: update, 2: presence) | key length (u16) | key | seq (u64)
    /// | payload`, integers big-endian.
    ///
    /// A member's payload: id (16 bytes) | token hash (32) | role length
    /// (u8) | role | colour length (u8) | colour | name; its seq is when it
    /// joined.
    pub fn encode(&self) -> Vec<u8> {
        let process;
        let member;
        let (kind, key, seq, payload) = match self {
            Relayed::Update { key, seq, update } => (1u8, key, *seq, update.as_slice()),
            Relayed::Presence { key, frame } => (2u8, key, 0, frame.as_slice()),
            Relayed::Audience {
                key,
                process: p,
                count,
            } => {
                process = *p.as_bytes();
                (3u8, key, *count, &process[..])
            }
            Relayed::Member { key, user } => {
                // Sent only when it fits (see `Publisher::member`).
                let mut out = Vec::with_capacity(64 + user.name.len());
                out.extend_from_slice(user.id.as_bytes());
                out.extend_from_slice(&user.token_hash);
                for short in [&user.role, &user.colour] {
                    out.push(short.len() as u8);
                    out.extend_from_slice(short.as_bytes());
                }
                out.extend_from_slice(user.name.as_bytes());
                member = out;
                (4u8, key, user.joined_at as u64, member.as_slice())
            }
        };
        let mut out = Vec::with_capacity(11 + key.len() + payload.len());
        out.push(kind);
        out.extend_from_slice(&(key.len() as u16).to_be_bytes());
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(&seq.to_be_bytes());
        out.extend_from_slice(payload);
        out
    }

    /// Reads a message; None if it is not one.
    pub fn decode(bytes: &[u8]) -> Option<Relayed> {
        let (&kind, rest) = bytes.split_first()?;
        let len = u16::from_be_bytes(rest.get(..2)?.try_into().ok()?) as usize;
        let key = std::str::from_utf8(rest.get(2..2 + len)?).ok()?.to_owned();
        let rest = rest.get(2 + len..)?;
        let seq = u64::from_be_bytes(rest.get(..8)?.try_into().ok()?);
        let payload = rest[8..].to_vec();
        match kind {
            1 => Some(Relayed::Update {
                key,
                seq,
                update: payload,
            }),
            2 => Some(Relayed::Presence {
                key,
                frame: payload,
            }),
            3 => Some(Relayed::Audience {
                key,
                process: uuid::Uuid::from_slice(&payload).ok()?,
                count: seq,
            }),
            4 => Some(Relayed::Member {
                key,
                user: decode_member(&payload, seq as i64)?,
            }),
            _ => None,
        }
    }

    /// The channel of the room's meeting.
    fn channel(&self) -> String {
        let key = match self {
            Relayed::Update { key, .. }
            | Relayed::Presence { key, .. }
            | Relayed::Audience { key, .. }
            | Relayed::Member { key, .. } => key,
        };
        format!("{PREFIX}{}", key.split('/').next().unwrap_or(""))
    }
}

/// A member's payload (see [`Relayed::encode`]); None if it is not one.
fn decode_member(payload: &[u8], joined_at: i64) -> Option<UserRecord> {
    let id = uuid::Uuid::from_slice(payload.get(..16)?).ok()?;
    let token_hash = payload.get(16..48)?.to_vec();
    let mut rest = payload.get(48..)?;
    let mut short = || {
        let (&len, tail) = rest.split_first()?;
        let text = std::str::from_utf8(tail.get(..len as usize)?)
            .ok()?
            .to_owned();
        rest = &tail[len as usize..];
        Some(text)
    };
    let role = short()?;
    let colour = short()?;
    let name = std::str::from_utf8(rest).ok()?.to_owned();
    Some(UserRecord {
        id,
        name,
        role,
        colour,
        token_hash,
        joined_at,
    })
}

/// Publishes what this process's meetings commit; hands the messages to a
/// task so that the store's writer never waits for Redis.
pub struct Publisher {
    queue: mpsc::Sender<Relayed>,
    /// This process, named in its audience counts.
    process: uuid::Uuid,
}

impl Publisher {
    /// Starts publishing to the Redis at `url` for `process`.
    /// Its messages are signed with `key` (the cluster's secret).
    pub fn start(
        url: &str,
        process: uuid::Uuid,
        key: Vec<u8>,
    ) -> Result<Arc<Publisher>, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let (queue, rx) = mpsc::channel(BACKLOG);
        tokio::spawn(publish(client, rx, key));
        Ok(Arc::new(Publisher { queue, process }))
    }

    fn send(&self, message: Relayed) {
        // Full: Redis is slow or down; the copies read the database.
        let _ = self.queue.try_send(message);
    }
}

impl Announce for Publisher {
    fn committed(&self, key: &str, seq: u64, update: &Arc<[u8]>) {
        self.send(Relayed::Update {
            key: key.to_owned(),
            seq,
            update: update.to_vec(),
        });
    }

    fn presence(&self, key: &str, frame: &[u8]) {
        self.send(Relayed::Presence {
            key: key.to_owned(),
            frame: frame.to_vec(),
        });
    }

    fn audience(&self, meeting: uuid::Uuid, count: usize) {
        self.send(Relayed::Audience {
            key: meeting.to_string(),
            process: self.process,
            count: count as u64,
        });
    }

    fn member(&self, meeting: uuid::Uuid, user: &UserRecord) {
        // A member whose fields do not fit the message's encoding is left
        // to the copies' lookup in the database.
        if user.token_hash.len() != 32 || user.role.len() > 255 || user.colour.len() > 255 {
            return;
        }
        self.send(Relayed::Member {
            key: meeting.to_string(),
            user: user.clone(),
        });
    }
}

/// The publishing task: one connection, each message published with a
/// deadline; on a failure the connection is made again, and what queued
/// meanwhile is dropped (it is in the database).
async fn publish(client: redis::Client, mut rx: mpsc::Receiver<Relayed>, key: Vec<u8>) {
    let mut conn: Option<redis::aio::MultiplexedConnection> = None;
    // A message taken from the queue that did not fit the last round trip.
    let mut left: Option<Relayed> = None;
    loop {
        let message = match left.take() {
            Some(m) => m,
            None => match rx.recv().await {
                Some(m) => m,
                None => return,
            },
        };
        if conn.is_none() {
            match tokio::time::timeout(REDIS_TIMEOUT, client.get_multiplexed_async_connection())
                .await
            {
                Ok(Ok(c)) => conn = Some(c),
                _ => {
                    drain(&mut rx);
                    tokio::time::sleep(RECONNECT_AFTER).await;
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        // What queued meanwhile goes in the same round trip, in order, up
        // to a count and a size that one deadline covers.
        let mut pipe = redis::pipe();
        let (mut count, mut bytes) = (0, 0);
        let mut next = Some(message);
        while let Some(message) = next.take() {
            let signed = sign(&key, &message);
            if count > 0 && (count == PIPELINE || bytes + signed.len() > PIPELINE_BYTES) {
                left = Some(message);
                break;
            }
            count += 1;
            bytes += signed.len();
            pipe.cmd("PUBLISH")
                .arg(message.channel())
                .arg(signed)
                .ignore();
            next = rx.try_recv().ok();
        }
        let sent = tokio::time::timeout(REDIS_TIMEOUT, pipe.query_async::<()>(c)).await;
        if !matches!(sent, Ok(Ok(_))) {
            tracing::warn!(
                "Redis does not take messages; the other processes read the database until it does"
            );
            conn = None;
            left = None;
            drain(&mut rx);
        }
    }
}

/// Drops what waits: it is durable already, and copies catch up from the
/// database.
fn drain(rx: &mut mpsc::Receiver<Relayed>) {
    while rx.try_recv().is_ok() {}
}

/// What the relay hears.
#[derive(Debug)]
pub enum Heard {
    /// A message of another process.
    Message(Relayed),
    /// Subscribed (again): what was missed meanwhile is in the database.
    Subscribed,
}

/// Follows every meeting's channel, connecting again whenever the
/// subscription ends; answers what it hears.
pub fn follow(url: &str, key: Vec<u8>) -> Result<mpsc::Receiver<Heard>, redis::RedisError> {
    let client = redis::Client::open(url)?;
    let (tx, rx) = mpsc::channel(BACKLOG);
    tokio::spawn(async move {
        loop {
            let subscribed = tokio::time::timeout(REDIS_TIMEOUT, async {
                let mut pubsub = client.get_async_pubsub().await?;
                pubsub.psubscribe(format!("{PREFIX}*")).await?;
                Ok::<_, redis::RedisError>(pubsub)
            })
            .await;
            let Ok(Ok(pubsub)) = subscribed else {
                tokio::time::sleep(RECONNECT_AFTER).await;
                continue;
            };
            tracing::info!("following the other processes' meetings through Redis");
            if tx.send(Heard::Subscribed).await.is_err() {
                return;
            }
            let mut messages = pubsub.into_on_message();
            while let Some(msg) = messages.next().await {
                match verify(&key, msg.get_payload_bytes()) {
                    Some(m) => {
                        if tx.send(Heard::Message(m)).await.is_err() {
                            return;
                        }
                    }
                    None => tracing::warn!(
                        channel = msg.get_channel_name(),
                        "a message on the relay not signed by the cluster, or not one: ignored"
                    ),
                }
            }
            tracing::warn!("the Redis subscription ended; following the database until it is back");
            tokio::time::sleep(RECONNECT_AFTER).await;
        }
    });
    Ok(rx)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231, test case 2.
    #[test]
    fn the_tag_is_hmac_sha256() {
        let t = tag(b"Jefe", b"what do ya want for nothing?");
        let hex: String = t.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // A key longer than a block is hashed first (test case 6).
        let t = tag(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First",
        );
        let hex: String = t.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn a_message_reads_back_as_written_and_garbage_reads_as_nothing() {
        for m in [
            Relayed::Update {
                key: "7c1b1f7e-0000-4000-8000-000000000001/draft".into(),
                seq: 42,
                update: vec![1, 2, 3],
            },
            Relayed::Presence {
                key: "7c1b1f7e-0000-4000-8000-000000000001/amendment/x".into(),
                frame: vec![],
            },
            Relayed::Audience {
                key: "7c1b1f7e-0000-4000-8000-000000000001".into(),
                process: uuid::Uuid::from_u128(9),
                count: 5000,
            },
            Relayed::Member {
                key: "7c1b1f7e-0000-4000-8000-000000000001".into(),
                user: UserRecord {
                    id: uuid::Uuid::from_u128(7),
                    name: "Zażółć gęślą jaźń 🏛️".into(),
                    role: "observer".into(),
                    colour: "#1b6f5c".into(),
                    token_hash: (0..32).collect(),
                    joined_at: 1_764_000_000_000,
                },
            },
        ] {
            assert_eq!(Relayed::decode(&m.encode()), Some(m.clone()));
            let signed = sign(b"sekret klastra", &m);
            assert_eq!(verify(b"sekret klastra", &signed), Some(m.clone()));
            assert_eq!(verify(b"inny sekret", &signed), None, "another key");
            let mut forged = signed.clone();
            forged[3] ^= 1;
            assert_eq!(verify(b"sekret klastra", &forged), None, "altered");
            assert_eq!(verify(b"sekret klastra", &m.encode()), None, "unsigned");
            assert_eq!(
                m.channel(),
                "draftroom:7c1b1f7e-0000-4000-8000-000000000001"
            );
        }
        for garbage in [
            &[][..],
            &[1],
            &[3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            &[1, 0, 9, b'a'],
            // A member cut short of its token hash.
            &[4, 0, 1, b'm', 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3],
        ] {
            assert_eq!(Relayed::decode(garbage), None, "{garbage:?}");
        }
    }
}
