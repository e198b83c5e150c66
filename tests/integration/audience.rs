//! The remote audience (DESIGN.md, "Shape"): observers appear in the
//! `meeting` room only as `meeting.observers`, the number connected now,
//! changed at most about once a second, so that neither the room's size nor
//! what a join costs the others grows with the audience.

use crate::Start;
use std::time::{Duration, Instant};

use draftroom_tests::{Meeting, Server, WAIT, YClient, clients, observers, participants};
use yrs::sync::{Awareness, Message};
use yrs::updates::encoder::Encode;

/// A presence message of Yjs client `client`, as a browser tab sends it.
fn presence(client: u64) -> Vec<u8> {
    let mut awareness = Awareness::new(yrs::Doc::with_client_id(client));
    awareness.set_local_state_raw(r#"{"user":{"name":"Widz"}}"#);
    Message::Awareness(awareness.update().expect("awareness update")).encode_v1()
}

#[tokio::test]
async fn observers_are_a_count_of_those_connected_not_a_list() -> anyhow::Result<()> {
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja").await?;
    // The moderator types, so `clients` binds a client ID.
    let moderator = server
        .connect_room(meeting.id(), "draft", meeting.moderator_token())
        .await?;
    moderator.add_clause("Kraków");
    let watcher = server
        .connect_room(meeting.id(), "meeting", &meeting.participant.token)
        .await?;
    watcher
        .wait_until("three people and a binding", WAIT, |doc| {
            participants(doc).len() == 3 && !clients(doc).is_empty()
        })
        .await?;
    assert_eq!(observers(watcher.doc()), Some(0));
    let people = participants(watcher.doc());
    let bound = clients(watcher.doc());

    // Fifty observers join, each opening the meeting room and the draft as
    // the app does, and announcing a presence there.
    let mut audience = Vec::new();
    for i in 0..50 {
        let joined = server
            .join(
                meeting.id(),
                &meeting.created.observer_invite,
                &format!("Widz {i}"),
            )
            .await?;
        for room in ["meeting", "draft"] {
            let client = server
                .connect_room(meeting.id(), room, &joined.token)
                .await?;
            client.send_raw(presence(client.client_id()));
            audience.push(client);
        }
    }
    watcher
        .wait_until("meeting.observers = 50", WAIT, |doc| {
            observers(doc) == Some(50)
        })
        .await
        .map_err(|e| e.context(format!("observers now {:?}", observers(watcher.doc()))))?;
    assert_eq!(participants(watcher.doc()), people, "observers were listed");
    assert_eq!(
        clients(watcher.doc()),
        bound,
        "observers' client IDs were shown"
    );
    // An observer's own copy of the room says the same.
    audience[0]
        .wait_until("the observer sees 50", WAIT, |doc| {
            observers(doc) == Some(50)
        })
        .await?;

    // They leave; the count follows.
    drop(audience);
    watcher
        .wait_until("meeting.observers = 0", WAIT, |doc| {
            observers(doc) == Some(0)
        })
        .await
        .map_err(|e| e.context(format!("observers now {:?}", observers(watcher.doc()))))?;
    assert_eq!(participants(watcher.doc()), people);
    assert_eq!(clients(watcher.doc()), bound);
    assert!(watcher.errors().is_empty(), "{:?}", watcher.errors());
    Ok(())
}

/// What a join storm costs a member already in the room: a few frames a
/// second, not one (or more) per observer.
#[tokio::test]
async fn a_join_storm_costs_the_room_a_few_frames_a_second() -> anyhow::Result<()> {
    const OBSERVERS: usize = 200;
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja").await?;
    let participant = server
        .connect_room(meeting.id(), "meeting", &meeting.participant.token)
        .await?;
    participant
        .wait_until("the fixture's audience of none", WAIT, |doc| {
            observers(doc) == Some(0)
        })
        .await?;
    let before = participant.frames_received();
    let started = Instant::now();

    // Joins and connections overlap, as a stream's audience arrives.
    let mut tasks = Vec::new();
    for i in 0..OBSERVERS {
        let joined = server
            .join(
                meeting.id(),
                &meeting.created.observer_invite,
                &format!("Widz {i}"),
            )
            .await?;
        let url = server.ws_url(meeting.id(), "meeting", &joined.token);
        tasks.push(tokio::spawn(async move {
            let client = YClient::connect(&url).await?;
            client.wait_synced().await?;
            anyhow::Ok(client)
        }));
    }
    let mut audience = Vec::new();
    for task in tasks {
        audience.push(task.await??);
    }
    participant
        .wait_until("all observers counted", WAIT, |doc| {
            observers(doc) == Some(OBSERVERS as u64)
        })
        .await?;
    let took = started.elapsed();
    // Whatever else was coming has arrived.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let frames = participant.frames_received() - before;
    let seconds = took.as_secs_f64().ceil() as usize + 1;
    println!("{OBSERVERS} observers joined in {took:?}; the participant got {frames} frames");
    assert!(
        frames <= 2 * seconds + 2,
        "{frames} frames to a participant while {OBSERVERS} observers joined in {took:?}"
    );
    drop(audience);
    Ok(())
}
