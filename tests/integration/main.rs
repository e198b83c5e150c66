//! Integration tests: the real `draftroom` binary on port 0, driven from
//! outside over HTTP and WebSockets as browsers would drive it.
//!
//! Each test starts its own server with its own data directory, so tests run
//! in parallel and a failure in one leaves the others alone. Waits poll with
//! timeouts; the only fixed sleeps are short "nothing else arrives" windows
//! taken after a round trip has shown the server is past the cause.
//!
//! Build the server first: `cargo build -p draftroom-server`.

mod abuse;
mod amendments;
mod api;
mod attribution;
mod audience;
mod backup;
mod clause_changed;
mod clause_move;
mod disk_faults;
mod hostile;
mod join_code;
mod language;
mod meeting_room;
mod peers;
mod record;
mod restart;
mod roles;
mod slow_headers;
mod sync;
mod versions;
mod web;
