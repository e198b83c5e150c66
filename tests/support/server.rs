//! The real `draftroom` binary as a child process on a free port, with its
//! own data directory that outlives restarts.
//!
//! The binary is whatever path the caller names, never one guessed here:
//! the integration tests are a test target of `draftroom-server`
//! (`tests/integration`), so Cargo builds the package's binary, in the same
//! profile and target directory, before it builds them, and hands its path
//! to them at compile time as `CARGO_BIN_EXE_draftroom`. A test can then
//! never run against a binary older than the sources.

use crate::http::{self, HttpResponse};
use anyhow::Context as _;
use draftroom_shared::{Joined, MeetingCreated};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;
use tempfile::TempDir;
use uuid::Uuid;

/// How many of the server's last output lines are kept for failure reports.
const LOG_LINES: usize = 200;

/// A running `draftroom serve` process.
pub struct Server {
    /// The `draftroom` binary, started again by a restart.
    bin: PathBuf,
    /// The process; `None` only between a kill and a restart.
    child: Option<Child>,
    /// The address it printed, which changes on restart (port 0).
    addr: SocketAddr,
    /// Owned here so that it survives kill and restart and is removed at the end.
    data: TempDir,
    /// Extra arguments, repeated on restart so the new process matches the old.
    extra_args: Vec<String>,
    /// Extra environment, likewise.
    env: Vec<(String, String)>,
    /// The tail of stdout and stderr, shared with the threads draining them.
    log: Arc<Mutex<VecDeque<String>>>,
}

impl Server {
    /// Starts the binary `bin` as `serve --listen 127.0.0.1:0 --data DIR`,
    /// then `args`, with the extra environment variables `env`.
    pub fn start_binary(bin: impl Into<PathBuf>, args: &[&str], env: &[(&str, &str)]) -> Self {
        let bin = bin.into();
        let data = tempfile::Builder::new()
            .prefix("draftroom-test-")
            .tempdir()
            .expect("create a temporary data directory");
        let mut extra_args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        if crate::postgres::servers_use_postgres() && !args.contains(&"--postgres") {
            extra_args.extend(["--postgres".to_owned(), crate::postgres::fresh_database()]);
        }
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let log = Arc::new(Mutex::new(VecDeque::new()));
        let (child, addr) = spawn(&bin, &data, &extra_args, &env, &log);
        Server {
            bin,
            child: Some(child),
            addr,
            data,
            extra_args,
            env,
            log,
        }
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`, without a trailing slash.
    pub fn http_base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The WebSocket URL of one room of a meeting, authenticated by `token`.
    pub fn ws_url(&self, meeting: Uuid, room: &str, token: &str) -> String {
        format!(
            "ws://{}/ws/{meeting}/{room}?token={}",
            self.addr,
            percent_encode(token)
        )
    }

    /// The PostgreSQL database it stores in, if not SQLite.
    pub fn postgres_url(&self) -> Option<&str> {
        let at = self.extra_args.iter().position(|a| a == "--postgres")?;
        self.extra_args.get(at + 1).map(String::as_str)
    }

    /// The data directory, which survives restarts.
    pub fn data_dir(&self) -> &std::path::Path {
        self.data.path()
    }

    /// The last lines the server printed, for failure messages.
    pub fn log_tail(&self) -> String {
        let log = self.log.lock().unwrap();
        log.iter().cloned().collect::<Vec<_>>().join("\n")
    }

    /// Sends the process a signal (`STOP`, `CONT`…), as `kill -SIG` does.
    pub fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("the server runs").id();
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(pid.to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} {pid} failed");
    }

    /// Kills the server with SIGKILL, as a crash or power cut would, and
    /// waits until it is gone.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            // `Child::kill` sends SIGKILL on Unix: no chance to flush anything.
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts a new process on the same data directory (killing the old one
    /// first if it still runs). The port may change.
    pub fn restart(&mut self) {
        self.kill9();
        let (child, addr) = spawn(
            &self.bin,
            &self.data,
            &self.extra_args,
            &self.env,
            &self.log,
        );
        self.child = Some(child);
        self.addr = addr;
    }

    /// Sends a raw HTTP request (for tests of malformed input).
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&[u8]>,
    ) -> anyhow::Result<HttpResponse> {
        http::request(self.addr, method, path, token, body).await
    }

    /// `POST path` with a JSON body; answers the status and the JSON body
    /// (`Null` when empty, a string when not JSON).
    pub async fn post_json(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> anyhow::Result<(u16, Value)> {
        let bytes = serde_json::to_vec(body)?;
        self.post_raw(path, token, &bytes).await
    }

    /// `POST path` with exactly `body` as a JSON-typed body.
    pub async fn post_raw(
        &self,
        path: &str,
        token: Option<&str>,
        body: &[u8],
    ) -> anyhow::Result<(u16, Value)> {
        let response = self.request("POST", path, token, Some(body)).await?;
        Ok((response.status, response.json()))
    }

    /// `GET path`; answers the status and the JSON body.
    pub async fn get(&self, path: &str, token: Option<&str>) -> anyhow::Result<(u16, Value)> {
        let response = self.request("GET", path, token, None).await?;
        Ok((response.status, response.json()))
    }

    /// Creates a meeting and checks the answer is 201.
    pub async fn create_meeting(
        &self,
        title: &str,
        moderator_name: &str,
    ) -> anyhow::Result<MeetingCreated> {
        self.create_meeting_with(json!({"title": title, "moderator_name": moderator_name}))
            .await
    }

    /// Creates a meeting held in `language` (`pl`, `en`) and checks the
    /// answer is 201.
    pub async fn create_meeting_in(
        &self,
        title: &str,
        moderator_name: &str,
        language: &str,
    ) -> anyhow::Result<MeetingCreated> {
        self.create_meeting_with(json!({
            "title": title, "moderator_name": moderator_name, "language": language,
        }))
        .await
    }

    /// Creates a meeting that runs the whole workshop (it starts at the
    /// collect stage) and checks the answer is 201.
    pub async fn create_workshop(
        &self,
        title: &str,
        moderator_name: &str,
        language: &str,
    ) -> anyhow::Result<MeetingCreated> {
        self.create_meeting_with(json!({
            "title": title, "moderator_name": moderator_name, "language": language,
            "workshop": true,
        }))
        .await
    }

    /// `POST /api/meetings` with `body`, checked to be 201.
    async fn create_meeting_with(&self, body: Value) -> anyhow::Result<MeetingCreated> {
        let (status, body) = self.post_json("/api/meetings", None, &body).await?;
        anyhow::ensure!(status == 201, "create meeting answered {status}: {body}");
        serde_json::from_value(body.clone())
            .with_context(|| format!("create meeting answer {body}"))
    }

    /// Joins a meeting with an invite and checks the answer is 200.
    pub async fn join(&self, meeting: Uuid, invite: &str, name: &str) -> anyhow::Result<Joined> {
        let (status, body) = self
            .post_json(
                &format!("/api/meetings/{meeting}/join"),
                None,
                &json!({"invite": invite, "name": name}),
            )
            .await?;
        anyhow::ensure!(status == 200, "join answered {status}: {body}");
        serde_json::from_value(body.clone()).with_context(|| format!("join answer {body}"))
    }

    /// Makes a member an editor and checks the answer is 200.
    pub async fn grant_editor(
        &self,
        meeting: Uuid,
        moderator_token: &str,
        user_id: Uuid,
    ) -> anyhow::Result<()> {
        let (status, body) = self
            .post_json(
                &format!("/api/meetings/{meeting}/editors"),
                Some(moderator_token),
                &json!({"user_id": user_id}),
            )
            .await?;
        anyhow::ensure!(status == 200, "grant editor answered {status}: {body}");
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Starts one process and waits for its `listening on http://ADDR` line.
fn spawn(
    bin: &Path,
    data: &TempDir,
    extra_args: &[String],
    env: &[(String, String)],
    log: &Arc<Mutex<VecDeque<String>>>,
) -> (Child, SocketAddr) {
    assert!(
        bin.is_file(),
        "the draftroom binary {} is not a file",
        bin.display()
    );
    let mut child = Command::new(bin)
        .arg("serve")
        .arg("--listen")
        .arg("127.0.0.1:0")
        .arg("--data")
        .arg(data.path())
        .args(extra_args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", bin.display()));

    // Both pipes are drained for the life of the process: a full pipe would
    // block the server's logging and so the server itself.
    let (tx, rx) = mpsc::channel();
    drain(
        child.stdout.take().unwrap(),
        "stdout",
        log.clone(),
        Some(tx),
    );
    drain(child.stderr.take().unwrap(), "stderr", log.clone(), None);

    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(addr) => (child, addr),
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            // Give the drain threads a moment to record the last words.
            std::thread::sleep(Duration::from_millis(100));
            let tail = log.lock().unwrap().iter().cloned().collect::<Vec<_>>();
            panic!(
                "draftroom did not print `listening on http://ADDR` within 10 s; output:\n{}",
                tail.join("\n")
            );
        }
    }
}

/// Reads `pipe` line by line on a thread until it closes, keeping the tail in
/// `log` and sending the first listening address to `listening`.
fn drain(
    pipe: impl Read + Send + 'static,
    name: &'static str,
    log: Arc<Mutex<VecDeque<String>>>,
    mut listening: Option<mpsc::Sender<SocketAddr>>,
) {
    std::thread::spawn(move || {
        let reader = BufReader::new(pipe);
        for line in reader.split(b'\n') {
            let Ok(line) = line else { break };
            let line = String::from_utf8_lossy(&line).trim_end().to_string();
            if let Some(tx) = &listening
                && let Some(addr) = parse_listening(&line)
            {
                let _ = tx.send(addr);
                listening = None;
            }
            let mut log = log.lock().unwrap();
            if log.len() == LOG_LINES {
                log.pop_front();
            }
            log.push_back(format!("[{name}] {line}"));
        }
    });
}

/// The address in a `listening on http://ADDR` line, if this is one.
fn parse_listening(line: &str) -> Option<SocketAddr> {
    let rest = &line[line.find("listening on http://")? + "listening on http://".len()..];
    let addr = rest.split_whitespace().next()?.trim_end_matches('/');
    addr.parse().ok()
}

/// Percent-encodes everything but RFC 3986 unreserved characters, so any
/// token shape survives the query string.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_listening_line() {
        assert_eq!(
            parse_listening("listening on http://127.0.0.1:4321"),
            Some("127.0.0.1:4321".parse().unwrap())
        );
        assert_eq!(
            parse_listening("2026-01-01 INFO listening on http://127.0.0.1:80/ now"),
            Some("127.0.0.1:80".parse().unwrap())
        );
        assert_eq!(parse_listening("starting"), None);
    }

    #[test]
    fn encodes_tokens() {
        assert_eq!(percent_encode("aZ09-_.~"), "aZ09-_.~");
        assert_eq!(percent_encode("a+b/c="), "a%2Bb%2Fc%3D");
    }
}
