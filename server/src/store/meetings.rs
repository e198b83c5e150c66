//! Meetings, their members and the Yjs client IDs bound to them.

use uuid::Uuid;

use crate::store::error::WriteResult;
use crate::store::sql::{DbError, Row, args};
use crate::store::txn::Txn;

/// A meeting's row and its members, as loaded.
#[derive(Debug, Clone)]
pub struct MeetingRecord {
    /// The meeting's id.
    pub id: Uuid,
    /// Its title.
    pub title: String,
    /// Creation time, ms since the epoch.
    pub created_at: i64,
    /// SHA-256 of the participant invite.
    pub participant_invite_hash: Vec<u8>,
    /// SHA-256 of the observer invite.
    pub observer_invite_hash: Vec<u8>,
    /// Its language's tag (`pl`, `en`).
    pub language: String,
    /// Its stage (see `draftroom_shared::Stage`); `None` for a meeting
    /// stored before stages.
    pub stage: Option<String>,
    /// Whether it runs the whole workshop.
    pub workshop: bool,
}

/// One member of a meeting, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// The member's id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// Role name (see `draftroom_shared::Role`).
    pub role: String,
    /// Display colour, `#rrggbb`.
    pub colour: String,
    /// SHA-256 of the member's token.
    pub token_hash: Vec<u8>,
    /// When they joined, ms since the epoch.
    pub joined_at: i64,
}

/// Inserts a new meeting row.
pub fn insert_meeting(txn: &Txn, m: &MeetingRecord) -> WriteResult<()> {
    txn.execute(
        "INSERT INTO meetings (id, title, created_at, participant_invite_hash, observer_invite_hash, language, stage, workshop) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        args![m.id.to_string(), m.title, m.created_at, m.participant_invite_hash, m.observer_invite_hash, m.language, m.stage, m.workshop],
    )?;
    Ok(())
}

/// Replaces the invite hashes of a meeting.
pub fn update_invites(
    txn: &Txn,
    meeting: Uuid,
    participant: &[u8],
    observer: &[u8],
) -> WriteResult<()> {
    txn.execute(
        "UPDATE meetings SET participant_invite_hash = ?2, observer_invite_hash = ?3 WHERE id = ?1",
        args![meeting.to_string(), participant, observer],
    )?;
    Ok(())
}

/// Gives a meeting a new participant code in place of any it had: `fresh`
/// draws a code and its hash until one is not another meeting's. Answers
/// the code and its hash.
pub fn replace_participant_code(
    txn: &Txn,
    meeting: Uuid,
    mut fresh: impl FnMut() -> (String, Vec<u8>),
) -> WriteResult<(String, Vec<u8>)> {
    let key = meeting.to_string();
    txn.execute(
        "DELETE FROM participant_codes WHERE meeting_id = ?1",
        args![key],
    )?;
    loop {
        let (code, hash) = fresh();
        let inserted = txn.execute(
            "INSERT INTO participant_codes (code_hash, meeting_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            args![hash, key],
        )?;
        if inserted == 1 {
            return Ok((code, hash));
        }
    }
}

/// The meeting whose participant code has this hash, if any.
pub fn meeting_of_code(txn: &Txn, code_hash: &[u8]) -> WriteResult<Option<Uuid>> {
    txn.query_opt(
        "SELECT meeting_id FROM participant_codes WHERE code_hash = ?1",
        args![code_hash],
        |r| uuid_at(r, 0),
    )
}

/// Inserts a member.
pub fn insert_user(txn: &Txn, meeting: Uuid, u: &UserRecord) -> WriteResult<()> {
    txn.execute(
        "INSERT INTO users (id, meeting_id, name, role, colour, token_hash, joined_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        args![u.id.to_string(), meeting.to_string(), u.name, u.role, u.colour, u.token_hash, u.joined_at],
    )?;
    Ok(())
}

/// Changes a member's role.
pub fn update_role(txn: &Txn, user: Uuid, role: &str) -> WriteResult<()> {
    txn.execute(
        "UPDATE users SET role = ?2 WHERE id = ?1",
        args![user.to_string(), role],
    )?;
    Ok(())
}

/// Binds a Yjs client ID to a member for the whole meeting.
pub fn insert_binding(txn: &Txn, meeting: Uuid, client: u64, user: Uuid) -> WriteResult<()> {
    txn.execute(
        "INSERT INTO client_bindings (meeting_id, client_id, user_id) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        args![meeting.to_string(), client as i64, user.to_string()],
    )?;
    Ok(())
}

/// Everything needed to bring a meeting back into memory.
pub struct LoadedMeeting {
    /// The meeting row.
    pub meeting: MeetingRecord,
    /// Its members.
    pub users: Vec<UserRecord>,
    /// Yjs client ID → member.
    pub bindings: Vec<(u64, Uuid)>,
    /// SHA-256 of its participant code (None: a meeting from before codes
    /// whose participant invite was not replaced since).
    pub participant_code_hash: Option<Vec<u8>>,
}

/// A UUID stored as text; a malformed one is an error.
pub(super) fn parse_uuid(s: String, col: usize) -> WriteResult<Uuid> {
    Uuid::parse_str(&s).map_err(|e| DbError::Decode {
        col,
        why: format!("not a UUID ({e})"),
    })
}

/// Column `i` of a row, a UUID stored as text.
pub(super) fn uuid_at(r: &Row<'_>, i: usize) -> WriteResult<Uuid> {
    parse_uuid(r.get(i)?, i)
}

/// A `users` row selected as `id, name, role, colour, token_hash, joined_at`.
fn user_row(r: &Row<'_>) -> WriteResult<UserRecord> {
    Ok(UserRecord {
        id: uuid_at(r, 0)?,
        name: r.get(1)?,
        role: r.get(2)?,
        colour: r.get(3)?,
        token_hash: r.get(4)?,
        joined_at: r.get(5)?,
    })
}

/// The member of `meeting` whose token hashes to `token_hash`, if any.
pub fn user_by_token(
    txn: &Txn,
    meeting: Uuid,
    token_hash: &[u8],
) -> WriteResult<Option<UserRecord>> {
    txn.query_opt(
        "SELECT id, name, role, colour, token_hash, joined_at FROM users WHERE token_hash = ?1 AND meeting_id = ?2",
        args![token_hash.to_vec(), meeting.to_string()],
        user_row,
    )
}

/// Loads a meeting with its members and bindings; `None` if it does not exist.
pub fn load_meeting(txn: &Txn, id: Uuid) -> WriteResult<Option<LoadedMeeting>> {
    let key = id.to_string();
    let meeting = txn.query_opt(
        "SELECT title, created_at, participant_invite_hash, observer_invite_hash, language, stage, workshop FROM meetings WHERE id = ?1",
        args![key],
        |r| {
            Ok(MeetingRecord {
                id,
                title: r.get(0)?,
                created_at: r.get(1)?,
                participant_invite_hash: r.get(2)?,
                observer_invite_hash: r.get(3)?,
                language: r.get(4)?,
                stage: r.get(5)?,
                workshop: r.get(6)?,
            })
        },
    )?;
    let Some(meeting) = meeting else {
        return Ok(None);
    };
    let users = txn.query(
        "SELECT id, name, role, colour, token_hash, joined_at FROM users WHERE meeting_id = ?1 ORDER BY joined_at, rowid",
        args![key],
        user_row,
    )?;
    let bindings = txn.query(
        "SELECT client_id, user_id FROM client_bindings WHERE meeting_id = ?1",
        args![key],
        |r| Ok((r.get::<i64>(0)? as u64, uuid_at(r, 1)?)),
    )?;
    let participant_code_hash = txn.query_opt(
        "SELECT code_hash FROM participant_codes WHERE meeting_id = ?1",
        args![key],
        |r| r.get(0),
    )?;
    Ok(Some(LoadedMeeting {
        meeting,
        users,
        bindings,
        participant_code_hash,
    }))
}
