//! Durability: "a restart loses nothing that any client was shown". The
//! server is killed with SIGKILL (no shutdown path runs) and restarted on
//! the same data directory; what a follower saw must all be there.

use crate::Start;
use draftroom_tests::yclient::ABNORMAL;
use draftroom_tests::{Meeting, Server, WAIT, YClient, eventually};
use std::time::Duration;
use yrs::{ReadTxn as _, Transact as _};

/// Characters the writer types, Polish ones among them.
const TYPED: &[&str] = &[
    "a", "ą", "c", "ć", "e", "ę", "l", "ł", "n", "ń", "o", "ó", "s", "ś", "z", "ź", "ż", " ",
];

#[tokio::test]
async fn restart_after_kill9_keeps_what_the_follower_saw() -> anyhow::Result<()> {
    let mut server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja").await?;
    let writer =
        YClient::connect(&server.ws_url(meeting.id(), "draft", meeting.moderator_token())).await?;
    let follower =
        YClient::connect(&server.ws_url(meeting.id(), "draft", &meeting.observer.token)).await?;
    writer.wait_synced().await?;
    follower.wait_synced().await?;

    writer.add_clause("");
    for i in 0..300 {
        // Each keystroke is its own update, as in a browser.
        writer.push_text(0, TYPED[i % TYPED.len()]);
    }
    let written = writer.draft_text();
    follower.wait_for_text(&written).await?;
    let seen = follower.draft_text();

    server.kill9();
    server.restart();

    let fresh =
        YClient::connect(&server.ws_url(meeting.id(), "draft", &meeting.observer.token)).await?;
    fresh.wait_synced().await?;
    assert_eq!(
        fresh.draft_text(),
        seen,
        "after restart:\n{}",
        server.log_tail()
    );

    // And the restarted server takes new writes from the same member.
    let writer =
        YClient::connect(&server.ws_url(meeting.id(), "draft", meeting.moderator_token())).await?;
    writer.wait_synced().await?;
    writer.push_text(0, " koniec");
    if let Err(e) = fresh.wait_for_text(&format!("{seen} koniec")).await {
        panic!("{e}\n{}", server.log_tail());
    }
    Ok(())
}

#[tokio::test]
async fn kill9_mid_stream_loses_nothing_the_follower_received() -> anyhow::Result<()> {
    let mut server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja").await?;
    let writer =
        YClient::connect(&server.ws_url(meeting.id(), "draft", meeting.moderator_token())).await?;
    let follower =
        YClient::connect(&server.ws_url(meeting.id(), "draft", &meeting.observer.token)).await?;
    writer.wait_synced().await?;
    follower.wait_synced().await?;
    writer.add_clause("");
    follower
        .wait_until("the clause", WAIT, |doc| {
            draftroom_tests::clause_texts(doc).len() == 1
        })
        .await?;

    // The writer keeps typing, appending only, so everything anyone has is
    // a prefix of what the writer has.
    // Bursts of keystrokes keep updates in flight (being stored, relayed)
    // at the moment of the kill.
    let typing = tokio::spawn(async move {
        for i in 0..20_000 {
            writer.push_text(0, TYPED[i % TYPED.len()]);
            if i % 10 == 9 {
                tokio::time::sleep(Duration::from_millis(1)).await;
                if writer.close_code().is_some() {
                    break;
                }
            }
        }
        writer
    });

    eventually("the follower to see 1000 characters", WAIT, || async {
        follower.draft_text().chars().count() >= 1000
    })
    .await?;
    server.kill9();

    // Whatever was in flight to the follower arrives before its socket
    // ends; only then is its view complete.
    // A killed server sends no close frame: the socket just ends.
    let closed = follower.wait_closed(WAIT).await;
    assert_eq!(
        closed.as_ref().map(|c| c.0),
        Some(ABNORMAL),
        "the follower's connection outlived the server, or was closed by it: {closed:?}"
    );
    let seen = follower.draft_text();
    let seen_sv = follower.state_vector();
    let writer = typing.await?;
    let written = writer.draft_text();
    assert!(
        written.starts_with(&seen),
        "the follower saw something the writer never wrote"
    );
    println!(
        "follower saw {} of the {} characters typed before the kill",
        seen.chars().count(),
        written.chars().count()
    );

    server.restart();
    let fresh =
        YClient::connect(&server.ws_url(meeting.id(), "draft", &meeting.observer.token)).await?;
    fresh.wait_synced().await?;
    let restored = fresh.draft_text();
    assert!(
        restored.starts_with(&seen),
        "lost what the follower saw:\nfollower {seen:?}\nrestored {restored:?}\n{}",
        server.log_tail()
    );
    assert!(
        written.starts_with(&restored),
        "restored text was never written: {restored:?}"
    );
    let restored_sv = fresh.state_vector();
    for (client, clock) in seen_sv.iter() {
        assert!(
            restored_sv.get(client) >= *clock,
            "client {client}: follower had clock {clock}, restored room {}",
            restored_sv.get(client)
        );
    }
    assert!(
        fresh.doc().transact().store().pending_update().is_none(),
        "restored room has pending updates"
    );
    Ok(())
}
