//! The meeting's record as a whole: amendments, accepted changes, versions
//! and the journal survive a crash of the server, and the report reads like
//! the record of the workshop.

use crate::Start;
use crate::versions::{assert_content_type, freeze, get_text, reopen, wait_for_phase};
use draftroom_shared::RefusalCode;
use draftroom_tests::rooms::{amendments, versions};
use draftroom_tests::{Meeting, Server, assert_error, assert_refused};
use serde_json::Value;
use std::collections::BTreeMap;

/// Sets up a meeting that has used every command: an accepted, a rejected
/// and an open amendment with a supporter, and version 1. Answers the
/// meeting, the clause id and the three amendment ids (accepted, rejected,
/// open).
async fn meeting_with_a_record(server: &Server) -> anyhow::Result<(Meeting, String, [String; 3])> {
    let meeting = Meeting::set_up(server, "Misja Miasta Krakowa 2030").await?;
    let id = meeting.id();
    let (_moderator, observer, clause_ids) = server
        .draft_with_clauses(&meeting, &["Kraków jest stolicą kultury 🎭"])
        .await?;
    let supporter = server
        .join(id, &meeting.created.participant_invite, "Anna Ślusarczyk")
        .await?;

    let accepted = server
        .open_amendment_ok(id, &meeting.participant.token, &clause_ids[0])
        .await?;
    let author = server
        .connect_room(
            id,
            &format!("amendment/{accepted}"),
            &meeting.participant.token,
        )
        .await?;
    author
        .wait_for_amendment_text("Kraków jest stolicą kultury 🎭")
        .await?;
    author.replace_amendment_text("kultury", "pieśni");
    wait_for_amendment(server, &meeting, &accepted, "Kraków jest stolicą pieśni 🎭").await?;
    let (status, body) = server
        .amendment_command(id, &accepted, "support", &supporter.token)
        .await?;
    anyhow::ensure!(status == 200, "support: {body}");
    let (status, body) = server
        .amendment_command(id, &accepted, "accept", meeting.moderator_token())
        .await?;
    anyhow::ensure!(status == 200, "accept: {body}");
    observer
        .wait_for_text("Kraków jest stolicą pieśni 🎭")
        .await?;

    let rejected = server
        .open_amendment_ok(id, &meeting.participant.token, &clause_ids[0])
        .await?;
    let author = server
        .connect_room(
            id,
            &format!("amendment/{rejected}"),
            &meeting.participant.token,
        )
        .await?;
    author
        .wait_for_amendment_text("Kraków jest stolicą pieśni 🎭")
        .await?;
    author.push_amendment_text(" i hałasu");
    wait_for_amendment(
        server,
        &meeting,
        &rejected,
        "Kraków jest stolicą pieśni 🎭 i hałasu",
    )
    .await?;
    let (status, body) = server
        .amendment_command(id, &rejected, "reject", meeting.moderator_token())
        .await?;
    anyhow::ensure!(status == 200, "reject: {body}");

    let open = server
        .open_amendment_ok(id, &meeting.editor.token, &clause_ids[0])
        .await?;
    let author = server
        .connect_room(id, &format!("amendment/{open}"), &meeting.editor.token)
        .await?;
    author
        .wait_for_amendment_text("Kraków jest stolicą pieśni 🎭")
        .await?;
    author.push_amendment_text(" i nauki");
    wait_for_amendment(
        server,
        &meeting,
        &open,
        "Kraków jest stolicą pieśni 🎭 i nauki",
    )
    .await?;
    let (status, body) = server
        .amendment_command(id, &open, "support", &meeting.participant.token)
        .await?;
    anyhow::ensure!(status == 200, "support: {body}");

    freeze(server, &meeting).await?;
    Ok((meeting, clause_ids[0].clone(), [accepted, rejected, open]))
}

/// Waits until the server holds `text` as an amendment's text (so that what
/// its author typed has arrived).
async fn wait_for_amendment(
    server: &Server,
    meeting: &Meeting,
    amendment: &str,
    text: &str,
) -> anyhow::Result<()> {
    let watcher = server
        .connect_room(
            meeting.id(),
            &format!("amendment/{amendment}"),
            &meeting.observer.token,
        )
        .await?;
    watcher.wait_for_amendment_text(text).await
}

/// The answers a restart must not change: versions, version 1, amendments
/// (by id, supporters as sets), the clause's history and authors.
async fn record(
    server: &Server,
    meeting: &Meeting,
    clause: &str,
) -> anyhow::Result<BTreeMap<String, Value>> {
    let id = meeting.id();
    let token = meeting.observer.token.as_str();
    let mut record = BTreeMap::new();
    for path in [
        format!("/api/meetings/{id}/versions"),
        format!("/api/meetings/{id}/versions/1"),
        format!("/api/meetings/{id}/clauses/{clause}/history"),
        format!("/api/meetings/{id}/clauses/{clause}/authors"),
    ] {
        let (status, body) = server.get(&path, Some(token)).await?;
        anyhow::ensure!(status == 200, "{path} answered {status}: {body}");
        record.insert(path, body);
    }
    let (status, list) = server
        .get(&format!("/api/meetings/{id}/amendments"), Some(token))
        .await?;
    anyhow::ensure!(status == 200, "amendments answered {status}: {list}");
    for entry in list.as_array().expect("a list of amendments") {
        let mut entry = entry.clone();
        let mut supporters: Vec<Value> =
            entry["supporters"].as_array().cloned().unwrap_or_default();
        supporters.sort_by_key(Value::to_string);
        entry["supporters"] = Value::Array(supporters);
        let key = format!("amendment {}", entry["id"].as_str().unwrap_or_default());
        record.insert(key, entry);
    }
    Ok(record)
}

#[tokio::test]
async fn a_restart_keeps_versions_history_and_amendments() -> anyhow::Result<()> {
    let mut server = Server::start();
    let (meeting, clause, [accepted, rejected, open]) = meeting_with_a_record(&server).await?;
    let id = meeting.id();
    let before = record(&server, &meeting, &clause).await?;
    let statuses = |record: &BTreeMap<String, Value>| -> Vec<(String, Value)> {
        [&accepted, &rejected, &open]
            .iter()
            .map(|aid| {
                let entry = &record[&format!("amendment {aid}")];
                (aid.to_string(), entry["status"].clone())
            })
            .collect()
    };
    assert_eq!(
        statuses(&before),
        [
            (accepted.clone(), "accepted".into()),
            (rejected.clone(), "rejected".into()),
            (open.clone(), "open".into())
        ]
    );
    // Version 1 credits the amendment's word to its author.
    let version = &before[&format!("/api/meetings/{id}/versions/1")];
    let authors = &version["clauses"][0]["authors"];
    assert!(
        authors.as_array().is_some_and(|a| a.iter().any(|a| {
            a["user_id"] == meeting.participant.user_id.to_string()
                && a["characters"] == "pieśni".chars().count()
        })),
        "the participant wrote \"pieśni\" in version 1: {version}"
    );
    let history = &before[&format!("/api/meetings/{id}/clauses/{clause}/history")];
    assert!(
        history
            .as_array()
            .is_some_and(|h| h.iter().any(|e| e["amendment_id"] == accepted.as_str())),
        "the accepted change is in the history: {history}"
    );

    server.kill9();
    server.restart();

    let after = record(&server, &meeting, &clause).await?;
    assert_eq!(
        after,
        before,
        "answers changed across the restart\n{}",
        server.log_tail()
    );

    // The rooms come back too: the meeting room's record, the open
    // amendment's text, and the freeze itself.
    let meeting_room = server
        .connect_room(id, "meeting", &meeting.observer.token)
        .await?;
    wait_for_phase(&meeting_room, "frozen").await?;
    let recorded = amendments(meeting_room.doc());
    for (aid, status) in [
        (&accepted, "accepted"),
        (&rejected, "rejected"),
        (&open, "open"),
    ] {
        assert_eq!(recorded[aid.as_str()]["status"], status, "{recorded:?}");
    }
    assert_eq!(
        recorded[open.as_str()]["supporters"],
        serde_json::json!([meeting.participant.user_id]),
        "{recorded:?}"
    );
    assert!(versions(meeting_room.doc()).contains_key("1"));

    // The open amendment still takes its author's typing; a decided one
    // still refuses its author.
    let open_author = server
        .connect_room(id, &format!("amendment/{open}"), &meeting.editor.token)
        .await?;
    open_author
        .wait_for_amendment_text("Kraków jest stolicą pieśni 🎭 i nauki")
        .await?;
    open_author.push_amendment_text(" po restarcie");
    wait_for_amendment(
        &server,
        &meeting,
        &open,
        "Kraków jest stolicą pieśni 🎭 i nauki po restarcie",
    )
    .await?;
    assert!(
        open_author.denials().is_empty(),
        "{:?}",
        open_author.denials()
    );
    let decided_author = server
        .connect_room(
            id,
            &format!("amendment/{rejected}"),
            &meeting.participant.token,
        )
        .await?;
    decided_author
        .wait_for_amendment_text("Kraków jest stolicą pieśni 🎭 i hałasu")
        .await?;
    decided_author.push_amendment_text(" PO RESTARCIE");
    let denials = decided_author.wait_denials(1).await?;
    assert_refused(
        "the rejected amendment's author after the restart",
        &denials[0],
        RefusalCode::Decided,
    );

    let moderator = server
        .connect_room(id, "draft", meeting.moderator_token())
        .await?;
    assert_eq!(moderator.draft_text(), "Kraków jest stolicą pieśni 🎭");
    moderator.push_text(0, " PO RESTARCIE");
    let denials = moderator.wait_denials(1).await?;
    assert_refused(
        "still frozen after the restart",
        &denials[0],
        RefusalCode::Frozen,
    );
    reopen(&server, &meeting).await?;
    let second = freeze(&server, &meeting).await?;
    assert_eq!(second["version"], 2, "numbering goes on: {second}");
    Ok(())
}

#[tokio::test]
async fn the_report_records_people_the_agreed_text_and_outcomes() -> anyhow::Result<()> {
    let server = Server::start();
    // Before any version, the report's text is the current draft.
    let early = Meeting::set_up(&server, "Strategia Rozwoju Małopolski").await?;
    server
        .draft_with_clauses(&early, &["Małopolska — region współpracy 🤝"])
        .await?;
    let (status, _, body) = get_text(
        &server,
        &format!("/api/meetings/{}/report", early.id()),
        &early.observer.token,
    )
    .await?;
    assert_eq!(status, 200, "report: {body}");
    assert!(body.contains("Małopolska — region współpracy 🤝"), "{body}");

    let (meeting, _clause, _amendments) = meeting_with_a_record(&server).await?;
    let id = meeting.id();
    let (status, content_type, md) = get_text(
        &server,
        &format!("/api/meetings/{id}/report?format=md"),
        &meeting.observer.token,
    )
    .await?;
    assert_eq!(status, 200, "md report: {md}");
    assert_content_type("md report", &content_type, "text/markdown; charset=utf-8");
    println!("{md}");
    for expected in [
        "Misja Miasta Krakowa 2030",
        "Ewa Łukasiewicz",
        "Zbigniew Ćwiek",
        "Anna Ślusarczyk",
        "Kraków jest stolicą pieśni 🎭",
    ] {
        assert!(md.contains(expected), "md report lacks {expected:?}:\n{md}");
    }
    let lower = md.to_lowercase();
    assert!(
        lower.contains("accepted") || lower.contains("przyjęt"),
        "md report lacks the acceptance:\n{md}"
    );
    assert!(
        lower.contains("rejected") || lower.contains("odrzucon"),
        "md report lacks the rejection:\n{md}"
    );
    let (status, _, default) = get_text(
        &server,
        &format!("/api/meetings/{id}/report"),
        &meeting.observer.token,
    )
    .await?;
    assert_eq!(status, 200);
    assert!(
        default.contains("Misja Miasta Krakowa 2030"),
        "md by default"
    );

    let (status, content_type, html) = get_text(
        &server,
        &format!("/api/meetings/{id}/report?format=html"),
        &meeting.observer.token,
    )
    .await?;
    assert_eq!(status, 200, "html report: {html}");
    assert_content_type("html report", &content_type, "text/html; charset=utf-8");
    assert!(
        html.to_lowercase().contains("<html"),
        "a whole page:\n{html}"
    );
    assert!(html.contains("Misja Miasta Krakowa 2030"), "{html}");
    assert!(html.contains("Kraków jest stolicą pieśni 🎭"), "{html}");

    let anonymous = server
        .request("GET", &format!("/api/meetings/{id}/report"), None, None)
        .await?;
    assert_error(
        "the report is for members",
        &(anonymous.status, anonymous.json()),
        401,
        "unauthorized",
    );
    Ok(())
}
