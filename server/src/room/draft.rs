//! The draft's own structure, as the server reads and edits it: clauses
//! (a `Y.Array` of `Y.Map {id, text}`), which clauses an update touched,
//! who wrote which characters, and a clause rewritten as a minimal
//! character diff.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::room::ydoc;
use yrs::types::text::{ChangeKind, YChange};
use yrs::types::{Delta, Event, PathSegment};
use yrs::{
    Any, Array, ArrayRef, DeepObservable, Doc, GetString, IdSet, Map, MapRef, Observable, Out,
    ReadTxn, Snapshot, StateVector, Text, TextRef, Transact, WriteTxn,
};

/// The draft's root: the clauses in order.
pub const CLAUSES: &str = "clauses";
/// An amendment room's root: the proposed wording.
pub const AMENDMENT_TEXT: &str = "text";
/// Between clauses in the text of a version.
pub const CLAUSE_SEPARATOR: &str = "\n\n";

/// Length of a string in UTF-16 code units, as Yjs counts.
pub fn utf16_len(s: &str) -> u32 {
    s.encode_utf16().count() as u32
}

/// The clauses in order: their ids and texts. Entries that are not a map
/// with a string `id` and a `Y.Text` are skipped.
pub fn clauses<T: ReadTxn>(txn: &T) -> Vec<(String, TextRef)> {
    let Some(array) = txn.get_array(CLAUSES) else {
        return Vec::new();
    };
    array
        .iter(txn)
        .filter_map(|v| {
            let map: MapRef = v.cast().ok()?;
            let id = match map.get(txn, "id")? {
                Out::Any(Any::String(s)) => s.to_string(),
                _ => return None,
            };
            let text: TextRef = map.get(txn, "text")?.cast().ok()?;
            Some((id, text))
        })
        .collect()
}

/// One clause's text by id.
pub fn clause_text(doc: &Doc, id: &str) -> Option<String> {
    let txn = doc.transact();
    clauses(&txn)
        .into_iter()
        .find(|(cid, _)| cid == id)
        .map(|(_, t)| t.get_string(&txn))
}

/// The draft as one text: the clauses joined by a blank line.
pub fn draft_text(doc: &Doc) -> String {
    let txn = doc.transact();
    clauses(&txn)
        .iter()
        .map(|(_, t)| t.get_string(&txn))
        .collect::<Vec<_>>()
        .join(CLAUSE_SEPARATOR)
}

/// Every clause with its text, in order.
pub fn clause_texts(doc: &Doc) -> Vec<(String, String)> {
    let txn = doc.transact();
    clauses(&txn)
        .into_iter()
        .map(|(id, t)| {
            let s = t.get_string(&txn);
            (id, s)
        })
        .collect()
}

/// An amendment room's text.
pub fn amendment_text(doc: &Doc) -> String {
    let txn = doc.transact();
    txn.get_text(AMENDMENT_TEXT)
        .map(|t| t.get_string(&txn))
        .unwrap_or_default()
}

/// What one update did to one clause (or to no clause: `clause_id` None).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClauseChange {
    /// The clause touched.
    pub clause_id: Option<String>,
    /// UTF-16 code units inserted.
    pub inserted: u32,
    /// UTF-16 code units deleted.
    pub deleted: u32,
}

/// What the observers saw since the last [`Tracker::take`].
#[derive(Default)]
struct Seen {
    /// `(clause id, inserted, deleted)` per text event, in order.
    texts: Vec<(String, u32, u32)>,
    /// Clauses were added, removed or replaced: compare the list.
    structure: bool,
}

/// Watches a document for what each transaction did to which clause.
/// Typing costs one lookup of the clause it touched; only a change to the
/// list of clauses walks the list.
pub struct Tracker {
    seen: Arc<Mutex<Seen>>,
    /// Clause id → text length, as of the last look.
    known: HashMap<String, u32>,
    /// Inserted and deleted lengths of an amendment's root text, if that
    /// is what is watched.
    text_events: Arc<Mutex<(u32, u32)>>,
}

fn delta_counts(delta: &[Delta]) -> (u32, u32) {
    let mut ins = 0;
    let mut del = 0;
    for d in delta {
        match d {
            Delta::Inserted(Out::Any(Any::String(s)), _) => ins += utf16_len(s),
            Delta::Inserted(_, _) => ins += 1,
            Delta::Deleted(n) => del += n,
            Delta::Retain(..) => {}
        }
    }
    (ins, del)
}

fn lengths<T: ReadTxn>(txn: &T) -> Vec<(String, u32)> {
    clauses(txn)
        .into_iter()
        .map(|(id, t)| {
            let n = t.len(txn);
            (id, n)
        })
        .collect()
}

/// Clock units (UTF-16 code units, for text) in an ID set.
fn id_set_len(set: &IdSet) -> u32 {
    set.iter()
        .map(|(_, ranges)| ranges.iter().map(|r| r.end - r.start).sum::<u32>())
        .sum()
}

/// The id of the clause at `index`.
fn clause_id_at<T: ReadTxn>(txn: &T, array: &ArrayRef, index: u32) -> Option<String> {
    let map: MapRef = array.get(txn, index)?.cast().ok()?;
    match map.get(txn, "id")? {
        Out::Any(Any::String(s)) => Some(s.to_string()),
        _ => None,
    }
}

impl Tracker {
    /// Starts watching the draft's clauses in `doc`.
    pub fn draft(doc: &Doc) -> Tracker {
        let seen: Arc<Mutex<Seen>> = Arc::default();
        let sink = seen.clone();
        let array: ArrayRef = doc.get_or_insert_array(CLAUSES);
        let lookup = array.clone();
        array.observe_deep("draftroom-tracker", move |txn, evs| {
            let mut out = sink.lock().unwrap_or_else(|p| p.into_inner());
            let single = evs.iter().count() == 1;
            for e in evs.iter() {
                match e {
                    Event::Text(t) => {
                        let path = e.path();
                        let id = match path.front() {
                            Some(PathSegment::Index(i)) => clause_id_at(txn, &lookup, *i),
                            _ => None,
                        };
                        let Some(id) = id else {
                            out.structure = true;
                            continue;
                        };
                        // A text event's delta walks the whole text; when it is
                        // the transaction's only change (typing), the
                        // transaction's own insert and delete sets say the same
                        // in constant time.
                        let (ins, del) = if single {
                            (id_set_len(txn.insert_set()), id_set_len(txn.delete_set()))
                        } else {
                            delta_counts(t.delta(txn))
                        };
                        out.texts.push((id, ins, del));
                    }
                    _ => out.structure = true,
                }
            }
        });
        let known = lengths(&doc.transact()).into_iter().collect();
        Tracker {
            seen,
            known,
            text_events: Arc::default(),
        }
    }

    /// Starts watching an amendment room's text in `doc`.
    pub fn amendment(doc: &Doc) -> Tracker {
        let text_events: Arc<Mutex<(u32, u32)>> = Arc::default();
        let sink = text_events.clone();
        let text = doc.get_or_insert_text(AMENDMENT_TEXT);
        text.observe("draftroom-tracker", move |txn, e| {
            let (ins, del) = delta_counts(e.delta(txn));
            let mut out = sink.lock().unwrap_or_else(|p| p.into_inner());
            out.0 += ins;
            out.1 += del;
        });
        Tracker {
            seen: Arc::default(),
            known: HashMap::new(),
            text_events,
        }
    }

    /// What the transactions since the last call did, per clause.
    pub fn take(&mut self, doc: &Doc) -> Vec<ClauseChange> {
        let seen = std::mem::take(&mut *self.seen.lock().unwrap_or_else(|p| p.into_inner()));
        let (tins, tdel) =
            std::mem::take(&mut *self.text_events.lock().unwrap_or_else(|p| p.into_inner()));
        if tins + tdel > 0 {
            return vec![ClauseChange {
                clause_id: None,
                inserted: tins,
                deleted: tdel,
            }];
        }
        let mut out: Vec<ClauseChange> = Vec::new();
        let mut add = |id: &str, ins: u32, del: u32| match out
            .iter_mut()
            .find(|c| c.clause_id.as_deref() == Some(id))
        {
            Some(c) => {
                c.inserted += ins;
                c.deleted += del;
            }
            None => out.push(ClauseChange {
                clause_id: Some(id.to_owned()),
                inserted: ins,
                deleted: del,
            }),
        };
        for (id, ins, del) in &seen.texts {
            add(id, *ins, *del);
            if let Some(len) = self.known.get_mut(id) {
                *len = (*len + ins).saturating_sub(*del);
            }
        }
        if seen.structure {
            let now: HashMap<String, u32> = lengths(&doc.transact()).into_iter().collect();
            for (id, len) in &now {
                if !self.known.contains_key(id) {
                    add(id, *len, 0);
                }
            }
            for (id, len) in &self.known {
                if !now.contains_key(id) {
                    add(id, 0, *len);
                }
            }
            self.known = now;
        }
        out
    }
}

/// Who wrote which characters of `text`: runs of `(client id, text)` in
/// order, adjacent runs of one client merged.
pub fn attribution(doc: &Doc, text: &TextRef) -> Vec<(u64, String)> {
    let mut txn = doc.transact_mut();
    let now = txn.snapshot();
    let chunks = text.diff_range(
        &mut txn,
        Some(&now),
        Some(&Snapshot::default()),
        YChange::identity,
    );
    let mut out: Vec<(u64, String)> = Vec::new();
    for chunk in chunks {
        let (Out::Any(Any::String(s)), Some(change)) = (&chunk.insert, &chunk.ychange) else {
            continue;
        };
        if change.kind != ChangeKind::Added {
            continue;
        }
        let client = change.id.client.get();
        match out.last_mut() {
            Some((c, run)) if *c == client => run.push_str(s),
            _ => out.push((client, s.to_string())),
        }
    }
    out
}

/// The pieces a clause is diffed in: each word (a run of letters and
/// digits) whole, every other character alone. A changed word is replaced
/// whole, so it is all its new author's; unchanged words and punctuation
/// keep their items, so their authors.
pub fn tokens(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, ch) in s.char_indices() {
        if ch.is_alphanumeric() {
            start.get_or_insert(i);
        } else {
            if let Some(st) = start.take() {
                out.push(&s[st..i]);
            }
            out.push(&s[i..i + ch.len_utf8()]);
        }
    }
    if let Some(st) = start {
        out.push(&s[st..]);
    }
    out
}

/// The clause `id`'s text as it is in `state`, rewritten to `new_text` as a
/// minimal diff (of [`tokens`]) made by `client`: the update that does it,
/// or None if the clause is not there.
pub fn rewrite_clause(state: &[u8], id: &str, new_text: &str, client: u64) -> Option<Vec<u8>> {
    let scratch = ydoc::holding(Some(client), state)?;
    let mut txn = scratch.transact_mut();
    let text = clauses(&txn).into_iter().find(|(cid, _)| cid == id)?.1;
    let old = text.get_string(&txn);
    let (old_tokens, new_tokens) = (tokens(&old), tokens(new_text));
    let len = |ts: &[&str]| ts.iter().map(|t| utf16_len(t)).sum::<u32>();
    let mut pos = 0u32;
    for op in similar::capture_diff_slices(similar::Algorithm::Myers, &old_tokens, &new_tokens) {
        let (old_range, new_range) = (op.old_range(), op.new_range());
        match op.tag() {
            similar::DiffTag::Equal => pos += len(&old_tokens[old_range]),
            similar::DiffTag::Delete | similar::DiffTag::Insert | similar::DiffTag::Replace => {
                let removed = len(&old_tokens[old_range]);
                if removed > 0 {
                    text.remove_range(&mut txn, pos, removed);
                }
                let inserted: String = new_tokens[new_range].concat();
                if !inserted.is_empty() {
                    text.insert(&mut txn, pos, &inserted);
                    pos += utf16_len(&inserted);
                }
            }
        }
    }
    Some(txn.encode_update_v1())
}

/// A new clause `id` reading `text`, at the end of the draft as it is in
/// `state`, made by `client`: the update that adds it.
pub fn append_clause(state: &[u8], id: &str, text: &str, client: u64) -> Option<Vec<u8>> {
    let scratch = ydoc::holding(Some(client), state)?;
    let mut txn = scratch.transact_mut();
    let clauses = txn.get_or_insert_array(CLAUSES);
    let map = clauses.push_back(&mut txn, yrs::MapPrelim::default());
    map.insert(&mut txn, "id", id);
    map.insert(&mut txn, "text", yrs::TextPrelim::new(text));
    Some(txn.encode_update_v1())
}

/// The full state of a document, as an update.
pub fn full_state(doc: &Doc) -> Vec<u8> {
    doc.transact()
        .encode_state_as_update_v1(&StateVector::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::updates::decoder::Decode;
    use yrs::{In, Update};

    #[test]
    fn tokens_keep_words_whole_and_everything_else_alone() {
        assert_eq!(
            tokens("Kraków, miasto 🤝 2030!"),
            vec!["Kraków", ",", " ", "miasto", " ", "🤝", " ", "2030", "!"]
        );
        assert_eq!(tokens("").len(), 0);
        assert_eq!(tokens("żółć").concat(), "żółć");
    }

    fn doc(client: u64) -> Doc {
        crate::room::ydoc::build(Some(client), crate::room::ydoc::Garbage::Kept)
    }

    #[test]
    fn a_rewrite_changes_only_changed_words_and_credits_them_to_its_client() {
        let moderator = doc(1);
        {
            let mut txn = moderator.transact_mut();
            let clauses = txn.get_or_insert_array(CLAUSES);
            clauses.push_back(
                &mut txn,
                yrs::MapPrelim::from([
                    ("id".to_owned(), In::from("c1")),
                    (
                        "text".to_owned(),
                        In::from(yrs::TextPrelim::new("Kraków 🏛️ jest miastem otwartym.")),
                    ),
                ]),
            );
        }
        let new_text = "Kraków 🏛️ jest miastem gościnnym i współodpowiedzialnym 🤝.";
        let update = rewrite_clause(&full_state(&moderator), "c1", new_text, 2).unwrap();
        moderator
            .transact_mut()
            .apply_update(Update::decode_v1(&update).unwrap())
            .unwrap();
        assert_eq!(clause_text(&moderator, "c1").as_deref(), Some(new_text));
        let text = clauses(&moderator.transact()).remove(0).1;
        assert_eq!(
            attribution(&moderator, &text),
            vec![
                (1, "Kraków 🏛️ jest miastem ".to_owned()),
                (2, "gościnnym i współodpowiedzialnym 🤝".to_owned()),
                (1, ".".to_owned()),
            ]
        );
        assert!(rewrite_clause(&full_state(&moderator), "nope", "x", 3).is_none());
    }
}

/// The items that sit directly in the draft's list of clauses: the clause
/// maps, and anything else a client put there.
///
/// The Yjs library reads a string item in a list one character at a time
/// while counting it in UTF-16 units: with a character outside the Basic
/// Multilingual Plane (an emoji) in such an item, reading the list never
/// ends. Yjs clients never put text there; a hostile one could, and the
/// server reads that list on every change. So every update is checked
/// first: which of its items land in the list (following left and right
/// origins from the items known to be there), and none of those may be
/// text.
#[derive(Debug, Default)]
pub struct ListItems {
    /// Per client, the clock ranges `[start, end)` of items in the list.
    ranges: HashMap<u64, Vec<(u64, u64)>>,
}

impl ListItems {
    /// The items in the list of the draft `doc` (trusted: it was checked
    /// when it came in).
    pub fn scan(doc: &Doc) -> ListItems {
        let state = doc
            .transact()
            .encode_state_as_update_v1(&yrs::StateVector::default());
        let mut items = ListItems::default();
        let blocks = crate::room::wire::blocks_v1(&state).unwrap_or_default();
        let _ = items.admit(&blocks, false);
        items
    }

    fn contains(&self, (client, clock): crate::room::wire::Id) -> bool {
        self.ranges
            .get(&client)
            .is_some_and(|r| r.iter().any(|(s, e)| *s <= clock && clock < *e))
    }

    fn add(&mut self, (client, clock): crate::room::wire::Id, len: u64) {
        self.ranges
            .entry(client)
            .or_default()
            .push((clock, clock + len));
    }

    /// Finds the update's `blocks` that land in the list and adds them;
    /// with `strict`, refuses (adding nothing) if any of them is text.
    pub fn admit(
        &mut self,
        blocks: &[crate::room::wire::Block],
        strict: bool,
    ) -> Result<(), String> {
        use crate::room::wire::Place;
        let mut inside = vec![false; blocks.len()];
        let mut new = ListItems::default();
        loop {
            let mut grew = false;
            for (i, b) in blocks.iter().enumerate() {
                if inside[i] {
                    continue;
                }
                let here = match &b.place {
                    Place::Root(name) => name == CLAUSES,
                    Place::After(o) | Place::Before(o) => self.contains(*o) || new.contains(*o),
                    Place::In(_) | Place::Nowhere => false,
                };
                if here {
                    inside[i] = true;
                    new.add(b.id, b.len);
                    grew = true;
                }
            }
            if !grew {
                break;
            }
        }
        if strict && let Some(b) = blocks.iter().zip(&inside).find(|(b, i)| **i && b.kind == 4) {
            return Err(format!(
                "text put directly into the list of clauses (item {}:{})",
                b.0.id.0, b.0.id.1
            ));
        }
        for (client, ranges) in new.ranges {
            self.ranges.entry(client).or_default().extend(ranges);
        }
        Ok(())
    }
}
