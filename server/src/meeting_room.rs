//! The server-written `meeting` room: what every client reads to know the
//! meeting's title and phase, its members, which Yjs client is whose, the
//! amendments and the frozen versions. Values are plain JSON-like maps, so
//! a stock Yjs client reads them with `toJSON()`.

use std::collections::HashMap;

use uuid::Uuid;
use yrs::types::ToJson;
use yrs::{Any, Map, TransactionMut, WriteTxn};

use crate::meeting::{Amendment, MeetingState, Member, Version};

fn map(entries: impl IntoIterator<Item = (&'static str, Any)>) -> Any {
    Any::from(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect::<HashMap<String, Any>>(),
    )
}

fn opt<T>(v: Option<T>, f: impl FnOnce(T) -> Any) -> Any {
    v.map_or(Any::Null, f)
}

fn member_value(m: &Member) -> Any {
    map([
        ("name", Any::from(m.name.as_str())),
        ("role", Any::from(m.role.as_str())),
        ("colour", Any::from(m.colour.as_str())),
        ("joined_at", Any::from(m.joined_at as f64)),
    ])
}

fn amendment_value(a: &Amendment) -> Any {
    let supporters: Vec<Any> = a
        .supporters
        .iter()
        .map(|u| Any::from(u.to_string()))
        .collect();
    map([
        ("clause_id", Any::from(a.clause_id.as_str())),
        ("author", Any::from(a.author.to_string())),
        ("status", Any::from(a.status.as_str())),
        ("supporters", Any::from(supporters)),
        ("created_at", Any::from(a.created_at as f64)),
        ("decided_at", opt(a.decided_at, |t| Any::from(t as f64))),
        (
            "decided_by",
            opt(a.decided_by, |u| Any::from(u.to_string())),
        ),
        ("text", Any::from(a.text.as_str())),
    ])
}

fn version_value(v: &Version) -> Any {
    map([
        ("version", Any::from(v.number as f64)),
        ("created_at", Any::from(v.created_at as f64)),
        ("frozen_by", Any::from(v.frozen_by.to_string())),
        ("sha256", Any::from(v.sha256.as_str())),
        ("text", Any::from(v.text.as_str())),
    ])
}

fn phase(frozen: bool) -> &'static str {
    if frozen { "frozen" } else { "drafting" }
}

/// Sets `root[key] = value` unless it already is.
fn ensure(txn: &mut TransactionMut<'_>, root: &str, key: &str, value: Any) {
    let map = txn.get_or_insert_map(root);
    let same = map.get(txn, key).is_some_and(|v| v.to_json(txn) == value);
    if !same {
        map.insert(txn, key, value);
    }
}

/// A new meeting's fixed fields.
pub fn init(txn: &mut TransactionMut<'_>, title: &str, created_at: i64) {
    ensure(txn, "meeting", "title", Any::from(title));
    ensure(txn, "meeting", "phase", Any::from(phase(false)));
    ensure(txn, "meeting", "created_at", Any::from(created_at as f64));
}

/// A member, as `participants[user_id]`.
pub fn show_member(txn: &mut TransactionMut<'_>, m: &Member) {
    ensure(txn, "participants", &m.id.to_string(), member_value(m));
}

/// A client binding, as `clients[client_id] = user_id`.
pub fn show_binding(txn: &mut TransactionMut<'_>, client: u64, user: Uuid) {
    ensure(
        txn,
        "clients",
        &client.to_string(),
        Any::from(user.to_string()),
    );
}

/// An amendment, as `amendments[id]`.
pub fn show_amendment(txn: &mut TransactionMut<'_>, a: &Amendment) {
    ensure(txn, "amendments", &a.id.to_string(), amendment_value(a));
}

/// A version, as `versions[n]`.
pub fn show_version(txn: &mut TransactionMut<'_>, v: &Version) {
    ensure(txn, "versions", &v.number.to_string(), version_value(v));
}

/// The phase: `drafting` or `frozen`.
pub fn show_phase(txn: &mut TransactionMut<'_>, frozen: bool) {
    ensure(txn, "meeting", "phase", Any::from(phase(frozen)));
}

/// Makes the room show everything the state holds, writing only what
/// differs: after a restart between storing a command and showing it.
pub fn reconcile(txn: &mut TransactionMut<'_>, st: &MeetingState) {
    init(txn, &st.title, st.created_at);
    show_phase(txn, st.frozen);
    for m in st.members.values() {
        show_member(txn, m);
    }
    for (client, user) in &st.bindings {
        show_binding(txn, *client, *user);
    }
    for a in &st.amendments {
        show_amendment(txn, a);
    }
    for v in &st.versions {
        show_version(txn, v);
    }
}
