//! Fan-out: one writer types into one clause at a steady rate while N
//! read-only followers watch. Latency is measured from the writer's send of
//! a keystroke to each follower's receipt of it; at the end every follower
//! must have received every keystroke, in order, and a sample of followers
//! must hold exactly the writer's text.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Serialize;
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{
    Array, ClientID, GetString, Map, MapPrelim, ReadTxn, Text, TextPrelim, TextRef, Transact,
    Update, WriteTxn,
};

use crate::client::{self, Endpoint, Link};
use crate::common::{self, Common};
use crate::proc;
use crate::target::Target;

/// One writer, N read-only followers: latency, throughput, server CPU and
/// memory.
///
/// One writer types into one clause at a steady rate while N read-only
/// followers watch: the latency from the writer's send to each follower,
/// the frames relayed, the server's CPU and memory. Every follower must get
/// every keystroke, in order.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Read-only followers; a comma-separated list runs one room after
    /// another, one table row each.
    #[arg(long, value_name = "N[,N...]", value_delimiter = ',', value_parser = common::count, default_value = "100")]
    pub followers: Vec<usize>,
    /// Keystrokes the writer types.
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub keystrokes: usize,
    /// Keystrokes per second.
    #[arg(long, value_name = "PER_SEC", default_value_t = 20.0)]
    pub rate: f64,
    /// Extra followers, as a percentage of N, that sync and then stop
    /// reading; the figures are the other followers'.
    #[arg(long, value_name = "PERCENT", default_value_t = 0.0)]
    pub slow_percent: f64,
    /// The server under test and where the figures go.
    #[command(flatten)]
    pub common: Common,
}

/// What a fan-out run is asked to do.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Read-only followers.
    pub followers: usize,
    /// Keystrokes the writer types.
    pub keystrokes: usize,
    /// Keystrokes per second.
    pub rate: f64,
    /// The server's process, for CPU and memory.
    pub server_pid: Option<u32>,
    /// Followers that also keep a full document, to check the text.
    pub checkers: usize,
    /// Extra followers that sync, then stop reading (not in the figures).
    pub slow: usize,
}

/// One row of results.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Always "fanout".
    pub scenario: &'static str,
    /// The server measured.
    pub server: &'static str,
    /// Followers.
    pub followers: usize,
    /// Keystrokes typed.
    pub keystrokes: usize,
    /// Median latency, ms.
    pub p50_ms: f64,
    /// 99th percentile latency, ms.
    pub p99_ms: f64,
    /// Worst latency, ms.
    pub max_ms: f64,
    /// Frames received by all followers per second while typing.
    pub frames_per_s: f64,
    /// Keystrokes delivered to all followers per second (a frame may carry
    /// several when the server merges them for a follower that is behind).
    pub updates_per_s: f64,
    /// Server CPU while typing, % of one core.
    pub server_cpu_pct: f64,
    /// Server resident memory per idle follower connection, KiB.
    pub rss_per_conn_kib: f64,
    /// Server resident memory with all followers connected, MiB.
    pub server_rss_mib: f64,
    /// Seconds to connect and sync every follower.
    pub connect_s: f64,
    /// Every follower got every keystroke in order, and the sampled texts match.
    pub delivered_all: bool,
    /// Followers that did not get every keystroke (the server stopped
    /// sending to them, or they failed).
    pub followers_missing_keystrokes: usize,
    /// Followers that stopped reading during the run.
    pub slow_followers: usize,
    /// Server resident memory right after the typing, MiB.
    pub server_rss_after_mib: f64,
}

/// How long a follower waits for a frame before it gives up.
const WAIT: Duration = Duration::from_secs(60);

/// What a follower saw.
struct Seen {
    /// (arrival, writer clock reached), clock strictly increasing.
    arrivals: Vec<(Instant, u32)>,
    /// Frames received after sync.
    frames: usize,
    /// Whether clocks only ever grew (nothing reordered).
    in_order: bool,
    /// Why it stopped before the writer's last keystroke (it waited
    /// [`WAIT`] for a frame that did not come), if it did.
    cut_short: Option<String>,
    /// The text, for checkers.
    text: Option<String>,
}

/// Reads frames until synced (decoding, to know when), then only stamps
/// and keeps them, so that a follower costs the generator next to nothing
/// while latency is measured; everything is decoded afterwards.
async fn follow(
    url: Endpoint,
    writer: u64,
    synced_at: u32,
    mut goal: tokio::sync::watch::Receiver<u32>,
    synced: Arc<AtomicUsize>,
    check: bool,
) -> anyhow::Result<Seen> {
    let mut ws = Link::open(&url).await?;
    let mut initial: Vec<Vec<u8>> = Vec::new();
    let mut reached = 0u32;
    while reached < synced_at {
        let frame = ws.next_frame(WAIT).await?;
        if let Some(update) = client::update_of(&frame) {
            reached = reached.max(client::reach(&Update::decode_v1(&update)?, writer));
            initial.push(update);
        }
    }
    synced.fetch_add(1, Ordering::AcqRel);
    let mut raw: Vec<(Instant, bytes::Bytes)> = Vec::new();
    // Frames are kept undecoded while the writer types; once it says how far
    // it went, what came so far is looked at, and reading stops at the goal.
    let mut goal_now = u32::MAX;
    let mut cut_short = None;
    loop {
        if goal_now == u32::MAX {
            tokio::select! {
                frame = ws.next_frame(WAIT) => raw.push((Instant::now(), frame?)),
                changed = goal.changed() => {
                    changed?;
                    goal_now = *goal.borrow();
                    for (_, frame) in &raw {
                        if let Some(u) = client::update_of(frame) {
                            reached = reached.max(client::reach(&Update::decode_v1(&u)?, writer));
                        }
                    }
                }
            }
        } else {
            if reached >= goal_now {
                break;
            }
            // A follower the server stopped sending to keeps what it got.
            let frame = match ws.next_frame(WAIT).await {
                Ok(frame) => frame,
                Err(e) => {
                    cut_short = Some(format!("{e:#}"));
                    break;
                }
            };
            if let Some(u) = client::update_of(&frame) {
                reached = reached.max(client::reach(&Update::decode_v1(&u)?, writer));
            }
            raw.push((Instant::now(), frame));
        }
    }
    ws.close().await;
    let mut seen = Seen {
        arrivals: Vec::new(),
        frames: 0,
        in_order: true,
        cut_short,
        text: None,
    };
    let doc = check.then(|| client::doc(None));
    if let Some(doc) = &doc {
        for u in &initial {
            doc.transact_mut().apply_update(Update::decode_v1(u)?)?;
        }
    }
    let mut last = synced_at;
    for (at, frame) in raw {
        let Some(update) = client::update_of(&frame) else {
            continue;
        };
        seen.frames += 1;
        let decoded = Update::decode_v1(&update)?;
        let clock = client::reach(&decoded, writer);
        if let Some(doc) = &doc {
            doc.transact_mut().apply_update(decoded)?;
        }
        if clock > last {
            seen.arrivals.push((at, clock));
            last = clock;
        } else if clock != 0 && clock < last {
            seen.in_order = false;
        }
    }
    if let Some(doc) = &doc {
        seen.text = Some(client::first_clause_text(doc));
    }
    Ok(seen)
}

/// A follower that syncs, then stops reading until released, as a phone
/// whose browser went to the background does.
async fn stall(
    url: Endpoint,
    writer: u64,
    synced_at: u32,
    mut release: tokio::sync::watch::Receiver<bool>,
    synced: Arc<AtomicUsize>,
) -> anyhow::Result<()> {
    let mut ws = Link::open(&url).await?;
    client::read_until(&mut ws, writer, synced_at, WAIT).await?;
    synced.fetch_add(1, Ordering::AcqRel);
    let _ = release.wait_for(|r| *r).await;
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3
}

/// Runs one fan-out measurement.
pub async fn run(target: &Target, plan: &Plan) -> anyhow::Result<Row> {
    let urls = target
        .new_room(&format!("fanout-{}", plan.followers))
        .await?;
    let client_id = u64::from(rand_u32());
    let doc = client::doc(Some(client_id));
    let mut writer = Link::open(&urls.writer).await?;
    let (text, first) = {
        let mut txn = doc.transact_mut();
        let clauses = txn.get_or_insert_array("clauses");
        let clause = clauses.push_back(
            &mut txn,
            MapPrelim::from([
                ("id".to_owned(), yrs::In::from("c1")),
                ("text".to_owned(), yrs::In::from(TextPrelim::new("Misja: "))),
            ]),
        );
        let text: TextRef = clause
            .get(&txn, "text")
            .context("text")?
            .cast()
            .map_err(|_| anyhow::anyhow!("text is no Y.Text"))?;
        (text, txn.encode_update_v1())
    };
    writer
        .send(&Message::Sync(SyncMessage::Update(first)).encode_v1())
        .await?;
    let base_clock = doc.transact().state_vector().get(&ClientID::new(client_id));
    // The writer reads everything it is sent, as a browser would.
    let (sink, drain) = writer.split_draining();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let pid = plan.server_pid;
    let rss_base = pid.map_or(0, proc::rss_kib);
    let (goal_tx, goal) = tokio::sync::watch::channel(u32::MAX);
    let synced = Arc::new(AtomicUsize::new(0));
    let connect_start = Instant::now();
    let mut tasks = Vec::with_capacity(plan.followers);
    let mut stalled = Vec::with_capacity(plan.slow);
    let (release_tx, release) = tokio::sync::watch::channel(false);
    for i in 0..plan.followers {
        tasks.push(tokio::spawn(follow(
            urls.follower.clone(),
            client_id,
            base_clock,
            goal.clone(),
            synced.clone(),
            i < plan.checkers,
        )));
        if plan.slow > 0
            && i % (plan.followers / plan.slow).max(1) == 0
            && stalled.len() < plan.slow
        {
            stalled.push(tokio::spawn(stall(
                urls.follower.clone(),
                client_id,
                base_clock,
                release.clone(),
                synced.clone(),
            )));
        }
        // Connect in waves so the listen backlog keeps up.
        if i % 200 == 199 {
            while synced.load(Ordering::Acquire) + 400 < i {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while synced.load(Ordering::Acquire) < plan.followers + stalled.len() {
        if Instant::now() > deadline {
            bail!(
                "only {} of {} followers synced",
                synced.load(Ordering::Acquire),
                plan.followers
            );
        }
        if let Some(done) = tasks.iter().position(|t| t.is_finished()) {
            let t = tasks.swap_remove(done);
            t.await??;
            bail!("a follower ended before typing began");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let connect_s = connect_start.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_idle = pid.map_or(0, proc::rss_kib);

    let cpu0 = pid.map_or(0.0, proc::cpu_seconds);
    let start = Instant::now();
    let phrase: Vec<char> = "Kraków — miasto współodpowiedzialnych mieszkańców. "
        .chars()
        .collect();
    let pace = Duration::from_secs_f64(1.0 / plan.rate);
    let mut sent: Vec<(u32, Instant)> = Vec::with_capacity(plan.keystrokes);
    for i in 0..plan.keystrokes {
        tokio::time::sleep_until((start + pace * i as u32).into()).await;
        let (update, clock) = {
            let mut txn = doc.transact_mut();
            let len = text.len(&txn);
            text.insert(&mut txn, len, &phrase[i % phrase.len()].to_string());
            let u = txn.encode_update_v1();
            drop(txn);
            (
                u,
                doc.transact().state_vector().get(&ClientID::new(client_id)),
            )
        };
        sent.push((clock, Instant::now()));
        sink.send(&Message::Sync(SyncMessage::Update(update)).encode_v1())
            .await?;
    }
    let final_clock = sent.last().map_or(base_clock, |(c, _)| *c);
    goal_tx.send_replace(final_clock);
    let written = text.get_string(&doc.transact());

    let mut latencies: Vec<Duration> = Vec::with_capacity(plan.followers * plan.keystrokes);
    let mut frames = 0usize;
    let mut last_arrival = start;
    let mut delivered_all = true;
    let mut failures = 0;
    let mut short = 0;
    // Followers that did not get every keystroke, or failed.
    let mut missing = 0;
    for t in tasks {
        let seen = match t.await? {
            Ok(s) => s,
            Err(e) => {
                failures += 1;
                missing += 1;
                if failures <= 3 {
                    eprintln!("follower failed: {e:#}");
                }
                delivered_all = false;
                continue;
            }
        };
        frames += seen.frames;
        delivered_all &= seen.in_order;
        if let Some(why) = &seen.cut_short {
            short += 1;
            if short <= 3 {
                eprintln!("a follower did not get every keystroke: {why}");
            }
        }
        if let Some(text) = &seen.text {
            delivered_all &= *text == written;
        }
        let mut k = 0;
        for (at, clock) in &seen.arrivals {
            while k < sent.len() && sent[k].0 <= *clock {
                latencies.push(at.saturating_duration_since(sent[k].1));
                k += 1;
            }
            last_arrival = last_arrival.max(*at);
        }
        delivered_all &= k == sent.len();
        if k != sent.len() {
            missing += 1;
        }
    }
    let elapsed = last_arrival.duration_since(start).as_secs_f64().max(1e-9);
    let cpu1 = pid.map_or(0.0, proc::cpu_seconds);
    let rss_after = pid.map_or(0, proc::rss_kib);
    let slow_followers = stalled.len();
    release_tx.send_replace(true);
    for s in stalled {
        let _ = s.await;
    }
    drain.abort();
    latencies.sort();
    Ok(Row {
        scenario: "fanout",
        server: urls.server,
        followers: plan.followers,
        keystrokes: plan.keystrokes,
        p50_ms: percentile(&latencies, 0.50),
        p99_ms: percentile(&latencies, 0.99),
        max_ms: percentile(&latencies, 1.0),
        frames_per_s: frames as f64 / elapsed,
        updates_per_s: latencies.len() as f64 / elapsed,
        server_cpu_pct: (cpu1 - cpu0) / elapsed * 100.0,
        rss_per_conn_kib: rss_idle.saturating_sub(rss_base) as f64 / plan.followers.max(1) as f64,
        server_rss_mib: rss_idle as f64 / 1024.0,
        connect_s,
        delivered_all,
        followers_missing_keystrokes: missing,
        slow_followers,
        server_rss_after_mib: rss_after as f64 / 1024.0,
    })
}

impl Args {
    /// Runs the fan-out for each N and prints a row for each.
    pub async fn run(self) -> anyhow::Result<()> {
        let target = &self.common.target;
        let mut rows = Vec::new();
        println!(
            "{:<12} {:>9} {:>9} {:>9} {:>9} {:>12} {:>12} {:>8} {:>12} {:>9} {:>6}",
            "server",
            "followers",
            "p50 ms",
            "p99 ms",
            "max ms",
            "frames/s",
            "keystrokes/s",
            "cpu %",
            "KiB/conn",
            "conn s",
            "all"
        );
        for &n in &self.followers {
            let plan = Plan {
                followers: n,
                keystrokes: self.keystrokes,
                rate: self.rate,
                server_pid: self.common.server_pid,
                checkers: n.min(20),
                slow: (n as f64 * self.slow_percent / 100.0).round() as usize,
            };
            let row = run(target, &plan).await?;
            println!(
                "{:<12} {:>9} {:>9.2} {:>9.2} {:>9.2} {:>12.0} {:>12.0} {:>8.1} {:>12.1} {:>9.2} {:>6}",
                row.server,
                row.followers,
                row.p50_ms,
                row.p99_ms,
                row.max_ms,
                row.frames_per_s,
                row.updates_per_s,
                row.server_cpu_pct,
                row.rss_per_conn_kib,
                row.connect_s,
                if row.delivered_all { "yes" } else { "NO" }
            );
            if row.slow_followers > 0 {
                println!(
                    "{:<12} {} followers stopped reading; server RSS {:.1} MiB idle, {:.1} MiB after typing",
                    "", row.slow_followers, row.server_rss_mib, row.server_rss_after_mib
                );
            }
            let ok = row.delivered_all;
            rows.push(row);
            if !ok {
                eprintln!("not every follower got every keystroke in order");
            }
        }
        self.common.write_json(&rows)?;
        if rows.iter().any(|r| !r.delivered_all) {
            std::process::exit(1);
        }
        Ok(())
    }
}

/// A random non-zero 32-bit client ID, as Yjs makes them.
pub fn rand_u32() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(1);
    (nanos ^ std::process::id().rotate_left(16)) | 1
}
