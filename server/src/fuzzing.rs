//! The bodies of the fuzz targets (`fuzz/fuzz_targets/`), here so that the
//! targets are one-line wrappers and `cargo test` replays the inputs they
//! once failed on (`fuzz/regressions/`, replayed by
//! `server/tests/fuzz_regressions.rs`) with exactly the logic the fuzzer
//! runs. Each function takes any bytes and panics if what must hold does
//! not. Not part of the server's interface.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, header};
use draftroom_shared::{ErrorCode, RoomName};
use tower::ServiceExt;
use uuid::Uuid;
use yrs::sync::{Awareness, Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{
    Array, ArrayRef, ClientID, Doc, GetString, Map, MapPrelim, MapRef, Out, ReadTxn, StateVector,
    Text, TextPrelim, TextRef, Transact, Update,
};

use crate::config::Config;
use crate::http::{AppState, app};
use crate::meeting::{Meeting, Member, Received};
use crate::room::frame::{MAX_PRESENCE_IDS, split_messages};
use crate::room::{Author, Denied, Kind, Outcome, RoomDoc, new_doc};

/// The y-websocket message decoder: any bytes a client can send in one
/// binary frame. A frame either splits exactly into messages that each
/// decode, with nothing left over, or is refused as a whole; an awareness
/// message is checked against the size limits and applied as the server
/// would, without panicking. Updates inside are checked (`wire`) and
/// applied to a fresh document as a room would.
pub fn frames(frame: &[u8]) {
    let Ok(parts) = split_messages(frame) else {
        return;
    };
    // The parts are the frame, in order, with nothing dropped.
    assert_eq!(parts.concat(), frame);
    for part in parts {
        let Ok(message) = Message::decode_v1(part) else {
            continue;
        };
        match message {
            Message::Sync(SyncMessage::SyncStep2(u) | SyncMessage::Update(u)) => {
                // As a room takes it from a member who may write.
                let mut room = RoomDoc::empty(Kind::Draft);
                let author = Author {
                    user: Uuid::from_u128(1),
                    may_write: Ok(()),
                };
                let _ = room.apply(&u, &author, &HashMap::new());
            }
            Message::Sync(SyncMessage::SyncStep1(sv)) => {
                // The server answers with its diff against this vector.
                let doc = new_doc();
                let _ = doc.transact().encode_state_as_update_v1(&sv);
            }
            Message::Awareness(update) => {
                let big = update.clients.values().map(|e| e.json.len()).max();
                if big.is_some_and(|b| b > 16 << 10) || update.clients.len() > MAX_PRESENCE_IDS {
                    continue;
                }
                let mut awareness = Awareness::new(new_doc());
                if awareness.apply_update(update).is_ok() {
                    let again = awareness
                        .update()
                        .map(|u| Message::Awareness(u).encode_v1());
                    assert!(again.is_ok());
                }
            }
            _ => {}
        }
    }
}

/// Update application with the role and client-ID checks: the rules of a
/// room (`RoomDoc::apply`), fed by authors who type into their own copies of
/// the draft (valid, concurrent updates) and by raw bytes (anything at all),
/// with the server's bookkeeping around it as `Meeting::receive_update` does
/// it. What must hold, whatever comes:
/// - a refused or no-op update changes nothing;
/// - what the room relays (each applied update) rebuilds exactly the room's
///   state in a replica;
/// - every client ID with items in the room is bound to one member, and a
///   member's update never adds items under another member's ID;
/// - a refused client ID never gains items afterwards.
pub fn updates(data: &[u8]) {
    let mut room = RoomDoc::empty(Kind::Draft);
    let replica = new_doc();
    let members = [Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3)];
    let writers: Vec<Writer> = vec![
        writer(members[0], 101, Ok(())),
        writer(members[1], 202, Ok(())),
        // An observer: may not write.
        writer(members[2], 303, Err(Denied::Role)),
        // Member 2 again, with member 1's client ID: a forgery.
        Writer {
            forger: true,
            ..writer(members[1], 101, Ok(()))
        },
    ];
    let mut bindings: HashMap<u64, Uuid> = HashMap::new();
    let mut refused: HashSet<u64> = HashSet::new();
    let mut relayed: Vec<Vec<u8>> = Vec::new();

    let mut input = data;
    while input.len() >= 4 {
        let (head, rest) = input.split_at(4);
        let who = &writers[usize::from(head[0] >> 6) % writers.len()];
        let update = if head[0] & 0x20 == 0 {
            input = rest;
            if who.forger {
                let copy = writer(who.user, 101, Ok(())).doc;
                let state = writers[0]
                    .doc
                    .transact()
                    .encode_state_as_update_v1(&StateVector::default());
                apply_to(&copy, &state);
                edit(&copy, head)
            } else {
                edit(&who.doc, head)
            }
        } else {
            // Raw bytes: length from the header, then the bytes themselves.
            let len = usize::from(u16::from_le_bytes([head[1], head[2]])) % 4096;
            let len = len.min(rest.len());
            let (raw, after) = rest.split_at(len);
            input = after;
            raw.to_vec()
        };
        // The writer catches up with what the room relayed; not the forger,
        // whose copy holds other items under the same client ID (a client
        // that breaks Yjs's one rule breaks only its own copy).
        // Nor a writer whose client ID the room bound to someone else (raw
        // bytes may use any ID): its copy conflicts with the room's items.
        let own = who.doc.client_id().get();
        let squatted = bindings.get(&own).is_some_and(|m| *m != who.user);
        if head[0] & 0x10 != 0 && !who.forger && !squatted {
            for u in &relayed {
                apply_to(&who.doc, u);
            }
        }
        let author = Author {
            user: who.user,
            may_write: who.may_write,
        };
        let before = room.state_vector();
        let result = room.apply(&update, &author, &bindings);
        if std::env::var_os("FUZZ_TRACE").is_some() {
            eprintln!(
                "{:?} {:?} -> {:?}",
                who.user,
                update,
                result
                    .as_ref()
                    .map(|o| match o {
                        Outcome::Noop => "noop".to_string(),
                        Outcome::Applied(a) => format!("applied {:?}", a.update),
                        Outcome::Partial(a, r) => format!("partial {:?} {r}", a.update),
                    })
                    .map_err(|(r, t)| format!("{r} {t:?}"))
            );
            eprintln!("   room sv {:?}", room.state_vector());
        }
        match result {
            Ok(Outcome::Noop) => {
                assert_eq!(room.state_vector(), before, "a no-op changed the room")
            }
            Ok(Outcome::Applied(a) | Outcome::Partial(a, _)) => {
                for client in &a.new_bindings {
                    let previous = bindings.insert(*client, who.user);
                    assert!(previous.is_none(), "client {client} bound twice");
                }
                apply_to(&replica, &a.update);
                relayed.push(a.update);
            }
            Err((_, taint)) => {
                assert_eq!(
                    room.state_vector(),
                    before,
                    "a refused update changed the room"
                );
                refused.extend(room.refuse_clients(taint));
            }
        }
        let after = room.state_vector();
        for (client, clock) in clients(&after) {
            let owner = bindings.get(&client);
            assert!(owner.is_some(), "client {client} has items but no member");
            if refused.contains(&client) {
                assert!(
                    clock <= before.get(&ClientID::new(client)),
                    "refused client {client} gained items"
                );
            }
        }
        // Member 2 never writes under member 1's ID (101 is bound to
        // whoever wrote with it first, and only they add to it).
        if let (Some(owner), true) = (
            bindings.get(&101),
            after.get(&ClientID::new(101)) > before.get(&ClientID::new(101)),
        ) {
            assert_eq!(
                *owner, who.user,
                "items added under another member's client ID"
            );
        }
    }
    // What was relayed is the room.
    assert_eq!(replica.transact().state_vector(), room.state_vector());
    assert_eq!(render(&replica), render(room.doc()));
}

/// Letters the authors type: Polish ones and an emoji (two UTF-16 units).
const LETTERS: &[&str] = &[
    "a", "ą", "c", "ć", "e", "ę", "ł", "ń", "ó", "ś", "ź", "ż", " ", ".", "🙂", "\n",
];

struct Writer {
    user: Uuid,
    doc: Doc,
    may_write: Result<(), Denied>,
    /// Writes as the first writer's client ID: each edit continues a copy
    /// of the first writer's document under its ID, as a forgery would.
    forger: bool,
}

/// A writer's own copy, with UTF-16 offsets like the browser's.
fn writer(user: Uuid, client: u64, may_write: Result<(), Denied>) -> Writer {
    let doc = Doc::with_options(yrs::Options {
        client_id: ClientID::new(client),
        offset_kind: yrs::OffsetKind::Utf16,
        ..yrs::Options::default()
    });
    Writer {
        user,
        doc,
        may_write,
        forger: false,
    }
}

fn clauses(doc: &Doc) -> ArrayRef {
    doc.get_or_insert_array("clauses")
}

fn clause_text<T: ReadTxn>(txn: &T, array: &ArrayRef, index: u32) -> Option<TextRef> {
    let Out::YMap(map) = array.get(txn, index)? else {
        return None;
    };
    let map: MapRef = map;
    match map.get(txn, "text")? {
        Out::YText(text) => Some(text),
        _ => None,
    }
}

/// One edit by a writer to its own copy, from a few input bytes; answers
/// the update it makes (empty if none).
fn edit(doc: &Doc, op: &[u8]) -> Vec<u8> {
    let array = clauses(doc);
    let before = doc.transact().state_vector();
    {
        let mut txn = doc.transact_mut();
        let n = array.len(&txn);
        let pick = |b: u8, m: u32| if m == 0 { 0 } else { u32::from(b) % m };
        match op[0] % 4 {
            0 => {
                let at = pick(op[1], n + 1);
                let text = LETTERS[usize::from(op[2]) % LETTERS.len()];
                let map = array.insert(&mut txn, at, MapPrelim::default());
                map.insert(&mut txn, "id", format!("c{}", op[1]));
                map.insert(&mut txn, "text", TextPrelim::new(text));
            }
            1 | 2 if n > 0 => {
                let index = pick(op[1], n);
                if let Some(text) = clause_text(&txn, &array, index) {
                    let len = text.len(&txn);
                    let at = pick(op[2], len + 1);
                    if op[0] % 4 == 1 || len == 0 {
                        let letter = LETTERS[usize::from(op[3]) % LETTERS.len()];
                        text.insert(&mut txn, at, letter);
                    } else {
                        let at = at.min(len - 1);
                        let count = (u32::from(op[3]) % 4 + 1).min(len - at);
                        text.remove_range(&mut txn, at, count);
                    }
                }
            }
            3 if n > 0 => array.remove(&mut txn, pick(op[1], n)),
            _ => {}
        }
    }
    doc.transact().encode_state_as_update_v1(&before)
}

fn apply_to(doc: &Doc, update: &[u8]) {
    if let Ok(u) = Update::decode_v1(update) {
        let _ = doc.transact_mut().apply_update(u);
    }
}

/// The draft as plain data, for comparing two copies: each clause's id
/// and text, in order.
fn render(doc: &Doc) -> String {
    let array = clauses(doc);
    let txn = doc.transact();
    let mut out = String::new();
    for i in 0..array.len(&txn) {
        match array.get(&txn, i) {
            Some(Out::YMap(map)) => {
                let id = map
                    .get(&txn, "id")
                    .map(|v| v.to_string(&txn))
                    .unwrap_or_default();
                let text = clause_text(&txn, &array, i).map(|t| t.get_string(&txn));
                out.push_str(&format!("[{id}: {text:?}]"));
            }
            other => out.push_str(&format!("[{other:?}]")),
        }
    }
    out
}

fn clients(sv: &StateVector) -> impl Iterator<Item = (u64, u32)> + '_ {
    sv.iter().map(|(c, clock)| (c.get(), *clock))
}

/// The JSON commands: any body, to any command, with any of the members'
/// tokens (or a bad one), through the real router and hub onto a real
/// store. Whatever comes, the answer is never a 500 and never a panic, and
/// every refusal is `{"error":{"code","message"}}` with the status its
/// code goes with.
pub fn commands(data: &[u8]) {
    if data.len() < 2 {
        return;
    }
    let w = world();
    let (method, path) = path(w, data[0]);
    let token = match data[1] % 5 {
        3 => None,
        4 => Some("nie-token".to_owned()),
        i => w.tokens.get(usize::from(i)).cloned(),
    };
    let mut body = data[2..].to_vec();
    // Let the fuzzer name the world's ids without guessing them.
    for (mark, value) in [
        (&b"@P"[..], &w.participant_id),
        (b"@C", &w.clause),
        (b"@I", &w.invites[0]),
        (b"@O", &w.invites[1]),
    ] {
        while let Some(at) = body.windows(2).position(|x| x == mark) {
            body.splice(at..at + 2, value.bytes());
        }
    }
    let mut request = Request::builder().method(method).uri(&path);
    if let Some(token) = &token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let request = request
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .expect("request");
    let (status, bytes) = w.rt.block_on(async {
        let response = w.router.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 24)
            .await
            .expect("body");
        (status, bytes)
    });
    assert_ne!(
        status.as_u16(),
        500,
        "{method} {path}: {}",
        String::from_utf8_lossy(&bytes)
    );
    if status.is_client_error() || status.is_server_error() {
        let body: serde_json::Value = serde_json::from_slice(&bytes).expect("a JSON error body");
        let code: ErrorCode =
            serde_json::from_value(body["error"]["code"].clone()).expect("a known error code");
        assert_eq!(code.status(), status.as_u16(), "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    // Meetings made by the fuzzer do not pile up in memory.
    let _ = w.state.hub.unload_idle(Duration::ZERO);
}

struct World {
    rt: tokio::runtime::Runtime,
    state: Arc<AppState>,
    router: axum::Router,
    meeting: String,
    tokens: Vec<String>,
    participant_id: String,
    clause: String,
    amendment: String,
    invites: Vec<String>,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let mut config = Config {
            data_dir: scratch_dir(),
            web_dir: None,
            ..Config::default()
        };
        config.limits.meetings_per_minute = u64::MAX / 2;
        config.limits.joins_per_minute = u64::MAX / 2;
        config.limits.failed_sign_ins_per_minute = u64::MAX / 2;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let (state, closer) = crate::state(config).expect("state");
        std::mem::forget(closer);
        let router = app(state.clone());
        let (meeting, tokens, participant_id, clause, amendment, invites) = rt.block_on(async {
            let hub = &state.hub;
            let created = hub
                .create_meeting("Misja", "Ala", draftroom_shared::Language::Pl, false)
                .await
                .expect("meeting");
            let id: Uuid = created.id;
            let p = hub
                .join(id, &created.participant_invite, "Bartek")
                .await
                .expect("participant");
            let o = hub
                .join(id, &created.observer_invite, "Celina")
                .await
                .expect("observer");
            let (m, moderator) = hub
                .authenticate(id, Some(&created.moderator_token))
                .await
                .expect("moderator");
            let clause = add_clause(&m, &moderator, "Kraków jest miastem otwartym").await;
            let (_, participant) = hub
                .authenticate(id, Some(&p.token))
                .await
                .expect("participant");
            let amendment = m
                .open_amendment(&participant, &clause)
                .await
                .expect("amendment")
                .amendment
                .id
                .to_string();
            (
                id.to_string(),
                vec![
                    created.moderator_token.clone(),
                    p.token.clone(),
                    o.token.clone(),
                ],
                p.user_id.to_string(),
                clause,
                amendment,
                vec![
                    created.participant_invite.clone(),
                    created.observer_invite.clone(),
                ],
            )
        });
        World {
            rt,
            state,
            router,
            meeting,
            tokens,
            participant_id,
            clause,
            amendment,
            invites,
        }
    })
}

/// A fresh directory for the world's store. Like the world, it lasts as
/// long as the process (a static is never dropped) and stays behind.
fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "draftroom-fuzz-{}-{}",
        std::process::id(),
        Uuid::new_v4()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Writes a clause into the draft as `by` would from a browser; answers
/// its id.
async fn add_clause(m: &Arc<Meeting>, by: &Member, text: &str) -> String {
    // A UUID, as the web app makes, so that the clause's commands reach
    // past their path.
    let id = "00000000-0000-4000-8000-0000000c1a05".to_owned();
    let doc = crate::room::new_doc();
    let clauses = doc.get_or_insert_array("clauses");
    let update = {
        let mut txn = doc.transact_mut();
        let clause = clauses.push_back(&mut txn, MapPrelim::default());
        clause.insert(&mut txn, "id", id.clone());
        clause.insert(&mut txn, "text", TextPrelim::new(text));
        txn.encode_update_v1()
    };
    let held = m.hold_room(RoomName::Draft).await.expect("draft");
    let received = m.receive_update(&held.room, by.id, 0, &update);
    assert!(matches!(received, Received::Applied), "{received:?}");
    let seq = held.room.doc().seq();
    held.room.wait_durable(seq).await.expect("durable");
    id
}

/// The command paths, with the world's ids filled in.
fn path(w: &World, which: u8) -> (&'static str, String) {
    let m = &w.meeting;
    let a = &w.amendment;
    let c = &w.clause;
    match which % 30 {
        0 => ("POST", "/api/meetings".into()),
        1 => ("POST", format!("/api/meetings/{m}/join")),
        2 => ("POST", format!("/api/meetings/{m}/editors")),
        3 => ("POST", format!("/api/meetings/{m}/invites/rotate")),
        4 => ("POST", format!("/api/meetings/{m}/amendments")),
        5 => ("POST", format!("/api/meetings/{m}/amendments/{a}/support")),
        6 => ("POST", format!("/api/meetings/{m}/amendments/{a}/reject")),
        7 => ("POST", format!("/api/meetings/{m}/amendments/{a}/accept")),
        8 => ("POST", format!("/api/meetings/{m}/freeze")),
        9 => ("POST", format!("/api/meetings/{m}/reopen")),
        10 => ("GET", format!("/api/meetings/{m}/versions/1?format=md")),
        11 => (
            "GET",
            format!("/api/meetings/{m}/clauses/{}/history", w.clause),
        ),
        12 => ("GET", format!("/api/meetings/{m}/report?format=html")),
        // The workshop's catalogue; ids the catalogue does not hold are
        // answered as unknown, never as a fault.
        13 => ("POST", format!("/api/meetings/{m}/groups")),
        14 => ("POST", format!("/api/meetings/{m}/groups/{a}/members")),
        15 => ("POST", format!("/api/meetings/{m}/elements")),
        16 => ("POST", format!("/api/meetings/{m}/elements/{a}/share")),
        17 => ("POST", format!("/api/meetings/{m}/elements/{a}/merge")),
        18 => ("POST", format!("/api/meetings/{m}/elements/{a}/split")),
        19 => ("POST", format!("/api/meetings/{m}/elements/{a}/value")),
        20 => ("GET", format!("/api/meetings/{m}/catalogue")),
        21 => ("GET", format!("/api/meetings/{m}")),
        // The method: stages, elements into the draft, signals, checks.
        22 => ("POST", format!("/api/meetings/{m}/stage")),
        23 => ("POST", format!("/api/meetings/{m}/elements/{a}/pull")),
        24 => ("POST", format!("/api/meetings/{m}/clauses/{c}/elements")),
        25 => ("POST", format!("/api/meetings/{m}/clauses/{c}/signals")),
        26 => ("POST", format!("/api/meetings/{m}/checks")),
        27 => ("POST", format!("/api/meetings/{m}/checks/1/answers")),
        28 => ("POST", format!("/api/meetings/{m}/checks/1/close")),
        _ => ("GET", format!("/api/meetings/{m}/consensus")),
    }
}
