//! The role table of DESIGN.md, enforced on the wire: every write a
//! connection may not make is answered with permission denied, is not
//! relayed to anyone, and is not in the room for anyone who comes later.
//! Also: a client id cannot be borrowed from another user, and a refused
//! write taints its client id for good.

use crate::Start;
use draftroom_shared::RefusalCode;
use draftroom_tests::rooms::push_clause;
use draftroom_tests::{
    Meeting, QUIET, Server, WAIT, YClient, assert_refused, clause_text, clients, meeting_title,
    new_doc, participants, random_client_id,
};
use yrs::updates::decoder::Decode as _;
use yrs::{GetString as _, Map as _, ReadTxn as _, Text as _, Transact as _};

/// Connects to a room and waits for its state.
async fn connect(
    server: &Server,
    meeting: &Meeting,
    room: &str,
    token: &str,
) -> anyhow::Result<YClient> {
    let client = YClient::connect(&server.ws_url(meeting.id(), room, token)).await?;
    client.wait_synced().await?;
    Ok(client)
}

/// Checks that `refused` never reached the draft: the moderator appends a
/// marker to clause 0, and once every watcher shows the marker (so the
/// server has long processed the refused write) and a short quiet window
/// has passed, no watcher and no fresh client holds `refused`.
async fn assert_draft_lacks(
    server: &Server,
    meeting: &Meeting,
    moderator: &YClient,
    watchers: &[&YClient],
    refused: &[&str],
) -> anyhow::Result<()> {
    let marker = format!(" [znacznik {}]", random_client_id());
    moderator.push_text(0, &marker);
    for watcher in watchers {
        watcher
            .wait_until("the marker", WAIT, |doc| {
                draftroom_tests::draft_text(doc).contains(&marker)
            })
            .await?;
    }
    tokio::time::sleep(QUIET).await;
    let fresh = connect(server, meeting, "draft", &meeting.observer.token).await?;
    fresh
        .wait_until("the marker", WAIT, |doc| {
            draftroom_tests::draft_text(doc).contains(&marker)
        })
        .await?;
    for (who, client) in watchers
        .iter()
        .map(|w| ("a watcher", *w))
        .chain([("a fresh client", &fresh)])
    {
        let text = client.draft_text();
        for refused in refused {
            assert!(
                !text.contains(refused),
                "{who} received the refused {refused:?}: {text:?}"
            );
        }
    }
    Ok(())
}

/// A draft with one clause, a moderator and a watching participant.
async fn draft_with_clause(
    server: &Server,
    meeting: &Meeting,
) -> anyhow::Result<(YClient, YClient)> {
    let moderator = connect(server, meeting, "draft", meeting.moderator_token()).await?;
    moderator.add_clause("Kraków — miasto otwarte");
    let watcher = connect(server, meeting, "draft", &meeting.participant.token).await?;
    watcher.wait_for_text("Kraków — miasto otwarte").await?;
    Ok((moderator, watcher))
}

#[tokio::test]
async fn observer_writing_the_draft_is_refused() -> anyhow::Result<()> {
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja").await?;
    let (moderator, watcher) = draft_with_clause(&server, &meeting).await?;
    let observer = connect(&server, &meeting, "draft", &meeting.observer.token).await?;
    observer.wait_for_text("Kraków — miasto otwarte").await?;

    // A deletion carries no client id of its own, but it is a write all the same.
    observer.delete_text(0, 0, "Kraków".encode_utf16().count() as u32);
    let denials = observer.wait_denials(1).await?;
    assert_refused("observer deleting", &denials[0], RefusalCode::Role);
    assert!(
        observer.close_code().is_none(),
        "a refused write need not cost the connection"
    );

    observer.insert_text(0, 0, "ZŁOŚLIWE ");
    let denials = observer.wait_denials(2).await?;
    assert_refused("observer inserting", &denials[1], RefusalCode::Role);

    // A new clause is refused too, not just text in an existing one.
    observer.add_clause("NOWA KLAUZULA OBSERWATORA");
    let denials = observer.wait_denials(3).await?;
    assert_refused("observer adding a clause", &denials[2], RefusalCode::Role);

    assert_draft_lacks(
        &server,
        &meeting,
        &moderator,
        &[&moderator, &watcher],
        &["ZŁOŚLIWE", "OBSERWATORA"],
    )
    .await?;
    for client in [&moderator, &watcher] {
        assert!(
            client.draft_text().starts_with("Kraków — miasto otwarte"),
            "deleted: {:?}",
            client.draft_text()
        );
    }
    assert!(
        moderator.denials().is_empty() && watcher.denials().is_empty(),
        "only the writer is told"
    );
    Ok(())
}

/// The back door: content an observer's document holds before it connects
/// reaches the server as sync step 2, not as an update; it is refused all
/// the same.
#[tokio::test]
async fn an_observers_offline_edit_is_refused_when_it_syncs() -> anyhow::Result<()> {
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja").await?;
    let (moderator, watcher) = draft_with_clause(&server, &meeting).await?;

    let doc = new_doc(None);
    let clauses = doc.get_or_insert_array("clauses");
    push_clause(&mut doc.transact_mut(), &clauses, "NAPISANE OFFLINE");
    let observer = YClient::connect_with_doc(
        &server.ws_url(meeting.id(), "draft", &meeting.observer.token),
        doc,
    )
    .await?;
    observer.wait_synced().await?;
    let denials = observer.wait_denials(1).await?;
    assert_refused("observer's offline edit", &denials[0], RefusalCode::Role);

    assert_draft_lacks(
        &server,
        &meeting,
        &moderator,
        &[&moderator, &watcher],
        &["OFFLINE"],
    )
    .await?;
    assert_eq!(draftroom_tests::clause_texts(watcher.doc()).len(), 1);
    Ok(())
}

#[tokio::test]
async fn participant_writing_the_draft_is_refused_until_granted_editor() -> anyhow::Result<()> {
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja").await?;
    let (moderator, watcher) = draft_with_clause(&server, &meeting).await?;
    let participant = connect(&server, &meeting, "draft", &meeting.participant.token).await?;
    participant.wait_for_text("Kraków — miasto otwarte").await?;

    participant.delete_text(0, 0, 7);
    let denials = participant.wait_denials(1).await?;
    assert_refused("participant deleting", &denials[0], RefusalCode::Role);
    participant.push_text(0, " NIEDOZWOLONE");
    let denials = participant.wait_denials(2).await?;
    assert_refused("participant typing", &denials[1], RefusalCode::Role);
    assert_draft_lacks(
        &server,
        &meeting,
        &moderator,
        &[&moderator, &watcher],
        &["NIEDOZWOLONE"],
    )
    .await?;
    assert!(
        watcher.draft_text().starts_with("Kraków — "),
        "deleted: {:?}",
        watcher.draft_text()
    );

    server
        .grant_editor(
            meeting.id(),
            meeting.moderator_token(),
            meeting.participant.user_id,
        )
        .await?;

    // The new editor writes from a new document, whose client id is clean.
    let fresh_doc = connect(&server, &meeting, "draft", &meeting.participant.token).await?;
    fresh_doc.push_text(0, " DOPISANE");
    for client in [&moderator, &watcher] {
        client
            .wait_until("the new editor's text", WAIT, |doc| {
                draftroom_tests::draft_text(doc).contains("DOPISANE")
            })
            .await?;
    }
    assert!(
        fresh_doc.denials().is_empty(),
        "editor refused: {:?}",
        fresh_doc.denials()
    );

    // The old document's client id carries the refused edit: its next edit
    // on the still-open connection builds on it and is refused too...
    participant.push_text(0, " ZNOWU");
    let denials = participant.wait_denials(3).await?;
    assert_refused(
        "the refused client, now an editor's",
        &denials[2],
        RefusalCode::RefusedClient,
    );

    // ...and so is its sync step 2 when it reconnects with the same document.
    let old_doc = participant.close_and_keep_doc().await;
    let reconnected = YClient::connect_with_doc(
        &server.ws_url(meeting.id(), "draft", &meeting.participant.token),
        old_doc,
    )
    .await?;
    reconnected.wait_synced().await?;
    let denials = reconnected.wait_denials(1).await?;
    assert_refused(
        "the refused client's sync step 2",
        &denials[0],
        RefusalCode::RefusedClient,
    );

    assert_draft_lacks(
        &server,
        &meeting,
        &moderator,
        &[&moderator, &watcher, &fresh_doc],
        &["NIEDOZWOLONE", "ZNOWU"],
    )
    .await?;
    assert!(moderator.draft_text().contains("DOPISANE"));
    Ok(())
}

#[tokio::test]
async fn nobody_writes_the_meeting_room_not_even_the_moderator() -> anyhow::Result<()> {
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja Miasta Krakowa").await?;
    let watcher = connect(&server, &meeting, "meeting", &meeting.participant.token).await?;
    watcher
        .wait_until("the title", WAIT, |doc| meeting_title(doc).is_some())
        .await?;
    let title = meeting_title(watcher.doc());
    assert_eq!(title.as_deref(), Some("Misja Miasta Krakowa"));

    let moderator = connect(&server, &meeting, "meeting", meeting.moderator_token()).await?;
    let info = moderator.doc().get_or_insert_map("meeting");
    moderator.edit(|txn| info.insert(txn, "title", "Przejęte przez moderatora"));
    let denials = moderator.wait_denials(1).await?;
    assert_refused("the moderator", &denials[0], RefusalCode::ServerOnly);

    let editor = connect(&server, &meeting, "meeting", &meeting.editor.token).await?;
    let people = editor.doc().get_or_insert_map("participants");
    let forged_user = uuid::Uuid::new_v4().to_string();
    editor.edit(|txn| people.insert(txn, forged_user.as_str(), "intruz"));
    let denials = editor.wait_denials(1).await?;
    assert_refused("the editor", &denials[0], RefusalCode::ServerOnly);

    let observer = connect(&server, &meeting, "meeting", &meeting.observer.token).await?;
    let notes = observer.doc().get_or_insert_text("notatki");
    observer.edit(|txn| notes.push(txn, "OBSERWATOR PISZE"));
    let denials = observer.wait_denials(1).await?;
    assert_refused("the observer", &denials[0], RefusalCode::ServerOnly);

    // Round trip: a new member makes the server write the room; once the
    // watcher sees that, the refused writes are long decided.
    let newcomer = server
        .join(
            meeting.id(),
            &meeting.created.participant_invite,
            "Nowa Osoba",
        )
        .await?;
    let newcomer_id = newcomer.user_id.to_string();
    watcher
        .wait_until("the newcomer", WAIT, |doc| {
            participants(doc).contains_key(&newcomer_id)
        })
        .await?;
    tokio::time::sleep(QUIET).await;

    let fresh = connect(&server, &meeting, "meeting", &meeting.observer.token).await?;
    fresh
        .wait_until("the newcomer", WAIT, |doc| {
            participants(doc).contains_key(&newcomer_id)
        })
        .await?;
    for (who, client) in [("watcher", &watcher), ("fresh client", &fresh)] {
        assert_eq!(
            meeting_title(client.doc()),
            title,
            "{who} sees a forged title"
        );
        assert!(
            !participants(client.doc()).contains_key(&forged_user),
            "{who} sees the forged participant"
        );
        let txn = client.doc().transact();
        let notes = txn.get_text("notatki").map(|t| t.get_string(&txn));
        assert!(
            notes.as_deref().unwrap_or("").is_empty(),
            "{who} sees the observer's text: {notes:?}"
        );
    }
    assert!(watcher.denials().is_empty(), "only writers are told");
    Ok(())
}

#[tokio::test]
async fn a_forged_client_id_is_refused() -> anyhow::Result<()> {
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja").await?;
    let stolen = random_client_id();
    let moderator = YClient::connect_as(
        &server.ws_url(meeting.id(), "draft", meeting.moderator_token()),
        stolen,
    )
    .await?;
    moderator.wait_synced().await?;
    moderator.add_clause("Alfa");
    let watcher = connect(&server, &meeting, "draft", &meeting.observer.token).await?;
    watcher.wait_for_text("Alfa").await?;

    // The editor may write the draft, but not as the moderator's client.
    let forger = YClient::connect_as(
        &server.ws_url(meeting.id(), "draft", &meeting.editor.token),
        stolen,
    )
    .await?;
    forger.wait_synced().await?;
    forger.wait_for_text("Alfa").await?;
    forger.push_text(0, " PODROBIONE");
    let denials = forger.wait_denials(1).await?;
    assert_refused("forger", &denials[0], RefusalCode::ForeignClient);

    assert_draft_lacks(
        &server,
        &meeting,
        &moderator,
        &[&moderator, &watcher],
        &["PODROBIONE"],
    )
    .await?;

    // An honest editor's update with the moderator's items merged into it
    // is refused whole: no part of it is applied.
    let honest = connect(&server, &meeting, "draft", &meeting.editor.token).await?;
    let (_, own) = honest.edit_unsent(|txn| clause_text(txn, 0).push(txn, " UCZCIWE"));
    let forged = {
        let doc = new_doc(Some(stolen));
        let state = watcher
            .doc()
            .transact()
            .encode_state_as_update_v1(&Default::default());
        let mut txn = doc.transact_mut();
        txn.apply_update(yrs::Update::decode_v1(&state)?)?;
        clause_text(&txn, 0).push(&mut txn, " MIESZANE");
        txn.encode_update_v1()
    };
    honest.send_update(yrs::merge_updates_v1([own, forged])?);
    let denials = honest.wait_denials(1).await?;
    assert_refused(
        "an update mixing own and forged items",
        &denials[0],
        RefusalCode::ForeignClient,
    );
    assert_draft_lacks(
        &server,
        &meeting,
        &moderator,
        &[&moderator, &watcher],
        &["MIESZANE", "UCZCIWE"],
    )
    .await?;

    // The moderator's own client id still writes, and the binding in the
    // meeting room still names the moderator.
    moderator.push_text(0, " Beta");
    watcher
        .wait_until("the moderator's next edit", WAIT, |doc| {
            draftroom_tests::draft_text(doc).ends_with(" Beta")
        })
        .await?;
    assert!(
        moderator.denials().is_empty(),
        "moderator refused: {:?}",
        moderator.denials()
    );
    let room = connect(&server, &meeting, "meeting", &meeting.observer.token).await?;
    room.wait_until("the client binding", WAIT, |doc| {
        clients(doc).contains_key(&stolen.to_string())
    })
    .await?;
    let moderator_id = participants(room.doc())
        .into_iter()
        .find(|(_, p)| p["role"] == "moderator")
        .map(|(id, _)| id)
        .expect("a moderator among participants");
    assert_eq!(clients(room.doc())[&stolen.to_string()], moderator_id);
    Ok(())
}
