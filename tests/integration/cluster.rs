//! Several Draftroom processes on one PostgreSQL database: each meeting is
//! run by the process holding its lease, and whatever reaches another
//! process — HTTP commands, writers' and followers' sockets — is forwarded
//! to it. Stock y-websocket framing throughout (the test's own client).

use draftroom_tests::postgres::{fresh_database, query_texts};
use draftroom_tests::{Meeting, Server, WAIT, YClient, draft_text, eventually, new_doc};
use uuid::Uuid;
use yrs::updates::decoder::Decode;
use yrs::{Transact, Update};

use crate::Start;

/// `n` processes on the database at `url`, each with leases of `lease_ms`.
fn processes(n: usize, url: &str, lease_ms: u64) -> Vec<Server> {
    let lease = lease_ms.to_string();
    (0..n)
        .map(|_| Server::start_with(&["--postgres", url, "--lease-ms", &lease]))
        .collect()
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// The draft's text as PostgreSQL holds it: its snapshot and log, applied.
fn stored_draft(url: &str, meeting: Uuid) -> String {
    let room = format!("{meeting}/draft");
    let mut blobs = query_texts(
        url,
        &format!("SELECT encode(data, 'hex') FROM room_snapshots WHERE room = '{room}'"),
    );
    blobs.extend(query_texts(
        url,
        &format!("SELECT encode(data, 'hex') FROM room_updates WHERE room = '{room}' ORDER BY seq"),
    ));
    let doc = new_doc(None);
    {
        let mut txn = doc.transact_mut();
        for blob in blobs.into_iter().flatten() {
            txn.apply_update(Update::decode_v1(&hex(&blob)).expect("a stored update decodes"))
                .expect("a stored update applies");
        }
    }
    draft_text(&doc)
}

#[tokio::test]
async fn writers_and_followers_on_three_processes_converge_on_what_postgres_holds()
-> anyhow::Result<()> {
    let url = fresh_database();
    let servers = processes(3, &url, 1000);
    // Made through the second process, which owns it; joined through it too.
    let meeting = Meeting::set_up(&servers[1], "Misja Krakowa").await?;
    let id = meeting.id();
    let writers = [
        YClient::connect(&servers[0].ws_url(id, "draft", meeting.moderator_token())).await?,
        YClient::connect(&servers[1].ws_url(id, "draft", &meeting.editor.token)).await?,
        YClient::connect(&servers[2].ws_url(id, "draft", &meeting.editor.token)).await?,
    ];
    let mut followers = Vec::new();
    for s in &servers {
        followers.push(YClient::connect(&s.ws_url(id, "draft", &meeting.observer.token)).await?);
    }
    for c in writers.iter().chain(&followers) {
        c.wait_synced().await?;
    }
    writers[0].add_clause("Kraków: ");
    for w in &writers[1..] {
        w.wait_until("the first clause", WAIT, |d| {
            draft_text(d).starts_with("Kraków")
        })
        .await?;
    }
    // All three type at once, Polish letters and emoji among the words.
    let words = ["miasto ", "współpracy ", "🎉 ", "żywe ", "ąę "];
    for round in 0..20 {
        for (i, w) in writers.iter().enumerate() {
            w.push_text(0, words[(round + i) % words.len()]);
        }
    }
    let typed = 8 + 20 * words.iter().map(|w| w.chars().count()).sum::<usize>() * 3 / 5;
    let everyone: Vec<&YClient> = writers.iter().chain(&followers).collect();
    eventually("every client to hold the same text", WAIT, || {
        let first = everyone[0].draft_text();
        let done =
            first.chars().count() == typed && everyone.iter().all(|c| c.draft_text() == first);
        async move { done }
    })
    .await
    .map_err(|_| {
        anyhow::anyhow!(
            "not converged: {:?}",
            everyone.iter().map(|c| c.draft_text()).collect::<Vec<_>>()
        )
    })?;
    let text = writers[0].draft_text();
    // Durable before relayed: what everybody sees is in PostgreSQL.
    assert_eq!(stored_draft(&url, id), text);

    // Commands through any process: a freeze through the third.
    let (status, body) = servers[2]
        .post_json(
            &format!("/api/meetings/{id}/freeze"),
            Some(meeting.moderator_token()),
            &serde_json::json!({}),
        )
        .await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["text"], text.as_str(), "{body}");
    let (status, versions) = servers[0]
        .get(
            &format!("/api/meetings/{id}/versions"),
            Some(&meeting.observer.token),
        )
        .await?;
    assert_eq!(status, 200, "{versions}");
    assert_eq!(versions[0]["sha256"], body["sha256"], "{versions}");
    Ok(())
}

#[tokio::test]
async fn a_meeting_is_run_by_one_process_and_the_others_forward_to_it() -> anyhow::Result<()> {
    let url = fresh_database();
    let servers = processes(2, &url, 1000);
    let meeting = Meeting::set_up(&servers[0], "Misja").await?;
    let owners = query_texts(
        &url,
        &format!(
            "SELECT address FROM meeting_owners WHERE meeting_id = '{}'",
            meeting.id()
        ),
    );
    assert_eq!(owners, [Some(servers[0].addr().to_string())]);
    // A join through the other process lands at the owner: the member is
    // known to both.
    let late = servers[1]
        .join(meeting.id(), &meeting.created.participant_invite, "Łucja")
        .await?;
    for s in &servers {
        let (status, body) = s
            .get(
                &format!("/api/meetings/{}", meeting.id()),
                Some(&late.token),
            )
            .await?;
        assert_eq!(status, 200, "{body}");
    }
    Ok(())
}
