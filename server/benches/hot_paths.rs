//! Microbenchmarks of the server's hot paths, on a draft like a meeting's:
//! a `clauses` array of `{id, text}` maps, one participant typing into a
//! clause of about 2,000 characters, Polish letters included.
//!
//! - `apply`: [`RoomDoc::apply`] of one keystroke (decide, integrate,
//!   encode, track the clause), and of a read-only follower's sync step 2,
//!   which must come out as a no-op.
//! - `relay`: one relayed frame through a `tokio::sync::broadcast` to 1,000
//!   connections, and the merge a connection that is behind gets instead of
//!   64 frames.
//! - `store`: a durable commit of one update, and 1,000 updates group
//!   committed.
//!
//! `cargo bench -p draftroom-server --bench hot_paths`; CI runs each once
//! with `-- --test`.

use std::collections::HashMap;

use divan::Bencher;
use divan::counter::ItemsCount;
use draftroom_server::room::{Applied, Author, Denied, Kind, Outcome, RoomDoc};
use uuid::Uuid;
use yrs::updates::encoder::Encode;
use yrs::{
    Array, ClientID, Doc, In, MapPrelim, OffsetKind, Options, ReadTxn, StateVector, Text,
    TextPrelim, TextRef, Transact, Update, WriteTxn, updates::decoder::Decode,
};

fn main() {
    divan::main();
}

/// Characters in each clause before anyone types.
const CLAUSE_CHARS: usize = 2_000;
/// What the participant types, over and over. The Polish letters are one
/// UTF-16 unit (the offsets the server counts in) but two UTF-8 bytes.
const TYPED: &str = "Zażółć gęślą jaźń, źdźbło i łódź. ";
/// The wording the clauses are made of.
const WORDING: &str = "§ 1. Walne zgromadzenie wspólnoty mieszkaniowej uchwala, że zarząd \
przedłoży sprawozdanie z działalności za rok ubiegły do dnia 31 marca, a członkowie \
zgłoszą uwagi na piśmie w ciągu czternastu dni. ";
/// The moderator's Yjs client ID; the moderator wrote the clauses.
const MODERATOR_CLIENT: u64 = 1;
/// The participant's Yjs client ID; they type.
const WRITER_CLIENT: u64 = 2;

/// A client's document: UTF-16 offsets like the JavaScript clients.
fn client_doc(id: u64) -> Doc {
    Doc::with_options(Options {
        client_id: ClientID::new(id),
        offset_kind: OffsetKind::Utf16,
        ..Options::default()
    })
}

/// A draft room, with the meeting's bindings and the participant's rights.
struct Draft {
    room: RoomDoc,
    /// The participant who types, allowed to write.
    author: Author,
    /// The meeting's client bindings: both clients already bound.
    bindings: HashMap<u64, Uuid>,
}

/// A participant's client typing into the middle of one clause.
struct Participant {
    /// The participant's own copy of the draft.
    doc: Doc,
    /// The clause being typed into, in that copy.
    text: TextRef,
    /// Where the next character goes, in UTF-16 units.
    cursor: u32,
    typed: std::iter::Cycle<std::str::Chars<'static>>,
}

/// A draft room of `clauses` clauses written by the moderator, and a
/// participant in sync with it, about to type into the middle one.
fn draft(clauses: usize) -> (Draft, Participant) {
    let moderator = Uuid::new_v4();
    let participant = Uuid::new_v4();
    let bindings = HashMap::from([(MODERATOR_CLIENT, moderator), (WRITER_CLIENT, participant)]);
    let seed = {
        let doc = client_doc(MODERATOR_CLIENT);
        let mut txn = doc.transact_mut();
        let array = txn.get_or_insert_array("clauses");
        let wording: String = WORDING.chars().cycle().take(CLAUSE_CHARS).collect();
        for i in 0..clauses {
            array.push_back(
                &mut txn,
                MapPrelim::from([
                    ("id".to_owned(), In::from(format!("c{i}"))),
                    (
                        "text".to_owned(),
                        In::from(TextPrelim::new(wording.as_str())),
                    ),
                ]),
            );
        }
        txn.encode_update_v1()
    };
    let mut room = RoomDoc::empty(Kind::Draft);
    let by_moderator = Author {
        user: moderator,
        may_write: Ok(()),
    };
    let seeded = room.apply(&seed, &by_moderator, &bindings);
    assert!(matches!(seeded, Ok(Outcome::Applied(_))), "{seeded:?}");
    let doc = client_doc(WRITER_CLIENT);
    doc.transact_mut()
        .apply_update(Update::decode_v1(&room.diff(&StateVector::default())).unwrap())
        .unwrap();
    let text = draftroom_server::room::draft::clauses(&doc.transact())
        .swap_remove(clauses / 2)
        .1;
    let cursor = text.len(&doc.transact()) / 2;
    let draft = Draft {
        room,
        author: Author {
            user: participant,
            may_write: Ok(()),
        },
        bindings,
    };
    let participant = Participant {
        doc,
        text,
        cursor,
        typed: TYPED.chars().cycle(),
    };
    (draft, participant)
}

impl Participant {
    /// Types one character: the update the client sends.
    fn keystroke(&mut self) -> Vec<u8> {
        let ch = self.typed.next().expect("cycle");
        let mut buf = [0u8; 4];
        let mut txn = self.doc.transact_mut();
        self.text
            .insert(&mut txn, self.cursor, ch.encode_utf8(&mut buf));
        self.cursor += ch.len_utf16() as u32;
        txn.encode_update_v1()
    }

    /// Deletes the character before the cursor.
    fn backspace(&mut self) -> Vec<u8> {
        let mut txn = self.doc.transact_mut();
        self.cursor -= 1;
        self.text.remove_range(&mut txn, self.cursor, 1);
        txn.encode_update_v1()
    }
}

impl Draft {
    /// Applies the participant's update; it must be accepted.
    fn apply(&mut self, bytes: &[u8]) -> Applied {
        match self.room.apply(bytes, &self.author, &self.bindings) {
            Ok(Outcome::Applied(applied)) => applied,
            other => panic!("keystroke not applied: {other:?}"),
        }
    }

    /// `participant` types `n` characters, deleting every tenth; returns
    /// the updates as the room integrated them.
    fn typed(&mut self, participant: &mut Participant, n: usize) -> Vec<Vec<u8>> {
        (1..=n)
            .map(|i| {
                let bytes = if i % 10 == 0 {
                    participant.backspace()
                } else {
                    participant.keystroke()
                };
                self.apply(&bytes).update
            })
            .collect()
    }
}

/// Applying updates to a room's document.
mod apply {
    use super::*;

    /// One keystroke from a participant who may write, into a draft of
    /// `clauses` clauses of 2,000 characters: decode, check, integrate,
    /// encode as integrated, track the clause. The room keeps the text
    /// typed, so each iteration types the next character.
    #[divan::bench(args = [1, 40, 200], sample_count = 100, sample_size = 10)]
    fn keystroke(bencher: Bencher, clauses: usize) {
        let (mut draft, mut participant) = draft(clauses);
        bencher
            .with_inputs(|| participant.keystroke())
            .bench_local_values(|bytes| draft.apply(&bytes));
    }

    /// An observer's follower sends its full state (a reconnect's sync step
    /// 2): the room must find it changes nothing.
    #[divan::bench(sample_count = 100)]
    fn follower_resync_noop(bencher: Bencher) {
        let (mut draft, mut participant) = draft(1);
        draft.typed(&mut participant, 200);
        let follower = client_doc(3);
        follower
            .transact_mut()
            .apply_update(Update::decode_v1(&draft.room.diff(&StateVector::default())).unwrap())
            .unwrap();
        let resync = follower
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        let observer = Author {
            user: Uuid::new_v4(),
            may_write: Err(Denied::Role),
        };
        bencher
            .counter(divan::counter::BytesCount::of_slice(&resync))
            .bench_local(
                || match draft.room.apply(&resync, &observer, &draft.bindings) {
                    Ok(Outcome::Noop) => {}
                    other => panic!("resync not a no-op: {other:?}"),
                },
            );
    }
}

/// Relaying durable updates to a room's connections.
mod relay {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::sync::{Notify, broadcast};
    use yrs::sync::{Message, SyncMessage};

    use super::*;

    /// Connections in the room.
    const RECEIVERS: usize = 1_000;
    /// The server's default relay backlog (`Limits::relay_backlog`).
    const BACKLOG: usize = 4_096;
    /// Updates a behind connection gets merged into one frame.
    const BEHIND: usize = 64;

    /// A keystroke's relayed frame, as `LiveRoom::persist` encodes it.
    fn keystroke_frame() -> Arc<[u8]> {
        let (mut draft, mut participant) = draft(1);
        let update = draft.typed(&mut participant, 1).remove(0);
        Message::Sync(SyncMessage::Update(update))
            .encode_v1()
            .into()
    }

    /// One frame sent, then taken by each of 1,000 receivers in turn: the
    /// channel's own cost per receiver, with no task wake-ups.
    #[divan::bench(sample_count = 100)]
    fn fan_out_try_recv(bencher: Bencher) {
        let frame = keystroke_frame();
        let (tx, _) = broadcast::channel::<Arc<[u8]>>(BACKLOG);
        let mut receivers: Vec<_> = (0..RECEIVERS).map(|_| tx.subscribe()).collect();
        bencher.counter(ItemsCount::new(RECEIVERS)).bench_local(|| {
            tx.send(frame.clone()).expect("receivers");
            for rx in &mut receivers {
                divan::black_box(rx.try_recv().expect("frame"));
            }
        });
    }

    /// One frame sent to 1,000 tasks, each waiting in `recv` as a
    /// connection's writer does, until every one has it: the channel plus
    /// waking and polling each task (on one thread).
    #[divan::bench(sample_count = 100)]
    fn fan_out_tasks(bencher: Bencher) {
        let frame = keystroke_frame();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let (tx, _) = broadcast::channel::<Arc<[u8]>>(BACKLOG);
        let left = Arc::new(AtomicUsize::new(0));
        let all_have_it = Arc::new(Notify::new());
        for _ in 0..RECEIVERS {
            let mut rx = tx.subscribe();
            let (left, all_have_it) = (left.clone(), all_have_it.clone());
            rt.spawn(async move {
                while let Ok(frame) = rx.recv().await {
                    drop(frame);
                    if left.fetch_sub(1, Ordering::AcqRel) == 1 {
                        all_have_it.notify_one();
                    }
                }
            });
        }
        bencher.counter(ItemsCount::new(RECEIVERS)).bench_local(|| {
            rt.block_on(async {
                left.store(RECEIVERS, Ordering::Release);
                tx.send(frame.clone()).expect("receivers");
                all_have_it.notified().await;
            })
        });
        drop(tx);
        drop(rt);
    }

    /// What `connection::coalesce` does for a connection 64 updates behind
    /// the first time a run is asked for (later ones come from the room's
    /// cache): merge consecutive keystrokes (as the room integrated them)
    /// into one update and encode it as one frame.
    #[divan::bench(sample_count = 100)]
    fn coalesce_64_keystrokes(bencher: Bencher) {
        let (mut draft, mut participant) = draft(1);
        let updates = draft.typed(&mut participant, BEHIND);
        bencher.counter(ItemsCount::new(BEHIND)).bench(|| {
            let all: Vec<&[u8]> = updates.iter().map(|u| &u[..]).collect();
            let merged = yrs::merge_updates_v1(all).expect("merge");
            Message::Sync(SyncMessage::Update(merged)).encode_v1()
        });
    }
}

/// Committing updates to the store (SQLite, WAL, synchronous=FULL).
mod store {
    use std::sync::Arc;

    use draftroom_server::store::{self, Store};

    use super::*;

    /// The room's key in the store.
    const ROOM: &str = "00000000-0000-0000-0000-000000000000/draft";
    /// Updates committed together.
    const BATCH: usize = 1_000;

    /// A keystroke update as the room integrated it (about 30 bytes).
    fn keystroke_update() -> Arc<[u8]> {
        let (mut draft, mut participant) = draft(1);
        draft.typed(&mut participant, 1).remove(0).into()
    }

    /// One update appended and awaited, nothing else queued: the latency
    /// of a durable commit, one fsync at least.
    #[divan::bench(sample_count = 100, sample_size = 1)]
    fn append_one(bencher: Bencher) {
        let dir = tempfile::tempdir().expect("tempdir");
        let (db, closer) = Store::open(dir.path()).expect("store");
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let update = keystroke_update();
        let mut seq = 0u64;
        bencher
            .counter(divan::counter::BytesCount::of_slice(&update))
            .bench_local(|| {
                seq += 1;
                let (seq, update) = (seq, update.clone());
                rt.block_on(db.call(move |c| store::append_update(c, ROOM, seq, &update)))
                    .expect("append");
            });
        drop(db);
        closer.close();
    }

    /// 1,000 updates queued at once, then all awaited: what group commit
    /// makes of a burst.
    #[divan::bench(sample_count = 30, sample_size = 1)]
    fn append_1000_at_once(bencher: Bencher) {
        let dir = tempfile::tempdir().expect("tempdir");
        let (db, closer) = Store::open(dir.path()).expect("store");
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let update = keystroke_update();
        let mut seq = 0u64;
        bencher.counter(ItemsCount::new(BATCH)).bench_local(|| {
            let calls = (0..BATCH).map(|_| {
                seq += 1;
                let (seq, update) = (seq, update.clone());
                db.call(move |c| store::append_update(c, ROOM, seq, &update))
            });
            let calls: Vec<_> = calls.collect();
            for result in rt.block_on(futures_util::future::join_all(calls)) {
                result.expect("append");
            }
        });
        drop(db);
        closer.close();
    }
}
