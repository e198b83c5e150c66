//! A y-websocket client over tokio-tungstenite holding a real `yrs::Doc`,
//! speaking the protocol the way the stock browser client does: sync step 1
//! on connect, answer the server's step 1 with step 2, apply step 2 and
//! updates, send each local transaction as an update.
//!
//! It also records what a test needs to judge the server: every
//! permission-denied auth message, the close frame, and whether the first
//! sync step 2 has arrived.

use crate::rooms;
use futures_util::{SinkExt as _, StreamExt as _};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use yrs::encoding::read::Cursor;
use yrs::sync::{Message, MessageReader, SyncMessage};
use yrs::updates::decoder::{Decode, DecoderV1};
use yrs::updates::encoder::Encode;
use yrs::{
    ClientID, Doc, OffsetKind, Options, ReadTxn, StateVector, Text, Transact, TransactionMut,
    Update,
};

/// Close code recorded when the connection ended without a close frame
/// (the standard "abnormal closure", never sent on the wire).
pub const ABNORMAL: u16 = 1006;

/// What the reader task learned, shared with the test.
#[derive(Debug, Default)]
struct Seen {
    /// A sync step 2 was applied: the initial state has arrived.
    synced: bool,
    /// Reasons of every permission-denied auth message, in order.
    denials: Vec<String>,
    /// The close frame (code, reason), or `ABNORMAL` if the stream just ended.
    close: Option<(u16, String)>,
    /// Updates (step 2 or update messages) applied, to tell "nothing came".
    updates_received: usize,
    /// Anything the server sent that this client could not decode or apply.
    errors: Vec<String>,
    /// Binary frames received, whatever they held.
    frames: usize,
}

/// One connection to one room, with the room's document.
pub struct YClient {
    doc: Doc,
    outgoing: mpsc::UnboundedSender<WsMessage>,
    seen: Arc<Mutex<Seen>>,
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
}

/// A fresh document that counts text positions like JavaScript does, with
/// client id `client_id`, or a random one drawn from the test's seed
/// ([`crate::random`]).
pub fn new_doc(client_id: Option<u64>) -> Doc {
    let id = client_id.unwrap_or_else(crate::random_client_id);
    Doc::with_options(Options {
        offset_kind: OffsetKind::Utf16,
        client_id: ClientID::new(id),
        ..Default::default()
    })
}

impl YClient {
    /// Connects with a fresh document and a random client id (drawn from
    /// the test's seed).
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        Self::connect_with_doc(url, new_doc(None)).await
    }

    /// Connects with a fresh document whose client id is `client_id`.
    pub async fn connect_as(url: &str, client_id: u64) -> anyhow::Result<Self> {
        Self::connect_with_doc(url, new_doc(Some(client_id))).await
    }

    /// Connects with an existing document, as a browser tab that reconnects
    /// keeps its `Y.Doc`: its sync step 2 then carries whatever the server
    /// lacks, including edits the server refused.
    pub async fn connect_with_doc(url: &str, doc: Doc) -> anyhow::Result<Self> {
        // Which client id is whom, for a failure's output (the token stays out).
        eprintln!(
            "client {} connects to {}",
            doc.client_id().get(),
            url.split('?').next().unwrap_or(url)
        );
        let (socket, _response) = tokio_tungstenite::connect_async(url)
            .await
            .map_err(|e| anyhow::anyhow!("connect {url}: {e}"))?;
        let (mut sink, mut stream) = socket.split();
        let (outgoing, mut queue) = mpsc::unbounded_channel::<WsMessage>();
        let seen = Arc::new(Mutex::new(Seen::default()));

        let step1 = Message::Sync(SyncMessage::SyncStep1(doc.transact().state_vector()));
        outgoing.send(WsMessage::binary(step1.encode_v1()))?;

        let writer = tokio::spawn(async move {
            while let Some(message) = queue.recv().await {
                if sink.send(message).await.is_err() {
                    break;
                }
            }
        });

        let reader = {
            let doc = doc.clone();
            let seen = seen.clone();
            let outgoing = outgoing.clone();
            tokio::spawn(async move {
                let mut end = None;
                while let Some(frame) = stream.next().await {
                    match frame {
                        Ok(WsMessage::Binary(data)) => {
                            seen.lock().unwrap().frames += 1;
                            on_binary(&doc, &seen, &outgoing, &data)
                        }
                        Ok(WsMessage::Close(frame)) => {
                            let (code, reason) = match frame {
                                Some(CloseFrame { code, reason }) => {
                                    (u16::from(code), reason.to_string())
                                }
                                // A close frame without a code means 1005, "no status".
                                None => (u16::from(CloseCode::Status), String::new()),
                            };
                            seen.lock().unwrap().close.get_or_insert((code, reason));
                        }
                        Ok(WsMessage::Text(text)) => seen
                            .lock()
                            .unwrap()
                            .errors
                            .push(format!("unexpected text frame: {text}")),
                        Ok(_) => {}
                        Err(e) => {
                            end = Some(e.to_string());
                            break;
                        }
                    }
                }
                seen.lock().unwrap().close.get_or_insert_with(|| {
                    (
                        ABNORMAL,
                        end.unwrap_or_else(|| "stream ended without close frame".into()),
                    )
                });
            })
        };

        Ok(YClient {
            doc,
            outgoing,
            seen,
            reader,
            writer,
        })
    }

    /// The room's document as this client sees it.
    pub fn doc(&self) -> &Doc {
        &self.doc
    }

    /// This client's Yjs client id.
    pub fn client_id(&self) -> u64 {
        self.doc.client_id().get()
    }

    /// Waits for the server's sync step 2 (the room's state at connect).
    pub async fn wait_synced(&self) -> anyhow::Result<()> {
        let seen = self.seen.clone();
        // A closed connection will never sync: stop waiting and report it.
        crate::eventually("sync step 2 from the server", crate::WAIT, || {
            let seen = seen.clone();
            async move {
                let seen = seen.lock().unwrap();
                seen.synced || seen.close.is_some()
            }
        })
        .await?;
        let seen = self.seen.lock().unwrap();
        anyhow::ensure!(
            seen.synced,
            "connection closed before sync step 2: {:?}",
            seen.close
        );
        Ok(())
    }

    /// Makes a local change and sends the transaction's update, as a Yjs
    /// provider does on every local transaction.
    pub fn edit<T>(&self, change: impl FnOnce(&mut TransactionMut) -> T) -> T {
        let (result, update) = {
            let mut txn = self.doc.transact_mut();
            let result = change(&mut txn);
            (result, txn.encode_update_v1())
        };
        self.send(Message::Sync(SyncMessage::Update(update)));
        result
    }

    /// Makes a local change but does not send it; answers the result and
    /// the update, for tests that send updates out of order or mixed.
    pub fn edit_unsent<T>(&self, change: impl FnOnce(&mut TransactionMut) -> T) -> (T, Vec<u8>) {
        let mut txn = self.doc.transact_mut();
        let result = change(&mut txn);
        let update = txn.encode_update_v1();
        (result, update)
    }

    /// Sends an update made elsewhere.
    pub fn send_update(&self, update: Vec<u8>) {
        self.send(Message::Sync(SyncMessage::Update(update)));
    }

    /// Appends a clause `{id, text}` to the draft; answers its id.
    pub fn add_clause(&self, text: &str) -> String {
        let clauses = self.doc.get_or_insert_array("clauses");
        self.edit(|txn| rooms::push_clause(txn, &clauses, text))
    }

    /// Inserts `text` into clause `clause` at a UTF-16 offset.
    pub fn insert_text(&self, clause: u32, utf16_offset: u32, text: &str) {
        self.edit(|txn| rooms::clause_text(txn, clause).insert(txn, utf16_offset, text));
    }

    /// Deletes `utf16_len` code units from clause `clause` at a UTF-16 offset.
    pub fn delete_text(&self, clause: u32, utf16_offset: u32, utf16_len: u32) {
        self.edit(|txn| rooms::clause_text(txn, clause).remove_range(txn, utf16_offset, utf16_len));
    }

    /// Appends `text` at the end of clause `clause`.
    pub fn push_text(&self, clause: u32, text: &str) {
        self.edit(|txn| rooms::clause_text(txn, clause).push(txn, text));
    }

    /// The draft text: clause texts joined by a blank line.
    pub fn draft_text(&self) -> String {
        rooms::draft_text(&self.doc)
    }

    /// Waits until `check` holds for the document.
    pub async fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        check: impl Fn(&Doc) -> bool,
    ) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if check(&self.doc) {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                anyhow::bail!(
                    "timed out after {timeout:?} waiting for {what}; draft now {:?}, close {:?}",
                    self.draft_text(),
                    self.close()
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits until the draft text equals `expected`.
    pub async fn wait_for_text(&self, expected: &str) -> anyhow::Result<()> {
        self.wait_until(&format!("draft text {expected:?}"), crate::WAIT, |doc| {
            rooms::draft_text(doc) == expected
        })
        .await
    }

    /// The text of an `amendment/{id}` room (its root `text`).
    pub fn amendment_text(&self) -> String {
        rooms::amendment_text(&self.doc)
    }

    /// Appends `text` to an amendment room's text.
    pub fn push_amendment_text(&self, text: &str) {
        let root = self.doc.get_or_insert_text("text");
        self.edit(|txn| root.push(txn, text));
    }

    /// Replaces the first `old` in an amendment room's text with `new`, as
    /// one transaction (a deletion and an insertion at a UTF-16 offset).
    pub fn replace_amendment_text(&self, old: &str, new: &str) {
        let current = self.amendment_text();
        let at = current
            .find(old)
            .unwrap_or_else(|| panic!("{old:?} is not in the amendment {current:?}"));
        let offset = current[..at].encode_utf16().count() as u32;
        let len = old.encode_utf16().count() as u32;
        let root = self.doc.get_or_insert_text("text");
        self.edit(|txn| {
            root.remove_range(txn, offset, len);
            root.insert(txn, offset, new);
        });
    }

    /// Waits until an amendment room's text equals `expected`.
    pub async fn wait_for_amendment_text(&self, expected: &str) -> anyhow::Result<()> {
        self.wait_until(
            &format!("amendment text {expected:?}"),
            crate::WAIT,
            |doc| rooms::amendment_text(doc) == expected,
        )
        .await
        .map_err(|e| e.context(format!("amendment text now {:?}", self.amendment_text())))
    }

    /// Reasons of every permission-denied message received so far.
    pub fn denials(&self) -> Vec<String> {
        self.seen.lock().unwrap().denials.clone()
    }

    /// Waits until at least `count` denials have arrived; answers them all.
    pub async fn wait_denials(&self, count: usize) -> anyhow::Result<Vec<String>> {
        let seen = self.seen.clone();
        crate::eventually(
            &format!("{count} permission-denied message(s)"),
            crate::WAIT,
            || {
                let seen = seen.clone();
                async move { seen.lock().unwrap().denials.len() >= count }
            },
        )
        .await?;
        Ok(self.denials())
    }

    /// The close frame's code, if the connection has closed.
    pub fn close_code(&self) -> Option<u16> {
        self.close().map(|(code, _)| code)
    }

    /// The close frame (code, reason), if the connection has closed.
    pub fn close(&self) -> Option<(u16, String)> {
        self.seen.lock().unwrap().close.clone()
    }

    /// Waits up to `timeout` for the connection to close.
    pub async fn wait_closed(&self, timeout: Duration) -> Option<(u16, String)> {
        let seen = self.seen.clone();
        let _ = crate::eventually("the connection to close", timeout, || {
            let seen = seen.clone();
            async move { seen.lock().unwrap().close.is_some() }
        })
        .await;
        self.close()
    }

    /// How many sync step 2 and update messages have been applied.
    pub fn updates_received(&self) -> usize {
        self.seen.lock().unwrap().updates_received
    }

    /// How many binary frames the server has sent this client.
    pub fn frames_received(&self) -> usize {
        self.seen.lock().unwrap().frames
    }

    /// Whatever the server sent that did not decode or apply.
    pub fn errors(&self) -> Vec<String> {
        self.seen.lock().unwrap().errors.clone()
    }

    /// Sends bytes as one binary frame, whatever they are.
    pub fn send_raw(&self, bytes: Vec<u8>) {
        let _ = self.outgoing.send(WsMessage::binary(bytes));
    }

    /// Sends any WebSocket message (a text frame, say).
    pub fn send_frame(&self, message: WsMessage) {
        let _ = self.outgoing.send(message);
    }

    /// Sends one protocol message.
    pub fn send(&self, message: Message) {
        // A closed connection is observable through `close()`; the edit
        // itself stays in the local document as in a browser.
        let _ = self.outgoing.send(WsMessage::binary(message.encode_v1()));
    }

    /// The state vector of the local document.
    pub fn state_vector(&self) -> StateVector {
        self.doc.transact().state_vector()
    }

    /// Closes the connection politely and hands back the document, as a
    /// browser tab keeps its `Y.Doc` while offline.
    pub async fn close_and_keep_doc(self) -> Doc {
        let _ = self.outgoing.send(WsMessage::Close(None));
        // Let the close handshake finish so the server has dropped this
        // connection; its answer itself is not needed.
        self.wait_closed(Duration::from_secs(2)).await;
        self.doc.clone()
    }
}

impl Drop for YClient {
    fn drop(&mut self) {
        self.reader.abort();
        self.writer.abort();
    }
}

/// Handles one binary frame from the server: it may hold several messages.
fn on_binary(
    doc: &Doc,
    seen: &Mutex<Seen>,
    outgoing: &mpsc::UnboundedSender<WsMessage>,
    data: &[u8],
) {
    let mut decoder = DecoderV1::new(Cursor::new(data));
    for message in MessageReader::new(&mut decoder) {
        let message = match message {
            Ok(message) => message,
            Err(e) => {
                seen.lock()
                    .unwrap()
                    .errors
                    .push(format!("undecodable message {data:?}: {e}"));
                return;
            }
        };
        match message {
            Message::Sync(SyncMessage::SyncStep1(sv)) => {
                let update = doc.transact().encode_state_as_update_v1(&sv);
                let reply = Message::Sync(SyncMessage::SyncStep2(update));
                let _ = outgoing.send(WsMessage::binary(reply.encode_v1()));
            }
            Message::Sync(SyncMessage::SyncStep2(update)) => {
                apply(doc, seen, &update);
                seen.lock().unwrap().synced = true;
            }
            Message::Sync(SyncMessage::Update(update)) => apply(doc, seen, &update),
            Message::Auth(Some(reason)) => seen.lock().unwrap().denials.push(reason),
            Message::Auth(None) | Message::Awareness(_) | Message::AwarenessQuery => {}
            Message::Custom(tag, _) => seen
                .lock()
                .unwrap()
                .errors
                .push(format!("unknown message type {tag}")),
        }
    }
}

fn apply(doc: &Doc, seen: &Mutex<Seen>, update: &[u8]) {
    let result = Update::decode_v1(update)
        .map_err(|e| e.to_string())
        .and_then(|update| {
            doc.transact_mut()
                .apply_update(update)
                .map_err(|e| e.to_string())
        });
    let mut seen = seen.lock().unwrap();
    seen.updates_received += 1;
    if let Err(e) = result {
        seen.errors.push(format!("update does not apply: {e}"));
    }
}
