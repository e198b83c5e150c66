//! The machine's ceiling for fan-out: a raw `send()` loop in a process of
//! its own writes one small frame (the size of a relayed keystroke) to
//! each of N sockets in turn, as fast as the kernel takes them, while N
//! readers in this process count what arrives. What a WebSocket server
//! delivers at saturation is measured against this.

use std::io::Write;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::io::AsyncBufReadExt;
use tokio::io::AsyncReadExt;

use crate::common;

/// How long the raw sender writes.
const SECONDS: f64 = 5.0;

/// The machine's ceiling for fan-out: a raw `send()` loop, no server.
///
/// The machine's ceiling for fan-out, no server involved: a raw `send()`
/// loop in a child process writes one keystroke-sized frame to each of N
/// sockets in turn for 5 s while N readers here count what arrives.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Sockets written to; a comma-separated list measures each in turn.
    #[arg(long, value_name = "N[,N...]", value_delimiter = ',', value_parser = common::count, default_value = "100")]
    pub followers: Vec<usize>,
}

impl Args {
    /// Measures the ceiling for each N and prints it.
    pub async fn run(self) -> anyhow::Result<()> {
        for &n in &self.followers {
            let fps = run(n, SECONDS).await?;
            println!("raw send() loop to {n} sockets: {fps:.0} frames/s delivered");
        }
        Ok(())
    }
}

/// The raw sender's side, which `ceiling` runs as a child process:
/// `draftroom-load raw-server FOLLOWERS SECONDS` prints its port, accepts
/// the connections, and writes.
#[derive(Debug, clap::Args)]
pub struct RawServer {
    /// Connections to accept, then write to.
    followers: usize,
    /// Seconds to write for.
    seconds: f64,
}

impl RawServer {
    /// Serves until the time is up.
    pub fn run(self) -> anyhow::Result<()> {
        serve(self.followers, self.seconds)
    }
}

/// A relayed keystroke as it goes on the wire: a 2-byte WebSocket header
/// and a 29-byte sync update.
const FRAME: [u8; 31] = [0x82; 31];

/// The child's side: accept `followers` connections, then write to each in
/// turn for `seconds`.
fn serve(followers: usize, seconds: f64) -> anyhow::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    println!("{}", listener.local_addr()?.port());
    std::io::stdout().flush()?;
    let mut sockets = Vec::with_capacity(followers);
    for _ in 0..followers {
        let (s, _) = listener.accept()?;
        s.set_nodelay(true)?;
        sockets.push(s);
    }
    let end = Instant::now() + Duration::from_secs_f64(seconds);
    while Instant::now() < end {
        for s in &mut sockets {
            s.write_all(&FRAME)?;
        }
    }
    Ok(())
}

/// Runs the child and the readers; frames per second delivered.
pub async fn run(followers: usize, seconds: f64) -> anyhow::Result<f64> {
    let exe = std::env::current_exe()?;
    let mut child = tokio::process::Command::new(exe)
        .args(["raw-server", &followers.to_string(), &seconds.to_string()])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let mut lines = tokio::io::BufReader::new(child.stdout.take().context("stdout")?).lines();
    let port: u16 = lines.next_line().await?.context("port")?.parse()?;
    let mut readers = Vec::with_capacity(followers);
    for _ in 0..followers {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        readers.push(tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            let mut total = 0u64;
            let mut first: Option<Instant> = None;
            let mut last = Instant::now();
            loop {
                match s.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        let now = Instant::now();
                        first.get_or_insert(now);
                        last = now;
                        total += n as u64;
                    }
                }
            }
            (total, first, last)
        }));
    }
    let mut bytes = 0u64;
    let mut start: Option<Instant> = None;
    let mut end = Instant::now();
    for r in readers {
        let (total, first, last) = r.await?;
        bytes += total;
        if let Some(f) = first {
            start = Some(start.map_or(f, |s: Instant| s.min(f)));
        }
        end = end.max(last);
    }
    let _ = child.wait().await;
    let elapsed = end
        .duration_since(start.context("nothing arrived")?)
        .as_secs_f64();
    Ok(bytes as f64 / FRAME.len() as f64 / elapsed)
}
