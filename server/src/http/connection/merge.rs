//! Catching up a connection that is behind: the updates queued for it
//! merged into one frame (the stock client reads one message per frame),
//! each run merged once for every connection behind by the same run.

use bytes::Bytes;
use tokio::sync::broadcast;

use crate::meeting::{LiveRoom, MAX_RUN, Relay, Relayed};

/// The held frame if any, else the next one from the room.
pub(super) async fn next_relayed(
    held: &mut Option<Relay>,
    relay: &mut broadcast::Receiver<Relay>,
) -> Result<Relay, broadcast::error::RecvError> {
    match held.take() {
        Some(r) => Ok(r),
        None => relay.recv().await,
    }
}

/// Sends a connection that is behind one frame instead of many: takes the
/// updates already queued after `first` and merges them (the stock client
/// reads one message per frame, so they are merged, not concatenated).
/// Skips the connection's own updates. A non-update frame met on the way is
/// held back, to go out after the merged updates, keeping the order. A run
/// of consecutive updates is merged through the room's cache, since
/// followers that are behind together need the same runs.
pub(super) fn coalesce(
    conn: u64,
    first: Relayed,
    room: &LiveRoom,
    relay: &mut broadcast::Receiver<Relay>,
    held: &mut Option<Relay>,
) -> Result<Option<Bytes>, ()> {
    let mut run: Vec<Relayed> = Vec::new();
    if first.origin != conn {
        run.push(first);
    }
    // Whether `run` holds every update from its first to its last.
    let mut whole = true;
    while run.len() < MAX_RUN {
        match relay.try_recv() {
            Ok(Relay::Update(next)) => {
                if next.origin == conn {
                    continue;
                }
                if run.last().is_some_and(|q| q.seq + 1 != next.seq) {
                    whole = false;
                }
                run.push(next);
            }
            Ok(other) => {
                *held = Some(other);
                break;
            }
            // A lag is noticed (and acted on) at the next `recv`.
            Err(_) => break,
        }
    }
    if run.is_empty() {
        return Ok(None);
    }
    let run: Vec<&Relayed> = run.iter().collect();
    // Cannot fail for updates the room itself produced; if it does, the
    // connection resyncs rather than miss them.
    room.fanout.merge_run(&run, whole).map(Some).ok_or(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use uuid::Uuid;
    use yrs::sync::{Message, SyncMessage};
    use yrs::updates::encoder::Encode;
    use yrs::{Text, Transact};

    use super::*;
    use crate::http::connection::tests::text_of;
    use crate::meeting::live_room::RoomSizes;
    use crate::room::{Kind, RoomDoc, new_doc};

    fn room() -> Arc<LiveRoom> {
        let sizes = RoomSizes {
            backlog: 64,
            compact_every: 1000,
            idle: Duration::from_secs(30),
        };
        let doc = RoomDoc::empty(Kind::Amendment);
        LiveRoom::new(Uuid::new_v4(), "draft".parse().unwrap(), doc, sizes)
    }

    /// Relays `typed` (connection, words) as one update each, with
    /// sequence numbers from 1.
    fn relay_typing(tx: &broadcast::Sender<Relay>, typed: &[(u64, &str)]) {
        let doc = new_doc();
        let text = doc.get_or_insert_text("t");
        for (seq, (origin, words)) in (1..).zip(typed) {
            let mut txn = doc.transact_mut();
            let at = text.len(&txn);
            text.insert(&mut txn, at, words);
            let update = txn.encode_update_v1();
            drop(txn);
            let frame = Message::Sync(SyncMessage::Update(update.clone())).encode_v1();
            let relay = Relay::Update(Relayed {
                origin: *origin,
                seq,
                update: update.into(),
                frame: frame.into(),
            });
            tx.send(relay).unwrap();
        }
    }

    /// What connection `conn` sends for the frames queued on `rx`.
    fn next_frame(conn: u64, room: &LiveRoom, rx: &mut broadcast::Receiver<Relay>) -> Bytes {
        let Ok(Relay::Update(first)) = rx.try_recv() else {
            panic!("no update queued")
        };
        let mut held = None;
        coalesce(conn, first, room, rx, &mut held)
            .unwrap()
            .expect("a frame")
    }

    #[test]
    fn followers_behind_by_the_same_run_share_one_merge() {
        let room = room();
        let (tx, mut a) = broadcast::channel(64);
        let mut b = tx.subscribe();
        relay_typing(&tx, &[(7, "Misja "), (7, "Krakowa "), (7, "zażółć 🙂")]);
        let merged_a = next_frame(1, &room, &mut a);
        assert_eq!(text_of(&merged_a), "Misja Krakowa zażółć 🙂");
        let merged_b = next_frame(2, &room, &mut b);
        // The same bytes, not an equal copy: the second came from the cache.
        assert_eq!(merged_a.as_ptr(), merged_b.as_ptr());
    }

    #[test]
    fn a_run_missing_an_own_update_is_not_shared() {
        let room = room();
        let (tx, mut writer) = broadcast::channel(64);
        let mut follower = tx.subscribe();
        // Connection 3 wrote the middle update.
        relay_typing(&tx, &[(7, "ab"), (3, "cd"), (7, "ef")]);
        // It is sent 1 and 3 only; its own document has 2.
        let mine = next_frame(3, &room, &mut writer);
        assert_eq!(text_of(&mine), "ab", "the third waits for the second");
        // A follower needs all three, not that run.
        let all = next_frame(4, &room, &mut follower);
        assert_eq!(text_of(&all), "abcdef");
    }
}
