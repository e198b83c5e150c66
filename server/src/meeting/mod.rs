//! Meetings in memory: their state, their loaded rooms, the rights of
//! their members, the commands that change them and the views that read
//! them. Everything that writes a room goes through here, so the order
//! "apply, persist, then relay" holds for client edits and server edits
//! alike.

pub(crate) mod audience;
pub(crate) mod catalogue;
pub(crate) mod commands;
pub(crate) mod consensus;
pub(crate) mod error;
pub(crate) mod fanout;
pub(crate) mod input;
pub(crate) mod live;
pub(crate) mod live_room;
pub(crate) mod registry;
pub(crate) mod report;
pub(crate) mod rights;
pub(crate) mod shown;
pub(crate) mod state;
pub(crate) mod updates;
pub(crate) mod views;

pub use error::MeetingError;
pub use fanout::{Fed, Feed, MAX_RUN, Outlet, Relay, Relayed};
pub use live::{Following, HeldRoom, Meeting, OpenError};
pub use live_room::{ExtraWrite, Journal, LiveRoom, Origin, RoomSizes, Write};
pub use state::{Amendment, MeetingState, Member, NOBODY, Status, Version, palette_colour};
pub use updates::Received;
