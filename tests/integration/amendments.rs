//! Amendments (DESIGN.md, "Shape" and "External interface"): a participant
//! proposes a wording for one clause in its own room `amendment/{id}`, typed
//! live and watched by every member; others support it; the moderator
//! accepts it into the draft or rejects it. Who may do what is checked on
//! the wire, and the server-written `meeting` room follows every step.

use crate::Start;
use draftroom_shared::RefusalCode;
use draftroom_tests::rooms::amendments;
use draftroom_tests::{
    Meeting, QUIET, Server, WAIT, YClient, assert_error, assert_refused, new_doc,
};
use serde_json::Value;
use std::collections::BTreeSet;
use uuid::Uuid;
use yrs::{Text as _, Transact as _};

/// The clause the moderator writes.
const CLAUSE: &str = "Kraków jest miastem otwartym";
/// What the participant's amendment adds to it.
const ADDED: &str = " i współodpowiedzialnym";
/// The clause as amended.
const AMENDED: &str = "Kraków jest miastem otwartym i współodpowiedzialnym";
/// A second clause no amendment touches.
const SECOND: &str = "Wspólnota, różnorodność i pamięć 🏰";

/// The room of an amendment.
fn room(amendment: &str) -> String {
    format!("amendment/{amendment}")
}

/// The ids in a JSON array of user ids, as a set (the order is not part of
/// the contract).
fn id_set(ids: &Value) -> BTreeSet<String> {
    ids.as_array()
        .unwrap_or_else(|| panic!("not a list of user ids: {ids}"))
        .iter()
        .map(|id| {
            id.as_str()
                .unwrap_or_else(|| panic!("not an id: {id}"))
                .to_owned()
        })
        .collect()
}

/// The set of the given user ids.
fn ids<const N: usize>(users: [Uuid; N]) -> BTreeSet<String> {
    users.iter().map(Uuid::to_string).collect()
}

/// Waits until the `meeting` room's entry for `amendment` satisfies `check`.
async fn wait_for_entry(
    room: &YClient,
    amendment: &str,
    what: &str,
    check: impl Fn(&Value) -> bool,
) -> anyhow::Result<Value> {
    room.wait_until(what, WAIT, |doc| {
        amendments(doc).get(amendment).is_some_and(&check)
    })
    .await
    .map_err(|e| {
        e.context(format!(
            "meeting room amendments now {:?}",
            amendments(room.doc())
        ))
    })?;
    Ok(amendments(room.doc())[amendment].clone())
}

#[tokio::test]
async fn a_participants_amendment_is_typed_live_and_written_by_its_author_only()
-> anyhow::Result<()> {
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja Miasta Krakowa").await?;
    let (_moderator, draft, clause_ids) = server.draft_with_clauses(&meeting, &[CLAUSE]).await?;

    let (status, body) = server
        .open_amendment(meeting.id(), &meeting.participant.token, &clause_ids[0])
        .await?;
    assert_eq!(status, 201, "open amendment: {body}");
    let aid = body["id"].as_str().expect("an amendment id").to_owned();
    assert!(aid.parse::<Uuid>().is_ok(), "id is a UUID: {body}");
    assert_eq!(body["room"], room(&aid), "{body}");
    assert_eq!(body["clause_id"], clause_ids[0].as_str(), "{body}");
    assert_eq!(body["text"], CLAUSE, "{body}");

    // The room starts with the clause's text, written by the server.
    let author = server
        .connect_room(meeting.id(), &room(&aid), &meeting.participant.token)
        .await?;
    author.wait_for_amendment_text(CLAUSE).await?;
    let watcher = server
        .connect_room(meeting.id(), &room(&aid), &meeting.observer.token)
        .await?;
    watcher.wait_for_amendment_text(CLAUSE).await?;

    author.push_amendment_text(ADDED);
    watcher.wait_for_amendment_text(AMENDED).await?;

    // Everybody else may watch the room but not write it.
    let other = server
        .join(
            meeting.id(),
            &meeting.created.participant_invite,
            "Anna Ślusarczyk",
        )
        .await?;
    let intruders = [
        ("another participant", other.token.as_str(), " OBCE"),
        ("the editor", meeting.editor.token.as_str(), " REDAKTORA"),
        (
            "an observer",
            meeting.observer.token.as_str(),
            " OBSERWATORA",
        ),
    ];
    for (who, token, refused) in intruders {
        let intruder = server
            .connect_room(meeting.id(), &room(&aid), token)
            .await?;
        intruder.wait_for_amendment_text(AMENDED).await?;
        intruder.push_amendment_text(refused);
        let denials = intruder.wait_denials(1).await?;
        assert_refused(who, &denials[0], RefusalCode::NotAuthor);
    }
    // The back door: text already in a document when it connects arrives as
    // sync step 2, and is refused all the same.
    let offline = new_doc(None);
    let text = offline.get_or_insert_text("text");
    text.push(&mut offline.transact_mut(), "NAPISANE OFFLINE");
    let intruder = YClient::connect_with_doc(
        &server.ws_url(meeting.id(), &room(&aid), &other.token),
        offline,
    )
    .await?;
    intruder.wait_synced().await?;
    let denials = intruder.wait_denials(1).await?;
    assert_refused(
        "another participant's offline text",
        &denials[0],
        RefusalCode::NotAuthor,
    );

    // Round trip: the author's next keystroke reaches the watcher only after
    // the server has decided on every refused write before it.
    author.push_amendment_text(".");
    let expected = format!("{AMENDED}.");
    watcher.wait_for_amendment_text(&expected).await?;
    tokio::time::sleep(QUIET).await;
    assert_eq!(watcher.amendment_text(), expected, "a refused write leaked");
    let fresh = server
        .connect_room(meeting.id(), &room(&aid), &meeting.observer.token)
        .await?;
    fresh.wait_for_amendment_text(&expected).await?;
    assert!(
        author.denials().is_empty(),
        "the author was refused: {:?}",
        author.denials()
    );
    assert!(watcher.denials().is_empty(), "only writers are told");

    // Typing an amendment does not touch the draft.
    assert_eq!(draft.draft_text(), CLAUSE);

    let entry = server
        .amendment_entry(meeting.id(), &aid, &meeting.observer.token)
        .await?;
    assert_eq!(entry["clause_id"], clause_ids[0].as_str(), "{entry}");
    assert_eq!(
        entry["author_id"],
        meeting.participant.user_id.to_string(),
        "{entry}"
    );
    assert_eq!(entry["author_name"], "Zbigniew Ćwiek", "{entry}");
    assert_eq!(entry["status"], "open", "{entry}");
    assert!(id_set(&entry["supporters"]).is_empty(), "{entry}");
    assert!(!entry["created_at"].is_null(), "{entry}");
    assert!(entry["decided_at"].is_null(), "{entry}");
    assert!(entry["decided_by"].is_null(), "{entry}");
    assert_eq!(
        entry["text"],
        expected.as_str(),
        "the current text: {entry}"
    );
    Ok(())
}

#[tokio::test]
async fn support_is_counted_once_and_only_from_participants_and_editors() -> anyhow::Result<()> {
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja Miasta Krakowa").await?;
    let id = meeting.id();
    let (_moderator, _draft, clause_ids) = server.draft_with_clauses(&meeting, &[CLAUSE]).await?;
    let meeting_room = server
        .connect_room(id, "meeting", &meeting.observer.token)
        .await?;

    let aid = server
        .open_amendment_ok(id, &meeting.participant.token, &clause_ids[0])
        .await?;
    let participant_id = meeting.participant.user_id.to_string();
    let entry = wait_for_entry(&meeting_room, &aid, "the new amendment", |_| true).await?;
    assert_eq!(entry["clause_id"], clause_ids[0].as_str(), "{entry}");
    assert_eq!(entry["author"], participant_id.as_str(), "{entry}");
    assert_eq!(entry["status"], "open", "{entry}");
    assert!(id_set(&entry["supporters"]).is_empty(), "{entry}");
    assert_eq!(entry["text"], "", "no text while open: {entry}");
    assert!(!entry["created_at"].is_null(), "{entry}");
    assert!(entry["decided_at"].is_null(), "{entry}");
    assert!(entry["decided_by"].is_null(), "{entry}");

    let other = server
        .join(id, &meeting.created.participant_invite, "Anna Ślusarczyk")
        .await?;
    // The second time without a body at all, which the command also takes.
    for attempt in ["first", "second"] {
        let (status, body) = if attempt == "first" {
            server
                .amendment_command(id, &aid, "support", &other.token)
                .await?
        } else {
            let path = format!("/api/meetings/{id}/amendments/{aid}/support");
            let response = server
                .request("POST", &path, Some(&other.token), None)
                .await?;
            (response.status, response.json())
        };
        assert_eq!(status, 200, "{attempt} support: {body}");
        assert_eq!(body["id"], aid.as_str(), "{body}");
        assert_eq!(
            id_set(&body["supporters"]),
            ids([other.user_id]),
            "{attempt} support counts once: {body}"
        );
    }
    wait_for_entry(&meeting_room, &aid, "one supporter", |entry| {
        id_set(&entry["supporters"]) == ids([other.user_id])
    })
    .await?;

    let (status, body) = server
        .amendment_command(id, &aid, "support", &meeting.editor.token)
        .await?;
    assert_eq!(status, 200, "editor's support: {body}");
    let both = ids([other.user_id, meeting.editor.user_id]);
    assert_eq!(id_set(&body["supporters"]), both, "{body}");
    wait_for_entry(&meeting_room, &aid, "two supporters", |entry| {
        id_set(&entry["supporters"]) == both
    })
    .await?;

    let by_author = server
        .amendment_command(id, &aid, "support", &meeting.participant.token)
        .await?;
    assert_error("the author's own support", &by_author, 409, "conflict");
    let by_moderator = server
        .amendment_command(id, &aid, "support", meeting.moderator_token())
        .await?;
    assert_error("the moderator's support", &by_moderator, 403, "forbidden");
    let by_observer = server
        .amendment_command(id, &aid, "support", &meeting.observer.token)
        .await?;
    assert_error("an observer's support", &by_observer, 403, "forbidden");
    let unknown = server
        .amendment_command(id, &Uuid::new_v4().to_string(), "support", &other.token)
        .await?;
    assert_error(
        "support of an unknown amendment",
        &unknown,
        404,
        "not_found",
    );

    let entry = server
        .amendment_entry(id, &aid, &meeting.observer.token)
        .await?;
    assert_eq!(
        id_set(&entry["supporters"]),
        both,
        "refusals count nobody: {entry}"
    );

    // A decided amendment takes no more support.
    let (status, body) = server
        .amendment_command(id, &aid, "reject", meeting.moderator_token())
        .await?;
    assert_eq!(status, 200, "reject: {body}");
    let late = server
        .amendment_command(id, &aid, "support", &other.token)
        .await?;
    assert_error("support after the decision", &late, 409, "conflict");
    Ok(())
}

#[tokio::test]
async fn who_may_open_and_decide_amendments() -> anyhow::Result<()> {
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja Miasta Krakowa").await?;
    let id = meeting.id();
    let (_moderator, _draft, clause_ids) = server.draft_with_clauses(&meeting, &[CLAUSE]).await?;

    let by_observer = server
        .open_amendment(id, &meeting.observer.token, &clause_ids[0])
        .await?;
    assert_error("an observer's amendment", &by_observer, 403, "forbidden");
    let anonymous = server
        .post_json(
            &format!("/api/meetings/{id}/amendments"),
            None,
            &serde_json::json!({"clause_id": clause_ids[0]}),
        )
        .await?;
    assert_error(
        "an amendment without a token",
        &anonymous,
        401,
        "unauthorized",
    );
    let unknown_clause = server
        .open_amendment(id, &meeting.participant.token, &Uuid::new_v4().to_string())
        .await?;
    assert_error(
        "an amendment of an unknown clause",
        &unknown_clause,
        404,
        "not_found",
    );

    // Editors and the moderator may propose wordings too.
    for (who, token) in [
        ("editor", meeting.editor.token.as_str()),
        ("moderator", meeting.moderator_token()),
    ] {
        let (status, body) = server.open_amendment(id, token, &clause_ids[0]).await?;
        assert_eq!(status, 201, "{who}'s amendment: {body}");
        assert_eq!(body["text"], CLAUSE, "{who}'s amendment: {body}");
    }

    let aid = server
        .open_amendment_ok(id, &meeting.participant.token, &clause_ids[0])
        .await?;
    for command in ["accept", "reject"] {
        for (who, token) in [
            (
                "participant (the author)",
                meeting.participant.token.as_str(),
            ),
            ("editor", meeting.editor.token.as_str()),
            ("observer", meeting.observer.token.as_str()),
        ] {
            let answer = server.amendment_command(id, &aid, command, token).await?;
            assert_error(
                &format!("{command} by the {who}"),
                &answer,
                403,
                "forbidden",
            );
        }
        let unknown = server
            .amendment_command(
                id,
                &Uuid::new_v4().to_string(),
                command,
                meeting.moderator_token(),
            )
            .await?;
        assert_error(
            &format!("{command} of an unknown amendment"),
            &unknown,
            404,
            "not_found",
        );
    }
    let entry = server
        .amendment_entry(id, &aid, &meeting.observer.token)
        .await?;
    assert_eq!(entry["status"], "open", "refusals decide nothing: {entry}");
    Ok(())
}

#[tokio::test]
async fn accepting_applies_the_amendment_to_every_draft_client() -> anyhow::Result<()> {
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja Miasta Krakowa").await?;
    let id = meeting.id();
    let moderator_id = server.moderator_id(&meeting).await?;
    let (moderator, observer, clause_ids) = server
        .draft_with_clauses(&meeting, &[CLAUSE, SECOND])
        .await?;
    let editor = server
        .connect_room(id, "draft", &meeting.editor.token)
        .await?;
    let before = format!("{CLAUSE}\n\n{SECOND}");
    editor.wait_for_text(&before).await?;
    let meeting_room = server
        .connect_room(id, "meeting", &meeting.observer.token)
        .await?;

    let aid = server
        .open_amendment_ok(id, &meeting.participant.token, &clause_ids[0])
        .await?;
    let author = server
        .connect_room(id, &room(&aid), &meeting.participant.token)
        .await?;
    author.wait_for_amendment_text(CLAUSE).await?;
    let watcher = server
        .connect_room(id, &room(&aid), &meeting.observer.token)
        .await?;
    author.push_amendment_text(ADDED);
    // Once a watcher has the text, so has the server.
    watcher.wait_for_amendment_text(AMENDED).await?;

    let (status, body) = server
        .amendment_command(id, &aid, "accept", meeting.moderator_token())
        .await?;
    assert_eq!(status, 200, "accept: {body}");
    assert_eq!(body["id"], aid.as_str(), "{body}");
    assert_eq!(body["status"], "accepted", "{body}");
    assert_eq!(body["clause_id"], clause_ids[0].as_str(), "{body}");
    assert_eq!(body["text"], AMENDED, "{body}");

    let after = format!("{AMENDED}\n\n{SECOND}");
    for (who, client) in [
        ("moderator", &moderator),
        ("editor", &editor),
        ("observer", &observer),
    ] {
        client
            .wait_for_text(&after)
            .await
            .map_err(|e| e.context(format!("the {who}'s draft")))?;
        assert!(client.errors().is_empty(), "{who}: {:?}", client.errors());
    }
    let fresh = server
        .connect_room(id, "draft", &meeting.participant.token)
        .await?;
    fresh.wait_for_text(&after).await?;

    // The draft goes on from the amended text like any other.
    moderator.push_text(0, "!");
    observer
        .wait_for_text(&format!("{AMENDED}!\n\n{SECOND}"))
        .await?;

    let again = server
        .amendment_command(id, &aid, "accept", meeting.moderator_token())
        .await?;
    assert_error("accepting twice", &again, 409, "conflict");
    let reject = server
        .amendment_command(id, &aid, "reject", meeting.moderator_token())
        .await?;
    assert_error("rejecting an accepted amendment", &reject, 409, "conflict");

    // A decided amendment is closed even to its author.
    author.push_amendment_text(" PO DECYZJI");
    let denials = author.wait_denials(1).await?;
    assert_refused(
        "the author after acceptance",
        &denials[0],
        RefusalCode::Decided,
    );
    tokio::time::sleep(QUIET).await;
    assert_eq!(watcher.amendment_text(), AMENDED, "a refused write leaked");

    let entry = wait_for_entry(&meeting_room, &aid, "the acceptance", |entry| {
        entry["status"] == "accepted"
    })
    .await?;
    assert_eq!(entry["decided_by"], moderator_id.as_str(), "{entry}");
    assert!(!entry["decided_at"].is_null(), "{entry}");
    assert_eq!(entry["text"], AMENDED, "{entry}");
    assert_eq!(entry["clause_id"], clause_ids[0].as_str(), "{entry}");

    let entry = server
        .amendment_entry(id, &aid, &meeting.participant.token)
        .await?;
    assert_eq!(entry["status"], "accepted", "{entry}");
    assert_eq!(entry["decided_by"], moderator_id.as_str(), "{entry}");
    assert!(!entry["decided_at"].is_null(), "{entry}");
    assert_eq!(entry["text"], AMENDED, "{entry}");
    assert!(
        moderator.denials().is_empty() && editor.denials().is_empty(),
        "draft writers refused: {:?} {:?}",
        moderator.denials(),
        editor.denials()
    );
    Ok(())
}

#[tokio::test]
async fn rejecting_closes_the_amendment_and_leaves_the_draft() -> anyhow::Result<()> {
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja Miasta Krakowa").await?;
    let id = meeting.id();
    let moderator_id = server.moderator_id(&meeting).await?;
    let (moderator, observer, clause_ids) = server.draft_with_clauses(&meeting, &[CLAUSE]).await?;
    let meeting_room = server
        .connect_room(id, "meeting", &meeting.observer.token)
        .await?;

    let aid = server
        .open_amendment_ok(id, &meeting.participant.token, &clause_ids[0])
        .await?;
    let author = server
        .connect_room(id, &room(&aid), &meeting.participant.token)
        .await?;
    author.wait_for_amendment_text(CLAUSE).await?;
    author.replace_amendment_text("otwartym", "zamkniętym");
    let rejected_text = "Kraków jest miastem zamkniętym";
    let watcher = server
        .connect_room(id, &room(&aid), &meeting.observer.token)
        .await?;
    watcher.wait_for_amendment_text(rejected_text).await?;

    let (status, body) = server
        .amendment_command(id, &aid, "reject", meeting.moderator_token())
        .await?;
    assert_eq!(status, 200, "reject: {body}");
    assert_eq!(body["id"], aid.as_str(), "{body}");
    assert_eq!(body["status"], "rejected", "{body}");

    let again = server
        .amendment_command(id, &aid, "reject", meeting.moderator_token())
        .await?;
    assert_error("rejecting twice", &again, 409, "conflict");
    let accept = server
        .amendment_command(id, &aid, "accept", meeting.moderator_token())
        .await?;
    assert_error("accepting a rejected amendment", &accept, 409, "conflict");

    author.push_amendment_text(" PO DECYZJI");
    let denials = author.wait_denials(1).await?;
    assert_refused(
        "the author after rejection",
        &denials[0],
        RefusalCode::Decided,
    );

    // Round trip through the draft: the moderator's marker arrives, and the
    // rejected wording never did.
    moderator.push_text(0, " [znacznik]");
    let expected = format!("{CLAUSE} [znacznik]");
    observer.wait_for_text(&expected).await?;
    tokio::time::sleep(QUIET).await;
    assert_eq!(observer.draft_text(), expected);
    assert_eq!(
        watcher.amendment_text(),
        rejected_text,
        "a refused write leaked"
    );

    let entry = wait_for_entry(&meeting_room, &aid, "the rejection", |entry| {
        entry["status"] == "rejected"
    })
    .await?;
    assert_eq!(entry["decided_by"], moderator_id.as_str(), "{entry}");
    assert!(!entry["decided_at"].is_null(), "{entry}");
    assert_eq!(entry["text"], rejected_text, "{entry}");
    let entry = server
        .amendment_entry(id, &aid, &meeting.observer.token)
        .await?;
    assert_eq!(entry["status"], "rejected", "{entry}");
    assert_eq!(entry["decided_by"], moderator_id.as_str(), "{entry}");
    Ok(())
}

#[tokio::test]
async fn accepting_an_amendment_of_a_deleted_clause_is_a_conflict() -> anyhow::Result<()> {
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja Miasta Krakowa").await?;
    let id = meeting.id();
    let (moderator, observer, clause_ids) = server
        .draft_with_clauses(&meeting, &[CLAUSE, SECOND])
        .await?;

    let aid = server
        .open_amendment_ok(id, &meeting.participant.token, &clause_ids[1])
        .await?;
    let author = server
        .connect_room(id, &room(&aid), &meeting.participant.token)
        .await?;
    author.wait_for_amendment_text(SECOND).await?;
    author.push_amendment_text(" — zmienione");
    let watcher = server
        .connect_room(id, &room(&aid), &meeting.observer.token)
        .await?;
    watcher
        .wait_for_amendment_text(&format!("{SECOND} — zmienione"))
        .await?;

    // The moderator deletes the clause the amendment is about.
    let clauses = moderator.doc().get_or_insert_array("clauses");
    moderator.edit(|txn| yrs::Array::remove(&clauses, txn, 1));
    observer.wait_for_text(CLAUSE).await?;

    let accept = server
        .amendment_command(id, &aid, "accept", meeting.moderator_token())
        .await?;
    assert_error("accepting for a deleted clause", &accept, 409, "conflict");
    tokio::time::sleep(QUIET).await;
    assert_eq!(
        observer.draft_text(),
        CLAUSE,
        "the refused accept wrote the draft"
    );
    let entry = server
        .amendment_entry(id, &aid, &meeting.observer.token)
        .await?;
    assert_eq!(
        entry["status"], "open",
        "a refused accept decides nothing: {entry}"
    );

    // It can still be rejected.
    let (status, body) = server
        .amendment_command(id, &aid, "reject", meeting.moderator_token())
        .await?;
    assert_eq!(status, 200, "reject: {body}");
    Ok(())
}
