//! Meetings in memory: their state, their loaded rooms, the rights of
//! their members, the commands that change them and the views that read
//! them. Everything that writes a room goes through here, so the order
//! "apply, persist, then relay" holds for client edits and server edits
//! alike.

pub mod audience;
pub mod commands;
pub mod error;
mod live;
pub mod live_room;
pub mod registry;
pub mod report;
pub mod rights;
pub mod shown;
pub mod state;
mod updates;
pub mod views;

pub use error::MeetingError;
pub use live::{Following, HeldRoom, Meeting, OpenError};
pub use live_room::{ExtraWrite, Journal, Origin, Relay, Relayed, Room, RoomSizes, Write};
pub use state::{Amendment, MeetingState, Member, NOBODY, Status, Version, palette_colour};
pub use updates::Received;
