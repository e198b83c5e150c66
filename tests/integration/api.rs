//! The HTTP API's answers: statuses, bodies and error shapes for creating,
//! joining, granting, rotating invites, and for bad input.

use crate::Start;
use draftroom_shared::Role;
use draftroom_tests::{Meeting, Server};
use serde_json::{Value, json};
use uuid::Uuid;

/// Checks that `secrets` are capabilities as the server makes them (256
/// random bits, lower-case hex) and no two alike.
#[track_caller]
fn assert_distinct_secrets(what: &str, secrets: &[&Value]) {
    for (i, secret) in secrets.iter().enumerate() {
        let text = secret.as_str().unwrap_or_default();
        assert!(
            text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
            "{what}: {secret} is not 64 lower-case hex digits"
        );
        assert!(
            !secrets[..i].contains(secret),
            "{what}: {secret} came twice in {secrets:?}"
        );
    }
}

/// Checks an error answer: the status and `{"error":{"code","message"}}`.
fn assert_error(what: &str, answer: &(u16, Value), status: u16, code: &str) {
    let (got, body) = answer;
    assert_eq!(*got, status, "{what}: status, body {body}");
    assert_eq!(body["error"]["code"], code, "{what}: error code in {body}");
    assert!(
        body["error"]["message"].is_string(),
        "{what}: error message in {body}"
    );
}

#[tokio::test]
async fn healthz_answers_200() -> anyhow::Result<()> {
    let server = Server::start();
    let (status, _) = server.get("/healthz", None).await?;
    assert_eq!(status, 200);
    Ok(())
}

#[tokio::test]
async fn create_and_join_with_each_invite() -> anyhow::Result<()> {
    let server = Server::start();
    let (status, body) = server
        .post_json(
            "/api/meetings",
            None,
            &json!({"title": "Strategia", "moderator_name": "Ewa"}),
        )
        .await?;
    assert_eq!(status, 201, "create: {body}");
    for field in [
        "id",
        "moderator_token",
        "participant_invite",
        "observer_invite",
    ] {
        assert!(
            body[field].as_str().is_some_and(|s| !s.is_empty()),
            "create: {field} in {body}"
        );
    }
    let id: Uuid = body["id"].as_str().unwrap().parse()?;
    assert_distinct_secrets(
        "the token and invites of a new meeting",
        &[
            &body["moderator_token"],
            &body["participant_invite"],
            &body["observer_invite"],
        ],
    );

    for (invite, role) in [
        ("participant_invite", Role::Participant),
        ("observer_invite", Role::Observer),
    ] {
        let (status, joined) = server
            .post_json(
                &format!("/api/meetings/{id}/join"),
                None,
                &json!({"invite": body[invite], "name": "Łucja Ślęzak"}),
            )
            .await?;
        assert_eq!(status, 200, "join with {invite}: {joined}");
        assert_eq!(
            joined["role"],
            role.as_str(),
            "join with {invite}: {joined}"
        );
        assert!(joined["token"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(
            joined["user_id"]
                .as_str()
                .is_some_and(|u| u.parse::<Uuid>().is_ok())
        );
    }
    Ok(())
}

#[tokio::test]
async fn refusals_have_fitting_statuses() -> anyhow::Result<()> {
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Strategia").await?;
    let id = meeting.id();
    let editors = format!("/api/meetings/{id}/editors");
    let grant = json!({"user_id": meeting.participant.user_id});

    let wrong_invite = server
        .post_json(
            &format!("/api/meetings/{id}/join"),
            None,
            &json!({"invite": "not-an-invite", "name": "X"}),
        )
        .await?;
    assert_error("wrong invite", &wrong_invite, 401, "unauthorized");

    let other = server.create_meeting("Inne", "Adam").await?;
    let foreign_invite = server
        .post_json(
            &format!("/api/meetings/{id}/join"),
            None,
            &json!({"invite": other.participant_invite, "name": "X"}),
        )
        .await?;
    assert_error(
        "another meeting's invite",
        &foreign_invite,
        401,
        "unauthorized",
    );

    let no_token = server.post_json(&editors, None, &grant).await?;
    assert_error("no bearer token", &no_token, 401, "unauthorized");
    let bad_token = server
        .post_json(&editors, Some("not-a-token"), &grant)
        .await?;
    assert_error("bad bearer token", &bad_token, 401, "unauthorized");

    // Another meeting's moderator token is no token here.
    let foreign = server
        .post_json(&editors, Some(&other.moderator_token), &grant)
        .await?;
    assert_error("another meeting's token", &foreign, 401, "unauthorized");

    for (who, token) in [
        ("participant", &meeting.participant.token),
        ("observer", &meeting.observer.token),
        ("editor", &meeting.editor.token),
    ] {
        let answer = server.post_json(&editors, Some(token), &grant).await?;
        assert_error(&format!("{who} granting editor"), &answer, 403, "forbidden");
    }

    let unknown = server
        .post_json(
            &format!("/api/meetings/{}/join", Uuid::new_v4()),
            None,
            &json!({"invite": meeting.created.participant_invite, "name": "X"}),
        )
        .await?;
    assert_error("unknown meeting", &unknown, 404, "not_found");

    let malformed = server
        .post_raw("/api/meetings", None, b"{\"title\": \"Strat")
        .await?;
    assert_error("malformed JSON", &malformed, 400, "bad_request");
    let wrong_shape = server
        .post_json("/api/meetings", None, &json!({"title": 7}))
        .await?;
    assert_error("JSON of the wrong shape", &wrong_shape, 400, "bad_request");

    // 2 MiB of valid JSON: too large, whatever it says.
    let huge = json!({"title": "a".repeat(2 << 20), "moderator_name": "Ewa"});
    let too_large = server.post_json("/api/meetings", None, &huge).await?;
    assert_error("2 MiB body", &too_large, 413, "too_large");

    // The server is still fine afterwards.
    assert_eq!(server.get("/healthz", None).await?.0, 200);
    Ok(())
}

#[tokio::test]
async fn rotating_the_observer_invite_retires_the_old_one() -> anyhow::Result<()> {
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Strategia").await?;
    let id = meeting.id();
    let rotate = format!("/api/meetings/{id}/invites/rotate");

    let by_participant = server
        .post_json(
            &rotate,
            Some(&meeting.participant.token),
            &json!({"observer": true}),
        )
        .await?;
    assert_error(
        "participant rotating invites",
        &by_participant,
        403,
        "forbidden",
    );
    let by_editor = server
        .post_json(
            &rotate,
            Some(&meeting.editor.token),
            &json!({"observer": true}),
        )
        .await?;
    assert_error("editor rotating invites", &by_editor, 403, "forbidden");
    let anonymous = server
        .post_json(&rotate, None, &json!({"observer": true}))
        .await?;
    assert_error(
        "rotating invites without a token",
        &anonymous,
        401,
        "unauthorized",
    );

    let (status, body) = server
        .post_json(
            &rotate,
            Some(meeting.moderator_token()),
            &json!({"observer": true}),
        )
        .await?;
    assert_eq!(status, 200, "rotate: {body}");
    assert_distinct_secrets(
        "the new observer invite and the old ones",
        &[
            &body["observer_invite"],
            &json!(meeting.created.observer_invite),
            &json!(meeting.created.participant_invite),
        ],
    );
    let new_invite = body["observer_invite"]
        .as_str()
        .expect("a new observer invite")
        .to_owned();
    assert!(
        body.get("participant_invite").is_none_or(Value::is_null),
        "participant invite kept: {body}"
    );

    let join = format!("/api/meetings/{id}/join");
    let old = server
        .post_json(
            &join,
            None,
            &json!({"invite": meeting.created.observer_invite, "name": "Stary"}),
        )
        .await?;
    assert_error("the old observer invite", &old, 401, "unauthorized");

    let (status, joined) = server
        .post_json(&join, None, &json!({"invite": new_invite, "name": "Nowy"}))
        .await?;
    assert_eq!(status, 200, "the new observer invite: {joined}");
    assert_eq!(joined["role"], "observer");

    let (status, joined) = server
        .post_json(
            &join,
            None,
            &json!({"invite": meeting.created.participant_invite, "name": "Uczestnik"}),
        )
        .await?;
    assert_eq!(status, 200, "the kept participant invite: {joined}");
    assert_eq!(joined["role"], "participant");
    Ok(())
}

#[tokio::test]
async fn an_invitation_says_which_meeting_and_role_before_joining() -> anyhow::Result<()> {
    let server = Server::start();
    let m = Meeting::set_up(&server, "Misja Miasta Krakowa").await?;
    let id = m.id();
    let path = format!("/api/meetings/{id}/invitation");
    for (invite, role) in [
        (&m.created.participant_invite, "participant"),
        (&m.created.observer_invite, "observer"),
    ] {
        let (status, body) = server
            .post_json(&path, None, &json!({ "invite": invite }))
            .await?;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["title"], "Misja Miasta Krakowa");
        assert_eq!(body["role"], role);
        assert_eq!(body["frozen"], false);
    }
    let (_, before) = server
        .get(&format!("/api/meetings/{id}"), Some(m.moderator_token()))
        .await?;
    let bad = server
        .post_json(&path, None, &json!({ "invite": "not-an-invite" }))
        .await?;
    assert_error("a wrong invite", &bad, 401, "unauthorized");
    let unknown = server
        .post_json(
            &format!("/api/meetings/{}/invitation", Uuid::new_v4()),
            None,
            &json!({ "invite": m.created.participant_invite }),
        )
        .await?;
    assert_error("an unknown meeting", &unknown, 404, "not_found");
    let malformed = server.post_json(&path, None, &json!({ "nope": 1 })).await?;
    assert_error("no invite", &malformed, 400, "bad_request");
    // Looking makes no member.
    let (_, after) = server
        .get(&format!("/api/meetings/{id}"), Some(m.moderator_token()))
        .await?;
    assert_eq!(before, after);
    Ok(())
}
