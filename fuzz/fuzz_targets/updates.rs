//! Update application with the role and client-ID checks: the rules of a
//! room (`RoomDoc::apply`), fed by authors who type into their own copies of
//! the draft (valid, concurrent updates) and by raw bytes (anything at all),
//! with the server's bookkeeping around it as `Meeting::receive_update` does
//! it. What must hold, whatever comes:
//! - a refused or no-op update changes nothing;
//! - what the room relays (each applied update) rebuilds exactly the room's
//!   state in a replica;
//! - every client ID with items in the room is bound to one member, and a
//!   member's update never adds items under another member's ID;
//! - a refused client ID never gains items afterwards.

#![no_main]

use std::collections::{HashMap, HashSet};

use draftroom_server::room::{Author, Denied, Kind, Outcome, RoomDoc, new_doc};
use libfuzzer_sys::fuzz_target;
use uuid::Uuid;
use yrs::updates::decoder::Decode;
use yrs::{
    Array, ArrayRef, ClientID, Doc, GetString, Map, MapPrelim, MapRef, Out, ReadTxn, StateVector,
    Text, TextPrelim, TextRef, Transact, Update,
};

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

fuzz_target!(|data: &[u8]| {
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
});
