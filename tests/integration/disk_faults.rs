//! Disk faults (RELIABILITY.md): when the store's disk is full, read-only
//! or failing, the server refuses changes with a clear answer, keeps
//! serving what is stored, never relays what it could not store, and takes
//! the refused changes once the disk is back, without anyone retyping.
//!
//! The faults are real errors from the system calls SQLite makes
//! (`tests/support/faultfs.c`, preloaded into the server).

use crate::Start;
use std::time::Duration;

use draftroom_shared::{RefusalCode, close};
use draftroom_tests::faultfs::{Fault, Faults};
use draftroom_tests::{Meeting, Server, WAIT, YClient, assert_error, assert_refused, eventually};

/// Checks the close a room's connections get when a change could not be
/// stored (1011, reconnect). The server words it two ways, and which one a
/// connection gets is a race: "reconnecting" when the room's failure
/// reaches it through the relay, "reconnect" when it finds the room failed
/// first.
#[track_caller]
fn assert_closed_for_a_failed_store(who: &str, closed: &Option<(u16, String)>, log: &str) {
    let sentences = [
        "the server could not store a change; reconnecting",
        "the server could not store a change; reconnect",
    ];
    assert!(
        matches!(closed, Some((close::INTERNAL, reason)) if sentences.contains(&reason.as_str())),
        "{who}: {closed:?}\n{log}"
    );
}

/// What the writer types while the disk fails, Polish letters and an emoji
/// among it, one update per piece.
const TYPED: &[&str] = &[" dla", " wszystkich", " mieszkańców", " ", "🙂"];

async fn refuse_then_recover(fault: Fault, allow: u32) -> anyhow::Result<()> {
    let faults = Faults::build()?;
    let env = faults.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut server = Server::start_with_env(&[], &env);
    let meeting = Meeting::set_up(&server, "Misja").await?;
    let draft = |token: &str| server.ws_url(meeting.id(), "draft", token);
    let (writer, follower, clauses) = server
        .draft_with_clauses(&meeting, &["Kraków jest miastem otwartym"])
        .await?;
    let stored = writer.draft_text();

    faults.set(fault, allow)?;
    // The first change meets the failing disk in flight: it was applied in
    // memory, so the room drops it and every connection is told to resync.
    writer.push_text(0, TYPED[0]);
    let closed = follower.wait_closed(WAIT).await;
    assert_closed_for_a_failed_store("follower", &closed, &server.log_tail());
    assert_eq!(
        follower.draft_text(),
        stored,
        "the follower was shown a change that was not stored"
    );
    let closed = writer.wait_closed(WAIT).await;
    assert_closed_for_a_failed_store("writer", &closed, &server.log_tail());

    // Both come back, as the stock client does after a close.
    let writer =
        YClient::connect_with_doc(&draft(meeting.moderator_token()), writer.doc().clone()).await?;
    let follower = server
        .connect_room(meeting.id(), "draft", &meeting.observer.token)
        .await?;
    // Reads go on: the follower gets what is stored, and only that.
    assert_eq!(follower.draft_text(), stored);
    // The writer's resent change and everything it types now is refused,
    // once, with a reason that says to keep it.
    for piece in &TYPED[1..] {
        writer.push_text(0, piece);
    }
    let denials = writer.wait_denials(1).await?;
    assert_refused(
        "the writer while the disk fails",
        &denials[0],
        RefusalCode::StorageUnavailable,
    );
    // Commands that write are refused with 503 and change nothing.
    let answer = server
        .open_amendment(meeting.id(), &meeting.participant.token, &clauses[0])
        .await?;
    assert_error(
        "amendment while the disk fails",
        &answer,
        503,
        "unavailable",
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        follower.draft_text(),
        stored,
        "an unstored change was relayed"
    );
    assert_eq!(writer.denials().len(), 1, "one denial per outage");
    let log = server.log_tail();
    assert!(log.contains("storage failed"), "no clear log line:\n{log}");

    // The disk comes back: the server asks the writer for what it kept.
    faults.clear()?;
    let full = format!("{stored}{}", TYPED.concat());
    assert_eq!(writer.draft_text(), full);
    follower.wait_for_text(&full).await.map_err(|e| {
        anyhow::anyhow!(
            "{e}\nfollower: {:?}\n{}",
            follower.draft_text(),
            server.log_tail()
        )
    })?;
    let answer = server
        .open_amendment(meeting.id(), &meeting.participant.token, &clauses[0])
        .await?;
    assert_eq!(answer.0, 201, "after recovery: {answer:?}");
    assert!(server.log_tail().contains("storage recovered"));

    // And it was stored for good.
    server.restart();
    let fresh = server
        .connect_room(meeting.id(), "draft", &meeting.observer.token)
        .await?;
    assert_eq!(fresh.draft_text(), full);
    Ok(())
}

#[tokio::test]
async fn disk_full_refuses_changes_keeps_reads_and_recovers() -> anyhow::Result<()> {
    refuse_then_recover(Fault::Full, 0).await
}

#[tokio::test]
async fn read_only_disk_refuses_changes_keeps_reads_and_recovers() -> anyhow::Result<()> {
    refuse_then_recover(Fault::ReadOnly, 0).await
}

#[tokio::test]
async fn io_error_in_the_middle_of_a_commit_loses_nothing() -> anyhow::Result<()> {
    // One page of the commit is written, the next fails.
    refuse_then_recover(Fault::Io, 1).await
}

/// A disk fault in the middle of one meeting's typing cuts off only that
/// room's connections; another meeting's readers stay connected and new
/// ones are served, and the server takes changes again once it is back.
#[tokio::test]
async fn other_meetings_read_through_a_disk_fault() -> anyhow::Result<()> {
    let faults = Faults::build()?;
    let env = faults.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = Server::start_with_env(&[], &env);
    let a = Meeting::set_up(&server, "A").await?;
    let b = Meeting::set_up(&server, "B").await?;
    let (writer_a, follower_a, _) = server.draft_with_clauses(&a, &["Misja A"]).await?;
    let (_writer_b, follower_b, clauses_b) = server.draft_with_clauses(&b, &["Misja B"]).await?;
    faults.set(Fault::Full, 0)?;
    writer_a.push_text(0, " zmiana");
    let closed = follower_a.wait_closed(WAIT).await;
    assert_closed_for_a_failed_store("meeting A's follower", &closed, &server.log_tail());
    assert_eq!(follower_b.close(), None, "meeting B's follower was cut off");
    let reader = server
        .connect_room(b.id(), "draft", &b.observer.token)
        .await?;
    assert_eq!(reader.draft_text(), "Misja B");
    faults.clear()?;
    eventually("the server takes changes again", WAIT, || async {
        server
            .open_amendment(b.id(), &b.participant.token, &clauses_b[0])
            .await
            .is_ok_and(|answer| answer.0 == 201)
    })
    .await?;
    Ok(())
}
