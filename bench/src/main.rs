//! `draftroom-load`: a load generator for Draftroom and any y-websocket
//! server, so the same scenario runs against both and the figures compare.
//!
//! ```text
//! draftroom-load fanout --target draftroom=http://127.0.0.1:8080 --followers 1000 \
//!     [--keystrokes 200] [--rate 20] [--server-pid PID] [--json out.json]
//! draftroom-load audience --target draftroom=http://127.0.0.1:8080 --observers 1000 \
//!     [--participants 5] [--concurrency 32] [--time-cap-secs 600] [--label after] \
//!     [--server-pid PID] [--json out.json]
//! ```
//! Targets: `draftroom=http://HOST:PORT` (a meeting is created; the writer
//! is its moderator, followers are observers) or `y-websocket=ws://HOST:PORT`.

mod audience;
mod ceiling;
mod client;
mod fanout;
mod history;
mod many;
mod proc;
mod soak;
mod target;
mod trace;

use anyhow::{Context, bail};

use target::Target;

struct Args {
    scenario: String,
    target: Option<Target>,
    followers: Vec<usize>,
    keystrokes: usize,
    rate: f64,
    server_pid: Option<u32>,
    json: Option<String>,
    trace: String,
    joiners: usize,
    unload_wait: f64,
    slow_percent: f64,
    meetings: usize,
    cycles: usize,
    workers: usize,
    settle_secs: u64,
    rounds: usize,
    new_clients: bool,
    observers: Vec<usize>,
    participants: usize,
    concurrency: usize,
    time_cap_secs: f64,
    label: String,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut it = std::env::args().skip(1);
    let scenario = it
        .next()
        .context("usage: draftroom-load fanout --target …")?;
    let mut a = Args {
        scenario,
        target: None,
        followers: vec![100],
        keystrokes: 200,
        rate: 20.0,
        server_pid: None,
        json: None,
        trace: "../shared/data/editing-traces/automerge-paper.json.gz".into(),
        joiners: 1000,
        unload_wait: 3.0,
        slow_percent: 0.0,
        meetings: 200,
        cycles: 3000,
        workers: 16,
        settle_secs: 8,
        rounds: 20,
        new_clients: false,
        observers: vec![1000],
        participants: 5,
        concurrency: 32,
        time_cap_secs: 600.0,
        label: "draftroom".into(),
    };
    while let Some(flag) = it.next() {
        let v = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--target" => a.target = Some(Target::parse(&v)?),
            "--followers" => {
                a.followers = v
                    .split(',')
                    .map(|n| n.trim().parse())
                    .collect::<Result<_, _>>()?
            }
            "--keystrokes" => a.keystrokes = v.parse()?,
            "--rate" => a.rate = v.parse()?,
            "--server-pid" => a.server_pid = Some(v.parse()?),
            "--json" => a.json = Some(v),
            "--trace" => a.trace = v,
            "--joiners" => a.joiners = v.parse()?,
            "--unload-wait-secs" => a.unload_wait = v.parse()?,
            "--slow-percent" => a.slow_percent = v.parse()?,
            "--meetings" => a.meetings = v.parse()?,
            "--cycles" => a.cycles = v.parse()?,
            "--workers" => a.workers = v.parse()?,
            "--settle-secs" => a.settle_secs = v.parse()?,
            "--rounds" => a.rounds = v.parse()?,
            "--observers" => {
                a.observers = v
                    .split(',')
                    .map(|n| n.trim().parse())
                    .collect::<Result<_, _>>()?
            }
            "--participants" => a.participants = v.parse()?,
            "--concurrency" => a.concurrency = v.parse()?,
            "--time-cap-secs" => a.time_cap_secs = v.parse()?,
            "--label" => a.label = v,
            "--new-clients" => a.new_clients = matches!(v.as_str(), "yes" | "true" | "1"),
            _ => bail!("unknown flag {flag}"),
        }
    }
    Ok(a)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // The ceiling's raw sender runs as a child process of its own.
    let raw: Vec<String> = std::env::args().skip(1).collect();
    if raw.first().map(String::as_str) == Some("raw-server") {
        let followers = raw.get(1).context("followers")?.parse()?;
        let seconds = raw.get(2).context("seconds")?.parse()?;
        return ceiling::serve(followers, seconds);
    }
    let args = parse_args()?;
    if args.scenario == "ceiling" {
        for &n in &args.followers {
            let fps = ceiling::run(n, 5.0).await?;
            println!("raw send() loop to {n} sockets: {fps:.0} frames/s delivered");
        }
        return Ok(());
    }
    let target = args.target.clone().context("--target is required")?;
    match args.scenario.as_str() {
        "fanout" => {
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
            for &n in &args.followers {
                let plan = fanout::Plan {
                    followers: n,
                    keystrokes: args.keystrokes,
                    rate: args.rate,
                    server_pid: args.server_pid,
                    checkers: n.min(20),
                    slow: (n as f64 * args.slow_percent / 100.0).round() as usize,
                };
                let row = fanout::run(&target, &plan).await?;
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
            if let Some(path) = &args.json {
                std::fs::write(path, serde_json::to_string_pretty(&rows)?)?;
            }
            if rows.iter().any(|r| !r.delivered_all) {
                std::process::exit(1);
            }
        }
        "history" => {
            let plan = history::Plan {
                trace: args.trace.clone(),
                joiners: args.joiners,
                server_pid: args.server_pid,
                unload_wait: std::time::Duration::from_secs_f64(args.unload_wait),
            };
            let row = history::run(&target, &plan).await?;
            println!("server             {}", row.server);
            println!("edits replayed     {}", row.edits);
            println!(
                "ingest             {:.2} s, {:.0} edits/s",
                row.ingest_s, row.edits_per_s
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
            if let Some(path) = &args.json {
                std::fs::write(path, serde_json::to_string_pretty(&[&row])?)?;
            }
            if !row.text_ok {
                std::process::exit(1);
            }
        }
        "soak" => {
            let plan = soak::Plan {
                cycles: args.cycles,
                meetings: args.meetings,
                workers: args.workers,
                keystrokes: args.keystrokes,
                settle_secs: args.settle_secs,
                rounds: args.rounds,
                new_clients: args.new_clients,
                server_pid: args.server_pid.context("--server-pid is required")?,
            };
            let row = soak::run(&target, &plan).await?;
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
            if let Some(path) = &args.json {
                std::fs::write(path, serde_json::to_string_pretty(&row)?)?;
            }
            if !row.all_present {
                bail!("characters typed in the soak are missing");
            }
        }
        "meetings" => {
            let plan = many::Plan {
                meetings: args.meetings,
                writers: 3,
                followers: 20,
                keystrokes: args.keystrokes,
                rate: args.rate,
                server_pid: args.server_pid,
            };
            let row = many::run(&target, &plan).await?;
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
            if let Some(path) = &args.json {
                std::fs::write(path, serde_json::to_string_pretty(&[&row])?)?;
            }
            if !row.converged {
                std::process::exit(1);
            }
        }
        "audience" => audience_table(&target, &args).await?,
        other => {
            bail!("unknown scenario {other}; known: fanout, history, meetings, soak, audience")
        }
    }
    Ok(())
}

/// Runs the audience storm for each N and prints a row for each.
async fn audience_table(target: &Target, args: &Args) -> anyhow::Result<()> {
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
    for &n in &args.observers {
        let plan = audience::Plan {
            observers: n,
            participants: args.participants,
            concurrency: args.concurrency,
            server_pid: args.server_pid,
            time_cap: std::time::Duration::from_secs_f64(args.time_cap_secs),
            label: args.label.clone(),
        };
        let r = audience::run(target, &plan).await?;
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
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&rows)?)?;
    }
    if rows.iter().any(|r| !r.text_ok || r.failed > 0) {
        std::process::exit(1);
    }
    Ok(())
}
