//! Each room's update log, its snapshot, the clients it refused, and (in
//! the draft) where the words of moved clauses went.

use crate::store::error::WriteResult;
use crate::store::sql::args;
use crate::store::txn::Txn;

/// Appends one update to a room's log.
pub fn append_update(txn: &Txn, room: &str, seq: u64, data: &[u8]) -> WriteResult<()> {
    txn.execute(
        "INSERT INTO room_updates (room, seq, data) VALUES (?1, ?2, ?3)",
        args![room, seq as i64, data],
    )?;
    Ok(())
}

/// Replaces a room's snapshot with its state at `seq` and drops the log up to it.
pub fn compact_room(txn: &Txn, room: &str, seq: u64, state: &[u8]) -> WriteResult<()> {
    txn.execute(
        "INSERT INTO room_snapshots (room, seq, data) VALUES (?1, ?2, ?3)
         ON CONFLICT(room) DO UPDATE SET seq = excluded.seq, data = excluded.data",
        args![room, seq as i64, state],
    )?;
    txn.execute(
        "DELETE FROM room_updates WHERE room = ?1 AND seq <= ?2",
        args![room, seq as i64],
    )?;
    Ok(())
}

/// Records that a Yjs client's items were refused in a room, for good.
pub fn insert_refused_client(txn: &Txn, room: &str, client: u64) -> WriteResult<()> {
    txn.execute(
        "INSERT INTO refused_clients (room, client_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        args![room, client as i64],
    )?;
    Ok(())
}

/// Records, with the update `seq` of a room, where that update moved or
/// carried words (a `moved::MoveRecord`, as JSON).
pub fn append_moved_texts(txn: &Txn, room: &str, seq: u64, data: &str) -> WriteResult<()> {
    txn.execute(
        "INSERT INTO moved_texts (room, seq, data) VALUES (?1, ?2, ?3)",
        args![room, seq as i64, data],
    )?;
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
pub fn load_room(txn: &Txn, room: &str) -> WriteResult<LoadedRoom> {
    let snapshot = txn.query_opt(
        "SELECT seq, data FROM room_snapshots WHERE room = ?1",
        args![room],
        |r| Ok((r.get::<i64>(0)? as u64, r.get::<Vec<u8>>(1)?)),
    )?;
    let after = snapshot.as_ref().map_or(-1, |(s, _)| *s as i64);
    let updates = txn.query(
        "SELECT seq, data FROM room_updates WHERE room = ?1 AND seq > ?2 ORDER BY seq",
        args![room, after],
        |r| Ok((r.get::<i64>(0)? as u64, r.get::<Vec<u8>>(1)?)),
    )?;
    let refused_clients = txn.query(
        "SELECT client_id FROM refused_clients WHERE room = ?1",
        args![room],
        |r| Ok(r.get::<i64>(0)? as u64),
    )?;
    let moved_texts = txn.query(
        "SELECT data FROM moved_texts WHERE room = ?1 ORDER BY seq",
        args![room],
        |r| r.get::<String>(0),
    )?;
    Ok(LoadedRoom {
        snapshot,
        updates,
        refused_clients,
        moved_texts,
    })
}

/// What a copy of a room holding updates up to `after` lacks: the snapshot
/// if it covers more than that (the log before it is gone), then the
/// updates after both, in order.
pub fn room_since(txn: &Txn, room: &str, after: u64) -> WriteResult<LoadedRoom> {
    let snapshot = txn.query_opt(
        "SELECT seq, data FROM room_snapshots WHERE room = ?1 AND seq > ?2",
        args![room, after as i64],
        |r| Ok((r.get::<i64>(0)? as u64, r.get::<Vec<u8>>(1)?)),
    )?;
    let from = snapshot.as_ref().map_or(after, |(s, _)| *s);
    let updates = txn.query(
        "SELECT seq, data FROM room_updates WHERE room = ?1 AND seq > ?2 ORDER BY seq",
        args![room, from as i64],
        |r| Ok((r.get::<i64>(0)? as u64, r.get::<Vec<u8>>(1)?)),
    )?;
    Ok(LoadedRoom {
        snapshot,
        updates,
        ..LoadedRoom::default()
    })
}
