//! The clause move command, and the carrying over of edits that raced it.
//!
//! `POST /api/meetings/{id}/clauses/{clause_id}/move` moves a clause of the
//! draft as one update, made by the server (see [`crate::room::moved`]) so
//! that every character keeps its author, applied, journaled and relayed
//! like any other. An editor who had not heard of the move when it typed
//! into the clause sends edits that land in the old, deleted text: after
//! such an update is taken, [`Meeting::carry_moved`] writes the same edits
//! into the text that holds the clause now, as that editor's.

use std::collections::HashMap;
use std::sync::Arc;

use draftroom_shared::{ErrorCode, RoomName};
use uuid::Uuid;
use yrs::updates::decoder::Decode;
use yrs::{Array, ArrayRef, IdSet, Map, MapRef, Out, ReadTxn, StateVector, Transact, Update};

use crate::clock::now_ms;
use crate::http::error::AppError;
use crate::meeting::commands::amendments::{fresh_client, open_error, stored_failure};
use crate::meeting::registry::Hub;
use crate::meeting::{ExtraWrite, Journal, Meeting, MeetingState, Member, Room};
use crate::room::draft::{self, CLAUSES};
use crate::room::moved::{self, Char, MoveRecord};
use crate::room::{Author, Denied, Outcome, RoomDoc};
use crate::store::{self, JournalEntry};

/// The member a character is credited to when its client ID is bound to
/// nobody. The copy of such a character is written by a client ID bound to
/// this id, which names no member, so it stays "unknown" (see
/// `records::spans`) and no client can claim its ID by writing with it
/// first.
pub const NOBODY: Uuid = Uuid::nil();

/// Adds what the store remembers of moved clauses to a room just loaded.
pub fn remember(doc: &mut RoomDoc, records: &[String]) {
    for data in records {
        match serde_json::from_str::<MoveRecord>(data) {
            Ok(record) => doc.moved_mut().add(&record),
            Err(e) => tracing::error!(error = %e, "a stored clause move does not parse"),
        }
    }
}

/// The index in the list of clauses of the clause `id`, and the list's
/// length.
fn position<T: ReadTxn>(txn: &T, list: &ArrayRef, id: &str) -> (Option<u32>, u32) {
    let mut found = None;
    let mut len = 0;
    for (i, entry) in list.iter(txn).enumerate() {
        len += 1;
        if found.is_some() {
            continue;
        }
        let Ok(map) = entry.cast::<MapRef>() else {
            continue;
        };
        if matches!(map.get(txn, "id"), Some(Out::Any(yrs::Any::String(s))) if &*s == id) {
            found = Some(i as u32);
        }
    }
    (found, len)
}

/// The visible characters of the clause at `index`, in runs of one author
/// (None: a client ID bound to nobody).
fn author_runs(doc: &RoomDoc, st: &MeetingState, index: u32) -> Vec<(Option<Uuid>, Vec<Char>)> {
    let mut txn = doc.doc().transact_mut();
    let text = txn
        .get_array(CLAUSES)
        .and_then(|list| list.get(&txn, index))
        .and_then(|entry| entry.cast::<MapRef>().ok())
        .and_then(|map| map.get(&txn, "text"))
        .and_then(|text| text.cast::<yrs::TextRef>().ok());
    let Some(text) = text else {
        return Vec::new();
    };
    let gone = txn.snapshot().delete_set;
    let mut runs: Vec<(Option<Uuid>, Vec<Char>)> = Vec::new();
    for c in moved::chars(&mut txn, &text, &gone) {
        if c.deleted {
            continue;
        }
        let author = st.bindings.get(&c.id.0).copied();
        match runs.last_mut() {
            Some((a, chars)) if *a == author => chars.push(c),
            _ => runs.push((author, vec![c])),
        }
    }
    runs
}

/// A client ID for the server to write with that is none of `taken`.
fn another_fresh_client(st: &MeetingState, doc: &RoomDoc, taken: &[u64]) -> u64 {
    loop {
        let client = fresh_client(st, doc);
        if !taken.contains(&client) {
            return client;
        }
    }
}

impl Hub {
    /// Moves the clause `clause_id` to index `to` of the list of clauses;
    /// answers the clauses' ids in their new order.
    pub async fn move_clause(
        &self,
        meeting: &Arc<Meeting>,
        by: &Member,
        clause_id: &str,
        to: u32,
    ) -> Result<Vec<String>, AppError> {
        self.store().check_writable()?;
        if !by.role.writes_draft() {
            return Err(AppError::forbidden(
                "only the moderator and editors write the draft, and so move its clauses",
            ));
        }
        let _serial = meeting.commands.lock().await;
        let draft = meeting
            .hold_room(RoomName::Draft)
            .await
            .map_err(|e| open_error(e, "room"))?;
        let (seq, order) = {
            let mut doc = draft.room.doc();
            let mut st = meeting.state();
            match Meeting::may_write(&st, by.id, RoomName::Draft) {
                Ok(()) => {}
                Err(Denied::Frozen) => {
                    return Err(AppError::conflict(
                        "the draft is frozen; reopen it to move clauses",
                    ));
                }
                Err(_) => {
                    return Err(AppError::forbidden(
                        "only the moderator and editors write the draft, and so move its clauses",
                    ));
                }
            }
            let (from, len) = {
                let txn = doc.doc().transact();
                match txn.get_array(CLAUSES) {
                    Some(list) => position(&txn, &list, clause_id),
                    None => (None, 0),
                }
            };
            let from = from.ok_or_else(|| AppError::not_found("no such clause in the draft"))?;
            if to >= len {
                return Err(AppError::bad_request(format!(
                    "to must be an index of the list of clauses, 0 to {}",
                    len - 1
                )));
            }
            if from == to {
                let txn = doc.doc().transact();
                let order = draft::clauses(&txn).into_iter().map(|(id, _)| id).collect();
                return Ok(order);
            }
            // One client for the mover (the map, its entries and the
            // mover's own words), one per other author of the clause.
            let mover = fresh_client(&st, &doc);
            let mut writers: Vec<(Option<Uuid>, u64)> = vec![(Some(by.id), mover)];
            let mut runs = Vec::new();
            for (author, chars) in author_runs(&doc, &st, from) {
                let client = match writers.iter().find(|(a, _)| *a == author) {
                    Some((_, client)) => *client,
                    None => {
                        let taken: Vec<u64> = writers.iter().map(|(_, c)| *c).collect();
                        let client = another_fresh_client(&st, &doc, &taken);
                        writers.push((author, client));
                        client
                    }
                };
                runs.push((client, chars));
            }
            let state = doc.diff(&StateVector::default());
            let moved = moved::copy_clause(&state, from, to, mover, &runs).ok_or_else(|| {
                AppError::new(
                    ErrorCode::Internal,
                    "the clause could not be moved; nothing was changed",
                )
            })?;
            // The room checks the server's update like any other. Its
            // clients are about to be bound, each to whom it writes for;
            // told they are the mover's, the room binds none of them itself.
            let own: HashMap<u64, Uuid> = writers.iter().map(|(_, c)| (*c, by.id)).collect();
            let author = Author {
                user: by.id,
                may_write: Ok(()),
            };
            let applied = match doc.apply(&moved.update, &author, &own) {
                Ok(Outcome::Applied(applied)) => applied,
                other => {
                    tracing::error!(outcome = ?other.map(|_| ()), "the server's own clause move was refused");
                    return Err(AppError::new(
                        ErrorCode::Internal,
                        "the clause could not be moved; nothing was changed",
                    ));
                }
            };
            for (author, client) in &writers {
                meeting.bind_clients(&mut st, &[*client], author.unwrap_or(NOBODY));
            }
            doc.moved_mut().add(&moved.record);
            let entry = JournalEntry {
                room: RoomName::Draft.to_string(),
                seq: applied.seq,
                time: now_ms(),
                user_id: by.id,
                clause_id: Some(clause_id.to_owned()),
                inserted: 0,
                deleted: 0,
                accepted_by: None,
                amendment_id: None,
                moved: Some((from, to)),
            };
            let record = serde_json::to_string(&moved.record).expect("serialisable");
            let (meeting_id, key, seq) = (meeting.id, draft.room.key.clone(), applied.seq);
            let extra: ExtraWrite = Box::new(move |c| {
                store::append_journal(c, meeting_id, &entry)?;
                store::append_moved_texts(c, &key, seq, &record)
            });
            // The journal line is the move's own: the update deletes and
            // inserts the whole clause, which is not what anyone wrote.
            draft
                .room
                .persist(meeting.store(), &applied, 0, &mut doc, None, Some(extra));
            let txn = doc.doc().transact();
            let order = draft::clauses(&txn).into_iter().map(|(id, _)| id).collect();
            (applied.seq, order)
        };
        draft
            .room
            .wait_durable(seq)
            .await
            .map_err(|()| stored_failure())?;
        tracing::info!(meeting = %meeting.id, clause = clause_id, to, "clause moved");
        Ok(order)
    }
}

/// Items an update inserted that were deleted at once, not by the update
/// itself: what landed in a deleted type. `applied` is the update as the
/// room integrated it, `sent` as its sender sent it.
fn landed_in_deleted(applied: &[u8], sent: &IdSet) -> IdSet {
    let Ok(applied) = Update::decode_v1(applied) else {
        return IdSet::new();
    };
    applied
        .insertions(true)
        .intersect(applied.delete_set())
        .diff(sent)
}

impl Meeting {
    /// After an update of `user` was taken into the draft (`applied`: as
    /// integrated, None if it changed nothing): carries what it typed or
    /// deleted in the old text of a moved clause over into the text that
    /// holds that clause now, written by a fresh client ID bound to `user`,
    /// journaled as theirs and relayed right after it.
    pub(crate) fn carry_moved(
        &self,
        room: &Arc<Room>,
        doc: &mut RoomDoc,
        user: Uuid,
        bytes: &[u8],
        applied: Option<&[u8]>,
    ) {
        if room.name != RoomName::Draft || doc.moved().is_empty() {
            return;
        }
        let Ok(sent) = Update::decode_v1(bytes) else {
            return;
        };
        let deleted = doc.moved().deleted_units(sent.delete_set());
        let racing = applied.map_or_else(IdSet::new, |a| landed_in_deleted(a, sent.delete_set()));
        if deleted.is_empty() && racing.is_empty() {
            return;
        }
        let mut st = self.state();
        let storing =
            self.store().writable() && !room.failed.load(std::sync::atomic::Ordering::SeqCst);
        if Self::may_write(&st, user, room.name).is_err() || !storing {
            return;
        }
        // Only the sender's own items: they are what the sender typed.
        let mut own = IdSet::new();
        for (client, ranges) in racing.iter() {
            if st.bindings.get(&client.get()) == Some(&user) {
                for r in ranges.iter() {
                    own.insert(yrs::ID::new(*client, r.start), r.end - r.start);
                }
            }
        }
        if deleted.is_empty() && own.is_empty() {
            return;
        }
        let client = fresh_client(&st, doc);
        let state = doc.diff(&StateVector::default());
        let Some(carried) = doc.moved().carry(&state, client, &own, &deleted) else {
            return;
        };
        let author = Author {
            user,
            may_write: Ok(()),
        };
        let applied = match doc.apply(&carried.update, &author, &st.bindings) {
            Ok(Outcome::Applied(applied)) => applied,
            Ok(Outcome::Noop) => return,
            other => {
                tracing::error!(outcome = ?other.map(|_| ()), "the server's carrying over of a raced edit was refused");
                return;
            }
        };
        self.bind_clients(&mut st, &applied.new_bindings, user);
        drop(st);
        doc.moved_mut().add(&carried.record);
        let extra: Option<ExtraWrite> = (!carried.record.copied.is_empty()).then(|| {
            let record = serde_json::to_string(&carried.record).expect("serialisable");
            let (key, seq) = (room.key.clone(), applied.seq);
            let write: ExtraWrite =
                Box::new(move |c| store::append_moved_texts(c, &key, seq, &record));
            write
        });
        let journal = Journal {
            user,
            accepted_by: None,
            amendment: None,
        };
        room.persist(self.store(), &applied, 0, doc, Some(journal), extra);
        tracing::info!(room = %room.key, %user, "an edit that raced a clause move was carried over");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meeting::RoomSizes;
    use crate::room::Refusal;
    use crate::store::Store;
    use std::time::Duration;
    use yrs::{MapPrelim, Text, TextPrelim, WriteTxn};

    /// Writes a clause into the draft as the server's own document client,
    /// which no member is bound to: its characters are nobody's.
    fn nobodys_clause(draft: &Arc<Room>, store: &Store, id: &str, text: &str) {
        let mut doc = draft.doc();
        let applied = doc
            .server_write(|txn| {
                let list = txn.get_or_insert_array(CLAUSES);
                let map = list.push_back(txn, MapPrelim::default());
                map.insert(txn, "id", id);
                let t = map.insert(txn, "text", TextPrelim::new(""));
                t.insert(txn, 0, text);
            })
            .expect("a change");
        draft.persist(store, &applied, 0, &mut doc, None, None);
    }

    #[tokio::test]
    async fn characters_of_nobody_stay_nobodys_and_nobody_can_claim_them() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _closer) = Store::open(dir.path()).unwrap();
        let hub = Hub::new(
            store.clone(),
            RoomSizes {
                backlog: 16,
                compact_every: 1000,
                idle: Duration::from_secs(30),
            },
        );
        let created = hub
            .create_meeting("Misja", "Anna", draftroom_shared::Language::Pl)
            .await
            .unwrap();
        let (meeting, anna) = hub
            .authenticate(created.id, Some(&created.moderator_token))
            .await
            .unwrap();
        let draft = meeting.hold_room(RoomName::Draft).await.unwrap();
        nobodys_clause(&draft.room, &store, "a", "Pierwszy — czyj? 🤷🏽");
        nobodys_clause(&draft.room, &store, "b", "Drugi");
        let before = hub.clause_authors(&meeting, "a").await.unwrap();
        assert_eq!(before["spans"][0]["user_id"], serde_json::Value::Null);
        assert_eq!(before["spans"][0]["name"], "unknown");

        let order = hub.move_clause(&meeting, &anna, "a", 1).await.unwrap();
        assert_eq!(order, ["b", "a"]);
        assert_eq!(hub.clause_authors(&meeting, "a").await.unwrap(), before);

        // The copy's writer is bound to NOBODY: a client writing with its
        // ID is somebody else, and refused.
        let copier = {
            let doc = draft.room.doc();
            let st = meeting.state();
            let text = draft::clauses(&doc.doc().transact()).remove(1).1;
            let mut txn = doc.doc().transact_mut();
            let gone = txn.snapshot().delete_set;
            let c = moved::chars(&mut txn, &text, &gone)
                .into_iter()
                .find(|c| !c.deleted)
                .unwrap();
            assert_eq!(st.bindings.get(&c.id.0), Some(&NOBODY));
            c.id.0
        };
        let forger = yrs::Doc::with_options(yrs::Options {
            client_id: yrs::ClientID::new(copier),
            offset_kind: yrs::OffsetKind::Utf16,
            ..Default::default()
        });
        let state = draft.room.doc().diff(&StateVector::default());
        forger
            .transact_mut()
            .apply_update(Update::decode_v1(&state).unwrap())
            .unwrap();
        let forged = {
            let text = draft::clauses(&forger.transact()).remove(1).1;
            let mut txn = forger.transact_mut();
            text.insert(&mut txn, 0, "Moje: ");
            txn.encode_update_v1()
        };
        let received = meeting.receive_update(&draft.room, anna.id, 1, &forged);
        assert!(
            matches!(
                received,
                crate::meeting::Received::Refused(Refusal::ForeignClient { .. })
            ),
            "{received:?}"
        );
    }
}
