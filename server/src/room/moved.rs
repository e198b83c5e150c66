//! Moving a clause, as Yjs documents allow it, and what the server must
//! remember after.
//!
//! Yjs has no move: a clause's map is deleted and a copy inserted where it
//! goes. A copy a client makes would be all the mover's characters, so the
//! server makes it: each run of the clause's text is written again by a
//! client ID bound to that run's author ([`copy_clause`]). The old text is
//! then a deleted type, and an editor who types into it before it hears of
//! the move would type into nothing: what it inserts is integrated, deleted
//! with its parent, and never shown. So the server remembers which
//! character of each old text became which character of its copy
//! ([`MovedTexts`]) and carries such edits over into the copy
//! ([`MovedTexts::carry`]). No I/O here: the command and the store are in
//! `clause_move`.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use yrs::branch::BranchID;
use yrs::types::text::{ChangeKind, YChange};
use yrs::updates::decoder::Decode;
use yrs::{
    Any, Array, ArrayRef, ClientID, Doc, ID, IdSet, Map, MapPrelim, MapRef, Out, ReadTxn, Snapshot,
    Text, TextPrelim, TextRef, Transact, TransactionMut, Update,
};

use crate::room::draft::{CLAUSES, utf16_len};
use crate::room::ydoc;

/// An item ID as stored: `[client, clock]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct At(pub u64, pub u32);

impl At {
    fn of(id: ID) -> At {
        At(id.client.get(), id.clock)
    }

    fn plus(self, n: u32) -> At {
        At(self.0, self.1 + n)
    }
}

/// A run of characters of an old text and where its copy is. Clocks of
/// text count UTF-16 code units, so a run is a range of units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Copied {
    /// First unit of the run in the old text.
    pub from: At,
    /// Its length in units.
    pub len: u32,
    /// The old text (the ID of the item that holds it).
    pub from_text: At,
    /// First unit of the copy.
    pub to: At,
    /// The text that holds the copy.
    pub to_text: At,
}

/// What one write adds to [`MovedTexts`]: stored with the update that made
/// it, so a room loaded again remembers as much.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveRecord {
    /// `(old text, new text)` of each clause moved.
    pub texts: Vec<(At, At)>,
    /// Runs copied.
    pub copied: Vec<Copied>,
}

/// Which texts of the draft were replaced by a copy, and which character
/// became which. It only grows; it is small (a few entries per run of
/// characters moved), so it is kept for good.
#[derive(Debug, Default, Clone)]
pub struct MovedTexts {
    /// Old text → the text that replaced it.
    texts: HashMap<At, At>,
    /// Copied runs by their first unit in the old text.
    copies: BTreeMap<At, Copied>,
}

/// One character of a text, deleted or not.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Char {
    /// The ID of its first UTF-16 unit.
    pub id: At,
    /// The character.
    pub ch: char,
    /// Whether it is deleted.
    pub deleted: bool,
}

impl Char {
    fn units(&self) -> u32 {
        self.ch.len_utf16() as u32
    }

    fn holds(&self, unit: At) -> bool {
        unit.0 == self.id.0 && (self.id.1..self.id.1 + self.units()).contains(&unit.1)
    }
}

/// Every character a text ever held, deleted or not (the server keeps
/// deleted items), in order, by the document's deletions `deleted`.
pub(crate) fn chars(txn: &mut TransactionMut, text: &TextRef, deleted: &IdSet) -> Vec<Char> {
    let every = Snapshot::new(txn.state_vector(), IdSet::new());
    let chunks = text.diff_range(
        txn,
        Some(&every),
        Some(&Snapshot::default()),
        YChange::identity,
    );
    let mut out = Vec::new();
    for chunk in chunks {
        // Compared with nothing, every item is one chunk, "added" with its ID.
        let (Out::Any(Any::String(s)), Some(change)) = (&chunk.insert, &chunk.ychange) else {
            continue;
        };
        if change.kind != ChangeKind::Added {
            continue;
        }
        let mut id = At::of(change.id);
        for ch in s.chars() {
            let yid = ID::new(ClientID::new(id.0), id.1);
            out.push(Char {
                id,
                ch,
                deleted: deleted.contains(&yid),
            });
            id = id.plus(ch.len_utf16() as u32);
        }
    }
    out
}

/// The ID of the item holding a nested type.
pub(crate) fn text_id(text: &TextRef) -> Option<At> {
    match <TextRef as AsRef<yrs::branch::Branch>>::as_ref(text).id() {
        BranchID::Nested(id) => Some(At::of(id)),
        BranchID::Root(_) => None,
    }
}

/// The text held by the item `id`, if it is one.
pub(crate) fn text_at<T: ReadTxn>(txn: &T, id: At) -> Option<TextRef> {
    let branch = BranchID::get_nested(txn, &ID::new(ClientID::new(id.0), id.1))?;
    (*branch.type_ref() == yrs::types::TypeRef::Text).then(|| TextRef::from(branch))
}

/// A document for the server to write in as `client`, holding `state`.
fn scratch(client: u64, state: &[u8]) -> Option<Doc> {
    ydoc::holding(Some(client), state)
}

/// Visible UTF-16 units of `text` up to and including the character that
/// holds `anchor` (up to it, if it is deleted): where to insert after it.
fn index_after(text: &[Char], anchor: Option<At>) -> u32 {
    let Some(anchor) = anchor else { return 0 };
    let mut index = 0;
    for c in text {
        let visible = if c.deleted { 0 } else { c.units() };
        if c.holds(anchor) {
            return index + visible;
        }
        index += visible;
    }
    // Not found (it cannot be, for a character the server wrote): the end.
    index
}

/// Runs of consecutive characters whose IDs follow each other, each copied
/// from `base` onward in the copy: the [`Copied`] entries of one write.
fn copied_runs(chars: &[Char], from_text: At, base: At, to_text: At) -> Vec<Copied> {
    let mut out: Vec<Copied> = Vec::new();
    let mut to = base;
    for c in chars {
        let units = c.units();
        match out.last_mut() {
            Some(last) if last.from.plus(last.len) == c.id && last.to.plus(last.len) == to => {
                last.len += units;
            }
            _ => out.push(Copied {
                from: c.id,
                len: units,
                from_text,
                to,
                to_text,
            }),
        }
        to = to.plus(units);
    }
    out
}

/// A clause moved: the update that does it and what it copied.
#[derive(Debug)]
pub(crate) struct Moved {
    /// The update: the old map deleted, the copy inserted and filled.
    pub update: Vec<u8>,
    /// What to remember.
    pub record: MoveRecord,
}

/// Moves the clause at `from` in the list of clauses of `state` to `to`
/// (its index once moved): deletes its map and inserts at `to` a map with
/// the same plain entries and a new text. The map and its entries are
/// written by `mover`; the text's characters in `runs` (the old text's
/// visible characters, in order, each run with the client that writes it)
/// are written run by run by their clients, so each keeps its author.
/// Every client writes in a document of its own; the updates are merged
/// into one.
pub(crate) fn copy_clause(
    state: &[u8],
    from: u32,
    to: u32,
    mover: u64,
    runs: &[(u64, Vec<Char>)],
) -> Option<Moved> {
    let first = scratch(mover, state)?;
    let (from_text, to_text, structure) = {
        let mut txn = first.transact_mut();
        let list: ArrayRef = txn.get_array(CLAUSES)?;
        let old: MapRef = list.get(&txn, from)?.cast().ok()?;
        let old_text: TextRef = old.get(&txn, "text")?.cast().ok()?;
        let entries: Vec<(String, Any)> = old
            .iter(&txn)
            .filter_map(|(key, value)| match value {
                Out::Any(any) if key != "text" => Some((key.to_owned(), any)),
                _ => None,
            })
            .collect();
        list.remove(&mut txn, from);
        let map = list.insert(&mut txn, to, MapPrelim::default());
        for (key, value) in entries {
            map.insert(&mut txn, key, value);
        }
        let text = map.insert(&mut txn, "text", TextPrelim::new(""));
        (text_id(&old_text)?, text_id(&text)?, txn.encode_update_v1())
    };
    let mut updates = vec![structure];
    // Each writer's document and how many of `updates` it holds.
    let mut writers: HashMap<u64, (Doc, usize)> = HashMap::from([(mover, (first, 1))]);
    let mut record = MoveRecord {
        texts: vec![(from_text, to_text)],
        copied: Vec::new(),
    };
    let mut index = 0;
    for (client, chars) in runs {
        if chars.is_empty() {
            continue;
        }
        if !writers.contains_key(client) {
            writers.insert(*client, (scratch(*client, state)?, 0));
        }
        let (doc, held) = writers.get_mut(client).expect("just added");
        for update in &updates[*held..] {
            doc.transact_mut()
                .apply_update(Update::decode_v1(update).ok()?)
                .ok()?;
        }
        let mut txn = doc.transact_mut();
        let text = text_at(&txn, to_text)?;
        let run: String = chars.iter().map(|c| c.ch).collect();
        let base = At(*client, txn.state_vector().get(&ClientID::new(*client)));
        text.insert(&mut txn, index, &run);
        index += utf16_len(&run);
        record
            .copied
            .extend(copied_runs(chars, from_text, base, to_text));
        updates.push(txn.encode_update_v1());
        *held = updates.len();
    }
    let update = yrs::merge_updates_v1(&updates).ok()?;
    Some(Moved { update, record })
}

/// What carrying edits over writes.
#[derive(Debug)]
pub struct Carried {
    /// The update, written by the client [`MovedTexts::carry`] was given.
    pub update: Vec<u8>,
    /// What to remember: the carried characters' copies.
    pub record: MoveRecord,
}

impl MovedTexts {
    /// Whether nothing was ever moved (then nothing needs carrying).
    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// Remembers what one write moved or carried.
    pub fn add(&mut self, record: &MoveRecord) {
        for (old, new) in &record.texts {
            self.texts.insert(*old, *new);
        }
        for c in &record.copied {
            self.copies.insert(c.from, *c);
        }
    }

    /// The copy of the unit `unit`, and the text holding it.
    fn copy_of(&self, unit: At) -> Option<(At, At)> {
        let (_, c) = self.copies.range(..=unit).next_back()?;
        (c.from.0 == unit.0 && unit.1 < c.from.1 + c.len)
            .then(|| (c.to.plus(unit.1 - c.from.1), c.to_text))
    }

    /// Where a unit of an old text is now: its copy's copy and so on, as
    /// long as each was there to copy; None if it was deleted before.
    fn current(&self, unit: At) -> Option<(At, At)> {
        let (mut unit, mut text) = self.copy_of(unit)?;
        while self.texts.contains_key(&text) {
            (unit, text) = self.copy_of(unit)?;
        }
        Some((unit, text))
    }

    /// Units of old texts that `deleted` deletes and whose copies are
    /// still to be deleted: units copied when their text was moved, from a
    /// sender that had not seen the move. A sender that has seen it sends
    /// the old text deleted (its sync step 2 carries every deletion it
    /// knows of, the move's too), and its deletions there are not carried.
    pub fn deleted_units(&self, deleted: &IdSet) -> Vec<At> {
        let mut out = Vec::new();
        if self.is_empty() || deleted.is_empty() {
            return out;
        }
        let seen_move = |text: At| deleted.contains(&ID::new(ClientID::new(text.0), text.1));
        for (client, ranges) in deleted.iter() {
            let client = client.get();
            for range in ranges.iter() {
                // The run holding the range's start, then those after it.
                let start = At(client, range.start);
                let first = self
                    .copies
                    .range(..=start)
                    .next_back()
                    .map(|(k, _)| *k)
                    .filter(|k| k.0 == client)
                    .unwrap_or(start);
                for (_, c) in self.copies.range(first..At(client, range.end)) {
                    if c.from.0 != client || seen_move(c.from_text) {
                        continue;
                    }
                    let lo = c.from.1.max(range.start);
                    let hi = (c.from.1 + c.len).min(range.end);
                    out.extend((lo..hi).map(|clock| At(client, clock)));
                }
            }
        }
        out
    }

    /// Where to put what was typed into the old `text` right after the
    /// character `left` (or at its start): the text that holds the clause's
    /// words now and the character to insert after there. A character that
    /// was deleted before the move has no copy: the nearest one before it
    /// that has stands for it.
    fn place(
        &self,
        txn: &mut TransactionMut,
        deleted: &IdSet,
        text: At,
        left: Option<At>,
    ) -> Option<(At, Option<At>)> {
        let (mut text, mut left) = (text, left);
        while let Some(&next) = self.texts.get(&text) {
            let Some(unit) = left else {
                text = next;
                continue;
            };
            let old = text_at(txn, text)?;
            let all = chars(txn, &old, deleted);
            let at = all.iter().position(|c| c.holds(unit))?;
            match all[..=at].iter().rev().find_map(|c| self.copy_of(c.id)) {
                Some((copy, holder)) => (text, left) = (holder, Some(copy)),
                None => (text, left) = (next, None),
            }
        }
        Some((text, left))
    }

    /// Carries over, as `client` in a document holding `state`, what an
    /// update did to old texts: the characters it inserted there
    /// (`racing`: inserted and at once deleted with their text) into the
    /// text that holds the clause now, each where it was typed; and the
    /// deletions of copied characters (`deleted`, from
    /// [`MovedTexts::deleted_units`]). None if there is nothing to carry.
    pub fn carry(
        &self,
        state: &[u8],
        client: u64,
        racing: &IdSet,
        deleted: &[At],
    ) -> Option<Carried> {
        let doc = scratch(client, state)?;
        let mut txn = doc.transact_mut();
        let gone = txn.snapshot().delete_set;
        let mut known = self.clone();
        let mut record = MoveRecord::default();
        let is_racing = |c: &Char| racing.contains(&ID::new(ClientID::new(c.id.0), c.id.1));
        let mut olds: Vec<At> = self.texts.keys().copied().collect();
        olds.sort();
        for old in olds {
            if racing.is_empty() {
                break;
            }
            let Some(old_ref) = text_at(&txn, old) else {
                continue;
            };
            let all = chars(&mut txn, &old_ref, &gone);
            let mut i = 0;
            while i < all.len() {
                if !is_racing(&all[i]) {
                    i += 1;
                    continue;
                }
                let start = i;
                while i < all.len() && is_racing(&all[i]) {
                    i += 1;
                }
                let typed = &all[start..i];
                let left = start.checked_sub(1).map(|k| all[k].id);
                let Some((now, anchor)) = known.place(&mut txn, &gone, old, left) else {
                    continue;
                };
                let Some(target) = text_at(&txn, now) else {
                    continue;
                };
                let index = index_after(&chars(&mut txn, &target, &gone), anchor);
                let words: String = typed.iter().map(|c| c.ch).collect();
                let base = At(client, txn.state_vector().get(&ClientID::new(client)));
                target.insert(&mut txn, index, &words);
                let step = MoveRecord {
                    texts: Vec::new(),
                    copied: copied_runs(typed, old, base, now),
                };
                known.add(&step);
                record.copied.extend(step.copied);
            }
        }
        // Deletions: each copied unit's current copy, by the text holding it.
        let mut doomed: HashMap<At, HashSet<At>> = HashMap::new();
        for unit in deleted {
            if let Some((copy, text)) = known.current(*unit) {
                doomed.entry(text).or_default().insert(copy);
            }
        }
        for (text, units) in doomed {
            let Some(target) = text_at(&txn, text) else {
                continue;
            };
            let mut ranges: Vec<(u32, u32)> = Vec::new();
            let mut index = 0;
            for c in chars(&mut txn, &target, &gone) {
                if c.deleted {
                    continue;
                }
                for k in 0..c.units() {
                    if units.contains(&c.id.plus(k)) {
                        match ranges.last_mut() {
                            Some((s, n)) if *s + *n == index + k => *n += 1,
                            _ => ranges.push((index + k, 1)),
                        }
                    }
                }
                index += c.units();
            }
            for (start, len) in ranges.into_iter().rev() {
                target.remove_range(&mut txn, start, len);
            }
        }
        if txn.before_state() == txn.after_state() && txn.delete_set().is_empty() {
            return None;
        }
        Some(Carried {
            update: txn.encode_update_v1(),
            record,
        })
    }
}

#[cfg(test)]
mod tests;
