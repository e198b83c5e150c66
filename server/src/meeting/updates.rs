//! Taking a member's update into a room: checked against their rights,
//! applied, its new client IDs bound to them, persisted and then relayed;
//! and, after an update that raced a clause move, its edits carried over
//! into the text that holds the clause now.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use draftroom_shared::{Role, RoomName};
use uuid::Uuid;
use yrs::updates::decoder::Decode;
use yrs::{IdSet, StateVector, Update};

use crate::meeting::live::Meeting;
use crate::meeting::live_room::{ExtraWrite, Journal, LiveRoom, Origin, Write};
use crate::meeting::rights;
use crate::meeting::shown;
use crate::meeting::state::MeetingState;
use crate::room::{Author, Denied, Outcome, Refusal, RoomDoc};
use crate::store;

/// What became of an update, for the connection that sent it.
#[derive(Debug)]
pub enum Received {
    /// Nothing new.
    Noop,
    /// Applied; relayed once durable.
    Applied,
    /// Refused (or partly refused): answer with permission denied.
    Refused(Refusal),
}

impl Meeting {
    /// Takes an update from `user`'s connection `origin` into `room`.
    pub fn receive_update(
        &self,
        room: &Arc<LiveRoom>,
        user: Uuid,
        origin: u64,
        bytes: &[u8],
    ) -> Received {
        let mut doc = room.doc();
        let result = if room.name == RoomName::Meeting {
            // Nobody writes it; not locking the state keeps this room out
            // of the lock order (state, then `meeting` room).
            let author = Author {
                user,
                may_write: Err(Denied::ServerOnly),
            };
            doc.apply(bytes, &author, &HashMap::new())
        } else {
            // Rights are read under the document's lock, so a freeze (which
            // takes it too) and a write cannot interleave.
            let mut st = self.state();
            // Nothing is applied that could not be made durable: while the
            // store fails (or this room failed to store a change and must
            // reload), writes are refused without blame.
            let storing = self.store().writable() && !room.failed.load(Ordering::SeqCst);
            let author = Author {
                user,
                may_write: rights::may_write(&st, user, room.name).and(if storing {
                    Ok(())
                } else {
                    Err(Denied::Unavailable)
                }),
            };
            let result = doc.apply(bytes, &author, &st.bindings);
            if let Ok(Outcome::Applied(a) | Outcome::Partial(a, _)) = &result {
                self.bind_clients(&mut st, &a.new_bindings, user);
            }
            result
        };
        let write = || Write {
            origin: Origin::Connection(origin),
            journal: Some(Journal::of(user)),
            extra: None,
        };
        match result {
            Ok(Outcome::Noop) => {
                self.carry_moved(room, &mut doc, user, bytes, None);
                Received::Noop
            }
            Ok(Outcome::Applied(a)) => {
                room.persist(self.store(), &mut doc, &a, write());
                self.carry_moved(room, &mut doc, user, bytes, Some(&a.update));
                Received::Applied
            }
            Ok(Outcome::Partial(a, refusal)) => {
                room.persist(self.store(), &mut doc, &a, write());
                self.carry_moved(room, &mut doc, user, bytes, Some(&a.update));
                Received::Refused(refusal)
            }
            Err((refusal, taint)) => {
                for client in doc.refuse_clients(taint) {
                    let key = room.key.clone();
                    self.store().submit(
                        move |c| store::insert_refused_client(c, &key, client),
                        |res| {
                            if let Err(e) = res {
                                tracing::error!(error = %e, "could not record a refused client");
                            }
                        },
                    );
                }
                Received::Refused(refusal)
            }
        }
    }

    /// Binds new client IDs to `user`: stored, and shown in the `meeting`
    /// room unless `user` is an observer (the audience is a count there).
    pub fn bind_clients(&self, st: &mut MeetingState, clients: &[u64], user: Uuid) {
        let shown = st
            .members
            .get(&user)
            .is_none_or(|m| m.role != Role::Observer);
        for &client in clients {
            st.bindings.insert(client, user);
            let id = self.id;
            self.store().submit(
                move |c| store::insert_binding(c, id, client, user),
                |res| {
                    if let Err(e) = res {
                        tracing::error!(error = %e, "could not store a client binding");
                    }
                },
            );
            if shown {
                self.server_write(|txn| shown::show_binding(txn, client, user));
            }
        }
    }

    /// After an update of `user` was taken into the draft (`applied`: as
    /// integrated, None if it changed nothing): carries what it typed or
    /// deleted in the old text of a moved clause over into the text that
    /// holds that clause now, written by a fresh client ID bound to `user`,
    /// journaled as theirs and relayed right after it.
    pub(crate) fn carry_moved(
        &self,
        room: &Arc<LiveRoom>,
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
        if rights::may_write(&st, user, room.name).is_err() || !storing {
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
        let client = st.fresh_client(doc);
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
        let write = Write {
            journal: Some(Journal::of(user)),
            extra,
            ..Write::default()
        };
        room.persist(self.store(), doc, &applied, write);
        tracing::info!(room = %room.key, %user, "an edit that raced a clause move was carried over");
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
