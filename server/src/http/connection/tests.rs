//! The connection loop driven in memory: a client on one end of a pair of
//! channels, `serve` on the other, over a real store in a temporary
//! directory.

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
use crate::meeting::Relayed;
use crate::room::new_doc;
use crate::store::StoreCloser;

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

/// A server over a fresh store, with a meeting, its moderator and an
/// observer.
struct Server {
    app: Arc<AppState>,
    meeting: Arc<Meeting>,
    moderator: Member,
    observer: Member,
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
        .create_meeting("Misja Krakowa", "Anna", Language::Pl, false)
        .await
        .unwrap();
    let (meeting, moderator) = app
        .hub
        .authenticate(created.id, Some(&created.moderator_token))
        .await
        .unwrap();
    let joined = app
        .hub
        .join(created.id, &created.observer_invite, "Ewa")
        .await
        .unwrap();
    let (_, observer) = app
        .hub
        .authenticate(created.id, Some(&joined.token))
        .await
        .unwrap();
    assert_eq!(observer.role, Role::Observer);
    Server {
        app,
        meeting,
        moderator,
        observer,
        _closer: closer,
        _dir: dir,
    }
}

/// A connection to the draft, past the server's first message.
struct Connected {
    client: Client,
    room: Arc<LiveRoom>,
    task: JoinHandle<()>,
    _held: crate::meeting::HeldRoom,
}

impl Server {
    /// Runs `serve` for the moderator on `name` over `socket`.
    fn serve<S: MessageSocket>(&self, name: RoomName, socket: S) -> JoinHandle<()> {
        self.serve_as(&self.moderator, name, socket)
    }

    fn serve_as<S: MessageSocket>(
        &self,
        member: &Member,
        name: RoomName,
        socket: S,
    ) -> JoinHandle<()> {
        let (app, meeting) = (self.app.clone(), self.meeting.clone());
        tokio::spawn(serve(app, meeting, member.clone(), name, socket))
    }

    /// The moderator's connection (the frames come from its own relay).
    async fn connect(&self) -> Connected {
        self.connect_as(Role::Moderator).await
    }

    /// A connection of the moderator, or of the observer (whose frames
    /// the room's writer writes).
    async fn connect_as(&self, role: Role) -> Connected {
        let member = match role {
            Role::Observer => &self.observer,
            _ => &self.moderator,
        };
        let held = self.meeting.hold_room(RoomName::Draft).await.unwrap();
        let room = held.room.clone();
        let (pipe, mut client) = pipe();
        let task = self.serve_as(member, RoomName::Draft, pipe);
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

/// A test run twice: for the moderator, whose frames come from its own
/// receiver of the room's relay, and for an observer, whose frames the
/// room's writer writes.
macro_rules! both_roles {
    ($moderator:ident, $observer:ident, $body:ident) => {
        #[tokio::test]
        async fn $moderator() {
            $body(Role::Moderator).await;
        }

        #[tokio::test]
        async fn $observer() {
            $body(Role::Observer).await;
        }
    };
}

/// What the store does once `relayed` is committed: relays it, then
/// marks it durable.
fn commit(room: &LiveRoom, relayed: &Relayed) {
    room.relay.send(Relay::Update(relayed.clone())).unwrap();
    room.durable.send_replace(relayed.seq);
}

both_roles!(
    a_sync_answer_waits_until_durable_and_goes_out_before_later_relays,
    a_sync_answer_waits_until_durable_and_goes_out_before_later_relays_to_an_observer,
    a_sync_answer_waits_until_durable_and_goes_out_before_later_relays_as
);

async fn a_sync_answer_waits_until_durable_and_goes_out_before_later_relays_as(role: Role) {
    let server = server(Limits::default()).await;
    let mut conn = server.connect_as(role).await;
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

both_roles!(
    a_large_answer_goes_out_in_fragments,
    a_large_answer_goes_out_in_fragments_to_an_observer,
    a_large_answer_goes_out_in_fragments_as
);

async fn a_large_answer_goes_out_in_fragments_as(role: Role) {
    let server = server(Limits::default()).await;
    let mut conn = server.connect_as(role).await;
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

both_roles!(
    a_connection_that_lagged_is_sent_the_whole_state_then_the_rest_merged,
    a_follower_behind_the_writer_is_sent_the_whole_state,
    a_connection_that_lagged_is_sent_the_whole_state_as
);

async fn a_connection_that_lagged_is_sent_the_whole_state_as(role: Role) {
    let limits = Limits {
        relay_backlog: 4,
        ..Limits::default()
    };
    let server = server(limits).await;
    let mut conn = server.connect_as(role).await;
    let room = conn.room.clone();
    // Ten updates while neither the connection's task nor the room's
    // writer runs: the relay (and the writer's ring) keeps the last four,
    // the first six are gone.
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
    if role == Role::Observer {
        // ...which a follower's writer knows covers all it holds: nothing
        // else until the next update.
        conn.client.quiet_for(Duration::from_millis(50)).await;
        let later = write(&room, " e");
        commit(&room, &later);
        assert_eq!(conn.client.binary().await, later.frame);
        return;
    }
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

both_roles!(
    shutdown_closes_with_1001,
    shutdown_closes_with_1001_to_an_observer,
    shutdown_closes_with_1001_as
);

async fn shutdown_closes_with_1001_as(role: Role) {
    let server = server(Limits::default()).await;
    let conn = server.connect_as(role).await;
    server.app.shutdown.send_replace(true);
    let close = conn.closed(&server.app).await;
    let reason = "the server is shutting down";
    assert_eq!(close, (close::GOING_AWAY, reason.into()));
}

both_roles!(
    a_room_that_failed_to_store_closes_with_1011,
    a_room_that_failed_to_store_closes_with_1011_to_an_observer,
    a_room_that_failed_to_store_closes_with_1011_as
);

async fn a_room_that_failed_to_store_closes_with_1011_as(role: Role) {
    let server = server(Limits::default()).await;
    let conn = server.connect_as(role).await;
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

both_roles!(
    a_connection_sent_nothing_is_sent_a_heartbeat,
    a_connection_sent_nothing_is_sent_a_heartbeat_to_an_observer,
    a_connection_sent_nothing_is_sent_a_heartbeat_as
);

async fn a_connection_sent_nothing_is_sent_a_heartbeat_as(role: Role) {
    let limits = Limits {
        heartbeat: Duration::from_millis(100),
        ..Limits::default()
    };
    let server = server(limits).await;
    let mut conn = server.connect_as(role).await;
    let started = std::time::Instant::now();
    assert_eq!(conn.client.binary().await, HEARTBEAT);
    assert!(started.elapsed() >= Duration::from_millis(40));
    // Something relayed meanwhile counts as a message: no heartbeat.
    let typed = write(&conn.room, "Misja");
    commit(&conn.room, &typed);
    assert_eq!(conn.client.binary().await, typed.frame.to_vec());
    assert_eq!(conn.client.binary().await, HEARTBEAT);
}

/// The text a fresh document holds after `message`.
pub(super) fn text_of(message: &[u8]) -> String {
    let Message::Sync(SyncMessage::Update(update)) = Message::decode_v1(message).unwrap() else {
        panic!("not an update");
    };
    let doc = new_doc();
    let text = doc.get_or_insert_text("t");
    let update = Update::decode_v1(&update).unwrap();
    doc.transact_mut().apply_update(update).unwrap();
    text.get_string(&doc.transact())
}

both_roles!(
    a_large_relayed_update_goes_out_in_fragments,
    a_large_relayed_update_goes_out_in_fragments_to_an_observer,
    a_large_relayed_update_goes_out_in_fragments_as
);

async fn a_large_relayed_update_goes_out_in_fragments_as(role: Role) {
    let server = server(Limits::default()).await;
    let mut conn = server.connect_as(role).await;
    let room = conn.room.clone();
    let large = write(&room, &"zażółć ".repeat(4000));
    commit(&room, &large);
    // Another update while the large one is still on its way: it comes
    // right after it, with nothing else relayed to carry it.
    tokio::task::yield_now().await;
    let small = write(&room, "🙂");
    commit(&room, &small);
    let mut parts = Vec::new();
    loop {
        let Some(WsMessage::Frame(frame)) = conn.client.next().await else {
            panic!("expected a fragment");
        };
        let last = frame.header().is_final;
        parts.push(frame.into_payload());
        if last {
            break;
        }
    }
    assert!(parts.len() > 2);
    assert_eq!(parts.concat(), large.frame);
    assert_eq!(conn.client.binary().await, small.frame);
}

#[tokio::test]
async fn a_follower_whose_socket_fills_gets_the_rest_once_it_reads() {
    fills_then_reads(Limits::default(), Duration::from_millis(50)).await;
}

#[tokio::test]
async fn a_follower_whose_task_writes_while_its_socket_is_full_gets_the_rest() {
    // Heartbeats go out while the socket is full: the task then waits on
    // the socket, and the wake-up once it drains is the task's, not the
    // writer's.
    let limits = Limits {
        heartbeat: Duration::from_millis(40),
        ..Limits::default()
    };
    fills_then_reads(limits, Duration::from_millis(300)).await;
}

/// A follower whose socket fills while the room relays 200 updates, and
/// which reads only after `pause`: everything must arrive.
async fn fills_then_reads(limits: Limits, pause: Duration) {
    let server = server(limits).await;
    let held = server.meeting.hold_room(RoomName::Draft).await.unwrap();
    let room = held.room.clone();
    // The real socket type over an in-memory stream of 1 KiB, which a
    // few updates fill while the client does not read.
    let (near, far) = tokio::io::duplex(1024);
    let config = WebSocketConfig::default()
        .write_buffer_size(0)
        .max_write_buffer_size(4 * FRAGMENT);
    let socket = WebSocketStream::from_raw_socket(near, Side::Server, Some(config)).await;
    let mut client = WebSocketStream::from_raw_socket(far, Side::Client, None).await;
    let task = server.serve_as(&server.observer, RoomName::Draft, socket);
    let Some(Ok(WsMessage::Binary(_))) = client.next().await else {
        panic!("expected the server's sync step 1");
    };
    let mut expected = String::new();
    for i in 0..200 {
        let words = format!("zażółć {i} 🙂 ");
        commit(&room, &write(&room, &words));
        expected.push_str(&words);
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(pause).await;
    // Everything arrives once the client reads.
    let doc = new_doc();
    let text = doc.get_or_insert_text("t");
    // One deadline for all of it: heartbeats keep arriving meanwhile.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while text.get_string(&doc.transact()) != expected {
        let msg = tokio::time::timeout_at(deadline, client.next())
            .await
            .expect("the rest arrives")
            .unwrap()
            .unwrap();
        let WsMessage::Binary(bytes) = msg else {
            continue;
        };
        if let Message::Sync(SyncMessage::SyncStep2(u) | SyncMessage::Update(u)) =
            Message::decode_v1(&bytes).unwrap()
        {
            let update = Update::decode_v1(&u).unwrap();
            doc.transact_mut().apply_update(update).unwrap();
        }
    }
    server.app.shutdown.send_replace(true);
    drop(client);
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the connection ends")
        .unwrap();
}
