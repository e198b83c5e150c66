//! The WebSocket endpoint `/ws/{meeting}/{room}?token=T`: checks the
//! upgrade, answers 101, authenticates, and hands the socket to
//! [`connection::serve`]. Refusals after the upgrade are close frames
//! (4401 and 4404, final; 4029 for an address past its failed sign-ins,
//! retried), since browsers cannot read the status of a failed upgrade.
//!
//! The upgrade is done here on top of hyper, not with axum's WebSocket, so
//! that the connection owns a tokio-tungstenite stream and can send large
//! messages as fragments (see [`connection`]).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use draftroom_shared::{RoomName, close};
use futures_util::SinkExt;
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tracing::Instrument;
use uuid::Uuid;

use crate::http::AppState;
use crate::http::abuse::ClientAddr;
use crate::http::connection::{self, Socket};
use crate::http::error::AppError;
use crate::http::forward::FollowCopy;
use crate::meeting::{Meeting, Member};

/// Query of the WebSocket URL.
#[derive(Deserialize)]
pub(crate) struct WsQuery {
    token: Option<String>,
}

fn header_has(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// How much a connection reads from its socket at a time, and what its
/// read buffer holds between messages. Clients send small messages (a
/// keystroke, a presence change: tens to hundreds of bytes); a larger one is
/// read in several pieces. The WebSocket library zero-fills this much before
/// every read attempt, which a follower makes each time the room wakes it,
/// and keeps it allocated for the connection's life: at 4 KiB it was the
/// largest part of an idle follower's memory and a visible share of the
/// fan-out's CPU.
const READ_BUFFER: usize = 512;

/// Checks the upgrade request, answers 101, then authenticates and runs the
/// connection on the upgraded socket.
pub(crate) async fn handler(
    State(app): State<Arc<AppState>>,
    ClientAddr(addr): ClientAddr,
    Path((meeting, room)): Path<(String, String)>,
    Query(query): Query<WsQuery>,
    mut req: Request,
) -> Response {
    let headers = req.headers();
    let key = headers
        .get(header::SEC_WEBSOCKET_KEY)
        .map(|k| derive_accept_key(k.as_bytes()));
    let is_upgrade = header_has(headers, header::CONNECTION, "upgrade")
        && header_has(headers, header::UPGRADE, "websocket")
        && headers
            .get(header::SEC_WEBSOCKET_VERSION)
            .is_some_and(|v| v == "13");
    let (Some(accept), true) = (key, is_upgrade) else {
        return AppError::bad_request("this path takes a WebSocket upgrade (version 13)")
            .into_response();
    };
    let on_upgrade = hyper::upgrade::on(&mut req);
    let limits = app.config.limits.clone();
    let config = WebSocketConfig::default()
        .max_message_size(Some(limits.max_message_bytes))
        .max_frame_size(Some(limits.max_message_bytes))
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .max_write_buffer_size(connection::FRAGMENT * 4);
    // An address with too many failed sign-ins is refused before its
    // token is looked at; each new failure counts against it. The refusal
    // is one the stock client retries (with its backoff of up to 2.5 s):
    // the address may be a venue's network that one bad actor shares with
    // honest members, whose valid tokens get in once the limit refills.
    // The retries cost a bucket lookup each; a final code would leave those
    // members stuck until they reload the page.
    let target = match app.abuse.failed_sign_ins.check(addr) {
        Err(refused) => Err((close::TOO_FAST, refused.message)),
        Ok(()) => resolve(
            &app,
            req.extensions().get::<FollowCopy>().cloned(),
            &meeting,
            &room,
            query.token.as_deref(),
        )
        .await
        .map_err(|(code, reason)| {
            if code == close::UNAUTHORIZED {
                let _ = app.abuse.failed_sign_ins.take(addr);
            }
            (code, reason.to_owned())
        }),
    };
    tokio::spawn(async move {
        let upgraded = match on_upgrade.await {
            Ok(u) => u,
            Err(e) => {
                tracing::debug!(error = %e, "upgrade failed");
                return;
            }
        };
        // The connection is a plain TCP stream underneath; taking it back
        // out of hyper's upgrade wrapper saves two layers of dynamic
        // dispatch on every read and write.
        let socket: Socket = match upgraded.downcast::<TokioIo<TcpStream>>() {
            Ok(parts) => {
                WebSocketStream::from_partially_read(
                    parts.io.into_inner(),
                    parts.read_buf.to_vec(),
                    Role::Server,
                    Some(config),
                )
                .await
            }
            Err(_) => {
                tracing::error!("an upgraded connection is not a TCP stream");
                return;
            }
        };
        match target {
            Err((code, reason)) => {
                tracing::debug!(code, reason, "websocket refused");
                close_now(socket, code, &reason).await;
            }
            Ok((meeting, member, name)) => {
                let span = tracing::info_span!("conn", meeting = %meeting.id, room = %name, user = %member.id);
                connection::serve(app, meeting, member, name, socket)
                    .instrument(span)
                    .await;
            }
        }
    });
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(header::CONNECTION, "upgrade")
        .header(header::UPGRADE, "websocket")
        .header(header::SEC_WEBSOCKET_ACCEPT, accept)
        .body(Body::empty())
        .expect("a valid 101 response")
}

async fn resolve(
    app: &AppState,
    copy: Option<FollowCopy>,
    meeting: &str,
    room: &str,
    token: Option<&str>,
) -> Result<(Arc<Meeting>, Member, RoomName), (u16, &'static str)> {
    let id = Uuid::parse_str(meeting).map_err(|_| (close::NOT_FOUND, "no such meeting"))?;
    let name: RoomName = room
        .parse()
        .map_err(|_| (close::NOT_FOUND, "no such room"))?;
    // An observer of a meeting another process owns, served from this
    // process's copy (its token was found there).
    if let Some(FollowCopy(copy)) = copy
        && let Some(member) = token.and_then(|t| copy.member_by_token(t))
    {
        return Ok((copy, member, name));
    }
    let (meeting, member) = app.hub.authenticate(id, token).await.map_err(|e| {
        let e = AppError::from(e);
        let reason = match e.code {
            draftroom_shared::ErrorCode::NotFound => "no such meeting",
            draftroom_shared::ErrorCode::Unauthorized => "invalid token",
            _ => "the server cannot open this meeting now",
        };
        (e.close_code(), reason)
    })?;
    Ok((meeting, member, name))
}

async fn close_now(mut socket: Socket, code: u16, reason: &str) {
    let _ = socket
        .send(connection::close_frame(code, reason.to_owned()))
        .await;
    let _ = SinkExt::close(&mut socket).await;
}
