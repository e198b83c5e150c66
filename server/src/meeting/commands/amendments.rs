//! The meeting's workflow as commands: open an amendment, support it,
//! accept or reject it, freeze the agreed text, reopen. Each checks who
//! asks and the meeting's state, is durable before it answers, and shows
//! its effect in the `meeting` room.

use std::sync::Arc;

use draftroom_shared::{ErrorCode, Role, RoomName};
use rand::Rng;
use uuid::Uuid;
use yrs::updates::encoder::Encode;
use yrs::{ReadTxn, StateVector, Text, Transact, WriteTxn};

use crate::clock::now_ms;
use crate::http::error::AppError;
use crate::meeting::commands::clause_check::{Acceptance, parse_sha256};
use crate::meeting::registry::{Hub, require_moderator};
use crate::meeting::shown;
use crate::meeting::{
    Amendment, ExtraWrite, HeldRoom, Journal, Meeting, MeetingState, Member, OpenError, Status,
    Version,
};
use crate::room::draft;
use crate::room::{Author, Kind, Outcome, RoomDoc};
use crate::secrets;
use crate::store::{self, AmendmentRecord, VersionRecord};

/// What opening an amendment answers.
pub struct Opened {
    /// The amendment.
    pub amendment: Amendment,
    /// The wording it starts from: the clause's text.
    pub text: String,
}

pub(crate) fn open_error(e: OpenError, what: &str) -> AppError {
    match e {
        OpenError::NoSuchRoom => AppError::not_found(format!("no such {what}")),
        OpenError::Store(why) => {
            tracing::error!(error = %why, "room could not be loaded");
            AppError::new(ErrorCode::Unavailable, "storage is failing; try again")
        }
    }
}

pub(crate) fn stored_failure() -> AppError {
    AppError::new(
        ErrorCode::Unavailable,
        "storage failed while recording this; try again",
    )
}

/// A client ID for the server to write with on a member's behalf: unused
/// in the meeting and in the room, and in the range every Yjs client reads.
pub(crate) fn fresh_client(st: &MeetingState, room: &RoomDoc) -> u64 {
    let sv = room.state_vector();
    loop {
        let id = u64::from(rand::rng().random_range(1..=u32::MAX));
        if !st.bindings.contains_key(&id) && sv.get(&yrs::ClientID::new(id)) == 0 {
            return id;
        }
    }
}

impl Hub {
    /// Opens an amendment for a clause; its room starts with the clause's
    /// current text.
    pub async fn open_amendment(
        &self,
        meeting: &Arc<Meeting>,
        by: &Member,
        clause_id: &str,
    ) -> Result<Opened, AppError> {
        self.store().check_writable()?;
        if by.role == Role::Observer {
            return Err(AppError::forbidden(
                "observers follow read-only; only participants propose amendments",
            ));
        }
        let clause_id = clause_id.trim();
        if clause_id.is_empty() {
            return Err(AppError::bad_request("clause_id must not be empty"));
        }
        let _serial = meeting.commands.lock().await;
        let draft = meeting
            .hold_room(RoomName::Draft)
            .await
            .map_err(|e| open_error(e, "room"))?;
        let text = draft::clause_text(draft.room.doc().doc(), clause_id)
            .ok_or_else(|| AppError::not_found("no such clause in the draft"))?;
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
        let meeting_id = meeting.id;
        let insert: ExtraWrite = Box::new(move |c| store::insert_amendment(c, meeting_id, &record));
        meeting.state().amendments.push(amendment.clone());
        let room = meeting
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
                    room.room
                        .persist(meeting.store(), &a, 0, &mut doc, None, Some(insert));
                    (Some(a.seq), None)
                }
                None => (None, Some(insert)),
            }
        };
        if let Some(insert) = insert {
            // An empty clause: no text to write, only the row.
            meeting.store().call(move |c| insert(c)).await?;
        }
        if let Some(seq) = seq {
            room.room
                .wait_durable(seq)
                .await
                .map_err(|()| stored_failure())?;
        }
        let shown = meeting.show_amendment(&amendment);
        meeting.meeting_durable(shown).await;
        tracing::info!(meeting = %meeting.id, amendment = %amendment.id, clause = clause_id, "amendment opened");
        Ok(Opened { amendment, text })
    }

    /// Records `by`'s support of an amendment (once); answers the supporters.
    pub async fn support(
        &self,
        meeting: &Arc<Meeting>,
        by: &Member,
        id: Uuid,
    ) -> Result<Vec<Uuid>, AppError> {
        self.store().check_writable()?;
        match by.role {
            Role::Moderator => {
                return Err(AppError::forbidden(
                    "the moderator decides on amendments; participants support them",
                ));
            }
            Role::Observer => {
                return Err(AppError::forbidden(
                    "observers follow read-only; participants support amendments",
                ));
            }
            Role::Participant | Role::Editor => {}
        }
        let _serial = meeting.commands.lock().await;
        {
            let st = meeting.state();
            let a = st
                .amendment(id)
                .ok_or_else(|| AppError::not_found("no such amendment"))?;
            if a.author == by.id {
                return Err(AppError::conflict("you proposed this amendment"));
            }
            if a.status != Status::Open {
                return Err(AppError::conflict(format!(
                    "this amendment was already {}",
                    a.status.as_str()
                )));
            }
            if a.supporters.contains(&by.id) {
                return Ok(a.supporters.clone());
            }
        }
        let user = by.id;
        let at = now_ms();
        meeting
            .store()
            .call(move |c| store::insert_support(c, id, user, at))
            .await?;
        let (supporters, seq) = {
            let mut st = meeting.state();
            let a = st.amendment_mut(id).expect("amendments are never removed");
            a.supporters.push(user);
            let a = a.clone();
            (a.supporters.clone(), meeting.show_amendment(&a))
        };
        meeting.meeting_durable(seq).await;
        Ok(supporters)
    }

    /// Applies an amendment's text to its clause as a minimal character
    /// diff written for its author; answers the clause id and new text.
    /// A clause that changed since the amendment was opened is overwritten
    /// only if `clause_sha256` is its current text's (see
    /// [`crate::meeting::commands::clause_check`]); otherwise nothing changes.
    pub async fn accept(
        &self,
        meeting: &Arc<Meeting>,
        by: &Member,
        id: Uuid,
        clause_sha256: Option<&str>,
    ) -> Result<(String, String), AppError> {
        self.store().check_writable()?;
        require_moderator(by, "accept amendments")?;
        let clause_sha256 = clause_sha256.map(parse_sha256).transpose()?;
        let _serial = meeting.commands.lock().await;
        let (amendment_room, text) = self.amendment_room(meeting, id).await?;
        let draft = meeting
            .hold_room(RoomName::Draft)
            .await
            .map_err(|e| open_error(e, "room"))?;
        let (clause_id, seq, shown) = {
            let mut doc = draft.room.doc();
            let mut st = meeting.state();
            let a = st
                .amendment(id)
                .cloned()
                .ok_or_else(|| AppError::not_found("no such amendment"))?;
            if a.status != Status::Open {
                return Err(AppError::conflict(format!(
                    "this amendment was already {}",
                    a.status.as_str()
                )));
            }
            if st.frozen {
                return Err(AppError::conflict(
                    "the draft is frozen; reopen it to accept amendments",
                ));
            }
            let deleted = || AppError::conflict("its clause has been deleted from the draft");
            // Checked under the draft's lock: the text checked is the text
            // overwritten.
            let current = draft::clause_text(doc.doc(), &a.clause_id).ok_or_else(deleted)?;
            Acceptance {
                base: a.base.as_deref(),
                current: &current,
                proposed: &text,
            }
            .check(clause_sha256.as_deref())?;
            let client = fresh_client(&st, &doc);
            let state = doc.diff(&StateVector::default());
            let update =
                draft::rewrite_clause(&state, &a.clause_id, &text, client).ok_or_else(deleted)?;
            let now = now_ms();
            let decided = Amendment {
                status: Status::Accepted,
                decided_at: Some(now),
                decided_by: Some(by.id),
                text: text.clone(),
                ..a.clone()
            };
            let (moderator, final_text) = (by.id, text.clone());
            let record: ExtraWrite = Box::new(move |c| {
                store::decide_amendment(c, id, "accepted", now, moderator, &final_text)
            });
            let author = Author {
                user: a.author,
                may_write: Ok(()),
            };
            let seq = match doc.apply(&update, &author, &st.bindings) {
                Ok(Outcome::Applied(applied)) => {
                    meeting.bind_clients(&mut st, &applied.new_bindings, a.author);
                    let journal = Journal {
                        user: a.author,
                        accepted_by: Some(by.id),
                        amendment: Some(id),
                    };
                    draft.room.persist(
                        meeting.store(),
                        &applied,
                        0,
                        &mut doc,
                        Some(journal),
                        Some(record),
                    );
                    Some(applied.seq)
                }
                // The clause already reads so: nothing to change but the status.
                Ok(Outcome::Noop) => {
                    meeting.store().submit(record, |res| {
                        if let Err(e) = res {
                            tracing::error!(error = %e, "could not record an accepted amendment");
                        }
                    });
                    None
                }
                Ok(Outcome::Partial(..)) | Err(_) => {
                    tracing::error!(amendment = %id, "the server's own rewrite of a clause was refused");
                    return Err(AppError::new(
                        ErrorCode::Internal,
                        "the amendment could not be applied; nothing was changed",
                    ));
                }
            };
            *st.amendment_mut(id).expect("present") = decided.clone();
            (a.clause_id, seq, meeting.show_amendment(&decided))
        };
        if let Some(seq) = seq {
            draft
                .room
                .wait_durable(seq)
                .await
                .map_err(|()| stored_failure())?;
        }
        meeting.meeting_durable(shown).await;
        drop(amendment_room);
        tracing::info!(meeting = %meeting.id, amendment = %id, "amendment accepted");
        Ok((clause_id, text))
    }

    /// Turns an amendment down; its room stays readable and stops changing.
    pub async fn reject(
        &self,
        meeting: &Arc<Meeting>,
        by: &Member,
        id: Uuid,
    ) -> Result<(), AppError> {
        self.store().check_writable()?;
        require_moderator(by, "reject amendments")?;
        let _serial = meeting.commands.lock().await;
        let (_room, text) = self.amendment_room(meeting, id).await?;
        {
            let st = meeting.state();
            let a = st
                .amendment(id)
                .ok_or_else(|| AppError::not_found("no such amendment"))?;
            if a.status != Status::Open {
                return Err(AppError::conflict(format!(
                    "this amendment was already {}",
                    a.status.as_str()
                )));
            }
        }
        let now = now_ms();
        let moderator = by.id;
        let final_text = text.clone();
        meeting
            .store()
            .call(move |c| store::decide_amendment(c, id, "rejected", now, moderator, &final_text))
            .await?;
        let seq = {
            let mut st = meeting.state();
            let a = st.amendment_mut(id).expect("present");
            a.status = Status::Rejected;
            a.decided_at = Some(now);
            a.decided_by = Some(moderator);
            a.text = text;
            let a = a.clone();
            meeting.show_amendment(&a)
        };
        meeting.meeting_durable(seq).await;
        tracing::info!(meeting = %meeting.id, amendment = %id, "amendment rejected");
        Ok(())
    }

    /// An amendment's room, held, and its current text; 404 if unknown.
    pub async fn amendment_room(
        &self,
        meeting: &Arc<Meeting>,
        id: Uuid,
    ) -> Result<(HeldRoom, String), AppError> {
        let room = meeting
            .hold_room(RoomName::Amendment(id))
            .await
            .map_err(|e| open_error(e, "amendment"))?;
        let text = draft::amendment_text(room.room.doc().doc());
        Ok((room, text))
    }

    /// Freezes the draft as the next version.
    pub async fn freeze(&self, meeting: &Arc<Meeting>, by: &Member) -> Result<Version, AppError> {
        self.store().check_writable()?;
        require_moderator(by, "freeze the draft")?;
        let _serial = meeting.commands.lock().await;
        let draft = meeting
            .hold_room(RoomName::Draft)
            .await
            .map_err(|e| open_error(e, "room"))?;
        // Under the draft's lock: no write lands between the text taken
        // and the freeze, and none after it.
        let record = {
            let doc = draft.room.doc();
            let mut st = meeting.state();
            if st.frozen {
                return Err(AppError::conflict(format!(
                    "the draft is already frozen (version {})",
                    st.versions.len()
                )));
            }
            let text = draft::draft_text(doc.doc());
            let record = VersionRecord {
                number: st.versions.len() as u32 + 1,
                created_at: now_ms(),
                frozen_by: by.id,
                sha256: secrets::sha256_hex(&text),
                text,
                snapshot: doc.doc().transact().snapshot().encode_v1(),
                state: draft::full_state(doc.doc()),
            };
            st.frozen = true;
            record
        };
        let version = Version {
            number: record.number,
            created_at: record.created_at,
            frozen_by: record.frozen_by,
            sha256: record.sha256.clone(),
            text: record.text.clone(),
        };
        let id = meeting.id;
        if let Err(e) = meeting
            .store()
            .call(move |c| store::insert_version(c, id, &record))
            .await
        {
            meeting.state().frozen = false;
            return Err(e.into());
        }
        let seq = {
            let mut st = meeting.state();
            st.versions.push(version.clone());
            meeting.server_write(|txn| {
                shown::show_version(txn, &version);
                shown::show_phase(txn, true);
            })
        };
        meeting.meeting_durable(seq).await;
        tracing::info!(meeting = %meeting.id, version = version.number, "draft frozen");
        Ok(version)
    }

    /// Reopens the draft for the next round; versions stay as they are.
    pub async fn reopen(&self, meeting: &Arc<Meeting>, by: &Member) -> Result<(), AppError> {
        self.store().check_writable()?;
        require_moderator(by, "reopen the draft")?;
        let _serial = meeting.commands.lock().await;
        if !meeting.state().frozen {
            return Err(AppError::conflict("the draft is not frozen"));
        }
        let id = meeting.id;
        meeting
            .store()
            .call(move |c| store::set_frozen(c, id, false))
            .await?;
        let seq = {
            let mut st = meeting.state();
            st.frozen = false;
            meeting.server_write(|txn| shown::show_phase(txn, false))
        };
        meeting.meeting_durable(seq).await;
        tracing::info!(meeting = %meeting.id, "draft reopened");
        Ok(())
    }
}
