//! Many meetings at once: M meetings, each with W writers typing into the
//! same clause concurrently and F followers. Every document of a meeting,
//! writers' and followers', must converge to the same text; the server's
//! CPU and memory are measured along the way.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Serialize;
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Array, Doc, MapPrelim, Text, TextPrelim, Transact, Update, WriteTxn};

use crate::client::{self, Endpoint, Link, LinkSink};
use crate::common::Common;
use crate::proc;
use crate::target::Target;

/// Writers per meeting.
const WRITERS: usize = 3;
/// Followers per meeting.
const FOLLOWERS: usize = 20;

/// Many meetings at once, 3 writers and 20 followers each: convergence,
/// server CPU and memory.
///
/// Many meetings at once, each with 3 writers typing into the same clause
/// concurrently and 20 followers: every document of a meeting must converge
/// to the same text; the server's CPU and memory are measured.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Meetings.
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub meetings: usize,
    /// Keystrokes each writer types.
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub keystrokes: usize,
    /// Keystrokes per second per writer.
    #[arg(long, value_name = "PER_SEC", default_value_t = 20.0)]
    pub rate: f64,
    /// The server under test and where the figures go.
    #[command(flatten)]
    pub common: Common,
}

/// What a many-meetings run is asked to do.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Meetings.
    pub meetings: usize,
    /// Writers per meeting.
    pub writers: usize,
    /// Followers per meeting.
    pub followers: usize,
    /// Keystrokes each writer types.
    pub keystrokes: usize,
    /// Keystrokes per second per writer.
    pub rate: f64,
    /// The server's process.
    pub server_pid: Option<u32>,
}

/// One row of results.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Always "meetings".
    pub scenario: &'static str,
    /// The server measured.
    pub server: &'static str,
    /// Meetings.
    pub meetings: usize,
    /// Connections in all.
    pub connections: usize,
    /// Updates the writers sent in all.
    pub updates: usize,
    /// Seconds from the last keystroke until every document converged.
    pub converge_s: f64,
    /// Every document of every meeting holds the same text, of the right length.
    pub converged: bool,
    /// Server CPU while typing, % of one core.
    pub server_cpu_pct: f64,
    /// Server resident memory with everyone connected, MiB.
    pub server_rss_mib: f64,
    /// That, less the memory before, per connection, KiB.
    pub rss_per_conn_kib: f64,
}

/// A document shared by a connection's reader and its typist.
type SharedDoc = Arc<Mutex<Doc>>;
/// A connection's background reader.
type Reader = tokio::task::JoinHandle<anyhow::Result<()>>;

/// A connection whose document follows the room in the background.
struct Member {
    doc: Arc<Mutex<Doc>>,
    sink: LinkSink,
    reader: tokio::task::JoinHandle<anyhow::Result<()>>,
}

async fn join(url: &Endpoint, client_id: u64) -> anyhow::Result<Member> {
    let link = Link::open(url).await?;
    let doc = Arc::new(Mutex::new(client::doc(Some(client_id))));
    let d = doc.clone();
    let (sink, reader) = link.split_reading(move |frame| {
        if let Some(u) = client::update_of(frame) {
            let update = Update::decode_v1(&u)?;
            d.lock().expect("doc").transact_mut().apply_update(update)?;
        }
        Ok(())
    });
    Ok(Member { doc, sink, reader })
}

async fn wait_for(
    what: &str,
    timeout: Duration,
    mut ok: impl FnMut() -> bool,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    while !ok() {
        if Instant::now() > deadline {
            bail!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// Runs the many-meetings scenario.
pub async fn run(target: &Target, plan: &Plan) -> anyhow::Result<Row> {
    let pid = plan.server_pid;
    let rss_base = pid.map_or(0, proc::rss_kib);
    let mut next_client = u64::from(crate::fanout::rand_u32() & 0x00ff_ffff) + 1;
    let mut meetings = Vec::with_capacity(plan.meetings);
    let mut server = "";
    for m in 0..plan.meetings {
        let urls = target.new_room(&format!("meeting-{m}")).await?;
        server = urls.server;
        let mut writers = Vec::with_capacity(plan.writers);
        for _ in 0..plan.writers {
            next_client += 1;
            writers.push(join(&urls.writer, next_client).await?);
        }
        // The first writer makes the clause everyone types into.
        let first = {
            let d = writers[0].doc.lock().expect("doc");
            let mut txn = d.transact_mut();
            let clauses = txn.get_or_insert_array("clauses");
            clauses.push_back(
                &mut txn,
                MapPrelim::from([
                    ("id".to_owned(), yrs::In::from("c1")),
                    ("text".to_owned(), yrs::In::from(TextPrelim::new(""))),
                ]),
            );
            txn.encode_update_v1()
        };
        writers[0]
            .sink
            .send(&Message::Sync(SyncMessage::Update(first)).encode_v1())
            .await?;
        let mut followers = Vec::with_capacity(plan.followers);
        for _ in 0..plan.followers {
            next_client += 1;
            followers.push(join(&urls.follower, next_client).await?);
        }
        meetings.push((writers, followers));
    }
    for (writers, followers) in &meetings {
        for member in writers.iter().chain(followers) {
            let d = member.doc.clone();
            wait_for(
                "the clause to reach everyone",
                Duration::from_secs(60),
                || client::first_clause(&d.lock().expect("doc")).is_some(),
            )
            .await?;
        }
    }
    let connections = plan.meetings * (plan.writers + plan.followers);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_idle = pid.map_or(0, proc::rss_kib);

    // Every writer types its keystrokes at its own pace, all at once.
    let cpu0 = pid.map_or(0.0, proc::cpu_seconds);
    let start = Instant::now();
    let pace = Duration::from_secs_f64(1.0 / plan.rate);
    let mut typing = Vec::new();
    let mut all: Vec<(Vec<SharedDoc>, Vec<Reader>)> = Vec::new();
    for (w_i, (writers, followers)) in meetings.into_iter().enumerate() {
        let mut docs = Vec::new();
        let mut readers = Vec::new();
        for member in followers {
            docs.push(member.doc);
            readers.push(member.reader);
        }
        for (k, member) in writers.into_iter().enumerate() {
            docs.push(member.doc.clone());
            readers.push(member.reader);
            let keystrokes = plan.keystrokes;
            // Spread the writers' first keystrokes over one pace.
            let offset = pace.mul_f64(((w_i * 7 + k * 3) % 10) as f64 / 10.0);
            typing.push(tokio::spawn(async move {
                let letters: Vec<char> = "ąćęłńóśźż abc".chars().collect();
                for i in 0..keystrokes {
                    tokio::time::sleep_until((start + offset + pace * i as u32).into()).await;
                    let update = {
                        let d = member.doc.lock().expect("doc");
                        let text = client::first_clause(&d).context("clause")?;
                        let mut txn = d.transact_mut();
                        let len = text.len(&txn);
                        // Somewhere in the text, as people edit, not only at its end.
                        let at = (i as u32 * 7919 + k as u32 * 104_729) % (len + 1);
                        text.insert(&mut txn, at, &letters[(i + k) % letters.len()].to_string());
                        txn.encode_update_v1()
                    };
                    member
                        .sink
                        .send(&Message::Sync(SyncMessage::Update(update)).encode_v1())
                        .await?;
                }
                anyhow::Ok(member.sink)
            }));
        }
        all.push((docs, readers));
    }
    let mut sinks = Vec::new();
    for t in typing {
        sinks.push(t.await??);
    }
    let typed = Instant::now();
    let cpu1 = pid.map_or(0.0, proc::cpu_seconds);
    let expected = plan.writers * plan.keystrokes;
    let mut converged = true;
    for (docs, _) in &all {
        let docs = docs.clone();
        let settled = wait_for(
            "every document to converge",
            Duration::from_secs(60),
            || {
                let texts: Vec<String> = docs
                    .iter()
                    .map(|d| client::first_clause_text(&d.lock().expect("doc")))
                    .collect();
                texts
                    .iter()
                    .all(|t| t == &texts[0] && t.chars().count() == expected)
            },
        )
        .await;
        converged &= settled.is_ok();
    }
    let converge_s = typed.elapsed().as_secs_f64();
    for (_, readers) in all {
        for r in readers {
            r.abort();
        }
    }
    drop(sinks);
    let elapsed = typed.duration_since(start).as_secs_f64().max(1e-9);
    Ok(Row {
        scenario: "meetings",
        server,
        meetings: plan.meetings,
        connections,
        updates: plan.meetings * expected,
        converge_s,
        converged,
        server_cpu_pct: (cpu1 - cpu0) / elapsed * 100.0,
        server_rss_mib: rss_idle as f64 / 1024.0,
        rss_per_conn_kib: rss_idle.saturating_sub(rss_base) as f64 / connections.max(1) as f64,
    })
}

impl Args {
    /// Runs the meetings and prints what they came to.
    pub async fn run(self) -> anyhow::Result<()> {
        let plan = Plan {
            meetings: self.meetings,
            writers: WRITERS,
            followers: FOLLOWERS,
            keystrokes: self.keystrokes,
            rate: self.rate,
            server_pid: self.common.server_pid,
        };
        let row = run(&self.common.target, &plan).await?;
        println!(
            "{}: {} meetings, {} connections, {} updates: converged {} ({:.2} s after the last keystroke), server CPU {:.0}%, RSS {:.0} MiB ({:.1} KiB per connection)",
            row.server,
            row.meetings,
            row.connections,
            row.updates,
            if row.converged { "yes" } else { "NO" },
            row.converge_s,
            row.server_cpu_pct,
            row.server_rss_mib,
            row.rss_per_conn_kib
        );
        self.common.write_json(&[&row])?;
        if !row.converged {
            std::process::exit(1);
        }
        Ok(())
    }
}
