//! The commands that change a meeting, each checked, durable before it
//! answers, and shown in the `meeting` room.

pub(crate) mod amendments;
pub(crate) mod catalogue;
pub(crate) mod clause_check;
pub(crate) mod clause_move;
pub(crate) mod consensus;
pub(crate) mod members;
pub(crate) mod stages;
pub(crate) mod versions;
