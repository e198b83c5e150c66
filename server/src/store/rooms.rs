//! Each room's update log, its snapshot, the clients it refused, and (in
//! the draft) where the words of moved clauses went.

use rusqlite::{Connection, OptionalExtension, params};

use crate::store::error::WriteResult;

/// Appends one update to a room's log.
pub fn append_update(txn: &Connection, room: &str, seq: u64, data: &[u8]) -> WriteResult<()> {
    txn.prepare_cached("INSERT INTO room_updates (room, seq, data) VALUES (?1, ?2, ?3)")?
        .execute(params![room, seq as i64, data])?;
    Ok(())
}

/// Replaces a room's snapshot with its state at `seq` and drops the log up to it.
pub fn compact_room(txn: &Connection, room: &str, seq: u64, state: &[u8]) -> WriteResult<()> {
    txn.execute(
        "INSERT INTO room_snapshots (room, seq, data) VALUES (?1, ?2, ?3)
         ON CONFLICT(room) DO UPDATE SET seq = excluded.seq, data = excluded.data",
        params![room, seq as i64, state],
    )?;
    txn.execute(
        "DELETE FROM room_updates WHERE room = ?1 AND seq <= ?2",
        params![room, seq as i64],
    )?;
    Ok(())
}

/// Records that a Yjs client's items were refused in a room, for good.
pub fn insert_refused_client(txn: &Connection, room: &str, client: u64) -> WriteResult<()> {
    txn.execute(
        "INSERT OR IGNORE INTO refused_clients (room, client_id) VALUES (?1, ?2)",
        params![room, client as i64],
    )?;
    Ok(())
}

/// Records, with the update `seq` of a room, where that update moved or
/// carried words (a `moved::MoveRecord`, as JSON).
pub fn append_moved_texts(txn: &Connection, room: &str, seq: u64, data: &str) -> WriteResult<()> {
    txn.prepare_cached("INSERT INTO moved_texts (room, seq, data) VALUES (?1, ?2, ?3)")?
        .execute(params![room, seq as i64, data])?;
    Ok(())
}

/// A room as stored: its snapshot, the log after it, refused clients.
#[derive(Debug, Default)]
pub struct LoadedRoom {
    /// The compacted state, if any, and the sequence number it covers.
    pub snapshot: Option<(u64, Vec<u8>)>,
    /// Updates after the snapshot, in order.
    pub updates: Vec<(u64, Vec<u8>)>,
    /// Yjs client IDs whose items this room refused.
    pub refused_clients: Vec<u64>,
    /// Where words of moved clauses went, oldest first (JSON records).
    pub moved_texts: Vec<String>,
}

/// Loads a room's stored state.
pub fn load_room(txn: &Connection, room: &str) -> WriteResult<LoadedRoom> {
    let snapshot = txn
        .query_row(
            "SELECT seq, data FROM room_snapshots WHERE room = ?1",
            [room],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, Vec<u8>>(1)?)),
        )
        .optional()?;
    let after = snapshot.as_ref().map_or(-1, |(s, _)| *s as i64);
    let mut stmt = txn.prepare_cached(
        "SELECT seq, data FROM room_updates WHERE room = ?1 AND seq > ?2 ORDER BY seq",
    )?;
    let updates = stmt
        .query_map(params![room, after], |r| {
            Ok((r.get::<_, i64>(0)? as u64, r.get::<_, Vec<u8>>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut stmt = txn.prepare_cached("SELECT client_id FROM refused_clients WHERE room = ?1")?;
    let refused_clients = stmt
        .query_map([room], |r| Ok(r.get::<_, i64>(0)? as u64))?
        .collect::<Result<Vec<_>, _>>()?;
    let mut stmt =
        txn.prepare_cached("SELECT data FROM moved_texts WHERE room = ?1 ORDER BY seq")?;
    let moved_texts = stmt
        .query_map([room], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(LoadedRoom {
        snapshot,
        updates,
        refused_clients,
        moved_texts,
    })
}
