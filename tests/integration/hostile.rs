//! Hostile and broken input on the WebSocket: malformed frames, oversized
//! frames and floods of bad tokens cost only the offending connection; the
//! room, its other clients and the server carry on.

use crate::Start;
use draftroom_shared::close;
use draftroom_tests::{Meeting, Server, WAIT, YClient, random_client_id};
use futures_util::future::join_all;
use std::collections::BTreeMap;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// One way to break the protocol, and the close (code and reason) it must
/// earn.
struct Case {
    name: &'static str,
    frame: WsMessage,
    expected: (u16, String),
}

/// The close of a connection whose bytes are not the protocol.
fn malformed(why: &str) -> (u16, String) {
    (close::PROTOCOL_ERROR, format!("malformed message: {why}"))
}

/// A lib0 variable-length integer.
fn var(mut n: u64, out: &mut Vec<u8>) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// A protocol message: `kind` (and `sub` for sync), then the payload.
fn message(kind: u64, sub: Option<u64>, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    var(kind, &mut out);
    if let Some(sub) = sub {
        var(sub, &mut out);
    }
    var(payload.len() as u64, &mut out);
    out.extend_from_slice(payload);
    out
}

/// An update whose one value nests arrays `depth` deep.
fn nested_update(depth: usize) -> Vec<u8> {
    let mut b = Vec::new();
    for n in [1, 1, 7, 0] {
        var(n, &mut b);
    }
    b.push(8); // a value item whose parent is named
    var(1, &mut b);
    var(1, &mut b);
    b.push(b't');
    var(1, &mut b);
    for _ in 0..depth {
        b.push(117);
        var(1, &mut b);
    }
    b.push(126);
    var(0, &mut b);
    b
}

fn cases() -> Vec<Case> {
    // Five bytes that claim 2^28 entries.
    let mut bomb = Vec::new();
    var(1 << 28, &mut bomb);
    // A sync update (0, 2) whose payload claims more than 1 MiB.
    let mut oversized = vec![0x00, 0x02];
    let len: usize = (1 << 20) + 1024;
    let mut n = len;
    while n >= 0x80 {
        oversized.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    oversized.push(n as u8);
    oversized.extend(std::iter::repeat_n(0u8, len));
    let too_big = format!(
        "message of {} bytes is over the limit of {}",
        oversized.len(),
        1 << 20
    );

    vec![
        Case {
            name: "garbage: a message type varint that never ends",
            frame: WsMessage::binary(vec![0xff; 16]),
            expected: malformed("truncated message type"),
        },
        Case {
            name: "garbage update payload",
            frame: WsMessage::binary(vec![0x00, 0x02, 0x04, 0xde, 0xad, 0xbe, 0xef]),
            expected: malformed("ends too soon"),
        },
        Case {
            name: "truncated varint",
            frame: WsMessage::binary(vec![0x00, 0x02, 0xff]),
            expected: malformed("truncated sync message"),
        },
        Case {
            // The reader must not take a message cut short for the end of
            // the frame: a whole sync step 1, then a truncated update.
            name: "valid message followed by a truncated one",
            frame: WsMessage::binary(vec![0x00, 0x00, 0x01, 0x00, 0x00, 0x02, 0xff]),
            expected: malformed("truncated sync message"),
        },
        Case {
            name: "awareness update that does not decode",
            frame: WsMessage::binary(vec![0x01, 0x03, 0xff, 0xff, 0xff]),
            expected: malformed("awareness: ends too soon"),
        },
        Case {
            name: "unknown sync message type",
            frame: WsMessage::binary(vec![0x00, 0x07, 0x00]),
            // The Yjs library's own words.
            expected: malformed("while reading, an unexpected value was found"),
        },
        Case {
            name: "unknown message type",
            frame: WsMessage::binary(vec![0x09, 0x01, 0x00]),
            expected: malformed("unknown message type 9"),
        },
        Case {
            // y-websocket speaks binary only: 1003 (unsupported data) is
            // the RFC 6455 code for exactly this.
            name: "text frame",
            frame: WsMessage::text("{\"type\":\"sync\"}"),
            expected: (
                close::UNSUPPORTED_DATA,
                "text frames are not part of the protocol".into(),
            ),
        },
        Case {
            // The Yjs library would recurse 100,000 deep and overflow the
            // stack, aborting the server: checked before it decodes.
            name: "update nesting arrays 100,000 deep",
            frame: WsMessage::binary(message(0, Some(2), &nested_update(100_000))),
            expected: malformed("values nested deeper than 64"),
        },
        Case {
            // The library would reserve half a gigabyte for it.
            name: "update claiming 2^28 clients in five bytes",
            frame: WsMessage::binary(message(0, Some(2), &bomb)),
            expected: malformed("claims 268435456 clients in 0 bytes"),
        },
        Case {
            name: "sync step 1 claiming 2^28 clients",
            frame: WsMessage::binary(message(0, Some(0), &bomb)),
            expected: malformed("sync step 1: claims 268435456 clients in 0 bytes"),
        },
        Case {
            name: "awareness claiming 2^28 presences",
            frame: WsMessage::binary(message(1, None, &bomb)),
            expected: malformed("awareness: claims 268435456 presences in 0 bytes"),
        },
        Case {
            name: "frame over 1 MiB",
            frame: WsMessage::binary(oversized),
            expected: (close::TOO_BIG, too_big),
        },
    ]
}

#[tokio::test]
async fn malformed_frames_close_only_that_connection() -> anyhow::Result<()> {
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja").await?;
    let draft = |token: &str| server.ws_url(meeting.id(), "draft", token);
    let moderator = YClient::connect(&draft(meeting.moderator_token())).await?;
    moderator.wait_synced().await?;
    moderator.add_clause("Kraków — miasto otwarte 😀");
    let bystander = YClient::connect(&draft(&meeting.observer.token)).await?;
    bystander.wait_synced().await?;
    bystander
        .wait_for_text("Kraków — miasto otwarte 😀")
        .await?;

    let mut wrong = Vec::new();
    for case in cases() {
        // The attacker is an editor: its refusal is about the bytes, not its role.
        let attacker = YClient::connect(&draft(&meeting.editor.token)).await?;
        attacker.wait_synced().await?;
        attacker.send_frame(case.frame);
        let closed = attacker.wait_closed(WAIT).await;
        if closed.as_ref() != Some(&case.expected) {
            wrong.push(format!(
                "{}: expected close {:?}, got {closed:?}",
                case.name, case.expected
            ));
        }
        assert!(
            bystander.close().is_none(),
            "{}: the bystander was disconnected",
            case.name
        );
    }

    // The room still works for those who behaved...
    moderator.push_text(0, " — dalej");
    let expected = "Kraków — miasto otwarte 😀 — dalej";
    bystander.wait_for_text(expected).await?;
    assert!(moderator.close().is_none() && bystander.close().is_none());
    // ...and holds exactly what they wrote.
    let fresh = YClient::connect(&draft(&meeting.participant.token)).await?;
    fresh.wait_synced().await?;
    assert_eq!(fresh.draft_text(), expected);
    assert!(wrong.is_empty(), "wrong closes:\n{}", wrong.join("\n"));
    Ok(())
}

/// The control for the size limit: a paste well under 1 MiB goes through.
#[tokio::test]
async fn a_large_paste_under_the_limit_goes_through() -> anyhow::Result<()> {
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja").await?;
    let editor =
        YClient::connect(&server.ws_url(meeting.id(), "draft", &meeting.editor.token)).await?;
    let observer =
        YClient::connect(&server.ws_url(meeting.id(), "draft", &meeting.observer.token)).await?;
    editor.wait_synced().await?;
    observer.wait_synced().await?;
    // 300 000 × "ż" is 600 000 bytes of UTF-8.
    let paste = "ż".repeat(300_000);
    editor.add_clause(&paste);
    observer.wait_for_text(&paste).await?;
    assert!(editor.close().is_none() && editor.denials().is_empty());
    Ok(())
}

#[tokio::test]
async fn a_flood_of_bad_tokens_is_closed_with_4401() -> anyhow::Result<()> {
    // Every connection comes from 127.0.0.1: the per-address limit on
    // failed sign-ins (tested in `abuse`) is lifted to see each one answered.
    let server = Server::start_with(&["--failed-sign-ins-per-minute", "1000000"]);
    let meeting = Meeting::set_up(&server, "Misja").await?;
    let moderator =
        YClient::connect(&server.ws_url(meeting.id(), "draft", meeting.moderator_token())).await?;
    moderator.wait_synced().await?;
    moderator.add_clause("Alfa");
    let bystander =
        YClient::connect(&server.ws_url(meeting.id(), "draft", &meeting.observer.token)).await?;
    bystander.wait_synced().await?;
    bystander.wait_for_text("Alfa").await?;
    let other = server.create_meeting("Inne", "Adam").await?;

    let urls: Vec<String> = (0..300)
        .map(|i| match i % 4 {
            0 => server.ws_url(
                meeting.id(),
                "draft",
                &format!("zly-token-{}", random_client_id()),
            ),
            1 => server.ws_url(meeting.id(), "meeting", ""),
            // A real token, of another meeting.
            2 => server.ws_url(meeting.id(), "draft", &other.moderator_token),
            _ => format!("ws://{}/ws/{}/draft", server.addr(), meeting.id()),
        })
        .collect();

    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for batch in urls.chunks(50) {
        let results = join_all(batch.iter().map(|url| async move {
            match YClient::connect(url).await {
                Ok(client) => match client.wait_closed(WAIT).await {
                    Some((code, reason)) => format!("closed {code} {reason:?}"),
                    None => "still open".to_string(),
                },
                Err(e) => format!("handshake failed: {}", e.root_cause()),
            }
        }))
        .await;
        for outcome in results {
            *outcomes.entry(outcome).or_default() += 1;
        }
    }
    assert_eq!(server.get("/healthz", None).await?.0, 200);
    moderator.push_text(0, " i Beta");
    bystander.wait_for_text("Alfa i Beta").await?;
    assert!(bystander.close().is_none() && moderator.close().is_none());
    assert_eq!(
        outcomes,
        BTreeMap::from([(
            format!("closed {} \"invalid token\"", close::UNAUTHORIZED),
            300
        )]),
        "every bad-token connection must be closed with 4401, invalid token"
    );
    Ok(())
}

#[tokio::test]
async fn unknown_rooms_are_closed_with_4404() -> anyhow::Result<()> {
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja").await?;
    // A name that is no room's is refused before the token is looked at;
    // an amendment room of no amendment once the meeting is open.
    for (room, reason) in [
        ("drafts", "no such room"),
        ("amendment/not-a-uuid", "no such room"),
        (
            &format!("amendment/{}", draftroom_tests::random_uuid()),
            "this room cannot be opened",
        ),
    ] {
        let client =
            YClient::connect(&server.ws_url(meeting.id(), room, meeting.moderator_token())).await;
        let closed = match &client {
            Ok(client) => client.wait_closed(WAIT).await,
            Err(e) => panic!("room {room}: handshake failed: {e}"),
        };
        assert_eq!(
            closed,
            Some((close::NOT_FOUND, reason.to_owned())),
            "room {room}"
        );
    }
    Ok(())
}

/// A client that stops reading never answers pings: the server cuts it off
/// with 4008 once it has been silent past the idle timeout, a code the stock
/// client retries, and the room carries on for everyone else.
#[tokio::test]
async fn a_client_that_never_answers_pings_is_cut_off() -> anyhow::Result<()> {
    use futures_util::StreamExt;
    let server = Server::start_with(&["--ping-interval-secs", "1", "--idle-timeout-secs", "2"]);
    let meeting = Meeting::set_up(&server, "Misja").await?;
    let url = server.ws_url(meeting.id(), "draft", &meeting.observer.token);
    let (mut silent, _) = tokio_tungstenite::connect_async(&url).await?;
    let awake = YClient::connect(&url).await?;
    awake.wait_synced().await?;
    // Not polling the socket means not answering the server's pings.
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let mut closed = None;
    while let Ok(Some(frame)) = tokio::time::timeout(WAIT, silent.next()).await {
        if let Ok(WsMessage::Close(Some(frame))) = frame {
            closed = Some((u16::from(frame.code), frame.reason.to_string()));
            break;
        }
    }
    assert_eq!(
        closed,
        Some((close::TIMEOUT, "no answer to pings".to_owned())),
        "the silent client's close"
    );
    assert_eq!(close::TIMEOUT, 4008);
    assert!(
        !close::is_final(close::TIMEOUT),
        "a timeout must be retried"
    );
    // The client that answers its pings stays, and still syncs.
    let moderator =
        YClient::connect(&server.ws_url(meeting.id(), "draft", meeting.moderator_token())).await?;
    moderator.wait_synced().await?;
    moderator.add_clause("Wciąż tu jestem");
    awake.wait_for_text("Wciąż tu jestem").await?;
    assert!(awake.close().is_none());
    Ok(())
}

/// A connection that sends faster than its limit is closed with 4029, which
/// the stock client retries (4429 would stop it for good); the others in
/// the room are untouched.
#[tokio::test]
async fn a_flood_of_messages_is_closed_with_4029() -> anyhow::Result<()> {
    let server = Server::start_with(&["--messages-per-sec", "5", "--message-burst", "20"]);
    let meeting = Meeting::set_up(&server, "Misja").await?;
    let url = |token: &str| server.ws_url(meeting.id(), "draft", token);
    let moderator = YClient::connect(&url(meeting.moderator_token())).await?;
    let flooder = YClient::connect(&url(&meeting.participant.token)).await?;
    moderator.wait_synced().await?;
    flooder.wait_synced().await?;
    for _ in 0..100 {
        // Awareness queries: harmless one by one, a flood all together.
        flooder.send_raw(vec![3]);
    }
    let closed = flooder.wait_closed(WAIT).await;
    assert_eq!(
        closed,
        Some((close::TOO_FAST, "too many messages; slow down".to_owned()))
    );
    assert_eq!(close::TOO_FAST, 4029);
    moderator.add_clause("Spokojnie");
    let observer = YClient::connect(&url(&meeting.observer.token)).await?;
    observer.wait_synced().await?;
    observer.wait_for_text("Spokojnie").await?;
    assert!(moderator.close().is_none());
    Ok(())
}
