//! The workshop's method over the real server: every command in every
//! stage by every role (a role the table forbids: 403; a stage that does
//! not take the command: 409 naming the stage); the draft open only in
//! the draft and amend stages; elements pulled into the draft and linked
//! to clauses; signals on one wording that lapse when it changes; checks
//! whose hidden answers nobody reads before they close; a freeze that
//! needs consent or a written reason. Signals, checks and links survive a
//! `kill -9`.

use crate::Start;
use draftroom_shared::RefusalCode;
use draftroom_tests::rooms::{meeting_info, root_map_json};
use draftroom_tests::{
    Meeting, Server, WAIT, YClient, assert_error, assert_refused, assert_wrong_stage,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::versions::sha256_hex;

/// One command of the table: its method and path under the meeting and
/// a body that passes the role and stage checks but nothing after them,
/// so that an admitted call changes nothing (400, 404 or a conflict of
/// the meeting's own state) — but for the calls that move the stage,
/// which come last in their stage.
struct Call {
    name: &'static str,
    path: String,
    body: Value,
    /// The stages in which a role that may give it is admitted.
    stages: &'static [&'static str],
    /// The roles that may give it (moderator, editor, participant,
    /// observer).
    roles: [bool; 4],
}

const ALL: &[&str] = &[
    "collect",
    "common_ground",
    "draft",
    "amend",
    "agree",
    "frozen",
];

fn table() -> Vec<Call> {
    let nobody = Uuid::new_v4();
    let zeros = "0".repeat(64);
    let call = |name, path: String, body, stages, roles| Call {
        name,
        path,
        body,
        stages,
        roles,
    };
    let moderator = [true, false, false, false];
    vec![
        call(
            "grant editor",
            "/editors".into(),
            json!({"user_id": nobody}),
            ALL,
            moderator,
        ),
        call(
            "add person",
            "/people".into(),
            json!({"name": " "}),
            ALL,
            moderator,
        ),
        call(
            "rotate invites",
            "/invites/rotate".into(),
            json!({}),
            ALL,
            moderator,
        ),
        call(
            "create group",
            "/groups".into(),
            json!({"name": " "}),
            &["collect"],
            moderator,
        ),
        call(
            "assign group",
            format!("/groups/{nobody}/members"),
            json!({"user_id": nobody}),
            &["collect", "common_ground"],
            moderator,
        ),
        call(
            "join group",
            format!("/groups/{nobody}/members"),
            json!({}),
            &["collect", "common_ground"],
            [false, true, true, false],
        ),
        call(
            "add element",
            "/elements".into(),
            json!({"text": " "}),
            &["collect"],
            [true, true, true, false],
        ),
        call(
            "merge elements",
            format!("/elements/{nobody}/merge"),
            json!({"into": nobody}),
            &["collect", "common_ground"],
            moderator,
        ),
        call(
            "split element",
            format!("/elements/{nobody}/split"),
            json!({"parts": ["jeden"]}),
            &["collect", "common_ground"],
            moderator,
        ),
        call(
            "mark share",
            format!("/elements/{nobody}/share"),
            json!({"shared": true}),
            &["common_ground"],
            [true, true, true, false],
        ),
        call(
            "mark value",
            format!("/elements/{nobody}/value"),
            json!({"value": true}),
            &["common_ground"],
            moderator,
        ),
        call(
            "pull element",
            format!("/elements/{nobody}/pull"),
            json!({}),
            &["draft", "amend"],
            moderator,
        ),
        call(
            "link element",
            format!("/clauses/{nobody}/elements"),
            json!({"element_id": nobody}),
            &["draft", "amend"],
            moderator,
        ),
        call(
            "move clause",
            format!("/clauses/{nobody}/move"),
            json!({"to": 0}),
            &["draft", "amend"],
            [true, true, false, false],
        ),
        call(
            "open amendment",
            "/amendments".into(),
            json!({"clause_id": nobody.to_string()}),
            &["amend"],
            [true, true, true, false],
        ),
        call(
            "support",
            format!("/amendments/{nobody}/support"),
            json!({}),
            &["amend"],
            [false, true, true, false],
        ),
        call(
            "accept",
            format!("/amendments/{nobody}/accept"),
            json!({}),
            &["amend"],
            moderator,
        ),
        call(
            "reject",
            format!("/amendments/{nobody}/reject"),
            json!({}),
            &["amend"],
            moderator,
        ),
        call(
            "signal",
            format!("/clauses/{nobody}/signals"),
            json!({"signal": "agree", "sha256": zeros}),
            &["amend"],
            [true, true, true, false],
        ),
        call(
            "signal for",
            format!("/clauses/{nobody}/signals"),
            json!({"signal": "agree", "sha256": zeros, "user_id": nobody}),
            &["amend"],
            moderator,
        ),
        call(
            "answer check",
            "/checks/1/answers".into(),
            json!({"answer": "veto"}),
            &["agree"],
            [true, true, true, false],
        ),
        call(
            "answer for",
            "/checks/1/answers".into(),
            json!({"answer": "veto", "user_id": nobody}),
            &["agree"],
            moderator,
        ),
        call(
            "close check",
            "/checks/99/close".into(),
            json!({}),
            &["agree"],
            moderator,
        ),
        call(
            "freeze",
            "/freeze".into(),
            json!({"reason": "\u{7}"}),
            &["amend", "agree"],
            moderator,
        ),
        // The moves come last: the stage-setting call stays in the stage
        // (the path checks it), opening a check moves amend to agree,
        // reopening moves frozen to amend.
        call(
            "set stage",
            "/stage".into(),
            json!({"stage": "STAGE"}),
            &["collect", "common_ground", "draft", "amend", "agree"],
            moderator,
        ),
        call(
            "open check",
            "/checks".into(),
            json!({}),
            &["amend", "agree"],
            moderator,
        ),
        call(
            "reopen",
            "/reopen".into(),
            json!({}),
            &["frozen"],
            moderator,
        ),
    ]
}

/// Every command × every stage × every role, over HTTP.
#[tokio::test]
async fn every_command_is_checked_against_the_stage_and_the_role() -> anyhow::Result<()> {
    let server = Server::start();
    let m = Meeting::set_up_workshop(&server, "Misja Miasta Krakowa").await?;
    let tokens = [
        m.moderator_token().to_owned(),
        m.editor.token.clone(),
        m.participant.token.clone(),
        m.observer.token.clone(),
    ];
    let names = ["moderator", "editor", "participant", "observer"];
    let calls = table();
    assert_eq!(calls.len(), 27, "a row per command");
    let mut checked = 0;
    for stage in ALL {
        match *stage {
            "collect" => {}
            "common_ground" | "draft" | "amend" => m.stage(&server, stage).await?,
            // Opening a check, the last call of the amend stage, moved it.
            "agree" => {}
            "frozen" => {
                let frozen = server
                    .post_json(
                        &format!("/api/meetings/{}/freeze", m.id()),
                        Some(m.moderator_token()),
                        &json!({"reason": "the table's own freeze"}),
                    )
                    .await?;
                assert_eq!(frozen.0, 200, "{}", frozen.1);
            }
            _ => unreachable!(),
        }
        let (_, shown) = server
            .get(
                &format!("/api/meetings/{}/consensus", m.id()),
                Some(&tokens[3]),
            )
            .await?;
        assert_eq!(shown["stage"], *stage, "{shown}");
        // The call that moves the stage comes last in it.
        let mover = match *stage {
            "amend" => "open check",
            "frozen" => "reopen",
            _ => "",
        };
        let ordered = calls
            .iter()
            .filter(|c| c.name != mover)
            .chain(calls.iter().filter(|c| c.name == mover));
        for call in ordered {
            // Reverse order: the moderator's stage moves come after the
            // others have been refused in this stage.
            for who in (0..4).rev() {
                let body = serde_json::to_string(&call.body)?.replace("STAGE", stage);
                let answer = server
                    .post_json(
                        &format!("/api/meetings/{}{}", m.id(), call.path),
                        Some(&tokens[who]),
                        &serde_json::from_str::<Value>(&body)?,
                    )
                    .await?;
                let what = format!("{} by the {} in {stage}", call.name, names[who]);
                if !call.roles[who] {
                    assert_error(&what, &answer, 403, "forbidden");
                } else if !call.stages.contains(stage) {
                    assert_wrong_stage(&what, &answer, stage);
                } else {
                    assert!(
                        answer.0 != 403 && answer.1["error"]["stage"].is_null(),
                        "{what}: admitted, but answered {} {}",
                        answer.0,
                        answer.1
                    );
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 6 * 27 * 4);
    // Reopening, the frozen stage's last call, moved it to amend.
    let (_, shown) = server
        .get(
            &format!("/api/meetings/{}/consensus", m.id()),
            Some(&tokens[0]),
        )
        .await?;
    assert_eq!(shown["stage"], "amend", "{shown}");
    // The check the table left open closed with its freeze: a new one opens.
    assert!(shown["checks"][0]["closed_at"].is_number(), "{shown}");
    let opened = server
        .post_json(
            &format!("/api/meetings/{}/checks", m.id()),
            Some(m.moderator_token()),
            &json!({}),
        )
        .await?;
    assert_eq!(opened.0, 201, "{}", opened.1);
    Ok(())
}

/// Moves to `stage` must be refused as a conflict for a reason: the agree
/// and frozen stages come with their commands, and an open check holds
/// the agree stage.
#[tokio::test]
async fn stages_move_as_the_method_says_and_the_draft_opens_in_the_draft_stage()
-> anyhow::Result<()> {
    let server = Server::start();
    let m = Meeting::set_up_workshop(&server, "Misja").await?;
    let stage = |to: &str| {
        let body = json!({ "stage": to });
        let path = format!("/api/meetings/{}/stage", m.id());
        let server = &server;
        let token = m.moderator_token().to_owned();
        async move { server.post_json(&path, Some(&token), &body).await }
    };
    let meeting_room =
        YClient::connect(&server.ws_url(m.id(), "meeting", &m.observer.token)).await?;
    meeting_room
        .wait_until("stage collect", WAIT, |doc| {
            meeting_info(doc)
                .get("stage")
                .is_some_and(|s| s == "collect")
        })
        .await?;
    assert_eq!(meeting_info(meeting_room.doc())["workshop"], true);
    assert_error(
        "an unknown stage",
        &stage("vote").await?,
        400,
        "bad_request",
    );
    assert_error(
        "agree without a check",
        &stage("agree").await?,
        409,
        "conflict",
    );
    assert_error(
        "frozen without a freeze",
        &stage("frozen").await?,
        409,
        "conflict",
    );

    // A stock client writing the draft while the groups collect is refused
    // for the stage, and its edit is not kept.
    let early = YClient::connect(&server.ws_url(m.id(), "draft", m.moderator_token())).await?;
    early.wait_synced().await?;
    early.add_clause("za wcześnie");
    let denied = early.wait_denials(1).await?;
    assert_refused(
        "a draft write while collecting",
        &denied[0],
        RefusalCode::Stage,
    );

    // In the draft stage the moderator writes; the move shows live.
    assert_eq!(stage("draft").await?.0, 200);
    meeting_room
        .wait_until("stage draft", WAIT, |doc| {
            meeting_info(doc).get("stage").is_some_and(|s| s == "draft")
        })
        .await?;
    let writer = YClient::connect(&server.ws_url(m.id(), "draft", m.moderator_token())).await?;
    writer.wait_synced().await?;
    writer.add_clause("Kraków — miasto otwarte 🏙️");
    held(&server, &m, "Kraków — miasto otwarte 🏙️").await?;
    assert!(writer.denials().is_empty(), "{:?}", writer.denials());

    // Opening a check locks the draft: a write is refused for the stage.
    assert_eq!(stage("amend").await?.0, 200);
    let opened = server
        .post_json(
            &format!("/api/meetings/{}/checks", m.id()),
            Some(m.moderator_token()),
            &json!({}),
        )
        .await?;
    assert_eq!(opened.0, 201, "{}", opened.1);
    meeting_room
        .wait_until("stage agree", WAIT, |doc| {
            meeting_info(doc).get("stage").is_some_and(|s| s == "agree")
        })
        .await?;
    writer.push_text(0, " teraz");
    let denied = writer.wait_denials(1).await?;
    assert_refused(
        "a draft write during the check",
        &denied[0],
        RefusalCode::Stage,
    );
    let held = stage("amend").await?;
    assert_error("leaving agree with the check open", &held, 409, "conflict");
    let closed = server
        .post_json(
            &format!("/api/meetings/{}/checks/1/close", m.id()),
            Some(m.moderator_token()),
            &json!({}),
        )
        .await?;
    assert_eq!(closed.0, 200, "{}", closed.1);
    assert_eq!(stage("amend").await?.0, 200);
    Ok(())
}

/// Waits until the server holds `text` as the draft: an observer's copy
/// reads it (the writer's own copy reads it before the server has it).
async fn held(server: &Server, m: &Meeting, text: &str) -> anyhow::Result<()> {
    let reader = YClient::connect(&server.ws_url(m.id(), "draft", &m.observer.token)).await?;
    reader.wait_for_text(text).await
}

async fn consensus(server: &Server, m: &Meeting, token: &str) -> anyhow::Result<Value> {
    m.api(server).get("/consensus", token).await
}

/// The signals standing on clause `index` of a consensus view.
fn tally(view: &Value, index: usize) -> Value {
    view["clauses"][index]["tally"].clone()
}

/// A signal is given on one wording: refused on another, it lapses when
/// the wording changes, one per person counts, the moderator records one
/// for someone else (marked so), and all of it survives a `kill -9`.
#[tokio::test]
async fn signals_stand_on_one_wording_and_lapse_when_it_changes() -> anyhow::Result<()> {
    let mut server = Server::start();
    let m = Meeting::set_up_workshop(&server, "Misja").await?;
    m.stage(&server, "amend").await?;
    let writer = YClient::connect(&server.ws_url(m.id(), "draft", m.moderator_token())).await?;
    writer.wait_synced().await?;
    const FIRST: &str = "Współodpowiedzialność mieszkańców 🤝";
    let clause = writer.add_clause(FIRST);
    held(&server, &m, FIRST).await?;
    let path = format!("/clauses/{clause}/signals");
    let sha = sha256_hex(FIRST.as_bytes());

    let api = m.api(&server);
    // Ala has no device: the moderator records her abstention for her.
    let added = api
        .ok("/people", m.moderator_token(), json!({"name": "Ala Żak"}))
        .await?;
    assert!(
        added.get("token").is_none(),
        "nobody signs in as her: {added}"
    );
    let ala: Uuid = serde_json::from_value(added["user_id"].clone())?;
    let moderator = m.moderator_token();
    let steps = [
        (
            &m.participant.token[..],
            json!({"signal": "block", "sha256": sha}),
            400,
        ),
        (
            &m.participant.token,
            json!({"signal": "block", "sha256": sha, "reason": "brak biznesu i nauki"}),
            200,
        ),
        (
            &m.editor.token,
            json!({"signal": "agree", "sha256": sha}),
            200,
        ),
        (
            &m.observer.token,
            json!({"signal": "agree", "sha256": sha}),
            403,
        ),
        (
            moderator,
            json!({"signal": "abstain", "sha256": sha, "user_id": ala}),
            200,
        ),
        // The editor changes their mind: one signal per person counts.
        (
            &m.editor.token,
            json!({"signal": "disagree", "sha256": sha, "reason": "za długie"}),
            200,
        ),
    ];
    for (token, body, status) in steps {
        let answer = api.post(&path, token, body.clone()).await?;
        assert_eq!(answer.0, status, "{body}: {}", answer.1);
    }

    let view = consensus(&server, &m, &m.observer.token).await?;
    assert_eq!(
        tally(&view, 0),
        json!({"agree": 0, "abstain": 1, "disagree": 1, "block": 1}),
        "{view}"
    );
    let signals = view["clauses"][0]["signals"].as_array().unwrap();
    let of = |user: Uuid| {
        signals
            .iter()
            .find(|s| s["user_id"] == json!(user))
            .unwrap()
    };
    assert_eq!(of(m.participant.user_id)["reason"], "brak biznesu i nauki");
    assert_eq!(of(m.participant.user_id)["name"], "Zbigniew Ćwiek");
    assert_eq!(
        of(ala)["recorded_by"],
        server.moderator_id(&m).await?.as_str()
    );
    assert!(of(m.editor.user_id)["recorded_by"].is_null());

    // The same in the meeting room, for a stock client.
    let room = YClient::connect(&server.ws_url(m.id(), "meeting", &m.observer.token)).await?;
    room.wait_until("three signals on the clause", WAIT, |doc| {
        root_map_json(doc, "signals")
            .get(&clause)
            .and_then(Value::as_object)
            .is_some_and(|s| s.len() == 3)
    })
    .await?;
    let shown = root_map_json(room.doc(), "signals");
    assert_eq!(
        shown[&clause][&m.participant.user_id.to_string()]["signal"],
        "block"
    );
    assert_eq!(
        shown[&clause][&m.participant.user_id.to_string()]["sha256"],
        sha
    );

    // Across a kill -9 they stand as they were.
    server.kill9();
    server.restart();
    let view = consensus(&server, &m, &m.participant.token).await?;
    assert_eq!(
        tally(&view, 0),
        json!({"agree": 0, "abstain": 1, "disagree": 1, "block": 1}),
        "{view}"
    );

    // The wording changes: every signal on it lapses, and one given on the
    // old wording is refused.
    let writer = YClient::connect(&server.ws_url(m.id(), "draft", m.moderator_token())).await?;
    writer.wait_synced().await?;
    writer.push_text(0, " i nauki");
    let changed = format!("{FIRST} i nauki");
    held(&server, &m, &changed).await?;
    let view = consensus(&server, &m, &m.participant.token).await?;
    assert_eq!(
        tally(&view, 0),
        json!({"agree": 0, "abstain": 0, "disagree": 0, "block": 0}),
        "{view}"
    );
    assert_eq!(view["clauses"][0]["sha256"], sha256_hex(changed.as_bytes()));
    let stale = m
        .api(&server)
        .post(
            &path,
            &m.participant.token,
            json!({"signal": "agree", "sha256": sha}),
        )
        .await?;
    assert_error(
        "a signal on the old wording",
        &stale,
        409,
        "wording_changed",
    );
    let fresh = m
        .api(&server)
        .post(
            &path,
            &m.participant.token,
            json!({"signal": "agree", "sha256": sha256_hex(changed.as_bytes())}),
        )
        .await?;
    assert_eq!(fresh.0, 200, "{}", fresh.1);
    server.kill9();
    server.restart();
    let view = consensus(&server, &m, &m.participant.token).await?;
    assert_eq!(
        tally(&view, 0),
        json!({"agree": 1, "abstain": 0, "disagree": 0, "block": 0}),
        "{view}"
    );
    Ok(())
}

/// Everything a member can read of the meeting, as one text: the `meeting`
/// room, every API read and the report in both formats.
async fn everything_readable(server: &Server, m: &Meeting, token: &str) -> anyhow::Result<String> {
    let room = YClient::connect(&server.ws_url(m.id(), "meeting", token)).await?;
    room.wait_synced().await?;
    let mut all = String::new();
    for root in ["meeting", "checks", "signals", "participants", "versions"] {
        all.push_str(&serde_json::to_string(&root_map_json(room.doc(), root))?);
    }
    for path in [
        "/consensus",
        "/catalogue",
        "/versions",
        "/amendments",
        "/report?format=md",
        "/report?format=html",
        "",
    ] {
        let response = server
            .request(
                "GET",
                &format!("/api/meetings/{}{path}", m.id()),
                Some(token),
                None,
            )
            .await?;
        anyhow::ensure!(
            response.status == 200,
            "GET {path} answered {}",
            response.status
        );
        all.push_str(&String::from_utf8_lossy(&response.body));
    }
    Ok(all)
}

/// A hidden check: until it closes, no individual answer is readable by
/// anyone — not through the meeting room, not through any API read, not in
/// the report — only how many answered, and the blocks, named.
#[tokio::test]
async fn a_hidden_check_keeps_every_answer_back_until_it_closes() -> anyhow::Result<()> {
    let mut server = Server::start();
    let m = Meeting::set_up_workshop(&server, "Misja").await?;
    m.stage(&server, "amend").await?;
    let writer = YClient::connect(&server.ws_url(m.id(), "draft", m.moderator_token())).await?;
    writer.wait_synced().await?;
    writer.add_clause("Kraków — miasto otwarte");
    held(&server, &m, "Kraków — miasto otwarte").await?;
    let opened = m
        .api(&server)
        .ok("/checks", m.moderator_token(), json!({"hidden": true}))
        .await?;
    assert_eq!(
        opened["eligible"], 3,
        "moderator, editor, participant: {opened}"
    );

    const DISAGREE: &str = "Uzasadnienie-sprzeciwu-7f3a";
    const BLOCK: &str = "Powód-weta-91c2";
    let answer = |token: String, body: Value| {
        let (server, m) = (&server, &m);
        async move { m.api(server).post("/checks/1/answers", &token, body).await }
    };
    let a = answer(
        m.editor.token.clone(),
        json!({"answer": "disagree", "reason": DISAGREE}),
    )
    .await?;
    assert_eq!(a.0, 201, "{}", a.1);
    let a = answer(
        m.participant.token.clone(),
        json!({"answer": "block", "reason": BLOCK}),
    )
    .await?;
    assert_eq!(a.0, 201, "{}", a.1);
    let a = answer(m.moderator_token().to_owned(), json!({"answer": "abstain"})).await?;
    assert_eq!(a.0, 201, "{}", a.1);
    let twice = answer(m.participant.token.clone(), json!({"answer": "agree"})).await?;
    assert_error("a second answer", &twice, 409, "conflict");
    let observer = answer(m.observer.token.clone(), json!({"answer": "agree"})).await?;
    assert_error("an observer's answer", &observer, 403, "forbidden");

    // Across a kill -9 too: what was stored is not shown more than before.
    server.kill9();
    server.restart();
    for token in [
        m.moderator_token(),
        &m.editor.token,
        &m.participant.token,
        &m.observer.token,
    ] {
        let all = everything_readable(&server, &m, token).await?;
        assert!(!all.contains(DISAGREE), "a hidden disagreement is readable");
        for hidden in ["disagree", "abstain"] {
            for shape in [
                format!("\"answer\":\"{hidden}\""),
                format!("\"answer\": \"{hidden}\""),
            ] {
                assert!(
                    !all.contains(&shape),
                    "a hidden answer is readable: {shape}"
                );
            }
        }
        // The block stays named, with its reason.
        assert!(all.contains(BLOCK), "the block is not named");
    }
    let view = consensus(&server, &m, &m.observer.token).await?;
    let check = &view["checks"][0];
    assert_eq!(
        (check["answered"].clone(), check["eligible"].clone()),
        (json!(3), json!(3)),
        "{check}"
    );
    assert!(
        check["answers"].is_null() && check["tally"].is_null(),
        "{check}"
    );
    assert_eq!(check["blocks"][0]["name"], "Zbigniew Ćwiek", "{check}");

    m.api(&server)
        .ok("/checks/1/close", m.moderator_token(), json!({}))
        .await?;
    let view = consensus(&server, &m, &m.observer.token).await?;
    assert_eq!(
        view["checks"][0]["tally"],
        json!({"agree": 0, "abstain": 1, "disagree": 1, "block": 1}),
        "{view}"
    );
    let all = everything_readable(&server, &m, &m.observer.token).await?;
    assert!(all.contains(DISAGREE), "the closed check's answers show");
    Ok(())
}

/// In a workshop the text is frozen with the room's consent, or with the
/// moderator's written reason, which is recorded.
#[tokio::test]
async fn a_freeze_needs_a_closed_check_without_blocks_or_a_written_reason() -> anyhow::Result<()> {
    let server = Server::start();
    let m = Meeting::set_up_workshop(&server, "Misja").await?;
    m.stage(&server, "amend").await?;
    let writer = YClient::connect(&server.ws_url(m.id(), "draft", m.moderator_token())).await?;
    writer.wait_synced().await?;
    writer.add_clause("Kraków — miasto otwarte");
    held(&server, &m, "Kraków — miasto otwarte").await?;
    let api = m.api(&server);
    let freeze = |body: Value| api.post("/freeze", m.moderator_token(), body);

    assert_error(
        "a freeze before any check",
        &freeze(json!({})).await?,
        409,
        "no_consensus",
    );
    m.api(&server)
        .ok("/checks", m.moderator_token(), json!({}))
        .await?;
    assert_error(
        "a freeze during the check",
        &freeze(json!({})).await?,
        409,
        "no_consensus",
    );
    m.api(&server)
        .ok(
            "/checks/1/answers",
            &m.participant.token,
            json!({"answer": "block", "reason": "nie"}),
        )
        .await?;
    m.api(&server)
        .ok("/checks/1/close", m.moderator_token(), json!({}))
        .await?;
    let refused = freeze(json!({})).await?;
    assert_error("a freeze over a block", &refused, 409, "no_consensus");
    assert!(
        refused.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1 block"),
        "{}",
        refused.1
    );
    assert_error(
        "a blank reason",
        &freeze(json!({"reason": "   "})).await?,
        409,
        "no_consensus",
    );

    const REASON: &str = "Rada zdecydowała większością głosów; sprzeciw zapisany w protokole.";
    let frozen = freeze(json!({"reason": REASON})).await?;
    assert_eq!(frozen.0, 200, "{}", frozen.1);
    assert_eq!(frozen.1["reason"], REASON);
    let (_, versions) = server
        .get(
            &format!("/api/meetings/{}/versions/1", m.id()),
            Some(&m.observer.token),
        )
        .await?;
    assert_eq!(versions["reason"], REASON, "{versions}");

    // Next round: a check on the new text with no block lets it freeze
    // without a reason.
    m.api(&server)
        .ok("/reopen", m.moderator_token(), json!({}))
        .await?;
    let writer = YClient::connect(&server.ws_url(m.id(), "draft", m.moderator_token())).await?;
    writer.wait_synced().await?;
    writer.push_text(0, " i gościnne");
    held(&server, &m, "Kraków — miasto otwarte i gościnne").await?;
    m.api(&server)
        .ok("/checks", m.moderator_token(), json!({}))
        .await?;
    for token in [&m.participant.token, &m.editor.token] {
        m.api(&server)
            .ok("/checks/2/answers", token, json!({"answer": "agree"}))
            .await?;
    }
    m.api(&server)
        .ok("/checks/2/close", m.moderator_token(), json!({}))
        .await?;
    let frozen = freeze(json!({})).await?;
    assert_eq!(frozen.0, 200, "{}", frozen.1);
    assert!(frozen.1["reason"].is_null(), "{}", frozen.1);
    Ok(())
}

/// From common ground to the draft: an element pulled in starts a clause
/// with its words, linked to it; the moderator links clauses to the
/// elements they carry, and an element no clause carries shows.
#[tokio::test]
async fn elements_pulled_into_the_draft_are_linked_and_coverage_shows() -> anyhow::Result<()> {
    let mut server = Server::start();
    let m = Meeting::set_up_workshop(&server, "Misja").await?;
    let moderator = m.moderator_token();
    let group = m
        .api(&server)
        .post("/groups", moderator, json!({"name": "Grupa A"}))
        .await?;
    let group = group.1["id"].as_str().unwrap().to_owned();
    let mut elements = Vec::new();
    for text in ["współodpowiedzialność", "łączenie biznesu z nauką 🔬"] {
        let e = m
            .api(&server)
            .ok(
                "/elements",
                moderator,
                json!({"text": text, "group_id": group}),
            )
            .await?;
        elements.push(e["id"].as_str().unwrap().to_owned());
    }
    m.stage(&server, "common_ground").await?;
    m.stage(&server, "draft").await?;
    let pulled = m
        .api(&server)
        .ok(
            &format!("/elements/{}/pull", elements[0]),
            moderator,
            json!({}),
        )
        .await?;
    let clause = pulled["clause_id"].as_str().unwrap().to_owned();
    let reader = YClient::connect(&server.ws_url(m.id(), "draft", &m.observer.token)).await?;
    reader.wait_for_text("współodpowiedzialność").await?;
    let (_, history) = server
        .get(
            &format!("/api/meetings/{}/clauses/{clause}/history", m.id()),
            Some(moderator),
        )
        .await?;
    assert_eq!(
        history[0]["user_id"],
        server.moderator_id(&m).await?.as_str(),
        "{history}"
    );

    async fn catalogue(server: &Server, m: &Meeting) -> anyhow::Result<(u16, Value)> {
        let path = format!("/api/meetings/{}/catalogue", m.id());
        server.get(&path, Some(&m.observer.token)).await
    }
    let (_, c) = catalogue(&server, &m).await?;
    let links = c["links"].as_array().unwrap();
    assert_eq!(links.len(), 1, "{c}");
    assert_eq!(
        (
            links[0]["clause_id"].as_str(),
            links[0]["element_id"].as_str()
        ),
        (Some(clause.as_str()), Some(elements[0].as_str()))
    );

    m.api(&server)
        .ok(
            &format!("/clauses/{clause}/elements"),
            moderator,
            json!({"element_id": elements[1]}),
        )
        .await?;
    let room = YClient::connect(&server.ws_url(m.id(), "meeting", &m.observer.token)).await?;
    room.wait_until("two links", WAIT, |doc| {
        root_map_json(doc, "links")
            .get(&clause)
            .and_then(Value::as_array)
            .is_some_and(|l| l.len() == 2)
    })
    .await?;
    m.api(&server)
        .ok(
            &format!("/clauses/{clause}/elements"),
            moderator,
            json!({"element_id": elements[1], "linked": false}),
        )
        .await?;
    server.kill9();
    server.restart();
    let (_, c) = catalogue(&server, &m).await?;
    assert_eq!(c["links"].as_array().unwrap().len(), 1, "{c}");
    let missing = m
        .api(&server)
        .post(
            &format!("/clauses/{}/elements", Uuid::new_v4()),
            moderator,
            json!({"element_id": elements[1]}),
        )
        .await?;
    assert_error("a link to no clause", &missing, 404, "not_found");
    Ok(())
}
