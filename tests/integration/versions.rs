//! Freezing and versions (DESIGN.md, "Freezing"): `freeze` records an
//! immutable version (number, time, who, the plain text and its SHA-256);
//! while frozen the draft takes no write from anyone, over the real socket;
//! `reopen` starts the next round; versions never change, survive a crash,
//! come as JSON, Markdown and plain text, and diff word by word. The restart and the
//! meeting's report are in `record.rs`.

use crate::Start;
use draftroom_shared::RefusalCode;
use draftroom_tests::rooms::{meeting_info, versions};
use draftroom_tests::{Meeting, QUIET, Server, WAIT, YClient, assert_error, assert_refused};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// The first clause: Polish letters and an emoji outside the BMP.
const FIRST: &str = "Kraków — miasto otwarte 🏙️";
/// The second clause: every Polish letter.
const SECOND: &str = "Współodpowiedzialność, różnorodność, żywa tradycja: ąćęłńóśźż ĄĆĘŁŃÓŚŹŻ";

/// The lower-case hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Freezes as the moderator and checks the answer is 200.
pub(crate) async fn freeze(server: &Server, meeting: &Meeting) -> anyhow::Result<Value> {
    let (status, body) = server
        .meeting_command(meeting.id(), "freeze", meeting.moderator_token())
        .await?;
    anyhow::ensure!(status == 200, "freeze answered {status}: {body}");
    Ok(body)
}

/// Reopens as the moderator and checks the answer is 200.
pub(crate) async fn reopen(server: &Server, meeting: &Meeting) -> anyhow::Result<Value> {
    let (status, body) = server
        .meeting_command(meeting.id(), "reopen", meeting.moderator_token())
        .await?;
    anyhow::ensure!(status == 200, "reopen answered {status}: {body}");
    Ok(body)
}

/// Waits until the `meeting` room's `meeting.phase` is `phase`.
pub(crate) async fn wait_for_phase(room: &YClient, phase: &str) -> anyhow::Result<()> {
    room.wait_until(&format!("phase {phase}"), WAIT, |doc| {
        meeting_info(doc).get("phase").and_then(Value::as_str) == Some(phase)
    })
    .await
    .map_err(|e| e.context(format!("meeting now {:?}", meeting_info(room.doc()))))
}

/// `GET path` as `token`; answers status, content type and body text.
pub(crate) async fn get_text(
    server: &Server,
    path: &str,
    token: &str,
) -> anyhow::Result<(u16, String, String)> {
    let response = server.request("GET", path, Some(token), None).await?;
    let content_type = response.header("content-type").unwrap_or("").to_owned();
    let body = String::from_utf8(response.body)?;
    Ok((response.status, content_type, body))
}

/// Checks a content type, ignoring case (as MIME types and charsets do).
#[track_caller]
pub(crate) fn assert_content_type(what: &str, got: &str, expected: &str) {
    assert!(
        got.eq_ignore_ascii_case(expected),
        "{what}: content type {got:?}, expected {expected:?}"
    );
}

#[tokio::test]
async fn freezing_records_version_one_with_its_sha256() -> anyhow::Result<()> {
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja Miasta Krakowa").await?;
    let id = meeting.id();
    let moderator_id = server.moderator_id(&meeting).await?;
    let meeting_room = server
        .connect_room(id, "meeting", &meeting.observer.token)
        .await?;
    let (_moderator, _observer, clause_ids) = server
        .draft_with_clauses(&meeting, &[FIRST, SECOND])
        .await?;
    let text = format!("{FIRST}\n\n{SECOND}");
    let sha = sha256_hex(text.as_bytes());
    wait_for_phase(&meeting_room, "drafting").await?;

    for (who, token) in [
        ("editor", meeting.editor.token.as_str()),
        ("participant", meeting.participant.token.as_str()),
        ("observer", meeting.observer.token.as_str()),
    ] {
        let answer = server.meeting_command(id, "freeze", token).await?;
        assert_error(&format!("freeze by the {who}"), &answer, 403, "forbidden");
    }

    let frozen = freeze(&server, &meeting).await?;
    assert_eq!(frozen["version"], 1, "{frozen}");
    assert_eq!(frozen["text"], text.as_str(), "{frozen}");
    assert_eq!(frozen["sha256"], sha.as_str(), "{frozen}");
    assert!(!frozen["created_at"].is_null(), "{frozen}");

    let again = server
        .meeting_command(id, "freeze", meeting.moderator_token())
        .await?;
    assert_error("freezing a frozen draft", &again, 409, "conflict");

    // The meeting room shows the phase and the version live.
    wait_for_phase(&meeting_room, "frozen").await?;
    meeting_room
        .wait_until("version 1", WAIT, |doc| versions(doc).contains_key("1"))
        .await?;
    let recorded = versions(meeting_room.doc())["1"].clone();
    assert_eq!(recorded["version"], 1, "{recorded}");
    assert_eq!(recorded["sha256"], sha.as_str(), "{recorded}");
    assert_eq!(recorded["text"], text.as_str(), "{recorded}");
    assert_eq!(recorded["frozen_by"], moderator_id.as_str(), "{recorded}");
    assert!(!recorded["created_at"].is_null(), "{recorded}");

    let (status, list) = server
        .get(
            &format!("/api/meetings/{id}/versions"),
            Some(&meeting.participant.token),
        )
        .await?;
    assert_eq!(status, 200, "versions: {list}");
    let list = list.as_array().expect("a list of versions").clone();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["version"], 1, "{list:?}");
    assert_eq!(list[0]["sha256"], sha.as_str(), "{list:?}");
    assert_eq!(list[0]["frozen_by"], moderator_id.as_str(), "{list:?}");
    assert_eq!(list[0]["frozen_by_name"], "Ewa Łukasiewicz", "{list:?}");
    assert_eq!(list[0]["created_at"], frozen["created_at"], "{list:?}");

    // JSON, the default: the text, and each clause with who wrote it.
    let one = format!("/api/meetings/{id}/versions/1");
    let (status, version) = server.get(&one, Some(&meeting.observer.token)).await?;
    assert_eq!(status, 200, "version 1: {version}");
    assert_eq!(version["version"], 1, "{version}");
    assert_eq!(version["text"], text.as_str(), "{version}");
    assert_eq!(version["sha256"], sha.as_str(), "{version}");
    assert_eq!(version["frozen_by"], moderator_id.as_str(), "{version}");
    assert_eq!(version["frozen_by_name"], "Ewa Łukasiewicz", "{version}");
    assert_eq!(version["created_at"], frozen["created_at"], "{version}");
    let clauses = version["clauses"].as_array().expect("clauses").clone();
    assert_eq!(clauses.len(), 2, "{version}");
    for (clause, (clause_id, clause_text)) in
        clauses.iter().zip(clause_ids.iter().zip([FIRST, SECOND]))
    {
        assert_eq!(clause["id"], clause_id.as_str(), "{clause}");
        assert_eq!(clause["text"], clause_text, "{clause}");
        let authors = clause["authors"].as_array().expect("authors");
        assert_eq!(authors.len(), 1, "one author: {clause}");
        assert_eq!(authors[0]["user_id"], moderator_id.as_str(), "{clause}");
        assert_eq!(authors[0]["name"], "Ewa Łukasiewicz", "{clause}");
        // Who wrote which characters then: spans that make up the text.
        let spans = clause["spans"].as_array().expect("spans");
        let joined: String = spans.iter().filter_map(|s| s["text"].as_str()).collect();
        assert_eq!(joined, clause_text, "{clause}");
        assert!(
            spans.iter().all(|s| s["user_id"] == moderator_id.as_str()),
            "{clause}"
        );
    }
    // All BMP, so characters are the same in any count.
    assert_eq!(
        clauses[1]["authors"][0]["characters"],
        SECOND.chars().count(),
        "{}",
        clauses[1]
    );
    let (status, explicit) = server
        .get(&format!("{one}?format=json"), Some(&meeting.observer.token))
        .await?;
    assert_eq!(status, 200, "format=json: {explicit}");
    assert_eq!(explicit, version, "format=json is the default");

    // Plain text: exactly the text, so it hashes to the recorded SHA-256.
    let (status, content_type, body) = get_text(
        &server,
        &format!("{one}?format=txt"),
        &meeting.observer.token,
    )
    .await?;
    assert_eq!(status, 200, "txt: {body}");
    assert_content_type("txt", &content_type, "text/plain; charset=utf-8");
    assert_eq!(body, text);
    assert_eq!(sha256_hex(body.as_bytes()), sha);

    let (status, content_type, body) = get_text(
        &server,
        &format!("{one}?format=md"),
        &meeting.observer.token,
    )
    .await?;
    assert_eq!(status, 200, "md: {body}");
    assert_content_type("md", &content_type, "text/markdown; charset=utf-8");
    for clause in [FIRST, SECOND] {
        assert!(body.contains(clause), "md lacks {clause:?}:\n{body}");
    }

    let unknown = server
        .get(
            &format!("/api/meetings/{id}/versions/2"),
            Some(&meeting.observer.token),
        )
        .await?;
    assert_error("an unknown version", &unknown, 404, "not_found");
    let bad_format = server
        .get(&format!("{one}?format=pdf"), Some(&meeting.observer.token))
        .await?;
    assert_error("an unknown format", &bad_format, 400, "bad_request");
    Ok(())
}

#[tokio::test]
async fn a_frozen_draft_refuses_every_write_until_reopened() -> anyhow::Result<()> {
    const CLAUSE: &str = "Kraków jest miastem otwartym";
    const AMENDED: &str = "Kraków jest miastem otwartym i współodpowiedzialnym";
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja Miasta Krakowa").await?;
    let id = meeting.id();
    let meeting_room = server
        .connect_room(id, "meeting", &meeting.observer.token)
        .await?;
    let (moderator, observer, clause_ids) = server.draft_with_clauses(&meeting, &[CLAUSE]).await?;
    let editor = server
        .connect_room(id, "draft", &meeting.editor.token)
        .await?;
    editor.wait_for_text(CLAUSE).await?;

    // An amendment typed before the freeze.
    let aid = server
        .open_amendment_ok(id, &meeting.participant.token, &clause_ids[0])
        .await?;
    let room = format!("amendment/{aid}");
    let author = server
        .connect_room(id, &room, &meeting.participant.token)
        .await?;
    author.wait_for_amendment_text(CLAUSE).await?;
    author.push_amendment_text(" i współodpowiedzialnym");
    let watcher = server
        .connect_room(id, &room, &meeting.observer.token)
        .await?;
    watcher.wait_for_amendment_text(AMENDED).await?;

    freeze(&server, &meeting).await?;
    wait_for_phase(&meeting_room, "frozen").await?;

    // Every kind of write, by both roles that may write the draft; each
    // from its own client, since a refused client stays refused.
    let moderator_adds = server
        .connect_room(id, "draft", meeting.moderator_token())
        .await?;
    let editor_deletes = server
        .connect_room(id, "draft", &meeting.editor.token)
        .await?;
    moderator.push_text(0, " MODERATOR-ZAMROŻONE");
    editor.insert_text(0, 0, "REDAKTOR-ZAMROŻONE ");
    moderator_adds.add_clause("NOWA KLAUZULA W ZAMROŻENIU");
    editor_deletes.delete_text(0, 0, 7);
    for (who, client) in [
        ("moderator typing", &moderator),
        ("editor typing", &editor),
        ("moderator adding a clause", &moderator_adds),
        ("editor deleting", &editor_deletes),
    ] {
        // The denial is the round trip: the server has decided this write.
        let denials = client.wait_denials(1).await?;
        assert_refused(who, &denials[0], RefusalCode::Frozen);
    }
    tokio::time::sleep(QUIET).await;
    assert_eq!(
        observer.draft_text(),
        CLAUSE,
        "a refused write reached a watcher"
    );
    let fresh = server
        .connect_room(id, "draft", &meeting.observer.token)
        .await?;
    assert_eq!(fresh.draft_text(), CLAUSE, "a refused write is in the room");
    assert!(observer.denials().is_empty(), "only writers are told");

    let accept = server
        .amendment_command(id, &aid, "accept", meeting.moderator_token())
        .await?;
    assert_error("accepting while frozen", &accept, 409, "conflict");
    let entry = server
        .amendment_entry(id, &aid, &meeting.observer.token)
        .await?;
    assert_eq!(
        entry["status"], "open",
        "a refused accept decides nothing: {entry}"
    );

    let by_editor = server
        .meeting_command(id, "reopen", &meeting.editor.token)
        .await?;
    assert_error("reopen by the editor", &by_editor, 403, "forbidden");
    let reopened = reopen(&server, &meeting).await?;
    assert_eq!(reopened["phase"], "drafting", "{reopened}");
    let again = server
        .meeting_command(id, "reopen", meeting.moderator_token())
        .await?;
    assert_error("reopening an open draft", &again, 409, "conflict");
    wait_for_phase(&meeting_room, "drafting").await?;

    // The refused client's next edit builds on its refused one: still refused.
    moderator.push_text(0, " PO OTWARCIU");
    let denials = moderator.wait_denials(2).await?;
    assert_refused(
        "the refused client after the reopen",
        &denials[1],
        RefusalCode::RefusedClient,
    );

    // Fresh clients write again, and the amendment can be accepted.
    let (status, body) = server
        .amendment_command(id, &aid, "accept", meeting.moderator_token())
        .await?;
    assert_eq!(status, 200, "accept after reopen: {body}");
    observer.wait_for_text(AMENDED).await?;
    let moderator = server
        .connect_room(id, "draft", meeting.moderator_token())
        .await?;
    moderator.push_text(0, "!");
    observer.wait_for_text(&format!("{AMENDED}!")).await?;
    let editor = server
        .connect_room(id, "draft", &meeting.editor.token)
        .await?;
    editor.wait_for_text(&format!("{AMENDED}!")).await?;
    editor.add_clause("Druga klauzula redaktora");
    let expected = format!("{AMENDED}!\n\nDruga klauzula redaktora");
    observer.wait_for_text(&expected).await?;
    assert!(
        moderator.denials().is_empty() && editor.denials().is_empty(),
        "fresh clients refused after reopen: {:?} {:?}",
        moderator.denials(),
        editor.denials()
    );
    assert!(!observer.draft_text().contains("ZAMROŻ"));
    assert!(!observer.draft_text().contains("PO OTWARCIU"));
    Ok(())
}

#[tokio::test]
async fn versions_never_change_and_a_diff_leads_from_one_to_the_next() -> anyhow::Result<()> {
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja Miasta Krakowa").await?;
    let id = meeting.id();
    let meeting_room = server
        .connect_room(id, "meeting", &meeting.observer.token)
        .await?;
    let (moderator, observer, _) = server
        .draft_with_clauses(&meeting, &[FIRST, SECOND])
        .await?;
    let first = freeze(&server, &meeting).await?;
    let v1_text = format!("{FIRST}\n\n{SECOND}");
    assert_eq!(first["text"], v1_text.as_str(), "{first}");
    let v1_path = format!("/api/meetings/{id}/versions/1");
    let (_, v1_before) = server.get(&v1_path, Some(&meeting.observer.token)).await?;

    reopen(&server, &meeting).await?;
    // The moderator wrote nothing while frozen, so this client is clean.
    let otwarte = "Kraków — miasto ".encode_utf16().count() as u32;
    moderator.edit(|txn| {
        let text = draftroom_tests::clause_text(txn, 0);
        yrs::Text::remove_range(&text, txn, otwarte, "otwarte".encode_utf16().count() as u32);
        yrs::Text::insert(&text, txn, otwarte, "gościnne");
    });
    moderator.push_text(1, " i zieleń");
    moderator.add_clause("Nowy punkt: zieleń 🌳 dla wszystkich");
    let v2_text = format!(
        "Kraków — miasto gościnne 🏙️\n\n{SECOND} i zieleń\n\nNowy punkt: zieleń 🌳 dla wszystkich"
    );
    observer.wait_for_text(&v2_text).await?;
    assert!(moderator.denials().is_empty(), "{:?}", moderator.denials());

    let second = freeze(&server, &meeting).await?;
    assert_eq!(second["version"], 2, "{second}");
    assert_eq!(second["text"], v2_text.as_str(), "{second}");
    assert_eq!(second["sha256"], sha256_hex(v2_text.as_bytes()).as_str());

    // Version 1 is as it was.
    let (status, v1_after) = server.get(&v1_path, Some(&meeting.observer.token)).await?;
    assert_eq!(status, 200, "{v1_after}");
    assert_eq!(v1_after, v1_before, "version 1 changed");
    assert_eq!(v1_after["text"], v1_text.as_str());
    assert_eq!(v1_after["sha256"], first["sha256"]);
    let (_, _, txt) = get_text(
        &server,
        &format!("{v1_path}?format=txt"),
        &meeting.observer.token,
    )
    .await?;
    assert_eq!(txt, v1_text);

    let (status, list) = server
        .get(
            &format!("/api/meetings/{id}/versions"),
            Some(&meeting.observer.token),
        )
        .await?;
    assert_eq!(status, 200, "{list}");
    let numbers: Vec<_> = list
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| v["version"].clone())
        .collect();
    assert_eq!(numbers, [1, 2], "{list}");

    // The diff: equal and delete rebuild version 1, equal and insert version 2.
    let (status, diff) = server
        .get(
            &format!("/api/meetings/{id}/versions/1/diff/2"),
            Some(&meeting.participant.token),
        )
        .await?;
    assert_eq!(status, 200, "diff: {diff}");
    assert_eq!(diff["from"], 1, "{diff}");
    assert_eq!(diff["to"], 2, "{diff}");
    let changes = diff["changes"].as_array().expect("changes");
    let (mut from, mut to) = (String::new(), String::new());
    for change in changes {
        let text = change["text"].as_str().expect("a change's text");
        match change["op"].as_str() {
            Some("equal") => {
                from.push_str(text);
                to.push_str(text);
            }
            Some("delete") => from.push_str(text),
            Some("insert") => to.push_str(text),
            other => panic!("unknown op {other:?} in {change}"),
        }
    }
    assert_eq!(from, v1_text, "equal + delete of {diff}");
    assert_eq!(to, v2_text, "equal + insert of {diff}");
    let deleted: String = changes
        .iter()
        .filter(|c| c["op"] == "delete")
        .map(|c| c["text"].as_str().unwrap_or(""))
        .collect();
    assert!(deleted.contains("otwarte"), "{diff}");

    // The meeting room holds both versions.
    meeting_room
        .wait_until("versions 1 and 2", WAIT, |doc| {
            let versions = versions(doc);
            versions.contains_key("1") && versions.contains_key("2")
        })
        .await?;
    wait_for_phase(&meeting_room, "frozen").await?;
    let recorded = versions(meeting_room.doc());
    assert_eq!(recorded["1"]["text"], v1_text.as_str());
    assert_eq!(recorded["2"]["text"], v2_text.as_str());
    assert_eq!(recorded["2"]["version"], 2);
    Ok(())
}
