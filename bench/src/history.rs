//! Long history and join storm. A real typing history (by default the
//! automerge-paper trace, 259,778 edits) is replayed through the server
//! into one clause as fast as it takes it; then, once the room has been
//! unloaded, one client's first sync measures the cold load from the store;
//! then N followers join within one second and the time until every one
//! holds the whole document is measured, with the server's peak memory.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Serialize;
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{
    Array, ClientID, GetString, Map, MapPrelim, ReadTxn, StateVector, Text, TextPrelim, TextRef,
    Transact, Update, WriteTxn,
};

use crate::client::{self, Endpoint, Link};
use crate::common::Common;
use crate::proc;
use crate::target::Target;
use crate::trace;

/// The automerge-paper trace, kept in the repository (credit and license in
/// bench/traces/README.md): relative to the working directory, as run from
/// the repository's root.
pub const DEFAULT_TRACE: &str = "bench/traces/automerge-paper.json.gz";

/// A long real typing history: ingest, cold first sync, join storm.
///
/// A real typing history is replayed through the server into one clause as
/// fast as it takes it; once the room has unloaded, one client's first sync
/// measures the cold load from the store; then N followers join within one
/// second and the time until every one holds the whole document is
/// measured, with the server's peak memory.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The editing trace to replay (sequential `.json.gz` format of the
    /// editing-traces collection).
    #[arg(long, value_name = "FILE", default_value = DEFAULT_TRACE)]
    pub trace: PathBuf,
    /// Followers in the join storm.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub joiners: usize,
    /// Seconds to wait, everyone gone, for the room to unload before the
    /// first sync (Draftroom; run the server with a short
    /// `--room-idle-secs`).
    #[arg(long = "unload-wait-secs", value_name = "SECS", default_value_t = 3.0)]
    pub unload_wait_secs: f64,
    /// Seconds after which the replay stops sending edits one by one: the
    /// rate is then over the edits sent so far, and the rest of the
    /// document goes to the server as one update, so that the first sync
    /// and the join storm still meet the whole document.
    #[arg(long = "ingest-cap-secs", value_name = "SECS", default_value_t = 60.0)]
    pub ingest_cap_secs: f64,
    /// The server under test and where the figures go.
    #[command(flatten)]
    pub common: Common,
}

/// What a history run is asked to do.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The `.json.gz` trace.
    pub trace: PathBuf,
    /// Followers in the join storm.
    pub joiners: usize,
    /// The server's process, for memory.
    pub server_pid: Option<u32>,
    /// How long to wait, everyone gone, for the room to unload (Draftroom).
    pub unload_wait: Duration,
    /// When the replay stops sending edits one by one.
    pub ingest_cap: Duration,
}

/// One row of results.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Always "history".
    pub scenario: &'static str,
    /// The server measured.
    pub server: &'static str,
    /// Edits in the trace.
    pub edits: usize,
    /// Edits sent one by one before the cap (all of them unless the server
    /// was too slow); the rest went as one update.
    pub edits_ingested: usize,
    /// Seconds from the first edit sent to the last one sent one by one
    /// relayed.
    pub ingest_s: f64,
    /// Edits per second the server took (durably, for Draftroom), over the
    /// edits sent one by one.
    pub edits_per_s: f64,
    /// Milliseconds from connecting to holding the document, first client
    /// after the room was unloaded (cold) or, for a server that keeps
    /// nothing once everyone has left, with one client kept connected (warm).
    pub first_sync_ms: f64,
    /// Whether that first sync was from a cold (unloaded) room.
    pub cold: bool,
    /// Bytes of that first sync.
    pub first_sync_bytes: usize,
    /// The synced text equals the trace's end.
    pub text_ok: bool,
    /// Followers in the join storm.
    pub joiners: usize,
    /// Seconds from the storm's start until every joiner held the document.
    pub join_all_synced_s: f64,
    /// Milliseconds from a joiner's connecting to its holding the
    /// document, median and 99th percentile over the storm.
    pub join_p50_ms: f64,
    /// See `join_p50_ms`.
    pub join_p99_ms: f64,
    /// Server resident memory at its peak during the storm, MiB.
    pub join_peak_rss_mib: f64,
    /// Server resident memory a second after the storm, every joiner still
    /// connected and idle, MiB.
    pub after_storm_rss_mib: f64,
}

/// Connects and waits for the first sync step 2; its bytes and the time.
async fn first_sync(url: &Endpoint) -> anyhow::Result<(Link, Vec<u8>, Duration)> {
    let start = Instant::now();
    let mut ws = Link::open(url).await?;
    loop {
        let frame = ws.next_frame(Duration::from_secs(60)).await?;
        if let Ok(Message::Sync(SyncMessage::SyncStep2(u))) = Message::decode_v1(&frame) {
            return Ok((ws, u, start.elapsed()));
        }
    }
}

/// Edits the replay has in flight at most: sent, not yet seen relayed.
const WINDOW: usize = 32_768;

/// How long the replay waits for the server to relay what it sent.
const WAIT: Duration = Duration::from_secs(600);

/// Waits until the checker has seen the writer's clock reach `goal`.
async fn reached_by(
    reached: &mut tokio::sync::watch::Receiver<u32>,
    goal: u32,
    wait: Duration,
) -> anyhow::Result<()> {
    match tokio::time::timeout(wait, reached.wait_for(|r| *r >= goal)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(_)) => bail!("the checker's connection ended"),
        Err(_) => bail!("the server did not relay the replay within {wait:?}"),
    }
}

/// Runs the long-history replay, the first sync and the join storm.
pub async fn run(target: &Target, plan: &Plan) -> anyhow::Result<Row> {
    let trace = trace::load(&plan.trace)?;
    let ascii = trace.end.is_ascii() && trace.patches.iter().all(|p| p.ins.is_ascii());
    let urls = target.new_room("history").await?;
    let client_id = u64::from(crate::fanout::rand_u32());
    let doc = client::doc(Some(client_id));
    let mut writer = Link::open(&urls.writer).await?;
    let checker = Link::open(&urls.follower).await?;
    // The checker follows how far the server has relayed the replay.
    let (reached_tx, mut reached) = tokio::sync::watch::channel(0u32);
    let (checker_sink, checker_reader) = checker.split_reading(move |frame| {
        if let Some(u) = client::update_of(frame) {
            let clock = client::reach(&Update::decode_v1(&u)?, client_id);
            reached_tx.send_if_modified(|now| {
                let further = clock > *now;
                *now = (*now).max(clock);
                further
            });
        }
        Ok(())
    });
    let (text, first) = {
        let mut txn = doc.transact_mut();
        let clauses = txn.get_or_insert_array("clauses");
        let clause = clauses.push_back(
            &mut txn,
            MapPrelim::from([
                ("id".to_owned(), yrs::In::from("c1")),
                (
                    "text".to_owned(),
                    yrs::In::from(TextPrelim::new(trace.start.as_str())),
                ),
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
    let (sink, drain) = writer.split_draining();

    // Replay: every edit is one update, sent as fast as the socket takes
    // them, until the cap; the writer's document takes every edit.
    let start = Instant::now();
    let clock = || doc.transact().state_vector().get(&ClientID::new(client_id));
    // The writer's clock after each edit sent.
    let mut clocks: Vec<u32> = Vec::with_capacity(trace.patches.len());
    let mut capped = false;
    let mut mirror: Vec<char> = if ascii {
        Vec::new()
    } else {
        trace.start.chars().collect()
    };
    for (i, p) in trace.patches.iter().enumerate() {
        let update = {
            let mut txn = doc.transact_mut();
            let at = if ascii {
                p.pos as u32
            } else {
                mirror[..p.pos].iter().map(|c| c.len_utf16() as u32).sum()
            };
            if p.del > 0 {
                let len = if ascii {
                    p.del as u32
                } else {
                    mirror[p.pos..p.pos + p.del]
                        .iter()
                        .map(|c| c.len_utf16() as u32)
                        .sum()
                };
                text.remove_range(&mut txn, at, len);
            }
            if !p.ins.is_empty() {
                text.insert(&mut txn, at, &p.ins);
            }
            txn.encode_update_v1()
        };
        if !ascii {
            mirror.splice(p.pos..p.pos + p.del, p.ins.chars());
        }
        if capped {
            continue;
        }
        // At most WINDOW edits in flight: a server that reads faster than
        // it applies does not queue the whole trace.
        if i >= WINDOW && *reached.borrow() < clocks[i - WINDOW] {
            sink.flush().await?;
            let need = clocks[i - WINDOW];
            reached_by(&mut reached, need, WAIT).await?;
        }
        sink.feed(&Message::Sync(SyncMessage::Update(update)).encode_v1())
            .await?;
        clocks.push(clock());
        if i % 256 == 255 {
            sink.flush().await?;
            capped = start.elapsed() > plan.ingest_cap;
        }
    }
    sink.flush().await?;
    let ingested = clocks.len();
    reached_by(&mut reached, clocks.last().copied().unwrap_or(0), WAIT).await?;
    let ingest_s = start.elapsed().as_secs_f64();
    if capped {
        let rest = doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        sink.send(&Message::Sync(SyncMessage::Update(rest)).encode_v1())
            .await?;
        // Not through the checker: a server may drop what it relays to a
        // connection that is behind. A new client's sync shows when the
        // server holds the whole document.
        let deadline = Instant::now() + WAIT;
        loop {
            let (link, state, _) = first_sync(&urls.follower).await?;
            link.close().await;
            let doc = client::doc(None);
            doc.transact_mut()
                .apply_update(Update::decode_v1(&state)?)?;
            if client::first_clause_text(&doc) == trace.end {
                break;
            }
            if Instant::now() > deadline {
                bail!("the server did not take the rest of the document within {WAIT:?}");
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
    let written = text.get_string(&doc.transact());
    if written != trace.end {
        bail!("the writer's replay does not end at the trace's end text");
    }

    // First sync: cold after an unload for Draftroom; the stock server
    // forgets a room once everyone left, so one client stays (warm).
    let cold = matches!(target, Target::Draftroom(_));
    let keeper = if cold {
        drain.abort();
        checker_reader.abort();
        sink.close().await;
        checker_sink.close().await;
        tokio::time::sleep(plan.unload_wait).await;
        None
    } else {
        Some((sink, checker_sink, checker_reader, drain))
    };
    let (first_ws, state, first_sync_time) = first_sync(&urls.follower).await?;
    let synced = client::doc(None);
    synced
        .transact_mut()
        .apply_update(Update::decode_v1(&state)?)?;
    let text_ok = client::first_clause_text(&synced) == trace.end;

    // Join storm: joiners spread evenly over one second.
    let pid = plan.server_pid;
    let storm_start = Instant::now();
    let mut tasks = Vec::with_capacity(plan.joiners);
    for i in 0..plan.joiners {
        let url = urls.follower.clone();
        let at = storm_start + Duration::from_secs_f64(i as f64 / plan.joiners.max(1) as f64);
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep_until(at.into()).await;
            let (ws, state, took) = first_sync(&url).await?;
            anyhow::Ok((ws, state.len(), Instant::now(), took))
        }));
    }
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let sampled = peak.clone();
    let sampler = tokio::spawn(async move {
        loop {
            sampled.fetch_max(
                pid.map_or(0, proc::rss_kib),
                std::sync::atomic::Ordering::Relaxed,
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let mut last = storm_start;
    let mut sockets = Vec::with_capacity(plan.joiners);
    let mut joins = Vec::with_capacity(plan.joiners);
    for t in tasks {
        let (ws, bytes, at, took) = t.await??;
        joins.push(took);
        if bytes != state.len() {
            bail!(
                "a joiner got {bytes} bytes, the first client {}",
                state.len()
            );
        }
        last = last.max(at);
        sockets.push(ws);
    }
    sampler.abort();
    let peak_rss = peak
        .load(std::sync::atomic::Ordering::Relaxed)
        .max(pid.map_or(0, proc::rss_kib));
    let join_all_synced_s = last.duration_since(storm_start).as_secs_f64();
    joins.sort();
    let join_ms = |p: f64| {
        joins
            .get(((joins.len().max(1) - 1) as f64 * p).round() as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after_storm_rss = pid.map_or(0, proc::rss_kib);
    drop(sockets);
    drop(first_ws);
    drop(keeper);
    Ok(Row {
        scenario: "history",
        server: urls.server,
        edits: trace.patches.len(),
        edits_ingested: ingested,
        ingest_s,
        edits_per_s: ingested as f64 / ingest_s,
        first_sync_ms: first_sync_time.as_secs_f64() * 1e3,
        cold,
        first_sync_bytes: state.len(),
        text_ok,
        joiners: plan.joiners,
        join_all_synced_s,
        join_p50_ms: join_ms(0.5),
        join_p99_ms: join_ms(0.99),
        join_peak_rss_mib: peak_rss as f64 / 1024.0,
        after_storm_rss_mib: after_storm_rss as f64 / 1024.0,
    })
}

impl Args {
    /// Runs the replay, the first sync and the join storm, and prints them.
    pub async fn run(self) -> anyhow::Result<()> {
        let plan = Plan {
            trace: self.trace.clone(),
            joiners: self.joiners,
            server_pid: self.common.server_pid,
            unload_wait: Duration::from_secs_f64(self.unload_wait_secs),
            ingest_cap: Duration::from_secs_f64(self.ingest_cap_secs),
        };
        let row = run(&self.common.target, &plan).await?;
        println!("server             {}", row.server);
        println!("edits replayed     {}", row.edits);
        println!(
            "ingest             {:.2} s, {:.0} edits/s{}",
            row.ingest_s,
            row.edits_per_s,
            if row.edits_ingested < row.edits {
                format!(
                    " (over the first {} edits, sent one by one before the cap; the rest as one update)",
                    row.edits_ingested
                )
            } else {
                String::new()
            }
        );
        println!(
            "first sync         {:.1} ms ({}), {} bytes, text {}",
            row.first_sync_ms,
            if row.cold {
                "cold: room loaded from the store"
            } else {
                "warm: room in memory"
            },
            row.first_sync_bytes,
            if row.text_ok {
                "matches the trace"
            } else {
                "DIFFERS"
            }
        );
        println!(
            "join storm         {} followers within 1 s: all synced after {:.2} s, peak server RSS {:.0} MiB, {:.0} MiB a second later",
            row.joiners, row.join_all_synced_s, row.join_peak_rss_mib, row.after_storm_rss_mib
        );
        println!(
            "each join          connect to synced: p50 {:.1} ms, p99 {:.1} ms",
            row.join_p50_ms, row.join_p99_ms
        );
        self.common.write_json(&[&row])?;
        if !row.text_ok {
            std::process::exit(1);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// The default trace is in the repository (`bench/run.sh` runs from its
    /// root; `cargo test` from `bench/`) and is the automerge-paper one.
    #[test]
    fn the_default_trace_is_in_the_repository() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let trace = crate::trace::load(&root.join(super::DEFAULT_TRACE)).unwrap();
        assert_eq!(trace.patches.len(), 259_778);
        assert_eq!(trace.end.chars().count(), 104_852);
    }
}
