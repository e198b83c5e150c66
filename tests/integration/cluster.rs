//! Several Draftroom processes on one PostgreSQL database: each meeting is
//! run by the process holding its lease, and whatever reaches another
//! process — HTTP commands, writers' and followers' sockets — is forwarded
//! to it. Stock y-websocket framing throughout (the test's own client).

use std::time::Duration;

use draftroom_tests::postgres::{OwnPostgres, fresh_database, fresh_database_on, query_texts};
use draftroom_tests::redis::OwnRedis;
use draftroom_tests::rooms::{clause_ids, clause_text};
use draftroom_tests::{Meeting, Server, WAIT, YClient, draft_text, eventually, new_doc};
use uuid::Uuid;
use yrs::updates::decoder::Decode;
use yrs::{Text, Transact, Update};

use crate::Start;

/// A fresh database, `n` processes on it with leases of 1 s, and a
/// meeting made through the first (which owns it).
async fn meeting_on(n: usize) -> anyhow::Result<(String, Vec<Server>, Meeting)> {
    let url = fresh_database();
    let servers = processes(n, &url, 1000);
    let meeting = Meeting::set_up(&servers[0], "Misja").await?;
    Ok((url, servers, meeting))
}

/// `n` processes on the database at `url`, each with leases of `lease_ms`.
fn processes(n: usize, url: &str, lease_ms: u64) -> Vec<Server> {
    let lease = lease_ms.to_string();
    (0..n)
        .map(|_| Server::start_with(&["--postgres", url, "--lease-ms", &lease]))
        .collect()
}

/// Freezes `meeting` through `server`, as its moderator: the status and
/// the answer.
async fn freeze(server: &Server, meeting: &Meeting) -> anyhow::Result<(u16, serde_json::Value)> {
    server
        .post_json(
            &format!("/api/meetings/{}/freeze", meeting.id()),
            Some(meeting.moderator_token()),
            &serde_json::json!({}),
        )
        .await
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
    let (status, body) = freeze(&servers[2], &meeting).await?;
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
    let (url, servers, meeting) = meeting_on(2).await?;
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

/// The index of the process that owns `meeting` now, if one does.
fn owner_of(url: &str, meeting: Uuid, servers: &[Server]) -> Option<usize> {
    let rows = query_texts(
        url,
        &format!(
            "SELECT address FROM meeting_owners WHERE meeting_id = '{meeting}'
             AND expires_at > (extract(epoch from clock_timestamp()) * 1000)::bigint"
        ),
    );
    let address = rows.into_iter().flatten().next()?;
    servers.iter().position(|s| s.addr().to_string() == address)
}

/// A writer that keeps its document across reconnects, as a browser tab
/// does, and goes to whichever process is up.
struct Typist {
    client: Option<YClient>,
    doc: yrs::Doc,
    token: String,
    /// Close codes its connections ended with.
    closes: Vec<u16>,
}

impl Typist {
    fn new(token: &str) -> Typist {
        Typist {
            client: None,
            doc: new_doc(None),
            token: token.to_owned(),
            closes: Vec::new(),
        }
    }

    /// Connected (again, keeping the document) through `server` unless
    /// the connection is up; false if the server refused or is down.
    async fn ensure(&mut self, server: &Server, meeting: Uuid) -> bool {
        if let Some(c) = &self.client {
            match c.close() {
                None => return true,
                Some((code, _)) => self.closes.push(code),
            }
            self.client = None;
        }
        match YClient::connect_with_doc(
            &server.ws_url(meeting, "draft", &self.token),
            self.doc.clone(),
        )
        .await
        {
            Ok(c) => {
                self.client = Some(c);
                true
            }
            Err(_) => false,
        }
    }

    /// Types `word` at the end of the first clause (into the document,
    /// sent if connected).
    fn type_word(&self, word: &str) {
        match &self.client {
            Some(c) => c.push_text(0, word),
            None => {
                let mut txn = self.doc.transact_mut();
                clause_text(&txn, 0).push(&mut txn, word);
            }
        }
    }
}

#[tokio::test]
async fn five_kills_of_the_owner_while_people_type_lose_no_word() -> anyhow::Result<()> {
    let lease = Duration::from_millis(1000);
    let url = fresh_database();
    let mut servers = processes(3, &url, lease.as_millis() as u64);
    let meeting = Meeting::set_up(&servers[0], "Misja").await?;
    let id = meeting.id();
    let mut typists = [
        Typist::new(meeting.moderator_token()),
        Typist::new(&meeting.editor.token),
    ];
    // The first clause, through the owner.
    assert!(typists[0].ensure(&servers[0], id).await);
    typists[0].client.as_ref().unwrap().wait_synced().await?;
    typists[0].client.as_ref().unwrap().add_clause("");
    let mut typed = Vec::new();
    let mut word = 0;
    for kill in 0..5 {
        let owner = owner_of(&url, id, &servers).expect("an owner");
        // The typists write through the other processes, so their sockets
        // are forwarded to the owner until it dies.
        let others: Vec<usize> = (0..3).filter(|&i| i != owner).collect();
        for (t, typist) in typists.iter_mut().enumerate() {
            let via = &servers[others[t % others.len()]];
            if typist.ensure(via, id).await {
                let c = typist.client.as_ref().unwrap();
                c.wait_synced().await?;
                c.wait_until("the first clause", WAIT, |d| !clause_ids(d).is_empty())
                    .await?;
            }
        }
        for _ in 0..10 {
            for typist in &typists {
                let w = format!("w{word} ");
                word += 1;
                typist.type_word(&w);
                typed.push(w);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        servers[owner].kill9();
        let killed = std::time::Instant::now();
        // Typing goes on; writes are taken again once the lease expired.
        let marker = format!("after-kill-{kill} ");
        let mut accepted = None;
        while killed.elapsed() < lease + Duration::from_secs(10) {
            for (t, typist) in typists.iter_mut().enumerate() {
                let via = &servers[others[t % others.len()]];
                typist.ensure(via, id).await;
            }
            if accepted.is_none() && typed.last() != Some(&marker) {
                typists[0].type_word(&marker);
                typed.push(marker.clone());
            }
            // A fresh follower on the other live process sees the marker
            // once a new owner has taken it.
            let via = &servers[others[1]];
            if let Ok(f) = YClient::connect(&via.ws_url(id, "draft", &meeting.observer.token)).await
                && f.wait_synced().await.is_ok()
                && f.draft_text().contains(&marker)
            {
                accepted = Some(killed.elapsed());
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let accepted = accepted.expect("writes are taken again after the owner died");
        assert!(
            accepted <= lease + Duration::from_secs(2),
            "kill {kill}: writes were taken again only after {accepted:?}"
        );
        eprintln!("kill {kill}: writes taken again {accepted:?} after the kill");
        servers[owner].restart();
    }
    // Everything typed is in the text everybody converges on, and in
    // PostgreSQL; no connection was refused for good.
    let via = owner_of(&url, id, &servers).map_or(0, |o| (o + 1) % 3);
    for typist in &mut typists {
        assert!(typist.ensure(&servers[via], id).await);
        typist.client.as_ref().unwrap().wait_synced().await?;
    }
    let reader =
        YClient::connect(&servers[via].ws_url(id, "draft", &meeting.observer.token)).await?;
    reader.wait_synced().await?;
    reader
        .wait_until("every word typed", WAIT, |d| {
            let text = draft_text(d);
            typed.iter().all(|w| text.contains(w.as_str()))
        })
        .await?;
    let text = reader.draft_text();
    assert_eq!(stored_draft(&url, id), text);
    for typist in &typists {
        assert!(
            typist.closes.iter().all(|c| !(4400..4500).contains(c)),
            "a writer was refused for good: {:?}",
            typist.closes
        );
        let denials = typist.client.as_ref().unwrap().denials();
        assert!(denials.is_empty(), "{denials:?}");
    }
    Ok(())
}

#[tokio::test]
async fn an_owner_paused_past_its_lease_commits_nothing_and_closes_its_sockets()
-> anyhow::Result<()> {
    let (url, servers, meeting) = meeting_on(3).await?;
    let id = meeting.id();
    // A writer and a follower straight on the owner; another writer
    // through the second process.
    let writer =
        YClient::connect(&servers[0].ws_url(id, "draft", meeting.moderator_token())).await?;
    let follower =
        YClient::connect(&servers[0].ws_url(id, "draft", &meeting.observer.token)).await?;
    let other = YClient::connect(&servers[1].ws_url(id, "draft", &meeting.editor.token)).await?;
    for c in [&writer, &follower, &other] {
        c.wait_synced().await?;
    }
    writer.add_clause("Kraków ");
    writer.push_text(0, "uczy się ");
    follower.wait_for_text("Kraków uczy się ").await?;

    servers[0].signal("STOP");
    // Typed into the paused owner's socket: it reads this when it wakes.
    writer.push_text(0, "zombie ");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // The lease expired: a freeze through the third process makes it the
    // owner and freezes what PostgreSQL holds. (Paused inside a batch, the
    // old owner holds its lease's row until PostgreSQL ends its session:
    // meanwhile the freeze is refused as one to retry.)
    let (status, frozen) = loop {
        let (status, body) = freeze(&servers[2], &meeting).await?;
        if status != 503 {
            break (status, body);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(status, 200, "{frozen}");
    assert_eq!(frozen["text"], "Kraków uczy się ", "{frozen}");
    let rows_at_freeze = query_texts(&url, "SELECT count(*) FROM room_updates");

    servers[0].signal("CONT");
    // The old owner finds its lease gone: it closes the meeting's sockets
    // (with a code the clients retry) and commits nothing.
    for c in [&writer, &follower] {
        let (code, reason) = c
            .wait_closed(Duration::from_secs(5))
            .await
            .expect("the old owner closes the meeting's sockets");
        assert!(!(4400..4500).contains(&code), "{code} {reason}");
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!follower.draft_text().contains("zombie"));
    assert_eq!(
        query_texts(&url, "SELECT count(*) FROM room_updates"),
        rows_at_freeze,
        "nothing committed by the old owner after the takeover"
    );
    assert_eq!(stored_draft(&url, id), "Kraków uczy się ");
    // The writer's words are kept in its document, and the frozen draft
    // refuses them on every process.
    for s in &servers {
        let again = YClient::connect_with_doc(
            &s.ws_url(id, "draft", meeting.moderator_token()),
            writer.doc().clone(),
        )
        .await?;
        again.wait_synced().await?;
        let fresh = YClient::connect(&s.ws_url(id, "draft", &meeting.observer.token)).await?;
        fresh.wait_synced().await?;
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(fresh.draft_text(), "Kraków uczy się ");
    }
    assert_eq!(stored_draft(&url, id), "Kraków uczy się ");
    Ok(())
}

#[tokio::test]
async fn a_freeze_through_one_process_refuses_writes_through_every_process_at_once()
-> anyhow::Result<()> {
    let (url, servers, meeting) = meeting_on(3).await?;
    let id = meeting.id();
    let mut writers = Vec::new();
    for (i, s) in servers.iter().enumerate() {
        let token = if i == 1 {
            meeting.editor.token.clone()
        } else {
            meeting.moderator_token().to_owned()
        };
        writers.push(YClient::connect(&s.ws_url(id, "draft", &token)).await?);
    }
    for w in &writers {
        w.wait_synced().await?;
    }
    writers[0].add_clause("Misja ");
    for w in &writers {
        w.wait_for_text("Misja ").await?;
    }
    let (status, frozen) = freeze(&servers[1], &meeting).await?;
    assert_eq!(status, 200, "{frozen}");
    let rows = query_texts(&url, "SELECT count(*) FROM room_updates");
    for (i, w) in writers.iter().enumerate() {
        w.push_text(0, &format!("po zamrożeniu {i} "));
    }
    for w in &writers {
        let denials = w.wait_denials(1).await?;
        draftroom_tests::assert_refused(
            "a write after the freeze",
            &denials[0],
            draftroom_shared::RefusalCode::Frozen,
        );
    }
    assert_eq!(query_texts(&url, "SELECT count(*) FROM room_updates"), rows);
    assert_eq!(stored_draft(&url, id), "Misja ");
    Ok(())
}

#[tokio::test]
async fn one_client_id_written_by_two_members_through_two_processes_binds_once()
-> anyhow::Result<()> {
    let (url, servers, meeting) = meeting_on(3).await?;
    let id = meeting.id();
    let shared_id = draftroom_tests::random_client_id();
    let first = YClient::connect_as(
        &servers[1].ws_url(id, "draft", meeting.moderator_token()),
        shared_id,
    )
    .await?;
    let second = YClient::connect_as(
        &servers[2].ws_url(id, "draft", &meeting.editor.token),
        shared_id,
    )
    .await?;
    first.wait_synced().await?;
    second.wait_synced().await?;
    // Both write at once as the same Yjs client, each unaware of the
    // other: one of the two is bound, through whichever process.
    first.add_clause("pierwszy");
    second.add_clause("drugi");
    let binding = format!(
        "SELECT user_id FROM client_bindings WHERE meeting_id = '{id}' AND client_id = {}",
        shared_id as i64
    );
    eventually("a binding", WAIT, || {
        let bound = !query_texts(&url, &binding).is_empty();
        async move { bound }
    })
    .await?;
    tokio::time::sleep(draftroom_tests::QUIET).await;
    let bindings = query_texts(&url, &binding);
    assert_eq!(bindings.len(), 1, "one binding: {bindings:?}");
    let editor = meeting.editor.user_id.to_string();
    let (bound, other) = if bindings[0].as_deref() == Some(editor.as_str()) {
        (&second, &first)
    } else {
        (&first, &second)
    };
    // Items of one Yjs client are numbered from 0: the other's further
    // words go past what the bound one wrote, and are refused.
    other.push_text(0, &" i dalej".repeat(20));
    let denials = other.wait_denials(1).await?;
    draftroom_tests::assert_refused(
        "the client id bound to the other member",
        &denials[0],
        draftroom_shared::RefusalCode::ForeignClient,
    );
    bound.push_text(0, " też");
    let watcher =
        YClient::connect(&servers[0].ws_url(id, "draft", &meeting.observer.token)).await?;
    watcher.wait_synced().await?;
    watcher
        .wait_until("the bound member's words", WAIT, |d| {
            draft_text(d).ends_with(" też")
        })
        .await?;
    assert!(bound.denials().is_empty(), "{:?}", bound.denials());
    assert!(
        !watcher.draft_text().contains("i dalej"),
        "{:?}",
        watcher.draft_text()
    );
    assert_eq!(query_texts(&url, &binding), bindings);
    Ok(())
}

#[tokio::test]
async fn postgres_paused_for_three_seconds_hangs_nothing_and_loses_no_edit() -> anyhow::Result<()> {
    let pg = OwnPostgres::start();
    let url = fresh_database_on(&pg.url);
    let timeout = Duration::from_millis(1000);
    let servers: Vec<Server> = (0..2)
        .map(|_| {
            Server::start_with(&[
                "--postgres",
                &url,
                "--lease-ms",
                "1000",
                "--postgres-timeout-ms",
                "1000",
            ])
        })
        .collect();
    let meeting = Meeting::set_up(&servers[0], "Misja").await?;
    let id = meeting.id();
    let mut typists = [
        Typist::new(meeting.moderator_token()),
        Typist::new(&meeting.editor.token),
    ];
    for (i, t) in typists.iter_mut().enumerate() {
        assert!(t.ensure(&servers[i], id).await);
        t.client.as_ref().unwrap().wait_synced().await?;
    }
    typists[0].client.as_ref().unwrap().add_clause("");
    typists[1]
        .client
        .as_ref()
        .unwrap()
        .wait_until("the clause", WAIT, |d| !clause_ids(d).is_empty())
        .await?;
    let mut typed = Vec::new();

    pg.signal_all("STOP");
    let paused = std::time::Instant::now();
    let mut slowest = Duration::ZERO;
    let mut n = 0;
    while paused.elapsed() < Duration::from_secs(3) {
        for (i, t) in typists.iter_mut().enumerate() {
            let word = format!("p{n} ");
            n += 1;
            t.type_word(&word);
            typed.push(word);
            // A request about the meeting, through each process, answers
            // (from memory, or refused as retryable) within the deadline.
            let asked = std::time::Instant::now();
            let (status, _) = servers[i]
                .get(
                    &format!("/api/meetings/{id}"),
                    Some(&meeting.observer.token),
                )
                .await?;
            assert!(status == 200 || status == 503, "{status}");
            slowest = slowest.max(asked.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    pg.signal_all("CONT");
    assert!(
        slowest < timeout + Duration::from_millis(1500),
        "a request took {slowest:?} while PostgreSQL was paused"
    );
    eprintln!("slowest request while PostgreSQL was paused: {slowest:?}");

    // The writers reconnect, keeping their documents, and converge.
    let reader = loop {
        for (i, t) in typists.iter_mut().enumerate() {
            t.ensure(&servers[i], id).await;
        }
        if let Ok(r) =
            YClient::connect(&servers[1].ws_url(id, "draft", &meeting.observer.token)).await
            && r.wait_synced().await.is_ok()
        {
            let text = r.draft_text();
            if typed.iter().all(|w| text.contains(w.as_str())) {
                break r;
            }
        }
        if paused.elapsed() > Duration::from_secs(20) {
            let text = String::new();
            panic!(
                "the edits typed while PostgreSQL was paused never all arrived: {text:?}, missing {:?}, closes {:?} {:?}\n{}\n{}",
                typed
                    .iter()
                    .filter(|w| !text.contains(w.as_str()))
                    .collect::<Vec<_>>(),
                typists[0].closes,
                typists[1].closes,
                servers[0].log_tail(),
                servers[1].log_tail()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(stored_draft(&url, id), reader.draft_text());
    for t in &typists {
        assert!(
            t.closes.iter().all(|c| !(4400..4500).contains(c)),
            "{:?}",
            t.closes
        );
    }
    Ok(())
}

/// `n` processes on the database at `url` relaying through the Redis at
/// `redis`, with leases of `lease_ms`.
fn relaying(n: usize, url: &str, redis: &str, lease_ms: u64) -> Vec<Server> {
    let lease = lease_ms.to_string();
    (0..n)
        .map(|_| Server::start_with(&["--postgres", url, "--redis", redis, "--lease-ms", &lease]))
        .collect()
}

#[tokio::test]
async fn observers_on_other_processes_follow_copies_through_redis_outages_and_owner_deaths()
-> anyhow::Result<()> {
    let mut redis = OwnRedis::start();
    let url = fresh_database();
    let mut servers = relaying(3, &url, &redis.url, 1000);
    let meeting = Meeting::set_up(&servers[0], "Misja").await?;
    let id = meeting.id();
    let mut writer = Typist::new(meeting.moderator_token());
    assert!(writer.ensure(&servers[0], id).await);
    writer.client.as_ref().unwrap().wait_synced().await?;
    writer.client.as_ref().unwrap().add_clause("Kraków ");
    // Observers on the other two processes: served there, from copies.
    let observe = |s: &Server| s.ws_url(id, "draft", &meeting.observer.token);
    let mut far = YClient::connect(&observe(&servers[2])).await?;
    let mut near = YClient::connect(&observe(&servers[1])).await?;
    for o in [&far, &near] {
        o.wait_synced().await?;
        o.wait_for_text("Kraków ").await?;
    }

    // Through Redis: what the owner commits reaches them at once.
    let started = std::time::Instant::now();
    writer.type_word("miasto ");
    for o in [&far, &near] {
        o.wait_for_text("Kraków miasto ").await?;
    }
    eprintln!("relayed to copies in {:?}", started.elapsed());

    // Redis killed: the copies follow the database; back after 5 s, they
    // follow Redis again.
    redis.kill9();
    writer.type_word("bez ");
    for o in [&far, &near] {
        o.wait_for_text("Kraków miasto bez ").await?;
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    writer.type_word("przerwy ");
    redis.restart();
    let back = std::time::Instant::now();
    for o in [&far, &near] {
        o.wait_for_text("Kraków miasto bez przerwy ").await?;
    }
    writer.type_word("dalej ");
    for o in [&far, &near] {
        o.wait_for_text("Kraków miasto bez przerwy dalej ").await?;
    }
    assert!(
        back.elapsed() < Duration::from_secs(3),
        "followers converged {:?} after Redis came back",
        back.elapsed()
    );

    // The owner dies: the copies' observers are not its sockets, and stay.
    servers[0].kill9();
    writer
        .client
        .as_ref()
        .unwrap()
        .wait_closed(Duration::from_secs(5))
        .await
        .expect("the writer's socket to the dead owner closes");
    writer.type_word("po ");
    // The writer comes back through the third process, which takes the
    // meeting over (and gives its copy up: that observer reconnects).
    let mut again = false;
    for _ in 0..100 {
        if writer.ensure(&servers[2], id).await {
            again = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(again, "the writer gets back in");
    writer.client.as_ref().unwrap().wait_synced().await?;
    writer.type_word("awarii");
    assert_eq!(
        near.close(),
        None,
        "an observer of a copy outlives the owner"
    );
    if let Err(e) = near
        .wait_for_text("Kraków miasto bez przerwy dalej po awarii")
        .await
    {
        panic!(
            "{e}\nstored: {:?}\nP1:\n{}\nP2:\n{}",
            stored_draft(&url, id),
            servers[1].log_tail(),
            servers[2].log_tail()
        );
    }
    if far.close().is_some() {
        far = YClient::connect(&observe(&servers[2])).await?;
        far.wait_synced().await?;
    }
    far.wait_for_text("Kraków miasto bez przerwy dalej po awarii")
        .await?;
    assert_eq!(
        stored_draft(&url, id),
        "Kraków miasto bez przerwy dalej po awarii"
    );
    servers[0].restart();
    let _ = &mut near;
    Ok(())
}

#[tokio::test]
async fn observers_on_every_process_count_in_the_meetings_audience() -> anyhow::Result<()> {
    let redis = OwnRedis::start();
    let url = fresh_database();
    let servers = relaying(2, &url, &redis.url, 1000);
    let meeting = Meeting::set_up(&servers[0], "Misja").await?;
    let id = meeting.id();
    let room =
        YClient::connect(&servers[0].ws_url(id, "meeting", meeting.moderator_token())).await?;
    room.wait_synced().await?;
    let count = |n: u64| move |d: &yrs::Doc| draftroom_tests::observers(d) == Some(n);
    // One observer on the owner, two connections of another on the copy.
    let here = YClient::connect(&servers[0].ws_url(id, "draft", &meeting.observer.token)).await?;
    room.wait_until("one observer", WAIT, count(1)).await?;
    let second = servers[1]
        .join(id, &meeting.created.observer_invite, "Zdalna")
        .await?;
    let there = YClient::connect(&servers[1].ws_url(id, "draft", &second.token)).await?;
    let again = YClient::connect(&servers[1].ws_url(id, "meeting", &second.token)).await?;
    room.wait_until("the copy's observer counted once", WAIT, count(2))
        .await?;
    drop((there, again));
    room.wait_until("the copy's observer gone", WAIT, count(1))
        .await?;
    drop(here);
    room.wait_until("nobody", WAIT, count(0)).await?;
    Ok(())
}

/// An observer who joined (on the owner) after the copy on `servers[1]`
/// was loaded is served by the copy: the owner is paused while the socket
/// opens, and the draft still arrives. With a relay, the owner then counts
/// that observer in its audience.
async fn late_observer_served_by_the_copy(servers: &[Server], relayed: bool) -> anyhow::Result<()> {
    let meeting = Meeting::set_up(&servers[0], "Misja").await?;
    let id = meeting.id();
    let moderator =
        YClient::connect(&servers[0].ws_url(id, "draft", meeting.moderator_token())).await?;
    moderator.wait_synced().await?;
    moderator.add_clause("Kraków dla wszystkich");
    // The copy is loaded for a first observer.
    let first = YClient::connect(&servers[1].ws_url(id, "draft", &meeting.observer.token)).await?;
    first.wait_for_text("Kraków dla wszystkich").await?;
    // A second joins afterwards (through the copy's process, forwarded to
    // the owner), then the owner stops answering: the copy, which did not
    // know this member when it was loaded, serves the socket itself.
    let late = servers[1]
        .join(id, &meeting.created.observer_invite, "Spóźniona")
        .await?;
    servers[0].signal("STOP");
    let served = async {
        let follower = YClient::connect(&servers[1].ws_url(id, "draft", &late.token)).await?;
        follower
            .wait_until("the draft from the copy", Duration::from_secs(3), |d| {
                draft_text(d) == "Kraków dla wszystkich"
            })
            .await?;
        anyhow::Ok(follower)
    }
    .await;
    servers[0].signal("CONT");
    let _follower = served?;
    if !relayed {
        return Ok(());
    }
    let room =
        YClient::connect(&servers[0].ws_url(id, "meeting", meeting.moderator_token())).await?;
    room.wait_until("two observers on the copy", WAIT, |d| {
        draftroom_tests::observers(d) == Some(2)
    })
    .await?;
    Ok(())
}

#[tokio::test]
async fn an_observer_who_joins_after_a_copy_was_loaded_is_served_by_the_copy() -> anyhow::Result<()>
{
    // Long leases: while the owner is paused, nobody takes over.
    // Through Redis, the copy hears of the member as it is stored...
    let redis = OwnRedis::start();
    late_observer_served_by_the_copy(&relaying(2, &fresh_database(), &redis.url, 20_000), true)
        .await?;
    // ... without it, the copy finds the token in the database.
    late_observer_served_by_the_copy(&processes(2, &fresh_database(), 20_000), false).await
}
