//! Test support for Draftroom: start the real `draftroom` binary on port 0,
//! talk to its HTTP API with a tiny HTTP/1.1 client, and to its rooms with a
//! y-websocket client that holds a real `yrs::Doc`.
//!
//! Everything here drives the server from outside, as a browser would, so the
//! integration tests check the external interface of DESIGN.md and nothing
//! behind it.

pub mod commands;
pub mod faultfs;
pub mod fixture;
pub mod http;
pub mod postgres;
pub mod random;
pub mod redis;
pub mod rooms;
pub mod server;
pub mod services;
pub mod yclient;

pub use commands::{assert_error, assert_refused, assert_wrong_stage, utf16_len};
pub use fixture::Meeting;
pub use http::HttpResponse;
pub use random::{random_client_id, random_uuid};
pub use rooms::{
    clause_len, clause_text, clause_texts, clients, draft_text, meeting_title, observers,
    participants,
};
pub use server::Server;
pub use yclient::{YClient, new_doc};

use std::future::Future;
use std::time::Duration;

/// How long a test waits for something that should happen promptly.
pub const WAIT: Duration = Duration::from_secs(10);

/// How long a test watches for something that must not happen, after a
/// round trip has shown that the server already processed the cause.
pub const QUIET: Duration = Duration::from_millis(300);

/// Polls `check` every 10 ms until it answers true or `timeout` passes.
///
/// Polling (rather than sleeping a fixed time) keeps the tests fast when the
/// server is fast and still patient on a loaded 2-core machine.
pub async fn eventually<F, Fut>(what: &str, timeout: Duration, mut check: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if check().await {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            anyhow::bail!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
