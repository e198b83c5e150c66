//! Slow and dead peers (RELIABILITY.md): a client that sends half a frame
//! and stalls, and one that stops reading while the room is busy, are each
//! cut off within a bounded time; nobody else waits for them.

use crate::Start;
use std::future::Future;
use std::time::{Duration, Instant};

use draftroom_shared::close;
use draftroom_tests::{Meeting, Server, WAIT, YClient, eventually};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Opens a WebSocket by hand on a bare TCP stream, so the test can send
/// what no WebSocket library would (half a frame).
async fn raw_websocket(server: &Server, path: &str) -> anyhow::Result<TcpStream> {
    upgrade(TcpStream::connect(server.addr()).await?, server, path).await
}

/// The WebSocket handshake on `tcp`.
async fn upgrade(mut tcp: TcpStream, server: &Server, path: &str) -> anyhow::Result<TcpStream> {
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        server.addr()
    );
    tcp.write_all(request.as_bytes()).await?;
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        anyhow::ensure!(
            tcp.read(&mut byte).await? == 1,
            "closed during the handshake"
        );
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    anyhow::ensure!(head.starts_with("HTTP/1.1 101"), "no upgrade: {head}");
    Ok(tcp)
}

/// Reads server frames until a close frame; answers its code, its reason
/// and when it came. Pings are read but never answered.
async fn read_until_close(
    tcp: &mut TcpStream,
    limit: Duration,
) -> anyhow::Result<(u16, String, Instant)> {
    let deadline = Instant::now() + limit;
    let mut buf = Vec::new();
    loop {
        // Whole frames in `buf`: opcode, length, payload (servers do not mask).
        while buf.len() >= 2 {
            let opcode = buf[0] & 0x0f;
            let (len, at) = match buf[1] & 0x7f {
                126 if buf.len() >= 4 => (u16::from_be_bytes([buf[2], buf[3]]) as usize, 4),
                127 if buf.len() >= 10 => (
                    u64::from_be_bytes(buf[2..10].try_into().expect("8 bytes")) as usize,
                    10,
                ),
                126 | 127 => break,
                n => (n as usize, 2),
            };
            if buf.len() < at + len {
                break;
            }
            if opcode == 0x8 {
                anyhow::ensure!(len >= 2, "close frame without a code");
                let code = u16::from_be_bytes([buf[at], buf[at + 1]]);
                let reason = String::from_utf8_lossy(&buf[at + 2..at + len]).into_owned();
                return Ok((code, reason, Instant::now()));
            }
            buf.drain(..at + len);
        }
        let mut chunk = [0u8; 4096];
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, tcp.read(&mut chunk)).await {
            Ok(Ok(0)) => anyhow::bail!("connection ended without a close frame"),
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Ok(Err(e)) => anyhow::bail!("read failed: {e}"),
            Err(_) => anyhow::bail!("no close frame within {limit:?}"),
        }
    }
}

#[tokio::test]
async fn half_a_frame_then_silence_is_cut_off_in_bounded_time() -> anyhow::Result<()> {
    let server = Server::start_with(&["--ping-interval-secs", "1", "--idle-timeout-secs", "2"]);
    let meeting = Meeting::set_up(&server, "Misja").await?;
    let (writer, follower, _) = server.draft_with_clauses(&meeting, &["Misja"]).await?;
    let path = format!(
        "/ws/{}/draft?token={}",
        meeting.id(),
        meeting.observer.token
    );
    let mut stalled = raw_websocket(&server, &path).await?;
    // A masked binary frame that announces 4,096 bytes and brings ten.
    let mut half = vec![0x82, 0x80 | 126, 0x10, 0x00, 1, 2, 3, 4];
    half.extend_from_slice(&[0u8; 10]);
    stalled.write_all(&half).await?;
    let sent = Instant::now();

    // Meanwhile the room goes on for everyone else.
    writer.push_text(0, " dla wszystkich");
    follower.wait_for_text("Misja dla wszystkich").await?;

    let (code, reason, at) = read_until_close(&mut stalled, Duration::from_secs(10)).await?;
    assert_eq!(
        (code, reason.as_str()),
        (close::TIMEOUT, "no answer to pings")
    );
    assert!(
        !close::is_final(code),
        "{code}: the stock client must retry"
    );
    let after = at - sent;
    // Idle timeout (2 s) plus at most one ping period (1 s), and slack.
    assert!(after < Duration::from_secs(4), "cut off after {after:?}");
    assert!(follower.close().is_none() && writer.close().is_none());
    Ok(())
}

#[tokio::test]
async fn a_follower_that_stops_reading_in_a_busy_room_is_dropped_and_others_keep_pace()
-> anyhow::Result<()> {
    let server = Server::start_with(&["--ping-interval-secs", "1", "--idle-timeout-secs", "2"]);
    let meeting = Meeting::set_up(&server, "Misja").await?;
    let (writer, follower, _) = server.draft_with_clauses(&meeting, &[""]).await?;
    let path = format!(
        "/ws/{}/draft?token={}",
        meeting.id(),
        meeting.observer.token
    );
    // A phone whose browser went to the background: connected, reading
    // nothing, with a small receive buffer that fills at once.
    let stalled = {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.set_recv_buffer_size(4096)?;
        upgrade(socket.connect(server.addr()).await?, &server, &path).await?
    };
    let started = Instant::now();
    // Pastes of 256 KiB, 32 of them: far more than the kernel buffers.
    let paste: String = "Zażółć gęślą jaźń. ".repeat(256 * 1024 / 20);
    let mut expected = String::new();
    for _ in 0..32 {
        writer.push_text(0, &paste);
        expected.push_str(&paste);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    follower.wait_for_text(&expected).await?;
    let typed_in = started.elapsed();
    // The stalled connection is dropped once its send has waited past the
    // idle timeout; the others did not wait for it.
    eventually("the stalled follower to be dropped", WAIT, || async {
        server.log_tail().contains("peer stopped reading")
            || server.log_tail().contains("no answer to pings")
    })
    .await?;
    assert!(
        typed_in < Duration::from_secs(8),
        "the others took {typed_in:?} to receive the pastes"
    );
    drop(stalled);
    // And the room is whole for a newcomer.
    let late =
        YClient::connect(&server.ws_url(meeting.id(), "draft", &meeting.observer.token)).await?;
    late.wait_synced().await?;
    assert_eq!(late.draft_text(), expected);
    Ok(())
}

/// The binary frames a raw WebSocket receives within `window`.
async fn frames_within(
    url: &str,
    window: Duration,
    during: impl Future<Output = ()>,
) -> anyhow::Result<Vec<(Instant, Vec<u8>)>> {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message as WsMessage;
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await?;
    let mut frames = Vec::new();
    let reading = async {
        let deadline = tokio::time::Instant::now() + window;
        while let Ok(Some(frame)) = tokio::time::timeout_at(deadline, socket.next()).await {
            if let WsMessage::Binary(bytes) = frame? {
                frames.push((Instant::now(), bytes.to_vec()));
            }
        }
        anyhow::Ok(())
    };
    let (read, ()) = tokio::join!(reading, during);
    read?;
    Ok(frames)
}

/// The stock client reconnects after 30 s without a message, and pings are
/// invisible to it: a connection the server has sent nothing for the
/// heartbeat period is sent an empty presence update, and one that is sent
/// anything is not.
#[tokio::test]
async fn a_quiet_connection_gets_a_heartbeat_and_a_busy_one_does_not() -> anyhow::Result<()> {
    const HEARTBEAT: &[u8] = &[1, 1, 0];
    let server = Server::start_with(&["--heartbeat-secs", "2"]);
    let meeting = Meeting::set_up(&server, "Misja").await?;
    let url = server.ws_url(meeting.id(), "draft", &meeting.observer.token);

    let quiet = frames_within(&url, Duration::from_millis(6500), async {}).await?;
    let beats: Vec<Instant> = quiet
        .iter()
        .filter(|(_, bytes)| bytes == HEARTBEAT)
        .map(|(at, _)| *at)
        .collect();
    assert!(beats.len() >= 2, "heartbeats in 6.5 s: {}", beats.len());
    assert!(
        quiet
            .iter()
            .all(|(_, b)| b == HEARTBEAT || b.first() == Some(&0)),
        "only the sync and heartbeats: {quiet:?}"
    );
    for pair in beats.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(gap <= Duration::from_millis(2600), "a silence of {gap:?}");
    }

    let moderator = server
        .connect_room(meeting.id(), "draft", meeting.moderator_token())
        .await?;
    moderator.add_clause("");
    let typing = async {
        for word in 0..30 {
            moderator.push_text(0, &format!("słowo{word} "));
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    };
    let busy = frames_within(&url, Duration::from_millis(4500), typing).await?;
    assert!(busy.len() > 10, "{} frames", busy.len());
    assert!(
        !busy.iter().any(|(_, bytes)| bytes == HEARTBEAT),
        "a connection that is sent updates was sent a heartbeat too"
    );
    Ok(())
}
