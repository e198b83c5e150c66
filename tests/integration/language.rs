//! The meeting's language: given when the meeting is created (`pl` or
//! `en`, English if absent), shown in the `meeting` room, `GET
//! /api/meetings/{id}` and an invitation, and the language its record is
//! written in: the report (Markdown and HTML) and a version's Markdown, in
//! Polish with its diacritics, plural forms and dates, or in English as it
//! always read. `?lang=` overrides it.

use crate::Start;
use crate::versions::{freeze, get_text};
use draftroom_tests::rooms::meeting_info;
use draftroom_tests::{Meeting, Server, WAIT, assert_error};
use serde_json::json;

/// The clause the moderator writes.
const CLAUSE: &str = "Kraków jest stolicą kultury 🎭";
/// The clause once the participant's amendment is accepted.
const AMENDED: &str = "Kraków jest stolicą pieśni 🎭";

/// The meeting's language as `GET /api/meetings/{id}`, an invitation and
/// the `meeting` room show it; checked to agree.
async fn shown_language(server: &Server, meeting: &Meeting) -> anyhow::Result<String> {
    let id = meeting.id();
    let (status, shown) = server
        .get(
            &format!("/api/meetings/{id}"),
            Some(&meeting.observer.token),
        )
        .await?;
    anyhow::ensure!(status == 200, "GET meeting: {shown}");
    let language = shown["language"].as_str().unwrap_or_default().to_owned();
    let (status, invited) = server
        .post_json(
            &format!("/api/meetings/{id}/invitation"),
            None,
            &json!({ "invite": meeting.created.participant_invite }),
        )
        .await?;
    anyhow::ensure!(status == 200, "invitation: {invited}");
    assert_eq!(invited["language"], language.as_str(), "{invited}");
    let room = server
        .connect_room(id, "meeting", &meeting.observer.token)
        .await?;
    room.wait_until("the language in the meeting room", WAIT, |doc| {
        meeting_info(doc).get("language") == Some(&json!(language))
    })
    .await?;
    Ok(language)
}

#[tokio::test]
async fn a_meeting_is_held_in_english_unless_it_says_polish() -> anyhow::Result<()> {
    let server = Server::start();
    let english = Meeting::set_up(&server, "Vision").await?;
    assert_eq!(shown_language(&server, &english).await?, "en");
    let polish = Meeting::set_up_in(&server, "Wizja Gdańska", "pl").await?;
    assert_eq!(shown_language(&server, &polish).await?, "pl");
    let said = Meeting::set_up_in(&server, "Vision", "en").await?;
    assert_eq!(shown_language(&server, &said).await?, "en");

    for language in [json!("de"), json!("PL"), json!(""), json!(5)] {
        let answer = server
            .post_json(
                "/api/meetings",
                None,
                &json!({ "title": "Misja", "moderator_name": "Ewa", "language": language }),
            )
            .await?;
        assert_error(&format!("language {language}"), &answer, 400, "bad_request");
    }
    Ok(())
}

/// A meeting with a record: five amendments of its one clause (one
/// accepted, two rejected, two left open) and version 1 frozen.
async fn meeting_with_a_record(server: &Server, language: &str) -> anyhow::Result<Meeting> {
    let meeting = Meeting::set_up_in(server, "Misja Miasta Krakowa 2030", language).await?;
    let id = meeting.id();
    let (_moderator, observer, clauses) = server.draft_with_clauses(&meeting, &[CLAUSE]).await?;
    let mut amendments = Vec::new();
    for _ in 0..5 {
        amendments.push(
            server
                .open_amendment_ok(id, &meeting.participant.token, &clauses[0])
                .await?,
        );
    }
    let room = format!("amendment/{}", amendments[0]);
    let author = server
        .connect_room(id, &room, &meeting.participant.token)
        .await?;
    author.wait_for_amendment_text(CLAUSE).await?;
    author.replace_amendment_text("kultury", "pieśni");
    let watcher = server
        .connect_room(id, &room, &meeting.observer.token)
        .await?;
    watcher.wait_for_amendment_text(AMENDED).await?;
    let (status, body) = server
        .amendment_command(id, &amendments[0], "support", &meeting.editor.token)
        .await?;
    anyhow::ensure!(status == 200, "support: {body}");
    let (status, body) = server
        .amendment_command(id, &amendments[0], "accept", meeting.moderator_token())
        .await?;
    anyhow::ensure!(status == 200, "accept: {body}");
    for rejected in &amendments[1..3] {
        let (status, body) = server
            .amendment_command(id, rejected, "reject", meeting.moderator_token())
            .await?;
        anyhow::ensure!(status == 200, "reject: {body}");
    }
    observer.wait_for_text(AMENDED).await?;
    freeze(server, &meeting).await?;
    Ok(meeting)
}

/// `GET path` as the meeting's observer, checked to be 200.
async fn read(server: &Server, meeting: &Meeting, path: &str) -> anyhow::Result<String> {
    let path = format!("/api/meetings/{}/{path}", meeting.id());
    let (status, _, body) = get_text(server, &path, &meeting.observer.token).await?;
    anyhow::ensure!(status == 200, "{path}: {status} {body}");
    Ok(body)
}

/// Polish months in the genitive, as a date names them.
const MONTHS: [&str; 12] = [
    "stycznia",
    "lutego",
    "marca",
    "kwietnia",
    "maja",
    "czerwca",
    "lipca",
    "sierpnia",
    "września",
    "października",
    "listopada",
    "grudnia",
];

#[tokio::test]
async fn a_polish_meetings_record_is_written_in_polish() -> anyhow::Result<()> {
    let server = Server::start();
    let meeting = meeting_with_a_record(&server, "pl").await?;

    let md = read(&server, &meeting, "report?format=md").await?;
    println!("{md}");
    for expected in [
        "# Misja Miasta Krakowa 2030\n",
        "Protokół spotkania redakcyjnego rozpoczętego ",
        "## Obecni\n",
        "- Ewa Łukasiewicz — moderator\n",
        "- Jan Brzęczyszczykiewicz — redaktor\n",
        "- Zbigniew Ćwiek — uczestnik\n",
        "- Małgorzata Żółć — obserwator\n",
        "## Uzgodniony tekst\n",
        "Wersja 1, zatwierdzona ",
        "1. Kraków jest stolicą pieśni 🎭\n",
        "## Autorstwo punktów\n",
        // The words kept are the moderator's, the word changed the author's.
        "1. Ewa Łukasiewicz (22 znaki), Zbigniew Ćwiek (6 znaków)\n",
        "## Poprawki\n",
        "Razem 5 poprawek: 1 przyjęta, 2 odrzucone, 2 nierozstrzygnięte.\n",
        "- Punkt 1 — Zbigniew Ćwiek: „Kraków jest stolicą pieśni 🎭” — poparcie: Jan Brzęczyszczykiewicz; przyjęta ",
        "- Punkt 1 — Zbigniew Ćwiek: „Kraków jest stolicą kultury 🎭” — bez poparcia; odrzucona ",
        "— bez poparcia; nierozstrzygnięta.\n",
        "## Wersje\n",
        "- Wersja 1: zatwierdzona ",
        " (moderator: Ewa Łukasiewicz); SHA-256 `",
    ] {
        assert!(
            md.contains(expected),
            "the report lacks {expected:?}:\n{md}"
        );
    }
    assert!(
        md.contains(" r., godz. ") && MONTHS.iter().any(|m| md.contains(&format!(" {m} "))),
        "a Polish date:\n{md}"
    );
    for english in [
        "Present",
        "Agreed text",
        "Amendments",
        "Version",
        "characters",
    ] {
        assert!(!md.contains(english), "English {english:?} in:\n{md}");
    }

    let html = read(&server, &meeting, "report?format=html").await?;
    for expected in [
        "<html lang=\"pl\">",
        "<h2>Obecni</h2>",
        "<h2>Uzgodniony tekst</h2>",
        "<h2>Poprawki</h2>",
        "<p>Razem 5 poprawek: 1 przyjęta, 2 odrzucone, 2 nierozstrzygnięte.</p>",
        "<th>Brzmienie</th>",
        "Autorstwo: Ewa Łukasiewicz (22 znaki), Zbigniew Ćwiek (6 znaków)",
        "<td class=accepted>przyjęta</td>",
        "<td class=rejected>odrzucona</td>",
        "<td class=open>nierozstrzygnięta</td>",
        "Kraków jest stolicą pieśni 🎭",
        "Małgorzata Żółć",
        "<h2>Wersje</h2>",
        "@media print",
    ] {
        assert!(
            html.contains(expected),
            "the HTML lacks {expected:?}:\n{html}"
        );
    }
    assert!(!html.contains("<script"), "no script in the report");

    let version = read(&server, &meeting, "versions/1?format=md").await?;
    println!("{version}");
    assert!(
        version.starts_with("# Misja Miasta Krakowa 2030\n\nWersja 1, zatwierdzona "),
        "{version}"
    );
    assert!(
        version.contains("(moderator: Ewa Łukasiewicz).\n"),
        "{version}"
    );
    assert!(
        version.contains("1. Kraków jest stolicą pieśni 🎭\n"),
        "{version}"
    );
    assert!(version.contains("\nSHA-256 tekstu: `"), "{version}");

    // Asked for in English, the same record reads as an English one.
    let english = read(&server, &meeting, "report?format=md&lang=en").await?;
    assert!(english.contains("## Present\n"), "{english}");
    assert!(
        english.contains("1. Ewa Łukasiewicz (22 characters), Zbigniew Ćwiek (6 characters)\n"),
        "{english}"
    );
    let version = read(&server, &meeting, "versions/1?format=md&lang=en").await?;
    assert!(version.contains("\nSHA-256 of the text: `"), "{version}");
    Ok(())
}

#[tokio::test]
async fn an_english_meetings_record_reads_as_it_always_did() -> anyhow::Result<()> {
    let server = Server::start();
    let meeting = meeting_with_a_record(&server, "en").await?;
    let md = read(&server, &meeting, "report?format=md").await?;
    println!("{md}");
    for expected in [
        "Record of the drafting meeting opened on ",
        "## Present\n",
        "- Jan Brzęczyszczykiewicz — editor\n",
        "## Agreed text\n",
        "Version 1, frozen ",
        "## Who wrote each clause\n",
        "1. Ewa Łukasiewicz (22 characters), Zbigniew Ćwiek (6 characters)\n",
        "## Amendments\n",
        "- Zbigniew Ćwiek proposed for clause 1: “Kraków jest stolicą pieśni 🎭” — supported by Jan Brzęczyszczykiewicz; accepted on ",
        "— no supporters; open.\n",
        "## Versions\n",
        "- Version 1: frozen ",
        " UTC by Ewa Łukasiewicz; SHA-256 `",
    ] {
        assert!(
            md.contains(expected),
            "the report lacks {expected:?}:\n{md}"
        );
    }
    assert!(!md.contains("Razem") && !md.contains("Poprawki"), "{md}");
    let html = read(&server, &meeting, "report?format=html").await?;
    assert!(html.contains("<html lang=\"en\">"), "{html}");
    assert!(html.contains("<th>Proposed by</th>"), "{html}");
    let version = read(&server, &meeting, "versions/1?format=md").await?;
    assert!(version.contains(" UTC by Ewa Łukasiewicz.\n"), "{version}");

    // Asked for in Polish, it reads in Polish; an unknown language is 400.
    let polish = read(&server, &meeting, "report?format=html&lang=pl").await?;
    assert!(polish.contains("<html lang=\"pl\">"), "{polish}");
    assert!(polish.contains("<h2>Poprawki</h2>"), "{polish}");
    for path in [
        "report?lang=de",
        "report?format=html&lang=",
        "versions/1?format=md&lang=PL",
    ] {
        let answer = server
            .get(
                &format!("/api/meetings/{}/{path}", meeting.id()),
                Some(&meeting.observer.token),
            )
            .await?;
        assert_error(path, &answer, 400, "bad_request");
    }
    Ok(())
}
