//! One WebSocket connection to one room, run as a single task: it reads
//! the client's frames into its [`Session`], sends the session's replies
//! (a sync answer only once what it shows is durable), relays the room's
//! frames (merged when the connection is behind), pings, and closes with a
//! code that says why. One task and no channels keep an idle follower to a
//! few KiB.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use draftroom_shared::{RoomName, close};
use futures_util::SinkExt;
use futures_util::StreamExt;
use hyper_util::rt::TokioIo;
use tokio::sync::{broadcast, watch};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::{Error as WsError, Message as WsMessage};
use yrs::sync::{Message, SyncMessage};
use yrs::updates::encoder::Encode;

use crate::AppState;
use crate::meeting::{Meeting, Member, OpenError, Relay, Room};
use crate::session::{RateLimit, Reply, Session, SessionError};

/// The upgraded socket of a connection.
pub type Socket = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

/// Messages larger than this go out as fragments of this size, so that the
/// socket's write buffer, which never shrinks, stays this small after a
/// large message (a new client's whole document, say).
pub const FRAGMENT: usize = 16 * 1024;

/// Source of connection ids (0 is the server's own).
static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

/// Why the loop ended: a close frame to send, or nothing (the peer left).
type Ending = Option<(u16, String)>;

/// What woke the loop.
enum Event {
    Frame(Option<Result<WsMessage, WsError>>),
    Relayed(Result<Relay, broadcast::error::RecvError>),
    Durable,
    Ping,
    Shutdown,
}

/// Runs a member's connection to a room until either side ends it.
pub async fn serve(
    app: Arc<AppState>,
    meeting: Arc<Meeting>,
    member: Member,
    name: RoomName,
    mut socket: Socket,
) {
    let room = match meeting.join_room(name).await {
        Ok(room) => room,
        Err(e) => {
            let code = match e {
                OpenError::NoSuchRoom => close::NOT_FOUND,
                OpenError::Store(_) => close::INTERNAL,
            };
            tracing::warn!(error = %e, "room could not be opened");
            let _ = socket
                .send(close_frame(code, "this room cannot be opened".into()))
                .await;
            return;
        }
    };
    let _guard = app.connections.enter();
    let limits = &app.config.limits;
    let conn = NEXT_CONN.fetch_add(1, Ordering::Relaxed);
    // Subscribe before the session says anything, so no relayed update
    // falls between the state it sends and the relay.
    let mut link = Link {
        relay: room.relay.subscribe(),
        durable: room.durable.subscribe(),
        shutdown: app.shutdown.subscribe(),
        held: None,
        pending: VecDeque::new(),
        conn,
        send_timeout: limits.idle_timeout,
    };
    let mut session = Session::new(
        meeting.clone(),
        room.clone(),
        member.id,
        conn,
        RateLimit::new(limits.messages_per_sec, limits.message_burst),
    );
    link.pending.extend(session.start());
    tracing::debug!(conn, role = %member.role, "connected");
    let ending = link
        .run(
            &mut socket,
            &mut session,
            &room,
            limits.ping_interval,
            limits.idle_timeout,
        )
        .await;
    if let Some((code, reason)) = ending {
        tracing::info!(code, reason, "closing connection");
        let _ = tokio::time::timeout(
            Duration::from_secs(1),
            socket.send(close_frame(code, reason)),
        )
        .await;
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), SinkExt::close(&mut socket)).await;
    drop(session);
    meeting.leave(&room);
    tracing::debug!(conn, "disconnected");
}

/// A close message with this code and reason.
pub fn close_frame(code: u16, reason: String) -> WsMessage {
    WsMessage::Close(Some(CloseFrame {
        code: CloseCode::from(code),
        reason: truncate(reason).into(),
    }))
}

/// The connection's side of the room: what it receives and what it owes.
struct Link {
    relay: broadcast::Receiver<Relay>,
    durable: watch::Receiver<u64>,
    shutdown: watch::Receiver<bool>,
    /// A relayed frame read ahead while coalescing, to send next.
    held: Option<Relay>,
    /// Replies not sent yet, in order.
    pending: VecDeque<Reply>,
    conn: u64,
    /// A peer that stops reading is dropped after this.
    send_timeout: Duration,
}

impl Link {
    async fn run(
        &mut self,
        socket: &mut Socket,
        session: &mut Session,
        room: &Arc<Room>,
        ping_interval: Duration,
        idle_timeout: Duration,
    ) -> Ending {
        let mut ping = tokio::time::interval(ping_interval);
        ping.reset();
        let mut last_heard = Instant::now();
        loop {
            // Replies go first, in order; a sync answer waits until the
            // state it shows is durable.
            while let Some(reply) = self.pending.front() {
                let bytes = match reply {
                    Reply::Now(_) => self.pending.pop_front(),
                    Reply::AfterDurable(seq, _) if *self.durable.borrow_and_update() >= *seq => {
                        self.pending.pop_front()
                    }
                    Reply::AfterDurable(..) => break,
                };
                let (Some(Reply::Now(bytes)) | Some(Reply::AfterDurable(_, bytes))) = bytes else {
                    break;
                };
                if !self.send(socket, WsMessage::Binary(bytes.into())).await {
                    return None;
                }
            }
            let waiting = !self.pending.is_empty();
            let event = tokio::select! {
                frame = socket.next() => Event::Frame(frame),
                _ = self.durable.changed(), if waiting => Event::Durable,
                relayed = next_relayed(&mut self.held, &mut self.relay), if !waiting => Event::Relayed(relayed),
                _ = ping.tick() => Event::Ping,
                _ = self.shutdown.changed() => Event::Shutdown,
            };
            let out = match event {
                Event::Frame(frame) => {
                    last_heard = Instant::now();
                    match frame {
                        None => return None,
                        Some(Err(e)) => {
                            return read_error_close(&e).or_else(|| {
                                tracing::debug!(error = %e, "connection lost");
                                None
                            });
                        }
                        Some(Ok(WsMessage::Binary(bytes))) => match session.handle(&bytes) {
                            Ok(replies) => {
                                self.pending.extend(replies);
                                continue;
                            }
                            Err(e) => {
                                let code = match e {
                                    SessionError::Malformed(_) => close::PROTOCOL_ERROR,
                                    SessionError::TooFast => close::TOO_FAST,
                                    SessionError::Resync => close::TRY_AGAIN,
                                };
                                return Some((code, e.to_string()));
                            }
                        },
                        Some(Ok(WsMessage::Text(_))) => {
                            return Some((1003, "text frames are not part of the protocol".into()));
                        }
                        Some(Ok(WsMessage::Close(_))) => return None,
                        Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Frame(_))) => {
                            continue;
                        }
                    }
                }
                Event::Durable => continue,
                Event::Relayed(relayed) => match relayed {
                    Ok(Relay::Update {
                        origin,
                        update,
                        frame,
                    }) => {
                        match coalesce(
                            self.conn,
                            origin,
                            update,
                            frame,
                            &mut self.relay,
                            &mut self.held,
                        ) {
                            Ok(Some(bytes)) => WsMessage::Binary(bytes),
                            Ok(None) => continue,
                            Err(()) => {
                                return Some((close::TRY_AGAIN, "reconnect to resync".into()));
                            }
                        }
                    }
                    Ok(Relay::Awareness { origin, frame }) => {
                        if origin == self.conn {
                            continue;
                        }
                        WsMessage::Binary(frame)
                    }
                    Ok(Relay::Fail(reason)) => return Some((close::INTERNAL, reason.to_string())),
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        // The frames it missed are gone from the relay; send
                        // the whole durable state instead, which covers them.
                        tracing::info!(
                            missed = n,
                            "connection fell behind the room; catching it up with the full state"
                        );
                        let (seq, state) = {
                            let mut doc = room.doc();
                            (doc.seq(), doc.diff(&yrs::StateVector::default()))
                        };
                        let bytes = Message::Sync(SyncMessage::Update(state)).encode_v1();
                        self.pending.push_back(Reply::AfterDurable(seq, bytes));
                        continue;
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                Event::Ping => {
                    let silent = last_heard.elapsed();
                    if silent > idle_timeout {
                        tracing::info!(silent_ms = silent.as_millis() as u64, "no answer to pings");
                        return Some((close::TIMEOUT, "no answer to pings".into()));
                    }
                    WsMessage::Ping(Bytes::new())
                }
                Event::Shutdown => {
                    return Some((close::GOING_AWAY, "the server is shutting down".into()));
                }
            };
            if !self.send(socket, out).await {
                return None;
            }
        }
    }

    /// Sends one message, a large one as fragments; false if the peer is
    /// gone or stopped reading.
    async fn send(&self, socket: &mut Socket, msg: WsMessage) -> bool {
        let sent = async {
            match msg {
                WsMessage::Binary(bytes) if bytes.len() > FRAGMENT => {
                    let count = bytes.len().div_ceil(FRAGMENT);
                    for i in 0..count {
                        let part = bytes.slice(i * FRAGMENT..((i + 1) * FRAGMENT).min(bytes.len()));
                        let opcode = if i == 0 {
                            OpCode::Data(Data::Binary)
                        } else {
                            OpCode::Data(Data::Continue)
                        };
                        let frame = Frame::message(part, opcode, i + 1 == count);
                        socket.send(WsMessage::Frame(frame)).await?;
                    }
                    Ok(())
                }
                msg => socket.send(msg).await,
            }
        };
        match tokio::time::timeout(self.send_timeout, sent).await {
            Ok(Ok(())) => true,
            Ok(Err(_)) => false,
            Err(_) => {
                tracing::info!("peer stopped reading; dropping the connection");
                false
            }
        }
    }
}

/// Which read errors deserve a close frame rather than a silent drop.
fn read_error_close(e: &WsError) -> Option<(u16, String)> {
    use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError};
    match e {
        WsError::Capacity(CapacityError::MessageTooLong { size, max_size }) => Some((
            close::TOO_BIG,
            format!("message of {size} bytes is over the limit of {max_size}"),
        )),
        WsError::Capacity(_) => Some((close::TOO_BIG, "message too big".into())),
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => None,
        WsError::Protocol(p) => Some((close::PROTOCOL_ERROR, truncate(p.to_string()))),
        _ => None,
    }
}

/// Close reasons must fit in a control frame (123 bytes).
fn truncate(mut s: String) -> String {
    if s.len() > 120 {
        let mut end = 120;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// The held frame if any, else the next one from the room.
async fn next_relayed(
    held: &mut Option<Relay>,
    relay: &mut broadcast::Receiver<Relay>,
) -> Result<Relay, broadcast::error::RecvError> {
    match held.take() {
        Some(r) => Ok(r),
        None => relay.recv().await,
    }
}

/// Most updates merged into one frame for a connection that is behind.
const MAX_COALESCE: usize = 512;

/// Sends a connection that is behind one frame instead of many: takes the
/// updates already queued after `first` and merges them (the stock client
/// reads one message per frame, so they are merged, not concatenated).
/// Skips the connection's own updates. A non-update frame met on the way is
/// held back, to go out after the merged updates, keeping the order.
fn coalesce(
    conn: u64,
    origin: u64,
    update: Arc<[u8]>,
    frame: Bytes,
    relay: &mut broadcast::Receiver<Relay>,
    held: &mut Option<Relay>,
) -> Result<Option<Bytes>, ()> {
    let mut first = (origin != conn).then_some((update, frame));
    let mut more: Vec<Arc<[u8]>> = Vec::new();
    while more.len() < MAX_COALESCE {
        match relay.try_recv() {
            Ok(Relay::Update {
                origin,
                update,
                frame,
            }) => {
                if origin == conn {
                    continue;
                }
                if first.is_none() {
                    first = Some((update, frame));
                } else {
                    more.push(update);
                }
            }
            Ok(other) => {
                *held = Some(other);
                break;
            }
            // A lag is noticed (and acted on) at the next `recv`.
            Err(_) => break,
        }
    }
    let Some((update, frame)) = first else {
        return Ok(None);
    };
    if more.is_empty() {
        return Ok(Some(frame));
    }
    let mut all: Vec<&[u8]> = Vec::with_capacity(more.len() + 1);
    all.push(&update);
    all.extend(more.iter().map(|u| &u[..]));
    match yrs::merge_updates_v1(all) {
        Ok(merged) => Ok(Some(
            Message::Sync(SyncMessage::Update(merged))
                .encode_v1()
                .into(),
        )),
        Err(e) => {
            // Cannot happen for updates the room itself produced; if it
            // does, the connection resyncs rather than miss them.
            tracing::error!(error = %e, "could not merge relayed updates");
            Err(())
        }
    }
}
