//! One WebSocket connection to one room, run as a single task: it reads
//! the client's frames into its [`Session`], sends the session's replies
//! (a sync answer only once what it shows is durable), pings, and closes
//! with a code that says why. The room's frames reach a member who writes
//! through the task's own receiver of the room's relay (merged when the
//! connection is behind, around its own updates); an observer's are
//! written to its socket by the room's writers
//! ([`crate::meeting::fanout`], through [`follower`]), so that a room of
//! thousands of followers wakes a few tasks per frame, not thousands. One
//! task and no channels keep an idle follower to a few KiB.
//!
//! The loop runs over any [`MessageSocket`]: the server's upgraded TCP
//! socket, or an in-memory pair in the tests below. Each turn sends the
//! replies owed, waits for one `Event` and handles it in a step of its
//! own (`on_frame`, `on_relayed`, `on_news`, `on_ping`, `on_heartbeat`...).

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
use crate::meeting::{LiveRoom, Meeting, Member, OpenError, Relay};
use crate::rate::TokenBucket;

mod follower;
mod merge;
#[cfg(test)]
mod tests;

use follower::{Followed, Follower, News, Shared};
use merge::{coalesce, next_relayed};

/// The upgraded socket of a connection.
pub(crate) type Socket = WebSocketStream<TcpStream>;

/// What a connection runs over: WebSocket messages in and out. Fragments of
/// a large message go out as raw frames ([`WsMessage::Frame`]), which the
/// server's [`Socket`] writes as they are.
pub(crate) trait MessageSocket:
    Sink<WsMessage, Error = WsError>
    + Stream<Item = Result<WsMessage, WsError>>
    + Unpin
    + Send
    + 'static
{
}

impl<T> MessageSocket for T where
    T: Sink<WsMessage, Error = WsError>
        + Stream<Item = Result<WsMessage, WsError>>
        + Unpin
        + Send
        + 'static
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

/// Why a peer that stopped reading is closed. Most likely never read,
/// but a phone whose browser comes back from the background does read it,
/// and reconnects.
const STOPPED_READING: &str = "stopped reading what the server sent";

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
    /// The room's writer left something to the follower's task.
    News(News),
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
        let shutdown = app.shutdown.subscribe();
        // Subscribed (or followed) before the session says anything, so no
        // relayed update falls between the state it sends and the relay.
        if member.role == Role::Observer {
            let follower = Follower::new(conn, room.clone(), socket);
            follower.start_at(room.fanout.follow(&room.relay, conn, follower.clone()));
            // Takes the follower from the writer when dropped, however the
            // connection ends.
            let mut socket = Shared(follower.clone());
            let mut link = Link::new(&app, &room, &session, Source::Writer(follower));
            talk(&mut link, &mut socket, &mut session, &room, shutdown).await;
        } else {
            let relay = Source::Relay {
                relay: room.relay.subscribe(),
                held: None,
            };
            let mut link = Link::new(&app, &room, &session, relay);
            talk(&mut link, &mut socket, &mut session, &room, shutdown).await;
        }
        drop(session);
        meeting.leave(&room);
        tracing::debug!(conn, "disconnected");
    }
}

/// Runs the connection on `socket` until it ends, then hangs up.
async fn talk<S: MessageSocket>(
    link: &mut Link,
    socket: &mut S,
    session: &mut Session,
    room: &LiveRoom,
    shutdown: watch::Receiver<bool>,
) {
    let Err(ending) = link.run(socket, session, room, shutdown).await;
    hang_up(socket, ending).await;
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

/// Where a connection's frames from the room come from.
enum Source {
    /// Its own receiver of the room's relay: members who write, whose
    /// frames are merged around their own updates.
    Relay {
        relay: broadcast::Receiver<Relay>,
        /// A relayed frame read ahead while coalescing, to send next.
        held: Option<Relay>,
    },
    /// The room's writer, which writes them to the socket itself: a
    /// follower (see [`crate::meeting::fanout`]).
    Writer(Arc<dyn Followed>),
}

impl Source {
    /// The next frame from the room, or what the writer left to the task.
    async fn next(&mut self) -> Event {
        match self {
            Source::Relay { relay, held } => Event::Relayed(next_relayed(held, relay).await),
            Source::Writer(follower) => {
                Event::News(std::future::poll_fn(|cx| follower.poll_news(cx)).await)
            }
        }
    }

    /// The follower, if the room's writer writes the frames.
    fn follower(&self) -> Option<&dyn Followed> {
        match self {
            Source::Relay { .. } => None,
            Source::Writer(follower) => Some(&**follower),
        }
    }
}

/// The connection's side of the room: what it receives, what it owes, and
/// its timers.
struct Link {
    source: Source,
    durable: watch::Receiver<u64>,
    /// Whether the store takes writes.
    writable: watch::Receiver<bool>,
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
    fn new(app: &AppState, room: &LiveRoom, session: &Session, source: Source) -> Link {
        let limits = &app.config.limits;
        let mut ping = tokio::time::interval(limits.ping_interval);
        ping.reset();
        let mut heartbeat = tokio::time::interval(limits.heartbeat / 2);
        heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        heartbeat.reset();
        Link {
            source,
            durable: room.durable.subscribe(),
            writable: app.hub.store().watch_writable(),
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
            if let Some(follower) = self.source.follower()
                && !self.pending.is_empty()
            {
                follower.pause(true);
            }
            while let Some(bytes) = self.next_reply() {
                self.send(socket, WsMessage::Binary(bytes.into())).await?;
            }
            if let Some(follower) = self.source.follower() {
                follower.pause(!self.pending.is_empty());
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
            event = self.source.next(), if !waiting => event,
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
            Event::News(news) => self.on_news(news, room).map(|()| None),
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
                // The writer holds a follower's frames from before the
                // replies are made until they are sent.
                if let Some(follower) = self.source.follower() {
                    follower.pause(true);
                }
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
        let Source::Relay { relay, held } = &mut self.source else {
            return Ok(None);
        };
        let bytes = match relayed {
            Ok(Relay::Update(first)) => coalesce(self.conn, first, room, relay, held)
                .map_err(|()| Ending::close(close::TRY_AGAIN, "reconnect to resync"))?,
            Ok(Relay::Awareness { origin, frame }) => (origin != self.conn).then_some(frame),
            Ok(Relay::Fail(reason)) => return Err(Ending::close(close::INTERNAL, &*reason)),
            Err(RecvError::Lagged(missed)) => {
                tracing::info!(
                    missed,
                    "connection fell behind the room; catching it up with the full state"
                );
                self.catch_up(room);
                None
            }
            Err(RecvError::Closed) => return Err(Ending::Gone),
        };
        Ok(bytes.map(WsMessage::Binary))
    }

    /// Takes what the room's writer left to a follower: the room's
    /// failure, a broken socket, messages too large for the writer (they
    /// go out next, as replies), or a follower behind the writer's ring.
    fn on_news(&mut self, news: News, room: &LiveRoom) -> Result<(), Ending> {
        if let Some(reason) = news.fail {
            return Err(Ending::close(close::INTERNAL, &*reason));
        }
        if news.broken {
            return Err(Ending::Gone);
        }
        let handoff = news.handoff.into_iter().map(|b| Reply::Now(b.into()));
        self.pending.extend(handoff);
        if news.behind
            && let Some(follower) = self.source.follower()
        {
            tracing::info!("follower fell behind the room; catching it up with the full state");
            // Read before the state: what the writer takes from here on
            // comes after it.
            let pos = room.fanout.position(self.conn);
            follower.start_at(pos);
            self.catch_up(room);
        }
        Ok(())
    }

    /// The frames a connection missed are gone from the relay; it is sent
    /// the whole durable state instead, which covers them.
    fn catch_up(&mut self, room: &LiveRoom) {
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
        let stalled = self.source.follower().and_then(|f| f.stalled_since());
        if stalled.is_some_and(|since| since.elapsed() > self.idle_timeout) {
            tracing::info!("peer stopped reading; dropping the connection");
            return Err(Ending::close(close::TIMEOUT, STOPPED_READING));
        }
        Ok(WsMessage::Ping(Bytes::new()))
    }

    /// A heartbeat, unless a message went out since the last tick.
    fn on_heartbeat(&mut self) -> Option<WsMessage> {
        let written = self.source.follower().is_some_and(|f| f.take_sent());
        let sent = std::mem::take(&mut self.sent) | written;
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
                Err(Ending::close(close::TIMEOUT, STOPPED_READING))
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
