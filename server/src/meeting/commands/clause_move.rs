//! The clause move command.
//!
//! `POST /api/meetings/{id}/clauses/{clause_id}/move` moves a clause of the
//! draft as one update, made by the server (see [`crate::room::moved`]) so
//! that every character keeps its author, applied, journaled and relayed
//! like any other. Edits that raced the move are carried over into the
//! clause's new text when they arrive (see `crate::meeting::updates`).

use std::collections::HashMap;
use std::sync::Arc;

use draftroom_shared::RoomName;
use uuid::Uuid;
use yrs::{Array, ArrayRef, Map, MapRef, Out, ReadTxn, StateVector, Transact};

use crate::clock::now_ms;
use crate::meeting::rights::{self, Command};
use crate::meeting::{ExtraWrite, Meeting, MeetingError, MeetingState, Member, NOBODY, Write};
use crate::room::draft::{self, CLAUSES};
use crate::room::moved::{self, Char};
use crate::room::{Author, Denied, Outcome, RoomDoc};
use crate::store::{self, JournalEntry};

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
        let client = st.fresh_client(doc);
        if !taken.contains(&client) {
            return client;
        }
    }
}

impl Meeting {
    /// Moves the clause `clause_id` to index `to` of the list of clauses;
    /// answers the clauses' ids in their new order.
    pub async fn move_clause(
        self: &Arc<Self>,
        by: &Member,
        clause_id: &str,
        to: u32,
    ) -> Result<Vec<String>, MeetingError> {
        self.store().check_writable()?;
        let _serial = self.admit(by.role, Command::MoveClause).await?;
        let draft = self.hold_draft().await?;
        let (seq, order) = {
            let mut doc = draft.room.doc();
            let mut st = self.state();
            match rights::may_write(&st, by.id, RoomName::Draft) {
                Ok(()) => {}
                Err(Denied::Frozen) => {
                    return Err(MeetingError::conflict(
                        "the draft is frozen; reopen it to move clauses",
                    ));
                }
                Err(_) => {
                    return Err(MeetingError::forbidden(
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
            let from =
                from.ok_or_else(|| MeetingError::not_found("no such clause in the draft"))?;
            if to >= len {
                return Err(MeetingError::invalid(format!(
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
            let mover = st.fresh_client(&doc);
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
                MeetingError::damaged("the clause could not be moved; nothing was changed")
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
                    return Err(MeetingError::damaged(
                        "the clause could not be moved; nothing was changed",
                    ));
                }
            };
            for (author, client) in &writers {
                self.bind_clients(&mut st, &[*client], author.unwrap_or(NOBODY));
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
            let (meeting_id, key, seq) = (self.id, draft.room.key.clone(), applied.seq);
            let extra: ExtraWrite = Box::new(move |c| {
                store::append_journal(c, meeting_id, &entry)?;
                store::append_moved_texts(c, &key, seq, &record)
            });
            // The journal line is the move's own: the update deletes and
            // inserts the whole clause, which is not what anyone wrote.
            let write = Write {
                extra: Some(extra),
                ..Write::default()
            };
            draft.room.persist(self.store(), &mut doc, &applied, write);
            let txn = doc.doc().transact();
            let order = draft::clauses(&txn).into_iter().map(|(id, _)| id).collect();
            (applied.seq, order)
        };
        draft
            .room
            .wait_durable(seq)
            .await
            .map_err(|()| MeetingError::NotStored)?;
        tracing::info!(meeting = %self.id, clause = clause_id, to, "clause moved");
        Ok(order)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meeting::registry::Hub;
    use crate::meeting::{LiveRoom, RoomSizes};
    use crate::room::Refusal;
    use crate::store::Store;
    use std::time::Duration;
    use yrs::updates::decoder::Decode;
    use yrs::{MapPrelim, Text, TextPrelim, Update, WriteTxn};

    /// Writes a clause into the draft as the server's own document client,
    /// which no member is bound to: its characters are nobody's.
    fn nobodys_clause(draft: &Arc<LiveRoom>, store: &Store, id: &str, text: &str) {
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
        draft.persist(store, &mut doc, &applied, crate::meeting::Write::default());
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
            .create_meeting("Misja", "Anna", draftroom_shared::Language::Pl, false)
            .await
            .unwrap();
        let (meeting, anna) = hub
            .authenticate(created.id, Some(&created.moderator_token))
            .await
            .unwrap();
        let draft = meeting.hold_room(RoomName::Draft).await.unwrap();
        nobodys_clause(&draft.room, &store, "a", "Pierwszy — czyj? 🤷🏽");
        nobodys_clause(&draft.room, &store, "b", "Drugi");
        let before = meeting.clause_authors("a").await.unwrap();
        assert_eq!(before["spans"][0]["user_id"], serde_json::Value::Null);
        assert_eq!(before["spans"][0]["name"], "unknown");

        let order = meeting.move_clause(&anna, "a", 1).await.unwrap();
        assert_eq!(order, ["b", "a"]);
        assert_eq!(meeting.clause_authors("a").await.unwrap(), before);

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
        let forger = crate::room::ydoc::build(Some(copier), crate::room::ydoc::Garbage::Collected);
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
