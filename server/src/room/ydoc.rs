//! The one way the server makes a Yjs document: UTF-16 offsets like every
//! JavaScript client, garbage collection off unless asked for (past states
//! of the draft must stay rebuildable for versions and attribution), a
//! fixed client ID when the server writes on a member's behalf, and
//! optionally a state to start from.

use yrs::updates::decoder::Decode;
use yrs::{ClientID, Doc, OffsetKind, Options, Transact, Update};

/// Whether a document collects the garbage of deleted content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Garbage {
    /// Deleted content stays, so past states can be rebuilt.
    Kept,
    /// Deleted content is dropped (the `meeting` room; a JavaScript
    /// client, which collects by default).
    Collected,
}

/// A document writing as `client` (a random client ID if None).
pub(crate) fn build(client: Option<u64>, garbage: Garbage) -> Doc {
    let mut options = Options {
        offset_kind: OffsetKind::Utf16,
        skip_gc: garbage == Garbage::Kept,
        ..Options::default()
    };
    if let Some(client) = client {
        options.client_id = ClientID::new(client);
    }
    Doc::with_options(options)
}

/// A server-side document that keeps its past (see `Garbage::Kept`).
pub fn new_doc() -> Doc {
    build(None, Garbage::Kept)
}

/// A document that keeps its past, holding the (v1-encoded) `state`,
/// writing as `client`; None if the state does not decode or apply.
pub(crate) fn holding(client: Option<u64>, state: &[u8]) -> Option<Doc> {
    let doc = build(client, Garbage::Kept);
    let update = Update::decode_v1(state).ok()?;
    doc.transact_mut().apply_update(update).ok()?;
    Some(doc)
}
