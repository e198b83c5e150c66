//! A y-websocket frame split into its protocol messages (sync, awareness,
//! auth, query awareness) by their framing alone, each message's payload
//! checked before the Yjs library decodes it.

use crate::room::bytes::Reader;
use crate::room::wire::{check_awareness, check_state_vector};

/// Presence (awareness) client IDs one connection may set: a browser tab
/// has one, and a reload a new one.
pub const MAX_PRESENCE_IDS: usize = 8;

/// Splits a frame into its protocol messages by their framing (type, then
/// length-prefixed payloads), so that a truncated message or trailing bytes
/// are an error rather than silently dropped.
pub fn split_messages(frame: &[u8]) -> Result<Vec<&[u8]>, String> {
    let bad = |why: &str| why.to_owned();
    let mut r = Reader::new(frame);
    let mut out = Vec::new();
    while r.left() > 0 {
        let start = r.pos();
        let kind = r.var().map_err(|_| bad("truncated message type"))?;
        match kind {
            // sync: a sub-type, then one length-prefixed payload (a state
            // vector for step 1; updates are checked where they apply)
            0 => {
                let sub = r.var().map_err(|_| bad("truncated sync message"))?;
                let payload = r.bytes().map_err(|_| bad("truncated sync message"))?;
                if sub == 0 {
                    check_state_vector(payload)
                        .map_err(|why| bad(&format!("sync step 1: {why}")))?;
                }
            }
            // awareness: one length-prefixed payload
            1 => {
                let payload = r.bytes().map_err(|_| bad("truncated awareness message"))?;
                check_awareness(payload).map_err(|why| bad(&format!("awareness: {why}")))?;
            }
            // auth: permission, then (if denied) a reason
            2 => {
                let permission = r.var().map_err(|_| bad("truncated auth message"))?;
                if permission == 0 {
                    r.bytes().map_err(|_| bad("truncated auth message"))?;
                }
            }
            // query awareness: nothing more
            3 => {}
            other => return Err(bad(&format!("unknown message type {other}"))),
        }
        out.push(&frame[start..r.pos()]);
    }
    if out.is_empty() {
        return Err(bad("empty frame"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::sync::{Message, SyncMessage};
    use yrs::updates::encoder::Encode;

    #[test]
    fn frames_split_exactly_into_messages() {
        let step1 = Message::Sync(SyncMessage::SyncStep1(Default::default())).encode_v1();
        let query = Message::AwarenessQuery.encode_v1();
        let denied = Message::Auth(Some("nie".into())).encode_v1();
        let frame = [step1.clone(), query.clone(), denied.clone()].concat();
        let parts = split_messages(&frame).unwrap();
        assert_eq!(parts, vec![&step1[..], &query[..], &denied[..]]);
        // A whole message followed by a cut-off one is malformed, not
        // quietly shortened.
        let cut = [step1.clone(), vec![0, 2, 0xff]].concat();
        let refused = |frame: &[u8]| split_messages(frame).unwrap_err();
        assert_eq!(refused(&cut), "truncated sync message");
        assert_eq!(refused(&[]), "empty frame");
        assert_eq!(refused(&[0x09, 0x00]), "unknown message type 9");
        assert_eq!(refused(&[0xff; 12]), "truncated message type");
        assert_eq!(refused(&[1, 0x85]), "truncated awareness message");
    }
}
