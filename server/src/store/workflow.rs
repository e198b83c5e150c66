//! The meeting's workflow as stored: amendments and their supports, frozen
//! versions (immutable) and the attribution journal (append-only).

use uuid::Uuid;

use crate::store::error::WriteResult;
use crate::store::meetings::uuid_at;
use crate::store::sql::{Row, args};
use crate::store::txn::Txn;

/// An amendment as stored.
#[derive(Debug, Clone)]
pub struct AmendmentRecord {
    /// Its id.
    pub id: Uuid,
    /// The clause it proposes wording for.
    pub clause_id: String,
    /// Who proposed it.
    pub author_id: Uuid,
    /// `open`, `accepted` or `rejected`.
    pub status: String,
    /// When it was opened, ms since the epoch.
    pub created_at: i64,
    /// When it was decided.
    pub decided_at: Option<i64>,
    /// Who decided it.
    pub decided_by: Option<Uuid>,
    /// Its text when decided.
    pub final_text: Option<String>,
    /// Who supports it, in order.
    pub supporters: Vec<Uuid>,
    /// The clause's text when it was opened (None: stored before bases
    /// were kept).
    pub base_text: Option<String>,
}

/// Records a new amendment.
pub fn insert_amendment(c: &Txn, meeting: Uuid, a: &AmendmentRecord) -> WriteResult<()> {
    c.execute(
        "INSERT INTO amendments (id, meeting_id, clause_id, author_id, status, created_at, base_text) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        args![a.id.to_string(), meeting.to_string(), a.clause_id, a.author_id.to_string(), a.status, a.created_at, a.base_text],
    )?;
    Ok(())
}

/// Records a decision on an amendment.
pub fn decide_amendment(
    c: &Txn,
    id: Uuid,
    status: &str,
    at: i64,
    by: Uuid,
    final_text: &str,
) -> WriteResult<()> {
    c.execute(
        "UPDATE amendments SET status = ?2, decided_at = ?3, decided_by = ?4, final_text = ?5 WHERE id = ?1 AND status = 'open'",
        args![id.to_string(), status, at, by.to_string(), final_text],
    )?;
    Ok(())
}

/// Records a member's support of an amendment (once).
pub fn insert_support(c: &Txn, amendment: Uuid, user: Uuid, at: i64) -> WriteResult<()> {
    c.execute(
        "INSERT INTO supports (amendment_id, user_id, created_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        args![amendment.to_string(), user.to_string(), at],
    )?;
    Ok(())
}

/// A nullable UUID column of the amendments, which reads a malformed one
/// as absent.
fn opt_uuid_col(r: &Row<'_>, i: usize) -> WriteResult<Option<Uuid>> {
    let s: Option<String> = r.get(i)?;
    Ok(s.and_then(|s| Uuid::parse_str(&s).ok()))
}

/// A meeting's amendments with their supporters, oldest first.
pub fn load_amendments(c: &Txn, meeting: Uuid) -> WriteResult<Vec<AmendmentRecord>> {
    let mut out = c.query(
        "SELECT id, clause_id, author_id, status, created_at, decided_at, decided_by, final_text, base_text
         FROM amendments WHERE meeting_id = ?1 ORDER BY created_at, rowid",
        args![meeting.to_string()],
        |r| {
            Ok(AmendmentRecord {
                id: uuid_at(r, 0)?,
                clause_id: r.get(1)?,
                author_id: uuid_at(r, 2)?,
                status: r.get(3)?,
                created_at: r.get(4)?,
                decided_at: r.get(5)?,
                decided_by: opt_uuid_col(r, 6)?,
                final_text: r.get(7)?,
                supporters: Vec::new(),
                base_text: r.get(8)?,
            })
        },
    )?;
    let supports = c.query(
        "SELECT s.amendment_id, s.user_id FROM supports s JOIN amendments a ON a.id = s.amendment_id
         WHERE a.meeting_id = ?1 ORDER BY s.created_at",
        args![meeting.to_string()],
        |r| Ok((uuid_at(r, 0)?, uuid_at(r, 1)?)),
    )?;
    for (aid, user) in supports {
        if let Some(a) = out.iter_mut().find(|a| a.id == aid) {
            a.supporters.push(user);
        }
    }
    Ok(out)
}

/// A frozen version as stored.
#[derive(Debug, Clone)]
pub struct VersionRecord {
    /// 1, 2, … within the meeting.
    pub number: u32,
    /// When it was frozen, ms since the epoch.
    pub created_at: i64,
    /// Who froze it.
    pub frozen_by: Uuid,
    /// The agreed text.
    pub text: String,
    /// SHA-256 of the text's UTF-8 bytes, hex.
    pub sha256: String,
    /// The Yjs snapshot (state vector and delete set) of the draft then.
    pub snapshot: Vec<u8>,
    /// The draft's whole state then, from which its attribution rebuilds.
    pub state: Vec<u8>,
    /// The moderator's written reason for freezing without a closed
    /// consensus check on this text, or over its blocks.
    pub reason: Option<String>,
}

/// Records a version (the meeting's move to the frozen stage is
/// [`crate::store::move_stage`], in the same transaction).
pub fn insert_version(c: &Txn, meeting: Uuid, v: &VersionRecord) -> WriteResult<()> {
    c.execute(
        "INSERT INTO versions (meeting_id, number, created_at, frozen_by, text, sha256, snapshot, state, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        args![meeting.to_string(), v.number, v.created_at, v.frozen_by.to_string(), v.text, v.sha256, v.snapshot, v.state, v.reason],
    )?;
    Ok(())
}

/// Whether the meeting is frozen.
pub fn is_frozen(c: &Txn, meeting: Uuid) -> WriteResult<bool> {
    Ok(c.query_opt(
        "SELECT frozen FROM meetings WHERE id = ?1",
        args![meeting.to_string()],
        |r| r.get::<bool>(0),
    )?
    .unwrap_or(false))
}

/// A meeting's versions without their Yjs state, oldest first.
pub fn load_versions(c: &Txn, meeting: Uuid) -> WriteResult<Vec<VersionRecord>> {
    c.query(
        "SELECT number, created_at, frozen_by, text, sha256, reason FROM versions WHERE meeting_id = ?1 ORDER BY number",
        args![meeting.to_string()],
        |r| {
        Ok(VersionRecord {
            number: r.get(0)?,
            created_at: r.get(1)?,
            frozen_by: uuid_at(r, 2)?,
            text: r.get(3)?,
            sha256: r.get(4)?,
            snapshot: Vec::new(),
            state: Vec::new(),
            reason: r.get(5)?,
        })
    },
    )
}

/// One version with its Yjs state.
pub fn load_version(c: &Txn, meeting: Uuid, number: u32) -> WriteResult<Option<VersionRecord>> {
    c.query_opt(
        "SELECT number, created_at, frozen_by, text, sha256, snapshot, state, reason FROM versions WHERE meeting_id = ?1 AND number = ?2",
        args![meeting.to_string(), number],
        |r| {
            Ok(VersionRecord {
                number: r.get(0)?,
                created_at: r.get(1)?,
                frozen_by: uuid_at(r, 2)?,
                text: r.get(3)?,
                sha256: r.get(4)?,
                snapshot: r.get(5)?,
                state: r.get(6)?,
                reason: r.get(7)?,
            })
        },
    )
}

/// One line of the attribution journal: what one accepted update did to
/// one clause (or to no clause).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    /// The room, e.g. `draft` or `amendment/{id}`.
    pub room: String,
    /// The update's sequence number in that room's log.
    pub seq: u64,
    /// When it was accepted, ms since the epoch.
    pub time: i64,
    /// The member whose change it is.
    pub user_id: Uuid,
    /// The clause touched, if any.
    pub clause_id: Option<String>,
    /// UTF-16 code units inserted.
    pub inserted: u32,
    /// UTF-16 code units deleted.
    pub deleted: u32,
    /// The moderator who accepted it, for an accepted amendment.
    pub accepted_by: Option<Uuid>,
    /// The amendment it came from.
    pub amendment_id: Option<Uuid>,
    /// For a clause moved: its index before and after.
    pub moved: Option<(u32, u32)>,
}

/// Appends to the journal.
pub fn append_journal(c: &Txn, meeting: Uuid, e: &JournalEntry) -> WriteResult<()> {
    c.execute(
        "INSERT INTO journal (meeting_id, room, seq, time, user_id, clause_id, inserted, deleted, accepted_by, amendment_id, moved_from, moved_to)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        args![
        meeting.to_string(),
        e.room,
        e.seq as i64,
        e.time,
        e.user_id.to_string(),
        e.clause_id,
        e.inserted,
        e.deleted,
        e.accepted_by.map(|u| u.to_string()),
        e.amendment_id.map(|u| u.to_string()),
        e.moved.map(|m| m.0),
        e.moved.map(|m| m.1),
        ],
    )?;
    Ok(())
}

/// The journal of one clause, oldest first.
pub fn clause_journal(c: &Txn, meeting: Uuid, clause: &str) -> WriteResult<Vec<JournalEntry>> {
    c.query(
        "SELECT room, seq, time, user_id, clause_id, inserted, deleted, accepted_by, amendment_id, moved_from, moved_to
         FROM journal WHERE meeting_id = ?1 AND clause_id = ?2 ORDER BY id",
        args![meeting.to_string(), clause],
        |r| {
        Ok(JournalEntry {
            room: r.get(0)?,
            seq: r.get::<i64>(1)? as u64,
            time: r.get(2)?,
            user_id: uuid_at(r, 3)?,
            clause_id: r.get(4)?,
            inserted: r.get(5)?,
            deleted: r.get(6)?,
            accepted_by: opt_uuid_col(r, 7)?,
            amendment_id: opt_uuid_col(r, 8)?,
            moved: match (r.get::<Option<u32>>(9)?, r.get::<Option<u32>>(10)?) {
                (Some(from), Some(to)) => Some((from, to)),
                _ => None,
            },
        })
    },
    )
}
