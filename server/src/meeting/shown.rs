//! The server-written `meeting` room: what every client reads to know the
//! meeting's title and phase, the people in the room (moderator, editors,
//! participants), which Yjs client is whose, how many observers follow
//! remotely, the amendments and the frozen versions, and the workshop's
//! catalogue: its working groups, their elements and the common ground;
//! the stage of the method, which clauses carry which elements, the
//! signals on clauses and the consensus checks (with what a hidden check
//! keeps back, see [`crate::meeting::consensus`]). Values are plain
//! JSON-like maps, so a stock Yjs client reads them with `toJSON()`.
//!
//! Observers are not listed: they are a count, `meeting.observers`, so that
//! neither the room's size nor what a join costs the others grows with the
//! audience (see [`crate::meeting::audience`]).

use std::collections::HashMap;

use uuid::Uuid;
use yrs::types::ToJson;
use yrs::{Any, Map, TransactionMut, WriteTxn};

use draftroom_shared::{Language, Role, Stage};

use crate::meeting::catalogue::common_ground;
use crate::meeting::consensus::{check_view, latest_signals, signal_view};
use crate::meeting::state::{Amendment, MeetingState, Member, Version};
use crate::store::{CatalogueRecord, MethodRecord};

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
        ("base", opt(a.base.as_deref(), Any::from)),
    ])
}

fn version_value(v: &Version) -> Any {
    map([
        ("version", Any::from(v.number as f64)),
        ("created_at", Any::from(v.created_at as f64)),
        ("frozen_by", Any::from(v.frozen_by.to_string())),
        ("sha256", Any::from(v.sha256.as_str())),
        ("text", Any::from(v.text.as_str())),
        ("reason", opt(v.reason.as_deref(), Any::from)),
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

/// A new meeting's fixed fields, and an audience of nobody.
pub(crate) fn init(txn: &mut TransactionMut<'_>, title: &str, created_at: i64, language: Language) {
    ensure(txn, "meeting", "title", Any::from(title));
    ensure(txn, "meeting", "language", Any::from(language.as_str()));
    ensure(txn, "meeting", "phase", Any::from(phase(false)));
    ensure(txn, "meeting", "created_at", Any::from(created_at as f64));
    show_observers(txn, 0);
}

/// A member of the room, as `participants[user_id]`; observers are not
/// listed.
pub(crate) fn show_member(txn: &mut TransactionMut<'_>, m: &Member) {
    if m.role == Role::Observer {
        return;
    }
    ensure(txn, "participants", &m.id.to_string(), member_value(m));
}

/// How many observers are connected now, as `meeting.observers`.
pub(crate) fn show_observers(txn: &mut TransactionMut<'_>, count: usize) {
    ensure(txn, "meeting", "observers", Any::from(count as f64));
}

/// Removes the keys of `root` for which `drop` holds.
fn remove_where(txn: &mut TransactionMut<'_>, root: &str, drop: impl Fn(&str, &Any) -> bool) {
    let map = txn.get_or_insert_map(root);
    let gone: Vec<String> = map
        .iter(txn)
        .filter(|(key, value)| drop(key, &value.to_json(txn)))
        .map(|(key, _)| key.to_owned())
        .collect();
    for key in gone {
        map.remove(txn, &key);
    }
}

/// A client binding, as `clients[client_id] = user_id`.
pub(crate) fn show_binding(txn: &mut TransactionMut<'_>, client: u64, user: Uuid) {
    ensure(
        txn,
        "clients",
        &client.to_string(),
        Any::from(user.to_string()),
    );
}

/// An amendment, as `amendments[id]`.
pub(crate) fn show_amendment(txn: &mut TransactionMut<'_>, a: &Amendment) {
    ensure(txn, "amendments", &a.id.to_string(), amendment_value(a));
}

/// A version, as `versions[n]`.
pub(crate) fn show_version(txn: &mut TransactionMut<'_>, v: &Version) {
    ensure(txn, "versions", &v.number.to_string(), version_value(v));
}

/// The phase: `drafting` or `frozen`.
pub(crate) fn show_phase(txn: &mut TransactionMut<'_>, frozen: bool) {
    ensure(txn, "meeting", "phase", Any::from(phase(frozen)));
}

/// The stage, as `meeting.stage`, and whether the meeting runs the whole
/// workshop, as `meeting.workshop`.
pub(crate) fn show_stage(txn: &mut TransactionMut<'_>, stage: Stage, workshop: bool) {
    ensure(txn, "meeting", "stage", Any::from(stage.as_str()));
    ensure(txn, "meeting", "workshop", Any::from(workshop));
}

/// A JSON view as the room holds it; numbers as floats, as everywhere in
/// the room (so that [`ensure`] finds an unchanged value equal).
fn from_json(value: &serde_json::Value) -> Any {
    use serde_json::Value;
    match value {
        Value::Null => Any::Null,
        Value::Bool(b) => Any::from(*b),
        Value::Number(n) => Any::from(n.as_f64().unwrap_or(0.0)),
        Value::String(s) => Any::from(s.as_str()),
        Value::Array(items) => Any::from(items.iter().map(from_json).collect::<Vec<_>>()),
        Value::Object(entries) => Any::from(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), from_json(v)))
                .collect::<HashMap<String, Any>>(),
        ),
    }
}

/// The method's records: `links` (clause id → the ids of the elements it
/// carries), `signals` (clause id → user id → that person's latest signal
/// on the clause, with the SHA-256 of the wording it answers: it counts
/// while that is the clause's text) and `checks` (number → the check as
/// anyone may read it). Writes only what changed.
pub(crate) fn show_method(
    txn: &mut TransactionMut<'_>,
    m: &MethodRecord,
    members: &HashMap<Uuid, Member>,
) {
    let mut links: HashMap<String, Vec<Any>> = HashMap::new();
    for l in &m.links {
        links
            .entry(l.clause_id.to_string())
            .or_default()
            .push(Any::from(l.element_id.to_string()));
    }
    remove_where(txn, "links", |clause, _| !links.contains_key(clause));
    for (clause, elements) in links {
        ensure(txn, "links", &clause, Any::from(elements));
    }
    let mut signals: HashMap<String, serde_json::Map<String, serde_json::Value>> = HashMap::new();
    for s in latest_signals(&m.signals) {
        signals
            .entry(s.clause_id.to_string())
            .or_default()
            .insert(s.user_id.to_string(), signal_view(s, members));
    }
    for (clause, by_user) in signals {
        ensure(txn, "signals", &clause, from_json(&by_user.into()));
    }
    for k in &m.checks {
        ensure(
            txn,
            "checks",
            &k.number.to_string(),
            from_json(&check_view(k, members)),
        );
    }
}

fn ids(ids: impl IntoIterator<Item = Uuid>) -> Any {
    Any::from(
        ids.into_iter()
            .map(|u| Any::from(u.to_string()))
            .collect::<Vec<_>>(),
    )
}

/// The catalogue: `groups[id]` (label, name, members), `elements[id]`
/// (its name such as "A1", words, group, author, what it was merged into or
/// split from, value, the value it is under, the groups that mark it
/// shared), and `catalogue.common_ground`, computed from those marks:
/// a list of `{id, text, value, sources}`. Writes only what changed.
pub(crate) fn show_catalogue(txn: &mut TransactionMut<'_>, c: &CatalogueRecord) {
    let mut labels = HashMap::new();
    for g in &c.groups {
        labels.insert(g.id, g.label.as_str());
        let members = c
            .members
            .iter()
            .filter(|(_, gid)| *gid == g.id)
            .map(|(u, _)| *u);
        let value = map([
            ("label", Any::from(g.label.as_str())),
            ("name", Any::from(g.name.as_str())),
            ("members", ids(members)),
        ]);
        ensure(txn, "groups", &g.id.to_string(), value);
    }
    for e in &c.elements {
        let label = labels.get(&e.group_id).copied().unwrap_or("?");
        let shared_by = c
            .shares
            .iter()
            .filter(|s| s.element_id == e.id)
            .map(|s| s.group_id);
        let value = map([
            ("name", Any::from(format!("{label}{}", e.position))),
            ("group_id", Any::from(e.group_id.to_string())),
            ("position", Any::from(f64::from(e.position))),
            ("text", Any::from(e.text.as_str())),
            ("author", Any::from(e.author_id.to_string())),
            ("created_at", Any::from(e.created_at as f64)),
            (
                "split_from",
                opt(e.split_from, |u| Any::from(u.to_string())),
            ),
            (
                "merged_into",
                opt(e.merged_into, |u| Any::from(u.to_string())),
            ),
            ("value", Any::from(e.value)),
            (
                "under_value",
                opt(e.under_value, |u| Any::from(u.to_string())),
            ),
            ("shared_by", ids(shared_by)),
        ]);
        ensure(txn, "elements", &e.id.to_string(), value);
    }
    let ground: Vec<Any> = common_ground(c)
        .into_iter()
        .map(|e| {
            let sources: Vec<Any> = e.sources.into_iter().map(Any::from).collect();
            map([
                ("id", Any::from(e.id.to_string())),
                ("text", Any::from(e.text)),
                ("value", Any::from(e.value)),
                ("sources", Any::from(sources)),
            ])
        })
        .collect();
    ensure(txn, "catalogue", "common_ground", Any::from(ground));
}

/// Makes the room show everything the state holds, writing only what
/// differs: after a restart between storing a command and showing it. A
/// meeting being loaded has no connection yet, so no observer. Observers
/// that a meeting stored before they became a count listed are removed.
pub(crate) fn reconcile(txn: &mut TransactionMut<'_>, st: &MeetingState) {
    init(txn, &st.title, st.created_at, st.language);
    show_phase(txn, st.frozen());
    show_stage(txn, st.stage, st.workshop);
    let observer = |user: &str| {
        user.parse::<Uuid>()
            .ok()
            .and_then(|id| st.members.get(&id))
            .is_some_and(|m| m.role == Role::Observer)
    };
    remove_where(txn, "participants", |user, _| observer(user));
    remove_where(txn, "clients", |_, user| match user {
        Any::String(user) => observer(user),
        _ => false,
    });
    for m in st.members.values() {
        show_member(txn, m);
    }
    for (client, user) in &st.bindings {
        if !observer(&user.to_string()) {
            show_binding(txn, *client, *user);
        }
    }
    for a in &st.amendments {
        show_amendment(txn, a);
    }
    for v in &st.versions {
        show_version(txn, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::room::{Kind, RoomDoc};
    use yrs::{ReadTxn, StateVector, Transact};

    fn member(role: Role, n: u128) -> Member {
        Member {
            id: Uuid::from_u128(n),
            name: format!("member {n}"),
            role,
            colour: "#1f77b4".into(),
            joined_at: 0,
        }
    }

    fn keys(room: &RoomDoc, root: &str) -> Vec<String> {
        let txn = room.doc().transact();
        let mut keys: Vec<String> = txn
            .get_map(root)
            .map(|m| m.keys(&txn).map(str::to_owned).collect())
            .unwrap_or_default();
        keys.sort();
        keys
    }

    #[test]
    fn the_audience_count_does_not_grow_the_room() {
        let mut room = RoomDoc::empty(Kind::Meeting);
        room.server_write(|txn| init(txn, "Misja", 0, Language::Pl));
        let size = |room: &RoomDoc| {
            room.doc()
                .transact()
                .encode_state_as_update_v1(&StateVector::default())
                .len()
        };
        let start = size(&room);
        // Three hours of an audience that changes every second.
        for n in 1..=10_800 {
            room.server_write(|txn| show_observers(txn, n % 700));
        }
        let grown = size(&room) - start;
        assert!(grown < 200, "the room grew by {grown} bytes");
    }

    #[test]
    fn observers_are_not_listed_and_old_listings_go() {
        let moderator = member(Role::Moderator, 1);
        let observer = member(Role::Observer, 2);
        let participant = member(Role::Participant, 3);
        let mut room = RoomDoc::empty(Kind::Meeting);
        room.server_write(|txn| {
            show_member(txn, &moderator);
            show_member(txn, &observer);
        });
        assert_eq!(keys(&room, "participants"), [moderator.id.to_string()]);
        // A room stored before observers were a count lists one, with a
        // client ID; loading the meeting tidies it.
        room.server_write(|txn| {
            ensure(
                txn,
                "participants",
                &observer.id.to_string(),
                member_value(&observer),
            );
            show_binding(txn, 77, observer.id);
            show_binding(txn, 11, moderator.id);
            show_observers(txn, 5);
        });
        let st = MeetingState {
            title: "Misja".into(),
            created_at: 0,
            language: Language::Pl,
            participant_invite: [0; 32],
            observer_invite: [1; 32],
            participant_code: None,
            members: [&moderator, &observer, &participant]
                .into_iter()
                .map(|m| (m.id, m.clone()))
                .collect(),
            by_token: HashMap::new(),
            bindings: HashMap::from([(11, moderator.id), (77, observer.id)]),
            stage: draftroom_shared::Stage::Amend,
            workshop: false,
            amendments: Vec::new(),
            versions: Vec::new(),
        };
        room.server_write(|txn| reconcile(txn, &st));
        let mut listed = vec![moderator.id.to_string(), participant.id.to_string()];
        listed.sort();
        assert_eq!(keys(&room, "participants"), listed);
        assert_eq!(keys(&room, "clients"), ["11"]);
        let txn = room.doc().transact();
        let observers = txn.get_map("meeting").unwrap().get(&txn, "observers");
        assert_eq!(observers.map(|v| v.to_json(&txn)), Some(Any::from(0.0)));
    }
}
