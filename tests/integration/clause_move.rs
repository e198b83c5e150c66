//! Moving a clause (`POST /api/meetings/{id}/clauses/{clause_id}/move`):
//! the draft's writers reorder its clauses, every character keeps its
//! author, the journal records the move as the mover's, and what an
//! editor typed into the clause before hearing of the move is carried
//! over into it.

use crate::Start;
use draftroom_tests::rooms::{self, clause_ids, clause_texts};
use draftroom_tests::{Meeting, Server, YClient, assert_error, utf16_len};
use serde_json::{Value, json};
use uuid::Uuid;
use yrs::{Text as _, Transact as _};

/// The moderator's first clause.
const FIRST: &str = "Kraków jest miastem otwartym";
/// What the editor appends to it.
const EDITOR_ADDS: &str = " i żywym 👍🏽";
/// The moderator's second clause.
const SECOND: &str = "Wspólnota, różnorodność i pamięć 🏰";
/// What the editor puts in front of it.
const EDITOR_PREFIX: &str = "👉 ";
/// The moderator's third clause, of which an amendment changes a word.
const THIRD: &str = "Zieleń dla wszystkich 🌳";
/// The amended third clause.
const THIRD_AMENDED: &str = "Zieleń dla każdej i każdego 🌳";

/// The spans of `/authors` of each clause, in the order given.
async fn spans(
    server: &Server,
    meeting: &Meeting,
    clauses: &[String],
) -> anyhow::Result<Vec<Value>> {
    let mut out = Vec::new();
    for clause in clauses {
        let authors = server
            .clause_record(meeting.id(), clause, "authors", &meeting.observer.token)
            .await?;
        out.push(authors["spans"].clone());
    }
    Ok(out)
}

/// The spans of one clause as (user id, text).
async fn who_wrote(
    server: &Server,
    meeting: &Meeting,
    clause: &str,
) -> anyhow::Result<Vec<(String, String)>> {
    let authors = server
        .clause_record(meeting.id(), clause, "authors", &meeting.observer.token)
        .await?;
    Ok(authors["spans"]
        .as_array()
        .unwrap_or_else(|| panic!("no spans in {authors}"))
        .iter()
        .map(|s| {
            (
                s["user_id"].as_str().unwrap_or("nobody").to_owned(),
                s["text"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect())
}

/// One history entry as (user id, inserted, deleted, moved).
fn row(entry: &Value) -> (String, u64, u64, Value) {
    (
        entry["user_id"].as_str().unwrap_or_default().to_owned(),
        entry["inserted"].as_u64().unwrap_or(u64::MAX),
        entry["deleted"].as_u64().unwrap_or(u64::MAX),
        entry.get("moved").cloned().unwrap_or(Value::Null),
    )
}

/// A clause's history as rows.
async fn history(
    server: &Server,
    meeting: &Meeting,
    clause: &str,
) -> anyhow::Result<Vec<(String, u64, u64, Value)>> {
    let body = server
        .clause_record(meeting.id(), clause, "history", &meeting.participant.token)
        .await?;
    Ok(body
        .as_array()
        .unwrap_or_else(|| panic!("history is not a list: {body}"))
        .iter()
        .map(row)
        .collect())
}

/// Waits until `client` sees the clauses `ids` in this order with `texts`.
async fn wait_for_order(client: &YClient, ids: &[String], texts: &[&str]) -> anyhow::Result<()> {
    client
        .wait_until(
            &format!("clauses {ids:?} reading {texts:?}"),
            draftroom_tests::WAIT,
            |doc| clause_ids(doc) == ids && clause_texts(doc) == texts,
        )
        .await
        .map_err(|e| e.context(format!("clauses now {:?}", clause_ids(client.doc()))))
}

/// Moves a clause and checks the answer is 200 with the clauses in `order`.
async fn move_ok(
    server: &Server,
    meeting: &Meeting,
    clause: &str,
    to: u32,
    token: &str,
    order: &[String],
) -> anyhow::Result<()> {
    let (status, body) = server.move_clause(meeting.id(), clause, to, token).await?;
    anyhow::ensure!(status == 200, "move answered {status}: {body}");
    anyhow::ensure!(
        body == json!({ "clauses": order }),
        "move answered {body}, expected the order {order:?}"
    );
    Ok(())
}

#[tokio::test]
async fn moving_clauses_down_and_up_keeps_every_authors_spans() -> anyhow::Result<()> {
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja Miasta Krakowa").await?;
    let id = meeting.id();
    let (moderator, observer, c) = server
        .draft_with_clauses(&meeting, &[FIRST, SECOND, THIRD])
        .await?;
    // Three authors: the editor writes into the first two clauses, the
    // participant's amendment into the third.
    let editor = server
        .connect_room(id, "draft", &meeting.editor.token)
        .await?;
    editor
        .wait_for_text(&[FIRST, SECOND, THIRD].join("\n\n"))
        .await?;
    editor.push_text(0, EDITOR_ADDS);
    editor.insert_text(1, 0, EDITOR_PREFIX);
    let aid = server
        .open_amendment_ok(id, &meeting.participant.token, &c[2])
        .await?;
    let author = server
        .connect_room(id, &format!("amendment/{aid}"), &meeting.participant.token)
        .await?;
    author.wait_for_amendment_text(THIRD).await?;
    author.replace_amendment_text("wszystkich", "każdej i każdego");
    let watcher = server
        .connect_room(id, &format!("amendment/{aid}"), &meeting.observer.token)
        .await?;
    watcher.wait_for_amendment_text(THIRD_AMENDED).await?;
    let (status, body) = server
        .amendment_command(id, &aid, "accept", meeting.moderator_token())
        .await?;
    assert_eq!(status, 200, "accept: {body}");
    let first = format!("{FIRST}{EDITOR_ADDS}");
    let second = format!("{EDITOR_PREFIX}{SECOND}");
    wait_for_order(&observer, &c, &[&first, &second, THIRD_AMENDED]).await?;
    let before = spans(&server, &meeting, &c).await?;
    let mut writers: Vec<&str> = before
        .iter()
        .flat_map(|s| s.as_array().expect("spans").iter())
        .map(|s| s["user_id"].as_str().expect("a member wrote it"))
        .collect();
    writers.sort();
    writers.dedup();
    assert_eq!(writers.len(), 3, "three authors: {before:?}");

    // Down: the first clause goes last, moved by the editor.
    let down = [c[1].clone(), c[2].clone(), c[0].clone()];
    move_ok(&server, &meeting, &c[0], 2, &meeting.editor.token, &down).await?;
    for client in [&observer, &moderator, &editor] {
        wait_for_order(client, &down, &[&second, THIRD_AMENDED, &first]).await?;
    }
    assert_eq!(
        spans(&server, &meeting, &c).await?,
        before,
        "after moving down"
    );

    // Up: into the middle, moved by the moderator.
    let up = [c[1].clone(), c[0].clone(), c[2].clone()];
    move_ok(&server, &meeting, &c[0], 1, meeting.moderator_token(), &up).await?;
    for client in [&observer, &moderator, &editor] {
        wait_for_order(client, &up, &[&second, &first, THIRD_AMENDED]).await?;
    }
    assert_eq!(
        spans(&server, &meeting, &c).await?,
        before,
        "after moving up"
    );
    let fresh = server
        .connect_room(id, "draft", &meeting.participant.token)
        .await?;
    wait_for_order(&fresh, &up, &[&second, &first, THIRD_AMENDED]).await?;

    // The journal has each move as one line of its mover's, and no
    // deletion or insertion of the words; the clauses that only shifted
    // have no line of it.
    let moderator_id = server.moderator_id(&meeting).await?;
    let editor_id = meeting.editor.user_id.to_string();
    assert_eq!(
        history(&server, &meeting, &c[0]).await?,
        vec![
            (moderator_id.clone(), utf16_len(FIRST), 0, Value::Null),
            (editor_id.clone(), utf16_len(EDITOR_ADDS), 0, Value::Null),
            (editor_id, 0, 0, json!({ "from": 0, "to": 2 })),
            (moderator_id, 0, 0, json!({ "from": 2, "to": 1 })),
        ]
    );
    for other in &c[1..] {
        let rows = history(&server, &meeting, other).await?;
        assert!(rows.iter().all(|r| r.3.is_null()), "{rows:?}");
    }
    Ok(())
}

#[tokio::test]
async fn only_the_drafts_writers_move_clauses_and_only_while_it_is_open() -> anyhow::Result<()> {
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja Miasta Krakowa").await?;
    let id = meeting.id();
    let (_moderator, observer, c) = server
        .draft_with_clauses(&meeting, &[FIRST, SECOND, THIRD])
        .await?;
    let path = format!("/api/meetings/{id}/clauses/{}/move", c[0]);

    for (who, token) in [
        ("participant", meeting.participant.token.as_str()),
        ("observer", meeting.observer.token.as_str()),
    ] {
        let answer = server.move_clause(id, &c[0], 1, token).await?;
        assert_error(&format!("the {who} moves"), &answer, 403, "forbidden");
    }
    let anonymous = server.post_json(&path, None, &json!({ "to": 1 })).await?;
    assert_error("no token", &anonymous, 401, "unauthorized");
    let unknown = server
        .move_clause(
            id,
            &Uuid::new_v4().to_string(),
            0,
            meeting.moderator_token(),
        )
        .await?;
    assert_error("an unknown clause", &unknown, 404, "not_found");
    let past = server
        .move_clause(id, &c[0], 3, meeting.moderator_token())
        .await?;
    assert_error("past the last clause", &past, 400, "bad_request");
    for body in [
        &br#"{"to": -1}"#[..],
        br#"{"to": "1"}"#,
        br#"{"to": 1.5}"#,
        br#"{}"#,
        b"to=1",
    ] {
        let answer = server
            .post_raw(&path, Some(meeting.moderator_token()), body)
            .await?;
        assert_error(
            &format!("body {}", String::from_utf8_lossy(body)),
            &answer,
            400,
            "bad_request",
        );
    }
    // Its own place: nothing to do, and nothing journaled.
    move_ok(&server, &meeting, &c[1], 1, meeting.moderator_token(), &c).await?;
    assert!(
        history(&server, &meeting, &c[1])
            .await?
            .iter()
            .all(|r| r.3.is_null())
    );

    let (status, body) = server
        .meeting_command(id, "freeze", meeting.moderator_token())
        .await?;
    assert_eq!(status, 200, "freeze: {body}");
    for token in [meeting.moderator_token(), meeting.editor.token.as_str()] {
        let frozen = server.move_clause(id, &c[0], 2, token).await?;
        assert_error("a move while frozen", &frozen, 409, "conflict");
    }
    let frozen = server
        .move_clause(id, &c[0], 2, &meeting.participant.token)
        .await?;
    assert_error("the participant, frozen", &frozen, 403, "forbidden");
    assert_eq!(clause_ids(observer.doc()), c, "nothing moved");

    let (status, body) = server
        .meeting_command(id, "reopen", meeting.moderator_token())
        .await?;
    assert_eq!(status, 200, "reopen: {body}");
    let moved = [c[2].clone(), c[0].clone(), c[1].clone()];
    move_ok(&server, &meeting, &c[2], 0, &meeting.editor.token, &moved).await?;
    wait_for_order(&observer, &moved, &[THIRD, FIRST, SECOND]).await?;
    Ok(())
}

#[tokio::test]
async fn what_an_editor_typed_while_the_clause_moved_is_carried_into_it() -> anyhow::Result<()> {
    const AFTER: &str = "Kraków jest miastem";
    const TYPED: &str = " — żółw 🐢";
    const CUT: &str = "Kraków ";
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja Miasta Krakowa").await?;
    let id = meeting.id();
    let (moderator, observer, c) = server
        .draft_with_clauses(&meeting, &[FIRST, SECOND, THIRD])
        .await?;
    let editor = server
        .connect_room(id, "draft", &meeting.editor.token)
        .await?;
    editor
        .wait_for_text(&[FIRST, SECOND, THIRD].join("\n\n"))
        .await?;

    // The editor types into the first clause (words, then "!", then cuts
    // the first word) before it hears of the move: the edits are made on
    // its copy of the clause as it was, and sent once the move is done.
    let at = utf16_len(AFTER) as u32;
    let (_, typed) = editor.edit_unsent(|txn| rooms::clause_text(txn, 0).insert(txn, at, TYPED));
    let (_, bang) = editor.edit_unsent(|txn| {
        rooms::clause_text(txn, 0).insert(txn, at + utf16_len(TYPED) as u32, "!")
    });
    let (_, cut) = editor
        .edit_unsent(|txn| rooms::clause_text(txn, 0).remove_range(txn, 0, utf16_len(CUT) as u32));
    let order = [c[1].clone(), c[2].clone(), c[0].clone()];
    move_ok(
        &server,
        &meeting,
        &c[0],
        2,
        meeting.moderator_token(),
        &order,
    )
    .await?;
    for update in [typed, bang, cut] {
        editor.send_update(update);
    }

    let moved = "jest miastem — żółw 🐢! otwartym";
    for client in [&observer, &moderator, &editor] {
        wait_for_order(client, &order, &[SECOND, THIRD, moved]).await?;
    }
    let moderator_id = server.moderator_id(&meeting).await?;
    let editor_id = meeting.editor.user_id.to_string();
    assert_eq!(
        who_wrote(&server, &meeting, &c[0]).await?,
        vec![
            (moderator_id.clone(), "jest miastem".to_owned()),
            (editor_id.clone(), format!("{TYPED}!")),
            (moderator_id.clone(), " otwartym".to_owned()),
        ]
    );
    assert_eq!(
        history(&server, &meeting, &c[0]).await?,
        vec![
            (moderator_id.clone(), utf16_len(FIRST), 0, Value::Null),
            (moderator_id, 0, 0, json!({ "from": 0, "to": 2 })),
            (editor_id.clone(), utf16_len(TYPED), 0, Value::Null),
            (editor_id.clone(), 1, 0, Value::Null),
            (editor_id, 0, utf16_len(CUT), Value::Null),
        ]
    );

    // The editor, having seen the move, reconnects with its copy (whose
    // sync step 2 says the old clause is deleted): nothing more is carried,
    // and its typing goes on in the moved clause.
    let doc = editor.close_and_keep_doc().await;
    let editor =
        YClient::connect_with_doc(&server.ws_url(id, "draft", &meeting.editor.token), doc).await?;
    editor.wait_synced().await?;
    editor.push_text(2, " 🎉");
    let moved = format!("{moved} 🎉");
    wait_for_order(&observer, &order, &[SECOND, THIRD, &moved]).await?;
    assert!(editor.denials().is_empty(), "{:?}", editor.denials());
    Ok(())
}

#[tokio::test]
async fn an_editor_offline_during_a_move_and_a_restart_still_gets_its_words_in()
-> anyhow::Result<()> {
    const OFFLINE: &str = "Nasze ";
    let mut server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja Miasta Krakowa").await?;
    let id = meeting.id();
    let (_moderator, _observer, c) = server
        .draft_with_clauses(&meeting, &[FIRST, SECOND])
        .await?;
    let editor = server
        .connect_room(id, "draft", &meeting.editor.token)
        .await?;
    editor.wait_for_text(&[FIRST, SECOND].join("\n\n")).await?;
    let doc = editor.close_and_keep_doc().await;

    let order = [c[1].clone(), c[0].clone()];
    move_ok(
        &server,
        &meeting,
        &c[0],
        1,
        meeting.moderator_token(),
        &order,
    )
    .await?;
    server.kill9();
    server.restart();

    // Offline, the editor still has the clause where it was, and types.
    {
        let mut txn = doc.transact_mut();
        rooms::clause_text(&txn, 0).insert(&mut txn, 0, OFFLINE);
    }
    let editor =
        YClient::connect_with_doc(&server.ws_url(id, "draft", &meeting.editor.token), doc).await?;
    editor.wait_synced().await?;
    let observer = server
        .connect_room(id, "draft", &meeting.observer.token)
        .await?;
    let first = format!("{OFFLINE}{FIRST}");
    wait_for_order(&observer, &order, &[SECOND, &first]).await?;
    wait_for_order(&editor, &order, &[SECOND, &first]).await?;
    let moderator_id = server.moderator_id(&meeting).await?;
    assert_eq!(
        who_wrote(&server, &meeting, &c[0]).await?,
        vec![
            (meeting.editor.user_id.to_string(), OFFLINE.to_owned()),
            (moderator_id, FIRST.to_owned()),
        ]
    );
    Ok(())
}
