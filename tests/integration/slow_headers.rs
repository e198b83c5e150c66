//! Slow headers: a TCP connection that sends half a request header, or
//! nothing, and stops is cut after the header-read timeout; it must not
//! hold a descriptor for good. Requests on other connections go on
//! meanwhile, and WebSockets, once upgraded, are not affected.

use crate::Start;
use std::time::{Duration, Instant};

use draftroom_tests::{Meeting, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until the server closes `tcp`; answers when it did, and what it
/// sent before.
async fn until_closed(tcp: &mut TcpStream, limit: Duration) -> anyhow::Result<(Instant, Vec<u8>)> {
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let mut buf = [0u8; 1024];
        match tokio::time::timeout_at(deadline, tcp.read(&mut buf)).await {
            Err(_) => anyhow::bail!("still open after {limit:?}"),
            Ok(Ok(0)) | Ok(Err(_)) => return Ok((Instant::now(), got)),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test]
async fn half_a_request_header_is_cut_after_the_header_timeout() -> anyhow::Result<()> {
    let server = Server::start_with(&["--header-timeout-secs", "1"]);
    let meeting = Meeting::set_up(&server, "Misja").await?;
    let websocket = server
        .connect_room(meeting.id(), "draft", meeting.moderator_token())
        .await?;

    let mut half = TcpStream::connect(server.addr()).await?;
    half.write_all(b"GET / HTTP/1.1\r\nHo").await?;
    let mut silent = TcpStream::connect(server.addr()).await?;
    let started = Instant::now();

    // Meanwhile a whole request on another connection is answered.
    let (status, body) = server.get("/healthz", None).await?;
    assert_eq!((status, body.as_str()), (200, Some("ok")));

    for (what, tcp) in [
        ("half a header", &mut half),
        ("nothing at all", &mut silent),
    ] {
        let (closed, sent) = until_closed(tcp, Duration::from_secs(4)).await?;
        let after = closed - started;
        assert!(
            after >= Duration::from_millis(800) && after < Duration::from_secs(3),
            "{what}: closed after {after:?}"
        );
        // Closed without a word: there is no request to answer.
        let sent = String::from_utf8_lossy(&sent);
        assert_eq!(sent, "", "{what}: the server sent {sent:?}");
    }

    // An upgraded connection is no longer reading headers: it stays.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    websocket.add_clause("Wciąż połączony");
    let reader = server
        .connect_room(meeting.id(), "draft", &meeting.observer.token)
        .await?;
    reader.wait_for_text("Wciąż połączony").await?;
    assert!(websocket.close().is_none(), "{:?}", websocket.close());
    Ok(())
}

#[tokio::test]
async fn the_default_header_timeout_is_about_ten_seconds() -> anyhow::Result<()> {
    let server = Server::start();
    let mut half = TcpStream::connect(server.addr()).await?;
    half.write_all(b"POST /api/meetings HTTP/1.1\r\nContent-")
        .await?;
    let started = Instant::now();
    let (closed, _) = until_closed(&mut half, Duration::from_secs(15)).await?;
    let after = closed - started;
    assert!(
        after >= Duration::from_secs(9) && after < Duration::from_secs(13),
        "closed after {after:?}"
    );
    Ok(())
}
