//! The server-written `meeting` room: title, the people in the room with
//! their roles and colours, editor grants as they happen, which Yjs client
//! ids belong to which user, and the remote audience as a count.

use crate::Start;
use draftroom_tests::{
    Server, WAIT, YClient, clients, meeting_title, observers, participants, random_client_id,
};
use serde_json::Value;

#[tokio::test]
async fn meeting_room_shows_title_members_grants_and_client_bindings() -> anyhow::Result<()> {
    let server = Server::start();
    let title = "Misja Miasta Krakowa 2030 🏙️";
    let created = server.create_meeting(title, "Ewa Łukasiewicz").await?;
    let participant = server
        .join(created.id, &created.participant_invite, "Zbigniew Ćwiek")
        .await?;
    let observer = server
        .join(created.id, &created.observer_invite, "Małgorzata Żółć")
        .await?;

    let room = YClient::connect(&server.ws_url(created.id, "meeting", &observer.token)).await?;
    room.wait_synced().await?;
    room.wait_until("title, two people and one observer", WAIT, |doc| {
        meeting_title(doc).is_some() && participants(doc).len() == 2 && observers(doc) == Some(1)
    })
    .await?;
    assert_eq!(meeting_title(room.doc()).as_deref(), Some(title));

    let people = participants(room.doc());
    let by_name = |name: &str| -> (String, Value) {
        people
            .iter()
            .find(|(_, p)| p["name"] == name)
            .map(|(id, p)| (id.clone(), p.clone()))
            .unwrap_or_else(|| panic!("no participant named {name}: {people:?}"))
    };
    let (moderator_id, moderator) = by_name("Ewa Łukasiewicz");
    let (participant_id, participant_entry) = by_name("Zbigniew Ćwiek");
    assert_eq!(moderator["role"], "moderator");
    assert_eq!(participant_entry["role"], "participant");
    assert_eq!(participant_id, participant.user_id.to_string());
    // The observer, connected to this room, is counted, not listed.
    assert!(!people.contains_key(&observer.user_id.to_string()));
    for entry in [&moderator, &participant_entry] {
        let colour = entry["colour"].as_str().unwrap_or_default();
        assert!(
            !colour.is_empty(),
            "every participant has a colour: {entry}"
        );
    }

    // A grant shows up live in the room every client already follows.
    server
        .grant_editor(created.id, &created.moderator_token, participant.user_id)
        .await?;
    room.wait_until("the editor grant", WAIT, |doc| {
        participants(doc)
            .get(&participant_id)
            .is_some_and(|p| p["role"] == "editor")
    })
    .await?;

    // The client ids that write the draft are bound to their users.
    let moderator_client = random_client_id();
    let editor_client = random_client_id();
    let moderator_draft = YClient::connect_as(
        &server.ws_url(created.id, "draft", &created.moderator_token),
        moderator_client,
    )
    .await?;
    moderator_draft.wait_synced().await?;
    moderator_draft.add_clause("Kraków");
    let editor_draft = YClient::connect_as(
        &server.ws_url(created.id, "draft", &participant.token),
        editor_client,
    )
    .await?;
    editor_draft.wait_synced().await?;
    editor_draft.wait_for_text("Kraków").await?;
    editor_draft.push_text(0, " i Małopolska");

    room.wait_until("both client bindings", WAIT, |doc| {
        let bound = clients(doc);
        bound.get(&moderator_client.to_string()) == Some(&moderator_id)
            && bound.get(&editor_client.to_string()) == Some(&participant_id)
    })
    .await
    .map_err(|e| e.context(format!("clients now {:?}", clients(room.doc()))))?;
    assert!(
        editor_draft.denials().is_empty(),
        "editor refused: {:?}",
        editor_draft.denials()
    );
    Ok(())
}
