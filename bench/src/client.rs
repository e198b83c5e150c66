//! Cheap WebSocket clients speaking the y-websocket protocol: small
//! buffers, source addresses spread over 127.0.0.x so ten thousand sockets
//! do not run out of ports, and just enough protocol to sync and to tell
//! which of the writer's keystrokes a frame carries.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::Context;
use futures_util::SinkExt;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;

use anyhow::bail;
use futures_util::StreamExt;
use yrs::{
    Array, ClientID, Doc, GetString, Map, OffsetKind, Options, ReadTxn, StateVector, TextRef,
    Transact, Update,
};

/// A client socket.
pub type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

static NEXT_SOURCE: AtomicU32 = AtomicU32::new(0);

/// Source addresses used in turn (127.0.0.2 – 127.0.0.9).
const SOURCES: u32 = 8;

/// Connects to `url` from the next loopback source address, with small
/// buffers, and sends sync step 1 (empty state).
pub async fn connect(url: &str) -> anyhow::Result<Ws> {
    let mut ws = connect_quiet(url).await?;
    let step1 = Message::Sync(SyncMessage::SyncStep1(StateVector::default())).encode_v1();
    ws.send(WsMessage::Binary(step1.into())).await?;
    Ok(ws)
}

/// Connects as [`connect`] does, and sends nothing.
pub async fn connect_quiet(url: &str) -> anyhow::Result<Ws> {
    let rest = url.strip_prefix("ws://").context("ws:// URL")?;
    let hostport = rest.split('/').next().context("host")?;
    let addr: SocketAddr = tokio::net::lookup_host(hostport)
        .await?
        .next()
        .context("address")?;
    let n = NEXT_SOURCE.fetch_add(1, Ordering::Relaxed) % SOURCES;
    let socket = tokio::net::TcpSocket::new_v4()?;
    if addr.ip().is_loopback() {
        socket.bind(SocketAddr::new(
            IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + n as u8)),
            0,
        ))?;
    }
    let stream = socket.connect(addr).await?;
    stream.set_nodelay(true)?;
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
        .max_message_size(Some(64 << 20));
    let (ws, _) = tokio_tungstenite::client_async_with_config(url, stream, Some(config)).await?;
    Ok(ws)
}

/// The Yjs update a frame carries, if it is a sync step 2 or an update.
pub fn update_of(frame: &[u8]) -> Option<Vec<u8>> {
    match Message::decode_v1(frame).ok()? {
        Message::Sync(SyncMessage::SyncStep2(u) | SyncMessage::Update(u)) => Some(u),
        _ => None,
    }
}

/// How far an update reaches in `client`'s clock (0: not at all). Unlike
/// `Update::state_vector`, this counts updates that do not start at 0.
pub fn reach(update: &Update, client: u64) -> u32 {
    update
        .insertions(true)
        .iter()
        .filter(|(c, _)| c.get() == client)
        .flat_map(|(_, ranges)| ranges.iter().map(|r| r.end).collect::<Vec<_>>())
        .max()
        .unwrap_or(0)
}

/// A client document counting in UTF-16 units, as a browser's does.
pub fn doc(client: Option<u64>) -> Doc {
    Doc::with_options(Options {
        client_id: client.map_or_else(ClientID::random, ClientID::new),
        offset_kind: OffsetKind::Utf16,
        ..Options::default()
    })
}

/// The text of the draft's first clause, once it exists.
pub fn first_clause(doc: &Doc) -> Option<TextRef> {
    let txn = doc.transact();
    let clause: yrs::MapRef = txn.get_array("clauses")?.get(&txn, 0)?.cast().ok()?;
    clause.get(&txn, "text")?.cast().ok()
}

/// That text as a string ("" while there is none).
pub fn first_clause_text(doc: &Doc) -> String {
    first_clause(doc)
        .map(|t| t.get_string(&doc.transact()))
        .unwrap_or_default()
}

/// The next binary frame, or why there is none within `wait`.
pub async fn next_frame(ws: &mut Ws, wait: Duration) -> anyhow::Result<bytes::Bytes> {
    loop {
        match tokio::time::timeout(wait, ws.next()).await {
            Ok(Some(Ok(WsMessage::Binary(b)))) => return Ok(b),
            Ok(Some(Ok(WsMessage::Close(c)))) => bail!("closed by the server: {c:?}"),
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(e))) => bail!("connection lost: {e}"),
            Ok(None) => bail!("connection ended"),
            Err(_) => bail!("no frame within {wait:?}"),
        }
    }
}

/// Reads until the updates received reach `goal` in `writer`'s clock.
pub async fn read_until(ws: &mut Ws, writer: u64, goal: u32, wait: Duration) -> anyhow::Result<()> {
    let mut reached = 0;
    while reached < goal {
        let frame = next_frame(ws, wait).await?;
        if let Some(u) = update_of(&frame) {
            reached = reached.max(reach(&Update::decode_v1(&u)?, writer));
        }
    }
    Ok(())
}
