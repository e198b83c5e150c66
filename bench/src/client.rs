//! Cheap WebSocket clients speaking the y-websocket protocol: small
//! buffers, source addresses spread over 127.0.0.x so ten thousand sockets
//! do not run out of ports, and just enough protocol to sync and to tell
//! which of the writer's keystrokes a frame carries.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::Context;
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{StateVector, Update};

/// A client socket.
pub type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

static NEXT_SOURCE: AtomicU32 = AtomicU32::new(0);

/// Source addresses used in turn (127.0.0.2 – 127.0.0.9).
const SOURCES: u32 = 8;

/// Connects to `url` from the next loopback source address, with small
/// buffers, and sends sync step 1 (empty state).
pub async fn connect(url: &str) -> anyhow::Result<Ws> {
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
    let (mut ws, _) =
        tokio_tungstenite::client_async_with_config(url, stream, Some(config)).await?;
    let step1 = Message::Sync(SyncMessage::SyncStep1(StateVector::default())).encode_v1();
    ws.send(WsMessage::Binary(step1.into())).await?;
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
