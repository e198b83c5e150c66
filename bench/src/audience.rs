//! Audience: the remote-attendee flow of a streamed meeting. A moderator
//! (who wrote the draft) and a few participants are in the `meeting` and
//! `draft` rooms; then N observers join over HTTP with the observer invite,
//! a bounded number at a time as a browser audience arrives, and each opens
//! both rooms as the web app does with the stock client: sync step 1, the
//! answer to the server's step 1, and the stock client's echo of every
//! presence it hears. Measured: the time until every observer holds the
//! draft's text and has its sync step 2 of both rooms, the frames and bytes
//! every client receives, the `meeting` room's first sync for a late
//! joiner, and the server's resident memory.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use tokio::sync::{Semaphore, watch};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::sync::{AwarenessUpdate, Message, SyncMessage};
use yrs::types::ToJson;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{
    Any, Array, ClientID, Doc, GetString, Map, MapPrelim, Out, ReadTxn, TextPrelim, Transact,
    Update, WriteTxn,
};

use crate::client::{self, Ws};
use crate::common::{self, Common};
use crate::proc;
use crate::target::{Target, post};

/// N observers join a streamed meeting over HTTP and open both rooms
/// (Draftroom only).
///
/// The remote-attendee flow of a streamed meeting: a moderator and a few
/// participants are in the `meeting` and `draft` rooms, then N observers
/// join over HTTP with the observer invite and open both rooms as the web
/// app does. Measured: the time until every observer is synced, the frames
/// and bytes every client receives, a late joiner's first sync of
/// `meeting`, and the server's memory.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Observers who join during the storm; a comma-separated list runs a
    /// fresh meeting for each, one table row each.
    #[arg(long, value_name = "N[,N...]", value_delimiter = ',', value_parser = common::count, default_value = "1000")]
    pub observers: Vec<usize>,
    /// Participants in the rooms before the storm, besides the moderator.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub participants: usize,
    /// Observers joining or syncing at once.
    #[arg(long, value_name = "N", default_value_t = 32)]
    pub concurrency: usize,
    /// The storm is given up after this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 600.0)]
    pub time_cap_secs: f64,
    /// Which server build this is ("before", "after"), for the report.
    #[arg(long, value_name = "NAME", default_value = "draftroom")]
    pub label: String,
    /// The server under test and where the figures go.
    #[command(flatten)]
    pub common: Common,
}

/// What an audience run is asked to do.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Observers who join during the storm.
    pub observers: usize,
    /// Participants in the room before it (besides the moderator).
    pub participants: usize,
    /// Observers joining or syncing at once.
    pub concurrency: usize,
    /// The server's process, for memory and CPU.
    pub server_pid: Option<u32>,
    /// The storm is given up after this long.
    pub time_cap: Duration,
    /// Which server build this is ("before", "after"), for the report.
    pub label: String,
}

/// One row of results.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Always "audience".
    pub scenario: &'static str,
    /// The server build measured.
    pub label: String,
    /// Observers asked to join.
    pub observers: usize,
    /// Participants besides the moderator.
    pub participants: usize,
    /// Observers joining or syncing at once.
    pub concurrency: usize,
    /// Every observer synced within the time cap.
    pub finished: bool,
    /// The time cap, seconds.
    pub time_cap_s: f64,
    /// Observers synced when the storm ended (all of them, or at the cap).
    pub synced: usize,
    /// Observers whose connection failed.
    pub failed: usize,
    /// Seconds from the first join until every observer was synced.
    pub all_synced_s: Option<f64>,
    /// Median and worst time of one observer's `POST …/join`, ms.
    pub join_p50_ms: f64,
    /// See `join_p50_ms`.
    pub join_max_ms: f64,
    /// Median and worst time from one observer's join to its being synced, ms.
    pub sync_p50_ms: f64,
    /// See `sync_p50_ms`.
    pub sync_max_ms: f64,
    /// Frames one synced observer received over both rooms, from its
    /// connecting until the end of the storm: mean and worst.
    pub observer_frames_mean: f64,
    /// See `observer_frames_mean`.
    pub observer_frames_max: u64,
    /// Bytes (WebSocket payloads), the same way.
    pub observer_bytes_mean: f64,
    /// See `observer_bytes_mean`.
    pub observer_bytes_max: u64,
    /// Frames the moderator received over both rooms during the storm.
    pub moderator_frames: u64,
    /// Bytes the moderator received during the storm.
    pub moderator_bytes: u64,
    /// Frames every client (observers, participants, moderator) received
    /// during the storm, all together.
    pub total_frames: u64,
    /// Bytes of those frames.
    pub total_bytes: u64,
    /// Every synced observer held exactly the moderator's draft.
    pub text_ok: bool,
    /// `meeting.observers` as the moderator's copy shows it at the end.
    pub observers_count_shown: Option<f64>,
    /// Entries of `participants` with role observer in that copy.
    pub observers_listed: usize,
    /// Entries of `clients` in that copy.
    pub clients_listed: usize,
    /// Bytes of a late joiner's sync step 2 of `meeting` (the room's
    /// encoded state), after the storm.
    pub late_meeting_sync_bytes: Option<usize>,
    /// Milliseconds of that late joiner's join and first sync of `meeting`.
    pub late_meeting_sync_ms: Option<f64>,
    /// Server resident memory before the storm, MiB.
    pub rss_before_mib: f64,
    /// Its peak during the storm (sampled every 20 ms), MiB.
    pub rss_peak_mib: f64,
    /// Its high-water mark since the server started (VmHWM), MiB.
    pub rss_hwm_mib: f64,
    /// Its resident memory at the end, every observer still connected, MiB.
    pub rss_after_mib: f64,
    /// Server CPU seconds during the storm.
    pub server_cpu_s: f64,
}

/// How long a client waits for a frame while syncing before it gives up.
const WAIT: Duration = Duration::from_secs(120);

/// How long the storm's end is held after the last observer synced, so
/// that what a join causes later (a count shown once a second) is counted.
const SETTLE: Duration = Duration::from_secs(2);

/// The agreed mission of the 2013 Kraków workshop, as three clauses, with
/// an emoji so that UTF-16 counting matters.
const CLAUSES: [(&str, &str); 3] = [
    (
        "6f1c2a8e-3b5d-4c1e-9a27-5d0e8b4f1a01",
        "Misją samorządu Miasta Krakowa jest tworzenie wielowymiarowej przestrzeni publicznej w skali metropolitalnej dla partnerskiego współdziałania mieszkańców i podmiotów z różnych sektorów.",
    ),
    (
        "6f1c2a8e-3b5d-4c1e-9a27-5d0e8b4f1a02",
        "Samorząd inicjuje współpracę, buduje zaufanie i tworzy warunki dla wysokiej jakości życia poprzez rozwój nowoczesnej gospodarki, kultury i kształtowanie środowiska.",
    ),
    (
        "6f1c2a8e-3b5d-4c1e-9a27-5d0e8b4f1a03",
        "Podstawą tej współpracy jest współodpowiedzialność i współuczestnictwo świadomych i aktywnych obywateli w procesie zrównoważonego rozwoju miasta. 🏛️",
    ),
];

/// What one client received, counted as it goes so that the storm's end
/// can read it without waiting for the client.
#[derive(Default)]
struct Tally {
    frames: AtomicU64,
    bytes: AtomicU64,
    /// Microseconds its join took (0: not joined yet).
    join_us: AtomicU64,
    /// Microseconds from its join's start to its being synced (0: not yet).
    synced_us: AtomicU64,
}

/// Counts over a group of clients.
struct Progress {
    /// When the group began to arrive.
    epoch: Instant,
    synced: AtomicUsize,
    failed: AtomicUsize,
    wrong_text: AtomicUsize,
    /// Microseconds from `epoch` until the latest client synced.
    last_synced_us: AtomicU64,
}

impl Progress {
    fn new() -> Arc<Progress> {
        Arc::new(Progress {
            epoch: Instant::now(),
            synced: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
            wrong_text: AtomicUsize::new(0),
            last_synced_us: AtomicU64::new(0),
        })
    }
}

/// How a client gets its token.
enum Entry {
    /// It has one (the moderator's, from creating the meeting).
    Token(String),
    /// It joins with this invite over HTTP.
    Invite(String),
}

/// One person at the meeting and what their browser does.
struct Seat {
    name: String,
    entry: Entry,
    /// Presence JSON the client sets in the draft room (the web app shows
    /// carets of members only; observers set none).
    presence: Option<String>,
    /// An update the client sends on the draft right after connecting.
    writes: Option<Vec<u8>>,
    /// The client ID of its draft document.
    client_id: u64,
    /// Whether to keep a copy of the `meeting` room and hand it back.
    keep_meeting: bool,
}

/// What a client hands back when the storm ends: its sockets, still open,
/// and the copy of the `meeting` room it was asked to keep.
struct Kept {
    _sockets: (Ws, Ws),
    meeting: Option<Doc>,
}

/// The draft as the moderator writes it: the moderator's document, its
/// first update and its text.
pub(crate) fn draft(client_id: u64) -> anyhow::Result<(Doc, Vec<u8>, String)> {
    let doc = client::doc(Some(client_id));
    let update = {
        let mut txn = doc.transact_mut();
        let clauses = txn.get_or_insert_array("clauses");
        for (id, text) in CLAUSES {
            clauses.push_back(
                &mut txn,
                MapPrelim::from([
                    ("id".to_owned(), yrs::In::from(id)),
                    ("text".to_owned(), yrs::In::from(TextPrelim::new(text))),
                ]),
            );
        }
        txn.encode_update_v1()
    };
    let text = draft_text(&doc);
    if text.is_empty() {
        bail!("the draft did not come out");
    }
    Ok((doc, update, text))
}

/// The draft's text: the clauses' texts in order, joined by a blank line.
pub(crate) fn draft_text(doc: &Doc) -> String {
    let txn = doc.transact();
    let Some(clauses) = txn.get_array("clauses") else {
        return String::new();
    };
    clauses
        .iter(&txn)
        .filter_map(|c| {
            let map: yrs::MapRef = c.cast().ok()?;
            let text: yrs::TextRef = map.get(&txn, "text")?.cast().ok()?;
            Some(text.get_string(&txn))
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn presence(client_id: u64, json: &str) -> Vec<u8> {
    let entry = AwarenessUpdateEntry {
        clock: 1,
        json: json.into(),
    };
    Message::Awareness(AwarenessUpdate {
        clients: [(ClientID::new(client_id), entry)].into(),
    })
    .encode_v1()
}

/// One client, from its join (if it joins) to the storm's end: it opens
/// both rooms and answers as the stock client does, counting what it
/// receives, until `stop`.
#[allow(clippy::too_many_arguments)]
async fn attend(
    base: String,
    meeting: String,
    seat: Seat,
    expected: Arc<String>,
    tally: Arc<Tally>,
    progress: Arc<Progress>,
    gate: Option<Arc<Semaphore>>,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<Kept> {
    let mut permit = match gate {
        Some(g) => Some(g.acquire_owned().await?),
        None => None,
    };
    let start = Instant::now();
    let token = match seat.entry {
        Entry::Token(t) => t,
        Entry::Invite(invite) => {
            let joined = post(
                &base,
                &format!("/api/meetings/{meeting}/join"),
                serde_json::json!({"invite": invite, "name": seat.name}),
            )
            .await?;
            joined["token"].as_str().context("token")?.to_owned()
        }
    };
    tally
        .join_us
        .store(start.elapsed().as_micros().max(1) as u64, Ordering::Relaxed);
    let ws = base.replacen("http", "ws", 1);
    let meeting_url = format!("{ws}/ws/{meeting}/meeting?token={token}");
    let draft_url = format!("{ws}/ws/{meeting}/draft?token={token}");
    let (mut rooms, mut draft_ws) =
        tokio::try_join!(client::connect(&meeting_url), client::connect(&draft_url))?;
    if let Some(json) = &seat.presence {
        let msg = presence(seat.client_id, json);
        draft_ws.send(WsMessage::Binary(msg.into())).await?;
    }
    let writer = seat.writes.is_some();
    if let Some(update) = seat.writes {
        let msg = Message::Sync(SyncMessage::Update(update)).encode_v1();
        draft_ws.send(WsMessage::Binary(msg.into())).await?;
    }
    let mut meeting_doc = seat.keep_meeting.then(|| client::doc(None));
    let mut draft_doc = Some(client::doc(None));
    let mut synced = [false, false];
    loop {
        let (room, next) = tokio::select! {
            next = rooms.next() => (0, next),
            next = draft_ws.next() => (1, next),
            _ = stop.changed() => break,
        };
        let name = ["meeting", "draft"][room];
        let frame = match next {
            Some(Ok(WsMessage::Binary(b))) => b,
            Some(Ok(WsMessage::Close(c))) => bail!("{name}: closed by the server: {c:?}"),
            Some(Ok(_)) => continue,
            Some(Err(e)) => bail!("{name}: connection lost: {e}"),
            None => bail!("{name}: connection ended"),
        };
        tally.frames.fetch_add(1, Ordering::Relaxed);
        tally.bytes.fetch_add(frame.len() as u64, Ordering::Relaxed);
        let ws = if room == 0 { &mut rooms } else { &mut draft_ws };
        match (frame.first(), frame.get(1)) {
            (Some(0), Some(0)) => {
                ws.send(WsMessage::Binary(client::empty_step2().into()))
                    .await?
            }
            (Some(0), Some(step)) => {
                let doc = if room == 0 {
                    meeting_doc.as_ref()
                } else {
                    draft_doc.as_ref()
                };
                if let (Some(doc), Some(u)) = (doc, client::update_of(&frame)) {
                    doc.transact_mut().apply_update(Update::decode_v1(&u)?)?;
                }
                if *step == 1 && !synced[room] {
                    synced[room] = true;
                    // The writer's own step 2 may come before its write.
                    if room == 1 && !writer {
                        if draft_doc.as_ref().map(draft_text).as_deref() != Some(&expected) {
                            progress.wrong_text.fetch_add(1, Ordering::Relaxed);
                        }
                        // A follower keeps nothing it need not; the text is checked.
                        draft_doc = None;
                    }
                    if synced == [true, true] {
                        tally
                            .synced_us
                            .store(start.elapsed().as_micros().max(1) as u64, Ordering::Relaxed);
                        progress.last_synced_us.fetch_max(
                            progress.epoch.elapsed().as_micros() as u64,
                            Ordering::Relaxed,
                        );
                        progress.synced.fetch_add(1, Ordering::AcqRel);
                        permit.take();
                    }
                }
            }
            // The stock client sends on every presence change it hears.
            (Some(1), _) => ws.send(WsMessage::Binary(frame)).await?,
            _ => {}
        }
    }
    Ok(Kept {
        _sockets: (rooms, draft_ws),
        meeting: meeting_doc.take(),
    })
}

/// What the moderator's copy of `meeting` shows of the audience: the
/// count, the observers listed by name, the client bindings.
fn shown(doc: &Doc) -> (Option<f64>, usize, usize) {
    let txn = doc.transact();
    let count = txn
        .get_map("meeting")
        .and_then(|m| m.get(&txn, "observers"))
        .and_then(|v| match v {
            Out::Any(Any::Number(n)) => n.as_f64(),
            _ => None,
        });
    let listed = txn.get_map("participants").map_or(0, |p| {
        p.iter(&txn)
            .filter(|(_, v)| match v.to_json(&txn) {
                Any::Map(m) => matches!(m.get("role"), Some(Any::String(r)) if &**r == "observer"),
                _ => false,
            })
            .count()
    });
    let clients = txn.get_map("clients").map_or(0, |c| c.len(&txn) as usize);
    drop(txn);
    (count, listed, clients)
}

/// A late joiner: joins as an observer and opens `meeting`; the bytes of
/// its sync step 2 and the time from the join to it.
async fn late_joiner(base: &str, meeting: &str, invite: &str) -> anyhow::Result<(usize, f64)> {
    let start = Instant::now();
    let joined = post(
        base,
        &format!("/api/meetings/{meeting}/join"),
        serde_json::json!({"invite": invite, "name": "Spóźniony widz"}),
    )
    .await?;
    let token = joined["token"].as_str().context("token")?;
    let ws = base.replacen("http", "ws", 1);
    let mut socket = client::connect(&format!("{ws}/ws/{meeting}/meeting?token={token}")).await?;
    loop {
        let frame = client::next_frame(&mut socket, WAIT).await?;
        if let Ok(Message::Sync(SyncMessage::SyncStep2(_))) = Message::decode_v1(&frame) {
            return Ok((frame.len(), start.elapsed().as_secs_f64() * 1e3));
        }
    }
}

pub(crate) fn percentile_ms(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize] as f64 / 1e3
}

pub(crate) fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Runs one audience storm on a fresh meeting.
pub async fn run(target: &Target, plan: &Plan) -> anyhow::Result<Row> {
    let Target::Draftroom(base) = target else {
        bail!("the audience scenario needs Draftroom (it joins over its HTTP API)");
    };
    let created = post(
        base,
        "/api/meetings",
        serde_json::json!({"title": "Misja Miasta Krakowa — transmisja", "moderator_name": "Moderatorka"}),
    )
    .await?;
    let meeting = created["id"].as_str().context("meeting id")?.to_owned();
    let field = |k: &str| -> anyhow::Result<String> {
        Ok(created[k]
            .as_str()
            .with_context(|| k.to_owned())?
            .to_owned())
    };
    let observer_invite = field("observer_invite")?;
    let participant_invite = field("participant_invite")?;
    let moderator_id = u64::from(crate::fanout::rand_u32());
    let (_, update, text) = draft(moderator_id)?;
    let expected = Arc::new(text);
    let (stop_tx, stop) = watch::channel(false);

    // The room before the storm: the moderator, who writes the draft, then
    // the participants.
    let members = Progress::new();
    let mut member_tallies = Vec::new();
    let mut member_tasks = Vec::new();
    for i in 0..=plan.participants {
        let moderator = i == 0;
        let name = if moderator {
            "Moderatorka".to_owned()
        } else {
            format!("Uczestnik {i}")
        };
        let client_id = if moderator {
            moderator_id
        } else {
            u64::from(crate::fanout::rand_u32())
        };
        let seat = Seat {
            presence: Some(serde_json::json!({"user": {"name": name}, "cursor": null}).to_string()),
            name,
            entry: if moderator {
                Entry::Token(field("moderator_token")?)
            } else {
                Entry::Invite(participant_invite.clone())
            },
            writes: moderator.then(|| update.clone()),
            client_id,
            keep_meeting: moderator,
        };
        let tally = Arc::new(Tally::default());
        member_tallies.push(tally.clone());
        member_tasks.push(tokio::spawn(attend(
            base.clone(),
            meeting.clone(),
            seat,
            expected.clone(),
            tally,
            members.clone(),
            None,
            stop.clone(),
        )));
        // The draft is in the room before anyone else arrives.
        let deadline = Instant::now() + WAIT;
        while members.synced.load(Ordering::Acquire) < i + 1 {
            if members.failed.load(Ordering::Acquire) > 0 || Instant::now() > deadline {
                bail!("a member of the meeting did not sync");
            }
            if let Some(t) = member_tasks.iter_mut().find(|t| t.is_finished()) {
                match t.await? {
                    Ok(_) => bail!("a member stopped early"),
                    Err(e) => return Err(e.context("a member of the meeting")),
                }
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        if moderator {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    if members.wrong_text.load(Ordering::Acquire) > 0 {
        bail!("a participant's draft differs from the moderator's");
    }

    // The storm.
    let pid = plan.server_pid;
    let rss_before = pid.map_or(0, proc::rss_kib);
    let cpu_before = pid.map_or(0.0, proc::cpu_seconds);
    let members_before: Vec<(u64, u64)> = member_tallies
        .iter()
        .map(|t| {
            (
                t.frames.load(Ordering::Relaxed),
                t.bytes.load(Ordering::Relaxed),
            )
        })
        .collect();
    let peak = Arc::new(AtomicU64::new(rss_before));
    let sampler = {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                peak.fetch_max(pid.map_or(0, proc::rss_kib), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let gate = Arc::new(Semaphore::new(plan.concurrency.max(1)));
    let mut tallies = Vec::with_capacity(plan.observers);
    let mut tasks = Vec::with_capacity(plan.observers);
    let audience = Progress::new();
    let start = audience.epoch;
    for i in 0..plan.observers {
        let tally = Arc::new(Tally::default());
        tallies.push(tally.clone());
        let seat = Seat {
            name: format!("Widz {}", i + 1),
            entry: Entry::Invite(observer_invite.clone()),
            presence: None,
            writes: None,
            client_id: 0,
            keep_meeting: false,
        };
        let progress = audience.clone();
        let run = attend(
            base.clone(),
            meeting.clone(),
            seat,
            expected.clone(),
            tally,
            progress.clone(),
            Some(gate.clone()),
            stop.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let kept = run.await;
            if kept.is_err() {
                progress.failed.fetch_add(1, Ordering::AcqRel);
            }
            kept
        }));
    }
    let deadline = start + plan.time_cap;
    let mut told = start;
    let finished = loop {
        let synced = audience.synced.load(Ordering::Acquire);
        let failed = audience.failed.load(Ordering::Acquire);
        if synced + failed >= plan.observers {
            break failed == 0;
        }
        if Instant::now() > deadline {
            break false;
        }
        if told.elapsed() > Duration::from_secs(10) {
            told = Instant::now();
            eprintln!(
                "  {synced} of {} observers synced after {:.0} s",
                plan.observers,
                start.elapsed().as_secs_f64()
            );
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let all_synced_s =
        finished.then(|| audience.last_synced_us.load(Ordering::Relaxed) as f64 / 1e6);
    if finished {
        tokio::time::sleep(SETTLE).await;
    }
    sampler.abort();
    let rss_after = pid.map_or(0, proc::rss_kib);
    let rss_hwm = pid.map_or(0, proc::hwm_kib);
    let cpu = pid.map_or(0.0, proc::cpu_seconds) - cpu_before;
    let synced = audience.synced.load(Ordering::Acquire);
    let failed = audience.failed.load(Ordering::Acquire);

    // The storm's figures, read before anyone stops.
    let counted: Vec<&Arc<Tally>> = tallies
        .iter()
        .filter(|t| t.synced_us.load(Ordering::Relaxed) > 0)
        .collect();
    let frames: Vec<u64> = counted
        .iter()
        .map(|t| t.frames.load(Ordering::Relaxed))
        .collect();
    let bytes: Vec<u64> = counted
        .iter()
        .map(|t| t.bytes.load(Ordering::Relaxed))
        .collect();
    let all_observer_frames: u64 = tallies
        .iter()
        .map(|t| t.frames.load(Ordering::Relaxed))
        .sum();
    let all_observer_bytes: u64 = tallies
        .iter()
        .map(|t| t.bytes.load(Ordering::Relaxed))
        .sum();
    let member_deltas: Vec<(u64, u64)> = member_tallies
        .iter()
        .zip(&members_before)
        .map(|(t, (f, b))| {
            (
                t.frames.load(Ordering::Relaxed) - f,
                t.bytes.load(Ordering::Relaxed) - b,
            )
        })
        .collect();
    let mut joins: Vec<u64> = counted
        .iter()
        .map(|t| t.join_us.load(Ordering::Relaxed))
        .collect();
    let mut syncs: Vec<u64> = counted
        .iter()
        .map(|t| t.synced_us.load(Ordering::Relaxed))
        .collect();
    joins.sort_unstable();
    syncs.sort_unstable();

    // What the moderator's copy of `meeting` shows, then a late joiner.
    stop_tx.send_replace(true);
    let mut kept = Vec::new();
    let mut errors = Vec::new();
    for t in member_tasks {
        match t.await? {
            Ok(k) => kept.push(k),
            Err(e) => errors.push(format!("{e:#}")),
        }
    }
    let moderator_doc = kept.first().and_then(|k| k.meeting.as_ref());
    let (observers_count_shown, observers_listed, clients_listed) =
        moderator_doc.map_or((None, 0, 0), shown);
    let late = if finished {
        Some(late_joiner(base, &meeting, &observer_invite).await?)
    } else {
        None
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    for t in tasks {
        if t.is_finished() {
            if let Err(e) = t.await? {
                errors.push(format!("{e:#}"));
            }
        } else {
            t.abort();
        }
    }
    for e in errors.iter().take(3) {
        eprintln!("a client failed: {e}");
    }
    drop(kept);

    let n = frames.len().max(1) as f64;
    Ok(Row {
        scenario: "audience",
        label: plan.label.clone(),
        observers: plan.observers,
        participants: plan.participants,
        concurrency: plan.concurrency,
        finished,
        time_cap_s: plan.time_cap.as_secs_f64(),
        synced,
        failed,
        all_synced_s,
        join_p50_ms: percentile_ms(&joins, 0.5),
        join_max_ms: percentile_ms(&joins, 1.0),
        sync_p50_ms: percentile_ms(&syncs, 0.5),
        sync_max_ms: percentile_ms(&syncs, 1.0),
        observer_frames_mean: frames.iter().sum::<u64>() as f64 / n,
        observer_frames_max: frames.iter().copied().max().unwrap_or(0),
        observer_bytes_mean: bytes.iter().sum::<u64>() as f64 / n,
        observer_bytes_max: bytes.iter().copied().max().unwrap_or(0),
        moderator_frames: member_deltas.first().map_or(0, |d| d.0),
        moderator_bytes: member_deltas.first().map_or(0, |d| d.1),
        total_frames: all_observer_frames + member_deltas.iter().map(|d| d.0).sum::<u64>(),
        total_bytes: all_observer_bytes + member_deltas.iter().map(|d| d.1).sum::<u64>(),
        text_ok: audience.wrong_text.load(Ordering::Acquire) == 0 && synced > 0,
        observers_count_shown,
        observers_listed,
        clients_listed,
        late_meeting_sync_bytes: late.map(|l| l.0),
        late_meeting_sync_ms: late.map(|l| l.1),
        rss_before_mib: mib(rss_before),
        rss_peak_mib: mib(peak.load(Ordering::Relaxed).max(rss_after)),
        rss_hwm_mib: mib(rss_hwm),
        rss_after_mib: mib(rss_after),
        server_cpu_s: cpu,
    })
}

impl Args {
    /// Runs the audience storm for each N and prints a row for each.
    pub async fn run(self) -> anyhow::Result<()> {
        println!(
            "{:<9} {:>9} {:>5} {:>12} {:>17} {:>19} {:>10} {:>10} {:>12} {:>10} {:>20} {:>5}",
            "server",
            "observers",
            "conc",
            "all synced s",
            "obs frames avg/max",
            "obs KiB avg/max",
            "mod frames",
            "mod KiB",
            "all frames",
            "meeting B",
            "RSS MiB pre/peak/end",
            "text"
        );
        let mut rows = Vec::new();
        for &n in &self.observers {
            let plan = Plan {
                observers: n,
                participants: self.participants,
                concurrency: self.concurrency,
                server_pid: self.common.server_pid,
                time_cap: Duration::from_secs_f64(self.time_cap_secs),
                label: self.label.clone(),
            };
            let r = run(&self.common.target, &plan).await?;
            let synced = match r.all_synced_s {
                Some(s) => format!("{s:.2}"),
                None => format!("not in {:.0} s", r.time_cap_s),
            };
            println!(
                "{:<9} {:>9} {:>5} {:>12} {:>17} {:>19} {:>10} {:>10.0} {:>12} {:>10} {:>20} {:>5}",
                r.label,
                r.observers,
                r.concurrency,
                synced,
                format!("{:.0}/{}", r.observer_frames_mean, r.observer_frames_max),
                format!(
                    "{:.1}/{:.1}",
                    r.observer_bytes_mean / 1024.0,
                    r.observer_bytes_max as f64 / 1024.0
                ),
                r.moderator_frames,
                r.moderator_bytes as f64 / 1024.0,
                r.total_frames,
                r.late_meeting_sync_bytes
                    .map_or("-".to_owned(), |b| b.to_string()),
                format!(
                    "{:.0}/{:.0}/{:.0}",
                    r.rss_before_mib, r.rss_peak_mib, r.rss_after_mib
                ),
                if r.text_ok { "yes" } else { "NO" }
            );
            if !r.finished {
                println!(
                    "{:<9} did not finish in {:.0} s: {} of {} observers synced, {} failed",
                    "", r.time_cap_s, r.synced, r.observers, r.failed
                );
            }
            println!(
                "{:<9} shown to the moderator: meeting.observers = {}, {} observers listed in participants, {} clients; join p50/max {:.1}/{:.1} ms, join to synced p50/max {:.1}/{:.1} ms; server CPU {:.1} s",
                "",
                r.observers_count_shown
                    .map_or("absent".to_owned(), |c| c.to_string()),
                r.observers_listed,
                r.clients_listed,
                r.join_p50_ms,
                r.join_max_ms,
                r.sync_p50_ms,
                r.sync_max_ms,
                r.server_cpu_s
            );
            rows.push(r);
        }
        self.common.write_json(&rows)?;
        if rows.iter().any(|r| !r.text_ok || r.failed > 0) {
            std::process::exit(1);
        }
        Ok(())
    }
}
