//! One room's Yjs document and the rules for the bytes that reach it, with
//! no I/O: no tokio, no axum, no store. Bytes in, decisions out.

pub(crate) mod bytes;
mod doc;
pub mod draft;
pub mod frame;
pub(crate) mod moved;
pub(crate) mod wire;
pub(crate) mod ydoc;

pub use doc::{Applied, Author, Denied, Kind, Outcome, Refusal, RoomDoc};
pub use ydoc::new_doc;
