//! Checks of the bytes a client sends, made before the Yjs library decodes
//! them. The library trusts the counts and nesting its formats declare: a
//! five-byte update claiming 2^28 clients makes it reserve half a gigabyte,
//! and an update of a few hundred kilobytes nesting arrays 100,000 deep
//! overflows the stack and aborts the whole process. These checks walk the
//! same formats without allocating and refuse, as malformed, any count that
//! the bytes left could not hold and any nesting deeper than
//! [`MAX_NESTING`]; everything else is left to the library.
//!
//! The formats are Yjs's update (v1), state vector and awareness update,
//! with lib0's variable-length integers, strings and `Any` values.

use crate::room::bytes::Reader;

/// Deepest nesting of `Any` arrays and maps accepted in an update. Yjs
/// clients store JSON-like values there; real ones are a few levels deep.
pub(crate) const MAX_NESTING: usize = 64;

pub(crate) use crate::room::bytes::Refused;

/// An item's ID: client and clock.
pub(crate) type Id = (u64, u64);

/// Where a block says it goes, as far as its bytes tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// Next to its left origin.
    After(Id),
    /// Before its right origin (no left origin).
    Before(Id),
    /// First in the root type of this name.
    Root(String),
    /// First in the type made by the item of this ID.
    In(Id),
    /// A garbage-collected or skipped range: nowhere.
    Nowhere,
}

/// One block of an update: its IDs, where it goes, and what it holds.
#[derive(Debug, Clone)]
pub struct Block {
    /// Its first ID.
    pub id: Id,
    /// How many clock ticks it takes.
    pub len: u64,
    /// Where it goes.
    pub place: Place,
    /// Its content kind (Yjs numbers: 4 is a string, 7 a shared type).
    pub kind: u8,
}

/// A client ID: Yjs makes them 32 bits; the library takes at most 53.
fn client(r: &mut Reader) -> Result<u64, Refused> {
    let id = r.var()?;
    if id >> 53 != 0 {
        return Err(format!("client id {id} is over 53 bits"));
    }
    Ok(id)
}

/// An item ID: client and clock.
fn id(r: &mut Reader) -> Result<Id, Refused> {
    let client = client(r)?;
    let clock = r.var()?;
    Ok((client, clock))
}

/// Checks a Yjs update (v1) as a client sends it, and lists its blocks.
pub(crate) fn blocks_v1(bytes: &[u8]) -> Result<Vec<Block>, Refused> {
    let mut r = Reader::new(bytes);
    let clients = r.count(3, "clients")?;
    // Yjs writes each client once, with at least one block; the library
    // appends a repeated client's blocks to its first run (overlapping
    // clocks) and keeps an empty run, and then divides by zero.
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for _ in 0..clients {
        let blocks = r.count(1, "blocks")?;
        let client = client(&mut r)?;
        let mut clock = r.var()?;
        if blocks == 0 {
            return Err(format!("client {client} with no blocks"));
        }
        if seen.contains(&client) {
            return Err(format!("client {client} twice"));
        }
        seen.push(client);
        for _ in 0..blocks {
            let (len, place, kind) = block(&mut r)?;
            out.push(Block {
                id: (client, clock),
                len,
                place,
                kind,
            });
            // Clocks are 32 bits in the library; past that they wrap and
            // its searches divide by zero. A length near 2^64 would wrap
            // this sum too, back under the limit: checked, not added.
            clock = match clock.checked_add(len) {
                Some(end) if end <= u64::from(u32::MAX) => end,
                _ => return Err(format!("client {client}'s clock runs past 2^32")),
            };
        }
    }
    // The delete set.
    let clients = r.count(2, "clients in the delete set")?;
    for _ in 0..clients {
        client(&mut r)?;
        let ranges = r.count(2, "deleted ranges")?;
        for _ in 0..ranges {
            let clock = r.var()?;
            let len = r.var()?;
            if clock.saturating_add(len) > u64::from(u32::MAX) {
                return Err("a deleted range runs past 2^32".into());
            }
        }
    }
    if r.left() > 0 {
        return Err(format!("{} bytes after the update", r.left()));
    }
    Ok(out)
}

/// One block of an update, as the library reads it; answers its length
/// in clock ticks, where it goes and its content kind.
fn block(r: &mut Reader) -> Result<(u64, Place, u8), Refused> {
    const HAS_ORIGIN: u8 = 0x80;
    const HAS_RIGHT_ORIGIN: u8 = 0x40;
    const HAS_PARENT_SUB: u8 = 0x20;
    let info = r.u8()?;
    match info {
        // Garbage collected, or skipped: a length.
        0 | 10 => {
            return match r.var()? {
                0 => Err("a range of length zero".into()),
                len => Ok((len, Place::Nowhere, info)),
            };
        }
        _ => {}
    }
    let origin = if info & HAS_ORIGIN != 0 {
        Some(id(r)?)
    } else {
        None
    };
    let right = if info & HAS_RIGHT_ORIGIN != 0 {
        Some(id(r)?)
    } else {
        None
    };
    let place = match (origin, right) {
        (Some(o), _) => Place::After(o),
        (None, Some(o)) => Place::Before(o),
        (None, None) => {
            let place = if r.var()? == 1 {
                Place::Root(String::from_utf8_lossy(r.bytes()?).into_owned())
            } else {
                Place::In(id(r)?)
            };
            if info & HAS_PARENT_SUB != 0 {
                r.string()?;
            }
            place
        }
    };
    // Content of length zero is refused: Yjs never makes it, and the
    // library divides by a block's length when it integrates one.
    let len = match info & 0x0f {
        // Deleted: a length.
        1 => r.var()?,
        // Legacy JSON content: Yjs 13 no longer writes it, and the library
        // reads one string more than it writes, so what it would relay
        // would differ from what the client has.
        2 => return Err("legacy JSON content is not accepted".into()),
        // Binary, embed (JSON text).
        3 | 5 => {
            r.string()?;
            1
        }
        4 => r.text()?,
        // Format: key and JSON text.
        6 => {
            r.string()?;
            r.string()?;
            1
        }
        // A shared type: its kind, and an XML element's name.
        7 => {
            if r.u8()? == 3 {
                r.string()?;
            }
            1
        }
        8 => {
            let n = r.count(1, "values")?;
            for _ in 0..n {
                any(r, 0)?;
            }
            n
        }
        // A subdocument. Draftroom has none, and the library does not free
        // them when a document is dropped (about 3 KB each, kept for good
        // once the room unloads).
        9 => return Err("subdocuments are not accepted".into()),
        other => return Err(format!("unknown content kind {other}")),
    };
    if len == 0 {
        return Err("content of length zero".into());
    }
    Ok((len, place, info & 0x0f))
}

/// One lib0 `Any` value.
fn any(r: &mut Reader, depth: usize) -> Result<(), Refused> {
    if depth >= MAX_NESTING {
        return Err(format!("values nested deeper than {MAX_NESTING}"));
    }
    match r.u8()? {
        // undefined, null, false, true
        127 | 126 | 121 | 120 => Ok(()),
        125 => r.var().map(|_| ()),
        124 => r.skip(4),
        123 | 122 => r.skip(8),
        119 | 116 => r.string(),
        118 => {
            let n = r.count(2, "map entries")?;
            for _ in 0..n {
                r.string()?;
                any(r, depth + 1)?;
            }
            Ok(())
        }
        117 => {
            let n = r.count(1, "array items")?;
            for _ in 0..n {
                any(r, depth + 1)?;
            }
            Ok(())
        }
        other => Err(format!("unknown value kind {other}")),
    }
}

/// Checks a state vector (a sync step 1's payload).
pub(crate) fn check_state_vector(bytes: &[u8]) -> Result<(), Refused> {
    let mut r = Reader::new(bytes);
    let n = r.count(2, "clients")?;
    for _ in 0..n {
        id(&mut r)?;
    }
    Ok(())
}

/// Checks an awareness update's payload.
pub(crate) fn check_awareness(bytes: &[u8]) -> Result<(), Refused> {
    let mut r = Reader::new(bytes);
    let n = r.count(3, "presences")?;
    for _ in 0..n {
        id(&mut r)?; // client and clock
        r.string()?; // state (JSON text)
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::room::bytes::write_var as var;
    use yrs::updates::decoder::Decode;
    use yrs::{Any, Array, Map, ReadTxn, Text, Transact};

    /// A document writing as `client`, so the bytes a test checks are the
    /// same on every run.
    fn doc_of(client: u64) -> yrs::Doc {
        crate::room::ydoc::build(Some(client), crate::room::ydoc::Garbage::Kept)
    }

    #[test]
    fn real_updates_pass() {
        // The smallest client ID, the largest Yjs makes, and the largest
        // the library takes: IDs of one to eight bytes.
        for client in [1, u64::from(u32::MAX), (1 << 53) - 1] {
            real_update_of_client_passes(client);
        }
    }

    fn real_update_of_client_passes(client: u64) {
        let doc = doc_of(client);
        let text = doc.get_or_insert_text("t");
        let array = doc.get_or_insert_array("a");
        let map = doc.get_or_insert_map("m");
        {
            let mut txn = doc.transact_mut();
            text.insert(&mut txn, 0, "Zażółć gęślą jaźń 🙂");
            text.remove_range(&mut txn, 2, 3);
            array.insert(&mut txn, 0, Any::from(vec![Any::from(1.5), Any::from("x")]));
            map.insert(&mut txn, "k", Any::from(true));
            map.insert(&mut txn, "nested", yrs::MapPrelim::default());
        }
        let update = doc
            .transact()
            .encode_state_as_update_v1(&Default::default());
        let blocks = blocks_v1(&update).unwrap();
        assert!(blocks.iter().all(|b| b.id.0 == client), "{blocks:?}");
        assert!(yrs::Update::decode_v1(&update).is_ok());
        let sv = yrs::updates::encoder::Encode::encode_v1(&doc.transact().state_vector());
        check_state_vector(&sv).unwrap();
    }

    #[test]
    fn counts_the_bytes_cannot_hold_are_refused() {
        // 2^28 clients in five bytes.
        let mut bomb = Vec::new();
        var(1 << 28, &mut bomb);
        assert_eq!(
            blocks_v1(&bomb).unwrap_err(),
            "claims 268435456 clients in 0 bytes"
        );
        // A state vector of 2^28 entries.
        assert_eq!(
            check_state_vector(&bomb).unwrap_err(),
            "claims 268435456 clients in 0 bytes"
        );
        // One client with 2^31 blocks.
        let mut blocks = Vec::new();
        for n in [1, 1 << 31, 5, 0] {
            var(n, &mut blocks);
        }
        assert_eq!(
            blocks_v1(&blocks).unwrap_err(),
            "claims 2147483648 blocks in 2 bytes"
        );
    }

    #[test]
    fn shapes_yjs_never_makes_are_refused() {
        let update = |parts: &[u64]| {
            let mut b = Vec::new();
            for n in parts {
                var(*n, &mut b);
            }
            b
        };
        // Client 1 with no blocks, then an empty delete set.
        let empty = update(&[1, 0, 1, 0, 0]);
        assert_eq!(blocks_v1(&empty).unwrap_err(), "client 1 with no blocks");
        // Client 5 twice, each with one GC range of length 2.
        let twice = update(&[2, 1, 5, 0, 0, 2, 1, 5, 0, 0, 2, 0]);
        assert_eq!(blocks_v1(&twice).unwrap_err(), "client 5 twice");
        // A client ID of 60 bits in a state vector.
        let wide = update(&[1, 1 << 60, 3]);
        assert_eq!(
            check_state_vector(&wide).unwrap_err(),
            "client id 1152921504606846976 is over 53 bits"
        );
        // A GC range of length zero.
        let zero = update(&[1, 1, 5, 0, 0, 0, 0]);
        assert_eq!(blocks_v1(&zero).unwrap_err(), "a range of length zero");
        // A subdocument in a map.
        let sub = {
            let doc = doc_of(7);
            let map = doc.get_or_insert_map("m");
            let mut txn = doc.transact_mut();
            map.insert(&mut txn, "sub", yrs::Doc::new());
            txn.encode_update_v1()
        };
        assert_eq!(
            blocks_v1(&sub).unwrap_err(),
            "subdocuments are not accepted"
        );
    }

    /// Issue 11: a GC range of 2^64 - 1 ticks after clock 5; the clock's sum
    /// overflowed (a panic in a debug build; in a release build it wrapped
    /// to 4 and passed the 2^32 check).
    #[test]
    fn a_range_whose_end_overflows_the_clock_is_refused() {
        let bytes = [
            0x01, 0x01, 0x01, 0x05, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0x01, 0x00,
        ];
        assert_eq!(
            blocks_v1(&bytes).unwrap_err(),
            "client 1's clock runs past 2^32"
        );
    }

    #[test]
    fn deep_nesting_is_refused_before_it_overflows_the_stack() {
        let nested = |depth: usize| {
            let mut b = Vec::new();
            for n in [1, 1, 7, 0] {
                var(n, &mut b);
            }
            b.push(8); // Any content, parent by name
            var(1, &mut b);
            var(1, &mut b);
            b.push(b't');
            var(1, &mut b); // one value
            for _ in 0..depth {
                b.push(117);
                var(1, &mut b);
            }
            b.push(126);
            var(0, &mut b); // empty delete set
            b
        };
        let shallow = nested(10);
        blocks_v1(&shallow).unwrap();
        assert!(yrs::Update::decode_v1(&shallow).is_ok());
        // 100,000 levels in 200 KB: the library would overflow its stack.
        let deep = nested(100_000);
        assert_eq!(
            blocks_v1(&deep).unwrap_err(),
            "values nested deeper than 64"
        );
    }
}
