//! Which process owns which meeting, when several share one PostgreSQL
//! database (these statements are PostgreSQL's only: SQLite has one
//! process and no such table).
//!
//! Ownership is a lease with an epoch. A process claims a meeting whose
//! lease is free or has expired, which raises the epoch; it renews its
//! leases well before they expire; and every batch it commits locks the
//! lease rows of its meetings and checks their epochs inside the
//! transaction (see [`holds`]), so a process that lost a lease commits
//! nothing more for that meeting, however long it was paused. Expiry is
//! read off PostgreSQL's clock, never a process's.

use uuid::Uuid;

use crate::store::error::WriteResult;
use crate::store::meetings::parse_uuid;
use crate::store::sql::args;
use crate::store::txn::Txn;

/// PostgreSQL's clock, in ms since the epoch.
macro_rules! now_ms {
    () => {
        "(extract(epoch from clock_timestamp()) * 1000)::bigint"
    };
}

/// Who owns a meeting, as the lease table says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ownership {
    /// This process, under this epoch.
    Mine {
        /// The lease's epoch, which every commit checks.
        epoch: i64,
    },
    /// Another process, whose lease has not expired.
    Theirs {
        /// That process.
        process: Uuid,
        /// Where it takes forwarded requests (`host:port`).
        address: String,
        /// Its lease's epoch.
        epoch: i64,
    },
    /// No meeting has this id.
    NoSuchMeeting,
}

/// Claims meeting `meeting` for `process` (reachable at `address`) for
/// `lease_ms`, unless another process holds an unexpired lease on it (or
/// no such meeting exists).
/// Taking over an expired lease raises its epoch; a process that already
/// holds the lease keeps its epoch and has it renewed.
pub fn claim_meeting(
    c: &Txn,
    meeting: Uuid,
    process: Uuid,
    address: &str,
    lease_ms: i64,
) -> WriteResult<Ownership> {
    let (key, me) = (meeting.to_string(), process.to_string());
    let claimed = c.query_opt(
        concat!(
            "INSERT INTO meeting_owners (meeting_id, process_id, address, epoch, expires_at)
             SELECT ?1, ?2, ?3, 1, ",
            now_ms!(),
            " + ?4
             WHERE EXISTS (SELECT 1 FROM meetings WHERE id = ?1)
             ON CONFLICT (meeting_id) DO UPDATE SET
                 process_id = excluded.process_id,
                 address = excluded.address,
                 epoch = CASE WHEN meeting_owners.process_id = excluded.process_id
                              THEN meeting_owners.epoch ELSE meeting_owners.epoch + 1 END,
                 expires_at = excluded.expires_at
             WHERE meeting_owners.process_id = excluded.process_id
                OR meeting_owners.expires_at < ",
            now_ms!(),
            "
             RETURNING epoch"
        ),
        args![key, me, address, lease_ms],
        |r| r.get::<i64>(0),
    )?;
    if let Some(epoch) = claimed {
        return Ok(Ownership::Mine { epoch });
    }
    Ok(c.query_opt(
        "SELECT process_id, address, epoch FROM meeting_owners WHERE meeting_id = ?1",
        args![key],
        |r| {
            Ok(Ownership::Theirs {
                process: parse_uuid(r.get(0)?, 0)?,
                address: r.get(1)?,
                epoch: r.get(2)?,
            })
        },
    )?
    .unwrap_or(Ownership::NoSuchMeeting))
}

/// Takes `meeting` over from a process that is gone (its address refuses
/// connections) before its lease expires: the epoch rises, so whatever that
/// process might still try to commit is refused. Nothing changes if the
/// lease moved on from `epoch` meanwhile (answers None then).
pub fn take_over(
    c: &Txn,
    meeting: Uuid,
    epoch: i64,
    process: Uuid,
    address: &str,
    lease_ms: i64,
) -> WriteResult<Option<i64>> {
    c.query_opt(
        concat!(
            "UPDATE meeting_owners SET process_id = ?3, address = ?4, epoch = epoch + 1,
                 expires_at = ",
            now_ms!(),
            " + ?5
             WHERE meeting_id = ?1 AND epoch = ?2
             RETURNING epoch"
        ),
        args![
            meeting.to_string(),
            epoch,
            process.to_string(),
            address,
            lease_ms
        ],
        |r| r.get::<i64>(0),
    )
}

/// Renews `process`'s lease on `meeting` under `epoch` for `lease_ms`;
/// false if it is no longer its own (another process took it over).
pub fn renew_lease(
    c: &Txn,
    meeting: Uuid,
    process: Uuid,
    epoch: i64,
    lease_ms: i64,
) -> WriteResult<bool> {
    let renewed = c.execute(
        concat!(
            "UPDATE meeting_owners SET expires_at = ",
            now_ms!(),
            " + ?4 WHERE meeting_id = ?1 AND process_id = ?2 AND epoch = ?3"
        ),
        args![meeting.to_string(), process.to_string(), epoch, lease_ms],
    )?;
    Ok(renewed == 1)
}

/// Gives a lease up at once (the meeting was unloaded, or the process
/// stops), so that another process need not wait for it to expire.
pub fn release_lease(c: &Txn, meeting: Uuid, process: Uuid, epoch: i64) -> WriteResult<()> {
    c.execute(
        "UPDATE meeting_owners SET expires_at = 0
         WHERE meeting_id = ?1 AND process_id = ?2 AND epoch = ?3",
        args![meeting.to_string(), process.to_string(), epoch],
    )?;
    Ok(())
}

/// Whether `process` still holds `meeting` under `epoch`, locking the
/// lease's row until the transaction ends: a takeover waits for this
/// transaction, and this transaction sees a takeover that came first.
pub fn holds(c: &Txn, meeting: Uuid, process: Uuid, epoch: i64) -> WriteResult<bool> {
    Ok(c.query_opt(
        "SELECT 1 FROM meeting_owners
         WHERE meeting_id = ?1 AND process_id = ?2 AND epoch = ?3
         FOR SHARE",
        args![meeting.to_string(), process.to_string(), epoch],
        |_| Ok(()),
    )?
    .is_some())
}

/// The secret the processes of one database show each other, made by the
/// first to ask (`fresh` is its candidate).
pub fn cluster_secret(c: &Txn, fresh: &[u8]) -> WriteResult<Vec<u8>> {
    c.execute(
        "INSERT INTO cluster_secret (secret) VALUES (?1) ON CONFLICT DO NOTHING",
        args![fresh],
    )?;
    c.query_one("SELECT secret FROM cluster_secret", &[], |r| r.get(0))
}
