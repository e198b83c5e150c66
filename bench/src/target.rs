//! The server under test: Draftroom (a meeting is created, the writer is its
//! moderator, followers use one observer token), any plain y-websocket
//! server such as the stock Node one (a room is just a URL path), y-sweet
//! (a document made over HTTP, its socket's address asked for) or
//! Hocuspocus (a document named in every message; the writer's token may
//! write, the followers' is read-only).

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::client::{Endpoint, Hocuspocus};

/// Which kind of server, and where.
#[derive(Debug, Clone)]
pub enum Target {
    /// Draftroom at this `http://host:port`.
    Draftroom(String),
    /// A y-websocket server at this `ws://host:port`.
    YWebsocket(String),
    /// y-sweet at this `http://host:port`.
    YSweet(String),
    /// Hocuspocus (`bench/peer/hocuspocus.mjs`) at this `ws://host:port`.
    Hocuspocus(String),
}

/// URLs for one room: the writer's and the followers'.
#[derive(Debug, Clone)]
pub struct RoomUrls {
    /// Where the writer connects (may write).
    pub writer: Endpoint,
    /// Where followers connect (read-only on Draftroom and Hocuspocus).
    pub follower: Endpoint,
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
    /// Parses `draftroom=http://…`, `y-websocket=ws://…`,
    /// `y-sweet=http://…` or `hocuspocus=ws://…`.
    pub fn parse(s: &str) -> anyhow::Result<Target> {
        let (kind, url) = s.split_once('=').unwrap_or(("", ""));
        let url = url.trim_end_matches('/').to_owned();
        Ok(match kind {
            "draftroom" => Target::Draftroom(url),
            "y-websocket" => Target::YWebsocket(url),
            "y-sweet" => Target::YSweet(url),
            "hocuspocus" => Target::Hocuspocus(url),
            _ => bail!(
                "expected draftroom=http://HOST:PORT, y-websocket=ws://HOST:PORT, y-sweet=http://HOST:PORT or hocuspocus=ws://HOST:PORT"
            ),
        })
    }

    /// The name used in reports.
    pub fn name(&self) -> &'static str {
        match self {
            Target::Draftroom(_) => "draftroom",
            Target::YWebsocket(_) => "y-websocket",
            Target::YSweet(_) => "y-sweet",
            Target::Hocuspocus(_) => "hocuspocus",
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
                let url = |token: &serde_json::Value| -> anyhow::Result<Endpoint> {
                    let token = token.as_str().context("token")?;
                    Ok(Endpoint::plain(format!("{ws}/ws/{id}/draft?token={token}")))
                };
                Ok(RoomUrls {
                    writer: url(&created["moderator_token"])?,
                    follower: url(&joined["token"])?,
                    server: self.name(),
                })
            }
            Target::YWebsocket(base) => {
                let room = format!("{label}-{}", std::process::id());
                let url = Endpoint::plain(format!("{base}/{room}"));
                Ok(RoomUrls {
                    writer: url.clone(),
                    follower: url,
                    server: self.name(),
                })
            }
            Target::YSweet(base) => {
                let created = post(base, "/doc/new", serde_json::json!({})).await?;
                let id = created["docId"].as_str().context("docId")?;
                // The socket's address for a full or a read-only client;
                // the client appends the document's id to it, as y-sweet's
                // own provider does.
                let endpoint = |authorization: &str| {
                    let body = serde_json::json!({ "authorization": authorization });
                    async move {
                        let auth = post(base, &format!("/doc/{id}/auth"), body).await?;
                        let url = auth["url"].as_str().context("url")?;
                        anyhow::Ok(Endpoint::plain(format!("{url}/{id}")))
                    }
                };
                Ok(RoomUrls {
                    writer: endpoint("full").await?,
                    follower: endpoint("read-only").await?,
                    server: self.name(),
                })
            }
            Target::Hocuspocus(base) => {
                let document: std::sync::Arc<str> = format!(
                    "{label}-{}-{}",
                    std::process::id(),
                    crate::fanout::rand_u32()
                )
                .into();
                let with = |token| Endpoint {
                    url: base.clone(),
                    hocuspocus: Some(Hocuspocus {
                        document: document.clone(),
                        token,
                    }),
                };
                Ok(RoomUrls {
                    writer: with("writer"),
                    follower: with("observer"),
                    server: self.name(),
                })
            }
        }
    }
}
