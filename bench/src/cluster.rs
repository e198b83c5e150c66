//! Cluster: the remote-attendee flow across several server processes that
//! share one meeting — Draftroom on PostgreSQL and Redis, or Hocuspocus with
//! its Redis extension. A writer (the moderator) is on the first process;
//! N observers arrive at each process, join (Draftroom: over HTTP with the
//! observer invite) and open the `meeting` and `draft` rooms; then the
//! writer types and every observer's latency is measured, process by
//! process, so that what a follower on another process than the writer's
//! pays for the relay shows.
//!
//! Each process's observers run in a child process of the generator (the
//! hidden `cluster-part` scenario): 3 × 5,000 observers hold 30,000 sockets,
//! more than one process may open here. Parts and the writer stamp with the
//! system clock, which all processes of one machine share.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{ClientID, ReadTxn, Text, Transact, Update};

use crate::audience::{draft, draft_text, mib, percentile_ms};
use crate::client::{self, addressed, empty_step2, hocuspocus_auth, split_address, sync_step1};
use crate::common;
use crate::proc;
use crate::target::post;

/// The remote-attendee flow across several processes sharing one meeting.
///
/// A writer on the first process, N observers joining at each process and
/// opening both rooms; then the writer types. Measured: the time until every
/// observer holds the draft, each process's keystroke latency p50/p99, what
/// a follower on another process than the writer's pays, and each server
/// process's memory and CPU.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// `draftroom=http://HOST:PORT,…` (processes sharing one database and
    /// Redis; the meeting is made on the first) or
    /// `hocuspocus=ws://HOST:PORT,…` (processes sharing one Redis).
    #[arg(long, value_name = "KIND=URL,URL,...", value_parser = Servers::parse)]
    pub servers: Servers,
    /// The servers' processes, in the same order, read in /proc.
    #[arg(long, value_name = "PID,PID,...", value_delimiter = ',')]
    pub server_pids: Vec<u32>,
    /// The Redis server's process, for its CPU time.
    #[arg(long, value_name = "PID")]
    pub redis_pid: Option<u32>,
    /// Observers arriving at each process; a comma-separated list runs a
    /// fresh meeting for each, one row each.
    #[arg(long, value_name = "N[,N...]", value_delimiter = ',', value_parser = common::count, default_value = "1000")]
    pub observers: Vec<usize>,
    /// Keystrokes the writer types once every observer is synced.
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub keystrokes: usize,
    /// Keystrokes per second.
    #[arg(long, value_name = "PER_SEC", default_value_t = 20.0)]
    pub rate: f64,
    /// Observers joining or syncing at once, at each process.
    #[arg(long, value_name = "N", default_value_t = 32)]
    pub concurrency: usize,
    /// The storm is given up after this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 600.0)]
    pub time_cap_secs: f64,
    /// Which build or setup this is, for the report.
    #[arg(long, value_name = "NAME")]
    pub label: Option<String>,
    /// Also write the results to this file as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

/// Which servers, and where.
#[derive(Debug, Clone)]
pub enum Servers {
    /// Draftroom processes at these `http://host:port`.
    Draftroom(Vec<String>),
    /// Hocuspocus processes at these `ws://host:port`.
    Hocuspocus(Vec<String>),
}

impl Servers {
    /// Parses `draftroom=URL,URL,…` or `hocuspocus=URL,URL,…`.
    pub fn parse(s: &str) -> anyhow::Result<Servers> {
        let (kind, urls) = s
            .split_once('=')
            .context("expected draftroom=URL,URL,... or hocuspocus=URL,URL,...")?;
        let urls: Vec<String> = urls
            .split(',')
            .map(|u| u.trim().trim_end_matches('/').to_owned())
            .filter(|u| !u.is_empty())
            .collect();
        if urls.is_empty() {
            bail!("no server URL");
        }
        match kind {
            "draftroom" => Ok(Servers::Draftroom(urls)),
            "hocuspocus" => Ok(Servers::Hocuspocus(urls)),
            _ => bail!("unknown kind {kind}: expected draftroom or hocuspocus"),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Servers::Draftroom(_) => "draftroom",
            Servers::Hocuspocus(_) => "hocuspocus",
        }
    }

    fn urls(&self) -> &[String] {
        match self {
            Servers::Draftroom(u) | Servers::Hocuspocus(u) => u,
        }
    }
}

/// One process's observers (run by the generator itself, as a child).
#[derive(Debug, clap::Args)]
pub struct Part {
    /// draftroom or hocuspocus.
    #[arg(long)]
    kind: String,
    /// The process the observers arrive at.
    #[arg(long)]
    url: String,
    /// Draftroom: the meeting's id; Hocuspocus: the documents' suffix.
    #[arg(long)]
    room: String,
    /// Draftroom: the observer invite.
    #[arg(long, default_value = "")]
    invite: String,
    /// Observers.
    #[arg(long)]
    observers: usize,
    /// Observers joining or syncing at once.
    #[arg(long)]
    concurrency: usize,
    /// The writer's client ID.
    #[arg(long)]
    writer: u64,
    /// A file holding the draft's text as the writer wrote it.
    #[arg(long)]
    expected: PathBuf,
    /// The storm is given up after this many seconds.
    #[arg(long)]
    time_cap_secs: f64,
}

/// A part's report once its observers are synced (or the cap passed).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Synced {
    synced: usize,
    failed: usize,
    /// When the last observer synced, µs since the Unix epoch.
    last_synced_unix_us: u64,
    /// The first failure, if any.
    error: Option<String>,
}

/// What the writer sent: (its clock after the keystroke, µs since the
/// Unix epoch when it was sent).
#[derive(Debug, Serialize, Deserialize)]
struct Sent {
    sent: Vec<(u32, u64)>,
}

/// A part's last report, once the typing reached its observers.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Typed {
    /// From one observer's arrival to its being synced, ms.
    sync_p50_ms: f64,
    sync_max_ms: f64,
    /// One observer's join over HTTP, ms (0 for Hocuspocus).
    join_p50_ms: f64,
    join_max_ms: f64,
    /// Keystroke latency, ms.
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    /// Keystrokes received, over all observers.
    received: usize,
    /// Every observer got every keystroke, in order.
    delivered_all: bool,
    /// Observers that failed while the writer typed.
    failed: usize,
}

/// One process's figures in a row.
#[derive(Debug, Clone, Serialize)]
pub struct ProcessRow {
    /// Its place in `--servers` (0: the writer's, the meeting's owner).
    pub process: usize,
    /// Whether the writer is on it.
    pub writer_here: bool,
    /// Observers synced there.
    pub synced: usize,
    /// Observers that failed there.
    pub failed: usize,
    /// Seconds from the start until its last observer synced.
    pub all_synced_s: Option<f64>,
    /// One observer's arrival to its being synced, median and worst, ms.
    pub sync_p50_ms: f64,
    pub sync_max_ms: f64,
    /// Draftroom: its `POST …/join`, median and worst, ms (0 for Hocuspocus).
    pub join_p50_ms: f64,
    pub join_max_ms: f64,
    /// Keystroke latency to its observers, ms.
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
    /// Every observer there got every keystroke, in order.
    pub delivered_all: bool,
    /// Peak resident memory during the run, MiB.
    pub rss_peak_mib: f64,
    /// CPU seconds during the storm and during the typing.
    pub cpu_storm_s: f64,
    pub cpu_typing_s: f64,
}

/// One row of results: one N.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Always "cluster".
    pub scenario: &'static str,
    /// draftroom or hocuspocus.
    pub server: &'static str,
    /// The label given, if any.
    pub label: Option<String>,
    /// Server processes.
    pub processes: usize,
    /// Observers at each process.
    pub observers_per_process: usize,
    /// Every observer synced within the cap.
    pub finished: bool,
    /// Seconds from the first arrival until every observer was synced.
    pub all_synced_s: Option<f64>,
    /// Keystrokes typed, and at what rate.
    pub keystrokes: usize,
    pub rate: f64,
    /// The median (and p99) latency of followers on the other processes,
    /// less the writer's process's.
    pub other_process_extra_p50_ms: Option<f64>,
    pub other_process_extra_p99_ms: Option<f64>,
    /// All server processes together: peak memory (sum of peaks), CPU.
    pub rss_peak_total_mib: f64,
    pub cpu_storm_total_s: f64,
    pub cpu_typing_total_s: f64,
    /// Redis's CPU seconds over the storm and the typing.
    pub redis_cpu_s: Option<f64>,
    /// Each process.
    pub per_process: Vec<ProcessRow>,
}

/// How long an observer waits for a frame while syncing.
const WAIT: Duration = Duration::from_secs(120);

/// Microseconds since the Unix epoch.
fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// The names of a run's two Hocuspocus documents.
fn hocuspocus_docs(suffix: &str) -> [String; 2] {
    [format!("meeting-{suffix}"), format!("draft-{suffix}")]
}

/// What one observer saw.
struct Observed {
    /// Draft frames received after it synced, stamped (µs since the epoch).
    frames: Vec<(u64, Bytes)>,
    /// Microseconds from its arrival to its being synced.
    synced_us: u64,
    /// Microseconds its join over HTTP took (0: none, Hocuspocus).
    joined_us: u64,
}

/// What a part's observers share.
struct Shared {
    kind: String,
    url: String,
    room: String,
    invite: String,
    expected: String,
    synced: AtomicUsize,
    failed: AtomicUsize,
    last_synced_us: AtomicU64,
    /// When any observer last received a draft frame after syncing.
    last_frame_us: AtomicU64,
    first_error: std::sync::Mutex<Option<String>>,
}

/// One observer: arrives, syncs both rooms, then keeps every draft frame it
/// receives, stamped, until `stop`. Returns the frames (for Hocuspocus,
/// without their address) and the microseconds from its arrival to synced.
async fn observe(
    shared: Arc<Shared>,
    index: usize,
    gate: Arc<Semaphore>,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<Observed> {
    let permit = gate.acquire_owned().await?;
    let start = Instant::now();
    // Sockets, and the document names each frame may carry (Hocuspocus).
    let hocuspocus = shared.kind == "hocuspocus";
    let names = hocuspocus_docs(&shared.room);
    let mut sockets = Vec::new();
    let mut joined_us = 0;
    if hocuspocus {
        let mut ws = client::connect_quiet(&shared.url).await?;
        for name in &names {
            ws.send(WsMessage::Binary(
                addressed(name, &hocuspocus_auth("observer")).into(),
            ))
            .await?;
            ws.send(WsMessage::Binary(addressed(name, &sync_step1()).into()))
                .await?;
        }
        sockets.push(ws);
    } else {
        let joined = post(
            &shared.url,
            &format!("/api/meetings/{}/join", shared.room),
            serde_json::json!({"invite": shared.invite, "name": format!("Widz {}", index + 1)}),
        )
        .await?;
        let token = joined["token"].as_str().context("token")?;
        joined_us = start.elapsed().as_micros().max(1) as u64;
        let ws = shared.url.replacen("http", "ws", 1);
        let room = &shared.room;
        let meeting_url = format!("{ws}/ws/{room}/meeting?token={token}");
        let draft_url = format!("{ws}/ws/{room}/draft?token={token}");
        let (meeting, draft) =
            tokio::try_join!(client::connect(&meeting_url), client::connect(&draft_url))?;
        sockets.push(meeting);
        sockets.push(draft);
    }
    let (mut first, mut second) = {
        let mut it = sockets.into_iter();
        (it.next(), it.next())
    };
    let doc = client::doc(None);
    let mut stepped = [false, false];
    let mut synced_us = 0u64;
    let mut permit = Some(permit);
    let mut kept: Vec<(u64, Bytes)> = Vec::new();
    let mut keep_alive = tokio::time::interval(client::KEEP_ALIVE);
    keep_alive.tick().await;
    loop {
        let (socket, next) = tokio::select! {
            next = async { first.as_mut().unwrap().next().await } => (0, next),
            next = async { second.as_mut().unwrap().next().await }, if second.is_some() => (1, next),
            _ = keep_alive.tick(), if hocuspocus => {
                let ws = first.as_mut().unwrap();
                for name in &names {
                    let frame = addressed(name, &client::STATELESS_EMPTY);
                    ws.send(WsMessage::Binary(frame.into())).await?;
                }
                continue;
            }
            _ = stop.changed() => break,
            _ = tokio::time::sleep(WAIT), if synced_us == 0 => bail!("not synced within {WAIT:?}"),
        };
        let frame = match next {
            Some(Ok(WsMessage::Binary(b))) => b,
            Some(Ok(WsMessage::Close(c))) => bail!("closed by the server: {c:?}"),
            Some(Ok(_)) => continue,
            Some(Err(e)) => bail!("connection lost: {e}"),
            None => bail!("connection ended"),
        };
        // Which room, and where its y-sync message starts.
        let (room, body) = if hocuspocus {
            let (name, at) = split_address(&frame).context("a frame without an address")?;
            let room = names
                .iter()
                .position(|n| n == name)
                .context("a frame for another document")?;
            (room, frame.slice(at..))
        } else {
            (socket, frame)
        };
        match (body.first(), body.get(1)) {
            // The server's sync step 1: nothing to give.
            (Some(0), Some(0)) => {
                let answer = empty_step2();
                let out = if hocuspocus {
                    addressed(&names[room], &answer)
                } else {
                    answer
                };
                let ws = if socket == 0 { &mut first } else { &mut second };
                ws.as_mut()
                    .unwrap()
                    .send(WsMessage::Binary(out.into()))
                    .await?;
            }
            (Some(0), Some(step @ (1 | 2))) => {
                if synced_us > 0 {
                    if room == 1 {
                        let at = now_us();
                        shared.last_frame_us.fetch_max(at, Ordering::Relaxed);
                        kept.push((at, body));
                    }
                    continue;
                }
                if *step == 1 {
                    stepped[room] = true;
                }
                if room == 1
                    && let Some(u) = client::update_of(&body)
                {
                    doc.transact_mut().apply_update(Update::decode_v1(&u)?)?;
                }
                if stepped == [true, true] && draft_text(&doc) == shared.expected {
                    synced_us = start.elapsed().as_micros().max(1) as u64;
                    shared.synced.fetch_add(1, Ordering::AcqRel);
                    shared.last_synced_us.fetch_max(now_us(), Ordering::AcqRel);
                    permit = None;
                }
            }
            // Hocuspocus: permission denied.
            (Some(2), Some(1)) if hocuspocus => bail!("refused by the server"),
            _ => {}
        }
    }
    drop(permit);
    Ok(Observed {
        frames: kept,
        synced_us,
        joined_us,
    })
}

impl Part {
    /// Runs one process's observers, speaking to the generator through
    /// stdin and stdout (one JSON line each way per step).
    pub async fn run(self) -> anyhow::Result<()> {
        let expected = std::fs::read_to_string(&self.expected)?;
        let mut lines = BufReader::new(tokio::io::stdin()).lines();
        let mut out = tokio::io::stdout();
        // Wait for the word to start.
        if lines.next_line().await?.is_none() {
            return Ok(());
        }
        let shared = Arc::new(Shared {
            kind: self.kind.clone(),
            url: self.url.clone(),
            room: self.room.clone(),
            invite: self.invite.clone(),
            expected,
            synced: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
            last_synced_us: AtomicU64::new(0),
            last_frame_us: AtomicU64::new(0),
            first_error: std::sync::Mutex::new(None),
        });
        let gate = Arc::new(Semaphore::new(self.concurrency.max(1)));
        let (stop_tx, stop) = watch::channel(false);
        let tasks: Vec<_> = (0..self.observers)
            .map(|i| {
                let shared = shared.clone();
                let run = observe(shared.clone(), i, gate.clone(), stop.clone());
                tokio::spawn(async move {
                    let r = run.await;
                    if let Err(e) = &r {
                        shared.failed.fetch_add(1, Ordering::AcqRel);
                        let mut first = shared.first_error.lock().unwrap();
                        first.get_or_insert_with(|| format!("{e:#}"));
                    }
                    r
                })
            })
            .collect();
        let deadline = Instant::now() + Duration::from_secs_f64(self.time_cap_secs);
        loop {
            let done =
                shared.synced.load(Ordering::Acquire) + shared.failed.load(Ordering::Acquire);
            if done >= self.observers || Instant::now() > deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let synced_report = Synced {
            synced: shared.synced.load(Ordering::Acquire),
            failed: shared.failed.load(Ordering::Acquire),
            last_synced_unix_us: shared.last_synced_us.load(Ordering::Acquire),
            error: shared.first_error.lock().unwrap().clone(),
        };
        // Each observer's sync and join times are read from its task at the
        // end; the storm's report goes now, the generator is waiting for it.
        let line = serde_json::to_string(&synced_report)? + "\n";
        out.write_all(line.as_bytes()).await?;
        out.flush().await?;

        let sent: Option<Sent> = match lines.next_line().await? {
            Some(l) => Some(serde_json::from_str(&l)?),
            None => None,
        };
        if let Some(sent) = &sent {
            // Until no draft frame came for 1.5 s after the last keystroke.
            let typed_at = sent.sent.last().map_or(0, |s| s.1);
            let cap = Instant::now() + Duration::from_secs(120);
            loop {
                tokio::time::sleep(Duration::from_millis(100)).await;
                let last = shared.last_frame_us.load(Ordering::Acquire).max(typed_at);
                if now_us().saturating_sub(last) > 1_500_000 || Instant::now() > cap {
                    break;
                }
            }
        }
        stop_tx.send_replace(true);
        let mut latencies: Vec<u64> = Vec::new();
        let mut syncs: Vec<u64> = Vec::new();
        let mut joins: Vec<u64> = Vec::new();
        let mut delivered_all = true;
        let mut failed = 0;
        for t in tasks {
            let Observed {
                frames,
                synced_us,
                joined_us,
            } = match t.await? {
                Ok(r) => r,
                Err(_) => {
                    failed += 1;
                    delivered_all = false;
                    continue;
                }
            };
            syncs.push(synced_us);
            joins.push(joined_us);
            let Some(sent) = &sent else { continue };
            let mut k = 0;
            let mut last = 0u32;
            for (at, body) in frames {
                let Some(u) = client::update_of(&body) else {
                    continue;
                };
                let clock = client::reach(&Update::decode_v1(&u)?, self.writer);
                if clock > last {
                    while k < sent.sent.len() && sent.sent[k].0 <= clock {
                        latencies.push(at.saturating_sub(sent.sent[k].1));
                        k += 1;
                    }
                    last = clock;
                } else if clock != 0 && clock < last {
                    delivered_all = false;
                }
            }
            delivered_all &= k == sent.sent.len();
        }
        latencies.sort_unstable();
        syncs.sort_unstable();
        joins.sort_unstable();
        let typed = Typed {
            sync_p50_ms: percentile_ms(&syncs, 0.5),
            sync_max_ms: percentile_ms(&syncs, 1.0),
            join_p50_ms: percentile_ms(&joins, 0.5),
            join_max_ms: percentile_ms(&joins, 1.0),
            p50_ms: percentile_ms(&latencies, 0.50),
            p99_ms: percentile_ms(&latencies, 0.99),
            max_ms: percentile_ms(&latencies, 1.0),
            received: latencies.len(),
            delivered_all: delivered_all && sent.is_some(),
            failed,
        };
        let line = serde_json::to_string(&typed)? + "\n";
        out.write_all(line.as_bytes()).await?;
        out.flush().await?;
        Ok(())
    }
}

/// The writer: its socket (reading everything it is sent, answering a
/// sync step 1), its document and the clause it types into.
struct Writer {
    client_id: u64,
    doc: yrs::Doc,
    text: yrs::TextRef,
    /// Frames to send (already addressed for Hocuspocus).
    out: mpsc::UnboundedSender<Vec<u8>>,
    /// The Hocuspocus draft's name (None: Draftroom).
    address: Option<String>,
}

/// What a run on Draftroom or Hocuspocus needs of the meeting.
struct Room {
    /// Draftroom: the meeting's id; Hocuspocus: the documents' suffix.
    id: String,
    /// Draftroom: the observer invite.
    invite: String,
}

impl Writer {
    /// Makes the meeting (Draftroom) and has its writer write the draft.
    async fn start(servers: &Servers, label: &str) -> anyhow::Result<(Writer, Room, String)> {
        let client_id = u64::from(crate::fanout::rand_u32());
        let (doc, update, expected) = draft(client_id)?;
        let text = client::first_clause(&doc).context("the first clause")?;
        let (ws, room, address) = match servers {
            Servers::Draftroom(urls) => {
                let created = post(
                    &urls[0],
                    "/api/meetings",
                    serde_json::json!({"title": format!("Sesja miejska — {label}"), "moderator_name": "Moderatorka"}),
                )
                .await?;
                let id = created["id"].as_str().context("meeting id")?.to_owned();
                let token = created["moderator_token"].as_str().context("token")?;
                let ws = urls[0].replacen("http", "ws", 1);
                let ws = client::connect(&format!("{ws}/ws/{id}/draft?token={token}")).await?;
                let invite = created["observer_invite"]
                    .as_str()
                    .context("observer invite")?
                    .to_owned();
                (ws, Room { id, invite }, None)
            }
            Servers::Hocuspocus(urls) => {
                let suffix = format!("{label}-{}-{client_id}", std::process::id());
                let name = hocuspocus_docs(&suffix)[1].clone();
                let mut ws = client::connect_quiet(&urls[0]).await?;
                ws.send(WsMessage::Binary(
                    addressed(&name, &hocuspocus_auth("writer")).into(),
                ))
                .await?;
                ws.send(WsMessage::Binary(addressed(&name, &sync_step1()).into()))
                    .await?;
                let room = Room {
                    id: suffix,
                    invite: String::new(),
                };
                (ws, room, Some(name))
            }
        };
        let (out, mut outgoing) = mpsc::unbounded_channel::<Vec<u8>>();
        let (mut sink, mut stream) = ws.split();
        let answer = out.clone();
        let answer_address = address.clone();
        tokio::spawn(async move {
            while let Some(frame) = outgoing.recv().await {
                if sink.send(WsMessage::Binary(frame.into())).await.is_err() {
                    break;
                }
            }
        });
        tokio::spawn(async move {
            while let Some(Ok(msg)) = stream.next().await {
                let WsMessage::Binary(frame) = msg else {
                    continue;
                };
                let at = match &answer_address {
                    Some(_) => split_address(&frame).map_or(0, |(_, at)| at),
                    None => 0,
                };
                if frame.get(at..at + 2) == Some(&[0, 0]) {
                    let step2 = empty_step2();
                    let _ = answer.send(match &answer_address {
                        Some(name) => addressed(name, &step2),
                        None => step2,
                    });
                }
            }
        });
        let writer = Writer {
            client_id,
            doc,
            text,
            out,
            address,
        };
        writer.send_update(update)?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        Ok((writer, room, expected))
    }

    fn send_update(&self, update: Vec<u8>) -> anyhow::Result<()> {
        let msg = Message::Sync(SyncMessage::Update(update)).encode_v1();
        let frame = match &self.address {
            Some(name) => addressed(name, &msg),
            None => msg,
        };
        self.out.send(frame).context("the writer's socket is gone")
    }

    /// Types `keystrokes` characters at `rate` per second at the end of the
    /// first clause; what was sent when.
    async fn type_at(&self, keystrokes: usize, rate: f64) -> anyhow::Result<Sent> {
        let phrase: Vec<char> = "Kraków — miasto współodpowiedzialnych mieszkańców 🏛️. "
            .chars()
            .collect();
        let pace = Duration::from_secs_f64(1.0 / rate);
        let start = Instant::now();
        let mut sent = Vec::with_capacity(keystrokes);
        for i in 0..keystrokes {
            tokio::time::sleep_until((start + pace * i as u32).into()).await;
            let update = {
                let mut txn = self.doc.transact_mut();
                let len = self.text.len(&txn);
                self.text
                    .insert(&mut txn, len, &phrase[i % phrase.len()].to_string());
                txn.encode_update_v1()
            };
            let clock = self
                .doc
                .transact()
                .state_vector()
                .get(&ClientID::new(self.client_id));
            sent.push((clock, now_us()));
            self.send_update(update)?;
        }
        Ok(Sent { sent })
    }
}

/// A child process running one process's observers.
struct Child {
    child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
}

impl Child {
    fn spawn(part: &[String]) -> anyhow::Result<Child> {
        let mut child = tokio::process::Command::new(std::env::current_exe()?)
            .arg("cluster-part")
            .args(part)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()?;
        let stdin = child.stdin.take().context("stdin")?;
        let stdout = child.stdout.take().context("stdout")?;
        Ok(Child {
            child,
            stdin,
            lines: BufReader::new(stdout).lines(),
        })
    }

    async fn say(&mut self, line: &str) -> anyhow::Result<()> {
        self.stdin.write_all(format!("{line}\n").as_bytes()).await?;
        self.stdin.flush().await?;
        Ok(())
    }

    async fn hear<T: serde::de::DeserializeOwned>(&mut self) -> anyhow::Result<T> {
        let line = self
            .lines
            .next_line()
            .await?
            .context("an observers' process ended early")?;
        Ok(serde_json::from_str(&line)?)
    }
}

/// Peak resident memory of each process, sampled until dropped.
struct Sampler {
    peaks: Arc<Vec<AtomicU64>>,
    task: tokio::task::JoinHandle<()>,
}

impl Sampler {
    fn start(pids: &[u32]) -> Sampler {
        let peaks: Arc<Vec<AtomicU64>> = Arc::new(pids.iter().map(|_| AtomicU64::new(0)).collect());
        let pids = pids.to_vec();
        let task = {
            let peaks = peaks.clone();
            tokio::spawn(async move {
                loop {
                    for (p, peak) in pids.iter().zip(peaks.iter()) {
                        peak.fetch_max(proc::rss_kib(*p), Ordering::Relaxed);
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            })
        };
        Sampler { peaks, task }
    }

    fn stop(self) -> Vec<u64> {
        self.task.abort();
        self.peaks
            .iter()
            .map(|p| p.load(Ordering::Relaxed))
            .collect()
    }
}

fn cpu(pids: &[u32]) -> Vec<f64> {
    pids.iter().map(|p| proc::cpu_seconds(*p)).collect()
}

/// Runs the flow for `n` observers at each process.
async fn run(args: &Args, n: usize) -> anyhow::Result<Row> {
    let urls = args.servers.urls();
    let label = format!("{}x{n}", urls.len());
    let (writer, room, expected) = Writer::start(&args.servers, &label).await?;
    let expected_file = tempfile_with(&expected)?;
    let mut parts = Vec::new();
    for url in urls {
        parts.push(Child::spawn(&[
            "--kind".into(),
            args.servers.name().into(),
            "--url".into(),
            url.clone(),
            "--room".into(),
            room.id.clone(),
            "--invite".into(),
            room.invite.clone(),
            "--observers".into(),
            n.to_string(),
            "--concurrency".into(),
            args.concurrency.to_string(),
            "--writer".into(),
            writer.client_id.to_string(),
            "--expected".into(),
            expected_file.display().to_string(),
            "--time-cap-secs".into(),
            args.time_cap_secs.to_string(),
        ])?);
    }
    let sampler = Sampler::start(&args.server_pids);
    let redis = args.redis_pid.map(proc::cpu_seconds);
    let cpu0 = cpu(&args.server_pids);
    let go = now_us();
    for p in &mut parts {
        p.say("go").await?;
    }
    let mut synced: Vec<Synced> = Vec::new();
    for p in &mut parts {
        synced.push(p.hear().await?);
    }
    let cpu1 = cpu(&args.server_pids);
    let finished = synced.iter().all(|s| s.synced == n && s.failed == 0);
    for (i, s) in synced.iter().enumerate() {
        if let Some(e) = &s.error {
            eprintln!("  process {i}: an observer failed: {e}");
        }
    }
    let typing = if finished {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let sent = writer.type_at(args.keystrokes, args.rate).await?;
        let line = serde_json::to_string(&sent)?;
        for p in &mut parts {
            p.say(&line).await?;
        }
        true
    } else {
        false
    };
    let mut typed: Vec<Option<Typed>> = Vec::new();
    for p in &mut parts {
        typed.push(if typing { Some(p.hear().await?) } else { None });
    }
    let cpu2 = cpu(&args.server_pids);
    let redis_cpu = args
        .redis_pid
        .zip(redis)
        .map(|(p, before)| proc::cpu_seconds(p) - before);
    let peaks = sampler.stop();
    for mut p in parts {
        drop(p.stdin);
        let _ = tokio::time::timeout(Duration::from_secs(10), p.child.wait()).await;
    }
    let _ = std::fs::remove_file(&expected_file);

    let per_process: Vec<ProcessRow> = synced
        .iter()
        .zip(&typed)
        .enumerate()
        .map(|(i, (s, t))| {
            let ms = |f: fn(&Typed) -> f64| t.as_ref().map_or(0.0, f);
            ProcessRow {
                process: i,
                writer_here: i == 0,
                synced: s.synced,
                failed: s.failed + t.as_ref().map_or(0, |t| t.failed),
                all_synced_s: (s.synced == n)
                    .then(|| s.last_synced_unix_us.saturating_sub(go) as f64 / 1e6),
                sync_p50_ms: ms(|t| t.sync_p50_ms),
                sync_max_ms: ms(|t| t.sync_max_ms),
                join_p50_ms: ms(|t| t.join_p50_ms),
                join_max_ms: ms(|t| t.join_max_ms),
                p50_ms: t.as_ref().map(|t| t.p50_ms),
                p99_ms: t.as_ref().map(|t| t.p99_ms),
                max_ms: t.as_ref().map(|t| t.max_ms),
                delivered_all: t.as_ref().is_some_and(|t| t.delivered_all),
                rss_peak_mib: peaks.get(i).copied().map_or(0.0, mib),
                cpu_storm_s: cpu1.get(i).zip(cpu0.get(i)).map_or(0.0, |(b, a)| b - a),
                cpu_typing_s: cpu2.get(i).zip(cpu1.get(i)).map_or(0.0, |(b, a)| b - a),
            }
        })
        .collect();
    let extra = |f: fn(&ProcessRow) -> Option<f64>| -> Option<f64> {
        let own = f(per_process.first()?)?;
        let others: Vec<f64> = per_process.iter().skip(1).filter_map(f).collect();
        (!others.is_empty()).then(|| others.iter().sum::<f64>() / others.len() as f64 - own)
    };
    Ok(Row {
        scenario: "cluster",
        server: args.servers.name(),
        label: args.label.clone(),
        processes: urls.len(),
        observers_per_process: n,
        finished,
        all_synced_s: per_process
            .iter()
            .map(|p| p.all_synced_s)
            .collect::<Option<Vec<f64>>>()
            .and_then(|v| v.into_iter().reduce(f64::max)),
        keystrokes: args.keystrokes,
        rate: args.rate,
        other_process_extra_p50_ms: extra(|p| p.p50_ms),
        other_process_extra_p99_ms: extra(|p| p.p99_ms),
        rss_peak_total_mib: per_process.iter().map(|p| p.rss_peak_mib).sum(),
        cpu_storm_total_s: per_process.iter().map(|p| p.cpu_storm_s).sum(),
        cpu_typing_total_s: per_process.iter().map(|p| p.cpu_typing_s).sum(),
        redis_cpu_s: redis_cpu,
        per_process,
    })
}

/// A file in the temporary directory holding `text`.
fn tempfile_with(text: &str) -> anyhow::Result<PathBuf> {
    let path = std::env::temp_dir().join(format!(
        "draftroom-load-{}-{}.txt",
        std::process::id(),
        now_us()
    ));
    std::fs::write(&path, text)?;
    Ok(path)
}

impl Args {
    /// Runs the flow for each N and prints the figures.
    pub async fn run(self) -> anyhow::Result<()> {
        if !self.server_pids.is_empty() && self.server_pids.len() != self.servers.urls().len() {
            bail!("--server-pids must name one process per server");
        }
        let mut rows = Vec::new();
        for &n in &self.observers {
            let r = run(&self, n).await?;
            println!(
                "{} on {} processes, {} observers each: all synced {}; server RSS peak {:.0} MiB in all, CPU {:.1} s storm + {:.1} s typing{}",
                r.server,
                r.processes,
                n,
                r.all_synced_s
                    .map_or("NOT within the cap".to_owned(), |s| format!(
                        "after {s:.2} s"
                    )),
                r.rss_peak_total_mib,
                r.cpu_storm_total_s,
                r.cpu_typing_total_s,
                r.redis_cpu_s
                    .map_or(String::new(), |c| format!("; Redis CPU {c:.1} s")),
            );
            println!(
                "  {:<8} {:>7} {:>8} {:>12} {:>16} {:>16} {:>9} {:>9} {:>9} {:>5} {:>8} {:>12}",
                "process",
                "writer",
                "synced",
                "all synced s",
                "join p50/max ms",
                "sync p50/max ms",
                "p50 ms",
                "p99 ms",
                "max ms",
                "all",
                "RSS MiB",
                "CPU s"
            );
            for p in &r.per_process {
                let ms = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.1}"));
                println!(
                    "  {:<8} {:>7} {:>8} {:>12} {:>16} {:>16} {:>9} {:>9} {:>9} {:>5} {:>8.0} {:>12}",
                    p.process,
                    if p.writer_here { "yes" } else { "" },
                    p.synced,
                    p.all_synced_s.map_or("-".to_owned(), |s| format!("{s:.2}")),
                    format!("{:.0}/{:.0}", p.join_p50_ms, p.join_max_ms),
                    format!("{:.0}/{:.0}", p.sync_p50_ms, p.sync_max_ms),
                    ms(p.p50_ms),
                    ms(p.p99_ms),
                    ms(p.max_ms),
                    if p.delivered_all { "yes" } else { "NO" },
                    p.rss_peak_mib,
                    format!("{:.1}+{:.1}", p.cpu_storm_s, p.cpu_typing_s),
                );
            }
            if let (Some(a), Some(b)) = (r.other_process_extra_p50_ms, r.other_process_extra_p99_ms)
            {
                println!(
                    "  a follower on another process than the writer's: {a:+.1} ms at the median, {b:+.1} ms at p99"
                );
            }
            rows.push(r);
        }
        if let Some(path) = &self.json {
            std::fs::write(path, serde_json::to_string_pretty(&rows)?)?;
        }
        if rows
            .iter()
            .any(|r| !r.finished || r.per_process.iter().any(|p| !p.delivered_all))
        {
            std::process::exit(1);
        }
        Ok(())
    }
}
