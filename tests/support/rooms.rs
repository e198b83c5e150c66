//! Readers for the shapes of Draftroom's rooms (DESIGN.md, "Shape"):
//! the `draft` room's `clauses`, and the server-written `meeting` room's
//! `meeting`, `participants` and `clients` maps.
//!
//! They read a `Doc` in one short transaction, so they may be called from a
//! polling loop while the client's reader task applies updates.

use serde_json::{Map as JsonMap, Value};
use std::collections::BTreeMap;
use yrs::types::ToJson;
use yrs::{
    Array, ArrayRef, Doc, GetString, Map, MapPrelim, Out, ReadTxn, Text, TextPrelim, TextRef,
    Transact, TransactionMut,
};

/// The clauses' texts in order (empty if the draft has no clauses yet).
pub fn clause_texts(doc: &Doc) -> Vec<String> {
    let txn = doc.transact();
    let Some(clauses) = txn.get_array("clauses") else {
        return Vec::new();
    };
    clauses
        .iter(&txn)
        .map(|clause| match clause {
            Out::YMap(clause) => match clause.get(&txn, "text") {
                Some(Out::YText(text)) => text.get_string(&txn),
                other => panic!("clause text is not a Y.Text: {other:?}"),
            },
            other => panic!("clause is not a Y.Map: {other:?}"),
        })
        .collect()
}

/// The length of clause `index` in UTF-16 code units, as JavaScript counts
/// (the document must use `OffsetKind::Utf16`).
pub fn clause_len(doc: &Doc, index: u32) -> u32 {
    let txn = doc.transact();
    let clause = txn
        .get_array("clauses")
        .and_then(|clauses| clauses.get(&txn, index));
    match clause {
        Some(Out::YMap(clause)) => match clause.get(&txn, "text") {
            Some(Out::YText(text)) => text.len(&txn),
            other => panic!("clause {index} text is not a Y.Text: {other:?}"),
        },
        other => panic!("no clause {index}: {other:?}"),
    }
}

/// The `Y.Text` of clause `index`, for edits made outside a [`YClient`]
/// (offline edits, hand-made updates).
///
/// [`YClient`]: crate::YClient
pub fn clause_text<T: ReadTxn>(txn: &T, index: u32) -> TextRef {
    let clause = txn
        .get_array("clauses")
        .and_then(|clauses| clauses.get(txn, index));
    match clause {
        Some(Out::YMap(clause)) => match clause.get(txn, "text") {
            Some(Out::YText(text)) => text,
            other => panic!("clause {index} text is not a Y.Text: {other:?}"),
        },
        other => panic!("no clause {index}: {other:?}"),
    }
}

/// Appends a clause `{id, text}` in `txn`; answers its id.
pub fn push_clause(txn: &mut TransactionMut, clauses: &ArrayRef, text: &str) -> String {
    let id = crate::random_uuid().to_string();
    let clause = clauses.push_back(txn, MapPrelim::default());
    clause.insert(txn, "id", id.clone());
    clause.insert(txn, "text", TextPrelim::new(text));
    id
}

/// The clauses' ids in order.
pub fn clause_ids(doc: &Doc) -> Vec<String> {
    let txn = doc.transact();
    let Some(clauses) = txn.get_array("clauses") else {
        return Vec::new();
    };
    clauses
        .iter(&txn)
        .map(|clause| match clause {
            Out::YMap(clause) => clause
                .get(&txn, "id")
                .map(|id| id.to_string(&txn))
                .unwrap_or_default(),
            other => panic!("clause is not a Y.Map: {other:?}"),
        })
        .collect()
}

/// The draft text as a version records it: clause texts joined by a blank line.
pub fn draft_text(doc: &Doc) -> String {
    clause_texts(doc).join("\n\n")
}

/// The `meeting` room's root map `meeting` as JSON (`{}` if absent).
pub fn meeting_info(doc: &Doc) -> JsonMap<String, Value> {
    root_map_json(doc, "meeting")
}

/// The meeting's title from the `meeting` room.
pub fn meeting_title(doc: &Doc) -> Option<String> {
    meeting_info(doc)
        .get("title")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// `meeting.observers`: how many observers are connected now, if shown.
pub fn observers(doc: &Doc) -> Option<u64> {
    meeting_info(doc)
        .get("observers")
        .and_then(Value::as_f64)
        .map(|n| n as u64)
}

/// `participants`: user id to `{name, role, colour}` of the people in the
/// room (moderator, editors, participants; observers are a count).
pub fn participants(doc: &Doc) -> JsonMap<String, Value> {
    root_map_json(doc, "participants")
}

/// `clients`: Yjs client id (decimal) to the user id it is bound to.
pub fn clients(doc: &Doc) -> BTreeMap<String, String> {
    root_map_json(doc, "clients")
        .into_iter()
        .map(|(client, user)| {
            let user = match user {
                Value::String(user) => user,
                other => other.to_string(),
            };
            (client, user)
        })
        .collect()
}

/// `amendments`: amendment id to `{clause_id, author, status, supporters,
/// created_at, decided_at, decided_by, text}`.
pub fn amendments(doc: &Doc) -> JsonMap<String, Value> {
    root_map_json(doc, "amendments")
}

/// `versions`: version number (decimal) to `{version, created_at,
/// frozen_by, sha256, text}`.
pub fn versions(doc: &Doc) -> JsonMap<String, Value> {
    root_map_json(doc, "versions")
}

/// The text of an `amendment/{id}` room: its root `text`.
pub fn amendment_text(doc: &Doc) -> String {
    let txn = doc.transact();
    txn.get_text("text")
        .map(|text| text.get_string(&txn))
        .unwrap_or_default()
}

/// A root map as JSON, whether its values are plain or nested Y types.
pub fn root_map_json(doc: &Doc, name: &str) -> JsonMap<String, Value> {
    let txn = doc.transact();
    let Some(map) = txn.get_map(name) else {
        return JsonMap::new();
    };
    match serde_json::to_value(map.to_json(&txn)) {
        Ok(Value::Object(object)) => object,
        Ok(other) => panic!("root map {name} is not an object: {other}"),
        Err(e) => panic!("root map {name} does not convert to JSON: {e}"),
    }
}
