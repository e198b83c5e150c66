//! Consensus: signals on clauses while the room amends, and checks on the
//! whole text in the agree stage. A signal or an answer is a person's
//! own; the moderator may record one for someone without a device, and the
//! record says so. Opening a check locks the draft (the meeting moves to
//! the agree stage under the draft's lock, so no write lands between the
//! text taken and the lock); each person answers once; closing it shows
//! the answers a hidden check kept back.

use std::sync::Arc;

use draftroom_shared::{Role, Stage};
use uuid::Uuid;

use crate::clock::now_ms;
use crate::meeting::commands::clause_check::parse_sha256;
use crate::meeting::consensus::Stance;
use crate::meeting::rights::Command;
use crate::meeting::{Meeting, MeetingError, Member};
use crate::room::draft;
use crate::secrets;
use crate::store::{self, AnswerRecord, CheckRecord, SignalRecord, StageMoveRecord};

/// A signal or an answer as asked for.
pub struct Given<'a> {
    /// `agree`, `abstain`, `disagree` or `block`.
    pub stance: &'a str,
    /// Why; required to disagree or block.
    pub reason: Option<&'a str>,
    /// For whom, when the moderator records it for someone else.
    pub user: Option<Uuid>,
}

/// Whose signal or answer it is: `by`'s own, or (the moderator only)
/// `user`'s, another person in the room. Answers the person and the
/// command it is.
fn whose(by: &Member, user: Option<Uuid>, own: Command, other: Command) -> (Uuid, Command) {
    match user {
        Some(user) if user != by.id => (user, other),
        _ => (by.id, own),
    }
}

impl Meeting {
    /// Whether `user` is one of the people in the room, who give signals
    /// and answers (not an observer).
    fn in_the_room(&self, user: Uuid) -> Result<(), MeetingError> {
        match self.state().members.get(&user).map(|m| m.role) {
            None => Err(MeetingError::not_found("no such member in this meeting")),
            Some(Role::Observer) => Err(MeetingError::conflict(
                "observers follow read-only; record signals for the people in the room",
            )),
            Some(_) => Ok(()),
        }
    }

    /// Gives a signal on a clause's wording, `sha256` being the SHA-256
    /// of the clause's text the person saw: refused if it reads otherwise
    /// now. It replaces the person's earlier signal on the clause.
    pub async fn give_signal(
        self: &Arc<Self>,
        by: &Member,
        clause: Uuid,
        given: Given<'_>,
        sha256: &str,
    ) -> Result<SignalRecord, MeetingError> {
        self.store().check_writable()?;
        let (user, command) = whose(by, given.user, Command::Signal, Command::SignalFor);
        let _serial = self.admit(by.role, command).await?;
        self.in_the_room(user)?;
        let (stance, reason) = Stance::given(given.stance, given.reason)?;
        let seen = parse_sha256(sha256)?;
        let draft = self.hold_draft().await?;
        let text = draft::clause_text(draft.room.doc().doc(), &clause.to_string())
            .ok_or_else(|| MeetingError::not_found("no such clause in the draft"))?;
        let current = secrets::sha256_hex(&text);
        if current != seen {
            return Err(MeetingError::WordingChanged(format!(
                "the clause's wording changed since (it now has SHA-256 {current}): read it again before signalling"
            )));
        }
        let record = SignalRecord {
            clause_id: clause,
            user_id: user,
            signal: stance.as_str().to_owned(),
            reason,
            sha256: current,
            recorded_by: by.id,
            given_at: now_ms(),
        };
        let (id, stored) = (self.id, record.clone());
        self.store()
            .call(move |c| store::insert_signal(c, id, &stored))
            .await?;
        self.show_method().await?;
        Ok(record)
    }

    /// Opens a consensus check on the whole text: the draft locks and the
    /// meeting moves to the agree stage.
    pub async fn open_check(
        self: &Arc<Self>,
        by: &Member,
        hidden: bool,
    ) -> Result<CheckRecord, MeetingError> {
        self.store().check_writable()?;
        let _serial = self.admit(by.role, Command::OpenCheck).await?;
        let checks = self.method().await?.checks;
        if let Some(open) = checks.iter().find(|k| k.closed_at.is_none()) {
            return Err(MeetingError::conflict(format!(
                "check {} is still open",
                open.number
            )));
        }
        let draft = self.hold_draft().await?;
        // Under the draft's lock: no write lands between the text taken
        // and the lock.
        let (check, from) = {
            let doc = draft.room.doc();
            let mut st = self.state();
            let text = draft::draft_text(doc.doc());
            let check = CheckRecord {
                number: checks.len() as u32 + 1,
                opened_at: now_ms(),
                opened_by: by.id,
                sha256: secrets::sha256_hex(&text),
                text,
                hidden,
                eligible: st
                    .members
                    .values()
                    .filter(|m| m.role != Role::Observer)
                    .count() as u32,
                closed_at: None,
                closed_by: None,
                answers: Vec::new(),
            };
            let from = st.stage;
            st.stage = Stage::Agree;
            (check, from)
        };
        let moved = StageMoveRecord {
            stage: Stage::Agree.as_str().to_owned(),
            moved_at: check.opened_at,
            moved_by: by.id,
            draft_text: check.text.clone(),
        };
        let (id, stored) = (self.id, check.clone());
        let result = self
            .store()
            .call(move |c| {
                store::insert_check(c, id, &stored)?;
                if from != Stage::Agree {
                    store::move_stage(c, id, &moved)?;
                }
                Ok(())
            })
            .await;
        if let Err(e) = result {
            self.state().stage = from;
            return Err(e.into());
        }
        self.show_method().await?;
        tracing::info!(meeting = %self.id, check = check.number, hidden, "consensus check opened");
        Ok(check)
    }

    /// The check numbered `number`, if it is the open one.
    async fn open_one(&self, number: u32) -> Result<CheckRecord, MeetingError> {
        let check = self
            .method()
            .await?
            .checks
            .into_iter()
            .find(|k| k.number == number)
            .ok_or_else(|| MeetingError::not_found("no such check"))?;
        if check.closed_at.is_some() {
            return Err(MeetingError::conflict(format!("check {number} is closed")));
        }
        Ok(check)
    }

    /// Answers an open check, once per person.
    pub async fn answer_check(
        self: &Arc<Self>,
        by: &Member,
        number: u32,
        given: Given<'_>,
    ) -> Result<AnswerRecord, MeetingError> {
        self.store().check_writable()?;
        let (user, command) = whose(by, given.user, Command::AnswerCheck, Command::AnswerFor);
        let _serial = self.admit(by.role, command).await?;
        self.in_the_room(user)?;
        let (stance, reason) = Stance::given(given.stance, given.reason)?;
        let check = self.open_one(number).await?;
        if check.answers.iter().any(|a| a.user_id == user) {
            return Err(MeetingError::conflict(
                "this person has answered this check already: each answers once",
            ));
        }
        let answer = AnswerRecord {
            user_id: user,
            answer: stance.as_str().to_owned(),
            reason,
            recorded_by: by.id,
            answered_at: now_ms(),
        };
        let (id, stored) = (self.id, answer.clone());
        self.store()
            .call(move |c| store::insert_answer(c, id, number, &stored))
            .await?;
        self.show_method().await?;
        Ok(answer)
    }

    /// Closes the open check: its answers show, hidden or not. The draft
    /// stays locked until the moderator freezes it or moves back to amend.
    pub async fn close_check(
        self: &Arc<Self>,
        by: &Member,
        number: u32,
    ) -> Result<CheckRecord, MeetingError> {
        self.store().check_writable()?;
        let _serial = self.admit(by.role, Command::CloseCheck).await?;
        let mut check = self.open_one(number).await?;
        let (id, at, who) = (self.id, now_ms(), by.id);
        self.store()
            .call(move |c| store::close_check(c, id, number, at, who))
            .await?;
        check.closed_at = Some(at);
        check.closed_by = Some(who);
        self.show_method().await?;
        tracing::info!(meeting = %self.id, check = number, "consensus check closed");
        Ok(check)
    }
}
