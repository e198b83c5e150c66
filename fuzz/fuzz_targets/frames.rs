//! The y-websocket message decoder: any bytes a client can send in one
//! binary frame. A frame either splits exactly into messages that each
//! decode, with nothing left over, or is refused as a whole; an awareness
//! message is checked against the size limits and applied as the server
//! would, without panicking. Updates inside are checked (`wire`) and
//! applied to a fresh document as a room would.

#![no_main]

use std::collections::HashMap;

use draftroom_server::room::{Author, Kind, RoomDoc, new_doc};
use draftroom_server::room::frame::{MAX_PRESENCE_IDS, split_messages};
use libfuzzer_sys::fuzz_target;
use yrs::sync::{Awareness, Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{ReadTxn, Transact};

fuzz_target!(|frame: &[u8]| {
    let Ok(parts) = split_messages(frame) else {
        return;
    };
    // The parts are the frame, in order, with nothing dropped.
    assert_eq!(parts.concat(), frame);
    for part in parts {
        let Ok(message) = Message::decode_v1(part) else {
            continue;
        };
        match message {
            Message::Sync(SyncMessage::SyncStep2(u) | SyncMessage::Update(u)) => {
                // As a room takes it from a member who may write.
                let mut room = RoomDoc::empty(Kind::Draft);
                let author = Author {
                    user: uuid::Uuid::from_u128(1),
                    may_write: Ok(()),
                };
                let _ = room.apply(&u, &author, &HashMap::new());
            }
            Message::Sync(SyncMessage::SyncStep1(sv)) => {
                // The server answers with its diff against this vector.
                let doc = new_doc();
                let _ = doc.transact().encode_state_as_update_v1(&sv);
            }
            Message::Awareness(update) => {
                let big = update.clients.values().map(|e| e.json.len()).max();
                if big.is_some_and(|b| b > 16 << 10) || update.clients.len() > MAX_PRESENCE_IDS {
                    continue;
                }
                let mut awareness = Awareness::new(new_doc());
                if awareness.apply_update(update).is_ok() {
                    let again = awareness
                        .update()
                        .map(|u| Message::Awareness(u).encode_v1());
                    assert!(again.is_ok());
                }
            }
            _ => {}
        }
    }
});
