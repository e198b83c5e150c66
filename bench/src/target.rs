//! The server under test: Draftroom (a meeting is created, the writer is its
//! moderator, followers use one observer token) or any plain y-websocket
//! server such as the stock Node one (a room is just a URL path).

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Which kind of server, and where.
#[derive(Debug, Clone)]
pub enum Target {
    /// Draftroom at this `http://host:port`.
    Draftroom(String),
    /// A y-websocket server at this `ws://host:port`.
    YWebsocket(String),
}

/// URLs for one room: the writer's and the followers'.
#[derive(Debug, Clone)]
pub struct RoomUrls {
    /// Where the writer connects (may write).
    pub writer: String,
    /// Where followers connect (read-only on Draftroom).
    pub follower: String,
    /// The server's name for reports.
    pub server: &'static str,
}

/// One POST with a JSON body over a fresh connection; the JSON answer.
pub async fn post(
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
    let (head, json) = resp.split_once("\r\n\r\n").context("no HTTP body")?;
    if !head.starts_with("HTTP/1.1 2") {
        bail!("{path}: {}", head.lines().next().unwrap_or(""));
    }
    Ok(serde_json::from_str(json)?)
}

impl Target {
    /// Parses `draftroom=http://…` or `y-websocket=ws://…`.
    pub fn parse(s: &str) -> anyhow::Result<Target> {
        match s.split_once('=') {
            Some(("draftroom", url)) => Ok(Target::Draftroom(url.trim_end_matches('/').into())),
            Some(("y-websocket", url)) => Ok(Target::YWebsocket(url.trim_end_matches('/').into())),
            _ => bail!("expected draftroom=http://HOST:PORT or y-websocket=ws://HOST:PORT"),
        }
    }

    /// The name used in reports.
    pub fn name(&self) -> &'static str {
        match self {
            Target::Draftroom(_) => "draftroom",
            Target::YWebsocket(_) => "y-websocket",
        }
    }

    /// A fresh room (for Draftroom: a meeting's draft) and its URLs.
    pub async fn new_room(&self, label: &str) -> anyhow::Result<RoomUrls> {
        match self {
            Target::Draftroom(base) => {
                let created = post(
                    base,
                    "/api/meetings",
                    serde_json::json!({"title": format!("Obciążenie — {label}"), "moderator_name": "Moderatorka"}),
                )
                .await?;
                let id = created["id"].as_str().context("meeting id")?;
                let joined = post(
                    base,
                    &format!("/api/meetings/{id}/join"),
                    serde_json::json!({"invite": created["observer_invite"], "name": "Widzowie"}),
                )
                .await?;
                let ws = base.replacen("http", "ws", 1);
                Ok(RoomUrls {
                    writer: format!(
                        "{ws}/ws/{id}/draft?token={}",
                        created["moderator_token"].as_str().context("token")?
                    ),
                    follower: format!(
                        "{ws}/ws/{id}/draft?token={}",
                        joined["token"].as_str().context("token")?
                    ),
                    server: self.name(),
                })
            }
            Target::YWebsocket(base) => {
                let room = format!("{label}-{}", std::process::id());
                Ok(RoomUrls {
                    writer: format!("{base}/{room}"),
                    follower: format!("{base}/{room}"),
                    server: self.name(),
                })
            }
        }
    }
}
