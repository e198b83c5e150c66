//! The method's stages and the way from common ground to the draft: the
//! moderator moves the meeting between the collect, common ground, draft
//! and amend stages (the agree stage opens with a consensus check, the
//! frozen one with a freeze); pulls elements of the catalogue into the
//! draft as starting clauses; and links clauses to the elements they
//! carry, so that an element no clause carries shows.

use std::sync::Arc;

use draftroom_shared::Stage;
use uuid::Uuid;
use yrs::StateVector;

use crate::clock::now_ms;
use crate::meeting::rights::Command;
use crate::meeting::shown;
use crate::meeting::{Journal, Meeting, MeetingError, Member, Write};
use crate::room::draft;
use crate::room::{Author, Outcome};
use crate::store::{self, LinkRecord, MethodRecord, StageMoveRecord};

impl Meeting {
    /// The method's stored records.
    pub(crate) async fn method(&self) -> Result<MethodRecord, MeetingError> {
        let id = self.id;
        Ok(self
            .store()
            .call(move |c| store::load_method(c, id))
            .await?)
    }

    /// Shows the method's records in the `meeting` room and waits until
    /// that is durable.
    pub(crate) async fn show_method(&self) -> Result<(), MeetingError> {
        let method = self.method().await?;
        let seq = {
            let st = self.state();
            self.server_write(|txn| {
                shown::show_method(txn, &method, &st.members);
                shown::show_stage(txn, st.stage, st.workshop);
            })
        };
        self.meeting_durable(seq).await;
        Ok(())
    }

    /// Moves the meeting to `to`, one of the stages the moderator chooses
    /// (collect, common ground, draft, amend); from the agree stage only
    /// once its check has closed. Returns the stage it is in.
    pub async fn set_stage(
        self: &Arc<Self>,
        by: &Member,
        to: Stage,
    ) -> Result<Stage, MeetingError> {
        self.store().check_writable()?;
        let _serial = self.admit(by.role, Command::SetStage).await?;
        match to {
            Stage::Agree => {
                return Err(MeetingError::conflict(
                    "the agree stage opens with a consensus check on the whole text (POST …/checks)",
                ));
            }
            Stage::Frozen => {
                return Err(MeetingError::conflict(
                    "the frozen stage comes with a freeze (POST …/freeze)",
                ));
            }
            _ => {}
        }
        let from = self.state().stage;
        if from == to {
            return Ok(to);
        }
        if from == Stage::Agree
            && let Some(open) = self
                .method()
                .await?
                .checks
                .iter()
                .find(|k| k.closed_at.is_none())
        {
            return Err(MeetingError::conflict(format!(
                "check {} is still open: close it before leaving the agree stage",
                open.number
            )));
        }
        let draft = self.hold_draft().await?;
        let record = StageMoveRecord {
            stage: to.as_str().to_owned(),
            moved_at: now_ms(),
            moved_by: by.id,
            draft_text: draft::draft_text(draft.room.doc().doc()),
        };
        let id = self.id;
        self.store()
            .call(move |c| store::move_stage(c, id, &record))
            .await?;
        let seq = {
            let mut st = self.state();
            st.stage = to;
            self.server_write(|txn| shown::show_stage(txn, to, st.workshop))
        };
        self.meeting_durable(seq).await;
        tracing::info!(meeting = %self.id, from = %from, to = %to, "stage moved");
        Ok(to)
    }

    /// Starts a clause from an element of the catalogue: a new clause at
    /// the end of the draft with the element's words, written as the
    /// moderator's and linked to the element. Returns the clause's id.
    pub async fn pull_element(
        self: &Arc<Self>,
        by: &Member,
        element: Uuid,
    ) -> Result<Uuid, MeetingError> {
        self.store().check_writable()?;
        let _serial = self.admit(by.role, Command::PullElement).await?;
        let catalogue = self.catalogue().await?;
        let e = catalogue
            .elements
            .iter()
            .find(|e| e.id == element)
            .ok_or_else(|| MeetingError::not_found("no such element"))?;
        if e.merged_into.is_some() {
            return Err(MeetingError::conflict(
                "this element was merged into another: pull that one",
            ));
        }
        let draft = self.hold_draft().await?;
        let clause = Uuid::new_v4();
        let seq = {
            let mut doc = draft.room.doc();
            let mut st = self.state();
            let client = st.fresh_client(&doc);
            let state = doc.diff(&StateVector::default());
            let update = draft::append_clause(&state, &clause.to_string(), &e.text, client)
                .ok_or_else(|| MeetingError::damaged("the draft's state does not decode"))?;
            let author = Author {
                user: by.id,
                may_write: Ok(()),
            };
            match doc.apply(&update, &author, &st.bindings) {
                Ok(Outcome::Applied(applied)) => {
                    self.bind_clients(&mut st, &applied.new_bindings, by.id);
                    let write = Write {
                        journal: Some(Journal::of(by.id)),
                        ..Write::default()
                    };
                    draft.room.persist(self.store(), &mut doc, &applied, write);
                    applied.seq
                }
                _ => {
                    tracing::error!(meeting = %self.id, "the server's own new clause was refused");
                    return Err(MeetingError::damaged(
                        "the clause could not be added; nothing was changed",
                    ));
                }
            }
        };
        draft
            .room
            .wait_durable(seq)
            .await
            .map_err(|()| MeetingError::NotStored)?;
        let link = LinkRecord {
            clause_id: clause,
            element_id: element,
            linked_by: by.id,
            linked_at: now_ms(),
        };
        let id = self.id;
        self.store()
            .call(move |c| store::link_element(c, id, &link))
            .await?;
        self.show_method().await?;
        tracing::info!(meeting = %self.id, clause = %clause, "element pulled into the draft");
        Ok(clause)
    }

    /// Links a clause to an element it carries (`linked`), or takes the
    /// link back.
    pub async fn link_element(
        self: &Arc<Self>,
        by: &Member,
        clause: Uuid,
        element: Uuid,
        linked: bool,
    ) -> Result<(), MeetingError> {
        self.store().check_writable()?;
        let _serial = self.admit(by.role, Command::LinkElement).await?;
        if linked {
            let catalogue = self.catalogue().await?;
            if !catalogue.elements.iter().any(|e| e.id == element) {
                return Err(MeetingError::not_found("no such element"));
            }
            let draft = self.hold_draft().await?;
            if draft::clause_text(draft.room.doc().doc(), &clause.to_string()).is_none() {
                return Err(MeetingError::not_found("no such clause in the draft"));
            }
        }
        let id = self.id;
        let link = LinkRecord {
            clause_id: clause,
            element_id: element,
            linked_by: by.id,
            linked_at: now_ms(),
        };
        self.store()
            .call(move |c| {
                if linked {
                    store::link_element(c, id, &link)
                } else {
                    store::unlink_element(c, id, clause, element)
                }
            })
            .await?;
        self.show_method().await
    }
}
