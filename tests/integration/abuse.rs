//! Abuse (RELIABILITY.md): floods of new meetings, joins and bad tokens
//! from one address are bounded by configurable limits with 429 and
//! `Retry-After` (4029 on the WebSocket); other addresses are untouched.
//! Presence states past their size, or one connection speaking for many
//! presences, are closed (1009, 1008) without harm to the room.
//!
//! Addresses are told apart by `X-Forwarded-For`, as behind a proxy
//! (`--client-ip-header`).

use crate::Start;
use draftroom_shared::{RefusalCode, close};
use draftroom_tests::http::{HttpResponse, request_with_headers};
use draftroom_tests::{Meeting, Server, WAIT, YClient, assert_refused};
use serde_json::{Value, json};
use yrs::sync::{Awareness, Message};
use yrs::updates::encoder::Encode;

const XFF: &str = "X-Forwarded-For";

async fn post_from(
    server: &Server,
    addr: &str,
    path: &str,
    token: Option<&str>,
    body: &Value,
) -> anyhow::Result<HttpResponse> {
    let body = serde_json::to_vec(body)?;
    request_with_headers(
        server.addr(),
        "POST",
        path,
        token,
        Some(&body),
        &[(XFF, addr)],
    )
    .await
}

async fn get_from(
    server: &Server,
    addr: &str,
    path: &str,
    token: Option<&str>,
) -> anyhow::Result<HttpResponse> {
    request_with_headers(server.addr(), "GET", path, token, None, &[(XFF, addr)]).await
}

/// Statuses of `n` answers, in order.
fn statuses(answers: &[HttpResponse]) -> Vec<u16> {
    answers.iter().map(|a| a.status).collect()
}

/// Checks a 429 answer: code, sentence and `Retry-After`, which the
/// sentence repeats.
#[track_caller]
fn assert_too_many(answer: &HttpResponse, what: &str) {
    let body = answer.json();
    assert_eq!(answer.status, 429, "{body}");
    assert_eq!(body["error"]["code"], "too_many_requests", "{body}");
    let wait: u64 = answer
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After header");
    assert!(wait >= 1, "Retry-After {wait}");
    assert_eq!(
        body["error"]["message"],
        too_many(what, wait).as_str(),
        "{body}"
    );
}

/// The sentence of a per-address limit, `wait` seconds before another try.
fn too_many(what: &str, wait: u64) -> String {
    format!("too many {what} from this address; try again in {wait} s")
}

/// Checks a 401 answer (a bad token or invite).
#[track_caller]
fn assert_unauthorized(answer: &HttpResponse) {
    let body = answer.json();
    assert_eq!(answer.status, 401, "{body}");
    assert_eq!(body["error"]["code"], "unauthorized", "{body}");
}

#[tokio::test]
async fn a_flood_of_new_meetings_from_one_address_is_refused_with_429() -> anyhow::Result<()> {
    // 10 a minute, 5 at once.
    let server = Server::start_with(&["--client-ip-header", XFF, "--meetings-per-minute", "10"]);
    let body = json!({ "title": "Spam", "moderator_name": "Bot" });
    let mut answers = Vec::new();
    for _ in 0..12 {
        answers.push(post_from(&server, "203.0.113.7", "/api/meetings", None, &body).await?);
    }
    assert_eq!(statuses(&answers)[..5], [201; 5]);
    for answer in &answers[5..] {
        assert_too_many(answer, "new meetings");
    }
    // Someone else, behind another address, is not held back.
    let other = post_from(&server, "198.51.100.1", "/api/meetings", None, &body).await?;
    assert_eq!(other.status, 201);
    Ok(())
}

#[tokio::test]
async fn a_flood_of_joins_from_one_address_is_refused_with_429() -> anyhow::Result<()> {
    // 20 a minute, 10 at once.
    let server = Server::start_with(&["--client-ip-header", XFF, "--joins-per-minute", "20"]);
    let created = server.create_meeting("Misja", "Ala").await?;
    let path = format!("/api/meetings/{}/join", created.id);
    let body = json!({ "invite": created.observer_invite, "name": "Widz" });
    let mut answers = Vec::new();
    for _ in 0..14 {
        answers.push(post_from(&server, "203.0.113.8", &path, None, &body).await?);
    }
    assert_eq!(statuses(&answers)[..10], [200; 10]);
    for answer in &answers[10..] {
        assert_too_many(answer, "joins");
    }
    let other = post_from(&server, "198.51.100.2", &path, None, &body).await?;
    assert_eq!(other.status, 200);
    Ok(())
}

#[tokio::test]
async fn an_address_guessing_tokens_is_refused_before_its_tokens_are_looked_at()
-> anyhow::Result<()> {
    // 20 failures a minute, 10 at once.
    let server = Server::start_with(&[
        "--client-ip-header",
        XFF,
        "--failed-sign-ins-per-minute",
        "20",
    ]);
    let meeting = Meeting::set_up(&server, "Misja").await?;
    let path = format!("/api/meetings/{}", meeting.id());
    let guesser = "203.0.113.9";
    let mut answers = Vec::new();
    for i in 0..10 {
        answers.push(get_from(&server, guesser, &path, Some(&format!("zgadnij-{i}"))).await?);
    }
    // Bad invites count too.
    let join = format!("/api/meetings/{}/join", meeting.id());
    let bad_invite = json!({ "invite": "nie-ma-takiego", "name": "X" });
    answers.push(post_from(&server, guesser, &join, None, &bad_invite).await?);
    for answer in &answers[..10] {
        assert_unauthorized(answer);
    }
    assert_too_many(&answers[10], "failed sign-ins");
    // Past the limit even a good token from that address waits: the server
    // does not tell a guesser when a guess is right.
    let good = get_from(&server, guesser, &path, Some(meeting.moderator_token())).await?;
    assert_too_many(&good, "failed sign-ins");
    // Another address signs in as ever.
    let elsewhere = get_from(
        &server,
        "198.51.100.3",
        &path,
        Some(meeting.moderator_token()),
    )
    .await?;
    assert_eq!(elsewhere.status, 200);
    Ok(())
}

#[tokio::test]
async fn websocket_sign_in_failures_are_limited_with_4029() -> anyhow::Result<()> {
    // 20 failures a minute, 10 at once; the tests' sockets all come from
    // 127.0.0.1.
    let server = Server::start_with(&["--failed-sign-ins-per-minute", "20"]);
    let meeting = Meeting::set_up(&server, "Misja").await?;
    let member =
        YClient::connect(&server.ws_url(meeting.id(), "draft", &meeting.observer.token)).await?;
    member.wait_synced().await?;
    let mut closes = Vec::new();
    for i in 0..14 {
        let bad =
            YClient::connect(&server.ws_url(meeting.id(), "draft", &format!("zly-{i}"))).await?;
        closes.push(bad.wait_closed(WAIT).await);
    }
    for closed in &closes[..10] {
        assert_eq!(
            closed,
            &Some((close::UNAUTHORIZED, "invalid token".to_owned())),
            "{closes:?}"
        );
    }
    // The refused address may be a venue's network with honest members on
    // it: the stock client retries this code and gets in once it refills.
    // The sentence says when: a failure refills in 3 s at 20 a minute.
    for closed in &closes[10..] {
        let reason = match closed {
            Some((close::TOO_FAST, reason)) => reason,
            other => panic!("{other:?} is not a close with 4029: {closes:?}"),
        };
        assert!(
            (1..=3).any(|wait| *reason == too_many("failed sign-ins", wait)),
            "{reason:?}"
        );
    }
    assert!(!close::is_final(close::TOO_FAST));
    // The member already connected is untouched.
    assert!(member.close().is_none());
    Ok(())
}

/// An awareness message with one client whose state is `json`.
fn awareness_frame(client: u64, json: &str) -> Vec<u8> {
    let mut awareness = Awareness::new(yrs::Doc::with_client_id(client));
    awareness.set_local_state_raw(json);
    Message::Awareness(awareness.update().expect("awareness update")).encode_v1()
}

#[tokio::test]
async fn huge_presence_states_and_many_presences_are_closed() -> anyhow::Result<()> {
    let server = Server::start_with(&["--max-awareness-bytes", "4096"]);
    let meeting = Meeting::set_up(&server, "Misja").await?;
    let url = |token: &str| server.ws_url(meeting.id(), "draft", token);
    let moderator = YClient::connect(&url(meeting.moderator_token())).await?;
    moderator.wait_synced().await?;

    // A sensible state goes through.
    let fine = YClient::connect(&url(&meeting.participant.token)).await?;
    fine.wait_synced().await?;
    fine.send_raw(awareness_frame(
        fine.client_id(),
        r#"{"user":{"name":"Ala"}}"#,
    ));

    // A state of 8 KiB is over the limit of 4 KiB.
    let huge = YClient::connect(&url(&meeting.editor.token)).await?;
    huge.wait_synced().await?;
    let state = format!(r#"{{"user":{{"name":"{}"}}}}"#, "ż".repeat(4096));
    huge.send_raw(awareness_frame(huge.client_id(), &state));
    let closed = huge.wait_closed(WAIT).await;
    assert_eq!(
        closed,
        Some((
            close::TOO_BIG,
            format!(
                "presence state of {} bytes is over the limit of 4096",
                state.len()
            )
        ))
    );

    // One connection speaking for nine presences.
    let many = YClient::connect(&url(&meeting.participant.token)).await?;
    many.wait_synced().await?;
    for i in 0..9 {
        many.send_raw(awareness_frame(7_000 + i, r#"{"user":{"name":"Ktoś"}}"#));
    }
    let closed = many.wait_closed(WAIT).await;
    assert_eq!(
        closed,
        Some((
            close::POLICY,
            "more than 8 presence ids on one connection".to_owned()
        ))
    );

    // The room carries on.
    moderator.add_clause("Dalej");
    fine.wait_for_text("Dalej").await?;
    assert!(fine.close().is_none() && moderator.close().is_none());
    Ok(())
}

/// Presence shows a member's client ID before they first write; another
/// member who writes with it first must not take it.
#[tokio::test]
async fn a_client_id_seen_in_presence_cannot_be_taken_by_another_member() -> anyhow::Result<()> {
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja").await?;
    let url = |token: &str| server.ws_url(meeting.id(), "draft", token);
    let moderator = YClient::connect(&url(meeting.moderator_token())).await?;
    moderator.wait_synced().await?;
    // The moderator's tab announces itself before typing anything.
    let id = moderator.client_id();
    moderator.send_raw(awareness_frame(id, r#"{"user":{"name":"Moderatorka"}}"#));
    // Others learn the ID from the server, so after it has taken the
    // presence in: the `meeting` room shows the ID bound by then.
    let room = server
        .connect_room(meeting.id(), "meeting", &meeting.observer.token)
        .await?;
    room.wait_until("the presence ID bound", WAIT, |doc| {
        draftroom_tests::rooms::clients(doc).contains_key(&id.to_string())
    })
    .await?;
    // An editor, who saw that ID in the room's presence, writes with it.
    let squatter = YClient::connect_as(&url(&meeting.editor.token), id).await?;
    squatter.wait_synced().await?;
    squatter.add_clause("Przejęte");
    let denials = squatter.wait_denials(1).await?;
    assert_refused("the squatter", &denials[0], RefusalCode::ForeignClient);
    // The moderator writes as ever.
    moderator.add_clause("Misja");
    let reader = YClient::connect(&url(&meeting.observer.token)).await?;
    reader.wait_synced().await?;
    reader.wait_for_text("Misja").await?;
    assert!(moderator.denials().is_empty());
    Ok(())
}
