//! Soak for leaks: thousands of connect, type, disconnect cycles across many
//! meetings, each cycle a new browser tab (a new Yjs client), with the
//! server's rooms unloading and loading again between uses (run it with a
//! short `--room-idle-secs`). The server's resident memory and open file
//! descriptors are sampled twice a second; after a settling pause both must
//! be back near where they were after the first round of cycles. At the
//! end every meeting must hold every character typed into it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{
    Array, Doc, GetString, Map, MapPrelim, ReadTxn, Text, TextPrelim, Transact, Update, WriteTxn,
};

use crate::client::{self, Ws};
use crate::common::Common;
use crate::proc;
use crate::target::Target;

/// Connect, type, disconnect cycles over many meetings: memory and
/// descriptors must come back (Draftroom only).
///
/// Thousands of connect, type, disconnect cycles across many meetings, in
/// rounds with a pause after each for the rooms to unload (run the server
/// with a short `--room-idle-secs`): the server's memory and descriptors
/// are sampled twice a second and must come back after settling; every
/// meeting must hold every character typed into it.
#[derive(Debug, clap::Args)]
#[command(mut_arg("server_pid", |a| a.required(true)))]
pub struct Args {
    /// Connect, type, disconnect cycles in all.
    #[arg(long, value_name = "N", default_value_t = 3000)]
    pub cycles: usize,
    /// Meetings they are spread over.
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub meetings: usize,
    /// Cycles running at once.
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub workers: usize,
    /// Keystrokes per cycle.
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub keystrokes: usize,
    /// Seconds to wait after the last cycle, for rooms to unload.
    #[arg(long, value_name = "SECS", default_value_t = 8)]
    pub settle_secs: u64,
    /// Rounds the cycles come in, with a pause after each for every room
    /// to unload.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub rounds: usize,
    /// Each cycle a new Yjs client (a new client ID, which the meeting
    /// records for good), instead of one of a fixed set per meeting and
    /// worker coming back: yes or no (true/false, 1/0); `--new-clients`
    /// alone means yes.
    #[arg(
        long,
        value_name = "YES|NO",
        hide_possible_values = true,
        num_args = 0..=1,
        default_value_t = false,
        default_missing_value = "true",
        action = clap::ArgAction::Set,
        value_parser = clap::builder::BoolishValueParser::new(),
    )]
    pub new_clients: bool,
    /// The server under test and where the figures go.
    #[command(flatten)]
    pub common: Common,
}

/// What a soak run is asked to do.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Connect, type, disconnect cycles in all.
    pub cycles: usize,
    /// Meetings they are spread over.
    pub meetings: usize,
    /// Cycles running at once.
    pub workers: usize,
    /// Keystrokes per cycle.
    pub keystrokes: usize,
    /// Seconds to wait after the last cycle, for rooms to unload.
    pub settle_secs: u64,
    /// Rounds the cycles come in, with a pause after each long enough for
    /// every room to unload: each room loads and unloads this many times.
    pub rounds: usize,
    /// The server process, for memory and descriptors.
    pub server_pid: u32,
    /// Whether each tab is a new Yjs client (a new client ID, which the
    /// meeting records for good) or one of a fixed set per meeting and
    /// worker (the same participants coming back), so that what the server
    /// holds stops growing except for the text.
    pub new_clients: bool,
}

/// One sample of the server.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    /// Seconds since the start.
    pub t: f64,
    /// Resident memory, MiB.
    pub rss_mib: f64,
    /// Open file descriptors.
    pub fds: u64,
    /// Cycles finished by then.
    pub cycles: u64,
}

/// What a soak run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Server name.
    pub server: &'static str,
    /// Cycles run.
    pub cycles: usize,
    /// Meetings.
    pub meetings: usize,
    /// Seconds the cycles took.
    pub cycles_s: f64,
    /// After the first tenth of the cycles (warm: every room loaded once).
    pub rss_warm_mib: f64,
    /// Highest seen.
    pub rss_peak_mib: f64,
    /// After settling.
    pub rss_end_mib: f64,
    /// Descriptors after the first tenth of the cycles.
    pub fds_warm: u64,
    /// Highest seen.
    pub fds_peak: u64,
    /// After settling.
    pub fds_end: u64,
    /// Every meeting holds every character typed into it.
    pub all_present: bool,
    /// The curve.
    pub samples: Vec<Sample>,
}

/// Letters typed, Polish ones and an emoji among them.
const LETTERS: &[&str] = &["a", "ż", "ó", "ł", " ", "🙂"];

fn fds(pid: u32) -> u64 {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count() as u64)
        .unwrap_or(0)
}

/// Reads frames until the server's sync step 2, and applies it to `doc`.
async fn synced(ws: &mut Ws, doc: &Doc) -> anyhow::Result<()> {
    loop {
        let frame = client::next_frame(ws, Duration::from_secs(20)).await?;
        if let Ok(Message::Sync(SyncMessage::SyncStep2(u))) = Message::decode_v1(&frame) {
            doc.transact_mut().apply_update(Update::decode_v1(&u)?)?;
            return Ok(());
        }
    }
}

/// One cycle: a new tab connects to the meeting's draft, syncs, types, makes
/// sure the server has it all durably (a sync step 1, whose answer comes
/// once what it shows is durable) and leaves. Answers the UTF-16 units typed.
async fn cycle(url: &str, keystrokes: usize, n: usize, client: Option<u64>) -> anyhow::Result<u64> {
    let mut ws = client::connect(url).await?;
    let doc = client::doc(client);
    synced(&mut ws, &doc).await?;
    let mut typed = 0u64;
    let mut send = Vec::new();
    if client::first_clause(&doc).is_none() {
        let before = doc.transact().state_vector();
        {
            let mut txn = doc.transact_mut();
            let clauses = txn.get_or_insert_array("clauses");
            let clause = clauses.push_back(&mut txn, MapPrelim::default());
            clause.insert(&mut txn, "id", format!("soak-{n}"));
            clause.insert(&mut txn, "text", TextPrelim::new(""));
        }
        send.push(doc.transact().encode_state_as_update_v1(&before));
    }
    let text = client::first_clause(&doc).context("a clause")?;
    for k in 0..keystrokes {
        let letter = LETTERS[(n + k) % LETTERS.len()];
        let before = doc.transact().state_vector();
        {
            let mut txn = doc.transact_mut();
            let at = text.len(&txn);
            text.insert(&mut txn, at, letter);
        }
        typed += letter.encode_utf16().count() as u64;
        send.push(doc.transact().encode_state_as_update_v1(&before));
    }
    for update in send {
        let frame = Message::Sync(SyncMessage::Update(update)).encode_v1();
        ws.send(WsMessage::Binary(frame.into())).await?;
    }
    let sv = doc.transact().state_vector();
    let step1 = Message::Sync(SyncMessage::SyncStep1(sv)).encode_v1();
    ws.send(WsMessage::Binary(step1.into())).await?;
    loop {
        let frame = client::next_frame(&mut ws, Duration::from_secs(20)).await?;
        if let Some(denied) = denial(&frame) {
            bail!("a change was refused: {denied}");
        }
        if matches!(
            Message::decode_v1(&frame),
            Ok(Message::Sync(SyncMessage::SyncStep2(_)))
        ) {
            break;
        }
    }
    ws.close(None).await?;
    while let Some(Ok(_)) = ws.next().await {}
    Ok(typed)
}

fn denial(frame: &[u8]) -> Option<String> {
    match Message::decode_v1(frame).ok()? {
        Message::Auth(reason) => reason,
        _ => None,
    }
}

/// Every clause's text of a meeting's draft, as a new client sees it.
async fn draft_len(url: &str) -> anyhow::Result<u64> {
    let mut ws = client::connect(url).await?;
    let doc = client::doc(None);
    synced(&mut ws, &doc).await?;
    let _ = ws.close(None).await;
    let txn = doc.transact();
    let Some(clauses) = txn.get_array("clauses") else {
        return Ok(0);
    };
    let mut len = 0;
    for value in clauses.iter(&txn) {
        let Ok(map) = value.cast::<yrs::MapRef>() else {
            continue;
        };
        if let Some(Ok(text)) = map.get(&txn, "text").map(|t| t.cast::<yrs::TextRef>()) {
            len += text.get_string(&txn).encode_utf16().count() as u64;
        }
    }
    Ok(len)
}

/// Runs the soak against `target` (Draftroom only: it needs meetings).
pub async fn run(target: &Target, plan: &Plan) -> anyhow::Result<Row> {
    let mut urls = Vec::with_capacity(plan.meetings);
    for i in 0..plan.meetings {
        urls.push(target.new_room(&format!("soak {i}")).await?.writer.url);
    }
    let urls = Arc::new(urls);
    let typed: Arc<Vec<AtomicU64>> =
        Arc::new((0..plan.meetings).map(|_| AtomicU64::new(0)).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let pid = plan.server_pid;
    let start = Instant::now();
    let samples = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sampler = {
        let (done, samples) = (done.clone(), samples.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(500));
            loop {
                tick.tick().await;
                samples.lock().expect("samples").push(Sample {
                    t: start.elapsed().as_secs_f64(),
                    rss_mib: proc::rss_kib(pid) as f64 / 1024.0,
                    fds: fds(pid),
                    cycles: done.load(Ordering::Relaxed),
                });
            }
        })
    };
    let warm_at = (plan.cycles / 10).max(1) as u64;
    let warm = Arc::new(std::sync::Mutex::new(None::<(f64, u64)>));
    let per_round = plan.cycles.div_ceil(plan.rounds.max(1));
    for round in 0..plan.rounds.max(1) {
        let end = ((round + 1) * per_round).min(plan.cycles);
        let mut workers = Vec::new();
        for w in 0..plan.workers {
            let (urls, typed, next, done, warm) = (
                urls.clone(),
                typed.clone(),
                next.clone(),
                done.clone(),
                warm.clone(),
            );
            let (keystrokes, meetings, new_clients) =
                (plan.keystrokes, plan.meetings, plan.new_clients);
            let pool = plan.workers;
            workers.push(tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= end {
                        next.fetch_min(end, Ordering::Relaxed);
                        return anyhow::Ok(());
                    }
                    let m = n % meetings;
                    // A worker's cycles run one after another, so a client ID
                    // of (meeting, worker) is never used twice at once.
                    let client = (!new_clients).then(|| 1_000_000 + (m * pool + w) as u64);
                    let units = cycle(&urls[m], keystrokes, n, client)
                        .await
                        .with_context(|| format!("cycle {n}"))?;
                    typed[m].fetch_add(units, Ordering::Relaxed);
                    if done.fetch_add(1, Ordering::Relaxed) + 1 == warm_at {
                        *warm.lock().expect("warm") =
                            Some((proc::rss_kib(pid) as f64 / 1024.0, fds(pid)));
                    }
                }
            }));
        }
        for w in workers {
            w.await??;
        }
        // Long enough for every room (and meeting) to unload.
        tokio::time::sleep(Duration::from_millis(2500)).await;
    }
    let cycles_s = start.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(plan.settle_secs)).await;
    let (rss_end, fds_end) = (proc::rss_kib(pid) as f64 / 1024.0, fds(pid));
    sampler.abort();
    let samples = std::mem::take(&mut *samples.lock().expect("samples"));
    // Every character typed is there, in rooms loaded again from the store.
    let mut all_present = true;
    for (m, url) in urls.iter().enumerate() {
        let have = draft_len(url).await?;
        let want = typed[m].load(Ordering::Relaxed);
        if have != want {
            eprintln!("meeting {m}: {have} UTF-16 units in the draft, {want} typed");
            all_present = false;
        }
    }
    let (rss_warm, fds_warm) = warm.lock().expect("warm").unwrap_or((0.0, 0));
    Ok(Row {
        server: target.name(),
        cycles: plan.cycles,
        meetings: plan.meetings,
        cycles_s,
        rss_warm_mib: rss_warm,
        rss_peak_mib: samples.iter().map(|s| s.rss_mib).fold(0.0, f64::max),
        rss_end_mib: rss_end,
        fds_warm,
        fds_peak: samples.iter().map(|s| s.fds).max().unwrap_or(0),
        fds_end,
        all_present,
        samples,
    })
}

impl Args {
    /// Runs the soak and prints what the server came back to.
    pub async fn run(self) -> anyhow::Result<()> {
        let plan = Plan {
            cycles: self.cycles,
            meetings: self.meetings,
            workers: self.workers,
            keystrokes: self.keystrokes,
            settle_secs: self.settle_secs,
            rounds: self.rounds,
            new_clients: self.new_clients,
            server_pid: self.common.server_pid.context("--server-pid is required")?,
        };
        let row = run(&self.common.target, &plan).await?;
        println!(
            "{}: {} cycles over {} meetings in {:.1} s; RSS warm {:.1} MiB, peak {:.1}, after settling {:.1}; descriptors warm {}, peak {}, after settling {}; every character present: {}",
            row.server,
            row.cycles,
            row.meetings,
            row.cycles_s,
            row.rss_warm_mib,
            row.rss_peak_mib,
            row.rss_end_mib,
            row.fds_warm,
            row.fds_peak,
            row.fds_end,
            if row.all_present { "yes" } else { "NO" }
        );
        self.common.write_json(&row)?;
        if !row.all_present {
            bail!("characters typed in the soak are missing");
        }
        Ok(())
    }
}
