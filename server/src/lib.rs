//! Draftroom's server: meetings, rooms of Yjs documents synced over the
//! y-websocket protocol, roles enforced on every write, a durable store.

pub mod room;
pub mod store;
