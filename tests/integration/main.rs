//! Integration tests: the real `draftroom` binary on port 0, driven from
//! outside over HTTP and WebSockets as browsers would drive it.
//!
//! Each test starts its own server with its own data directory, so tests run
//! in parallel and a failure in one leaves the others alone. Waits poll with
//! timeouts; the only fixed sleeps are short "nothing else arrives" windows
//! taken after a round trip has shown the server is past the cause.
//!
//! They are a test target of `draftroom-server` (see its Cargo.toml), not
//! of `draftroom-tests`, so that Cargo builds the `draftroom` binary from
//! the current sources before them, in the same profile and target
//! directory, and tells them where it is ([`DRAFTROOM`]): `cargo test`
//! alone runs them against a fresh binary, never an old one.

mod abuse;
mod amendments;
mod api;
mod attribution;
mod audience;
mod backup;
mod catalogue;
mod clause_changed;
mod clause_move;
mod cluster;
mod disk_faults;
mod hostile;
mod join_code;
mod language;
mod meeting_room;
mod method;
mod owners;
mod peers;
mod record;
mod restart;
mod roles;
mod seed;
mod slow_headers;
mod sync;
mod versions;
mod web;

use draftroom_tests::Server;

/// The `draftroom` binary Cargo built for this run, from the same sources.
pub const DRAFTROOM: &str = env!("CARGO_BIN_EXE_draftroom");

/// Starting the server under test: [`DRAFTROOM`] on a free port with a
/// fresh data directory. (The support library takes the binary's path from
/// its caller; only a test target of `draftroom-server` learns it.)
pub trait Start {
    /// Starts the server with default settings.
    fn start() -> Self;
    /// Starts the server with `args` added after `serve --listen --data`.
    fn start_with(args: &[&str]) -> Self;
    /// Starts the server with `args` and extra environment variables.
    fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Self;
}

impl Start for Server {
    fn start() -> Self {
        Self::start_with_env(&[], &[])
    }

    fn start_with(args: &[&str]) -> Self {
        Self::start_with_env(args, &[])
    }

    fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Self {
        Server::start_binary(DRAFTROOM, args, env)
    }
}
