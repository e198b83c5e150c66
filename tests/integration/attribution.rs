//! Attribution (DESIGN.md, "Attribution — who changed each clause"): every
//! character of a clause is credited to the user whose client wrote it, an
//! accepted amendment credits only the characters it changed to its author,
//! and each accepted update that touched a clause is in its history, with
//! who accepted it when it came from an amendment.

use crate::Start;
use draftroom_tests::rooms::participants;
use draftroom_tests::{Meeting, Server, assert_error, utf16_len};
use serde_json::Value;
use uuid::Uuid;

/// The moderator's first words: the clause as created.
const CREATED: &str = "Kraków jest stolicą kultury";
/// The moderator's second edit, appended.
const APPENDED: &str = " i dialogu";
/// The editor's direct edit, appended.
const EDITOR_ADDS: &str = " dla wszystkich";
/// A second clause, from which the editor deletes `DELETED`.
const SECOND: &str = "Drugi punkt: różnorodność i tolerancja";
/// What the editor deletes from the second clause.
const DELETED: &str = " i tolerancja";
/// The word the amendment replaces, and its replacement. They share no
/// letter, so any minimal character diff deletes all of the one and
/// inserts all of the other, and the spans below are exact.
const OLD_WORD: &str = "kultury";
/// See [`OLD_WORD`].
const NEW_WORD: &str = "pieśni";

/// One span of `/authors` as (user id, text, start, length).
fn span(user: &str, text: &str, start: u64) -> (String, String, u64, u64) {
    (user.to_owned(), text.to_owned(), start, utf16_len(text))
}

#[tokio::test]
async fn an_accepted_amendment_credits_only_the_changed_word_to_its_author() -> anyhow::Result<()> {
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja Miasta Krakowa").await?;
    let id = meeting.id();
    let moderator_id = server.moderator_id(&meeting).await?;
    let editor_id = meeting.editor.user_id.to_string();
    let participant_id = meeting.participant.user_id.to_string();

    let (moderator, observer, clause_ids) = server
        .draft_with_clauses(&meeting, &[CREATED, SECOND])
        .await?;
    moderator.push_text(0, APPENDED);
    let editor = server
        .connect_room(id, "draft", &meeting.editor.token)
        .await?;
    let first = format!("{CREATED}{APPENDED}");
    editor
        .wait_for_text(&format!("{first}\n\n{SECOND}"))
        .await?;
    editor.push_text(0, EDITOR_ADDS);
    let kept = SECOND.strip_suffix(DELETED).expect("DELETED ends SECOND");
    editor.delete_text(1, utf16_len(kept) as u32, utf16_len(DELETED) as u32);
    let first = format!("{first}{EDITOR_ADDS}");
    observer
        .wait_for_text(&format!("{first}\n\n{kept}"))
        .await?;

    let aid = server
        .open_amendment_ok(id, &meeting.participant.token, &clause_ids[0])
        .await?;
    let room = format!("amendment/{aid}");
    let author = server
        .connect_room(id, &room, &meeting.participant.token)
        .await?;
    author.wait_for_amendment_text(&first).await?;
    author.replace_amendment_text(OLD_WORD, NEW_WORD);
    let amended = first.replacen(OLD_WORD, NEW_WORD, 1);
    let watcher = server
        .connect_room(id, &room, &meeting.observer.token)
        .await?;
    watcher.wait_for_amendment_text(&amended).await?;
    let (status, body) = server
        .amendment_command(id, &aid, "accept", meeting.moderator_token())
        .await?;
    assert_eq!(status, 200, "accept: {body}");
    observer
        .wait_for_text(&format!("{amended}\n\n{kept}"))
        .await?;

    // Who wrote which characters: the words the amendment kept are still the
    // moderator's and the editor's.
    let (status, authors) = server
        .get(
            &format!("/api/meetings/{id}/clauses/{}/authors", clause_ids[0]),
            Some(&meeting.observer.token),
        )
        .await?;
    assert_eq!(status, 200, "authors: {authors}");
    assert_eq!(authors["clause_id"], clause_ids[0].as_str(), "{authors}");
    assert_eq!(authors["text"], amended.as_str(), "{authors}");
    let prefix = CREATED
        .strip_suffix(OLD_WORD)
        .expect("OLD_WORD ends CREATED");
    let expected = vec![
        span(&moderator_id, prefix, 0),
        span(&participant_id, NEW_WORD, utf16_len(prefix)),
        span(
            &moderator_id,
            APPENDED,
            utf16_len(prefix) + utf16_len(NEW_WORD),
        ),
        span(
            &editor_id,
            EDITOR_ADDS,
            utf16_len(prefix) + utf16_len(NEW_WORD) + utf16_len(APPENDED),
        ),
    ];
    assert_eq!(spans(&authors), expected, "spans of {authors}");

    // Names and colours are the members' own, as the meeting room shows them.
    let meeting_room = server
        .connect_room(id, "meeting", &meeting.observer.token)
        .await?;
    let people = participants(meeting_room.doc());
    for span in authors["spans"].as_array().expect("spans") {
        let user = span["user_id"].as_str().expect("a user id");
        let member = &people[user];
        assert_eq!(span["name"], member["name"], "{span} vs {member}");
        assert!(
            span["colour"].as_str().is_some_and(|c| !c.is_empty()),
            "{span}"
        );
        assert_eq!(span["colour"], member["colour"], "{span} vs {member}");
    }

    let (status, second) = server
        .get(
            &format!("/api/meetings/{id}/clauses/{}/authors", clause_ids[1]),
            Some(&meeting.participant.token),
        )
        .await?;
    assert_eq!(status, 200, "authors: {second}");
    assert_eq!(
        spans(&second),
        vec![span(&moderator_id, kept, 0)],
        "{second}"
    );

    // History: one entry per accepted update that touched the clause, oldest
    // first; the second clause's updates are not among them.
    let entries = history(&server, id, &clause_ids[0], &meeting.observer.token).await?;
    let rows: Vec<_> = entries.iter().map(row).collect();
    assert_eq!(
        rows,
        vec![
            (moderator_id.clone(), utf16_len(CREATED), 0, None, None),
            (moderator_id.clone(), utf16_len(APPENDED), 0, None, None),
            (editor_id.clone(), utf16_len(EDITOR_ADDS), 0, None, None),
            (
                participant_id.clone(),
                utf16_len(NEW_WORD),
                utf16_len(OLD_WORD),
                Some(moderator_id.clone()),
                Some(aid.clone()),
            ),
        ],
        "(user, inserted, deleted, accepted_by, amendment_id) of {entries:?}"
    );
    let names: Vec<_> = entries.iter().map(|e| e["user_name"].clone()).collect();
    assert_eq!(
        names,
        [
            "Ewa Łukasiewicz",
            "Ewa Łukasiewicz",
            "Jan Brzęczyszczykiewicz",
            "Zbigniew Ćwiek"
        ],
        "{entries:?}"
    );
    assert_times_and_rooms(&entries);

    // A deletion carries no client id; the journal still knows who made it.
    let entries = history(&server, id, &clause_ids[1], &meeting.participant.token).await?;
    let rows: Vec<_> = entries.iter().map(row).collect();
    assert_eq!(
        rows,
        vec![
            (moderator_id.clone(), utf16_len(SECOND), 0, None, None),
            (editor_id.clone(), 0, utf16_len(DELETED), None, None),
        ],
        "(user, inserted, deleted, accepted_by, amendment_id) of {entries:?}"
    );
    assert_times_and_rooms(&entries);
    Ok(())
}

#[tokio::test]
async fn history_and_authors_are_for_members_and_known_clauses() -> anyhow::Result<()> {
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja Miasta Krakowa").await?;
    let id = meeting.id();
    let (_moderator, _observer, clause_ids) = server
        .draft_with_clauses(&meeting, &["Zieleń 🌳 dla wszystkich"])
        .await?;

    for what in ["history", "authors"] {
        let known = format!("/api/meetings/{id}/clauses/{}/{what}", clause_ids[0]);
        for (who, token) in [
            ("observer", meeting.observer.token.as_str()),
            ("participant", meeting.participant.token.as_str()),
            ("editor", meeting.editor.token.as_str()),
            ("moderator", meeting.moderator_token()),
        ] {
            let (status, body) = server.get(&known, Some(token)).await?;
            assert_eq!(status, 200, "{what} read by the {who}: {body}");
        }
        let anonymous = server.request("GET", &known, None, None).await?;
        assert_error(
            &format!("{what} without a token"),
            &(anonymous.status, anonymous.json()),
            401,
            "unauthorized",
        );
        let unknown = server
            .get(
                &format!("/api/meetings/{id}/clauses/{}/{what}", Uuid::new_v4()),
                Some(&meeting.observer.token),
            )
            .await?;
        assert_error(
            &format!("{what} of an unknown clause"),
            &unknown,
            404,
            "not_found",
        );
    }

    // The emoji counts as two UTF-16 units, as a JavaScript client counts.
    let (_, authors) = server
        .get(
            &format!("/api/meetings/{id}/clauses/{}/authors", clause_ids[0]),
            Some(&meeting.observer.token),
        )
        .await?;
    let spans = spans(&authors);
    assert_eq!(spans.len(), 1, "{authors}");
    assert_eq!(
        (spans[0].1.as_str(), spans[0].2, spans[0].3),
        ("Zieleń 🌳 dla wszystkich", 0, 24),
        "{authors}"
    );
    Ok(())
}

/// The server's diff works in the units the document counts (UTF-16), so
/// a change after an emoji (two units) lands where the author made it, and
/// no span splits a surrogate pair.
#[tokio::test]
async fn an_amendment_after_emoji_lands_in_place_and_spans_stay_whole() -> anyhow::Result<()> {
    const BEFORE: &str = "🏙️ Kraków — miasto otwarte, żywe 🎭 i zielone";
    const AFTER: &str = "🏙️ Kraków — miasto gościnne, żywe 🎭 i zieleńsze 🌳";
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja Miasta Krakowa").await?;
    let id = meeting.id();
    let moderator_id = server.moderator_id(&meeting).await?;
    let participant_id = meeting.participant.user_id.to_string();
    let (moderator, observer, clause_ids) = server.draft_with_clauses(&meeting, &[BEFORE]).await?;

    let aid = server
        .open_amendment_ok(id, &meeting.participant.token, &clause_ids[0])
        .await?;
    let room = format!("amendment/{aid}");
    let author = server
        .connect_room(id, &room, &meeting.participant.token)
        .await?;
    author.wait_for_amendment_text(BEFORE).await?;
    author.replace_amendment_text("otwarte", "gościnne");
    author.replace_amendment_text("zielone", "zieleńsze 🌳");
    let watcher = server
        .connect_room(id, &room, &meeting.observer.token)
        .await?;
    watcher.wait_for_amendment_text(AFTER).await?;
    let (status, body) = server
        .amendment_command(id, &aid, "accept", meeting.moderator_token())
        .await?;
    assert_eq!(status, 200, "accept: {body}");
    assert_eq!(body["text"], AFTER, "{body}");
    observer.wait_for_text(AFTER).await?;
    moderator.wait_for_text(AFTER).await?;
    let fresh = server
        .connect_room(id, "draft", &meeting.editor.token)
        .await?;
    fresh.wait_for_text(AFTER).await?;

    let (status, authors) = server
        .get(
            &format!("/api/meetings/{id}/clauses/{}/authors", clause_ids[0]),
            Some(&meeting.observer.token),
        )
        .await?;
    assert_eq!(status, 200, "authors: {authors}");
    assert_eq!(authors["text"], AFTER, "{authors}");
    let units: Vec<u16> = AFTER.encode_utf16().collect();
    let mut owner = vec![String::new(); units.len()];
    let mut next = 0;
    for (user, text, start, length) in spans(&authors) {
        assert_eq!(start, next, "spans are contiguous: {authors}");
        let end = (start + length) as usize;
        assert!(end <= units.len(), "span past the end: {authors}");
        let slice = String::from_utf16(&units[start as usize..end]).ok();
        assert_eq!(
            slice.as_deref(),
            Some(text.as_str()),
            "span ({start}, {length}) is {text:?} in {authors}"
        );
        assert!(
            user == moderator_id || user == participant_id,
            "{user} wrote nothing here: {authors}"
        );
        owner[start as usize..end].fill(user);
        next = end as u64;
    }
    assert_eq!(next, units.len() as u64, "spans cover the text: {authors}");
    let owner_of = |needle: &str| -> Vec<&str> {
        let at = AFTER.find(needle).expect("in AFTER");
        let from = AFTER[..at].encode_utf16().count();
        owner[from..from + utf16_len(needle) as usize]
            .iter()
            .map(String::as_str)
            .collect()
    };
    // Unchanged words keep their author; a changed word is its new
    // author's whole, not letter by letter.
    for kept in ["🏙️ Kraków — miasto ", ", żywe 🎭 i "] {
        assert!(
            owner_of(kept).iter().all(|u| *u == moderator_id),
            "{kept:?} is the moderator's: {authors}"
        );
    }
    for new in ["gościnne", "zieleńsze", "🌳"] {
        assert!(
            owner_of(new).iter().all(|u| *u == participant_id),
            "{new:?} is the participant's: {authors}"
        );
    }
    Ok(())
}

/// The spans of an `/authors` answer as (user id, text, start, length).
fn spans(authors: &Value) -> Vec<(String, String, u64, u64)> {
    authors["spans"]
        .as_array()
        .unwrap_or_else(|| panic!("no spans in {authors}"))
        .iter()
        .map(|s| {
            (
                s["user_id"].as_str().unwrap_or_default().to_owned(),
                s["text"].as_str().unwrap_or_default().to_owned(),
                s["start"].as_u64().unwrap_or(u64::MAX),
                s["length"].as_u64().unwrap_or(u64::MAX),
            )
        })
        .collect()
}

/// One history entry as (user id, inserted, deleted, accepted_by,
/// amendment_id).
fn row(entry: &Value) -> (String, u64, u64, Option<String>, Option<String>) {
    let text = |v: &Value| v.as_str().map(str::to_owned);
    (
        entry["user_id"].as_str().unwrap_or_default().to_owned(),
        entry["inserted"].as_u64().unwrap_or(u64::MAX),
        entry["deleted"].as_u64().unwrap_or(u64::MAX),
        text(&entry["accepted_by"]),
        text(&entry["amendment_id"]),
    )
}

/// `GET .../clauses/{clause}/history`, checked to be a 200 list.
async fn history(
    server: &Server,
    meeting: Uuid,
    clause: &str,
    token: &str,
) -> anyhow::Result<Vec<Value>> {
    let (status, body) = server
        .get(
            &format!("/api/meetings/{meeting}/clauses/{clause}/history"),
            Some(token),
        )
        .await?;
    anyhow::ensure!(status == 200, "history answered {status}: {body}");
    body.as_array()
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("history is not a list: {body}"))
}

/// Every entry is in the `draft` room, with a time in ms since the epoch,
/// oldest first.
#[track_caller]
fn assert_times_and_rooms(history: &[Value]) {
    let times: Vec<u64> = history
        .iter()
        .map(|e| {
            e["time"]
                .as_u64()
                .unwrap_or_else(|| panic!("no time in {e}"))
        })
        .collect();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as u64;
    for time in &times {
        assert!(
            (now_ms - 600_000..=now_ms + 60_000).contains(time),
            "time {time} is not ms since the epoch near {now_ms}"
        );
    }
    assert!(times.is_sorted(), "oldest first: {times:?}");
    for entry in history {
        assert_eq!(entry["room"], "draft", "{entry}");
    }
}
