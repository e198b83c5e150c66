//! The workshop's method as stored: the meeting's stage and every move
//! between stages, the clauses' links to the elements they carry, the
//! signals given on clauses, and the consensus checks on the whole text
//! with their answers. Signals, answers and stage moves are append-only
//! (the database refuses changing them); a check changes once, when it
//! closes.

use uuid::Uuid;

use crate::store::catalogue::optional_uuid_col;
use crate::store::error::WriteResult;
use crate::store::meetings::uuid_at;
use crate::store::sql::args;
use crate::store::txn::Txn;

/// A move of the meeting from one stage to the next, as stored.
#[derive(Debug, Clone)]
pub struct StageMoveRecord {
    /// The stage moved to (see `draftroom_shared::Stage`).
    pub stage: String,
    /// When, ms since the epoch.
    pub moved_at: i64,
    /// Who moved it.
    pub moved_by: Uuid,
    /// The draft's text at that moment.
    pub draft_text: String,
}

/// Moves the meeting to `m.stage`, and logs the move.
pub fn move_stage(c: &Txn, meeting: Uuid, m: &StageMoveRecord) -> WriteResult<()> {
    let key = meeting.to_string();
    c.execute(
        "UPDATE meetings SET stage = ?2, frozen = ?3 WHERE id = ?1",
        args![key, m.stage, m.stage == "frozen"],
    )?;
    c.execute(
        "INSERT INTO stage_moves (meeting_id, seq, stage, moved_at, moved_by, draft_text)
         VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM stage_moves WHERE meeting_id = ?1), ?2, ?3, ?4, ?5)",
        args![key, m.stage, m.moved_at, m.moved_by.to_string(), m.draft_text],
    )?;
    Ok(())
}

/// The meeting's stage moves, in order.
pub fn load_stage_moves(c: &Txn, meeting: Uuid) -> WriteResult<Vec<StageMoveRecord>> {
    c.query(
        "SELECT stage, moved_at, moved_by, draft_text FROM stage_moves WHERE meeting_id = ?1 ORDER BY seq",
        args![meeting.to_string()],
        |r| {
        Ok(StageMoveRecord {
            stage: r.get(0)?,
            moved_at: r.get(1)?,
            moved_by: uuid_at(r, 2)?,
            draft_text: r.get(3)?,
        })
        },
    )
}

/// A clause's link to an element of the catalogue it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRecord {
    /// The clause.
    pub clause_id: Uuid,
    /// The element.
    pub element_id: Uuid,
    /// Who linked them.
    pub linked_by: Uuid,
    /// When, ms since the epoch.
    pub linked_at: i64,
}

/// Links a clause to an element (again: nothing changes).
pub fn link_element(c: &Txn, meeting: Uuid, link: &LinkRecord) -> WriteResult<()> {
    c.execute(
        "INSERT INTO clause_elements (meeting_id, clause_id, element_id, linked_by, linked_at)
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
        args![
            meeting.to_string(),
            link.clause_id.to_string(),
            link.element_id.to_string(),
            link.linked_by.to_string(),
            link.linked_at
        ],
    )?;
    Ok(())
}

/// Takes a clause's link to an element back.
pub fn unlink_element(c: &Txn, meeting: Uuid, clause: Uuid, element: Uuid) -> WriteResult<()> {
    c.execute(
        "DELETE FROM clause_elements WHERE meeting_id = ?1 AND clause_id = ?2 AND element_id = ?3",
        args![meeting.to_string(), clause.to_string(), element.to_string()],
    )?;
    Ok(())
}

/// The meeting's clause–element links, oldest first.
pub fn load_links(c: &Txn, meeting: Uuid) -> WriteResult<Vec<LinkRecord>> {
    c.query(
        "SELECT clause_id, element_id, linked_by, linked_at FROM clause_elements
         WHERE meeting_id = ?1 ORDER BY linked_at, clause_id, element_id",
        args![meeting.to_string()],
        |r| {
            Ok(LinkRecord {
                clause_id: uuid_at(r, 0)?,
                element_id: uuid_at(r, 1)?,
                linked_by: uuid_at(r, 2)?,
                linked_at: r.get(3)?,
            })
        },
    )
}

/// A signal one person gave on one wording of a clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalRecord {
    /// The clause.
    pub clause_id: Uuid,
    /// Whose signal it is.
    pub user_id: Uuid,
    /// `agree`, `abstain`, `disagree` or `block`.
    pub signal: String,
    /// Why (required for disagree and block).
    pub reason: Option<String>,
    /// SHA-256 of the clause's text it answers.
    pub sha256: String,
    /// Who recorded it: the person, or the moderator for someone without
    /// a device.
    pub recorded_by: Uuid,
    /// When, ms since the epoch.
    pub given_at: i64,
}

/// Records a signal; the person's earlier ones on the clause stay on record.
pub fn insert_signal(c: &Txn, meeting: Uuid, s: &SignalRecord) -> WriteResult<()> {
    c.execute(
        "INSERT INTO clause_signals (meeting_id, clause_id, user_id, signal, reason, sha256, recorded_by, given_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        args![
            meeting.to_string(),
            s.clause_id.to_string(),
            s.user_id.to_string(),
            s.signal,
            s.reason,
            s.sha256,
            s.recorded_by.to_string(),
            s.given_at
        ],
    )?;
    Ok(())
}

/// Every signal of the meeting, in the order given.
pub fn load_signals(c: &Txn, meeting: Uuid) -> WriteResult<Vec<SignalRecord>> {
    c.query(
        "SELECT clause_id, user_id, signal, reason, sha256, recorded_by, given_at
         FROM clause_signals WHERE meeting_id = ?1 ORDER BY id",
        args![meeting.to_string()],
        |r| {
            Ok(SignalRecord {
                clause_id: uuid_at(r, 0)?,
                user_id: uuid_at(r, 1)?,
                signal: r.get(2)?,
                reason: r.get(3)?,
                sha256: r.get(4)?,
                recorded_by: uuid_at(r, 5)?,
                given_at: r.get(6)?,
            })
        },
    )
}

/// A consensus check on the whole text, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRecord {
    /// 1, 2, … within the meeting.
    pub number: u32,
    /// When it opened, ms since the epoch.
    pub opened_at: i64,
    /// The moderator who opened it.
    pub opened_by: Uuid,
    /// The whole text it asks about.
    pub text: String,
    /// Its SHA-256.
    pub sha256: String,
    /// Whether answers are kept back until it closes.
    pub hidden: bool,
    /// How many people could answer when it opened.
    pub eligible: u32,
    /// When it closed.
    pub closed_at: Option<i64>,
    /// Who closed it.
    pub closed_by: Option<Uuid>,
    /// Its answers, in the order given.
    pub answers: Vec<AnswerRecord>,
}

/// One person's answer to a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerRecord {
    /// Whose answer.
    pub user_id: Uuid,
    /// `agree`, `abstain`, `disagree` or `block`.
    pub answer: String,
    /// Why (required for disagree and block).
    pub reason: Option<String>,
    /// Who recorded it (the moderator, for someone without a device).
    pub recorded_by: Uuid,
    /// When, ms since the epoch.
    pub answered_at: i64,
}

/// Opens a check (its answers are added apart).
pub fn insert_check(c: &Txn, meeting: Uuid, k: &CheckRecord) -> WriteResult<()> {
    c.execute(
        "INSERT INTO checks (meeting_id, number, opened_at, opened_by, text, sha256, hidden, eligible)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        args![
            meeting.to_string(),
            k.number,
            k.opened_at,
            k.opened_by.to_string(),
            k.text,
            k.sha256,
            k.hidden,
            k.eligible
        ],
    )?;
    Ok(())
}

/// Closes a check (the database refuses closing one twice).
pub fn close_check(c: &Txn, meeting: Uuid, number: u32, at: i64, by: Uuid) -> WriteResult<()> {
    c.execute(
        "UPDATE checks SET closed_at = ?3, closed_by = ?4 WHERE meeting_id = ?1 AND number = ?2",
        args![meeting.to_string(), number, at, by.to_string()],
    )?;
    Ok(())
}

/// Records an answer (the database refuses a second one from a person).
pub fn insert_answer(c: &Txn, meeting: Uuid, number: u32, a: &AnswerRecord) -> WriteResult<()> {
    c.execute(
        "INSERT INTO check_answers (meeting_id, number, user_id, answer, reason, recorded_by, answered_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        args![
            meeting.to_string(),
            number,
            a.user_id.to_string(),
            a.answer,
            a.reason,
            a.recorded_by.to_string(),
            a.answered_at
        ],
    )?;
    Ok(())
}

/// The meeting's checks with their answers, oldest first.
pub fn load_checks(c: &Txn, meeting: Uuid) -> WriteResult<Vec<CheckRecord>> {
    let key = meeting.to_string();
    let mut checks = c.query(
        "SELECT number, opened_at, opened_by, text, sha256, hidden, eligible, closed_at, closed_by
         FROM checks WHERE meeting_id = ?1 ORDER BY number",
        args![key],
        |r| {
            Ok(CheckRecord {
                number: r.get(0)?,
                opened_at: r.get(1)?,
                opened_by: uuid_at(r, 2)?,
                text: r.get(3)?,
                sha256: r.get(4)?,
                hidden: r.get(5)?,
                eligible: r.get(6)?,
                closed_at: r.get(7)?,
                closed_by: optional_uuid_col(r, 8)?,
                answers: Vec::new(),
            })
        },
    )?;
    let answers = c.query(
        "SELECT number, user_id, answer, reason, recorded_by, answered_at
         FROM check_answers WHERE meeting_id = ?1 ORDER BY answered_at, user_id",
        args![key],
        |r| {
            Ok((
                r.get::<u32>(0)?,
                AnswerRecord {
                    user_id: uuid_at(r, 1)?,
                    answer: r.get(2)?,
                    reason: r.get(3)?,
                    recorded_by: uuid_at(r, 4)?,
                    answered_at: r.get(5)?,
                },
            ))
        },
    )?;
    for (number, answer) in answers {
        if let Some(check) = checks.iter_mut().find(|k| k.number == number) {
            check.answers.push(answer);
        }
    }
    Ok(checks)
}

/// Everything of the method a meeting shows in its `meeting` room.
#[derive(Debug, Clone, Default)]
pub struct MethodRecord {
    /// Its stage moves, in order.
    pub moves: Vec<StageMoveRecord>,
    /// Its clause–element links.
    pub links: Vec<LinkRecord>,
    /// Every signal given, in order.
    pub signals: Vec<SignalRecord>,
    /// Its checks with their answers.
    pub checks: Vec<CheckRecord>,
}

/// Loads the method's records of a meeting.
pub fn load_method(c: &Txn, meeting: Uuid) -> WriteResult<MethodRecord> {
    Ok(MethodRecord {
        moves: load_stage_moves(c, meeting)?,
        links: load_links(c, meeting)?,
        signals: load_signals(c, meeting)?,
        checks: load_checks(c, meeting)?,
    })
}
