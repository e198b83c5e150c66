//! The workshop's catalogue as every member reads it: groups, elements,
//! share marks and the common ground computed from them. A meeting starts
//! with none of them; reading needs a member's token.

use crate::Start;
use draftroom_tests::rooms::root_map_json;
use draftroom_tests::{Meeting, Server, WAIT, YClient, assert_error, assert_wrong_stage};
use serde_json::json;

#[tokio::test]
async fn a_new_meeting_has_an_empty_catalogue_that_only_members_read() -> anyhow::Result<()> {
    let server = Server::start();
    let meeting = Meeting::set_up_workshop(&server, "Misja Miasta Krakowa").await?;
    let path = format!("/api/meetings/{}/catalogue", meeting.id());
    for token in [
        meeting.moderator_token(),
        meeting.participant.token.as_str(),
        meeting.observer.token.as_str(),
    ] {
        let answer = server.get(&path, Some(token)).await?;
        assert_eq!(answer.0, 200, "{}", answer.1);
        assert_eq!(
            answer.1,
            json!({ "groups": [], "elements": [], "common_ground": [], "links": [] })
        );
    }
    let anonymous = server.get(&path, None).await?;
    assert_error("reading without a token", &anonymous, 401, "unauthorized");
    Ok(())
}

#[tokio::test]
async fn groups_bring_elements_and_the_common_ground_is_what_all_share() -> anyhow::Result<()> {
    let server = Server::start();
    let m = Meeting::set_up_workshop(&server, "Misja Miasta Krakowa").await?;
    let api = |path: &str| format!("/api/meetings/{}{path}", m.id());
    let moderator = m.moderator_token();
    let (anna, bartek) = (m.participant.token.as_str(), m.editor.token.as_str());
    let post = |path: String, token: &str, body: serde_json::Value| {
        let token = token.to_owned();
        let server = &server;
        async move { server.post_json(&path, Some(&token), &body).await }
    };

    let a = post(api("/groups"), moderator, json!({"name": "Grupa A"})).await?;
    assert_eq!((a.0, &a.1["label"]), (201, &json!("A")), "{}", a.1);
    let b = post(api("/groups"), moderator, json!({"name": "Grupa B"})).await?;
    assert_eq!((b.0, &b.1["label"]), (201, &json!("B")), "{}", b.1);
    let (a, b) = (
        a.1["id"].as_str().unwrap().to_owned(),
        b.1["id"].as_str().unwrap().to_owned(),
    );
    let refused = post(api("/groups"), anna, json!({"name": "Moja"})).await?;
    assert_error("a participant making a group", &refused, 403, "forbidden");

    // Nobody adds an element before being in a group.
    let early = post(
        api("/elements"),
        anna,
        json!({"text": "współodpowiedzialność"}),
    )
    .await?;
    assert_error("an element from no group", &early, 409, "conflict");
    // Anna joins A herself; the moderator puts Bartek in B.
    let joined = post(api(&format!("/groups/{a}/members")), anna, json!({})).await?;
    assert_eq!(joined.0, 200, "{}", joined.1);
    let editor_id = m.editor.user_id.to_string();
    let put = post(
        api(&format!("/groups/{b}/members")),
        moderator,
        json!({ "user_id": editor_id }),
    )
    .await?;
    assert_eq!(put.0, 200, "{}", put.1);
    let observer = post(
        api(&format!("/groups/{a}/members")),
        &m.observer.token,
        json!({}),
    )
    .await?;
    assert_error("an observer joining a group", &observer, 403, "forbidden");

    let one = post(
        api("/elements"),
        anna,
        json!({"text": "współodpowiedzialność"}),
    )
    .await?;
    assert_eq!((one.0, &one.1["name"]), (201, &json!("A1")), "{}", one.1);
    let two = post(
        api("/elements"),
        anna,
        json!({"text": "powiązanie biznesu z nauką"}),
    )
    .await?;
    assert_eq!(two.1["name"], "A2", "{}", two.1);
    let theirs = post(api("/elements"), bartek, json!({"text": "kultura 🎭"})).await?;
    assert_eq!(theirs.1["name"], "B1", "{}", theirs.1);
    let elsewhere = post(api("/elements"), anna, json!({"text": "x", "group_id": b})).await?;
    assert_error("an element for another group", &elsewhere, 403, "forbidden");
    let unnamed = post(api("/elements"), moderator, json!({"text": "x"})).await?;
    assert_error(
        "the moderator naming no group",
        &unnamed,
        400,
        "bad_request",
    );

    // Marks are made once the room narrows the lists: in the common
    // ground stage, where no element is added any more.
    let early = post(
        api(&format!(
            "/elements/{}/share",
            one.1["id"].as_str().unwrap()
        )),
        bartek,
        json!({"shared": true}),
    )
    .await?;
    assert_wrong_stage("a mark while collecting", &early, "collect");
    m.stage(&server, "common_ground").await?;
    let late = post(api("/elements"), anna, json!({"text": "za późno"})).await?;
    assert_wrong_stage("an element after collecting", &late, "common_ground");

    // B shares A1; B's own element cannot be marked by B.
    let a1 = one.1["id"].as_str().unwrap().to_owned();
    let b1 = theirs.1["id"].as_str().unwrap().to_owned();
    let share = |e: &str| api(&format!("/elements/{e}/share"));
    let marked = post(share(&a1), bartek, json!({"shared": true})).await?;
    assert_eq!(marked.0, 200, "{}", marked.1);
    let own = post(share(&b1), bartek, json!({"shared": true})).await?;
    assert_error("a group marking its own element", &own, 409, "conflict");

    let (status, catalogue) = server
        .get(&api("/catalogue"), Some(&m.observer.token))
        .await?;
    assert_eq!(status, 200, "{catalogue}");
    assert_eq!(
        catalogue["common_ground"],
        json!([{"id": a1, "text": "współodpowiedzialność", "value": false, "sources": ["A1"], "clauses": []}])
    );
    let names: Vec<&str> = catalogue["elements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["A1", "A2", "B1"]);
    let members = |i: usize| catalogue["groups"][i]["members"].clone();
    assert_eq!(
        members(0),
        json!([{"user_id": m.participant.user_id, "name": "Zbigniew Ćwiek"}])
    );
    assert_eq!(
        members(1),
        json!([{"user_id": m.editor.user_id, "name": "Jan Brzęczyszczykiewicz"}])
    );

    // A stock Yjs client sees the same in the `meeting` room (which
    // tells the clauses that carry an element apart, in `links`).
    let mut ground = catalogue["common_ground"].clone();
    for e in ground.as_array_mut().unwrap() {
        e.as_object_mut().unwrap().remove("clauses");
    }
    let room = YClient::connect(&server.ws_url(m.id(), "meeting", &m.observer.token)).await?;
    room.wait_until("the common ground in the meeting room", WAIT, |doc| {
        root_map_json(doc, "catalogue")
            .get("common_ground")
            .is_some_and(|g| *g == ground)
    })
    .await?;
    let shown = root_map_json(room.doc(), "elements");
    assert_eq!(shown[&a1]["name"], "A1", "{shown:?}");
    assert_eq!(shown[&a1]["shared_by"], json!([b]), "{shown:?}");
    assert_eq!(shown[&b1]["text"], "kultura 🎭", "{shown:?}");

    // Taking the mark back takes the element out of the common ground.
    let unmarked = post(share(&a1), bartek, json!({"shared": false})).await?;
    assert_eq!(unmarked.0, 200, "{}", unmarked.1);
    let (_, catalogue) = server.get(&api("/catalogue"), Some(anna)).await?;
    assert_eq!(catalogue["common_ground"], json!([]));
    room.wait_until("the common ground emptied", WAIT, |doc| {
        root_map_json(doc, "catalogue").get("common_ground") == Some(&json!([]))
    })
    .await?;
    Ok(())
}

#[tokio::test]
async fn a_group_brings_twelve_elements_at_most() -> anyhow::Result<()> {
    let server = Server::start();
    let m = Meeting::set_up_workshop(&server, "Misja").await?;
    let api = |path: &str| format!("/api/meetings/{}{path}", m.id());
    let (_, group) = server
        .post_json(
            &api("/groups"),
            Some(m.moderator_token()),
            &json!({"name": "A"}),
        )
        .await?;
    let group = group["id"].clone();
    for n in 1..=12 {
        let (status, body) = server
            .post_json(
                &api("/elements"),
                Some(m.moderator_token()),
                &json!({"text": format!("element {n}"), "group_id": group}),
            )
            .await?;
        assert_eq!(
            (status, body["name"].clone()),
            (201, json!(format!("A{n}"))),
            "{body}"
        );
    }
    let past = server
        .post_json(
            &api("/elements"),
            Some(m.moderator_token()),
            &json!({"text": "element 13", "group_id": group}),
        )
        .await?;
    assert_error("a thirteenth element", &past, 409, "conflict");
    assert_eq!(
        past.1["error"]["message"],
        "group A has brought 12 elements, the most a group brings"
    );
    Ok(())
}

#[tokio::test]
async fn the_moderator_merges_splits_and_marks_values_and_it_all_survives_a_kill()
-> anyhow::Result<()> {
    let mut server = Server::start();
    let m = Meeting::set_up_workshop(&server, "Misja Miasta Krakowa").await?;
    let api = |path: &str| format!("/api/meetings/{}{path}", m.id());
    let moderator = m.moderator_token().to_owned();
    let mut groups = Vec::new();
    for name in ["Grupa A", "Grupa B"] {
        let (_, g) = server
            .post_json(&api("/groups"), Some(&moderator), &json!({ "name": name }))
            .await?;
        groups.push(g["id"].clone());
    }
    let mut add = Vec::new();
    for (group, text) in [
        (0, "harmonizowanie, wspólne działanie"),
        (0, "współuczestnictwo"),
        (1, "wspólne działanie"),
        (1, "kultura i nowoczesna gospodarka"),
    ] {
        let (status, e) = server
            .post_json(
                &api("/elements"),
                Some(&moderator),
                &json!({ "text": text, "group_id": groups[group] }),
            )
            .await?;
        assert_eq!(status, 201, "{e}");
        add.push(e["id"].as_str().unwrap().to_owned());
    }
    let tend = |e: &str, what: &str| api(&format!("/elements/{e}/{what}"));
    let post = |path: String, token: String, body: serde_json::Value| {
        let server = &server;
        async move { server.post_json(&path, Some(&token), &body).await }
    };

    let by_participant = post(
        tend(&add[2], "merge"),
        m.participant.token.clone(),
        json!({ "into": add[0] }),
    )
    .await?;
    assert_error("a participant merging", &by_participant, 403, "forbidden");
    let merged = post(
        tend(&add[2], "merge"),
        moderator.clone(),
        json!({ "into": add[0] }),
    )
    .await?;
    assert_eq!(merged.0, 200, "{}", merged.1);
    let again = post(
        tend(&add[2], "merge"),
        moderator.clone(),
        json!({ "into": add[1] }),
    )
    .await?;
    assert_error("merging a merged element", &again, 409, "conflict");

    let split = post(
        tend(&add[3], "split"),
        moderator.clone(),
        json!({ "parts": ["kultura", "nowoczesna gospodarka"] }),
    )
    .await?;
    assert_eq!(split.0, 201, "{}", split.1);
    let names: Vec<&str> = split.1["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["B3", "B4"]);

    m.stage(&server, "common_ground").await?;
    let not_a_value = post(
        tend(&add[0], "value"),
        moderator.clone(),
        json!({ "under": add[1] }),
    )
    .await?;
    assert_error("nesting under a non-value", &not_a_value, 409, "conflict");
    let value = post(
        tend(&add[1], "value"),
        moderator.clone(),
        json!({ "value": true }),
    )
    .await?;
    assert_eq!(value.0, 200, "{}", value.1);
    let nested = post(
        tend(&add[0], "value"),
        moderator.clone(),
        json!({ "under": add[1] }),
    )
    .await?;
    assert_eq!(nested.0, 200, "{}", nested.1);

    server.kill9();
    server.restart();
    let (status, catalogue) = server.get(&api("/catalogue"), Some(&moderator)).await?;
    assert_eq!(status, 200, "{catalogue}");
    let elements = catalogue["elements"].as_array().unwrap();
    let by_name = |name: &str| {
        elements
            .iter()
            .find(|e| e["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {catalogue}"))
            .clone()
    };
    // The duplicate keeps its words and group, and names what it repeats.
    let b1 = by_name("B1");
    assert_eq!(b1["text"], "wspólne działanie");
    assert_eq!(b1["group_id"], groups[1]);
    assert_eq!(b1["merged_into"], add[0].as_str());
    // The compound stays; its parts name it.
    assert_eq!(by_name("B2")["text"], "kultura i nowoczesna gospodarka");
    assert_eq!(by_name("B3")["split_from"], add[3].as_str());
    assert_eq!(by_name("B4")["text"], "nowoczesna gospodarka");
    assert_eq!(by_name("A2")["value"], true);
    assert_eq!(by_name("A1")["under_value"], add[1].as_str());
    Ok(())
}
