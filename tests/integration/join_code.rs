//! The short participant code (for the projector's QR code and the short
//! link beside it): nine Crockford base32 characters shown `K7Q-FM2-XD9`,
//! answered when a meeting is created and when its participant invite is
//! replaced (the old code then stops working at once). `POST /api/codes`
//! says which meeting a code opens; `join` and `invitation` take it in
//! place of the invite. A code that opens nothing is a failed sign-in, and
//! no code is ever logged.

use crate::Start;
use draftroom_tests::http::{HttpResponse, request_with_headers};
use draftroom_tests::rooms::participants;
use draftroom_tests::{Meeting, Server, WAIT, assert_error};
use serde_json::{Value, json};
use uuid::Uuid;

const CROCKFORD: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Checks a code's shape: three groups of three Crockford characters.
#[track_caller]
fn assert_code_shape(code: &str) {
    let groups: Vec<&str> = code.split('-').collect();
    assert_eq!(groups.len(), 3, "{code}");
    for group in groups {
        assert_eq!(group.len(), 3, "{code}");
        assert!(group.chars().all(|c| CROCKFORD.contains(c)), "{code}");
    }
}

/// `POST /api/codes` with `code`.
async fn resolve(server: &Server, code: &str) -> anyhow::Result<(u16, Value)> {
    server
        .post_json("/api/codes", None, &json!({ "code": code }))
        .await
}

/// `POST /api/meetings/{meeting}/join` with `invite` (an invite or a code).
async fn join(
    server: &Server,
    meeting: Uuid,
    invite: &str,
    name: &str,
) -> anyhow::Result<(u16, Value)> {
    server
        .post_json(
            &format!("/api/meetings/{meeting}/join"),
            None,
            &json!({ "invite": invite, "name": name }),
        )
        .await
}

/// `POST /api/meetings/{meeting}/invitation` with `invite`.
async fn invitation(server: &Server, meeting: Uuid, invite: &str) -> anyhow::Result<(u16, Value)> {
    server
        .post_json(
            &format!("/api/meetings/{meeting}/invitation"),
            None,
            &json!({ "invite": invite }),
        )
        .await
}

/// Checks that the server's log does not hold any of `codes`, however
/// written.
#[track_caller]
fn assert_not_logged(server: &Server, codes: &[&str]) {
    let log = server.log_tail().to_uppercase();
    for code in codes {
        let bare = code.replace('-', "");
        assert!(
            !log.contains(code) && !log.contains(&bare),
            "the code {code} is in the log:\n{log}"
        );
    }
}

#[tokio::test]
async fn a_code_says_its_meeting_and_joins_it_as_a_participant() -> anyhow::Result<()> {
    let server = Server::start();
    let created = server
        .create_meeting_in("Misja Miasta Krakowa", "Ewa Łukasiewicz", "pl")
        .await?;
    let code = created.participant_code.clone();
    assert_code_shape(&code);
    let other = server.create_meeting("Vision", "Adam").await?;
    assert_code_shape(&other.participant_code);
    assert_ne!(other.participant_code, code, "each meeting has its own");

    let (status, opens) = resolve(&server, &code).await?;
    assert_eq!(status, 200, "{opens}");
    assert_eq!(
        opens,
        json!({
            "meeting_id": created.id,
            "title": "Misja Miasta Krakowa",
            "role": "participant",
            "frozen": false,
            "language": "pl",
        })
    );
    let (status, invited) = invitation(&server, created.id, &code).await?;
    assert_eq!(status, 200, "{invited}");
    assert_eq!(invited["role"], "participant", "{invited}");
    assert_eq!(invited["title"], "Misja Miasta Krakowa", "{invited}");

    let (status, joined) = join(&server, created.id, &code, "Łucja Kęsik").await?;
    assert_eq!(status, 200, "join by code: {joined}");
    assert_eq!(joined["role"], "participant", "{joined}");
    let user = joined["user_id"].as_str().expect("a user id").to_owned();
    let room = server
        .connect_room(created.id, "meeting", joined["token"].as_str().unwrap())
        .await?;
    room.wait_until("the member joined by code", WAIT, |doc| {
        participants(doc)
            .get(&user)
            .is_some_and(|p| p["name"] == "Łucja Kęsik" && p["role"] == "participant")
    })
    .await?;

    // A code is the participant's way in, to its own meeting only.
    let elsewhere = join(&server, other.id, &code, "Intruz").await?;
    assert_error("a code at another meeting", &elsewhere, 401, "unauthorized");
    let elsewhere = invitation(&server, other.id, &code).await?;
    assert_error("a code at another meeting", &elsewhere, 401, "unauthorized");
    let (status, opens) = resolve(&server, &other.participant_code).await?;
    assert_eq!(status, 200, "{opens}");
    assert_eq!(opens["meeting_id"], other.id.to_string(), "{opens}");
    assert_eq!(opens["language"], "en", "{opens}");

    let malformed = server.post_json("/api/codes", None, &json!({})).await?;
    assert_error("no code", &malformed, 400, "bad_request");
    assert_not_logged(&server, &[&code, &other.participant_code]);
    Ok(())
}

/// The code as someone might type it off a screen: lower case, no dashes,
/// spaces, O for 0, I and L for 1.
fn typed_sloppily(code: &str) -> String {
    let mut out = String::new();
    for (i, c) in code.replace('-', "").chars().enumerate() {
        if i % 3 == 0 && i > 0 {
            out.push(' ');
        }
        out.push(match c {
            '0' => 'o',
            '1' if i % 2 == 0 => 'I',
            '1' => 'l',
            c => c.to_ascii_lowercase(),
        });
    }
    out
}

#[tokio::test]
async fn a_code_is_read_however_it_is_typed() -> anyhow::Result<()> {
    let server = Server::start_with(&["--meetings-per-minute", "6000"]);
    // Some code with a 0 or a 1 in it, to type as O, I or L.
    let mut created = server.create_meeting("Misja", "Ewa").await?;
    for _ in 0..100 {
        if created.participant_code.contains(['0', '1']) {
            break;
        }
        created = server.create_meeting("Misja", "Ewa").await?;
    }
    let code = created.participant_code.clone();
    assert!(code.contains(['0', '1']), "no 0 or 1 in a hundred codes");
    let sloppy = typed_sloppily(&code);
    println!("{code} typed as {sloppy:?}");
    for typed in [
        sloppy.clone(),
        code.to_lowercase(),
        code.replace('-', ""),
        format!("  {}  ", code.replace('-', " - ")),
    ] {
        let (status, opens) = resolve(&server, &typed).await?;
        assert_eq!(status, 200, "{typed:?}: {opens}");
        assert_eq!(opens["meeting_id"], created.id.to_string(), "{typed:?}");
    }
    let (status, joined) = join(&server, created.id, &sloppy, "Ola").await?;
    assert_eq!(status, 200, "join typed sloppily: {joined}");
    assert_eq!(joined["role"], "participant");
    // One character off is another code: no meeting's.
    let last = code.chars().last().unwrap();
    let swapped = CROCKFORD.chars().find(|c| *c != last).unwrap();
    let off = format!("{}{swapped}", &code[..code.len() - 1]);
    let unknown = resolve(&server, &off).await?;
    assert_error("a code one character off", &unknown, 401, "unauthorized");
    let u = resolve(&server, &format!("{}U", &code[..code.len() - 1])).await?;
    assert_error("a code with a U", &u, 401, "unauthorized");
    Ok(())
}

#[tokio::test]
async fn replacing_the_participant_invite_replaces_the_code_at_once() -> anyhow::Result<()> {
    let mut server = Server::start();
    let meeting = Meeting::set_up(&server, "Strategia").await?;
    let id = meeting.id();
    let old = meeting.created.participant_code.clone();
    let rotate = format!("/api/meetings/{id}/invites/rotate");

    // Replacing the observer invite keeps the code.
    let (status, body) = server
        .post_json(
            &rotate,
            Some(meeting.moderator_token()),
            &json!({ "observer": true }),
        )
        .await?;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("participant_code").is_none(), "{body}");
    assert_eq!(resolve(&server, &old).await?.0, 200);

    let (status, body) = server
        .post_json(
            &rotate,
            Some(meeting.moderator_token()),
            &json!({ "participant": true }),
        )
        .await?;
    assert_eq!(status, 200, "{body}");
    let new = body["participant_code"]
        .as_str()
        .expect("a new code")
        .to_owned();
    assert_code_shape(&new);
    assert_ne!(new, old);
    assert!(body["participant_invite"].is_string(), "{body}");

    for (what, answer) in [
        ("resolve", resolve(&server, &old).await?),
        ("join", join(&server, id, &old, "Stary").await?),
        ("invitation", invitation(&server, id, &old).await?),
    ] {
        assert_error(
            &format!("{what} with the old code"),
            &answer,
            401,
            "unauthorized",
        );
    }
    let (status, joined) = join(&server, id, &new, "Nowy").await?;
    assert_eq!(status, 200, "{joined}");
    assert_eq!(joined["role"], "participant");

    // The replacement is durable.
    server.restart();
    let (status, opens) = resolve(&server, &new).await?;
    assert_eq!(status, 200, "after a restart: {opens}");
    assert_eq!(opens["meeting_id"], id.to_string());
    let answer = resolve(&server, &old).await?;
    assert_error("the old code after a restart", &answer, 401, "unauthorized");
    let (status, joined) = join(&server, id, &new, "Po restarcie").await?;
    assert_eq!(status, 200, "{joined}");
    assert_not_logged(&server, &[&old, &new]);
    Ok(())
}

const XFF: &str = "X-Forwarded-For";

/// Checks a 429 for failed sign-ins: its code, and a sentence that says
/// when to try again as `Retry-After` does.
#[track_caller]
fn assert_too_many_sign_ins(what: &str, answer: &HttpResponse) {
    let wait: u64 = answer
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{what}: no Retry-After in {:?}", answer.headers));
    assert!(wait >= 1, "{what}: Retry-After {wait}");
    let body = answer.json();
    assert_error(
        what,
        &(answer.status, body.clone()),
        429,
        "too_many_requests",
    );
    assert_eq!(
        body["error"]["message"],
        format!("too many failed sign-ins from this address; try again in {wait} s"),
        "{what}"
    );
}

async fn resolve_from(server: &Server, addr: &str, code: &str) -> anyhow::Result<HttpResponse> {
    let body = serde_json::to_vec(&json!({ "code": code }))?;
    request_with_headers(
        server.addr(),
        "POST",
        "/api/codes",
        None,
        Some(&body),
        &[(XFF, addr)],
    )
    .await
}

#[tokio::test]
async fn guessing_codes_is_limited_like_guessing_invites() -> anyhow::Result<()> {
    // 20 failures a minute, 10 at once.
    let server = Server::start_with(&[
        "--client-ip-header",
        XFF,
        "--failed-sign-ins-per-minute",
        "20",
    ]);
    let created = server.create_meeting("Misja", "Ewa").await?;
    let guesser = "203.0.113.10";
    let mut statuses = Vec::new();
    for i in 0..10 {
        // Well-formed guesses and malformed ones count alike.
        let guess = if i % 2 == 0 {
            format!("ZZZ-ZZZ-ZZ{}", i / 2)
        } else {
            "nie-kod".to_owned()
        };
        let answer = resolve_from(&server, guesser, &guess).await?;
        assert_eq!(answer.json()["error"]["code"], "unauthorized", "{guess}");
        statuses.push(answer.status);
    }
    assert_eq!(statuses, [401; 10]);
    let over = resolve_from(&server, guesser, "ZZZ-ZZZ-ZZY").await?;
    assert_too_many_sign_ins("one guess too many", &over);
    // Past the limit even the right code waits: no hint that it is right.
    let right = resolve_from(&server, guesser, &created.participant_code).await?;
    assert_too_many_sign_ins("the right code, past the limit", &right);
    // Another address reads it as ever.
    let elsewhere = resolve_from(&server, "198.51.100.4", &created.participant_code).await?;
    assert_eq!(elsewhere.status, 200, "{:?}", elsewhere.json());
    Ok(())
}
