//! The seed meeting (`seed/krakow-mission-workshop-2013.txt`) replayed
//! end to end through the server's interface, in Polish: three working
//! groups bring proposals whose shared elements are exactly the seed's
//! nine, with its two values; the room narrows them to that common
//! ground; the moderator drafts from it; an amendment, signals and a
//! block; a check; a freeze refused while the block stands and allowed
//! with a written reason; the report in the seed's order with its final
//! wording, the wording's SHA-256 and the element the text left out.

use std::collections::BTreeSet;

use crate::Start;
use crate::versions::sha256_hex;
use draftroom_tests::rooms::root_map_json;
use draftroom_tests::{Meeting, Server, WAIT, YClient, assert_error};
use serde_json::json;

/// The nine elements the seed records as common to all proposals.
pub(crate) const NINE: [&str; 9] = [
    "świadomi i aktywni mieszkańcy + komunikowanie się z mieszkańcami",
    "tworzenie warunków dla rozwoju kapitału społecznego",
    "współpraca dla biznesu",
    "powiązanie biznesu z nauką",
    "inicjowanie i tworzenie warunków",
    "stworzenie płaszczyzny / przestrzeni publicznej do wypracowania konsensusu, współpracy, współdziałania: płaszczyzna wymiany poglądów + płaszczyzna dochodzenia do konsensusu",
    "harmonizowanie, wspólne działanie",
    "partnerskie zarządzanie w skali metropolitalnej",
    "kultura i nowoczesna gospodarka",
];

/// The two values, in bold in the seed.
pub(crate) const VALUES: [&str; 2] = ["współodpowiedzialność", "współuczestnictwo"];

/// The wording the seed records as agreed, clause by clause.
pub(crate) const FINAL: [&str; 3] = [
    "MISJĄ SAMORZĄDU MIASTA KRAKOWA JEST TWORZENIE WIELOWYMIAROWEJ PRZESTRZENI PUBLICZNEJ W SKALI METROPOLITALNEJ DLA PARTNERSKIEGO WSPÓŁDZIAŁANIA MIESZKAŃCÓW I PODMIOTÓW Z RÓŻNYCH SEKTORÓW.",
    "SAMORZĄD INICJUJE WSPÓŁPRACĘ, BUDUJE ZAUFANIE I TWORZY WARUNKI DLA WYSOKIEJ JAKOŚCI ŻYCIA POPRZEZ ROZWÓJ NOWOCZESNEJ GOSPODARKI, KULTURY I KSZTAŁTOWANIE ŚRODOWISKA.",
    "PODSTAWĄ TEJ WSPÓŁPRACY JEST WSPÓŁODPOWIEDZIALNOŚĆ I WSPÓŁUCZESTNICTWO ŚWIADOMYCH I AKTYWNYCH OBYWATELI W PROCESIE ZRÓWNOWAŻONEGO ROZWOJU MIASTA.",
];

/// The moderator's first wording of the third clause, before the room
/// refined it.
const FIRST_THIRD: &str =
    "PODSTAWĄ TEJ WSPÓŁPRACY JEST WSPÓŁODPOWIEDZIALNOŚĆ I WSPÓŁUCZESTNICTWO OBYWATELI.";

#[tokio::test]
async fn the_seed_meeting_runs_from_proposals_to_the_agreed_mission() -> anyhow::Result<()> {
    let server = Server::start();
    let m = Meeting::set_up_workshop(&server, "Misja Miasta Krakowa").await?;
    let r = m.api(&server);
    let moderator = m.moderator_token();

    // Six participants, two in each of groups A, B and C.
    let mut people = Vec::new();
    for name in [
        "Anna Kowalczyk",
        "Bartosz Nowak",
        "Celina Wójcik",
        "Dariusz Kamiński",
        "Ewelina Lewandowska",
        "Filip Zieliński",
    ] {
        people.push(
            server
                .join(m.id(), &m.created.participant_invite, name)
                .await?,
        );
    }
    let mut groups = Vec::new();
    for (i, label) in ["A", "B", "C"].iter().enumerate() {
        let g = r
            .ok(
                "/groups",
                moderator,
                json!({"name": format!("Grupa {label}")}),
            )
            .await?;
        let id = g["id"].as_str().unwrap().to_owned();
        r.ok(
            &format!("/groups/{id}/members"),
            moderator,
            json!({"user_id": people[2 * i].user_id}),
        )
        .await?;
        // The second member picks the group themselves.
        r.ok(
            &format!("/groups/{id}/members"),
            &people[2 * i + 1].token,
            json!({}),
        )
        .await?;
        groups.push(id);
    }

    // Each group's proposals: some of the nine and the values, a duplicate,
    // a compound element, and one of its own that the others do not share.
    let lists: [(usize, &[&str]); 3] = [
        (
            0,
            &[
                NINE[0],
                NINE[1],
                NINE[2],
                VALUES[0],
                NINE[5],
                "sport i rekreacja dla wszystkich",
            ],
        ),
        (
            2,
            &[
                NINE[3],
                NINE[4],
                VALUES[1],
                NINE[6],
                "współpraca z biznesem",
                "turystyka",
            ],
        ),
        (
            4,
            &[
                "partnerskie zarządzanie w skali metropolitalnej; kultura i nowoczesna gospodarka",
                "bezpieczeństwo mieszkańców",
            ],
        ),
    ];
    let mut ids = std::collections::HashMap::new();
    for (who, list) in lists {
        for text in list {
            let e = r
                .ok("/elements", &people[who].token, json!({"text": text}))
                .await?;
            ids.insert(text.to_string(), e["id"].as_str().unwrap().to_owned());
        }
    }
    let id = |text: &str| ids[text].clone();

    // Narrowing the catalogue: a duplicate merged, a compound split.
    r.ok(
        &format!("/elements/{}/merge", id("współpraca z biznesem")),
        moderator,
        json!({"into": id(NINE[2])}),
    )
    .await?;
    let split = r
        .ok(
            &format!("/elements/{}/split", id("partnerskie zarządzanie w skali metropolitalnej; kultura i nowoczesna gospodarka")),
            moderator,
            json!({"parts": [NINE[7], NINE[8]]}),
        )
        .await?;
    for part in split["parts"].as_array().unwrap() {
        ids.insert(
            part["text"].as_str().unwrap().to_owned(),
            part["id"].as_str().unwrap().to_owned(),
        );
    }
    let id = |text: &str| ids[text].clone();
    m.stage(&server, "common_ground").await?;
    // Each group marks the others' elements it shares: all of the nine and
    // the values, none of the others' own.
    let mut shared: Vec<&str> = NINE.to_vec();
    shared.extend(VALUES);
    for (g, who) in [(0, 0), (1, 2), (2, 4)] {
        let mine: BTreeSet<&str> = lists[g].1.iter().copied().collect();
        for text in &shared {
            if mine.contains(text)
                || (g == 1 && *text == NINE[2])
                || (g == 2 && (*text == NINE[7] || *text == NINE[8]))
            {
                continue;
            }
            r.ok(
                &format!("/elements/{}/share", id(text)),
                &people[who + 1].token,
                json!({"shared": true}),
            )
            .await?;
        }
    }
    for value in VALUES {
        r.ok(
            &format!("/elements/{}/value", id(value)),
            moderator,
            json!({"value": true}),
        )
        .await?;
    }
    r.ok(
        &format!("/elements/{}/value", id(NINE[0])),
        moderator,
        json!({"under": id(VALUES[0])}),
    )
    .await?;
    r.ok(
        &format!("/elements/{}/value", id(NINE[6])),
        moderator,
        json!({"under": id(VALUES[1])}),
    )
    .await?;

    let catalogue = r.get("/catalogue", &m.observer.token).await?;
    let ground: BTreeSet<String> = catalogue["common_ground"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        ground,
        shared.iter().map(|s| s.to_string()).collect(),
        "{catalogue}"
    );
    let values: BTreeSet<&str> = catalogue["common_ground"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["value"] == true)
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert_eq!(values, VALUES.into_iter().collect());
    let business = catalogue["common_ground"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["text"] == NINE[2])
        .unwrap();
    assert_eq!(
        business["sources"],
        json!(["A3", "B5"]),
        "the duplicate's provenance"
    );

    // The moderator drafts from the common ground.
    m.stage(&server, "draft").await?;
    let writer = YClient::connect(&server.ws_url(m.id(), "draft", moderator)).await?;
    writer.wait_synced().await?;
    let clauses = [
        writer.add_clause(FINAL[0]),
        writer.add_clause(FINAL[1]),
        writer.add_clause(FIRST_THIRD),
    ];
    let reader = YClient::connect(&server.ws_url(m.id(), "draft", &m.observer.token)).await?;
    reader
        .wait_for_text(&format!("{}\n\n{}\n\n{FIRST_THIRD}", FINAL[0], FINAL[1]))
        .await?;
    let links: [(usize, &[&str]); 3] = [
        (0, &[NINE[5], NINE[7]]),
        (1, &[NINE[4], NINE[2], NINE[8], NINE[1]]),
        (2, &[VALUES[0], VALUES[1], NINE[0], NINE[6]]),
    ];
    for (clause, elements) in links {
        for e in elements {
            r.ok(
                &format!("/clauses/{}/elements", clauses[clause]),
                moderator,
                json!({"element_id": id(e)}),
            )
            .await?;
        }
    }

    // Everybody refines it: an amendment to the third clause, supported
    // and accepted.
    m.stage(&server, "amend").await?;
    let amendment = server
        .open_amendment_ok(m.id(), &people[2].token, &clauses[2])
        .await?;
    let typist = YClient::connect(&server.ws_url(
        m.id(),
        &format!("amendment/{amendment}"),
        &people[2].token,
    ))
    .await?;
    typist.wait_synced().await?;
    typist.replace_amendment_text(
        "OBYWATELI.",
        "ŚWIADOMYCH I AKTYWNYCH OBYWATELI W PROCESIE ZRÓWNOWAŻONEGO ROZWOJU MIASTA.",
    );
    let watcher = YClient::connect(&server.ws_url(
        m.id(),
        &format!("amendment/{amendment}"),
        &m.observer.token,
    ))
    .await?;
    watcher.wait_for_amendment_text(FINAL[2]).await?;
    let (status, body) = server
        .amendment_command(m.id(), &amendment, "support", &people[3].token)
        .await?;
    assert_eq!(status, 200, "{body}");
    let (status, body) = server
        .amendment_command(m.id(), &amendment, "accept", moderator)
        .await?;
    assert_eq!(status, 200, "{body}");
    let agreed = FINAL.join("\n\n");
    reader.wait_for_text(&agreed).await?;

    // Signals on the clauses: agreement, and a block on the second.
    for (clause, text) in clauses.iter().zip(FINAL) {
        for p in &people[..4] {
            r.ok(
                &format!("/clauses/{clause}/signals"),
                &p.token,
                json!({"signal": "agree", "sha256": sha256_hex(text.as_bytes())}),
            )
            .await?;
        }
    }
    const BLOCK: &str =
        "Brakuje powiązania biznesu z nauką, które wszystkie grupy uznały za wspólne.";
    r.ok(
        &format!("/clauses/{}/signals", clauses[1]),
        &people[5].token,
        json!({"signal": "block", "sha256": sha256_hex(FINAL[1].as_bytes()), "reason": BLOCK}),
    )
    .await?;
    let consensus = r.get("/consensus", moderator).await?;
    assert_eq!(
        consensus["clauses"][1]["tally"],
        json!({"agree": 4, "abstain": 0, "disagree": 0, "block": 1}),
        "{consensus}"
    );

    // The whole text is checked; the block stands.
    r.ok("/checks", moderator, json!({"hidden": true})).await?;
    for p in &people[..5] {
        r.ok("/checks/1/answers", &p.token, json!({"answer": "agree"}))
            .await?;
    }
    r.ok(
        "/checks/1/answers",
        &people[5].token,
        json!({"answer": "block", "reason": BLOCK}),
    )
    .await?;
    r.ok("/checks/1/close", moderator, json!({})).await?;
    let refused = r.post("/freeze", moderator, json!({})).await?;
    assert_error(
        "a freeze while the block stands",
        &refused,
        409,
        "no_consensus",
    );
    const REASON: &str = "Zespół uznał, że powiązanie biznesu z nauką mieści się we współpracy z podmiotami z różnych sektorów; sprzeciw odnotowano.";
    let frozen = r
        .ok("/freeze", moderator, json!({"reason": REASON}))
        .await?;
    assert_eq!(frozen["text"], agreed.as_str());
    assert_eq!(frozen["sha256"], sha256_hex(agreed.as_bytes()));

    // The meeting room tells a stock client the same.
    let room = YClient::connect(&server.ws_url(m.id(), "meeting", &m.observer.token)).await?;
    room.wait_until("the frozen stage", WAIT, |doc| {
        root_map_json(doc, "meeting")
            .get("stage")
            .is_some_and(|s| s == "frozen")
    })
    .await?;
    assert_eq!(root_map_json(room.doc(), "versions")["1"]["reason"], REASON);

    // The report reads in the seed's order and holds its wording.
    let report = server
        .request(
            "GET",
            &format!("/api/meetings/{}/report?format=md", m.id()),
            Some(&m.observer.token),
            None,
        )
        .await?;
    let report = String::from_utf8(report.body)?;
    let order = [
        "## Obecni",
        "## Grupy robocze i ich propozycje",
        "## Elementy wspólne wszystkich propozycji",
        "## Pierwsza propozycja zapisu",
        "## Poprawki",
        "## Stanowiska wobec punktów",
        "## Sprawdzenie zgody na cały tekst",
        "## Uzgodniony tekst",
        "## Elementy wspólne w tekście",
        "## Wersje",
    ];
    let mut at = 0;
    for heading in order {
        let found = report[at..].find(heading).map(|i| i + at);
        assert!(
            found.is_some(),
            "{heading:?} missing or out of order in:\n{report}"
        );
        at = found.unwrap();
    }
    for clause in FINAL {
        assert!(report.contains(clause), "{clause:?} not in the report");
    }
    assert!(
        report.contains(&sha256_hex(agreed.as_bytes())),
        "the agreed text's hash"
    );
    assert!(report.contains(FIRST_THIRD), "the first draft");
    assert!(report.contains(REASON), "the reason for freezing");
    assert!(report.contains(BLOCK), "the block, named with its reason");
    assert!(
        report.contains("- B5: współpraca z biznesem (połączony z A3)"),
        "{report}"
    );
    assert!(
        report.contains("- **współodpowiedzialność** — wartość (A4)"),
        "{report}"
    );
    assert!(
        report.contains(&format!("- {} — nie ma go w żadnym punkcie", NINE[3])),
        "business with science, in no clause:\n{report}"
    );
    assert!(
        report.contains(&format!("- {} → punkt 2", NINE[2])),
        "{report}"
    );
    assert!(report.contains("Sprawdzenie 1"), "{report}");
    Ok(())
}
