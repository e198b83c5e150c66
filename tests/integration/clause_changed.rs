//! Accepting an amendment never overwrites a change to its clause that the
//! moderator has not seen. The server keeps the clause's text from when the
//! amendment was opened (its base); if the clause reads otherwise now,
//! `accept` answers 409 `clause_changed` with the three texts, and goes
//! through only with `{"clause_sha256"}` of the clause's current text.

use crate::Start;
use draftroom_tests::rooms::amendments;
use draftroom_tests::{Meeting, QUIET, Server, WAIT, YClient, assert_error};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The clause the moderator writes: Polish letters and an emoji.
const CLAUSE: &str = "Łódź i Kraków — miasta współpracy 🤝";
/// The amendment's wording.
const PROPOSED: &str = "Łódź i Kraków — miasta współodpowiedzialności 🤝";
/// The clause after the moderator typed on, once the amendment was open.
const CHANGED: &str = "Łódź i Kraków — miasta współpracy 🤝 i zaufania ✨";
/// The clause after an editor typed on again.
const CHANGED_AGAIN: &str = "Łódź i Kraków — miasta współpracy 🤝 i zaufania ✨; żółć gęślą";

fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `POST …/accept` as the moderator, with `body` as JSON or no body at all.
async fn accept(
    server: &Server,
    meeting: &Meeting,
    aid: &str,
    body: Option<Value>,
) -> anyhow::Result<(u16, Value)> {
    let path = format!("/api/meetings/{}/amendments/{aid}/accept", meeting.id());
    match body {
        Some(body) => {
            server
                .post_json(&path, Some(meeting.moderator_token()), &body)
                .await
        }
        None => {
            let response = server
                .request("POST", &path, Some(meeting.moderator_token()), None)
                .await?;
            Ok((response.status, response.json()))
        }
    }
}

/// Opens an amendment of the first clause as the participant and types
/// [`PROPOSED`] into it; answers its id once the server holds the wording.
async fn amendment_proposing(
    server: &Server,
    meeting: &Meeting,
    clause: &str,
) -> anyhow::Result<String> {
    let aid = server
        .open_amendment_ok(meeting.id(), &meeting.participant.token, clause)
        .await?;
    let room = format!("amendment/{aid}");
    let author = server
        .connect_room(meeting.id(), &room, &meeting.participant.token)
        .await?;
    author.wait_for_amendment_text(CLAUSE).await?;
    author.replace_amendment_text("współpracy", "współodpowiedzialności");
    let watcher = server
        .connect_room(meeting.id(), &room, &meeting.observer.token)
        .await?;
    watcher.wait_for_amendment_text(PROPOSED).await?;
    Ok(aid)
}

/// Checks a `clause_changed` refusal and its texts.
#[track_caller]
fn assert_clause_changed(what: &str, answer: &(u16, Value), opened: &str, current: &str) {
    assert_error(what, answer, 409, "clause_changed");
    let error = &answer.1["error"];
    assert_eq!(error["opened"], opened, "{what}: {error}");
    assert_eq!(error["current"], current, "{what}: {error}");
    assert_eq!(error["proposed"], PROPOSED, "{what}: {error}");
    assert_eq!(
        error["current_sha256"],
        sha256(current).as_str(),
        "{what}: {error}"
    );
}

/// The draft as the server holds it: a fresh client's copy, after a quiet
/// moment for `watching` to show a write that should not have happened.
async fn assert_draft(server: &Server, meeting: &Meeting, watching: &YClient, expected: &str) {
    tokio::time::sleep(QUIET).await;
    assert_eq!(watching.draft_text(), expected, "the draft was written");
    let fresh = server
        .connect_room(meeting.id(), "draft", &meeting.observer.token)
        .await
        .expect("a fresh client");
    fresh
        .wait_for_text(expected)
        .await
        .expect("the server's draft");
}

#[tokio::test]
async fn an_unchanged_clause_is_accepted_without_a_body() -> anyhow::Result<()> {
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja Łodzi").await?;
    let (_moderator, observer, clauses) = server.draft_with_clauses(&meeting, &[CLAUSE]).await?;
    let aid = amendment_proposing(&server, &meeting, &clauses[0]).await?;

    // A hash of some other text says the moderator saw something else.
    let wrong = accept(
        &server,
        &meeting,
        &aid,
        Some(json!({ "clause_sha256": sha256(CHANGED) })),
    )
    .await?;
    assert_clause_changed(
        "an unchanged clause with a wrong hash",
        &wrong,
        CLAUSE,
        CLAUSE,
    );
    let malformed = accept(
        &server,
        &meeting,
        &aid,
        Some(json!({ "clause_sha256": "nie-skrót" })),
    )
    .await?;
    assert_error("a malformed hash", &malformed, 400, "bad_request");
    assert_draft(&server, &meeting, &observer, CLAUSE).await;

    let (status, body) = accept(&server, &meeting, &aid, None).await?;
    assert_eq!(status, 200, "accept without a body: {body}");
    assert_eq!(body["text"], PROPOSED, "{body}");
    observer.wait_for_text(PROPOSED).await?;
    let entry = server
        .amendment_entry(meeting.id(), &aid, &meeting.observer.token)
        .await?;
    assert_eq!(entry["status"], "accepted", "{entry}");
    assert_eq!(entry["base_text"], CLAUSE, "{entry}");
    Ok(())
}

#[tokio::test]
async fn a_changed_clause_is_accepted_only_over_the_text_the_moderator_saw() -> anyhow::Result<()> {
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja Łodzi").await?;
    let id = meeting.id();
    let (moderator, observer, clauses) = server.draft_with_clauses(&meeting, &[CLAUSE]).await?;
    let editor = server
        .connect_room(id, "draft", &meeting.editor.token)
        .await?;
    editor.wait_for_text(CLAUSE).await?;
    let aid = amendment_proposing(&server, &meeting, &clauses[0]).await?;

    // Someone's words land in the clause after the amendment was opened.
    moderator.push_text(0, " i zaufania ✨");
    observer.wait_for_text(CHANGED).await?;
    for body in [
        None,
        Some(json!({})),
        Some(json!({ "clause_sha256": null })),
    ] {
        let what = format!("accept over a changed clause with body {body:?}");
        let refused = accept(&server, &meeting, &aid, body).await?;
        assert_clause_changed(&what, &refused, CLAUSE, CHANGED);
    }
    assert_draft(&server, &meeting, &observer, CHANGED).await;
    let entry = server
        .amendment_entry(id, &aid, &meeting.observer.token)
        .await?;
    assert_eq!(
        entry["status"], "open",
        "a refusal decides nothing: {entry}"
    );

    // The moderator looks at the texts; meanwhile an editor types on.
    let seen = sha256(CHANGED);
    editor.push_text(0, "; żółć gęślą");
    observer.wait_for_text(CHANGED_AGAIN).await?;
    let stale = accept(
        &server,
        &meeting,
        &aid,
        Some(json!({ "clause_sha256": seen })),
    )
    .await?;
    assert_clause_changed("accept with a stale hash", &stale, CLAUSE, CHANGED_AGAIN);
    assert_draft(&server, &meeting, &observer, CHANGED_AGAIN).await;

    // Confirmed over the text as it is now (the hash in capitals is the same).
    let confirmed = stale.1["error"]["current_sha256"]
        .as_str()
        .expect("a hash")
        .to_ascii_uppercase();
    let (status, body) = accept(
        &server,
        &meeting,
        &aid,
        Some(json!({ "clause_sha256": confirmed })),
    )
    .await?;
    assert_eq!(status, 200, "accept confirmed: {body}");
    assert_eq!(body["status"], "accepted", "{body}");
    assert_eq!(body["text"], PROPOSED, "{body}");
    for client in [&moderator, &editor, &observer] {
        client.wait_for_text(PROPOSED).await?;
    }
    assert!(moderator.denials().is_empty() && editor.denials().is_empty());
    Ok(())
}

#[tokio::test]
async fn the_base_is_shown_and_survives_a_restart() -> anyhow::Result<()> {
    let mut server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja Łodzi").await?;
    let id = meeting.id();
    let (moderator, observer, clauses) = server.draft_with_clauses(&meeting, &[CLAUSE]).await?;
    let aid = amendment_proposing(&server, &meeting, &clauses[0]).await?;
    moderator.push_text(0, " i zaufania ✨");
    observer.wait_for_text(CHANGED).await?;

    let room = server
        .connect_room(id, "meeting", &meeting.observer.token)
        .await?;
    room.wait_until("the amendment's base", WAIT, |doc| {
        amendments(doc)
            .get(&aid)
            .is_some_and(|a| a["base"] == CLAUSE && a["text"] == "")
    })
    .await?;
    let entry = server
        .amendment_entry(id, &aid, &meeting.observer.token)
        .await?;
    assert_eq!(entry["base_text"], CLAUSE, "{entry}");
    assert_eq!(entry["text"], PROPOSED, "{entry}");

    drop((moderator, observer, room));
    server.restart();

    let entry = server
        .amendment_entry(id, &aid, &meeting.observer.token)
        .await?;
    assert_eq!(entry["base_text"], CLAUSE, "after the restart: {entry}");
    let room = server
        .connect_room(id, "meeting", &meeting.observer.token)
        .await?;
    room.wait_until("the base after the restart", WAIT, |doc| {
        amendments(doc)
            .get(&aid)
            .is_some_and(|a| a["base"] == CLAUSE)
    })
    .await?;
    let refused = accept(&server, &meeting, &aid, None).await?;
    assert_clause_changed("accept after the restart", &refused, CLAUSE, CHANGED);
    let (status, body) = accept(
        &server,
        &meeting,
        &aid,
        Some(json!({ "clause_sha256": sha256(CHANGED) })),
    )
    .await?;
    assert_eq!(status, 200, "accept confirmed after the restart: {body}");
    let draft = server
        .connect_room(id, "draft", &meeting.observer.token)
        .await?;
    draft.wait_for_text(PROPOSED).await?;
    Ok(())
}
