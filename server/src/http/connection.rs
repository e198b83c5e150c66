//! One WebSocket connection to one room, run as a single task: it reads
//! the client's frames into its [`Session`], sends the session's replies
//! (a sync answer only once what it shows is durable), relays the room's
//! frames (merged when the connection is behind), pings, and closes with a
//! code that says why. One task and no channels keep an idle follower to a
//! few KiB.
//!
//! The loop runs over any [`MessageSocket`]: the server's upgraded TCP
//! socket, or an in-memory pair in the tests below. Each turn sends the
//! replies owed, waits for one `Event` and handles it in a step of its
//! own (`on_frame`, `on_relayed`, `on_ping`, `on_heartbeat`...).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Poll;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use draftroom_shared::{Role, RoomName, close};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};
use tokio::time::{Interval, MissedTickBehavior};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::{Error as WsError, Message as WsMessage};
use yrs::sync::{Message, SyncMessage};
use yrs::updates::encoder::Encode;

use crate::http::AppState;
use crate::http::error::AppError;
use crate::http::session::{Reply, Session, SessionError};
use crate::meeting::{LiveRoom, Meeting, Member, OpenError, Relay, Relayed};
use crate::rate::TokenBucket;

/// The upgraded socket of a connection.
pub(crate) type Socket = WebSocketStream<TcpStream>;

/// What a connection runs over: WebSocket messages in and out. Fragments of
/// a large message go out as raw frames ([`WsMessage::Frame`]), which the
/// server's [`Socket`] writes as they are.
pub(crate) trait MessageSocket:
    Sink<WsMessage, Error = WsError> + Stream<Item = Result<WsMessage, WsError>> + Unpin
{
}

impl<T> MessageSocket for T where
    T: Sink<WsMessage, Error = WsError> + Stream<Item = Result<WsMessage, WsError>> + Unpin
{
}

/// Messages larger than this go out as fragments of this size, so that the
/// socket's write buffer, which never shrinks, stays this small after a
/// large message (a new client's whole document, say).
pub(crate) const FRAGMENT: usize = 16 * 1024;

/// What the server sends a connection that has been sent nothing for a
/// while: a presence (awareness) update about no client at all. The stock
/// y-websocket client closes a socket that has received no message for 30 s
/// (WebSocket pings never reach its code) and reconnects, so a moderator
/// alone in a room, or a lone observer, would reconnect every half minute.
/// This message counts as one for it; applying an update of zero clients
/// changes no state, emits no event and asks for no answer, and it grows
/// nobody's state, on either side. Three bytes: message type 1, then the
/// update as a byte string of length 1 holding the count 0.
pub(crate) const HEARTBEAT: [u8; 3] = [1, 1, 0];

/// Source of connection ids (0 is the server's own).
static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

/// Why a connection ends.
enum Ending {
    /// The peer left, or can be told nothing more.
    Gone,
    /// The server closes it with this code and reason.
    Close(u16, String),
}

impl Ending {
    fn close(code: u16, reason: impl Into<String>) -> Ending {
        Ending::Close(code, reason.into())
    }
}

/// What woke the loop.
enum Event {
    Frame(Option<Result<WsMessage, WsError>>),
    Relayed(Result<Relay, RecvError>),
    Durable,
    /// The store takes writes again.
    Writable,
    Ping,
    /// Time to see whether the connection needs a heartbeat.
    Heartbeat,
    Shutdown,
}

/// Runs a member's connection to a room until either side ends it.
#[expect(
    clippy::manual_async_fn,
    reason = "an async fn's future keeps a second copy of its arguments, the socket's 312 bytes among them, in every connection's task"
)]
pub(crate) fn serve<S: MessageSocket>(
    app: Arc<AppState>,
    meeting: Arc<Meeting>,
    member: Member,
    name: RoomName,
    mut socket: S,
) -> impl Future<Output = ()> {
    async move {
        let room = match meeting.join_room(name).await {
            Ok(room) => room,
            Err(e) => return refuse(&mut socket, e).await,
        };
        let _guard = app.connections.enter();
        // An observer counts in the meeting's audience while connected.
        let _following = (member.role == Role::Observer).then(|| meeting.follow(member.id));
        let limits = &app.config.limits;
        let conn = NEXT_CONN.fetch_add(1, Ordering::Relaxed);
        let mut session = Session::new(
            meeting.clone(),
            room.clone(),
            member.id,
            conn,
            TokenBucket::new(
                limits.messages_per_sec,
                limits.message_burst,
                Instant::now(),
            ),
            limits.max_awareness_bytes,
        );
        tracing::debug!(conn, role = %member.role, "connected");
        let mut link = Link::new(&app, &room, &session);
        let shutdown = app.shutdown.subscribe();
        let Err(ending) = link.run(&mut socket, &mut session, &room, shutdown).await;
        hang_up(&mut socket, ending).await;
        drop(session);
        meeting.leave(&room);
        tracing::debug!(conn, "disconnected");
    }
}

/// Closes a connection to a room that cannot be opened.
async fn refuse<S: MessageSocket>(socket: &mut S, e: OpenError) {
    tracing::warn!(error = %e, "room could not be opened");
    let code = AppError::from(e.refusal("room")).close_code();
    let frame = close_frame(code, "this room cannot be opened".into());
    close_handshake(socket, frame).await;
}

/// Tells the peer why the connection ends, if it is there to hear it, then
/// closes the socket.
async fn hang_up<S: MessageSocket>(socket: &mut S, ending: Ending) {
    if let Ending::Close(code, reason) = ending {
        tracing::info!(code, reason, "closing connection");
        close_handshake(socket, close_frame(code, reason)).await;
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), SinkExt::close(socket)).await;
}

/// Sends a close frame, then reads (and discards) what the peer still
/// sends until its own close, for a second at most. Dropping a socket with
/// unread bytes in its receive buffer makes the kernel answer with a reset,
/// and a peer that was still sending (the very one closed for sending too
/// fast) would then see an abnormal close (1006) instead of the code that
/// tells it what happened.
async fn close_handshake<S: MessageSocket>(socket: &mut S, frame: WsMessage) {
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        if socket.send(frame).await.is_err() {
            return;
        }
        while let Some(Ok(msg)) = socket.next().await {
            if matches!(msg, WsMessage::Close(_)) {
                break;
            }
        }
    })
    .await;
}

/// A close message with this code and reason.
pub(crate) fn close_frame(code: u16, reason: String) -> WsMessage {
    WsMessage::Close(Some(CloseFrame {
        code: CloseCode::from(code),
        reason: truncate(reason).into(),
    }))
}

/// The connection's side of the room: what it receives, what it owes, and
/// its timers.
struct Link {
    relay: broadcast::Receiver<Relay>,
    durable: watch::Receiver<u64>,
    /// Whether the store takes writes.
    writable: watch::Receiver<bool>,
    /// A relayed frame read ahead while coalescing, to send next.
    held: Option<Relay>,
    /// Replies not sent yet, in order.
    pending: VecDeque<Reply>,
    conn: u64,
    ping: Interval,
    /// Ticks twice per heartbeat period, and a heartbeat goes out on a
    /// tick that finds nothing sent since the one before: the silence a
    /// client sees is at most the period, and a connection that is sent
    /// anything is never sent a heartbeat. (A timer reset on every send
    /// would cost the busy connections instead of the idle ones.)
    heartbeat: Interval,
    /// When the client last sent a frame (a pong included).
    last_heard: Instant,
    /// A client silent this long is dropped, and so is a peer that stops
    /// reading for this long.
    idle_timeout: Duration,
    /// A message (not a ping) went out since the last heartbeat tick.
    sent: bool,
}

impl Link {
    /// The session's link to `room`, owing what the session says first.
    fn new(app: &AppState, room: &LiveRoom, session: &Session) -> Link {
        let limits = &app.config.limits;
        let mut ping = tokio::time::interval(limits.ping_interval);
        ping.reset();
        let mut heartbeat = tokio::time::interval(limits.heartbeat / 2);
        heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        heartbeat.reset();
        // Subscribed before the session says anything, so no relayed
        // update falls between the state it sends and the relay.
        let relay = room.relay.subscribe();
        Link {
            relay,
            durable: room.durable.subscribe(),
            writable: app.hub.store().watch_writable(),
            held: None,
            pending: session.start().into(),
            conn: session.conn(),
            ping,
            heartbeat,
            last_heard: Instant::now(),
            idle_timeout: limits.idle_timeout,
            sent: true,
        }
    }

    /// Runs the connection until it ends, which is the only way it returns.
    async fn run<S: MessageSocket>(
        &mut self,
        socket: &mut S,
        session: &mut Session,
        room: &LiveRoom,
        shutdown: watch::Receiver<bool>,
    ) -> Result<Infallible, Ending> {
        // Polled across turns, so that waiting for it costs nothing per
        // frame.
        let mut shutdown = pin!(shut_down(shutdown));
        loop {
            check_stored(room)?;
            // Replies go first, in order, as far as they may go now.
            while let Some(bytes) = self.next_reply() {
                self.send(socket, WsMessage::Binary(bytes.into())).await?;
            }
            let owed = session.owes_resync();
            let event = self.next_event(socket, owed, shutdown.as_mut()).await;
            if let Some(msg) = self.on_event(event, session, room)? {
                self.send(socket, msg).await?;
            }
        }
    }

    /// Waits for what comes next, looked at in a fixed order: the client's
    /// frames always, so a busy room cannot starve them; the room's frames
    /// only once the replies owed are sent, so they keep their order.
    async fn next_event<S: MessageSocket>(
        &mut self,
        socket: &mut S,
        owes_resync: bool,
        shutdown: Pin<&mut impl Future<Output = ()>>,
    ) -> Event {
        let waiting = !self.pending.is_empty();
        tokio::select! {
            biased;
            () = shutdown => Event::Shutdown,
            frame = socket.next() => Event::Frame(frame),
            _ = self.durable.changed(), if waiting => Event::Durable,
            relayed = next_relayed(&mut self.held, &mut self.relay), if !waiting => Event::Relayed(relayed),
            _ = self.ping.tick() => Event::Ping,
            _ = self.heartbeat.tick() => Event::Heartbeat,
            Ok(_) = self.writable.wait_for(|w| *w), if owes_resync => Event::Writable,
        }
    }

    /// The next reply owed, if it may go now: a sync answer waits until the
    /// state it shows is durable.
    fn next_reply(&mut self) -> Option<Vec<u8>> {
        if let Reply::AfterDurable(seq, _) = self.pending.front()?
            && *self.durable.borrow_and_update() < *seq
        {
            return None;
        }
        let (Reply::Now(bytes) | Reply::AfterDurable(_, bytes)) = self.pending.pop_front()?;
        Some(bytes)
    }

    /// Handles what woke the loop; answers the message to send, if any.
    fn on_event(
        &mut self,
        event: Event,
        session: &mut Session,
        room: &LiveRoom,
    ) -> Result<Option<WsMessage>, Ending> {
        match event {
            Event::Frame(frame) => self.on_frame(frame, session).map(|()| None),
            Event::Relayed(relayed) => self.on_relayed(relayed, room),
            // The replies it held back go out at the top of the loop.
            Event::Durable => Ok(None),
            Event::Writable => {
                self.pending.push_back(session.resync());
                Ok(None)
            }
            Event::Ping => self.on_ping().map(Some),
            Event::Heartbeat => Ok(self.on_heartbeat()),
            Event::Shutdown => Err(Ending::close(
                close::GOING_AWAY,
                "the server is shutting down",
            )),
        }
    }

    /// Takes a frame from the client: the session's replies to it are
    /// owed; a frame against the protocol ends the connection.
    fn on_frame(
        &mut self,
        frame: Option<Result<WsMessage, WsError>>,
        session: &mut Session,
    ) -> Result<(), Ending> {
        self.last_heard = Instant::now();
        match frame {
            None | Some(Ok(WsMessage::Close(_))) => Err(Ending::Gone),
            Some(Err(e)) => Err(read_error(&e)),
            Some(Ok(WsMessage::Binary(bytes))) => {
                let replies = session.handle(&bytes).map_err(session_error)?;
                self.pending.extend(replies);
                Ok(())
            }
            Some(Ok(WsMessage::Text(_))) => Err(Ending::close(
                close::UNSUPPORTED_DATA,
                "text frames are not part of the protocol",
            )),
            Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Frame(_))) => Ok(()),
        }
    }

    /// Takes a frame from the room: an update (merged with those queued
    /// after it), another connection's presence, or the room's failure.
    fn on_relayed(
        &mut self,
        relayed: Result<Relay, RecvError>,
        room: &LiveRoom,
    ) -> Result<Option<WsMessage>, Ending> {
        let bytes = match relayed {
            Ok(Relay::Update(first)) => {
                coalesce(self.conn, first, room, &mut self.relay, &mut self.held)
                    .map_err(|()| Ending::close(close::TRY_AGAIN, "reconnect to resync"))?
            }
            Ok(Relay::Awareness { origin, frame }) => (origin != self.conn).then_some(frame),
            Ok(Relay::Fail(reason)) => return Err(Ending::close(close::INTERNAL, &*reason)),
            Err(RecvError::Lagged(missed)) => {
                self.catch_up(room, missed);
                None
            }
            Err(RecvError::Closed) => return Err(Ending::Gone),
        };
        Ok(bytes.map(WsMessage::Binary))
    }

    /// The frames a connection missed are gone from the relay; it is sent
    /// the whole durable state instead, which covers them.
    fn catch_up(&mut self, room: &LiveRoom, missed: u64) {
        tracing::info!(
            missed,
            "connection fell behind the room; catching it up with the full state"
        );
        let (seq, state) = {
            let mut doc = room.doc();
            (doc.seq(), doc.diff(&yrs::StateVector::default()))
        };
        let bytes = Message::Sync(SyncMessage::Update(state)).encode_v1();
        self.pending.push_back(Reply::AfterDurable(seq, bytes));
    }

    /// A ping, unless the client has been silent past the idle timeout.
    fn on_ping(&self) -> Result<WsMessage, Ending> {
        let silent = self.last_heard.elapsed();
        if silent > self.idle_timeout {
            tracing::info!(silent_ms = silent.as_millis() as u64, "no answer to pings");
            return Err(Ending::close(close::TIMEOUT, "no answer to pings"));
        }
        Ok(WsMessage::Ping(Bytes::new()))
    }

    /// A heartbeat, unless a message went out since the last tick.
    fn on_heartbeat(&mut self) -> Option<WsMessage> {
        let sent = std::mem::take(&mut self.sent);
        (!sent).then(|| WsMessage::Binary(Bytes::from_static(&HEARTBEAT)))
    }

    /// Sends one message. Most sends complete at once; only one that has
    /// to wait for the peer needs a timer.
    async fn send<S: MessageSocket>(
        &mut self,
        socket: &mut S,
        msg: WsMessage,
    ) -> Result<(), Ending> {
        if !matches!(msg, WsMessage::Ping(_)) {
            self.sent = true;
        }
        let mut sent = pin!(write(socket, msg));
        let first = std::future::poll_fn(|cx| Poll::Ready(sent.as_mut().poll(cx))).await;
        let result = match first {
            Poll::Ready(r) => Ok(r),
            Poll::Pending => tokio::time::timeout(self.idle_timeout, sent).await,
        };
        match result {
            Ok(Ok(())) => Ok(()),
            // The peer is gone: nothing more to say.
            Ok(Err(_)) => Err(Ending::Gone),
            Err(_) => {
                tracing::info!("peer stopped reading; dropping the connection");
                // Most likely never read, but a phone whose browser comes
                // back from the background does read it, and reconnects.
                let reason = "stopped reading what the server sent";
                Err(Ending::close(close::TIMEOUT, reason))
            }
        }
    }
}

/// Writes one message, one larger than [`FRAGMENT`] as fragments.
#[expect(
    clippy::manual_async_fn,
    reason = "an async fn's future keeps a second copy of its arguments: 64 bytes more in every connection's task"
)]
fn write<S: MessageSocket>(
    socket: &mut S,
    msg: WsMessage,
) -> impl Future<Output = Result<(), WsError>> {
    async move {
        match msg {
            WsMessage::Binary(bytes) if bytes.len() > FRAGMENT => {
                for frame in fragments(bytes) {
                    socket.send(WsMessage::Frame(frame)).await?;
                }
                Ok(())
            }
            msg => socket.send(msg).await,
        }
    }
}

/// A binary message as frames of at most [`FRAGMENT`] bytes, sharing its
/// bytes.
fn fragments(bytes: Bytes) -> impl Iterator<Item = Frame> {
    let count = bytes.len().div_ceil(FRAGMENT);
    (0..count).map(move |i| {
        let part = bytes.slice(i * FRAGMENT..((i + 1) * FRAGMENT).min(bytes.len()));
        let data = if i == 0 { Data::Binary } else { Data::Continue };
        Frame::message(part, OpCode::Data(data), i + 1 == count)
    })
}

/// Ends the connections of a room that could not store a change: what it
/// would show next may include a change that was never stored, and the
/// client resyncs with the reloaded room.
fn check_stored(room: &LiveRoom) -> Result<(), Ending> {
    if room.failed.load(Ordering::SeqCst) {
        let reason = "the server could not store a change; reconnect";
        return Err(Ending::close(close::INTERNAL, reason));
    }
    Ok(())
}

/// Resolves once the server shuts down (never, if it cannot tell).
async fn shut_down(mut shutdown: watch::Receiver<bool>) {
    while !*shutdown.borrow_and_update() {
        if shutdown.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// The close a session's error calls for.
fn session_error(e: SessionError) -> Ending {
    let code = match e {
        SessionError::Malformed(_) => close::PROTOCOL_ERROR,
        SessionError::TooFast => close::TOO_FAST,
        SessionError::Resync => close::TRY_AGAIN,
        SessionError::AwarenessTooBig { .. } => close::TOO_BIG,
        SessionError::TooManyPresences => close::POLICY,
    };
    Ending::Close(code, e.to_string())
}

/// How a read error ends the connection: with a close frame when the
/// client broke a rule, silently when the connection itself broke.
fn read_error(e: &WsError) -> Ending {
    use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError};
    match e {
        WsError::Capacity(CapacityError::MessageTooLong { size, max_size }) => Ending::Close(
            close::TOO_BIG,
            format!("message of {size} bytes is over the limit of {max_size}"),
        ),
        WsError::Capacity(_) => Ending::close(close::TOO_BIG, "message too big"),
        WsError::Protocol(p) if !matches!(p, ProtocolError::ResetWithoutClosingHandshake) => {
            Ending::Close(close::PROTOCOL_ERROR, truncate(p.to_string()))
        }
        _ => {
            tracing::debug!(error = %e, "connection lost");
            Ending::Gone
        }
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
/// held back, to go out after the merged updates, keeping the order. A run
/// of consecutive updates is merged through the room's cache, since
/// followers that are behind together need the same runs.
fn coalesce(
    conn: u64,
    first: Relayed,
    room: &LiveRoom,
    relay: &mut broadcast::Receiver<Relay>,
    held: &mut Option<Relay>,
) -> Result<Option<Bytes>, ()> {
    let mut run: Vec<Relayed> = Vec::new();
    if first.origin != conn {
        run.push(first);
    }
    // Whether `run` holds every update from its first to its last.
    let mut whole = true;
    while run.len() <= MAX_COALESCE {
        match relay.try_recv() {
            Ok(Relay::Update(next)) => {
                if next.origin == conn {
                    continue;
                }
                if run.last().is_some_and(|q| q.seq + 1 != next.seq) {
                    whole = false;
                }
                run.push(next);
            }
            Ok(other) => {
                *held = Some(other);
                break;
            }
            // A lag is noticed (and acted on) at the next `recv`.
            Err(_) => break,
        }
    }
    let (Some(head), Some(tail)) = (run.first(), run.last()) else {
        return Ok(None);
    };
    if run.len() == 1 {
        return Ok(Some(head.frame.clone()));
    }
    let merge = || match yrs::merge_updates_v1(run.iter().map(|q| &q.update[..])) {
        Ok(merged) => Some(Bytes::from(
            Message::Sync(SyncMessage::Update(merged)).encode_v1(),
        )),
        Err(e) => {
            // Cannot happen for updates the room itself produced; if it
            // does, the connection resyncs rather than miss them.
            tracing::error!(error = %e, "could not merge relayed updates");
            None
        }
    };
    let merged = if whole {
        room.merged(head.seq, tail.seq, merge)
    } else {
        merge()
    };
    merged.map(Some).ok_or(())
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::task::Context;
    use std::time::Duration;

    use draftroom_shared::Language;
    use tokio::sync::mpsc;
    use tokio::task::JoinHandle;
    use tokio_tungstenite::tungstenite::protocol::{Role as Side, WebSocketConfig};
    use uuid::Uuid;
    use yrs::updates::decoder::Decode;
    use yrs::{GetString, StateVector, Text, Transact, Update, WriteTxn};

    use super::*;
    use crate::config::{Config, Limits};
    use crate::meeting::live_room::RoomSizes;
    use crate::room::{Kind, RoomDoc, new_doc};
    use crate::store::StoreCloser;

    fn room() -> Arc<LiveRoom> {
        let sizes = RoomSizes {
            backlog: 64,
            compact_every: 1000,
            idle: Duration::from_secs(30),
        };
        let doc = RoomDoc::empty(Kind::Amendment);
        LiveRoom::new(Uuid::new_v4(), "draft".parse().unwrap(), doc, sizes)
    }

    /// Relays `typed` (connection, words) as one update each, with
    /// sequence numbers from 1.
    fn relay_typing(tx: &broadcast::Sender<Relay>, typed: &[(u64, &str)]) {
        let doc = new_doc();
        let text = doc.get_or_insert_text("t");
        for (seq, (origin, words)) in (1..).zip(typed) {
            let mut txn = doc.transact_mut();
            let at = text.len(&txn);
            text.insert(&mut txn, at, words);
            let update = txn.encode_update_v1();
            drop(txn);
            let frame = Message::Sync(SyncMessage::Update(update.clone())).encode_v1();
            let relay = Relay::Update(Relayed {
                origin: *origin,
                seq,
                update: update.into(),
                frame: frame.into(),
            });
            tx.send(relay).unwrap();
        }
    }

    /// What connection `conn` sends for the frames queued on `rx`.
    fn next_frame(conn: u64, room: &LiveRoom, rx: &mut broadcast::Receiver<Relay>) -> Bytes {
        let Ok(Relay::Update(first)) = rx.try_recv() else {
            panic!("no update queued")
        };
        let mut held = None;
        coalesce(conn, first, room, rx, &mut held)
            .unwrap()
            .expect("a frame")
    }

    /// The text a fresh document holds after `message`.
    fn text_of(message: &[u8]) -> String {
        let Message::Sync(SyncMessage::Update(update)) = Message::decode_v1(message).unwrap()
        else {
            panic!("not an update");
        };
        let doc = new_doc();
        let text = doc.get_or_insert_text("t");
        let update = Update::decode_v1(&update).unwrap();
        doc.transact_mut().apply_update(update).unwrap();
        text.get_string(&doc.transact())
    }

    #[test]
    fn followers_behind_by_the_same_run_share_one_merge() {
        let room = room();
        let (tx, mut a) = broadcast::channel(64);
        let mut b = tx.subscribe();
        relay_typing(&tx, &[(7, "Misja "), (7, "Krakowa "), (7, "zażółć 🙂")]);
        let merged_a = next_frame(1, &room, &mut a);
        assert_eq!(text_of(&merged_a), "Misja Krakowa zażółć 🙂");
        let merged_b = next_frame(2, &room, &mut b);
        // The same bytes, not an equal copy: the second came from the cache.
        assert_eq!(merged_a.as_ptr(), merged_b.as_ptr());
    }

    #[test]
    fn a_run_missing_an_own_update_is_not_shared() {
        let room = room();
        let (tx, mut writer) = broadcast::channel(64);
        let mut follower = tx.subscribe();
        // Connection 3 wrote the middle update.
        relay_typing(&tx, &[(7, "ab"), (3, "cd"), (7, "ef")]);
        // It is sent 1 and 3 only; its own document has 2.
        let mine = next_frame(3, &room, &mut writer);
        assert_ne!(text_of(&mine), "abcdef");
        // A follower needs all three, not that run.
        let all = next_frame(4, &room, &mut follower);
        assert_eq!(text_of(&all), "abcdef");
    }

    // The loop, driven in memory: a client on one end of a pair of
    // channels, `serve` on the other, over a real store in a temporary
    // directory.

    /// The server's end of an in-memory connection.
    struct Pipe {
        from_client: mpsc::UnboundedReceiver<Result<WsMessage, WsError>>,
        to_client: mpsc::UnboundedSender<WsMessage>,
    }

    impl Stream for Pipe {
        type Item = Result<WsMessage, WsError>;

        fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            self.from_client.poll_recv(cx)
        }
    }

    impl Sink<WsMessage> for Pipe {
        type Error = WsError;

        fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), WsError>> {
            Poll::Ready(Ok(()))
        }

        fn start_send(self: Pin<&mut Self>, msg: WsMessage) -> Result<(), WsError> {
            self.to_client
                .send(msg)
                .map_err(|_| WsError::ConnectionClosed)
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), WsError>> {
            Poll::Ready(Ok(()))
        }

        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), WsError>> {
            Poll::Ready(Ok(()))
        }
    }

    /// The client's end.
    struct Client {
        to_server: mpsc::UnboundedSender<Result<WsMessage, WsError>>,
        from_server: mpsc::UnboundedReceiver<WsMessage>,
    }

    fn pipe() -> (Pipe, Client) {
        let (to_server, from_client) = mpsc::unbounded_channel();
        let (to_client, from_server) = mpsc::unbounded_channel();
        let pipe = Pipe {
            from_client,
            to_client,
        };
        let client = Client {
            to_server,
            from_server,
        };
        (pipe, client)
    }

    impl Client {
        fn send(&self, msg: WsMessage) {
            // The server may be gone already; what it did is what's tested.
            let _ = self.to_server.send(Ok(msg));
        }

        fn send_binary(&self, bytes: Vec<u8>) {
            self.send(WsMessage::Binary(bytes.into()));
        }

        /// The next message as sent, fragments apart; None once the
        /// server has hung up.
        async fn next(&mut self) -> Option<WsMessage> {
            tokio::time::timeout(Duration::from_secs(5), self.from_server.recv())
                .await
                .expect("the server sends something within 5 s")
        }

        /// The next message, which must be a binary one (its fragments
        /// joined).
        async fn binary(&mut self) -> Vec<u8> {
            let mut whole = Vec::new();
            loop {
                match self.next().await {
                    Some(WsMessage::Binary(bytes)) if whole.is_empty() => return bytes.to_vec(),
                    Some(WsMessage::Frame(frame)) => {
                        whole.extend_from_slice(frame.payload());
                        if frame.header().is_final {
                            return whole;
                        }
                    }
                    other => panic!("expected a binary message, got {other:?}"),
                }
            }
        }

        /// Asserts that the server sends nothing for `time`.
        async fn quiet_for(&mut self, time: Duration) {
            if let Ok(msg) = tokio::time::timeout(time, self.from_server.recv()).await {
                panic!("expected nothing yet, got {msg:?}");
            }
        }

        /// The close frame's code and reason, after any pings; answers it
        /// as a peer does.
        async fn close(&mut self) -> (u16, String) {
            loop {
                match self.next().await {
                    Some(WsMessage::Ping(_)) => continue,
                    Some(WsMessage::Close(Some(frame))) => {
                        self.send(WsMessage::Close(None));
                        return (frame.code.into(), frame.reason.to_string());
                    }
                    other => panic!("expected a close frame, got {other:?}"),
                }
            }
        }
    }

    /// A server over a fresh store, with a meeting and its moderator.
    struct Server {
        app: Arc<AppState>,
        meeting: Arc<Meeting>,
        moderator: Member,
        _closer: StoreCloser,
        _dir: tempfile::TempDir,
    }

    async fn server(limits: Limits) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            data_dir: dir.path().to_owned(),
            web_dir: None,
            limits,
            ..Config::default()
        };
        let (app, closer) = crate::state(config).unwrap();
        let created = app
            .hub
            .create_meeting("Misja Krakowa", "Anna", Language::Pl)
            .await
            .unwrap();
        let (meeting, moderator) = app
            .hub
            .authenticate(created.id, Some(&created.moderator_token))
            .await
            .unwrap();
        Server {
            app,
            meeting,
            moderator,
            _closer: closer,
            _dir: dir,
        }
    }

    /// A connection of the moderator to the draft, past the server's
    /// first message.
    struct Connected {
        client: Client,
        room: Arc<LiveRoom>,
        task: JoinHandle<()>,
        _held: crate::meeting::HeldRoom,
    }

    impl Server {
        /// Runs `serve` for the moderator on `name` over `socket`.
        fn serve<S: MessageSocket + Send + 'static>(
            &self,
            name: RoomName,
            socket: S,
        ) -> JoinHandle<()> {
            let app = self.app.clone();
            let (meeting, member) = (self.meeting.clone(), self.moderator.clone());
            tokio::spawn(serve(app, meeting, member, name, socket))
        }

        async fn connect(&self) -> Connected {
            let held = self.meeting.hold_room(RoomName::Draft).await.unwrap();
            let room = held.room.clone();
            let (pipe, mut client) = pipe();
            let task = self.serve(RoomName::Draft, pipe);
            // The server speaks first: the room's state vector.
            let sv = room.doc().state_vector();
            let step1 = Message::Sync(SyncMessage::SyncStep1(sv)).encode_v1();
            assert_eq!(client.binary().await, step1);
            Connected {
                client,
                room,
                task,
                _held: held,
            }
        }
    }

    impl Connected {
        /// The close frame's code and reason; then the connection ends.
        async fn closed(mut self, app: &AppState) -> (u16, String) {
            let close = self.client.close().await;
            tokio::time::timeout(Duration::from_secs(5), self.task)
                .await
                .expect("the connection ends")
                .unwrap();
            assert_eq!(self.client.next().await, None, "nothing after the close");
            assert_eq!(app.connections.open(), 0);
            close
        }
    }

    /// Writes `words` into the room's document as the server, without
    /// storing it: the update is applied, not durable, not relayed.
    fn write(room: &LiveRoom, words: &str) -> Relayed {
        let applied = room
            .doc()
            .server_write(|txn| {
                let text = txn.get_or_insert_text("t");
                let at = text.len(txn);
                text.insert(txn, at, words);
            })
            .unwrap();
        let frame = Message::Sync(SyncMessage::Update(applied.update.clone())).encode_v1();
        Relayed {
            origin: 0,
            seq: applied.seq,
            update: applied.update.into(),
            frame: frame.into(),
        }
    }

    /// What the store does once `relayed` is committed: relays it, then
    /// marks it durable.
    fn commit(room: &LiveRoom, relayed: &Relayed) {
        room.relay.send(Relay::Update(relayed.clone())).unwrap();
        room.durable.send_replace(relayed.seq);
    }

    #[tokio::test]
    async fn a_sync_answer_waits_until_durable_and_goes_out_before_later_relays() {
        let server = server(Limits::default()).await;
        let mut conn = server.connect().await;
        let room = conn.room.clone();
        // The room has applied two updates the store has not committed yet.
        let first = write(&room, "Misja ");
        let second = write(&room, "Krakowa");
        assert!(*room.durable.borrow() < first.seq);
        let step1 = Message::Sync(SyncMessage::SyncStep1(StateVector::default()));
        conn.client.send_binary(step1.encode_v1());
        let state = room.doc().diff(&StateVector::default());
        let answer = Message::Sync(SyncMessage::SyncStep2(state)).encode_v1();
        // The answer shows both, so it waits for both; what the room
        // relays meanwhile waits behind it.
        conn.client.quiet_for(Duration::from_millis(100)).await;
        commit(&room, &first);
        // Relayed as it is, so any bytes do.
        let presence = Bytes::from_static(b"presence of another connection");
        let awareness = Relay::Awareness {
            origin: u64::MAX,
            frame: presence.clone(),
        };
        room.relay.send(awareness).unwrap();
        conn.client.quiet_for(Duration::from_millis(100)).await;
        commit(&room, &second);
        assert_eq!(conn.client.binary().await, answer);
        // Then the relayed frames in their order, the first update alone
        // (a presence frame came after it), then the second.
        assert_eq!(conn.client.binary().await, first.frame);
        assert_eq!(conn.client.binary().await, presence);
        assert_eq!(conn.client.binary().await, second.frame);
        // A later update goes out at once.
        let later = write(&room, " zażółć");
        commit(&room, &later);
        assert_eq!(conn.client.binary().await, later.frame);
        server.app.shutdown.send_replace(true);
        let close = conn.closed(&server.app).await;
        assert_eq!(close.0, close::GOING_AWAY);
    }

    #[tokio::test]
    async fn a_large_answer_goes_out_in_fragments() {
        let server = server(Limits::default()).await;
        let mut conn = server.connect().await;
        let typed = write(&conn.room, &"zażółć ".repeat(4000));
        commit(&conn.room, &typed);
        let step1 = Message::Sync(SyncMessage::SyncStep1(StateVector::default()));
        conn.client.send_binary(step1.encode_v1());
        let state = conn.room.doc().diff(&StateVector::default());
        let answer = Message::Sync(SyncMessage::SyncStep2(state)).encode_v1();
        assert!(answer.len() > 2 * FRAGMENT);
        let mut parts = Vec::new();
        while parts.len() < answer.len().div_ceil(FRAGMENT) {
            let Some(WsMessage::Frame(frame)) = conn.client.next().await else {
                panic!("expected a fragment");
            };
            let opcode = if parts.is_empty() {
                OpCode::Data(Data::Binary)
            } else {
                OpCode::Data(Data::Continue)
            };
            assert_eq!(frame.header().opcode, opcode);
            let last = (parts.len() + 1) * FRAGMENT >= answer.len();
            assert_eq!(frame.header().is_final, last);
            parts.push(frame.into_payload());
        }
        assert!(parts[..parts.len() - 1].iter().all(|p| p.len() == FRAGMENT));
        assert_eq!(parts.concat(), answer);
    }

    #[tokio::test]
    async fn a_connection_that_lagged_is_sent_the_whole_state_then_the_rest_merged() {
        let limits = Limits {
            relay_backlog: 4,
            ..Limits::default()
        };
        let server = server(limits).await;
        let mut conn = server.connect().await;
        let room = conn.room.clone();
        // Ten updates while the connection's task does not run: the relay
        // keeps the last four, the first six are gone.
        let words = [
            "Misja ",
            "Krakowa ",
            "zażółć ",
            "gęślą ",
            "jaźń ",
            "🙂 ",
            "a ",
            "b ",
            "c ",
            "d",
        ];
        let typed: Vec<Relayed> = words
            .iter()
            .map(|words| {
                let relayed = write(&room, words);
                commit(&room, &relayed);
                relayed
            })
            .collect();
        // First the whole state, which covers what it missed...
        let whole = conn.client.binary().await;
        let state = room.doc().diff(&StateVector::default());
        assert_eq!(whole, Message::Sync(SyncMessage::Update(state)).encode_v1());
        assert_eq!(text_of(&whole), words.concat());
        // ...then the four still in the relay, merged into one frame.
        let kept = typed[6..].iter().map(|r| &r.update[..]);
        let merged = yrs::merge_updates_v1(kept).unwrap();
        let merged = Message::Sync(SyncMessage::Update(merged)).encode_v1();
        assert_eq!(conn.client.binary().await, merged);
        conn.client.quiet_for(Duration::from_millis(50)).await;
    }

    #[tokio::test]
    async fn a_malformed_frame_closes_with_1002() {
        let server = server(Limits::default()).await;
        let conn = server.connect().await;
        conn.client.send_binary(vec![9, 0]);
        let close = conn.closed(&server.app).await;
        let reason = "malformed message: unknown message type 9";
        assert_eq!(close, (close::PROTOCOL_ERROR, reason.into()));
    }

    #[tokio::test]
    async fn a_text_frame_closes_with_1003() {
        let server = server(Limits::default()).await;
        let conn = server.connect().await;
        conn.client.send(WsMessage::Text("hej".into()));
        let close = conn.closed(&server.app).await;
        let reason = "text frames are not part of the protocol";
        assert_eq!(close, (close::UNSUPPORTED_DATA, reason.into()));
    }

    #[tokio::test]
    async fn messages_past_the_burst_close_with_4029() {
        let limits = Limits {
            messages_per_sec: 0.001,
            message_burst: 2.0,
            ..Limits::default()
        };
        let server = server(limits).await;
        let conn = server.connect().await;
        // An awareness query with nobody present: no answer.
        for _ in 0..3 {
            conn.client.send_binary(Message::AwarenessQuery.encode_v1());
        }
        let close = conn.closed(&server.app).await;
        let reason = "too many messages; slow down";
        assert_eq!(close, (close::TOO_FAST, reason.into()));
    }

    #[tokio::test]
    async fn an_oversized_message_closes_with_1009() {
        let server = server(Limits::default()).await;
        // The real socket type over an in-memory stream, limited as the
        // endpoint limits it.
        let (near, far) = tokio::io::duplex(64 * 1024);
        let config = WebSocketConfig::default()
            .max_message_size(Some(1024))
            .max_frame_size(Some(1024));
        let socket = WebSocketStream::from_raw_socket(near, Side::Server, Some(config)).await;
        let mut client = WebSocketStream::from_raw_socket(far, Side::Client, None).await;
        let task = server.serve(RoomName::Draft, socket);
        let Some(Ok(WsMessage::Binary(_))) = client.next().await else {
            panic!("expected the server's sync step 1");
        };
        client
            .send(WsMessage::Binary(vec![0; 2048].into()))
            .await
            .unwrap();
        let Some(Ok(WsMessage::Close(Some(frame)))) = client.next().await else {
            panic!("expected a close frame");
        };
        let reason = "message of 2048 bytes is over the limit of 1024";
        assert_eq!(
            (u16::from(frame.code), frame.reason.as_str()),
            (close::TOO_BIG, reason)
        );
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("the connection ends")
            .unwrap();
    }

    #[tokio::test]
    async fn shutdown_closes_with_1001() {
        let server = server(Limits::default()).await;
        let conn = server.connect().await;
        server.app.shutdown.send_replace(true);
        let close = conn.closed(&server.app).await;
        let reason = "the server is shutting down";
        assert_eq!(close, (close::GOING_AWAY, reason.into()));
    }

    #[tokio::test]
    async fn a_room_that_failed_to_store_closes_with_1011() {
        let server = server(Limits::default()).await;
        let conn = server.connect().await;
        conn.room.fail("disk full");
        let close = conn.closed(&server.app).await;
        let reason = "the server could not store a change; reconnecting";
        assert_eq!(close, (close::INTERNAL, reason.into()));
    }

    #[tokio::test]
    async fn a_room_that_does_not_exist_closes_with_4404() {
        let server = server(Limits::default()).await;
        let (pipe, mut client) = pipe();
        let task = server.serve(RoomName::Amendment(Uuid::new_v4()), pipe);
        let close = client.close().await;
        let reason = "this room cannot be opened";
        assert_eq!(close, (close::NOT_FOUND, reason.into()));
        task.await.unwrap();
        assert_eq!(client.next().await, None);
    }

    #[tokio::test]
    async fn a_client_silent_past_the_idle_timeout_closes_with_4008() {
        let limits = Limits {
            ping_interval: Duration::from_millis(20),
            idle_timeout: Duration::from_millis(100),
            ..Limits::default()
        };
        let server = server(limits).await;
        let mut conn = server.connect().await;
        assert_eq!(
            conn.client.next().await,
            Some(WsMessage::Ping(Bytes::new()))
        );
        let close = conn.closed(&server.app).await;
        let reason = "no answer to pings";
        assert_eq!(close, (close::TIMEOUT, reason.into()));
    }

    #[tokio::test]
    async fn a_connection_sent_nothing_is_sent_a_heartbeat() {
        let limits = Limits {
            heartbeat: Duration::from_millis(100),
            ..Limits::default()
        };
        let server = server(limits).await;
        let mut conn = server.connect().await;
        let started = std::time::Instant::now();
        assert_eq!(conn.client.binary().await, HEARTBEAT);
        assert!(started.elapsed() >= Duration::from_millis(40));
        // Something relayed meanwhile counts as a message: no heartbeat.
        let typed = write(&conn.room, "Misja");
        commit(&conn.room, &typed);
        assert_eq!(conn.client.binary().await, typed.frame.to_vec());
        assert_eq!(conn.client.binary().await, HEARTBEAT);
    }
}
