//! The commands that change a meeting, each checked, durable before it
//! answers, and shown in the `meeting` room.

pub mod amendments;
pub mod clause_check;
pub mod clause_move;
pub mod members;
pub mod versions;
