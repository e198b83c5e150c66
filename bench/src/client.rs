//! Cheap WebSocket clients speaking the y-websocket protocol: small
//! buffers, source addresses spread over 127.0.0.x so ten thousand sockets
//! do not run out of ports, and just enough protocol to sync and to tell
//! which of the writer's keystrokes a frame carries. A [`Link`] speaks it
//! to any of the servers compared, Hocuspocus's framing included (each
//! message prefixed with its document's name, a token sent first).

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use anyhow::Context;
use futures_util::SinkExt;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;

use anyhow::bail;
use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::SplitSink;
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
    ws.send(WsMessage::Binary(sync_step1().into())).await?;
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
    // One deadline for the whole wait: pings do not extend it.
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let Ok(next) = tokio::time::timeout_at(deadline, ws.next()).await else {
            bail!("no frame within {wait:?}");
        };
        if let Some(frame) = binary(next)? {
            return Ok(frame);
        }
    }
}

/// A received message's bytes if it is a binary one (None: another kind,
/// to skip), or why the socket ended.
fn binary(
    next: Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>>,
) -> anyhow::Result<Option<Bytes>> {
    match next {
        Some(Ok(WsMessage::Binary(b))) => Ok(Some(b)),
        Some(Ok(WsMessage::Close(c))) => bail!("closed by the server: {c:?}"),
        Some(Ok(_)) => Ok(None),
        Some(Err(e)) => bail!("connection lost: {e}"),
        None => bail!("connection ended"),
    }
}

/// Where a client of a compared server connects, and how it frames its
/// messages.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The socket's `ws://` URL.
    pub url: String,
    /// Hocuspocus: the document's name and the token sent first.
    pub hocuspocus: Option<Hocuspocus>,
}

/// A Hocuspocus document and the token that opens it.
#[derive(Debug, Clone)]
pub struct Hocuspocus {
    /// The document's name, carried by every message.
    pub document: Arc<str>,
    /// `writer` or `observer` (read-only), as `bench/peer/hocuspocus.mjs` knows them.
    pub token: &'static str,
}

impl Endpoint {
    /// A plain y-websocket endpoint.
    pub fn plain(url: String) -> Endpoint {
        Endpoint {
            url,
            hocuspocus: None,
        }
    }
}

/// How often a Hocuspocus client says it is there: the server closes a
/// connection that sent no message for 60 s (its provider renews its
/// presence every 15 s; an empty stateless message is the least that keeps
/// it).
pub const KEEP_ALIVE: Duration = Duration::from_secs(20);

/// Hocuspocus's stateless message (type 5) with an empty payload.
pub const STATELESS_EMPTY: [u8; 2] = [5, 0];

/// One client socket to a compared server: sends and receives y-websocket
/// messages, framed as the server wants them.
pub struct Link {
    ws: Ws,
    /// Hocuspocus: the document's name.
    address: Option<Arc<str>>,
    /// Frames read during Hocuspocus's handshake, not yet taken.
    early: VecDeque<Bytes>,
    /// When a message last went out.
    last_sent: Instant,
}

impl Link {
    /// Connects and sends sync step 1 (empty state). Hocuspocus: first the
    /// token, and the server's sync step 1 is waited for and answered (as
    /// its provider does), the frames before it kept for [`Link::next_frame`].
    pub async fn open(endpoint: &Endpoint) -> anyhow::Result<Link> {
        let Some(h) = &endpoint.hocuspocus else {
            return Ok(Link::over(connect(&endpoint.url).await?, None));
        };
        let ws = connect_quiet(&endpoint.url).await?;
        let mut link = Link::over(ws, Some(h.document.clone()));
        link.send(&hocuspocus_auth(h.token)).await?;
        link.send(&sync_step1()).await?;
        loop {
            let frame = link.receive(Duration::from_secs(60)).await?;
            if frame.starts_with(&[0, 0]) {
                link.send(&empty_step2()).await?;
                break;
            }
            link.early.push_back(frame);
        }
        Ok(link)
    }

    /// A link over a socket just opened (and sent to).
    fn over(ws: Ws, address: Option<Arc<str>>) -> Link {
        Link {
            ws,
            address,
            early: VecDeque::new(),
            last_sent: Instant::now(),
        }
    }

    /// Sends one y-websocket message.
    pub async fn send(&mut self, message: &[u8]) -> anyhow::Result<()> {
        let frame = frame_for(self.address.as_deref(), message);
        self.ws.send(WsMessage::Binary(frame.into())).await?;
        self.last_sent = Instant::now();
        Ok(())
    }

    /// The next message, without its address, or why there is none within
    /// `wait`. A Hocuspocus link says it is there while it waits.
    pub async fn next_frame(&mut self, wait: Duration) -> anyhow::Result<Bytes> {
        match self.early.pop_front() {
            Some(frame) => Ok(frame),
            None => self.receive(wait).await,
        }
    }

    /// The next message from the socket, as [`Link::next_frame`] says.
    async fn receive(&mut self, wait: Duration) -> anyhow::Result<Bytes> {
        let Some(address) = self.address.clone() else {
            return next_frame(&mut self.ws, wait).await;
        };
        let deadline = Instant::now() + wait;
        loop {
            if self.last_sent.elapsed() >= KEEP_ALIVE {
                self.send(&STATELESS_EMPTY).await?;
            }
            if Instant::now() >= deadline {
                bail!("no frame within {wait:?}");
            }
            let until = (self.last_sent + KEEP_ALIVE).min(deadline);
            // A timeout only means it is time to look at the clocks again.
            if let Ok(next) = tokio::time::timeout_at(until.into(), self.ws.next()).await
                && let Some(frame) = binary(next)?
            {
                return unaddressed(&address, frame);
            }
        }
    }

    /// Closes the socket.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }

    /// The sending half and a task that reads (and drops) everything the
    /// server sends, as a browser's client reads it.
    pub fn split_draining(self) -> (LinkSink, tokio::task::JoinHandle<()>) {
        let (sink, mut stream) = self.ws.split();
        let drain = tokio::spawn(async move { while let Some(Ok(_)) = stream.next().await {} });
        (LinkSink::new(sink, self.address), drain)
    }

    /// The sending half and a task that hands every message received,
    /// without its address, to `each` until the socket ends or `each`
    /// fails.
    pub fn split_reading(
        self,
        mut each: impl FnMut(&[u8]) -> anyhow::Result<()> + Send + 'static,
    ) -> (LinkSink, tokio::task::JoinHandle<anyhow::Result<()>>) {
        let (sink, mut stream) = self.ws.split();
        let address = self.address.clone();
        let early = self.early;
        let reader = tokio::spawn(async move {
            for frame in early {
                each(&frame)?;
            }
            while let Some(msg) = stream.next().await {
                if let WsMessage::Binary(frame) = msg? {
                    let frame = match &address {
                        Some(a) => unaddressed(a, frame)?,
                        None => frame,
                    };
                    each(&frame)?;
                }
            }
            anyhow::Ok(())
        });
        (LinkSink::new(sink, self.address), reader)
    }
}

/// The sending half of a [`Link`]. A Hocuspocus sink says it is there
/// every [`KEEP_ALIVE`] from a task of its own, stopped when it is dropped.
pub struct LinkSink {
    sink: Arc<tokio::sync::Mutex<SplitSink<Ws, WsMessage>>>,
    address: Option<Arc<str>>,
    keep_alive: Option<tokio::task::JoinHandle<()>>,
}

impl LinkSink {
    fn new(sink: SplitSink<Ws, WsMessage>, address: Option<Arc<str>>) -> LinkSink {
        let sink = Arc::new(tokio::sync::Mutex::new(sink));
        let keep_alive = address.clone().map(|a| {
            let sink = sink.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(KEEP_ALIVE);
                tick.tick().await;
                loop {
                    tick.tick().await;
                    let frame = addressed(&a, &STATELESS_EMPTY);
                    if sink
                        .lock()
                        .await
                        .send(WsMessage::Binary(frame.into()))
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
            })
        });
        LinkSink {
            sink,
            address,
            keep_alive,
        }
    }

    /// Sends one y-websocket message.
    pub async fn send(&self, message: &[u8]) -> anyhow::Result<()> {
        self.feed(message).await?;
        self.flush().await
    }

    /// Queues one y-websocket message without flushing the socket.
    pub async fn feed(&self, message: &[u8]) -> anyhow::Result<()> {
        let frame = frame_for(self.address.as_deref(), message);
        self.sink
            .lock()
            .await
            .feed(WsMessage::Binary(frame.into()))
            .await?;
        Ok(())
    }

    /// Writes out what was queued.
    pub async fn flush(&self) -> anyhow::Result<()> {
        self.sink.lock().await.flush().await?;
        Ok(())
    }

    /// Closes the socket.
    pub async fn close(&self) {
        let _ = self.sink.lock().await.close().await;
    }
}

impl Drop for LinkSink {
    fn drop(&mut self) {
        if let Some(task) = &self.keep_alive {
            task.abort();
        }
    }
}

/// Reads until the updates received reach `goal` in `writer`'s clock.
pub async fn read_until(
    link: &mut Link,
    writer: u64,
    goal: u32,
    wait: Duration,
) -> anyhow::Result<()> {
    let mut reached = 0;
    while reached < goal {
        let frame = link.next_frame(wait).await?;
        if let Some(u) = update_of(&frame) {
            reached = reached.max(reach(&Update::decode_v1(&u)?, writer));
        }
    }
    Ok(())
}

/// A message as it goes out: for Hocuspocus, after its document's name.
fn frame_for(address: Option<&str>, message: &[u8]) -> Vec<u8> {
    match address {
        Some(name) => addressed(name, message),
        None => message.to_vec(),
    }
}

/// A Hocuspocus frame's message, checked to be `address`'s.
fn unaddressed(address: &str, frame: Bytes) -> anyhow::Result<Bytes> {
    let (name, at) = split_address(&frame).context("a frame without an address")?;
    if name != address {
        bail!("a frame for another document: {name}");
    }
    Ok(frame.slice(at..))
}

/// Appends a lib0 variable-length unsigned integer.
pub fn write_var_uint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// A Hocuspocus message: the document's name, then the message.
pub fn addressed(name: &str, message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len() + message.len() + 2);
    write_var_uint(&mut out, name.len() as u64);
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(message);
    out
}

/// A Hocuspocus message split into its document's name and the position
/// where the message starts.
pub fn split_address(frame: &[u8]) -> Option<(&str, usize)> {
    let (mut len, mut shift, mut i) = (0u64, 0, 0);
    loop {
        let b = *frame.get(i)?;
        len |= u64::from(b & 0x7f) << shift;
        i += 1;
        if b < 0x80 {
            break;
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
    let end = i.checked_add(len as usize)?;
    let name = std::str::from_utf8(frame.get(i..end)?).ok()?;
    Some((name, end))
}

/// Hocuspocus's token message: type Auth (2), subtype Token (0), the token.
pub fn hocuspocus_auth(token: &str) -> Vec<u8> {
    let mut out = vec![2, 0];
    write_var_uint(&mut out, token.len() as u64);
    out.extend_from_slice(token.as_bytes());
    out
}

/// Sync step 1 with an empty state.
pub fn sync_step1() -> Vec<u8> {
    Message::Sync(SyncMessage::SyncStep1(StateVector::default())).encode_v1()
}

/// Sync step 2 with an empty update: the answer of a client that holds
/// nothing the server lacks.
pub fn empty_step2() -> Vec<u8> {
    Message::Sync(SyncMessage::SyncStep2(Update::new().encode_v1())).encode_v1()
}

#[cfg(test)]
mod tests {
    use super::{addressed, split_address};

    #[test]
    fn a_hocuspocus_address_reads_back() {
        let name = "draft-ż".repeat(30);
        let frame = addressed(&name, &[0, 2, 1]);
        let (read, at) = split_address(&frame).unwrap();
        assert_eq!(read, name);
        assert_eq!(&frame[at..], &[0, 2, 1]);
        assert_eq!(split_address(&[5, b'a']), None);
    }
}
