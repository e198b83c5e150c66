//! The WebSocket endpoint `/ws/{meeting}/{room}?token=T`: authenticates the
//! connection, then runs two halves until either ends. The reader feeds
//! frames to the [`Session`]; the writer sends its replies, the room's
//! relayed frames and pings, and closes the socket with a code that says why.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use draftroom_shared::{RoomName, close};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::sync::{broadcast, mpsc, watch};
use tracing::Instrument;
use uuid::Uuid;

use crate::AppState;
use crate::meeting::{Meeting, Member, Relay, Room};
use crate::session::{RateLimit, Reply, Session, SessionError};
use yrs::sync::{Message, SyncMessage};
use yrs::updates::encoder::Encode;

/// Source of connection ids (0 is the server's own).
static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

/// Query of the WebSocket URL.
#[derive(Deserialize)]
pub struct WsQuery {
    token: Option<String>,
}

/// What the writer half is asked to do by the reader half.
enum Out {
    Reply(Reply),
    Close(u16, String),
}

/// Upgrades, then authenticates; refusals are close frames, since browsers
/// cannot read the status of a failed upgrade.
pub async fn handler(
    State(app): State<Arc<AppState>>,
    Path((meeting, room)): Path<(String, String)>,
    Query(query): Query<WsQuery>,
    ws: WebSocketUpgrade,
) -> Response {
    let limits = &app.config.limits;
    let ws = ws
        .max_message_size(limits.max_message_bytes)
        .max_frame_size(limits.max_message_bytes)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(limits.max_message_bytes * 4);
    let target = resolve(&app, &meeting, &room, query.token.as_deref()).await;
    ws.on_upgrade(move |socket| async move {
        match target {
            Err((code, reason)) => {
                tracing::debug!(code, reason, "websocket refused");
                close_now(socket, code, reason).await;
            }
            Ok((meeting, member, name)) => {
                let span = tracing::info_span!("conn", meeting = %meeting.id, room = %name, user = %member.id);
                connect(app, meeting, member, name, socket).instrument(span).await;
            }
        }
    })
}

async fn resolve(
    app: &AppState,
    meeting: &str,
    room: &str,
    token: Option<&str>,
) -> Result<(Arc<Meeting>, Member, RoomName), (u16, &'static str)> {
    let id = Uuid::parse_str(meeting).map_err(|_| (close::NOT_FOUND, "no such meeting"))?;
    let name: RoomName = room
        .parse()
        .map_err(|_| (close::NOT_FOUND, "no such room"))?;
    let (meeting, member) = app
        .hub
        .authenticate(id, token)
        .await
        .map_err(|e| match e.code {
            draftroom_shared::ErrorCode::NotFound => (close::NOT_FOUND, "no such meeting"),
            draftroom_shared::ErrorCode::Unauthorized => (close::UNAUTHORIZED, "invalid token"),
            _ => (close::INTERNAL, "the server cannot open this meeting now"),
        })?;
    Ok((meeting, member, name))
}

async fn close_now(mut socket: WebSocket, code: u16, reason: &str) {
    let _ = socket
        .send(WsMessage::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
}

async fn connect(
    app: Arc<AppState>,
    meeting: Arc<Meeting>,
    member: Member,
    name: RoomName,
    socket: WebSocket,
) {
    let room = match meeting.join_room(name).await {
        Ok(room) => room,
        Err(e) => {
            let code = match e {
                crate::meeting::OpenError::NoSuchRoom => close::NOT_FOUND,
                crate::meeting::OpenError::Store(_) => close::INTERNAL,
            };
            tracing::warn!(error = %e, "room could not be opened");
            return close_now(socket, code, "this room cannot be opened").await;
        }
    };
    let _guard = app.connections.enter();
    let limits = &app.config.limits;
    let conn = NEXT_CONN.fetch_add(1, Ordering::Relaxed);
    // Subscribe before the session says anything, so no relayed update
    // falls between the state it sends and the relay.
    let relay = room.relay.subscribe();
    let durable = room.durable.subscribe();
    let session = Session::new(
        meeting.clone(),
        room.clone(),
        member.id,
        conn,
        RateLimit::new(limits.messages_per_sec, limits.message_burst),
    );
    tracing::debug!(conn, role = %member.role, "connected");
    let (sink, stream) = socket.split();
    let (tx, rx) = mpsc::channel::<Out>(64);
    for reply in session.start() {
        let _ = tx.try_send(Out::Reply(reply));
    }
    let last_heard = Arc::new(std::sync::Mutex::new(Instant::now()));
    let writer = tokio::spawn(
        write_loop(
            room.clone(),
            sink,
            rx,
            relay,
            durable,
            conn,
            app.shutdown.subscribe(),
            last_heard.clone(),
            limits.ping_interval,
            limits.idle_timeout,
        )
        .in_current_span(),
    );
    let mut writer = writer;
    tokio::select! {
        _ = read_loop(stream, session, tx, last_heard) => {
            // Let the writer send what is queued, a close frame included.
            let _ = tokio::time::timeout(Duration::from_secs(5), &mut writer).await;
            writer.abort();
        }
        _ = &mut writer => {}
    }
    meeting.leave(&room);
    tracing::debug!(conn, "disconnected");
}

async fn read_loop(
    mut stream: futures_util::stream::SplitStream<WebSocket>,
    mut session: Session,
    tx: mpsc::Sender<Out>,
    last_heard: Arc<std::sync::Mutex<Instant>>,
) {
    while let Some(msg) = stream.next().await {
        *last_heard.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
        let msg = match msg {
            Ok(msg) => msg,
            Err(e) => {
                if let Some((code, reason)) = read_error_close(&e) {
                    tracing::info!(error = %e, "closing connection");
                    let _ = tx.send(Out::Close(code, reason)).await;
                } else {
                    tracing::debug!(error = %e, "connection lost");
                }
                return;
            }
        };
        match msg {
            WsMessage::Binary(bytes) => match session.handle(&bytes) {
                Ok(replies) => {
                    for reply in replies {
                        if tx.send(Out::Reply(reply)).await.is_err() {
                            return;
                        }
                    }
                }
                Err(e) => {
                    tracing::info!(error = %e, "closing connection");
                    let code = match e {
                        SessionError::Malformed(_) => close::PROTOCOL_ERROR,
                        SessionError::TooFast => close::TOO_FAST,
                        SessionError::Resync => close::TRY_AGAIN,
                    };
                    let _ = tx.send(Out::Close(code, truncate(e.to_string()))).await;
                    return;
                }
            },
            WsMessage::Text(_) => {
                tracing::info!("text frame; closing connection");
                let _ = tx
                    .send(Out::Close(
                        1003,
                        "text frames are not part of the protocol".into(),
                    ))
                    .await;
                return;
            }
            WsMessage::Close(_) => return,
            WsMessage::Ping(_) | WsMessage::Pong(_) => {}
        }
    }
}

/// Which read errors deserve a close frame rather than a silent drop.
fn read_error_close(e: &axum::Error) -> Option<(u16, String)> {
    use tokio_tungstenite::tungstenite::Error as WsError;
    use tokio_tungstenite::tungstenite::error::CapacityError;
    let inner = std::error::Error::source(e)
        .and_then(|s| s.downcast_ref::<WsError>())
        .or_else(|| {
            let e: &(dyn std::error::Error + 'static) = e;
            e.downcast_ref::<WsError>()
        });
    match inner {
        Some(WsError::Capacity(CapacityError::MessageTooLong { size, max_size })) => Some((
            close::TOO_BIG,
            format!("message of {size} bytes is over the limit of {max_size}"),
        )),
        Some(WsError::Capacity(_)) => Some((close::TOO_BIG, "message too big".into())),
        Some(WsError::Protocol(
            tokio_tungstenite::tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
        )) => None,
        Some(WsError::Protocol(p)) => Some((close::PROTOCOL_ERROR, truncate(p.to_string()))),
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

#[allow(clippy::too_many_arguments)]
async fn write_loop(
    room: Arc<Room>,
    mut sink: futures_util::stream::SplitSink<WebSocket, WsMessage>,
    mut rx: mpsc::Receiver<Out>,
    mut relay: broadcast::Receiver<Relay>,
    mut durable: watch::Receiver<u64>,
    conn: u64,
    mut shutdown: watch::Receiver<bool>,
    last_heard: Arc<std::sync::Mutex<Instant>>,
    ping_interval: Duration,
    idle_timeout: Duration,
) {
    let mut ping = tokio::time::interval(ping_interval);
    ping.reset();
    // A relayed frame read ahead while coalescing, to send next.
    let mut held: Option<Relay> = None;
    let close = |code: u16, reason: String| {
        WsMessage::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        }))
    };
    loop {
        let msg = tokio::select! {
            out = rx.recv() => match out {
                Some(Out::Reply(Reply::Now(bytes))) => WsMessage::Binary(bytes.into()),
                Some(Out::Reply(Reply::AfterDurable(seq, bytes))) => {
                    // Show no state before it is durable.
                    if durable.wait_for(|d| *d >= seq).await.is_err() {
                        break;
                    }
                    WsMessage::Binary(bytes.into())
                }
                Some(Out::Close(code, reason)) => {
                    let _ = sink.send(close(code, reason)).await;
                    break;
                }
                None => break,
            },
            relayed = next_relayed(&mut held, &mut relay) => match relayed {
                Ok(Relay::Update { origin, update, frame }) => {
                    match coalesce(conn, origin, update, frame, &mut relay, &mut held) {
                        Ok(Some(bytes)) => WsMessage::Binary(bytes),
                        Ok(None) => continue,
                        Err(()) => {
                            let _ = sink.send(close(close::TRY_AGAIN, "reconnect to resync".into())).await;
                            break;
                        }
                    }
                }
                Ok(Relay::Awareness { origin, frame }) => {
                    if origin == conn {
                        continue;
                    }
                    WsMessage::Binary(frame.to_vec().into())
                }
                Ok(Relay::Fail(reason)) => {
                    let _ = sink.send(close(close::INTERNAL, reason.to_string())).await;
                    break;
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    // The frames it missed are gone from the relay; send the
                    // whole (durable) state instead, which covers them.
                    tracing::info!(missed = n, "connection fell behind the room; catching it up with the full state");
                    let (seq, state) = {
                        let doc = room.doc();
                        (doc.seq(), doc.diff(&yrs::StateVector::default()))
                    };
                    if durable.wait_for(|d| *d >= seq).await.is_err() {
                        break;
                    }
                    WsMessage::Binary(Message::Sync(SyncMessage::Update(state)).encode_v1().into())
                }
                Err(broadcast::error::RecvError::Closed) => break,
            },
            _ = ping.tick() => {
                let silent = last_heard.lock().unwrap_or_else(|p| p.into_inner()).elapsed();
                if silent > idle_timeout {
                    tracing::info!(silent_ms = silent.as_millis() as u64, "no answer to pings; closing");
                    let _ = sink.send(close(close::TIMEOUT, "no answer to pings".into())).await;
                    break;
                }
                WsMessage::Ping(Default::default())
            }
            _ = shutdown.changed() => {
                let _ = sink.send(close(close::GOING_AWAY, "the server is shutting down".into())).await;
                break;
            }
        };
        // A peer that stops reading must not hold this task forever.
        match tokio::time::timeout(idle_timeout, sink.send(msg)).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => break,
            Err(_) => {
                tracing::info!("peer stopped reading; dropping the connection");
                return;
            }
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), sink.close()).await;
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
    frame: Arc<[u8]>,
    relay: &mut broadcast::Receiver<Relay>,
    held: &mut Option<Relay>,
) -> Result<Option<axum::body::Bytes>, ()> {
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
        return Ok(Some(axum::body::Bytes::from(frame.to_vec())));
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
