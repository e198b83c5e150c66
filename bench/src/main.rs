//! `draftroom-load`: drives a Draftroom server with one writer typing into
//! the draft and N read-only followers, and prints what it measured:
//! durable updates per second the room sustained, and the latency from the
//! writer's send to each follower's receipt. Every follower must receive
//! every update, in order; the run fails otherwise.
//!
//! ```text
//! draftroom-load --url http://127.0.0.1:8080 [--updates 5000] [--followers 10] [--rate 0]
//! ```
//! `--rate 0` sends as fast as the server takes them (throughput);
//! `--rate 20` types 20 keystrokes a second (latency under a live meeting).

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{
    Array, Doc, GetString, MapPrelim, ReadTxn, StateVector, Text, TextPrelim, TextRef, Transact,
    Update, WriteTxn,
};

struct Args {
    url: String,
    updates: usize,
    followers: usize,
    rate: f64,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut a = Args {
        url: "http://127.0.0.1:8080".into(),
        updates: 5000,
        followers: 10,
        rate: 0.0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--url" => a.url = v,
            "--updates" => a.updates = v.parse()?,
            "--followers" => a.followers = v.parse()?,
            "--rate" => a.rate = v.parse()?,
            _ => bail!("unknown flag {flag}"),
        }
    }
    Ok(a)
}

/// One POST with a JSON body over a fresh connection; returns the JSON answer.
async fn post(
    base: &str,
    path: &str,
    body: serde_json::Value,
) -> anyhow::Result<serde_json::Value> {
    let host = base.trim_start_matches("http://").trim_end_matches('/');
    let mut s = tokio::net::TcpStream::connect(host).await?;
    let body = body.to_string();
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).await?;
    let (_, json) = resp.split_once("\r\n\r\n").context("no HTTP body")?;
    Ok(serde_json::from_str(json)?)
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(ws_base: &str, meeting: &str, token: &str) -> anyhow::Result<Ws> {
    let url = format!("{ws_base}/ws/{meeting}/draft?token={token}");
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await?;
    let step1 = Message::Sync(SyncMessage::SyncStep1(StateVector::default())).encode_v1();
    ws.send(WsMessage::Binary(step1.into())).await?;
    Ok(ws)
}

/// The text of the first clause, once it exists.
fn first_text(doc: &Doc) -> Option<TextRef> {
    let txn = doc.transact();
    let clauses = txn.get_array("clauses")?;
    let clause: yrs::MapRef = clauses.get(&txn, 0)?.cast().ok()?;
    yrs::Map::get(&clause, &txn, "text")?.cast().ok()
}

/// Reads until the clause holds `count` characters, merging whatever the
/// server sends (it may coalesce updates); returns when each keystroke
/// arrived and the final text, to check against the writer's.
async fn follow(mut ws: Ws, count: u32) -> anyhow::Result<(Vec<Instant>, String)> {
    let doc = Doc::with_options(yrs::Options {
        offset_kind: yrs::OffsetKind::Utf16,
        ..Default::default()
    });
    let mut times = Vec::with_capacity(count as usize);
    let mut text: Option<TextRef> = None;
    while times.len() < count as usize {
        let frame = match tokio::time::timeout(Duration::from_secs(30), ws.next()).await {
            Ok(Some(Ok(WsMessage::Binary(b)))) => b,
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(e))) => bail!("follower lost its connection: {e}"),
            Ok(None) => bail!(
                "follower's connection closed after {} keystrokes",
                times.len()
            ),
            Err(_) => bail!(
                "follower stalled after {} of {count} keystrokes",
                times.len()
            ),
        };
        let now = Instant::now();
        let update = match Message::decode_v1(&frame)? {
            Message::Sync(SyncMessage::SyncStep2(u) | SyncMessage::Update(u)) => u,
            _ => continue,
        };
        doc.transact_mut()
            .apply_update(Update::decode_v1(&update)?)?;
        if text.is_none() {
            text = first_text(&doc);
        }
        if let Some(t) = &text {
            let len = t.len(&doc.transact());
            while (times.len() as u32) < len {
                times.push(now);
            }
        }
    }
    let s = text
        .map(|t| t.get_string(&doc.transact()))
        .unwrap_or_default();
    Ok((times, s))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let base = args.url.trim_end_matches('/').to_owned();
    let ws_base = base.replacen("http", "ws", 1);
    let created = post(
        &base,
        "/api/meetings",
        serde_json::json!({"title": "Benchmark — misja", "moderator_name": "Moderatorka"}),
    )
    .await?;
    let meeting = created["id"].as_str().context("meeting id")?.to_owned();
    let moderator = created["moderator_token"]
        .as_str()
        .context("token")?
        .to_owned();
    let invite = created["observer_invite"]
        .as_str()
        .context("invite")?
        .to_owned();

    let mut followers = Vec::new();
    for i in 0..args.followers {
        let joined = post(
            &base,
            &format!("/api/meetings/{meeting}/join"),
            serde_json::json!({"invite": invite, "name": format!("obserwator {i}")}),
        )
        .await?;
        let token = joined["token"].as_str().context("token")?.to_owned();
        let ws = connect(&ws_base, &meeting, &token).await?;
        followers.push(tokio::spawn(follow(ws, args.updates as u32)));
    }
    let mut writer = connect(&ws_base, &meeting, &moderator).await?;
    // Drain the writer's incoming frames so the server never blocks on it.
    let doc = Doc::with_options(yrs::Options {
        offset_kind: yrs::OffsetKind::Utf16,
        ..Default::default()
    });
    let text: TextRef = {
        let mut txn = doc.transact_mut();
        let clauses = txn.get_or_insert_array("clauses");
        let clause = clauses.push_back(
            &mut txn,
            MapPrelim::from([("text".to_owned(), yrs::In::from(TextPrelim::new("")))]),
        );
        let update = txn.encode_update_v1();
        writer
            .send(WsMessage::Binary(
                Message::Sync(SyncMessage::Update(update))
                    .encode_v1()
                    .into(),
            ))
            .await?;
        yrs::Map::get(&clause, &txn, "text")
            .context("text")?
            .cast()
            .map_err(|_| anyhow::anyhow!("not text"))?
    };
    let (mut sink, mut stream) = writer.split();
    let drain = tokio::spawn(async move { while let Some(Ok(_)) = stream.next().await {} });
    let phrase: Vec<char> = "Kraków — miasto współodpowiedzialnych mieszkańców. "
        .chars()
        .collect();
    let mut sent = Vec::with_capacity(args.updates);
    let start = Instant::now();
    let pace = (args.rate > 0.0).then(|| Duration::from_secs_f64(1.0 / args.rate));
    for i in 0..args.updates {
        if let Some(p) = pace {
            let due = start + p * i as u32;
            tokio::time::sleep_until(due.into()).await;
        }
        let update = {
            let mut txn = doc.transact_mut();
            let len = text.len(&txn);
            text.insert(&mut txn, len, &phrase[i % phrase.len()].to_string());
            txn.encode_update_v1()
        };
        sent.push(Instant::now());
        sink.send(WsMessage::Binary(
            Message::Sync(SyncMessage::Update(update))
                .encode_v1()
                .into(),
        ))
        .await?;
    }
    let written = text.get_string(&doc.transact());
    let mut latencies = Vec::new();
    let mut last = start;
    for f in followers {
        let (times, seen) = f.await??;
        if seen != written {
            bail!("a follower ended with a different text than the writer's");
        }
        for (i, t) in times.iter().enumerate() {
            latencies.push(t.saturating_duration_since(sent[i]));
            last = last.max(*t);
        }
    }
    drain.abort();
    let elapsed = last.duration_since(start);
    latencies.sort();
    let expected = {
        let txn = doc.transact();
        text.get_string(&txn).chars().count()
    };
    println!("updates            {}", args.updates);
    println!("followers          {}", args.followers);
    println!(
        "rate               {}",
        if args.rate > 0.0 {
            format!("{}/s", args.rate)
        } else {
            "as fast as taken".into()
        }
    );
    println!("text length        {expected} characters");
    println!("all delivered in   {:.3} s", elapsed.as_secs_f64());
    println!(
        "updates/s          {:.0}",
        args.updates as f64 / elapsed.as_secs_f64()
    );
    println!(
        "frames delivered/s {:.0}",
        (args.updates * args.followers) as f64 / elapsed.as_secs_f64()
    );
    println!(
        "latency p50        {:.2} ms",
        percentile(&latencies, 0.50).as_secs_f64() * 1e3
    );
    println!(
        "latency p99        {:.2} ms",
        percentile(&latencies, 0.99).as_secs_f64() * 1e3
    );
    println!(
        "latency max        {:.2} ms",
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    Ok(())
}
