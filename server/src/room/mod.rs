//! One room's Yjs document and the rules for the bytes that reach it, with
//! no I/O: no tokio, no axum, no store. Bytes in, decisions out.

mod doc;
pub mod draft;
pub mod moved;
pub mod wire;

pub use doc::{Applied, Author, Denied, Kind, Outcome, Refusal, RoomDoc, new_doc};
