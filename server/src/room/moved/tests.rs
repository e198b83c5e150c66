//! Moves and carried edits on in-memory documents, no server: the room is
//! a document of its own, editors are documents that sync with it.

use super::*;
use crate::room::draft::{attribution, clause_texts, clauses};
use yrs::{GetString, WriteTxn};

fn doc(client: u64) -> Doc {
    crate::room::ydoc::build(Some(client), crate::room::ydoc::Garbage::Kept)
}

fn state(d: &Doc) -> Vec<u8> {
    d.transact()
        .encode_state_as_update_v1(&yrs::StateVector::default())
}

/// Gives `to` what it lacks of `from`.
fn sync(from: &Doc, to: &Doc) {
    let sv = to.transact().state_vector();
    let update = from.transact().encode_state_as_update_v1(&sv);
    to.transact_mut()
        .apply_update(Update::decode_v1(&update).unwrap())
        .unwrap();
}

/// Applies `update` to the room; answers what it inserted that landed in
/// a deleted type, as the server finds it.
fn apply(room: &Doc, update: &[u8]) -> IdSet {
    let sent = Update::decode_v1(update).unwrap();
    let own = sent.delete_set().clone();
    let mut txn = room.transact_mut();
    txn.apply_update(sent).unwrap();
    let applied = Update::decode_v1(&txn.encode_update_v1()).unwrap();
    applied
        .insertions(true)
        .intersect(applied.delete_set())
        .diff(&own)
}

/// An edit of `editor`'s clause `index`, sent as one update.
fn edit(editor: &Doc, index: u32, f: impl FnOnce(&mut TransactionMut, &TextRef)) -> Vec<u8> {
    let text = clauses(&editor.transact()).remove(index as usize).1;
    let mut txn = editor.transact_mut();
    f(&mut txn, &text);
    txn.encode_update_v1()
}

fn add_clause(editor: &Doc, id: &str, text: &str) -> Vec<u8> {
    let mut txn = editor.transact_mut();
    let list = txn.get_or_insert_array(CLAUSES);
    let map = list.push_back(&mut txn, MapPrelim::default());
    map.insert(&mut txn, "id", id);
    map.insert(&mut txn, "text", TextPrelim::new(text));
    txn.encode_update_v1()
}

/// The draft's clause texts by id, in order.
fn order(room: &Doc) -> Vec<(String, String)> {
    clause_texts(room)
}

/// Who wrote what in clause `id`: runs of (client, text).
fn who(room: &Doc, id: &str) -> Vec<(u64, String)> {
    let text = clauses(&room.transact())
        .into_iter()
        .find(|(cid, _)| cid == id)
        .unwrap()
        .1;
    attribution(room, &text)
}

/// The room after three editors (clients 1, 2, 3) wrote three clauses, the
/// first one together.
fn three_clauses() -> (Doc, [Doc; 3]) {
    let room = doc(100);
    let editors = [doc(1), doc(2), doc(3)];
    apply(&room, &add_clause(&editors[0], "c1", "Kraków "));
    sync(&room, &editors[1]);
    apply(
        &room,
        &edit(&editors[1], 0, |txn, t| t.push(txn, "żółć 👍🏽 ")),
    );
    sync(&room, &editors[2]);
    apply(
        &room,
        &edit(&editors[2], 0, |txn, t| t.push(txn, "dla wszystkich")),
    );
    apply(&room, &add_clause(&editors[2], "c2", "Drugi"));
    sync(&room, &editors[0]);
    apply(&room, &add_clause(&editors[0], "c3", "Trzeci 🙂"));
    for e in &editors {
        sync(&room, e);
    }
    (room, editors)
}

/// Moves clause `from` to `to` in `room`: each original client's runs are
/// written by client + 10, the map by `mover`.
fn move_clause(room: &Doc, moved: &mut MovedTexts, from: u32, to: u32, mover: u64) {
    let text = {
        let txn = room.transact();
        clauses(&txn).remove(from as usize).1
    };
    let mut txn = room.transact_mut();
    let gone = txn.snapshot().delete_set;
    let mut runs: Vec<(u64, Vec<Char>)> = Vec::new();
    for c in chars(&mut txn, &text, &gone) {
        if c.deleted {
            continue;
        }
        let client = c.id.0 % 10 + 10;
        match runs.last_mut() {
            Some((k, run)) if *k == client => run.push(c),
            _ => runs.push((client, vec![c])),
        }
    }
    drop(txn);
    let done = copy_clause(&state(room), from, to, mover, &runs).expect("moved");
    assert!(apply(room, &done.update).is_empty());
    moved.add(&done.record);
}

/// Carries what `update` did, sent by a stale editor, as `client`.
fn carry(room: &Doc, moved: &mut MovedTexts, update: &[u8], client: u64) {
    let racing = apply(room, update);
    let deleted = moved.deleted_units(Update::decode_v1(update).unwrap().delete_set());
    let carried = moved
        .carry(&state(room), client, &racing, &deleted)
        .expect("something to carry");
    apply(room, &carried.update);
    moved.add(&carried.record);
}

#[test]
fn a_moved_clause_keeps_its_text_and_every_authors_runs() {
    let (room, _) = three_clauses();
    let before = who(&room, "c1");
    assert_eq!(
        before,
        vec![
            (1, "Kraków ".to_owned()),
            (2, "żółć 👍🏽 ".to_owned()),
            (3, "dla wszystkich".to_owned()),
        ]
    );
    let mut moved = MovedTexts::default();
    move_clause(&room, &mut moved, 0, 2, 50);
    let now = order(&room);
    let ids: Vec<&str> = now.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["c2", "c3", "c1"]);
    assert_eq!(now[2].1, "Kraków żółć 👍🏽 dla wszystkich");
    let after: Vec<(u64, String)> = who(&room, "c1")
        .into_iter()
        .map(|(client, run)| (client - 10, run))
        .collect();
    assert_eq!(after, before);
    // And back up: the copy of the copy.
    move_clause(&room, &mut moved, 2, 0, 50);
    let ids: Vec<String> = order(&room).into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, ["c1", "c2", "c3"]);
    assert_eq!(
        who(&room, "c1"),
        after
            .iter()
            .map(|(c, r)| (c + 10, r.clone()))
            .collect::<Vec<_>>()
    );
    // An editor syncing from the room sees the same.
    let late = doc(7);
    sync(&room, &late);
    assert_eq!(order(&late), order(&room));
}

#[test]
fn typing_into_the_old_text_is_carried_over_where_it_was_typed() {
    let (room, editors) = three_clauses();
    let bolek = &editors[1];
    let mut moved = MovedTexts::default();
    move_clause(&room, &mut moved, 0, 1, 50);
    // Bolek has not heard of the move: "Kraków " + "!" , then "?" after it,
    // an emoji before "dla" and "żółć" deleted.
    carry(
        &room,
        &mut moved,
        &edit(bolek, 0, |txn, t| t.insert(txn, 6, "!")),
        60,
    );
    carry(
        &room,
        &mut moved,
        &edit(bolek, 0, |txn, t| t.insert(txn, 7, "?")),
        61,
    );
    let at = utf16_len("Kraków!? żółć 👍🏽 ");
    carry(
        &room,
        &mut moved,
        &edit(bolek, 0, |txn, t| t.insert(txn, at, "🤝")),
        62,
    );
    carry(
        &room,
        &mut moved,
        &edit(bolek, 0, |txn, t| t.remove_range(txn, 9, 4)),
        63,
    );
    let now = order(&room);
    assert_eq!(
        now[1],
        ("c1".to_owned(), "Kraków!?  👍🏽 🤝dla wszystkich".to_owned())
    );
    let runs = who(&room, "c1");
    assert!(runs.contains(&(60, "!".to_owned())), "{runs:?}");
    assert!(runs.contains(&(61, "?".to_owned())), "{runs:?}");
    assert!(runs.contains(&(62, "🤝".to_owned())), "{runs:?}");
    // Once Bolek syncs, its copy agrees; its full state (the move's
    // deletions among its own) carries nothing more.
    sync(&room, bolek);
    assert_eq!(order(bolek), order(&room));
    let resent = state(bolek);
    assert!(apply(&room, &resent).is_empty());
    let deleted = moved.deleted_units(Update::decode_v1(&resent).unwrap().delete_set());
    assert!(deleted.is_empty(), "{deleted:?}");
}

#[test]
fn words_typed_after_a_character_deleted_before_the_move_go_after_its_neighbour() {
    let (room, editors) = three_clauses();
    let stale = &editors[2];
    // Someone deletes "żółć " before the move; the stale editor has not
    // seen that either, and types after "ż".
    let anna = &editors[0];
    apply(&room, &edit(anna, 0, |txn, t| t.remove_range(txn, 7, 5)));
    let mut moved = MovedTexts::default();
    move_clause(&room, &mut moved, 0, 2, 50);
    carry(
        &room,
        &mut moved,
        &edit(stale, 0, |txn, t| t.insert(txn, 8, "X")),
        70,
    );
    assert_eq!(order(&room)[2].1, "Kraków X👍🏽 dla wszystkich");
}

#[test]
fn a_clause_moved_twice_still_takes_what_was_typed_into_its_first_text() {
    let (room, editors) = three_clauses();
    let stale = &editors[0];
    let mut moved = MovedTexts::default();
    move_clause(&room, &mut moved, 0, 2, 50);
    move_clause(&room, &mut moved, 2, 1, 51);
    carry(
        &room,
        &mut moved,
        &edit(stale, 0, |txn, t| t.insert(txn, 0, "„")),
        80,
    );
    carry(
        &room,
        &mut moved,
        &edit(stale, 0, |txn, t| t.insert(txn, 1, "Nasz ")),
        81,
    );
    carry(
        &room,
        &mut moved,
        &edit(stale, 0, |txn, t| t.remove_range(txn, 6, 7)),
        82,
    );
    assert_eq!(
        order(&room)[1],
        ("c1".to_owned(), "„Nasz żółć 👍🏽 dla wszystkich".to_owned())
    );
    let text = clauses(&room.transact()).remove(1).1;
    assert_eq!(
        text.get_string(&room.transact()),
        "„Nasz żółć 👍🏽 dla wszystkich"
    );
}

#[test]
fn a_move_record_round_trips_as_json() {
    let (room, _) = three_clauses();
    let mut moved = MovedTexts::default();
    let text = clauses(&room.transact()).remove(0).1;
    let mut txn = room.transact_mut();
    let gone = txn.snapshot().delete_set;
    let all = chars(&mut txn, &text, &gone);
    drop(txn);
    let done = copy_clause(&state(&room), 0, 1, 50, &[(50, all)]).unwrap();
    let json = serde_json::to_string(&done.record).unwrap();
    assert_eq!(
        serde_json::from_str::<MoveRecord>(&json).unwrap(),
        done.record
    );
    moved.add(&done.record);
    assert!(!moved.is_empty());
}
