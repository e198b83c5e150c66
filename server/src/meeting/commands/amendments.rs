//! The amendments' commands: open one for a clause, support it, accept it
//! (its wording written into the clause for its author) or reject it.
//! Each checks who asks and the meeting's state, is durable before it
//! answers, and shows its effect in the `meeting` room.

use std::sync::Arc;

use draftroom_shared::RoomName;
use uuid::Uuid;
use yrs::{StateVector, Text, WriteTxn};

use crate::clock::now_ms;
use crate::meeting::commands::clause_check::{Acceptance, parse_sha256};
use crate::meeting::rights::Command;
use crate::meeting::{
    Amendment, ExtraWrite, HeldRoom, Journal, LiveRoom, Meeting, MeetingError, MeetingState,
    Member, Status, Write,
};
use crate::room::draft;
use crate::room::{Author, Kind, Outcome, RoomDoc};
use crate::store::{self, AmendmentRecord};

/// What opening an amendment answers.
pub struct Opened {
    /// The amendment.
    pub amendment: Amendment,
    /// The wording it starts from: the clause's text.
    pub text: String,
}

impl Meeting {
    /// Opens an amendment for a clause; its room starts with the clause's
    /// current text.
    pub async fn open_amendment(
        self: &Arc<Self>,
        by: &Member,
        clause_id: &str,
    ) -> Result<Opened, MeetingError> {
        self.store().check_writable()?;
        let _serial = self.admit(by.role, Command::OpenAmendment).await?;
        let clause_id = clause_id.trim();
        if clause_id.is_empty() {
            return Err(MeetingError::invalid("clause_id must not be empty"));
        }
        let draft = self.hold_draft().await?;
        let text = draft::clause_text(draft.room.doc().doc(), clause_id)
            .ok_or_else(|| MeetingError::not_found("no such clause in the draft"))?;
        let amendment = Amendment {
            id: Uuid::new_v4(),
            clause_id: clause_id.to_owned(),
            author: by.id,
            status: Status::Open,
            supporters: Vec::new(),
            created_at: now_ms(),
            decided_at: None,
            decided_by: None,
            text: String::new(),
            base: Some(text.clone()),
        };
        let record = AmendmentRecord {
            id: amendment.id,
            clause_id: amendment.clause_id.clone(),
            author_id: by.id,
            status: Status::Open.as_str().to_owned(),
            created_at: amendment.created_at,
            decided_at: None,
            decided_by: None,
            final_text: None,
            supporters: Vec::new(),
            base_text: Some(text.clone()),
        };
        let meeting_id = self.id;
        let insert: ExtraWrite = Box::new(move |c| store::insert_amendment(c, meeting_id, &record));
        self.state().amendments.push(amendment.clone());
        let room = self
            .add_room(
                RoomName::Amendment(amendment.id),
                RoomDoc::empty(Kind::Amendment),
            )
            .await;
        // The starting text and the amendment's row commit together.
        let (seq, insert) = {
            let mut doc = room.room.doc();
            let applied = doc.server_write(|txn| {
                let t = txn.get_or_insert_text(draft::AMENDMENT_TEXT);
                t.insert(txn, 0, &text);
            });
            match applied {
                Some(a) => {
                    let write = Write {
                        extra: Some(insert),
                        ..Write::default()
                    };
                    room.room.persist(self.store(), &mut doc, &a, write);
                    (Some(a.seq), None)
                }
                None => (None, Some(insert)),
            }
        };
        if let Some(insert) = insert {
            // An empty clause: no text to write, only the row.
            self.store().call(move |c| insert(c)).await?;
        }
        if let Some(seq) = seq {
            room.room
                .wait_durable(seq)
                .await
                .map_err(|()| MeetingError::NotStored)?;
        }
        let shown = self.show_amendment(&amendment);
        self.meeting_durable(shown).await;
        tracing::info!(meeting = %self.id, amendment = %amendment.id, clause = clause_id, "amendment opened");
        Ok(Opened { amendment, text })
    }

    /// Records `by`'s support of an amendment (once); answers the supporters.
    pub async fn support(
        self: &Arc<Self>,
        by: &Member,
        id: Uuid,
    ) -> Result<Vec<Uuid>, MeetingError> {
        self.store().check_writable()?;
        let _serial = self.admit(by.role, Command::Support).await?;
        {
            let st = self.state();
            let a = undecided(&st, id)?;
            if a.author == by.id {
                return Err(MeetingError::conflict("you proposed this amendment"));
            }
            if a.supporters.contains(&by.id) {
                return Ok(a.supporters.clone());
            }
        }
        let user = by.id;
        let at = now_ms();
        self.store()
            .call(move |c| store::insert_support(c, id, user, at))
            .await?;
        let (supporters, seq) = {
            let mut st = self.state();
            let a = st.amendment_mut(id).expect("amendments are never removed");
            a.supporters.push(user);
            let a = a.clone();
            (a.supporters.clone(), self.show_amendment(&a))
        };
        self.meeting_durable(seq).await;
        Ok(supporters)
    }

    /// Applies an amendment's text to its clause as a minimal character
    /// diff written for its author; answers the clause id and new text.
    /// A clause that changed since the amendment was opened is overwritten
    /// only if `clause_sha256` is its current text's (see
    /// `crate::meeting::commands::clause_check`); otherwise nothing changes.
    pub async fn accept(
        self: &Arc<Self>,
        by: &Member,
        id: Uuid,
        clause_sha256: Option<&str>,
    ) -> Result<(String, String), MeetingError> {
        self.store().check_writable()?;
        let _serial = self.admit(by.role, Command::Accept).await?;
        let clause_sha256 = clause_sha256.map(parse_sha256).transpose()?;
        let (amendment_room, text) = self.amendment_room(id).await?;
        let draft = self.hold_draft().await?;
        let (clause_id, seq, shown) =
            self.write_acceptance(&draft.room, id, &text, by, clause_sha256.as_deref())?;
        if let Some(seq) = seq {
            draft
                .room
                .wait_durable(seq)
                .await
                .map_err(|()| MeetingError::NotStored)?;
        }
        self.meeting_durable(shown).await;
        drop(amendment_room);
        tracing::info!(meeting = %self.id, amendment = %id, "amendment accepted");
        Ok((clause_id, text))
    }

    /// The acceptance itself, under the draft's lock and then the
    /// state's (the order of every write): the amendment still open, the
    /// draft not frozen, the clause as the moderator saw it (the text
    /// checked is the text overwritten); then the clause rewritten for the
    /// amendment's author, with the decision in the same transaction.
    /// Answers the clause, the draft's update to wait for (None if the
    /// clause already read so) and the `meeting` room's.
    fn write_acceptance(
        &self,
        draft: &Arc<LiveRoom>,
        id: Uuid,
        text: &str,
        by: &Member,
        seen_sha256: Option<&str>,
    ) -> Result<(String, Option<u64>, Option<u64>), MeetingError> {
        let mut doc = draft.doc();
        let mut st = self.state();
        let a = undecided(&st, id)?.clone();
        if st.frozen() {
            return Err(MeetingError::conflict(
                "the draft is frozen; reopen it to accept amendments",
            ));
        }
        let deleted = || MeetingError::conflict("its clause has been deleted from the draft");
        let current = draft::clause_text(doc.doc(), &a.clause_id).ok_or_else(deleted)?;
        Acceptance {
            base: a.base.as_deref(),
            current: &current,
            proposed: text,
        }
        .check(seen_sha256)?;
        let client = st.fresh_client(&doc);
        let state = doc.diff(&StateVector::default());
        let update =
            draft::rewrite_clause(&state, &a.clause_id, text, client).ok_or_else(deleted)?;
        let now = now_ms();
        let decided = Amendment {
            status: Status::Accepted,
            decided_at: Some(now),
            decided_by: Some(by.id),
            text: text.to_owned(),
            ..a.clone()
        };
        let (moderator, final_text) = (by.id, text.to_owned());
        let record: ExtraWrite = Box::new(move |c| {
            store::decide_amendment(c, id, "accepted", now, moderator, &final_text)
        });
        let author = Author {
            user: a.author,
            may_write: Ok(()),
        };
        let seq = match doc.apply(&update, &author, &st.bindings) {
            Ok(Outcome::Applied(applied)) => {
                self.bind_clients(&mut st, &applied.new_bindings, a.author);
                let write = Write {
                    journal: Some(Journal {
                        user: a.author,
                        accepted_by: Some(by.id),
                        amendment: Some(id),
                    }),
                    extra: Some(record),
                    ..Write::default()
                };
                draft.persist(self.store(), &mut doc, &applied, write);
                Some(applied.seq)
            }
            // The clause already reads so: nothing to change but the status.
            Ok(Outcome::Noop) => {
                self.store().submit(record, |res| {
                    if let Err(e) = res {
                        tracing::error!(error = %e, "could not record an accepted amendment");
                    }
                });
                None
            }
            Ok(Outcome::Partial(..)) | Err(_) => {
                tracing::error!(amendment = %id, "the server's own rewrite of a clause was refused");
                return Err(MeetingError::damaged(
                    "the amendment could not be applied; nothing was changed",
                ));
            }
        };
        *st.amendment_mut(id).expect("amendments are never removed") = decided.clone();
        Ok((a.clause_id, seq, self.show_amendment(&decided)))
    }

    /// Turns an amendment down; its room stays readable and stops changing.
    pub async fn reject(self: &Arc<Self>, by: &Member, id: Uuid) -> Result<(), MeetingError> {
        self.store().check_writable()?;
        let _serial = self.admit(by.role, Command::Reject).await?;
        let (_room, text) = self.amendment_room(id).await?;
        {
            undecided(&self.state(), id)?;
        }
        let now = now_ms();
        let moderator = by.id;
        let final_text = text.clone();
        self.store()
            .call(move |c| store::decide_amendment(c, id, "rejected", now, moderator, &final_text))
            .await?;
        let seq = {
            let mut st = self.state();
            let a = st.amendment_mut(id).expect("present");
            a.status = Status::Rejected;
            a.decided_at = Some(now);
            a.decided_by = Some(moderator);
            a.text = text;
            let a = a.clone();
            self.show_amendment(&a)
        };
        self.meeting_durable(seq).await;
        tracing::info!(meeting = %self.id, amendment = %id, "amendment rejected");
        Ok(())
    }

    /// An amendment's room, held, and its current text; 404 if unknown.
    pub async fn amendment_room(
        self: &Arc<Self>,
        id: Uuid,
    ) -> Result<(HeldRoom, String), MeetingError> {
        let room = self
            .hold_room(RoomName::Amendment(id))
            .await
            .map_err(|e| e.refusal("amendment"))?;
        let text = draft::amendment_text(room.room.doc().doc());
        Ok((room, text))
    }
}

/// The amendment `id`, if it is still open: 404 if there is none, 409 if
/// it was decided.
fn undecided(st: &MeetingState, id: Uuid) -> Result<&Amendment, MeetingError> {
    let a = st
        .amendment(id)
        .ok_or_else(|| MeetingError::not_found("no such amendment"))?;
    if a.status != Status::Open {
        return Err(MeetingError::conflict(format!(
            "this amendment was already {}",
            a.status.as_str()
        )));
    }
    Ok(a)
}
